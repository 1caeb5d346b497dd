//! Fixed-size byte strings of the consensus specs (`Bytes4`, `Bytes20`, `Bytes32`, `BLSPubkey`,
//! `BLSSignature`), each a distinct type with SSZ, `tree_hash` and `0x`-hex serde.
//!
//! Text form: `0x` followed by lower-case hex on output. On input the `0x` prefix is optional
//! (deposit files written by staking-deposit-cli omit it) and hex digits may be of either case;
//! the length must be exact.

use std::fmt;
use std::str::FromStr;

use crate::Error;

/// Parses `0x`-prefixed (or bare) hex of exactly `N` bytes.
pub(crate) fn parse_hex_array<const N: usize>(
    type_name: &'static str,
    text: &str,
) -> Result<[u8; N], Error> {
    let digits = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .unwrap_or(text);
    if digits.len() != 2 * N {
        return Err(Error::HexLength {
            type_name,
            expected: N,
            actual_digits: digits.len(),
        });
    }
    let mut out = [0u8; N];
    hex::decode_to_slice(digits, &mut out).map_err(|source| Error::Hex {
        type_name,
        reason: source.to_string(),
    })?;
    Ok(out)
}

macro_rules! fixed_bytes {
    ($(#[$meta:meta])* $name:ident, $len:expr, $spec:literal) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub [u8; $len]);

        impl $name {
            /// Length in bytes.
            pub const LEN: usize = $len;
            /// The all-zero value.
            pub const ZERO: Self = Self([0u8; $len]);

            /// Wraps a byte array.
            pub const fn new(bytes: [u8; $len]) -> Self {
                Self(bytes)
            }

            /// Copies from a slice, which must be exactly [`Self::LEN`] bytes long.
            pub fn from_slice(bytes: &[u8]) -> Result<Self, Error> {
                let array: [u8; $len] = bytes.try_into().map_err(|_| Error::ByteLength {
                    type_name: $spec,
                    expected: $len,
                    actual: bytes.len(),
                })?;
                Ok(Self(array))
            }

            /// Parses `0x`-prefixed or bare hex of exactly [`Self::LEN`] bytes.
            pub fn from_hex(text: &str) -> Result<Self, Error> {
                parse_hex_array::<$len>($spec, text).map(Self)
            }

            /// The bytes.
            pub const fn as_bytes(&self) -> &[u8; $len] {
                &self.0
            }

            /// The bytes, by value.
            pub const fn to_bytes(self) -> [u8; $len] {
                self.0
            }

            /// `0x`-prefixed lower-case hex.
            pub fn to_hex(&self) -> String {
                format!("0x{}", hex::encode(self.0))
            }

            /// Whether every byte is zero.
            pub fn is_zero(&self) -> bool {
                self.0.iter().all(|byte| *byte == 0)
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::ZERO
            }
        }

        impl From<[u8; $len]> for $name {
            fn from(bytes: [u8; $len]) -> Self {
                Self(bytes)
            }
        }

        impl From<$name> for [u8; $len] {
            fn from(value: $name) -> Self {
                value.0
            }
        }

        impl AsRef<[u8]> for $name {
            fn as_ref(&self) -> &[u8] {
                &self.0
            }
        }

        impl TryFrom<&[u8]> for $name {
            type Error = Error;
            fn try_from(bytes: &[u8]) -> Result<Self, Error> {
                Self::from_slice(bytes)
            }
        }

        impl FromStr for $name {
            type Err = Error;
            fn from_str(text: &str) -> Result<Self, Error> {
                Self::from_hex(text)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("0x")?;
                for byte in &self.0 {
                    write!(f, "{byte:02x}")?;
                }
                Ok(())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({self})", stringify!($name))
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.to_hex())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                Self::from_hex(&text).map_err(serde::de::Error::custom)
            }
        }

        impl ssz::Encode for $name {
            fn is_ssz_fixed_len() -> bool {
                true
            }
            fn ssz_fixed_len() -> usize {
                $len
            }
            fn ssz_bytes_len(&self) -> usize {
                $len
            }
            fn ssz_append(&self, buf: &mut Vec<u8>) {
                buf.extend_from_slice(&self.0);
            }
        }

        impl ssz::Decode for $name {
            fn is_ssz_fixed_len() -> bool {
                true
            }
            fn ssz_fixed_len() -> usize {
                $len
            }
            fn from_ssz_bytes(bytes: &[u8]) -> Result<Self, ssz::DecodeError> {
                <[u8; $len] as ssz::Decode>::from_ssz_bytes(bytes).map(Self)
            }
        }

        impl tree_hash::TreeHash for $name {
            fn tree_hash_type() -> tree_hash::TreeHashType {
                tree_hash::TreeHashType::Vector
            }
            fn tree_hash_packed_encoding(&self) -> tree_hash::PackedEncoding {
                // Byte vectors are composite for hashing purposes: a container never packs them.
                tree_hash::PackedEncoding::from_slice(&self.0)
            }
            fn tree_hash_packing_factor() -> usize {
                1
            }
            fn tree_hash_root(&self) -> tree_hash::Hash256 {
                <[u8; $len] as tree_hash::TreeHash>::tree_hash_root(&self.0)
            }
        }
    };
}

fixed_bytes!(
    /// `Root` / `Bytes32`: a 32-byte hash tree root or opaque 32-byte value.
    Root,
    32,
    "Root"
);
fixed_bytes!(
    /// `Domain`: the 32-byte signature domain (`domain_type || fork_data_root[:28]`).
    Domain,
    32,
    "Domain"
);
fixed_bytes!(
    /// `DomainType`: the 4-byte domain type prefix (`DOMAIN_BEACON_PROPOSER`, ...).
    DomainType,
    4,
    "DomainType"
);
fixed_bytes!(
    /// `Version`: a 4-byte fork version.
    Version,
    4,
    "Version"
);
fixed_bytes!(
    /// `ExecutionAddress`: a 20-byte execution-layer account address.
    ExecutionAddress,
    20,
    "ExecutionAddress"
);
fixed_bytes!(
    /// `BLSPubkey`: a 48-byte compressed BLS12-381 G1 point, stored unvalidated.
    BlsPubkey,
    48,
    "BLSPubkey"
);
fixed_bytes!(
    /// `BLSSignature`: a 96-byte compressed BLS12-381 G2 point, stored unvalidated.
    BlsSignature,
    96,
    "BLSSignature"
);

/// `B256`: another name for a 32-byte [`Root`].
pub type B256 = Root;
/// `Bytes32`: another name for a 32-byte [`Root`].
pub type Bytes32 = Root;

impl From<tree_hash::Hash256> for Root {
    fn from(hash: tree_hash::Hash256) -> Self {
        Self(hash.0)
    }
}

impl From<Root> for tree_hash::Hash256 {
    fn from(root: Root) -> Self {
        tree_hash::Hash256::from(root.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ssz::{Decode, Encode};
    use tree_hash::TreeHash;

    #[test]
    fn hex_round_trip_with_and_without_prefix() {
        let version: Version = "0x90000069".parse().unwrap();
        assert_eq!(version, Version([0x90, 0, 0, 0x69]));
        assert_eq!(version.to_string(), "0x90000069");
        assert_eq!(Version::from_hex("90000069").unwrap(), version);
        assert_eq!(
            Version::from_hex("0X9000006A").unwrap(),
            Version([0x90, 0, 0, 0x6a])
        );
        assert_eq!(format!("{version:?}"), "Version(0x90000069)");
    }

    #[test]
    fn rejects_wrong_length_and_bad_digits() {
        assert!(matches!(
            Version::from_hex("0x900000"),
            Err(Error::HexLength {
                expected: 4,
                actual_digits: 6,
                ..
            })
        ));
        assert!(matches!(
            Version::from_hex("0x9000006900"),
            Err(Error::HexLength { .. })
        ));
        assert!(matches!(
            Version::from_hex("0x9000006g"),
            Err(Error::Hex { .. })
        ));
        assert!(matches!(
            BlsPubkey::from_slice(&[0u8; 47]),
            Err(Error::ByteLength {
                expected: 48,
                actual: 47,
                ..
            })
        ));
        assert!(BlsPubkey::from_slice(&[0u8; 48]).is_ok());
    }

    #[test]
    fn serde_uses_prefixed_hex() {
        let address = ExecutionAddress([0xab; 20]);
        let json = serde_json::to_string(&address).unwrap();
        assert_eq!(json, format!("\"0x{}\"", "ab".repeat(20)));
        let back: ExecutionAddress = serde_json::from_str(&json).unwrap();
        assert_eq!(back, address);
        assert!(serde_json::from_str::<ExecutionAddress>("\"0xab\"").is_err());
        assert!(serde_json::from_str::<ExecutionAddress>("12").is_err());
    }

    #[test]
    fn ssz_is_the_raw_bytes() {
        let signature = BlsSignature([7u8; 96]);
        let bytes = signature.as_ssz_bytes();
        assert_eq!(bytes, vec![7u8; 96]);
        assert_eq!(BlsSignature::from_ssz_bytes(&bytes).unwrap(), signature);
        assert!(BlsSignature::from_ssz_bytes(&bytes[..95]).is_err());
    }

    #[test]
    fn tree_hash_pads_short_vectors_and_merkleizes_long_ones() {
        // Four bytes: padded to one chunk, not hashed.
        let mut padded = [0u8; 32];
        padded[..4].copy_from_slice(&[1, 2, 3, 4]);
        assert_eq!(Version([1, 2, 3, 4]).tree_hash_root().0, padded);
        // 32 bytes: the root is the value itself.
        assert_eq!(Root([9u8; 32]).tree_hash_root().0, [9u8; 32]);
        // 48 bytes: two chunks, hashed together.
        let pubkey = BlsPubkey([5u8; 48]);
        let mut chunks = [0u8; 64];
        chunks[..48].copy_from_slice(&[5u8; 48]);
        use sha2::Digest;
        let expected: [u8; 32] = sha2::Sha256::digest(chunks).into();
        assert_eq!(pubkey.tree_hash_root().0, expected);
    }
}
