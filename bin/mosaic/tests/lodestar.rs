//! End to end with real clients (issue 7): a Lodestar v1.5.1 dev beacon node with 8 interop
//! genesis validators (Altair at epoch 0, Bellatrix 1, Capella 2, 2 s slots, minimal preset),
//! interop validators 0–3 split by `mosaic create cluster --split-existing-keys` into a 4-node
//! 3-of-4 cluster, four `mosaic run` processes, and validators 4–7 in one plain Lodestar
//! validator client as the control group. Everything on 127.0.0.1.
//!
//! - Middleware mode: four Lodestar validator clients, each with only its node's share
//!   keystores, against their node's validator API. Lodestar 1.5 has no distributed mode (it
//!   computes aggregation selection proofs alone, with its share, and those never combine), so
//!   each node runs `--builtin-aggregator`: its own client performs only the aggregation duties
//!   with the same shares. Without that, a validator alone in its committee (8 validators, 8
//!   slots) never has its attestation aggregated, and Lodestar packs only aggregates.
//! - Signer mode: the four nodes sign every duty themselves (`--signer`), no validator client
//!   for 0–3.
//!
//! Each run goes until epoch 4 or later is finalized, checks that each distributed validator
//! attested in every epoch after the first (its attestation in a canonical block, or seen by the
//! beacon node's liveness endpoint; and most of them on chain), that their balances grew, that a
//! block of theirs is canonical, that their sync committee messages were included in every
//! epoch, and that no node's metrics show a failed attester or proposer duty; then one node is
//! stopped and the validators must keep attesting through the next full epoch. It prints, per
//! epoch, the distributed validators' effectiveness next to the control group's.
//!
//! Lodestar comes from `MOSAIC_LODESTAR_BIN` (scripts/test.sh installs it with
//! `../shared/realclients/lodestar/install.sh`). Without it the test is skipped, loudly, unless
//! `MOSAIC_REQUIRE_VECTORS=1`. Every process runs under `timeout` (so nothing outlives a killed
//! test) and is stopped by PID however the test ends.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use mosaic_simnet::ports::free_loopback_port;
use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

const SLOT_SECS: u64 = 2;
const SLOTS_PER_EPOCH: u64 = 8;
const VALIDATORS: u64 = 8;
/// Interop validators 0–3 are the cluster's distributed validators; 4–7 the control group.
const DV_COUNT: u64 = 4;
/// The run goes until this epoch (or a later one) is finalized.
const FINALIZED_EPOCH: u64 = 4;
/// After a node is stopped, the validators must keep attesting through the first epoch that
/// starts at most this many slots after the stop.
const STOP_SLOTS_GRACE: u64 = 2;
/// While all four nodes run, at least this share of the distributed validators' attestations
/// must be on chain (each one must be on chain or seen by the beacon node regardless): a
/// loaded 2-core machine sometimes lets one aggregate arrive too late to be packed.
const MIN_INCLUSION: f64 = 0.75;
/// The whole test's limit (the bound is 10 minutes).
const TEST_LIMIT: Duration = Duration::from_secs(480);
/// The hard limit of every child process, even if this test is killed.
const PROCESS_LIMIT_SECS: u64 = 540;
const NODES: usize = 4;
const FORK_PARAMS: [&str; 8] = [
    "--params.SECONDS_PER_SLOT",
    "2",
    "--params.ALTAIR_FORK_EPOCH",
    "0",
    "--params.BELLATRIX_FORK_EPOCH",
    "1",
    "--params.CAPELLA_FORK_EPOCH",
    "2",
];
/// The first slots of the epochs where a fork starts after genesis (Bellatrix 1, Capella 2).
const FORK_FIRST_SLOTS: [u64; 2] = [SLOTS_PER_EPOCH, 2 * SLOTS_PER_EPOCH];
const ADDRESS: &str = "0x000000000000000000000000000000000000dEaD";

/// Lodestar's executable, or `None` (skip) when it is not installed and not required.
fn lodestar() -> Option<PathBuf> {
    match std::env::var_os("MOSAIC_LODESTAR_BIN") {
        Some(path) => {
            let path = PathBuf::from(path);
            assert!(
                path.exists(),
                "MOSAIC_LODESTAR_BIN={} does not exist",
                path.display()
            );
            Some(path)
        }
        None if std::env::var("MOSAIC_REQUIRE_VECTORS").as_deref() == Ok("1") => panic!(
            "MOSAIC_LODESTAR_BIN is not set and MOSAIC_REQUIRE_VECTORS=1: install Lodestar with \
             ../shared/realclients/lodestar/install.sh (scripts/test.sh does)"
        ),
        None => {
            eprintln!(
                "SKIPPED: MOSAIC_LODESTAR_BIN is not set (scripts/test.sh installs Lodestar)"
            );
            None
        }
    }
}

/// Writes `text` to the test's standard error directly, so that it is in the test output even
/// when the test passes (the test harness captures `print!` and `eprint!` only).
fn show(text: &str) {
    use std::io::Write as _;
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{text}");
}

/// Child processes, each under `timeout`, stopped by PID when dropped.
struct Processes {
    dir: PathBuf,
    children: Vec<(String, Child)>,
}

impl Processes {
    fn new(dir: &Path) -> Self {
        Self {
            dir: dir.to_owned(),
            children: Vec::new(),
        }
    }

    /// Starts `program args` in `cwd`, output to `<dir>/<name>.log`.
    fn start(&mut self, name: &str, program: &Path, args: &[String], cwd: &Path) {
        let log = File::create(self.dir.join(format!("{name}.log"))).unwrap();
        let child = Command::new("timeout")
            .args(["--signal=TERM", "--kill-after=5"])
            .arg(PROCESS_LIMIT_SECS.to_string())
            .arg(program)
            .args(args)
            .current_dir(cwd)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {name} ({}): {e}", program.display()));
        self.children.push((name.to_owned(), child));
    }

    /// Stops `name`: SIGTERM to its `timeout`, which passes it on and kills the process 5 s
    /// later if it is still there; SIGKILL if nothing ended within 10 s.
    fn stop(&mut self, name: &str) {
        if let Some(position) = self.children.iter().position(|(n, _)| n == name) {
            let (_, child) = self.children.remove(position);
            stop_child(child);
        }
    }

    /// `name`'s whole log (empty if it has none yet).
    fn read_log(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.join(format!("{name}.log"))).unwrap_or_default()
    }

    fn log_tail(&self, name: &str) -> String {
        let text = self.read_log(name);
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(15)..].join("\n")
    }

    /// The last 40 warnings and errors of `name`'s log.
    fn log_warnings(&self, name: &str) -> String {
        let text = self.read_log(name);
        let lines: Vec<&str> = text
            .lines()
            .filter(|line| line.contains("WARN") || line.contains("ERROR"))
            .collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// The attester duties (slot, validator) whose broadcast `name`'s log shows refused as
    /// `ATTESTATION_ERROR_INVALID_SIGNATURE` in the first slot of a fork.
    ///
    /// Lodestar 1.5.1 checks an attestation's signature with the fork of the state of the block
    /// it votes for, not the fork of its target epoch (`getAttestationWithIndicesSignatureSet`
    /// passes the head block state's slot to `config.getDomain`, which only ever steps back a
    /// fork). An attestation in a fork's first slot that votes for the last block of the old
    /// fork, which happens whenever that slot's block is not imported at a third of the slot,
    /// is correctly signed with the new fork's domain and refused all the same. The control
    /// group's validator client meets the same refusals (its log shows "Error publishing
    /// attestations slot=8 / slot=16"); retrying cannot help, the vote names the same block.
    fn fork_boundary_refusals(&self, name: &str) -> BTreeSet<(u64, String)> {
        let text = self.read_log(name);
        text.lines()
            .filter(|line| {
                line.contains("broadcast failed")
                    && line.contains("ATTESTATION_ERROR_INVALID_SIGNATURE")
            })
            .filter_map(|line| {
                let field = |key: &str| {
                    line.split_whitespace()
                        .find_map(|word| word.strip_prefix(key))
                        .map(str::to_owned)
                };
                let (slot, duty) = field("duty=")?
                    .split_once('/')
                    .map(|(s, d)| (s.to_owned(), d.to_owned()))?;
                let slot: u64 = slot.parse().ok()?;
                (duty == "attester" && FORK_FIRST_SLOTS.contains(&slot))
                    .then(|| (slot, field("validator=").unwrap_or_default()))
            })
            .collect()
    }
}

fn stop_child(mut child: Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
}

impl Drop for Processes {
    fn drop(&mut self) {
        for (_, child) in self.children.drain(..).rev() {
            stop_child(child);
        }
    }
}

/// Which mode the Mosaic nodes run in.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    /// Lodestar validator clients for the distributed validators.
    Middleware,
    /// The nodes sign themselves.
    Signer,
}

struct Beacon {
    http: reqwest::Client,
    url: String,
}

impl Beacon {
    async fn get(&self, path: &str) -> Option<Value> {
        let response = self
            .http
            .get(format!("{}{path}", self.url))
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .ok()?;
        if !response.status().is_success() {
            return None;
        }
        response.json().await.ok()
    }

    async fn number(&self, path: &str, pointer: &str) -> Option<u64> {
        let value = self.get(path).await?;
        number(value.pointer(pointer)?)
    }
}

fn number(value: &Value) -> Option<u64> {
    match value {
        Value::String(text) => text.parse().ok(),
        Value::Number(n) => n.as_u64(),
        _ => None,
    }
}

/// The bits of an SSZ bitlist (trailing delimiter bit removed) or bitvector, from 0x-hex.
fn bits(hex_text: &str, bitlist: bool) -> Vec<bool> {
    let bytes = hex::decode(hex_text.trim_start_matches("0x")).unwrap();
    let mut bits: Vec<bool> = bytes
        .iter()
        .flat_map(|byte| (0..8).map(move |i| byte >> i & 1 == 1))
        .collect();
    if bitlist {
        while bits.last() == Some(&false) {
            bits.pop();
        }
        bits.pop();
    }
    bits
}

/// What the canonical chain shows, per epoch.
#[derive(Default)]
struct ChainRecord {
    /// Committees by `(slot, committee index)`, fetched while their epoch was current.
    committees: BTreeMap<(u64, u64), Vec<u64>>,
    /// Sync committee members by epoch (positions in the committee).
    sync_committees: BTreeMap<u64, Vec<u64>>,
    /// Validators whose attestation for an epoch is in a canonical block.
    attested: BTreeMap<u64, BTreeSet<u64>>,
    /// Per epoch and validator: sync committee bits set, out of positions offered.
    sync_bits: BTreeMap<(u64, u64), (u64, u64)>,
    /// Canonical blocks by proposer, per epoch.
    blocks: BTreeMap<u64, Vec<u64>>,
    /// Validators the beacon node saw attesting in an epoch (`/eth/v1/validator/liveness`).
    live: BTreeMap<u64, BTreeSet<u64>>,
}

impl ChainRecord {
    async fn learn_epoch(&mut self, beacon: &Beacon, epoch: u64) {
        // Committees from the attester duties of every validator (Lodestar 1.5's committees
        // endpoint mislabels slots when asked by epoch).
        let indices: Vec<String> = (0..VALIDATORS).map(|i| i.to_string()).collect();
        let duties = beacon
            .http
            .post(format!(
                "{}/eth/v1/validator/duties/attester/{epoch}",
                beacon.url
            ))
            .json(&indices)
            .timeout(Duration::from_secs(10))
            .send()
            .await;
        if let Ok(response) = duties {
            let answer: Value = response.json().await.unwrap_or_default();
            for duty in answer["data"].as_array().into_iter().flatten() {
                let slot = number(&duty["slot"]).unwrap();
                let index = number(&duty["committee_index"]).unwrap();
                let length = number(&duty["committee_length"]).unwrap() as usize;
                let position = number(&duty["validator_committee_index"]).unwrap() as usize;
                let members = self
                    .committees
                    .entry((slot, index))
                    .or_insert_with(|| vec![u64::MAX; length]);
                if let Some(member) = members.get_mut(position) {
                    *member = number(&duty["validator_index"]).unwrap();
                }
            }
        }
        if let Some(answer) = beacon
            .get(&format!(
                "/eth/v1/beacon/states/head/sync_committees?epoch={epoch}"
            ))
            .await
        {
            let members = answer["data"]["validators"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| number(v).unwrap())
                .collect();
            self.sync_committees.insert(epoch, members);
        }
    }

    /// Asks which validators the beacon node saw attesting in `epoch` (it answers for recent
    /// epochs only, so this is asked as the run goes).
    async fn learn_liveness(&mut self, beacon: &Beacon, epoch: u64) {
        let query: Vec<String> = (0..VALIDATORS).map(|i| format!("indices={i}")).collect();
        let Some(answer) = beacon
            .get(&format!(
                "/eth/v1/validator/liveness?{}&epoch={epoch}",
                query.join("&")
            ))
            .await
        else {
            return;
        };
        let live = self.live.entry(epoch).or_default();
        for entry in answer["data"].as_array().into_iter().flatten() {
            if entry["is_live"].as_bool() == Some(true) {
                live.insert(number(&entry["index"]).unwrap());
            }
        }
    }

    /// Reads the canonical blocks of slots `1..=last`.
    async fn read_blocks(&mut self, beacon: &Beacon, last: u64) {
        for slot in 1..=last {
            let Some(block) = beacon.get(&format!("/eth/v2/beacon/blocks/{slot}")).await else {
                continue;
            };
            let message = &block["data"]["message"];
            let epoch = slot / SLOTS_PER_EPOCH;
            let proposer = number(&message["proposer_index"]).unwrap();
            self.blocks.entry(epoch).or_default().push(proposer);
            for attestation in message["body"]["attestations"]
                .as_array()
                .into_iter()
                .flatten()
            {
                let data = &attestation["data"];
                let key = (
                    number(&data["slot"]).unwrap(),
                    number(&data["index"]).unwrap(),
                );
                let Some(members) = self.committees.get(&key) else {
                    continue;
                };
                let attested = self.attested.entry(key.0 / SLOTS_PER_EPOCH).or_default();
                let set = bits(attestation["aggregation_bits"].as_str().unwrap(), true);
                for (member, bit) in members.iter().zip(set) {
                    if bit {
                        attested.insert(*member);
                    }
                }
            }
            // The sync aggregate of a block at `slot` is the committee's vote on `slot - 1`.
            let aggregate = &message["body"]["sync_aggregate"];
            let (Some(bits_hex), Some(members)) = (
                aggregate["sync_committee_bits"].as_str(),
                self.sync_committees.get(&((slot - 1) / SLOTS_PER_EPOCH)),
            ) else {
                continue;
            };
            for (member, bit) in members.iter().zip(bits(bits_hex, false)) {
                let entry = self.sync_bits.entry((epoch, *member)).or_default();
                entry.1 += 1;
                entry.0 += u64::from(bit);
            }
        }
    }

    /// Share of `group`'s attestations of `epoch` that are on chain.
    fn attestation_rate(&self, epoch: u64, group: &[u64]) -> f64 {
        let attested = self.attested.get(&epoch);
        let included = group
            .iter()
            .filter(|v| attested.is_some_and(|set| set.contains(v)))
            .count();
        included as f64 / group.len() as f64
    }

    /// Share of `group` the beacon node saw attesting in `epoch`, if it was asked.
    fn live_rate(&self, epoch: u64, group: &[u64]) -> Option<f64> {
        let live = self.live.get(&epoch)?;
        let seen = group.iter().filter(|v| live.contains(v)).count();
        Some(seen as f64 / group.len() as f64)
    }

    /// Share of `group`'s sync committee positions of `epoch` set in blocks.
    fn sync_rate(&self, epoch: u64, group: &[u64]) -> Option<f64> {
        let (set, offered) = group
            .iter()
            .filter_map(|v| self.sync_bits.get(&(epoch, *v)))
            .fold((0, 0), |(s, o), (set, offered)| (s + set, o + offered));
        (offered > 0).then(|| set as f64 / offered as f64)
    }

    fn table(&self, epochs: std::ops::RangeInclusive<u64>, dv: &[u64], control: &[u64]) -> String {
        let percent = |rate: Option<f64>| {
            rate.map_or_else(|| "-".to_owned(), |r| format!("{:.0}%", r * 100.0))
        };
        let mut text = String::from(
            "epoch  DV on chain  control on chain  DV live  control live  DV sync  control sync  DV blocks  control blocks\n",
        );
        for epoch in epochs {
            let blocks = self.blocks.get(&epoch).cloned().unwrap_or_default();
            let dv_blocks = blocks.iter().filter(|p| dv.contains(p)).count();
            let control_blocks = blocks.iter().filter(|p| control.contains(p)).count();
            text.push_str(&format!(
                "{epoch:>5}  {:>11}  {:>16}  {:>7}  {:>12}  {:>7}  {:>12}  {dv_blocks:>9}  {control_blocks:>14}\n",
                percent(Some(self.attestation_rate(epoch, dv))),
                percent(Some(self.attestation_rate(epoch, control))),
                percent(self.live_rate(epoch, dv)),
                percent(self.live_rate(epoch, control)),
                percent(self.sync_rate(epoch, dv)),
                percent(self.sync_rate(epoch, control)),
            ));
        }
        text
    }
}

/// `mosaic_duty_total{duty="<duty>",outcome="failed"}` of a node's metrics.
async fn failed_duties(http: &reqwest::Client, monitoring: u16, duty: &str) -> u64 {
    let text = http
        .get(format!("http://127.0.0.1:{monitoring}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let prefix = format!("mosaic_duty_total{{duty=\"{duty}\",outcome=\"failed\"}} ");
    text.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .map_or(0, |value| value.trim().parse::<f64>().unwrap() as u64)
}

fn run_checked(command: &mut Command, what: &str) -> String {
    let output = command.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        output.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The cluster's keys: interop keystores 0–3 split with `mosaic create cluster`, and
/// keystores 4–7 for the control group. Returns the cluster folder.
fn make_keys(lodestar: &Path, run: &Path) -> PathBuf {
    // <dir>/node_modules/.bin/lodestar: mkkeystores.mjs sits in <dir>.
    let install = lodestar.ancestors().nth(3).unwrap();
    for (folder, from, to) in [("keys-dv", "0", "3"), ("keys-control", "4", "7")] {
        run_checked(
            Command::new("node")
                .arg("mkkeystores.mjs")
                .arg(run.join(folder))
                .args([from, to])
                .current_dir(install),
            "mkkeystores.mjs",
        );
    }
    let password = std::fs::read_to_string(run.join("password.txt")).unwrap();
    for entry in std::fs::read_dir(run.join("keys-dv")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::write(path.with_extension("txt"), &password).unwrap();
    }
    let cluster = run.join("cluster");
    run_checked(
        Command::new(env!("CARGO_BIN_EXE_mosaic"))
            .args(["create", "cluster", "--nodes", "4"])
            // Lodestar's dev chain is the consensus specs' minimal configuration: genesis fork
            // version 0x00000001, deposit chain id 5 (`mosaic run` checks the fork version).
            .args([
                "--testnet-name",
                "lodestar-dev",
                "--testnet-fork-version",
                "0x00000001",
            ])
            .args(["--testnet-chain-id", "5", "--testnet-genesis-timestamp"])
            .arg(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_secs()
                    .to_string(),
            )
            .args(["--split-existing-keys", "--split-keys-dir"])
            .arg(run.join("keys-dv"))
            .arg("--cluster-dir")
            .arg(&cluster)
            .args(["--insecure-keys", "--fee-recipient-addresses", ADDRESS])
            .args(["--withdrawal-addresses", ADDRESS]),
        "mosaic create cluster --split-existing-keys",
    );
    cluster
}

/// Lays node `i`'s share keystores out as Lodestar's `--keystoresDir`/`--secretsDir` want
/// them (one folder per public key; one password file per public key).
fn lodestar_share_layout(cluster: &Path, run: &Path, i: usize) -> (PathBuf, PathBuf) {
    let keys = run.join(format!("vc{i}-keystores"));
    let secrets = run.join(format!("vc{i}-secrets"));
    std::fs::create_dir_all(&secrets).unwrap();
    let shares = cluster.join(format!("node{i}/validator_keys"));
    for entry in std::fs::read_dir(&shares).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let keystore: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let pubkey = format!(
            "0x{}",
            keystore["pubkey"]
                .as_str()
                .unwrap()
                .trim_start_matches("0x")
        );
        let folder = keys.join(&pubkey);
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::copy(&path, folder.join("voting-keystore.json")).unwrap();
        std::fs::copy(path.with_extension("txt"), secrets.join(&pubkey)).unwrap();
    }
    (keys, secrets)
}

fn peer_id(cluster: &Path, i: usize) -> String {
    let key = mosaic_p2p::identity::load_enr_private_key(
        &cluster.join(format!("node{i}/charon-enr-private-key")),
    )
    .unwrap();
    mosaic_p2p::identity::peer_id_from_public_key(&key.public_key())
        .unwrap()
        .to_string()
}

async fn end_to_end(mode: Mode) {
    let Some(lodestar) = lodestar() else {
        return;
    };
    let started = Instant::now();
    let run =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("lodestar-{mode:?}").to_lowercase());
    let _ = std::fs::remove_dir_all(&run);
    std::fs::create_dir_all(&run).unwrap();
    let cluster = make_keys(&lodestar, &run);
    let mut processes = Processes::new(&run);
    let s = |text: &str| text.to_owned();

    // The beacon node.
    let rest = free_loopback_port();
    let mut args = vec![
        s("dev"),
        s("--genesisValidators"),
        VALIDATORS.to_string(),
        s("--dataDir"),
        run.join("bn").display().to_string(),
        s("--reset"),
        s("--rest.address"),
        s("127.0.0.1"),
        s("--rest.port"),
        rest.to_string(),
        s("--listenAddress"),
        s("127.0.0.1"),
        s("--port"),
        free_loopback_port().to_string(),
        s("--discv5"),
        s("false"),
        s("--mdns"),
        s("false"),
    ];
    args.extend(FORK_PARAMS.iter().map(|p| s(p)));
    processes.start("beacon-node", &lodestar, &args, &run);
    let beacon = Beacon {
        http: reqwest::Client::new(),
        url: format!("http://127.0.0.1:{rest}"),
    };
    let genesis_time = loop {
        if let Some(time) = beacon
            .number("/eth/v1/beacon/genesis", "/data/genesis_time")
            .await
        {
            break time;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the beacon node did not answer within 60 s:\n{}",
            processes.log_tail("beacon-node")
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };

    let vc_args = |data_dir: &Path, server: &str| -> Vec<String> {
        let mut args = vec![
            s("validator"),
            s("--network"),
            s("dev"),
            s("--preset"),
            s("minimal"),
            s("--dataDir"),
            data_dir.display().to_string(),
            s("--server"),
            s(server),
        ];
        args.extend(FORK_PARAMS.iter().map(|p| s(p)));
        args
    };
    // The control group.
    let mut control = vc_args(&run.join("vc-control"), &beacon.url);
    control.extend([
        s("--importKeystores"),
        run.join("keys-control").display().to_string(),
        s("--importKeystoresPassword"),
        run.join("password.txt").display().to_string(),
    ]);
    processes.start("vc-control", &lodestar, &control, &run);

    // The Mosaic nodes and, in middleware mode, their validator clients.
    let ports: Vec<[u16; 3]> = (0..NODES)
        .map(|_| {
            [
                free_loopback_port(),
                free_loopback_port(),
                free_loopback_port(),
            ]
        })
        .collect();
    let peers: Vec<String> = (0..NODES).map(|i| peer_id(&cluster, i)).collect();
    let mosaic = PathBuf::from(env!("CARGO_BIN_EXE_mosaic"));
    for i in 0..NODES {
        let [api, p2p, monitoring] = ports[i];
        let others: Vec<String> = (0..NODES)
            .filter(|j| *j != i)
            .map(|j| format!("/ip4/127.0.0.1/tcp/{}/p2p/{}", ports[j][1], peers[j]))
            .collect();
        let mut args = vec![
            s("run"),
            s("--data-dir"),
            cluster.join(format!("node{i}")).display().to_string(),
            s("--beacon-node-endpoints"),
            beacon.url.clone(),
            s("--validator-api-address"),
            format!("127.0.0.1:{api}"),
            s("--p2p-tcp-address"),
            format!("127.0.0.1:{p2p}"),
            s("--monitoring-address"),
            format!("127.0.0.1:{monitoring}"),
            s("--p2p-peers"),
            others.join(","),
            // Every node is Mosaic: round timeouts scaled to the 2 s slots, so a duty whose
            // round-1 leader is the stopped node still decides in time.
            s("--scale-consensus-timers"),
        ];
        args.push(s(match mode {
            Mode::Middleware => "--builtin-aggregator",
            Mode::Signer => "--signer",
        }));
        processes.start(&format!("mosaic{i}"), &mosaic, &args, &run);
    }
    if mode == Mode::Middleware {
        for (i, [api, _, _]) in ports.iter().enumerate() {
            let (keys, secrets) = lodestar_share_layout(&cluster, &run, i);
            let mut args = vc_args(
                &run.join(format!("vc{i}")),
                &format!("http://127.0.0.1:{api}"),
            );
            args.extend([
                s("--keystoresDir"),
                keys.display().to_string(),
                s("--secretsDir"),
                secrets.display().to_string(),
            ]);
            processes.start(&format!("vc{i}"), &lodestar, &args, &run);
        }
    }

    // Until epoch FINALIZED_EPOCH is finalized, learning each epoch's committees.
    let epoch_now = || {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        now.saturating_sub(genesis_time) / SLOT_SECS / SLOTS_PER_EPOCH
    };
    let mut record = ChainRecord::default();
    let mut learned = BTreeSet::new();
    let logs = |processes: &Processes| {
        let mut text = String::new();
        for name in ["beacon-node", "mosaic0", "vc0", "vc-control"] {
            text.push_str(&format!("--- {name}\n{}\n", processes.log_tail(name)));
        }
        text
    };
    let finalized = loop {
        let epoch = epoch_now();
        if learned.insert(epoch) {
            record.learn_epoch(&beacon, epoch).await;
            if epoch > 0 {
                record.learn_liveness(&beacon, epoch - 1).await;
            }
        }
        let finalized = beacon
            .number(
                "/eth/v1/beacon/states/head/finality_checkpoints",
                "/data/finalized/epoch",
            )
            .await
            .unwrap_or(0);
        if finalized >= FINALIZED_EPOCH {
            break finalized;
        }
        assert!(
            started.elapsed() < TEST_LIMIT / 2,
            "{mode:?}: epoch {FINALIZED_EPOCH} not finalized by epoch {epoch} (finalized: \
             {finalized})\n{}",
            logs(&processes)
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let http = reqwest::Client::new();
    for (i, node) in ports.iter().enumerate() {
        for duty in ["attester", "proposer"] {
            let failed = failed_duties(&http, node[2], duty).await;
            let name = format!("mosaic{i}");
            let excused = if duty == "attester" {
                processes.fork_boundary_refusals(&name)
            } else {
                BTreeSet::new()
            };
            if !excused.is_empty() {
                show(&format!(
                    "{mode:?}: node {i}: attestations refused by Lodestar at a fork's first \
                     slot (its fork-boundary defect, see fork_boundary_refusals): {excused:?}"
                ));
            }
            assert!(
                failed <= excused.len() as u64,
                "{mode:?}: node {i} failed {failed} {duty} duties ({} explained by Lodestar's \
                 fork-boundary defect); its warnings:\n{}",
                excused.len(),
                processes.log_warnings(&name)
            );
        }
    }

    // One node stopped: the distributed validators keep attesting.
    let stop_slot = (SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - genesis_time)
        / SLOT_SECS;
    let stop_epoch = stop_slot / SLOTS_PER_EPOCH;
    processes.stop("mosaic3");
    if mode == Mode::Middleware {
        processes.stop("vc3");
    }
    let checked_until = if stop_slot % SLOTS_PER_EPOCH <= STOP_SLOTS_GRACE {
        stop_epoch
    } else {
        stop_epoch + 1
    };
    // Wait for the checked epochs' attestations to be included (a slot into the next epoch).
    let wait_until = genesis_time + ((checked_until + 1) * SLOTS_PER_EPOCH + 2) * SLOT_SECS;
    loop {
        let epoch = epoch_now();
        if learned.insert(epoch) {
            record.learn_epoch(&beacon, epoch).await;
            if epoch > 0 {
                record.learn_liveness(&beacon, epoch - 1).await;
            }
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        if now >= wait_until {
            break;
        }
        assert!(started.elapsed() < TEST_LIMIT, "{mode:?}: out of time");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let head = beacon
        .number("/eth/v1/beacon/headers/head", "/data/header/message/slot")
        .await
        .unwrap();
    record.read_blocks(&beacon, head).await;

    let dv: Vec<u64> = (0..DV_COUNT).collect();
    let control_group: Vec<u64> = (DV_COUNT..VALIDATORS).collect();
    show(&format!(
        "{mode:?}: finalized epoch {finalized}; node 3 stopped in epoch {stop_epoch}\n{}",
        record.table(0..=checked_until, &dv, &control_group)
    ));
    // Attested in every epoch after the first (the issue: "from the beacon node: inclusion or
    // liveness"), before and after the stop: on chain, or seen attesting by the beacon node.
    // With one node down, a duty whose first consensus round the stopped node leads decides a
    // round later, which 2 s slots leave no time to aggregate in (Lodestar packs only
    // aggregates), so after the stop liveness is what shows it.
    record.learn_liveness(&beacon, checked_until).await;
    for epoch in 1..=checked_until {
        let included = record.attested.get(&epoch).cloned().unwrap_or_default();
        let live = record.live.get(&epoch).cloned().unwrap_or_default();
        for v in &dv {
            assert!(
                included.contains(v) || live.contains(v),
                "{mode:?}: epoch {epoch} (node 3 stopped in epoch {stop_epoch}): validator {v} \
                 neither on chain nor seen attesting (on chain: {included:?}, live: {live:?})"
            );
        }
    }
    // And while the four nodes ran, their attestations were packed.
    let four_nodes: Vec<u64> = (1..stop_epoch).collect();
    let inclusion = four_nodes
        .iter()
        .map(|epoch| record.attestation_rate(*epoch, &dv))
        .sum::<f64>()
        / four_nodes.len() as f64;
    assert!(
        inclusion >= MIN_INCLUSION,
        "{mode:?}: only {:.0}% of the distributed validators' attestations of epochs 1..{stop_epoch} on chain",
        inclusion * 100.0
    );
    // Balances grew.
    let balances = beacon
        .get("/eth/v1/beacon/states/head/validator_balances")
        .await
        .unwrap();
    for entry in balances["data"].as_array().unwrap() {
        let index = number(&entry["index"]).unwrap();
        let balance = number(&entry["balance"]).unwrap();
        if index < DV_COUNT {
            assert!(
                balance > 32_000_000_000,
                "{mode:?}: validator {index}: balance {balance}"
            );
        }
    }
    // A distributed validator's block is canonical.
    assert!(
        record.blocks.values().flatten().any(|p| *p < DV_COUNT),
        "{mode:?}: no canonical block by a distributed validator: {:?}",
        record.blocks
    );
    // Their sync committee messages are included (Altair from genesis), in every epoch while
    // the four nodes ran.
    for epoch in 1..stop_epoch {
        let rate = record.sync_rate(epoch, &dv).unwrap_or(0.0);
        assert!(
            rate > 0.0,
            "{mode:?}: epoch {epoch}: no sync committee message of a distributed validator included"
        );
    }
    drop(processes);
    show(&format!("{mode:?}: done in {:?}", started.elapsed()));
}

/// The two runs take turns: each is a beacon node, five validator clients and four nodes with
/// 2 s slots, and two of them at once on a 2-core machine starve each other's chain (seen as
/// missed sync committee messages of the control group too, and balances falling).
static ONE_RUN_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn run_alone(mode: Mode) {
    let _turn = ONE_RUN_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(end_to_end(mode));
}

#[test]
fn lodestar_validator_clients_through_mosaic_middleware() {
    run_alone(Mode::Middleware);
}

#[test]
fn mosaic_signer_mode_against_a_lodestar_beacon_node() {
    run_alone(Mode::Signer);
}

/// The excuse for Lodestar's fork-boundary defect covers exactly its refusal: an attester
/// duty refused as badly signed in a fork's first slot, nothing else.
#[test]
fn only_fork_boundary_signature_refusals_of_attestations_are_excused() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("lodestar-excuse");
    std::fs::create_dir_all(&dir).unwrap();
    let line = |slot: u64, duty: &str, validator: &str, error: &str| {
        format!(
            "2026-12-04T18:20:43.1Z  WARN mosaic_node::broadcast: broadcast failed \
             duty={slot}/{duty} validator={validator} error=POST /eth/v1/beacon/pool/attestations \
             at http://127.0.0.1:1/: HTTP 500: {error}"
        )
    };
    let invalid = "ATTESTATION_ERROR_INVALID_SIGNATURE";
    let log = [
        line(16, "attester", "0x88c141df", invalid),
        line(8, "attester", "0xa3a32b0f", invalid),
        // Not a fork's first slot, not an attestation, not that refusal.
        line(17, "attester", "0xa99a76ed", invalid),
        line(16, "proposer", "0xb89bebc6", invalid),
        line(
            16,
            "attester",
            "0xb89bebc6",
            "ATTESTATION_ERROR_NOT_EXACTLY_ONE_AGGREGATION_BIT_SET",
        ),
    ]
    .join("\n");
    std::fs::write(dir.join("mosaic0.log"), log).unwrap();
    let excused = Processes::new(&dir).fork_boundary_refusals("mosaic0");
    let expected: BTreeSet<(u64, String)> = [(8, "0xa3a32b0f"), (16, "0x88c141df")]
        .into_iter()
        .map(|(slot, validator)| (slot, validator.to_owned()))
        .collect();
    assert_eq!(excused, expected);
}
