//! Serde for `u64` fields as the beacon and builder APIs write them: a decimal string on output;
//! on input a decimal string or a JSON number (staking-deposit-cli and Charon's lock files write
//! numbers in places).

use serde::de::{self, Visitor};
use serde::{Deserializer, Serializer};
use std::fmt;

/// Writes `value` as a decimal string.
pub fn serialize<S: Serializer>(value: &u64, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

/// Reads a `u64` from a decimal string or a non-negative JSON integer.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    deserializer.deserialize_any(QuotedU64)
}

struct QuotedU64;

impl Visitor<'_> for QuotedU64 {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an unsigned 64-bit integer, as a decimal string or a number")
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<u64, E> {
        Ok(value)
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<u64, E> {
        u64::try_from(value).map_err(|_| E::custom(format!("negative integer {value}")))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<u64, E> {
        // Only plain decimal digits: no sign, no whitespace, no empty string.
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(E::custom(format!(
                "{text:?} is not a decimal unsigned integer"
            )));
        }
        text.parse::<u64>()
            .map_err(|_| E::custom(format!("{text:?} does not fit in u64")))
    }
}

#[cfg(test)]
mod tests {
    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Wrapper(#[serde(with = "super")] u64);

    #[test]
    fn accepts_strings_and_numbers_writes_strings() {
        assert_eq!(
            serde_json::from_str::<Wrapper>("\"32000000000\"")
                .unwrap()
                .0,
            32_000_000_000
        );
        assert_eq!(
            serde_json::from_str::<Wrapper>("32000000000").unwrap().0,
            32_000_000_000
        );
        assert_eq!(
            serde_json::from_str::<Wrapper>("\"18446744073709551615\"")
                .unwrap()
                .0,
            u64::MAX
        );
        assert_eq!(serde_json::to_string(&Wrapper(7)).unwrap(), "\"7\"");
    }

    #[test]
    fn rejects_non_integers() {
        for bad in [
            "\"18446744073709551616\"",
            "\"-1\"",
            "-1",
            "\"\"",
            "\" 1\"",
            "\"0x10\"",
            "1.5",
            "null",
        ] {
            assert!(
                serde_json::from_str::<Wrapper>(bad).is_err(),
                "{bad} accepted"
            );
        }
    }
}
