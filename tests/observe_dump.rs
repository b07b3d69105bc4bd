//! The runtime dump: every live task with the right state and wait, the reactor's fds, the
//! timers and the blocking pool; and the same report on SIGUSR1.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

use sprout::runtime::{TaskKind, TaskState, WaitingOn};
use support::child::{child_command, is_child};
use support::within;

/// On one worker, five named tasks in five different situations: the dump taken from inside
/// one of them shows each one's state, what it waits on, its poll count (counted because poll
/// timing watches the polls) and its spawn site.
#[test]
fn the_dump_lists_named_tasks_with_their_states_and_waits() {
    within(Duration::from_secs(20), "dump of named tasks", || {
        let runtime = sprout::Runtime::builder()
            .workers(1)
            .poll_timing(true)
            .build()
            .expect("build");
        runtime.block_on(async {
            let (ours, mut theirs) = UnixStream::pair().expect("a socket pair");
            ours.set_nonblocking(true).expect("non-blocking");
            let fd = ours.as_raw_fd();
            let reader = sprout::TaskBuilder::new().name("reader").spawn(async move {
                let socket = sprout::Async::new(ours).expect("register");
                let mut buf = [0u8; 4];
                socket
                    .read_with(|mut s| s.read(&mut buf))
                    .await
                    .expect("read")
            });
            let reader_id = reader.id();
            let joiner = sprout::TaskBuilder::new()
                .name("joiner")
                .spawn(async move { reader.await.expect("reader") });
            let sleeper = sprout::TaskBuilder::new()
                .name("sleeper")
                .spawn(sprout::sleep(Duration::from_secs(60)));
            let (release, released) = mpsc::channel::<()>();
            let blocking = sprout::TaskBuilder::new()
                .name("pool job")
                .spawn_blocking(move || released.recv_timeout(Duration::from_secs(10)).is_ok());
            // One worker: everything above runs once and parks before we go on.
            sprout::yield_now().await;
            // Spawn order is run order: `inspector` takes the dump while `queued` still waits
            // in the run queue behind it.
            let inspector = sprout::TaskBuilder::new()
                .name("inspector")
                .spawn(async { sprout::dump() });
            let queued = sprout::TaskBuilder::new().name("queued").spawn(async {});
            let dump = inspector.await.expect("inspector");
            queued.await.expect("queued");

            let task = |name: &str| {
                dump.tasks
                    .iter()
                    .find(|t| t.name.as_deref() == Some(name))
                    .unwrap_or_else(|| panic!("{name} is missing from the dump:\n{dump}"))
                    .clone()
            };
            let reader = task("reader");
            assert_eq!(reader.id, reader_id);
            assert_eq!(reader.state, TaskState::Idle, "{dump}");
            assert_eq!(reader.waiting_on, vec![WaitingOn::Readable(fd)], "{dump}");
            assert_eq!(reader.polls, Some(1));
            assert!(
                reader.spawned_at.file().ends_with("observe_dump.rs"),
                "{}",
                reader.spawned_at
            );
            let joiner_dump = task("joiner");
            assert_eq!(joiner_dump.state, TaskState::Idle);
            assert_eq!(joiner_dump.waiting_on, vec![WaitingOn::Task(reader_id)]);
            let sleeper_dump = task("sleeper");
            assert_eq!(sleeper_dump.state, TaskState::Idle);
            assert!(
                matches!(sleeper_dump.waiting_on[..], [WaitingOn::Timer(left)]
                    if left > Duration::from_secs(50)),
                "{dump}"
            );
            let pool_job = task("pool job");
            assert_eq!(pool_job.kind, TaskKind::Blocking);
            assert!(
                matches!(pool_job.state, TaskState::Running | TaskState::Scheduled),
                "started or about to: {dump}"
            );
            let inspector = task("inspector");
            assert_eq!(inspector.state, TaskState::Running, "it took the dump");
            let queued = task("queued");
            assert_eq!(queued.state, TaskState::Scheduled, "{dump}");
            assert_eq!(queued.polls, Some(0), "never polled yet");
            assert!(dump.timers.len() == 1 && dump.timers[0] > Duration::from_secs(50));
            assert!(
                dump.sources
                    .iter()
                    .any(|s| s.fd == fd && s.waiting_readers == 1),
                "the reader's fd has one parked reader: {dump}"
            );
            assert!(dump.blocking_busy + dump.blocking_queued >= 1, "{dump}");

            let report = dump.to_string();
            for name in ["\"reader\"", "\"joiner\"", "\"sleeper\"", "\"pool job\""] {
                assert!(report.contains(name), "the report names {name}:\n{report}");
            }
            assert!(
                report.contains(&format!("waits on fd {fd} readable")),
                "{report}"
            );

            theirs.write_all(b"ping").expect("write");
            assert_eq!(joiner.await.expect("joiner"), 4);
            release.send(()).expect("release the pool job");
            assert!(blocking.await.expect("pool job"));
            sleeper.cancel();
            let _ = sleeper.await;
            assert!(sprout::dump().tasks.is_empty(), "every task is gone");
        });
    });
}

/// With nothing watching the polls, they are not counted (task/meta I3): the dump says `None`
/// and its report prints no count, rather than a zero that would be wrong.
#[test]
fn unwatched_polls_are_not_counted() {
    within(Duration::from_secs(10), "unwatched dump", || {
        support::runtime(1).block_on(async {
            let task = sprout::TaskBuilder::new()
                .name("polled")
                .spawn(std::future::pending::<()>());
            sprout::yield_now().await;
            let dump = sprout::dump();
            let listed = dump.tasks.iter().find(|t| t.id == task.id());
            assert_eq!(listed.expect("listed").polls, None, "{dump}");
            assert!(!dump.to_string().contains("polls"), "{dump}");
            task.cancel();
        })
    });
}

/// `kill -USR1 <pid>` makes a running sprout program print the dump on stderr, naming its
/// tasks; the program keeps running.
#[test]
fn sigusr1_prints_the_dump() {
    const TEST: &str = "sigusr1_prints_the_dump";
    if is_child(TEST) {
        // The monitor thread answers SIGUSR1, and it runs only with the watchdog on: the default
        // in debug builds, not in release (`Builder::dump_on_sigusr1`). Asked for here, so the
        // test means the same under `cargo test --release`, where it failed before.
        let runtime = sprout::Runtime::builder()
            .workers(2)
            .watchdog(Duration::from_millis(500))
            .build()
            .expect("build a sprout runtime");
        runtime.block_on(async {
            let waiter = sprout::TaskBuilder::new()
                .name("waiting for stdin")
                .spawn_blocking(|| {
                    // Said from inside the closure, so the dump that follows finds it running
                    // (said after `spawn_blocking` returned, it raced the pool thread's start).
                    println!("ready");
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line).map(|_| line)
                });
            waiter.await.expect("the stdin task").expect("read stdin");
        });
        println!("still running after the dump");
        return;
    }
    within(Duration::from_secs(30), "SIGUSR1 dump", || {
        let mut child = child_command(TEST)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the child");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
        let mut line = String::new();
        while !line.contains("ready") {
            line.clear();
            assert!(
                stdout.read_line(&mut line).expect("read stdout") > 0,
                "the child ended before it was ready"
            );
        }
        let kill = std::process::Command::new("kill")
            .args(["-USR1", &child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(kill.success());
        let mut stderr = BufReader::new(child.stderr.take().expect("piped"));
        let mut report = String::new();
        while !report.contains("blocking pool:") {
            assert!(
                stderr.read_line(&mut report).expect("read stderr") > 0,
                "the child's stderr ended without a dump:\n{report}"
            );
        }
        assert!(report.contains("sprout runtime dump"), "{report}");
        assert!(
            report.contains("\"waiting for stdin\" (spawn_blocking)  running"),
            "{report}"
        );
        child
            .stdin
            .take()
            .expect("piped")
            .write_all(b"go on\n")
            .expect("write stdin");
        let mut rest = String::new();
        stdout.read_to_string(&mut rest).expect("read the rest");
        assert!(child.wait().expect("wait").success());
        assert!(rest.contains("still running after the dump"), "{rest}");
    });
}
