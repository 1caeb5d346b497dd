//! EIP-3076 slashing protection for Mosaic's signer mode.
//!
//! A [`SlashingDb`] is an SQLite database (one file, plus `<file>.lock` held with an exclusive OS
//! advisory lock for the handle's lifetime). It holds one [`Namespace`] per genesis validators
//! root, so an Ephemery reset starts a fresh namespace while older ones are kept. Within a
//! namespace, validators are registered (explicitly or by importing an interchange) and every
//! message passes a `check_and_insert_*` method before it is signed:
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use mosaic_slashing::{Safe, SlashingDb};
//! let mut db = SlashingDb::open("/var/lib/mosaic/slashing.sqlite")?;
//! let mut chain = db.namespace([0x11; 32])?;
//! let pubkey = [0xaa; 48];
//! chain.register_validators(&[pubkey])?;
//! match chain.check_and_insert_attestation(&pubkey, 10, 11, Some([0x22; 32])) {
//!     Ok(Safe::Valid | Safe::SameData) => { /* durable: sign now */ }
//!     Err(not_safe) => eprintln!("refusing to sign: {not_safe}"),
//! }
//! # Ok(()) }
//! ```
//!
//! The database is *complete* in EIP-3076's sense: it keeps every message, and enforces all five
//! conditions at all times (double proposals, double and surround votes, and the low watermarks
//! formed by the lowest slot, source and target on record). An unknown (absent) signing root never
//! counts as a repeat signing. Interchange files (format version 5) are imported and
//! exported with [`Interchange`].

mod db;
mod error;
mod hex_display;
mod interchange;
mod namespace;
mod rules;
mod schema;
mod verdict;

pub use db::{NamespaceInfo, SlashingDb};
pub use error::Error;
pub use hex_display::Hex;
pub use interchange::{
    FormatVersion5, Interchange, InterchangeMetadata, InterchangeValidator, SignedAttestation,
    SignedBlock,
};
pub use namespace::{AttestationRequest, ImportSummary, Namespace};
pub use verdict::{NotSafe, Safe};

/// A BLS public key, compressed (48 bytes).
pub type PublicKeyBytes = [u8; 48];

/// A 32-byte root: a genesis validators root or a signing root.
pub type Root = [u8; 32];
