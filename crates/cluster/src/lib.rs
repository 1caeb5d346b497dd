//! Obol/Charon-compatible cluster definition and lock files (v1.0 to v1.11): parsing, byte-stable
//! writing, config/definition/lock hashes, signature verification, the trusted dealer
//! ([`build_lock`] in memory, [`create_cluster_dir`] on disk in `charon create cluster`'s layout),
//! splitting existing keys ([`load_existing_keys`]), [`combine`] and the [`LockSummary`] of
//! `inspect`. Networks come from `mosaic_types::Network` (see [`network`]).

mod combine;
mod create;
pub mod dealer;
pub mod deposit_file;
mod enr;
mod error;
pub mod eth;
mod fsutil;
mod gojson;
mod hashing;
mod inspect;
mod keys;
mod model;
pub mod network;
mod parse;
mod ssz;
mod timestamp;
mod verify;
mod version;
mod write;

pub use combine::{
    cluster_node_dirs, combine, combine_with, expand_node_dirs, CombineOptions, CombineReport,
    CombinedFolder,
};
pub use create::{
    create_cluster_dir, create_enr_key, node_dir_name, CreatedCluster, ENR_PRIVATE_KEY_FILE,
    LOCK_FILE, VALIDATOR_KEYS_DIR,
};
pub use dealer::{build_lock, CreateParams, Dealt};
pub use error::{Error, Result, VerifyError};
pub use inspect::{LockSummary, OperatorSummary, ValidatorSummary};
pub use keys::load_existing_keys;
pub use model::{
    BuilderRegistration, Creator, Definition, DepositData, DistValidator, Lock, Operator,
    Registration, ValidatorAddresses,
};
pub use parse::{
    check_deposit_amounts, FULL_DEPOSIT_GWEI, MAX_COMPOUNDING_DEPOSIT_GWEI, MIN_DEPOSIT_GWEI,
};
pub use verify::VerifyOptions;
pub use version::Version;
