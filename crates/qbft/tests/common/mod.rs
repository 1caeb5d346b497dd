//! Shared test support: a fast fake signature scheme, cluster helpers and a
//! deterministic network simulator with a virtual clock.
#![allow(dead_code, unreachable_pub)]

pub mod sim;

use mosaic_qbft::engine::{Definition, Instance, Output};
use mosaic_qbft::hashing::Hash;
use mosaic_qbft::pb;
use mosaic_qbft::signing::{SignatureVerifier, Signer, SIGNATURE_LEN};
use mosaic_qbft::value::wrap_unsigned_data_set;
use mosaic_qbft::{Duty, DutyType};
use sha2::{Digest, Sha256};

/// A keyed-hash stand-in for secp256k1: unforgeable within the tests because
/// Byzantine code never calls it with another node's index.
#[derive(Debug, Clone, Copy)]
pub struct FakeSigner(pub u64);

pub fn fake_signature(peer: u64, root: &Hash) -> [u8; SIGNATURE_LEN] {
    let mut out = [0u8; SIGNATURE_LEN];
    let a = Sha256::new()
        .chain_update(b"fake-a")
        .chain_update(peer.to_le_bytes())
        .chain_update(root)
        .finalize();
    let b = Sha256::new()
        .chain_update(b"fake-b")
        .chain_update(root)
        .chain_update(peer.to_le_bytes())
        .finalize();
    out[..32].copy_from_slice(&a);
    out[32..64].copy_from_slice(&b);
    out
}

impl Signer for FakeSigner {
    fn sign(&self, root: &Hash) -> [u8; SIGNATURE_LEN] {
        fake_signature(self.0, root)
    }
}

/// Verifies [`FakeSigner`] signatures for a cluster of `n`.
#[derive(Debug, Clone, Copy)]
pub struct FakeVerifier(pub usize);

impl SignatureVerifier for FakeVerifier {
    fn nodes(&self) -> usize {
        self.0
    }

    fn verify(&self, peer_idx: u64, root: &Hash, signature: &[u8]) -> bool {
        peer_idx < self.0 as u64 && signature == fake_signature(peer_idx, root).as_slice()
    }
}

pub type FakeInstance = Instance<FakeSigner, FakeVerifier>;

pub fn duty() -> Duty {
    Duty::new(3, DutyType::Attester)
}

/// A distinct consensus value per `tag`.
pub fn value(tag: u64) -> (pb::Any, Hash) {
    let mut set = pb::UnsignedDataSet::default();
    // Longer than 32 bytes, so the hash is a real merkle root.
    set.set
        .insert(format!("0x{tag:096x}"), tag.to_le_bytes().repeat(6));
    wrap_unsigned_data_set(&set)
}

pub fn cluster(n: usize) -> Vec<FakeInstance> {
    (0..n as u64)
        .map(|i| {
            Instance::new(
                Definition::new(n),
                duty(),
                i,
                FakeSigner(i),
                FakeVerifier(n),
            )
            .expect("member")
        })
        .collect()
}

pub fn broadcasts(outputs: &[Output]) -> Vec<pb::QbftConsensusMsg> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Broadcast(m) => Some(m.clone()),
            _ => None,
        })
        .collect()
}

/// Delivers every broadcast to every other node synchronously until quiet.
pub fn run_sync(
    nodes: &mut [FakeInstance],
    initial: Vec<(usize, Vec<Output>)>,
) -> Vec<Vec<Output>> {
    let mut log: Vec<Vec<Output>> = vec![Vec::new(); nodes.len()];
    let mut queue: std::collections::VecDeque<(usize, pb::QbftConsensusMsg)> = Default::default();
    for (from, outs) in initial {
        queue.extend(broadcasts(&outs).into_iter().map(|m| (from, m)));
        log[from].extend(outs);
    }
    while let Some((from, msg)) = queue.pop_front() {
        for to in 0..nodes.len() {
            if to != from {
                let outs = nodes[to].receive(&msg);
                queue.extend(broadcasts(&outs).into_iter().map(|m| (to, m)));
                log[to].extend(outs);
            }
        }
    }
    log
}

/// Signs a wire message as `signer`.
pub fn signed(mut msg: pb::QbftMsg, signer: u64) -> pb::QbftMsg {
    mosaic_qbft::signing::sign_msg(&FakeSigner(signer), &mut msg);
    msg
}
