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
