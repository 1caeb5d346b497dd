//! [`BeaconClient`]: the set of beacon nodes, the request engine with fallback and broadcast,
//! and the pieces every endpoint method uses (paths, queries, bodies, decoding).

use std::fmt::{self, Display, Write as _};
use std::io::Write as _;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::future::join_all;
use mosaic_types::consensus::Preset;
use mosaic_types::ForkName;
use reqwest::header::{HeaderMap, ACCEPT, CONTENT_TYPE};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::config::{ClientConfig, SubmitPolicy};
use crate::endpoint::{Endpoint, Method};
use crate::error::{status_error, Error};
use crate::node::Node;

/// `Content-Type`/`Accept` value for JSON.
pub(crate) const JSON: &str = "application/json";
/// `Content-Type` value for SSZ.
pub(crate) const SSZ: &str = "application/octet-stream";
/// `Accept` value preferring SSZ and accepting JSON.
pub(crate) const ACCEPT_SSZ_OR_JSON: &str = "application/octet-stream;q=1.0,application/json;q=0.9";
/// The fork header of versioned requests and responses.
pub(crate) const CONSENSUS_VERSION: &str = "Eth-Consensus-Version";

/// A typed beacon API client over one or more beacon nodes, generic over the consensus
/// [`Preset`] of the containers it decodes.
///
/// Requests go to the node that last answered successfully (the first configured node at
/// start), then to the others in configured order. A node that fails (unreachable, times out,
/// 5xx other than 501, undecodable answer) is tried only after the healthy ones for
/// [`ClientConfig::retry_failed_after`]. Cloning is cheap and clones share node health.
pub struct BeaconClient<P: Preset> {
    inner: Arc<Inner>,
    _preset: PhantomData<fn() -> P>,
}

impl<P: Preset> Clone for BeaconClient<P> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
            _preset: PhantomData,
        }
    }
}

impl<P: Preset> fmt::Debug for BeaconClient<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BeaconClient")
            .field("preset", &P::NAME)
            .field("nodes", &self.node_names())
            .field("config", &self.inner.config)
            .finish()
    }
}

struct Inner {
    nodes: Vec<Node>,
    preferred: AtomicUsize,
    http: reqwest::Client,
    config: ClientConfig,
}

/// A request body.
pub(crate) struct Body {
    bytes: Bytes,
    content_type: &'static str,
}

impl Body {
    /// A JSON body.
    pub(crate) fn json<T: Serialize + ?Sized>(
        endpoint: Endpoint,
        value: &T,
    ) -> Result<Self, Error> {
        let bytes = serde_json::to_vec(value).map_err(|error| Error::InvalidRequest {
            endpoint,
            reason: format!("cannot encode the JSON body: {error}"),
        })?;
        Ok(Self {
            bytes: bytes.into(),
            content_type: JSON,
        })
    }

    /// An SSZ body.
    pub(crate) fn ssz(bytes: Vec<u8>) -> Self {
        Self {
            bytes: bytes.into(),
            content_type: SSZ,
        }
    }

    /// A JSON list of validator indices as decimal strings, written in one allocation (the
    /// duties bodies of large clusters).
    pub(crate) fn indices(indices: &[u64]) -> Self {
        // `"18446744073709551615",` is at most 23 bytes; typical indices are far shorter.
        let mut out = Vec::with_capacity(2 + indices.len() * 10);
        out.push(b'[');
        for (i, index) in indices.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            // Writing to a Vec cannot fail.
            let _ = write!(out, "\"{index}\"");
        }
        out.push(b']');
        Self {
            bytes: out.into(),
            content_type: JSON,
        }
    }
}

/// An encoded query string (values are decimal, hex or fixed names: nothing to escape).
#[derive(Default)]
pub(crate) struct Query(String);

impl Query {
    /// `name=value`.
    pub(crate) fn push(&mut self, name: &str, value: impl Display) -> &mut Self {
        self.separator();
        let _ = write!(self.0, "{name}={value}");
        self
    }

    /// A flag without a value (`skip_randao_verification`).
    pub(crate) fn flag(&mut self, name: &str) -> &mut Self {
        self.separator();
        self.0.push_str(name);
        self
    }

    /// `name=a&name=b&name=c` (OpenAPI's default for query arrays, `form` with `explode`, which
    /// every beacon node reads; older ones, such as Lodestar 1.5, do not split `name=a,b,c`);
    /// nothing if the list is empty.
    pub(crate) fn push_list<T: Display>(&mut self, name: &str, values: &[T]) -> &mut Self {
        for value in values {
            self.push(name, value);
        }
        self
    }

    fn separator(&mut self) {
        if !self.0.is_empty() {
            self.0.push('&');
        }
    }
}

/// One request, sendable to any node.
pub(crate) struct Request {
    pub(crate) endpoint: Endpoint,
    path: String,
    query: String,
    body: Option<Body>,
    accept: &'static str,
    consensus_version: Option<ForkName>,
}

impl Request {
    /// A request to an endpoint without path parameters.
    pub(crate) fn new(endpoint: Endpoint) -> Self {
        Self {
            endpoint,
            path: endpoint.path.to_owned(),
            query: String::new(),
            body: None,
            accept: JSON,
            consensus_version: None,
        }
    }

    /// A request with the one `{...}` parameter of the path filled in.
    pub(crate) fn with_param(endpoint: Endpoint, value: impl Display) -> Self {
        let template = endpoint.path;
        let path = match (template.find('{'), template.find('}')) {
            (Some(open), Some(close)) if open < close => {
                format!("{}{value}{}", &template[..open], &template[close + 1..])
            }
            _ => template.to_owned(),
        };
        Self {
            path,
            ..Self::new(endpoint)
        }
    }

    /// Sets the query.
    pub(crate) fn query(mut self, query: Query) -> Self {
        self.query = query.0;
        self
    }

    /// Sets the body.
    pub(crate) fn body(mut self, body: Body) -> Self {
        self.body = Some(body);
        self
    }

    /// Asks for SSZ, accepting JSON.
    pub(crate) fn accept_ssz(self) -> Self {
        self.accept(ACCEPT_SSZ_OR_JSON)
    }

    /// Sets the `Accept` header (JSON unless set).
    pub(crate) fn accept(mut self, media_types: &'static str) -> Self {
        self.accept = media_types;
        self
    }

    /// Sets `Eth-Consensus-Version`.
    pub(crate) fn consensus_version(mut self, fork: ForkName) -> Self {
        self.consensus_version = Some(fork);
        self
    }
}

/// A node's success answer.
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Response {
    /// A header as text, if present and printable.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// Whether the body is SSZ (by `Content-Type`).
    pub(crate) fn is_ssz(&self) -> bool {
        self.header(CONTENT_TYPE.as_str())
            .is_some_and(|value| value.trim_start().starts_with(SSZ))
    }

    /// The body parsed as JSON.
    pub(crate) fn json<T: DeserializeOwned>(&self) -> Result<T, String> {
        serde_json::from_slice(&self.body).map_err(|error| format!("JSON body: {error}"))
    }

    /// The `data` field of a JSON body.
    pub(crate) fn data<T: DeserializeOwned>(&self) -> Result<T, String> {
        #[derive(Deserialize)]
        struct Data<T> {
            data: T,
        }
        self.json::<Data<T>>().map(|data| data.data)
    }
}

impl<P: Preset> BeaconClient<P> {
    /// A client over the given beacon node URLs (in order of preference). User-info in a URL is
    /// sent as HTTP basic auth and never shown; a URL's path is a prefix and its query is kept.
    pub fn new<I, S>(urls: I, config: ClientConfig) -> Result<Self, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let nodes = urls
            .into_iter()
            .map(|url| Node::parse(url.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        if nodes.is_empty() {
            return Err(Error::NoNodes);
        }
        let http = reqwest::Client::builder()
            .user_agent(config.user_agent.as_str())
            .pool_idle_timeout(config.pool_idle_timeout)
            .build()
            .map_err(|error| Error::HttpClient {
                reason: error.to_string(),
            })?;
        Ok(Self {
            inner: Arc::new(Inner {
                nodes,
                preferred: AtomicUsize::new(0),
                http,
                config,
            }),
            _preset: PhantomData,
        })
    }

    /// The settings.
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// The beacon nodes as shown in errors: `scheme://host:port/path`, no credentials or query.
    pub fn node_names(&self) -> Vec<String> {
        self.inner
            .nodes
            .iter()
            .map(|node| node.name.clone())
            .collect()
    }

    /// Indices of the nodes currently avoided after a failure.
    pub fn failing_nodes(&self) -> Vec<usize> {
        let now = Instant::now();
        (0..self.inner.nodes.len())
            .filter(|&i| self.inner.nodes[i].is_failing(now))
            .collect()
    }

    pub(crate) fn nodes(&self) -> &[Node] {
        &self.inner.nodes
    }

    pub(crate) fn timeout(&self, endpoint: Endpoint) -> Duration {
        self.inner.config.timeouts.for_class(endpoint.class)
    }

    /// Node indices in the order to try: the preferred node, then the others in configured
    /// order; nodes that failed recently go last.
    pub(crate) fn order(&self) -> Vec<usize> {
        let count = self.inner.nodes.len();
        let preferred = self.inner.preferred.load(Ordering::Relaxed) % count;
        let now = Instant::now();
        let candidates = std::iter::once(preferred).chain((0..count).filter(|&i| i != preferred));
        let (healthy, failing): (Vec<usize>, Vec<usize>) =
            candidates.partition(|&i| !self.inner.nodes[i].is_failing(now));
        let mut order = healthy;
        order.extend(failing);
        order
    }

    /// Records the outcome of a request to node `index`.
    pub(crate) fn record(&self, index: usize, outcome: Result<(), &Error>) {
        let node = &self.inner.nodes[index];
        match outcome {
            Ok(()) => {
                node.mark_ok();
                self.inner.preferred.store(index, Ordering::Relaxed);
            }
            Err(error) if error.is_node_fault() => {
                node.mark_failed(self.inner.config.retry_failed_after)
            }
            Err(_) => {}
        }
    }

    /// Builds the HTTP request for a node, without sending it.
    pub(crate) fn http_request(&self, node: &Node, request: &Request) -> reqwest::RequestBuilder {
        let method = match request.endpoint.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
        };
        let url = node.url(&request.path, &request.query);
        let mut builder = self
            .inner
            .http
            .request(method, url)
            .header(ACCEPT, request.accept);
        if let Some(auth) = &node.auth {
            builder = builder.basic_auth(&auth.username, auth.password.as_ref());
        }
        if let Some(fork) = request.consensus_version {
            builder = builder.header(CONSENSUS_VERSION, fork.as_str());
        }
        if let Some(body) = &request.body {
            builder = builder
                .header(CONTENT_TYPE, body.content_type)
                .body(body.bytes.clone());
        }
        builder
    }

    /// Sends a request to one node and reads the whole answer within the endpoint's timeout.
    /// Statuses outside 2xx become [`Error::Status`]. A connection that breaks without an
    /// answer (reset or closed, typically a kept-alive connection the node closed as the
    /// request went out) is tried once more on a fresh one: every beacon API request, the
    /// submissions of signed objects included, may be repeated without harm. Timeouts and
    /// refused connections are not repeated.
    pub(crate) async fn send_once(
        &self,
        node: &Node,
        request: &Request,
    ) -> Result<Response, Error> {
        match self.send_attempt(node, request).await {
            Err(Error::Transport { .. }) => self.send_attempt(node, request).await,
            result => result,
        }
    }

    async fn send_attempt(&self, node: &Node, request: &Request) -> Result<Response, Error> {
        let endpoint = request.endpoint;
        let timeout = self.timeout(endpoint);
        let failed = |error| transport_error(endpoint, &node.name, timeout, error);
        let mut response = self
            .http_request(node, request)
            .timeout(timeout)
            .send()
            .await
            .map_err(failed)?;
        let status = response.status().as_u16();
        let headers = std::mem::take(response.headers_mut());
        let body = response.bytes().await.map_err(failed)?;
        if !(200..300).contains(&status) {
            return Err(status_error(endpoint, &node.name, status, &body));
        }
        Ok(Response {
            status,
            headers,
            body,
        })
    }

    /// Sends a request to the nodes in turn until one answers with a success status and a
    /// body that `decode` accepts.
    pub(crate) async fn call<T>(
        &self,
        request: &Request,
        decode: impl Fn(&Response) -> Result<T, String>,
    ) -> Result<T, Error> {
        let mut errors = Vec::new();
        for index in self.order() {
            let node = &self.inner.nodes[index];
            let result = self.send_once(node, request).await.and_then(|response| {
                decode(&response).map_err(|reason| Error::InvalidResponse {
                    endpoint: request.endpoint,
                    node: node.name.clone(),
                    reason,
                })
            });
            match result {
                Ok(value) => {
                    self.record(index, Ok(()));
                    return Ok(value);
                }
                Err(error) => {
                    self.record(index, Err(&error));
                    errors.push(error);
                }
            }
        }
        Err(combine(request.endpoint, errors))
    }

    /// Sends a submission following the [`SubmitPolicy`]: the first node that accepts it, or
    /// every node at once (success if any accepts).
    pub(crate) async fn submit(&self, request: &Request) -> Result<(), Error> {
        match self.inner.config.submit_policy {
            SubmitPolicy::FirstSuccess => self.call(request, |_| Ok(())).await,
            SubmitPolicy::Broadcast => {
                let sends = self
                    .inner
                    .nodes
                    .iter()
                    .map(|node| self.send_once(node, request));
                let results = join_all(sends).await;
                let mut errors = Vec::new();
                let mut accepted = false;
                for (index, result) in results.into_iter().enumerate() {
                    match result {
                        Ok(_) => {
                            self.record(index, Ok(()));
                            accepted = true;
                        }
                        Err(error) => {
                            self.record(index, Err(&error));
                            errors.push(error);
                        }
                    }
                }
                if accepted {
                    Ok(())
                } else {
                    Err(combine(request.endpoint, errors))
                }
            }
        }
    }
}

/// One error as is, several as [`Error::AllNodesFailed`].
fn combine(endpoint: Endpoint, mut errors: Vec<Error>) -> Error {
    match errors.len() {
        0 => Error::NoNodes,
        1 => errors.pop().unwrap_or(Error::NoNodes),
        _ => Error::AllNodesFailed { endpoint, errors },
    }
}

/// Maps an HTTP client error; its text never contains the URL (which may hold an API key).
pub(crate) fn transport_error(
    endpoint: Endpoint,
    node: &str,
    timeout: Duration,
    error: reqwest::Error,
) -> Error {
    let node = node.to_owned();
    if error.is_timeout() {
        return Error::Timeout {
            endpoint,
            node,
            timeout,
        };
    }
    let is_connect = error.is_connect();
    let error = error.without_url();
    let mut reason = error.to_string();
    let mut cause = std::error::Error::source(&error);
    while let Some(inner) = cause {
        let _ = write!(reason, ": {inner}");
        cause = inner.source();
    }
    if is_connect {
        Error::Connection {
            endpoint,
            node,
            reason,
        }
    } else {
        Error::Transport {
            endpoint,
            node,
            reason,
        }
    }
}
