//! Block production and publication through HTTP, every served fork (capella to fulu), JSON
//! and SSZ, full and blinded; the strict publication checks (each rejection next to a block
//! one step inside it that passes); pool contents in produced blocks; the pre-electra
//! attestation path; sync committee contributions; the fork endpoint.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use mosaic_crypto::bls::SecretKey;
use mosaic_simnet::chain::filler_secret_key;
use mosaic_simnet::{ManualClock, Scenario, SimConfig, Simulator};
use mosaic_types::consensus::altair::{ContributionAndProof, SyncAggregatorSelectionData};
use mosaic_types::consensus::versioned::{ProducedBlock, PublishedBlock};
use mosaic_types::consensus::Minimal;
use mosaic_types::{
    builder_domain, compute_domain, compute_signing_root, BlsPubkey, BlsSignature, Domain,
    DomainType, ExecutionAddress, ForkName, Root, ValidatorRegistrationV1, DOMAIN_BEACON_ATTESTER,
    DOMAIN_BEACON_PROPOSER, DOMAIN_CONTRIBUTION_AND_PROOF, DOMAIN_RANDAO, DOMAIN_SYNC_COMMITTEE,
    DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF,
};
use reqwest::header::HeaderMap;
use serde_json::{json, Value};
use tree_hash::TreeHash;

const GENESIS: u64 = 1_700_000_000;
const EXPLICIT: u64 = 16;
const FILLERS: usize = 48;
const SEED: u64 = 11;
const KEY_SEED: u64 = 4242;
const SERVED: [ForkName; 4] = [
    ForkName::Capella,
    ForkName::Deneb,
    ForkName::Electra,
    ForkName::Fulu,
];

struct Harness {
    sim: Simulator,
    clock: ManualClock,
    url: String,
    http: reqwest::Client,
    fork: ForkName,
    _server: mosaic_simnet::ServerHandle,
}

async fn start(fork: ForkName) -> Harness {
    let mut config = SimConfig::new(GENESIS);
    config.validators = (0..EXPLICIT)
        .map(|i| BlsPubkey(filler_secret_key(KEY_SEED, i).public_key().to_bytes()))
        .collect();
    config.filler_validators = FILLERS;
    config.seed = SEED;
    config.fork = fork;
    let clock = ManualClock::new(GENESIS * 1000);
    let sim = Simulator::new(config, Arc::new(clock.clone())).unwrap();
    let server = sim.serve(0).await.unwrap();
    Harness {
        url: server.url(),
        sim,
        clock,
        http: reqwest::Client::new(),
        fork,
        _server: server,
    }
}

struct Reply {
    status: u16,
    headers: HeaderMap,
    bytes: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes).unwrap_or(Value::Null)
    }
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap())
            .unwrap_or_default()
    }
    fn message(&self) -> String {
        self.json()["message"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

impl Harness {
    /// The secret key of any validator: explicit ones from the test's seed, fillers from the
    /// chain's.
    fn key(&self, index: u64) -> SecretKey {
        if index < EXPLICIT {
            filler_secret_key(KEY_SEED, index)
        } else {
            filler_secret_key(SEED, index)
        }
    }

    fn at_slot(&self, slot: u64, ms_in: u64) {
        self.clock.set_ms(GENESIS * 1000 + slot * 1000 + ms_in);
        self.sim.tick();
    }

    fn domain(&self, domain_type: DomainType) -> Domain {
        let (version, gvr) = self
            .sim
            .with_chain(|c| (c.fork_version(), c.genesis_validators_root()));
        compute_domain(domain_type, version, gvr)
    }

    fn sign(&self, index: u64, root: Root, domain_type: DomainType) -> BlsSignature {
        let signing_root = compute_signing_root(root, self.domain(domain_type));
        BlsSignature(self.key(index).sign(&signing_root.0).to_bytes())
    }

    fn randao(&self, slot: u64) -> BlsSignature {
        let proposer = self.sim.with_chain(|c| c.proposer(slot));
        let epoch = slot / 8;
        self.sign(proposer, epoch.tree_hash_root().into(), DOMAIN_RANDAO)
    }

    async fn get(&self, path: &str, ssz: bool) -> Reply {
        let mut request = self.http.get(format!("{}{path}", self.url));
        if ssz {
            request = request.header("Accept", "application/octet-stream");
        }
        let response = request.send().await.unwrap();
        Reply {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            bytes: response.bytes().await.unwrap().to_vec(),
        }
    }

    async fn post(&self, path: &str, body: Vec<u8>, ssz: bool, version: Option<&str>) -> Reply {
        let content_type = if ssz {
            "application/octet-stream"
        } else {
            "application/json"
        };
        let mut request = self
            .http
            .post(format!("{}{path}", self.url))
            .header("Content-Type", content_type)
            .body(body);
        if let Some(version) = version {
            request = request.header("Eth-Consensus-Version", version);
        }
        let response = request.send().await.unwrap();
        Reply {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            bytes: response.bytes().await.unwrap().to_vec(),
        }
    }

    async fn post_json(&self, path: &str, body: &Value) -> Reply {
        self.post(
            path,
            serde_json::to_vec(body).unwrap(),
            false,
            Some(self.fork.as_str()),
        )
        .await
    }

    fn head(&self) -> Root {
        self.sim.with_chain(|c| c.head().root)
    }

    /// The first slot from 2 on whose proposer is explicit and whose next slot's is a filler.
    fn proposal_slot(&self) -> u64 {
        self.sim.with_chain(|c| {
            (2..64)
                .find(|s| c.proposer(*s) < EXPLICIT && c.proposer(s + 1) >= EXPLICIT)
                .expect("seed 11 gives an explicit proposal in 64 slots")
        })
    }

    fn produce_path(&self, version: &str, slot: u64, extra: &str) -> String {
        let kind = if version == "v1" {
            "blinded_blocks"
        } else {
            "blocks"
        };
        format!(
            "/eth/{version}/validator/{kind}/{slot}?randao_reveal={}{extra}",
            self.randao(slot)
        )
    }

    /// Signs a produced block (`data` of a production response) into what publication takes.
    fn signed(&self, data: &Value, blinded: bool, signer: Option<u64>) -> Value {
        let produced =
            ProducedBlock::<Minimal>::from_json_at(data.clone(), self.fork, blinded).unwrap();
        let message = block_of(data, self.fork, blinded);
        let proposer = signer.unwrap_or_else(|| u(&message["proposer_index"]));
        let signature = self.sign(proposer, produced.block_root(), DOMAIN_BEACON_PROPOSER);
        signed_json(data, self.fork, blinded, signature)
    }
}

fn u(value: &Value) -> u64 {
    value.as_str().unwrap().parse().unwrap()
}

/// The block inside a production's `data` (block contents wrap it from deneb on).
fn block_of(data: &Value, fork: ForkName, blinded: bool) -> Value {
    if !blinded && fork >= ForkName::Deneb {
        data["block"].clone()
    } else {
        data.clone()
    }
}

fn signed_json(data: &Value, fork: ForkName, blinded: bool, signature: BlsSignature) -> Value {
    if !blinded && fork >= ForkName::Deneb {
        json!({
            "signed_block": {"message": data["block"], "signature": signature},
            "kzg_proofs": data["kzg_proofs"],
            "blobs": data["blobs"],
        })
    } else {
        json!({"message": data, "signature": signature})
    }
}

fn to_ssz(signed: &Value, fork: ForkName, blinded: bool) -> Vec<u8> {
    PublishedBlock::<Minimal>::from_json_at(signed.clone(), fork, blinded)
        .unwrap()
        .to_ssz()
}

fn root_of(data: &Value, fork: ForkName, blinded: bool) -> Root {
    ProducedBlock::<Minimal>::from_json_at(data.clone(), fork, blinded)
        .unwrap()
        .block_root()
}

#[tokio::test]
async fn production_and_publication_for_every_fork_in_json_and_ssz() {
    for fork in SERVED {
        let h = start(fork).await;
        let slot = h.proposal_slot();
        h.at_slot(slot, 100);
        let proposer = h.sim.with_chain(|c| c.proposer(slot));
        let head = h.head();

        let v3 = h.get(&h.produce_path("v3", slot, ""), false).await;
        assert_eq!(v3.status, 200, "{fork}: {}", v3.message());
        assert_eq!(v3.header("eth-consensus-version"), fork.as_str());
        assert_eq!(v3.header("eth-execution-payload-blinded"), "false");
        assert_eq!(
            v3.header("eth-execution-payload-value"),
            "10000000000000000"
        );
        assert!(!v3.header("eth-consensus-block-value").is_empty());
        let body = v3.json();
        assert_eq!(body["version"], fork.as_str());
        assert_eq!(body["execution_payload_blinded"], false);
        assert_eq!(body["execution_payload_value"], "10000000000000000");
        let data = body["data"].clone();
        let block = block_of(&data, fork, false);
        assert_eq!(u(&block["slot"]), slot);
        assert_eq!(u(&block["proposer_index"]), proposer);
        assert_eq!(block["parent_root"], json!(head));
        let payload = &block["body"]["execution_payload"];
        assert_eq!(u(&payload["timestamp"]), GENESIS + slot);
        let parent_execution = h.sim.with_chain(|c| c.head().execution);
        assert_eq!(payload["parent_hash"], json!(parent_execution.block_hash));
        assert_eq!(
            u(&payload["block_number"]),
            parent_execution.block_number + 1
        );
        if fork >= ForkName::Deneb {
            assert_eq!(data["blobs"], json!([]));
            assert_eq!(block["body"]["blob_kzg_commitments"], json!([]));
        }
        let from_json = ProducedBlock::<Minimal>::from_json_at(data.clone(), fork, false).unwrap();

        let v3_ssz = h.get(&h.produce_path("v3", slot, ""), true).await;
        assert_eq!(v3_ssz.status, 200);
        assert_eq!(v3_ssz.header("content-type"), "application/octet-stream");
        assert_eq!(v3_ssz.header("eth-execution-payload-blinded"), "false");
        let from_ssz = ProducedBlock::<Minimal>::from_ssz_at(&v3_ssz.bytes, fork, false).unwrap();
        assert_eq!(from_ssz, from_json, "{fork}: SSZ and JSON agree");

        let v2 = h.get(&h.produce_path("v2", slot, ""), false).await;
        assert_eq!(v2.status, 200);
        assert_eq!(v2.header("eth-consensus-version"), fork.as_str());
        assert_eq!(v2.json()["data"], data, "{fork}: v2 is v3's full block");
        let v2_ssz = h.get(&h.produce_path("v2", slot, ""), true).await;
        assert_eq!(v2_ssz.bytes, v3_ssz.bytes);

        let blinded = h.get(&h.produce_path("v1", slot, ""), false).await;
        assert_eq!(blinded.status, 200, "{}", blinded.message());
        assert_eq!(blinded.json()["version"], fork.as_str());
        let blinded_data = blinded.json()["data"].clone();
        assert!(blinded_data["body"]["execution_payload_header"].is_object());
        // The header's root is the payload's: the blinded block has the full block's root.
        assert_eq!(
            root_of(&blinded_data, fork, true),
            from_json.block_root(),
            "{fork}"
        );
        let blinded_ssz = h.get(&h.produce_path("v1", slot, ""), true).await;
        assert_eq!(
            ProducedBlock::<Minimal>::from_ssz_at(&blinded_ssz.bytes, fork, true)
                .unwrap()
                .block_root(),
            from_json.block_root()
        );

        // Publish: JSON through v2 for the first two forks, SSZ for the others.
        let signed = h.signed(&data, false, None);
        let reply = if fork <= ForkName::Deneb {
            h.post_json("/eth/v2/beacon/blocks?broadcast_validation=gossip", &signed)
                .await
        } else {
            h.post(
                "/eth/v2/beacon/blocks",
                to_ssz(&signed, fork, false),
                true,
                Some(fork.as_str()),
            )
            .await
        };
        assert_eq!(reply.status, 200, "{fork}: {}", reply.message());
        assert_eq!(h.head(), from_json.block_root(), "{fork}: head advanced");
        let header = h.get("/eth/v1/beacon/headers/head", false).await.json();
        assert_eq!(header["data"]["root"], json!(from_json.block_root()));
        let summary = h.sim.summary_json();
        assert_eq!(summary["proposal"]["received"], 1, "{fork}");
        assert_eq!(summary["proposal"]["included"], 1, "{fork}");
        assert_eq!(summary["slashable"]["double_proposals"], json!([]));
        // The next block builds on it, payload chain included.
        h.at_slot(slot + 1, 10);
        let next = h.sim.with_chain(|c| c.head());
        assert_eq!(next.header.parent_root, from_json.block_root());
        assert_eq!(
            next.execution.block_number,
            parent_execution.block_number + 2
        );
    }
}

#[tokio::test]
async fn production_checks_the_randao_reveal() {
    let h = start(ForkName::Fulu).await;
    let slot = h.proposal_slot();
    h.at_slot(slot, 100);
    let proposer = h.sim.with_chain(|c| c.proposer(slot));
    let other_epoch = h.sign(proposer, 99u64.tree_hash_root().into(), DOMAIN_RANDAO);
    let reply = h
        .get(
            &format!("/eth/v3/validator/blocks/{slot}?randao_reveal={other_epoch}"),
            false,
        )
        .await;
    assert_eq!(reply.status, 400);
    assert!(
        reply.message().contains("randao_reveal"),
        "{}",
        reply.message()
    );
    let other_key = h.sign(
        (proposer + 1) % EXPLICIT,
        (slot / 8).tree_hash_root().into(),
        DOMAIN_RANDAO,
    );
    let reply = h
        .get(
            &format!("/eth/v3/validator/blocks/{slot}?randao_reveal={other_key}"),
            false,
        )
        .await;
    assert_eq!(reply.status, 400);
    // skip_randao_verification takes only the point at infinity.
    let infinity = format!("0xc0{}", "00".repeat(95));
    let reply = h
        .get(
            &format!(
                "/eth/v3/validator/blocks/{slot}?randao_reveal={}&skip_randao_verification",
                h.randao(slot)
            ),
            false,
        )
        .await;
    assert_eq!(reply.status, 400);
    assert!(reply.message().contains("infinity"));
    let reply = h
        .get(
            &format!(
                "/eth/v3/validator/blocks/{slot}?randao_reveal={infinity}&skip_randao_verification"
            ),
            false,
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.message());
    // A block with that reveal cannot be published: the reveal is no signature.
    let signed = h.signed(&reply.json()["data"], false, None);
    let published = h.post_json("/eth/v2/beacon/blocks", &signed).await;
    assert_eq!(published.status, 400);
    assert!(published.message().contains("randao_reveal"));
    // Future slots and slots not after the head are refused.
    let reply = h.get(&h.produce_path("v3", slot + 2, ""), false).await;
    assert_eq!(reply.status, 400);
    let head_slot = h.sim.with_chain(|c| c.head().header.slot);
    let reply = h.get(&h.produce_path("v3", head_slot, ""), false).await;
    assert_eq!(reply.status, 400);
    let reply = h.get(&h.produce_path("v3", slot + 1, ""), false).await;
    assert_eq!(reply.status, 200, "the next slot may be produced early");
}

#[tokio::test]
async fn publication_rejects_bad_blocks_and_detects_double_proposals() {
    let h = start(ForkName::Fulu).await;
    let slot = h.proposal_slot();
    h.at_slot(slot, 150);
    let proposer = h.sim.with_chain(|c| c.proposer(slot));
    let data = h.get(&h.produce_path("v3", slot, ""), false).await.json()["data"].clone();
    let graffiti = format!("0x{}", "01".repeat(32));
    let other = h
        .get(
            &h.produce_path("v3", slot, &format!("&graffiti={graffiti}")),
            false,
        )
        .await
        .json()["data"]
        .clone();
    assert_eq!(other["block"]["body"]["graffiti"], graffiti);
    let path = "/eth/v2/beacon/blocks";

    // Signature over another root.
    let mut bad = h.signed(&data, false, None);
    bad["signed_block"]["signature"] =
        json!(h.sign(proposer, Root([5; 32]), DOMAIN_BEACON_PROPOSER));
    let reply = h.post_json(path, &bad).await;
    assert_eq!(reply.status, 400);
    assert!(
        reply.message().contains("invalid block signature"),
        "{}",
        reply.message()
    );

    // Another validator as proposer, signing its own block.
    let mut wrong = data.clone();
    let impostor = (proposer + 1) % EXPLICIT;
    wrong["block"]["proposer_index"] = json!(impostor.to_string());
    let reply = h
        .post_json(path, &h.signed(&wrong, false, Some(impostor)))
        .await;
    assert_eq!(reply.status, 400);
    assert!(
        reply.message().contains("is not the proposer"),
        "{}",
        reply.message()
    );

    // Unknown parent.
    let mut orphan = data.clone();
    orphan["block"]["parent_root"] = json!(Root([9; 32]));
    let reply = h.post_json(path, &h.signed(&orphan, false, None)).await;
    assert_eq!(reply.status, 400);
    assert!(reply.message().contains("not a known block"));

    // A payload this node did not produce.
    let mut foreign = data.clone();
    foreign["block"]["body"]["execution_payload"]["fee_recipient"] =
        json!(ExecutionAddress([3; 20]));
    let reply = h.post_json(path, &h.signed(&foreign, false, None)).await;
    assert_eq!(reply.status, 400);
    assert!(
        reply.message().contains("does not match"),
        "{}",
        reply.message()
    );

    // A slot past the next one.
    let mut future = data.clone();
    future["block"]["slot"] = json!((slot + 2).to_string());
    let reply = h.post_json(path, &h.signed(&future, false, None)).await;
    assert_eq!(reply.status, 400);
    assert!(
        reply.message().contains("in the future"),
        "{}",
        reply.message()
    );

    // A known parent that is not the one the payload builds on.
    let genesis = h.sim.with_chain(|c| c.genesis_block().root);
    assert_ne!(json!(genesis), data["block"]["parent_root"]);
    let mut other_parent = data.clone();
    other_parent["block"]["parent_root"] = json!(genesis);
    let reply = h
        .post_json(path, &h.signed(&other_parent, false, None))
        .await;
    assert_eq!(reply.status, 400);
    assert!(
        reply.message().contains("parent_hash"),
        "{}",
        reply.message()
    );

    // A KZG proof without a blob.
    let mut proofs = h.signed(&data, false, None);
    proofs["kzg_proofs"] = json!([format!("0x{}", "c0".to_owned() + &"00".repeat(47))]);
    let reply = h.post_json(path, &proofs).await;
    assert_eq!(reply.status, 400);
    assert!(
        reply.message().contains("kzg_proofs"),
        "{}",
        reply.message()
    );

    // v2 needs the fork header, and the chain's fork.
    let good = h.signed(&data, false, None);
    let body = serde_json::to_vec(&good).unwrap();
    let reply = h.post(path, body.clone(), false, None).await;
    assert_eq!(reply.status, 400);
    let reply = h.post(path, body.clone(), false, Some("electra")).await;
    assert_eq!(reply.status, 400);
    let reply = h
        .post(
            &format!("{path}?broadcast_validation=everything"),
            body.clone(),
            false,
            Some("fulu"),
        )
        .await;
    assert_eq!(reply.status, 400);
    assert_eq!(h.sim.summary_json()["proposal"]["received"], 0);

    // One step inside every rule: the good block, through v1 without the header.
    let reply = h
        .post("/eth/v1/beacon/blocks", body.clone(), false, None)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.message());
    assert_eq!(h.head(), root_of(&data, ForkName::Fulu, false));
    // The same block again is fine.
    let reply = h.post(path, body, false, Some("fulu")).await;
    assert_eq!(reply.status, 200);
    assert_eq!(h.sim.double_proposals(), vec![]);

    // A second, different, validly signed block for the slot: slashable.
    let second = h.signed(&other, false, None);
    let reply = h
        .post_json(
            "/eth/v2/beacon/blocks?broadcast_validation=consensus_and_equivocation",
            &second,
        )
        .await;
    assert_eq!(reply.status, 400);
    assert!(reply.message().contains("equivocation"));
    let reply = h.post_json(path, &second).await;
    assert_eq!(reply.status, 202, "broadcast but not imported");
    let offences = h.sim.double_proposals();
    assert_eq!(offences.len(), 1);
    assert_eq!(offences[0].slot, slot);
    assert_eq!(offences[0].proposer_index, proposer);
    assert_eq!(
        offences[0].second_root,
        root_of(&other, ForkName::Fulu, false)
    );
    let summary = h.sim.summary_json();
    assert_eq!(
        summary["slashable"]["double_proposals"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let slashable = h.get("/mosaic/simnet/slashable", false).await.json();
    assert_eq!(slashable["double_proposals"][0]["slot"], slot);
    assert_eq!(summary["proposal"]["included"], 1);
    assert_eq!(h.head(), root_of(&data, ForkName::Fulu, false));
}

#[tokio::test]
async fn late_block_is_broadcast_but_not_imported() {
    let h = start(ForkName::Electra).await;
    let slot = h.proposal_slot();
    h.at_slot(slot, 100);
    let data = h.get(&h.produce_path("v2", slot, ""), false).await.json()["data"].clone();
    // The next slot's (filler) proposer builds on the parent before the block arrives.
    h.at_slot(slot + 1, 500);
    let reply = h
        .post_json("/eth/v2/beacon/blocks", &h.signed(&data, false, None))
        .await;
    assert_eq!(reply.status, 202, "{}", reply.message());
    assert!(reply.message().contains("not imported"));
    let summary = h.sim.summary_json();
    assert_eq!(summary["proposal"]["received"], 1);
    assert_eq!(summary["proposal"]["included"], 0);
    assert_eq!(summary["proposal"]["max_arrival_ms"], 1500);
}

#[tokio::test]
async fn blinded_blocks_round_trip_through_the_builder() {
    for fork in [ForkName::Capella, ForkName::Fulu] {
        let h = start(fork).await;
        let slot = h.proposal_slot();
        h.at_slot(slot, 100);
        let proposer = h.sim.with_chain(|c| c.proposer(slot));
        let registration = ValidatorRegistrationV1 {
            fee_recipient: ExecutionAddress([7; 20]),
            gas_limit: 36_000_000,
            timestamp: GENESIS,
            pubkey: BlsPubkey(h.key(proposer).public_key().to_bytes()),
        };
        let genesis_version = h.sim.with_chain(|c| c.network().genesis_fork_version);
        let signing_root =
            compute_signing_root(registration.root(), builder_domain(genesis_version));
        let signature = BlsSignature(h.key(proposer).sign(&signing_root.0).to_bytes());
        let reply = h
            .post_json(
                "/eth/v1/validator/register_validator",
                &json!([{"message": registration, "signature": signature}]),
            )
            .await;
        assert_eq!(reply.status, 200);

        // No builder connected: full blocks, whatever the boost.
        let reply = h.get(&h.produce_path("v3", slot, ""), false).await;
        assert_eq!(reply.header("eth-execution-payload-blinded"), "false");
        h.sim.set_scenario(Scenario {
            builder: true,
            ..Scenario::default()
        });
        for (boost, blinded) in [
            ("", true),
            ("&builder_boost_factor=100", true),
            ("&builder_boost_factor=90", false),
            ("&builder_boost_factor=0", false),
        ] {
            let reply = h.get(&h.produce_path("v3", slot, boost), false).await;
            assert_eq!(reply.status, 200);
            assert_eq!(
                reply.json()["execution_payload_blinded"],
                blinded,
                "{fork} boost {boost:?}"
            );
            assert_eq!(
                reply.header("eth-execution-payload-blinded"),
                blinded.to_string()
            );
        }
        let reply = h.get(&h.produce_path("v3", slot, ""), false).await;
        assert_eq!(
            reply.header("eth-execution-payload-value"),
            "11000000000000000"
        );
        let data = reply.json()["data"].clone();
        let header = &data["body"]["execution_payload_header"];
        assert_eq!(header["fee_recipient"], json!(ExecutionAddress([7; 20])));
        assert_eq!(header["gas_limit"], "36000000");
        let ssz = h.get(&h.produce_path("v3", slot, ""), true).await;
        assert_eq!(ssz.header("eth-execution-payload-blinded"), "true");
        assert_eq!(
            ProducedBlock::<Minimal>::from_ssz_at(&ssz.bytes, fork, true).unwrap(),
            ProducedBlock::<Minimal>::from_json_at(data.clone(), fork, true).unwrap()
        );

        // A header the builder did not bid is refused.
        let mut tampered = data.clone();
        tampered["body"]["execution_payload_header"]["gas_limit"] = json!("1");
        let reply = h
            .post_json(
                "/eth/v2/beacon/blinded_blocks",
                &h.signed(&tampered, true, None),
            )
            .await;
        assert_eq!(reply.status, 400);
        assert!(
            reply.message().contains("execution payload header"),
            "{}",
            reply.message()
        );
        // A blinded block through the full-block endpoint does not decode.
        let reply = h
            .post_json("/eth/v2/beacon/blocks", &h.signed(&data, true, None))
            .await;
        assert_eq!(reply.status, 400);

        // The real one, as SSZ through v1: unblinded and imported.
        let signed = h.signed(&data, true, None);
        let reply = h
            .post(
                "/eth/v1/beacon/blinded_blocks",
                to_ssz(&signed, fork, true),
                true,
                None,
            )
            .await;
        assert_eq!(reply.status, 200, "{fork}: {}", reply.message());
        assert_eq!(h.head(), root_of(&data, fork, true));
        let execution = h.sim.with_chain(|c| c.head().execution);
        assert_eq!(
            json!(execution.block_hash),
            data["body"]["execution_payload_header"]["block_hash"]
        );
        assert_eq!(h.sim.summary_json()["proposal"]["included"], 1);
    }
}

#[tokio::test]
async fn blocks_carry_pool_attestations_and_the_sync_aggregate() {
    for fork in [ForkName::Deneb, ForkName::Fulu] {
        let h = start(fork).await;
        let slot = h.proposal_slot();
        let previous = slot - 1;
        h.at_slot(previous, 300);
        let (duties, data, members, head) = h.sim.with_chain(|c| {
            let duties = c.epoch_duties(c.epoch_of(previous));
            let data: Vec<_> = (0..duties.committees_per_slot)
                .map(|i| c.attestation_data(previous, i))
                .collect();
            let members = c.sync_committee(0).members.clone();
            (duties, data, members, c.head().root)
        });
        let attesters: Vec<_> = duties
            .attesters
            .iter()
            .flatten()
            .filter(|d| d.slot == previous)
            .copied()
            .collect();
        let electra = fork >= ForkName::Electra;
        for (submitted, duty) in attesters.iter().enumerate() {
            let d = data[duty.committee_index as usize];
            let signature = h.sign(
                duty.validator_index,
                d.tree_hash_root().into(),
                DOMAIN_BEACON_ATTESTER,
            );
            let reply = if electra {
                h.post_json(
                    "/eth/v2/beacon/pool/attestations",
                    &json!([{
                        "committee_index": duty.committee_index.to_string(),
                        "attester_index": duty.validator_index.to_string(),
                        "data": d, "signature": signature,
                    }]),
                )
                .await
            } else {
                // The pre-electra path: a phase0 Attestation with one bit, through v1.
                let bits = mosaic_simnet::containers::Bitlist::with_bits(
                    duty.committee_length as usize,
                    &[duty.validator_committee_index as usize],
                );
                let attestation =
                    json!([{"aggregation_bits": bits.to_hex(), "data": d, "signature": signature}]);
                if submitted == 0 {
                    let mut bad = attestation.clone();
                    bad[0]["signature"] =
                        json!(h.sign(duty.validator_index, Root([1; 32]), DOMAIN_BEACON_ATTESTER));
                    let reply = h.post_json("/eth/v1/beacon/pool/attestations", &bad).await;
                    assert_eq!(reply.status, 400);
                    assert!(reply.message().contains("attestation"));
                }
                h.post_json("/eth/v1/beacon/pool/attestations", &attestation)
                    .await
            };
            assert_eq!(reply.status, 200, "{fork}: {}", reply.message());
        }
        let mut sync_signers = Vec::new();
        for member in members.iter().take(10) {
            let signature = h.sign(*member, head, DOMAIN_SYNC_COMMITTEE);
            let reply = h
                .post_json(
                    "/eth/v1/beacon/pool/sync_committees",
                    &json!([{
                        "slot": previous.to_string(), "beacon_block_root": head,
                        "validator_index": member.to_string(), "signature": signature,
                    }]),
                )
                .await;
            assert_eq!(reply.status, 200);
            sync_signers.push(*member);
        }
        let positions = members.iter().filter(|m| sync_signers.contains(m)).count();

        h.at_slot(slot, 100);
        let reply = h.get(&h.produce_path("v3", slot, ""), false).await;
        assert_eq!(reply.status, 200);
        let consensus_value: u128 = reply.json()["consensus_block_value"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(
            consensus_value,
            (attesters.len() as u128 * 20_000 + positions as u128 * 30_000) * 1_000_000_000
        );
        let data_json = reply.json()["data"].clone();
        let block = ProducedBlock::<Minimal>::from_json_at(data_json.clone(), fork, false).unwrap();
        let body = &data_json["block"]["body"];
        let included = body["attestations"].as_array().unwrap();
        if electra {
            // One attestation for the slot's data, every committee in it.
            assert_eq!(included.len(), 1);
        } else {
            assert_eq!(included.len() as u64, duties.committees_per_slot);
        }
        let total_bits: usize = included
            .iter()
            .map(|a| {
                let bits = mosaic_simnet::containers::Bitlist::from_hex(
                    a["aggregation_bits"].as_str().unwrap(),
                    1 << 16,
                )
                .unwrap();
                bits.set_bits().len()
            })
            .sum();
        assert_eq!(total_bits, attesters.len(), "{fork}");
        let sync_bits = mosaic_simnet::containers::bitvector_from_hex(
            body["sync_aggregate"]["sync_committee_bits"]
                .as_str()
                .unwrap(),
            32,
        )
        .unwrap();
        assert_eq!(sync_bits.len(), positions);
        // The aggregate signature verifies over the parent root for those positions.
        let keys: Vec<_> = sync_bits
            .iter()
            .map(|p| h.key(members[*p]).public_key())
            .collect();
        let signature = mosaic_crypto::bls::Signature::from_hex(
            body["sync_aggregate"]["sync_committee_signature"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
        let key = mosaic_crypto::bls::aggregate_public_keys(&keys).unwrap();
        let message = compute_signing_root(head, h.domain(DOMAIN_SYNC_COMMITTEE));
        assert!(
            signature.verify(&key, &message.0),
            "{fork}: sync aggregate signature"
        );
        // And the block is accepted.
        let reply = h
            .post_json("/eth/v2/beacon/blocks", &h.signed(&data_json, false, None))
            .await;
        assert_eq!(reply.status, 200, "{}", reply.message());
        assert_eq!(h.head(), block.block_root());
    }
}

#[tokio::test]
async fn sync_contributions_are_served_and_verified() {
    let h = start(ForkName::Fulu).await;
    let slot = 5;
    h.at_slot(slot, 200);
    let (members, head) = h
        .sim
        .with_chain(|c| (c.sync_committee(0).subcommittee(1).to_vec(), c.head().root));
    for member in &members[..5] {
        let reply = h
            .post_json(
                "/eth/v1/beacon/pool/sync_committees",
                &json!([{
                    "slot": slot.to_string(), "beacon_block_root": head,
                    "validator_index": member.to_string(),
                    "signature": h.sign(*member, head, DOMAIN_SYNC_COMMITTEE),
                }]),
            )
            .await;
        assert_eq!(reply.status, 200);
    }
    let path = format!(
        "/eth/v1/validator/sync_committee_contribution?slot={slot}&subcommittee_index=1&beacon_block_root={head}"
    );
    let reply = h.get(&path, false).await;
    assert_eq!(reply.status, 200, "{}", reply.message());
    let contribution = reply.json()["data"].clone();
    let bits = mosaic_simnet::containers::bitvector_from_hex(
        contribution["aggregation_bits"].as_str().unwrap(),
        8,
    )
    .unwrap();
    // One bit per subcommittee position held by a member that sent a message.
    let expected: Vec<usize> = (0..members.len())
        .filter(|i| members[..5].contains(&members[*i]))
        .collect();
    assert_eq!(bits, expected);
    let other_root = h
        .get(
            &format!("/eth/v1/validator/sync_committee_contribution?slot={slot}&subcommittee_index=1&beacon_block_root={}", Root([4; 32])),
            false,
        )
        .await;
    assert_eq!(other_root.status, 404);

    let aggregator = members[0];
    let selection = SyncAggregatorSelectionData {
        slot,
        subcommittee_index: 1,
    };
    let selection_proof = h.sign(
        aggregator,
        selection.tree_hash_root().into(),
        DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF,
    );
    let message = json!({
        "aggregator_index": aggregator.to_string(),
        "contribution": contribution,
        "selection_proof": selection_proof,
    });
    // The message root by the consensus containers (independent of the simulator's own).
    let typed: ContributionAndProof<Minimal> = serde_json::from_value(message.clone()).unwrap();
    let good = h.sign(
        aggregator,
        typed.tree_hash_root().into(),
        DOMAIN_CONTRIBUTION_AND_PROOF,
    );
    let bad = h.sign(aggregator, Root([2; 32]), DOMAIN_CONTRIBUTION_AND_PROOF);
    let reply = h
        .post_json(
            "/eth/v1/validator/contribution_and_proofs",
            &json!([{"message": message, "signature": bad}]),
        )
        .await;
    assert_eq!(reply.status, 400);
    assert!(
        reply.message().contains("contribution and proof"),
        "{}",
        reply.message()
    );
    let reply = h
        .post_json(
            "/eth/v1/validator/contribution_and_proofs",
            &json!([{"message": message, "signature": good}]),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.message());
    let summary = h.sim.summary_json();
    assert_eq!(summary["sync_contribution"]["received"], 1);
    assert_eq!(summary["sync_contribution"]["included"], 1);
}

#[tokio::test]
async fn fork_endpoint_names_the_previous_fork() {
    let h = start(ForkName::Fulu).await;
    h.at_slot(2, 0);
    let fork = h.get("/eth/v1/beacon/states/head/fork", false).await.json();
    let schedule = h.get("/eth/v1/config/fork_schedule", false).await.json();
    let last = schedule["data"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(fork["data"]["current_version"], "0x70000539");
    assert_eq!(fork["data"]["previous_version"], "0x60000539");
    assert_eq!(fork["data"]["epoch"], "0");
    assert_eq!(fork["data"], last);
    let h = start(ForkName::Capella).await;
    let fork = h
        .get("/eth/v1/beacon/states/genesis/fork", false)
        .await
        .json();
    // Dev versions: genesis 0x10.., altair 0x20.., bellatrix 0x30.., capella 0x40...
    assert_eq!(fork["data"]["current_version"], "0x40000539");
    assert_eq!(fork["data"]["previous_version"], "0x30000539");
}

/// Reads the SSE stream until `needle` shows up (or fails after 5 s).
async fn read_until(response: &mut reqwest::Response, needle: &str) -> String {
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    while !text.contains(needle) {
        let chunk = tokio::time::timeout_at(deadline, response.chunk())
            .await
            .unwrap_or_else(|_| panic!("no {needle:?} in {text}"))
            .unwrap()
            .unwrap();
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    text
}

#[tokio::test]
async fn published_blocks_and_finality_are_streamed() {
    let h = start(ForkName::Fulu).await;
    let slot = h.proposal_slot();
    h.at_slot(slot, 100);
    let mut events = h
        .http
        .get(format!(
            "{}/eth/v1/events?topics=block,finalized_checkpoint",
            h.url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(events.status().as_u16(), 200);
    let data = h.get(&h.produce_path("v3", slot, ""), false).await.json()["data"].clone();
    let root = root_of(&data, ForkName::Fulu, false);
    let reply = h
        .post_json("/eth/v2/beacon/blocks", &h.signed(&data, false, None))
        .await;
    assert_eq!(reply.status, 200);
    let text = read_until(&mut events, &format!("{root}")).await;
    assert!(text.contains("event: block"), "{text}");
    assert!(text.contains(&format!("\"slot\":\"{slot}\"")), "{text}");
    // Epoch 3 starts: epoch 1 is finalized.
    h.at_slot(24, 0);
    let text = read_until(&mut events, "event: finalized_checkpoint").await;
    let finalized = h.sim.with_chain(|c| c.checkpoint(1));
    assert!(text.contains("\"epoch\":\"1\""), "{text}");
    assert!(
        text.contains(&serde_json::to_string(&finalized.root).unwrap()),
        "{text}"
    );
}

#[tokio::test]
async fn a_payload_moved_to_another_slot_is_refused() {
    let h = start(ForkName::Deneb).await;
    // An explicit proposer with two proposals at most 16 slots (two epochs, the time produced
    // payloads are kept) apart.
    let proposers: Vec<u64> = h
        .sim
        .with_chain(|c| (0..160).map(|s| c.proposer(s)).collect());
    let (first, second) = (1..128)
        .filter(|s| proposers[*s] < EXPLICIT)
        .find_map(|s| {
            (s + 1..=s + 16)
                .find(|t| proposers[*t] == proposers[s])
                .map(|t| (s as u64, t as u64))
        })
        .expect("seed 11 has an explicit proposer twice within 16 slots");
    h.at_slot(first, 100);
    let data = h.get(&h.produce_path("v2", first, ""), false).await.json()["data"].clone();
    h.at_slot(second, 100);
    let mut moved = data.clone();
    moved["block"]["slot"] = json!(second.to_string());
    let reply = h
        .post_json("/eth/v2/beacon/blocks", &h.signed(&moved, false, None))
        .await;
    assert_eq!(reply.status, 400);
    assert!(reply.message().contains("timestamp"), "{}", reply.message());
    // The block produced for the slot itself passes.
    let data = h.get(&h.produce_path("v2", second, ""), false).await.json()["data"].clone();
    let reply = h
        .post_json("/eth/v2/beacon/blocks", &h.signed(&data, false, None))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.message());
}
