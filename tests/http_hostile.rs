//! A hostile-request corpus against the HTTP example: every answer must be well-formed HTTP/1.1
//! (checked with httparse, strictly: a complete status line and headers, a `Content-Length`
//! that matches the body, nothing left over), and the server must serve a normal request
//! afterwards. Each input is sent on its own connection, which is then half-closed, so the
//! server sees the end of whatever it was given.

mod support;

use std::io::{Read, Write};
use std::net::Shutdown;
use std::time::Duration;

use support::within;

#[path = "support/http.rs"]
mod http_support;
use http_support::{connect, get, start, Site};

/// The statuses the server may answer with.
const STATUSES: [u16; 14] = [
    200, 206, 301, 304, 400, 403, 404, 405, 408, 413, 416, 431, 501, 505,
];

/// The corpus: each entry is (what it is, the bytes).
fn corpus() -> Vec<(&'static str, Vec<u8>)> {
    let mut corpus: Vec<(&'static str, Vec<u8>)> = vec![
        ("empty line", b"\r\n\r\n".to_vec()),
        (
            "garbage",
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03".to_vec(),
        ),
        ("no version", b"GET /\r\n\r\n".to_vec()),
        ("HTTP/0.9", b"GET /hello.txt\r\n".to_vec()),
        (
            "HTTP/2 preface",
            b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec(),
        ),
        ("HTTP/3.0", b"GET / HTTP/3.0\r\n\r\n".to_vec()),
        (
            "lower-case method",
            b"get / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
        ),
        (
            "POST",
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n".to_vec(),
        ),
        (
            "asterisk target",
            b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
        ),
        (
            "GET asterisk",
            b"GET * HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
        ),
        (
            "absolute form",
            b"GET http://x/hello.txt HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
        ),
        (
            "absolute climb",
            b"GET http://x/../secret.txt HTTP/1.1\r\n\r\n".to_vec(),
        ),
        ("authority form", b"CONNECT x:443 HTTP/1.1\r\n\r\n".to_vec()),
        (
            "NUL in target",
            b"GET /hello\0.txt HTTP/1.1\r\n\r\n".to_vec(),
        ),
        (
            "encoded NUL",
            b"GET /hello%00.txt HTTP/1.1\r\n\r\n".to_vec(),
        ),
        (
            "NUL in header",
            b"GET / HTTP/1.1\r\nHost: x\0y\r\n\r\n".to_vec(),
        ),
        (
            "obs-fold",
            b"GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n".to_vec(),
        ),
        (
            "space before colon",
            b"GET / HTTP/1.1\r\nHost : x\r\n\r\n".to_vec(),
        ),
        (
            "CL and TE",
            b"GET / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec(),
        ),
        (
            "TE alone",
            b"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".to_vec(),
        ),
        (
            "two lengths",
            b"GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab".to_vec(),
        ),
        (
            "negative length",
            b"GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n".to_vec(),
        ),
        (
            "huge length",
            b"GET / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n".to_vec(),
        ),
        (
            "overlong dot",
            b"GET /%c0%ae%c0%ae/secret.txt HTTP/1.1\r\n\r\n".to_vec(),
        ),
        (
            "overlong slash",
            b"GET /..%c0%afsecret.txt HTTP/1.1\r\n\r\n".to_vec(),
        ),
        (
            "backslash climb",
            b"GET /..\\secret.txt HTTP/1.1\r\n\r\n".to_vec(),
        ),
        (
            "encoded backslash",
            b"GET /%5c..%5csecret.txt HTTP/1.1\r\n\r\n".to_vec(),
        ),
        ("broken escape", b"GET /%zz HTTP/1.1\r\n\r\n".to_vec()),
        (
            "bad range",
            b"GET /hello.txt HTTP/1.1\r\nRange: bytes=99-1\r\n\r\n".to_vec(),
        ),
        (
            "range past end",
            b"GET /hello.txt HTTP/1.1\r\nRange: bytes=1000-\r\n\r\n".to_vec(),
        ),
        (
            "non-UTF-8 target",
            b"GET /\xff\xfe HTTP/1.1\r\n\r\n".to_vec(),
        ),
        ("bare LF", b"GET / HTTP/1.1\nHost: x\n\n".to_vec()),
        (
            "pipelined garbage",
            b"GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n\x00\x01garbage\r\n\r\n".to_vec(),
        ),
        (
            "pipelined pair",
            b"GET /hello.txt HTTP/1.1\r\n\r\nHEAD /hello.txt HTTP/1.1\r\n\r\n".to_vec(),
        ),
    ];
    let many_headers: String = (0..200).map(|i| format!("X-{i}: {i}\r\n")).collect();
    corpus.push((
        "too many headers",
        format!("GET / HTTP/1.1\r\n{many_headers}\r\n").into_bytes(),
    ));
    corpus.push((
        "long header",
        format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(64 * 1024)).into_bytes(),
    ));
    corpus
}

/// Splits `bytes` into responses with httparse, checking each strictly; returns the statuses.
/// `head_requests` says which responses (by position) answer a HEAD, whose body is absent.
fn strict_responses(what: &str, mut bytes: &[u8], head_requests: &[usize]) -> Vec<u16> {
    let mut statuses = Vec::new();
    while !bytes.is_empty() {
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut response = httparse::Response::new(&mut headers);
        let head_len = match response.parse(bytes) {
            Ok(httparse::Status::Complete(len)) => len,
            other => panic!(
                "{what}: not a complete HTTP/1.1 response ({other:?}): {:?}",
                String::from_utf8_lossy(bytes)
            ),
        };
        assert_eq!(response.version, Some(1), "{what}: not HTTP/1.1");
        let status = response.code.expect("a status");
        assert!(STATUSES.contains(&status), "{what}: status {status}");
        let length: Option<usize> = response
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case("content-length"))
            .map(|h| {
                std::str::from_utf8(h.value)
                    .unwrap()
                    .trim()
                    .parse()
                    .unwrap()
            });
        let body = if head_requests.contains(&statuses.len()) || status == 304 {
            0
        } else {
            length.unwrap_or_else(|| panic!("{what}: a {status} without Content-Length"))
        };
        assert!(
            bytes.len() >= head_len + body,
            "{what}: the body is shorter than its Content-Length"
        );
        bytes = &bytes[head_len + body..];
        statuses.push(status);
    }
    statuses
}

#[test]
fn hostile_requests_get_well_formed_answers_and_the_server_carries_on() {
    within(Duration::from_secs(120), "hostile corpus", || {
        let site = Site::new("hostile");
        let addr = start(&site, Duration::from_secs(5));
        for (what, bytes) in corpus() {
            let mut stream = connect(addr);
            // A refusal may close the connection while we still write: that is an answer too.
            let _ = stream.write_all(&bytes);
            let _ = stream.shutdown(Shutdown::Write);
            let mut answer = Vec::new();
            if let Err(error) = stream.read_to_end(&mut answer) {
                // A reset after the server answered and closed; what arrived is still checked.
                assert_eq!(
                    error.kind(),
                    std::io::ErrorKind::ConnectionReset,
                    "{what}: {error}"
                );
            }
            let heads = if what == "pipelined pair" {
                vec![1]
            } else {
                vec![]
            };
            let statuses = strict_responses(what, &answer, &heads);
            assert!(
                !answer.windows(10).any(|w| w == b"TOP SECRET"),
                "{what}: leaked the secret"
            );
            if what == "pipelined pair" {
                assert_eq!(statuses, [200, 200], "{what}");
            }
            // After every hostile input, a normal request is served.
            let normal = get(addr, "/hello.txt");
            assert_eq!(
                (normal.status, &normal.body[..]),
                (200, &b"hello, world\n"[..]),
                "after {what}"
            );
        }
    });
}

/// A head whose lines end in bare LF is answered at once, like one in CRLF: the parser accepts
/// it, and the head reader used to wait for a `\r\n\r\n` that never came, answering 408 only
/// after the head timeout (here 30 s, so the 10 s read timeout of the client fails first).
#[test]
fn a_bare_lf_head_is_answered_at_once() {
    within(Duration::from_secs(30), "bare LF head", || {
        let site = Site::new("bare-lf");
        let addr = start(&site, Duration::from_secs(30));
        let mut stream = connect(addr);
        stream
            .write_all(b"GET /hello.txt HTTP/1.1\nHost: x\n\n")
            .unwrap();
        let response = http_support::read_response(&mut stream, false);
        assert_eq!(response.status, 200, "{}", response.head);
        let mut mixed = connect(addr);
        mixed
            .write_all(b"GET /hello.txt HTTP/1.1\r\nHost: x\n\r\n")
            .unwrap();
        assert_eq!(http_support::read_response(&mut mixed, false).status, 200);
    });
}
