//! Scalar and byte types the block containers add to the ones at the crate root: `uint256`,
//! KZG commitments and proofs, and the index and amount aliases.

use std::fmt;
use std::str::FromStr;

use super::ConsensusError;

/// `ValidatorIndex`.
pub type ValidatorIndex = u64;
/// `CommitteeIndex`.
pub type CommitteeIndex = u64;
/// `Gwei`.
pub type Gwei = u64;
/// `WithdrawalIndex`.
pub type WithdrawalIndex = u64;

/// `uint256` (execution payload `base_fee_per_gas`): 32 little-endian bytes, a decimal string in
/// JSON.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Uint256(pub [u8; 32]);

impl Uint256 {
    /// Zero.
    pub const ZERO: Self = Self([0; 32]);

    /// Little-endian bytes (the SSZ encoding).
    pub const fn to_le_bytes(self) -> [u8; 32] {
        self.0
    }

    /// From little-endian bytes.
    pub const fn from_le_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    fn limbs(&self) -> [u64; 4] {
        let mut limbs = [0u64; 4];
        for (limb, chunk) in limbs.iter_mut().zip(self.0.chunks_exact(8)) {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            *limb = u64::from_le_bytes(word);
        }
        limbs
    }

    fn from_limbs(limbs: [u64; 4]) -> Self {
        let mut bytes = [0u8; 32];
        for (chunk, limb) in bytes.chunks_exact_mut(8).zip(limbs) {
            chunk.copy_from_slice(&limb.to_le_bytes());
        }
        Self(bytes)
    }

    /// Parses a decimal string of digits only (no sign, no whitespace), at most `2**256 - 1`.
    pub fn from_dec_str(text: &str) -> Result<Self, ConsensusError> {
        let invalid = |reason: &'static str| ConsensusError::InvalidUint256 {
            text: text.to_owned(),
            reason,
        };
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid("not a decimal unsigned integer"));
        }
        let mut limbs = [0u64; 4];
        for digit in text.bytes() {
            let mut carry = u128::from(digit - b'0');
            for limb in &mut limbs {
                let wide = u128::from(*limb) * 10 + carry;
                *limb = wide as u64;
                carry = wide >> 64;
            }
            if carry != 0 {
                return Err(invalid("does not fit in 256 bits"));
            }
        }
        Ok(Self::from_limbs(limbs))
    }

    /// Decimal digits.
    pub fn to_dec_string(&self) -> String {
        let mut limbs = self.limbs();
        if limbs == [0; 4] {
            return "0".to_owned();
        }
        let mut digits = Vec::new();
        while limbs != [0; 4] {
            let mut remainder = 0u128;
            for limb in limbs.iter_mut().rev() {
                let wide = (remainder << 64) | u128::from(*limb);
                *limb = (wide / 10) as u64;
                remainder = wide % 10;
            }
            digits.push(b'0' + remainder as u8);
        }
        digits.reverse();
        String::from_utf8(digits).unwrap_or_default()
    }
}

impl From<u64> for Uint256 {
    fn from(value: u64) -> Self {
        Self::from_limbs([value, 0, 0, 0])
    }
}

impl FromStr for Uint256 {
    type Err = ConsensusError;
    fn from_str(text: &str) -> Result<Self, ConsensusError> {
        Self::from_dec_str(text)
    }
}

impl fmt::Display for Uint256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_dec_string())
    }
}

impl fmt::Debug for Uint256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Uint256({self})")
    }
}

impl serde::Serialize for Uint256 {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_dec_string())
    }
}

impl<'de> serde::Deserialize<'de> for Uint256 {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::from_dec_str(&text).map_err(serde::de::Error::custom)
    }
}

impl ssz::Encode for Uint256 {
    fn is_ssz_fixed_len() -> bool {
        true
    }
    fn ssz_fixed_len() -> usize {
        32
    }
    fn ssz_bytes_len(&self) -> usize {
        32
    }
    fn ssz_append(&self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(&self.0);
    }
}

impl ssz::Decode for Uint256 {
    fn is_ssz_fixed_len() -> bool {
        true
    }
    fn ssz_fixed_len() -> usize {
        32
    }
    fn from_ssz_bytes(bytes: &[u8]) -> Result<Self, ssz::DecodeError> {
        <[u8; 32] as ssz::Decode>::from_ssz_bytes(bytes).map(Self)
    }
}

impl tree_hash::TreeHash for Uint256 {
    fn tree_hash_type() -> tree_hash::TreeHashType {
        tree_hash::TreeHashType::Basic
    }
    fn tree_hash_packed_encoding(&self) -> tree_hash::PackedEncoding {
        tree_hash::PackedEncoding::from_slice(&self.0)
    }
    fn tree_hash_packing_factor() -> usize {
        1
    }
    fn tree_hash_root(&self) -> tree_hash::Hash256 {
        tree_hash::Hash256::from(self.0)
    }
}

macro_rules! bytes48 {
    ($(#[$meta:meta])* $name:ident, $spec:literal) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $name(pub [u8; 48]);

        impl $name {
            /// The all-zero value.
            pub const ZERO: Self = Self([0; 48]);

            /// Parses `0x`-prefixed or bare hex of exactly 48 bytes.
            pub fn from_hex(text: &str) -> Result<Self, ConsensusError> {
                let digits = text.strip_prefix("0x").unwrap_or(text);
                let mut bytes = [0u8; 48];
                hex::decode_to_slice(digits, &mut bytes).map_err(|source| {
                    ConsensusError::InvalidHex {
                        type_name: $spec,
                        reason: source.to_string(),
                    }
                })?;
                Ok(Self(bytes))
            }

            /// `0x`-prefixed lower-case hex.
            pub fn to_hex(&self) -> String {
                format!("0x{}", hex::encode(self.0))
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::ZERO
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.to_hex())
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
                48
            }
            fn ssz_bytes_len(&self) -> usize {
                48
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
                48
            }
            fn from_ssz_bytes(bytes: &[u8]) -> Result<Self, ssz::DecodeError> {
                <[u8; 48] as ssz::Decode>::from_ssz_bytes(bytes).map(Self)
            }
        }

        impl tree_hash::TreeHash for $name {
            fn tree_hash_type() -> tree_hash::TreeHashType {
                tree_hash::TreeHashType::Vector
            }
            fn tree_hash_packed_encoding(&self) -> tree_hash::PackedEncoding {
                tree_hash::PackedEncoding::from_slice(&self.0)
            }
            fn tree_hash_packing_factor() -> usize {
                1
            }
            fn tree_hash_root(&self) -> tree_hash::Hash256 {
                <[u8; 48] as tree_hash::TreeHash>::tree_hash_root(&self.0)
            }
        }
    };
}

bytes48!(
    /// `KZGCommitment` (deneb): a 48-byte compressed G1 point, stored unvalidated.
    KzgCommitment,
    "KZGCommitment"
);
bytes48!(
    /// `KZGProof` (deneb): a 48-byte compressed G1 point, stored unvalidated.
    KzgProof,
    "KZGProof"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uint256_decimal_round_trip_and_limits() {
        let max = "115792089237316195423570985008687907853269984665640564039457584007913129639935";
        let value = Uint256::from_dec_str(max).unwrap();
        assert_eq!(value.0, [0xff; 32]);
        assert_eq!(value.to_string(), max);
        // One past the maximum is rejected.
        let too_big =
            "115792089237316195423570985008687907853269984665640564039457584007913129639936";
        assert!(Uint256::from_dec_str(too_big).is_err());
        assert_eq!(Uint256::from_dec_str("0").unwrap(), Uint256::ZERO);
        assert_eq!(Uint256::ZERO.to_string(), "0");
        assert_eq!(
            Uint256::from_dec_str("18446744073709551616").unwrap().0[8],
            1
        );
        assert_eq!(Uint256::from(7u64).to_string(), "7");
        for bad in ["", "-1", "0x10", " 1", "1.0"] {
            assert!(Uint256::from_dec_str(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn kzg_hex_needs_exactly_48_bytes() {
        let text = format!("0x{}", "ab".repeat(48));
        assert_eq!(KzgProof::from_hex(&text).unwrap().to_hex(), text);
        assert!(KzgCommitment::from_hex(&format!("0x{}", "ab".repeat(47))).is_err());
        assert!(KzgCommitment::from_hex(&format!("0x{}", "ab".repeat(49))).is_err());
    }
}
