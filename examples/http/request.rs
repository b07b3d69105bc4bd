//! Reading and checking one request head: the part of the HTTP server that faces untrusted
//! bytes. Everything malformed becomes a 4xx/5xx status, never a panic.
//!
//! Flow: bytes arrive (server.rs) → [`parse`] with `httparse` → method, path, version and the
//! framing headers checked → a [`Request`] the file handler can trust.

use std::time::Duration;

/// The request line may be at most this long (a longer one gets 414).
pub const MAX_REQUEST_LINE: usize = 8 * 1024;
/// The whole head may be at most this long (a longer one gets 431).
pub const MAX_HEAD: usize = 16 * 1024;
/// Headers parsed per request at most (more gets 431).
const MAX_HEADERS: usize = 64;

/// Limits and deadlines a connection works under.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Time to receive a whole request head once its first byte arrived (slowloris defence).
    pub head_timeout: Duration,
    /// Time a keep-alive connection may sit idle between requests.
    pub idle_timeout: Duration,
}

/// The methods this server implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// GET: send the resource.
    Get,
    /// HEAD: the headers GET would send, without the body.
    Head,
}

/// A request head that passed every check.
#[derive(Debug)]
pub struct Request {
    /// GET or HEAD.
    pub method: Method,
    /// The raw target as sent (for the access log, escaped there).
    pub target: String,
    /// The path, percent-decoded once and normalised: segments without `.`/`..`/empty ones.
    pub segments: Vec<String>,
    /// `true` if the raw path ended with `/`.
    pub trailing_slash: bool,
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub minor_version: u8,
    /// Whether the connection stays open after the response.
    pub keep_alive: bool,
    /// Body bytes that follow the head (to be read and discarded).
    pub content_length: u64,
    /// `If-Modified-Since`, as sent (compared textually with our `Last-Modified`).
    pub if_modified_since: Option<String>,
    /// `Range`, as sent (interpreted by [`byte_range`] once the file's length is known).
    pub range: Option<String>,
}

/// Why a head was refused: the status to answer with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refusal(pub u16);

/// Parses and checks a complete head (`head` ends with the blank line).
pub fn parse(head: &[u8]) -> Result<Request, Refusal> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Request::new(&mut headers);
    match parsed.parse(head) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => return Err(Refusal(400)),
        Err(httparse::Error::Version) => return Err(Refusal(505)),
        Err(httparse::Error::TooManyHeaders) => return Err(Refusal(431)),
        Err(_) => return Err(Refusal(400)),
    }
    let minor_version = parsed.version.ok_or(Refusal(400))?;
    let target = parsed.path.ok_or(Refusal(400))?.to_owned();
    let mut content_length: Option<u64> = None;
    let mut transfer_encoding = false;
    let mut connection = String::new();
    let mut if_modified_since = None;
    let mut range = None;
    for header in parsed.headers.iter() {
        let value = std::str::from_utf8(header.value)
            .map_err(|_| Refusal(400))?
            .trim();
        if value.contains('\0') {
            return Err(Refusal(400));
        }
        match header.name.to_ascii_lowercase().as_str() {
            "content-length" => {
                let length = parse_length(value)?;
                // Two different lengths are a smuggling attempt.
                if content_length.is_some_and(|seen| seen != length) {
                    return Err(Refusal(400));
                }
                content_length = Some(length);
            }
            "transfer-encoding" => transfer_encoding = true,
            "connection" => connection = value.to_ascii_lowercase(),
            "if-modified-since" => if_modified_since = Some(value.to_owned()),
            "range" => range = Some(value.to_owned()),
            _ => {}
        }
    }
    if transfer_encoding {
        // Both framings at once is request smuggling; a body encoding we do not implement is 501.
        return Err(Refusal(if content_length.is_some() { 400 } else { 501 }));
    }
    let method = match parsed.method.ok_or(Refusal(400))? {
        "GET" => Method::Get,
        "HEAD" => Method::Head,
        _ => return Err(Refusal(405)),
    };
    let (segments, trailing_slash) = normalise(&target)?;
    let keep_alive = match minor_version {
        0 => connection.split(',').any(|t| t.trim() == "keep-alive"),
        _ => !connection.split(',').any(|t| t.trim() == "close"),
    };
    Ok(Request {
        method,
        target,
        segments,
        trailing_slash,
        minor_version,
        keep_alive,
        content_length: content_length.unwrap_or(0),
        if_modified_since,
        range,
    })
}

/// What a `Range` header asks of a file of `length` bytes.
#[derive(Debug, PartialEq, Eq)]
pub enum ByteRange {
    /// No usable range (absent, multiple ranges, or another unit): send the whole file (200).
    Whole,
    /// Send bytes `start..=end` (206).
    Part(u64, u64),
    /// The range lies outside the file (416).
    Unsatisfiable,
}

/// Interprets a single `bytes=` range (`a-b`, `a-`, `-n`) against a file of `length` bytes.
pub fn byte_range(header: Option<&str>, length: u64) -> ByteRange {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return ByteRange::Whole;
    };
    if spec.contains(',') {
        return ByteRange::Whole; // Several ranges: allowed to answer with the whole file.
    }
    let Some((first, last)) = spec.split_once('-') else {
        return ByteRange::Whole;
    };
    let number = |text: &str| {
        (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
            .then(|| text.parse::<u64>().ok())
            .flatten()
    };
    let (start, end) = match (number(first.trim()), number(last.trim())) {
        (Some(start), Some(end)) if start <= end => (start, end.min(length.saturating_sub(1))),
        (Some(start), None) if last.trim().is_empty() => (start, length.saturating_sub(1)),
        (None, Some(suffix)) if first.trim().is_empty() && suffix > 0 => {
            (length.saturating_sub(suffix), length.saturating_sub(1))
        }
        _ => return ByteRange::Whole, // Malformed: ignore it, as the RFC allows.
    };
    if length == 0 || start >= length {
        return ByteRange::Unsatisfiable;
    }
    ByteRange::Part(start, end)
}

/// A Content-Length value: digits only (no sign, no spaces inside), at most 19 of them.
fn parse_length(value: &str) -> Result<u64, Refusal> {
    if value.is_empty() || value.len() > 19 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Refusal(400));
    }
    value.parse().map_err(|_| Refusal(400))
}

/// Turns a request target into safe path segments: origin-form or absolute-form; query and
/// fragment dropped; percent-decoded exactly once; `.` and empty segments removed; `..` pops
/// (and climbing above the root is 403). A segment holding `/`, `\` or NUL after decoding is
/// refused, so no spelling can smuggle a separator past this function.
// ANCHOR: normalise
pub fn normalise(target: &str) -> Result<(Vec<String>, bool), Refusal> {
    let path = if let Some(rest) = target
        .strip_prefix("http://")
        .or_else(|| target.strip_prefix("https://"))
    {
        rest.find('/').map_or("/", |slash| &rest[slash..])
    } else {
        target
    };
    if !path.starts_with('/') {
        return Err(Refusal(400));
    }
    let path = path.split(['?', '#']).next().unwrap_or("/");
    let trailing_slash = path.ends_with('/');
    let mut segments: Vec<String> = Vec::new();
    for raw in path.split('/') {
        let segment = percent_decode(raw)?;
        if segment.contains(['/', '\\', '\0']) {
            return Err(Refusal(400));
        }
        match segment.as_str() {
            "" | "." => {}
            ".." => {
                if segments.pop().is_none() {
                    return Err(Refusal(403));
                }
            }
            _ => segments.push(segment),
        }
    }
    Ok((segments, trailing_slash))
}
// ANCHOR_END: normalise

/// Decodes `%XY` escapes once; the result must be UTF-8.
fn percent_decode(raw: &str) -> Result<String, Refusal> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3).ok_or(Refusal(400))?;
            // Exactly two hex digits (from_str_radix alone would also take "+1").
            if !hex.iter().all(u8::is_ascii_hexdigit) {
                return Err(Refusal(400));
            }
            let text = std::str::from_utf8(hex).map_err(|_| Refusal(400))?;
            out.push(u8::from_str_radix(text, 16).map_err(|_| Refusal(400))?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| Refusal(400))
}
