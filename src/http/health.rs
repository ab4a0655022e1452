//! Probes and metrics: `GET /healthz`, `GET /readyz`, and `GET /metrics`, on the main
//! listener or on a listener of its own (`metrics_listen`).

use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::plain;
use crate::config::Config;
use crate::runner::App;

/// The probes, and `GET /metrics` unless it has a listener of its own.
pub(super) fn routes(config: &Config) -> Router<App> {
    let router = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz));
    if config.metrics_listen.is_none() {
        return router.route("/metrics", get(metrics));
    }
    router
}

/// The router of a listener serving only `GET /metrics` (`metrics_listen`).
pub fn metrics_router(app: App) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .with_state(app)
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
