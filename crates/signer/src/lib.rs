//! Signer mode: the node performs every duty itself with its own key share, and every block and
//! attestation signature first passes EIP-3076 slashing protection.
//!
//! [`SlashingGuard`] implements [`mosaic_vc::SigningGuard`] over a [`mosaic_slashing::SlashingDb`]
//! (the file `<data-dir>/slashing-protection.sqlite`, [`slashing_db_path`], the same one
//! `mosaic slashing import|export|list` works on). The built-in validator client asks it after
//! the signing root is known and before the share key signs; the guard's `check_and_insert`
//! commits (SQLite WAL, `synchronous=FULL`) before it answers, so the record is durable before
//! the signature exists, let alone leaves the process.
//!
//! **Which key the records are kept under.** The validator client signs with a key *share*, but
//! the records are kept under the distributed validator's (group) public key, mapped by
//! [`KeyMap`] from the cluster lock. The messages a share signs are the DV's messages (the
//! signing root does not depend on the key), so the history is the DV's history: an
//! `mosaic slashing export` is then a standard EIP-3076 interchange that any client running the
//! DV key (or a solo validator being migrated into the cluster) can import, and vice versa.
//!
//! **Chains.** Records live in the namespace of the chain's genesis validators root, read from
//! the beacon node at start-up. After an Ephemery reset (a new root) the node is restarted or
//! [`SlashingGuard::switch_chain`] is called: a new, empty namespace starts and the old one is
//! kept for inspection.
//!
//! **One process.** The database is locked for the guard's lifetime; a second signer on the same
//! data directory fails to start with [`SignerError::Database`] naming the file and its lock.

mod error;
mod guard;
mod keymap;

#[cfg(feature = "crash-injection")]
pub mod crash;

pub use error::SignerError;
pub use guard::{GuardStats, GuardedMessage, RefusalRecord, SlashingGuard};
pub use keymap::KeyMap;

use std::path::{Path, PathBuf};

/// File name of the slashing-protection database inside a node's data directory (shared with
/// `mosaic slashing`).
pub const SLASHING_DB_FILE: &str = "slashing-protection.sqlite";

/// The slashing-protection database of the node whose data directory is `data_dir`.
pub fn slashing_db_path(data_dir: &Path) -> PathBuf {
    data_dir.join(SLASHING_DB_FILE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_lives_in_the_data_directory() {
        assert_eq!(
            slashing_db_path(Path::new("/data/node0")),
            PathBuf::from("/data/node0/slashing-protection.sqlite")
        );
    }
}
