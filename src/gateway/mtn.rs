//! MTN MADAPI USSD ("MTN Messaging USSD API" v1): asynchronous. MTN's USSD gateway POSTs
//! each message of the caller to dalal's callback (`/messages/ussd/inbound` in MTN's terms);
//! dalal acknowledges it at once and delivers its screen in a request of its own to
//! `POST https://api.mtn.com/v1/messages/ussd/outbound`, authenticated by an `x-api-key`
//! header.
//!
//! Sources, read on 2026-11-30:
//! - the OpenAPI (Swagger 2.0) file MTN publishes for the product,
//!   <https://developers.mtn.com/products/ussd/download/swagger>, mirrored with the same text
//!   at <https://github.com/api-evangelist/mtn-group> (`openapi/_original/mtn-group-ussd.yml`,
//!   `openapi/mtn-group-accessible-to-ussd-gateway-api-openapi.yml`,
//!   `openapi/mtn-group-accessible-to-3pp-api-openapi.yml`);
//! - for quirks: praekeltfoundation/vumi pull requests #304 (an aggregator sending a session's
//!   start twice) and #664 (MTN Nigeria: replies crossing MTN's end of the session, which MTN
//!   refuses; the pusher does not retry a refusal), and a public MADAPI USSD application in PHP
//!   (the begin message's `ussdString` holds the code dialled, `8022` or `8022*1`, then each
//!   message only the newest input).
//!
//! What the spec says, and what dalal does with it:
//! - Both directions carry `{sessionId, messageType, msisdn, serviceCode, ussdString}` (all
//!   required strings); the inbound message may add `cellId`, `language` and `imsi` (unused
//!   here). `messageType` is `0` Begin, `1` Continue, `2` End, `3` Notification, `4` Cancel
//!   (`ussdString` then holds the abort reason), `5` Timeout. Begin is [`Event::Start`] (the
//!   dialled string it carries is not an input), Continue carries the newest input only
//!   ([`Input::Latest`]: MTN numbers no hop), End/Cancel/Timeout are [`Event::End`] with the
//!   spec's word as the status. Notification is something an application sends, never a
//!   caller: refused.
//! - The spec types `messageType` as a string in requests but as an integer in its inbound
//!   response: both `"1"` and `1` are accepted.
//! - `msisdn` is international without `+` in the spec's examples (`2252312345`); the usual
//!   forms are normalised, and national numbers given a `country` setting (none by default).
//!   The push repeats `msisdn` and `serviceCode` exactly as MTN sent them.
//! - The immediate answer follows the spec's `InboundResponse` (`statusCode` `"0000"`,
//!   `statusMessage`, `transactionId`, `data`, `_link.self.href`). Its `data` lists
//!   `outboundResponse` as required although only `inboundResponse` (example `null`),
//!   `userInputRequired`, `messageType`, `serviceCode` and `msisdn` are defined: dalal sends
//!   `inboundResponse: null` (no screen in this answer), `outboundResponse: "0000"`, and the
//!   `serviceCode`/`msisdn` it answers. (Those fields would let the answer carry the screen
//!   itself, as the PHP application above does; dalal always pushes it instead.) MTN's
//!   outbound endpoint answers `201 Created`.
//! - The screen goes out as the spec's `OutboundRequest`: `messageType` `"1"` (Continue) for a
//!   menu, `"2"` (End) for a last screen, the text in `ussdString`.
//! - Not in the spec, so not verified: how long MTN waits for the pushed screen (dalal assumes
//!   10 s; `deadline_ms` overrides it), and the authentication MTN puts on its calls to dalal
//!   (dalal's usual `?key=` on the callback URL registered with `/messages/ussd/subscription`,
//!   or an address allow-list). Some public clients send `Authorization: Bearer` to a
//!   `preprod.api.mtn.com` host instead of `x-api-key`: dalal follows the spec.
//! - Known quirks: a session's begin sent twice (the runner answers the same screen, and the
//!   identical request's screen is pushed once); a begin carrying an extension (`*8022*1#`)
//!   still only starts the session; inputs with spaces or a leading `*` are cleaned. MTN
//!   gives no hop number, so a *continue* message resent by MTN is pushed once but cannot be
//!   told from the caller typing the same key again.

use std::time::Duration;

use serde::Serialize;

use super::json::JsonBody;
use super::simulate::{Screen, SimHop, SimRequest, Simulate};
use super::{
    CallingCode, FromConfig, GatewayError, Push, PushGateway, Route, UssdGateway, WireRequest,
    WireResponse, check_session_id, clean_input, country_setting, e164,
};
use crate::channel::{Event, Inbound, Input};
use crate::config::Config;
use crate::domain::SessionEnd;
use crate::engine::Reply;

pub const NAME: &str = "mtn";

/// Where MTN's USSD gateway reaches dalal (the callback URL of the subscription).
pub const PATH: &str = "/ussd/mtn";

/// MADAPI's endpoint for screens (`[gateways.mtn] outbound_url` overrides it).
pub const DEFAULT_OUTBOUND_URL: &str = "https://api.mtn.com/v1/messages/ussd/outbound";

/// The header MADAPI reads the API key from (`ApiKeyAuth` in the spec).
pub const API_KEY_HEADER: &str = "x-api-key";

/// MTN's spec gives no deadline for the pushed screen: an assumption (see the module doc).
const DEADLINE: Duration = Duration::from_secs(10);

/// MADAPI's canonical "success" response code.
const SUCCESS: &str = "0000";

const JSON: &str = "application/json";

/// MTN MADAPI USSD, as a plug-in of the runner.
pub struct Mtn {
    /// The country of national numbers, if MTN ever sends one.
    country: Option<CallingCode>,
    outbound_url: String,
    api_key: Option<String>,
}

impl FromConfig for Mtn {
    fn from_config(config: &Config) -> Self {
        let settings = config.gateway(NAME);
        Mtn {
            country: country_setting(config, NAME, None),
            outbound_url: settings
                .outbound_url
                .unwrap_or_else(|| DEFAULT_OUTBOUND_URL.to_string()),
            api_key: settings.api_key,
        }
    }
}

/// `messageType`, as the spec numbers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageType {
    Begin,
    Continue,
    End,
    Notification,
    Cancel,
    Timeout,
}

impl MessageType {
    fn from_code(code: i64) -> Option<MessageType> {
        Some(match code {
            0 => MessageType::Begin,
            1 => MessageType::Continue,
            2 => MessageType::End,
            3 => MessageType::Notification,
            4 => MessageType::Cancel,
            5 => MessageType::Timeout,
            _ => return None,
        })
    }

    /// The code on the wire (a string, as the spec types it in requests).
    pub fn code(self) -> &'static str {
        match self {
            MessageType::Begin => "0",
            MessageType::Continue => "1",
            MessageType::End => "2",
            MessageType::Notification => "3",
            MessageType::Cancel => "4",
            MessageType::Timeout => "5",
        }
    }

    /// The spec's name for it (what an end notice records as its status).
    pub fn word(self) -> &'static str {
        match self {
            MessageType::Begin => "Begin",
            MessageType::Continue => "Continue",
            MessageType::End => "End",
            MessageType::Notification => "Notification",
            MessageType::Cancel => "Cancel",
            MessageType::Timeout => "Timeout",
        }
    }
}

/// What the acknowledgement and the pushed screen repeat from MTN's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Echo {
    pub session_id: String,
    /// As MTN wrote it: the screen goes back to the same subscriber, written the same way.
    pub msisdn: String,
    pub service_code: String,
    /// dalal's own URL for this message (`_link.self.href` of the acknowledgement).
    pub href: String,
}

impl UssdGateway for Mtn {
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
        let body = JsonBody::parse(&request.body)?;
        let session_id = session_id(&body)?;
        let message_type = message_type(&body)?;
        let href = request.url(PATH);
        match message_type {
            MessageType::Begin | MessageType::Continue => {
                self.decode_hop(&body, session_id, message_type, href)
            }
            MessageType::End | MessageType::Cancel | MessageType::Timeout => {
                self.decode_end(&body, session_id, message_type, href)
            }
            MessageType::Notification => Err(GatewayError::Malformed {
                field: "messageType",
                reason: "3 (Notification) is sent to callers, never by them".into(),
            }),
        }
    }

    /// The screen as MTN receives it: the body of the push (what `dalal dial` and the tests
    /// read back).
    fn render(&self, reply: &Reply, echo: &Echo) -> WireResponse {
        WireResponse {
            content_type: JSON,
            body: outbound_body(reply, echo),
        }
    }

    fn acknowledge_end(&self, echo: &Echo) -> WireResponse {
        acknowledgement(echo, "Session ended")
    }
}

impl PushGateway for Mtn {
    fn acknowledge(&self, echo: &Echo) -> WireResponse {
        acknowledgement(echo, "Accepted")
    }

    fn push(&self, reply: &Reply, echo: &Echo) -> Push {
        Push {
            url: self.outbound_url.clone(),
            headers: self
                .api_key
                .iter()
                .map(|key| (API_KEY_HEADER, key.clone()))
                .collect(),
            content_type: JSON,
            body: outbound_body(reply, echo),
        }
    }
}

impl Mtn {
    /// A Begin or Continue message: every field the spec requires must be there.
    fn decode_hop(
        &self,
        body: &JsonBody,
        session_id: String,
        message_type: MessageType,
        href: String,
    ) -> Result<(Inbound, Echo), GatewayError> {
        let msisdn = body.require_non_empty("msisdn")?;
        let phone = self.phone(&msisdn)?;
        let service_code = body.require_non_empty("serviceCode")?;
        let ussd_string = body.require_text("ussdString")?;
        let event = if message_type == MessageType::Begin {
            // The begin message carries the code dialled, even with an extension: not an input.
            Event::Start
        } else {
            Event::Input(Input::Latest(clean_input(&ussd_string).to_string()))
        };
        let echo = Echo {
            session_id: session_id.clone(),
            msisdn,
            service_code,
            href,
        };
        let inbound = Inbound {
            session_id,
            phone,
            event,
        };
        Ok((inbound, echo))
    }

    /// An End, Cancel or Timeout notice. Only the session and the type are required: a notice
    /// refused would only be resent, and what it says beyond them is for the record.
    fn decode_end(
        &self,
        body: &JsonBody,
        session_id: String,
        message_type: MessageType,
        href: String,
    ) -> Result<(Inbound, Echo), GatewayError> {
        let msisdn = body.text("msisdn")?.filter(|m| !m.trim().is_empty());
        let phone = msisdn.as_deref().map(|m| self.phone(m)).transpose()?;
        let service_code = body.text("serviceCode")?.filter(|s| !s.is_empty());
        let ussd_string = body.text("ussdString")?.filter(|s| !s.trim().is_empty());
        let end = SessionEnd {
            gateway: NAME.to_string(),
            session_id: session_id.clone(),
            status: message_type.word().to_string(),
            duration_ms: None,
            hops_count: None,
            input: None,
            last_app_response: None,
            // On a Cancel the spec puts the abort reason in `ussdString`.
            error_message: ussd_string.filter(|_| message_type == MessageType::Cancel),
            cost: None,
            phone: phone.clone(),
            service_code: service_code.clone(),
            network_code: None,
            date: None,
        };
        let echo = Echo {
            session_id: session_id.clone(),
            msisdn: msisdn.unwrap_or_default(),
            service_code: service_code.unwrap_or_default(),
            href,
        };
        let inbound = Inbound {
            session_id,
            phone: phone.unwrap_or_default(),
            event: Event::End(end),
        };
        Ok((inbound, echo))
    }

    fn phone(&self, msisdn: &str) -> Result<String, GatewayError> {
        e164("msisdn", msisdn, self.country)
    }
}

fn session_id(body: &JsonBody) -> Result<String, GatewayError> {
    let id = body.require_non_empty("sessionId")?;
    check_session_id("sessionId", &id)?;
    Ok(id)
}

fn message_type(body: &JsonBody) -> Result<MessageType, GatewayError> {
    let code = body.require_integer("messageType")?;
    MessageType::from_code(code).ok_or(GatewayError::Malformed {
        field: "messageType",
        reason: "expected 0 (Begin), 1 (Continue), 2 (End), 4 (Cancel) or 5 (Timeout)".into(),
    })
}

/// The spec's `OutboundRequest`, in its field order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OutboundRequest<'a> {
    session_id: &'a str,
    message_type: &'static str,
    msisdn: &'a str,
    service_code: &'a str,
    ussd_string: &'a str,
}

fn outbound_body(reply: &Reply, echo: &Echo) -> String {
    let message_type = if reply.end {
        MessageType::End
    } else {
        MessageType::Continue
    };
    let request = OutboundRequest {
        session_id: &echo.session_id,
        message_type: message_type.code(),
        msisdn: &echo.msisdn,
        service_code: &echo.service_code,
        ussd_string: &reply.text,
    };
    serde_json::to_string(&request).expect("strings serialise")
}

/// The spec's `InboundResponse`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct InboundResponse<'a> {
    status_code: &'static str,
    status_message: &'static str,
    transaction_id: &'a str,
    data: InboundResponseData<'a>,
    #[serde(rename = "_link")]
    link: Links<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct InboundResponseData<'a> {
    /// No screen in this answer: it follows as a push.
    inbound_response: Option<&'a str>,
    /// Listed as required by the spec (with no definition); its success value.
    outbound_response: &'static str,
    service_code: &'a str,
    msisdn: &'a str,
}

#[derive(Serialize)]
struct Links<'a> {
    #[serde(rename = "self")]
    this: Href<'a>,
}

#[derive(Serialize)]
struct Href<'a> {
    href: &'a str,
}

fn acknowledgement(echo: &Echo, status_message: &'static str) -> WireResponse {
    let response = InboundResponse {
        status_code: SUCCESS,
        status_message,
        // MTN sends no transaction id of its own: the session id lets both sides trace it.
        transaction_id: &echo.session_id,
        data: InboundResponseData {
            inbound_response: None,
            outbound_response: SUCCESS,
            service_code: &echo.service_code,
            msisdn: &echo.msisdn,
        },
        link: Links {
            this: Href { href: &echo.href },
        },
    };
    WireResponse {
        content_type: JSON,
        body: serde_json::to_string(&response).expect("strings serialise"),
    }
}

/// MTN's side: JSON messages in, screens read from dalal's pushes.
impl Simulate for Mtn {
    fn hop_request(&self, hop: &SimHop<'_>) -> SimRequest {
        let (message_type, ussd_string) = match hop.inputs.last() {
            None => (MessageType::Begin, hop.service_code),
            Some(newest) => (MessageType::Continue, newest.as_str()),
        };
        SimRequest::json(
            PATH,
            serde_json::json!({
                "sessionId": hop.session_id,
                "messageType": message_type.code(),
                "msisdn": mtn_msisdn(hop.phone),
                "serviceCode": hop.service_code,
                "ussdString": ussd_string,
            }),
        )
    }

    fn read_screen(&self, body: &str) -> Result<Screen, String> {
        let push: serde_json::Value =
            serde_json::from_str(body).map_err(|e| format!("push is not JSON: {e}"))?;
        let field = |name: &str| {
            push.get(name)
                .and_then(serde_json::Value::as_str)
                .ok_or_else(|| format!("push without a string `{name}`: {body}"))
        };
        let end = match field("messageType")? {
            "1" => false,
            "2" => true,
            other => return Err(format!("push with messageType {other:?}: {body}")),
        };
        Ok(Screen {
            text: field("ussdString")?.to_string(),
            end,
        })
    }

    fn end_request(&self, hop: &SimHop<'_>) -> Option<SimRequest> {
        Some(SimRequest::json(
            PATH,
            serde_json::json!({
                "sessionId": hop.session_id,
                "messageType": MessageType::End.code(),
                "msisdn": mtn_msisdn(hop.phone),
                "serviceCode": hop.service_code,
                "ussdString": "",
            }),
        ))
    }
}

/// An E.164 number as MTN writes it: international, without `+`.
fn mtn_msisdn(phone: &str) -> &str {
    phone.strip_prefix('+').unwrap_or(phone)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::case_json;
    use axum::http::Method;
    use bytes::Bytes;

    fn gateway() -> Mtn {
        Mtn {
            country: None,
            outbound_url: DEFAULT_OUTBOUND_URL.into(),
            api_key: Some("k3y".into()),
        }
    }

    fn ghana() -> Mtn {
        Mtn {
            country: Some(CallingCode::GHANA),
            ..gateway()
        }
    }

    fn malformed(field: &'static str, reason: &str) -> GatewayError {
        GatewayError::Malformed {
            field,
            reason: reason.into(),
        }
    }

    const NOT_A_PHONE: &str = "not an E.164 phone number";

    fn ended(status: &str, error_message: Option<&str>) -> Event {
        Event::End(SessionEnd {
            gateway: NAME.into(),
            session_id: "s1".into(),
            status: status.into(),
            duration_ms: None,
            hops_count: None,
            input: None,
            last_app_response: None,
            error_message: error_message.map(str::to_string),
            cost: None,
            phone: Some("+233244123456".into()),
            service_code: Some("*123#".into()),
            network_code: None,
            date: None,
        })
    }

    fn blank() -> Reply {
        Reply {
            text: String::new(),
            end: false,
        }
    }

    fn typed(text: &str) -> Event {
        Event::Input(Input::Latest(text.into()))
    }

    /// (label, gateway, JSON body, expected phone and event, or error)
    type Case = (
        &'static str,
        fn() -> Mtn,
        &'static str,
        Result<(&'static str, Event), GatewayError>,
    );

    /// Labelled messages -> neutral events, as MTN's USSD gateway sends them.
    #[test]
    fn messages_decode_into_neutral_events() {
        let cases: Vec<Case> = vec![
            (
                "begin: the code dialled is not an input",
                gateway,
                r#"{"sessionId":"s1","messageType":"0","msisdn":"233244123456","serviceCode":"*123#","ussdString":"*123#","cellId":"62002-1234","language":"en","imsi":"620010123456789"}"#,
                Ok(("+233244123456", Event::Start)),
            ),
            (
                "begin with an extension still only starts",
                gateway,
                r#"{"sessionId":"s1","messageType":"0","msisdn":"233244123456","serviceCode":"8022","ussdString":"8022*1"}"#,
                Ok(("+233244123456", Event::Start)),
            ),
            (
                "begin with an empty ussdString",
                gateway,
                r#"{"sessionId":"s1","messageType":"0","msisdn":"233244123456","serviceCode":"*123#","ussdString":""}"#,
                Ok(("+233244123456", Event::Start)),
            ),
            (
                "continue: the newest input only",
                gateway,
                r#"{"sessionId":"s1","messageType":"1","msisdn":"233244123456","serviceCode":"*123#","ussdString":"2"}"#,
                Ok(("+233244123456", typed("2"))),
            ),
            (
                "messageType as an integer (the spec's inbound response types it so)",
                gateway,
                r#"{"sessionId":"s1","messageType":1,"msisdn":"233244123456","serviceCode":"*123#","ussdString":"2"}"#,
                Ok(("+233244123456", typed("2"))),
            ),
            (
                "input with spaces",
                gateway,
                r#"{"sessionId":"s1","messageType":"1","msisdn":"233244123456","serviceCode":"*123#","ussdString":" 100000 "}"#,
                Ok(("+233244123456", typed("100000"))),
            ),
            (
                "input with a leading *",
                gateway,
                r#"{"sessionId":"s1","messageType":"1","msisdn":"233244123456","serviceCode":"*123#","ussdString":"*3"}"#,
                Ok(("+233244123456", typed("3"))),
            ),
            (
                "msisdn with +",
                gateway,
                r#"{"sessionId":"s1","messageType":"1","msisdn":"+233244123456","serviceCode":"*123#","ussdString":"1"}"#,
                Ok(("+233244123456", typed("1"))),
            ),
            (
                "msisdn with 00",
                gateway,
                r#"{"sessionId":"s1","messageType":"1","msisdn":"00233244123456","serviceCode":"*123#","ussdString":"1"}"#,
                Ok(("+233244123456", typed("1"))),
            ),
            (
                "msisdn as a JSON number",
                gateway,
                r#"{"sessionId":"s1","messageType":"1","msisdn":233244123456,"serviceCode":"*123#","ussdString":"1"}"#,
                Ok(("+233244123456", typed("1"))),
            ),
            (
                "national msisdn with a country set",
                ghana,
                r#"{"sessionId":"s1","messageType":"1","msisdn":"0244123456","serviceCode":"*123#","ussdString":"1"}"#,
                Ok(("+233244123456", typed("1"))),
            ),
            (
                "national msisdn without a country (the default)",
                gateway,
                r#"{"sessionId":"s1","messageType":"1","msisdn":"0244123456","serviceCode":"*123#","ussdString":"1"}"#,
                Err(malformed("msisdn", NOT_A_PHONE)),
            ),
            (
                "letters in msisdn",
                gateway,
                r#"{"sessionId":"s1","messageType":"1","msisdn":"23324412abcd","serviceCode":"*123#","ussdString":"1"}"#,
                Err(malformed("msisdn", NOT_A_PHONE)),
            ),
            (
                "end (release) notice",
                gateway,
                r#"{"sessionId":"s1","messageType":"2","msisdn":"233244123456","serviceCode":"*123#","ussdString":""}"#,
                Ok(("+233244123456", ended("End", None))),
            ),
            (
                "timeout notice",
                gateway,
                r#"{"sessionId":"s1","messageType":"5","msisdn":"233244123456","serviceCode":"*123#","ussdString":""}"#,
                Ok(("+233244123456", ended("Timeout", None))),
            ),
            (
                "cancel notice: ussdString is the abort reason",
                gateway,
                r#"{"sessionId":"s1","messageType":"4","msisdn":"233244123456","serviceCode":"*123#","ussdString":"User aborted"}"#,
                Ok(("+233244123456", ended("Cancel", Some("User aborted")))),
            ),
            (
                "notification is never sent by a caller",
                gateway,
                r#"{"sessionId":"s1","messageType":"3","msisdn":"233244123456","serviceCode":"*123#","ussdString":"x"}"#,
                Err(malformed(
                    "messageType",
                    "3 (Notification) is sent to callers, never by them",
                )),
            ),
            (
                "unknown messageType",
                gateway,
                r#"{"sessionId":"s1","messageType":"9","msisdn":"233244123456","serviceCode":"*123#","ussdString":"1"}"#,
                Err(malformed(
                    "messageType",
                    "expected 0 (Begin), 1 (Continue), 2 (End), 4 (Cancel) or 5 (Timeout)",
                )),
            ),
            (
                "messageType not a number",
                gateway,
                r#"{"sessionId":"s1","messageType":"begin","msisdn":"233244123456","serviceCode":"*123#","ussdString":""}"#,
                Err(malformed("messageType", "not an integer")),
            ),
            (
                "missing sessionId",
                gateway,
                r#"{"messageType":"1","msisdn":"233244123456","serviceCode":"*123#","ussdString":"1"}"#,
                Err(GatewayError::Missing("sessionId")),
            ),
            (
                "missing messageType",
                gateway,
                r#"{"sessionId":"s1","msisdn":"233244123456","serviceCode":"*123#","ussdString":"1"}"#,
                Err(GatewayError::Missing("messageType")),
            ),
            (
                "missing msisdn",
                gateway,
                r#"{"sessionId":"s1","messageType":"1","serviceCode":"*123#","ussdString":"1"}"#,
                Err(GatewayError::Missing("msisdn")),
            ),
            (
                "missing serviceCode",
                gateway,
                r#"{"sessionId":"s1","messageType":"1","msisdn":"233244123456","ussdString":"1"}"#,
                Err(GatewayError::Missing("serviceCode")),
            ),
            (
                "missing ussdString",
                gateway,
                r#"{"sessionId":"s1","messageType":"1","msisdn":"233244123456","serviceCode":"*123#"}"#,
                Err(GatewayError::Missing("ussdString")),
            ),
            (
                "ussdString null counts as missing",
                gateway,
                r#"{"sessionId":"s1","messageType":"0","msisdn":"233244123456","serviceCode":"*123#","ussdString":null}"#,
                Err(GatewayError::Missing("ussdString")),
            ),
            (
                "empty sessionId",
                gateway,
                r#"{"sessionId":" ","messageType":"1","msisdn":"233244123456","serviceCode":"*123#","ussdString":"1"}"#,
                Err(malformed("sessionId", "empty")),
            ),
            (
                "sessionId with a control character",
                gateway,
                r#"{"sessionId":"s\u0000","messageType":"1","msisdn":"233244123456","serviceCode":"*123#","ussdString":"1"}"#,
                Err(malformed(
                    "sessionId",
                    "must be 1 to 128 printable characters",
                )),
            ),
            (
                "wrong JSON type: ussdString an object",
                gateway,
                r#"{"sessionId":"s1","messageType":"1","msisdn":"233244123456","serviceCode":"*123#","ussdString":{"text":"1"}}"#,
                Err(malformed("ussdString", "expected a string")),
            ),
            (
                "wrong JSON type: msisdn a boolean",
                gateway,
                r#"{"sessionId":"s1","messageType":"1","msisdn":true,"serviceCode":"*123#","ussdString":"1"}"#,
                Err(malformed("msisdn", "expected a string")),
            ),
            (
                "wrong JSON type on an end notice",
                gateway,
                r#"{"sessionId":"s1","messageType":"2","msisdn":["233244123456"]}"#,
                Err(malformed("msisdn", "expected a string")),
            ),
        ];
        for (label, gateway, body, expected) in cases {
            let got = gateway()
                .decode(&case_json(PATH, body))
                .map(|(inbound, _)| inbound);
            match (got, expected) {
                (Ok(inbound), Ok((phone, event))) => {
                    assert_eq!(inbound.session_id, "s1", "{label}");
                    assert_eq!(inbound.phone, phone, "{label}");
                    assert_eq!(inbound.event, event, "{label}");
                }
                (Err(error), Err(expected)) => assert_eq!(error, expected, "{label}"),
                (got, expected) => panic!("{label}: got {got:?}, expected {expected:?}"),
            }
        }
    }

    #[test]
    fn end_notices_need_only_the_session_and_the_type() {
        let (inbound, echo) = gateway()
            .decode(&case_json(PATH, r#"{"sessionId":"s1","messageType":"5"}"#))
            .unwrap();
        assert_eq!(inbound.phone, "");
        let Event::End(end) = inbound.event else {
            panic!("not an end: {inbound:?}")
        };
        assert_eq!((end.status.as_str(), end.phone), ("Timeout", None));
        assert_eq!((echo.msisdn.as_str(), echo.service_code.as_str()), ("", ""));
    }

    #[test]
    fn bodies_that_are_not_a_json_object_are_refused() {
        let cases: &[(&str, &[u8])] = &[
            ("non-UTF-8", b"{\"sessionId\":\"\xC3\x28\"}"),
            ("not JSON", b"sessionId=s1&messageType=0"),
            ("empty", b""),
            ("a JSON array", b"[1,2]"),
        ];
        for (label, body) in cases {
            let request =
                WireRequest::simulated(Method::POST, PATH, Some(JSON), Bytes::from_static(body));
            let error = gateway().decode(&request).unwrap_err();
            assert!(
                matches!(error, GatewayError::NotUtf8(_) | GatewayError::NotJson(_)),
                "{label}: {error:?}"
            );
        }
        let huge = format!(
            r#"{{"sessionId":"s1","messageType":"1","msisdn":"233244123456","serviceCode":"*123#","ussdString":"{}"}}"#,
            "1".repeat(2000)
        );
        assert_eq!(
            gateway().decode(&case_json(PATH, &huge)).unwrap_err(),
            malformed("ussdString", "longer than 1024 characters")
        );
    }

    fn echo() -> Echo {
        Echo {
            session_id: "s1".into(),
            msisdn: "233244123456".into(),
            service_code: "*123#".into(),
            href: "https://ivr.example/ussd/mtn".into(),
        }
    }

    #[test]
    fn the_echo_repeats_msisdn_and_service_code_as_sent() {
        let (_, echo) = gateway()
            .decode(&case_json(
                PATH,
                r#"{"sessionId":"s1","messageType":"0","msisdn":"233244123456","serviceCode":"*123#","ussdString":"*123#"}"#,
            ))
            .unwrap();
        assert_eq!(echo, self::echo());
    }

    /// Labelled screens -> the exact push MTN receives.
    #[test]
    fn screens_are_pushed_as_outbound_requests() {
        let cases = [
            (
                "menu: continue",
                Reply {
                    text: "Welcome. Choose:\n1. My bill".into(),
                    end: false,
                },
                r#"{"sessionId":"s1","messageType":"1","msisdn":"233244123456","serviceCode":"*123#","ussdString":"Welcome. Choose:\n1. My bill"}"#,
            ),
            (
                "last screen: end",
                Reply {
                    text: "Bill 10/2026: \"66 860 FCFA\"".into(),
                    end: true,
                },
                r#"{"sessionId":"s1","messageType":"2","msisdn":"233244123456","serviceCode":"*123#","ussdString":"Bill 10/2026: \"66 860 FCFA\""}"#,
            ),
        ];
        for (label, reply, body) in cases {
            let push = gateway().push(&reply, &echo());
            assert_eq!(push.url, DEFAULT_OUTBOUND_URL, "{label}");
            assert_eq!(push.headers, [("x-api-key", "k3y".to_string())], "{label}");
            assert_eq!(push.content_type, "application/json", "{label}");
            assert_eq!(push.body, body, "{label}");
            assert_eq!(gateway().render(&reply, &echo()).body, body, "{label}");
        }
        let keyless = Mtn {
            api_key: None,
            outbound_url: "http://127.0.0.1:9/out".into(),
            ..gateway()
        };
        let push = keyless.push(&blank(), &echo());
        assert!(push.headers.is_empty());
        assert_eq!(push.url, "http://127.0.0.1:9/out");
    }

    #[test]
    fn messages_are_acknowledged_as_the_spec_answers_them() {
        let ack = gateway().acknowledge(&echo());
        assert_eq!(ack.content_type, "application/json");
        assert_eq!(
            ack.body,
            r#"{"statusCode":"0000","statusMessage":"Accepted","transactionId":"s1","data":{"inboundResponse":null,"outboundResponse":"0000","serviceCode":"*123#","msisdn":"233244123456"},"_link":{"self":{"href":"https://ivr.example/ussd/mtn"}}}"#
        );
        let end = gateway().acknowledge_end(&echo());
        assert_eq!(end.content_type, "application/json");
        assert!(
            end.body
                .starts_with(r#"{"statusCode":"0000","statusMessage":"Session ended""#),
            "{}",
            end.body
        );
    }

    #[test]
    fn settings_choose_the_outbound_url_key_and_country() {
        let mut config = Config::default();
        let default = Mtn::from_config(&config);
        assert_eq!(
            (
                default.outbound_url.as_str(),
                default.api_key,
                default.country
            ),
            (DEFAULT_OUTBOUND_URL, None, None)
        );
        config.gateways.insert(
            NAME.into(),
            crate::config::GatewaySettings {
                outbound_url: Some("http://127.0.0.1:8080/out".into()),
                api_key: Some("secret".into()),
                country: Some("GH".into()),
                ..Default::default()
            },
        );
        let set = Mtn::from_config(&config);
        assert_eq!(set.outbound_url, "http://127.0.0.1:8080/out");
        assert_eq!(set.api_key.as_deref(), Some("secret"));
        assert_eq!(set.country, Some(CallingCode::GHANA));
        assert_eq!(set.deadline(), Duration::from_secs(10));
    }

    fn wire(request: SimRequest) -> WireRequest {
        let method = Method::from_bytes(request.method.as_bytes()).unwrap();
        WireRequest::simulated(
            method,
            &request.path_and_query,
            request.content_type,
            request.body,
        )
    }

    /// MTN's side and dalal's agree: its messages decode to the hop meant, and the screens
    /// dalal pushes read back as sent.
    #[test]
    fn simulated_mtn_round_trips() {
        let mtn = gateway();
        let inputs = ["4".to_string(), "1".to_string()];
        let hop = |n: usize| SimHop {
            session_id: "s1",
            phone: "+233244123456",
            service_code: "*123#",
            inputs: &inputs[..n],
        };
        let cases = [
            (hop(0), Event::Start),
            (hop(1), typed("4")),
            (hop(2), typed("1")),
        ];
        for (hop, expected) in cases {
            let (inbound, echo) = mtn.decode(&wire(mtn.hop_request(&hop))).unwrap();
            assert_eq!(inbound.event, expected);
            assert_eq!(inbound.phone, "+233244123456");
            assert_eq!(echo.msisdn, "233244123456", "MTN writes it without +");
            for end in [false, true] {
                let reply = Reply {
                    text: "Choose:\n1. Bill".into(),
                    end,
                };
                let screen = mtn.read_screen(&mtn.render(&reply, &echo).body).unwrap();
                assert_eq!(screen.text, reply.text);
                assert_eq!(screen.end, end);
            }
        }
        let notice = mtn.end_request(&hop(2)).expect("MTN sends end notices");
        let (inbound, _) = mtn.decode(&wire(notice)).unwrap();
        assert!(matches!(inbound.event, Event::End(ref e) if e.status == "End"));
        assert!(mtn.read_screen(&mtn.acknowledge(&echo()).body).is_err());
        assert!(mtn.read_screen("END Bye").is_err());
    }

    mod fuzz {
        use super::*;
        use proptest::prelude::*;
        use serde_json::Value;

        const FIELDS: &[&str] = &[
            "sessionId",
            "messageType",
            "msisdn",
            "serviceCode",
            "ussdString",
            "cellId",
            "language",
            "imsi",
        ];

        /// Any JSON value, with the plausible ones (codes, phone numbers) made likely.
        fn value() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::Bool),
                any::<i64>().prop_map(Value::from),
                any::<f64>().prop_map(Value::from),
                "[0-6]".prop_map(Value::from),
                "\\+?0{0,2}[0-9]{6,16}".prop_map(Value::from),
                ".{0,40}".prop_map(Value::from),
                (1000usize..1100).prop_map(|n| Value::from("9".repeat(n))),
            ];
            leaf.prop_recursive(2, 8, 4, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                    prop::collection::btree_map("[a-z]{1,6}", inner, 0..3)
                        .prop_map(|m| Value::Object(m.into_iter().collect())),
                ]
            })
        }

        fn exercise(body: Bytes) {
            let request = WireRequest::simulated(Method::POST, PATH, Some(JSON), body);
            for mtn in [gateway(), ghana()] {
                if let Ok((_, echo)) = mtn.decode(&request) {
                    let _ = mtn.acknowledge(&echo);
                    let _ = mtn.push(&blank(), &echo);
                }
            }
        }

        proptest! {
            #[test]
            fn decode_never_panics_on_bytes(body in prop::collection::vec(any::<u8>(), 0..512)) {
                exercise(Bytes::from(body));
            }

            #[test]
            fn decode_never_panics_on_json_objects(
                values in prop::collection::vec(prop::option::of(value()), FIELDS.len()),
            ) {
                let object: serde_json::Map<String, Value> = FIELDS
                    .iter()
                    .zip(values)
                    .filter_map(|(name, value)| value.map(|v| (name.to_string(), v)))
                    .collect();
                exercise(Bytes::from(Value::Object(object).to_string()));
            }
        }
    }
}
