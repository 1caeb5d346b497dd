//! The EIP-3076 interchange format, version 5: strict (de)serialisation.
//!
//! Slots and epochs are decimal strings, roots `0x` + 64 hex digits, public keys `0x` + 96 hex
//! digits; `signing_root` is optional. Unknown fields are refused so that a misspelt field never
//! silently drops history.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::Error;
use crate::{PublicKeyBytes, Root};

/// A complete interchange document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Interchange {
    /// The format version and the chain the history belongs to.
    pub metadata: InterchangeMetadata,
    /// One entry per validator (a public key may appear more than once; entries are merged).
    pub data: Vec<InterchangeValidator>,
}

/// The `metadata` object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterchangeMetadata {
    /// Always `"5"`; any other value is refused when parsing.
    pub interchange_format_version: FormatVersion5,
    /// The chain's genesis validators root.
    #[serde(with = "hex_bytes")]
    pub genesis_validators_root: Root,
}

/// The only supported `interchange_format_version`, `"5"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FormatVersion5;

/// One validator's signing history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterchangeValidator {
    /// The validator's BLS public key (48 bytes).
    #[serde(with = "hex_bytes")]
    pub pubkey: PublicKeyBytes,
    /// Blocks signed.
    pub signed_blocks: Vec<SignedBlock>,
    /// Attestations signed.
    pub signed_attestations: Vec<SignedAttestation>,
}

/// A signed block record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedBlock {
    /// The block's slot.
    #[serde(with = "decimal")]
    pub slot: u64,
    /// `compute_signing_root(block, domain)`, when known.
    #[serde(
        default,
        with = "opt_hex_root",
        skip_serializing_if = "Option::is_none"
    )]
    pub signing_root: Option<Root>,
}

/// A signed attestation record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedAttestation {
    /// `attestation.data.source.epoch`.
    #[serde(with = "decimal")]
    pub source_epoch: u64,
    /// `attestation.data.target.epoch`.
    #[serde(with = "decimal")]
    pub target_epoch: u64,
    /// `compute_signing_root(attestation_data, domain)`, when known.
    #[serde(
        default,
        with = "opt_hex_root",
        skip_serializing_if = "Option::is_none"
    )]
    pub signing_root: Option<Root>,
}

impl Interchange {
    /// An empty interchange for a chain.
    pub fn new(genesis_validators_root: Root) -> Self {
        Self {
            metadata: InterchangeMetadata {
                interchange_format_version: FormatVersion5,
                genesis_validators_root,
            },
            data: Vec::new(),
        }
    }

    /// Parses an interchange document, strictly.
    pub fn from_json_str(json: &str) -> Result<Self, Error> {
        serde_json::from_str(json).map_err(Error::InvalidInterchange)
    }

    /// Parses an interchange document from a JSON value, strictly.
    pub fn from_json_value(json: serde_json::Value) -> Result<Self, Error> {
        serde_json::from_value(json).map_err(Error::InvalidInterchange)
    }

    /// Serialises the document as pretty-printed JSON.
    pub fn to_json_string(&self) -> Result<String, Error> {
        serde_json::to_string_pretty(self).map_err(Error::InvalidInterchange)
    }
}

impl Serialize for FormatVersion5 {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str("5")
    }
}

impl<'de> Deserialize<'de> for FormatVersion5 {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let version = String::deserialize(deserializer)?;
        if version == "5" {
            Ok(Self)
        } else {
            Err(serde::de::Error::custom(format!(
                "interchange_format_version must be \"5\", found {version:?}"
            )))
        }
    }
}

/// Parses `0x` followed by exactly `2 * N` hex digits.
fn parse_hex<const N: usize>(text: &str) -> Result<[u8; N], String> {
    let digits = text
        .strip_prefix("0x")
        .ok_or_else(|| format!("expected 0x-prefixed hex of {N} bytes, found {text:?}"))?;
    if digits.len() != 2 * N {
        return Err(format!(
            "expected {N} bytes ({} hex digits) after 0x, found {} digits in {text:?}",
            2 * N,
            digits.len()
        ));
    }
    let mut out = [0u8; N];
    hex::decode_to_slice(digits, &mut out).map_err(|e| format!("invalid hex {text:?}: {e}"))?;
    Ok(out)
}

mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer, const N: usize>(
        bytes: &[u8; N],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format!("0x{}", hex::encode(bytes)))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>, const N: usize>(
        deserializer: D,
    ) -> Result<[u8; N], D::Error> {
        let text = String::deserialize(deserializer)?;
        super::parse_hex(&text).map_err(serde::de::Error::custom)
    }
}

mod opt_hex_root {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::Root;

    pub(super) fn serialize<S: Serializer>(
        root: &Option<Root>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match root {
            Some(root) => super::hex_bytes::serialize(root, serializer),
            None => serializer.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Root>, D::Error> {
        let text = String::deserialize(deserializer)?;
        super::parse_hex(&text)
            .map(Some)
            .map_err(serde::de::Error::custom)
    }
}

mod decimal {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(value: &u64, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&value.to_string())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
        let text = String::deserialize(deserializer)?;
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(serde::de::Error::custom(format!(
                "expected a decimal string of digits, found {text:?}"
            )));
        }
        text.parse::<u64>().map_err(|e| {
            serde::de::Error::custom(format!("decimal string {text:?} is not a u64: {e}"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PK: &str = "0xb845089a1457f811bfc000588fbb4e713669be8ce060ea6be3c6ece09afc3794106c91ca73acda5e5457122d58723bed";
    const GVR: &str = "0x04700007fabc8282644aed6d1c7c9e21d38a03a0c4ba193f3afe428824b3a673";

    fn doc(version: &str, gvr: &str, pubkey: &str, slot: &str, root: &str) -> String {
        format!(
            r#"{{"metadata":{{"interchange_format_version":"{version}","genesis_validators_root":"{gvr}"}},
            "data":[{{"pubkey":"{pubkey}","signed_blocks":[{{"slot":"{slot}"{root}}}],
            "signed_attestations":[{{"source_epoch":"2290","target_epoch":"3007"}}]}}]}}"#
        )
    }

    #[test]
    fn parses_the_eip_example_and_round_trips() {
        let root = r#","signing_root":"0x4ff6f743a43f3b4f95350831aeaf0a122a1a392922c45d804280284a69eb850b""#;
        let parsed = Interchange::from_json_str(&doc("5", GVR, PK, "81952", root)).unwrap();
        assert_eq!(parsed.data[0].signed_blocks[0].slot, 81952);
        assert_eq!(
            parsed.data[0].signed_blocks[0].signing_root.unwrap()[0],
            0x4f
        );
        assert_eq!(parsed.data[0].signed_attestations[0].signing_root, None);
        let again = Interchange::from_json_str(&parsed.to_json_string().unwrap()).unwrap();
        assert_eq!(again, parsed);
    }

    #[test]
    fn serialises_numbers_as_decimal_strings_and_omits_unknown_roots() {
        let mut interchange = Interchange::new([1; 32]);
        interchange.data.push(InterchangeValidator {
            pubkey: [2; 48],
            signed_blocks: vec![SignedBlock {
                slot: u64::MAX,
                signing_root: None,
            }],
            signed_attestations: vec![],
        });
        let json: serde_json::Value =
            serde_json::from_str(&interchange.to_json_string().unwrap()).unwrap();
        assert_eq!(json["metadata"]["interchange_format_version"], "5");
        assert_eq!(
            json["data"][0]["signed_blocks"][0]["slot"],
            "18446744073709551615"
        );
        assert!(json["data"][0]["signed_blocks"][0]
            .get("signing_root")
            .is_none());
    }

    #[test]
    fn refuses_other_versions() {
        let err = Interchange::from_json_str(&doc("4", GVR, PK, "1", "")).unwrap_err();
        assert!(
            err.to_string().contains("interchange_format_version"),
            "{err}"
        );
    }

    #[test]
    fn refuses_wrong_lengths_and_missing_prefix() {
        let short_root = &GVR[..GVR.len() - 2];
        assert!(Interchange::from_json_str(&doc("5", short_root, PK, "1", "")).is_err());
        let short_pk = &PK[..PK.len() - 2];
        assert!(Interchange::from_json_str(&doc("5", GVR, short_pk, "1", "")).is_err());
        assert!(Interchange::from_json_str(&doc("5", &GVR[2..], PK, "1", "")).is_err());
        let bad_root = r#","signing_root":"0x12""#;
        assert!(Interchange::from_json_str(&doc("5", GVR, PK, "1", bad_root)).is_err());
    }

    #[test]
    fn refuses_non_decimal_numbers() {
        for slot in ["", "-1", "+1", "0x10", "1.0", " 1", "18446744073709551616"] {
            assert!(
                Interchange::from_json_str(&doc("5", GVR, PK, slot, "")).is_err(),
                "slot {slot:?} accepted"
            );
        }
        assert!(Interchange::from_json_str(&doc("5", GVR, PK, "18446744073709551615", "")).is_ok());
    }

    #[test]
    fn refuses_numbers_that_are_not_strings_and_unknown_fields() {
        let numeric = doc("5", GVR, PK, "1", "").replace(r#""slot":"1""#, r#""slot":1"#);
        assert!(Interchange::from_json_str(&numeric).is_err());
        let extra = doc("5", GVR, PK, "1", r#","slott":"2""#);
        assert!(Interchange::from_json_str(&extra).is_err());
    }

    #[test]
    fn refuses_missing_required_lists() {
        let json = format!(
            r#"{{"metadata":{{"interchange_format_version":"5","genesis_validators_root":"{GVR}"}},
            "data":[{{"pubkey":"{PK}","signed_blocks":[]}}]}}"#
        );
        assert!(Interchange::from_json_str(&json).is_err());
    }
}
