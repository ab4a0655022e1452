//! HTTP edge: routes, body limits, and the one place errors become responses.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::gateway::{GatewayError, africastalking};
use crate::service::{App, HopInput, UssdHop};
use crate::store::StoreError;

/// Largest request body accepted: a USSD hop is a few hundred bytes.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    BadRequest(#[from] GatewayError),
    #[error("store unavailable")]
    Unavailable(#[from] StoreError),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match &self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
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

async fn africastalking_ussd(State(app): State<App>, body: Bytes) -> Result<Response, ApiError> {
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

async fn africastalking_event(State(app): State<App>, body: Bytes) -> Result<Response, ApiError> {
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
