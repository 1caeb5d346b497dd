//! Reading and replacing the signature of signed fork-versioned containers, and signing a
//! produced block into its publishable form.
//!
//! A distributed validator combines partial signatures into one group signature and then puts
//! that signature into the object its validator client signed (the same message, another
//! signature); these helpers do that for every fork without the caller matching on forks.

use tree_hash::TreeHash;

use super::deneb::GenericSignedBlockContents;
use super::phase0::GenericSigned;
use super::preset::Preset;
use super::versioned::{
    Attestation, BeaconBlock, BlindedBeaconBlock, BlockContents, ProducedBlock, PublishedBlock,
    SignedAggregateAndProof, SignedBeaconBlock, SignedBlindedBeaconBlock, SignedBlockContents,
};
use crate::{BlsSignature, Root, Slot};

/// `field!(value {a.b})` is `value.a.b`.
macro_rules! field {
    ($value:ident { $($path:tt)* }) => {
        $value.$($path)*
    };
}

macro_rules! signed_accessors {
    ($name:ident { $($variant:ident),+ } , |$inner:ident| signature: $path:tt, slot: $slot:expr, root: $root:expr) => {
        impl<P: Preset> $name<P> {
            /// The signature.
            pub fn signature(&self) -> BlsSignature {
                match self {
                    $(Self::$variant($inner) => field!($inner $path),)+
                }
            }

            /// The same message with `signature` in place of its signature.
            pub fn with_signature(&self, signature: BlsSignature) -> Self {
                match self {
                    $(Self::$variant(inner) => {
                        let mut $inner = inner.clone();
                        field!($inner $path) = signature;
                        Self::$variant($inner)
                    })+
                }
            }

            /// The slot the message is for.
            pub fn slot(&self) -> Slot {
                match self {
                    $(Self::$variant($inner) => $slot,)+
                }
            }

            /// `hash_tree_root` of the signed message (what its signing root wraps).
            pub fn message_root(&self) -> Root {
                match self {
                    $(Self::$variant($inner) => $root,)+
                }
            }
        }
    };
}

signed_accessors!(
    SignedBeaconBlock { Phase0, Altair, Bellatrix, Capella, Deneb, Electra, Fulu },
    |inner| signature: {signature},
    slot: inner.message.slot,
    root: inner.message.tree_hash_root().into()
);
signed_accessors!(
    SignedBlindedBeaconBlock { Bellatrix, Capella, Deneb, Electra, Fulu },
    |inner| signature: {signature},
    slot: inner.message.slot,
    root: inner.message.tree_hash_root().into()
);
signed_accessors!(
    SignedBlockContents { Deneb, Electra, Fulu },
    |inner| signature: {signed_block.signature},
    slot: inner.signed_block.message.slot,
    root: inner.signed_block.message.tree_hash_root().into()
);
signed_accessors!(
    Attestation { Phase0, Altair, Bellatrix, Capella, Deneb, Electra, Fulu },
    |inner| signature: {signature},
    slot: inner.data.slot,
    root: inner.data.tree_hash_root().into()
);
signed_accessors!(
    SignedAggregateAndProof { Phase0, Altair, Bellatrix, Capella, Deneb, Electra, Fulu },
    |inner| signature: {signature},
    slot: inner.message.aggregate.data.slot,
    root: inner.message.tree_hash_root().into()
);

impl<P: Preset> PublishedBlock<P> {
    /// The block signature.
    pub fn signature(&self) -> BlsSignature {
        match self {
            Self::Block(block) => block.signature(),
            Self::Contents(contents) => contents.signature(),
            Self::Blinded(block) => block.signature(),
        }
    }

    /// The same block with `signature` in place of its signature.
    pub fn with_signature(&self, signature: BlsSignature) -> Self {
        match self {
            Self::Block(block) => Self::Block(block.with_signature(signature)),
            Self::Contents(contents) => Self::Contents(contents.with_signature(signature)),
            Self::Blinded(block) => Self::Blinded(block.with_signature(signature)),
        }
    }

    /// The block's slot.
    pub fn slot(&self) -> Slot {
        match self {
            Self::Block(block) => block.slot(),
            Self::Contents(contents) => contents.slot(),
            Self::Blinded(block) => block.slot(),
        }
    }

    /// `hash_tree_root` of the (possibly blinded) block, the object the proposer signs.
    pub fn block_root(&self) -> Root {
        match self {
            Self::Block(block) => block.message_root(),
            Self::Contents(contents) => contents.message_root(),
            Self::Blinded(block) => block.message_root(),
        }
    }
}

macro_rules! sign_plain {
    ($block:expr, $signature:expr, { $($variant:ident),+ }) => {
        match $block {
            $(BeaconBlock::$variant(message) => SignedBeaconBlock::$variant(GenericSigned {
                message: message.clone(),
                signature: $signature,
            }),)+
        }
    };
}

macro_rules! sign_blinded {
    ($block:expr, $signature:expr, { $($variant:ident),+ }) => {
        match $block {
            $(BlindedBeaconBlock::$variant(message) => SignedBlindedBeaconBlock::$variant(GenericSigned {
                message: message.clone(),
                signature: $signature,
            }),)+
        }
    };
}

macro_rules! sign_contents {
    ($contents:expr, $signature:expr, { $($variant:ident),+ }) => {
        match $contents {
            $(BlockContents::$variant(contents) => SignedBlockContents::$variant(GenericSignedBlockContents {
                signed_block: GenericSigned {
                    message: contents.block.clone(),
                    signature: $signature,
                },
                kzg_proofs: contents.kzg_proofs.clone(),
                blobs: contents.blobs.clone(),
            }),)+
        }
    };
}

impl<P: Preset> ProducedBlock<P> {
    /// The block's slot.
    pub fn slot(&self) -> Slot {
        match self {
            Self::Block(block) => match block {
                BeaconBlock::Phase0(b) => b.slot,
                BeaconBlock::Altair(b) => b.slot,
                BeaconBlock::Bellatrix(b) => b.slot,
                BeaconBlock::Capella(b) => b.slot,
                BeaconBlock::Deneb(b) => b.slot,
                BeaconBlock::Electra(b) => b.slot,
                BeaconBlock::Fulu(b) => b.slot,
            },
            Self::Contents(contents) => match contents {
                BlockContents::Deneb(c) => c.block.slot,
                BlockContents::Electra(c) => c.block.slot,
                BlockContents::Fulu(c) => c.block.slot,
            },
            Self::Blinded(block) => match block {
                BlindedBeaconBlock::Bellatrix(b) => b.slot,
                BlindedBeaconBlock::Capella(b) => b.slot,
                BlindedBeaconBlock::Deneb(b) => b.slot,
                BlindedBeaconBlock::Electra(b) => b.slot,
                BlindedBeaconBlock::Fulu(b) => b.slot,
            },
        }
    }

    /// The publishable form of this block signed with `signature` (blobs and proofs kept).
    pub fn signed(&self, signature: BlsSignature) -> PublishedBlock<P> {
        match self {
            Self::Block(block) => PublishedBlock::Block(sign_plain!(
                block,
                signature,
                { Phase0, Altair, Bellatrix, Capella, Deneb, Electra, Fulu }
            )),
            Self::Contents(contents) => PublishedBlock::Contents(sign_contents!(
                contents,
                signature,
                { Deneb, Electra, Fulu }
            )),
            Self::Blinded(block) => PublishedBlock::Blinded(sign_blinded!(
                block,
                signature,
                { Bellatrix, Capella, Deneb, Electra, Fulu }
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consensus::{phase0, Minimal};

    fn signature(byte: u8) -> BlsSignature {
        BlsSignature([byte; 96])
    }

    fn block() -> phase0::BeaconBlock<Minimal> {
        phase0::BeaconBlock {
            slot: 17,
            proposer_index: 3,
            parent_root: Root([1; 32]),
            state_root: Root([2; 32]),
            body: phase0::BeaconBlockBody {
                randao_reveal: BlsSignature([4; 96]),
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
    fn signing_a_produced_block_keeps_the_root_and_sets_the_signature() {
        let produced = ProducedBlock::<Minimal>::Block(BeaconBlock::Phase0(block()));
        let published = produced.signed(signature(7));
        assert_eq!(produced.slot(), 17);
        assert_eq!(published.slot(), 17);
        assert_eq!(published.signature(), signature(7));
        assert_eq!(published.block_root(), produced.block_root());
        let replaced = published.with_signature(signature(9));
        assert_eq!(replaced.signature(), signature(9));
        assert_eq!(replaced.block_root(), produced.block_root());
        assert_ne!(replaced, published);
    }

    #[test]
    fn attestation_signature_is_replaced_and_root_is_the_data_root() {
        let attestation = phase0::Attestation::<Minimal> {
            aggregation_bits: ssz_types::BitList::with_capacity(4).unwrap(),
            data: phase0::AttestationData {
                slot: 5,
                ..Default::default()
            },
            signature: signature(1),
        };
        let versioned = Attestation::Capella(attestation.clone());
        let replaced = versioned.with_signature(signature(4));
        assert_eq!(replaced.signature(), signature(4));
        assert_eq!(versioned.signature(), signature(1));
        assert_eq!(replaced.slot(), 5);
        let data_root: Root = attestation.data.tree_hash_root().into();
        assert_eq!(replaced.message_root(), data_root);
    }
}
