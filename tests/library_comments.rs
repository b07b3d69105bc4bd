//! Library comments say *why*; the figures that back them, and the history of how they were
//! found, live in docs/ and `bench/JOURNAL.md`, where they can be re-measured. A figure in a
//! comment goes stale the day the code changes, so this test refuses the marks of one: a
//! before → after pair, a percentile, an instruction count, a speed ratio, a profiler's name.

mod support;

use std::path::Path;

/// The marks of a measurement, as they appeared in comments before they moved to docs/.
const MARKS: [&str; 6] = [
    "callgrind",
    "p99",
    "x as fast",
    "× as fast",
    "tasks/s",
    "round trips/s",
];

/// `true` if `comment` counts instructions: a number right before " instructions".
fn counts_instructions(comment: &str) -> bool {
    comment
        .match_indices(" instructions")
        .any(|(at, _)| comment[..at].ends_with(|c: char| c.is_ascii_digit()))
}

/// `true` if `comment` holds `digits → digits`, a before-and-after figure.
fn has_before_after(comment: &str) -> bool {
    comment.match_indices('→').any(|(at, arrow)| {
        let before = comment[..at].trim_end();
        let after = comment[at + arrow.len()..].trim_start();
        before.ends_with(|c: char| c.is_ascii_digit())
            && after.starts_with(|c: char| c.is_ascii_digit())
    })
}

#[test]
fn library_comments_carry_no_measurements() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("lib.rs")];
    files.extend(
        support::library_files(root)
            .iter()
            .map(|file| root.join(file)),
    );
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read a library file");
        for (number, line) in text.lines().enumerate() {
            let Some(at) = line.find("//") else { continue };
            let comment = &line[at..];
            if MARKS.iter().any(|mark| comment.contains(mark))
                || has_before_after(comment)
                || counts_instructions(comment)
            {
                let name = file.strip_prefix(root).unwrap_or(file).display();
                found.push(format!("{name}:{}: {}", number + 1, line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "figures belong in docs/ (chapter 12's table) or bench/JOURNAL.md, with a pointer here:\n{}",
        found.join("\n")
    );
}
