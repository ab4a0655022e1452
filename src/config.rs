//! Configuration: embedded defaults need nothing; a TOML file (`--config`) and environment
//! variables override them.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub listen: String,
    /// `sqlite:<file>` (embedded default) or `postgres://user@host/db` (production).
    pub database_url: String,
    /// `redis://host:port/` for sessions shared by every instance; unset = in-process store.
    pub redis_url: Option<String>,
    /// Prefix of every session key in Redis (several deployments can share one Redis).
    pub redis_key_prefix: String,
    pub menus_dir: PathBuf,
    pub locales_dir: PathBuf,
    /// Language of screens shown before the caller chose one, and the last fallback.
    pub default_language: String,
    /// Fallback languages per language, tried in order when a message is missing.
    pub fallbacks: HashMap<String, Vec<String>>,
    /// Seconds a USSD session lives without a hop (Africa's Talking: 180 s).
    pub session_ttl_secs: u64,
    /// Spell USSD pages in GSM-7 only (keeps the 182-character page for French and Wolof).
    pub transliterate: bool,
    /// Hours to resolve a ticket, per category.
    pub sla_hours: BTreeMap<String, i64>,
    /// Wrong account/meter answers allowed per session before bill access is refused.
    pub max_verify_attempts: i64,
    /// Wrong account/meter answers allowed per phone per hour, across sessions.
    pub max_verify_failures_per_hour: i64,
    /// Hops allowed per phone number per minute (0 = no limit).
    pub rate_limit_per_minute: u32,
    /// Caller authentication per gateway (e.g. `[gateways.africastalking] secret = "..."`).
    pub gateways: BTreeMap<String, crate::security::GatewayAuth>,
}

impl Default for Config {
    fn default() -> Self {
        let sla_hours = [
            ("outage", 24),
            ("billing_dispute", 240),
            ("meter_fault", 72),
            ("new_connection", 360),
            ("quality_of_service", 120),
            ("reconnection", 24),
            ("other", 168),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let fallbacks = [("wo", vec!["fr"]), ("sw", vec!["en"]), ("fr", vec!["en"])]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.into_iter().map(String::from).collect()))
            .collect();
        Config {
            listen: "127.0.0.1:8080".into(),
            database_url: "sqlite:dalal.db".into(),
            redis_url: None,
            redis_key_prefix: "dalal:".into(),
            menus_dir: "menus".into(),
            locales_dir: "locales".into(),
            default_language: "fr".into(),
            fallbacks,
            session_ttl_secs: 180,
            transliterate: false,
            sla_hours,
            max_verify_attempts: 3,
            max_verify_failures_per_hour: 6,
            rate_limit_per_minute: 60,
            gateways: BTreeMap::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: {message}")]
    File { path: PathBuf, message: String },
}

impl Config {
    /// Defaults, then the TOML file if given, then `DALAL_*` / `DATABASE_URL` variables.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        let mut config = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
                    path: path.to_path_buf(),
                    message: e.to_string(),
                })?;
                toml::from_str(&text).map_err(|e| ConfigError::File {
                    path: path.to_path_buf(),
                    message: e.to_string(),
                })?
            }
            None => Config::default(),
        };
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        if let Some(v) = env("DATABASE_URL") {
            config.database_url = v;
        }
        if let Some(v) = env("REDIS_URL") {
            config.redis_url = Some(v);
        }
        if let Some(v) = env("DALAL_REDIS_KEY_PREFIX") {
            config.redis_key_prefix = v;
        }
        if let Some(v) = env("DALAL_LISTEN") {
            config.listen = v;
        }
        if let Some(v) = env("DALAL_MENUS_DIR") {
            config.menus_dir = v.into();
        }
        if let Some(v) = env("DALAL_LOCALES_DIR") {
            config.locales_dir = v.into();
        }
        // Secrets come from the environment so they stay out of files and logs.
        if let Some(v) = env("DALAL_AFRICASTALKING_KEY") {
            config
                .gateways
                .entry("africastalking".into())
                .or_default()
                .secret = Some(v);
        }
        Ok(config)
    }

    pub fn sla_hours(&self, category: &str) -> i64 {
        self.sla_hours.get(category).copied().unwrap_or(168)
    }
}
