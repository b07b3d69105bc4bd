//! CPU-bound fan-out: one task spawns 400,000 tasks of about a microsecond of compute each and
//! joins them; the other workers must steal to help. Reports how much faster two workers are
//! than one, for sprout and for tokio's multi_thread runtime, alternating, in the same run.
//!
//! ```text
//! cargo build --release -p sprout-bench && target/release/fanout --rounds 3
//! ```
//!
//! Not pinned: two workers need both CPUs. On a 2-core machine the ideal is 2.0×.

use std::time::Instant;

/// Tasks per run.
const TASKS: u64 = 400_000;
/// xorshift rounds per task: about 1 µs on this machine (printed by the calibration).
const ROUNDS: u64 = 600;

/// About a microsecond of work the optimiser cannot remove.
fn work(seed: u64) -> u64 {
    let mut x = seed | 1;
    for _ in 0..ROUNDS {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    std::hint::black_box(x)
}

/// The fan-out itself, on whatever runtime `spawn` spawns on: one task spawns the small ones
/// (each handle turned into a future of its result) and joins them in order. Returns the sum and
/// how long the spawning loop alone took: serial work no second worker can share.
async fn fan_out<H: std::future::Future<Output = u64>>(spawn: impl Fn(u64) -> H) -> (u64, f64) {
    let start = Instant::now();
    let handles: Vec<H> = (0..TASKS).map(&spawn).collect();
    let spawning = start.elapsed().as_secs_f64();
    let mut sum = 0u64;
    for handle in handles {
        sum = sum.wrapping_add(handle.await);
    }
    (sum, spawning)
}

/// Seconds sprout with `workers` workers takes for the fan-out, and for its spawning loop.
fn sprout_run(workers: usize) -> (f64, f64) {
    let rt = sprout::Runtime::builder()
        .workers(workers)
        .build()
        .expect("a runtime");
    let start = Instant::now();
    let sum = rt.block_on(async {
        let spawned = |i| {
            let handle = sprout::spawn(async move { work(i) });
            async move { handle.await.unwrap() }
        };
        sprout::spawn(fan_out(spawned)).await.unwrap()
    });
    std::hint::black_box(sum.0);
    (start.elapsed().as_secs_f64(), sum.1)
}

/// Seconds tokio multi_thread with `workers` workers takes for the same fan-out, and for its
/// spawning loop.
fn tokio_run(workers: usize) -> (f64, f64) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .build()
        .expect("a runtime");
    let start = Instant::now();
    let sum = rt.block_on(async {
        let spawned = |i| {
            let handle = tokio::spawn(async move { work(i) });
            async move { handle.await.unwrap() }
        };
        tokio::spawn(fan_out(spawned)).await.unwrap()
    });
    std::hint::black_box(sum.0);
    (start.elapsed().as_secs_f64(), sum.1)
}

/// The median of `values`.
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let rounds: usize = sprout_bench::flag("--rounds").map_or(3, |v| v.parse().expect("--rounds"));
    let start = Instant::now();
    for i in 0..10_000 {
        work(i);
    }
    println!(
        "fanout: {TASKS} tasks of {:.2} µs each, {rounds} rounds, alternating",
        start.elapsed().as_secs_f64() * 1e6 / 10_000.0
    );
    let mut times: [Vec<f64>; 4] = Default::default();
    let mut spawning: [Vec<f64>; 4] = Default::default();
    for _ in 0..rounds {
        let runs = [sprout_run(1), tokio_run(1), sprout_run(2), tokio_run(2)];
        for (index, (total, spawn)) in runs.into_iter().enumerate() {
            times[index].push(total);
            spawning[index].push(spawn);
        }
    }
    let [s1, t1, s2, t2] = times.map(|mut t| median(&mut t));
    let [p1, q1, p2, q2] = spawning.map(|mut t| median(&mut t));
    println!(
        "| runtime | 1 worker (s) | 2 workers (s) | speed-up | spawning loop, 1 / 2 workers (s) |"
    );
    println!("|---|---:|---:|---:|---:|");
    println!(
        "| sprout | {s1:.3} | {s2:.3} | {:.2}× | {p1:.3} / {p2:.3} |",
        s1 / s2
    );
    println!(
        "| tokio multi_thread | {t1:.3} | {t2:.3} | {:.2}× | {q1:.3} / {q2:.3} |",
        t1 / t2
    );
}
