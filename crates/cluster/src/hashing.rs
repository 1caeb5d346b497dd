//! Config, definition and lock hashes for every version, walking fields exactly as Charon's
//! `cluster/ssz.go` does (including the legacy layouts and the v1.6 deposit-data quirk).

use crate::error::{Error, Result};
use crate::model::{BuilderRegistration, Definition, DepositData, DistValidator, Lock};
use crate::parse::decode_hex;
use crate::ssz::HashWalker;
use crate::version::Version;
use crate::write::to_0x_hex;

const MAX_ENR: usize = 1024;
const MAX_NAME: usize = 256;
const MAX_UUID: usize = 64;
const MAX_VERSION: usize = 16;
const MAX_TIMESTAMP: usize = 32;
const MAX_DKG_ALGORITHM: usize = 32;
const MAX_OPERATORS: u64 = 256;
const MAX_VALIDATORS: u64 = 65536;
const MAX_DEPOSIT_AMOUNTS: u64 = 256;
const MAX_K1_SIGS: u64 = 32;
const K1_SIG_LEN: usize = 65;
const BLS_SIG_LEN: usize = 96;
const HASH_LEN: usize = 32;
const PUBKEY_LEN: usize = 48;
const ADDRESS_LEN: usize = 20;

/// Walk errors are plain strings; the public functions attach the field context.
type Walk = std::result::Result<(), String>;

fn address_bytes(addr: &str, field: &str) -> std::result::Result<Vec<u8>, String> {
    if addr.is_empty() {
        return Ok(Vec::new());
    }
    let b = decode_hex(addr).map_err(|e| format!("{field}: {e}"))?;
    if b.len() != ADDRESS_LEN {
        return Err(format!(
            "{field}: address must be 20 bytes, found {}",
            b.len()
        ));
    }
    Ok(b)
}

fn put_address20(h: &mut HashWalker, addr: &str, field: &str) -> Walk {
    let b = address_bytes(addr, field)?;
    h.put_bytes_n(&b, ADDRESS_LEN, field)
}

fn put_k1_sig_list(h: &mut HashWalker, sig: &[u8], field: &str) -> Walk {
    if !sig.len().is_multiple_of(K1_SIG_LEN) {
        return Err(format!(
            "{field}: {} bytes is not a multiple of 65",
            sig.len()
        ));
    }
    let num = (sig.len() / K1_SIG_LEN) as u64;
    if num > MAX_K1_SIGS {
        return Err(format!(
            "{field}: {num} signatures exceed the maximum of {MAX_K1_SIGS}"
        ));
    }
    let start = h.index();
    for s in sig.chunks(K1_SIG_LEN) {
        h.put_bytes(s);
    }
    h.merkleize_with_mixin(start, num, MAX_K1_SIGS)
}

fn put_k1_sig(h: &mut HashWalker, d: &Definition, sig: &[u8], field: &str) -> Walk {
    if d.version.has_multi_signatures() {
        put_k1_sig_list(h, sig, field)
    } else {
        h.put_bytes_n(sig, K1_SIG_LEN, field)
    }
}

/// v1.0–v1.2: strings hashed as raw bytes, lists with a capacity of their own length.
fn hash_definition_legacy(d: &Definition, h: &mut HashWalker, config_only: bool) -> Walk {
    let first = legacy_addresses(d)?;
    let start = h.index();
    h.put_bytes(d.uuid.as_bytes());
    h.put_bytes(d.name.as_bytes());
    h.put_bytes(d.version.as_str().as_bytes());
    h.put_u64(d.num_validators);
    h.put_u64(d.threshold);
    h.put_bytes(first.0.as_bytes());
    h.put_bytes(first.1.as_bytes());
    h.put_bytes(d.dkg_algorithm.as_bytes());
    h.put_bytes(to_0x_hex(&d.fork_version).as_bytes());
    let ops = h.index();
    for o in &d.operators {
        if config_only {
            h.put_bytes(o.address.as_bytes());
            continue;
        }
        let op = h.index();
        h.put_bytes(o.address.as_bytes());
        h.put_bytes(o.enr.as_bytes());
        if d.version <= Version::V1_1 {
            h.put_u64(0); // nonce
        }
        h.put_bytes(&o.config_signature);
        h.put_bytes(&o.enr_signature);
        h.merkleize(op);
    }
    let n = d.operators.len() as u64;
    h.merkleize_with_mixin(ops, n, n)?;
    if config_only {
        if !d.timestamp.is_empty() {
            h.put_bytes(d.timestamp.as_bytes());
        }
    } else if d.version != Version::V1_0 {
        h.put_bytes(d.timestamp.as_bytes());
    }
    h.merkleize(start);
    Ok(())
}

/// The single fee recipient/withdrawal pair of v1.0–v1.4 (all validators must agree).
fn legacy_addresses(d: &Definition) -> std::result::Result<(String, String), String> {
    let mut out: Option<(String, String)> = None;
    for a in &d.validator_addresses {
        let pair = (
            a.fee_recipient_address.clone(),
            a.withdrawal_address.clone(),
        );
        match &out {
            None => out = Some(pair),
            Some(p) if *p != pair => {
                return Err(format!(
                    "version {} supports a single fee recipient and withdrawal address for all validators",
                    d.version
                ))
            }
            Some(_) => {}
        }
    }
    Ok(out.unwrap_or_default())
}

fn hash_definition_v1x3_or_4(d: &Definition, h: &mut HashWalker, config_only: bool) -> Walk {
    let (fee, withdrawal) = legacy_addresses(d)?;
    let fee = address_bytes(&fee, "fee_recipient_address")?;
    let withdrawal = address_bytes(&withdrawal, "withdrawal_address")?;
    let start = h.index();
    h.put_byte_list(d.uuid.as_bytes(), MAX_UUID, "uuid")?;
    h.put_byte_list(d.name.as_bytes(), MAX_NAME, "name")?;
    h.put_byte_list(d.version.as_str().as_bytes(), MAX_VERSION, "version")?;
    h.put_byte_list(d.timestamp.as_bytes(), MAX_TIMESTAMP, "timestamp")?;
    h.put_u64(d.num_validators);
    h.put_u64(d.threshold);
    h.put_bytes(&fee);
    h.put_bytes(&withdrawal);
    h.put_byte_list(
        d.dkg_algorithm.as_bytes(),
        MAX_DKG_ALGORITHM,
        "dkg_algorithm",
    )?;
    h.put_bytes(&d.fork_version);
    let ops = h.index();
    for (i, o) in d.operators.iter().enumerate() {
        let op = h.index();
        h.put_bytes(&address_bytes(
            &o.address,
            &format!("operators[{i}].address"),
        )?);
        if !config_only {
            h.put_byte_list(o.enr.as_bytes(), MAX_ENR, "enr")?;
            h.put_bytes(&o.config_signature);
            h.put_bytes(&o.enr_signature);
        }
        h.merkleize(op);
    }
    h.merkleize_with_mixin(ops, d.operators.len() as u64, MAX_OPERATORS)?;
    if d.version != Version::V1_3 {
        let c = h.index();
        h.put_bytes(&address_bytes(&d.creator.address, "creator.address")?);
        if !config_only {
            h.put_bytes(&d.creator.config_signature);
        }
        h.merkleize(c);
    }
    if !config_only {
        h.put_bytes(&d.config_hash);
    }
    h.merkleize(start);
    Ok(())
}

/// v1.5 and later share this walk; each later version appends fields after the validators.
fn hash_definition_v1x5_or_later(d: &Definition, h: &mut HashWalker, config_only: bool) -> Walk {
    let v = d.version;
    let start = h.index();
    h.put_byte_list(d.uuid.as_bytes(), MAX_UUID, "uuid")?;
    h.put_byte_list(d.name.as_bytes(), MAX_NAME, "name")?;
    h.put_byte_list(v.as_str().as_bytes(), MAX_VERSION, "version")?;
    h.put_byte_list(d.timestamp.as_bytes(), MAX_TIMESTAMP, "timestamp")?;
    h.put_u64(d.num_validators);
    h.put_u64(d.threshold);
    h.put_byte_list(
        d.dkg_algorithm.as_bytes(),
        MAX_DKG_ALGORITHM,
        "dkg_algorithm",
    )?;
    h.put_bytes_n(&d.fork_version, 4, "fork_version")?;
    let ops = h.index();
    for (i, o) in d.operators.iter().enumerate() {
        let op = h.index();
        put_address20(h, &o.address, &format!("operators[{i}].address"))?;
        if !config_only {
            h.put_byte_list(o.enr.as_bytes(), MAX_ENR, "enr")?;
            put_k1_sig(
                h,
                d,
                &o.config_signature,
                &format!("operators[{i}].config_signature"),
            )?;
            put_k1_sig(
                h,
                d,
                &o.enr_signature,
                &format!("operators[{i}].enr_signature"),
            )?;
        }
        h.merkleize(op);
    }
    h.merkleize_with_mixin(ops, d.operators.len() as u64, MAX_OPERATORS)?;
    let c = h.index();
    put_address20(h, &d.creator.address, "creator.address")?;
    if !config_only {
        put_k1_sig(
            h,
            d,
            &d.creator.config_signature,
            "creator.config_signature",
        )?;
    }
    h.merkleize(c);
    let vals = h.index();
    for (i, a) in d.validator_addresses.iter().enumerate() {
        let vi = h.index();
        put_address20(
            h,
            &a.fee_recipient_address,
            &format!("validators[{i}].fee_recipient_address"),
        )?;
        put_address20(
            h,
            &a.withdrawal_address,
            &format!("validators[{i}].withdrawal_address"),
        )?;
        h.merkleize(vi);
    }
    h.merkleize_with_mixin(vals, d.validator_addresses.len() as u64, MAX_VALIDATORS)?;
    if v.has_partial_deposits() {
        h.put_u64_list(&d.deposit_amounts, MAX_DEPOSIT_AMOUNTS)?;
    }
    if v.has_consensus_protocol() {
        h.put_byte_list(
            d.consensus_protocol.as_bytes(),
            MAX_NAME,
            "consensus_protocol",
        )?;
    }
    if v.has_gas_limit_and_compounding() {
        h.put_u64(d.target_gas_limit);
        h.put_bool(d.compounding);
    }
    if !config_only {
        if v.has_multi_signatures() {
            // Charon writes the v1.11 config hash without a fixed length.
            h.put_bytes(&d.config_hash);
        } else {
            h.put_bytes_n(&d.config_hash, HASH_LEN, "config_hash")?;
        }
    }
    h.merkleize(start);
    Ok(())
}

fn hash_definition_into(d: &Definition, h: &mut HashWalker, config_only: bool) -> Walk {
    match d.version {
        Version::V1_0 | Version::V1_1 | Version::V1_2 => hash_definition_legacy(d, h, config_only),
        Version::V1_3 | Version::V1_4 => hash_definition_v1x3_or_4(d, h, config_only),
        _ => hash_definition_v1x5_or_later(d, h, config_only),
    }
}

fn definition_root(d: &Definition, config_only: bool) -> std::result::Result<[u8; 32], String> {
    let mut h = HashWalker::new();
    hash_definition_into(d, &mut h, config_only)?;
    h.hash_root()
}

fn hash_deposit(h: &mut HashWalker, dd: &DepositData, version: Version) -> Walk {
    if !version.has_deposit_data() {
        return Ok(());
    }
    // v1.6 forgot to close the deposit data container, so its four fields land in the validator.
    let merkleize = version != Version::V1_6;
    let start = h.index();
    h.put_bytes_n(&dd.pubkey, PUBKEY_LEN, "deposit pubkey")?;
    h.put_bytes_n(&dd.withdrawal_credentials, 32, "withdrawal_credentials")?;
    h.put_u64(dd.amount);
    h.put_bytes_n(&dd.signature, BLS_SIG_LEN, "deposit signature")?;
    if merkleize {
        h.merkleize(start);
    }
    Ok(())
}

fn hash_registration(h: &mut HashWalker, b: &BuilderRegistration, version: Version) -> Walk {
    if !version.has_builder_registration() {
        return Ok(());
    }
    let start = h.index();
    let m = h.index();
    // The fee recipient is written without a fixed length: a short value is right-padded.
    h.put_bytes(&b.message.fee_recipient);
    h.put_u64(b.message.gas_limit);
    h.put_u64(b.message.timestamp);
    h.put_bytes_n(&b.message.pubkey, PUBKEY_LEN, "registration pubkey")?;
    h.merkleize(m);
    h.put_bytes_n(&b.signature, BLS_SIG_LEN, "registration signature")?;
    h.merkleize(start);
    Ok(())
}

fn hash_pubshares(h: &mut HashWalker, dv: &DistValidator) -> Walk {
    let start = h.index();
    for s in &dv.public_shares {
        h.put_bytes_n(s, PUBKEY_LEN, "public share")?;
    }
    h.merkleize_with_mixin(start, dv.public_shares.len() as u64, MAX_OPERATORS)
}

fn hash_validator(h: &mut HashWalker, dv: &DistValidator, version: Version) -> Walk {
    let start = h.index();
    match version {
        Version::V1_0 | Version::V1_1 | Version::V1_2 => {
            h.put_bytes(to_0x_hex(&dv.public_key).as_bytes());
            let s = h.index();
            for share in &dv.public_shares {
                h.put_bytes(share);
            }
            let n = dv.public_shares.len() as u64;
            h.merkleize_with_mixin(s, n, n)?;
            // Field 2, the removed fee recipient, appends nothing.
        }
        Version::V1_3 | Version::V1_4 => {
            h.put_bytes(&dv.public_key);
            hash_pubshares(h, dv)?;
        }
        Version::V1_5 | Version::V1_6 | Version::V1_7 => {
            h.put_bytes_n(&dv.public_key, PUBKEY_LEN, "distributed_public_key")?;
            hash_pubshares(h, dv)?;
            let first = dv.partial_deposit_data.first().cloned().unwrap_or_default();
            hash_deposit(h, &first, version)?;
            hash_registration(h, &dv.builder_registration, version)?;
        }
        _ => {
            h.put_bytes_n(&dv.public_key, PUBKEY_LEN, "distributed_public_key")?;
            hash_pubshares(h, dv)?;
            let dds = h.index();
            for dd in &dv.partial_deposit_data {
                let one = h.index();
                hash_deposit(h, dd, version)?;
                h.merkleize(one);
            }
            h.merkleize_with_mixin(
                dds,
                dv.partial_deposit_data.len() as u64,
                MAX_DEPOSIT_AMOUNTS,
            )?;
            hash_registration(h, &dv.builder_registration, version)?;
        }
    }
    h.merkleize(start);
    Ok(())
}

fn lock_root(l: &Lock) -> std::result::Result<[u8; 32], String> {
    let version = l.version();
    let mut h = HashWalker::new();
    let start = h.index();
    hash_definition_into(&l.definition, &mut h, false)?;
    let vals = h.index();
    for dv in &l.validators {
        hash_validator(&mut h, dv, version)?;
    }
    let n = l.validators.len() as u64;
    let limit = if version <= Version::V1_2 {
        n
    } else {
        MAX_VALIDATORS
    };
    h.merkleize_with_mixin(vals, n, limit)?;
    h.merkleize(start);
    h.hash_root()
}

fn hash_error(field: &str, reason: String) -> Error {
    Error::Field {
        file: "(hashing)".to_string(),
        field: field.to_string(),
        reason,
    }
}

impl Definition {
    /// The config hash: every field except operator ENRs, signatures and the stored hashes.
    pub fn compute_config_hash(&self) -> Result<[u8; 32]> {
        definition_root(self, true).map_err(|e| hash_error("config_hash", e))
    }

    /// The definition hash over every field including the stored config hash.
    pub fn compute_definition_hash(&self) -> Result<[u8; 32]> {
        definition_root(self, false).map_err(|e| hash_error("definition_hash", e))
    }

    /// Recomputes and stores `config_hash` then `definition_hash`.
    pub fn set_hashes(&mut self) -> Result<()> {
        self.config_hash = self.compute_config_hash()?.to_vec();
        self.definition_hash = self.compute_definition_hash()?.to_vec();
        Ok(())
    }
}

impl Lock {
    /// The lock hash over the definition and the validators.
    pub fn compute_lock_hash(&self) -> Result<[u8; 32]> {
        lock_root(self).map_err(|e| hash_error("lock_hash", e))
    }

    /// Recomputes and stores the definition's hashes, then the lock hash.
    pub fn set_hashes(&mut self) -> Result<()> {
        self.definition.set_hashes()?;
        self.lock_hash = self.compute_lock_hash()?.to_vec();
        Ok(())
    }
}

fn mismatch(field: &str, stored: &[u8], computed: &[u8; 32]) -> crate::error::VerifyError {
    crate::error::VerifyError::HashMismatch {
        field: field.to_string(),
        stored: to_0x_hex(stored),
        computed: to_0x_hex(computed),
    }
}

fn hash_failure(field: &str, e: Error) -> crate::error::VerifyError {
    crate::error::VerifyError::invalid(field, e.to_string())
}

impl Definition {
    /// Checks the stored `config_hash` and `definition_hash` against recomputation.
    pub fn verify_hashes(&self) -> std::result::Result<(), crate::error::VerifyError> {
        self.verify_hashes_at("")
    }

    pub(crate) fn verify_hashes_at(
        &self,
        prefix: &str,
    ) -> std::result::Result<(), crate::error::VerifyError> {
        let config = self
            .compute_config_hash()
            .map_err(|e| hash_failure(&format!("{prefix}config_hash"), e))?;
        if self.config_hash != config {
            return Err(mismatch(
                &format!("{prefix}config_hash"),
                &self.config_hash,
                &config,
            ));
        }
        let def = self
            .compute_definition_hash()
            .map_err(|e| hash_failure(&format!("{prefix}definition_hash"), e))?;
        if self.definition_hash != def {
            return Err(mismatch(
                &format!("{prefix}definition_hash"),
                &self.definition_hash,
                &def,
            ));
        }
        Ok(())
    }
}

impl Lock {
    /// Checks the definition's hashes and the stored `lock_hash` against recomputation.
    pub fn verify_hashes(&self) -> std::result::Result<(), crate::error::VerifyError> {
        self.definition.verify_hashes_at("cluster_definition.")?;
        let hash = self
            .compute_lock_hash()
            .map_err(|e| hash_failure("lock_hash", e))?;
        if self.lock_hash != hash {
            return Err(mismatch("lock_hash", &self.lock_hash, &hash));
        }
        Ok(())
    }
}
