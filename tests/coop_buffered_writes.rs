//! A spent budget never strands bytes in a buffering writer (coop I4).
//!
//! A TLS stream (futures-rustls) buffers what it cannot send yet and reports it written; if the
//! socket write under it answers `Pending`, the bytes wait for the next write or flush. A copy
//! loop (`futures::io::copy`, `futures_lite::io::copy`) then goes back to its reader and never
//! flushes until end of stream. When that `Pending` came from the cooperative budget rather than
//! a full socket, the bytes stayed in user space while both peers waited: a TLS echo on two
//! workers stalled in 13 of 200 rounds. `BufferingWriter` below behaves like the TLS stream; the
//! test spends the budget exactly, so the outcome does not depend on timing.

mod support;

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_lite::{AsyncWrite, AsyncWriteExt};
use sprout::net::UnixStream;
use support::{runtime, within};

/// Accepts every byte at once into `unsent`, pushes what the socket takes, and keeps the rest
/// for the next write or flush — the way a TLS stream treats its encrypted records.
struct BufferingWriter<'a> {
    /// The socket underneath.
    socket: &'a UnixStream,
    /// Bytes accepted but not yet written to the socket.
    unsent: Vec<u8>,
}

impl BufferingWriter<'_> {
    /// Writes `unsent` to the socket until it is empty (`Ready`) or the socket says `Pending`.
    fn push(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.unsent.is_empty() {
            match Pin::new(&mut self.socket).poll_write(cx, &self.unsent) {
                Poll::Ready(Ok(written)) => drop(self.unsent.drain(..written)),
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for BufferingWriter<'_> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.unsent.extend_from_slice(buf);
        match this.push(cx) {
            // Like futures-rustls: once the bytes are accepted, a `Pending` socket is not an
            // error and not a reason to refuse them; they go out with a later write or flush.
            Poll::Ready(Ok(())) | Poll::Pending => Poll::Ready(Ok(buf.len())),
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().push(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}

/// A task spends its whole budget on channel sends, then writes a reply through a buffering
/// writer and waits for the peer's next message, as a copy loop does. The reply must reach the
/// peer: the socket write under the buffer may overdraw the budget; the read after it may not.
#[test]
fn a_write_after_a_spent_budget_still_reaches_the_socket() {
    for workers in [1, 2] {
        within(
            Duration::from_secs(30),
            "a reply through a buffering writer",
            move || {
                runtime(workers).block_on(async {
                    let (server_end, client_end) = UnixStream::pair().expect("a socket pair");
                    let server = sprout::spawn(async move {
                        let (tx, _rx) = sprout::sync::unbounded::<()>();
                        for _ in 0..sprout::runtime::BUDGET {
                            tx.send(()).await.expect("the receiver is alive"); // One unit each.
                        }
                        let mut writer = BufferingWriter {
                            socket: &server_end,
                            unsent: Vec::new(),
                        };
                        writer.write_all(b"reply").await?;
                        let unsent = writer.unsent.len();
                        let mut next = [0u8; 3];
                        let read = server_end.read(&mut next).await?;
                        io::Result::Ok((unsent, read))
                    });
                    let mut reply = [0u8; 5];
                    let got =
                        sprout::timeout(Duration::from_secs(5), client_end.read_exact(&mut reply))
                            .await;
                    assert!(
                        matches!(got, Ok(Ok(()))),
                        "{workers} worker(s): the reply never left the writer's buffer ({got:?})"
                    );
                    assert_eq!(&reply, b"reply");
                    client_end
                        .write_all(b"bye")
                        .await
                        .expect("write the next message");
                    let (unsent, read) = server.await.expect("the server task").expect("its I/O");
                    assert_eq!((unsent, read), (0, 3), "{workers} worker(s)");
                });
            },
        );
    }
}
