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

#[tokio::test]
async fn hash_chain() {
    let (_d, b) = fresh();
    backend_contract::hash_chain(&b).await;
    // One version kept, its predecessor gone by design: whole, with a note.
    let v = cairn_state::verify(&b).await.unwrap();
    assert_eq!(v.versions.len(), 1);
    assert!(v.versions[0].notes[0].contains("not kept by this backend"));
    assert!(v.warning.is_some());
}

#[tokio::test]
async fn a_local_file_edited_by_hand_fails_verification() {
    let (_d, b) = fresh();
    backend_contract::hash_chain(&b).await;
    let text = std::fs::read_to_string(b.path()).unwrap();
    std::fs::write(b.path(), text.replace("  ", "\t")).unwrap();
    let v = cairn_state::verify(&b).await.unwrap();
    assert!(!v.whole);
    assert_eq!(v.versions[0].codes, vec!["not_canonical"]);
}
