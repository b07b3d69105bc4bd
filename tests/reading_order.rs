//! The code reads in one path: every library file has a module doc that ends with
//! "Read next: `FILE`", and following those lines from `runtime/mod.rs` (ARCHITECTURE.md, "How
//! to read the code") visits every file of the library exactly once before it leaves for
//! `examples/`. A file added without a place on the path, a "Read next" that names a file
//! that is gone, or a loop, fails here.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

/// The library's files, relative to the crate root: runtime/, net/, io.rs and future.rs
/// (lib.rs is the front page, before the path).
fn library_files(root: &Path) -> Vec<String> {
    fn walk(root: &Path, folder: &Path, out: &mut Vec<String>) {
        for entry in fs::read_dir(root.join(folder)).expect("a library folder") {
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
    walk(root, &PathBuf::from("runtime"), &mut files);
    walk(root, &PathBuf::from("net"), &mut files);
    files.sort();
    files
}

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
