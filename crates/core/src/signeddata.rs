//! What a validator signs for each duty type, with its signing root and its wire encoding.
//!
//! Every duty produces one [`SignedData`] per validator. A node receives it partially signed
//! (from its validator client through the validator API, or from a peer through parsigex),
//! verifies the partial signature over [`SignedData::signing_root`] against the sender's public
//! share, and once `threshold` partials over one root are stored, puts the combined signature
//! back in with [`SignedData::with_signature`] and broadcasts the object.
//!
//! Wire encoding ([`SignedData::to_wire`], [`SignedData::from_wire`]): the beacon-API JSON of
//! the object; fork-versioned objects travel as `{"version": "<fork>", "data": <object>}`. The
//! duty type, carried beside the data, says which object it is.

use mosaic_beacon::{BeaconCommitteeSelection, SyncCommitteeSelection};
use mosaic_types::consensus::altair::{
    SignedContributionAndProof, SyncAggregatorSelectionData, SyncCommitteeMessage,
};
use mosaic_types::consensus::electra::SingleAttestation;
use mosaic_types::consensus::phase0::SignedVoluntaryExit;
use mosaic_types::consensus::signing::{
    randao_signing_root, selection_proof_signing_root, sync_committee_message_signing_root,
    SignedObject, SignedRoot,
};
use mosaic_types::consensus::versioned::{Attestation, PublishedBlock, SignedAggregateAndProof};
use mosaic_types::consensus::{ForkVersioned, Preset};
use mosaic_types::{
    compute_signing_root, BlsSignature, Epoch, ForkName, Network, Root,
    SignedValidatorRegistrationV1, Slot,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tree_hash::TreeHash;

use crate::duty::DutyType;

/// Why a signed object could not be decoded from the wire.
#[derive(Debug, thiserror::Error)]
pub enum SignedDataError {
    /// The duty type carries no signed object (e.g. `InfoSync`).
    #[error("duty type {0:?} has no signed data")]
    NoSignedData(DutyType),
    /// The bytes are not the JSON of the object the duty type names.
    #[error("{duty_type:?} signed data does not decode: {reason}")]
    Malformed {
        /// The duty type.
        duty_type: DutyType,
        /// The decoder's message.
        reason: String,
    },
}

/// A randao reveal: the signature over an epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedRandao {
    /// The epoch revealed.
    #[serde(with = "mosaic_types::quoted_u64")]
    pub epoch: Epoch,
    /// The signature.
    pub signature: BlsSignature,
}

/// An attestation as a validator client submits it: an `Attestation` with one aggregation bit
/// before electra, a `SingleAttestation` from electra on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmittedAttestation<P: Preset> {
    /// Pre-electra (and electra `Attestation` with one bit) through `POST /eth/v1|v2/beacon/pool/attestations`.
    Aggregated(Box<Attestation<P>>),
    /// Electra on, through `POST /eth/v2/beacon/pool/attestations`.
    Single {
        /// The fork the attestation was submitted at.
        version: ForkName,
        /// The attestation.
        attestation: Box<SingleAttestation>,
    },
}

impl<P: Preset> SubmittedAttestation<P> {
    /// The attestation data.
    pub fn data(&self) -> &mosaic_types::consensus::phase0::AttestationData {
        match self {
            Self::Aggregated(attestation) => match attestation.as_ref() {
                Attestation::Phase0(a)
                | Attestation::Altair(a)
                | Attestation::Bellatrix(a)
                | Attestation::Capella(a)
                | Attestation::Deneb(a) => &a.data,
                Attestation::Electra(a) | Attestation::Fulu(a) => &a.data,
            },
            Self::Single { attestation, .. } => &attestation.data,
        }
    }

    fn signature(&self) -> BlsSignature {
        match self {
            Self::Aggregated(attestation) => attestation.signature(),
            Self::Single { attestation, .. } => attestation.signature,
        }
    }

    fn with_signature(&self, signature: BlsSignature) -> Self {
        match self {
            Self::Aggregated(attestation) => {
                Self::Aggregated(Box::new(attestation.with_signature(signature)))
            }
            Self::Single {
                version,
                attestation,
            } => Self::Single {
                version: *version,
                attestation: Box::new(SingleAttestation {
                    signature,
                    ..**attestation
                }),
            },
        }
    }
}

/// The object a validator signs for one duty (one variant per signing duty type).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignedData<P: Preset> {
    /// `Attester`.
    Attestation(SubmittedAttestation<P>),
    /// `Proposer` / `BuilderProposer`: the signed (possibly blinded) block.
    Proposal(Box<PublishedBlock<P>>),
    /// `Randao`.
    Randao(SignedRandao),
    /// `PrepareAggregator`: a beacon committee selection proof.
    BeaconCommitteeSelection(BeaconCommitteeSelection),
    /// `Aggregator`.
    AggregateAndProof(Box<SignedAggregateAndProof<P>>),
    /// `SyncMessage`.
    SyncMessage(SyncCommitteeMessage),
    /// `PrepareSyncContribution`: a sync committee selection proof.
    SyncCommitteeSelection(SyncCommitteeSelection),
    /// `SyncContribution`.
    ContributionAndProof(Box<SignedContributionAndProof<P>>),
    /// `Exit`.
    VoluntaryExit(SignedVoluntaryExit),
    /// `BuilderRegistration`.
    BuilderRegistration(SignedValidatorRegistrationV1),
}

/// What signing roots depend on: the network's fork schedule and the genesis validators root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningContext {
    /// Fork schedule, genesis fork version and slots per epoch.
    pub network: Network,
    /// The chain's genesis validators root.
    pub genesis_validators_root: Root,
}

impl SigningContext {
    fn epoch_of(&self, slot: Slot) -> Epoch {
        slot / self.network.slots_per_epoch.max(1)
    }

    fn domain(&self, object: SignedObject, epoch: Epoch) -> mosaic_types::Domain {
        object.domain(&self.network, self.genesis_validators_root, epoch)
    }
}

#[derive(Serialize, Deserialize)]
struct VersionedWire {
    version: ForkName,
    data: Value,
}

#[derive(Serialize, Deserialize)]
struct ProposalWire {
    version: ForkName,
    blinded: bool,
    data: Value,
}

fn malformed(duty_type: DutyType, reason: impl ToString) -> SignedDataError {
    SignedDataError::Malformed {
        duty_type,
        reason: reason.to_string(),
    }
}

impl<P: Preset> SignedData<P> {
    /// The duty type this object is signed for (`Proposer` for blocks, blinded or not).
    pub fn duty_type(&self) -> DutyType {
        match self {
            Self::Attestation(_) => DutyType::Attester,
            Self::Proposal(_) => DutyType::Proposer,
            Self::Randao(_) => DutyType::Randao,
            Self::BeaconCommitteeSelection(_) => DutyType::PrepareAggregator,
            Self::AggregateAndProof(_) => DutyType::Aggregator,
            Self::SyncMessage(_) => DutyType::SyncMessage,
            Self::SyncCommitteeSelection(_) => DutyType::PrepareSyncContribution,
            Self::ContributionAndProof(_) => DutyType::SyncContribution,
            Self::VoluntaryExit(_) => DutyType::Exit,
            Self::BuilderRegistration(_) => DutyType::BuilderRegistration,
        }
    }

    /// The signature it carries.
    pub fn signature(&self) -> BlsSignature {
        match self {
            Self::Attestation(attestation) => attestation.signature(),
            Self::Proposal(block) => block.signature(),
            Self::Randao(randao) => randao.signature,
            Self::BeaconCommitteeSelection(selection) => selection.selection_proof,
            Self::AggregateAndProof(aggregate) => aggregate.signature(),
            Self::SyncMessage(message) => message.signature,
            Self::SyncCommitteeSelection(selection) => selection.selection_proof,
            Self::ContributionAndProof(contribution) => contribution.signature,
            Self::VoluntaryExit(exit) => exit.signature,
            Self::BuilderRegistration(registration) => registration.signature,
        }
    }

    /// The same object with `signature` in place of its signature.
    pub fn with_signature(&self, signature: BlsSignature) -> Self {
        match self {
            Self::Attestation(attestation) => {
                Self::Attestation(attestation.with_signature(signature))
            }
            Self::Proposal(block) => Self::Proposal(Box::new(block.with_signature(signature))),
            Self::Randao(randao) => Self::Randao(SignedRandao {
                signature,
                ..*randao
            }),
            Self::BeaconCommitteeSelection(selection) => {
                Self::BeaconCommitteeSelection(BeaconCommitteeSelection {
                    selection_proof: signature,
                    ..*selection
                })
            }
            Self::AggregateAndProof(aggregate) => {
                Self::AggregateAndProof(Box::new(aggregate.with_signature(signature)))
            }
            Self::SyncMessage(message) => Self::SyncMessage(SyncCommitteeMessage {
                signature,
                ..*message
            }),
            Self::SyncCommitteeSelection(selection) => {
                Self::SyncCommitteeSelection(SyncCommitteeSelection {
                    selection_proof: signature,
                    ..*selection
                })
            }
            Self::ContributionAndProof(contribution) => {
                let mut contribution = contribution.clone();
                contribution.signature = signature;
                Self::ContributionAndProof(contribution)
            }
            Self::VoluntaryExit(exit) => {
                let mut exit = *exit;
                exit.signature = signature;
                Self::VoluntaryExit(exit)
            }
            Self::BuilderRegistration(registration) => {
                let mut registration = *registration;
                registration.signature = signature;
                Self::BuilderRegistration(registration)
            }
        }
    }

    /// The slot the object belongs to (for an exit or a registration: the first slot of its
    /// epoch, or 0; these duties are keyed by the slot the node assigns them instead).
    pub fn slot(&self, slots_per_epoch: u64) -> Slot {
        match self {
            Self::Attestation(attestation) => attestation.data().slot,
            Self::Proposal(block) => block.slot(),
            Self::Randao(randao) => randao.epoch.saturating_mul(slots_per_epoch),
            Self::BeaconCommitteeSelection(selection) => selection.slot,
            Self::AggregateAndProof(aggregate) => aggregate.slot(),
            Self::SyncMessage(message) => message.slot,
            Self::SyncCommitteeSelection(selection) => selection.slot,
            Self::ContributionAndProof(contribution) => contribution.message.contribution.slot,
            Self::VoluntaryExit(exit) => exit.message.epoch.saturating_mul(slots_per_epoch),
            Self::BuilderRegistration(_) => 0,
        }
    }

    /// `compute_signing_root(object, domain)` with the domain of the object's kind at its epoch.
    pub fn signing_root(&self, context: &SigningContext) -> Root {
        match self {
            Self::Attestation(attestation) => {
                let data = attestation.data();
                let domain = context.domain(SignedObject::Attestation, data.target.epoch);
                data.signing_root(domain)
            }
            Self::Proposal(block) => {
                let domain = context.domain(SignedObject::Block, context.epoch_of(block.slot()));
                compute_signing_root(block.block_root(), domain)
            }
            Self::Randao(randao) => randao_signing_root(
                randao.epoch,
                context.domain(SignedObject::Randao, randao.epoch),
            ),
            Self::BeaconCommitteeSelection(selection) => {
                let domain = context.domain(
                    SignedObject::SelectionProof,
                    context.epoch_of(selection.slot),
                );
                selection_proof_signing_root(selection.slot, domain)
            }
            Self::AggregateAndProof(aggregate) => {
                let domain = context.domain(
                    SignedObject::AggregateAndProof,
                    context.epoch_of(aggregate.slot()),
                );
                compute_signing_root(aggregate.message_root(), domain)
            }
            Self::SyncMessage(message) => {
                let domain = context.domain(
                    SignedObject::SyncCommitteeMessage,
                    context.epoch_of(message.slot),
                );
                sync_committee_message_signing_root(message.beacon_block_root, domain)
            }
            Self::SyncCommitteeSelection(selection) => {
                let domain = context.domain(
                    SignedObject::SyncSelectionProof,
                    context.epoch_of(selection.slot),
                );
                SyncAggregatorSelectionData {
                    slot: selection.slot,
                    subcommittee_index: selection.subcommittee_index,
                }
                .signing_root(domain)
            }
            Self::ContributionAndProof(contribution) => {
                let domain = context.domain(
                    SignedObject::ContributionAndProof,
                    context.epoch_of(contribution.message.contribution.slot),
                );
                contribution.message.signing_root(domain)
            }
            Self::VoluntaryExit(exit) => {
                let domain = context.domain(SignedObject::VoluntaryExit, exit.message.epoch);
                exit.message.signing_root(domain)
            }
            Self::BuilderRegistration(registration) => registration
                .message
                .signing_root(context.network.genesis_fork_version),
        }
    }

    /// `hash_tree_root` of what is signed without the signature: equal for two partials of the
    /// same object by different operators.
    pub fn message_root(&self) -> Root {
        match self {
            Self::Attestation(attestation) => attestation.data().tree_hash_root().into(),
            Self::Proposal(block) => block.block_root(),
            Self::Randao(randao) => randao.epoch.tree_hash_root().into(),
            Self::BeaconCommitteeSelection(selection) => selection.slot.tree_hash_root().into(),
            Self::AggregateAndProof(aggregate) => aggregate.message_root(),
            Self::SyncMessage(message) => message.beacon_block_root,
            Self::SyncCommitteeSelection(selection) => SyncAggregatorSelectionData {
                slot: selection.slot,
                subcommittee_index: selection.subcommittee_index,
            }
            .tree_hash_root()
            .into(),
            Self::ContributionAndProof(contribution) => {
                contribution.message.tree_hash_root().into()
            }
            Self::VoluntaryExit(exit) => exit.message.tree_hash_root().into(),
            Self::BuilderRegistration(registration) => registration.message.root(),
        }
    }

    /// The wire encoding (see the module documentation).
    pub fn to_wire(&self) -> Vec<u8> {
        let value = match self {
            Self::Attestation(SubmittedAttestation::Aggregated(attestation)) => {
                versioned(attestation.fork_name(), attestation)
            }
            Self::Attestation(SubmittedAttestation::Single {
                version,
                attestation,
            }) => versioned(*version, attestation),
            Self::Proposal(block) => serde_json::to_value(ProposalWire {
                version: block.fork_name(),
                blinded: block.is_blinded(),
                data: to_value(block),
            })
            .unwrap_or(Value::Null),
            Self::Randao(randao) => to_value(randao),
            Self::BeaconCommitteeSelection(selection) => to_value(selection),
            Self::AggregateAndProof(aggregate) => versioned(aggregate.fork_name(), aggregate),
            Self::SyncMessage(message) => to_value(message),
            Self::SyncCommitteeSelection(selection) => to_value(selection),
            Self::ContributionAndProof(contribution) => to_value(contribution),
            Self::VoluntaryExit(exit) => to_value(exit),
            Self::BuilderRegistration(registration) => to_value(registration),
        };
        serde_json::to_vec(&value).unwrap_or_default()
    }

    /// Decodes the wire encoding of the object signed for `duty_type`.
    pub fn from_wire(duty_type: DutyType, bytes: &[u8]) -> Result<Self, SignedDataError> {
        let bad = |reason: String| malformed(duty_type, reason);
        let json = |bytes: &[u8]| -> Result<Value, SignedDataError> {
            serde_json::from_slice(bytes).map_err(|e| malformed(duty_type, e))
        };
        fn plain<T: serde::de::DeserializeOwned>(
            duty_type: DutyType,
            value: Value,
        ) -> Result<T, SignedDataError> {
            serde_json::from_value(value).map_err(|e| malformed(duty_type, e))
        }
        let value = json(bytes)?;
        Ok(match duty_type {
            DutyType::Attester => {
                let wire: VersionedWire = plain(duty_type, value)?;
                if wire.version >= ForkName::Electra && wire.data.get("attester_index").is_some() {
                    Self::Attestation(SubmittedAttestation::Single {
                        version: wire.version,
                        attestation: plain(duty_type, wire.data)?,
                    })
                } else {
                    Self::Attestation(SubmittedAttestation::Aggregated(Box::new(
                        Attestation::from_json_at(wire.data, wire.version)
                            .map_err(|e| bad(e.to_string()))?,
                    )))
                }
            }
            DutyType::Proposer | DutyType::BuilderProposer => {
                let wire: ProposalWire = plain(duty_type, value)?;
                Self::Proposal(Box::new(
                    PublishedBlock::from_json_at(wire.data, wire.version, wire.blinded)
                        .map_err(|e| bad(e.to_string()))?,
                ))
            }
            DutyType::Randao => Self::Randao(plain(duty_type, value)?),
            DutyType::PrepareAggregator => Self::BeaconCommitteeSelection(plain(duty_type, value)?),
            DutyType::Aggregator => {
                let wire: VersionedWire = plain(duty_type, value)?;
                Self::AggregateAndProof(Box::new(
                    SignedAggregateAndProof::from_json_at(wire.data, wire.version)
                        .map_err(|e| bad(e.to_string()))?,
                ))
            }
            DutyType::SyncMessage => Self::SyncMessage(plain(duty_type, value)?),
            DutyType::PrepareSyncContribution => {
                Self::SyncCommitteeSelection(plain(duty_type, value)?)
            }
            DutyType::SyncContribution => {
                Self::ContributionAndProof(Box::new(plain(duty_type, value)?))
            }
            DutyType::Exit => Self::VoluntaryExit(plain(duty_type, value)?),
            DutyType::BuilderRegistration => Self::BuilderRegistration(plain(duty_type, value)?),
            DutyType::Signature | DutyType::InfoSync => {
                return Err(SignedDataError::NoSignedData(duty_type))
            }
        })
    }
}

fn to_value<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

fn versioned<T: Serialize>(version: ForkName, data: &T) -> Value {
    serde_json::to_value(VersionedWire {
        version,
        data: to_value(data),
    })
    .unwrap_or(Value::Null)
}
