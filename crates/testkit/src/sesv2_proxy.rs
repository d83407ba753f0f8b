//! moto 5.2.1 answers SES v2 GetConfigurationSet with `"SendingOptions":
//! {"SendingEnabled": {}}` (or the sent object nested inside it), which no
//! SDK can read as the boolean the API defines. Tests that read a
//! configuration set back reach moto through this loopback proxy, which
//! rewrites that one field as AWS sends it and passes everything else
//! through unchanged. Remove it when moto answers correctly.

use serde_json::Value;

use crate::proxy::{self, Answer};

/// Starts the proxy in front of moto's `moto_port`; returns its port. Point
/// only SES v2 at it (`AWS_ENDPOINT_URL_SESV2`, or a provider's
/// `endpoint_url` in a test of the SES v2 types alone).
pub fn start(moto_port: u16) -> u16 {
    proxy::start(moto_port, |_request| Answer::Forward(fix_sending_options))
}

/// `"SendingOptions": {"SendingEnabled": X}` with X a boolean, as AWS
/// answers: moto's `{}` means nothing was sent (enabled), a nested object
/// carries the value sent. Any other body is returned as it is.
fn fix_sending_options(body: &[u8]) -> Vec<u8> {
    let Ok(mut json) = serde_json::from_slice::<Value>(body) else {
        return body.to_vec();
    };
    let Some(enabled) = json
        .get_mut("SendingOptions")
        .and_then(|s| s.get_mut("SendingEnabled"))
    else {
        return body.to_vec();
    };
    if !enabled.is_boolean() {
        let value = enabled
            .get("SendingEnabled")
            .and_then(Value::as_bool)
            .unwrap_or(true);
        *enabled = Value::Bool(value);
    }
    json.to_string().into_bytes()
}
