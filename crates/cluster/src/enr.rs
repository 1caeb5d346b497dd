//! Operator node identities: the operators' ENRs, read and created with `mosaic-enr`, and the
//! node's secp256k1 key.

use mosaic_crypto::secp256k1::{PublicKey, SecretKey};
use mosaic_enr::Enr;

/// Parses `enr:…` (verifying its v4 signature) and returns the node's secp256k1 key.
pub(crate) fn node_public_key(enr: &str) -> Result<PublicKey, String> {
    Enr::from_text(enr)
        .map(|record| *record.public_key())
        .map_err(|e| format!("invalid ENR: {e}"))
}

/// Builds a signed v4 ENR with sequence 0 and no address entries, as `charon create cluster` does.
pub(crate) fn new_record(key: &SecretKey) -> Result<String, String> {
    Enr::create(key, 0, None, None, None)
        .map(|record| record.to_text())
        .map_err(|e| format!("cannot create ENR: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_charon_enr() {
        // From obol-dv-spec cluster_hashing.json (real_keys_3_of_4, operator 0).
        let enr = "enr:-HW4QKQucUpfyYqAJduZ-Q5wkmEUcgAdm0frB-xX98VPs-OGU-OW0O5-dfyf3CLKuEOaoWUvQ3ClKv6RKLSnf1Hig86AgmlkgnY0iXNlY3AyNTZrMaED5orPwCU6EGIN_3BrChsfH1gz6jvrO94iUNXycfNWNgY";
        let key = node_public_key(enr).expect("valid ENR");
        assert_eq!(
            hex::encode(key.to_compressed()),
            "03e68acfc0253a10620dff706b0a1b1f1f5833ea3beb3bde2250d5f271f3563606"
        );
    }

    #[test]
    fn new_record_round_trips_and_tampering_fails() {
        use base64::Engine as _;
        let key = SecretKey::from_bytes(&[9u8; 32]).expect("key");
        let enr = new_record(&key).expect("record");
        assert_eq!(node_public_key(&enr).expect("valid"), key.public_key());
        let mut raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&enr[4..])
            .expect("b64");
        let last = raw.len() - 1;
        raw[last] ^= 1;
        let tampered = format!(
            "enr:{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
        );
        assert!(node_public_key(&tampered).is_err());
        assert!(node_public_key("enr-xyz").is_err());
    }
}
