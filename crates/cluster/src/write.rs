//! Writing definition and lock JSON exactly as Charon writes the version in question
//! (`json.MarshalIndent(v, "", " ")`, per-version field sets and order, `null` for empty lists).

use base64::Engine as _;

use crate::gojson::GoJson;
use crate::model::{BuilderRegistration, Definition, DepositData, DistValidator, Lock, Operator};
use crate::version::Version;

/// `0x`-hex as Charon's `to0xHex`: the empty string for no bytes.
pub(crate) fn to_0x_hex(b: &[u8]) -> String {
    if b.is_empty() {
        String::new()
    } else {
        format!("0x{}", hex::encode(b))
    }
}

fn hex_json(b: &[u8]) -> GoJson {
    GoJson::Str(to_0x_hex(b))
}

/// A Go `[]byte` field: base64, `null` when nil.
fn base64_json(b: &[u8], empty_as_string: bool) -> GoJson {
    if b.is_empty() && !empty_as_string {
        GoJson::Null
    } else {
        GoJson::Str(base64::engine::general_purpose::STANDARD.encode(b))
    }
}

/// A Go slice built by appending: `null` when empty.
fn list_or_null(items: Vec<GoJson>) -> GoJson {
    if items.is_empty() {
        GoJson::Null
    } else {
        GoJson::Arr(items)
    }
}

fn operator_json(op: &Operator, version: Version) -> GoJson {
    let mut f = vec![
        ("address", GoJson::str(&op.address)),
        ("enr", GoJson::str(&op.enr)),
    ];
    if version.is_base64_era() {
        f.push(("nonce", GoJson::u64(0)));
        f.push((
            "config_signature",
            base64_json(&op.config_signature, op.legacy_empty_signature_strings),
        ));
        f.push((
            "enr_signature",
            base64_json(&op.enr_signature, op.legacy_empty_signature_strings),
        ));
    } else {
        f.push(("config_signature", hex_json(&op.config_signature)));
        f.push(("enr_signature", hex_json(&op.enr_signature)));
    }
    GoJson::Obj(f)
}

pub(crate) fn definition_json(d: &Definition) -> GoJson {
    let v = d.version;
    let mut f: Vec<(&'static str, GoJson)> = Vec::new();
    if !d.name.is_empty() {
        f.push(("name", GoJson::str(&d.name)));
    }
    if v.has_creator() {
        f.push((
            "creator",
            GoJson::Obj(vec![
                ("address", GoJson::str(&d.creator.address)),
                ("config_signature", hex_json(&d.creator.config_signature)),
            ]),
        ));
    }
    f.push((
        "operators",
        list_or_null(d.operators.iter().map(|o| operator_json(o, v)).collect()),
    ));
    f.push(("uuid", GoJson::str(&d.uuid)));
    f.push(("version", GoJson::str(v.as_str())));
    if !d.timestamp.is_empty() {
        f.push(("timestamp", GoJson::str(&d.timestamp)));
    }
    f.push(("num_validators", GoJson::u64(d.num_validators)));
    f.push(("threshold", GoJson::u64(d.threshold)));
    if v.has_single_addresses() {
        let first = d.validator_addresses.first().cloned().unwrap_or_default();
        if !first.fee_recipient_address.is_empty() {
            f.push((
                "fee_recipient_address",
                GoJson::str(first.fee_recipient_address),
            ));
        }
        if !first.withdrawal_address.is_empty() {
            f.push(("withdrawal_address", GoJson::str(first.withdrawal_address)));
        }
    } else {
        f.push((
            "validators",
            list_or_null(
                d.validator_addresses
                    .iter()
                    .map(|a| {
                        GoJson::Obj(vec![
                            (
                                "fee_recipient_address",
                                GoJson::str(&a.fee_recipient_address),
                            ),
                            ("withdrawal_address", GoJson::str(&a.withdrawal_address)),
                        ])
                    })
                    .collect(),
            ),
        ));
    }
    f.push(("dkg_algorithm", GoJson::str(&d.dkg_algorithm)));
    f.push(("fork_version", hex_json(&d.fork_version)));
    if v.has_partial_deposits() {
        let amounts: Vec<GoJson> = d
            .deposit_amounts
            .iter()
            .map(|a| GoJson::str(a.to_string()))
            .collect();
        f.push((
            "deposit_amounts",
            if amounts.is_empty() && !d.deposit_amounts_empty_array {
                GoJson::Null
            } else {
                GoJson::Arr(amounts)
            },
        ));
    }
    if v.has_consensus_protocol() {
        f.push(("consensus_protocol", GoJson::str(&d.consensus_protocol)));
    }
    if v.has_gas_limit_and_compounding() {
        f.push(("target_gas_limit", GoJson::u64(d.target_gas_limit)));
        f.push(("compounding", GoJson::Bool(d.compounding)));
    }
    if v.is_base64_era() {
        f.push(("config_hash", base64_json(&d.config_hash, false)));
        f.push(("definition_hash", base64_json(&d.definition_hash, false)));
    } else {
        f.push(("config_hash", hex_json(&d.config_hash)));
        f.push(("definition_hash", hex_json(&d.definition_hash)));
    }
    GoJson::Obj(f)
}

fn deposit_json(d: &DepositData) -> GoJson {
    GoJson::Obj(vec![
        ("pubkey", hex_json(&d.pubkey)),
        (
            "withdrawal_credentials",
            hex_json(&d.withdrawal_credentials),
        ),
        ("amount", GoJson::str(d.amount.to_string())),
        ("signature", hex_json(&d.signature)),
    ])
}

fn registration_json(b: &BuilderRegistration) -> GoJson {
    GoJson::Obj(vec![
        (
            "message",
            GoJson::Obj(vec![
                ("fee_recipient", hex_json(&b.message.fee_recipient)),
                ("gas_limit", GoJson::u64(b.message.gas_limit)),
                ("timestamp", GoJson::u64(b.message.timestamp)),
                ("pubkey", hex_json(&b.message.pubkey)),
            ]),
        ),
        ("signature", hex_json(&b.signature)),
    ])
}

fn validator_json(dv: &DistValidator, version: Version) -> GoJson {
    let mut f = vec![("distributed_public_key", hex_json(&dv.public_key))];
    if !dv.public_shares.is_empty() {
        let shares = dv
            .public_shares
            .iter()
            .map(|s| {
                if version.is_base64_era() {
                    base64_json(s, false)
                } else {
                    hex_json(s)
                }
            })
            .collect();
        f.push(("public_shares", GoJson::Arr(shares)));
    }
    if version.has_partial_deposits() {
        f.push((
            "builder_registration",
            registration_json(&dv.builder_registration),
        ));
        if !dv.partial_deposit_data.is_empty() {
            f.push((
                "partial_deposit_data",
                GoJson::Arr(dv.partial_deposit_data.iter().map(deposit_json).collect()),
            ));
        }
    } else if version.has_deposit_data() {
        let first = dv.partial_deposit_data.first().cloned().unwrap_or_default();
        f.push(("deposit_data", deposit_json(&first)));
        if version.has_builder_registration() {
            f.push((
                "builder_registration",
                registration_json(&dv.builder_registration),
            ));
        }
    }
    GoJson::Obj(f)
}

pub(crate) fn lock_json(l: &Lock) -> GoJson {
    let v = l.version();
    let mut f = vec![
        ("cluster_definition", definition_json(&l.definition)),
        (
            "distributed_validators",
            list_or_null(
                l.validators
                    .iter()
                    .map(|dv| validator_json(dv, v))
                    .collect(),
            ),
        ),
    ];
    if v.is_base64_era() {
        f.push((
            "signature_aggregate",
            base64_json(&l.signature_aggregate, l.legacy_empty_aggregate_string),
        ));
        f.push(("lock_hash", base64_json(&l.lock_hash, false)));
    } else {
        f.push(("signature_aggregate", hex_json(&l.signature_aggregate)));
        f.push(("lock_hash", hex_json(&l.lock_hash)));
    }
    if v.has_node_signatures() {
        f.push((
            "node_signatures",
            GoJson::Arr(l.node_signatures.iter().map(|s| hex_json(s)).collect()),
        ));
    }
    GoJson::Obj(f)
}

impl Definition {
    /// Serializes as Charon writes this definition's version (one-space indent, no trailing newline).
    pub fn to_json(&self) -> String {
        definition_json(self).render()
    }
}

impl Lock {
    /// Serializes as Charon writes this lock's version (one-space indent, no trailing newline).
    pub fn to_json(&self) -> String {
        lock_json(self).render()
    }
}
