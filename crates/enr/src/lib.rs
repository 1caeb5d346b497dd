//! Ethereum Node Records (EIP-778) as Charon uses them: the `v4` identity scheme over
//! secp256k1, text form `enr:<unpadded URL-safe base64 of the RLP encoding>`.
//!
//! Parsing is strict: canonical RLP only, at most 300 bytes, keys sorted and unique, `id = "v4"`,
//! a 33-byte compressed `secp256k1` key, well-formed `ip`/`tcp`/`udp` when present, and a valid
//! signature. A parsed [`Enr`] is therefore always verified.

mod error;
mod record;
mod rlp;

pub use error::Error;
pub use record::{Enr, MAX_RECORD_SIZE, TEXT_PREFIX};
pub use rlp::RlpError;

/// The secp256k1 key types of the `v4` identity scheme (from `mosaic-crypto`).
pub mod secp256k1 {
    pub use mosaic_crypto::secp256k1::{PublicKey, SecretKey};
}
