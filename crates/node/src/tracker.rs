//! The duty tracker: which duties the node expects, which completed, which failed and why.
//! Every expected `(duty, validator)` ends as exactly one outcome in the metrics: `success`,
//! `failed` (with the first reason seen) or `expired` (its deadline passed with no outcome).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use mosaic_core::Duty;
use mosaic_crypto::bls::PublicKey;
use mosaic_monitor::{DutyOutcome, Metrics};
use mosaic_types::Slot;

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Expected,
    Succeeded,
}

/// Outcome counts of one duty type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutcomeCounts {
    /// Expected in total.
    pub expected: u64,
    /// Completed (broadcast, or consumed for internal duties).
    pub succeeded: u64,
    /// Failed or expired.
    pub failed: u64,
}

/// Tracks duty outcomes.
pub struct DutyTracker {
    metrics: Arc<Metrics>,
    state: Mutex<HashMap<(Duty, PublicKey), State>>,
    failures: Mutex<HashMap<Duty, &'static str>>,
    counts: Mutex<BTreeMap<&'static str, OutcomeCounts>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl DutyTracker {
    /// A tracker reporting to `metrics`.
    pub fn new(metrics: Arc<Metrics>) -> Self {
        Self {
            metrics,
            state: Mutex::new(HashMap::new()),
            failures: Mutex::new(HashMap::new()),
            counts: Mutex::new(BTreeMap::new()),
        }
    }

    /// The node expects to complete `duty` for `dv_pubkey`.
    pub fn expect(&self, duty: Duty, dv_pubkey: &PublicKey) {
        let mut state = lock(&self.state);
        if let std::collections::hash_map::Entry::Vacant(entry) = state.entry((duty, *dv_pubkey)) {
            entry.insert(State::Expected);
            lock(&self.counts)
                .entry(duty.duty_type.name())
                .or_default()
                .expected += 1;
        }
    }

    /// `duty` completed for `dv_pubkey`.
    pub fn succeeded(&self, duty: Duty, dv_pubkey: &PublicKey) {
        let mut state = lock(&self.state);
        let entry = state.entry((duty, *dv_pubkey)).or_insert_with(|| {
            lock(&self.counts)
                .entry(duty.duty_type.name())
                .or_default()
                .expected += 1;
            State::Expected
        });
        if *entry != State::Succeeded {
            *entry = State::Succeeded;
            lock(&self.counts)
                .entry(duty.duty_type.name())
                .or_default()
                .succeeded += 1;
            self.metrics
                .duty_outcome(duty.duty_type.name(), DutyOutcome::Success);
        }
    }

    /// Something failed for `duty` (all its validators); the reason is reported if the duty
    /// expires without success.
    pub fn failed(&self, duty: Duty, reason: &'static str) {
        lock(&self.failures).entry(duty).or_insert(reason);
    }

    /// Closes every duty before `slot`: those still expected are reported failed (with the
    /// first failure reason seen) or expired.
    pub fn expire(&self, slot: Slot) {
        let failures = lock(&self.failures);
        let mut state = lock(&self.state);
        let mut counts = lock(&self.counts);
        state.retain(|(duty, _), entry| {
            if duty.slot >= slot {
                return true;
            }
            if *entry == State::Expected {
                counts.entry(duty.duty_type.name()).or_default().failed += 1;
                match failures.get(duty) {
                    Some(reason) => self
                        .metrics
                        .duty_outcome(duty.duty_type.name(), DutyOutcome::Failed { reason }),
                    None => self
                        .metrics
                        .duty_outcome(duty.duty_type.name(), DutyOutcome::Expired),
                }
            }
            false
        });
        drop(failures);
        lock(&self.failures).retain(|duty, _| duty.slot >= slot);
    }

    /// Outcome counts by duty type name (closed and open duties).
    pub fn counts(&self) -> BTreeMap<&'static str, OutcomeCounts> {
        lock(&self.counts).clone()
    }
}
