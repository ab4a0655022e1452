//! Gateway protocols at the edge: one module per wire format, each a set of pure parse/render
//! functions. Handlers in `http` call them; nothing here touches a store.

pub mod con_end;
pub mod form;
pub mod json;
pub mod phone;
pub mod simulate;
pub(crate) mod xml;

pub use crate::text::privacy::{mask_msisdn, redact_keypad_input};
pub use phone::{CallingCode, normalize_msisdn};

/// Declares each gateway's module and registers its plug-in, so adding a gateway is its file
/// (with its labelled cases) and one line in the list below.
macro_rules! gateways {
    ($($kind:ident $module:ident :: $plugin:ident),+ $(,)?) => {
        $(pub mod $module;)+

        /// Registers every gateway dalal serves with the server's routes.
        pub fn register(registry: &mut impl Registry, config: &Config) {
            $(registry.$kind(<$module::$plugin as FromConfig>::from_config(config));)+
        }

        /// Plays the USSD aggregator named `name` (for `dalal dial` and `dalal load`).
        pub fn simulator(name: &str, config: &Config) -> Option<simulate::Simulator> {
            $(if let Some(found) = gateways!(@simulator $kind $module::$plugin, name, config) {
                return Some(found);
            })+
            None
        }

        /// The names of the USSD gateways, for help texts and errors.
        pub fn ussd_gateway_names() -> Vec<&'static str> {
            [$(gateways!(@ussd_name $kind $module)),+].into_iter().flatten().collect()
        }

        /// Decodes `request` as the USSD gateway `name` would (for the parsers' fuzz tests and
        /// tools): `None` when no USSD gateway has that name.
        pub fn decode_ussd(
            name: &str,
            config: &Config,
            request: &WireRequest,
        ) -> Option<(&'static [Route], Result<Inbound, GatewayError>)> {
            $(if let Some(found) = gateways!(@decode $kind $module::$plugin, name, config, request) {
                return Some(found);
            })+
            None
        }

        /// Every gateway's name (what `[gateways.<name>]` may be).
        pub const GATEWAY_NAMES: &[&str] = &[$($module::NAME),+];
    };
    (@simulator ussd $module:ident :: $plugin:ident, $name:ident, $config:ident) => {
        ($name == $module::NAME).then(|| simulate::Simulator::new(
            <$module::$plugin as FromConfig>::from_config($config),
            simulate::Delivery::InResponse,
        ))
    };
    (@simulator ussd_push $module:ident :: $plugin:ident, $name:ident, $config:ident) => {
        ($name == $module::NAME).then(|| simulate::Simulator::new(
            <$module::$plugin as FromConfig>::from_config($config),
            simulate::Delivery::Pushed,
        ))
    };
    (@simulator voice $module:ident :: $plugin:ident, $name:ident, $config:ident) => {
        None::<simulate::Simulator>
    };
    (@decode voice $module:ident :: $plugin:ident, $name:ident, $config:ident, $request:ident) => {
        None
    };
    (@decode $kind:ident $module:ident :: $plugin:ident, $name:ident, $config:ident, $request:ident) => {
        ($name == $module::NAME).then(|| {
            let gateway = <$module::$plugin as FromConfig>::from_config($config);
            (gateway.routes(), gateway.decode($request).map(|(inbound, _)| inbound))
        })
    };
    (@ussd_name voice $module:ident) => { None };
    (@ussd_name $kind:ident $module:ident) => { Some($module::NAME) };
}

gateways! {
    ussd africastalking::AfricasTalking,
    ussd hubtel::Hubtel,
    ussd nalo::Nalo,
    ussd arkesel::Arkesel,
    ussd infobip::Infobip,
    ussd safaricom::Safaricom,
    ussd_push mtn::Mtn,
    voice at_voice::AfricasTalkingVoice,
    voice twiml::Twilio,
    voice vxml::VoiceXml,
}

/// Where the gateways are registered (the HTTP layer serves each with its generic handler).
pub trait Registry {
    fn ussd<G: UssdGateway>(&mut self, gateway: G);
    fn ussd_push<G: PushGateway>(&mut self, gateway: G);
    fn voice<G: VoiceGateway>(&mut self, gateway: G);
}

/// How a gateway is built from the configuration (most need nothing from it).
pub trait FromConfig {
    fn from_config(config: &Config) -> Self;
}

impl<G: Default> FromConfig for G {
    fn from_config(_: &Config) -> Self {
        G::default()
    }
}

/// The country of the national numbers a gateway sends: its `country` setting, else
/// `default` (settings are checked at startup by [`check_settings`]).
pub fn country_setting(
    config: &Config,
    name: &str,
    default: Option<CallingCode>,
) -> Option<CallingCode> {
    match config.gateways.get(name).and_then(|s| s.country.as_deref()) {
        Some(country) => CallingCode::parse(country).ok().or(default),
        None => default,
    }
}

/// What is wrong in the `[gateways.<name>]` sections, one line each. `also_known` names the
/// other callers that have a section (the SMS gateways' callbacks).
pub fn check_settings(config: &Config, also_known: &[&str]) -> Vec<String> {
    let mut problems = Vec::new();
    let known: Vec<&str> = GATEWAY_NAMES.iter().chain(also_known).copied().collect();
    for (name, settings) in &config.gateways {
        if !known.contains(&name.as_str()) {
            problems.push(format!(
                "gateways.{name}: no such gateway (known: {})",
                known.join(", ")
            ));
        }
        if let Some(Err(e)) = settings.country.as_deref().map(CallingCode::parse) {
            problems.push(format!("gateways.{name}.country: {e}"));
        }
        if settings.deadline_ms == Some(0) {
            problems.push(format!("gateways.{name}.deadline_ms: must be above 0"));
        }
        if let Some(url) = &settings.outbound_url {
            match url::Url::parse(url) {
                Ok(u) if matches!(u.scheme(), "http" | "https") => {}
                _ => problems.push(format!(
                    "gateways.{name}.outbound_url: '{url}' is not an http(s) URL"
                )),
            }
        }
    }
    problems
}

use std::net::SocketAddr;
use std::time::Duration;

use axum::http::{HeaderMap, Method, header};
use bytes::Bytes;

use crate::channel::Inbound;
use crate::config::Config;
use crate::engine::Reply;
use crate::security::{Guard, Refusal};
use crate::voice::{Turn, Urls};

/// Header a gateway may carry its shared secret in (else `?key=` on the callback URL).
pub const KEY_HEADER: &str = "x-dalal-key";

/// A gateway request as it came over HTTP, read whole: what every gateway decodes from.
#[derive(Debug, Clone)]
pub struct WireRequest {
    pub peer: SocketAddr,
    pub method: Method,
    /// The path the request was routed by.
    pub path: String,
    /// Path and query as sent (signatures cover them).
    pub path_and_query: String,
    pub headers: HeaderMap,
    pub query: Vec<(String, String)>,
    /// The raw body (empty when it was `multipart/form-data`: see `parts`).
    pub body: Bytes,
    /// The fields of a `multipart/form-data` body.
    pub parts: Vec<Part>,
    /// Where the platform reaches dalal: the configured public URL, else this request's host.
    pub base_url: String,
}

/// One field of a `multipart/form-data` body.
#[derive(Debug, Clone)]
pub struct Part {
    pub name: String,
    /// Set for a file part.
    pub file_name: Option<String>,
    pub data: Bytes,
}

impl WireRequest {
    /// The shared secret presented: the `X-Dalal-Key` header, else `?key=`.
    pub fn key(&self) -> Option<&str> {
        self.headers
            .get(KEY_HEADER)
            .and_then(|v| v.to_str().ok())
            .or_else(|| self.query_param("key"))
    }

    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn is_form(&self) -> bool {
        self.content_type_is("application/x-www-form-urlencoded")
    }

    pub fn is_multipart(&self) -> bool {
        self.content_type_is("multipart/form-data")
    }

    fn content_type_is(&self, expected: &str) -> bool {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| c.starts_with(expected))
    }

    /// Absolute URL of one of our paths, for the platform to call back.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }
}

impl WireRequest {
    /// A request as an aggregator would send it from loopback (labelled cases, fuzzing).
    pub fn simulated(
        method: Method,
        path_and_query: &str,
        content_type: Option<&str>,
        body: impl Into<Bytes>,
    ) -> WireRequest {
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        let mut headers = HeaderMap::new();
        if let Some(value) = content_type.and_then(|c| c.parse().ok()) {
            headers.insert(header::CONTENT_TYPE, value);
        }
        WireRequest {
            peer: SocketAddr::from(([127, 0, 0, 1], 9)),
            method,
            path: path.into(),
            path_and_query: path_and_query.into(),
            headers,
            query: url::form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect(),
            body: body.into(),
            parts: Vec::new(),
            base_url: "https://ivr.example".into(),
        }
    }
}

/// A request as a gateway's labelled cases write it: a form POST of `body` to `path?query`.
#[cfg(test)]
pub(crate) fn case_request(path_and_query: &str, body: &'static [u8]) -> WireRequest {
    let form = Some("application/x-www-form-urlencoded");
    WireRequest::simulated(Method::POST, path_and_query, form, Bytes::from_static(body))
}

/// A JSON POST of `body` to `path?query`, for the labelled cases of JSON gateways.
#[cfg(test)]
#[allow(dead_code)] // until a JSON gateway's cases use it
pub(crate) fn case_json(path_and_query: &str, body: &str) -> WireRequest {
    let json = Some("application/json");
    WireRequest::simulated(Method::POST, path_and_query, json, body.to_string())
}

/// A `GET` of `path?query`, for the labelled cases of gateways that call with a query.
#[cfg(test)]
#[allow(dead_code)] // until a GET gateway's cases use it
pub(crate) fn case_get(path_and_query: &str) -> WireRequest {
    WireRequest::simulated(Method::GET, path_and_query, None, Bytes::new())
}

/// The key and address rules shared by most gateways (`[gateways.<name>]` in the config).
pub fn admit_by_key(request: &WireRequest, guard: Option<&Guard>) -> Result<(), Refusal> {
    match guard {
        None => Ok(()),
        Some(guard) => guard.admit(request.key(), Some(request.peer.ip())),
    }
}

/// A route a gateway answers on.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    pub path: &'static str,
    /// Also answered on `GET` (VoiceXML platforms fetch documents).
    pub get: bool,
    /// Also answered on `PUT` (Infobip sends its end notice so).
    pub put: bool,
    /// Largest body accepted; `None` is the server's default (a few KiB).
    pub max_body: Option<usize>,
}

/// Largest JSON body a JSON gateway reads: far above any real hop, so that a huge field is
/// refused with `400` naming the field (`json::MAX_TEXT_CHARS`) rather than cut off unread.
pub const JSON_BODY_LIMIT: usize = 1024 * 1024;

impl Route {
    pub const fn post(path: &'static str) -> Route {
        Route {
            path,
            get: false,
            put: false,
            max_body: None,
        }
    }

    /// A `POST` of a JSON body (up to [`JSON_BODY_LIMIT`]).
    pub const fn json_post(path: &'static str) -> Route {
        Route {
            max_body: Some(JSON_BODY_LIMIT),
            ..Route::post(path)
        }
    }
}

/// An HTTP answer in a gateway's wire format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireResponse {
    pub content_type: &'static str,
    pub body: String,
}

/// How long an aggregator waits for a screen unless its gateway says otherwise.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(5);

/// A USSD aggregator: decodes its callbacks into [`Inbound`] hops and renders screens.
/// Adding one = its file (this trait, [`simulate::Simulate`], its labelled cases) + one line
/// in `gateways!`.
pub trait UssdGateway: simulate::Simulate + Send + Sync + 'static {
    /// What an answer must repeat from the request it answers (ids, a client state): `()`
    /// for most gateways.
    type Echo: Send + Sync + 'static;
    /// The name sessions, interactions and `[gateways.<name>]` rules are keyed by.
    fn name(&self) -> &'static str;
    fn routes(&self) -> &'static [Route];
    /// How long the aggregator waits for a screen (`deadline_ms` in its settings overrides
    /// it); dalal answers, or apologises, well inside it.
    fn deadline(&self) -> Duration {
        DEFAULT_DEADLINE
    }
    /// Whether the request really comes from the aggregator.
    fn authenticate(&self, request: &WireRequest, guard: Option<&Guard>) -> Result<(), Refusal> {
        admit_by_key(request, guard)
    }
    fn decode(&self, request: &WireRequest) -> Result<(Inbound, Self::Echo), GatewayError>;
    fn render(&self, reply: &Reply, echo: &Self::Echo) -> WireResponse;
    /// The answer to an end-of-session notification, once recorded.
    fn acknowledge_end(&self, _echo: &Self::Echo) -> WireResponse {
        WireResponse {
            content_type: "text/plain; charset=utf-8",
            body: "OK\n".into(),
        }
    }
}

/// An asynchronous aggregator (MTN MADAPI): each request is acknowledged at once, and the
/// screen goes to the aggregator in a request of its own, within its deadline.
pub trait PushGateway: UssdGateway {
    /// The immediate answer to a hop (its screen follows as a [`Push`]).
    fn acknowledge(&self, echo: &Self::Echo) -> WireResponse;
    /// The request that delivers `reply`.
    fn push(&self, reply: &Reply, echo: &Self::Echo) -> Push;
}

/// A request dalal sends to an aggregator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Push {
    pub url: String,
    /// Besides `Content-Type` (an API key, for instance).
    pub headers: Vec<(&'static str, String)>,
    pub content_type: &'static str,
    pub body: String,
}

/// What a voice platform's request asks for.
#[allow(clippy::large_enum_variant)] // one per request, consumed at once
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VoiceRequest {
    /// A turn of a call (or its end) for the runner.
    Hop(Inbound),
    /// Answered by the gateway alone, with no session (a VoiceXML bootstrap document).
    Answer(String),
}

/// A voice platform: decodes its callbacks and renders [`Turn`]s in its XML.
pub trait VoiceGateway: Send + Sync + 'static {
    fn name(&self) -> &'static str;
    fn routes(&self) -> &'static [Route];
    /// Languages its speech synthesis speaks (prompts without a recording fall back to it).
    fn tts_languages(&self) -> &'static [&'static str];
    fn content_type(&self) -> &'static str;
    fn authenticate(&self, request: &WireRequest, guard: Option<&Guard>) -> Result<(), Refusal> {
        admit_by_key(request, guard)
    }
    fn decode(&self, request: &WireRequest) -> Result<VoiceRequest, GatewayError>;
    /// Where the platform calls back and fetches audio from.
    fn urls(&self, request: &WireRequest) -> Urls;
    fn render(&self, turn: &Turn, urls: &Urls, inbound: &Inbound) -> String;
    /// The answer once the call is over.
    fn render_end(&self) -> String;
}

/// Why a gateway request was refused (answered `400` with this one line).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GatewayError {
    #[error("missing field `{0}`")]
    Missing(&'static str),
    #[error("field `{field}` is malformed: {reason}")]
    Malformed { field: &'static str, reason: String },
    #[error("field `{0}` is not valid UTF-8")]
    NotUtf8(String),
    #[error("body is not application/x-www-form-urlencoded")]
    NotForm,
    #[error("body is not JSON: {0}")]
    NotJson(String),
    #[error("bad upload: multipart/form-data expected")]
    NotMultipart,
}

/// Longest session id kept (aggregators' are 20 to 40 characters).
pub const MAX_SESSION_ID: usize = 128;

/// Checks the session id a gateway sent in `field`: 1 to 128 printable characters.
pub fn check_session_id(field: &'static str, id: &str) -> Result<(), GatewayError> {
    let count = id.chars().count();
    if count == 0 || count > MAX_SESSION_ID || id.chars().any(char::is_control) {
        return Err(GatewayError::Malformed {
            field,
            reason: format!("must be 1 to {MAX_SESSION_ID} printable characters"),
        });
    }
    Ok(())
}

/// The phone number a gateway sent in `field`, as E.164 (national numbers in `country`).
pub fn e164(
    field: &'static str,
    raw: &str,
    country: Option<CallingCode>,
) -> Result<String, GatewayError> {
    normalize_msisdn(raw, country).ok_or(GatewayError::Malformed {
        field,
        reason: "not an E.164 phone number".into(),
    })
}

/// A newest-input-only gateway's input as the caller meant it: spaces around it and a
/// leading `*` (some phones and gateways send `*1` for `1`) dropped.
pub fn clean_input(input: &str) -> &str {
    let input = input.trim();
    let input = input.strip_prefix('*').unwrap_or(input);
    input.trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_inputs_are_cleaned() {
        for (raw, clean) in [
            ("1", "1"),
            (" 1 ", "1"),
            ("*1", "1"),
            ("* 2", "2"),
            ("", ""),
        ] {
            assert_eq!(clean_input(raw), clean, "{raw:?}");
        }
    }
}
