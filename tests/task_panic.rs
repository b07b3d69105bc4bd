//! Panics inside tasks are contained: the joiner sees `is_panic()`, every other task and the
//! runtime carry on.

mod support;

use std::time::Duration;

use support::{runtime, within};

/// A panicking task: `is_panic()` with the payload, while its siblings finish normally and the
/// runtime keeps working afterwards.
#[test]
fn a_panic_is_isolated_to_its_task() {
    for workers in [1, 2] {
        within(Duration::from_secs(10), "panic isolation", move || {
            let rt = runtime(workers);
            rt.block_on(async {
                let siblings: Vec<_> = (0..20u32)
                    .map(|i| {
                        sprout::spawn(async move {
                            sprout::sleep(Duration::from_millis(5)).await;
                            i
                        })
                    })
                    .collect();
                let bad = sprout::spawn(async {
                    sprout::yield_now().await;
                    panic!("deliberate test panic");
                });
                let error = bad.await.expect_err("the task panicked");
                assert!(error.is_panic());
                assert_eq!(error.panic_message(), Some("deliberate test panic"));
                assert!(error.to_string().contains("panicked"), "{error}");
                let payload = error.try_into_panic().expect("a panic payload");
                assert_eq!(
                    payload.downcast_ref::<&str>(),
                    Some(&"deliberate test panic")
                );
                let sum: u32 = sprout::join_all(siblings)
                    .await
                    .into_iter()
                    .map(Result::unwrap)
                    .sum();
                assert_eq!(sum, 190);
            });
            // The runtime is still usable after a task panicked.
            assert_eq!(
                rt.block_on(async { sprout::spawn(async { 1 }).await.unwrap() }),
                1
            );
        });
    }
}

/// A detached task that panics does not disturb anything (it is reported on stderr).
#[test]
fn a_detached_panic_does_not_stop_the_runtime() {
    within(Duration::from_secs(10), "detached panic", || {
        runtime(2).block_on(async {
            for _ in 0..10 {
                drop(sprout::spawn(async { panic!("detached test panic") }));
            }
            sprout::sleep(Duration::from_millis(20)).await;
            assert_eq!(sprout::spawn(async { "alive" }).await.unwrap(), "alive");
        });
    });
}

/// A panic inside `spawn_blocking` is delivered the same way.
#[test]
fn a_blocking_panic_is_a_join_error() {
    within(Duration::from_secs(10), "blocking panic", || {
        runtime(1).block_on(async {
            let error = sprout::spawn_blocking(|| -> u8 { panic!("blocking test panic") })
                .await
                .unwrap_err();
            assert!(error.is_panic());
        });
    });
}

/// A detached task's panic is reported on stderr with the task's id (gevent prints a greenlet's
/// traceback). Checked in a child process, whose stderr we can read.
#[test]
fn a_detached_panic_is_reported_with_the_task_id() {
    if std::env::var("SPROUT_DETACHED_CHILD").is_ok() {
        runtime(1).block_on(async {
            let handle = sprout::spawn(async {
                sprout::yield_now().await;
                panic!("reported panic");
            });
            println!("id={}", handle.id());
            drop(handle); // detached before it panics
                          // One worker: the task runs, panics and is reported between two polls of this
                          // future, so waiting for the live count to drop is enough (bounded, not timed).
            for _ in 0..10_000 {
                if sprout::stats().live_tasks == 0 {
                    break;
                }
                sprout::yield_now().await;
            }
            assert_eq!(
                sprout::stats().live_tasks,
                0,
                "the detached task never finished"
            );
        });
        return;
    }
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_detached_panic_is_reported_with_the_task_id",
            "--nocapture",
        ])
        .env("SPROUT_DETACHED_CHILD", "1")
        .output()
        .expect("run the child test");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let id = stdout
        .lines()
        .find_map(|line| line.strip_prefix("id="))
        .unwrap_or_else(|| panic!("the child printed no id: {stdout}"));
    let expected = format!("sprout: detached task {id} panicked: reported panic");
    assert!(
        stderr.contains(&expected),
        "stderr lacks {expected:?}:\n{stderr}"
    );
}

/// A future that is `Ready` and whose destructor then panics.
struct ReadyThenPanicsOnDrop;

impl std::future::Future for ReadyThenPanicsOnDrop {
    type Output = u32;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<u32> {
        std::task::Poll::Ready(5)
    }
}

impl Drop for ReadyThenPanicsOnDrop {
    fn drop(&mut self) {
        panic!("the future's destructor panicked");
    }
}

/// A value whose destructor panics, as a task's output.
struct OutputPanicsOnDrop;

impl Drop for OutputPanicsOnDrop {
    fn drop(&mut self) {
        panic!("the output's destructor panicked");
    }
}

/// A panic in a completed future's destructor becomes the task's `JoinError` instead of
/// unwinding through the worker; so does nothing else break: the same workers go on running
/// tasks, and a detached task whose output panics when dropped does not take its worker down.
#[test]
fn panics_in_destructors_after_completion_stay_inside_the_task() {
    for workers in [1, 2] {
        within(Duration::from_secs(20), "panic in drop", move || {
            runtime(workers).block_on(async {
                let error = sprout::spawn(ReadyThenPanicsOnDrop)
                    .await
                    .expect_err("the destructor's panic is the task's error");
                assert_eq!(
                    error.panic_message(),
                    Some("the future's destructor panicked")
                );
                for _ in 0..4 {
                    sprout::spawn(async { OutputPanicsOnDrop }).detach();
                }
                for i in 0..100u32 {
                    assert_eq!(sprout::spawn(async move { i }).await.unwrap(), i);
                }
            });
        });
    }
}

/// Dropping the handle of a task that already finished drops its unclaimed output in the
/// caller (task I5); a panic in that output's destructor must be caught there as the worker
/// catches it, not unwind into the caller's code. Deterministic on one worker: the main future
/// waits until the task is finished, then drops the handle.
#[test]
fn dropping_a_finished_tasks_handle_catches_its_outputs_destructor_panic() {
    within(Duration::from_secs(20), "drop of a finished handle", || {
        runtime(1).block_on(async {
            let handle = sprout::spawn(async { OutputPanicsOnDrop });
            while !handle.is_finished() {
                sprout::yield_now().await;
            }
            drop(handle);
            // Still here: the destructor's panic stayed inside the drop.
            assert_eq!(sprout::spawn(async { 3 }).await.unwrap(), 3);
        });
    });
}

/// The same race, run for real on two workers: the other worker sometimes finishes the task
/// before `detach()` lets go of it, sometimes after. Either way nothing reaches the caller.
#[test]
fn detaching_races_with_completion_without_leaking_a_panic() {
    within(Duration::from_secs(60), "detach vs completion", || {
        runtime(2).block_on(async {
            for round in 0..300u32 {
                let handle = sprout::spawn(async { OutputPanicsOnDrop });
                // Even rounds let go at once; odd ones spin (bounded, on this thread, so the
                // other worker must run the task) until it has finished, so both orders occur.
                if round % 2 == 1 {
                    let give_up = std::time::Instant::now() + Duration::from_millis(5);
                    while !handle.is_finished() && std::time::Instant::now() < give_up {
                        std::hint::spin_loop();
                    }
                }
                handle.detach();
            }
            assert_eq!(sprout::spawn(async { 4 }).await.unwrap(), 4);
        });
    });
}
