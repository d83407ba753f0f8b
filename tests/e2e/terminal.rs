//! On a terminal (a pseudo-terminal from `script`): colour unless
//! `--no-color` or `NO_COLOR`, and a live progress bar during apply.

use std::process::Command;

use crate::support::{Run, Sandbox};

/// Runs cairn with `args` under a pseudo-terminal, with the sandbox's
/// environment; `no_color` sets NO_COLOR.
fn on_terminal(sb: &Sandbox, args: &[&str], no_color: bool) -> Run {
    let cmd = sb.command(args);
    let line: Vec<String> = std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|a| format!("'{}'", a.to_string_lossy().replace('\'', "'\\''")))
        .collect();
    let mut script = Command::new("script");
    script.args(["-qec", &line.join(" "), "/dev/null"]);
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => script.env(k, v),
            None => script.env_remove(k),
        };
    }
    script.env_remove("NO_COLOR");
    if no_color {
        script.env("NO_COLOR", "1");
    }
    Run::from(
        script
            .output()
            .expect("`script` (bsdutils) runs commands on a pseudo-terminal"),
    )
}

#[test]
fn colour_and_progress_only_on_a_terminal() {
    let sb = Sandbox::with_files(&[(
        "main.toml",
        "[stack]\nname = \"tty\"\n\n[provider.aws]\nregion = \"eu-west-2\"\n\n[resource.aws_vpc.main]\ncidr_block = \"10.94.0.0/16\"\n\n[resource.aws_subnet.a]\nvpc_id = \"${aws_vpc.main.id}\"\ncidr_block = \"10.94.1.0/24\"\n",
    )]);
    let coloured = on_terminal(&sb, &["plan"], false).expect(0);
    assert!(
        coloured.stdout.contains("\x1b[32m  + resource"),
        "{:?}",
        coloured.stdout
    );
    let plain = on_terminal(&sb, &["plan"], true).expect(0);
    assert!(
        !plain.stdout.contains('\x1b'),
        "NO_COLOR: {:?}",
        plain.stdout
    );
    let flag = on_terminal(&sb, &["plan", "--no-color"], false).expect(0);
    assert!(
        !flag.stdout.contains('\x1b'),
        "--no-color: {:?}",
        flag.stdout
    );
    let json = on_terminal(&sb, &["plan", "--json"], false).expect(0);
    assert!(!json.stdout.contains("\x1b["), "JSON is never coloured");

    let apply = on_terminal(&sb, &["apply", "--auto-approve"], false).expect(0);
    assert!(
        apply.stdout.contains("operations"),
        "progress bar: {:?}",
        apply.stdout
    );
    assert!(
        apply
            .stdout
            .contains("aws_subnet.a: Creation complete after"),
        "{}",
        apply.stdout
    );
}

/// `cairn schema | head`: a reader that goes away early is not an error
/// (no panic, no backtrace). The schema is larger than a pipe's buffer, so
/// cairn is still writing when the read end closes.
#[test]
fn a_closed_stdout_is_not_a_crash() {
    use std::process::Stdio;
    let mut child = Command::new(crate::support::BIN)
        .arg("schema")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}
