//! Conformance: Charon's secp256k1 signatures (obol-dv-spec/secp256k1_signatures.json).

use mosaic_crypto::secp256k1::{self, PublicKey, RecoverableSignature, SecretKey};

fn digest(hex_str: &str) -> [u8; 32] {
    let bytes = hex::decode(hex_str).expect("digest hex");
    bytes.try_into().expect("32-byte digest")
}

#[test]
fn charon_secp256k1_signatures() {
    let Some(v) = mosaic_test_vectors::load_json("obol-dv-spec/secp256k1_signatures.json") else {
        return;
    };
    let sk = SecretKey::from_hex(v["secret_hex"].as_str().unwrap()).unwrap();
    let pk = PublicKey::from_hex(v["pubkey_hex"].as_str().unwrap()).unwrap();
    assert_eq!(sk.public_key(), pk);
    assert_eq!(
        hex::encode(pk.to_compressed()),
        v["pubkey_hex"].as_str().unwrap()
    );

    let cases = v["cases"].as_array().unwrap();
    assert!(!cases.is_empty());
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let hash = digest(case["input"]["hash_hex"].as_str().unwrap());
        let expected = case["signature_hex"].as_str().unwrap();

        let signature = sk.sign(&hash);
        assert_eq!(
            hex::encode(signature.to_bytes()),
            expected,
            "{name}: signature"
        );

        let parsed = RecoverableSignature::from_hex(expected).unwrap();
        let recovered = parsed.recover(&hash).unwrap();
        assert_eq!(
            hex::encode(recovered.to_compressed()),
            case["recovered_pubkey_hex"].as_str().unwrap(),
            "{name}: recovered key"
        );
        assert!(secp256k1::verify(&pk, &hash, &parsed), "{name}: verify");
        assert!(
            pk.verify_compact(&hash, &signature.to_compact()),
            "{name}: compact"
        );

        let mut other = hash;
        other[0] ^= 0xff;
        assert!(
            !secp256k1::verify(&pk, &other, &parsed),
            "{name}: wrong digest"
        );
    }
}
