//! Sync committee messages (once the slot's block is in, at a third of the slot at the latest)
//! and contributions (selection at the slot's start, contributions at two thirds).

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use mosaic_beacon::{BlockId, SyncCommitteeSelection, SyncDuty};
use mosaic_types::consensus::altair::{
    ContributionAndProof, SignedContributionAndProof, SyncAggregatorSelectionData,
    SyncCommitteeMessage,
};
use mosaic_types::consensus::signing::sync_committee_message_signing_root;
use mosaic_types::consensus::{Preset, SignedObject, SignedRoot};
use mosaic_types::{BlsPubkey, BlsSignature, Root, Slot};
use tokio::sync::watch;
use tracing::{info, warn};

use crate::chain::{instant_at_ms, sleep_until_ms};
use crate::client::{endpoint_missing, Inner};
use crate::head::block_of_slot;
use crate::selection::is_sync_committee_aggregator;
use crate::stats::Tally;

impl<P: Preset> Inner<P> {
    /// The head block root, or `None` (logged) if the node cannot say.
    async fn head_root(&self, slot: Slot) -> Option<Root> {
        match self.beacon.block_root(BlockId::Head).await {
            Ok(answer) => Some(answer.data),
            Err(error) => {
                warn!(slot, %error, "cannot fetch the head block root");
                None
            }
        }
    }

    /// Signs and submits the sync committee messages of `duties` as soon as `slot`'s block
    /// is the head, or at a third of `slot` with whatever the head is then.
    pub(crate) async fn sync_messages(
        self: &Arc<Self>,
        slot: Slot,
        duties: Vec<SyncDuty>,
        root_tx: watch::Sender<Option<Root>>,
        tally: &Tally,
    ) {
        let third = self.chain.slot_third_ms(slot, 1);
        let root = match block_of_slot(&self.heads, slot, instant_at_ms(third)).await {
            Some(root) => Some(root),
            None => {
                sleep_until_ms(third).await;
                self.head_root(slot).await
            }
        };
        let Some(root) = root else {
            tally.failed(duties.len() as u64);
            return;
        };
        root_tx.send_replace(Some(root));
        if !self.selection.signs_own_duties() {
            // The contributions need the root; another client signs the messages.
            return;
        }
        let domain = self.chain.domain(
            SignedObject::SyncCommitteeMessage,
            self.chain.epoch_of(slot),
        );
        let signing_root = sync_committee_message_signing_root(root, domain);
        let ours: Vec<(u64, BlsPubkey)> = duties
            .iter()
            .filter_map(|duty| {
                let key = self.validators.by_index(duty.validator_index)?;
                Some((duty.validator_index, key.pubkey))
            })
            .collect();
        let signatures = self
            .sign_all(
                ours.iter()
                    .map(|(_, pubkey)| (*pubkey, signing_root))
                    .collect(),
            )
            .await;
        let messages: Vec<SyncCommitteeMessage> = ours
            .iter()
            .zip(signatures)
            .filter_map(|((validator_index, _), signature)| {
                Some(SyncCommitteeMessage {
                    slot,
                    beacon_block_root: root,
                    validator_index: *validator_index,
                    signature: signature?,
                })
            })
            .collect();
        if messages.is_empty() {
            return;
        }
        tally.failed(ours.len().saturating_sub(messages.len()) as u64);
        tally.signed(messages.len() as u64);
        let result = self.beacon.submit_sync_committee_messages(&messages).await;
        self.record_submission(tally, slot, messages.len(), result);
    }

    /// Selection proofs per (validator, subcommittee), aggregated by a distributed-validator
    /// node if it serves `sync_committee_selections`, else this client's own.
    async fn sync_selection_proofs(
        self: &Arc<Self>,
        slot: Slot,
        duties: &[SyncDuty],
    ) -> HashMap<(u64, u64), BlsSignature> {
        let domain = self
            .chain
            .domain(SignedObject::SyncSelectionProof, self.chain.epoch_of(slot));
        let size = self.chain.sync_subcommittee_size();
        let mut wanted = Vec::new();
        for duty in duties {
            let Some(key) = self.validators.by_index(duty.validator_index) else {
                continue;
            };
            let subcommittees: BTreeSet<u64> = duty
                .validator_sync_committee_indices
                .iter()
                .map(|position| position / size)
                .collect();
            for subcommittee_index in subcommittees {
                let data = SyncAggregatorSelectionData {
                    slot,
                    subcommittee_index,
                };
                wanted.push((
                    duty.validator_index,
                    subcommittee_index,
                    key.pubkey,
                    data.signing_root(domain),
                ));
            }
        }
        let proofs = self
            .sign_all(
                wanted
                    .iter()
                    .map(|(_, _, pubkey, root)| (*pubkey, *root))
                    .collect(),
            )
            .await;
        let own: Vec<SyncCommitteeSelection> = wanted
            .iter()
            .zip(proofs)
            .filter_map(|((validator_index, subcommittee_index, _, _), proof)| {
                Some(SyncCommitteeSelection {
                    validator_index: *validator_index,
                    slot,
                    subcommittee_index: *subcommittee_index,
                    selection_proof: proof?,
                })
            })
            .collect();
        let own_proofs = own
            .iter()
            .map(|s| ((s.validator_index, s.subcommittee_index), s.selection_proof))
            .collect();
        if own.is_empty() || !Self::selections_supported(&self.sync_selections) {
            return own_proofs;
        }
        match self.beacon.sync_committee_selections(&own).await {
            Ok(aggregated) => aggregated
                .into_iter()
                .filter(|s| s.slot == slot)
                .map(|s| ((s.validator_index, s.subcommittee_index), s.selection_proof))
                .collect(),
            Err(error) if endpoint_missing(&error) => {
                self.sync_selections
                    .store(false, std::sync::atomic::Ordering::Relaxed);
                info!("beacon node has no sync_committee_selections; using own selection proofs");
                own_proofs
            }
            Err(error) => {
                warn!(slot, %error, "sync_committee_selections failed; using own selection proofs");
                own_proofs
            }
        }
    }

    /// Sync committee contributions of `duties` at `slot`.
    pub(crate) async fn sync_contributions(
        self: &Arc<Self>,
        slot: Slot,
        duties: Vec<SyncDuty>,
        root_rx: watch::Receiver<Option<Root>>,
        tally: &Tally,
    ) {
        let proofs = self.sync_selection_proofs(slot, &duties).await;
        let mut aggregators: Vec<((u64, u64), BlsSignature)> = proofs
            .into_iter()
            .filter(|(_, proof)| is_sync_committee_aggregator(&self.chain, &proof.0))
            .collect();
        tally.expect(aggregators.len() as u64);
        if aggregators.is_empty() {
            return;
        }
        aggregators.sort_by_key(|(id, _)| *id);
        sleep_until_ms(self.chain.slot_third_ms(slot, 2)).await;
        let shared = *root_rx.borrow();
        let root = match shared {
            Some(root) => root,
            None => match self.head_root(slot).await {
                Some(root) => root,
                None => {
                    tally.failed(aggregators.len() as u64);
                    return;
                }
            },
        };
        let domain = self.chain.domain(
            SignedObject::ContributionAndProof,
            self.chain.epoch_of(slot),
        );
        let fetches = aggregators
            .iter()
            .map(|((validator, subcommittee), proof)| async move {
                let contribution = self
                    .beacon
                    .sync_committee_contribution(slot, *subcommittee, root)
                    .await;
                (*validator, *subcommittee, *proof, contribution)
            });
        let mut unsigned = Vec::new();
        for (validator, subcommittee, selection_proof, contribution) in
            futures_util::future::join_all(fetches).await
        {
            let contribution = match contribution {
                Ok(contribution) => contribution,
                Err(error) => {
                    warn!(slot, subcommittee, %error, "cannot fetch the sync committee contribution");
                    tally.failed(1);
                    continue;
                }
            };
            let Some(key) = self.validators.by_index(validator) else {
                continue;
            };
            let message = ContributionAndProof {
                aggregator_index: validator,
                contribution,
                selection_proof,
            };
            let root = message.signing_root(domain);
            unsigned.push((message, key.pubkey, root));
        }
        let signatures = self
            .sign_all(
                unsigned
                    .iter()
                    .map(|(_, pubkey, root)| (*pubkey, *root))
                    .collect(),
            )
            .await;
        let signed: Vec<SignedContributionAndProof<P>> = unsigned
            .into_iter()
            .zip(signatures)
            .filter_map(|((message, _, _), signature)| {
                Some(SignedContributionAndProof {
                    message,
                    signature: signature?,
                })
            })
            .collect();
        if signed.is_empty() {
            return;
        }
        tally.signed(signed.len() as u64);
        let result = self.beacon.submit_contribution_and_proofs(&signed).await;
        self.record_submission(tally, slot, signed.len(), result);
    }
}
