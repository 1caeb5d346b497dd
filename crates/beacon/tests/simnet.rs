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
use mosaic_simnet::{DutyKind, ManualClock, SimConfig, Simulator};
use mosaic_types::consensus::altair::SyncCommitteeMessage;
use mosaic_types::consensus::electra::SingleAttestation;
use mosaic_types::consensus::phase0::{SignedVoluntaryExit, VoluntaryExit};
use mosaic_types::consensus::signing::{
    randao_signing_root, selection_proof_signing_root, sync_committee_message_signing_root,
    SignedObject, SignedRoot,
};
use mosaic_types::consensus::versioned::{BlockContents, ProducedBlock, PublishedBlock};
use mosaic_types::consensus::{electra, fulu, phase0, ForkVersioned, Minimal};
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
    start_at(encoding, ForkName::Fulu, 0).await
}

/// A simulator at `fork` with `fillers` virtual validators after the explicit ones (the
/// simulator proposes for them, so the chain grows without outside proposals).
async fn start_at(encoding: Encoding, fork: ForkName, fillers: usize) -> Harness {
    let keys: Vec<SecretKey> = (0..VALIDATORS).map(|i| filler_secret_key(77, i)).collect();
    let mut config = SimConfig::new(GENESIS);
    config.validators = keys
        .iter()
        .map(|k| BlsPubkey(k.public_key().to_bytes()))
        .collect();
    config.seed = 5;
    config.fork = fork;
    config.filler_validators = fillers;
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
async fn head_events_announce_each_new_head_block() {
    // As many fillers (the simulator proposes for them) as explicit validators (for whom
    // nobody proposes here).
    let h = start_at(Encoding::Json, ForkName::Fulu, VALIDATORS as usize).await;
    let mut events = h.client.events(&[EventTopic::Head]).await.unwrap();
    for _ in 0..8 {
        h.clock.advance_ms(1000);
        h.sim.tick();
    }
    // Slots 4..=11 passed: those with a block announce it; one left to an explicit
    // validator keeps the old head and announces nothing.
    let expected: Vec<(u64, Root)> = h.sim.with_chain(|chain| {
        (4..=11)
            .map(|slot| chain.head_at(slot))
            .filter(|head| head.header.slot >= 4)
            .map(|head| (head.header.slot, head.root))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect()
    });
    assert!(
        (1..8).contains(&expected.len()),
        "this chain should have blocks and empty slots in 4..=11: {expected:?}"
    );
    let mut announced = Vec::new();
    while let Ok(Some(event)) =
        tokio::time::timeout(Duration::from_millis(500), events.next()).await
    {
        let Ok(Event::Head(head)) = event else {
            panic!("expected a head event, got {event:?}")
        };
        announced.push((head.slot, head.block));
    }
    assert_eq!(announced, expected);
}

impl Harness {
    /// The accepted submissions of `kind` by `validator`, judged, from the simulator's records.
    fn records_of(&self, kind: DutyKind, validator: u64) -> Vec<serde_json::Value> {
        let records = self.sim.records_json();
        records
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["kind"] == kind.as_str() && r["validator_index"] == validator)
            .cloned()
            .collect()
    }

    /// The selection proof of `validator` for `slot`.
    fn selection_proof(&self, validator: u64, slot: u64) -> BlsSignature {
        let (network, gvr) = self.network();
        let domain = SignedObject::SelectionProof.domain(&network, gvr, slot / 8);
        self.sign(validator, selection_proof_signing_root(slot, domain))
    }
}

#[tokio::test]
async fn phase0_attestations_and_aggregates_on_a_deneb_chain() {
    let h = start_at(Encoding::Json, ForkName::Deneb, 0).await;
    let c = &h.client;
    let (network, gvr) = h.network();
    let all: Vec<u64> = (0..VALIDATORS).collect();
    let duties = c.attester_duties(0, &all).await.unwrap();
    let mut at_slot: Vec<_> = duties.data.iter().filter(|d| d.slot == 3).collect();
    at_slot.sort_by_key(|d| d.validator_committee_index);
    let committee_len = at_slot[0].committee_length as usize;
    assert_eq!(
        at_slot.len(),
        committee_len,
        "one duty per committee member"
    );
    let data = c
        .attestation_data(3, at_slot[0].committee_index)
        .await
        .unwrap();
    assert_eq!(
        data.index, at_slot[0].committee_index,
        "pre-Electra data carries the index"
    );
    let domain = SignedObject::Attestation.domain(&network, gvr, data.target.epoch);

    // v1 pool/attestations: one unaggregated attestation per member but the last.
    let signers = &at_slot[..committee_len - 1];
    let attestations: Vec<phase0::Attestation<Minimal>> = signers
        .iter()
        .map(|duty| {
            let mut bits = ssz_types::BitList::with_capacity(committee_len).unwrap();
            bits.set(duty.validator_committee_index as usize, true)
                .unwrap();
            phase0::Attestation {
                aggregation_bits: bits,
                data,
                signature: h.sign(duty.validator_index, data.signing_root(domain)),
            }
        })
        .collect();
    c.submit_attestations_v1(&attestations).await.unwrap();
    for duty in signers {
        let records = h.records_of(DutyKind::Attestation, duty.validator_index);
        assert_eq!(records.len(), 1, "validator {}", duty.validator_index);
        assert_eq!(records[0]["slot"], 3);
        assert_eq!(records[0]["included"], true, "{}", records[0]);
    }
    let silent = at_slot[committee_len - 1].validator_index;
    assert!(h.records_of(DutyKind::Attestation, silent).is_empty());
    // A wrong signer on v1 is rejected and recorded nowhere.
    let mut forged = attestations[0].clone();
    forged.signature = h.sign(silent, data.signing_root(domain));
    let error = c.submit_attestations_v1(&[forged]).await.unwrap_err();
    assert_eq!(error.status(), Some(400), "{error}");
    assert!(
        error
            .to_string()
            .contains("/eth/v1/beacon/pool/attestations"),
        "{error}"
    );

    // Liveness follows the records.
    let liveness = c
        .liveness(0, &[signers[0].validator_index, silent])
        .await
        .unwrap();
    let live: Vec<(u64, bool)> = liveness.iter().map(|l| (l.index, l.is_live)).collect();
    assert_eq!(
        live,
        vec![(signers[0].validator_index, true), (silent, false)]
    );

    // v1 aggregate: the pool's aggregate carries exactly the signers' bits.
    let root: Root = data.tree_hash_root().into();
    let aggregate = c.aggregate_attestation_v1(3, root).await.unwrap();
    assert_eq!(aggregate.data, data);
    for duty in &at_slot {
        let expected = signers
            .iter()
            .any(|s| s.validator_index == duty.validator_index);
        assert_eq!(
            aggregate
                .aggregation_bits
                .get(duty.validator_committee_index as usize)
                .unwrap(),
            expected
        );
    }

    // v1 aggregate_and_proofs by the first member (committees below 16 all aggregate).
    let aggregator = signers[0].validator_index;
    let message = phase0::AggregateAndProof {
        aggregator_index: aggregator,
        aggregate: aggregate.clone(),
        selection_proof: h.selection_proof(aggregator, 3),
    };
    let domain = SignedObject::AggregateAndProof.domain(&network, gvr, 0);
    let signed = phase0::SignedAggregateAndProof {
        signature: h.sign(aggregator, message.signing_root(domain)),
        message: message.clone(),
    };
    c.submit_aggregate_and_proofs_v1(&[signed]).await.unwrap();
    let records = h.records_of(DutyKind::Aggregate, aggregator);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["included"], true, "{}", records[0]);
    // A selection proof by someone else is rejected.
    let mut bad = message;
    bad.selection_proof = h.selection_proof(silent, 3);
    let signed = phase0::SignedAggregateAndProof {
        signature: h.sign(aggregator, bad.signing_root(domain)),
        message: bad,
    };
    let error = c
        .submit_aggregate_and_proofs_v1(&[signed])
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(400), "{error}");
    assert_eq!(h.records_of(DutyKind::Aggregate, aggregator).len(), 1);

    // The state's fork is Deneb's.
    let fork = c.state_fork(StateId::Head).await.unwrap().data;
    assert_eq!(fork.current_version, network.forks.deneb.version);
    assert_eq!(fork.previous_version, network.forks.capella.version);
    assert_eq!(fork.epoch, 0);
}

#[tokio::test]
async fn electra_aggregate_and_proof_v2() {
    let h = start(Encoding::Json).await;
    let c = &h.client;
    let (network, gvr) = h.network();
    let all: Vec<u64> = (0..VALIDATORS).collect();
    let duties = c.attester_duties(0, &all).await.unwrap();
    let duty = *duties.data.iter().find(|d| d.slot == 3).unwrap();
    let data = c.attestation_data(3, duty.committee_index).await.unwrap();
    let domain = SignedObject::Attestation.domain(&network, gvr, data.target.epoch);
    c.submit_single_attestations(
        ForkName::Fulu,
        &[SingleAttestation {
            committee_index: duty.committee_index,
            attester_index: duty.validator_index,
            data,
            signature: h.sign(duty.validator_index, data.signing_root(domain)),
        }],
    )
    .await
    .unwrap();
    let aggregate = c
        .aggregate_attestation(3, data.tree_hash_root().into(), duty.committee_index)
        .await
        .unwrap();
    let mosaic_types::consensus::versioned::Attestation::Fulu(aggregate) = aggregate else {
        panic!("expected a fulu aggregate")
    };
    assert!(aggregate
        .committee_bits
        .get(duty.committee_index as usize)
        .unwrap());
    assert!(aggregate
        .aggregation_bits
        .get(duty.validator_committee_index as usize)
        .unwrap());
    assert_eq!(aggregate.aggregation_bits.num_set_bits(), 1);

    let message = electra::AggregateAndProof {
        aggregator_index: duty.validator_index,
        aggregate,
        selection_proof: h.selection_proof(duty.validator_index, 3),
    };
    let domain = SignedObject::AggregateAndProof.domain(&network, gvr, 0);
    let signed = electra::SignedAggregateAndProof {
        signature: h.sign(duty.validator_index, message.signing_root(domain)),
        message: message.clone(),
    };
    assert!(h
        .records_of(DutyKind::Aggregate, duty.validator_index)
        .is_empty());
    c.submit_aggregate_and_proofs(&[
        mosaic_types::consensus::versioned::SignedAggregateAndProof::Fulu(signed),
    ])
    .await
    .unwrap();
    let records = h.records_of(DutyKind::Aggregate, duty.validator_index);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["included"], true, "{}", records[0]);
    // Signed by another key: 400.
    let signed = electra::SignedAggregateAndProof {
        signature: h.sign(
            (duty.validator_index + 1) % VALIDATORS,
            message.signing_root(domain),
        ),
        message,
    };
    let error = c
        .submit_aggregate_and_proofs(&[
            mosaic_types::consensus::versioned::SignedAggregateAndProof::Fulu(signed),
        ])
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(400), "{error}");
}

#[tokio::test]
async fn sync_duties_match_the_simulators_committee() {
    let h = start(Encoding::Json).await;
    let all: Vec<u64> = (0..VALIDATORS).collect();
    let duties = h.client.sync_duties(0, &all).await.unwrap();
    let committee = h.sim.with_chain(|c| c.sync_committee(0));
    let mut members: Vec<u64> = committee.positions.keys().copied().collect();
    members.sort_unstable();
    let mut reported: Vec<u64> = duties.data.iter().map(|d| d.validator_index).collect();
    reported.sort_unstable();
    assert_eq!(reported, members);
    for duty in &duties.data {
        assert_eq!(
            duty.validator_sync_committee_indices,
            committee.positions[&duty.validator_index]
        );
        let pubkey = BlsPubkey(
            h.keys[duty.validator_index as usize]
                .public_key()
                .to_bytes(),
        );
        assert_eq!(duty.pubkey, pubkey);
    }
}

#[tokio::test]
async fn headers_and_finality_follow_the_chain() {
    let h = start_at(Encoding::Json, ForkName::Fulu, 32).await;
    let c = &h.client;
    // Move to epoch 3 (slot 24) so that justification and finality have advanced.
    h.clock.advance_ms(21 * 1000);
    h.sim.tick();
    let epoch = 3;
    let checkpoints = c.finality_checkpoints(StateId::Head).await.unwrap().data;
    let (justified, previous, finalized) = h.sim.with_chain(|chain| {
        let convert = |c: mosaic_simnet::containers::Checkpoint| phase0::Checkpoint {
            epoch: c.epoch,
            root: c.root,
        };
        (
            convert(chain.justified(epoch)),
            convert(chain.justified(epoch - 1)),
            convert(chain.finalized(epoch)),
        )
    });
    assert_eq!(checkpoints.current_justified, justified);
    assert_eq!(checkpoints.current_justified.epoch, 2);
    assert_eq!(checkpoints.previous_justified, previous);
    assert_eq!(checkpoints.finalized, finalized);
    assert_eq!(checkpoints.finalized.epoch, 1);
    assert_ne!(checkpoints.finalized.root, Root::ZERO);

    let mut blocks = 0;
    for slot in 0..=24u64 {
        let Some(block) = h.sim.with_chain(|chain| chain.block_at(slot)) else {
            let error = c.block_header(BlockId::Slot(slot)).await.unwrap_err();
            assert_eq!(error.status(), Some(404), "empty slot {slot}: {error}");
            continue;
        };
        blocks += 1;
        let by_slot = c.block_header(BlockId::Slot(slot)).await.unwrap().data;
        assert_eq!(by_slot.root, block.root, "slot {slot}");
        assert_eq!(by_slot.header.message.slot, slot);
        assert!(by_slot.canonical);
        let by_root = c
            .block_header(BlockId::Root(block.root))
            .await
            .unwrap()
            .data;
        assert_eq!(by_root.header.message, by_slot.header.message);
    }
    assert!(
        blocks > 5,
        "the filler validators' slots have blocks ({blocks})"
    );
    let genesis = c.block_header(BlockId::Genesis).await.unwrap().data;
    assert_eq!(genesis.header.message.slot, 0);
    let head = c.block_header(BlockId::Head).await.unwrap().data;
    assert_eq!(head.root, h.sim.with_chain(|chain| chain.head().root));
    let unknown = c
        .block_header(BlockId::Root(Root([0xee; 32])))
        .await
        .unwrap_err();
    assert_eq!(unknown.status(), Some(404), "{unknown}");
}

#[tokio::test]
async fn proposer_preparation_and_registration_shape_the_payload() {
    let h = start(Encoding::Json).await;
    let c = &h.client;
    let (network, gvr) = h.network();
    h.clock.advance_ms(1000);
    let proposers = c.proposer_duties(0).await.unwrap();
    let proposer = proposers
        .data
        .iter()
        .find(|d| d.slot == 4)
        .unwrap()
        .validator_index;
    let domain = SignedObject::Randao.domain(&network, gvr, 0);
    let randao = h.sign(proposer, randao_signing_root(0, domain));
    let payload_of = |produced: mosaic_beacon::ProducedBlockResponse<Minimal>| {
        let ProducedBlock::Contents(BlockContents::Fulu(contents)) = produced.block else {
            panic!("expected fulu block contents")
        };
        let payload = contents.block.body.execution_payload;
        (payload.fee_recipient, payload.gas_limit)
    };
    let before = payload_of(
        c.produce_block(&ProduceBlockRequest::new(4, randao))
            .await
            .unwrap(),
    );
    assert_eq!(before.0, ExecutionAddress([0; 20]));

    let registration = ValidatorRegistrationV1 {
        fee_recipient: ExecutionAddress([9; 20]),
        gas_limit: 36_000_000,
        timestamp: GENESIS,
        pubkey: BlsPubkey(h.keys[proposer as usize].public_key().to_bytes()),
    };
    c.register_validators(&[SignedValidatorRegistrationV1 {
        message: registration,
        signature: h.sign(
            proposer,
            registration.signing_root(network.genesis_fork_version),
        ),
    }])
    .await
    .unwrap();
    let registered = payload_of(
        c.produce_block(&ProduceBlockRequest::new(4, randao))
            .await
            .unwrap(),
    );
    assert_eq!(registered, (ExecutionAddress([9; 20]), 36_000_000));
    assert_eq!(h.records_of(DutyKind::Registration, proposer).len(), 1);

    c.prepare_beacon_proposer(&[ProposerPreparation {
        validator_index: proposer,
        fee_recipient: ExecutionAddress([7; 20]),
    }])
    .await
    .unwrap();
    let prepared = payload_of(
        c.produce_block(&ProduceBlockRequest::new(4, randao))
            .await
            .unwrap(),
    );
    assert_eq!(prepared, (ExecutionAddress([7; 20]), 36_000_000));

    // A registration signed by another key changes nothing.
    let other = ValidatorRegistrationV1 {
        fee_recipient: ExecutionAddress([1; 20]),
        gas_limit: 1,
        ..registration
    };
    let error = c
        .register_validators(&[SignedValidatorRegistrationV1 {
            message: other,
            signature: h.sign(
                (proposer + 1) % VALIDATORS,
                other.signing_root(network.genesis_fork_version),
            ),
        }])
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(400), "{error}");
    let after = payload_of(
        c.produce_block(&ProduceBlockRequest::new(4, randao))
            .await
            .unwrap(),
    );
    assert_eq!(after, prepared);
}
