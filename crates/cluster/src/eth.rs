//! Ethereum helpers: keccak-256, EIP-712 digests of the cluster's typed data, secp256k1
//! signature recovery (65-byte `R || S || V`). Chain ids come from [`crate::network`].

use mosaic_crypto::secp256k1::{PublicKey, RecoverableSignature, SecretKey};
use sha3::{Digest, Keccak256};

/// keccak-256 of `data`.
pub fn keccak256(data: &[u8]) -> [u8; 32] {
    Keccak256::digest(data).into()
}

/// The EIP-712 primary types signed in cluster definitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Eip712Type {
    /// `CreatorConfigHash(string creator_config_hash)` (v1.4+ creator).
    CreatorConfigHash,
    /// `OperatorConfigHash(string operator_config_hash)` (v1.4+ operators).
    OperatorConfigHash,
    /// `ConfigHash(string config_hash)` (v1.3 operators).
    ConfigHash,
    /// `ENR(string enr)` (operator ENR signature).
    Enr,
}

impl Eip712Type {
    fn name_and_field(self) -> (&'static str, &'static str) {
        match self {
            Eip712Type::CreatorConfigHash => ("CreatorConfigHash", "creator_config_hash"),
            Eip712Type::OperatorConfigHash => ("OperatorConfigHash", "operator_config_hash"),
            Eip712Type::ConfigHash => ("ConfigHash", "config_hash"),
            Eip712Type::Enr => ("ENR", "enr"),
        }
    }
}

/// The EIP-712 digest `keccak256(0x1901 || domainSeparator || hashStruct(message))` for a
/// single-string-field type, in the domain `{name: "Obol", version: "1", chainId}`.
pub fn eip712_digest(typ: Eip712Type, value: &str, chain_id: u64) -> [u8; 32] {
    let domain_type = keccak256(b"EIP712Domain(string name,string version,uint256 chainId)");
    let mut chain = [0u8; 32];
    chain[24..].copy_from_slice(&chain_id.to_be_bytes());
    let domain = keccak256(
        &[
            &domain_type[..],
            &keccak256(b"Obol"),
            &keccak256(b"1"),
            &chain,
        ]
        .concat(),
    );
    let (name, field) = typ.name_and_field();
    let type_hash = keccak256(format!("{name}(string {field})").as_bytes());
    let message = keccak256(&[type_hash, keccak256(value.as_bytes())].concat());
    keccak256(&[&[0x19u8, 0x01][..], &domain, &message].concat())
}

/// Recovers the signer of a 65-byte `R || S || V` signature (V in {0, 1, 27, 28}).
pub fn recover(digest: &[u8; 32], sig: &[u8]) -> Result<PublicKey, String> {
    RecoverableSignature::from_bytes(sig)
        .and_then(|signature| signature.recover(digest))
        .map_err(|e| e.to_string())
}

/// The Ethereum address (last 20 bytes of keccak of the uncompressed point) of a public key.
pub fn address_of(key: &PublicKey) -> [u8; 20] {
    key.ethereum_address()
}

/// Signs `digest` with a secp256k1 key, returning 65-byte `R || S || V` with V in {0, 1}.
pub fn sign(key: &SecretKey, digest: &[u8; 32]) -> [u8; 65] {
    key.sign(digest).to_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_then_recover_gives_the_signer_address() {
        let key = SecretKey::from_bytes(&[7u8; 32]).expect("key");
        let digest = eip712_digest(Eip712Type::Enr, "enr:-abc", 1);
        let sig = sign(&key, &digest);
        let rec = recover(&digest, &sig).expect("recover");
        assert_eq!(address_of(&rec), address_of(&key.public_key()));
        let mut offset = sig;
        offset[64] += 27;
        assert_eq!(
            recover(&digest, &offset).map(|k| address_of(&k)),
            Ok(address_of(&key.public_key()))
        );
        let mut bad = sig;
        bad[64] = 2;
        assert!(recover(&digest, &bad).is_err());
        assert!(recover(&digest, &sig[..64]).is_err());
    }

    #[test]
    fn digests_differ_by_type_and_chain() {
        let a = eip712_digest(Eip712Type::CreatorConfigHash, "0x01", 1);
        assert_ne!(a, eip712_digest(Eip712Type::OperatorConfigHash, "0x01", 1));
        assert_ne!(a, eip712_digest(Eip712Type::CreatorConfigHash, "0x01", 5));
    }
}
