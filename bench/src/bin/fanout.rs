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
    // `--workers 1,2,4,8`: the worker counts to compare (the first one is the base of the
    // speed-ups); `--tsv FILE` appends `fanout\tRUNTIME\tseconds_N\tVALUE` rows.
    let counts: Vec<usize> = sprout_bench::flag("--workers")
        .unwrap_or_else(|| "1,2".into())
        .split(',')
        .map(|n| n.trim().parse().expect("--workers N,N,..."))
        .collect();
    let start = Instant::now();
    for i in 0..10_000 {
        work(i);
    }
    println!(
        "fanout: {TASKS} tasks of {:.2} µs each, {rounds} rounds, alternating",
        start.elapsed().as_secs_f64() * 1e6 / 10_000.0
    );
    // [runtime][count] -> the rounds' totals and spawning loops.
    let mut times = vec![vec![Vec::new(); counts.len()]; 2];
    let mut spawning = vec![vec![Vec::new(); counts.len()]; 2];
    for _ in 0..rounds {
        for (index, &workers) in counts.iter().enumerate() {
            for (runtime, run) in [sprout_run as fn(usize) -> (f64, f64), tokio_run]
                .into_iter()
                .enumerate()
            {
                let (total, spawn) = run(workers);
                times[runtime][index].push(total);
                spawning[runtime][index].push(spawn);
            }
        }
    }
    let header: Vec<String> = counts.iter().map(|n| format!("{n} w (s)")).collect();
    let speedups: Vec<String> = counts[1..]
        .iter()
        .map(|n| format!("{n} w ÷ {}", counts[0]))
        .collect();
    println!(
        "| runtime | {} | {} | spawning loop (s) |",
        header.join(" | "),
        speedups.join(" | ")
    );
    // One column per count, one speed-up per count after the first, then the spawning loops.
    let columns = "---:|".repeat(2 * counts.len() - 1);
    println!("|---|{columns}---:|");
    let tsv = sprout_bench::flag("--tsv");
    for (runtime, name) in ["sprout", "tokio multi_thread"].into_iter().enumerate() {
        let medians: Vec<f64> = times[runtime].iter_mut().map(|t| median(t)).collect();
        let loops: Vec<String> = spawning[runtime]
            .iter_mut()
            .map(|t| format!("{:.3}", median(t)))
            .collect();
        let cells: Vec<String> = medians.iter().map(|m| format!("{m:.3}")).collect();
        let ups: Vec<String> = medians[1..]
            .iter()
            .map(|m| format!("{:.2}×", medians[0] / m))
            .collect();
        println!(
            "| {name} | {} | {} | {} |",
            cells.join(" | "),
            ups.join(" | "),
            loops.join(" / ")
        );
        if let Some(path) = &tsv {
            use std::io::Write;
            let mut file = sprout_bench::append_tsv(path);
            let short = if runtime == 0 { "sprout" } else { "tokio-mt" };
            for (&workers, seconds) in counts.iter().zip(&medians) {
                writeln!(file, "fanout\t{short}\tseconds_{workers}\t{seconds:.4}")
                    .expect("write tsv");
            }
        }
    }
}
