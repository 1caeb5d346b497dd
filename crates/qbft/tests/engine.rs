//! State machine tests: the happy path, the DECIDED rebroadcast vectors
//! (`obol-dv-spec/qbft_decided_resends.json`) driven through the engine, and
//! each justification and drop rule with a case on either side of it.

mod common;

use common::{broadcasts, cluster, duty, run_sync, signed, value};
use mosaic_qbft::engine::Output;
use mosaic_qbft::hashing::ZERO_HASH;
use mosaic_qbft::msg::MsgType;
use mosaic_qbft::pb;

fn decide_all(n: usize) -> Vec<common::FakeInstance> {
    let mut nodes = cluster(n);
    let mut initial = Vec::new();
    for (i, node) in nodes.iter_mut().enumerate() {
        let mut outs = node.start();
        outs.extend(node.propose(value(i as u64).0).expect("value"));
        initial.push((i, outs));
    }
    let log = run_sync(&mut nodes, initial);
    let leader = mosaic_qbft::engine::Definition::new(n)
        .leader(duty(), 1)
        .expect("leader");
    for (i, outs) in log.iter().enumerate() {
        let decisions: Vec<_> = outs
            .iter()
            .filter(|o| matches!(o, Output::Decided(_)))
            .collect();
        assert_eq!(decisions.len(), 1, "node {i} decides exactly once");
        assert_eq!(
            nodes[i].decided_value(),
            Some(value(leader).1),
            "node {i} decides the leader's value"
        );
        assert!(outs.iter().any(|o| matches!(o, Output::StopTimer)));
    }
    nodes
}

#[test]
fn happy_path_decides_the_round_one_leaders_value() {
    for n in [1, 3, 4, 7, 10, 16] {
        decide_all(n);
    }
}

fn round_change(source: u64, round: i64) -> pb::QbftConsensusMsg {
    let msg = pb::QbftMsg {
        r#type: MsgType::RoundChange as i64,
        duty: Some(duty().to_pb()),
        peer_idx: source as i64,
        round,
        prepared_round: 0,
        signature: vec![],
        value_hash: ZERO_HASH.to_vec(),
        prepared_value_hash: ZERO_HASH.to_vec(),
    };
    pb::QbftConsensusMsg {
        msg: Some(signed(msg, source)),
        justification: vec![],
        values: vec![],
    }
}

#[test]
fn decided_resends_vectors() {
    let Some(suite) = mosaic_test_vectors::load_json("obol-dv-spec/qbft_decided_resends.json")
    else {
        return;
    };
    let cases = suite["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 2);
    for case in cases {
        let name = case["name"].as_str().expect("name");
        let input = &case["input"];
        let n = usize::try_from(input["nodes"].as_u64().expect("nodes")).expect("usize");
        let mut nodes = decide_all(n);
        assert_eq!(input["decided_round"].as_i64(), Some(1));
        let expected: Vec<bool> = case["rebroadcast"]
            .as_array()
            .expect("rebroadcast")
            .iter()
            .map(|b| b.as_bool().expect("bool"))
            .collect();
        let mut total = 0;
        for (i, event) in input["events"]
            .as_array()
            .expect("events")
            .iter()
            .enumerate()
        {
            let source = event["source"].as_u64().expect("source");
            let round = event["round"].as_i64().expect("round");
            let outs = nodes[0].receive(&round_change(source, round));
            let sent = broadcasts(&outs);
            let rebroadcast = !sent.is_empty();
            assert_eq!(rebroadcast, expected[i], "{name}: event {i}");
            for m in &sent {
                let inner = m.msg.as_ref().expect("msg");
                assert_eq!(
                    inner.r#type,
                    MsgType::Decided as i64,
                    "{name}: only DECIDED"
                );
                assert_eq!(
                    m.justification.len(),
                    3,
                    "{name}: quorum of commits as justification"
                );
            }
            total += usize::from(rebroadcast);
        }
        assert_eq!(
            Some(total as u64),
            case["total_rebroadcasts"].as_u64(),
            "{name}"
        );
        assert_eq!(nodes[0].drops().total(), 0, "{name}: nothing dropped");
    }
}

// ---- Builders -------------------------------------------------------------

fn wire(typ: MsgType, source: u64, round: i64, v: u64, pr: i64, pv: Option<u64>) -> pb::QbftMsg {
    let msg = pb::QbftMsg {
        r#type: typ as i64,
        duty: Some(duty().to_pb()),
        peer_idx: source as i64,
        round,
        prepared_round: pr,
        signature: vec![],
        value_hash: if typ == MsgType::RoundChange {
            ZERO_HASH.to_vec()
        } else {
            value(v).1.to_vec()
        },
        prepared_value_hash: pv.map_or(ZERO_HASH.to_vec(), |p| value(p).1.to_vec()),
    };
    signed(msg, source)
}

fn envelope(
    msg: pb::QbftMsg,
    justification: Vec<pb::QbftMsg>,
    values: &[u64],
) -> pb::QbftConsensusMsg {
    pb::QbftConsensusMsg {
        msg: Some(msg),
        justification,
        values: values.iter().map(|v| value(*v).0).collect(),
    }
}

fn sent_types(outs: &[Output]) -> Vec<MsgType> {
    broadcasts(outs)
        .iter()
        .map(|m| MsgType::from_wire(m.msg.as_ref().expect("msg").r#type).expect("type"))
        .collect()
}

/// Node 0 of a 4-node cluster (duty slot 3, attester: leaders r1=2, r2=3, r3=0, r4=1).
fn node0() -> common::FakeInstance {
    let mut nodes = cluster(4);
    let mut node = nodes.remove(0);
    node.start();
    node
}

fn round_changes(round: i64, sources: &[u64]) -> Vec<pb::QbftMsg> {
    sources
        .iter()
        .map(|s| wire(MsgType::RoundChange, *s, round, 0, 0, None))
        .collect()
}

// ---- Justification rules ----------------------------------------------------

#[test]
fn pre_prepare_only_from_the_rounds_leader() {
    let mut n = node0();
    let outs = n.receive(&envelope(
        wire(MsgType::PrePrepare, 1, 1, 7, 0, None),
        vec![],
        &[7],
    ));
    assert!(outs.is_empty());
    assert_eq!(n.drops().get("unjust"), 1);
    let outs = n.receive(&envelope(
        wire(MsgType::PrePrepare, 2, 1, 7, 0, None),
        vec![],
        &[7],
    ));
    assert_eq!(sent_types(&outs), vec![MsgType::Prepare]);
}

#[test]
fn round_one_pre_prepare_must_not_carry_justification() {
    let mut n = node0();
    let just = round_changes(1, &[1, 2, 3]);
    assert!(n
        .receive(&envelope(
            wire(MsgType::PrePrepare, 2, 1, 7, 0, None),
            just,
            &[7]
        ))
        .is_empty());
    assert_eq!(n.drops().get("unjust"), 1);
}

#[test]
fn later_pre_prepare_needs_a_quorum_of_distinct_round_changes() {
    // Round 2 leader is 3.
    let mut n = node0();
    let short = round_changes(2, &[1, 2]);
    assert!(n
        .receive(&envelope(
            wire(MsgType::PrePrepare, 3, 2, 7, 0, None),
            short,
            &[7]
        ))
        .is_empty());
    let repeated = round_changes(2, &[1, 1, 2]);
    assert!(n
        .receive(&envelope(
            wire(MsgType::PrePrepare, 3, 2, 7, 0, None),
            repeated,
            &[7]
        ))
        .is_empty());
    let wrong_round = round_changes(3, &[1, 2, 3]);
    assert!(n
        .receive(&envelope(
            wire(MsgType::PrePrepare, 3, 2, 7, 0, None),
            wrong_round,
            &[7]
        ))
        .is_empty());
    assert_eq!(n.drops().get("unjust"), 3);
    let quorum = round_changes(2, &[1, 2, 3]);
    let outs = n.receive(&envelope(
        wire(MsgType::PrePrepare, 3, 2, 7, 0, None),
        quorum,
        &[7],
    ));
    assert_eq!(sent_types(&outs), vec![MsgType::Prepare]);
    assert_eq!(
        n.round(),
        2,
        "a justified future PRE-PREPARE moves the round"
    );
}

fn prepares(round: i64, v: u64, sources: &[u64]) -> Vec<pb::QbftMsg> {
    sources
        .iter()
        .map(|s| wire(MsgType::Prepare, *s, round, v, 0, None))
        .collect()
}

#[test]
fn prepared_pre_prepare_must_re_propose_the_highest_prepared_value() {
    // Round 3 leader is 0; node 1 judges.
    let mut nodes = cluster(4);
    let mut n = nodes.remove(1);
    n.start();
    // J2: RCs for round 3, one prepared (r1, v7), plus a quorum of PREPARE(r1, v7).
    let mut just = vec![
        wire(MsgType::RoundChange, 1, 3, 0, 1, Some(7)),
        wire(MsgType::RoundChange, 2, 3, 0, 0, None),
        wire(MsgType::RoundChange, 3, 3, 0, 0, None),
    ];
    just.extend(prepares(1, 7, &[0, 2, 3]));
    // Proposing another value is unjust.
    assert!(n
        .receive(&envelope(
            wire(MsgType::PrePrepare, 0, 3, 8, 0, None),
            just.clone(),
            &[7, 8]
        ))
        .is_empty());
    assert_eq!(n.drops().get("unjust"), 1);
    // A round change that prepared higher than the prepare quorum makes it unjust too.
    let mut higher = just.clone();
    higher[1] = wire(MsgType::RoundChange, 2, 3, 0, 2, Some(9));
    assert!(n
        .receive(&envelope(
            wire(MsgType::PrePrepare, 0, 3, 7, 0, None),
            higher,
            &[7, 9]
        ))
        .is_empty());
    // Without the matching prepare quorum it is unjust.
    let mut thin = just.clone();
    thin.pop();
    assert!(n
        .receive(&envelope(
            wire(MsgType::PrePrepare, 0, 3, 7, 0, None),
            thin,
            &[7]
        ))
        .is_empty());
    assert_eq!(n.drops().get("unjust"), 3);
    // Re-proposing v7 is justified.
    let outs = n.receive(&envelope(
        wire(MsgType::PrePrepare, 0, 3, 7, 0, None),
        just,
        &[7],
    ));
    assert_eq!(sent_types(&outs), vec![MsgType::Prepare]);
}

#[test]
fn prepared_round_change_needs_a_quorum_of_matching_prepares() {
    let mut n = node0();
    let rc = wire(MsgType::RoundChange, 1, 3, 0, 1, Some(7));
    assert!(
        n.receive(&envelope(rc.clone(), prepares(1, 7, &[1, 2]), &[7]))
            .is_empty(),
        "quorum - 1"
    );
    assert!(
        n.receive(&envelope(rc.clone(), prepares(1, 7, &[1, 2, 2]), &[7]))
            .is_empty(),
        "repeated source"
    );
    let mut mixed = prepares(1, 7, &[1, 2]);
    mixed.extend(prepares(1, 8, &[3]));
    assert!(
        n.receive(&envelope(rc.clone(), mixed, &[7, 8])).is_empty(),
        "different value"
    );
    let claimed = wire(MsgType::RoundChange, 1, 3, 0, 1, Some(7));
    assert!(
        n.receive(&envelope(claimed, vec![], &[7])).is_empty(),
        "prepared claim without evidence"
    );
    assert_eq!(n.drops().get("unjust"), 4);
    n.receive(&envelope(rc, prepares(1, 7, &[1, 2, 3]), &[7]));
    assert_eq!(
        n.drops().get("unjust"),
        4,
        "a quorum of matching prepares justifies it"
    );
}

#[test]
fn decided_needs_a_quorum_of_commits() {
    let mut n = node0();
    let commits = |s: &[u64]| {
        s.iter()
            .map(|s| wire(MsgType::Commit, *s, 1, 7, 0, None))
            .collect::<Vec<_>>()
    };
    let outs = n.receive(&envelope(
        wire(MsgType::Decided, 1, 1, 7, 0, None),
        commits(&[1, 2, 2]),
        &[7],
    ));
    assert!(outs.is_empty());
    assert_eq!(n.drops().get("unjust"), 1);
    let outs = n.receive(&envelope(
        wire(MsgType::Decided, 1, 1, 7, 0, None),
        commits(&[1, 2, 3]),
        &[7],
    ));
    assert!(outs
        .iter()
        .any(|o| matches!(o, Output::Decided(d) if d.value_hash == value(7).1)));
    assert_eq!(n.decided_value(), Some(value(7).1));
}

#[test]
fn quorum_of_commits_decides_and_quorum_minus_one_does_not() {
    let mut n = node0();
    for s in [1, 2] {
        let outs = n.receive(&envelope(
            wire(MsgType::Commit, s, 1, 7, 0, None),
            vec![],
            &[7],
        ));
        assert!(outs.is_empty());
    }
    let again = n.receive(&envelope(
        wire(MsgType::Commit, 2, 1, 7, 0, None),
        vec![],
        &[7],
    ));
    assert!(again.is_empty(), "a duplicate does not count twice");
    let outs = n.receive(&envelope(
        wire(MsgType::Commit, 3, 1, 7, 0, None),
        vec![],
        &[7],
    ));
    assert!(outs.iter().any(|o| matches!(o, Output::Decided(_))));
    let later = n.receive(&envelope(
        wire(MsgType::Commit, 0, 1, 7, 0, None),
        vec![],
        &[7],
    ));
    assert!(later.is_empty(), "decides once");
}

#[test]
fn f_plus_one_round_changes_jump_rounds_and_f_do_not() {
    let mut n = node0();
    assert!(n
        .receive(&envelope(
            wire(MsgType::RoundChange, 1, 5, 0, 0, None),
            vec![],
            &[]
        ))
        .is_empty());
    assert_eq!(n.round(), 1, "f = 1 round change is not enough");
    let outs = n.receive(&envelope(
        wire(MsgType::RoundChange, 2, 4, 0, 0, None),
        vec![],
        &[],
    ));
    assert_eq!(
        n.round(),
        4,
        "jumps to the lowest of the f+1 highest rounds"
    );
    assert_eq!(sent_types(&outs), vec![MsgType::RoundChange]);
    assert!(outs
        .iter()
        .any(|o| matches!(o, Output::ArmTimer { round: 4 })));
}

#[test]
fn timeouts_change_round_and_stale_ones_are_ignored() {
    let mut n = node0();
    assert!(n.timeout(2).is_empty(), "not the current round");
    let outs = n.timeout(1);
    assert_eq!(n.round(), 2);
    assert_eq!(sent_types(&outs), vec![MsgType::RoundChange]);
    assert!(n.timeout(1).is_empty(), "stale");
}

#[test]
fn leader_proposes_on_a_justified_round_change_quorum_once_it_has_a_value() {
    // Round 3 leader is node 0; it has no value yet, so it caches the justification.
    let mut n = node0();
    n.timeout(1);
    n.timeout(2);
    assert_eq!(n.round(), 3);
    for s in [1, 2] {
        let outs = n.receive(&envelope(
            wire(MsgType::RoundChange, s, 3, 0, 0, None),
            vec![],
            &[],
        ));
        assert!(broadcasts(&outs).is_empty());
    }
    let outs = n.propose(value(42).0).expect("value");
    assert_eq!(
        sent_types(&outs),
        vec![MsgType::PrePrepare, MsgType::Prepare],
        "the cached quorum is used, and the leader prepares its own proposal"
    );
    let pp = broadcasts(&outs).remove(0);
    assert_eq!(pp.justification.len(), 3);
    assert_eq!(pp.msg.as_ref().expect("msg").round, 3);
}

// ---- Verification and drop counting ---------------------------------------

#[test]
fn malformed_forged_and_badly_signed_messages_are_dropped_and_counted() {
    let mut n = node0();
    let good = || wire(MsgType::Prepare, 1, 1, 7, 0, None);
    let mut cases: Vec<(&str, pb::QbftConsensusMsg)> = Vec::new();
    let mut forged = good();
    forged.peer_idx = 2;
    cases.push(("bad_signature", envelope(forged, vec![], &[7])));
    let mut corrupt = good();
    corrupt.signature[0] ^= 1;
    cases.push(("bad_signature", envelope(corrupt, vec![], &[7])));
    let mut unsigned = good();
    unsigned.signature.clear();
    cases.push(("bad_signature", envelope(unsigned, vec![], &[7])));
    let mut outsider = good();
    outsider.peer_idx = 4;
    cases.push(("unknown_peer", envelope(signed(outsider, 4), vec![], &[7])));
    cases.push(("missing_value", envelope(good(), vec![], &[])));
    let mut bad_type = good();
    bad_type.r#type = 6;
    cases.push(("invalid_field", envelope(signed(bad_type, 1), vec![], &[7])));
    let mut round0 = good();
    round0.round = 0;
    cases.push(("invalid_field", envelope(signed(round0, 1), vec![], &[7])));
    let mut bad_duty = good();
    bad_duty.duty = Some(pb::Duty {
        slot: 3,
        r#type: 14,
    });
    cases.push(("invalid_field", envelope(signed(bad_duty, 1), vec![], &[7])));
    let mut other_duty = wire(MsgType::RoundChange, 2, 2, 0, 0, None);
    other_duty.duty = Some(pb::Duty { slot: 4, r#type: 2 });
    cases.push((
        "justification_duty",
        envelope(
            wire(MsgType::PrePrepare, 3, 2, 7, 0, None),
            vec![signed(other_duty, 2)],
            &[7],
        ),
    ));
    cases.push((
        "too_many_justifications",
        envelope(good(), round_changes(1, &[1, 2, 3, 0, 1, 2, 3, 0, 1]), &[7]),
    ));
    cases.push(("too_many_values", envelope(good(), vec![], &[7, 8, 9])));
    let total = cases.len() as u64;
    for (slug, msg) in cases {
        let before = n.drops().get(slug);
        assert!(n.receive(&msg).is_empty(), "{slug}");
        assert_eq!(n.drops().get(slug), before + 1, "{slug}");
    }
    assert_eq!(n.drops().total(), total);
    // One step inside each boundary: the good message and the at-limit counts pass verification.
    assert!(n.receive(&envelope(good(), vec![], &[7, 8])).is_empty());
    assert_eq!(
        n.drops().total(),
        total,
        "a valid PREPARE with two values is accepted"
    );
}

#[test]
fn only_referenced_values_are_kept_and_evicted_ones_are_collected() {
    let mut n = node0();
    n.receive(&envelope(
        wire(MsgType::Prepare, 1, 1, 7, 0, None),
        vec![],
        &[7, 8],
    ));
    assert_eq!(
        n.stored_values(),
        1,
        "the unreferenced extra value is not stored"
    );
    // A peer cycling its FIFO with ever-new values cannot grow memory past the buffer.
    for v in 100..(100 + 3 * mosaic_qbft::engine::DEFAULT_FIFO_LIMIT as u64 + 50) {
        n.receive(&envelope(
            wire(MsgType::Prepare, 2, 1, v, 0, None),
            vec![],
            &[v],
        ));
    }
    assert!(
        n.stored_values() <= 2 * mosaic_qbft::engine::DEFAULT_FIFO_LIMIT + 1,
        "{}",
        n.stored_values()
    );
    assert_eq!(n.drops().total(), 0);
}

#[test]
fn production_secp256k1_cluster_decides() {
    use mosaic_crypto::secp256k1::SecretKey;
    use mosaic_qbft::engine::{Definition, Instance};
    use mosaic_qbft::signing::{Secp256k1Signer, Secp256k1Verifier};
    let keys: Vec<SecretKey> = (0..4).map(|_| SecretKey::random()).collect();
    let verifier = Secp256k1Verifier::new(keys.iter().map(SecretKey::public_key).collect());
    let mut nodes: Vec<_> = keys
        .into_iter()
        .enumerate()
        .map(|(i, k)| {
            Instance::new(
                Definition::new(4),
                duty(),
                i as u64,
                Secp256k1Signer::new(k),
                verifier.clone(),
            )
            .expect("member")
        })
        .collect();
    let mut queue = std::collections::VecDeque::new();
    for (i, node) in nodes.iter_mut().enumerate() {
        let mut outs = node.start();
        outs.extend(node.propose(value(i as u64).0).expect("value"));
        queue.extend(broadcasts(&outs).into_iter().map(|m| (i, m)));
    }
    while let Some((from, msg)) = queue.pop_front() {
        for to in (0..4).filter(|&to| to != from) {
            let outs = nodes[to].receive(&msg);
            queue.extend(broadcasts(&outs).into_iter().map(|m| (to, m)));
        }
    }
    let leader = Definition::new(4).leader(duty(), 1).expect("leader");
    for node in &nodes {
        assert_eq!(node.decided_value(), Some(value(leader).1));
        assert_eq!(node.drops().total(), 0);
    }
}
