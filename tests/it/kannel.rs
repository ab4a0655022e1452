//! dalal's Kannel wire format (`dalal::sms::kannel`) against a real Kannel 1.4.5, the one
//! `tests/services.sh start` runs (bearerbox and smsbox, fakesmsc as the SMS centre): what
//! dalal asks Kannel to send reaches the SMS centre as written, in the coding dalal chose; a
//! message a handset sends reaches dalal's incoming route in the form `decode_incoming` reads;
//! Kannel's delivery reports name the outbox id dalal gave. Needs the services' env
//! (`source target/test-services/env`): without it these tests fail, none skips.

use crate::support;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::Duration;

use axum::http::{Method, Uri};
use bytes::Bytes;
use dalal::gateway::WireRequest;
use dalal::sms::kannel::{ALL_REPORTS, INCOMING_PATH, Kannel, REPORT_PATH};
use dalal::sms::{Delivery, IncomingSms, MessageRef, Outgoing, SendOutcome, SmsGateway};
use tokio::sync::mpsc;

use support::kannel::{KannelEnv, ReceivedSms, mo_line, parse_log_line};

/// Kannel hands a message on in milliseconds; this is for a loaded machine.
const WAIT: Duration = Duration::from_secs(15);

fn gateway(env: &KannelEnv) -> Kannel {
    Kannel::new(
        &env.sendsms_url,
        &env.username,
        &env.password,
        None,
        ALL_REPORTS,
    )
}

/// The requests Kannel makes to dalal, caught by a loopback server standing in for it.
struct Callbacks {
    base: String,
    requests: mpsc::UnboundedReceiver<WireRequest>,
}

impl Callbacks {
    async fn listen(addr: SocketAddr) -> Callbacks {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .unwrap_or_else(|e| panic!("cannot listen on {addr}: {e}"));
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (caught, requests) = mpsc::unbounded_channel();
        let app = axum::Router::new().fallback(move |method: Method, uri: Uri| {
            let caught = caught.clone();
            async move {
                let path_and_query = uri.path_and_query().map_or("/", |p| p.as_str());
                let request = WireRequest::simulated(method, path_and_query, None, Bytes::new());
                caught.send(request).ok();
                "OK\n"
            }
        });
        tokio::spawn(async move { axum::serve(listener, app).await.ok() });
        Callbacks { base, requests }
    }

    async fn next(&mut self, what: &str) -> WireRequest {
        tokio::time::timeout(WAIT, self.requests.recv())
            .await
            .unwrap_or_else(|_| panic!("Kannel made no {what} request within {WAIT:?}"))
            .expect("the callback server runs")
    }
}

/// Sends `message` to smsbox the way dalal does, and reads its answer.
async fn send(gateway: &Kannel, message: &Outgoing) -> SendOutcome {
    let request = gateway.send_request(message);
    assert_eq!(request.method, "GET");
    let response = reqwest::get(&request.url)
        .await
        .unwrap_or_else(|e| panic!("smsbox does not answer: {e}"));
    let status = response.status().as_u16();
    let body = response.text().await.unwrap();
    gateway.read_send_answer(status, &body)
}

/// Sends `text` to `to` and returns what fakesmsc got.
async fn send_and_receive(env: &KannelEnv, id: i64, to: &str, text: &str) -> ReceivedSms {
    let reports = Callbacks::listen(([127, 0, 0, 1], 0).into()).await;
    let message = Outgoing {
        id,
        to: to.into(),
        text: text.into(),
        report_url: format!("{}{REPORT_PATH}?key=test", reports.base),
    };
    let mark = env.fakesmsc.mark();
    let outcome = send(&gateway(env), &message).await;
    assert_eq!(outcome, SendOutcome::Accepted { gateway_id: None });
    env.fakesmsc.wait_for(to, mark, WAIT).await
}

#[tokio::test]
async fn french_text_arrives_as_written_in_gsm7() {
    let env = KannelEnv::from_env();
    let text = "Réf: RC2611000123. Votre réclamation est enregistrée.";
    let received = send_and_receive(&env, 101, "+221770000101", text).await;
    assert_eq!(received.kind, "text", "GSM-7: {received:?}");
    assert_eq!(received.text, text);
}

#[tokio::test]
async fn wolof_text_arrives_as_written_in_ucs2() {
    let env = KannelEnv::from_env();
    let text = "Sa ŋaaw gi, ñu ngi koy saytu. Jërëjëf!";
    let received = send_and_receive(&env, 102, "+221770000102", text).await;
    assert_eq!(received.kind, "ucs-2", "UCS-2: {received:?}");
    assert_eq!(received.text, text);
}

#[tokio::test]
async fn bad_credentials_are_refused() {
    let env = KannelEnv::from_env();
    let wrong = Kannel::new(&env.sendsms_url, &env.username, "wrong", None, 0);
    let message = Outgoing {
        id: 103,
        to: "+221770000103".into(),
        text: "x".into(),
        report_url: "http://127.0.0.1:9/unused".into(),
    };
    let outcome = send(&wrong, &message).await;
    assert_eq!(
        outcome,
        SendOutcome::Refused("403 Authorization failed for sendsms".into())
    );
}

#[tokio::test]
async fn incoming_messages_reach_dalal_as_sent() {
    let env = KannelEnv::from_env();
    let _mo_port = env.hold_mo_port().await;
    let mut incoming = Callbacks::listen(([127, 0, 0, 1], env.mo_port).into()).await;
    let cases = [
        ("GSM-7, runs of spaces kept", "+221770000201", "STOP  merci"),
        (
            "UCS-2",
            "+221770000202",
            "Waaw, jërëjëf. Ŋaaw gi dafa wàcc.",
        ),
    ];
    for (label, from, text) in cases {
        env.fakesmsc.inject(from, "1234", text).await;
        let request = incoming.next("incoming-message").await;
        assert_eq!(request.path, INCOMING_PATH, "{label}");
        assert_eq!(
            request.query_param("key"),
            Some(env.callback_key.as_str()),
            "{label}"
        );
        assert_eq!(request.query_param("to"), Some("1234"), "{label}");
        let decoded = gateway(&env).decode_incoming(&request);
        let expected = IncomingSms {
            from: from.into(),
            text: text.into(),
        };
        assert_eq!(decoded, Ok(expected), "{label}: {}", request.path_and_query);
    }
}

#[tokio::test]
async fn delivery_reports_name_the_outbox_id() {
    let env = KannelEnv::from_env();
    let mut reports = Callbacks::listen(([127, 0, 0, 1], 0).into()).await;
    let message = Outgoing {
        id: 4242,
        to: "+221770000301".into(),
        text: "Votre facture de novembre est disponible.".into(),
        // A key with escapes: Kannel must give them back as they were (`k/yé`).
        report_url: format!("{}{REPORT_PATH}?key=k%2Fy%C3%A9", reports.base),
    };
    let mark = env.fakesmsc.mark();
    let gateway = gateway(&env);
    let outcome = send(&gateway, &message).await;
    assert_eq!(outcome, SendOutcome::Accepted { gateway_id: None });
    env.fakesmsc.wait_for(&message.to, mark, WAIT).await;
    // fakesmsc sends no reports: bearerbox reports 8 once the message is written to it, and
    // the fake SMSC driver 1 right after (in either order over HTTP).
    let mut statuses = BTreeSet::new();
    for _ in 0..2 {
        let request = reports.next("delivery-report").await;
        assert_eq!(request.path, REPORT_PATH);
        assert_eq!(request.query_param("key"), Some("k/yé"));
        let report = gateway
            .decode_report(&request)
            .unwrap_or_else(|e| panic!("{}: {e}", request.path_and_query));
        assert_eq!(report.message, MessageRef::Outbox(4242));
        let status = request.query_param("status").unwrap().to_string();
        let expected = match status.as_str() {
            "8" => Delivery::Pending,
            "1" => Delivery::Delivered,
            other => panic!("report type {other}: {}", request.path_and_query),
        };
        assert_eq!(report.delivery, expected, "{status}");
        statuses.insert(status);
    }
    assert_eq!(statuses, BTreeSet::from(["1".to_string(), "8".to_string()]));
    let more = tokio::time::timeout(Duration::from_secs(1), reports.requests.recv()).await;
    assert!(more.is_err(), "a third report: {more:?}");
}

/// (label, log line, expected sender, receiver, kind and text)
type LogCase = (
    &'static str,
    &'static str,
    Option<(&'static str, &'static str, &'static str, &'static str)>,
);

#[test]
fn fakesmsc_log_lines_are_read() {
    let cases: &[LogCase] = &[
        (
            "GSM-7 text, as it is",
            "2026-11-30 22:05:55 [9751] [0] DEBUG: Got message 1: <DALAL +221770000001 text Réf: RC2611000123. Votre réclamation est enregistrée.>",
            Some((
                "DALAL",
                "+221770000001",
                "text",
                "Réf: RC2611000123. Votre réclamation est enregistrée.",
            )),
        ),
        (
            "UCS-2, URL-encoded UTF-16BE",
            "2026-11-30 22:05:55 [9751] [0] DEBUG: Got message 2: <DALAL +221770000002 ucs-2 %00S%00a%00+%01K%00a%00a%00w>",
            Some(("DALAL", "+221770000002", "ucs-2", "Sa ŋaaw")),
        ),
        (
            "8-bit data",
            "x DEBUG: Got message 3: <DALAL +221770000003 data %C3%A9t%C3%A9+ok>",
            Some(("DALAL", "+221770000003", "data", "été ok")),
        ),
        (
            "not a message",
            "2026-11-30 22:05:42 [9751] [0] INFO: fakesmsc starting",
            None,
        ),
    ];
    for (label, line, expected) in cases {
        let got = parse_log_line(line);
        let got = got.as_ref().map(|m| {
            (
                m.from.as_str(),
                m.to.as_str(),
                m.kind.as_str(),
                m.text.as_str(),
            )
        });
        assert_eq!(got, *expected, "{label}");
    }
}

#[test]
fn injected_messages_take_the_coding_a_handset_would() {
    assert_eq!(
        mo_line("+221770000009", "1234", "STOP  merci"),
        "+221770000009 1234 text STOP  merci"
    );
    assert_eq!(
        mo_line("+221770000009", "1234", "ŋ a"),
        "+221770000009 1234 ucs2 %01K%00%20%00a"
    );
}
