//! The book's code listings are the code: every listing in `docs/*.md` sits under a marker
//! `<!-- listing PATH:ANCHOR -->` and must equal the lines between `// ANCHOR: ANCHOR` and
//! `// ANCHOR_END: ANCHOR` in PATH (relative to docs/; nested anchor lines left out; shifted left
//! by the region's common indentation). A bare `<!-- listing PATH -->` quotes the whole file:
//! that is how the chapters show their exercises' patches. So the chapters show their code
//! wherever they are read — GitHub, an editor, mdbook — and this test fails the moment a
//! listing and its source part ways, or the region is gone.
//!
//! One command rewrites every listing from its source:
//!
//! ```text
//! SPROUT_REWRITE_LISTINGS=1 cargo test --test book_listings
//! ```

use std::fs;
use std::path::{Path, PathBuf};

/// The marker that names a listing's source region.
const MARKER: &str = "<!-- listing ";

#[test]
fn every_listing_matches_the_source_region_it_quotes() {
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
    let rewrite = std::env::var_os("SPROUT_REWRITE_LISTINGS").is_some();
    let mut chapters: Vec<PathBuf> = fs::read_dir(&docs)
        .expect("docs/ is readable")
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    chapters.sort();
    let mut problems = Vec::new();
    let mut checked = 0;
    for chapter in &chapters {
        let text = fs::read_to_string(chapter).unwrap();
        let (fixed, found) = check_chapter(&docs, chapter, &text, &mut problems);
        checked += found;
        if rewrite && fixed != text {
            fs::write(chapter, fixed).unwrap();
        }
    }
    assert!(
        checked >= 20,
        "only {checked} listings found: did the marker change?"
    );
    if !rewrite {
        assert!(
            problems.is_empty(),
            "{} listing(s) differ from their source (SPROUT_REWRITE_LISTINGS=1 cargo test \
             --test book_listings rewrites them):\n{}",
            problems.len(),
            problems.join("\n")
        );
    }
}

/// Checks the listings of one chapter: returns the chapter with every listing replaced by its
/// source region, and how many listings it has; differences go into `problems`.
fn check_chapter(
    docs: &Path,
    chapter: &Path,
    text: &str,
    problems: &mut Vec<String>,
) -> (String, usize) {
    let name = chapter.file_name().unwrap().to_string_lossy().into_owned();
    let lines: Vec<&str> = text.lines().collect();
    let mut out: Vec<String> = Vec::new();
    let mut found = 0;
    let mut index = 0;
    while index < lines.len() {
        let line = lines[index];
        out.push(line.to_owned());
        index += 1;
        let Some(target) = line
            .strip_prefix(MARKER)
            .and_then(|rest| rest.strip_suffix(" -->"))
        else {
            continue;
        };
        found += 1;
        // The fence that follows the marker, its body, its closing fence.
        let fence = lines.get(index).copied().unwrap_or_default();
        assert!(
            fence.starts_with("```"),
            "{name}: the listing of {target} is not followed by a code fence"
        );
        out.push(fence.to_owned());
        let body_start = index + 1;
        let body_end = (body_start..lines.len())
            .find(|&i| lines[i].starts_with("```"))
            .unwrap_or_else(|| panic!("{name}: the listing of {target} has no closing fence"));
        let shown: Vec<&str> = lines[body_start..body_end].to_vec();
        match source_region(docs, target) {
            Ok(region) => {
                if shown != region.iter().map(String::as_str).collect::<Vec<_>>() {
                    problems.push(format!("  {name}: the listing of {target} differs"));
                }
                out.extend(region);
            }
            Err(why) => {
                problems.push(format!("  {name}: {target}: {why}"));
                out.extend(shown.iter().map(|line| line.to_string()));
            }
        }
        out.push(lines[body_end].to_owned());
        index = body_end + 1;
    }
    let mut fixed = out.join("\n");
    if text.ends_with('\n') {
        fixed.push('\n');
    }
    (fixed, found)
}

/// The lines between `ANCHOR: name` and `ANCHOR_END: name` in the file `path:name` names
/// (relative to docs/), without nested anchor lines; or, for a bare `path`, the whole file
/// (how the chapters show their exercises' patches).
fn source_region(docs: &Path, target: &str) -> Result<Vec<String>, String> {
    let Some((path, anchor)) = target.rsplit_once(':') else {
        let whole = fs::read_to_string(docs.join(target)).map_err(|error| format!("{error}"))?;
        return Ok(whole.lines().map(str::to_string).collect());
    };
    let source = fs::read_to_string(docs.join(path)).map_err(|error| format!("{error}"))?;
    let start = format!("ANCHOR: {anchor}");
    let end = format!("ANCHOR_END: {anchor}");
    let lines: Vec<&str> = source.lines().collect();
    let first = lines
        .iter()
        .position(|line| line.trim_end().ends_with(&start))
        .ok_or(format!("no `{start}` in {path}"))?;
    let last = lines[first..]
        .iter()
        .position(|line| line.trim_end().ends_with(&end))
        .ok_or(format!("no `{end}` in {path}"))?;
    let region: Vec<&str> = lines[first + 1..first + last]
        .iter()
        .filter(|line| !line.contains("ANCHOR: ") && !line.contains("ANCHOR_END: "))
        .copied()
        .collect();
    // Shown from its own left margin: a loop inside a function reads as the loop.
    let margin = region
        .iter()
        .filter(|line| !line.trim().is_empty())
        .map(|line| line.len() - line.trim_start().len())
        .min()
        .unwrap_or(0);
    Ok(region
        .iter()
        .map(|line| line.get(margin..).unwrap_or("").to_string())
        .collect())
}
