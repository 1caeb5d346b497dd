//! Ethereum helpers: keccak-256, EIP-712 digests of the cluster's typed data, secp256k1
//! signature recovery (65-byte `R || S || V`), and the networks' chain ids.

use k256::ecdsa::{RecoveryId, Signature, VerifyingKey};
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
pub fn recover(digest: &[u8; 32], sig: &[u8]) -> Result<VerifyingKey, String> {
    if sig.len() != 65 {
        return Err(format!("signature must be 65 bytes, found {}", sig.len()));
    }
    let v = match sig[64] {
        v @ (0 | 1) => v,
        v @ (27 | 28) => v - 27,
        v => return Err(format!("invalid recovery id {v}")),
    };
    let signature =
        Signature::from_slice(&sig[..64]).map_err(|e| format!("malformed signature: {e}"))?;
    let recid = RecoveryId::from_byte(v).ok_or_else(|| format!("invalid recovery id {v}"))?;
    VerifyingKey::recover_from_prehash(digest, &signature, recid)
        .map_err(|e| format!("cannot recover signer: {e}"))
}

/// The Ethereum address (last 20 bytes of keccak of the uncompressed point) of a public key.
pub fn address_of(key: &VerifyingKey) -> [u8; 20] {
    let point = key.to_encoded_point(false);
    let hash = keccak256(&point.as_bytes()[1..]);
    let mut out = [0u8; 20];
    out.copy_from_slice(&hash[12..]);
    out
}

/// Signs `digest` with a secp256k1 key, returning 65-byte `R || S || V` with V in {0, 1}.
pub fn sign(key: &k256::ecdsa::SigningKey, digest: &[u8; 32]) -> Result<[u8; 65], String> {
    let (sig, recid) = key
        .sign_prehash_recoverable(digest)
        .map_err(|e| format!("secp256k1 signing failed: {e}"))?;
    let mut out = [0u8; 65];
    out[..64].copy_from_slice(&sig.to_bytes());
    out[64] = recid.to_byte();
    Ok(out)
}

/// A network Charon knows by its genesis fork version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    /// Name, e.g. `mainnet`.
    pub name: &'static str,
    /// Execution chain id (the EIP-712 `chainId`).
    pub chain_id: u64,
    /// Genesis fork version.
    pub genesis_fork_version: [u8; 4],
    /// Beacon genesis time (Unix seconds): the builder registration timestamp `create` uses.
    pub genesis_time: u64,
}

/// Networks with fixed chain ids, as Charon lists them.
pub const NETWORKS: &[Network] = &[
    Network {
        name: "mainnet",
        chain_id: 1,
        genesis_fork_version: [0, 0, 0, 0],
        genesis_time: 1_606_824_023,
    },
    Network {
        name: "goerli",
        chain_id: 5,
        genesis_fork_version: [0, 0, 0x10, 0x20],
        genesis_time: 1_616_508_000,
    },
    Network {
        name: "gnosis",
        chain_id: 100,
        genesis_fork_version: [0, 0, 0, 0x64],
        genesis_time: 1_638_993_340,
    },
    Network {
        name: "chiado",
        chain_id: 10200,
        genesis_fork_version: [0, 0, 0, 0x6f],
        genesis_time: 1_665_396_300,
    },
    Network {
        name: "sepolia",
        chain_id: 11_155_111,
        genesis_fork_version: [0x90, 0, 0, 0x69],
        genesis_time: 1_655_733_600,
    },
    Network {
        name: "hoodi",
        chain_id: 560_048,
        genesis_fork_version: [0x10, 0, 0x09, 0x10],
        genesis_time: 1_742_213_400,
    },
];

/// The network with this genesis fork version.
pub fn network_by_fork_version(fork_version: &[u8]) -> Option<&'static Network> {
    NETWORKS
        .iter()
        .find(|n| n.genesis_fork_version[..] == *fork_version)
}

/// The network with this name.
pub fn network_by_name(name: &str) -> Option<&'static Network> {
    NETWORKS.iter().find(|n| n.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_then_recover_gives_the_signer_address() {
        let key = k256::ecdsa::SigningKey::from_slice(&[7u8; 32]).expect("key");
        let digest = eip712_digest(Eip712Type::Enr, "enr:-abc", 1);
        let sig = sign(&key, &digest).expect("sign");
        let rec = recover(&digest, &sig).expect("recover");
        assert_eq!(address_of(&rec), address_of(key.verifying_key()));
        let mut offset = sig;
        offset[64] += 27;
        assert_eq!(
            recover(&digest, &offset).map(|k| address_of(&k)),
            Ok(address_of(key.verifying_key()))
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
