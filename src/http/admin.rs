//! Operators' endpoints, all behind the admin key ([`Admin`]): menu reload, the KPIs, and
//! the prompt recording studio (`studio.rs`).

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::{ApiError, plain, studio};
use crate::runner::App;
use crate::security::Refusal;

pub(super) fn routes() -> Router<App> {
    studio::routes()
        .route("/admin/kpis", get(kpis))
        .route("/admin/reload", post(reload))
}

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
async fn reload(State(app): State<App>, _admin: Admin) -> Response {
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

/// `GET /admin/kpis?from=YYYY-MM-DD&to=YYYY-MM-DD`: the KPI report's figures as JSON, the
/// same as `dalal report` computes.
async fn kpis(
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
