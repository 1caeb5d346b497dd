//! The scheduler and the fetcher: a slot ticker that resolves duties each epoch and, at each
//! duty's offset in its slot, fetches what the cluster must agree on from the beacon node and
//! proposes it to consensus.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use mosaic_beacon::ProduceBlockRequest;
use mosaic_core::signeddata::SignedData;
use mosaic_core::unsigned::{AttestationDatum, ProposalDatum, UnsignedData, UnsignedDataSet};
use mosaic_core::{Duty, DutyType};
use mosaic_crypto::bls::PublicKey;
use mosaic_types::consensus::Preset;
use mosaic_types::{Epoch, ForkName, Slot};

use crate::broadcast::short;
use crate::core::Core;
use crate::schedule::{is_aggregator, is_sync_committee_aggregator, EpochDuties};

async fn sleep_until(time: SystemTime) {
    if let Ok(wait) = time.duration_since(SystemTime::now()) {
        tokio::time::sleep(wait).await;
    }
}

/// Runs the slot ticker until the task is dropped.
pub(crate) async fn run_scheduler<P: Preset>(core: Arc<Core<P>>) {
    let chain = core.chain.clone();
    if chain.before_genesis(SystemTime::now()) {
        // Validator clients ask for the first epoch's duties before genesis: know them.
        resolve(&core, 0).await;
        tracing::info!("waiting for genesis");
        sleep_until(chain.slot_start(0)).await;
    }
    let mut resolved_for: Option<Epoch> = None;
    let mut slot = core.current_slot();
    loop {
        let epoch = chain.epoch_of(slot);
        if resolved_for != Some(epoch) {
            resolve(&core, epoch).await;
            resolved_for = Some(epoch);
            let next_core = core.clone();
            tokio::spawn(async move { resolve(&next_core, epoch + 1).await });
            let registration_core = core.clone();
            tokio::spawn(async move { submit_registrations(&registration_core, epoch).await });
        }
        if let Some(duties) = core.schedule.epoch(epoch) {
            start_slot(&core, slot, &duties);
        }
        if crate::infosync::is_infosync_slot(slot, chain.slots_per_epoch()) {
            core.infosync.trigger(slot);
        }
        // Proposer duties resolved ahead of the epoch may change once its dependent block is
        // known: check again each slot, and propose now if this slot just became ours.
        let refresh_core = core.clone();
        tokio::spawn(async move { refresh_proposers(&refresh_core, slot).await });
        housekeeping(&core, slot);
        let next = slot + 1;
        sleep_until(chain.slot_start(next)).await;
        // Jump to the real current slot after a pause instead of replaying stale slots.
        slot = core.current_slot().max(next);
    }
}

async fn resolve<P: Preset>(core: &Core<P>, epoch: Epoch) {
    for attempt in 0..3u32 {
        let result = async {
            let known = core
                .schedule
                .resolve_indices(&core.client, &core.validators)
                .await
                .map_err(|source| crate::schedule::ScheduleError::Beacon { epoch, source })?;
            if known < core.validators.len() {
                tracing::warn!(
                    epoch,
                    known,
                    validators = core.validators.len(),
                    "some distributed validators are not on the beacon chain yet (no index)"
                );
            }
            core.schedule
                .resolve_epoch(&core.client, &core.chain, epoch)
                .await
        }
        .await;
        match result {
            Ok(()) => {
                if let Some(duties) = core.schedule.epoch(epoch) {
                    tracing::debug!(
                        epoch,
                        attesters = duties.attesters.values().map(Vec::len).sum::<usize>(),
                        proposers = duties.proposers.len(),
                        sync_committee = duties.sync.len(),
                        "duties resolved"
                    );
                }
                return;
            }
            Err(error) => {
                tracing::warn!(epoch, attempt, %error, "duty resolution failed");
                tokio::time::sleep(core.chain.slot_duration / 4).await;
            }
        }
    }
}

/// Fetches the proposer duties of `slot`'s epoch again (they may change once the epoch's
/// dependent block is known) and starts the proposal of `slot` if it just became the
/// cluster's.
pub(crate) async fn refresh_proposers<P: Preset>(core: &Arc<Core<P>>, slot: Slot) {
    let epoch = core.chain.epoch_of(slot);
    match core.schedule.refresh_proposers(&core.client, epoch).await {
        Ok(changed) if !changed.is_empty() => {
            tracing::info!(epoch, ?changed, "proposer duties changed");
            if let Some(pubkey) = core.schedule.proposer(&core.chain, slot) {
                start_proposal(core, slot, pubkey);
            }
        }
        Ok(_) => {}
        Err(error) => tracing::debug!(%error, "proposer duties not refreshed"),
    }
}

/// Starts the proposal of `slot` by `pubkey` unless one was started for that slot already.
fn start_proposal<P: Preset>(core: &Arc<Core<P>>, slot: Slot, pubkey: PublicKey) {
    if !core.begin_proposal(slot) {
        return;
    }
    let core = core.clone();
    tokio::spawn(async move { propose_block(&core, slot, pubkey).await });
}

fn housekeeping<P: Preset>(core: &Core<P>, slot: Slot) {
    let keep_from = slot.saturating_sub(core.chain.slots_per_epoch() * 2);
    core.dutydb.trim(keep_from);
    core.sigpipe.trim(keep_from);
    core.infosync.trim(keep_from);
    core.tracker.expire(slot.saturating_sub(2));
    core.schedule
        .trim(core.chain.epoch_of(slot).saturating_sub(1));
}

fn start_slot<P: Preset>(core: &Arc<Core<P>>, slot: Slot, duties: &EpochDuties) {
    if let Some((pubkey, _)) = duties.proposers.get(&slot) {
        start_proposal(core, slot, *pubkey);
    }
    if let Some(attesters) = duties.attesters.get(&slot) {
        let attesters = attesters.clone();
        for (pubkey, _) in &attesters {
            core.tracker
                .expect(Duty::new(slot, DutyType::Attester), pubkey);
        }
        let core_for_attest = core.clone();
        let for_attest = attesters.clone();
        tokio::spawn(async move { attest(&core_for_attest, slot, &for_attest).await });
        let core = core.clone();
        tokio::spawn(async move { aggregate(&core, slot, &attesters).await });
    }
    if !duties.sync.is_empty() {
        for (pubkey, _) in &duties.sync {
            core.tracker
                .expect(Duty::new(slot, DutyType::SyncMessage), pubkey);
        }
        let core = core.clone();
        let members = duties.sync.clone();
        tokio::spawn(async move { contribute(&core, slot, &members).await });
    }
}

async fn propose_block<P: Preset>(core: &Core<P>, slot: Slot, pubkey: PublicKey) {
    let duty = Duty::new(slot, DutyType::Proposer);
    core.tracker.expect(duty, &pubkey);
    // The validator client starts the proposal by sending its randao partial; the block can
    // only be produced with the cluster's aggregated reveal.
    let randao = match core
        .await_aggregate(Duty::new(slot, DutyType::Randao), pubkey, None)
        .await
    {
        Ok(SignedData::Randao(randao)) => randao,
        Ok(_) | Err(_) => {
            core.tracker.failed(duty, "no_randao");
            tracing::warn!(%duty, "no aggregated randao reveal before the deadline");
            return;
        }
    };
    let request = ProduceBlockRequest::new(slot, randao.signature);
    let started = std::time::Instant::now();
    match core
        .client
        .produce_block_any_version(&request, core.builder && core.infosync.builder_agreed(slot))
        .await
    {
        Ok(response) => {
            core.metrics.beacon_request(
                "produce_block",
                started.elapsed(),
                mosaic_monitor::RequestOutcome::Ok,
            );
            let mut set = UnsignedDataSet::new(DutyType::Proposer);
            set.data.insert(
                pubkey,
                UnsignedData::Proposal(Box::new(ProposalDatum {
                    block: response.block,
                })),
            );
            core.propose(duty, &set).await;
        }
        Err(error) => {
            core.metrics.beacon_request(
                "produce_block",
                started.elapsed(),
                mosaic_monitor::RequestOutcome::Error,
            );
            core.tracker.failed(duty, "fetch");
            tracing::warn!(%duty, %error, "block production failed");
        }
    }
}

async fn attest<P: Preset>(
    core: &Core<P>,
    slot: Slot,
    attesters: &[(PublicKey, mosaic_beacon::AttesterDuty)],
) {
    let duty = Duty::new(slot, DutyType::Attester);
    sleep_until(core.chain.slot_start(slot) + core.chain.slot_duration / 3).await;
    let committees: BTreeSet<u64> = attesters
        .iter()
        .map(|(_, attester)| attester.committee_index)
        .collect();
    let by_committee = attestation_data_by_committee(core, slot, &committees).await;
    let mut set = UnsignedDataSet::new(DutyType::Attester);
    for (pubkey, attester) in attesters {
        // A committee whose fetch failed was counted and logged there.
        let Some(data) = by_committee.get(&attester.committee_index) else {
            continue;
        };
        set.data.insert(
            *pubkey,
            UnsignedData::Attestation(Box::new(AttestationDatum {
                attestation_data: *data,
                attestation_duty: *attester,
            })),
        );
    }
    if !set.data.is_empty() {
        core.propose(duty, &set).await;
    }
}

/// The attestation data of `slot` for each of `committees`. From electra on the data no longer
/// names its committee (its index is 0), so one answer serves every committee, and all the
/// cluster's attestations of the slot vote for the same head; a failed request is made again
/// (naming the next committee, if there is another), up to [`ATTESTATION_DATA_ATTEMPTS`] times
/// in all. Before electra, one request per committee, all at once. Fetching is on the path of
/// every attestation of the slot: the cluster's validators sit in tens of committees, and a
/// request for each, one after another, would add as many round trips to the beacon node.
async fn attestation_data_by_committee<P: Preset>(
    core: &Core<P>,
    slot: Slot,
    committees: &BTreeSet<u64>,
) -> BTreeMap<u64, mosaic_types::consensus::phase0::AttestationData> {
    if core.chain.fork_at_epoch(core.chain.epoch_of(slot)) >= ForkName::Electra {
        for committee in committees.iter().cycle().take(ATTESTATION_DATA_ATTEMPTS) {
            if let Some(data) = fetch_attestation_data(core, slot, *committee).await {
                return committees.iter().map(|c| (*c, data)).collect();
            }
        }
        return BTreeMap::new();
    }
    let fetched = futures_util::future::join_all(committees.iter().map(|committee| async move {
        (
            *committee,
            fetch_attestation_data(core, slot, *committee).await,
        )
    }))
    .await;
    fetched
        .into_iter()
        .filter_map(|(committee, data)| Some((committee, data?)))
        .collect()
}

/// How many times the node asks for a slot's attestation data from electra on before it gives
/// up on proposing the slot's attestations (the other nodes' proposals may still carry them).
const ATTESTATION_DATA_ATTEMPTS: usize = 3;

/// One `attestation_data` request, timed; a failure is counted against the slot's attester
/// duty and logged.
async fn fetch_attestation_data<P: Preset>(
    core: &Core<P>,
    slot: Slot,
    committee: u64,
) -> Option<mosaic_types::consensus::phase0::AttestationData> {
    let started = std::time::Instant::now();
    let result = core.client.attestation_data(slot, committee).await;
    let outcome = if result.is_ok() {
        mosaic_monitor::RequestOutcome::Ok
    } else {
        mosaic_monitor::RequestOutcome::Error
    };
    core.metrics
        .beacon_request("attestation_data", started.elapsed(), outcome);
    match result {
        Ok(data) => Some(data),
        Err(error) => {
            core.tracker
                .failed(Duty::new(slot, DutyType::Attester), "fetch");
            tracing::warn!(slot, committee, %error, "attestation data fetch failed");
            None
        }
    }
}

async fn aggregate<P: Preset>(
    core: &Core<P>,
    slot: Slot,
    attesters: &[(PublicKey, mosaic_beacon::AttesterDuty)],
) {
    let duty = Duty::new(slot, DutyType::Aggregator);
    sleep_until(core.chain.slot_start(slot) + core.chain.slot_duration * 2 / 3).await;
    let fork = core.chain.fork_at_epoch(core.chain.epoch_of(slot));
    // Each validator waits for its selection proof and fetches its aggregate on its own, all at
    // once: one slow validator does not hold back the others' requests.
    let fetched = futures_util::future::join_all(
        attesters
            .iter()
            .map(|(pubkey, attester)| aggregate_of(core, slot, fork, *pubkey, attester)),
    )
    .await;
    let mut set = UnsignedDataSet::new(DutyType::Aggregator);
    set.data.extend(fetched.into_iter().flatten());
    if !set.data.is_empty() {
        core.propose(duty, &set).await;
    }
}

/// The aggregate `pubkey` proposes for its attester duty at `slot`: none if the cluster's
/// selection proof did not come within a sixth of the slot or does not select it (nothing to
/// do), or if the data or the aggregate is missing (counted against the duty and logged).
async fn aggregate_of<P: Preset>(
    core: &Core<P>,
    slot: Slot,
    fork: ForkName,
    pubkey: PublicKey,
    attester: &mosaic_beacon::AttesterDuty,
) -> Option<(PublicKey, UnsignedData<P>)> {
    let duty = Duty::new(slot, DutyType::Aggregator);
    let selection_duty = Duty::new(slot, DutyType::PrepareAggregator);
    // Without the cluster's selection proof (the validator client did not ask for one or too
    // few operators did), this validator cannot aggregate.
    let proof = match tokio::time::timeout(
        core.chain.slot_duration / 6,
        core.sigpipe.await_aggregate(selection_duty, pubkey, None),
    )
    .await
    {
        Ok(SignedData::BeaconCommitteeSelection(selection)) => selection.selection_proof,
        _ => return None,
    };
    if !is_aggregator(
        attester.committee_length,
        core.chain.target_aggregators_per_committee,
        &proof.0,
    ) {
        return None;
    }
    core.tracker.expect(duty, &pubkey);
    let Some(data) = core.dutydb.attestation_data(slot, attester.committee_index) else {
        core.tracker.failed(duty, "no_attestation_data");
        return None;
    };
    let data_root = tree_hash::TreeHash::tree_hash_root(&data).into();
    let fetched = if fork >= ForkName::Electra {
        core.client
            .aggregate_attestation(slot, data_root, attester.committee_index)
            .await
    } else {
        core.client
            .aggregate_attestation_v1(slot, data_root)
            .await
            .map(|a| phase0_versioned(fork, a))
    };
    match fetched {
        Ok(attestation) => Some((
            pubkey,
            UnsignedData::AggregatedAttestation(Box::new(attestation)),
        )),
        Err(error) => {
            core.tracker.failed(duty, "fetch");
            tracing::warn!(%duty, validator = %short(&pubkey), %error, "aggregate fetch failed");
            None
        }
    }
}

fn phase0_versioned<P: Preset>(
    fork: ForkName,
    attestation: mosaic_types::consensus::phase0::Attestation<P>,
) -> mosaic_types::consensus::versioned::Attestation<P> {
    use mosaic_types::consensus::versioned::Attestation as A;
    match fork {
        ForkName::Phase0 => A::Phase0(attestation),
        ForkName::Altair => A::Altair(attestation),
        ForkName::Bellatrix => A::Bellatrix(attestation),
        ForkName::Capella => A::Capella(attestation),
        _ => A::Deneb(attestation),
    }
}

async fn contribute<P: Preset>(
    core: &Core<P>,
    slot: Slot,
    members: &[(PublicKey, mosaic_beacon::SyncDuty)],
) {
    let duty = Duty::new(slot, DutyType::SyncContribution);
    let selection_duty = Duty::new(slot, DutyType::PrepareSyncContribution);
    let message_duty = Duty::new(slot, DutyType::SyncMessage);
    sleep_until(core.chain.slot_start(slot) + core.chain.slot_duration * 2 / 3).await;
    let subcommittee_size = core.chain.sync_subcommittee_size().max(1);
    let mut set = UnsignedDataSet::new(DutyType::SyncContribution);
    for (pubkey, member) in members {
        let mut subcommittees: Vec<u64> = member
            .validator_sync_committee_indices
            .iter()
            .map(|index| index / subcommittee_size)
            .collect();
        subcommittees.sort_unstable();
        subcommittees.dedup();
        // The block root the cluster's sync message signed.
        let message = match tokio::time::timeout(
            core.chain.slot_duration / 6,
            core.sigpipe.await_aggregate(message_duty, *pubkey, None),
        )
        .await
        {
            Ok(SignedData::SyncMessage(message)) => message,
            _ => continue,
        };
        let mut contributions = Vec::new();
        for subcommittee in subcommittees {
            let selection_root = selection_message_root(slot, subcommittee);
            let proof = match tokio::time::timeout(
                Duration::from_millis(50),
                core.sigpipe
                    .await_aggregate(selection_duty, *pubkey, Some(selection_root)),
            )
            .await
            {
                Ok(SignedData::SyncCommitteeSelection(selection)) => selection.selection_proof,
                _ => continue,
            };
            if !is_sync_committee_aggregator(&core.chain, &proof.0) {
                continue;
            }
            core.tracker.expect(duty, pubkey);
            match core
                .client
                .sync_committee_contribution(slot, subcommittee, message.beacon_block_root)
                .await
            {
                Ok(contribution) => contributions.push(contribution),
                Err(error) => {
                    core.tracker.failed(duty, "fetch");
                    tracing::warn!(%duty, subcommittee, %error, "contribution fetch failed");
                }
            }
        }
        if !contributions.is_empty() {
            set.data
                .insert(*pubkey, UnsignedData::SyncContributions(contributions));
        }
    }
    if !set.data.is_empty() {
        core.propose(duty, &set).await;
    }
}

fn selection_message_root(slot: Slot, subcommittee_index: u64) -> mosaic_types::Root {
    tree_hash::TreeHash::tree_hash_root(
        &mosaic_types::consensus::altair::SyncAggregatorSelectionData {
            slot,
            subcommittee_index,
        },
    )
    .into()
}

/// Submits the lock's pre-signed builder registrations once per epoch (spec:
/// duty-scheduling.md "Builder Registration"), when the builder API is enabled.
async fn submit_registrations<P: Preset>(core: &Core<P>, epoch: Epoch) {
    if core.registrations.is_empty() {
        return;
    }
    // Three quarters into the epoch's first slot, away from the slot's duties.
    let first = core.chain.first_slot(epoch);
    sleep_until(core.chain.slot_start(first) + core.chain.slot_duration * 3 / 4).await;
    if let Err(error) = core.client.register_validators(&core.registrations).await {
        tracing::warn!(epoch, %error, "builder registrations not submitted");
    }
}
