//! The node's libp2p identity is its ENR key: the secp256k1 secret in `charon-enr-private-key`.
//!
//! Peer IDs are derived as Charon (go-libp2p) derives them: the secp256k1 public key in its
//! 33-byte compressed form, wrapped in libp2p's `PublicKey` protobuf (`KeyType = Secp256k1`), and
//! since that encoding is at most 42 bytes the peer ID is its identity multihash — which is why
//! every such peer ID starts with `16Uiu2`.

use std::path::Path;

use libp2p::identity::{self, Keypair, PeerId};
use mosaic_crypto::secp256k1::{PublicKey, SecretKey};
use zeroize::Zeroizing;

use crate::Error;

/// Converts the node's ENR secret key into the libp2p keypair (same 32 bytes).
pub fn keypair_from_secret(secret: &SecretKey) -> Result<Keypair, Error> {
    // `try_from_bytes` zeroizes the buffer it is given; the copy here zeroizes on drop too.
    let mut bytes = secret.to_bytes();
    let secret = identity::secp256k1::SecretKey::try_from_bytes(bytes.as_mut_slice())
        .map_err(|e| Error::Identity(format!("secp256k1 secret key rejected by libp2p: {e}")))?;
    Ok(identity::secp256k1::Keypair::from(secret).into())
}

/// The libp2p public key of an ENR public key.
pub fn libp2p_public_key(public: &PublicKey) -> Result<identity::PublicKey, Error> {
    let key = identity::secp256k1::PublicKey::try_from_bytes(&public.to_compressed())
        .map_err(|e| Error::Identity(format!("secp256k1 public key rejected by libp2p: {e}")))?;
    Ok(key.into())
}

/// The peer ID of an ENR public key, as Charon derives it.
pub fn peer_id_from_public_key(public: &PublicKey) -> Result<PeerId, Error> {
    Ok(libp2p_public_key(public)?.to_peer_id())
}

/// Recovers the secp256k1 public key from a peer ID (inverse of [`peer_id_from_public_key`]).
/// Fails for peer IDs that are hashes or hold another key type.
pub fn public_key_from_peer_id(peer: &PeerId) -> Result<PublicKey, Error> {
    let multihash = peer.as_ref();
    // 0x00 is the identity multihash code: the digest is the protobuf-encoded key itself.
    if multihash.code() != 0x00 {
        return Err(Error::Identity(format!(
            "peer ID {peer} is a hash, not an inlined public key"
        )));
    }
    let key = identity::PublicKey::try_decode_protobuf(multihash.digest())
        .map_err(|e| Error::Identity(format!("peer ID {peer} holds no valid public key: {e}")))?;
    let key = key
        .try_into_secp256k1()
        .map_err(|_| Error::Identity(format!("peer ID {peer} holds a non-secp256k1 key")))?;
    PublicKey::from_bytes(&key.to_bytes())
        .map_err(|e| Error::Identity(format!("peer ID {peer}: {e}")))
}

/// Reads an ENR private key file (hex, optional `0x`, surrounding whitespace ignored), as
/// written by `charon create cluster` and Mosaic's dealer (`charon-enr-private-key`).
pub fn load_enr_private_key(path: &Path) -> Result<SecretKey, Error> {
    let text = Zeroizing::new(
        std::fs::read_to_string(path).map_err(|source| Error::KeyFile {
            path: path.to_path_buf(),
            reason: source.to_string(),
        })?,
    );
    SecretKey::from_hex(text.trim()).map_err(|e| Error::KeyFile {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keypair_matches_the_enr_key() {
        let secret = SecretKey::random();
        let keypair = keypair_from_secret(&secret).expect("keypair");
        let expected = peer_id_from_public_key(&secret.public_key()).expect("peer id");
        assert_eq!(keypair.public().to_peer_id(), expected);
        assert!(expected.to_base58().starts_with("16Uiu2"));
    }

    #[test]
    fn peer_id_round_trips_to_the_public_key() {
        let public = SecretKey::random().public_key();
        let peer = peer_id_from_public_key(&public).expect("peer id");
        assert_eq!(public_key_from_peer_id(&peer).expect("key"), public);
    }

    #[test]
    fn key_file_is_read_like_charon_writes_it() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("charon-enr-private-key");
        let secret = SecretKey::random();
        let hex_key = hex::encode(secret.to_bytes().as_slice());
        std::fs::write(&path, format!("{hex_key}\n")).expect("write");
        let loaded = load_enr_private_key(&path).expect("load");
        assert_eq!(loaded.public_key(), secret.public_key());

        // One hex digit short: refused, and the error does not echo the file's content.
        std::fs::write(&path, &hex_key[1..]).expect("write");
        let err = load_enr_private_key(&path).expect_err("short key");
        assert!(matches!(err, Error::KeyFile { .. }));
        assert!(!err.to_string().contains(&hex_key[1..]), "{err}");
        assert!(load_enr_private_key(&dir.path().join("missing")).is_err());
    }

    #[test]
    fn non_secp256k1_peer_ids_are_rejected() {
        // A SHA-256 multihash peer ID (as RSA keys get) holds no key.
        let hashed: PeerId = "QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N"
            .parse()
            .expect("peer id");
        assert!(public_key_from_peer_id(&hashed).is_err());
    }
}
