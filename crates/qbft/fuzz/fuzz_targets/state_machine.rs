//! Fuzzes the state machine: the input schedules deliveries (any order, drops,
//! duplicates), timeouts and proposals for a 4-node cluster, and injects
//! arbitrary envelopes. Honest nodes must never decide different values.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mosaic_qbft::engine::{Definition, Instance, Output};
use mosaic_qbft::hashing::Hash;
use mosaic_qbft::pb;
use mosaic_qbft::signing::{SignatureVerifier, Signer, SIGNATURE_LEN};
use mosaic_qbft::value::wrap_unsigned_data_set;
use mosaic_qbft::{Duty, DutyType};
use prost::Message;
use sha2::{Digest, Sha256};

const N: usize = 4;

fn sig(peer: u64, root: &Hash) -> [u8; SIGNATURE_LEN] {
    let mut out = [0u8; SIGNATURE_LEN];
    let d = Sha256::new().chain_update(peer.to_le_bytes()).chain_update(root).finalize();
    out[..32].copy_from_slice(&d);
    out[32..64].copy_from_slice(&d);
    out
}

struct Key(u64);

impl Signer for Key {
    fn sign(&self, root: &Hash) -> [u8; SIGNATURE_LEN] {
        sig(self.0, root)
    }
}

struct Keys;

impl SignatureVerifier for Keys {
    fn nodes(&self) -> usize {
        N
    }

    fn verify(&self, peer_idx: u64, root: &Hash, signature: &[u8]) -> bool {
        signature == sig(peer_idx, root).as_slice()
    }
}

fn value(tag: u8) -> pb::Any {
    let mut set = pb::UnsignedDataSet::default();
    set.set.insert(format!("0x{tag:02x}"), vec![tag; 40]);
    wrap_unsigned_data_set(&set).0
}

fuzz_target!(|data: &[u8]| {
    let duty = Duty::new(1, DutyType::Attester);
    let mut nodes: Vec<_> = (0..N as u64)
        .map(|i| Instance::new(Definition::new(N), duty, i, Key(i), Keys).expect("member"))
        .collect();
    let mut pending: Vec<(usize, pb::QbftConsensusMsg)> = Vec::new();
    let mut decided: Vec<Option<Hash>> = vec![None; N];
    let mut absorb = |from: usize, outs: Vec<Output>, pending: &mut Vec<(usize, pb::QbftConsensusMsg)>| {
        for o in outs {
            match o {
                Output::Broadcast(m) => {
                    if pending.len() < 4096 {
                        pending.push((from, m));
                    }
                }
                Output::Decided(d) => {
                    assert!(decided[from].is_none(), "decides once");
                    decided[from] = Some(d.value_hash);
                }
                _ => {}
            }
        }
    };
    for i in 0..N {
        let outs = nodes[i].start();
        absorb(i, outs, &mut pending);
    }
    let mut bytes = data.iter().copied();
    while let Some(op) = bytes.next() {
        let arg = usize::from(bytes.next().unwrap_or(0));
        let node = arg % N;
        match op % 5 {
            0 | 1 if !pending.is_empty() => {
                // Deliver message `arg` to `node`, keeping it when op is 1 (a duplicate).
                let i = arg % pending.len();
                let (from, msg) = if op % 5 == 1 { pending[i].clone() } else { pending.swap_remove(i) };
                if from != node {
                    let outs = nodes[node].receive(&msg);
                    absorb(node, outs, &mut pending);
                }
            }
            2 => {
                let round = nodes[node].round();
                let outs = nodes[node].timeout(round);
                absorb(node, outs, &mut pending);
            }
            3 => {
                let outs = nodes[node].propose(value(arg as u8 % 3)).expect("valid value");
                absorb(node, outs, &mut pending);
            }
            _ => {
                // Inject an arbitrary envelope built from the next bytes.
                let len = arg.min(bytes.len());
                let raw: Vec<u8> = bytes.by_ref().take(len).collect();
                if let Ok(msg) = pb::QbftConsensusMsg::decode(raw.as_slice()) {
                    let outs = nodes[node].receive(&msg);
                    absorb(node, outs, &mut pending);
                }
            }
        }
    }
    let values: Vec<Hash> = decided.iter().flatten().copied().collect();
    assert!(values.windows(2).all(|w| w[0] == w[1]), "agreement: {values:?}");
});
