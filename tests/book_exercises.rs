//! The book's exercises cannot drift from the code: each is a patch under `docs/exercises/`,
//! and this test runs every one through `docs/exercises/run.sh` — which applies it to a scratch
//! copy of the repository and runs what the chapter says — then checks that the output shows
//! the failure the chapter's answer names. A patch that no longer applies, or that no longer
//! breaks what the answer says it breaks, fails here with the script's whole output.
//!
//! Each run builds a patched copy of the crate (about two minutes in all for the debug ones,
//! plus two release builds), so the test is ignored by a plain `cargo test`; `.ci/run` runs it:
//!
//! ```text
//! cargo test --test book_exercises -- --ignored
//! ```
//!
//! The chapters show each patch through the same listing check as the code
//! (`tests/book_listings.rs`), so the patch the book prints is the patch this test applies, and
//! what they quote of a run (`<!-- capture exercise:NAME -->`) is checked against this run's
//! output (`support/captures.rs`).

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use support::captures;

/// A further check on an exercise's whole output: `Err` says what is wrong.
type Check = fn(&str) -> Result<(), String>;

/// One exercise: its patch's name, and what the output must contain (each in turn, in order).
struct Exercise {
    name: &'static str,
    expect: &'static [&'static str],
    /// A further check on the whole output, for answers that are a comparison.
    check: Option<Check>,
}

const EXERCISES: &[Exercise] = &[
    Exercise {
        name: "ch05-blocking-call",
        expect: &[
            "--- the server's stderr:",
            "sprout: watchdog: task",
            "without returning to the runtime",
            "returned to the runtime on worker 0 after about",
        ],
        check: None,
    },
    Exercise {
        name: "ch06-starve-the-reactor",
        expect: &[
            "tiny_runtime:",
            "client exit status 124",
            "sprout:",
            "hello",
        ],
        check: None,
    },
    Exercise {
        name: "ch07-queue-a-task-twice",
        expect: &[
            "every_step_has_exact_counts",
            "cancel-before-run after cancelled: (queued, polled, future drops)",
            "left: (2, 0, 0)",
            "right: (1, 0, 0)",
        ],
        check: None,
    },
    Exercise {
        name: "ch08-forget-the-deferred-list",
        expect: &[
            "a_yielding_spawn_local_task_is_deferred_like_any_task",
            "more polls of the spinner",
            "test result: FAILED",
        ],
        check: None,
    },
    Exercise {
        name: "ch09-lose-the-writable-edge",
        expect: &[
            "readable: did not finish within 10s (a lost wake-up or a hang)",
            "reader/writer: did not finish within 30s (a lost wake-up or a hang)",
            "test result: FAILED",
        ],
        check: None,
    },
    Exercise {
        name: "ch10-an-endless-budget",
        expect: &[
            "always_readable_socket_cannot_starve_siblings --- FAILED",
            "the timer was starved by a busy socket:",
            "test result: FAILED",
        ],
        check: None,
    },
    Exercise {
        name: "ch11-pay-for-the-failed-recv",
        expect: &["1 connection(s):", "50 connection(s):"],
        check: Some(more_receives_than_sends_at_50_connections),
    },
    Exercise {
        name: "ch12-nagle",
        expect: &["round trips/s"],
        check: Some(round_trips_wait_for_delayed_acks),
    },
    Exercise {
        name: "ch13-slowloris",
        expect: &["cut off only after", "test result: FAILED"],
        check: None,
    },
    Exercise {
        name: "ch14-a-task-that-never-finishes",
        expect: &[
            "client still waiting after 5 s: yes",
            "--- the server's stderr:",
            "sprout runtime dump at",
            "1 live task(s)",
            "waits on something the runtime cannot see",
        ],
        check: None,
    },
];

/// Runs every exercise and reports all that went wrong, each with the script's output.
#[test]
#[ignore = "builds a patched copy of the crate per exercise (minutes); .ci/run runs it"]
fn every_exercise_patch_applies_and_ends_in_the_failure_its_answer_names() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let on_disk: Vec<String> = std::fs::read_dir(root.join("docs/exercises"))
        .expect("docs/exercises is readable")
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            Some(name.strip_suffix(".patch")?.to_string())
        })
        .collect();
    for name in &on_disk {
        assert!(
            EXERCISES.iter().any(|exercise| exercise.name == name),
            "docs/exercises/{name}.patch has no entry in this test"
        );
    }
    let mut failures = Vec::new();
    for exercise in EXERCISES {
        let output = run(root, exercise.name);
        if let Err(problem) = judge(exercise, &output) {
            failures.push(format!(
                "{}: {problem}\n--- its output:\n{output}",
                exercise.name
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Runs one exercise's script, under a deadline, and returns its stdout and stderr together.
fn run(root: &Path, name: &'static str) -> String {
    let root = root.to_path_buf();
    support::within(Duration::from_secs(900), name, move || {
        let output = Command::new("bash")
            .arg(root.join("docs/exercises/run.sh"))
            .arg(name)
            .output()
            .expect("run docs/exercises/run.sh");
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// Whether `output` shows what the exercise's answer names.
fn judge(exercise: &Exercise, output: &str) -> Result<(), String> {
    let mut rest = output;
    for expected in exercise.expect {
        match rest.find(expected) {
            Some(at) => rest = &rest[at + expected.len()..],
            None => return Err(format!("expected {expected:?} (after the ones before it)")),
        }
    }
    exercise.check.map_or(Ok(()), |check| check(output))?;
    // What the book quotes of this run (`<!-- capture exercise:NAME -->`) must still be there.
    for quote in captures::quotes_of(&format!("exercise:{}", exercise.name)) {
        captures::check(&quote, output)?;
    }
    Ok(())
}

/// Chapter 11: without the skipped `recv`, each message costs a second `recvfrom`, so at 50
/// connections there are clearly more of them than `sendto`s (with the trick they are equal).
fn more_receives_than_sends_at_50_connections(output: &str) -> Result<(), String> {
    let line = output
        .lines()
        .find(|line| line.contains("50 connection(s):"))
        .ok_or("no line for 50 connections")?;
    let count = |syscall: &str| -> Result<f64, String> {
        let after = line
            .split(&format!("{syscall} "))
            .nth(1)
            .ok_or(format!("no {syscall} count in {line:?}"))?;
        let number: String = after.chars().take_while(char::is_ascii_digit).collect();
        number.parse().map_err(|_| format!("bad {syscall} count"))
    };
    let (receives, sends) = (count("recvfrom")?, count("sendto")?);
    if receives > 1.2 * sends {
        Ok(())
    } else {
        Err(format!(
            "recvfrom {receives} is not well above sendto {sends}"
        ))
    }
}

/// Chapter 12: without `TCP_NODELAY`, a 4 KiB echo read 1 KiB at a time waits for delayed ACKs,
/// so the median round trip takes milliseconds, not tens of microseconds.
fn round_trips_wait_for_delayed_acks(output: &str) -> Result<(), String> {
    let p50 = output
        .split("p50 ")
        .nth(1)
        .ok_or("no p50 in the client's report")?;
    let number: String = p50
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let unit: String = p50[number.len()..]
        .trim_start()
        .chars()
        .take_while(|c| c.is_alphabetic())
        .collect();
    let value: f64 = number.parse().map_err(|_| "bad p50".to_string())?;
    let millis = match unit.as_str() {
        "s" => value * 1000.0,
        "ms" => value,
        "µs" | "us" => value / 1000.0,
        "ns" => value / 1_000_000.0,
        other => return Err(format!("unknown unit {other:?}")),
    };
    if millis >= 10.0 {
        Ok(())
    } else {
        Err(format!(
            "p50 {millis} ms: the round trips did not wait for delayed ACKs"
        ))
    }
}
