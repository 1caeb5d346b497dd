//! Deposit data files in the staking-deposit-cli JSON format that Charon writes next to each
//! node's lock: `deposit-data.json` for 32 ETH deposits, `deposit-data-<N>eth.json` otherwise.

use crate::error::{Error, Result};
use crate::gojson::GoJson;
use crate::model::DepositData;
use crate::parse::FULL_DEPOSIT_GWEI;

/// The `deposit_cli_version` Charon records in deposit files.
pub const DEPOSIT_CLI_VERSION: &str = "2.7.0";

const GWEI_PER_ETH: u64 = 1_000_000_000;

/// The file name for deposits of `amount` gwei: `deposit-data.json` for 32 ETH, otherwise
/// `deposit-data-<ETH>eth.json` with the amount in ETH in shortest decimal form (`1`, `1.5`).
pub fn deposit_file_name(amount: u64) -> String {
    if amount == FULL_DEPOSIT_GWEI {
        return "deposit-data.json".to_string();
    }
    let whole = amount / GWEI_PER_ETH;
    let fraction = amount % GWEI_PER_ETH;
    if fraction == 0 {
        format!("deposit-data-{whole}eth.json")
    } else {
        let digits = format!("{fraction:09}");
        format!(
            "deposit-data-{whole}.{}eth.json",
            digits.trim_end_matches('0')
        )
    }
}

/// Renders deposits of one amount as a deposit-cli JSON array, sorted by public key, each entry
/// with its deposit message root, deposit data root, fork version and network name.
pub fn deposit_file_json(
    deposits: &[DepositData],
    fork_version: [u8; 4],
    network_name: &str,
) -> Result<String> {
    let mut entries = Vec::with_capacity(deposits.len());
    for (i, d) in deposits.iter().enumerate() {
        let field = |name: &str| format!("deposits[{i}].{name}");
        let data = mosaic_types::DepositData {
            pubkey: mosaic_types::BlsPubkey::from_slice(&d.pubkey)
                .map_err(|e| Error::param(field("pubkey"), e.to_string()))?,
            withdrawal_credentials: mosaic_types::Root::from_slice(&d.withdrawal_credentials)
                .map_err(|e| Error::param(field("withdrawal_credentials"), e.to_string()))?,
            amount: d.amount,
            signature: mosaic_types::BlsSignature::from_slice(&d.signature)
                .map_err(|e| Error::param(field("signature"), e.to_string()))?,
        };
        let pubkey = hex::encode(&d.pubkey);
        entries.push((
            pubkey.clone(),
            GoJson::Obj(vec![
                ("pubkey", GoJson::str(pubkey)),
                (
                    "withdrawal_credentials",
                    GoJson::str(hex::encode(&d.withdrawal_credentials)),
                ),
                ("amount", GoJson::u64(d.amount)),
                ("signature", GoJson::str(hex::encode(&d.signature))),
                (
                    "deposit_message_root",
                    GoJson::str(hex::encode(data.message().root().0)),
                ),
                ("deposit_data_root", GoJson::str(hex::encode(data.root().0))),
                ("fork_version", GoJson::str(hex::encode(fork_version))),
                ("network_name", GoJson::str(network_name)),
                ("deposit_cli_version", GoJson::str(DEPOSIT_CLI_VERSION)),
            ]),
        ));
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(GoJson::Arr(entries.into_iter().map(|(_, e)| e).collect()).render())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_follow_charon() {
        assert_eq!(deposit_file_name(32_000_000_000), "deposit-data.json");
        assert_eq!(deposit_file_name(1_000_000_000), "deposit-data-1eth.json");
        assert_eq!(
            deposit_file_name(256_000_000_000),
            "deposit-data-256eth.json"
        );
        assert_eq!(deposit_file_name(1_500_000_000), "deposit-data-1.5eth.json");
        assert_eq!(
            deposit_file_name(31_000_000_001),
            "deposit-data-31.000000001eth.json"
        );
    }

    #[test]
    fn json_is_sorted_by_pubkey_and_rejects_bad_lengths() {
        let d = |first: u8| DepositData {
            pubkey: vec![first; 48],
            withdrawal_credentials: vec![1; 32],
            amount: 32_000_000_000,
            signature: vec![2; 96],
        };
        let json = deposit_file_json(&[d(9), d(3)], [0x10, 0, 0x09, 0x10], "hoodi").expect("json");
        let parsed: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
        assert_eq!(parsed[0]["pubkey"], hex::encode([3u8; 48]));
        assert_eq!(parsed[1]["pubkey"], hex::encode([9u8; 48]));
        assert_eq!(parsed[0]["fork_version"], "10000910");
        assert_eq!(parsed[0]["network_name"], "hoodi");
        assert_eq!(parsed[0]["amount"], 32_000_000_000u64);
        assert!(json.starts_with("[\n {\n  \"pubkey\": "), "{json}");
        let mut bad = d(1);
        bad.signature.pop();
        assert!(deposit_file_json(&[bad], [0; 4], "mainnet").is_err());
    }
}
