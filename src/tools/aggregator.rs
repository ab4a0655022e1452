//! Playing an aggregator against a running server, for `dalal dial` and `dalal load`: each
//! hop goes out in the gateway's own wire format, and its screen is read where that
//! aggregator reads it (the answer, or for an asynchronous gateway the request dalal pushes
//! to the aggregator's outbound URL, which this tool then serves).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::sync::oneshot;

use crate::config::Config;
use crate::gateway::simulate::{Delivery, Screen, SimHop, SimRequest, Simulator};

/// How long a hop's screen may take (an aggregator gives up sooner).
const SCREEN_WAIT: Duration = Duration::from_secs(15);

/// One hop's answer.
#[derive(Debug)]
pub struct Answer {
    pub screen: Screen,
    /// From sending the request to having the screen.
    pub elapsed: Duration,
}

/// Why a hop got no screen (short words, counted by the load tool).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HopError {
    #[error("timeout")]
    Timeout,
    #[error("connection")]
    Connection,
    #[error("http_{0}")]
    Status(u16),
    #[error("unreadable_screen")]
    Unreadable(String),
}

/// An aggregator calling the server at `base_url`.
pub struct Aggregator {
    pub name: String,
    side: Simulator,
    client: reqwest::Client,
    base_url: String,
    inbox: Option<Arc<Inbox>>,
}

impl Aggregator {
    /// `inbox` is where an asynchronous gateway's screens are received (the server's
    /// `[gateways.<name>] outbound_url` must point there).
    pub async fn new(
        name: &str,
        config: &Config,
        base_url: &str,
        inbox: SocketAddr,
        connections: usize,
    ) -> anyhow::Result<Aggregator> {
        let side = crate::gateway::simulator(name, config).with_context(|| {
            format!(
                "no USSD gateway named '{name}' (known: {})",
                crate::gateway::ussd_gateway_names().join(", ")
            )
        })?;
        let inbox = match side.delivery {
            Delivery::InResponse => None,
            Delivery::Pushed => Some(Inbox::serve(inbox).await?),
        };
        let client = reqwest::Client::builder()
            .timeout(SCREEN_WAIT)
            .pool_max_idle_per_host(connections)
            .build()?;
        Ok(Aggregator {
            name: name.to_string(),
            side,
            client,
            base_url: base_url.trim_end_matches('/').to_string(),
            inbox,
        })
    }

    /// Where screens are received, for an asynchronous gateway.
    pub fn inbox_url(&self) -> Option<String> {
        self.inbox.as_ref().map(|i| i.url.clone())
    }

    /// Sends one hop and waits for its screen.
    pub async fn hop(&self, hop: &SimHop<'_>) -> Result<Answer, HopError> {
        let request = self.side.hop_request(hop);
        let started = Instant::now();
        let waiting = self.inbox.as_ref().map(|i| i.expect(hop.session_id));
        let answered = self.send(&request).await;
        let body = match (waiting, &self.inbox) {
            (Some(pushed), Some(inbox)) => {
                let screen = match answered {
                    Err(e) => Err(e),
                    // The answer only acknowledges: the screen comes in a push.
                    Ok(_) => match tokio::time::timeout(SCREEN_WAIT, pushed).await {
                        Ok(Ok(body)) => Ok(body),
                        _ => Err(HopError::Timeout),
                    },
                };
                if screen.is_err() {
                    inbox.forget(hop.session_id);
                }
                screen?
            }
            _ => answered?,
        };
        let elapsed = started.elapsed();
        let screen = self
            .side
            .read_screen(&body)
            .map_err(|e| HopError::Unreadable(format!("{e}: {body:?}")))?;
        Ok(Answer { screen, elapsed })
    }

    /// The aggregator's notice that the caller left, when it sends one.
    pub async fn hang_up(&self, hop: &SimHop<'_>) -> Result<(), HopError> {
        match self.side.end_request(hop) {
            Some(request) => self.send(&request).await.map(drop),
            None => Ok(()),
        }
    }

    async fn send(&self, request: &SimRequest) -> Result<String, HopError> {
        let url = format!("{}{}", self.base_url, request.path_and_query);
        let mut builder = match request.method {
            "GET" => self.client.get(url),
            _ => self.client.post(url).body(request.body.clone()),
        };
        if let Some(content_type) = request.content_type {
            builder = builder.header("content-type", content_type);
        }
        let response = builder.send().await.map_err(|e| match e.is_timeout() {
            true => HopError::Timeout,
            false => HopError::Connection,
        })?;
        let status = response.status();
        let body = response.text().await.map_err(|_| HopError::Connection)?;
        if !status.is_success() {
            return Err(HopError::Status(status.as_u16()));
        }
        Ok(body)
    }
}

/// Serves an asynchronous gateway's outbound URL: each pushed screen goes to the hop waiting
/// for its session.
struct Inbox {
    url: String,
    waiting: Mutex<HashMap<String, oneshot::Sender<String>>>,
}

impl Inbox {
    async fn serve(address: SocketAddr) -> anyhow::Result<Arc<Inbox>> {
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .with_context(|| format!("cannot listen on {address} for pushed screens"))?;
        let inbox = Arc::new(Inbox {
            url: format!("http://{}/", listener.local_addr()?),
            waiting: Mutex::new(HashMap::new()),
        });
        let receiving = inbox.clone();
        let receive = move |body: String| {
            let inbox = receiving.clone();
            async move {
                inbox.deliver(body);
                axum::Json(serde_json::json!({"statusCode": "0000", "statusMessage": "OK"}))
            }
        };
        let app = axum::Router::new().fallback(axum::routing::post(receive));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(inbox)
    }

    fn expect(&self, session: &str) -> oneshot::Receiver<String> {
        let (sender, receiver) = oneshot::channel();
        let mut waiting = self.waiting.lock().expect("inbox lock");
        waiting.insert(session.to_string(), sender);
        receiver
    }

    fn forget(&self, session: &str) {
        self.waiting.lock().expect("inbox lock").remove(session);
    }

    /// Hands a pushed body to the hop whose session id it carries (as a JSON string).
    fn deliver(&self, body: String) {
        let mut waiting = self.waiting.lock().expect("inbox lock");
        let session = waiting
            .keys()
            .find(|id| body.contains(&format!("\"{id}\"")))
            .cloned();
        if let Some(sender) = session.and_then(|id| waiting.remove(&id)) {
            let _ = sender.send(body);
        }
    }
}
