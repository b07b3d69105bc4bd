//! Fuzz target: the HTTP example's request-head parser. Property: any bytes give a request or
//! a refusal with one of the statuses the server sends, never a panic; an accepted request's
//! path is confined to the root.
#![no_main]

mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut head = data.to_vec();
    head.extend_from_slice(b"\r\n\r\n");
    match common::request::parse(&head) {
        Ok(request) => common::assert_confined(&request.segments),
        Err(refusal) => assert!([400, 403, 405, 431, 501, 505].contains(&refusal.0)),
    }
});
