//! The simulator's duty assignment against the executable consensus specs: committees,
//! proposers (phase0 and Electra sampling, Fulu's lookahead), the sync committee, the aggregator
//! selections and `compute_shuffled_index` itself, as computed by `scripts/ssz_oracle/shuffling.py`
//! with the `eth-consensus-specs` package's own functions on a `BeaconState` carrying the
//! simulator's validator set and RANDAO mixes.
//!
//! The interpreter is `$MOSAIC_PYTHON`, or `.venv-ssz/bin/python` under the workspace root
//! (made by `scripts/setup-ssz-oracle.sh`). Without it the test fails when
//! `MOSAIC_REQUIRE_VECTORS=1` and is skipped loudly otherwise.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use mosaic_simnet::chain::Chain;
use mosaic_simnet::spec::{self, hash};
use mosaic_simnet::{Preset, SimConfig};
use mosaic_types::ForkName;
use serde_json::{json, Value};

/// Sends `requests` (one JSON object a line) to the oracle and returns its answers, or `None`
/// (after the skip notice) when it cannot run.
fn ask_oracle(requests: &[Value]) -> Option<Vec<Value>> {
    let mut input = String::new();
    for request in requests {
        input.push_str(&request.to_string());
        input.push('\n');
    }
    let text = mosaic_test_vectors::run_oracle(
        "the consensus-spec duty oracle",
        "shuffling.py",
        &[],
        &input,
    )?;
    let answers: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).expect("oracle line is JSON"))
        .collect();
    assert_eq!(answers.len(), requests.len(), "one answer per request");
    Some(answers)
}

/// Deterministic pseudo-random 32 bytes number `n` of stream `label`.
fn random(label: &str, n: u64) -> [u8; 32] {
    hash(&[label.as_bytes(), &n.to_le_bytes()])
}

fn random_u64(label: &str, n: u64) -> u64 {
    u64::from_le_bytes(random(label, n)[..8].try_into().unwrap())
}

fn random_signature(n: u64) -> [u8; 96] {
    let mut signature = [0u8; 96];
    for (i, chunk) in signature.chunks_mut(32).enumerate() {
        chunk.copy_from_slice(&random(&format!("signature {i}"), n));
    }
    signature
}

fn hex0x(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

/// `(index, count, seed)` shuffling cases: edge counts around 256-position blocks, then random.
fn shuffle_cases(preset: Preset) -> Vec<(u64, u64, [u8; 32])> {
    let label = format!("shuffle {}", preset.name());
    let mut cases = Vec::new();
    for (n, count) in [1u64, 2, 3, 255, 256, 257, 511, 512, 513, 1000]
        .into_iter()
        .enumerate()
    {
        let n = n as u64;
        cases.push((0, count, random(&label, n)));
        cases.push((count - 1, count, random(&label, n + 100)));
    }
    for n in 0..100 {
        let count = 1 + random_u64(&label, 1000 + n) % 300;
        let index = random_u64(&label, 5000 + n) % count;
        cases.push((index, count, random(&label, 9000 + n)));
    }
    cases
}

#[test]
fn compute_shuffled_index_matches_the_spec_in_both_presets() {
    let presets = [Preset::Minimal, Preset::Mainnet];
    let requests: Vec<Value> = presets
        .iter()
        .map(|preset| {
            let cases: Vec<Value> = shuffle_cases(*preset)
                .iter()
                .map(|(index, count, seed)| json!([index, count, hex0x(seed)]))
                .collect();
            json!({"kind": "shuffle", "preset": preset.name(), "cases": cases})
        })
        .collect();
    let Some(answers) = ask_oracle(&requests) else {
        return;
    };
    for (preset, answer) in presets.iter().zip(&answers) {
        let rounds = preset.shuffle_round_count();
        let expected = answer["results"].as_array().unwrap();
        let cases = shuffle_cases(*preset);
        assert_eq!(expected.len(), cases.len());
        for ((index, count, seed), want) in cases.iter().zip(expected) {
            let want = want.as_u64().unwrap();
            let what = format!("{} index {index} of {count}", preset.name());
            assert_eq!(
                spec::compute_shuffled_index(*index, *count, seed, rounds),
                want,
                "{what}"
            );
            let list = spec::shuffled_indices(*count as usize, seed, rounds);
            assert_eq!(u64::from(list[*index as usize]), want, "{what} (list)");
        }
    }
}

/// One simulated chain to compare.
struct ChainCase {
    preset: Preset,
    fork: ForkName,
    validators: usize,
    seed: u64,
    /// Voluntary exits `(validator, epoch)` applied before any duty is computed.
    exits: Vec<(u64, u64)>,
    epochs: Vec<u64>,
    sync_periods: Vec<u64>,
}

impl ChainCase {
    fn chain(&self) -> Chain {
        let mut config = SimConfig::new(1_700_000_000);
        config.preset = self.preset;
        config.slots_per_epoch = self.preset.slots_per_epoch();
        config.fork = self.fork;
        config.filler_validators = self.validators;
        config.seed = self.seed;
        let mut chain = Chain::new(config).unwrap();
        for (validator, epoch) in &self.exits {
            chain.exit_validator(*validator, *epoch);
        }
        chain
    }

    fn request(&self, chain: &Chain) -> Value {
        let period_epochs = self.preset.epochs_per_sync_committee_period();
        let mut mixes = BTreeMap::new();
        for epoch in self
            .epochs
            .iter()
            .copied()
            .chain(self.sync_periods.iter().map(|p| p * period_epochs))
        {
            mixes.insert(epoch.to_string(), hex0x(&chain.randao_mix(epoch).0));
        }
        let exits: BTreeMap<String, u64> = chain
            .validators()
            .iter()
            .filter(|v| v.exit_epoch != u64::MAX)
            .map(|v| (v.index.to_string(), v.exit_epoch))
            .collect();
        let signatures: Vec<String> = (0..40).map(|n| hex0x(&random_signature(n))).collect();
        json!({
            "kind": "chain",
            "preset": self.preset.name(),
            "fork": self.fork.as_str(),
            "validators": self.validators,
            "exits": exits,
            "mixes": mixes,
            "epochs": self.epochs,
            "sync_periods": self.sync_periods,
            "slot_signatures": signatures,
        })
    }

    fn compare(&self, chain: &mut Chain, answer: &Value) {
        let name = format!(
            "{} {} {} validators",
            self.preset.name(),
            self.fork,
            self.validators
        );
        let mut first_committee_len = None;
        for (epoch, want) in self.epochs.iter().zip(answer["epochs"].as_array().unwrap()) {
            let duties = chain.epoch_duties(*epoch);
            assert_eq!(
                duties.committees_per_slot,
                want["committees_per_slot"].as_u64().unwrap(),
                "{name} epoch {epoch}: committees per slot"
            );
            let committees: Vec<Vec<u64>> =
                serde_json::from_value(want["committees"].clone()).unwrap();
            assert_eq!(
                duties.committees, committees,
                "{name} epoch {epoch}: committees"
            );
            let proposers: Vec<u64> = serde_json::from_value(want["proposers"].clone()).unwrap();
            assert_eq!(
                duties.proposers, proposers,
                "{name} epoch {epoch}: proposers"
            );
            first_committee_len.get_or_insert(duties.committees[0].len());
        }
        for (period, want) in self
            .sync_periods
            .iter()
            .zip(answer["sync"].as_array().unwrap())
        {
            let members: Vec<u64> = serde_json::from_value(want["members"].clone()).unwrap();
            assert_eq!(
                chain.sync_committee(*period).members,
                members,
                "{name} sync committee of period {period}"
            );
        }
        let committee_len = first_committee_len.unwrap();
        let mut selected = [0usize; 2];
        for (n, want) in answer["aggregators"].as_array().unwrap().iter().enumerate() {
            let signature = random_signature(n as u64);
            let aggregator = spec::is_aggregator(committee_len, &signature);
            assert_eq!(
                aggregator,
                want["is_aggregator"].as_bool().unwrap(),
                "{name} is_aggregator of signature {n} (committee of {committee_len})"
            );
            let sync_aggregator = spec::is_sync_committee_aggregator(self.preset, &signature);
            assert_eq!(
                sync_aggregator,
                want["is_sync_committee_aggregator"].as_bool().unwrap(),
                "{name} is_sync_committee_aggregator of signature {n}"
            );
            selected[0] += usize::from(aggregator);
            selected[1] += usize::from(sync_aggregator);
        }
        eprintln!(
            "{name}: committee of {committee_len}, {} of 40 aggregators, {} of 40 sync aggregators",
            selected[0], selected[1]
        );
    }
}

#[test]
fn duties_match_the_spec_for_the_simulators_state() {
    let cases = [
        // Pre-Electra sampling; an exit shrinks the active set from epoch 2.
        ChainCase {
            preset: Preset::Minimal,
            fork: ForkName::Deneb,
            validators: 72,
            seed: 1,
            exits: vec![(5, 1), (40, 0)],
            epochs: vec![0, 1, 2],
            sync_periods: vec![1, 2],
        },
        // Committees of 32 and more: the aggregator modulo is 2.
        ChainCase {
            preset: Preset::Minimal,
            fork: ForkName::Electra,
            validators: 1100,
            seed: 2,
            exits: vec![(7, 0)],
            epochs: vec![0, 3],
            sync_periods: vec![1],
        },
        ChainCase {
            preset: Preset::Minimal,
            fork: ForkName::Fulu,
            validators: 200,
            seed: 3,
            exits: vec![],
            epochs: vec![0, 1, 9],
            sync_periods: vec![1, 3],
        },
        ChainCase {
            preset: Preset::Mainnet,
            fork: ForkName::Fulu,
            validators: 120,
            seed: 4,
            exits: vec![],
            epochs: vec![5],
            sync_periods: vec![1],
        },
        ChainCase {
            preset: Preset::Mainnet,
            fork: ForkName::Capella,
            validators: 100,
            seed: 5,
            exits: vec![(3, 1)],
            epochs: vec![2],
            sync_periods: vec![1],
        },
    ];
    let mut chains: Vec<Chain> = cases.iter().map(ChainCase::chain).collect();
    let requests: Vec<Value> = cases
        .iter()
        .zip(&chains)
        .map(|(case, chain)| case.request(chain))
        .collect();
    let Some(answers) = ask_oracle(&requests) else {
        return;
    };
    for ((case, chain), answer) in cases.iter().zip(&mut chains).zip(&answers) {
        case.compare(chain, answer);
    }
}
