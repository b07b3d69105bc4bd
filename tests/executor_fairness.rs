//! Fairness: a task that is always ready cannot starve a timer or another task, thanks to the
//! cooperative budget and the worker's periodic reactor polls.

mod support;

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use support::{runtime, within};

/// Loose for a noisy CI machine, yet far below "starved forever".
const WAKE_BOUND: Duration = Duration::from_millis(500);

/// While a sibling loops on `yield_now` forever, a 10 ms sleep on the same single worker still
/// wakes within the bound.
#[test]
fn yield_loop_cannot_starve_a_timer() {
    let late_by = within(Duration::from_secs(20), "yield loop vs timer", || {
        runtime(1).block_on(async {
            let stop = Arc::new(AtomicBool::new(false));
            let spinner = sprout::spawn({
                let stop = stop.clone();
                async move {
                    while !stop.load(Ordering::Relaxed) {
                        sprout::yield_now().await;
                    }
                }
            });
            let sleeper = sprout::spawn(async {
                let start = Instant::now();
                sprout::sleep(Duration::from_millis(10)).await;
                start.elapsed()
            });
            let slept = sleeper.await.unwrap();
            stop.store(true, Ordering::Relaxed);
            spinner.await.unwrap();
            slept
        })
    });
    assert!(
        late_by >= Duration::from_millis(10),
        "never early: {late_by:?}"
    );
    assert!(late_by < WAKE_BOUND, "the timer was starved: {late_by:?}");
}

/// A task reading a socket that is always readable (it peeks, so data never runs out) never
/// returns Pending on its own; the budget makes it yield, so a sibling's sleep wakes in time
/// and another task gets to run.
#[test]
fn always_readable_socket_cannot_starve_siblings() {
    let (slept, sibling_ran) = within(Duration::from_secs(20), "busy socket vs timer", || {
        runtime(1).block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let mut writer = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
            let (reader, _) = listener.accept().unwrap();
            writer.write_all(b"x").unwrap();
            reader.set_nonblocking(true).unwrap();
            let reader = sprout::Async::new(reader).unwrap();
            let stop = Arc::new(AtomicBool::new(false));
            let busy = sprout::spawn({
                let stop = stop.clone();
                async move {
                    let mut byte = [0u8; 1];
                    let mut peeks = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        reader.read_with(|s| s.peek(&mut byte)).await.unwrap();
                        peeks += 1;
                    }
                    peeks
                }
            });
            let sibling = sprout::spawn(async { "ran" });
            let start = Instant::now();
            sprout::sleep(Duration::from_millis(10)).await;
            let slept = start.elapsed();
            let sibling_ran = sibling.await.unwrap() == "ran";
            stop.store(true, Ordering::Relaxed);
            assert!(busy.await.unwrap() > 0);
            drop(writer);
            (slept, sibling_ran)
        })
    });
    assert!(sibling_ran);
    assert!(
        slept < WAKE_BOUND,
        "the timer was starved by a busy socket: {slept:?}"
    );
}

/// A task draining a channel that never empties (a producer keeps it full) yields to a timer.
#[test]
fn busy_channel_cannot_starve_a_timer() {
    let slept = within(Duration::from_secs(20), "busy channel vs timer", || {
        runtime(1).block_on(async {
            let (tx, rx) = sprout::sync::unbounded::<u32>();
            for i in 0..1_000_000 {
                tx.try_send(i).unwrap();
            }
            let stop = Arc::new(AtomicBool::new(false));
            let drain = sprout::spawn({
                let stop = stop.clone();
                async move {
                    while !stop.load(Ordering::Relaxed) {
                        if rx.recv().await.is_err() {
                            break;
                        }
                    }
                }
            });
            let start = Instant::now();
            sprout::sleep(Duration::from_millis(10)).await;
            let slept = start.elapsed();
            stop.store(true, Ordering::Relaxed);
            drop(tx);
            drain.await.unwrap();
            slept
        })
    });
    assert!(
        slept < WAKE_BOUND,
        "the timer was starved by a busy channel: {slept:?}"
    );
}

/// The same guarantee with a yield loop against the *main* future on a multi-worker runtime.
#[test]
fn spinning_tasks_on_every_worker_cannot_starve_main() {
    let slept = within(Duration::from_secs(20), "spinners vs main", || {
        runtime(2).block_on(async {
            let stop = Arc::new(AtomicBool::new(false));
            let spinners: Vec<_> = (0..4)
                .map(|_| {
                    let stop = stop.clone();
                    sprout::spawn(async move {
                        while !stop.load(Ordering::Relaxed) {
                            sprout::yield_now().await;
                        }
                    })
                })
                .collect();
            let start = Instant::now();
            sprout::sleep(Duration::from_millis(10)).await;
            let slept = start.elapsed();
            stop.store(true, Ordering::Relaxed);
            sprout::join_all(spinners).await;
            slept
        })
    });
    assert!(slept < WAKE_BOUND, "main was starved: {slept:?}");
}

/// How many more polls a yielding spinner got between making a socket readable and the reader
/// of that socket running, on one worker. A self-woken task is deferred until the reactor has
/// been polled (defer.rs), so the reader runs right after the spinner's next yield; a spinner
/// that went straight back to a run queue would keep the worker until the maintenance tick,
/// up to 61 polls later.
fn polls_before_the_reader_runs(local: bool) -> u64 {
    runtime(1).block_on(async move {
        let (reader, writer) = sprout::net::UnixStream::pair().expect("a socket pair");
        let polls = Arc::new(AtomicU64::new(0));
        let written_at = Arc::new(AtomicU64::new(u64::MAX));
        let reader_task = {
            let polls = polls.clone();
            sprout::spawn(async move {
                let mut byte = [0u8; 1];
                reader.read(&mut byte).await.expect("read the byte");
                polls.load(Ordering::SeqCst)
            })
        };
        let spinner = {
            let (polls, written_at) = (polls.clone(), written_at.clone());
            async move {
                loop {
                    let poll = polls.fetch_add(1, Ordering::SeqCst) + 1;
                    if poll == 100 {
                        writer.write(b"x").await.expect("write the byte");
                        written_at.store(poll, Ordering::SeqCst);
                    }
                    sprout::yield_now().await;
                }
            }
        };
        let spinner = if local {
            sprout::spawn_local(spinner)
        } else {
            sprout::spawn(spinner)
        };
        let seen = reader_task.await.expect("the reader task");
        spinner.cancel();
        seen - written_at.load(Ordering::SeqCst)
    })
}

/// A `spawn_local` task that yields is deferred like any other task: the reader of the socket
/// it made readable runs after at most one more of its polls (the same bound as `spawn`).
#[test]
fn a_yielding_spawn_local_task_is_deferred_like_any_task() {
    within(Duration::from_secs(20), "spawn_local deferral", || {
        let spawned = polls_before_the_reader_runs(false);
        let local = polls_before_the_reader_runs(true);
        assert!(spawned <= 1, "spawn: {spawned} more polls of the spinner");
        assert!(local <= 1, "spawn_local: {local} more polls of the spinner");
    });
}
