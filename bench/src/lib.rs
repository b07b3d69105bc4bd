//! Helpers shared by the benchmark programs in `src/bin/`.

/// The value after `--name` in this process's arguments, if given.
pub fn flag(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

/// Opens the `--tsv` file at `path` for appending rows (`scenario server figure value`, the
/// format `plots` reads), creating it if needed.
pub fn append_tsv(path: impl AsRef<std::path::Path>) -> std::fs::File {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("open the --tsv file")
}

/// `true` if the bare switch `--name` was given.
pub fn switch(name: &str) -> bool {
    std::env::args().any(|a| a == name)
}

/// The lecture's stages, in the lecture's order: the `echo_*` examples (`echo` for sprout), as
/// `echo_bench --lecture` runs them and `plots` draws them.
pub const LECTURE_STAGES: [&str; 6] = [
    "blocking",
    "select",
    "threads",
    "processes",
    "callbacks",
    "sprout",
];
