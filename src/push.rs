//! Delivering screens to asynchronous aggregators (MTN MADAPI): one pooled HTTP client, a
//! deadline per screen, retries with backoff while the aggregator says it failed, and each
//! screen sent at most once.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::gateway::Push;

/// First pause before a retry; each further pause doubles.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
/// Least time an attempt needs to reach the aggregator and be answered: a screen with less
/// time left could only arrive late, so it is not sent.
const MIN_ATTEMPT: Duration = Duration::from_millis(5);
/// Longest an attempt waits to connect.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// What became of one screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// The aggregator accepted it (after `attempts` sends).
    Delivered { attempts: u32 },
    /// The screen was ready after its deadline, or too close to it to arrive in time: not
    /// sent.
    Late,
    /// This screen was already sent, or is being sent (a resent hop): not sent again.
    AlreadySent,
    /// Every attempt failed, or the aggregator refused it; the last error.
    Failed { attempts: u32, error: String },
}

/// Sends screens; shared by every hop of one gateway.
pub struct Pusher {
    client: reqwest::Client,
    /// Screens sent or being sent, until their deadline has passed.
    sent: Mutex<HashMap<String, Instant>>,
}

impl Default for Pusher {
    fn default() -> Self {
        Pusher::new()
    }
}

impl Pusher {
    pub fn new() -> Pusher {
        let client = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .pool_idle_timeout(Duration::from_secs(60))
            .pool_max_idle_per_host(64)
            .tcp_nodelay(true)
            .build()
            .expect("an HTTP client with no TLS settings builds");
        Pusher {
            client,
            sent: Mutex::new(HashMap::new()),
        }
    }

    /// Sends `push` before `deadline`. `screen` names the screen (the session and the request
    /// it answers): a screen is sent once, however often the aggregator resends its request.
    pub async fn deliver(&self, screen: &str, push: &Push, deadline: Instant) -> Delivery {
        if Instant::now() + MIN_ATTEMPT >= deadline {
            return Delivery::Late;
        }
        if !self.claim(screen, deadline) {
            return Delivery::AlreadySent;
        }
        let mut attempts = 0;
        let mut backoff = FIRST_BACKOFF;
        loop {
            attempts += 1;
            let error = match self.send_once(push, deadline).await {
                Ok(()) => return Delivery::Delivered { attempts },
                Err(Attempt::Refused(error)) => return Delivery::Failed { attempts, error },
                Err(Attempt::Retry(error)) => error,
            };
            // A retry that could not finish before the deadline would only arrive late.
            if Instant::now() + backoff + MIN_ATTEMPT >= deadline {
                return Delivery::Failed { attempts, error };
            }
            tokio::time::sleep(backoff).await;
            backoff *= 2;
        }
    }

    /// Marks `screen` as sent; false when it already was (and its deadline has not passed).
    fn claim(&self, screen: &str, deadline: Instant) -> bool {
        let now = Instant::now();
        let mut sent = self.sent.lock().expect("pusher lock");
        if sent.len() > 1024 {
            sent.retain(|_, until| *until > now);
        }
        match sent.get(screen) {
            Some(until) if *until > now => false,
            _ => {
                sent.insert(screen.to_string(), deadline);
                true
            }
        }
    }

    async fn send_once(&self, push: &Push, deadline: Instant) -> Result<(), Attempt> {
        let mut request = self
            .client
            .post(&push.url)
            .header(reqwest::header::CONTENT_TYPE, push.content_type)
            .body(push.body.clone())
            .timeout(deadline.saturating_duration_since(Instant::now()));
        for (name, value) in &push.headers {
            request = request.header(*name, value);
        }
        match request.send().await {
            Ok(response) if response.status().is_success() => Ok(()),
            Ok(response) => {
                let status = response.status();
                let error = format!("{} answered {status}", host_of(&push.url));
                // The aggregator failed (5xx), is throttling (429) or timed out reading (408):
                // the screen was not taken, so sending it again cannot show it twice.
                if status.is_server_error() || status.as_u16() == 429 || status.as_u16() == 408 {
                    Err(Attempt::Retry(error))
                } else {
                    Err(Attempt::Refused(error))
                }
            }
            // Not connected: nothing was sent, a retry is safe.
            Err(e) if e.is_connect() => Err(Attempt::Retry(format!(
                "could not connect to {}",
                host_of(&push.url)
            ))),
            // Sent but unanswered in time, or cut: it may have arrived; sending again could
            // show the screen twice.
            Err(e) => Err(Attempt::Refused(format!(
                "no answer from {}: {}",
                host_of(&push.url),
                if e.is_timeout() {
                    "timed out"
                } else {
                    "connection lost"
                }
            ))),
        }
    }
}

enum Attempt {
    Retry(String),
    Refused(String),
}

/// The host part of a URL, for logs (paths may carry tokens).
fn host_of(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| {
            u.host_str().map(|h| match u.port() {
                Some(port) => format!("{h}:{port}"),
                None => h.to_string(),
            })
        })
        .unwrap_or_else(|| "the aggregator".into())
}
