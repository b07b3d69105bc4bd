//! A slab: a `Vec` of slots addressed by a stable `usize` key, reusing freed slots.
//!
//! Where it sits: a helper, not a stage of the flow. The reactor keys its table of sources with it
//! (the key travels through epoll and comes back in each event) and the executor keys its registry
//! of live tasks with it.
//!
//! ```text
//! spawn → [registry key] → run queue → poll → Pending → [source key, through epoll and back] → epoll event → wake
//! ```
//!
//! Invariants:
//! - I1: a key returned by [`Slab::insert`] names the same value until [`Slab::remove`] is called
//!   with it; only then may the slot be handed out again.
//! - I2: `free` lists exactly the vacant slots, so `len == slots.len() - free.len()`.
//!
//! Read next: `net/mod.rs` (the sockets, built on `Async<T>` alone).

/// A collection that hands out small integer keys for the values put into it.
///
/// Production note: the `slab` crate does the same with an intrusive free list threaded through
/// the vacant slots; a separate `Vec` of free keys is easier to read and costs 8 bytes a slot.
pub(crate) struct Slab<T> {
    /// Every slot ever created; `None` marks a vacant one.
    slots: Vec<Option<T>>,
    /// Keys of the vacant slots, reused last-freed first so hot slots stay in cache.
    free: Vec<usize>,
}

impl<T> Slab<T> {
    /// An empty slab; allocates nothing until the first insert.
    pub(crate) const fn new() -> Self {
        Slab {
            slots: Vec::new(),
            free: Vec::new(),
        }
    }

    /// The key the next [`insert`](Self::insert) will return. Lets a caller build a value that
    /// knows its own key before inserting it.
    pub(crate) fn next_key(&self) -> usize {
        self.free.last().copied().unwrap_or(self.slots.len())
    }

    /// Stores `value` and returns its key (I1).
    pub(crate) fn insert(&mut self, value: T) -> usize {
        match self.free.pop() {
            Some(key) => {
                self.slots[key] = Some(value);
                key
            }
            None => {
                self.slots.push(Some(value));
                self.slots.len() - 1
            }
        }
    }

    /// The value under `key`, if that slot is occupied.
    pub(crate) fn get(&self, key: usize) -> Option<&T> {
        self.slots.get(key).and_then(Option::as_ref)
    }

    /// The value under `key`, mutably, if that slot is occupied.
    pub(crate) fn get_mut(&mut self, key: usize) -> Option<&mut T> {
        self.slots.get_mut(key).and_then(Option::as_mut)
    }

    /// Takes the value out of `key`'s slot and frees the slot; `None` if it was vacant.
    pub(crate) fn remove(&mut self, key: usize) -> Option<T> {
        let value = self.slots.get_mut(key)?.take()?;
        self.free.push(key);
        Some(value)
    }

    /// How many values the slab holds.
    pub(crate) fn len(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    /// The values, in key order (used by the runtime dump).
    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        self.slots.iter().flatten()
    }

    /// Empties the slab, returning every value (used at shutdown).
    pub(crate) fn drain(&mut self) -> Vec<T> {
        self.free.clear();
        std::mem::take(&mut self.slots)
            .into_iter()
            .flatten()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::Slab;

    #[test]
    fn keys_are_stable_and_reused() {
        let mut slab = Slab::new();
        let a = slab.insert("a");
        let b = slab.insert("b");
        assert_eq!(slab.next_key(), 2);
        assert_eq!(slab.remove(a), Some("a"));
        assert_eq!(slab.remove(a), None, "a vacant slot yields nothing");
        assert_eq!(slab.get(b), Some(&"b"), "removing a leaves b's key valid");
        assert_eq!(slab.next_key(), a, "the freed slot is handed out next");
        let c = slab.insert("c");
        assert_eq!(c, a);
        assert_eq!(slab.len(), 2);
        assert_eq!(slab.iter().collect::<Vec<_>>(), vec![&"c", &"b"]);
        let mut all = slab.drain();
        all.sort();
        assert_eq!(all, vec!["b", "c"]);
        assert_eq!(slab.len(), 0);
    }
}
