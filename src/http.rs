//! HTTP edge: routes, body limits, and the one place errors become responses.

use axum::Router;
use axum::body::Bytes;
use std::collections::HashMap;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::gateway::{GatewayError, africastalking};
use crate::security::Refusal;
use crate::service::{App, HopInput, UssdHop};
use crate::store::StoreError;

/// Largest request body accepted: a USSD hop is a few hundred bytes.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Forbidden(#[from] Refusal),
    #[error(transparent)]
    BadRequest(#[from] GatewayError),
    #[error("store unavailable")]
    Unavailable(#[from] StoreError),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match &self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
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

pub fn router(app: App) -> Router {
    Router::new()
        .route("/ussd/africastalking", post(africastalking_ussd))
        .route("/ussd/africastalking/events", post(africastalking_event))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(app)
}

/// Header a gateway may carry its shared secret in (else `?key=` on the callback URL).
pub const KEY_HEADER: &str = "x-dalal-key";

/// Applies a gateway's authentication rules to a request.
fn admit(app: &App, gateway: &str, caller: &Caller) -> Result<(), Refusal> {
    match app.guards.get(gateway) {
        None => Ok(()),
        Some(guard) => guard.admit(caller.key.as_deref(), Some(caller.peer.ip())),
    }
}

/// Where a request came from and the key it presented.
struct Caller {
    peer: SocketAddr,
    key: Option<String>,
}

impl Caller {
    fn new(peer: SocketAddr, headers: &HeaderMap, query: &HashMap<String, String>) -> Self {
        let header = headers
            .get(KEY_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        Caller {
            peer,
            key: header.or_else(|| query.get("key").cloned()),
        }
    }
}

async fn africastalking_ussd(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    admit(
        &app,
        africastalking::NAME,
        &Caller::new(peer, &headers, &query),
    )?;
    let request = africastalking::parse_ussd(&body)?;
    let reply = app
        .ussd_hop(UssdHop {
            gateway: africastalking::NAME,
            session_id: request.session_id,
            phone: request.phone,
            service_code: request.service_code,
            input: HopInput::Cumulative(request.text),
        })
        .await;
    Ok(plain(
        StatusCode::OK,
        africastalking::render_ussd(&reply.text, reply.end),
    ))
}

async fn africastalking_event(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    admit(
        &app,
        africastalking::NAME,
        &Caller::new(peer, &headers, &query),
    )?;
    let end = africastalking::parse_event(&body)?;
    app.session_ended(&end).await?;
    Ok(plain(StatusCode::OK, "OK\n".into()))
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
