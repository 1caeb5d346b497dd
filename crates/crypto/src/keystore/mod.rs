//! EIP-2335 BLS keystores (version 4): PBKDF2-HMAC-SHA256 or scrypt key derivation, AES-128-CTR
//! encryption, SHA-256 checksum, and the key-directory layouts of Charon
//! (`keystore-N.json` + `keystore-N.txt`) and staking-deposit-cli.

mod dir;

use std::fmt;

use aes::Aes128;
use ctr::cipher::{KeyIvInit, StreamCipher};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

use crate::bls;
use crate::Error;

pub use dir::{decrypt_dir, load_dir, store_dir, KeyFile};

/// The only keystore version this module reads and writes.
pub const VERSION: u32 = 4;
/// EIP-2334 path Charon writes into its keystores.
pub const CHARON_PATH: &str = "m/12381/3600/0/0/0";

const DERIVED_KEY_LEN: usize = 32;
const SALT_LEN: usize = 32;
const IV_LEN: usize = 16;

/// Key-derivation function and parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kdf {
    /// PBKDF2 with HMAC-SHA256 and `c` iterations.
    Pbkdf2 {
        /// Iteration count.
        c: u32,
    },
    /// scrypt with cost `n` (a power of two), block size `r` and parallelism `p`.
    Scrypt {
        /// CPU/memory cost, a power of two greater than 1.
        n: u32,
        /// Block size.
        r: u32,
        /// Parallelism.
        p: u32,
    },
}

impl Kdf {
    /// What Charon writes: PBKDF2 with 2^18 iterations.
    pub const CHARON: Kdf = Kdf::Pbkdf2 { c: 1 << 18 };
    /// The scrypt parameters of EIP-2335 and staking-deposit-cli: n = 2^18, r = 8, p = 1.
    pub const SCRYPT_DEFAULT: Kdf = Kdf::Scrypt {
        n: 1 << 18,
        r: 8,
        p: 1,
    };
    /// Cheap parameters (PBKDF2, 16 iterations) as Charon's "insecure" keystores use: only for
    /// tests and throwaway clusters.
    pub const INSECURE: Kdf = Kdf::Pbkdf2 { c: 16 };

    fn derive(&self, password: &[u8], salt: &[u8]) -> Result<Zeroizing<[u8; 32]>, Error> {
        let mut key = Zeroizing::new([0u8; DERIVED_KEY_LEN]);
        match *self {
            Kdf::Pbkdf2 { c } => pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, c, key.as_mut()),
            Kdf::Scrypt { n, r, p } => {
                let params = scrypt_params(n, r, p)?;
                scrypt::scrypt(password, salt, &params, key.as_mut()).map_err(|_| {
                    Error::KeystoreParam {
                        field: "crypto.kdf.params.dklen",
                        reason: "scrypt rejected the output length".into(),
                    }
                })?;
            }
        }
        Ok(key)
    }

    fn to_module(self, salt: &[u8]) -> Module {
        let mut params = Map::new();
        params.insert("dklen".into(), Value::from(DERIVED_KEY_LEN));
        match self {
            Kdf::Pbkdf2 { c } => {
                params.insert("c".into(), Value::from(c));
                params.insert("prf".into(), Value::from("hmac-sha256"));
            }
            Kdf::Scrypt { n, r, p } => {
                params.insert("n".into(), Value::from(n));
                params.insert("r".into(), Value::from(r));
                params.insert("p".into(), Value::from(p));
            }
        }
        params.insert("salt".into(), Value::from(hex::encode(salt)));
        Module {
            function: match self {
                Kdf::Pbkdf2 { .. } => "pbkdf2",
                Kdf::Scrypt { .. } => "scrypt",
            }
            .into(),
            params,
            message: String::new(),
        }
    }
}

fn scrypt_params(n: u32, r: u32, p: u32) -> Result<scrypt::Params, Error> {
    if n < 2 || !n.is_power_of_two() {
        return Err(Error::KeystoreParam {
            field: "crypto.kdf.params.n",
            reason: format!("{n} is not a power of two greater than 1"),
        });
    }
    let log_n = n.trailing_zeros() as u8;
    scrypt::Params::new(log_n, r, p, DERIVED_KEY_LEN).map_err(|_| Error::KeystoreParam {
        field: "crypto.kdf.params",
        reason: format!("invalid scrypt parameters n={n}, r={r}, p={p}"),
    })
}

/// One EIP-2335 module: `{"function", "params", "message"}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Module {
    function: String,
    #[serde(default)]
    params: Map<String, Value>,
    #[serde(default)]
    message: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct CryptoSection {
    kdf: Module,
    checksum: Module,
    cipher: Module,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct KeystoreJson {
    crypto: CryptoSection,
    #[serde(default)]
    description: String,
    #[serde(default)]
    pubkey: String,
    #[serde(default)]
    path: String,
    uuid: String,
    version: u32,
}

/// An EIP-2335 keystore (version 4), validated on parsing: its KDF, checksum and cipher are
/// supported and their parameters well formed. Contains only ciphertext, so `Debug` is safe.
#[derive(Clone, PartialEq)]
pub struct Keystore {
    json: KeystoreJson,
    kdf: Kdf,
    salt: Vec<u8>,
    checksum: [u8; 32],
    iv: [u8; IV_LEN],
    ciphertext: Vec<u8>,
}

impl Keystore {
    /// Encrypts `secret` under `password` (normalised per EIP-2335) with fresh random salt, IV
    /// and UUID; `path` is the EIP-2334 derivation path to record (may be empty).
    pub fn encrypt(
        secret: &bls::SecretKey,
        password: &str,
        kdf: Kdf,
        path: &str,
    ) -> Result<Self, Error> {
        let mut rng = rand::rngs::OsRng;
        let mut salt = [0u8; SALT_LEN];
        rng.fill_bytes(&mut salt);
        let mut iv = [0u8; IV_LEN];
        rng.fill_bytes(&mut iv);

        let key = kdf.derive(&normalize_password(password), &salt)?;
        let mut ciphertext = secret.to_bytes().to_vec();
        apply_aes_128_ctr(&key, &iv, &mut ciphertext);
        let checksum = checksum(&key, &ciphertext);

        let json = KeystoreJson {
            crypto: CryptoSection {
                kdf: kdf.to_module(&salt),
                checksum: Module {
                    function: "sha256".into(),
                    params: Map::new(),
                    message: hex::encode(checksum),
                },
                cipher: Module {
                    function: "aes-128-ctr".into(),
                    params: [("iv".to_string(), Value::from(hex::encode(iv)))]
                        .into_iter()
                        .collect(),
                    message: hex::encode(&ciphertext),
                },
            },
            description: String::new(),
            pubkey: hex::encode(secret.public_key().to_bytes()),
            path: path.into(),
            uuid: random_uuid_v4(&mut rng),
            version: VERSION,
        };
        Ok(Self {
            json,
            kdf,
            salt: salt.to_vec(),
            checksum,
            iv,
            ciphertext,
        })
    }

    /// Decrypts the secret key. A wrong password is reported as [`Error::WrongPassword`].
    pub fn decrypt(&self, password: &str) -> Result<bls::SecretKey, Error> {
        let key = self.kdf.derive(&normalize_password(password), &self.salt)?;
        let expected = checksum(&key, &self.ciphertext);
        if !constant_time_eq(&expected, &self.checksum) {
            return Err(Error::WrongPassword);
        }
        let mut plaintext = Zeroizing::new(self.ciphertext.clone());
        apply_aes_128_ctr(&key, &self.iv, &mut plaintext);
        bls::SecretKey::from_bytes(&plaintext)
    }

    /// Parses and validates keystore JSON.
    pub fn from_json(text: &str) -> Result<Self, Error> {
        let json: KeystoreJson = serde_json::from_str(text).map_err(|e| Error::KeystoreJson {
            reason: e.to_string(),
        })?;
        Self::from_parsed(json)
    }

    /// Pretty-printed JSON (the layout Charon and deposit-cli write).
    pub fn to_json_pretty(&self) -> String {
        // Serialising plain strings, numbers and maps cannot fail.
        serde_json::to_string_pretty(&self.json)
            .unwrap_or_else(|_| unreachable!("keystore JSON serialisation is infallible"))
    }

    /// The `pubkey` field as a validated BLS public key; `None` if absent or invalid.
    pub fn pubkey(&self) -> Option<bls::PublicKey> {
        bls::PublicKey::from_hex(&self.json.pubkey).ok()
    }

    /// The `path` field (EIP-2334 derivation path, possibly empty).
    pub fn path(&self) -> &str {
        &self.json.path
    }

    /// The `uuid` field.
    pub fn uuid(&self) -> &str {
        &self.json.uuid
    }

    /// The `description` field.
    pub fn description(&self) -> &str {
        &self.json.description
    }

    /// The key-derivation function and its parameters.
    pub fn kdf(&self) -> Kdf {
        self.kdf
    }

    fn from_parsed(json: KeystoreJson) -> Result<Self, Error> {
        if json.version != VERSION {
            return Err(Error::KeystoreUnsupported {
                field: "version",
                value: json.version.to_string(),
            });
        }
        let crypto = &json.crypto;

        let kdf_params = &crypto.kdf.params;
        let dklen = param_u32(kdf_params, "crypto.kdf.params.dklen", "dklen")?;
        if dklen as usize != DERIVED_KEY_LEN {
            return Err(Error::KeystoreParam {
                field: "crypto.kdf.params.dklen",
                reason: format!("must be {DERIVED_KEY_LEN}, got {dklen}"),
            });
        }
        let kdf = match crypto.kdf.function.as_str() {
            "pbkdf2" => {
                let prf = kdf_params
                    .get("prf")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                if prf != "hmac-sha256" {
                    return Err(Error::KeystoreUnsupported {
                        field: "crypto.kdf.params.prf",
                        value: prf.into(),
                    });
                }
                let c = param_u32(kdf_params, "crypto.kdf.params.c", "c")?;
                if c == 0 {
                    return Err(Error::KeystoreParam {
                        field: "crypto.kdf.params.c",
                        reason: "must be at least 1".into(),
                    });
                }
                Kdf::Pbkdf2 { c }
            }
            "scrypt" => {
                let n = param_u32(kdf_params, "crypto.kdf.params.n", "n")?;
                let r = param_u32(kdf_params, "crypto.kdf.params.r", "r")?;
                let p = param_u32(kdf_params, "crypto.kdf.params.p", "p")?;
                scrypt_params(n, r, p)?;
                Kdf::Scrypt { n, r, p }
            }
            other => {
                return Err(Error::KeystoreUnsupported {
                    field: "crypto.kdf.function",
                    value: other.into(),
                })
            }
        };
        let salt = param_hex(kdf_params, "crypto.kdf.params.salt", "salt")?;

        if crypto.checksum.function != "sha256" {
            return Err(Error::KeystoreUnsupported {
                field: "crypto.checksum.function",
                value: crypto.checksum.function.clone(),
            });
        }
        let checksum: [u8; 32] = fixed_hex(&crypto.checksum.message, "crypto.checksum.message")?;

        if crypto.cipher.function != "aes-128-ctr" {
            return Err(Error::KeystoreUnsupported {
                field: "crypto.cipher.function",
                value: crypto.cipher.function.clone(),
            });
        }
        let iv_hex = crypto
            .cipher
            .params
            .get("iv")
            .and_then(Value::as_str)
            .ok_or(Error::KeystoreParam {
                field: "crypto.cipher.params.iv",
                reason: "missing or not a string".into(),
            })?;
        let iv: [u8; IV_LEN] = fixed_hex(iv_hex, "crypto.cipher.params.iv")?;
        let ciphertext = hex::decode(&crypto.cipher.message).map_err(|e| Error::KeystoreParam {
            field: "crypto.cipher.message",
            reason: format!("not hex: {e}"),
        })?;
        if ciphertext.len() != bls::SECRET_KEY_LEN {
            return Err(Error::KeystoreParam {
                field: "crypto.cipher.message",
                reason: format!("a BLS secret key is 32 bytes, got {}", ciphertext.len()),
            });
        }

        Ok(Self {
            json,
            kdf,
            salt,
            checksum,
            iv,
            ciphertext,
        })
    }
}

impl fmt::Debug for Keystore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keystore")
            .field("pubkey", &self.json.pubkey)
            .field("path", &self.json.path)
            .field("uuid", &self.json.uuid)
            .field("kdf", &self.kdf)
            .finish_non_exhaustive()
    }
}

/// EIP-2335 password normalisation: NFKD, then drop C0 (U+0000–U+001F), DEL (U+007F) and C1
/// (U+0080–U+009F) control characters; returns the UTF-8 bytes.
pub fn normalize_password(password: &str) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(password.len()));
    let mut buf = [0u8; 4];
    for c in password.nfkd() {
        let code = c as u32;
        if code <= 0x1f || code == 0x7f || (0x80..=0x9f).contains(&code) {
            continue;
        }
        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
    }
    out
}

fn apply_aes_128_ctr(derived_key: &[u8; 32], iv: &[u8; IV_LEN], data: &mut [u8]) {
    let mut cipher = ctr::Ctr128BE::<Aes128>::new(derived_key[..16].into(), iv.into());
    cipher.apply_keystream(data);
}

fn checksum(derived_key: &[u8; 32], ciphertext: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(&derived_key[16..32]);
    hasher.update(ciphertext);
    hasher.finalize().into()
}

fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A random RFC 4122 version-4 UUID in lower-case hex (`xxxxxxxx-xxxx-4xxx-Nxxx-xxxxxxxxxxxx`),
/// as keystores carry; cluster definitions use the same form upper-cased.
pub fn random_uuid_v4<R: RngCore>(rng: &mut R) -> String {
    let mut b = [0u8; 16];
    rng.fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

fn param_u32(params: &Map<String, Value>, field: &'static str, key: &str) -> Result<u32, Error> {
    params
        .get(key)
        .and_then(Value::as_u64)
        .and_then(|v| u32::try_from(v).ok())
        .ok_or(Error::KeystoreParam {
            field,
            reason: "missing or not an unsigned 32-bit integer".into(),
        })
}

fn param_hex(
    params: &Map<String, Value>,
    field: &'static str,
    key: &str,
) -> Result<Vec<u8>, Error> {
    let text = params
        .get(key)
        .and_then(Value::as_str)
        .ok_or(Error::KeystoreParam {
            field,
            reason: "missing or not a string".into(),
        })?;
    hex::decode(text).map_err(|e| Error::KeystoreParam {
        field,
        reason: format!("not hex: {e}"),
    })
}

fn fixed_hex<const N: usize>(text: &str, field: &'static str) -> Result<[u8; N], Error> {
    let bytes = hex::decode(text).map_err(|e| Error::KeystoreParam {
        field,
        reason: format!("not hex: {e}"),
    })?;
    bytes.try_into().map_err(|b: Vec<u8>| Error::KeystoreParam {
        field,
        reason: format!("expected {N} bytes, got {}", b.len()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (bls::SecretKey, Keystore) {
        let secret = bls::SecretKey::random();
        let keystore = Keystore::encrypt(&secret, "pässword", Kdf::INSECURE, CHARON_PATH).unwrap();
        (secret, keystore)
    }

    type Edit = Box<dyn Fn(&mut Value)>;

    fn edit(keystore: &Keystore, change: impl FnOnce(&mut Value)) -> String {
        let mut value: Value = serde_json::from_str(&keystore.to_json_pretty()).unwrap();
        change(&mut value);
        value.to_string()
    }

    #[test]
    fn password_normalisation() {
        assert_eq!(
            hex::encode(&*normalize_password("𝔱𝔢𝔰𝔱𝔭𝔞𝔰𝔰𝔴𝔬𝔯𝔡🔑")),
            "7465737470617373776f7264f09f9491"
        );
        // C0, DEL and C1 are stripped; the characters just outside those ranges are kept.
        assert_eq!(
            &*normalize_password("a\u{0}\u{1f}b\u{7f}c\u{80}\u{9f}d\n"),
            b"abcd"
        );
        assert_eq!(&*normalize_password(" ~\u{a0}"), " ~ ".as_bytes()); // NFKD maps NBSP to space
        assert_eq!(
            &*normalize_password("\u{20}\u{7e}\u{a1}"),
            "\u{20}\u{7e}\u{a1}".as_bytes()
        );
        // NFKD decomposes é into e + combining acute.
        assert_eq!(&*normalize_password("é"), "e\u{301}".as_bytes());
    }

    #[test]
    fn round_trip_pbkdf2_and_scrypt() {
        let secret = bls::SecretKey::random();
        for kdf in [Kdf::INSECURE, Kdf::Scrypt { n: 16, r: 8, p: 1 }] {
            let keystore = Keystore::encrypt(&secret, "pw", kdf, "m/12381/3600/1/0/0").unwrap();
            let parsed = Keystore::from_json(&keystore.to_json_pretty()).unwrap();
            assert_eq!(parsed, keystore);
            assert_eq!(parsed.kdf(), kdf);
            assert_eq!(
                *parsed.decrypt("pw").unwrap().to_bytes(),
                *secret.to_bytes()
            );
            assert_eq!(parsed.pubkey(), Some(secret.public_key()));
            assert_eq!(parsed.path(), "m/12381/3600/1/0/0");
            // Control characters do not change the derived key.
            assert!(parsed.decrypt("p\u{7f}w\n").is_ok());
        }
    }

    #[test]
    fn uuid_is_version_4() {
        let (_, keystore) = sample();
        let uuid = keystore.uuid();
        assert_eq!(uuid.len(), 36);
        assert_eq!(&uuid[14..15], "4");
        assert!(matches!(&uuid[19..20], "8" | "9" | "a" | "b"));
        assert_ne!(uuid, sample().1.uuid());
    }

    #[test]
    fn wrong_password_is_named() {
        let (_, keystore) = sample();
        assert!(matches!(
            keystore.decrypt("password"),
            Err(Error::WrongPassword)
        ));
        assert!(keystore.decrypt("pässword").is_ok());
    }

    #[test]
    fn tampered_ciphertext_fails_checksum() {
        let (_, keystore) = sample();
        let mut message = keystore.json.crypto.cipher.message.clone();
        let flipped = if message.starts_with('0') { "1" } else { "0" };
        message.replace_range(..1, flipped);
        let text = edit(&keystore, |v| {
            v["crypto"]["cipher"]["message"] = Value::from(message)
        });
        let tampered = Keystore::from_json(&text).unwrap();
        assert!(matches!(
            tampered.decrypt("pässword"),
            Err(Error::WrongPassword)
        ));
    }

    #[test]
    fn unsupported_fields_are_named() {
        let (_, keystore) = sample();
        let cases: Vec<(&str, Edit)> = vec![
            ("version", Box::new(|v| v["version"] = Value::from(3))),
            (
                "crypto.kdf.function",
                Box::new(|v| v["crypto"]["kdf"]["function"] = "argon2".into()),
            ),
            (
                "crypto.kdf.params.prf",
                Box::new(|v| v["crypto"]["kdf"]["params"]["prf"] = "hmac-sha512".into()),
            ),
            (
                "crypto.cipher.function",
                Box::new(|v| v["crypto"]["cipher"]["function"] = "aes-256-gcm".into()),
            ),
            (
                "crypto.checksum.function",
                Box::new(|v| v["crypto"]["checksum"]["function"] = "sha512".into()),
            ),
        ];
        for (field, change) in cases {
            match Keystore::from_json(&edit(&keystore, change)) {
                Err(Error::KeystoreUnsupported { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{field}: unexpected {other:?}"),
            }
        }
    }

    #[test]
    fn malformed_params_are_named() {
        let (_, keystore) = sample();
        let cases: Vec<(&str, Edit)> = vec![
            (
                "crypto.kdf.params.dklen",
                Box::new(|v| v["crypto"]["kdf"]["params"]["dklen"] = 16.into()),
            ),
            (
                "crypto.kdf.params.c",
                Box::new(|v| v["crypto"]["kdf"]["params"]["c"] = 0.into()),
            ),
            (
                "crypto.kdf.params.salt",
                Box::new(|v| v["crypto"]["kdf"]["params"]["salt"] = "xyz".into()),
            ),
            (
                "crypto.cipher.params.iv",
                Box::new(|v| v["crypto"]["cipher"]["params"]["iv"] = "00".into()),
            ),
            (
                "crypto.checksum.message",
                Box::new(|v| v["crypto"]["checksum"]["message"] = "00".into()),
            ),
            (
                "crypto.cipher.message",
                Box::new(|v| v["crypto"]["cipher"]["message"] = "00".into()),
            ),
        ];
        for (field, change) in cases {
            match Keystore::from_json(&edit(&keystore, change)) {
                Err(Error::KeystoreParam { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{field}: unexpected {other:?}"),
            }
        }
        // scrypt n must be a power of two above 1.
        let scrypt = Keystore::encrypt(
            &bls::SecretKey::random(),
            "x",
            Kdf::Scrypt { n: 4, r: 1, p: 1 },
            "",
        )
        .unwrap();
        for bad_n in [0u32, 1, 6] {
            let text = edit(&scrypt, |v| {
                v["crypto"]["kdf"]["params"]["n"] = bad_n.into()
            });
            assert!(matches!(
                Keystore::from_json(&text),
                Err(Error::KeystoreParam {
                    field: "crypto.kdf.params.n",
                    ..
                })
            ));
        }
        // One step inside: c = 1 and n = 2 parse.
        assert!(Keystore::from_json(
            &edit(&keystore, |v| v["crypto"]["kdf"]["params"]["c"] = 1.into())
        )
        .is_ok());
        assert!(Keystore::from_json(
            &edit(&scrypt, |v| v["crypto"]["kdf"]["params"]["n"] = 2.into())
        )
        .is_ok());
        assert!(matches!(
            Keystore::from_json("{"),
            Err(Error::KeystoreJson { .. })
        ));
    }

    #[test]
    fn debug_shows_no_ciphertext() {
        let (_, keystore) = sample();
        let shown = format!("{keystore:?}");
        assert!(!shown.contains(&keystore.json.crypto.cipher.message));
        assert!(shown.contains(&keystore.json.pubkey));
    }
}
