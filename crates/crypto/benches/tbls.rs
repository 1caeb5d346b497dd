//! Threshold BLS costs against raw blst sign/verify baselines.
//!
//! For t-of-n in 3/4, 5/7, 7/10 and 11/16: partial sign, verify one partial, batch-verify 100
//! partials (100/n validators, n partials each over that validator's message), combine t
//! partials (shares 1..=t, whose Lagrange coefficients are integers, and a set with a common
//! denominator), recover a secret from t shares. Also batch verification of 100 signatures over one
//! message and over 100 distinct messages, raw blst sign/verify, and signing one prepared message.

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{criterion_main, BenchmarkId, Criterion};
use mosaic_crypto::bls::{self, PublicKey, SecretKey, Signature, DST};
use mosaic_crypto::tbls;

const CONFIGS: [(u64, u64); 4] = [(3, 4), (5, 7), (7, 10), (11, 16)];
const BATCH: usize = 100;
const MESSAGE: &[u8] = b"mosaic tbls benchmark signing root";

fn baselines(c: &mut Criterion) {
    let mut group = c.benchmark_group("raw_blst");
    let mut ikm = [7u8; 32];
    ikm[0] = 1;
    let sk = blst::min_pk::SecretKey::key_gen(&ikm, &[]).expect("32-byte ikm");
    let pk = sk.sk_to_pk();
    let sig = sk.sign(MESSAGE, DST, &[]);
    group.bench_function("sign", |b| b.iter(|| sk.sign(black_box(MESSAGE), DST, &[])));
    group.bench_function("verify", |b| {
        b.iter(|| sig.verify(true, black_box(MESSAGE), DST, &[], &pk, true))
    });
    group.finish();
}

/// Signing one message with many keys: a message prepared once (its table built), each
/// signature from the table, against [`SecretKey::sign`] with the message's hash remembered.
fn prepared_message(c: &mut Criterion) {
    let mut group = c.benchmark_group("prepared_message");
    let key = SecretKey::random();
    let prepared = bls::PreparedMessage::new(MESSAGE);
    assert_eq!(prepared.sign(&key), key.sign(MESSAGE));
    group.bench_function("sign_remembered_hash", |b| {
        b.iter(|| key.sign(black_box(MESSAGE)))
    });
    group.bench_function("sign_prepared", |b| {
        b.iter(|| prepared.sign(black_box(&key)))
    });
    group.bench_function("prepare", |b| {
        b.iter(|| bls::PreparedMessage::new(black_box(MESSAGE)))
    });
    group.finish();
}

fn message_for(validator: usize) -> Vec<u8> {
    let mut message = MESSAGE.to_vec();
    message.extend_from_slice(&(validator as u64).to_be_bytes());
    message
}

/// 100 partials: validators' shares of an n-way split, each validator signing its own message.
fn partial_batch(n: u64, t: u64) -> Vec<(PublicKey, Vec<u8>, Signature)> {
    let mut items = Vec::with_capacity(BATCH);
    let mut validator = 0;
    while items.len() < BATCH {
        let shares = tbls::split(&SecretKey::random(), n, t).expect("valid split");
        let message = message_for(validator);
        for share in shares.values().take(BATCH - items.len()) {
            items.push((share.public_key(), message.clone(), share.sign(&message)));
        }
        validator += 1;
    }
    items
}

fn threshold(c: &mut Criterion) {
    let mut group = c.benchmark_group("tbls");
    for (t, n) in CONFIGS {
        let label = format!("{t}of{n}");
        let secret = SecretKey::random();
        let shares = tbls::split(&secret, n, t).expect("valid split");
        let share = shares.values().next().expect("a share");
        let public_share = share.public_key();
        let partial = share.sign(MESSAGE);
        let quorum: BTreeMap<u64, Signature> = shares
            .iter()
            .take(t as usize)
            .map(|(i, s)| (*i, s.sign(MESSAGE)))
            .collect();
        let quorum_shares: BTreeMap<u64, SecretKey> = shares
            .iter()
            .take(t as usize)
            .map(|(i, s)| (*i, s.clone()))
            .collect();
        assert!(tbls::combine_signatures(&quorum, t)
            .expect("combine")
            .verify(&secret.public_key(), MESSAGE));
        // The first t shares (1..=t) have integer Lagrange coefficients; leaving out share t
        // for share n gives a common denominator (e.g. 3 for shares 1, 2, 4).
        let with_denominator: BTreeMap<u64, Signature> = shares
            .iter()
            .take(t as usize - 1)
            .chain(shares.iter().last())
            .map(|(i, s)| (*i, s.sign(MESSAGE)))
            .collect();
        assert!(tbls::combine_signatures(&with_denominator, t)
            .expect("combine")
            .verify(&secret.public_key(), MESSAGE));
        let batch = partial_batch(n, t);
        assert!(bls::batch_verify(&batch));

        group.bench_function(BenchmarkId::new("partial_sign", &label), |b| {
            b.iter(|| share.sign(black_box(MESSAGE)))
        });
        group.bench_function(BenchmarkId::new("verify_partial", &label), |b| {
            b.iter(|| partial.verify(&public_share, black_box(MESSAGE)))
        });
        group.bench_function(BenchmarkId::new("batch_verify_100", &label), |b| {
            b.iter(|| bls::batch_verify(black_box(&batch)))
        });
        group.bench_function(BenchmarkId::new("combine", &label), |b| {
            b.iter(|| tbls::combine_signatures(black_box(&quorum), t))
        });
        group.bench_function(BenchmarkId::new("combine_with_denominator", &label), |b| {
            b.iter(|| tbls::combine_signatures(black_box(&with_denominator), t))
        });
        group.bench_function(BenchmarkId::new("recover_secret", &label), |b| {
            b.iter(|| tbls::recover_secret(black_box(&quorum_shares), t))
        });
    }
    group.finish();
}

fn batch_shapes(c: &mut Criterion) {
    let mut group = c.benchmark_group("batch_verify_100");
    let keys: Vec<SecretKey> = (0..BATCH).map(|_| SecretKey::random()).collect();
    let same: Vec<(PublicKey, Vec<u8>, Signature)> = keys
        .iter()
        .map(|k| (k.public_key(), MESSAGE.to_vec(), k.sign(MESSAGE)))
        .collect();
    let distinct: Vec<(PublicKey, Vec<u8>, Signature)> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let message = message_for(i);
            (k.public_key(), message.clone(), k.sign(&message))
        })
        .collect();
    assert!(bls::batch_verify(&same) && bls::batch_verify(&distinct));
    group.bench_function("same_message", |b| {
        b.iter(|| bls::batch_verify(black_box(&same)))
    });
    group.bench_function("distinct_messages", |b| {
        b.iter(|| bls::batch_verify(black_box(&distinct)))
    });
    group.bench_function("one_by_one_distinct", |b| {
        b.iter(|| distinct.iter().all(|(pk, m, s)| s.verify(pk, black_box(m))))
    });
    group.finish();
}

/// One peer's set of attestation partials at 1,000 validators (31 signatures over one signing
/// root), and set sizes on both sides of the fitted Pippenger windows (12..=31 points).
fn batch_sizes(c: &mut Criterion) {
    let mut group = c.benchmark_group("batch_verify_same_message");
    for n in [4usize, 12, 16, 31, 32, 64] {
        let set: Vec<(PublicKey, Vec<u8>, Signature)> = (0..n)
            .map(|_| {
                let key = SecretKey::random();
                (key.public_key(), MESSAGE.to_vec(), key.sign(MESSAGE))
            })
            .collect();
        assert!(bls::batch_verify(&set));
        group.bench_function(BenchmarkId::from_parameter(n), |b| {
            b.iter(|| bls::batch_verify(black_box(&set)))
        });
    }
    group.finish();
}

/// Runs every benchmark of this file (10 samples each: the slowest take tens of milliseconds).
fn benches() {
    let mut criterion = Criterion::default().sample_size(10).configure_from_args();
    baselines(&mut criterion);
    prepared_message(&mut criterion);
    threshold(&mut criterion);
    batch_shapes(&mut criterion);
    batch_sizes(&mut criterion);
}

criterion_main!(benches);
