//! Requests read whole into a `gateway::WireRequest` (head, query, body or multipart parts,
//! within the route's body limit), and a gateway's `WireResponse` written back.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::{ApiError, MAX_BODY_BYTES};
use crate::gateway::{Part, WireRequest, WireResponse};
use crate::runner::App;

/// Fields of a multipart upload, at most (the body limit bounds their size).
const MAX_PARTS: usize = 64;

/// A gateway's answer, never cached on the way.
pub(super) fn response(answer: WireResponse) -> Response {
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

/// Reads a request whole: head, query, and the body (or its multipart fields). `limit` is the
/// route's own body limit when it has one (multipart uploads are refused above it before a
/// byte is read, when they say their size).
pub(super) async fn read(
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

/// Where the platform reaches us: the configured public URL, else this request's host.
fn base_url(app: &App, headers: &HeaderMap) -> String {
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
