//! Signature domains and signing roots, exactly as `ethereum/consensus-specs` (phase0
//! `compute_fork_data_root`, `compute_domain`, `compute_signing_root`) and the builder
//! specs (`DOMAIN_APPLICATION_BUILDER`).

use tree_hash::TreeHash;

use crate::bytes::{Domain, DomainType, Root, Version};
use crate::containers::{ForkData, SigningData};

/// `DOMAIN_BEACON_PROPOSER`.
pub const DOMAIN_BEACON_PROPOSER: DomainType = DomainType([0x00, 0x00, 0x00, 0x00]);
/// `DOMAIN_BEACON_ATTESTER`.
pub const DOMAIN_BEACON_ATTESTER: DomainType = DomainType([0x01, 0x00, 0x00, 0x00]);
/// `DOMAIN_RANDAO`.
pub const DOMAIN_RANDAO: DomainType = DomainType([0x02, 0x00, 0x00, 0x00]);
/// `DOMAIN_DEPOSIT`.
pub const DOMAIN_DEPOSIT: DomainType = DomainType([0x03, 0x00, 0x00, 0x00]);
/// `DOMAIN_VOLUNTARY_EXIT`.
pub const DOMAIN_VOLUNTARY_EXIT: DomainType = DomainType([0x04, 0x00, 0x00, 0x00]);
/// `DOMAIN_SELECTION_PROOF`.
pub const DOMAIN_SELECTION_PROOF: DomainType = DomainType([0x05, 0x00, 0x00, 0x00]);
/// `DOMAIN_AGGREGATE_AND_PROOF`.
pub const DOMAIN_AGGREGATE_AND_PROOF: DomainType = DomainType([0x06, 0x00, 0x00, 0x00]);
/// `DOMAIN_SYNC_COMMITTEE` (altair).
pub const DOMAIN_SYNC_COMMITTEE: DomainType = DomainType([0x07, 0x00, 0x00, 0x00]);
/// `DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF` (altair).
pub const DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF: DomainType = DomainType([0x08, 0x00, 0x00, 0x00]);
/// `DOMAIN_CONTRIBUTION_AND_PROOF` (altair).
pub const DOMAIN_CONTRIBUTION_AND_PROOF: DomainType = DomainType([0x09, 0x00, 0x00, 0x00]);
/// `DOMAIN_APPLICATION_MASK`: the prefix of every application domain.
pub const DOMAIN_APPLICATION_MASK: DomainType = DomainType([0x00, 0x00, 0x00, 0x01]);
/// `DOMAIN_APPLICATION_BUILDER`: builder (MEV-boost) validator registrations.
pub const DOMAIN_APPLICATION_BUILDER: DomainType = DomainType([0x00, 0x00, 0x00, 0x01]);

/// `compute_fork_data_root(current_version, genesis_validators_root)`.
pub fn compute_fork_data_root(current_version: Version, genesis_validators_root: Root) -> Root {
    ForkData {
        current_version,
        genesis_validators_root,
    }
    .tree_hash_root()
    .into()
}

/// `compute_domain(domain_type, fork_version, genesis_validators_root)`:
/// `domain_type || compute_fork_data_root(fork_version, genesis_validators_root)[:28]`.
pub fn compute_domain(
    domain_type: DomainType,
    fork_version: Version,
    genesis_validators_root: Root,
) -> Domain {
    let fork_data_root = compute_fork_data_root(fork_version, genesis_validators_root);
    let mut domain = [0u8; 32];
    domain[..4].copy_from_slice(domain_type.as_bytes());
    domain[4..].copy_from_slice(&fork_data_root.as_bytes()[..28]);
    Domain(domain)
}

/// `compute_signing_root` given the object's hash tree root: `hash_tree_root(SigningData)`.
pub fn compute_signing_root(object_root: Root, domain: Domain) -> Root {
    SigningData {
        object_root,
        domain,
    }
    .tree_hash_root()
    .into()
}

/// `compute_signing_root(ssz_object, domain)` for any SSZ object.
pub fn signing_root_of<T: TreeHash>(object: &T, domain: Domain) -> Root {
    compute_signing_root(object.tree_hash_root().into(), domain)
}

/// The deposit domain: `compute_domain(DOMAIN_DEPOSIT, genesis_fork_version, Root())`.
/// Deposits are valid across forks, so the genesis fork version and a zero genesis validators
/// root are used.
pub fn deposit_domain(genesis_fork_version: Version) -> Domain {
    compute_domain(DOMAIN_DEPOSIT, genesis_fork_version, Root::ZERO)
}

/// The builder registration domain:
/// `compute_domain(DOMAIN_APPLICATION_BUILDER, genesis_fork_version, Root())`.
pub fn builder_domain(genesis_fork_version: Version) -> Domain {
    compute_domain(DOMAIN_APPLICATION_BUILDER, genesis_fork_version, Root::ZERO)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mainnet_deposit_domain_matches_known_value() {
        let domain = deposit_domain(Version::ZERO);
        assert_eq!(
            domain.to_string(),
            "0x03000000f5a5fd42d16a20302798ef6ed309979b43003d2320d9f0e8ea9831a9"
        );
    }

    #[test]
    fn mainnet_builder_domain_shares_the_fork_data_root() {
        let domain = builder_domain(Version::ZERO);
        assert_eq!(
            domain.to_string(),
            "0x00000001f5a5fd42d16a20302798ef6ed309979b43003d2320d9f0e8ea9831a9"
        );
    }

    #[test]
    fn domain_depends_on_every_input() {
        let base = compute_domain(DOMAIN_BEACON_ATTESTER, Version([1, 0, 0, 0]), Root([3; 32]));
        assert_ne!(
            base,
            compute_domain(DOMAIN_BEACON_PROPOSER, Version([1, 0, 0, 0]), Root([3; 32]))
        );
        assert_ne!(
            base,
            compute_domain(DOMAIN_BEACON_ATTESTER, Version([2, 0, 0, 0]), Root([3; 32]))
        );
        assert_ne!(
            base,
            compute_domain(DOMAIN_BEACON_ATTESTER, Version([1, 0, 0, 0]), Root([4; 32]))
        );
        assert_eq!(&base.as_bytes()[..4], DOMAIN_BEACON_ATTESTER.as_bytes());
    }

    #[test]
    fn signing_root_is_sha256_of_the_two_chunks() {
        use sha2::Digest;
        let object_root = Root([0x11; 32]);
        let domain = Domain([0x22; 32]);
        let mut preimage = [0u8; 64];
        preimage[..32].copy_from_slice(&[0x11; 32]);
        preimage[32..].copy_from_slice(&[0x22; 32]);
        let expected: [u8; 32] = sha2::Sha256::digest(preimage).into();
        assert_eq!(compute_signing_root(object_root, domain), Root(expected));
        assert_eq!(signing_root_of(&object_root, domain), Root(expected));
    }
}
