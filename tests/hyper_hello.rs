//! hyper 1.x runs on sprout: the `hyper_hello` example's own adapters and service, driven by a
//! raw HTTP/1.1 client over keep-alive.

mod support;

use std::io::{Read, Write};
use std::time::Duration;

use support::{runtime, within};

#[path = "../examples/hyper_hello.rs"]
#[allow(dead_code)]
mod hyper_hello;

/// Two requests on one connection, and 50 clients at once, all answered "Hello, World!".
#[test]
fn hyper_serves_hello_world_on_sprout() {
    within(Duration::from_secs(60), "hyper on sprout", || {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            runtime(1).block_on(async move {
                let listener = sprout::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(listener.local_addr().unwrap()).unwrap();
                let _ = hyper_hello::serve(listener).await;
            });
        });
        let addr = rx.recv_timeout(Duration::from_secs(10)).unwrap();
        let fetch_twice = move || {
            let mut stream = std::net::TcpStream::connect(addr).unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            let mut bodies = Vec::new();
            for _ in 0..2 {
                stream
                    .write_all(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
                    .unwrap();
                let mut response = Vec::new();
                let mut byte = [0u8; 1];
                while !response.ends_with(b"Hello, World!") {
                    assert_eq!(
                        stream.read(&mut byte).unwrap(),
                        1,
                        "connection closed early"
                    );
                    response.push(byte[0]);
                }
                bodies.push(String::from_utf8(response).unwrap());
            }
            bodies
        };
        for body in fetch_twice() {
            assert!(body.starts_with("HTTP/1.1 200 OK"), "{body}");
        }
        let clients: Vec<_> = (0..50).map(|_| std::thread::spawn(fetch_twice)).collect();
        for client in clients {
            assert_eq!(client.join().unwrap().len(), 2);
        }
    });
}
