//! The error type of `mosaic-types`.

/// Everything that can go wrong in `mosaic-types`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A hex string had the wrong number of digits for its type.
    #[error("{type_name}: expected {expected} bytes ({} hex digits), got {actual_digits} hex digits", 2 * expected)]
    HexLength {
        /// The consensus-spec name of the type being parsed.
        type_name: &'static str,
        /// Expected length in bytes.
        expected: usize,
        /// Number of hex digits given (after any `0x` prefix).
        actual_digits: usize,
    },
    /// A hex string had a character that is not a hex digit.
    #[error("{type_name}: invalid hex: {reason}")]
    Hex {
        /// The consensus-spec name of the type being parsed.
        type_name: &'static str,
        /// What the hex decoder reported.
        reason: String,
    },
    /// A byte slice had the wrong length for its type.
    #[error("{type_name}: expected {expected} bytes, got {actual}")]
    ByteLength {
        /// The consensus-spec name of the type being built.
        type_name: &'static str,
        /// Expected length in bytes.
        expected: usize,
        /// Length given.
        actual: usize,
    },
    /// A network name that no preset has.
    #[error("unknown network {name:?}; known networks: {known}")]
    UnknownNetwork {
        /// The name asked for.
        name: String,
        /// Comma-separated list of the known names.
        known: String,
    },
    /// A genesis fork version that no preset has.
    #[error("no known network has genesis fork version {version}; known: {known}")]
    UnknownForkVersion {
        /// The fork version asked for, as `0x` hex.
        version: String,
        /// Known `name=version` pairs.
        known: String,
    },
    /// A time before the first Ephemery iteration Mosaic supports.
    #[error("ephemery: time {unix_time} is before the first supported iteration start {first_supported}")]
    EphemeryTimeTooEarly {
        /// The unix time asked for.
        unix_time: u64,
        /// The earliest supported unix time.
        first_supported: u64,
    },
    /// An Ephemery iteration number before the first one Mosaic supports.
    #[error(
        "ephemery: iteration {iteration} is before the first supported iteration {first_supported}"
    )]
    EphemeryIterationTooEarly {
        /// The iteration asked for.
        iteration: u64,
        /// The first supported iteration.
        first_supported: u64,
    },
    /// Ephemery times or chain ids past what `u64` holds.
    #[error("ephemery: iteration {iteration} overflows u64 time or chain id")]
    EphemeryOverflow {
        /// The iteration whose values overflow.
        iteration: u64,
    },
    /// The system clock is before the unix epoch.
    #[error("system clock is before 1970-01-01")]
    ClockBeforeUnixEpoch,
    /// An ether amount too large to express in gwei.
    #[error("{eth} ETH does not fit in a u64 number of gwei")]
    AmountOverflow {
        /// The ether amount asked for.
        eth: u64,
    },
}
