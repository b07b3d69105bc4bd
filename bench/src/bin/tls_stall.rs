//! A TLS echo that stalled on two workers (issue 9, defect 5): futures-rustls over sprout.
//!
//! Each round starts a runtime, a TLS echo server task (`split()` the stream, copy reader to
//! writer) and a client that makes one small round trip, then `split()`s its stream, writes
//! 4 MiB from a spawned task and reads the echo back in the main future, under a 5 s deadline.
//! A round that misses it is a stall (the dump is printed). A second argument `flush` swaps
//! `futures::io::copy` for a copy that flushes whenever its reader has nothing, as tokio's does.
//!
//! ```text
//! cargo build --release -p sprout-bench
//! SPROUT_WORKERS=2 target/release/tls_stall 200          # prints: N of 200 rounds stalled
//! SPROUT_WORKERS=2 target/release/tls_stall 200 flush
//! ```
//!
//! Before coop I4 (socket writes may overdraw the budget) 13 of 200 rounds stalled here (0 of 200 after); the
//! reasons are in `runtime/coop.rs`.
use std::sync::Arc;
use std::time::Duration;

use futures::io::{AsyncReadExt, AsyncWriteExt};
use futures_rustls::rustls::pki_types::{
    CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName,
};
use futures_rustls::rustls::{self, ClientConfig, RootCertStore, ServerConfig};
use futures_rustls::{TlsAcceptor, TlsConnector};
use sprout::net::{TcpListener, TcpStream};

const SIZE: usize = 4 * 1024 * 1024;

fn configs() -> (Arc<ServerConfig>, Arc<ClientConfig>) {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let cert = CertificateDer::from(ck.cert.der().to_vec());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(ck.key_pair.serialize_der()));
    let server =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert.clone()], key)
            .unwrap();
    let mut roots = RootCertStore::empty();
    roots.add(cert).unwrap();
    let client =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
    (Arc::new(server), Arc::new(client))
}

/// futures::io::copy, but flushing whenever the reader has nothing (tokio's fix #4001).
async fn flushing_copy<R, W>(mut r: R, mut w: W) -> std::io::Result<u64>
where
    R: futures::io::AsyncRead + Unpin,
    W: futures::io::AsyncWrite + Unpin,
{
    let mut buf = vec![0u8; 8192];
    let mut total = 0;
    loop {
        let n = match futures::future::poll_fn(|cx| {
            match std::pin::Pin::new(&mut r).poll_read(cx, &mut buf) {
                std::task::Poll::Pending => {
                    let _ = std::pin::Pin::new(&mut w).poll_flush(cx);
                    std::task::Poll::Pending
                }
                other => other,
            }
        })
        .await
        {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) => return Err(e),
        };
        w.write_all(&buf[..n]).await?;
        total += n as u64;
    }
}

fn one_round(server_cfg: Arc<ServerConfig>, client_cfg: Arc<ClientConfig>, flushing: bool) -> bool {
    sprout::run(async move {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let acceptor = TlsAcceptor::from(server_cfg);
        let server = sprout::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            tcp.set_nodelay(true).unwrap();
            let tls = acceptor.accept(tcp).await.unwrap();
            let (r, w) = tls.split();
            if flushing {
                flushing_copy(r, w).await
            } else {
                futures::io::copy(r, &mut { w }).await
            }
        });
        let tcp = TcpStream::connect(addr).await.unwrap();
        tcp.set_nodelay(true).unwrap();
        let connector = TlsConnector::from(client_cfg);
        let mut tls = connector
            .connect(ServerName::try_from("localhost").unwrap(), tcp)
            .await
            .unwrap();
        tls.write_all(b"ping").await.unwrap();
        tls.flush().await.unwrap();
        let mut small = [0u8; 4];
        tls.read_exact(&mut small).await.unwrap();
        assert_eq!(&small, b"ping");
        let (mut r, mut w) = tls.split();
        let writer = sprout::spawn(async move {
            let data: Vec<u8> = (0..SIZE).map(|i| (i % 251) as u8).collect();
            w.write_all(&data).await.unwrap();
            w.flush().await.unwrap();
            w
        });
        let mut back = vec![0u8; SIZE];
        let ok = sprout::timeout(Duration::from_secs(5), r.read_exact(&mut back))
            .await
            .is_ok();
        if ok {
            assert!(back.iter().enumerate().all(|(i, &b)| b == (i % 251) as u8));
        } else {
            eprint!("{}", sprout::dump());
        }
        let _ = writer.await;
        server.cancel();
        ok
    })
}

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse().unwrap())
        .unwrap_or(40);
    let flushing = std::env::args().nth(2).as_deref() == Some("flush");
    let (s, c) = configs();
    let mut hung = 0;
    for round in 0..rounds {
        if !one_round(s.clone(), c.clone(), flushing) {
            hung += 1;
            eprintln!("round {round}: stalled");
        }
    }
    println!(
        "{hung} of {rounds} rounds stalled (flushing copy: {flushing}, SPROUT_WORKERS={:?})",
        std::env::var("SPROUT_WORKERS").ok()
    );
}
