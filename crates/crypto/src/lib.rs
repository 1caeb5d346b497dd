//! Cryptography for Mosaic: secp256k1 (Charon's 65-byte recoverable signatures), BLS12-381 and
//! threshold BLS over blst, and EIP-2335 keystores.
//!
//! Every secret lives in a type that zeroizes on drop and whose `Debug` prints nothing secret.

pub mod bls;
mod error;
mod field;
mod fixed_base;
mod hashed;
mod hexutil;
pub mod keystore;
pub mod memo;
mod msm;
pub mod secp256k1;
mod signed_here;
pub mod tbls;

pub use error::Error;

#[cfg(test)]
mod secret_hygiene_tests {
    use std::collections::BTreeMap;

    use zeroize::ZeroizeOnDrop;

    use crate::keystore::{Kdf, KeyFile, Keystore};
    use crate::{bls, secp256k1, tbls};

    fn assert_zeroize_on_drop<T: ZeroizeOnDrop>() {}

    #[test]
    fn secret_types_zeroize_on_drop() {
        assert_zeroize_on_drop::<bls::SecretKey>();
        assert_zeroize_on_drop::<secp256k1::SecretKey>();
        // The libsecp256k1 key inside is overwritten by our Drop impl.
        assert!(std::mem::needs_drop::<secp256k1::SecretKey>());
        // blst's key is plain data apart from its zeroizing Drop impl, so needing drop proves
        // that impl exists in the blst version we build against.
        assert!(std::mem::needs_drop::<blst::min_pk::SecretKey>());
        assert!(std::mem::needs_drop::<crate::field::Fr>());
    }

    /// Every way of formatting a value holding secrets hides the secret bytes.
    fn assert_hidden(shown: &str, secrets: &[String]) {
        for secret in secrets {
            assert!(!shown.contains(secret.as_str()), "{shown} leaks a secret");
            assert!(
                !shown.contains(&secret[..12]),
                "{shown} leaks a secret prefix"
            );
        }
    }

    #[test]
    fn formatting_never_shows_secret_hex() {
        let bls_key = bls::SecretKey::random();
        let k1_key = secp256k1::SecretKey::random();
        let shares = tbls::split(&bls_key, 4, 3).unwrap();
        let mut secrets = vec![
            hex::encode(*bls_key.to_bytes()),
            hex::encode(*k1_key.to_bytes()),
        ];
        secrets.extend(shares.values().map(|s| hex::encode(*s.to_bytes())));

        let keystore = Keystore::encrypt(&bls_key, "pw", Kdf::INSECURE, "").unwrap();
        let key_file = KeyFile {
            path: "keystore-0.json".into(),
            keystore,
            secret: bls_key.clone(),
        };
        let shares_by_index: &BTreeMap<u64, bls::SecretKey> = &shares;
        for shown in [
            format!("{bls_key:?}"),
            format!("{bls_key:#?}"),
            format!("{k1_key:?}"),
            format!("{k1_key:#?}"),
            format!("{shares_by_index:?}"),
            format!("{key_file:?}"),
            format!("{key_file:#?}"),
        ] {
            assert!(shown.contains("<redacted>"), "{shown}");
            assert_hidden(&shown, &secrets);
        }
    }
}
