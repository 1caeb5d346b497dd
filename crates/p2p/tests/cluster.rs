//! Four-node clusters on 127.0.0.1: connectivity, gating, every protocol, restarts, frame
//! limits and ping.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mosaic_cluster::{build_lock, CreateParams};
use mosaic_crypto::keystore::Kdf;
use mosaic_crypto::secp256k1::SecretKey;
use mosaic_enr::Enr;
use mosaic_p2p::framing::FrameError;
use mosaic_p2p::{
    cluster_peers_from_enrs, cluster_peers_from_lock, Backoff, ClusterPeer, Direction, Error,
    InboundFailure, Multiaddr, P2pConfig, P2pEvent, P2pHandle, P2pNode, PeerId, Protocol,
};
use tokio::task::JoinHandle;

const WAIT: Duration = Duration::from_secs(10);

/// What one node's event consumer saw.
#[derive(Default)]
struct Seen {
    received: Vec<(PeerId, Protocol, Vec<u8>)>,
    requests: Vec<(PeerId, Protocol, Vec<u8>)>,
    connected: Vec<PeerId>,
    disconnected: Vec<PeerId>,
    pings: Vec<(PeerId, Duration)>,
    refused: Vec<(PeerId, Direction)>,
    failed: Vec<(PeerId, Protocol, String)>,
}

struct TestNode {
    handle: P2pHandle,
    seen: Arc<Mutex<Seen>>,
    consumer: JoinHandle<()>,
}

impl TestNode {
    fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.seen.lock().expect("seen")
    }

    async fn stop(self) {
        self.handle.shutdown().await;
        // The event stream ends once the node has stopped.
        tokio::time::timeout(WAIT, self.consumer)
            .await
            .expect("event stream ended")
            .expect("consumer");
    }
}

fn fast_config(key: &SecretKey, peers: &[ClusterPeer], port: u16) -> P2pConfig {
    let mut config = P2pConfig::new(key.clone(), peers.to_vec());
    config.listen_addrs = vec![format!("/ip4/127.0.0.1/tcp/{port}").parse().expect("addr")];
    config.dial_backoff = Backoff {
        initial: Duration::from_millis(20),
        max: Duration::from_millis(300),
    };
    config.ping_interval = Duration::from_millis(100);
    config.send_timeout = Duration::from_secs(3);
    config.receive_timeout = Duration::from_secs(2);
    config
}

/// Starts a node whose consumer records events and answers requests with `"re:" + request`.
async fn start(config: P2pConfig) -> TestNode {
    let (handle, mut events) = P2pNode::start(config).await.expect("start");
    let seen = Arc::new(Mutex::new(Seen::default()));
    let record = seen.clone();
    let consumer = tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            let mut s = record.lock().expect("seen");
            match event {
                P2pEvent::Received {
                    from,
                    protocol,
                    bytes,
                } => s.received.push((from, protocol, bytes)),
                P2pEvent::Request {
                    from,
                    protocol,
                    bytes,
                    responder,
                } => {
                    let mut response = b"re:".to_vec();
                    response.extend_from_slice(&bytes);
                    s.requests.push((from, protocol, bytes));
                    responder.respond(response).expect("respond");
                }
                P2pEvent::PeerConnected { peer } => s.connected.push(peer),
                P2pEvent::PeerDisconnected { peer } => s.disconnected.push(peer),
                P2pEvent::PingRtt { peer, rtt } => s.pings.push((peer, rtt)),
                P2pEvent::PeerRefused { peer, direction } => s.refused.push((peer, direction)),
                P2pEvent::InboundFailed {
                    from,
                    protocol,
                    reason,
                } => s.failed.push((from, protocol, reason.to_string())),
            }
        }
    });
    TestNode {
        handle,
        seen,
        consumer,
    }
}

async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !condition() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting: {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(WAIT, future)
        .await
        .unwrap_or_else(|_| panic!("timed out: {what}"))
}

/// A cluster from the trusted dealer: node keys and peers in lock order.
fn dealt_cluster(nodes: u64) -> (Vec<SecretKey>, Vec<ClusterPeer>) {
    let params = CreateParams {
        name: "p2p test".into(),
        nodes,
        threshold: None,
        num_validators: 1,
        network: "dev".into(),
        testnet: None,
        fee_recipients: vec!["0x000000000000000000000000000000000000dEaD".into()],
        withdrawal_addresses: vec!["0x000000000000000000000000000000000000dEaD".into()],
        deposit_amounts: Vec::new(),
        compounding: false,
        target_gas_limit: 30_000_000,
        existing_keys: Vec::new(),
        keystore_kdf: Kdf::INSECURE,
    };
    let dealt = build_lock(&params).expect("lock");
    let keys = dealt
        .node_keys
        .iter()
        .map(|k| SecretKey::from_bytes(k.as_slice()).expect("node key"))
        .collect();
    let peers = cluster_peers_from_lock(&dealt.lock).expect("peers");
    (keys, peers)
}

fn random_cluster(nodes: usize) -> (Vec<SecretKey>, Vec<ClusterPeer>) {
    let keys: Vec<SecretKey> = (0..nodes).map(|_| SecretKey::random()).collect();
    let enrs: Vec<String> = keys
        .iter()
        .map(|k| Enr::create(k, 1, None, None, None).expect("enr").to_text())
        .collect();
    let peers = cluster_peers_from_enrs(enrs.iter().map(String::as_str)).expect("peers");
    (keys, peers)
}

/// Starts every node on an ephemeral port, then tells each the others' addresses.
async fn start_all(keys: &[SecretKey], peers: &[ClusterPeer]) -> Vec<TestNode> {
    let mut nodes = Vec::new();
    for key in keys {
        nodes.push(start(fast_config(key, peers, 0)).await);
    }
    introduce(&nodes).await;
    nodes
}

async fn introduce(nodes: &[TestNode]) {
    for a in nodes {
        for b in nodes {
            if a.handle.local_peer_id() != b.handle.local_peer_id() {
                a.handle
                    .add_peer_addrs(b.handle.local_peer_id(), b.handle.listen_addrs())
                    .await
                    .expect("add addrs");
            }
        }
    }
}

async fn fully_connected(nodes: &[TestNode]) {
    let n = nodes.len();
    eventually("full mesh", || {
        nodes
            .iter()
            .all(|node| node.handle.connected_peers().len() == n - 1)
    })
    .await;
}

fn port_of(addr: &Multiaddr) -> u16 {
    // Listen addresses here are `/ip4/127.0.0.1/tcp/<port>`.
    let text = addr.to_string();
    text.rsplit('/')
        .next()
        .expect("port")
        .parse()
        .expect("tcp port")
}

#[tokio::test]
async fn dealt_cluster_connects_and_carries_every_protocol_with_the_right_sender() {
    let (keys, peers) = dealt_cluster(4);
    let nodes = start_all(&keys, &peers).await;
    fully_connected(&nodes).await;
    let ids: Vec<PeerId> = nodes.iter().map(|n| n.handle.local_peer_id()).collect();
    assert_eq!(ids, peers.iter().map(|p| p.peer_id).collect::<Vec<_>>());

    // Every node broadcasts on both one-way protocols.
    for (i, node) in nodes.iter().enumerate() {
        for protocol in [Protocol::Consensus, Protocol::Parsigex] {
            let payload = format!("{protocol} from {i}").into_bytes();
            let results = within("broadcast", node.handle.broadcast(protocol, &payload)).await;
            assert_eq!(results.len(), 3);
            for (peer, result) in results {
                result.unwrap_or_else(|e| panic!("{i} -> {peer}: {e}"));
            }
        }
    }
    eventually("all broadcasts received", || {
        nodes.iter().all(|n| n.seen().received.len() == 6)
    })
    .await;
    for (j, node) in nodes.iter().enumerate() {
        let seen = node.seen();
        for (i, sender) in ids.iter().enumerate().filter(|(i, _)| *i != j) {
            for protocol in [Protocol::Consensus, Protocol::Parsigex] {
                let payload = format!("{protocol} from {i}").into_bytes();
                assert!(
                    seen.received.contains(&(*sender, protocol, payload)),
                    "node {j} missing {protocol} from {i}"
                );
            }
        }
    }

    // Request-response protocols, answered by the peer's consumer.
    for protocol in [Protocol::PeerInfo, Protocol::Priority] {
        let response = within(
            "request",
            nodes[0].handle.request(ids[2], protocol, b"hello"),
        )
        .await
        .expect("response");
        assert_eq!(response, b"re:hello");
        let seen = nodes[2].seen();
        assert!(seen
            .requests
            .contains(&(ids[0], protocol, b"hello".to_vec())));
    }

    // Empty messages (an all-default protobuf) are valid frames.
    within(
        "empty",
        nodes[1].handle.send(ids[3], Protocol::Consensus, b""),
    )
    .await
    .expect("empty send");
    eventually("empty received", || {
        nodes[3]
            .seen()
            .received
            .contains(&(ids[1], Protocol::Consensus, Vec::new()))
    })
    .await;

    // Ping latency, per peer, as events and through the handle.
    eventually("ping rtt", || {
        ids[1..]
            .iter()
            .all(|p| nodes[0].handle.ping_rtt(p).is_some())
    })
    .await;
    assert!(nodes[0].seen().pings.iter().any(|(p, _)| *p == ids[1]));
    assert!(
        nodes[0].handle.ping_rtt(&ids[0]).is_none(),
        "no ping to self"
    );

    for node in nodes {
        node.stop().await;
    }
}

#[tokio::test]
async fn non_member_is_refused_and_counted() {
    let (keys, peers) = random_cluster(4);
    let nodes = start_all(&keys, &peers).await;
    fully_connected(&nodes).await;

    // The outsider knows the cluster (and thinks it belongs), but no member lists it.
    let outsider_key = SecretKey::random();
    let outsider_enr = Enr::create(&outsider_key, 1, None, None, None)
        .expect("enr")
        .to_text();
    let mut outsider_peers = peers.clone();
    outsider_peers.extend(cluster_peers_from_enrs([outsider_enr.as_str()]).expect("peer"));
    outsider_peers[4].index = 4;
    let outsider_id = outsider_peers[4].peer_id;
    let mut config = fast_config(&outsider_key, &outsider_peers, 0);
    config.peer_addrs = HashMap::from([(peers[0].peer_id, nodes[0].handle.listen_addrs())]);
    let outsider = start(config).await;

    eventually("refusal counted", || {
        nodes[0].handle.refused_connections() >= 2
    })
    .await;
    eventually("refusal event", || {
        nodes[0]
            .seen()
            .refused
            .contains(&(outsider_id, Direction::Inbound))
    })
    .await;
    assert!(!nodes[0].handle.is_connected(&outsider_id));
    let result = within(
        "outsider send",
        outsider
            .handle
            .send(peers[0].peer_id, Protocol::Consensus, b"let me in"),
    )
    .await;
    assert!(result.is_err(), "outsider's message must not be delivered");
    assert!(nodes[0].seen().received.is_empty());
    // Members' other connections are untouched.
    assert_eq!(nodes[0].handle.connected_peers().len(), 3);

    // Outbound: a member will not dial or send to a non-member.
    assert!(matches!(
        nodes[0]
            .handle
            .add_peer_addrs(outsider_id, outsider.handle.listen_addrs())
            .await,
        Err(Error::NotClusterPeer { .. })
    ));
    assert!(matches!(
        nodes[0]
            .handle
            .send(outsider_id, Protocol::Consensus, b"x")
            .await,
        Err(Error::NotClusterPeer { .. })
    ));

    outsider.stop().await;
    for node in nodes {
        node.stop().await;
    }
}

#[tokio::test]
async fn stopped_node_is_redialled_after_restart() {
    let (keys, peers) = random_cluster(4);
    let mut nodes = start_all(&keys, &peers).await;
    fully_connected(&nodes).await;
    let ids: Vec<PeerId> = nodes.iter().map(|n| n.handle.local_peer_id()).collect();

    let stopped = nodes.pop().expect("node 3");
    let port = port_of(&stopped.handle.listen_addrs()[0]);
    stopped.stop().await;
    eventually("others see the disconnect", || {
        nodes
            .iter()
            .all(|n| n.seen().disconnected.contains(&ids[3]) && !n.handle.is_connected(&ids[3]))
    })
    .await;
    let down = nodes[0]
        .handle
        .send(ids[3], Protocol::Parsigex, b"lost")
        .await;
    assert!(down.is_err(), "sending to a stopped node fails");

    // Same key and port, but no peer addresses: only the others' redials can reconnect it.
    let restarted = start(fast_config(&keys[3], &peers, port)).await;
    nodes.push(restarted);
    fully_connected(&nodes).await;

    within(
        "send after restart",
        nodes[0].handle.send(ids[3], Protocol::Parsigex, b"back"),
    )
    .await
    .expect("send to restarted node");
    within(
        "send from restarted",
        nodes[3].handle.send(ids[1], Protocol::Consensus, b"hi"),
    )
    .await
    .expect("send from restarted node");
    eventually("messages flow again", || {
        nodes[3]
            .seen()
            .received
            .contains(&(ids[0], Protocol::Parsigex, b"back".to_vec()))
            && nodes[1]
                .seen()
                .received
                .contains(&(ids[3], Protocol::Consensus, b"hi".to_vec()))
    })
    .await;

    for node in nodes {
        node.stop().await;
    }
}

#[tokio::test]
async fn frames_over_the_receivers_limit_are_rejected() {
    const LIMIT: usize = 1024;
    let (keys, peers) = random_cluster(3);
    let mut nodes = vec![start(fast_config(&keys[0], &peers, 0)).await];
    let mut strict = fast_config(&keys[1], &peers, 0);
    strict.max_frame_sizes.insert(Protocol::Parsigex, LIMIT);
    strict.max_frame_sizes.insert(Protocol::Priority, LIMIT);
    nodes.push(start(strict).await);
    nodes.push(start(fast_config(&keys[2], &peers, 0)).await);
    introduce(&nodes).await;
    fully_connected(&nodes).await;
    let ids: Vec<PeerId> = nodes.iter().map(|n| n.handle.local_peer_id()).collect();

    // One byte over the receiver's limit: the sender's write succeeds, the receiver drops it.
    nodes[0]
        .handle
        .send(ids[1], Protocol::Parsigex, &[7; LIMIT + 1])
        .await
        .expect("sender's own limit is larger");
    eventually("oversize rejected", || !nodes[1].seen().failed.is_empty()).await;
    {
        let seen = nodes[1].seen();
        let (from, protocol, reason) = &seen.failed[0];
        assert_eq!((*from, *protocol), (ids[0], Protocol::Parsigex));
        assert!(reason.contains("exceeds the limit of 1024"), "{reason}");
        assert!(seen.received.is_empty());
    }
    // Exactly at the limit is delivered.
    nodes[0]
        .handle
        .send(ids[1], Protocol::Parsigex, &[8; LIMIT])
        .await
        .expect("at limit");
    eventually("at-limit frame received", || {
        nodes[1]
            .seen()
            .received
            .contains(&(ids[0], Protocol::Parsigex, vec![8; LIMIT]))
    })
    .await;

    // The strict node refuses to send what it would not accept, before touching the network.
    let err = nodes[1]
        .handle
        .send(ids[0], Protocol::Parsigex, &[0; LIMIT + 1])
        .await
        .expect_err("over own limit");
    assert!(matches!(
        err,
        Error::Frame {
            source: FrameError::TooLarge { max: LIMIT, .. },
            ..
        }
    ));
    // An oversize request gets no response: the requester sees an error.
    assert!(nodes[0]
        .handle
        .request(ids[1], Protocol::Priority, &[1; LIMIT + 1])
        .await
        .is_err());
    assert!(nodes[1].seen().requests.is_empty());

    for node in nodes {
        node.stop().await;
    }
}

#[tokio::test]
async fn enr_ip_and_tcp_are_dialled() {
    // Choose free ports, then put them in the nodes' ENRs; no explicit addresses anywhere.
    let keys: Vec<SecretKey> = (0..3).map(|_| SecretKey::random()).collect();
    let ports = mosaic_simnet::ports::free_loopback_ports(3).expect("free ports");
    let enrs: Vec<String> = keys
        .iter()
        .zip(&ports)
        .map(|(k, port)| {
            Enr::create(
                k,
                1,
                Some("127.0.0.1".parse().expect("ip")),
                Some(*port),
                None,
            )
            .expect("enr")
            .to_text()
        })
        .collect();
    let peers = cluster_peers_from_enrs(enrs.iter().map(String::as_str)).expect("peers");
    let mut nodes = Vec::new();
    for (key, port) in keys.iter().zip(&ports) {
        nodes.push(start(fast_config(key, &peers, *port)).await);
    }
    fully_connected(&nodes).await;
    for node in nodes {
        node.stop().await;
    }
}

#[tokio::test]
async fn misuse_is_rejected() {
    let (keys, peers) = random_cluster(3);
    let node = start(fast_config(&keys[0], &peers, 0)).await;
    let me = node.handle.local_peer_id();
    let other = peers[1].peer_id;

    assert!(matches!(
        node.handle.send(other, Protocol::PeerInfo, b"x").await,
        Err(Error::WrongPattern { .. })
    ));
    assert!(matches!(
        node.handle.request(other, Protocol::Consensus, b"x").await,
        Err(Error::WrongPattern { .. })
    ));
    assert!(matches!(
        node.handle.send(me, Protocol::Consensus, b"x").await,
        Err(Error::NotClusterPeer { .. })
    ));
    assert!(matches!(
        node.handle
            .send(PeerId::random(), Protocol::Consensus, b"x")
            .await,
        Err(Error::NotClusterPeer { .. })
    ));

    let handle = node.handle.clone();
    node.stop().await;
    assert!(matches!(
        handle.send(other, Protocol::Consensus, b"x").await,
        Err(Error::Stopped)
    ));

    // A key that is not an operator cannot start a node of this cluster.
    let stranger = P2pConfig::new(SecretKey::random(), peers.clone());
    assert!(matches!(
        P2pNode::start(stranger).await,
        Err(Error::LocalNotInCluster { .. })
    ));
    // Explicit addresses for a non-member are a configuration error.
    let mut config = fast_config(&keys[0], &peers, 0);
    config.peer_addrs.insert(PeerId::random(), Vec::new());
    assert!(matches!(
        P2pNode::start(config).await,
        Err(Error::NotClusterPeer { .. })
    ));
}

#[test]
fn inbound_failure_names_the_limit() {
    let failure = InboundFailure::Frame(FrameError::TooLarge { len: 5, max: 4 });
    assert_eq!(
        failure.to_string(),
        "frame of 5 bytes exceeds the limit of 4 bytes"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bursts_from_every_peer_are_all_delivered() {
    const PER_PEER: usize = 300;
    let (keys, peers) = random_cluster(4);
    let nodes = start_all(&keys, &peers).await;
    fully_connected(&nodes).await;
    let target = nodes[0].handle.local_peer_id();

    let mut senders = Vec::new();
    for node in &nodes[1..] {
        let handle = node.handle.clone();
        senders.push(tokio::spawn(async move {
            let sends = (0..PER_PEER).map(|i| {
                let handle = handle.clone();
                async move {
                    let payload = (i as u32).to_be_bytes();
                    handle.send(target, Protocol::Parsigex, &payload).await
                }
            });
            futures::future::join_all(sends).await
        }));
    }
    for sender in senders {
        for result in within("burst", sender).await.expect("sender task") {
            result.expect("send");
        }
    }
    eventually("every burst message", || {
        nodes[0].seen().received.len() == 3 * PER_PEER
    })
    .await;
    for node in nodes {
        node.stop().await;
    }
}

#[tokio::test]
async fn unanswered_requests_fail_for_the_requester() {
    let (keys, peers) = random_cluster(2);
    let asker = start(fast_config(&keys[0], &peers, 0)).await;
    // This node's consumer drops every responder without answering.
    let (silent, mut events) = P2pNode::start(fast_config(&keys[1], &peers, 0))
        .await
        .expect("start");
    let dropped = tokio::spawn(async move {
        let mut dropped = 0;
        while let Some(event) = events.recv().await {
            if let P2pEvent::Request { responder, .. } = event {
                drop(responder);
                dropped += 1;
            }
        }
        dropped
    });
    asker
        .handle
        .add_peer_addrs(silent.local_peer_id(), silent.listen_addrs())
        .await
        .expect("addrs");
    let err = within(
        "request",
        asker
            .handle
            .request(silent.local_peer_id(), Protocol::PeerInfo, b"anyone?"),
    )
    .await
    .expect_err("no response");
    assert!(
        matches!(
            err,
            Error::Frame {
                source: FrameError::Empty,
                ..
            }
        ),
        "{err}"
    );
    silent.shutdown().await;
    assert_eq!(within("consumer", dropped).await.expect("task"), 1);
    asker.stop().await;
}
