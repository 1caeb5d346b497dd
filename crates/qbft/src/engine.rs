//! The QBFT state machine for one consensus instance (one duty).
//!
//! Pure, synchronous and timer-free: inputs are the node's own proposal
//! ([`Instance::propose`]), received messages ([`Instance::receive`]) and round
//! timeouts ([`Instance::timeout`]); outputs are [`Output`]s — messages to
//! broadcast, timer requests and the decision. The upon-rules follow Charon's
//! `core/qbft` (the algorithm of "The Istanbul BFT Consensus Algorithm") as the
//! spec's consensus.md and Python model describe them; every quorum count
//! deduplicates by source.
//!
//! Own messages are processed locally at once (as Charon's transport loops
//! them back), so an [`Output::Broadcast`] is only for the *other* peers.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;

use crate::decided::DecidedResendLimiter;
use crate::duty::Duty;
use crate::hashing::{Hash, ZERO_HASH};
use crate::msg::{verify_consensus_msg, Msg, MsgType, Rejection, VerifiedMsg};
use crate::pb;
use crate::sigcache::{capacity_for, CachingVerifier, VerifiedSignatures};
use crate::signing::{signing_root, SignatureVerifier, Signer};
use crate::value::{consensus_value_hash, ValueError};

/// Messages buffered per source before the oldest are evicted (Charon's `RecvBufferSize`).
pub const DEFAULT_FIFO_LIMIT: usize = 100;

/// Cluster parameters, constant across instances.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Definition {
    /// Number of nodes `n`.
    pub nodes: usize,
    /// Per-source buffer limit.
    pub fifo_limit: usize,
}

impl Definition {
    /// A definition for `nodes` nodes with the default buffer limit.
    pub fn new(nodes: usize) -> Self {
        Self {
            nodes,
            fifo_limit: DEFAULT_FIFO_LIMIT,
        }
    }

    /// `ceil(2n/3)`.
    pub fn quorum(&self) -> usize {
        (2 * self.nodes).div_ceil(3)
    }

    /// `floor((n-1)/3)`.
    pub fn faulty(&self) -> usize {
        self.nodes.saturating_sub(1) / 3
    }

    /// The leader of `round`: `(slot + duty type + round) mod n`, computed in
    /// wrapping `i64` exactly as Charon does (a negative result leads nobody).
    pub fn leader(&self, duty: Duty, round: i64) -> Option<u64> {
        let n = i64::try_from(self.nodes).ok().filter(|n| *n > 0)?;
        let sum = (duty.slot as i64)
            .wrapping_add(i64::from(duty.duty_type.to_wire()))
            .wrapping_add(round);
        u64::try_from(sum % n).ok()
    }

    /// Whether `process` leads `round`.
    pub fn is_leader(&self, duty: Duty, round: i64, process: u64) -> bool {
        self.leader(duty, round) == Some(process)
    }
}

/// The upon-rules a message can trigger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum UponRule {
    /// Nothing.
    Nothing,
    /// A justified PRE-PREPARE for the current or a later round.
    JustifiedPrePrepare,
    /// A quorum of PREPAREs for the current round and one value.
    QuorumPrepares,
    /// A quorum of COMMITs for the current round and one value.
    QuorumCommits,
    /// A quorum of ROUND-CHANGEs that justifies no proposal.
    UnjustQuorumRoundChanges,
    /// f+1 ROUND-CHANGEs for later rounds.
    FPlus1RoundChanges,
    /// A justified quorum of ROUND-CHANGEs, and this node leads the round.
    QuorumRoundChanges,
    /// A justified DECIDED.
    JustifiedDecided,
}

/// The decision of an instance.
#[derive(Debug, Clone)]
pub struct Decision {
    /// The decided value's consensus hash.
    pub value_hash: Hash,
    /// The decided value.
    pub value: pb::Any,
    /// The round it was decided in.
    pub round: i64,
    /// The quorum of COMMITs that decided it.
    pub commits: Vec<Arc<Msg>>,
}

/// What the driver must do.
#[derive(Debug, Clone)]
pub enum Output {
    /// Send this signed envelope to every other peer.
    Broadcast(pb::QbftConsensusMsg),
    /// (Re)arm the round timer for `round`; a timer armed earlier is replaced.
    /// Ask a [`crate::timer::RoundTimer`] for the deadline and call
    /// [`Instance::timeout`] with `round` when it passes.
    ArmTimer {
        /// The round being timed.
        round: i64,
    },
    /// Stop the round timer: the instance has decided.
    StopTimer,
    /// The instance decided (emitted once).
    Decided(Decision),
}

/// Counters of dropped and ignored messages, by reason slug.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DropCounts(pub BTreeMap<&'static str, u64>);

impl DropCounts {
    fn add(&mut self, slug: &'static str) {
        *self.0.entry(slug).or_default() += 1;
    }

    /// Count for one reason.
    pub fn get(&self, slug: &str) -> u64 {
        self.0.get(slug).copied().unwrap_or(0)
    }

    /// Total dropped.
    pub fn total(&self) -> u64 {
        self.0.values().sum()
    }
}

/// Errors from the local API (never from peers' messages, which are dropped and counted).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// The proposal cannot be hashed.
    #[error("own proposal: {0}")]
    Proposal(#[from] ValueError),
    /// The node's index is not a cluster member.
    #[error("process index {process} is not below the cluster size {nodes}")]
    NotAMember {
        /// The index.
        process: u64,
        /// Cluster size.
        nodes: usize,
    },
}

/// One QBFT consensus instance.
pub struct Instance<S, V> {
    def: Definition,
    duty: Duty,
    process: u64,
    signer: S,
    verifier: V,
    /// Signatures `verifier` accepted, so a message seen again (as a justification or a
    /// duplicate) is not recovered twice. Bounded; never holds rejections.
    verified_signatures: VerifiedSignatures,
    round: i64,
    input_value: Option<Hash>,
    ppj_cache: Option<Vec<Arc<Msg>>>,
    prepared_round: i64,
    prepared_value: Hash,
    prepared_justification: Vec<Arc<Msg>>,
    decided: Option<(Hash, Vec<Arc<Msg>>)>,
    buffer: BTreeMap<u64, VecDeque<Arc<Msg>>>,
    dedup_rules: BTreeSet<(UponRule, i64)>,
    resends: DecidedResendLimiter,
    values: BTreeMap<Hash, pb::Any>,
    drops: DropCounts,
    evicted: usize,
    started: bool,
    /// Messages to process, with the values they carried (empty for own messages).
    queue: VecDeque<(Arc<Msg>, BTreeMap<Hash, pb::Any>)>,
    out: Vec<Output>,
    value_check: Option<ValueCheck>,
}

/// A node's own judgement of a leader's proposal (e.g. "would this make a validator
/// slashable?"): `Err(reason)` means the node does not PREPARE it. Refusing can only cost
/// liveness (the round times out), never safety.
pub type ValueCheck = Box<dyn Fn(&pb::Any) -> Result<(), String> + Send>;

impl<S: Signer, V: SignatureVerifier> Instance<S, V> {
    /// Creates an instance for `duty` run by cluster member `process`.
    pub fn new(
        def: Definition,
        duty: Duty,
        process: u64,
        signer: S,
        verifier: V,
    ) -> Result<Self, EngineError> {
        if process >= def.nodes as u64 {
            return Err(EngineError::NotAMember {
                process,
                nodes: def.nodes,
            });
        }
        Ok(Self {
            def,
            duty,
            process,
            signer,
            verifier,
            verified_signatures: VerifiedSignatures::new(capacity_for(def.nodes)),
            round: 1,
            input_value: None,
            ppj_cache: None,
            prepared_round: 0,
            prepared_value: ZERO_HASH,
            prepared_justification: Vec::new(),
            decided: None,
            buffer: BTreeMap::new(),
            dedup_rules: BTreeSet::new(),
            resends: DecidedResendLimiter::new(),
            values: BTreeMap::new(),
            drops: DropCounts::default(),
            evicted: 0,
            started: false,
            queue: VecDeque::new(),
            out: Vec::new(),
            value_check: None,
        })
    }

    /// The duty.
    pub fn duty(&self) -> Duty {
        self.duty
    }

    /// The current round.
    pub fn round(&self) -> i64 {
        self.round
    }

    /// The decided value hash, once decided.
    pub fn decided_value(&self) -> Option<Hash> {
        self.decided.as_ref().map(|(v, _)| *v)
    }

    /// Number of consensus values held (referenced by buffered messages or own state).
    pub fn stored_values(&self) -> usize {
        self.values.len()
    }

    /// Installs the check every proposal must pass before this node PREPAREs it; a refused
    /// PRE-PREPARE is dropped and counted as `invalid_value`.
    pub fn set_value_check(&mut self, check: ValueCheck) {
        self.value_check = Some(check);
    }

    /// Dropped/ignored message counters.
    pub fn drops(&self) -> &DropCounts {
        &self.drops
    }

    /// Starts the instance (Algorithm 1:11): arms the round 1 timer and, as
    /// round 1 leader, proposes once a value is available. Idempotent.
    pub fn start(&mut self) -> Vec<Output> {
        if !self.started {
            self.started = true;
            if self.def.is_leader(self.duty, self.round, self.process) {
                self.broadcast_own_pre_prepare(Vec::new());
            }
            self.out.push(Output::ArmTimer { round: self.round });
            self.drain();
        }
        std::mem::take(&mut self.out)
    }

    /// Supplies this node's proposal. Only the first proposal counts.
    pub fn propose(&mut self, value: pb::Any) -> Result<Vec<Output>, EngineError> {
        let hash = consensus_value_hash(&value)?;
        if self.input_value.is_none() {
            self.values.insert(hash, value);
            self.input_value = Some(hash);
            if let Some(justification) = self.ppj_cache.take() {
                self.broadcast(MsgType::PrePrepare, hash, justification);
            }
            self.drain();
        }
        Ok(std::mem::take(&mut self.out))
    }

    /// Verifies and processes a received envelope; invalid ones are dropped and counted.
    pub fn receive(&mut self, envelope: &pb::QbftConsensusMsg) -> Vec<Output> {
        let verifier = CachingVerifier::new(&self.verifier, &mut self.verified_signatures);
        match verify_consensus_msg(&verifier, envelope) {
            Ok(verified) => self.receive_verified(verified),
            Err(rejection) => {
                self.reject(&rejection);
                Vec::new()
            }
        }
    }

    /// Counts a message rejected before it reached the instance (e.g. by
    /// [`crate::msg::decode_and_verify`] on the transport).
    pub fn reject(&mut self, rejection: &Rejection) {
        self.drops.add(rejection.slug());
    }

    /// Processes an already verified message (signatures checked by the caller).
    pub fn receive_verified(&mut self, verified: VerifiedMsg) -> Vec<Output> {
        if verified.msg.duty != self.duty {
            self.drops.add("wrong_duty");
            return Vec::new();
        }
        self.queue.push_back((verified.msg, verified.values));
        self.drain();
        std::mem::take(&mut self.out)
    }

    /// The timer for `round` expired (Algorithm 3:1). Stale rounds are ignored.
    pub fn timeout(&mut self, round: i64) -> Vec<Output> {
        if self.decided.is_some() || round != self.round {
            return Vec::new();
        }
        self.change_round(self.round.saturating_add(1));
        self.out.push(Output::ArmTimer { round: self.round });
        self.broadcast_round_change();
        self.drain();
        std::mem::take(&mut self.out)
    }

    fn drain(&mut self) {
        while let Some((msg, values)) = self.queue.pop_front() {
            self.handle(msg, values);
        }
    }

    fn change_round(&mut self, round: i64) {
        if self.round != round {
            self.round = round;
            self.dedup_rules.clear();
            self.ppj_cache = None;
        }
    }

    fn broadcast(&mut self, msg_type: MsgType, value: Hash, justification: Vec<Arc<Msg>>) {
        self.broadcast_full(msg_type, value, 0, ZERO_HASH, justification);
    }

    fn broadcast_round_change(&mut self) {
        let justification = self.prepared_justification.clone();
        self.broadcast_full(
            MsgType::RoundChange,
            ZERO_HASH,
            self.prepared_round,
            self.prepared_value,
            justification,
        );
    }

    fn broadcast_own_pre_prepare(&mut self, justification: Vec<Arc<Msg>>) {
        match self.input_value {
            Some(value) => self.broadcast(MsgType::PrePrepare, value, justification),
            None => self.ppj_cache = Some(justification),
        }
    }

    fn broadcast_full(
        &mut self,
        msg_type: MsgType,
        value: Hash,
        pr: i64,
        pv: Hash,
        justification: Vec<Arc<Msg>>,
    ) {
        let mut wire = pb::QbftMsg {
            r#type: msg_type as i64,
            duty: Some(self.duty.to_pb()),
            peer_idx: self.process as i64,
            round: self.round,
            prepared_round: pr,
            signature: Vec::new(),
            value_hash: value.to_vec(),
            prepared_value_hash: pv.to_vec(),
        };
        wire.signature = self.signer.sign(&signing_root(&wire)).to_vec();
        let mut referenced = BTreeSet::new();
        for h in [value, pv].into_iter().chain(
            justification
                .iter()
                .flat_map(|j| [j.value, j.prepared_value]),
        ) {
            if h != ZERO_HASH {
                referenced.insert(h);
            }
        }
        let envelope = pb::QbftConsensusMsg {
            msg: Some(wire.clone()),
            justification: justification.iter().map(|j| (*j.wire).clone()).collect(),
            values: referenced
                .iter()
                .filter_map(|h| self.values.get(h).cloned())
                .collect(),
        };
        let msg = Msg {
            msg_type,
            duty: self.duty,
            source: self.process,
            round: self.round,
            value,
            prepared_round: pr,
            prepared_value: pv,
            justification,
            wire: Arc::new(wire),
        };
        self.queue.push_back((Arc::new(msg), BTreeMap::new()));
        self.out.push(Output::Broadcast(envelope));
    }

    fn handle(&mut self, msg: Arc<Msg>, mut values: BTreeMap<Hash, pb::Any>) {
        if let Some((value, commits)) = &self.decided {
            // Algorithm 3:17: help late peers, rate limited.
            if msg.source != self.process
                && msg.msg_type == MsgType::RoundChange
                && self.resends.allow(msg.source, msg.round)
            {
                let (value, commits) = (*value, commits.clone());
                self.broadcast(MsgType::Decided, value, commits);
            }
            return;
        }
        if !self.is_justified(&msg) {
            self.drops.add("unjust");
            return;
        }
        // Keep only the values this buffered message references: extra values
        // are allowed on the wire but must not accumulate.
        for m in std::iter::once(&msg).chain(msg.justification.iter()) {
            for hash in [m.value, m.prepared_value] {
                if let Some(any) = values.remove(&hash) {
                    self.values.entry(hash).or_insert(any);
                }
            }
        }
        self.buffer_msg(msg.clone());
        let (rule, justification) = self.classify(&msg);
        if rule == UponRule::Nothing || !self.dedup_rules.insert((rule, msg.round)) {
            return;
        }
        match rule {
            UponRule::JustifiedPrePrepare => {
                if let Some(check) = &self.value_check {
                    let verdict = match self.values.get(&msg.value) {
                        Some(value) => check(value),
                        None => Err("value missing".into()),
                    };
                    if verdict.is_err() {
                        self.drops.add("invalid_value");
                        return;
                    }
                }
                // Algorithm 2:1.
                self.change_round(msg.round);
                self.dedup_rules.insert((rule, msg.round));
                self.out.push(Output::ArmTimer { round: self.round });
                self.broadcast(MsgType::Prepare, msg.value, Vec::new());
            }
            UponRule::QuorumPrepares => {
                // Algorithm 2:4.
                self.prepared_round = self.round;
                self.prepared_value = msg.value;
                self.prepared_justification = justification;
                self.broadcast(MsgType::Commit, msg.value, Vec::new());
            }
            UponRule::QuorumCommits | UponRule::JustifiedDecided => {
                // Algorithm 2:8.
                self.change_round(msg.round);
                // Present: every referenced hash of a buffered message has its value
                // (verified on receipt; own messages only reference stored values).
                let value = self.values.get(&msg.value).cloned().unwrap_or_default();
                self.decided = Some((msg.value, justification.clone()));
                self.out.push(Output::StopTimer);
                self.out.push(Output::Decided(Decision {
                    value_hash: msg.value,
                    value,
                    round: msg.round,
                    commits: justification,
                }));
            }
            UponRule::FPlus1RoundChanges => {
                // Algorithm 3:5.
                let min = justification
                    .iter()
                    .map(|m| m.round)
                    .min()
                    .unwrap_or(self.round.saturating_add(1));
                self.change_round(min);
                self.out.push(Output::ArmTimer { round: self.round });
                self.broadcast_round_change();
            }
            UponRule::QuorumRoundChanges => {
                // Algorithm 3:11.
                match single_justified_pr_pv(&self.def, &justification) {
                    Some((_, pv)) => self.broadcast(MsgType::PrePrepare, pv, justification),
                    None => self.broadcast_own_pre_prepare(justification),
                }
            }
            UponRule::UnjustQuorumRoundChanges | UponRule::Nothing => {}
        }
    }

    fn buffer_msg(&mut self, msg: Arc<Msg>) {
        let fifo = self.buffer.entry(msg.source).or_default();
        fifo.push_back(msg);
        while fifo.len() > self.def.fifo_limit {
            fifo.pop_front();
            self.evicted += 1;
        }
        // Amortised: at most `fifo_limit` evicted messages' values linger.
        if self.evicted >= self.def.fifo_limit.max(1) {
            self.evicted = 0;
            self.collect_values();
        }
    }

    /// Drops stored values no longer referenced by a buffered message or by this
    /// node's own state, so a peer cannot grow memory by cycling its buffer.
    fn collect_values(&mut self) {
        let mut live: BTreeSet<Hash> = self.input_value.into_iter().collect();
        live.insert(self.prepared_value);
        let own = self
            .prepared_justification
            .iter()
            .chain(self.ppj_cache.iter().flatten());
        for m in self.flatten().chain(own) {
            live.insert(m.value);
            live.insert(m.prepared_value);
        }
        if let Some((value, _)) = &self.decided {
            live.insert(*value);
        }
        self.values.retain(|hash, _| live.contains(hash));
    }

    /// Every buffered message and every member of their justifications.
    fn flatten(&self) -> impl Iterator<Item = &Arc<Msg>> + '_ {
        self.buffer
            .values()
            .flatten()
            .flat_map(|m| std::iter::once(m).chain(m.justification.iter()))
    }

    fn is_justified(&self, msg: &Msg) -> bool {
        match msg.msg_type {
            MsgType::PrePrepare => self.is_justified_pre_prepare(msg),
            MsgType::Prepare | MsgType::Commit => msg.justification.is_empty(),
            MsgType::RoundChange => is_justified_round_change(&self.def, msg),
            MsgType::Decided => {
                let commits = filter_msgs(
                    msg.justification.iter(),
                    MsgType::Commit,
                    msg.round,
                    Some(msg.value),
                    None,
                );
                commits.len() >= self.def.quorum()
            }
        }
    }

    fn is_justified_pre_prepare(&self, msg: &Msg) -> bool {
        if !self.def.is_leader(self.duty, msg.round, msg.source) || msg.value == ZERO_HASH {
            return false;
        }
        if msg.round == 1 {
            return msg.justification.is_empty();
        }
        match contains_justified_qrc(&self.def, &msg.justification, msg.round) {
            None => false,
            Some(pv) if pv == ZERO_HASH => true,
            Some(pv) => msg.value == pv,
        }
    }

    fn classify(&self, msg: &Msg) -> (UponRule, Vec<Arc<Msg>>) {
        let q = self.def.quorum();
        match msg.msg_type {
            MsgType::Decided => (UponRule::JustifiedDecided, msg.justification.clone()),
            MsgType::PrePrepare if msg.round < self.round => (UponRule::Nothing, Vec::new()),
            MsgType::PrePrepare => (UponRule::JustifiedPrePrepare, Vec::new()),
            MsgType::Prepare | MsgType::Commit => {
                if msg.round != self.round {
                    return (UponRule::Nothing, Vec::new());
                }
                let votes = filter_msgs(
                    self.flatten(),
                    msg.msg_type,
                    msg.round,
                    Some(msg.value),
                    None,
                );
                if votes.len() < q {
                    return (UponRule::Nothing, Vec::new());
                }
                let rule = if msg.msg_type == MsgType::Prepare {
                    UponRule::QuorumPrepares
                } else {
                    UponRule::QuorumCommits
                };
                (rule, votes)
            }
            MsgType::RoundChange => {
                if msg.round < self.round {
                    return (UponRule::Nothing, Vec::new());
                }
                if msg.round > self.round {
                    return match self.f_plus_1_round_changes() {
                        Some(frc) => (UponRule::FPlus1RoundChanges, frc),
                        None => (UponRule::Nothing, Vec::new()),
                    };
                }
                if filter_msgs(self.flatten(), MsgType::RoundChange, msg.round, None, None).len()
                    < q
                {
                    return (UponRule::Nothing, Vec::new());
                }
                match self.justified_qrc(msg.round) {
                    None => (UponRule::UnjustQuorumRoundChanges, Vec::new()),
                    Some(_) if !self.def.is_leader(self.duty, msg.round, self.process) => {
                        (UponRule::Nothing, Vec::new())
                    }
                    Some(qrc) => (UponRule::QuorumRoundChanges, qrc),
                }
            }
        }
    }

    /// The highest ROUND-CHANGE per source for rounds above the current one,
    /// when at least f+1 sources sent one: the f+1 highest.
    fn f_plus_1_round_changes(&self) -> Option<Vec<Arc<Msg>>> {
        let mut highest: BTreeMap<u64, &Arc<Msg>> = BTreeMap::new();
        for m in self.flatten() {
            if m.msg_type != MsgType::RoundChange || m.round <= self.round {
                continue;
            }
            match highest.get(&m.source) {
                Some(h) if h.round >= m.round => {}
                _ => {
                    highest.insert(m.source, m);
                }
            }
        }
        let need = self.def.faulty() + 1;
        if highest.len() < need {
            return None;
        }
        let mut frc: Vec<Arc<Msg>> = highest.into_values().cloned().collect();
        frc.sort_by_key(|m| std::cmp::Reverse(m.round));
        frc.truncate(need);
        Some(frc)
    }

    /// A justified quorum of ROUND-CHANGEs for `round` (Algorithm 4:1): J1 (a
    /// quorum with nothing prepared) or J2 (a quorum none of which prepared
    /// above some prepare quorum's round, one of which prepared exactly it,
    /// plus that prepare quorum).
    fn justified_qrc(&self, round: i64) -> Option<Vec<Arc<Msg>>> {
        let q = self.def.quorum();
        let null = filter_msgs(
            self.flatten(),
            MsgType::RoundChange,
            round,
            None,
            Some((0, ZERO_HASH)),
        );
        if null.len() >= q {
            return Some(null);
        }
        let round_changes = filter_msgs(self.flatten(), MsgType::RoundChange, round, None, None);
        let mut prepare_sets: BTreeMap<(i64, Hash), BTreeMap<u64, Arc<Msg>>> = BTreeMap::new();
        for m in self.flatten().filter(|m| m.msg_type == MsgType::Prepare) {
            prepare_sets
                .entry((m.round, m.value))
                .or_default()
                .entry(m.source)
                .or_insert_with(|| m.clone());
        }
        // Highest prepared round first.
        for ((pr, pv), prepares) in prepare_sets.into_iter().rev() {
            if prepares.len() < q {
                continue;
            }
            let mut qrc = Vec::new();
            let mut has_highest = false;
            for rc in &round_changes {
                if rc.prepared_round > pr {
                    continue;
                }
                if rc.prepared_round == pr && rc.prepared_value == pv {
                    has_highest = true;
                }
                qrc.push(rc.clone());
            }
            if qrc.len() >= q && has_highest {
                qrc.extend(prepares.into_values());
                return Some(qrc);
            }
        }
        None
    }
}

/// Messages of `msg_type` and `round`, optionally matching `value` and
/// `(prepared_round, prepared_value)`, at most one per source (the first).
fn filter_msgs<'a>(
    msgs: impl Iterator<Item = &'a Arc<Msg>>,
    msg_type: MsgType,
    round: i64,
    value: Option<Hash>,
    prepared: Option<(i64, Hash)>,
) -> Vec<Arc<Msg>> {
    let mut sources = BTreeSet::new();
    msgs.filter(|m| {
        m.msg_type == msg_type
            && m.round == round
            && value.is_none_or(|v| m.value == v)
            && prepared.is_none_or(|(pr, pv)| m.prepared_round == pr && m.prepared_value == pv)
            && sources.insert(m.source)
    })
    .cloned()
    .collect()
}

/// A ROUND-CHANGE is justified when it prepared nothing and carries nothing,
/// or carries a quorum of PREPAREs, from distinct sources, all for exactly its
/// prepared round and value.
fn is_justified_round_change(def: &Definition, msg: &Msg) -> bool {
    let (pr, pv) = (msg.prepared_round, msg.prepared_value);
    if msg.justification.is_empty() {
        return pr == 0 && pv == ZERO_HASH;
    }
    if pr == 0 || pv == ZERO_HASH || msg.justification.len() < def.quorum() {
        return false;
    }
    let mut sources = BTreeSet::new();
    msg.justification.iter().all(|p| {
        p.msg_type == MsgType::Prepare && p.round == pr && p.value == pv && sources.insert(p.source)
    })
}

/// The single `(round, value)` all PREPAREs in `msgs` share, if they come from
/// distinct sources, all agree, and form a quorum.
fn single_justified_pr_pv(def: &Definition, msgs: &[Arc<Msg>]) -> Option<(i64, Hash)> {
    let mut sources = BTreeSet::new();
    let mut key: Option<(i64, Hash)> = None;
    for m in msgs.iter().filter(|m| m.msg_type == MsgType::Prepare) {
        if !sources.insert(m.source) {
            return None;
        }
        match key {
            None => key = Some((m.round, m.value)),
            Some(k) if k != (m.round, m.value) => return None,
            Some(_) => {}
        }
    }
    key.filter(|_| sources.len() >= def.quorum())
}

/// For a PRE-PREPARE of `round > 1`: `Some(ZERO_HASH)` for J1, `Some(pv)` for a
/// valid J2 (the proposal must then be `pv`), `None` when unjustified.
fn contains_justified_qrc(
    def: &Definition,
    justification: &[Arc<Msg>],
    round: i64,
) -> Option<Hash> {
    let qrc = filter_msgs(
        justification.iter(),
        MsgType::RoundChange,
        round,
        None,
        None,
    );
    if qrc.len() < def.quorum() {
        return None;
    }
    if qrc
        .iter()
        .all(|rc| rc.prepared_round == 0 && rc.prepared_value == ZERO_HASH)
    {
        return Some(ZERO_HASH);
    }
    let (pr, pv) = single_justified_pr_pv(def, justification)?;
    if qrc.iter().any(|rc| rc.prepared_round > pr) {
        return None;
    }
    qrc.iter()
        .any(|rc| rc.prepared_round == pr && rc.prepared_value == pv)
        .then_some(pv)
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;
    use crate::signing::SIGNATURE_LEN;
    use crate::DutyType;

    /// A stand-in signature: the signer's index followed by the signing root.
    struct FakeKey(u64);

    impl Signer for FakeKey {
        fn sign(&self, root: &Hash) -> [u8; SIGNATURE_LEN] {
            let mut signature = [0u8; SIGNATURE_LEN];
            signature[0] = self.0 as u8;
            signature[1..33].copy_from_slice(root);
            signature
        }
    }

    /// Checks [`FakeKey`] signatures and counts the checks that reach it.
    struct FakeVerifier {
        nodes: usize,
        calls: Cell<usize>,
    }

    impl SignatureVerifier for FakeVerifier {
        fn nodes(&self) -> usize {
            self.nodes
        }

        fn verify(&self, peer_idx: u64, root: &Hash, signature: &[u8]) -> bool {
            self.calls.set(self.calls.get() + 1);
            signature.len() == SIGNATURE_LEN
                && u64::from(signature[0]) == peer_idx
                && signature[1..33] == root[..]
                && signature[33..].iter().all(|&b| b == 0)
        }
    }

    /// Round 1 is lost, every node times out and round 2 decides: the justifications of the
    /// round-2 PRE-PREPARE repeat ROUND-CHANGEs already verified, which the memo answers. A
    /// corrupted copy of an accepted message is still rejected.
    #[test]
    fn round_change_justifications_are_not_verified_twice() {
        let n = 4;
        let verifier = FakeVerifier {
            nodes: n,
            calls: Cell::new(0),
        };
        let keys: Vec<FakeKey> = (0..n as u64).map(FakeKey).collect();
        let duty = Duty::new(7, DutyType::Attester);
        let mut nodes: Vec<_> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| Instance::new(Definition::new(n), duty, i as u64, k, &verifier))
            .collect::<Result<_, _>>()
            .expect("members");
        let mut set = pb::UnsignedDataSet::default();
        set.set.insert("0x01".into(), vec![7u8; 8]);
        let value = crate::value::wrap_unsigned_data_set(&set).0;
        for node in nodes.iter_mut() {
            node.start();
            node.propose(value.clone()).expect("value");
        }
        let mut queue = VecDeque::new();
        for (i, node) in nodes.iter_mut().enumerate() {
            for out in node.timeout(1) {
                if let Output::Broadcast(m) = out {
                    queue.push_back((i, m));
                }
            }
        }
        let (mut checks, mut decided, mut justified) = (0, 0, None);
        while let Some((from, msg)) = queue.pop_front() {
            if !msg.justification.is_empty() && justified.is_none() {
                justified = Some((from, msg.clone()));
            }
            for to in (0..n).filter(|&to| to != from) {
                checks += 1 + msg.justification.len();
                for out in nodes[to].receive(&msg) {
                    match out {
                        Output::Broadcast(m) => queue.push_back((to, m)),
                        Output::Decided(_) => decided += 1,
                        Output::ArmTimer { .. } | Output::StopTimer => {}
                    }
                }
            }
        }
        assert_eq!(decided, n);
        assert!(
            verifier.calls.get() < checks,
            "{} verifications for {checks} checks",
            verifier.calls.get()
        );

        let (from, mut corrupted) = justified.expect("a justified message");
        corrupted.justification[0].signature[40] ^= 1;
        let to = (from + 1) % n;
        let before = nodes[to].drops().get("bad_signature");
        nodes[to].receive(&corrupted);
        assert_eq!(nodes[to].drops().get("bad_signature"), before + 1);
    }

    /// A node whose value check refuses the leader's proposal does not PREPARE it (and counts
    /// the drop); the same proposal passing the check is prepared.
    #[test]
    fn a_refused_proposal_is_not_prepared() {
        let n = 4;
        let verifier = FakeVerifier {
            nodes: n,
            calls: Cell::new(0),
        };
        let duty = Duty::new(7, DutyType::Attester);
        let leader = (0..n as u64)
            .find(|i| Definition::new(n).is_leader(duty, 1, *i))
            .expect("a leader");
        let mut set = pb::UnsignedDataSet::default();
        set.set.insert("0x01".into(), vec![7u8; 8]);
        let value = crate::value::wrap_unsigned_data_set(&set).0;
        let leader_key = FakeKey(leader);
        let mut proposer = Instance::new(Definition::new(n), duty, leader, &leader_key, &verifier)
            .expect("member");
        proposer.start();
        let pre_prepare = proposer
            .propose(value)
            .expect("value")
            .into_iter()
            .find_map(|out| match out {
                Output::Broadcast(m) => Some(m),
                _ => None,
            })
            .expect("a PRE-PREPARE");
        let follower = (leader + 1) % n as u64;
        let follower_key = FakeKey(follower);
        for refuse in [true, false] {
            let mut node =
                Instance::new(Definition::new(n), duty, follower, &follower_key, &verifier)
                    .expect("member");
            node.start();
            node.set_value_check(Box::new(move |_| {
                if refuse {
                    Err("slashable".into())
                } else {
                    Ok(())
                }
            }));
            let prepared = node
                .receive(&pre_prepare)
                .iter()
                .any(|out| matches!(out, Output::Broadcast(m) if m.msg.as_ref().is_some_and(|m| m.r#type == MsgType::Prepare as i64)));
            assert_eq!(prepared, !refuse, "refuse = {refuse}");
            assert_eq!(node.drops().get("invalid_value"), u64::from(refuse));
        }
    }

    #[test]
    fn quorum_faulty_leader() {
        for (n, q, f) in [
            (1, 1, 0),
            (3, 2, 0),
            (4, 3, 1),
            (7, 5, 2),
            (10, 7, 3),
            (16, 11, 5),
        ] {
            let d = Definition::new(n);
            assert_eq!((d.quorum(), d.faulty()), (q, f), "n={n}");
        }
        let d = Definition::new(4);
        let duty = Duty::new(10, DutyType::Attester);
        assert_eq!(d.leader(duty, 1), Some(1));
        assert_eq!(d.leader(duty, 2), Some(2));
        assert!(d.is_leader(duty, 3, 3));
        let max = Duty::new(u64::MAX, DutyType::Proposer);
        // Go: int64(MaxUint64) = -1; -1 + 1 + 1 = 1.
        assert_eq!(d.leader(max, 1), Some(1));
        let neg = Duty::new(u64::MAX - 6, DutyType::Proposer); // -7 + 1 + 1 = -5
        assert_eq!(d.leader(neg, 1), None, "negative Go remainder leads nobody");
    }
}
