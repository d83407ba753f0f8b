//! The lazily built S3 client, and SDK errors in the state crate's terms.

use aws_sdk_s3::Client;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use cairn_aws::AwsContext;
use cairn_state::StateError;
use tokio::sync::OnceCell;

pub struct S3 {
    aws: AwsContext,
    client: OnceCell<Client>,
}

impl S3 {
    pub fn new(aws: AwsContext) -> Self {
        S3 {
            aws,
            client: OnceCell::new(),
        }
    }

    pub async fn client(&self, location: &str) -> Result<&Client, StateError> {
        self.client
            .get_or_try_init(|| async {
                let sdk = self.aws.sdk_config().await.map_err(|e| StateError::Io {
                    action: "cannot configure AWS for",
                    location: location.to_string(),
                    message: e.to_string(),
                })?;
                // Emulators (moto, LocalStack) serve buckets by path, not by
                // bucket-name DNS.
                let build = cairn_aws::sdk_client!(aws_sdk_s3, |b, sdk| b
                    .force_path_style(sdk.endpoint_url().is_some()));
                Ok(build(&self.aws, sdk))
            })
            .await
    }

    pub fn aws(&self) -> &AwsContext {
        &self.aws
    }
}

/// An S3 call's failure, with the HTTP status that decides what it means.
pub struct Failure {
    pub status: Option<u16>,
    pub code: String,
    pub message: String,
}

impl Failure {
    pub fn from_sdk<E>(operation: &str, e: SdkError<E, HttpResponse>) -> Failure
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let status = e.raw_response().map(|r| r.status().as_u16());
        let mapped = cairn_aws::error(operation, e);
        Failure {
            status,
            code: mapped.code,
            message: format!("{}: {}", mapped.operation, mapped.message),
        }
    }

    /// Someone else's write (or lock) came first.
    pub fn is_precondition(&self) -> bool {
        // 409 ConditionalRequestConflict: a concurrent conditional write won.
        matches!(self.status, Some(412) | Some(409)) || self.code == "PreconditionFailed"
    }

    pub fn is_not_found(&self) -> bool {
        self.status == Some(404) || matches!(self.code.as_str(), "NoSuchKey" | "NotFound")
    }

    pub fn into_state(self, action: &'static str, location: &str) -> StateError {
        StateError::Io {
            action,
            location: location.to_string(),
            message: format!("{} ({})", self.message, self.code),
        }
    }
}

/// The whole body of a GetObject answer.
pub async fn body(
    out: aws_sdk_s3::operation::get_object::GetObjectOutput,
    location: &str,
) -> Result<Vec<u8>, StateError> {
    out.body
        .collect()
        .await
        .map(|b| b.into_bytes().to_vec())
        .map_err(|e| StateError::Io {
            action: "cannot read",
            location: location.to_string(),
            message: e.to_string(),
        })
}

/// Whether the bucket keeps object versions.
pub async fn versioning_enabled(
    client: &aws_sdk_s3::Client,
    bucket: &str,
) -> Result<bool, Failure> {
    match client.get_bucket_versioning().bucket(bucket).send().await {
        Ok(v) => Ok(v.status() == Some(&aws_sdk_s3::types::BucketVersioningStatus::Enabled)),
        Err(e) => {
            // Some emulators (moto) name the XML root differently, which the
            // SDK rejects: read the status from the body ourselves.
            let body = e
                .raw_response()
                .filter(|r| r.status().as_u16() == 200)
                .and_then(|r| r.body().bytes())
                .map(|b| String::from_utf8_lossy(b).into_owned());
            match body {
                Some(b) => Ok(b.contains("<Status>Enabled</Status>")),
                None => Err(Failure::from_sdk("s3:GetBucketVersioning", e)),
            }
        }
    }
}

/// The hex SHA-256 stored beside every object cairn writes: the same
/// digest as the hash chain's, so a version's checksum is what the next
/// version records as `previous_sha256`.
pub use cairn_state::sha256_hex;

pub const CHECKSUM_META: &str = "cairn-sha256";

pub fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

pub fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
