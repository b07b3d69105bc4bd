//! hyper 1.x as a client on sprout: the `hyper_client` example fetches from the `http`
//! example's server, small files and a large one, and a missing page.

mod support;

use std::time::Duration;

use support::{runtime, within};

#[path = "support/http.rs"]
mod http_support;
use http_support::{start, Site};

#[path = "../examples/hyper_client.rs"]
#[allow(dead_code)]
mod hyper_client;

#[test]
fn hyper_fetches_from_the_http_example() {
    within(Duration::from_secs(60), "hyper client", || {
        let site = Site::new("hyper-client");
        let addr = start(&site, Duration::from_secs(30)).to_string();
        runtime(2).block_on(async move {
            let (status, body) = hyper_client::fetch(&addr, "/hello.txt").await.unwrap();
            assert_eq!((status.as_u16(), &body[..]), (200, &b"hello, world\n"[..]));
            let (status, body) = hyper_client::fetch(&addr, "/big.bin").await.unwrap();
            assert_eq!(status.as_u16(), 200);
            assert_eq!(body.len(), 3_000_000);
            assert!(body.iter().enumerate().all(|(i, &b)| b == (i % 251) as u8));
            let (status, _) = hyper_client::fetch(&addr, "/missing").await.unwrap();
            assert_eq!(status.as_u16(), 404);
        });
    });
}
