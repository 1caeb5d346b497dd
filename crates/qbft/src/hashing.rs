//! The SSZ hash root Charon takes over deterministic protobuf encodings
//! (`hashProto`): right-pad to 32-byte chunks and merkleize with SHA-256, with
//! no length mixin; an encoding of at most 32 bytes is returned zero-padded,
//! not hashed.

use std::sync::OnceLock;

use sha2::{Digest, Sha256};

use crate::encoding::DeterministicEncode;

/// A 32-byte hash root.
pub type Hash = [u8; 32];

/// The all-zero hash, meaning "no value".
pub const ZERO_HASH: Hash = [0u8; 32];

const CHUNK: usize = 32;
const MAX_DEPTH: usize = 64;

fn zero_hashes() -> &'static [Hash; MAX_DEPTH + 1] {
    static ZERO: OnceLock<[Hash; MAX_DEPTH + 1]> = OnceLock::new();
    ZERO.get_or_init(|| {
        let mut table = [ZERO_HASH; MAX_DEPTH + 1];
        for level in 1..=MAX_DEPTH {
            table[level] = hash_pair(&table[level - 1], &table[level - 1]);
        }
        table
    })
}

fn hash_pair(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update(left);
    hasher.update(right);
    hasher.finalize().into()
}

/// Merkleizes `data`, right-padded with zeros to whole chunks, into a tree sized
/// to the chunk count rounded up to a power of two; odd levels are completed
/// with that level's zero-subtree hash. No length is mixed in.
pub fn merkleize_padded(data: &[u8]) -> Hash {
    let chunk_count = data.len().div_ceil(CHUNK);
    let mut layer: Vec<Hash> = data
        .chunks(CHUNK)
        .map(|c| {
            let mut chunk = ZERO_HASH;
            chunk[..c.len()].copy_from_slice(c);
            chunk
        })
        .collect();
    if chunk_count <= 1 {
        return layer.pop().unwrap_or(ZERO_HASH);
    }
    let depth = chunk_count.next_power_of_two().trailing_zeros() as usize;
    let zeros = zero_hashes();
    for zero in zeros.iter().take(depth) {
        if layer.len() % 2 == 1 {
            layer.push(*zero);
        }
        layer = layer
            .chunks_exact(2)
            .map(|pair| hash_pair(&pair[0], &pair[1]))
            .collect();
    }
    layer[0]
}

/// Returns the hash root of a deterministic protobuf encoding (Charon's `hashProto`).
pub fn hash_proto_bytes(encoding: &[u8]) -> Hash {
    merkleize_padded(encoding)
}

/// Returns the hash root of a message's deterministic encoding.
pub fn hash_proto<M: DeterministicEncode + ?Sized>(msg: &M) -> Hash {
    hash_proto_bytes(&msg.to_deterministic_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_encodings_are_padded_not_hashed() {
        assert_eq!(hash_proto_bytes(&[]), ZERO_HASH);
        let mut expected = ZERO_HASH;
        expected[..4].copy_from_slice(&[8, 1, 16, 2]);
        assert_eq!(hash_proto_bytes(&[8, 1, 16, 2]), expected);
        let exact = [7u8; 32];
        assert_eq!(hash_proto_bytes(&exact), exact);
    }

    #[test]
    fn two_chunks_hash_once_and_three_use_the_zero_subtree() {
        let data = [1u8; 33];
        let mut second = ZERO_HASH;
        second[0] = 1;
        assert_eq!(hash_proto_bytes(&data), hash_pair(&[1u8; 32], &second));
        let data = [2u8; 96];
        let left = hash_pair(&[2u8; 32], &[2u8; 32]);
        let right = hash_pair(&[2u8; 32], &ZERO_HASH);
        assert_eq!(hash_proto_bytes(&data), hash_pair(&left, &right));
    }

    #[test]
    fn no_length_mixin_trailing_zero_chunks_collide() {
        // Documented property of hashProto: safe only because inputs are canonical.
        let a = [5u8; 40];
        let mut b = a.to_vec();
        b.extend_from_slice(&[0u8; 8]);
        assert_eq!(hash_proto_bytes(&a), hash_proto_bytes(&b));
    }
}
