//! `sprout::io`: the I/O helpers a program reaches for — copying, buffering, lines, halves —
//! so that using sprout needs no second dependency.
//!
//! Where it sits in the flow: above it, on top of `net`'s streams. Every helper here works on
//! the futures-io traits (`AsyncRead`, `AsyncWrite`, `AsyncBufRead`), which sprout's sockets
//! implement, both by value and by shared reference (`&TcpStream`), so a task can read while
//! another writes the same connection:
//!
//! ```text
//! copy(reader, writer) → reader.read().await → [the flow: Pending → waker parked → event → wake → poll] → writer.write().await
//! ```
//!
//! Most of it is futures-lite's, re-exported because it already does the job well: [`copy`],
//! [`BufReader`] and [`AsyncBufReadExt::lines`], [`split`], the extension traits. Written here
//! is what futures-lite lacks: [`copy_bidirectional`], the proxy's loop, which half-closes each
//! side when the other reaches its end.
//!
//! Halves: a sprout stream needs no `split` — `&TcpStream` reads and writes, and
//! `TcpStream::clone` gives an owned second handle to the same socket. [`split`] is for other
//! streams (a TLS stream, say): it hands out owned halves that share the stream behind a lock.
//!
//! Read next: `future.rs` (the combinators).

use std::io;

pub use futures_lite::io::{
    copy, split, AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt,
    BufReader, BufWriter, Lines, ReadHalf, WriteHalf,
};

/// Copies `a` to `b` and `b` to `a` at the same time until both directions end, and returns
/// the bytes moved each way (`a → b`, `b → a`). When one side finishes sending (end of stream),
/// the other side's write half is closed (`shutdown(Write)` for a socket), so the far end sees
/// the end too, while the opposite direction goes on: a TCP proxy's half-close.
///
/// Both sides are used through shared references, as sprout's sockets allow.
///
/// ```
/// use sprout::io::{copy_bidirectional, AsyncReadExt, AsyncWriteExt};
/// use sprout::net::UnixStream;
/// sprout::run(async {
///     let (client, proxy_front) = UnixStream::pair()?;
///     let (proxy_back, server) = UnixStream::pair()?;
///     let proxy = sprout::spawn(async move { copy_bidirectional(&proxy_front, &proxy_back).await });
///     client.write_all(b"ping").await?;
///     client.shutdown(std::net::Shutdown::Write)?; // the client is done sending
///     let mut request = Vec::new();
///     (&server).read_to_end(&mut request).await?; // ends: the proxy passed the half-close on
///     assert_eq!(request, b"ping");
///     server.write_all(b"pong").await?; // the other direction still works
///     drop(server);
///     let mut reply = Vec::new();
///     (&client).read_to_end(&mut reply).await?;
///     assert_eq!(reply, b"pong");
///     assert_eq!(proxy.await.unwrap()?, (4, 4));
///     std::io::Result::Ok(())
/// }).unwrap();
/// ```
pub async fn copy_bidirectional<A, B>(a: &A, b: &B) -> io::Result<(u64, u64)>
where
    for<'s> &'s A: AsyncRead + AsyncWrite + Unpin,
    for<'s> &'s B: AsyncRead + AsyncWrite + Unpin,
{
    let a_to_b = copy_then_close(a, b);
    let b_to_a = copy_then_close(b, a);
    futures_lite::future::try_zip(a_to_b, b_to_a).await
}

/// One direction of [`copy_bidirectional`]: copies until `from` ends, then closes `to`'s write
/// half so its peer sees the end as well.
async fn copy_then_close<R, W>(from: &R, to: &W) -> io::Result<u64>
where
    for<'s> &'s R: AsyncRead + Unpin,
    for<'s> &'s W: AsyncWrite + Unpin,
{
    let mut writer = to;
    let moved = copy(from, &mut writer).await?;
    writer.close().await?;
    Ok(moved)
}
