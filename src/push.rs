//! Delivering screens to asynchronous aggregators (MTN MADAPI): one pooled HTTP client, a
//! deadline per screen, retries with backoff while the aggregator says it failed, and each
//! request answered once: a request resent while its screen is on its way is neither run
//! again nor answered twice.

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
    /// Every attempt failed, or the aggregator refused it; the last error.
    Failed { attempts: u32, error: String },
}

/// Sends screens; shared by every hop of one gateway.
pub struct Pusher {
    client: reqwest::Client,
    /// Requests being answered, or just answered, and until when.
    answering: Mutex<HashMap<String, Instant>>,
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
            answering: Mutex::new(HashMap::new()),
        }
    }

    /// Sends `push` before `deadline`.
    pub async fn deliver(&self, push: &Push, deadline: Instant) -> Delivery {
        if Instant::now() + MIN_ATTEMPT >= deadline {
            return Delivery::Late;
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

    /// Takes on answering `request` (a session and its request's fingerprint) until `until`;
    /// false when it is already being answered: a resend.
    pub fn claim(&self, request: &str, until: Instant) -> bool {
        let now = Instant::now();
        let mut answering = self.answering.lock().expect("pusher lock");
        if answering.len() > 1024 {
            answering.retain(|_, until| *until > now);
        }
        match answering.get(request) {
            Some(busy_until) if *busy_until > now => false,
            _ => {
                answering.insert(request.to_string(), until);
                true
            }
        }
    }

    /// `request` is answered: the same request again is a new input (a caller may well press
    /// the same key on the next screen), or a resend the session store recognises.
    pub fn answered(&self, request: &str) {
        self.answering.lock().expect("pusher lock").remove(request);
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
