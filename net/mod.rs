//! `sprout::net`: sockets with `std::net`'s names and shapes, built only on [`Async`](crate::Async).
//!
//! Where it sits in the flow: at the edge, where bytes enter and leave.
//!
//! ```text
//! [stream.read_chunk(n).await] → Async::read_bytes_with(recv) → WouldBlock → Pending → waker parked in reactor → epoll event → wake → poll → [bytes]
//! ```
//!
//! This folder uses nothing from `runtime/` but its public API (`Async`, `spawn`,
//! `spawn_blocking`, `sleep`, `sync`): it is the proof that `Async<T>` is enough to make any
//! file descriptor awaitable. It holds no scheduling logic.
//!
//! | file                | what it holds                                                   |
//! |---------------------|-----------------------------------------------------------------|
//! | `stream.rs`         | `ByteStream<T>`: read/write, written once for TCP and Unix      |
//! | `stream_traits.rs`  | `AsyncRead`/`AsyncWrite` for `ByteStream<T>`                    |
//! | `chunk.rs`          | `Chunk`: a read into a pooled buffer, held only while it has data |
//! | `listener.rs`       | `Listener<L>`: accept, written once for TCP and Unix            |
//! | `datagram.rs`       | `Datagram<S>`: send/recv, written once for UDP and Unix         |
//! | `addr.rs`           | name resolution off the workers (`ToSocketAddrs`)               |
//! | `tcp.rs`            | `TcpListener`, `TcpStream`: binding and connecting              |
//! | `udp.rs`            | `UdpSocket`: binding, connecting, `send_to`, `peek`             |
//! | `unix.rs`           | `UnixListener`, `UnixStream`, `UnixDatagram`: paths             |
//! | `signal.rs`         | Ctrl-C / SIGTERM as an awaitable                                |
//! | `server/`           | `StreamServer`: gevent's server, a task per connection, graceful stop |
//!
//! Porting blocking code is gevent's monkey-patching done by hand: change the import, add
//! `.await` where a call can wait.
//!
//! ```text
//! use std::net::TcpListener;                 use sprout::net::TcpListener;
//! let l = TcpListener::bind(addr)?;          let l = TcpListener::bind(addr).await?;
//! let (s, peer) = l.accept()?;               let (s, peer) = l.accept().await?;
//! s.read(&mut buf)?;                         s.read(&mut buf).await?;
//! ```
//!
//! # Socket options
//!
//! The options `std` offers are one call away through `get_ref()` (`set_ttl`, `set_nodelay`
//! also directly). The rest — keepalive, linger, buffer sizes, `SO_REUSEPORT` — go through the
//! `socket2` crate, which borrows any socket by its fd: every type here implements `AsFd`.
//!
//! ```
//! use std::time::Duration;
//! use sprout::net::{TcpListener, TcpStream};
//! sprout::run(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").await?;
//!     let stream = TcpStream::connect(listener.local_addr()?).await?;
//!     stream.get_ref().set_ttl(32)?; // std's own options
//!     let socket = socket2::SockRef::from(&stream); // socket2 for the rest
//!     socket.set_keepalive(true)?;
//!     socket.set_linger(Some(Duration::from_secs(1)))?;
//!     assert!(socket.keepalive()? && stream.get_ref().ttl()? == 32);
//!     std::io::Result::Ok(())
//! }).unwrap();
//! ```
//!
//! Read next: `net/stream.rs`.

mod addr;
mod chunk;
mod datagram;
mod listener;
mod server;
mod signal;
mod stream;
mod stream_traits;
mod tcp;
mod udp;
mod unix;

#[doc(hidden)]
pub use addr::Resolution;
pub use addr::ToSocketAddrs;
pub use chunk::{Chunk, POOLED_PER_THREAD};
pub use datagram::{Datagram, DatagramSocket};
pub use listener::{Accepted, Incoming, ListenSocket, Listener};
pub use server::{HandlerResult, StopHandle, StreamServer, ACCEPT_BATCH, DEFAULT_GRACE_PERIOD};
pub use signal::{shutdown_signal, ShutdownSignal};
pub use stream::{ByteStream, StreamSocket};
pub use tcp::{TcpListener, TcpStream, LISTEN_BACKLOG};
pub use udp::UdpSocket;
pub use unix::{UnixDatagram, UnixIncoming, UnixListener, UnixStream};

pub use std::net::{Shutdown, SocketAddr};

use std::marker::PhantomData;

/// net/'s runtime check, the one place it is written: every public constructor of a socket
/// calls it first, with the socket's type `S` and its own name. Outside a runtime it panics at
/// the caller's line (`#[track_caller]` all the way up), naming what the caller called —
/// `sprout::net::TcpListener::bind was called outside of a sprout runtime…` — rather than the
/// `Async::new` deep inside it.
#[track_caller]
fn expect_runtime<S: ?Sized>(constructor: &'static str) {
    crate::runtime::expect_runtime(Constructor::<S>(constructor, PhantomData));
}

/// `sprout::net::{S}::{constructor}`, written only when the check fails: `S`'s name is the
/// last segment of its path, generics left out. A socket's constructors pass the std socket it
/// wraps, whose name sprout's alias carries (`TcpListener` is `Listener<std::net::TcpListener>`).
struct Constructor<S: ?Sized>(&'static str, PhantomData<fn(&S)>);

impl<S: ?Sized> std::fmt::Display for Constructor<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = std::any::type_name::<S>()
            .split('<')
            .next()
            .unwrap_or_default();
        let name = path.rsplit("::").next().unwrap_or(path);
        write!(f, "sprout::net::{name}::{}", self.0)
    }
}
