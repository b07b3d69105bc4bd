//! Fuzz target: percent-decoding and path normalisation of a request target. Property: the
//! path is refused, or it resolves to segments that keep it inside the root; never a panic.
#![no_main]

mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(target) = std::str::from_utf8(data) {
        if let Ok((segments, _)) = common::request::normalise(target) {
            common::assert_confined(&segments);
        }
    }
});
