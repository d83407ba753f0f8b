//! moto 5.2.1 answers SES v2 GetConfigurationSet with `"SendingOptions":
//! {"SendingEnabled": {}}` (or the sent object nested inside it), which no
//! SDK can read as the boolean the API defines. Tests that read a
//! configuration set back reach moto through this loopback proxy, which
//! rewrites that one field as AWS sends it and passes everything else
//! through unchanged. Remove it when moto answers correctly.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

use serde_json::Value;

/// Starts the proxy in front of moto's `moto_port`; returns its port. Point
/// only SES v2 at it (`AWS_ENDPOINT_URL_SESV2`, or a provider's
/// `endpoint_url` in a test of the SES v2 types alone).
pub fn start(moto_port: u16) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port for the SES v2 proxy");
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            std::thread::spawn(move || relay(client, moto_port));
        }
    });
    port
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn content_length(head: &str) -> usize {
    head.lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())
                .flatten()
        })
        .unwrap_or(0)
}

/// One HTTP/1.1 message (its head and a Content-Length body) from `stream`;
/// what follows stays in `buf`. None when the peer is gone.
fn read_message(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Vec<u8>> {
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = find(buf, b"\r\n\r\n") {
            break i + 4;
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let total = head_end + content_length(&String::from_utf8_lossy(&buf[..head_end]));
    while buf.len() < total {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    Some(buf.drain(..total).collect())
}

/// The client's requests one at a time, each on a fresh connection to moto.
fn relay(mut client: TcpStream, moto_port: u16) {
    let mut from_client = Vec::new();
    while let Some(request) = read_message(&mut client, &mut from_client) {
        let Ok(mut moto) = TcpStream::connect(("127.0.0.1", moto_port)) else {
            return;
        };
        if moto.write_all(&request).is_err() {
            return;
        }
        let Some(response) = read_message(&mut moto, &mut Vec::new()) else {
            return;
        };
        let Some(head_end) = find(&response, b"\r\n\r\n").map(|i| i + 4) else {
            return;
        };
        let body = fix_sending_options(&response[head_end..]);
        let head = String::from_utf8_lossy(&response[..head_end]).to_string();
        let head: Vec<&str> = head
            .lines()
            .filter(|l| !l.is_empty() && !l.to_ascii_lowercase().starts_with("content-length"))
            .collect();
        let mut out = format!(
            "{}\r\ncontent-length: {}\r\n\r\n",
            head.join("\r\n"),
            body.len()
        )
        .into_bytes();
        out.extend_from_slice(&body);
        if client.write_all(&out).is_err() {
            return;
        }
    }
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
