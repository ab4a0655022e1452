//! Nalo Solutions USSD (Ghana): JSON POSTs in, JSON out.
//!
//! Read on 2026-11-30:
//! - Nalo's "USSD API DOCUMENTATION" (Postman collection 7705958/UyrEhaLQ,
//!   <https://documenter.getpostman.com/view/7705958/UyrEhaLQ>): POST, `application/json`, a
//!   `USERID` Nalo gives each integrator. Only the page's introduction could be read; its
//!   request and response tables (its tables 2.0 and 2.1) were read as transcribed in the
//!   compliance notes of the `nunyakata` client (<https://github.com/SeveighTech/nunyakata>),
//!   so they are second-hand: request `USERID, MSISDN` (`233XXXXXXXXX`),
//!   `USERDATA, MSGTYPE` (`true` on the first request, `false` after it), `NETWORK` (`MTN`,
//!   `VODAFONE`, `AIRTELTIGO`), `SESSIONID`; answer `USERID` (mandatory, as received),
//!   `MSISDN` (optional), `MSG`, `MSGTYPE` (`true` continues, `false` ends); `MSG` at most
//!   120 characters.
//!
//! Where these differ from what dalal was told: the answer repeats `USERID` and `MSISDN`
//! but not `SESSIONID`, which the answer table does not list. No deadline is documented:
//! 10 s is assumed (`deadline_ms` in `[gateways.nalo]` overrides it). No end-of-session
//! notice is documented. The 120-character `MSG` limit is tighter than a USSD page (182):
//! menus meant for Nalo should stay within it.
//!
//! How the first hop is told: `MSGTYPE` is `true` on it, and its `USERDATA` is the dialled
//! string (`*920#`, `*920*1#`) or, in some samples, empty. Some descriptions of the API
//! have `true` on later hops too (the flag the application last answered with), which could
//! not be checked against the original tables; so `true` starts a session only when
//! `USERDATA` is empty or a dialled string (`*...#`), and `true` with a plain input (`1`) is
//! an input, never a restart that would trap the caller on the first menu. A resent start is
//! answered with the session's screen again by the runner.

use std::time::Duration;

use serde::Serialize;

use super::json::JsonBody;
use super::simulate::{Screen, SimHop, SimRequest, Simulate};
use super::{
    CallingCode, FromConfig, GatewayError, Route, UssdGateway, WireRequest, WireResponse,
    check_session_id, clean_input, country_setting, e164,
};
use crate::channel::{Event, Inbound, Input};
use crate::config::Config;
use crate::engine::Reply;

pub const NAME: &str = "nalo";

/// The one route Nalo posts every hop of a session to.
pub const PATH: &str = "/ussd/nalo";

/// Nalo documents no deadline: a common aggregator value, to be confirmed with Nalo.
const DEADLINE: Duration = Duration::from_secs(10);

const JSON: &str = "application/json";

/// Longest `USERID` we repeat (Nalo's are 8 characters).
const MAX_USER_ID: usize = 64;

/// Nalo Solutions USSD, as a plug-in of the runner.
pub struct Nalo {
    /// Country of the national numbers in `MSISDN` (Nalo sends `233...`; Ghana if unset).
    country: Option<CallingCode>,
}

impl FromConfig for Nalo {
    fn from_config(config: &Config) -> Self {
        Nalo {
            country: country_setting(config, NAME, Some(CallingCode::GHANA)),
        }
    }
}

/// What an answer repeats from the request it answers: the integrator's id and the number
/// as Nalo wrote it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Echo {
    pub user_id: String,
    pub msisdn: String,
}

impl UssdGateway for Nalo {
    type Echo = Echo;

    fn name(&self) -> &'static str {
        NAME
    }

    fn routes(&self) -> &'static [Route] {
        const ROUTES: &[Route] = &[Route::json_post(PATH)];
        ROUTES
    }

    fn deadline(&self) -> Duration {
        DEADLINE
    }

    fn decode(&self, request: &WireRequest) -> Result<(Inbound, Echo), GatewayError> {
        parse(&request.body, self.country)
    }

    fn render(&self, reply: &Reply, echo: &Echo) -> WireResponse {
        WireResponse {
            content_type: JSON,
            body: render_answer(&reply.text, reply.end, echo),
        }
    }
}

/// Nalo's side: one JSON POST per hop, the newest input in `USERDATA`.
impl Simulate for Nalo {
    fn hop_request(&self, hop: &SimHop<'_>) -> SimRequest {
        let first = hop.inputs.is_empty();
        let data = if first {
            hop.service_code
        } else {
            hop.newest()
        };
        let body = serde_json::json!({
            "USERID": "DALALSIM",
            "MSISDN": hop.phone.trim_start_matches('+'),
            "USERDATA": data,
            "MSGTYPE": first,
            "NETWORK": "MTN",
            "SESSIONID": hop.session_id,
        });
        SimRequest::json(PATH, body)
    }

    fn read_screen(&self, body: &str) -> Result<Screen, String> {
        let answer: serde_json::Value =
            serde_json::from_str(body).map_err(|e| format!("not JSON ({e}): {body:?}"))?;
        let text = answer["MSG"]
            .as_str()
            .ok_or_else(|| format!("no MSG: {body:?}"))?;
        let continues = answer["MSGTYPE"]
            .as_bool()
            .ok_or_else(|| format!("MSGTYPE is not true or false: {body:?}"))?;
        Ok(Screen {
            text: text.into(),
            end: !continues,
        })
    }

    /// Nalo documents no notice when the caller leaves.
    fn end_request(&self, _: &SimHop<'_>) -> Option<SimRequest> {
        None
    }
}

/// Decodes one request body: the hop and what its answer must repeat.
pub fn parse(body: &[u8], country: Option<CallingCode>) -> Result<(Inbound, Echo), GatewayError> {
    let json = JsonBody::parse(body)?;
    let user_id = user_id(&json)?;
    let msisdn = json.require_non_empty("MSISDN")?.trim().to_string();
    let phone = e164("MSISDN", &msisdn, country)?;
    let session_id = session_id(&json)?;
    let first_flag = json.require_flag("MSGTYPE")?;
    let data = json.require_text("USERDATA")?;
    // Read for its type only: a malformed body is refused whole.
    json.text("NETWORK")?;
    let event = if opens_session(first_flag, &data) {
        Event::Start
    } else {
        // Nalo numbers no hops: a resent input cannot be told from a repeated one.
        Event::Input(Input::Latest(clean_input(&data).to_string()))
    };
    let inbound = Inbound {
        session_id,
        phone,
        event,
    };
    Ok((inbound, Echo { user_id, msisdn }))
}

/// Whether a hop opens the session: `MSGTYPE` true with the dialled string (or nothing).
/// See the module doc for why `true` alone is not enough.
fn opens_session(first_flag: bool, data: &str) -> bool {
    let data = data.trim();
    let dialled = data.len() >= 2 && data.starts_with('*') && data.ends_with('#');
    first_flag && (data.is_empty() || dialled)
}

fn user_id(json: &JsonBody) -> Result<String, GatewayError> {
    let id = json.require_non_empty("USERID")?;
    if id.len() > MAX_USER_ID || id.chars().any(char::is_control) {
        return Err(GatewayError::Malformed {
            field: "USERID",
            reason: format!("must be 1 to {MAX_USER_ID} printable characters"),
        });
    }
    Ok(id)
}

fn session_id(json: &JsonBody) -> Result<String, GatewayError> {
    let id = json.require_non_empty("SESSIONID")?;
    check_session_id("SESSIONID", &id)?;
    Ok(id)
}

/// An answer, its fields in the documentation's order.
#[derive(Serialize)]
struct Answer<'a> {
    #[serde(rename = "USERID")]
    user_id: &'a str,
    #[serde(rename = "MSISDN")]
    msisdn: &'a str,
    #[serde(rename = "MSG")]
    message: &'a str,
    /// `true` waits for the caller's next input, `false` ends the session.
    #[serde(rename = "MSGTYPE")]
    continues: bool,
}

/// The body of an answer.
pub fn render_answer(text: &str, end: bool, echo: &Echo) -> String {
    let answer = Answer {
        user_id: &echo.user_id,
        msisdn: &echo.msisdn,
        message: text,
        continues: !end,
    };
    serde_json::to_string(&answer).expect("an answer of strings serialises")
}

#[cfg(test)]
mod tests {
    use axum::http::Method;

    use super::*;

    fn nalo() -> Nalo {
        Nalo::from_config(&Config::default())
    }

    /// A POST of `body` as Nalo sends it (raw bytes: some cases are not UTF-8).
    fn request(body: &[u8]) -> WireRequest {
        WireRequest::simulated(Method::POST, PATH, Some(JSON), body.to_vec())
    }

    fn latest(text: &str) -> Event {
        Event::Input(Input::Latest(text.into()))
    }

    fn malformed(field: &'static str, reason: &str) -> GatewayError {
        GatewayError::Malformed {
            field,
            reason: reason.into(),
        }
    }

    /// (label, request body, expected phone and event, or error)
    type Case = (
        &'static str,
        &'static [u8],
        Result<(&'static str, Event), GatewayError>,
    );

    /// Labelled requests, as Nalo sends them, decoded into neutral events.
    #[test]
    fn requests_decode_into_neutral_events() {
        let cases: Vec<Case> = vec![
            (
                "first hop: MSGTYPE true, the dialled code",
                br#"{"USERID":"NALOTest","MSISDN":"233244123456","USERDATA":"*920#","MSGTYPE":true,"NETWORK":"MTN","SESSIONID":"16590115252429751"}"#,
                Ok(("+233244123456", Event::Start)),
            ),
            (
                "first hop with a long code",
                br#"{"USERID":"NALOTest","MSISDN":"233244123456","USERDATA":"*920*12#","MSGTYPE":true,"NETWORK":"MTN","SESSIONID":"16590115252429751"}"#,
                Ok(("+233244123456", Event::Start)),
            ),
            (
                "first hop with empty USERDATA",
                br#"{"USERID":"NALOTest","MSISDN":"233244123456","USERDATA":"","MSGTYPE":true,"NETWORK":"MTN","SESSIONID":"16590115252429751"}"#,
                Ok(("+233244123456", Event::Start)),
            ),
            (
                "duplicate start: a start again (the runner resends its screen)",
                br#"{"USERID":"NALOTest","MSISDN":"233244123456","USERDATA":"*920#","MSGTYPE":"true","NETWORK":"MTN","SESSIONID":"16590115252429751"}"#,
                Ok(("+233244123456", Event::Start)),
            ),
            (
                "later hop: MSGTYPE false, the newest input",
                br#"{"USERID":"NALOTest","MSISDN":"233244123456","USERDATA":"3","MSGTYPE":false,"NETWORK":"MTN","SESSIONID":"16590115252429751"}"#,
                Ok(("+233244123456", latest("3"))),
            ),
            (
                "later hop still flagged true: an input, not a restart",
                br#"{"USERID":"NALOTest","MSISDN":"233244123456","USERDATA":"1","MSGTYPE":true,"NETWORK":"MTN","SESSIONID":"16590115252429751"}"#,
                Ok(("+233244123456", latest("1"))),
            ),
            (
                "resent hop: the same input again (Nalo numbers no hops)",
                br#"{"USERID":"NALOTest","MSISDN":"233244123456","USERDATA":"3","MSGTYPE":false,"NETWORK":"MTN","SESSIONID":"16590115252429751"}"#,
                Ok(("+233244123456", latest("3"))),
            ),
            (
                "input with spaces and a leading *",
                br#"{"USERID":"NALOTest","MSISDN":"233244123456","USERDATA":" *1595 ","MSGTYPE":false,"SESSIONID":"16590115252429751"}"#,
                Ok(("+233244123456", latest("1595"))),
            ),
            (
                "phone national",
                br#"{"USERID":"NALOTest","MSISDN":"0244123456","USERDATA":"*920#","MSGTYPE":true,"SESSIONID":"16590115252429751"}"#,
                Ok(("+233244123456", Event::Start)),
            ),
            (
                "phone with +",
                br#"{"USERID":"NALOTest","MSISDN":"+233244123456","USERDATA":"*920#","MSGTYPE":true,"SESSIONID":"16590115252429751"}"#,
                Ok(("+233244123456", Event::Start)),
            ),
            (
                "phone and session id as JSON numbers",
                br#"{"USERID":"NALOTest","MSISDN":233244123456,"USERDATA":"2","MSGTYPE":false,"SESSIONID":16590115252429751}"#,
                Ok(("+233244123456", latest("2"))),
            ),
            (
                "phone not a number",
                br#"{"USERID":"NALOTest","MSISDN":"233-NALO","USERDATA":"*920#","MSGTYPE":true,"SESSIONID":"16590115252429751"}"#,
                Err(malformed("MSISDN", "not an E.164 phone number")),
            ),
            (
                "missing USERID",
                br#"{"MSISDN":"233244123456","USERDATA":"*920#","MSGTYPE":true,"SESSIONID":"16590115252429751"}"#,
                Err(GatewayError::Missing("USERID")),
            ),
            (
                "missing MSISDN",
                br#"{"USERID":"NALOTest","USERDATA":"*920#","MSGTYPE":true,"SESSIONID":"16590115252429751"}"#,
                Err(GatewayError::Missing("MSISDN")),
            ),
            (
                "missing SESSIONID",
                br#"{"USERID":"NALOTest","MSISDN":"233244123456","USERDATA":"*920#","MSGTYPE":true}"#,
                Err(GatewayError::Missing("SESSIONID")),
            ),
            (
                "missing MSGTYPE",
                br#"{"USERID":"NALOTest","MSISDN":"233244123456","USERDATA":"1","SESSIONID":"16590115252429751"}"#,
                Err(GatewayError::Missing("MSGTYPE")),
            ),
            (
                "missing USERDATA",
                br#"{"USERID":"NALOTest","MSISDN":"233244123456","MSGTYPE":false,"SESSIONID":"16590115252429751"}"#,
                Err(GatewayError::Missing("USERDATA")),
            ),
            (
                "MSGTYPE of a wrong JSON type",
                br#"{"USERID":"NALOTest","MSISDN":"233244123456","USERDATA":"1","MSGTYPE":1,"SESSIONID":"16590115252429751"}"#,
                Err(malformed("MSGTYPE", "expected true or false")),
            ),
            (
                "USERDATA of a wrong JSON type",
                br#"{"USERID":"NALOTest","MSISDN":"233244123456","USERDATA":{"a":1},"MSGTYPE":false,"SESSIONID":"16590115252429751"}"#,
                Err(malformed("USERDATA", "expected a string")),
            ),
            (
                "NETWORK of a wrong JSON type",
                br#"{"USERID":"NALOTest","MSISDN":"233244123456","USERDATA":"1","MSGTYPE":false,"NETWORK":[],"SESSIONID":"16590115252429751"}"#,
                Err(malformed("NETWORK", "expected a string")),
            ),
            (
                "USERID too long",
                b"{\"USERID\":\"NALOTestNALOTestNALOTestNALOTestNALOTestNALOTestNALOTestNALOTest9\",\"MSISDN\":\"233244123456\",\"USERDATA\":\"1\",\"MSGTYPE\":false,\"SESSIONID\":\"1\"}",
                Err(malformed(
                    "USERID",
                    "must be 1 to 64 printable characters",
                )),
            ),
            (
                "non-UTF-8 body",
                b"{\"USERID\":\"NALOTest\",\"MSISDN\":\"233244123456\",\"USERDATA\":\"\xC3\x28\",\"MSGTYPE\":false,\"SESSIONID\":\"1\"}",
                Err(GatewayError::NotUtf8("<body>".into())),
            ),
        ];
        for (label, body, expected) in cases {
            let got = nalo()
                .decode(&request(body))
                .map(|(inbound, _)| (inbound.phone, inbound.event));
            let expected = expected.map(|(phone, event)| (phone.to_string(), event));
            assert_eq!(got, expected, "{label}");
            if let Ok((inbound, _)) = nalo().decode(&request(body)) {
                assert_eq!(inbound.session_id, "16590115252429751", "{label}");
            }
        }
    }

    #[test]
    fn bodies_that_are_not_a_json_object_are_refused() {
        for body in [&b"USERID=NALOTest&MSGTYPE=true"[..], b"", b"\"text\"", b"{"] {
            let got = nalo().decode(&request(body));
            assert!(
                matches!(got, Err(GatewayError::NotJson(_))),
                "{body:?}: {got:?}"
            );
        }
    }

    #[test]
    fn the_answer_repeats_the_user_id_and_number_as_sent() {
        let (_, echo) = nalo()
            .decode(&request(
                br#"{"USERID":"NALOTest","MSISDN":" 0244123456","USERDATA":"*920#","MSGTYPE":true,"SESSIONID":"s"}"#,
            ))
            .unwrap();
        assert_eq!(
            echo,
            Echo {
                user_id: "NALOTest".into(),
                msisdn: "0244123456".into(),
            }
        );
    }

    /// (label, screen text, end, exact body)
    #[test]
    fn answers_are_nalo_json() {
        let echo = Echo {
            user_id: "NALOTest".into(),
            msisdn: "233244123456".into(),
        };
        let cases: &[(&str, &str, bool, &str)] = &[
            (
                "a menu keeps the session",
                "Menu\n1. Bill",
                false,
                r#"{"USERID":"NALOTest","MSISDN":"233244123456","MSG":"Menu\n1. Bill","MSGTYPE":true}"#,
            ),
            (
                "the last screen ends it",
                "Merci \"à\" bientôt",
                true,
                r#"{"USERID":"NALOTest","MSISDN":"233244123456","MSG":"Merci \"à\" bientôt","MSGTYPE":false}"#,
            ),
        ];
        for (label, text, end, body) in cases {
            let reply = Reply {
                text: text.to_string(),
                end: *end,
            };
            let answer = nalo().render(&reply, &echo);
            assert_eq!(answer.content_type, "application/json", "{label}");
            assert_eq!(answer.body, *body, "{label}");
        }
        assert_eq!(nalo().deadline(), Duration::from_secs(10));
    }

    /// What the simulator sends decodes to the hop it meant; what dalal renders reads back.
    #[test]
    fn simulated_nalo_round_trips() {
        let inputs = ["1".to_string(), "2".to_string()];
        let hop = |n: usize| SimHop {
            session_id: "sim-1",
            phone: "+233244123456",
            service_code: "*920#",
            inputs: &inputs[..n],
        };
        let decode = |sim: SimRequest| {
            assert_eq!(sim.path_and_query, PATH);
            let wire = WireRequest::simulated(Method::POST, PATH, sim.content_type, sim.body);
            nalo().decode(&wire).unwrap()
        };
        let (first, echo) = decode(nalo().hop_request(&hop(0)));
        assert_eq!(
            (
                first.session_id.as_str(),
                first.phone.as_str(),
                &first.event
            ),
            ("sim-1", "+233244123456", &Event::Start)
        );
        assert_eq!(decode(nalo().hop_request(&hop(1))).0.event, latest("1"));
        assert_eq!(decode(nalo().hop_request(&hop(2))).0.event, latest("2"));
        assert!(nalo().end_request(&hop(2)).is_none());
        for end in [false, true] {
            let reply = Reply {
                text: "Solde: 1 500 GHS\n1. Payer".into(),
                end,
            };
            let screen = nalo()
                .read_screen(&nalo().render(&reply, &echo).body)
                .unwrap();
            assert_eq!(
                screen,
                Screen {
                    text: reply.text.clone(),
                    end
                }
            );
        }
        assert!(nalo().read_screen("END Bye").is_err());
        assert!(
            nalo()
                .read_screen(r#"{"MSG":"x","MSGTYPE":"yes"}"#)
                .is_err()
        );
    }

    mod fuzz {
        use proptest::prelude::*;
        use serde_json::{Map, Number, Value};

        use super::*;

        const FIELDS: &[&str] = &[
            "USERID",
            "MSISDN",
            "USERDATA",
            "MSGTYPE",
            "NETWORK",
            "SESSIONID",
        ];

        /// Any JSON value, weighted towards what Nalo's fields could plausibly hold.
        fn value() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::Bool),
                any::<i64>().prop_map(Value::from),
                any::<f64>().prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
                prop::sample::select(vec![
                    "true",
                    "FALSE",
                    "NALOTest",
                    "233244123456",
                    "0244123456",
                    "*920#",
                    "*",
                    "#",
                    "1",
                    "",
                ])
                .prop_map(Value::from),
                ".{0,40}".prop_map(Value::String),
                (1000usize..1100).prop_map(|n| Value::String("9".repeat(n))),
            ];
            leaf.prop_recursive(2, 8, 4, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                    prop::collection::btree_map("[A-Za-z]{1,8}", inner, 0..4)
                        .prop_map(|m| Value::Object(m.into_iter().collect())),
                ]
            })
        }

        proptest! {
            #[test]
            fn decode_never_panics_on_bytes(body in prop::collection::vec(any::<u8>(), 0..512)) {
                let _ = nalo().decode(&request(&body));
            }

            #[test]
            fn decode_never_panics_on_nalo_shaped_objects(
                fields in prop::collection::btree_map(prop::sample::select(FIELDS), value(), 0..7),
            ) {
                let object: Map<String, Value> =
                    fields.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
                let body = Value::Object(object).to_string();
                if let Ok((inbound, echo)) = nalo().decode(&request(body.as_bytes())) {
                    let _ = nalo().render(&Reply { text: "x".into(), end: true }, &echo);
                    prop_assert!(!inbound.session_id.is_empty());
                }
            }
        }
    }
}
