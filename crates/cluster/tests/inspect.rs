//! `LockSummary`: every field of a created lock, and the printed summary.

use mosaic_cluster::{create_cluster_dir, CreateParams, Lock, LockSummary};
use mosaic_crypto::keystore::Kdf;

#[test]
fn summary_of_a_created_cluster() {
    let root = tempfile::tempdir().expect("tmp");
    let params = CreateParams {
        name: "inspect me".into(),
        nodes: 4,
        threshold: None,
        num_validators: 2,
        network: "hoodi".into(),
        testnet: None,
        fee_recipients: vec!["0x000000000000000000000000000000000000fee0".into()],
        withdrawal_addresses: vec![
            "0x00000000000000000000000000000000000dead0".into(),
            "0x00000000000000000000000000000000000dead1".into(),
        ],
        deposit_amounts: vec![16_000_000_000, 16_000_000_000],
        compounding: false,
        target_gas_limit: 0,
        existing_keys: vec![],
        keystore_kdf: Kdf::INSECURE,
    };
    let created = create_cluster_dir(&params, &root.path().join("c")).expect("create");
    let lock = Lock::load(&created.node_dirs[0].join("cluster-lock.json")).expect("load");
    let s = LockSummary::new(&lock);
    assert_eq!(s.name, "inspect me");
    assert_eq!(s.uuid, lock.definition.uuid);
    assert_eq!(s.version.as_str(), "v1.11.0");
    assert_eq!(s.lock_hash, format!("0x{}", hex::encode(&lock.lock_hash)));
    assert_eq!(s.fork_version, "0x10000910");
    assert_eq!(s.network, Some("hoodi"));
    assert_eq!((s.threshold, s.operators.len()), (3, 4));
    assert_eq!(s.deposit_amounts, vec![16_000_000_000, 16_000_000_000]);

    // Each operator's peer address is the Ethereum address of its charon-enr-private-key.
    for (op, node) in s.operators.iter().zip(&created.node_dirs) {
        let key_hex = std::fs::read_to_string(node.join("charon-enr-private-key")).expect("key");
        let key = mosaic_crypto::secp256k1::SecretKey::from_hex(key_hex.trim()).expect("key");
        let expected = key.public_key().ethereum_address();
        assert_eq!(
            op.peer_address.as_deref(),
            Some(format!("0x{}", hex::encode(expected)).as_str())
        );
    }
    assert_eq!(s.validators.len(), 2);
    assert_eq!(
        s.validators[1].withdrawal_address,
        "0x00000000000000000000000000000000000dead1"
    );
    assert_eq!(
        s.validators[1].fee_recipient,
        "0x000000000000000000000000000000000000fee0"
    );
    assert_eq!(s.validators[0].deposit_amounts, vec![16_000_000_000]);

    let text = s.to_string();
    for needle in [
        "Cluster:      inspect me",
        "Network:      hoodi (fork version 0x10000910)",
        "Threshold:    3 of 4 operators",
        "Deposits:     16 ETH, 16 ETH",
        "Validators:   2",
        s.validators[0].pubkey.as_str(),
        s.operators[3].enr.as_str(),
        "signed deposits    16 ETH",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }

    // An invalid ENR is shown, not fatal.
    let mut broken = lock.clone();
    broken.definition.operators[0].enr = "enr:garbage".into();
    let s = LockSummary::new(&broken);
    assert_eq!(s.operators[0].peer_address, None);
    assert!(s.to_string().contains("<invalid ENR>"));
}
