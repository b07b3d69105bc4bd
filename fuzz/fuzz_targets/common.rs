//! What the fuzz targets share: the HTTP example's request code, included from its source, and
//! the confinement property they all check.

#[path = "../../examples/http/request.rs"]
#[allow(dead_code)]
pub mod request;

/// Panics unless every segment is a plain name — no separator, NUL, `.` or `..` — so the path
/// built from them under any root stays under that root.
#[allow(dead_code)] // The range target has no path to check.
pub fn assert_confined(segments: &[String]) {
    let root = std::path::Path::new("/srv/root");
    let mut path = root.to_path_buf();
    for segment in segments {
        assert!(!segment.is_empty() && segment != "." && segment != "..");
        assert!(!segment.contains(['/', '\\', '\0']));
        path.push(segment);
    }
    assert!(path.starts_with(root));
    assert!(path
        .components()
        .all(|c| matches!(c, std::path::Component::RootDir | std::path::Component::Normal(_))));
}
