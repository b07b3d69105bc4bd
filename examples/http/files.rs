//! Mapping a request path to a file under the web root, safely, and sending it.
//!
//! Flow: normalised path segments (request.rs) → [`resolve`] (canonicalised, must stay under
//! the root, so no `..` spelling or symlink can escape) → a file, streamed in chunks read on the
//! blocking pool, or a directory listing.
//!
//! Why `spawn_blocking` for file reads: a read from disk cannot be made non-blocking with epoll
//! (regular files are always "ready"), so a cold read would stall the worker and every
//! connection on it. Each 64 KiB chunk is read on a pool thread while the worker serves others;
//! memory stays flat (one chunk per connection) however large the file. Production servers use
//! `sendfile` or io_uring; both need system calls std does not offer.

use std::fs::{File, Metadata};
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use sprout::net::TcpStream;

/// Bytes read per blocking-pool round trip while streaming a file.
pub const CHUNK: usize = 64 * 1024;

/// What a path resolved to.
pub enum Target {
    /// A regular file, its path and metadata.
    File(PathBuf, Metadata),
    /// A directory (its path), requested with a trailing slash.
    Directory(PathBuf),
    /// A directory requested without the trailing slash: redirect to the slashed form.
    NeedsSlash,
}

/// Resolves `segments` under `root` (already canonical). `Err(404)` if missing, `Err(403)` if
/// the real path (after following symlinks) leaves the root.
pub fn resolve(root: &Path, segments: &[String], trailing_slash: bool) -> Result<Target, u16> {
    let mut path = root.to_path_buf();
    for segment in segments {
        path.push(segment);
    }
    let real = path.canonicalize().map_err(|_| 404u16)?;
    if !real.starts_with(root) {
        return Err(403);
    }
    let metadata = real.metadata().map_err(|_| 404u16)?;
    if metadata.is_dir() {
        if !trailing_slash && !segments.is_empty() {
            return Ok(Target::NeedsSlash);
        }
        return Ok(Target::Directory(real));
    }
    if metadata.is_file() {
        return Ok(Target::File(real, metadata));
    }
    Err(404) // sockets, devices, fifos: never served
}

/// What one trip to the blocking pool found for a request path.
pub enum Found {
    /// A small file, read whole (cacheable).
    Small(super::cache::Cached),
    /// A large file: its path and length, to be streamed.
    Large(PathBuf, Metadata),
    /// A directory listing, as HTML.
    Listing(String),
    /// A directory requested without the trailing slash.
    NeedsSlash,
}

/// Resolves the path and, for a small file or a directory's `index.html`, reads it — all in one
/// call meant for the blocking pool (one thread hand-off per cache miss).
pub fn find(root: &Path, segments: &[String], trailing_slash: bool) -> Result<Found, u16> {
    let (path, metadata) = match resolve(root, segments, trailing_slash)? {
        Target::NeedsSlash => return Ok(Found::NeedsSlash),
        Target::File(path, metadata) => (path, metadata),
        Target::Directory(dir) => {
            let index = dir.join("index.html");
            match index.metadata() {
                Ok(metadata) if metadata.is_file() => (index, metadata),
                _ => return listing(&dir, segments).map(Found::Listing).map_err(|_| 500),
            }
        }
    };
    if metadata.len() > super::cache::MAX_FILE {
        return Ok(Found::Large(path, metadata));
    }
    let body = std::fs::read(&path).map_err(|_| 404u16)?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    Ok(Found::Small(super::cache::Cached {
        body,
        content_type: super::response::content_type(name),
        last_modified: metadata.modified().map(super::response::http_date).ok(),
        fetched: std::time::Instant::now(),
    }))
}

/// An HTML listing of `dir`: names escaped, links percent-encoded, directories first.
pub fn listing(dir: &Path, request_path: &[String]) -> io::Result<String> {
    let mut entries: Vec<(bool, String)> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?; // non-UTF-8 names are skipped
            let is_dir = entry.file_type().ok()?.is_dir();
            Some((!is_dir, name))
        })
        .collect();
    entries.sort();
    let title = format!("/{}", request_path.join("/"));
    let mut html = format!(
        "<!doctype html><meta charset=utf-8><title>Index of {0}</title><h1>Index of {0}</h1><ul>\n",
        super::response::html_escape(&title)
    );
    if !request_path.is_empty() {
        html.push_str("<li><a href=\"../\">../</a></li>\n");
    }
    for (is_file, name) in entries {
        let slash = if is_file { "" } else { "/" };
        html.push_str(&format!(
            "<li><a href=\"{}{slash}\">{}{slash}</a></li>\n",
            super::response::percent_encode(&name),
            super::response::html_escape(&name)
        ));
    }
    html.push_str("</ul>\n");
    Ok(html)
}

/// Sends `length` bytes of the file at `path` from byte `start`, reading each chunk on the
/// blocking pool. Returns the bytes sent.
pub async fn stream_file(
    stream: &TcpStream,
    path: PathBuf,
    start: u64,
    length: u64,
) -> io::Result<u64> {
    let mut file = sprout::spawn_blocking(move || {
        let mut file = File::open(path)?;
        file.seek(SeekFrom::Start(start))?;
        io::Result::Ok(file)
    })
    .await??;
    let mut buffer = vec![0u8; CHUNK.min(length as usize).max(1)];
    let mut sent = 0u64;
    while sent < length {
        let want = buffer.len().min((length - sent) as usize);
        // The file and the buffer travel to the pool thread and back: no copy, no sharing.
        let (back_file, back_buffer, read) = sprout::spawn_blocking(move || {
            let read = file.read(&mut buffer[..want]);
            (file, buffer, read)
        })
        .await?;
        file = back_file;
        buffer = back_buffer;
        let read = read?;
        if read == 0 {
            break; // The file shrank while we sent it; the connection will be closed.
        }
        stream.write_all(&buffer[..read]).await?;
        sent += read as u64;
    }
    Ok(sent)
}
