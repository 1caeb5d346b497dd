//! Reading definition and lock JSON of every version. `null` and missing fields read as empty,
//! as Charon writes `null` for empty lists. Errors name the file, the field path and the reason.

use base64::Engine as _;
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::model::{
    BuilderRegistration, Creator, Definition, DepositData, DistValidator, Lock, Operator,
    Registration, ValidatorAddresses,
};
use crate::version::Version;

/// Minimum single deposit (1 ETH) in gwei.
pub const MIN_DEPOSIT_GWEI: u64 = 1_000_000_000;
/// Full deposit (32 ETH) in gwei; also the maximum of a non-compounding deposit.
pub const FULL_DEPOSIT_GWEI: u64 = 32_000_000_000;
/// Maximum compounding deposit (2048 ETH) in gwei.
pub const MAX_COMPOUNDING_DEPOSIT_GWEI: u64 = 2_048_000_000_000;

/// Reads JSON fields of one file, naming the file in every error.
struct Reader<'a> {
    file: &'a str,
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

impl Reader<'_> {
    fn err(&self, field: &str, reason: impl Into<String>) -> Error {
        Error::field(self.file, field, reason)
    }

    fn object<'v>(&self, v: &'v Value, path: &str) -> Result<Option<&'v Map<String, Value>>> {
        match v {
            Value::Object(m) => Ok(Some(m)),
            Value::Null => Ok(None),
            other => Err(self.err(path, format!("expected an object, found {}", kind(other)))),
        }
    }

    fn child<'v>(
        &self,
        obj: &'v Map<String, Value>,
        path: &str,
        key: &str,
    ) -> Result<Option<&'v Map<String, Value>>> {
        match obj.get(key) {
            None => Ok(None),
            Some(v) => self.object(v, &join(path, key)),
        }
    }

    fn string(&self, obj: &Map<String, Value>, path: &str, key: &str) -> Result<String> {
        match obj.get(key) {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(other) => Err(self.err(
                &join(path, key),
                format!("expected a string, found {}", kind(other)),
            )),
        }
    }

    fn is_null(obj: &Map<String, Value>, key: &str) -> bool {
        matches!(obj.get(key), None | Some(Value::Null))
    }

    fn uint(&self, v: &Value, field: &str) -> Result<u64> {
        match v {
            Value::Null => Ok(0),
            Value::Number(n) => n.as_u64().ok_or_else(|| {
                self.err(
                    field,
                    format!("expected a non-negative integer that fits 64 bits, found {n}"),
                )
            }),
            other => Err(self.err(field, format!("expected a number, found {}", kind(other)))),
        }
    }

    fn u64(&self, obj: &Map<String, Value>, path: &str, key: &str) -> Result<u64> {
        obj.get(key)
            .map_or(Ok(0), |v| self.uint(v, &join(path, key)))
    }

    /// A uint64 written as a JSON string (Go's `,string` option and `Gwei`); a bare number is accepted too.
    fn u64_string(&self, v: &Value, field: &str) -> Result<u64> {
        match v {
            Value::String(s) => s.parse::<u64>().map_err(|_| {
                self.err(
                    field,
                    format!("expected a non-negative decimal integer, found {s:?}"),
                )
            }),
            other => self.uint(other, field),
        }
    }

    fn bool(&self, obj: &Map<String, Value>, path: &str, key: &str) -> Result<bool> {
        match obj.get(key) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(other) => Err(self.err(
                &join(path, key),
                format!("expected a boolean, found {}", kind(other)),
            )),
        }
    }

    fn array<'v>(&self, obj: &'v Map<String, Value>, path: &str, key: &str) -> Result<&'v [Value]> {
        match obj.get(key) {
            None | Some(Value::Null) => Ok(&[]),
            Some(Value::Array(a)) => Ok(a),
            Some(other) => Err(self.err(
                &join(path, key),
                format!("expected an array, found {}", kind(other)),
            )),
        }
    }

    fn hex_value(&self, v: &Value, field: &str) -> Result<Vec<u8>> {
        match v {
            Value::Null => Ok(Vec::new()),
            Value::String(s) => decode_hex(s).map_err(|r| self.err(field, r)),
            other => Err(self.err(
                field,
                format!("expected a 0x-hex string, found {}", kind(other)),
            )),
        }
    }

    fn hex(&self, obj: &Map<String, Value>, path: &str, key: &str) -> Result<Vec<u8>> {
        obj.get(key)
            .map_or(Ok(Vec::new()), |v| self.hex_value(v, &join(path, key)))
    }

    fn hex_len(
        &self,
        obj: &Map<String, Value>,
        path: &str,
        key: &str,
        lens: &[usize],
    ) -> Result<Vec<u8>> {
        let b = self.hex(obj, path, key)?;
        if !b.is_empty() && !lens.contains(&b.len()) {
            return Err(self.err(
                &join(path, key),
                format!("expected {lens:?} bytes, found {}", b.len()),
            ));
        }
        Ok(b)
    }

    fn base64_value(&self, v: &Value, field: &str) -> Result<Vec<u8>> {
        match v {
            Value::Null => Ok(Vec::new()),
            Value::String(s) => base64::engine::general_purpose::STANDARD
                .decode(s)
                .map_err(|e| self.err(field, format!("invalid base64: {e}"))),
            other => Err(self.err(
                field,
                format!("expected a base64 string, found {}", kind(other)),
            )),
        }
    }

    fn base64(&self, obj: &Map<String, Value>, path: &str, key: &str) -> Result<Vec<u8>> {
        obj.get(key)
            .map_or(Ok(Vec::new()), |v| self.base64_value(v, &join(path, key)))
    }

    /// An address string: empty, or `0x` followed by 20 bytes of hex.
    fn address(&self, obj: &Map<String, Value>, path: &str, key: &str) -> Result<String> {
        let s = self.string(obj, path, key)?;
        if !s.is_empty() {
            let b = decode_hex(&s).map_err(|r| self.err(&join(path, key), r))?;
            if b.len() != 20 {
                return Err(self.err(
                    &join(path, key),
                    format!("address must be 20 bytes, found {}", b.len()),
                ));
            }
        }
        Ok(s)
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Decodes hex with an optional `0x` prefix, as Charon's `ethHex` does.
pub(crate) fn decode_hex(s: &str) -> std::result::Result<Vec<u8>, String> {
    let body = s.strip_prefix("0x").unwrap_or(s);
    hex::decode(body).map_err(|e| format!("invalid hex {s:?}: {e}"))
}

fn parse_json(bytes: &[u8], file: &str) -> Result<Value> {
    serde_json::from_slice(bytes).map_err(|e| Error::Json {
        file: file.to_string(),
        reason: e.to_string(),
    })
}

fn version_of(r: &Reader<'_>, obj: &Map<String, Value>, path: &str) -> Result<Version> {
    let field = join(path, "version");
    let s = match obj.get("version") {
        Some(Value::String(s)) => s.clone(),
        None | Some(Value::Null) => return Err(r.err(&field, "missing version")),
        Some(other) => {
            return Err(r.err(&field, format!("expected a string, found {}", kind(other))))
        }
    };
    s.parse().map_err(|_| Error::UnknownVersion {
        file: r.file.to_string(),
        field,
        version: s,
    })
}

/// Checks partial deposit amounts as Charon does: each ≥ 1 ETH and ≤ the maximum, summing to ≥ 32 ETH.
pub fn check_deposit_amounts(
    amounts: &[u64],
    compounding: bool,
) -> std::result::Result<(), String> {
    if amounts.is_empty() {
        return Ok(());
    }
    let max = if compounding {
        MAX_COMPOUNDING_DEPOSIT_GWEI
    } else {
        FULL_DEPOSIT_GWEI
    };
    let mut sum: u64 = 0;
    for (i, &a) in amounts.iter().enumerate() {
        if a < MIN_DEPOSIT_GWEI {
            return Err(format!(
                "amount [{i}] = {a} gwei is below the 1 ETH minimum"
            ));
        }
        if a > max {
            return Err(format!(
                "amount [{i}] = {a} gwei exceeds the {max} gwei maximum{}",
                if compounding {
                    ""
                } else {
                    " (only compounding validators may deposit more)"
                }
            ));
        }
        sum = sum.saturating_add(a);
    }
    if sum < FULL_DEPOSIT_GWEI {
        return Err(format!("amounts sum to {sum} gwei, below 32 ETH"));
    }
    Ok(())
}

fn parse_definition_obj(
    r: &Reader<'_>,
    obj: &Map<String, Value>,
    path: &str,
) -> Result<Definition> {
    let version = version_of(r, obj, path)?;
    let num_validators = r.u64(obj, path, "num_validators")?;

    let ops_path = join(path, "operators");
    let mut operators = Vec::new();
    for (i, v) in r.array(obj, path, "operators")?.iter().enumerate() {
        let p = format!("{ops_path}[{i}]");
        let Some(o) = r.object(v, &p)? else {
            operators.push(Operator::default());
            continue;
        };
        let op = if version.is_base64_era() {
            if r.u64(o, &p, "nonce")? != 0 {
                return Err(r.err(
                    &join(&p, "nonce"),
                    "non-zero operator nonce is not supported",
                ));
            }
            Operator {
                address: r.address(o, &p, "address")?,
                enr: r.string(o, &p, "enr")?,
                config_signature: r.base64(o, &p, "config_signature")?,
                enr_signature: r.base64(o, &p, "enr_signature")?,
                legacy_empty_signature_strings: !Reader::is_null(o, "config_signature"),
            }
        } else {
            Operator {
                address: r.address(o, &p, "address")?,
                enr: r.string(o, &p, "enr")?,
                config_signature: r.hex(o, &p, "config_signature")?,
                enr_signature: r.hex(o, &p, "enr_signature")?,
                legacy_empty_signature_strings: false,
            }
        };
        operators.push(op);
    }

    let creator = if version.has_creator() {
        match r.child(obj, path, "creator")? {
            Some(c) => {
                let cp = join(path, "creator");
                Creator {
                    address: r.address(c, &cp, "address")?,
                    config_signature: r.hex(c, &cp, "config_signature")?,
                }
            }
            None => Creator::default(),
        }
    } else {
        Creator::default()
    };

    let validator_addresses = if version.has_single_addresses() {
        let pair = ValidatorAddresses {
            fee_recipient_address: r.address(obj, path, "fee_recipient_address")?,
            withdrawal_address: r.address(obj, path, "withdrawal_address")?,
        };
        let n = usize::try_from(num_validators)
            .ok()
            .filter(|n| *n <= 65536)
            .ok_or_else(|| r.err(&join(path, "num_validators"), "more than 65536 validators"))?;
        vec![pair; n]
    } else {
        let vp = join(path, "validators");
        let mut out = Vec::new();
        for (i, v) in r.array(obj, path, "validators")?.iter().enumerate() {
            let p = format!("{vp}[{i}]");
            out.push(match r.object(v, &p)? {
                Some(o) => ValidatorAddresses {
                    fee_recipient_address: r.address(o, &p, "fee_recipient_address")?,
                    withdrawal_address: r.address(o, &p, "withdrawal_address")?,
                },
                None => ValidatorAddresses::default(),
            });
        }
        if out.len() as u64 != num_validators {
            return Err(r.err(
                &vp,
                format!(
                    "{} validators listed but num_validators is {num_validators}",
                    out.len()
                ),
            ));
        }
        out
    };

    let fork_version = if version.is_base64_era() {
        let s = r.string(obj, path, "fork_version")?;
        if s.is_empty() {
            Vec::new()
        } else {
            decode_hex(&s).map_err(|e| r.err(&join(path, "fork_version"), e))?
        }
    } else {
        r.hex(obj, path, "fork_version")?
    };
    if !fork_version.is_empty() && fork_version.len() != 4 {
        return Err(r.err(
            &join(path, "fork_version"),
            format!("expected 4 bytes, found {}", fork_version.len()),
        ));
    }

    let mut deposit_amounts = Vec::new();
    let mut deposit_amounts_empty_array = false;
    if version.has_partial_deposits() {
        let dp = join(path, "deposit_amounts");
        deposit_amounts_empty_array = matches!(obj.get("deposit_amounts"), Some(Value::Array(_)));
        for (i, v) in r.array(obj, path, "deposit_amounts")?.iter().enumerate() {
            deposit_amounts.push(r.u64_string(v, &format!("{dp}[{i}]"))?);
        }
    }
    let compounding =
        version.has_gas_limit_and_compounding() && r.bool(obj, path, "compounding")?;
    if version.has_partial_deposits() {
        check_deposit_amounts(&deposit_amounts, compounding)
            .map_err(|e| r.err(&join(path, "deposit_amounts"), e))?;
    }

    let (config_hash, definition_hash) = if version.is_base64_era() {
        (
            r.base64(obj, path, "config_hash")?,
            r.base64(obj, path, "definition_hash")?,
        )
    } else {
        (
            r.hex(obj, path, "config_hash")?,
            r.hex(obj, path, "definition_hash")?,
        )
    };

    Ok(Definition {
        version,
        name: r.string(obj, path, "name")?,
        uuid: r.string(obj, path, "uuid")?,
        timestamp: r.string(obj, path, "timestamp")?,
        num_validators,
        threshold: r.u64(obj, path, "threshold")?,
        dkg_algorithm: r.string(obj, path, "dkg_algorithm")?,
        fork_version,
        operators,
        creator,
        validator_addresses,
        deposit_amounts,
        deposit_amounts_empty_array,
        consensus_protocol: if version.has_consensus_protocol() {
            r.string(obj, path, "consensus_protocol")?
        } else {
            String::new()
        },
        target_gas_limit: if version.has_gas_limit_and_compounding() {
            r.u64(obj, path, "target_gas_limit")?
        } else {
            0
        },
        compounding,
        config_hash,
        definition_hash,
    })
}

fn parse_deposit(r: &Reader<'_>, v: &Value, p: &str) -> Result<DepositData> {
    let Some(o) = r.object(v, p)? else {
        return Ok(DepositData::default());
    };
    Ok(DepositData {
        pubkey: r.hex_len(o, p, "pubkey", &[48])?,
        withdrawal_credentials: r.hex_len(o, p, "withdrawal_credentials", &[32])?,
        amount: o
            .get("amount")
            .map_or(Ok(0), |a| r.u64_string(a, &join(p, "amount")))?,
        signature: r.hex_len(o, p, "signature", &[96])?,
    })
}

fn parse_registration(
    r: &Reader<'_>,
    obj: &Map<String, Value>,
    p: &str,
) -> Result<BuilderRegistration> {
    let Some(b) = r.child(obj, p, "builder_registration")? else {
        return Ok(BuilderRegistration::default());
    };
    let bp = join(p, "builder_registration");
    let message = match r.child(b, &bp, "message")? {
        Some(m) => {
            let mp = join(&bp, "message");
            Registration {
                fee_recipient: r.hex(m, &mp, "fee_recipient")?,
                gas_limit: r.u64(m, &mp, "gas_limit")?,
                timestamp: r.u64(m, &mp, "timestamp")?,
                pubkey: r.hex_len(m, &mp, "pubkey", &[48])?,
            }
        }
        None => Registration::default(),
    };
    Ok(BuilderRegistration {
        message,
        signature: r.hex_len(b, &bp, "signature", &[96])?,
    })
}

fn parse_validator(r: &Reader<'_>, version: Version, v: &Value, p: &str) -> Result<DistValidator> {
    let Some(o) = r.object(v, p)? else {
        return Ok(DistValidator::default());
    };
    let sp = join(p, "public_shares");
    let mut public_shares = Vec::new();
    for (i, s) in r.array(o, p, "public_shares")?.iter().enumerate() {
        let f = format!("{sp}[{i}]");
        public_shares.push(if version.is_base64_era() {
            r.base64_value(s, &f)?
        } else {
            r.hex_value(s, &f)?
        });
    }
    if version <= Version::V1_5 && !r.hex(o, p, "fee_recipient_address")?.is_empty() {
        return Err(r.err(
            &join(p, "fee_recipient_address"),
            "distributed validator fee recipient is not supported",
        ));
    }
    let partial_deposit_data = if version.has_partial_deposits() {
        let dp = join(p, "partial_deposit_data");
        let mut out = Vec::new();
        for (i, d) in r.array(o, p, "partial_deposit_data")?.iter().enumerate() {
            out.push(parse_deposit(r, d, &format!("{dp}[{i}]"))?);
        }
        out
    } else if version.has_deposit_data() {
        vec![parse_deposit(
            r,
            o.get("deposit_data").unwrap_or(&Value::Null),
            &join(p, "deposit_data"),
        )?]
    } else {
        Vec::new()
    };
    let builder_registration = if version.has_builder_registration() {
        parse_registration(r, o, p)?
    } else {
        BuilderRegistration::default()
    };
    Ok(DistValidator {
        public_key: r.hex(o, p, "distributed_public_key")?,
        public_shares,
        partial_deposit_data,
        builder_registration,
    })
}

impl Definition {
    /// Parses a `cluster-definition.json` of any supported version. `file` names the source in errors.
    pub fn from_json(bytes: &[u8], file: &str) -> Result<Definition> {
        let r = Reader { file };
        let v = parse_json(bytes, file)?;
        let obj = r
            .object(&v, "")?
            .ok_or_else(|| r.err("(root)", "expected an object, found null"))?;
        parse_definition_obj(&r, obj, "")
    }
}

impl Lock {
    /// Parses a `cluster-lock.json` of any supported version. `file` names the source in errors.
    pub fn from_json(bytes: &[u8], file: &str) -> Result<Lock> {
        let r = Reader { file };
        let v = parse_json(bytes, file)?;
        let obj = r
            .object(&v, "")?
            .ok_or_else(|| r.err("(root)", "expected an object, found null"))?;
        let def_obj = r
            .child(obj, "", "cluster_definition")?
            .ok_or_else(|| r.err("cluster_definition", "missing cluster definition"))?;
        let definition = parse_definition_obj(&r, def_obj, "cluster_definition")?;
        let version = definition.version;

        let mut validators = Vec::new();
        for (i, v) in r
            .array(obj, "", "distributed_validators")?
            .iter()
            .enumerate()
        {
            validators.push(parse_validator(
                &r,
                version,
                v,
                &format!("distributed_validators[{i}]"),
            )?);
        }
        let (signature_aggregate, lock_hash) = if version.is_base64_era() {
            (
                r.base64(obj, "", "signature_aggregate")?,
                r.base64(obj, "", "lock_hash")?,
            )
        } else {
            (
                r.hex(obj, "", "signature_aggregate")?,
                r.hex(obj, "", "lock_hash")?,
            )
        };
        let mut node_signatures = Vec::new();
        if version.has_node_signatures() {
            for (i, s) in r.array(obj, "", "node_signatures")?.iter().enumerate() {
                node_signatures.push(r.hex_value(s, &format!("node_signatures[{i}]"))?);
            }
        }
        Ok(Lock {
            definition,
            validators,
            signature_aggregate,
            legacy_empty_aggregate_string: version.is_base64_era()
                && !Reader::is_null(obj, "signature_aggregate"),
            lock_hash,
            node_signatures,
        })
    }
}

impl Definition {
    /// Reads and parses a definition file.
    pub fn load(path: &std::path::Path) -> Result<Definition> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Definition::from_json(&bytes, &path.display().to_string())
    }
}

impl Lock {
    /// Reads and parses a lock file.
    pub fn load(path: &std::path::Path) -> Result<Lock> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Lock::from_json(&bytes, &path.display().to_string())
    }
}
