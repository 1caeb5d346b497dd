//! Full verification of a lock: hashes, structure, share reconstruction, the BLS signature
//! aggregate, node signatures, EIP-712 operator/creator signatures, deposit data and builder
//! registrations.

use std::collections::{BTreeMap, HashSet};

use mosaic_crypto::{bls, tbls};

use crate::enr::node_public_key;
use crate::error::VerifyError;
use crate::eth::{address_of, eip712_digest, recover, Eip712Type};
use crate::model::{Definition, DistValidator, Lock};
use crate::network::eip712_chain_id;
use crate::parse::{decode_hex, MAX_COMPOUNDING_DEPOSIT_GWEI, MIN_DEPOSIT_GWEI};
use crate::version::Version;
use crate::write::to_0x_hex;

/// Which signature groups `verify_with` checks. Hashes, structure, share reconstruction, the
/// signature aggregate and node signatures are always checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifyOptions {
    /// Check the EIP-712 creator and operator signatures (v1.3+).
    pub eip712_signatures: bool,
    /// Check each deposit data's signature, pubkey, credentials and amount (v1.6+).
    pub deposit_data: bool,
    /// Check each pre-generated builder registration (v1.7+).
    pub builder_registrations: bool,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            eip712_signatures: true,
            deposit_data: true,
            builder_registrations: true,
        }
    }
}

const DEF: &str = "cluster_definition";

fn sig_err(field: String, reason: impl Into<String>) -> VerifyError {
    VerifyError::Signature {
        field,
        reason: reason.into(),
    }
}

/// Checks `sig` (65 bytes) was made by `address` over `digest`.
fn check_eoa_signature(
    field: String,
    address: &str,
    digest: &[u8; 32],
    sig: &[u8],
) -> Result<(), VerifyError> {
    if sig.len() != 65 {
        return Err(sig_err(
            field,
            format!("{} bytes: only single 65-byte EOA signatures can be verified offline (multisig needs ERC-1271)", sig.len()),
        ));
    }
    let expected = decode_hex(address).map_err(|e| VerifyError::invalid(field.clone(), e))?;
    let key = recover(digest, sig).map_err(|e| sig_err(field.clone(), e))?;
    let actual = address_of(&key);
    if expected != actual {
        return Err(sig_err(
            field,
            format!("signed by {}, expected {address}", to_0x_hex(&actual)),
        ));
    }
    Ok(())
}

fn check_sig_length(version: Version, sig: &[u8], field: &str) -> Result<(), VerifyError> {
    if sig.is_empty() {
        return Ok(());
    }
    let ok = if version.has_multi_signatures() {
        sig.len().is_multiple_of(65) && sig.len() <= 32 * 65
    } else {
        sig.len() == 65
    };
    if ok {
        Ok(())
    } else {
        Err(sig_err(
            field.to_string(),
            format!("invalid length {} bytes", sig.len()),
        ))
    }
}

impl Definition {
    /// Verifies the creator's and operators' EIP-712 signatures as Charon does: either every
    /// operator signed (config hash and ENR) or none did, and the creator signed if any operator did.
    pub fn verify_signatures(&self) -> Result<(), VerifyError> {
        self.verify_signatures_at("")
    }

    pub(crate) fn verify_signatures_at(&self, prefix: &str) -> Result<(), VerifyError> {
        let v = self.version;
        let any_op_sig = self
            .operators
            .iter()
            .any(|o| !o.config_signature.is_empty() || !o.enr_signature.is_empty());
        if !v.supports_eip712() {
            if any_op_sig {
                return Err(sig_err(
                    format!("{prefix}operators"),
                    format!("version {v} has no EIP-712 signatures"),
                ));
            }
            return Ok(());
        }
        check_sig_length(
            v,
            &self.creator.config_signature,
            &format!("{prefix}creator.config_signature"),
        )?;
        let chain_id = || {
            eip712_chain_id(&self.fork_version, &self.timestamp)
                .map_err(|e| VerifyError::invalid(format!("{prefix}fork_version"), e))
        };
        let config_hash_hex = to_0x_hex(&self.config_hash);
        let mut unsigned = 0usize;
        for (i, o) in self.operators.iter().enumerate() {
            let p = format!("{prefix}operators[{i}]");
            if o.address.is_empty() && o.config_signature.is_empty() && o.enr_signature.is_empty() {
                unsigned += 1;
                continue;
            }
            if o.enr_signature.is_empty() {
                return Err(sig_err(format!("{p}.enr_signature"), "missing"));
            }
            if o.config_signature.is_empty() {
                return Err(sig_err(format!("{p}.config_signature"), "missing"));
            }
            check_sig_length(v, &o.config_signature, &format!("{p}.config_signature"))?;
            check_sig_length(v, &o.enr_signature, &format!("{p}.enr_signature"))?;
            let typ = if v == Version::V1_3 {
                Eip712Type::ConfigHash
            } else {
                Eip712Type::OperatorConfigHash
            };
            let chain = chain_id()?;
            check_eoa_signature(
                format!("{p}.config_signature"),
                &o.address,
                &eip712_digest(typ, &config_hash_hex, chain),
                &o.config_signature,
            )?;
            check_eoa_signature(
                format!("{p}.enr_signature"),
                &o.address,
                &eip712_digest(Eip712Type::Enr, &o.enr, chain),
                &o.enr_signature,
            )?;
        }
        if unsigned > 0 && unsigned != self.operators.len() {
            return Err(sig_err(
                format!("{prefix}operators"),
                "some operators signed while others did not",
            ));
        }
        let cp = format!("{prefix}creator.config_signature");
        if v == Version::V1_3 {
            if !self.creator.config_signature.is_empty() {
                return Err(sig_err(cp, "version v1.3.0 has no creator signature"));
            }
        } else if self.creator.address.is_empty() && self.creator.config_signature.is_empty() {
            if unsigned == 0 && !self.operators.is_empty() {
                return Err(sig_err(cp, "operators signed while the creator did not"));
            }
        } else {
            if self.creator.config_signature.is_empty() {
                return Err(sig_err(cp, "missing"));
            }
            let digest =
                eip712_digest(Eip712Type::CreatorConfigHash, &config_hash_hex, chain_id()?);
            check_eoa_signature(
                cp,
                &self.creator.address,
                &digest,
                &self.creator.config_signature,
            )?;
        }
        Ok(())
    }

    /// Structural checks: threshold in 1..=operators, no duplicate operator addresses, ENRs or node keys.
    pub fn verify_structure(&self) -> Result<(), VerifyError> {
        self.verify_structure_at("")
    }

    pub(crate) fn verify_structure_at(&self, prefix: &str) -> Result<(), VerifyError> {
        let n = self.operators.len() as u64;
        if self.threshold < 1 || self.threshold > n {
            return Err(VerifyError::invalid(
                format!("{prefix}threshold"),
                format!(
                    "threshold {} out of range 1..={n} for {n} operators",
                    self.threshold
                ),
            ));
        }
        let mut addresses = HashSet::new();
        let mut enrs = HashSet::new();
        let mut keys = HashSet::new();
        for (i, o) in self.operators.iter().enumerate() {
            let p = format!("{prefix}operators[{i}]");
            if !o.address.is_empty() && !addresses.insert(o.address.to_ascii_lowercase()) {
                return Err(VerifyError::invalid(
                    format!("{p}.address"),
                    format!("duplicate operator address {}", o.address),
                ));
            }
            if !enrs.insert(o.enr.as_str()) {
                return Err(VerifyError::invalid(format!("{p}.enr"), "duplicate ENR"));
            }
            let key =
                node_public_key(&o.enr).map_err(|e| VerifyError::invalid(format!("{p}.enr"), e))?;
            if !keys.insert(key.to_compressed()) {
                return Err(VerifyError::invalid(
                    format!("{p}.enr"),
                    "duplicate node key (same peer as an earlier operator)",
                ));
            }
        }
        Ok(())
    }
}

fn parse_share(bytes: &[u8], field: String) -> Result<bls::PublicKey, VerifyError> {
    bls::PublicKey::from_bytes(bytes)
        .map_err(|e| VerifyError::invalid(field, format!("invalid BLS public key: {e}")))
}

/// Checks the shares reconstruct `dv_key`: the first `threshold` shares, then each further share
/// substituted for the last of them, so every share is covered.
fn check_reconstruction(
    dv_key: &bls::PublicKey,
    shares: &[bls::PublicKey],
    threshold: u64,
    field: &str,
) -> Result<(), VerifyError> {
    let t = usize::try_from(threshold).unwrap_or(usize::MAX);
    let recover = |subset: BTreeMap<u64, bls::PublicKey>| {
        tbls::recover_public_key(&subset, threshold).map_err(|e| {
            VerifyError::invalid(field.to_string(), format!("cannot recover the DV key: {e}"))
        })
    };
    let base: BTreeMap<u64, bls::PublicKey> = shares
        .iter()
        .take(t)
        .enumerate()
        .map(|(i, s)| (i as u64 + 1, *s))
        .collect();
    if recover(base)? != *dv_key {
        return Err(VerifyError::invalid(
            field.to_string(),
            "public shares do not reconstruct the distributed public key",
        ));
    }
    for extra in t..shares.len() {
        let mut subset: BTreeMap<u64, bls::PublicKey> = shares
            .iter()
            .take(t - 1)
            .enumerate()
            .map(|(i, s)| (i as u64 + 1, *s))
            .collect();
        subset.insert(extra as u64 + 1, shares[extra]);
        if recover(subset)? != *dv_key {
            return Err(VerifyError::invalid(
                format!("{field}[{extra}]"),
                "public share does not lie on the distributed key's polynomial",
            ));
        }
    }
    Ok(())
}

fn withdrawal_credentials(address: &str, compounding: bool) -> Result<[u8; 32], String> {
    let addr = decode_hex(address)?;
    if addr.len() != 20 {
        return Err(format!(
            "withdrawal address must be 20 bytes, found {}",
            addr.len()
        ));
    }
    let mut creds = [0u8; 32];
    creds[0] = if compounding { 0x02 } else { 0x01 };
    creds[12..].copy_from_slice(&addr);
    Ok(creds)
}

fn fork_version4(def: &Definition) -> Result<mosaic_types::Version, VerifyError> {
    mosaic_types::Version::from_slice(&def.fork_version)
        .map_err(|e| VerifyError::invalid(format!("{DEF}.fork_version"), e.to_string()))
}

fn verify_deposits(
    l: &Lock,
    i: usize,
    dv: &DistValidator,
    key: &bls::PublicKey,
) -> Result<(), VerifyError> {
    let d = &l.definition;
    let version = d.version;
    if !version.has_deposit_data() {
        return Ok(());
    }
    let fv = fork_version4(d)?;
    let addresses = d.validator_addresses.get(i).cloned().unwrap_or_default();
    let max = if d.compounding {
        MAX_COMPOUNDING_DEPOSIT_GWEI
    } else {
        crate::parse::FULL_DEPOSIT_GWEI
    };
    let name = if version.has_partial_deposits() {
        "partial_deposit_data"
    } else {
        "deposit_data"
    };
    for (j, dd) in dv.partial_deposit_data.iter().enumerate() {
        let p = if version.has_partial_deposits() {
            format!("distributed_validators[{i}].{name}[{j}]")
        } else {
            format!("distributed_validators[{i}].{name}")
        };
        if dd.pubkey != dv.public_key {
            return Err(VerifyError::invalid(
                format!("{p}.pubkey"),
                "differs from the distributed public key",
            ));
        }
        let creds =
            withdrawal_credentials(&addresses.withdrawal_address, d.compounding).map_err(|e| {
                VerifyError::invalid(format!("{DEF}.validators[{i}].withdrawal_address"), e)
            })?;
        if dd.withdrawal_credentials != creds {
            return Err(VerifyError::invalid(
                format!("{p}.withdrawal_credentials"),
                format!(
                    "expected {} for the validator's withdrawal address",
                    to_0x_hex(&creds)
                ),
            ));
        }
        if dd.amount < MIN_DEPOSIT_GWEI || dd.amount > max {
            return Err(VerifyError::invalid(
                format!("{p}.amount"),
                format!("{} gwei outside {MIN_DEPOSIT_GWEI}..={max}", dd.amount),
            ));
        }
        let msg = mosaic_types::DepositMessage {
            pubkey: mosaic_types::BlsPubkey::from_slice(&dd.pubkey)
                .map_err(|e| VerifyError::invalid(format!("{p}.pubkey"), e.to_string()))?,
            withdrawal_credentials: mosaic_types::Root(creds),
            amount: dd.amount,
        };
        let root = msg.signing_root(fv);
        let sig = bls::Signature::from_bytes(&dd.signature)
            .map_err(|e| sig_err(format!("{p}.signature"), e.to_string()))?;
        if !sig.verify(key, &root.0) {
            return Err(sig_err(
                format!("{p}.signature"),
                "does not verify under the distributed public key",
            ));
        }
    }
    Ok(())
}

fn verify_registration(
    l: &Lock,
    i: usize,
    dv: &DistValidator,
    key: &bls::PublicKey,
) -> Result<(), VerifyError> {
    let d = &l.definition;
    let p = format!("distributed_validators[{i}].builder_registration");
    let reg = &dv.builder_registration;
    if !d.version.has_builder_registration() {
        if !reg.is_empty() {
            return Err(VerifyError::invalid(
                p,
                format!("version {} has no builder registrations", d.version),
            ));
        }
        return Ok(());
    }
    if reg.signature.is_empty()
        || reg.message.fee_recipient.is_empty()
        || reg.message.pubkey.is_empty()
    {
        return Err(VerifyError::invalid(p, "missing builder registration"));
    }
    let fee = d
        .validator_addresses
        .get(i)
        .map(|a| a.fee_recipient_address.clone())
        .unwrap_or_default();
    let fee = decode_hex(&fee).map_err(|e| {
        VerifyError::invalid(format!("{DEF}.validators[{i}].fee_recipient_address"), e)
    })?;
    if reg.message.fee_recipient != fee {
        return Err(VerifyError::invalid(
            format!("{p}.message.fee_recipient"),
            "differs from the validator's fee recipient address",
        ));
    }
    if reg.message.pubkey != dv.public_key {
        return Err(VerifyError::invalid(
            format!("{p}.message.pubkey"),
            "differs from the distributed public key",
        ));
    }
    let msg = mosaic_types::ValidatorRegistrationV1 {
        fee_recipient: mosaic_types::ExecutionAddress::from_slice(&fee).map_err(|e| {
            VerifyError::invalid(format!("{p}.message.fee_recipient"), e.to_string())
        })?,
        gas_limit: reg.message.gas_limit,
        timestamp: reg.message.timestamp,
        pubkey: mosaic_types::BlsPubkey::from_slice(&dv.public_key)
            .map_err(|e| VerifyError::invalid(format!("{p}.message.pubkey"), e.to_string()))?,
    };
    let root = msg.signing_root(fork_version4(d)?);
    let sig = bls::Signature::from_bytes(&reg.signature)
        .map_err(|e| sig_err(format!("{p}.signature"), e.to_string()))?;
    if !sig.verify(key, &root.0) {
        return Err(sig_err(
            format!("{p}.signature"),
            "does not verify under the distributed public key",
        ));
    }
    Ok(())
}

impl Lock {
    /// Verifies everything: hashes, structure, that each validator has exactly one public share per
    /// operator that Lagrange-reconstructs its DV key, the signature aggregate, node signatures,
    /// EIP-712 signatures, deposit data and builder registrations.
    pub fn verify(&self) -> Result<(), VerifyError> {
        self.verify_with(&VerifyOptions::default())
    }

    /// [`Lock::verify`] with some signature groups optionally skipped.
    pub fn verify_with(&self, opts: &VerifyOptions) -> Result<(), VerifyError> {
        let d = &self.definition;
        self.verify_hashes()?;
        d.verify_structure_at("cluster_definition.")?;
        if self.validators.len() as u64 != d.num_validators {
            return Err(VerifyError::invalid(
                "distributed_validators",
                format!(
                    "{} validators but num_validators is {}",
                    self.validators.len(),
                    d.num_validators
                ),
            ));
        }
        let mut dv_keys = HashSet::new();
        let mut all_shares = Vec::new();
        let mut keys = Vec::new();
        for (i, dv) in self.validators.iter().enumerate() {
            let p = format!("distributed_validators[{i}]");
            if dv.public_shares.len() != d.operators.len() {
                return Err(VerifyError::invalid(
                    format!("{p}.public_shares"),
                    format!(
                        "{} public shares, expected one per operator ({})",
                        dv.public_shares.len(),
                        d.operators.len()
                    ),
                ));
            }
            let key = parse_share(&dv.public_key, format!("{p}.distributed_public_key"))?;
            if !dv_keys.insert(dv.public_key.clone()) {
                return Err(VerifyError::invalid(
                    format!("{p}.distributed_public_key"),
                    "duplicate distributed public key",
                ));
            }
            let mut seen = HashSet::new();
            let mut shares = Vec::new();
            for (j, s) in dv.public_shares.iter().enumerate() {
                if !seen.insert(s.clone()) {
                    return Err(VerifyError::invalid(
                        format!("{p}.public_shares[{j}]"),
                        "duplicate public share",
                    ));
                }
                shares.push(parse_share(s, format!("{p}.public_shares[{j}]"))?);
            }
            check_reconstruction(&key, &shares, d.threshold, &format!("{p}.public_shares"))?;
            all_shares.extend(shares);
            keys.push(key);
        }
        let hash = self.lock_hash.clone();
        if self.signature_aggregate.is_empty() {
            if !d.version.is_base64_era() {
                return Err(sig_err("signature_aggregate".into(), "missing"));
            }
        } else {
            let agg = bls::Signature::from_bytes(&self.signature_aggregate)
                .map_err(|e| sig_err("signature_aggregate".into(), e.to_string()))?;
            if !bls::fast_aggregate_verify(&all_shares, &hash, &agg) {
                return Err(sig_err(
                    "signature_aggregate".into(),
                    "does not verify over the lock hash under every public share",
                ));
            }
        }
        self.verify_node_signatures()?;
        if opts.eip712_signatures {
            d.verify_signatures_at("cluster_definition.")?;
        }
        for (i, dv) in self.validators.iter().enumerate() {
            if opts.deposit_data {
                verify_deposits(self, i, dv, &keys[i])?;
            }
            if opts.builder_registrations {
                verify_registration(self, i, dv, &keys[i])?;
            }
        }
        Ok(())
    }

    /// Checks one secp256k1 node signature over the lock hash per operator, by the operator's ENR key.
    pub fn verify_node_signatures(&self) -> Result<(), VerifyError> {
        let d = &self.definition;
        if !d.version.has_node_signatures() {
            if !self.node_signatures.is_empty() {
                return Err(sig_err(
                    "node_signatures".into(),
                    format!("version {} has no node signatures", d.version),
                ));
            }
            return Ok(());
        }
        if self.node_signatures.len() != d.operators.len() {
            return Err(sig_err(
                "node_signatures".into(),
                format!(
                    "{} signatures, expected one per operator ({})",
                    self.node_signatures.len(),
                    d.operators.len()
                ),
            ));
        }
        let digest: [u8; 32] = self
            .lock_hash
            .as_slice()
            .try_into()
            .map_err(|_| VerifyError::invalid("lock_hash", "must be 32 bytes"))?;
        for (i, (sig, op)) in self.node_signatures.iter().zip(&d.operators).enumerate() {
            let field = format!("node_signatures[{i}]");
            let expected = node_public_key(&op.enr).map_err(|e| {
                VerifyError::invalid(format!("cluster_definition.operators[{i}].enr"), e)
            })?;
            let actual = recover(&digest, sig).map_err(|e| sig_err(field.clone(), e))?;
            if actual != expected {
                return Err(sig_err(field, "not signed by the operator's ENR key"));
            }
        }
        Ok(())
    }
}
