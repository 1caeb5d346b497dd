//! `GET /eth/v1/events`: a server-sent-events parser and the typed `head`, `block` and
//! `chain_reorg` events as an async [`Stream`].

use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::Stream;
use mosaic_types::consensus::Preset;
use mosaic_types::{Epoch, Root, Slot};
use serde::{Deserialize, Serialize};

use crate::client::{transport_error, BeaconClient, Query, Request};
use crate::endpoint::{self, Endpoint};
use crate::error::{status_error, Error};

/// An event topic to subscribe to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventTopic {
    /// `head`: the head changed.
    Head,
    /// `block`: a block was imported.
    Block,
    /// `chain_reorg`: the head moved to another branch.
    ChainReorg,
}

impl EventTopic {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Head => "head",
            Self::Block => "block",
            Self::ChainReorg => "chain_reorg",
        }
    }
}

impl fmt::Display for EventTopic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `head` event data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeadEvent {
    /// `slot`.
    #[serde(with = "mosaic_types::quoted_u64")]
    pub slot: Slot,
    /// `block` root.
    pub block: Root,
    /// `state` root.
    pub state: Root,
    /// `epoch_transition`: the head is the first block of an epoch.
    pub epoch_transition: bool,
    /// `previous_duty_dependent_root`.
    pub previous_duty_dependent_root: Root,
    /// `current_duty_dependent_root`.
    pub current_duty_dependent_root: Root,
    /// `execution_optimistic` (false if absent).
    #[serde(default)]
    pub execution_optimistic: bool,
}

/// `block` event data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockEvent {
    /// `slot`.
    #[serde(with = "mosaic_types::quoted_u64")]
    pub slot: Slot,
    /// `block` root.
    pub block: Root,
    /// `execution_optimistic` (false if absent).
    #[serde(default)]
    pub execution_optimistic: bool,
}

/// `chain_reorg` event data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainReorgEvent {
    /// `slot` of the new head.
    #[serde(with = "mosaic_types::quoted_u64")]
    pub slot: Slot,
    /// `depth` of the reorg in slots.
    #[serde(with = "mosaic_types::quoted_u64")]
    pub depth: u64,
    /// `old_head_block`.
    pub old_head_block: Root,
    /// `new_head_block`.
    pub new_head_block: Root,
    /// `old_head_state`.
    pub old_head_state: Root,
    /// `new_head_state`.
    pub new_head_state: Root,
    /// `epoch`.
    #[serde(with = "mosaic_types::quoted_u64")]
    pub epoch: Epoch,
    /// `execution_optimistic` (false if absent).
    #[serde(default)]
    pub execution_optimistic: bool,
}

/// A beacon node event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// `head`.
    Head(HeadEvent),
    /// `block`.
    Block(BlockEvent),
    /// `chain_reorg`.
    ChainReorg(ChainReorgEvent),
    /// Any other event type, kept raw.
    Other {
        /// The SSE event type.
        event: String,
        /// The data lines, joined by `\n`.
        data: String,
    },
}

impl Event {
    /// Decodes an SSE message by its event type.
    pub fn from_message(message: &SseMessage) -> Result<Self, String> {
        fn parse<T: for<'de> Deserialize<'de>>(message: &SseMessage) -> Result<T, String> {
            serde_json::from_str(&message.data)
                .map_err(|error| format!("{} event: {error}", message.event))
        }
        Ok(match message.event.as_str() {
            "head" => Self::Head(parse(message)?),
            "block" => Self::Block(parse(message)?),
            "chain_reorg" => Self::ChainReorg(parse(message)?),
            _ => Self::Other {
                event: message.event.clone(),
                data: message.data.clone(),
            },
        })
    }
}

/// One dispatched server-sent event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseMessage {
    /// The `event:` field (`"message"` if none was given).
    pub event: String,
    /// The `data:` lines joined by `\n`.
    pub data: String,
}

/// An incremental parser of the `text/event-stream` format (WHATWG HTML, "server-sent
/// events"): lines end with LF, CR or CRLF (also split across chunks); `:` lines are comments
/// (keep-alives); several `data:` lines join with `\n`; a blank line dispatches; `id` and
/// `retry` are ignored.
#[derive(Debug, Default)]
pub struct SseParser {
    line: Vec<u8>,
    event: String,
    data: String,
    after_cr: bool,
}

impl SseParser {
    /// A parser at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds bytes; appends every message they complete to `out`.
    pub fn push(&mut self, bytes: &[u8], out: &mut Vec<SseMessage>) {
        for &byte in bytes {
            match byte {
                b'\n' if self.after_cr => self.after_cr = false,
                b'\n' => self.end_line(out),
                b'\r' => {
                    self.end_line(out);
                    self.after_cr = true;
                }
                _ => {
                    self.after_cr = false;
                    self.line.push(byte);
                }
            }
        }
    }

    fn end_line(&mut self, out: &mut Vec<SseMessage>) {
        if self.line.is_empty() {
            self.dispatch(out);
            return;
        }
        let line = String::from_utf8_lossy(&self.line);
        if !line.starts_with(':') {
            let (field, value) = match line.split_once(':') {
                Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
                None => (&*line, ""),
            };
            match field {
                "event" => value.clone_into(&mut self.event),
                "data" => {
                    self.data.push_str(value);
                    self.data.push('\n');
                }
                _ => {}
            }
        }
        self.line.clear();
    }

    fn dispatch(&mut self, out: &mut Vec<SseMessage>) {
        if self.data.is_empty() {
            self.event.clear();
            return;
        }
        self.data.pop();
        let event = if self.event.is_empty() {
            "message".to_owned()
        } else {
            std::mem::take(&mut self.event)
        };
        out.push(SseMessage {
            event,
            data: std::mem::take(&mut self.data),
        });
    }
}

/// The events of one beacon node. It ends when the node closes the stream (or after yielding a
/// transport error); open a new one with [`BeaconClient::events`] to resume.
pub struct EventStream {
    node: String,
    inner: Pin<Box<dyn Stream<Item = Result<Event, Error>> + Send>>,
}

impl EventStream {
    /// The node streaming (URL without credentials).
    pub fn node(&self) -> &str {
        &self.node
    }
}

impl fmt::Debug for EventStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventStream")
            .field("node", &self.node)
            .finish()
    }
}

impl Stream for EventStream {
    type Item = Result<Event, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

struct StreamState {
    response: Option<reqwest::Response>,
    parser: SseParser,
    messages: Vec<SseMessage>,
    ready: VecDeque<Result<Event, Error>>,
    endpoint: Endpoint,
    node: String,
}

impl<P: Preset> BeaconClient<P> {
    /// `GET /eth/v1/events?topics=..`: subscribes on the first node that answers within the
    /// events-connect timeout (in the usual fallback order) and streams its events. The stream
    /// itself has no timeout.
    pub async fn events(&self, topics: &[EventTopic]) -> Result<EventStream, Error> {
        let endpoint = endpoint::EVENTS;
        let timeout = self.timeout(endpoint);
        let mut query = Query::default();
        query.push_list("topics", topics);
        let request = Request::new(endpoint)
            .query(query)
            .accept("text/event-stream");
        let mut errors = Vec::new();
        for index in self.order() {
            let node = &self.nodes()[index];
            let send = self.http_request(node, &request).send();
            let result = match tokio::time::timeout(timeout, send).await {
                Err(_) => Err(Error::Timeout {
                    endpoint,
                    node: node.name.clone(),
                    timeout,
                }),
                Ok(Err(error)) => Err(transport_error(endpoint, &node.name, timeout, error)),
                Ok(Ok(response)) if response.status().is_success() => Ok(response),
                Ok(Ok(response)) => {
                    let status = response.status().as_u16();
                    let body = tokio::time::timeout(timeout, response.bytes())
                        .await
                        .ok()
                        .and_then(Result::ok)
                        .unwrap_or_default();
                    Err(status_error(endpoint, &node.name, status, &body))
                }
            };
            match result {
                Ok(response) => {
                    self.record(index, Ok(()));
                    return Ok(event_stream(response, endpoint, node.name.clone()));
                }
                Err(error) => {
                    self.record(index, Err(&error));
                    errors.push(error);
                }
            }
        }
        Err(match errors.len() {
            1 => errors.remove(0),
            _ => Error::AllNodesFailed { endpoint, errors },
        })
    }
}

fn event_stream(response: reqwest::Response, endpoint: Endpoint, node: String) -> EventStream {
    let state = StreamState {
        response: Some(response),
        parser: SseParser::new(),
        messages: Vec::new(),
        ready: VecDeque::new(),
        endpoint,
        node: node.clone(),
    };
    let inner = futures_util::stream::unfold(state, |mut state| async move {
        loop {
            if let Some(item) = state.ready.pop_front() {
                return Some((item, state));
            }
            let response = state.response.as_mut()?;
            match response.chunk().await {
                Ok(Some(bytes)) => {
                    state.parser.push(&bytes, &mut state.messages);
                    for message in state.messages.drain(..) {
                        let event = Event::from_message(&message).map_err(|reason| {
                            Error::InvalidResponse {
                                endpoint: state.endpoint,
                                node: state.node.clone(),
                                reason,
                            }
                        });
                        state.ready.push_back(event);
                    }
                }
                Ok(None) => state.response = None,
                Err(error) => {
                    state.response = None;
                    let timeout = std::time::Duration::ZERO;
                    state.ready.push_back(Err(transport_error(
                        state.endpoint,
                        &state.node,
                        timeout,
                        error,
                    )));
                }
            }
        }
    });
    EventStream {
        node,
        inner: Box::pin(inner),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(chunks: &[&[u8]]) -> Vec<SseMessage> {
        let mut parser = SseParser::new();
        let mut out = Vec::new();
        for chunk in chunks {
            parser.push(chunk, &mut out);
        }
        out
    }

    #[test]
    fn multi_line_data_joins_with_newlines() {
        let out = parse_all(&[b"event: head\ndata: {\"a\":\ndata:  1}\n\n"]);
        assert_eq!(
            out,
            vec![SseMessage {
                event: "head".into(),
                data: "{\"a\":\n 1}".into()
            }]
        );
    }

    #[test]
    fn comments_and_keep_alives_dispatch_nothing() {
        let out = parse_all(&[b":\n\n: keep-alive\n\n", b"id: 4\nretry: 10\n\n"]);
        assert!(out.is_empty());
        let out = parse_all(&[b": ping\nevent: block\n: ping\ndata: x\n\n"]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].event, "block");
    }

    #[test]
    fn line_endings_lf_cr_crlf_even_split_across_chunks() {
        let out = parse_all(&[
            b"event: a\r",
            b"\ndata: 1\r",
            b"\r",
            b"event: b\rdata: 2\r\rdata:3\n\n",
        ]);
        let pairs: Vec<_> = out
            .iter()
            .map(|m| (m.event.as_str(), m.data.as_str()))
            .collect();
        assert_eq!(pairs, vec![("a", "1"), ("b", "2"), ("message", "3")]);
    }

    #[test]
    fn bytes_split_anywhere_give_the_same_messages() {
        let text: &[u8] = b"event: head\ndata: {\"x\":1}\n\nevent: block\r\ndata: y\r\n\r\n";
        let whole = parse_all(&[text]);
        assert_eq!(whole.len(), 2);
        for cut in 0..text.len() {
            assert_eq!(
                parse_all(&[&text[..cut], &text[cut..]]),
                whole,
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn an_event_without_its_blank_line_is_not_dispatched() {
        assert!(parse_all(&[b"event: head\ndata: 1\n"]).is_empty());
        // `data` with no value still dispatches an empty message.
        let out = parse_all(&[b"data\n\n"]);
        assert_eq!(out[0].data, "");
    }

    #[test]
    fn typed_events_decode_and_others_stay_raw() {
        let root = format!("0x{}", "11".repeat(32));
        let head = SseMessage {
            event: "head".into(),
            data: format!(
                r#"{{"slot":"10","block":"{root}","state":"{root}","epoch_transition":false,"previous_duty_dependent_root":"{root}","current_duty_dependent_root":"{root}","execution_optimistic":false}}"#
            ),
        };
        assert!(matches!(
            Event::from_message(&head),
            Ok(Event::Head(HeadEvent { slot: 10, .. }))
        ));
        let reorg = SseMessage {
            event: "chain_reorg".into(),
            data: format!(
                r#"{{"slot":"200","depth":"50","old_head_block":"{root}","new_head_block":"{root}","old_head_state":"{root}","new_head_state":"{root}","epoch":"2"}}"#
            ),
        };
        assert!(matches!(
            Event::from_message(&reorg),
            Ok(Event::ChainReorg(ChainReorgEvent {
                depth: 50,
                epoch: 2,
                ..
            }))
        ));
        let bad = SseMessage {
            event: "block".into(),
            data: "{}".into(),
        };
        assert!(Event::from_message(&bad)
            .unwrap_err()
            .starts_with("block event"));
        let other = SseMessage {
            event: "finalized_checkpoint".into(),
            data: "{}".into(),
        };
        assert!(matches!(
            Event::from_message(&other),
            Ok(Event::Other { .. })
        ));
    }
}
