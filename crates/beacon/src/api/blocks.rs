//! Block production (v3, v2 and blinded v1) and publication (v2 and v1, full and blinded), in
//! JSON or SSZ.

use mosaic_types::consensus::primitives::Uint256;
use mosaic_types::consensus::versioned::{parse_fork_name, ProducedBlock, PublishedBlock};
use mosaic_types::consensus::Preset;
use mosaic_types::{ForkName, Slot};
use serde::Deserialize;

use crate::client::{BeaconClient, Body, Query, Request, Response, CONSENSUS_VERSION};
use crate::config::Encoding;
use crate::endpoint::{self, Endpoint};
use crate::error::Error;
use crate::types::{BroadcastValidation, ProduceBlockRequest, ProducedBlockResponse};

/// `Eth-Execution-Payload-Blinded` response header.
const PAYLOAD_BLINDED: &str = "Eth-Execution-Payload-Blinded";
/// `Eth-Execution-Payload-Value` response header.
const PAYLOAD_VALUE: &str = "Eth-Execution-Payload-Value";
/// `Eth-Consensus-Block-Value` response header.
const BLOCK_VALUE: &str = "Eth-Consensus-Block-Value";

/// The v3 JSON answer.
#[derive(Deserialize)]
struct ProduceV3Json {
    version: ForkName,
    execution_payload_blinded: Option<bool>,
    execution_payload_value: Option<Uint256>,
    consensus_block_value: Option<Uint256>,
    data: serde_json::Value,
}

/// The v2 and blinded v1 JSON answer.
#[derive(Deserialize)]
struct VersionedJson {
    version: ForkName,
    data: serde_json::Value,
}

fn header_fork(response: &Response) -> Result<ForkName, String> {
    let text = response
        .header(CONSENSUS_VERSION)
        .ok_or_else(|| format!("SSZ answer without the {CONSENSUS_VERSION} header"))?;
    parse_fork_name(text).map_err(|error| format!("{CONSENSUS_VERSION}: {error}"))
}

fn header_bool(response: &Response, name: &str) -> Result<Option<bool>, String> {
    match response.header(name).map(str::trim) {
        None => Ok(None),
        Some(text) if text.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(text) if text.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(text) => Err(format!("{name}: {text:?} is not true or false")),
    }
}

fn header_value(response: &Response, name: &str) -> Result<Option<Uint256>, String> {
    response
        .header(name)
        .map(|text| Uint256::from_dec_str(text.trim()).map_err(|error| format!("{name}: {error}")))
        .transpose()
}

fn produce_query(request: &ProduceBlockRequest, with_boost: bool) -> Query {
    let mut query = Query::default();
    query.push("randao_reveal", request.randao_reveal.to_hex());
    if let Some(graffiti) = request.graffiti {
        query.push("graffiti", graffiti.to_hex());
    }
    if request.skip_randao_verification {
        query.flag("skip_randao_verification");
    }
    if let (true, Some(factor)) = (with_boost, request.builder_boost_factor) {
        query.push("builder_boost_factor", factor);
    }
    query
}

impl<P: Preset> BeaconClient<P> {
    fn production_request(&self, endpoint: Endpoint, slot: Slot, query: Query) -> Request {
        let request = Request::with_param(endpoint, slot).query(query);
        match self.config().block_encoding {
            Encoding::Json => request,
            Encoding::Ssz => request.accept_ssz(),
        }
    }

    /// `GET /eth/v3/validator/blocks/{slot}`: a full or blinded block, whichever the node
    /// chose, with its value. Asks for SSZ if [`crate::ClientConfig::block_encoding`] says so
    /// and decodes whatever the node sent (by `Content-Type`).
    pub async fn produce_block(
        &self,
        request: &ProduceBlockRequest,
    ) -> Result<ProducedBlockResponse<P>, Error> {
        let http = self.production_request(
            endpoint::PRODUCE_BLOCK_V3,
            request.slot,
            produce_query(request, true),
        );
        self.call(&http, |response| {
            let header_blinded = header_bool(response, PAYLOAD_BLINDED)?;
            let header_payload_value = header_value(response, PAYLOAD_VALUE)?;
            let header_block_value = header_value(response, BLOCK_VALUE)?;
            if response.is_ssz() {
                let fork = header_fork(response)?;
                let blinded = header_blinded
                    .ok_or_else(|| format!("SSZ answer without the {PAYLOAD_BLINDED} header"))?;
                let block = ProducedBlock::from_ssz_at(&response.body, fork, blinded)
                    .map_err(|error| error.to_string())?;
                return Ok(ProducedBlockResponse {
                    block,
                    fork,
                    blinded,
                    execution_payload_value: header_payload_value,
                    consensus_block_value: header_block_value,
                    encoding: Encoding::Ssz,
                });
            }
            let answer: ProduceV3Json = response.json()?;
            let blinded = answer
                .execution_payload_blinded
                .or(header_blinded)
                .ok_or("neither execution_payload_blinded nor its header")?;
            let block = ProducedBlock::from_json_at(answer.data, answer.version, blinded)
                .map_err(|error| error.to_string())?;
            Ok(ProducedBlockResponse {
                block,
                fork: answer.version,
                blinded,
                execution_payload_value: answer.execution_payload_value.or(header_payload_value),
                consensus_block_value: answer.consensus_block_value.or(header_block_value),
                encoding: Encoding::Json,
            })
        })
        .await
    }

    /// A block by the newest production endpoint the beacon node serves: v3
    /// ([`BeaconClient::produce_block`]); if the node does not serve v3 (404/405, as nodes from
    /// before 2024 answer), `GET /eth/v1/validator/blinded_blocks/{slot}` when `blinded` (the
    /// builder API is on) or else `GET /eth/v2/validator/blocks/{slot}`.
    pub async fn produce_block_any_version(
        &self,
        request: &ProduceBlockRequest,
        blinded: bool,
    ) -> Result<ProducedBlockResponse<P>, Error> {
        match self.produce_block(request).await {
            Err(error) if error.is_unsupported_route() => {
                if blinded {
                    self.produce_blinded_block(request).await
                } else {
                    self.produce_block_v2(request).await
                }
            }
            other => other,
        }
    }

    /// `GET /eth/v2/validator/blocks/{slot}`: a block with the full payload (block contents
    /// from deneb on).
    pub async fn produce_block_v2(
        &self,
        request: &ProduceBlockRequest,
    ) -> Result<ProducedBlockResponse<P>, Error> {
        self.produce_versioned(endpoint::PRODUCE_BLOCK_V2, request, false)
            .await
    }

    /// `GET /eth/v1/validator/blinded_blocks/{slot}`: a blinded block.
    pub async fn produce_blinded_block(
        &self,
        request: &ProduceBlockRequest,
    ) -> Result<ProducedBlockResponse<P>, Error> {
        self.produce_versioned(endpoint::PRODUCE_BLINDED_BLOCK, request, true)
            .await
    }

    async fn produce_versioned(
        &self,
        endpoint: Endpoint,
        request: &ProduceBlockRequest,
        blinded: bool,
    ) -> Result<ProducedBlockResponse<P>, Error> {
        let http = self.production_request(endpoint, request.slot, produce_query(request, false));
        self.call(&http, |response| {
            let (block, fork, encoding) = if response.is_ssz() {
                let fork = header_fork(response)?;
                let block = ProducedBlock::from_ssz_at(&response.body, fork, blinded)
                    .map_err(|error| error.to_string())?;
                (block, fork, Encoding::Ssz)
            } else {
                let answer: VersionedJson = response.json()?;
                let block = ProducedBlock::from_json_at(answer.data, answer.version, blinded)
                    .map_err(|error| error.to_string())?;
                (block, answer.version, Encoding::Json)
            };
            Ok(ProducedBlockResponse {
                block,
                fork,
                blinded,
                execution_payload_value: None,
                consensus_block_value: None,
                encoding,
            })
        })
        .await
    }

    /// `POST /eth/v2/beacon/blocks` or `/eth/v2/beacon/blinded_blocks` (by the block's kind),
    /// with `Eth-Consensus-Version`, in [`crate::ClientConfig::block_encoding`], following the
    /// submit policy.
    pub async fn publish_block(
        &self,
        block: &PublishedBlock<P>,
        validation: Option<BroadcastValidation>,
    ) -> Result<(), Error> {
        let endpoint = if block.is_blinded() {
            endpoint::PUBLISH_BLINDED_BLOCK_V2
        } else {
            endpoint::PUBLISH_BLOCK_V2
        };
        let body = match self.config().block_encoding {
            Encoding::Json => Body::json(endpoint, block)?,
            Encoding::Ssz => Body::ssz(block.to_ssz()),
        };
        let mut query = Query::default();
        if let Some(validation) = validation {
            query.push("broadcast_validation", validation.as_str());
        }
        let request = Request::new(endpoint)
            .query(query)
            .body(body)
            .consensus_version(block.fork_name());
        self.submit(&request).await
    }

    /// [`BeaconClient::publish_block`], or [`BeaconClient::publish_block_v1`] if the node does
    /// not serve v2 (404/405: nodes from before 2023).
    pub async fn publish_block_any_version(
        &self,
        block: &PublishedBlock<P>,
        validation: Option<BroadcastValidation>,
    ) -> Result<(), Error> {
        match self.publish_block(block, validation).await {
            Err(error) if error.is_unsupported_route() => self.publish_block_v1(block).await,
            other => other,
        }
    }

    /// `POST /eth/v1/beacon/blocks` or `/eth/v1/beacon/blinded_blocks` (JSON), for nodes
    /// without v2.
    pub async fn publish_block_v1(&self, block: &PublishedBlock<P>) -> Result<(), Error> {
        let endpoint = if block.is_blinded() {
            endpoint::PUBLISH_BLINDED_BLOCK_V1
        } else {
            endpoint::PUBLISH_BLOCK_V1
        };
        let request = Request::new(endpoint)
            .body(Body::json(endpoint, block)?)
            .consensus_version(block.fork_name());
        self.submit(&request).await
    }
}
