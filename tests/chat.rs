//! The `chat` example: every line a client types reaches every connected client.

mod support;

use std::time::Duration;

use sprout::future::StreamExt;
use sprout::io::{AsyncBufReadExt, BufReader};
use sprout::net::{StreamServer, TcpStream};
use sprout::sync::broadcast;
use support::{runtime, within};

#[path = "../examples/chat.rs"]
#[allow(dead_code)]
mod chat_example;

/// Three clients join, each says one line; every client hears all three lines, and the
/// others' departures are announced.
#[test]
fn every_line_reaches_every_client() {
    within(Duration::from_secs(30), "chat room", || {
        runtime(2).block_on(async {
            let (room, _) = broadcast::channel(chat_example::BACKLOG);
            let watching = room.clone();
            let server = StreamServer::bind("127.0.0.1:0", move |stream, peer| {
                chat_example::chat(stream, peer, room.clone())
            })
            .await
            .expect("bind the chat server")
            .handle_signals(false);
            let addr = server.local_addr().unwrap();
            let stop = server.stop_handle();
            let serving = sprout::spawn(server.serve_forever());

            let mut clients = Vec::new();
            for _ in 0..3 {
                clients.push(TcpStream::connect(addr).await.expect("connect"));
            }
            // Nobody speaks before all three connections have joined the room (subscribed),
            // so every client can hear every line.
            while watching.receiver_count() < 3 {
                sprout::yield_now().await;
            }
            let mut readers: Vec<_> = clients
                .iter()
                .map(|client| BufReader::new(client.clone()).lines())
                .collect();
            for (i, client) in clients.iter().enumerate() {
                client
                    .write_all(format!("hello from {i}\n").as_bytes())
                    .await
                    .unwrap();
            }
            for (who, reader) in readers.iter_mut().enumerate() {
                let mut heard = Vec::new();
                while heard.len() < 3 {
                    let line = reader.next().await.expect("a line").expect("readable");
                    if let Some(text) = line.split(": ").nth(1) {
                        heard.push(text.to_string());
                    }
                }
                heard.sort();
                assert_eq!(
                    heard,
                    ["hello from 0", "hello from 1", "hello from 2"],
                    "client {who}"
                );
            }
            drop(clients.remove(2)); // and the clone its reader holds: the socket closes
            drop(readers.remove(2));
            let left = readers[0].next().await.expect("a line").expect("readable");
            assert!(left.ends_with("left"), "{left}");
            stop.stop();
            drop(readers);
            drop(clients);
            drop(watching);
            serving.await.expect("the server task").expect("the server");
        });
    });
}
