//! random_password and random_id through the binary: generated once, kept
//! across plans, replaced when `keepers` change, and the password never
//! printed (plan, apply, state show, debug logs) while it and the id reach
//! AWS where the configuration uses them (checked through the SDK).

use aws_sdk_ec2::types::Filter;

use crate::support::{rt, Sandbox};

const STACK: &str = r#"
[stack]
name = "random"

[provider.aws]
region = "eu-west-2"

[resource.random_password.db]
length = 24
min_special = 2
override_special = "!#%"
keepers = { rotation = "1" }

[resource.random_id.suffix]
byte_length = 4

[resource.aws_vpc.main]
cidr_block = "10.88.0.0/16"
tags = { Name = "app-${random_id.suffix.hex}" }

[resource.aws_secretsmanager_secret.db]
name = "random/db-password"
recovery_window_in_days = 0

[resource.aws_secretsmanager_secret_version.db]
secret_id = "${aws_secretsmanager_secret.db.id}"
secret_string = "${random_password.db.result}"

[output.db_password]
value = "${random_password.db.result}"
sensitive = true
"#;

#[test]
fn passwords_stay_secret_stable_and_rotate_with_their_keepers() {
    let sb = Sandbox::with_files(&[("main.toml", STACK)]);
    let applied = sb.run(&["apply", "--auto-approve"]).expect(0);
    let state = sb.state("random");
    let password = state["resources"]["random_password.db"]["attributes"]["result"]
        .as_str()
        .unwrap_or_else(|| panic!("no password in state: {state:#}"))
        .to_string();
    assert_eq!(password.chars().count(), 24);
    assert!(password.chars().filter(|c| "!#%".contains(*c)).count() >= 2);
    let hex = state["resources"]["random_id.suffix"]["attributes"]["hex"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(hex.len(), 8);

    let shown = sb.run(&["state", "show", "random_password.db"]).expect(0);
    let stored = sb
        .run(&["state", "show", "aws_secretsmanager_secret_version.db"])
        .expect(0);
    let again = crate::support::Run::from(
        sb.command(&["plan", "--detailed-exitcode"])
            .env("CAIRN_LOG", "debug")
            .output()
            .unwrap(),
    )
    .expect(0);
    for out in [&applied, &shown, &stored, &again] {
        assert!(!out.stdout.contains(&password) && !out.stderr.contains(&password));
    }
    assert!(
        again.stderr.contains("GetSecretValue"),
        "the value is refreshed: {}",
        again.stderr
    );
    // The secret holds it.
    let sm = aws_sdk_secretsmanager::Client::from_conf(
        aws_sdk_secretsmanager::Config::builder()
            .behavior_version(aws_sdk_secretsmanager::config::BehaviorVersion::latest())
            .region(aws_sdk_secretsmanager::config::Region::new("eu-west-2"))
            .endpoint_url(sb.moto.endpoint())
            .credentials_provider(aws_sdk_secretsmanager::config::Credentials::new(
                "testing", "testing", None, None, "e2e",
            ))
            .build(),
    );
    let value = rt()
        .block_on(sm.get_secret_value().secret_id("random/db-password").send())
        .unwrap();
    assert_eq!(value.secret_string(), Some(password.as_str()));
    assert!(
        shown.stdout.contains("(sensitive value)"),
        "{}",
        shown.stdout
    );

    // The id reached AWS where the configuration put it.
    let vpcs = rt()
        .block_on(
            sb.ec2()
                .describe_vpcs()
                .filters(
                    Filter::builder()
                        .name("tag:Name")
                        .values(format!("app-{hex}"))
                        .build(),
                )
                .send(),
        )
        .unwrap();
    assert_eq!(vpcs.vpcs().len(), 1);

    // New keepers: a new password, and a new version of the secret.
    sb.edit("main.toml", "rotation = \"1\"", "rotation = \"2\"");
    let plan = sb.run(&["plan", "--detailed-exitcode"]).expect(2);
    assert!(
        plan.stdout.contains("random_password.db must be replaced"),
        "{}",
        plan.stdout
    );
    // The password, and the secret version that holds it.
    assert!(
        plan.stdout
            .contains("Plan: 2 to add, 0 to change, 2 to destroy."),
        "{}",
        plan.stdout
    );
    sb.run(&["apply", "--auto-approve"]).expect(0);
    let rotated = sb.state("random")["resources"]["random_password.db"]["attributes"]["result"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(rotated, password);
}
