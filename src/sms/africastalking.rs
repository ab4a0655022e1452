//! Africa's Talking SMS: a form `POST` to send, a JSON answer per recipient, and form `POST`
//! callbacks for delivery reports and incoming messages.
//!
//! Checked against Africa's Talking's public documentation, read on 2026-11-30 (the
//! developers.africastalking.com pages through stored copies of their text):
//! - <https://developers.africastalking.com/docs/sms/sending/bulk>: the form endpoint
//!   `/version1/messaging` (live and sandbox), its fields (`username`, `to`, `message`, `from`,
//!   `bulkSMSMode`, `enqueue`, `keyword`, `linkId`, `retryDurationInHours`: none of them a
//!   callback URL), the answer `SMSMessageData.Recipients[]` and its `statusCode` table.
//! - <https://developers.africastalking.com/docs/sms/notifications>: delivery reports (`id`,
//!   `status`, `phoneNumber`, `networkCode`, `failureReason`, `retryCount`) and incoming
//!   messages (`date`, `from`, `id`, `linkId`, `text`, `to`, `cost`, `networkCode`), both
//!   `application/x-www-form-urlencoded`, both sent to the callback URLs set in the dashboard
//!   (SMS -> SMS Callback URLs).
//! - <http://docs.africastalking.com/sms/sending>: the API key goes in an `apiKey` header, and
//!   answers are XML unless `Accept: application/json` asks for JSON.
//! - <http://docs.africastalking.com/sms/callback>: the incoming message fields, as above.
//! - <https://github.com/medic/medic-docs/pull/112>: a sender id AT does not know is answered
//!   with no recipient at all, the cause in `Message`
//!   (`{"SMSMessageData":{"Message":"InvalidSenderId","Recipients":[]}}`).
//!
//! AT has no per-message callback URL, so [`Outgoing::report_url`] is not sent: reports name
//! the message by the `messageId` of the send's answer ([`MessageRef::Gateway`]).

use std::fmt;

use serde_json::Value;

use super::{
    Delivery, DeliveryReport, IncomingSms, MessageRef, Outgoing, SendOutcome, SendRequest,
    SmsGateway,
};
use crate::gateway::form::Form;
use crate::gateway::{GatewayError, WireRequest, check_session_id, e164};
use crate::text::privacy::mask_msisdn;

/// The same name as the USSD gateway's: one account, one callback key (`DALAL_AFRICASTALKING_KEY`)
/// and one address allowlist for all of Africa's Talking's callbacks.
pub const NAME: &str = "africastalking";

/// The live API's send endpoint (the default).
pub const LIVE_URL: &str = "https://api.africastalking.com/version1/messaging";
/// The sandbox's send endpoint (username `sandbox`, the sandbox app's API key).
pub const SANDBOX_URL: &str = "https://api.sandbox.africastalking.com/version1/messaging";

pub const REPORT_PATH: &str = "/sms/africastalking/dlr";
pub const INCOMING_PATH: &str = "/sms/africastalking/incoming";

const FORM: &str = "application/x-www-form-urlencoded";

/// What a recipient's `statusCode` in the send's answer means for the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Taken,
    Refused,
    Retry,
}

/// AT's `statusCode` table. Refused: retrying the same message to the same number with the
/// same account cannot succeed. Retry: a fault on AT's or the network's side.
const RECIPIENT_STATUSES: &[(i64, &str, Verdict)] = &[
    (100, "Processed", Verdict::Taken),
    (101, "Sent", Verdict::Taken),
    (102, "Queued", Verdict::Taken),
    (401, "RiskHold", Verdict::Refused),
    (402, "InvalidSenderId", Verdict::Refused),
    (403, "InvalidPhoneNumber", Verdict::Refused),
    (404, "UnsupportedNumberType", Verdict::Refused),
    (405, "InsufficientBalance", Verdict::Refused),
    (406, "UserInBlacklist", Verdict::Refused),
    (407, "CouldNotRoute", Verdict::Refused),
    // Nigeria only: a promotional sender id used between 8pm and 8am; the answer's HTTP
    // status is 409 too.
    (409, "DoNotDisturbRejection", Verdict::Refused),
    (500, "InternalServerError", Verdict::Retry),
    (501, "GatewayError", Verdict::Retry),
    // AT does not say whether this rejection is final: retried, so a message is delayed
    // rather than lost.
    (502, "RejectedByGateway", Verdict::Retry),
];

/// A delivery report's `status`, as dalal counts it. AT calls only `Rejected`, `Success` and
/// `Failed` final; `AbsentSubscriber` (phone off or out of coverage) and `Expired` (discarded
/// by the telco's firewall) are counted as failed too, since AT documents nothing after them.
const REPORT_STATUSES: &[(&str, Delivery)] = &[
    ("Sent", Delivery::Pending),
    ("Submitted", Delivery::Pending),
    ("Buffered", Delivery::Pending),
    ("Success", Delivery::Delivered),
    ("Rejected", Delivery::Failed),
    ("Failed", Delivery::Failed),
    ("AbsentSubscriber", Delivery::Failed),
    ("Expired", Delivery::Failed),
];

/// Africa's Talking's SMS API for one application (`username`).
#[derive(Clone)]
pub struct AfricasTalkingSms {
    api_url: String,
    username: String,
    api_key: String,
    /// A registered short code or alphanumeric sender id; AT's default (`AFRICASTKNG`) when
    /// `None`.
    from: Option<String>,
}

impl AfricasTalkingSms {
    /// `api_url` `None` is the live API ([`LIVE_URL`]); an empty `from` is no sender id.
    pub fn new(
        api_url: Option<String>,
        username: String,
        api_key: String,
        from: Option<String>,
    ) -> AfricasTalkingSms {
        AfricasTalkingSms {
            api_url: api_url.unwrap_or_else(|| LIVE_URL.to_string()),
            username,
            api_key,
            from: from.filter(|f| !f.trim().is_empty()),
        }
    }
}

impl super::FromSmsConfig for AfricasTalkingSms {
    /// The API key is `[gateways.africastalking] api_key` (`DALAL_AFRICASTALKING_API_KEY`),
    /// beside the USSD gateway's settings.
    fn from_config(config: &crate::config::Config) -> Result<AfricasTalkingSms, String> {
        let sms = &config.sms;
        let api_key = config
            .gateways
            .get(NAME)
            .and_then(|g| g.api_key.clone())
            .filter(|k| !k.is_empty())
            .ok_or("Africa's Talking SMS needs its API key in DALAL_AFRICASTALKING_API_KEY")?;
        Ok(AfricasTalkingSms::new(
            sms.africastalking_url.clone(),
            super::required(
                &sms.africastalking_username,
                "africastalking_username",
                NAME,
            )?,
            api_key,
            sms.from.clone(),
        ))
    }

    fn for_callbacks() -> AfricasTalkingSms {
        AfricasTalkingSms::new(None, String::new(), String::new(), None)
    }
}

/// Written by hand so that the API key never reaches a log.
impl fmt::Debug for AfricasTalkingSms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AfricasTalkingSms")
            .field("api_url", &self.api_url)
            .field("username", &self.username)
            .field("api_key", &"<hidden>")
            .field("from", &self.from)
            .finish()
    }
}

impl SmsGateway for AfricasTalkingSms {
    fn name(&self) -> &'static str {
        NAME
    }

    fn send_request(&self, message: &Outgoing) -> SendRequest {
        // `bulkSMSMode` and `enqueue` keep AT's defaults (1): the sender is billed, and AT
        // answers before the telco has acknowledged.
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.append_pair("username", &self.username)
            .append_pair("to", &message.to)
            .append_pair("message", &message.text);
        if let Some(from) = &self.from {
            form.append_pair("from", from);
        }
        SendRequest {
            method: "POST",
            url: self.api_url.clone(),
            headers: vec![
                ("apiKey", self.api_key.clone()),
                // AT answers in XML unless asked for JSON.
                ("Accept", "application/json".to_string()),
            ],
            content_type: Some(FORM),
            body: form.finish(),
        }
    }

    fn read_send_answer(&self, status: u16, body: &str) -> SendOutcome {
        match status {
            401 => return SendOutcome::Refused("bad API key (HTTP 401)".into()),
            429 => return SendOutcome::Retry("throttled (HTTP 429)".into()),
            500..=599 => return SendOutcome::Retry(format!("HTTP {status}: {}", excerpt(body))),
            // Other statuses carry the per-recipient verdict in the body (a DND rejection
            // comes with 409).
            _ => {}
        }
        match read_answer(body) {
            Ok(answer) => answer.outcome(),
            Err(reason) => SendOutcome::Retry(format!("HTTP {status}: {reason}")),
        }
    }

    fn report_path(&self) -> &'static str {
        REPORT_PATH
    }

    fn incoming_path(&self) -> &'static str {
        INCOMING_PATH
    }

    fn decode_report(&self, request: &WireRequest) -> Result<DeliveryReport, GatewayError> {
        let form = Form::parse(&request.body)?;
        let id = form.require_non_empty("id")?;
        check_session_id("id", id)?;
        let status = form.require_non_empty("status")?;
        let delivery = REPORT_STATUSES
            .iter()
            .find(|(name, _)| *name == status)
            .map(|(_, delivery)| *delivery)
            .ok_or_else(|| GatewayError::Malformed {
                field: "status",
                reason: format!(
                    "expected one of {}",
                    REPORT_STATUSES
                        .iter()
                        .map(|(name, _)| *name)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })?;
        let detail = match form.get("failureReason").filter(|r| !r.is_empty()) {
            Some(reason) => format!("{status}: {reason}"),
            None => status.to_string(),
        };
        Ok(DeliveryReport {
            message: MessageRef::Gateway(id.to_string()),
            delivery,
            detail: Some(detail),
        })
    }

    fn decode_incoming(&self, request: &WireRequest) -> Result<IncomingSms, GatewayError> {
        let form = Form::parse(&request.body)?;
        let from = e164("from", form.require_non_empty("from")?, None)?;
        // An empty text is still a message (a customer pressing send by mistake).
        let text = form.require("text")?.to_string();
        Ok(IncomingSms { from, text })
    }
}

/// The part of the send's answer dalal reads: one message, so the first recipient.
#[derive(Debug)]
struct SendAnswer {
    /// `SMSMessageData.Message`: a summary, or the cause when no recipient was taken.
    summary: String,
    recipient: Option<Recipient>,
}

#[derive(Debug)]
struct Recipient {
    status_code: i64,
    /// AT's word for the code (`Success`, `InvalidPhoneNumber`), when it sends one.
    status: Option<String>,
    message_id: Option<String>,
}

fn read_answer(body: &str) -> Result<SendAnswer, String> {
    let not_the_answer = || format!("not AT's JSON answer: {}", excerpt(body));
    let json: Value = serde_json::from_str(body).map_err(|_| not_the_answer())?;
    let data = json.get("SMSMessageData").ok_or_else(not_the_answer)?;
    let summary = data
        .get("Message")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let recipient = match data.get("Recipients") {
        Some(Value::Array(recipients)) => recipients.first(),
        _ => return Err(format!("answer without Recipients: {}", excerpt(body))),
    };
    let recipient = match recipient {
        None => None,
        Some(recipient) => Some(Recipient {
            status_code: integer(recipient.get("statusCode"))
                .ok_or_else(|| format!("recipient without a statusCode: {}", excerpt(body)))?,
            status: text(recipient.get("status")),
            // AT writes `None` where it made no message.
            message_id: text(recipient.get("messageId")).filter(|id| id != "None"),
        }),
    };
    Ok(SendAnswer { summary, recipient })
}

impl SendAnswer {
    fn outcome(self) -> SendOutcome {
        let Some(recipient) = self.recipient else {
            // No recipient taken at all: the cause is in the summary (`InvalidSenderId`).
            let refused = RECIPIENT_STATUSES
                .iter()
                .any(|(_, name, verdict)| *name == self.summary && *verdict == Verdict::Refused);
            let reason = format!("no recipient taken: {}", excerpt(&self.summary));
            return if refused {
                SendOutcome::Refused(reason)
            } else {
                SendOutcome::Retry(reason)
            };
        };
        let known = RECIPIENT_STATUSES
            .iter()
            .find(|(code, _, _)| *code == recipient.status_code);
        let name = recipient
            .status
            .as_deref()
            .or(known.map(|(_, name, _)| *name))
            .unwrap_or("unknown");
        let reason = format!("{} {}", recipient.status_code, excerpt(name));
        match known.map(|(_, _, verdict)| *verdict) {
            Some(Verdict::Taken) => SendOutcome::Accepted {
                gateway_id: recipient.message_id,
            },
            Some(Verdict::Refused) => SendOutcome::Refused(reason),
            Some(Verdict::Retry) => SendOutcome::Retry(reason),
            // A code AT added since: retried, so a message is delayed rather than lost.
            None => SendOutcome::Retry(format!("unknown statusCode {reason}")),
        }
    }
}

fn integer(value: Option<&Value>) -> Option<i64> {
    match value? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

/// Longest piece of an answer kept in a reason.
const EXCERPT_CHARS: usize = 120;

/// A short piece of an answer for the outbox's reason. Digit runs as long as a phone number
/// are masked: an XML or error answer may echo the recipient, and reasons reach logs.
fn excerpt(body: &str) -> String {
    let body = body.trim();
    let mut kept: String = body.chars().take(EXCERPT_CHARS).collect();
    if body.chars().nth(EXCERPT_CHARS).is_some() {
        kept.push('…');
    }
    let mut out = String::with_capacity(kept.len());
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String| {
        if digits.len() >= 8 {
            // The mask writes its own `+`.
            if out.ends_with('+') {
                out.pop();
            }
            out.push_str(&mask_msisdn(digits));
        } else {
            out.push_str(digits);
        }
        digits.clear();
    };
    for c in kept.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            flush(&mut digits, &mut out);
            out.push(c);
        }
    }
    flush(&mut digits, &mut out);
    if out.is_empty() {
        "empty body".into()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use axum::http::Method;

    use super::*;

    fn gateway(from: Option<&str>) -> AfricasTalkingSms {
        AfricasTalkingSms::new(
            None,
            "dalal".into(),
            "atsk_secret".into(),
            from.map(str::to_string),
        )
    }

    fn form_post(path: &str, body: &[u8]) -> WireRequest {
        WireRequest::simulated(Method::POST, path, Some(FORM), body.to_vec())
    }

    fn outgoing(to: &str, text: &str) -> Outgoing {
        Outgoing {
            id: 7,
            to: to.into(),
            text: text.into(),
            report_url: "https://sms.example.org/sms/africastalking/dlr?key=k".into(),
        }
    }

    #[test]
    fn send_requests() {
        // (label, sender id, message, expected form body)
        let cases: &[(&str, Option<&str>, Outgoing, &str)] = &[
            (
                "with a sender id",
                Some("DALAL"),
                outgoing("+254711000001", "Your bill is KES 500"),
                "username=dalal&to=%2B254711000001&message=Your+bill+is+KES+500&from=DALAL",
            ),
            (
                "AT's default sender when none is set",
                None,
                outgoing("+254711000001", "Hi"),
                "username=dalal&to=%2B254711000001&message=Hi",
            ),
            (
                "an empty sender id is none",
                Some(" "),
                outgoing("+254711000001", "Hi"),
                "username=dalal&to=%2B254711000001&message=Hi",
            ),
            (
                "form characters and non-ASCII are encoded",
                None,
                outgoing("+233244123456", "a&b=c+d é"),
                "username=dalal&to=%2B233244123456&message=a%26b%3Dc%2Bd+%C3%A9",
            ),
        ];
        for (label, from, message, body) in cases {
            let request = gateway(*from).send_request(message);
            assert_eq!(request.method, "POST", "{label}");
            assert_eq!(request.url, LIVE_URL, "{label}");
            assert_eq!(request.content_type, Some(FORM), "{label}");
            assert_eq!(
                request.headers,
                vec![
                    ("apiKey", "atsk_secret".to_string()),
                    ("Accept", "application/json".to_string())
                ],
                "{label}"
            );
            assert_eq!(request.body, *body, "{label}");
            assert!(!request.body.contains("dlr"), "{label}: no callback URL");
        }
        let sandbox =
            AfricasTalkingSms::new(Some(SANDBOX_URL.into()), "sandbox".into(), "k".into(), None);
        assert_eq!(
            sandbox.send_request(&outgoing("+254711000001", "x")).url,
            SANDBOX_URL
        );
    }

    fn recipient_answer(code: i64, status: &str, message_id: &str) -> String {
        format!(
            r#"{{"SMSMessageData":{{"Message":"Sent to 1/1 Total Cost: KES 0.8000","Recipients":[{{"statusCode":{code},"number":"+254711000001","status":"{status}","cost":"KES 0.8000","messageId":"{message_id}"}}]}}}}"#
        )
    }

    #[test]
    fn send_answers() {
        let accepted = |id: &str| SendOutcome::Accepted {
            gateway_id: Some(id.to_string()),
        };
        let refused = |r: &str| SendOutcome::Refused(r.to_string());
        let retry = |r: &str| SendOutcome::Retry(r.to_string());
        // (label, HTTP status, body, expected)
        let cases: Vec<(&str, u16, String, SendOutcome)> = vec![
            (
                "101 Sent",
                201,
                recipient_answer(101, "Success", "ATXid_1"),
                accepted("ATXid_1"),
            ),
            (
                "100 Processed",
                201,
                recipient_answer(100, "Processed", "ATXid_2"),
                accepted("ATXid_2"),
            ),
            (
                "102 Queued",
                201,
                recipient_answer(102, "Queued", "ATXid_3"),
                accepted("ATXid_3"),
            ),
            (
                "taken, but no message id",
                201,
                recipient_answer(101, "Success", "None"),
                SendOutcome::Accepted { gateway_id: None },
            ),
            (
                "statusCode as a string",
                201,
                r#"{"SMSMessageData":{"Message":"Sent","Recipients":[{"statusCode":"101","status":"Success","messageId":"ATXid_4"}]}}"#.into(),
                accepted("ATXid_4"),
            ),
            (
                "403 InvalidPhoneNumber",
                201,
                recipient_answer(403, "InvalidPhoneNumber", "None"),
                refused("403 InvalidPhoneNumber"),
            ),
            (
                "404 UnsupportedNumberType",
                201,
                recipient_answer(404, "UnsupportedNumberType", "None"),
                refused("404 UnsupportedNumberType"),
            ),
            (
                "405 InsufficientBalance",
                201,
                recipient_answer(405, "InsufficientBalance", "None"),
                refused("405 InsufficientBalance"),
            ),
            (
                "406 UserInBlacklist",
                201,
                recipient_answer(406, "UserInBlacklist", "None"),
                refused("406 UserInBlacklist"),
            ),
            (
                "407 CouldNotRoute",
                201,
                recipient_answer(407, "CouldNotRoute", "None"),
                refused("407 CouldNotRoute"),
            ),
            (
                "402 InvalidSenderId",
                201,
                recipient_answer(402, "InvalidSenderId", "None"),
                refused("402 InvalidSenderId"),
            ),
            (
                "409 DoNotDisturbRejection over HTTP 409, as AT's docs show it",
                409,
                r#"{"SMSMessageData":{"Message":"Sent to 0/1 Total Cost: 0","Recipients":[{"cost":"0","messageId":"None","number":"+2348000000001","status":"DoNotDisturbRejection","statusCode":409}]}}"#.into(),
                refused("409 DoNotDisturbRejection"),
            ),
            (
                "500 InternalServerError",
                201,
                recipient_answer(500, "InternalServerError", "None"),
                retry("500 InternalServerError"),
            ),
            (
                "501 GatewayError",
                201,
                recipient_answer(501, "GatewayError", "None"),
                retry("501 GatewayError"),
            ),
            (
                "502 RejectedByGateway",
                201,
                recipient_answer(502, "RejectedByGateway", "None"),
                retry("502 RejectedByGateway"),
            ),
            (
                "a code AT did not document is retried",
                201,
                recipient_answer(418, "Teapot", "None"),
                retry("unknown statusCode 418 Teapot"),
            ),
            (
                "status word missing: the table's name",
                201,
                r#"{"SMSMessageData":{"Message":"","Recipients":[{"statusCode":403}]}}"#.into(),
                refused("403 InvalidPhoneNumber"),
            ),
            (
                "no recipient taken, unknown sender id",
                201,
                r#"{"SMSMessageData":{"Message":"InvalidSenderId","Recipients":[]}}"#.into(),
                refused("no recipient taken: InvalidSenderId"),
            ),
            (
                "no recipient taken, other cause",
                201,
                r#"{"SMSMessageData":{"Message":"Please try later","Recipients":[]}}"#.into(),
                retry("no recipient taken: Please try later"),
            ),
            (
                "bad API key",
                401,
                "The supplied authentication is invalid".into(),
                refused("bad API key (HTTP 401)"),
            ),
            (
                "throttled",
                429,
                "Too many requests".into(),
                retry("throttled (HTTP 429)"),
            ),
            (
                "server error, whatever the body",
                503,
                recipient_answer(101, "Success", "ATXid_5"),
                SendOutcome::Retry(format!(
                    "HTTP 503: {}",
                    excerpt(&recipient_answer(101, "Success", "ATXid_5"))
                )),
            ),
            (
                "plain-text error",
                400,
                "Request is missing required form field 'to'".into(),
                retry("HTTP 400: not AT's JSON answer: Request is missing required form field 'to'"),
            ),
            (
                "XML (Accept not honoured): the number is masked",
                201,
                "<AfricasTalkingResponse><number>+254711000001</number></AfricasTalkingResponse>".into(),
                retry("HTTP 201: not AT's JSON answer: <AfricasTalkingResponse><number>+254******01</number></AfricasTalkingResponse>"),
            ),
            (
                "JSON without SMSMessageData",
                201,
                r#"{"error":"x"}"#.into(),
                retry(r#"HTTP 201: not AT's JSON answer: {"error":"x"}"#),
            ),
            (
                "recipient without statusCode",
                201,
                r#"{"SMSMessageData":{"Message":"","Recipients":[{"status":"Could Not Send"}]}}"#.into(),
                retry(r#"HTTP 201: recipient without a statusCode: {"SMSMessageData":{"Message":"","Recipients":[{"status":"Could Not Send"}]}}"#),
            ),
            (
                "empty body",
                200,
                String::new(),
                retry("HTTP 200: not AT's JSON answer: empty body"),
            ),
        ];
        let sms = gateway(None);
        for (label, status, body, expected) in cases {
            assert_eq!(sms.read_send_answer(status, &body), expected, "{label}");
        }
    }

    #[test]
    fn delivery_reports() {
        let report = |id: &str, delivery, detail: &str| {
            Ok(DeliveryReport {
                message: MessageRef::Gateway(id.into()),
                delivery,
                detail: Some(detail.into()),
            })
        };
        // (label, form body, expected)
        let cases: &[(&str, &[u8], Result<DeliveryReport, GatewayError>)] = &[
            (
                "delivered",
                b"id=ATXid_1&status=Success&phoneNumber=%2B254711000001&networkCode=63902&retryCount=0",
                report("ATXid_1", Delivery::Delivered, "Success"),
            ),
            (
                "failed, with the reason",
                b"id=ATXid_1&status=Failed&phoneNumber=%2B254711000001&networkCode=63902&failureReason=UserInBlackList",
                report("ATXid_1", Delivery::Failed, "Failed: UserInBlackList"),
            ),
            (
                "rejected by the telco",
                b"id=ATXid_1&status=Rejected&failureReason=DeliveryFailure",
                report("ATXid_1", Delivery::Failed, "Rejected: DeliveryFailure"),
            ),
            (
                "phone off",
                b"id=ATXid_1&status=AbsentSubscriber&failureReason=",
                report("ATXid_1", Delivery::Failed, "AbsentSubscriber"),
            ),
            (
                "discarded by the telco",
                b"id=ATXid_1&status=Expired",
                report("ATXid_1", Delivery::Failed, "Expired"),
            ),
            (
                "sent by AT",
                b"id=ATXid_1&status=Sent",
                report("ATXid_1", Delivery::Pending, "Sent"),
            ),
            (
                "submitted to the telco",
                b"id=ATXid_1&status=Submitted",
                report("ATXid_1", Delivery::Pending, "Submitted"),
            ),
            (
                "queued by the telco",
                b"id=ATXid_1&status=Buffered",
                report("ATXid_1", Delivery::Pending, "Buffered"),
            ),
            (
                "missing id",
                b"status=Success",
                Err(GatewayError::Missing("id")),
            ),
            (
                "missing status",
                b"id=ATXid_1",
                Err(GatewayError::Missing("status")),
            ),
            (
                "unknown status",
                b"id=ATXid_1&status=Delivered",
                Err(GatewayError::Malformed {
                    field: "status",
                    reason: "expected one of Sent, Submitted, Buffered, Success, Rejected, \
                             Failed, AbsentSubscriber, Expired"
                        .into(),
                }),
            ),
            (
                "status is case-sensitive, as AT writes it",
                b"id=ATXid_1&status=success",
                Err(GatewayError::Malformed {
                    field: "status",
                    reason: "expected one of Sent, Submitted, Buffered, Success, Rejected, \
                             Failed, AbsentSubscriber, Expired"
                        .into(),
                }),
            ),
            (
                "non-UTF-8 failure reason",
                b"id=ATXid_1&status=Failed&failureReason=%C3%28",
                Err(GatewayError::NotUtf8("failureReason".into())),
            ),
            (
                "an id too long to be AT's",
                b"id=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx&status=Success",
                Err(GatewayError::Malformed {
                    field: "id",
                    reason: "must be 1 to 128 printable characters".into(),
                }),
            ),
        ];
        let sms = gateway(None);
        for (label, body, expected) in cases {
            let got = sms.decode_report(&form_post(REPORT_PATH, body));
            assert_eq!(&got, expected, "{label}");
        }
    }

    #[test]
    fn incoming_messages() {
        let incoming = |from: &str, text: &str| {
            Ok(IncomingSms {
                from: from.into(),
                text: text.into(),
            })
        };
        // (label, form body, expected)
        let cases: &[(&str, &[u8], Result<IncomingSms, GatewayError>)] = &[
            (
                "every field AT sends",
                b"date=2026-11-30+10%3A00%3A00&from=%2B254711000001&id=5f1c&linkId=SampleLinkId123&text=STOP&to=20880&networkCode=63902&cost=KES+0.00",
                incoming("+254711000001", "STOP"),
            ),
            (
                "survey answer with spaces and an unencoded +",
                b"from=+254711000001&text=3+stars&to=20880",
                incoming("+254711000001", "3 stars"),
            ),
            (
                "international without +",
                b"from=254711000001&text=YES",
                incoming("+254711000001", "YES"),
            ),
            (
                "empty text",
                b"from=%2B254711000001&text=",
                incoming("+254711000001", ""),
            ),
            (
                "missing from",
                b"text=STOP&to=20880",
                Err(GatewayError::Missing("from")),
            ),
            (
                "missing text",
                b"from=%2B254711000001&to=20880",
                Err(GatewayError::Missing("text")),
            ),
            (
                "national number: no country to read it in",
                b"from=0711000001&text=STOP",
                Err(GatewayError::Malformed {
                    field: "from",
                    reason: "not an E.164 phone number".into(),
                }),
            ),
            (
                "non-UTF-8 text",
                b"from=%2B254711000001&text=%FF",
                Err(GatewayError::NotUtf8("text".into())),
            ),
        ];
        let sms = gateway(None);
        for (label, body, expected) in cases {
            let got = sms.decode_incoming(&form_post(INCOMING_PATH, body));
            assert_eq!(&got, expected, "{label}");
        }
    }

    #[test]
    fn paths_name_and_key() {
        let sms = gateway(None);
        assert_eq!(sms.name(), NAME);
        assert_eq!(sms.report_path(), "/sms/africastalking/dlr");
        assert_eq!(sms.incoming_path(), "/sms/africastalking/incoming");
        assert!(!format!("{sms:?}").contains("atsk_secret"));
    }

    #[test]
    fn excerpts_are_short_and_hide_numbers() {
        assert_eq!(
            excerpt("  call +233244123456 now "),
            "call +233******56 now"
        );
        assert_eq!(
            excerpt("Sent to 1/1 Total Cost: KES 0.8000"),
            "Sent to 1/1 Total Cost: KES 0.8000"
        );
        let long = "x".repeat(500);
        assert_eq!(excerpt(&long).chars().count(), EXCERPT_CHARS + 1);
    }

    mod fuzz {
        use proptest::prelude::*;

        use super::*;

        const FIELDS: &[&str] = &[
            "id",
            "status",
            "phoneNumber",
            "networkCode",
            "failureReason",
            "retryCount",
            "date",
            "from",
            "linkId",
            "text",
            "to",
        ];

        fn value() -> impl Strategy<Value = String> {
            prop_oneof![
                prop::sample::select(vec![
                    "Success",
                    "Failed",
                    "Buffered",
                    "ATXid_1",
                    "+254711000001",
                    "0711000001",
                    "%FF",
                    "%2B",
                    "",
                ])
                .prop_map(str::to_string),
                "[ -~]{0,40}",
                (100usize..300).prop_map(|n| "9".repeat(n)),
            ]
        }

        proptest! {
            #[test]
            fn decoding_never_panics_on_bytes(body in prop::collection::vec(any::<u8>(), 0..512)) {
                let sms = gateway(None);
                let _ = sms.decode_report(&form_post(REPORT_PATH, &body));
                let _ = sms.decode_incoming(&form_post(INCOMING_PATH, &body));
            }

            #[test]
            fn decoding_never_panics_on_at_shaped_forms(
                fields in prop::collection::vec((prop::sample::select(FIELDS), value()), 0..8),
            ) {
                let body = fields
                    .iter()
                    .map(|(name, value)| format!("{name}={value}"))
                    .collect::<Vec<_>>()
                    .join("&");
                let sms = gateway(None);
                if let Ok(report) = sms.decode_report(&form_post(REPORT_PATH, body.as_bytes())) {
                    prop_assert!(matches!(report.message, MessageRef::Gateway(id) if !id.is_empty()));
                }
                if let Ok(incoming) = sms.decode_incoming(&form_post(INCOMING_PATH, body.as_bytes())) {
                    prop_assert!(incoming.from.starts_with('+'));
                }
            }

            #[test]
            fn reading_an_answer_never_panics(status in 100u16..600, body in ".{0,300}") {
                let _ = gateway(None).read_send_answer(status, &body);
            }

            #[test]
            fn reading_an_at_shaped_answer_never_panics(
                status in 100u16..600,
                code in prop_oneof![Just("101".to_string()), Just("\"403\"".to_string()), Just("null".to_string()), any::<i64>().prop_map(|n| n.to_string()), "[ -~]{0,12}"],
                id in "[ -~]{0,20}",
            ) {
                let body = format!(
                    r#"{{"SMSMessageData":{{"Message":"m","Recipients":[{{"statusCode":{code},"messageId":{id:?}}}]}}}}"#
                );
                let _ = gateway(None).read_send_answer(status, &body);
            }
        }
    }
}
