//! The validator client's settings.

use mosaic_beacon::ClientConfig;
use mosaic_crypto::bls::SecretKey;
use mosaic_types::ExecutionAddress;

/// Default execution gas limit registered with builders.
pub const DEFAULT_GAS_LIMIT: u64 = 36_000_000;

/// How to run a [`crate::ValidatorClient`].
#[derive(Debug)]
pub struct VcConfig {
    /// Beacon API base URLs, in order of preference (a Mosaic node's validator API in
    /// production).
    pub beacon_urls: Vec<String>,
    /// The validators' secret keys (key shares behind a distributed-validator node).
    pub keys: Vec<SecretKey>,
    /// Fee recipient for proposals (`prepare_beacon_proposer`, builder registrations).
    pub fee_recipient: ExecutionAddress,
    /// Gas limit of builder registrations.
    pub gas_limit: u64,
    /// Whether to use the builder network: send signed validator registrations each epoch and
    /// let the beacon node choose blinded blocks.
    pub builder: bool,
    /// Graffiti of proposed blocks (the beacon node's default if `None`).
    pub graffiti: Option<[u8; 32]>,
    /// Beacon client settings (timeouts, fallback, encoding).
    pub client_config: ClientConfig,
    /// Which duties this client performs.
    pub duties: DutySelection,
}

/// Which duties a validator client performs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DutySelection {
    /// Every duty.
    #[default]
    All,
    /// Only attestation aggregation and sync committee contributions (with their selection
    /// proofs), beside another validator client that performs the rest but cannot aggregate
    /// for a distributed validator: one without distributed mode computes its selection proofs
    /// alone, with its key share, and such proofs never combine. Attestation data and the head
    /// root are still fetched, as the aggregation needs them; nothing else is signed, and no
    /// proposer preparation or builder registration is sent.
    AggregationOnly,
}

impl DutySelection {
    /// Whether attestations, blocks and sync committee messages are signed.
    pub fn signs_own_duties(self) -> bool {
        self == Self::All
    }
}

impl VcConfig {
    /// A configuration for `keys` against `beacon_urls` with defaults for the rest: zero fee
    /// recipient, [`DEFAULT_GAS_LIMIT`], no builder, the node's graffiti.
    pub fn new(beacon_urls: Vec<String>, keys: Vec<SecretKey>) -> Self {
        Self {
            beacon_urls,
            keys,
            fee_recipient: ExecutionAddress::default(),
            gas_limit: DEFAULT_GAS_LIMIT,
            builder: false,
            graffiti: None,
            client_config: ClientConfig::default(),
            duties: DutySelection::All,
        }
    }
}
