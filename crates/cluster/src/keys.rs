//! Validator keystore directories: loading existing keys to split, and mapping crypto errors to
//! errors that name the file.

use std::collections::HashMap;
use std::path::Path;

use mosaic_crypto::bls;
use mosaic_crypto::keystore::{self, Kdf};

use crate::error::{Error, Result};

/// Why a keystore failed, as shown to the user.
fn describe(error: &mosaic_crypto::Error) -> String {
    match error {
        mosaic_crypto::Error::WrongPassword => {
            "wrong password or tampered keystore (checksum mismatch)".to_string()
        }
        other => other.to_string(),
    }
}

/// A `mosaic_crypto` keystore error as [`Error::Keystore`] naming the file (or `dir` when the
/// error concerns no single file).
pub(crate) fn keystore_error(dir: &Path, error: mosaic_crypto::Error) -> Error {
    match error {
        mosaic_crypto::Error::InFile { path, source } => Error::Keystore {
            file: path.display().to_string(),
            reason: describe(&source),
        },
        mosaic_crypto::Error::PasswordFileMissing {
            keystore,
            password_file,
        } => Error::Keystore {
            file: keystore.display().to_string(),
            reason: format!("password file {} is missing", password_file.display()),
        },
        mosaic_crypto::Error::Io { path, source } => Error::io(&path, source),
        other => Error::Keystore {
            file: dir.display().to_string(),
            reason: describe(&other),
        },
    }
}

/// Reads and decrypts every `keystore-*.json` in `dir` (password in the `.txt` beside it), in
/// file-number order (`keystore-2` before `keystore-10`), as `charon create cluster
/// --split-existing-keys` does. Refuses a wrong password or tampered keystore, a `pubkey` field
/// that does not match the decrypted key, and the same key twice; every error names the file.
pub fn load_existing_keys(dir: &Path) -> Result<Vec<bls::SecretKey>> {
    let files = keystore::load_dir(dir).map_err(|e| keystore_error(dir, e))?;
    let mut seen: HashMap<[u8; 48], String> = HashMap::new();
    let mut keys = Vec::with_capacity(files.len());
    for (path, store, password) in files {
        let file = path.display().to_string();
        let secret = store.decrypt(&password).map_err(|e| Error::Keystore {
            file: file.clone(),
            reason: describe(&e),
        })?;
        let public = secret.public_key();
        if store.pubkey().is_some_and(|p| p != public) {
            return Err(Error::Keystore {
                file,
                reason: "the `pubkey` field does not match the decrypted key".to_string(),
            });
        }
        if let Some(first) = seen.insert(public.to_bytes(), file.clone()) {
            return Err(Error::Keystore {
                file,
                reason: format!("holds the same validator key as {first}"),
            });
        }
        keys.push(secret);
    }
    Ok(keys)
}

/// Refuses keystore parameters weaker than Charon's ([`Kdf::CHARON`], 2^18 PBKDF2 iterations or
/// scrypt with n ≥ 2^18) for mainnet clusters, as Charon refuses insecure keys on mainnet.
pub(crate) fn check_kdf_for_network(kdf: Kdf, network: &str) -> Result<()> {
    const MIN_COST: u32 = 1 << 18;
    let strong = match kdf {
        Kdf::Pbkdf2 { c } => c >= MIN_COST,
        Kdf::Scrypt { n, .. } => n >= MIN_COST,
    };
    if network == "mainnet" && !strong {
        return Err(Error::param(
            "keystore_kdf",
            format!("{kdf:?} is weaker than Charon's keystores (2^18 iterations); not allowed on mainnet"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_kdf_is_refused_on_mainnet_only() {
        assert!(check_kdf_for_network(Kdf::INSECURE, "mainnet").is_err());
        assert!(check_kdf_for_network(Kdf::Pbkdf2 { c: (1 << 18) - 1 }, "mainnet").is_err());
        assert!(check_kdf_for_network(Kdf::CHARON, "mainnet").is_ok());
        assert!(check_kdf_for_network(Kdf::SCRYPT_DEFAULT, "mainnet").is_ok());
        assert!(check_kdf_for_network(Kdf::INSECURE, "hoodi").is_ok());
    }
}
