//! The trusted dealer: builds a fully signed lock in the latest version from fresh or existing
//! validator keys, as `charon create cluster` does (in memory; callers write the files).

use std::collections::BTreeMap;

use mosaic_crypto::{bls, tbls};
use zeroize::Zeroizing;

use crate::enr::new_record;
use crate::error::{Error, Result};
use crate::eth::sign;
use crate::model::{
    BuilderRegistration, Definition, DepositData, DistValidator, Lock, Operator, Registration,
    ValidatorAddresses,
};
use crate::network::create_network;
use crate::parse::{check_deposit_amounts, decode_hex, FULL_DEPOSIT_GWEI, MIN_DEPOSIT_GWEI};
use crate::timestamp::{format_rfc3339, now_unix};
use crate::version::Version;

/// Minimum cluster size `create` accepts (Charon's).
pub const MIN_NODES: u64 = 3;
/// Minimum threshold `create` accepts (Charon's).
pub const MIN_THRESHOLD: u64 = 2;
/// Charon's default target gas limit.
pub const DEFAULT_TARGET_GAS_LIMIT: u64 = 60_000_000;

/// The default threshold for `n` nodes: ⌈2n/3⌉.
pub fn default_threshold(nodes: u64) -> u64 {
    (2 * nodes).div_ceil(3)
}

/// Parameters of a trusted-dealer cluster.
#[derive(Debug)]
pub struct CreateParams {
    /// Cluster name.
    pub name: String,
    /// Number of nodes (≥ 3).
    pub nodes: u64,
    /// Threshold; `None` for ⌈2n/3⌉.
    pub threshold: Option<u64>,
    /// Number of new validators (must be 0 when `existing_keys` is given).
    pub num_validators: u64,
    /// Network name, one of `mosaic_types::KNOWN_NETWORKS` (mainnet, hoodi, sepolia, ephemery, dev).
    pub network: String,
    /// A network not among those (`network` is then not used).
    pub testnet: Option<crate::network::Testnet>,
    /// One fee recipient per validator, or one for all.
    pub fee_recipients: Vec<String>,
    /// One withdrawal address per validator, or one for all.
    pub withdrawal_addresses: Vec<String>,
    /// Partial deposit amounts in gwei (empty: one 32 ETH deposit plus Charon's 1 ETH default).
    pub deposit_amounts: Vec<u64>,
    /// Use 0x02 compounding withdrawal credentials.
    pub compounding: bool,
    /// Target gas limit for builder registrations.
    pub target_gas_limit: u64,
    /// Existing validator keys to split instead of generating new ones.
    pub existing_keys: Vec<bls::SecretKey>,
    /// Key derivation of the keystores `create_cluster_dir` writes: `Kdf::CHARON` for real
    /// clusters; cheaper parameters (e.g. `Kdf::INSECURE`) only for tests, never on mainnet.
    pub keystore_kdf: mosaic_crypto::keystore::Kdf,
}

/// Everything `build_lock` produces: the lock plus the secrets each node needs.
pub struct Dealt {
    /// The signed lock.
    pub lock: Lock,
    /// Per node (index i), its ENR private key (32 bytes, zeroized on drop).
    pub node_keys: Vec<Zeroizing<[u8; 32]>>,
    /// Per node (index i), its key share of every validator, in validator order.
    pub shares: Vec<Vec<bls::SecretKey>>,
    /// Per distinct deposit amount (ascending), the signed deposits of every validator.
    pub deposits: Vec<(u64, Vec<DepositData>)>,
    /// Warnings to show the user (e.g. a non-default threshold).
    pub warnings: Vec<String>,
}

impl std::fmt::Debug for Dealt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dealt")
            .field("lock_hash", &hex::encode(&self.lock.lock_hash))
            .finish_non_exhaustive()
    }
}

/// Applies Charon's threshold rules: returns the threshold and an optional warning.
pub fn resolve_threshold(nodes: u64, threshold: Option<u64>) -> Result<(u64, Option<String>)> {
    if nodes < MIN_NODES {
        return Err(Error::param(
            "nodes",
            format!("{nodes} nodes is below the minimum of {MIN_NODES}"),
        ));
    }
    let safe = default_threshold(nodes);
    match threshold {
        None => Ok((safe, None)),
        Some(t) if t < MIN_THRESHOLD => Err(Error::param("threshold", format!("{t} is below the minimum of {MIN_THRESHOLD}"))),
        Some(t) if t > nodes => Err(Error::param("threshold", format!("{t} exceeds the number of nodes ({nodes})"))),
        Some(t) if t != safe => Ok((
            t,
            Some(format!("non-standard threshold {t} for {nodes} nodes (safe threshold is {safe}); this affects cluster safety")),
        )),
        Some(t) => Ok((t, None)),
    }
}

fn expand_addresses(param: &str, given: &[String], n: usize, network: &str) -> Result<Vec<String>> {
    let list = match given.len() {
        1 => vec![given[0].clone(); n],
        l if l == n => given.to_vec(),
        l => {
            return Err(Error::param(
                param,
                format!("{l} addresses for {n} validators (give one, or one per validator)"),
            ))
        }
    };
    for (i, a) in list.iter().enumerate() {
        let b = decode_hex(a).map_err(|e| Error::param(format!("{param}[{i}]"), e))?;
        if b.len() != 20 || !a.starts_with("0x") {
            return Err(Error::param(
                format!("{param}[{i}]"),
                "expected a 0x-prefixed 20-byte address",
            ));
        }
        if param == "withdrawal_addresses" && network == "mainnet" && b.iter().all(|x| *x == 0) {
            return Err(Error::param(
                format!("{param}[{i}]"),
                "the zero address is not allowed on mainnet",
            ));
        }
    }
    Ok(list)
}

fn credentials(address: &str, compounding: bool) -> Result<[u8; 32]> {
    let b = decode_hex(address).map_err(|e| Error::param("withdrawal_addresses", e))?;
    let mut c = [0u8; 32];
    c[0] = if compounding { 0x02 } else { 0x01 };
    c[12..].copy_from_slice(&b);
    Ok(c)
}

/// Builds a signed lock (latest version) and the node secrets, without touching the disk.
pub fn build_lock(params: &CreateParams) -> Result<Dealt> {
    let (threshold, warning) = resolve_threshold(params.nodes, params.threshold)?;
    let network = create_network(&params.network, params.testnet.as_ref())?;
    let split = !params.existing_keys.is_empty();
    if split && params.num_validators != 0 {
        return Err(Error::param(
            "num_validators",
            "must not be set when splitting existing keys",
        ));
    }
    let num = if split {
        params.existing_keys.len() as u64
    } else {
        params.num_validators
    };
    if num == 0 {
        return Err(Error::param(
            "num_validators",
            "at least one validator is required",
        ));
    }
    check_deposit_amounts(&params.deposit_amounts, params.compounding)
        .map_err(|e| Error::param("deposit_amounts", e))?;
    let n = usize::try_from(num).map_err(|_| Error::param("num_validators", "too large"))?;
    let fees = expand_addresses("fee_recipients", &params.fee_recipients, n, &network.name)?;
    let withdrawals = expand_addresses(
        "withdrawal_addresses",
        &params.withdrawal_addresses,
        n,
        &network.name,
    )?;

    let generated: Vec<bls::SecretKey>;
    let secrets: &[bls::SecretKey] = if split {
        &params.existing_keys
    } else {
        generated = (0..n).map(|_| bls::SecretKey::random()).collect();
        &generated
    };

    let mut node_keys = Vec::new();
    let mut operators = Vec::new();
    let mut signing_keys = Vec::new();
    for _ in 0..params.nodes {
        let key = mosaic_crypto::secp256k1::SecretKey::random();
        let enr = new_record(&key).map_err(|e| Error::crypto("create ENR", e))?;
        operators.push(Operator {
            enr,
            ..Operator::default()
        });
        node_keys.push(key.to_bytes());
        signing_keys.push(key);
    }

    let mut amounts = if params.deposit_amounts.is_empty() {
        if params.compounding {
            vec![
                MIN_DEPOSIT_GWEI,
                8 * MIN_DEPOSIT_GWEI,
                FULL_DEPOSIT_GWEI,
                256 * MIN_DEPOSIT_GWEI,
            ]
        } else {
            vec![MIN_DEPOSIT_GWEI, FULL_DEPOSIT_GWEI]
        }
    } else {
        params.deposit_amounts.clone()
    };
    amounts.sort_unstable();
    amounts.dedup();

    let gas_limit = if params.target_gas_limit == 0 {
        DEFAULT_TARGET_GAS_LIMIT
    } else {
        params.target_gas_limit
    };
    // Charon: the network's genesis time for new keys, the current time for split keys (whose
    // validators may already be registered with builders at genesis time).
    let timestamp = if split {
        now_unix()
    } else {
        network.genesis_time
    };
    let fork = network.genesis_fork_version;

    let mut shares: Vec<Vec<bls::SecretKey>> = (0..params.nodes).map(|_| Vec::new()).collect();
    let mut validators = Vec::new();
    let mut deposits: Vec<(u64, Vec<DepositData>)> =
        amounts.iter().map(|a| (*a, Vec::new())).collect();
    for (i, secret) in secrets.iter().enumerate() {
        let pk = secret.public_key();
        let split_shares: BTreeMap<u64, bls::SecretKey> =
            tbls::split(secret, params.nodes, threshold)
                .map_err(|e| Error::crypto("split key", e))?;
        let pubshares = tbls::public_shares(&split_shares);
        for (idx, share) in split_shares {
            shares[(idx - 1) as usize].push(share);
        }
        let creds = credentials(&withdrawals[i], params.compounding)?;
        let mut partial = Vec::new();
        for (amount, list) in deposits.iter_mut() {
            let msg = mosaic_types::DepositMessage {
                pubkey: mosaic_types::BlsPubkey(pk.to_bytes()),
                withdrawal_credentials: mosaic_types::Root(creds),
                amount: *amount,
            };
            let sig = secret.sign(&msg.signing_root(fork).0);
            let dd = DepositData {
                pubkey: pk.to_bytes().to_vec(),
                withdrawal_credentials: creds.to_vec(),
                amount: *amount,
                signature: sig.to_bytes().to_vec(),
            };
            list.push(dd.clone());
            partial.push(dd);
        }
        let fee = decode_hex(&fees[i]).map_err(|e| Error::param("fee_recipients", e))?;
        let reg = mosaic_types::ValidatorRegistrationV1 {
            fee_recipient: mosaic_types::ExecutionAddress::from_slice(&fee)
                .map_err(|e| Error::param("fee_recipients", e.to_string()))?,
            gas_limit,
            timestamp,
            pubkey: mosaic_types::BlsPubkey(pk.to_bytes()),
        };
        let reg_sig = secret.sign(&reg.signing_root(fork).0);
        validators.push(DistValidator {
            public_key: pk.to_bytes().to_vec(),
            public_shares: pubshares.values().map(|p| p.to_bytes().to_vec()).collect(),
            partial_deposit_data: partial,
            builder_registration: BuilderRegistration {
                message: Registration {
                    fee_recipient: fee,
                    gas_limit,
                    timestamp,
                    pubkey: pk.to_bytes().to_vec(),
                },
                signature: reg_sig.to_bytes().to_vec(),
            },
        });
    }

    let definition = Definition {
        version: Version::LATEST,
        name: params.name.clone(),
        uuid: mosaic_crypto::keystore::random_uuid_v4(&mut rand::thread_rng()).to_uppercase(),
        timestamp: format_rfc3339(now_unix()),
        num_validators: num,
        threshold,
        dkg_algorithm: "default".to_string(),
        fork_version: network.genesis_fork_version.0.to_vec(),
        operators,
        creator: Default::default(),
        validator_addresses: fees
            .iter()
            .zip(&withdrawals)
            .map(|(f, w)| ValidatorAddresses {
                fee_recipient_address: f.clone(),
                withdrawal_address: w.clone(),
            })
            .collect(),
        deposit_amounts: params.deposit_amounts.clone(),
        deposit_amounts_empty_array: false,
        consensus_protocol: String::new(),
        target_gas_limit: gas_limit,
        compounding: params.compounding,
        config_hash: Vec::new(),
        definition_hash: Vec::new(),
    };
    let mut lock = Lock {
        definition,
        validators,
        signature_aggregate: Vec::new(),
        legacy_empty_aggregate_string: false,
        lock_hash: Vec::new(),
        node_signatures: Vec::new(),
    };
    lock.set_hashes()?;
    let hash: [u8; 32] = lock.compute_lock_hash()?;
    let sigs: Vec<bls::Signature> = shares.iter().flatten().map(|s| s.sign(&hash)).collect();
    // Charon aggregates validator-major: every share of validator 0, then validator 1, … (order is irrelevant to the sum).
    lock.signature_aggregate = bls::aggregate_signatures(&sigs)
        .map_err(|e| Error::crypto("aggregate", e))?
        .to_bytes()
        .to_vec();
    for key in &signing_keys {
        lock.node_signatures.push(sign(key, &hash).to_vec());
    }
    Ok(Dealt {
        lock,
        node_keys,
        shares,
        deposits,
        warnings: warning.into_iter().collect(),
    })
}
