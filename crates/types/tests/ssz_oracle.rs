//! Conformance of `mosaic_types::consensus` against the executable consensus specs: every line
//! that `scripts/ssz_oracle/oracle.py` prints (a pseudo-random container built with the
//! `eth-consensus-specs` classes) must parse from its beacon-API JSON, encode to the same SSZ,
//! have the same hash tree root, decode back from SSZ and print the same JSON.
//!
//! The interpreter is `$MOSAIC_PYTHON`, or `.venv-ssz/bin/python` under the workspace root
//! (made by `scripts/setup-ssz-oracle.sh`). Without it the test fails when
//! `MOSAIC_REQUIRE_VECTORS=1` and is skipped loudly otherwise.

use std::collections::BTreeMap;
use std::fmt::Debug;

use mosaic_types::consensus::{
    altair, bellatrix, capella, deneb, electra, fulu, phase0, versioned, ForkVersioned, Mainnet,
    Minimal, Preset,
};
use mosaic_types::ForkName;
use serde::de::DeserializeOwned;
use serde::Serialize;
use ssz::{Decode, Encode};
use tree_hash::TreeHash;

/// The forks whose containers are checked.
const FORKS: [&str; 7] = [
    "phase0",
    "altair",
    "bellatrix",
    "capella",
    "deneb",
    "electra",
    "fulu",
];

/// One oracle line.
#[derive(serde::Deserialize)]
struct Line {
    fork: String,
    preset: String,
    #[serde(rename = "type")]
    type_name: String,
    json: serde_json::Value,
    ssz_hex: String,
    root_hex: String,
}

/// Runs the oracle, or returns `None` (after the skip notice) when it cannot run.
fn oracle_lines() -> Option<Vec<Line>> {
    let forks = FORKS.join(",");
    let text = mosaic_test_vectors::run_oracle(
        "SSZ oracle conformance",
        "oracle.py",
        &["--forks", &forks],
        "",
    )?;
    Some(
        text.lines()
            .map(|line| serde_json::from_str(line).expect("oracle line is JSON"))
            .collect(),
    )
}

fn unhex(text: &str) -> Vec<u8> {
    hex::decode(text.trim_start_matches("0x")).expect("oracle hex")
}

/// The four checks for one line and one Rust type.
fn check<T>(line: &Line)
where
    T: Encode + Decode + TreeHash + Serialize + DeserializeOwned + PartialEq + Debug,
{
    let what = format!("{}/{}/{}", line.preset, line.fork, line.type_name);
    let value: T = serde_json::from_value(line.json.clone())
        .unwrap_or_else(|error| panic!("{what}: JSON does not parse: {error}"));
    let ssz = unhex(&line.ssz_hex);
    assert!(value.as_ssz_bytes() == ssz, "{what}: SSZ differs");
    assert_eq!(
        format!("0x{}", hex::encode(value.tree_hash_root().0)),
        line.root_hex,
        "{what}: hash tree root differs"
    );
    let decoded = T::from_ssz_bytes(&ssz)
        .unwrap_or_else(|error| panic!("{what}: SSZ does not decode: {error:?}"));
    assert_eq!(
        decoded, value,
        "{what}: SSZ decode differs from the JSON value"
    );
    assert_eq!(
        serde_json::to_value(&decoded).expect("serialize"),
        line.json,
        "{what}: JSON output differs"
    );
}

/// The fork-tagged enum path: decode by fork name from JSON and SSZ, same root and bytes.
fn check_versioned<V: ForkVersioned + PartialEq + Debug>(line: &Line) {
    let what = format!(
        "{}/{}/{} (versioned)",
        line.preset, line.fork, line.type_name
    );
    let fork: ForkName = line.fork.parse().expect("fork name");
    let from_json =
        V::from_json_at(line.json.clone(), fork).unwrap_or_else(|error| panic!("{what}: {error}"));
    assert_eq!(from_json.fork_name(), fork, "{what}: fork");
    let ssz = unhex(&line.ssz_hex);
    let from_ssz = V::from_ssz_at(&ssz, fork).unwrap_or_else(|error| panic!("{what}: {error}"));
    assert_eq!(from_ssz, from_json, "{what}: SSZ and JSON values differ");
    assert!(from_ssz.to_ssz() == ssz, "{what}: SSZ differs");
    assert_eq!(
        format!("0x{}", hex::encode(from_ssz.root().0)),
        line.root_hex,
        "{what}: root differs"
    );
    assert_eq!(
        serde_json::to_value(&from_ssz).expect("serialize"),
        line.json,
        "{what}: JSON differs"
    );
}

/// Checks the fork-tagged enum for the line's type, if it has one; `true` if it did.
fn check_line_versioned<P: Preset>(line: &Line) -> bool {
    match line.type_name.as_str() {
        "BeaconBlock" => check_versioned::<versioned::BeaconBlock<P>>(line),
        "SignedBeaconBlock" => check_versioned::<versioned::SignedBeaconBlock<P>>(line),
        "BlindedBeaconBlock" => check_versioned::<versioned::BlindedBeaconBlock<P>>(line),
        "SignedBlindedBeaconBlock" => {
            check_versioned::<versioned::SignedBlindedBeaconBlock<P>>(line)
        }
        "BlockContents" => check_versioned::<versioned::BlockContents<P>>(line),
        "SignedBlockContents" => check_versioned::<versioned::SignedBlockContents<P>>(line),
        "Attestation" => check_versioned::<versioned::Attestation<P>>(line),
        "AttesterSlashing" => check_versioned::<versioned::AttesterSlashing<P>>(line),
        "AggregateAndProof" => check_versioned::<versioned::AggregateAndProof<P>>(line),
        "SignedAggregateAndProof" => check_versioned::<versioned::SignedAggregateAndProof<P>>(line),
        _ => return false,
    }
    true
}

/// Dispatches a line of preset `P` to its Rust type; `false` if no type is known.
fn check_line<P: Preset>(line: &Line) -> bool {
    match (line.fork.as_str(), line.type_name.as_str()) {
        ("phase0", "Fork") => check::<phase0::Fork>(line),
        ("phase0", "ForkData") => check::<mosaic_types::ForkData>(line),
        ("phase0", "Checkpoint") => check::<phase0::Checkpoint>(line),
        ("phase0", "AttestationData") => check::<phase0::AttestationData>(line),
        ("phase0", "Attestation") => check::<phase0::Attestation<P>>(line),
        ("phase0", "IndexedAttestation") => check::<phase0::IndexedAttestation<P>>(line),
        ("phase0", "AggregateAndProof") => check::<phase0::AggregateAndProof<P>>(line),
        ("phase0", "SignedAggregateAndProof") => check::<phase0::SignedAggregateAndProof<P>>(line),
        ("phase0", "BeaconBlockHeader") => check::<phase0::BeaconBlockHeader>(line),
        ("phase0", "SignedBeaconBlockHeader") => check::<phase0::SignedBeaconBlockHeader>(line),
        ("phase0", "ProposerSlashing") => check::<phase0::ProposerSlashing>(line),
        ("phase0", "AttesterSlashing") => check::<phase0::AttesterSlashing<P>>(line),
        ("phase0", "DepositMessage") => check::<mosaic_types::DepositMessage>(line),
        ("phase0", "DepositData") => check::<mosaic_types::DepositData>(line),
        ("phase0", "Deposit") => check::<phase0::Deposit>(line),
        ("phase0", "VoluntaryExit") => check::<phase0::VoluntaryExit>(line),
        ("phase0", "SignedVoluntaryExit") => check::<phase0::SignedVoluntaryExit>(line),
        ("phase0", "Eth1Data") => check::<phase0::Eth1Data>(line),
        ("phase0", "SigningData") => check::<mosaic_types::SigningData>(line),
        ("phase0", "BeaconBlockBody") => check::<phase0::BeaconBlockBody<P>>(line),
        ("phase0", "BeaconBlock") => check::<phase0::BeaconBlock<P>>(line),
        ("phase0", "SignedBeaconBlock") => check::<phase0::SignedBeaconBlock<P>>(line),
        ("phase0", "ValidatorRegistrationV1") => {
            check::<mosaic_types::ValidatorRegistrationV1>(line)
        }
        ("phase0", "SignedValidatorRegistrationV1") => {
            check::<mosaic_types::SignedValidatorRegistrationV1>(line)
        }

        ("altair", "SyncAggregate") => check::<altair::SyncAggregate<P>>(line),
        ("altair", "SyncCommitteeMessage") => check::<altair::SyncCommitteeMessage>(line),
        ("altair", "SyncCommitteeContribution") => {
            check::<altair::SyncCommitteeContribution<P>>(line)
        }
        ("altair", "ContributionAndProof") => check::<altair::ContributionAndProof<P>>(line),
        ("altair", "SignedContributionAndProof") => {
            check::<altair::SignedContributionAndProof<P>>(line)
        }
        ("altair", "SyncAggregatorSelectionData") => {
            check::<altair::SyncAggregatorSelectionData>(line)
        }
        ("altair", "BeaconBlockBody") => check::<altair::BeaconBlockBody<P>>(line),
        ("altair", "BeaconBlock") => check::<altair::BeaconBlock<P>>(line),
        ("altair", "SignedBeaconBlock") => check::<altair::SignedBeaconBlock<P>>(line),

        ("bellatrix", "ExecutionPayload") => check::<bellatrix::ExecutionPayload<P>>(line),
        ("bellatrix", "ExecutionPayloadHeader") => {
            check::<bellatrix::ExecutionPayloadHeader<P>>(line)
        }
        ("bellatrix", "BeaconBlockBody") => check::<bellatrix::BeaconBlockBody<P>>(line),
        ("bellatrix", "BeaconBlock") => check::<bellatrix::BeaconBlock<P>>(line),
        ("bellatrix", "SignedBeaconBlock") => check::<bellatrix::SignedBeaconBlock<P>>(line),
        ("bellatrix", "BlindedBeaconBlockBody") => {
            check::<bellatrix::BlindedBeaconBlockBody<P>>(line)
        }
        ("bellatrix", "BlindedBeaconBlock") => check::<bellatrix::BlindedBeaconBlock<P>>(line),
        ("bellatrix", "SignedBlindedBeaconBlock") => {
            check::<bellatrix::SignedBlindedBeaconBlock<P>>(line)
        }

        ("capella", "Withdrawal") => check::<capella::Withdrawal>(line),
        ("capella", "BLSToExecutionChange") => check::<capella::BlsToExecutionChange>(line),
        ("capella", "SignedBLSToExecutionChange") => {
            check::<capella::SignedBlsToExecutionChange>(line)
        }
        ("capella", "ExecutionPayload") => check::<capella::ExecutionPayload<P>>(line),
        ("capella", "ExecutionPayloadHeader") => check::<capella::ExecutionPayloadHeader<P>>(line),
        ("capella", "BeaconBlockBody") => check::<capella::BeaconBlockBody<P>>(line),
        ("capella", "BeaconBlock") => check::<capella::BeaconBlock<P>>(line),
        ("capella", "SignedBeaconBlock") => check::<capella::SignedBeaconBlock<P>>(line),
        ("capella", "BlindedBeaconBlockBody") => check::<capella::BlindedBeaconBlockBody<P>>(line),
        ("capella", "BlindedBeaconBlock") => check::<capella::BlindedBeaconBlock<P>>(line),
        ("capella", "SignedBlindedBeaconBlock") => {
            check::<capella::SignedBlindedBeaconBlock<P>>(line)
        }

        ("deneb", "ExecutionPayload") => check::<deneb::ExecutionPayload<P>>(line),
        ("deneb", "ExecutionPayloadHeader") => check::<deneb::ExecutionPayloadHeader<P>>(line),
        ("deneb", "BeaconBlockBody") => check::<deneb::BeaconBlockBody<P>>(line),
        ("deneb", "BeaconBlock") => check::<deneb::BeaconBlock<P>>(line),
        ("deneb", "SignedBeaconBlock") => check::<deneb::SignedBeaconBlock<P>>(line),
        ("deneb", "BlindedBeaconBlockBody") => check::<deneb::BlindedBeaconBlockBody<P>>(line),
        ("deneb", "BlindedBeaconBlock") => check::<deneb::BlindedBeaconBlock<P>>(line),
        ("deneb", "SignedBlindedBeaconBlock") => check::<deneb::SignedBlindedBeaconBlock<P>>(line),
        ("deneb", "BlockContents") => check::<deneb::BlockContents<P>>(line),
        ("deneb", "SignedBlockContents") => check::<deneb::SignedBlockContents<P>>(line),

        ("electra", "Attestation") => check::<electra::Attestation<P>>(line),
        ("electra", "IndexedAttestation") => check::<electra::IndexedAttestation<P>>(line),
        ("electra", "AttesterSlashing") => check::<electra::AttesterSlashing<P>>(line),
        ("electra", "AggregateAndProof") => check::<electra::AggregateAndProof<P>>(line),
        ("electra", "SignedAggregateAndProof") => {
            check::<electra::SignedAggregateAndProof<P>>(line)
        }
        ("electra", "ExecutionRequests") => check::<electra::ExecutionRequests<P>>(line),
        ("electra", "SingleAttestation") => check::<electra::SingleAttestation>(line),
        ("electra", "DepositRequest") => check::<electra::DepositRequest>(line),
        ("electra", "WithdrawalRequest") => check::<electra::WithdrawalRequest>(line),
        ("electra", "ConsolidationRequest") => check::<electra::ConsolidationRequest>(line),
        ("electra", "BeaconBlockBody") => check::<electra::BeaconBlockBody<P>>(line),
        ("electra", "BeaconBlock") => check::<electra::BeaconBlock<P>>(line),
        ("electra", "SignedBeaconBlock") => check::<electra::SignedBeaconBlock<P>>(line),
        ("electra", "BlindedBeaconBlockBody") => check::<electra::BlindedBeaconBlockBody<P>>(line),
        ("electra", "BlindedBeaconBlock") => check::<electra::BlindedBeaconBlock<P>>(line),
        ("electra", "SignedBlindedBeaconBlock") => {
            check::<electra::SignedBlindedBeaconBlock<P>>(line)
        }
        ("electra", "BlockContents") => check::<electra::BlockContents<P>>(line),
        ("electra", "SignedBlockContents") => check::<electra::SignedBlockContents<P>>(line),

        ("fulu", "BeaconBlockBody") => check::<fulu::BeaconBlockBody<P>>(line),
        ("fulu", "BeaconBlock") => check::<fulu::BeaconBlock<P>>(line),
        ("fulu", "SignedBeaconBlock") => check::<fulu::SignedBeaconBlock<P>>(line),
        ("fulu", "BlindedBeaconBlockBody") => check::<fulu::BlindedBeaconBlockBody<P>>(line),
        ("fulu", "BlindedBeaconBlock") => check::<fulu::BlindedBeaconBlock<P>>(line),
        ("fulu", "SignedBlindedBeaconBlock") => check::<fulu::SignedBlindedBeaconBlock<P>>(line),
        ("fulu", "BlockContents") => check::<fulu::BlockContents<P>>(line),
        ("fulu", "SignedBlockContents") => check::<fulu::SignedBlockContents<P>>(line),

        _ => return false,
    }
    true
}

#[test]
fn containers_match_the_executable_spec() {
    let Some(lines) = oracle_lines() else { return };
    let mut checked: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut unknown = Vec::new();
    let mut versioned_checked = 0usize;
    for line in &lines {
        let known = match line.preset.as_str() {
            "mainnet" => check_line::<Mainnet>(line),
            "minimal" => check_line::<Minimal>(line),
            other => panic!("oracle printed unknown preset {other}"),
        };
        versioned_checked += usize::from(match line.preset.as_str() {
            "mainnet" => check_line_versioned::<Mainnet>(line),
            _ => check_line_versioned::<Minimal>(line),
        });
        if known {
            *checked
                .entry((line.preset.clone(), line.fork.clone()))
                .or_default() += 1;
        } else {
            unknown.push(format!("{}/{}/{}", line.preset, line.fork, line.type_name));
        }
    }
    unknown.dedup();
    assert!(unknown.is_empty(), "no Rust type for: {unknown:?}");
    for fork in FORKS {
        for preset in ["mainnet", "minimal"] {
            assert!(
                checked.get(&(preset.to_owned(), fork.to_owned())).copied() >= Some(40),
                "too few {preset}/{fork} lines: {checked:?}"
            );
        }
    }
    assert!(
        versioned_checked > 200,
        "versioned checks: {versioned_checked}"
    );
    eprintln!("SSZ oracle: {versioned_checked} also through fork-tagged enums");
    eprintln!(
        "SSZ oracle: checked {} containers: {checked:?}",
        lines.len()
    );
}
