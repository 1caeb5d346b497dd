//! The consensus-spec algorithms the simulator needs to assign duties, written from
//! `ethereum/consensus-specs`: swap-or-not shuffling (`compute_shuffled_index`, applied to a
//! whole list at once), `compute_committee`, `compute_proposer_index` (phase0 and Electra
//! variants), the sync committee selection, and the aggregator selections.

use sha2::{Digest, Sha256};

use crate::config::Preset;

/// `MAX_EFFECTIVE_BALANCE` (phase0), in gwei.
pub const MAX_EFFECTIVE_BALANCE: u64 = 32_000_000_000;
/// `MAX_EFFECTIVE_BALANCE_ELECTRA`, in gwei.
pub const MAX_EFFECTIVE_BALANCE_ELECTRA: u64 = 2_048_000_000_000;
/// `TARGET_AGGREGATORS_PER_COMMITTEE`.
pub const TARGET_AGGREGATORS_PER_COMMITTEE: u64 = 16;
/// `TARGET_AGGREGATORS_PER_SYNC_SUBCOMMITTEE`.
pub const TARGET_AGGREGATORS_PER_SYNC_SUBCOMMITTEE: u64 = 16;
/// `SYNC_COMMITTEE_SUBNET_COUNT`.
pub const SYNC_COMMITTEE_SUBNET_COUNT: u64 = 4;

/// `hash(data)`: SHA-256.
pub fn hash(parts: &[&[u8]]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize().into()
}

fn bytes_to_u64(bytes: &[u8]) -> u64 {
    let mut buf = [0u8; 8];
    let n = bytes.len().min(8);
    buf[..n].copy_from_slice(&bytes[..n]);
    u64::from_le_bytes(buf)
}

/// `compute_shuffled_index(index, index_count, seed)` for one index.
///
/// `index_count` must be nonzero and `index < index_count`.
pub fn compute_shuffled_index(index: u64, index_count: u64, seed: &[u8; 32], rounds: u8) -> u64 {
    debug_assert!(index < index_count);
    let mut index = index;
    for round in 0..rounds {
        let pivot = bytes_to_u64(&hash(&[seed, &[round]])[..8]) % index_count;
        let flip = (pivot + index_count - index) % index_count;
        let position = index.max(flip);
        let position_bytes = ((position / 256) as u32).to_le_bytes();
        let source = hash(&[seed, &[round], &position_bytes]);
        let byte = source[((position % 256) / 8) as usize];
        if (byte >> (position % 8)) & 1 == 1 {
            index = flip;
        }
    }
    index
}

/// `[compute_shuffled_index(i, n, seed) for i in range(n)]`, computed round by round so that each
/// round hashes each 256-position block once (`n / 256 + 1` hashes a round instead of `2n`).
pub fn shuffled_indices(index_count: usize, seed: &[u8; 32], rounds: u8) -> Vec<u32> {
    let n = index_count as u64;
    let mut mapping: Vec<u32> = (0..index_count as u32).collect();
    if n == 0 {
        return mapping;
    }
    let blocks = index_count.div_ceil(256);
    let mut sources: Vec<[u8; 32]> = Vec::with_capacity(blocks);
    for round in 0..rounds {
        let pivot = bytes_to_u64(&hash(&[seed, &[round]])[..8]) % n;
        sources.clear();
        sources.extend(
            (0..blocks).map(|block| hash(&[seed, &[round], &(block as u32).to_le_bytes()])),
        );
        for index in mapping.iter_mut() {
            let current = u64::from(*index);
            let flip = (pivot + n - current) % n;
            let position = current.max(flip);
            let byte = sources[(position / 256) as usize][((position % 256) / 8) as usize];
            if (byte >> (position % 8)) & 1 == 1 {
                *index = flip as u32;
            }
        }
    }
    mapping
}

/// `get_committee_count_per_slot` for `active_count` active validators.
pub fn committee_count_per_slot(active_count: usize, slots_per_epoch: u64, preset: Preset) -> u64 {
    let per_slot = active_count as u64 / slots_per_epoch.max(1) / preset.target_committee_size();
    per_slot.clamp(1, preset.max_committees_per_slot())
}

/// `compute_committee(indices, seed, index, count)` given the precomputed
/// [`shuffled_indices`] `mapping` of `indices`' length under `seed`.
pub fn compute_committee(indices: &[u64], mapping: &[u32], index: u64, count: u64) -> Vec<u64> {
    let len = indices.len() as u64;
    let start = (len * index / count) as usize;
    let end = (len * (index + 1) / count) as usize;
    (start..end).map(|i| indices[mapping[i] as usize]).collect()
}

/// Whether `candidate` with `effective_balance` is accepted by the balance-weighted sampling
/// of `compute_proposer_index` / `get_next_sync_committee_indices` at draw `i`.
fn accept_candidate(seed: &[u8; 32], i: u64, effective_balance: u64, electra: bool) -> bool {
    if electra {
        let random_bytes = hash(&[seed, &(i / 16).to_le_bytes()]);
        let offset = ((i % 16) * 2) as usize;
        let random_value = bytes_to_u64(&random_bytes[offset..offset + 2]);
        effective_balance * 0xffff >= MAX_EFFECTIVE_BALANCE_ELECTRA * random_value
    } else {
        let random_byte = hash(&[seed, &(i / 32).to_le_bytes()])[(i % 32) as usize];
        effective_balance * 255 >= MAX_EFFECTIVE_BALANCE * u64::from(random_byte)
    }
}

/// `compute_proposer_index(state, indices, seed)` with every validator at
/// `effective_balance`; `electra` selects the Electra 16-bit sampling.
///
/// Returns `None` for an empty validator set.
pub fn compute_proposer_index(
    indices: &[u64],
    seed: &[u8; 32],
    effective_balance: u64,
    electra: bool,
    rounds: u8,
) -> Option<u64> {
    let total = indices.len() as u64;
    if total == 0 || effective_balance == 0 {
        return None;
    }
    let mut i = 0u64;
    loop {
        let candidate = indices[compute_shuffled_index(i % total, total, seed, rounds) as usize];
        if accept_candidate(seed, i, effective_balance, electra) {
            return Some(candidate);
        }
        i += 1;
    }
}

/// `get_next_sync_committee_indices` with every validator at `effective_balance`: the
/// validator indices of the sync committee, in committee order (duplicates possible).
pub fn sync_committee_indices(
    indices: &[u64],
    seed: &[u8; 32],
    effective_balance: u64,
    electra: bool,
    preset: Preset,
) -> Vec<u64> {
    let size = preset.sync_committee_size() as usize;
    let total = indices.len();
    if total == 0 || effective_balance == 0 {
        return Vec::new();
    }
    let mapping = shuffled_indices(total, seed, preset.shuffle_round_count());
    let mut members = Vec::with_capacity(size);
    let mut i = 0u64;
    while members.len() < size {
        let candidate = indices[mapping[(i % total as u64) as usize] as usize];
        if accept_candidate(seed, i, effective_balance, electra) {
            members.push(candidate);
        }
        i += 1;
    }
    members
}

/// `is_aggregator`: whether the slot signature `selection_proof` selects its signer as an
/// aggregator of a committee of `committee_len`.
pub fn is_aggregator(committee_len: usize, selection_proof: &[u8; 96]) -> bool {
    let modulo = (committee_len as u64 / TARGET_AGGREGATORS_PER_COMMITTEE).max(1);
    bytes_to_u64(&hash(&[selection_proof])[..8]).is_multiple_of(modulo)
}

/// `is_sync_committee_aggregator`.
pub fn is_sync_committee_aggregator(preset: Preset, selection_proof: &[u8; 96]) -> bool {
    let modulo = (preset.sync_committee_size()
        / SYNC_COMMITTEE_SUBNET_COUNT
        / TARGET_AGGREGATORS_PER_SYNC_SUBCOMMITTEE)
        .max(1);
    bytes_to_u64(&hash(&[selection_proof])[..8]).is_multiple_of(modulo)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_shuffle_matches_per_index_shuffle() {
        let seed = hash(&[b"seed"]);
        for n in [1usize, 2, 7, 100, 300, 1000] {
            let mapping = shuffled_indices(n, &seed, 10);
            for (i, mapped) in mapping.iter().enumerate() {
                assert_eq!(
                    u64::from(*mapped),
                    compute_shuffled_index(i as u64, n as u64, &seed, 10),
                    "n={n} i={i}"
                );
            }
            let mut sorted = mapping.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, (0..n as u32).collect::<Vec<_>>(), "a permutation");
        }
    }

    #[test]
    fn one_round_swaps_by_hand() {
        // One round with n = 2: pivot p = h(seed||0)[..8] % 2; for index 0 the flip is
        // (p + 2 - 0) % 2 = p, position = max(0, p), bit from h(seed||0||0u32)[0].
        let seed = hash(&[b"hand"]);
        let pivot = bytes_to_u64(&hash(&[&seed, &[0]])[..8]) % 2;
        let source = hash(&[&seed, &[0], &0u32.to_le_bytes()]);
        let position = pivot;
        let bit = (source[0] >> position) & 1;
        let expected = if bit == 1 { pivot } else { 0 };
        assert_eq!(compute_shuffled_index(0, 2, &seed, 1), expected);
    }

    #[test]
    fn committees_partition_the_validators() {
        let indices: Vec<u64> = (0..1000).collect();
        let seed = hash(&[b"committees"]);
        let mapping = shuffled_indices(indices.len(), &seed, 10);
        let count = 8 * 4;
        let mut all: Vec<u64> = (0..count)
            .flat_map(|c| compute_committee(&indices, &mapping, c, count))
            .collect();
        all.sort_unstable();
        assert_eq!(all, indices);
    }

    #[test]
    fn proposer_sampling_accepts_full_balance_and_rejects_zero() {
        let indices: Vec<u64> = (0..64).collect();
        let seed = hash(&[b"proposer"]);
        let phase0 = compute_proposer_index(&indices, &seed, MAX_EFFECTIVE_BALANCE, false, 10);
        // Pre-Electra, a 32 ETH validator is always accepted: the first candidate wins.
        assert_eq!(
            phase0,
            Some(indices[compute_shuffled_index(0, 64, &seed, 10) as usize])
        );
        assert!(compute_proposer_index(&indices, &seed, MAX_EFFECTIVE_BALANCE, true, 10).is_some());
        assert_eq!(compute_proposer_index(&indices, &seed, 0, true, 10), None);
        assert_eq!(
            compute_proposer_index(&[], &seed, MAX_EFFECTIVE_BALANCE, true, 10),
            None
        );
    }

    #[test]
    fn aggregator_modulo_boundaries() {
        // A committee smaller than 32 has modulo 1: everyone aggregates.
        assert!(is_aggregator(31, &[0u8; 96]));
        // With modulo 2, exactly the proofs whose hash is even are selected.
        let proof = [1u8; 96];
        let even = bytes_to_u64(&hash(&[&proof])[..8]).is_multiple_of(2);
        assert_eq!(is_aggregator(32, &proof), even);
    }
}
