//! Closing the loop with the customer, on the embedded and the production backends: each
//! cause queues its SMS once (in the transaction that stored it), the schedules queue
//! escalations, planned-outage notices and surveys once, and what customers send back is
//! stored. Sending goes to a loopback server playing Africa's Talking's SMS API (a cloud
//! service that cannot run here); `tests/it/kannel_notify.rs` sends through a real Kannel.

use crate::support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use dalal::config::{Config, GatewaySettings};
use support::{TestServer, start_with};

const FR_WATER: &str = "+221786452821"; // SNW100000, fr, Plateau (SN-DKR-PLT), water
const EN_POWER: &str = "+254729141428"; // KEE100010, en, Westlands

/// Polls `sql` until it gives `expected` (background work lands a moment later), at most 10 s.
async fn eventually(server: &TestServer, sql: &str, expected: i64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let got = server.count(sql).await;
        if got == expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{sql}: {got}, expected {expected}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Quick schedules, no quiet hours (tests run at any hour), nothing sent.
fn quick(c: &mut Config) {
    c.sms.poll_secs = 0.1;
    c.sms.schedule_secs = 0.1;
    c.sms.quiet_start_hour = 0;
    c.sms.quiet_end_hour = 0;
}

/// One form as posted: its fields in order.
type Form = Vec<(String, String)>;

/// A loopback server playing Africa's Talking's SMS API: records each form it gets.
#[derive(Clone, Default)]
struct AtApi {
    sent: Arc<Mutex<Vec<Form>>>,
}

impl AtApi {
    async fn start() -> (AtApi, String) {
        let api = AtApi::default();
        let recorded = api.clone();
        let app = axum::Router::new().route(
            "/version1/messaging",
            axum::routing::post(move |body: Bytes| {
                let recorded = recorded.clone();
                async move {
                    let form: Vec<(String, String)> =
                        url::form_urlencoded::parse(&body).into_owned().collect();
                    let to = form.iter().find(|(k, _)| k == "to").map(|(_, v)| v.clone());
                    let mut sent = recorded.sent.lock().unwrap();
                    sent.push(form);
                    let id = format!("ATPid_{}", sent.len());
                    (
                        axum::http::StatusCode::CREATED,
                        axum::Json(serde_json::json!({"SMSMessageData": {
                            "Message": "Sent to 1/1 Total Cost: KES 0.8000",
                            "Recipients": [{"statusCode": 101, "number": to, "status": "Success",
                                            "cost": "KES 0.8000", "messageId": id}]}})),
                    )
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "http://{}/version1/messaging",
            listener.local_addr().unwrap()
        );
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (api, url)
    }

    fn messages_to(&self, phone: &str) -> Vec<String> {
        self.sent
            .lock()
            .unwrap()
            .iter()
            .filter(|form| form.iter().any(|(k, v)| k == "to" && v == phone))
            .filter_map(|form| {
                form.iter()
                    .find(|(k, _)| k == "message")
                    .map(|(_, v)| v.clone())
            })
            .collect()
    }

    /// The id this API gave the message to `phone` containing `text`.
    fn id_of(&self, phone: &str, text: &str) -> String {
        let sent = self.sent.lock().unwrap();
        let position = sent
            .iter()
            .position(|form| {
                form.iter().any(|(k, v)| k == "to" && v == phone)
                    && form.iter().any(|(k, v)| k == "message" && v.contains(text))
            })
            .expect("sent");
        format!("ATPid_{}", position + 1)
    }

    async fn wait_for(&self, phone: &str, n: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let got = self.messages_to(phone);
            if got.len() >= n {
                return got;
            }
            assert!(Instant::now() < deadline, "{n} SMS to {phone}; got {got:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

async fn sending_server(api_url: String) -> TestServer {
    start_with(move |c| {
        quick(c);
        // Only what each test is about: no survey after the session.
        c.sms.survey_outcomes.clear();
        c.sms.gateway = Some("africastalking".into());
        c.sms.africastalking_username = Some("sandbox".into());
        c.sms.africastalking_url = Some(api_url);
        c.gateways.insert(
            "africastalking".into(),
            GatewaySettings {
                api_key: Some("at-key".into()),
                ..Default::default()
            },
        );
    })
    .await
}

#[tokio::test]
async fn a_complaint_filed_by_phone_is_confirmed_by_one_sms_with_its_reference() {
    let (api, url) = AtApi::start().await;
    let server = sending_server(url).await;
    let mut call = server.call(EN_POWER);
    call.dial().await;
    let filed = call.walk(&["4", "2", "1"]).await;
    let reference = support::process::reference_in(&filed).expect("a reference");
    call.retry().await;
    let texts = api.wait_for(EN_POWER, 1).await;
    let confirmation = texts
        .iter()
        .find(|t| t.contains(&reference))
        .expect("confirmed");
    assert!(
        confirmation.starts_with("Complaint received"),
        "in English: {texts:?}"
    );
    let id = api.id_of(EN_POWER, &reference);
    eventually(
        &server,
        &format!("SELECT COUNT(*) FROM sms_outbox WHERE reference = '{reference}' AND state = 'sent' AND segments = 1 AND gateway_message_id = '{id}'"),
        1,
    )
    .await;
    // A delivery report marks it delivered; one naming no message is 404.
    let (status, _) = server
        .post(
            "/sms/africastalking/dlr",
            format!("id={id}&status=Success&phoneNumber=%2B254729141428&networkCode=63902"),
        )
        .await;
    assert_eq!(status, 200);
    eventually(
        &server,
        &format!("SELECT COUNT(*) FROM sms_outbox WHERE reference = '{reference}' AND state = 'delivered' AND delivered_at IS NOT NULL"),
        1,
    )
    .await;
    let (status, _) = server
        .post("/sms/africastalking/dlr", "id=ATPid_404&status=Success")
        .await;
    assert_eq!(status, 404);
    let (status, body) = server
        .post("/sms/africastalking/dlr", "status=Success")
        .await;
    assert_eq!(status, 400, "{body}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let confirmations = api.messages_to(EN_POWER);
    assert_eq!(
        confirmations
            .iter()
            .filter(|t| t.contains(&reference))
            .count(),
        1,
        "sent once: {confirmations:?}"
    );
}

#[tokio::test]
async fn a_status_changed_in_the_database_sends_one_message() {
    let (api, url) = AtApi::start().await;
    let server = sending_server(url).await;
    let mut call = server.call(FR_WATER);
    call.dial().await;
    let filed = call.walk(&["4", "1", "1"]).await;
    let reference = support::process::reference_in(&filed).expect("a reference");
    api.wait_for(FR_WATER, 1).await;
    // CRM staff move the ticket on, straight in the database.
    server
        .count(&format!(
            "UPDATE tickets SET status = 'resolved' WHERE ticket_ref = '{reference}' RETURNING CAST(1 AS BIGINT)"
        ))
        .await;
    let texts = api.wait_for(FR_WATER, 2).await;
    assert!(
        texts[1].contains(&reference) && texts[1].contains("résolue"),
        "{texts:?}"
    );
    eventually(
        &server,
        &format!("SELECT COUNT(*) FROM ticket_events WHERE ticket_ref = '{reference}' AND event = 'status' AND detail = 'resolved'"),
        1,
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        api.messages_to(FR_WATER).len(),
        2,
        "one message for the change"
    );
}

#[tokio::test]
async fn late_tickets_escalate_once_per_level_and_the_customer_hears_once() {
    let server = start_with(|c| {
        quick(c);
        c.sms.escalation_level_two_hours = 0;
    })
    .await;
    // The fixture's tickets still open past their SLA.
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let late = server
        .count(&format!("SELECT COUNT(*) FROM tickets WHERE status IN ('open', 'in_progress') AND sla_due_at IS NOT NULL AND sla_due_at < '{now}'"))
        .await;
    assert!(late > 0, "the fixture has late tickets");
    eventually(
        &server,
        "SELECT COUNT(*) FROM ticket_events WHERE event = 'escalated' AND detail = '1'",
        late,
    )
    .await;
    eventually(
        &server,
        "SELECT COUNT(*) FROM ticket_events WHERE event = 'escalated' AND detail = '2'",
        late,
    )
    .await;
    let with_phone = server
        .count(&format!("SELECT COUNT(*) FROM tickets WHERE status IN ('open', 'in_progress') AND sla_due_at < '{now}' AND phone IS NOT NULL"))
        .await;
    eventually(
        &server,
        "SELECT COUNT(*) FROM sms_outbox WHERE kind = 'ticket_late'",
        with_phone,
    )
    .await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        server
            .count("SELECT COUNT(*) FROM ticket_events WHERE event = 'escalated'")
            .await,
        2 * late,
        "no level twice"
    );
}

#[tokio::test]
async fn a_planned_outage_is_announced_to_each_customer_of_its_area_once() {
    let server = start_with(quick).await;
    let customers = server
        .count("SELECT COUNT(DISTINCT phone) FROM customers WHERE area_code = 'SN-DKR-PLT' AND service = 'water' AND phone IS NOT NULL")
        .await;
    assert!(customers > 1);
    let starts = (chrono::Utc::now() + chrono::Duration::hours(3))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let insert = if server.database_url.starts_with("sqlite:") {
        format!(
            "INSERT INTO outages VALUES ('OUT9001', 'SN-DKR-PLT', 'water', 'planned', '{starts}', NULL, 'scheduled', 'works') RETURNING CAST(1 AS BIGINT)"
        )
    } else {
        format!(
            "INSERT INTO outages VALUES ('OUT9001', 'SN-DKR-PLT', 'water', 'planned', '{starts}'::timestamptz, NULL, 'scheduled', 'works') RETURNING CAST(1 AS BIGINT)"
        )
    };
    server.count(&insert).await;
    eventually(
        &server,
        "SELECT COUNT(*) FROM sms_outbox WHERE kind = 'planned_outage' AND outage_id = 'OUT9001'",
        customers,
    )
    .await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        server
            .count("SELECT COUNT(*) FROM sms_outbox WHERE kind = 'planned_outage'")
            .await,
        customers,
        "once per customer"
    );
}

#[tokio::test]
async fn a_resolved_outage_tells_those_who_reported_it() {
    let server = start_with(quick).await;
    // SNE100002's phone reports the outage OUT0001 (Pikine, active).
    let mut call = server.call("+221706606044");
    call.dial().await;
    call.walk(&["1", "2", "1"]).await;
    eventually(&server, "SELECT COUNT(*) FROM outage_reports WHERE outage_id = 'OUT0001' AND phone = '+221706606044'", 1).await;
    server
        .count("UPDATE outages SET status = 'resolved' WHERE outage_id = 'OUT0001' RETURNING CAST(1 AS BIGINT)")
        .await;
    eventually(&server, "SELECT COUNT(*) FROM sms_outbox WHERE kind = 'outage_restored' AND phone = '+221706606044'", 1).await;
}

#[tokio::test]
async fn surveys_answers_stop_and_help_from_customers() {
    let server = start_with(quick).await;
    // A bill check ends with a survey invitation.
    let mut call = server.call(FR_WATER);
    call.dial().await;
    call.press("1").await;
    eventually(
        &server,
        "SELECT COUNT(*) FROM sms_outbox WHERE kind = 'survey' AND phone = '+221786452821'",
        1,
    )
    .await;
    // A reply that is not 1-5: told how to answer, once.
    for _ in 0..2 {
        let (status, _) = server
            .post(
                "/sms/africastalking/incoming",
                "from=%2B221786452821&to=12345&text=bien&id=x1&date=2026-11-30",
            )
            .await;
        assert_eq!(status, 200);
    }
    eventually(
        &server,
        "SELECT COUNT(*) FROM sms_outbox WHERE kind = 'survey_help'",
        1,
    )
    .await;
    let (status, _) = server
        .post(
            "/sms/africastalking/incoming",
            "from=%2B221786452821&to=12345&text=4&id=x2&date=2026-11-30",
        )
        .await;
    assert_eq!(status, 200);
    eventually(&server, "SELECT COUNT(*) FROM survey_responses WHERE phone = '+221786452821' AND score = 4 AND channel = 'ussd' AND account_no = 'SNW100000'", 1).await;
    // A second bill check the same day: no second survey.
    let mut again = server.call(FR_WATER);
    again.dial().await;
    again.press("1").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        server
            .count("SELECT COUNT(*) FROM sms_outbox WHERE kind = 'survey'")
            .await,
        1
    );
    // STOP in French opts out; a malformed message is refused and changes nothing.
    let (status, _) = server
        .post(
            "/sms/africastalking/incoming",
            "from=%2B221786452821&to=12345&text=arret&id=x3&date=2026-11-30",
        )
        .await;
    assert_eq!(status, 200);
    eventually(
        &server,
        "SELECT COUNT(*) FROM sms_opt_outs WHERE phone = '+221786452821'",
        1,
    )
    .await;
    eventually(
        &server,
        "SELECT COUNT(*) FROM sms_outbox WHERE kind = 'opted_out'",
        1,
    )
    .await;
    let (status, body) = server.post("/sms/africastalking/incoming", "text=4").await;
    assert_eq!(status, 400, "{body}");
}

#[tokio::test]
async fn two_instances_on_one_postgresql_never_send_a_message_twice() {
    let (api, url) = AtApi::start().await;
    let configure = {
        let url = url.clone();
        move |c: &mut Config| {
            quick(c);
            c.sms.survey_outcomes.clear();
            c.sms.per_second = 1000.0;
            c.sms.gateway = Some("africastalking".into());
            c.sms.africastalking_username = Some("sandbox".into());
            c.sms.africastalking_url = Some(url.clone());
            c.gateways.insert(
                "africastalking".into(),
                GatewaySettings {
                    api_key: Some("at-key".into()),
                    ..Default::default()
                },
            );
        }
    };
    let first = support::start_production_with(configure.clone()).await;
    // A second instance on the same database, sending too.
    let mut config = Config {
        database_url: first.database_url.clone(),
        redis_url: Some(support::redis_url()),
        redis_key_prefix: support::unique_prefix(),
        ..Config::default()
    };
    configure(&mut config);
    let _second = dalal::server::build_app(config)
        .await
        .expect("second instance");
    first
        .count(
            "WITH queued AS (INSERT INTO sms_outbox (dedupe_key, kind, phone) \
             SELECT 'load:' || g, 'survey_help', '+26099' || lpad(g::text, 6, '0') \
             FROM generate_series(1, 300) g RETURNING 1) SELECT COUNT(*) FROM queued",
        )
        .await;
    eventually(
        &first,
        "SELECT COUNT(*) FROM sms_outbox WHERE dedupe_key LIKE 'load:%' AND state = 'sent'",
        300,
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut phones: Vec<String> = api
        .sent
        .lock()
        .unwrap()
        .iter()
        .filter_map(|form| form.iter().find(|(k, _)| k == "to").map(|(_, v)| v.clone()))
        .filter(|to| to.starts_with("+26099"))
        .collect();
    assert_eq!(phones.len(), 300, "each message sent once");
    phones.sort();
    phones.dedup();
    assert_eq!(phones.len(), 300, "no phone twice");
    let senders = first
        .count("SELECT COUNT(DISTINCT claimed_by) FROM sms_outbox WHERE dedupe_key LIKE 'load:%'")
        .await;
    assert_eq!(senders, 2, "both instances sent");
}

#[tokio::test]
async fn a_customer_answering_not_solved_reopens_the_ticket() {
    let (api, url) = AtApi::start().await;
    let server = sending_server(url).await;
    let mut call = server.call(EN_POWER);
    call.dial().await;
    let filed = call.walk(&["4", "2", "1"]).await;
    let reference = support::process::reference_in(&filed).expect("a reference");
    api.wait_for(EN_POWER, 1).await;
    server
        .count(&format!(
            "UPDATE tickets SET status = 'resolved' WHERE ticket_ref = '{reference}' RETURNING CAST(1 AS BIGINT)"
        ))
        .await;
    let texts = api.wait_for(EN_POWER, 2).await;
    assert!(texts[1].contains("Reply 1 yes, 2 no"), "{texts:?}");
    eventually(
        &server,
        &format!("SELECT COUNT(*) FROM sms_outbox WHERE ticket_ref = '{reference}' AND detail = 'resolved' AND state = 'sent'"),
        1,
    )
    .await;
    let (status, _) = server
        .post(
            "/sms/africastalking/incoming",
            "from=%2B254729141428&to=12345&text=2&id=r1&date=2026-11-30",
        )
        .await;
    assert_eq!(status, 200);
    eventually(
        &server,
        &format!(
            "SELECT COUNT(*) FROM tickets WHERE ticket_ref = '{reference}' AND status = 'open'"
        ),
        1,
    )
    .await;
    eventually(
        &server,
        &format!("SELECT COUNT(*) FROM ticket_events WHERE ticket_ref = '{reference}' AND event = 'customer_reply' AND detail = 'not solved'"),
        1,
    )
    .await;
    let texts = api.wait_for(EN_POWER, 3).await;
    assert!(texts[2].contains("reopened"), "{texts:?}");
    // The same answer again changes nothing: the question was answered.
    let (status, _) = server
        .post(
            "/sms/africastalking/incoming",
            "from=%2B254729141428&to=12345&text=2&id=r2&date=2026-11-30",
        )
        .await;
    assert_eq!(status, 200);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        server
            .count(&format!("SELECT COUNT(*) FROM ticket_events WHERE ticket_ref = '{reference}' AND event = 'customer_reply'"))
            .await,
        1
    );
}

#[tokio::test]
async fn a_status_event_written_by_the_crm_moves_the_ticket_and_tells_the_customer_once() {
    let server = start_with(quick).await;
    let mut call = server.call(FR_WATER);
    call.dial().await;
    let filed = call.walk(&["4", "1", "1"]).await;
    let reference = support::process::reference_in(&filed).expect("a reference");
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    // The CRM writes the event only, then also updates the ticket: one message.
    server
        .count(&format!(
            "INSERT INTO ticket_events (ticket_ref, at, event, detail) VALUES ('{reference}', '{now}', 'status', 'in_progress') RETURNING CAST(1 AS BIGINT)"
        ))
        .await;
    eventually(
        &server,
        &format!("SELECT COUNT(*) FROM tickets WHERE ticket_ref = '{reference}' AND status = 'in_progress'"),
        1,
    )
    .await;
    server
        .count(&format!(
            "UPDATE tickets SET status = 'in_progress' WHERE ticket_ref = '{reference}' RETURNING CAST(1 AS BIGINT)"
        ))
        .await;
    // An event named after the status works too.
    server
        .count(&format!(
            "INSERT INTO ticket_events (ticket_ref, at, event, detail) VALUES ('{reference}', '{now}', 'resolved', NULL) RETURNING CAST(1 AS BIGINT)"
        ))
        .await;
    eventually(
        &server,
        &format!(
            "SELECT COUNT(*) FROM tickets WHERE ticket_ref = '{reference}' AND status = 'resolved'"
        ),
        1,
    )
    .await;
    assert_eq!(
        server
            .count(&format!("SELECT COUNT(*) FROM sms_outbox WHERE kind = 'ticket_status' AND ticket_ref = '{reference}' AND detail = 'in_progress'"))
            .await,
        1
    );
    assert_eq!(
        server
            .count(&format!("SELECT COUNT(*) FROM sms_outbox WHERE kind = 'ticket_status' AND ticket_ref = '{reference}' AND detail = 'resolved'"))
            .await,
        1
    );
}
