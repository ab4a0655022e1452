//! `dalal reload`: asks a running server to read its menus, translations and prompts again
//! (`POST /admin/reload`, with the admin key), and says what it answered.

use std::time::Duration;

/// Why a reload was not done.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    #[error("no admin key: set DALAL_ADMIN_KEY (or admin_key in the configuration)")]
    NoKey,
    #[error("{url}: {source}")]
    Request {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("the server refused the admin key (403)")]
    Forbidden,
    #[error("the new menus fail the checks; the server keeps the menus it serves:\n{0}")]
    Refused(String),
    #[error("the server answered {status}: {body}")]
    Other { status: u16, body: String },
}

/// Reloads the server at `base_url`; returns what it answered (the versions, as JSON).
pub async fn run(base_url: &str, key: Option<&str>) -> Result<String, ReloadError> {
    let key = key.filter(|k| !k.is_empty()).ok_or(ReloadError::NoKey)?;
    let url = format!("{}/admin/reload", base_url.trim_end_matches('/'));
    let failed = |source| ReloadError::Request {
        url: url.clone(),
        source,
    };
    // Checking a whole menu takes a moment; far less than this.
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .map_err(failed)?;
    let response = client
        .post(&url)
        .header("X-Dalal-Admin-Key", key)
        .send()
        .await
        .map_err(failed)?;
    let status = response.status().as_u16();
    let body = response.text().await.map_err(failed)?;
    match status {
        200 => Ok(body),
        403 => Err(ReloadError::Forbidden),
        422 => Err(ReloadError::Refused(problems(&body))),
        _ => Err(ReloadError::Other { status, body }),
    }
}

/// The problems of a 422 answer, one per line (the body as it is if it is not the JSON
/// expected).
fn problems(body: &str) -> String {
    let parsed: Option<Vec<String>> = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| serde_json::from_value(v.get("problems")?.clone()).ok());
    match parsed {
        Some(lines) => lines.join("\n"),
        None => body.to_string(),
    }
}
