//! A readable summary of a cluster lock (`inspect`).

use std::fmt;

use crate::enr::node_public_key;
use crate::eth::address_of;
use crate::model::Lock;
use crate::network::network_name;
use crate::version::Version;
use crate::write::to_0x_hex;

const GWEI_PER_ETH: u64 = 1_000_000_000;

/// One operator of a [`LockSummary`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorSummary {
    /// Share index (1-based).
    pub share_index: u64,
    /// The node's ENR.
    pub enr: String,
    /// The Ethereum address of the ENR's secp256k1 key (0x-hex), or `None` if the ENR is invalid.
    pub peer_address: Option<String>,
    /// The operator's own (wallet) address from the definition, possibly empty.
    pub operator_address: String,
}

/// One distributed validator of a [`LockSummary`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatorSummary {
    /// Index in the lock.
    pub index: usize,
    /// Distributed public key (0x-hex).
    pub pubkey: String,
    /// Fee recipient address.
    pub fee_recipient: String,
    /// Withdrawal address.
    pub withdrawal_address: String,
    /// Amounts (gwei) of the signed deposits in the lock, in lock order.
    pub deposit_amounts: Vec<u64>,
}

/// What `inspect` shows about a lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockSummary {
    /// Cluster name.
    pub name: String,
    /// Cluster UUID.
    pub uuid: String,
    /// File version.
    pub version: Version,
    /// Definition creation time (RFC 3339, may be empty for v1.0).
    pub timestamp: String,
    /// Lock hash (0x-hex).
    pub lock_hash: String,
    /// Genesis fork version (0x-hex).
    pub fork_version: String,
    /// The network of that fork version, if known.
    pub network: Option<&'static str>,
    /// Signature threshold.
    pub threshold: u64,
    /// The operators.
    pub operators: Vec<OperatorSummary>,
    /// The distributed validators.
    pub validators: Vec<ValidatorSummary>,
    /// The definition's partial deposit amounts in gwei (empty: the 32 ETH default).
    pub deposit_amounts: Vec<u64>,
    /// Whether validators use 0x02 compounding withdrawal credentials.
    pub compounding: bool,
}

impl LockSummary {
    /// Summarises `lock` (no verification; invalid ENRs show as unknown peers).
    pub fn new(lock: &Lock) -> Self {
        let d = &lock.definition;
        let operators = d
            .operators
            .iter()
            .enumerate()
            .map(|(i, op)| OperatorSummary {
                share_index: i as u64 + 1,
                enr: op.enr.clone(),
                peer_address: node_public_key(&op.enr)
                    .ok()
                    .map(|key| to_0x_hex(&address_of(&key))),
                operator_address: op.address.clone(),
            })
            .collect();
        let validators = lock
            .validators
            .iter()
            .enumerate()
            .map(|(i, dv)| {
                let addresses = d
                    .validator_addresses
                    .get(i)
                    .or(d.validator_addresses.first())
                    .cloned()
                    .unwrap_or_default();
                ValidatorSummary {
                    index: i,
                    pubkey: to_0x_hex(&dv.public_key),
                    fee_recipient: addresses.fee_recipient_address,
                    withdrawal_address: addresses.withdrawal_address,
                    deposit_amounts: dv.partial_deposit_data.iter().map(|dd| dd.amount).collect(),
                }
            })
            .collect();
        LockSummary {
            name: d.name.clone(),
            uuid: d.uuid.clone(),
            version: d.version,
            timestamp: d.timestamp.clone(),
            lock_hash: to_0x_hex(&lock.lock_hash),
            fork_version: to_0x_hex(&d.fork_version),
            network: network_name(&d.fork_version),
            threshold: d.threshold,
            operators,
            validators,
            deposit_amounts: d.deposit_amounts.clone(),
            compounding: d.compounding,
        }
    }
}

/// `1`, `1.5`, `32` (ETH) from gwei.
fn eth(gwei: u64) -> String {
    let fraction = gwei % GWEI_PER_ETH;
    if fraction == 0 {
        format!("{}", gwei / GWEI_PER_ETH)
    } else {
        let digits = format!("{fraction:09}");
        format!("{}.{}", gwei / GWEI_PER_ETH, digits.trim_end_matches('0'))
    }
}

fn eth_list(amounts: &[u64]) -> String {
    amounts
        .iter()
        .map(|a| format!("{} ETH", eth(*a)))
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for LockSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Cluster:      {}", self.name)?;
        writeln!(f, "UUID:         {}", self.uuid)?;
        writeln!(f, "Version:      {}", self.version)?;
        if !self.timestamp.is_empty() {
            writeln!(f, "Created:      {}", self.timestamp)?;
        }
        writeln!(f, "Lock hash:    {}", self.lock_hash)?;
        writeln!(
            f,
            "Network:      {} (fork version {})",
            self.network.unwrap_or("unknown"),
            self.fork_version
        )?;
        writeln!(
            f,
            "Threshold:    {} of {} operators",
            self.threshold,
            self.operators.len()
        )?;
        let deposits = if self.deposit_amounts.is_empty() {
            "32 ETH (default)".to_string()
        } else {
            eth_list(&self.deposit_amounts)
        };
        writeln!(
            f,
            "Deposits:     {deposits}{}",
            if self.compounding {
                " (compounding 0x02 credentials)"
            } else {
                ""
            }
        )?;
        writeln!(f, "Operators:")?;
        for op in &self.operators {
            writeln!(
                f,
                "  [{}] peer {}",
                op.share_index,
                op.peer_address.as_deref().unwrap_or("<invalid ENR>")
            )?;
            if !op.operator_address.is_empty() {
                writeln!(f, "      operator {}", op.operator_address)?;
            }
            writeln!(f, "      {}", op.enr)?;
        }
        writeln!(f, "Validators:   {}", self.validators.len())?;
        for v in &self.validators {
            writeln!(f, "  [{}] {}", v.index, v.pubkey)?;
            writeln!(f, "      fee recipient      {}", v.fee_recipient)?;
            writeln!(f, "      withdrawal address {}", v.withdrawal_address)?;
            if !v.deposit_amounts.is_empty() {
                writeln!(
                    f,
                    "      signed deposits    {}",
                    eth_list(&v.deposit_amounts)
                )?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eth_amounts() {
        assert_eq!(eth(32_000_000_000), "32");
        assert_eq!(eth(1_500_000_000), "1.5");
        assert_eq!(eth_list(&[1_000_000_000, 31_000_000_000]), "1 ETH, 31 ETH");
    }
}
