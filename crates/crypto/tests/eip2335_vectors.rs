//! Conformance: the two EIP-2335 test keystores (eip2335/pbkdf2.json and eip2335/scrypt.json).

use mosaic_crypto::keystore::{normalize_password, Kdf, Keystore};
use mosaic_crypto::Error;

const PASSWORD: &str = "𝔱𝔢𝔰𝔱𝔭𝔞𝔰𝔰𝔴𝔬𝔯𝔡🔑";
const SECRET: &str = "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f";

fn check(file: &str, kdf: Kdf, key_path: &str) {
    let Some(path) = mosaic_test_vectors::vector_path(file) else {
        return;
    };
    let text = std::fs::read_to_string(&path).expect("readable vector");
    let keystore = Keystore::from_json(&text).expect("valid keystore");
    assert_eq!(keystore.kdf(), kdf);
    assert_eq!(keystore.path(), key_path);

    let secret = keystore
        .decrypt(PASSWORD)
        .expect("decrypts with the EIP password");
    assert_eq!(hex::encode(*secret.to_bytes()), SECRET, "{file}");
    assert_eq!(keystore.pubkey(), Some(secret.public_key()), "{file}");

    assert!(
        matches!(keystore.decrypt("testpassword"), Err(Error::WrongPassword)),
        "{file}"
    );

    // Re-serialising and re-parsing keeps every field.
    let again = Keystore::from_json(&keystore.to_json_pretty()).expect("round trip");
    assert_eq!(again, keystore);
}

#[test]
fn password_bytes_match_the_readme() {
    assert_eq!(
        hex::encode(&*normalize_password(PASSWORD)),
        "7465737470617373776f7264f09f9491"
    );
}

#[test]
fn pbkdf2_vector() {
    check(
        "eip2335/pbkdf2.json",
        Kdf::Pbkdf2 { c: 262_144 },
        "m/12381/60/0/0",
    );
}

#[test]
fn scrypt_vector() {
    check(
        "eip2335/scrypt.json",
        Kdf::Scrypt {
            n: 262_144,
            r: 8,
            p: 1,
        },
        "m/12381/60/3141592653/589793238",
    );
}
