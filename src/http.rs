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

/// Largest body of the one route that takes audio, the VoiceXML recording upload
/// ([`vxml::RECORDING_PATH`](crate::gateway::vxml::RECORDING_PATH)): a two-minute complaint in
/// 8 kHz 16-bit WAV is under 2 MiB.
pub const MAX_RECORDING_BYTES: usize = 8 * 1024 * 1024;

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
    #[error("payload too large: a recording upload is {MAX_RECORDING_BYTES} bytes at most")]
    TooLarge,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match &self {
            ApiError::BadRequest(_) | ApiError::BadUpload(_) => StatusCode::BAD_REQUEST,
            ApiError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
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

pub fn router(app: App) -> Router {
    Router::new()
        .route("/ussd/africastalking", post(africastalking_ussd))
        .route("/ussd/africastalking/events", post(africastalking_event))
        .route("/voice/africastalking", post(voice::africastalking))
        .route("/voice/twilio", post(voice::twilio))
        .route("/voice/twilio/status", post(voice::twilio))
        .route("/voice/vxml", get(voice::vxml).post(voice::vxml))
        .route(
            crate::gateway::vxml::RECORDING_PATH,
            // The only route with a body limit above MAX_BODY_BYTES (the innermost limit wins).
            post(voice::vxml_recording).layer(DefaultBodyLimit::max(MAX_RECORDING_BYTES)),
        )
        .route("/recordings/{file}", get(voice::recording))
        .route("/audio/{lang}/{file}", get(voice::audio))
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

/// Voice gateways and recorded prompts.
mod voice {
    use super::*;
    use crate::gateway::{CallCallback, at_voice, twiml, vxml};
    use crate::voice::Urls;
    use crate::voice::call::{VoiceEvent, VoiceTurnRequest};
    use axum::extract::Path;
    use axum::http::Uri;

    fn xml(body: String, content_type: &'static str) -> Response {
        (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, content_type),
                (header::CACHE_CONTROL, "no-store"),
            ],
            body,
        )
            .into_response()
    }

    /// Where the platform reaches us: the configured public URL, else this request's host.
    fn base(app: &App, headers: &HeaderMap) -> String {
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

    fn urls(app: &App, headers: &HeaderMap, path: &str) -> Urls {
        let base = base(app, headers);
        Urls {
            callback: format!("{base}{path}"),
            base,
        }
    }

    /// A voice platform that calls back with [`CallCallback`]s.
    struct Platform {
        gateway: &'static str,
        /// Languages its text-to-speech speaks.
        tts: &'static [&'static str],
        content_type: &'static str,
    }

    /// Answers one callback of a platform: the next turn of the call, rendered in its XML, or
    /// an empty response once the call is over (closing the interaction).
    async fn answer_call(
        app: &App,
        platform: Platform,
        request: CallCallback,
        render: impl FnOnce(&crate::voice::Turn) -> String,
    ) -> Result<Response, ApiError> {
        match request {
            CallCallback::Ended(end) => {
                app.voice_ended(&end).await?;
                Ok(xml(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>".into(),
                    platform.content_type,
                ))
            }
            CallCallback::Turn {
                session_id,
                phone,
                event,
            } => {
                let turn = app
                    .voice_turn(VoiceTurnRequest {
                        gateway: platform.gateway,
                        session_id,
                        phone,
                        event,
                        tts: platform.tts,
                    })
                    .await;
                Ok(xml(render(&turn), platform.content_type))
            }
        }
    }

    pub async fn africastalking(
        State(app): State<App>,
        ConnectInfo(peer): ConnectInfo<SocketAddr>,
        Query(query): Query<HashMap<String, String>>,
        headers: HeaderMap,
        body: Bytes,
    ) -> Result<Response, ApiError> {
        admit(&app, at_voice::NAME, &Caller::new(peer, &headers, &query))?;
        let event = query.get("event").map(String::as_str);
        let request = at_voice::parse(&body, event)?;
        let urls = urls(&app, &headers, "/voice/africastalking");
        let platform = Platform {
            gateway: at_voice::NAME,
            tts: at_voice::TTS_LANGUAGES,
            content_type: "application/xml",
        };
        answer_call(&app, platform, request, |turn| {
            at_voice::render(turn, &urls)
        })
        .await
    }

    pub async fn twilio(
        State(app): State<App>,
        Query(query): Query<HashMap<String, String>>,
        uri: Uri,
        headers: HeaderMap,
        body: Bytes,
    ) -> Result<Response, ApiError> {
        let base = base(&app, &headers);
        if let Some(token) = &app.config.voice.twilio_auth_token {
            let url = format!(
                "{base}{}",
                uri.path_and_query().map(|p| p.as_str()).unwrap_or("/")
            );
            let presented = headers
                .get("x-twilio-signature")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            let params = twiml::form_pairs(&body)?;
            if !twiml::verify(token, &url, &params, presented) {
                tracing::warn!("twilio signature mismatch");
                return Err(ApiError::Forbidden(Refusal::BadKey));
            }
        }
        let urls = Urls {
            callback: format!("{base}/voice/twilio"),
            base,
        };
        let event = query.get("event").map(String::as_str);
        let request = twiml::parse(&body, event)?;
        let platform = Platform {
            gateway: twiml::NAME,
            tts: twiml::TTS_LANGUAGES,
            content_type: "text/xml",
        };
        answer_call(&app, platform, request, |turn| twiml::render(turn, &urls)).await
    }

    /// Admits a request with the VoiceXML gateway's authentication (as `/voice/vxml`).
    fn admit_vxml(
        app: &App,
        peer: SocketAddr,
        headers: &HeaderMap,
        query: &[(String, String)],
    ) -> Result<(), Refusal> {
        let lookup: HashMap<String, String> = query.iter().cloned().collect();
        admit(app, vxml::NAME, &Caller::new(peer, headers, &lookup))
    }

    pub async fn vxml(
        State(app): State<App>,
        ConnectInfo(peer): ConnectInfo<SocketAddr>,
        Query(query): Query<Vec<(String, String)>>,
        headers: HeaderMap,
        body: Bytes,
    ) -> Result<Response, ApiError> {
        admit_vxml(&app, peer, &headers, &query)?;
        let mut params = query;
        let is_form = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
        if is_form && !body.is_empty() {
            params.extend(crate::gateway::twiml::form_pairs(&body)?);
        }
        vxml_answer(&app, &headers, params, None).await
    }

    /// `POST /voice/vxml/recording`: a `<record>` result, uploaded as `multipart/form-data`
    /// (the audio in the `recording` part, other parts as form fields). The recording is stored
    /// and filed as a ticket before the reply (which says its reference) is sent.
    pub async fn vxml_recording(
        State(app): State<App>,
        ConnectInfo(peer): ConnectInfo<SocketAddr>,
        Query(query): Query<Vec<(String, String)>>,
        headers: HeaderMap,
        request: axum::extract::Request,
    ) -> Result<Response, ApiError> {
        use axum::extract::{FromRequest, Multipart};
        admit_vxml(&app, peer, &headers, &query)?;
        // Refused before a byte of it is read when it says its size.
        let declared = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > MAX_RECORDING_BYTES as u64) {
            return Err(ApiError::TooLarge);
        }
        let mut multipart = Multipart::from_request(request, &app)
            .await
            .map_err(|_| ApiError::BadUpload("multipart/form-data expected".into()))?;
        let failed = |e: axum::extract::multipart::MultipartError| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::TooLarge
            } else {
                ApiError::BadUpload(e.body_text())
            }
        };
        let mut params = query;
        let mut audio: Option<Bytes> = None;
        while let Some(field) = multipart.next_field().await.map_err(failed)? {
            let name = field.name().unwrap_or_default().to_string();
            if name == "recording" {
                if audio.is_some() {
                    return Err(ApiError::BadUpload("more than one recording".into()));
                }
                audio = Some(field.bytes().await.map_err(failed)?);
            } else if field.file_name().is_some() {
                // Another file: read past it.
                field.bytes().await.map_err(failed)?;
            } else {
                let value = field.text().await.map_err(failed)?;
                if value.len() > 1024 || params.len() >= 64 {
                    return Err(ApiError::BadUpload(format!(
                        "field `{name}` too long or too many fields"
                    )));
                }
                params.push((name, value));
            }
        }
        let upload = audio
            .filter(|a| !a.is_empty())
            .map(|audio| crate::voice::recording::Upload { audio });
        vxml_answer(&app, &headers, params, Some(upload)).await
    }

    /// `GET /recordings/<file>`: a recording stored from an upload, to callers passing the
    /// VoiceXML gateway's authentication.
    pub async fn recording(
        State(app): State<App>,
        ConnectInfo(peer): ConnectInfo<SocketAddr>,
        Query(query): Query<Vec<(String, String)>>,
        headers: HeaderMap,
        Path(file): Path<String>,
    ) -> Result<Response, ApiError> {
        admit_vxml(&app, peer, &headers, &query)?;
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

    /// One VoiceXML request, parameters merged. `upload`: set on the recording route, with the
    /// audio if the request carried any.
    async fn vxml_answer(
        app: &App,
        headers: &HeaderMap,
        params: Vec<(String, String)>,
        upload: Option<Option<crate::voice::recording::Upload>>,
    ) -> Result<Response, ApiError> {
        let urls = urls(app, headers, "/voice/vxml");
        let new_id = || {
            use std::sync::atomic::{AtomicU64, Ordering};
            static NEXT: AtomicU64 = AtomicU64::new(1);
            format!(
                "vx{}{}",
                chrono::Utc::now().timestamp_micros(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            )
        };
        let body = match vxml::parse(&params, new_id)? {
            vxml::VoiceRequest::Bootstrap { session_id } => {
                vxml::render_bootstrap(&session_id, &urls)
            }
            vxml::VoiceRequest::Ended {
                session_id,
                phone,
                cause,
            } => {
                app.voice_ended(&crate::domain::SessionEnd {
                    gateway: vxml::NAME.into(),
                    session_id,
                    status: cause,
                    duration_ms: None,
                    hops_count: None,
                    input: None,
                    last_app_response: None,
                    error_message: None,
                    cost: None,
                    phone,
                    service_code: None,
                    network_code: None,
                    date: None,
                })
                .await?;
                vxml::render_exit()
            }
            vxml::VoiceRequest::Turn {
                session_id,
                phone,
                event,
            } => {
                let event = match upload {
                    None => event,
                    Some(Some(upload)) => VoiceEvent::Upload(upload),
                    // A recording submitted without audio: as if nothing was said.
                    Some(None) => VoiceEvent::NoInput,
                };
                let turn = app
                    .voice_turn(VoiceTurnRequest {
                        gateway: vxml::NAME,
                        session_id,
                        phone: phone.clone(),
                        event,
                        tts: vxml::TTS_LANGUAGES,
                    })
                    .await;
                vxml::render(&turn, &urls, &phone)
            }
        };
        Ok(xml(body, vxml::CONTENT_TYPE))
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
