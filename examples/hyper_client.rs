//! hyper 1.x as an HTTP client on sprout: fetch a page from the `http` example (or any
//! HTTP/1.1 server) through the same two adapters `hyper_hello` serves with.
//!
//! Flow stages exercised: connect → hyper writes the request through `SproutIo` → the
//! connection task waits for the response (Pending → reactor → wake) → the body arrives.
//!
//! ```text
//! cargo run --example http                                   # the server, on 127.0.0.1:8080
//! cargo run --example hyper_client -- http://127.0.0.1:8080/hello.txt
//! ```

use std::io;

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::client::conn::http1;
use hyper::{Request, StatusCode};
use sprout::net::TcpStream;

#[path = "common/hyper_io.rs"]
#[allow(dead_code)] // The client needs the I/O adapter only; the executor is the server's.
mod hyper_io;
use hyper_io::SproutIo;

/// Fetches `path` from the HTTP/1.1 server at `authority` (`host:port`): the status and the
/// whole body. (`tests/hyper_client.rs` runs this very function.)
pub async fn fetch(authority: &str, path: &str) -> io::Result<(StatusCode, Bytes)> {
    let stream = TcpStream::connect(authority).await?;
    stream.set_nodelay(true)?;
    let (mut sender, connection) = http1::handshake(SproutIo(stream))
        .await
        .map_err(io::Error::other)?;
    // hyper's connection future drives the socket; it ends when the sender is dropped.
    let driving = sprout::spawn(connection);
    let request = Request::get(path)
        .header(hyper::header::HOST, authority)
        .body(Empty::<Bytes>::new())
        .map_err(io::Error::other)?;
    let response = sender
        .send_request(request)
        .await
        .map_err(io::Error::other)?;
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(io::Error::other)?
        .to_bytes();
    drop(sender);
    driving
        .await
        .map_err(io::Error::other)?
        .map_err(io::Error::other)?;
    Ok((status, body))
}

/// Splits `http://host:port/path` into `("host:port", "/path")`.
fn split_url(url: &str) -> Result<(&str, &str), String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or("only http:// URLs (TLS is the echo_tls example's subject)")?;
    Ok(match rest.find('/') {
        Some(slash) => (&rest[..slash], &rest[slash..]),
        None => (rest, "/"),
    })
}

fn main() {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "http://127.0.0.1:8080/".to_string());
    let outcome = split_url(&url).and_then(|(authority, path)| {
        sprout::run(fetch(authority, path)).map_err(|error| format!("{url}: {error}"))
    });
    match outcome {
        Ok((status, body)) => {
            eprintln!("{status}");
            println!("{}", String::from_utf8_lossy(&body));
        }
        Err(message) => {
            eprintln!("hyper_client: {message}");
            std::process::exit(1);
        }
    }
}
