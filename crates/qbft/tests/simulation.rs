//! Deterministic simulations (virtual clock, seeded): safety (agreement,
//! justified decisions) and liveness (every honest node decides once the
//! network is synchronous) for n in 4, 7, 10, 16 with message delays, drops,
//! duplicates, reordering, up to f crashed and up to f Byzantine nodes.
//!
//! `PROPTEST_CASES` raises the number of seeds (default kept small for CI).

mod common;

use common::sim::{check, Config, Fault, Sim};
use mosaic_qbft::engine::Definition;
use proptest::prelude::*;

fn run(cfg: &Config) {
    let outcome = Sim::new(cfg.clone()).run();
    if let Err(e) = check(cfg, &outcome, true) {
        panic!("seed {} n {}: {e}\nconfig {cfg:?}", cfg.seed, cfg.nodes);
    }
}

#[test]
fn fixed_seeds_all_cluster_sizes() {
    for n in [4, 7, 10, 16] {
        for seed in 0..8 {
            run(&Config::random(n, seed));
        }
    }
}

#[test]
fn f_byzantine_nodes_including_the_first_leaders() {
    for n in [4, 7, 10, 16] {
        let f = Definition::new(n).faulty();
        for seed in 0..4 {
            let mut cfg = Config::random(n, 100 + seed);
            cfg.faults = vec![Fault::Honest; n];
            // The leaders of rounds 1..=f are Byzantine: each equivocates.
            let def = Definition::new(n);
            for round in 1..=f as i64 {
                let leader = def.leader(common::duty(), round).expect("leader") as usize;
                cfg.faults[leader] = Fault::Byzantine;
            }
            run(&cfg);
        }
    }
}

#[test]
fn byzantine_behaviours_are_exercised_and_dropped() {
    let mut totals = std::collections::BTreeMap::new();
    for seed in 0..16 {
        let mut cfg = Config::random(7, 300 + seed);
        cfg.faults = vec![Fault::Honest; 7];
        cfg.faults[seed as usize % 7] = Fault::Byzantine;
        cfg.faults[(seed as usize + 3) % 7] = Fault::Byzantine;
        let outcome = Sim::new(cfg.clone()).run();
        check(&cfg, &outcome, true).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        for (slug, count) in outcome.honest_drops {
            *totals.entry(slug).or_insert(0u64) += count;
        }
    }
    for slug in ["bad_signature", "unjust"] {
        assert!(
            totals.get(slug).copied().unwrap_or(0) > 0,
            "{slug} never exercised: {totals:?}"
        );
    }
}

#[test]
fn f_crashed_nodes_from_the_start() {
    for n in [4, 7, 10, 16] {
        let f = Definition::new(n).faulty();
        let mut cfg = Config::random(n, 7);
        cfg.faults = (0..n)
            .map(|i| {
                if i < f {
                    Fault::Crash(0)
                } else {
                    Fault::Honest
                }
            })
            .collect();
        run(&cfg);
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(2048),
        ..ProptestConfig::default()
    })]

    #[test]
    fn safe_and_live_under_random_faults(seed in any::<u64>(), size in 0usize..4) {
        let n = [4, 7, 10, 16][size];
        let cfg = Config::random(n, seed);
        let outcome = Sim::new(cfg.clone()).run();
        prop_assert!(check(&cfg, &outcome, true).is_ok(), "{:?}", check(&cfg, &outcome, true));
    }
}

#[test]
#[ignore = "diagnostic: prints per-run statistics"]
fn print_stats() {
    for n in [4, 7, 10, 16] {
        for seed in 0..6 {
            let cfg = Config::random(n, seed);
            let o = Sim::new(cfg.clone()).run();
            println!(
                "n={n} seed={seed} faults={:?} gst={} drop={} decided={}/{} rounds<={} t={}ms delivered={}",
                cfg.faults, cfg.gst, cfg.drop_percent, o.decisions.len(), n, o.max_round, o.end_time / 1_000_000, o.delivered
            );
        }
    }
}

/// An open liveness bug found by the random-fault simulation (2026-11-23): with 16 nodes, 3 of
/// them Byzantine and 21 % of messages dropped before GST, no honest node decides within the
/// 120 s horizon (rounds keep advancing, max round 121). Safety holds. A second seed,
/// 10_943_595_325_395_852_691 (also 16 nodes), fails the same way. Random seeds hit such a case
/// about once in a thousand to two thousand runs. Run by hand until fixed:
/// `cargo test -p mosaic-qbft --test simulation known_liveness_failure -- --ignored`.
#[test]
#[ignore = "open bug: liveness failure for this seed (see the doc comment)"]
fn known_liveness_failure_n16_three_byzantine() {
    let cfg = Config::random(16, 706_108_809_774_274_598);
    let outcome = Sim::new(cfg.clone()).run();
    assert!(
        check(&cfg, &outcome, true).is_ok(),
        "{:?}",
        check(&cfg, &outcome, true)
    );
}
