//! An incremental SSZ hasher over one chunk buffer, mirroring the `HashWalker` interface Charon
//! hashes cluster files through (and the Obol spec's `dv_spec.encoding.ssz.HashWalker`).
//!
//! Fields are appended as whole 32-byte chunks; a container or list is closed by merkleizing
//! everything appended since its start index back into one chunk.

use sha2::{Digest, Sha256};

const CHUNK: usize = 32;

fn sha256_pair(a: &[u8], b: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(a);
    h.update(b);
    h.finalize().into()
}

/// `ZERO_HASHES[i]` is the root of an all-zero subtree of depth `i`.
fn zero_hash(depth: usize) -> [u8; 32] {
    let mut h = [0u8; 32];
    for _ in 0..depth {
        h = sha256_pair(&h, &h);
    }
    h
}

/// Depth of a tree holding `limit` leaves: `ceil(log2(limit))`.
fn depth_for(limit: u64) -> usize {
    if limit <= 1 {
        0
    } else {
        (64 - (limit - 1).leading_zeros()) as usize
    }
}

/// Merkleizes whole chunks into a root, the tree sized to `limit` leaves (0 = the chunk count).
/// Odd levels are completed with that level's zero-subtree hash.
pub(crate) fn merkleize(chunks: &[u8], limit: u64) -> Result<[u8; 32], String> {
    debug_assert_eq!(chunks.len() % CHUNK, 0);
    let count = (chunks.len() / CHUNK) as u64;
    let limit = if limit == 0 {
        count
    } else if count > limit {
        return Err(format!(
            "{count} chunks exceed the list capacity of {limit}"
        ));
    } else {
        limit
    };
    if limit == 0 {
        return Ok([0u8; 32]);
    }
    if limit == 1 {
        let mut out = [0u8; 32];
        if count == 1 {
            out.copy_from_slice(&chunks[..CHUNK]);
        }
        return Ok(out);
    }
    let depth = depth_for(limit);
    if count == 0 {
        return Ok(zero_hash(depth));
    }
    let mut layer: Vec<[u8; 32]> = chunks
        .chunks(CHUNK)
        .map(|c| {
            let mut a = [0u8; 32];
            a.copy_from_slice(c);
            a
        })
        .collect();
    let mut zero = [0u8; 32];
    for _ in 0..depth {
        if layer.len() % 2 == 1 {
            layer.push(zero);
        }
        layer = layer.chunks(2).map(|p| sha256_pair(&p[0], &p[1])).collect();
        zero = sha256_pair(&zero, &zero);
    }
    Ok(layer[0])
}

/// The incremental hasher.
#[derive(Default)]
pub(crate) struct HashWalker {
    buf: Vec<u8>,
}

impl HashWalker {
    /// A new, empty walk.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// The current buffer position, to merkleize back to later.
    pub(crate) fn index(&self) -> usize {
        self.buf.len()
    }

    /// Appends `data` right-padded to whole chunks (nothing at all for empty input).
    pub(crate) fn append_bytes32(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
        self.fill_up_to_32();
    }

    fn fill_up_to_32(&mut self) {
        let rest = self.buf.len() % CHUNK;
        if rest != 0 {
            self.buf.resize(self.buf.len() + CHUNK - rest, 0);
        }
    }

    /// Appends a byte string as at most one chunk: up to 32 bytes are right-padded, longer
    /// strings are merkleized. Empty input appends nothing.
    pub(crate) fn put_bytes(&mut self, data: &[u8]) {
        if data.len() <= CHUNK {
            self.append_bytes32(data);
        } else {
            let start = self.index();
            self.append_bytes32(data);
            self.merkleize(start);
        }
    }

    /// Appends a uint64 (little-endian, one chunk).
    pub(crate) fn put_u64(&mut self, v: u64) {
        self.append_bytes32(&v.to_le_bytes());
    }

    /// Appends a bool (one chunk).
    pub(crate) fn put_bool(&mut self, v: bool) {
        self.append_bytes32(&[u8::from(v)]);
    }

    /// Appends a `List[uint64, max]`, packed, with its length mixed in.
    pub(crate) fn put_u64_list(&mut self, values: &[u64], max: u64) -> Result<(), String> {
        let start = self.index();
        for v in values {
            self.buf.extend_from_slice(&v.to_le_bytes());
        }
        self.fill_up_to_32();
        let limit = (max * 8).div_ceil(CHUNK as u64);
        let limit = if limit == 0 {
            (values.len() as u64).max(1)
        } else {
            limit
        };
        self.merkleize_with_mixin(start, values.len() as u64, limit)
    }

    /// Appends a `ByteList[max]`: the tree holds `ceil(max/32)` chunks, the byte count is mixed in.
    pub(crate) fn put_byte_list(
        &mut self,
        data: &[u8],
        max: usize,
        field: &str,
    ) -> Result<(), String> {
        if data.len() > max {
            return Err(format!(
                "{field} is {} bytes, over the {max} byte limit",
                data.len()
            ));
        }
        let start = self.index();
        self.append_bytes32(data);
        self.merkleize_with_mixin(start, data.len() as u64, max.div_ceil(CHUNK) as u64)
    }

    /// Appends a `BytesN`: left-padded with zeros to `n` bytes.
    pub(crate) fn put_bytes_n(&mut self, data: &[u8], n: usize, field: &str) -> Result<(), String> {
        if data.len() > n {
            return Err(format!("{field} is {} bytes, longer than {n}", data.len()));
        }
        let mut padded = vec![0u8; n - data.len()];
        padded.extend_from_slice(data);
        self.put_bytes(&padded);
        Ok(())
    }

    /// Closes a container: replaces everything since `start` with its root.
    pub(crate) fn merkleize(&mut self, start: usize) {
        // The limit is the chunk count, so this cannot exceed it.
        let root = merkleize(&self.buf[start..], 0).unwrap_or([0u8; 32]);
        self.buf.truncate(start);
        self.buf.extend_from_slice(&root);
    }

    /// Closes a list: merkleizes to `limit` leaves and mixes in `num`.
    pub(crate) fn merkleize_with_mixin(
        &mut self,
        start: usize,
        num: u64,
        limit: u64,
    ) -> Result<(), String> {
        self.fill_up_to_32();
        let root = merkleize(&self.buf[start..], limit)?;
        let mut mixin = [0u8; 32];
        mixin[..8].copy_from_slice(&num.to_le_bytes());
        let out = sha256_pair(&root, &mixin);
        self.buf.truncate(start);
        self.buf.extend_from_slice(&out);
        Ok(())
    }

    /// The root, once the walk has collapsed to one chunk.
    pub(crate) fn hash_root(&self) -> Result<[u8; 32], String> {
        if self.buf.len() != CHUNK {
            return Err(format!(
                "incomplete hash walk: {} bytes buffered",
                self.buf.len()
            ));
        }
        let mut out = [0u8; 32];
        out.copy_from_slice(&self.buf);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_is_ceil_log2() {
        assert_eq!(depth_for(1), 0);
        assert_eq!(depth_for(2), 1);
        assert_eq!(depth_for(3), 2);
        assert_eq!(depth_for(64), 6);
        assert_eq!(depth_for(65), 7);
    }

    #[test]
    fn short_bytes_are_padded_not_hashed() {
        let mut w = HashWalker::new();
        w.put_bytes(&[1, 2, 3]);
        let mut expect = [0u8; 32];
        expect[..3].copy_from_slice(&[1, 2, 3]);
        assert_eq!(w.hash_root(), Ok(expect));
    }

    #[test]
    fn long_bytes_are_merkleized() {
        let data = [7u8; 48];
        let mut w = HashWalker::new();
        w.put_bytes(&data);
        let mut second = [0u8; 32];
        second[..16].copy_from_slice(&data[32..]);
        assert_eq!(w.hash_root(), Ok(sha256_pair(&data[..32], &second)));
    }

    #[test]
    fn odd_layer_pairs_with_zero_subtree() {
        let chunks = [[1u8; 32], [2u8; 32], [3u8; 32]].concat();
        let z1 = sha256_pair(&[0u8; 32], &[0u8; 32]);
        let left = sha256_pair(&[1u8; 32], &[2u8; 32]);
        let right = sha256_pair(&[3u8; 32], &[0u8; 32]);
        assert_eq!(merkleize(&chunks, 0), Ok(sha256_pair(&left, &right)));
        // Limit 8 (depth 3): the root pairs with the depth-2 zero subtree.
        let z2 = sha256_pair(&z1, &z1);
        assert_eq!(
            merkleize(&chunks, 8),
            Ok(sha256_pair(&sha256_pair(&left, &right), &z2))
        );
    }

    #[test]
    fn over_capacity_is_rejected_at_and_not_below_the_limit() {
        let chunks = [[1u8; 32], [2u8; 32]].concat();
        assert!(merkleize(&chunks, 1).is_err());
        assert!(merkleize(&chunks, 2).is_ok());
    }
}
