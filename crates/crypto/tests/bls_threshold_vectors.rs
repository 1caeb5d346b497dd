//! Conformance: Charon's threshold BLS vectors (obol-dv-spec/bls_threshold.json).

use std::collections::BTreeMap;

use mosaic_crypto::bls::{self, PublicKey, SecretKey, Signature};
use mosaic_crypto::tbls;
use serde_json::Value;

fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("missing string field {key}"))
}

fn indices(case: &Value) -> Vec<u64> {
    case["input"]["share_indices"]
        .as_array()
        .expect("share_indices")
        .iter()
        .map(|i| i.as_u64().expect("index"))
        .collect()
}

struct Suite {
    message: Vec<u8>,
    group_pubkey: PublicKey,
    group_signature: Signature,
    secret_shares: BTreeMap<u64, SecretKey>,
    public_shares: BTreeMap<u64, PublicKey>,
    partials: BTreeMap<u64, Signature>,
}

fn load() -> Option<(Value, Suite)> {
    let v = mosaic_test_vectors::load_json("obol-dv-spec/bls_threshold.json")?;
    let mut suite = Suite {
        message: hex::decode(text(&v, "message_hex")).expect("well-formed vector field"),
        group_pubkey: PublicKey::from_hex(text(&v, "group_pubkey_hex"))
            .expect("well-formed vector field"),
        group_signature: Signature::from_hex(text(&v, "group_signature_hex"))
            .expect("well-formed vector field"),
        secret_shares: BTreeMap::new(),
        public_shares: BTreeMap::new(),
        partials: BTreeMap::new(),
    };
    for case in v["partials"].as_array().expect("well-formed vector field") {
        let index = case["input"]["share_idx"]
            .as_u64()
            .expect("well-formed vector field");
        let secret = SecretKey::from_hex(text(&case["input"], "secret_hex"))
            .expect("well-formed vector field");
        suite.secret_shares.insert(index, secret);
        suite.public_shares.insert(
            index,
            PublicKey::from_hex(text(case, "pubshare_hex")).expect("well-formed vector field"),
        );
        suite.partials.insert(
            index,
            Signature::from_hex(text(case, "signature_hex")).expect("well-formed vector field"),
        );
    }
    assert_eq!(suite.partials.len(), 4);
    Some((v, suite))
}

#[test]
fn keys_and_group_values() {
    let Some((v, suite)) = load() else { return };
    for case in v["keys"].as_array().unwrap() {
        let name = text(case, "name");
        let secret = SecretKey::from_hex(text(&case["input"], "secret_hex")).unwrap();
        assert_eq!(
            hex::encode(secret.public_key().to_bytes()),
            text(case, "pubkey_hex"),
            "{name}"
        );
    }
    let group_secret = SecretKey::from_hex(text(&v, "group_secret_hex")).unwrap();
    assert_eq!(group_secret.public_key(), suite.group_pubkey);
    let signature = group_secret.sign(&suite.message);
    assert_eq!(signature, suite.group_signature);
    assert_eq!(
        hex::encode(signature.to_bytes()),
        text(&v, "group_signature_hex")
    );
    assert!(suite
        .group_signature
        .verify(&suite.group_pubkey, &suite.message));
}

#[test]
fn partials() {
    let Some((v, suite)) = load() else { return };
    for case in v["partials"].as_array().unwrap() {
        let index = case["input"]["share_idx"].as_u64().unwrap();
        let name = text(case, "name");
        let share = &suite.secret_shares[&index];
        assert_eq!(
            hex::encode(share.public_key().to_bytes()),
            text(case, "pubshare_hex"),
            "{name}"
        );
        let partial = share.sign(&suite.message);
        assert_eq!(
            hex::encode(partial.to_bytes()),
            text(case, "signature_hex"),
            "{name}"
        );
        assert!(
            partial.verify(&suite.public_shares[&index], &suite.message),
            "{name}"
        );
        assert!(
            !partial.verify(&suite.group_pubkey, &suite.message),
            "{name}"
        );
    }
    let all: Vec<(PublicKey, Vec<u8>, Signature)> = suite
        .partials
        .iter()
        .map(|(i, s)| (suite.public_shares[i], suite.message.clone(), *s))
        .collect();
    assert!(bls::batch_verify(&all));
}

#[test]
fn threshold_aggregates() {
    let Some((v, suite)) = load() else { return };
    let cases = v["threshold_aggregates"].as_array().unwrap();
    assert_eq!(cases.len(), 4);
    for case in cases {
        let name = text(case, "name");
        let chosen: BTreeMap<u64, Signature> = indices(case)
            .iter()
            .map(|i| (*i, suite.partials[i]))
            .collect();
        let combined = tbls::combine_signatures(&chosen, 3).unwrap();
        assert_eq!(
            hex::encode(combined.to_bytes()),
            text(case, "signature_hex"),
            "{name}"
        );
        assert!(
            combined.verify(&suite.group_pubkey, &suite.message),
            "{name}"
        );

        let secrets: BTreeMap<u64, SecretKey> = indices(case)
            .iter()
            .map(|i| (*i, suite.secret_shares[i].clone()))
            .collect();
        let recovered = tbls::recover_secret(&secrets, 3).unwrap();
        assert_eq!(
            hex::encode(*recovered.to_bytes()),
            text(&v, "group_secret_hex"),
            "{name}"
        );
    }
}

#[test]
fn recovery() {
    let Some((v, suite)) = load() else { return };
    for case in v["recovery"].as_array().unwrap() {
        let name = text(case, "name");
        let chosen: BTreeMap<u64, PublicKey> = indices(case)
            .iter()
            .map(|i| (*i, suite.public_shares[i]))
            .collect();
        let recovered = tbls::recover_public_key(&chosen, 3).unwrap();
        assert_eq!(
            hex::encode(recovered.to_bytes()),
            text(case, "pubkey_hex"),
            "{name}"
        );
    }
    // Every 3-subset of the 4 public shares gives the group key, and 2 do not.
    for skip in 1..=4u64 {
        let chosen: BTreeMap<u64, PublicKey> = suite
            .public_shares
            .iter()
            .filter(|(i, _)| **i != skip)
            .map(|(i, p)| (*i, *p))
            .collect();
        assert_eq!(
            tbls::recover_public_key(&chosen, 3).unwrap(),
            suite.group_pubkey
        );
        let two: BTreeMap<u64, PublicKey> = chosen.into_iter().take(2).collect();
        assert_ne!(
            tbls::recover_public_key(&two, 2).unwrap(),
            suite.group_pubkey
        );
    }
}

#[test]
fn plain_aggregate() {
    let Some((v, suite)) = load() else { return };
    for case in v["plain_aggregate"].as_array().unwrap() {
        let name = text(case, "name");
        let chosen = indices(case);
        let signatures: Vec<Signature> = chosen.iter().map(|i| suite.partials[i]).collect();
        let keys: Vec<PublicKey> = chosen.iter().map(|i| suite.public_shares[i]).collect();
        let aggregate = bls::aggregate_signatures(&signatures).unwrap();
        assert_eq!(
            hex::encode(aggregate.to_bytes()),
            text(case, "signature_hex"),
            "{name}"
        );
        assert!(
            bls::fast_aggregate_verify(&keys, &suite.message, &aggregate),
            "{name}"
        );
        assert!(
            !aggregate.verify(&suite.group_pubkey, &suite.message),
            "{name}"
        );
    }
}
