//! `mosaic simnet`: a whole distributed validator cluster on one machine, in one command.
//!
//! It deals a throwaway cluster (trusted dealer, `dev` network, cheap keystores), starts the
//! simulated beacon chain in-process on 127.0.0.1, starts one `mosaic run` child process per
//! node (real loopback TCP between them, each with its built-in validator client), prints the
//! duties' progress slot by slot, and after `--epochs` prints per duty kind how many were
//! scheduled, succeeded and failed, with latency percentiles from the slot start. It exits
//! non-zero if any duty failed or a node crashed.
//!
//! Layout of the run directory (a temporary one unless `--dir`):
//! `cluster/node<i>/` (each node's data), `node<i>.log` (its output, across restarts) and
//! `node<i>.metrics` (its last `/metrics` scrape).

pub(crate) mod cluster;
mod exits;
mod nodes;
mod options;
mod report;
mod schedule;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, ensure, Context};
use clap::Args;
use mosaic_simnet::{Chain, SimConfig, Simulator, SystemClock};
use mosaic_types::{BlsPubkey, ForkName};
use serde_json::{json, Value};

use self::cluster::SimCluster;
use self::nodes::{free_loopback_addresses, peer_multiaddr, Fleet, NodeSpec};
use self::options::{check_exits, check_kills, parse_duration, ExitSpec, KillSpec};
use self::report::{Ledger, Record, Summary};
use self::schedule::{
    covers_every_kind, registration_duties, scheduled_duties, Duty, SCHEDULED_KINDS,
};

/// Seeds tried, in order, for a chain on which the run's validators have every kind of duty.
const SEED_SEARCH: u64 = 64;
/// Time after the end of the last slot for late aggregates and contributions.
const GRACE_SLOT_FRACTION: u32 = 2;
/// How long the watchdog lets nodes outlive the planned end of the run.
const WATCHDOG_MARGIN: Duration = Duration::from_secs(30);
/// Failed duties listed after the text summary.
const MAX_FAILURES_SHOWN: usize = 10;
/// Metrics copied from every node's `/metrics` into the JSON report.
const REPORTED_METRICS: [&str; 4] = [
    "mosaic_parsig_rejected_total",
    "mosaic_duty_total",
    "mosaic_duty_failed_total",
    "mosaic_signer_guard_total",
];

/// Arguments of `mosaic simnet`.
#[derive(Debug, Args)]
pub(crate) struct SimnetArgs {
    /// Number of nodes (operators).
    #[arg(long, default_value_t = 4)]
    nodes: u64,
    /// Signatures needed (default ⌈2n/3⌉).
    #[arg(long)]
    threshold: Option<u64>,
    /// Number of distributed validators.
    #[arg(long, default_value_t = 4)]
    validators: u64,
    /// Simulated validators besides the cluster's, so committees are realistic.
    #[arg(long, default_value_t = 60)]
    filler_validators: usize,
    /// Slot duration, e.g. 500ms, 2s, 12s.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    slot_duration: Duration,
    /// Epochs to run (8 slots each, minimal preset).
    #[arg(long, default_value_t = 2)]
    epochs: u64,
    /// Kill node NODE (SIGKILL) when SLOT starts and, with `..SLOT`, start it again (same data)
    /// when that slot starts. Repeatable.
    #[arg(long = "kill", value_name = "NODE@SLOT[..SLOT]")]
    kills: Vec<KillSpec>,
    /// Exit validator VALIDATOR (its lock position) at the start of SLOT, which must be in the
    /// run's last epoch: every up node's operator runs `mosaic exit` against its node (signs
    /// the voluntary exit with its share, sends it to the node's validator API). Repeatable.
    #[arg(long = "exit", value_name = "VALIDATOR@SLOT")]
    exits: Vec<ExitSpec>,
    /// Reset the chain (Ephemery-style: a new genesis `--genesis-delay` later, with a new
    /// genesis validators root) half a slot into SLOT; the nodes must follow it. The duties of
    /// slots 1 to SLOT-1 of the first chain are reported apart, and `--epochs` then run on the
    /// new chain. Not with `--kill`.
    #[arg(long, value_name = "SLOT")]
    reset_at: Option<u64>,
    /// Run node NODE Byzantine (equivocates as leader, sends bad partial signatures).
    /// Repeatable.
    #[arg(long = "byzantine", value_name = "NODE")]
    byzantine: Vec<usize>,
    /// Use the consensus spec's round timeouts (made for 12 s slots) instead of timeouts
    /// scaled to the slot duration (`mosaic run --scale-consensus-timers`, the default here:
    /// every node is Mosaic).
    #[arg(long)]
    spec_timers: bool,
    /// Connect a simulated builder: every node runs with `--builder-api`, submits the lock's
    /// builder registrations each epoch (scored as registration duties from epoch 1 on) and
    /// proposes blinded blocks.
    #[arg(long)]
    builder: bool,
    /// Run every node in signer mode: its built-in validator client signs only after the
    /// EIP-3076 slashing-protection database (in the node's directory) approves.
    #[arg(long)]
    signer: bool,
    /// Run directory (absent or empty; kept). Default: a temporary directory.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// The fork the simulated chain runs (capella to fulu).
    #[arg(long, default_value = "fulu")]
    fork: ForkName,
    /// Keep the temporary run directory (logs, metrics, node data).
    #[arg(long)]
    keep: bool,
    /// Print the summary as JSON on stdout (progress still goes to stderr).
    #[arg(long)]
    json: bool,
    /// Time from start-up to genesis, for the nodes to start and connect.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    genesis_delay: Duration,
    /// The chain's seed (default: the first seed from 0 on which the cluster's validators have
    /// every kind of duty during the run).
    #[arg(long)]
    seed: Option<u64>,
    /// The nodes' log level.
    #[arg(long, default_value = "info")]
    node_log_level: String,
}

/// The measured part of the run.
#[derive(Debug, Clone, Copy)]
struct Window {
    /// First slot whose duties count (the chain records nothing for slot 0).
    first_slot: u64,
    /// Last slot of the last epoch.
    last_slot: u64,
}

/// Runs `mosaic simnet`.
pub(crate) fn run(args: SimnetArgs) -> anyhow::Result<()> {
    ensure!(args.epochs > 0, "--epochs must be at least 1");
    let node_count = usize::try_from(args.nodes).context("--nodes")?;
    check_kills(&args.kills, node_count)?;
    for node in &args.byzantine {
        ensure!(
            *node < node_count,
            "--byzantine {node}: node {node} does not exist (nodes are 0..{node_count})"
        );
    }
    if let Some(slot) = args.reset_at {
        ensure!(
            slot >= 2,
            "--reset-at {slot}: the first chain needs at least slot 1"
        );
        ensure!(
            args.kills.is_empty(),
            "--reset-at cannot be combined with --kill (outage slots would be ambiguous)"
        );
    }
    let slots_per_epoch = mosaic_simnet::Preset::Minimal.slots_per_epoch();
    let window = Window {
        first_slot: 1,
        last_slot: args.epochs * slots_per_epoch - 1,
    };
    check_exits(
        &args.exits,
        args.validators,
        slots_per_epoch,
        window.first_slot,
        window.last_slot,
    )?;
    for kill in &args.kills {
        if kill.stop_slot > window.last_slot {
            eprintln!(
                "warning: --kill {kill} starts after the last slot ({})",
                window.last_slot
            );
        }
    }

    let temp = match &args.dir {
        Some(_) => None,
        None => Some(
            tempfile::Builder::new()
                .prefix("mosaic-simnet-")
                .tempdir()
                .context("creating a temporary run directory")?,
        ),
    };
    let run_dir = match (&args.dir, &temp) {
        (Some(dir), _) => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            dir.clone()
        }
        (None, Some(temp)) => temp.path().to_path_buf(),
        (None, None) => bail!("no run directory"),
    };
    let kept = args.dir.is_some() || args.keep;

    let cluster = cluster::create(
        &run_dir.join("cluster"),
        args.nodes,
        args.threshold,
        args.validators,
    )?;
    let plan = chain_plan(&args, &cluster, slots_per_epoch, window)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let outcome = runtime.block_on(run_cluster(&args, &cluster, plan, &run_dir, window));
    runtime.shutdown_timeout(Duration::from_secs(1));
    let report = outcome?;

    if args.json {
        let mut value = report.json;
        value["dir"] = json!(run_dir.display().to_string());
        value["kept"] = json!(kept);
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        if let Some(before) = &report.before_reset {
            println!("before the chain reset:");
            print!("{}", before.table());
            println!("after the chain reset:");
        }
        print!("{}", report.summary.table());
        for failure in report.summary.failures.iter().take(MAX_FAILURES_SHOWN) {
            println!(
                "failed: {} slot {} validator {}: {}",
                failure.duty, failure.slot, failure.validator_index, failure.reason
            );
        }
        if report.summary.failures.len() > MAX_FAILURES_SHOWN {
            println!(
                "… and {} more failures (--json lists them all)",
                report.summary.failures.len() - MAX_FAILURES_SHOWN
            );
        }
        let count = |kind: &str| {
            report.json["slashable"][kind]
                .as_array()
                .map_or(0, Vec::len)
        };
        println!(
            "slashable: {} double proposals, {} double or surround votes",
            count("double_proposals"),
            count("attestations")
        );
    }
    if kept {
        eprintln!("run directory kept: {}", run_dir.display());
    }
    if let Some(temp) = temp {
        if args.keep {
            let _ = temp.keep();
        }
    }
    let failed = report.summary.failed() + report.before_reset.as_ref().map_or(0, Summary::failed);
    let (crashes, offences) = (report.crashes, report.offences);
    ensure!(
        failed == 0 && crashes == 0 && offences == 0,
        "{failed} duties failed, {crashes} unexpected node exits, {offences} slashable offences"
    );
    Ok(())
}

/// The simulated chains: the first one and, with `--reset-at`, the one it resets to.
struct ChainPlan {
    /// The chain the run starts on.
    first: SimConfig,
    /// With `--reset-at`: when, and the chain the window then runs on.
    reset: Option<ResetPlan>,
}

/// A planned chain reset.
struct ResetPlan {
    /// The reset slot of the first chain (its slots before it are measured apart).
    at_slot: u64,
    /// Unix milliseconds: half a slot into `at_slot`, after that slot's late duties.
    at_ms: u64,
    /// The new chain.
    next: SimConfig,
}

impl ChainPlan {
    /// The chain the measured window runs on.
    fn window_chain(&self) -> &SimConfig {
        self.reset.as_ref().map_or(&self.first, |reset| &reset.next)
    }
}

/// The chains of the run: genesis `--genesis-delay` from now, the lock's validators first, then
/// filler ones; with `--reset-at`, a second chain with genesis `--genesis-delay` after the
/// reset and a different seed (so a different genesis validators root).
fn chain_plan(
    args: &SimnetArgs,
    cluster: &SimCluster,
    slots_per_epoch: u64,
    window: Window,
) -> anyhow::Result<ChainPlan> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .context("system clock before 1970")?;
    let genesis_time = (now + args.genesis_delay).as_secs() + 1;
    let mut first = SimConfig::new(genesis_time);
    first.validators = cluster.pubkeys.clone();
    first.filler_validators = args.filler_validators;
    first.slot_duration = args.slot_duration;
    first.slots_per_epoch = slots_per_epoch;
    first.fork = args.fork;
    first.validate().context("simulated chain configuration")?;
    let Some(at_slot) = args.reset_at else {
        first.seed = choose_seed(args.seed, 0, &first, cluster, window)?;
        return Ok(ChainPlan { first, reset: None });
    };
    let before = Window {
        first_slot: 1,
        last_slot: at_slot - 1,
    };
    first.seed = choose_seed(args.seed, 0, &first, cluster, before)?;
    let at_ms = first.genesis_time * 1000 + at_slot * first.slot_ms() + first.slot_ms() / 2;
    let mut next = first.clone();
    next.genesis_time = (at_ms + args.genesis_delay.as_millis() as u64).div_ceil(1000);
    // Another seed, so other filler validators and another genesis validators root (as an
    // Ephemery relaunch has); with --seed, the next one.
    next.seed = choose_seed(
        args.seed.map(|seed| seed + 1),
        first.seed + 1,
        &next,
        cluster,
        window,
    )?;
    Ok(ChainPlan {
        first,
        reset: Some(ResetPlan {
            at_slot,
            at_ms,
            next,
        }),
    })
}

/// `--seed` if given, else the first seed from `from` on which the cluster's validators have
/// every kind of duty in `window` (or `from` if none in [`SEED_SEARCH`] does).
fn choose_seed(
    given: Option<u64>,
    from: u64,
    config: &SimConfig,
    cluster: &SimCluster,
    window: Window,
) -> anyhow::Result<u64> {
    if let Some(seed) = given {
        return Ok(seed);
    }
    let mut config = config.clone();
    for seed in from..from + SEED_SEARCH {
        config.seed = seed;
        let mut chain = Chain::new(config.clone())?;
        let duties = scheduled_duties(
            &mut chain,
            &cluster.validator_keys,
            window.first_slot..=window.last_slot,
        );
        if covers_every_kind(&duties) {
            return Ok(seed);
        }
    }
    Ok(from)
}

/// What the run produced.
struct RunReport {
    summary: Summary,
    json: Value,
    crashes: usize,
    /// With `--reset-at`: the first chain's duties (slots before the reset).
    before_reset: Option<Summary>,
    /// Double proposals plus double and surround votes the simulator saw.
    offences: usize,
}

/// Starts the chain and the nodes, runs the window, and scores it.
async fn run_cluster(
    args: &SimnetArgs,
    cluster: &SimCluster,
    plan: ChainPlan,
    run_dir: &Path,
    window: Window,
) -> anyhow::Result<RunReport> {
    let simulator = Simulator::new(plan.first.clone(), Arc::new(SystemClock))?;
    let config = plan.window_chain().clone();
    let mut duties: BTreeSet<Duty> = scheduled_duties(
        &mut Chain::new(config.clone())?,
        &cluster.validator_keys,
        window.first_slot..=window.last_slot,
    );
    duties.extend(args.exits.iter().map(|exit| Duty {
        slot: exit.slot,
        kind: mosaic_simnet::DutyKind::Exit,
        validator: exit.validator,
    }));
    if args.builder {
        duties.extend(registration_duties(
            cluster.validator_keys.len() as u64,
            config.slots_per_epoch,
            window.first_slot..=window.last_slot,
        ));
        simulator.set_scenario(mosaic_simnet::Scenario {
            builder: true,
            ..simulator.scenario()
        });
    }
    let server = simulator.serve(0).await?;
    let beacon_url = server.url();

    let specs = node_specs(args, cluster, run_dir)?;
    let exe = std::env::current_exe().context("locating the mosaic executable")?;
    let exits = Exits {
        plan: args.exits.clone(),
        exe: exe.clone(),
        pubkeys: cluster.pubkeys.iter().map(BlsPubkey::to_hex).collect(),
        operators: specs
            .iter()
            .map(|spec| exits::Operator {
                node: spec.index,
                data_dir: spec.data_dir.clone(),
                validator_api: spec.validator_api,
            })
            .collect(),
    };
    let fleet = Fleet::new(
        exe,
        Vec::new(),
        beacon_url.clone(),
        args.node_log_level.clone(),
        specs.clone(),
    );
    let slot_ms = config.slot_ms();
    let slot_start_ms = |slot: u64| config.genesis_time * 1000 + slot * slot_ms;
    let end_ms = slot_start_ms(window.last_slot + 1) + slot_ms / u64::from(GRACE_SLOT_FRACTION);
    let run_length = Duration::from_millis(end_ms.saturating_sub(now_ms()));
    fleet.watchdog(Instant::now() + run_length + WATCHDOG_MARGIN);

    eprintln!(
        "mosaic simnet: {} nodes (threshold {}), {} validators + {} filler, {} slots of {} ms \
         ({} epoch{}), fork {}, seed {}",
        cluster.node_dirs.len(),
        cluster.threshold,
        cluster.pubkeys.len(),
        config.filler_validators,
        window.last_slot + 1,
        slot_ms,
        args.epochs,
        if args.epochs == 1 { "" } else { "s" },
        config.fork,
        config.seed
    );
    eprintln!(
        "beacon node {beacon_url}; run directory {}",
        run_dir.display()
    );
    for spec in &specs {
        eprintln!(
            "node {}: p2p {} validator API {} monitoring {}{} log {}",
            spec.index,
            spec.p2p,
            spec.validator_api,
            spec.monitoring,
            if spec.byzantine { " (byzantine)" } else { "" },
            spec.log_file.display()
        );
    }
    for spec in &specs {
        fleet.start(spec.index, "simnet start")?;
    }
    let mut ledger = Ledger::new(&duties, window.first_slot..=window.last_slot);
    let mut events = Vec::new();

    let phases = async {
        let before_reset = match &plan.reset {
            Some(reset) => Some(
                run_until_reset(&fleet, &simulator, cluster, &plan.first, reset, &mut events)
                    .await?,
            ),
            None => None,
        };
        drive(
            &fleet,
            &simulator,
            &mut ledger,
            Planned {
                kills: &args.kills,
                exits: &exits,
            },
            window,
            slot_start_ms,
            &mut events,
        )
        .await?;
        anyhow::Ok(before_reset)
    };
    let (interrupted, before_reset) = tokio::select! {
        result = phases => (false, result?),
        () = shutdown_signal() => (true, None),
    };
    if interrupted {
        fleet.kill_all();
        bail!("interrupted; every node was killed");
    }
    sleep_until_ms(end_ms).await;
    for line in fleet.reap() {
        eprintln!("{line}");
        events.push(line);
    }
    ledger.update(&records(&simulator)?);

    let mut node_json = Vec::new();
    let statuses = fleet.statuses();
    for (spec, status) in specs.iter().zip(&statuses) {
        let metrics = if status.up {
            scrape_metrics(
                spec.monitoring,
                &run_dir.join(format!("node{}.metrics", spec.index)),
            )
            .await
        } else {
            None
        };
        node_json.push(json!({
            "index": spec.index,
            "peer_id": cluster.peer_ids[spec.index],
            "byzantine": spec.byzantine,
            "up_at_end": status.up,
            "starts": status.starts,
            "unexpected_exits": status.unexpected_exits,
            "log": spec.log_file.display().to_string(),
            "monitoring": format!("http://{}", spec.monitoring),
            "metrics": metrics,
        }));
    }
    fleet.kill_all();
    drop(fleet);
    server.shutdown();

    let summary = ledger.summary();
    let crashes: usize = statuses.iter().map(|s| s.unexpected_exits.len()).sum();
    let slashable = simulator.slashable_json();
    let offences: usize = ["double_proposals", "attestations"]
        .iter()
        .map(|kind| slashable[kind].as_array().map_or(0, Vec::len))
        .sum();
    let json = json!({
        "ok": summary.failed() == 0
            && before_reset.as_ref().is_none_or(|before| before.failed() == 0)
            && crashes == 0
            && offences == 0,
        "config": {
            "nodes": cluster.node_dirs.len(),
            "threshold": cluster.threshold,
            "validators": cluster.pubkeys.len(),
            "filler_validators": config.filler_validators,
            "slot_ms": slot_ms,
            "slots_per_epoch": config.slots_per_epoch,
            "epochs": args.epochs,
            "fork": config.fork.as_str(),
            "seed": config.seed,
            "genesis_time": config.genesis_time,
            "first_slot": window.first_slot,
            "last_slot": window.last_slot,
            "kills": args.kills.iter().map(|k| json!({
                "node": k.node, "stop_slot": k.stop_slot, "restart_slot": k.restart_slot,
            })).collect::<Vec<_>>(),
            "byzantine": args.byzantine,
            "signer": args.signer,
            "builder": args.builder,
            "scaled_consensus_timers": !args.spec_timers,
            "exits": args.exits.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "reset": plan.reset.as_ref().map(|reset| json!({
                "at_slot": reset.at_slot,
                "at_ms": reset.at_ms,
                "first_genesis_time": plan.first.genesis_time,
                "first_seed": plan.first.seed,
            })),
        },
        "before_reset": before_reset.as_ref().map(|before| json!({
            "duties": before.kinds,
            "failures": before.failures,
            "slots": before.slots,
        })),
        "duties": summary.kinds,
        "failures": summary.failures,
        "slots": summary.slots,
        "slashable": slashable,
        // Within the window, as the duties are: a block the nodes publish after the last
        // slot, before they are stopped, is no duty of the run.
        "blinded_blocks": simulator.blinded_blocks(window.first_slot..=window.last_slot),
        "full_block_slots": simulator.full_block_slots(window.first_slot..=window.last_slot),
        "nodes": node_json,
        "events": events,
    });
    Ok(RunReport {
        summary,
        json,
        crashes,
        before_reset,
        offences,
    })
}

/// Node `i`'s start-up settings: its own folder, three free loopback ports, every other node
/// as a peer.
fn node_specs(
    args: &SimnetArgs,
    cluster: &SimCluster,
    run_dir: &Path,
) -> anyhow::Result<Vec<NodeSpec>> {
    let count = cluster.node_dirs.len();
    let ports = free_loopback_addresses(3 * count)?;
    let p2p: Vec<SocketAddr> = (0..count).map(|i| ports[3 * i + 1]).collect();
    Ok((0..count)
        .map(|i| NodeSpec {
            index: i,
            data_dir: cluster.node_dirs[i].clone(),
            lock_file: cluster.lock_file(i),
            key_file: cluster.key_file(i),
            keys_dir: cluster.keys_dir(i),
            validator_api: ports[3 * i],
            p2p: p2p[i],
            monitoring: ports[3 * i + 2],
            peers: (0..count)
                .filter(|j| *j != i)
                .map(|j| peer_multiaddr(p2p[j], &cluster.peer_ids[j]))
                .collect(),
            byzantine: args.byzantine.contains(&i),
            signer: args.signer,
            builder: args.builder,
            scale_timers: !args.spec_timers,
            log_file: run_dir.join(format!("node{i}.log")),
        })
        .collect())
}

/// The first chain of a `--reset-at` run: its slots up to the reset, scored on their own, then
/// the reset (the simulator serves the new chain from then on).
async fn run_until_reset(
    fleet: &Fleet,
    simulator: &Simulator,
    cluster: &SimCluster,
    first: &SimConfig,
    reset: &ResetPlan,
    events: &mut Vec<String>,
) -> anyhow::Result<Summary> {
    let before = Window {
        first_slot: 1,
        last_slot: reset.at_slot - 1,
    };
    let duties = scheduled_duties(
        &mut Chain::new(first.clone())?,
        &cluster.validator_keys,
        before.first_slot..=before.last_slot,
    );
    let mut ledger = Ledger::new(&duties, before.first_slot..=before.last_slot);
    let slot_start_ms = |slot: u64| first.genesis_time * 1000 + slot * first.slot_ms();
    drive(
        fleet,
        simulator,
        &mut ledger,
        Planned {
            kills: &[],
            exits: &Exits::default(),
        },
        before,
        slot_start_ms,
        events,
    )
    .await?;
    sleep_until_ms(reset.at_ms).await;
    // The simulator forgets the old chain's records at the reset: score them first.
    ledger.update(&records(simulator)?);
    simulator.schedule_reset(mosaic_simnet::Reset {
        at_ms: now_ms(),
        genesis_time: reset.next.genesis_time,
        seed: reset.next.seed,
    });
    let line = format!(
        "slot {}: chain reset; new genesis at {} (seed {})",
        reset.at_slot, reset.next.genesis_time, reset.next.seed
    );
    eprintln!("{line}");
    events.push(line);
    Ok(ledger.summary())
}

/// The slot loop: at each slot start, applies the outages due, notices crashes, and prints
/// the previous slot's progress. Outages and crashes are added to `events`.
async fn drive(
    fleet: &Fleet,
    simulator: &Simulator,
    ledger: &mut Ledger,
    planned: Planned<'_>,
    window: Window,
    slot_start_ms: impl Fn(u64) -> u64,
    events: &mut Vec<String>,
) -> anyhow::Result<()> {
    let Planned { kills, exits } = planned;
    let mut exiting = Vec::new();
    for slot in 0..=window.last_slot + 1 {
        sleep_until_ms(slot_start_ms(slot)).await;
        for exit in exits.plan.iter().filter(|e| e.slot == slot) {
            let epoch = simulator.with_chain(|chain| chain.epoch_of(slot));
            // Operators whose node is down cannot reach it.
            let operators: Vec<exits::Operator> = fleet
                .up()
                .iter()
                .zip(&exits.operators)
                .filter(|(up, _)| **up)
                .map(|(_, operator)| operator.clone())
                .collect();
            let pubkey = exits.pubkeys[exit.validator as usize].clone();
            exiting.push(tokio::spawn(exits::submit(
                exits.exe.clone(),
                *exit,
                pubkey,
                epoch,
                operators,
            )));
            let line = format!(
                "slot {slot}: validator {} exits (--exit {exit})",
                exit.validator
            );
            eprintln!("{line}");
            events.push(line);
        }
        for kill in kills.iter().filter(|k| k.stop_slot == slot) {
            fleet.kill(kill.node);
            let line = format!("slot {slot}: killed node {} (--kill {kill})", kill.node);
            eprintln!("{line}");
            events.push(line);
        }
        for kill in kills.iter().filter(|k| k.restart_slot == Some(slot)) {
            fleet.start(kill.node, &format!("restart at slot {slot}"))?;
            let line = format!("slot {slot}: restarted node {} (--kill {kill})", kill.node);
            eprintln!("{line}");
            events.push(line);
        }
        for line in fleet.reap() {
            let line = format!("slot {slot}: {line}");
            eprintln!("{line}");
            events.push(line);
        }
        if slot > window.first_slot {
            ledger.update(&records(simulator)?);
            eprintln!("{}", progress_line(slot - 1, window, ledger, &fleet.up()));
        }
    }
    for submitted in exiting {
        for line in submitted
            .await
            .unwrap_or_else(|e| vec![format!("--exit: {e}")])
        {
            eprintln!("{line}");
            events.push(line);
        }
    }
    Ok(())
}

/// What the slot loop does at given slots besides watching: outages and exits.
#[derive(Clone, Copy)]
struct Planned<'a> {
    kills: &'a [KillSpec],
    exits: &'a Exits,
}

/// The run's planned voluntary exits and how each operator runs `mosaic exit`.
#[derive(Default)]
struct Exits {
    plan: Vec<ExitSpec>,
    /// This executable.
    exe: PathBuf,
    /// The validators' public keys, 0x-hex, in lock order.
    pubkeys: Vec<String>,
    /// Every operator, in node order.
    operators: Vec<exits::Operator>,
}

/// One progress line: the slot, its epoch, duties succeeded/scheduled so far per kind, and
/// which nodes are up.
fn progress_line(slot: u64, window: Window, ledger: &Ledger, up: &[bool]) -> String {
    let spe = mosaic_simnet::Preset::Minimal.slots_per_epoch();
    let progress: BTreeMap<_, _> = ledger.progress(slot);
    let mut line = format!("slot {slot:>4} epoch {:>3} |", slot / spe);
    for kind in SCHEDULED_KINDS {
        let (done, expected) = progress.get(&kind).copied().unwrap_or_default();
        line.push_str(&format!(" {} {done}/{expected}", short_name(kind)));
    }
    let nodes: String = up
        .iter()
        .enumerate()
        .map(|(i, up)| if *up { i.to_string() } else { "-".to_string() })
        .collect::<Vec<_>>()
        .join(" ");
    line.push_str(&format!(" | nodes up [{nodes}]"));
    if slot == window.last_slot {
        line.push_str(" | last slot");
    }
    line
}

fn short_name(kind: mosaic_simnet::DutyKind) -> &'static str {
    use mosaic_simnet::DutyKind as K;
    match kind {
        K::Proposal => "proposals",
        K::Attestation => "attestations",
        K::Aggregate => "aggregations",
        K::SyncMessage => "sync-messages",
        K::SyncContribution => "contributions",
        K::Exit => "exits",
        K::Registration => "registrations",
    }
}

/// The simulator's judged records.
fn records(simulator: &Simulator) -> anyhow::Result<Vec<Record>> {
    serde_json::from_value(simulator.records_json()).context("reading the simulator's records")
}

/// Scrapes a node's `/metrics`, saves the text to `save_to`, and returns the
/// [`REPORTED_METRICS`] samples (`{"name{labels}": value}`) with each metric's total.
async fn scrape_metrics(address: SocketAddr, save_to: &Path) -> Option<Value> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .ok()?;
    let response = client
        .get(format!("http://{address}/metrics"))
        .send()
        .await
        .ok()?;
    let text = response.text().await.ok()?;
    if let Err(error) = std::fs::write(save_to, &text) {
        eprintln!("warning: saving {}: {error}", save_to.display());
    }
    Some(metric_samples(&text))
}

/// The [`REPORTED_METRICS`] samples of a Prometheus text exposition, and per metric the sum
/// over its label sets (`"<name>": total`, 0 when absent).
fn metric_samples(text: &str) -> Value {
    let mut samples = serde_json::Map::new();
    let mut totals: BTreeMap<&str, f64> = REPORTED_METRICS.iter().map(|m| (*m, 0.0)).collect();
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let Some((series, value)) = line.rsplit_once(' ') else {
            continue;
        };
        let name = series.split('{').next().unwrap_or(series);
        let Some(total) = totals.get_mut(name) else {
            continue;
        };
        let Ok(value) = value.trim().parse::<f64>() else {
            continue;
        };
        *total += value;
        samples.insert(series.to_string(), json!(value));
    }
    json!({ "totals": totals, "samples": samples })
}

/// Resolves on ctrl-c or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

async fn sleep_until_ms(unix_ms: u64) {
    let now = now_ms();
    if unix_ms > now {
        tokio::time::sleep(Duration::from_millis(unix_ms - now)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        args: SimnetArgs,
    }

    fn parse(args: &[&str]) -> Result<SimnetArgs, clap::Error> {
        Cli::try_parse_from(std::iter::once("simnet").chain(args.iter().copied())).map(|c| c.args)
    }

    #[test]
    fn defaults_work() {
        let args = parse(&[]).expect("defaults");
        assert_eq!(args.nodes, 4);
        assert_eq!(args.threshold, None);
        assert_eq!(args.validators, 4);
        assert_eq!(args.slot_duration, Duration::from_secs(2));
        assert_eq!(args.epochs, 2);
        assert_eq!(args.fork, ForkName::Fulu);
        assert!(args.kills.is_empty() && args.byzantine.is_empty());
        assert!(!args.json && !args.keep);
    }

    #[test]
    fn options_parse() {
        let args = parse(&[
            "--slot-duration",
            "500ms",
            "--kill",
            "1@8..16",
            "--kill",
            "2@3",
            "--byzantine",
            "3",
            "--fork",
            "electra",
            "--epochs",
            "3",
            "--json",
        ])
        .expect("options");
        assert_eq!(args.slot_duration, Duration::from_millis(500));
        assert_eq!(args.kills.len(), 2);
        assert_eq!(args.kills[0].restart_slot, Some(16));
        assert_eq!(args.kills[1].restart_slot, None);
        assert_eq!(args.byzantine, vec![3]);
        assert_eq!(args.fork, ForkName::Electra);
        assert!(args.json);
    }

    #[test]
    fn bad_options_are_refused() {
        assert!(parse(&["--slot-duration", "2"]).is_err());
        assert!(parse(&["--kill", "1@8..4"]).is_err());
        assert!(parse(&["--fork", "shanghai"]).is_err());
    }

    #[test]
    fn a_reset_needs_a_slot_before_it_and_no_outages() {
        let refused = |options: &[&str]| {
            run(parse(options).expect("parses"))
                .unwrap_err()
                .to_string()
        };
        assert!(refused(&["--reset-at", "8", "--kill", "1@4"]).contains("cannot be combined"));
        assert!(refused(&["--reset-at", "1"]).contains("at least slot 1"));
    }

    #[test]
    fn a_reset_plan_moves_genesis_and_seed() {
        let dir = tempfile::tempdir().unwrap();
        let cluster = cluster::create(dir.path(), 4, None, 2).unwrap();
        let args = parse(&[
            "--reset-at",
            "8",
            "--slot-duration",
            "2s",
            "--genesis-delay",
            "5s",
        ])
        .unwrap();
        let window = Window {
            first_slot: 1,
            last_slot: 15,
        };
        let plan = chain_plan(&args, &cluster, 8, window).unwrap();
        let reset = plan.reset.as_ref().expect("a reset");
        let first = &plan.first;
        assert_eq!(reset.at_slot, 8);
        assert_eq!(reset.at_ms, first.genesis_time * 1000 + 8 * 2000 + 1000);
        // The new genesis is at least --genesis-delay after the reset, on a whole second.
        assert!(reset.next.genesis_time * 1000 >= reset.at_ms + 5000);
        assert!(reset.next.genesis_time * 1000 < reset.at_ms + 6000);
        assert_ne!(reset.next.seed, first.seed);
        let root = |config: &SimConfig| {
            Chain::new(config.clone())
                .unwrap()
                .genesis_validators_root()
        };
        assert_ne!(root(first), root(&reset.next));
        assert_eq!(plan.window_chain().genesis_time, reset.next.genesis_time);
    }

    #[test]
    fn metrics_are_summed_per_name() {
        let text = "# HELP mosaic_parsig_rejected Partial signatures rejected\n\
                    # TYPE mosaic_parsig_rejected counter\n\
                    mosaic_parsig_rejected_total{duty=\"attester\",reason=\"bad_signature\",peer=\"a\"} 3\n\
                    mosaic_parsig_rejected_total{duty=\"proposer\",reason=\"bad_signature\",peer=\"a\"} 2\n\
                    mosaic_duty_total{duty=\"attester\",outcome=\"success\"} 12\n\
                    mosaic_p2p_peer_connected{peer=\"a\"} 1\n";
        let value = metric_samples(text);
        assert_eq!(value["totals"]["mosaic_parsig_rejected_total"], json!(5.0));
        assert_eq!(value["totals"]["mosaic_duty_total"], json!(12.0));
        assert_eq!(value["totals"]["mosaic_duty_failed_total"], json!(0.0));
        assert_eq!(value["samples"].as_object().map(|m| m.len()), Some(3));
    }

    #[test]
    fn progress_line_shows_kinds_and_nodes() {
        let duties: BTreeSet<Duty> = [Duty {
            slot: 3,
            kind: mosaic_simnet::DutyKind::Attestation,
            validator: 0,
        }]
        .into_iter()
        .collect();
        let ledger = Ledger::new(&duties, 1..=15);
        let window = Window {
            first_slot: 1,
            last_slot: 15,
        };
        let line = progress_line(3, window, &ledger, &[true, false, true, true]);
        assert!(line.starts_with("slot    3 epoch   0 |"), "{line}");
        assert!(line.contains("attestations 0/1"), "{line}");
        assert!(line.contains("nodes up [0 - 2 3]"), "{line}");
    }
}
