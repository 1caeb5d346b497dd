//! Cluster-level test of the signing path: a 3-of-4 cluster from `build_lock`, every node's
//! partial-signature DB fed the same partials (one node Byzantine), threshold → sigagg →
//! aggsigdb, the result verified under each DV public key.

use std::collections::BTreeMap;

use mosaic_cluster::{build_lock, CreateParams, Dealt};
use mosaic_core::aggsigdb::AggSigDb;
use mosaic_core::keys::validators_from_lock;
use mosaic_core::parsigdb::{ParSigDb, PartialSignature, RejectReason, StoreOutcome};
use mosaic_core::sigagg::aggregate;
use mosaic_core::{Duty, DutyType, ShareIndex, SigningRoot};
use mosaic_crypto::bls::{PublicKey, SecretKey, Signature};

const HONEST_ROOT: SigningRoot = [0x11; 32];
const BYZANTINE_ROOT: SigningRoot = [0x22; 32];
const BYZANTINE: ShareIndex = 4;

fn dealt() -> Dealt {
    build_lock(&CreateParams {
        name: "pipeline".into(),
        nodes: 4,
        threshold: Some(3),
        num_validators: 2,
        network: "hoodi".into(),
        testnet: None,
        fee_recipients: vec!["0x000000000000000000000000000000000000fee0".into()],
        withdrawal_addresses: vec!["0x00000000000000000000000000000000000dead0".into()],
        deposit_amounts: vec![],
        compounding: false,
        target_gas_limit: 0,
        existing_keys: vec![],
        keystore_kdf: mosaic_crypto::keystore::Kdf::INSECURE,
    })
    .expect("build lock")
}

/// The partial of the operator at `position` (share index `position + 1`) for validator `v`.
fn partial(dealt: &Dealt, position: usize, v: usize, root: SigningRoot) -> PartialSignature {
    PartialSignature {
        share_index: position as ShareIndex + 1,
        signing_root: root,
        signature: dealt.shares[position][v].sign(&root),
    }
}

#[test]
fn honest_quorum_aggregates_despite_a_byzantine_operator() {
    let dealt = dealt();
    let threshold = dealt.lock.definition.threshold;
    assert_eq!(threshold, 3);
    let validators = validators_from_lock(&dealt.lock).expect("lock keys");
    let dv_keys: Vec<PublicKey> = validators.iter().map(|v| *v.dv_pubkey()).collect();
    let duty = Duty::new(42, DutyType::Attester);

    // The partials every node receives for each validator, in arrival order. The Byzantine
    // operator sends a forged signature, then a valid one over a different root, then tries to
    // change its mind to the honest root; honest operators 1..=3 interleave with it.
    let arrivals = |v: usize| -> Vec<PartialSignature> {
        let forged = PartialSignature {
            share_index: BYZANTINE,
            signing_root: HONEST_ROOT,
            signature: SecretKey::random().sign(&HONEST_ROOT),
        };
        vec![
            partial(&dealt, 0, v, HONEST_ROOT),
            forged,
            partial(&dealt, 3, v, BYZANTINE_ROOT),
            partial(&dealt, 1, v, HONEST_ROOT),
            partial(&dealt, 3, v, HONEST_ROOT),
            partial(&dealt, 2, v, HONEST_ROOT),
        ]
    };

    let mut aggregates: Vec<BTreeMap<usize, Signature>> = Vec::new();
    for _node in 0..3 {
        let mut parsigdb = ParSigDb::new(threshold, validators.clone()).expect("parsigdb");
        let aggsigdb = AggSigDb::new();
        let mut per_validator = BTreeMap::new();
        for (v, dv) in dv_keys.iter().enumerate() {
            let mut events = Vec::new();
            for (arrival, p) in arrivals(v).into_iter().enumerate() {
                match parsigdb.store(duty, dv, p) {
                    Ok(StoreOutcome::ThresholdReached(event)) => events.push((arrival, event)),
                    Ok(StoreOutcome::Stored) => {}
                    Ok(StoreOutcome::Duplicate) => panic!("no duplicates were sent"),
                    Err(e) => assert_eq!(p.share_index, BYZANTINE, "honest partial rejected: {e}"),
                }
            }
            // Exactly one event, on the third honest partial (the last arrival), over the
            // honest root, from the honest share indices.
            assert_eq!(events.len(), 1, "threshold fires exactly once");
            let (arrival, event) = events.remove(0);
            assert_eq!(arrival, 5);
            assert_eq!(event.signing_root, HONEST_ROOT);
            assert_eq!(
                event.partials.keys().copied().collect::<Vec<_>>(),
                [1, 2, 3]
            );

            let aggregate = aggregate(&event.partials, threshold, dv, &event.signing_root)
                .expect("honest quorum aggregates");
            assert!(aggregate.signature.verify(dv, &HONEST_ROOT));
            assert!(!aggregate.signature.verify(dv, &BYZANTINE_ROOT));
            assert!(aggsigdb
                .store(duty, dv, aggregate.signature)
                .expect("aggsigdb"));
            assert_eq!(aggsigdb.get(duty, dv), Some(aggregate.signature));
            per_validator.insert(v, aggregate.signature);

            // The Byzantine root never reaches the threshold on its own.
            assert_eq!(parsigdb.partials(duty, dv, &BYZANTINE_ROOT).len(), 1);
        }
        let rejections = parsigdb.rejections();
        let validators = dv_keys.len() as u64;
        assert_eq!(rejections.count(RejectReason::InvalidSignature), validators);
        assert_eq!(rejections.count(RejectReason::Equivocation), validators);
        assert_eq!(rejections.count_for_share(BYZANTINE), 2 * validators);
        assert_eq!(rejections.total(), 2 * validators);
        for honest in 1..=3 {
            assert_eq!(rejections.count_for_share(honest), 0);
        }
        aggregates.push(per_validator);
    }
    // Every honest node produced the same group signature for each validator, and the two
    // validators' signatures differ.
    assert!(aggregates.windows(2).all(|w| w[0] == w[1]));
    assert_ne!(aggregates[0][&0], aggregates[0][&1]);
}
