//! Peer IDs derived from ENR keys as Charon derives them, against the cluster lock vector and
//! two published (ENR or public key, peer ID) pairs from other libp2p implementations.

use mosaic_crypto::secp256k1::PublicKey;
use mosaic_p2p::identity::{peer_id_from_public_key, public_key_from_peer_id};
use mosaic_p2p::{cluster_peers_from_enrs, PeerId};

#[test]
fn real_keys_lock_operators_get_charon_style_peer_ids() {
    let Some(v) = mosaic_test_vectors::load_json("obol-dv-spec/cluster_hashing.json") else {
        return;
    };
    let locks = v["lock"].as_array().expect("lock cases");
    let case = locks
        .iter()
        .find(|c| c["name"] == "real_keys_3_of_4")
        .expect("real_keys_3_of_4 case");
    let enrs: Vec<&str> = case["input"]["cluster_definition"]["operators"]
        .as_array()
        .expect("operators")
        .iter()
        .map(|o| o["enr"].as_str().expect("enr"))
        .collect();
    let node_pubkeys: Vec<&str> = case["node_pubkeys"]
        .as_array()
        .expect("node_pubkeys")
        .iter()
        .map(|k| k.as_str().expect("hex"))
        .collect();
    assert_eq!(enrs.len(), 4);

    let peers = cluster_peers_from_enrs(enrs.iter().copied()).expect("peers");
    for (index, (peer, pubkey_hex)) in peers.iter().zip(&node_pubkeys).enumerate() {
        assert_eq!(peer.index, index);
        let expected_key = PublicKey::from_hex(pubkey_hex).expect("node pubkey");
        assert_eq!(peer.public_key, expected_key);
        assert_eq!(
            peer.peer_id,
            peer_id_from_public_key(&expected_key).expect("peer id")
        );
        let text = peer.peer_id.to_base58();
        // secp256k1 keys are inlined (identity multihash of a 37-byte protobuf), which makes
        // every such ID start "16Uiu2"; 53 base58 characters.
        assert!(text.starts_with("16Uiu2HA"), "{text}");
        assert_eq!(text.len(), 53, "{text}");
        let parsed: PeerId = text.parse().expect("base58 round trip");
        assert_eq!(parsed, peer.peer_id);
        assert_eq!(public_key_from_peer_id(&parsed).expect("key"), expected_key);
        // The multihash digest is the libp2p PublicKey protobuf:
        // field 1 (KeyType) = 2 (Secp256k1), field 2 = the 33-byte compressed key.
        let digest = parsed.as_ref().digest();
        assert_eq!(&digest[..4], &[0x08, 0x02, 0x12, 0x21]);
        assert_eq!(&digest[4..], &expected_key.to_compressed());
    }
}

#[test]
fn published_go_libp2p_pair_matches() {
    // A go-libp2p node's secp256k1 public key and the peer ID it printed (open-aea ACN docs).
    let key =
        PublicKey::from_hex("02d9383bc6e37e4d6b56cecb93c1e2796407c07decaa3ae598b6f762946a464353")
            .expect("key");
    assert_eq!(
        peer_id_from_public_key(&key).expect("peer id").to_base58(),
        "16Uiu2HAmA3cBbvMtLjqnkmoLBFuzmsVYnGfNLvr5Ws3Ey7JeRFAa"
    );
}

#[test]
fn published_enr_and_peer_id_pair_matches() {
    // A node's `enrUri` and its listen address peer ID as published together (Waku v2 debug
    // API docs): the ENR key must yield exactly that peer ID.
    let enr = "enr:-Iu4QCQZXZDb_JsYmLoYor0F5E_95HbIywgO_wgx2rIdDbmCJZkTzmlCr0wmMzV47lgik_tVwww5mIng90Ris83TisMBgmlkgnY0gmlwhAAAAACJc2VjcDI1NmsxoQPszztG-Ev52ZB7tk0jF8s6Md4KvyY_rhzNZokaaB_ABIN0Y3CC6mCFd2FrdTIB";
    let peers = cluster_peers_from_enrs([enr]).expect("enr");
    assert_eq!(
        peers[0].peer_id.to_base58(),
        "16Uiu2HAmUbPquFQqje3jiqoB5YoiUbBya59NB4qqEzeiTNGHeA6w"
    );
    // The ENR carries ip 0.0.0.0 and tcp 60000, which become its dial address.
    assert_eq!(
        peers[0].enr_addrs,
        vec!["/ip4/0.0.0.0/tcp/60000".parse().expect("addr")]
    );
}
