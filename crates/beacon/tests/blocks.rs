//! Block production (v3, v2, blinded v1) and publication (v2, v1) for every fork, full and
//! blinded, in JSON and SSZ, with the version and value headers.

mod support;

use mosaic_beacon::{
    BeaconClient, BroadcastValidation, ClientConfig, Encoding, Error, ProduceBlockRequest,
};
use mosaic_types::consensus::primitives::Uint256;
use mosaic_types::consensus::versioned::{ProducedBlock, PublishedBlock, ALL_FORKS};
use mosaic_types::consensus::Minimal;
use mosaic_types::{BlsSignature, ForkName, Root};
use serde_json::{json, Value};
use support::{Reply, TestServer};

fn hex(byte: &str, len: usize) -> String {
    format!("0x{}", byte.repeat(len))
}

fn execution_payload(fork: ForkName, blinded: bool) -> Value {
    let mut payload = json!({
        "parent_hash": hex("01", 32), "fee_recipient": hex("02", 20), "state_root": hex("03", 32),
        "receipts_root": hex("04", 32), "logs_bloom": hex("00", 256), "prev_randao": hex("05", 32),
        "block_number": "7", "gas_limit": "30000000", "gas_used": "21000", "timestamp": "1700000000",
        "extra_data": "0x6d6f73616963", "base_fee_per_gas": "1000000007", "block_hash": hex("06", 32),
    });
    let fields = payload.as_object_mut().expect("object");
    if blinded {
        fields.insert("transactions_root".into(), json!(hex("07", 32)));
    } else {
        fields.insert("transactions".into(), json!(["0x02f8"]));
    }
    if fork >= ForkName::Capella {
        if blinded {
            fields.insert("withdrawals_root".into(), json!(hex("08", 32)));
        } else {
            fields.insert(
                "withdrawals".into(),
                json!([{"index": "1", "validator_index": "2", "address": hex("09", 20), "amount": "3"}]),
            );
        }
    }
    if fork >= ForkName::Deneb {
        fields.insert("blob_gas_used".into(), json!("131072"));
        fields.insert("excess_blob_gas".into(), json!("0"));
    }
    payload
}

fn block_json(fork: ForkName, blinded: bool, slot: u64) -> Value {
    let mut body = json!({
        "randao_reveal": hex("aa", 96),
        "eth1_data": {"deposit_root": hex("0d", 32), "deposit_count": "5", "block_hash": hex("0e", 32)},
        "graffiti": hex("67", 32),
        "proposer_slashings": [], "attester_slashings": [], "attestations": [], "deposits": [],
        "voluntary_exits": [],
    });
    let fields = body.as_object_mut().expect("object");
    if fork >= ForkName::Altair {
        // Minimal preset: 32 sync committee members, 4 bytes of bits.
        fields.insert(
            "sync_aggregate".into(),
            json!({"sync_committee_bits": "0xffffffff", "sync_committee_signature": hex("bb", 96)}),
        );
    }
    if fork >= ForkName::Bellatrix {
        let name = if blinded {
            "execution_payload_header"
        } else {
            "execution_payload"
        };
        fields.insert(name.into(), execution_payload(fork, blinded));
    }
    if fork >= ForkName::Capella {
        fields.insert("bls_to_execution_changes".into(), json!([]));
    }
    if fork >= ForkName::Deneb {
        fields.insert("blob_kzg_commitments".into(), json!([hex("c0", 48)]));
    }
    if fork >= ForkName::Electra {
        fields.insert(
            "execution_requests".into(),
            json!({"deposits": [], "withdrawals": [], "consolidations": []}),
        );
    }
    json!({
        "slot": slot.to_string(), "proposer_index": "4", "parent_root": hex("0a", 32),
        "state_root": hex("0b", 32), "body": body,
    })
}

/// The `data` of a production answer: the block, or block contents unblinded from deneb on.
fn produced_json(fork: ForkName, blinded: bool, slot: u64) -> Value {
    let block = block_json(fork, blinded, slot);
    if blinded || fork < ForkName::Deneb {
        block
    } else {
        json!({"block": block, "kzg_proofs": [hex("c1", 48)], "blobs": [hex("00", 131072)]})
    }
}

/// The body of a publication: the signed block, or signed block contents.
fn published_json(fork: ForkName, blinded: bool) -> Value {
    let signed = json!({"message": block_json(fork, blinded, 9), "signature": hex("cc", 96)});
    if blinded || fork < ForkName::Deneb {
        signed
    } else {
        json!({"signed_block": signed, "kzg_proofs": [hex("c1", 48)], "blobs": [hex("00", 131072)]})
    }
}

fn cases() -> impl Iterator<Item = (ForkName, bool)> {
    ALL_FORKS.into_iter().flat_map(|fork| {
        let blinded = if fork >= ForkName::Bellatrix {
            vec![false, true]
        } else {
            vec![false]
        };
        blinded.into_iter().map(move |b| (fork, b))
    })
}

fn request() -> ProduceBlockRequest {
    ProduceBlockRequest {
        slot: 9,
        randao_reveal: BlsSignature([0xaa; 96]),
        graffiti: Some(Root([0x67; 32])),
        skip_randao_verification: false,
        builder_boost_factor: Some(90),
    }
}

fn client(server: &TestServer, encoding: Encoding) -> BeaconClient<Minimal> {
    let config = ClientConfig {
        block_encoding: encoding,
        ..ClientConfig::default()
    };
    BeaconClient::new([&server.url], config).expect("client")
}

#[tokio::test]
async fn produce_v3_json_every_fork_full_and_blinded() {
    for (fork, blinded) in cases() {
        let data = produced_json(fork, blinded, 9);
        let expected = ProducedBlock::<Minimal>::from_json_at(data.clone(), fork, blinded)
            .unwrap_or_else(|e| panic!("{fork} blinded={blinded}: {e}"));
        let server = TestServer::fixed(
            Reply::json(json!({
                "version": fork.as_str(), "execution_payload_blinded": blinded,
                "execution_payload_value": "12345678901234567890123", "consensus_block_value": "42",
                "data": data,
            }))
            .header("Eth-Consensus-Version", fork.as_str())
            .header(
                "Eth-Execution-Payload-Blinded",
                if blinded { "true" } else { "false" },
            ),
        )
        .await;
        let produced = client(&server, Encoding::Json)
            .produce_block(&request())
            .await
            .unwrap_or_else(|e| panic!("{fork} blinded={blinded}: {e}"));
        assert_eq!(produced.block, expected, "{fork} blinded={blinded}");
        assert_eq!((produced.fork, produced.blinded), (fork, blinded));
        assert_eq!(produced.encoding, Encoding::Json);
        assert_eq!(
            produced.execution_payload_value,
            Some(Uint256::from_dec_str("12345678901234567890123").expect("value"))
        );
        assert_eq!(produced.consensus_block_value, Some(Uint256::from(42)));
        let sent = server.last();
        assert_eq!(sent.method, "GET");
        assert_eq!(sent.path, "/eth/v3/validator/blocks/9");
        let query = format!(
            "randao_reveal={}&graffiti={}&builder_boost_factor=90",
            hex("aa", 96),
            hex("67", 32)
        );
        assert_eq!(sent.query.as_deref(), Some(query.as_str()));
        assert_eq!(sent.header("accept"), Some("application/json"));
    }
}

#[tokio::test]
async fn produce_v3_ssz_every_fork_full_and_blinded() {
    for (fork, blinded) in cases() {
        let expected =
            ProducedBlock::<Minimal>::from_json_at(produced_json(fork, blinded, 9), fork, blinded)
                .expect("sample block");
        let server = TestServer::fixed(
            Reply::ssz(expected.to_ssz())
                .header("Eth-Consensus-Version", fork.as_str())
                .header(
                    "Eth-Execution-Payload-Blinded",
                    if blinded { "True" } else { "false" },
                )
                .header("Eth-Execution-Payload-Value", "100")
                .header("Eth-Consensus-Block-Value", "7"),
        )
        .await;
        let produced = client(&server, Encoding::Ssz)
            .produce_block(&request())
            .await
            .unwrap_or_else(|e| panic!("{fork} blinded={blinded}: {e}"));
        assert_eq!(produced.block, expected, "{fork} blinded={blinded}");
        assert_eq!((produced.fork, produced.blinded), (fork, blinded));
        assert_eq!(produced.encoding, Encoding::Ssz);
        assert_eq!(produced.execution_payload_value, Some(Uint256::from(100)));
        assert_eq!(produced.consensus_block_value, Some(Uint256::from(7)));
        let accept = server.last().header("accept").map(str::to_owned);
        assert_eq!(
            accept.as_deref(),
            Some("application/octet-stream;q=1.0,application/json;q=0.9")
        );
    }
}

#[tokio::test]
async fn produce_v3_ssz_needs_its_headers() {
    let block = ProducedBlock::<Minimal>::from_json_at(
        produced_json(ForkName::Capella, false, 9),
        ForkName::Capella,
        false,
    )
    .expect("sample block");
    let without_version = TestServer::fixed(
        Reply::ssz(block.to_ssz()).header("Eth-Execution-Payload-Blinded", "false"),
    )
    .await;
    let error = client(&without_version, Encoding::Ssz)
        .produce_block(&request())
        .await
        .expect_err("no version");
    assert!(
        matches!(&error, Error::InvalidResponse { reason, .. } if reason.contains("Eth-Consensus-Version")),
        "{error}"
    );
    let bad_flag = TestServer::fixed(
        Reply::ssz(block.to_ssz())
            .header("Eth-Consensus-Version", "capella")
            .header("Eth-Execution-Payload-Blinded", "maybe"),
    )
    .await;
    assert!(matches!(
        client(&bad_flag, Encoding::Ssz)
            .produce_block(&request())
            .await,
        Err(Error::InvalidResponse { .. })
    ));
    // The wrong fork's layout does not decode.
    let wrong_fork = TestServer::fixed(
        Reply::ssz(block.to_ssz())
            .header("Eth-Consensus-Version", "deneb")
            .header("Eth-Execution-Payload-Blinded", "false"),
    )
    .await;
    assert!(matches!(
        client(&wrong_fork, Encoding::Ssz)
            .produce_block(&request())
            .await,
        Err(Error::InvalidResponse { .. })
    ));
}

#[tokio::test]
async fn produce_v3_flags_randao_skip_without_value() {
    let fork = ForkName::Phase0;
    let server = TestServer::fixed(Reply::json(json!({
        "version": "phase0", "execution_payload_blinded": false,
        "execution_payload_value": "0", "consensus_block_value": "0",
        "data": produced_json(fork, false, 3),
    })))
    .await;
    let mut request = ProduceBlockRequest::new(3, BlsSignature([0xaa; 96]));
    request.skip_randao_verification = true;
    client(&server, Encoding::Json)
        .produce_block(&request)
        .await
        .expect("block");
    let query = format!("randao_reveal={}&skip_randao_verification", hex("aa", 96));
    assert_eq!(server.last().query.as_deref(), Some(query.as_str()));
}

#[tokio::test]
async fn produce_v2_full_and_v1_blinded() {
    for (fork, blinded) in cases() {
        let data = produced_json(fork, blinded, 9);
        let server = TestServer::fixed(Reply::json(
            json!({"version": fork.as_str(), "data": data.clone()}),
        ))
        .await;
        let client = client(&server, Encoding::Json);
        let produced = if blinded {
            client.produce_blinded_block(&request()).await
        } else {
            client.produce_block_v2(&request()).await
        }
        .unwrap_or_else(|e| panic!("{fork} blinded={blinded}: {e}"));
        assert_eq!(
            produced.block,
            ProducedBlock::from_json_at(data, fork, blinded).expect("sample")
        );
        assert_eq!(produced.execution_payload_value, None);
        let sent = server.last();
        let path = if blinded {
            "/eth/v1/validator/blinded_blocks/9"
        } else {
            "/eth/v2/validator/blocks/9"
        };
        assert_eq!(sent.path, path);
        // No builder boost factor outside v3.
        assert!(!sent
            .query
            .as_deref()
            .unwrap_or("")
            .contains("builder_boost_factor"));
    }
    // SSZ answers work for v2 too.
    let block = ProducedBlock::<Minimal>::from_json_at(
        produced_json(ForkName::Deneb, false, 9),
        ForkName::Deneb,
        false,
    )
    .expect("sample");
    let server =
        TestServer::fixed(Reply::ssz(block.to_ssz()).header("Eth-Consensus-Version", "deneb"))
            .await;
    let produced = client(&server, Encoding::Ssz)
        .produce_block_v2(&request())
        .await
        .expect("ssz v2");
    assert_eq!(produced.block, block);
}

#[tokio::test]
async fn publish_v2_json_and_ssz_every_fork() {
    for (fork, blinded) in cases() {
        let body = published_json(fork, blinded);
        let block = PublishedBlock::<Minimal>::from_json_at(body.clone(), fork, blinded)
            .unwrap_or_else(|e| panic!("{fork} blinded={blinded}: {e}"));
        let server = TestServer::fixed(Reply::ok()).await;
        let path = if blinded {
            "/eth/v2/beacon/blinded_blocks"
        } else {
            "/eth/v2/beacon/blocks"
        };

        client(&server, Encoding::Json)
            .publish_block(&block, Some(BroadcastValidation::ConsensusAndEquivocation))
            .await
            .expect("published");
        let sent = server.last();
        assert_eq!((sent.method.as_str(), sent.path.as_str()), ("POST", path));
        assert_eq!(
            sent.query.as_deref(),
            Some("broadcast_validation=consensus_and_equivocation")
        );
        assert_eq!(sent.header("eth-consensus-version"), Some(fork.as_str()));
        assert_eq!(sent.header("content-type"), Some("application/json"));
        assert_eq!(sent.json(), body, "{fork} blinded={blinded}");

        client(&server, Encoding::Ssz)
            .publish_block(&block, None)
            .await
            .expect("published");
        let sent = server.last();
        assert_eq!(sent.path, path);
        assert_eq!(sent.query, None);
        assert_eq!(sent.header("eth-consensus-version"), Some(fork.as_str()));
        assert_eq!(
            sent.header("content-type"),
            Some("application/octet-stream")
        );
        assert_eq!(sent.body, block.to_ssz());
    }
}

#[tokio::test]
async fn publish_v1_and_rejections() {
    let block = PublishedBlock::<Minimal>::from_json_at(
        published_json(ForkName::Electra, true),
        ForkName::Electra,
        true,
    )
    .expect("sample");
    let server = TestServer::fixed(Reply::ok()).await;
    client(&server, Encoding::Ssz)
        .publish_block_v1(&block)
        .await
        .expect("v1");
    let sent = server.last();
    assert_eq!(sent.path, "/eth/v1/beacon/blinded_blocks");
    assert_eq!(sent.header("content-type"), Some("application/json"));

    let rejecting = TestServer::fixed(Reply::error(400, "Invalid block: signature")).await;
    let error = client(&rejecting, Encoding::Json)
        .publish_block(&block, Some(BroadcastValidation::Gossip))
        .await
        .expect_err("rejected");
    assert_eq!(error.status(), Some(400));
    assert!(error
        .to_string()
        .starts_with("POST /eth/v2/beacon/blinded_blocks at http://127.0.0.1:"));
    assert!(error
        .to_string()
        .ends_with("HTTP 400: Invalid block: signature"));
}
