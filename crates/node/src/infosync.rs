//! InfoSync over the priority protocol (Obol spec `infosync.md` and `priority.md`): in the last
//! slot of every epoch each node signs what it supports (Charon minor versions, libp2p protocol
//! IDs, block proposal types), exchanges it with every peer on `/charon/priority/2.0.0`
//! (request-response: each side answers with its own message), scores the messages into a
//! cluster-wide result ([`mosaic_qbft::priority::calculate_result`]) once every peer's message
//! is in or the exchange timeout passed, and decides that result with QBFT under the duty
//! `(slot, INFO_SYNC)`. Decided results are kept by slot; the one governing a slot says which
//! proposal types the cluster may use (only `full` before the first agreement: builder
//! proposals wait until threshold nodes said they support them).
//!
//! The pure parts (local priority order, message checks, result history) are functions and
//! plain types; [`InfoSync`] adds the exchange's state and its I/O.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use mosaic_core::Duty;
use mosaic_monitor::Metrics;
use mosaic_p2p::{P2pHandle, PeerId, Protocol, Responder};
use mosaic_qbft::duty::DutyType;
use mosaic_qbft::encoding::any_string;
use mosaic_qbft::pb;
use mosaic_qbft::priority::{calculate_result, decode_any_string, msg_signing_root};
use mosaic_qbft::signing::{Secp256k1Signer, Secp256k1Verifier, SignatureVerifier, Signer};
use mosaic_qbft::value::{wrap_priority_result, PRIORITY_RESULT_TYPE_URL};
use mosaic_types::Slot;
use prost::Message;
use tokio::sync::mpsc;

use crate::core::ConsensusInput;

/// Topic of the supported Charon minor versions (advisory).
pub const TOPIC_VERSION: &str = "version";
/// Topic of the supported libp2p protocol IDs (selects the consensus protocol).
pub const TOPIC_PROTOCOL: &str = "protocol";
/// Topic of the supported block proposal types (selects which may be used).
pub const TOPIC_PROPOSAL: &str = "proposal";
/// Proposal type: full beacon blocks, always supported.
pub const PROPOSAL_FULL: &str = "full";
/// Proposal type: blinded blocks through the builder API.
pub const PROPOSAL_BUILDER: &str = "builder";
/// Agreed results kept (the spec's `MAX_RESULTS`).
pub const MAX_RESULTS: usize = 100;
/// The consensus protocol Mosaic runs, and the fallback of an agreement naming none.
pub const QBFT_V2_PROTOCOL_ID: &str = mosaic_p2p::protocol::CONSENSUS_PROTOCOL_ID;
/// Prefix that marks the consensus protocols among the agreed protocol IDs.
pub const CONSENSUS_PROTOCOL_PREFIX: &str = "/charon/consensus/";
/// The Charon minor versions whose wire protocols (cluster files, protocol IDs, messages,
/// QBFT rules as the Obol spec describes them) Mosaic speaks, most recent first. Every
/// Charon 1.x release lists the 1.x minors up to its own, so a mixed cluster agrees on
/// those both sides name.
pub const SUPPORTED_VERSIONS: [&str; 8] = [
    "v1.7", "v1.6", "v1.5", "v1.4", "v1.3", "v1.2", "v1.1", "v1.0",
];
/// The spec's exchange timeout for 12 s slots (half a slot); shorter slots use half their
/// length (see [`exchange_timeout`]).
pub const SPEC_EXCHANGE_TIMEOUT: Duration = Duration::from_secs(6);

/// Whether `slot` triggers an exchange: the last slot of its epoch.
pub fn is_infosync_slot(slot: Slot, slots_per_epoch: u64) -> bool {
    slots_per_epoch > 0 && slot % slots_per_epoch == slots_per_epoch - 1
}

/// How long the exchange waits for every peer: half a slot, at most the spec's 6 s.
pub fn exchange_timeout(slot_duration: Duration) -> Duration {
    (slot_duration / 2).min(SPEC_EXCHANGE_TIMEOUT)
}

/// This node's proposal types in the spec's order: `builder` if the builder API is on, then
/// always `full` (Mosaic has no synthetic proposals).
pub fn local_proposal_types(builder: bool) -> Vec<String> {
    let mut types = Vec::new();
    if builder {
        types.push(PROPOSAL_BUILDER.to_owned());
    }
    types.push(PROPOSAL_FULL.to_owned());
    types
}

/// This node's protocol IDs in proposal order: every protocol it serves (consensus first),
/// with every version of the lock's preferred consensus protocol (a name such as `qbft`, or
/// empty) moved to the front, relative order kept.
pub fn local_protocols(lock_preferred_protocol: &str) -> Vec<String> {
    let base: Vec<String> = Protocol::ALL.iter().map(|p| p.id().to_owned()).collect();
    if lock_preferred_protocol.is_empty() {
        return base;
    }
    prioritize_protocols_by_name(lock_preferred_protocol, base)
}

/// Moves every version of the consensus protocol `name` (IDs under
/// `/charon/consensus/{name}/`) to the front, keeping the relative order of both parts.
pub fn prioritize_protocols_by_name(name: &str, protocols: Vec<String>) -> Vec<String> {
    let prefix = format!("{CONSENSUS_PROTOCOL_PREFIX}{name}/");
    let (mut bumped, others): (Vec<String>, Vec<String>) =
        protocols.into_iter().partition(|p| p.starts_with(&prefix));
    bumped.extend(others);
    bumped
}

/// The three topics this node proposes, each an ordered list of strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalPriorities {
    /// Supported Charon minor versions, most recent first.
    pub versions: Vec<String>,
    /// Supported protocol IDs, most preferred first.
    pub protocols: Vec<String>,
    /// Supported proposal types, most preferred first.
    pub proposals: Vec<String>,
}

impl LocalPriorities {
    /// What a Mosaic node proposes.
    pub fn new(builder: bool, lock_preferred_protocol: &str) -> Self {
        Self {
            versions: SUPPORTED_VERSIONS.iter().map(|v| (*v).to_owned()).collect(),
            protocols: local_protocols(lock_preferred_protocol),
            proposals: local_proposal_types(builder),
        }
    }

    /// The topics as the wire carries them (`google.protobuf.Value` strings in `Any`s).
    pub fn topics(&self) -> Vec<pb::PriorityTopicProposal> {
        [
            (TOPIC_VERSION, &self.versions),
            (TOPIC_PROTOCOL, &self.protocols),
            (TOPIC_PROPOSAL, &self.proposals),
        ]
        .into_iter()
        .map(|(topic, priorities)| pb::PriorityTopicProposal {
            topic: Some(any_string(topic)),
            priorities: priorities.iter().map(|p| any_string(p)).collect(),
        })
        .collect()
    }
}

/// One cluster-wide agreement: each topic's surviving priorities in agreed order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agreement {
    /// Slot of the InfoSync duty that produced it.
    pub slot: Slot,
    /// Agreed versions.
    pub versions: Vec<String>,
    /// Agreed protocol IDs.
    pub protocols: Vec<String>,
    /// Agreed proposal types.
    pub proposals: Vec<String>,
    /// How many nodes' messages the decided result was scored from.
    pub messages: usize,
}

impl Agreement {
    /// Reads a decided result; topics and priorities that are not strings are ignored.
    pub fn from_result(slot: Slot, result: &pb::PriorityResult) -> Self {
        let mut agreement = Self {
            slot,
            versions: Vec::new(),
            protocols: Vec::new(),
            proposals: Vec::new(),
            messages: result.msgs.len(),
        };
        for topic in &result.topics {
            let Some(name) = topic.topic.as_ref().and_then(decode_any_string) else {
                continue;
            };
            let target = match name.as_str() {
                TOPIC_VERSION => &mut agreement.versions,
                TOPIC_PROTOCOL => &mut agreement.protocols,
                TOPIC_PROPOSAL => &mut agreement.proposals,
                _ => continue,
            };
            target.extend(
                topic
                    .priorities
                    .iter()
                    .filter_map(|p| p.priority.as_ref().and_then(decode_any_string)),
            );
        }
        agreement
    }

    /// The cluster's consensus protocol: the first agreed ID under `/charon/consensus/`, or
    /// QBFT v2 if none is.
    pub fn consensus_protocol(&self) -> &str {
        self.protocols
            .iter()
            .find(|p| p.starts_with(CONSENSUS_PROTOCOL_PREFIX))
            .map_or(QBFT_V2_PROTOCOL_ID, String::as_str)
    }
}

/// The agreements kept, oldest first, looked up by slot (never by recency).
#[derive(Debug, Clone, Default)]
pub struct Agreements {
    kept: VecDeque<Agreement>,
}

impl Agreements {
    /// Records an agreement unless its version topic is empty (no real agreement) or it equals
    /// the newest; keeps fewer than [`MAX_RESULTS`]. Returns whether it was recorded.
    pub fn add(&mut self, agreement: Agreement) -> bool {
        if agreement.versions.is_empty() || self.kept.back() == Some(&agreement) {
            return false;
        }
        self.kept.push_back(agreement);
        while self.kept.len() >= MAX_RESULTS {
            self.kept.pop_front();
        }
        true
    }

    /// The newest agreement whose slot is not after `slot`.
    pub fn governing(&self, slot: Slot) -> Option<&Agreement> {
        self.kept.iter().take_while(|a| a.slot <= slot).last()
    }

    /// The proposal types in force at `slot`: the governing agreement's, or only `full`.
    pub fn proposal_types(&self, slot: Slot) -> Vec<String> {
        self.governing(slot).map_or_else(
            || vec![PROPOSAL_FULL.to_owned()],
            |agreement| agreement.proposals.clone(),
        )
    }

    /// Number of agreements kept.
    pub fn len(&self) -> usize {
        self.kept.len()
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.kept.is_empty()
    }
}

/// Why a peer's priority message was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PriorityRejection {
    /// The bytes are not a `PriorityMsg`.
    #[error("undecodable priority message: {0}")]
    Undecodable(String),
    /// The message names no duty, or an unknown duty type.
    #[error("priority message without a valid duty")]
    NoDuty,
    /// The duty is not an InfoSync duty (the only priority instance Mosaic runs).
    #[error("priority message for {0}, not an InfoSync duty")]
    NotInfoSync(Duty),
    /// The message claims another sender than the authenticated one.
    #[error("priority message claims peer {claimed}, sent by {sender}")]
    PeerMismatch {
        /// `peer_id` in the message.
        claimed: String,
        /// The authenticated sender.
        sender: PeerId,
    },
    /// The sender is not an operator of the cluster.
    #[error("priority message from {0}, not a cluster operator")]
    UnknownPeer(PeerId),
    /// The signature does not recover to the sender's identity key.
    #[error("priority message signature does not verify for {0}")]
    BadSignature(PeerId),
    /// The duty's slot is outside the slots accepted now.
    #[error("priority message for slot {slot}, outside {earliest}..={latest}")]
    Expired {
        /// The message's slot.
        slot: Slot,
        /// Oldest slot accepted.
        earliest: Slot,
        /// Newest slot accepted.
        latest: Slot,
    },
}

impl PriorityRejection {
    /// A short label for metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Undecodable(_) => "undecodable",
            Self::NoDuty => "no_duty",
            Self::NotInfoSync(_) => "not_info_sync",
            Self::PeerMismatch { .. } => "peer_mismatch",
            Self::UnknownPeer(_) => "unknown_peer",
            Self::BadSignature(_) => "bad_signature",
            Self::Expired { .. } => "expired",
        }
    }
}

/// The cluster's identity keys, to check who signed a priority message.
#[derive(Debug, Clone)]
pub struct PriorityVerifier {
    verifier: Secp256k1Verifier,
    index_by_peer: HashMap<PeerId, u64>,
    /// Slots accepted before and after the current one.
    horizon: u64,
}

impl PriorityVerifier {
    /// A verifier for the operators `peers` (peer ID and identity key, in lock order),
    /// accepting duties `horizon` slots either side of the current slot.
    pub fn new(peers: &[(PeerId, mosaic_crypto::secp256k1::PublicKey)], horizon: u64) -> Self {
        Self {
            verifier: Secp256k1Verifier::new(peers.iter().map(|(_, key)| *key).collect()),
            index_by_peer: peers
                .iter()
                .enumerate()
                .map(|(index, (peer, _))| (*peer, index as u64))
                .collect(),
            horizon,
        }
    }

    /// Decodes and checks a message from the authenticated `sender`: an InfoSync duty within
    /// the horizon of `current_slot`, `peer_id` naming the sender, signed by the sender's key.
    pub fn check(
        &self,
        sender: &PeerId,
        bytes: &[u8],
        current_slot: Slot,
    ) -> Result<(pb::PriorityMsg, Duty), PriorityRejection> {
        let msg = pb::PriorityMsg::decode(bytes)
            .map_err(|e| PriorityRejection::Undecodable(e.to_string()))?;
        let duty = msg
            .duty
            .as_ref()
            .and_then(Duty::from_pb)
            .ok_or(PriorityRejection::NoDuty)?;
        if duty.duty_type != DutyType::InfoSync {
            return Err(PriorityRejection::NotInfoSync(duty));
        }
        let earliest = current_slot.saturating_sub(self.horizon);
        let latest = current_slot.saturating_add(self.horizon);
        if duty.slot < earliest || duty.slot > latest {
            return Err(PriorityRejection::Expired {
                slot: duty.slot,
                earliest,
                latest,
            });
        }
        if msg.peer_id != sender.to_string() {
            return Err(PriorityRejection::PeerMismatch {
                claimed: msg.peer_id.clone(),
                sender: *sender,
            });
        }
        let index = *self
            .index_by_peer
            .get(sender)
            .ok_or(PriorityRejection::UnknownPeer(*sender))?;
        if !self
            .verifier
            .verify(index, &msg_signing_root(&msg), &msg.signature)
        {
            return Err(PriorityRejection::BadSignature(*sender));
        }
        Ok((msg, duty))
    }
}

/// Signs this node's message for an InfoSync duty.
pub fn sign_message(
    signer: &Secp256k1Signer,
    own_peer: &PeerId,
    duty: Duty,
    topics: Vec<pb::PriorityTopicProposal>,
) -> pb::PriorityMsg {
    let mut msg = pb::PriorityMsg {
        duty: Some(duty.to_pb()),
        topics,
        peer_id: own_peer.to_string(),
        signature: Vec::new(),
    };
    msg.signature = signer.sign(&msg_signing_root(&msg)).to_vec();
    msg
}

/// One duty's exchange.
#[derive(Default)]
struct Exchange {
    /// The first message from each peer (own included), by peer ID text.
    msgs: BTreeMap<String, pb::PriorityMsg>,
    /// This node's message, once triggered.
    own: Option<pb::PriorityMsg>,
    /// Peers' requests waiting for this node's message.
    pending: Vec<Responder>,
    /// Whether this node proposed a result.
    proposed: bool,
}

#[derive(Default)]
struct State {
    exchanges: BTreeMap<Slot, Exchange>,
    agreements: Agreements,
}

/// Everything InfoSync needs to run in a node.
pub struct InfoSyncConfig {
    /// This node's identity key (signs its messages).
    pub signer: Secp256k1Signer,
    /// Checks the peers' messages.
    pub verifier: PriorityVerifier,
    /// Cluster size.
    pub nodes: usize,
    /// Messages a priority needs to survive scoring (the cluster threshold).
    pub min_required: usize,
    /// How long to wait for every peer before proposing.
    pub exchange_timeout: Duration,
    /// What this node proposes.
    pub local: LocalPriorities,
}

/// The running InfoSync component of a node.
pub struct InfoSync {
    config: InfoSyncConfig,
    p2p: P2pHandle,
    consensus: mpsc::Sender<ConsensusInput>,
    metrics: Arc<Metrics>,
    labels: HashMap<PeerId, String>,
    state: Mutex<State>,
}

impl InfoSync {
    /// The component, talking to peers through `p2p` and proposing through `consensus`.
    pub fn new(
        config: InfoSyncConfig,
        p2p: P2pHandle,
        consensus: mpsc::Sender<ConsensusInput>,
        metrics: Arc<Metrics>,
        labels: HashMap<PeerId, String>,
    ) -> Self {
        Self {
            config,
            p2p,
            consensus,
            metrics,
            labels,
            state: Mutex::new(State::default()),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn label(&self, peer: &PeerId) -> String {
        self.labels
            .get(peer)
            .cloned()
            .unwrap_or_else(|| peer.to_string())
    }

    /// Starts this node's exchange for the InfoSync duty of `slot` (the last slot of an
    /// epoch): answers peers that asked first, asks every other peer, and proposes when all
    /// messages are in or the timeout passes.
    pub fn trigger(self: &Arc<Self>, slot: Slot) {
        let duty = Duty::new(slot, DutyType::InfoSync);
        let own_peer = self.p2p.local_peer_id();
        let msg = sign_message(
            &self.config.signer,
            &own_peer,
            duty,
            self.config.local.topics(),
        );
        let bytes = msg.encode_to_vec();
        let first = {
            let mut state = self.state();
            let first = !state.exchanges.contains_key(&slot);
            let exchange = state.exchanges.entry(slot).or_default();
            if exchange.own.is_some() {
                return; // Triggered already.
            }
            exchange.own = Some(msg.clone());
            exchange.msgs.entry(msg.peer_id.clone()).or_insert(msg);
            for responder in exchange.pending.drain(..) {
                let _ = responder.respond(bytes.clone());
            }
            first
        };
        tracing::debug!(slot, "infosync exchange started");
        if first {
            self.arm_timeout(slot);
        }
        self.propose_if_complete(slot);
        for peer in self.p2p.peers().iter().map(|p| p.peer_id) {
            if peer == own_peer {
                continue;
            }
            let this = self.clone();
            let request = bytes.clone();
            tokio::spawn(async move {
                match this.p2p.request(peer, Protocol::Priority, &request).await {
                    Ok(answer) => this.take_peer_message(&peer, &answer, slot),
                    Err(error) => {
                        tracing::debug!(%peer, slot, %error, "priority request failed");
                    }
                }
            });
        }
    }

    /// Answers a peer's priority request with this node's message for the same duty (at once
    /// if this node triggered it, else when it does), keeping the peer's message.
    pub fn answer(
        self: &Arc<Self>,
        from: &PeerId,
        bytes: &[u8],
        responder: Responder,
        current_slot: Slot,
    ) {
        let (msg, duty) = match self.config.verifier.check(from, bytes, current_slot) {
            Ok(checked) => checked,
            Err(rejection) => {
                self.refused(from, &rejection);
                return; // Dropping the responder closes the stream unanswered.
            }
        };
        let first = {
            let mut state = self.state();
            let first = !state.exchanges.contains_key(&duty.slot);
            let exchange = state.exchanges.entry(duty.slot).or_default();
            exchange.msgs.entry(msg.peer_id.clone()).or_insert(msg);
            match &exchange.own {
                Some(own) => {
                    let _ = responder.respond(own.encode_to_vec());
                }
                None => exchange.pending.push(responder),
            }
            first
        };
        if first {
            self.arm_timeout(duty.slot);
        }
        self.propose_if_complete(duty.slot);
    }

    fn take_peer_message(self: &Arc<Self>, from: &PeerId, bytes: &[u8], slot: Slot) {
        match self.config.verifier.check(from, bytes, slot) {
            Ok((msg, duty)) if duty.slot == slot => {
                if let Some(exchange) = self.state().exchanges.get_mut(&slot) {
                    exchange.msgs.entry(msg.peer_id.clone()).or_insert(msg);
                }
                self.propose_if_complete(slot);
            }
            Ok((_, duty)) => self.refused(from, &PriorityRejection::NotInfoSync(duty)),
            Err(rejection) => self.refused(from, &rejection),
        }
    }

    fn refused(&self, from: &PeerId, rejection: &PriorityRejection) {
        let peer = self.label(from);
        tracing::warn!(%peer, %rejection, "priority message refused");
        self.metrics.priority_rejected(rejection.reason(), &peer);
    }

    fn arm_timeout(self: &Arc<Self>, slot: Slot) {
        let this = Arc::downgrade(self);
        let timeout = self.config.exchange_timeout;
        tokio::spawn(async move {
            tokio::time::sleep(timeout).await;
            if let Some(this) = this.upgrade() {
                this.propose(slot, true);
            }
        });
    }

    fn propose_if_complete(&self, slot: Slot) {
        self.propose(slot, false);
    }

    /// Scores the exchange and proposes the result, once: when every node's message is in,
    /// or (`timed_out`) with whatever arrived.
    fn propose(&self, slot: Slot, timed_out: bool) {
        let msgs: Vec<pb::PriorityMsg> = {
            let mut state = self.state();
            let Some(exchange) = state.exchanges.get_mut(&slot) else {
                return;
            };
            let complete = exchange.msgs.len() >= self.config.nodes;
            if exchange.proposed || !(complete || timed_out) {
                return;
            }
            exchange.proposed = true;
            exchange.msgs.values().cloned().collect()
        };
        let received = msgs.len();
        let result = match calculate_result(&msgs, self.config.min_required) {
            Ok(result) => result,
            Err(error) => {
                tracing::warn!(slot, %error, "infosync result not computed");
                return;
            }
        };
        let (value, _) = wrap_priority_result(&result);
        tracing::debug!(slot, received, timed_out, "infosync result proposed");
        let duty = Duty::new(slot, DutyType::InfoSync);
        let sender = self.consensus.clone();
        tokio::spawn(async move {
            let _ = sender.send(ConsensusInput::Propose { duty, value }).await;
        });
    }

    /// Records the cluster's decision for an InfoSync duty.
    pub fn decided(&self, duty: Duty, value: &pb::Any) {
        let result = match decode_result(value) {
            Ok(result) => result,
            Err(reason) => {
                tracing::error!(%duty, %reason, "decided infosync value refused");
                return;
            }
        };
        let agreement = Agreement::from_result(duty.slot, &result);
        let recorded = self.state().agreements.add(agreement.clone());
        if recorded {
            self.metrics.infosync_agreed(&agreement.proposals.join(","));
            tracing::info!(
                slot = duty.slot,
                nodes = agreement.messages,
                versions = ?agreement.versions,
                consensus = agreement.consensus_protocol(),
                proposals = ?agreement.proposals,
                "cluster agreed on versions, protocols and proposal types"
            );
        } else {
            tracing::warn!(
                slot = duty.slot,
                "infosync decided without an agreed version; not recorded"
            );
        }
    }

    /// The agreement governing `slot`, if any.
    pub fn agreement(&self, slot: Slot) -> Option<Agreement> {
        self.state().agreements.governing(slot).cloned()
    }

    /// The proposal types the cluster may use at `slot` (only `full` before an agreement).
    pub fn proposal_types(&self, slot: Slot) -> Vec<String> {
        self.state().agreements.proposal_types(slot)
    }

    /// Whether builder (blinded) proposals are agreed for `slot`.
    pub fn builder_agreed(&self, slot: Slot) -> bool {
        self.proposal_types(slot)
            .iter()
            .any(|p| p == PROPOSAL_BUILDER)
    }

    /// Drops the exchanges of slots before `slot` (unanswered requests are closed).
    pub fn trim(&self, slot: Slot) {
        self.state().exchanges.retain(|s, _| *s >= slot);
    }
}

/// Decodes a decided InfoSync value: a `PriorityResult` in an `Any`.
pub fn decode_result(value: &pb::Any) -> Result<pb::PriorityResult, String> {
    if value.type_url != PRIORITY_RESULT_TYPE_URL {
        return Err(format!("type {} is not a PriorityResult", value.type_url));
    }
    pb::PriorityResult::decode(value.value.as_slice()).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use mosaic_crypto::secp256k1::SecretKey;

    fn key(seed: u8) -> SecretKey {
        SecretKey::from_bytes(&[seed; 32]).expect("valid key")
    }

    fn peer_of(key: &SecretKey) -> PeerId {
        mosaic_p2p::identity::peer_id_from_public_key(&key.public_key()).expect("peer id")
    }

    fn cluster() -> (Vec<SecretKey>, Vec<PeerId>, PriorityVerifier) {
        let keys: Vec<SecretKey> = (1..=4).map(key).collect();
        let peers: Vec<PeerId> = keys.iter().map(peer_of).collect();
        let pairs: Vec<(PeerId, _)> = peers
            .iter()
            .zip(&keys)
            .map(|(peer, key)| (*peer, key.public_key()))
            .collect();
        (keys, peers, PriorityVerifier::new(&pairs, 16))
    }

    fn signed(key: &SecretKey, peer: &PeerId, duty: Duty) -> pb::PriorityMsg {
        let local = LocalPriorities::new(false, "");
        sign_message(
            &Secp256k1Signer::new(key.clone()),
            peer,
            duty,
            local.topics(),
        )
    }

    #[test]
    fn the_last_slot_of_each_epoch_triggers() {
        assert!(is_infosync_slot(7, 8));
        assert!(is_infosync_slot(31, 32));
        assert!(!is_infosync_slot(8, 8));
        assert!(!is_infosync_slot(6, 8));
        assert!(!is_infosync_slot(0, 32));
        assert!(!is_infosync_slot(5, 0));
    }

    #[test]
    fn exchange_waits_half_a_slot_at_most_six_seconds() {
        assert_eq!(
            exchange_timeout(Duration::from_secs(12)),
            SPEC_EXCHANGE_TIMEOUT
        );
        assert_eq!(
            exchange_timeout(Duration::from_secs(24)),
            SPEC_EXCHANGE_TIMEOUT
        );
        assert_eq!(
            exchange_timeout(Duration::from_secs(2)),
            Duration::from_secs(1)
        );
    }

    #[test]
    fn local_order_follows_the_spec() {
        assert_eq!(local_proposal_types(true), ["builder", "full"]);
        assert_eq!(local_proposal_types(false), ["full"]);
        let protocols = local_protocols("");
        assert_eq!(protocols[0], "/charon/consensus/qbft/2.0.0");
        assert_eq!(protocols.len(), Protocol::ALL.len());
        assert!(protocols.contains(&"/charon/priority/2.0.0".to_owned()));
        // The lock's preference moves its protocol's versions first; others keep their order.
        assert_eq!(local_protocols("qbft"), protocols);
        assert_eq!(local_protocols("unknown"), protocols);
    }

    #[test]
    fn every_version_of_the_named_protocol_moves_first() {
        let base: Vec<String> = [
            "/charon/parsigex/2.0.0",
            "/charon/consensus/abft/1.0.0",
            "/charon/consensus/qbft/2.0.0",
            "/charon/consensus/qbft/1.0.0",
        ]
        .map(String::from)
        .to_vec();
        // A name is matched whole: `qbf` moves nothing.
        assert_eq!(prioritize_protocols_by_name("qbf", base.clone()), base);
        assert_eq!(
            prioritize_protocols_by_name("qbft", base),
            [
                "/charon/consensus/qbft/2.0.0",
                "/charon/consensus/qbft/1.0.0",
                "/charon/parsigex/2.0.0",
                "/charon/consensus/abft/1.0.0",
            ]
        );
    }

    #[test]
    fn agreements_are_looked_up_by_slot_and_need_a_version() {
        let agreement = |slot, proposals: &[&str]| Agreement {
            slot,
            versions: vec!["v1.6".into()],
            protocols: vec![QBFT_V2_PROTOCOL_ID.into()],
            proposals: proposals.iter().map(|p| (*p).to_owned()).collect(),
            messages: 4,
        };
        let mut kept = Agreements::default();
        assert_eq!(
            kept.proposal_types(100),
            ["full"],
            "only full before any agreement"
        );
        let mut empty = agreement(7, &["builder", "full"]);
        empty.versions.clear();
        assert!(!kept.add(empty), "no version: not an agreement");
        assert!(kept.add(agreement(7, &["builder", "full"])));
        assert!(
            !kept.add(agreement(7, &["builder", "full"])),
            "same as the newest"
        );
        assert!(kept.add(agreement(15, &["full"])));
        assert_eq!(
            kept.proposal_types(6),
            ["full"],
            "slot before the first agreement"
        );
        assert_eq!(kept.proposal_types(7), ["builder", "full"]);
        assert_eq!(kept.proposal_types(14), ["builder", "full"]);
        assert_eq!(kept.proposal_types(15), ["full"]);
        for slot in 0..200 {
            kept.add(agreement(16 + slot, &["full"]));
        }
        assert_eq!(kept.len(), MAX_RESULTS - 1);
        assert!(kept.governing(7).is_none(), "the oldest were dropped");
    }

    #[test]
    fn agreement_reads_a_scored_result_and_picks_the_consensus_protocol() {
        let (keys, peers, _) = cluster();
        let duty = Duty::new(7, DutyType::InfoSync);
        let messages = |builder: &dyn Fn(usize) -> bool| -> Vec<pb::PriorityMsg> {
            keys.iter()
                .zip(&peers)
                .enumerate()
                .map(|(i, (key, peer))| {
                    let local = LocalPriorities::new(builder(i), "");
                    let signer = Secp256k1Signer::new(key.clone());
                    sign_message(&signer, peer, duty, local.topics())
                })
                .collect()
        };
        // Only node 0 enables the builder API: `builder` lacks the threshold.
        let msgs = messages(&|i| i == 0);
        let result = calculate_result(&msgs, 3).expect("scored");
        let agreement = Agreement::from_result(7, &result);
        assert_eq!(agreement.versions, SUPPORTED_VERSIONS);
        assert_eq!(agreement.proposals, ["full"]);
        assert_eq!(agreement.consensus_protocol(), QBFT_V2_PROTOCOL_ID);
        assert_eq!(agreement.protocols, local_protocols(""));
        assert_eq!(agreement.messages, 4);

        // Three of four with the builder API reach the threshold; `full`, named by all four,
        // still ranks first (count before position).
        let msgs = messages(&|i| i != 3);
        let agreement = Agreement::from_result(7, &calculate_result(&msgs, 3).expect("scored"));
        assert_eq!(agreement.proposals, ["full", "builder"]);

        let none = Agreement {
            slot: 0,
            versions: vec![],
            protocols: vec!["/charon/parsigex/2.0.0".into()],
            proposals: vec![],
            messages: 0,
        };
        assert_eq!(none.consensus_protocol(), QBFT_V2_PROTOCOL_ID, "fallback");
    }

    #[test]
    fn a_valid_peer_message_is_accepted() {
        let (keys, peers, verifier) = cluster();
        let duty = Duty::new(7, DutyType::InfoSync);
        let msg = signed(&keys[1], &peers[1], duty);
        let (checked, checked_duty) = verifier
            .check(&peers[1], &msg.encode_to_vec(), 7)
            .expect("accepted");
        assert_eq!(checked, msg);
        assert_eq!(checked_duty, duty);
    }

    #[test]
    fn each_rejection_rule_fires_and_one_step_inside_it_does_not() {
        let (keys, peers, verifier) = cluster();
        let duty = Duty::new(40, DutyType::InfoSync);
        let reason = |from: &PeerId, msg: &pb::PriorityMsg, now: Slot| {
            verifier
                .check(from, &msg.encode_to_vec(), now)
                .map(|_| ())
                .map_err(|r| r.reason())
        };
        let good = signed(&keys[2], &peers[2], duty);

        assert_eq!(
            verifier
                .check(&peers[2], b"\xff\xff", 40)
                .unwrap_err()
                .reason(),
            "undecodable"
        );
        let mut no_duty = good.clone();
        no_duty.duty = None;
        assert_eq!(reason(&peers[2], &no_duty, 40), Err("no_duty"));
        let attester = signed(&keys[2], &peers[2], Duty::new(40, DutyType::Attester));
        assert_eq!(reason(&peers[2], &attester, 40), Err("not_info_sync"));

        // Horizon of 16 slots either side: 24 and 56 are the last accepted.
        assert_eq!(reason(&peers[2], &good, 23), Err("expired"));
        assert_eq!(reason(&peers[2], &good, 24), Ok(()));
        assert_eq!(reason(&peers[2], &good, 57), Err("expired"));
        assert_eq!(reason(&peers[2], &good, 56), Ok(()));

        // Another operator forwarding node 2's message: refused, though the signature is good.
        assert_eq!(reason(&peers[1], &good, 40), Err("peer_mismatch"));
        // A stranger with a valid self-signed message.
        let stranger_key = key(9);
        let stranger = peer_of(&stranger_key);
        let foreign = signed(&stranger_key, &stranger, duty);
        assert_eq!(reason(&stranger, &foreign, 40), Err("unknown_peer"));
        // Signed by another operator's key while claiming node 2.
        let forged = signed(&keys[3], &peers[2], duty);
        assert_eq!(reason(&peers[2], &forged, 40), Err("bad_signature"));
        // Tampered after signing.
        let mut tampered = good.clone();
        tampered.topics.pop();
        assert_eq!(reason(&peers[2], &tampered, 40), Err("bad_signature"));
    }

    #[test]
    fn decided_values_must_be_priority_results() {
        let (value, _) = wrap_priority_result(&pb::PriorityResult::default());
        assert!(decode_result(&value).is_ok());
        let other = pb::Any {
            type_url: mosaic_qbft::value::UNSIGNED_DATA_SET_TYPE_URL.into(),
            value: value.value.clone(),
        };
        assert!(decode_result(&other).is_err());
        let garbage = pb::Any {
            type_url: PRIORITY_RESULT_TYPE_URL.into(),
            value: vec![0xff, 0xff],
        };
        assert!(decode_result(&garbage).is_err());
    }
}
