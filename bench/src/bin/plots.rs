//! The book's charts, drawn as SVG from benchmark output — never by hand. It reads the
//! tab-separated medians that `echo_bench --tsv` and `runtime_bench --tsv` append, and writes:
//!
//! - `lecture-round-trips.svg`: round trips/s of each lecture stage against connection count;
//! - `lecture-shakespeare.svg`: the small clients' p99 and worst wait beside a bulk stream, per
//!   stage, with how many of them were served at all;
//! - `spawn-cost.svg`: nanoseconds per spawn + join, and bytes per pending task, per runtime;
//! - `many-cores.svg`: echo round trips/s by server workers (`--many-cores`, from
//!   `bench/many-cores.sh`; `--machine` names the machine in the title).
//!
//! ```text
//! target/release/plots --lecture lecture.tsv --runtime runtime.tsv --out docs/plots
//! ```
//!
//! `bench/plots.sh` runs the benchmarks and this in one command (bench/README.md).

use sprout_bench::LECTURE_STAGES as STAGES;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Series colours, in order (colour-blind-safe: the Okabe–Ito palette).
const COLOURS: [&str; 6] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00",
];
/// Canvas size and the margins around the plot area, in SVG units.
const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 420.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 120.0;
const TOP: f64 = 50.0;
const BOTTOM: f64 = 70.0;

/// Medians keyed by (scenario, server, figure).
type Table = BTreeMap<(String, String, String), f64>;

fn main() {
    let flag = sprout_bench::flag;
    let out = std::path::PathBuf::from(flag("--out").unwrap_or_else(|| "docs/plots".into()));
    std::fs::create_dir_all(&out).expect("create the --out folder");
    if let Some(path) = flag("--lecture") {
        let table = read(&path);
        write(
            &out,
            "lecture-round-trips.svg",
            &lecture_round_trips(&table),
        );
        write(
            &out,
            "lecture-shakespeare.svg",
            &lecture_shakespeare(&table),
        );
    }
    if let Some(path) = flag("--many-cores") {
        let machine = flag("--machine").unwrap_or_else(|| "this machine".into());
        write(&out, "many-cores.svg", &many_cores(&read(&path), &machine));
    }
    if let Some(path) = flag("--runtime") {
        write(&out, "spawn-cost.svg", &spawn_cost(&read(&path)));
    }
}

/// Reads `scenario\tserver\tfigure\tvalue` rows; a later row wins over an earlier one.
fn read(path: &str) -> Table {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    text.lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            let [scenario, server, figure, value] = fields[..] else {
                return None;
            };
            let key = (scenario.into(), server.into(), figure.into());
            Some((key, value.parse().ok()?))
        })
        .collect()
}

fn write(folder: &std::path::Path, name: &str, svg: &str) {
    let path = folder.join(name);
    std::fs::write(&path, svg).unwrap_or_else(|e| panic!("write {path:?}: {e}"));
    println!("wrote {}", path.display());
}

fn get(table: &Table, scenario: &str, server: &str, figure: &str) -> Option<f64> {
    let key = (scenario.to_string(), server.to_string(), figure.to_string());
    table.get(&key).copied().filter(|v| v.is_finite())
}

/// Round trips/s against connections, one line per stage, log-scaled connection axis.
fn lecture_round_trips(table: &Table) -> String {
    let counts = [
        (1.0, "1 connection"),
        (10.0, "10 connections"),
        (100.0, "100 connections"),
        (1000.0, "1,000 connections"),
    ];
    let points: Vec<(f64, String)> = counts
        .into_iter()
        .map(|(n, name)| (n, format!("64 B ping-pong, {name}")))
        .collect();
    let top = nice_ceiling(
        points
            .iter()
            .flat_map(|(_, s)| STAGES.iter().filter_map(|st| get(table, s, st, "rtps")))
            .fold(1.0, f64::max)
            / 1e3,
    );
    let mut svg = canvas("Round trips per second, 64-byte ping-pong, server on one CPU");
    let x = |n: f64| LEFT + n.log10() / 3.0 * plot_width();
    let y = |v: f64| TOP + plot_height() * (1.0 - v / top);
    axes(&mut svg, "connections", "thousand round trips/s", top, y);
    for (n, _) in &points {
        label(
            &mut svg,
            x(*n),
            HEIGHT - BOTTOM + 18.0,
            "middle",
            &format!("{n}"),
        );
    }
    for (index, stage) in STAGES.iter().enumerate() {
        let colour = COLOURS[index];
        let path: Vec<String> = points
            .iter()
            .filter_map(|(n, s)| {
                Some(format!(
                    "{:.1},{:.1}",
                    x(*n),
                    y(get(table, s, stage, "rtps")? / 1e3)
                ))
            })
            .collect();
        if path.is_empty() {
            continue;
        }
        polyline(&mut svg, &path, colour);
        legend(&mut svg, index, stage, colour);
    }
    // Throughput alone flatters a server that serves a few clients fast: say how many of the
    // largest count's connections each stage served at all.
    let (largest, scenario) = points.last().expect("four connection counts");
    let x0 = WIDTH - RIGHT + 20.0;
    let y0 = TOP + 20.0 * STAGES.len() as f64 + 30.0;
    label(&mut svg, x0, y0, "start", "clients served");
    label(
        &mut svg,
        x0,
        y0 + 16.0,
        "start",
        &format!("(of {largest}):"),
    );
    for (index, stage) in STAGES.iter().enumerate() {
        if let Some(served) = get(table, scenario, stage, "served") {
            let line = format!("{stage} {served:.0}");
            label(
                &mut svg,
                x0,
                y0 + 16.0 * (index as f64 + 2.0),
                "start",
                &line,
            );
        }
    }
    svg + "</svg>\n"
}

/// Per stage, beside one bulk stream: the small clients' p99 and worst wait (log scale), and
/// how many of them were served at all.
fn lecture_shakespeare(table: &Table) -> String {
    let scenario = "Shakespeare: 1 bulk stream + 20 small clients";
    let mut svg = canvas("Beside one bulk stream: small clients' p99 and worst wait (ms, log)");
    let (low, high) = (0.01f64, 10_000.0f64);
    let y = |ms: f64| {
        let ms = ms.clamp(low, high);
        TOP + plot_height() * (1.0 - (ms / low).log10() / (high / low).log10())
    };
    let ticks = [0.01, 0.1, 1.0, 10.0, 100.0, 1000.0, 10_000.0];
    frame(&mut svg, "stage", "milliseconds");
    for tick in ticks {
        gridline(&mut svg, y(tick), &format!("{tick}"));
    }
    let slot = plot_width() / STAGES.len() as f64;
    for (index, stage) in STAGES.iter().enumerate() {
        let centre = LEFT + slot * (index as f64 + 0.5);
        let bars = [
            ("p99_us", COLOURS[0], -1.0),
            ("worst_wait_us", COLOURS[5], 0.0),
        ];
        for (figure, colour, offset) in bars {
            let Some(ms) = get(table, scenario, stage, figure).map(|us| us / 1e3) else {
                continue;
            };
            if ms <= 0.0 {
                continue; // no round trip at all: nothing to draw (the label says so)
            }
            let (x0, top) = (centre + offset * slot * 0.3, y(ms));
            let height = HEIGHT - BOTTOM - top;
            let _ = writeln!(
                svg,
                r#"<rect x="{x0:.1}" y="{top:.1}" width="{:.1}" height="{height:.1}" fill="{colour}"/>"#,
                slot * 0.3
            );
        }
        label(&mut svg, centre, HEIGHT - BOTTOM + 18.0, "middle", stage);
        let served = get(table, scenario, stage, "served").unwrap_or(0.0);
        let conns = get(table, scenario, stage, "conns").unwrap_or(20.0);
        let note = format!("{served:.0}/{conns:.0} served");
        label(&mut svg, centre, HEIGHT - BOTTOM + 34.0, "middle", &note);
    }
    legend(&mut svg, 0, "p99", COLOURS[0]);
    legend(&mut svg, 1, "worst wait", COLOURS[5]);
    svg + "</svg>\n"
}

/// Per runtime: nanoseconds per spawn + join, labelled with bytes per pending task.
fn spawn_cost(table: &Table) -> String {
    let runtimes = ["sprout", "tokio-ct", "tokio-mt1", "smol"];
    let nanos: Vec<Option<f64>> = runtimes
        .iter()
        .map(|r| get(table, "spawn", r, "median").map(|rate| 1e9 / rate))
        .collect();
    let top = nice_ceiling(nanos.iter().flatten().fold(1.0, |a, &b| a.max(b)));
    let mut svg = canvas("Spawn + join of one task, one worker (ns; lower is better), and memory");
    let y = |v: f64| TOP + plot_height() * (1.0 - v / top);
    axes(&mut svg, "runtime", "ns per task", top, y);
    let slot = plot_width() / runtimes.len() as f64;
    for (index, (runtime, ns)) in runtimes.iter().zip(&nanos).enumerate() {
        let centre = LEFT + slot * (index as f64 + 0.5);
        if let Some(ns) = ns {
            let colour = COLOURS[index];
            let (x0, top) = (centre - slot * 0.25, y(*ns));
            let height = HEIGHT - BOTTOM - top;
            let _ = writeln!(
                svg,
                r#"<rect x="{x0:.1}" y="{top:.1}" width="{:.1}" height="{height:.1}" fill="{colour}"/>"#,
                slot * 0.5
            );
            label(
                &mut svg,
                centre,
                top - 6.0,
                "middle",
                &format!("{ns:.0} ns"),
            );
        }
        label(&mut svg, centre, HEIGHT - BOTTOM + 18.0, "middle", runtime);
        if let Some(bytes) = get(table, "memory", runtime, "median") {
            let note = format!("{bytes:.0} B/task pending");
            label(&mut svg, centre, HEIGHT - BOTTOM + 34.0, "middle", &note);
        }
    }
    svg + "</svg>\n"
}

/// A series: a line through `points` (`"x,y"` in SVG units) and a dot on each.
fn polyline(svg: &mut String, points: &[String], colour: &str) {
    let _ = writeln!(
        svg,
        r#"<polyline fill="none" stroke="{colour}" stroke-width="2.5" points="{}"/>"#,
        points.join(" ")
    );
    for point in points {
        let (px, py) = point.split_once(',').unwrap();
        let _ = writeln!(
            svg,
            r#"<circle cx="{px}" cy="{py}" r="3.5" fill="{colour}"/>"#
        );
    }
}

/// Echo round trips/s (500 connections of 64 B) against the server's worker count, one line per
/// runtime, from `bench/many-cores.sh`'s TSV; the title names the machine the run was on.
fn many_cores(table: &Table, machine: &str) -> String {
    const SERVERS: [&str; 3] = ["sprout", "tokio-mt", "smol-mt"];
    let counts: Vec<f64> = [1.0, 2.0, 4.0, 8.0]
        .into_iter()
        .filter(|&n| {
            SERVERS
                .iter()
                .any(|s| get(table, &echo_scenario(n), s, "rtps").is_some())
        })
        .collect();
    let top = nice_ceiling(
        counts
            .iter()
            .flat_map(|&n| {
                SERVERS
                    .iter()
                    .filter_map(move |s| get(table, &echo_scenario(n), s, "rtps"))
            })
            .fold(1.0, f64::max)
            / 1e3,
    );
    let mut svg = canvas(&format!(
        "Echo, 500 connections of 64 B, by server workers ({machine})"
    ));
    let x = |n: f64| LEFT + n.log2() / 3.0 * plot_width();
    let y = |v: f64| TOP + plot_height() * (1.0 - v / top);
    axes(&mut svg, "server workers", "thousand round trips/s", top, y);
    for &n in &counts {
        label(
            &mut svg,
            x(n),
            HEIGHT - BOTTOM + 18.0,
            "middle",
            &format!("{n}"),
        );
    }
    for (index, server) in SERVERS.iter().enumerate() {
        let points: Vec<String> = counts
            .iter()
            .filter_map(|&n| {
                let rtps = get(table, &echo_scenario(n), server, "rtps")?;
                Some(format!("{:.1},{:.1}", x(n), y(rtps / 1e3)))
            })
            .collect();
        if !points.is_empty() {
            polyline(&mut svg, &points, COLOURS[index]);
            legend(&mut svg, index, server, COLOURS[index]);
        }
    }
    svg + "</svg>\n"
}

/// The scenario name `bench/many-cores.sh` gives the echo rows of `workers` workers.
fn echo_scenario(workers: f64) -> String {
    format!("echo 500x64B, {workers} workers")
}

fn plot_width() -> f64 {
    WIDTH - LEFT - RIGHT
}

fn plot_height() -> f64 {
    HEIGHT - TOP - BOTTOM
}

/// The SVG header, a white background and the title.
fn canvas(title: &str) -> String {
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
"#
    );
    label(&mut svg, WIDTH / 2.0, 28.0, "middle", title);
    svg
}

/// The plot frame and the axis titles.
fn frame(svg: &mut String, x_title: &str, y_title: &str) {
    let (bottom, right) = (HEIGHT - BOTTOM, WIDTH - RIGHT);
    let _ = writeln!(
        svg,
        r##"<path d="M{LEFT},{TOP} V{bottom} H{right}" fill="none" stroke="#333"/>"##
    );
    label(svg, (LEFT + right) / 2.0, HEIGHT - 12.0, "middle", x_title);
    let middle = (TOP + bottom) / 2.0;
    let _ = writeln!(
        svg,
        r#"<text x="18" y="{middle}" text-anchor="middle" transform="rotate(-90 18 {middle})">{y_title}</text>"#
    );
}

/// A frame with five linear gridlines from 0 to `top`.
fn axes(svg: &mut String, x_title: &str, y_title: &str, top: f64, y: impl Fn(f64) -> f64) {
    frame(svg, x_title, y_title);
    for step in 0..=5 {
        let value = top * step as f64 / 5.0;
        gridline(svg, y(value), &format!("{value}"));
    }
}

fn gridline(svg: &mut String, y: f64, text: &str) {
    let right = WIDTH - RIGHT;
    let _ = writeln!(
        svg,
        r##"<line x1="{LEFT}" y1="{y:.1}" x2="{right}" y2="{y:.1}" stroke="#ddd"/>"##
    );
    label(svg, LEFT - 6.0, y + 4.0, "end", text);
}

fn legend(svg: &mut String, index: usize, name: &str, colour: &str) {
    let (x, y) = (WIDTH - RIGHT + 20.0, TOP + 10.0 + 20.0 * index as f64);
    let _ = writeln!(
        svg,
        r#"<rect x="{x}" y="{:.1}" width="14" height="14" fill="{colour}"/>"#,
        y - 11.0
    );
    label(svg, x + 20.0, y, "start", name);
}

fn label(svg: &mut String, x: f64, y: f64, anchor: &str, text: &str) {
    let text = text.replace('&', "&amp;").replace('<', "&lt;");
    let _ = writeln!(
        svg,
        r#"<text x="{x:.1}" y="{y:.1}" text-anchor="{anchor}">{text}</text>"#
    );
}

/// The smallest round number (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 × 10^k) at or above `value`:
/// an axis top whose fifths are round too.
fn nice_ceiling(value: f64) -> f64 {
    let magnitude = 10f64.powf(value.log10().floor());
    [1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0]
        .into_iter()
        .map(|step| step * magnitude)
        .find(|&top| top >= value)
        .unwrap_or(10.0 * magnitude)
}
