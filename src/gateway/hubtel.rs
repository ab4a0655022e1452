//! Hubtel Programmable Services (USSD, Ghana): JSON POSTs in, JSON out.
//!
//! Read on 2026-11-30:
//! - <https://developers.hubtel.com/docs/api-reference-prog-services> (the same page at
//!   businessdocs-developers.hubtel.com): the request fields `SessionId, Mobile, ServiceCode,
//!   Type, Message, Operator, ClientState, Sequence`; `Type` is `initiation`, `response` or
//!   `release` (lower case there); `Message` is the USSD string dialled on initiation, then the
//!   caller's newest input; `ClientState` is what the application asked to get back.
//! - <https://hubtel.readme.io/reference/sample-general-services-interaction>: a sample
//!   request, with `"Sequence":"1"` as a string and `"Mobile":"233246912184"`.
//! - Hubtel's SDK <https://github.com/hubtel/programmable-services-sdk-dotnet> (README,
//!   `Models/ProgrammableServiceResponse.cs`, `ProgrammableServiceActionType.cs`,
//!   `ProgrammableServiceDataTypes.cs`, `ProgrammableServiceFieldTypes.cs`): the answer's fields
//!   `Type` (`Response` keeps the session, `Release` ends it), `Message`, `ClientState`,
//!   `Label`, `DataType` (`display`, `input`, ...), `FieldType` (`text`, ...); a `Timeout`
//!   request ("your service took too long to respond": any answer to it is ignored); and
//!   "respond promptly (<= 5s for USSD applications)".
//! - <https://github.com/smsgh/ussd-mocker> (Hubtel's simulator from when it was SMSGH):
//!   `Type` capitalised (`Initiation`, `Response`, `Release`, `Timeout`), `Sequence` a number,
//!   1 on initiation and one more on every request after it, release and timeout included.
//! - <https://github.com/habbes/ussd-menu-builder/pull/19>: callers dial long codes
//!   (`*714*1#`), which arrive as an initiation's `Message`.
//!
//! Where these differ from what dalal was told: the deadline is 5 s (Hubtel's SDK), not 7 s;
//! `Type` comes in either case (accepted in any); `Sequence` comes as a number or a string
//! (both read as the same hop number). The answer carries `SessionId` as well, as the
//! documentation's samples do.

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
use crate::domain::SessionEnd;
use crate::engine::Reply;

pub const NAME: &str = "hubtel";

/// The one route Hubtel posts every request of a session to.
pub const PATH: &str = "/ussd/hubtel";

/// How long Hubtel waits for an answer ("<= 5s for USSD applications").
const DEADLINE: Duration = Duration::from_secs(5);

const JSON: &str = "application/json";

/// Hubtel Programmable Services, as a plug-in of the runner.
pub struct Hubtel {
    /// Country of the national numbers in `Mobile` (Hubtel sends `233...`; Ghana if unset).
    country: Option<CallingCode>,
}

impl FromConfig for Hubtel {
    fn from_config(config: &Config) -> Self {
        Hubtel {
            country: country_setting(config, NAME, Some(CallingCode::GHANA)),
        }
    }
}

/// What an answer repeats from the request it answers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Echo {
    pub session_id: String,
    /// Handed back unchanged: dalal keeps its state itself, and Hubtel discards it after
    /// each request.
    pub client_state: String,
}

impl UssdGateway for Hubtel {
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

    /// Hubtel reads every answer as a screen: a release or timeout gets an empty `Release`
    /// (its SDK answers a timeout the same way; Hubtel ignores it).
    fn acknowledge_end(&self, echo: &Echo) -> WireResponse {
        WireResponse {
            content_type: JSON,
            body: render_answer("", true, echo),
        }
    }
}

/// Hubtel's side: one JSON POST per hop, the newest input in `Message`, hops numbered.
impl Simulate for Hubtel {
    fn hop_request(&self, hop: &SimHop<'_>) -> SimRequest {
        let (kind, message) = if hop.inputs.is_empty() {
            ("Initiation", hop.service_code)
        } else {
            ("Response", hop.newest())
        };
        SimRequest::json(PATH, hubtel_request(hop, kind, message, hop.sequence()))
    }

    fn read_screen(&self, body: &str) -> Result<Screen, String> {
        let answer: serde_json::Value =
            serde_json::from_str(body).map_err(|e| format!("not JSON ({e}): {body:?}"))?;
        let text = answer["Message"]
            .as_str()
            .ok_or_else(|| format!("no Message: {body:?}"))?;
        let end = match answer["Type"]
            .as_str()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("response") => false,
            Some("release") => true,
            _ => return Err(format!("Type is neither Response nor Release: {body:?}")),
        };
        Ok(Screen {
            text: text.into(),
            end,
        })
    }

    fn end_request(&self, hop: &SimHop<'_>) -> Option<SimRequest> {
        // The caller leaving is one more numbered request, after the last hop.
        let body = hubtel_request(hop, "Release", "", hop.sequence() + 1);
        Some(SimRequest::json(PATH, body))
    }
}

/// A request as Hubtel writes it: `Mobile` without the `+`.
fn hubtel_request(
    hop: &SimHop<'_>,
    kind: &str,
    message: &str,
    sequence: usize,
) -> serde_json::Value {
    serde_json::json!({
        "SessionId": hop.session_id,
        "Mobile": hop.phone.trim_start_matches('+'),
        "ServiceCode": hop.service_code,
        "Type": kind,
        "Message": message,
        "Operator": "mtn",
        "ClientState": "",
        "Sequence": sequence,
    })
}

/// What a request's `Type` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RequestType {
    /// The caller dialled the code (whatever extension the dialled string carries).
    Initiation,
    /// The caller's newest input.
    Response,
    /// The caller left.
    Release,
    /// Hubtel gave up waiting for an answer.
    Timeout,
}

impl RequestType {
    /// The documentation writes them in lower case, Hubtel's simulator capitalised: any case.
    fn parse(raw: &str) -> Result<RequestType, GatewayError> {
        let known = [
            ("initiation", RequestType::Initiation),
            ("response", RequestType::Response),
            ("release", RequestType::Release),
            ("timeout", RequestType::Timeout),
        ];
        known
            .into_iter()
            .find(|(word, _)| raw.trim().eq_ignore_ascii_case(word))
            .map(|(_, kind)| kind)
            .ok_or_else(|| GatewayError::Malformed {
                field: "Type",
                reason: "expected Initiation, Response, Release or Timeout".into(),
            })
    }

    /// The status an end notice is recorded with (the gateway's own word).
    fn end_status(self) -> Option<&'static str> {
        match self {
            RequestType::Release => Some("Release"),
            RequestType::Timeout => Some("Timeout"),
            RequestType::Initiation | RequestType::Response => None,
        }
    }
}

/// Decodes one request body: the hop (or end notice) and what its answer must repeat.
pub fn parse(body: &[u8], country: Option<CallingCode>) -> Result<(Inbound, Echo), GatewayError> {
    let json = JsonBody::parse(body)?;
    let session_id = session_id(&json)?;
    let kind = RequestType::parse(&json.require_non_empty("Type")?)?;
    let echo = Echo {
        session_id: session_id.clone(),
        client_state: json.text("ClientState")?.unwrap_or_default(),
    };
    let inbound = match kind.end_status() {
        Some(status) => end_notice(&json, session_id, status, country)?,
        None => Inbound {
            session_id,
            phone: phone(&json.require_non_empty("Mobile")?, country)?,
            event: hop_event(&json, kind)?,
        },
    };
    Ok((inbound, echo))
}

/// An initiation starts the session whatever was dialled; a response carries the newest
/// input, numbered by `Sequence` so that a resent request is answered without being applied
/// twice.
fn hop_event(json: &JsonBody, kind: RequestType) -> Result<Event, GatewayError> {
    if kind == RequestType::Initiation {
        return Ok(Event::Start);
    }
    let text = clean_input(&json.require_text("Message")?).to_string();
    let hop = sequence(json)?.to_string();
    Ok(Event::Input(Input::Numbered { text, hop }))
}

/// A release or timeout: the session is over (`Mobile` is recorded when sent).
fn end_notice(
    json: &JsonBody,
    session_id: String,
    status: &str,
    country: Option<CallingCode>,
) -> Result<Inbound, GatewayError> {
    let phone = match json.text("Mobile")? {
        Some(raw) if !raw.trim().is_empty() => Some(phone(&raw, country)?),
        _ => None,
    };
    let non_empty = |field| -> Result<Option<String>, GatewayError> {
        Ok(json.text(field)?.filter(|s| !s.trim().is_empty()))
    };
    let end = SessionEnd {
        gateway: NAME.to_string(),
        session_id: session_id.clone(),
        status: status.to_string(),
        duration_ms: None,
        hops_count: None,
        input: None,
        last_app_response: None,
        error_message: None,
        cost: None,
        phone: phone.clone(),
        service_code: non_empty("ServiceCode")?,
        // Hubtel names the network (`mtn`, `vodafone`, ...) rather than giving its code.
        network_code: non_empty("Operator")?,
        date: None,
    };
    Ok(Inbound {
        session_id,
        phone: phone.unwrap_or_default(),
        event: Event::End(end),
    })
}

fn session_id(json: &JsonBody) -> Result<String, GatewayError> {
    let id = json.require_non_empty("SessionId")?;
    check_session_id("SessionId", &id)?;
    Ok(id)
}

fn phone(raw: &str, country: Option<CallingCode>) -> Result<String, GatewayError> {
    e164("Mobile", raw, country)
}

/// The hop's number: 1 on initiation, one more on each request after it.
fn sequence(json: &JsonBody) -> Result<i64, GatewayError> {
    match json.require_integer("Sequence")? {
        n if n >= 1 => Ok(n),
        _ => Err(GatewayError::Malformed {
            field: "Sequence",
            reason: "must be 1 or more".into(),
        }),
    }
}

/// An answer, its fields in the documentation's order.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Answer<'a> {
    session_id: &'a str,
    #[serde(rename = "Type")]
    kind: &'static str,
    message: &'a str,
    /// The screen's title in Hubtel's apps (USSD phones show `Message` alone).
    label: &'a str,
    client_state: &'a str,
    /// `input` asks for a value, `display` shows the last screen.
    data_type: &'static str,
    field_type: &'static str,
}

/// The body of an answer: `Response` keeps the session open, `Release` ends it.
pub fn render_answer(text: &str, end: bool, echo: &Echo) -> String {
    let answer = Answer {
        session_id: &echo.session_id,
        kind: if end { "Release" } else { "Response" },
        message: text,
        label: text.lines().next().unwrap_or_default().trim(),
        client_state: &echo.client_state,
        data_type: if end { "display" } else { "input" },
        field_type: "text",
    };
    serde_json::to_string(&answer).expect("an answer of strings serialises")
}

#[cfg(test)]
mod tests {
    use axum::http::Method;

    use super::*;
    use crate::config::GatewaySettings;

    fn hubtel() -> Hubtel {
        Hubtel::from_config(&Config::default())
    }

    /// A POST of `body` as Hubtel sends it (raw bytes: some cases are not UTF-8).
    fn request(body: &[u8]) -> WireRequest {
        WireRequest::simulated(Method::POST, PATH, Some(JSON), body.to_vec())
    }

    fn numbered(text: &str, hop: &str) -> Event {
        Event::Input(Input::Numbered {
            text: text.into(),
            hop: hop.into(),
        })
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

    /// Labelled requests, as Hubtel sends them, decoded into neutral events.
    #[test]
    fn requests_decode_into_neutral_events() {
        let not_phone = || malformed("Mobile", "not an E.164 phone number");
        let cases: Vec<Case> = vec![
            (
                "first hop: initiation carries the dialled code",
                br#"{"SessionId":"s1","Mobile":"233244123456","ServiceCode":"*713#","Type":"Initiation","Message":"*713#","Operator":"mtn","Sequence":1,"ClientState":""}"#,
                Ok(("+233244123456", Event::Start)),
            ),
            (
                "first hop, documentation's spelling: lower case, Sequence a string",
                br#"{"SessionId":"s1","Mobile":"233244123456","ServiceCode":"713","Type":"initiation","Message":"*713#","Operator":"mtn","Sequence":"1","ClientState":""}"#,
                Ok(("+233244123456", Event::Start)),
            ),
            (
                "first hop with a long code: still a start",
                br#"{"SessionId":"s1","Mobile":"233244123456","Type":"Initiation","Message":"*713*1#","Sequence":1}"#,
                Ok(("+233244123456", Event::Start)),
            ),
            (
                "duplicate initiation: a start again (the runner resends its screen)",
                br#"{"SessionId":"s1","Mobile":"233244123456","Type":"INITIATION","Message":"*713#","Sequence":1}"#,
                Ok(("+233244123456", Event::Start)),
            ),
            (
                "later hop: the newest input, numbered",
                br#"{"SessionId":"s1","Mobile":"233244123456","Type":"Response","Message":"2","Operator":"mtn","Sequence":2,"ClientState":"menu"}"#,
                Ok(("+233244123456", numbered("2", "2"))),
            ),
            (
                "resent hop: same Sequence, same hop number",
                br#"{"SessionId":"s1","Mobile":"233244123456","Type":"response","Message":"2","Sequence":"2"}"#,
                Ok(("+233244123456", numbered("2", "2"))),
            ),
            (
                "input with spaces and a leading *",
                br#"{"SessionId":"s1","Mobile":"233244123456","Type":"Response","Message":" *1595 ","Sequence":3}"#,
                Ok(("+233244123456", numbered("1595", "3"))),
            ),
            (
                "empty input is an input",
                br#"{"SessionId":"s1","Mobile":"233244123456","Type":"Response","Message":"","Sequence":3}"#,
                Ok(("+233244123456", numbered("", "3"))),
            ),
            (
                "phone national",
                br#"{"SessionId":"s1","Mobile":"0244123456","Type":"Initiation","Message":"*713#","Sequence":1}"#,
                Ok(("+233244123456", Event::Start)),
            ),
            (
                "phone with +",
                br#"{"SessionId":"s1","Mobile":"+233244123456","Type":"Initiation","Message":"*713#","Sequence":1}"#,
                Ok(("+233244123456", Event::Start)),
            ),
            (
                "phone as a JSON number",
                br#"{"SessionId":"s1","Mobile":233244123456,"Type":"Initiation","Message":"*713#","Sequence":1}"#,
                Ok(("+233244123456", Event::Start)),
            ),
            (
                "phone not a number",
                br#"{"SessionId":"s1","Mobile":"hubtel-app","Type":"Initiation","Message":"","Sequence":1}"#,
                Err(not_phone()),
            ),
            (
                "missing SessionId",
                br#"{"Mobile":"233244123456","Type":"Initiation","Message":"*713#","Sequence":1}"#,
                Err(GatewayError::Missing("SessionId")),
            ),
            (
                "missing Mobile",
                br#"{"SessionId":"s1","Type":"Initiation","Message":"*713#","Sequence":1}"#,
                Err(GatewayError::Missing("Mobile")),
            ),
            (
                "missing Type",
                br#"{"SessionId":"s1","Mobile":"233244123456","Message":"*713#","Sequence":1}"#,
                Err(GatewayError::Missing("Type")),
            ),
            (
                "missing Message on a response",
                br#"{"SessionId":"s1","Mobile":"233244123456","Type":"Response","Sequence":2}"#,
                Err(GatewayError::Missing("Message")),
            ),
            (
                "missing Sequence on a response",
                br#"{"SessionId":"s1","Mobile":"233244123456","Type":"Response","Message":"1"}"#,
                Err(GatewayError::Missing("Sequence")),
            ),
            (
                "unknown Type",
                br#"{"SessionId":"s1","Mobile":"233244123456","Type":"AddToCart","Message":"1","Sequence":2}"#,
                Err(malformed(
                    "Type",
                    "expected Initiation, Response, Release or Timeout",
                )),
            ),
            (
                "Sequence zero",
                br#"{"SessionId":"s1","Mobile":"233244123456","Type":"Response","Message":"1","Sequence":0}"#,
                Err(malformed("Sequence", "must be 1 or more")),
            ),
            (
                "Sequence not an integer",
                br#"{"SessionId":"s1","Mobile":"233244123456","Type":"Response","Message":"1","Sequence":2.5}"#,
                Err(malformed("Sequence", "not an integer")),
            ),
            (
                "Message of a wrong JSON type",
                br#"{"SessionId":"s1","Mobile":"233244123456","Type":"Response","Message":["1"],"Sequence":2}"#,
                Err(malformed("Message", "expected a string")),
            ),
            (
                "ClientState of a wrong JSON type",
                br#"{"SessionId":"s1","Mobile":"233244123456","Type":"Response","Message":"1","Sequence":2,"ClientState":{}}"#,
                Err(malformed("ClientState", "expected a string")),
            ),
            (
                "SessionId with a control character",
                b"{\"SessionId\":\"s\\u0000\",\"Mobile\":\"233244123456\",\"Type\":\"Initiation\",\"Sequence\":1}",
                Err(malformed(
                    "SessionId",
                    "must be 1 to 128 printable characters",
                )),
            ),
            (
                "non-UTF-8 body",
                b"{\"SessionId\":\"s1\",\"Mobile\":\"233244123456\",\"Type\":\"Response\",\"Message\":\"\xC3\x28\",\"Sequence\":2}",
                Err(GatewayError::NotUtf8("<body>".into())),
            ),
        ];
        for (label, body, expected) in cases {
            let got = hubtel()
                .decode(&request(body))
                .map(|(inbound, _)| (inbound.phone, inbound.event));
            let expected = expected.map(|(phone, event)| (phone.to_string(), event));
            assert_eq!(got, expected, "{label}");
            if let Ok((inbound, _)) = hubtel().decode(&request(body)) {
                assert_eq!(inbound.session_id, "s1", "{label}");
            }
        }
    }

    #[test]
    fn bodies_that_are_not_a_json_object_are_refused() {
        for body in [&b"SessionId=s1&Type=Initiation"[..], b"", b"[1]", b"{"] {
            let got = hubtel().decode(&request(body));
            assert!(
                matches!(got, Err(GatewayError::NotJson(_))),
                "{body:?}: {got:?}"
            );
        }
    }

    #[test]
    fn a_resent_hop_keeps_its_number_and_a_new_one_does_not() {
        let token = |body: &[u8]| match hubtel().decode(&request(body)).unwrap().0.event {
            Event::Input(input) => input.resend_token().map(str::to_string),
            other => panic!("not an input: {other:?}"),
        };
        let sent = token(br#"{"SessionId":"s1","Mobile":"233244123456","Type":"Response","Message":"1","Sequence":2}"#);
        let resent = token(br#"{"SessionId":"s1","Mobile":"233244123456","Type":"Response","Message":"1","Sequence":"2"}"#);
        let next = token(br#"{"SessionId":"s1","Mobile":"233244123456","Type":"Response","Message":"1","Sequence":3}"#);
        assert_eq!(sent, Some("2".into()));
        assert_eq!(sent, resent);
        assert_ne!(sent, next);
    }

    #[test]
    fn release_and_timeout_end_the_session() {
        let cases: &[(&str, &[u8], &str, &str)] = &[
            (
                "caller left",
                br#"{"SessionId":"s1","Mobile":"233244123456","ServiceCode":"*713#","Type":"Release","Message":"","Operator":"vodafone","Sequence":4,"ClientState":"x"}"#,
                "Release",
                "+233244123456",
            ),
            (
                "Hubtel stopped waiting (lower case, no Mobile)",
                br#"{"SessionId":"s1","Type":"timeout","Message":"","Sequence":3}"#,
                "Timeout",
                "",
            ),
        ];
        for (label, body, status, phone) in cases {
            let (inbound, echo) = hubtel().decode(&request(body)).unwrap();
            let Event::End(end) = &inbound.event else {
                panic!("{label}: not an end: {inbound:?}");
            };
            assert_eq!(end.gateway, NAME, "{label}");
            assert_eq!(end.session_id, "s1", "{label}");
            assert_eq!(end.status, *status, "{label}");
            assert_eq!(inbound.phone, *phone, "{label}");
            assert_eq!(echo.session_id, "s1", "{label}");
        }
        let (inbound, _) = hubtel()
            .decode(&request(
                br#"{"SessionId":"s1","Mobile":"233244123456","ServiceCode":"*713#","Type":"Release","Operator":"vodafone","Sequence":4}"#,
            ))
            .unwrap();
        let Event::End(end) = inbound.event else {
            panic!("not an end")
        };
        assert_eq!(end.service_code.as_deref(), Some("*713#"));
        assert_eq!(end.network_code.as_deref(), Some("vodafone"));
        assert_eq!(end.phone.as_deref(), Some("+233244123456"));
        assert_eq!(
            hubtel()
                .decode(&request(
                    br#"{"SessionId":"s1","Mobile":"12","Type":"Release"}"#
                ))
                .unwrap_err(),
            malformed("Mobile", "not an E.164 phone number")
        );
    }

    #[test]
    fn the_answer_repeats_the_session_and_client_state() {
        let (_, echo) = hubtel()
            .decode(&request(
                br#"{"SessionId":"s1","Mobile":"233244123456","Type":"Response","Message":"1","Sequence":2,"ClientState":"step-2"}"#,
            ))
            .unwrap();
        assert_eq!(
            echo,
            Echo {
                session_id: "s1".into(),
                client_state: "step-2".into(),
            }
        );
        let (_, echo) = hubtel()
            .decode(&request(
                br#"{"SessionId":"s1","Mobile":"233244123456","Type":"Initiation","Message":"*713#","Sequence":1,"ClientState":null}"#,
            ))
            .unwrap();
        assert_eq!(echo.client_state, "");
    }

    /// (label, screen text, end, exact body)
    #[test]
    fn answers_are_hubtel_json() {
        let echo = Echo {
            session_id: "s1".into(),
            client_state: "st".into(),
        };
        let cases: &[(&str, &str, bool, &str)] = &[
            (
                "a menu keeps the session",
                "Menu\n1. Bill",
                false,
                r#"{"SessionId":"s1","Type":"Response","Message":"Menu\n1. Bill","Label":"Menu","ClientState":"st","DataType":"input","FieldType":"text"}"#,
            ),
            (
                "the last screen releases it",
                "Merci \"à\" bientôt",
                true,
                r#"{"SessionId":"s1","Type":"Release","Message":"Merci \"à\" bientôt","Label":"Merci \"à\" bientôt","ClientState":"st","DataType":"display","FieldType":"text"}"#,
            ),
        ];
        for (label, text, end, body) in cases {
            let reply = Reply {
                text: text.to_string(),
                end: *end,
            };
            let answer = hubtel().render(&reply, &echo);
            assert_eq!(answer.content_type, "application/json", "{label}");
            assert_eq!(answer.body, *body, "{label}");
        }
        let ack = hubtel().acknowledge_end(&echo);
        assert_eq!(ack.content_type, "application/json");
        assert_eq!(
            ack.body,
            r#"{"SessionId":"s1","Type":"Release","Message":"","Label":"","ClientState":"st","DataType":"display","FieldType":"text"}"#
        );
    }

    #[test]
    fn deadline_and_country_follow_the_settings() {
        assert_eq!(hubtel().deadline(), Duration::from_secs(5));
        let mut config = Config::default();
        config.gateways.insert(
            NAME.into(),
            GatewaySettings {
                country: Some("KE".into()),
                ..GatewaySettings::default()
            },
        );
        let kenyan = Hubtel::from_config(&config);
        let (inbound, _) = kenyan
            .decode(&request(
                br#"{"SessionId":"s1","Mobile":"0711000001","Type":"Initiation","Message":"*713#","Sequence":1}"#,
            ))
            .unwrap();
        assert_eq!(inbound.phone, "+254711000001");
    }

    /// What the simulator sends decodes to the hop it meant; what dalal renders reads back.
    #[test]
    fn simulated_hubtel_round_trips() {
        let inputs = ["1".to_string(), "2".to_string()];
        let hop = |n: usize| SimHop {
            session_id: "sim-1",
            phone: "+233244123456",
            service_code: "*713#",
            inputs: &inputs[..n],
        };
        let decode = |sim: SimRequest| {
            assert_eq!(sim.path_and_query, PATH);
            let wire = WireRequest::simulated(Method::POST, PATH, sim.content_type, sim.body);
            hubtel().decode(&wire).unwrap().0
        };
        let first = decode(hubtel().hop_request(&hop(0)));
        assert_eq!(
            (
                first.session_id.as_str(),
                first.phone.as_str(),
                &first.event
            ),
            ("sim-1", "+233244123456", &Event::Start)
        );
        assert_eq!(
            decode(hubtel().hop_request(&hop(1))).event,
            numbered("1", "2")
        );
        assert_eq!(
            decode(hubtel().hop_request(&hop(2))).event,
            numbered("2", "3")
        );
        let end = decode(hubtel().end_request(&hop(2)).unwrap());
        assert!(matches!(&end.event, Event::End(e) if e.status == "Release"));
        let echo = Echo::default();
        for end in [false, true] {
            let reply = Reply {
                text: "Solde: 1 500 GHS\n1. Payer".into(),
                end,
            };
            let screen = hubtel()
                .read_screen(&hubtel().render(&reply, &echo).body)
                .unwrap();
            assert_eq!(
                screen,
                Screen {
                    text: reply.text.clone(),
                    end
                }
            );
        }
        assert!(hubtel().read_screen("CON Menu").is_err());
        assert!(
            hubtel()
                .read_screen(r#"{"Type":"Later","Message":"x"}"#)
                .is_err()
        );
    }

    mod fuzz {
        use proptest::prelude::*;
        use serde_json::{Map, Number, Value};

        use super::*;

        const FIELDS: &[&str] = &[
            "SessionId",
            "Mobile",
            "ServiceCode",
            "Type",
            "Message",
            "Operator",
            "ClientState",
            "Sequence",
        ];

        /// Any JSON value, weighted towards what Hubtel's fields could plausibly hold.
        fn value() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::Bool),
                any::<i64>().prop_map(Value::from),
                any::<f64>().prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
                prop::sample::select(vec![
                    "Initiation",
                    "response",
                    "RELEASE",
                    "Timeout",
                    "233244123456",
                    "0244123456",
                    "*713#",
                    "2",
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
                let _ = hubtel().decode(&request(&body));
            }

            #[test]
            fn decode_never_panics_on_hubtel_shaped_objects(
                fields in prop::collection::btree_map(prop::sample::select(FIELDS), value(), 0..9),
            ) {
                let object: Map<String, Value> =
                    fields.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
                let body = Value::Object(object).to_string();
                if let Ok((inbound, echo)) = hubtel().decode(&request(body.as_bytes())) {
                    let _ = hubtel().render(&Reply { text: "x".into(), end: false }, &echo);
                    prop_assert!(!inbound.session_id.is_empty());
                }
            }
        }
    }
}
