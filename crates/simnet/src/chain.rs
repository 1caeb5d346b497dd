//! The chain model: validator registry, genesis, deterministic duties (committees, proposers,
//! sync committees) and a head that advances every slot.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use mosaic_crypto::bls::{PublicKey, SecretKey};
use mosaic_types::{
    compute_domain, BlsPubkey, DevConfig, Domain, DomainType, ForkName, Network, Root, Version,
    DOMAIN_BEACON_ATTESTER, DOMAIN_BEACON_PROPOSER, DOMAIN_SYNC_COMMITTEE, DOMAIN_VOLUNTARY_EXIT,
    FAR_FUTURE_EPOCH,
};
use tree_hash::TreeHash;

use crate::config::SimConfig;
use crate::containers::{AttestationData, BeaconBlockHeader, Checkpoint, Validator};
use crate::spec::{self, hash, MAX_EFFECTIVE_BALANCE, SYNC_COMMITTEE_SUBNET_COUNT};
use crate::Error;

/// `VALIDATOR_REGISTRY_LIMIT`.
const VALIDATOR_REGISTRY_LIMIT: usize = 1 << 40;
/// How many epochs of duties are cached.
const CACHED_EPOCHS: usize = 4;

/// One validator of the simulated registry.
#[derive(Debug, Clone)]
pub struct SimValidator {
    /// Index in the registry.
    pub index: u64,
    /// Public key bytes.
    pub pubkey: BlsPubkey,
    /// The decoded key, for signature checks.
    pub key: PublicKey,
    /// Withdrawal credentials (`0x01` with an address derived from the seed).
    pub withdrawal_credentials: Root,
    /// Whether the simulator derived this key (a filler) rather than being given it.
    pub virtual_key: bool,
    /// Epoch from which the validator exits, once a voluntary exit was accepted.
    pub exit_epoch: u64,
}

/// An attester duty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttesterDuty {
    /// Validator index.
    pub validator_index: u64,
    /// Slot.
    pub slot: u64,
    /// Committee index.
    pub committee_index: u64,
    /// Committee length.
    pub committee_length: u64,
    /// Committees at the slot.
    pub committees_at_slot: u64,
    /// Position in the committee.
    pub validator_committee_index: u64,
}

/// The duties of one epoch.
#[derive(Debug, Clone)]
pub struct EpochDuties {
    /// The epoch.
    pub epoch: u64,
    /// `get_committee_count_per_slot`.
    pub committees_per_slot: u64,
    /// Committees, indexed by `slot_in_epoch * committees_per_slot + committee_index`.
    pub committees: Vec<Vec<u64>>,
    /// Proposer of each slot of the epoch.
    pub proposers: Vec<u64>,
    /// Attester duty of each validator (by index).
    pub attesters: Vec<Option<AttesterDuty>>,
}

impl EpochDuties {
    /// The committee at (`slot`, `committee_index`), if it exists.
    pub fn committee(
        &self,
        slots_per_epoch: u64,
        slot: u64,
        committee_index: u64,
    ) -> Option<&[u64]> {
        if slot / slots_per_epoch != self.epoch || committee_index >= self.committees_per_slot {
            return None;
        }
        let position = (slot % slots_per_epoch) * self.committees_per_slot + committee_index;
        self.committees.get(position as usize).map(Vec::as_slice)
    }
}

/// The sync committee of one period.
#[derive(Debug, Clone)]
pub struct SyncCommittee {
    /// The period.
    pub period: u64,
    /// Members in committee order (duplicates possible).
    pub members: Vec<u64>,
    /// Each member's positions in [`SyncCommittee::members`].
    pub positions: HashMap<u64, Vec<u64>>,
}

impl SyncCommittee {
    /// The subcommittee (subnet) of committee position `position`.
    pub fn subcommittee_of(&self, position: u64) -> u64 {
        position / self.subcommittee_size()
    }

    /// Members per subcommittee.
    pub fn subcommittee_size(&self) -> u64 {
        (self.members.len() as u64 / SYNC_COMMITTEE_SUBNET_COUNT).max(1)
    }

    /// The members of subcommittee `index`, in order.
    pub fn subcommittee(&self, index: u64) -> &[u64] {
        let size = self.subcommittee_size() as usize;
        let start = (index as usize * size).min(self.members.len());
        let end = (start + size).min(self.members.len());
        &self.members[start..end]
    }
}

/// Where a block came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockOrigin {
    /// The genesis block.
    Genesis,
    /// Made by the simulator for a filler proposer.
    Virtual,
    /// Published by a validator client.
    Submitted,
}

/// A block of the simulated chain (its header; bodies are not kept).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Block {
    /// The header.
    pub header: BeaconBlockHeader,
    /// `hash_tree_root` of the block (equal to the header's).
    pub root: Root,
    /// Origin.
    pub origin: BlockOrigin,
}

/// Why a block was not imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    /// Block slot is in the future.
    #[error("block slot {slot} is after the current slot {current}")]
    FutureSlot {
        /// Block slot.
        slot: u64,
        /// Current slot.
        current: u64,
    },
    /// A block exists already at the slot.
    #[error("slot {slot} already has a block")]
    SlotTaken {
        /// Slot.
        slot: u64,
    },
    /// The proposer index is not the slot's proposer.
    #[error("proposer_index {got} is not the proposer of slot {slot} ({expected})")]
    WrongProposer {
        /// Slot.
        slot: u64,
        /// Expected proposer.
        expected: u64,
        /// Given proposer.
        got: u64,
    },
    /// The parent is not the head.
    #[error("parent_root {got} is not the head {expected}")]
    WrongParent {
        /// The head root.
        expected: Root,
        /// The block's parent root.
        got: Root,
    },
}

/// The simulated chain.
#[derive(Debug)]
pub struct Chain {
    config: SimConfig,
    network: Network,
    genesis_validators_root: Root,
    validators: Vec<SimValidator>,
    filler_secrets: Vec<SecretKey>,
    index_of: HashMap<BlsPubkey, u64>,
    epochs: BTreeMap<u64, Arc<EpochDuties>>,
    periods: BTreeMap<u64, Arc<SyncCommittee>>,
    blocks: BTreeMap<u64, Block>,
    processed_slot: u64,
}

fn seed_bytes(seed: u64) -> [u8; 8] {
    seed.to_le_bytes()
}

/// The deterministic secret key of filler validator `index` under `seed`.
pub fn filler_secret_key(seed: u64, index: u64) -> SecretKey {
    let mut counter = 0u32;
    loop {
        let mut bytes = hash(&[
            b"mosaic-simnet filler key",
            &seed_bytes(seed),
            &index.to_le_bytes(),
            &counter.to_le_bytes(),
        ]);
        bytes[0] &= 0x3f; // below the group order r = 0x73ed...
        if let Ok(key) = SecretKey::from_bytes(&bytes) {
            return key;
        }
        counter += 1;
    }
}

impl Chain {
    /// Builds genesis for `config`.
    pub fn new(config: SimConfig) -> Result<Self, Error> {
        config.validate()?;
        let mut validators = Vec::with_capacity(config.validators.len() + config.filler_validators);
        for (position, pubkey) in config.validators.iter().enumerate() {
            let key =
                PublicKey::from_bytes(pubkey.as_bytes()).map_err(|e| Error::ValidatorKey {
                    index: position,
                    reason: e.to_string(),
                })?;
            validators.push((*pubkey, key, false));
        }
        let mut filler_secrets = Vec::with_capacity(config.filler_validators);
        for filler in 0..config.filler_validators {
            let index = (config.validators.len() + filler) as u64;
            let secret = filler_secret_key(config.seed, index);
            let key = secret.public_key();
            validators.push((BlsPubkey(key.to_bytes()), key, true));
            filler_secrets.push(secret);
        }
        let validators: Vec<SimValidator> = validators
            .into_iter()
            .enumerate()
            .map(|(index, (pubkey, key, virtual_key))| {
                let mut credentials = [0u8; 32];
                credentials[0] = 0x01;
                let address = hash(&[b"withdrawal", &seed_bytes(config.seed), &pubkey.0]);
                credentials[12..].copy_from_slice(&address[..20]);
                SimValidator {
                    index: index as u64,
                    pubkey,
                    key,
                    withdrawal_credentials: Root(credentials),
                    virtual_key,
                    exit_epoch: FAR_FUTURE_EPOCH,
                }
            })
            .collect();
        let mut index_of = HashMap::with_capacity(validators.len());
        for validator in &validators {
            index_of.entry(validator.pubkey).or_insert(validator.index);
        }
        let genesis_validators_root = genesis_validators_root(&validators);
        let network = network_for(&config, genesis_validators_root);
        let mut chain = Self {
            config,
            network,
            genesis_validators_root,
            validators,
            filler_secrets,
            index_of,
            epochs: BTreeMap::new(),
            periods: BTreeMap::new(),
            blocks: BTreeMap::new(),
            processed_slot: 0,
        };
        let genesis = chain.make_header(0, 0, Root::ZERO, b"genesis");
        chain.blocks.insert(
            0,
            Block {
                root: genesis.root(),
                header: genesis,
                origin: BlockOrigin::Genesis,
            },
        );
        Ok(chain)
    }

    /// The configuration.
    pub fn config(&self) -> &SimConfig {
        &self.config
    }

    /// Fork versions, genesis and timing as a [`Network`] (name `"dev"`).
    pub fn network(&self) -> &Network {
        &self.network
    }

    /// The genesis validators root: `hash_tree_root(state.validators)` at genesis.
    pub fn genesis_validators_root(&self) -> Root {
        self.genesis_validators_root
    }

    /// The fork the chain runs.
    pub fn fork(&self) -> ForkName {
        self.config.fork
    }

    /// The current fork's version.
    pub fn fork_version(&self) -> Version {
        self.network.fork_version_at_epoch(0)
    }

    /// The previous fork's version (for `states/{id}/fork`; equal at genesis forks).
    pub fn previous_fork_version(&self) -> Version {
        self.fork_version()
    }

    /// The registry.
    pub fn validators(&self) -> &[SimValidator] {
        &self.validators
    }

    /// Index of `pubkey`.
    pub fn index_of(&self, pubkey: &BlsPubkey) -> Option<u64> {
        self.index_of.get(pubkey).copied()
    }

    /// The secret key of a filler validator (for scenarios that sign for them).
    pub fn filler_secret(&self, index: u64) -> Option<&SecretKey> {
        let first = self.config.validators.len() as u64;
        index
            .checked_sub(first)
            .and_then(|i| self.filler_secrets.get(i as usize))
    }

    /// Whether `index` is one of the explicit (externally keyed) validators.
    pub fn is_explicit(&self, index: u64) -> bool {
        (index as usize) < self.config.validators.len()
    }

    /// `SLOTS_PER_EPOCH`.
    pub fn slots_per_epoch(&self) -> u64 {
        self.config.slots_per_epoch
    }

    /// The epoch of `slot`.
    pub fn epoch_of(&self, slot: u64) -> u64 {
        slot / self.config.slots_per_epoch
    }

    /// Unix milliseconds at which `slot` starts.
    pub fn slot_start_ms(&self, slot: u64) -> u64 {
        self.config.genesis_time * 1000 + slot * self.config.slot_ms()
    }

    /// The slot in progress at `unix_ms` (0 before genesis) and whether genesis has passed.
    pub fn slot_at_ms(&self, unix_ms: u64) -> (u64, bool) {
        let genesis_ms = self.config.genesis_time * 1000;
        match unix_ms.checked_sub(genesis_ms) {
            Some(elapsed) => (elapsed / self.config.slot_ms(), true),
            None => (0, false),
        }
    }

    /// `get_domain(domain_type, epoch)` on this chain.
    pub fn domain(&self, domain_type: DomainType, epoch: u64) -> Domain {
        compute_domain(
            domain_type,
            self.network.fork_version_at_epoch(epoch),
            self.genesis_validators_root,
        )
    }

    /// The voluntary exit domain: from Deneb on, pinned to the Capella fork version (EIP-7044).
    pub fn exit_domain(&self, epoch: u64) -> Domain {
        let version = if self.config.fork >= ForkName::Deneb {
            self.network.forks.capella.version
        } else {
            self.network.fork_version_at_epoch(epoch)
        };
        compute_domain(DOMAIN_VOLUNTARY_EXIT, version, self.genesis_validators_root)
    }

    /// The seed-derived RANDAO mix used for `epoch`'s seeds.
    pub fn randao_mix(&self, epoch: u64) -> Root {
        Root(hash(&[
            b"mosaic-simnet randao",
            &seed_bytes(self.config.seed),
            &self.genesis_validators_root.0,
            &epoch.to_le_bytes(),
        ]))
    }

    /// `get_seed(state, epoch, domain_type)` with the seed-derived mix.
    pub fn get_seed(&self, epoch: u64, domain_type: DomainType) -> [u8; 32] {
        hash(&[
            &domain_type.0,
            &epoch.to_le_bytes(),
            &self.randao_mix(epoch).0,
        ])
    }

    fn active_indices(&self, epoch: u64) -> Vec<u64> {
        self.validators
            .iter()
            .filter(|v| epoch < v.exit_epoch)
            .map(|v| v.index)
            .collect()
    }

    fn electra(&self) -> bool {
        self.config.fork >= ForkName::Electra
    }

    /// The duties of `epoch` (computed once, cached for a few epochs).
    pub fn epoch_duties(&mut self, epoch: u64) -> Arc<EpochDuties> {
        if let Some(duties) = self.epochs.get(&epoch) {
            return duties.clone();
        }
        let duties = Arc::new(self.compute_epoch_duties(epoch));
        self.epochs.insert(epoch, duties.clone());
        while self.epochs.len() > CACHED_EPOCHS {
            self.epochs.pop_first();
        }
        duties
    }

    fn compute_epoch_duties(&self, epoch: u64) -> EpochDuties {
        let preset = self.config.preset;
        let slots_per_epoch = self.config.slots_per_epoch;
        let rounds = preset.shuffle_round_count();
        let indices = self.active_indices(epoch);
        let committees_per_slot =
            spec::committee_count_per_slot(indices.len(), slots_per_epoch, preset);
        let seed = self.get_seed(epoch, DOMAIN_BEACON_ATTESTER);
        let mapping = spec::shuffled_indices(indices.len(), &seed, rounds);
        let count = committees_per_slot * slots_per_epoch;
        let mut attesters = vec![None; self.validators.len()];
        let mut committees = Vec::with_capacity(count as usize);
        for position in 0..count {
            let committee = spec::compute_committee(&indices, &mapping, position, count);
            let slot = epoch * slots_per_epoch + position / committees_per_slot;
            for (at, validator) in committee.iter().enumerate() {
                attesters[*validator as usize] = Some(AttesterDuty {
                    validator_index: *validator,
                    slot,
                    committee_index: position % committees_per_slot,
                    committee_length: committee.len() as u64,
                    committees_at_slot: committees_per_slot,
                    validator_committee_index: at as u64,
                });
            }
            committees.push(committee);
        }
        let proposer_seed = self.get_seed(epoch, DOMAIN_BEACON_PROPOSER);
        let proposers = (0..slots_per_epoch)
            .map(|i| {
                let slot = epoch * slots_per_epoch + i;
                let seed = hash(&[&proposer_seed, &slot.to_le_bytes()]);
                spec::compute_proposer_index(
                    &indices,
                    &seed,
                    MAX_EFFECTIVE_BALANCE,
                    self.electra(),
                    rounds,
                )
                .unwrap_or(0)
            })
            .collect();
        EpochDuties {
            epoch,
            committees_per_slot,
            committees,
            proposers,
            attesters,
        }
    }

    /// The proposer of `slot`.
    pub fn proposer(&mut self, slot: u64) -> u64 {
        let duties = self.epoch_duties(self.epoch_of(slot));
        duties.proposers[(slot % self.config.slots_per_epoch) as usize]
    }

    /// The sync committee period of `epoch`.
    pub fn sync_period(&self, epoch: u64) -> u64 {
        epoch / self.config.preset.epochs_per_sync_committee_period()
    }

    /// The sync committee of `period`: `get_next_sync_committee_indices` with the seed of the
    /// period's first epoch.
    pub fn sync_committee(&mut self, period: u64) -> Arc<SyncCommittee> {
        if let Some(committee) = self.periods.get(&period) {
            return committee.clone();
        }
        let epoch = period * self.config.preset.epochs_per_sync_committee_period();
        let seed = self.get_seed(epoch, DOMAIN_SYNC_COMMITTEE);
        let members = spec::sync_committee_indices(
            &self.active_indices(epoch),
            &seed,
            MAX_EFFECTIVE_BALANCE,
            self.electra(),
            self.config.preset,
        );
        let mut positions: HashMap<u64, Vec<u64>> = HashMap::new();
        for (position, member) in members.iter().enumerate() {
            positions.entry(*member).or_default().push(position as u64);
        }
        let committee = Arc::new(SyncCommittee {
            period,
            members,
            positions,
        });
        self.periods.insert(period, committee.clone());
        while self.periods.len() > 3 {
            self.periods.pop_first();
        }
        committee
    }

    fn make_header(
        &self,
        slot: u64,
        proposer_index: u64,
        parent_root: Root,
        body: &[u8],
    ) -> BeaconBlockHeader {
        let state_root = Root(hash(&[
            b"mosaic-simnet state",
            &seed_bytes(self.config.seed),
            &slot.to_le_bytes(),
            &parent_root.0,
        ]));
        let body_root = Root(hash(&[
            b"mosaic-simnet body",
            &seed_bytes(self.config.seed),
            &slot.to_le_bytes(),
            body,
        ]));
        BeaconBlockHeader {
            slot,
            proposer_index,
            parent_root,
            state_root,
            body_root,
        }
    }

    /// The last slot the chain processed.
    pub fn processed_slot(&self) -> u64 {
        self.processed_slot
    }

    /// Processes every slot up to `slot`: the simulator proposes for filler proposers (when
    /// [`SimConfig::virtual_proposals`]); a slot whose proposer is explicit stays empty until
    /// that validator publishes. Returns the blocks made.
    pub fn advance_to(&mut self, slot: u64) -> Vec<Block> {
        let mut made = Vec::new();
        while self.processed_slot < slot {
            let next = self.processed_slot + 1;
            let proposer = self.proposer(next);
            if self.config.virtual_proposals && !self.is_explicit(proposer) {
                let parent = self.head_at(next).root;
                let header = self.make_header(next, proposer, parent, b"virtual");
                let block = Block {
                    root: header.root(),
                    header,
                    origin: BlockOrigin::Virtual,
                };
                self.blocks.insert(next, block);
                made.push(block);
            }
            self.processed_slot = next;
        }
        made
    }

    /// Imports a published block's header as the new head, after checking slot, proposer and
    /// parent (signature checks are the caller's).
    pub fn import_block(&mut self, header: BeaconBlockHeader) -> Result<Block, ImportError> {
        if header.slot > self.processed_slot {
            return Err(ImportError::FutureSlot {
                slot: header.slot,
                current: self.processed_slot,
            });
        }
        if self.blocks.contains_key(&header.slot) {
            return Err(ImportError::SlotTaken { slot: header.slot });
        }
        let expected = self.proposer(header.slot);
        if header.proposer_index != expected {
            return Err(ImportError::WrongProposer {
                slot: header.slot,
                expected,
                got: header.proposer_index,
            });
        }
        let head = self.head_at(header.slot).root;
        if header.parent_root != head {
            return Err(ImportError::WrongParent {
                expected: head,
                got: header.parent_root,
            });
        }
        if self.blocks.range(header.slot..).next().is_some() {
            return Err(ImportError::SlotTaken { slot: header.slot });
        }
        let block = Block {
            root: header.root(),
            header,
            origin: BlockOrigin::Submitted,
        };
        self.blocks.insert(header.slot, block);
        Ok(block)
    }

    /// A block header the simulator would propose at `slot` on the current head (for block
    /// production).
    pub fn proposal_header(&mut self, slot: u64, graffiti: &[u8]) -> BeaconBlockHeader {
        let proposer = self.proposer(slot);
        let parent = self
            .head_at(slot.saturating_sub(1).max(self.processed_slot.min(slot)))
            .root;
        self.make_header(slot, proposer, parent, graffiti)
    }

    /// The latest block at or before `slot`.
    pub fn head_at(&self, slot: u64) -> Block {
        self.blocks
            .range(..=slot)
            .next_back()
            .map(|(_, block)| *block)
            .unwrap_or_else(|| self.genesis_block())
    }

    /// The current head.
    pub fn head(&self) -> Block {
        self.head_at(self.processed_slot)
    }

    /// The genesis block.
    pub fn genesis_block(&self) -> Block {
        self.blocks
            .get(&0)
            .copied()
            .unwrap_or_else(|| unreachable!("genesis is inserted at construction"))
    }

    /// The block at exactly `slot`.
    pub fn block_at(&self, slot: u64) -> Option<Block> {
        self.blocks.get(&slot).copied()
    }

    /// The block with `root`.
    pub fn block_by_root(&self, root: &Root) -> Option<Block> {
        self.blocks
            .values()
            .rev()
            .find(|b| b.root == *root)
            .copied()
    }

    /// The checkpoint of `epoch`: its first slot's block root (or the latest before).
    pub fn checkpoint(&self, epoch: u64) -> Checkpoint {
        Checkpoint {
            epoch,
            root: self.head_at(epoch * self.config.slots_per_epoch).root,
        }
    }

    /// The justified checkpoint during `epoch`, with full participation: epoch − 1 from epoch
    /// 2 on, genesis (zero root) before.
    pub fn justified(&self, epoch: u64) -> Checkpoint {
        if epoch < 2 {
            Checkpoint {
                epoch: 0,
                root: Root::ZERO,
            }
        } else {
            self.checkpoint(epoch - 1)
        }
    }

    /// The finalized checkpoint during `epoch`: epoch − 2 from epoch 3 on.
    pub fn finalized(&self, epoch: u64) -> Checkpoint {
        if epoch < 3 {
            Checkpoint {
                epoch: 0,
                root: Root::ZERO,
            }
        } else {
            self.checkpoint(epoch - 2)
        }
    }

    /// `attestation_data` for (`slot`, `committee_index`) on the current view (index is 0 from
    /// Electra on).
    pub fn attestation_data(&self, slot: u64, committee_index: u64) -> AttestationData {
        let epoch = self.epoch_of(slot);
        AttestationData {
            slot,
            index: if self.electra() { 0 } else { committee_index },
            beacon_block_root: self.head_at(slot).root,
            source: self.justified(epoch),
            target: self.checkpoint(epoch),
        }
    }

    /// Accepts a voluntary exit: the validator leaves the active set from `epoch` + 1 on
    /// (simplified exit queue). Duties already cached are not recomputed.
    pub fn exit_validator(&mut self, index: u64, epoch: u64) {
        if let Some(validator) = self.validators.get_mut(index as usize) {
            validator.exit_epoch = validator.exit_epoch.min(epoch + 1);
        }
    }
}

fn genesis_validators_root(validators: &[SimValidator]) -> Root {
    let mut hasher = tree_hash::MerkleHasher::with_leaves(VALIDATOR_REGISTRY_LIMIT);
    for validator in validators {
        let entry = Validator {
            pubkey: validator.pubkey,
            withdrawal_credentials: validator.withdrawal_credentials,
            effective_balance: MAX_EFFECTIVE_BALANCE,
            slashed: false,
            activation_eligibility_epoch: 0,
            activation_epoch: 0,
            exit_epoch: FAR_FUTURE_EPOCH,
            withdrawable_epoch: FAR_FUTURE_EPOCH,
        };
        // Writing 32-byte roots to a hasher sized for the limit cannot fail.
        let _ = hasher.write(entry.tree_hash_root().as_slice());
    }
    let root = hasher
        .finish()
        .unwrap_or_else(|_| unreachable!("the registry limit exceeds any validator count"));
    tree_hash::mix_in_length(&root, validators.len()).into()
}

fn network_for(config: &SimConfig, genesis_validators_root: Root) -> Network {
    let mut network = Network::dev(&DevConfig {
        chain_id: 1337,
        genesis_time: config.genesis_time,
        genesis_validators_root: Some(genesis_validators_root),
        seconds_per_slot: (config.slot_ms() / 1000).max(1),
        slots_per_epoch: config.slots_per_epoch,
    });
    let forks = &mut network.forks;
    for (name, fork) in [
        (ForkName::Altair, &mut forks.altair),
        (ForkName::Bellatrix, &mut forks.bellatrix),
        (ForkName::Capella, &mut forks.capella),
        (ForkName::Deneb, &mut forks.deneb),
        (ForkName::Electra, &mut forks.electra),
        (ForkName::Fulu, &mut forks.fulu),
    ] {
        if name > config.fork {
            fork.epoch = FAR_FUTURE_EPOCH;
        }
    }
    network
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(fillers: usize, seed: u64) -> SimConfig {
        let mut config = SimConfig::new(1_000);
        config.filler_validators = fillers;
        config.seed = seed;
        config
    }

    #[test]
    fn same_seed_same_chain_other_seed_other_chain() {
        let mut a = Chain::new(config(64, 7)).unwrap();
        let mut b = Chain::new(config(64, 7)).unwrap();
        let mut c = Chain::new(config(64, 8)).unwrap();
        assert_eq!(a.genesis_validators_root(), b.genesis_validators_root());
        assert_ne!(a.genesis_validators_root(), c.genesis_validators_root());
        a.advance_to(20);
        b.advance_to(20);
        c.advance_to(20);
        assert_eq!(a.head().root, b.head().root);
        assert_ne!(a.head().root, c.head().root);
        let (da, db) = (a.epoch_duties(1), b.epoch_duties(1));
        assert_eq!(da.committees, db.committees);
        assert_eq!(da.proposers, db.proposers);
        assert_eq!(a.sync_committee(0).members, b.sync_committee(0).members);
    }

    #[test]
    fn every_validator_attests_once_per_epoch() {
        let mut chain = Chain::new(config(100, 1)).unwrap();
        let duties = chain.epoch_duties(3);
        assert!(duties.attesters.iter().all(Option::is_some));
        let total: usize = duties.committees.iter().map(Vec::len).sum();
        assert_eq!(total, 100);
        // 100 validators / 8 slots / 4 target = 3 committees per slot.
        assert_eq!(duties.committees_per_slot, 3);
        for duty in duties.attesters.iter().flatten() {
            let committee = duties
                .committee(8, duty.slot, duty.committee_index)
                .unwrap();
            assert_eq!(
                committee[duty.validator_committee_index as usize],
                duty.validator_index
            );
        }
    }

    #[test]
    fn head_advances_with_virtual_proposals_and_skips_explicit_proposers() {
        let explicit = filler_secret_key(99, 0).public_key();
        let mut cfg = config(7, 3);
        cfg.validators = vec![BlsPubkey(explicit.to_bytes())];
        let mut chain = Chain::new(cfg).unwrap();
        chain.advance_to(32);
        for slot in 1..=32 {
            let proposer = chain.proposer(slot);
            assert_eq!(chain.block_at(slot).is_some(), proposer != 0, "slot {slot}");
        }
        let explicit_slot = (1..=32).find(|s| chain.proposer(*s) == 0);
        assert!(
            explicit_slot.is_some(),
            "seed 3 gives validator 0 a proposal in 32 slots"
        );
    }

    #[test]
    fn import_block_checks_proposer_and_parent() {
        let explicit = filler_secret_key(99, 0).public_key();
        let mut cfg = config(7, 3);
        cfg.validators = vec![BlsPubkey(explicit.to_bytes())];
        let mut chain = Chain::new(cfg).unwrap();
        chain.advance_to(64);
        let slot = (1..=64).rev().find(|s| chain.proposer(*s) == 0).unwrap();
        chain.blocks.split_off(&slot); // drop the later virtual blocks: slot is the tip
        let parent = chain.head_at(slot).root;
        let good = BeaconBlockHeader {
            slot,
            proposer_index: 0,
            parent_root: parent,
            state_root: Root([1; 32]),
            body_root: Root([2; 32]),
        };
        let wrong_proposer = BeaconBlockHeader {
            proposer_index: 1,
            ..good
        };
        assert!(matches!(
            chain.import_block(wrong_proposer),
            Err(ImportError::WrongProposer { .. })
        ));
        let wrong_parent = BeaconBlockHeader {
            parent_root: Root([9; 32]),
            ..good
        };
        assert!(matches!(
            chain.import_block(wrong_parent),
            Err(ImportError::WrongParent { .. })
        ));
        let future = BeaconBlockHeader { slot: 65, ..good };
        assert!(matches!(
            chain.import_block(future),
            Err(ImportError::FutureSlot { .. })
        ));
        let block = chain.import_block(good).unwrap();
        assert_eq!(chain.head_at(slot).root, block.root);
        assert!(matches!(
            chain.import_block(good),
            Err(ImportError::SlotTaken { .. })
        ));
    }

    #[test]
    fn later_forks_are_unscheduled_and_exits_use_capella() {
        let mut cfg = config(8, 0);
        cfg.fork = ForkName::Deneb;
        let chain = Chain::new(cfg).unwrap();
        assert_eq!(chain.network().forks.electra.epoch, FAR_FUTURE_EPOCH);
        assert_eq!(chain.network().fork_at_epoch(5).0, ForkName::Deneb);
        let capella = compute_domain(
            DOMAIN_VOLUNTARY_EXIT,
            chain.network().forks.capella.version,
            chain.genesis_validators_root(),
        );
        assert_eq!(chain.exit_domain(3), capella);
        assert_ne!(chain.domain(DOMAIN_VOLUNTARY_EXIT, 3), capella);
    }

    #[test]
    fn sync_committee_has_preset_size_and_consistent_positions() {
        let mut chain = Chain::new(config(50, 2)).unwrap();
        let committee = chain.sync_committee(0);
        assert_eq!(committee.members.len(), 32);
        assert_eq!(committee.subcommittee_size(), 8);
        for (validator, positions) in &committee.positions {
            for p in positions {
                assert_eq!(committee.members[*p as usize], *validator);
            }
        }
    }

    #[test]
    fn rejects_before_capella_and_empty_set() {
        let mut cfg = config(8, 0);
        cfg.fork = ForkName::Bellatrix;
        assert!(Chain::new(cfg).is_err());
        let mut cfg = config(8, 0);
        cfg.fork = ForkName::Capella;
        assert!(Chain::new(cfg).is_ok());
        assert!(Chain::new(config(0, 0)).is_err());
    }
}
