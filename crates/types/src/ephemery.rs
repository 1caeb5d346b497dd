//! Ephemery: a testnet that resets to a fresh genesis every 28 days.
//!
//! Iteration `i = floor((t − 1393527600) / 2419200)` (valid from `t = 1720119600`, iteration
//! 135), execution genesis `1393527600 + i·2419200`, beacon genesis 600 s later, chain id
//! `39438000 + i`. Fork versions never change; the genesis validators root does
//! (from `ephemery-testnet/ephemery-genesis` `values.env`).

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::bytes::Version;
use crate::network::Network;
use crate::Error;

/// Execution genesis time of iteration 0 (a reference point, never a live chain).
pub const ITERATION_ZERO_TIME: u64 = 1_393_527_600;
/// Seconds between resets (28 days).
pub const RESET_PERIOD: u64 = 2_419_200;
/// Seconds from execution genesis to beacon genesis (`GENESIS_DELAY`).
pub const BEACON_GENESIS_DELAY: u64 = 600;
/// Chain id of iteration 0; iteration `i` has `CHAIN_ID_BASE + i`.
pub const CHAIN_ID_BASE: u64 = 39_438_000;
/// The earliest time Mosaic supports: the start of iteration [`FIRST_SUPPORTED_ITERATION`].
pub const FIRST_SUPPORTED_TIME: u64 = 1_720_119_600;
/// The first iteration Mosaic supports.
pub const FIRST_SUPPORTED_ITERATION: u64 =
    (FIRST_SUPPORTED_TIME - ITERATION_ZERO_TIME) / RESET_PERIOD;

/// `GENESIS_FORK_VERSION`.
pub const GENESIS_FORK_VERSION: Version = Version([0x10, 0x00, 0x10, 0x1b]);
/// `ALTAIR_FORK_VERSION`.
pub const ALTAIR_FORK_VERSION: Version = Version([0x20, 0x00, 0x10, 0x1b]);
/// `BELLATRIX_FORK_VERSION`.
pub const BELLATRIX_FORK_VERSION: Version = Version([0x30, 0x00, 0x10, 0x1b]);
/// `CAPELLA_FORK_VERSION`.
pub const CAPELLA_FORK_VERSION: Version = Version([0x40, 0x00, 0x10, 0x1b]);
/// `DENEB_FORK_VERSION`.
pub const DENEB_FORK_VERSION: Version = Version([0x50, 0x00, 0x10, 0x1b]);
/// `ELECTRA_FORK_VERSION`.
pub const ELECTRA_FORK_VERSION: Version = Version([0x60, 0x00, 0x10, 0x1b]);
/// `FULU_FORK_VERSION`.
pub const FULU_FORK_VERSION: Version = Version([0x70, 0x00, 0x10, 0x1b]);

/// One Ephemery iteration (one chain between two resets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Iteration {
    /// Iteration number.
    pub iteration: u64,
    /// Execution chain id, `39438000 + iteration`.
    pub chain_id: u64,
    /// Execution genesis time (unix seconds); the iteration starts here.
    pub execution_genesis_time: u64,
    /// Beacon genesis time (unix seconds), 600 s after execution genesis.
    pub beacon_genesis_time: u64,
    /// When this iteration ends and the next one's execution genesis happens.
    pub next_reset_time: u64,
}

impl Iteration {
    /// The iteration running at `unix_time`; an error before [`FIRST_SUPPORTED_TIME`].
    pub fn at(unix_time: u64) -> Result<Self, Error> {
        if unix_time < FIRST_SUPPORTED_TIME {
            return Err(Error::EphemeryTimeTooEarly {
                unix_time,
                first_supported: FIRST_SUPPORTED_TIME,
            });
        }
        Self::number((unix_time - ITERATION_ZERO_TIME) / RESET_PERIOD)
    }

    /// The iteration running now, by the system clock.
    pub fn current() -> Result<Self, Error> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|_| Error::ClockBeforeUnixEpoch)?;
        Self::at(now.as_secs())
    }

    /// Iteration number `iteration`; an error before [`FIRST_SUPPORTED_ITERATION`] or when its
    /// times or chain id overflow `u64`.
    pub fn number(iteration: u64) -> Result<Self, Error> {
        if iteration < FIRST_SUPPORTED_ITERATION {
            return Err(Error::EphemeryIterationTooEarly {
                iteration,
                first_supported: FIRST_SUPPORTED_ITERATION,
            });
        }
        let start_of = |i: u64| {
            i.checked_mul(RESET_PERIOD)
                .and_then(|offset| offset.checked_add(ITERATION_ZERO_TIME))
        };
        let overflow = Error::EphemeryOverflow { iteration };
        let execution_genesis_time = start_of(iteration).ok_or_else(|| overflow.clone())?;
        let next_reset_time = iteration
            .checked_add(1)
            .and_then(start_of)
            .ok_or_else(|| overflow.clone())?;
        let beacon_genesis_time = execution_genesis_time
            .checked_add(BEACON_GENESIS_DELAY)
            .ok_or_else(|| overflow.clone())?;
        let chain_id = CHAIN_ID_BASE.checked_add(iteration).ok_or(overflow)?;
        Ok(Self {
            iteration,
            chain_id,
            execution_genesis_time,
            beacon_genesis_time,
            next_reset_time,
        })
    }

    /// The iteration after this one.
    pub fn next(&self) -> Result<Self, Error> {
        let following = self
            .iteration
            .checked_add(1)
            .ok_or(Error::EphemeryOverflow {
                iteration: self.iteration,
            })?;
        Self::number(following)
    }

    /// This iteration's network parameters.
    pub fn network(&self) -> Network {
        Network::ephemery(self)
    }
}

/// Multi-line summary for the CLI.
impl fmt::Display for Iteration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "ephemery iteration {}", self.iteration)?;
        writeln!(f, "  chain id:               {}", self.chain_id)?;
        writeln!(
            f,
            "  execution genesis time: {}",
            self.execution_genesis_time
        )?;
        writeln!(f, "  beacon genesis time:    {}", self.beacon_genesis_time)?;
        writeln!(f, "  next reset time:        {}", self.next_reset_time)?;
        write!(f, "  genesis fork version:   {GENESIS_FORK_VERSION}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_supported_iteration_is_135() {
        assert_eq!(FIRST_SUPPORTED_ITERATION, 135);
    }

    #[test]
    fn at_first_supported_time_exactly() {
        let iteration = Iteration::at(1_720_119_600).unwrap();
        // ephemery-genesis values.env for this iteration: ITERATION_NUMBER=135,
        // CHAIN_ID=39438135, GENESIS_TIMESTAMP=1720119600.
        assert_eq!(
            iteration,
            Iteration {
                iteration: 135,
                chain_id: 39_438_135,
                execution_genesis_time: 1_720_119_600,
                beacon_genesis_time: 1_720_120_200,
                next_reset_time: 1_722_538_800,
            }
        );
    }

    #[test]
    fn one_second_before_first_supported_time_is_an_error() {
        assert_eq!(
            Iteration::at(1_720_119_599),
            Err(Error::EphemeryTimeTooEarly {
                unix_time: 1_720_119_599,
                first_supported: 1_720_119_600
            })
        );
        assert!(Iteration::at(0).is_err());
    }

    #[test]
    fn reset_boundary() {
        let reset = 1_720_119_600 + RESET_PERIOD;
        assert_eq!(Iteration::at(reset - 1).unwrap().iteration, 135);
        let after = Iteration::at(reset).unwrap();
        assert_eq!(after.iteration, 136);
        assert_eq!(after.chain_id, 39_438_136);
        assert_eq!(after.execution_genesis_time, reset);
        // Between execution and beacon genesis the new iteration already applies.
        assert_eq!(
            Iteration::at(reset + BEACON_GENESIS_DELAY - 1)
                .unwrap()
                .iteration,
            136
        );
        assert_eq!(Iteration::at(reset - 1).unwrap().next_reset_time, reset);
    }

    #[test]
    fn matches_a_published_later_iteration() {
        // values.env: ITERATION_NUMBER=160, CHAIN_ID=39438160, GENESIS_TIMESTAMP=1780599600.
        let iteration = Iteration::at(1_780_599_600).unwrap();
        assert_eq!(iteration.iteration, 160);
        assert_eq!(iteration.chain_id, 39_438_160);
        assert_eq!(Iteration::number(160).unwrap(), iteration);
        assert_eq!(Iteration::number(159).unwrap().next().unwrap(), iteration);
    }

    #[test]
    fn iteration_numbers_out_of_range() {
        assert!(matches!(
            Iteration::number(134),
            Err(Error::EphemeryIterationTooEarly {
                iteration: 134,
                first_supported: 135
            })
        ));
        assert!(Iteration::number(135).is_ok());
        assert!(matches!(
            Iteration::number(u64::MAX),
            Err(Error::EphemeryOverflow { .. })
        ));
        // The last time whose next reset still fits in u64.
        let last = (u64::MAX - ITERATION_ZERO_TIME) / RESET_PERIOD - 1;
        assert!(Iteration::number(last).is_ok());
        assert!(Iteration::number(last + 1).is_err());
        assert!(Iteration::at(u64::MAX).is_err());
    }

    #[test]
    fn network_and_display() {
        let iteration = Iteration::at(1_720_119_600).unwrap();
        let network = iteration.network();
        assert_eq!(network.chain_id, 39_438_135);
        assert_eq!(network.genesis_time, 1_720_120_200);
        assert_eq!(network.genesis_fork_version, GENESIS_FORK_VERSION);
        assert_eq!(network.forks.capella.version, CAPELLA_FORK_VERSION);
        assert_eq!(network.forks.fulu.version, FULU_FORK_VERSION);
        assert_eq!(network.fork_version_at_epoch(0), FULU_FORK_VERSION);
        assert_eq!(
            [
                network.forks.altair.version,
                network.forks.bellatrix.version,
                network.forks.deneb.version,
                network.forks.electra.version
            ],
            [
                ALTAIR_FORK_VERSION,
                BELLATRIX_FORK_VERSION,
                DENEB_FORK_VERSION,
                ELECTRA_FORK_VERSION
            ]
        );
        let text = iteration.to_string();
        assert!(text.starts_with("ephemery iteration 135\n"), "{text}");
        assert!(text.contains("chain id:               39438135"), "{text}");
        assert!(text.contains("0x1000101b"), "{text}");
    }
}
