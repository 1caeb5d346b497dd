//! The client against the simulated beacon node (`mosaic-simnet`): every endpoint it serves,
//! with real signatures where it verifies them.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use mosaic_beacon::{
    BeaconClient, BeaconCommitteeSelection, BeaconCommitteeSubscription, BlockId, ClientConfig,
    Encoding, Event, EventTopic, NodeHealth, ProduceBlockRequest, ProposerPreparation, StateId,
    SyncCommitteeSubscription, ValidatorId, ValidatorStatus,
};
use mosaic_crypto::bls::SecretKey;
use mosaic_simnet::chain::filler_secret_key;
use mosaic_simnet::{ManualClock, SimConfig, Simulator};
use mosaic_types::consensus::altair::SyncCommitteeMessage;
use mosaic_types::consensus::electra::SingleAttestation;
use mosaic_types::consensus::phase0::{SignedVoluntaryExit, VoluntaryExit};
use mosaic_types::consensus::signing::{
    randao_signing_root, sync_committee_message_signing_root, SignedObject, SignedRoot,
};
use mosaic_types::consensus::versioned::{BlockContents, ProducedBlock, PublishedBlock};
use mosaic_types::consensus::{fulu, phase0, ForkVersioned, Minimal};
use mosaic_types::{
    BlsPubkey, BlsSignature, ExecutionAddress, ForkName, Network, Root,
    SignedValidatorRegistrationV1, ValidatorRegistrationV1,
};
use tree_hash::TreeHash;

const GENESIS: u64 = 1_700_000_000;
const VALIDATORS: u64 = 32;

struct Harness {
    sim: Simulator,
    clock: ManualClock,
    keys: Vec<SecretKey>,
    client: BeaconClient<Minimal>,
    _server: mosaic_simnet::ServerHandle,
}

async fn start(encoding: Encoding) -> Harness {
    let keys: Vec<SecretKey> = (0..VALIDATORS).map(|i| filler_secret_key(77, i)).collect();
    let mut config = SimConfig::new(GENESIS);
    config.validators = keys
        .iter()
        .map(|k| BlsPubkey(k.public_key().to_bytes()))
        .collect();
    config.seed = 5;
    // Slot 3, 100 ms in.
    let clock = ManualClock::new(GENESIS * 1000 + 3 * 1000 + 100);
    let sim = Simulator::new(config, Arc::new(clock.clone())).unwrap();
    sim.tick();
    let server = sim.serve(0).await.unwrap();
    let config = ClientConfig {
        block_encoding: encoding,
        ..ClientConfig::default()
    };
    let client = BeaconClient::new([server.url()], config).unwrap();
    Harness {
        sim,
        clock,
        keys,
        client,
        _server: server,
    }
}

impl Harness {
    fn network(&self) -> (Network, Root) {
        self.sim
            .with_chain(|c| (c.network().clone(), c.genesis_validators_root()))
    }

    fn sign(&self, validator: u64, root: Root) -> BlsSignature {
        BlsSignature(self.keys[validator as usize].sign(&root.0).to_bytes())
    }
}

#[tokio::test]
async fn node_state_and_duty_endpoints() {
    let h = start(Encoding::Json).await;
    let c = &h.client;
    let genesis = c.genesis().await.unwrap();
    assert_eq!(genesis.genesis_time, GENESIS);
    assert_eq!(genesis.genesis_validators_root, h.network().1);
    assert_eq!(c.spec().await.unwrap()["SLOTS_PER_EPOCH"], "8");
    assert_eq!(c.fork_schedule().await.unwrap().len(), 7);
    assert!(!c.syncing().await.unwrap().is_syncing);
    assert!(!c.node_version().await.unwrap().is_empty());
    assert_eq!(c.health().await.unwrap(), NodeHealth::Ready);
    // The simulator does not serve the optional peer count.
    assert_eq!(c.peer_count().await.unwrap_err().status(), Some(404));

    let pubkey = BlsPubkey(h.keys[3].public_key().to_bytes());
    let ids = [ValidatorId::Index(1), ValidatorId::Pubkey(pubkey)];
    let posted = c.validators(StateId::Head, &ids, &[]).await.unwrap();
    let indices: Vec<u64> = posted.data.iter().map(|v| v.index).collect();
    assert_eq!(indices, vec![1, 3]);
    assert_eq!(posted.data[1].validator.pubkey, pubkey);
    let got = c
        .validators_get(StateId::Head, &ids, &[ValidatorStatus::ActiveOngoing])
        .await
        .unwrap();
    assert_eq!(got.data, posted.data);
    assert_eq!(
        c.validators(StateId::Head, &[], &[])
            .await
            .unwrap()
            .data
            .len(),
        VALIDATORS as usize
    );

    let fork = c.state_fork(StateId::Head).await.unwrap();
    assert_eq!(
        fork.data.current_version,
        h.sim.with_chain(|c| c.fork_version())
    );
    c.finality_checkpoints(StateId::Head).await.unwrap();
    let header = c.block_header(BlockId::Head).await.unwrap();
    let root = c.block_root(BlockId::Head).await.unwrap();
    assert_eq!(header.data.root, root.data);

    let all: Vec<u64> = (0..VALIDATORS).collect();
    let attester = c.attester_duties(0, &all).await.unwrap();
    assert_eq!(attester.data.len(), VALIDATORS as usize);
    let proposer = c.proposer_duties(0).await.unwrap();
    assert_eq!(proposer.data.len(), 8);
    let sync = c.sync_duties(0, &all).await.unwrap();
    assert!(!sync.data.is_empty());
    let liveness = c.liveness(0, &[0, 1]).await.unwrap();
    assert_eq!(liveness.len(), 2);

    let data = c.attestation_data(3, 0).await.unwrap();
    assert_eq!(data.slot, 3);

    // Distributed-validator selections: a plain beacon node answers 501.
    let selection = BeaconCommitteeSelection {
        validator_index: 1,
        slot: 3,
        selection_proof: BlsSignature::ZERO,
    };
    let error = c
        .beacon_committee_selections(&[selection])
        .await
        .unwrap_err();
    assert!(error.is_not_implemented(), "{error}");
    assert!(c.failing_nodes().is_empty());
}

#[tokio::test]
async fn signed_submissions_are_accepted_and_bad_ones_named() {
    let h = start(Encoding::Json).await;
    let c = &h.client;
    let (network, gvr) = h.network();
    let all: Vec<u64> = (0..VALIDATORS).collect();

    // An attestation for slot 3 by its first attester, then its aggregate.
    let duties = c.attester_duties(0, &all).await.unwrap();
    let duty = duties.data.iter().find(|d| d.slot == 3).unwrap();
    let data = c.attestation_data(3, duty.committee_index).await.unwrap();
    let domain = SignedObject::Attestation.domain(&network, gvr, data.target.epoch);
    let single = SingleAttestation {
        committee_index: duty.committee_index,
        attester_index: duty.validator_index,
        data,
        signature: h.sign(duty.validator_index, data.signing_root(domain)),
    };
    c.submit_single_attestations(ForkName::Fulu, &[single])
        .await
        .unwrap();
    let aggregate = c
        .aggregate_attestation(3, data.tree_hash_root().into(), duty.committee_index)
        .await
        .unwrap();
    assert_eq!(aggregate.fork_name(), ForkName::Fulu);
    // A wrong signature: 400 naming the endpoint.
    let mut forged = single;
    forged.signature = h.sign(
        (duty.validator_index + 1) % VALIDATORS,
        data.signing_root(domain),
    );
    let error = c
        .submit_single_attestations(ForkName::Fulu, &[forged])
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(400));
    assert!(
        error
            .to_string()
            .contains("POST /eth/v2/beacon/pool/attestations"),
        "{error}"
    );

    // A sync committee message on the head, and the contribution that carries it.
    let head = c.block_root(BlockId::Head).await.unwrap().data;
    let sync = c.sync_duties(0, &all).await.unwrap();
    let member = sync.data[0].validator_index;
    let domain = SignedObject::SyncCommitteeMessage.domain(&network, gvr, 0);
    let message = SyncCommitteeMessage {
        slot: 3,
        beacon_block_root: head,
        validator_index: member,
        signature: h.sign(member, sync_committee_message_signing_root(head, domain)),
    };
    c.submit_sync_committee_messages(&[message]).await.unwrap();
    let subcommittee = sync.data[0].validator_sync_committee_indices[0] / 8;
    let contribution = c
        .sync_committee_contribution(3, subcommittee, head)
        .await
        .unwrap();
    assert_eq!(contribution.beacon_block_root, head);

    // Exit (capella domain, EIP-7044) and builder registration.
    let exit = VoluntaryExit {
        epoch: 0,
        validator_index: 4,
    };
    let domain = SignedObject::VoluntaryExit.domain(&network, gvr, 0);
    c.submit_voluntary_exit(&SignedVoluntaryExit {
        message: exit,
        signature: h.sign(4, exit.signing_root(domain)),
    })
    .await
    .unwrap();
    let registration = ValidatorRegistrationV1 {
        fee_recipient: ExecutionAddress([7; 20]),
        gas_limit: 30_000_000,
        timestamp: GENESIS,
        pubkey: BlsPubkey(h.keys[5].public_key().to_bytes()),
    };
    c.register_validators(&[SignedValidatorRegistrationV1 {
        message: registration,
        signature: h.sign(5, registration.signing_root(network.genesis_fork_version)),
    }])
    .await
    .unwrap();

    // Unsigned submissions.
    c.prepare_beacon_proposer(&[ProposerPreparation {
        validator_index: 5,
        fee_recipient: ExecutionAddress([7; 20]),
    }])
    .await
    .unwrap();
    c.subscribe_beacon_committees(&[BeaconCommitteeSubscription {
        validator_index: duty.validator_index,
        committee_index: duty.committee_index,
        committees_at_slot: duty.committees_at_slot,
        slot: duty.slot,
        is_aggregator: false,
    }])
    .await
    .unwrap();
    c.subscribe_sync_committees(&[SyncCommitteeSubscription {
        validator_index: member,
        sync_committee_indices: sync.data[0].validator_sync_committee_indices.clone(),
        until_epoch: 8,
    }])
    .await
    .unwrap();
}

async fn propose(encoding: Encoding) {
    let h = start(encoding).await;
    let c = &h.client;
    let (network, gvr) = h.network();
    // Propose at slot 4, early in the slot.
    h.clock.advance_ms(1000);
    let proposers = c.proposer_duties(0).await.unwrap();
    let proposer = proposers.data.iter().find(|d| d.slot == 4).unwrap();
    let domain = SignedObject::Randao.domain(&network, gvr, 0);
    let randao = h.sign(proposer.validator_index, randao_signing_root(0, domain));
    let produced = c
        .produce_block(&ProduceBlockRequest::new(4, randao))
        .await
        .unwrap();
    assert_eq!(produced.fork, ForkName::Fulu);
    assert_eq!(produced.encoding, encoding);
    let ProducedBlock::Contents(BlockContents::Fulu(contents)) = produced.block else {
        panic!(
            "expected fulu block contents, got {:?}",
            produced.block.fork_name()
        )
    };
    assert_eq!(contents.block.slot, 4);
    let domain = SignedObject::Block.domain(&network, gvr, 0);
    let signature = h.sign(
        proposer.validator_index,
        contents.block.signing_root(domain),
    );
    let signed = PublishedBlock::Contents(
        mosaic_types::consensus::versioned::SignedBlockContents::Fulu(fulu::SignedBlockContents {
            signed_block: phase0::GenericSigned {
                message: contents.block.clone(),
                signature,
            },
            kzg_proofs: contents.kzg_proofs,
            blobs: contents.blobs,
        }),
    );
    c.publish_block(&signed, None).await.unwrap();
    h.clock.advance_ms(300);
    h.sim.tick();
    let head = c.block_header(BlockId::Head).await.unwrap();
    assert_eq!(head.data.header.message.slot, 4);
}

#[tokio::test]
async fn block_production_and_publication_json() {
    propose(Encoding::Json).await;
}

#[tokio::test]
async fn block_production_and_publication_ssz() {
    propose(Encoding::Ssz).await;
}

#[tokio::test]
async fn head_events_arrive_as_slots_pass() {
    let h = start(Encoding::Json).await;
    let mut events = h.client.events(&[EventTopic::Head]).await.unwrap();
    h.clock.advance_ms(1000);
    let event = tokio::time::timeout(Duration::from_secs(5), events.next())
        .await
        .unwrap();
    let Some(Ok(Event::Head(head))) = event else {
        panic!("expected a head event, got {event:?}")
    };
    assert_eq!(head.slot, 4);
}
