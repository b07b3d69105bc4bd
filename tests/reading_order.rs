//! The code reads in one path: every library file has a module doc that ends with
//! "Read next: `FILE`", and following those lines from `runtime/mod.rs` (ARCHITECTURE.md, "How
//! to read the code") visits every file of the library exactly once before it leaves for
//! `examples/`. A file added without a place on the path, a "Read next" that names a file
//! that is gone, or a loop, fails here.

mod support;

use std::collections::HashSet;
use std::fs;
use std::path::Path;

use support::library_files;

/// The file a module doc's "Read next: `FILE`" names, if any.
fn read_next(text: &str) -> Option<String> {
    let line = text
        .lines()
        .take_while(|line| line.starts_with("//") || line.trim().is_empty())
        .find(|line| line.contains("Read next: `"))?;
    let after = line.split("Read next: `").nth(1)?;
    Some(after.split('`').next()?.to_string())
}

#[test]
fn read_next_visits_every_library_file_once() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = library_files(root);
    let mut visited = Vec::new();
    let mut seen = HashSet::new();
    let mut current = "runtime/mod.rs".to_string();
    while files.contains(&current) {
        assert!(
            seen.insert(current.clone()),
            "the path loops back to {current} after {visited:?}"
        );
        visited.push(current.clone());
        let text = fs::read_to_string(root.join(&current)).unwrap();
        assert!(text.starts_with("//!"), "{current} has no module doc");
        let next = read_next(&text)
            .unwrap_or_else(|| panic!("{current}'s module doc has no \"Read next:\" line"));
        assert!(
            root.join(&next).exists(),
            "{current} says \"Read next: {next}\", which does not exist"
        );
        current = next;
    }
    let missed: Vec<&String> = files.iter().filter(|file| !seen.contains(*file)).collect();
    assert!(
        missed.is_empty(),
        "the path from runtime/mod.rs leaves the library at {current} after {} files and never \
         reaches: {missed:?}",
        visited.len()
    );
}
