//! The HTTP example's server, started on a runtime thread over a temporary web root, and a
//! small blocking HTTP client to talk to it: shared by `http_server.rs` and
//! `http_confinement.rs`, which include this file with `#[path]`.

#![allow(dead_code)] // Each test file uses a different subset.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream as StdStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use sprout::net::StreamServer;

use crate::support::runtime;

#[path = "../../examples/http/server.rs"]
#[allow(dead_code)]
pub mod http;

/// A web root in a fresh temporary folder, with a secret file *outside* it and a symlink
/// inside it that points at the secret.
pub struct Site {
    /// The folder holding `root/` and `secret.txt`.
    pub base: PathBuf,
}

impl Site {
    pub fn new(name: &str) -> Site {
        let base = std::env::temp_dir().join(format!("sprout-http-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let root = base.join("root");
        std::fs::create_dir_all(root.join("folder")).unwrap();
        std::fs::write(root.join("hello.txt"), b"hello, world\n").unwrap();
        std::fs::write(root.join("page.html"), b"<p>page</p>").unwrap();
        std::fs::write(root.join("folder").join("a <b>&.txt"), b"tricky name").unwrap();
        std::fs::write(
            root.join("big.bin"),
            (0..3_000_000u32)
                .map(|i| (i % 251) as u8)
                .collect::<Vec<_>>(),
        )
        .unwrap();
        std::fs::write(base.join("secret.txt"), b"TOP SECRET").unwrap();
        std::os::unix::fs::symlink(base.join("secret.txt"), root.join("escape.txt")).unwrap();
        Site { base }
    }

    pub fn root(&self) -> PathBuf {
        self.base.join("root")
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.base);
    }
}

/// Runs the example's server on a runtime thread for `site`; returns its address. The runtime
/// lives until the test process ends (each test uses its own port and folder).
pub fn start(site: &Site, head_timeout: Duration) -> SocketAddr {
    let mut config = http::Config::new(site.root()).unwrap();
    config.log = false;
    config.limits.head_timeout = head_timeout;
    let config = Arc::new(config);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        runtime(1).block_on(async move {
            let server = StreamServer::bind("127.0.0.1:0", move |stream, peer| {
                http::serve_connection(stream, peer, config.clone())
            })
            .await
            .unwrap()
            .handle_signals(false);
            tx.send(server.local_addr().unwrap()).unwrap();
            server.serve_forever().await.unwrap();
        });
    });
    rx.recv_timeout(Duration::from_secs(10))
        .expect("the server started")
}

/// One parsed response.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub head: String,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name)
                .then(|| value.trim().to_string())
        })
    }
}

/// Reads one response from a blocking stream (`head_only`: a HEAD request, so no body).
pub fn read_response(stream: &mut StdStream, head_only: bool) -> Response {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).unwrap() == 0 {
            panic!(
                "connection closed mid-head: {:?}",
                String::from_utf8_lossy(&head)
            );
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap();
    let status = head[9..12].parse().unwrap();
    let mut response = Response {
        status,
        head,
        body: Vec::new(),
    };
    let length: usize = response
        .header("content-length")
        .map_or(0, |l| l.parse().unwrap());
    if !head_only && status != 304 {
        response.body = vec![0u8; length];
        stream.read_exact(&mut response.body).unwrap();
    }
    response
}

/// A blocking client connection with a 10 s read timeout (a hung server fails the test).
pub fn connect(addr: SocketAddr) -> StdStream {
    let stream = StdStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
}

/// Sends raw bytes on a new connection and reads one response.
pub fn raw(addr: SocketAddr, request: &[u8]) -> Response {
    let mut stream = connect(addr);
    stream.write_all(request).unwrap();
    read_response(&mut stream, request.starts_with(b"HEAD"))
}

/// GET `path` on a new connection.
pub fn get(addr: SocketAddr, path: &str) -> Response {
    raw(
        addr,
        format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n").as_bytes(),
    )
}
