//! HTTP edge: routes, reading requests whole, and the one place errors become responses.
//! Every gateway is served by the same two generic handlers (USSD, voice), for each gateway
//! `gateway::register` declares.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequest, Multipart, Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};

use crate::gateway::vxml::VoiceXml;
use crate::gateway::{
    self, GatewayError, Part, PushGateway, Route, UssdGateway, VoiceGateway, VoiceRequest,
    WireRequest, WireResponse, mask_msisdn,
};
use crate::push::{Delivery, Pusher};
use crate::runner::{App, hop_budget};
use crate::security::Refusal;
use crate::sms::SmsGateway;
use crate::store::StoreError;

mod studio;

/// Largest request body accepted: a USSD hop is a few hundred bytes.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Fields of a multipart upload, at most (the body limit bounds their size).
const MAX_PARTS: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Forbidden(#[from] Refusal),
    #[error(transparent)]
    BadRequest(#[from] GatewayError),
    #[error("store unavailable")]
    Unavailable(#[from] StoreError),
    #[error("not found")]
    NotFound,
    #[error("bad upload: {0}")]
    BadUpload(String),
    #[error("payload too large: this route accepts {0} bytes at most")]
    TooLarge(usize),
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) | ApiError::BadUpload(_) => StatusCode::BAD_REQUEST,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let ApiError::Unavailable(e) = &self {
            tracing::error!(error = %e, "store unavailable");
        }
        plain(status, format!("{self}\n"))
    }
}

fn plain(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body,
    )
        .into_response()
}

fn wire(answer: WireResponse) -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, answer.content_type),
            (header::CACHE_CONTROL, "no-store"),
        ],
        answer.body,
    )
        .into_response()
}

/// Collects the routes of every gateway `gateway::register` declares.
struct GatewayRoutes<'a> {
    router: Router<App>,
    config: &'a crate::config::Config,
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

pub fn router(app: App) -> Router {
    let mut gateways = GatewayRoutes {
        router: Router::new(),
        config: &app.config,
    };
    gateway::register(&mut gateways, &app.config);
    let mut router = gateways.router;
    for sms in crate::sms::callback_decoders() {
        router = router.merge(sms_routes(sms));
    }
    if app.config.metrics_listen.is_none() {
        router = router.route("/metrics", get(metrics));
    }
    let router = router
        .route("/recordings/{file}", get(files::recording))
        .route("/audio/{lang}/{file}", get(files::audio))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .merge(studio::routes())
        .route("/admin/kpis", get(kpis::kpis))
        .route("/admin/reload", post(admin_reload))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(app.clone());
    crate::simulator::mount(router, app.config.clone())
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
                let answer = match read_wire(&app, peer, request, limit).await {
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
    Ok(wire(answer))
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
        return Ok(wire(gateway.acknowledge_end(&echo)));
    }
    let acknowledgement = gateway.acknowledge(&echo);
    // A resent request (the same body) while the first is being answered is acknowledged, not
    // run: it would apply the caller's input twice and push a second screen.
    let request_id = format!("{}:{:016x}", inbound.session_id, fingerprint(&request.body));
    if !pusher.claim(&request_id, arrived + deadline) {
        tracing::info!(session = %inbound.session_id, "resent request: being answered");
        return Ok(wire(acknowledgement));
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
    Ok(wire(acknowledgement))
}

/// An SMS gateway's callbacks: delivery reports and incoming messages, by `GET` or `POST`.
fn sms_routes(sms: Arc<dyn SmsGateway>) -> Router<App> {
    let (report_path, incoming_path) = (sms.report_path(), sms.incoming_path());
    let on_report = {
        let sms = sms.clone();
        move |State(app): State<App>,
              ConnectInfo(peer): ConnectInfo<SocketAddr>,
              request: Request| {
            let sms = sms.clone();
            async move {
                let request = read_wire(&app, peer, request, None).await?;
                sms_report(app, sms, request).await
            }
        }
    };
    let on_incoming = move |State(app): State<App>,
                            ConnectInfo(peer): ConnectInfo<SocketAddr>,
                            request: Request| {
        let sms = sms.clone();
        async move {
            let request = read_wire(&app, peer, request, None).await?;
            sms_incoming(app, sms, request).await
        }
    };
    Router::new()
        .route(report_path, post(on_report.clone()).get(on_report))
        .route(incoming_path, post(on_incoming.clone()).get(on_incoming))
}

/// A delivery report: recorded against its message; `404` when it names none of ours.
async fn sms_report(
    app: App,
    sms: Arc<dyn SmsGateway>,
    request: WireRequest,
) -> Result<Response, ApiError> {
    gateway::admit_by_key(&request, app.guards.get(sms.name()))?;
    let report = sms.decode_report(&request)?;
    if !app.notifier.delivery(&report).await? {
        tracing::warn!(gateway = sms.name(), message = ?report.message, "delivery report for no message of ours");
        return Err(ApiError::NotFound);
    }
    Ok(plain(StatusCode::OK, sms.acknowledge().to_string()))
}

/// A message from a customer: a survey answer or `STOP`.
async fn sms_incoming(
    app: App,
    sms: Arc<dyn SmsGateway>,
    request: WireRequest,
) -> Result<Response, ApiError> {
    gateway::admit_by_key(&request, app.guards.get(sms.name()))?;
    let message = sms.decode_incoming(&request)?;
    let reply = app.notifier.incoming(&message).await?;
    tracing::info!(gateway = sms.name(), phone = %mask_msisdn(&message.from), ?reply, "SMS received");
    Ok(plain(StatusCode::OK, sms.acknowledge().to_string()))
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
    Ok(wire(WireResponse {
        content_type: gateway.content_type(),
        body,
    }))
}

/// Where the platform reaches us: the configured public URL, else this request's host.
fn base_url(app: &App, headers: &axum::http::HeaderMap) -> String {
    match &app.config.voice.public_url {
        Some(url) => url.trim_end_matches('/').to_string(),
        None => {
            let host = headers
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("localhost");
            format!("http://{host}")
        }
    }
}

/// Reads a request whole: head, query, and the body (or its multipart fields). `limit` is the
/// route's own body limit when it has one (multipart uploads are refused above it before a
/// byte is read, when they say their size).
async fn read_wire(
    app: &App,
    peer: SocketAddr,
    request: Request,
    limit: Option<usize>,
) -> Result<WireRequest, ApiError> {
    let uri = request.uri().clone();
    let query: Vec<(String, String)> = uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let headers = request.headers().clone();
    let mut wire = WireRequest {
        peer,
        method: request.method().clone(),
        path: uri.path().to_string(),
        path_and_query: uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/")
            .to_string(),
        base_url: base_url(app, &headers),
        headers,
        query,
        body: Bytes::new(),
        parts: Vec::new(),
    };
    if wire.is_multipart() {
        wire.parts = read_parts(app, request, limit.unwrap_or(MAX_BODY_BYTES)).await?;
    } else {
        wire.body = Bytes::from_request(request, app)
            .await
            .map_err(|e| match e.status() {
                StatusCode::PAYLOAD_TOO_LARGE => {
                    ApiError::TooLarge(limit.unwrap_or(MAX_BODY_BYTES))
                }
                _ => ApiError::BadUpload(e.body_text()),
            })?;
    }
    Ok(wire)
}

async fn read_parts(app: &App, request: Request, limit: usize) -> Result<Vec<Part>, ApiError> {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(ApiError::TooLarge(limit));
    }
    let mut multipart = Multipart::from_request(request, app)
        .await
        .map_err(|_| ApiError::BadUpload("multipart/form-data expected".into()))?;
    let failed = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge(limit)
        } else {
            ApiError::BadUpload(e.body_text())
        }
    };
    let mut parts = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(failed)? {
        let name = field.name().unwrap_or_default().to_string();
        if parts.len() >= MAX_PARTS {
            return Err(ApiError::BadUpload(format!(
                "too many fields (at most {MAX_PARTS})"
            )));
        }
        let file_name = field.file_name().map(str::to_string);
        let data = field.bytes().await.map_err(failed)?;
        parts.push(Part {
            name,
            file_name,
            data,
        });
    }
    Ok(parts)
}

async fn healthz() -> Response {
    plain(StatusCode::OK, "ok\n".into())
}

async fn readyz(State(app): State<App>) -> Response {
    let crm = app.crm.ping().await;
    let sessions = app.sessions.ping().await;
    match (crm, sessions) {
        (Ok(()), Ok(())) => plain(StatusCode::OK, "ready\n".into()),
        (crm, sessions) => plain(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "not ready: database {}, sessions {}\n",
                if crm.is_ok() { "ok" } else { "down" },
                if sessions.is_ok() { "ok" } else { "down" }
            ),
        ),
    }
}

/// Files served as they are: recorded prompts, and recordings uploaded by VoiceXML platforms.
/// An operator's request: extracting it checks the admin key (`X-Dalal-Admin-Key`, or
/// `Authorization: Bearer <key>`); a handler taking `Admin` is never run without it.
pub struct Admin;

impl axum::extract::FromRequestParts<App> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        app: &App,
    ) -> Result<Admin, ApiError> {
        let header = |name| parts.headers.get(name).and_then(|v| v.to_str().ok());
        let presented = header("x-dalal-admin-key").or_else(|| {
            header(header::AUTHORIZATION.as_str()).and_then(|v| v.strip_prefix("Bearer "))
        });
        if crate::security::admin_allowed(app.config.admin_key.as_deref(), presented) {
            Ok(Admin)
        } else {
            Err(ApiError::Forbidden(Refusal::BadAdminKey))
        }
    }
}

/// `POST /admin/reload` (admin key): menus, translations and prompts read again. 200 with
/// the version now served (and the one before); 422 with every problem (`file:line:
/// message`) when the new files fail the checks, the menus served staying as they were.
async fn admin_reload(State(app): State<App>, _admin: Admin) -> Response {
    match app.reload_menus().await {
        Ok(reloaded) => {
            let body = serde_json::json!({
                "version": reloaded.version,
                "previous": reloaded.previous,
                "unchanged": reloaded.unchanged,
                "kept": app.menus.versions(),
            });
            (StatusCode::OK, axum::Json(body)).into_response()
        }
        Err(problems) => {
            let body = serde_json::json!({
                "error": "the new menus fail the checks: the menus served stay as they were",
                "version": app.menus.current().version,
                "problems": problems,
            });
            (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(body)).into_response()
        }
    }
}

mod files {
    use super::*;

    /// `GET /recordings/<file>`: a recording stored from an upload, to callers passing the
    /// VoiceXML gateway's authentication.
    pub async fn recording(
        State(app): State<App>,
        ConnectInfo(peer): ConnectInfo<SocketAddr>,
        Path(file): Path<String>,
        request: Request,
    ) -> Result<Response, ApiError> {
        let request = read_wire(&app, peer, request, None).await?;
        VoiceXml.authenticate(&request, app.guards.get(VoiceXml.name()))?;
        // Only names we generate: nothing else under the folder is reachable.
        let content_type =
            crate::voice::recording::content_type(&file).ok_or(ApiError::NotFound)?;
        let path = app.config.voice.recordings_dir.join(&file);
        let bytes = tokio::fs::read(&path)
            .await
            .map_err(|_| ApiError::NotFound)?;
        Ok((
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, content_type),
                (header::CACHE_CONTROL, "private, no-store"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            bytes,
        )
            .into_response())
    }

    /// `GET /audio/<lang>/<prompt-id>.wav|.mp3`: a recorded prompt, cacheable.
    pub async fn audio(
        State(app): State<App>,
        Path((lang, file)): Path<(String, String)>,
    ) -> Result<Response, ApiError> {
        let lang_ok = (2..=3).contains(&lang.len()) && lang.bytes().all(|b| b.is_ascii_lowercase());
        let (id, content_type) = match (file.strip_suffix(".wav"), file.strip_suffix(".mp3")) {
            (Some(id), _) => (id, "audio/wav"),
            (_, Some(id)) => (id, "audio/mpeg"),
            _ => return Err(ApiError::NotFound),
        };
        let id_ok = !id.is_empty()
            && !id.starts_with('.')
            && id.bytes().all(|b| {
                b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || b == b'-'
                    || b == b'.'
                    || b.is_ascii_uppercase()
            });
        if !lang_ok || !id_ok || id.contains("..") {
            return Err(ApiError::NotFound);
        }
        let path = app.config.voice.prompts_dir.join(&lang).join(&file);
        let bytes = tokio::fs::read(&path)
            .await
            .map_err(|_| ApiError::NotFound)?;
        Ok((
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, content_type),
                (header::CACHE_CONTROL, "public, max-age=86400"),
            ],
            bytes,
        )
            .into_response())
    }
}

/// `GET /metrics`: the Prometheus text exposition. The SMS outbox's depth is counted now, from
/// the database (every instance sees the same table).
async fn metrics(State(app): State<App>) -> Response {
    let depth = tokio::time::timeout(Duration::from_secs(2), app.notifier.outbox.depth()).await;
    match depth {
        Ok(Ok(depth)) => app.metrics.outbox_depth(&depth),
        Ok(Err(error)) => {
            tracing::warn!(%error, "SMS outbox depth not counted");
            app.metrics.store_error("crm");
        }
        Err(_) => tracing::warn!("SMS outbox depth not counted in time"),
    }
    (
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        app.metrics.render(),
    )
        .into_response()
}

/// The router of a listener serving only `GET /metrics` (`metrics_listen`).
pub fn metrics_router(app: App) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .with_state(app)
}

mod kpis {
    use std::collections::HashMap;

    use axum::extract::Query;

    use super::*;

    /// `GET /admin/kpis?from=YYYY-MM-DD&to=YYYY-MM-DD`: the KPI report's figures as JSON, the
    /// same as `dalal report` computes.
    pub async fn kpis(
        State(app): State<App>,
        _admin: Admin,
        Query(query): Query<HashMap<String, String>>,
    ) -> Result<Response, ApiError> {
        let bound = |name: &str| query.get(name).map(String::as_str).unwrap_or_default();
        let range = match crate::report::Range::parse(bound("from"), bound("to")) {
            Ok(range) => range,
            Err(e) => return Ok(plain(StatusCode::BAD_REQUEST, format!("{e}\n"))),
        };
        let kpis = crate::store::report::kpis(
            &*app.reports,
            range,
            app.config.report.fcr_days,
            chrono::Utc::now(),
        )
        .await?;
        Ok((
            [(header::CACHE_CONTROL, "private, no-store")],
            axum::Json(kpis),
        )
            .into_response())
    }
}
