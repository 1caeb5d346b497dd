//! Conformance: `obol-dv-spec/priority_scoring.json` (cluster-wide priority results).

use mosaic_qbft::encoding::any_string;
use mosaic_qbft::pb;
use mosaic_qbft::priority::{calculate_result, decode_any_string};

fn strings(any: &[pb::Any]) -> Vec<String> {
    any.iter()
        .map(|a| decode_any_string(a).expect("string"))
        .collect()
}

#[test]
fn every_case() {
    let Some(suite) = mosaic_test_vectors::load_json("obol-dv-spec/priority_scoring.json") else {
        return;
    };
    let cases = suite["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 18);
    for case in cases {
        let name = case["name"].as_str().expect("name");
        let input = &case["input"];
        let topic = input["topic"].as_str().expect("topic");
        let ignored = input["ignored_topic"].as_str().expect("ignored");
        let slot = input["slot"].as_u64().expect("slot");
        let msgs: Vec<pb::PriorityMsg> = input["peers"]
            .as_array()
            .expect("peers")
            .iter()
            .map(|peer| {
                let priorities: Vec<pb::Any> = peer["priorities"]
                    .as_array()
                    .expect("priorities")
                    .iter()
                    .map(|p| any_string(p.as_str().expect("priority")))
                    .collect();
                pb::PriorityMsg {
                    duty: Some(pb::Duty { slot, r#type: 0 }),
                    topics: vec![
                        pb::PriorityTopicProposal {
                            topic: Some(any_string(topic)),
                            priorities,
                        },
                        pb::PriorityTopicProposal {
                            topic: Some(any_string(ignored)),
                            priorities: vec![],
                        },
                    ],
                    peer_id: peer["peer_id"].as_str().expect("peer id").to_owned(),
                    signature: vec![],
                }
            })
            .collect();
        let min_required =
            usize::try_from(input["min_required"].as_u64().expect("min")).expect("usize");
        let result =
            calculate_result(&msgs, min_required).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(result.topics.len(), 2, "{name}: both topics present");
        let find = |t: &str| {
            result
                .topics
                .iter()
                .find(|r| r.topic.as_ref().and_then(decode_any_string).as_deref() == Some(t))
                .unwrap_or_else(|| panic!("{name}: topic {t} missing"))
        };
        let got: Vec<(String, i64)> = find(topic)
            .priorities
            .iter()
            .map(|p| {
                (
                    strings(std::slice::from_ref(p.priority.as_ref().expect("priority"))).remove(0),
                    p.score,
                )
            })
            .collect();
        let want: Vec<(String, i64)> = case["result"]
            .as_array()
            .expect("result")
            .iter()
            .map(|r| {
                (
                    r["priority"].as_str().expect("p").to_owned(),
                    r["score"].as_i64().expect("score"),
                )
            })
            .collect();
        assert_eq!(got, want, "{name}");
        assert!(
            find(ignored).priorities.is_empty(),
            "{name}: ignored topic has no priorities"
        );
    }
}
