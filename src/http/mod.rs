//! HTTP edge: one router per concern, assembled here, and the one place errors become
//! responses. Every gateway is served by the same generic handlers (`gateways.rs`), for each
//! gateway `gateway::register` declares; requests are read whole by `wire.rs`.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::gateway::GatewayError;
use crate::runner::App;
use crate::security::Refusal;
use crate::store::StoreError;

mod admin;
mod files;
mod gateways;
mod health;
mod sms;
mod studio;
mod wire;

pub use health::metrics_router;

/// Largest request body accepted: a USSD hop is a few hundred bytes.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

pub fn router(app: App) -> Router {
    let router = gateways::routes(&app.config)
        .merge(sms::routes())
        .merge(health::routes(&app.config))
        .merge(files::routes())
        .merge(admin::routes())
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(app.clone());
    crate::simulator::mount(router, app.config.clone())
}

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
