//! A bounded, per-instance memo of signatures the verifier has accepted.
//!
//! The same signed `QBFTMsg` reaches an instance more than once: as a standalone message and
//! again inside the justifications of later ROUND-CHANGE and PRE-PREPARE messages (prepared
//! certificates, round-change quorums), and as transport duplicates. Recovering the same
//! secp256k1 signature again would give the same answer, so an accepted
//! `(peer index, signing root, signature)` triple is remembered and not recovered twice.
//!
//! Correctness: the key is exactly the verifier's input, the verifier of an instance never
//! changes, and only acceptances are stored, so a hit returns what the verifier would return.
//! Rejections are never stored. Memory is bounded: at most [`capacity_for`] entries, the
//! oldest evicted first, so a member that signs endless distinct messages cannot grow it.

use std::cell::RefCell;
use std::collections::{HashSet, VecDeque};

use crate::hashing::Hash;
use crate::signing::{SignatureVerifier, SIGNATURE_LEN};

/// One accepted verification: signer's peer index, signing root, signature bytes.
type Entry = (u64, Hash, [u8; SIGNATURE_LEN]);

/// Entries kept for a cluster of `nodes`: about two rounds of every member's PRE-PREPARE,
/// PREPARE, COMMIT and ROUND-CHANGE, which covers the justifications a round can carry.
pub(crate) fn capacity_for(nodes: usize) -> usize {
    nodes.saturating_mul(8).clamp(16, 1024)
}

/// Accepted signatures, bounded, oldest evicted first.
#[derive(Debug)]
pub(crate) struct VerifiedSignatures {
    capacity: usize,
    entries: HashSet<Entry>,
    order: VecDeque<Entry>,
}

impl VerifiedSignatures {
    /// An empty memo holding at most `capacity` entries (at least one).
    pub(crate) fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            capacity,
            entries: HashSet::with_capacity(capacity),
            order: VecDeque::with_capacity(capacity),
        }
    }

    fn contains(&self, entry: &Entry) -> bool {
        self.entries.contains(entry)
    }

    fn insert(&mut self, entry: Entry) {
        if self.entries.contains(&entry) {
            return;
        }
        while self.order.len() >= self.capacity {
            if let Some(oldest) = self.order.pop_front() {
                self.entries.remove(&oldest);
            }
        }
        self.entries.insert(entry);
        self.order.push_back(entry);
    }

    /// Number of remembered acceptances.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

/// A verifier that answers from the memo when it can and records the inner verifier's
/// acceptances.
pub(crate) struct CachingVerifier<'a, V: ?Sized> {
    inner: &'a V,
    memo: RefCell<&'a mut VerifiedSignatures>,
}

impl<'a, V: SignatureVerifier + ?Sized> CachingVerifier<'a, V> {
    /// Wraps `inner`, reading and filling `memo`.
    pub(crate) fn new(inner: &'a V, memo: &'a mut VerifiedSignatures) -> Self {
        Self {
            inner,
            memo: RefCell::new(memo),
        }
    }
}

impl<V: SignatureVerifier + ?Sized> SignatureVerifier for CachingVerifier<'_, V> {
    fn nodes(&self) -> usize {
        self.inner.nodes()
    }

    fn verify(&self, peer_idx: u64, root: &Hash, signature: &[u8]) -> bool {
        let Ok(bytes) = <[u8; SIGNATURE_LEN]>::try_from(signature) else {
            return self.inner.verify(peer_idx, root, signature);
        };
        let entry = (peer_idx, *root, bytes);
        if self.memo.borrow().contains(&entry) {
            return true;
        }
        let accepted = self.inner.verify(peer_idx, root, signature);
        if accepted {
            self.memo.borrow_mut().insert(entry);
        }
        accepted
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    /// Accepts exactly the 65-byte signatures whose first byte is the peer index; counts calls.
    struct Counting {
        calls: Cell<usize>,
    }

    impl Counting {
        fn new() -> Self {
            Self {
                calls: Cell::new(0),
            }
        }
    }

    impl SignatureVerifier for Counting {
        fn nodes(&self) -> usize {
            4
        }

        fn verify(&self, peer_idx: u64, _root: &Hash, signature: &[u8]) -> bool {
            self.calls.set(self.calls.get() + 1);
            signature.len() == SIGNATURE_LEN && signature.first() == Some(&(peer_idx as u8))
        }
    }

    fn signature(first: u8, tag: u8) -> [u8; SIGNATURE_LEN] {
        let mut bytes = [tag; SIGNATURE_LEN];
        bytes[0] = first;
        bytes
    }

    #[test]
    fn an_accepted_signature_is_verified_once() {
        let inner = Counting::new();
        let mut memo = VerifiedSignatures::new(8);
        let cached = CachingVerifier::new(&inner, &mut memo);
        let root = [5u8; 32];
        assert!(cached.verify(1, &root, &signature(1, 0)));
        assert!(cached.verify(1, &root, &signature(1, 0)));
        assert!(cached.verify(1, &root, &signature(1, 0)));
        assert_eq!(inner.calls.get(), 1);
        assert_eq!(cached.nodes(), 4);
    }

    #[test]
    fn rejections_are_never_remembered() {
        let inner = Counting::new();
        let mut memo = VerifiedSignatures::new(8);
        {
            let cached = CachingVerifier::new(&inner, &mut memo);
            let root = [5u8; 32];
            assert!(!cached.verify(2, &root, &signature(1, 0)));
            assert!(!cached.verify(2, &root, &signature(1, 0)));
            assert_eq!(inner.calls.get(), 2);
            // A wrong-length signature goes straight to the verifier, every time.
            assert!(!cached.verify(1, &root, &signature(1, 0)[..64]));
            assert!(!cached.verify(1, &root, &signature(1, 0)[..64]));
            assert_eq!(inner.calls.get(), 4);
        }
        assert_eq!(memo.len(), 0);
    }

    #[test]
    fn a_hit_needs_the_same_peer_root_and_signature() {
        let inner = Counting::new();
        let mut memo = VerifiedSignatures::new(8);
        let cached = CachingVerifier::new(&inner, &mut memo);
        let root = [5u8; 32];
        assert!(cached.verify(1, &root, &signature(1, 0)));
        // Another peer index with the same bytes: the verifier decides (and rejects).
        assert!(!cached.verify(3, &root, &signature(1, 0)));
        // Another root, another signature: each goes to the verifier.
        assert!(cached.verify(1, &[6u8; 32], &signature(1, 0)));
        assert!(cached.verify(1, &root, &signature(1, 9)));
        assert_eq!(inner.calls.get(), 4);
    }

    #[test]
    fn the_memo_is_bounded_and_evicts_the_oldest() {
        let inner = Counting::new();
        let capacity = 4;
        let mut memo = VerifiedSignatures::new(capacity);
        {
            let cached = CachingVerifier::new(&inner, &mut memo);
            let root = [5u8; 32];
            for tag in 0..=capacity as u8 {
                assert!(cached.verify(1, &root, &signature(1, tag)));
            }
            assert_eq!(inner.calls.get(), capacity + 1);
            // The newest `capacity` are hits; the oldest (tag 0) was evicted.
            for tag in 1..=capacity as u8 {
                assert!(cached.verify(1, &root, &signature(1, tag)));
            }
            assert_eq!(inner.calls.get(), capacity + 1);
            assert!(cached.verify(1, &root, &signature(1, 0)));
            assert_eq!(inner.calls.get(), capacity + 2);
        }
        assert_eq!(memo.len(), capacity);
    }

    #[test]
    fn capacity_scales_with_the_cluster_within_bounds() {
        assert_eq!(capacity_for(0), 16);
        assert_eq!(capacity_for(2), 16);
        assert_eq!(capacity_for(4), 32);
        assert_eq!(capacity_for(10), 80);
        assert_eq!(capacity_for(1000), 1024);
        assert_eq!(VerifiedSignatures::new(0).capacity, 1);
    }
}
