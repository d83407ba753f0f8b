//! A moto server (a real AWS-compatible HTTP endpoint) for tests: started on
//! a free loopback port, stopped when dropped.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct MotoServer {
    child: Child,
    port: u16,
}

impl MotoServer {
    /// Starts `moto_server` on a free port and waits until it answers.
    ///
    /// # Panics
    /// If `moto_server` is not installed or does not come up: tests cannot
    /// run without it, and the message says how to install it.
    pub fn start() -> MotoServer {
        MotoServer::start_with_env(&[])
    }

    /// Like [`MotoServer::start`], with these environment variables set for
    /// the server (`MOTO_ACM_VALIDATION_WAIT`, 0 unless given, ...).
    pub fn start_with_env(vars: &[(&str, &str)]) -> MotoServer {
        let mut last_err = String::new();
        // The port is free when probed but another process could take it
        // before moto binds: try a few.
        for _ in 0..3 {
            let port = free_port();
            let child = Command::new("moto_server")
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .env("MOTO_ACM_VALIDATION_WAIT", "0")
                .envs(vars.iter().copied())
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn();
            let child = match child {
                Ok(c) => c,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    panic!(
                        "moto_server not found on PATH: install it with pip install 'moto[server]'"
                    )
                }
                Err(e) => panic!("cannot start moto_server: {e}"),
            };
            let mut server = MotoServer { child, port };
            match server.wait_ready(Duration::from_secs(30)) {
                Ok(()) => return server,
                Err(e) => last_err = e,
            }
        }
        panic!("moto_server did not come up: {last_err}")
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    fn wait_ready(&mut self, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("moto_server exited with {status}"));
            }
            if http_get(self.port, "/moto-api/").is_ok() {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("no answer on port {} after {timeout:?}", self.port));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(5000)
}

fn http_get(port: u16, path: &str) -> std::io::Result<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(2)))?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    if out.starts_with("HTTP/") {
        Ok(out)
    } else {
        Err(std::io::Error::other("not HTTP"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_answers_and_stops() {
        let port;
        {
            let m = MotoServer::start();
            port = m.port();
            assert!(http_get(port, "/moto-api/").is_ok());
        }
        assert!(http_get(port, "/moto-api/").is_err(), "stopped on drop");
    }
}

pub mod calls;
pub mod proxy;
pub mod resource_contract;
pub mod sesv2_proxy;
pub mod throttling_proxy;

/// Helpers for provider tests: operation contexts and attribute objects.
pub mod fixtures {
    use std::time::Duration;

    use cairn_aws::{AwsContext, AwsSettings};
    use cairn_core::{Object, OpContext, Registry, Value};

    /// Dummy credentials and a region for the SDK's standard chain, which
    /// every test in a process shares.
    pub fn aws_test_env() {
        std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
        std::env::set_var("AWS_REGION", "eu-west-2");
        std::env::remove_var("AWS_PROFILE");
    }

    /// A moto server, a provider configuration pointed at it (region
    /// eu-west-2, dummy credentials) and a registry of the types `register`
    /// adds: what every provider crate's moto tests start from.
    pub fn moto_provider(
        register: fn(&mut Registry, &AwsContext),
    ) -> (crate::MotoServer, AwsContext, Registry) {
        aws_test_env();
        let moto = crate::MotoServer::start();
        let aws = AwsContext::new(AwsSettings {
            endpoint_url: Some(moto.endpoint()),
            region: Some("eu-west-2".into()),
            ..Default::default()
        });
        let mut registry = Registry::default();
        register(&mut registry, &aws);
        (moto, aws, registry)
    }

    pub fn op_context(address: &str) -> OpContext {
        OpContext {
            address: address.parse().unwrap_or_else(|e| panic!("{e}")),
            stack: "providertest/moto".into(),
            default_tags: [("Team".to_string(), "platform".to_string())].into(),
            idempotency_token: "2f1e6c52-7a4c-4c1e-9d7e-0d8a3f1b2c3d".into(),
            timeout: Duration::from_secs(30),
            progress: Default::default(),
        }
    }

    pub fn object(pairs: &[(&str, Value)]) -> Object {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    pub fn tags(pairs: &[(&str, &str)]) -> Value {
        Value::Map(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), Value::from(*v)))
                .collect(),
        )
    }
}

/// The contract every state backend passes (engine.md: "the local file
/// backend and the S3 backend pass the same contract tests"). Each check
/// takes a backend with nothing stored.
pub mod backend_contract {
    use cairn_state::{Backend, LockInfo, StateDocument, StateError};

    /// Writes are compare-and-swap and refuse another lineage.
    pub async fn compare_and_swap(b: &dyn Backend) {
        assert!(b.read().await.unwrap().is_none());
        let mut doc = StateDocument::new("contract", Some("test"));
        let v1 = b.write(&doc, None).await.unwrap();
        assert!(
            matches!(b.write(&doc, None).await, Err(StateError::Conflict { .. })),
            "a first write over an existing state must be refused"
        );
        doc.serial = 1;
        let v2 = b.write(&doc, Some(&v1)).await.unwrap();
        assert_ne!(v1, v2);
        doc.serial = 2;
        assert!(
            matches!(
                b.write(&doc, Some(&v1)).await,
                Err(StateError::Conflict { .. })
            ),
            "a write based on a stale version must be refused"
        );
        let stranger = StateDocument::new("contract", Some("test"));
        assert!(matches!(
            b.write(&stranger, Some(&v2)).await,
            Err(StateError::LineageMismatch { .. })
        ));
        let stored = b.read().await.unwrap().unwrap();
        assert_eq!(stored.doc.serial, 1);
        assert_eq!(stored.version, v2);
    }

    /// One holder at a time; only the holder's id releases it.
    pub async fn exclusive_lock(b: &dyn Backend) {
        let a = LockInfo::new("apply", "contract", Some("test"));
        assert!(b.lock(&a).await.unwrap().is_none());
        let other = LockInfo::new("destroy", "contract", Some("test"));
        match b.lock(&other).await {
            Err(StateError::Locked(h)) => {
                assert_eq!(h.id, a.id);
                assert_eq!(h.operation, "apply");
            }
            r => panic!("expected Locked, got {r:?}"),
        }
        assert_eq!(b.current_lock().await.unwrap().unwrap().id, a.id);
        assert!(matches!(
            b.unlock(&other.id).await,
            Err(StateError::NoSuchLock { .. })
        ));
        b.renew(&a).await.unwrap();
        b.unlock(&a.id).await.unwrap();
        assert!(b.current_lock().await.unwrap().is_none());
        b.lock(&other).await.unwrap();
        b.unlock(&other.id).await.unwrap();
    }

    /// Every write records the SHA-256 of the stored bytes it replaces
    /// (`previous_sha256`), whatever the document carried; the first none.
    /// The history it leaves verifies whole.
    pub async fn hash_chain(b: &dyn Backend) {
        let mut doc = StateDocument::new("contract", Some("test"));
        doc.previous_sha256 = Some("stale, from wherever it was read".into());
        let mut v = b.write(&doc, None).await.unwrap();
        assert_eq!(b.read().await.unwrap().unwrap().doc.previous_sha256, None);
        for serial in 1..4 {
            let newest = b.versions().await.unwrap().versions[0].id.clone();
            let raw = b.read_version_raw(&newest).await.unwrap();
            doc.serial = serial;
            v = b.write(&doc, Some(&v)).await.unwrap();
            let stored = b.read().await.unwrap().unwrap().doc;
            assert_eq!(
                stored.previous_sha256,
                Some(cairn_state::sha256_hex(&raw.bytes)),
                "serial {serial} must link to the bytes of serial {}",
                serial - 1
            );
        }
        let verdict = cairn_state::verify(b).await.unwrap();
        assert!(verdict.whole, "{verdict:#?}");
        assert_eq!(verdict.versions.last().and_then(|c| c.serial), Some(3));
    }

    /// The newest listed version is the current document.
    pub async fn versions(b: &dyn Backend) {
        assert!(b.versions().await.unwrap().versions.is_empty());
        let mut doc = StateDocument::new("contract", Some("test"));
        let mut v = b.write(&doc, None).await.unwrap();
        for serial in 1..3 {
            doc.serial = serial;
            v = b.write(&doc, Some(&v)).await.unwrap();
        }
        let list = b.versions().await.unwrap();
        let newest = list.versions.first().expect("at least one version");
        assert_eq!(b.read_version(&newest.id).await.unwrap().serial, 2);
        assert!(matches!(
            b.read_version("no-such-version").await,
            Err(StateError::NoSuchVersion { .. })
        ));
    }
}
