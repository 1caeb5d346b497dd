//! A deterministic discrete-event simulation of a QBFT cluster: virtual clock,
//! seeded randomness, message delays, drops, duplicates and reordering before
//! global stabilisation time (GST), crashed nodes and Byzantine nodes.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

use mosaic_qbft::engine::{Decision, Definition, Output};
use mosaic_qbft::hashing::{Hash, ZERO_HASH};
use mosaic_qbft::msg::{verify_consensus_msg, MsgType};
use mosaic_qbft::pb;
use mosaic_qbft::signing::{sign_msg, signing_root, SignatureVerifier};
use mosaic_qbft::timer::{ChainTiming, RoundTimer, TimerType, NANOS_PER_SECOND};
use mosaic_qbft::value::consensus_value_hash;

use super::{cluster, duty, value, FakeInstance, FakeSigner, FakeVerifier};

const MS: u64 = 1_000_000;

/// SplitMix64: small, seedable, deterministic.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed ^ 0x9e37_79b9_7f4a_7c15)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// How a node fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Honest,
    /// Stops at the given virtual time (nanoseconds after the duty start).
    Crash(u64),
    /// Equivocates, votes for conflicting values, replays, forges, corrupts
    /// signatures and strips justifications.
    Byzantine,
}

/// Simulation parameters.
#[derive(Debug, Clone)]
pub struct Config {
    pub nodes: usize,
    pub seed: u64,
    pub faults: Vec<Fault>,
    /// Before GST: drop percentage and maximum delay.
    pub drop_percent: u64,
    pub max_delay_pre_gst: u64,
    /// After GST: maximum delay (no drops).
    pub max_delay_post_gst: u64,
    pub duplicate_percent: u64,
    pub gst: u64,
    /// Give up after this long (virtual).
    pub horizon: u64,
}

impl Config {
    /// A configuration with random faults (at most f, mixed crash/Byzantine) derived from `seed`.
    pub fn random(nodes: usize, seed: u64) -> Self {
        let mut rng = Rng::new(seed.wrapping_mul(31).wrapping_add(nodes as u64));
        let f = Definition::new(nodes).faulty();
        let faulty = rng.below(f as u64 + 1) as usize;
        let mut faults = vec![Fault::Honest; nodes];
        let mut chosen = 0;
        while chosen < faulty {
            let i = rng.below(nodes as u64) as usize;
            if faults[i] == Fault::Honest {
                faults[i] = if rng.chance(50) {
                    Fault::Byzantine
                } else {
                    Fault::Crash(rng.below(3 * NANOS_PER_SECOND))
                };
                chosen += 1;
            }
        }
        Self {
            nodes,
            seed,
            faults,
            drop_percent: rng.below(30),
            max_delay_pre_gst: (1 + rng.below(800)) * MS,
            max_delay_post_gst: (1 + rng.below(80)) * MS,
            duplicate_percent: rng.below(20),
            gst: rng.below(5) * NANOS_PER_SECOND,
            horizon: 120 * NANOS_PER_SECOND,
        }
    }
}

#[derive(Debug)]
enum Event {
    Deliver {
        to: usize,
        msg: Box<pb::QbftConsensusMsg>,
    },
    Timeout {
        node: usize,
        round: i64,
        generation: u64,
    },
    Propose {
        node: usize,
    },
}

/// The outcome of a run.
#[derive(Debug, Default)]
pub struct Outcome {
    pub decisions: BTreeMap<usize, Decision>,
    pub honest: Vec<usize>,
    pub end_time: u64,
    pub delivered: u64,
    pub max_round: i64,
    /// Drop counters summed over honest nodes.
    pub honest_drops: BTreeMap<&'static str, u64>,
}

struct Node {
    instance: FakeInstance,
    timer: RoundTimer,
    generation: u64,
    fault: Fault,
}

pub struct Sim {
    cfg: Config,
    rng: Rng,
    nodes: Vec<Node>,
    queue: BinaryHeap<Reverse<(u64, u64, usize)>>,
    events: BTreeMap<usize, Event>,
    seq: u64,
    now: u64,
    start: u64,
    history: Vec<pb::QbftConsensusMsg>,
    outcome: Outcome,
}

impl Sim {
    pub fn new(cfg: Config) -> Self {
        let timing = ChainTiming {
            genesis_time_nanos: 0,
            slot_duration_nanos: 12 * NANOS_PER_SECOND,
        };
        let d = duty();
        let start = 12 * NANOS_PER_SECOND * d.slot + 4 * NANOS_PER_SECOND; // attester start delay
        let nodes = cluster(cfg.nodes)
            .into_iter()
            .zip(cfg.faults.iter())
            .map(|(instance, fault)| Node {
                instance,
                timer: RoundTimer::new(TimerType::EagerDoubleLinear, d, Some(timing)),
                generation: 0,
                fault: *fault,
            })
            .collect();
        let rng = Rng::new(cfg.seed);
        Self {
            rng,
            nodes,
            queue: BinaryHeap::new(),
            events: BTreeMap::new(),
            seq: 0,
            now: start,
            start,
            history: Vec::new(),
            outcome: Outcome::default(),
            cfg,
        }
    }

    fn schedule(&mut self, at: u64, event: Event) {
        self.seq += 1;
        let id = self.seq as usize;
        self.events.insert(id, event);
        self.queue.push(Reverse((at, self.seq, id)));
    }

    fn alive(&self, node: usize) -> bool {
        match self.nodes[node].fault {
            Fault::Crash(at) => self.now < self.start + at,
            _ => true,
        }
    }

    fn send(&mut self, from: usize, to: usize, msg: pb::QbftConsensusMsg) {
        let post_gst = self.now >= self.start + self.cfg.gst;
        if !post_gst && self.rng.chance(self.cfg.drop_percent) {
            return;
        }
        let max = if post_gst {
            self.cfg.max_delay_post_gst
        } else {
            self.cfg.max_delay_pre_gst
        };
        let copies = if self.rng.chance(self.cfg.duplicate_percent) {
            2
        } else {
            1
        };
        let _ = from;
        for _ in 0..copies {
            let at = self.now + self.rng.below(max + 1);
            self.schedule(
                at,
                Event::Deliver {
                    to,
                    msg: Box::new(msg.clone()),
                },
            );
        }
    }

    fn apply(&mut self, node: usize, outputs: Vec<Output>) {
        for output in outputs {
            match output {
                Output::Broadcast(msg) => {
                    if self.nodes[node].fault == Fault::Byzantine {
                        self.byzantine_broadcast(node, msg);
                    } else {
                        for to in 0..self.cfg.nodes {
                            if to != node {
                                self.send(node, to, msg.clone());
                            }
                        }
                        self.history.push(msg);
                    }
                }
                Output::ArmTimer { round } => {
                    let n = &mut self.nodes[node];
                    n.generation += 1;
                    let deadline = n.timer.arm(round, self.now).max(self.now);
                    let generation = n.generation;
                    self.schedule(
                        deadline,
                        Event::Timeout {
                            node,
                            round,
                            generation,
                        },
                    );
                }
                Output::StopTimer => self.nodes[node].generation += 1,
                Output::Decided(decision) => {
                    let previous = self.outcome.decisions.insert(node, decision);
                    assert!(previous.is_none(), "node {node} decided twice");
                }
            }
        }
    }

    /// Sends a mutated copy of `msg` to each peer.
    fn byzantine_broadcast(&mut self, node: usize, msg: pb::QbftConsensusMsg) {
        let (evil_any, evil_hash) = value(1_000_000 + node as u64);
        for to in 0..self.cfg.nodes {
            if to == node {
                continue;
            }
            let mut copy = msg.clone();
            let inner = copy.msg.as_mut().expect("msg");
            let typ = MsgType::from_wire(inner.r#type).expect("type");
            // Split brain: peers of odd index always get the Byzantine value
            // (PRE-PREPARE, PREPARE, COMMIT), peers of even index the honest one.
            let equivocate = matches!(
                typ,
                MsgType::PrePrepare | MsgType::Prepare | MsgType::Commit
            ) && to % 2 == 1;
            match self.rng.below(16) {
                _ if equivocate => {
                    inner.value_hash = evil_hash.to_vec();
                    sign_msg(&FakeSigner(node as u64), inner);
                    copy.values.push(evil_any.clone());
                }
                0 => {
                    // Forged: claims another peer's index.
                    inner.peer_idx = ((node + 1) % self.cfg.nodes) as i64;
                }
                1 => inner.signature[7] ^= 0x55, // badly signed
                2 => {
                    // Wrong justification: stripped, or a PRE-PREPARE for a later round.
                    copy.justification.clear();
                    if typ == MsgType::PrePrepare {
                        inner.round += 1;
                        sign_msg(&FakeSigner(node as u64), inner);
                    }
                }
                3 => {
                    // Claims a prepared value with no evidence.
                    inner.r#type = MsgType::RoundChange as i64;
                    inner.prepared_round = inner.round.max(2) - 1;
                    inner.prepared_value_hash = evil_hash.to_vec();
                    inner.round = inner.round.max(2);
                    sign_msg(&FakeSigner(node as u64), inner);
                    copy.values.push(evil_any.clone());
                }
                4 if !self.history.is_empty() => {
                    // Replay someone's earlier message.
                    let i = self.rng.below(self.history.len() as u64) as usize;
                    copy = self.history[i].clone();
                }
                5 => continue, // withheld
                _ => {}
            }
            self.send(node, to, copy);
        }
        self.history.push(msg);
    }

    pub fn run(mut self) -> Outcome {
        for node in 0..self.cfg.nodes {
            let outs = self.nodes[node].instance.start();
            self.apply(node, outs);
            let at = self.now + self.rng.below(500 * MS);
            self.schedule(at, Event::Propose { node });
        }
        self.outcome.honest = (0..self.cfg.nodes)
            .filter(|&i| self.nodes[i].fault == Fault::Honest)
            .collect();
        while let Some(Reverse((at, _, id))) = self.queue.pop() {
            if at > self.start + self.cfg.horizon {
                break;
            }
            if self
                .outcome
                .honest
                .iter()
                .all(|h| self.outcome.decisions.contains_key(h))
            {
                break;
            }
            self.now = at;
            let event = self.events.remove(&id).expect("event");
            let node = match &event {
                Event::Deliver { to, .. } => *to,
                Event::Timeout { node, .. } | Event::Propose { node } => *node,
            };
            if !self.alive(node) {
                continue;
            }
            let outs = match event {
                Event::Deliver { to, msg } => {
                    self.outcome.delivered += 1;
                    self.nodes[to].instance.receive(&msg)
                }
                Event::Timeout {
                    node,
                    round,
                    generation,
                } => {
                    if generation != self.nodes[node].generation {
                        continue;
                    }
                    self.nodes[node].instance.timeout(round)
                }
                Event::Propose { node } => {
                    let (any, _) = value(node as u64);
                    self.nodes[node].instance.propose(any).expect("valid value")
                }
            };
            self.outcome.max_round = self
                .outcome
                .max_round
                .max(self.nodes[node].instance.round());
            self.apply(node, outs);
        }
        self.outcome.end_time = self.now - self.start;
        for &h in &self.outcome.honest {
            for (slug, count) in &self.nodes[h].instance.drops().0 {
                *self.outcome.honest_drops.entry(*slug).or_default() += count;
            }
        }
        self.outcome
    }
}

/// Checks agreement, that every decision is justified by a verified quorum of
/// COMMITs for its round and value, and (when `expect_live`) that every honest
/// node decided.
pub fn check(cfg: &Config, outcome: &Outcome, expect_live: bool) -> Result<(), String> {
    let def = Definition::new(cfg.nodes);
    let verifier = FakeVerifier(cfg.nodes);
    let mut agreed: Option<Hash> = None;
    for node in &outcome.honest {
        let Some(d) = outcome.decisions.get(node) else {
            if expect_live {
                return Err(format!(
                    "honest node {node} did not decide by the horizon ({outcome:?})"
                ));
            }
            continue;
        };
        if d.value_hash == ZERO_HASH || consensus_value_hash(&d.value).ok() != Some(d.value_hash) {
            return Err(format!(
                "node {node} decided a value that does not match its hash"
            ));
        }
        if *agreed.get_or_insert(d.value_hash) != d.value_hash {
            return Err(format!(
                "agreement violated: node {node} decided differently"
            ));
        }
        let mut sources = std::collections::BTreeSet::new();
        for c in &d.commits {
            let ok = c.msg_type == MsgType::Commit
                && c.round == d.round
                && c.value == d.value_hash
                && verifier.verify(c.source, &signing_root(&c.wire), &c.wire.signature);
            if !ok {
                return Err(format!("node {node}: decision carries a bad commit {c:?}"));
            }
            sources.insert(c.source);
        }
        if sources.len() < def.quorum() {
            return Err(format!(
                "node {node}: decision justified by only {} commits",
                sources.len()
            ));
        }
        // The commits must also pass full envelope verification, as a DECIDED would.
        let envelope = pb::QbftConsensusMsg {
            msg: Some((*d.commits[0].wire).clone()),
            justification: vec![],
            values: vec![d.value.clone()],
        };
        verify_consensus_msg(&verifier, &envelope)
            .map_err(|e| format!("node {node}: commit fails verification: {e}"))?;
    }
    Ok(())
}
