//! Data keys from AWS KMS for sealing state and saved plans
//! (`cairn_state::seal`): `GenerateDataKey` (AES-256) under the configured
//! key once per process, `Decrypt` of a stored wrapped key once per
//! wrapped key. A document sealed with the `fallback` key still opens, so a
//! stack can switch keys: its next write seals with the new one.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::DataKeySpec;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use cairn_aws::{sdk_client, AwsContext, LazyClient};
use cairn_state::seal::{DataKey, KeyProvider};
use cairn_state::StateError;
use tokio::sync::OnceCell;

/// `[backend] encryption = { kms_key_id = "...", fallback = { kms_key_id = "..." } }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KmsSettings {
    /// Key id, ARN, alias name (`alias/state`) or alias ARN.
    pub kms_key_id: String,
    /// The previous key, accepted for reading only.
    pub fallback: Option<String>,
}

pub struct KmsKeys {
    settings: KmsSettings,
    kms: LazyClient<aws_sdk_kms::Client>,
    data_key: OnceCell<DataKey>,
    /// The ARNs of the configured key and fallback (DescribeKey, once).
    allowed: OnceCell<Vec<String>>,
    unwrapped: Mutex<HashMap<Vec<u8>, [u8; 32]>>,
}

impl KmsKeys {
    pub fn new(settings: KmsSettings, aws: AwsContext) -> Self {
        KmsKeys {
            settings,
            kms: LazyClient::new(aws, sdk_client!(aws_sdk_kms)),
            data_key: OnceCell::new(),
            allowed: OnceCell::new(),
            unwrapped: Mutex::new(HashMap::new()),
        }
    }

    async fn client(&self) -> Result<&aws_sdk_kms::Client, StateError> {
        self.kms
            .client()
            .await
            .map_err(|e| StateError::Encryption(e.to_string()))
    }

    fn configured(&self) -> impl Iterator<Item = &String> {
        std::iter::once(&self.settings.kms_key_id).chain(self.settings.fallback.iter())
    }

    fn error(
        &self,
        key: &str,
        call: &str,
        permission: &str,
        e: impl ProvideErrorMetadata + std::fmt::Display,
    ) -> StateError {
        let code = e.code().unwrap_or("Unknown").to_string();
        let message = e
            .message()
            .map(str::to_string)
            .unwrap_or_else(|| e.to_string());
        StateError::Encryption(format!(
            "KMS refused {call} with key {key}: {code}: {message}\n   = hint: this needs `{permission}` on {key}; without it, `state list`, `state show`, `state history`, `state verify` and `report` still work (they leave secrets sealed)"
        ))
    }

    /// The ARN of each configured key; a key that cannot be described is
    /// compared by the id as written.
    async fn allowed(&self) -> Result<&Vec<String>, StateError> {
        self.allowed
            .get_or_try_init(|| async {
                let kms = self.client().await?;
                let mut out = Vec::new();
                for key in self.configured() {
                    match kms.describe_key().key_id(key).send().await {
                        Ok(d) => {
                            if let Some(arn) = d.key_metadata().and_then(|m| m.arn()) {
                                out.push(arn.to_string());
                            }
                        }
                        Err(e) => tracing::debug!(key = %key, error = %e, "DescribeKey failed; comparing the id as written"),
                    }
                    out.push(key.clone());
                }
                Ok(out)
            })
            .await
    }
}

#[async_trait]
impl KeyProvider for KmsKeys {
    async fn data_key(&self) -> Result<DataKey, StateError> {
        let key = &self.settings.kms_key_id;
        self.data_key
            .get_or_try_init(|| async {
                let kms = self.client().await?;
                let out = kms
                    .generate_data_key()
                    .key_id(key)
                    .key_spec(DataKeySpec::Aes256)
                    .send()
                    .await
                    .map_err(|e| {
                        self.error(
                            key,
                            "GenerateDataKey",
                            "kms:GenerateDataKey",
                            e.into_service_error(),
                        )
                    })?;
                let plaintext = key_bytes(out.plaintext(), key)?;
                Ok(DataKey {
                    key_id: out.key_id().unwrap_or(key).to_string(),
                    plaintext,
                    wrapped: out
                        .ciphertext_blob()
                        .map(|b| b.as_ref().to_vec())
                        .unwrap_or_default(),
                })
            })
            .await
            .cloned()
    }

    async fn unwrap(&self, key_id: &str, wrapped: &[u8]) -> Result<[u8; 32], StateError> {
        if let Some(k) = self
            .unwrapped
            .lock()
            .ok()
            .and_then(|m| m.get(wrapped).copied())
        {
            return Ok(k);
        }
        if !self.allowed().await?.iter().any(|a| a == key_id) {
            return Err(StateError::Encryption(format!(
                "the state is encrypted with KMS key {key_id}, which is neither the configured kms_key_id ({}) nor its fallback{}",
                self.settings.kms_key_id,
                self.settings
                    .fallback
                    .as_ref()
                    .map(|f| format!(" ({f})"))
                    .unwrap_or_else(|| ": add `fallback = { kms_key_id = \"...\" }` to read it while switching keys".into())
            )));
        }
        let kms = self.client().await?;
        let out = kms
            .decrypt()
            .key_id(key_id)
            .ciphertext_blob(Blob::new(wrapped))
            .send()
            .await
            .map_err(|e| self.error(key_id, "Decrypt", "kms:Decrypt", e.into_service_error()))?;
        let key = key_bytes(out.plaintext(), key_id)?;
        if let Ok(mut m) = self.unwrapped.lock() {
            m.insert(wrapped.to_vec(), key);
        }
        Ok(key)
    }

    fn describe(&self) -> String {
        format!("KMS key {}", self.settings.kms_key_id)
    }
}

/// A data key's plaintext, which must be 256 bits.
fn key_bytes(plaintext: Option<&Blob>, key: &str) -> Result<[u8; 32], StateError> {
    plaintext
        .and_then(|b| b.as_ref().try_into().ok())
        .ok_or_else(|| {
            StateError::Encryption(format!("KMS key {key} returned no 256-bit data key"))
        })
}
