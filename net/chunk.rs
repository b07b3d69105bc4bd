//! [`Chunk`]: what [`ByteStream::read_chunk`] returns — bytes read into a buffer borrowed from
//! the thread's pool, given back when the chunk is dropped. A connection that waits for data
//! holds no buffer at all, so ten thousand idle connections cost ten thousand small futures,
//! not ten thousand 64 KiB buffers.
//!
//! Where it sits in the flow: at "poll", around one read.
//!
//! ```text
//! [read_chunk: not readable, no buffer taken] → Pending → waker parked → epoll event → wake → [readable: borrow a buffer, read: a Chunk]
//! ```
//!
//! Why a pool per thread and not a fresh `vec![0; n]` per read: zeroing 64 KiB costs a couple of
//! microseconds, as much as the rest of an echo round trip. A buffer taken from the pool was
//! zeroed once, when it was first made; reads only overwrite it. The pool keeps at most
//! [`POOLED_PER_THREAD`] buffers per thread, so it never grows past what was in use at once.
//!
//! Invariants:
//! - I1: a buffer is lent to at most one `Chunk` at a time, and a `Chunk` only exists between a
//!   read that succeeded and its drop: a read that would block gives the buffer back before the
//!   task waits.
//!
//! [`ByteStream::read_chunk`]: super::ByteStream::read_chunk
//!
//! Read next: `net/stream_traits.rs`.

use std::cell::RefCell;
use std::fmt;
use std::ops::Deref;

/// Buffers kept for reuse per thread; more are freed when given back.
pub const POOLED_PER_THREAD: usize = 8;

thread_local! {
    /// This thread's spare buffers, each zeroed once when it was made (I1).
    static POOL: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

/// Bytes read by [`ByteStream::read_chunk`](super::ByteStream::read_chunk): derefs to the bytes
/// read (empty at the end of the stream). Dropping it gives the buffer back to the pool.
///
/// ```
/// sprout::run(async {
///     let (a, b) = sprout::net::UnixStream::pair()?;
///     a.write_all(b"hi").await?;
///     let chunk = b.read_chunk(1024).await?;
///     assert_eq!(&chunk[..], b"hi");
///     std::io::Result::Ok(())
/// }).unwrap();
/// ```
pub struct Chunk {
    /// The borrowed buffer; its first `len` bytes were read.
    buffer: Vec<u8>,
    /// How many bytes the read returned.
    len: usize,
}

impl Chunk {
    /// A buffer of at least `size` bytes from this thread's pool (or a new one), lent until the
    /// chunk is dropped (I1).
    #[inline]
    pub(crate) fn borrow(size: usize) -> Chunk {
        let pooled = POOL.with(|pool| pool.borrow_mut().pop());
        let buffer = match pooled {
            Some(buffer) if buffer.len() >= size => buffer,
            // Out of line: a pool that has warmed up serves every read.
            unfit => fresh_buffer(unfit, size),
        };
        Chunk { buffer, len: 0 }
    }

    /// The first `size` bytes of the buffer, to read into.
    pub(crate) fn space(&mut self, size: usize) -> &mut [u8] {
        &mut self.buffer[..size]
    }

    /// Records that the read filled `len` bytes.
    pub(crate) fn filled(mut self, len: usize) -> Chunk {
        self.len = len;
        self
    }
}

/// A new zeroed buffer of `size` bytes, dropping `unfit` (a pooled buffer too small, or none).
#[cold]
fn fresh_buffer(unfit: Option<Vec<u8>>, size: usize) -> Vec<u8> {
    drop(unfit);
    vec![0; size]
}

impl Deref for Chunk {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.buffer[..self.len]
    }
}

impl Drop for Chunk {
    fn drop(&mut self) {
        let buffer = std::mem::take(&mut self.buffer);
        // `try_with`: during thread teardown the pool may be gone; the buffer is simply freed.
        let _ = POOL.try_with(|pool| {
            let mut pool = pool.borrow_mut();
            if pool.len() < POOLED_PER_THREAD {
                pool.push(buffer);
            }
        });
    }
}

impl fmt::Debug for Chunk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Chunk").field("len", &self.len).finish()
    }
}
