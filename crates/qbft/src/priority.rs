//! Priority protocol scoring (spec: `docs/dv-spec/priority.md`, reference
//! `subspecs/priority/scoring.py`): per-peer preference orders in, one
//! cluster-wide result out. A pure function of the message set: nodes that
//! disagree on it disagree on what the cluster runs.
//!
//! Topics and priorities are `Any`s compared by their priority-convention hash
//! ([`crate::value::priority_hash`]), type URL included.

use std::collections::{BTreeMap, BTreeSet};

use crate::encoding::VALUE_TYPE_URL;
use crate::hashing::Hash;
use crate::pb;
use crate::value::priority_hash;

/// A peer may propose fewer than this many priorities per topic.
pub const MAX_PRIORITIES: usize = 1000;
/// Score weight of one supporting peer; exceeds any position penalty.
pub const COUNT_WEIGHT: i64 = MAX_PRIORITIES as i64;

/// Why a message set cannot be scored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PriorityError {
    /// No messages.
    #[error("priority messages empty")]
    Empty,
    /// Messages name different duties.
    #[error("priority message from peer {peer_id:?} has a different duty")]
    MismatchingDuties {
        /// The peer whose duty differs from the first message's.
        peer_id: String,
    },
    /// Two messages from one peer.
    #[error("duplicate priority message from peer {peer_id:?}")]
    DuplicatePeer {
        /// The repeated peer.
        peer_id: String,
    },
    /// A peer proposed the same topic twice.
    #[error("peer {peer_id:?} proposes a topic twice")]
    DuplicateTopic {
        /// The offending peer.
        peer_id: String,
    },
    /// A topic without its `Any`.
    #[error("peer {peer_id:?} proposes a topic with no value")]
    MissingTopic {
        /// The offending peer.
        peer_id: String,
    },
    /// Too many priorities in one topic.
    #[error("peer {peer_id:?} proposes {count} priorities for a topic (max {max})", max = MAX_PRIORITIES - 1)]
    TooManyPriorities {
        /// The offending peer.
        peer_id: String,
        /// Priorities proposed.
        count: usize,
    },
    /// A peer repeats a priority within a topic.
    #[error("peer {peer_id:?} proposes a priority twice in one topic")]
    DuplicatePriority {
        /// The offending peer.
        peer_id: String,
    },
}

/// Rejects a message set that cannot be scored deterministically.
pub fn validate_msgs(msgs: &[pb::PriorityMsg]) -> Result<(), PriorityError> {
    let first = msgs.first().ok_or(PriorityError::Empty)?;
    let mut peers = BTreeSet::new();
    for msg in msgs {
        let peer_id = || msg.peer_id.clone();
        if msg.duty != first.duty {
            return Err(PriorityError::MismatchingDuties { peer_id: peer_id() });
        }
        if !peers.insert(msg.peer_id.as_str()) {
            return Err(PriorityError::DuplicatePeer { peer_id: peer_id() });
        }
        let mut topics = BTreeSet::new();
        for topic in &msg.topics {
            let any = topic
                .topic
                .as_ref()
                .ok_or_else(|| PriorityError::MissingTopic { peer_id: peer_id() })?;
            if !topics.insert(priority_hash(any)) {
                return Err(PriorityError::DuplicateTopic { peer_id: peer_id() });
            }
            if topic.priorities.len() >= MAX_PRIORITIES {
                return Err(PriorityError::TooManyPriorities {
                    peer_id: peer_id(),
                    count: topic.priorities.len(),
                });
            }
            let mut seen = BTreeSet::new();
            for p in &topic.priorities {
                if !seen.insert(priority_hash(p)) {
                    return Err(PriorityError::DuplicatePriority { peer_id: peer_id() });
                }
            }
        }
    }
    Ok(())
}

struct TopicScores<'a> {
    topic: &'a pb::Any,
    order: Vec<Hash>,
    scores: BTreeMap<Hash, (i64, &'a pb::Any)>,
}

/// Reduces per-peer priorities to the cluster-wide result.
///
/// Messages are taken in ascending peer ID order; a priority scores
/// `COUNT_WEIGHT - position` per proposing peer, is kept only when its score
/// exceeds `(min_required - 1) * COUNT_WEIGHT`, and priorities are sorted by
/// descending score with a *stable* sort (ties keep first-proposed order).
/// Topics are ordered by hash; topics with no surviving priority are kept, empty.
pub fn calculate_result(
    msgs: &[pb::PriorityMsg],
    min_required: usize,
) -> Result<pb::PriorityResult, PriorityError> {
    validate_msgs(msgs)?;
    let mut ordered: Vec<&pb::PriorityMsg> = msgs.iter().collect();
    ordered.sort_by(|a, b| a.peer_id.cmp(&b.peer_id));

    let mut by_topic: BTreeMap<Hash, TopicScores<'_>> = BTreeMap::new();
    for msg in ordered {
        for proposal in &msg.topics {
            let Some(topic) = proposal.topic.as_ref() else {
                continue;
            };
            let entry = by_topic
                .entry(priority_hash(topic))
                .or_insert_with(|| TopicScores {
                    topic,
                    order: Vec::new(),
                    scores: BTreeMap::new(),
                });
            for (position, priority) in proposal.priorities.iter().enumerate() {
                let key = priority_hash(priority);
                let slot = entry.scores.entry(key).or_insert_with(|| (0, priority));
                if slot.0 == 0 {
                    entry.order.push(key);
                }
                slot.0 += COUNT_WEIGHT - position as i64;
            }
        }
    }

    let min_score = (min_required as i64 - 1).saturating_mul(COUNT_WEIGHT);
    let topics = by_topic
        .into_values()
        .map(|t| {
            let mut ranked: Vec<(i64, &pb::Any)> = t
                .order
                .iter()
                .filter_map(|k| t.scores.get(k).copied())
                .collect();
            ranked.sort_by_key(|r| std::cmp::Reverse(r.0)); // stable
            pb::PriorityTopicResult {
                topic: Some(t.topic.clone()),
                priorities: ranked
                    .into_iter()
                    .filter(|(score, _)| *score > min_score)
                    .map(|(score, p)| pb::PriorityScoredResult {
                        priority: Some(p.clone()),
                        score,
                    })
                    .collect(),
            }
        })
        .collect();
    Ok(pb::PriorityResult {
        msgs: msgs.to_vec(),
        topics,
    })
}

/// Returns the root a `PriorityMsg` signature covers: the hash root of the
/// message's deterministic encoding with `signature` cleared (field 4 omitted).
pub fn msg_signing_root(msg: &pb::PriorityMsg) -> Hash {
    let unsigned = pb::PriorityMsg {
        signature: Vec::new(),
        ..msg.clone()
    };
    crate::hashing::hash_proto(&unsigned)
}

/// Decodes an `Any`-wrapped `google.protobuf.Value` string; `None` if it is anything else.
pub fn decode_any_string(any: &pb::Any) -> Option<String> {
    if any.type_url != VALUE_TYPE_URL {
        return None;
    }
    let bytes = any.value.as_slice();
    let (&tag, rest) = bytes.split_first()?;
    if tag != 0x1a {
        return None;
    }
    let mut len: u64 = 0;
    let mut shift = 0;
    let mut i = 0;
    loop {
        let b = *rest.get(i)?;
        len |= u64::from(b & 0x7f).checked_shl(shift)?;
        i += 1;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
        if shift > 63 {
            return None;
        }
    }
    let body = rest.get(i..)?;
    if body.len() as u64 != len {
        return None;
    }
    String::from_utf8(body.to_vec()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::any_string;

    fn msg(peer: &str, slot: u64, priorities: &[&str]) -> pb::PriorityMsg {
        pb::PriorityMsg {
            duty: Some(pb::Duty { slot, r#type: 13 }),
            topics: vec![pb::PriorityTopicProposal {
                topic: Some(any_string("t")),
                priorities: priorities.iter().map(|p| any_string(p)).collect(),
            }],
            peer_id: peer.into(),
            signature: vec![],
        }
    }

    #[test]
    fn rejections_fire_and_boundary_passes() {
        assert_eq!(calculate_result(&[], 1), Err(PriorityError::Empty));
        let dup = [msg("a", 1, &["x"]), msg("a", 1, &["x"])];
        assert!(matches!(
            calculate_result(&dup, 1),
            Err(PriorityError::DuplicatePeer { .. })
        ));
        let duties = [msg("a", 1, &["x"]), msg("b", 2, &["x"])];
        assert!(matches!(
            calculate_result(&duties, 1),
            Err(PriorityError::MismatchingDuties { .. })
        ));
        let dup_p = [msg("a", 1, &["x", "x"])];
        assert!(matches!(
            calculate_result(&dup_p, 1),
            Err(PriorityError::DuplicatePriority { .. })
        ));
        let mut dup_t = msg("a", 1, &["x"]);
        dup_t.topics.push(dup_t.topics[0].clone());
        assert!(matches!(
            calculate_result(&[dup_t], 1),
            Err(PriorityError::DuplicateTopic { .. })
        ));
        let names: Vec<String> = (0..MAX_PRIORITIES).map(|i| i.to_string()).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        assert!(matches!(
            calculate_result(&[msg("a", 1, &refs)], 1),
            Err(PriorityError::TooManyPriorities { .. })
        ));
        assert!(calculate_result(&[msg("a", 1, &refs[..MAX_PRIORITIES - 1])], 1).is_ok());
    }

    #[test]
    fn msg_signing_root_excludes_the_signature_only() {
        let unsigned = msg("a", 1, &["x"]);
        let signed = pb::PriorityMsg {
            signature: vec![1; 65],
            ..unsigned.clone()
        };
        assert_eq!(msg_signing_root(&signed), msg_signing_root(&unsigned));
        let other = pb::PriorityMsg {
            peer_id: "b".into(),
            ..unsigned.clone()
        };
        assert_ne!(msg_signing_root(&other), msg_signing_root(&unsigned));
    }

    #[test]
    fn decode_any_string_round_trips() {
        for s in ["", "v1", &"x".repeat(300)] {
            assert_eq!(decode_any_string(&any_string(s)).as_deref(), Some(s));
        }
        let mut wrong = any_string("a");
        wrong.type_url = "x".into();
        assert_eq!(decode_any_string(&wrong), None);
    }
}
