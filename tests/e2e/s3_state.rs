//! State in S3 (moto), through the binary: concurrent applies, a SIGKILLed
//! holder's lease, history and diffs for auditors, state rm/mv, and
//! migration between backends. Results are checked through the AWS SDK.

use std::collections::BTreeSet;
use std::process::Stdio;
use std::time::{Duration, Instant};

use aws_sdk_ec2::types::Filter;

use crate::support::{rt, Run, Sandbox};

const BUCKET: &str = "cairn-e2e-state";

fn backend(key: &str, lease: &str) -> String {
    format!(
        "[backend]\ntype = \"s3\"\nbucket = \"{BUCKET}\"\nkey = \"{key}\"\nlock_lease = \"{lease}\"\n"
    )
}

fn head(name: &str) -> String {
    format!("[stack]\nname = \"{name}\"\n\n[provider.aws]\nregion = \"eu-west-2\"\n\n")
}

fn vpc(cidr: &str, run: &str) -> String {
    format!("[resource.aws_vpc.main]\ncidr_block = \"{cidr}\"\ntags = {{ Run = \"{run}\" }}\n\n")
}

/// Every version of the state, newest first, from `state history --json`.
fn history(sb: &Sandbox) -> Vec<serde_json::Value> {
    let run = sb.run(&["state", "history", "--json"]).expect(0);
    run.stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn tagged(sb: &Sandbox, stack: &str) -> (usize, usize) {
    let rt = rt();
    let ec2 = sb.ec2();
    let f = || {
        Filter::builder()
            .name("tag:cairn:stack")
            .values(stack)
            .build()
    };
    let vpcs = rt
        .block_on(ec2.describe_vpcs().filters(f()).send())
        .unwrap();
    let subnets = rt
        .block_on(ec2.describe_subnets().filters(f()).send())
        .unwrap();
    (vpcs.vpcs().len(), subnets.subnets().len())
}

#[test]
fn eight_concurrent_applies_take_turns_and_lose_nothing() {
    let text = format!(
        "{}{}{}[variable.run]\ntype = \"string\"\ndefault = \"init\"\n\n[resource.aws_subnet.a]\nvpc_id = \"${{aws_vpc.main.id}}\"\ncidr_block = \"10.70.0.0/24\"\n",
        head("race"),
        backend("race/default.json", "2m"),
        vpc("10.70.0.0/16", "${var.run}"),
    );
    let sb = Sandbox::with_files(&[("main.toml", &text)]);
    sb.run(&["backend", "bootstrap"]).expect(0);

    // Four wait for the lock; four give up at once if it is taken.
    let children: Vec<_> = (0..8)
        .map(|i| {
            let timeout = if i % 2 == 0 { "120s" } else { "0s" };
            sb.command(&[
                "apply",
                "--auto-approve",
                "--lock-timeout",
                timeout,
                "--var",
                &format!("run=r{i}"),
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    let runs: Vec<Run> = children
        .into_iter()
        .map(|c| Run::from(c.wait_with_output().unwrap()))
        .collect();
    for (i, r) in runs.iter().enumerate() {
        match (i % 2, r.code) {
            (_, 0) => {}
            (1, 4) => assert!(r.stderr.contains("locked by"), "{}", r.stderr),
            _ => panic!("run {i} exited {}:\n{}", r.code, r.stderr),
        }
    }

    // One version per write, serials without gaps, and each lock's writes
    // in one unbroken run: no two holders ever interleaved.
    let versions = history(&sb);
    let serials: Vec<u64> = versions
        .iter()
        .map(|v| v["serial"].as_u64().unwrap())
        .collect();
    let expected: Vec<u64> = (1..=versions.len() as u64).rev().collect();
    assert_eq!(serials, expected);
    let mut finished = BTreeSet::new();
    let mut current = None;
    for v in versions.iter().rev() {
        let id = v["lock_id"].as_str().unwrap().to_string();
        if current.as_ref() != Some(&id) {
            assert!(
                finished.insert(id.clone()),
                "lock {id} wrote again after another holder"
            );
            current = Some(id);
        }
    }
    let succeeded = runs.iter().filter(|r| r.code == 0).count();
    assert!(succeeded >= 4, "the waiting runs all succeed");
    // Each run sets a different tag value: every run that got the lock wrote.
    assert_eq!(finished.len(), succeeded);
    eprintln!("{succeeded} of 8 runs applied; {} versions", versions.len());

    // Every object exists once, and the state records exactly those.
    assert_eq!(tagged(&sb, "race"), (1, 1));
    let state = sb.s3_json(BUCKET, "race/default.json");
    assert_eq!(state["serial"].as_u64().unwrap(), versions.len() as u64);
    assert_eq!(state["resources"].as_object().unwrap().len(), 2);
    let rt = rt();
    let lock = rt.block_on(
        sb.s3()
            .head_object()
            .bucket(BUCKET)
            .key("race/default.json.lock")
            .send(),
    );
    assert!(lock.is_err(), "every run released its lock");
}

#[test]
fn a_killed_holders_lease_is_taken_over_after_it_expires_and_not_before() {
    const SUBNETS: usize = 24;
    let mut text = format!(
        "{}{}{}",
        head("lease"),
        // Long enough that the early check below lands inside the lease
        // on a loaded machine.
        backend("lease/default.json", "6s"),
        vpc("10.80.0.0/20", "one")
    );
    for i in 0..SUBNETS {
        text.push_str(&format!(
            "[resource.aws_subnet.s{i:02}]\nvpc_id = \"${{aws_vpc.main.id}}\"\ncidr_block = \"10.80.{}.{}/28\"\n\n",
            i / 16,
            (i % 16) * 16
        ));
    }
    let sb = Sandbox::with_files(&[("main.toml", &text)]);
    sb.run(&["backend", "bootstrap"]).expect(0);
    let rt = rt();
    let s3 = sb.s3();
    let lock_exists = || {
        rt.block_on(
            s3.head_object()
                .bucket(BUCKET)
                .key("lease/default.json.lock")
                .send(),
        )
        .is_ok()
    };

    let mut child = sb
        .command(&["apply", "--auto-approve", "--parallelism", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !lock_exists() {
        assert!(Instant::now() < deadline, "apply never took the lock");
        assert!(child.try_wait().unwrap().is_none(), "apply ended too soon");
        std::thread::sleep(Duration::from_millis(5));
    }
    // Let it start creating, then kill it: it can neither renew nor release.
    std::thread::sleep(Duration::from_millis(400));
    child.kill().unwrap();
    child.wait().unwrap();
    let killed_at = Instant::now();

    let early = sb.run(&["apply", "--auto-approve"]);
    assert!(
        killed_at.elapsed() < Duration::from_secs(4),
        "the check came too late to mean anything"
    );
    early.expect(4);

    std::thread::sleep(Duration::from_secs(7).saturating_sub(killed_at.elapsed()));
    let late = sb.run(&["apply", "--auto-approve"]).expect(0);
    assert!(
        late.stderr.contains("took over a stale state lock"),
        "{}",
        late.stderr
    );

    assert_eq!(tagged(&sb, "lease"), (1, SUBNETS), "nothing duplicated");
    let state = sb.s3_json(BUCKET, "lease/default.json");
    assert_eq!(state["resources"].as_object().unwrap().len(), SUBNETS + 1);
    sb.run(&["plan", "--detailed-exitcode"]).expect(0);
}

#[test]
fn history_and_diff_tell_auditors_who_changed_what() {
    let base = format!("{}{}", head("audit"), backend("audit/default.json", "2m"));
    let sb = Sandbox::with_files(&[(
        "main.toml",
        &format!("{base}{}", vpc("10.90.0.0/16", "one")),
    )]);
    sb.run(&["backend", "bootstrap"]).expect(0);
    sb.run(&["apply", "--auto-approve"]).expect(0);
    sb.write(
        "main.toml",
        &format!("{base}{}", vpc("10.90.0.0/16", "two")),
    );
    sb.run(&["apply", "--auto-approve"]).expect(0);
    sb.write(
        "main.toml",
        &format!(
            "{base}{}[resource.aws_subnet.a]\nvpc_id = \"${{aws_vpc.main.id}}\"\ncidr_block = \"10.90.1.0/24\"\n",
            vpc("10.90.0.0/16", "two")
        ),
    );
    sb.run(&["apply", "--auto-approve"]).expect(0);

    let versions = history(&sb);
    // Per apply (one lock each): what it added, changed and removed.
    let mut per_apply: Vec<(String, u64, u64, u64)> = Vec::new();
    for v in versions.iter().rev() {
        let id = v["lock_id"].as_str().unwrap().to_string();
        assert_eq!(v["operation"], "apply");
        assert!(v["who"].as_str().unwrap().contains('@'), "{v}");
        assert!(
            v["who"].as_str().unwrap().starts_with("arn:aws:"),
            "caller identity: {v}"
        );
        let counts = (
            v["added"].as_u64().unwrap(),
            v["changed"].as_u64().unwrap(),
            v["removed"].as_u64().unwrap(),
        );
        match per_apply.last_mut() {
            Some(last) if last.0 == id => {
                last.1 += counts.0;
                last.2 += counts.1;
                last.3 += counts.2;
            }
            _ => per_apply.push((id, counts.0, counts.1, counts.2)),
        }
    }
    let totals: Vec<_> = per_apply.iter().map(|p| (p.1, p.2, p.3)).collect();
    assert_eq!(totals, [(1, 0, 0), (0, 1, 0), (1, 0, 0)]);

    // The human table names the same versions.
    let table = sb.run(&["state", "history"]).expect(0);
    let oldest = versions.last().unwrap()["version"].as_str().unwrap();
    let newest = versions[0]["version"].as_str().unwrap();
    assert!(table.stdout.contains(oldest) && table.stdout.contains(newest));

    let diff = sb.run(&["state", "diff", oldest, newest]).expect(0);
    assert!(diff.stdout.contains("+ aws_subnet.a"), "{}", diff.stdout);
    assert!(diff.stdout.contains("~ aws_vpc.main"), "{}", diff.stdout);
    assert!(
        diff.stdout.contains("tags.Run: \"one\" -> \"two\""),
        "{}",
        diff.stdout
    );
    assert!(
        diff.stdout.contains("1 added, 1 changed, 0 removed."),
        "{}",
        diff.stdout
    );

    let old = sb.run(&["state", "pull", "--version", oldest]).expect(0);
    let old: serde_json::Value = serde_json::from_str(&old.stdout).unwrap();
    assert_eq!(old["serial"], versions.last().unwrap()["serial"]);
    let shown = sb
        .run(&["state", "show", "aws_vpc.main", "--version", oldest])
        .expect(0);
    assert!(shown.stdout.contains("\"one\""), "{}", shown.stdout);
    sb.run(&["state", "pull", "--version", "no-such-version"])
        .expect(1);
}

#[test]
fn state_rm_and_mv_are_locked_recorded_writes() {
    let base = format!(
        "{}{}{}",
        head("edits"),
        backend("edits/default.json", "2m"),
        vpc("10.91.0.0/16", "one")
    );
    let subnet = |name: &str| {
        format!("[resource.aws_subnet.{name}]\nvpc_id = \"${{aws_vpc.main.id}}\"\ncidr_block = \"10.91.1.0/24\"\n")
    };
    let sb = Sandbox::with_files(&[("main.toml", &format!("{base}{}", subnet("a")))]);
    sb.run(&["backend", "bootstrap"]).expect(0);
    sb.run(&["apply", "--auto-approve"]).expect(0);
    let before = sb.s3_json(BUCKET, "edits/default.json");

    // Renamed in config and moved in state: nothing to do.
    sb.write("main.toml", &format!("{base}{}", subnet("b")));
    sb.run(&["state", "mv", "aws_subnet.a", "aws_subnet.b"])
        .expect(0);
    sb.run(&["plan", "--detailed-exitcode"]).expect(0);
    sb.run(&["state", "mv", "aws_subnet.b", "aws_vpc.other"])
        .expect(1);

    sb.run(&["state", "rm", "aws_subnet.b"]).expect(0);
    let after = sb.s3_json(BUCKET, "edits/default.json");
    assert_eq!(
        after["serial"].as_u64(),
        before["serial"].as_u64().map(|s| s + 2)
    );
    assert_eq!(after["written_by"]["operation"], "state rm");
    assert!(after["resources"].get("aws_subnet.b").is_none());
    // Forgotten, not deleted.
    assert_eq!(tagged(&sb, "edits"), (1, 1));
    let versions = history(&sb);
    assert_eq!(versions[0]["removed"], 1);
    assert_eq!(versions[1]["operation"], "state mv");
    sb.run(&["state", "rm", "aws_subnet.nope"]).expect(1);
}

#[test]
fn migration_local_to_s3_and_back_keeps_lineage_and_serial() {
    let config = format!("{}{}", head("moving"), vpc("10.92.0.0/16", "one"));
    let sb = Sandbox::with_files(&[("main.toml", &config)]);
    sb.run(&["apply", "--auto-approve"]).expect(0);
    let local = sb.state("moving");

    // To S3.
    sb.write(
        "main.toml",
        &format!("{config}{}", backend("moving/default.json", "2m")),
    );
    sb.run(&["backend", "bootstrap"]).expect(0);
    let again = sb.run(&["backend", "bootstrap"]).expect(0);
    assert!(again.stdout.contains("nothing changed"), "{}", again.stdout);
    sb.run(&["backend", "migrate", "--from", "local"]).expect(0);
    let in_s3 = sb.s3_json(BUCKET, "moving/default.json");
    assert_eq!(in_s3["lineage"], local["lineage"]);
    assert_eq!(in_s3["serial"], local["serial"]);
    sb.run(&["plan", "--detailed-exitcode"]).expect(0);

    // A change made while in S3...
    sb.write(
        "main.toml",
        &format!(
            "{}{}{}",
            head("moving"),
            vpc("10.92.0.0/16", "two"),
            backend("moving/default.json", "2m")
        ),
    );
    sb.run(&["apply", "--auto-approve"]).expect(0);
    let in_s3 = sb.s3_json(BUCKET, "moving/default.json");

    // ...comes back with it.
    sb.write(
        "main.toml",
        &format!("{}{}", head("moving"), vpc("10.92.0.0/16", "two")),
    );
    sb.run(&[
        "backend",
        "migrate",
        "--from",
        &format!("s3://{BUCKET}/moving/default.json"),
    ])
    .expect(0);
    let back = sb.state("moving");
    assert_eq!(back["lineage"], local["lineage"]);
    assert_eq!(back["serial"], in_s3["serial"]);
    sb.run(&["plan", "--detailed-exitcode"]).expect(0);

    // Another stack's state is refused.
    let stranger = sb.dir.path().join("stranger.json");
    let mut other = back.clone();
    other["lineage"] = "00000000-0000-0000-0000-000000000000".into();
    std::fs::write(&stranger, other.to_string()).unwrap();
    let refused = sb
        .run(&[
            "backend",
            "migrate",
            "--from",
            &format!("local:{}", stranger.display()),
        ])
        .expect(1);
    assert!(refused.stderr.contains("lineage"), "{}", refused.stderr);
    assert_eq!(sb.state("moving")["lineage"], local["lineage"]);
}

/// `state verify --json`, parsed, and its exit code.
fn verify(sb: &Sandbox) -> (i32, serde_json::Value) {
    let run = sb.run(&["state", "verify", "--json"]);
    let v = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", run.stdout, run.stderr));
    (run.code, v)
}

#[test]
fn state_verify_proves_the_history_and_names_the_first_tampered_version() {
    let key = "verify/default.json";
    let base = format!(
        "{}{}{}",
        head("verify"),
        backend(key, "2m"),
        vpc("10.93.0.0/16", "one")
    );
    let subnet =
        "[resource.aws_subnet.a]\nvpc_id = \"${aws_vpc.main.id}\"\ncidr_block = \"10.93.1.0/24\"\n";
    let sb = Sandbox::with_files(&[("main.toml", &format!("{base}{subnet}"))]);
    sb.run(&["backend", "bootstrap"]).expect(0);
    sb.run(&["apply", "--auto-approve"]).expect(0);
    sb.write(
        "main.toml",
        &format!(
            "{}{}{}{subnet}",
            head("verify"),
            backend(key, "2m"),
            vpc("10.93.0.0/16", "two")
        ),
    );
    sb.run(&["apply", "--auto-approve"]).expect(0);
    sb.run(&["state", "rm", "aws_subnet.a"]).expect(0);

    // Untouched: whole, every version listed oldest first with who wrote it.
    let (code, v) = verify(&sb);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["whole"], true);
    assert!(v["first_bad"].is_null());
    let checks = v["versions"].as_array().unwrap();
    let ids: Vec<&str> = checks.iter().map(|c| c["id"].as_str().unwrap()).collect();
    let mut listed: Vec<String> = history(&sb)
        .iter()
        .map(|h| h["version"].as_str().unwrap().to_string())
        .collect();
    listed.reverse();
    assert_eq!(
        ids, listed,
        "the versions `state history` lists, oldest first"
    );
    assert!(ids.len() >= 3);
    let last = checks.last().unwrap();
    assert_eq!(last["written_by"]["operation"], "state rm");
    assert!(last["stored"].is_string());
    assert_eq!(
        last["previous_sha256"],
        checks[checks.len() - 2]["sha256"],
        "each version links to the digest of the one before"
    );
    assert_eq!(checks[0]["previous_sha256"], serde_json::Value::Null);
    let human = sb.run(&["state", "verify"]).expect(0);
    assert!(
        human.stdout.contains("The history is whole"),
        "{}",
        human.stdout
    );
    assert!(human.stdout.contains(ids[0]), "{}", human.stdout);

    // A version deleted behind cairn's back: named at the next one.
    let rt = rt();
    rt.block_on(
        sb.s3()
            .delete_object()
            .bucket(BUCKET)
            .key(key)
            .version_id(ids[1])
            .send(),
    )
    .unwrap();
    let (code, v) = verify(&sb);
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(v["whole"], false);
    assert_eq!(v["first_bad"], ids[2]);
    let bad = &v["versions"][1];
    assert_eq!(bad["id"], ids[2]);
    assert!(
        bad["codes"]
            .as_array()
            .unwrap()
            .contains(&"deleted_version".into()),
        "{bad:#}"
    );
    let human = sb.run(&["state", "verify"]).expect(1);
    assert!(
        human.stdout.contains(&format!("the first is {}", ids[2])),
        "{}",
        human.stdout
    );
    assert!(
        human.stdout.contains("problem: chain break"),
        "{}",
        human.stdout
    );

    // An edit uploaded with the SDK: a version cairn did not write.
    let text = serde_json::to_string_pretty(&sb.s3_json(BUCKET, key)).unwrap();
    rt.block_on(
        sb.s3()
            .put_object()
            .bucket(BUCKET)
            .key(key)
            .body(
                text.replace("10.93.0.0/16", "10.99.0.0/16")
                    .into_bytes()
                    .into(),
            )
            .send(),
    )
    .unwrap();
    let (code, v) = verify(&sb);
    assert_eq!(code, 1);
    // Still the deletion first; the edit is the newest finding.
    assert_eq!(v["first_bad"], ids[2]);
    let newest = v["versions"].as_array().unwrap().last().unwrap().clone();
    assert!(
        newest["codes"]
            .as_array()
            .unwrap()
            .contains(&"no_checksum".into()),
        "{newest:#}"
    );
}

#[test]
fn bootstrap_with_object_lock_sets_the_default_retention() {
    let sb = Sandbox::with_files(&[(
        "main.toml",
        &format!("{}{}", head("locked"), backend("locked/default.json", "2m")),
    )]);
    // A mode needs a retention.
    sb.run(&["backend", "bootstrap", "--object-lock-mode", "compliance"])
        .expect(1);
    let run = sb
        .run(&[
            "backend",
            "bootstrap",
            "--object-lock-days",
            "3",
            "--object-lock-mode",
            "compliance",
        ])
        .expect(0);
    assert!(run.stdout.contains("object lock"), "{}", run.stdout);
    let rt = rt();
    let conf = rt
        .block_on(
            sb.s3()
                .get_object_lock_configuration()
                .bucket(BUCKET)
                .send(),
        )
        .unwrap();
    let conf = conf.object_lock_configuration().unwrap();
    assert_eq!(
        conf.object_lock_enabled().map(|e| e.as_str()),
        Some("Enabled")
    );
    let retention = conf.rule().unwrap().default_retention().unwrap();
    assert_eq!(retention.mode().map(|m| m.as_str()), Some("COMPLIANCE"));
    assert_eq!(retention.days(), Some(3));
    // Running it again changes nothing.
    let again = sb
        .run(&[
            "backend",
            "bootstrap",
            "--object-lock-days",
            "3",
            "--object-lock-mode",
            "compliance",
        ])
        .expect(0);
    assert!(
        again.stdout.contains("already set up; nothing changed"),
        "{}",
        again.stdout
    );
}
