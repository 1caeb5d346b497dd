//! secp256k1 costs as Mosaic pays them: RFC 6979 recoverable signing, parsing a 65-byte
//! `R || S || V` signature, public-key recovery, recover-and-compare verification (what every
//! QBFT message costs), compact verification (ENR v4), and public-key derivation.

use std::hint::black_box;

use criterion::{criterion_main, Criterion};
use mosaic_crypto::secp256k1::{self, RecoverableSignature, SecretKey};

fn bench(c: &mut Criterion) {
    let key =
        SecretKey::from_hex("4f3edf983ac636a65a842ce7c78d9aa706d3b113bce9c46f30d7d21715b23b1d")
            .expect("valid key");
    let public = key.public_key();
    let digest = [9u8; 32];
    let signature = key.sign(&digest);
    let signature_bytes = signature.to_bytes();
    let compact = signature.to_compact();

    let mut group = c.benchmark_group("secp256k1");
    group.bench_function("sign_recoverable", |b| {
        b.iter(|| key.sign(black_box(&digest)))
    });
    group.bench_function("parse_recoverable", |b| {
        b.iter(|| RecoverableSignature::from_bytes(black_box(&signature_bytes)))
    });
    group.bench_function("recover", |b| {
        b.iter(|| signature.recover(black_box(&digest)))
    });
    group.bench_function("verify_recover_and_compare", |b| {
        b.iter(|| secp256k1::verify(&public, black_box(&digest), &signature))
    });
    group.bench_function("verify_compact", |b| {
        b.iter(|| public.verify_compact(black_box(&digest), &compact))
    });
    group.bench_function("public_key_from_secret", |b| {
        b.iter(|| black_box(&key).public_key())
    });
    group.finish();
}

/// Runs every benchmark of this file.
fn benches() {
    let mut criterion = Criterion::default().sample_size(20).configure_from_args();
    bench(&mut criterion);
}

criterion_main!(benches);
