//! `real_keys_3_of_4` from `obol-dv-spec/cluster_hashing.json`: a real 3-of-4 sharing with a real
//! signature aggregate and real node signatures; its EIP-712, deposit and builder signatures are
//! placeholder bytes, which full verification must reject.

use mosaic_cluster::{Lock, VerifyError, VerifyOptions};

fn real_keys_lock() -> Option<Lock> {
    let v = mosaic_test_vectors::load_json("obol-dv-spec/cluster_hashing.json")?;
    let case = v["lock"]
        .as_array()
        .expect("lock cases")
        .iter()
        .find(|c| c["name"] == "real_keys_3_of_4")
        .expect("real_keys_3_of_4 case")
        .clone();
    let bytes = serde_json::to_vec(&case["input"]).expect("json");
    Some(Lock::from_json(&bytes, "real_keys_3_of_4").expect("parse"))
}

const REAL_ONLY: VerifyOptions = VerifyOptions {
    eip712_signatures: false,
    deposit_data: false,
    builder_registrations: false,
};

#[test]
fn real_parts_verify() {
    let Some(lock) = real_keys_lock() else { return };
    lock.verify_with(&REAL_ONLY)
        .expect("hashes, shares, aggregate and node signatures verify");
}

#[test]
fn placeholder_signatures_are_rejected_by_name() {
    let Some(lock) = real_keys_lock() else { return };
    let err = lock.verify().expect_err("placeholder EIP-712 signatures");
    assert_eq!(
        err.field(),
        "cluster_definition.operators[0].config_signature",
        "{err}"
    );
    let only_deposits = VerifyOptions {
        deposit_data: true,
        ..REAL_ONLY
    };
    let err = lock
        .verify_with(&only_deposits)
        .expect_err("placeholder deposit signature");
    assert!(
        err.field()
            .starts_with("distributed_validators[0].partial_deposit_data[0]"),
        "{err}"
    );
    let only_regs = VerifyOptions {
        builder_registrations: true,
        ..REAL_ONLY
    };
    let err = lock
        .verify_with(&only_regs)
        .expect_err("placeholder registration");
    assert!(
        err.field()
            .starts_with("distributed_validators[0].builder_registration"),
        "{err}"
    );
}

#[test]
fn tampered_aggregate_node_signature_and_share_are_rejected() {
    let Some(lock) = real_keys_lock() else { return };

    let mut l = lock.clone();
    l.node_signatures.swap(0, 1);
    let err = l
        .verify_with(&REAL_ONLY)
        .expect_err("swapped node signatures");
    assert_eq!(err.field(), "node_signatures[0]", "{err}");

    let mut l = lock.clone();
    l.node_signatures.pop();
    assert!(matches!(
        l.verify_with(&REAL_ONLY),
        Err(VerifyError::Signature { .. })
    ));

    let mut l = lock.clone();
    l.signature_aggregate = lock.validators[0].public_shares[0].clone();
    let err = l.verify_with(&REAL_ONLY).expect_err("wrong aggregate");
    assert_eq!(err.field(), "signature_aggregate", "{err}");

    // A share moved changes the lock hash: it fires as a hash mismatch first.
    let mut l = lock.clone();
    l.validators[0].public_shares.swap(0, 3);
    let err = l.verify_with(&REAL_ONLY).expect_err("tampered shares");
    assert!(
        matches!(err, VerifyError::HashMismatch { ref field, .. } if field == "lock_hash"),
        "{err}"
    );

    // Shares that do not reconstruct, with the hash recomputed so only reconstruction can catch it.
    let mut l = lock.clone();
    l.validators[0].public_shares.swap(2, 3);
    l.lock_hash = l.compute_lock_hash().expect("hash").to_vec();
    let err = l.verify_with(&REAL_ONLY).expect_err("shares out of order");
    assert_eq!(
        err.field(),
        "distributed_validators[0].public_shares",
        "{err}"
    );

    // Wrong number of public shares.
    let mut l = lock.clone();
    l.validators[0].public_shares.pop();
    l.lock_hash = l.compute_lock_hash().expect("hash").to_vec();
    let err = l
        .verify_with(&REAL_ONLY)
        .expect_err("three shares for four operators");
    assert!(
        err.to_string()
            .contains("3 public shares, expected one per operator (4)"),
        "{err}"
    );
}

#[test]
fn threshold_out_of_range_fires_and_the_boundary_passes_structure() {
    let Some(lock) = real_keys_lock() else { return };
    let mut d = lock.definition.clone();
    d.threshold = 5;
    let err = d.verify_structure().expect_err("threshold 5 of 4");
    assert_eq!(err.field(), "threshold");
    d.threshold = 0;
    assert!(d.verify_structure().is_err());
    d.threshold = 4;
    assert!(d.verify_structure().is_ok());
    d.threshold = 1;
    assert!(d.verify_structure().is_ok());
}

#[test]
fn duplicate_operators_and_enrs_are_rejected() {
    let Some(lock) = real_keys_lock() else { return };
    let mut d = lock.definition.clone();
    d.operators[1].enr = d.operators[0].enr.clone();
    let err = d.verify_structure().expect_err("duplicate ENR");
    assert_eq!(err.field(), "operators[1].enr", "{err}");
    let mut d = lock.definition.clone();
    d.operators[2].address = d.operators[0].address.to_uppercase().replace("0X", "0x");
    let err = d.verify_structure().expect_err("duplicate address");
    assert_eq!(err.field(), "operators[2].address", "{err}");
    assert!(lock.definition.verify_structure().is_ok());
}

#[test]
fn hash_mismatches_name_their_field() {
    let Some(lock) = real_keys_lock() else { return };
    let mut l = lock.clone();
    l.definition.config_hash[0] ^= 1;
    assert_eq!(
        l.verify_hashes().expect_err("config").field(),
        "cluster_definition.config_hash"
    );
    let mut l = lock.clone();
    l.definition.definition_hash[0] ^= 1;
    assert_eq!(
        l.verify_hashes().expect_err("definition").field(),
        "cluster_definition.definition_hash"
    );
    let mut l = lock.clone();
    l.lock_hash[31] ^= 1;
    assert_eq!(l.verify_hashes().expect_err("lock").field(), "lock_hash");
    assert!(lock.verify_hashes().is_ok());
}
