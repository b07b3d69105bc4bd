//! The HTTP/1.1 connection loop: read a request head under a deadline, answer it, repeat while
//! the connection stays alive. One task per connection (StreamServer), code that reads like
//! the blocking server of the lecture.
//!
//! Flow: accept (net/server.rs) → [`serve_connection`]: read head (deadline) → `request::parse`
//! → `files::find` → response head + body → next request (keep-alive, pipelining).
//!
//! This file is the root of the HTTP code: `main.rs` runs it, and `tests/http_server.rs`
//! includes it, so the tests run exactly this code.

#[path = "cache.rs"]
pub mod cache;
#[path = "files.rs"]
pub mod files;
#[path = "request.rs"]
pub mod request;
#[path = "response.rs"]
pub mod response;

use std::io;
use std::net::{Shutdown, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sprout::net::TcpStream;

use cache::Cached;
use files::Found;
use request::{ByteRange, Limits, Method, Refusal, Request, MAX_HEAD, MAX_REQUEST_LINE};

/// What the server needs to answer requests.
#[derive(Clone, Debug)]
pub struct Config {
    /// The web root, canonicalised at start-up.
    pub root: PathBuf,
    /// Deadlines for slow and idle clients.
    pub limits: Limits,
    /// Print an access-log line per request on stderr.
    pub log: bool,
    /// Small files served from memory (cache.rs).
    pub cache: Arc<cache::FileCache>,
}

impl Config {
    /// A configuration serving `root` with the default deadlines (30 s per head, 10 s idle).
    pub fn new(root: PathBuf) -> io::Result<Config> {
        Ok(Config {
            root: root.canonicalize()?,
            limits: Limits {
                head_timeout: Duration::from_secs(30),
                idle_timeout: Duration::from_secs(10),
            },
            log: true,
            cache: Arc::default(),
        })
    }
}

/// Serves one connection until the client closes it, an error occurs, or a deadline passes.
// ANCHOR: serve_connection
pub async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    config: Arc<Config>,
) -> io::Result<()> {
    stream.set_nodelay(true)?;
    // Bytes received but not yet used: a pipelining client may send several requests at once.
    let mut buffer: Vec<u8> = Vec::with_capacity(4096);
    loop {
        let head_len = match read_head(&stream, &mut buffer, &config.limits).await? {
            HeadRead::Complete(length) => length,
            HeadRead::Closed => return Ok(()),
            HeadRead::Refused(status) => return refuse(&stream, status).await,
        };
        let started = Instant::now();
        let parsed = request::parse(&buffer[..head_len]);
        buffer.drain(..head_len);
        let request = match parsed {
            Ok(request) => request,
            Err(Refusal(status)) => return refuse(&stream, status).await,
        };
        // A body is held to the same deadline as a head: a client that declares a huge
        // Content-Length and trickles it must not hold the connection forever.
        let body = discard_body(&stream, &mut buffer, request.content_length);
        if sprout::timeout(config.limits.head_timeout, body)
            .await
            .is_err()
        {
            return refuse(&stream, 408).await;
        }
        let (status, sent) = answer(&stream, &request, &config).await?;
        if config.log {
            eprintln!(
                "{peer} \"{} {} HTTP/1.{}\" {status} {sent} {:.1}ms",
                if request.method == Method::Get {
                    "GET"
                } else {
                    "HEAD"
                },
                request.target.escape_debug(),
                request.minor_version,
                started.elapsed().as_secs_f64() * 1e3
            );
        }
        if !request.keep_alive {
            return stream.shutdown(Shutdown::Write);
        }
    }
}
// ANCHOR_END: serve_connection

/// The outcome of reading one head.
enum HeadRead {
    /// `buffer[..n]` holds a complete head (ending with the blank line).
    Complete(usize),
    /// The client closed the connection, or stayed idle past the keep-alive timeout, between
    /// requests: end quietly.
    Closed,
    /// The head broke a limit or a deadline: answer with this status and close.
    Refused(u16),
}

/// Reads until `buffer` holds a complete head. The idle timeout applies until a request's first
/// byte arrives; from then on the whole head must arrive before the head deadline, however
/// slowly the bytes trickle in (slowloris).
async fn read_head(
    stream: &TcpStream,
    buffer: &mut Vec<u8>,
    limits: &Limits,
) -> io::Result<HeadRead> {
    let mut head_deadline = (!buffer.is_empty()).then(|| Instant::now() + limits.head_timeout);
    let mut chunk = [0u8; 4096];
    loop {
        // The limits hold whether the head arrived in pieces or in one read.
        let head_end = find_head_end(buffer);
        let line_end = buffer.iter().position(|&byte| byte == b'\n');
        if line_end.unwrap_or(buffer.len()) > MAX_REQUEST_LINE {
            return Ok(HeadRead::Refused(414));
        }
        if head_end.unwrap_or(buffer.len()) > MAX_HEAD {
            return Ok(HeadRead::Refused(431));
        }
        if let Some(end) = head_end {
            return Ok(HeadRead::Complete(end));
        }
        let read = match head_deadline {
            None => match sprout::timeout(limits.idle_timeout, stream.read(&mut chunk)).await {
                Ok(read) => read,
                Err(_) => return Ok(HeadRead::Closed), // idle keep-alive connection
            },
            Some(deadline) => {
                let left = deadline.saturating_duration_since(Instant::now());
                match sprout::timeout(left, stream.read(&mut chunk)).await {
                    Ok(read) => read,
                    Err(_) => return Ok(HeadRead::Refused(408)), // too slow: slowloris
                }
            }
        };
        let read = match read {
            Ok(read) => read,
            Err(error) if error.kind() == io::ErrorKind::ConnectionReset => {
                return Ok(HeadRead::Closed)
            }
            Err(error) => return Err(error),
        };
        if read == 0 {
            return Ok(if buffer.is_empty() {
                HeadRead::Closed
            } else {
                HeadRead::Refused(400)
            });
        }
        head_deadline.get_or_insert_with(|| Instant::now() + limits.head_timeout);
        buffer.extend_from_slice(&chunk[..read]);
    }
}

/// The index just past the blank line that ends a head, if the buffer holds one. Lines end in
/// CRLF or in a bare LF, which RFC 9112 (section 2.2) lets a server accept and the parser does:
/// a head that ends `\n\n` is answered at once, not after the head timeout.
fn find_head_end(buffer: &[u8]) -> Option<usize> {
    let line_ends = buffer
        .iter()
        .enumerate()
        .filter(|&(_, &byte)| byte == b'\n');
    line_ends
        .map(|(at, _)| at + 1)
        .find_map(|next| match &buffer[next..] {
            [b'\n', ..] => Some(next + 1),
            [b'\r', b'\n', ..] => Some(next + 2),
            _ => None,
        })
}

/// Reads and drops a request body of `length` bytes (first from what is buffered).
async fn discard_body(stream: &TcpStream, buffer: &mut Vec<u8>, length: u64) -> io::Result<()> {
    // (Called under a deadline; see `serve_connection`.)
    let buffered = (length.min(buffer.len() as u64)) as usize;
    buffer.drain(..buffered);
    let mut left = length - buffered as u64;
    let mut scratch = [0u8; 4096];
    while left > 0 {
        let want = (left as usize).min(scratch.len());
        let read = stream.read(&mut scratch[..want]).await?;
        if read == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        left -= read as u64;
    }
    Ok(())
}

/// Sends an error response and closes the connection.
async fn refuse(stream: &TcpStream, status: u16) -> io::Result<()> {
    let (head, body) = response::error(status);
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    stream.shutdown(Shutdown::Write)
}

/// Answers one checked request; returns the status and the body bytes sent.
async fn answer(stream: &TcpStream, request: &Request, config: &Config) -> io::Result<(u16, u64)> {
    let head_only = request.method == Method::Head;
    let key = format!(
        "{}{}",
        request.segments.join("/"),
        if request.trailing_slash { "/" } else { "" }
    );
    if let Some(cached) = config.cache.get(&key) {
        return send_cached(stream, request, &cached, head_only).await;
    }
    let found = {
        let (root, segments, slash) = (
            config.root.clone(),
            request.segments.clone(),
            request.trailing_slash,
        );
        // Resolving and reading touch the disk: the blocking pool, one trip.
        sprout::spawn_blocking(move || files::find(&root, &segments, slash)).await?
    };
    match found {
        Err(status) => send_error(stream, status, request.keep_alive, head_only).await,
        Ok(Found::NeedsSlash) => {
            let location: Vec<String> = request
                .segments
                .iter()
                .map(|s| response::percent_encode(s))
                .collect();
            let extra = format!("Location: /{}/\r\n", location.join("/"));
            let head = response::head(
                301,
                "text/plain; charset=utf-8",
                0,
                request.keep_alive,
                &extra,
            );
            stream.write_all(head.as_bytes()).await?;
            Ok((301, 0))
        }
        Ok(Found::Listing(html)) => {
            let head = response::head(
                200,
                "text/html; charset=utf-8",
                html.len() as u64,
                request.keep_alive,
                "",
            );
            stream.write_all(head.as_bytes()).await?;
            if !head_only {
                stream.write_all(html.as_bytes()).await?;
            }
            Ok((200, if head_only { 0 } else { html.len() as u64 }))
        }
        Ok(Found::Small(cached)) => {
            let cached = Arc::new(cached);
            config.cache.put(key, cached.clone());
            send_cached(stream, request, &cached, head_only).await
        }
        Ok(Found::Large(file, metadata, name)) => {
            send_large(stream, request, (file, metadata, &name), head_only).await
        }
    }
}

/// `true` if the client's `If-Modified-Since` matches the file's `Last-Modified`.
fn not_modified(request: &Request, last_modified: Option<&String>) -> bool {
    matches!((last_modified, &request.if_modified_since), (Some(modified), Some(since)) if modified == since)
}

/// Sends a 304: no body, and no Content-Length describing one.
async fn send_not_modified(stream: &TcpStream, request: &Request) -> io::Result<(u16, u64)> {
    let head = response::head(304, "text/plain; charset=utf-8", 0, request.keep_alive, "");
    let head = head.replace("Content-Length: 0\r\n", "");
    stream.write_all(head.as_bytes()).await?;
    Ok((304, 0))
}

/// Sends a small file from memory (or just its head, for HEAD or a 304).
async fn send_cached(
    stream: &TcpStream,
    request: &Request,
    cached: &Cached,
    head_only: bool,
) -> io::Result<(u16, u64)> {
    if not_modified(request, cached.last_modified.as_ref()) {
        return send_not_modified(stream, request).await;
    }
    let mut extra = cached
        .last_modified
        .as_ref()
        .map(|m| format!("Last-Modified: {m}\r\n"))
        .unwrap_or_default();
    let total = cached.body.len() as u64;
    let (status, start, end) = match ranged(request, total, &mut extra) {
        Some(span) => span,
        None => return send_unsatisfiable(stream, request, total).await,
    };
    let length = end - start;
    let mut response = response::head(
        status,
        cached.content_type,
        length,
        request.keep_alive,
        &extra,
    )
    .into_bytes();
    if !head_only {
        // Head and body in one write.
        response.extend_from_slice(&cached.body[start as usize..end as usize]);
    }
    stream.write_all(&response).await?;
    Ok((status, if head_only { 0 } else { length }))
}

/// Streams a large file, opened and checked by `files::find` (or sends just its head, for HEAD
/// or a 304).
async fn send_large(
    stream: &TcpStream,
    request: &Request,
    (file, metadata, name): (std::fs::File, std::fs::Metadata, &str),
    head_only: bool,
) -> io::Result<(u16, u64)> {
    let total = metadata.len();
    let modified = metadata.modified().map(response::http_date).ok();
    if not_modified(request, modified.as_ref()) {
        return send_not_modified(stream, request).await;
    }
    let mut extra = modified
        .map(|m| format!("Last-Modified: {m}\r\n"))
        .unwrap_or_default();
    let (status, start, end) = match ranged(request, total, &mut extra) {
        Some(span) => span,
        None => return send_unsatisfiable(stream, request, total).await,
    };
    let head = response::head(
        status,
        response::content_type(name),
        end - start,
        request.keep_alive,
        &extra,
    );
    stream.write_all(head.as_bytes()).await?;
    if head_only {
        return Ok((status, 0));
    }
    let sent = files::stream_file(stream, file, start, end - start).await?;
    if sent < end - start {
        // The file shrank under us: the framing is broken, so the connection must end.
        return Err(io::Error::other("file shrank while being sent"));
    }
    Ok((status, sent))
}

/// Applies the request's `Range` to a file of `total` bytes: `Some((status, start, end))` with
/// the headers it needs appended to `extra`, or `None` for a range outside the file (416).
fn ranged(request: &Request, total: u64, extra: &mut String) -> Option<(u16, u64, u64)> {
    extra.push_str("Accept-Ranges: bytes\r\n");
    match request::byte_range(request.range.as_deref(), total) {
        ByteRange::Whole => Some((200, 0, total)),
        ByteRange::Part(start, end) => {
            extra.push_str(&format!("Content-Range: bytes {start}-{end}/{total}\r\n"));
            Some((206, start, end + 1))
        }
        ByteRange::Unsatisfiable => None,
    }
}

/// Sends a 416 for a range outside a file of `length` bytes.
async fn send_unsatisfiable(
    stream: &TcpStream,
    request: &Request,
    length: u64,
) -> io::Result<(u16, u64)> {
    let extra = format!("Content-Range: bytes */{length}\r\n");
    let head = response::head(
        416,
        "text/plain; charset=utf-8",
        0,
        request.keep_alive,
        &extra,
    );
    stream.write_all(head.as_bytes()).await?;
    Ok((416, 0))
}

/// Sends an error page on a connection that may stay open (404, 403 after a valid request).
async fn send_error(
    stream: &TcpStream,
    status: u16,
    keep_alive: bool,
    head_only: bool,
) -> io::Result<(u16, u64)> {
    let (head, body) = response::error(status);
    let head = if keep_alive {
        head.replace("Connection: close", "Connection: keep-alive")
    } else {
        head
    };
    stream.write_all(head.as_bytes()).await?;
    if !head_only {
        stream.write_all(body.as_bytes()).await?;
    }
    Ok((status, if head_only { 0 } else { body.len() as u64 }))
}
