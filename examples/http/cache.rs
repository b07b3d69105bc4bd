//! A small in-memory cache of small files, so the hot path never waits for the blocking pool.
//!
//! Flow: request path → [`FileCache::get`] (fresh entry: answer from memory) → otherwise one
//! trip to the blocking pool that resolves *and* reads the file (files.rs) → [`FileCache::put`].
//!
//! Why: every disk access runs on the blocking pool (a worker must never block), and each trip
//! there is a thread hand-off costing tens of microseconds. Measured with `bench/http_bench`, a
//! 13-byte file cost three trips per request and the server managed 24k requests/s against
//! nginx's 94k. nginx keeps an `open_file_cache` for the same reason; this is the same idea,
//! bounded: files up to [`MAX_FILE`], at most [`MAX_ENTRIES`] of them, each re-checked on disk
//! after [`FRESH_FOR`], so an edited file is served within that time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Files larger than this are streamed, never cached.
pub const MAX_FILE: u64 = 64 * 1024;
/// Entries kept at most (so the cache holds at most 64 MiB).
pub const MAX_ENTRIES: usize = 1024;
/// How long an entry is served without looking at the disk again.
pub const FRESH_FOR: Duration = Duration::from_secs(1);

/// One cached file, ready to send.
#[derive(Debug)]
pub struct Cached {
    /// The whole file.
    pub body: Vec<u8>,
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// Its `Last-Modified`, formatted.
    pub last_modified: Option<String>,
    /// When the disk was last consulted for it.
    pub fetched: Instant,
}

/// The cache: request path → file.
#[derive(Debug, Default)]
pub struct FileCache {
    /// Entries by normalised request path (with a trailing `/` for directories' index pages).
    entries: Mutex<HashMap<String, Arc<Cached>>>,
}

impl FileCache {
    /// The entry for `key`, if it is fresh.
    pub fn get(&self, key: &str) -> Option<Arc<Cached>> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries
            .get(key)
            .filter(|c| c.fetched.elapsed() < FRESH_FOR)
            .cloned()
    }

    /// Stores `cached` under `key`; when full, starts over (simple, and bounded).
    pub fn put(&self, key: String, cached: Arc<Cached>) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= MAX_ENTRIES && !entries.contains_key(&key) {
            entries.clear();
        }
        entries.insert(key, cached);
    }
}
