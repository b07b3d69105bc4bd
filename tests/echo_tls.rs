//! TLS on sprout through futures-io: the `echo_tls` example's handler and client, a
//! certificate made on the spot, 20 clients at once on two workers, 64 KiB each.

mod support;

use std::time::Duration;

use sprout::net::StreamServer;
use support::net::payload;
use support::{runtime, within};

#[path = "../examples/echo_tls.rs"]
#[allow(dead_code)]
mod echo_tls;

#[test]
fn twenty_tls_clients_get_their_bytes_back() {
    within(Duration::from_secs(60), "TLS echo", || {
        runtime(2).block_on(async {
            let (cert, key) = echo_tls::make_certificate().unwrap();
            let acceptor = echo_tls::acceptor(cert.clone(), key).unwrap();
            let connector = echo_tls::connector(cert).unwrap();
            let server = StreamServer::bind("127.0.0.1:0", move |stream, _peer| {
                echo_tls::echo_tls(stream, acceptor.clone())
            })
            .await
            .unwrap()
            .handle_signals(false);
            let addr = server.local_addr().unwrap().to_string();
            let stop = server.stop_handle();
            let serving = sprout::spawn(server.serve_forever());
            let clients: Vec<_> = (0..20u64)
                .map(|seed| {
                    let (addr, connector) = (addr.clone(), connector.clone());
                    sprout::spawn(async move {
                        let message = payload(seed, 64 * 1024);
                        let echoed = echo_tls::ask(&addr, &connector, &message).await?;
                        std::io::Result::Ok(echoed == message)
                    })
                })
                .collect();
            for (i, client) in clients.into_iter().enumerate() {
                assert!(client.await.unwrap().unwrap(), "client {i}: bytes changed");
            }
            stop.stop();
            serving.await.unwrap().unwrap();
        });
    });
}
