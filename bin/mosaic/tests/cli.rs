//! End-to-end tests of the `mosaic` binary: the commands a user runs to make, check and recover a
//! cluster, run as real processes.

use std::path::Path;
use std::process::{Command, Output};

use mosaic_crypto::bls::SecretKey;
use mosaic_crypto::keystore::{decrypt_dir, store_dir, Kdf};

const ADDRESS: &str = "0x000000000000000000000000000000000000dEaD";

fn mosaic(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mosaic"))
        .args(args)
        .output()
        .expect("run mosaic")
}

fn ok(args: &[&str]) -> String {
    let output = mosaic(args);
    assert!(
        output.status.success(),
        "mosaic {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8")
}

fn failing(args: &[&str]) -> String {
    let output = mosaic(args);
    assert!(!output.status.success(), "mosaic {args:?} should fail");
    String::from_utf8(output.stderr).expect("utf-8")
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn split_existing_keys_then_combine_any_threshold_returns_them() {
    let dir = tempfile::tempdir().expect("temp dir");
    let keys_dir = dir.path().join("keys");
    std::fs::create_dir(&keys_dir).expect("mkdir");
    let originals: Vec<SecretKey> = (0..2).map(|_| SecretKey::random()).collect();
    store_dir(&keys_dir, &originals, Kdf::INSECURE).expect("store keystores");

    let cluster = dir.path().join("cluster");
    let created = ok(&[
        "create",
        "cluster",
        "--nodes",
        "4",
        "--network",
        "hoodi",
        "--fee-recipient-addresses",
        ADDRESS,
        "--withdrawal-addresses",
        ADDRESS,
        "--split-existing-keys",
        "--split-keys-dir",
        path(&keys_dir),
        "--cluster-dir",
        path(&cluster),
        "--insecure-keys",
    ]);
    assert!(
        created.contains("4 nodes, threshold 3, 2 validators"),
        "{created}"
    );

    let lock = cluster.join("node2").join("cluster-lock.json");
    let verified = ok(&["lock", "verify", path(&lock)]);
    assert!(verified.contains("OK"), "{verified}");
    let inspected = ok(&["lock", "inspect", path(&lock)]);
    assert!(inspected.contains("3 of 4 operators"), "{inspected}");
    for key in &originals {
        assert!(
            inspected.contains(&key.public_key().to_hex()),
            "{inspected}"
        );
    }

    let out = dir.path().join("recovered");
    let nodes = ["node3", "node0", "node2"].map(|n| cluster.join(n));
    ok(&[
        "combine",
        "--cluster-dir",
        path(&nodes[0]),
        path(&nodes[1]),
        path(&nodes[2]),
        "--output-dir",
        path(&out),
    ]);
    let recovered = decrypt_dir(&out).expect("recovered keystores decrypt");
    let recovered: Vec<[u8; 32]> = recovered.iter().map(|k| *k.secret.to_bytes()).collect();
    let expected: Vec<[u8; 32]> = originals.iter().map(|k| *k.to_bytes()).collect();
    assert_eq!(recovered, expected);
}

#[test]
fn combine_below_threshold_and_bad_threshold_are_refused_with_reasons() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cluster = dir.path().join("cluster");
    ok(&[
        "create",
        "cluster",
        "--nodes",
        "4",
        "--network",
        "sepolia",
        "--fee-recipient-addresses",
        ADDRESS,
        "--withdrawal-addresses",
        ADDRESS,
        "--cluster-dir",
        path(&cluster),
        "--insecure-keys",
    ]);
    let out = dir.path().join("recovered");
    let error = failing(&[
        "combine",
        "--cluster-dir",
        path(&cluster.join("node0")),
        path(&cluster.join("node1")),
        "--output-dir",
        path(&out),
    ]);
    assert!(error.contains("need the threshold of 3"), "{error}");
    assert!(!out.exists(), "nothing written on failure");

    let error = failing(&[
        "create",
        "cluster",
        "--nodes",
        "4",
        "--threshold",
        "5",
        "--network",
        "sepolia",
        "--fee-recipient-addresses",
        ADDRESS,
        "--withdrawal-addresses",
        ADDRESS,
        "--cluster-dir",
        path(&dir.path().join("bad")),
        "--insecure-keys",
    ]);
    assert!(error.contains("threshold"), "{error}");
    assert!(
        !dir.path().join("bad").exists(),
        "nothing written on failure"
    );
}

#[test]
fn lock_verify_names_the_file_and_field_of_a_tampered_lock() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cluster = dir.path().join("cluster");
    ok(&[
        "create",
        "cluster",
        "--nodes",
        "3",
        "--network",
        "hoodi",
        "--fee-recipient-addresses",
        ADDRESS,
        "--withdrawal-addresses",
        ADDRESS,
        "--cluster-dir",
        path(&cluster),
        "--insecure-keys",
    ]);
    let lock = cluster.join("node0").join("cluster-lock.json");
    let text = std::fs::read_to_string(&lock).expect("read lock");
    let tampered = dir.path().join("tampered.json");
    std::fs::write(
        &tampered,
        text.replace("\"name\": \"mosaic-cluster\"", "\"name\": \"evil\""),
    )
    .expect("write");
    let error = failing(&["lock", "verify", path(&tampered)]);
    assert!(error.contains("tampered.json"), "{error}");
    assert!(error.contains("hash"), "{error}");
}
