//! `sprout::net`: sockets with `std::net`'s names, built only on [`Async`](crate::Async).
//!
//! Where it sits in the flow: at the edge, where bytes enter and leave.
//!
//! ```text
//! [stream.read().await] → Async::poll_read_with → WouldBlock → Pending → waker parked in reactor → epoll event → wake → poll → [bytes]
//! ```
//!
//! Read next: `tcp.rs`.
