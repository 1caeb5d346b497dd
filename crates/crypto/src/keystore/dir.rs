//! Key directories: `keystore-*.json` files, each with its password in the `.txt` file of the
//! same name (Charon's `keystore-N.json`/`keystore-N.txt`, staking-deposit-cli's
//! `keystore-m_12381_3600_I_0_0-TIMESTAMP.json` with one password file per keystore).

use std::cmp::Ordering;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use rand::RngCore;
use zeroize::Zeroizing;

use super::{Kdf, Keystore, CHARON_PATH};
use crate::{bls, Error};

/// A decrypted keystore file.
#[derive(Debug)]
pub struct KeyFile {
    /// The keystore's path.
    pub path: PathBuf,
    /// The parsed keystore.
    pub keystore: Keystore,
    /// The decrypted secret key (zeroized on drop, redacted in `Debug`).
    pub secret: bls::SecretKey,
}

/// Reads every `keystore-*.json` in `dir` with the password from its sibling `.txt` file,
/// without decrypting. Ordered by the numbers in the file names (`keystore-2` before
/// `keystore-10`), then by name. Errors name the file: unreadable or invalid JSON, a missing
/// password file, or no keystores at all.
pub fn load_dir(dir: &Path) -> Result<Vec<(PathBuf, Keystore, Zeroizing<String>)>, Error> {
    let entries = fs::read_dir(dir).map_err(|source| Error::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut paths = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| Error::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.starts_with("keystore-") && name.ends_with(".json") && entry.path().is_file() {
            paths.push(entry.path());
        }
    }
    if paths.is_empty() {
        return Err(Error::NoKeystores {
            dir: dir.to_path_buf(),
        });
    }
    paths.sort_by(|a, b| natural_cmp(&file_name(a), &file_name(b)));

    let mut out = Vec::with_capacity(paths.len());
    for path in paths {
        let text = fs::read_to_string(&path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        let keystore = Keystore::from_json(&text).map_err(|e| in_file(&path, e))?;
        let password_file = path.with_extension("txt");
        if !password_file.is_file() {
            return Err(Error::PasswordFileMissing {
                keystore: path,
                password_file,
            });
        }
        let password = fs::read_to_string(&password_file)
            .map(Zeroizing::new)
            .map_err(|source| Error::Io {
                path: password_file,
                source,
            })?;
        out.push((path, keystore, password));
    }
    Ok(out)
}

/// [`load_dir`], then decrypts every keystore. A wrong password is reported as
/// [`Error::InFile`] naming the keystore, with [`Error::WrongPassword`] as its source.
pub fn decrypt_dir(dir: &Path) -> Result<Vec<KeyFile>, Error> {
    load_dir(dir)?
        .into_iter()
        .map(|(path, keystore, password)| {
            let secret = keystore.decrypt(&password).map_err(|e| in_file(&path, e))?;
            Ok(KeyFile {
                path,
                keystore,
                secret,
            })
        })
        .collect()
}

/// Writes `secrets[i]` to `dir/keystore-i.json` with a fresh random password (32 hex
/// characters, 128 bits, as Charon writes) in `dir/keystore-i.txt`, recording Charon's path
/// `m/12381/3600/0/0/0`. Each file is written to a temporary name and renamed into place, the
/// password file first, so a keystore never appears without its password. Refuses to
/// overwrite existing files. Returns the keystore paths.
pub fn store_dir(dir: &Path, secrets: &[bls::SecretKey], kdf: Kdf) -> Result<Vec<PathBuf>, Error> {
    let mut written = Vec::with_capacity(secrets.len());
    for (index, secret) in secrets.iter().enumerate() {
        let keystore_path = dir.join(format!("keystore-{index}.json"));
        let password_path = dir.join(format!("keystore-{index}.txt"));
        for path in [&keystore_path, &password_path] {
            if path.exists() {
                return Err(Error::FileExists { path: path.clone() });
            }
        }

        let mut random = Zeroizing::new([0u8; 16]);
        rand::rngs::OsRng.fill_bytes(random.as_mut());
        let password = Zeroizing::new(hex::encode(random.as_ref()));
        let keystore = Keystore::encrypt(secret, &password, kdf, CHARON_PATH)?;

        write_atomically(&password_path, password.as_bytes(), 0o400)?;
        write_atomically(&keystore_path, keystore.to_json_pretty().as_bytes(), 0o444)?;
        written.push(keystore_path);
    }
    if let Ok(handle) = fs::File::open(dir) {
        // Persist the renames; not every platform supports syncing a directory.
        let _ = handle.sync_all();
    }
    Ok(written)
}

fn write_atomically(path: &Path, contents: &[u8], mode: u32) -> Result<(), Error> {
    let io_error = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut suffix = [0u8; 6];
    rand::rngs::OsRng.fill_bytes(&mut suffix);
    let temp = path.with_file_name(format!(".{}.tmp-{}", file_name(path), hex::encode(suffix)));

    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let result = options.open(&temp).and_then(|mut file| {
        file.write_all(contents)?;
        file.sync_all()
    });
    if let Err(source) = result.and_then(|()| fs::rename(&temp, path)) {
        let _ = fs::remove_file(&temp);
        return Err(io_error(source));
    }
    Ok(())
}

fn in_file(path: &Path, error: Error) -> Error {
    Error::InFile {
        path: path.to_path_buf(),
        source: Box::new(error),
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Compares names with digit runs as numbers: `keystore-2` < `keystore-10`.
fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    loop {
        match (a.first(), b.first()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let (da, ra) = split_digits(a);
                let (db, rb) = split_digits(b);
                let (na, nb) = (trim_zeros(da), trim_zeros(db));
                let order = na
                    .len()
                    .cmp(&nb.len())
                    .then_with(|| na.cmp(nb))
                    .then_with(|| da.len().cmp(&db.len()));
                if order != Ordering::Equal {
                    return order;
                }
                (a, b) = (ra, rb);
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(y);
                }
                (a, b) = (&a[1..], &b[1..]);
            }
        }
    }
}

fn split_digits(s: &[u8]) -> (&[u8], &[u8]) {
    let end = s
        .iter()
        .position(|c| !c.is_ascii_digit())
        .unwrap_or(s.len());
    s.split_at(end)
}

fn trim_zeros(digits: &[u8]) -> &[u8] {
    let start = digits
        .iter()
        .position(|c| *c != b'0')
        .unwrap_or(digits.len());
    &digits[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order() {
        let mut names = vec![
            "keystore-10.json",
            "keystore-2.json",
            "keystore-0.json",
            "keystore-1.json",
            "keystore-m_12381_3600_10_0_0-1700000000.json",
            "keystore-m_12381_3600_2_0_0-1700000000.json",
            "keystore-insecure-3.json",
        ];
        names.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            names,
            vec![
                "keystore-0.json",
                "keystore-1.json",
                "keystore-2.json",
                "keystore-10.json",
                "keystore-insecure-3.json",
                "keystore-m_12381_3600_2_0_0-1700000000.json",
                "keystore-m_12381_3600_10_0_0-1700000000.json",
            ]
        );
        assert_eq!(natural_cmp("a01", "a1"), Ordering::Greater);
        assert_eq!(natural_cmp("a1", "a1"), Ordering::Equal);
        assert_eq!(
            natural_cmp("a99999999999999999999999", "a100000000000000000000000"),
            Ordering::Less
        );
    }

    fn secrets(n: usize) -> Vec<bls::SecretKey> {
        (0..n).map(|_| bls::SecretKey::random()).collect()
    }

    #[test]
    fn store_then_load_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let keys = secrets(12);
        let paths = store_dir(dir.path(), &keys, Kdf::INSECURE).unwrap();
        assert_eq!(paths.len(), 12);
        let loaded = decrypt_dir(dir.path()).unwrap();
        assert_eq!(loaded.len(), 12);
        for (i, (file, key)) in loaded.iter().zip(&keys).enumerate() {
            assert_eq!(file.path, dir.path().join(format!("keystore-{i}.json")));
            assert_eq!(*file.secret.to_bytes(), *key.to_bytes());
            assert_eq!(file.keystore.path(), CHARON_PATH);
        }
        let with_passwords = load_dir(dir.path()).unwrap();
        for (_, _, password) in &with_passwords {
            assert_eq!(password.len(), 32);
            assert!(password.chars().all(|c| c.is_ascii_hexdigit()));
        }
        // No temporary files are left behind.
        let names: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 24);
        assert!(names.iter().all(|n| !n.starts_with('.')));
        // Refuses to overwrite.
        assert!(matches!(
            store_dir(dir.path(), &keys[..1], Kdf::INSECURE),
            Err(Error::FileExists { .. })
        ));
    }

    #[cfg(unix)]
    #[test]
    fn stored_files_are_read_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        store_dir(dir.path(), &secrets(1), Kdf::INSECURE).unwrap();
        let mode = |name: &str| {
            fs::metadata(dir.path().join(name))
                .unwrap()
                .permissions()
                .mode()
                & 0o777
        };
        assert_eq!(mode("keystore-0.json"), 0o444);
        assert_eq!(mode("keystore-0.txt"), 0o400);
    }

    #[test]
    fn deposit_cli_layout() {
        let dir = tempfile::tempdir().unwrap();
        let keys = secrets(2);
        for (i, key) in keys.iter().enumerate().rev() {
            let stem = format!("keystore-m_12381_3600_{i}_0_0-1700000000");
            let keystore = Keystore::encrypt(
                key,
                "secret\n",
                Kdf::INSECURE,
                &format!("m/12381/3600/{i}/0/0"),
            )
            .unwrap();
            fs::write(
                dir.path().join(format!("{stem}.json")),
                keystore.to_json_pretty(),
            )
            .unwrap();
            fs::write(dir.path().join(format!("{stem}.txt")), "secret\n").unwrap();
        }
        // Unrelated files are ignored.
        fs::write(dir.path().join("deposit_data-1700000000.json"), "[]").unwrap();
        let loaded = decrypt_dir(dir.path()).unwrap();
        assert_eq!(loaded.len(), 2);
        for (file, key) in loaded.iter().zip(&keys) {
            assert_eq!(*file.secret.to_bytes(), *key.to_bytes());
        }
    }

    #[test]
    fn errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            load_dir(dir.path()),
            Err(Error::NoKeystores { .. })
        ));
        store_dir(dir.path(), &secrets(2), Kdf::INSECURE).unwrap();

        // Wrong password in keystore-1.txt.
        let password_1 = dir.path().join("keystore-1.txt");
        fs::remove_file(&password_1).unwrap();
        fs::write(&password_1, "not the password").unwrap();
        match decrypt_dir(dir.path()) {
            Err(Error::InFile { path, source }) => {
                assert_eq!(path, dir.path().join("keystore-1.json"));
                assert!(matches!(*source, Error::WrongPassword));
                let message = Error::InFile { path, source }.to_string();
                assert!(message.contains("keystore-1.json"), "{message}");
            }
            other => panic!("unexpected {other:?}"),
        }

        // Missing password file.
        fs::remove_file(&password_1).unwrap();
        match load_dir(dir.path()) {
            Err(Error::PasswordFileMissing {
                keystore,
                password_file,
            }) => {
                assert_eq!(keystore, dir.path().join("keystore-1.json"));
                assert_eq!(password_file, password_1);
            }
            other => panic!("unexpected {other:?}"),
        }

        // Invalid JSON.
        fs::write(dir.path().join("keystore-5.json"), "{}").unwrap();
        fs::write(dir.path().join("keystore-5.txt"), "x").unwrap();
        fs::write(&password_1, "x").unwrap();
        match load_dir(dir.path()) {
            Err(Error::InFile { path, .. }) => assert_eq!(path, dir.path().join("keystore-5.json")),
            other => panic!("unexpected {other:?}"),
        }
    }
}
