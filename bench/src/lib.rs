//! Helpers shared by the benchmark programs in `src/bin/`.

/// The value after `--name` in this process's arguments, if given.
pub fn flag(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
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
