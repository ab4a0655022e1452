//! Gateway protocols at the edge: one module per wire format, each a set of pure parse/render
//! functions. Handlers in `http` call them; nothing here touches a store.

pub mod form;
pub(crate) mod xml;

/// Declares each gateway's module and registers its plug-in, so adding a gateway is its file
/// (with its labelled cases) and one line in the list below.
macro_rules! gateways {
    ($($kind:ident $module:ident :: $plugin:ident),+ $(,)?) => {
        $(pub mod $module;)+

        /// Registers every gateway dalal serves with the server's routes.
        pub fn register(registry: &mut impl Registry, config: &Config) {
            $(registry.$kind(<$module::$plugin as FromConfig>::from_config(config));)+
        }
    };
}

gateways! {
    ussd africastalking::AfricasTalking,
    voice at_voice::AfricasTalkingVoice,
    voice twiml::Twilio,
    voice vxml::VoiceXml,
}

/// Where the gateways are registered (the HTTP layer serves each with its generic handler).
pub trait Registry {
    fn ussd<G: UssdGateway>(&mut self, gateway: G);
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

use std::net::SocketAddr;

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

/// A request as a gateway's labelled cases write it: a POST of `body` to `path?query`.
#[cfg(test)]
pub(crate) fn case_request(path_and_query: &str, body: &'static [u8]) -> WireRequest {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        "application/x-www-form-urlencoded".parse().unwrap(),
    );
    WireRequest {
        peer: "127.0.0.1:9".parse().unwrap(),
        method: Method::POST,
        path: path.into(),
        path_and_query: path_and_query.into(),
        headers,
        query: url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect(),
        body: Bytes::from_static(body),
        parts: Vec::new(),
        base_url: "https://ivr.example".into(),
    }
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
    /// Largest body accepted; `None` is the server's default (a few KiB).
    pub max_body: Option<usize>,
}

impl Route {
    pub const fn post(path: &'static str) -> Route {
        Route {
            path,
            get: false,
            max_body: None,
        }
    }
}

/// An HTTP answer in a gateway's wire format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireResponse {
    pub content_type: &'static str,
    pub body: String,
}

/// A USSD aggregator: decodes its callbacks into [`Inbound`] hops and renders screens.
/// Adding one = its file (this trait + its labelled cases) + one line in `gateways!`.
pub trait UssdGateway: Send + Sync + 'static {
    /// The name sessions, interactions and `[gateways.<name>]` rules are keyed by.
    fn name(&self) -> &'static str;
    fn routes(&self) -> &'static [Route];
    /// Whether the request really comes from the aggregator.
    fn authenticate(&self, request: &WireRequest, guard: Option<&Guard>) -> Result<(), Refusal> {
        admit_by_key(request, guard)
    }
    fn decode(&self, request: &WireRequest) -> Result<Inbound, GatewayError>;
    fn render(&self, reply: &Reply) -> WireResponse;
    /// The answer to an end-of-session notification, once recorded.
    fn acknowledge_end(&self) -> WireResponse {
        WireResponse {
            content_type: "text/plain; charset=utf-8",
            body: "OK\n".into(),
        }
    }
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
    #[error("bad upload: multipart/form-data expected")]
    NotMultipart,
}

/// A phone number in E.164 (`+` and 8 to 15 digits, no leading zero). Gateways that drop the
/// `+` (`254711000000`) are accepted; national formats (`0711...`) are not.
pub fn normalize_msisdn(raw: &str) -> Option<String> {
    // A literal `+` in a form body decodes to a space: accept it as the plus it was.
    let raw = raw.trim();
    let digits = raw.strip_prefix('+').unwrap_or(raw);
    let valid = (8..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    valid.then(|| format!("+{digits}"))
}

/// A phone number safe to log: country code and last two digits only.
pub fn mask_msisdn(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 6 {
        return "***".to_string();
    }
    let head: String = digits[..3].iter().collect();
    let tail: String = digits[digits.len() - 2..].iter().collect();
    format!("+{head}******{tail}")
}

/// A gateway's record of what the caller typed, without what proves or names an account:
/// menu choices are kept (they say which service was used), every input of four characters
/// or more (account numbers, meter digits, references) becomes as many `x`.
pub fn redact_keypad_input(input: &str) -> String {
    input
        .split('*')
        .map(|part| match part.chars().count() {
            n if n >= 4 => "x".repeat(n),
            _ => part.to_string(),
        })
        .collect::<Vec<_>>()
        .join("*")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keypad_input_keeps_choices_and_hides_digits_that_prove_an_account() {
        assert_eq!(redact_keypad_input("4*1*100000*1595"), "4*1*xxxxxx*xxxx");
        assert_eq!(redact_keypad_input("1*2"), "1*2");
        assert_eq!(redact_keypad_input(""), "");
    }

    #[test]
    fn msisdn_normalisation() {
        assert_eq!(
            normalize_msisdn("+254711000000").as_deref(),
            Some("+254711000000")
        );
        assert_eq!(
            normalize_msisdn("254711000000").as_deref(),
            Some("+254711000000")
        );
        assert_eq!(
            normalize_msisdn(" 254711000000").as_deref(),
            Some("+254711000000")
        );
        for bad in [
            "",
            "+",
            "0711000000",
            "+2547110000001234",
            "+25471100000a",
            "12345",
            "+221 77 000 00 00",
        ] {
            assert_eq!(normalize_msisdn(bad), None, "{bad}");
        }
    }

    #[test]
    fn masking_hides_the_subscriber_number() {
        let masked = mask_msisdn("+221786452821");
        assert_eq!(masked, "+221******21");
        assert!(!masked.contains("786452"));
    }
}
