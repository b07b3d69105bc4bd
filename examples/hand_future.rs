//! Chapter 6's first program: the `Future` trait with nothing else around it. Two futures
//! written by hand (`Countdown`, which is ready after a few polls, and `Timer`, which waits on
//! another thread) are driven by two `block_on`s of a dozen lines each: one that polls in a loop
//! with a waker that does nothing, and one that sleeps until its waker is called. The whole
//! runtime of `examples/tiny_runtime.rs` is the second one plus a run queue and epoll.
//!
//! ```sh
//! cargo run --example hand_future
//! ```

use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::{Duration, Instant};

// ANCHOR: countdown
/// Ready after it has been polled `n` more times: the smallest thing with a `poll`. Each
/// `Pending` calls its waker at once, which tells whoever drives it "poll me again".
struct Countdown(u32);

impl Future for Countdown {
    type Output = &'static str;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<&'static str> {
        if self.0 == 0 {
            return Poll::Ready("lift-off");
        }
        self.0 -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
// ANCHOR_END: countdown

// ANCHOR: busy_block_on
/// Drives `future` to its end by polling it again and again, with a waker that does nothing.
/// Correct for any future, and it burns a CPU for as long as the future waits.
fn busy_block_on<F: Future>(future: F) -> (F::Output, u64) {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    let mut polls = 1;
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return (output, polls);
        }
        polls += 1;
    }
}
// ANCHOR_END: busy_block_on

// ANCHOR: timer
/// Ready once `deadline` has passed. Its first `Pending` hands a clone of the waker to a thread
/// that sleeps until the deadline and then calls `wake`. (A real timer keeps the waker of its
/// latest poll; this one's `block_on` never changes its waker.)
struct Timer {
    deadline: Instant,
    waker_sent: bool,
}

impl Timer {
    fn after(delay: Duration) -> Timer {
        Timer {
            deadline: Instant::now() + delay,
            waker_sent: false,
        }
    }
}

impl Future for Timer {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if Instant::now() >= self.deadline {
            return Poll::Ready(());
        }
        if !self.waker_sent {
            self.waker_sent = true;
            let (deadline, waker) = (self.deadline, cx.waker().clone());
            thread::spawn(move || {
                thread::sleep(deadline.saturating_duration_since(Instant::now()));
                waker.wake();
            });
        }
        Poll::Pending
    }
}
// ANCHOR_END: timer

// ANCHOR: block_on
/// `block_on`'s waker: waking it unparks the thread that sleeps in `block_on`.
struct ThreadWaker(thread::Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Drives `future` to its end, sleeping between polls until something calls the waker.
fn block_on<F: Future>(future: F) -> (F::Output, u64) {
    let mut future = pin!(future);
    let waker = Waker::from(Arc::new(ThreadWaker(thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut polls = 1;
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return (output, polls);
        }
        // Returns at once if `wake` came first (the unpark is remembered): no lost wake-up.
        thread::park();
        polls += 1;
    }
}
// ANCHOR_END: block_on

// ANCHOR: main
fn main() {
    let (word, polls) = busy_block_on(Countdown(3));
    println!("busy_block_on(Countdown(3)): {word} after {polls} polls");

    let (_, polls) = busy_block_on(Timer::after(Duration::from_millis(20)));
    println!("busy_block_on(Timer 20 ms): ready after {polls} polls");

    let (_, polls) = block_on(Timer::after(Duration::from_millis(20)));
    println!("block_on(Timer 20 ms): ready after {polls} polls");

    // An `async` block is a future the compiler writes: it polls the timer, then the countdown,
    // passing its own `Context` down to each.
    let (word, polls) = block_on(async {
        Timer::after(Duration::from_millis(20)).await;
        Countdown(2).await
    });
    println!("block_on(async {{ timer, then Countdown(2) }}): {word} after {polls} polls");
}
// ANCHOR_END: main
