//! Voluntary exits and builder registrations.

use mosaic_core::signeddata::SignedData;
use mosaic_types::consensus::phase0::{SignedVoluntaryExit, VoluntaryExit};
use mosaic_types::{
    BlsPubkey, BlsSignature, ExecutionAddress, SignedValidatorRegistrationV1,
    ValidatorRegistrationV1,
};
use serde_json::json;

use crate::harness::{assert_error, json_of, Harness, INDEX, P};

fn exit(validator_index: u64) -> SignedData<P> {
    SignedData::VoluntaryExit(SignedVoluntaryExit {
        message: VoluntaryExit {
            epoch: 5,
            validator_index,
        },
        signature: BlsSignature([0; 96]),
    })
}

fn exit_json(data: &SignedData<P>) -> serde_json::Value {
    match data {
        SignedData::VoluntaryExit(exit) => serde_json::to_value(exit).unwrap(),
        other => panic!("not an exit: {other:?}"),
    }
}

#[tokio::test]
async fn voluntary_exits_are_verified_then_submitted() {
    let h = Harness::start().await;
    let path = "/eth/v1/beacon/pool/voluntary_exits";
    let bad = h.signed_by(&h.stranger_key, &exit(INDEX));
    assert_error(
        h.post(path, &exit_json(&bad)).await,
        400,
        &[
            "voluntary exit at epoch 5 of validator index 1",
            "invalid partial signature",
        ],
    )
    .await;
    assert_error(
        h.post(path, &exit_json(&h.signed(&exit(77)))).await,
        400,
        &["validator index 77"],
    )
    .await;
    assert!(h.backend.submitted().is_empty());
    let good = h.signed(&exit(INDEX));
    assert_eq!(json_of(h.post(path, &exit_json(&good)).await).await.0, 200);
    assert_eq!(h.backend.submitted(), vec![(h.dv(), good)]);
}

fn registration(pubkey: BlsPubkey) -> SignedValidatorRegistrationV1 {
    SignedValidatorRegistrationV1 {
        message: ValidatorRegistrationV1 {
            fee_recipient: ExecutionAddress([0x12; 20]),
            gas_limit: 30_000_000,
            timestamp: 1_700_000_000,
            pubkey,
        },
        signature: BlsSignature([0; 96]),
    }
}

#[tokio::test]
async fn registrations_are_rewritten_to_the_dv_key_and_verified() {
    let h = Harness::start().await;
    let path = "/eth/v1/validator/register_validator";
    let share = BlsPubkey(h.share().to_bytes());
    let dv = BlsPubkey(h.dv().to_bytes());
    // The partial signs the DV's registration; the validator client sends it under its share.
    let for_dv = h.signed(&SignedData::BuilderRegistration(registration(dv)));
    let mut sent = registration(share);
    sent.signature = for_dv.signature();
    // Rejections: a signature by another key over either reading, and an unknown key.
    for signed_pubkey in [dv, share] {
        let mut forged = registration(share);
        forged.signature = h
            .signed_by(
                &h.stranger_key,
                &SignedData::BuilderRegistration(registration(signed_pubkey)),
            )
            .signature();
        assert_error(
            h.post(path, &json!([forged])).await,
            400,
            &["validator registration 0", "invalid partial signature"],
        )
        .await;
    }
    let stranger = BlsPubkey(h.stranger_key.public_key().to_bytes());
    assert_error(
        h.post(path, &json!([registration(stranger)])).await,
        400,
        &["not a public share"],
    )
    .await;
    assert!(h.backend.submitted().is_empty());
    assert_eq!(json_of(h.post(path, &json!([sent])).await).await.0, 200);
    assert_eq!(h.backend.submitted(), vec![(h.dv(), for_dv)]);
}

#[tokio::test]
async fn a_registration_signed_over_the_share_key_is_accepted_and_not_used() {
    // What a validator client that knows only its share signs (the built-in one, any client
    // without a distributed mode): valid under the share, so accepted; the node submits the
    // lock's registrations instead, so nothing goes to the backend.
    let h = Harness::start().await;
    let path = "/eth/v1/validator/register_validator";
    let share = BlsPubkey(h.share().to_bytes());
    let mut over_share = registration(share);
    over_share.signature = h
        .signed(&SignedData::BuilderRegistration(registration(share)))
        .signature();
    assert_eq!(
        json_of(h.post(path, &json!([over_share])).await).await.0,
        200
    );
    assert!(h.backend.submitted().is_empty());
    // One of them tampered with after signing (another fee recipient): refused.
    let mut tampered = over_share;
    tampered.message.fee_recipient = ExecutionAddress([0x34; 20]);
    assert_error(
        h.post(path, &json!([tampered])).await,
        400,
        &["validator registration 0", "invalid partial signature"],
    )
    .await;
    assert!(h.backend.submitted().is_empty());
}
