//! Obol/Charon-compatible cluster definition and lock files (v1.0 to v1.11): parsing, byte-stable
//! writing, config/definition/lock hashes, signature verification, the trusted-dealer `create`
//! and `combine`.

pub mod dealer;
mod enr;
mod error;
pub mod eth;
mod gojson;
mod hashing;
mod model;
mod parse;
mod ssz;
mod verify;
mod version;
mod write;

pub use dealer::{build_lock, CreateParams, Dealt};
pub use error::{Error, Result, VerifyError};
pub use model::{
    BuilderRegistration, Creator, Definition, DepositData, DistValidator, Lock, Operator,
    Registration, ValidatorAddresses,
};
pub use parse::{
    check_deposit_amounts, FULL_DEPOSIT_GWEI, MAX_COMPOUNDING_DEPOSIT_GWEI, MIN_DEPOSIT_GWEI,
};
pub use verify::VerifyOptions;
pub use version::Version;
