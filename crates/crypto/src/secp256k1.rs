//! secp256k1 ECDSA as Charon uses it: 65-byte `R || S || V` recoverable signatures over 32-byte
//! digests (QBFT messages, node signatures over the lock hash, operator signatures), compact
//! 64-byte `R || S` signatures for ENR v4, and Ethereum addresses.
//!
//! Signing is RFC 6979 deterministic with low-s normalisation, so signatures are reproducible byte
//! for byte. Verification and recovery reject high-s signatures (malleated copies).

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use k256::ecdsa::{RecoveryId, Signature, SigningKey, VerifyingKey};
use k256::elliptic_curve::scalar::IsHigh;
use sha3::{Digest, Keccak256};
use zeroize::Zeroizing;

use crate::hexutil::decode_hex;
use crate::Error;

/// Length of a recoverable signature `R || S || V`.
pub const RECOVERABLE_SIGNATURE_LEN: usize = 65;
/// Length of a compact signature `R || S`.
pub const COMPACT_SIGNATURE_LEN: usize = 64;
/// Length of a compressed SEC1 public key.
pub const COMPRESSED_PUBLIC_KEY_LEN: usize = 33;
/// Length of an uncompressed SEC1 public key (`0x04 || X || Y`).
pub const UNCOMPRESSED_PUBLIC_KEY_LEN: usize = 65;

/// A 32-byte secp256k1 secret key. Zeroized on drop; `Debug` prints nothing secret.
#[derive(Clone)]
pub struct SecretKey(SigningKey);

impl SecretKey {
    /// Parses a 32-byte big-endian scalar, which must be nonzero and below the curve order.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() != 32 {
            return Err(Error::InvalidLength {
                what: "secp256k1 secret key",
                expected: "32",
                actual: bytes.len(),
            });
        }
        SigningKey::from_slice(bytes)
            .map(Self)
            .map_err(|_| Error::Secp256k1SecretKey)
    }

    /// Parses a hex secret key (optional `0x` prefix).
    pub fn from_hex(hex: &str) -> Result<Self, Error> {
        let bytes = decode_hex("secp256k1 secret key", hex)?;
        Self::from_bytes(&bytes)
    }

    /// A fresh key from the operating system's random number generator.
    pub fn random() -> Self {
        Self(SigningKey::random(&mut rand::rngs::OsRng))
    }

    /// The 32-byte big-endian scalar, in a buffer that zeroizes on drop.
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.0.to_bytes().into())
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(*self.0.verifying_key())
    }

    /// Signs a 32-byte digest (RFC 6979 nonce, low s), returning `R || S || V` with `V` in {0, 1}.
    pub fn sign(&self, digest: &[u8; 32]) -> RecoverableSignature {
        // Signing a 32-byte prehash with a valid key cannot fail: RFC 6979 retries internally
        // and the prehash length is within the curve's field size.
        let (signature, recovery_id) = self
            .0
            .sign_prehash_recoverable(digest)
            .unwrap_or_else(|_| unreachable!("RFC 6979 signing of a 32-byte digest cannot fail"));
        RecoverableSignature {
            signature,
            recovery_id,
        }
    }

    /// Signs a 32-byte digest and returns the compact 64-byte `R || S` form (ENR v4 identity).
    pub fn sign_compact(&self, digest: &[u8; 32]) -> [u8; COMPACT_SIGNATURE_LEN] {
        self.sign(digest).signature.to_bytes().into()
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

/// k256's `SigningKey` zeroizes its scalar on drop.
impl zeroize::ZeroizeOnDrop for SecretKey {}

/// A secp256k1 public key (serialised compressed, 33 bytes).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    /// Parses a SEC1 public key, compressed (33 bytes) or uncompressed (65 bytes).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() != COMPRESSED_PUBLIC_KEY_LEN && bytes.len() != UNCOMPRESSED_PUBLIC_KEY_LEN {
            return Err(Error::InvalidLength {
                what: "secp256k1 public key",
                expected: "33 or 65",
                actual: bytes.len(),
            });
        }
        let tag_ok = match bytes.len() {
            COMPRESSED_PUBLIC_KEY_LEN => matches!(bytes[0], 0x02 | 0x03),
            _ => bytes[0] == 0x04,
        };
        if !tag_ok {
            return Err(Error::Secp256k1PublicKey);
        }
        VerifyingKey::from_sec1_bytes(bytes)
            .map(Self)
            .map_err(|_| Error::Secp256k1PublicKey)
    }

    /// Parses a hex public key (optional `0x` prefix), compressed or uncompressed.
    pub fn from_hex(hex: &str) -> Result<Self, Error> {
        Self::from_bytes(&decode_hex("secp256k1 public key", hex)?)
    }

    /// The 33-byte compressed SEC1 encoding.
    pub fn to_compressed(&self) -> [u8; COMPRESSED_PUBLIC_KEY_LEN] {
        let point = self.0.to_encoded_point(true);
        let mut out = [0u8; COMPRESSED_PUBLIC_KEY_LEN];
        out.copy_from_slice(point.as_bytes());
        out
    }

    /// The 65-byte uncompressed SEC1 encoding `0x04 || X || Y`.
    pub fn to_uncompressed(&self) -> [u8; UNCOMPRESSED_PUBLIC_KEY_LEN] {
        let point = self.0.to_encoded_point(false);
        let mut out = [0u8; UNCOMPRESSED_PUBLIC_KEY_LEN];
        out.copy_from_slice(point.as_bytes());
        out
    }

    /// Verifies a compact `R || S` signature over a 32-byte digest. High-s signatures are rejected.
    pub fn verify_compact(
        &self,
        digest: &[u8; 32],
        signature: &[u8; COMPACT_SIGNATURE_LEN],
    ) -> bool {
        use k256::ecdsa::signature::hazmat::PrehashVerifier;
        match Signature::from_slice(signature) {
            Ok(signature) => self.0.verify_prehash(digest, &signature).is_ok(),
            Err(_) => false,
        }
    }

    /// The Ethereum address: the last 20 bytes of keccak256 over the uncompressed `X || Y`.
    pub fn ethereum_address(&self) -> [u8; 20] {
        let uncompressed = self.to_uncompressed();
        let hash = Keccak256::digest(&uncompressed[1..]);
        let mut address = [0u8; 20];
        address.copy_from_slice(&hash[12..]);
        address
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", hex::encode(self.to_compressed()))
    }
}

impl Hash for PublicKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.to_compressed().hash(state);
    }
}

impl PartialOrd for PublicKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for PublicKey {
    /// Orders by compressed encoding.
    fn cmp(&self, other: &Self) -> Ordering {
        self.to_compressed().cmp(&other.to_compressed())
    }
}

/// A recoverable signature `R || S || V` (65 bytes). `V` is 0 or 1 on output; 27 and 28 are
/// accepted on input. `S` is always low.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct RecoverableSignature {
    signature: Signature,
    recovery_id: RecoveryId,
}

impl RecoverableSignature {
    /// Parses `R || S || V`. Rejects a wrong length, `r` or `s` zero or not below the curve
    /// order, high `s`, and `V` outside {0, 1, 27, 28}.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() != RECOVERABLE_SIGNATURE_LEN {
            return Err(Error::InvalidLength {
                what: "secp256k1 recoverable signature",
                expected: "65",
                actual: bytes.len(),
            });
        }
        let v = bytes[64];
        let is_y_odd = match v {
            0 | 27 => false,
            1 | 28 => true,
            _ => {
                return Err(Error::Secp256k1Signature {
                    reason: "recovery byte V must be 0, 1, 27 or 28",
                })
            }
        };
        let signature =
            Signature::from_slice(&bytes[..64]).map_err(|_| Error::Secp256k1Signature {
                reason: "r and s must be nonzero and below the curve order",
            })?;
        if bool::from(signature.s().is_high()) {
            return Err(Error::Secp256k1Signature {
                reason: "s is in the upper half of the curve order (malleable high-s form)",
            });
        }
        Ok(Self {
            signature,
            recovery_id: RecoveryId::new(is_y_odd, false),
        })
    }

    /// Parses a hex signature (optional `0x` prefix).
    pub fn from_hex(hex: &str) -> Result<Self, Error> {
        Self::from_bytes(&decode_hex("secp256k1 recoverable signature", hex)?)
    }

    /// `R || S || V` with `V` in {0, 1}.
    pub fn to_bytes(&self) -> [u8; RECOVERABLE_SIGNATURE_LEN] {
        let mut out = [0u8; RECOVERABLE_SIGNATURE_LEN];
        out[..64].copy_from_slice(&self.signature.to_bytes());
        out[64] = self.recovery_id.to_byte();
        out
    }

    /// The compact `R || S` part.
    pub fn to_compact(&self) -> [u8; COMPACT_SIGNATURE_LEN] {
        self.signature.to_bytes().into()
    }

    /// Recovers the public key that signed `digest`.
    pub fn recover(&self, digest: &[u8; 32]) -> Result<PublicKey, Error> {
        VerifyingKey::recover_from_prehash(digest, &self.signature, self.recovery_id)
            .map(PublicKey)
            .map_err(|_| Error::Secp256k1Recovery)
    }
}

impl fmt::Debug for RecoverableSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RecoverableSignature({})", hex::encode(self.to_bytes()))
    }
}

/// Whether `signature` over `digest` recovers to `public_key`.
pub fn verify(public_key: &PublicKey, digest: &[u8; 32], signature: &RecoverableSignature) -> bool {
    signature
        .recover(digest)
        .is_ok_and(|recovered| recovered == *public_key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SecretKey {
        SecretKey::from_hex("4f3edf983ac636a65a842ce7c78d9aa706d3b113bce9c46f30d7d21715b23b1d")
            .unwrap()
    }

    const DIGEST: [u8; 32] = [7u8; 32];

    /// The secp256k1 group order n.
    const ORDER: [u8; 32] = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xfe, 0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36,
        0x41, 0x41,
    ];

    fn sub_one(mut bytes: [u8; 32]) -> [u8; 32] {
        for byte in bytes.iter_mut().rev() {
            let (value, borrow) = byte.overflowing_sub(1);
            *byte = value;
            if !borrow {
                break;
            }
        }
        bytes
    }

    #[test]
    fn sign_recover_verify_round_trip() {
        let sk = key();
        let sig = sk.sign(&DIGEST);
        assert!(sig.to_bytes()[64] <= 1);
        assert_eq!(sig.recover(&DIGEST).unwrap(), sk.public_key());
        assert!(verify(&sk.public_key(), &DIGEST, &sig));
        assert_eq!(
            RecoverableSignature::from_bytes(&sig.to_bytes()).unwrap(),
            sig
        );
    }

    #[test]
    fn secret_key_bounds() {
        assert!(matches!(
            SecretKey::from_bytes(&[0u8; 32]),
            Err(Error::Secp256k1SecretKey)
        ));
        assert!(matches!(
            SecretKey::from_bytes(&ORDER),
            Err(Error::Secp256k1SecretKey)
        ));
        assert!(SecretKey::from_bytes(&sub_one(ORDER)).is_ok());
        let mut one = [0u8; 32];
        one[31] = 1;
        assert!(SecretKey::from_bytes(&one).is_ok());
        assert!(matches!(
            SecretKey::from_bytes(&[1u8; 31]),
            Err(Error::InvalidLength { actual: 31, .. })
        ));
        assert!(SecretKey::from_hex("0xzz").is_err());
    }

    #[test]
    fn secret_key_debug_is_redacted() {
        let sk = key();
        let hex = hex::encode(*sk.to_bytes());
        let debug = format!("{sk:?} {sk:#?}");
        assert!(debug.contains("<redacted>"));
        assert!(!debug.contains(&hex));
        assert!(!debug.contains(&hex[..16]));
    }

    #[test]
    fn public_key_encodings() {
        let pk = key().public_key();
        let compressed = pk.to_compressed();
        let uncompressed = pk.to_uncompressed();
        assert_eq!(PublicKey::from_bytes(&compressed).unwrap(), pk);
        assert_eq!(PublicKey::from_bytes(&uncompressed).unwrap(), pk);
        assert!(matches!(
            PublicKey::from_bytes(&compressed[..32]),
            Err(Error::InvalidLength { .. })
        ));
        let mut bad = compressed;
        bad[0] = 0x05;
        assert!(matches!(
            PublicKey::from_bytes(&bad),
            Err(Error::Secp256k1PublicKey)
        ));
    }

    #[test]
    fn ethereum_address_known_key() {
        // Private key 1: address 0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf.
        let mut one = [0u8; 32];
        one[31] = 1;
        let pk = SecretKey::from_bytes(&one).unwrap().public_key();
        assert_eq!(
            hex::encode(pk.ethereum_address()),
            "7e5f4552091a69125d5dfcb7b8c2659029395bdf"
        );
    }

    #[test]
    fn recoverable_signature_rejections() {
        let sig = key().sign(&DIGEST).to_bytes();

        // Wrong length, both sides.
        assert!(matches!(
            RecoverableSignature::from_bytes(&sig[..64]),
            Err(Error::InvalidLength { actual: 64, .. })
        ));
        let mut long = sig.to_vec();
        long.push(0);
        assert!(RecoverableSignature::from_bytes(&long).is_err());

        // V: 0, 1, 27, 28 accepted; 2, 26, 29 rejected.
        for v in [0u8, 1, 27, 28] {
            let mut s = sig;
            s[64] = v;
            assert!(RecoverableSignature::from_bytes(&s).is_ok(), "v={v}");
        }
        for v in [2u8, 3, 26, 29, 255] {
            let mut s = sig;
            s[64] = v;
            assert!(
                matches!(
                    RecoverableSignature::from_bytes(&s),
                    Err(Error::Secp256k1Signature { .. })
                ),
                "v={v}"
            );
        }
        // 27/28 normalise to 0/1.
        let mut s27 = sig;
        s27[64] += 27;
        assert_eq!(
            RecoverableSignature::from_bytes(&s27).unwrap().to_bytes(),
            sig
        );

        // r = 0, s = 0, r = n rejected; r = n - 1 parses.
        let mut zero_r = sig;
        zero_r[..32].fill(0);
        assert!(RecoverableSignature::from_bytes(&zero_r).is_err());
        let mut zero_s = sig;
        zero_s[32..64].fill(0);
        assert!(RecoverableSignature::from_bytes(&zero_s).is_err());
        let mut r_order = sig;
        r_order[..32].copy_from_slice(&ORDER);
        assert!(RecoverableSignature::from_bytes(&r_order).is_err());
        let mut r_below = sig;
        r_below[..32].copy_from_slice(&sub_one(ORDER));
        assert!(RecoverableSignature::from_bytes(&r_below).is_ok());
    }

    #[test]
    fn high_s_is_rejected_low_s_accepted() {
        let sig = key().sign(&DIGEST);
        let parsed = Signature::from_slice(&sig.to_compact()).unwrap();
        // n - s is the high-s twin of the same signature.
        let high_s = -*parsed.s();
        let high = Signature::from_scalars(parsed.r().to_bytes(), high_s.to_bytes()).unwrap();
        let mut bytes = [0u8; 65];
        bytes[..64].copy_from_slice(&high.to_bytes());
        bytes[64] = sig.to_bytes()[64] ^ 1;
        assert!(matches!(
            RecoverableSignature::from_bytes(&bytes),
            Err(Error::Secp256k1Signature { .. })
        ));
        assert!(!key()
            .public_key()
            .verify_compact(&DIGEST, &high.to_bytes().into()));
        // The low-s original is accepted by both paths.
        assert!(key()
            .public_key()
            .verify_compact(&DIGEST, &sig.to_compact()));
    }

    #[test]
    fn tampering_is_detected() {
        let sk = key();
        let pk = sk.public_key();
        let sig = sk.sign(&DIGEST);

        let mut other_digest = DIGEST;
        other_digest[0] ^= 1;
        match sig.recover(&other_digest) {
            Ok(recovered) => assert_ne!(recovered, pk),
            Err(e) => assert!(matches!(e, Error::Secp256k1Recovery)),
        }
        assert!(!verify(&pk, &other_digest, &sig));

        let mut tampered = sig.to_bytes();
        tampered[10] ^= 0x01;
        if let Ok(t) = RecoverableSignature::from_bytes(&tampered) {
            assert!(!verify(&pk, &DIGEST, &t));
        }
        let mut flipped_v = sig.to_bytes();
        flipped_v[64] ^= 1;
        let flipped = RecoverableSignature::from_bytes(&flipped_v).unwrap();
        assert!(!verify(&pk, &DIGEST, &flipped));

        let other = SecretKey::random().public_key();
        assert!(!verify(&other, &DIGEST, &sig));
    }

    #[test]
    fn compact_sign_verify() {
        let sk = key();
        let pk = sk.public_key();
        let sig = sk.sign_compact(&DIGEST);
        assert_eq!(sig, sk.sign(&DIGEST).to_compact());
        assert!(pk.verify_compact(&DIGEST, &sig));
        let mut tampered = sig;
        tampered[40] ^= 0x80;
        assert!(!pk.verify_compact(&DIGEST, &tampered));
        let mut other_digest = DIGEST;
        other_digest[31] ^= 1;
        assert!(!pk.verify_compact(&other_digest, &sig));
        assert!(!pk.verify_compact(&DIGEST, &[0u8; 64]));
    }

    #[test]
    fn public_key_order_and_hash_follow_compressed_bytes() {
        let a = SecretKey::random().public_key();
        let b = SecretKey::random().public_key();
        assert_eq!(a.cmp(&b), a.to_compressed().cmp(&b.to_compressed()));
        let set: std::collections::HashSet<PublicKey> = [a, a, b].into_iter().collect();
        assert_eq!(set.len(), if a == b { 1 } else { 2 });
    }
}
