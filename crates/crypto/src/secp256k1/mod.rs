//! secp256k1 ECDSA as Charon uses it: 65-byte `R || S || V` recoverable signatures over 32-byte
//! digests (QBFT messages, node signatures over the lock hash, operator signatures), compact
//! 64-byte `R || S` signatures for ENR v4, and Ethereum addresses.
//!
//! Signing is RFC 6979 deterministic with low-s normalisation, so signatures are reproducible byte
//! for byte. Verification and recovery reject high-s signatures (malleated copies).

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::OnceLock;

use rand::RngCore;
use secp256k1::ecdsa::{self as backend_ecdsa, RecoveryId};
use secp256k1::{All, Message, Secp256k1};
use sha3::{Digest, Keccak256};
use zeroize::Zeroizing;

use crate::hexutil::decode_hex;
use crate::Error;

mod rfc6979;

/// Length of a recoverable signature `R || S || V`.
pub const RECOVERABLE_SIGNATURE_LEN: usize = 65;
/// Length of a compact signature `R || S`.
pub const COMPACT_SIGNATURE_LEN: usize = 64;
/// Length of a compressed SEC1 public key.
pub const COMPRESSED_PUBLIC_KEY_LEN: usize = 33;
/// Length of an uncompressed SEC1 public key (`0x04 || X || Y`).
pub const UNCOMPRESSED_PUBLIC_KEY_LEN: usize = 65;

/// The secp256k1 group order n, big-endian.
const CURVE_ORDER: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
    0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
];

/// `floor(n / 2)`, big-endian: the largest `s` in low-s form.
const HALF_CURVE_ORDER: [u8; 32] = [
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0,
];

/// The process-wide libsecp256k1 context (signing and verification), created once and
/// randomised once from the operating system's RNG as a side-channel blinding measure.
fn context() -> &'static Secp256k1<All> {
    static CONTEXT: OnceLock<Secp256k1<All>> = OnceLock::new();
    CONTEXT.get_or_init(|| {
        let mut context = Secp256k1::new();
        let mut seed = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(seed.as_mut());
        context.seeded_randomize(&seed);
        context
    })
}

/// Whether a 32-byte big-endian scalar is nonzero and below the curve order.
fn is_valid_scalar(bytes: &[u8]) -> bool {
    bytes.iter().any(|&b| b != 0) && bytes < CURVE_ORDER.as_slice()
}

/// Whether a 32-byte big-endian `s` is in the upper half of the curve order (malleable form).
fn is_high_s(s: &[u8]) -> bool {
    s > HALF_CURVE_ORDER.as_slice()
}

/// A 32-byte secp256k1 secret key. Zeroized on drop; `Debug` prints nothing secret.
#[derive(Clone)]
pub struct SecretKey {
    key: secp256k1::SecretKey,
    /// Derived once at construction: deriving costs a scalar multiplication.
    public: PublicKey,
}

impl SecretKey {
    /// Parses a 32-byte big-endian scalar, which must be nonzero and below the curve order.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let bytes: &[u8; 32] = bytes.try_into().map_err(|_| Error::InvalidLength {
            what: "secp256k1 secret key",
            expected: "32",
            actual: bytes.len(),
        })?;
        let copy = Zeroizing::new(*bytes);
        secp256k1::SecretKey::from_byte_array(*copy)
            .map(Self::from_backend)
            .map_err(|_| Error::Secp256k1SecretKey)
    }

    /// Parses a hex secret key (optional `0x` prefix).
    pub fn from_hex(hex: &str) -> Result<Self, Error> {
        let bytes = Zeroizing::new(decode_hex("secp256k1 secret key", hex)?);
        Self::from_bytes(&bytes)
    }

    /// A fresh key from the operating system's random number generator.
    pub fn random() -> Self {
        let mut bytes = Zeroizing::new([0u8; 32]);
        loop {
            rand::rngs::OsRng.fill_bytes(bytes.as_mut());
            // Fails only for zero or a value at or above n: probability below 2^-127.
            if let Ok(key) = secp256k1::SecretKey::from_byte_array(*bytes) {
                return Self::from_backend(key);
            }
        }
    }

    fn from_backend(key: secp256k1::SecretKey) -> Self {
        let public = PublicKey(secp256k1::PublicKey::from_secret_key(context(), &key));
        Self { key, public }
    }

    /// The 32-byte big-endian scalar, in a buffer that zeroizes on drop.
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.key.secret_bytes())
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        self.public
    }

    /// Signs a 32-byte digest (RFC 6979 nonce, low s), returning `R || S || V` with `V` in {0, 1}.
    pub fn sign(&self, digest: &[u8; 32]) -> RecoverableSignature {
        let signature = if digest.as_slice() < CURVE_ORDER.as_slice() {
            context().sign_ecdsa_recoverable(Message::from_digest(*digest), &self.key)
        } else {
            // RFC 6979 as Charon does it for a digest at or above n; see `rfc6979`.
            let secret = self.to_bytes();
            let nonce = rfc6979::nonce_unreduced(&secret, digest);
            rfc6979::sign_with_nonce(context(), &self.key, digest, &nonce).unwrap_or_else(|| {
                unreachable!("an RFC 6979 nonce gives r = 0 or s = 0 with probability 2^-256")
            })
        };
        let (recovery_id, compact) = signature.serialize_compact();
        // libsecp256k1 always emits low s and encodes `R.x >= n` in bit 1 of the id.
        RecoverableSignature {
            compact,
            v: i32::from(recovery_id) as u8,
        }
    }

    /// Signs a 32-byte digest and returns the compact 64-byte `R || S` form (ENR v4 identity).
    pub fn sign_compact(&self, digest: &[u8; 32]) -> [u8; COMPACT_SIGNATURE_LEN] {
        self.sign(digest).compact
    }
}

impl Drop for SecretKey {
    fn drop(&mut self) {
        self.key.non_secure_erase();
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

/// The wrapped libsecp256k1 key is overwritten (volatile write) on drop, and every byte copy
/// handed out is [`Zeroizing`].
impl zeroize::ZeroizeOnDrop for SecretKey {}

/// A secp256k1 public key (serialised compressed, 33 bytes).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(secp256k1::PublicKey);

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
        // libsecp256k1 also accepts the hybrid 0x06/0x07 form, which SEC1 callers must not send.
        let tag_ok = match bytes.len() {
            COMPRESSED_PUBLIC_KEY_LEN => matches!(bytes[0], 0x02 | 0x03),
            _ => bytes[0] == 0x04,
        };
        if !tag_ok {
            return Err(Error::Secp256k1PublicKey);
        }
        secp256k1::PublicKey::from_slice(bytes)
            .map(Self)
            .map_err(|_| Error::Secp256k1PublicKey)
    }

    /// Parses a hex public key (optional `0x` prefix), compressed or uncompressed.
    pub fn from_hex(hex: &str) -> Result<Self, Error> {
        Self::from_bytes(&decode_hex("secp256k1 public key", hex)?)
    }

    /// The 33-byte compressed SEC1 encoding.
    pub fn to_compressed(&self) -> [u8; COMPRESSED_PUBLIC_KEY_LEN] {
        self.0.serialize()
    }

    /// The 65-byte uncompressed SEC1 encoding `0x04 || X || Y`.
    pub fn to_uncompressed(&self) -> [u8; UNCOMPRESSED_PUBLIC_KEY_LEN] {
        self.0.serialize_uncompressed()
    }

    /// Verifies a compact `R || S` signature over a 32-byte digest. High-s signatures are rejected.
    pub fn verify_compact(
        &self,
        digest: &[u8; 32],
        signature: &[u8; COMPACT_SIGNATURE_LEN],
    ) -> bool {
        let (r, s) = signature.split_at(32);
        if !is_valid_scalar(r) || !is_valid_scalar(s) || is_high_s(s) {
            return false;
        }
        // libsecp256k1's verification also rejects high s; checked above to keep the rule here.
        backend_ecdsa::Signature::from_compact(signature).is_ok_and(|signature| {
            context()
                .verify_ecdsa(Message::from_digest(*digest), &signature, &self.0)
                .is_ok()
        })
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
    /// `R || S`, both nonzero and below n, `S` at most n / 2.
    compact: [u8; COMPACT_SIGNATURE_LEN],
    /// The recovery id (0 or 1 when parsed; libsecp256k1 may emit 2 or 3 with negligible
    /// probability when signing, exactly as the id is defined).
    v: u8,
}

impl RecoverableSignature {
    /// Parses `R || S || V`. Rejects a wrong length, `r` or `s` zero or not below the curve
    /// order, high `s`, and `V` outside {0, 1, 27, 28}.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let bytes: &[u8; RECOVERABLE_SIGNATURE_LEN] =
            bytes.try_into().map_err(|_| Error::InvalidLength {
                what: "secp256k1 recoverable signature",
                expected: "65",
                actual: bytes.len(),
            })?;
        let v = match bytes[64] {
            0 | 27 => 0,
            1 | 28 => 1,
            _ => {
                return Err(Error::Secp256k1Signature {
                    reason: "recovery byte V must be 0, 1, 27 or 28",
                })
            }
        };
        let (r, s) = bytes[..64].split_at(32);
        if !is_valid_scalar(r) || !is_valid_scalar(s) {
            return Err(Error::Secp256k1Signature {
                reason: "r and s must be nonzero and below the curve order",
            });
        }
        if is_high_s(s) {
            return Err(Error::Secp256k1Signature {
                reason: "s is in the upper half of the curve order (malleable high-s form)",
            });
        }
        let mut compact = [0u8; COMPACT_SIGNATURE_LEN];
        compact.copy_from_slice(&bytes[..64]);
        Ok(Self { compact, v })
    }

    /// Parses a hex signature (optional `0x` prefix).
    pub fn from_hex(hex: &str) -> Result<Self, Error> {
        Self::from_bytes(&decode_hex("secp256k1 recoverable signature", hex)?)
    }

    /// `R || S || V` with `V` in {0, 1}.
    pub fn to_bytes(&self) -> [u8; RECOVERABLE_SIGNATURE_LEN] {
        let mut out = [0u8; RECOVERABLE_SIGNATURE_LEN];
        out[..64].copy_from_slice(&self.compact);
        out[64] = self.v;
        out
    }

    /// The compact `R || S` part.
    pub fn to_compact(&self) -> [u8; COMPACT_SIGNATURE_LEN] {
        self.compact
    }

    /// Recovers the public key that signed `digest`.
    pub fn recover(&self, digest: &[u8; 32]) -> Result<PublicKey, Error> {
        let recovery_id =
            RecoveryId::try_from(i32::from(self.v)).map_err(|_| Error::Secp256k1Recovery)?;
        let signature =
            backend_ecdsa::RecoverableSignature::from_compact(&self.compact, recovery_id)
                .map_err(|_| Error::Secp256k1Recovery)?;
        context()
            .recover_ecdsa(Message::from_digest(*digest), &signature)
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
    const ORDER: [u8; 32] = CURVE_ORDER;

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

    /// `n - s` for a 32-byte big-endian `s` below n.
    fn negate_scalar(s: &[u8]) -> [u8; 32] {
        let mut out = [0u8; 32];
        let mut borrow = 0u16;
        for i in (0..32).rev() {
            let difference = u16::from(ORDER[i])
                .wrapping_sub(u16::from(s[i]))
                .wrapping_sub(borrow);
            out[i] = difference as u8;
            borrow = u16::from(difference > 0xff);
        }
        out
    }

    fn add_one(mut bytes: [u8; 32]) -> [u8; 32] {
        for byte in bytes.iter_mut().rev() {
            let (value, carry) = byte.overflowing_add(1);
            *byte = value;
            if !carry {
                break;
            }
        }
        bytes
    }

    #[test]
    fn half_order_constant_is_floor_of_n_over_two() {
        // 2 * (n / 2) + 1 == n because n is odd.
        let mut doubled = [0u8; 32];
        let mut carry = 0u16;
        for i in (0..32).rev() {
            let sum = u16::from(HALF_CURVE_ORDER[i]) * 2 + carry;
            doubled[i] = sum as u8;
            carry = sum >> 8;
        }
        assert_eq!(carry, 0);
        assert_eq!(add_one(doubled), ORDER);
    }

    #[test]
    fn high_s_is_rejected_low_s_accepted() {
        let sig = key().sign(&DIGEST);
        let compact = sig.to_compact();
        // n - s is the high-s twin of the same signature; it recovers with the other parity.
        let mut high = compact;
        high[32..].copy_from_slice(&negate_scalar(&compact[32..]));
        assert!(is_high_s(&high[32..]));
        let mut bytes = [0u8; 65];
        bytes[..64].copy_from_slice(&high);
        bytes[64] = sig.to_bytes()[64] ^ 1;
        assert!(matches!(
            RecoverableSignature::from_bytes(&bytes),
            Err(Error::Secp256k1Signature { .. })
        ));
        assert!(!key().public_key().verify_compact(&DIGEST, &high));
        // The low-s original is accepted by both paths.
        assert!(key().public_key().verify_compact(&DIGEST, &compact));
        assert!(verify(&key().public_key(), &DIGEST, &sig));

        // The boundary: s = n / 2 parses, s = n / 2 + 1 does not.
        let mut at_half = sig.to_bytes();
        at_half[32..64].copy_from_slice(&HALF_CURVE_ORDER);
        assert!(RecoverableSignature::from_bytes(&at_half).is_ok());
        let mut above_half = at_half;
        above_half[32..64].copy_from_slice(&add_one(HALF_CURVE_ORDER));
        assert!(matches!(
            RecoverableSignature::from_bytes(&above_half),
            Err(Error::Secp256k1Signature { .. })
        ));
    }

    #[test]
    fn verify_compact_rejects_out_of_range_scalars() {
        let pk = key().public_key();
        let compact = key().sign_compact(&DIGEST);
        let mut r_order = compact;
        r_order[..32].copy_from_slice(&ORDER);
        assert!(!pk.verify_compact(&DIGEST, &r_order));
        let mut s_order = compact;
        s_order[32..].copy_from_slice(&ORDER);
        assert!(!pk.verify_compact(&DIGEST, &s_order));
        let mut s_zero = compact;
        s_zero[32..].fill(0);
        assert!(!pk.verify_compact(&DIGEST, &s_zero));
        assert!(pk.verify_compact(&DIGEST, &compact));
    }

    #[test]
    fn public_key_rejects_hybrid_encoding() {
        let uncompressed = key().public_key().to_uncompressed();
        let y_odd = uncompressed[64] & 1;
        let mut hybrid = uncompressed;
        hybrid[0] = 0x06 | y_odd;
        assert!(matches!(
            PublicKey::from_bytes(&hybrid),
            Err(Error::Secp256k1PublicKey)
        ));
        assert!(PublicKey::from_bytes(&uncompressed).is_ok());
        let mut off_curve = uncompressed;
        off_curve[64] ^= 1;
        assert!(matches!(
            PublicKey::from_bytes(&off_curve),
            Err(Error::Secp256k1PublicKey)
        ));
    }

    #[test]
    fn signing_is_deterministic_and_public_key_is_derived() {
        let sk = key();
        assert_eq!(sk.sign(&DIGEST), sk.sign(&DIGEST));
        let copy = SecretKey::from_bytes(&sk.to_bytes()[..]).unwrap();
        assert_eq!(copy.public_key(), sk.public_key());
        assert_eq!(copy.sign(&DIGEST), sk.sign(&DIGEST));
    }

    /// Signatures over digests at or above n as Charon's signer (and k256 0.13, the previous
    /// backend, which produced these bytes) compute them: the RFC 6979 nonce comes from the
    /// unreduced digest. n - 1 is the last digest on libsecp256k1's own path.
    #[test]
    fn digests_at_or_above_the_order_sign_like_charon() {
        let n_minus_1 = sub_one(ORDER);
        let n_plus_1 = add_one(ORDER);
        let cases: [([u8; 32], &str); 4] = [
            ([0xff; 32], "61d0056b132b1112f763d72ffdd70308258c6ddef5b841c6b90fd5a87d3a3d7a65f28ee6188fbaefd01b9fbcfe3a59c97d14fd046e19d0663d8af46a5c663f1a01"),
            (ORDER, "b370d21561b4db846413c5da9dc69560ca33daa4c6882016d0e39ed1ed032d1243e00c59d9526de0d8d145db164c180f68244b0025536487d6a57c5c99a1b67a01"),
            (n_plus_1, "9f2e6ad88b862063334ed7c78336667cfc643a3806de5411efb2b20794bd87880ed3d308722dc99c7b424da43e157503398ad6a4b71546e36416d6be4f7f573f00"),
            (n_minus_1, "a53ecd42c6e92176032d7b0d8b30ce039b4a4557b4e80fcac492bfd0ac15d90e4ba51e48248e430c094f8d28afb9975f97d7b94e99e262e6c80d91ec02a4bb4201"),
        ];
        let sk = key();
        for (digest, expected) in cases {
            let signature = sk.sign(&digest);
            assert_eq!(hex::encode(signature.to_bytes()), expected);
            assert!(verify(&sk.public_key(), &digest, &signature));
            assert!(sk
                .public_key()
                .verify_compact(&digest, &signature.to_compact()));
        }
        // The nonce for a digest at or above n differs from the one for the reduced digest:
        // both sign the same value modulo n, yet the signatures differ.
        let mut reduced = [0u8; 32];
        reduced[31] = 1;
        assert_ne!(sk.sign(&reduced).to_bytes(), sk.sign(&n_plus_1).to_bytes());
        assert!(verify(&sk.public_key(), &reduced, &sk.sign(&n_plus_1)));
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
