//! Arkesel USSD (Ghana): JSON POSTs in, JSON screens out.
//!
//! A hop is `{sessionID, userID, newSession, msisdn, userData, network}`: `newSession` is true on
//! the first hop, whose `userData` is the dialled string (`*928*1#`); later hops carry the
//! newest input alone. The answer repeats `sessionID`, `userID` and `msisdn` beside `message`
//! and `continueSession`.
//!
//! Sources, read on 2026-11-30: Arkesel's guide
//! <https://arkesel.com/how-to-integrating-ussd-with-your-applications> (the flow, no field
//! list), and the sample request and answer of Arkesel's USSD documentation (`"userID":
//! "USSD_DOCUMENTATION"`), which could only be read as quoted by integrations on GitHub, not
//! on Arkesel's own page. They agree with the facts we were given. Neither gives a deadline
//! (an integrator's page says idle sessions end after 2.5 minutes): dalal's default applies,
//! and no end-of-session notice is documented.
//!
//! Quirks handled: a repeated `newSession: true` for a live session gets the screen already
//! sent (the runner's duplicate-start rule); `newSession` sent quoted (`"true"`); a dialled
//! string or input with a fullwidth `＃`/`＊` (seen in one integration's tests); `msisdn` as
//! a JSON number. Arkesel numbers no hop, so a resent hop cannot be told from a new input. One
//! integration treats `userData` as every input so far (`1*1`): the documentation shows the
//! newest input alone, and that is what is read.

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

pub const NAME: &str = "arkesel";

const PATH: &str = "/ussd/arkesel";

/// Arkesel USSD, as a plug-in of the runner.
pub struct Arkesel {
    /// Country of the numbers it sends in national form (Ghana unless configured).
    country: Option<CallingCode>,
}

impl FromConfig for Arkesel {
    fn from_config(config: &Config) -> Self {
        Arkesel {
            country: country_setting(config, NAME, Some(CallingCode::GHANA)),
        }
    }
}

/// What an answer repeats from the hop it answers, as Arkesel sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArkeselEcho {
    session_id: String,
    user_id: String,
    msisdn: String,
}

impl UssdGateway for Arkesel {
    type Echo = ArkeselEcho;

    fn name(&self) -> &'static str {
        NAME
    }

    fn routes(&self) -> &'static [Route] {
        const ROUTES: &[Route] = &[Route::json_post(PATH)];
        ROUTES
    }

    fn decode(&self, request: &WireRequest) -> Result<(Inbound, ArkeselEcho), GatewayError> {
        let body = JsonBody::parse(&request.body)?;
        let session_id = session_id(&body)?;
        let user_id = body.require_text("userID")?;
        let msisdn = body.require_non_empty("msisdn")?;
        let phone = e164("msisdn", &msisdn, self.country)?;
        let new_session = body.require_flag("newSession")?;
        let user_data = body.require_text("userData")?;
        // The first hop's `userData` is the dialled string: the session starts whatever it is.
        let event = if new_session {
            Event::Start
        } else {
            Event::Input(Input::Latest(
                clean_input(&halfwidth(&user_data)).to_string(),
            ))
        };
        let echo = ArkeselEcho {
            session_id: session_id.clone(),
            user_id,
            msisdn,
        };
        let inbound = Inbound {
            session_id,
            phone,
            event,
        };
        Ok((inbound, echo))
    }

    fn render(&self, reply: &Reply, echo: &ArkeselEcho) -> WireResponse {
        let answer = Answer {
            session_id: &echo.session_id,
            user_id: &echo.user_id,
            msisdn: &echo.msisdn,
            message: &reply.text,
            continue_session: !reply.end,
        };
        WireResponse {
            content_type: "application/json",
            // Serialising a struct of strings and a flag cannot fail.
            body: serde_json::to_string(&answer).unwrap_or_default(),
        }
    }
}

/// The answer to a hop, in Arkesel's field order and spelling.
#[derive(Serialize)]
struct Answer<'a> {
    #[serde(rename = "sessionID")]
    session_id: &'a str,
    #[serde(rename = "userID")]
    user_id: &'a str,
    msisdn: &'a str,
    message: &'a str,
    #[serde(rename = "continueSession")]
    continue_session: bool,
}

fn session_id(body: &JsonBody) -> Result<String, GatewayError> {
    let id = body.require_non_empty("sessionID")?;
    check_session_id("sessionID", &id)?;
    Ok(id)
}

/// Keypad characters some phones send fullwidth (`＊`, `＃`), made ASCII.
fn halfwidth(text: &str) -> String {
    text.replace('\u{FF0A}', "*").replace('\u{FF03}', "#")
}

/// Arkesel's side: the dialled code on the first hop, then the newest input; phones without
/// `+`.
impl Simulate for Arkesel {
    fn hop_request(&self, hop: &SimHop<'_>) -> SimRequest {
        let body = serde_json::json!({
            "sessionID": hop.session_id,
            "userID": "dalal-sim",
            "newSession": hop.inputs.is_empty(),
            "msisdn": hop.phone.trim_start_matches('+'),
            "userData": hop.inputs.last().map_or(hop.service_code, String::as_str),
            "network": "MTN",
        });
        SimRequest::json(PATH, body)
    }

    fn read_screen(&self, body: &str) -> Result<Screen, String> {
        let answer: serde_json::Value =
            serde_json::from_str(body).map_err(|e| format!("not JSON ({e}): {body:?}"))?;
        let text = answer["message"]
            .as_str()
            .ok_or_else(|| format!("no message: {body}"))?;
        let continue_session = answer["continueSession"]
            .as_bool()
            .ok_or_else(|| format!("no continueSession: {body}"))?;
        Ok(Screen {
            text: text.to_string(),
            end: !continue_session,
        })
    }

    fn end_request(&self, _: &SimHop<'_>) -> Option<SimRequest> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::case_json;
    use proptest::prelude::*;

    const GHANA: Arkesel = Arkesel {
        country: Some(CallingCode::GHANA),
    };

    fn malformed(field: &'static str, reason: &str) -> GatewayError {
        GatewayError::Malformed {
            field,
            reason: reason.into(),
        }
    }

    fn input(text: &str) -> Event {
        Event::Input(Input::Latest(text.into()))
    }

    fn decode(body: &str) -> Result<(Inbound, ArkeselEcho), GatewayError> {
        GHANA.decode(&case_json(PATH, body))
    }

    /// (label, request body, expected phone and event or error)
    type Case = (
        &'static str,
        &'static str,
        Result<(&'static str, Event), GatewayError>,
    );

    /// Labelled request body -> expected (phone, event) or error.
    #[test]
    fn hops_decode_into_neutral_events() {
        let cases: &[Case] = &[
            (
                "first hop: the documentation's sample",
                r#"{"sessionID":"2005506191900168","userID":"USSD_DOCUMENTATION","newSession":true,"msisdn":"233271231234","userData":"*928*1#","network":"AIRTELTIGO"}"#,
                Ok(("+233271231234", Event::Start)),
            ),
            (
                "duplicate start: newSession again (the runner answers the same screen)",
                r#"{"sessionID":"2005506191900168","userID":"u","newSession":true,"msisdn":"233271231234","userData":"*928*1#"}"#,
                Ok(("+233271231234", Event::Start)),
            ),
            (
                "later hop: the newest input",
                r#"{"sessionID":"2005506191900168","userID":"u","newSession":false,"msisdn":"233271231234","userData":"2","network":"MTN"}"#,
                Ok(("+233271231234", input("2"))),
            ),
            (
                "resent hop: the same input (nothing tells it apart)",
                r#"{"sessionID":"2005506191900168","userID":"u","newSession":false,"msisdn":"233271231234","userData":"2"}"#,
                Ok(("+233271231234", input("2"))),
            ),
            (
                "input with spaces and a leading *",
                r#"{"sessionID":"2005506191900168","userID":"u","newSession":false,"msisdn":"233271231234","userData":" *1 "}"#,
                Ok(("+233271231234", input("1"))),
            ),
            (
                "input with a fullwidth star",
                r#"{"sessionID":"2005506191900168","userID":"u","newSession":false,"msisdn":"233271231234","userData":"＊3"}"#,
                Ok(("+233271231234", input("3"))),
            ),
            (
                "newSession quoted",
                r#"{"sessionID":"2005506191900168","userID":"u","newSession":"false","msisdn":"233271231234","userData":"1"}"#,
                Ok(("+233271231234", input("1"))),
            ),
            (
                "phone with +",
                r#"{"sessionID":"s","userID":"u","newSession":true,"msisdn":"+233244123456","userData":"*928#"}"#,
                Ok(("+233244123456", Event::Start)),
            ),
            (
                "national phone (Ghana by default)",
                r#"{"sessionID":"s","userID":"u","newSession":true,"msisdn":"0244123456","userData":"*928#"}"#,
                Ok(("+233244123456", Event::Start)),
            ),
            (
                "phone as a JSON number",
                r#"{"sessionID":"s","userID":"u","newSession":true,"msisdn":233244123456,"userData":"*928#"}"#,
                Ok(("+233244123456", Event::Start)),
            ),
            (
                "a phone that is no number",
                r#"{"sessionID":"s","userID":"u","newSession":true,"msisdn":"MTN","userData":"*928#"}"#,
                Err(malformed("msisdn", "not an E.164 phone number")),
            ),
            (
                "missing sessionID",
                r#"{"userID":"u","newSession":true,"msisdn":"233244123456","userData":"*928#"}"#,
                Err(GatewayError::Missing("sessionID")),
            ),
            (
                "missing userID",
                r#"{"sessionID":"s","newSession":true,"msisdn":"233244123456","userData":"*928#"}"#,
                Err(GatewayError::Missing("userID")),
            ),
            (
                "missing msisdn",
                r#"{"sessionID":"s","userID":"u","newSession":true,"userData":"*928#"}"#,
                Err(GatewayError::Missing("msisdn")),
            ),
            (
                "missing newSession",
                r#"{"sessionID":"s","userID":"u","msisdn":"233244123456","userData":"*928#"}"#,
                Err(GatewayError::Missing("newSession")),
            ),
            (
                "missing userData",
                r#"{"sessionID":"s","userID":"u","newSession":false,"msisdn":"233244123456"}"#,
                Err(GatewayError::Missing("userData")),
            ),
            (
                "newSession of the wrong type",
                r#"{"sessionID":"s","userID":"u","newSession":1,"msisdn":"233244123456","userData":"1"}"#,
                Err(malformed("newSession", "expected true or false")),
            ),
            (
                "userData of the wrong type",
                r#"{"sessionID":"s","userID":"u","newSession":false,"msisdn":"233244123456","userData":{}}"#,
                Err(malformed("userData", "expected a string")),
            ),
            (
                "an empty sessionID",
                r#"{"sessionID":" ","userID":"u","newSession":true,"msisdn":"233244123456","userData":"*928#"}"#,
                Err(malformed("sessionID", "empty")),
            ),
            (
                "a body that is not JSON",
                "sessionID=s&msisdn=233244123456",
                Err(GatewayError::NotJson(
                    "expected value at line 1 column 1".into(),
                )),
            ),
            (
                "a JSON array",
                "[]",
                Err(GatewayError::NotJson("expected a JSON object".into())),
            ),
        ];
        for (label, body, expected) in cases {
            let got = decode(body).map(|(inbound, _)| (inbound.phone, inbound.event));
            let expected = expected
                .clone()
                .map(|(phone, event)| (phone.to_string(), event));
            assert_eq!(got, expected, "{label}");
        }
    }

    #[test]
    fn non_utf8_bodies_are_refused() {
        let mut request = case_json(PATH, "");
        request.body = bytes::Bytes::from_static(
            b"{\"sessionID\":\"s\",\"userID\":\"u\",\"newSession\":false,\"msisdn\":\"233244123456\",\"userData\":\"\xC3\x28\"}",
        );
        assert_eq!(
            GHANA.decode(&request).map(|_| ()),
            Err(GatewayError::NotUtf8("<body>".into()))
        );
    }

    /// The answer repeats the ids exactly as they came, whatever they contain.
    #[test]
    fn screens_render_in_arkesels_json() {
        let (_, echo) = decode(
            r#"{"sessionID":"a:b%3A c","userID":"USSD_DOCUMENTATION","newSession":false,"msisdn":"233271231234","userData":"1"}"#,
        )
        .unwrap();
        let cases = [
            (
                "continue",
                Reply {
                    text: "Menu\n1. Bill".into(),
                    end: false,
                },
                r#"{"sessionID":"a:b%3A c","userID":"USSD_DOCUMENTATION","msisdn":"233271231234","message":"Menu\n1. Bill","continueSession":true}"#,
            ),
            (
                "end",
                Reply {
                    text: "Akwaaba \"Ama\"".into(),
                    end: true,
                },
                r#"{"sessionID":"a:b%3A c","userID":"USSD_DOCUMENTATION","msisdn":"233271231234","message":"Akwaaba \"Ama\"","continueSession":false}"#,
            ),
        ];
        for (label, reply, expected) in cases {
            let answer = GHANA.render(&reply, &echo);
            assert_eq!(answer.content_type, "application/json", "{label}");
            assert_eq!(answer.body, expected, "{label}");
        }
        let (_, echo) = decode(
            r#"{"sessionID":"s","userID":"u","newSession":true,"msisdn":233271231234,"userData":"*928#"}"#,
        )
        .unwrap();
        assert_eq!(
            echo.msisdn, "233271231234",
            "a numeric msisdn echoed as its digits"
        );
    }

    /// The aggregator's side round-trips through the plug-in.
    #[test]
    fn simulated_arkesel_round_trips() {
        let inputs = ["1".to_string(), " 2".to_string()];
        for (count, expected) in [(0, Event::Start), (1, input("1")), (2, input("2"))] {
            let hop = SimHop {
                session_id: "sim-1",
                phone: "+233244123456",
                service_code: "*928*1#",
                inputs: &inputs[..count],
            };
            let sent = GHANA.hop_request(&hop);
            let (inbound, echo) = GHANA
                .decode(&case_json(&sent.path_and_query, &sent.body))
                .unwrap();
            assert_eq!(inbound.event, expected);
            assert_eq!(inbound.phone, "+233244123456");
            assert_eq!(echo.session_id, "sim-1");
            assert_eq!(GHANA.end_request(&hop), None);

            for end in [false, true] {
                let reply = Reply {
                    text: "Balance: GHS 12.00".into(),
                    end,
                };
                let body = GHANA.render(&reply, &echo).body;
                assert_eq!(
                    GHANA.read_screen(&body),
                    Ok(Screen {
                        text: reply.text.clone(),
                        end
                    })
                );
            }
        }
        assert!(GHANA.read_screen("END Bye").is_err());
    }

    /// Any JSON value: what a field may hold in a fuzzed body.
    fn any_json() -> impl Strategy<Value = serde_json::Value> {
        use serde_json::Value;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            ".{0,24}".prop_map(Value::String),
            "(true|false|[0-9+ ]{0,16})".prop_map(Value::String),
        ];
        leaf.prop_recursive(2, 8, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map("[a-z]{1,6}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    const FIELDS: &[&str] = &[
        "sessionID",
        "userID",
        "newSession",
        "msisdn",
        "userData",
        "network",
    ];

    proptest! {
        #[test]
        fn decode_never_panics_on_bytes(body in prop::collection::vec(any::<u8>(), 0..512)) {
            let mut request = case_json(PATH, "");
            request.body = body.into();
            let _ = GHANA.decode(&request);
        }

        #[test]
        fn decode_never_panics_on_json_objects(
            fields in prop::collection::vec((prop::sample::select(FIELDS), any_json()), 0..10),
        ) {
            let object: serde_json::Map<String, serde_json::Value> =
                fields.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
            let body = serde_json::Value::Object(object).to_string();
            if let Ok((_, echo)) = decode(&body) {
                let reply = Reply { text: "x".into(), end: false };
                let _ = GHANA.read_screen(&GHANA.render(&reply, &echo).body);
            }
        }
    }
}
