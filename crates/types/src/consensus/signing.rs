//! Signing roots of everything a validator signs, and which domain each one uses.
//!
//! | object | what is hashed | domain type | fork version |
//! |---|---|---|---|
//! | block (full or blinded) | `BeaconBlock` | `DOMAIN_BEACON_PROPOSER` | at the block's epoch |
//! | randao reveal | the epoch (`uint64`) | `DOMAIN_RANDAO` | at that epoch |
//! | attestation | `AttestationData` | `DOMAIN_BEACON_ATTESTER` | at the target epoch |
//! | aggregation selection proof | the slot (`uint64`) | `DOMAIN_SELECTION_PROOF` | at the slot's epoch |
//! | aggregate and proof | `AggregateAndProof` | `DOMAIN_AGGREGATE_AND_PROOF` | at the slot's epoch |
//! | sync committee message | the block root | `DOMAIN_SYNC_COMMITTEE` | at the slot's epoch |
//! | sync selection proof | `SyncAggregatorSelectionData` | `DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF` | at the slot's epoch |
//! | contribution and proof | `ContributionAndProof` | `DOMAIN_CONTRIBUTION_AND_PROOF` | at the slot's epoch |
//! | voluntary exit | `VoluntaryExit` | `DOMAIN_VOLUNTARY_EXIT` | at the exit epoch; **capella's from deneb on (EIP-7044)** |
//! | builder registration | `ValidatorRegistrationV1` | `DOMAIN_APPLICATION_BUILDER` | genesis, zero genesis validators root |
//! | BLS to execution change | `BLSToExecutionChange` | `DOMAIN_BLS_TO_EXECUTION_CHANGE` | genesis |
//! | deposit | `DepositMessage` | `DOMAIN_DEPOSIT` | genesis, zero genesis validators root |

use tree_hash::TreeHash;

use super::altair::{ContributionAndProof, SyncAggregatorSelectionData};
use super::capella::BlsToExecutionChange;
use super::phase0::{
    AttestationData, BeaconBlockHeader, GenericBeaconBlock, SszObject, VoluntaryExit,
};
use super::preset::Preset;
use super::{electra, phase0};
use crate::{
    compute_domain, compute_signing_root, signing_root_of, DepositMessage, Domain, DomainType,
    Epoch, ForkName, Network, Root, Slot, ValidatorRegistrationV1, DOMAIN_AGGREGATE_AND_PROOF,
    DOMAIN_APPLICATION_BUILDER, DOMAIN_BEACON_ATTESTER, DOMAIN_BEACON_PROPOSER,
    DOMAIN_CONTRIBUTION_AND_PROOF, DOMAIN_DEPOSIT, DOMAIN_RANDAO, DOMAIN_SELECTION_PROOF,
    DOMAIN_SYNC_COMMITTEE, DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF, DOMAIN_VOLUNTARY_EXIT,
};

/// `DOMAIN_BLS_TO_EXECUTION_CHANGE` (capella).
pub const DOMAIN_BLS_TO_EXECUTION_CHANGE: DomainType = DomainType([0x0a, 0x00, 0x00, 0x00]);

/// Every kind of object a validator signs (the rows of the module table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignedObject {
    /// A block, full or blinded.
    Block,
    /// The randao reveal over an epoch.
    Randao,
    /// Attestation data.
    Attestation,
    /// The aggregation selection proof over a slot.
    SelectionProof,
    /// An aggregate and proof.
    AggregateAndProof,
    /// A sync committee message over a block root.
    SyncCommitteeMessage,
    /// The sync aggregator selection proof over [`SyncAggregatorSelectionData`].
    SyncSelectionProof,
    /// A contribution and proof.
    ContributionAndProof,
    /// A voluntary exit.
    VoluntaryExit,
    /// A builder (MEV) validator registration.
    BuilderRegistration,
    /// A BLS to execution credential change.
    BlsToExecutionChange,
    /// A deposit message.
    Deposit,
}

impl SignedObject {
    /// The domain type it is signed under.
    pub const fn domain_type(self) -> DomainType {
        match self {
            Self::Block => DOMAIN_BEACON_PROPOSER,
            Self::Randao => DOMAIN_RANDAO,
            Self::Attestation => DOMAIN_BEACON_ATTESTER,
            Self::SelectionProof => DOMAIN_SELECTION_PROOF,
            Self::AggregateAndProof => DOMAIN_AGGREGATE_AND_PROOF,
            Self::SyncCommitteeMessage => DOMAIN_SYNC_COMMITTEE,
            Self::SyncSelectionProof => DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF,
            Self::ContributionAndProof => DOMAIN_CONTRIBUTION_AND_PROOF,
            Self::VoluntaryExit => DOMAIN_VOLUNTARY_EXIT,
            Self::BuilderRegistration => DOMAIN_APPLICATION_BUILDER,
            Self::BlsToExecutionChange => DOMAIN_BLS_TO_EXECUTION_CHANGE,
            Self::Deposit => DOMAIN_DEPOSIT,
        }
    }

    /// The domain for an object of this kind at `epoch` on `network`, applying the fork-version
    /// rules of the module table (genesis-fixed domains ignore `epoch`; builder registrations and
    /// deposits also ignore `genesis_validators_root`).
    pub fn domain(self, network: &Network, genesis_validators_root: Root, epoch: Epoch) -> Domain {
        let domain_type = self.domain_type();
        match self {
            Self::BuilderRegistration | Self::Deposit => {
                compute_domain(domain_type, network.genesis_fork_version, Root::ZERO)
            }
            Self::BlsToExecutionChange => compute_domain(
                domain_type,
                network.genesis_fork_version,
                genesis_validators_root,
            ),
            Self::VoluntaryExit => {
                let (fork, version) = network.fork_at_epoch(epoch);
                // EIP-7044: from deneb on, exits are signed with the capella fork version so
                // they stay valid forever.
                let version = if fork >= ForkName::Deneb {
                    network.forks.capella.version
                } else {
                    version
                };
                compute_domain(domain_type, version, genesis_validators_root)
            }
            _ => compute_domain(
                domain_type,
                network.fork_version_at_epoch(epoch),
                genesis_validators_root,
            ),
        }
    }
}

/// A container signed as itself: `signing_root = compute_signing_root(self, domain)`.
pub trait SignedRoot: TreeHash + Sized {
    /// Which kind of signed object it is (and so its domain type).
    const OBJECT: SignedObject;

    /// `compute_signing_root(self, domain)`.
    fn signing_root(&self, domain: Domain) -> Root {
        signing_root_of(self, domain)
    }
}

impl<B: SszObject> SignedRoot for GenericBeaconBlock<B> {
    const OBJECT: SignedObject = SignedObject::Block;
}
impl SignedRoot for BeaconBlockHeader {
    const OBJECT: SignedObject = SignedObject::Block;
}
impl SignedRoot for AttestationData {
    const OBJECT: SignedObject = SignedObject::Attestation;
}
impl<P: Preset> SignedRoot for phase0::AggregateAndProof<P> {
    const OBJECT: SignedObject = SignedObject::AggregateAndProof;
}
impl<P: Preset> SignedRoot for electra::AggregateAndProof<P> {
    const OBJECT: SignedObject = SignedObject::AggregateAndProof;
}
impl SignedRoot for SyncAggregatorSelectionData {
    const OBJECT: SignedObject = SignedObject::SyncSelectionProof;
}
impl<P: Preset> SignedRoot for ContributionAndProof<P> {
    const OBJECT: SignedObject = SignedObject::ContributionAndProof;
}
impl SignedRoot for VoluntaryExit {
    const OBJECT: SignedObject = SignedObject::VoluntaryExit;
}
impl SignedRoot for ValidatorRegistrationV1 {
    const OBJECT: SignedObject = SignedObject::BuilderRegistration;
}
impl SignedRoot for BlsToExecutionChange {
    const OBJECT: SignedObject = SignedObject::BlsToExecutionChange;
}
impl SignedRoot for DepositMessage {
    const OBJECT: SignedObject = SignedObject::Deposit;
}

/// Signing root of a randao reveal: `compute_signing_root(epoch, domain)` (`DOMAIN_RANDAO`).
pub fn randao_signing_root(epoch: Epoch, domain: Domain) -> Root {
    signing_root_of(&epoch, domain)
}

/// Signing root of an aggregation selection proof: `compute_signing_root(slot, domain)`
/// (`DOMAIN_SELECTION_PROOF`).
pub fn selection_proof_signing_root(slot: Slot, domain: Domain) -> Root {
    signing_root_of(&slot, domain)
}

/// Signing root of a sync committee message: `compute_signing_root(block_root, domain)`
/// (`DOMAIN_SYNC_COMMITTEE`).
pub fn sync_committee_message_signing_root(beacon_block_root: Root, domain: Domain) -> Root {
    compute_signing_root(beacon_block_root, domain)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DevConfig;

    /// A network with capella at epoch 10, deneb at 20, electra at 30 (others at 0 or never).
    fn staged_network() -> Network {
        let mut network = Network::mainnet();
        network.forks.altair.epoch = 0;
        network.forks.bellatrix.epoch = 0;
        network.forks.capella.epoch = 10;
        network.forks.deneb.epoch = 20;
        network.forks.electra.epoch = 30;
        network.forks.fulu.epoch = crate::FAR_FUTURE_EPOCH;
        network
    }

    #[test]
    fn exits_use_capella_version_from_deneb_on() {
        let network = staged_network();
        let gvr = Root([7; 32]);
        let capella = compute_domain(DOMAIN_VOLUNTARY_EXIT, network.forks.capella.version, gvr);
        let bellatrix = compute_domain(DOMAIN_VOLUNTARY_EXIT, network.forks.bellatrix.version, gvr);
        // Before capella: the current (bellatrix) version.
        assert_eq!(
            SignedObject::VoluntaryExit.domain(&network, gvr, 9),
            bellatrix
        );
        // Capella itself and the last capella epoch.
        assert_eq!(
            SignedObject::VoluntaryExit.domain(&network, gvr, 10),
            capella
        );
        assert_eq!(
            SignedObject::VoluntaryExit.domain(&network, gvr, 19),
            capella
        );
        // Deneb and electra: still capella's (EIP-7044), not the current version.
        for epoch in [20, 30, 1_000] {
            assert_eq!(
                SignedObject::VoluntaryExit.domain(&network, gvr, epoch),
                capella
            );
        }
        // Other objects do move with the fork.
        let electra = compute_domain(DOMAIN_BEACON_PROPOSER, network.forks.electra.version, gvr);
        assert_eq!(SignedObject::Block.domain(&network, gvr, 30), electra);
        assert_ne!(SignedObject::Block.domain(&network, gvr, 29), electra);
    }

    #[test]
    fn genesis_domains_ignore_epoch_and_registration_ignores_root() {
        let network = Network::dev(&DevConfig::default());
        let gvr = Root([9; 32]);
        let registration = SignedObject::BuilderRegistration.domain(&network, gvr, 500);
        assert_eq!(
            registration,
            crate::builder_domain(network.genesis_fork_version)
        );
        assert_eq!(
            SignedObject::Deposit.domain(&network, gvr, 77),
            crate::deposit_domain(network.genesis_fork_version)
        );
        let change = SignedObject::BlsToExecutionChange.domain(&network, gvr, 900);
        assert_eq!(
            change,
            compute_domain(
                DOMAIN_BLS_TO_EXECUTION_CHANGE,
                network.genesis_fork_version,
                gvr
            )
        );
        assert_ne!(
            change,
            compute_domain(
                DOMAIN_BLS_TO_EXECUTION_CHANGE,
                network.genesis_fork_version,
                Root::ZERO
            )
        );
    }

    #[test]
    fn each_object_has_its_spec_domain_type() {
        let expected: [(SignedObject, [u8; 4]); 12] = [
            (SignedObject::Block, [0, 0, 0, 0]),
            (SignedObject::Attestation, [1, 0, 0, 0]),
            (SignedObject::Randao, [2, 0, 0, 0]),
            (SignedObject::Deposit, [3, 0, 0, 0]),
            (SignedObject::VoluntaryExit, [4, 0, 0, 0]),
            (SignedObject::SelectionProof, [5, 0, 0, 0]),
            (SignedObject::AggregateAndProof, [6, 0, 0, 0]),
            (SignedObject::SyncCommitteeMessage, [7, 0, 0, 0]),
            (SignedObject::SyncSelectionProof, [8, 0, 0, 0]),
            (SignedObject::ContributionAndProof, [9, 0, 0, 0]),
            (SignedObject::BlsToExecutionChange, [10, 0, 0, 0]),
            (SignedObject::BuilderRegistration, [0, 0, 0, 1]),
        ];
        for (object, bytes) in expected {
            assert_eq!(object.domain_type(), DomainType(bytes), "{object:?}");
        }
        assert_eq!(VoluntaryExit::OBJECT, SignedObject::VoluntaryExit);
        assert_eq!(
            <phase0::BeaconBlock<crate::consensus::Minimal>>::OBJECT,
            SignedObject::Block
        );
    }

    #[test]
    fn scalar_signing_roots_hash_the_value_as_one_chunk() {
        let domain = Domain([3; 32]);
        let mut chunk = [0u8; 32];
        chunk[..8].copy_from_slice(&42u64.to_le_bytes());
        assert_eq!(
            randao_signing_root(42, domain),
            compute_signing_root(Root(chunk), domain)
        );
        assert_eq!(
            selection_proof_signing_root(42, domain),
            randao_signing_root(42, domain)
        );
        let exit = VoluntaryExit {
            epoch: 5,
            validator_index: 6,
        };
        assert_eq!(
            exit.signing_root(domain),
            compute_signing_root(exit.tree_hash_root().into(), domain)
        );
        assert_ne!(
            sync_committee_message_signing_root(Root([1; 32]), domain),
            sync_committee_message_signing_root(Root([2; 32]), domain)
        );
    }
}
