//! A fault-injecting HTTP proxy in front of a local AWS server (DynamoDB Local or
//! moto), for the fault suite: the functions' clients talk to the proxy, which forwards
//! each request or, at configured rates, answers it with a throttling error or a 500,
//! drops the connection, or forwards it and then drops the response ("write applied,
//! response lost"). The SDK sees what it would see from AWS on a bad day and retries;
//! what it cannot retry away, the queue redelivers.
//!
//! One request per connection: every response says `Connection: close`, so a client
//! never reuses a connection the proxy has dropped.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result, bail};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// Rates (0..=1) of each fault, drawn independently per request.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Faults {
    /// Answered with a throttling error (400, `ProvisionedThroughputExceededException`
    /// for DynamoDB, `ThrottlingException` otherwise); nothing reaches the server.
    pub throttle: f64,
    /// Answered with a 500; nothing reaches the server.
    pub server_error: f64,
    /// The connection is dropped before the request reaches the server.
    pub dropped: f64,
    /// Forwarded (the server applies it), then the connection is dropped before the
    /// response reaches the client.
    pub lost_response: f64,
}

impl Faults {
    /// No faults: a transparent proxy.
    pub const NONE: Faults = Faults {
        throttle: 0.0,
        server_error: 0.0,
        dropped: 0.0,
        lost_response: 0.0,
    };
}

/// What the proxy did, request by request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FaultCounts {
    /// Requests received.
    pub requests: u64,
    /// Requests the server answered and the client got the answer of.
    pub forwarded: u64,
    /// Throttling errors injected.
    pub throttles: u64,
    /// 500s injected.
    pub server_errors: u64,
    /// Connections dropped before forwarding.
    pub dropped: u64,
    /// Requests forwarded whose response was dropped.
    pub lost_responses: u64,
}

impl FaultCounts {
    /// Faults injected, all kinds.
    pub fn injected(&self) -> u64 {
        self.throttles + self.server_errors + self.dropped + self.lost_responses
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Fault {
    None,
    Throttle,
    ServerError,
    Dropped,
    LostResponse,
}

#[derive(Debug)]
struct State {
    upstream: SocketAddr,
    faults: Mutex<Faults>,
    rng: Mutex<StdRng>,
    counts: Mutex<FaultCounts>,
}

impl State {
    fn draw(&self) -> Fault {
        let faults = *self.faults.lock().expect("faults lock");
        let x: f64 = self.rng.lock().expect("rng lock").random();
        let mut edge = 0.0;
        for (rate, fault) in [
            (faults.throttle, Fault::Throttle),
            (faults.server_error, Fault::ServerError),
            (faults.dropped, Fault::Dropped),
            (faults.lost_response, Fault::LostResponse),
        ] {
            edge += rate;
            if x < edge {
                return fault;
            }
        }
        Fault::None
    }

    fn count(&self, f: impl FnOnce(&mut FaultCounts)) {
        f(&mut self.counts.lock().expect("counts lock"));
    }
}

/// A running proxy; it stops when dropped.
#[derive(Debug)]
pub struct FaultProxy {
    url: String,
    state: Arc<State>,
    task: JoinHandle<()>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FaultProxy {
    /// Starts a proxy on a free loopback port in front of `upstream_url`
    /// (`http://127.0.0.1:PORT`), injecting `faults` drawn from a generator seeded with
    /// `seed`, so a run's faults can be drawn again.
    pub async fn start(upstream_url: &str, faults: Faults, seed: u64) -> Result<Self> {
        let upstream: SocketAddr = upstream_url
            .strip_prefix("http://")
            .unwrap_or(upstream_url)
            .trim_end_matches('/')
            .parse()
            .with_context(|| format!("{upstream_url} is not http://IP:PORT"))?;
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let state = Arc::new(State {
            upstream,
            faults: Mutex::new(faults),
            rng: Mutex::new(StdRng::seed_from_u64(seed)),
            counts: Mutex::new(FaultCounts::default()),
        });
        let serving = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let state = serving.clone();
                tokio::spawn(async move {
                    if let Err(e) = handle(client, &state).await {
                        tracing::debug!(error = %e, "fault proxy connection ended");
                    }
                });
            }
        });
        Ok(Self { url, state, task })
    }

    /// The proxy's URL, for a client's endpoint.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Changes the fault rates from now on.
    pub fn set_faults(&self, faults: Faults) {
        *self.state.faults.lock().expect("faults lock") = faults;
    }

    /// What the proxy has done so far.
    pub fn counts(&self) -> FaultCounts {
        *self.state.counts.lock().expect("counts lock")
    }
}

async fn handle(mut client: TcpStream, state: &State) -> Result<()> {
    let Some((head, body)) = read_request(&mut client).await? else {
        return Ok(());
    };
    state.count(|c| c.requests += 1);
    let fault = state.draw();
    match fault {
        Fault::Dropped => {
            state.count(|c| c.dropped += 1);
            return Ok(());
        }
        Fault::Throttle | Fault::ServerError => {
            let dynamodb =
                header(&head, "x-amz-target").is_some_and(|t| t.starts_with("DynamoDB_"));
            let (status, code) = match (fault, dynamodb) {
                (Fault::Throttle, true) => {
                    ("400 Bad Request", "ProvisionedThroughputExceededException")
                }
                (Fault::Throttle, false) => ("400 Bad Request", "ThrottlingException"),
                _ => ("500 Internal Server Error", "InternalServerError"),
            };
            state.count(|c| {
                if fault == Fault::Throttle {
                    c.throttles += 1
                } else {
                    c.server_errors += 1
                }
            });
            let body = format!(r#"{{"__type":"{code}","message":"injected by the fault proxy"}}"#);
            let response = format!(
                "HTTP/1.1 {status}\r\ncontent-type: application/x-amz-json-1.0\r\nx-amzn-errortype: {code}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            client.write_all(response.as_bytes()).await?;
        }
        Fault::None | Fault::LostResponse => {
            let response = forward(state.upstream, &head, &body).await?;
            if fault == Fault::LostResponse {
                state.count(|c| c.lost_responses += 1);
                return Ok(());
            }
            state.count(|c| c.forwarded += 1);
            client.write_all(&response).await?;
        }
    }
    client.shutdown().await?;
    Ok(())
}

/// The value of a header of a request or response head.
fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().skip(1).find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim()
            .eq_ignore_ascii_case(name)
            .then_some(value.trim())
    })
}

/// The head with its `Connection` header replaced by `Connection: close`.
fn closing(head: &str) -> String {
    let mut out: Vec<&str> = head
        .split("\r\n")
        .filter(|line| {
            !line
                .split_once(':')
                .is_some_and(|(k, _)| k.trim().eq_ignore_ascii_case("connection"))
        })
        .collect();
    out.push("Connection: close");
    out.join("\r\n")
}

/// Reads one request: its head (without the blank line) and its body (by
/// `Content-Length`; the SDK sends no chunked requests). `None` when the client closed
/// before sending anything.
async fn read_request(client: &mut TcpStream) -> Result<Option<(String, Vec<u8>)>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = client.read(&mut chunk).await?;
        if n == 0 {
            if buf.is_empty() {
                return Ok(None);
            }
            bail!("client closed mid-request");
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let length: usize = header(&head, "content-length")
        .map(str::parse)
        .transpose()?
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let n = client.read(&mut chunk).await?;
        if n == 0 {
            bail!("client closed mid-body");
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    Ok(Some((head, body)))
}

/// Sends the request to the server on a new connection and returns its whole response,
/// with `Connection: close` in its head.
async fn forward(upstream: SocketAddr, head: &str, body: &[u8]) -> Result<Vec<u8>> {
    let mut server = TcpStream::connect(upstream).await?;
    server
        .write_all(format!("{}\r\n\r\n", closing(head)).as_bytes())
        .await?;
    server.write_all(body).await?;
    let mut response = Vec::new();
    server.read_to_end(&mut response).await?;
    let Some(head_end) = response.windows(4).position(|w| w == b"\r\n\r\n") else {
        bail!("the server's response has no head");
    };
    let head = closing(&String::from_utf8_lossy(&response[..head_end]));
    let mut out = format!("{head}\r\n\r\n").into_bytes();
    out.extend_from_slice(&response[head_end + 4..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_follow_the_rates() {
        let state = State {
            upstream: "127.0.0.1:1".parse().unwrap(),
            faults: Mutex::new(Faults {
                throttle: 0.10,
                server_error: 0.03,
                dropped: 0.0,
                lost_response: 0.02,
            }),
            rng: Mutex::new(StdRng::seed_from_u64(7)),
            counts: Mutex::new(FaultCounts::default()),
        };
        let mut seen = std::collections::HashMap::new();
        for _ in 0..100_000 {
            *seen.entry(state.draw()).or_insert(0u32) += 1;
        }
        let share = |f| f64::from(seen.get(&f).copied().unwrap_or(0)) / 100_000.0;
        assert!((share(Fault::Throttle) - 0.10).abs() < 0.005);
        assert!((share(Fault::ServerError) - 0.03).abs() < 0.003);
        assert!((share(Fault::LostResponse) - 0.02).abs() < 0.003);
        assert_eq!(share(Fault::Dropped), 0.0);
    }

    #[test]
    fn heads_are_rewritten_to_close_the_connection() {
        let head = "POST / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\ncontent-length: 2";
        let closed = closing(head);
        assert!(closed.ends_with("Connection: close"));
        assert!(!closed.contains("keep-alive"));
        assert_eq!(header(&closed, "content-length"), Some("2"));
        assert_eq!(header(&closed, "HOST"), Some("x"));
    }
}
