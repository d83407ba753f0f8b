//! AWS's request limits, on moto: a proxy that answers one request in
//! `every` with the throttling error of the request's protocol, as AWS
//! does (EC2's `RequestLimitExceeded`, the query services' `Throttling`,
//! the JSON services' `ThrottlingException`), and forwards the rest. A
//! throttled request never reaches moto, as a throttled one never runs on
//! AWS, so a test can check that every object exists exactly once.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::proxy::{self, Answer};

/// A running proxy: its port and how many requests it has throttled.
pub struct Throttling {
    pub port: u16,
    throttled: Arc<AtomicUsize>,
}

impl Throttling {
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn throttled(&self) -> usize {
        self.throttled.load(Ordering::SeqCst)
    }
}

/// Starts the proxy in front of moto's `moto_port`, throttling requests
/// 1, 1 + every, 1 + 2 * every, ... of those it knows the protocol of
/// (query, EC2 and JSON; REST requests pass through untouched).
pub fn start(moto_port: u16, every: usize) -> Throttling {
    let seen = AtomicUsize::new(0);
    let throttled = Arc::new(AtomicUsize::new(0));
    let count = throttled.clone();
    let port = proxy::start(moto_port, move |request| {
        let Some(answer) = throttling_answer(request) else {
            return Answer::Forward(<[u8]>::to_vec);
        };
        if seen.fetch_add(1, Ordering::SeqCst) % every.max(1) != 0 {
            return Answer::Forward(<[u8]>::to_vec);
        }
        count.fetch_add(1, Ordering::SeqCst);
        Answer::Respond(answer)
    });
    Throttling { port, throttled }
}

/// The throttling error AWS gives a request of this protocol.
fn throttling_answer(request: &[u8]) -> Option<Vec<u8>> {
    if proxy::header(request, "x-amz-target").is_some() {
        return Some(proxy::response(
            "400 Bad Request",
            &[("content-type", "application/x-amz-json-1.1")],
            r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#,
        ));
    }
    let body = String::from_utf8_lossy(proxy::body(request));
    if !body.contains("Action=") {
        return None;
    }
    if body.contains("Version=2016-11-15") {
        return Some(proxy::response(
            "503 Service Unavailable",
            &[("content-type", "text/xml")],
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>throttled</RequestID></Response>",
        ));
    }
    Some(proxy::response(
        "400 Bad Request",
        &[("content-type", "text/xml")],
        "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>throttled</RequestId></ErrorResponse>",
    ))
}
