//! Properties of the HTTP example's untrusted-input code, checked on generated input
//! (proptest): the request-head parser, percent-decoding and path normalisation, and `Range`.
//! The same functions are fuzzed by the targets in `fuzz/` (run for minutes, not in
//! `cargo test`); these properties keep the guarantees in every run.

use std::path::{Component, Path};

use proptest::prelude::*;

#[path = "../examples/http/request.rs"]
#[allow(dead_code)]
mod request;
#[path = "../examples/http/response.rs"]
#[allow(dead_code)]
mod response;

use request::{byte_range, normalise, parse, ByteRange};

/// Checks what `normalise` promises: every segment is a plain name (no separator, NUL, `.` or
/// `..`), so the path built from them under any root stays under that root.
fn assert_confined(segments: &[String]) {
    let root = Path::new("/srv/root");
    let mut path = root.to_path_buf();
    for segment in segments {
        assert!(!segment.is_empty(), "empty segment in {segments:?}");
        assert!(
            segment != "." && segment != "..",
            "dot segment in {segments:?}"
        );
        assert!(
            !segment.contains(['/', '\\', '\0']),
            "separator in {segment:?}"
        );
        path.push(segment);
    }
    assert!(path.starts_with(root));
    assert!(
        path.components()
            .all(|c| matches!(c, Component::RootDir | Component::Normal(_))),
        "{path:?} has a component that could climb"
    );
}

/// Targets built from the pieces that matter: dots, slashes, escapes (valid and broken),
/// backslashes, NULs, queries.
fn target_strategy() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("/".to_string()),
        Just(".".to_string()),
        Just("..".to_string()),
        Just("%2e".to_string()),
        Just("%2E%2e".to_string()),
        Just("%2f".to_string()),
        Just("%5c".to_string()),
        Just("%00".to_string()),
        Just("%".to_string()),
        Just("%zz".to_string()),
        Just("%c0%ae".to_string()),
        Just("\\".to_string()),
        Just("?q=..".to_string()),
        Just("#..".to_string()),
        "[a-z]{1,3}",
    ];
    prop::collection::vec(piece, 0..12).prop_map(|pieces| format!("/{}", pieces.concat()))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    /// Normalisation refuses or confines, for targets made of hostile pieces.
    #[test]
    fn normalised_paths_stay_under_the_root(target in target_strategy()) {
        if let Ok((segments, _)) = normalise(&target) {
            assert_confined(&segments);
        }
    }

    /// ... and for any string at all, never panicking.
    #[test]
    fn normalise_never_panics(target in any::<String>()) {
        if let Ok((segments, _)) = normalise(&target) {
            assert_confined(&segments);
        }
    }

    /// A name that `percent_encode` wrote comes back exactly, as one segment.
    #[test]
    fn percent_encoding_round_trips(name in "[^/\\\\\u{0}]{1,20}") {
        prop_assume!(name != "." && name != "..");
        let target = format!("/{}", response::percent_encode(&name));
        let (segments, trailing) = normalise(&target).expect("an encoded name is accepted");
        prop_assert_eq!(segments, vec![name]);
        prop_assert!(!trailing);
    }

    /// The head parser answers every byte string with a request or a refusal status, and a
    /// request it accepts has a confined path and a sane framing.
    #[test]
    fn request_heads_parse_or_are_refused(body in prop::collection::vec(any::<u8>(), 0..300)) {
        let mut head = body;
        head.extend_from_slice(b"\r\n\r\n");
        match parse(&head) {
            Ok(request) => assert_confined(&request.segments),
            Err(refusal) => prop_assert!(
                [400, 403, 405, 431, 501, 505].contains(&refusal.0),
                "unexpected status {}", refusal.0
            ),
        }
    }

    /// Well-formed heads with hostile header values: never a panic; a request with both
    /// framings or a conflicting length is refused.
    #[test]
    fn hostile_headers_are_refused_or_confined(
        target in target_strategy(),
        lengths in prop::collection::vec(0u64..5, 0..3),
        chunked in any::<bool>(),
    ) {
        let mut head = format!("GET {target} HTTP/1.1\r\nHost: x\r\n");
        for length in &lengths {
            head.push_str(&format!("Content-Length: {length}\r\n"));
        }
        if chunked {
            head.push_str("Transfer-Encoding: chunked\r\n");
        }
        head.push_str("\r\n");
        let conflicting = lengths.windows(2).any(|w| w[0] != w[1]);
        if let Ok(request) = parse(head.as_bytes()) {
            prop_assert!(!chunked && !conflicting);
            assert_confined(&request.segments);
        }
    }

    /// A range is inside the file or refused; never a panic, never an inverted span.
    #[test]
    fn ranges_are_inside_the_file(
        spec in "(bytes=)?[0-9 ]{0,21}-?[0-9 ]{0,21}(,[0-9]{0,3}-[0-9]{0,3})?",
        length in 0u64..10_000,
    ) {
        match byte_range(Some(&spec), length) {
            ByteRange::Part(start, end) => prop_assert!(start <= end && end < length),
            ByteRange::Unsatisfiable => prop_assert!(length == 0 || spec.contains('-')),
            ByteRange::Whole => {}
        }
    }
}
