//! HTTP edge: routes, reading requests whole, and the one place errors become responses.
//! Every gateway is served by the same two generic handlers (USSD, voice), for each gateway
//! `gateway::register` declares.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequest, Multipart, Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};

use crate::gateway::vxml::VoiceXml;
use crate::gateway::{
    self, GatewayError, Part, Route, UssdGateway, VoiceGateway, VoiceRequest, WireRequest,
    WireResponse,
};
use crate::runner::App;
use crate::security::Refusal;
use crate::store::StoreError;

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

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match &self {
            ApiError::BadRequest(_) | ApiError::BadUpload(_) => StatusCode::BAD_REQUEST,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Unavailable(e) => {
                tracing::error!(error = %e, "store unavailable");
                StatusCode::SERVICE_UNAVAILABLE
            }
        };
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
struct GatewayRoutes(Router<App>);

impl gateway::Registry for GatewayRoutes {
    fn ussd<G: UssdGateway>(&mut self, gateway: G) {
        let routes = gateway.routes();
        let served = gateway_routes(gateway, routes, ussd_request::<G>);
        self.0 = std::mem::take(&mut self.0).merge(served);
    }

    fn voice<G: VoiceGateway>(&mut self, gateway: G) {
        let routes = gateway.routes();
        let served = gateway_routes(gateway, routes, voice_request::<G>);
        self.0 = std::mem::take(&mut self.0).merge(served);
    }
}

pub fn router(app: App) -> Router {
    let mut gateways = GatewayRoutes(Router::new());
    gateway::register(&mut gateways, &app.config);
    gateways
        .0
        .route("/recordings/{file}", get(files::recording))
        .route("/audio/{lang}/{file}", get(files::audio))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(app)
}

/// A gateway's routes, each read whole (within its own body limit) and answered by `serve`;
/// `GET` too where the route says so.
fn gateway_routes<G, S, F>(gateway: G, routes: &'static [Route], serve: S) -> Router<App>
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
                let request = read_wire(&app, peer, request, limit).await?;
                serve(app, gateway, request).await
            }
        };
        let mut method: MethodRouter<App> = post(handle.clone());
        if route.get {
            method = method.get(handle);
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
    request: WireRequest,
) -> Result<Response, ApiError> {
    gateway.authenticate(&request, app.guards.get(gateway.name()))?;
    let inbound = gateway.decode(&request)?;
    let answer = match app.ussd(gateway.name(), inbound).await? {
        Some(reply) => gateway.render(&reply),
        None => gateway.acknowledge_end(),
    };
    Ok(wire(answer))
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
