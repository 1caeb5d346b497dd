//! Cryptography for Mosaic: secp256k1 (Charon's 65-byte recoverable signatures), BLS12-381 and
//! threshold BLS over blst, and EIP-2335 keystores.
//!
//! Every secret lives in a type that zeroizes on drop and whose `Debug` prints nothing secret.

pub mod bls;
mod error;
mod field;
mod hexutil;
mod msm;
pub mod secp256k1;
pub mod tbls;

pub use error::Error;
