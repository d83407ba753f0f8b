//! A second process finds the state locked: it names the holder and exits
//! with the documented code 4, touching nothing.

use crate::support::Sandbox;

#[test]
fn a_locked_state_names_its_holder_and_exits_4() {
    let sb = Sandbox::with_files(&[(
        "main.toml",
        "[stack]\nname = \"locked\"\n\n[provider.aws]\nregion = \"eu-west-2\"\n\n[resource.aws_vpc.main]\ncidr_block = \"10.60.0.0/16\"\n",
    )]);
    let lock = sb.state_file("locked").with_extension("json.lock");
    std::fs::create_dir_all(lock.parent().unwrap()).unwrap();
    // Held by a live process (this test) on this host.
    let holder = serde_json::json!({
        "id": "11111111-2222-3333-4444-555555555555",
        "operation": "apply",
        "who": "alice@ci-runner",
        "created": "2026-11-22T10:00:00Z",
        "cairn_version": "0.1.0",
        "stack": "locked",
        "pid": std::process::id(),
        "host": std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default().trim(),
    });
    std::fs::write(&lock, holder.to_string()).unwrap();
    let run = sb.run(&["apply", "--auto-approve"]).expect(4);
    assert!(run.stderr.contains("alice@ci-runner"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("cairn state unlock 11111111-2222-3333-4444-555555555555"),
        "{}",
        run.stderr
    );
    assert!(!sb.state_file("locked").exists(), "nothing was written");

    // Released with the documented command, apply proceeds.
    sb.run(&[
        "state",
        "unlock",
        "11111111-2222-3333-4444-555555555555",
        "--force",
    ])
    .expect(0);
    sb.run(&["apply", "--auto-approve"]).expect(0);
    assert!(!lock.exists(), "apply releases its lock");
}
