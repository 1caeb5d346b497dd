//! `mosaic run`: one operator's distributed validator node.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{bail, ensure, Context};
use mosaic_cluster::{Lock, VerifyOptions};
use mosaic_core::chain::ChainSpec;
use mosaic_node::NodeConfig;
use mosaic_p2p::{Multiaddr, PeerId};
use mosaic_types::consensus::{Mainnet, Minimal, Preset};

use crate::run_config::{init_logging, RunArgs, RunConfig};

/// Runs the node until SIGINT or SIGTERM.
pub(crate) fn run(args: RunArgs) -> anyhow::Result<()> {
    let config = args.resolve()?;
    init_logging(config.log_level, config.log_format)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(run_node(config))
}

fn socket_multiaddr(addr: SocketAddr) -> Multiaddr {
    let mut multiaddr = Multiaddr::empty();
    match addr.ip() {
        std::net::IpAddr::V4(ip) => multiaddr.push(mosaic_p2p::multiaddr::Protocol::Ip4(ip)),
        std::net::IpAddr::V6(ip) => multiaddr.push(mosaic_p2p::multiaddr::Protocol::Ip6(ip)),
    }
    multiaddr.push(mosaic_p2p::multiaddr::Protocol::Tcp(addr.port()));
    multiaddr
}

/// Splits `/ip4/../tcp/../p2p/<id>` into the peer ID and its dialable address.
fn peer_address(text: &str) -> anyhow::Result<(PeerId, Multiaddr)> {
    let mut addr: Multiaddr = text
        .parse()
        .with_context(|| format!("--p2p-peers: {text:?} is not a multiaddr"))?;
    match addr.pop() {
        Some(mosaic_p2p::multiaddr::Protocol::P2p(peer)) => Ok((peer, addr)),
        _ => bail!("--p2p-peers: {text:?} does not end in /p2p/<peer-id>"),
    }
}

async fn wait_for_beacon(urls: &[String]) -> anyhow::Result<ChainSpec> {
    let mut delay = Duration::from_millis(250);
    loop {
        match mosaic_node::fetch_chain(urls).await {
            Ok(chain) => return Ok(chain),
            Err(error) => {
                tracing::warn!(%error, "beacon node not ready; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(10));
            }
        }
    }
}

async fn run_node(config: RunConfig) -> anyhow::Result<()> {
    let lock = Lock::load(&config.lock_file)?;
    lock.verify_with(&VerifyOptions::default())
        .with_context(|| format!("{}: verification failed", config.lock_file.display()))?;
    let enr_key = mosaic_p2p::identity::load_enr_private_key(&config.private_key_file)
        .with_context(|| format!("{}", config.private_key_file.display()))?;
    let mut p2p_peers: HashMap<PeerId, Vec<Multiaddr>> = HashMap::new();
    for text in &config.p2p_peers {
        let (peer, addr) = peer_address(text)?;
        p2p_peers.entry(peer).or_default().push(addr);
    }
    let beacon_urls: Vec<String> = config
        .beacon_node_endpoints
        .iter()
        .map(|url| url.as_str().trim_end_matches('/').to_string())
        .collect();
    let node_config = NodeConfig {
        lock,
        enr_key,
        beacon_urls: beacon_urls.clone(),
        validator_api: config.validator_api_address,
        p2p_listen: config
            .p2p_tcp_addresses
            .iter()
            .copied()
            .map(socket_multiaddr)
            .collect(),
        p2p_peers,
        monitoring: config.monitoring_address,
        builder: config.builder_api,
        byzantine: config.byzantine,
        scale_consensus_timers: config.scale_consensus_timers,
    };
    let chain = wait_for_beacon(&beacon_urls).await?;
    mosaic_node::check_network(&node_config.lock, &chain)
        .with_context(|| format!("{} against the beacon node", config.lock_file.display()))?;
    if chain.preset_base == "minimal" {
        run_with::<Minimal>(node_config, chain, &config).await
    } else {
        run_with::<Mainnet>(node_config, chain, &config).await
    }
}

/// Runs the node for `chain`, and again for each new chain the beacon node moves to (a genesis
/// reset, see [`mosaic_node::reset`]), until SIGINT or SIGTERM.
async fn run_with<P: Preset>(
    node_config: NodeConfig,
    mut chain: ChainSpec,
    config: &RunConfig,
) -> anyhow::Result<()> {
    // Keys and (with --signer) slashing protection before the node starts: a signer that
    // cannot protect its signatures must not run.
    let vc_keys = if config.builtin_vc || config.builtin_aggregator {
        Some(
            mosaic_crypto::keystore::decrypt_dir(&config.validator_keys_dir)
                .with_context(|| {
                    format!(
                        "built-in validator client keys in {}",
                        config.validator_keys_dir.display()
                    )
                })?
                .into_iter()
                .map(|file| file.secret)
                .collect::<Vec<_>>(),
        )
    } else {
        None
    };
    let guard = super::signer::signing_guard(
        config,
        &node_config.lock,
        chain.genesis_validators_root().0,
        vc_keys.as_deref().unwrap_or_default(),
    )?;
    // One signal listener for the whole run, so a signal during a restart is not lost.
    let signal = wait_for_signal();
    tokio::pin!(signal);
    loop {
        let ended = run_on_chain::<P>(&node_config, &chain, config, &guard, &vc_keys, &mut signal);
        let next = match ended.await? {
            Ended::Signal => return Ok(()),
            Ended::Reset(next) => *next,
        };
        ensure!(
            next.preset_base == chain.preset_base,
            "the beacon node's chain was reset to one with preset {:?} (was {:?}); start mosaic \
             run again",
            next.preset_base,
            chain.preset_base
        );
        mosaic_node::check_network(&node_config.lock, &next).with_context(|| {
            format!(
                "the beacon node's chain was reset (genesis time {}); {}",
                next.genesis_time,
                config.lock_file.display()
            )
        })?;
        if let Some(slashing) = &guard.slashing {
            slashing
                .switch_chain(next.genesis_validators_root().0)
                .context("signer mode: moving slashing protection to the new chain")?;
        }
        tracing::warn!(
            old_genesis_time = chain.genesis_time,
            new_genesis_time = next.genesis_time,
            old_genesis_validators_root = %root_hex(&chain),
            new_genesis_validators_root = %root_hex(&next),
            "genesis reset: the beacon node serves a new chain; the node starts again for it"
        );
        chain = next;
        tokio::select! {
            () = &mut signal => return Ok(()),
            () = wait_until_free(&node_config, RESTART_PORT_WAIT) => {}
        }
    }
}

/// How long the built-in validator client gets to finish after the node stops.
const VC_STOP_WAIT: Duration = Duration::from_secs(5);

/// How long a restart for a new chain waits for the old node's listeners to close.
const RESTART_PORT_WAIT: Duration = Duration::from_secs(15);

fn root_hex(chain: &ChainSpec) -> String {
    format!("0x{}", hex::encode(chain.genesis_validators_root().0))
}

/// Why [`run_on_chain`] returned.
enum Ended {
    /// SIGINT or SIGTERM.
    Signal,
    /// The beacon node now serves this other chain.
    Reset(Box<ChainSpec>),
}

/// Runs the node, its validator API(s) and built-in client for one chain until a signal or a
/// genesis reset, then stops them all.
async fn run_on_chain<P: Preset>(
    node_config: &NodeConfig,
    chain: &ChainSpec,
    config: &RunConfig,
    guard: &super::signer::Guard,
    vc_keys: &Option<Vec<mosaic_crypto::bls::SecretKey>>,
    signal: &mut (impl std::future::Future<Output = ()> + Unpin),
) -> anyhow::Result<Ended> {
    let node = mosaic_node::start::<P>(node_config.clone(), chain.clone()).await?;
    if let Some(slashing) = guard.slashing.clone() {
        tokio::spawn(super::signer::export_guard_metrics(
            slashing,
            node.core.metrics.clone(),
            node.shutdown_signal(),
        ));
    }
    let validator_api =
        mosaic_node::validator_api::serve_on(&node, node.validator_api, config.builtin_aggregator)
            .await
            .context("starting the validator API")?;
    // The built-in client talks to its own API: beside an external client (the
    // --builtin-aggregator case) the public one refuses aggregation.
    let builtin_api = if config.builtin_aggregator {
        mosaic_node::validator_api::serve_on(&node, ([127, 0, 0, 1], 0).into(), false)
            .await
            .context("starting the built-in aggregator's validator API")?
    } else {
        validator_api
    };
    tracing::info!(
        validator_api = %validator_api,
        monitoring = %node.monitoring,
        p2p = ?node.p2p_addrs,
        "serving"
    );
    let vc = if let Some(keys) = vc_keys.clone() {
        let mut vc_config = mosaic_vc::VcConfig::new(vec![format!("http://{builtin_api}")], keys);
        if let Some(fee_recipient) = config.fee_recipient {
            vc_config.fee_recipient = mosaic_types::ExecutionAddress(fee_recipient);
        }
        vc_config.builder = config.builder_api;
        if config.builtin_aggregator {
            vc_config.duties = mosaic_vc::DutySelection::AggregationOnly;
        }
        let shutdown = node.shutdown_signal();
        let signing = guard.signing.clone();
        Some(tokio::spawn(async move {
            if let Err(error) = mosaic_vc::run::<P>(vc_config, signing, shutdown).await {
                tracing::error!(%error, "built-in validator client stopped");
            }
        }))
    } else {
        None
    };
    let ended = tokio::select! {
        () = signal => Ended::Signal,
        next = mosaic_node::reset::next_chain(&node_config.beacon_urls, chain) => Ended::Reset(Box::new(next)),
    };
    tracing::info!("shutting down");
    node.stop().await;
    if let Some(mut vc) = vc {
        // The client ends at the node's shutdown signal. Aborting it mid-duty is safe too: in
        // signer mode a signature is recorded before it leaves.
        if tokio::time::timeout(VC_STOP_WAIT, &mut vc).await.is_err() {
            vc.abort();
            let _ = vc.await;
        }
    }
    Ok(ended)
}

/// Waits (up to `limit`) until the node's fixed listen addresses can be bound again: the
/// stopped node's validator API lets its open requests finish before it lets go of its port.
async fn wait_until_free(node_config: &NodeConfig, limit: Duration) {
    let mut addresses = vec![node_config.validator_api, node_config.monitoring];
    addresses.extend(node_config.p2p_listen.iter().filter_map(tcp_socket_address));
    addresses.retain(|address| address.port() != 0);
    let deadline = tokio::time::Instant::now() + limit;
    for address in addresses {
        while std::net::TcpListener::bind(address).is_err() {
            if tokio::time::Instant::now() >= deadline {
                tracing::warn!(%address, "still in use; starting anyway");
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// The socket address of a `/ip4|ip6/<ip>/tcp/<port>` multiaddr.
fn tcp_socket_address(multiaddr: &Multiaddr) -> Option<SocketAddr> {
    use mosaic_p2p::multiaddr::Protocol;
    let mut parts = multiaddr.iter();
    let ip: std::net::IpAddr = match parts.next()? {
        Protocol::Ip4(ip) => ip.into(),
        Protocol::Ip6(ip) => ip.into(),
        _ => return None,
    };
    match parts.next()? {
        Protocol::Tcp(port) => Some(SocketAddr::new(ip, port)),
        _ => None,
    }
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_addresses_split_into_id_and_address() {
        let peer = PeerId::random();
        let (parsed, addr) = peer_address(&format!("/ip4/127.0.0.1/tcp/3610/p2p/{peer}")).unwrap();
        assert_eq!(parsed, peer);
        assert_eq!(addr.to_string(), "/ip4/127.0.0.1/tcp/3610");
        assert!(peer_address("/ip4/127.0.0.1/tcp/3610").is_err());
        assert!(peer_address("not a multiaddr").is_err());
    }

    #[test]
    fn tcp_multiaddrs_give_back_their_socket_address() {
        let addr: SocketAddr = "127.0.0.1:3610".parse().unwrap();
        assert_eq!(tcp_socket_address(&socket_multiaddr(addr)), Some(addr));
        let v6: SocketAddr = "[::1]:3611".parse().unwrap();
        assert_eq!(tcp_socket_address(&socket_multiaddr(v6)), Some(v6));
        let quic: Multiaddr = "/ip4/127.0.0.1/udp/3610/quic-v1".parse().unwrap();
        assert_eq!(tcp_socket_address(&quic), None);
    }

    #[test]
    fn socket_addresses_become_tcp_multiaddrs() {
        let addr: SocketAddr = "127.0.0.1:3610".parse().unwrap();
        assert_eq!(
            socket_multiaddr(addr).to_string(),
            "/ip4/127.0.0.1/tcp/3610"
        );
    }
}
