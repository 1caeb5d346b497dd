//! The values the cluster agrees on in consensus: per duty, one [`UnsignedData`] per
//! distributed validator, as an [`UnsignedDataSet`].
//!
//! On the wire a set is Charon's `core.corepb.v1.UnsignedDataSet`: a map from the 0x-prefixed
//! DV public key to the JSON of the datum, wrapped in an `Any` for QBFT
//! ([`UnsignedDataSet::to_any`]). The JSON of each datum is its beacon-API JSON;
//! fork-versioned data travels as `{"version": "<fork>", "data": ...}`.

use std::collections::BTreeMap;

use mosaic_beacon::AttesterDuty;
use mosaic_crypto::bls::PublicKey;
use mosaic_qbft::pb;
use mosaic_qbft::value::UNSIGNED_DATA_SET_TYPE_URL;
use mosaic_types::consensus::altair::SyncCommitteeContribution;
use mosaic_types::consensus::phase0::AttestationData;
use mosaic_types::consensus::versioned::{Attestation, ProducedBlock};
use mosaic_types::consensus::{ForkVersioned, Preset};
use mosaic_types::ForkName;
use prost::Message;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::duty::DutyType;
use crate::keys::KnownKeys;

/// Why an unsigned data set could not be decoded.
#[derive(Debug, thiserror::Error)]
pub enum UnsignedDataError {
    /// The duty type is not agreed by consensus.
    #[error("duty type {0:?} is not decided by consensus")]
    NotAConsensusDuty(DutyType),
    /// The `Any` is not an `UnsignedDataSet`.
    #[error("consensus value has type URL {0:?}, expected an UnsignedDataSet")]
    WrongType(String),
    /// The protobuf does not decode.
    #[error("UnsignedDataSet protobuf does not decode: {0}")]
    Protobuf(String),
    /// A key is not a BLS public key.
    #[error("UnsignedDataSet key {key:?} is not a BLS public key")]
    BadKey {
        /// The key.
        key: String,
    },
    /// A datum is not the JSON its duty type expects.
    #[error("{duty_type:?} datum for {key} does not decode: {reason}")]
    Malformed {
        /// The duty type.
        duty_type: DutyType,
        /// The validator key.
        key: String,
        /// The decoder's message.
        reason: String,
    },
}

/// Attestation data with the duty it was fetched for (Charon's `core.AttestationData`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttestationDatum {
    /// The data every committee member signs.
    pub attestation_data: AttestationData,
    /// The validator's attester duty (committee, position, length).
    pub attestation_duty: AttesterDuty,
}

/// A block proposal to sign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposalDatum<P: Preset> {
    /// The block (full, contents or blinded).
    pub block: ProducedBlock<P>,
}

/// One validator's datum for one duty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnsignedData<P: Preset> {
    /// `Attester`.
    Attestation(Box<AttestationDatum>),
    /// `Proposer`.
    Proposal(Box<ProposalDatum<P>>),
    /// `Aggregator`: the aggregate attestation to wrap in an `AggregateAndProof`.
    AggregatedAttestation(Box<Attestation<P>>),
    /// `SyncContribution`: one contribution per subcommittee the validator aggregates for.
    SyncContributions(Vec<SyncCommitteeContribution<P>>),
}

#[derive(Serialize, Deserialize)]
struct VersionedJson {
    version: ForkName,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    blinded: bool,
    data: Value,
}

impl<P: Preset> UnsignedData<P> {
    /// The duty type it is decided for.
    pub fn duty_type(&self) -> DutyType {
        match self {
            Self::Attestation(_) => DutyType::Attester,
            Self::Proposal(_) => DutyType::Proposer,
            Self::AggregatedAttestation(_) => DutyType::Aggregator,
            Self::SyncContributions(_) => DutyType::SyncContribution,
        }
    }

    fn to_json(&self) -> Value {
        let value = match self {
            Self::Attestation(datum) => serde_json::to_value(datum),
            Self::Proposal(datum) => serde_json::to_value(VersionedJson {
                version: datum.block.fork_name(),
                blinded: datum.block.is_blinded(),
                data: serde_json::to_value(&datum.block).unwrap_or(Value::Null),
            }),
            Self::AggregatedAttestation(attestation) => serde_json::to_value(VersionedJson {
                version: attestation.fork_name(),
                blinded: false,
                data: serde_json::to_value(attestation.as_ref()).unwrap_or(Value::Null),
            }),
            Self::SyncContributions(contributions) => serde_json::to_value(contributions),
        };
        value.unwrap_or(Value::Null)
    }

    fn from_json(duty_type: DutyType, key: &str, bytes: &[u8]) -> Result<Self, UnsignedDataError> {
        let bad = |reason: String| UnsignedDataError::Malformed {
            duty_type,
            key: key.to_string(),
            reason,
        };
        let versioned =
            || serde_json::from_slice::<VersionedJson>(bytes).map_err(|e| bad(e.to_string()));
        Ok(match duty_type {
            DutyType::Attester => Self::Attestation(Box::new(
                serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))?,
            )),
            DutyType::Proposer | DutyType::BuilderProposer => {
                let wire = versioned()?;
                let block = ProducedBlock::from_json_at(wire.data, wire.version, wire.blinded)
                    .map_err(|e| bad(e.to_string()))?;
                Self::Proposal(Box::new(ProposalDatum { block }))
            }
            DutyType::Aggregator => {
                let wire = versioned()?;
                let attestation = Attestation::from_json_at(wire.data, wire.version)
                    .map_err(|e| bad(e.to_string()))?;
                Self::AggregatedAttestation(Box::new(attestation))
            }
            DutyType::SyncContribution => Self::SyncContributions(
                serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))?,
            ),
            other => return Err(UnsignedDataError::NotAConsensusDuty(other)),
        })
    }
}

/// The consensus value of one duty: a datum per distributed validator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsignedDataSet<P: Preset> {
    /// The duty type every datum belongs to.
    pub duty_type: DutyType,
    /// Datum by DV public key.
    pub data: BTreeMap<PublicKey, UnsignedData<P>>,
}

impl<P: Preset> UnsignedDataSet<P> {
    /// An empty set for `duty_type`.
    pub fn new(duty_type: DutyType) -> Self {
        Self {
            duty_type,
            data: BTreeMap::new(),
        }
    }

    /// Whether the duty type is decided by consensus (attester, proposer, aggregator and sync
    /// contribution).
    pub fn is_consensus_duty(duty_type: DutyType) -> bool {
        matches!(
            duty_type,
            DutyType::Attester
                | DutyType::Proposer
                | DutyType::BuilderProposer
                | DutyType::Aggregator
                | DutyType::SyncContribution
        )
    }

    /// The protobuf form.
    pub fn to_proto(&self) -> pb::UnsignedDataSet {
        let set = self
            .data
            .iter()
            .map(|(key, datum)| {
                (
                    key.to_hex(),
                    serde_json::to_vec(&datum.to_json()).unwrap_or_default(),
                )
            })
            .collect();
        pb::UnsignedDataSet { set }
    }

    /// The `Any` proposed in consensus.
    pub fn to_any(&self) -> pb::Any {
        pb::Any {
            type_url: UNSIGNED_DATA_SET_TYPE_URL.to_string(),
            value: self.to_proto().encode_to_vec(),
        }
    }

    /// Decodes a decided (or proposed) `Any` for `duty_type` (validator keys looked up in
    /// `known_keys`, others checked in full).
    pub fn from_any(
        duty_type: DutyType,
        any: &pb::Any,
        known_keys: &KnownKeys,
    ) -> Result<Self, UnsignedDataError> {
        if !Self::is_consensus_duty(duty_type) {
            return Err(UnsignedDataError::NotAConsensusDuty(duty_type));
        }
        if any.type_url != UNSIGNED_DATA_SET_TYPE_URL {
            return Err(UnsignedDataError::WrongType(any.type_url.clone()));
        }
        let proto = pb::UnsignedDataSet::decode(any.value.as_slice())
            .map_err(|e| UnsignedDataError::Protobuf(e.to_string()))?;
        let mut data = BTreeMap::new();
        for (key, bytes) in &proto.set {
            let pubkey = known_keys
                .parse_hex(key)
                .map_err(|_| UnsignedDataError::BadKey { key: key.clone() })?;
            data.insert(pubkey, UnsignedData::from_json(duty_type, key, bytes)?);
        }
        Ok(Self { duty_type, data })
    }
}
