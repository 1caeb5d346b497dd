//! The simulator: the chain, the clock, the recorder and the scenario switches behind one
//! shared handle, advanced slot by slot.

use std::collections::HashMap;
use std::ops::RangeInclusive;
use std::sync::{Arc, Mutex, MutexGuard};

use mosaic_crypto::bls::Signature;
use mosaic_types::Root;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use crate::chain::{Block, Chain};
use crate::clock::Clock;
use crate::config::SimConfig;
use crate::containers::AttestationData;
use crate::payload::SynthPayload;
use crate::record::Recorder;
use crate::Error;

/// Runtime switches for fault scenarios.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Scenario {
    /// Delay added to every Beacon API response, milliseconds.
    #[serde(default)]
    pub latency_ms: u64,
    /// Fraction (0..=1) of Beacon API requests answered with a 500, drawn from a seeded
    /// generator.
    #[serde(default)]
    pub error_rate: f64,
    /// Whether the node reports itself syncing (and refuses duties and attestation data).
    #[serde(default)]
    pub syncing: bool,
    /// Whether a (simulated) builder is connected: `produceBlockV3` then returns a blinded
    /// block for a proposer that registered (`register_validator`) when the builder's bid
    /// (110 % of the local payload's value) times `builder_boost_factor` / 100 beats the local
    /// payload.
    #[serde(default)]
    pub builder: bool,
}

/// An Ephemery-style reset: a new genesis (time and seed, hence genesis validators root).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reset {
    /// When to reset, unix milliseconds (now if already past).
    pub at_ms: u64,
    /// The new genesis time, unix seconds.
    pub genesis_time: u64,
    /// The new seed.
    pub seed: u64,
}

/// A chain event for the `events` stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainEvent {
    /// A new head at `slot`.
    Head {
        /// Slot.
        slot: u64,
        /// Head block root.
        block: Root,
        /// Head state root.
        state: Root,
        /// Whether the slot starts an epoch.
        epoch_transition: bool,
    },
    /// A new block.
    Block {
        /// Slot.
        slot: u64,
        /// Root.
        block: Root,
    },
    /// A new finalized checkpoint (at the first slot of an epoch, from epoch 3 on).
    FinalizedCheckpoint {
        /// The finalized epoch.
        epoch: u64,
        /// Its block root.
        block: Root,
        /// That block's state root.
        state: Root,
    },
}

/// Block production and publication state.
#[derive(Debug, Default)]
pub(crate) struct BlockState {
    /// Payloads this node produced, by `block_hash`, with their slot (to unblind and to check
    /// published payloads).
    pub(crate) produced: HashMap<Root, (u64, SynthPayload)>,
    /// The first valid block root published per (slot, proposer), to detect double proposals.
    pub(crate) seen: HashMap<(u64, u64), Root>,
    /// The slot of the last published block imported: it carried the pool's attestations up
    /// to the slot before it, so later blocks include only attestations from this slot on.
    pub(crate) attestations_included_before: u64,
    /// Builder registrations accepted: validator index → (fee recipient, gas limit).
    pub(crate) registrations: HashMap<u64, (mosaic_types::ExecutionAddress, u64)>,
}

/// Unaggregated attestations accepted, to serve `aggregate_attestation`.
#[derive(Debug, Default)]
pub(crate) struct AttestationPool {
    pub(crate) by_root: HashMap<(Root, u64), PoolEntry>,
}

/// The attestations for one (data root, committee index).
#[derive(Debug)]
pub(crate) struct PoolEntry {
    pub(crate) data: AttestationData,
    pub(crate) committee_len: usize,
    pub(crate) signatures: HashMap<usize, Signature>,
}

pub(crate) struct Shared {
    pub(crate) chain: Mutex<Chain>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) recorder: Mutex<Recorder>,
    pub(crate) scenario: Mutex<Scenario>,
    pub(crate) reset: Mutex<Option<Reset>>,
    pub(crate) pool: Mutex<AttestationPool>,
    pub(crate) fee_recipients: Mutex<HashMap<u64, mosaic_types::ExecutionAddress>>,
    pub(crate) error_draws: Mutex<u64>,
    pub(crate) sync_pool: Mutex<HashMap<(u64, u64, Root), Signature>>,
    pub(crate) blocks: Mutex<BlockState>,
    pub(crate) events: broadcast::Sender<ChainEvent>,
    /// Requests served, by path.
    pub(crate) requests: Mutex<HashMap<String, u64>>,
    /// Requests still to answer with an injected error, by path.
    pub(crate) planned_failures: Mutex<HashMap<String, u64>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Shared {
    pub(crate) fn chain(&self) -> MutexGuard<'_, Chain> {
        lock(&self.chain)
    }
    pub(crate) fn recorder(&self) -> MutexGuard<'_, Recorder> {
        lock(&self.recorder)
    }
    pub(crate) fn scenario(&self) -> Scenario {
        lock(&self.scenario).clone()
    }
    pub(crate) fn pool(&self) -> MutexGuard<'_, AttestationPool> {
        lock(&self.pool)
    }
    pub(crate) fn fee_recipients(
        &self,
    ) -> MutexGuard<'_, HashMap<u64, mosaic_types::ExecutionAddress>> {
        lock(&self.fee_recipients)
    }

    pub(crate) fn blocks(&self) -> MutexGuard<'_, BlockState> {
        lock(&self.blocks)
    }

    pub(crate) fn sync_pool(&self) -> MutexGuard<'_, HashMap<(u64, u64, Root), Signature>> {
        lock(&self.sync_pool)
    }

    /// Counts a request to `path`.
    pub(crate) fn count_request(&self, path: &str) {
        *lock(&self.requests).entry(path.to_owned()).or_default() += 1;
    }

    /// Whether this request to `path` is one planned to fail ([`Simulator::fail_next_requests`]);
    /// takes it off the plan if so.
    pub(crate) fn take_planned_failure(&self, path: &str) -> bool {
        let mut planned = lock(&self.planned_failures);
        match planned.get_mut(path) {
            Some(left) if *left > 0 => {
                *left -= 1;
                true
            }
            _ => false,
        }
    }

    /// Whether this request should fail, by the seeded error rate.
    pub(crate) fn draw_error(&self) -> bool {
        let rate = self.scenario().error_rate;
        if rate <= 0.0 {
            return false;
        }
        let mut counter = lock(&self.error_draws);
        *counter += 1;
        let seed = self.chain().config().seed;
        let h = crate::spec::hash(&[
            b"mosaic-simnet errors",
            &seed.to_le_bytes(),
            &counter.to_le_bytes(),
        ]);
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&h[..8]);
        (u64::from_le_bytes(bytes) as f64 / u64::MAX as f64) < rate
    }

    /// Milliseconds until the clock reaches the next slot's start (genesis, before it).
    pub(crate) fn until_next_slot_ms(&self) -> u64 {
        let now = self.clock.now_ms();
        let chain = self.chain();
        let next = match chain.slot_at_ms(now) {
            (slot, true) => chain.slot_start_ms(slot + 1),
            (_, false) => chain.slot_start_ms(0),
        };
        next.saturating_sub(now)
    }

    /// Applies a due reset, then advances the chain to the clock's slot, publishing events.
    pub(crate) fn tick(&self) {
        let now = self.clock.now_ms();
        let due = {
            let mut reset = lock(&self.reset);
            match *reset {
                Some(r) if r.at_ms <= now => reset.take(),
                _ => None,
            }
        };
        if let Some(reset) = due {
            let mut chain = self.chain();
            let mut config = chain.config().clone();
            config.genesis_time = reset.genesis_time;
            config.seed = reset.seed;
            match Chain::new(config) {
                Ok(fresh) => {
                    *chain = fresh;
                    self.recorder().clear();
                    self.pool().by_root.clear();
                    self.sync_pool().clear();
                    *self.blocks() = BlockState::default();
                    tracing::info!(
                        genesis_time = reset.genesis_time,
                        seed = reset.seed,
                        "simnet: chain reset"
                    );
                }
                Err(error) => tracing::warn!(%error, "simnet: reset rejected"),
            }
        }
        let mut chain = self.chain();
        let (slot, started) = chain.slot_at_ms(now);
        if !started || slot <= chain.processed_slot() {
            return;
        }
        let first = chain.processed_slot() + 1;
        let made: Vec<Block> = chain.advance_to(slot);
        for s in first..=slot {
            if let Some(block) = made.iter().find(|b| b.header.slot == s) {
                let _ = self.events.send(ChainEvent::Block {
                    slot: s,
                    block: block.root,
                });
            }
            let epoch_transition = s % chain.slots_per_epoch() == 0;
            // A `head` event says the head moved to a block of this slot (beacon-APIs: its
            // `slot` is the new head block's); a slot left to the cluster's proposer, or
            // missed, keeps the old head and announces nothing.
            let head = chain.head_at(s);
            if head.header.slot == s {
                let _ = self.events.send(ChainEvent::Head {
                    slot: s,
                    block: head.root,
                    state: head.header.state_root,
                    epoch_transition,
                });
            }
            let epoch = chain.epoch_of(s);
            if epoch_transition && epoch >= 3 {
                let finalized = chain.finalized(epoch);
                let block = chain.head_at(finalized.epoch * chain.slots_per_epoch());
                let _ = self.events.send(ChainEvent::FinalizedCheckpoint {
                    epoch: finalized.epoch,
                    block: finalized.root,
                    state: block.header.state_root,
                });
            }
        }
        self.recorder().compact(&chain);
        let keep_from = slot.saturating_sub(2 * chain.slots_per_epoch());
        self.pool()
            .by_root
            .retain(|_, entry| entry.data.slot >= keep_from);
        self.sync_pool().retain(|(s, _, _), _| *s >= keep_from);
        let mut blocks = self.blocks();
        blocks.produced.retain(|_, (s, _)| *s >= keep_from);
        blocks.seen.retain(|(s, _), _| *s >= keep_from);
    }
}

/// A simulated beacon node (clone to share).
#[derive(Clone)]
pub struct Simulator {
    pub(crate) shared: Arc<Shared>,
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator").finish_non_exhaustive()
    }
}

impl Simulator {
    /// Builds genesis for `config`, timed by `clock`.
    pub fn new(config: SimConfig, clock: Arc<dyn Clock>) -> Result<Self, Error> {
        let chain = Chain::new(config)?;
        let (events, _) = broadcast::channel(256);
        Ok(Self {
            shared: Arc::new(Shared {
                chain: Mutex::new(chain),
                clock,
                recorder: Mutex::new(Recorder::default()),
                scenario: Mutex::new(Scenario::default()),
                reset: Mutex::new(None),
                pool: Mutex::new(AttestationPool::default()),
                fee_recipients: Mutex::new(HashMap::new()),
                error_draws: Mutex::new(0),
                sync_pool: Mutex::new(HashMap::new()),
                blocks: Mutex::new(BlockState::default()),
                events,
                requests: Mutex::new(HashMap::new()),
                planned_failures: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// Advances the chain to the clock's current slot (the server also does this on its own).
    pub fn tick(&self) {
        self.shared.tick();
    }

    /// How many requests to `path` (such as `/eth/v1/validator/attestation_data`, without the
    /// query) this beacon node has served, faults injected included.
    pub fn requests_to(&self, path: &str) -> u64 {
        lock(&self.shared.requests).get(path).copied().unwrap_or(0)
    }

    /// Answers the next `count` requests to `path` (such as `/eth/v1/validator/attestation_data`,
    /// without the query) with an injected error (500), whatever the scenario; adds to any
    /// failures still planned for the path.
    pub fn fail_next_requests(&self, path: &str, count: u64) {
        *lock(&self.shared.planned_failures)
            .entry(path.to_owned())
            .or_default() += count;
    }

    /// How many of the failures planned for `path` are still to come.
    pub fn planned_failures(&self, path: &str) -> u64 {
        lock(&self.shared.planned_failures)
            .get(path)
            .copied()
            .unwrap_or(0)
    }

    /// Runs `f` with the chain locked.
    pub fn with_chain<R>(&self, f: impl FnOnce(&mut Chain) -> R) -> R {
        f(&mut self.shared.chain())
    }

    /// Every accepted submission, judged against the canonical chain, as JSON.
    pub fn records_json(&self) -> serde_json::Value {
        let chain = self.shared.chain();
        serde_json::to_value(self.shared.recorder().judge(&chain)).unwrap_or_default()
    }

    /// Per-duty effectiveness, as JSON: one object per duty kind, plus `slashable` with the
    /// offences seen (`{"double_proposals": [...], "attestations": [...]}`; tests assert both
    /// stay empty).
    pub fn summary_json(&self) -> serde_json::Value {
        let mut chain = self.shared.chain();
        let recorder = self.shared.recorder();
        let summary = recorder.summary(&mut chain);
        let mut map: serde_json::Map<String, serde_json::Value> = summary
            .into_iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    serde_json::to_value(v).unwrap_or_default(),
                )
            })
            .collect();
        map.insert("slashable".into(), recorder.slashable_json());
        serde_json::Value::Object(map)
    }

    /// Every scheduled duty of the explicit validators in slots `first..=last` and whether an
    /// includable submission arrived for it (see [`crate::report`]).
    pub fn duty_report(&self, first: u64, last: u64) -> crate::report::DutyReport {
        let mut chain = self.shared.chain();
        let recorder = self.shared.recorder();
        crate::report::duty_report(&mut chain, &recorder, first, last)
    }

    /// The slashable double proposals seen.
    pub fn double_proposals(&self) -> Vec<crate::record::DoubleProposal> {
        self.shared.recorder().double_proposals().to_vec()
    }

    /// Blinded blocks imported at `slots` (proposals through the simulated builder).
    pub fn blinded_blocks(&self, slots: RangeInclusive<u64>) -> u64 {
        self.shared.recorder().blinded_blocks(slots)
    }

    /// Slots of the full (not blinded) blocks imported at `slots`, ascending.
    pub fn full_block_slots(&self, slots: RangeInclusive<u64>) -> Vec<u64> {
        self.shared.recorder().full_block_slots(slots)
    }

    /// The slashable offences seen: `{"double_proposals": [...], "attestations": [...]}` (double
    /// and surround votes).
    pub fn slashable_json(&self) -> serde_json::Value {
        self.shared.recorder().slashable_json()
    }

    /// Per-duty effectiveness, as a text table.
    pub fn summary_text(&self) -> String {
        let mut chain = self.shared.chain();
        self.shared.recorder().summary_text(&mut chain)
    }

    /// The scenario switches now.
    pub fn scenario(&self) -> Scenario {
        self.shared.scenario()
    }

    /// Replaces the scenario switches.
    pub fn set_scenario(&self, scenario: Scenario) {
        *lock(&self.shared.scenario) = scenario;
    }

    /// Schedules an Ephemery-style reset.
    pub fn schedule_reset(&self, reset: Reset) {
        *lock(&self.shared.reset) = Some(reset);
    }

    /// Subscribes to chain events.
    pub fn events(&self) -> broadcast::Receiver<ChainEvent> {
        self.shared.events.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[test]
    fn the_next_slot_starts_at_genesis_then_every_slot() {
        let genesis = 1_000_000;
        let mut config = SimConfig::new(genesis);
        config.filler_validators = 64;
        config.slot_duration = std::time::Duration::from_millis(4_000);
        let clock = ManualClock::new(genesis * 1000 - 700);
        let sim = Simulator::new(config, Arc::new(clock.clone())).unwrap();
        assert_eq!(sim.shared.until_next_slot_ms(), 700);
        for (at, left) in [
            (0, 4_000),
            (1, 3_999),
            (3_999, 1),
            (4_000, 4_000),
            (9_100, 2_900),
        ] {
            clock.set_ms(genesis * 1000 + at);
            assert_eq!(
                sim.shared.until_next_slot_ms(),
                left,
                "{at} ms after genesis"
            );
        }
    }
}
