//! The events stream end to end: subscription request, chunked delivery with keep-alives and
//! multi-line data, typed events, end of stream, fallback when the first node is down.

mod support;

use std::time::Duration;

use futures_util::StreamExt;
use mosaic_beacon::{BeaconClient, ClientConfig, Error, Event, EventTopic, Timeouts};
use mosaic_types::consensus::Minimal;
use mosaic_types::Root;
use support::{closed_url, Reply, TestServer};

fn root(byte: &str) -> String {
    format!("0x{}", byte.repeat(32))
}

fn config() -> ClientConfig {
    ClientConfig {
        timeouts: Timeouts::uniform(Duration::from_secs(2)),
        ..ClientConfig::default()
    }
}

fn chunks() -> Vec<(Duration, Vec<u8>)> {
    let head = format!(
        "event: head\ndata: {{\"slot\":\"10\",\"block\":\"{}\",\ndata: \"state\":\"{}\",\"epoch_transition\":true,\ndata: \"previous_duty_dependent_root\":\"{}\",\"current_duty_dependent_root\":\"{}\",\"execution_optimistic\":false}}\n\n",
        root("01"),
        root("02"),
        root("03"),
        root("04")
    );
    let block = format!(
        "event: block\r\ndata: {{\"slot\":\"11\",\"block\":\"{}\",\"execution_optimistic\":false}}\r\n\r\n",
        root("05")
    );
    let reorg = format!(
        "event: chain_reorg\ndata: {{\"slot\":\"12\",\"depth\":\"2\",\"old_head_block\":\"{0}\",\"new_head_block\":\"{1}\",\"old_head_state\":\"{0}\",\"new_head_state\":\"{1}\",\"epoch\":\"1\",\"execution_optimistic\":false}}\n\n",
        root("06"),
        root("07")
    );
    let (head_start, head_rest) = head.as_bytes().split_at(30);
    let ms = Duration::from_millis;
    vec![
        (ms(0), b": keep-alive\n\n".to_vec()),
        (ms(20), head_start.to_vec()),
        (ms(20), head_rest.to_vec()),
        (ms(20), b":\n\n".to_vec()),
        (ms(0), block.into_bytes()),
        (ms(20), reorg.into_bytes()),
    ]
}

#[tokio::test]
async fn streams_typed_events_until_the_node_closes() {
    let server = TestServer::fixed(Reply::event_stream(chunks())).await;
    let client = BeaconClient::<Minimal>::new([&server.url], config()).expect("client");
    let mut stream = client
        .events(&[EventTopic::Head, EventTopic::Block, EventTopic::ChainReorg])
        .await
        .expect("subscribed");
    assert_eq!(stream.node(), format!("{}/", server.url));
    let request = server.last();
    assert_eq!(request.path, "/eth/v1/events");
    assert_eq!(
        request.query.as_deref(),
        Some("topics=head&topics=block&topics=chain_reorg")
    );
    assert_eq!(request.header("accept"), Some("text/event-stream"));

    let Some(Ok(Event::Head(head))) = stream.next().await else {
        panic!("expected a head event")
    };
    assert_eq!(head.slot, 10);
    assert!(head.epoch_transition);
    assert_eq!(head.current_duty_dependent_root, Root([4; 32]));
    let Some(Ok(Event::Block(block))) = stream.next().await else {
        panic!("expected a block event")
    };
    assert_eq!((block.slot, block.block), (11, Root([5; 32])));
    let Some(Ok(Event::ChainReorg(reorg))) = stream.next().await else {
        panic!("expected a reorg event")
    };
    assert_eq!((reorg.slot, reorg.depth, reorg.epoch), (12, 2, 1));
    assert!(stream.next().await.is_none(), "the node closed the stream");
}

#[tokio::test]
async fn undecodable_events_are_errors_but_the_stream_goes_on() {
    let chunks = vec![
        (
            Duration::ZERO,
            b"event: head\ndata: {\"slot\":\"x\"}\n\n".to_vec(),
        ),
        (
            Duration::ZERO,
            format!(
                "event: block\ndata: {{\"slot\":\"1\",\"block\":\"{}\"}}\n\n",
                root("09")
            )
            .into_bytes(),
        ),
    ];
    let server = TestServer::fixed(Reply::event_stream(chunks)).await;
    let client = BeaconClient::<Minimal>::new([&server.url], config()).expect("client");
    let mut stream = client
        .events(&[EventTopic::Head, EventTopic::Block])
        .await
        .expect("subscribed");
    assert!(matches!(
        stream.next().await,
        Some(Err(Error::InvalidResponse { .. }))
    ));
    assert!(matches!(stream.next().await, Some(Ok(Event::Block(_)))));
    assert!(stream.next().await.is_none());
}

#[tokio::test]
async fn subscribes_on_the_next_node_when_the_first_is_down_or_refuses() {
    let down = closed_url().await;
    let refusing = TestServer::fixed(Reply::error(400, "unknown topic")).await;
    let good = TestServer::fixed(Reply::event_stream(chunks())).await;
    let client =
        BeaconClient::<Minimal>::new([&down, &refusing.url, &good.url], config()).expect("client");
    let mut stream = client
        .events(&[EventTopic::Head])
        .await
        .expect("subscribed");
    assert_eq!(stream.node(), format!("{}/", good.url));
    assert!(matches!(stream.next().await, Some(Ok(Event::Head(_)))));

    let client = BeaconClient::<Minimal>::new([&refusing.url], config()).expect("client");
    let error = client
        .events(&[EventTopic::Head])
        .await
        .expect_err("refused");
    assert_eq!(error.status(), Some(400));
    assert!(error.to_string().contains("GET /eth/v1/events"));
}

#[tokio::test]
async fn a_node_that_never_answers_times_out() {
    let slow =
        TestServer::fixed(Reply::event_stream(chunks()).delayed(Duration::from_secs(5))).await;
    let config = ClientConfig {
        timeouts: Timeouts::uniform(Duration::from_millis(200)),
        ..ClientConfig::default()
    };
    let client = BeaconClient::<Minimal>::new([&slow.url], config).expect("client");
    assert!(matches!(
        client.events(&[EventTopic::Head]).await,
        Err(Error::Timeout { .. })
    ));
}
