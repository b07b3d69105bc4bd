//! `sprout::io::copy_bidirectional` through the `proxy` example: bytes both ways, and each
//! end of stream passed on (half-close).

mod support;

use std::time::Duration;

use sprout::net::StreamServer;
use support::net::{echo_round_trip, payload, start_echo_server};
use support::{runtime, within};

#[path = "../examples/proxy.rs"]
#[allow(dead_code)]
mod proxy_example;

/// Ten clients at once send 1 MiB each through the proxy to the echo server and half-close;
/// each gets its own bytes back, then end of stream (the echo server's half-close, passed
/// back by the proxy). On two workers.
#[test]
fn the_proxy_carries_both_directions_and_passes_half_closes_on() {
    within(Duration::from_secs(60), "proxy", || {
        runtime(2).block_on(async {
            let (upstream, stop_upstream, _) = start_echo_server(None).await;
            let proxy = StreamServer::bind("127.0.0.1:0", move |client, _peer| {
                proxy_example::proxy(client, upstream)
            })
            .await
            .expect("bind the proxy")
            .handle_signals(false);
            let proxy_addr = proxy.local_addr().unwrap();
            let stop_proxy = proxy.stop_handle();
            let serving = sprout::spawn(proxy.serve_forever());
            let clients: Vec<_> = (0..10u64)
                .map(|seed| {
                    sprout::spawn(async move {
                        let sent = payload(seed, 1 << 20);
                        let echoed = echo_round_trip(proxy_addr, sent.clone()).await?;
                        std::io::Result::Ok(echoed == sent)
                    })
                })
                .collect();
            for (seed, client) in clients.into_iter().enumerate() {
                let intact = client.await.expect("the client task").expect("its I/O");
                assert!(intact, "client {seed}: the bytes came back changed");
            }
            stop_proxy.stop();
            stop_upstream.stop();
            serving
                .await
                .expect("the proxy task")
                .expect("the proxy server");
        });
    });
}
