//! Address resolution that never blocks a worker: [`ToSocketAddrs`].
//!
//! Where it sits in the flow: before it. `connect("example.org:80")` must look the name up,
//! and the system resolver (`getaddrinfo`) blocks; so names go to the blocking pool, while
//! literal addresses (`"127.0.0.1:8080"`, a `SocketAddr`) are parsed on the spot.
//!
//! A lookup is the one blocking call on the pool that a cancelled future cannot stop: once
//! `getaddrinfo` has started, a `timeout` around the connect returns at once, but the pool
//! thread finishes the lookup, bounded by the resolver's own timeouts (`/etc/resolv.conf`).
//!
//! ```text
//! [connect(name) → spawn_blocking(getaddrinfo)] → connect → Pending → waker parked in reactor → writable → Ready
//! ```
//!
//! Read next: `net/tcp.rs`.

use std::io;
use std::net::{IpAddr, SocketAddr};

/// Types that name one or more socket addresses, like [`std::net::ToSocketAddrs`], resolved
/// without blocking the worker. Implemented for the same types std accepts.
///
/// ```
/// use sprout::net::TcpListener;
/// sprout::run(async {
///     // A literal is parsed on the spot; a name ("localhost:0") is looked up on the blocking pool.
///     let by_literal = TcpListener::bind("127.0.0.1:0").await?;
///     let by_name = TcpListener::bind(("localhost", 0)).await?;
///     assert!(by_literal.local_addr()?.port() > 0 && by_name.local_addr()?.port() > 0);
///     std::io::Result::Ok(())
/// }).unwrap();
/// ```
pub trait ToSocketAddrs {
    /// The addresses, either known now or to be looked up.
    #[doc(hidden)]
    fn to_addrs(self) -> Resolution;
}

/// What a [`ToSocketAddrs`] value turns into before any lookup.
///
/// ```
/// // Internal to `ToSocketAddrs`; hidden from the docs.
/// let _ = std::mem::size_of::<sprout::net::Resolution>();
/// ```
#[doc(hidden)]
#[derive(Debug)]
pub enum Resolution {
    /// Literal addresses: nothing to look up.
    Known(Vec<SocketAddr>),
    /// A host name (with its port) for the system resolver.
    Lookup(String),
}

impl ToSocketAddrs for SocketAddr {
    fn to_addrs(self) -> Resolution {
        Resolution::Known(vec![self])
    }
}

impl ToSocketAddrs for (IpAddr, u16) {
    fn to_addrs(self) -> Resolution {
        Resolution::Known(vec![SocketAddr::from(self)])
    }
}

impl ToSocketAddrs for &[SocketAddr] {
    fn to_addrs(self) -> Resolution {
        Resolution::Known(self.to_vec())
    }
}

impl ToSocketAddrs for &str {
    fn to_addrs(self) -> Resolution {
        match self.parse::<SocketAddr>() {
            Ok(addr) => Resolution::Known(vec![addr]),
            Err(_) => Resolution::Lookup(self.to_owned()),
        }
    }
}

impl ToSocketAddrs for String {
    fn to_addrs(self) -> Resolution {
        self.as_str().to_addrs()
    }
}

impl ToSocketAddrs for &String {
    fn to_addrs(self) -> Resolution {
        self.as_str().to_addrs()
    }
}

impl ToSocketAddrs for (&str, u16) {
    fn to_addrs(self) -> Resolution {
        match self.0.parse::<IpAddr>() {
            Ok(ip) => Resolution::Known(vec![SocketAddr::new(ip, self.1)]),
            Err(_) => Resolution::Lookup(format!("{}:{}", self.0, self.1)),
        }
    }
}

/// Resolves `addrs`: at once for literals, on the blocking pool for names. Fails if nothing
/// resolves.
pub(crate) async fn resolve(addrs: impl ToSocketAddrs) -> io::Result<Vec<SocketAddr>> {
    let resolved = match addrs.to_addrs() {
        Resolution::Known(list) => list,
        Resolution::Lookup(name) => crate::spawn_blocking(move || {
            std::net::ToSocketAddrs::to_socket_addrs(&name).map(Iterator::collect::<Vec<_>>)
        })
        .await
        .map_err(|error| io::Error::other(format!("address lookup failed: {error}")))??,
    };
    if resolved.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "could not resolve to any address",
        ));
    }
    Ok(resolved)
}

/// Runs `attempt` on each address in turn and returns the first success, or the last error
/// (std's rule for `connect` and `bind` with several addresses).
pub(crate) async fn first_success<T, F, Fut>(
    addrs: Vec<SocketAddr>,
    mut attempt: F,
) -> io::Result<T>
where
    F: FnMut(SocketAddr) -> Fut,
    Fut: std::future::Future<Output = io::Result<T>>,
{
    let mut last_error = None;
    for addr in addrs {
        match attempt(addr).await {
            Ok(value) => return Ok(value),
            Err(error) => last_error = Some(error),
        }
    }
    Err(last_error.unwrap_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no addresses")))
}
