//! Helpers shared by the integration tests: deadlines, runtimes, CPU-time readings.
//!
//! Every test that waits runs under [`within`], so a lost wake-up fails with a message instead of
//! hanging the suite.

#![allow(dead_code)] // Each test file uses a different subset.

pub mod captures;
pub mod counting_alloc;
pub mod json;

use std::sync::mpsc;
use std::time::Duration;

/// Runs `body` on its own thread and returns its result, or panics with `what` if it takes
/// longer than `limit`. A panic inside `body` is re-raised here with its message.
pub fn within<T: Send + 'static>(
    limit: Duration,
    what: &str,
    body: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (done, result) = mpsc::channel();
    let worker = std::thread::Builder::new()
        .name(format!("test body: {what}"))
        .spawn(move || {
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(body));
            let _ = done.send(outcome);
        })
        .expect("spawn the test body thread");
    match result.recv_timeout(limit) {
        Ok(Ok(value)) => {
            let _ = worker.join();
            value
        }
        Ok(Err(payload)) => std::panic::resume_unwind(payload),
        Err(_) => panic!("{what}: did not finish within {limit:?} (a lost wake-up or a hang)"),
    }
}

/// The library's source files, relative to the crate root: runtime/, net/, io.rs and future.rs
/// (lib.rs, the front page, is not among them), sorted.
pub fn library_files(root: &std::path::Path) -> Vec<String> {
    fn walk(root: &std::path::Path, folder: &std::path::Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(root.join(folder)).expect("a library folder") {
            let path = entry.expect("an entry").path();
            let relative = path.strip_prefix(root).unwrap().to_path_buf();
            if path.is_dir() {
                walk(root, &relative, out);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                out.push(relative.to_string_lossy().into_owned());
            }
        }
    }
    let mut files = vec!["io.rs".to_string(), "future.rs".to_string()];
    walk(root, std::path::Path::new("runtime"), &mut files);
    walk(root, std::path::Path::new("net"), &mut files);
    files.sort();
    files
}

/// A runtime with `workers` workers.
pub fn runtime(workers: usize) -> sprout::Runtime {
    sprout::Runtime::builder()
        .workers(workers)
        .build()
        .expect("build a sprout runtime")
}

/// CPU time consumed so far by this whole process (every thread), from
/// `/proc/self/task/*/schedstat`, which counts nanoseconds (unlike `/proc/self/stat`, whose
/// 10 ms ticks are too coarse for a 10 ms bound).
pub fn process_cpu_time() -> Duration {
    let mut total = 0u64;
    for entry in std::fs::read_dir("/proc/self/task").expect("read /proc/self/task") {
        let path = entry.expect("a task entry").path().join("schedstat");
        // A thread may exit between the listing and the read; it no longer counts.
        if let Ok(text) = std::fs::read_to_string(path) {
            let on_cpu: u64 = text
                .split_whitespace()
                .next()
                .and_then(|field| field.parse().ok())
                .unwrap_or(0);
            total += on_cpu;
        }
    }
    Duration::from_nanos(total)
}

/// The path of built example `name`. Plain `cargo test` builds the examples;
/// `cargo test --test NAME` alone does not, so a binary older than its source is refused
/// rather than silently run.
pub fn example_binary(name: &str) -> std::path::PathBuf {
    let mut path = std::env::current_exe().expect("the test binary's path");
    path.pop(); // deps/
    path.pop(); // debug/
    path.push("examples");
    path.push(name);
    assert!(
        path.exists(),
        "example {name} was not built at {path:?}: run plain `cargo test`"
    );
    // The example's sources: `examples/NAME.rs` or the files of `examples/NAME/`, and `common/`.
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let single = examples.join(format!("{name}.rs"));
    let rust_files_in = |folder: std::path::PathBuf| {
        std::fs::read_dir(folder)
            .expect("the example's folder")
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "rs"))
            .collect::<Vec<_>>()
    };
    let mut sources = if single.exists() {
        vec![single]
    } else {
        rust_files_in(examples.join(name))
    };
    // The shared files it includes with `#[path = "common/FILE"]`.
    let text: String = sources
        .iter()
        .filter_map(|s| std::fs::read_to_string(s).ok())
        .collect();
    sources.extend(
        rust_files_in(examples.join("common"))
            .into_iter()
            .filter(|common| {
                let file = common.file_name().unwrap().to_string_lossy();
                text.contains(&format!("\"common/{file}\""))
            }),
    );
    let built = std::fs::metadata(&path).and_then(|m| m.modified()).unwrap();
    for source in sources {
        let edited = std::fs::metadata(&source)
            .and_then(|m| m.modified())
            .unwrap();
        assert!(
            built >= edited,
            "{path:?} is older than {source:?}: run `cargo build --examples` (or plain `cargo test`)"
        );
    }
    path
}

pub mod child;
pub mod net;

/// Runs every closure on its own thread and waits for all of them (what the `easy-parallel`
/// crate's `Parallel` does in the peers' suites). A panic on any thread is re-raised here.
pub fn parallel<'a>(tasks: Vec<Box<dyn FnOnce() + Send + 'a>>) {
    std::thread::scope(|scope| {
        let threads: Vec<_> = tasks.into_iter().map(|task| scope.spawn(task)).collect();
        for thread in threads {
            if let Err(payload) = thread.join() {
                std::panic::resume_unwind(payload);
            }
        }
    });
}
