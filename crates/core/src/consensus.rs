//! The consensus component: one QBFT instance per duty, driven by this node's proposals, the
//! peers' messages and the round timers, synchronous and clock-free (the caller passes unix
//! nanoseconds and schedules the timers it is asked to arm).
//!
//! An instance starts when the node proposes or when a peer's message for a duty within the
//! slot horizon arrives first (a node without its own value still votes). Round deadlines
//! come from [`RoundTimer`] with the chain timing, so every node computes the same absolute
//! deadlines (the spec's eager double linear timer).

use std::collections::BTreeMap;
use std::sync::Arc;

use mosaic_qbft::engine::{Definition, Instance, Output};
use mosaic_qbft::hashing::Hash;
use mosaic_qbft::msg::{decode_and_verify, Rejection};
use mosaic_qbft::pb;
use mosaic_qbft::signing::{Secp256k1Signer, Secp256k1Verifier, SignatureVerifier, Signer};
use mosaic_qbft::timer::{ChainTiming, RoundTimer, TimerType};
use mosaic_types::Slot;
use prost::Message;

use crate::duty::Duty;
use crate::unsigned::UnsignedDataSet;

/// What the driver must do after an input.
#[derive(Debug, Clone)]
pub enum Action {
    /// Send these bytes (a `QBFTConsensusMsg`) to every other peer.
    Broadcast(Vec<u8>),
    /// Call [`Consensus::timeout`] with `duty` and `round` at `deadline_nanos` (unix ns),
    /// replacing any timer armed earlier for the duty.
    ArmTimer {
        /// The instance.
        duty: Duty,
        /// The round timed.
        round: i64,
        /// Absolute deadline, unix nanoseconds.
        deadline_nanos: u64,
    },
    /// Cancel the duty's timer.
    StopTimer(Duty),
    /// The cluster decided `value` for `duty` in `round`.
    Decided {
        /// The duty.
        duty: Duty,
        /// The decided value.
        value: pb::Any,
        /// The deciding round.
        round: i64,
    },
}

/// Why a received consensus message was dropped before reaching an instance.
#[derive(Debug, thiserror::Error)]
pub enum ConsensusError {
    /// Decoding or signature verification failed.
    #[error("consensus message rejected: {0}")]
    Rejected(Rejection),
    /// The duty is not decided by consensus.
    #[error("{0} is not a consensus duty")]
    NotAConsensusDuty(Duty),
    /// The engine refused (the node is not a member, or the proposal is not a consensus value).
    #[error("consensus engine: {0}")]
    Engine(String),
    /// The duty is too old or too far ahead.
    #[error("{duty} is outside the accepted slots {earliest}..={latest}")]
    OutsideHorizon {
        /// The duty.
        duty: Duty,
        /// Oldest slot accepted.
        earliest: Slot,
        /// Newest slot accepted.
        latest: Slot,
    },
}

impl ConsensusError {
    /// A short label for metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Rejected(rejection) => rejection.slug(),
            Self::NotAConsensusDuty(_) => "not_a_consensus_duty",
            Self::Engine(_) => "engine",
            Self::OutsideHorizon { .. } => "outside_horizon",
        }
    }
}

#[derive(Clone)]
struct SharedSigner(Arc<Secp256k1Signer>);

impl Signer for SharedSigner {
    fn sign(&self, root: &Hash) -> [u8; mosaic_qbft::signing::SIGNATURE_LEN] {
        self.0.sign(root)
    }
}

#[derive(Clone)]
struct SharedVerifier(Arc<Secp256k1Verifier>);

impl SignatureVerifier for SharedVerifier {
    fn nodes(&self) -> usize {
        self.0.nodes()
    }

    fn verify(&self, peer_idx: u64, root: &Hash, signature: &[u8]) -> bool {
        self.0.verify(peer_idx, root, signature)
    }
}

struct Running {
    instance: Instance<SharedSigner, SharedVerifier>,
    timer: RoundTimer,
    decided: bool,
}

/// Static configuration of the consensus component.
pub struct ConsensusConfig {
    /// This node's peer index (operator position in the lock).
    pub process: u64,
    /// The node's identity key.
    pub signer: Secp256k1Signer,
    /// The operators' identity keys, in lock order.
    pub verifier: Secp256k1Verifier,
    /// The round timer strategy.
    pub timer: TimerType,
    /// Chain timing for deterministic deadlines.
    pub timing: ChainTiming,
    /// Round timeouts in per mille of the spec's (1000: the spec; see
    /// [`mosaic_qbft::timer::timeout_scale_per_mille`]).
    pub timeout_scale_per_mille: u64,
    /// Instances are accepted for slots `current - behind ..= current + ahead`.
    pub horizon_behind: u64,
    /// See `horizon_behind`.
    pub horizon_ahead: u64,
    /// Checked before this node PREPAREs a leader's proposal (see
    /// [`mosaic_qbft::engine::ValueCheck`]).
    pub value_check: Option<DutyValueCheck>,
}

/// A node's judgement of a proposal for a duty: `Err(reason)` and the node does not prepare it.
pub type DutyValueCheck = Arc<dyn Fn(Duty, &pb::Any) -> Result<(), String> + Send + Sync>;

/// All consensus instances of one node.
pub struct Consensus {
    definition: Definition,
    process: u64,
    signer: SharedSigner,
    verifier: SharedVerifier,
    timer_type: TimerType,
    timing: ChainTiming,
    timeout_scale_per_mille: u64,
    behind: u64,
    ahead: u64,
    value_check: Option<DutyValueCheck>,
    instances: BTreeMap<Duty, Running>,
}

impl Consensus {
    /// A component for a cluster of `verifier.nodes()` operators.
    pub fn new(config: ConsensusConfig) -> Self {
        let verifier = SharedVerifier(Arc::new(config.verifier));
        Self {
            definition: Definition::new(verifier.nodes()),
            process: config.process,
            signer: SharedSigner(Arc::new(config.signer)),
            verifier,
            timer_type: config.timer,
            timing: config.timing,
            timeout_scale_per_mille: config.timeout_scale_per_mille,
            behind: config.horizon_behind,
            ahead: config.horizon_ahead,
            value_check: config.value_check,
            instances: BTreeMap::new(),
        }
    }

    /// Number of running (or decided, not yet trimmed) instances.
    pub fn len(&self) -> usize {
        self.instances.len()
    }

    /// Whether no instance exists.
    pub fn is_empty(&self) -> bool {
        self.instances.is_empty()
    }

    /// The current round of `duty`'s instance.
    pub fn round(&self, duty: Duty) -> Option<i64> {
        self.instances.get(&duty).map(|r| r.instance.round())
    }

    fn check(&self, duty: Duty, current_slot: Slot) -> Result<(), ConsensusError> {
        // InfoSync decides a `PriorityResult` (Obol spec priority.md), every other consensus
        // duty an unsigned data set.
        if duty.duty_type != crate::duty::DutyType::InfoSync
            && !UnsignedDataSet::<mosaic_types::consensus::Minimal>::is_consensus_duty(
                duty.duty_type,
            )
        {
            return Err(ConsensusError::NotAConsensusDuty(duty));
        }
        let earliest = current_slot.saturating_sub(self.behind);
        let latest = current_slot.saturating_add(self.ahead);
        if duty.slot < earliest || duty.slot > latest {
            return Err(ConsensusError::OutsideHorizon {
                duty,
                earliest,
                latest,
            });
        }
        Ok(())
    }

    fn running(
        &mut self,
        duty: Duty,
        now_nanos: u64,
        actions: &mut Vec<Action>,
    ) -> Result<&mut Running, ConsensusError> {
        if !self.instances.contains_key(&duty) {
            let instance = Instance::new(
                self.definition,
                duty,
                self.process,
                self.signer.clone(),
                self.verifier.clone(),
            )
            .map_err(|e| ConsensusError::Engine(e.to_string()))?;
            let mut instance = instance;
            if let Some(check) = &self.value_check {
                let check = check.clone();
                instance.set_value_check(Box::new(move |value| check(duty, value)));
            }
            let mut running = Running {
                instance,
                timer: RoundTimer::new(self.timer_type, duty, Some(self.timing))
                    .scaled(self.timeout_scale_per_mille),
                decided: false,
            };
            let outputs = running.instance.start();
            translate(duty, &mut running, outputs, now_nanos, actions);
            self.instances.insert(duty, running);
        }
        self.instances
            .get_mut(&duty)
            .ok_or_else(|| ConsensusError::Engine(format!("{duty}: instance vanished")))
    }

    /// Proposes this node's value for `duty` (starting the instance if needed).
    pub fn propose(
        &mut self,
        duty: Duty,
        value: pb::Any,
        current_slot: Slot,
        now_nanos: u64,
    ) -> Result<Vec<Action>, ConsensusError> {
        self.check(duty, current_slot)?;
        let mut actions = Vec::new();
        let running = self.running(duty, now_nanos, &mut actions)?;
        match running.instance.propose(value) {
            Ok(outputs) => translate(duty, running, outputs, now_nanos, &mut actions),
            Err(error) => return Err(ConsensusError::Engine(error.to_string())),
        }
        Ok(actions)
    }

    /// Handles a `QBFTConsensusMsg` received from a peer.
    pub fn receive(
        &mut self,
        bytes: &[u8],
        current_slot: Slot,
        now_nanos: u64,
    ) -> Result<Vec<Action>, ConsensusError> {
        let verified =
            decode_and_verify(&self.verifier, bytes).map_err(ConsensusError::Rejected)?;
        let duty = verified.msg.duty;
        self.check(duty, current_slot)?;
        let mut actions = Vec::new();
        let running = self.running(duty, now_nanos, &mut actions)?;
        let outputs = running.instance.receive_verified(verified);
        translate(duty, running, outputs, now_nanos, &mut actions);
        Ok(actions)
    }

    /// The round timer of `duty` for `round` expired.
    pub fn timeout(&mut self, duty: Duty, round: i64, now_nanos: u64) -> Vec<Action> {
        let mut actions = Vec::new();
        if let Some(running) = self.instances.get_mut(&duty) {
            let outputs = running.instance.timeout(round);
            translate(duty, running, outputs, now_nanos, &mut actions);
        }
        actions
    }

    /// Drops every instance of a slot before `slot`.
    pub fn trim(&mut self, slot: Slot) {
        self.instances.retain(|duty, _| duty.slot >= slot);
    }
}

fn translate(
    duty: Duty,
    running: &mut Running,
    outputs: Vec<Output>,
    now_nanos: u64,
    actions: &mut Vec<Action>,
) {
    for output in outputs {
        match output {
            Output::Broadcast(envelope) => {
                actions.push(Action::Broadcast(envelope.encode_to_vec()))
            }
            Output::ArmTimer { round } => {
                if !running.decided {
                    let deadline_nanos = running.timer.arm(round, now_nanos);
                    actions.push(Action::ArmTimer {
                        duty,
                        round,
                        deadline_nanos,
                    });
                }
            }
            Output::StopTimer => actions.push(Action::StopTimer(duty)),
            Output::Decided(decision) => {
                running.decided = true;
                actions.push(Action::Decided {
                    duty,
                    value: decision.value,
                    round: decision.round,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::duty::DutyType;
    use mosaic_crypto::secp256k1::SecretKey;
    use mosaic_qbft::value::UNSIGNED_DATA_SET_TYPE_URL;
    use std::collections::VecDeque;

    fn cluster(nodes: usize) -> Vec<Consensus> {
        cluster_with_check(nodes, None)
    }

    fn cluster_with_check(nodes: usize, check: Option<DutyValueCheck>) -> Vec<Consensus> {
        let keys: Vec<SecretKey> = (0..nodes).map(|_| SecretKey::random()).collect();
        let publics: Vec<_> = keys.iter().map(SecretKey::public_key).collect();
        keys.into_iter()
            .enumerate()
            .map(|(process, key)| {
                Consensus::new(ConsensusConfig {
                    process: process as u64,
                    signer: Secp256k1Signer::new(key),
                    verifier: Secp256k1Verifier::new(publics.clone()),
                    timer: TimerType::EagerDoubleLinear,
                    timing: ChainTiming {
                        genesis_time_nanos: 0,
                        slot_duration_nanos: 12_000_000_000,
                    },
                    timeout_scale_per_mille: 1000,
                    horizon_behind: 64,
                    horizon_ahead: 64,
                    value_check: check.clone(),
                })
            })
            .collect()
    }

    fn value(byte: u8) -> pb::Any {
        let set = pb::UnsignedDataSet {
            set: [(format!("0x{byte:02x}"), vec![byte])].into(),
        };
        pb::Any {
            type_url: UNSIGNED_DATA_SET_TYPE_URL.into(),
            value: set.encode_to_vec(),
        }
    }

    /// Delivers every broadcast to every other node until quiet; returns each node's decision.
    fn run(nodes: &mut [Consensus], initial: Vec<(usize, Vec<Action>)>) -> Vec<Option<pb::Any>> {
        let mut decided = vec![None; nodes.len()];
        let mut queue: VecDeque<(usize, Action)> = initial
            .into_iter()
            .flat_map(|(from, actions)| actions.into_iter().map(move |a| (from, a)))
            .collect();
        while let Some((from, action)) = queue.pop_front() {
            match action {
                Action::Broadcast(bytes) => {
                    for (to, node) in nodes.iter_mut().enumerate() {
                        if to != from {
                            let actions = node.receive(&bytes, 10, 0).unwrap();
                            queue.extend(actions.into_iter().map(|a| (to, a)));
                        }
                    }
                }
                Action::Decided { value, .. } => decided[from] = Some(value),
                Action::ArmTimer { .. } | Action::StopTimer(_) => {}
            }
        }
        decided
    }

    #[test]
    fn four_nodes_decide_the_leaders_value() {
        let mut nodes = cluster(4);
        let duty = Duty::new(10, DutyType::Attester);
        let initial = (0..4)
            .map(|i| {
                let actions = nodes[i].propose(duty, value(i as u8), 10, 0).unwrap();
                (i, actions)
            })
            .collect();
        let decided = run(&mut nodes, initial);
        let first = decided[0].clone().expect("node 0 decided");
        assert!(decided.iter().all(|d| d.as_ref() == Some(&first)));
    }

    #[test]
    fn a_node_without_a_value_still_decides() {
        let mut nodes = cluster(4);
        let duty = Duty::new(10, DutyType::Proposer);
        let initial = (0..3)
            .map(|i| (i, nodes[i].propose(duty, value(7), 10, 0).unwrap()))
            .collect();
        let decided = run(&mut nodes, initial);
        assert_eq!(decided[3], Some(value(7)));
    }

    #[test]
    fn a_refused_leader_value_is_not_decided_and_the_next_round_decides() {
        let duty = Duty::new(10, DutyType::Attester);
        let leader = (0..4u64)
            .find(|i| Definition::new(4).is_leader(duty, 1, *i))
            .unwrap() as usize;
        let refused = value(leader as u8);
        let check: DutyValueCheck = {
            let refused = refused.clone();
            Arc::new(move |_, value: &pb::Any| {
                if *value == refused {
                    Err("slashable".into())
                } else {
                    Ok(())
                }
            })
        };
        let mut nodes = cluster_with_check(4, Some(check));
        let initial = (0..4)
            .map(|i| (i, nodes[i].propose(duty, value(i as u8), 10, 0).unwrap()))
            .collect();
        let decided = run(&mut nodes, initial);
        assert!(
            decided.iter().all(Option::is_none),
            "round 1 decided a refused value"
        );
        let timeouts = (0..4).map(|i| (i, nodes[i].timeout(duty, 1, 0))).collect();
        let decided = run(&mut nodes, timeouts);
        let first = decided[0].clone().expect("round 2 decided");
        assert_ne!(first, refused);
        assert!(decided.iter().all(|d| d.as_ref() == Some(&first)));
    }

    #[test]
    fn refuses_non_consensus_duties_and_slots_outside_the_horizon() {
        let mut nodes = cluster(4);
        let error = nodes[0]
            .propose(Duty::new(10, DutyType::Randao), value(1), 10, 0)
            .unwrap_err();
        assert_eq!(error.reason(), "not_a_consensus_duty");
        for slot in [75, 200] {
            let error = nodes[0]
                .propose(Duty::new(slot, DutyType::Attester), value(1), 10, 0)
                .unwrap_err();
            assert_eq!(error.reason(), "outside_horizon");
        }
        // One slot inside each bound is accepted.
        assert!(nodes[0]
            .propose(Duty::new(74, DutyType::Attester), value(1), 10, 0)
            .is_ok());
        assert!(nodes[1]
            .propose(Duty::new(0, DutyType::Attester), value(1), 10, 0)
            .is_ok());
        let error = nodes[2].receive(b"garbage", 10, 0).unwrap_err();
        assert!(matches!(error, ConsensusError::Rejected(_)));
    }

    #[test]
    fn info_sync_priority_results_are_decided() {
        let mut nodes = cluster(4);
        let duty = Duty::new(7, DutyType::InfoSync);
        let agreed = pb::PriorityResult {
            msgs: Vec::new(),
            topics: vec![pb::PriorityTopicResult {
                topic: Some(mosaic_qbft::encoding::any_string("version")),
                priorities: Vec::new(),
            }],
        };
        let (result, _) = mosaic_qbft::value::wrap_priority_result(&agreed);
        let initial = (0..4)
            .map(|i| {
                (
                    i,
                    nodes[i]
                        .propose(duty, result.clone(), 7, 0)
                        .expect("proposed"),
                )
            })
            .collect();
        let decided = run(&mut nodes, initial);
        assert!(
            decided.iter().all(|d| d.as_ref() == Some(&result)),
            "{decided:?}"
        );
    }

    #[test]
    fn timers_arm_at_chain_aligned_deadlines() {
        let mut nodes = cluster(4);
        let duty = Duty::new(2, DutyType::Attester);
        let actions = nodes[1].propose(duty, value(1), 2, 123).unwrap();
        let deadline = actions.iter().find_map(|a| match a {
            Action::ArmTimer { deadline_nanos, .. } => Some(*deadline_nanos),
            _ => None,
        });
        // Slot 2 starts at 24 s, attestations a third into it (28 s), round 1 lasts 1 s.
        assert_eq!(deadline, Some(29_000_000_000));
        let after = nodes[1].timeout(duty, 1, 29_000_000_000);
        assert!(after
            .iter()
            .any(|a| matches!(a, Action::ArmTimer { round: 2, .. })));
        assert_eq!(nodes[1].round(duty), Some(2));
    }
}
