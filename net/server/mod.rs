//! [`StreamServer`]: gevent's `StreamServer` — accept connections, run a handler task for each.
//!
//! Where it sits in the flow: one accept-loop task plus one task per connection.
//!
//! ```text
//! accept loop: accept().await → [spawn handler task] → accept().await → …
//! handler:     read().await → Pending → waker parked in reactor → epoll event → wake → poll → write_all().await → …
//! ```
//!
//! What it adds over a hand-written accept loop:
//! - `max_connections(n)`: a semaphore of n permits; the loop takes a permit *before* it
//!   accepts, so the extra clients wait in the kernel's backlog (gevent's `spawn=Pool(n)`).
//! - Graceful stop, on [`StopHandle::stop`] or Ctrl-C/SIGTERM: close the listener, give the
//!   running handlers a grace period, cancel the rest, and return only when all are gone.
//! - Errors and panics of a handler are reported with the peer's address; the server goes on.
//! - Out of file descriptors (EMFILE/ENFILE): back off 10 ms, doubling to 1 s, instead of
//!   spinning on an accept that fails at once; recover as soon as descriptors free up.
//! - At most [`ACCEPT_BATCH`] accepts in a row before yielding, so a flood of connects cannot
//!   starve the connections already being served.
//!
//! Invariants:
//! - I1: every handler task is in `Connections::running` from its spawn until its future is
//!   gone (a guard in the task removes it, on completion and on cancellation alike), so
//!   "running is empty" means "no handler is left".
//! - I2: a connection's permit is held by its handler task's guard and released when it ends.
//!
//! Read next: `net/server/handle.rs`.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures_lite::future::or;

mod connections;
mod handle;

use super::signal::{shutdown_signal, ShutdownSignal};
use super::tcp::{TcpListener, TcpStream};
use super::ToSocketAddrs;
use crate::runtime::sync::Semaphore;
use connections::Connections;
pub use handle::{HandlerResult, StopHandle};

/// Accepts in a row before the accept loop yields to other tasks.
///
/// ```
/// assert_eq!(sprout::net::ACCEPT_BATCH, 64);
/// ```
pub const ACCEPT_BATCH: usize = 64;
/// First back-off after running out of file descriptors (gevent uses the same).
const MIN_BACKOFF: Duration = Duration::from_millis(10);
/// Longest back-off while out of file descriptors.
const MAX_BACKOFF: Duration = Duration::from_secs(1);
/// Default time in-flight handlers get to finish after a stop.
///
/// ```
/// assert_eq!(sprout::net::DEFAULT_GRACE_PERIOD, std::time::Duration::from_secs(10));
/// ```
pub const DEFAULT_GRACE_PERIOD: Duration = Duration::from_secs(10);

/// A TCP server that runs `handler(stream, peer)` in its own task for each connection.
///
/// ```
/// use sprout::net::{StreamServer, TcpStream};
///
/// sprout::run(async {
///     let server = StreamServer::bind("127.0.0.1:0", |stream: TcpStream, _peer| async move {
///         let mut buf = [0u8; 1024];
///         loop {
///             let n = stream.read(&mut buf).await?;
///             if n == 0 {
///                 return Ok::<(), std::io::Error>(());
///             }
///             stream.write_all(&buf[..n]).await?;
///         }
///     })
///     .await?
///     .handle_signals(false);
///     let addr = server.local_addr()?;
///     let stop = server.stop_handle();
///     let serving = sprout::spawn(server.serve_forever());
///
///     let client = TcpStream::connect(addr).await?;
///     client.write_all(b"echo me").await?;
///     let mut reply = [0u8; 7];
///     client.read_exact(&mut reply).await?;
///     assert_eq!(&reply, b"echo me");
///
///     drop(client);
///     stop.stop();
///     serving.await.unwrap()
/// })
/// .unwrap();
/// ```
pub struct StreamServer<H> {
    /// The listening socket; closed when the server stops accepting.
    listener: TcpListener,
    /// The connection handler, shared by all handler tasks.
    handler: Arc<H>,
    /// The most handlers at once; `None` for no limit.
    max_connections: Option<usize>,
    /// How long running handlers may go on after a stop before they are cancelled.
    grace_period: Duration,
    /// Set to stop the server.
    stop: StopHandle,
    /// Whether Ctrl-C and SIGTERM stop the server.
    handle_signals: bool,
}

impl<H> std::fmt::Debug for StreamServer<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamServer")
            .field("listener", &self.listener)
            .field("max_connections", &self.max_connections)
            .field("grace_period", &self.grace_period)
            .finish()
    }
}

impl<H, F, R> StreamServer<H>
where
    H: Fn(TcpStream, SocketAddr) -> F + Send + Sync + 'static,
    F: Future<Output = R> + Send + 'static,
    R: HandlerResult,
{
    /// Binds a listener to `addr` (port 0 picks a free port) for `handler`.
    ///
    /// ```
    /// use sprout::net::{StreamServer, TcpStream};
    /// sprout::run(async {
    ///     let server = StreamServer::bind("127.0.0.1:0", |_stream: TcpStream, _peer| async {}).await?;
    ///     assert!(server.local_addr()?.port() > 0);
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub async fn bind(addr: impl ToSocketAddrs, handler: H) -> io::Result<StreamServer<H>> {
        crate::net::expect_runtime::<Self>("bind");
        Ok(StreamServer::from_listener(
            TcpListener::bind(addr).await?,
            handler,
        ))
    }

    /// Serves on an existing listener.
    ///
    /// ```
    /// use sprout::net::{StreamServer, TcpListener, TcpStream};
    /// sprout::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let addr = listener.local_addr()?;
    ///     let server = StreamServer::from_listener(listener, |_s: TcpStream, _p| async {});
    ///     assert_eq!(server.local_addr()?, addr);
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub fn from_listener(listener: TcpListener, handler: H) -> StreamServer<H> {
        StreamServer {
            listener,
            handler: Arc::new(handler),
            max_connections: None,
            grace_period: DEFAULT_GRACE_PERIOD,
            stop: StopHandle::default(),
            handle_signals: true,
        }
    }

    /// Runs at most `limit` handlers at once; further clients wait in the listen backlog.
    ///
    /// ```
    /// use sprout::net::{StreamServer, TcpStream};
    /// sprout::run(async {
    ///     // gevent's StreamServer(..., spawn=Pool(100)).
    ///     let _server = StreamServer::bind("127.0.0.1:0", |_s: TcpStream, _p| async {})
    ///         .await?
    ///         .max_connections(100);
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub fn max_connections(mut self, limit: usize) -> Self {
        self.max_connections = Some(limit.max(1));
        self
    }

    /// How long in-flight handlers get to finish after a stop (default 10 s).
    ///
    /// ```
    /// use std::time::Duration;
    /// use sprout::net::{StreamServer, TcpStream};
    /// sprout::run(async {
    ///     let _server = StreamServer::bind("127.0.0.1:0", |_s: TcpStream, _p| async {})
    ///         .await?
    ///         .grace_period(Duration::from_secs(2));
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub fn grace_period(mut self, grace: Duration) -> Self {
        self.grace_period = grace;
        self
    }

    /// Whether Ctrl-C and SIGTERM stop the server (default: yes).
    ///
    /// ```
    /// use sprout::net::{StreamServer, TcpStream};
    /// sprout::run(async {
    ///     // Tests and embedded servers stop through a StopHandle instead of Ctrl-C.
    ///     let _server = StreamServer::bind("127.0.0.1:0", |_s: TcpStream, _p| async {})
    ///         .await?
    ///         .handle_signals(false);
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub fn handle_signals(mut self, on: bool) -> Self {
        self.handle_signals = on;
        self
    }

    /// The address the server listens on.
    ///
    /// ```
    /// use sprout::net::{StreamServer, TcpStream};
    /// sprout::run(async {
    ///     let server = StreamServer::bind("127.0.0.1:0", |_s: TcpStream, _p| async {}).await?;
    ///     println!("serving on {}", server.local_addr()?); // port 0 became a real port
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// A handle that stops this server.
    ///
    /// ```
    /// use sprout::net::{StreamServer, TcpStream};
    /// sprout::run(async {
    ///     let server = StreamServer::bind("127.0.0.1:0", |_s: TcpStream, _p| async {})
    ///         .await?
    ///         .handle_signals(false);
    ///     let stop = server.stop_handle();
    ///     stop.stop(); // before it even starts: serve_forever returns at once
    ///     server.serve_forever().await
    /// }).unwrap();
    /// ```
    pub fn stop_handle(&self) -> StopHandle {
        self.stop.clone()
    }

    /// Accepts and serves connections until stopped, then stops gracefully. Returns when every
    /// handler has finished or been cancelled.
    ///
    /// ```
    /// use sprout::net::{StreamServer, TcpStream};
    /// sprout::run(async {
    ///     let server = StreamServer::bind("127.0.0.1:0", |stream: TcpStream, _peer| async move {
    ///         stream.write_all(b"hello\n").await
    ///     })
    ///     .await?
    ///     .handle_signals(false);
    ///     let (addr, stop) = (server.local_addr()?, server.stop_handle());
    ///     let serving = sprout::spawn(server.serve_forever());
    ///     let mut greeting = Vec::new();
    ///     TcpStream::connect(addr).await?.read_to_end(&mut greeting).await?;
    ///     assert_eq!(greeting, b"hello\n");
    ///     stop.stop();
    ///     serving.await.unwrap()
    /// }).unwrap();
    /// ```
    pub async fn serve_forever(self) -> io::Result<()> {
        let signals = if self.handle_signals {
            Some(shutdown_signal()?)
        } else {
            None
        };
        let connections = Arc::new(Connections::default());
        let limiter = self.max_connections.map(|n| Arc::new(Semaphore::new(n)));
        let mut backoff = MIN_BACKOFF;
        let mut accepted_in_a_row = 0;
        loop {
            let permit = match &limiter {
                Some(limiter) => match self
                    .until_stopped(&signals, limiter.clone().acquire_owned())
                    .await
                {
                    Some(permit) => Some(permit),
                    None => break,
                },
                None => None,
            };
            let Some(accepted) = self.until_stopped(&signals, self.listener.accept()).await else {
                break;
            };
            match accepted {
                Ok((stream, peer)) => {
                    backoff = MIN_BACKOFF;
                    connections.spawn(&self.handler, stream, peer, permit);
                    accepted_in_a_row += 1;
                    if accepted_in_a_row >= ACCEPT_BATCH {
                        accepted_in_a_row = 0;
                        crate::yield_now().await;
                    }
                }
                Err(error) if is_transient(&error) => {}
                Err(error) => {
                    if backoff == MIN_BACKOFF || !is_out_of_descriptors(&error) {
                        eprintln!("sprout: accept failed: {error}; backing off {backoff:?}");
                    }
                    if self
                        .until_stopped(&signals, crate::sleep(backoff))
                        .await
                        .is_none()
                    {
                        break;
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
        drop(self.listener); // Stop accepting: new clients are refused from here on.
        connections.drain(self.grace_period).await;
        Ok(())
    }

    /// Runs `work` unless a stop (handle or signal) comes first; `None` means "stopped".
    async fn until_stopped<T>(
        &self,
        signals: &Option<ShutdownSignal>,
        work: impl Future<Output = T>,
    ) -> Option<T> {
        let stopped = async {
            match signals {
                Some(signals) => {
                    or(self.stop.stopped.wait(), async {
                        // A broken signal pipe cannot stop us; only the handle can then.
                        if signals.recv().await.is_err() {
                            std::future::pending::<()>().await;
                        }
                    })
                    .await
                }
                None => self.stop.stopped.wait().await,
            }
            None
        };
        or(async { Some(work.await) }, stopped).await
    }
}

/// Accept errors that concern only the one connection (it was reset before we accepted it).
fn is_transient(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
    )
}

/// EMFILE (process fd limit), ENFILE (system fd limit), ENOBUFS, ENOMEM.
fn is_out_of_descriptors(error: &io::Error) -> bool {
    matches!(error.raw_os_error(), Some(24 | 23 | 105 | 12))
}
