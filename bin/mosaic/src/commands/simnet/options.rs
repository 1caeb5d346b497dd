//! Parsers for `mosaic simnet`'s option values: durations (`500ms`, `2s`, `1m`) and node outages
//! (`--kill NODE@SLOT[..SLOT]`), voluntary exits (`--exit VALIDATOR@SLOT`).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// Why an option value was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum OptionError {
    /// A duration that is not `<integer><unit>` with unit `ms`, `s` or `m`.
    #[error("duration {value:?}: {reason} (expected e.g. 500ms, 2s, 12s or 1m)")]
    Duration {
        /// The text given.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A `--exit` value that is not `VALIDATOR@SLOT`.
    #[error("--exit {value:?}: {reason} (expected VALIDATOR@SLOT, e.g. 2@20)")]
    Exit {
        /// The text given.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A `--kill` value that is not `NODE@SLOT` or `NODE@SLOT..SLOT`.
    #[error("--kill {value:?}: {reason} (expected NODE@SLOT or NODE@SLOT..SLOT, e.g. 1@8..16)")]
    Kill {
        /// The text given.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// Parses a duration: a non-negative integer followed by `ms`, `s` or `m` (`500ms`, `2s`,
/// `12s`, `1m`). Zero is refused: no simnet setting can be zero.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, OptionError> {
    let error = |reason: &str| OptionError::Duration {
        value: text.to_owned(),
        reason: reason.to_owned(),
    };
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| error("missing unit"))?;
    let (number, unit) = trimmed.split_at(split);
    if number.is_empty() {
        return Err(error("missing number"));
    }
    let value: u64 = number.parse().map_err(|_| error("number too large"))?;
    let duration = match unit {
        "ms" => Duration::from_millis(value),
        "s" => Duration::from_secs(value),
        "m" => Duration::from_secs(value.checked_mul(60).ok_or_else(|| error("too large"))?),
        _ => return Err(error("unknown unit (use ms, s or m)")),
    };
    if duration.is_zero() {
        return Err(error("must be greater than zero"));
    }
    Ok(duration)
}

/// One planned outage: node `node` is killed (SIGKILL) when slot `stop_slot` starts and, if
/// `restart_slot` is given, started again with the same data when that slot starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KillSpec {
    /// The node's index (0-based, as in its folder name `node<i>`).
    pub(crate) node: usize,
    /// The slot at whose start the node is killed.
    pub(crate) stop_slot: u64,
    /// The slot at whose start it is started again, if ever.
    pub(crate) restart_slot: Option<u64>,
}

impl FromStr for KillSpec {
    type Err = OptionError;

    fn from_str(text: &str) -> Result<Self, OptionError> {
        let error = |reason: String| OptionError::Kill {
            value: text.to_owned(),
            reason,
        };
        let (node, slots) = text
            .trim()
            .split_once('@')
            .ok_or_else(|| error("missing '@'".into()))?;
        let node: usize = node
            .parse()
            .map_err(|_| error(format!("node {node:?} is not a node index")))?;
        let (stop, restart) = match slots.split_once("..") {
            Some((stop, restart)) => (stop, Some(restart)),
            None => (slots, None),
        };
        let stop_slot: u64 = stop
            .parse()
            .map_err(|_| error(format!("stop slot {stop:?} is not a slot number")))?;
        let restart_slot = restart
            .map(|r| {
                r.parse::<u64>()
                    .map_err(|_| error(format!("restart slot {r:?} is not a slot number")))
            })
            .transpose()?;
        if let Some(restart) = restart_slot {
            if restart <= stop_slot {
                return Err(error(format!(
                    "restart slot {restart} is not after stop slot {stop_slot}"
                )));
            }
        }
        Ok(Self {
            node,
            stop_slot,
            restart_slot,
        })
    }
}

/// One planned voluntary exit: distributed validator `validator` (its position in the lock, also
/// its index on the simulated chain) exits at the start of slot `slot`, in that slot's epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ExitSpec {
    /// The validator (0-based lock position = chain index).
    pub(crate) validator: u64,
    /// The slot at whose start every operator signs and submits its partial exit.
    pub(crate) slot: u64,
}

impl FromStr for ExitSpec {
    type Err = OptionError;

    fn from_str(text: &str) -> Result<Self, OptionError> {
        let error = |reason: String| OptionError::Exit {
            value: text.to_owned(),
            reason,
        };
        let (validator, slot) = text
            .trim()
            .split_once('@')
            .ok_or_else(|| error("missing '@'".into()))?;
        let validator = validator
            .parse()
            .map_err(|_| error(format!("validator {validator:?} is not a validator index")))?;
        let slot = slot
            .parse()
            .map_err(|_| error(format!("slot {slot:?} is not a slot number")))?;
        Ok(Self { validator, slot })
    }
}

impl fmt::Display for ExitSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.validator, self.slot)
    }
}

/// Checks planned exits against the run: the validator exists, each exits once, and the slot
/// is in the last epoch of the window (`first_slot..=last_slot`): an exit changes the active
/// set, and so every committee, from the next epoch on, which the run's duty schedule
/// (computed when it starts) does not follow.
pub(crate) fn check_exits(
    exits: &[ExitSpec],
    validators: u64,
    slots_per_epoch: u64,
    first_slot: u64,
    last_slot: u64,
) -> Result<(), OptionError> {
    let last_epoch_start = last_slot - last_slot % slots_per_epoch;
    for (i, exit) in exits.iter().enumerate() {
        let error = |reason: String| OptionError::Exit {
            value: exit.to_string(),
            reason,
        };
        if exit.validator >= validators {
            return Err(error(format!(
                "validator {} does not exist (validators are 0..{validators})",
                exit.validator
            )));
        }
        if exit.slot < first_slot.max(last_epoch_start) || exit.slot > last_slot {
            return Err(error(format!(
                "slot {} is not in the last epoch of the run (slots {}..={last_slot}): an exit \
                 changes the committees of the epochs after it",
                exit.slot,
                first_slot.max(last_epoch_start)
            )));
        }
        if exits[..i].iter().any(|e| e.validator == exit.validator) {
            return Err(error(format!("validator {} exits twice", exit.validator)));
        }
    }
    Ok(())
}

impl fmt::Display for KillSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.node, self.stop_slot)?;
        if let Some(restart) = self.restart_slot {
            write!(f, "..{restart}")?;
        }
        Ok(())
    }
}

/// Checks a set of outages against the cluster size: every node index exists and one node's
/// outages do not overlap (a node cannot be killed while it is down, nor in the slot it is
/// restarted).
pub(crate) fn check_kills(kills: &[KillSpec], nodes: usize) -> Result<(), OptionError> {
    for kill in kills {
        if kill.node >= nodes {
            return Err(OptionError::Kill {
                value: kill.to_string(),
                reason: format!("node {} does not exist (nodes are 0..{})", kill.node, nodes),
            });
        }
    }
    for (i, a) in kills.iter().enumerate() {
        for b in &kills[i + 1..] {
            if a.node != b.node {
                continue;
            }
            let (first, second) = if a.stop_slot <= b.stop_slot {
                (a, b)
            } else {
                (b, a)
            };
            let overlaps = first
                .restart_slot
                .is_none_or(|restart| restart >= second.stop_slot);
            if overlaps {
                return Err(OptionError::Kill {
                    value: second.to_string(),
                    reason: format!("node {} is still down from --kill {first}", a.node),
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exits_parse_and_are_checked_against_the_run() {
        let exit: ExitSpec = "2@20".parse().unwrap();
        assert_eq!((exit.validator, exit.slot), (2, 20));
        assert_eq!(exit.to_string(), "2@20");
        for bad in ["2", "x@20", "2@", "2@y"] {
            assert!(bad.parse::<ExitSpec>().is_err(), "{bad}");
        }
        // 3 epochs of 8 slots: the last epoch is slots 16..=23.
        let check = |exits: &[ExitSpec]| check_exits(exits, 4, 8, 1, 23);
        let at = |validator, slot| ExitSpec { validator, slot };
        assert!(check(&[at(0, 16), at(3, 23)]).is_ok());
        assert!(check(&[at(0, 15)]).is_err());
        assert!(check(&[at(0, 24)]).is_err());
        assert!(check(&[at(4, 16)]).is_err());
        assert!(check(&[at(1, 16), at(1, 17)]).is_err());
        // A one-epoch run: slot 0 is not measured.
        assert!(check_exits(&[at(0, 0)], 4, 8, 1, 7).is_err());
        assert!(check_exits(&[at(0, 1)], 4, 8, 1, 7).is_ok());
    }

    #[test]
    fn durations_in_every_unit() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("12s"), Ok(Duration::from_secs(12)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("1ms"), Ok(Duration::from_millis(1)));
    }

    #[test]
    fn durations_rejected() {
        for bad in [
            "",
            "2",
            "s",
            "2h",
            "-1s",
            "1.5s",
            "0s",
            "0ms",
            "2 s",
            "99999999999999999999s",
        ] {
            assert!(
                matches!(parse_duration(bad), Err(OptionError::Duration { .. })),
                "{bad:?} accepted"
            );
        }
    }

    #[test]
    fn kill_with_and_without_restart() {
        assert_eq!(
            "1@8..16".parse(),
            Ok(KillSpec {
                node: 1,
                stop_slot: 8,
                restart_slot: Some(16)
            })
        );
        assert_eq!(
            "3@0".parse(),
            Ok(KillSpec {
                node: 3,
                stop_slot: 0,
                restart_slot: None
            })
        );
        // One step inside the ordering rule: restart right after the stop.
        assert_eq!(
            "0@5..6".parse::<KillSpec>().map(|k| k.restart_slot),
            Ok(Some(6))
        );
        assert_eq!(
            "2@4..9".parse::<KillSpec>().map(|k| k.to_string()),
            Ok("2@4..9".to_string())
        );
    }

    #[test]
    fn kill_rejected() {
        for bad in [
            "", "1", "@8", "x@8", "1@", "1@x", "1@8..", "1@8..x", "1@8..8", "1@8..7", "-1@8",
            "1@8...9",
        ] {
            assert!(
                matches!(bad.parse::<KillSpec>(), Err(OptionError::Kill { .. })),
                "{bad:?} accepted"
            );
        }
    }

    fn kill(text: &str) -> KillSpec {
        text.parse().expect("valid kill spec")
    }

    #[test]
    fn kills_must_name_existing_nodes() {
        assert!(check_kills(&[kill("3@8")], 4).is_ok());
        assert!(matches!(
            check_kills(&[kill("4@8")], 4),
            Err(OptionError::Kill { .. })
        ));
    }

    #[test]
    fn outages_of_one_node_must_not_overlap() {
        // One slot up between outages is fine; killed in the slot it returns is not.
        assert!(check_kills(&[kill("1@8..12"), kill("1@13..14")], 4).is_ok());
        assert!(check_kills(&[kill("1@8..12"), kill("1@12..14")], 4).is_err());
        // Different nodes may overlap.
        assert!(check_kills(&[kill("1@8..12"), kill("2@8..12")], 4).is_ok());
        // Overlapping by one slot, in either order.
        assert!(check_kills(&[kill("1@8..12"), kill("1@11..14")], 4).is_err());
        assert!(check_kills(&[kill("1@11..14"), kill("1@8..12")], 4).is_err());
        // Killed for good, then killed again.
        assert!(check_kills(&[kill("1@8"), kill("1@20..22")], 4).is_err());
    }
}
