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
    /// Seconds between two sweeps recording the sessions callers abandoned (their interaction
    /// record is written once the session's TTL runs out).
    pub expiry_sweep_secs: u64,
    /// Seconds within which a caller whose session dropped mid-way (no last screen sent, or a
    /// call hung up on a menu) is offered to continue where they left off when they dial or
    /// call again, on USSD and voice (default 120; 0 = never).
    pub resume_secs: u64,
    /// Spell USSD pages in GSM-7 only (keeps the 182-character page for French and Wolof).
    pub transliterate: bool,
    /// Hours to resolve a ticket, per category.
    pub sla_hours: BTreeMap<String, i64>,
    /// Wrong account/meter answers allowed per session before bill access is refused.
    pub max_verify_attempts: i64,
    /// Wrong account/meter answers allowed per phone per hour, across sessions.
    pub max_verify_failures_per_hour: i64,
    /// Outage reports (tickets) from one area and service within `storm_window_secs`, with no
    /// known outage, that open one suspected outage incident (0 = never).
    pub storm_threshold: i64,
    pub storm_window_secs: i64,
    /// Seconds an area's outage list is cached.
    pub area_cache_secs: u64,
    /// Hops allowed per phone number per minute (0 = no limit).
    pub rate_limit_per_minute: u32,
    /// Per gateway: caller authentication, the network's country, deadline, outbound URL
    /// (e.g. `[gateways.hubtel] secret = "..."`).
    pub gateways: BTreeMap<String, GatewaySettings>,
    /// Voice IVR: key timeouts, staffed hours, public URLs, audio prompts.
    pub voice: VoiceConfig,
    /// SMS to customers: the gateway, the pace, quiet hours, notices, escalation, survey.
    pub sms: SmsConfig,
    /// Meter readings callers send: what is refused as implausible.
    pub readings: ReadingsConfig,
    /// The key the operators' endpoints (`/admin/...`) require, in the `X-Dalal-Admin-Key`
    /// header or as `Authorization: Bearer <key>`. Environment only: `DALAL_ADMIN_KEY`. Unset:
    /// every admin endpoint answers 403.
    pub admin_key: Option<String>,
    /// Where `GET /metrics` (Prometheus) is served on a listener of its own, e.g.
    /// `127.0.0.1:9100`, so it need not be public; unset: on the main listener.
    /// Environment: `DALAL_METRICS_LISTEN`.
    pub metrics_listen: Option<String>,
    /// The KPI report (`dalal report`, `GET /admin/kpis`).
    pub report: ReportConfig,
    /// The web phone simulator at `/simulator`: unset = on for the embedded demo (SQLite, no
    /// Redis), off otherwise. On a non-loopback `listen` it needs the Africa's Talking USSD and
    /// voice secrets set, or `dalal serve` refuses to start (env `DALAL_SIMULATOR`).
    pub simulator: Option<bool>,
}

/// `[report]`: how the KPI report judges what it counts.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReportConfig {
    /// A contact is resolved at first contact when the same account (or phone, without one)
    /// does not come back on the same topic within this many days.
    pub fcr_days: i64,
}

impl Default for ReportConfig {
    fn default() -> Self {
        ReportConfig {
            fcr_days: crate::report::DEFAULT_FCR_DAYS,
        }
    }
}

/// `[readings]`: a self-reading above the last index plus `max_factor` times the usual use
/// since then is refused as implausible (a typo, an extra digit).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReadingsConfig {
    /// How many times the account's usual use a reading may show (the usual use: the
    /// average daily rise of its readings on record).
    pub max_factor: f64,
    /// Units a day taken as the usual use when the account has fewer than two readings.
    pub default_daily_use: f64,
}

impl Default for ReadingsConfig {
    fn default() -> Self {
        ReadingsConfig {
            max_factor: 3.0,
            default_daily_use: 20.0,
        }
    }
}

/// `[sms]`: everything optional. With no `gateway`, messages are queued in the outbox (and
/// shown to CRM staff) but nothing is sent.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmsConfig {
    /// `kannel` or `africastalking`; unset = queue only.
    pub gateway: Option<String>,
    /// Kannel's sendsms URL (`http://127.0.0.1:13013/cgi-bin/sendsms`).
    pub kannel_url: Option<String>,
    pub kannel_username: Option<String>,
    /// Environment only: `DALAL_KANNEL_PASSWORD`.
    pub kannel_password: Option<String>,
    /// Africa's Talking: the account's username and API URL (the sandbox's for tests). Its
    /// API key is `[gateways.africastalking] api_key`, from `DALAL_AFRICASTALKING_API_KEY`.
    pub africastalking_username: Option<String>,
    pub africastalking_url: Option<String>,
    /// Sender id or short code.
    pub from: Option<String>,
    /// Where the gateway reaches dalal for delivery reports (default: `voice.public_url`,
    /// else `http://<listen>`).
    pub callback_url: Option<String>,
    /// Messages sent per second, per instance.
    pub per_second: f64,
    /// Sends tried before a message is marked failed.
    pub max_attempts: i64,
    /// Seconds a sender holds the rows it claimed; a sender that died gives them back after.
    pub claim_secs: u64,
    /// Seconds between two looks at the outbox when it had nothing due.
    pub poll_secs: f64,
    /// Seconds between two runs of the schedules (escalations, planned-outage notices,
    /// surveys): each scans the tickets, outages or new sessions.
    pub schedule_secs: f64,
    /// No notice between these hours (local time of the customer's area), except restoration
    /// notices and replies to what the customer just did. Equal hours = no quiet hours.
    pub quiet_start_hour: u32,
    pub quiet_end_hour: u32,
    /// Hours before a planned outage starts that its notice goes out.
    pub planned_notice_hours: i64,
    /// Hours after escalation level 1 that a still-open ticket reaches level 2.
    pub escalation_level_two_hours: i64,
    /// At most one survey per phone per this many days.
    pub survey_every_days: i64,
    /// Interactions whose outcome begins with one of these get a survey.
    pub survey_outcomes: Vec<String>,
    /// `dalal serve` sends and runs the schedules itself (else run `dalal notify`).
    pub in_serve: bool,
}

impl Default for SmsConfig {
    fn default() -> Self {
        SmsConfig {
            gateway: None,
            kannel_url: None,
            kannel_username: None,
            kannel_password: None,
            africastalking_username: None,
            africastalking_url: None,
            from: None,
            callback_url: None,
            per_second: 10.0,
            max_attempts: 8,
            claim_secs: 60,
            poll_secs: 1.0,
            schedule_secs: 30.0,
            quiet_start_hour: 21,
            quiet_end_hour: 7,
            planned_notice_hours: 24,
            escalation_level_two_hours: 24,
            survey_every_days: 30,
            survey_outcomes: [
                "latest_bill:found",
                "latest_bill:arrears",
                "file_complaint:filed",
                "file_connection:filed",
                "file_recorded_complaint",
                "report_outage",
                "request_callback:ok",
            ]
            .map(String::from)
            .to_vec(),
            in_serve: true,
        }
    }
}

/// `[gateways.<name>]`: everything optional; a gateway with no section is open, with its
/// built-in deadline and country.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GatewaySettings {
    /// Shared secret, sent as `?key=` on the callback URL or an `X-Dalal-Key` header.
    pub secret: Option<String>,
    /// Addresses or networks (CIDR) the gateway calls from.
    pub allow_ips: Vec<String>,
    /// Country of the numbers the gateway sends in national form (`0244123456`): an ISO code
    /// (`GH`) or a calling code (`233`). Each gateway has a default (Hubtel: Ghana).
    pub country: Option<String>,
    /// Milliseconds the aggregator waits for a screen (dalal answers well inside it).
    pub deadline_ms: Option<u64>,
    /// Asynchronous gateways (MTN MADAPI): where dalal POSTs its screens.
    pub outbound_url: Option<String>,
    /// Asynchronous gateways: the API key sent with each screen (`DALAL_<NAME>_API_KEY`).
    pub api_key: Option<String>,
}

/// `[voice]`: everything optional.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VoiceConfig {
    /// Seconds to wait for a key (low-literacy callers need 7-10 s).
    pub key_timeout_secs: u32,
    /// Re-prompts after no input or an invalid key before call-back / recording is offered.
    pub max_retries: u32,
    /// Base URL the voice platform reaches us on (callback and audio URLs), e.g.
    /// `https://ivr.example.org`; unset = taken from the request's `Host` header.
    pub public_url: Option<String>,
    /// Where the agents sit: their local clock decides the staffed hours. An ISO country code
    /// (`SN`, `KE`: its main zone) or an IANA zone (`Africa/Lubumbashi`).
    pub agent_country: String,
    /// Staffed hours, local time, `[open, close)` in whole hours.
    pub agent_open_hour: u32,
    pub agent_close_hour: u32,
    /// Weekdays agents work, 1 = Monday ... 7 = Sunday.
    pub agent_days: Vec<u32>,
    /// Number a caller pressing `0` is transferred to within staffed hours.
    pub agent_number: Option<String>,
    /// Twilio auth token: when set, `X-Twilio-Signature` is verified (env
    /// `DALAL_TWILIO_AUTH_TOKEN`).
    pub twilio_auth_token: Option<String>,
    /// Folder of recorded prompts: `<dir>/<lang>/<prompt-id>.wav|.mp3`.
    pub prompts_dir: std::path::PathBuf,
    /// Prompt fallback chain per language: `"wo"` a recording in Wolof, `"tts:wo"` the
    /// platform's speech synthesis in Wolof where it has it.
    pub prompt_fallbacks: BTreeMap<String, Vec<String>>,
    /// Folder where recordings the platform uploads (VoiceXML `<record>`) are stored, created
    /// if missing; served back at `/recordings/<file>` (env `DALAL_RECORDINGS_DIR`).
    pub recordings_dir: std::path::PathBuf,
}

impl VoiceConfig {
    /// What is wrong in `[voice]`, one line each.
    pub fn problems(&self) -> Vec<String> {
        let known = crate::text::format::country_zone(&self.agent_country).is_some()
            || crate::text::format::parse_zone(&self.agent_country).is_some();
        if known {
            Vec::new()
        } else {
            vec![format!(
                "voice.agent_country: '{}' is neither an African country code nor an IANA zone",
                self.agent_country
            )]
        }
    }
}

impl Default for VoiceConfig {
    fn default() -> Self {
        let chain = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let prompt_fallbacks = [
            ("fr", chain(&["fr", "tts:fr", "en"])),
            ("wo", chain(&["wo", "tts:wo", "fr", "tts:fr"])),
            ("sw", chain(&["sw", "tts:sw", "en"])),
            ("en", chain(&["en", "tts:en"])),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        VoiceConfig {
            key_timeout_secs: 8,
            max_retries: 2,
            public_url: None,
            agent_country: "SN".into(),
            agent_open_hour: 8,
            agent_close_hour: 17,
            agent_days: vec![1, 2, 3, 4, 5],
            agent_number: None,
            twilio_auth_token: None,
            prompts_dir: "audio-prompts".into(),
            prompt_fallbacks,
            recordings_dir: "recordings".into(),
        }
    }
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
            // A danger in the street: a crew on the way within hours.
            ("hazard", 4),
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
            expiry_sweep_secs: 10,
            resume_secs: 120,
            transliterate: false,
            sla_hours,
            max_verify_attempts: 3,
            max_verify_failures_per_hour: 6,
            rate_limit_per_minute: 60,
            storm_threshold: 20,
            storm_window_secs: 900,
            area_cache_secs: 5,
            gateways: BTreeMap::new(),
            voice: VoiceConfig::default(),
            sms: SmsConfig::default(),
            readings: ReadingsConfig::default(),
            admin_key: None,
            metrics_listen: None,
            report: ReportConfig::default(),
            simulator: None,
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
        // Secrets come from the environment so they stay out of files and logs:
        // `DALAL_<GATEWAY>_KEY` (what the gateway presents) and `DALAL_<GATEWAY>_API_KEY`
        // (what dalal presents to an asynchronous gateway).
        for (name, value) in std::env::vars().filter(|(_, v)| !v.is_empty()) {
            if let Some((gateway, secret)) = gateway_secret_variable(&name) {
                let settings = config.gateways.entry(gateway).or_default();
                match secret {
                    GatewaySecret::Key => settings.secret = Some(value),
                    GatewaySecret::ApiKey => settings.api_key = Some(value),
                }
            }
        }
        if let Some(v) = env("DALAL_KANNEL_PASSWORD") {
            config.sms.kannel_password = Some(v);
        }
        if let Some(v) = env("DALAL_TWILIO_AUTH_TOKEN") {
            config.voice.twilio_auth_token = Some(v);
        }
        if let Some(v) = env("DALAL_PROMPTS_DIR") {
            config.voice.prompts_dir = v.into();
        }
        if let Some(v) = env("DALAL_RECORDINGS_DIR") {
            config.voice.recordings_dir = v.into();
        }
        if let Some(v) = env("DALAL_ADMIN_KEY") {
            config.admin_key = Some(v);
        }
        if let Some(v) = env("DALAL_METRICS_LISTEN") {
            config.metrics_listen = Some(v);
        }
        if let Some(v) = env("DALAL_SIMULATOR") {
            config.simulator = Some(matches!(v.as_str(), "1" | "true" | "on" | "yes"));
        }
        Ok(config)
    }

    /// A gateway's settings (the defaults when it has no section).
    pub fn gateway(&self, name: &str) -> GatewaySettings {
        self.gateways.get(name).cloned().unwrap_or_default()
    }

    pub fn sla_hours(&self, category: &str) -> i64 {
        self.sla_hours.get(category).copied().unwrap_or(168)
    }
}

enum GatewaySecret {
    Key,
    ApiKey,
}

/// `DALAL_HUBTEL_KEY` -> (`hubtel`, Key); `DALAL_MTN_API_KEY` -> (`mtn`, ApiKey).
fn gateway_secret_variable(name: &str) -> Option<(String, GatewaySecret)> {
    let rest = name.strip_prefix("DALAL_")?;
    let (gateway, secret) = match rest.strip_suffix("_API_KEY") {
        Some(gateway) => (gateway, GatewaySecret::ApiKey),
        None => (rest.strip_suffix("_KEY")?, GatewaySecret::Key),
    };
    // `DALAL_ADMIN_KEY` is the operators' key, not a gateway's.
    let valid = !gateway.is_empty()
        && gateway != "ADMIN"
        && gateway
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    valid.then(|| (gateway.to_ascii_lowercase(), secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_secrets_come_from_named_variables() {
        let parsed = |n: &str| {
            gateway_secret_variable(n).map(|(g, s)| (g, matches!(s, GatewaySecret::ApiKey)))
        };
        assert_eq!(parsed("DALAL_HUBTEL_KEY"), Some(("hubtel".into(), false)));
        assert_eq!(
            parsed("DALAL_AFRICASTALKING_KEY"),
            Some(("africastalking".into(), false))
        );
        assert_eq!(parsed("DALAL_MTN_API_KEY"), Some(("mtn".into(), true)));
        assert_eq!(parsed("DALAL_REDIS_KEY_PREFIX"), None);
        assert_eq!(parsed("DALAL__KEY"), None);
        assert_eq!(parsed("DALAL_ADMIN_KEY"), None);
        assert_eq!(parsed("HUBTEL_KEY"), None);
    }
}

#[cfg(test)]
mod voice_zone_tests {
    use super::VoiceConfig;

    #[test]
    fn agent_country_is_a_country_or_a_zone() {
        for ok in ["SN", "KE", "MG", "Africa/Lubumbashi", "Atlantic/Cape_Verde"] {
            let config = VoiceConfig {
                agent_country: ok.into(),
                ..VoiceConfig::default()
            };
            assert!(config.problems().is_empty(), "{ok}");
        }
        let config = VoiceConfig {
            agent_country: "Senegal".into(),
            ..VoiceConfig::default()
        };
        assert_eq!(
            config.problems(),
            vec![
                "voice.agent_country: 'Senegal' is neither an African country code nor an IANA zone"
            ]
        );
    }
}
