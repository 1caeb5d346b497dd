//! Fuzzes wire decoding, limits and verification of `QBFTConsensusMsg`, and
//! checks that the deterministic encoder round-trips whatever prost decodes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mosaic_qbft::encoding::DeterministicEncode;
use mosaic_qbft::hashing::Hash;
use mosaic_qbft::msg::decode_and_verify;
use mosaic_qbft::pb;
use mosaic_qbft::signing::SignatureVerifier;
use prost::Message;

struct AcceptAll;

impl SignatureVerifier for AcceptAll {
    fn nodes(&self) -> usize {
        4
    }

    fn verify(&self, _peer_idx: u64, _root: &Hash, _signature: &[u8]) -> bool {
        true
    }
}

fuzz_target!(|data: &[u8]| {
    // Signatures accepted so the fuzzer reaches the checks behind them.
    let _ = decode_and_verify(&AcceptAll, data);
    if let Ok(msg) = pb::QbftConsensusMsg::decode(data) {
        let canonical = msg.to_deterministic_bytes();
        let again = pb::QbftConsensusMsg::decode(canonical.as_slice()).expect("canonical bytes decode");
        assert_eq!(again, msg, "deterministic encoding round-trips");
        assert_eq!(again.to_deterministic_bytes(), canonical, "deterministic encoding is stable");
        let _ = mosaic_qbft::hashing::hash_proto(&msg);
    }
});
