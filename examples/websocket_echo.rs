//! A WebSocket echo server on sprout, with async-tungstenite and no tokio: the handshake and the
//! frames run over a sprout `TcpStream` through the futures-io traits.
//!
//! Flow stages exercised: accept → spawn → HTTP upgrade handshake → frames read (Pending →
//! reactor → wake) → the same frame written back.
//!
//! ```text
//! cargo run --example websocket_echo                       # ws://127.0.0.1:10080/
//! cargo run --example websocket_echo -- --client "hello"   # one text message, echoed
//! ```

use std::io;

use async_tungstenite::tungstenite::Message;
use sprout::future::StreamExt;
use sprout::net::{StreamServer, TcpStream};

/// One connection: upgrade to WebSocket, then send every text or binary message back until the
/// client closes. (`tests/websocket_echo.rs` runs this very function.)
pub async fn websocket_echo(stream: TcpStream) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut socket = async_tungstenite::accept_async(stream)
        .await
        .map_err(io::Error::other)?;
    while let Some(message) = socket.next().await {
        match message.map_err(io::Error::other)? {
            message @ (Message::Text(_) | Message::Binary(_)) => {
                socket.send(message).await.map_err(io::Error::other)?
            }
            Message::Close(_) => break, // tungstenite answers the close itself
            _ => {} // pings are answered by tungstenite; pongs and raw frames need nothing
        }
    }
    Ok(())
}

/// Connects to `ws://{addr}/`, sends `text`, and returns the text that came back.
pub async fn ask(addr: &str, text: &str) -> io::Result<String> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let url = format!("ws://{addr}/");
    let (mut socket, _response) = async_tungstenite::client_async(url.as_str(), stream)
        .await
        .map_err(io::Error::other)?;
    socket
        .send(Message::text(text))
        .await
        .map_err(io::Error::other)?;
    let reply = match socket.next().await {
        Some(Ok(Message::Text(reply))) => reply.to_string(),
        other => return Err(io::Error::other(format!("unexpected reply: {other:?}"))),
    };
    socket.close(None).await.map_err(io::Error::other)?;
    Ok(reply)
}

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let option = |name: &str| {
        args.iter()
            .position(|arg| arg == name)
            .and_then(|at| args.get(at + 1).cloned())
    };
    let addr = option("--addr").unwrap_or_else(|| "127.0.0.1:10080".to_string());
    if let Some(text) = option("--client") {
        let reply = sprout::run(ask(&addr, &text))?;
        println!("{reply}");
        return Ok(());
    }
    sprout::run(async move {
        let server =
            StreamServer::bind(addr.as_str(), |stream, _peer| websocket_echo(stream)).await?;
        println!(
            "WebSocket echo on ws://{}/ (Ctrl-C stops)",
            server.local_addr()?
        );
        server.serve_forever().await
    })
}
