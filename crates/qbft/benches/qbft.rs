//! In-process QBFT throughput: one duty decided by every node of an n-node
//! cluster with zero network delay and real secp256k1 signing and verification
//! (public-key recovery, as Charon does). One iteration = one cluster-wide
//! decision with all n nodes on one core, so the throughput is cluster decisions
//! per second; one node's share of that work is 1/n of it. Also: a decision that
//! needs a round change (every round-1 message lost, then all timers fire), an
//! engine-only variant with no cryptography, and secp256k1 baselines.
//!
//! Printed before the timings, per decision: messages delivered, signature checks
//! (each message plus its justifications), secp256k1 recoveries actually run (the
//! rest are answered by the instance's memo of accepted signatures), signatures
//! made, and the thread CPU time (Linux `schedstat`, which unlike wall time is not
//! inflated when other processes take the core).

use std::cell::Cell;
use std::collections::VecDeque;
use std::time::Duration;

use criterion::{black_box, criterion_main, Criterion, Throughput};
use mosaic_crypto::secp256k1::SecretKey;
use mosaic_qbft::engine::{Definition, Instance, Output};
use mosaic_qbft::hashing::Hash;
use mosaic_qbft::pb;
use mosaic_qbft::signing::{
    Secp256k1Signer, Secp256k1Verifier, SignatureVerifier, Signer, SIGNATURE_LEN,
};
use mosaic_qbft::value::wrap_unsigned_data_set;
use mosaic_qbft::{Duty, DutyType};

/// A signer/verifier that does no cryptography, to isolate the engine's own cost.
struct NoCrypto(usize);

impl Signer for NoCrypto {
    fn sign(&self, _root: &Hash) -> [u8; SIGNATURE_LEN] {
        [1; SIGNATURE_LEN]
    }
}

impl SignatureVerifier for NoCrypto {
    fn nodes(&self) -> usize {
        self.0
    }

    fn verify(&self, _peer_idx: u64, _root: &Hash, _signature: &[u8]) -> bool {
        true
    }
}

/// Counts the signature checks that reach the wrapped verifier.
struct Counted<V> {
    inner: V,
    calls: Cell<usize>,
}

impl<V: SignatureVerifier> SignatureVerifier for Counted<V> {
    fn nodes(&self) -> usize {
        self.inner.nodes()
    }

    fn verify(&self, peer_idx: u64, root: &Hash, signature: &[u8]) -> bool {
        self.calls.set(self.calls.get() + 1);
        self.inner.verify(peer_idx, root, signature)
    }
}

/// Counts the signatures made.
struct CountedSigner<'a, S> {
    inner: &'a S,
    calls: &'a Cell<usize>,
}

impl<S: Signer> Signer for CountedSigner<'_, S> {
    fn sign(&self, root: &Hash) -> [u8; SIGNATURE_LEN] {
        self.calls.set(self.calls.get() + 1);
        self.inner.sign(root)
    }
}

/// What one decision cost.
#[derive(Default)]
struct Tally {
    /// Envelopes delivered to a node.
    delivered: usize,
    /// Signatures checked: each delivered message plus its justifications.
    checked: usize,
}

/// Whether the decision needs a round change.
#[derive(Clone, Copy)]
enum Scenario {
    /// Round 1 decides.
    Happy,
    /// Every round-1 message is lost, every node times out, round 2 decides.
    RoundChange,
}

/// Runs one instance to a decision on every node.
fn decide<S: Signer, V: SignatureVerifier>(
    signers: &[S],
    verifier: &V,
    value: &pb::Any,
    slot: u64,
    scenario: Scenario,
) -> Tally {
    let n = signers.len();
    let duty = Duty::new(slot, DutyType::Attester);
    let mut nodes: Vec<_> = signers
        .iter()
        .enumerate()
        .map(|(i, s)| {
            Instance::new(Definition::new(n), duty, i as u64, s, verifier).expect("member")
        })
        .collect();
    let mut queue: VecDeque<(usize, pb::QbftConsensusMsg)> = VecDeque::new();
    let mut decided = 0;
    let mut tally = Tally::default();
    let mut absorb =
        |from: usize, outs: Vec<Output>, queue: &mut VecDeque<(usize, pb::QbftConsensusMsg)>| {
            for o in outs {
                match o {
                    Output::Broadcast(m) => queue.push_back((from, m)),
                    Output::Decided(_) => decided += 1,
                    Output::ArmTimer { .. } | Output::StopTimer => {}
                }
            }
        };
    for (i, node) in nodes.iter_mut().enumerate() {
        let mut outs = node.start();
        outs.extend(node.propose(value.clone()).expect("value"));
        absorb(i, outs, &mut queue);
    }
    if let Scenario::RoundChange = scenario {
        queue.clear();
        for (i, node) in nodes.iter_mut().enumerate() {
            let outs = node.timeout(1);
            absorb(i, outs, &mut queue);
        }
    }
    while let Some((from, msg)) = queue.pop_front() {
        for to in (0..n).filter(|&to| to != from) {
            tally.delivered += 1;
            tally.checked += 1 + msg.justification.len();
            let outs = nodes[to].receive(&msg);
            absorb(to, outs, &mut queue);
        }
    }
    assert_eq!(decided, n, "every node decides");
    tally
}

/// CPU time this thread has run, from Linux's `/proc/thread-self/schedstat`.
fn thread_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos = stat.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

/// Prints what one decision costs: messages, checks, recoveries, signatures, CPU time.
fn report(keys: &[SecretKey], value: &pb::Any, scenario: Scenario, label: &str) {
    let n = keys.len();
    let verifier = Counted {
        inner: Secp256k1Verifier::new(keys.iter().map(SecretKey::public_key).collect()),
        calls: Cell::new(0),
    };
    let signers: Vec<Secp256k1Signer> = keys
        .iter()
        .map(|k| Secp256k1Signer::new(SecretKey::from_bytes(&k.to_bytes()[..]).expect("key")))
        .collect();
    let signed = Cell::new(0);
    let counted: Vec<_> = signers
        .iter()
        .map(|inner| CountedSigner {
            inner,
            calls: &signed,
        })
        .collect();
    let tally = decide(&counted, &verifier, value, 1, scenario);
    const RUNS: u32 = 200;
    let cpu = thread_cpu_time().and_then(|start| {
        for slot in 0..RUNS {
            decide(
                &signers,
                &verifier.inner,
                value,
                2 + u64::from(slot),
                scenario,
            );
        }
        Some(thread_cpu_time()?.saturating_sub(start) / RUNS)
    });
    let cpu = cpu.map_or_else(
        || "thread CPU time unavailable".to_owned(),
        |t| {
            let per_second = 1.0 / t.as_secs_f64();
            format!(
                "{t:.2?} CPU per decision = {per_second:.0} cluster decisions/s on one core, \
                 {:.0} decisions/s for one node's share (1/{n} of the work)",
                per_second * n as f64
            )
        },
    );
    println!(
        "{label}: {} messages delivered, {} signature checks, {} secp256k1 recoveries, \
         {} signatures per decision; {cpu}",
        tally.delivered,
        tally.checked,
        verifier.calls.get(),
        signed.get(),
    );
}

fn bench(c: &mut Criterion) {
    let mut set = pb::UnsignedDataSet::default();
    set.set
        .insert(format!("0x{}", "ab".repeat(48)), vec![7u8; 128]);
    let value = wrap_unsigned_data_set(&set).0;
    let mut group = c.benchmark_group("qbft_decision");
    group.throughput(Throughput::Elements(1));
    let mut slot = 0;
    for n in [4usize, 10] {
        let keys: Vec<SecretKey> = (0..n).map(|_| SecretKey::random()).collect();
        report(&keys, &value, Scenario::Happy, &format!("n={n}"));
        report(
            &keys,
            &value,
            Scenario::RoundChange,
            &format!("n={n} round change"),
        );
        let verifier = Secp256k1Verifier::new(keys.iter().map(SecretKey::public_key).collect());
        let signers: Vec<Secp256k1Signer> = keys.into_iter().map(Secp256k1Signer::new).collect();
        group.bench_function(format!("n{n}_secp256k1"), |b| {
            b.iter(|| {
                slot += 1;
                decide(&signers, &verifier, &value, slot, Scenario::Happy)
            })
        });
        if n == 4 {
            group.bench_function(format!("n{n}_round_change_secp256k1"), |b| {
                b.iter(|| {
                    slot += 1;
                    decide(&signers, &verifier, &value, slot, Scenario::RoundChange)
                })
            });
        }
        let fakes: Vec<NoCrypto> = (0..n).map(|_| NoCrypto(n)).collect();
        group.bench_function(format!("n{n}_engine_only_no_crypto"), |b| {
            b.iter(|| {
                slot += 1;
                decide(&fakes, &fakes[0], &value, slot, Scenario::Happy)
            })
        });
    }
    group.finish();

    // Baselines: the signature operations that dominate a decision.
    let key = SecretKey::random();
    let public = key.public_key();
    let digest = [9u8; 32];
    let signature = key.sign(&digest);
    if let Some(start) = thread_cpu_time() {
        const RUNS: u32 = 500;
        for _ in 0..RUNS {
            black_box(key.sign(black_box(&digest)));
        }
        let middle = thread_cpu_time().unwrap_or(start);
        for _ in 0..RUNS {
            black_box(mosaic_crypto::secp256k1::verify(
                &public,
                black_box(&digest),
                &signature,
            ));
        }
        let end = thread_cpu_time().unwrap_or(middle);
        println!(
            "secp256k1 CPU time: sign {:.1?}, recover and compare {:.1?}",
            middle.saturating_sub(start) / RUNS,
            end.saturating_sub(middle) / RUNS
        );
    }
    let mut group = c.benchmark_group("secp256k1");
    group.bench_function("sign", |b| b.iter(|| key.sign(black_box(&digest))));
    group.bench_function("recover_and_compare", |b| {
        b.iter(|| mosaic_crypto::secp256k1::verify(&public, black_box(&digest), &signature))
    });
    group.finish();
}

/// Runs every benchmark of this file.
fn benches() {
    let mut criterion = Criterion::default().sample_size(20).configure_from_args();
    bench(&mut criterion);
}

criterion_main!(benches);
