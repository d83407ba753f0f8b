//! Moving a Terraform estate to cairn without recreating anything (issue
//! 16's acceptance test): the real `terraform` binary and its AWS provider
//! apply two configurations to moto, `cairn convert` and `cairn migrate`
//! carry them over with read calls only, and the plans that follow are
//! clean, exact and small. The Terraform state is never touched.
//!
//! Needs `terraform` on the PATH and the AWS provider plugin in a plugin
//! directory (`CAIRN_TF_PLUGIN_DIR`, else /opt/tf-plugins or
//! ~/.terraform.d/plugins); without them the test says so and is skipped.

use std::path::{Path, PathBuf};
use std::process::Command;

use aws_sdk_ec2::types::Filter;
use cairn_testkit::MotoServer;
use serde_json::Value;

use crate::support::{repo_root, rt, Run, BIN};

/// Where the AWS provider plugin lives, if `terraform` is installed too.
fn terraform() -> Result<PathBuf, String> {
    let version = Command::new("terraform").arg("version").output();
    if !version.is_ok_and(|o| o.status.success()) {
        return Err("`terraform` is not on the PATH".into());
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let candidates = std::env::var_os("CAIRN_TF_PLUGIN_DIR")
        .map(PathBuf::from)
        .into_iter()
        .chain([
            PathBuf::from("/opt/tf-plugins"),
            home.join(".terraform.d/plugins"),
        ]);
    for dir in candidates {
        if dir.join("registry.terraform.io/hashicorp/aws").is_dir() {
            return Ok(dir);
        }
    }
    Err("no AWS provider plugin directory (set CAIRN_TF_PLUGIN_DIR)".into())
}

struct Estate {
    moto: MotoServer,
    plugins: PathBuf,
    dir: tempfile::TempDir,
}

impl Estate {
    fn new(plugins: PathBuf) -> Estate {
        Estate {
            moto: MotoServer::start(),
            plugins,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// The Terraform configuration `name` of tests/e2e/terraform, with the
    /// provider pointed at this moto.
    fn terraform_config(&self, name: &str) -> PathBuf {
        let src = repo_root().join("tests/e2e/terraform");
        let dir = self.dir.path().join(format!("tf-{name}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(src.join(name).join("main.tf"), dir.join("main.tf")).unwrap();
        let provider = std::fs::read_to_string(src.join("provider.tf.in"))
            .unwrap()
            .replace("@ENDPOINT@", &self.moto.endpoint());
        std::fs::write(dir.join("provider.tf"), provider).unwrap();
        dir
    }

    fn terraform(&self, dir: &Path, args: &[&str]) -> Run {
        Run::from(
            Command::new("terraform")
                .args(args)
                .current_dir(dir)
                .env("TF_IN_AUTOMATION", "1")
                .env("TF_INPUT", "0")
                .env("CHECKPOINT_DISABLE", "1")
                .output()
                .unwrap(),
        )
    }

    /// `cairn ARGS` with moto's credentials; `CAIRN_LOG=debug`, so each
    /// AWS call is on stderr.
    fn cairn(&self, args: &[&str]) -> Run {
        Run::from(
            Command::new(BIN)
                .args(args)
                .current_dir(self.dir.path())
                .env("AWS_ACCESS_KEY_ID", "testing")
                .env("AWS_SECRET_ACCESS_KEY", "testing")
                .env_remove("AWS_ENDPOINT_URL")
                .env_remove("AWS_PROFILE")
                .env("CAIRN_LOG", "debug")
                .env("NO_COLOR", "1")
                .output()
                .unwrap(),
        )
    }

    fn ec2(&self) -> aws_sdk_ec2::Client {
        crate::moto_client!(self, aws_sdk_ec2, "eu-west-2")
    }

    /// terraform init + apply, and a clean `plan -detailed-exitcode`.
    fn terraform_apply(&self, name: &str) -> PathBuf {
        let tf = self.terraform_config(name);
        let plugins = format!("-plugin-dir={}", self.plugins.display());
        self.terraform(&tf, &["init", "-input=false", &plugins])
            .expect(0);
        self.terraform(&tf, &["apply", "-auto-approve", "-input=false"])
            .expect(0);
        self.terraform(&tf, &["plan", "-detailed-exitcode", "-input=false"])
            .expect(0);
        tf
    }
}

/// The AWS operations a run made, from its debug log.
fn calls(run: &Run) -> Vec<String> {
    run.stderr
        .lines()
        .filter(|l| l.contains("aws call"))
        .filter_map(|l| {
            let op = l.split("operation=").nth(1)?;
            Some(
                op.trim_start_matches('"')
                    .split(|c: char| !c.is_ascii_alphanumeric())
                    .next()?
                    .to_string(),
            )
        })
        .collect()
}

fn assert_only_reads(what: &str, run: &Run) {
    let calls = calls(run);
    assert!(!calls.is_empty(), "{what}: no calls logged\n{}", run.stderr);
    let writes: Vec<&String> = calls
        .iter()
        .filter(|c| !["Describe", "List", "Get"].iter().any(|p| c.starts_with(p)))
        .collect();
    assert!(writes.is_empty(), "{what} made write calls: {writes:?}");
}

fn sha256(path: &Path) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(std::fs::read(path).unwrap());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Every managed instance of a Terraform state: address => id.
fn terraform_ids(state: &Path) -> Vec<(String, String)> {
    let state: Value = serde_json::from_str(&std::fs::read_to_string(state).unwrap()).unwrap();
    let mut out = Vec::new();
    for r in state["resources"].as_array().unwrap() {
        if r["mode"] != "managed" {
            continue;
        }
        for i in r["instances"].as_array().unwrap() {
            let key = match &i["index_key"] {
                Value::Null => String::new(),
                k => format!("[{k}]"),
            };
            out.push((
                format!(
                    "{}.{}{key}",
                    r["type"].as_str().unwrap(),
                    r["name"].as_str().unwrap()
                ),
                i["attributes"]["id"].as_str().unwrap().to_string(),
            ));
        }
    }
    out.sort();
    out
}

fn cairn_ids(state: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = state["resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(a, _)| !a.starts_with("data."))
        .map(|(a, r)| (a.clone(), r["id"].as_str().unwrap().to_string()))
        .collect();
    out.sort();
    out
}

/// Converts and migrates `tf` into the stack directory `name`, checking
/// the calls, the clean plans and the ids. Returns the stack directory.
fn move_to_cairn(e: &Estate, tf: &Path, name: &str) -> String {
    let stack = e.dir.path().join(name).display().to_string();
    let tf_dir = tf.display().to_string();
    e.cairn(&["convert", &tf_dir, &stack]).expect(0);
    let dry = e
        .cairn(&[
            "migrate",
            "-C",
            &stack,
            "--from-terraform",
            &tf_dir,
            "--dry-run",
        ])
        .expect(0);
    assert!(calls(&dry).is_empty(), "a dry run reads nothing live");
    let migrate = e
        .cairn(&["migrate", "-C", &stack, "--from-terraform", &tf_dir])
        .expect(0);
    assert_only_reads("migrate", &migrate);
    let plan = e.cairn(&["plan", "-C", &stack, "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{name}: not clean\n{}", plan.stdout);
    assert_only_reads("plan", &plan);
    let drift = e.cairn(&[
        "plan",
        "-C",
        &stack,
        "--refresh-only",
        "--detailed-exitcode",
    ]);
    assert_eq!(drift.code, 0, "{name}: drift\n{}", drift.stdout);

    // The same addresses and ids as Terraform's.
    let pulled = e.cairn(&["state", "pull", "-C", &stack]).expect(0);
    let state: Value = serde_json::from_str(&pulled.stdout).unwrap();
    assert_eq!(
        cairn_ids(&state),
        terraform_ids(&tf.join("terraform.tfstate")),
        "{name}"
    );
    assert_eq!(state["serial"], 1);
    assert_eq!(state["written_by"]["operation"], "migrate");
    assert_eq!(state["migrated_from"]["tool"], "terraform");
    // A second migration refuses and writes nothing.
    let again = e
        .cairn(&["migrate", "-C", &stack, "--from-terraform", &tf_dir])
        .expect(1);
    assert!(again.stderr.contains("already"), "{}", again.stderr);
    assert_eq!(
        e.cairn(&["state", "pull", "-C", &stack]).expect(0).stdout,
        pulled.stdout
    );
    stack
}

#[test]
fn a_terraform_estate_moves_to_cairn_without_recreating_anything() {
    let plugins = match terraform() {
        Ok(p) => p,
        Err(why) => {
            eprintln!(
                "SKIPPED a_terraform_estate_moves_to_cairn_without_recreating_anything: {why}"
            );
            return;
        }
    };
    let e = Estate::new(plugins);
    let ec2 = e.ec2();
    let rt = rt();
    let vpcs_before = rt
        .block_on(ec2.describe_vpcs().send())
        .unwrap()
        .vpcs()
        .len();

    let quick_tf = e.terraform_apply("quickstart");
    let scale_tf = e.terraform_apply("scale");
    let quick_state = quick_tf.join("terraform.tfstate");
    let scale_state = scale_tf.join("terraform.tfstate");
    let sums = (sha256(&quick_state), sha256(&scale_state));

    let quick = move_to_cairn(&e, &quick_tf, "quickstart");
    let scale = move_to_cairn(&e, &scale_tf, "scale");

    // 301 objects planned with a handful of batched reads.
    let plan = e
        .cairn(&["plan", "-C", &scale, "--detailed-exitcode"])
        .expect(0);
    let n = calls(&plan).len();
    assert!(
        n <= 15,
        "the scale plan made {n} AWS calls: {:?}",
        calls(&plan)
    );

    // Terraform's state is as it was, and Terraform still sees no change.
    assert_eq!((sha256(&quick_state), sha256(&scale_state)), sums);
    for tf in [&quick_tf, &scale_tf] {
        e.terraform(tf, &["plan", "-detailed-exitcode", "-input=false"])
            .expect(0);
    }

    // Changes after the move are exactly what was changed.
    let edit = |file: &str, from: &str, to: &str| {
        let path = Path::new(&quick).join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{file} lacks {from:?}:\n{text}");
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    };
    edit(
        "main.toml",
        "enable_dns_hostnames = true",
        "enable_dns_hostnames = false",
    );
    edit(
        "main.toml",
        "Tier = \"public\"",
        "Tier = '${each.key == \"eu-west-2a\" ? \"edge\" : \"public\"}'",
    );
    edit(
        "main.toml",
        "from_port = 443, to_port = 443",
        "from_port = 8443, to_port = 8443",
    );
    let plan = e
        .cairn(&["plan", "-C", &quick, "--detailed-exitcode"])
        .expect(2);
    assert!(
        plan.stdout
            .contains("Plan: 0 to add, 3 to change, 0 to destroy."),
        "{}",
        plan.stdout
    );
    for address in [
        "aws_vpc.this",
        "aws_subnet.public[\"eu-west-2a\"]",
        "aws_security_group.web",
    ] {
        assert!(
            plan.stdout
                .contains(&format!("{address} will be updated in-place")),
            "{address}: {}",
            plan.stdout
        );
    }
    let grow = e
        .cairn(&[
            "plan",
            "-C",
            &scale,
            "--var",
            "n=301",
            "--detailed-exitcode",
        ])
        .expect(2);
    assert!(
        grow.stdout
            .contains("Plan: 1 to add, 0 to change, 0 to destroy.")
            && grow.stdout.contains("aws_subnet.this[300] will be created"),
        "{}",
        grow.stdout
    );

    // Destroying through cairn leaves moto as it was before Terraform ran.
    for stack in [&quick, &scale] {
        e.cairn(&["destroy", "-C", stack, "--auto-approve"])
            .expect(0);
    }
    let vpcs = rt.block_on(ec2.describe_vpcs().send()).unwrap();
    assert_eq!(vpcs.vpcs().len(), vpcs_before);
    let groups = rt
        .block_on(
            ec2.describe_security_groups()
                .filters(
                    Filter::builder()
                        .name("group-name")
                        .values("quickstart-web")
                        .build(),
                )
                .send(),
        )
        .unwrap();
    assert!(groups.security_groups().is_empty());
    let kms = crate::moto_client!(e, aws_sdk_kms, "eu-west-2");
    let aliases = rt.block_on(kms.list_aliases().send()).unwrap();
    assert!(aliases
        .aliases()
        .iter()
        .all(|a| a.alias_name() != Some("alias/quickstart")));
}

#[test]
fn states_cairn_cannot_carry_are_refused_and_nothing_is_written() {
    let plugins = match terraform() {
        Ok(p) => p,
        Err(why) => {
            eprintln!(
                "SKIPPED states_cairn_cannot_carry_are_refused_and_nothing_is_written: {why}"
            );
            return;
        }
    };
    let e = Estate::new(plugins);
    let tf = e.terraform_apply("quickstart");
    let stack = e.dir.path().join("stack").display().to_string();
    e.cairn(&["convert", &tf.display().to_string(), &stack])
        .expect(0);
    let state: Value =
        serde_json::from_str(&std::fs::read_to_string(tf.join("terraform.tfstate")).unwrap())
            .unwrap();

    let refused = |edit: &dyn Fn(&mut Value), expect: &[&str]| {
        let mut s = state.clone();
        edit(&mut s);
        let file = e.dir.path().join("edited.tfstate");
        std::fs::write(&file, s.to_string()).unwrap();
        let run = e
            .cairn(&[
                "migrate",
                "-C",
                &stack,
                "--from-terraform",
                &file.display().to_string(),
            ])
            .expect(1);
        for word in expect {
            assert!(run.stderr.contains(word), "{word}: {}", run.stderr);
        }
        assert!(run.stderr.contains("nothing was written"), "{}", run.stderr);
        assert!(calls(&run).is_empty(), "refused before any call");
        assert!(
            !Path::new(&stack)
                .join("state/tf-quickstart/default.json")
                .exists(),
            "no state was written"
        );
    };
    // An unsupported type and an unsupported provider, named together.
    refused(
        &|s| {
            let resources = s["resources"].as_array_mut().unwrap();
            resources.push(serde_json::json!({
                "mode": "managed", "type": "aws_unicorn", "name": "x",
                "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
                "instances": [{ "attributes": { "id": "u-1" } }]
            }));
            resources.push(serde_json::json!({
                "mode": "managed", "type": "cloudflare_record", "name": "www",
                "provider": "provider[\"registry.terraform.io/cloudflare/cloudflare\"]",
                "instances": [{ "attributes": { "id": "r-1" } }]
            }));
        },
        &["aws_unicorn", "cloudflare_record"],
    );
    // A tainted instance.
    refused(
        &|s| {
            let vpc = s["resources"]
                .as_array_mut()
                .unwrap()
                .iter_mut()
                .find(|r| r["type"] == "aws_vpc")
                .unwrap();
            vpc["instances"][0]["status"] = "tainted".into();
        },
        &["aws_vpc.this is tainted"],
    );
    // Another state format.
    let mut old = state.clone();
    old["version"] = 3.into();
    let file = e.dir.path().join("v3.tfstate");
    std::fs::write(&file, old.to_string()).unwrap();
    let run = e
        .cairn(&[
            "migrate",
            "-C",
            &stack,
            "--from-terraform",
            &file.display().to_string(),
        ])
        .expect(1);
    assert!(run.stderr.contains("format 3"), "{}", run.stderr);
}
