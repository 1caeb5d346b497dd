//! Fulu (`specs/fulu/`): blocks are electra's unchanged; only the beacon API's block contents
//! differ, carrying one KZG cell proof per cell (`CELLS_PER_EXT_BLOB` per blob, EIP-7594)
//! instead of one proof per blob.

use super::deneb::{GenericBlockContents, GenericSignedBlockContents};
use super::preset::Preset;

pub use super::electra::{
    BeaconBlock, BeaconBlockBody, BlindedBeaconBlock, BlindedBeaconBlockBody, SignedBeaconBlock,
    SignedBlindedBeaconBlock,
};

/// `BlockContents` (fulu): `kzg_proofs` holds cell proofs, up to
/// `CELLS_PER_EXT_BLOB * MAX_BLOB_COMMITMENTS_PER_BLOCK`.
pub type BlockContents<P> =
    GenericBlockContents<BeaconBlock<P>, P, <P as Preset>::MaxCellProofsPerBlock>;
/// `SignedBlockContents` (fulu): `kzg_proofs` holds cell proofs.
pub type SignedBlockContents<P> =
    GenericSignedBlockContents<BeaconBlock<P>, P, <P as Preset>::MaxCellProofsPerBlock>;
