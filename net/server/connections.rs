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
//! Invariants:
//! - I1: a handler task is listed in `running` from before it is spawned until its future is
//!   gone (its guard's drop), so `drain` waits for every handler, finished or cancelled.
//! - I2: nothing is spawned, cancelled or dropped while `running` is locked: each of those may
//!   run a handler's destructors on the spot (a spawn or cancel once the runtime has shut
//!   down), and the guard among them locks `running`.
//! - I3: `until_empty` looks at `running` before it waits, so a server that never accepted a
//!   connection stops at once; it clears `emptied` under the lock, before the guard that will
//!   empty the list can set it, so no wake-up is lost and a stale one only costs a re-check.
//!
//! Read next: `io.rs` (the helpers beside the sockets).

use std::any::Any;
use std::collections::HashMap;
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
    /// The running handler tasks by key, each with its handle once `spawn` has stored it.
    running: Mutex<Running>,
    /// Set when `running` becomes empty; `until_empty` clears it, under the lock, before it
    /// waits (I3).
    emptied: Event,
}

/// What the lock of [`Connections`] guards.
#[derive(Default)]
struct Running {
    /// One entry per handler task whose future is alive: its handle, or `None` until `spawn`
    /// stores it (and again after `drain` took it to cancel the task).
    tasks: HashMap<u64, Option<JoinHandle<()>>>,
    /// The key the next handler gets.
    next_key: u64,
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
        // Listed before it exists (I1), so `drain` never finds the list empty while it runs.
        let key = {
            let mut running = lock(&self.running);
            let key = running.next_key;
            running.next_key += 1;
            running.tasks.insert(key, None);
            key
        };
        let guard = ConnectionGuard {
            connections: self.clone(),
            key,
            _permit: permit,
        };
        let handler = handler.clone();
        // Spawned with no lock held (I2): the task may end, and its guard lock the list, before
        // `spawn` returns. Named after the peer, so the trace, the dump and the watchdog say
        // whose connection.
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
        let mut running = lock(&self.running);
        match running.tasks.get_mut(&key) {
            Some(slot) => *slot = Some(task),
            // The task has ended already: its handle only detaches it, outside the lock (I2).
            None => {
                drop(running);
                drop(task);
            }
        }
    }

    /// After the listener closed: waits up to `grace` for the handlers, cancels the rest, and
    /// returns once none is left.
    pub(super) async fn drain(&self, grace: Duration) {
        if crate::timeout(grace, self.until_empty()).await.is_ok() {
            return;
        }
        // Taken out of the list and cancelled outside its lock (I2); their entries stay until
        // each task's guard removes them.
        let handles: Vec<JoinHandle<()>> = lock(&self.running)
            .tasks
            .values_mut()
            .filter_map(Option::take)
            .collect();
        for task in &handles {
            task.cancel();
        }
        drop(handles);
        self.until_empty().await;
    }

    /// Returns once no handler is running; at once if none is (I3).
    async fn until_empty(&self) {
        loop {
            {
                let running = lock(&self.running);
                if running.tasks.is_empty() {
                    return;
                }
                // Under the lock: the guard that empties the list later sets the event after
                // its removal, so that `set` comes after this `clear` (I3).
                self.emptied.clear();
            }
            self.emptied.wait().await;
        }
    }
}

/// Lives inside a handler task; its drop (completion or cancellation) unlists the task (I1)
/// and returns its permit.
struct ConnectionGuard {
    /// Where the task is listed.
    connections: Arc<Connections>,
    /// The task's key in `running`.
    key: u64,
    /// The connection's permit, if the server is limited.
    _permit: Option<OwnedSemaphorePermit>,
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        let mut running = lock(&self.connections.running);
        // The handle of our own task: dropping it detaches a task that is finishing anyway.
        let own_handle = running.tasks.remove(&self.key).flatten();
        let now_empty = running.tasks.is_empty();
        drop(running);
        drop(own_handle); // Outside the lock (I2).
        if now_empty {
            self.connections.emptied.set();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};

    /// Spawns a connection's handler from its destructor, which the runtime's shutdown runs
    /// after its last drain: the handler task is then cancelled inside `spawn` itself (registry
    /// I3), and its guard unlists it before `spawn` returns.
    struct SpawnsOnDrop {
        connections: Arc<Connections>,
        stream: Option<std::net::TcpStream>,
        spawned: Arc<AtomicBool>,
    }

    impl Drop for SpawnsOnDrop {
        fn drop(&mut self) {
            let std_stream = self.stream.take().expect("the stream is spawned once");
            let peer = std_stream.peer_addr().expect("a connected stream");
            let stream = TcpStream::from_std(std_stream).expect("register the stream");
            let handler = Arc::new(|_stream: TcpStream, _peer: SocketAddr| async {});
            self.connections.spawn(&handler, stream, peer, None);
            self.spawned.store(true, Ordering::SeqCst);
        }
    }

    /// A handler whose task ends inside `Connections::spawn` (I2): `spawn` must not hold the
    /// list's lock then, or the guard deadlocks the thread on itself; and the list is empty
    /// afterwards (I1).
    #[test]
    fn a_handler_cancelled_inside_spawn_does_not_deadlock_and_is_unlisted() {
        let (done, finished) = std::sync::mpsc::channel();
        let connections = Arc::new(Connections::default());
        let spawned = Arc::new(AtomicBool::new(false));
        let (inner_connections, inner_spawned) = (connections.clone(), spawned.clone());
        std::thread::spawn(move || {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            let client = std::net::TcpStream::connect(listener.local_addr().expect("addr"))
                .expect("connect");
            let runtime = crate::Runtime::builder()
                .workers(1)
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let on_drop = SpawnsOnDrop {
                    connections: inner_connections,
                    stream: Some(client),
                    spawned: inner_spawned,
                };
                crate::spawn(async move {
                    let _on_drop = on_drop;
                    std::future::pending::<()>().await;
                })
                .detach();
                crate::yield_now().await;
            });
            drop(runtime);
            let _ = done.send(());
        });
        assert!(
            finished.recv_timeout(Duration::from_secs(10)).is_ok(),
            "dropping the runtime hung: a handler cancelled inside Connections::spawn locked \
             the list that spawn held (I2)"
        );
        assert!(
            spawned.load(Ordering::SeqCst),
            "the destructor spawned its handler"
        );
        assert!(
            lock(&connections.running).tasks.is_empty(),
            "the cancelled handler is still listed (I1)"
        );
    }
}
