//! Conformance: `obol-dv-spec/timer_deadlines.json` (eager double linear first deadlines).

use mosaic_qbft::timer::{
    duty_start_delay_nanos, eager_double_linear_deadline_nanos, round_timeout_nanos, ChainTiming,
    RoundTimer, TimerType,
};
use mosaic_qbft::{Duty, DutyType};

#[test]
fn every_case() {
    let Some(suite) = mosaic_test_vectors::load_json("obol-dv-spec/timer_deadlines.json") else {
        return;
    };
    let cases = suite["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 216);
    for case in cases {
        let name = case["name"].as_str().expect("name");
        let input = &case["input"];
        let field = |k: &str| input[k].as_u64().unwrap_or_else(|| panic!("{name}: {k}"));
        let duty_type = DutyType::from_wire(i32::try_from(field("duty_type")).expect("i32"))
            .expect("valid type");
        let duty = Duty::new(field("slot"), duty_type);
        let round = i64::try_from(field("round")).expect("round");
        let timing = ChainTiming {
            genesis_time_nanos: field("genesis_time_nanos"),
            slot_duration_nanos: field("slot_duration_nanos"),
        };
        let expect = |k: &str| case[k].as_u64().unwrap_or_else(|| panic!("{name}: {k}"));
        assert_eq!(
            duty_start_delay_nanos(duty_type, timing.slot_duration_nanos),
            expect("duty_start_delay_nanos"),
            "{name}: start delay"
        );
        assert_eq!(
            round_timeout_nanos(TimerType::EagerDoubleLinear, duty_type, round),
            expect("round_timeout_nanos"),
            "{name}: timeout"
        );
        assert_eq!(
            eager_double_linear_deadline_nanos(duty, round, timing),
            expect("deadline_nanos"),
            "{name}"
        );
        // The stateful timer's first arming gives the same deadline whatever the local clock says.
        let mut timer = RoundTimer::new(TimerType::EagerDoubleLinear, duty, Some(timing));
        assert_eq!(
            timer.arm(round, 42),
            expect("deadline_nanos"),
            "{name}: RoundTimer"
        );
    }
}
