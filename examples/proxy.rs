//! A TCP proxy: every connection accepted is joined to a new connection to the upstream
//! server, bytes copied both ways, and each side's end of stream passed on (half-close), so
//! request/response protocols that rely on `shutdown(Write)` work through it.
//!
//! Flow stages exercised: accept → spawn → two reads pending at once on two sockets → whichever
//! is ready is written to the other → end of stream → `shutdown(Write)` on the other side.
//!
//! ```text
//! cargo run --example echo                                  # the upstream, on 127.0.0.1:10000
//! cargo run --example proxy                                 # listens on 127.0.0.1:10001
//! cargo run --example proxy -- --listen 127.0.0.1:9001 --to 127.0.0.1:10000
//! cargo run --example echo_client -- --addr 127.0.0.1:10001 "through the proxy"
//! ```
//!
//! Ctrl-C stops it gracefully, like every `StreamServer`.

use std::net::SocketAddr;

use sprout::net::{StreamServer, TcpStream};

/// One client: connect upstream, then copy both ways until both directions have ended.
/// (`tests/io_proxy.rs` runs this very function.)
pub async fn proxy(client: TcpStream, upstream: SocketAddr) -> std::io::Result<()> {
    client.set_nodelay(true)?;
    let server = TcpStream::connect(upstream).await?;
    server.set_nodelay(true)?;
    let (sent, received) = sprout::io::copy_bidirectional(&client, &server).await?;
    eprintln!("proxy: {sent} bytes up, {received} bytes down");
    Ok(())
}

fn main() {
    if let Err(message) = run() {
        eprintln!("proxy: {message}");
        std::process::exit(1);
    }
}

/// Parses `--listen HOST:PORT` and `--to HOST:PORT`, then serves until Ctrl-C.
fn run() -> Result<(), String> {
    let mut listen = "127.0.0.1:10001".to_string();
    let mut upstream = "127.0.0.1:10000".to_string();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().ok_or(format!("{arg} needs HOST:PORT"))?;
        match arg.as_str() {
            "--listen" => listen = value,
            "--to" => upstream = value,
            _ => return Err(format!("unknown option {arg} (--listen, --to)")),
        }
    }
    let upstream: SocketAddr = upstream
        .parse()
        .map_err(|error| format!("--to {upstream}: {error}"))?;
    sprout::run(async move {
        let server = StreamServer::bind(listen.as_str(), move |client, _peer| {
            proxy(client, upstream)
        })
        .await?;
        println!(
            "proxy: {} -> {upstream} (Ctrl-C stops)",
            server.local_addr()?
        );
        server.serve_forever().await
    })
    .map_err(|error| error.to_string())
}
