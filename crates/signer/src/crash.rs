//! Test-only crash injection (feature `crash-injection`): abort the process at a named step of a
//! signing, to prove that a restart never signs anything slashable.
//!
//! The plan comes from the environment variable [`CRASH_AT_ENV`], read once, as
//! `<step>:<n>` — abort (`std::process::abort`, as abrupt as `kill -9` for the files involved)
//! the `n`-th time this process reaches `<step>`. Without the variable nothing happens. The
//! feature is off in every normal build, so the variable means nothing to a production binary.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// The environment variable holding the crash plan, `<step>:<n>` (for example `after-record:3`).
pub const CRASH_AT_ENV: &str = "MOSAIC_SIGNER_CRASH_AT";

/// A step of one signing, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrashStep {
    /// The guard was asked; nothing is recorded yet.
    BeforeRecord,
    /// The record is committed; nothing is signed yet.
    AfterRecord,
    /// The signature exists; it has not left the process.
    AfterSign,
    /// The signature was submitted (left the process).
    AfterSubmit,
}

impl CrashStep {
    /// Every step, in signing order.
    pub const ALL: [CrashStep; 4] = [
        CrashStep::BeforeRecord,
        CrashStep::AfterRecord,
        CrashStep::AfterSign,
        CrashStep::AfterSubmit,
    ];

    /// The step's name in [`CRASH_AT_ENV`].
    pub fn name(self) -> &'static str {
        match self {
            CrashStep::BeforeRecord => "before-record",
            CrashStep::AfterRecord => "after-record",
            CrashStep::AfterSign => "after-sign",
            CrashStep::AfterSubmit => "after-submit",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|step| step.name() == name)
    }

    fn position(self) -> usize {
        self as usize
    }
}

static PLAN: OnceLock<Option<(CrashStep, u64)>> = OnceLock::new();
static REACHED: [AtomicU64; 4] = [
    AtomicU64::new(0),
    AtomicU64::new(0),
    AtomicU64::new(0),
    AtomicU64::new(0),
];

fn plan() -> Option<(CrashStep, u64)> {
    *PLAN.get_or_init(|| {
        let text = std::env::var(CRASH_AT_ENV).ok()?;
        Some(parse_plan(&text).unwrap_or_else(|| {
            panic!("{CRASH_AT_ENV}={text:?}: expected <step>:<n> with step one of before-record, after-record, after-sign, after-submit and n >= 1")
        }))
    })
}

fn parse_plan(text: &str) -> Option<(CrashStep, u64)> {
    let (step, n) = text.split_once(':')?;
    let n: u64 = n.parse().ok().filter(|n| *n >= 1)?;
    Some((CrashStep::from_name(step)?, n))
}

/// Marks that this process reached `step`; aborts if the plan says this is the moment.
pub fn point(step: CrashStep) {
    let Some((planned, n)) = plan() else {
        return;
    };
    let reached = REACHED[step.position()].fetch_add(1, Ordering::SeqCst) + 1;
    if planned == step && reached == n {
        eprintln!("crash injection: aborting at {} #{n}", step.name());
        std::process::abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_parse_and_bad_ones_do_not() {
        assert_eq!(
            parse_plan("after-record:3"),
            Some((CrashStep::AfterRecord, 3))
        );
        assert_eq!(
            parse_plan("before-record:1"),
            Some((CrashStep::BeforeRecord, 1))
        );
        assert_eq!(parse_plan("after-record:0"), None);
        assert_eq!(parse_plan("after-lunch:1"), None);
        assert_eq!(parse_plan("after-sign"), None);
        for step in CrashStep::ALL {
            assert_eq!(CrashStep::from_name(step.name()), Some(step));
        }
    }
}
