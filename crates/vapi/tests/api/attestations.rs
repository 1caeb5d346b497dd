//! Attestation data, attestation submission (v1 and v2), aggregates and aggregate-and-proofs.

use std::time::Duration;

use mosaic_beacon::BeaconCommitteeSelection;
use mosaic_core::signeddata::{SignedData, SubmittedAttestation};
use mosaic_types::consensus::electra::SingleAttestation;
use mosaic_types::consensus::versioned::{Attestation, SignedAggregateAndProof};
use mosaic_types::consensus::{phase0, ForkVersioned};
use mosaic_types::{BlsSignature, ForkName, Root};
use serde_json::json;
use ssz_types::BitList;
use tree_hash::TreeHash;

use crate::harness::{assert_error, attestation_data, json_of, Harness, INDEX, P};

#[tokio::test]
async fn attestation_data_waits_until_the_cluster_decided() {
    let h = Harness::start().await;
    let url = format!(
        "{}/eth/v1/validator/attestation_data?slot=40&committee_index=2",
        h.url
    );
    let http = h.http.clone();
    let request = tokio::spawn(async move { http.get(url).send().await.unwrap() });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!request.is_finished(), "answered before consensus decided");
    let data = attestation_data(40, 2);
    h.backend.attestation_data.set((40, 2), data);
    let (status, body) = json_of(request.await.unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({ "data": data }));
    assert!(h.backend.seen.load(std::sync::atomic::Ordering::Relaxed) >= 1);
}

#[tokio::test]
async fn attestation_data_times_out_with_503_and_rejects_bad_queries() {
    let h = Harness::start_with_timeout(Duration::from_millis(200)).await;
    let response = h
        .get("/eth/v1/validator/attestation_data?slot=40&committee_index=2")
        .await;
    assert_error(response, 503, &["timed out"]).await;
    let response = h.get("/eth/v1/validator/attestation_data?slot=40").await;
    assert_error(response, 400, &["committee_index"]).await;
    let response = h
        .get("/eth/v1/validator/attestation_data?slot=x&committee_index=2")
        .await;
    assert_error(response, 400, &[]).await;
}

fn phase0_attestation(slot: u64, committee: u64, bits: &[usize]) -> phase0::Attestation<P> {
    let mut aggregation_bits = BitList::with_capacity(8).unwrap();
    for bit in bits {
        aggregation_bits.set(*bit, true).unwrap();
    }
    phase0::Attestation {
        aggregation_bits,
        data: attestation_data(slot, committee),
        signature: BlsSignature([0; 96]),
    }
}

fn as_signed(attestation: phase0::Attestation<P>, fork: ForkName) -> SignedData<P> {
    let versioned = match fork {
        ForkName::Phase0 => Attestation::Phase0(attestation),
        ForkName::Deneb => Attestation::Deneb(attestation),
        other => panic!("no test attestation at {other}"),
    };
    SignedData::Attestation(SubmittedAttestation::Aggregated(Box::new(versioned)))
}

fn attestation_json(data: &SignedData<P>) -> serde_json::Value {
    match data {
        SignedData::Attestation(SubmittedAttestation::Aggregated(attestation)) => {
            serde_json::to_value(attestation.as_ref()).unwrap()
        }
        SignedData::Attestation(SubmittedAttestation::Single { attestation, .. }) => {
            serde_json::to_value(attestation.as_ref()).unwrap()
        }
        other => panic!("not an attestation: {other:?}"),
    }
}

#[tokio::test]
async fn v1_attestations_are_verified_resolved_by_position_and_submitted() {
    let h = Harness::start().await;
    h.backend
        .attesters
        .lock()
        .unwrap()
        .insert((40, 2, 3), h.dv());
    let good = h.signed(&as_signed(
        phase0_attestation(40, 2, &[3]),
        ForkName::Phase0,
    ));
    let response = h
        .post(
            "/eth/v1/beacon/pool/attestations",
            &json!([attestation_json(&good)]),
        )
        .await;
    assert_eq!(json_of(response).await.0, 200);
    assert_eq!(h.backend.submitted(), vec![(h.dv(), good)]);
}

#[tokio::test]
async fn v1_attestation_with_a_bad_partial_rejects_the_whole_request() {
    let h = Harness::start().await;
    h.backend
        .attesters
        .lock()
        .unwrap()
        .insert((40, 2, 3), h.dv());
    h.backend
        .attesters
        .lock()
        .unwrap()
        .insert((40, 2, 4), h.dv());
    let good = h.signed(&as_signed(
        phase0_attestation(40, 2, &[3]),
        ForkName::Phase0,
    ));
    let unsigned = as_signed(phase0_attestation(40, 2, &[4]), ForkName::Phase0);
    // Signed by a key that is not this node's share, or by the share over another object.
    let by_stranger = h.signed_by(&h.stranger_key, &unsigned);
    let other_root = good.with_signature(h.signature_by(&h.share_key, Root([9; 32])));
    for bad in [by_stranger, other_root] {
        let body = json!([attestation_json(&good), attestation_json(&bad)]);
        let response = h.post("/eth/v1/beacon/pool/attestations", &body).await;
        assert_error(
            response,
            400,
            &[
                "attestation 1 for slot 40",
                "invalid partial signature",
                &h.dv().to_hex(),
            ],
        )
        .await;
    }
    assert!(h.backend.submitted().is_empty());
}

#[tokio::test]
async fn v1_attestation_needs_exactly_one_bit_of_a_known_duty() {
    let h = Harness::start().await;
    h.backend
        .attesters
        .lock()
        .unwrap()
        .insert((40, 2, 3), h.dv());
    let cases: [(&[usize], &str); 3] = [
        (&[], "no aggregation bit"),
        (&[3, 4], "more than one aggregation bit"),
        (&[5], "no attester duty"),
    ];
    for (bits, reason) in cases {
        let attestation = h.signed(&as_signed(
            phase0_attestation(40, 2, bits),
            ForkName::Phase0,
        ));
        let response = h
            .post(
                "/eth/v1/beacon/pool/attestations",
                &json!([attestation_json(&attestation)]),
            )
            .await;
        assert_error(response, 400, &[reason]).await;
    }
    assert!(h.backend.submitted().is_empty());
}

#[tokio::test]
async fn v1_attestations_refuse_electra_slots() {
    let h = Harness::start().await;
    let slot = h.slot_at(ForkName::Electra, 1);
    h.backend
        .attesters
        .lock()
        .unwrap()
        .insert((slot, 0, 0), h.dv());
    let attestation = h.signed(&as_signed(
        phase0_attestation(slot, 0, &[0]),
        ForkName::Phase0,
    ));
    let response = h
        .post(
            "/eth/v1/beacon/pool/attestations",
            &json!([attestation_json(&attestation)]),
        )
        .await;
    assert_error(response, 400, &["SingleAttestation"]).await;
    assert!(h.backend.submitted().is_empty());
}

#[tokio::test]
async fn v2_single_attestations_from_electra() {
    let h = Harness::start().await;
    let slot = h.slot_at(ForkName::Electra, 3);
    let single = |attester_index| {
        SignedData::<P>::Attestation(SubmittedAttestation::Single {
            version: ForkName::Electra,
            attestation: Box::new(SingleAttestation {
                committee_index: 1,
                attester_index,
                data: attestation_data(slot, 0),
                signature: BlsSignature([0; 96]),
            }),
        })
    };
    let path = "/eth/v2/beacon/pool/attestations";
    // Inside the boundary: valid partial of a cluster validator.
    let good = h.signed(&single(INDEX));
    let response = h
        .post_versioned(path, ForkName::Electra, &json!([attestation_json(&good)]))
        .await;
    assert_eq!(json_of(response).await.0, 200);
    assert_eq!(h.backend.submitted(), vec![(h.dv(), good.clone())]);
    // Rejections: a bad partial, and an index that is not the cluster's.
    let bad = h.signed_by(&h.stranger_key, &single(INDEX));
    let response = h
        .post_versioned(path, ForkName::Electra, &json!([attestation_json(&bad)]))
        .await;
    assert_error(response, 400, &["invalid partial signature"]).await;
    let unknown = h.signed(&single(99));
    let response = h
        .post_versioned(
            path,
            ForkName::Electra,
            &json!([attestation_json(&unknown)]),
        )
        .await;
    assert_error(response, 400, &["validator index 99"]).await;
    assert_eq!(h.backend.submitted().len(), 1);
}

#[tokio::test]
async fn v2_pre_electra_attestations_use_the_header_fork() {
    let h = Harness::start().await;
    let slot = h.slot_at(ForkName::Deneb, 2);
    h.backend
        .attesters
        .lock()
        .unwrap()
        .insert((slot, 1, 0), h.dv());
    let good = h.signed(&as_signed(
        phase0_attestation(slot, 1, &[0]),
        ForkName::Deneb,
    ));
    let response = h
        .post_versioned(
            "/eth/v2/beacon/pool/attestations",
            ForkName::Deneb,
            &json!([attestation_json(&good)]),
        )
        .await;
    assert_eq!(json_of(response).await.0, 200);
    assert_eq!(h.backend.submitted(), vec![(h.dv(), good)]);
}

#[tokio::test]
async fn aggregate_attestation_v1_and_v2() {
    let h = Harness::start().await;
    let attestation = phase0_attestation(40, 2, &[1, 2]);
    let root: Root = attestation.data.tree_hash_root().into();
    h.backend
        .aggregates
        .set((40, root), Attestation::Phase0(attestation.clone()));
    let response = h
        .get(&format!(
            "/eth/v1/validator/aggregate_attestation?attestation_data_root={}&slot=40",
            root.to_hex()
        ))
        .await;
    let (status, body) = json_of(response).await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({ "data": attestation }));
    let response = h
        .get(&format!(
            "/eth/v2/validator/aggregate_attestation?attestation_data_root={}&slot=40&committee_index=2",
            root.to_hex()
        ))
        .await;
    assert_eq!(response.headers()["eth-consensus-version"], "phase0");
    let (status, body) = json_of(response).await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({ "version": "phase0", "data": attestation }));
    let response = h
        .http
        .get(format!(
            "{}/eth/v2/validator/aggregate_attestation?attestation_data_root={}&slot=40",
            h.url,
            root.to_hex()
        ))
        .header("accept", "application/octet-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["eth-consensus-version"], "phase0");
    assert_eq!(
        response.bytes().await.unwrap().to_vec(),
        Attestation::<P>::Phase0(attestation).to_ssz()
    );
    assert_eq!(
        *h.backend.aggregate_committees.lock().unwrap(),
        vec![None, Some(2), None]
    );
}

fn aggregate_and_proof(
    h: &Harness,
    selection_key: &mosaic_crypto::bls::SecretKey,
    outer_key: &mosaic_crypto::bls::SecretKey,
) -> SignedData<P> {
    let slot = 40;
    let selection = SignedData::<P>::BeaconCommitteeSelection(BeaconCommitteeSelection {
        validator_index: INDEX,
        slot,
        selection_proof: BlsSignature([0; 96]),
    });
    let selection_proof = h.signed_by(selection_key, &selection).signature();
    let unsigned = SignedData::AggregateAndProof(Box::new(SignedAggregateAndProof::Phase0(
        phase0::SignedAggregateAndProof {
            message: phase0::AggregateAndProof {
                aggregator_index: INDEX,
                aggregate: phase0_attestation(slot, 2, &[1, 2]),
                selection_proof,
            },
            signature: BlsSignature([0; 96]),
        },
    )));
    h.signed_by(outer_key, &unsigned)
}

fn aggregate_json(data: &SignedData<P>) -> serde_json::Value {
    match data {
        SignedData::AggregateAndProof(aggregate) => {
            serde_json::to_value(aggregate.as_ref()).unwrap()
        }
        other => panic!("not an aggregate: {other:?}"),
    }
}

#[tokio::test]
async fn aggregate_and_proofs_need_the_combined_selection_and_a_valid_partial() {
    let h = Harness::start().await;
    let good = aggregate_and_proof(&h, &h.dv_key, &h.share_key);
    for path in [
        "/eth/v1/validator/aggregate_and_proofs",
        "/eth/v2/validator/aggregate_and_proofs",
    ] {
        let bad_outer = aggregate_and_proof(&h, &h.dv_key, &h.stranger_key);
        let response = h
            .post_versioned(path, ForkName::Phase0, &json!([aggregate_json(&bad_outer)]))
            .await;
        assert_error(
            response,
            400,
            &["aggregate and proof 0", "invalid partial signature"],
        )
        .await;
        // The validator client's own partial selection proof is not the cluster's proof.
        let partial_selection = aggregate_and_proof(&h, &h.share_key, &h.share_key);
        let response = h
            .post_versioned(
                path,
                ForkName::Phase0,
                &json!([aggregate_json(&partial_selection)]),
            )
            .await;
        assert_error(
            response,
            400,
            &["selection proof", "beacon_committee_selections"],
        )
        .await;
        assert!(h.backend.submitted().is_empty());
    }
    let response = h
        .post(
            "/eth/v1/validator/aggregate_and_proofs",
            &json!([aggregate_json(&good)]),
        )
        .await;
    assert_eq!(json_of(response).await.0, 200);
    let response = h
        .post_versioned(
            "/eth/v2/validator/aggregate_and_proofs",
            ForkName::Phase0,
            &json!([aggregate_json(&good)]),
        )
        .await;
    assert_eq!(json_of(response).await.0, 200);
    assert_eq!(
        h.backend.submitted(),
        vec![(h.dv(), good.clone()), (h.dv(), good)]
    );
}

#[tokio::test]
async fn v2_electra_attestations_resolve_by_committee_bit_and_position() {
    let h = Harness::start().await;
    let slot = h.slot_at(ForkName::Electra, 4);
    h.backend
        .attesters
        .lock()
        .unwrap()
        .insert((slot, 2, 5), h.dv());
    let electra = |committees: &[usize], bits: &[usize]| {
        let mut aggregation_bits = BitList::with_capacity(8).unwrap();
        for bit in bits {
            aggregation_bits.set(*bit, true).unwrap();
        }
        let mut committee_bits = ssz_types::BitVector::new();
        for committee in committees {
            committee_bits.set(*committee, true).unwrap();
        }
        let attestation = mosaic_types::consensus::electra::Attestation::<P> {
            aggregation_bits,
            data: attestation_data(slot, 0),
            signature: BlsSignature([0; 96]),
            committee_bits,
        };
        h.signed(&SignedData::Attestation(SubmittedAttestation::Aggregated(
            Box::new(Attestation::Electra(attestation)),
        )))
    };
    let path = "/eth/v2/beacon/pool/attestations";
    for (attestation, reason) in [
        (electra(&[], &[5]), "no committee bit"),
        (electra(&[1, 2], &[5]), "more than one committee bit"),
        (electra(&[1], &[5]), "no attester duty"),
    ] {
        let response = h
            .post_versioned(
                path,
                ForkName::Electra,
                &json!([attestation_json(&attestation)]),
            )
            .await;
        assert_error(response, 400, &[reason]).await;
    }
    assert!(h.backend.submitted().is_empty());
    let good = electra(&[2], &[5]);
    let response = h
        .post_versioned(path, ForkName::Electra, &json!([attestation_json(&good)]))
        .await;
    assert_eq!(json_of(response).await.0, 200);
    assert_eq!(h.backend.submitted(), vec![(h.dv(), good)]);
}
