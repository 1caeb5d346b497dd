//! The crate's error type.

use mosaic_slashing::Hex;

/// Why signer mode could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SignerError {
    /// The slashing-protection database could not be opened (locked by another process,
    /// unreadable, newer schema, ...) or failed while registering validators.
    #[error(transparent)]
    Database(#[from] mosaic_slashing::Error),
    /// A signing key is not a public share of any distributed validator of the cluster lock.
    #[error(
        "key share {share} is not a public share of any distributed validator in the cluster \
         lock; the validator_keys/ folder and the lock do not belong together"
    )]
    UnknownShare {
        /// The share's public key.
        share: Hex<48>,
    },
    /// A distributed validator of the cluster lock has a malformed public key or share.
    #[error("cluster lock validator {index}: {field} is {len} bytes, expected 48")]
    MalformedLockKey {
        /// The validator's position in the lock.
        index: usize,
        /// `public_key` or `public_shares[i]`.
        field: String,
        /// Its length.
        len: usize,
    },
    /// Two signing keys map to the same protected key: one of them would bypass the other's
    /// history.
    #[error("key shares {first} and {second} both belong to distributed validator {protected}")]
    SharedProtectedKey {
        /// The first share (0x-hex).
        first: String,
        /// The second share (0x-hex).
        second: String,
        /// The distributed validator they both map to (0x-hex).
        protected: String,
    },
}
