//! The gateways' routes: every gateway `gateway::register` declares, served by one generic
//! handler per kind (USSD, asynchronous USSD, voice), which also counts refused requests.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Request, State};
use axum::response::Response;
use axum::routing::{MethodRouter, post};

use super::{ApiError, wire};
use crate::config::Config;
use crate::gateway::{
    self, PushGateway, Route, UssdGateway, VoiceGateway, VoiceRequest, WireRequest, WireResponse,
    mask_msisdn,
};
use crate::push::{Delivery, Pusher};
use crate::runner::{App, hop_budget};

/// The routes of every gateway `gateway::register` declares.
pub(super) fn routes(config: &Config) -> Router<App> {
    let mut gateways = GatewayRoutes {
        router: Router::new(),
        config,
    };
    gateway::register(&mut gateways, config);
    gateways.router
}

/// Collects the routes of every gateway `gateway::register` declares.
struct GatewayRoutes<'a> {
    router: Router<App>,
    config: &'a Config,
}

impl GatewayRoutes<'_> {
    /// How long the aggregator waits: its settings' `deadline_ms`, else the gateway's own.
    fn deadline<G: UssdGateway>(&self, gateway: &G) -> Duration {
        self.config
            .gateways
            .get(gateway.name())
            .and_then(|s| s.deadline_ms)
            .map(Duration::from_millis)
            .unwrap_or_else(|| gateway.deadline())
    }

    fn add(&mut self, served: Router<App>) {
        self.router = std::mem::take(&mut self.router).merge(served);
    }
}

impl gateway::Registry for GatewayRoutes<'_> {
    fn ussd<G: UssdGateway>(&mut self, gateway: G) {
        let (routes, deadline) = (gateway.routes(), self.deadline(&gateway));
        let serve = move |app, gateway, request| ussd_request::<G>(app, gateway, deadline, request);
        self.add(gateway_routes(gateway.name(), gateway, routes, serve));
    }

    fn ussd_push<G: PushGateway>(&mut self, gateway: G) {
        let (routes, deadline) = (gateway.routes(), self.deadline(&gateway));
        let pusher = Arc::new(Pusher::new());
        let serve = move |app, gateway, request| {
            ussd_push_request::<G>(app, gateway, pusher.clone(), deadline, request)
        };
        self.add(gateway_routes(gateway.name(), gateway, routes, serve));
    }

    fn voice<G: VoiceGateway>(&mut self, gateway: G) {
        let routes = gateway.routes();
        self.add(gateway_routes(
            gateway.name(),
            gateway,
            routes,
            voice_request::<G>,
        ));
    }
}

/// A gateway's routes, each read whole (within its own body limit) and answered by `serve`;
/// `GET` too where the route says so.
fn gateway_routes<G, S, F>(
    name: &'static str,
    gateway: G,
    routes: &'static [Route],
    serve: S,
) -> Router<App>
where
    G: Send + Sync + 'static,
    S: Fn(App, Arc<G>, WireRequest) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Result<Response, ApiError>> + Send + 'static,
{
    let gateway = Arc::new(gateway);
    let mut router = Router::new();
    for route in routes {
        let limit = route.max_body;
        let (gateway, serve) = (gateway.clone(), serve.clone());
        let handle = move |State(app): State<App>,
                           ConnectInfo(peer): ConnectInfo<SocketAddr>,
                           request: Request| {
            let (gateway, serve) = (gateway.clone(), serve.clone());
            async move {
                let metrics = app.metrics.clone();
                let answer = match wire::read(&app, peer, request, limit).await {
                    Ok(request) => serve(app, gateway, request).await,
                    Err(e) => Err(e),
                };
                // Every refused request of a gateway, counted here by its status.
                if let Err(e) = &answer {
                    metrics.rejected(name, e.status().as_u16());
                }
                answer
            }
        };
        let mut method: MethodRouter<App> = post(handle.clone());
        if route.get {
            method = method.get(handle.clone());
        }
        if route.put {
            method = method.put(handle);
        }
        if let Some(max) = limit {
            // The innermost limit wins over the router's default.
            method = method.layer(DefaultBodyLimit::max(max));
        }
        router = router.route(route.path, method);
    }
    router
}

/// One USSD request: authenticate, decode, run, render.
async fn ussd_request<G: UssdGateway>(
    app: App,
    gateway: Arc<G>,
    deadline: Duration,
    request: WireRequest,
) -> Result<Response, ApiError> {
    gateway.authenticate(&request, app.guards.get(gateway.name()))?;
    let (inbound, echo) = gateway.decode(&request)?;
    let answer = match app
        .ussd(gateway.name(), hop_budget(deadline), inbound)
        .await?
    {
        Some(answer) => gateway.render(&answer.reply, &echo),
        None => gateway.acknowledge_end(&echo),
    };
    Ok(wire::response(answer))
}

/// One request of an asynchronous gateway: authenticate, decode, acknowledge at once; the
/// hop runs on, and its screen is pushed to the aggregator before the deadline, or dropped.
async fn ussd_push_request<G: PushGateway>(
    app: App,
    gateway: Arc<G>,
    pusher: Arc<Pusher>,
    deadline: Duration,
    request: WireRequest,
) -> Result<Response, ApiError> {
    let arrived = tokio::time::Instant::now();
    gateway.authenticate(&request, app.guards.get(gateway.name()))?;
    let (inbound, echo) = gateway.decode(&request)?;
    if matches!(inbound.event, crate::channel::Event::End(_)) {
        app.ussd(gateway.name(), hop_budget(deadline), inbound)
            .await?;
        return Ok(wire::response(gateway.acknowledge_end(&echo)));
    }
    let acknowledgement = gateway.acknowledge(&echo);
    // A resent request (the same body) while the first is being answered is acknowledged, not
    // run: it would apply the caller's input twice and push a second screen.
    let request_id = format!("{}:{:016x}", inbound.session_id, fingerprint(&request.body));
    if !pusher.claim(&request_id, arrived + deadline) {
        tracing::info!(session = %inbound.session_id, "resent request: being answered");
        return Ok(wire::response(acknowledgement));
    }
    tokio::spawn(async move {
        let phone = mask_msisdn(&inbound.phone);
        let session = inbound.session_id.clone();
        let answer = app
            .ussd(gateway.name(), hop_budget(deadline), inbound)
            .await;
        // The hop is done: the same request from now on is a new input (the caller may press
        // the same key on the screen about to be pushed) or a resend the session recognises.
        pusher.answered(&request_id);
        let reply = match answer {
            // A hop resent after its screen went out: that screen is not pushed twice.
            Ok(Some(answer)) if answer.repeated => {
                return tracing::info!(%session, %phone, "resent request: screen already pushed");
            }
            Ok(Some(answer)) => answer.reply,
            Ok(None) => return,
            Err(error) => {
                return tracing::error!(%session, %phone, %error, "hop failed; no screen to push");
            }
        };
        let push = gateway.push(&reply, &echo);
        match pusher.deliver(&push, arrived + deadline).await {
            Delivery::Delivered { attempts } => {
                tracing::debug!(%session, %phone, attempts, "screen pushed");
            }
            Delivery::Late => tracing::warn!(
                %session, %phone, elapsed = ?arrived.elapsed(), ?deadline,
                "screen ready after the deadline: dropped, not pushed"
            ),
            Delivery::Failed { attempts, error } => {
                tracing::error!(%session, %phone, attempts, %error, "screen not delivered");
            }
        }
    });
    Ok(wire::response(acknowledgement))
}

/// A request body's fingerprint, to know a resent request.
fn fingerprint(body: &[u8]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::hash::DefaultHasher::new();
    body.hash(&mut hasher);
    hasher.finish()
}

/// One voice request: authenticate, decode, run, render in the platform's XML.
async fn voice_request<G: VoiceGateway>(
    app: App,
    gateway: Arc<G>,
    request: WireRequest,
) -> Result<Response, ApiError> {
    gateway.authenticate(&request, app.guards.get(gateway.name()))?;
    let body = match gateway.decode(&request)? {
        VoiceRequest::Answer(body) => body,
        VoiceRequest::Hop(inbound) => {
            let urls = gateway.urls(&request);
            let tts = gateway.tts_languages();
            match app.voice(gateway.name(), tts, inbound.clone()).await? {
                Some(turn) => gateway.render(&turn, &urls, &inbound),
                None => gateway.render_end(),
            }
        }
    };
    Ok(wire::response(WireResponse {
        content_type: gateway.content_type(),
        body,
    }))
}
