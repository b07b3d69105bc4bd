//! `TaskGroup`: results as tasks finish, everything joined exactly once, cancellation of the
//! whole group (explicit or on drop), panics delivered, and the group visible in the dump.

mod support;

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sprout::runtime::TaskGroup;
use support::{runtime, within};

/// Counts drops of the futures that hold it.
struct DropCounter(Arc<AtomicUsize>);

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// 1,000 tasks on two workers: `join_next` returns each output exactly once, then `None`.
#[test]
fn every_task_is_joined_exactly_once() {
    within(Duration::from_secs(30), "a thousand tasks", || {
        runtime(2).block_on(async {
            let mut group = TaskGroup::new();
            for i in 0..1_000u32 {
                group.spawn(async move {
                    if i % 3 == 0 {
                        sprout::yield_now().await;
                    }
                    i
                });
            }
            assert_eq!(group.len(), 1_000);
            let mut seen = HashSet::new();
            while let Some(result) = group.join_next().await {
                assert!(seen.insert(result.expect("no task fails")), "joined twice");
            }
            assert_eq!(seen.len(), 1_000);
            assert!(group.is_empty());
        });
    });
}

/// Dropping the group cancels its tasks: every future is dropped, none completes.
#[test]
fn dropping_the_group_cancels_its_tasks() {
    within(Duration::from_secs(10), "drop cancels", || {
        runtime(2).block_on(async {
            let dropped = Arc::new(AtomicUsize::new(0));
            let mut group = TaskGroup::new();
            for _ in 0..10 {
                let counter = DropCounter(dropped.clone());
                group.spawn(async move {
                    let _counter = counter;
                    std::future::pending::<()>().await;
                });
            }
            sprout::yield_now().await;
            drop(group);
            while dropped.load(Ordering::SeqCst) < 10 {
                sprout::yield_now().await;
            }
        });
    });
}

/// `cancel_all` keeps the tasks in the group; `join_next` returns each as cancelled (or with
/// its output, for one that had finished); a panicking task's panic comes back as its error.
#[test]
fn cancel_all_and_panics_come_back_through_join_next() {
    within(Duration::from_secs(10), "cancel_all and panics", || {
        runtime(1).block_on(async {
            let mut group = TaskGroup::new();
            group.spawn(async { Some(1) });
            group.spawn(async { panic!("boom") });
            let first = group.join_next().await.unwrap();
            let second = group.join_next().await.unwrap();
            let (ok, err): (Vec<_>, Vec<_>) = [first, second].into_iter().partition(Result::is_ok);
            assert_eq!(ok[0].as_ref().unwrap(), &Some(1));
            assert_eq!(err[0].as_ref().unwrap_err().panic_message(), Some("boom"));

            for _ in 0..5 {
                group.spawn(std::future::pending());
            }
            group.cancel_all();
            assert_eq!(group.len(), 5);
            let mut cancelled = 0;
            while let Some(result) = group.join_next().await {
                assert!(result.unwrap_err().is_cancelled());
                cancelled += 1;
            }
            assert_eq!(cancelled, 5);
        });
    });
}

/// The dump report of a task named "owner" that made a group of two pending tasks, on a
/// runtime with this `watchdog` threshold (zero: off).
fn dump_of_a_group(watchdog: Duration) -> String {
    within(Duration::from_secs(10), "group in the dump", move || {
        let runtime = sprout::Runtime::builder()
            .workers(1)
            .watchdog(watchdog)
            .build()
            .expect("build");
        runtime.block_on(async {
            let owner = sprout::TaskBuilder::new().name("owner").spawn(async {
                let mut group = TaskGroup::<()>::new();
                group.spawn(std::future::pending());
                group.spawn(std::future::pending());
                sprout::yield_now().await; // the members get polled once
                let report = sprout::dump().to_string();
                drop(group);
                report
            });
            owner.await.unwrap()
        })
    })
}

/// While the watchdog runs, the dump lists a group's tasks under the task that made the group.
/// With it off, no worker records which task it polls (activity I2), so the group has no known
/// owner and its tasks are listed at the top level.
#[test]
fn the_dump_shows_a_group_under_its_owner_while_the_watchdog_runs() {
    let report = dump_of_a_group(Duration::from_secs(10));
    let lines: Vec<&str> = report.lines().collect();
    let at = lines
        .iter()
        .position(|line| line.contains("\"owner\""))
        .unwrap_or_else(|| panic!("no owner line:\n{report}"));
    assert!(
        lines[at + 1].contains("in its group: task")
            && lines[at + 2].contains("in its group: task"),
        "the two members are not under their owner:\n{report}"
    );
    assert_eq!(report.matches("in its group").count(), 2, "{report}");

    let report = dump_of_a_group(Duration::ZERO);
    assert!(report.contains("\"owner\""), "{report}");
    assert_eq!(report.matches("in its group").count(), 0, "{report}");
    assert_eq!(report.matches("  task ").count(), 3, "{report}");
}

/// `join_next` dropped while it awaits a finished task's output loses nothing (I3): the next
/// call returns it. Deterministic: with one unit of budget left, `join_next` takes the task's
/// key (spending it) and then finds the handle refused by the spent budget, so its first poll
/// ends right there; the future is dropped at that point.
#[test]
fn join_next_dropped_while_awaiting_the_output_loses_nothing() {
    within(Duration::from_secs(10), "join_next cancel-safety", || {
        runtime(1).block_on(async {
            let mut group = TaskGroup::new();
            let id = group.spawn(async { 7u32 });
            while sprout::stats().live_tasks > 0 {
                sprout::yield_now().await;
            }
            let (tx, rx) = sprout::sync::unbounded();
            for _ in 0..sprout::runtime::BUDGET - 1 {
                tx.try_send(()).unwrap();
            }
            sprout::yield_now().await; // A fresh budget from here.
            for _ in 0..sprout::runtime::BUDGET - 1 {
                rx.recv().await.unwrap();
            }
            let first = futures_lite::future::poll_once(group.join_next()).await;
            assert!(
                first.is_none(),
                "the first poll was meant to stop at the spent budget"
            );
            assert_eq!(
                group.len(),
                1,
                "the task's result left the group unreturned"
            );
            let joined = group.join_next().await;
            assert!(
                matches!(joined, Some(Ok(7))),
                "task {id:?}'s result was lost by a dropped join_next: {joined:?}"
            );
            assert!(group.join_next().await.is_none());
        });
    });
}

/// The race, as real runs: `join_next` raced against `yield_now` on four workers (more
/// than this machine's cores, so a worker is preempted between posting a key and storing the
/// output) while the tasks still run; not one of 20,000 results may be lost, in five runs.
#[test]
fn join_next_raced_against_yield_returns_every_result() {
    within(Duration::from_secs(120), "join_next race", || {
        for _ in 0..5 {
            runtime(4).block_on(async {
                const TASKS: u64 = 20_000;
                let mut group = TaskGroup::new();
                for i in 0..TASKS {
                    group.spawn(async move {
                        sprout::yield_now().await;
                        i
                    });
                }
                let mut sum = 0;
                let mut count = 0;
                while count < TASKS {
                    // The yield first: on its second poll it wins without `join_next` being
                    // polled again, so any key taken in the first poll is abandoned with it.
                    let next = futures_lite::future::or(
                        async {
                            sprout::yield_now().await;
                            None
                        },
                        async { Some(group.join_next().await) },
                    )
                    .await;
                    match next {
                        Some(Some(result)) => {
                            sum += result.unwrap();
                            count += 1;
                        }
                        Some(None) => panic!("the group ran dry after {count} of {TASKS} results"),
                        None => {}
                    }
                }
                assert_eq!(sum, TASKS * (TASKS - 1) / 2);
                assert!(group.is_empty());
            });
        }
    });
}
