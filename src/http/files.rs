//! Files served as they are: recorded prompts, and recordings uploaded by VoiceXML platforms.

use std::net::SocketAddr;

use axum::Router;
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::{ApiError, wire};
use crate::gateway::VoiceGateway;
use crate::gateway::vxml::VoiceXml;
use crate::runner::App;

pub(super) fn routes() -> Router<App> {
    Router::new()
        .route("/recordings/{file}", get(recording))
        .route("/audio/{lang}/{file}", get(audio))
}

/// `GET /recordings/<file>`: a recording stored from an upload, to callers passing the
/// VoiceXML gateway's authentication.
async fn recording(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(file): Path<String>,
    request: Request,
) -> Result<Response, ApiError> {
    let request = wire::read(&app, peer, request, None).await?;
    VoiceXml.authenticate(&request, app.guards.get(VoiceXml.name()))?;
    // Only names we generate: nothing else under the folder is reachable.
    let content_type = crate::voice::recording::content_type(&file).ok_or(ApiError::NotFound)?;
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
async fn audio(
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
