//! Every USSD gateway end to end over real HTTP, each spoken the way its aggregator speaks it
//! (`dalal::gateway::simulator`): a bill check, an outage report and a complaint filing each,
//! and the main menu in all four languages giving the very screens Africa's Talking gets. An
//! asynchronous gateway's screens are read where its aggregator reads them: in the requests
//! dalal pushes to a loopback server playing the aggregator.
//!
//! Runs on both backends (`DALAL_TEST_BACKEND=production` in tests/run-all.sh).

use crate::support;

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::http::HeaderMap;
use dalal::config::{Config, GatewaySettings};
use dalal::gateway::simulate::{Delivery, Screen, SimHop, SimRequest, Simulator};
use support::{TestServer, assert_page, start_with};
use tokio::sync::{Mutex, mpsc};

const FR_WATER: &str = "+221786452821"; // SNW100000, fr, Plateau, bill 66 860 FCFA unpaid
const WO_POWER: &str = "+221786562901"; // SNE100001, wo
const SW_WATER: &str = "+254112207544"; // KEW100012, sw
const EN_POWER: &str = "+254729141428"; // KEE100010, en, Westlands, paid KES bill

/// How long an asynchronous gateway's screen may take to arrive.
const PUSH_WAIT: Duration = Duration::from_secs(8);

/// A request dalal pushed to the aggregator.
#[derive(Debug, Clone)]
struct Pushed {
    headers: HeaderMap,
    body: String,
}

/// A loopback server playing an asynchronous aggregator's outbound endpoint.
struct Inbox {
    url: String,
    received: Mutex<mpsc::UnboundedReceiver<Pushed>>,
}

impl Inbox {
    async fn start() -> Inbox {
        let (sender, received) = mpsc::unbounded_channel();
        let record = move |headers: HeaderMap, body: Bytes| {
            let sender = sender.clone();
            async move {
                let body = String::from_utf8_lossy(&body).into_owned();
                let _ = sender.send(Pushed { headers, body });
                axum::Json(serde_json::json!({"statusCode": "0000", "statusMessage": "OK"}))
            }
        };
        let app = axum::Router::new().fallback(axum::routing::post(record));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "http://{}/v1/messages/ussd/outbound",
            listener.local_addr().unwrap()
        );
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Inbox {
            url,
            received: Mutex::new(received),
        }
    }

    /// The next push about `session`.
    async fn next_for(&self, session: &str) -> Pushed {
        let mut received = self.received.lock().await;
        loop {
            let pushed = tokio::time::timeout(PUSH_WAIT, received.recv())
                .await
                .unwrap_or_else(|_| panic!("no screen pushed for {session} within {PUSH_WAIT:?}"))
                .expect("inbox open");
            if pushed.body.contains(session) {
                return pushed;
            }
        }
    }

    /// Nothing more arrives for a while.
    async fn assert_quiet(&self) {
        let mut received = self.received.lock().await;
        let extra = tokio::time::timeout(Duration::from_millis(700), received.recv()).await;
        assert!(extra.is_err(), "an unexpected push: {extra:?}");
    }
}

/// A dalal server and the aggregator `name` calling it.
struct Aggregator {
    name: &'static str,
    server: TestServer,
    side: Simulator,
    inbox: Option<Arc<Inbox>>,
}

const API_KEY: &str = "k-test-0001";

async fn aggregator(name: &'static str) -> Aggregator {
    aggregator_with(name, |_| {}).await
}

async fn aggregator_with(name: &'static str, adjust: impl FnOnce(&mut Config)) -> Aggregator {
    let mut settings = GatewaySettings::default();
    let probe = dalal::gateway::simulator(name, &Config::default())
        .unwrap_or_else(|| panic!("no USSD gateway named {name}"));
    let inbox = match probe.delivery {
        Delivery::InResponse => None,
        Delivery::Pushed => {
            let inbox = Inbox::start().await;
            settings.outbound_url = Some(inbox.url.clone());
            settings.api_key = Some(API_KEY.into());
            Some(Arc::new(inbox))
        }
    };
    let mut config_seen = Config::default();
    let server = start_with(|c| {
        c.gateways.insert(name.into(), settings);
        adjust(c);
        config_seen = c.clone();
    })
    .await;
    let side = dalal::gateway::simulator(name, &config_seen).expect("simulator");
    Aggregator {
        name,
        server,
        side,
        inbox,
    }
}

impl Aggregator {
    fn phone(&self, phone: &str) -> Phone<'_> {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Phone {
            aggregator: self,
            session: format!("{}-{n}-{}", self.name, std::process::id()),
            phone: phone.to_string(),
            inputs: Vec::new(),
            last: None,
        }
    }

    /// Sends one request as the aggregator does; the status and body of dalal's answer.
    async fn send(&self, request: &SimRequest) -> (u16, String) {
        let url = format!("{}{}", self.server.base, request.path_and_query);
        let client = &self.server.client;
        let mut builder = match request.method {
            "GET" => client.get(url),
            _ => client.post(url).body(request.body.clone()),
        };
        if let Some(content_type) = request.content_type {
            builder = builder.header("content-type", content_type);
        }
        let response = builder.send().await.expect("request sent");
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }
}

/// One caller's session through an aggregator.
struct Phone<'a> {
    aggregator: &'a Aggregator,
    session: String,
    phone: String,
    inputs: Vec<String>,
    last: Option<Screen>,
}

impl Phone<'_> {
    fn hop(&self) -> SimHop<'_> {
        SimHop {
            session_id: &self.session,
            phone: &self.phone,
            service_code: "*123#",
            inputs: &self.inputs,
        }
    }

    async fn dial(&mut self) -> Screen {
        self.send().await
    }

    async fn press(&mut self, input: &str) -> Screen {
        assert!(
            !self.last.as_ref().is_some_and(|s| s.end),
            "session already ended: {:?}",
            self.last
        );
        self.inputs.push(input.to_string());
        self.send().await
    }

    /// The aggregator sends the last hop again.
    async fn resend(&mut self) -> Screen {
        self.send().await
    }

    async fn send(&mut self) -> Screen {
        let a = self.aggregator;
        let request = a.side.hop_request(&self.hop());
        let (status, body) = a.send(&request).await;
        assert_eq!(
            status, 200,
            "{}: {request:?} answered {status}: {body}",
            a.name
        );
        let screen_body = match &a.inbox {
            None => body,
            Some(inbox) => {
                let pushed = inbox.next_for(&self.session).await;
                assert_eq!(
                    pushed
                        .headers
                        .get("x-api-key")
                        .and_then(|v| v.to_str().ok()),
                    Some(API_KEY),
                    "{}: the push carries the API key",
                    a.name
                );
                pushed.body
            }
        };
        let screen = a
            .side
            .read_screen(&screen_body)
            .unwrap_or_else(|e| panic!("{}: unreadable screen {screen_body:?}: {e}", a.name));
        assert_page(&format!(
            "{} {}",
            if screen.end { "END" } else { "CON" },
            screen.text
        ));
        self.last = Some(screen.clone());
        screen
    }

    async fn walk(&mut self, inputs: &[&str]) -> Screen {
        let mut last = None;
        for input in inputs {
            last = Some(self.press(input).await);
        }
        last.expect("at least one input")
    }
}

/// A reference in a screen: `RC` and digits.
fn reference_in(text: &str) -> String {
    let start = text
        .find("RC")
        .unwrap_or_else(|| panic!("no reference in {text:?}"));
    text[start..]
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect()
}

fn names() -> Vec<&'static str> {
    let names = dalal::gateway::ussd_gateway_names();
    assert!(
        names.len() >= 7,
        "every aggregator is registered: {names:?}"
    );
    names
}

#[tokio::test]
async fn a_bill_check_over_every_gateway() {
    for name in names() {
        let aggregator = aggregator(name).await;
        let mut phone = aggregator.phone(FR_WATER);
        let menu = phone.dial().await;
        assert!(!menu.end, "{name}: {menu:?}");
        assert!(
            menu.text.starts_with("Bienvenue. Choisissez:"),
            "{name}: {menu:?}"
        );
        let bill = phone.press("1").await;
        assert!(bill.end, "{name}: {bill:?}");
        assert!(bill.text.contains("66 860 FCFA"), "{name}: {bill:?}");
        let interaction = aggregator
            .server
            .crm
            .written_interaction(name, &phone.session)
            .await;
        assert_eq!(interaction.gateway, name);
        assert_eq!(interaction.phone, FR_WATER, "{name}: the phone as E.164");
        assert_eq!(
            interaction.account_no.as_deref(),
            Some("SNW100000"),
            "{name}"
        );
    }
}

#[tokio::test]
async fn an_outage_report_over_every_gateway_is_committed_once() {
    for name in names() {
        let aggregator = aggregator(name).await;
        let mut phone = aggregator.phone(FR_WATER);
        phone.dial().await;
        let asked = phone.press("2").await;
        assert!(
            asked.text.contains("coupure d'eau à Plateau"),
            "{name}: {asked:?}"
        );
        let reported = phone.press("1").await;
        assert!(reported.end, "{name}: {reported:?}");
        let reference = reference_in(&reported.text);
        let ticket = aggregator
            .server
            .crm
            .ticket(&reference)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{name}: ticket {reference} committed"));
        assert_eq!(ticket.category, "outage", "{name}");
        assert_eq!(ticket.account_no.as_deref(), Some("SNW100000"), "{name}");
        // The aggregator resends the last hop: the same answer, no second ticket (an
        // asynchronous gateway acknowledges it and pushes nothing more).
        if let Some(inbox) = &aggregator.inbox {
            let request = aggregator.side.hop_request(&phone.hop());
            let (status, _) = aggregator.send(&request).await;
            assert_eq!(status, 200, "{name}");
            inbox.assert_quiet().await;
        } else {
            assert_eq!(phone.resend().await, reported, "{name}");
        }
        let tickets = aggregator
            .server
            .count("SELECT COUNT(*) FROM tickets WHERE origin_key IS NOT NULL")
            .await;
        assert_eq!(tickets, 1, "{name}: one ticket");
    }
}

#[tokio::test]
async fn a_complaint_filed_over_every_gateway_can_be_followed() {
    for name in names() {
        let aggregator = aggregator(name).await;
        let mut phone = aggregator.phone(EN_POWER);
        phone.dial().await;
        let filed = phone.walk(&["4", "2", "1"]).await;
        assert!(filed.end, "{name}: {filed:?}");
        let reference = reference_in(&filed.text);
        let ticket = aggregator
            .server
            .crm
            .ticket(&reference)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{name}: ticket {reference} committed"));
        assert_eq!(ticket.category, "meter_fault", "{name}");
        assert_eq!(ticket.channel, "ussd", "{name}");

        let mut follow = aggregator.phone(EN_POWER);
        follow.dial().await;
        let found = follow.walk(&["3", "1", &reference[2..]]).await;
        assert!(
            found.text.contains("Meter fault: open"),
            "{name}: {found:?}"
        );
    }
}

/// The screens of the main menu's first level, in each language, through one aggregator.
async fn first_screens(aggregator: &Aggregator) -> Vec<Screen> {
    let mut screens = Vec::new();
    for caller in [FR_WATER, WO_POWER, SW_WATER, EN_POWER] {
        for choice in ["1", "2", "3", "4", "5", "6", "7"] {
            let mut phone = aggregator.phone(caller);
            screens.push(phone.dial().await);
            screens.push(phone.press(choice).await);
        }
    }
    screens
}

#[tokio::test]
async fn the_whole_menu_in_four_languages_looks_the_same_over_every_gateway() {
    // Each phone dials again and again, leaving a session mid-menu each time: every dial is to
    // see the main menu, not the offer to resume (which has its own test).
    let no_resume = |c: &mut Config| c.resume_secs = 0;
    let reference = first_screens(&aggregator_with("africastalking", no_resume).await).await;
    let greetings: Vec<&str> = reference
        .iter()
        .step_by(14)
        .map(|s| s.text.lines().next().unwrap_or_default())
        .collect();
    assert_eq!(
        greetings,
        [
            "Bienvenue. Choisissez:",
            "Dalal ak jàmm. Tànnal:",
            "Karibu. Chagua:",
            "Welcome. Choose:"
        ]
    );
    for name in names().into_iter().filter(|n| *n != "africastalking") {
        let screens = first_screens(&aggregator_with(name, no_resume).await).await;
        for (i, (got, expected)) in screens.iter().zip(&reference).enumerate() {
            assert_eq!(got, expected, "{name}: screen {i}");
        }
    }
}

#[tokio::test]
async fn a_caller_leaving_is_recorded_for_every_gateway_that_says_so() {
    for name in names() {
        let aggregator = aggregator(name).await;
        let mut phone = aggregator.phone(SW_WATER);
        phone.dial().await;
        phone.press("3").await;
        let Some(notice) = aggregator.side.end_request(&phone.hop()) else {
            continue;
        };
        let (status, body) = aggregator.send(&notice).await;
        assert_eq!(status, 200, "{name}: {body}");
        let interaction = aggregator
            .server
            .crm
            .written_interaction(name, &phone.session)
            .await;
        assert_eq!(interaction.hops, 2, "{name}");
        if let Some(inbox) = &aggregator.inbox {
            inbox.assert_quiet().await;
        }
    }
}

#[tokio::test]
async fn a_dropped_session_is_offered_to_continue_over_every_gateway() {
    let callers = [
        (FR_WATER, "Votre dernière session a été coupée."),
        (WO_POWER, "Sa jokkoo bu mujj dagg na."),
        (SW_WATER, "Kipindi chako cha mwisho kilikatika."),
        (EN_POWER, "Your last session was cut off."),
    ];
    for (i, name) in names().into_iter().enumerate() {
        let (caller, offer_line) = callers[i % callers.len()];
        let aggregator = aggregator(name).await;
        // The complaint categories, then the session drops (with the aggregator's notice of
        // a session left mid-menu, where it sends one).
        let mut dropped = aggregator.phone(caller);
        dropped.dial().await;
        let categories = dropped.press("4").await;
        if let Some(notice) = aggregator.side.end_request(&dropped.hop()) {
            let (status, body) = aggregator.send(&notice).await;
            assert_eq!(status, 200, "{name}: {body}");
        }
        let mut again = aggregator.phone(caller);
        let offer = again.dial().await;
        assert!(!offer.end, "{name}: {offer:?}");
        assert_eq!(
            offer.text.lines().next(),
            Some(offer_line),
            "{name}: {offer:?}"
        );
        let resumed = again.press("1").await;
        assert_eq!(resumed, categories, "{name}: back where it was");
        // The session goes on from there, whatever the gateway's way of sending inputs.
        let filed = again.press("2").await;
        let filed = if filed.end {
            filed
        } else {
            again.press("1").await
        };
        assert!(filed.end && filed.text.contains("RC"), "{name}: {filed:?}");
        if let Some(inbox) = &aggregator.inbox {
            inbox.assert_quiet().await;
        }
    }
}

#[tokio::test]
async fn the_same_key_twice_in_a_row_is_two_inputs_over_every_gateway() {
    // Choose the first account, then the bill: "1" and "1" as fast as a machine can.
    const TWO_ACCOUNTS: &str = "+221706606044";
    for name in names() {
        let aggregator = aggregator(name).await;
        let mut phone = aggregator.phone(TWO_ACCOUNTS);
        let accounts = phone.dial().await;
        assert!(!accounts.end, "{name}: {accounts:?}");
        let menu = phone.press("1").await;
        assert!(
            menu.text.contains("\n7. "),
            "{name}: the main menu: {menu:?}"
        );
        let bill = phone.press("1").await;
        assert!(bill.end, "{name}: the bill: {bill:?}");
        assert!(bill.text.contains("FCFA"), "{name}: {bill:?}");
    }
}

/// Bad bodies to every JSON gateway: `400` with one line naming the field, nothing written.
#[tokio::test]
async fn malformed_requests_to_every_json_gateway_get_400_naming_the_field() {
    for name in names() {
        let aggregator = aggregator(name).await;
        let phone = aggregator.phone(FR_WATER);
        let first = aggregator.side.hop_request(&phone.hop());
        if first.content_type != Some("application/json") {
            continue;
        }
        let valid: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&first.body).unwrap();
        let send = |body: Vec<u8>| {
            let request = SimRequest {
                body: String::new(),
                ..first.clone()
            };
            let url = format!("{}{}", aggregator.server.base, request.path_and_query);
            let client = aggregator.server.client.clone();
            async move {
                let response = client
                    .post(url)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                (response.status().as_u16(), response.text().await.unwrap())
            }
        };
        let one_line_400 = |label: &str, (status, body): (u16, String)| {
            assert_eq!(status, 400, "{name}: {label}: {body}");
            assert_eq!(body.trim().lines().count(), 1, "{name}: {label}: {body}");
            body
        };
        one_line_400("not JSON", send(b"{\"SessionId\": ".to_vec()).await);
        one_line_400("a JSON array", send(b"[1, 2]".to_vec()).await);
        let mut not_utf8 = first.body.clone().into_bytes();
        let at = not_utf8.len() - 2;
        not_utf8.splice(at..at, [b'\xC3', b'\x28']);
        one_line_400("non-UTF-8", send(not_utf8).await);
        let mut refused_by_name = 0;
        for field in valid.keys() {
            for (label, value) in [
                ("a wrong type", serde_json::json!({"nested": [1]})),
                (
                    "a huge field",
                    serde_json::Value::String("9".repeat(100_000)),
                ),
            ] {
                let mut body = valid.clone();
                body.insert(field.clone(), value);
                let (status, answer) = send(serde_json::to_vec(&body).unwrap()).await;
                // A field the gateway does not read may be anything; one it reads is named.
                if status != 200 {
                    let answer = one_line_400(label, (status, answer));
                    assert!(
                        answer.contains(field.as_str()),
                        "{name}: {label} in {field}: {answer}"
                    );
                    refused_by_name += 1;
                }
            }
        }
        assert!(
            refused_by_name >= 4,
            "{name}: the fields it reads are checked"
        );
        let written = aggregator
            .server
            .count("SELECT COUNT(*) FROM interactions WHERE gateway <> 'import'")
            .await;
        assert_eq!(written, 0, "{name}: nothing written");
        if let Some(inbox) = &aggregator.inbox {
            inbox.assert_quiet().await;
        }
    }
}

#[tokio::test]
async fn every_gateway_refuses_a_caller_without_its_key() {
    for name in names() {
        let server = start_with(|c| {
            c.gateways.insert(
                name.into(),
                GatewaySettings {
                    secret: Some("s3cret".into()),
                    outbound_url: Some("http://127.0.0.1:9/".into()),
                    ..Default::default()
                },
            );
        })
        .await;
        let side = dalal::gateway::simulator(name, &Config::default()).unwrap();
        let hop = SimHop {
            session_id: "no-key-1",
            phone: FR_WATER,
            service_code: "*123#",
            inputs: &[],
        };
        let request = side.hop_request(&hop);
        let url = format!("{}{}", server.base, request.path_and_query);
        let with_key = |url: &str| {
            let joiner = if url.contains('?') { '&' } else { '?' };
            format!("{url}{joiner}key=s3cret")
        };
        for (url, expected) in [(url.clone(), 403), (with_key(&url), 200)] {
            let mut builder = match request.method {
                "GET" => server.client.get(&url),
                _ => server.client.post(&url).body(request.body.clone()),
            };
            if let Some(content_type) = request.content_type {
                builder = builder.header("content-type", content_type);
            }
            let response = builder.send().await.unwrap();
            assert_eq!(response.status().as_u16(), expected, "{name}: {url}");
        }
    }
}

#[tokio::test]
async fn an_unknown_session_mid_way_is_ended_politely_over_every_gateway() {
    for name in names() {
        let aggregator = aggregator(name).await;
        let mut phone = aggregator.phone(FR_WATER);
        // The aggregator speaks of a session dalal never saw (a restart, another instance).
        phone.inputs = vec!["2".into()];
        let screen = phone.resend().await;
        assert!(screen.end, "{name}: {screen:?}");
        assert!(!screen.text.contains("FCFA"), "{name}: {screen:?}");
        let tickets = aggregator
            .server
            .count("SELECT COUNT(*) FROM tickets WHERE origin_key IS NOT NULL")
            .await;
        assert_eq!(tickets, 0, "{name}");
    }
}

#[tokio::test]
async fn inputs_with_spaces_or_a_leading_star_are_read_as_meant_over_every_gateway() {
    // Gateways sending every input so far joined by `*` cannot carry a leading `*`.
    const CUMULATIVE: &[&str] = &["africastalking", "safaricom"];
    for name in names() {
        let aggregator = aggregator(name).await;
        let typings: &[&str] = if CUMULATIVE.contains(&name) {
            &[" 1 "]
        } else {
            &[" 1 ", "*1"]
        };
        for &typed in typings {
            let mut phone = aggregator.phone(FR_WATER);
            phone.dial().await;
            let bill = phone.press(typed).await;
            assert!(
                bill.text.contains("66 860 FCFA"),
                "{name}: {typed:?}: {bill:?}"
            );
        }
    }
}
