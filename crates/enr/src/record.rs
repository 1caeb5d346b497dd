//! The record: parsing, verification, creation and accessors.

use std::collections::BTreeMap;
use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

use base64::Engine as _;
use mosaic_crypto::secp256k1::{PublicKey, SecretKey};
use sha3::{Digest, Keccak256};

use crate::rlp::{self, Item};
use crate::Error;

/// EIP-778's maximum encoded record size in bytes.
pub const MAX_RECORD_SIZE: usize = 300;
/// The text prefix of an ENR.
pub const TEXT_PREFIX: &str = "enr:";

const KEY_ID: &[u8] = b"id";
const KEY_SECP256K1: &[u8] = b"secp256k1";
const KEY_IP: &[u8] = b"ip";
const KEY_TCP: &[u8] = b"tcp";
const KEY_UDP: &[u8] = b"udp";
const SCHEME_V4: &[u8] = b"v4";

/// An Ethereum Node Record (EIP-778) with the `v4` identity scheme, signature verified.
///
/// A value of this type is always valid: parsing verifies the signature, and creation signs.
#[derive(Clone, PartialEq, Eq)]
pub struct Enr {
    seq: u64,
    signature: [u8; 64],
    /// Every key and the full RLP encoding of its value, in key order.
    pairs: BTreeMap<Vec<u8>, Vec<u8>>,
    public_key: PublicKey,
    encoded: Vec<u8>,
}

impl Enr {
    /// Creates and signs a record with `id = "v4"`, the key's `secp256k1` public key and the
    /// given optional `ip`, `tcp` and `udp` entries.
    pub fn create(
        secret_key: &SecretKey,
        seq: u64,
        ip: Option<Ipv4Addr>,
        tcp: Option<u16>,
        udp: Option<u16>,
    ) -> Result<Self, Error> {
        let public_key = secret_key.public_key();
        let mut pairs = BTreeMap::new();
        let mut put = |key: &[u8], value: Vec<u8>| {
            pairs.insert(key.to_vec(), value);
        };
        put(KEY_ID, encoded_bytes(SCHEME_V4));
        put(KEY_SECP256K1, encoded_bytes(&public_key.to_compressed()));
        if let Some(ip) = ip {
            put(KEY_IP, encoded_bytes(&ip.octets()));
        }
        if let Some(tcp) = tcp {
            put(KEY_TCP, encoded_uint(u64::from(tcp)));
        }
        if let Some(udp) = udp {
            put(KEY_UDP, encoded_uint(u64::from(udp)));
        }
        let digest = signing_digest(seq, &pairs);
        let signature = secret_key.sign_compact(&digest);
        let encoded = encode_record(&signature, seq, &pairs);
        if encoded.len() > MAX_RECORD_SIZE {
            return Err(Error::TooLarge {
                size: encoded.len(),
                max: MAX_RECORD_SIZE,
            });
        }
        Ok(Self {
            seq,
            signature,
            pairs,
            public_key,
            encoded,
        })
    }

    /// Parses the RLP encoding of a record and verifies its signature.
    pub fn from_rlp(encoded: &[u8]) -> Result<Self, Error> {
        if encoded.len() > MAX_RECORD_SIZE {
            return Err(Error::TooLarge {
                size: encoded.len(),
                max: MAX_RECORD_SIZE,
            });
        }
        let items = rlp::decode_exact(encoded)?.list_items()?;
        let [signature_item, seq_item, rest @ ..] = items.as_slice() else {
            return Err(Error::Structure {
                reason: "a record is a list starting with signature and sequence number",
            });
        };
        if rest.len() % 2 != 0 {
            return Err(Error::Structure {
                reason: "key/value pairs: a key has no value",
            });
        }
        let signature_bytes = signature_item.bytes()?;
        let signature: [u8; 64] =
            signature_bytes
                .try_into()
                .map_err(|_| Error::SignatureLength {
                    length: signature_bytes.len(),
                })?;
        let seq = seq_item.uint(8)?;
        let pairs = collect_pairs(rest)?;

        let id = pairs.get(KEY_ID).ok_or(Error::MissingId)?;
        let scheme = rlp::decode_exact(id)?.bytes()?;
        if scheme != SCHEME_V4 {
            return Err(Error::UnsupportedScheme {
                scheme: String::from_utf8_lossy(scheme).into_owned(),
            });
        }
        let key_value = pairs.get(KEY_SECP256K1).ok_or(Error::MissingPublicKey)?;
        let key_bytes = rlp::decode_exact(key_value)?.bytes()?;
        if key_bytes.len() != 33 {
            return Err(Error::InvalidValue {
                key: "secp256k1",
                reason: format!(
                    "{} bytes, expected a 33-byte compressed key",
                    key_bytes.len()
                ),
            });
        }
        // Only the SEC1 compressed tags: some decoders also take 0x05 ("compact", X only).
        if !matches!(key_bytes[0], 0x02 | 0x03) {
            return Err(Error::InvalidValue {
                key: "secp256k1",
                reason: format!("prefix 0x{:02x}, expected 0x02 or 0x03", key_bytes[0]),
            });
        }
        let public_key = PublicKey::from_bytes(key_bytes).map_err(|error| Error::InvalidValue {
            key: "secp256k1",
            reason: error.to_string(),
        })?;
        let record = Self {
            seq,
            signature,
            pairs,
            public_key,
            encoded: encoded.to_vec(),
        };
        record.check_known_values()?;
        if !record.verify_signature() {
            return Err(Error::BadSignature);
        }
        Ok(record)
    }

    /// Recomputes `keccak256(rlp([seq, k, v, ...]))` and checks the signature against the
    /// record's public key. Always true for a value of this type; exposed for audits.
    pub fn verify_signature(&self) -> bool {
        let digest = signing_digest(self.seq, &self.pairs);
        self.public_key.verify_compact(&digest, &self.signature)
    }

    /// The sequence number.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The 64-byte `R || S` signature.
    pub fn signature(&self) -> &[u8; 64] {
        &self.signature
    }

    /// The node's secp256k1 public key (the `secp256k1` entry).
    pub fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    /// The node id: `keccak256` of the uncompressed public key's `X || Y`.
    pub fn node_id(&self) -> [u8; 32] {
        let uncompressed = self.public_key.to_uncompressed();
        Keccak256::digest(&uncompressed[1..]).into()
    }

    /// The IPv4 address (`ip` entry), if present.
    pub fn ip(&self) -> Option<Ipv4Addr> {
        let value = self.pairs.get(KEY_IP)?;
        let bytes: [u8; 4] = rlp::decode_exact(value)
            .ok()?
            .bytes()
            .ok()?
            .try_into()
            .ok()?;
        Some(Ipv4Addr::from(bytes))
    }

    /// The TCP port (`tcp` entry), if present.
    pub fn tcp(&self) -> Option<u16> {
        self.port(KEY_TCP)
    }

    /// The UDP port (`udp` entry), if present.
    pub fn udp(&self) -> Option<u16> {
        self.port(KEY_UDP)
    }

    fn port(&self, key: &[u8]) -> Option<u16> {
        let value = self.pairs.get(key)?;
        let port = rlp::decode_exact(value).ok()?.uint(2).ok()?;
        u16::try_from(port).ok()
    }

    /// The raw RLP encoding of the value under `key`, if present.
    pub fn get_raw(&self, key: &[u8]) -> Option<&[u8]> {
        self.pairs.get(key).map(Vec::as_slice)
    }

    /// The keys, in (sorted) record order.
    pub fn keys(&self) -> impl Iterator<Item = &[u8]> {
        self.pairs.keys().map(Vec::as_slice)
    }

    /// The record's RLP encoding.
    pub fn to_rlp(&self) -> &[u8] {
        &self.encoded
    }

    /// The text form, `enr:` followed by unpadded URL-safe base64 of the RLP encoding.
    pub fn to_text(&self) -> String {
        format!(
            "{TEXT_PREFIX}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&self.encoded)
        )
    }

    /// Parses and verifies the text form.
    pub fn from_text(text: &str) -> Result<Self, Error> {
        let encoded_text = text.strip_prefix(TEXT_PREFIX).ok_or(Error::MissingPrefix)?;
        // Base64 expands 3 bytes into 4 characters: reject oversize text before decoding it.
        if encoded_text.len() > MAX_RECORD_SIZE.div_ceil(3) * 4 {
            return Err(Error::TooLarge {
                size: encoded_text.len() * 3 / 4,
                max: MAX_RECORD_SIZE,
            });
        }
        let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(encoded_text)
            .map_err(|error| Error::Base64 {
                reason: error.to_string(),
            })?;
        Self::from_rlp(&encoded)
    }

    /// Checks the shape of the known optional entries.
    fn check_known_values(&self) -> Result<(), Error> {
        if let Some(value) = self.pairs.get(KEY_IP) {
            let bytes = rlp::decode_exact(value)?.bytes()?;
            if bytes.len() != 4 {
                return Err(Error::InvalidValue {
                    key: "ip",
                    reason: format!("{} bytes, expected 4", bytes.len()),
                });
            }
        }
        for (key, name) in [(KEY_TCP, "tcp"), (KEY_UDP, "udp")] {
            if let Some(value) = self.pairs.get(key) {
                rlp::decode_exact(value)?
                    .uint(2)
                    .map_err(|error| Error::InvalidValue {
                        key: name,
                        reason: error.to_string(),
                    })?;
            }
        }
        Ok(())
    }
}

/// Collects key/value items, requiring byte-string keys in strictly increasing order.
fn collect_pairs(items: &[Item<'_>]) -> Result<BTreeMap<Vec<u8>, Vec<u8>>, Error> {
    let mut pairs = BTreeMap::new();
    let mut previous: Option<&[u8]> = None;
    for pair in items.chunks_exact(2) {
        let key = pair[0].bytes()?;
        if let Some(previous) = previous {
            if key <= previous {
                return Err(Error::KeyOrder {
                    previous: String::from_utf8_lossy(previous).into_owned(),
                    key: String::from_utf8_lossy(key).into_owned(),
                });
            }
        }
        previous = Some(key);
        pairs.insert(key.to_vec(), pair[1].encoded.to_vec());
    }
    Ok(pairs)
}

fn encoded_bytes(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    rlp::encode_bytes(&mut out, bytes);
    out
}

fn encoded_uint(value: u64) -> Vec<u8> {
    let mut out = Vec::new();
    rlp::encode_uint(&mut out, value);
    out
}

/// `rlp([seq, k, v, ...])` payload items (without the list header).
fn content_items(seq: u64, pairs: &BTreeMap<Vec<u8>, Vec<u8>>) -> Vec<u8> {
    let mut items = Vec::new();
    rlp::encode_uint(&mut items, seq);
    for (key, value) in pairs {
        rlp::encode_bytes(&mut items, key);
        items.extend_from_slice(value);
    }
    items
}

/// `keccak256(rlp([seq, k, v, ...]))`.
fn signing_digest(seq: u64, pairs: &BTreeMap<Vec<u8>, Vec<u8>>) -> [u8; 32] {
    Keccak256::digest(rlp::encode_list(&content_items(seq, pairs))).into()
}

/// `rlp([signature, seq, k, v, ...])`.
fn encode_record(signature: &[u8; 64], seq: u64, pairs: &BTreeMap<Vec<u8>, Vec<u8>>) -> Vec<u8> {
    let mut items = Vec::new();
    rlp::encode_bytes(&mut items, signature);
    items.extend_from_slice(&content_items(seq, pairs));
    rlp::encode_list(&items)
}

impl FromStr for Enr {
    type Err = Error;
    fn from_str(text: &str) -> Result<Self, Error> {
        Self::from_text(text)
    }
}

impl fmt::Display for Enr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}

impl fmt::Debug for Enr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Enr")
            .field("seq", &self.seq)
            .field("public_key", &self.public_key)
            .field("ip", &self.ip())
            .field("tcp", &self.tcp())
            .field("udp", &self.udp())
            .field("text", &self.to_text())
            .finish()
    }
}

impl std::hash::Hash for Enr {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.encoded.hash(state);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RlpError;

    const EIP778_KEY: &str = "b71c71a67e1177ad4e901695e1b4b9ee17ae16c6668d313eac2f96dbcda3f291";

    fn eip778_key() -> SecretKey {
        SecretKey::from_bytes(&hex::decode(EIP778_KEY).unwrap()).unwrap()
    }

    fn other_key() -> SecretKey {
        SecretKey::from_bytes(&[0x42; 32]).unwrap()
    }

    /// Signs `pairs` in the order given (no sorting, no checks) and returns the encoding.
    fn sign_raw(secret: &SecretKey, seq: u64, pairs: &[(&[u8], Vec<u8>)]) -> Vec<u8> {
        let mut content = Vec::new();
        rlp::encode_uint(&mut content, seq);
        for (key, value) in pairs {
            rlp::encode_bytes(&mut content, key);
            content.extend_from_slice(value);
        }
        let digest: [u8; 32] = Keccak256::digest(rlp::encode_list(&content)).into();
        let signature = secret.sign_compact(&digest);
        let mut items = Vec::new();
        rlp::encode_bytes(&mut items, &signature);
        items.extend_from_slice(&content);
        rlp::encode_list(&items)
    }

    fn base_pairs(secret: &SecretKey) -> Vec<(&'static [u8], Vec<u8>)> {
        vec![
            (KEY_ID, encoded_bytes(SCHEME_V4)),
            (
                KEY_SECP256K1,
                encoded_bytes(&secret.public_key().to_compressed()),
            ),
        ]
    }

    /// Re-encodes a record's list with item `index` replaced by `replacement` (raw encoding).
    fn replace_item(encoded: &[u8], index: usize, replacement: &[u8]) -> Vec<u8> {
        let items = rlp::decode_exact(encoded).unwrap().list_items().unwrap();
        let mut payload = Vec::new();
        for (i, item) in items.iter().enumerate() {
            payload.extend_from_slice(if i == index {
                replacement
            } else {
                item.encoded
            });
        }
        rlp::encode_list(&payload)
    }

    fn padded_record(total: usize) -> Vec<u8> {
        let secret = eip778_key();
        (0..400)
            .map(|len| {
                let mut pairs = base_pairs(&secret);
                pairs.push((b"z", encoded_bytes(&vec![0xab; len])));
                sign_raw(&secret, 1, &pairs)
            })
            .find(|encoded| encoded.len() == total)
            .unwrap()
    }

    #[test]
    fn create_then_parse_round_trips() {
        let secret = other_key();
        let record = Enr::create(
            &secret,
            7,
            Some(Ipv4Addr::new(10, 0, 0, 1)),
            Some(3610),
            None,
        )
        .unwrap();
        let parsed: Enr = record.to_text().parse().unwrap();
        assert_eq!(parsed, record);
        assert_eq!(parsed.seq(), 7);
        assert_eq!(parsed.ip(), Some(Ipv4Addr::new(10, 0, 0, 1)));
        assert_eq!(parsed.tcp(), Some(3610));
        assert_eq!(parsed.udp(), None);
        assert_eq!(parsed.public_key(), &secret.public_key());
        assert!(parsed.verify_signature());
        let keys: Vec<&[u8]> = parsed.keys().collect();
        assert_eq!(keys, [&b"id"[..], b"ip", b"secp256k1", b"tcp"]);
        assert_eq!(parsed.get_raw(b"id"), Some(&[0x82, b'v', b'4'][..]));
    }

    #[test]
    fn minimal_record_without_network_entries() {
        let record = Enr::create(&other_key(), 0, None, None, None).unwrap();
        let parsed = Enr::from_rlp(record.to_rlp()).unwrap();
        assert_eq!(parsed.seq(), 0);
        assert_eq!(
            (parsed.ip(), parsed.tcp(), parsed.udp()),
            (None, None, None)
        );
    }

    #[test]
    fn size_boundary_300_accepted_301_rejected() {
        let at_limit = padded_record(300);
        assert!(Enr::from_rlp(&at_limit).is_ok());
        let text = format!(
            "enr:{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&at_limit)
        );
        assert!(Enr::from_text(&text).is_ok());

        let over = padded_record(301);
        assert_eq!(
            Enr::from_rlp(&over),
            Err(Error::TooLarge {
                size: 301,
                max: 300
            })
        );
        let text = format!(
            "enr:{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&over)
        );
        assert!(matches!(Enr::from_text(&text), Err(Error::TooLarge { .. })));
    }

    #[test]
    fn create_refuses_to_exceed_the_limit_only_through_size() {
        // create() cannot exceed 300 bytes with its fixed keys; the largest one it makes:
        let record = Enr::create(
            &other_key(),
            u64::MAX,
            Some(Ipv4Addr::BROADCAST),
            Some(u16::MAX),
            Some(u16::MAX),
        )
        .unwrap();
        assert!(record.to_rlp().len() <= MAX_RECORD_SIZE);
        assert_eq!(Enr::from_rlp(record.to_rlp()).unwrap().seq(), u64::MAX);
    }

    #[test]
    fn rejects_unsorted_keys() {
        let secret = eip778_key();
        let mut pairs = base_pairs(&secret);
        pairs.push((b"ip", encoded_bytes(&[127, 0, 0, 1])));
        let err = Enr::from_rlp(&sign_raw(&secret, 1, &pairs)).unwrap_err();
        assert!(
            matches!(err, Error::KeyOrder { ref previous, ref key } if previous == "secp256k1" && key == "ip"),
            "{err}"
        );
        // One step inside: the same pairs sorted.
        pairs.sort_by(|a, b| a.0.cmp(b.0));
        assert!(Enr::from_rlp(&sign_raw(&secret, 1, &pairs)).is_ok());
    }

    #[test]
    fn rejects_duplicate_keys() {
        let secret = eip778_key();
        let mut pairs = base_pairs(&secret);
        pairs.push((b"udp", encoded_uint(1)));
        pairs.push((b"udp", encoded_uint(2)));
        let err = Enr::from_rlp(&sign_raw(&secret, 1, &pairs)).unwrap_err();
        assert!(matches!(err, Error::KeyOrder { .. }), "{err}");
        pairs.pop();
        assert!(Enr::from_rlp(&sign_raw(&secret, 1, &pairs)).is_ok());
    }

    #[test]
    fn rejects_missing_id_and_missing_key() {
        let secret = eip778_key();
        let pairs = base_pairs(&secret);
        assert_eq!(
            Enr::from_rlp(&sign_raw(&secret, 1, &pairs[1..])),
            Err(Error::MissingId)
        );
        assert_eq!(
            Enr::from_rlp(&sign_raw(&secret, 1, &pairs[..1])),
            Err(Error::MissingPublicKey)
        );
        assert!(Enr::from_rlp(&sign_raw(&secret, 1, &pairs)).is_ok());
    }

    #[test]
    fn rejects_other_identity_schemes_and_bad_keys() {
        let secret = eip778_key();
        let mut pairs = base_pairs(&secret);
        pairs[0].1 = encoded_bytes(b"v5");
        assert_eq!(
            Enr::from_rlp(&sign_raw(&secret, 1, &pairs)),
            Err(Error::UnsupportedScheme {
                scheme: "v5".into()
            })
        );
        let mut pairs = base_pairs(&secret);
        pairs[1].1 = encoded_bytes(&secret.public_key().to_uncompressed());
        assert!(matches!(
            Enr::from_rlp(&sign_raw(&secret, 1, &pairs)),
            Err(Error::InvalidValue {
                key: "secp256k1",
                ..
            })
        ));
        // The SEC1 "compact" tag 0x05 (X only) is not a compressed key.
        let mut compact_tag = secret.public_key().to_compressed();
        compact_tag[0] = 0x05;
        pairs[1].1 = encoded_bytes(&compact_tag);
        let result = Enr::from_rlp(&sign_raw(&secret, 1, &pairs));
        assert!(
            matches!(
                result,
                Err(Error::InvalidValue {
                    key: "secp256k1",
                    ..
                })
            ),
            "{result:?}"
        );
        // X not on the curve: 2^256 - 1 exceeds the field modulus.
        let mut off_curve = [0xffu8; 33];
        off_curve[0] = 0x02;
        pairs[1].1 = encoded_bytes(&off_curve);
        assert!(matches!(
            Enr::from_rlp(&sign_raw(&secret, 1, &pairs)),
            Err(Error::InvalidValue {
                key: "secp256k1",
                ..
            })
        ));
        // One step inside: the right compressed key.
        pairs[1].1 = encoded_bytes(&secret.public_key().to_compressed());
        assert!(Enr::from_rlp(&sign_raw(&secret, 1, &pairs)).is_ok());
    }

    #[test]
    fn rejects_malformed_ip_and_ports() {
        let secret = eip778_key();
        let with = |key: &'static [u8], value: Vec<u8>| {
            let mut pairs = base_pairs(&secret);
            pairs.push((key, value));
            pairs.sort_by(|a, b| a.0.cmp(b.0));
            Enr::from_rlp(&sign_raw(&secret, 1, &pairs))
        };
        assert!(matches!(
            with(b"ip", encoded_bytes(&[127, 0, 0])),
            Err(Error::InvalidValue { key: "ip", .. })
        ));
        assert!(matches!(
            with(b"ip", encoded_bytes(&[127, 0, 0, 1, 0])),
            Err(Error::InvalidValue { key: "ip", .. })
        ));
        assert_eq!(
            with(b"ip", encoded_bytes(&[127, 0, 0, 1])).unwrap().ip(),
            Some(Ipv4Addr::LOCALHOST)
        );
        assert!(matches!(
            with(b"tcp", encoded_uint(65_536)),
            Err(Error::InvalidValue { key: "tcp", .. })
        ));
        assert_eq!(
            with(b"tcp", encoded_uint(65_535)).unwrap().tcp(),
            Some(65_535)
        );
        assert!(matches!(
            with(b"udp", encoded_bytes(&[0x00, 0x50])),
            Err(Error::InvalidValue { key: "udp", .. })
        ));
        assert_eq!(
            with(b"udp", encoded_bytes(&[0x50])).unwrap().udp(),
            Some(0x50)
        );
        assert!(matches!(
            with(b"udp", rlp::encode_list(&[])),
            Err(Error::InvalidValue { key: "udp", .. })
        ));
    }

    #[test]
    fn rejects_bad_structure() {
        assert!(matches!(Enr::from_rlp(&[0x80]), Err(Error::Rlp(_))));
        assert!(matches!(
            Enr::from_rlp(&rlp::encode_list(&[])),
            Err(Error::Structure { .. })
        ));
        let secret = eip778_key();
        let record = sign_raw(&secret, 1, &base_pairs(&secret));
        // Drop the last value: a key without a value.
        let items = rlp::decode_exact(&record).unwrap().list_items().unwrap();
        let mut payload = Vec::new();
        for item in &items[..items.len() - 1] {
            payload.extend_from_slice(item.encoded);
        }
        assert!(matches!(
            Enr::from_rlp(&rlp::encode_list(&payload)),
            Err(Error::Structure { .. })
        ));
        // A 63-byte signature.
        let short = replace_item(&record, 0, &encoded_bytes(&[1u8; 63]));
        assert_eq!(
            Enr::from_rlp(&short),
            Err(Error::SignatureLength { length: 63 })
        );
        // A list as a key.
        let mut pairs_payload = Vec::new();
        for item in &items {
            pairs_payload.extend_from_slice(item.encoded);
        }
        pairs_payload.extend_from_slice(&rlp::encode_list(&[]));
        pairs_payload.extend_from_slice(&encoded_bytes(b"x"));
        assert!(matches!(
            Enr::from_rlp(&rlp::encode_list(&pairs_payload)),
            Err(Error::Rlp(_))
        ));
    }

    #[test]
    fn rejects_non_canonical_rlp() {
        let secret = eip778_key();
        let record = sign_raw(&secret, 1, &base_pairs(&secret));
        // seq 1 as 0x81 0x01 instead of 0x01.
        let wrapped = replace_item(&record, 1, &[0x81, 0x01]);
        assert!(matches!(
            Enr::from_rlp(&wrapped),
            Err(Error::Rlp(RlpError::SingleByteNotSelfEncoded { .. }))
        ));
        // seq 1 as 0x82 0x00 0x01: a leading zero in the integer.
        let padded = replace_item(&record, 1, &[0x82, 0x00, 0x01]);
        assert!(matches!(
            Enr::from_rlp(&padded),
            Err(Error::Rlp(RlpError::IntegerLeadingZero { .. }))
        ));
        // The signature (64 bytes) in long form is canonical; in a padded length it is not.
        let mut long_signature = vec![0xb9, 0x00, 0x40];
        long_signature.extend_from_slice(&record[3..67]);
        assert_eq!(&record[..3], &[0xf8, record[1], 0xb8]);
        assert!(matches!(
            Enr::from_rlp(&replace_item(&record, 0, &long_signature)),
            Err(Error::Rlp(RlpError::LengthLeadingZero { .. }))
        ));
        // Trailing garbage after the list.
        let mut trailing = record.clone();
        trailing.push(0x00);
        assert!(matches!(
            Enr::from_rlp(&trailing),
            Err(Error::Rlp(RlpError::TrailingBytes { count: 1 }))
        ));
        // One step inside: the canonical record.
        assert!(Enr::from_rlp(&record).is_ok());
    }

    #[test]
    fn rejects_signature_by_another_key_and_tampering() {
        let secret = eip778_key();
        let pairs = base_pairs(&secret);
        // Signed by a different key than the one in the record.
        assert_eq!(
            Enr::from_rlp(&sign_raw(&other_key(), 1, &pairs)),
            Err(Error::BadSignature)
        );
        // Tampered seq after signing.
        let record = sign_raw(&secret, 1, &pairs);
        assert_eq!(
            Enr::from_rlp(&replace_item(&record, 1, &[0x02])),
            Err(Error::BadSignature)
        );
        // Flipped signature bit.
        let mut flipped = record.clone();
        flipped[10] ^= 0x01;
        assert_eq!(Enr::from_rlp(&flipped), Err(Error::BadSignature));
        assert!(Enr::from_rlp(&record).is_ok());
    }

    #[test]
    fn rejects_high_s_signature() {
        // secp256k1 group order n.
        let order = hex::decode("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")
            .unwrap();
        let secret = eip778_key();
        let record = sign_raw(&secret, 1, &base_pairs(&secret));
        let items = rlp::decode_exact(&record).unwrap().list_items().unwrap();
        let signature = items[0].bytes().unwrap();
        // s' = n - s (big-endian subtraction).
        let mut high_s = [0u8; 32];
        let mut borrow = 0i16;
        for i in (0..32).rev() {
            let diff = i16::from(order[i]) - i16::from(signature[32 + i]) - borrow;
            borrow = i16::from(diff < 0);
            high_s[i] = diff.rem_euclid(256) as u8;
        }
        let mut malleable = signature[..32].to_vec();
        malleable.extend_from_slice(&high_s);
        let tampered = replace_item(&record, 0, &encoded_bytes(&malleable));
        assert_eq!(Enr::from_rlp(&tampered), Err(Error::BadSignature));
    }

    #[test]
    fn text_form_errors() {
        let record = Enr::create(&other_key(), 1, None, None, None).unwrap();
        let text = record.to_text();
        let body = text.strip_prefix("enr:").unwrap();
        assert_eq!(Enr::from_text(body), Err(Error::MissingPrefix));
        assert_eq!(
            Enr::from_text(&format!("ENR:{body}")),
            Err(Error::MissingPrefix)
        );
        assert_eq!(
            Enr::from_text(&format!("enode:{body}")),
            Err(Error::MissingPrefix)
        );
        assert!(matches!(
            Enr::from_text(&format!("enr:{body}=")),
            Err(Error::Base64 { .. })
        ));
        // Standard-alphabet characters are not URL-safe base64.
        assert!(matches!(
            Enr::from_text("enr:ab+c"),
            Err(Error::Base64 { .. })
        ));
        assert!(matches!(
            Enr::from_text("enr:ab/c"),
            Err(Error::Base64 { .. })
        ));
        // A dangling sixth bit group cannot be a whole byte.
        assert!(matches!(
            Enr::from_text("enr:abcde"),
            Err(Error::Base64 { .. })
        ));
        assert!(matches!(
            Enr::from_text("enr:!!!!"),
            Err(Error::Base64 { .. })
        ));
        assert!(matches!(Enr::from_text("enr:"), Err(Error::Rlp(_))));
        assert_eq!(Enr::from_text(&text).unwrap(), record);
    }

    #[test]
    fn secret_key_debug_is_redacted() {
        assert!(!format!("{:?}", eip778_key()).contains(EIP778_KEY));
        let record = Enr::create(&eip778_key(), 1, None, None, None).unwrap();
        assert!(!format!("{record:?}").contains(EIP778_KEY));
    }
}
