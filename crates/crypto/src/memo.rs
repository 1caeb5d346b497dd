//! Results of pure computations remembered, a bounded number of them: messages hashed to G2
//! (this crate's `hashed`), signature encodings this process made (`signed_here`), and in the
//! simulated beacon node the signatures it decoded and the checks that passed (a distributed
//! validator's nodes each submit the same object). A remembered value is a pure function of its
//! key, so remembering it changes no result, only the cost of computing it again.

use std::borrow::Borrow;
use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::sync::{Mutex, PoisonError};

/// A map of at most `capacity` entries that forgets the oldest first.
pub struct Memo<K, V> {
    inner: Mutex<Entries<K, V>>,
    capacity: usize,
}

struct Entries<K, V> {
    values: HashMap<K, V>,
    order: VecDeque<K>,
}

impl<K: Hash + Eq + Clone, V: Clone> Memo<K, V> {
    /// An empty memo of `capacity` entries (at least one).
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: Mutex::new(Entries {
                values: HashMap::new(),
                order: VecDeque::new(),
            }),
            capacity: capacity.max(1),
        }
    }

    /// The remembered value of `key`.
    pub fn get<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        self.lock().values.get(key).cloned()
    }

    /// How many entries are remembered.
    pub fn len(&self) -> usize {
        self.lock().values.len()
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Remembers `value` for `key` (a key already remembered keeps its value), forgetting the
    /// oldest entry when full.
    pub fn insert(&self, key: K, value: V) {
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
        assert_eq!(memo.len(), 2);
    }

    #[test]
    fn byte_keys_are_looked_up_by_slice() {
        let memo: Memo<Vec<u8>, u8> = Memo::new(0);
        assert!(memo.is_empty());
        memo.insert(b"ab".to_vec(), 1);
        assert_eq!(memo.get(b"ab".as_slice()), Some(1));
        // A capacity of zero still remembers one entry.
        memo.insert(b"cd".to_vec(), 2);
        assert_eq!((memo.get(b"ab".as_slice()), memo.len()), (None, 1));
    }
}
