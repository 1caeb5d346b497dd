//! Round timers (spec: `docs/dv-spec/consensus.md` "Timers", reference
//! `subspecs/consensus/timer/timer.py`), in integer nanoseconds.
//!
//! The state machine is timer-free: it asks its driver to arm the round timer
//! ([`crate::engine::Output::ArmTimer`]) and the driver asks a [`RoundTimer`] for
//! the absolute deadline. Every time here is unix nanoseconds (`u64`).

use std::collections::BTreeMap;

use crate::duty::{Duty, DutyType};

/// Nanoseconds in one second.
pub const NANOS_PER_SECOND: u64 = 1_000_000_000;
/// Round 1 timeout of proposer duties (block proposals need longer): 1.5 s.
pub const PROPOSAL_ROUND_TIMEOUT_NANOS: u64 = 1_500_000_000;
const INCREASING_START_NANOS: u64 = 750_000_000;
const INCREASING_STEP_NANOS: u64 = 250_000_000;
const LINEAR_STEP_NANOS: u64 = 200_000_000;

/// The round timer strategies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TimerType {
    /// `750ms + 250ms * round`, restarted from the local clock each round.
    Increasing,
    /// Eager, double, linear: deterministic chain-aligned deadlines of
    /// `round` seconds, extended by one timeout when re-armed in the same round.
    #[default]
    EagerDoubleLinear,
    /// 1 s for round 1, then `200ms * round`.
    Linear,
}

impl TimerType {
    /// The spec's identifier (`inc`, `eager_dlinear`, `linear`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Increasing => "inc",
            Self::EagerDoubleLinear => "eager_dlinear",
            Self::Linear => "linear",
        }
    }
}

/// Chain timing, from which eager deadlines are derived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainTiming {
    /// Genesis time, unix nanoseconds.
    pub genesis_time_nanos: u64,
    /// Slot duration, nanoseconds.
    pub slot_duration_nanos: u64,
}

/// Delay from slot start to the start of a duty: a third of a slot for
/// attestations, two thirds for aggregations and sync contributions, else 0
/// (integer nanosecond division, as Charon's `time.Duration`).
pub fn duty_start_delay_nanos(duty_type: DutyType, slot_duration_nanos: u64) -> u64 {
    match duty_type {
        DutyType::Attester => slot_duration_nanos / 3,
        DutyType::Aggregator | DutyType::SyncContribution => {
            slot_duration_nanos.saturating_mul(2) / 3
        }
        _ => 0,
    }
}

fn proposal_first_round(duty_type: DutyType, round: i64) -> bool {
    duty_type == DutyType::Proposer && round == 1
}

fn seconds(round: i64) -> u64 {
    u64::try_from(round.max(1))
        .unwrap_or(1)
        .saturating_mul(NANOS_PER_SECOND)
}

/// Base timeout of `round` for a strategy, in nanoseconds.
pub fn round_timeout_nanos(timer: TimerType, duty_type: DutyType, round: i64) -> u64 {
    if proposal_first_round(duty_type, round) {
        return PROPOSAL_ROUND_TIMEOUT_NANOS;
    }
    let r = u64::try_from(round.max(0)).unwrap_or(0);
    match timer {
        TimerType::EagerDoubleLinear => seconds(round),
        TimerType::Increasing => {
            INCREASING_START_NANOS.saturating_add(r.saturating_mul(INCREASING_STEP_NANOS))
        }
        TimerType::Linear if round <= 1 => NANOS_PER_SECOND,
        TimerType::Linear => r.saturating_mul(LINEAR_STEP_NANOS),
    }
}

/// First deadline of `round` under the eager double linear timer:
/// `genesis + slot_duration * slot + duty_start_delay + round_timeout`.
pub fn eager_double_linear_deadline_nanos(duty: Duty, round: i64, timing: ChainTiming) -> u64 {
    timing
        .genesis_time_nanos
        .saturating_add(timing.slot_duration_nanos.saturating_mul(duty.slot))
        .saturating_add(duty_start_delay_nanos(
            duty.duty_type,
            timing.slot_duration_nanos,
        ))
        .saturating_add(round_timeout_nanos(
            TimerType::EagerDoubleLinear,
            duty.duty_type,
            round,
        ))
}

/// The spec's timeouts are made for 12 s slots.
pub const SPEC_SLOT_NANOS: u64 = 12 * NANOS_PER_SECOND;
/// Per mille of the spec's timeouts that [`timeout_scale_per_mille`] never goes below.
pub const MIN_TIMEOUT_SCALE_PER_MILLE: u64 = 250;

/// A timeout scale for slots of `slot_duration_nanos`: in proportion to 12 s slots (1000 ‰ at
/// 12 s and longer), at least [`MIN_TIMEOUT_SCALE_PER_MILLE`]. Not the spec: a cluster whose
/// nodes all run Mosaic may opt in on short-slot devnets, where the spec's 1 s round-1 timeout
/// outlasts the part of the slot a duty has.
pub fn timeout_scale_per_mille(slot_duration_nanos: u64) -> u64 {
    (slot_duration_nanos.saturating_mul(1000) / SPEC_SLOT_NANOS)
        .clamp(MIN_TIMEOUT_SCALE_PER_MILLE, 1000)
}

fn scaled(nanos: u64, per_mille: u64) -> u64 {
    nanos.saturating_mul(per_mille) / 1000
}

/// A round timer for one consensus instance.
#[derive(Debug, Clone)]
pub struct RoundTimer {
    timer: TimerType,
    duty: Duty,
    timing: Option<ChainTiming>,
    /// Per mille of the spec's timeouts (1000: the spec).
    scale_per_mille: u64,
    first_deadlines: BTreeMap<i64, u64>,
}

impl RoundTimer {
    /// Creates a timer. `timing` makes eager deadlines deterministic and aligned
    /// across the cluster; without it they fall back to the local clock.
    pub fn new(timer: TimerType, duty: Duty, timing: Option<ChainTiming>) -> Self {
        Self {
            timer,
            duty,
            timing,
            scale_per_mille: 1000,
            first_deadlines: BTreeMap::new(),
        }
    }

    /// The same timer with every timeout (not the duty start delays) at `per_mille` ‰ of the
    /// spec's (see [`timeout_scale_per_mille`]); 1000 is the spec.
    pub fn scaled(mut self, per_mille: u64) -> Self {
        self.scale_per_mille = per_mille.max(1);
        self
    }

    /// The strategy.
    pub fn timer_type(&self) -> TimerType {
        self.timer
    }

    /// Whether the timer starts before the proposal value is known.
    pub fn is_eager(&self) -> bool {
        self.timer == TimerType::EagerDoubleLinear
    }

    /// Arms the timer for `round` at local time `now_nanos` and returns the
    /// absolute deadline. A deadline may already be in the past (a late node
    /// times out at once, by design). Re-arming the eager timer in the same
    /// round extends its first deadline by one timeout ("double").
    pub fn arm(&mut self, round: i64, now_nanos: u64) -> u64 {
        let spec_timeout = round_timeout_nanos(self.timer, self.duty.duty_type, round);
        let timeout = scaled(spec_timeout, self.scale_per_mille);
        if self.timer != TimerType::EagerDoubleLinear {
            return now_nanos.saturating_add(timeout);
        }
        if let Some(first) = self.first_deadlines.get(&round) {
            return first.saturating_add(timeout);
        }
        let deadline = match self.timing {
            Some(timing) => eager_double_linear_deadline_nanos(self.duty, round, timing)
                .saturating_sub(spec_timeout)
                .saturating_add(timeout),
            None => now_nanos.saturating_add(timeout),
        };
        self.first_deadlines.insert(round, deadline);
        deadline
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = NANOS_PER_SECOND;

    #[test]
    fn the_scale_follows_the_slot_between_a_quarter_and_the_spec() {
        assert_eq!(timeout_scale_per_mille(12 * S), 1000);
        assert_eq!(timeout_scale_per_mille(24 * S), 1000);
        assert_eq!(timeout_scale_per_mille(6 * S), 500);
        assert_eq!(timeout_scale_per_mille(4 * S), 333);
        assert_eq!(timeout_scale_per_mille(2 * S), 250);
        assert_eq!(timeout_scale_per_mille(S / 2), 250);
    }

    #[test]
    fn a_scaled_timer_shortens_timeouts_but_not_the_duty_start() {
        let timing = ChainTiming {
            genesis_time_nanos: 1_000 * S,
            slot_duration_nanos: 2 * S,
        };
        let attester = Duty {
            slot: 10,
            duty_type: DutyType::Attester,
        };
        let start = 1_000 * S + 20 * S + 2 * S / 3;
        let mut spec = RoundTimer::new(TimerType::EagerDoubleLinear, attester, Some(timing));
        let mut quarter =
            RoundTimer::new(TimerType::EagerDoubleLinear, attester, Some(timing)).scaled(250);
        assert_eq!(spec.arm(1, 0), start + S);
        assert_eq!(quarter.arm(1, 0), start + S / 4);
        assert_eq!(quarter.arm(2, 0), start + S / 2);
        // Re-armed in the same round: one more (scaled) timeout.
        assert_eq!(quarter.arm(2, 0), start + S);
        // A proposal's first round: 1.5 s, scaled.
        let proposer = Duty {
            slot: 10,
            duty_type: DutyType::Proposer,
        };
        let mut timer =
            RoundTimer::new(TimerType::EagerDoubleLinear, proposer, Some(timing)).scaled(250);
        assert_eq!(timer.arm(1, 0), 1_020 * S + 375_000_000);
        // Local-clock strategies scale too; 1000 ‰ is the spec.
        let mut linear = RoundTimer::new(TimerType::Linear, attester, None).scaled(500);
        assert_eq!(linear.arm(1, 7), 7 + S / 2);
        let mut same = RoundTimer::new(TimerType::Linear, attester, None).scaled(1000);
        assert_eq!(same.arm(3, 7), 7 + 600_000_000);
    }

    #[test]
    fn increasing_and_linear_timeouts() {
        assert_eq!(
            round_timeout_nanos(TimerType::Increasing, DutyType::Attester, 1),
            S
        );
        assert_eq!(
            round_timeout_nanos(TimerType::Increasing, DutyType::Attester, 2),
            1_250_000_000
        );
        assert_eq!(
            round_timeout_nanos(TimerType::Increasing, DutyType::Proposer, 1),
            1_500_000_000
        );
        assert_eq!(
            round_timeout_nanos(TimerType::Increasing, DutyType::Proposer, 2),
            1_250_000_000
        );
        assert_eq!(
            round_timeout_nanos(TimerType::Linear, DutyType::Attester, 1),
            S
        );
        assert_eq!(
            round_timeout_nanos(TimerType::Linear, DutyType::Attester, 2),
            400_000_000
        );
        assert_eq!(
            round_timeout_nanos(TimerType::Linear, DutyType::Attester, 5),
            S
        );
        assert_eq!(
            round_timeout_nanos(TimerType::Linear, DutyType::Proposer, 1),
            1_500_000_000
        );
        assert_eq!(
            round_timeout_nanos(TimerType::EagerDoubleLinear, DutyType::Attester, 3),
            3 * S
        );
    }

    #[test]
    fn relative_timers_use_now() {
        let duty = Duty::new(5, DutyType::Attester);
        let mut t = RoundTimer::new(TimerType::Linear, duty, None);
        assert_eq!(t.arm(1, 100), 100 + S);
        assert_eq!(t.arm(1, 200), 200 + S);
        assert!(!t.is_eager());
    }

    #[test]
    fn eager_rearm_doubles_and_falls_back_to_local_clock() {
        let duty = Duty::new(1, DutyType::Attester);
        let timing = ChainTiming {
            genesis_time_nanos: 1000,
            slot_duration_nanos: 12 * S,
        };
        let mut t = RoundTimer::new(TimerType::EagerDoubleLinear, duty, Some(timing));
        let first = t.arm(2, 0);
        assert_eq!(first, 1000 + 12 * S + 4 * S + 2 * S);
        assert_eq!(t.arm(2, 999_999), first + 2 * S);
        let mut local = RoundTimer::new(TimerType::EagerDoubleLinear, duty, None);
        assert_eq!(local.arm(1, 50), 50 + S);
        assert_eq!(local.arm(1, 70), 50 + 2 * S);
        assert!(local.is_eager());
    }
}
