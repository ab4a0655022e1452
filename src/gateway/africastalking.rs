//! Africa's Talking USSD: form POSTs in, `text/plain` `CON `/`END ` out.
//!
//! `text` is empty on the first hop, then every input so far joined by `*` (`1*2*500`); nothing
//! else marks a new session. The end-of-session notification arrives separately at `/events`.

use super::con_end;
use super::form::Form;
use super::simulate::{Screen, SimHop, SimRequest, Simulate};
use super::{GatewayError, Route, UssdGateway, WireRequest, WireResponse, check_session_id, e164};
use crate::channel::{Event, Inbound, Input};
use crate::domain::SessionEnd;
use crate::engine::Reply;

pub const NAME: &str = "africastalking";

/// The end-of-session notification's path, beside the hop callback.
pub const EVENTS_PATH: &str = "/ussd/africastalking/events";

/// Africa's Talking USSD, as a plug-in of the runner.
#[derive(Default)]
pub struct AfricasTalking;

impl UssdGateway for AfricasTalking {
    type Echo = ();

    fn name(&self) -> &'static str {
        NAME
    }

    fn routes(&self) -> &'static [Route] {
        const ROUTES: &[Route] = &[
            Route::post("/ussd/africastalking"),
            Route::post(EVENTS_PATH),
        ];
        ROUTES
    }

    fn decode(&self, request: &WireRequest) -> Result<(Inbound, ()), GatewayError> {
        if request.path == EVENTS_PATH {
            let end = parse_event(&request.body)?;
            let inbound = Inbound {
                session_id: end.session_id.clone(),
                phone: end.phone.clone().unwrap_or_default(),
                event: Event::End(end),
            };
            return Ok((inbound, ()));
        }
        let hop = parse_ussd(&request.body)?;
        // `text` is empty on the first hop, and nothing else marks a new session.
        let event = if hop.text.is_empty() {
            Event::Start
        } else {
            Event::Input(Input::Cumulative(hop.text))
        };
        let inbound = Inbound {
            session_id: hop.session_id,
            phone: hop.phone,
            event,
        };
        Ok((inbound, ()))
    }

    fn render(&self, reply: &Reply, _: &()) -> WireResponse {
        con_end::render(reply)
    }
}

/// Africa's Talking's side: form POSTs with every input so far in `text`.
impl Simulate for AfricasTalking {
    fn hop_request(&self, hop: &SimHop<'_>) -> SimRequest {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("sessionId", hop.session_id)
            .append_pair("serviceCode", hop.service_code)
            .append_pair("phoneNumber", hop.phone)
            .append_pair("networkCode", "63902")
            .append_pair("text", &hop.inputs.join("*"))
            .finish();
        SimRequest::post("/ussd/africastalking", FORM, body)
    }

    fn read_screen(&self, body: &str) -> Result<Screen, String> {
        con_end::read(body)
    }

    fn end_request(&self, hop: &SimHop<'_>) -> Option<SimRequest> {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("sessionId", hop.session_id)
            .append_pair("status", "Incomplete")
            .append_pair("phoneNumber", hop.phone)
            .append_pair("serviceCode", hop.service_code)
            .append_pair("input", &hop.inputs.join("*"))
            .finish();
        Some(SimRequest::post(EVENTS_PATH, FORM, body))
    }
}

const FORM: &str = "application/x-www-form-urlencoded";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UssdRequest {
    pub session_id: String,
    pub service_code: String,
    /// E.164, normalised.
    pub phone: String,
    pub network_code: Option<String>,
    /// Every input so far, joined by `*`.
    pub text: String,
}

fn session_id(form: &Form) -> Result<String, GatewayError> {
    let id = form.require_non_empty("sessionId")?;
    check_session_id("sessionId", id)?;
    Ok(id.to_string())
}

fn phone(form: &Form, field: &'static str) -> Result<String, GatewayError> {
    let raw = form.require_non_empty(field)?;
    e164(field, raw, None)
}

pub fn parse_ussd(body: &[u8]) -> Result<UssdRequest, GatewayError> {
    let form = Form::parse(body)?;
    Ok(UssdRequest {
        session_id: session_id(&form)?,
        service_code: form.require_non_empty("serviceCode")?.to_string(),
        phone: phone(&form, "phoneNumber")?,
        network_code: form
            .get("networkCode")
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        text: form.require("text")?.to_string(),
    })
}

pub fn parse_event(body: &[u8]) -> Result<SessionEnd, GatewayError> {
    let form = Form::parse(body)?;
    let status = form.require_non_empty("status")?;
    if !matches!(status, "Success" | "Incomplete" | "Failed") {
        return Err(GatewayError::Malformed {
            field: "status",
            reason: "expected Success, Incomplete or Failed".into(),
        });
    }
    let text = |name: &str| form.get(name).filter(|s| !s.is_empty()).map(str::to_string);
    let phone = match form.get("phoneNumber") {
        None | Some("") => None,
        Some(_) => Some(phone(&form, "phoneNumber")?),
    };
    Ok(SessionEnd {
        gateway: NAME.to_string(),
        session_id: session_id(&form)?,
        status: status.to_string(),
        duration_ms: form.optional_i64("durationInMillis")?,
        hops_count: form.optional_i64("hopsCount")?,
        input: text("input"),
        last_app_response: text("lastAppResponse"),
        error_message: text("errorMessage"),
        cost: text("cost"),
        phone,
        service_code: text("serviceCode"),
        network_code: text("networkCode"),
        date: text("date"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (label, request body, expected phone and text or error)
    type Case = (
        &'static str,
        &'static [u8],
        Result<(&'static str, &'static str), GatewayError>,
    );

    /// Labelled request -> expected parse, as the aggregator sends them.
    #[test]
    fn ussd_requests() {
        let cases: &[Case] = &[
            (
                "first hop: empty text",
                b"sessionId=ATUid_1&serviceCode=*123%23&phoneNumber=%2B254711000001&networkCode=63902&text=",
                Ok(("+254711000001", "")),
            ),
            (
                "later hop: inputs joined by *",
                b"sessionId=ATUid_1&serviceCode=*123%23&phoneNumber=%2B254711000001&networkCode=63902&text=1*2*500",
                Ok(("+254711000001", "1*2*500")),
            ),
            (
                "unencoded plus in phone",
                b"sessionId=s&serviceCode=*123%23&phoneNumber=+221786452821&text=",
                Ok(("+221786452821", "")),
            ),
            (
                "missing sessionId",
                b"serviceCode=*123%23&phoneNumber=%2B254711000001&text=",
                Err(GatewayError::Missing("sessionId")),
            ),
            (
                "missing text",
                b"sessionId=s&serviceCode=*123%23&phoneNumber=%2B254711000001",
                Err(GatewayError::Missing("text")),
            ),
            (
                "national phone format",
                b"sessionId=s&serviceCode=*123%23&phoneNumber=0711000001&text=",
                Err(GatewayError::Malformed {
                    field: "phoneNumber",
                    reason: "not an E.164 phone number".into(),
                }),
            ),
            (
                "non-UTF-8 text",
                b"sessionId=s&serviceCode=*123%23&phoneNumber=%2B254711000001&text=%C3%28",
                Err(GatewayError::NotUtf8("text".into())),
            ),
        ];
        for (label, body, expected) in cases {
            let got = parse_ussd(body).map(|r| (r.phone, r.text));
            let got = got.as_ref().map(|(p, t)| (p.as_str(), t.as_str()));
            assert_eq!(&got.map_err(|e| e.clone()), expected, "{label}");
        }
    }

    /// Labelled wire request -> decoded hop, through the plug-in (path decides hop or end).
    #[test]
    fn requests_decode_into_neutral_events() {
        let request = super::super::case_request;
        let cases: &[(&str, &str, &[u8], Event)] = &[
            (
                "empty text starts a session",
                "/ussd/africastalking",
                b"sessionId=s1&serviceCode=*123%23&phoneNumber=%2B254711000001&text=",
                Event::Start,
            ),
            (
                "later hops carry every input so far",
                "/ussd/africastalking",
                b"sessionId=s1&serviceCode=*123%23&phoneNumber=%2B254711000001&text=1*2",
                Event::Input(Input::Cumulative("1*2".into())),
            ),
        ];
        for (label, path, body, expected) in cases {
            let (inbound, ()) = AfricasTalking.decode(&request(path, body)).unwrap();
            assert_eq!(&inbound.event, expected, "{label}");
            assert_eq!(inbound.session_id, "s1", "{label}");
            assert_eq!(inbound.phone, "+254711000001", "{label}");
        }
        let (end, ()) = AfricasTalking
            .decode(&request(
                EVENTS_PATH,
                b"sessionId=s1&status=Incomplete&phoneNumber=%2B254711000001",
            ))
            .unwrap();
        assert!(
            matches!(&end.event, Event::End(e) if e.status == "Incomplete"),
            "end: {end:?}"
        );
        let screen = AfricasTalking.render(
            &Reply {
                text: "Menu".into(),
                end: false,
            },
            &(),
        );
        assert_eq!(screen.body, "CON Menu");
    }

    #[test]
    fn end_of_session_notification() {
        let e = parse_event(b"sessionId=ATUid_1&status=Success&durationInMillis=5200&hopsCount=3&input=1*1&lastAppResponse=END+Bill&errorMessage=&cost=KES+0.50&phoneNumber=%2B254711000001&serviceCode=*123%23&networkCode=63902&date=2026-11-22+10%3A00%3A00").unwrap();
        assert_eq!(e.session_id, "ATUid_1");
        assert_eq!(e.status, "Success");
        assert_eq!(e.duration_ms, Some(5200));
        assert_eq!(e.hops_count, Some(3));
        assert_eq!(e.last_app_response.as_deref(), Some("END Bill"));
        assert_eq!(e.error_message, None);
        assert!(parse_event(b"sessionId=x&status=Maybe").is_err());
        assert!(parse_event(b"status=Success").is_err());
        assert!(parse_event(b"sessionId=x&status=Failed&durationInMillis=abc").is_err());
    }
}
