//! A minimal HTTP/1.1 server on 127.0.0.1 for the client tests: it records every request and
//! answers from a handler, optionally late or as a stream of delayed chunks (server-sent events).

#![allow(dead_code, unreachable_pub)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("request body is JSON")
    }
}

/// What to answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Wait before answering.
    pub delay: Duration,
    /// If not empty, the body is these chunks, each after its delay, then the connection closes.
    pub chunks: Vec<(Duration, Vec<u8>)>,
    /// Close the connection without answering (what a server does to a kept-alive connection
    /// it times out just as the client sends on it).
    pub hang_up: bool,
}

impl Reply {
    pub fn json(value: serde_json::Value) -> Self {
        Self::status(200, value.to_string().into_bytes()).header("Content-Type", "application/json")
    }

    pub fn data(value: serde_json::Value) -> Self {
        Self::json(serde_json::json!({ "data": value }))
    }

    pub fn status(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: body.into(),
            delay: Duration::ZERO,
            chunks: Vec::new(),
            hang_up: false,
        }
    }

    /// No answer: the connection is closed once the request is read.
    pub fn hang_up() -> Self {
        Self {
            hang_up: true,
            ..Self::ok()
        }
    }

    pub fn ok() -> Self {
        Self::status(200, Vec::new())
    }

    pub fn error(status: u16, message: &str) -> Self {
        Self::status(
            status,
            serde_json::json!({ "code": status, "message": message }).to_string(),
        )
        .header("Content-Type", "application/json")
    }

    pub fn ssz(bytes: Vec<u8>) -> Self {
        Self::status(200, bytes).header("Content-Type", "application/octet-stream")
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn delayed(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    pub fn event_stream(chunks: Vec<(Duration, Vec<u8>)>) -> Self {
        let mut reply = Self::status(200, Vec::new()).header("Content-Type", "text/event-stream");
        reply.chunks = chunks;
        reply
    }
}

type Handler = Arc<dyn Fn(&Recorded) -> Reply + Send + Sync>;

/// A running test server; it stops when the test's runtime ends.
pub struct TestServer {
    pub url: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
}

impl TestServer {
    pub async fn start(handler: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let url = format!("http://{}", listener.local_addr().expect("local address"));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let handler: Handler = Arc::new(handler);
        let recorded = Arc::clone(&requests);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let handler = Arc::clone(&handler);
                let recorded = Arc::clone(&recorded);
                tokio::spawn(async move {
                    let _ = serve(stream, handler, recorded).await;
                });
            }
        });
        Self { url, requests }
    }

    /// A server that answers every request with the same reply.
    pub async fn fixed(reply: Reply) -> Self {
        Self::start(move |_| reply.clone()).await
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().expect("requests lock").clone()
    }

    pub fn count(&self) -> usize {
        self.requests.lock().expect("requests lock").len()
    }

    pub fn last(&self) -> Recorded {
        self.requests()
            .pop()
            .expect("the server received a request")
    }
}

/// A URL on which nothing listens (connection refused).
pub async fn closed_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("local address"));
    drop(listener);
    url
}

async fn serve(
    mut stream: TcpStream,
    handler: Handler,
    recorded: Arc<Mutex<Vec<Recorded>>>,
) -> std::io::Result<()> {
    let mut buffer = Vec::new();
    let head_end = loop {
        if let Some(end) = find(&buffer, b"\r\n\r\n") {
            break end;
        }
        let mut chunk = [0u8; 4096];
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            return Ok(());
        }
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let method = parts.next().unwrap_or_default().to_owned();
    let target = parts.next().unwrap_or_default();
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path.to_owned(), Some(query.to_owned())),
        None => (target.to_owned(), None),
    };
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(name, _)| name == "content-length")
        .and_then(|(_, value)| value.parse().ok())
        .unwrap_or(0);
    let mut body = buffer[head_end + 4..].to_vec();
    while body.len() < length {
        let mut chunk = vec![0u8; length - body.len()];
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..read]);
    }
    let request = Recorded {
        method,
        path,
        query,
        headers,
        body,
    };
    recorded
        .lock()
        .expect("requests lock")
        .push(request.clone());
    let reply = handler(&request);
    tokio::time::sleep(reply.delay).await;
    if reply.hang_up {
        return Ok(());
    }
    let mut out = format!("HTTP/1.1 {} Test\r\nConnection: close\r\n", reply.status);
    for (name, value) in &reply.headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    if reply.chunks.is_empty() {
        out.push_str(&format!("Content-Length: {}\r\n\r\n", reply.body.len()));
        stream.write_all(out.as_bytes()).await?;
        stream.write_all(&reply.body).await?;
    } else {
        out.push_str("\r\n");
        stream.write_all(out.as_bytes()).await?;
        for (delay, chunk) in &reply.chunks {
            tokio::time::sleep(*delay).await;
            stream.write_all(chunk).await?;
            stream.flush().await?;
        }
    }
    stream.shutdown().await
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}
