//! The SMS gateways' callbacks: delivery reports and the messages customers send back.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;

use super::{ApiError, plain, wire};
use crate::gateway::{self, WireRequest};
use crate::runner::App;
use crate::sms::SmsGateway;
use crate::text::privacy::mask_msisdn;

/// The callbacks of every SMS gateway that takes them.
pub(super) fn routes() -> Router<App> {
    let mut router = Router::new();
    for sms in crate::sms::callback_decoders() {
        router = router.merge(sms_routes(sms));
    }
    router
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
                let request = wire::read(&app, peer, request, None).await?;
                sms_report(app, sms, request).await
            }
        }
    };
    let on_incoming = move |State(app): State<App>,
                            ConnectInfo(peer): ConnectInfo<SocketAddr>,
                            request: Request| {
        let sms = sms.clone();
        async move {
            let request = wire::read(&app, peer, request, None).await?;
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
