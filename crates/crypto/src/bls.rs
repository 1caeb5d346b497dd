//! BLS12-381 signatures as Ethereum uses them: minimal-pubkey-size (48-byte G1 public keys,
//! 96-byte G2 signatures), ciphersuite `BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_`, over blst.
//!
//! Public keys and signatures are validated when decoded (on the curve, in the prime-order
//! subgroup, not the point at infinity), so every value of these types is usable as is.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;
use std::hash::{Hash, Hasher};

use blst::min_pk;
use blst::BLST_ERROR;
use rand::RngCore;
use zeroize::Zeroizing;

use crate::hexutil::decode_hex;
use crate::{fixed_base, hashed, msm, Error};

/// The domain separation tag of Ethereum's proof-of-possession ciphersuite.
pub const DST: &[u8] = b"BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";
/// Length of a secret key (big-endian scalar).
pub const SECRET_KEY_LEN: usize = 32;
/// Length of a compressed public key.
pub const PUBLIC_KEY_LEN: usize = 48;
/// Length of a compressed signature.
pub const SIGNATURE_LEN: usize = 96;

/// Bits of randomness per signature in [`batch_verify`]: a forged batch passes with probability
/// at most 2^-64.
const BATCH_RANDOM_BITS: usize = 64;

/// A BLS secret key: a nonzero scalar below the group order r, 32 bytes big-endian.
/// Zeroized on drop (blst's key type zeroizes itself); `Debug` prints nothing secret.
#[derive(Clone)]
pub struct SecretKey(min_pk::SecretKey);

impl SecretKey {
    /// Parses a 32-byte big-endian scalar; rejects zero and values not below r.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() != SECRET_KEY_LEN {
            return Err(Error::InvalidLength {
                what: "BLS secret key",
                expected: "32",
                actual: bytes.len(),
            });
        }
        if bytes.iter().all(|b| *b == 0) {
            return Err(Error::BlsSecretKey {
                reason: "the scalar is zero",
            });
        }
        min_pk::SecretKey::from_bytes(bytes)
            .map(Self)
            .map_err(|_| Error::BlsSecretKey {
                reason: "the scalar is not below the group order r",
            })
    }

    /// Parses a hex secret key (optional `0x` prefix).
    pub fn from_hex(hex: &str) -> Result<Self, Error> {
        Self::from_bytes(&decode_hex("BLS secret key", hex)?)
    }

    /// A fresh key: EIP-2333 KeyGen over 32 bytes from the operating system's generator.
    pub fn random() -> Self {
        let mut ikm = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(ikm.as_mut());
        // KeyGen only fails for key material shorter than 32 bytes.
        let key = min_pk::SecretKey::key_gen(ikm.as_ref(), &[])
            .unwrap_or_else(|_| unreachable!("KeyGen accepts 32 bytes of key material"));
        Self(key)
    }

    /// The 32-byte big-endian scalar, in a buffer that zeroizes on drop.
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.0.to_bytes())
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey::from_blst(self.0.sk_to_pk())
    }

    /// Signs `message` (hashed to G2 with [`DST`]).
    pub fn sign(&self, message: &[u8]) -> Signature {
        let hash = hashed::hash_to_g2(message);
        Signature(hashed::sign(&hash, self.as_blst_scalar()).into())
    }

    /// blst's scalar, for the threshold arithmetic.
    pub(crate) fn as_blst_scalar(&self) -> &blst::blst_scalar {
        (&self.0).into()
    }
}

/// One message prepared for signing by many keys: a table of multiples of its hash (24 KB),
/// so that each signature costs about half of [`SecretKey::sign`]. Preparing costs about as
/// much as two and a half signatures, so it pays from [`PreparedMessage::WORTH_FROM`]
/// signatures on; a validator client signing a slot's attestations (one signing root for all,
/// electra on) prepares the root once.
///
/// Signing with it is constant-time in the key, like [`SecretKey::sign`], and gives the same
/// signature.
pub struct PreparedMessage {
    table: fixed_base::Table,
}

impl PreparedMessage {
    /// The number of signatures over one message from which preparing it saves time
    /// (measured: see docs/benchmarks.md).
    pub const WORTH_FROM: usize = 6;

    /// Prepares `message` (hashed to G2 with [`DST`]).
    pub fn new(message: &[u8]) -> Self {
        Self {
            table: fixed_base::Table::new(&hashed::hash_to_g2(message).projective),
        }
    }

    /// `key`'s signature of the prepared message.
    pub fn sign(&self, key: &SecretKey) -> Signature {
        Signature(self.table.sign(key.as_blst_scalar()).into())
    }
}

impl fmt::Debug for PreparedMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PreparedMessage")
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

/// blst's key type zeroizes its scalar in its own `Drop` (`#[zeroize(drop)]`).
impl zeroize::ZeroizeOnDrop for SecretKey {}

/// A validated BLS public key (a G1 point in the subgroup, not infinity), 48 bytes compressed.
#[derive(Clone, Copy)]
pub struct PublicKey {
    point: min_pk::PublicKey,
    compressed: [u8; PUBLIC_KEY_LEN],
}

impl PublicKey {
    fn from_blst(point: min_pk::PublicKey) -> Self {
        Self {
            compressed: point.compress(),
            point,
        }
    }

    /// Wraps a G1 affine point after checking it is not infinity (points built by this crate
    /// from validated inputs are in the subgroup already).
    pub(crate) fn from_affine(point: blst::blst_p1_affine) -> Result<Self, Error> {
        if msm::g1_is_infinity(&point) {
            return Err(Error::BlsPublicKey {
                reason: "the point at infinity",
            });
        }
        Ok(Self::from_blst(point.into()))
    }

    /// Decodes a 48-byte compressed public key, checking it is on the curve, in the subgroup and
    /// not the point at infinity.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() != PUBLIC_KEY_LEN {
            return Err(Error::InvalidLength {
                what: "BLS public key",
                expected: "48",
                actual: bytes.len(),
            });
        }
        min_pk::PublicKey::key_validate(bytes)
            .map(Self::from_blst)
            .map_err(|e| Error::BlsPublicKey {
                reason: point_error_reason(e),
            })
    }

    /// Decodes a hex public key (optional `0x` prefix).
    pub fn from_hex(hex: &str) -> Result<Self, Error> {
        Self::from_bytes(&decode_hex("BLS public key", hex)?)
    }

    /// The 48-byte compressed encoding.
    pub fn to_bytes(&self) -> [u8; PUBLIC_KEY_LEN] {
        self.compressed
    }

    /// The compressed encoding as `0x`-prefixed lower-case hex.
    pub fn to_hex(&self) -> String {
        format!("0x{}", hex::encode(self.compressed))
    }

    pub(crate) fn as_affine(&self) -> &blst::blst_p1_affine {
        (&self.point).into()
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.compressed == other.compressed
    }
}

impl Eq for PublicKey {}

impl Hash for PublicKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.compressed.hash(state);
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
        self.compressed.cmp(&other.compressed)
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.to_hex())
    }
}

impl serde::Serialize for PublicKey {
    /// Serialises as `0x`-prefixed hex.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> serde::Deserialize<'de> for PublicKey {
    /// Accepts hex with or without `0x`.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::from_hex(&text).map_err(serde::de::Error::custom)
    }
}

/// A validated BLS signature (a G2 point in the subgroup, not infinity), 96 bytes compressed.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signature(min_pk::Signature);

impl Signature {
    /// Wraps a G2 affine point after checking it is not infinity.
    pub(crate) fn from_affine(point: blst::blst_p2_affine) -> Result<Self, Error> {
        if msm::g2_is_infinity(&point) {
            return Err(Error::BlsSignature {
                reason: "the point at infinity",
            });
        }
        Ok(Self(point.into()))
    }

    /// Decodes a 96-byte compressed signature, checking it is on the curve, in the subgroup and
    /// not the point at infinity.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() != SIGNATURE_LEN {
            return Err(Error::InvalidLength {
                what: "BLS signature",
                expected: "96",
                actual: bytes.len(),
            });
        }
        min_pk::Signature::sig_validate(bytes, true)
            .map(Self)
            .map_err(|e| Error::BlsSignature {
                reason: point_error_reason(e),
            })
    }

    /// Decodes a hex signature (optional `0x` prefix).
    pub fn from_hex(hex: &str) -> Result<Self, Error> {
        Self::from_bytes(&decode_hex("BLS signature", hex)?)
    }

    /// The 96-byte compressed encoding.
    pub fn to_bytes(&self) -> [u8; SIGNATURE_LEN] {
        self.0.compress()
    }

    /// The compressed encoding as `0x`-prefixed lower-case hex.
    pub fn to_hex(&self) -> String {
        format!("0x{}", hex::encode(self.to_bytes()))
    }

    /// Whether this is a valid signature of `message` by `public_key`.
    pub fn verify(&self, public_key: &PublicKey, message: &[u8]) -> bool {
        verify_pairing(&[*public_key.as_affine()], &[message], self.as_affine())
    }

    pub(crate) fn as_affine(&self) -> &blst::blst_p2_affine {
        (&self.0).into()
    }
}

impl Hash for Signature {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.to_bytes().hash(state);
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({})", self.to_hex())
    }
}

impl serde::Serialize for Signature {
    /// Serialises as `0x`-prefixed hex.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> serde::Deserialize<'de> for Signature {
    /// Accepts hex with or without `0x`.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::from_hex(&text).map_err(serde::de::Error::custom)
    }
}

fn point_error_reason(error: BLST_ERROR) -> &'static str {
    match error {
        BLST_ERROR::BLST_BAD_ENCODING => "bad point encoding (compression flag or field element)",
        BLST_ERROR::BLST_POINT_NOT_ON_CURVE => "the point is not on the curve",
        BLST_ERROR::BLST_POINT_NOT_IN_GROUP => "the point is not in the prime-order subgroup",
        BLST_ERROR::BLST_PK_IS_INFINITY => "the point at infinity",
        _ => "rejected by blst",
    }
}

/// The sum of signatures (plain aggregation, no coefficients), as used for the cluster lock
/// hash and attestation aggregates. Errors on an empty list or an infinite sum.
pub fn aggregate_signatures(signatures: &[Signature]) -> Result<Signature, Error> {
    if signatures.is_empty() {
        return Err(Error::EmptyInput {
            what: "signatures to aggregate",
        });
    }
    let refs: Vec<&min_pk::Signature> = signatures.iter().map(|s| &s.0).collect();
    let aggregate =
        min_pk::AggregateSignature::aggregate(&refs, false).map_err(|e| Error::BlsSignature {
            reason: point_error_reason(e),
        })?;
    Signature::from_affine(*<&blst::blst_p2_affine>::from(&aggregate.to_signature()))
}

/// The sum of public keys. Errors on an empty list or an infinite sum.
pub fn aggregate_public_keys(public_keys: &[PublicKey]) -> Result<PublicKey, Error> {
    if public_keys.is_empty() {
        return Err(Error::EmptyInput {
            what: "public keys to aggregate",
        });
    }
    let refs: Vec<&min_pk::PublicKey> = public_keys.iter().map(|p| &p.point).collect();
    let aggregate =
        min_pk::AggregatePublicKey::aggregate(&refs, false).map_err(|e| Error::BlsPublicKey {
            reason: point_error_reason(e),
        })?;
    PublicKey::from_affine(*<&blst::blst_p1_affine>::from(&aggregate.to_public_key()))
}

/// FastAggregateVerify: all `public_keys` signed the same `message`. False for no keys.
pub fn fast_aggregate_verify(
    public_keys: &[PublicKey],
    message: &[u8],
    signature: &Signature,
) -> bool {
    match aggregate_public_keys(public_keys) {
        Ok(aggregate) => signature.verify(&aggregate, message),
        Err(_) => false,
    }
}

/// AggregateVerify: `public_keys[i]` signed `messages[i]`. False for no keys or mismatched
/// lengths. (Proof-of-possession scheme: messages need not be distinct.)
pub fn aggregate_verify(
    public_keys: &[PublicKey],
    messages: &[&[u8]],
    signature: &Signature,
) -> bool {
    if public_keys.is_empty() || public_keys.len() != messages.len() {
        return false;
    }
    let keys: Vec<blst::blst_p1_affine> = public_keys.iter().map(|p| *p.as_affine()).collect();
    verify_pairing(&keys, messages, signature.as_affine())
}

/// Verifies many `(public key, message, signature)` triples at once, with a random linear
/// combination: true iff (except with probability 2^-64) every signature is valid.
///
/// Signatures over the same message share one pairing: with random 64-bit `r_i`, it checks
/// `e(g1, Σ r_i·sig_i) = Π_m e(Σ_{i: msg_i = m} r_i·pk_i, H(m))` using G1 and G2 multi-scalar
/// multiplication. False for an empty batch. A false result does not say which item failed;
/// verify them one by one to find out.
pub fn batch_verify(items: &[(PublicKey, Vec<u8>, Signature)]) -> bool {
    match items {
        [] => false,
        [(public_key, message, signature)] => signature.verify(public_key, message),
        _ => batch_verify_random_combination(items),
    }
}

fn batch_verify_random_combination(items: &[(PublicKey, Vec<u8>, Signature)]) -> bool {
    let nbytes = BATCH_RANDOM_BITS / 8;
    let mut rng = rand::thread_rng();
    let mut scalars = vec![0u8; items.len() * nbytes];
    for chunk in scalars.chunks_exact_mut(nbytes) {
        // A zero coefficient would drop its item from the check: redraw until nonzero.
        while chunk.iter().all(|b| *b == 0) {
            rng.fill_bytes(chunk);
        }
    }

    let signatures: Vec<blst::blst_p2_affine> =
        items.iter().map(|(_, _, s)| *s.as_affine()).collect();
    let combined_signature = msm::g2(&signatures, &scalars, BATCH_RANDOM_BITS);
    if msm::g2_is_infinity(&combined_signature) {
        return false;
    }

    // Group items by message, keeping each item's random coefficient.
    let mut groups: BTreeMap<&[u8], (Vec<blst::blst_p1_affine>, Vec<u8>)> = BTreeMap::new();
    for ((public_key, message, _), scalar) in items.iter().zip(scalars.chunks_exact(nbytes)) {
        let (points, group_scalars) = groups.entry(message.as_slice()).or_default();
        points.push(*public_key.as_affine());
        group_scalars.extend_from_slice(scalar);
    }
    let mut messages = Vec::with_capacity(groups.len());
    let mut combined_keys = Vec::with_capacity(groups.len());
    for (message, (points, group_scalars)) in &groups {
        let key = msm::g1(points, group_scalars, BATCH_RANDOM_BITS);
        if msm::g1_is_infinity(&key) {
            return false;
        }
        messages.push(*message);
        combined_keys.push(key);
    }
    verify_pairing(&combined_keys, &messages, &combined_signature)
}

/// `e(g1, signature) = Π_i e(keys[i], H(messages[i]))`, with the messages' hashes remembered
/// (see [`hashed`]), in one multi-pairing on the calling thread. Keys and signature are checked
/// points (subgroup, not infinity).
fn verify_pairing(
    keys: &[blst::blst_p1_affine],
    messages: &[&[u8]],
    signature: &blst::blst_p2_affine,
) -> bool {
    if keys.is_empty() || keys.len() != messages.len() {
        return false;
    }
    let hashes: Vec<blst::blst_p2_affine> = messages
        .iter()
        .map(|message| hashed::hash_to_g2(message).affine)
        .collect();
    hashed::pairing_check(keys, &hashes, signature)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The group order r, big-endian.
    const ORDER: &str = "73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001";
    const R_MINUS_ONE: &str = "73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000000";

    #[test]
    fn secret_key_bounds() {
        assert!(matches!(
            SecretKey::from_bytes(&[0u8; 32]),
            Err(Error::BlsSecretKey { reason }) if reason.contains("zero")
        ));
        assert!(matches!(
            SecretKey::from_hex(ORDER),
            Err(Error::BlsSecretKey { reason }) if reason.contains("order")
        ));
        assert!(SecretKey::from_hex(&"ff".repeat(32)).is_err());
        assert!(SecretKey::from_hex(R_MINUS_ONE).is_ok());
        assert!(SecretKey::from_hex(&format!("{}01", "00".repeat(31))).is_ok());
        assert!(matches!(
            SecretKey::from_bytes(&[1u8; 33]),
            Err(Error::InvalidLength { actual: 33, .. })
        ));
        let sk = SecretKey::random();
        assert_eq!(
            *SecretKey::from_bytes(sk.to_bytes().as_ref())
                .unwrap()
                .to_bytes(),
            *sk.to_bytes()
        );
    }

    /// Signing and verifying with remembered message hashes agree with blst's own hashing
    /// functions, for valid and invalid signatures.
    #[test]
    fn hashed_signing_and_verification_match_blst() {
        for round in 0u8..8 {
            let key = SecretKey::random();
            let message = [round; 32];
            let signature = key.sign(&message);
            let reference = key.0.sign(&message, DST, &[]);
            assert_eq!(signature.0, reference);
            let public = key.public_key();
            assert!(signature.verify(&public, &message));
            assert!(!signature.verify(&public, &[round ^ 1; 32]));
            assert!(!signature.verify(&SecretKey::random().public_key(), &message));
            let other = SecretKey::random().sign(&message);
            assert!(!other.verify(&public, &message));
            assert_eq!(
                reference.verify(false, &[round ^ 1; 32], DST, &[], &public.point, false),
                BLST_ERROR::BLST_VERIFY_FAIL
            );
        }
    }

    /// A prepared message signs as the key itself does (blst's signature), for the message it
    /// was prepared for and no other.
    #[test]
    fn prepared_message_signatures_equal_direct_ones() {
        let prepared = PreparedMessage::new(b"a slot's attestation signing root");
        for _ in 0..4 {
            let key = SecretKey::random();
            let signature = prepared.sign(&key);
            assert_eq!(
                signature.0,
                key.0.sign(b"a slot's attestation signing root", DST, &[])
            );
            assert!(signature.verify(&key.public_key(), b"a slot's attestation signing root"));
            assert!(!signature.verify(&key.public_key(), b"another root"));
        }
    }

    #[test]
    fn secret_key_debug_is_redacted() {
        let sk = SecretKey::random();
        let hex = hex::encode(*sk.to_bytes());
        let shown = format!("{sk:?} {sk:#?}");
        assert_eq!(format!("{sk:?}"), "SecretKey(<redacted>)");
        assert!(!shown.contains(&hex[..16]));
    }

    #[test]
    fn sign_and_verify() {
        let sk = SecretKey::random();
        let pk = sk.public_key();
        let sig = sk.sign(b"hello");
        assert!(sig.verify(&pk, b"hello"));
        assert!(!sig.verify(&pk, b"hellp"));
        assert!(!sig.verify(&SecretKey::random().public_key(), b"hello"));
        assert_eq!(Signature::from_bytes(&sig.to_bytes()).unwrap(), sig);
        assert_eq!(PublicKey::from_bytes(&pk.to_bytes()).unwrap(), pk);
        let json = serde_json::to_string(&pk).unwrap();
        assert_eq!(serde_json::from_str::<PublicKey>(&json).unwrap(), pk);
        let json = serde_json::to_string(&sig).unwrap();
        assert_eq!(serde_json::from_str::<Signature>(&json).unwrap(), sig);
    }

    #[test]
    fn public_key_rejections() {
        let pk = SecretKey::random().public_key().to_bytes();
        assert!(PublicKey::from_bytes(&pk).is_ok());
        assert!(matches!(
            PublicKey::from_bytes(&pk[..47]),
            Err(Error::InvalidLength { .. })
        ));
        // The compressed point at infinity.
        let mut infinity = [0u8; 48];
        infinity[0] = 0xc0;
        assert!(matches!(
            PublicKey::from_bytes(&infinity),
            Err(Error::BlsPublicKey { reason }) if reason.contains("infinity")
        ));
        // Missing compression flag.
        let mut uncompressed_flag = pk;
        uncompressed_flag[0] &= 0x7f;
        assert!(PublicKey::from_bytes(&uncompressed_flag).is_err());
        // Search for an x that is on the curve but outside the subgroup (almost every x is).
        let mut outside = None;
        for x in 1u8..=50 {
            let mut bytes = [0u8; 48];
            bytes[0] = 0x80;
            bytes[47] = x;
            if let Ok(point) = min_pk::PublicKey::uncompress(&bytes) {
                assert!(point.validate().is_err());
                outside = Some(bytes);
                break;
            }
        }
        let outside = outside.expect("an on-curve x below 50");
        assert!(matches!(
            PublicKey::from_bytes(&outside),
            Err(Error::BlsPublicKey { reason }) if reason.contains("subgroup")
        ));
    }

    #[test]
    fn signature_rejections() {
        let sig = SecretKey::random().sign(b"m").to_bytes();
        assert!(Signature::from_bytes(&sig).is_ok());
        assert!(matches!(
            Signature::from_bytes(&sig[..95]),
            Err(Error::InvalidLength { .. })
        ));
        let mut infinity = [0u8; 96];
        infinity[0] = 0xc0;
        assert!(matches!(
            Signature::from_bytes(&infinity),
            Err(Error::BlsSignature { reason }) if reason.contains("infinity")
        ));
        let mut outside = None;
        for x in 1u8..=50 {
            let mut bytes = [0u8; 96];
            bytes[0] = 0x80;
            bytes[95] = x;
            if min_pk::Signature::uncompress(&bytes).is_ok() {
                outside = Some(bytes);
                break;
            }
        }
        let outside = outside.expect("an on-curve x below 50");
        assert!(matches!(
            Signature::from_bytes(&outside),
            Err(Error::BlsSignature { reason }) if reason.contains("subgroup")
        ));
    }

    #[test]
    fn aggregation() {
        let keys: Vec<SecretKey> = (0..4).map(|_| SecretKey::random()).collect();
        let pks: Vec<PublicKey> = keys.iter().map(SecretKey::public_key).collect();
        let same: Vec<Signature> = keys.iter().map(|k| k.sign(b"same")).collect();
        let aggregate = aggregate_signatures(&same).unwrap();
        assert!(fast_aggregate_verify(&pks, b"same", &aggregate));
        assert!(!fast_aggregate_verify(&pks[..3], b"same", &aggregate));
        assert!(!fast_aggregate_verify(&[], b"same", &aggregate));
        assert!(aggregate.verify(&aggregate_public_keys(&pks).unwrap(), b"same"));

        let messages: Vec<Vec<u8>> = (0..4u8).map(|i| vec![i; 5]).collect();
        let distinct: Vec<Signature> = keys.iter().zip(&messages).map(|(k, m)| k.sign(m)).collect();
        let aggregate = aggregate_signatures(&distinct).unwrap();
        let refs: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
        assert!(aggregate_verify(&pks, &refs, &aggregate));
        let mut swapped = refs.clone();
        swapped.swap(0, 1);
        assert!(!aggregate_verify(&pks, &swapped, &aggregate));
        assert!(!aggregate_verify(&pks, &refs[..3], &aggregate));
        assert!(!aggregate_verify(&[], &[], &aggregate));

        assert!(matches!(
            aggregate_signatures(&[]),
            Err(Error::EmptyInput { .. })
        ));
        assert!(matches!(
            aggregate_public_keys(&[]),
            Err(Error::EmptyInput { .. })
        ));
    }

    #[test]
    fn batch_verification() {
        let keys: Vec<SecretKey> = (0..6).map(|_| SecretKey::random()).collect();
        // Three messages, two signers each: exercises grouping.
        let mut items: Vec<(PublicKey, Vec<u8>, Signature)> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| {
                let message = vec![(i % 3) as u8; 32];
                (k.public_key(), message.clone(), k.sign(&message))
            })
            .collect();
        assert!(batch_verify(&items));
        assert!(batch_verify(&items[..1]));
        assert!(!batch_verify(&[]));

        // One wrong message.
        let mut bad = items.clone();
        bad[4].1 = vec![9u8; 32];
        assert!(!batch_verify(&bad));
        // Two signatures swapped between signers of the same message: each invalid, sum valid.
        let mut swapped = items.clone();
        let (s0, s3) = (swapped[0].2, swapped[3].2);
        swapped[0].2 = s3;
        swapped[3].2 = s0;
        assert!(fast_aggregate_verify(
            &[swapped[0].0, swapped[3].0],
            &swapped[0].1,
            &aggregate_signatures(&[swapped[0].2, swapped[3].2]).unwrap()
        ));
        assert!(!batch_verify(&swapped));
        // A single invalid item.
        items[0].2 = keys[1].sign(&items[0].1);
        assert!(!batch_verify(&items[..1]));
    }
}
