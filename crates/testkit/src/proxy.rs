//! A loopback HTTP/1.1 proxy in front of moto for what moto cannot be
//! made to do: rewrite an answer no SDK can read (`sesv2_proxy`), or
//! answer a request itself, as AWS's throttling does (`throttling_proxy`).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;

/// What to do with one request (its head and body, as received).
pub enum Answer {
    /// Send it to moto; the body of moto's answer goes through the function.
    Forward(fn(&[u8]) -> Vec<u8>),
    /// Answer with these bytes (a whole HTTP response); moto never sees it.
    Respond(Vec<u8>),
}

type Decide = Arc<dyn Fn(&[u8]) -> Answer + Send + Sync>;

/// Starts a proxy in front of moto's `moto_port`; returns its port.
pub fn start(moto_port: u16, decide: impl Fn(&[u8]) -> Answer + Send + Sync + 'static) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port for the proxy");
    let port = listener.local_addr().unwrap().port();
    let decide: Decide = Arc::new(decide);
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let decide = decide.clone();
            std::thread::spawn(move || relay(client, moto_port, decide));
        }
    });
    port
}

/// An HTTP response with `status`, these headers and `body`.
pub fn response(status: &str, headers: &[(&str, &str)], body: &str) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status}\r\n");
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str(&format!("content-length: {}\r\n\r\n{body}", body.len()));
    out.into_bytes()
}

/// A header's value in a request's head.
pub fn header<'a>(request: &'a [u8], name: &str) -> Option<&'a str> {
    let end = find(request, b"\r\n\r\n")?;
    let head = std::str::from_utf8(&request[..end]).ok()?;
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// A request's body.
pub fn body(request: &[u8]) -> &[u8] {
    find(request, b"\r\n\r\n").map_or(&[], |i| &request[i + 4..])
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

/// The client's requests one at a time, each answered as `decide` says
/// (forwarded on a fresh connection to moto, or answered here).
fn relay(mut client: TcpStream, moto_port: u16, decide: Decide) {
    let mut from_client = Vec::new();
    while let Some(request) = read_message(&mut client, &mut from_client) {
        let rewrite = match decide(&request) {
            Answer::Forward(rewrite) => rewrite,
            Answer::Respond(response) => {
                if client.write_all(&response).is_err() {
                    return;
                }
                continue;
            }
        };
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
        let body = rewrite(&response[head_end..]);
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
