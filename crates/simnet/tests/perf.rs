//! Per-slot cost of the simulator with 10,000 validators and 1 s slots: chain advance, duties,
//! attestation data, and strict verification of every attestation of the slot (all 10,000
//! validators explicit and attesting). Run with
//! `cargo test -p mosaic-simnet --release --test perf -- --ignored --nocapture`.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use mosaic_simnet::chain::filler_secret_key;
use mosaic_simnet::containers::SingleAttestation;
use mosaic_simnet::{verify, ManualClock, Recorder, SimConfig, Simulator};
use mosaic_types::{
    compute_domain, compute_signing_root, BlsPubkey, BlsSignature, DOMAIN_BEACON_ATTESTER,
};
use tree_hash::TreeHash;

const VALIDATORS: u64 = 10_000;
const SLOTS: u64 = 16;
const GENESIS: u64 = 1_700_000_000;

#[test]
#[ignore = "performance measurement; run explicitly"]
fn ten_thousand_validators_one_second_slots() {
    let started = Instant::now();
    let keys: Vec<_> = (0..VALIDATORS).map(|i| filler_secret_key(1, i)).collect();
    let mut config = SimConfig::new(GENESIS);
    config.validators = keys
        .iter()
        .map(|k| BlsPubkey(k.public_key().to_bytes()))
        .collect();
    config.virtual_proposals = true;
    let clock = ManualClock::new(GENESIS * 1000);
    let sim = Simulator::new(config, Arc::new(clock.clone())).unwrap();
    println!(
        "genesis with {VALIDATORS} validators: {:?} (incl. key derivation)",
        started.elapsed()
    );

    let mut recorder = Recorder::default();
    let mut worst = Duration::ZERO;
    let mut total = Duration::ZERO;
    for slot in 1..=SLOTS {
        clock.set_ms(GENESIS * 1000 + slot * 1000 + 400);
        // Untimed: the validators sign this slot's attestations.
        let (fork_version, gvr) =
            sim.with_chain(|c| (c.fork_version(), c.genesis_validators_root()));
        let domain = compute_domain(DOMAIN_BEACON_ATTESTER, fork_version, gvr);
        let tick_start = Instant::now();
        sim.tick();
        let tick = tick_start.elapsed();
        let (duties, data_by_committee) = sim.with_chain(|c| {
            let duties = c.epoch_duties(c.epoch_of(slot));
            let data: Vec<_> = (0..duties.committees_per_slot)
                .map(|i| c.attestation_data(slot, i))
                .collect();
            (duties, data)
        });
        let attestations: Vec<SingleAttestation> = duties
            .attesters
            .iter()
            .flatten()
            .filter(|d| d.slot == slot)
            .map(|d| {
                let data = data_by_committee[d.committee_index as usize];
                let root = compute_signing_root(data.tree_hash_root().into(), domain);
                SingleAttestation {
                    committee_index: d.committee_index,
                    attester_index: d.validator_index,
                    data,
                    signature: BlsSignature(
                        keys[d.validator_index as usize].sign(&root.0).to_bytes(),
                    ),
                }
            })
            .collect();
        // Timed: what the node does for the slot.
        let work_start = Instant::now();
        let checked: Vec<_> = sim.with_chain(|c| {
            attestations
                .iter()
                .map(|a| verify::single_attestation(c, a, clock_ms(&clock)).unwrap())
                .collect()
        });
        let results = verify::verify_batch(&checked);
        assert!(results.iter().all(Result::is_ok));
        for c in checked {
            recorder.record(c.submission);
        }
        let work = work_start.elapsed();
        let slot_time = tick + work;
        worst = worst.max(slot_time);
        total += slot_time;
        println!(
            "slot {slot:>2}: tick {tick:>10.3?}  verify+record {:>4} attestations {work:>10.3?}  total {slot_time:>10.3?}",
            attestations.len()
        );
    }
    println!("mean per slot {:?}, worst {worst:?}", total / SLOTS as u32);
    assert!(
        worst < Duration::from_secs(1),
        "a slot took {worst:?}, longer than the 1 s slot"
    );
}

fn clock_ms(clock: &ManualClock) -> u64 {
    use mosaic_simnet::Clock;
    clock.now_ms()
}
