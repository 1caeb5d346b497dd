//! Conformance: sigagg against the Obol spec's charon-generated `bls_threshold.json` (four
//! quorums of one 3-of-4 sharing must all yield the group signature; the plain aggregate must
//! not verify).

use std::collections::BTreeMap;

use mosaic_core::sigagg::{aggregate, SigAggError};
use mosaic_core::ShareIndex;
use mosaic_crypto::bls::{PublicKey, Signature};

fn hex_bytes(value: &serde_json::Value) -> Vec<u8> {
    hex::decode(value.as_str().expect("hex string")).expect("hex")
}

#[test]
fn every_quorum_aggregates_to_the_group_signature() {
    let Some(v) = mosaic_test_vectors::load_json("obol-dv-spec/bls_threshold.json") else {
        return;
    };
    let message = hex_bytes(&v["message_hex"]);
    let group_pubkey = PublicKey::from_bytes(&hex_bytes(&v["group_pubkey_hex"])).expect("pubkey");
    let group_signature =
        Signature::from_bytes(&hex_bytes(&v["group_signature_hex"])).expect("signature");
    let partials: BTreeMap<ShareIndex, Signature> = v["partials"]
        .as_array()
        .expect("partials")
        .iter()
        .map(|p| {
            let index = p["input"]["share_idx"].as_u64().expect("share_idx");
            let signature = Signature::from_bytes(&hex_bytes(&p["signature_hex"])).expect("sig");
            (index, signature)
        })
        .collect();
    assert_eq!(partials.len(), 4);

    let quorums = v["threshold_aggregates"].as_array().expect("quorums");
    assert_eq!(quorums.len(), 4);
    for quorum in quorums {
        let indices: Vec<ShareIndex> = quorum["input"]["share_indices"]
            .as_array()
            .expect("indices")
            .iter()
            .map(|i| i.as_u64().expect("index"))
            .collect();
        let subset: BTreeMap<ShareIndex, Signature> =
            indices.iter().map(|i| (*i, partials[i])).collect();
        let expected = Signature::from_bytes(&hex_bytes(&quorum["signature_hex"])).expect("sig");
        let got = aggregate(&subset, 3, &group_pubkey, &message).expect("aggregate");
        assert_eq!(got.signature, expected, "{}", quorum["name"]);
        assert_eq!(got.signature, group_signature);
        assert_eq!(got.share_indices, indices);
    }
}

#[test]
fn plain_aggregate_is_not_a_group_signature() {
    let Some(v) = mosaic_test_vectors::load_json("obol-dv-spec/bls_threshold.json") else {
        return;
    };
    let message = hex_bytes(&v["message_hex"]);
    let group_pubkey = PublicKey::from_bytes(&hex_bytes(&v["group_pubkey_hex"])).expect("pubkey");
    for plain in v["plain_aggregate"].as_array().expect("plain") {
        let signature = Signature::from_bytes(&hex_bytes(&plain["signature_hex"])).expect("sig");
        assert!(!signature.verify(&group_pubkey, &message));
        // Fed to sigagg as if it were a share, it never yields a verifying aggregate.
        let mut partials = BTreeMap::new();
        for index in 1..=3 {
            partials.insert(index, signature);
        }
        assert!(matches!(
            aggregate(&partials, 3, &group_pubkey, &message),
            Err(SigAggError::VerificationFailed { .. })
        ));
    }
}
