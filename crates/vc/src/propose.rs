//! Block proposals: randao reveal, production (v3, falling back to blinded v1 and v2), the
//! signing guard, signature and publication (v2, falling back to v1).

use mosaic_beacon::{ProduceBlockRequest, ProducedBlockResponse, ProposerDuty};
use mosaic_types::consensus::signing::randao_signing_root;
use mosaic_types::consensus::{Preset, SignedObject};
use mosaic_types::{compute_signing_root, Slot};
use tracing::{debug, info, warn};

use crate::blocks::{into_signed, slot_and_proposer};
use crate::client::{endpoint_missing, Inner};
use crate::stats::Tally;

impl<P: Preset> Inner<P> {
    /// Produces a block, preferring v3; a node without v3 is asked for a blinded block (with a
    /// builder) or a full one (v2).
    async fn produce(
        &self,
        request: &ProduceBlockRequest,
    ) -> Result<ProducedBlockResponse<P>, mosaic_beacon::Error> {
        match self.beacon.produce_block(request).await {
            Err(error) if endpoint_missing(&error) => {
                debug!(
                    slot = request.slot,
                    "no block production v3; trying older endpoints"
                );
                if self.builder {
                    match self.beacon.produce_blinded_block(request).await {
                        Ok(block) => return Ok(block),
                        Err(error) => {
                            debug!(slot = request.slot, %error, "blinded block production failed")
                        }
                    }
                }
                self.beacon.produce_block_v2(request).await
            }
            other => other,
        }
    }

    /// Proposes the block of `duty` at `slot`.
    pub(crate) async fn propose(&self, slot: Slot, duty: ProposerDuty, tally: &Tally) {
        let Some(key) = self.validators.by_index(duty.validator_index) else {
            return;
        };
        let epoch = self.chain.epoch_of(slot);
        let randao_reveal = key.sign(randao_signing_root(
            epoch,
            self.chain.domain(SignedObject::Randao, epoch),
        ));
        let mut request = ProduceBlockRequest::new(slot, randao_reveal);
        request.graffiti = self.graffiti;
        // Without a builder ask for a local payload; with one let the node weigh the bids.
        request.builder_boost_factor = if self.builder { None } else { Some(0) };
        let produced = match self.produce(&request).await {
            Ok(produced) => produced,
            Err(error) => {
                warn!(slot, validator = duty.validator_index, %error, "block production failed");
                tally.failed(1);
                return;
            }
        };
        let (block_slot, proposer) = slot_and_proposer(&produced.block);
        if block_slot != slot || proposer != duty.validator_index {
            warn!(
                slot,
                block_slot,
                proposer,
                validator = duty.validator_index,
                "beacon node produced a block for another slot or proposer; not signing"
            );
            tally.failed(1);
            return;
        }
        let signing_root = compute_signing_root(
            produced.block.block_root(),
            self.chain.domain(SignedObject::Block, epoch),
        );
        if let Err(refusal) = self.guard.check_block(&key.public, slot, signing_root.0) {
            warn!(slot, validator = duty.validator_index, %refusal, "block refused by the signing guard");
            tally.refused(1);
            return;
        }
        let signature = key.sign(signing_root);
        tally.signed(1);
        let blinded = produced.blinded;
        let block = into_signed(produced.block, signature);
        let result = match self.beacon.publish_block(&block, None).await {
            Err(error) if endpoint_missing(&error) => self.beacon.publish_block_v1(&block).await,
            other => other,
        };
        if result.is_ok() {
            info!(
                slot,
                validator = duty.validator_index,
                blinded,
                "block published"
            );
        }
        self.record_submission(tally, slot, 1, result);
    }
}
