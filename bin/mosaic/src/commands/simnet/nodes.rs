//! The cluster's `mosaic run` child processes: started with the flags that tie them to the
//! simulated chain and to each other over loopback TCP, killed by PID (SIGKILL) when an outage
//! starts or the run ends, and restarted with the same data.
//!
//! Every child is killed however the simnet ends: by [`Fleet`]'s `Drop`, by the run loop on
//! ctrl-c, and by a watchdog thread once the run's deadline has passed (so a hung harness still
//! stops its nodes).

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use anyhow::Context;

/// How one node is started: everything `mosaic run` is given.
#[derive(Debug, Clone)]
pub(crate) struct NodeSpec {
    /// Node index (its folder is `node<index>`).
    pub(crate) index: usize,
    /// The node's folder: data dir, lock, ENR key and keystores.
    pub(crate) data_dir: PathBuf,
    /// The lock file.
    pub(crate) lock_file: PathBuf,
    /// The ENR private key file.
    pub(crate) key_file: PathBuf,
    /// The share keystores for the built-in validator client.
    pub(crate) keys_dir: PathBuf,
    /// The validator API address.
    pub(crate) validator_api: SocketAddr,
    /// The p2p TCP listen address.
    pub(crate) p2p: SocketAddr,
    /// The monitoring address (`/metrics`, `/livez`, `/readyz`).
    pub(crate) monitoring: SocketAddr,
    /// The other nodes' multiaddrs, `/ip4/127.0.0.1/tcp/PORT/p2p/<peer-id>`.
    pub(crate) peers: Vec<String>,
    /// Whether the node runs with `--byzantine`.
    pub(crate) byzantine: bool,
    /// Whether the node scales its consensus round timeouts to the slot
    /// (`--scale-consensus-timers`).
    pub(crate) scale_timers: bool,
    /// Whether the node runs with `--builder-api` (registrations, blinded blocks).
    pub(crate) builder: bool,
    /// Whether the node runs in signer mode (`--signer`: its validator client behind the
    /// EIP-3076 slashing-protection database in its data directory).
    pub(crate) signer: bool,
    /// Where its output goes (appended across restarts).
    pub(crate) log_file: PathBuf,
}

impl NodeSpec {
    /// The `mosaic run` arguments for this node.
    pub(crate) fn run_args(&self, beacon_url: &str, log_level: &str) -> Vec<String> {
        let path = |p: &Path| p.display().to_string();
        let mut args = vec![
            "run".to_string(),
            "--data-dir".into(),
            path(&self.data_dir),
            "--lock-file".into(),
            path(&self.lock_file),
            "--private-key-file".into(),
            path(&self.key_file),
            "--beacon-node-endpoints".into(),
            beacon_url.to_string(),
            "--validator-api-address".into(),
            self.validator_api.to_string(),
            "--p2p-tcp-address".into(),
            self.p2p.to_string(),
            "--monitoring-address".into(),
            self.monitoring.to_string(),
            "--log-level".into(),
            log_level.to_string(),
            "--log-format".into(),
            "text".into(),
            "--builtin-vc".into(),
            "--validator-keys-dir".into(),
            path(&self.keys_dir),
        ];
        if !self.peers.is_empty() {
            args.push("--p2p-peers".into());
            args.push(self.peers.join(","));
        }
        if self.byzantine {
            args.push("--byzantine".into());
        }
        if self.builder {
            args.push("--builder-api".into());
        }
        if self.scale_timers {
            args.push("--scale-consensus-timers".into());
        }
        if self.signer {
            args.push("--signer".into());
        }
        args
    }
}

/// The multiaddr other nodes dial to reach `p2p` as `peer_id`.
pub(crate) fn peer_multiaddr(p2p: SocketAddr, peer_id: &str) -> String {
    format!("/ip4/{}/tcp/{}/p2p/{peer_id}", p2p.ip(), p2p.port())
}

/// `count` distinct free TCP ports on 127.0.0.1 from outside the kernel's ephemeral range
/// (see [`mosaic_simnet::ports`]: nothing else takes them before a node binds them, even at a
/// restart many slots later).
pub(crate) fn free_loopback_addresses(count: usize) -> anyhow::Result<Vec<SocketAddr>> {
    Ok(mosaic_simnet::ports::free_loopback_addresses(count)?)
}

/// What a node's process is doing.
#[derive(Debug)]
enum State {
    /// Never started, or killed on purpose.
    Stopped,
    /// Running.
    Running(Child),
    /// Exited on its own (a crash from the harness's point of view).
    Exited,
}

/// One node's process and history.
#[derive(Debug)]
struct NodeProcess {
    spec: NodeSpec,
    state: State,
    starts: u32,
    unexpected_exits: Vec<String>,
}

/// What the report says about one node.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct NodeStatus {
    /// Node index.
    pub(crate) index: usize,
    /// Whether it runs now.
    pub(crate) up: bool,
    /// How many times it was started.
    pub(crate) starts: u32,
    /// Exits nobody asked for, with their status.
    pub(crate) unexpected_exits: Vec<String>,
}

struct Inner {
    exe: PathBuf,
    exe_args: Vec<String>,
    beacon_url: String,
    log_level: String,
    nodes: Vec<NodeProcess>,
}

/// Every node process of the run. Dropping it kills them all.
#[derive(Clone)]
pub(crate) struct Fleet {
    inner: Arc<Mutex<Inner>>,
}

impl std::fmt::Debug for Fleet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fleet").finish_non_exhaustive()
    }
}

impl Fleet {
    /// A fleet of `specs` (none started) running `exe [exe_args…] run …` against `beacon_url`.
    pub(crate) fn new(
        exe: PathBuf,
        exe_args: Vec<String>,
        beacon_url: String,
        log_level: String,
        specs: Vec<NodeSpec>,
    ) -> Self {
        let nodes = specs
            .into_iter()
            .map(|spec| NodeProcess {
                spec,
                state: State::Stopped,
                starts: 0,
                unexpected_exits: Vec::new(),
            })
            .collect();
        Self {
            inner: Arc::new(Mutex::new(Inner {
                exe,
                exe_args,
                beacon_url,
                log_level,
                nodes,
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Starts node `index` (no-op if it runs), appending its output to its log file after a
    /// line saying why.
    pub(crate) fn start(&self, index: usize, reason: &str) -> anyhow::Result<()> {
        let mut inner = self.lock();
        let Inner {
            exe,
            exe_args,
            beacon_url,
            log_level,
            nodes,
        } = &mut *inner;
        let node = nodes
            .get_mut(index)
            .with_context(|| format!("node {index} does not exist"))?;
        if matches!(node.state, State::Running(_)) {
            return Ok(());
        }
        let mut log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&node.spec.log_file)
            .with_context(|| format!("opening {}", node.spec.log_file.display()))?;
        let args = node.spec.run_args(beacon_url, log_level);
        writeln!(
            log,
            "=== mosaic simnet: starting node {index} ({reason}): mosaic {}",
            args.join(" ")
        )
        .with_context(|| format!("writing {}", node.spec.log_file.display()))?;
        let stderr: File = log
            .try_clone()
            .with_context(|| format!("opening {}", node.spec.log_file.display()))?;
        let mut command = Command::new(exe.as_path());
        command
            .args(exe_args.iter())
            .args(&args)
            .current_dir(&node.spec.data_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(stderr));
        // Flags win over the environment, but settings simnet does not pass (a config file, a
        // fee recipient…) must not leak in from the user's shell.
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("MOSAIC_") {
                command.env_remove(name);
            }
        }
        let child = command
            .spawn()
            .with_context(|| format!("starting node {index}: {} run", exe.display()))?;
        node.state = State::Running(child);
        node.starts += 1;
        Ok(())
    }

    /// Kills node `index` with SIGKILL (by PID) and reaps it; no-op if it is not running.
    pub(crate) fn kill(&self, index: usize) {
        let mut inner = self.lock();
        if let Some(node) = inner.nodes.get_mut(index) {
            kill_node(node);
        }
    }

    /// Kills every node.
    pub(crate) fn kill_all(&self) {
        let mut inner = self.lock();
        for node in &mut inner.nodes {
            kill_node(node);
        }
    }

    /// Notices nodes that exited on their own; returns a line for each new one.
    pub(crate) fn reap(&self) -> Vec<String> {
        let mut inner = self.lock();
        let mut news = Vec::new();
        for node in &mut inner.nodes {
            let State::Running(child) = &mut node.state else {
                continue;
            };
            match child.try_wait() {
                Ok(Some(status)) => {
                    let line = format!(
                        "node {} exited on its own ({status}); see {}",
                        node.spec.index,
                        node.spec.log_file.display()
                    );
                    node.unexpected_exits.push(status.to_string());
                    node.state = State::Exited;
                    news.push(line);
                }
                Ok(None) => {}
                Err(error) => news.push(format!("node {}: {error}", node.spec.index)),
            }
        }
        news
    }

    /// Which nodes run now.
    pub(crate) fn up(&self) -> Vec<bool> {
        self.lock()
            .nodes
            .iter()
            .map(|n| matches!(n.state, State::Running(_)))
            .collect()
    }

    /// Every node's status.
    pub(crate) fn statuses(&self) -> Vec<NodeStatus> {
        self.lock()
            .nodes
            .iter()
            .map(|n| NodeStatus {
                index: n.spec.index,
                up: matches!(n.state, State::Running(_)),
                starts: n.starts,
                unexpected_exits: n.unexpected_exits.clone(),
            })
            .collect()
    }

    /// Kills every node once `deadline` has passed, from a background thread that ends when the
    /// fleet is dropped: a child never outlives its run by more than the margin built into
    /// `deadline`, even if the harness hangs.
    pub(crate) fn watchdog(&self, deadline: Instant) {
        let weak = Arc::downgrade(&self.inner);
        std::thread::spawn(move || loop {
            std::thread::sleep(Duration::from_millis(200));
            let Some(inner) = weak.upgrade() else {
                return;
            };
            if Instant::now() >= deadline {
                let fleet = Fleet { inner };
                eprintln!("simnet: run deadline passed; killing every node");
                fleet.kill_all();
                return;
            }
        });
    }
}

fn kill_node(node: &mut NodeProcess) {
    if let State::Running(child) = &mut node.state {
        // SIGKILL by PID; an error means it already exited, and wait() reaps it either way.
        let _ = child.kill();
        let _ = child.wait();
    }
    node.state = State::Stopped;
}

impl Drop for Inner {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            kill_node(node);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(dir: &Path, exe_args_byzantine: bool) -> NodeSpec {
        NodeSpec {
            index: 2,
            data_dir: dir.to_path_buf(),
            lock_file: dir.join("cluster-lock.json"),
            key_file: dir.join("charon-enr-private-key"),
            keys_dir: dir.join("validator_keys"),
            validator_api: "127.0.0.1:4000".parse().expect("addr"),
            p2p: "127.0.0.1:4001".parse().expect("addr"),
            monitoring: "127.0.0.1:4002".parse().expect("addr"),
            peers: vec![
                "/ip4/127.0.0.1/tcp/5000/p2p/16Uiu2A".into(),
                "/ip4/127.0.0.1/tcp/5001/p2p/16Uiu2B".into(),
            ],
            byzantine: exe_args_byzantine,
            signer: exe_args_byzantine,
            builder: exe_args_byzantine,
            scale_timers: exe_args_byzantine,
            log_file: dir.join("node2.log"),
        }
    }

    #[test]
    fn run_arguments() {
        let dir = Path::new("/tmp/x/node2");
        let args = spec(dir, false).run_args("http://127.0.0.1:9", "debug");
        let joined = args.join(" ");
        assert!(joined.starts_with("run --data-dir /tmp/x/node2 "));
        for expected in [
            "--beacon-node-endpoints http://127.0.0.1:9",
            "--validator-api-address 127.0.0.1:4000",
            "--p2p-tcp-address 127.0.0.1:4001",
            "--monitoring-address 127.0.0.1:4002",
            "--log-level debug",
            "--builtin-vc",
            "--validator-keys-dir /tmp/x/node2/validator_keys",
            "--p2p-peers /ip4/127.0.0.1/tcp/5000/p2p/16Uiu2A,/ip4/127.0.0.1/tcp/5001/p2p/16Uiu2B",
        ] {
            assert!(
                joined.contains(expected),
                "{expected} missing from {joined}"
            );
        }
        assert!(!joined.contains("--byzantine"));
        assert!(!joined.contains("--signer"));
        let flagged = spec(dir, true).run_args("http://127.0.0.1:9", "info");
        assert!(flagged.contains(&"--byzantine".to_string()));
        assert!(flagged.contains(&"--signer".to_string()));
        assert!(flagged.contains(&"--builder-api".to_string()));
        assert!(flagged.contains(&"--scale-consensus-timers".to_string()));
    }

    #[test]
    fn multiaddrs_and_ports() {
        let addr: SocketAddr = "127.0.0.1:3610".parse().expect("addr");
        assert_eq!(
            peer_multiaddr(addr, "16Uiu2X"),
            "/ip4/127.0.0.1/tcp/3610/p2p/16Uiu2X"
        );
        let ports = free_loopback_addresses(6).expect("ports");
        let mut distinct: Vec<u16> = ports.iter().map(|a| a.port()).collect();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), 6);
        assert!(ports.iter().all(|a| a.ip().is_loopback()));
    }

    /// A fleet whose "node" is `sh -c SCRIPT` (the run arguments become ignored positionals).
    fn fake_fleet(dir: &Path, script: &str) -> Fleet {
        Fleet::new(
            PathBuf::from("sh"),
            vec!["-c".into(), script.into(), "fake-node".into()],
            "http://127.0.0.1:9".into(),
            "info".into(),
            vec![spec(dir, false)],
        )
    }

    #[test]
    fn start_kill_restart_and_crash_detection() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fleet = fake_fleet(dir.path(), "exec sleep 30");
        fleet.start(0, "test").expect("start");
        assert_eq!(fleet.up(), vec![true]);
        assert!(fleet.reap().is_empty());
        fleet.start(0, "again").expect("no-op while running");
        assert_eq!(fleet.statuses()[0].starts, 1);
        fleet.kill(0);
        assert_eq!(fleet.up(), vec![false]);
        assert!(fleet.reap().is_empty(), "a kill is not a crash");
        fleet.start(0, "restart").expect("restart");
        assert_eq!(fleet.statuses()[0].starts, 2);
        let log = std::fs::read_to_string(dir.path().join("node2.log")).expect("log");
        assert_eq!(log.matches("=== mosaic simnet: starting node 0").count(), 2);
        drop(fleet);

        let crashing = fake_fleet(dir.path(), "exit 3");
        crashing.start(0, "test").expect("start");
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut news = Vec::new();
        while news.is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
            news = crashing.reap();
        }
        assert_eq!(news.len(), 1, "the crash is noticed");
        assert_eq!(crashing.statuses()[0].unexpected_exits.len(), 1);
        assert_eq!(crashing.up(), vec![false]);
    }

    #[test]
    fn watchdog_kills_after_the_deadline() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fleet = fake_fleet(dir.path(), "exec sleep 30");
        fleet.start(0, "test").expect("start");
        fleet.watchdog(Instant::now() + Duration::from_millis(300));
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(fleet.up(), vec![true], "not before the deadline");
        let deadline = Instant::now() + Duration::from_secs(5);
        while fleet.up() == vec![true] && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert_eq!(fleet.up(), vec![false], "killed after the deadline");
    }
}
