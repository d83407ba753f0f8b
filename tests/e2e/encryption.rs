//! State encrypted with a KMS key on moto: the generated password (a
//! canary) is absent from the stored bytes and from a saved plan, yet
//! plan, `output` and `state pull` read it; list, show, history and report
//! need no KMS at all; a wrong key and a refused `kms:Decrypt` are clear
//! errors; a key switch through `fallback` and `state encrypt`, and
//! `state decrypt`, each record a new version.

use crate::moto_client;
use crate::support::{rt, Sandbox};

fn stack(encryption: &str) -> String {
    format!(
        r#"
[stack]
name = "sealed"

[provider.aws]
region = "eu-west-2"

[backend]
encryption = {encryption}

[resource.random_password.db]
length = 20
special = false

[resource.aws_secretsmanager_secret.db]
name = "sealed/db"
recovery_window_in_days = 0

[resource.aws_secretsmanager_secret_version.db]
secret_id = "${{aws_secretsmanager_secret.db.id}}"
secret_string = "${{random_password.db.result}}"

[output.db_password]
value = "${{random_password.db.result}}"
sensitive = true
"#
    )
}

#[test]
fn state_secrets_are_sealed_with_kms_and_opened_only_when_needed() {
    let sb = Sandbox::with_files(&[("main.toml", &stack(r#"{ kms_key_id = "alias/state-a" }"#))]);
    let kms = moto_client!(sb, aws_sdk_kms, "eu-west-2");
    let rt = rt();
    let mut arns = Vec::new();
    for alias in ["alias/state-a", "alias/state-b"] {
        let key = rt.block_on(kms.create_key().send()).unwrap();
        let meta = key.key_metadata().unwrap();
        rt.block_on(
            kms.create_alias()
                .alias_name(alias)
                .target_key_id(meta.key_id())
                .send(),
        )
        .unwrap();
        arns.push(meta.arn().unwrap().to_string());
    }
    let (arn_a, arn_b) = (arns[0].clone(), arns[1].clone());

    sb.run(&["apply", "--auto-approve"]).expect(0);
    let password = sb
        .run(&["output", "db_password"])
        .expect(0)
        .stdout
        .trim()
        .to_string();
    assert_eq!(password.len(), 20, "{password}");
    let sm = moto_client!(sb, aws_sdk_secretsmanager, "eu-west-2");
    let stored_secret = rt
        .block_on(sm.get_secret_value().secret_id("sealed/db").send())
        .unwrap();
    assert_eq!(stored_secret.secret_string(), Some(password.as_str()));

    let raw = std::fs::read_to_string(sb.state_file("sealed")).unwrap();
    assert!(
        !raw.contains(&password),
        "the password is in the stored state"
    );
    let state: serde_json::Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(state["encryption"]["kms_key_id"], arn_a.as_str());
    assert_eq!(state["encryption"]["algorithm"], "AES-256-GCM");
    assert!(state["resources"]["random_password.db"]["attributes"]["result"].is_null());
    assert_eq!(
        state["resources"]["aws_secretsmanager_secret.db"]["attributes"]["name"], "sealed/db",
        "what is not secret stays readable"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(sb.state_file("sealed"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // Plans open the state; a saved plan is sealed too.
    let plan_file = sb.stack.join("plan.bin");
    let plan_arg = plan_file.to_str().unwrap();
    sb.run(&["plan", "--detailed-exitcode", "--out", plan_arg])
        .expect(0);
    let saved = std::fs::read(&plan_file).unwrap();
    assert!(
        !String::from_utf8_lossy(&saved).contains(&password),
        "the password is in the saved plan"
    );
    assert!(String::from_utf8_lossy(&saved).contains("AES-256-GCM"));
    sb.run(&["apply", plan_arg]).expect(0);
    assert!(sb
        .run(&["state", "pull"])
        .expect(0)
        .stdout
        .contains(&password));

    // An auditor without KMS: nothing needs to reach it.
    let offline = |args: &[&str]| {
        sb.command(args)
            .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
            .output()
            .unwrap()
    };
    for args in [
        &["state", "list"][..],
        &["state", "show", "random_password.db"],
        &["state", "history"],
    ] {
        let out = offline(args);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!stdout.contains(&password), "{args:?}");
    }
    assert!(
        String::from_utf8_lossy(&offline(&["state", "show", "random_password.db"]).stdout)
            .contains("(sensitive value)")
    );

    // kms:Decrypt refused: the key and the permission are named.
    let proxy = cairn_testkit::proxy::start(sb.moto.port(), |request| {
        if cairn_testkit::proxy::header(request, "x-amz-target") == Some("TrentService.Decrypt") {
            return cairn_testkit::proxy::Answer::Respond(cairn_testkit::proxy::response(
                "400 Bad Request",
                &[("content-type", "application/x-amz-json-1.1")],
                r#"{"__type":"AccessDeniedException","message":"not authorized to perform kms:Decrypt"}"#,
            ));
        }
        cairn_testkit::proxy::Answer::Forward(<[u8]>::to_vec)
    });
    let denied = sb
        .command(&["output", "db_password"])
        .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{proxy}"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&denied.stderr);
    assert_eq!(denied.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("AccessDeniedException")
            && stderr.contains("kms:Decrypt")
            && stderr.contains(&arn_a),
        "{stderr}"
    );
    assert!(!String::from_utf8_lossy(&denied.stdout).contains(&password));

    // Another key without a fallback: refused, both keys named.
    sb.write("main.toml", &stack(r#"{ kms_key_id = "alias/state-b" }"#));
    let wrong = sb.run(&["plan"]).expect(1);
    assert!(
        wrong.stderr.contains(&arn_a)
            && wrong.stderr.contains("alias/state-b")
            && wrong.stderr.contains("fallback"),
        "{}",
        wrong.stderr
    );

    // Switching keys: the old one as fallback, then `state encrypt`.
    sb.write(
        "main.toml",
        &stack(r#"{ kms_key_id = "alias/state-b", fallback = { kms_key_id = "alias/state-a" } }"#),
    );
    sb.run(&["plan", "--detailed-exitcode"]).expect(0);
    let before = sb.state("sealed")["serial"].as_u64().unwrap();
    sb.run(&["state", "encrypt"]).expect(0);
    let state = sb.state("sealed");
    assert_eq!(state["encryption"]["kms_key_id"], arn_b.as_str());
    assert_eq!(state["serial"].as_u64().unwrap(), before + 1);
    assert_eq!(state["written_by"]["operation"], "state encrypt");
    sb.write("main.toml", &stack(r#"{ kms_key_id = "alias/state-b" }"#));
    assert_eq!(
        sb.run(&["output", "db_password"]).expect(0).stdout.trim(),
        password
    );

    // Moving out.
    sb.run(&["state", "decrypt"]).expect(0);
    let raw = std::fs::read_to_string(sb.state_file("sealed")).unwrap();
    assert!(raw.contains(&password));
    assert!(!raw.contains("\"encryption\""));
}
