//! Once-per-epoch work (proposer preparation, builder registrations, sync committee
//! subscriptions) and voluntary exits.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use mosaic_beacon::{ProposerPreparation, SyncCommitteeSubscription};
use mosaic_crypto::bls::PublicKey;
use mosaic_types::consensus::phase0::{SignedVoluntaryExit, VoluntaryExit};
use mosaic_types::consensus::{Preset, SignedObject, SignedRoot};
use mosaic_types::{BlsPubkey, Epoch, SignedValidatorRegistrationV1, ValidatorRegistrationV1};
use tracing::{info, warn};

use crate::client::Inner;
use crate::stats::{DutyKind, Tally};
use crate::VcError;

impl<P: Preset> Inner<P> {
    /// Proposer preparation, builder registrations and sync subscriptions of `epoch`, within
    /// the epoch.
    pub(crate) async fn epoch_tasks(self: Arc<Self>, epoch: Epoch) {
        let epoch_ms = self.chain.slot_ms * self.chain.slots_per_epoch();
        let deadline = crate::chain::instant_at_ms(
            self.chain
                .slot_start_ms(self.chain.first_slot(epoch))
                .saturating_add(epoch_ms),
        );
        let signs_own = self.selection.signs_own_duties();
        let work = async {
            tokio::join!(
                async {
                    if signs_own {
                        self.prepare_proposers().await;
                    }
                },
                async {
                    if signs_own {
                        self.register(epoch).await;
                    }
                },
                self.subscribe_sync(epoch)
            )
        };
        if tokio::time::timeout_at(deadline, work).await.is_err() {
            warn!(epoch, "epoch tasks missed their deadline");
        }
    }

    async fn prepare_proposers(&self) {
        let preparations: Vec<ProposerPreparation> = self
            .validators
            .indices()
            .into_iter()
            .map(|validator_index| ProposerPreparation {
                validator_index,
                fee_recipient: self.fee_recipient,
            })
            .collect();
        if preparations.is_empty() {
            return;
        }
        if let Err(error) = self.beacon.prepare_beacon_proposer(&preparations).await {
            warn!(%error, "prepare_beacon_proposer failed");
        }
    }

    /// Signs the builder registrations once and sends them every epoch.
    async fn register(self: &Arc<Self>, epoch: Epoch) {
        if !self.builder {
            return;
        }
        let tally = Tally::new(&self.stats, DutyKind::Registration, 0);
        let cached = self
            .registrations
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        let registrations = if cached.is_empty() {
            let timestamp = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |elapsed| elapsed.as_secs());
            let domain = self.chain.domain(SignedObject::BuilderRegistration, epoch);
            let messages: Vec<ValidatorRegistrationV1> = self
                .validators
                .pubkeys()
                .map(|pubkey| ValidatorRegistrationV1 {
                    fee_recipient: self.fee_recipient,
                    gas_limit: self.gas_limit,
                    timestamp,
                    pubkey,
                })
                .collect();
            let requests = messages
                .iter()
                .map(|m| (m.pubkey, SignedRoot::signing_root(m, domain)))
                .collect();
            let signed: Vec<SignedValidatorRegistrationV1> = messages
                .into_iter()
                .zip(self.sign_all(requests).await)
                .filter_map(|(message, signature)| {
                    Some(SignedValidatorRegistrationV1 {
                        message,
                        signature: signature?,
                    })
                })
                .collect();
            tally.signed(signed.len() as u64);
            *self
                .registrations
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()) = signed.clone();
            signed
        } else {
            cached
        };
        let result = self.beacon.register_validators(&registrations).await;
        tally.expect(registrations.len() as u64);
        self.record_submission(
            &tally,
            self.chain.first_slot(epoch),
            registrations.len(),
            result,
        );
    }

    async fn subscribe_sync(&self, epoch: Epoch) {
        let until_epoch = self.chain.next_sync_period_start(epoch);
        let subscriptions: Vec<SyncCommitteeSubscription> = self
            .sync_duties_of(epoch)
            .into_iter()
            .map(|duty| SyncCommitteeSubscription {
                validator_index: duty.validator_index,
                sync_committee_indices: duty.validator_sync_committee_indices,
                until_epoch,
            })
            .collect();
        if subscriptions.is_empty() {
            return;
        }
        if let Err(error) = self.beacon.subscribe_sync_committees(&subscriptions).await {
            warn!(%error, "sync committee subscription failed");
        }
    }

    /// Signs and submits a voluntary exit of `pubkey` at `epoch`.
    pub(crate) async fn exit(&self, pubkey: &PublicKey, epoch: Epoch) -> Result<(), VcError> {
        let kind = DutyKind::Exit;
        let pubkey = BlsPubkey(pubkey.to_bytes());
        let (key, validator_index) = self.key_and_index(&pubkey).await?;
        let message = VoluntaryExit {
            epoch,
            validator_index,
        };
        let signature =
            key.sign(message.signing_root(self.chain.domain(SignedObject::VoluntaryExit, epoch)));
        self.stats.add_signed(kind, 1);
        let exit = SignedVoluntaryExit { message, signature };
        match self.beacon.submit_voluntary_exit(&exit).await {
            Ok(()) => {
                self.stats.add_submitted(kind, 1);
                info!(
                    validator = validator_index,
                    epoch, "voluntary exit submitted"
                );
                Ok(())
            }
            Err(source) => {
                self.stats.add_failed(kind, 1);
                Err(VcError::Beacon {
                    what: "submitting a voluntary exit",
                    source,
                })
            }
        }
    }
}
