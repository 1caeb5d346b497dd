//! Blocks of the consensus containers: assembling a proposal (capella to fulu, full or blinded)
//! from a fork-independent [`BlockPlan`], and reading back what matters of a published block
//! ([`PublishedSummary`]).

use std::collections::BTreeMap;

use mosaic_crypto::bls::{self, Signature};
use mosaic_types::consensus::versioned::{
    BeaconBlock, BlindedBeaconBlock, BlockContents, ProducedBlock, PublishedBlock,
    SignedBeaconBlock, SignedBlindedBeaconBlock, SignedBlockContents,
};
use mosaic_types::consensus::{
    altair, capella, deneb, electra, fulu, phase0, Preset as ConsensusPreset,
};
use mosaic_types::{BlsSignature, ForkName, Root};
use ssz_types::typenum::Unsigned;
use ssz_types::{BitList, BitVector, VariableList};
use tree_hash::TreeHash;

use crate::containers::{AttestationData, BeaconBlockHeader};
use crate::payload::SynthPayload;

/// The compressed G2 point at infinity: the signature of an empty aggregate, and the
/// `randao_reveal` a validator sends with `skip_randao_verification`.
pub const INFINITY_SIGNATURE: BlsSignature = {
    let mut bytes = [0u8; 96];
    bytes[0] = 0xc0;
    BlsSignature(bytes)
};

/// Why a block could not be built or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlockError {
    /// The simulator serves blocks from capella on.
    #[error("{fork} blocks are not served (the simulator runs capella to fulu)")]
    ForkNotServed {
        /// The fork.
        fork: ForkName,
    },
    /// A bitfield does not fit its SSZ type.
    #[error("{what}: {reason}")]
    Bits {
        /// Which bitfield.
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// Signatures could not be aggregated.
    #[error("aggregating {what}: {reason}")]
    Aggregate {
        /// What was aggregated.
        what: &'static str,
        /// Why.
        reason: String,
    },
}

/// One committee's aggregate from the attestation pool, fork-independent.
#[derive(Debug, Clone)]
pub struct PooledAggregate {
    /// The attestation data.
    pub data: AttestationData,
    /// The committee.
    pub committee_index: u64,
    /// The committee's size.
    pub committee_len: usize,
    /// Positions in the committee that signed.
    pub positions: Vec<usize>,
    /// Their aggregate signature.
    pub signature: Signature,
}

/// Everything a proposal is made of, independent of fork and preset.
#[derive(Debug, Clone)]
pub struct BlockPlan {
    /// `slot`.
    pub slot: u64,
    /// `proposer_index`.
    pub proposer_index: u64,
    /// `parent_root`: the head.
    pub parent_root: Root,
    /// `state_root` (synthetic, see [`crate::Chain::synthetic_state_root`]).
    pub state_root: Root,
    /// `randao_reveal` as given.
    pub randao_reveal: BlsSignature,
    /// `graffiti`.
    pub graffiti: Root,
    /// `eth1_data`.
    pub eth1_data: phase0::Eth1Data,
    /// Attestations to include (already selected; trimmed to the fork's limit here).
    pub attestations: Vec<PooledAggregate>,
    /// Sync committee positions that signed the parent root.
    pub sync_positions: Vec<usize>,
    /// Their aggregate signature ([`INFINITY_SIGNATURE`] when none).
    pub sync_signature: BlsSignature,
    /// The execution payload.
    pub payload: SynthPayload,
}

fn consensus_data(data: &AttestationData) -> phase0::AttestationData {
    phase0::AttestationData {
        slot: data.slot,
        index: data.index,
        beacon_block_root: data.beacon_block_root,
        source: phase0::Checkpoint {
            epoch: data.source.epoch,
            root: data.source.root,
        },
        target: phase0::Checkpoint {
            epoch: data.target.epoch,
            root: data.target.root,
        },
    }
}

fn bits_error(what: &'static str) -> impl Fn(ssz::BitfieldError) -> BlockError {
    move |e| BlockError::Bits {
        what,
        reason: format!("{e:?}"),
    }
}

/// The newest, fullest aggregates first.
fn by_value(aggregates: &[PooledAggregate]) -> Vec<&PooledAggregate> {
    let mut sorted: Vec<&PooledAggregate> = aggregates.iter().collect();
    sorted.sort_by(|a, b| {
        b.data
            .slot
            .cmp(&a.data.slot)
            .then(b.positions.len().cmp(&a.positions.len()))
            .then(a.committee_index.cmp(&b.committee_index))
    });
    sorted
}

/// Phase0-layout attestations (capella, deneb): one per committee aggregate, up to
/// `MAX_ATTESTATIONS`.
pub fn phase0_attestations<P: ConsensusPreset>(
    aggregates: &[PooledAggregate],
) -> Result<VariableList<phase0::Attestation<P>, P::MaxAttestations>, BlockError> {
    let mut out = Vec::new();
    for aggregate in by_value(aggregates)
        .into_iter()
        .take(P::MaxAttestations::to_usize())
    {
        let mut bits = BitList::with_capacity(aggregate.committee_len)
            .map_err(bits_error("aggregation_bits"))?;
        for position in &aggregate.positions {
            bits.set(*position, true)
                .map_err(bits_error("aggregation_bits"))?;
        }
        out.push(phase0::Attestation {
            aggregation_bits: bits,
            data: consensus_data(&aggregate.data),
            signature: BlsSignature(aggregate.signature.to_bytes()),
        });
    }
    VariableList::new(out).map_err(|e| BlockError::Bits {
        what: "attestations",
        reason: format!("{e:?}"),
    })
}

/// Electra-layout attestations: the committee aggregates of the same data merged into one
/// (`committee_bits` set for each, aggregation bits concatenated in committee order), up to
/// `MAX_ATTESTATIONS_ELECTRA`.
pub fn electra_attestations<P: ConsensusPreset>(
    aggregates: &[PooledAggregate],
) -> Result<VariableList<electra::Attestation<P>, P::MaxAttestationsElectra>, BlockError> {
    let mut groups: BTreeMap<Root, Vec<&PooledAggregate>> = BTreeMap::new();
    for aggregate in aggregates {
        let root: Root = aggregate.data.tree_hash_root().into();
        groups.entry(root).or_default().push(aggregate);
    }
    let mut groups: Vec<Vec<&PooledAggregate>> = groups.into_values().collect();
    for group in &mut groups {
        group.sort_by_key(|a| a.committee_index);
        group.dedup_by_key(|a| a.committee_index);
    }
    groups.sort_by(|a, b| {
        let bits = |g: &[&PooledAggregate]| g.iter().map(|a| a.positions.len()).sum::<usize>();
        b[0].data
            .slot
            .cmp(&a[0].data.slot)
            .then(bits(b).cmp(&bits(a)))
    });
    let mut out = Vec::new();
    for group in groups
        .into_iter()
        .take(P::MaxAttestationsElectra::to_usize())
    {
        let total: usize = group.iter().map(|a| a.committee_len).sum();
        let mut bits = BitList::with_capacity(total).map_err(bits_error("aggregation_bits"))?;
        let mut committee_bits = BitVector::new();
        let mut offset = 0;
        for aggregate in &group {
            committee_bits
                .set(aggregate.committee_index as usize, true)
                .map_err(bits_error("committee_bits"))?;
            for position in &aggregate.positions {
                bits.set(offset + position, true)
                    .map_err(bits_error("aggregation_bits"))?;
            }
            offset += aggregate.committee_len;
        }
        let signatures: Vec<Signature> = group.iter().map(|a| a.signature).collect();
        let signature =
            bls::aggregate_signatures(&signatures).map_err(|e| BlockError::Aggregate {
                what: "attestation signatures",
                reason: e.to_string(),
            })?;
        out.push(electra::Attestation {
            aggregation_bits: bits,
            data: consensus_data(&group[0].data),
            signature: BlsSignature(signature.to_bytes()),
            committee_bits,
        });
    }
    VariableList::new(out).map_err(|e| BlockError::Bits {
        what: "attestations",
        reason: format!("{e:?}"),
    })
}

fn sync_aggregate<P: ConsensusPreset>(
    plan: &BlockPlan,
) -> Result<altair::SyncAggregate<P>, BlockError> {
    let mut bits = BitVector::new();
    for position in &plan.sync_positions {
        bits.set(*position, true)
            .map_err(bits_error("sync_committee_bits"))?;
    }
    Ok(altair::SyncAggregate {
        sync_committee_bits: bits,
        sync_committee_signature: plan.sync_signature,
    })
}

macro_rules! body {
    ($module:ident :: $body:ident, $plan:expr, $attestations:expr,
     $payload_field:ident = $payload:expr $(, $extra:ident = $value:expr)* $(,)?) => {
        $module::$body::<P> {
            randao_reveal: $plan.randao_reveal,
            eth1_data: $plan.eth1_data,
            graffiti: $plan.graffiti,
            proposer_slashings: VariableList::empty(),
            attester_slashings: VariableList::empty(),
            attestations: $attestations,
            deposits: VariableList::empty(),
            voluntary_exits: VariableList::empty(),
            sync_aggregate: sync_aggregate::<P>($plan)?,
            $payload_field: $payload,
            bls_to_execution_changes: VariableList::empty(),
            $($extra: $value,)*
        }
    };
}

fn block<B: phase0::SszObject>(plan: &BlockPlan, body: B) -> phase0::GenericBeaconBlock<B> {
    phase0::GenericBeaconBlock {
        slot: plan.slot,
        proposer_index: plan.proposer_index,
        parent_root: plan.parent_root,
        state_root: plan.state_root,
        body,
    }
}

/// Builds the proposal of `plan` at `fork`: a plain block at capella, block contents with no
/// blobs from deneb on, or the blinded block with the payload's header.
pub fn build<P: ConsensusPreset>(
    plan: &BlockPlan,
    fork: ForkName,
    blinded: bool,
) -> Result<ProducedBlock<P>, BlockError> {
    let payload = &plan.payload;
    let produced = match (fork, blinded) {
        (ForkName::Capella, false) => {
            let body = body!(
                capella::BeaconBlockBody,
                plan,
                phase0_attestations::<P>(&plan.attestations)?,
                execution_payload = payload.capella::<P>()
            );
            ProducedBlock::Block(BeaconBlock::Capella(block(plan, body)))
        }
        (ForkName::Capella, true) => {
            let body = body!(
                capella::BlindedBeaconBlockBody,
                plan,
                phase0_attestations::<P>(&plan.attestations)?,
                execution_payload_header = payload.capella_header::<P>()
            );
            ProducedBlock::Blinded(BlindedBeaconBlock::Capella(block(plan, body)))
        }
        (ForkName::Deneb, false) => {
            let body = body!(
                deneb::BeaconBlockBody,
                plan,
                phase0_attestations::<P>(&plan.attestations)?,
                execution_payload = payload.deneb::<P>(),
                blob_kzg_commitments = VariableList::empty()
            );
            ProducedBlock::Contents(BlockContents::Deneb(deneb::GenericBlockContents {
                block: block(plan, body),
                kzg_proofs: VariableList::empty(),
                blobs: VariableList::empty(),
            }))
        }
        (ForkName::Deneb, true) => {
            let body = body!(
                deneb::BlindedBeaconBlockBody,
                plan,
                phase0_attestations::<P>(&plan.attestations)?,
                execution_payload_header = payload.deneb_header::<P>(),
                blob_kzg_commitments = VariableList::empty()
            );
            ProducedBlock::Blinded(BlindedBeaconBlock::Deneb(block(plan, body)))
        }
        (ForkName::Electra | ForkName::Fulu, false) => {
            let body = body!(
                electra::BeaconBlockBody,
                plan,
                electra_attestations::<P>(&plan.attestations)?,
                execution_payload = payload.deneb::<P>(),
                blob_kzg_commitments = VariableList::empty(),
                execution_requests = empty_requests::<P>()
            );
            if fork == ForkName::Electra {
                ProducedBlock::Contents(BlockContents::Electra(deneb::GenericBlockContents {
                    block: block(plan, body),
                    kzg_proofs: VariableList::empty(),
                    blobs: VariableList::empty(),
                }))
            } else {
                let contents: fulu::BlockContents<P> = deneb::GenericBlockContents {
                    block: block(plan, body),
                    kzg_proofs: VariableList::empty(),
                    blobs: VariableList::empty(),
                };
                ProducedBlock::Contents(BlockContents::Fulu(contents))
            }
        }
        (ForkName::Electra | ForkName::Fulu, true) => {
            let body = body!(
                electra::BlindedBeaconBlockBody,
                plan,
                electra_attestations::<P>(&plan.attestations)?,
                execution_payload_header = payload.deneb_header::<P>(),
                blob_kzg_commitments = VariableList::empty(),
                execution_requests = empty_requests::<P>()
            );
            if fork == ForkName::Electra {
                ProducedBlock::Blinded(BlindedBeaconBlock::Electra(block(plan, body)))
            } else {
                ProducedBlock::Blinded(BlindedBeaconBlock::Fulu(block(plan, body)))
            }
        }
        (fork, _) => return Err(BlockError::ForkNotServed { fork }),
    };
    Ok(produced)
}

fn empty_requests<P: ConsensusPreset>() -> electra::ExecutionRequests<P> {
    electra::ExecutionRequests {
        deposits: VariableList::empty(),
        withdrawals: VariableList::empty(),
        consolidations: VariableList::empty(),
    }
}

/// The root of `payload` as the execution payload (or its header) of `fork`.
pub fn payload_root<P: ConsensusPreset>(payload: &SynthPayload, fork: ForkName) -> Root {
    if fork >= ForkName::Deneb {
        payload.deneb::<P>().tree_hash_root().into()
    } else {
        payload.capella::<P>().tree_hash_root().into()
    }
}

/// The execution payload (or header) of a published block, as far as the simulator checks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PayloadSummary {
    /// `parent_hash`.
    pub parent_hash: Root,
    /// `block_hash`.
    pub block_hash: Root,
    /// `block_number`.
    pub block_number: u64,
    /// `timestamp`.
    pub timestamp: u64,
    /// `hash_tree_root` of the payload (equal for its header).
    pub root: Root,
}

/// What the simulator checks of a published block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedSummary {
    /// The block's fork.
    pub fork: ForkName,
    /// Whether it came blinded.
    pub blinded: bool,
    /// The block's header (its root is the block root).
    pub header: BeaconBlockHeader,
    /// The proposer's signature.
    pub signature: BlsSignature,
    /// `randao_reveal`.
    pub randao_reveal: BlsSignature,
    /// The payload.
    pub payload: PayloadSummary,
    /// `blob_kzg_commitments` in the body.
    pub commitments: usize,
    /// `kzg_proofs` sent alongside (block contents only).
    pub kzg_proofs: usize,
    /// `blobs` sent alongside (block contents only).
    pub blobs: usize,
}

macro_rules! summarize {
    ($signed:expr, $fork:expr, $blinded:expr, $payload:ident, $commitments:expr) => {{
        let signed = $signed;
        let message = &signed.message;
        let payload = &message.body.$payload;
        PublishedSummary {
            fork: $fork,
            blinded: $blinded,
            header: BeaconBlockHeader {
                slot: message.slot,
                proposer_index: message.proposer_index,
                parent_root: message.parent_root,
                state_root: message.state_root,
                body_root: message.body.tree_hash_root().into(),
            },
            signature: signed.signature,
            randao_reveal: message.body.randao_reveal,
            payload: PayloadSummary {
                parent_hash: payload.parent_hash,
                block_hash: payload.block_hash,
                block_number: payload.block_number,
                timestamp: payload.timestamp,
                root: payload.tree_hash_root().into(),
            },
            commitments: $commitments,
            kzg_proofs: 0,
            blobs: 0,
        }
    }};
}

macro_rules! with_sidecars {
    ($contents:expr, $fork:expr) => {{
        let contents = $contents;
        let mut summary = summarize!(
            &contents.signed_block,
            $fork,
            false,
            execution_payload,
            contents
                .signed_block
                .message
                .body
                .blob_kzg_commitments
                .len()
        );
        summary.kzg_proofs = contents.kzg_proofs.len();
        summary.blobs = contents.blobs.len();
        summary
    }};
}

/// Reads the checked parts of a published block.
pub fn summarize<P: ConsensusPreset>(
    block: &PublishedBlock<P>,
) -> Result<PublishedSummary, BlockError> {
    let fork = block.fork_name();
    Ok(match block {
        PublishedBlock::Block(SignedBeaconBlock::Bellatrix(s)) => {
            summarize!(s, fork, false, execution_payload, 0)
        }
        PublishedBlock::Block(SignedBeaconBlock::Capella(s)) => {
            summarize!(s, fork, false, execution_payload, 0)
        }
        PublishedBlock::Block(SignedBeaconBlock::Deneb(s)) => summarize!(
            s,
            fork,
            false,
            execution_payload,
            s.message.body.blob_kzg_commitments.len()
        ),
        PublishedBlock::Block(SignedBeaconBlock::Electra(s)) => summarize!(
            s,
            fork,
            false,
            execution_payload,
            s.message.body.blob_kzg_commitments.len()
        ),
        PublishedBlock::Block(SignedBeaconBlock::Fulu(s)) => summarize!(
            s,
            fork,
            false,
            execution_payload,
            s.message.body.blob_kzg_commitments.len()
        ),
        PublishedBlock::Block(SignedBeaconBlock::Phase0(_) | SignedBeaconBlock::Altair(_)) => {
            return Err(BlockError::ForkNotServed { fork })
        }
        PublishedBlock::Contents(SignedBlockContents::Deneb(c)) => with_sidecars!(c, fork),
        PublishedBlock::Contents(SignedBlockContents::Electra(c)) => with_sidecars!(c, fork),
        PublishedBlock::Contents(SignedBlockContents::Fulu(c)) => with_sidecars!(c, fork),
        PublishedBlock::Blinded(SignedBlindedBeaconBlock::Bellatrix(s)) => {
            summarize!(s, fork, true, execution_payload_header, 0)
        }
        PublishedBlock::Blinded(SignedBlindedBeaconBlock::Capella(s)) => {
            summarize!(s, fork, true, execution_payload_header, 0)
        }
        PublishedBlock::Blinded(SignedBlindedBeaconBlock::Deneb(s)) => summarize!(
            s,
            fork,
            true,
            execution_payload_header,
            s.message.body.blob_kzg_commitments.len()
        ),
        PublishedBlock::Blinded(SignedBlindedBeaconBlock::Electra(s)) => summarize!(
            s,
            fork,
            true,
            execution_payload_header,
            s.message.body.blob_kzg_commitments.len()
        ),
        PublishedBlock::Blinded(SignedBlindedBeaconBlock::Fulu(s)) => summarize!(
            s,
            fork,
            true,
            execution_payload_header,
            s.message.body.blob_kzg_commitments.len()
        ),
    })
}

/// The number of KZG proofs block contents must carry for `blobs` blobs at `fork`: one per
/// blob before fulu, one per cell (`CELLS_PER_EXT_BLOB` = 128) from fulu on.
pub fn expected_kzg_proofs(fork: ForkName, blobs: usize) -> usize {
    if fork >= ForkName::Fulu {
        blobs * 128
    } else {
        blobs
    }
}
