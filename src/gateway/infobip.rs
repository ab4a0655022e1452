//! Infobip USSD: JSON callbacks to `/session/{sessionId}/start`, `.../response` and `.../end`,
//! JSON menus out.
//!
//! The format and the cases come from Infobip's "USSD Gateway to Third-party Application
//! HTTP/REST/JSON Web Service API", as quoted in the Vumi Infobip transport's documentation
//! (<http://docs.vumi.org/en/latest/transports/infobip.html>) and exercised by that transport's
//! tests (`praekeltfoundation/vumi`, `vumi/transports/infobip/tests/test_infobip.py`), read on
//! 2026-11-30. Infobip's own USSD page could not be read; where the facts we were given differ
//! from that specification, the specification wins:
//! - an answer carries `responseExitCode` (mandatory: 200) besides `ussdMenu` and
//!   `shouldClose`; `responseMessage` goes empty, as the reference transport sends it.
//! - `start` and `response` carry `msisdn` (international, no `+`) and `text`, and may carry
//!   `imsi`, `shortCode` ("not as mandatory as the documentation claims", says Vumi),
//!   `language`, `optional` and the undocumented `ussdGwId`: those are not needed here.
//! - `end` carries only `exitCode` (mandatory; its table of values is not public) and
//!   `reason`: no phone. Its answer is `responseExitCode` 200 with an empty `responseMessage`.
//! - the reference transport's tests send `end` as HTTP `PUT`: the `end` route answers `PUT`
//!   as well as `POST`. The `GET .../status` poll is not served.
//! - the first screen of a session is always shown as a menu, whatever `shouldClose` says: a
//!   caller who answers an ending first screen is then answered with an ending screen again.
//! - no deadline is documented: dalal's default applies.
//!
//! Quirks handled: a second `start` for a live session (the reference transport refuses it) is
//! answered with the screen already sent, by the runner's duplicate-start rule; `text` on
//! `start` is whatever the caller dialled (`*544#`, or words) and starts the session anyway.
//! Infobip numbers no hop, so a resent `response` cannot be told from a new input.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use serde::Serialize;

use super::json::JsonBody;
use super::simulate::{Screen, SimHop, SimRequest, Simulate};
use super::{
    CallingCode, FromConfig, GatewayError, Route, UssdGateway, WireRequest, WireResponse,
    check_session_id, clean_input, country_setting, e164,
};
use crate::channel::{Event, Inbound, Input};
use crate::config::Config;
use crate::domain::SessionEnd;
use crate::engine::Reply;

pub const NAME: &str = "infobip";

/// Where the session's callbacks arrive: this, the session id, then what happened.
const SESSION_PATH: &str = "/ussd/infobip/session/";

/// Infobip USSD, as a plug-in of the runner.
pub struct Infobip {
    /// Country of the numbers it sends in national form (none by default: they come
    /// international).
    country: Option<CallingCode>,
}

impl FromConfig for Infobip {
    fn from_config(config: &Config) -> Self {
        Infobip {
            country: country_setting(config, NAME, None),
        }
    }
}

/// What a callback reports, from the last segment of its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Callback {
    Start,
    Response,
    End,
}

impl UssdGateway for Infobip {
    type Echo = ();

    fn name(&self) -> &'static str {
        NAME
    }

    fn routes(&self) -> &'static [Route] {
        const ROUTES: &[Route] = &[
            Route::json_post("/ussd/infobip/session/{session_id}/start"),
            Route::json_post("/ussd/infobip/session/{session_id}/response"),
            // Infobip's own service sends the end notice with `PUT`; accept `POST` too.
            Route {
                path: "/ussd/infobip/session/{session_id}/end",
                get: false,
                put: true,
                max_body: Some(super::JSON_BODY_LIMIT),
            },
        ];
        ROUTES
    }

    fn decode(&self, request: &WireRequest) -> Result<(Inbound, ()), GatewayError> {
        let (session_id, callback) = session_path(&request.path)?;
        let body = JsonBody::parse(&request.body)?;
        let inbound = match callback {
            Callback::Start => {
                let phone = self.phone(&body)?;
                // The dialled string (or anything): the session starts whatever it says.
                body.require_text("text")?;
                Inbound {
                    session_id,
                    phone,
                    event: Event::Start,
                }
            }
            Callback::Response => {
                let phone = self.phone(&body)?;
                let text = body.require_text("text")?;
                Inbound {
                    session_id,
                    phone,
                    event: Event::Input(Input::Latest(clean_input(&text).to_string())),
                }
            }
            Callback::End => {
                let end = self.end_notice(&body, session_id)?;
                Inbound {
                    session_id: end.session_id.clone(),
                    phone: end.phone.clone().unwrap_or_default(),
                    event: Event::End(end),
                }
            }
        };
        Ok((inbound, ()))
    }

    fn render(&self, reply: &Reply, _: &()) -> WireResponse {
        json_response(&Menu {
            ussd_menu: &reply.text,
            should_close: reply.end,
            response_exit_code: OK_EXIT_CODE,
            response_message: "",
        })
    }

    fn acknowledge_end(&self, _: &()) -> WireResponse {
        json_response(&Acknowledgement {
            response_exit_code: OK_EXIT_CODE,
            response_message: "",
        })
    }
}

impl Infobip {
    fn phone(&self, body: &JsonBody) -> Result<String, GatewayError> {
        let raw = body.require_non_empty("msisdn")?;
        e164("msisdn", &raw, self.country)
    }

    fn end_notice(&self, body: &JsonBody, session_id: String) -> Result<SessionEnd, GatewayError> {
        let exit_code = body.require_integer("exitCode")?;
        let non_empty = |name| -> Result<Option<String>, GatewayError> {
            Ok(body.text(name)?.filter(|s| !s.trim().is_empty()))
        };
        // `end` names no phone in the specification; one sent anyway is kept.
        let phone = match non_empty("msisdn")? {
            Some(_) => Some(self.phone(body)?),
            None => None,
        };
        Ok(SessionEnd {
            gateway: NAME.to_string(),
            session_id,
            status: exit_code.to_string(),
            error_message: non_empty("reason")?,
            phone,
            service_code: non_empty("shortCode")?,
            ..SessionEnd::default()
        })
    }
}

/// The exit code of an answer that processed the request.
const OK_EXIT_CODE: u16 = 200;

/// The answer to `start` and `response`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Menu<'a> {
    ussd_menu: &'a str,
    should_close: bool,
    response_exit_code: u16,
    response_message: &'a str,
}

/// The answer to `end`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Acknowledgement<'a> {
    response_exit_code: u16,
    response_message: &'a str,
}

fn json_response(answer: &impl Serialize) -> WireResponse {
    WireResponse {
        content_type: "application/json",
        // Serialising these structs of strings, numbers and flags cannot fail.
        body: serde_json::to_string(answer).unwrap_or_default(),
    }
}

/// The session id and the callback in `/ussd/infobip/session/{id}/{callback}`.
fn session_path(path: &str) -> Result<(String, Callback), GatewayError> {
    let malformed = |reason: &str| GatewayError::Malformed {
        field: "sessionId",
        reason: reason.into(),
    };
    let (raw_id, callback) = path
        .strip_prefix(SESSION_PATH)
        .and_then(|rest| rest.rsplit_once('/'))
        .ok_or_else(|| malformed("expected /session/{sessionId}/start|response|end"))?;
    let callback = match callback {
        "start" => Callback::Start,
        "response" => Callback::Response,
        "end" => Callback::End,
        _ => {
            return Err(malformed(
                "expected /session/{sessionId}/start|response|end",
            ));
        }
    };
    // One path segment: a `/` in the id arrives encoded.
    if raw_id.contains('/') {
        return Err(malformed(
            "expected /session/{sessionId}/start|response|end",
        ));
    }
    let id = percent_decode_str(raw_id)
        .decode_utf8()
        .map_err(|_| GatewayError::NotUtf8("sessionId".into()))?;
    check_session_id("sessionId", &id)?;
    Ok((id.into_owned(), callback))
}

/// What may stay as it is in a path segment.
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

fn callback_path(session_id: &str, callback: &str) -> String {
    let id = utf8_percent_encode(session_id, PATH_SEGMENT);
    format!("{SESSION_PATH}{id}/{callback}")
}

/// Infobip's side: `start` with the dialled code, `response` with the newest input, phones
/// without `+`.
impl Simulate for Infobip {
    fn hop_request(&self, hop: &SimHop<'_>) -> SimRequest {
        let msisdn = hop.phone.trim_start_matches('+');
        let (callback, text) = match hop.inputs.last() {
            None => ("start", hop.service_code),
            Some(newest) => ("response", newest.as_str()),
        };
        let body = serde_json::json!({
            "msisdn": msisdn,
            "imsi": null,
            "shortCode": hop.service_code,
            "text": text,
            "language": null,
            "optional": null,
            "ussdGwId": "dalal-sim",
        });
        SimRequest::json(callback_path(hop.session_id, callback), body)
    }

    fn read_screen(&self, body: &str) -> Result<Screen, String> {
        let answer: serde_json::Value =
            serde_json::from_str(body).map_err(|e| format!("not JSON ({e}): {body:?}"))?;
        let text = answer["ussdMenu"]
            .as_str()
            .ok_or_else(|| format!("no ussdMenu: {body}"))?;
        let should_close = answer["shouldClose"]
            .as_bool()
            .ok_or_else(|| format!("no shouldClose: {body}"))?;
        if answer["responseExitCode"] != OK_EXIT_CODE {
            return Err(format!("responseExitCode is not {OK_EXIT_CODE}: {body}"));
        }
        Ok(Screen {
            text: text.to_string(),
            end: should_close,
        })
    }

    /// Sent as `POST` (dalal's routes do not take the `PUT` Infobip may use).
    fn end_request(&self, hop: &SimHop<'_>) -> Option<SimRequest> {
        let body = serde_json::json!({"exitCode": 0, "reason": "user left"});
        Some(SimRequest::json(callback_path(hop.session_id, "end"), body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::case_json;
    use proptest::prelude::*;

    const INTERNATIONAL: Infobip = Infobip { country: None };
    const GHANA: Infobip = Infobip {
        country: Some(CallingCode::GHANA),
    };

    const START: &str = "/ussd/infobip/session/4f1c-77/start";
    const RESPONSE: &str = "/ussd/infobip/session/4f1c-77/response";
    const END: &str = "/ussd/infobip/session/4f1c-77/end";

    fn malformed(field: &'static str, reason: &str) -> GatewayError {
        GatewayError::Malformed {
            field,
            reason: reason.into(),
        }
    }

    fn input(text: &str) -> Event {
        Event::Input(Input::Latest(text.into()))
    }

    type Case = (
        &'static str,
        &'static Infobip,
        &'static str,
        &'static str,
        Result<(&'static str, Event), GatewayError>,
    );

    /// Labelled callback (gateway, path, body) -> expected (phone, event) or error.
    #[test]
    fn callbacks_decode_into_neutral_events() {
        let cases: Vec<Case> = vec![
            (
                "first hop: start with the dialled code",
                &INTERNATIONAL,
                START,
                r#"{"msisdn":"233244123456","imsi":"620011234567890","shortCode":"*544#","text":"*544#","language":null,"optional":"o=1","ussdGwId":"live2"}"#,
                Ok(("+233244123456", Event::Start)),
            ),
            (
                "start whose text is words, without shortCode",
                &INTERNATIONAL,
                START,
                r#"{"msisdn":"385955363443","text":"hello there"}"#,
                Ok(("+385955363443", Event::Start)),
            ),
            (
                "duplicate start: a start again (the runner answers the same screen)",
                &INTERNATIONAL,
                START,
                r#"{"msisdn":"233244123456","text":"*544#"}"#,
                Ok(("+233244123456", Event::Start)),
            ),
            (
                "later hop: the newest input",
                &INTERNATIONAL,
                RESPONSE,
                r#"{"msisdn":"233244123456","shortCode":"*544#","text":"2"}"#,
                Ok(("+233244123456", input("2"))),
            ),
            (
                "resent response: the same input (nothing tells it apart)",
                &INTERNATIONAL,
                RESPONSE,
                r#"{"msisdn":"233244123456","text":"2"}"#,
                Ok(("+233244123456", input("2"))),
            ),
            (
                "input with spaces and a leading *",
                &INTERNATIONAL,
                RESPONSE,
                r#"{"msisdn":"233244123456","text":" *1 "}"#,
                Ok(("+233244123456", input("1"))),
            ),
            (
                "empty input (the caller sent nothing)",
                &INTERNATIONAL,
                RESPONSE,
                r#"{"msisdn":"233244123456","text":""}"#,
                Ok(("+233244123456", input(""))),
            ),
            (
                "phone with +",
                &INTERNATIONAL,
                RESPONSE,
                r#"{"msisdn":"+233244123456","text":"1"}"#,
                Ok(("+233244123456", input("1"))),
            ),
            (
                "phone as a JSON number",
                &INTERNATIONAL,
                RESPONSE,
                r#"{"msisdn":233244123456,"text":"1"}"#,
                Ok(("+233244123456", input("1"))),
            ),
            (
                "national phone with a country configured",
                &GHANA,
                RESPONSE,
                r#"{"msisdn":"0244123456","text":"1"}"#,
                Ok(("+233244123456", input("1"))),
            ),
            (
                "national phone with no country: refused",
                &INTERNATIONAL,
                RESPONSE,
                r#"{"msisdn":"0244123456","text":"1"}"#,
                Err(malformed("msisdn", "not an E.164 phone number")),
            ),
            (
                "missing msisdn",
                &INTERNATIONAL,
                START,
                r#"{"text":"*544#"}"#,
                Err(GatewayError::Missing("msisdn")),
            ),
            (
                "missing text on start",
                &INTERNATIONAL,
                START,
                r#"{"msisdn":"233244123456"}"#,
                Err(GatewayError::Missing("text")),
            ),
            (
                "missing text on response",
                &INTERNATIONAL,
                RESPONSE,
                r#"{"msisdn":"233244123456"}"#,
                Err(GatewayError::Missing("text")),
            ),
            (
                "text of the wrong type",
                &INTERNATIONAL,
                RESPONSE,
                r#"{"msisdn":"233244123456","text":["1"]}"#,
                Err(malformed("text", "expected a string")),
            ),
            (
                "msisdn of the wrong type",
                &INTERNATIONAL,
                RESPONSE,
                r#"{"msisdn":true,"text":"1"}"#,
                Err(malformed("msisdn", "expected a string")),
            ),
            (
                "a body that is not JSON",
                &INTERNATIONAL,
                RESPONSE,
                "msisdn=233244123456&text=1",
                Err(GatewayError::NotJson(
                    "expected value at line 1 column 1".into(),
                )),
            ),
            (
                "a session id that is not UTF-8",
                &INTERNATIONAL,
                "/ussd/infobip/session/%C3%28/start",
                r#"{"msisdn":"233244123456","text":"*544#"}"#,
                Err(GatewayError::NotUtf8("sessionId".into())),
            ),
            (
                "an unknown callback",
                &INTERNATIONAL,
                "/ussd/infobip/session/4f1c-77/status",
                "",
                Err(malformed(
                    "sessionId",
                    "expected /session/{sessionId}/start|response|end",
                )),
            ),
        ];
        for (label, gateway, path, body, expected) in cases {
            let got = gateway.decode(&case_json(path, body)).map(|(inbound, ())| {
                assert_eq!(inbound.session_id, "4f1c-77", "{label}");
                (inbound.phone, inbound.event)
            });
            let expected = expected.map(|(phone, event)| (phone.to_string(), event));
            assert_eq!(got, expected, "{label}");
        }
    }

    #[test]
    fn end_notices_are_recorded_and_acknowledged() {
        let (inbound, ()) = INTERNATIONAL
            .decode(&case_json(END, r#"{"reason":"timeout","exitCode":1}"#))
            .unwrap();
        let expected = SessionEnd {
            gateway: NAME.into(),
            session_id: "4f1c-77".into(),
            status: "1".into(),
            error_message: Some("timeout".into()),
            ..SessionEnd::default()
        };
        assert_eq!(inbound.event, Event::End(expected));
        assert_eq!(inbound.phone, "");

        let (inbound, ()) = INTERNATIONAL
            .decode(&case_json(
                END,
                r#"{"exitCode":"0","reason":"","msisdn":"233244123456"}"#,
            ))
            .unwrap();
        let Event::End(end) = inbound.event else {
            panic!("not an end: {:?}", inbound.event)
        };
        assert_eq!((end.status.as_str(), end.error_message), ("0", None));
        assert_eq!(inbound.phone, "+233244123456");

        for (label, body, expected) in [
            (
                "missing exitCode",
                r#"{"reason":"ok"}"#,
                GatewayError::Missing("exitCode"),
            ),
            (
                "exitCode of the wrong type",
                r#"{"exitCode":{}}"#,
                malformed("exitCode", "expected an integer"),
            ),
            (
                "an empty body",
                "",
                GatewayError::NotJson("EOF while parsing a value at line 1 column 0".into()),
            ),
        ] {
            let got = INTERNATIONAL.decode(&case_json(END, body)).map(|_| ());
            assert_eq!(got, Err(expected), "{label}");
        }

        let ack = INTERNATIONAL.acknowledge_end(&());
        assert_eq!(ack.content_type, "application/json");
        assert_eq!(ack.body, r#"{"responseExitCode":200,"responseMessage":""}"#);
    }

    #[test]
    fn non_utf8_bodies_are_refused() {
        let mut request = case_json(RESPONSE, "");
        request.body =
            bytes::Bytes::from_static(b"{\"msisdn\":\"233244123456\",\"text\":\"\xC3\x28\"}");
        assert_eq!(
            INTERNATIONAL.decode(&request).map(|_| ()),
            Err(GatewayError::NotUtf8("<body>".into()))
        );
    }

    #[test]
    fn menus_render_in_infobips_json() {
        let cases = [
            (
                "continue",
                Reply {
                    text: "Menu\n1. Bill".into(),
                    end: false,
                },
                r#"{"ussdMenu":"Menu\n1. Bill","shouldClose":false,"responseExitCode":200,"responseMessage":""}"#,
            ),
            (
                "end",
                Reply {
                    text: "Merci \"Awa\"".into(),
                    end: true,
                },
                r#"{"ussdMenu":"Merci \"Awa\"","shouldClose":true,"responseExitCode":200,"responseMessage":""}"#,
            ),
        ];
        for (label, reply, expected) in cases {
            let answer = INTERNATIONAL.render(&reply, &());
            assert_eq!(answer.content_type, "application/json", "{label}");
            assert_eq!(answer.body, expected, "{label}");
        }
    }

    /// Every route is a path axum takes (a mistyped `{parameter}` would panic at startup).
    #[test]
    fn routes_are_valid_axum_paths() {
        let mut router = axum::Router::<()>::new();
        for route in INTERNATIONAL.routes() {
            router = router.route(route.path, axum::routing::post(|| async {}));
        }
        drop(router);
    }
    /// The aggregator's side round-trips through the plug-in.
    #[test]
    fn simulated_infobip_round_trips() {
        let inputs = ["1".to_string(), "2".to_string()];
        for (count, expected) in [(0, Event::Start), (2, input("2"))] {
            let hop = SimHop {
                session_id: "sim 1/a",
                phone: "+233244123456",
                service_code: "*544#",
                inputs: &inputs[..count],
            };
            let sent = INTERNATIONAL.hop_request(&hop);
            let request = case_json(&sent.path_and_query, &sent.body);
            let (inbound, ()) = INTERNATIONAL.decode(&request).unwrap();
            assert_eq!(
                (inbound.session_id.as_str(), inbound.phone.as_str()),
                ("sim 1/a", "+233244123456")
            );
            assert_eq!(inbound.event, expected);

            let end = INTERNATIONAL.end_request(&hop).unwrap();
            let (inbound, ()) = INTERNATIONAL
                .decode(&case_json(&end.path_and_query, &end.body))
                .unwrap();
            assert!(matches!(inbound.event, Event::End(e) if e.session_id == "sim 1/a"));
        }
        for end in [false, true] {
            let reply = Reply {
                text: "Solde: 12 000 F\n0. Retour".into(),
                end,
            };
            let body = INTERNATIONAL.render(&reply, &()).body;
            assert_eq!(
                INTERNATIONAL.read_screen(&body),
                Ok(Screen {
                    text: reply.text.clone(),
                    end
                })
            );
        }
        assert!(INTERNATIONAL.read_screen("CON Menu").is_err());
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
            "[0-9+ ]{0,20}".prop_map(Value::String),
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
        "msisdn",
        "imsi",
        "text",
        "shortCode",
        "language",
        "optional",
        "ussdGwId",
        "exitCode",
        "reason",
    ];

    proptest! {
        #[test]
        fn decode_never_panics_on_bytes(
            body in prop::collection::vec(any::<u8>(), 0..512),
            segment in "[^/?#]{0,40}",
            callback in prop_oneof![Just("start"), Just("response"), Just("end"), Just("x")],
        ) {
            let mut request = case_json(&format!("{SESSION_PATH}x/{callback}"), "");
            request.path = format!("{SESSION_PATH}{segment}/{callback}");
            request.body = body.into();
            let _ = GHANA.decode(&request);
        }

        #[test]
        fn decode_never_panics_on_json_objects(
            fields in prop::collection::vec((prop::sample::select(FIELDS), any_json()), 0..10),
            callback in prop_oneof![Just("start"), Just("response"), Just("end")],
        ) {
            let object: serde_json::Map<String, serde_json::Value> =
                fields.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
            let body = serde_json::Value::Object(object).to_string();
            let _ = GHANA.decode(&case_json(&format!("{SESSION_PATH}s1/{callback}"), &body));
        }
    }
}
