//! Operators' own USSD gateways in the Safaricom style: a `GET` with `ORIG` (the phone,
//! `254711000001`), `DEST` (the service code), `SESSION_ID` and `USSD_PARAMS`; `text/plain`
//! `CON `/`END ` out, as Africa's Talking.
//!
//! `USSD_PARAMS` holds every input so far joined by `*`, after whatever the caller dialled
//! beyond `DEST`: with `DEST=167`, dialling `*167*7#` sends `7`, then `7*1`, `7*1*2`...
//! (dialling `*167*7*1#` sends the same `7*1` as dialling `*167*7#` and typing `1`). On a
//! dedicated code the first hop's `USSD_PARAMS` is empty or absent. On a shared code, the
//! deployment registers its callback as `/ussd/safaricom/{extension}` (`/ussd/safaricom/7`):
//! that extension is stripped from `USSD_PARAMS`, so the hop carrying it alone starts the
//! session. Without it, a shared code's first hop would read as an input with no session.
//!
//! Sources, read on 2026-11-30. No documentation of this format from Safaricom itself could be
//! found: this follows the task's description, checked against the Vumi Safaricom transport
//! and its tests (`praekeltfoundation/vumi`, `vumi/transports/safaricom/`), Vumi pull requests
//! <https://github.com/praekeltfoundation/vumi/pull/283> (the extension in `USSD_PARAMS`) and
//! <https://github.com/praekeltfoundation/vumi/pull/304> (duplicate session starts), and Kenyan
//! aggregators documenting the same cumulative style under other names
//! (<https://jazaafrica.com/ussd-api>, <https://developers.speedocom.online/ussd-guide.html>:
//! "on a shared ussd, the initial input will be the identifier of the shared code"). No
//! deadline and no end-of-session notice are documented: dalal's default deadline applies.
//!
//! Quirks handled: the first hop sent twice (the same `USSD_PARAMS`: the runner answers the
//! same screen); a resent later hop (the same cumulative text: answered again, not applied
//! twice); `USSD_PARAMS` with a leading `*` (`*7*a*b`, in Vumi's tests) or spaces around it;
//! the same fields in a form `POST` body (aggregators offer POST "on request").

use percent_encoding::percent_decode_str;

use super::con_end;
use super::form::Form;
use super::simulate::{Screen, SimHop, SimRequest, Simulate};
use super::{
    CallingCode, FromConfig, GatewayError, Route, UssdGateway, WireRequest, WireResponse,
    check_session_id, country_setting, e164,
};
use crate::channel::{Event, Inbound, Input};
use crate::config::Config;
use crate::engine::Reply;

pub const NAME: &str = "safaricom";

const PATH: &str = "/ussd/safaricom";

/// A Safaricom-style operator gateway, as a plug-in of the runner.
pub struct Safaricom {
    /// Country of the numbers it sends in national form (Kenya unless configured).
    country: Option<CallingCode>,
}

impl FromConfig for Safaricom {
    fn from_config(config: &Config) -> Self {
        Safaricom {
            country: country_setting(config, NAME, Some(CallingCode::KENYA)),
        }
    }
}

impl UssdGateway for Safaricom {
    type Echo = ();

    fn name(&self) -> &'static str {
        NAME
    }

    fn routes(&self) -> &'static [Route] {
        const ROUTES: &[Route] = &[
            Route {
                path: PATH,
                get: true,
                put: false,
                max_body: None,
            },
            Route {
                path: "/ussd/safaricom/{extension}",
                get: true,
                put: false,
                max_body: None,
            },
        ];
        ROUTES
    }

    fn decode(&self, request: &WireRequest) -> Result<(Inbound, ()), GatewayError> {
        let extension = extension(&request.path)?;
        let fields = Form::parse(fields_of(request))?;
        let session_id = session_id(&fields)?;
        let phone = self.phone(&fields)?;
        fields.require_non_empty("DEST")?;
        let params = fields.get("USSD_PARAMS").unwrap_or_default();
        let inputs = inputs_after(dialled_params(params), extension.as_deref());
        // Nothing typed yet: the session starts (again, when the first hop is resent).
        let event = if inputs.is_empty() {
            Event::Start
        } else {
            Event::Input(Input::Cumulative(inputs.to_string()))
        };
        let inbound = Inbound {
            session_id,
            phone,
            event,
        };
        Ok((inbound, ()))
    }

    fn render(&self, reply: &Reply, _: &()) -> WireResponse {
        con_end::render(reply)
    }
}

impl Safaricom {
    fn phone(&self, fields: &Form) -> Result<String, GatewayError> {
        let raw = fields.require_non_empty("ORIG")?;
        e164("ORIG", raw, self.country)
    }
}

/// The raw fields: the query of a `GET`, or a form body when the gateway `POST`s one.
fn fields_of(request: &WireRequest) -> &[u8] {
    if request.is_form() && !request.body.is_empty() {
        return &request.body;
    }
    let query = request.path_and_query.split_once('?').map(|(_, q)| q);
    query.unwrap_or_default().as_bytes()
}

fn session_id(fields: &Form) -> Result<String, GatewayError> {
    let id = fields.require_non_empty("SESSION_ID")?;
    check_session_id("SESSION_ID", id)?;
    Ok(id.to_string())
}

/// The shared code's extension from `/ussd/safaricom/{extension}`, if the route has one.
fn extension(path: &str) -> Result<Option<String>, GatewayError> {
    let Some(raw) = path.strip_prefix(PATH).and_then(|p| p.strip_prefix('/')) else {
        return Ok(None);
    };
    let extension = percent_decode_str(raw)
        .decode_utf8()
        .map_err(|_| GatewayError::NotUtf8("extension".into()))?;
    let extension = dialled_params(&extension);
    let keypad = !extension.is_empty()
        && extension.len() <= 32
        && extension.bytes().all(|b| b.is_ascii_digit() || b == b'*');
    if !keypad {
        return Err(GatewayError::Malformed {
            field: "extension",
            reason: "expected the digits dialled after the service code, like 7 or 7*1".into(),
        });
    }
    Ok(Some(extension.to_string()))
}

/// `USSD_PARAMS` without the spaces around it or a leading `*`.
fn dialled_params(params: &str) -> &str {
    let params = params.trim();
    params.strip_prefix('*').unwrap_or(params).trim()
}

/// The inputs in `params`, after the shared code's `extension` when it leads them.
fn inputs_after<'p>(params: &'p str, extension: Option<&str>) -> &'p str {
    let Some(extension) = extension else {
        return params;
    };
    match params.strip_prefix(extension) {
        Some("") => "",
        Some(rest) => rest.strip_prefix('*').unwrap_or(params),
        None => params,
    }
}

/// The gateway's side: a `GET` with every input so far, phones without `+`, the whole
/// service code as `DEST` (a dedicated code).
impl Simulate for Safaricom {
    fn hop_request(&self, hop: &SimHop<'_>) -> SimRequest {
        let dest = hop
            .service_code
            .trim_start_matches('*')
            .trim_end_matches('#');
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("ORIG", hop.phone.trim_start_matches('+'))
            .append_pair("DEST", dest)
            .append_pair("SESSION_ID", hop.session_id)
            .append_pair("USSD_PARAMS", &hop.inputs.join("*"))
            .finish();
        SimRequest::get(format!("{PATH}?{query}"))
    }

    fn read_screen(&self, body: &str) -> Result<Screen, String> {
        // The same `CON `/`END ` answer as Africa's Talking.
        con_end::read(body)
    }

    fn end_request(&self, _: &SimHop<'_>) -> Option<SimRequest> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::{case_get, case_request};
    use proptest::prelude::*;

    const KENYA: Safaricom = Safaricom {
        country: Some(CallingCode::KENYA),
    };

    fn malformed(field: &'static str, reason: &str) -> GatewayError {
        GatewayError::Malformed {
            field,
            reason: reason.into(),
        }
    }

    fn inputs(text: &str) -> Event {
        Event::Input(Input::Cumulative(text.into()))
    }

    /// (label, path and query, expected phone and event or error)
    type Case = (
        &'static str,
        &'static str,
        Result<(&'static str, Event), GatewayError>,
    );

    /// Labelled `GET` (path and query) -> expected (phone, event) or error.
    #[test]
    fn hops_decode_into_neutral_events() {
        let cases: &[Case] = &[
            (
                "first hop: USSD_PARAMS empty",
                "/ussd/safaricom?ORIG=254711000001&DEST=167&SESSION_ID=s1&USSD_PARAMS=",
                Ok(("+254711000001", Event::Start)),
            ),
            (
                "first hop: USSD_PARAMS absent",
                "/ussd/safaricom?ORIG=254711000001&DEST=167&SESSION_ID=s1",
                Ok(("+254711000001", Event::Start)),
            ),
            (
                "later hop: every input so far",
                "/ussd/safaricom?ORIG=254711000001&DEST=167&SESSION_ID=s1&USSD_PARAMS=1*2*500",
                Ok(("+254711000001", inputs("1*2*500"))),
            ),
            (
                "resent hop: the same cumulative text (the runner answers it again)",
                "/ussd/safaricom?ORIG=254711000001&DEST=167&SESSION_ID=s1&USSD_PARAMS=1*2*500",
                Ok(("+254711000001", inputs("1*2*500"))),
            ),
            (
                "shared code, first hop: the extension alone",
                "/ussd/safaricom/7?ORIG=254711000001&DEST=167&SESSION_ID=s1&USSD_PARAMS=7",
                Ok(("+254711000001", Event::Start)),
            ),
            (
                "shared code, first hop sent twice: a start again",
                "/ussd/safaricom/7?ORIG=254711000001&DEST=167&SESSION_ID=s1&USSD_PARAMS=7",
                Ok(("+254711000001", Event::Start)),
            ),
            (
                "shared code, later hop: the extension stripped",
                "/ussd/safaricom/7?ORIG=254711000001&DEST=167&SESSION_ID=s1&USSD_PARAMS=7*1*a",
                Ok(("+254711000001", inputs("1*a"))),
            ),
            (
                "shared code: an input starting with the extension's digits",
                "/ussd/safaricom/7?ORIG=254711000001&DEST=167&SESSION_ID=s1&USSD_PARAMS=7*77",
                Ok(("+254711000001", inputs("77"))),
            ),
            (
                "shared code: a two-part extension",
                "/ussd/safaricom/7*1?ORIG=254711000001&DEST=167&SESSION_ID=s1&USSD_PARAMS=7*1*2",
                Ok(("+254711000001", inputs("2"))),
            ),
            (
                "shared code the gateway did not repeat: inputs kept",
                "/ussd/safaricom/7?ORIG=254711000001&DEST=167*7&SESSION_ID=s1&USSD_PARAMS=1*2",
                Ok(("+254711000001", inputs("1*2"))),
            ),
            (
                "leading * and spaces",
                "/ussd/safaricom/7?ORIG=254711000001&DEST=167&SESSION_ID=s1&USSD_PARAMS=+*7*a*b+",
                Ok(("+254711000001", inputs("a*b"))),
            ),
            (
                "phone with an encoded +",
                "/ussd/safaricom?ORIG=%2B254711000001&DEST=167&SESSION_ID=s1&USSD_PARAMS=1",
                Ok(("+254711000001", inputs("1"))),
            ),
            (
                "phone with a raw + (decoded to a space)",
                "/ussd/safaricom?ORIG=+254711000001&DEST=167&SESSION_ID=s1&USSD_PARAMS=1",
                Ok(("+254711000001", inputs("1"))),
            ),
            (
                "national phone (Kenya by default)",
                "/ussd/safaricom?ORIG=0711000001&DEST=167&SESSION_ID=s1&USSD_PARAMS=1",
                Ok(("+254711000001", inputs("1"))),
            ),
            (
                "a Ghanaian number stays Ghanaian",
                "/ussd/safaricom?ORIG=233244123456&DEST=167&SESSION_ID=s1&USSD_PARAMS=1",
                Ok(("+233244123456", inputs("1"))),
            ),
            (
                "a phone that is no number",
                "/ussd/safaricom?ORIG=SAFARICOM&DEST=167&SESSION_ID=s1&USSD_PARAMS=1",
                Err(malformed("ORIG", "not an E.164 phone number")),
            ),
            (
                "missing ORIG",
                "/ussd/safaricom?DEST=167&SESSION_ID=s1&USSD_PARAMS=1",
                Err(GatewayError::Missing("ORIG")),
            ),
            (
                "missing DEST",
                "/ussd/safaricom?ORIG=254711000001&SESSION_ID=s1&USSD_PARAMS=1",
                Err(GatewayError::Missing("DEST")),
            ),
            (
                "missing SESSION_ID",
                "/ussd/safaricom?ORIG=254711000001&DEST=167&USSD_PARAMS=1",
                Err(GatewayError::Missing("SESSION_ID")),
            ),
            (
                "no query at all",
                "/ussd/safaricom",
                Err(GatewayError::Missing("SESSION_ID")),
            ),
            (
                "an empty SESSION_ID",
                "/ussd/safaricom?ORIG=254711000001&DEST=167&SESSION_ID=&USSD_PARAMS=1",
                Err(malformed("SESSION_ID", "empty")),
            ),
            (
                "non-UTF-8 USSD_PARAMS",
                "/ussd/safaricom?ORIG=254711000001&DEST=167&SESSION_ID=s1&USSD_PARAMS=%C3%28",
                Err(GatewayError::NotUtf8("USSD_PARAMS".into())),
            ),
            (
                "an extension that is not keypad digits",
                "/ussd/safaricom/abc?ORIG=254711000001&DEST=167&SESSION_ID=s1&USSD_PARAMS=1",
                Err(malformed(
                    "extension",
                    "expected the digits dialled after the service code, like 7 or 7*1",
                )),
            ),
        ];
        for (label, path_and_query, expected) in cases {
            let got = KENYA
                .decode(&case_get(path_and_query))
                .map(|(inbound, ())| {
                    assert_eq!(inbound.session_id, "s1", "{label}");
                    (inbound.phone, inbound.event)
                });
            let expected = expected
                .clone()
                .map(|(phone, event)| (phone.to_string(), event));
            assert_eq!(got, expected, "{label}");
        }
    }

    #[test]
    fn the_same_fields_may_come_in_a_form_post() {
        let request = case_request(
            "/ussd/safaricom?key=k",
            b"ORIG=254711000001&DEST=167&SESSION_ID=s1&USSD_PARAMS=1*2",
        );
        let (inbound, ()) = KENYA.decode(&request).unwrap();
        assert_eq!(inbound.event, inputs("1*2"));
        let refused = KENYA.decode(&case_request("/ussd/safaricom", b"ORIG=%FF"));
        assert_eq!(
            refused.map(|_| ()),
            Err(GatewayError::NotUtf8("ORIG".into()))
        );
    }

    #[test]
    fn replies_carry_the_prefix() {
        let cases = [
            (false, "Menu\n1. Bill", "CON Menu\n1. Bill"),
            (true, "Asante", "END Asante"),
        ];
        for (end, text, expected) in cases {
            let reply = Reply {
                text: text.into(),
                end,
            };
            let answer = KENYA.render(&reply, &());
            assert_eq!(answer.content_type, "text/plain; charset=utf-8");
            assert_eq!(answer.body, expected);
        }
    }

    /// Every route is a path axum takes (a mistyped `{parameter}` would panic at startup).
    #[test]
    fn routes_are_valid_axum_paths() {
        let mut router = axum::Router::<()>::new();
        for route in KENYA.routes() {
            router = router.route(route.path, axum::routing::post(|| async {}));
        }
        drop(router);
    }
    /// The gateway's side round-trips through the plug-in.
    #[test]
    fn simulated_gateway_round_trips() {
        let typed = ["1".to_string(), "2".to_string()];
        for (count, expected) in [(0, Event::Start), (1, inputs("1")), (2, inputs("1*2"))] {
            let hop = SimHop {
                session_id: "sim 1",
                phone: "+254711000001",
                service_code: "*384*57#",
                inputs: &typed[..count],
            };
            let sent = KENYA.hop_request(&hop);
            assert_eq!(sent.method, "GET");
            let (inbound, ()) = KENYA.decode(&case_get(&sent.path_and_query)).unwrap();
            assert_eq!(
                (inbound.session_id.as_str(), inbound.phone.as_str()),
                ("sim 1", "+254711000001")
            );
            assert_eq!(inbound.event, expected);
            assert_eq!(KENYA.end_request(&hop), None);
        }
        for end in [false, true] {
            let reply = Reply {
                text: "Salio: KES 1,200".into(),
                end,
            };
            let body = KENYA.render(&reply, &()).body;
            assert_eq!(
                KENYA.read_screen(&body),
                Ok(Screen {
                    text: reply.text.clone(),
                    end
                })
            );
        }
    }

    /// Bytes as a query value: every byte percent-encoded, so any of them can arrive.
    fn encoded(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("%{b:02X}")).collect()
    }

    proptest! {
        #[test]
        fn decode_never_panics_on_bytes(
            values in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 4),
            extension in prop::option::of("[^/?#]{0,12}"),
            raw_query in "[ -~]{0,200}",
            body in prop::collection::vec(any::<u8>(), 0..512),
        ) {
            let path = match &extension {
                Some(extension) => format!("{PATH}/{extension}"),
                None => PATH.to_string(),
            };
            let query = ["ORIG", "DEST", "SESSION_ID", "USSD_PARAMS"]
                .iter()
                .zip(&values)
                .map(|(name, value)| format!("{name}={}", encoded(value)))
                .collect::<Vec<_>>()
                .join("&");
            let mut request = case_get(&format!("{PATH}?{query}"));
            request.path = path.clone();
            let _ = KENYA.decode(&request);
            let mut request = case_get(&format!("{PATH}?{raw_query}"));
            request.path = path;
            let _ = KENYA.decode(&request);
            let mut request = case_request(PATH, b"");
            request.body = body.into();
            let _ = KENYA.decode(&request);
        }
    }
}
