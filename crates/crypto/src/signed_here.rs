//! Signatures this process encoded, remembered by their compressed bytes, so that taking one
//! back does not decompress and subgroup-check it again.
//!
//! A validator client built into a node signs and hands its signatures to the node's validator
//! API as 96-byte encodings, through the same HTTP path an external client uses; the validator
//! API must decode each one before it verifies it. Decoding costs about 80 µs (a square root in
//! the extension field and the subgroup check) for a point this process had a moment ago.
//!
//! A remembered signature is exactly the point whose compression is its key: compression is
//! one-to-one on the curve, so decoding those bytes would give the same point, and it would pass
//! the same checks (every [`Signature`] is in the subgroup and not infinity). A hit therefore
//! changes no result, only the cost. Signatures are public: nothing secret is remembered.

use std::sync::LazyLock;

use crate::bls::{Signature, SIGNATURE_LEN};
use crate::memo::Memo;
use crate::Error;

/// How many encodings are remembered (first in, first out): a slot's signatures of a node with
/// thousands of validators, which its validator API takes back within milliseconds. Older ones
/// are decoded as usual.
const CAPACITY: usize = 8192;

static ENCODED: LazyLock<Memo<[u8; SIGNATURE_LEN], Signature>> =
    LazyLock::new(|| Memo::new(CAPACITY));

impl Signature {
    /// [`Self::to_bytes`], remembering the encoding so that [`Self::from_bytes_remembered`]
    /// takes it back without decoding it.
    pub fn to_bytes_remembered(&self) -> [u8; SIGNATURE_LEN] {
        let bytes = self.to_bytes();
        ENCODED.insert(bytes, *self);
        bytes
    }

    /// [`Self::from_bytes`], except that an encoding [`Self::to_bytes_remembered`] made (and
    /// still remembers) gives its signature back without decompressing and subgroup-checking
    /// it again. Anything else, bad input included, is decoded and checked as usual.
    pub fn from_bytes_remembered(bytes: &[u8]) -> Result<Self, Error> {
        if let Some(signature) = ENCODED.get(bytes) {
            return Ok(signature);
        }
        Self::from_bytes(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bls::SecretKey;

    #[test]
    fn remembered_encodings_come_back_as_the_signature_they_encode() {
        let key = SecretKey::random();
        let signature = key.sign(b"remembered");
        let bytes = signature.to_bytes_remembered();
        assert_eq!(bytes, signature.to_bytes());
        assert!(ENCODED.get(&bytes).is_some(), "the encoding is remembered");
        let back = Signature::from_bytes_remembered(&bytes).unwrap();
        assert_eq!(back, signature);
        assert_eq!(back, Signature::from_bytes(&bytes).unwrap());
        assert!(back.verify(&key.public_key(), b"remembered"));
    }

    #[test]
    fn other_encodings_are_decoded_and_checked() {
        let key = SecretKey::random();
        // Valid, never remembered: decoded.
        let plain = key.sign(b"not remembered").to_bytes();
        assert!(ENCODED.get(&plain).is_none());
        assert_eq!(
            Signature::from_bytes_remembered(&plain).unwrap().to_bytes(),
            plain
        );
        // A remembered encoding with one bit changed is not a hit, and fails decoding.
        let mut flipped = key.sign(b"flipped").to_bytes_remembered();
        flipped[95] ^= 1;
        assert!(ENCODED.get(&flipped).is_none());
        assert_eq!(
            Signature::from_bytes_remembered(&flipped).ok(),
            Signature::from_bytes(&flipped).ok()
        );
        // Not on the curve, the point at infinity, the wrong length: refused as from_bytes does.
        assert!(Signature::from_bytes_remembered(&[0xff; 96]).is_err());
        let mut infinity = [0u8; 96];
        infinity[0] = 0xc0;
        assert!(Signature::from_bytes_remembered(&infinity).is_err());
        assert!(matches!(
            Signature::from_bytes_remembered(&plain[..95]),
            Err(Error::InvalidLength { actual: 95, .. })
        ));
    }
}
