//! Fuzz target: `Range` header interpretation. Property: a part lies inside the file and is
//! not inverted; never a panic. The first 8 bytes give the file length.
#![no_main]

mod common;

use common::request::{byte_range, ByteRange};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if data.len() < 8 {
        return;
    }
    let length = u64::from_le_bytes(data[..8].try_into().unwrap()) % (1 << 40);
    if let Ok(header) = std::str::from_utf8(&data[8..]) {
        if let ByteRange::Part(start, end) = byte_range(Some(header), length) {
            assert!(start <= end && end < length);
        }
    }
});
