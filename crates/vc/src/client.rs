//! [`ValidatorClient`]: start-up (genesis, spec, validator indices), the slot loop and the
//! per-slot scheduling of duties.

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use mosaic_beacon::{BeaconClient, StateId, ValidatorId};
use mosaic_crypto::bls::PublicKey;
use mosaic_types::consensus::Preset;
use mosaic_types::{BlsPubkey, BlsSignature, Epoch, ExecutionAddress, Root, Slot};
use tokio::task::JoinSet;
use tracing::{debug, info, warn};

use crate::chain::{instant_at_ms, sleep_until_ms, ChainSpec};
use crate::duties::{DutyCache, RootedDuties, Update};
use crate::keys::Validators;
use crate::stats::{DutyKind, Tally, VcStats};
use crate::{SigningGuard, VcConfig, VcError};

/// A Beacon-API validator client for a set of keys, generic over the consensus [`Preset`].
///
/// It performs every duty of its validators against the configured beacon node(s): block
/// proposals (v3 production with v2 and blinded v1 fallbacks), attestations, aggregation (with
/// the distributed-validator `beacon_committee_selections` endpoint when the node serves it),
/// sync committee messages and contributions (with `sync_committee_selections`), proposer
/// preparation, builder registrations and subnet subscriptions. Each duty runs in its own task
/// with a deadline; a failure is logged and counted in [`VcStats`], never fatal.
pub struct ValidatorClient<P: Preset> {
    inner: Arc<Inner<P>>,
}

impl<P: Preset> std::fmt::Debug for ValidatorClient<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ValidatorClient")
            .field("beacon", &self.inner.beacon)
            .field("validators", &self.inner.validators.pubkeys().count())
            .finish_non_exhaustive()
    }
}

/// State shared by every task of the client.
pub(crate) struct Inner<P: Preset> {
    pub(crate) beacon: BeaconClient<P>,
    pub(crate) chain: ChainSpec,
    pub(crate) validators: Validators,
    pub(crate) guard: Arc<dyn SigningGuard>,
    pub(crate) stats: Arc<VcStats>,
    pub(crate) fee_recipient: ExecutionAddress,
    pub(crate) gas_limit: u64,
    pub(crate) builder: bool,
    pub(crate) graffiti: Option<Root>,
    pub(crate) selection: crate::config::DutySelection,
    duties: Mutex<DutyCache>,
    /// Whether the node may serve the distributed-validator selection endpoints (cleared
    /// after a 501/404/405).
    pub(crate) beacon_selections: AtomicBool,
    /// As `beacon_selections`, for sync committee selections.
    pub(crate) sync_selections: AtomicBool,
    pub(crate) registrations: Mutex<Vec<mosaic_types::SignedValidatorRegistrationV1>>,
    /// The beacon node's latest head, from its `head` events (see [`crate::head`]).
    pub(crate) heads: tokio::sync::watch::Sender<Option<crate::head::Head>>,
}

impl<P: Preset> ValidatorClient<P> {
    /// Connects to the beacon node(s): reads genesis and the spec, and resolves the validator
    /// indices of the configured keys (keys not in the registry yet are retried every epoch).
    pub async fn new(config: VcConfig, guard: Arc<dyn SigningGuard>) -> Result<Self, VcError> {
        if config.beacon_urls.is_empty() {
            return Err(VcError::NoBeaconNodes);
        }
        let validators = Validators::new(config.keys)?;
        let beacon = BeaconClient::<P>::new(&config.beacon_urls, config.client_config)
            .map_err(VcError::beacon("building the beacon client"))?;
        let genesis = beacon
            .genesis()
            .await
            .map_err(VcError::beacon("reading genesis"))?;
        let spec = beacon
            .spec()
            .await
            .map_err(VcError::beacon("reading the chain spec"))?;
        let chain = ChainSpec::from_api::<P>(&genesis, &spec)?;
        let inner = Arc::new(Inner {
            beacon,
            chain,
            validators,
            guard,
            stats: Arc::new(VcStats::default()),
            fee_recipient: config.fee_recipient,
            gas_limit: config.gas_limit,
            builder: config.builder,
            graffiti: config.graffiti.map(Root),
            selection: config.duties,
            duties: Mutex::new(DutyCache::default()),
            beacon_selections: AtomicBool::new(true),
            sync_selections: AtomicBool::new(true),
            registrations: Mutex::new(Vec::new()),
            heads: tokio::sync::watch::Sender::new(None),
        });
        inner.resolve_indices().await?;
        info!(
            validators = inner.validators.pubkeys().count(),
            resolved = inner.validators.indices().len(),
            slot_ms = inner.chain.slot_ms,
            slots_per_epoch = inner.chain.slots_per_epoch(),
            "validator client ready"
        );
        Ok(Self { inner })
    }

    /// The duty counters (shared: they keep counting while the client runs).
    pub fn stats(&self) -> Arc<VcStats> {
        Arc::clone(&self.inner.stats)
    }

    /// Signs a voluntary exit of `pubkey` at `epoch` and submits it.
    pub async fn exit(&self, pubkey: &PublicKey, epoch: Epoch) -> Result<(), VcError> {
        self.inner.exit(pubkey, epoch).await
    }

    /// Performs duties slot by slot until `shutdown` completes; then stops every duty in
    /// flight and returns.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) -> Result<(), VcError> {
        let inner = self.inner;
        tokio::pin!(shutdown);
        let mut slots: JoinSet<()> = JoinSet::new();
        let mut slot = inner.chain.current_slot().unwrap_or(0);
        let mut last_epoch: Option<Epoch> = None;
        // Never ends: stopped with the slots' tasks.
        slots.spawn(Arc::clone(&inner).follow_heads());
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                () = sleep_until_ms(inner.chain.slot_start_ms(slot)) => {}
            }
            if let Some(now) = inner.chain.current_slot() {
                if now > slot {
                    warn!(
                        from = slot,
                        to = now,
                        "validator client fell behind; skipping slots"
                    );
                    slot = now;
                }
            }
            let epoch = inner.chain.epoch_of(slot);
            let new_epoch = last_epoch != Some(epoch);
            last_epoch = Some(epoch);
            while slots.try_join_next().is_some() {}
            slots.spawn(Arc::clone(&inner).on_slot(slot, new_epoch));
            slot += 1;
        }
        slots.abort_all();
        while slots.join_next().await.is_some() {}
        info!("validator client stopped");
        Ok(())
    }
}

/// Signature batches up to this size are made on the async thread itself.
const INLINE_SIGNATURES: usize = 4;

/// Whether a beacon node error means the endpoint does not exist there (so an older or
/// alternative endpoint should be tried).
pub(crate) fn endpoint_missing(error: &mosaic_beacon::Error) -> bool {
    error.is_not_implemented() || matches!(error.status(), Some(404 | 405))
}

/// The positions of the items of a submitted list the node rejected, if it said which.
fn rejected_items(error: &mosaic_beacon::Error) -> Option<BTreeSet<u64>> {
    match error {
        mosaic_beacon::Error::Status { failures, .. } if !failures.is_empty() => {
            Some(failures.iter().map(|f| f.index).collect())
        }
        mosaic_beacon::Error::AllNodesFailed { errors, .. } => {
            errors.iter().find_map(rejected_items)
        }
        _ => None,
    }
}

impl<P: Preset> Inner<P> {
    fn cache(&self) -> MutexGuard<'_, DutyCache> {
        self.duties
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Signs each `(validator, signing root)`; `None` for a key this client does not hold.
    /// Batches beyond a few signatures are signed on the blocking pool so that BLS work never
    /// stalls the async runtime (the client may share it with a whole node).
    pub(crate) async fn sign_all(
        self: &Arc<Self>,
        requests: Vec<(BlsPubkey, Root)>,
    ) -> Vec<Option<BlsSignature>> {
        if requests.len() <= INLINE_SIGNATURES {
            return self.validators.sign_all(&requests);
        }
        let count = requests.len();
        let this = Arc::clone(self);
        match tokio::task::spawn_blocking(move || this.validators.sign_all(&requests)).await {
            Ok(signatures) => signatures,
            Err(error) => {
                warn!(%error, count, "signing task failed");
                vec![None; count]
            }
        }
    }

    /// Counts the outcome of submitting `count` items of `tally`'s kind in one request.
    pub(crate) fn record_submission(
        &self,
        tally: &Tally,
        slot: Slot,
        count: usize,
        result: Result<(), mosaic_beacon::Error>,
    ) {
        let kind = tally.kind();
        let count = count as u64;
        match result {
            Ok(()) => {
                tally.submitted(count);
                debug!(%kind, slot, count, "submitted");
            }
            Err(error) => {
                let failed = rejected_items(&error)
                    .map_or(count, |rejected| rejected.range(..count).count() as u64);
                tally.failed(failed);
                tally.submitted(count - failed);
                warn!(%kind, slot, failed, count, %error, "submission rejected");
            }
        }
    }

    /// Looks up the registry indices of keys without one.
    pub(crate) async fn resolve_indices(&self) -> Result<(), VcError> {
        let unresolved: Vec<ValidatorId> = self
            .validators
            .unresolved()
            .into_iter()
            .map(ValidatorId::Pubkey)
            .collect();
        if unresolved.is_empty() {
            return Ok(());
        }
        let answer = self
            .beacon
            .validators(StateId::Head, &unresolved, &[])
            .await
            .map_err(VcError::beacon("resolving validator indices"))?;
        for validator in answer.data {
            self.validators
                .set_index(&validator.validator.pubkey, validator.index);
        }
        let missing = self.validators.unresolved();
        if !missing.is_empty() {
            warn!(
                count = missing.len(),
                "validators not in the beacon chain registry yet"
            );
        }
        Ok(())
    }

    /// Everything of one slot: duties refresh, then each duty in its own task.
    async fn on_slot(self: Arc<Self>, slot: Slot, new_epoch: bool) {
        let epoch = self.chain.epoch_of(slot);
        let mut tasks: JoinSet<()> = JoinSet::new();
        if new_epoch {
            if let Err(error) = self.resolve_indices().await {
                warn!(%error, "cannot resolve validator indices");
            }
        }
        self.ensure_duties(slot).await;
        if new_epoch {
            tasks.spawn(Arc::clone(&self).epoch_tasks(epoch));
        }
        let slot_end = instant_at_ms(self.chain.slot_start_ms(slot + 1));
        let (proposers, attesters, sync) = {
            let cache = self.cache();
            (
                cache.proposers_at(epoch, slot),
                cache.attesters_at(epoch, slot),
                // A sync committee message at `slot` is included in the block at `slot + 1`
                // and verified against that block's sync committee: at the last slot of a
                // period the next period's committee signs (`compute_subnets_for_sync_committee`).
                cache.sync_of(self.chain.epoch_of(slot + 1)),
            )
        };
        let signs_own = self.selection.signs_own_duties();
        let proposers = if signs_own { proposers } else { Vec::new() };
        let proposing: Vec<_> = proposers.iter().map(|duty| duty.pubkey).collect();
        // Slot 0 holds the genesis block: nobody proposes there.
        for duty in proposers.into_iter().filter(|_| slot > 0) {
            let this = Arc::clone(&self);
            tasks.spawn(async move {
                let tally = Tally::new(&this.stats, DutyKind::Proposal, 1);
                this.with_deadline(slot, slot_end, &tally, this.propose(slot, duty, &tally))
                    .await;
            });
        }
        if !attesters.is_empty() {
            let (data_tx, data_rx) = tokio::sync::watch::channel(None);
            let this = Arc::clone(&self);
            let duties = attesters.clone();
            tasks.spawn(async move {
                let expected = if signs_own { duties.len() as u64 } else { 0 };
                let tally = Tally::new(&this.stats, DutyKind::Attestation, expected);
                let work = this.attest(slot, duties, data_tx, &tally);
                this.with_deadline(slot, slot_end, &tally, work).await;
            });
            let this = Arc::clone(&self);
            tasks.spawn(async move {
                let tally = Tally::new(&this.stats, DutyKind::Aggregation, 0);
                let work = this.aggregate(slot, attesters, data_rx, &tally);
                this.with_deadline(slot, slot_end, &tally, work).await;
            });
        }
        if !sync.is_empty() && self.chain.fork_at_slot(slot) >= mosaic_types::ForkName::Altair {
            let (root_tx, root_rx) = tokio::sync::watch::channel(None);
            let this = Arc::clone(&self);
            let duties = sync.clone();
            tasks.spawn(async move {
                let expected = if signs_own { duties.len() as u64 } else { 0 };
                let tally = Tally::new(&this.stats, DutyKind::SyncMessage, expected);
                let work = this.sync_messages(slot, duties, root_tx, &tally);
                this.with_deadline(slot, slot_end, &tally, work).await;
            });
            let this = Arc::clone(&self);
            tasks.spawn(async move {
                let tally = Tally::new(&this.stats, DutyKind::SyncContribution, 0);
                let work = this.sync_contributions(slot, sync, root_rx, &tally);
                this.with_deadline(slot, slot_end, &tally, work).await;
            });
        }
        let this = Arc::clone(&self);
        tasks.spawn(async move {
            this.refresh_duties(slot).await;
            // Next epoch's proposers are fetched in the last slot of this one, possibly before
            // that slot's block (their dependent root) was known: when the refresh at the
            // epoch's start replaced them, a proposal of this very slot may only show now.
            let late: Vec<_> = this
                .cache()
                .proposers_at(epoch, slot)
                .into_iter()
                .filter(|duty| signs_own && slot > 0 && !proposing.contains(&duty.pubkey))
                .collect();
            for duty in late {
                info!(slot, "proposal found after a duty refresh");
                let tally = Tally::new(&this.stats, DutyKind::Proposal, 1);
                this.with_deadline(slot, slot_end, &tally, this.propose(slot, duty, &tally))
                    .await;
            }
        });
        while tasks.join_next().await.is_some() {}
    }

    /// Runs a duty task until `deadline`; what is still open then counts as failed.
    async fn with_deadline(
        &self,
        slot: Slot,
        deadline: tokio::time::Instant,
        tally: &Tally,
        work: impl Future<Output = ()>,
    ) {
        if tokio::time::timeout_at(deadline, work).await.is_err() {
            let open = tally.expire();
            warn!(kind = %tally.kind(), slot, open, "duty missed its deadline");
        }
    }

    /// Fetches the duties `slot` needs now if they are not cached: attester and proposer
    /// duties of its epoch, sync duties of the epoch of `slot + 1`.
    async fn ensure_duties(self: &Arc<Self>, slot: Slot) {
        let epoch = self.chain.epoch_of(slot);
        let sync_epoch = self.chain.epoch_of(slot + 1);
        let (has_epoch, has_sync) = {
            let cache = self.cache();
            (cache.has_epoch(epoch), cache.has_sync(sync_epoch))
        };
        if !has_epoch {
            tokio::join!(
                self.fetch_attesters(epoch),
                self.fetch_proposers(epoch, true)
            );
        }
        if !has_sync {
            self.fetch_sync(sync_epoch).await;
        }
        self.cache().prune_before(epoch.saturating_sub(1));
    }

    /// Re-fetches duties in the background of a slot: attester duties of this and the next
    /// epoch and proposer duties of this epoch (replaced when their dependent root changed),
    /// proposer duties of the next epoch in the last slot, and sync duties of the next epoch.
    async fn refresh_duties(self: &Arc<Self>, slot: Slot) {
        let epoch = self.chain.epoch_of(slot);
        let last_slot = slot + 1 == self.chain.first_slot(epoch + 1);
        let next_sync_missing = !self.cache().has_sync(epoch + 1);
        tokio::join!(
            self.fetch_attesters(epoch),
            self.fetch_attesters(epoch + 1),
            self.fetch_proposers(epoch, true),
            async {
                if last_slot {
                    self.fetch_proposers(epoch + 1, false).await;
                }
            },
            async {
                if next_sync_missing {
                    self.fetch_sync(epoch + 1).await;
                }
            }
        );
    }

    async fn fetch_attesters(self: &Arc<Self>, epoch: Epoch) {
        let indices = self.validators.indices();
        if indices.is_empty() {
            return;
        }
        match self.beacon.attester_duties(epoch, &indices).await {
            Ok(answer) => {
                let duties: Vec<_> = answer
                    .data
                    .into_iter()
                    .filter(|d| self.validators.by_index(d.validator_index).is_some())
                    .collect();
                let count = duties.len();
                let update = self.cache().set_attesters(
                    epoch,
                    RootedDuties {
                        dependent_root: answer.dependent_root,
                        duties: duties.clone(),
                    },
                );
                match update {
                    Update::Unchanged => {}
                    Update::New => {
                        debug!(epoch, count, "attester duties");
                        self.subscribe_ahead(&duties).await;
                    }
                    Update::Replaced => {
                        info!(epoch, count, "attester duties changed (dependent root)");
                        self.subscribe_ahead(&duties).await;
                    }
                }
            }
            Err(error) => warn!(epoch, %error, "cannot fetch attester duties"),
        }
    }

    async fn fetch_proposers(&self, epoch: Epoch, warn_on_error: bool) {
        match self.beacon.proposer_duties(epoch).await {
            Ok(answer) => {
                let duties: Vec<_> = answer
                    .data
                    .into_iter()
                    .filter(|d| {
                        self.validators
                            .by_index(d.validator_index)
                            .is_some_and(|key| key.pubkey == d.pubkey)
                    })
                    .collect();
                let count = duties.len();
                let update = self.cache().set_proposers(
                    epoch,
                    RootedDuties {
                        dependent_root: answer.dependent_root,
                        duties,
                    },
                );
                match update {
                    Update::Unchanged => {}
                    Update::New => debug!(epoch, count, "proposer duties"),
                    Update::Replaced => {
                        info!(epoch, count, "proposer duties changed (dependent root)")
                    }
                }
            }
            Err(error) if warn_on_error => warn!(epoch, %error, "cannot fetch proposer duties"),
            Err(error) => debug!(epoch, %error, "proposer duties not available yet"),
        }
    }

    async fn fetch_sync(&self, epoch: Epoch) {
        if self.chain.network.fork_at_epoch(epoch).0 < mosaic_types::ForkName::Altair {
            self.cache().set_sync(epoch, Vec::new());
            return;
        }
        let indices = self.validators.indices();
        if indices.is_empty() {
            return;
        }
        match self.beacon.sync_duties(epoch, &indices).await {
            Ok(answer) => {
                let duties: Vec<_> = answer
                    .data
                    .into_iter()
                    .filter(|d| self.validators.by_index(d.validator_index).is_some())
                    .collect();
                debug!(epoch, count = duties.len(), "sync committee duties");
                self.cache().set_sync(epoch, duties);
            }
            Err(error) => warn!(epoch, %error, "cannot fetch sync committee duties"),
        }
    }

    /// The sync duties of `epoch`.
    pub(crate) fn sync_duties_of(&self, epoch: Epoch) -> Vec<mosaic_beacon::SyncDuty> {
        self.cache().sync_of(epoch)
    }

    /// The key of `pubkey` with its index, resolving the index if needed.
    pub(crate) async fn key_and_index(
        &self,
        pubkey: &BlsPubkey,
    ) -> Result<(&crate::keys::ValidatorKey, u64), VcError> {
        if self.validators.by_pubkey(pubkey).is_none() {
            return Err(VcError::UnknownValidator { pubkey: *pubkey });
        }
        if let Some((key, Some(index))) = self.validators.by_pubkey(pubkey) {
            return Ok((key, index));
        }
        self.resolve_indices().await?;
        match self.validators.by_pubkey(pubkey) {
            Some((key, Some(index))) => Ok((key, index)),
            _ => Err(VcError::NoValidatorIndex { pubkey: *pubkey }),
        }
    }

    /// Whether the DV selection endpoint may be tried; `false` after the node said it has none.
    pub(crate) fn selections_supported(flag: &AtomicBool) -> bool {
        flag.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mosaic_beacon::{endpoint, Error, IndexedFailure};

    fn status(code: u16, failures: &[u64]) -> Error {
        Error::Status {
            endpoint: endpoint::POOL_ATTESTATIONS_V1,
            node: "http://bn".into(),
            status: code,
            message: "rejected".into(),
            failures: failures
                .iter()
                .map(|index| IndexedFailure {
                    index: *index,
                    message: "invalid signature".into(),
                })
                .collect(),
        }
    }

    #[test]
    fn missing_endpoints_are_404_405_and_501_only() {
        for code in [404, 405, 501] {
            assert!(endpoint_missing(&status(code, &[])), "{code}");
        }
        for code in [400, 500, 503] {
            assert!(!endpoint_missing(&status(code, &[])), "{code}");
        }
        let timeout = Error::Timeout {
            endpoint: endpoint::POOL_ATTESTATIONS_V1,
            node: "http://bn".into(),
            timeout: std::time::Duration::from_secs(1),
        };
        assert!(!endpoint_missing(&timeout));
    }

    #[test]
    fn rejected_items_come_from_the_failures_list() {
        assert_eq!(
            rejected_items(&status(400, &[2, 0])),
            Some(BTreeSet::from([0, 2]))
        );
        assert_eq!(
            rejected_items(&status(400, &[])),
            None,
            "no list: all failed"
        );
        let all = Error::AllNodesFailed {
            endpoint: endpoint::POOL_ATTESTATIONS_V1,
            errors: vec![status(503, &[]), status(400, &[1])],
        };
        assert_eq!(rejected_items(&all), Some(BTreeSet::from([1])));
    }
}
