//! Turning a produced block into the signed block to publish, and the header fields the client
//! checks before signing.

use mosaic_types::consensus::deneb::GenericSignedBlockContents;
use mosaic_types::consensus::phase0::GenericSigned;
use mosaic_types::consensus::versioned::{
    BeaconBlock, BlindedBeaconBlock, BlockContents, ProducedBlock, PublishedBlock,
    SignedBeaconBlock, SignedBlindedBeaconBlock, SignedBlockContents,
};
use mosaic_types::consensus::Preset;
use mosaic_types::{BlsSignature, Slot};

/// `(slot, proposer_index)` of a produced block.
pub(crate) fn slot_and_proposer<P: Preset>(block: &ProducedBlock<P>) -> (Slot, u64) {
    macro_rules! fields {
        ($value:expr, $enum:ident, [$($variant:ident),+], |$b:ident| $get:expr) => {
            match $value {
                $($enum::$variant($b) => $get,)+
            }
        };
    }
    match block {
        ProducedBlock::Block(block) => fields!(
            block,
            BeaconBlock,
            [Phase0, Altair, Bellatrix, Capella, Deneb, Electra, Fulu],
            |b| (b.slot, b.proposer_index)
        ),
        ProducedBlock::Contents(contents) => {
            fields!(contents, BlockContents, [Deneb, Electra, Fulu], |c| (
                c.block.slot,
                c.block.proposer_index
            ))
        }
        ProducedBlock::Blinded(block) => fields!(
            block,
            BlindedBeaconBlock,
            [Bellatrix, Capella, Deneb, Electra, Fulu],
            |b| (b.slot, b.proposer_index)
        ),
    }
}

/// The signed counterpart of `block` with `signature` over its block root.
pub(crate) fn into_signed<P: Preset>(
    block: ProducedBlock<P>,
    signature: BlsSignature,
) -> PublishedBlock<P> {
    macro_rules! sign {
        ($value:expr, $from:ident => $to:ident, [$($variant:ident),+]) => {
            match $value {
                $($from::$variant(message) => $to::$variant(GenericSigned { message, signature }),)+
            }
        };
    }
    match block {
        ProducedBlock::Block(block) => PublishedBlock::Block(sign!(
            block,
            BeaconBlock => SignedBeaconBlock,
            [Phase0, Altair, Bellatrix, Capella, Deneb, Electra, Fulu]
        )),
        ProducedBlock::Blinded(block) => PublishedBlock::Blinded(sign!(
            block,
            BlindedBeaconBlock => SignedBlindedBeaconBlock,
            [Bellatrix, Capella, Deneb, Electra, Fulu]
        )),
        ProducedBlock::Contents(contents) => {
            macro_rules! contents {
                ($($variant:ident),+) => {
                    match contents {
                        $(BlockContents::$variant(c) => {
                            SignedBlockContents::$variant(GenericSignedBlockContents {
                                signed_block: GenericSigned { message: c.block, signature },
                                kzg_proofs: c.kzg_proofs,
                                blobs: c.blobs,
                            })
                        })+
                    }
                };
            }
            PublishedBlock::Contents(contents!(Deneb, Electra, Fulu))
        }
    }
}
