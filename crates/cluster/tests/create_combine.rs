//! `create_cluster_dir`, `load_existing_keys` and `combine` on disk: Charon's layout, round trips
//! through every threshold subset, and each rejection rule with a test just inside its boundary.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use mosaic_cluster::{
    combine_with, create_cluster_dir, load_existing_keys, CombineOptions, CreateParams,
    CreatedCluster, Error, Lock,
};
use mosaic_crypto::keystore::{self, Kdf, Keystore};
use mosaic_crypto::{bls, tbls};

fn params(nodes: u64, validators: u64) -> CreateParams {
    CreateParams {
        name: "disk".into(),
        nodes,
        threshold: None,
        num_validators: validators,
        network: "hoodi".into(),
        testnet: None,
        fee_recipients: vec!["0x000000000000000000000000000000000000fee0".into()],
        withdrawal_addresses: vec!["0x00000000000000000000000000000000000dead0".into()],
        deposit_amounts: vec![],
        compounding: false,
        target_gas_limit: 0,
        existing_keys: vec![],
        keystore_kdf: Kdf::INSECURE,
    }
}

fn opts(force: bool) -> CombineOptions {
    CombineOptions {
        force,
        keystore_kdf: Kdf::INSECURE,
        ..CombineOptions::default()
    }
}

fn names(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    out.sort();
    out
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).expect("metadata").permissions().mode() & 0o777
}

/// Replaces a (read-only) file's contents.
fn overwrite(path: &Path, contents: &str) {
    fs::remove_file(path).expect("remove");
    fs::write(path, contents).expect("write");
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    for entry in fs::read_dir(from).expect("read") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

fn secrets_of(dir: &Path) -> Vec<[u8; 32]> {
    keystore::decrypt_dir(dir)
        .expect("decrypt")
        .iter()
        .map(|k| *k.secret.to_bytes())
        .collect()
}

/// A 4-node (threshold 3) cluster splitting two known keys.
fn split_cluster(root: &Path) -> (CreatedCluster, Vec<[u8; 32]>) {
    let originals: Vec<bls::SecretKey> = (0..2).map(|_| bls::SecretKey::random()).collect();
    let keys_dir = root.join("existing");
    fs::create_dir(&keys_dir).expect("mkdir");
    keystore::store_dir(&keys_dir, &originals, Kdf::INSECURE).expect("store");
    let mut p = params(4, 0);
    p.existing_keys = load_existing_keys(&keys_dir).expect("load existing keys");
    let created = create_cluster_dir(&p, &root.join("cluster")).expect("create");
    (created, originals.iter().map(|k| *k.to_bytes()).collect())
}

#[test]
fn create_writes_charons_layout_and_a_verifying_lock() {
    let root = tempfile::tempdir().expect("tmp");
    let target = root.path().join("cluster");
    let created = create_cluster_dir(&params(3, 2), &target).expect("create");
    assert_eq!(created.cluster_dir, target);
    assert_eq!(names(root.path()), vec!["cluster"], "no staging leftovers");
    assert_eq!(names(&target), vec!["node0", "node1", "node2"]);
    assert_eq!(
        created.deposit_files,
        vec!["deposit-data-1eth.json", "deposit-data.json"]
    );
    let lock_bytes = fs::read(target.join("node0/cluster-lock.json")).expect("lock");
    for (i, node) in created.node_dirs.iter().enumerate() {
        assert_eq!(
            names(node),
            vec![
                "charon-enr-private-key",
                "cluster-lock.json",
                "deposit-data-1eth.json",
                "deposit-data.json",
                "validator_keys"
            ]
        );
        assert_eq!(
            names(&node.join("validator_keys")),
            vec![
                "keystore-0.json",
                "keystore-0.txt",
                "keystore-1.json",
                "keystore-1.txt"
            ]
        );
        // Every node holds the same lock, which loads and verifies fully.
        assert_eq!(
            fs::read(node.join("cluster-lock.json")).expect("lock"),
            lock_bytes
        );
        let lock = Lock::load(&node.join("cluster-lock.json")).expect("load");
        lock.verify().expect("verifies");
        assert_eq!(lock, created.lock);

        // The ENR key: 64 hex characters, no newline, and the key of operator i's ENR.
        let key_hex = fs::read_to_string(node.join("charon-enr-private-key")).expect("key");
        assert_eq!(key_hex.len(), 64, "{key_hex:?}");
        let key =
            mosaic_enr::secp256k1::SecretKey::from_bytes(&hex::decode(&key_hex).expect("hex"))
                .expect("valid key");
        let enr = mosaic_enr::Enr::from_text(&lock.definition.operators[i].enr).expect("enr");
        assert_eq!(
            enr.public_key().to_compressed(),
            key.public_key().to_compressed()
        );

        // Keystores decrypt with their .txt and hold this node's shares (share index i + 1).
        let shares = keystore::decrypt_dir(&node.join("validator_keys")).expect("decrypt");
        for (v, share) in shares.iter().enumerate() {
            assert_eq!(
                share.secret.public_key().to_bytes().to_vec(),
                lock.validators[v].public_shares[i]
            );
            assert_eq!(share.keystore.kdf(), Kdf::INSECURE);
        }

        // Deposit files: the lock's deposits, deposit-cli format, sorted by pubkey.
        for (file, amount) in [
            ("deposit-data-1eth.json", 1_000_000_000u64),
            ("deposit-data.json", 32_000_000_000),
        ] {
            let json: serde_json::Value =
                serde_json::from_slice(&fs::read(node.join(file)).expect("read")).expect("json");
            let entries = json.as_array().expect("array");
            assert_eq!(entries.len(), 2);
            assert!(entries[0]["pubkey"].as_str() < entries[1]["pubkey"].as_str());
            for e in entries {
                assert_eq!(e["amount"], amount);
                assert_eq!(e["fork_version"], "10000910");
                assert_eq!(e["network_name"], "hoodi");
                let dv = lock
                    .validators
                    .iter()
                    .find(|v| hex::encode(&v.public_key) == e["pubkey"])
                    .expect("a validator of the lock");
                let dd = dv
                    .partial_deposit_data
                    .iter()
                    .find(|d| d.amount == amount)
                    .expect("deposit");
                assert_eq!(e["signature"], hex::encode(&dd.signature));
                assert_eq!(
                    e["withdrawal_credentials"],
                    hex::encode(&dd.withdrawal_credentials)
                );
                for root in ["deposit_message_root", "deposit_data_root"] {
                    assert_eq!(e[root].as_str().map(str::len), Some(64));
                }
            }
        }

        #[cfg(unix)]
        {
            assert_eq!(mode(&node.join("charon-enr-private-key")), 0o600);
            assert_eq!(mode(&node.join("cluster-lock.json")), 0o400);
            assert_eq!(mode(&node.join("deposit-data.json")), 0o444);
            assert_eq!(mode(node), 0o755);
        }
    }
}

#[test]
fn split_keys_recombine_from_every_threshold_subset_but_not_fewer() {
    let root = tempfile::tempdir().expect("tmp");
    let (created, originals) = split_cluster(root.path());
    let nodes = &created.node_dirs;
    let subsets: [&[usize]; 5] = [
        &[0, 1, 2],
        &[0, 1, 3],
        &[0, 2, 3],
        &[1, 2, 3],
        &[0, 1, 2, 3],
    ];
    for (n, subset) in subsets.iter().enumerate() {
        let dirs: Vec<PathBuf> = subset.iter().map(|&i| nodes[i].clone()).collect();
        let out = root.path().join(format!("combined{n}"));
        let report = combine_with(&dirs, &out, &opts(false)).expect("combine");
        assert_eq!(secrets_of(&out), originals, "subset {subset:?}");
        assert_eq!(report.keystores.len(), 2);
        assert_eq!(report.lock_hash, created.lock.lock_hash);
        let indices: Vec<u64> = report.folders.iter().map(|f| f.share_index).collect();
        assert_eq!(
            indices,
            subset.iter().map(|&i| i as u64 + 1).collect::<Vec<_>>()
        );
    }
    // The whole cluster directory is accepted too.
    let out = root.path().join("from_cluster_dir");
    combine_with(
        std::slice::from_ref(&created.cluster_dir),
        &out,
        &opts(false),
    )
    .expect("combine");
    assert_eq!(secrets_of(&out), originals);

    // Two folders of a 3-of-4 cluster are not enough.
    let out = root.path().join("too_few");
    match combine_with(&nodes[1..3], &out, &opts(false)) {
        Err(Error::InsufficientShares {
            index,
            found,
            needed,
            ref pubkey,
        }) => {
            assert_eq!((index, found, needed), (0, 2, 3));
            assert_eq!(
                *pubkey,
                format!("0x{}", hex::encode(&created.lock.validators[0].public_key))
            );
        }
        other => panic!("expected InsufficientShares, got {other:?}"),
    }
    assert!(!out.exists(), "nothing written on failure");
}

#[test]
fn shares_sign_combine_and_verify_under_the_dv_key() {
    let root = tempfile::tempdir().expect("tmp");
    let created = create_cluster_dir(&params(4, 1), &root.path().join("c")).expect("create");
    let dv = bls::PublicKey::from_bytes(&created.lock.validators[0].public_key).expect("dv");
    let msg = b"attestation signing root";
    let partials: BTreeMap<u64, bls::Signature> = [3usize, 1, 0]
        .iter()
        .map(|&i| {
            let share = &keystore::decrypt_dir(&created.node_dirs[i].join("validator_keys"))
                .expect("decrypt")[0];
            (i as u64 + 1, share.secret.sign(msg))
        })
        .collect();
    let sig = tbls::combine_signatures(&partials, 3).expect("combine");
    assert!(sig.verify(&dv, msg));
    let mut two = partials.clone();
    two.remove(&4);
    assert!(tbls::combine_signatures(&two, 3).is_err());
}

#[test]
fn folder_names_are_not_trusted_and_duplicates_count_once() {
    let root = tempfile::tempdir().expect("tmp");
    let (created, originals) = split_cluster(root.path());
    let nodes = &created.node_dirs;
    // node0's files under the name "node3" still count as share 1.
    let renamed = root.path().join("renamed/node3");
    copy_dir(&nodes[0], &renamed);
    let dirs = vec![renamed.clone(), nodes[1].clone(), nodes[2].clone()];
    let report = combine_with(&dirs, &root.path().join("out1"), &opts(false)).expect("combine");
    assert_eq!(report.folders[0].share_index, 1);
    assert_eq!(secrets_of(&root.path().join("out1")), originals);

    // The same share twice (the same folder, or a copy) counts once: 2 of 3 is refused...
    let dup = vec![nodes[0].clone(), renamed.clone(), nodes[1].clone()];
    assert!(matches!(
        combine_with(&dup, &root.path().join("out2"), &opts(false)),
        Err(Error::InsufficientShares {
            found: 2,
            needed: 3,
            ..
        })
    ));
    let same = vec![nodes[0].clone(), nodes[0].clone(), nodes[1].clone()];
    assert!(matches!(
        combine_with(&same, &root.path().join("out2"), &opts(false)),
        Err(Error::InsufficientShares { found: 2, .. })
    ));
    // ...and with a third distinct share it succeeds, the duplicate marked unused.
    let enough = vec![
        nodes[0].clone(),
        renamed,
        nodes[1].clone(),
        nodes[3].clone(),
    ];
    let report = combine_with(&enough, &root.path().join("out3"), &opts(false)).expect("ok");
    let used: Vec<(u64, bool)> = report
        .folders
        .iter()
        .map(|f| (f.share_index, f.used))
        .collect();
    assert_eq!(used, vec![(1, true), (1, false), (2, true), (4, true)]);
    assert_eq!(secrets_of(&root.path().join("out3")), originals);
}

#[test]
fn folders_of_different_clusters_are_refused() {
    let root = tempfile::tempdir().expect("tmp");
    let a = create_cluster_dir(&params(3, 1), &root.path().join("a")).expect("a");
    let b = create_cluster_dir(&params(3, 1), &root.path().join("b")).expect("b");
    let mixed = vec![a.node_dirs[0].clone(), b.node_dirs[1].clone()];
    match combine_with(&mixed, &root.path().join("out"), &opts(false)) {
        Err(Error::LockMismatch { ref other, .. }) => {
            assert!(other.contains("b/node1"), "{other}")
        }
        other => panic!("expected LockMismatch, got {other:?}"),
    }
    // Inside the boundary: two folders of one cluster.
    let same = vec![a.node_dirs[0].clone(), a.node_dirs[1].clone()];
    combine_with(&same, &root.path().join("out"), &opts(false)).expect("same cluster");

    // A keystore of another cluster under a matching lock is refused by name.
    let foreign = root.path().join("foreign");
    copy_dir(&a.node_dirs[2], &foreign);
    for ext in ["json", "txt"] {
        let name = format!("validator_keys/keystore-0.{ext}");
        fs::remove_file(foreign.join(&name)).expect("rm");
        fs::copy(b.node_dirs[2].join(&name), foreign.join(&name)).expect("cp");
    }
    let dirs = vec![a.node_dirs[0].clone(), foreign];
    match combine_with(&dirs, &root.path().join("out_foreign"), &opts(false)) {
        Err(Error::Keystore {
            ref file,
            ref reason,
        }) => {
            assert!(
                file.ends_with("foreign/validator_keys/keystore-0.json"),
                "{file}"
            );
            assert!(reason.contains("not a public share"), "{reason}");
        }
        other => panic!("expected Keystore, got {other:?}"),
    }
}

#[test]
fn wrong_password_and_tampered_keystores_are_named() {
    let root = tempfile::tempdir().expect("tmp");
    let created = create_cluster_dir(&params(3, 2), &root.path().join("c")).expect("create");
    let dirs = created.node_dirs.clone();
    let out = root.path().join("out");

    // Wrong password in node1's keystore-1.txt.
    let password = dirs[1].join("validator_keys/keystore-1.txt");
    let good = fs::read_to_string(&password).expect("read");
    overwrite(&password, "not the password");
    match combine_with(&dirs, &out, &opts(false)) {
        Err(Error::Keystore {
            ref file,
            ref reason,
        }) => {
            assert!(
                file.ends_with("node1/validator_keys/keystore-1.json"),
                "{file}"
            );
            assert!(reason.contains("wrong password"), "{reason}");
        }
        other => panic!("expected Keystore, got {other:?}"),
    }
    assert!(!out.exists());
    overwrite(&password, &good);

    // Tampered ciphertext: checksum mismatch.
    let store_path = dirs[2].join("validator_keys/keystore-0.json");
    let original = fs::read_to_string(&store_path).expect("read");
    let mut json: serde_json::Value = serde_json::from_str(&original).expect("json");
    let message = json["crypto"]["cipher"]["message"]
        .as_str()
        .expect("msg")
        .to_string();
    let flipped = if message.starts_with('0') { "1" } else { "0" };
    json["crypto"]["cipher"]["message"] = format!("{flipped}{}", &message[1..]).into();
    overwrite(&store_path, &json.to_string());
    match combine_with(&dirs, &out, &opts(false)) {
        Err(Error::Keystore {
            ref file,
            ref reason,
        }) => {
            assert!(
                file.ends_with("node2/validator_keys/keystore-0.json"),
                "{file}"
            );
            assert!(reason.contains("checksum mismatch"), "{reason}");
        }
        other => panic!("expected Keystore, got {other:?}"),
    }
    assert!(!out.exists());
    // Inside the boundary: restored files combine.
    overwrite(&store_path, &original);
    combine_with(&dirs, &out, &opts(false)).expect("restored");
}

#[test]
fn load_existing_keys_rejections() {
    let root = tempfile::tempdir().expect("tmp");
    let dir = root.path().join("keys");
    fs::create_dir(&dir).expect("mkdir");
    let keys: Vec<bls::SecretKey> = (0..3).map(|_| bls::SecretKey::random()).collect();
    keystore::store_dir(&dir, &keys, Kdf::INSECURE).expect("store");
    let loaded = load_existing_keys(&dir).expect("load");
    assert_eq!(
        loaded.iter().map(|k| *k.to_bytes()).collect::<Vec<_>>(),
        keys.iter().map(|k| *k.to_bytes()).collect::<Vec<_>>()
    );

    let expect_named = |file: &str, what: &str| match load_existing_keys(&dir) {
        Err(Error::Keystore { file: f, reason }) => {
            assert!(f.ends_with(file), "{f}");
            assert!(reason.contains(what), "{reason}");
        }
        other => panic!("expected Keystore error, got {other:?}"),
    };

    // Wrong password.
    let password = dir.join("keystore-2.txt");
    let good = fs::read_to_string(&password).expect("read");
    overwrite(&password, "wrong");
    expect_named("keystore-2.json", "wrong password");
    overwrite(&password, &good);

    // Tampered checksum.
    let path = dir.join("keystore-1.json");
    let original = fs::read_to_string(&path).expect("read");
    let mut json: serde_json::Value = serde_json::from_str(&original).expect("json");
    json["crypto"]["checksum"]["message"] = hex::encode([7u8; 32]).into();
    overwrite(&path, &json.to_string());
    expect_named("keystore-1.json", "checksum mismatch");

    // A pubkey field that is not the encrypted key's.
    let mut json: serde_json::Value = serde_json::from_str(&original).expect("json");
    json["pubkey"] = hex::encode(keys[0].public_key().to_bytes()).into();
    overwrite(&path, &json.to_string());
    expect_named("keystore-1.json", "pubkey");
    overwrite(&path, &original);

    // The same key twice.
    let copy = Keystore::encrypt(&keys[0], "pw", Kdf::INSECURE, "").expect("encrypt");
    fs::write(dir.join("keystore-3.json"), copy.to_json_pretty()).expect("write");
    fs::write(dir.join("keystore-3.txt"), "pw").expect("write");
    expect_named("keystore-3.json", "same validator key as");
    // Inside the boundary: a fourth distinct key loads.
    let fresh = Keystore::encrypt(&bls::SecretKey::random(), "pw", Kdf::INSECURE, "").expect("e");
    overwrite(&dir.join("keystore-3.json"), &fresh.to_json_pretty());
    assert_eq!(load_existing_keys(&dir).expect("four keys").len(), 4);
}

#[test]
fn create_refuses_a_non_empty_target_and_accepts_an_empty_one() {
    let root = tempfile::tempdir().expect("tmp");
    let target = root.path().join("busy");
    fs::create_dir(&target).expect("mkdir");
    fs::write(target.join("notes.txt"), "keep me").expect("write");
    match create_cluster_dir(&params(3, 1), &target) {
        Err(Error::Io {
            ref path,
            ref reason,
        }) => {
            assert!(path.ends_with("busy"), "{path}");
            assert!(reason.contains("not empty"), "{reason}");
        }
        other => panic!("expected Io, got {other:?}"),
    }
    assert_eq!(names(&target), vec!["notes.txt"]);
    assert_eq!(names(root.path()), vec!["busy"]);

    let empty = root.path().join("empty");
    fs::create_dir(&empty).expect("mkdir");
    create_cluster_dir(&params(3, 1), &empty).expect("an empty target is fine");
    assert_eq!(names(&empty), vec!["node0", "node1", "node2"]);
}

#[test]
fn a_late_failure_leaves_nothing_behind() {
    let root = tempfile::tempdir().expect("tmp");
    let target = root.path().join("missing/parents/cluster");
    // scrypt with n = 3 is only rejected when the first keystore is encrypted, after every
    // node's ENR key, lock and deposit files were already written.
    let mut p = params(3, 2);
    p.keystore_kdf = Kdf::Scrypt { n: 3, r: 8, p: 1 };
    match create_cluster_dir(&p, &target) {
        Err(Error::Keystore { ref file, .. }) => assert!(file.contains("node0"), "{file}"),
        other => panic!("expected a keystore error, got {other:?}"),
    }
    assert!(names(root.path()).is_empty(), "{:?}", names(root.path()));
    // Inside the boundary: valid scrypt parameters work.
    p.keystore_kdf = Kdf::Scrypt { n: 4, r: 8, p: 1 };
    create_cluster_dir(&p, &target).expect("valid scrypt");
    assert_eq!(names(&root.path().join("missing/parents")), vec!["cluster"]);
}

#[test]
fn combine_refuses_to_overwrite_unless_forced() {
    let root = tempfile::tempdir().expect("tmp");
    let created = create_cluster_dir(&params(3, 1), &root.path().join("c")).expect("create");
    let out = root.path().join("out");
    fs::create_dir(&out).expect("mkdir");
    fs::write(out.join("README"), "other files are kept").expect("write");
    combine_with(&created.node_dirs, &out, &opts(false)).expect("no keystores yet");
    let first = secrets_of(&out);
    match combine_with(&created.node_dirs, &out, &opts(false)) {
        Err(Error::WouldOverwrite { ref path }) => assert!(path.contains("keystore-0"), "{path}"),
        other => panic!("expected WouldOverwrite, got {other:?}"),
    }
    combine_with(&created.node_dirs, &out, &opts(true)).expect("forced");
    assert_eq!(secrets_of(&out), first);
    assert_eq!(
        names(&out),
        vec!["README", "keystore-0.json", "keystore-0.txt"]
    );
    assert_eq!(names(root.path()), vec!["c", "out"], "no staging leftovers");
}

#[test]
fn insecure_keystores_are_refused_on_mainnet() {
    let root = tempfile::tempdir().expect("tmp");
    let mut p = params(3, 1);
    p.network = "mainnet".into();
    assert!(matches!(
        create_cluster_dir(&p, &root.path().join("c")),
        Err(Error::Param { ref param, .. }) if param == "keystore_kdf"
    ));
    assert!(names(root.path()).is_empty());
    // Inside the boundary: the same parameters on a testnet.
    p.network = "sepolia".into();
    create_cluster_dir(&p, &root.path().join("c")).expect("testnet allows cheap keystores");
}

#[test]
fn create_enr_key_writes_a_key_matching_the_record_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data_dir = dir.path().join("node");
    let (path, enr) = mosaic_cluster::create_enr_key(&data_dir).expect("first key");
    assert_eq!(path, data_dir.join(mosaic_cluster::ENR_PRIVATE_KEY_FILE));
    let text = std::fs::read_to_string(&path).expect("key file");
    assert_eq!(text.len(), 64, "32-byte key as hex without 0x or newline");
    let key = mosaic_crypto::secp256k1::SecretKey::from_hex(&text).expect("valid key");
    assert_eq!(&key.public_key(), enr.public_key());
    assert_eq!(enr.seq(), 0);
    assert_eq!(
        mosaic_enr::Enr::from_text(&enr.to_text()).expect("parses"),
        enr
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path)
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let error = mosaic_cluster::create_enr_key(&data_dir).expect_err("second key refused");
    assert!(error.to_string().contains("already exists"), "{error}");
    assert_eq!(
        std::fs::read_to_string(&path).expect("key file"),
        text,
        "key unchanged"
    );
}
