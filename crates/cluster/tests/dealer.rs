//! Trusted dealer round trips and its parameter rules.

use std::collections::BTreeMap;

use mosaic_cluster::dealer::{default_threshold, resolve_threshold};
use mosaic_cluster::eth::{eip712_digest, sign, Eip712Type};
use mosaic_cluster::{build_lock, CreateParams, Definition, Error, Lock, VerifyError};
use mosaic_crypto::secp256k1::SecretKey;
use mosaic_crypto::{bls, tbls};
use mosaic_types::ephemery;

fn params(nodes: u64, threshold: Option<u64>) -> CreateParams {
    CreateParams {
        name: "test".into(),
        nodes,
        threshold,
        num_validators: 2,
        network: "hoodi".into(),
        testnet: None,
        fee_recipients: vec!["0x000000000000000000000000000000000000fee0".into()],
        withdrawal_addresses: vec![
            "0x00000000000000000000000000000000000dead0".into(),
            "0x00000000000000000000000000000000000dead1".into(),
        ],
        deposit_amounts: vec![],
        compounding: false,
        target_gas_limit: 0,
        existing_keys: vec![],
        keystore_kdf: mosaic_crypto::keystore::Kdf::INSECURE,
    }
}

#[test]
fn created_lock_verifies_and_round_trips() {
    let dealt = build_lock(&params(4, None)).expect("create");
    let lock = &dealt.lock;
    assert_eq!(lock.definition.threshold, 3);
    lock.verify().expect("a lock made by create verifies fully");
    let json = lock.to_json();
    let parsed = Lock::from_json(json.as_bytes(), "cluster-lock.json").expect("parse");
    assert_eq!(&parsed, lock);
    assert_eq!(parsed.to_json(), json);
    assert_eq!(
        dealt.deposits.iter().map(|d| d.0).collect::<Vec<_>>(),
        vec![1_000_000_000, 32_000_000_000]
    );
}

#[test]
fn shares_sign_combine_and_verify_and_secrets_recover() {
    let key = bls::SecretKey::random();
    let mut p = params(4, None);
    p.num_validators = 0;
    p.existing_keys = vec![bls::SecretKey::from_bytes(&*key.to_bytes()).expect("copy")];
    p.withdrawal_addresses.truncate(1);
    let dealt = build_lock(&p).expect("split");
    dealt.lock.verify().expect("verifies");
    let dv = bls::PublicKey::from_bytes(&dealt.lock.validators[0].public_key).expect("dv key");
    assert_eq!(dv, key.public_key());
    let msg = b"duty";
    // Any threshold subset (nodes 1, 2, 3 = shares 2, 3, 4) combines to a valid DV signature.
    let partials: BTreeMap<u64, bls::Signature> = (1..4u64)
        .map(|i| (i + 1, dealt.shares[i as usize][0].sign(msg)))
        .collect();
    let sig = tbls::combine_signatures(&partials, 3).expect("combine");
    assert!(sig.verify(&dv, msg));
    let subset: BTreeMap<u64, bls::SecretKey> = [0usize, 2, 3]
        .iter()
        .map(|&i| {
            (
                i as u64 + 1,
                bls::SecretKey::from_bytes(&*dealt.shares[i][0].to_bytes()).expect("copy"),
            )
        })
        .collect();
    let recovered = tbls::recover_secret(&subset, 3).expect("recover");
    assert_eq!(*recovered.to_bytes(), *key.to_bytes());
}

#[test]
fn threshold_rules_match_charon() {
    assert_eq!(default_threshold(3), 2);
    assert_eq!(default_threshold(4), 3);
    assert_eq!(default_threshold(7), 5);
    assert!(
        matches!(resolve_threshold(2, None), Err(Error::Param { ref param, .. }) if param == "nodes")
    );
    assert!(resolve_threshold(3, None).is_ok());
    assert!(
        matches!(resolve_threshold(4, Some(1)), Err(Error::Param { ref param, .. }) if param == "threshold")
    );
    assert!(
        matches!(resolve_threshold(4, Some(5)), Err(Error::Param { ref param, .. }) if param == "threshold")
    );
    assert_eq!(resolve_threshold(4, Some(2)).expect("2 ok").0, 2);
    assert!(
        resolve_threshold(4, Some(2)).expect("2 ok").1.is_some(),
        "non-default warns"
    );
    assert_eq!(resolve_threshold(4, Some(4)).expect("4 ok").0, 4);
    assert!(resolve_threshold(4, Some(3)).expect("default").1.is_none());
}

#[test]
fn bad_parameters_are_refused() {
    let mut p = params(4, None);
    p.fee_recipients = vec!["0x01".into(), "0x02".into(), "0x03".into()];
    assert!(
        matches!(build_lock(&p), Err(Error::Param { ref param, .. }) if param == "fee_recipients")
    );
    let mut p = params(4, None);
    p.deposit_amounts = vec![16_000_000_000];
    assert!(
        matches!(build_lock(&p), Err(Error::Param { ref param, .. }) if param == "deposit_amounts")
    );
    let mut p = params(4, None);
    p.network = "nowhere".into();
    assert!(build_lock(&p).is_err());
}

#[test]
fn partial_deposits_and_tampered_signatures() {
    let mut p = params(3, None);
    p.deposit_amounts = vec![16_000_000_000, 16_000_000_000];
    let dealt = build_lock(&p).expect("create");
    assert_eq!(
        dealt.lock.validators[0].partial_deposit_data.len(),
        1,
        "amounts are deduplicated"
    );
    dealt.lock.verify().expect("verifies");

    let mut l = dealt.lock.clone();
    l.validators[1].partial_deposit_data[0].signature =
        l.validators[0].partial_deposit_data[0].signature.clone();
    l.set_hashes().expect("rehash");
    // A rehashed lock breaks the signatures over the old lock hash: the aggregate fires first.
    assert!(
        matches!(l.verify(), Err(VerifyError::Signature { ref field, .. }) if field == "signature_aggregate")
    );
}

fn test_keys() -> Vec<SecretKey> {
    (1..=4u8)
        .map(|i| SecretKey::from_bytes(&[i; 32]).expect("k"))
        .collect()
}

/// Gives every operator and the creator an address and signs the definition for `chain`.
fn sign_definition(def: &mut Definition, keys: &[SecretKey], chain: u64) {
    let addr = |k: &SecretKey| format!("0x{}", hex::encode(k.public_key().ethereum_address()));
    def.creator.address = addr(&keys[3]);
    for (i, op) in def.operators.iter_mut().enumerate() {
        op.address = addr(&keys[i]);
    }
    def.set_hashes().expect("hash");
    let cfg = format!("0x{}", hex::encode(&def.config_hash));
    for (i, op) in def.operators.iter_mut().enumerate() {
        op.config_signature = sign(
            &keys[i],
            &eip712_digest(Eip712Type::OperatorConfigHash, &cfg, chain),
        )
        .to_vec();
        op.enr_signature = sign(&keys[i], &eip712_digest(Eip712Type::Enr, &op.enr, chain)).to_vec();
    }
    def.creator.config_signature = sign(
        &keys[3],
        &eip712_digest(Eip712Type::CreatorConfigHash, &cfg, chain),
    )
    .to_vec();
}

#[test]
fn ephemery_eip712_chain_id_is_the_iteration_at_the_definition_timestamp() {
    let mut p = params(3, None);
    p.network = "ephemery".into();
    let dealt = build_lock(&p).expect("create ephemery");
    dealt
        .lock
        .verify()
        .expect("an unsigned ephemery lock verifies");
    let keys = test_keys();
    let first = ephemery::Iteration::number(ephemery::FIRST_SUPPORTED_ITERATION).expect("it");
    let second = first.next().expect("next");

    // Made during the second iteration, signed with its chain id: verifies.
    let mut def = dealt.lock.definition.clone();
    def.timestamp = "2024-08-01T19:00:00Z".into();
    sign_definition(&mut def, &keys, second.chain_id);
    def.verify_signatures()
        .expect("signed for the running iteration");

    // One second earlier the first iteration was running: its chain id, not the second's.
    let mut def = dealt.lock.definition.clone();
    def.timestamp = "2024-08-01T18:59:59Z".into();
    sign_definition(&mut def, &keys, second.chain_id);
    assert_eq!(
        def.verify_signatures()
            .expect_err("wrong iteration")
            .field(),
        "operators[0].config_signature"
    );
    sign_definition(&mut def, &keys, first.chain_id);
    def.verify_signatures()
        .expect("signed for the first iteration");

    // Before Mosaic's first supported iteration there is no chain id at all.
    let mut def = dealt.lock.definition.clone();
    def.timestamp = "2024-07-04T18:59:59Z".into();
    sign_definition(&mut def, &keys, first.chain_id);
    assert_eq!(
        def.verify_signatures().expect_err("no chain id").field(),
        "fork_version"
    );
}

#[test]
fn eip712_signatures_verify_and_wrong_signer_fails() {
    let dealt = build_lock(&params(3, None)).expect("create");
    let mut def = dealt.lock.definition.clone();
    sign_definition(&mut def, &test_keys(), 560_048);
    def.verify_signatures().expect("valid EIP-712 signatures");

    let mut bad = def.clone();
    bad.operators[1].enr_signature = def.operators[0].enr_signature.clone();
    assert_eq!(
        bad.verify_signatures().expect_err("wrong signer").field(),
        "operators[1].enr_signature"
    );
    let mut bad = def.clone();
    bad.creator.config_signature = def.operators[0].config_signature.clone();
    assert_eq!(
        bad.verify_signatures().expect_err("wrong type").field(),
        "creator.config_signature"
    );
    let mut bad = def.clone();
    bad.operators[2].config_signature.clear();
    assert_eq!(
        bad.verify_signatures().expect_err("missing").field(),
        "operators[2].config_signature"
    );
}
