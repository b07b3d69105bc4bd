//! WebSocket on sprout without tokio: the `websocket_echo` example's handler and client, 20
//! clients at once on two workers.

mod support;

use std::time::Duration;

use sprout::net::StreamServer;
use support::{runtime, within};

#[path = "../examples/websocket_echo.rs"]
#[allow(dead_code)]
mod websocket_echo;

#[test]
fn twenty_websocket_clients_get_their_messages_back() {
    within(Duration::from_secs(60), "WebSocket echo", || {
        runtime(2).block_on(async {
            let server = StreamServer::bind("127.0.0.1:0", |stream, _peer| {
                websocket_echo::websocket_echo(stream)
            })
            .await
            .unwrap()
            .handle_signals(false);
            let addr = server.local_addr().unwrap().to_string();
            let stop = server.stop_handle();
            let serving = sprout::spawn(server.serve_forever());
            let clients: Vec<_> = (0..20)
                .map(|i| {
                    let addr = addr.clone();
                    sprout::spawn(async move {
                        let text = format!("message {i}: {}", "x".repeat(i * 100));
                        let reply = websocket_echo::ask(&addr, &text).await?;
                        std::io::Result::Ok(reply == text)
                    })
                })
                .collect();
            for (i, client) in clients.into_iter().enumerate() {
                assert!(
                    client.await.unwrap().unwrap(),
                    "client {i}: the reply differs"
                );
            }
            stop.stop();
            serving.await.unwrap().unwrap();
        });
    });
}
