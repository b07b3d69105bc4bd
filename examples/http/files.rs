//! Mapping a request path to a file under the web root, safely, and sending it.
//!
//! Flow: normalised path segments (request.rs) → [`find`] → [`open_confined`] or
//! [`confine`] → a file, sent from memory or streamed in chunks read on the blocking pool, or a
//! directory listing.
//!
//! The safety rule: every file this server opens and every directory it lists passes through
//! [`confine`] at the moment it is opened, not only the path the client asked for. The server
//! builds paths of its own (a directory's `index.html`), and a symlink met on such a path, or
//! swapped in after a check, must not lead outside the root. [`open_confined`] therefore checks
//! the real path (symlinks followed) before opening and checks the opened file again after, and
//! hands on the open `File`: what is sent is what was checked.
//!
//! Why `spawn_blocking` for file reads: a read from disk cannot be made non-blocking with epoll
//! (regular files are always "ready"), so a cold read would stall the worker and every
//! connection on it. Each 64 KiB chunk is read on a pool thread while the worker serves others;
//! memory stays flat (one chunk per connection) however large the file. Production servers use
//! `sendfile` or io_uring; both need system calls std does not offer.

use std::fs::{File, Metadata};
use std::io::{self, Read, Seek, SeekFrom};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use sprout::net::TcpStream;

/// Bytes read per blocking-pool round trip while streaming a file.
pub const CHUNK: usize = 64 * 1024;

/// The real path of `path` (every symlink followed), if it lies inside `root` (which is
/// canonical). `Err(404)` if it does not exist, `Err(403)` if it leaves the root.
pub fn confine(root: &Path, path: &Path) -> Result<PathBuf, u16> {
    let real = path.canonicalize().map_err(|_| 404u16)?;
    if !real.starts_with(root) {
        return Err(403);
    }
    Ok(real)
}

/// Opens the regular file at `path` for reading, if its real path lies inside `root`: checked
/// before opening ([`confine`]) and again on the open file, through the kernel's record of what
/// the descriptor refers to (`/proc/self/fd`), so a symlink swapped in between the two is caught.
/// `Err(404)` for a missing path or anything but a regular file (a FIFO would block the opening
/// thread), `Err(403)` for a path outside the root.
pub fn open_confined(root: &Path, path: &Path) -> Result<(File, Metadata), u16> {
    let real = confine(root, path)?;
    if !real.metadata().map_err(|_| 404u16)?.is_file() {
        return Err(404); // Directories are listed, not opened; sockets, devices, FIFOs never.
    }
    let file = File::open(&real).map_err(|_| 404u16)?;
    if let Ok(opened) = std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd())) {
        if !opened.starts_with(root) {
            return Err(403);
        }
    }
    let metadata = file.metadata().map_err(|_| 404u16)?;
    if !metadata.is_file() {
        return Err(404);
    }
    Ok((file, metadata))
}

/// What one trip to the blocking pool found for a request path.
pub enum Found {
    /// A small file, read whole (cacheable).
    Small(super::cache::Cached),
    /// A large file, open, with its metadata and name, to be streamed.
    Large(File, Metadata, String),
    /// A directory listing, as HTML.
    Listing(String),
    /// A directory requested without the trailing slash.
    NeedsSlash,
}

/// Resolves the request path under `root` and, for a small file or a directory's
/// `index.html`, reads it — all in one call meant for the blocking pool (one thread hand-off
/// per cache miss). `Err(404)` if missing (sockets, devices, FIFOs are never served),
/// `Err(403)` if the path, or a path built from it, leads outside the root.
pub fn find(root: &Path, segments: &[String], trailing_slash: bool) -> Result<Found, u16> {
    let mut path = root.to_path_buf();
    for segment in segments {
        path.push(segment);
    }
    let real = confine(root, &path)?;
    let is_dir = real.metadata().map_err(|_| 404u16)?.is_dir();
    let (file, metadata, real) = if is_dir {
        if !trailing_slash && !segments.is_empty() {
            return Ok(Found::NeedsSlash);
        }
        // A path the server builds itself: it passes the same gate as the client's.
        let index = real.join("index.html");
        match open_confined(root, &index) {
            Ok((file, metadata)) => (file, metadata, index),
            Err(404) => return listing(root, &real, segments).map(Found::Listing),
            Err(status) => return Err(status),
        }
    } else {
        let (file, metadata) = open_confined(root, &real)?;
        (file, metadata, real)
    };
    let name = real.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if metadata.len() > super::cache::MAX_FILE {
        return Ok(Found::Large(file, metadata, name.to_string()));
    }
    let mut body = Vec::with_capacity(metadata.len() as usize);
    (&file).read_to_end(&mut body).map_err(|_| 404u16)?;
    Ok(Found::Small(super::cache::Cached {
        body,
        content_type: super::response::content_type(name),
        last_modified: metadata.modified().map(super::response::http_date).ok(),
        fetched: std::time::Instant::now(),
    }))
}

/// An HTML listing of `dir` (confined to `root` like every file), names escaped, links
/// percent-encoded, directories first. `Err(403)` outside the root, `Err(500)` if unreadable.
pub fn listing(root: &Path, dir: &Path, request_path: &[String]) -> Result<String, u16> {
    let dir = confine(root, dir)?;
    let mut entries: Vec<(bool, String)> = std::fs::read_dir(dir)
        .map_err(|_| 500u16)?
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

/// Sends `length` bytes of `file` (opened by [`open_confined`]) from byte `start`, reading
/// each chunk on the blocking pool. Returns the bytes sent.
pub async fn stream_file(
    stream: &TcpStream,
    mut file: File,
    start: u64,
    length: u64,
) -> io::Result<u64> {
    if start > 0 {
        file = sprout::spawn_blocking(move || {
            file.seek(SeekFrom::Start(start))?;
            io::Result::Ok(file)
        })
        .await??;
    }
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
