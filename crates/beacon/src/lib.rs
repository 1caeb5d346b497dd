//! The typed Ethereum beacon API client every Mosaic node uses: the endpoints a validator
//! client calls (`ethereum/beacon-APIs`), over one or more beacon nodes with fallback,
//! per-endpoint-class timeouts, an optional broadcast of submissions to every node, JSON and
//! SSZ blocks with `Eth-Consensus-Version`, and the event stream.
//!
//! Containers come from [`mosaic_types::consensus`]; the client is generic over their
//! [`Preset`](mosaic_types::consensus::Preset). Errors name the endpoint (method and path
//! template), the beacon node (URL without credentials), the HTTP status and the node's message.
//!
//! ```no_run
//! # async fn example() -> Result<(), mosaic_beacon::Error> {
//! use mosaic_beacon::{BeaconClient, ClientConfig};
//! use mosaic_types::consensus::Mainnet;
//!
//! let client = BeaconClient::<Mainnet>::new(
//!     ["http://127.0.0.1:5052", "http://backup:5052"],
//!     ClientConfig::default(),
//! )?;
//! let genesis = client.genesis().await?;
//! let duties = client.attester_duties(10, &[1, 2, 3]).await?;
//! # let _ = (genesis, duties);
//! # Ok(())
//! # }
//! ```

mod api;
mod client;
mod config;
pub mod endpoint;
mod error;
mod events;
mod ids;
mod node;
mod spec;
mod types;

pub use client::BeaconClient;
pub use config::{ClientConfig, Encoding, SubmitPolicy, Timeouts, DEFAULT_POOL_IDLE_TIMEOUT};
pub use endpoint::{Endpoint, EndpointClass, Method};
pub use error::{Error, IndexedFailure};
pub use events::{
    BlockEvent, ChainReorgEvent, Event, EventStream, EventTopic, HeadEvent, SseMessage, SseParser,
};
pub use ids::{BlockId, StateId, ValidatorId};
pub use spec::{ChainConfig, SpecError};
pub use types::{
    AttesterDuty, BeaconCommitteeSelection, BeaconCommitteeSubscription, BlockHeaderData,
    BroadcastValidation, DutiesResponse, FinalityCheckpoints, Genesis, NodeHealth, PeerCount,
    ProduceBlockRequest, ProducedBlockResponse, ProposerDuty, ProposerPreparation, RootData,
    StateResponse, SyncCommitteeSelection, SyncCommitteeSubscription, SyncDutiesResponse, SyncDuty,
    SyncStatus, Validator, ValidatorData, ValidatorLiveness, ValidatorStatus,
};
