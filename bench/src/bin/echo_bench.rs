//! The echo benchmark: sprout's `echo` example against tokio, smol and a raw epoll loop, with
//! the server on CPU 0 and the load generator on CPU 1 (`taskset`), contenders alternating.
//!
//! ```text
//! cargo build --release --example echo && cargo build --release -p sprout-bench
//! target/release/echo_bench                        # every scenario, 2 rounds of 5 s
//! target/release/echo_bench --rounds 3 --secs 10
//! ```
//!
//! Scenarios: 64-byte ping-pong on 1, 50 and 500 connections; 4 KiB on 50; Shakespeare (one
//! 64 KiB-chunk stream at full speed beside 20 small clients); and 10,000 connections held
//! (server memory per idle connection). All servers use one thread (sprout with
//! `SPROUT_WORKERS=1`), a 64 KiB buffer and `TCP_NODELAY`. Every echoed byte is checked.
//!
//! `--lecture` runs the lecture's comparison instead: every stage as its example ships
//! (`echo_blocking`, `echo_select`, `echo_threads`, `echo_processes`, `echo_callbacks`, and
//! sprout's `echo`), 64-byte ping-pong at 1, 10, 100 and 1,000 connections, then Shakespeare.
//! Its tables add fairness: connections served, the fewest round trips on one, the worst wait
//! (where the blocking server's one-client-at-a-time shows).
//!
//! `--tsv FILE` also appends every median to FILE (tab-separated `scenario server figure value`
//! rows), which `plots` turns into the book's SVG charts.
//!
//! `--baseline PATH` compares this build's `echo` example with another build of it (say, the
//! commit before a change), alternating the two, and nothing else:
//!
//! ```text
//! git worktree add /tmp/before HEAD~1
//! (cd /tmp/before && CARGO_TARGET_DIR=/tmp/before-target cargo build --release --example echo)
//! target/release/echo_bench --baseline /tmp/before-target/release/examples/echo --rounds 5
//! ```
//!
//! `--env KEY=VALUE` sets an environment variable for this build's server only (say,
//! `SPROUT_WATCHDOG_MS=0`).
//!
//! `--two-workers` runs the same scenarios with sprout on two workers (`SPROUT_WORKERS=2`)
//! against tokio multi_thread with two workers, and nothing pinned: server and load share the
//! machine's two CPUs as the scheduler pleases. The server's CPU per round trip then counts both
//! of its threads.

use sprout_bench::LECTURE_STAGES as STAGES;
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, Stdio};

/// The contenders: a name and how to start it.
const CONTENDERS: [&str; 4] = ["sprout", "tokio", "smol", "epoll"];

/// A scenario: its name and the load generator's arguments.
struct Scenario {
    /// Shown in the table.
    name: &'static str,
    /// `echo_load` arguments (besides --addr, --secs, --server-pid).
    args: &'static [&'static str],
}

/// The lecture's comparison: the same messages at growing connection counts, then Shakespeare.
/// (No 10,000: the blocking and process stages never accept past their listen backlog, so the
/// load's connects would only time out.)
const LECTURE: [Scenario; 5] = [
    Scenario {
        name: "64 B ping-pong, 1 connection",
        args: &["--mode", "pingpong", "--conns", "1", "--size", "64"],
    },
    Scenario {
        name: "64 B ping-pong, 10 connections",
        args: &["--mode", "pingpong", "--conns", "10", "--size", "64"],
    },
    Scenario {
        name: "64 B ping-pong, 100 connections",
        args: &["--mode", "pingpong", "--conns", "100", "--size", "64"],
    },
    Scenario {
        name: "64 B ping-pong, 1,000 connections",
        args: &["--mode", "pingpong", "--conns", "1000", "--size", "64"],
    },
    Scenario {
        name: "Shakespeare: 1 bulk stream + 20 small clients",
        args: &["--mode", "shakespeare", "--conns", "20"],
    },
];

const SCENARIOS: [Scenario; 6] = [
    Scenario {
        name: "64 B ping-pong, 1 connection",
        args: &["--mode", "pingpong", "--conns", "1", "--size", "64"],
    },
    Scenario {
        name: "64 B ping-pong, 50 connections",
        args: &["--mode", "pingpong", "--conns", "50", "--size", "64"],
    },
    Scenario {
        name: "64 B ping-pong, 500 connections",
        args: &["--mode", "pingpong", "--conns", "500", "--size", "64"],
    },
    Scenario {
        name: "4 KiB ping-pong, 50 connections",
        args: &["--mode", "pingpong", "--conns", "50", "--size", "4096"],
    },
    Scenario {
        name: "Shakespeare: 1 bulk stream + 20 small clients",
        args: &["--mode", "shakespeare", "--conns", "20"],
    },
    Scenario {
        name: "10,000 connections held",
        args: &["--mode", "hold", "--conns", "10000"],
    },
];

fn main() {
    let value = sprout_bench::flag;
    let rounds: usize = value("--rounds").map_or(2, |v| v.parse().expect("--rounds"));
    let secs: String = value("--secs").unwrap_or_else(|| "5".into());
    let only: Option<String> = value("--only");
    let lecture = sprout_bench::switch("--lecture");
    let two_workers = sprout_bench::switch("--two-workers");
    let tsv: Option<PathBuf> = value("--tsv").map(PathBuf::from);
    let baseline: Option<PathBuf> = value("--baseline").map(PathBuf::from);
    let sprout_env: Option<(String, String)> = value("--env").map(|pair| {
        let (key, value) = pair.split_once('=').expect("--env KEY=VALUE");
        (key.to_owned(), value.to_owned())
    });
    let (contenders, scenarios): (&[&str], &[Scenario]) = if lecture {
        (&STAGES, &LECTURE)
    } else if baseline.is_some() {
        (&["sprout", "baseline"], &SCENARIOS)
    } else if two_workers {
        (&["sprout", "tokio"], &SCENARIOS)
    } else {
        (&CONTENDERS, &SCENARIOS)
    };
    let dir = std::env::current_exe()
        .expect("own path")
        .parent()
        .expect("a folder")
        .to_path_buf();
    let sprout_echo = dir.join("examples").join("echo");
    assert!(
        sprout_echo.exists(),
        "build it first: cargo build --release --example echo"
    );
    let placement = match two_workers {
        true => "two workers each (sprout: SPROUT_WORKERS=2, tokio: multi_thread), nothing pinned",
        false => "server on CPU 0, load on CPU 1",
    };
    let workers = if two_workers { "2" } else { "1" };
    println!("echo_bench: {rounds} rounds of {secs} s; {placement}");
    for scenario in scenarios {
        if only
            .as_ref()
            .is_some_and(|o| !scenario.name.contains(o.as_str()))
        {
            continue;
        }
        let holding = scenario.args.contains(&"hold");
        let rounds = if holding { 1 } else { rounds };
        let mut results: HashMap<&str, Vec<HashMap<String, f64>>> = HashMap::new();
        for _ in 0..rounds {
            for &contender in contenders {
                let echo = match (contender, &baseline) {
                    ("baseline", Some(path)) => path,
                    _ => &sprout_echo,
                };
                let env = sprout_env.as_ref().filter(|_| contender == "sprout");
                let (mut server, _stdout, addr) = start_server(contender, &dir, echo, env, workers);
                let output = pinned_to(!two_workers, "1", &dir.join("echo_load"))
                    .args([
                        "--addr",
                        &addr,
                        "--secs",
                        &secs,
                        "--server-pid",
                        &server.id().to_string(),
                    ])
                    .args(scenario.args)
                    .output()
                    .expect("run echo_load");
                let _ = server.kill();
                let _ = server.wait();
                let line = String::from_utf8_lossy(&output.stdout).to_string();
                if !output.status.success() {
                    eprintln!(
                        "{contender}: load failed: {}",
                        String::from_utf8_lossy(&output.stderr)
                    );
                }
                results.entry(contender).or_default().push(parse(&line));
            }
        }
        print_table(scenario.name, holding, lecture, contenders, &results);
        if let Some(tsv) = &tsv {
            append_tsv(tsv, scenario.name, contenders, &results);
        }
    }
}

/// Starts a contender and returns it, its stdout (kept open) and its address: on CPU 0 with one
/// worker, or unpinned with two (`workers` is "1" or "2"; tokio's two-worker server is
/// `echo_server --kind tokio-mt`).
fn start_server(
    contender: &str,
    dir: &std::path::Path,
    sprout_echo: &std::path::Path,
    env: Option<&(String, String)>,
    workers: &str,
) -> (Child, BufReader<ChildStdout>, String) {
    let (program, args): (PathBuf, Vec<&str>) = if contender == "sprout" || contender == "baseline"
    {
        (sprout_echo.to_path_buf(), vec![])
    } else if STAGES.contains(&contender) {
        // The lecture's stages, as shipped: the examples themselves.
        let example = dir.join("examples").join(format!("echo_{contender}"));
        (example, vec!["--buffer", "65536"])
    } else {
        let kind = match (contender, workers) {
            ("tokio", "2") => "tokio-mt",
            _ => contender,
        };
        (dir.join("echo_server"), vec!["--kind", kind])
    };
    let mut command = pinned_to(workers == "1", "0", &program);
    command.args(args);
    if contender == "sprout" || contender == "baseline" {
        command.env("SPROUT_WORKERS", workers);
    }
    if let Some((key, value)) = env {
        command.env(key, value);
    }
    let mut child = command
        .args(["--addr", "127.0.0.1:0"])
        .stdin(Stdio::piped()) // echo_select stops on a line of stdin: keep it open.
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start a server");
    let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
    let mut line = String::new();
    stdout
        .read_line(&mut line)
        .expect("read the server's first line");
    let addr = line
        .split("listening on ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("{contender} printed {line:?}"))
        .to_string();
    (child, stdout, addr)
}

/// A command running `program`, on CPU `cpu` (through `taskset`) if `pin`, else wherever the
/// kernel puts it.
fn pinned_to(pin: bool, cpu: &str, program: &std::path::Path) -> Command {
    if !pin {
        return Command::new(program);
    }
    let mut command = Command::new("taskset");
    command.args(["-c", cpu]).arg(program);
    command
}

/// `key=value key=value` into a map.
fn parse(line: &str) -> HashMap<String, f64> {
    line.split_whitespace()
        .filter_map(|pair| pair.split_once('='))
        .filter_map(|(k, v)| v.parse().ok().map(|v| (k.to_string(), v)))
        .collect()
}

/// The median of `key` across runs, with min and max.
fn stats(runs: &[HashMap<String, f64>], key: &str) -> (f64, f64, f64) {
    let mut values: Vec<f64> = runs.iter().filter_map(|r| r.get(key).copied()).collect();
    if values.is_empty() {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    let median = if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    };
    (median, values[0], values[values.len() - 1])
}

/// The figures `plots` draws from, one row per figure: `scenario\tserver\tfigure\tmedian`.
const TSV_FIGURES: [&str; 11] = [
    "conns",
    "unconnected",
    "rtps",
    "p50_us",
    "p99_us",
    "server_cpu_us_per_rt",
    "served",
    "fewest",
    "worst_wait_us",
    "bulk_mbps",
    "bytes_per_conn",
];

/// Appends one scenario's medians to `path`.
fn append_tsv(
    path: &std::path::Path,
    scenario: &str,
    contenders: &[&str],
    results: &HashMap<&str, Vec<HashMap<String, f64>>>,
) {
    use std::io::Write;
    let mut file = sprout_bench::append_tsv(path);
    for contender in contenders {
        for figure in TSV_FIGURES {
            let (median, _, _) = stats(&results[contender], figure);
            if median.is_finite() {
                writeln!(file, "{scenario}\t{contender}\t{figure}\t{median}").expect("write --tsv");
            }
        }
    }
}

/// Prints one scenario's table (with the fairness columns for the lecture).
fn print_table(
    name: &str,
    holding: bool,
    lecture: bool,
    contenders: &[&str],
    results: &HashMap<&str, Vec<HashMap<String, f64>>>,
) {
    println!("\n{name}:");
    if holding {
        println!("| server | held | still served | server RSS growth | bytes per connection |");
        println!("|--------|-----:|-------------:|------------------:|---------------------:|");
        for contender in contenders {
            let runs = &results[contender];
            let (held, _, _) = stats(runs, "held");
            let (alive, _, _) = stats(runs, "alive");
            let (growth, _, _) = stats(runs, "server_rss_growth_bytes");
            let (per, _, _) = stats(runs, "bytes_per_conn");
            println!(
                "| {contender} | {held:.0} | {alive:.0} | {:.1} MB | {per:.0} |",
                growth / 1e6
            );
        }
        return;
    }
    let shakespeare = name.starts_with("Shakespeare");
    // Ratios against tokio and raw epoll when they ran, else against the baseline build, else
    // against sprout.
    let reference = |name: &str| {
        stats(
            results
                .get(name)
                .or(results.get("baseline"))
                .or(results.get("sprout"))
                .expect("sprout ran"),
            "rtps",
        )
        .0
    };
    let (tokio, epoll) = (reference("tokio"), reference("epoll"));
    let (first, second) = if results.contains_key("epoll") {
        ("÷ tokio", "÷ epoll")
    } else if results.contains_key("tokio") {
        ("÷ tokio", "÷ sprout")
    } else if results.contains_key("baseline") {
        ("÷ baseline", "÷ baseline")
    } else {
        ("÷ sprout", "÷ sprout")
    };
    let fairness_head = if lecture {
        " connections served | fewest round trips on one | worst wait ms |"
    } else {
        // How often the load generator went back to `epoll_wait` (see `echo_load`).
        " load waits per 100 round trips |"
    };
    println!("| server | round trips/s: median (min – max) | {first} | {second} | p50 µs | p99 µs | server CPU µs per round trip | errors |{}{fairness_head}", if shakespeare { " bulk MB/s |" } else { "" });
    println!(
        "|--------|------------------:|-----:|-----:|------:|------:|------:|------:|{}{}",
        if shakespeare { "------:|" } else { "" },
        if lecture {
            "----:|----:|----:|"
        } else {
            "-----:|"
        }
    );
    for contender in contenders {
        let runs = &results[contender];
        let median = |figure: &str| stats(runs, figure).0;
        // A figure that did not come out (no round trips, a failed load) shows as a dash.
        let show = |value: f64, decimals: usize| match value.is_finite() {
            true => format!("{value:.decimals$}"),
            false => "–".to_string(),
        };
        let (rtps, low, high) = stats(runs, "rtps");
        // A process pool's CPU is in its workers; /proc/PID/stat of the parent misses it.
        let cpu = match *contender {
            "processes" => f64::NAN,
            _ => median("server_cpu_us_per_rt"),
        };
        let errors: f64 = runs.iter().filter_map(|r| r.get("errors")).sum();
        let mut row = format!(
            "| {contender} | {}k ({}k – {}k) | {} | {} | {} | {} | {} | {errors:.0} |",
            show(rtps / 1e3, 0),
            show(low / 1e3, 0),
            show(high / 1e3, 0),
            show(rtps / tokio, 2),
            show(rtps / epoll, 2),
            // No round trip at all (a starved stage): no latency to show.
            show(
                if rtps > 0.0 {
                    median("p50_us")
                } else {
                    f64::NAN
                },
                0
            ),
            show(
                if rtps > 0.0 {
                    median("p99_us")
                } else {
                    f64::NAN
                },
                0
            ),
            show(cpu, 2),
        );
        if shakespeare {
            row += &format!(" {} |", show(median("bulk_mbps"), 0));
        }
        if lecture {
            row += &format!(
                " {} of {} | {} | {} |",
                show(median("served"), 0),
                show(median("conns"), 0),
                show(median("fewest"), 0),
                show(median("worst_wait_us") / 1e3, 1)
            );
        } else {
            row += &format!(" {} |", show(median("waits_per_rt") * 100.0, 1));
        }
        println!("{row}");
    }
    // A contender that served fewer connections than it was given ran a lighter load than the
    // others: its row is not comparable, so say so under the table. (In the lecture's tables
    // starving clients is the lesson, and the served column shows it.)
    for contender in contenders.iter().filter(|_| !lecture) {
        let runs = &results[contender];
        let (served, _, _) = stats(runs, "served");
        let (conns, _, _) = stats(runs, "conns");
        if served.is_finite() && conns.is_finite() && served < conns {
            println!(
                "note: {contender} served {served:.0} of {conns:.0} connections (median): a \
                 lighter load than the others, so its row is not comparable"
            );
        }
    }
}
