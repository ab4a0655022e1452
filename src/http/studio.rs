//! The prompt recording studio: `GET /studio` lists, per language, the prompts that are
//! missing or only synthetic placeholders, with the text to read (the recording script of
//! `dalal prompts script`); a voice talent records each in the browser and uploads it to
//! `POST /admin/studio/prompts/<lang>/<id>` as PCM WAV (the page decodes the browser's
//! webm/opus itself: sox cannot read it). The recording is converted to the telephony formats
//! with sox, stored in the prompts folder, taken off the synthetic list, and said from the
//! next voice turn on.
//!
//! The page takes the admin key once in its URL (`/studio?key=...`), keeps it in the tab's
//! session storage, drops it from the address bar, and sends it as `X-Dalal-Admin-Key` on its
//! requests, which are behind [`Admin`] like every operator's endpoint.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path as FsPath, PathBuf};
use std::sync::Mutex;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;

use super::ApiError;
use super::admin::Admin;
use crate::runner::App;
use crate::security::Refusal;
use crate::voice::inventory;
use crate::voice::speech::PromptIndex;

/// Largest recording accepted, in bytes (a minute of 44.1 kHz mono PCM is about 5 MB).
pub const MAX_UPLOAD_BYTES: usize = 5 * 1024 * 1024;
/// Longest recording accepted, in seconds: a prompt is one short take.
pub const MAX_SECONDS: f64 = 60.0;

const PAGE: &str = include_str!("studio.html");

pub fn routes() -> Router<App> {
    Router::new()
        .route("/studio", get(page))
        .route("/admin/studio/prompts", get(list))
        .route(
            "/admin/studio/prompts/{lang}/{id}",
            // One more byte than the cap, so that an oversized body is told apart from a
            // cut one and refused with our 400.
            post(upload).layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES + 1)),
        )
}

/// `GET /studio?key=<admin key>`: the page (the key may also come as the header).
async fn page(
    State(app): State<App>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let presented = query.get("key").map(String::as_str).or_else(|| {
        headers
            .get("x-dalal-admin-key")
            .and_then(|v| v.to_str().ok())
    });
    if !crate::security::admin_allowed(app.config.admin_key.as_deref(), presented) {
        return Err(ApiError::Forbidden(Refusal::BadAdminKey));
    }
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            // The key is in this page's URL: never send it on as a referrer.
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        PAGE,
    )
        .into_response())
}

#[derive(Debug, Serialize)]
struct ToRecord {
    id: String,
    text: String,
    source: String,
    /// `missing` or `synthetic`.
    status: &'static str,
}

#[derive(Debug, Serialize)]
struct Language {
    lang: String,
    /// Prompts the language needs, recorded (real or placeholder), and real recordings.
    needed: usize,
    recorded: usize,
    real: usize,
    todo: Vec<ToRecord>,
}

#[derive(Debug, Serialize)]
struct Listing {
    languages: Vec<Language>,
    max_bytes: usize,
    max_seconds: f64,
}

/// Every language's prompts, as `dalal prompts` counts them, and what is left to record.
fn listing(app: &App, index: &PromptIndex) -> Listing {
    // The menu set served now (a reload may have changed what needs recording).
    let set = app.menus.current();
    let shapes = &set.shapes;
    let languages = set
        .catalog
        .languages
        .iter()
        .map(|lang| {
            let needed = inventory::needed(&set.menu, &set.catalog, shapes, lang);
            let mut out = Language {
                lang: lang.clone(),
                needed: needed.len(),
                recorded: 0,
                real: 0,
                todo: Vec::new(),
            };
            let mut seen = BTreeSet::new();
            for need in needed {
                if index.has(lang, &need.id) {
                    out.recorded += 1;
                }
                if inventory::is_real(index, lang, &need.id) {
                    out.real += 1;
                } else if seen.insert(need.id.clone()) {
                    out.todo.push(ToRecord {
                        status: if index.has(lang, &need.id) {
                            "synthetic"
                        } else {
                            "missing"
                        },
                        id: need.id,
                        text: need.text,
                        source: need.source,
                    });
                }
            }
            out
        })
        .collect();
    Listing {
        languages,
        max_bytes: MAX_UPLOAD_BYTES,
        max_seconds: MAX_SECONDS,
    }
}

/// `GET /admin/studio/prompts`: the recording script of every language, as JSON.
async fn list(_admin: Admin, State(app): State<App>) -> Response {
    let index = PromptIndex::shared(&app.config.voice.prompts_dir);
    json(StatusCode::OK, &listing(&app, &index))
}

fn json(status: StatusCode, value: &impl Serialize) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        serde_json::to_string(value).expect("serialisable"),
    )
        .into_response()
}

/// Seconds of audio in a PCM WAV, from its header; an error says why it is not one.
pub fn wav_seconds(bytes: &[u8]) -> Result<f64, String> {
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err("not a WAV file (RIFF/WAVE header missing)".into());
    }
    let le16 = |at: usize| u16::from_le_bytes([bytes[at], bytes[at + 1]]);
    let le32 =
        |at: usize| u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    let mut at = 12;
    let mut bytes_per_second = None;
    while at + 8 <= bytes.len() {
        let size = le32(at + 4) as usize;
        let body = at + 8;
        match &bytes[at..at + 4] {
            b"fmt " if body + 16 <= bytes.len() => {
                let channels = u32::from(le16(body + 2));
                let rate = le32(body + 4);
                let bits = u32::from(le16(body + 14));
                let rate = rate * channels * bits.div_ceil(8);
                if rate == 0 {
                    return Err("WAV header with no sample rate".into());
                }
                bytes_per_second = Some(rate);
            }
            b"data" => {
                let per_second = bytes_per_second.ok_or("WAV data before its format")?;
                // A streamed WAV may leave the size unset: count what is there.
                let len = size.min(bytes.len() - body);
                if len == 0 {
                    return Err("the recording is empty".into());
                }
                return Ok(len as f64 / f64::from(per_second));
            }
            _ => {}
        }
        at = body.saturating_add(size + size % 2);
    }
    Err("WAV without audio data".into())
}

#[derive(Debug, Serialize)]
struct Stored {
    lang: String,
    id: String,
    seconds: f64,
    wav: String,
    mp3: bool,
    real: usize,
    needed: usize,
}

/// One studio write at a time: the synthetic list is rewritten whole.
static WRITING: Mutex<()> = Mutex::new(());

/// Converts and stores one recording; temporary files never stay behind.
fn store(prompts_dir: &FsPath, lang: &str, id: &str, audio: &[u8]) -> anyhow::Result<bool> {
    let _guard = WRITING.lock().unwrap_or_else(|e| e.into_inner());
    let lang_dir = prompts_dir.join(lang);
    std::fs::create_dir_all(&lang_dir)?;
    let temp = |suffix: &str| -> PathBuf { lang_dir.join(format!(".studio-{id}.{suffix}")) };
    let (upload, wav, mp3) = (temp("upload.wav"), temp("wav"), temp("mp3"));
    let result = (|| -> anyhow::Result<bool> {
        std::fs::write(&upload, audio)?;
        let with_mp3 = inventory::sox_writes_mp3(&lang_dir);
        inventory::to_telephony(&upload, &wav, with_mp3)?;
        std::fs::rename(&wav, lang_dir.join(format!("{id}.wav")))?;
        let final_mp3 = lang_dir.join(format!("{id}.mp3"));
        if with_mp3 {
            std::fs::rename(&mp3, &final_mp3)?;
        } else {
            // A placeholder's MP3 would otherwise still be played on Africa's Talking.
            let _ = std::fs::remove_file(&final_mp3);
        }
        inventory::unmark_synthetic(&lang_dir, id)?;
        Ok(with_mp3)
    })();
    for path in [upload, wav, mp3] {
        let _ = std::fs::remove_file(path);
    }
    result
}

/// `POST /admin/studio/prompts/<lang>/<id>`, body a PCM WAV: converted, stored, and said from
/// the next voice turn on.
async fn upload(
    _admin: Admin,
    State(app): State<App>,
    Path((lang, id)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let set = app.menus.current();
    if !set.catalog.languages.contains(&lang) {
        return Err(ApiError::NotFound);
    }
    // Only ids of the inventory: nothing else is ever written under the prompts folder.
    if !inventory::needed(&set.menu, &set.catalog, &set.shapes, &lang)
        .iter()
        .any(|n| n.id == id)
    {
        return Err(ApiError::NotFound);
    }
    let body = body.map_err(|_| {
        ApiError::BadUpload(format!(
            "the recording is larger than {} MB",
            MAX_UPLOAD_BYTES / (1024 * 1024)
        ))
    })?;
    if body.len() > MAX_UPLOAD_BYTES {
        return Err(ApiError::BadUpload(format!(
            "the recording is larger than {} MB",
            MAX_UPLOAD_BYTES / (1024 * 1024)
        )));
    }
    let seconds = wav_seconds(&body).map_err(ApiError::BadUpload)?;
    if seconds > MAX_SECONDS {
        return Err(ApiError::BadUpload(format!(
            "the recording lasts {seconds:.0} s, more than {MAX_SECONDS:.0} s"
        )));
    }
    let dir = app.config.voice.prompts_dir.clone();
    let (l, i) = (lang.clone(), id.clone());
    let mp3 = tokio::task::spawn_blocking(move || store(&dir, &l, &i, &body))
        .await
        .map_err(|e| ApiError::BadUpload(format!("conversion stopped: {e}")))?
        .map_err(|e| {
            tracing::warn!(%lang, %id, error = %e, "studio recording refused");
            ApiError::BadUpload(format!("sox could not convert the recording: {e}"))
        })?;
    let index = PromptIndex::refresh(&app.config.voice.prompts_dir);
    let coverage = listing(&app, &index);
    let mine = coverage.languages.iter().find(|l| l.lang == lang);
    tracing::info!(%lang, %id, seconds, mp3, "studio recording stored");
    Ok(json(
        StatusCode::OK,
        &Stored {
            wav: format!("/audio/{lang}/{id}.wav"),
            real: mine.map_or(0, |l| l.real),
            needed: mine.map_or(0, |l| l.needed),
            lang,
            id,
            seconds,
            mp3,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wav(rate: u32, channels: u16, data: usize) -> Vec<u8> {
        let mut out = b"RIFF\0\0\0\0WAVEfmt ".to_vec();
        out.extend(16u32.to_le_bytes());
        out.extend(1u16.to_le_bytes());
        out.extend(channels.to_le_bytes());
        out.extend(rate.to_le_bytes());
        out.extend((rate * u32::from(channels) * 2).to_le_bytes());
        out.extend((channels * 2).to_le_bytes());
        out.extend(16u16.to_le_bytes());
        out.extend(b"data");
        out.extend((data as u32).to_le_bytes());
        out.extend(vec![0u8; data]);
        out
    }

    #[test]
    fn wav_length_from_the_header() {
        assert_eq!(wav_seconds(&wav(8000, 1, 16000)), Ok(1.0));
        assert_eq!(wav_seconds(&wav(48000, 2, 96000)), Ok(0.5));
        assert!(wav_seconds(b"not audio at all").is_err());
        assert!(wav_seconds(&wav(8000, 1, 0)).is_err());
        assert!(wav_seconds(&wav(0, 1, 10)).is_err());
    }
}
