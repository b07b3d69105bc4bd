//! The book can be read by following links, on GitHub as in mdbook: every "chapter N" outside
//! code is a link to that chapter, every chapter ends with a "Next:" link, the introduction
//! links chapter 1 and the glossary, and every relative link in README.md, ARCHITECTURE.md and
//! docs/ points at a file that exists.

use std::fs;
use std::path::{Path, PathBuf};

/// The chapters, `docs/NN-*.md`, in order.
fn chapters(root: &Path) -> Vec<PathBuf> {
    let mut chapters: Vec<PathBuf> = fs::read_dir(root.join("docs"))
        .expect("docs/ is readable")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            let name = path.file_name().unwrap().to_string_lossy();
            name.ends_with(".md") && name.chars().take(2).all(|c| c.is_ascii_digit())
        })
        .collect();
    chapters.sort();
    chapters
}

/// docs/*.md, README.md and ARCHITECTURE.md.
fn book_files(root: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(root.join("docs"))
        .expect("docs/ is readable")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    files.push(root.join("README.md"));
    files.push(root.join("ARCHITECTURE.md"));
    files
}

/// The lines of `text` outside fenced code blocks, with inline code spans blanked out, each
/// with its line number.
fn prose_lines(text: &str) -> Vec<(usize, String)> {
    let mut fenced = false;
    let mut lines = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        let prose: String = line
            .split('`')
            .enumerate()
            .map(|(part, piece)| if part % 2 == 0 { piece } else { "" })
            .collect::<Vec<_>>()
            .join("`");
        lines.push((index + 1, prose));
    }
    lines
}

#[test]
fn every_chapter_reference_is_a_link() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = book_files(root);
    let mut unlinked = Vec::new();
    for file in &files {
        let text = fs::read_to_string(file).unwrap();
        for (number, line) in prose_lines(&text) {
            for (at, _) in line.match_indices("hapter") {
                let after = &line[at + "hapter".len()..];
                let plural = after.starts_with("s ");
                let number_follows = after
                    .trim_start_matches('s')
                    .strip_prefix(' ')
                    .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()));
                if !number_follows || at == 0 {
                    continue;
                }
                // "[chapter 5](05-…)": the word opens the link; "chapters [7](…) and [8](…)":
                // each number is one, so a number right after "chapters" is never linked.
                let opens_link = line[..at - 1].ends_with('[');
                if plural || !opens_link {
                    unlinked.push(format!("{}:{number}: {}", file.display(), line.trim()));
                }
            }
        }
    }
    assert!(
        unlinked.is_empty(),
        "{} unlinked chapter reference(s):\n{}",
        unlinked.len(),
        unlinked.join("\n")
    );
}

#[test]
fn every_chapter_ends_with_a_next_link_and_the_introduction_links_the_start() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for chapter in chapters(root) {
        let text = fs::read_to_string(&chapter).unwrap();
        let last = text
            .trim_end()
            .lines()
            .rev()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            text.trim_end()
                .lines()
                .rev()
                .take(3)
                .any(|line| line.starts_with("Next: ")),
            "{} does not end with a \"Next:\" line (its end: {last:?})",
            chapter.display()
        );
    }
    let introduction = fs::read_to_string(root.join("docs/README.md")).unwrap();
    assert!(
        introduction.contains("](01-blocking.md)"),
        "docs/README.md links chapter 1"
    );
    assert!(
        introduction.contains("## Glossary"),
        "docs/README.md has the glossary"
    );
    assert!(
        introduction.contains("](#glossary)"),
        "docs/README.md links the glossary"
    );
}

#[test]
fn every_relative_link_points_at_a_file_that_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = book_files(root);
    let mut broken = Vec::new();
    for file in &files {
        let text = fs::read_to_string(file).unwrap();
        let folder = file.parent().unwrap();
        for (number, line) in prose_lines(&text) {
            for (at, _) in line.match_indices("](") {
                let target: String = line[at + 2..].chars().take_while(|&c| c != ')').collect();
                let path = target.split('#').next().unwrap_or("");
                if path.is_empty() || path.contains("://") || path.starts_with("mailto:") {
                    continue;
                }
                if !folder.join(path).exists() {
                    broken.push(format!("{}:{number}: {target}", file.display()));
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}
