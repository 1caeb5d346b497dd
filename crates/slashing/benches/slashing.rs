//! Slashing-protection throughput: attestation checks plus inserts per second for 10,000
//! validators with 10 epochs of history each, batched per slot (313) and per epoch (10,000),
//! and one attestation per transaction for reference.

use std::cell::Cell;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use mosaic_slashing::{
    AttestationRequest, Interchange, InterchangeValidator, Safe, SignedAttestation, SlashingDb,
};

const VALIDATORS: usize = 10_000;
const HISTORY_EPOCHS: u64 = 10;
const SLOTS_PER_EPOCH: usize = 32;
const GVR: [u8; 32] = [0x5a; 32];

fn pubkey(index: usize) -> [u8; 48] {
    let mut key = [0u8; 48];
    key[..8].copy_from_slice(&(index as u64).to_le_bytes());
    key[47] = 0x80;
    key
}

fn signing_root(index: usize, target: u64) -> [u8; 32] {
    let mut root = [0x77; 32];
    root[..8].copy_from_slice(&(index as u64).to_le_bytes());
    root[8..16].copy_from_slice(&target.to_le_bytes());
    root
}

/// A database whose validators each signed attestations `(e, e + 1)` for `e < HISTORY_EPOCHS`.
fn populated_db() -> (tempfile::TempDir, SlashingDb) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut db = SlashingDb::open(dir.path().join("bench.sqlite")).expect("open");
    let mut history = Interchange::new(GVR);
    for index in 0..VALIDATORS {
        history.data.push(InterchangeValidator {
            pubkey: pubkey(index),
            signed_blocks: Vec::new(),
            signed_attestations: (0..HISTORY_EPOCHS)
                .map(|epoch| SignedAttestation {
                    source_epoch: epoch,
                    target_epoch: epoch + 1,
                    signing_root: Some(signing_root(index, epoch + 1)),
                })
                .collect(),
        });
    }
    db.import_interchange(&history, GVR)
        .expect("import history");
    (dir, db)
}

/// The attestations of `validators` for target epoch `target` (source `target - 1`).
fn batch(validators: std::ops::Range<usize>, target: u64) -> Vec<AttestationRequest> {
    validators
        .map(|index| AttestationRequest {
            pubkey: pubkey(index),
            source_epoch: target - 1,
            target_epoch: target,
            signing_root: Some(signing_root(index, target)),
        })
        .collect()
}

fn run_batch(db: &mut SlashingDb, requests: &[AttestationRequest]) -> Duration {
    let start = Instant::now();
    let verdicts = db
        .namespace(GVR)
        .expect("namespace")
        .check_and_insert_attestations_batch(requests)
        .expect("batch");
    let elapsed = start.elapsed();
    assert!(
        verdicts.iter().all(|v| matches!(v, Ok(Safe::Valid))),
        "unexpected refusal"
    );
    elapsed
}

fn attestations(c: &mut Criterion) {
    let mut group = c.benchmark_group("slashing_attestations");
    group.sample_size(10);

    // One slot's batch: a 32nd of the validators, for the current epoch.
    let per_slot = VALIDATORS.div_ceil(SLOTS_PER_EPOCH);
    {
        let (_dir, mut db) = populated_db();
        let next_slot = Cell::new(0usize);
        group.throughput(Throughput::Elements(per_slot as u64));
        group.bench_function("batch_per_slot_313", |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let slot = next_slot.get();
                    next_slot.set(slot + 1);
                    let target = HISTORY_EPOCHS + 1 + (slot / SLOTS_PER_EPOCH) as u64;
                    let first = (slot % SLOTS_PER_EPOCH) * per_slot;
                    let requests = batch(first..(first + per_slot).min(VALIDATORS), target);
                    total += run_batch(&mut db, &requests);
                }
                total
            });
        });
    }

    // A whole epoch of all 10,000 validators in one transaction.
    {
        let (_dir, mut db) = populated_db();
        let next_target = Cell::new(HISTORY_EPOCHS + 1);
        group.throughput(Throughput::Elements(VALIDATORS as u64));
        group.bench_function("batch_all_10000", |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let target = next_target.get();
                    next_target.set(target + 1);
                    total += run_batch(&mut db, &batch(0..VALIDATORS, target));
                }
                total
            });
        });
    }

    // One attestation per transaction (one fsync each), for reference.
    {
        let (_dir, mut db) = populated_db();
        let next = Cell::new(0usize);
        group.throughput(Throughput::Elements(1));
        group.bench_function("single_attestation", |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let n = next.get();
                    next.set(n + 1);
                    let index = n % VALIDATORS;
                    let target = HISTORY_EPOCHS + 1 + (n / VALIDATORS) as u64;
                    let start = Instant::now();
                    let verdict = db
                        .namespace(GVR)
                        .expect("namespace")
                        .check_and_insert_attestation(
                            &pubkey(index),
                            target - 1,
                            target,
                            Some(signing_root(index, target)),
                        );
                    total += start.elapsed();
                    assert!(matches!(verdict, Ok(Safe::Valid)), "{verdict:?}");
                }
                total
            });
        });
    }
    group.finish();
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    attestations(&mut criterion);
    criterion.final_summary();
}
