//! Block production (randao partial, v2, v3, blinded v1; JSON and SSZ) and publication
//! (v1 and v2, full and blinded; JSON and SSZ).

use mosaic_core::signeddata::{SignedData, SignedRandao};
use mosaic_types::consensus::versioned::{ProducedBlock, PublishedBlock};
use mosaic_types::{BlsSignature, ForkName, Slot};
use serde_json::{json, Value};

use crate::harness::{assert_error, json_of, Harness, P};

fn hex(byte: &str, len: usize) -> String {
    format!("0x{}", byte.repeat(len))
}

/// A block of `fork` (minimal preset) as beacon-API JSON; `graffiti` tells blocks apart.
fn block_json(fork: ForkName, blinded: bool, slot: Slot, graffiti: &str) -> Value {
    let mut body = json!({
        "randao_reveal": hex("aa", 96),
        "eth1_data": {"deposit_root": hex("0d", 32), "deposit_count": "5", "block_hash": hex("0e", 32)},
        "graffiti": hex(graffiti, 32),
        "proposer_slashings": [], "attester_slashings": [], "attestations": [], "deposits": [],
        "voluntary_exits": [],
    });
    if fork >= ForkName::Deneb {
        let mut payload = json!({
            "parent_hash": hex("01", 32), "fee_recipient": hex("02", 20), "state_root": hex("03", 32),
            "receipts_root": hex("04", 32), "logs_bloom": hex("00", 256), "prev_randao": hex("05", 32),
            "block_number": "7", "gas_limit": "30000000", "gas_used": "21000",
            "timestamp": "1700000000", "extra_data": "0x", "base_fee_per_gas": "7",
            "block_hash": hex("06", 32), "blob_gas_used": "0", "excess_blob_gas": "0",
        });
        let payload_fields = payload.as_object_mut().unwrap();
        if blinded {
            payload_fields.insert("transactions_root".into(), json!(hex("07", 32)));
            payload_fields.insert("withdrawals_root".into(), json!(hex("08", 32)));
        } else {
            payload_fields.insert("transactions".into(), json!([]));
            payload_fields.insert("withdrawals".into(), json!([]));
        }
        let fields = body.as_object_mut().unwrap();
        fields.insert(
            "sync_aggregate".into(),
            json!({"sync_committee_bits": "0xffffffff", "sync_committee_signature": hex("bb", 96)}),
        );
        let payload_name = if blinded {
            "execution_payload_header"
        } else {
            "execution_payload"
        };
        fields.insert(payload_name.into(), payload);
        fields.insert("bls_to_execution_changes".into(), json!([]));
        fields.insert("blob_kzg_commitments".into(), json!([]));
    }
    let block = json!({
        "slot": slot.to_string(), "proposer_index": "1", "parent_root": hex("0a", 32),
        "state_root": hex("0b", 32), "body": body,
    });
    if fork >= ForkName::Deneb && !blinded {
        json!({"block": block, "kzg_proofs": [], "blobs": []})
    } else {
        block
    }
}

fn produced(fork: ForkName, blinded: bool, slot: Slot, graffiti: &str) -> ProducedBlock<P> {
    ProducedBlock::from_json_at(block_json(fork, blinded, slot, graffiti), fork, blinded).unwrap()
}

/// The randao partial of `slot`'s epoch signed with `key`.
fn randao(h: &Harness, key: &mosaic_crypto::bls::SecretKey, slot: Slot) -> SignedData<P> {
    let epoch = slot / h.signing.network.slots_per_epoch;
    h.signed_by(
        key,
        &SignedData::Randao(SignedRandao {
            epoch,
            signature: BlsSignature([0; 96]),
        }),
    )
}

fn produce_path(version: &str, slot: Slot, randao: &SignedData<P>) -> String {
    let endpoint = if version == "blinded" {
        format!("/eth/v1/validator/blinded_blocks/{slot}")
    } else {
        format!("/eth/{version}/validator/blocks/{slot}")
    };
    format!(
        "{endpoint}?randao_reveal={}&graffiti={}",
        randao.signature().to_hex(),
        hex("00", 32)
    )
}

#[tokio::test]
async fn v3_submits_the_randao_partial_then_answers_with_the_decided_block() {
    let h = Harness::start().await;
    let slot = h.slot_at(ForkName::Deneb, 5);
    h.backend.proposers.lock().unwrap().insert(slot, h.dv());
    let block = produced(ForkName::Deneb, false, slot, "67");
    h.backend.proposals.set(slot, block.clone());
    let reveal = randao(&h, &h.share_key, slot);
    let response = h.get(&produce_path("v3", slot, &reveal)).await;
    let headers = response.headers().clone();
    let (status, body) = json_of(response).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(headers["eth-consensus-version"], "deneb");
    assert_eq!(headers["eth-execution-payload-blinded"], "false");
    assert_eq!(headers["eth-execution-payload-value"], "0");
    assert_eq!(headers["eth-consensus-block-value"], "0");
    assert_eq!(body["version"], json!("deneb"));
    assert_eq!(body["execution_payload_blinded"], json!(false));
    assert_eq!(body["data"], serde_json::to_value(&block).unwrap());
    assert_eq!(h.backend.submitted(), vec![(h.dv(), reveal)]);
}

#[tokio::test]
async fn a_bad_randao_partial_is_rejected_before_anything_is_submitted() {
    let h = Harness::start().await;
    let slot = h.slot_at(ForkName::Deneb, 5);
    h.backend.proposers.lock().unwrap().insert(slot, h.dv());
    h.backend
        .proposals
        .set(slot, produced(ForkName::Deneb, false, slot, "67"));
    let by_stranger = randao(&h, &h.stranger_key, slot);
    // The share's reveal for the next epoch is a valid signature, of the wrong epoch.
    let next_epoch = randao(&h, &h.share_key, slot + h.signing.network.slots_per_epoch);
    for bad in [by_stranger, next_epoch] {
        let response = h.get(&produce_path("v3", slot, &bad)).await;
        assert_error(
            response,
            400,
            &[
                "randao reveal for slot",
                "invalid partial signature",
                &h.dv().to_hex(),
            ],
        )
        .await;
    }
    let response = h
        .get(&produce_path(
            "v3",
            slot + 1,
            &randao(&h, &h.share_key, slot + 1),
        ))
        .await;
    assert_error(response, 400, &["proposes at slot"]).await;
    let response = h.get(&format!("/eth/v3/validator/blocks/{slot}")).await;
    assert_error(response, 400, &["randao_reveal"]).await;
    assert!(h.backend.submitted().is_empty());
}

#[tokio::test]
async fn v2_serves_full_blocks_in_json_and_ssz() {
    let h = Harness::start().await;
    let slot = 70;
    h.backend.proposers.lock().unwrap().insert(slot, h.dv());
    let block = produced(ForkName::Phase0, false, slot, "01");
    h.backend.proposals.set(slot, block.clone());
    let path = produce_path("v2", slot, &randao(&h, &h.share_key, slot));
    let response = h.get(&path).await;
    assert_eq!(response.headers()["eth-consensus-version"], "phase0");
    let (status, body) = json_of(response).await;
    assert_eq!(status, 200, "{body}");
    // `block_value` for Lodestar's validator client before 1.12, which cannot read an answer
    // without it.
    assert_eq!(
        body,
        json!({"version": "phase0", "block_value": "0", "data": block})
    );
    let response = h
        .http
        .get(format!("{}{path}", h.url))
        .header(
            "accept",
            "application/octet-stream;q=1,application/json;q=0.9",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/octet-stream"
    );
    assert_eq!(response.headers()["eth-consensus-version"], "phase0");
    assert_eq!(response.bytes().await.unwrap().to_vec(), block.to_ssz());
    assert_eq!(h.backend.submitted().len(), 2);
}

#[tokio::test]
async fn blinded_and_full_endpoints_serve_only_their_kind() {
    let h = Harness::start().await;
    let blinded_slot = h.slot_at(ForkName::Deneb, 1);
    let full_slot = h.slot_at(ForkName::Deneb, 2);
    for slot in [blinded_slot, full_slot] {
        h.backend.proposers.lock().unwrap().insert(slot, h.dv());
    }
    let blinded = produced(ForkName::Deneb, true, blinded_slot, "02");
    h.backend.proposals.set(blinded_slot, blinded.clone());
    h.backend
        .proposals
        .set(full_slot, produced(ForkName::Deneb, false, full_slot, "03"));
    let reveal = |slot| randao(&h, &h.share_key, slot);
    let (status, body) = json_of(
        h.get(&produce_path(
            "blinded",
            blinded_slot,
            &reveal(blinded_slot),
        ))
        .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"version": "deneb", "block_value": "0", "data": blinded})
    );
    let response = h
        .get(&produce_path("v3", blinded_slot, &reveal(blinded_slot)))
        .await;
    assert_eq!(response.headers()["eth-execution-payload-blinded"], "true");
    let response = h
        .get(&produce_path("v2", blinded_slot, &reveal(blinded_slot)))
        .await;
    assert_error(response, 503, &["blinded block"]).await;
    let response = h
        .get(&produce_path("blinded", full_slot, &reveal(full_slot)))
        .await;
    assert_error(response, 503, &["full block"]).await;
}

fn proposal(block: &ProducedBlock<P>) -> SignedData<P> {
    SignedData::Proposal(Box::new(block.signed(BlsSignature([0; 96]))))
}

fn published(data: &SignedData<P>) -> &PublishedBlock<P> {
    match data {
        SignedData::Proposal(block) => block,
        other => panic!("not a proposal: {other:?}"),
    }
}

#[tokio::test]
async fn publishing_checks_the_decided_block_and_the_partial() {
    let h = Harness::start().await;
    let slot = 70;
    h.backend.proposers.lock().unwrap().insert(slot, h.dv());
    let block = produced(ForkName::Phase0, false, slot, "01");
    h.backend.proposals.set(slot, block.clone());
    let good = h.signed(&proposal(&block));
    // Rejections: a bad partial, a block other than the decided one, SSZ without a fork.
    let bad = h.signed_by(&h.stranger_key, &proposal(&block));
    let response = h
        .post(
            "/eth/v1/beacon/blocks",
            &serde_json::to_value(published(&bad)).unwrap(),
        )
        .await;
    assert_error(
        response,
        400,
        &["block for slot 70", "invalid partial signature"],
    )
    .await;
    let other = h.signed(&proposal(&produced(ForkName::Phase0, false, slot, "02")));
    let response = h
        .post(
            "/eth/v2/beacon/blocks",
            &serde_json::to_value(published(&other)).unwrap(),
        )
        .await;
    assert_error(response, 400, &["not the proposal the cluster decided"]).await;
    let response = h
        .http
        .post(format!("{}/eth/v2/beacon/blocks", h.url))
        .header("content-type", "application/octet-stream")
        .body(published(&good).to_ssz())
        .send()
        .await
        .unwrap();
    assert_error(response, 400, &["Eth-Consensus-Version"]).await;
    assert!(h.backend.submitted().is_empty());
    // Inside the boundary: v1 JSON without a header, v2 SSZ with one.
    let response = h
        .post(
            "/eth/v1/beacon/blocks",
            &serde_json::to_value(published(&good)).unwrap(),
        )
        .await;
    assert_eq!(json_of(response).await.0, 200);
    let response = h
        .http
        .post(format!(
            "{}/eth/v2/beacon/blocks?broadcast_validation=gossip",
            h.url
        ))
        .header("content-type", "application/octet-stream")
        .header("eth-consensus-version", "phase0")
        .body(published(&good).to_ssz())
        .send()
        .await
        .unwrap();
    assert_eq!(json_of(response).await.0, 200);
    assert_eq!(
        h.backend.submitted(),
        vec![(h.dv(), good.clone()), (h.dv(), good)]
    );
}

#[tokio::test]
async fn publishing_deneb_contents_and_blinded_blocks() {
    let h = Harness::start().await;
    let full_slot = h.slot_at(ForkName::Deneb, 1);
    let blinded_slot = h.slot_at(ForkName::Deneb, 2);
    for slot in [blinded_slot, full_slot] {
        h.backend.proposers.lock().unwrap().insert(slot, h.dv());
    }
    let full = produced(ForkName::Deneb, false, full_slot, "04");
    let blinded = produced(ForkName::Deneb, true, blinded_slot, "05");
    h.backend.proposals.set(full_slot, full.clone());
    h.backend.proposals.set(blinded_slot, blinded.clone());
    let signed_full = h.signed(&proposal(&full));
    let signed_blinded = h.signed(&proposal(&blinded));
    let response = h
        .post_versioned(
            "/eth/v2/beacon/blocks",
            ForkName::Deneb,
            &serde_json::to_value(published(&signed_full)).unwrap(),
        )
        .await;
    assert_eq!(json_of(response).await.0, 200);
    // A blinded block sent to the full endpoint does not decode as contents.
    let response = h
        .post_versioned(
            "/eth/v2/beacon/blocks",
            ForkName::Deneb,
            &serde_json::to_value(published(&signed_blinded)).unwrap(),
        )
        .await;
    assert_error(response, 400, &["invalid signed block"]).await;
    for path in [
        "/eth/v1/beacon/blinded_blocks",
        "/eth/v2/beacon/blinded_blocks",
    ] {
        let response = h
            .post_versioned(
                path,
                ForkName::Deneb,
                &serde_json::to_value(published(&signed_blinded)).unwrap(),
            )
            .await;
        assert_eq!(json_of(response).await.0, 200);
    }
    assert_eq!(
        h.backend.submitted(),
        vec![
            (h.dv(), signed_full),
            (h.dv(), signed_blinded.clone()),
            (h.dv(), signed_blinded)
        ]
    );
}
