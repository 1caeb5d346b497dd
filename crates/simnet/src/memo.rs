//! What the simulated beacon node already checked, remembered: a distributed validator's nodes
//! each submit the same threshold-signed object, and a real beacon node does not check an exact
//! duplicate's signature again (it has seen that attestation). Results here are pure functions
//! of their keys (a decoding of bytes, a signature check of fixed inputs), so remembering them
//! changes no verdict, only the cost of repeating one.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::sync::{Mutex, PoisonError};

/// A map of at most `capacity` entries that forgets the oldest first.
pub(crate) struct Memo<K, V> {
    inner: Mutex<Entries<K, V>>,
    capacity: usize,
}

struct Entries<K, V> {
    values: HashMap<K, V>,
    order: VecDeque<K>,
}

impl<K: Hash + Eq + Clone, V: Clone> Memo<K, V> {
    /// An empty memo of `capacity` entries.
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            inner: Mutex::new(Entries {
                values: HashMap::new(),
                order: VecDeque::new(),
            }),
            capacity: capacity.max(1),
        }
    }

    /// The remembered value of `key`.
    pub(crate) fn get(&self, key: &K) -> Option<V> {
        self.lock().values.get(key).cloned()
    }

    /// Remembers `value` for `key`, forgetting the oldest entry when full.
    pub(crate) fn insert(&self, key: K, value: V) {
        let mut entries = self.lock();
        if entries.values.contains_key(&key) {
            return;
        }
        if entries.order.len() >= self.capacity {
            if let Some(oldest) = entries.order.pop_front() {
                entries.values.remove(&oldest);
            }
        }
        entries.order.push_back(key.clone());
        entries.values.insert(key, value);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries<K, V>> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forgets_the_oldest_when_full() {
        let memo = Memo::new(2);
        memo.insert(1, "a");
        memo.insert(2, "b");
        memo.insert(1, "again");
        assert_eq!(memo.get(&1), Some("a"));
        memo.insert(3, "c");
        assert_eq!(memo.get(&1), None);
        assert_eq!(memo.get(&2), Some("b"));
        assert_eq!(memo.get(&3), Some("c"));
    }
}
