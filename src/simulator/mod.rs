//! `GET /simulator`: a feature phone in the browser, for menu designers and demos. The page
//! (plain HTML and a little JavaScript, built into the binary) dials the short code and walks
//! the menus over the real gateway endpoints, and plays a call's recorded prompts in voice
//! mode.
//!
//! The page never speaks to a gateway endpoint itself: it posts to `/simulator/ussd` and
//! `/simulator/voice`, and dalal relays each hop in the gateway's own wire format (built by the
//! gateway's aggregator side, `gateway::simulate`) to the gateway's route, in-process, through
//! the same router, handlers and authentication a real aggregator's request goes through.
//! The relay adds the gateway's key (`X-Dalal-Key`) when a secret is set, so the key never
//! reaches the browser; the caller's address stays the browser's, so an `allow_ips` list still
//! applies. The page names its phone by a number in the list `/simulator/phones` gives (a few
//! demo customers: name, language, masked number); the full number stays on the server, and the
//! relay speaks for those phones only.

use std::net::SocketAddr;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use tower::ServiceExt;

use crate::config::Config;
use crate::gateway::simulate::{Delivery, SimHop, SimRequest};
use crate::gateway::{self, KEY_HEADER};
use crate::text::gsm7::{self, Encoding, PageBudget};
use crate::text::privacy::mask_msisdn;

const PAGE: &str = include_str!("simulator.html");
const SCRIPT: &str = include_str!("simulator.js");

/// The USSD gateway the page opens on.
const DEFAULT_GATEWAY: &str = "africastalking";
/// The voice gateway the page calls through (its answer is XML the page reads).
const VOICE_GATEWAY: &str = crate::gateway::at_voice::NAME;
const VOICE_PATH: &str = "/voice/africastalking";
/// The code the page dials unless the user types another.
const SERVICE_CODE: &str = "*123#";
/// Demo phones offered per language.
const PHONES_PER_LANGUAGE: usize = 2;
/// Bounds on what the page sends: a USSD session is a few dozen short inputs.
const MAX_INPUTS: usize = 64;
const MAX_INPUT_CHARS: usize = 182;
const MAX_SESSION_CHARS: usize = 64;
/// Largest gateway answer relayed (a USSD page or a voice document).
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// Whether `/simulator` is served: `simulator = true|false`, else on for the embedded demo
/// (SQLite and in-process sessions) and off for a production deployment.
pub fn enabled(config: &Config) -> bool {
    config
        .simulator
        .unwrap_or(config.redis_url.is_none() && config.database_url.starts_with("sqlite:"))
}

/// Whether the configured listen address only takes connections from this machine.
pub fn loopback_listen(listen: &str) -> bool {
    if let Ok(address) = listen.parse::<SocketAddr>() {
        return address.ip().is_loopback();
    }
    let host = listen.rsplit_once(':').map_or(listen, |(host, _)| host);
    host.eq_ignore_ascii_case("localhost")
}

/// Why the simulator may not be served as configured (empty: fine). On an address others can
/// reach, the simulator relays hops with the gateways' keys: a gateway left open there would
/// let anyone who finds the page act as the demo customers without any key at all, so it is
/// refused unless Africa's Talking USSD and voice (what the page uses by default) have secrets.
pub fn problems(config: &Config) -> Vec<String> {
    if !enabled(config) || loopback_listen(&config.listen) {
        return Vec::new();
    }
    let unset: Vec<&str> = [DEFAULT_GATEWAY, VOICE_GATEWAY]
        .into_iter()
        .filter(|name| secret(config, name).is_none())
        .collect();
    if unset.is_empty() {
        return Vec::new();
    }
    vec![format!(
        "simulator: refused on the non-loopback address {} while gateway secrets are unset ({}): \
         set them (DALAL_{}_KEY), listen on 127.0.0.1, or set simulator = false",
        config.listen,
        unset
            .iter()
            .map(|n| format!("gateways.{n}.secret"))
            .collect::<Vec<_>>()
            .join(", "),
        unset
            .iter()
            .map(|n| n.to_ascii_uppercase())
            .collect::<Vec<_>>()
            .join("_KEY, DALAL_"),
    )]
}

fn secret<'a>(config: &'a Config, gateway: &str) -> Option<&'a str> {
    config
        .gateways
        .get(gateway)
        .and_then(|s| s.secret.as_deref())
        .filter(|s| !s.is_empty())
}

/// The USSD gateways the page offers: those whose screens come back in the answer (an
/// asynchronous gateway pushes them to an aggregator that is not here). On a non-loopback
/// address, only those with a secret (an open one stays reachable only to real aggregators).
fn gateways(config: &Config) -> Vec<&'static str> {
    let loopback = loopback_listen(&config.listen);
    gateway::ussd_gateway_names()
        .into_iter()
        .filter(|name| {
            gateway::simulator(name, config).is_some_and(|s| s.delivery == Delivery::InResponse)
        })
        .filter(|name| loopback || secret(config, name).is_some())
        .collect()
}

/// A phone the page may dial from.
struct Phone {
    name: String,
    language: String,
    number: String,
}

/// A few demo customers, the first ones of each language of the dataset built into dalal.
fn demo_phones() -> Vec<Phone> {
    let data = crate::import::read_embedded_demo();
    let mut phones: Vec<Phone> = Vec::new();
    for language in ["fr", "wo", "sw", "en"] {
        let of_language = data
            .customers
            .iter()
            .filter(|c| c.language.as_deref() == Some(language))
            .filter_map(|c| Some((c, c.phone.clone()?)))
            .filter(|(_, number)| phones.iter().all(|p| &p.number != number))
            .take(PHONES_PER_LANGUAGE)
            .map(|(c, number)| Phone {
                name: c.full_name.clone(),
                language: language.to_string(),
                number,
            })
            .collect::<Vec<_>>();
        phones.extend(of_language);
    }
    phones
}

#[derive(Clone)]
struct Sim {
    config: std::sync::Arc<Config>,
    /// The gateway routes, to relay hops to.
    inner: Router,
    phones: std::sync::Arc<Vec<Phone>>,
}

/// `served` (every other route) with the simulator's routes added, when it is enabled.
pub fn mount(served: Router, config: std::sync::Arc<Config>) -> Router {
    if !enabled(&config) {
        return served;
    }
    let sim = Sim {
        config,
        inner: served.clone(),
        phones: std::sync::Arc::new(demo_phones()),
    };
    let routes = Router::new()
        .route("/simulator", get(page))
        .route("/simulator/simulator.js", get(script))
        .route("/simulator/phones", get(phones))
        .route("/simulator/ussd", post(ussd))
        .route("/simulator/voice", post(voice))
        .with_state(sim);
    served.merge(routes)
}

async fn page() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        PAGE,
    )
        .into_response()
}

async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        SCRIPT,
    )
        .into_response()
}

#[derive(Serialize)]
struct PhoneView {
    id: usize,
    name: String,
    language: String,
    /// Masked: the page shows which phone, never the whole number.
    phone: String,
}

#[derive(Serialize)]
struct Directory {
    phones: Vec<PhoneView>,
    gateways: Vec<&'static str>,
    default_gateway: &'static str,
    service_code: &'static str,
    budget: BudgetView,
}

#[derive(Serialize)]
struct BudgetView {
    gsm7_septets: usize,
    ucs2_units: usize,
}

async fn phones(State(sim): State<Sim>) -> Response {
    let phones = sim
        .phones
        .iter()
        .enumerate()
        .map(|(id, p)| PhoneView {
            id,
            name: p.name.clone(),
            language: p.language.clone(),
            phone: mask_msisdn(&p.number),
        })
        .collect();
    axum::Json(Directory {
        phones,
        gateways: gateways(&sim.config),
        default_gateway: DEFAULT_GATEWAY,
        service_code: SERVICE_CODE,
        budget: BudgetView {
            gsm7_septets: PageBudget::USSD.gsm7_septets,
            ucs2_units: PageBudget::USSD.ucs2_units,
        },
    })
    .into_response()
}

#[derive(Debug, thiserror::Error)]
enum SimError {
    #[error("{0}")]
    Bad(String),
    #[error("the gateway answered {status}: {body}")]
    Gateway { status: u16, body: String },
    #[error("unreadable screen: {0}")]
    Unreadable(String),
}

impl IntoResponse for SimError {
    fn into_response(self) -> Response {
        let status = match self {
            SimError::Bad(_) => StatusCode::BAD_REQUEST,
            SimError::Gateway { .. } | SimError::Unreadable(_) => StatusCode::BAD_GATEWAY,
        };
        (
            status,
            axum::Json(serde_json::json!({ "error": self.to_string() })),
        )
            .into_response()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UssdHop {
    gateway: String,
    /// Index in the phone list.
    phone: usize,
    session: String,
    #[serde(default)]
    service_code: Option<String>,
    /// Every input so far, the newest last (empty: dialling).
    #[serde(default)]
    inputs: Vec<String>,
    /// The caller hangs up: the aggregator's end notice, where it sends one.
    #[serde(default)]
    hang_up: bool,
}

/// One screen, with its cost against the page budget (the server's own GSM 03.38 count).
#[derive(Serialize)]
struct ScreenView {
    text: String,
    end: bool,
    /// `GSM-7` or `UCS-2`.
    encoding: &'static str,
    /// Septets (GSM-7) or UTF-16 units (UCS-2).
    units: usize,
    limit: usize,
    fits: bool,
    characters: usize,
}

impl Sim {
    fn phone(&self, id: usize) -> Result<&Phone, SimError> {
        self.phones
            .get(id)
            .ok_or_else(|| SimError::Bad(format!("no phone {id} in the simulator's list")))
    }

    /// Sends `request` to the gateway's route as its aggregator would, with the gateway's
    /// key when it has one.
    async fn relay(
        &self,
        gateway: &str,
        peer: SocketAddr,
        host: Option<&HeaderValue>,
        request: SimRequest,
    ) -> Result<String, SimError> {
        let mut builder = Request::builder()
            .method(request.method)
            .uri(&request.path_and_query);
        if let Some(content_type) = request.content_type {
            builder = builder.header(header::CONTENT_TYPE, content_type);
        }
        // Audio and callback URLs in a voice document are made from the host: the browser's.
        if let Some(host) = host {
            builder = builder.header(header::HOST, host);
        }
        if let Some(key) = secret(&self.config, gateway) {
            builder = builder.header(KEY_HEADER, key);
        }
        let mut built = builder
            .body(Body::from(request.body))
            .map_err(|e| SimError::Bad(e.to_string()))?;
        built.extensions_mut().insert(ConnectInfo(peer));
        let response = match self.inner.clone().oneshot(built).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), MAX_ANSWER_BYTES)
            .await
            .map_err(|e| SimError::Unreadable(e.to_string()))?;
        let body = String::from_utf8_lossy(&body).into_owned();
        if !status.is_success() {
            return Err(SimError::Gateway {
                status: status.as_u16(),
                body: body.trim().to_string(),
            });
        }
        Ok(body)
    }
}

fn check_session(session: &str) -> Result<(), SimError> {
    let ok = !session.is_empty()
        && session.len() <= MAX_SESSION_CHARS
        && session
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(SimError::Bad(format!(
            "session: 1 to {MAX_SESSION_CHARS} letters, digits, - or _"
        )))
    }
}

/// `POST /simulator/ussd`: one hop of the page's session, through the chosen gateway.
async fn ussd(
    State(sim): State<Sim>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    axum::Json(hop): axum::Json<UssdHop>,
) -> Result<Response, SimError> {
    check_session(&hop.session)?;
    if hop.inputs.len() > MAX_INPUTS
        || hop
            .inputs
            .iter()
            .any(|i| i.chars().count() > MAX_INPUT_CHARS)
    {
        return Err(SimError::Bad(format!(
            "inputs: at most {MAX_INPUTS}, of {MAX_INPUT_CHARS} characters each"
        )));
    }
    if !gateways(&sim.config).contains(&hop.gateway.as_str()) {
        return Err(SimError::Bad(format!(
            "gateway '{}' is not offered here",
            hop.gateway
        )));
    }
    let side = gateway::simulator(&hop.gateway, &sim.config)
        .ok_or_else(|| SimError::Bad(format!("no USSD gateway '{}'", hop.gateway)))?;
    let phone = sim.phone(hop.phone)?;
    let service_code = hop.service_code.as_deref().unwrap_or(SERVICE_CODE);
    if service_code.len() > 32 {
        return Err(SimError::Bad("service_code: 32 characters at most".into()));
    }
    let wire_hop = SimHop {
        session_id: &hop.session,
        phone: &phone.number,
        service_code,
        inputs: &hop.inputs,
    };
    let host = headers.get(header::HOST);
    if hop.hang_up {
        if let Some(end) = side.end_request(&wire_hop) {
            sim.relay(&hop.gateway, peer, host, end).await?;
        }
        return Ok(axum::Json(serde_json::json!({ "ended": true })).into_response());
    }
    let body = sim
        .relay(&hop.gateway, peer, host, side.hop_request(&wire_hop))
        .await?;
    let screen = side.read_screen(&body).map_err(SimError::Unreadable)?;
    Ok(axum::Json(screen_view(screen.text, screen.end)).into_response())
}

fn screen_view(text: String, end: bool) -> ScreenView {
    let (encoding, units) = gsm7::cost(&text);
    let limit = PageBudget::USSD.limit(encoding);
    ScreenView {
        encoding: match encoding {
            Encoding::Gsm7 => "GSM-7",
            Encoding::Ucs2 => "UCS-2",
        },
        units,
        limit,
        fits: units <= limit,
        characters: text.chars().count(),
        text,
        end,
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VoiceHop {
    phone: usize,
    session: String,
    /// Keys pressed for the last `GetDigits` (absent: the call's first request, or a timeout).
    #[serde(default)]
    digits: Option<String>,
    /// `noinput` when the last `GetDigits` timed out (the document's `Redirect`).
    #[serde(default)]
    event: Option<String>,
    /// The caller hangs up.
    #[serde(default)]
    hang_up: bool,
}

/// `POST /simulator/voice`: one request of an Africa's Talking voice call; the answer is the
/// voice document dalal sent (XML), which the page reads and plays.
async fn voice(
    State(sim): State<Sim>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    axum::Json(hop): axum::Json<VoiceHop>,
) -> Result<Response, SimError> {
    check_session(&hop.session)?;
    let phone = sim.phone(hop.phone)?;
    let digits = hop.digits.unwrap_or_default();
    if digits.len() > 32 || !digits.bytes().all(|b| b.is_ascii_digit() || b == b'*') {
        return Err(SimError::Bad("digits: up to 32 keys 0-9 or *".into()));
    }
    let path = match hop.event.as_deref() {
        None => VOICE_PATH.to_string(),
        Some("noinput") => format!("{VOICE_PATH}?event=noinput"),
        Some(other) => return Err(SimError::Bad(format!("event '{other}': noinput only"))),
    };
    // Built apart: the serializer is not `Send`, and must not live across the relay's await.
    let form = {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.append_pair("isActive", if hop.hang_up { "0" } else { "1" })
            .append_pair("sessionId", &hop.session)
            .append_pair("direction", "Inbound")
            .append_pair("callerNumber", &phone.number)
            .append_pair("destinationNumber", "+254711082000");
        if !digits.is_empty() {
            form.append_pair("dtmfDigits", &digits);
        }
        if hop.hang_up {
            form.append_pair("hangupCause", "NORMAL_CLEARING");
        }
        form.finish()
    };
    let request = SimRequest::post(path, "application/x-www-form-urlencoded", form);
    let body = sim
        .relay(VOICE_GATEWAY, peer, headers.get(header::HOST), request)
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/xml"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_addresses() {
        for yes in [
            "127.0.0.1:8080",
            "[::1]:8080",
            "localhost:8080",
            "127.0.0.2:1",
        ] {
            assert!(loopback_listen(yes), "{yes}");
        }
        for no in ["0.0.0.0:8080", "[::]:8080", "10.0.0.5:80", "example.org:80"] {
            assert!(!loopback_listen(no), "{no}");
        }
    }

    #[test]
    fn refused_on_a_public_address_without_secrets() {
        let mut config = Config {
            listen: "0.0.0.0:8080".into(),
            simulator: Some(true),
            ..Config::default()
        };
        let problems = problems(&config);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("gateways.africastalking.secret"));
        assert!(problems[0].contains("gateways.africastalking_voice.secret"));
        for name in [DEFAULT_GATEWAY, VOICE_GATEWAY] {
            config.gateways.entry(name.into()).or_default().secret = Some("s".into());
        }
        assert!(super::problems(&config).is_empty());
        // Loopback, or the simulator off: nothing to refuse.
        let loopback = Config {
            simulator: Some(true),
            ..Config::default()
        };
        assert!(super::problems(&loopback).is_empty());
        let off = Config {
            listen: "0.0.0.0:8080".into(),
            simulator: Some(false),
            ..Config::default()
        };
        assert!(super::problems(&off).is_empty());
    }

    #[test]
    fn on_by_default_for_the_embedded_demo_only() {
        assert!(enabled(&Config::default()));
        let production = Config {
            database_url: "postgres://dalal@db/dalal".into(),
            redis_url: Some("redis://cache/".into()),
            ..Config::default()
        };
        assert!(!enabled(&production));
    }

    #[test]
    fn screens_are_measured_like_the_server_pages_them() {
        let v = screen_view("Facture: 1 000 FCFA".into(), false);
        assert_eq!((v.encoding, v.units, v.limit), ("GSM-7", 19, 182));
        let v = screen_view("Fêtes {x}".into(), true);
        assert_eq!((v.encoding, v.units, v.limit), ("UCS-2", 9, 80));
        let v = screen_view("a{b".into(), true);
        assert_eq!((v.encoding, v.units), ("GSM-7", 4));
    }

    #[test]
    fn demo_phones_cover_each_language() {
        let phones = demo_phones();
        for language in ["fr", "wo", "sw", "en"] {
            assert!(phones.iter().any(|p| p.language == language), "{language}");
        }
        assert_eq!(phones[0].number, "+221786452821");
    }
}
