//! The runtime-core benchmark: sprout beside tokio (current_thread and multi_thread with one
//! worker) and smol, on one CPU.
//!
//! ```text
//! cargo run --release -p sprout-bench --bin runtime_bench             # the whole table
//! cargo run --release -p sprout-bench --bin runtime_bench -- --rounds 3
//! cargo run --release -p sprout-bench --bin runtime_bench -- --rounds 10 --only pingpong
//! ```
//!
//! `--tsv FILE` also appends each median to FILE as `case runtime median VALUE` (tab-separated),
//! for `plots`.
//!
//! Three measurements, each in a fresh process pinned with `taskset -c 0`, the contenders
//! alternating (A B C D A B C D …) so a noisy minute hurts them all alike:
//!
//! - spawn: spawn 1,000,000 trivial tasks, then join them all (tasks/s; each process reports the
//!   median of 5 runs after a warm-up);
//! - memory: resident bytes per pending task (RSS growth after 1,000,000 tasks that each await a
//!   future that never completes, all polled once, handles dropped);
//! - ping-pong: two tasks bounce a number over a pair of bounded channels (wake-ups/s);
//! - timers: 1,000,000 sleeps (`SPROUT_TIMERS` sets the count), each polled once so it registers,
//!   then all dropped: ns per timer for the whole cycle, and resident bytes per pending timer.

use std::future::Future;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// Tasks in the spawn and memory cases.
const TASKS: usize = 1_000_000;
/// Round trips in the ping-pong case.
const ROUND_TRIPS: usize = 1_000_000;

/// The contenders, by the name used on the command line.
const RUNTIMES: [&str; 4] = ["sprout", "tokio-ct", "tokio-mt1", "smol"];
/// The measurements, by name, with their unit.
const CASES: [(&str, &str); 6] = [
    ("spawn", "tasks/s"),
    ("memory", "bytes/task"),
    ("memory-kept", "bytes/task, handles kept, after five yields"),
    ("pingpong", "wakeups/s"),
    ("timers-time", "ns per timer registered and cancelled"),
    ("timers-memory", "bytes/pending timer"),
];

fn main() {
    if let (Some(case), Some(runtime)) = (
        sprout_bench::flag("--case"),
        sprout_bench::flag("--runtime"),
    ) {
        println!("{}", measure(&case, &runtime));
        return;
    }
    let rounds: usize = sprout_bench::flag("--rounds")
        .and_then(|r| r.parse().ok())
        .unwrap_or(2);
    let tsv = sprout_bench::flag("--tsv").map(std::path::PathBuf::from);
    orchestrate(rounds, sprout_bench::flag("--only"), tsv);
}

/// Runs every case for every runtime `rounds` times, alternating, and prints the table.
fn orchestrate(rounds: usize, only: Option<String>, tsv: Option<std::path::PathBuf>) {
    let exe = std::env::current_exe().expect("own path");
    println!("runtime_bench: {rounds} rounds, each measurement in a fresh process on CPU 0");
    for (case, unit) in CASES {
        if only.as_deref().is_some_and(|o| o != case) {
            continue;
        }
        let mut samples: Vec<Vec<f64>> = vec![Vec::new(); RUNTIMES.len()];
        for _ in 0..rounds {
            for (index, runtime) in RUNTIMES.iter().enumerate() {
                let output = Command::new("taskset")
                    .args(["-c", "0"])
                    .arg(&exe)
                    .args(["--case", case, "--runtime", runtime])
                    .output()
                    .expect("run taskset (apt-get install util-linux)");
                let text = String::from_utf8_lossy(&output.stdout);
                let value: f64 = text.trim().parse().unwrap_or_else(|_| {
                    panic!(
                        "{runtime} {case}: no number in {text:?}; stderr: {}",
                        String::from_utf8_lossy(&output.stderr)
                    )
                });
                samples[index].push(value);
            }
        }
        print_table(case, unit, &samples);
        if let Some(path) = &tsv {
            use std::io::Write;
            let mut file = sprout_bench::append_tsv(path);
            for (runtime, values) in RUNTIMES.iter().zip(&samples) {
                writeln!(file, "{case}\t{runtime}\tmedian\t{}", median(values)).expect("write");
            }
        }
    }
}

/// One table: median (min–max) per runtime and the ratio to tokio's best configuration.
fn print_table(case: &str, unit: &str, samples: &[Vec<f64>]) {
    let medians: Vec<f64> = samples.iter().map(|s| median(s)).collect();
    let lower_is_better = case != "spawn" && case != "pingpong";
    let tokio_best = if lower_is_better {
        medians[1].min(medians[2])
    } else {
        medians[1].max(medians[2])
    };
    println!(
        "\n{case} ({unit}; {}):",
        if lower_is_better {
            "lower is better"
        } else {
            "higher is better"
        }
    );
    println!("| runtime   | median | min – max | ratio to tokio's best |");
    println!("|-----------|-------:|----------:|----------------------:|");
    for (index, runtime) in RUNTIMES.iter().enumerate() {
        let (low, high) = min_max(&samples[index]);
        println!(
            "| {runtime:<9} | {} | {} – {} | {:.2} |",
            human(medians[index]),
            human(low),
            human(high),
            medians[index] / tokio_best
        );
    }
}

/// The median of `values`.
fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    if sorted.len().is_multiple_of(2) {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    } else {
        sorted[mid]
    }
}

/// The smallest and largest of `values`.
fn min_max(values: &[f64]) -> (f64, f64) {
    let low = values.iter().copied().fold(f64::INFINITY, f64::min);
    let high = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (low, high)
}

/// A number with a k/M suffix.
fn human(value: f64) -> String {
    if value >= 1e6 {
        format!("{:.2}M", value / 1e6)
    } else if value >= 1e4 {
        format!("{:.0}k", value / 1e3)
    } else {
        format!("{value:.0}")
    }
}

/// One contender, built and ready to run futures.
enum Contender {
    /// sprout with one worker.
    Sprout(sprout::Runtime),
    /// tokio's current_thread or multi_thread runtime.
    Tokio(tokio::runtime::Runtime),
    /// smol's executor, run on this thread by `smol::block_on`.
    Smol,
}

/// smol's executor for this process (async-executor has no "current executor" to spawn on).
fn smol_executor() -> &'static smol::Executor<'static> {
    static EXECUTOR: std::sync::OnceLock<smol::Executor<'static>> = std::sync::OnceLock::new();
    EXECUTOR.get_or_init(smol::Executor::new)
}

impl Contender {
    /// Builds the contender named `name`, on one CPU's worth of threads.
    fn new(name: &str) -> Contender {
        match name {
            "sprout" => Contender::Sprout(sprout::Runtime::builder().workers(1).build().unwrap()),
            "tokio-ct" => Contender::Tokio(
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap(),
            ),
            "tokio-mt1" => Contender::Tokio(
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(1)
                    .enable_all()
                    .build()
                    .unwrap(),
            ),
            "smol" => Contender::Smol,
            other => panic!("unknown runtime {other}"),
        }
    }

    /// Runs `future` to completion.
    fn block_on<T>(&self, future: impl Future<Output = T>) -> T {
        match self {
            Contender::Sprout(rt) => rt.block_on(future),
            Contender::Tokio(rt) => rt.block_on(future),
            Contender::Smol => smol::block_on(smol_executor().run(future)),
        }
    }
}

/// Spawns a `'static` future on the runtime this code runs inside, and forgets it.
fn spawn_detached(name: &str, future: impl Future<Output = ()> + Send + 'static) {
    match name {
        "sprout" => sprout::spawn(future).detach(),
        "smol" => smol_executor().spawn(future).detach(),
        _ => drop(tokio::spawn(future)),
    }
}

/// Spawns `count` never-ready tasks on the named runtime and returns their handles, boxed.
fn spawn_kept(name: &str, count: usize) -> Box<dyn std::any::Any> {
    let pending = std::future::pending::<()>;
    match name {
        "sprout" => Box::new(
            (0..count)
                .map(|_| sprout::spawn(pending()))
                .collect::<Vec<_>>(),
        ),
        "smol" => Box::new(
            (0..count)
                .map(|_| smol_executor().spawn(pending()))
                .collect::<Vec<_>>(),
        ),
        _ => Box::new(
            (0..count)
                .map(|_| tokio::spawn(pending()))
                .collect::<Vec<_>>(),
        ),
    }
}

/// Runs one case on one runtime in this process and returns its figure.
fn measure(case: &str, name: &str) -> f64 {
    // `sprout-timed` (not in the table; `--runtime sprout-timed` by hand) is sprout with
    // `Builder::poll_timing(true)`: what timing every poll costs.
    let (contender, name) = if name == "sprout-timed" {
        let timed = sprout::Runtime::builder().workers(1).poll_timing(true);
        (Contender::Sprout(timed.build().unwrap()), "sprout")
    } else {
        (Contender::new(name), name)
    };
    match case {
        "spawn" => {
            let mut rates = Vec::new();
            for _ in 0..6 {
                let start = Instant::now();
                let sum = contender.block_on(spawn_and_join(name));
                let seconds = start.elapsed().as_secs_f64();
                assert_eq!(sum, (TASKS * (TASKS - 1) / 2) as u64);
                rates.push(TASKS as f64 / seconds);
            }
            median(&rates[1..]) // The first run warms the allocator.
        }
        "memory" => {
            let before = contender.block_on(async { resident_bytes() });
            let polled = Arc::new(AtomicUsize::new(0));
            contender.block_on(async {
                for _ in 0..TASKS {
                    let polled = polled.clone();
                    spawn_detached(name, async move {
                        polled.fetch_add(1, Ordering::Relaxed);
                        std::future::pending::<()>().await;
                    });
                }
                // Let every task run once, so each is truly pending.
                while polled.load(Ordering::Relaxed) < TASKS {
                    yield_now().await;
                }
            });
            (resident_bytes() - before) as f64 / TASKS as f64
        }
        "memory-kept" => {
            // A million `pending()` tasks whose handles the spawner keeps in a `Vec`, resident
            // growth after the spawner has yielded five times: each runtime has then polled
            // as many of them as it does in that time, and holds every handle's share.
            let before = contender.block_on(async { resident_bytes() });
            let grown = contender.block_on(async {
                let kept = spawn_kept(name, TASKS);
                for _ in 0..5 {
                    yield_now().await;
                }
                let grown = resident_bytes();
                drop(kept);
                grown
            });
            (grown - before) as f64 / TASKS as f64
        }
        "timers-time" | "timers-memory" => {
            let count: usize = std::env::var("SPROUT_TIMERS")
                .ok()
                .and_then(|n| n.parse().ok())
                .unwrap_or(1_000_000);
            let before = contender.block_on(async { resident_bytes() });
            let start = Instant::now();
            let grown = contender.block_on(timers(name, count));
            let per_timer_ns = start.elapsed().as_nanos() as f64 / count as f64;
            if case == "timers-time" {
                per_timer_ns
            } else {
                (grown - before) as f64 / count as f64
            }
        }
        "pingpong" => {
            let start = Instant::now();
            contender.block_on(ping_pong(name));
            (2 * ROUND_TRIPS) as f64 / start.elapsed().as_secs_f64()
        }
        other => panic!("unknown case {other}"),
    }
}

/// Spawns `TASKS` trivial tasks on the named runtime, joins them all, returns the sum.
async fn spawn_and_join(runtime: &str) -> u64 {
    let mut sum = 0u64;
    match runtime {
        "sprout" => {
            let handles: Vec<_> = (0..TASKS as u64)
                .map(|i| sprout::spawn(async move { i }))
                .collect();
            for handle in handles {
                sum += handle.await.unwrap();
            }
        }
        "smol" => {
            let handles: Vec<_> = (0..TASKS as u64)
                .map(|i| smol_executor().spawn(async move { i }))
                .collect();
            for handle in handles {
                sum += handle.await;
            }
        }
        _ => {
            let handles: Vec<_> = (0..TASKS as u64)
                .map(|i| tokio::spawn(async move { i }))
                .collect();
            for handle in handles {
                sum += handle.await.unwrap();
            }
        }
    }
    sum
}

/// Two tasks bounce a counter over two bounded channels, `ROUND_TRIPS` times.
async fn ping_pong(runtime: &str) {
    match runtime {
        "sprout" => {
            let (to_b, from_a) = sprout::sync::channel::<usize>(1);
            let (to_a, from_b) = sprout::sync::channel::<usize>(1);
            let b = sprout::spawn(async move {
                while let Ok(v) = from_a.recv().await {
                    to_a.send(v + 1).await.unwrap();
                }
            });
            let a = sprout::spawn(async move {
                for i in 0..ROUND_TRIPS {
                    to_b.send(i).await.unwrap();
                    assert_eq!(from_b.recv().await.unwrap(), i + 1);
                }
            });
            a.await.unwrap();
            b.await.unwrap();
        }
        "smol" => {
            let executor = smol_executor();
            let (to_b, from_a) = async_channel::bounded::<usize>(1);
            let (to_a, from_b) = async_channel::bounded::<usize>(1);
            let b = executor.spawn(async move {
                while let Ok(v) = from_a.recv().await {
                    to_a.send(v + 1).await.unwrap();
                }
            });
            let a = executor.spawn(async move {
                for i in 0..ROUND_TRIPS {
                    to_b.send(i).await.unwrap();
                    assert_eq!(from_b.recv().await.unwrap(), i + 1);
                }
            });
            a.await;
            b.await;
        }
        _ => {
            let (to_b, mut from_a) = tokio::sync::mpsc::channel::<usize>(1);
            let (to_a, mut from_b) = tokio::sync::mpsc::channel::<usize>(1);
            let b = tokio::spawn(async move {
                while let Some(v) = from_a.recv().await {
                    to_a.send(v + 1).await.unwrap();
                }
            });
            let a = tokio::spawn(async move {
                for i in 0..ROUND_TRIPS {
                    to_b.send(i).await.unwrap();
                    assert_eq!(from_b.recv().await.unwrap(), i + 1);
                }
            });
            a.await.unwrap();
            b.await.unwrap();
        }
    }
}

/// Registers `count` timers an hour away (each polled once), reads RSS, drops them all.
/// Returns the RSS while all were pending.
async fn timers(runtime: &str, count: usize) -> usize {
    use std::future::Future;
    use std::pin::Pin;
    let hour = std::time::Duration::from_secs(3600);
    let mut sleeps: Vec<Pin<Box<dyn Future<Output = ()>>>> = Vec::with_capacity(count);
    for _ in 0..count {
        sleeps.push(match runtime {
            "sprout" => Box::pin(sprout::sleep(hour)),
            "smol" => Box::pin(async move {
                smol::Timer::after(hour).await;
            }),
            _ => Box::pin(tokio::time::sleep(hour)),
        });
    }
    futures_lite::future::poll_fn(|cx| {
        for sleep in sleeps.iter_mut() {
            let _ = sleep.as_mut().poll(cx);
        }
        std::task::Poll::Ready(())
    })
    .await;
    let pending = resident_bytes();
    drop(sleeps);
    pending
}

/// A yield that works on any runtime: wake ourselves, return Pending once.
async fn yield_now() {
    let mut yielded = false;
    futures_lite::future::poll_fn(|cx| {
        if yielded {
            std::task::Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    })
    .await
}

/// This process's resident set size, from `/proc/self/statm`.
fn resident_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("read /proc/self/statm");
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap();
    pages * 4096
}
