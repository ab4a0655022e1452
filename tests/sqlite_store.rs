//! The SQLite CRM store against the canonical crm-demo fixture.

use std::path::Path;

use chrono::{DateTime, TimeZone, Utc};
use dalal::domain::*;
use dalal::import::{self, Dataset};
use dalal::reference::{self, Typed};
use dalal::store::sqlite::SqliteCrm;
use dalal::store::{CrmStore, ImportSummary};

const FIXTURE: &str = "../shared/fixtures/crm-demo";

fn fixture() -> Dataset {
    import::read_dir(Path::new(FIXTURE)).unwrap_or_else(|e| panic!("fixture invalid:\n{e}"))
}

async fn loaded() -> SqliteCrm {
    let crm = SqliteCrm::in_memory().await.unwrap();
    crm.import(&fixture()).await.unwrap();
    crm
}

fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

fn new_ticket(origin_key: &str) -> NewTicket {
    NewTicket {
        origin_key: origin_key.to_string(),
        account_no: Some("SNE100002".into()),
        phone: Some("+221706606044".into()),
        category: "meter_fault".into(),
        channel: "ussd".into(),
        created_at: at(2026, 11, 22, 10, 0),
        sla_due_at: Some(at(2026, 11, 25, 10, 0)),
        note: None,
    }
}

const TABLES: [&str; 5] = ["areas", "customers", "bills", "tickets", "outages"];

async fn counts(crm: &SqliteCrm) -> Vec<i64> {
    let mut out = Vec::new();
    for t in TABLES.iter().chain(&["ticket_events"]) {
        out.push(crm.count(t).await.unwrap());
    }
    out
}

#[tokio::test]
async fn import_counts_and_reimport_is_idempotent() {
    let crm = SqliteCrm::in_memory().await.unwrap();
    assert!(crm.is_empty().await.unwrap());
    crm.ping().await.unwrap();
    let data = fixture();
    let summary = crm.import(&data).await.unwrap();
    assert_eq!(
        summary,
        ImportSummary {
            areas: 14,
            customers: 240,
            bills: 1440,
            tickets: 60,
            outages: 5,
        }
    );
    assert!(!crm.is_empty().await.unwrap());
    let first = counts(&crm).await;
    assert_eq!(first, vec![14, 240, 1440, 60, 5, 60]);

    crm.import(&data).await.unwrap();
    assert_eq!(counts(&crm).await, first);

    // The embedded demo is the same dataset.
    assert_eq!(import::read_embedded_demo(), data);
}

#[tokio::test]
async fn reimport_keeps_a_language_chosen_on_the_phone_when_the_crm_has_none() {
    let crm = loaded().await;
    let data = fixture();
    let unknown = data
        .customers
        .iter()
        .find(|c| c.language.is_none() && c.phone.is_some())
        .expect("fixture has customers without a language");
    let phone = unknown.phone.clone().unwrap();
    crm.save_language(&phone, "fr").await.unwrap();
    crm.import(&data).await.unwrap();
    let account = crm.account(&unknown.account_no).await.unwrap().unwrap();
    assert_eq!(account.language.as_deref(), Some("fr"));
}

#[tokio::test]
async fn account_lookups() {
    let crm = loaded().await;

    let accounts = crm.accounts_for_phone("+221706606044").await.unwrap();
    let numbers: Vec<&str> = accounts.iter().map(|a| a.account_no.as_str()).collect();
    assert_eq!(numbers, vec!["SNE100002", "SNW100003"]);
    assert!(
        crm.accounts_for_phone("+221700000000")
            .await
            .unwrap()
            .is_empty()
    );

    let a = crm.account("SNE100001").await.unwrap().unwrap();
    assert_eq!(a.full_name, "Mamadou Cissé");
    assert_eq!(a.area_code, "SN-DKR-MED");
    assert!(crm.account("SNE999999").await.unwrap().is_none());

    for typed in [
        "100001",
        "SNE100001",
        "sne100001",
        " SNE100001 ",
        "sne-100001",
    ] {
        let found = crm.account_by_number(typed).await.unwrap();
        assert_eq!(
            found.map(|a| a.account_no).as_deref(),
            Some("SNE100001"),
            "{typed}"
        );
    }
    for typed in ["", "1", "001", "999999", "SNE"] {
        assert!(
            crm.account_by_number(typed).await.unwrap().is_none(),
            "{typed}"
        );
    }

    for typed in ["284238577", "M284238577", "m284238577"] {
        let found = crm.account_by_meter(typed).await.unwrap();
        assert_eq!(
            found.map(|a| a.account_no).as_deref(),
            Some("SNE100002"),
            "{typed}"
        );
    }
    assert!(crm.account_by_meter("123").await.unwrap().is_none());
    assert!(crm.account_by_meter("000000000").await.unwrap().is_none());

    let area = crm.area("SN-DKR-PKN").await.unwrap().unwrap();
    assert_eq!(area.currency, "XOF");
    assert_eq!(area.languages, vec!["wo", "fr"]);
    assert!(crm.area("XX").await.unwrap().is_none());
}

#[tokio::test]
async fn sql_metacharacters_are_just_text() {
    let crm = loaded().await;
    let nasty = [
        "' OR '1'='1",
        "1' OR '1'='1",
        "x'; DROP TABLE customers; --",
        "%",
        "_",
        "\"",
        "\\",
        "1234%",
        "RC26%",
        ";",
    ];
    for s in nasty {
        assert!(crm.account_by_number(s).await.unwrap().is_none(), "{s}");
        assert!(crm.account_by_meter(s).await.unwrap().is_none(), "{s}");
        assert!(crm.account(s).await.unwrap().is_none(), "{s}");
        assert!(crm.accounts_for_phone(s).await.unwrap().is_empty(), "{s}");
        assert!(crm.ticket(s).await.unwrap().is_none(), "{s}");
        assert!(crm.outage_report(s).await.unwrap().is_none(), "{s}");
        assert!(crm.area(s).await.unwrap().is_none(), "{s}");
        assert!(crm.phone_language(s).await.unwrap().is_none(), "{s}");
        assert!(
            crm.open_tickets(s, &[s.to_string()])
                .await
                .unwrap()
                .is_empty(),
            "{s}"
        );
    }
    assert_eq!(crm.count("customers").await.unwrap(), 240);
    assert!(crm.count("customers; DROP TABLE areas").await.is_err());
}

#[tokio::test]
async fn bills_and_languages() {
    let crm = loaded().await;
    let bill = crm.latest_bill("SNW100000").await.unwrap().unwrap();
    assert_eq!(bill.period, "2026-10");
    assert_eq!(bill.bill_id, "B0000001");
    assert_eq!(bill.amount_minor, 66860);
    assert_eq!(bill.balance_minor(), 66860);
    assert_eq!(bill.issued_on.to_string(), "2026-10-28");
    assert!(crm.latest_bill("NOPE").await.unwrap().is_none());

    // A phone acting for two accounts saves its choice on both, and on itself.
    crm.save_language("+221706606044", "fr").await.unwrap();
    for account in crm.accounts_for_phone("+221706606044").await.unwrap() {
        assert_eq!(account.language.as_deref(), Some("fr"));
    }
    assert_eq!(
        crm.phone_language("+221706606044")
            .await
            .unwrap()
            .as_deref(),
        Some("fr")
    );
    // A phone linked to no account.
    assert!(crm.phone_language("+254700000001").await.unwrap().is_none());
    crm.save_language("+254700000001", "sw").await.unwrap();
    crm.save_language("+254700000001", "en").await.unwrap();
    assert_eq!(
        crm.phone_language("+254700000001")
            .await
            .unwrap()
            .as_deref(),
        Some("en")
    );
}

#[tokio::test]
async fn outages() {
    let crm = loaded().await;
    let active = crm
        .active_outage("SN-DKR-PKN", "electricity")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(active.outage_id, "OUT0001");
    assert_eq!(active.cause.as_deref(), Some("transformer fault"));
    assert!(
        crm.active_outage("SN-DKR-PKN", "water")
            .await
            .unwrap()
            .is_none()
    );
    // Scheduled, not active.
    assert!(
        crm.active_outage("KE-NBO-KIB", "electricity")
            .await
            .unwrap()
            .is_none()
    );

    let now = at(2026, 11, 22, 10, 0);
    let ids = |v: Vec<Outage>| v.into_iter().map(|o| o.outage_id).collect::<Vec<_>>();
    // Active past its expected end: still listed, it is not restored.
    assert_eq!(
        ids(crm.area_outages("SN-DKR-PKN", now).await.unwrap()),
        vec!["OUT0001"]
    );
    assert_eq!(
        ids(crm.area_outages("KE-NBO-KIB", now).await.unwrap()),
        vec!["OUT0002"]
    );
    // A scheduled outage that has ended by now is not listed.
    assert!(
        crm.area_outages("KE-NBO-KIB", at(2026, 11, 22, 16, 0))
            .await
            .unwrap()
            .is_empty()
    );
    // Resolved outages never are.
    assert!(
        crm.area_outages("SN-THS-CEN", at(2026, 11, 15, 10, 0))
            .await
            .unwrap()
            .is_empty()
    );
    let o = crm.outage("OUT0002").await.unwrap().unwrap();
    assert_eq!(o.starts_at, at(2026, 11, 22, 9, 0));
    assert_eq!(o.expected_end, Some(at(2026, 11, 22, 15, 0)));
    assert!(crm.outage("OUT9999").await.unwrap().is_none());
}

#[tokio::test]
async fn outage_reports_are_idempotent_and_counted() {
    let crm = loaded().await;
    assert_eq!(crm.outage_report_count("OUT0001").await.unwrap(), 0);
    let report = NewOutageReport {
        origin_key: "africastalking:ATUid_1:report".into(),
        outage_id: "OUT0001".into(),
        account_no: Some("SNE100002".into()),
        phone: Some("+221706606044".into()),
        channel: "ussd".into(),
        created_at: at(2026, 11, 20, 8, 30),
    };
    let first = crm.report_outage(&report).await.unwrap();
    let again = crm.report_outage(&report).await.unwrap();
    assert_eq!(first, again);
    assert_eq!(crm.outage_report_count("OUT0001").await.unwrap(), 1);
    assert_eq!(
        reference::parse_typed(&first.reference),
        Typed::Reference(first.reference.clone())
    );
    assert!(first.reference.starts_with("RC2611"));

    let other = NewOutageReport {
        origin_key: "africastalking:ATUid_2:report".into(),
        ..report.clone()
    };
    let second = crm.report_outage(&other).await.unwrap();
    assert_ne!(second.reference, first.reference);
    assert_eq!(crm.outage_report_count("OUT0001").await.unwrap(), 2);

    let read = crm.outage_report(&first.reference).await.unwrap().unwrap();
    assert_eq!(read, first);

    // Tickets and outage reports share one reference sequence.
    let ticket = crm
        .create_ticket(&new_ticket("k-after-report"))
        .await
        .unwrap();
    assert_ne!(ticket.ticket_ref, first.reference);
    assert_ne!(ticket.ticket_ref, second.reference);
}

#[tokio::test]
async fn tickets_are_idempotent_on_origin_key() {
    let crm = loaded().await;
    let before = crm.count("tickets").await.unwrap();

    let first = crm.create_ticket(&new_ticket("k1")).await.unwrap();
    let again = crm.create_ticket(&new_ticket("k1")).await.unwrap();
    assert_eq!(first, again);
    assert_eq!(crm.count("tickets").await.unwrap(), before + 1);
    assert_eq!(first.status, "open");
    assert_eq!(first.updated_at, first.created_at);
    assert_eq!(
        reference::parse_typed(&first.ticket_ref),
        Typed::Reference(first.ticket_ref.clone())
    );
    assert_eq!(
        first.ticket_ref,
        reference::new_reference(at(2026, 11, 22, 10, 0), 1)
    );

    let second = crm.create_ticket(&new_ticket("k2")).await.unwrap();
    assert_ne!(second.ticket_ref, first.ticket_ref);
    assert_eq!(
        reference::parse_typed(&second.ticket_ref),
        Typed::Reference(second.ticket_ref.clone())
    );
    assert_eq!(crm.count("tickets").await.unwrap(), before + 2);

    let read = crm.ticket(&first.ticket_ref).await.unwrap().unwrap();
    assert_eq!(read, first);
    let events = crm.ticket_events(&first.ticket_ref).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].0, first.created_at);
    assert_eq!(events[0].1, "created");

    // A ticket for a phone linked to no account.
    let anonymous = crm
        .create_ticket(&NewTicket {
            account_no: None,
            phone: Some("+254700000001".into()),
            ..new_ticket("k3")
        })
        .await
        .unwrap();
    assert_eq!(anonymous.account_no, None);
    let open = crm.open_tickets("+254700000001", &[]).await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].ticket_ref, anonymous.ticket_ref);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_filings_get_distinct_references() {
    // A file database, so that several pooled connections really write concurrently.
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("crm.db").display());
    let crm = SqliteCrm::connect(&url).await.unwrap();
    crm.import(&fixture()).await.unwrap();
    let crm = std::sync::Arc::new(crm);
    let mut handles = Vec::new();
    for i in 0..20 {
        let crm = crm.clone();
        handles.push(tokio::spawn(async move {
            // Every key filed twice, concurrently.
            let key = format!("k{}", i % 10);
            crm.create_ticket(&new_ticket(&key)).await.unwrap()
        }));
    }
    let mut refs = std::collections::BTreeMap::new();
    for h in handles {
        let t = h.await.unwrap();
        refs.entry(t.ticket_ref.clone()).or_insert(t);
    }
    assert_eq!(refs.len(), 10);
    assert_eq!(crm.count("tickets").await.unwrap(), 70);
}

#[tokio::test]
async fn imported_tickets_and_open_tickets() {
    let crm = loaded().await;
    let t = crm.ticket("RC261100001").await.unwrap().unwrap();
    assert_eq!(t.account_no.as_deref(), Some("SNE100001"));
    assert_eq!(t.status, "open");
    assert_eq!(t.created_at, at(2026, 11, 4, 5, 0));
    assert_eq!(t.note, None);
    let events = crm.ticket_events("RC261100001").await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].1, "created");
    assert!(crm.ticket("RC261199999").await.unwrap().is_none());

    let refs = |v: Vec<Ticket>| v.into_iter().map(|t| t.ticket_ref).collect::<Vec<_>>();
    // By phone, by account, or both.
    assert!(
        refs(crm.open_tickets("+221786562901", &[]).await.unwrap())
            .contains(&"RC261100001".to_string())
    );
    assert!(
        refs(
            crm.open_tickets("+000", &["SNE100001".to_string()])
                .await
                .unwrap()
        )
        .contains(&"RC261100001".to_string())
    );
    // Resolved tickets are not open.
    assert!(
        !refs(
            crm.open_tickets("+254114805895", &["KEW100009".to_string()])
                .await
                .unwrap()
        )
        .contains(&"RC261100003".to_string())
    );

    // Newest first, with a new ticket on top.
    let filed = crm.create_ticket(&new_ticket("k-open")).await.unwrap();
    let open = crm
        .open_tickets(
            "+221706606044",
            &["SNE100002".to_string(), "SNW100003".to_string()],
        )
        .await
        .unwrap();
    assert_eq!(open[0].ticket_ref, filed.ticket_ref);
    for pair in open.windows(2) {
        assert!(pair[0].created_at >= pair[1].created_at);
    }
    for t in &open {
        assert!(t.status == "open" || t.status == "in_progress");
    }
    // Many accounts at once (one placeholder each).
    let many: Vec<String> = (0..300).map(|i| format!("X{i}")).collect();
    assert!(crm.open_tickets("+000", &many).await.unwrap().is_empty());
}

#[tokio::test]
async fn callbacks_are_idempotent() {
    let crm = loaded().await;
    let cb = NewCallback {
        origin_key: "voice:CA1:callback".into(),
        phone: "+221706606044".into(),
        account_no: Some("SNE100002".into()),
        language: "wo".into(),
        channel: "voice".into(),
        created_at: at(2026, 11, 22, 10, 0),
    };
    let id = crm.create_callback(&cb).await.unwrap();
    assert_eq!(crm.create_callback(&cb).await.unwrap(), id);
    assert_eq!(crm.count("callback_tasks").await.unwrap(), 1);
    let other = crm
        .create_callback(&NewCallback {
            origin_key: "voice:CA2:callback".into(),
            account_no: None,
            ..cb.clone()
        })
        .await
        .unwrap();
    assert_ne!(other, id);
    assert_eq!(crm.count("callback_tasks").await.unwrap(), 2);
    let status: String = sqlx::query_scalar("SELECT status FROM callback_tasks WHERE id = ?")
        .bind(id)
        .fetch_one(crm.pool())
        .await
        .unwrap();
    assert_eq!(status, "pending");
}

fn interaction(session_id: &str) -> Interaction {
    Interaction {
        channel: "ussd".into(),
        gateway: "africastalking".into(),
        session_id: session_id.into(),
        phone: "+221706606044".into(),
        account_no: None,
        language: Some("wo".into()),
        path: "root".into(),
        outcome: None,
        hops: 1,
        started_at: at(2026, 11, 22, 10, 0),
        updated_at: at(2026, 11, 22, 10, 0),
        ended: false,
    }
}

#[tokio::test]
async fn interactions_upsert_and_session_end() {
    let crm = loaded().await;
    let mut i = interaction("ATUid_1");
    crm.record_interaction(&i).await.unwrap();
    i.path = "root>bill".into();
    i.account_no = Some("SNE100002".into());
    i.outcome = Some("bill_shown".into());
    i.hops = 2;
    i.updated_at = at(2026, 11, 22, 10, 1);
    i.ended = true;
    crm.record_interaction(&i).await.unwrap();
    assert_eq!(crm.count("interactions").await.unwrap(), 1);
    assert_eq!(
        crm.interaction("africastalking", "ATUid_1")
            .await
            .unwrap()
            .unwrap(),
        i
    );
    assert!(
        crm.interaction("africastalking", "other")
            .await
            .unwrap()
            .is_none()
    );

    let end = SessionEnd {
        gateway: "africastalking".into(),
        session_id: "ATUid_1".into(),
        status: "Success".into(),
        duration_ms: Some(12_345),
        hops_count: Some(2),
        input: Some("1".into()),
        last_app_response: Some("END Facture...".into()),
        error_message: None,
        cost: Some("KES 0.50".into()),
        phone: Some("+221706606044".into()),
        service_code: Some("*384*1#".into()),
        network_code: Some("60801".into()),
        date: Some("2026-11-22 10:01:05.000".into()),
    };
    crm.record_session_end(&end).await.unwrap();
    assert_eq!(crm.count("interactions").await.unwrap(), 1);
    // The engine's own record is unchanged...
    assert_eq!(
        crm.interaction("africastalking", "ATUid_1")
            .await
            .unwrap()
            .unwrap(),
        i
    );
    // ...and the notification is stored beside it.
    let (status, duration, cost): (String, i64, String) = sqlx::query_as(
        "SELECT end_status, end_duration_ms, end_cost FROM interactions \
         WHERE gateway = 'africastalking' AND session_id = 'ATUid_1'",
    )
    .fetch_one(crm.pool())
    .await
    .unwrap();
    assert_eq!(
        (status.as_str(), duration, cost.as_str()),
        ("Success", 12_345, "KES 0.50")
    );

    // A notification for a session never logged gets a row of its own.
    let orphan = SessionEnd {
        session_id: "ATUid_unknown".into(),
        status: "Failed".into(),
        hops_count: Some(3),
        phone: None,
        error_message: Some("timeout".into()),
        ..end.clone()
    };
    crm.record_session_end(&orphan).await.unwrap();
    let row = crm
        .interaction("africastalking", "ATUid_unknown")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.channel, "ussd");
    assert_eq!(row.phone, "");
    assert_eq!(row.path, "");
    assert_eq!(row.hops, 3);
    assert!(row.ended);
    assert_eq!(row.started_at, row.updated_at);
    assert_eq!(crm.count("interactions").await.unwrap(), 2);

    // The engine's late record fills in the row, keeping the earliest start.
    let late = Interaction {
        session_id: "ATUid_unknown".into(),
        started_at: at(2020, 1, 1, 0, 0),
        ..interaction("x")
    };
    crm.record_interaction(&late).await.unwrap();
    let row = crm
        .interaction("africastalking", "ATUid_unknown")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.phone, "+221706606044");
    assert_eq!(row.started_at, at(2020, 1, 1, 0, 0));
    let end_status: String = sqlx::query_scalar(
        "SELECT end_status FROM interactions WHERE session_id = 'ATUid_unknown'",
    )
    .fetch_one(crm.pool())
    .await
    .unwrap();
    assert_eq!(end_status, "Failed");
}
