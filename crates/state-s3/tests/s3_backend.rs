//! The S3 backend against moto: the backend contract, leases, the lost
//! update that Terraform's S3 backend allows, checksums, history and
//! bootstrap, checked through the S3 API directly.

use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use cairn_aws::{AwsContext, AwsSettings};
use cairn_state::{Backend, LockInfo, StateDocument, StateError};
use cairn_state_s3::{S3Backend, S3Settings};
use cairn_testkit::fixtures::aws_test_env;
use cairn_testkit::{backend_contract, MotoServer};

struct Env {
    _moto: MotoServer,
    aws: AwsContext,
    s3: aws_sdk_s3::Client,
}

const BUCKET: &str = "cairn-state-test";
const KEY: &str = "tracker/staging.json";

async fn env() -> Env {
    aws_test_env();
    let moto = MotoServer::start();
    let aws = AwsContext::new(AwsSettings {
        endpoint_url: Some(moto.endpoint()),
        region: Some("eu-west-2".into()),
        ..Default::default()
    });
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(aws.sdk_config().await.unwrap())
            .force_path_style(true)
            .build(),
    );
    Env {
        _moto: moto,
        aws,
        s3,
    }
}

impl Env {
    fn backend(&self, lease: Duration) -> S3Backend {
        S3Backend::new(
            S3Settings {
                bucket: BUCKET.into(),
                key: KEY.into(),
                kms_key_id: None,
                lock_lease: lease,
            },
            self.aws.clone(),
        )
    }

    /// A backend on another key of the same bucket.
    fn keyed(&self, key: &str) -> S3Backend {
        S3Backend::new(
            S3Settings {
                bucket: BUCKET.into(),
                key: key.into(),
                kms_key_id: None,
                lock_lease: Duration::from_secs(120),
            },
            self.aws.clone(),
        )
    }

    /// A bootstrapped bucket and a backend on it.
    async fn ready(&self) -> S3Backend {
        let b = self.backend(Duration::from_secs(120));
        b.bootstrap().await.unwrap();
        b
    }

    async fn stored(&self) -> StateDocument {
        let out = self
            .s3
            .get_object()
            .bucket(BUCKET)
            .key(KEY)
            .send()
            .await
            .unwrap();
        let bytes = out.body.collect().await.unwrap().into_bytes();
        serde_json::from_slice(&bytes).unwrap()
    }
}

#[tokio::test]
async fn passes_the_backend_contract() {
    let env = env().await;
    let b = env.ready().await;
    backend_contract::compare_and_swap(&b).await;
    env.s3
        .delete_object()
        .bucket(BUCKET)
        .key(KEY)
        .send()
        .await
        .unwrap();
    let b = env.backend(Duration::from_secs(120));
    backend_contract::exclusive_lock(&b).await;

    // Versions of a fresh key.
    let b = S3Backend::new(
        S3Settings {
            bucket: BUCKET.into(),
            key: "other/versions.json".into(),
            kms_key_id: None,
            lock_lease: Duration::from_secs(120),
        },
        env.aws.clone(),
    );
    backend_contract::versions(&b).await;
    let list = b.versions().await.unwrap();
    assert_eq!(list.versions.len(), 3, "one version per write");
    assert!(list.warning.is_none(), "{:?}", list.warning);

    let b = env.keyed("other/chain.json");
    backend_contract::hash_chain(&b).await;
}

#[tokio::test]
async fn a_forced_unlock_cannot_make_a_lost_update() {
    let env = env().await;
    let a = env.ready().await;
    let a_lock = LockInfo::new("apply", "tracker", Some("staging"));
    a.lock(&a_lock).await.unwrap();
    let mut doc = StateDocument::new("tracker", Some("staging"));
    let v1 = a.write(&doc, None).await.unwrap();

    // Someone force-removes A's lock; B locks and writes.
    env.s3
        .delete_object()
        .bucket(BUCKET)
        .key(format!("{KEY}.lock"))
        .send()
        .await
        .unwrap();
    let b = env.backend(Duration::from_secs(120));
    let b_lock = LockInfo::new("apply", "tracker", Some("staging"));
    b.lock(&b_lock).await.unwrap();
    let read = b.read().await.unwrap().unwrap();
    let mut b_doc = read.doc.clone();
    b_doc.serial = 1;
    b_doc.outputs.insert(
        "by".into(),
        cairn_state::OutputState {
            value: "b".into(),
            sensitive: false,
        },
    );
    b.write(&b_doc, Some(&read.version)).await.unwrap();

    // A's next write, based on what A last wrote, is refused...
    doc.serial = 1;
    assert!(matches!(
        a.write(&doc, Some(&v1)).await,
        Err(StateError::Conflict { .. })
    ));
    // ...A cannot renew or release a lock that is no longer its own...
    assert!(matches!(
        a.renew(&a_lock).await,
        Err(StateError::LockLost { .. })
    ));
    assert!(matches!(
        a.unlock(&a_lock.id).await,
        Err(StateError::NoSuchLock { .. })
    ));
    // ...and B's state and lock are intact.
    assert_eq!(env.stored().await.outputs["by"].value, "b");
    assert_eq!(b.current_lock().await.unwrap().unwrap().id, b_lock.id);
}

#[tokio::test]
async fn an_expired_lease_is_taken_over_and_not_before() {
    let env = env().await;
    env.ready().await;
    let lease = Duration::from_secs(2);
    let dead = env.backend(lease);
    let dead_lock = LockInfo::new("apply", "tracker", Some("staging"));
    dead.lock(&dead_lock).await.unwrap();
    drop(dead); // never renews, never releases: it was killed

    let next = env.backend(lease);
    let me = LockInfo::new("apply", "tracker", Some("staging"));
    match next.lock(&me).await {
        Err(StateError::Locked(h)) => assert_eq!(h.id, dead_lock.id),
        r => panic!("a live lease must not be taken over: {r:?}"),
    }
    tokio::time::sleep(lease + Duration::from_millis(1100)).await;
    let previous = next.lock(&me).await.unwrap();
    assert_eq!(previous.map(|p| p.id), Some(dead_lock.id));
    assert_eq!(next.current_lock().await.unwrap().unwrap().id, me.id);
}

#[tokio::test]
async fn a_renewed_lease_outlives_its_first_expiry() {
    let env = env().await;
    env.ready().await;
    let lease = Duration::from_secs(2);
    let holder = env.backend(lease);
    let info = LockInfo::new("apply", "tracker", Some("staging"));
    holder.lock(&info).await.unwrap();
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(900)).await;
        holder.renew(&info).await.unwrap();
    }
    let other = env.backend(lease);
    let me = LockInfo::new("apply", "tracker", Some("staging"));
    assert!(matches!(other.lock(&me).await, Err(StateError::Locked(_))));
}

#[tokio::test]
async fn content_altered_outside_cairn_is_refused_on_read() {
    let env = env().await;
    let b = env.ready().await;
    b.write(&StateDocument::new("tracker", Some("staging")), None)
        .await
        .unwrap();
    let head = env
        .s3
        .head_object()
        .bucket(BUCKET)
        .key(KEY)
        .send()
        .await
        .unwrap();
    let sum = head.metadata().unwrap()["cairn-sha256"].clone();
    // Same metadata, different body.
    env.s3
        .put_object()
        .bucket(BUCKET)
        .key(KEY)
        .metadata("cairn-sha256", sum)
        .body(ByteStream::from_static(b"{\"tampered\": true}"))
        .send()
        .await
        .unwrap();
    match b.read().await {
        Err(StateError::Corrupt { message, .. }) => {
            assert!(message.contains("SHA-256"), "{message}")
        }
        r => panic!("expected Corrupt, got {r:?}"),
    }
}

#[tokio::test]
async fn state_objects_are_encrypted_and_locks_tagged() {
    let env = env().await;
    let b = env.ready().await;
    let info = LockInfo::new("apply", "tracker", Some("staging"));
    b.lock(&info).await.unwrap();
    b.write(&StateDocument::new("tracker", Some("staging")), None)
        .await
        .unwrap();
    let head = env
        .s3
        .head_object()
        .bucket(BUCKET)
        .key(KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(
        head.server_side_encryption().map(|s| s.as_str()),
        Some("AES256")
    );
    let tags = env
        .s3
        .get_object_tagging()
        .bucket(BUCKET)
        .key(format!("{KEY}.lock"))
        .send()
        .await
        .unwrap();
    assert!(tags
        .tag_set()
        .iter()
        .any(|t| t.key() == "cairn-object" && t.value() == "lock"));
}

#[tokio::test]
async fn history_counts_changes_between_versions() {
    let env = env().await;
    let b = env.ready().await;
    let mut doc = StateDocument::new("tracker", Some("staging"));
    let attrs = |cidr: &str| -> cairn_core::Object {
        [("cidr_block".to_string(), cairn_core::Value::from(cidr))].into()
    };
    let rs = |cidr: &str| {
        cairn_state::ResourceState::new("aws_vpc", "aws", "vpc-1", &attrs(cidr), vec![])
    };
    doc.resources.insert("aws_vpc.a".into(), rs("10.0.0.0/16"));
    doc.resources.insert("aws_vpc.b".into(), rs("10.1.0.0/16"));
    doc.serial = 1;
    let v = b.write(&doc, None).await.unwrap();
    doc.resources.insert("aws_vpc.a".into(), rs("10.9.0.0/16"));
    doc.resources.remove("aws_vpc.b");
    doc.resources.insert("aws_vpc.c".into(), rs("10.2.0.0/16"));
    doc.serial = 2;
    b.write(&doc, Some(&v)).await.unwrap();

    let (entries, warning) = cairn_state::history(&b).await.unwrap();
    assert!(warning.is_none());
    let summary: Vec<_> = entries
        .iter()
        .map(|e| (e.serial, e.added, e.changed, e.removed))
        .collect();
    assert_eq!(summary, [(2, 1, 1, 1), (1, 2, 0, 0)]);
}

#[tokio::test]
async fn history_warns_when_the_bucket_is_not_versioned() {
    let env = env().await;
    env.s3
        .create_bucket()
        .bucket(BUCKET)
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::EuWest2)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let b = env.backend(Duration::from_secs(120));
    b.write(&StateDocument::new("tracker", Some("staging")), None)
        .await
        .unwrap();
    let list = b.versions().await.unwrap();
    assert!(list.warning.unwrap().contains("versioning is not enabled"));
}

#[tokio::test]
async fn bootstrap_is_idempotent_and_makes_the_bucket_safe() {
    let env = env().await;
    let b = env.backend(Duration::from_secs(120));
    let first = b.bootstrap().await.unwrap();
    assert!(first.iter().all(|s| s.changed), "{first:?}");
    let second = b.bootstrap().await.unwrap();
    assert!(second.iter().all(|s| !s.changed), "{second:?}");

    // Versioning is on: two writes leave two versions. (The SDK cannot
    // parse moto's GetBucketVersioning answer, so look at the versions.)
    let v1 = b
        .write(&StateDocument::new("tracker", Some("staging")), None)
        .await
        .unwrap();
    let mut doc = b.read().await.unwrap().unwrap().doc;
    doc.serial = 1;
    b.write(&doc, Some(&v1)).await.unwrap();
    let listed = env
        .s3
        .list_object_versions()
        .bucket(BUCKET)
        .prefix(KEY)
        .send()
        .await
        .unwrap();
    let ids: std::collections::BTreeSet<_> = listed
        .versions()
        .iter()
        .filter_map(|v| v.version_id())
        .collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert!(!ids.contains("null"));
    let pab = env
        .s3
        .get_public_access_block()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    let c = pab.public_access_block_configuration().unwrap();
    assert_eq!(
        (
            c.block_public_acls(),
            c.ignore_public_acls(),
            c.block_public_policy(),
            c.restrict_public_buckets()
        ),
        (Some(true), Some(true), Some(true), Some(true))
    );
    let enc = env
        .s3
        .get_bucket_encryption()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    let rule = &enc.server_side_encryption_configuration().unwrap().rules()[0];
    assert_eq!(
        rule.apply_server_side_encryption_by_default()
            .unwrap()
            .sse_algorithm()
            .as_str(),
        "AES256"
    );
    let lc = env
        .s3
        .get_bucket_lifecycle_configuration()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    assert!(lc
        .rules()
        .iter()
        .any(|r| r.noncurrent_version_expiration().is_some()));
}

#[tokio::test]
async fn a_holder_whose_lock_is_removed_stops_starting_work() {
    let env = env().await;
    env.ready().await;
    let backend: std::sync::Arc<dyn Backend> =
        std::sync::Arc::new(env.backend(Duration::from_millis(1500)));
    let info = LockInfo::new("apply", "tracker", Some("staging"));
    backend.lock(&info).await.unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let keeper = cairn_state::LeaseKeeper::spawn(backend.clone(), info, stop.clone());

    // Renewals keep it alive...
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert!(keeper.lost().is_none());
    assert!(!stop.load(std::sync::atomic::Ordering::SeqCst));

    // ...until someone force-removes it: the next renewal notices.
    env.s3
        .delete_object()
        .bucket(BUCKET)
        .key(format!("{KEY}.lock"))
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(stop.load(std::sync::atomic::Ordering::SeqCst));
    assert!(
        keeper.lost().unwrap().contains("lost"),
        "{:?}",
        keeper.lost()
    );
}

// ------------------------------------------------------------ tamper evidence

/// `n` versions of `key` written the way every cairn command writes (the
/// coalescing writer, then a locked edit), and their S3 version ids, oldest
/// first.
async fn written_history(env: &Env, key: &str, n: u64) -> (S3Backend, Vec<String>) {
    let b = env.keyed(key);
    let who = cairn_state::WrittenBy {
        who: "t@h".into(),
        when: String::new(),
        operation: "apply".into(),
        cairn_version: "0".into(),
        lock_id: None,
    };
    let backend: std::sync::Arc<dyn Backend> = std::sync::Arc::new(env.keyed(key));
    let mut doc = StateDocument::new("tracker", Some("staging"));
    let mut version = None;
    for i in 0..n {
        // One writer per "apply", awaited, so every serial is stored.
        let w = cairn_state::StateWriter::spawn(backend.clone(), version.clone(), who.clone());
        doc.outputs.insert(
            format!("o{i}"),
            cairn_state::OutputState {
                value: i.into(),
                sensitive: false,
            },
        );
        w.submit(doc.clone());
        version = w.finish().await.unwrap();
        doc.serial += 1;
    }
    let ids = b
        .versions()
        .await
        .unwrap()
        .versions
        .into_iter()
        .rev()
        .map(|v| v.id)
        .collect::<Vec<_>>();
    assert_eq!(ids.len() as u64, n);
    (b, ids)
}

impl Env {
    async fn object(&self, key: &str, version: Option<&str>) -> (Vec<u8>, Option<String>) {
        let out = self
            .s3
            .get_object()
            .bucket(BUCKET)
            .key(key)
            .set_version_id(version.map(str::to_string))
            .send()
            .await
            .unwrap();
        let sum = out.metadata().and_then(|m| m.get("cairn-sha256")).cloned();
        (out.body.collect().await.unwrap().into_bytes().to_vec(), sum)
    }

    /// Puts `body` as the newest version of `key` behind cairn's back, with
    /// `sum` as its `cairn-sha256` metadata; returns the new version id.
    async fn put_raw(&self, key: &str, body: Vec<u8>, sum: Option<String>) -> String {
        let mut put = self.s3.put_object().bucket(BUCKET).key(key);
        if let Some(sum) = sum {
            put = put.metadata("cairn-sha256", sum);
        }
        put.body(ByteStream::from(body))
            .send()
            .await
            .unwrap()
            .version_id()
            .unwrap()
            .to_string()
    }
}

fn sha(bytes: &[u8]) -> String {
    cairn_state::sha256_hex(bytes)
}

#[tokio::test]
async fn an_untouched_history_verifies_whole_and_links_every_version() {
    let env = env().await;
    env.ready().await;
    let (b, ids) = written_history(&env, "chain/untouched.json", 4).await;
    let v = cairn_state::verify(&b).await.unwrap();
    assert!(v.whole, "{v:#?}");
    assert_eq!(v.first_bad, None);
    let got: Vec<_> = v.versions.iter().map(|c| c.id.clone()).collect();
    assert_eq!(got, ids, "oldest first, in storage order");
    assert_eq!(v.versions[0].previous_sha256, None);
    for (i, c) in v.versions.iter().enumerate().skip(1) {
        let (bytes, sum) = env.object("chain/untouched.json", Some(&ids[i - 1])).await;
        // The digest is of the exact stored bytes, and equals the checksum
        // cairn stored beside them.
        assert_eq!(c.previous_sha256.as_deref(), Some(sha(&bytes).as_str()));
        assert_eq!(sum, Some(sha(&bytes)));
        assert_eq!(c.serial, Some(i as u64 + 1));
        assert_eq!(c.written_by.as_ref().unwrap().operation, "apply");
        assert!(c.stored.is_some());
    }
}

#[tokio::test]
async fn an_edit_outside_cairn_is_named_and_cairn_chains_on_after_it() {
    let env = env().await;
    env.ready().await;
    let key = "chain/edited.json";
    let (b, _) = written_history(&env, key, 3).await;
    // An edit of the stored document uploaded with the SDK: a new version
    // without cairn's checksum, linking where the edited version linked.
    let (bytes, _) = env.object(key, None).await;
    let edited = String::from_utf8(bytes)
        .unwrap()
        .replace("\"o0\"", "\"evil\"");
    let bad = env.put_raw(key, edited.into_bytes(), None).await;
    let v = cairn_state::verify(&b).await.unwrap();
    assert!(!v.whole);
    assert_eq!(v.first_bad.as_deref(), Some(bad.as_str()));
    let last = v.versions.last().unwrap();
    assert_eq!(last.codes, ["no_checksum", "serial_gap", "chain_break"]);

    // cairn writes on top of it (reading warns); the new version links to
    // the edited bytes, so the edit stays the one finding.
    let current = b.read().await.unwrap().unwrap();
    let mut doc = current.doc;
    doc.serial += 1;
    b.write(&doc, Some(&current.version)).await.unwrap();
    let v = cairn_state::verify(&b).await.unwrap();
    assert_eq!(v.first_bad.as_deref(), Some(bad.as_str()));
    assert!(v.versions.last().unwrap().problems.is_empty(), "{v:#?}");
}

#[tokio::test]
async fn a_forged_checksum_does_not_hide_a_broken_link() {
    let env = env().await;
    env.ready().await;
    let key = "chain/forged.json";
    let (b, _) = written_history(&env, key, 3).await;
    // Serialised like cairn, next serial, its checksum forged to match:
    // only the link (still the edited version's predecessor) gives it away.
    let (bytes, _) = env.object(key, None).await;
    let mut doc: StateDocument = serde_json::from_slice(&bytes).unwrap();
    doc.serial += 1;
    doc.outputs.clear();
    let body = doc.to_json_pretty().into_bytes();
    let bad = env.put_raw(key, body.clone(), Some(sha(&body))).await;
    let v = cairn_state::verify(&b).await.unwrap();
    assert_eq!(v.first_bad.as_deref(), Some(bad.as_str()));
    assert_eq!(v.versions.last().unwrap().codes, ["chain_break"]);
}

#[tokio::test]
async fn a_deleted_version_is_found_at_the_one_after_it() {
    let env = env().await;
    env.ready().await;
    let key = "chain/deleted.json";
    let (b, ids) = written_history(&env, key, 4).await;
    env.s3
        .delete_object()
        .bucket(BUCKET)
        .key(key)
        .version_id(&ids[1])
        .send()
        .await
        .unwrap();
    let v = cairn_state::verify(&b).await.unwrap();
    assert_eq!(v.versions.len(), 3);
    assert_eq!(v.first_bad.as_deref(), Some(ids[2].as_str()));
    assert_eq!(v.versions[1].codes, ["serial_gap", "deleted_version"]);
    assert!(v.versions[2].problems.is_empty());

    // Deleting the oldest is detected too: versioning keeps every version,
    // so the oldest's missing predecessor was removed.
    env.s3
        .delete_object()
        .bucket(BUCKET)
        .key(key)
        .version_id(&ids[0])
        .send()
        .await
        .unwrap();
    let v = cairn_state::verify(&b).await.unwrap();
    assert_eq!(v.first_bad.as_deref(), Some(ids[2].as_str()));
    assert_eq!(v.versions[0].codes, ["deleted_version"]);
}

#[tokio::test]
async fn an_old_version_uploaded_again_as_the_newest_is_a_reorder() {
    let env = env().await;
    env.ready().await;
    let key = "chain/reordered.json";
    let (b, ids) = written_history(&env, key, 4).await;
    // Its own bytes and its own (valid) checksum: only the chain can tell.
    let (bytes, sum) = env.object(key, Some(&ids[1])).await;
    let bad = env.put_raw(key, bytes, sum).await;
    let v = cairn_state::verify(&b).await.unwrap();
    assert_eq!(v.first_bad.as_deref(), Some(bad.as_str()));
    let last = v.versions.last().unwrap();
    assert_eq!(last.codes, ["serial_gap", "chain_break", "copy"]);
    assert!(last.problems[1].contains(&ids[0]), "{:?}", last.problems);
    assert!(last.problems[2].contains(&ids[1]), "{:?}", last.problems);
}

#[tokio::test]
async fn a_history_from_before_the_chain_is_not_called_tampered() {
    let env = env().await;
    env.ready().await;
    let key = "chain/old.json";
    // What an older cairn wrote: canonical bodies with checksums, no link.
    let mut doc = StateDocument::new("tracker", Some("staging"));
    for serial in 1..=2 {
        doc.serial = serial;
        let body = doc.to_json_pretty().into_bytes();
        env.put_raw(key, body.clone(), Some(sha(&body))).await;
    }
    let b = env.keyed(key);
    let current = b.read().await.unwrap().unwrap();
    doc.serial = 3;
    b.write(&doc, Some(&current.version)).await.unwrap();
    let v = cairn_state::verify(&b).await.unwrap();
    assert!(v.whole, "{v:#?}");
    assert!(v.versions[1].notes[0].contains("before cairn kept the hash chain"));
    assert!(v.versions[2].previous_sha256.is_some());
}

// ----------------------------------------------------------------- object lock

fn locked(days: i32, mode: cairn_state_s3::LockMode) -> cairn_state_s3::BootstrapOptions {
    cairn_state_s3::BootstrapOptions {
        object_lock: Some(cairn_state_s3::ObjectLock { days, mode }),
    }
}

#[tokio::test]
async fn bootstrap_with_object_lock_makes_state_versions_undeletable() {
    use cairn_state_s3::LockMode;
    let env = env().await;
    let b = env.backend(Duration::from_secs(120));
    let steps = b
        .bootstrap_with(&locked(7, LockMode::Governance))
        .await
        .unwrap();
    let step = steps.iter().find(|s| s.what == "object lock").unwrap();
    assert!(step.changed, "{step:?}");
    let conf = env
        .s3
        .get_object_lock_configuration()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    let conf = conf.object_lock_configuration().unwrap();
    assert_eq!(
        conf.object_lock_enabled().map(|e| e.as_str()),
        Some("Enabled")
    );
    let retention = conf.rule().unwrap().default_retention().unwrap();
    assert_eq!(retention.mode().map(|m| m.as_str()), Some("GOVERNANCE"));
    assert_eq!(retention.days(), Some(7));

    // Again: nothing changes. A stricter mode is applied in place.
    let again = b
        .bootstrap_with(&locked(7, LockMode::Governance))
        .await
        .unwrap();
    assert!(again.iter().all(|s| !s.changed), "{again:?}");
    let stricter = b
        .bootstrap_with(&locked(30, LockMode::Compliance))
        .await
        .unwrap();
    let step = stricter.iter().find(|s| s.what == "object lock").unwrap();
    assert!(
        step.changed && step.detail.contains("was GOVERNANCE 7"),
        "{step:?}"
    );

    // State written through cairn: its versions cannot be deleted.
    let (b, ids) = written_history(&env, KEY, 2).await;
    let (bytes, _) = env.object(KEY, Some(&ids[0])).await;
    assert!(!bytes.is_empty());
    let deleted = env
        .s3
        .delete_object()
        .bucket(BUCKET)
        .key(KEY)
        .version_id(&ids[0])
        .send()
        .await;
    assert!(deleted.is_err(), "a locked version must not be deletable");
    let v = cairn_state::verify(&b).await.unwrap();
    assert!(v.whole, "{v:#?}");
}

#[tokio::test]
async fn object_lock_on_an_existing_bucket_is_enabled_or_refused_clearly() {
    use cairn_state_s3::LockMode;
    let env = env().await;
    // An existing empty bucket without object lock: turned on in place.
    let b = env.ready().await;
    let steps = b
        .bootstrap_with(&locked(1, LockMode::Governance))
        .await
        .unwrap();
    let step = steps.iter().find(|s| s.what == "object lock").unwrap();
    assert!(
        step.changed && step.detail.contains("existing bucket"),
        "{step:?}"
    );

    // A bucket holding state that refuses (moto keeps S3's old rule that
    // only an empty bucket may get it; AWS now allows it): the message
    // says what to do instead.
    let other = S3Backend::new(
        S3Settings {
            bucket: "cairn-state-unlocked".into(),
            key: KEY.into(),
            kms_key_id: None,
            lock_lease: Duration::from_secs(120),
        },
        env.aws.clone(),
    );
    other.bootstrap().await.unwrap();
    other
        .write(&StateDocument::new("tracker", Some("staging")), None)
        .await
        .unwrap();
    match other.bootstrap_with(&locked(1, LockMode::Governance)).await {
        Err(e) => {
            let msg = e.to_string();
            assert!(msg.contains("backend migrate"), "{msg}");
            assert!(msg.contains("--object-lock-days"), "{msg}");
        }
        Ok(steps) => {
            // An S3 that follows AWS's current rule: enabled in place.
            let step = steps.iter().find(|s| s.what == "object lock").unwrap();
            assert!(step.detail.contains("existing bucket"), "{step:?}");
        }
    }
}
