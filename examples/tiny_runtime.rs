//! The smallest honest runtime: a run queue, `Arc` wakers, `spawn`, `block_on` and a reactor on
//! `polling`, in about 120 lines of code (and 80 more for sockets and `main`) — and it runs the
//! *unchanged* echo handler of `cargo run --example echo` (`examples/common/echo_handler.rs`).
//! Docs chapter 6 reads it top to bottom; chapters 7 to 10 then show what sprout adds to it, and
//! why.
//!
//! Flow stages, all in this file: spawn → run queue → poll → Pending → waker parked in the
//! reactor → epoll event → wake → run queue → poll again.
//!
//! ```text
//! cargo run --example tiny_runtime                  # serves on 127.0.0.1:10000, one thread
//! cargo run --example echo_client -- --interactive  # from a second terminal
//! ```
//!
//! What it leaves out on purpose (each is a later chapter): one thread only, no timers, a task
//! woken twice is queued twice, no fairness between tasks, no cancellation, no panic isolation.

use std::collections::{HashMap, VecDeque};
use std::future::{poll_fn, Future};
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::os::fd::{AsFd, AsRawFd};
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll, Wake, Waker};

use polling::{Event, Events, Poller};

#[path = "common/options.rs"]
mod options;

// ANCHOR: runtime
/// Everything the runtime shares: the run queue and the reactor. One per process, to keep the
/// example short (sprout passes a handle around instead).
struct Runtime {
    /// Tasks ready to be polled, oldest first.
    run_queue: Mutex<VecDeque<Arc<Task>>>,
    /// The reactor: epoll, through the `polling` crate.
    poller: Poller,
    /// Who waits on which socket: its key (the fd number) → the waker of the task parked on it.
    parked: Mutex<HashMap<usize, Waker>>,
}

fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| Runtime {
        run_queue: Mutex::new(VecDeque::new()),
        poller: Poller::new().expect("create the epoll instance"),
        parked: Mutex::new(HashMap::new()),
    })
}
// ANCHOR_END: runtime

// ANCHOR: task
/// A spawned future. `None` once it has finished, so a late wake-up finds nothing to poll.
struct Task {
    future: Mutex<Option<Pin<Box<dyn Future<Output = ()> + Send>>>>,
}

/// A task is its own waker: waking it pushes it back onto the run queue, and pokes the reactor
/// in case the runtime sleeps in `epoll_wait` (the wake-up may come from another thread).
impl Wake for Task {
    fn wake(self: Arc<Self>) {
        runtime().run_queue.lock().unwrap().push_back(self);
        runtime().poller.notify().expect("wake the reactor");
    }
}

/// Starts `future` as a task of its own: it runs when `block_on`'s loop reaches it in the
/// queue. (Call it from the runtime's thread: unlike a wake-up, a spawn does not poke the
/// reactor, so a spawn from elsewhere could wait for the next event.)
pub fn spawn(future: impl Future<Output = ()> + Send + 'static) {
    let task = Arc::new(Task {
        future: Mutex::new(Some(Box::pin(future))),
    });
    runtime().run_queue.lock().unwrap().push_back(task);
}

impl Task {
    /// Polls the future once, with a waker that is the task itself.
    fn run(self: Arc<Self>) {
        let waker = Waker::from(self.clone());
        let mut slot = self.future.lock().unwrap();
        if let Some(future) = slot.as_mut() {
            if future
                .as_mut()
                .poll(&mut Context::from_waker(&waker))
                .is_ready()
            {
                *slot = None; // finished: drop the future and everything it owns
            }
        }
    }
}
// ANCHOR_END: task

// ANCHOR: block_on
/// The main future's waker: it only raises a flag (and pokes the reactor).
struct MainWaker(AtomicBool);

impl Wake for MainWaker {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::Release);
        runtime().poller.notify().expect("wake the reactor");
    }
}

/// Runs `main` to completion on this thread, and every spawned task along with it.
pub fn block_on<T>(main: impl Future<Output = T>) -> T {
    let main_woken = Arc::new(MainWaker(AtomicBool::new(true)));
    let main_waker = Waker::from(main_woken.clone());
    let mut main = pin!(main);
    let mut events = Events::new();
    loop {
        // 1. The main future, if something woke it.
        if main_woken.0.swap(false, Ordering::Acquire) {
            if let Poll::Ready(output) = main.as_mut().poll(&mut Context::from_waker(&main_waker)) {
                return output;
            }
        }
        // 2. Ready tasks, until none is left. (A task that wakes itself goes to the back of the
        //    queue, so this loop ends only when every task waits for something: chapter 6's
        //    exercise is about what that costs.)
        loop {
            let next = runtime().run_queue.lock().unwrap().pop_front();
            match next {
                Some(task) => task.run(),
                None => break,
            }
        }
        if main_woken.0.load(Ordering::Acquire) {
            continue;
        }
        // 3. Nothing to do: sleep in epoll until a socket is ready or `notify` pokes us, then
        //    wake the task parked on each ready socket. A wake-up that raced ahead of this wait
        //    is not lost: `notify` makes the next wait return at once.
        events.clear();
        runtime()
            .poller
            .wait(&mut events, None)
            .expect("epoll_wait");
        for event in events.iter() {
            if let Some(waker) = runtime().parked.lock().unwrap().remove(&event.key) {
                waker.wake();
            }
        }
    }
}
// ANCHOR_END: block_on

// ANCHOR: reactor
/// A non-blocking socket registered with the reactor under `key`, its fd number (unique while
/// the socket is open, and the registration ends before it closes).
struct Registered<S: AsFd + AsRawFd> {
    socket: S,
    key: usize,
}

impl<S: AsFd + AsRawFd> Registered<S> {
    /// Registers `socket` with epoll, interested in nothing yet.
    fn new(socket: S) -> io::Result<Registered<S>> {
        let key = socket.as_raw_fd() as usize;
        // SAFETY: `polling` requires the fd to stay open while it is registered; `drop` below
        // deletes the registration before the socket, a field of `self`, is closed.
        unsafe { runtime().poller.add(&socket, Event::none(key))? };
        Ok(Registered { socket, key })
    }

    /// Tries `attempt` once. If it fails with `WouldBlock`, parks the task: its waker goes
    /// into the reactor's table and epoll is armed for one event. (Arming after the failed
    /// attempt loses nothing: epoll reports readiness that is already there when armed.)
    fn poll_io<T>(
        &self,
        cx: &mut Context<'_>,
        interest: fn(usize) -> Event,
        attempt: impl FnOnce(&S) -> io::Result<T>,
    ) -> Poll<io::Result<T>> {
        match attempt(&self.socket) {
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                let reactor = runtime();
                reactor
                    .parked
                    .lock()
                    .unwrap()
                    .insert(self.key, cx.waker().clone());
                match reactor.poller.modify(&self.socket, interest(self.key)) {
                    Ok(()) => Poll::Pending,
                    Err(error) => Poll::Ready(Err(error)),
                }
            }
            done => Poll::Ready(done),
        }
    }
}

impl<S: AsFd + AsRawFd> Drop for Registered<S> {
    fn drop(&mut self) {
        let _ = runtime().poller.delete(&self.socket);
        runtime().parked.lock().unwrap().remove(&self.key);
    }
}
// ANCHOR_END: reactor

// ANCHOR: sockets
/// An async TCP listener: `std`'s, non-blocking, registered with the reactor.
pub struct TcpListener(Registered<std::net::TcpListener>);

impl TcpListener {
    pub fn bind(addr: &str) -> io::Result<TcpListener> {
        let listener = std::net::TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        Ok(TcpListener(Registered::new(listener)?))
    }

    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (stream, peer) =
            poll_fn(|cx| self.0.poll_io(cx, Event::readable, |l| l.accept())).await?;
        stream.set_nonblocking(true)?;
        Ok((TcpStream(Registered::new(stream)?), peer))
    }
}

/// An async TCP stream with the four calls the echo handler makes.
pub struct TcpStream(Registered<std::net::TcpStream>);

impl TcpStream {
    /// Waits for data, then reads up to `buffer` bytes of it (empty at end of stream).
    pub fn read_chunk(&self, buffer: usize) -> ReadChunk<'_> {
        ReadChunk {
            stream: self,
            chunk: vec![0; buffer],
        }
    }

    pub async fn write_all(&self, mut data: &[u8]) -> io::Result<()> {
        while !data.is_empty() {
            let attempt = |mut socket: &std::net::TcpStream| socket.write(data);
            match poll_fn(|cx| self.0.poll_io(cx, Event::writable, attempt)).await? {
                0 => return Err(io::ErrorKind::WriteZero.into()),
                written => data = &data[written..],
            }
        }
        Ok(())
    }

    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.0.socket.set_nodelay(nodelay)
    }

    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.0.socket.shutdown(how)
    }
}
// ANCHOR_END: sockets

// ANCHOR: read_chunk
/// `stream.read_chunk(n)` as a future written by hand, with one place to pause — roughly what
/// the compiler makes of an `async fn` with one `.await`. Each `poll` tries the read once;
/// `WouldBlock` parks the task and returns `Pending`, and the reactor's wake-up brings the next
/// `poll`.
pub struct ReadChunk<'a> {
    stream: &'a TcpStream,
    chunk: Vec<u8>,
}

impl Future for ReadChunk<'_> {
    type Output = io::Result<Vec<u8>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self; // `ReadChunk` holds no self-reference: it is `Unpin`
        let attempt = |mut socket: &std::net::TcpStream| socket.read(&mut this.chunk);
        this.stream
            .0
            .poll_io(cx, Event::readable, attempt)
            .map_ok(|read| {
                let mut chunk = std::mem::take(&mut this.chunk);
                chunk.truncate(read);
                chunk
            })
    }
}
// ANCHOR_END: read_chunk

/// The echo example's handler, unchanged: it uses the `TcpStream` defined above.
#[path = "common/echo_handler.rs"]
mod echo_handler;

// ANCHOR: main
fn main() {
    let options = options::Options::from_args("tiny_runtime [--addr HOST:PORT]", 64 * 1024);
    let outcome: io::Result<()> = block_on(async {
        let listener = TcpListener::bind(&options.addr)?;
        let addr = listener.0.socket.local_addr()?;
        println!("tiny runtime echo server listening on {addr} (one thread; Ctrl-C to stop)");
        loop {
            let (stream, _peer) = listener.accept().await?;
            spawn(async move {
                if let Err(error) = echo_handler::echo(stream, options.buffer).await {
                    eprintln!("connection failed: {error}");
                }
            });
        }
    });
    if let Err(error) = outcome {
        eprintln!("tiny runtime failed: {error}");
        std::process::exit(1);
    }
}
// ANCHOR_END: main
