//! Kannel (smsbox's HTTP interface): a message goes out as a `GET` of `/cgi-bin/sendsms`; its
//! delivery reports come back as `GET`s of the `dlr-url` it carried; incoming messages arrive
//! as `GET`s of an `sms-service`'s `get-url`.
//!
//! Read on 2026-11-30 in the Kannel 1.4.5 user guide,
//! <https://www.kannel.org/download/1.4.5/userguide-1.4.5/userguide.html>: "Using the HTTP
//! interface to send SMS messages" (the "SMS Push (send-sms) CGI Variables" and "SMS Push reply
//! codes" tables), "SMS-service configurations" (its "Parameters (Escape Codes)" table, and
//! `max-messages = 0` for a service that never answers by SMS) and "SendSMS-user
//! configurations". Checked the same day against Kannel 1.4.5 itself (Debian bookworm's
//! bearerbox and smsbox, with `fakesmsc` as the SMS centre: `tests/it/kannel.rs`).
//!
//! - Sending: `charset=UTF-8` with `coding=0` (GSM 03.38, when every character is in it) or
//!   `coding=2` (UCS-2); `to` in E.164 with its `+`. smsbox answers `202` `0: Accepted for
//!   delivery` or `3: Queued for later delivery` (no SMSC up yet; delivered later), `403`
//!   `Not routable. Do not try again.`, `4xx` for a bad request or `Authorization failed for
//!   sendsms`, `503` `Temporal failure, try again later.`. The request's URL carries the
//!   sendsms password (Kannel's `GET` has no other place for it): it is never logged whole.
//!   A text longer than one SMS needs `max-messages` above 1 (and `concatenation = true`) in
//!   the `sendsms-user` group.
//! - Delivery reports: the `dlr-url` is dalal's report URL plus `id=<outbox id>`,
//!   `status=%d` (the report's type: 1 delivered, 2 failed, 4 buffered, 8 delivered to the
//!   SMSC, 16 rejected by the SMSC) and `answer=%A` (the SMSC's words). Kannel reads every `%`
//!   of the URL as an escape code (`%C` is the charset, `%A` the answer...), so the report
//!   URL's own `%` are sent as `%%`, Kannel's literal `%`.
//! - Incoming messages: the `sms-service` Kannel needs (smsbox's `mo-recode = true` turns
//!   UCS-2 messages into UTF-8):
//!
//!   ```text
//!   group = sms-service
//!   keyword = default
//!   catch-all = true
//!   max-messages = 0
//!   get-url = "https://dalal.example/sms/kannel/incoming?key=...&from=%p&to=%P&text=%b&coding=%c&id=%I"
//!   ```
//!
//!   `%b` is the message's own bytes (`%a` would squeeze runs of spaces); `%c` says what they
//!   are: 0 text (UTF-8 inside Kannel), 1 binary, 2 UTF-16BE (a UCS-2 message not recoded).

use percent_encoding::percent_decode;

use super::{
    Delivery, DeliveryReport, IncomingSms, MessageRef, Outgoing, SendOutcome, SendRequest,
    SmsGateway,
};
use crate::gateway::{GatewayError, WireRequest, e164};
use crate::text::gsm7::{self, Encoding};

pub const NAME: &str = "kannel";

/// Where dalal takes Kannel's delivery reports.
pub const REPORT_PATH: &str = "/sms/kannel/dlr";

/// Where dalal takes the messages Kannel receives (the `sms-service`'s `get-url`).
pub const INCOMING_PATH: &str = "/sms/kannel/incoming";

/// Every report Kannel can give: delivered (1), failed (2), buffered (4), delivered to the
/// SMSC (8), rejected by the SMSC (16).
pub const ALL_REPORTS: u8 = 1 | 2 | 4 | 8 | 16;

/// The longest piece of a gateway's answer kept in an outcome or a report's detail (an
/// answer may be a whole HTML error page).
const MAX_QUOTED_CHARS: usize = 200;

/// Kannel's smsbox, as dalal's SMS gateway.
#[derive(Clone, PartialEq, Eq)]
pub struct Kannel {
    /// `http://kannel.example:13013/cgi-bin/sendsms`.
    sendsms_url: String,
    /// Of a `sendsms-user` group.
    username: String,
    password: String,
    /// The sender shown to the customer; `None` leaves it to Kannel (the `sendsms-user`'s
    /// `default-sender`, or smsbox's `global-sender`).
    from: Option<String>,
    /// Which delivery reports to ask for ([`ALL_REPORTS`]); 0 asks for none.
    dlr_mask: u8,
}

impl Kannel {
    pub fn new(
        sendsms_url: impl Into<String>,
        username: impl Into<String>,
        password: impl Into<String>,
        from: Option<String>,
        dlr_mask: u8,
    ) -> Kannel {
        Kannel {
            sendsms_url: sendsms_url.into(),
            username: username.into(),
            password: password.into(),
            from,
            dlr_mask,
        }
    }
}

impl super::FromSmsConfig for Kannel {
    fn from_config(config: &crate::config::Config) -> Result<Kannel, String> {
        let sms = &config.sms;
        Ok(Kannel::new(
            super::required(&sms.kannel_url, "kannel_url", NAME)?,
            sms.kannel_username.clone().unwrap_or_default(),
            sms.kannel_password.clone().unwrap_or_default(),
            sms.from.clone(),
            ALL_REPORTS,
        ))
    }

    fn for_callbacks() -> Kannel {
        Kannel::new("", "", "", None, 0)
    }
}

/// Without the password: a `Kannel` may end up in a log.
impl std::fmt::Debug for Kannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kannel")
            .field("sendsms_url", &self.sendsms_url)
            .field("username", &self.username)
            .field("from", &self.from)
            .field("dlr_mask", &self.dlr_mask)
            .finish_non_exhaustive()
    }
}

impl SmsGateway for Kannel {
    fn name(&self) -> &'static str {
        NAME
    }

    fn send_request(&self, message: &Outgoing) -> SendRequest {
        let coding = match gsm7::encoding(&message.text) {
            Encoding::Gsm7 => "0",
            Encoding::Ucs2 => "2",
        };
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query
            .append_pair("username", &self.username)
            .append_pair("password", &self.password);
        if let Some(from) = &self.from {
            query.append_pair("from", from);
        }
        query
            .append_pair("to", &message.to)
            .append_pair("text", &message.text)
            .append_pair("charset", "UTF-8")
            .append_pair("coding", coding);
        if self.dlr_mask != 0 {
            query
                .append_pair("dlr-mask", &self.dlr_mask.to_string())
                .append_pair("dlr-url", &dlr_url(&message.report_url, message.id));
        }
        SendRequest {
            method: "GET",
            url: with_query(&self.sendsms_url, &query.finish()),
            headers: Vec::new(),
            content_type: None,
            body: String::new(),
        }
    }

    fn read_send_answer(&self, status: u16, body: &str) -> SendOutcome {
        let answer = body.trim();
        let quoted = || format!("{status} {}", quote(answer));
        match status {
            // Taken now (`0:`) or stored until an SMSC is up (`3:`): Kannel delivers it either way.
            200..=299 if answer.starts_with("0:") || answer.starts_with("3:") => {
                SendOutcome::Accepted { gateway_id: None }
            }
            // Not Kannel's answer (a proxy's page?): the message may well not be taken.
            200..=299 => SendOutcome::Retry(format!("unexpected answer {}", quoted())),
            408 | 429 => SendOutcome::Retry(quoted()),
            // A bad number, bad credentials, `Not routable`: the same request fails again.
            400..=499 => SendOutcome::Refused(quoted()),
            _ => SendOutcome::Retry(quoted()),
        }
    }

    fn report_path(&self) -> &'static str {
        REPORT_PATH
    }

    fn incoming_path(&self) -> &'static str {
        INCOMING_PATH
    }

    fn decode_report(&self, request: &WireRequest) -> Result<DeliveryReport, GatewayError> {
        let query = RawQuery::of(request);
        let id = query.require("id")?;
        let id: i64 = id.parse().map_err(|_| GatewayError::Malformed {
            field: "id",
            reason: "not an outbox id".into(),
        })?;
        let status = query.require("status")?;
        let (delivery, meaning) = match status {
            "1" => (Delivery::Delivered, "delivered"),
            "2" => (Delivery::Failed, "not delivered"),
            "4" => (Delivery::Pending, "buffered"),
            "8" => (Delivery::Pending, "delivered to the SMSC"),
            "16" => (Delivery::Failed, "rejected by the SMSC"),
            _ => {
                return Err(GatewayError::Malformed {
                    field: "status",
                    reason: "not a Kannel report type (1, 2, 4, 8 or 16)".into(),
                });
            }
        };
        // The SMSC's words only explain the report: odd bytes in them do not refuse it.
        let answer = query
            .bytes("answer")
            .map(|raw| String::from_utf8_lossy(raw).trim().to_string())
            .filter(|answer| !answer.is_empty());
        let detail = match answer {
            Some(answer) => format!("{status} {meaning}: {}", quote(&answer)),
            None => format!("{status} {meaning}"),
        };
        Ok(DeliveryReport {
            message: MessageRef::Outbox(id),
            delivery,
            detail: Some(detail),
        })
    }

    fn decode_incoming(&self, request: &WireRequest) -> Result<IncomingSms, GatewayError> {
        let query = RawQuery::of(request);
        let from = e164("from", query.require_non_empty("from")?, None)?;
        let raw = query.bytes("text").ok_or(GatewayError::Missing("text"))?;
        let text = match query.text("coding")? {
            None | Some("" | "0") => {
                String::from_utf8(raw.to_vec()).map_err(|_| GatewayError::NotUtf8("text".into()))?
            }
            Some("2") => utf16be("text", raw)?,
            Some("1") => {
                return Err(GatewayError::Malformed {
                    field: "text",
                    reason: "a binary (8-bit) message, not text".into(),
                });
            }
            Some(_) => {
                return Err(GatewayError::Malformed {
                    field: "coding",
                    reason: "expected 0, 1 or 2".into(),
                });
            }
        };
        Ok(IncomingSms { from, text })
    }
}

/// `url` with `query` added to the query it may already have.
fn with_query(url: &str, query: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{query}")
}

/// The `dlr-url` of message `id`: dalal's report URL, its own `%` doubled so that Kannel
/// reads them as `%`, with the outbox id and Kannel's escape codes for the report's type and
/// the SMSC's answer.
fn dlr_url(report_url: &str, id: i64) -> String {
    with_query(
        &report_url.replace('%', "%%"),
        &format!("id={id}&status=%d&answer=%A"),
    )
}

/// At most [`MAX_QUOTED_CHARS`] of a gateway's words.
fn quote(words: &str) -> String {
    match words.char_indices().nth(MAX_QUOTED_CHARS) {
        Some((cut, _)) => format!("{}…", &words[..cut]),
        None => words.to_string(),
    }
}

/// UTF-16BE bytes (a UCS-2 message Kannel did not recode) as text.
fn utf16be(field: &'static str, raw: &[u8]) -> Result<String, GatewayError> {
    let pairs = raw.chunks_exact(2);
    if !pairs.remainder().is_empty() {
        return Err(GatewayError::Malformed {
            field,
            reason: "UTF-16 of an odd number of bytes".into(),
        });
    }
    let units = pairs.map(|pair| u16::from_be_bytes([pair[0], pair[1]]));
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .map_err(|_| GatewayError::Malformed {
            field,
            reason: "not valid UTF-16".into(),
        })
}

/// A callback's query, each value decoded to bytes: Kannel puts a message's own bytes in it
/// (`%b`), which are only text once its coding is known, so fields are checked one by one
/// rather than all read as UTF-8 (or lossily) up front. A repeated field keeps its first value.
struct RawQuery {
    fields: Vec<(String, Vec<u8>)>,
}

impl RawQuery {
    fn of(request: &WireRequest) -> RawQuery {
        let query = request
            .path_and_query
            .split_once('?')
            .map_or("", |(_, query)| query);
        let fields = query
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                let name = String::from_utf8_lossy(&form_decode(name)).into_owned();
                (name, form_decode(value))
            })
            .collect();
        RawQuery { fields }
    }

    fn bytes(&self, name: &str) -> Option<&[u8]> {
        self.fields
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, value)| value.as_slice())
    }

    fn text(&self, name: &'static str) -> Result<Option<&str>, GatewayError> {
        self.bytes(name)
            .map(|raw| std::str::from_utf8(raw).map_err(|_| GatewayError::NotUtf8(name.into())))
            .transpose()
    }

    fn require(&self, name: &'static str) -> Result<&str, GatewayError> {
        self.text(name)?.ok_or(GatewayError::Missing(name))
    }

    fn require_non_empty(&self, name: &'static str) -> Result<&str, GatewayError> {
        match self.require(name)? {
            "" => Err(GatewayError::Malformed {
                field: name,
                reason: "empty".into(),
            }),
            value => Ok(value),
        }
    }
}

/// A form-encoded value's bytes: `+` is a space, `%XX` a byte.
fn form_decode(raw: &str) -> Vec<u8> {
    let spaced = raw.replace('+', " ");
    percent_decode(spaced.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::case_get;
    use proptest::prelude::*;

    fn kannel(from: Option<&str>, dlr_mask: u8) -> Kannel {
        Kannel::new(
            "http://kannel.example:13013/cgi-bin/sendsms",
            "dalal",
            "s3cret&=",
            from.map(str::to_string),
            dlr_mask,
        )
    }

    fn outgoing(text: &str, report_url: &str) -> Outgoing {
        Outgoing {
            id: 42,
            to: "+221770000001".into(),
            text: text.into(),
            report_url: report_url.into(),
        }
    }

    /// The query of a send request, decoded, in order.
    fn sent_fields(request: &SendRequest) -> Vec<(String, String)> {
        let (_, query) = request.url.split_once('?').expect("a query");
        url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect()
    }

    fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    const REPORT_URL: &str = "https://sms.example.org/sms/kannel/dlr?key=abc";

    /// (label, gateway, message, expected fields: `None` = absent)
    type SendCase = (
        &'static str,
        Kannel,
        Outgoing,
        &'static [(&'static str, Option<&'static str>)],
    );

    #[test]
    fn send_requests() {
        let cases: &[SendCase] = &[
            (
                "French fits GSM-7: coding 0, the text as UTF-8",
                kannel(None, ALL_REPORTS),
                outgoing(
                    "Réf: RC2611000123. Votre réclamation est enregistrée.",
                    REPORT_URL,
                ),
                &[
                    ("username", Some("dalal")),
                    ("password", Some("s3cret&=")),
                    ("from", None),
                    ("to", Some("+221770000001")),
                    (
                        "text",
                        Some("Réf: RC2611000123. Votre réclamation est enregistrée."),
                    ),
                    ("charset", Some("UTF-8")),
                    ("coding", Some("0")),
                    ("dlr-mask", Some("31")),
                    (
                        "dlr-url",
                        Some(
                            "https://sms.example.org/sms/kannel/dlr?key=abc&id=42&status=%d&answer=%A",
                        ),
                    ),
                ],
            ),
            (
                "Wolof's ŋ is outside GSM-7: coding 2",
                kannel(None, ALL_REPORTS),
                outgoing("Jërëjëf, ŋaaw na.", REPORT_URL),
                &[
                    ("text", Some("Jërëjëf, ŋaaw na.")),
                    ("charset", Some("UTF-8")),
                    ("coding", Some("2")),
                ],
            ),
            (
                "a GSM-7 extension character stays GSM-7",
                kannel(None, ALL_REPORTS),
                outgoing("Solde: 1 200 € [payé]", REPORT_URL),
                &[("coding", Some("0"))],
            ),
            (
                "a sender when one is set",
                kannel(Some("SENELEC"), ALL_REPORTS),
                outgoing("x", REPORT_URL),
                &[("from", Some("SENELEC"))],
            ),
            (
                "mask 0: no report asked for, no dlr-url",
                kannel(None, 0),
                outgoing("x", REPORT_URL),
                &[("dlr-mask", None), ("dlr-url", None)],
            ),
            (
                "a report URL without a query gets one",
                kannel(None, 9),
                outgoing("x", "http://127.0.0.1:8080/sms/kannel/dlr"),
                &[
                    ("dlr-mask", Some("9")),
                    (
                        "dlr-url",
                        Some("http://127.0.0.1:8080/sms/kannel/dlr?id=42&status=%d&answer=%A"),
                    ),
                ],
            ),
            (
                "the report URL's own % are doubled (Kannel would read %C3 as its %C)",
                kannel(None, ALL_REPORTS),
                outgoing(
                    "x",
                    "https://sms.example.org/sms/kannel/dlr?key=a%2Fb%C3%A9",
                ),
                &[(
                    "dlr-url",
                    Some(
                        "https://sms.example.org/sms/kannel/dlr?key=a%%2Fb%%C3%%A9&id=42&status=%d&answer=%A",
                    ),
                )],
            ),
        ];
        for (label, gateway, message, expected) in cases {
            let request = gateway.send_request(message);
            assert_eq!(request.method, "GET", "{label}");
            assert!(request.body.is_empty(), "{label}");
            assert!(
                request
                    .url
                    .starts_with("http://kannel.example:13013/cgi-bin/sendsms?"),
                "{label}: {}",
                request.url
            );
            let fields = sent_fields(&request);
            for (name, value) in *expected {
                assert_eq!(field(&fields, name), *value, "{label}: {name}");
            }
        }
    }

    #[test]
    fn a_sendsms_url_with_a_query_keeps_it() {
        let gateway = Kannel::new("http://k/cgi-bin/sendsms?smsc=orange", "u", "p", None, 0);
        let request = gateway.send_request(&outgoing("x", REPORT_URL));
        assert!(
            request
                .url
                .starts_with("http://k/cgi-bin/sendsms?smsc=orange&username=u&"),
            "{}",
            request.url
        );
    }

    #[test]
    fn the_password_stays_out_of_debug_output() {
        let shown = format!("{:?}", kannel(None, ALL_REPORTS));
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("dalal"), "{shown}");
    }

    #[test]
    fn send_answers() {
        let accepted = SendOutcome::Accepted { gateway_id: None };
        let cases: &[(&str, u16, &str, SendOutcome)] = &[
            (
                "accepted",
                202,
                "0: Accepted for delivery",
                accepted.clone(),
            ),
            (
                "queued until an SMSC is up: Kannel delivers it later",
                202,
                "3: Queued for later delivery",
                accepted.clone(),
            ),
            (
                "a trailing newline",
                202,
                "0: Accepted for delivery\n",
                accepted.clone(),
            ),
            (
                "a 2xx that is not Kannel's answer",
                200,
                "<html>Welcome to nginx</html>",
                SendOutcome::Retry("unexpected answer 200 <html>Welcome to nginx</html>".into()),
            ),
            (
                "bad credentials",
                403,
                "Authorization failed for sendsms",
                SendOutcome::Refused("403 Authorization failed for sendsms".into()),
            ),
            (
                "no SMSC routes it",
                403,
                "Not routable. Do not try again.",
                SendOutcome::Refused("403 Not routable. Do not try again.".into()),
            ),
            (
                "a bad request",
                400,
                "Sender missing and no global set, rejected",
                SendOutcome::Refused("400 Sender missing and no global set, rejected".into()),
            ),
            (
                "Kannel's temporary failure",
                503,
                "Temporal failure, try again later.",
                SendOutcome::Retry("503 Temporal failure, try again later.".into()),
            ),
            (
                "a server error",
                500,
                "Sending failed.",
                SendOutcome::Retry("500 Sending failed.".into()),
            ),
            (
                "throttled by a proxy",
                429,
                "",
                SendOutcome::Retry("429 ".into()),
            ),
        ];
        let gateway = kannel(None, ALL_REPORTS);
        for (label, status, body, expected) in cases {
            assert_eq!(
                &gateway.read_send_answer(*status, body),
                expected,
                "{label}"
            );
        }
    }

    #[test]
    fn a_long_answer_is_cut() {
        let page = "x".repeat(5000);
        let SendOutcome::Retry(reason) = kannel(None, 0).read_send_answer(502, &page) else {
            panic!("a 502 is retried");
        };
        assert!(reason.chars().count() < 220, "{}", reason.len());
    }

    /// (label, query, expected report or error)
    type ReportCase = (
        &'static str,
        &'static str,
        Result<(i64, Delivery, &'static str), GatewayError>,
    );

    #[test]
    fn delivery_reports() {
        let malformed = |field, reason: &str| {
            Err(GatewayError::Malformed {
                field,
                reason: reason.into(),
            })
        };
        let not_a_type = "not a Kannel report type (1, 2, 4, 8 or 16)";
        let cases: &[ReportCase] = &[
            (
                "delivered to the handset",
                "key=abc&id=42&status=1&answer=",
                Ok((42, Delivery::Delivered, "1 delivered")),
            ),
            (
                "not delivered",
                "id=42&status=2&answer=NACK%2F0x0000000b%2FInvalid+Destination+Address",
                Ok((
                    42,
                    Delivery::Failed,
                    "2 not delivered: NACK/0x0000000b/Invalid Destination Address",
                )),
            ),
            (
                "buffered by the SMSC",
                "id=42&status=4",
                Ok((42, Delivery::Pending, "4 buffered")),
            ),
            (
                "taken by the SMSC, as Kannel says it (ACK/)",
                "id=7&status=8&answer=ACK%2F",
                Ok((7, Delivery::Pending, "8 delivered to the SMSC: ACK/")),
            ),
            (
                "rejected by the SMSC",
                "id=7&status=16&answer=NACK",
                Ok((7, Delivery::Failed, "16 rejected by the SMSC: NACK")),
            ),
            (
                "odd bytes in the SMSC's answer do not refuse the report",
                "id=7&status=1&answer=%FFok",
                Ok((7, Delivery::Delivered, "1 delivered: \u{fffd}ok")),
            ),
            (
                "the first of a repeated field",
                "id=7&status=1&id=8",
                Ok((7, Delivery::Delivered, "1 delivered")),
            ),
            ("no id", "status=1", Err(GatewayError::Missing("id"))),
            ("no status", "id=42", Err(GatewayError::Missing("status"))),
            (
                "an id that is not a number",
                "id=abc&status=1",
                malformed("id", "not an outbox id"),
            ),
            (
                "an empty id",
                "id=&status=1",
                malformed("id", "not an outbox id"),
            ),
            (
                "an id beyond i64",
                "id=99999999999999999999&status=1",
                malformed("id", "not an outbox id"),
            ),
            (
                "an unknown report type",
                "id=42&status=3",
                malformed("status", not_a_type),
            ),
            (
                "an escape code Kannel did not fill",
                "id=42&status=%25d",
                malformed("status", not_a_type),
            ),
            (
                "a status that is not UTF-8",
                "id=42&status=%FF",
                Err(GatewayError::NotUtf8("status".into())),
            ),
        ];
        let gateway = kannel(None, ALL_REPORTS);
        for (label, query, expected) in cases {
            let request = case_get(&format!("{REPORT_PATH}?{query}"));
            let got = gateway.decode_report(&request).map(|report| {
                let MessageRef::Outbox(id) = report.message else {
                    panic!("{label}: {report:?}");
                };
                (id, report.delivery, report.detail.unwrap_or_default())
            });
            let got = got
                .as_ref()
                .map(|(id, delivery, detail)| (*id, *delivery, detail.as_str()));
            assert_eq!(got.map_err(Clone::clone), expected.clone(), "{label}");
        }
    }

    /// (label, query, expected sender and text or error)
    type IncomingCase = (
        &'static str,
        &'static str,
        Result<(&'static str, &'static str), GatewayError>,
    );

    #[test]
    fn incoming_messages() {
        let malformed = |field, reason: &str| {
            Err(GatewayError::Malformed {
                field,
                reason: reason.into(),
            })
        };
        let cases: &[IncomingCase] = &[
            (
                "a GSM-7 answer, as smsbox sends it",
                "key=k&from=%2B221770000009&to=1234&text=Oui+merci&coding=0&id=95092535-eab6-47ef-a1c4-f3915761858f",
                Ok(("+221770000009", "Oui merci")),
            ),
            (
                "runs of spaces kept (%b, not %a)",
                "from=%2B221770000009&text=STOP++merci&coding=0",
                Ok(("+221770000009", "STOP  merci")),
            ),
            (
                "a UCS-2 message smsbox recoded to UTF-8",
                "from=%2B221770000009&text=J%C3%ABr%C3%ABj%C3%ABf%2C+%C5%8Baaw+na&coding=0",
                Ok(("+221770000009", "Jërëjëf, ŋaaw na")),
            ),
            (
                "a UCS-2 message left as UTF-16BE",
                "from=%2B221770000009&text=%00J%00%EB%00r%00+%01K&coding=2",
                Ok(("+221770000009", "Jër ŋ")),
            ),
            (
                "no coding: UTF-8",
                "from=%2B221770000009&text=%C3%A9",
                Ok(("+221770000009", "é")),
            ),
            (
                "an empty message",
                "from=%2B221770000009&text=&coding=0",
                Ok(("+221770000009", "")),
            ),
            (
                "a sender in international form without +",
                "from=00221770000009&text=x",
                Ok(("+221770000009", "x")),
            ),
            (
                "an unencoded + decodes to a space, and is still read",
                "from=+221770000009&text=x",
                Ok(("+221770000009", "x")),
            ),
            ("no sender", "text=x", Err(GatewayError::Missing("from"))),
            (
                "an empty sender",
                "from=&text=x",
                malformed("from", "empty"),
            ),
            (
                "a national number: no country to read it in",
                "from=0770000009&text=x",
                malformed("from", "not an E.164 phone number"),
            ),
            (
                "an alphanumeric sender",
                "from=ORANGE&text=x",
                malformed("from", "not an E.164 phone number"),
            ),
            (
                "no text",
                "from=%2B221770000009",
                Err(GatewayError::Missing("text")),
            ),
            (
                "text that is not UTF-8",
                "from=%2B221770000009&text=%C3%28&coding=0",
                Err(GatewayError::NotUtf8("text".into())),
            ),
            (
                "UTF-16 of an odd length",
                "from=%2B221770000009&text=%00J%00&coding=2",
                malformed("text", "UTF-16 of an odd number of bytes"),
            ),
            (
                "a lone UTF-16 surrogate",
                "from=%2B221770000009&text=%D8%00&coding=2",
                malformed("text", "not valid UTF-16"),
            ),
            (
                "a binary message",
                "from=%2B221770000009&text=%FF%00A&coding=1",
                malformed("text", "a binary (8-bit) message, not text"),
            ),
            (
                "an unknown coding",
                "from=%2B221770000009&text=x&coding=7",
                malformed("coding", "expected 0, 1 or 2"),
            ),
            (
                "a sender that is not UTF-8",
                "from=%FF&text=x",
                Err(GatewayError::NotUtf8("from".into())),
            ),
        ];
        let gateway = kannel(None, ALL_REPORTS);
        for (label, query, expected) in cases {
            let request = case_get(&format!("{INCOMING_PATH}?{query}"));
            let got = gateway.decode_incoming(&request);
            let got = got
                .as_ref()
                .map(|sms| (sms.from.as_str(), sms.text.as_str()));
            assert_eq!(got.map_err(Clone::clone), expected.clone(), "{label}");
        }
    }

    #[test]
    fn the_gateway_names_its_routes() {
        let gateway = kannel(None, ALL_REPORTS);
        assert_eq!(gateway.name(), "kannel");
        assert_eq!(gateway.report_path(), "/sms/kannel/dlr");
        assert_eq!(gateway.incoming_path(), "/sms/kannel/incoming");
        assert_eq!(gateway.acknowledge(), "OK\n");
    }

    const FIELDS: &[&str] = &[
        "id", "status", "answer", "from", "to", "text", "coding", "key",
    ];

    /// A query field: a known name or any, then a value that is any bytes percent-encoded, or
    /// any characters as they are (stray `%`, `&`, `=`, `+` included).
    fn query_field() -> impl Strategy<Value = String> {
        let name = prop_oneof![
            prop::sample::select(FIELDS).prop_map(str::to_string),
            "\\PC{0,6}",
        ];
        let value = prop_oneof![
            prop::collection::vec(any::<u8>(), 0..40).prop_map(|bytes| {
                percent_encoding::percent_encode(&bytes, percent_encoding::NON_ALPHANUMERIC)
                    .to_string()
            }),
            "\\PC{0,40}",
            "[0-9+-]{0,24}",
        ];
        (name, value).prop_map(|(name, value)| format!("{name}={value}"))
    }

    proptest! {
        #[test]
        fn decoding_never_panics(
            fields in prop::collection::vec(query_field(), 0..10),
            raw_tail in "\\PC{0,20}",
        ) {
            let query = format!("{}{raw_tail}", fields.join("&"));
            let gateway = kannel(None, ALL_REPORTS);
            let _ = gateway.decode_report(&case_get(&format!("{REPORT_PATH}?{query}")));
            let _ = gateway.decode_incoming(&case_get(&format!("{INCOMING_PATH}?{query}")));
        }
    }
}
