//! Orders the work on partial-signature sets of one duty so that the sets the threshold needs
//! are decoded and verified first.
//!
//! Every node receives a set from each peer, but `t` sets (its own among them) complete a
//! duty. When a peer's set arrives while sets from enough sources (this node and peers) to
//! reach the threshold are being processed or were accepted, and some are still being
//! processed, decoding and verifying it now only competes for the CPU with the sets that
//! will complete the duty. Such a set is held back until the sets in progress are done (their
//! aggregation included), then processed like any other: it is still decoded, verified and
//! stored before it counts, and a bad signature in it is still rejected and counted. A set is
//! never held back when nothing of its duty is in progress, and the held sets of a duty are
//! all released the moment its last set in progress ends, whatever the outcome, so holding
//! back can delay a set by the processing of those before it but never strand one.
//!
//! Sources are counted, not messages: a validator client that submits a duty in many requests
//! is one source, as is a peer whose set spans several messages.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard, PoisonError};

use mosaic_core::Duty;
use mosaic_types::Slot;

/// The source label of this node's own sets.
const OWN: &str = "";

#[derive(Debug)]
struct DutySets<T> {
    /// Sets being processed now, per source.
    in_progress: HashMap<String, usize>,
    /// Sources with a set processed with every signature accepted.
    accepted: HashSet<String>,
    /// Peers' sets held back, in arrival order, with their sources.
    held: Vec<(String, T)>,
}

impl<T> Default for DutySets<T> {
    fn default() -> Self {
        Self {
            in_progress: HashMap::new(),
            accepted: HashSet::new(),
            held: Vec::new(),
        }
    }
}

impl<T> DutySets<T> {
    fn busy(&self) -> bool {
        !self.in_progress.is_empty()
    }

    /// Sources being processed or accepted.
    fn sources(&self) -> usize {
        self.accepted.len()
            + self
                .in_progress
                .keys()
                .filter(|source| !self.accepted.contains(*source))
                .count()
    }

    fn start(&mut self, source: String) {
        *self.in_progress.entry(source).or_default() += 1;
    }
}

/// The per-duty bookkeeping of sets in progress, accepted and held back. `T` is what a held
/// set carries (a peer's message).
#[derive(Debug)]
pub struct SetGate<T> {
    threshold: usize,
    duties: Mutex<HashMap<Duty, DutySets<T>>>,
}

impl<T> SetGate<T> {
    /// A gate for a cluster whose signatures combine from `threshold` partials.
    pub fn new(threshold: u64) -> Self {
        Self {
            threshold: usize::try_from(threshold).unwrap_or(usize::MAX),
            duties: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<Duty, DutySets<T>>> {
        // Each critical section leaves the map consistent, so a poisoned lock is still usable.
        self.duties.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A set of `duty` from peer `source` arrived: `Some(set)` to process it now (it is then
    /// in progress), `None` if it is held back until the sets in progress end.
    pub fn admit_peer(&self, duty: Duty, source: &str, set: T) -> Option<T> {
        let mut duties = self.lock();
        let sets = duties.entry(duty).or_default();
        if sets.busy() && sets.sources() >= self.threshold {
            sets.held.push((source.to_owned(), set));
            return None;
        }
        sets.start(source.to_owned());
        Some(set)
    }

    /// This node's own set of `duty` is being processed (it is never held back).
    pub fn begin_own(&self, duty: Duty) {
        self.lock().entry(duty).or_default().start(OWN.to_owned());
    }

    /// This node's own set of `duty` ended (own sets are accepted: the validator API checked
    /// them). Returns the held sets to process now, as [`Self::end_peer`] does.
    pub fn end_own(&self, duty: Duty) -> Vec<(String, T)> {
        self.end_peer(duty, OWN, true)
    }

    /// A set of `duty` from peer `source` ended, `accepted` if every signature in it was.
    /// Returns the held sets to process now: all of them once nothing of the duty is in
    /// progress (they are then in progress), else none.
    pub fn end_peer(&self, duty: Duty, source: &str, accepted: bool) -> Vec<(String, T)> {
        let mut duties = self.lock();
        let Some(sets) = duties.get_mut(&duty) else {
            return Vec::new();
        };
        if let Some(count) = sets.in_progress.get_mut(source) {
            *count -= 1;
            if *count == 0 {
                sets.in_progress.remove(source);
            }
        }
        if accepted {
            sets.accepted.insert(source.to_owned());
        }
        if sets.busy() {
            return Vec::new();
        }
        let released = std::mem::take(&mut sets.held);
        for (source, _) in &released {
            sets.start(source.clone());
        }
        released
    }

    /// Forgets duties of slots before `slot` that have nothing in progress or held.
    pub fn trim(&self, slot: Slot) {
        self.lock()
            .retain(|duty, sets| duty.slot >= slot || sets.busy() || !sets.held.is_empty());
    }

    /// How many duties have bookkeeping.
    pub fn tracked(&self) -> usize {
        self.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mosaic_core::DutyType;

    fn duty(slot: Slot) -> Duty {
        Duty::new(slot, DutyType::Attester)
    }

    fn sets(released: Vec<(String, &'static str)>) -> Vec<&'static str> {
        released.into_iter().map(|(_, set)| set).collect()
    }

    #[test]
    fn a_set_is_held_only_while_enough_sources_are_in_progress() {
        // 3 of 4: own and two peers in progress are enough; the third peer waits.
        let gate = SetGate::new(3);
        gate.begin_own(duty(5));
        assert_eq!(gate.admit_peer(duty(5), "a", "a1"), Some("a1"));
        // Own and one peer: two sources, one short of the threshold.
        assert_eq!(gate.admit_peer(duty(5), "b", "b1"), Some("b1"));
        assert_eq!(gate.admit_peer(duty(5), "c", "c1"), None);
        // Another duty is not affected.
        assert_eq!(gate.admit_peer(duty(6), "c", "x"), Some("x"));
        // The held set comes back only once every set in progress ended.
        assert!(gate.end_peer(duty(5), "a", true).is_empty());
        assert!(gate.end_own(duty(5)).is_empty());
        assert_eq!(
            gate.end_peer(duty(5), "b", true),
            vec![("c".to_owned(), "c1")]
        );
        assert!(gate.end_peer(duty(5), "c", true).is_empty());
    }

    #[test]
    fn nothing_is_held_when_nothing_of_the_duty_is_in_progress() {
        let gate = SetGate::new(3);
        for source in ["a", "b", "c"] {
            assert_eq!(gate.admit_peer(duty(1), source, source), Some(source));
            assert!(gate.end_peer(duty(1), source, true).is_empty());
        }
        // Accepted sets alone (three sources, the threshold) never hold a late one back.
        assert_eq!(gate.admit_peer(duty(1), "d", "d"), Some("d"));
    }

    #[test]
    fn without_the_own_set_three_peers_are_processed_at_once() {
        // A node whose validator client is late needs three peers' sets.
        let gate = SetGate::new(3);
        assert_eq!(gate.admit_peer(duty(2), "a", "a"), Some("a"));
        assert_eq!(gate.admit_peer(duty(2), "b", "b"), Some("b"));
        assert_eq!(gate.admit_peer(duty(2), "c", "c"), Some("c"));
        // A fourth source would be beyond the threshold.
        assert_eq!(gate.admit_peer(duty(2), "d", "d"), None);
    }

    #[test]
    fn sources_are_counted_not_messages() {
        let gate = SetGate::new(3);
        // A validator client submitting one validator per request is one source.
        for _ in 0..5 {
            gate.begin_own(duty(7));
        }
        // A peer's set in two messages is one source.
        assert_eq!(gate.admit_peer(duty(7), "a", "a1"), Some("a1"));
        assert_eq!(gate.admit_peer(duty(7), "a", "a2"), Some("a2"));
        // Own and a: two sources, so b is processed at once; then c waits.
        assert_eq!(gate.admit_peer(duty(7), "b", "b1"), Some("b1"));
        assert_eq!(gate.admit_peer(duty(7), "c", "c1"), None);
        for _ in 0..5 {
            assert!(gate.end_own(duty(7)).is_empty());
        }
        assert!(gate.end_peer(duty(7), "a", true).is_empty());
        assert!(gate.end_peer(duty(7), "a", true).is_empty());
        assert_eq!(sets(gate.end_peer(duty(7), "b", true)), vec!["c1"]);
    }

    #[test]
    fn a_rejected_set_does_not_count_and_held_sets_are_released_with_it() {
        let gate = SetGate::new(3);
        gate.begin_own(duty(3));
        assert!(gate.end_own(duty(3)).is_empty());
        assert_eq!(gate.admit_peer(duty(3), "byz", "bad"), Some("bad"));
        assert_eq!(gate.admit_peer(duty(3), "b", "b1"), Some("b1"));
        assert_eq!(gate.admit_peer(duty(3), "c", "c1"), None);
        assert!(gate.end_peer(duty(3), "b", true).is_empty());
        // The Byzantine set ends rejected: the held one is processed now.
        assert_eq!(sets(gate.end_peer(duty(3), "byz", false)), vec!["c1"]);
        // Own and b accepted, the Byzantine source not: with c in progress, a fourth source
        // makes the threshold and is held; the Byzantine peer's next message too.
        assert_eq!(gate.admit_peer(duty(3), "d", "d1"), None);
        assert_eq!(gate.admit_peer(duty(3), "byz", "bad2"), None);
        assert_eq!(sets(gate.end_peer(duty(3), "c", true)), vec!["d1", "bad2"]);
    }

    #[test]
    fn a_rejected_source_is_not_counted_towards_the_threshold() {
        let gate = SetGate::new(3);
        gate.begin_own(duty(9));
        assert!(gate.end_own(duty(9)).is_empty());
        assert_eq!(gate.admit_peer(duty(9), "byz", "bad"), Some("bad"));
        assert!(gate.end_peer(duty(9), "byz", false).is_empty());
        assert_eq!(gate.admit_peer(duty(9), "a", "a1"), Some("a1"));
        // Own and a count, the rejected source not: two of three, so b goes ahead.
        assert_eq!(gate.admit_peer(duty(9), "b", "b1"), Some("b1"));
    }

    #[test]
    fn one_short_of_the_threshold_nothing_is_held() {
        // Own accepted, one peer in progress: two sources of three, so b goes ahead.
        let gate = SetGate::new(3);
        gate.begin_own(duty(8));
        assert!(gate.end_own(duty(8)).is_empty());
        assert_eq!(gate.admit_peer(duty(8), "a", "a1"), Some("a1"));
        assert_eq!(gate.admit_peer(duty(8), "b", "b1"), Some("b1"));
    }

    #[test]
    fn every_held_set_is_released_together() {
        let gate = SetGate::new(2);
        assert_eq!(gate.admit_peer(duty(4), "a", "a"), Some("a"));
        assert_eq!(gate.admit_peer(duty(4), "b", "b"), Some("b"));
        assert_eq!(gate.admit_peer(duty(4), "c", "c"), None);
        assert_eq!(gate.admit_peer(duty(4), "d", "d"), None);
        assert!(gate.end_peer(duty(4), "a", true).is_empty());
        assert_eq!(sets(gate.end_peer(duty(4), "b", true)), vec!["c", "d"]);
        // Both released sets are in progress: a newcomer waits for them.
        assert_eq!(gate.admit_peer(duty(4), "e", "e"), None);
        assert!(gate.end_peer(duty(4), "c", true).is_empty());
        assert_eq!(sets(gate.end_peer(duty(4), "d", true)), vec!["e"]);
    }

    #[test]
    fn trimming_keeps_duties_with_work_in_progress_or_held() {
        let gate = SetGate::new(2);
        assert_eq!(gate.admit_peer(duty(1), "a", "a"), Some("a"));
        assert!(gate.end_peer(duty(1), "a", true).is_empty());
        assert_eq!(gate.admit_peer(duty(2), "b", "b"), Some("b"));
        assert_eq!(gate.admit_peer(duty(2), "c", "c"), Some("c"));
        assert_eq!(gate.admit_peer(duty(2), "d", "d"), None);
        assert_eq!(gate.admit_peer(duty(9), "e", "e"), Some("e"));
        gate.trim(5);
        // Slot 1 is done and forgotten; slot 2 still has sets in progress and held.
        assert_eq!(gate.tracked(), 2);
        assert!(gate.end_peer(duty(2), "b", true).is_empty());
        assert_eq!(sets(gate.end_peer(duty(2), "c", true)), vec!["d"]);
        assert!(gate.end_peer(duty(2), "d", true).is_empty());
        gate.trim(5);
        assert_eq!(gate.tracked(), 1);
    }
}
