//! The handler tasks of a [`StreamServer`](super::StreamServer): spawned one per connection,
//! tracked until their futures are gone (server I1), drained with a grace period at stop.
//!
//! Where it sits in the flow: beside the accept loop, which calls [`Connections::spawn`] for
//! each accepted stream.
//!
//! ```text
//! accept() → [Connections::spawn: handler task + guard] → … handler ends → [guard: out of running, permit released]
//! ```
//!
//! Read next: `examples/echo.rs` (the headline user).

use std::any::Any;
use std::future::Future;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use futures_lite::future::FutureExt;

use super::HandlerResult;
use crate::net::tcp::TcpStream;
use crate::runtime::sync::{Event, OwnedSemaphorePermit};
use crate::JoinHandle;

/// Locks `mutex`; a panic while it was held cannot leave `running` inconsistent (each critical
/// section is one push or take), so poisoning is ignored.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The text of a panic payload made by `panic!`.
fn panic_text(payload: &(dyn Any + Send)) -> &str {
    let text = payload.downcast_ref::<&str>().copied();
    text.or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a non-string panic payload")
}

/// The handler tasks that are running (I1).
#[derive(Default)]
pub(super) struct Connections {
    /// Handles of the running handler tasks, by slot.
    running: Mutex<Vec<Option<JoinHandle<()>>>>,
    /// Set whenever `running` becomes empty.
    idle: Event,
}

impl Connections {
    /// Spawns the handler task for one connection.
    pub(super) fn spawn<H, F, R>(
        self: &Arc<Self>,
        handler: &Arc<H>,
        stream: TcpStream,
        peer: SocketAddr,
        permit: Option<OwnedSemaphorePermit>,
    ) where
        H: Fn(TcpStream, SocketAddr) -> F + Send + Sync + 'static,
        F: Future<Output = R> + Send + 'static,
        R: HandlerResult,
    {
        let mut running = lock(&self.running);
        let slot = running
            .iter()
            .position(Option::is_none)
            .unwrap_or(running.len());
        let guard = ConnectionGuard {
            connections: self.clone(),
            slot,
            _permit: permit,
        };
        let handler = handler.clone();
        self.idle.clear();
        // Spawned under the lock: the task cannot remove its entry before we insert it (I1).
        // Named after the peer, so the trace, the dump and the watchdog say whose connection.
        let task = crate::TaskBuilder::new()
            .name(peer.to_string())
            .spawn(async move {
                let _guard = guard;
                match AssertUnwindSafe(handler(stream, peer)).catch_unwind().await {
                    Ok(result) => {
                        if let Some(error) = result.into_error() {
                            eprintln!("sprout: connection from {peer}: handler failed: {error}");
                        }
                    }
                    Err(panic) => eprintln!(
                        "sprout: connection from {peer}: handler panicked: {}",
                        panic_text(panic.as_ref())
                    ),
                }
            });
        if slot == running.len() {
            running.push(Some(task));
        } else {
            running[slot] = Some(task);
        }
    }

    /// After the listener closed: waits up to `grace` for the handlers, cancels the rest, and
    /// returns once none is left.
    pub(super) async fn drain(&self, grace: Duration) {
        if crate::timeout(grace, self.idle.wait()).await.is_ok() && self.is_empty() {
            return;
        }
        for task in lock(&self.running).iter().flatten() {
            task.cancel();
        }
        while !self.is_empty() {
            self.idle.wait().await;
        }
    }

    /// `true` when no handler is running.
    pub(super) fn is_empty(&self) -> bool {
        lock(&self.running).iter().all(Option::is_none)
    }
}

/// Lives inside a handler task; its drop (completion or cancellation) unlists the task (I1)
/// and returns its permit (I2).
struct ConnectionGuard {
    /// Where the task is listed.
    connections: Arc<Connections>,
    /// The task's slot in `running`.
    slot: usize,
    /// The connection's permit, if the server is limited.
    _permit: Option<OwnedSemaphorePermit>,
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        let mut running = lock(&self.connections.running);
        // The handle of our own task: dropping it detaches a task that is finishing anyway.
        let own_handle = running[self.slot].take();
        let now_idle = running.iter().all(Option::is_none);
        drop(running);
        drop(own_handle);
        if now_idle {
            self.connections.idle.set();
        }
    }
}
