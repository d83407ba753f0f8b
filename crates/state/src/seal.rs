//! Client-side encryption of what state holds secret (docs/state.md,
//! "Protecting state"). Envelope encryption: a 256-bit data key from a
//! [`KeyProvider`] (AWS KMS: `cairn-state-kms`), AES-256-GCM, the wrapped
//! data key stored beside the ciphertext, and the key's id and the
//! algorithm recorded in clear so a reader knows what it needs.
//!
//! Only sensitive values are sealed: every value at a resource's
//! `sensitive_paths` (deposed objects too) and every sensitive output moves
//! into one ciphertext and reads `null` in place. Addresses, ids,
//! dependencies and every other attribute stay readable, so `state list`,
//! `state show`, `history`, `verify` and `report` need no decryption
//! rights. The ciphertext is bound to the document's lineage and serial
//! (the AEAD's associated data): it cannot be moved into another document
//! or version unnoticed, and the backend's SHA-256 checks cover it as
//! stored.

use std::collections::BTreeMap;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use async_trait::async_trait;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::Value as J;

use crate::backend::StateError;
use crate::document::StateDocument;

pub const ALGORITHM: &str = "AES-256-GCM";

/// How a document or plan file was encrypted, stored in clear beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Encryption {
    /// `aws_kms`.
    pub key_provider: String,
    /// The KMS key that wrapped the data key, as KMS names it (an ARN).
    pub kms_key_id: String,
    /// `AES-256-GCM`.
    pub algorithm: String,
    /// The data key as KMS encrypted it (base64).
    pub wrapped_key: String,
    pub nonce: String,
    /// The sealed values (base64 of ciphertext and tag).
    pub sealed: String,
}

/// A data key: its plaintext for this process only, and as stored.
#[derive(Clone)]
pub struct DataKey {
    pub key_id: String,
    pub plaintext: [u8; 32],
    pub wrapped: Vec<u8>,
}

/// Where data keys come from and are unwrapped (AWS KMS).
#[async_trait]
pub trait KeyProvider: Send + Sync {
    /// A data key for new writes under the configured key.
    async fn data_key(&self) -> Result<DataKey, StateError>;
    /// The plaintext of a data key `key_id` wrapped; refused when `key_id`
    /// is neither the configured key nor its fallback.
    async fn unwrap(&self, key_id: &str, wrapped: &[u8]) -> Result<[u8; 32], StateError>;
    /// The configured key, for messages.
    fn describe(&self) -> String;
}

/// The sensitive values of one object: (path, value) per sensitive path.
type Values = Vec<(Vec<J>, J)>;

/// What moves into the ciphertext.
#[derive(Default, Serialize, Deserialize)]
struct Secrets {
    /// By address.
    #[serde(default)]
    resources: BTreeMap<String, Values>,
    /// By address, then deposed object id.
    #[serde(default)]
    deposed: BTreeMap<String, BTreeMap<String, Values>>,
    #[serde(default)]
    outputs: BTreeMap<String, J>,
}

fn aad(doc: &StateDocument) -> Vec<u8> {
    format!("cairn-state:{}:{}", doc.lineage, doc.serial).into_bytes()
}

fn cipher(key: &[u8; 32]) -> Aes256Gcm {
    Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key))
}

impl Encryption {
    /// `bytes` encrypted under `key` with a fresh random nonce, described
    /// for a reader.
    pub fn seal(key: &DataKey, bytes: &[u8], aad: &[u8]) -> Result<Encryption, StateError> {
        let (nonce, sealed) = encrypt(&key.plaintext, bytes, aad)?;
        Ok(Encryption {
            key_provider: "aws_kms".into(),
            kms_key_id: key.key_id.clone(),
            algorithm: ALGORITHM.into(),
            wrapped_key: b64(&key.wrapped),
            nonce: b64(&nonce),
            sealed: b64(&sealed),
        })
    }

    /// The plaintext, with the data key `keys` unwraps; `what` names it in
    /// errors.
    pub async fn open(
        &self,
        keys: &dyn KeyProvider,
        aad: &[u8],
        what: &str,
    ) -> Result<Vec<u8>, StateError> {
        if self.algorithm != ALGORITHM {
            return Err(StateError::Encryption(format!(
                "{what} is encrypted with {}, which this cairn does not know",
                self.algorithm
            )));
        }
        let key = keys
            .unwrap(
                &self.kms_key_id,
                &unb64(&self.wrapped_key, "the wrapped key")?,
            )
            .await?;
        decrypt(
            &key,
            &unb64(&self.nonce, "the nonce")?,
            &unb64(&self.sealed, what)?,
            aad,
            what,
        )
    }
}

/// `bytes` encrypted under `key` with a fresh random nonce: (nonce, sealed).
fn encrypt(key: &[u8; 32], bytes: &[u8], aad: &[u8]) -> Result<(Vec<u8>, Vec<u8>), StateError> {
    let mut nonce = [0u8; 12];
    getrandom::fill(&mut nonce)
        .map_err(|e| StateError::Encryption(format!("no randomness for a nonce: {e}")))?;
    let sealed = cipher(key)
        .encrypt(Nonce::from_slice(&nonce), Payload { msg: bytes, aad })
        .map_err(|_| StateError::Encryption("AES-256-GCM encryption failed".into()))?;
    Ok((nonce.to_vec(), sealed))
}

/// The plaintext of `sealed`, or an error if it was altered or the key or
/// associated data differ.
fn decrypt(
    key: &[u8; 32],
    nonce: &[u8],
    sealed: &[u8],
    aad: &[u8],
    what: &str,
) -> Result<Vec<u8>, StateError> {
    if nonce.len() != 12 {
        return Err(StateError::Encryption(format!(
            "{what}: the nonce is not 96 bits"
        )));
    }
    cipher(key)
        .decrypt(Nonce::from_slice(nonce), Payload { msg: sealed, aad })
        .map_err(|_| {
            StateError::Encryption(format!(
                "{what} does not decrypt: its ciphertext, nonce or wrapped key was altered, or it was moved from another document"
            ))
        })
}

fn b64(bytes: &[u8]) -> String {
    B64.encode(bytes)
}

fn unb64(text: &str, what: &str) -> Result<Vec<u8>, StateError> {
    B64.decode(text)
        .map_err(|e| StateError::Encryption(format!("{what} is not base64: {e}")))
}

/// `doc` with its sensitive values moved into a ciphertext under `key`.
pub fn seal(doc: &StateDocument, key: &DataKey) -> Result<StateDocument, StateError> {
    let mut out = doc.clone();
    let mut secrets = Secrets::default();
    for (address, rs) in out.resources.iter_mut() {
        let taken = take(&mut rs.attributes, &rs.sensitive_paths);
        if !taken.is_empty() {
            secrets.resources.insert(address.clone(), taken);
        }
        for d in rs.deposed.iter_mut() {
            let taken = take(&mut d.attributes, &d.sensitive_paths);
            if !taken.is_empty() {
                secrets
                    .deposed
                    .entry(address.clone())
                    .or_default()
                    .insert(d.id.clone(), taken);
            }
        }
    }
    for (name, o) in out.outputs.iter_mut().filter(|(_, o)| o.sensitive) {
        secrets
            .outputs
            .insert(name.clone(), std::mem::take(&mut o.value));
    }
    let plain = serde_json::to_vec(&secrets)
        .map_err(|e| StateError::Encryption(format!("cannot encode the sealed values: {e}")))?;
    out.encryption = Some(Encryption::seal(key, &plain, &aad(&out))?);
    Ok(out)
}

/// `doc` with its sealed values back in place (and no `encryption`).
pub async fn open(
    doc: &StateDocument,
    keys: &dyn KeyProvider,
) -> Result<StateDocument, StateError> {
    let Some(e) = &doc.encryption else {
        return Ok(doc.clone());
    };
    let plain = e.open(keys, &aad(doc), "the state's sealed values").await?;
    let secrets: Secrets = serde_json::from_slice(&plain)
        .map_err(|e| StateError::Encryption(format!("the sealed values are not valid: {e}")))?;
    let mut out = doc.clone();
    out.encryption = None;
    for (address, values) in secrets.resources {
        if let Some(rs) = out.resources.get_mut(&address) {
            put(&mut rs.attributes, values);
        }
    }
    for (address, by_id) in secrets.deposed {
        if let Some(rs) = out.resources.get_mut(&address) {
            for d in rs.deposed.iter_mut() {
                if let Some(values) = by_id.get(&d.id) {
                    put(&mut d.attributes, values.clone());
                }
            }
        }
    }
    for (name, value) in secrets.outputs {
        if let Some(o) = out.outputs.get_mut(&name) {
            o.value = value;
        }
    }
    Ok(out)
}

/// The value at each path, replaced by null.
fn take(attrs: &mut serde_json::Map<String, J>, paths: &[Vec<J>]) -> Values {
    let mut out = Vec::new();
    for path in paths {
        if let Some(slot) = at(attrs, path) {
            out.push((path.clone(), std::mem::take(slot)));
        }
    }
    out
}

fn put(attrs: &mut serde_json::Map<String, J>, values: Values) {
    for (path, value) in values {
        if let Some(slot) = at(attrs, &path) {
            *slot = value;
        }
    }
}

fn at<'a>(attrs: &'a mut serde_json::Map<String, J>, path: &[J]) -> Option<&'a mut J> {
    let (first, rest) = path.split_first()?;
    let mut cur = attrs.get_mut(first.as_str()?)?;
    for step in rest {
        cur = match step {
            J::String(k) => cur.get_mut(k.as_str())?,
            J::Number(n) => cur.get_mut(usize::try_from(n.as_u64()?).ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{OutputState, ResourceState};
    use cairn_core::value::Object;
    use cairn_core::Value;

    struct Fixed;

    #[async_trait]
    impl KeyProvider for Fixed {
        async fn data_key(&self) -> Result<DataKey, StateError> {
            Ok(DataKey {
                key_id: "arn:test:key/1".into(),
                plaintext: [7; 32],
                wrapped: b"wrapped".to_vec(),
            })
        }
        async fn unwrap(&self, _key_id: &str, _wrapped: &[u8]) -> Result<[u8; 32], StateError> {
            Ok([7; 32])
        }
        fn describe(&self) -> String {
            "test".into()
        }
    }

    fn doc() -> StateDocument {
        let mut doc = StateDocument::new("s", None);
        let attrs: Object = [
            ("name".to_string(), Value::from("db")),
            (
                "password".to_string(),
                Value::sensitive(Value::from("canary-7f3e")),
            ),
            (
                "nested".to_string(),
                Value::Map(
                    [(
                        "token".to_string(),
                        Value::sensitive(Value::from("canary-2")),
                    )]
                    .into(),
                ),
            ),
        ]
        .into();
        doc.resources.insert(
            "test_db.main".into(),
            ResourceState::new("test_db", "aws", "db-1", &attrs, vec![]),
        );
        doc.outputs.insert(
            "url".into(),
            OutputState::new(&Value::sensitive(Value::from("canary-3"))),
        );
        doc.outputs
            .insert("name".into(), OutputState::new(&Value::from("db")));
        doc
    }

    #[tokio::test]
    async fn secrets_leave_the_document_and_come_back() {
        let doc = doc();
        let sealed = seal(&doc, &Fixed.data_key().await.unwrap()).unwrap();
        let text = sealed.to_json_pretty();
        assert!(!text.contains("canary"), "{text}");
        assert!(text.contains("\"db\""), "the rest stays readable");
        assert_eq!(
            sealed.resources["test_db.main"].attributes["password"],
            J::Null
        );
        let opened = open(&sealed, &Fixed).await.unwrap();
        assert_eq!(opened, doc);
    }

    #[tokio::test]
    async fn altered_or_moved_ciphertext_is_refused() {
        let mut sealed = seal(&doc(), &Fixed.data_key().await.unwrap()).unwrap();
        sealed.serial += 1;
        let e = open(&sealed, &Fixed).await.unwrap_err();
        assert!(e.to_string().contains("does not decrypt"), "{e}");
        sealed.serial -= 1;
        let e = sealed.encryption.as_mut().unwrap();
        let mut bytes = unb64(&e.sealed, "").unwrap();
        bytes[0] ^= 1;
        e.sealed = b64(&bytes);
        assert!(open(&sealed, &Fixed).await.is_err());
    }
}
