//! The local file backend against the backend contract.

use cairn_state::LocalBackend;
use cairn_testkit::backend_contract;

fn fresh() -> (tempfile::TempDir, LocalBackend) {
    let dir = tempfile::tempdir().unwrap();
    let b = LocalBackend::new(dir.path().join("stack/test.json"));
    (dir, b)
}

#[tokio::test]
async fn compare_and_swap() {
    let (_d, b) = fresh();
    backend_contract::compare_and_swap(&b).await;
}

#[tokio::test]
async fn exclusive_lock() {
    let (_d, b) = fresh();
    backend_contract::exclusive_lock(&b).await;
}

#[tokio::test]
async fn versions() {
    let (_d, b) = fresh();
    backend_contract::versions(&b).await;
    // A file keeps one version, and says so.
    let list = cairn_state::Backend::versions(&b).await.unwrap();
    assert_eq!(list.versions.len(), 1);
    assert!(list.warning.is_some());
}
