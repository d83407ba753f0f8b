//! SDK errors to `ProviderError`: the operation, the AWS error code and
//! message, and whether a retry could help.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use cairn_core::ProviderError;

/// Maps an SDK error for `operation` (e.g. `ec2:CreateVpc`).
pub fn error<E>(operation: &str, err: SdkError<E, HttpResponse>) -> ProviderError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let (code, message, retryable) = match &err {
        SdkError::ServiceError(se) => {
            let status = se.raw().status().as_u16();
            let code = se.err().code().map(str::to_string);
            let message = se.err().message().map(str::to_string);
            match code {
                Some(code) => {
                    let retryable = status >= 500 || code.contains("Throttl") || code == "RequestLimitExceeded";
                    (code, message.unwrap_or_else(|| format!("HTTP {status}")), retryable)
                }
                // An endpoint that does not implement the operation answers
                // 500 with an HTML page (moto): not worth retrying forever.
                None if status == 500 || status == 501 => (
                    "Unsupported".to_string(),
                    format!("the endpoint does not implement {operation} (HTTP {status} without an AWS error)"),
                    false,
                ),
                None => ("UnknownError".to_string(), format!("HTTP {status}: {}", DisplayErrorContext(&err)), status >= 500),
            }
        }
        SdkError::TimeoutError(_) => (
            "Timeout".to_string(),
            "the request timed out".to_string(),
            true,
        ),
        SdkError::DispatchFailure(_) => (
            "ConnectionError".to_string(),
            DisplayErrorContext(&err).to_string(),
            true,
        ),
        SdkError::ResponseError(_) => (
            "InvalidResponse".to_string(),
            DisplayErrorContext(&err).to_string(),
            true,
        ),
        SdkError::ConstructionFailure(_) => (
            "InvalidRequest".to_string(),
            DisplayErrorContext(&err).to_string(),
            false,
        ),
        _ => (
            "UnknownError".to_string(),
            DisplayErrorContext(&err).to_string(),
            false,
        ),
    };
    ProviderError {
        retryable,
        ..ProviderError::new(operation, code, message)
    }
}

/// Whether the error says the object does not exist.
pub fn is_not_found(e: &ProviderError) -> bool {
    // `InvalidVpcID.NotFound`, `ResourceNotFoundException`,
    // `MountTargetNotFound`, IAM's `NoSuchEntity`.
    e.code.ends_with("NotFound")
        || e.code.ends_with("NotFoundException")
        || e.code == "NoSuchEntity"
}

/// The id in a create response. A response without one is an error naming
/// the operation: recording a resource under an empty id would lose it.
pub fn created_id(operation: &str, id: Option<&str>) -> Result<String, ProviderError> {
    match id {
        Some(id) if !id.is_empty() => Ok(id.to_string()),
        _ => Err(ProviderError::new(
            operation,
            "InvalidResponse",
            "the response carries no id; the object may exist all the same: \
             the next plan finds it by its ownership tags",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_create_response_without_an_id_is_an_error_naming_the_operation() {
        for missing in [None, Some("")] {
            let e = created_id("ec2:CreateSubnet", missing).unwrap_err();
            assert_eq!(e.operation, "ec2:CreateSubnet");
            assert_eq!(e.code, "InvalidResponse");
        }
        assert_eq!(
            created_id("ec2:CreateSubnet", Some("subnet-1")).unwrap(),
            "subnet-1"
        );
    }
}
