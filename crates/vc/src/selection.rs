//! Aggregator selection (`ethereum/consensus-specs` `validator.md`): `is_aggregator` and
//! `is_sync_committee_aggregator` from a selection proof.

use sha2::{Digest, Sha256};

use crate::chain::ChainSpec;

/// `bytes_to_uint64(hash(signature)[0:8]) % modulo == 0`.
fn selected(selection_proof: &[u8; 96], modulo: u64) -> bool {
    let digest = Sha256::digest(selection_proof);
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(first) % modulo.max(1) == 0
}

/// `is_aggregator`: modulo `max(1, committee_length // TARGET_AGGREGATORS_PER_COMMITTEE)`.
pub(crate) fn is_aggregator(chain: &ChainSpec, committee_length: u64, proof: &[u8; 96]) -> bool {
    selected(
        proof,
        committee_length / chain.target_aggregators_per_committee,
    )
}

/// `is_sync_committee_aggregator`: modulo `max(1, SYNC_COMMITTEE_SIZE //
/// SYNC_COMMITTEE_SUBNET_COUNT // TARGET_AGGREGATORS_PER_SYNC_SUBCOMMITTEE)`.
pub(crate) fn is_sync_committee_aggregator(chain: &ChainSpec, proof: &[u8; 96]) -> bool {
    selected(
        proof,
        chain.sync_subcommittee_size() / chain.target_aggregators_per_sync_subcommittee,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proof(seed: u8) -> [u8; 96] {
        let mut bytes = [0u8; 96];
        bytes[0] = seed;
        bytes[95] = seed.wrapping_mul(7);
        bytes
    }

    #[test]
    fn matches_the_simulator_reference() {
        // Committees up to 15 members: everyone aggregates; 64 members: modulo 4.
        for seed in 0..=255u8 {
            let p = proof(seed);
            for len in [1u64, 15, 16, 31, 32, 64, 128, 500] {
                assert_eq!(
                    selected(&p, len / 16),
                    mosaic_simnet::spec::is_aggregator(len as usize, &p),
                    "seed {seed} len {len}"
                );
            }
        }
    }

    #[test]
    fn modulo_decides_both_ways() {
        let mut yes = 0;
        let mut no = 0;
        for seed in 0..=255u8 {
            let p = proof(seed);
            assert!(selected(&p, 1), "modulo 1 selects everyone");
            assert!(selected(&p, 0), "modulo 0 is treated as 1");
            if selected(&p, 4) {
                yes += 1;
            } else {
                no += 1;
            }
        }
        // Both outcomes occur for modulo 4 (about a quarter selected).
        assert!(yes > 20 && no > 120, "yes {yes} no {no}");
    }
}
