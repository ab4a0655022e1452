//! MTN MADAPI end to end: dalal on port 0 acknowledges each message of MTN's USSD gateway at
//! once and pushes its screen to an outbound endpoint played here by a loopback server, which
//! records every request it receives and can fail or be slow on demand.

use crate::support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::{Value, json};
use tokio::sync::Mutex;

use support::TestServer;

const OUTBOUND_PATH: &str = "/v1/messages/ussd/outbound";
const API_KEY: &str = "mtn-test-key";
/// Linked to no account: the bill check asks for the account and meter digits.
const UNKNOWN: &str = "221770000099";
/// SNW100000, French: straight to the main menu.
const FR_WATER: &str = "221786452821";

/// One request the loopback received, and what it answered.
#[derive(Debug, Clone)]
struct Received {
    headers: HeaderMap,
    body: Value,
    answered: u16,
}

impl Received {
    fn field(&self, name: &str) -> &str {
        self.body[name].as_str().unwrap_or_default()
    }
}

/// MTN's outbound endpoint, played on 127.0.0.1.
#[derive(Default)]
struct Loopback {
    received: Mutex<Vec<Received>>,
    /// Answer `503` to this many requests first.
    failures_left: AtomicUsize,
    /// Wait this long before answering.
    delay: Mutex<Duration>,
}

async fn outbound(
    State(mtn): State<Arc<Loopback>>,
    headers: HeaderMap,
    body: String,
) -> (StatusCode, String) {
    let delay = *mtn.delay.lock().await;
    let failing = mtn
        .failures_left
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    let status = if failing {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::CREATED
    };
    let body: Value = serde_json::from_str(&body).unwrap_or(Value::String(body));
    let answer = if failing {
        json!({"statusCode": "5000", "statusMessage": "The service requested is currently unavailable", "transactionId": "t"})
    } else {
        // The spec's OutboundResponse.
        json!({
            "statusCode": "0000",
            "statusMessage": "Created",
            "transactionId": "t",
            "data": {"outboundResponse": "0000", "sessionId": body["sessionId"], "msisdn": body["msisdn"]},
            "_link": {"self": {"href": "https://api.mtn.com/v1/messages/ussd/outbound"}}
        })
    };
    mtn.received.lock().await.push(Received {
        headers,
        body,
        answered: status.as_u16(),
    });
    tokio::time::sleep(delay).await;
    (status, answer.to_string())
}

impl Loopback {
    async fn start() -> (Arc<Loopback>, String) {
        let mtn = Arc::new(Loopback::default());
        let app = Router::new()
            .route(OUTBOUND_PATH, post(outbound))
            .with_state(mtn.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}{OUTBOUND_PATH}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (mtn, url)
    }

    async fn received(&self) -> Vec<Received> {
        self.received.lock().await.clone()
    }

    /// The first `n` requests, once they have arrived (fails after 5 s).
    async fn wait_for(&self, n: usize) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let received = self.received().await;
            if received.len() >= n {
                return received;
            }
            assert!(
                Instant::now() < deadline,
                "{} pushes after 5 s, expected {n}: {received:?}",
                received.len()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Waits long enough for a stray push to arrive, then returns everything received.
    async fn settled(&self) -> Vec<Received> {
        tokio::time::sleep(Duration::from_millis(600)).await;
        self.received().await
    }
}

/// dalal with `[gateways.mtn]` pointing at the loopback.
async fn start(
    outbound_url: &str,
    adjust: impl FnOnce(&mut dalal::config::GatewaySettings),
) -> TestServer {
    let mut settings = dalal::config::GatewaySettings {
        outbound_url: Some(outbound_url.to_string()),
        api_key: Some(API_KEY.to_string()),
        ..Default::default()
    };
    adjust(&mut settings);
    support::start_with(|c| {
        c.gateways.insert("mtn".into(), settings);
    })
    .await
}

/// POSTs a message as MTN's USSD gateway does; returns status and body.
async fn send(server: &TestServer, path_and_query: &str, body: String) -> (u16, String) {
    let response = server
        .client
        .post(format!("{}{path_and_query}", server.base))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("request sent");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

fn message(session: &str, message_type: &str, msisdn: &str, ussd_string: &str) -> String {
    json!({
        "sessionId": session,
        "messageType": message_type,
        "msisdn": msisdn,
        "serviceCode": "*123#",
        "ussdString": ussd_string,
        "cellId": "62002-1234",
        "language": "en",
    })
    .to_string()
}

/// Asserts an answer is the spec's acknowledgement, carrying no screen.
fn assert_acknowledged(status: u16, body: &str, msisdn: &str) {
    assert_eq!(status, 200, "{body}");
    let ack: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
    assert_eq!(ack["statusCode"], "0000", "{body}");
    assert!(ack["data"]["inboundResponse"].is_null(), "{body}");
    assert_eq!(ack["data"]["msisdn"], msisdn, "{body}");
    assert!(ack["_link"]["self"]["href"].is_string(), "{body}");
}

#[tokio::test]
async fn a_bill_check_is_acknowledged_hop_by_hop_and_each_screen_pushed_once() {
    let (mtn, url) = Loopback::start().await;
    let server = start(&url, |_| {}).await;
    let session = "mtn-full-1";
    let hops = [
        ("0", "*123#", "4. English", "1"),
        ("1", "4", "Welcome. Choose:", "1"),
        ("1", "1", "account number", "1"),
        ("1", "100000", "", "1"),
        ("1", "1595", "", "2"),
    ];
    for (n, (message_type, typed, shown, pushed_type)) in hops.into_iter().enumerate() {
        let (status, body) = send(
            &server,
            "/ussd/mtn",
            message(session, message_type, UNKNOWN, typed),
        )
        .await;
        assert_acknowledged(status, &body, UNKNOWN);
        let push = &mtn.wait_for(n + 1).await[n];
        assert_eq!(push.answered, 201);
        assert_eq!(push.headers["x-api-key"], API_KEY, "hop {n}");
        assert_eq!(push.headers["content-type"], "application/json", "hop {n}");
        assert_eq!(push.field("sessionId"), session, "hop {n}");
        assert_eq!(push.field("msisdn"), UNKNOWN, "as MTN wrote it");
        assert_eq!(push.field("serviceCode"), "*123#");
        assert_eq!(push.field("messageType"), pushed_type, "hop {n}: {push:?}");
        assert!(
            push.field("ussdString").contains(shown),
            "hop {n}: {push:?}"
        );
    }
    let pushes = mtn.settled().await;
    assert_eq!(pushes.len(), hops.len(), "one push per message: {pushes:?}");
    let bill = pushes[4].field("ussdString");
    assert!(
        bill.contains("66,860 FCFA") || bill.contains("KSh"),
        "{bill}"
    );
    let row = server.crm.written_interaction("mtn", session).await;
    assert_eq!(row.phone, format!("+{UNKNOWN}"));
    assert!(row.ended);
}

#[tokio::test]
async fn the_acknowledgement_does_not_wait_for_the_push() {
    let (mtn, url) = Loopback::start().await;
    *mtn.delay.lock().await = Duration::from_secs(3);
    let server = start(&url, |_| {}).await;
    let started = Instant::now();
    let (status, body) = send(&server, "/ussd/mtn", message("mtn-slow", "0", FR_WATER, "")).await;
    assert_acknowledged(status, &body, FR_WATER);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "acknowledged after {:?}",
        started.elapsed()
    );
    let push = &mtn.wait_for(1).await[0];
    assert!(
        push.field("ussdString").contains("1. Ma facture"),
        "{push:?}"
    );
}

#[tokio::test]
async fn a_resent_message_is_pushed_once() {
    let (mtn, url) = Loopback::start().await;
    let server = start(&url, |_| {}).await;
    // Sent twice at once (a duplicate session start)...
    let begin = message("mtn-dup-1", "0", FR_WATER, "*123#");
    let (a, b) = tokio::join!(
        send(&server, "/ussd/mtn", begin.clone()),
        send(&server, "/ussd/mtn", begin.clone())
    );
    assert_acknowledged(a.0, &a.1, FR_WATER);
    assert_acknowledged(b.0, &b.1, FR_WATER);
    // ...and again once its screen has gone.
    mtn.wait_for(1).await;
    let (status, body) = send(&server, "/ussd/mtn", begin).await;
    assert_acknowledged(status, &body, FR_WATER);
    let pushes = mtn.settled().await;
    assert_eq!(pushes.len(), 1, "{pushes:?}");
    assert!(pushes[0].field("ussdString").contains("1. Ma facture"));
}

#[tokio::test]
async fn a_screen_refused_with_503_is_sent_again_until_taken() {
    let (mtn, url) = Loopback::start().await;
    mtn.failures_left.store(2, Ordering::SeqCst);
    let server = start(&url, |_| {}).await;
    let (status, body) = send(&server, "/ussd/mtn", message("mtn-503", "0", FR_WATER, "")).await;
    assert_acknowledged(status, &body, FR_WATER);
    mtn.wait_for(3).await;
    let attempts = mtn.settled().await;
    let answers: Vec<u16> = attempts.iter().map(|r| r.answered).collect();
    assert_eq!(
        answers,
        [503, 503, 201],
        "retried until taken, then no more"
    );
    assert!(
        attempts.iter().all(|r| r.body == attempts[0].body),
        "the same screen each time: {attempts:?}"
    );
    assert!(attempts[2].field("ussdString").contains("1. Ma facture"));
}

#[tokio::test]
async fn a_screen_ready_after_the_deadline_is_not_pushed() {
    let (mtn, url) = Loopback::start().await;
    let server = start(&url, |s| s.deadline_ms = Some(1)).await;
    let (status, body) = send(&server, "/ussd/mtn", message("mtn-late", "0", FR_WATER, "")).await;
    assert_acknowledged(status, &body, FR_WATER);
    let pushes = mtn.settled().await;
    assert!(pushes.is_empty(), "a late screen was pushed: {pushes:?}");
}

#[tokio::test]
async fn end_and_timeout_notices_are_acknowledged_and_push_nothing() {
    let (mtn, url) = Loopback::start().await;
    let server = start(&url, |_| {}).await;
    for (session, notice, status_word) in [("mtn-end-1", "2", "End"), ("mtn-end-2", "5", "Timeout")]
    {
        let (status, body) = send(&server, "/ussd/mtn", message(session, "0", FR_WATER, "")).await;
        assert_acknowledged(status, &body, FR_WATER);
        let before = mtn.wait_for(1).await.len();
        let (status, body) =
            send(&server, "/ussd/mtn", message(session, notice, FR_WATER, "")).await;
        assert_acknowledged(status, &body, FR_WATER);
        assert!(body.contains("Session ended"), "{body}");
        let after = mtn.settled().await;
        assert_eq!(
            after.len(),
            before,
            "the notice pushed something: {after:?}"
        );
        let recorded = server
            .count(&format!(
                "SELECT COUNT(*) FROM interactions WHERE session_id = '{session}' AND end_status = '{status_word}'"
            ))
            .await;
        assert_eq!(recorded, 1, "{session}");
        mtn.received.lock().await.clear();
    }
}

#[tokio::test]
async fn bad_messages_get_400_naming_the_field_and_push_nothing() {
    let (mtn, url) = Loopback::start().await;
    let server = start(&url, |_| {}).await;
    let cases = [
        (
            "msisdn of the wrong type",
            r#"{"sessionId":"b1","messageType":"0","msisdn":true,"serviceCode":"*123#","ussdString":""}"#,
            "msisdn",
        ),
        (
            "missing ussdString",
            r#"{"sessionId":"b2","messageType":"1","msisdn":"221786452821","serviceCode":"*123#"}"#,
            "ussdString",
        ),
        (
            "unknown messageType",
            r#"{"sessionId":"b3","messageType":"7","msisdn":"221786452821","serviceCode":"*123#","ussdString":""}"#,
            "messageType",
        ),
        (
            "truncated JSON",
            r#"{"sessionId":"b4","messageType":"0","#,
            "JSON",
        ),
    ];
    for (label, body, named) in cases {
        let (status, answer) = send(&server, "/ussd/mtn", body.to_string()).await;
        assert_eq!(status, 400, "{label}: {answer}");
        assert!(answer.contains(named), "{label}: {answer}");
    }
    assert!(mtn.settled().await.is_empty());
}

#[tokio::test]
async fn a_wrong_key_gets_403_and_pushes_nothing() {
    let (mtn, url) = Loopback::start().await;
    let server = start(&url, |s| s.secret = Some("callback-secret".into())).await;
    for path in ["/ussd/mtn", "/ussd/mtn?key=wrong"] {
        let (status, _) = send(&server, path, message("mtn-key-1", "0", FR_WATER, "")).await;
        assert_eq!(status, 403, "{path}");
    }
    assert!(mtn.settled().await.is_empty());
    let (status, body) = send(
        &server,
        "/ussd/mtn?key=callback-secret",
        message("mtn-key-2", "0", FR_WATER, ""),
    )
    .await;
    assert_acknowledged(status, &body, FR_WATER);
    assert_eq!(mtn.wait_for(1).await[0].field("sessionId"), "mtn-key-2");
}
