//! The echo server over TLS: futures-rustls on sprout with no glue, because sprout's streams
//! implement the futures-io traits that futures-rustls wraps. The certificate is self-signed,
//! made at start-up with rcgen, and written next to the server for the client to trust.
//!
//! Flow stages exercised: accept → spawn → the TLS handshake (reads and writes that wait on the
//! reactor like any others) → decrypt → echo → encrypt → flush.
//!
//! ```text
//! cargo run --example echo_tls                       # serves on 127.0.0.1:10443, prints the cert path
//! cargo run --example echo_tls -- --client "hello"   # one message over TLS, echoed and checked
//! ```
//!
//! A TLS stream buffers encrypted records; a reply is on the wire only after `flush`, so the
//! handler flushes after each write (docs/ chapter 10 tells what happens to a copy loop that
//! does not).

use std::io;
use std::path::PathBuf;
use std::sync::Arc;

use futures_rustls::rustls::pki_types::{
    CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName,
};
use futures_rustls::rustls::{self, ClientConfig, RootCertStore, ServerConfig};
use futures_rustls::{TlsAcceptor, TlsConnector};
use sprout::io::{AsyncReadExt, AsyncWriteExt};
use sprout::net::{StreamServer, TcpStream};

/// The name the certificate is made for, and the client checks.
pub const SERVER_NAME: &str = "localhost";

/// A fresh self-signed certificate for [`SERVER_NAME`] and its private key.
pub fn make_certificate() -> io::Result<(CertificateDer<'static>, PrivateKeyDer<'static>)> {
    let made = rcgen::generate_simple_self_signed(vec![SERVER_NAME.to_string()])
        .map_err(io::Error::other)?;
    let key = PrivatePkcs8KeyDer::from(made.key_pair.serialize_der());
    Ok((made.cert.der().clone(), key.into()))
}

/// The crypto provider both sides use (ring).
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A TLS acceptor presenting `cert`.
pub fn acceptor(
    cert: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
) -> io::Result<TlsAcceptor> {
    let config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .map_err(io::Error::other)?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// A TLS connector that trusts exactly `cert`.
pub fn connector(cert: CertificateDer<'static>) -> io::Result<TlsConnector> {
    let mut roots = RootCertStore::empty();
    roots.add(cert).map_err(io::Error::other)?;
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}

/// One connection: the TLS handshake, then echo until the client closes.
/// (`tests/echo_tls.rs` runs this very function.)
pub async fn echo_tls(stream: TcpStream, acceptor: TlsAcceptor) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut tls = acceptor.accept(stream).await?;
    let mut data = vec![0u8; 16 * 1024];
    loop {
        let received = tls.read(&mut data).await?;
        if received == 0 {
            return tls.close().await; // close_notify, then the TCP half-close
        }
        tls.write_all(&data[..received]).await?;
        tls.flush().await?; // the encrypted record leaves rustls's buffer only now
    }
}

/// Sends `message` over TLS to `addr` and returns what came back (the client mode).
pub async fn ask(addr: &str, connector: &TlsConnector, message: &[u8]) -> io::Result<Vec<u8>> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let name = ServerName::try_from(SERVER_NAME).map_err(io::Error::other)?;
    let mut tls = connector.connect(name, stream).await?;
    tls.write_all(message).await?;
    tls.flush().await?;
    let mut echoed = vec![0u8; message.len()];
    tls.read_exact(&mut echoed).await?;
    tls.close().await?;
    Ok(echoed)
}

/// Where the server leaves its certificate for clients (DER).
fn certificate_path() -> PathBuf {
    std::env::temp_dir().join("sprout-echo-tls.der")
}

fn main() {
    if let Err(error) = run() {
        eprintln!("echo_tls: {error}");
        std::process::exit(1);
    }
}

/// `--client MESSAGE` sends one message; otherwise serves until Ctrl-C. `--addr` for both.
fn run() -> io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let option = |name: &str| {
        args.iter()
            .position(|arg| arg == name)
            .and_then(|at| args.get(at + 1).cloned())
    };
    let addr = option("--addr").unwrap_or_else(|| "127.0.0.1:10443".to_string());
    if let Some(message) = option("--client") {
        let cert = CertificateDer::from(std::fs::read(certificate_path())?);
        let connector = connector(cert)?;
        let echoed = sprout::run(async { ask(&addr, &connector, message.as_bytes()).await })?;
        println!("{}", String::from_utf8_lossy(&echoed));
        return if echoed == message.as_bytes() {
            Ok(())
        } else {
            Err(io::Error::other("the echo differs from the message"))
        };
    }
    let (cert, key) = make_certificate()?;
    std::fs::write(certificate_path(), cert.as_ref())?;
    let acceptor = acceptor(cert, key)?;
    sprout::run(async move {
        let server = StreamServer::bind(addr.as_str(), move |stream, _peer| {
            echo_tls(stream, acceptor.clone())
        })
        .await?;
        println!(
            "echo over TLS on {} (certificate: {}; Ctrl-C stops)",
            server.local_addr()?,
            certificate_path().display()
        );
        server.serve_forever().await
    })
}
