//! What the book quotes of a program's output, checked against a fresh run.
//!
//! A quoted output in `README.md` or `docs/*.md` sits under a marker `<!-- capture NAME -->`
//! (a run of `tests/book_captures.rs`) or `<!-- capture exercise:NAME -->` (the run of
//! `docs/exercises/run.sh NAME`, in `tests/book_exercises.rs`), followed by a fenced block.
//! Both sides are masked first — times, durations, ports, fd numbers, task ids, source lines,
//! a dump's poll counts, counts of four digits or more — and then every quoted line must appear
//! in the fresh output, in the same order, or end one (a quote may drop a trace line's time and
//! thread columns). A quote may leave lines out (an excerpt), but not add, change or reorder
//! one.

use std::path::{Path, PathBuf};

/// The marker before a quoted output.
const MARKER: &str = "<!-- capture ";

/// One quoted block: where it is, and its lines.
pub struct Quote {
    pub place: String,
    pub lines: Vec<String>,
}

/// Every quote in README.md and docs/*.md of capture `name`.
pub fn quotes_of(name: &str) -> Vec<Quote> {
    let mut quotes = Vec::new();
    for file in quoting_files() {
        let text = std::fs::read_to_string(&file).expect("a book file is readable");
        let lines: Vec<&str> = text.lines().collect();
        for (index, line) in lines.iter().enumerate() {
            let Some(marked) = line
                .strip_prefix(MARKER)
                .and_then(|r| r.strip_suffix(" -->"))
            else {
                continue;
            };
            if marked != name {
                continue;
            }
            let body: Vec<String> = lines[index + 2..]
                .iter()
                .take_while(|line| !line.starts_with("```"))
                .map(|line| line.to_string())
                .collect();
            quotes.push(Quote {
                place: format!("{}:{}", file.display(), index + 1),
                lines: body,
            });
        }
    }
    quotes
}

/// Every capture name quoted anywhere (markers without the `exercise:` prefix).
pub fn quoted_names() -> Vec<String> {
    let mut names = Vec::new();
    for file in quoting_files() {
        let text = std::fs::read_to_string(&file).expect("a book file is readable");
        for line in text.lines() {
            if let Some(name) = line
                .strip_prefix(MARKER)
                .and_then(|r| r.strip_suffix(" -->"))
            {
                if !names.iter().any(|known| known == name) {
                    names.push(name.to_string());
                }
            }
        }
    }
    names
}

/// README.md and the chapters.
fn quoting_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .expect("docs/ is readable")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    files.sort();
    files.push(root.join("README.md"));
    files
}

/// `Err` naming the first quoted line of `quote` that `fresh` does not have in order.
pub fn check(quote: &Quote, fresh: &str) -> Result<(), String> {
    let fresh: Vec<String> = fresh.lines().map(mask).collect();
    let mut at = 0;
    for line in &quote.lines {
        let wanted = mask(line);
        if wanted.trim().is_empty() {
            continue;
        }
        // A quote may leave out a trace line's leading columns (time, thread).
        let wanted = wanted.trim_start();
        match fresh[at..].iter().position(|line| line.ends_with(wanted)) {
            Some(found) => at += found + 1,
            None => {
                return Err(format!(
                    "{}: the quoted line\n    {line}\nis not in the fresh output (after the lines \
                     before it), which reads, masked:\n{}",
                    quote.place,
                    fresh.join("\n")
                ))
            }
        }
    }
    Ok(())
}

/// `line` with what changes from run to run replaced by placeholders.
pub fn mask(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let chars: Vec<char> = line.trim_end().chars().collect();
    let mut index = 0;
    while index < chars.len() {
        let rest: String = chars[index..].iter().collect();
        // A number, with what follows it deciding what it is.
        if chars[index].is_ascii_digit() && (index == 0 || !is_word(chars[index - 1])) {
            let digits: String = rest
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            let after = &rest[digits.len()..];
            let unit = after.trim_start_matches(' ');
            let unit_word: String = unit.chars().take_while(|c| c.is_alphabetic()).collect();
            if ["ns", "µs", "ms", "s"].contains(&unit_word.as_str()) {
                out.push_str("<time>");
                index +=
                    digits.chars().count() + (after.len() - unit.len()) + unit_word.chars().count();
                continue;
            }
            if digits.contains('.') && out.trim().is_empty() {
                out.push_str("<clock>"); // a trace line's leading seconds
                index += digits.chars().count();
                continue;
            }
            if digits.len() >= 4 && !digits.contains('.') {
                out.push_str("<count>"); // a rate or a loop count: it varies from run to run
                index += digits.len();
                continue;
            }
            let before = out.trim_end();
            if before.ends_with("127.0.0.1:")
                || before.ends_with("fd")
                || before.ends_with("task")
                || before.ends_with("polls") // a dump's count: how the bytes arrived decides it
                || before.ends_with(".rs:")
                || (before.ends_with(':') && out.contains(".rs:"))
            {
                out.push_str("<n>");
                index += digits.chars().count();
                continue;
            }
        }
        out.push(chars[index]);
        index += 1;
    }
    out
}

/// A letter, digit or underscore: a number glued to one is part of a name (`u64`, `ch05`).
fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}
