//! Fork-tagged containers for the beacon API: one enum variant per fork, decoded from SSZ or
//! JSON given the fork (the `Eth-Consensus-Version` header or the `version` field), and the
//! `{ "version", "data" }` envelope of versioned responses.
//!
//! Serialising an enum writes only the inner container (the `data` part); the fork travels
//! separately, as the beacon API does.

use std::str::FromStr;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use ssz::{Decode, Encode};
use tree_hash::TreeHash;

use super::preset::Preset;
use super::{altair, bellatrix, capella, deneb, electra, fulu, phase0, ConsensusError};
use crate::{ForkName, Root};

/// Every fork, in activation order.
pub const ALL_FORKS: [ForkName; 7] = [
    ForkName::Phase0,
    ForkName::Altair,
    ForkName::Bellatrix,
    ForkName::Capella,
    ForkName::Deneb,
    ForkName::Electra,
    ForkName::Fulu,
];

/// Parses a beacon-API fork name (`"phase0"` ... `"fulu"`, ASCII case-insensitive, as the
/// `Eth-Consensus-Version` header may be written in any case).
pub fn parse_fork_name(text: &str) -> Result<ForkName, ConsensusError> {
    ALL_FORKS
        .into_iter()
        .find(|fork| fork.as_str().eq_ignore_ascii_case(text))
        .ok_or_else(|| ConsensusError::UnknownForkName {
            name: text.to_owned(),
        })
}

impl FromStr for ForkName {
    type Err = ConsensusError;
    fn from_str(text: &str) -> Result<Self, ConsensusError> {
        parse_fork_name(text)
    }
}

impl Serialize for ForkName {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ForkName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        parse_fork_name(&text).map_err(serde::de::Error::custom)
    }
}

/// A container whose type depends on the fork.
pub trait ForkVersioned: Sized + Serialize {
    /// The spec or beacon-API name of the container.
    const TYPE_NAME: &'static str;
    /// The fork of this value.
    fn fork_name(&self) -> ForkName;
    /// Decodes the SSZ of the container as defined at `fork`.
    fn from_ssz_at(bytes: &[u8], fork: ForkName) -> Result<Self, ConsensusError>;
    /// Parses the JSON (the `data` part) of the container as defined at `fork`.
    fn from_json_at(value: serde_json::Value, fork: ForkName) -> Result<Self, ConsensusError>;
    /// The SSZ encoding.
    fn to_ssz(&self) -> Vec<u8>;
    /// `hash_tree_root`.
    fn root(&self) -> Root;
}

fn json_at<T: DeserializeOwned>(
    value: serde_json::Value,
    type_name: &'static str,
    fork: ForkName,
) -> Result<T, ConsensusError> {
    serde_json::from_value(value).map_err(|error| ConsensusError::Json {
        type_name,
        fork,
        reason: error.to_string(),
    })
}

fn ssz_at<T: Decode>(
    bytes: &[u8],
    type_name: &'static str,
    fork: ForkName,
) -> Result<T, ConsensusError> {
    T::from_ssz_bytes(bytes).map_err(|error| ConsensusError::Ssz {
        type_name,
        fork,
        reason: format!("{error:?}"),
    })
}

macro_rules! versioned {
    ($(#[$meta:meta])* $name:ident, $spec:literal { $($variant:ident => $ty:ty),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum $name<P: Preset> {
            $(
                #[doc = concat!("At fork `", stringify!($variant), "`.")]
                $variant($ty),
            )+
        }

        impl<P: Preset> ForkVersioned for $name<P> {
            const TYPE_NAME: &'static str = $spec;

            fn fork_name(&self) -> ForkName {
                match self {
                    $(Self::$variant(_) => ForkName::$variant,)+
                }
            }

            fn from_ssz_at(bytes: &[u8], fork: ForkName) -> Result<Self, ConsensusError> {
                match fork {
                    $(ForkName::$variant => ssz_at::<$ty>(bytes, $spec, fork).map(Self::$variant),)+
                    #[allow(unreachable_patterns)]
                    _ => Err(ConsensusError::NotAtFork { type_name: $spec, fork }),
                }
            }

            fn from_json_at(
                value: serde_json::Value,
                fork: ForkName,
            ) -> Result<Self, ConsensusError> {
                match fork {
                    $(ForkName::$variant => json_at::<$ty>(value, $spec, fork).map(Self::$variant),)+
                    #[allow(unreachable_patterns)]
                    _ => Err(ConsensusError::NotAtFork { type_name: $spec, fork }),
                }
            }

            fn to_ssz(&self) -> Vec<u8> {
                match self {
                    $(Self::$variant(inner) => inner.as_ssz_bytes(),)+
                }
            }

            fn root(&self) -> Root {
                match self {
                    $(Self::$variant(inner) => inner.tree_hash_root().into(),)+
                }
            }
        }

        impl<P: Preset> Serialize for $name<P> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self {
                    $(Self::$variant(inner) => inner.serialize(serializer),)+
                }
            }
        }
    };
}

versioned!(
    /// `BeaconBlock` of any fork.
    BeaconBlock, "BeaconBlock" {
        Phase0 => phase0::BeaconBlock<P>,
        Altair => altair::BeaconBlock<P>,
        Bellatrix => bellatrix::BeaconBlock<P>,
        Capella => capella::BeaconBlock<P>,
        Deneb => deneb::BeaconBlock<P>,
        Electra => electra::BeaconBlock<P>,
        Fulu => fulu::BeaconBlock<P>,
    }
);

versioned!(
    /// `SignedBeaconBlock` of any fork.
    SignedBeaconBlock, "SignedBeaconBlock" {
        Phase0 => phase0::SignedBeaconBlock<P>,
        Altair => altair::SignedBeaconBlock<P>,
        Bellatrix => bellatrix::SignedBeaconBlock<P>,
        Capella => capella::SignedBeaconBlock<P>,
        Deneb => deneb::SignedBeaconBlock<P>,
        Electra => electra::SignedBeaconBlock<P>,
        Fulu => fulu::SignedBeaconBlock<P>,
    }
);

versioned!(
    /// `BlindedBeaconBlock` of any fork from bellatrix on.
    BlindedBeaconBlock, "BlindedBeaconBlock" {
        Bellatrix => bellatrix::BlindedBeaconBlock<P>,
        Capella => capella::BlindedBeaconBlock<P>,
        Deneb => deneb::BlindedBeaconBlock<P>,
        Electra => electra::BlindedBeaconBlock<P>,
        Fulu => fulu::BlindedBeaconBlock<P>,
    }
);

versioned!(
    /// `SignedBlindedBeaconBlock` of any fork from bellatrix on.
    SignedBlindedBeaconBlock, "SignedBlindedBeaconBlock" {
        Bellatrix => bellatrix::SignedBlindedBeaconBlock<P>,
        Capella => capella::SignedBlindedBeaconBlock<P>,
        Deneb => deneb::SignedBlindedBeaconBlock<P>,
        Electra => electra::SignedBlindedBeaconBlock<P>,
        Fulu => fulu::SignedBlindedBeaconBlock<P>,
    }
);

versioned!(
    /// Block contents for production (`produceBlockV3`, unblinded, deneb on).
    BlockContents, "BlockContents" {
        Deneb => deneb::BlockContents<P>,
        Electra => electra::BlockContents<P>,
        Fulu => fulu::BlockContents<P>,
    }
);

versioned!(
    /// Signed block contents for publishing (`publishBlockV2`, deneb on).
    SignedBlockContents, "SignedBlockContents" {
        Deneb => deneb::SignedBlockContents<P>,
        Electra => electra::SignedBlockContents<P>,
        Fulu => fulu::SignedBlockContents<P>,
    }
);

versioned!(
    /// `Attestation` of any fork (electra adds `committee_bits`).
    Attestation, "Attestation" {
        Phase0 => phase0::Attestation<P>,
        Altair => phase0::Attestation<P>,
        Bellatrix => phase0::Attestation<P>,
        Capella => phase0::Attestation<P>,
        Deneb => phase0::Attestation<P>,
        Electra => electra::Attestation<P>,
        Fulu => electra::Attestation<P>,
    }
);

versioned!(
    /// `AttesterSlashing` of any fork.
    AttesterSlashing, "AttesterSlashing" {
        Phase0 => phase0::AttesterSlashing<P>,
        Altair => phase0::AttesterSlashing<P>,
        Bellatrix => phase0::AttesterSlashing<P>,
        Capella => phase0::AttesterSlashing<P>,
        Deneb => phase0::AttesterSlashing<P>,
        Electra => electra::AttesterSlashing<P>,
        Fulu => electra::AttesterSlashing<P>,
    }
);

versioned!(
    /// `AggregateAndProof` of any fork.
    AggregateAndProof, "AggregateAndProof" {
        Phase0 => phase0::AggregateAndProof<P>,
        Altair => phase0::AggregateAndProof<P>,
        Bellatrix => phase0::AggregateAndProof<P>,
        Capella => phase0::AggregateAndProof<P>,
        Deneb => phase0::AggregateAndProof<P>,
        Electra => electra::AggregateAndProof<P>,
        Fulu => electra::AggregateAndProof<P>,
    }
);

versioned!(
    /// `SignedAggregateAndProof` of any fork.
    SignedAggregateAndProof, "SignedAggregateAndProof" {
        Phase0 => phase0::SignedAggregateAndProof<P>,
        Altair => phase0::SignedAggregateAndProof<P>,
        Bellatrix => phase0::SignedAggregateAndProof<P>,
        Capella => phase0::SignedAggregateAndProof<P>,
        Deneb => phase0::SignedAggregateAndProof<P>,
        Electra => electra::SignedAggregateAndProof<P>,
        Fulu => electra::SignedAggregateAndProof<P>,
    }
);

/// What `produceBlockV3` returns, chosen by the fork and `Eth-Execution-Payload-Blinded`:
/// a plain block before deneb, block contents from deneb on, or a blinded block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProducedBlock<P: Preset> {
    /// Unblinded, before deneb.
    Block(BeaconBlock<P>),
    /// Unblinded, deneb on.
    Contents(BlockContents<P>),
    /// Blinded (bellatrix on).
    Blinded(BlindedBeaconBlock<P>),
}

/// What `publishBlockV2` / `publishBlindedBlockV2` accept, the signed counterpart of
/// [`ProducedBlock`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublishedBlock<P: Preset> {
    /// Unblinded, before deneb.
    Block(SignedBeaconBlock<P>),
    /// Unblinded, deneb on.
    Contents(SignedBlockContents<P>),
    /// Blinded (bellatrix on).
    Blinded(SignedBlindedBeaconBlock<P>),
}

macro_rules! proposal_enum {
    ($name:ident, $block:ident, $contents:ident, $blinded:ident) => {
        impl<P: Preset> $name<P> {
            /// The fork of the block.
            pub fn fork_name(&self) -> ForkName {
                match self {
                    Self::Block(inner) => inner.fork_name(),
                    Self::Contents(inner) => inner.fork_name(),
                    Self::Blinded(inner) => inner.fork_name(),
                }
            }

            /// Whether the payload is blinded.
            pub fn is_blinded(&self) -> bool {
                matches!(self, Self::Blinded(_))
            }

            /// Parses the `data` JSON given the fork and whether it is blinded.
            pub fn from_json_at(
                value: serde_json::Value,
                fork: ForkName,
                blinded: bool,
            ) -> Result<Self, ConsensusError> {
                if blinded {
                    $blinded::from_json_at(value, fork).map(Self::Blinded)
                } else if fork >= ForkName::Deneb {
                    $contents::from_json_at(value, fork).map(Self::Contents)
                } else {
                    $block::from_json_at(value, fork).map(Self::Block)
                }
            }

            /// Decodes SSZ given the fork and whether it is blinded.
            pub fn from_ssz_at(
                bytes: &[u8],
                fork: ForkName,
                blinded: bool,
            ) -> Result<Self, ConsensusError> {
                if blinded {
                    $blinded::from_ssz_at(bytes, fork).map(Self::Blinded)
                } else if fork >= ForkName::Deneb {
                    $contents::from_ssz_at(bytes, fork).map(Self::Contents)
                } else {
                    $block::from_ssz_at(bytes, fork).map(Self::Block)
                }
            }

            /// The SSZ encoding.
            pub fn to_ssz(&self) -> Vec<u8> {
                match self {
                    Self::Block(inner) => inner.to_ssz(),
                    Self::Contents(inner) => inner.to_ssz(),
                    Self::Blinded(inner) => inner.to_ssz(),
                }
            }
        }

        impl<P: Preset> Serialize for $name<P> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self {
                    Self::Block(inner) => inner.serialize(serializer),
                    Self::Contents(inner) => inner.serialize(serializer),
                    Self::Blinded(inner) => inner.serialize(serializer),
                }
            }
        }
    };
}

proposal_enum!(
    ProducedBlock,
    BeaconBlock,
    BlockContents,
    BlindedBeaconBlock
);
proposal_enum!(
    PublishedBlock,
    SignedBeaconBlock,
    SignedBlockContents,
    SignedBlindedBeaconBlock
);

impl<P: Preset> ProducedBlock<P> {
    /// The block itself (inside the contents when unblinded from deneb on), as its root is what
    /// the proposer signs.
    pub fn block_root(&self) -> Root {
        match self {
            Self::Block(block) => block.root(),
            Self::Contents(BlockContents::Deneb(contents)) => {
                contents.block.tree_hash_root().into()
            }
            Self::Contents(BlockContents::Electra(contents)) => {
                contents.block.tree_hash_root().into()
            }
            Self::Contents(BlockContents::Fulu(contents)) => contents.block.tree_hash_root().into(),
            Self::Blinded(block) => block.root(),
        }
    }
}

/// The beacon API's versioned envelope: `{ "version": "<fork>", "data": <container> }`.
/// Other fields of the response (`execution_optimistic`, `finalized`, ...) are ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versioned<T> {
    /// `version`: the fork of `data`.
    pub version: ForkName,
    /// `data`.
    pub data: T,
}

impl<T: ForkVersioned> Versioned<T> {
    /// Wraps a value with its own fork.
    pub fn new(data: T) -> Self {
        Self {
            version: data.fork_name(),
            data,
        }
    }
}

impl<T: ForkVersioned> Serialize for Versioned<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Envelope<'a, T> {
            version: ForkName,
            data: &'a T,
        }
        Envelope {
            version: self.version,
            data: &self.data,
        }
        .serialize(serializer)
    }
}

impl<'de, T: ForkVersioned> Deserialize<'de> for Versioned<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Envelope {
            version: ForkName,
            data: serde_json::Value,
        }
        let envelope = Envelope::deserialize(deserializer)?;
        let data =
            T::from_json_at(envelope.data, envelope.version).map_err(serde::de::Error::custom)?;
        Ok(Self {
            version: envelope.version,
            data,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consensus::{Mainnet, Minimal};

    #[test]
    fn fork_names_parse_in_any_case_and_reject_others() {
        for fork in ALL_FORKS {
            assert_eq!(parse_fork_name(fork.as_str()).unwrap(), fork);
            assert_eq!(
                parse_fork_name(&fork.as_str().to_uppercase()).unwrap(),
                fork
            );
            let json = serde_json::to_string(&fork).unwrap();
            assert_eq!(serde_json::from_str::<ForkName>(&json).unwrap(), fork);
        }
        for bad in ["", "gloas", "phase1", "deneb ", "0"] {
            assert!(parse_fork_name(bad).is_err(), "{bad:?} accepted");
        }
    }

    fn sample_phase0_block() -> phase0::BeaconBlock<Minimal> {
        phase0::BeaconBlock {
            slot: 9,
            proposer_index: 3,
            parent_root: Root([1; 32]),
            state_root: Root([2; 32]),
            body: phase0::BeaconBlockBody {
                randao_reveal: crate::BlsSignature([4; 96]),
                eth1_data: phase0::Eth1Data::default(),
                graffiti: Root([5; 32]),
                proposer_slashings: Default::default(),
                attester_slashings: Default::default(),
                attestations: Default::default(),
                deposits: Default::default(),
                voluntary_exits: Default::default(),
            },
        }
    }

    #[test]
    fn blocks_decode_only_at_their_fork_layout() {
        let block = BeaconBlock::<Minimal>::Phase0(sample_phase0_block());
        let bytes = block.to_ssz();
        let back = BeaconBlock::<Minimal>::from_ssz_at(&bytes, ForkName::Phase0).unwrap();
        assert_eq!(back, block);
        assert_eq!(back.fork_name(), ForkName::Phase0);
        // An altair body has a sync aggregate more: the phase0 bytes are too short for it.
        assert!(matches!(
            BeaconBlock::<Minimal>::from_ssz_at(&bytes, ForkName::Altair),
            Err(ConsensusError::Ssz {
                fork: ForkName::Altair,
                ..
            })
        ));
    }

    #[test]
    fn blinded_blocks_do_not_exist_before_bellatrix() {
        for fork in [ForkName::Phase0, ForkName::Altair] {
            assert!(matches!(
                BlindedBeaconBlock::<Mainnet>::from_json_at(serde_json::json!({}), fork),
                Err(ConsensusError::NotAtFork { .. })
            ));
        }
        assert!(matches!(
            BlockContents::<Mainnet>::from_ssz_at(&[], ForkName::Capella),
            Err(ConsensusError::NotAtFork { .. })
        ));
        // One step inside: bellatrix exists, so the (empty) JSON fails as JSON, not as a fork.
        assert!(matches!(
            BlindedBeaconBlock::<Mainnet>::from_json_at(serde_json::json!({}), ForkName::Bellatrix),
            Err(ConsensusError::Json { .. })
        ));
    }

    #[test]
    fn versioned_envelope_round_trips_and_uses_the_version() {
        let block = BeaconBlock::<Minimal>::Phase0(sample_phase0_block());
        let json = serde_json::to_value(Versioned::new(block.clone())).unwrap();
        assert_eq!(json["version"], "phase0");
        assert_eq!(json["data"]["slot"], "9");
        let back: Versioned<BeaconBlock<Minimal>> = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(back.data, block);
        let mut wrong = json;
        wrong["version"] = "altair".into();
        assert!(serde_json::from_value::<Versioned<BeaconBlock<Minimal>>>(wrong).is_err());
    }

    #[test]
    fn produced_block_picks_the_shape_from_fork_and_blinding() {
        let block = sample_phase0_block();
        let json = serde_json::to_value(&block).unwrap();
        let produced =
            ProducedBlock::<Minimal>::from_json_at(json.clone(), ForkName::Phase0, false).unwrap();
        assert!(!produced.is_blinded());
        assert_eq!(produced.block_root(), Root(block.tree_hash_root().0));
        assert_eq!(serde_json::to_value(&produced).unwrap(), json);
        // From deneb on the unblinded shape is block contents, which this JSON is not.
        assert!(ProducedBlock::<Minimal>::from_json_at(json, ForkName::Deneb, false).is_err());
    }
}
