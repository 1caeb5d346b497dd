//! The slashing guard as the validator client sees it: every refusal rule fires, and one step
//! inside its boundary it does not; share keys are protected under their distributed
//! validator's key (so the history is a standard EIP-3076 interchange in both directions); a
//! genesis change starts a new namespace and keeps the old; a database failure refuses.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use mosaic_cluster::DistValidator;
use mosaic_crypto::bls::{PublicKey, SecretKey};
use mosaic_signer::{GuardStats, GuardedMessage, KeyMap, SlashingGuard};
use mosaic_slashing::{Interchange, SlashingDb};
use mosaic_vc::{AttestationToSign, SigningGuard};

const ROOT_A: [u8; 32] = [0xa0; 32];
const ROOT_B: [u8; 32] = [0xb0; 32];

fn public(byte: u8) -> PublicKey {
    SecretKey::from_bytes(&[byte; 32]).unwrap().public_key()
}

fn signing_root(byte: u8) -> [u8; 32] {
    [byte; 32]
}

/// A guard for the single key `public(1)` (protected under itself) on a fresh database.
fn solo_guard(dir: &Path) -> (SlashingGuard, PublicKey) {
    let key = public(1);
    let guard = SlashingGuard::open(
        dir.join("slashing-protection.sqlite"),
        ROOT_A,
        KeyMap::identity([key.to_bytes()]),
    )
    .unwrap();
    (guard, key)
}

/// Renames a table of the database at `path` through another connection (bypassing the lock
/// file, as a misbehaving tool would).
fn rename_table(path: &Path, from: &str, to: &str) {
    rusqlite::Connection::open(path)
        .unwrap()
        .execute_batch(&format!("ALTER TABLE {from} RENAME TO {to}"))
        .unwrap();
}

fn reason(result: Result<(), mosaic_vc::GuardRefusal>) -> String {
    result.expect_err("expected a refusal").reason
}

#[test]
fn double_proposals_are_refused_and_repeats_and_other_slots_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let (guard, key) = solo_guard(dir.path());
    guard.check_block(&key, 10, signing_root(1)).unwrap();
    let why = reason(guard.check_block(&key, 10, signing_root(2)));
    assert!(why.contains("double block proposal"), "{why}");
    // Inside the boundary: the very same block again, and the next slot.
    guard.check_block(&key, 10, signing_root(1)).unwrap();
    guard.check_block(&key, 11, signing_root(2)).unwrap();
    assert_eq!(
        guard.stats(),
        GuardStats {
            blocks_allowed: 2,
            blocks_repeated: 1,
            blocks_refused: 1,
            ..GuardStats::default()
        }
    );
    let refusals = guard.recent_refusals();
    assert_eq!(refusals.len(), 1);
    assert_eq!(refusals[0].message, GuardedMessage::Block { slot: 10 });
    assert_eq!(refusals[0].protected_key, Some(key.to_bytes()));
    assert_eq!(refusals[0].signing_root, signing_root(2));
}

#[test]
fn blocks_below_the_imported_low_watermark_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("slashing-protection.sqlite");
    let key = public(1);
    import(&path, ROOT_A, &key, &[50], &[]);
    let guard = SlashingGuard::open(&path, ROOT_A, KeyMap::identity([key.to_bytes()])).unwrap();
    let why = reason(guard.check_block(&key, 49, signing_root(1)));
    assert!(why.contains("low watermark"), "{why}");
    // The imported slot itself has an unknown root: never signable again.
    assert!(guard.check_block(&key, 50, signing_root(1)).is_err());
    guard.check_block(&key, 51, signing_root(1)).unwrap();
}

#[test]
fn attestation_rules_fire_and_their_boundaries_hold() {
    let dir = tempfile::tempdir().unwrap();
    let (guard, key) = solo_guard(dir.path());
    // source > target.
    let why = reason(guard.check_attestation(&key, 6, 5, signing_root(1)));
    assert!(why.contains("exceeds target"), "{why}");
    // source == target is allowed (the genesis checkpoint case).
    guard
        .check_attestation(&key, 5, 5, signing_root(1))
        .unwrap();
    // Double vote, and the same vote repeated.
    guard
        .check_attestation(&key, 10, 11, signing_root(2))
        .unwrap();
    let why = reason(guard.check_attestation(&key, 10, 11, signing_root(3)));
    assert!(why.contains("double vote"), "{why}");
    guard
        .check_attestation(&key, 10, 11, signing_root(2))
        .unwrap();
    // Surrounding 10->11: 9->12 fires; 10->12 (same source) does not.
    let why = reason(guard.check_attestation(&key, 9, 12, signing_root(4)));
    assert!(why.contains("surround"), "{why}");
    guard
        .check_attestation(&key, 10, 12, signing_root(4))
        .unwrap();
    // Surrounded by 12->20: 13->19 fires; 12->19 (same source) does not.
    guard
        .check_attestation(&key, 12, 20, signing_root(5))
        .unwrap();
    let why = reason(guard.check_attestation(&key, 13, 19, signing_root(6)));
    assert!(why.contains("surrounded"), "{why}");
    guard
        .check_attestation(&key, 12, 19, signing_root(6))
        .unwrap();
    let stats = guard.stats();
    assert_eq!(stats.attestations_allowed, 5);
    assert_eq!(stats.attestations_repeated, 1);
    assert_eq!(stats.attestations_refused, 4);
    assert_eq!(stats.database_errors, 0);
}

fn attestation(pubkey: PublicKey, source: u64, target: u64, root: u8) -> AttestationToSign {
    AttestationToSign {
        pubkey,
        source_epoch: source,
        target_epoch: target,
        signing_root: signing_root(root),
    }
}

#[test]
fn a_slots_attestations_are_guarded_together_each_after_those_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let (guard, key) = solo_guard(dir.path());
    assert!(guard.check_attestations(&[]).is_empty());
    // A low watermark under what follows (source 5), so that surround is what fires below.
    guard
        .check_attestation(&key, 5, 5, signing_root(1))
        .unwrap();
    let verdicts = guard.check_attestations(&[
        attestation(key, 10, 11, 2),
        // A double vote against the first of the same batch.
        attestation(key, 10, 11, 3),
        // The very same vote again: allowed.
        attestation(key, 10, 11, 2),
        // A key the signer does not hold, between held ones.
        attestation(public(9), 10, 11, 2),
        // Surrounding the first: refused; with its source: allowed.
        attestation(key, 9, 12, 4),
        attestation(key, 10, 12, 4),
    ]);
    let reasons: Vec<String> = verdicts
        .into_iter()
        .map(|verdict| {
            verdict
                .err()
                .map(|refusal| refusal.reason)
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(reasons[0], "");
    assert!(reasons[1].contains("double vote"), "{}", reasons[1]);
    assert_eq!(reasons[2], "");
    assert!(
        reasons[3].contains("not one of this signer's keys"),
        "{}",
        reasons[3]
    );
    assert!(reasons[4].contains("surround"), "{}", reasons[4]);
    assert_eq!(reasons[5], "");
    let stats = guard.stats();
    assert_eq!(stats.attestations_allowed, 3);
    assert_eq!(stats.attestations_repeated, 1);
    assert_eq!(stats.attestations_refused, 3);
    assert_eq!(stats.database_errors, 0);
    // Recorded for good: the next call sees them, one by one or batched.
    let why = reason(guard.check_attestation(&key, 10, 12, signing_root(5)));
    assert!(why.contains("double vote"), "{why}");
    assert!(guard.check_attestations(&[attestation(key, 12, 13, 6)])[0].is_ok());
}

#[test]
fn a_database_failure_refuses_the_whole_batch_and_records_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("slashing-protection.sqlite");
    let (guard, key) = solo_guard(dir.path());
    rename_table(&path, "signed_attestations", "signed_attestations_away");
    let batch = [
        attestation(key, 1, 2, 1),
        attestation(public(9), 1, 2, 1),
        attestation(key, 2, 3, 2),
    ];
    let verdicts = guard.check_attestations(&batch);
    for (i, verdict) in verdicts.iter().enumerate() {
        let why = &verdict.as_ref().expect_err("nothing may be signed").reason;
        let expected = if i == 1 {
            "not one of this signer's keys"
        } else {
            "slashing protection database failed"
        };
        assert!(why.contains(expected), "{i}: {why}");
    }
    assert_eq!(guard.stats().database_errors, 2);
    assert_eq!(guard.stats().attestations_refused, 3);
    rename_table(&path, "signed_attestations_away", "signed_attestations");
    // Nothing of the failed batch was recorded: the same batch now passes for the held key.
    let verdicts = guard.check_attestations(&batch);
    assert!(verdicts[0].is_ok() && verdicts[2].is_ok(), "{verdicts:?}");
    assert_eq!(guard.stats().attestations_allowed, 2);
}

#[test]
fn attestations_below_the_imported_low_watermarks_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("slashing-protection.sqlite");
    let key = public(1);
    import(&path, ROOT_A, &key, &[], &[(10, 20)]);
    let guard = SlashingGuard::open(&path, ROOT_A, KeyMap::identity([key.to_bytes()])).unwrap();
    // Target at the watermark (even with a later source) fires; one above does not.
    let why = reason(guard.check_attestation(&key, 11, 20, signing_root(1)));
    assert!(why.contains("target epoch"), "{why}");
    // A source below the lowest source is refused (by the source watermark or, as it must then
    // also be, as a surround vote / target watermark violation).
    assert!(guard
        .check_attestation(&key, 9, 15, signing_root(1))
        .is_err());
    guard
        .check_attestation(&key, 10, 21, signing_root(1))
        .unwrap();
}

#[test]
fn keys_the_signer_does_not_hold_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (guard, key) = solo_guard(dir.path());
    let stranger = public(9);
    let why = reason(guard.check_block(&stranger, 1, signing_root(1)));
    assert!(why.contains("not one of this signer's keys"), "{why}");
    let why = reason(guard.check_attestation(&stranger, 1, 2, signing_root(1)));
    assert!(why.contains("not one of this signer's keys"), "{why}");
    guard.check_block(&key, 1, signing_root(1)).unwrap();
    guard
        .check_attestation(&key, 1, 2, signing_root(1))
        .unwrap();
    assert_eq!(guard.recent_refusals()[0].protected_key, None);
}

/// One distributed validator `public(100)` with shares `public(101..=104)`.
fn dv() -> (Vec<DistValidator>, PublicKey, Vec<PublicKey>) {
    let shares: Vec<PublicKey> = (101..=104).map(public).collect();
    let validator = DistValidator {
        public_key: public(100).to_bytes().to_vec(),
        public_shares: shares.iter().map(|s| s.to_bytes().to_vec()).collect(),
        ..Default::default()
    };
    (vec![validator], public(100), shares)
}

#[test]
fn shares_are_protected_under_the_distributed_validator_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("slashing-protection.sqlite");
    let (validators, group, shares) = dv();
    // History of the DV key from a standard client (for example before joining the cluster).
    import(&path, ROOT_A, &group, &[7], &[(3, 4)]);
    let keys = KeyMap::from_validators(&validators, &shares[1..2]).unwrap();
    let guard = SlashingGuard::open(&path, ROOT_A, keys).unwrap();
    let share = &shares[1];
    // The DV's imported history binds the share.
    assert!(guard.check_block(share, 7, signing_root(1)).is_err());
    assert!(guard
        .check_attestation(share, 2, 5, signing_root(1))
        .is_err());
    guard.check_block(share, 8, signing_root(1)).unwrap();
    guard
        .check_attestation(share, 4, 5, signing_root(1))
        .unwrap();
    // Another share of the same DV is not this node's key.
    assert!(guard.check_block(&shares[2], 9, signing_root(1)).is_err());

    // The export is a standard interchange under the DV key, importable elsewhere.
    let json = guard
        .export_interchange()
        .unwrap()
        .to_json_string()
        .unwrap();
    let exported = Interchange::from_json_str(&json).unwrap();
    assert_eq!(exported.data.len(), 1);
    assert_eq!(exported.data[0].pubkey, group.to_bytes());
    assert!(!json.contains(&hex::encode(share.to_bytes())));
    let slots: Vec<u64> = exported.data[0]
        .signed_blocks
        .iter()
        .map(|b| b.slot)
        .collect();
    assert_eq!(slots, vec![7, 8]);
    let other = tempfile::tempdir().unwrap();
    let mut elsewhere = SlashingDb::open(other.path().join("db.sqlite")).unwrap();
    elsewhere.import_interchange(&exported, ROOT_A).unwrap();
    let mut chain = elsewhere.namespace(ROOT_A).unwrap();
    assert!(chain
        .check_and_insert_block(&group.to_bytes(), 8, Some(signing_root(2)))
        .is_err());
}

#[test]
fn a_new_genesis_starts_a_new_namespace_and_keeps_the_old() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("slashing-protection.sqlite");
    let (guard, key) = solo_guard(dir.path());
    guard.check_block(&key, 5, signing_root(1)).unwrap();
    guard
        .check_attestation(&key, 1, 2, signing_root(1))
        .unwrap();
    assert!(!guard.switch_chain(ROOT_A).unwrap());
    // Ephemery reset: slot 5 and epoch 2 of the new chain are new.
    assert!(guard.switch_chain(ROOT_B).unwrap());
    assert_eq!(guard.genesis_validators_root(), ROOT_B);
    guard.check_block(&key, 5, signing_root(2)).unwrap();
    guard
        .check_attestation(&key, 1, 2, signing_root(2))
        .unwrap();
    // Within the new chain the rules hold as before.
    assert!(guard.check_block(&key, 5, signing_root(3)).is_err());
    // Back on the old chain (a beacon node still on it), its history still binds.
    assert!(guard.switch_chain(ROOT_A).unwrap());
    assert!(guard.check_block(&key, 5, signing_root(2)).is_err());
    guard.check_block(&key, 5, signing_root(1)).unwrap();
    drop(guard);

    let mut db = SlashingDb::open(&path).unwrap();
    let roots: Vec<[u8; 32]> = db
        .namespaces()
        .unwrap()
        .iter()
        .map(|n| n.genesis_validators_root)
        .collect();
    assert_eq!(roots, vec![ROOT_A, ROOT_B]);
    let old = db.export_interchange(ROOT_A, None).unwrap();
    let new = db.export_interchange(ROOT_B, None).unwrap();
    assert_eq!(
        old.data[0].signed_blocks[0].signing_root,
        Some(signing_root(1))
    );
    assert_eq!(
        new.data[0].signed_blocks[0].signing_root,
        Some(signing_root(2))
    );
    // Reopening on the new root (a restarted node after the reset) continues there.
    let guard = SlashingGuard::new(db, ROOT_B, KeyMap::identity([key.to_bytes()])).unwrap();
    assert!(guard.check_block(&key, 5, signing_root(1)).is_err());
    guard.check_block(&key, 5, signing_root(2)).unwrap();
}

#[test]
fn a_database_failure_refuses_and_recovery_allows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("slashing-protection.sqlite");
    let (guard, key) = solo_guard(dir.path());
    // Another connection (bypassing the lock file, as a misbehaving tool would) takes the
    // block table away: the guard cannot check or record blocks, so it must not allow one.
    rename_table(&path, "signed_blocks", "signed_blocks_away");
    let why = reason(guard.check_block(&key, 1, signing_root(1)));
    assert!(why.contains("slashing protection database failed"), "{why}");
    assert_eq!(guard.stats().database_errors, 1);
    assert_eq!(guard.stats().blocks_refused, 1);
    // Attestations do not touch that table: still checked and recorded.
    guard
        .check_attestation(&key, 1, 2, signing_root(1))
        .unwrap();
    rename_table(&path, "signed_blocks_away", "signed_blocks");
    guard.check_block(&key, 1, signing_root(1)).unwrap();
    assert_eq!(guard.stats().database_errors, 1);
}

#[test]
fn a_second_guard_on_the_same_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (guard, _) = solo_guard(dir.path());
    let error = SlashingGuard::open(guard.db_path(), ROOT_A, KeyMap::default()).unwrap_err();
    assert!(error.to_string().contains("already in use"), "{error}");
    let path = guard.db_path().to_path_buf();
    drop(guard);
    SlashingGuard::open(path, ROOT_A, KeyMap::default()).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guard_works_inside_a_multi_threaded_runtime() {
    let dir = tempfile::tempdir().unwrap();
    let (guard, key) = solo_guard(dir.path());
    guard.check_block(&key, 1, signing_root(1)).unwrap();
    assert!(guard.check_block(&key, 1, signing_root(2)).is_err());
}

#[tokio::test(flavor = "current_thread")]
async fn the_guard_works_inside_a_current_thread_runtime() {
    let dir = tempfile::tempdir().unwrap();
    let (guard, key) = solo_guard(dir.path());
    guard.check_block(&key, 1, signing_root(1)).unwrap();
    assert!(guard.check_block(&key, 1, signing_root(2)).is_err());
}

/// Imports an interchange for `key` with `blocks` and `attestations` (unknown signing roots).
fn import(
    path: &Path,
    root: [u8; 32],
    key: &PublicKey,
    blocks: &[u64],
    attestations: &[(u64, u64)],
) {
    let blocks: Vec<String> = blocks
        .iter()
        .map(|slot| format!(r#"{{"slot":"{slot}"}}"#))
        .collect();
    let attestations: Vec<String> = attestations
        .iter()
        .map(|(s, t)| format!(r#"{{"source_epoch":"{s}","target_epoch":"{t}"}}"#))
        .collect();
    let json = format!(
        r#"{{"metadata":{{"interchange_format_version":"5","genesis_validators_root":"0x{}"}},
            "data":[{{"pubkey":"0x{}","signed_blocks":[{}],"signed_attestations":[{}]}}]}}"#,
        hex::encode(root),
        hex::encode(key.to_bytes()),
        blocks.join(","),
        attestations.join(",")
    );
    let interchange = Interchange::from_json_str(&json).unwrap();
    SlashingDb::open(path)
        .unwrap()
        .import_interchange(&interchange, root)
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_for_one_slot_allow_exactly_one_block() {
    let dir = tempfile::tempdir().unwrap();
    let (guard, key) = solo_guard(dir.path());
    let guard = std::sync::Arc::new(guard);
    let tasks: Vec<_> = (0..8u8)
        .map(|i| {
            let guard = guard.clone();
            tokio::spawn(async move { guard.check_block(&key, 5, signing_root(i)).is_ok() })
        })
        .collect();
    let mut allowed = 0;
    for task in tasks {
        allowed += usize::from(task.await.unwrap());
    }
    assert_eq!(allowed, 1);
    assert_eq!(guard.stats().blocks_refused, 7);
}
