//! Every non-block endpoint against a recording server: method, path, query, body and headers
//! sent, and the answer decoded.

mod support;

use mosaic_beacon::{
    BeaconClient, BeaconCommitteeSelection, BeaconCommitteeSubscription, BlockId, ClientConfig,
    Error, NodeHealth, ProposerPreparation, StateId, SyncCommitteeSelection,
    SyncCommitteeSubscription, ValidatorId, ValidatorStatus,
};
use mosaic_types::consensus::altair::{
    ContributionAndProof, SignedContributionAndProof, SyncCommitteeContribution,
    SyncCommitteeMessage,
};
use mosaic_types::consensus::electra::{self, SingleAttestation};
use mosaic_types::consensus::phase0::{
    self, AttestationData, Checkpoint, SignedVoluntaryExit, VoluntaryExit,
};
use mosaic_types::consensus::versioned::{Attestation, SignedAggregateAndProof};
use mosaic_types::consensus::Minimal;
use mosaic_types::{
    BlsPubkey, BlsSignature, ExecutionAddress, ForkName, Root, SignedValidatorRegistrationV1,
    ValidatorRegistrationV1,
};
use serde_json::{json, Value};
use ssz_types::{BitList, BitVector};
use support::{Recorded, Reply, TestServer};

fn hex(byte: &str, len: usize) -> String {
    format!("0x{}", byte.repeat(len))
}

async fn serve(reply: Reply) -> (TestServer, BeaconClient<Minimal>) {
    let server = TestServer::fixed(reply).await;
    let client = BeaconClient::new([&server.url], ClientConfig::default()).expect("client");
    (server, client)
}

fn assert_request(request: &Recorded, method: &str, path: &str, query: Option<&str>) {
    assert_eq!(request.method, method);
    assert_eq!(request.path, path);
    assert_eq!(request.query.as_deref(), query);
}

fn attestation_data() -> AttestationData {
    AttestationData {
        slot: 33,
        index: 0,
        beacon_block_root: Root([1; 32]),
        source: Checkpoint {
            epoch: 3,
            root: Root([2; 32]),
        },
        target: Checkpoint {
            epoch: 4,
            root: Root([3; 32]),
        },
    }
}

fn phase0_attestation() -> phase0::Attestation<Minimal> {
    let mut bits = BitList::with_capacity(4).expect("bits");
    bits.set(2, true).expect("bit");
    phase0::Attestation {
        aggregation_bits: bits,
        data: attestation_data(),
        signature: BlsSignature([9; 96]),
    }
}

#[tokio::test]
async fn node_endpoints() {
    let (server, client) = serve(Reply::data(json!({
        "genesis_time": "1742213400",
        "genesis_validators_root": hex("aa", 32),
        "genesis_fork_version": "0x10000910"
    })))
    .await;
    let genesis = client.genesis().await.expect("genesis");
    assert_eq!(genesis.genesis_time, 1_742_213_400);
    assert_eq!(genesis.genesis_fork_version.0, [0x10, 0, 0x09, 0x10]);
    let request = server.last();
    assert_request(&request, "GET", "/eth/v1/beacon/genesis", None);
    assert_eq!(request.header("accept"), Some("application/json"));

    let (server, client) = serve(Reply::data(json!({
        "SECONDS_PER_SLOT": "12",
        "SLOTS_PER_EPOCH": 32,
        "BLOB_SCHEDULE": [{"EPOCH": "412672", "MAX_BLOBS_PER_BLOCK": "15"}]
    })))
    .await;
    let spec = client.spec().await.expect("spec");
    assert_eq!(spec["SECONDS_PER_SLOT"], "12");
    assert_eq!(spec["SLOTS_PER_EPOCH"], "32");
    assert!(spec["BLOB_SCHEDULE"].contains("412672"));
    assert_request(&server.last(), "GET", "/eth/v1/config/spec", None);

    let (server, client) = serve(Reply::data(json!([
        {"previous_version": "0x00000000", "current_version": "0x00000000", "epoch": "0"},
        {"previous_version": "0x00000000", "current_version": "0x01000000", "epoch": "74240"}
    ])))
    .await;
    let forks = client.fork_schedule().await.expect("forks");
    assert_eq!(forks[1].epoch, 74240);
    assert_request(&server.last(), "GET", "/eth/v1/config/fork_schedule", None);

    let (server, client) = serve(Reply::data(json!({
        "head_slot": "100", "sync_distance": "2", "is_syncing": false, "is_optimistic": false, "el_offline": false
    })))
    .await;
    let syncing = client.syncing().await.expect("syncing");
    assert_eq!((syncing.head_slot, syncing.sync_distance), (100, 2));
    assert_eq!(syncing.el_offline, Some(false));
    assert_request(&server.last(), "GET", "/eth/v1/node/syncing", None);

    let (server, client) = serve(Reply::data(json!({"version": "Lighthouse/v7.0.0"}))).await;
    assert_eq!(
        client.node_version().await.expect("version"),
        "Lighthouse/v7.0.0"
    );
    assert_request(&server.last(), "GET", "/eth/v1/node/version", None);

    let (server, client) = serve(Reply::data(json!({
        "disconnected": "1", "connecting": "2", "connected": "50", "disconnecting": "0"
    })))
    .await;
    assert_eq!(client.peer_count().await.expect("peers").connected, 50);
    assert_request(&server.last(), "GET", "/eth/v1/node/peer_count", None);
}

#[tokio::test]
async fn health_maps_200_206_503() {
    for (status, health) in [
        (200, NodeHealth::Ready),
        (206, NodeHealth::Syncing),
        (503, NodeHealth::NotReady),
    ] {
        let (server, client) = serve(Reply::status(status, Vec::new())).await;
        assert_eq!(client.health().await.expect("health"), health);
        assert_request(&server.last(), "GET", "/eth/v1/node/health", None);
        let each = client.health_of_each().await;
        assert_eq!(each.len(), 1);
        assert_eq!(each[0].1.as_ref().ok(), Some(&health));
    }
    let (_server, client) = serve(Reply::status(500, Vec::new())).await;
    assert_eq!(client.health().await.expect_err("500").status(), Some(500));
}

fn validator_json(index: u64) -> Value {
    json!({
        "index": index.to_string(), "balance": "32000000000", "status": "active_ongoing",
        "validator": {
            "pubkey": hex("a1", 48), "withdrawal_credentials": hex("01", 32),
            "effective_balance": "32000000000", "slashed": false,
            "activation_eligibility_epoch": "0", "activation_epoch": "0",
            "exit_epoch": "18446744073709551615", "withdrawable_epoch": "18446744073709551615"
        }
    })
}

/// A server without the POST form of the validators query (older beacon nodes): it answers
/// POST with `post_status`, and GET with one validator per `id` asked.
async fn server_without_validators_post(post_status: u16) -> (TestServer, BeaconClient<Minimal>) {
    let server = TestServer::start(move |request| {
        if request.method == "POST" {
            return Reply::error(post_status, "Route POST:/eth/v1/beacon/states/head/validators not found");
        }
        let ids = request.query.as_deref().unwrap_or("").split('&').filter(|p| p.starts_with("id=")).count();
        Reply::json(json!({"execution_optimistic": false, "data": (0..ids).map(|i| validator_json(i as u64)).collect::<Vec<_>>()}))
    })
    .await;
    let client = BeaconClient::new([&server.url], ClientConfig::default()).expect("client");
    (server, client)
}

#[tokio::test]
async fn validators_fall_back_to_get_in_chunks_when_post_is_not_served() {
    for status in [404, 405] {
        let (server, client) = server_without_validators_post(status).await;
        let ids: Vec<ValidatorId> = (0..150).map(ValidatorId::Index).collect();
        let answer = client
            .validators(StateId::Head, &ids, &[])
            .await
            .expect("validators through GET");
        assert_eq!(answer.data.len(), 150, "HTTP {status}");
        let requests = server.requests();
        let methods: Vec<&str> = requests.iter().map(|r| r.method.as_str()).collect();
        assert_eq!(methods, ["POST", "GET", "GET", "GET"], "HTTP {status}");
        // At most 64 ids (the API's maxItems) per GET, each id once, in order.
        let asked: Vec<String> = requests[1..]
            .iter()
            .flat_map(|r| {
                let query = r.query.clone().unwrap_or_default();
                let ids: Vec<String> = query
                    .split('&')
                    .map(|p| p.trim_start_matches("id=").to_owned())
                    .collect();
                assert!(ids.len() <= 64, "{query}");
                ids
            })
            .collect();
        let expected: Vec<String> = (0..150).map(|i: u64| i.to_string()).collect();
        assert_eq!(asked, expected);
    }
}

#[tokio::test]
async fn validators_do_not_fall_back_on_other_errors() {
    let (server, client) = server_without_validators_post(500).await;
    let error = client
        .validators(StateId::Head, &[ValidatorId::Index(1)], &[])
        .await
        .expect_err("a 500 is an error, not a missing route");
    assert_eq!(error.status(), Some(500));
    assert!(server.requests().iter().all(|r| r.method == "POST"));
}

#[tokio::test]
async fn state_endpoints() {
    let answer =
        json!({"execution_optimistic": false, "finalized": true, "data": [validator_json(5)]});
    let (server, client) = serve(Reply::json(answer)).await;
    let pubkey = BlsPubkey([0xa1; 48]);
    let ids = [ValidatorId::Index(5), ValidatorId::Pubkey(pubkey)];
    let validators = client
        .validators(StateId::Head, &ids, &[ValidatorStatus::ActiveOngoing])
        .await
        .expect("validators");
    assert!(validators.finalized);
    assert_eq!(validators.data[0].index, 5);
    assert_eq!(validators.data[0].validator.exit_epoch, u64::MAX);
    let request = server.last();
    assert_request(
        &request,
        "POST",
        "/eth/v1/beacon/states/head/validators",
        None,
    );
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(
        request.json(),
        json!({"ids": ["5", pubkey.to_hex()], "statuses": ["active_ongoing"]})
    );
    // Empty filters are left out.
    client
        .validators(StateId::Finalized, &[], &[])
        .await
        .expect("all");
    assert_eq!(server.last().json(), json!({}));

    client
        .validators_get(
            StateId::Slot(64),
            &ids,
            &[ValidatorStatus::Active, ValidatorStatus::Pending],
        )
        .await
        .expect("validators GET");
    let query = format!("id=5&id={}&status=active&status=pending", pubkey.to_hex());
    assert_request(
        &server.last(),
        "GET",
        "/eth/v1/beacon/states/64/validators",
        Some(&query),
    );
    client
        .validators_get(StateId::Genesis, &[], &[])
        .await
        .expect("all");
    assert_request(
        &server.last(),
        "GET",
        "/eth/v1/beacon/states/genesis/validators",
        None,
    );

    let (server, client) = serve(Reply::json(json!({"execution_optimistic": true, "data": {
        "previous_version": "0x04000000", "current_version": "0x05000000", "epoch": "364032"
    }})))
    .await;
    let fork = client.state_fork(StateId::Head).await.expect("fork");
    assert!(fork.execution_optimistic && !fork.finalized);
    assert_eq!(fork.data.current_version.0, [5, 0, 0, 0]);
    assert_request(
        &server.last(),
        "GET",
        "/eth/v1/beacon/states/head/fork",
        None,
    );

    let checkpoint = |epoch: u32| json!({"epoch": epoch.to_string(), "root": hex("0c", 32)});
    let (server, client) = serve(Reply::data(json!({
        "previous_justified": checkpoint(8), "current_justified": checkpoint(9), "finalized": checkpoint(7)
    })))
    .await;
    let state_root = Root([0x5e; 32]);
    let finality = client
        .finality_checkpoints(StateId::Root(state_root))
        .await
        .expect("finality");
    assert_eq!(finality.data.finalized.epoch, 7);
    let path = format!(
        "/eth/v1/beacon/states/{}/finality_checkpoints",
        state_root.to_hex()
    );
    assert_request(&server.last(), "GET", &path, None);

    let (server, client) = serve(Reply::json(json!({"finalized": false, "data": {
        "root": hex("77", 32), "canonical": true, "header": {
            "message": {"slot": "9", "proposer_index": "3", "parent_root": hex("01", 32),
                        "state_root": hex("02", 32), "body_root": hex("03", 32)},
            "signature": hex("04", 96)
        }
    }})))
    .await;
    let header = client.block_header(BlockId::Head).await.expect("header");
    assert_eq!(header.data.header.message.proposer_index, 3);
    assert!(header.data.canonical);
    assert_request(&server.last(), "GET", "/eth/v1/beacon/headers/head", None);

    let (server, client) = serve(Reply::json(
        json!({"execution_optimistic": false, "finalized": false, "data": {"root": hex("ab", 32)}}),
    ))
    .await;
    let root = client.block_root(BlockId::Slot(12)).await.expect("root");
    assert_eq!(root.data, Root([0xab; 32]));
    assert_request(&server.last(), "GET", "/eth/v1/beacon/blocks/12/root", None);
}

#[tokio::test]
async fn duties_and_liveness() {
    let duty = json!({"pubkey": hex("a1", 48), "validator_index": "7", "committee_index": "2",
        "committee_length": "128", "committees_at_slot": "4", "validator_committee_index": "5", "slot": "321"});
    let (server, client) = serve(Reply::json(json!({
        "dependent_root": hex("de", 32), "execution_optimistic": false, "data": [duty]
    })))
    .await;
    let duties = client.attester_duties(10, &[7, 8]).await.expect("duties");
    assert_eq!(duties.dependent_root, Root([0xde; 32]));
    assert_eq!(duties.data[0].committee_length, 128);
    let request = server.last();
    assert_request(
        &request,
        "POST",
        "/eth/v1/validator/duties/attester/10",
        None,
    );
    assert_eq!(request.body, br#"["7","8"]"#);
    assert_eq!(request.header("content-type"), Some("application/json"));

    // 10,000 validators in one body, all as decimal strings.
    let indices: Vec<u64> = (0..10_000).map(|i| i * 3 + 1_000_000).collect();
    client.attester_duties(11, &indices).await.expect("duties");
    let sent: Vec<String> = serde_json::from_slice(&server.last().body).expect("list of strings");
    assert_eq!(sent.len(), 10_000);
    assert_eq!(sent[9_999], "1029997");
    client
        .attester_duties(12, &[])
        .await
        .expect("no validators");
    assert_eq!(server.last().body, b"[]");

    let (server, client) = serve(Reply::json(json!({
        "dependent_root": hex("df", 32), "execution_optimistic": true,
        "data": [{"pubkey": hex("a2", 48), "validator_index": "9", "slot": "64"}]
    })))
    .await;
    let proposers = client.proposer_duties(2).await.expect("proposers");
    assert!(proposers.execution_optimistic);
    assert_eq!(proposers.data[0].slot, 64);
    assert_request(
        &server.last(),
        "GET",
        "/eth/v1/validator/duties/proposer/2",
        None,
    );

    let (server, client) = serve(Reply::json(json!({"execution_optimistic": false, "data": [
        {"pubkey": hex("a3", 48), "validator_index": "4", "validator_sync_committee_indices": ["1", "17"]}
    ]})))
    .await;
    let sync = client.sync_duties(256, &[4]).await.expect("sync duties");
    assert_eq!(sync.data[0].validator_sync_committee_indices, vec![1, 17]);
    let request = server.last();
    assert_request(&request, "POST", "/eth/v1/validator/duties/sync/256", None);
    assert_eq!(request.body, br#"["4"]"#);

    let (server, client) = serve(Reply::data(
        json!([{"index": "4", "is_live": true}, {"index": "5", "is_live": false}]),
    ))
    .await;
    let live = client.liveness(3, &[4, 5]).await.expect("liveness");
    assert!(live[0].is_live && !live[1].is_live);
    let request = server.last();
    assert_request(&request, "POST", "/eth/v1/validator/liveness/3", None);
    assert_eq!(request.body, br#"["4","5"]"#);
}

#[tokio::test]
async fn attestation_data_and_aggregates() {
    let data = attestation_data();
    let (server, client) = serve(Reply::data(serde_json::to_value(data).expect("json"))).await;
    assert_eq!(client.attestation_data(33, 2).await.expect("data"), data);
    assert_request(
        &server.last(),
        "GET",
        "/eth/v1/validator/attestation_data",
        Some("slot=33&committee_index=2"),
    );

    let attestation = phase0_attestation();
    let (server, client) = serve(Reply::data(
        serde_json::to_value(&attestation).expect("json"),
    ))
    .await;
    let root = Root([0x44; 32]);
    assert_eq!(
        client
            .aggregate_attestation_v1(33, root)
            .await
            .expect("agg"),
        attestation
    );
    let query = format!("attestation_data_root={}&slot=33", root.to_hex());
    assert_request(
        &server.last(),
        "GET",
        "/eth/v1/validator/aggregate_attestation",
        Some(&query),
    );

    let mut committee_bits = BitVector::new();
    committee_bits.set(1, true).expect("bit");
    let electra_attestation = electra::Attestation::<Minimal> {
        aggregation_bits: BitList::with_capacity(8).expect("bits"),
        data,
        signature: BlsSignature([7; 96]),
        committee_bits,
    };
    let (server, client) = serve(Reply::json(json!({
        "version": "electra", "data": serde_json::to_value(&electra_attestation).expect("json")
    })))
    .await;
    let aggregate = client
        .aggregate_attestation(33, root, 1)
        .await
        .expect("agg v2");
    assert_eq!(aggregate, Attestation::Electra(electra_attestation));
    let query = format!(
        "attestation_data_root={}&slot=33&committee_index=1",
        root.to_hex()
    );
    assert_request(
        &server.last(),
        "GET",
        "/eth/v2/validator/aggregate_attestation",
        Some(&query),
    );
}

#[tokio::test]
async fn attestation_submissions() {
    let (server, client) = serve(Reply::ok()).await;
    let attestation = phase0_attestation();
    client
        .submit_attestations_v1(std::slice::from_ref(&attestation))
        .await
        .expect("v1");
    let request = server.last();
    assert_request(&request, "POST", "/eth/v1/beacon/pool/attestations", None);
    assert_eq!(
        request.json(),
        json!([serde_json::to_value(&attestation).expect("json")])
    );

    client
        .submit_attestations(ForkName::Deneb, std::slice::from_ref(&attestation))
        .await
        .expect("v2 deneb");
    let request = server.last();
    assert_request(&request, "POST", "/eth/v2/beacon/pool/attestations", None);
    assert_eq!(request.header("eth-consensus-version"), Some("deneb"));
    assert_eq!(request.json()[0]["aggregation_bits"], "0x14");

    let single = SingleAttestation {
        committee_index: 3,
        attester_index: 99,
        data: attestation_data(),
        signature: BlsSignature([5; 96]),
    };
    client
        .submit_single_attestations(ForkName::Fulu, &[single])
        .await
        .expect("v2 fulu");
    let request = server.last();
    assert_eq!(request.header("eth-consensus-version"), Some("fulu"));
    assert_eq!(request.json()[0]["attester_index"], "99");
    assert_eq!(request.json()[0]["committee_index"], "3");

    // Wrong container for the fork: refused before anything is sent.
    let sent = server.count();
    let error = client
        .submit_attestations(ForkName::Electra, &[attestation])
        .await
        .expect_err("electra needs single attestations");
    assert!(matches!(error, Error::InvalidRequest { .. }), "{error:?}");
    assert!(client
        .submit_single_attestations(ForkName::Deneb, &[single])
        .await
        .is_err());
    assert_eq!(server.count(), sent);
}

#[tokio::test]
async fn aggregate_and_proof_submissions() {
    let (server, client) = serve(Reply::ok()).await;
    let phase0_aggregate = phase0::SignedAggregateAndProof {
        message: phase0::AggregateAndProof {
            aggregator_index: 12,
            aggregate: phase0_attestation(),
            selection_proof: BlsSignature([1; 96]),
        },
        signature: BlsSignature([2; 96]),
    };
    client
        .submit_aggregate_and_proofs_v1(std::slice::from_ref(&phase0_aggregate))
        .await
        .expect("v1");
    let request = server.last();
    assert_request(
        &request,
        "POST",
        "/eth/v1/validator/aggregate_and_proofs",
        None,
    );
    assert_eq!(request.json()[0]["message"]["aggregator_index"], "12");

    let capella = SignedAggregateAndProof::Capella(phase0_aggregate.clone());
    client
        .submit_aggregate_and_proofs(std::slice::from_ref(&capella))
        .await
        .expect("v2");
    let request = server.last();
    assert_request(
        &request,
        "POST",
        "/eth/v2/validator/aggregate_and_proofs",
        None,
    );
    assert_eq!(request.header("eth-consensus-version"), Some("capella"));
    assert_eq!(
        request.json(),
        json!([serde_json::to_value(&phase0_aggregate).expect("json")])
    );

    let sent = server.count();
    let mixed = [capella, SignedAggregateAndProof::Deneb(phase0_aggregate)];
    assert!(matches!(
        client.submit_aggregate_and_proofs(&mixed).await,
        Err(Error::InvalidRequest { .. })
    ));
    client
        .submit_aggregate_and_proofs(&[])
        .await
        .expect("nothing to send");
    assert_eq!(server.count(), sent);
}

#[tokio::test]
async fn sync_committee_endpoints() {
    let contribution = SyncCommitteeContribution::<Minimal> {
        slot: 40,
        beacon_block_root: Root([6; 32]),
        subcommittee_index: 2,
        aggregation_bits: BitVector::new(),
        signature: BlsSignature([3; 96]),
    };
    let (server, client) = serve(Reply::data(
        serde_json::to_value(&contribution).expect("json"),
    ))
    .await;
    let got = client
        .sync_committee_contribution(40, 2, Root([6; 32]))
        .await
        .expect("contribution");
    assert_eq!(got, contribution);
    let query = format!(
        "slot=40&subcommittee_index=2&beacon_block_root={}",
        Root([6; 32]).to_hex()
    );
    assert_request(
        &server.last(),
        "GET",
        "/eth/v1/validator/sync_committee_contribution",
        Some(&query),
    );

    let (server, client) = serve(Reply::ok()).await;
    let message = SyncCommitteeMessage {
        slot: 40,
        beacon_block_root: Root([6; 32]),
        validator_index: 8,
        signature: BlsSignature([4; 96]),
    };
    client
        .submit_sync_committee_messages(&[message])
        .await
        .expect("messages");
    let request = server.last();
    assert_request(
        &request,
        "POST",
        "/eth/v1/beacon/pool/sync_committees",
        None,
    );
    assert_eq!(request.json()[0]["validator_index"], "8");

    let signed = SignedContributionAndProof {
        message: ContributionAndProof {
            aggregator_index: 8,
            contribution,
            selection_proof: BlsSignature([5; 96]),
        },
        signature: BlsSignature([6; 96]),
    };
    client
        .submit_contribution_and_proofs(&[signed])
        .await
        .expect("contributions");
    let request = server.last();
    assert_request(
        &request,
        "POST",
        "/eth/v1/validator/contribution_and_proofs",
        None,
    );
    assert_eq!(
        request.json()[0]["message"]["contribution"]["subcommittee_index"],
        "2"
    );
    assert_eq!(
        request.json()[0]["message"]["contribution"]["aggregation_bits"],
        "0x00"
    );
}

#[tokio::test]
async fn subscriptions_preparations_registrations_exits() {
    let (server, client) = serve(Reply::ok()).await;
    client
        .subscribe_beacon_committees(&[BeaconCommitteeSubscription {
            validator_index: 1,
            committee_index: 2,
            committees_at_slot: 3,
            slot: 4,
            is_aggregator: true,
        }])
        .await
        .expect("beacon committee subscriptions");
    let request = server.last();
    assert_request(
        &request,
        "POST",
        "/eth/v1/validator/beacon_committee_subscriptions",
        None,
    );
    assert_eq!(
        request.json(),
        json!([{"validator_index": "1", "committee_index": "2", "committees_at_slot": "3", "slot": "4", "is_aggregator": true}])
    );

    client
        .subscribe_sync_committees(&[SyncCommitteeSubscription {
            validator_index: 1,
            sync_committee_indices: vec![0, 9],
            until_epoch: 512,
        }])
        .await
        .expect("sync committee subscriptions");
    let request = server.last();
    assert_request(
        &request,
        "POST",
        "/eth/v1/validator/sync_committee_subscriptions",
        None,
    );
    assert_eq!(
        request.json(),
        json!([{"validator_index": "1", "sync_committee_indices": ["0", "9"], "until_epoch": "512"}])
    );

    client
        .prepare_beacon_proposer(&[ProposerPreparation {
            validator_index: 6,
            fee_recipient: ExecutionAddress([0xfe; 20]),
        }])
        .await
        .expect("prepare");
    let request = server.last();
    assert_request(
        &request,
        "POST",
        "/eth/v1/validator/prepare_beacon_proposer",
        None,
    );
    assert_eq!(
        request.json(),
        json!([{"validator_index": "6", "fee_recipient": hex("fe", 20)}])
    );

    let registration = SignedValidatorRegistrationV1 {
        message: ValidatorRegistrationV1 {
            fee_recipient: ExecutionAddress([0xfe; 20]),
            gas_limit: 36_000_000,
            timestamp: 1_700_000_000,
            pubkey: BlsPubkey([0xa1; 48]),
        },
        signature: BlsSignature([1; 96]),
    };
    client
        .register_validators(&[registration])
        .await
        .expect("register");
    let request = server.last();
    assert_request(
        &request,
        "POST",
        "/eth/v1/validator/register_validator",
        None,
    );
    assert_eq!(request.json()[0]["message"]["gas_limit"], "36000000");

    let exit = SignedVoluntaryExit {
        message: VoluntaryExit {
            epoch: 100,
            validator_index: 6,
        },
        signature: BlsSignature([2; 96]),
    };
    client.submit_voluntary_exit(&exit).await.expect("exit");
    let request = server.last();
    assert_request(
        &request,
        "POST",
        "/eth/v1/beacon/pool/voluntary_exits",
        None,
    );
    assert_eq!(
        request.json(),
        json!({"message": {"epoch": "100", "validator_index": "6"}, "signature": hex("02", 96)})
    );
}

#[tokio::test]
async fn selections_decode_or_report_not_implemented() {
    let selection = BeaconCommitteeSelection {
        validator_index: 1,
        slot: 2,
        selection_proof: BlsSignature([3; 96]),
    };
    let (server, client) = serve(Reply::data(json!([
        serde_json::to_value(selection).expect("json")
    ])))
    .await;
    assert_eq!(
        client
            .beacon_committee_selections(&[selection])
            .await
            .expect("selections"),
        vec![selection]
    );
    let request = server.last();
    assert_request(
        &request,
        "POST",
        "/eth/v1/validator/beacon_committee_selections",
        None,
    );
    assert_eq!(request.json()[0]["slot"], "2");

    let sync_selection = SyncCommitteeSelection {
        validator_index: 1,
        slot: 2,
        subcommittee_index: 3,
        selection_proof: BlsSignature([4; 96]),
    };
    let (server, client) = serve(Reply::data(json!([
        serde_json::to_value(sync_selection).expect("json")
    ])))
    .await;
    assert_eq!(
        client
            .sync_committee_selections(&[sync_selection])
            .await
            .expect("selections"),
        vec![sync_selection]
    );
    let request = server.last();
    assert_request(
        &request,
        "POST",
        "/eth/v1/validator/sync_committee_selections",
        None,
    );
    assert_eq!(request.json()[0]["subcommittee_index"], "3");

    let (_server, client) = serve(Reply::error(501, "Endpoint not implemented")).await;
    let error = client
        .beacon_committee_selections(&[selection])
        .await
        .expect_err("501");
    assert!(error.is_not_implemented());
    assert_eq!(error.status(), Some(501));
    // 501 is not a node fault: the node stays preferred.
    assert!(client.failing_nodes().is_empty());
    let error = client
        .sync_committee_selections(&[sync_selection])
        .await
        .expect_err("501");
    assert!(error.is_not_implemented());
}
