//! A chat server: every line a client types goes to every connected client. The fan-out is a
//! `sprout::sync::broadcast` channel; each connection's task waits on two things at once — its
//! own socket and the room — with `sprout::future::race`.
//!
//! Flow stages exercised: accept → spawn → a read and a broadcast receive pending at once →
//! whichever wakes first → write → back to waiting on both.
//!
//! ```text
//! cargo run --example chat                     # serves on 127.0.0.1:10002
//! nc 127.0.0.1 10002                           # from two terminals: type lines in one
//! ```
//!
//! A client too slow to keep up is told how many lines it missed instead of holding up the
//! room. Ctrl-C stops the server gracefully.

use std::net::SocketAddr;

use sprout::future::{race, StreamExt};
use sprout::io::{AsyncBufReadExt, BufReader};
use sprout::net::{StreamServer, TcpStream};
use sprout::sync::broadcast::{self, RecvError};

/// Lines the room keeps for clients that fall behind.
pub const BACKLOG: usize = 256;

/// What one connection's task woke up for.
enum Turn {
    /// The client sent a line (or closed: `None`).
    Typed(Option<std::io::Result<String>>),
    /// The room has a line for the client (or lost some, or closed).
    Heard(Result<String, RecvError>),
}

/// One client: announce it, then relay its lines to the room and the room's lines to it.
/// (`tests/chat.rs` runs this very function.)
pub async fn chat(
    stream: TcpStream,
    peer: SocketAddr,
    room: broadcast::Sender<String>,
) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut heard = room.subscribe();
    let _ = room.send(format!("*** {peer} joined\n"));
    let mut typed = BufReader::new(&stream).lines();
    loop {
        let turn = race(async { Turn::Typed(typed.next().await) }, async {
            Turn::Heard(heard.recv().await)
        })
        .await;
        match turn {
            Turn::Typed(Some(line)) => {
                let _ = room.send(format!("{peer}: {}\n", line?));
            }
            Turn::Typed(None) => break,
            Turn::Heard(Ok(line)) => stream.write_all(line.as_bytes()).await?,
            Turn::Heard(Err(RecvError::Lagged(missed))) => {
                let notice = format!("*** you missed {missed} line(s)\n");
                stream.write_all(notice.as_bytes()).await?;
            }
            Turn::Heard(Err(RecvError::Closed)) => break,
        }
    }
    let _ = room.send(format!("*** {peer} left\n"));
    Ok(())
}

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .skip_while(|arg| arg != "--addr")
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:10002".to_string());
    sprout::run(async move {
        let (room, _) = broadcast::channel(BACKLOG);
        let server = StreamServer::bind(addr.as_str(), move |stream, peer| {
            chat(stream, peer, room.clone())
        })
        .await?;
        println!("chat: {} (Ctrl-C stops)", server.local_addr()?);
        server.serve_forever().await
    })
}
