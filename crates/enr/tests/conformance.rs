//! ENR conformance: the EIP-778 example record (parse, and byte-for-byte re-creation from its
//! private key) and the operator ENRs of Charon's cluster files in the Obol spec vectors.

use std::net::Ipv4Addr;

use mosaic_enr::secp256k1::SecretKey;
use mosaic_enr::Enr;

const EIP778_RECORD: &str = "enr:-IS4QHCYrYZbAKWCBRlAy5zzaDZXJBGkcnh4MHcBFZntXNFrdvJjX04jRzjzCBOonrkTfj499SZuOh8R33Ls8RRcy5wBgmlkgnY0gmlwhH8AAAGJc2VjcDI1NmsxoQPKY0yuDUmstAHYpMa2_oxVtw0RW_QAdpzBQA8yWM0xOIN1ZHCCdl8";
const EIP778_PRIVATE_KEY: &str = "b71c71a67e1177ad4e901695e1b4b9ee17ae16c6668d313eac2f96dbcda3f291";

fn eip778_key() -> SecretKey {
    SecretKey::from_bytes(&hex::decode(EIP778_PRIVATE_KEY).expect("hex")).expect("key")
}

#[test]
fn eip778_example_parses_with_its_fields() {
    let record: Enr = EIP778_RECORD.parse().expect("EIP-778 example parses");
    assert_eq!(record.seq(), 1);
    assert_eq!(record.ip(), Some(Ipv4Addr::new(127, 0, 0, 1)));
    assert_eq!(record.udp(), Some(30303));
    assert_eq!(record.tcp(), None);
    assert_eq!(
        hex::encode(record.public_key().to_compressed()),
        "03ca634cae0d49acb401d8a4c6b6fe8c55b70d115bf400769cc1400f3258cd3138"
    );
    assert_eq!(
        hex::encode(record.node_id()),
        "a448f24c6d18e575453db13171562b71999873db5b286df957af199ec94617f7"
    );
    assert_eq!(record.public_key(), &eip778_key().public_key());
    assert!(record.verify_signature());
    assert_eq!(record.to_text(), EIP778_RECORD);
}

#[test]
fn eip778_example_is_recreated_byte_for_byte() {
    let created = Enr::create(
        &eip778_key(),
        1,
        Some(Ipv4Addr::new(127, 0, 0, 1)),
        None,
        Some(30303),
    )
    .expect("create");
    assert_eq!(created.to_text(), EIP778_RECORD);
    let parsed: Enr = EIP778_RECORD.parse().expect("parse");
    assert_eq!(created.to_rlp(), parsed.to_rlp());
    assert_eq!(created, parsed);
}

fn collect_enrs(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(text) if text.starts_with("enr:") => out.push(text.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|item| collect_enrs(item, out)),
        serde_json::Value::Object(fields) => {
            fields.values().for_each(|item| collect_enrs(item, out))
        }
        _ => {}
    }
}

#[test]
fn charon_cluster_file_enrs_parse_and_verify() {
    let Some(vectors) = mosaic_test_vectors::load_json("obol-dv-spec/cluster_hashing.json") else {
        return;
    };
    let mut enrs = Vec::new();
    collect_enrs(&vectors, &mut enrs);
    enrs.sort();
    enrs.dedup();
    assert!(enrs.len() >= 4, "only {} ENRs in the vectors", enrs.len());
    for text in &enrs {
        let record: Enr = text
            .parse()
            .unwrap_or_else(|error| panic!("{text}: {error}"));
        assert!(record.verify_signature(), "{text}");
        assert_eq!(&record.to_text(), text, "re-encoding changed {text}");
        let compressed = record.public_key().to_compressed();
        assert!(matches!(compressed[0], 0x02 | 0x03));
    }
}

#[test]
fn charon_enr_with_one_changed_character_is_rejected() {
    let Some(vectors) = mosaic_test_vectors::load_json("obol-dv-spec/cluster_hashing.json") else {
        return;
    };
    let mut enrs = Vec::new();
    collect_enrs(&vectors, &mut enrs);
    let text = enrs.first().expect("an ENR");
    // Change one character inside the signature (position 10 of the base64 body).
    let mut chars: Vec<char> = text.chars().collect();
    let index = "enr:".len() + 10;
    chars[index] = if chars[index] == 'A' { 'B' } else { 'A' };
    let tampered: String = chars.into_iter().collect();
    assert!(tampered.parse::<Enr>().is_err());
    assert!(text.parse::<Enr>().is_ok());
}
