//! In-process QBFT throughput: one duty decided by every node of an n-node
//! cluster with zero network delay and real secp256k1 signing and verification
//! (public-key recovery, as Charon does). One iteration = one cluster-wide
//! decision on one core, so the throughput is decisions per second; the number
//! of messages delivered per decision is printed. An engine-only variant with no
//! cryptography and secp256k1 baselines show where the time goes.

use std::collections::VecDeque;

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

/// Runs one instance to a decision on every node; returns the messages delivered.
fn decide<S: Signer, V: SignatureVerifier>(
    signers: &[S],
    verifier: &V,
    value: &pb::Any,
    slot: u64,
) -> usize {
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
    let mut delivered = 0;
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
    while let Some((from, msg)) = queue.pop_front() {
        for to in (0..n).filter(|&to| to != from) {
            delivered += 1;
            let outs = nodes[to].receive(&msg);
            absorb(to, outs, &mut queue);
        }
    }
    assert_eq!(decided, n, "every node decides");
    delivered
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
        let verifier = Secp256k1Verifier::new(keys.iter().map(SecretKey::public_key).collect());
        let signers: Vec<Secp256k1Signer> = keys.into_iter().map(Secp256k1Signer::new).collect();
        println!(
            "n={n}: {} messages delivered per decision",
            decide(&signers, &verifier, &value, 1)
        );
        group.bench_function(format!("n{n}_secp256k1"), |b| {
            b.iter(|| {
                slot += 1;
                decide(&signers, &verifier, &value, slot)
            })
        });
        let fakes: Vec<NoCrypto> = (0..n).map(|_| NoCrypto(n)).collect();
        group.bench_function(format!("n{n}_engine_only_no_crypto"), |b| {
            b.iter(|| {
                slot += 1;
                decide(&fakes, &fakes[0], &value, slot)
            })
        });
    }
    group.finish();

    // Baselines: the signature operations that dominate a decision.
    let key = SecretKey::random();
    let public = key.public_key();
    let digest = [9u8; 32];
    let signature = key.sign(&digest);
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
