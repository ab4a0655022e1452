//! The CRM stores against the canonical crm-demo fixture. Every scenario is ONE test body run
//! on both backends, SQLite (`sqlite_*`) and PostgreSQL (`postgres_*`), so the two stores can
//! never drift apart.
//!
//! The PostgreSQL tests need a server: `DALAL_TEST_POSTGRES_URL` names a database on it that
//! the tests may connect to (e.g. `postgres://postgres@127.0.0.1:55432/dalal_test`); each test
//! creates a fresh database of its own there, so tests run in parallel, and drops it when done.
//! Without the variable they fail: run `tests/run-all.sh`, which starts PostgreSQL.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Deref;
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use dalal::domain::*;
use dalal::import::{self, Dataset};
use dalal::reference::{self, Typed};
use dalal::store::postgres::PgCrm;
use dalal::store::sqlite::SqliteCrm;
use dalal::store::{CrmStore, ImportSummary};

use crate::support;
use support::FIXTURE;
use support::backend::{Backend, Crm};
use support::pg::{TestDatabase, with_database};

fn fixture() -> Dataset {
    import::read_dir(Path::new(FIXTURE)).unwrap_or_else(|e| panic!("fixture invalid:\n{e}"))
}

on_both! {
    opt_outs_and_survey_invitations_follow_their_rules:
        sqlite_opt_outs_and_survey_invitations_follow_their_rules,
        postgres_opt_outs_and_survey_invitations_follow_their_rules;
    prepaid_tokens_and_meter_readings_import_read_and_file_once:
        sqlite_prepaid_tokens_and_meter_readings_import_read_and_file_once,
        postgres_prepaid_tokens_and_meter_readings_import_read_and_file_once;
    a_token_resend_and_a_reading_retried_at_once_are_filed_once:
        sqlite_a_token_resend_and_a_reading_retried_at_once_are_filed_once,
        postgres_a_token_resend_and_a_reading_retried_at_once_are_filed_once;
    area_zones_are_imported_and_reimport_clears_them:
        sqlite_area_zones_are_imported_and_reimport_clears_them,
        postgres_area_zones_are_imported_and_reimport_clears_them;
    a_repeat_complaint_adds_an_event_to_the_pending_ticket:
        sqlite_a_repeat_complaint_adds_an_event_to_the_pending_ticket,
        postgres_a_repeat_complaint_adds_an_event_to_the_pending_ticket;
    connection_requests_are_filed_once_and_repeats_told_their_reference:
        sqlite_connection_requests_are_filed_once_and_repeats_told_their_reference,
        postgres_connection_requests_are_filed_once_and_repeats_told_their_reference;
    areas_are_listed_by_name:
        sqlite_areas_are_listed_by_name,
        postgres_areas_are_listed_by_name;
    import_counts_and_reimport_is_idempotent:
        sqlite_import_counts_and_reimport_is_idempotent,
        postgres_import_counts_and_reimport_is_idempotent;
    reimport_keeps_a_language_chosen_on_the_phone:
        sqlite_reimport_keeps_a_language_chosen_on_the_phone,
        postgres_reimport_keeps_a_language_chosen_on_the_phone;
    account_lookups: sqlite_account_lookups, postgres_account_lookups;
    lookups_fold_ascii_case_only_and_order_by_bytes:
        sqlite_lookups_fold_ascii_case_only_and_order_by_bytes,
        postgres_lookups_fold_ascii_case_only_and_order_by_bytes;
    sql_metacharacters_are_just_text:
        sqlite_sql_metacharacters_are_just_text,
        postgres_sql_metacharacters_are_just_text;
    nul_characters_are_just_text:
        sqlite_nul_characters_are_just_text,
        postgres_nul_characters_are_just_text;
    bills_and_languages: sqlite_bills_and_languages, postgres_bills_and_languages;
    bill_statements_total_every_open_bill:
        sqlite_bill_statements_total_every_open_bill,
        postgres_bill_statements_total_every_open_bill;
    outages: sqlite_outages, postgres_outages;
    outage_reports_are_idempotent_and_counted:
        sqlite_outage_reports_are_idempotent_and_counted,
        postgres_outage_reports_are_idempotent_and_counted;
    tickets_are_idempotent_on_origin_key:
        sqlite_tickets_are_idempotent_on_origin_key,
        postgres_tickets_are_idempotent_on_origin_key;
    new_references_pass_over_imported_ones:
        sqlite_new_references_pass_over_imported_ones,
        postgres_new_references_pass_over_imported_ones;
    timestamps_keep_whole_seconds:
        sqlite_timestamps_keep_whole_seconds,
        postgres_timestamps_keep_whole_seconds;
    imported_tickets_and_open_tickets:
        sqlite_imported_tickets_and_open_tickets,
        postgres_imported_tickets_and_open_tickets;
    callbacks_are_idempotent: sqlite_callbacks_are_idempotent, postgres_callbacks_are_idempotent;
    interactions_upsert_and_session_end:
        sqlite_interactions_upsert_and_session_end,
        postgres_interactions_upsert_and_session_end;
    interaction_batches_insert_and_update_together:
        sqlite_interaction_batches_insert_and_update_together,
        postgres_interaction_batches_insert_and_update_together;
    outage_filings_attach_to_a_known_outage:
        sqlite_outage_filings_attach_to_a_known_outage,
        postgres_outage_filings_attach_to_a_known_outage;
    a_scheduled_outage_takes_reports_within_its_window_only:
        sqlite_a_scheduled_outage_takes_reports_within_its_window_only,
        postgres_a_scheduled_outage_takes_reports_within_its_window_only;
    outage_storm_opens_one_suspected_outage:
        sqlite_outage_storm_opens_one_suspected_outage,
        postgres_outage_storm_opens_one_suspected_outage;
    outage_storm_window_and_threshold:
        sqlite_outage_storm_window_and_threshold,
        postgres_outage_storm_window_and_threshold;
}

// ---------------------------------------------------------------------------------------------
// Helpers

async fn load(crm: &Backend) {
    crm.import(&fixture()).await.unwrap();
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
        place: None,
    }
}

const TABLES: [&str; 6] = [
    "areas",
    "customers",
    "bills",
    "tickets",
    "outages",
    "ticket_events",
];

async fn counts(crm: &Backend) -> Vec<i64> {
    let mut out = Vec::new();
    for t in TABLES {
        out.push(crm.count(t).await.unwrap());
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Scenarios

async fn import_counts_and_reimport_is_idempotent(crm: &Backend) {
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
            vends: 0,
            meter_readings: 0,
        }
    );
    assert!(!crm.is_empty().await.unwrap());
    let first = counts(crm).await;
    assert_eq!(first, vec![14, 240, 1440, 60, 5, 60]);

    crm.import(&data).await.unwrap();
    assert_eq!(counts(crm).await, first);

    // The embedded demo is the same dataset, plus the optional files the project adds for
    // the same customers (prepaid purchases, meter readings).
    let mut demo = import::read_embedded_demo();
    assert_eq!((demo.vends.len(), demo.meter_readings.len()), (232, 1092));
    demo.vends.clear();
    demo.meter_readings.clear();
    assert_eq!(demo, data);

    // What was imported reads back as it was.
    for c in data.customers.iter().step_by(17) {
        assert_eq!(crm.account(&c.account_no).await.unwrap().as_ref(), Some(c));
    }
    for t in data.tickets.iter().step_by(7) {
        assert_eq!(crm.ticket(&t.ticket_ref).await.unwrap().as_ref(), Some(t));
    }
    for o in &data.outages {
        assert_eq!(crm.outage(&o.outage_id).await.unwrap().as_ref(), Some(o));
    }
    for a in &data.areas {
        assert_eq!(crm.area(&a.area_code).await.unwrap().as_ref(), Some(a));
    }
}

/// `area_zones.csv`, optional beside the fixture, gives areas their zone; a dataset without it
/// leaves every area on its country's zone.
async fn prepaid_tokens_and_meter_readings_import_read_and_file_once(crm: &Backend) {
    let data = import::read_embedded_demo();
    let summary = crm.import(&data).await.unwrap();
    assert_eq!((summary.vends, summary.meter_readings), (232, 1092));
    // Idempotent: a second import changes nothing.
    crm.import(&data).await.unwrap();
    let counted: (i64, i64) = crm
        .row("SELECT (SELECT COUNT(*) FROM vends), (SELECT COUNT(*) FROM meter_readings)".into())
        .await;
    assert_eq!(counted, (232, 1092));

    // The latest purchases, newest first, as imported.
    let mut expected: Vec<&Vend> = data
        .vends
        .iter()
        .filter(|v| v.account_no == "SNE100044")
        .collect();
    expected.sort_by_key(|v| std::cmp::Reverse(v.vended_at));
    let got = crm.recent_vends("SNE100044", 3).await.unwrap();
    assert_eq!(got.len(), 3);
    for (g, e) in got.iter().zip(&expected) {
        assert_eq!(g, *e);
    }
    assert!(crm.recent_vends("SNW100000", 3).await.unwrap().is_empty());

    // A resend queues one SMS per request, holding the latest token.
    let resend = TokenResend {
        account_no: "SNE100044".into(),
        phone: "+221702876303".into(),
        origin_key: "africastalking:S1:resend_token:".into(),
    };
    let first = crm.resend_token(&resend).await.unwrap().unwrap();
    assert_eq!(&first, expected[0]);
    assert_eq!(crm.resend_token(&resend).await.unwrap().unwrap(), first);
    let queued: (i64, String) = crm
        .row(
            "SELECT COUNT(*), MAX(detail) FROM sms_outbox WHERE kind = 'token_resend' \
             AND phone = '+221702876303'"
                .into(),
        )
        .await;
    assert_eq!(queued, (1, first.token.clone()));
    let again = TokenResend {
        origin_key: "africastalking:S2:resend_token:".into(),
        ..resend.clone()
    };
    crm.resend_token(&again).await.unwrap().unwrap();
    let queued: (i64,) = crm
        .row("SELECT COUNT(*) FROM sms_outbox WHERE kind = 'token_resend'".into())
        .await;
    assert_eq!(queued.0, 2, "a new request is a new SMS");
    let none = TokenResend {
        account_no: "SNW100000".into(),
        origin_key: "africastalking:S3:resend_token:".into(),
        ..resend
    };
    assert_eq!(crm.resend_token(&none).await.unwrap(), None);

    // Readings newest first; a self-reading gets a reference and is filed once.
    let readings = crm.meter_readings("SNW100000", 13).await.unwrap();
    assert_eq!(readings.len(), 6);
    assert!(readings.windows(2).all(|w| w[0].read_on > w[1].read_on));
    let at = Utc.with_ymd_and_hms(2026, 11, 30, 10, 0, 0).unwrap();
    let new = NewMeterReading {
        account_no: "SNW100000".into(),
        meter_no: "W717551595".into(),
        reading: readings[0].reading + 20,
        read_on: at.date_naive(),
        phone: "+221786452821".into(),
        channel: "ussd".into(),
        at,
        origin_key: "africastalking:S4:submit_reading:".into(),
    };
    let stored = crm.submit_meter_reading(&new).await.unwrap();
    assert!(matches!(
        reference::parse_typed(&stored.reading_id),
        Typed::Reference(_)
    ));
    assert_eq!(stored.source, "customer");
    let retried = crm.submit_meter_reading(&new).await.unwrap();
    assert_eq!(retried, stored);
    let latest = crm.meter_readings("SNW100000", 1).await.unwrap();
    assert_eq!(latest, vec![stored]);
    let customer_rows: (i64,) = crm
        .row("SELECT COUNT(*) FROM meter_readings WHERE source = 'customer'".into())
        .await;
    assert_eq!(customer_rows.0, 1);
}

/// A gateway retry racing its original (on PostgreSQL, two connections at once): one SMS, one
/// reading, and both get the same answer.
async fn a_token_resend_and_a_reading_retried_at_once_are_filed_once(crm: &Backend) {
    crm.import(&import::read_embedded_demo()).await.unwrap();
    let resend = TokenResend {
        account_no: "SNE100044".into(),
        phone: "+221702876303".into(),
        origin_key: "africastalking:R1:resend_token:".into(),
    };
    let (first, retry) = tokio::join!(crm.resend_token(&resend), crm.resend_token(&resend));
    let first = first.unwrap().expect("the account bought tokens");
    assert_eq!(retry.unwrap(), Some(first.clone()));
    let queued: (i64, String) = crm
        .row("SELECT COUNT(*), MAX(detail) FROM sms_outbox WHERE kind = 'token_resend'".into())
        .await;
    assert_eq!(queued, (1, first.token));

    let at = Utc.with_ymd_and_hms(2026, 11, 30, 10, 0, 0).unwrap();
    let latest = crm.meter_readings("SNW100000", 1).await.unwrap();
    let new = NewMeterReading {
        account_no: "SNW100000".into(),
        meter_no: "W717551595".into(),
        reading: latest[0].reading + 20,
        read_on: at.date_naive(),
        phone: "+221786452821".into(),
        channel: "ussd".into(),
        at,
        origin_key: "africastalking:R2:submit_reading:".into(),
    };
    let (first, retry) = tokio::join!(
        crm.submit_meter_reading(&new),
        crm.submit_meter_reading(&new)
    );
    let first = first.unwrap();
    assert_eq!(retry.unwrap(), first);
    assert_eq!(first.reading, new.reading);
    let customer_rows: (i64,) = crm
        .row("SELECT COUNT(*) FROM meter_readings WHERE source = 'customer'".into())
        .await;
    assert_eq!(customer_rows.0, 1);
    // The next request is a new reading, with a reference of its own.
    let next = NewMeterReading {
        origin_key: "africastalking:R3:submit_reading:".into(),
        ..new
    };
    let second = crm.submit_meter_reading(&next).await.unwrap();
    assert_ne!(second.reading_id, first.reading_id);
}

async fn area_zones_are_imported_and_reimport_clears_them(crm: &Backend) {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(FIXTURE).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "csv") {
            std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    std::fs::write(
        dir.path().join(import::AREA_ZONES_FILE),
        "area_code,timezone\nSN-DKR-PLT,Africa/Dakar\nKE-NBO-KIB,Indian/Antananarivo\n",
    )
    .unwrap();
    let zoned = import::read_dir(dir.path()).unwrap();
    crm.import(&zoned).await.unwrap();
    let zone = |code: &'static str| async move { crm.area(code).await.unwrap().unwrap().timezone };
    assert_eq!(zone("SN-DKR-PLT").await.as_deref(), Some("Africa/Dakar"));
    assert_eq!(
        zone("KE-NBO-KIB").await.as_deref(),
        Some("Indian/Antananarivo")
    );
    assert_eq!(zone("SN-DKR-MED").await, None);
    for a in &zoned.areas {
        assert_eq!(crm.area(&a.area_code).await.unwrap().as_ref(), Some(a));
    }

    // The CRM's next export has no zones: the areas go back to their country's.
    crm.import(&fixture()).await.unwrap();
    assert_eq!(zone("SN-DKR-PLT").await, None);
    assert_eq!(zone("KE-NBO-KIB").await, None);

    // An unknown zone is refused with its line.
    std::fs::write(
        dir.path().join(import::AREA_ZONES_FILE),
        "area_code,timezone\nSN-DKR-PLT,Africa/Dakar\nKE-NBO-KIB,Africa/Nairobbi\n",
    )
    .unwrap();
    let err = import::read_dir(dir.path()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "area_zones.csv:3: timezone `Africa/Nairobbi` is not a zone of the IANA time zone database"
    );
}

async fn reimport_keeps_a_language_chosen_on_the_phone(crm: &Backend) {
    load(crm).await;
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

    // A language set in the CRM wins over the one chosen on the phone.
    let known = data
        .customers
        .iter()
        .find(|c| c.language.is_some() && c.phone.is_some())
        .expect("fixture has customers with a language");
    let phone = known.phone.clone().unwrap();
    let other = if known.language.as_deref() == Some("sw") {
        "en"
    } else {
        "sw"
    };
    crm.save_language(&phone, other).await.unwrap();
    crm.import(&data).await.unwrap();
    let account = crm.account(&known.account_no).await.unwrap().unwrap();
    assert_eq!(account.language, known.language);
}

async fn account_lookups(crm: &Backend) {
    load(crm).await;

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
    // `account` is exact: no case folding, no digits.
    assert!(crm.account("sne100001").await.unwrap().is_none());
    assert!(crm.account("100001").await.unwrap().is_none());

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

/// A small dataset whose account numbers differ only in case, or hold non-ASCII letters.
fn case_dataset() -> Dataset {
    let mut data = fixture();
    let template = data.customers[0].clone();
    let phone = "+221700000777".to_string();
    for (account_no, meter_no) in [
        ("zz900001", "mx-5550001"),
        ("ZZ900002", "MX-5550002"),
        ("Zz900003", "Éx-5550003"),
        ("ÉLEC-7", "ÉM-7"),
    ] {
        data.customers.push(Account {
            account_no: account_no.into(),
            meter_no: meter_no.into(),
            phone: Some(phone.clone()),
            alt_phone: None,
            ..template.clone()
        });
    }
    data
}

async fn lookups_fold_ascii_case_only_and_order_by_bytes(crm: &Backend) {
    crm.import(&case_dataset()).await.unwrap();

    // Byte order, as SQLite's BINARY collation: upper case before lower case, É last.
    let accounts = crm.accounts_for_phone("+221700000777").await.unwrap();
    let numbers: Vec<&str> = accounts.iter().map(|a| a.account_no.as_str()).collect();
    assert_eq!(numbers, vec!["ZZ900002", "Zz900003", "zz900001", "ÉLEC-7"]);

    // ASCII letters fold; the exact match wins over the digits.
    for (typed, want) in [
        ("ZZ900001", "zz900001"),
        ("zz900002", "ZZ900002"),
        ("zZ900003", "Zz900003"),
        ("900002", "ZZ900002"),
        ("ÉLEC-7", "ÉLEC-7"),
        ("Élec-7", "ÉLEC-7"),
    ] {
        let found = crm.account_by_number(typed).await.unwrap();
        assert_eq!(
            found.map(|a| a.account_no).as_deref(),
            Some(want),
            "{typed}"
        );
    }
    // Non-ASCII letters do not fold (SQLite's NOCASE), and one digit is too few.
    assert!(crm.account_by_number("élec-7").await.unwrap().is_none());

    for (typed, want) in [
        ("MX-5550001", "zz900001"),
        ("mx-5550002", "ZZ900002"),
        ("ÉX-5550003", "Zz900003"),
        ("éx-5550003", "Zz900003"), // not folded, found by its digits
        ("5550002", "ZZ900002"),
    ] {
        let found = crm.account_by_meter(typed).await.unwrap();
        assert_eq!(
            found.map(|a| a.account_no).as_deref(),
            Some(want),
            "{typed}"
        );
    }
    assert!(crm.account_by_meter("ém-7").await.unwrap().is_none());
    assert_eq!(
        crm.account_by_meter("ÉM-7")
            .await
            .unwrap()
            .map(|a| a.account_no)
            .as_deref(),
        Some("ÉLEC-7")
    );
}

async fn sql_metacharacters_are_just_text(crm: &Backend) {
    load(crm).await;
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
        "$1",
        "?",
        "?1",
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
    assert!(crm.count("pg_user").await.is_err());
    assert!(crm.count("sqlite_master").await.is_err());
}

async fn nul_characters_are_just_text(crm: &Backend) {
    load(crm).await;
    for s in [
        "\0",
        "SNE100001\0",
        "+221706606044\0",
        "RC261100001\0",
        "\0x",
    ] {
        assert!(crm.account(s).await.unwrap().is_none(), "{s:?}");
        assert!(crm.accounts_for_phone(s).await.unwrap().is_empty(), "{s:?}");
        assert!(crm.ticket(s).await.unwrap().is_none(), "{s:?}");
        assert!(crm.ticket_events(s).await.unwrap().is_empty(), "{s:?}");
        assert!(crm.outage_report(s).await.unwrap().is_none(), "{s:?}");
        assert!(crm.outage(s).await.unwrap().is_none(), "{s:?}");
        assert_eq!(crm.outage_report_count(s).await.unwrap(), 0, "{s:?}");
        assert!(crm.area(s).await.unwrap().is_none(), "{s:?}");
        assert!(crm.latest_bill(s).await.unwrap().is_none(), "{s:?}");
        assert!(crm.phone_language(s).await.unwrap().is_none(), "{s:?}");
        assert!(crm.active_outage(s, "electricity").await.unwrap().is_none());
        assert!(
            crm.area_outages(s, at(2026, 11, 22, 10, 0))
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            crm.interaction("africastalking", s)
                .await
                .unwrap()
                .is_none()
        );
        assert!(crm.open_tickets(s, &[s.into()]).await.unwrap().is_empty());
    }
    // A NUL does not hide the digits, nor the other accounts of a list.
    let found = crm.account_by_number("SNE1000\u{0}01").await.unwrap();
    assert_eq!(found.map(|a| a.account_no).as_deref(), Some("SNE100001"));
    let found = crm.account_by_meter("M284\u{0}238577").await.unwrap();
    assert_eq!(found.map(|a| a.account_no).as_deref(), Some("SNE100002"));
    let open = crm
        .open_tickets("\0", &["\0".into(), "SNE100001".into()])
        .await
        .unwrap();
    assert!(open.iter().any(|t| t.ticket_ref == "RC261100001"));

    // The gateway's end notification is free text: a NUL in it is stored, never an error.
    let end = SessionEnd {
        gateway: "africastalking".into(),
        session_id: "ATUid_nul".into(),
        status: "Failed".into(),
        input: Some("1*\0".into()),
        error_message: Some("bad\0byte".into()),
        ..SessionEnd::default()
    };
    crm.record_session_end(&end).await.unwrap();
    let row = crm
        .interaction("africastalking", "ATUid_nul")
        .await
        .unwrap()
        .unwrap();
    assert!(row.ended);
}

async fn bills_and_languages(crm: &Backend) {
    load(crm).await;
    let bill = crm.latest_bill("SNW100000").await.unwrap().unwrap();
    assert_eq!(bill.period, "2026-10");
    assert_eq!(bill.bill_id, "B0000001");
    assert_eq!(bill.amount_minor, 66860);
    assert_eq!(bill.balance_minor(), 66860);
    assert_eq!(bill.issued_on.to_string(), "2026-10-28");
    assert_eq!(bill.due_on.to_string(), "2026-11-12");
    assert!(crm.latest_bill("NOPE").await.unwrap().is_none());
    // Every account's latest bill is the one with the greatest period.
    let data = fixture();
    for c in data.customers.iter().step_by(23) {
        let want = data
            .bills
            .iter()
            .filter(|b| b.account_no == c.account_no)
            .max_by(|a, b| {
                (&a.period, a.issued_on, &a.bill_id).cmp(&(&b.period, b.issued_on, &b.bill_id))
            });
        assert_eq!(
            crm.latest_bill(&c.account_no).await.unwrap().as_ref(),
            want,
            "{}",
            c.account_no
        );
    }

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

/// The latest bill with the account's total due over its unpaid and partly paid bills.
async fn bill_statements_total_every_open_bill(crm: &Backend) {
    load(crm).await;
    // KEW100012: the latest partly paid (KSh 4,484.25 left), August's unpaid (KSh 746.00).
    let s = crm.bill_statement("KEW100012").await.unwrap().unwrap();
    assert_eq!(s.latest.bill_id, "B0000073");
    assert_eq!(s.total_due_minor, 448_425 + 74_600);
    assert_eq!(s.open_bills, 2);
    assert_eq!(s.older_open_bills(), 1);
    // KEE100010: the latest paid, August's unpaid.
    let s = crm.bill_statement("KEE100010").await.unwrap().unwrap();
    assert_eq!(s.latest.status, "paid");
    assert_eq!((s.total_due_minor, s.open_bills), (235_800, 1));
    assert_eq!(s.older_open_bills(), 1);
    // SNW100000: only the latest open.
    let s = crm.bill_statement("SNW100000").await.unwrap().unwrap();
    assert_eq!((s.total_due_minor, s.open_bills), (66_860, 1));
    assert_eq!(s.older_open_bills(), 0);
    assert!(crm.bill_statement("NOPE").await.unwrap().is_none());
    // Every account agrees with the fixture, summed by hand.
    let data = fixture();
    for c in data.customers.iter().step_by(7) {
        let open: Vec<_> = data
            .bills
            .iter()
            .filter(|b| b.account_no == c.account_no && b.is_open())
            .collect();
        let got = crm.bill_statement(&c.account_no).await.unwrap();
        assert_eq!(
            got.as_ref().map(|s| s.latest.clone()),
            crm.latest_bill(&c.account_no).await.unwrap(),
            "{}",
            c.account_no
        );
        if let Some(s) = got {
            let total: i64 = open.iter().map(|b| b.balance_minor()).sum();
            assert_eq!(s.total_due_minor, total, "{}", c.account_no);
            assert_eq!(s.open_bills, open.len() as i64, "{}", c.account_no);
        }
    }
}

async fn outages(crm: &Backend) {
    load(crm).await;
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
    // A scheduled outage is listed until the second it ends, not at it.
    let end = at(2026, 11, 22, 15, 0);
    let just_before = end - chrono::Duration::milliseconds(500);
    assert_eq!(
        ids(crm.area_outages("KE-NBO-KIB", just_before).await.unwrap()),
        vec!["OUT0002"]
    );
    assert!(
        crm.area_outages("KE-NBO-KIB", end)
            .await
            .unwrap()
            .is_empty()
    );
    let just_after = end + chrono::Duration::milliseconds(500);
    assert!(
        crm.area_outages("KE-NBO-KIB", just_after)
            .await
            .unwrap()
            .is_empty()
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

async fn outage_reports_are_idempotent_and_counted(crm: &Backend) {
    load(crm).await;
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
    // The first number the store draws is 1.
    assert_eq!(
        first.reference,
        reference::new_reference(at(2026, 11, 20, 8, 30), 1)
    );

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

    // A report on an outage the CRM does not know is refused.
    let unknown = NewOutageReport {
        origin_key: "africastalking:ATUid_3:report".into(),
        outage_id: "OUT9999".into(),
        ..report.clone()
    };
    assert!(crm.report_outage(&unknown).await.is_err());
    assert_eq!(crm.count("outage_reports").await.unwrap(), 2);
}

/// The CRM may hold references in dalal's own format (re-imported from an export): a new
/// filing never reuses one, whichever the table.
async fn new_references_pass_over_imported_ones(crm: &Backend) {
    let mut data = fixture();
    let created = new_ticket("x").created_at;
    let template = data.tickets[0].clone();
    let imported: Vec<String> = (0..40)
        .map(|n| dalal::reference::new_reference(created, n))
        .collect();
    for (n, reference) in imported.iter().enumerate() {
        data.tickets.push(Ticket {
            ticket_ref: reference.clone(),
            phone: Some(format!("+22170{n:07}")),
            ..template.clone()
        });
    }
    crm.import(&data).await.unwrap();
    let ticket = crm
        .create_ticket(&new_ticket("fresh-ticket"))
        .await
        .unwrap();
    assert!(
        !imported.contains(&ticket.ticket_ref),
        "{} was imported already",
        ticket.ticket_ref
    );
    let policy = StormPolicy {
        threshold: 0,
        window: chrono::Duration::minutes(30),
    };
    let filed = crm
        .file_outage_report(
            &filing("fresh-report", "SN-DKR-PKN", "electricity", created),
            &policy,
        )
        .await
        .unwrap();
    let reference = match &filed {
        OutageFiling::Ticket(t) => t.ticket_ref.clone(),
        OutageFiling::Attached { report, .. } => report.reference.clone(),
    };
    assert!(
        !imported.contains(&reference),
        "{reference} was imported already"
    );
    assert_ne!(reference, ticket.ticket_ref);
    assert_eq!(
        crm.ticket(&ticket.ticket_ref)
            .await
            .unwrap()
            .unwrap()
            .status,
        "open"
    );
}

async fn a_repeat_complaint_adds_an_event_to_the_pending_ticket(crm: &Backend) {
    load(crm).await;
    let before = crm.count("tickets").await.unwrap();
    let ComplaintFiling::New(first) = crm.file_complaint(&new_ticket("c1")).await.unwrap() else {
        panic!("a first complaint is a new ticket");
    };
    // A retry of the first filing: the same new ticket.
    assert_eq!(
        crm.file_complaint(&new_ticket("c1")).await.unwrap(),
        ComplaintFiling::New(first.clone())
    );
    // Another session, the same account and category, while it is open: a repeat.
    let later = NewTicket {
        created_at: at(2026, 11, 23, 9, 0),
        ..new_ticket("c2")
    };
    let repeat = crm.file_complaint(&later).await.unwrap();
    assert_eq!(repeat, ComplaintFiling::Repeat(first.clone()));
    // Its retry, and a retry racing it: the same answer, no second event.
    let (a, b) = tokio::join!(crm.file_complaint(&later), crm.file_complaint(&later));
    assert_eq!(a.unwrap(), repeat);
    assert_eq!(b.unwrap(), repeat);
    assert_eq!(crm.count("tickets").await.unwrap(), before + 1);
    let events = crm.ticket_events(&first.ticket_ref).await.unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.1.as_str()).collect();
    assert_eq!(kinds, ["created", "customer_called_again"]);
    assert_eq!(
        crm.latest_ticket_event(&first.ticket_ref).await.unwrap(),
        Some((
            at(2026, 11, 23, 9, 0),
            "customer_called_again".to_string(),
            None
        ))
    );
    // Two more sessions at once: two events, still one ticket.
    let (c3, c4) = (new_ticket("c3"), new_ticket("c4"));
    let (c, d) = tokio::join!(crm.file_complaint(&c3), crm.file_complaint(&c4));
    assert_eq!(c.unwrap(), ComplaintFiling::Repeat(first.clone()));
    assert_eq!(d.unwrap(), ComplaintFiling::Repeat(first.clone()));
    assert_eq!(crm.ticket_events(&first.ticket_ref).await.unwrap().len(), 4);
    assert_eq!(crm.count("tickets").await.unwrap(), before + 1);
    // Another category, or no account: a new ticket.
    let other = NewTicket {
        category: "billing_dispute".into(),
        ..new_ticket("c5")
    };
    assert!(matches!(
        crm.file_complaint(&other).await.unwrap(),
        ComplaintFiling::New(t) if t.ticket_ref != first.ticket_ref
    ));
    let anonymous = NewTicket {
        account_no: None,
        ..new_ticket("c6")
    };
    assert!(matches!(
        crm.file_complaint(&anonymous).await.unwrap(),
        ComplaintFiling::New(_)
    ));
    assert_eq!(crm.count("tickets").await.unwrap(), before + 3);
}

fn connection_request(origin_key: &str) -> NewConnectionRequest {
    NewConnectionRequest {
        origin_key: origin_key.to_string(),
        account_no: Some("SNE100002".into()),
        phone: Some("+221706606044".into()),
        service: "water".into(),
        area_code: "SN-DKR-PKN".into(),
        channel: "ussd".into(),
        created_at: at(2026, 11, 22, 10, 0),
        sla_due_at: Some(at(2026, 12, 7, 10, 0)),
    }
}

async fn connection_requests_are_filed_once_and_repeats_told_their_reference(crm: &Backend) {
    load(crm).await;
    let before = crm.count("tickets").await.unwrap();
    let ComplaintFiling::New(first) = crm
        .file_connection_request(&connection_request("n1"))
        .await
        .unwrap()
    else {
        panic!("a first request is a new ticket");
    };
    assert_eq!(
        (first.category.as_str(), first.status.as_str()),
        ("new_connection", "open")
    );
    assert_eq!(
        crm.connection_request(&first.ticket_ref).await.unwrap(),
        Some(ConnectionRequest {
            ticket_ref: first.ticket_ref.clone(),
            service: "water".into(),
            area_code: "SN-DKR-PKN".into(),
            account_no: Some("SNE100002".into()),
        })
    );
    assert_eq!(
        crm.ticket(&first.ticket_ref).await.unwrap(),
        Some(first.clone())
    );
    // Retries, one racing another: the same ticket, nothing more written.
    let retry = connection_request("n1");
    let (a, b) = tokio::join!(
        crm.file_connection_request(&retry),
        crm.file_connection_request(&retry)
    );
    assert_eq!(a.unwrap(), ComplaintFiling::New(first.clone()));
    assert_eq!(b.unwrap(), ComplaintFiling::New(first.clone()));
    assert_eq!(crm.count("connection_requests").await.unwrap(), 1);
    assert_eq!(crm.count("tickets").await.unwrap(), before + 1);

    // The same account from another phone, and the same phone with no account, while it is
    // pending: repeats, each one event, at once or retried.
    let by_account = NewConnectionRequest {
        phone: Some("+221700000001".into()),
        created_at: at(2026, 11, 23, 9, 0),
        ..connection_request("n2")
    };
    let by_phone = NewConnectionRequest {
        account_no: None,
        ..connection_request("n3")
    };
    let (c, d) = tokio::join!(
        crm.file_connection_request(&by_account),
        crm.file_connection_request(&by_phone)
    );
    assert_eq!(c.unwrap(), ComplaintFiling::Repeat(first.clone()));
    assert_eq!(d.unwrap(), ComplaintFiling::Repeat(first.clone()));
    assert_eq!(
        crm.file_connection_request(&by_account).await.unwrap(),
        ComplaintFiling::Repeat(first.clone())
    );
    let events = crm.ticket_events(&first.ticket_ref).await.unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.1.as_str()).collect();
    assert_eq!(
        kinds,
        ["created", "customer_called_again", "customer_called_again"]
    );
    assert_eq!(crm.count("tickets").await.unwrap(), before + 1);

    // Another service, another area, or another customer: new requests.
    for (key, request) in [
        (
            "n4",
            NewConnectionRequest {
                service: "electricity".into(),
                ..connection_request("n4")
            },
        ),
        (
            "n5",
            NewConnectionRequest {
                area_code: "SN-DKR-MED".into(),
                ..connection_request("n5")
            },
        ),
        (
            "n6",
            NewConnectionRequest {
                account_no: None,
                phone: Some("+221700000002".into()),
                ..connection_request("n6")
            },
        ),
    ] {
        let filed = crm.file_connection_request(&request).await.unwrap();
        assert!(
            matches!(&filed, ComplaintFiling::New(t) if t.ticket_ref != first.ticket_ref),
            "{key}: {filed:?}"
        );
    }
    assert_eq!(crm.count("connection_requests").await.unwrap(), 4);

    // Once the first is resolved, asking again is a new request.
    crm.exec(format!(
        "UPDATE tickets SET status = 'resolved' WHERE ticket_ref = '{}'",
        first.ticket_ref
    ))
    .await;
    let again = crm
        .file_connection_request(&connection_request("n7"))
        .await
        .unwrap();
    assert!(
        matches!(&again, ComplaintFiling::New(t) if t.ticket_ref != first.ticket_ref),
        "{again:?}"
    );
    // An imported `new_connection` ticket (RC261100025, open) records no service nor area:
    // no request repeats it.
    assert_eq!(crm.connection_request("RC261100025").await.unwrap(), None);
    let imported_customer = NewConnectionRequest {
        account_no: Some("KEE100097".into()),
        phone: Some("+254728656314".into()),
        area_code: "KE-NBO-KIB".into(),
        ..connection_request("n8")
    };
    assert!(matches!(
        crm.file_connection_request(&imported_customer).await.unwrap(),
        ComplaintFiling::New(t) if t.ticket_ref != "RC261100025"
    ));
}

async fn areas_are_listed_by_name(crm: &Backend) {
    assert!(crm.areas().await.unwrap().is_empty());
    load(crm).await;
    let areas = crm.areas().await.unwrap();
    assert_eq!(areas.len(), fixture().areas.len());
    let names: Vec<&str> = areas.iter().map(|a| a.name.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted);
    let medina = areas.iter().find(|a| a.area_code == "SN-DKR-MED").unwrap();
    assert_eq!(
        (medina.name.as_str(), medina.region.as_str()),
        ("Médina", "Dakar")
    );
}

async fn tickets_are_idempotent_on_origin_key(crm: &Backend) {
    load(crm).await;
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
    // A retry draws no number: the next ticket has the next one.
    assert_eq!(
        second.ticket_ref,
        reference::new_reference(at(2026, 11, 22, 10, 0), 2)
    );
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
    assert_eq!(events[0].2.as_deref(), Some("ussd"));

    // A ticket for a phone linked to no account.
    let anonymous = crm
        .create_ticket(&NewTicket {
            account_no: None,
            phone: Some("+254700000001".into()),
            note: Some("no power since 6am".into()),
            ..new_ticket("k3")
        })
        .await
        .unwrap();
    assert_eq!(anonymous.account_no, None);
    assert_eq!(anonymous.note.as_deref(), Some("no power since 6am"));
    let open = crm.open_tickets("+254700000001", &[]).await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0], anonymous);

    // A ticket for an account the CRM does not know is refused, and files nothing.
    let unknown = NewTicket {
        account_no: Some("XX000000".into()),
        ..new_ticket("k4")
    };
    assert!(crm.create_ticket(&unknown).await.is_err());
    assert_eq!(crm.count("tickets").await.unwrap(), before + 3);
}

async fn timestamps_keep_whole_seconds(crm: &Backend) {
    load(crm).await;
    let fine = at(2026, 11, 22, 10, 0) + chrono::Duration::microseconds(987_654);
    let ticket = crm
        .create_ticket(&NewTicket {
            created_at: fine,
            sla_due_at: Some(fine + chrono::Duration::hours(72)),
            ..new_ticket("k-fine")
        })
        .await
        .unwrap();
    assert_eq!(ticket.created_at, at(2026, 11, 22, 10, 0));
    assert_eq!(ticket.sla_due_at, Some(at(2026, 11, 25, 10, 0)));
    assert_eq!(crm.ticket(&ticket.ticket_ref).await.unwrap(), Some(ticket));

    let report = crm
        .report_outage(&NewOutageReport {
            origin_key: "k-fine-report".into(),
            outage_id: "OUT0001".into(),
            account_no: None,
            phone: None,
            channel: "voice".into(),
            created_at: fine,
        })
        .await
        .unwrap();
    assert_eq!(report.created_at, at(2026, 11, 22, 10, 0));
    assert_eq!(
        crm.outage_report(&report.reference).await.unwrap(),
        Some(report)
    );

    let mut i = interaction("ATUid_fine");
    i.started_at = fine;
    i.updated_at = fine + chrono::Duration::seconds(3);
    crm.record_interaction(&i).await.unwrap();
    let row = crm
        .interaction("africastalking", "ATUid_fine")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.started_at, at(2026, 11, 22, 10, 0));
    assert_eq!(
        row.updated_at,
        at(2026, 11, 22, 10, 0) + chrono::Duration::seconds(3)
    );
}

async fn imported_tickets_and_open_tickets(crm: &Backend) {
    load(crm).await;
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
    // Duplicated accounts change nothing.
    let doubled = crm
        .open_tickets(
            "+221706606044",
            &[
                "SNW100003".to_string(),
                "SNE100002".to_string(),
                "SNE100002".to_string(),
            ],
        )
        .await
        .unwrap();
    assert_eq!(doubled, open);

    // Same created_at: the greater reference first; at most 20.
    for i in 0..25 {
        crm.create_ticket(&NewTicket {
            account_no: None,
            phone: Some("+254700000002".into()),
            ..new_ticket(&format!("k-many-{i}"))
        })
        .await
        .unwrap();
    }
    let many = refs(crm.open_tickets("+254700000002", &[]).await.unwrap());
    assert_eq!(many.len(), 20);
    let mut sorted = many.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(many, sorted);

    // Many accounts at once.
    let many: Vec<String> = (0..300).map(|i| format!("X{i}")).collect();
    assert!(crm.open_tickets("+000", &many).await.unwrap().is_empty());
}

async fn callbacks_are_idempotent(crm: &Backend) {
    load(crm).await;
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
    // The id is an integer of ours: safe to put in the text.
    let (status,): (String,) = crm
        .row(format!("SELECT status FROM callback_tasks WHERE id = {id}"))
        .await;
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

/// The opt-out and survey rules (`store/rules.rs`): a phone opts out once and is told once; a
/// survey goes to each phone's newest ended USSD session whose outcome begins with one of the
/// configured prefixes (as text: `_` is no wildcard), once per period, never to a phone that
/// opted out, each session looked at once; its "how to answer" help goes once.
async fn opt_outs_and_survey_invitations_follow_their_rules(crm: &Backend) {
    load(crm).await;
    let outbox = crm.outbox();
    let now = at(2026, 11, 22, 12, 0);
    let long_ago = at(2020, 1, 1, 0, 0);
    let (quiet, asked) = ("+221700000001", "+221700000002");
    assert!(outbox.opt_out(quiet, "STOP", now).await.unwrap());
    let later = now + chrono::Duration::minutes(1);
    assert!(
        !outbox.opt_out(quiet, "arret", later).await.unwrap(),
        "once"
    );
    assert!(outbox.is_opted_out(quiet).await.unwrap());
    assert!(!outbox.is_opted_out(asked).await.unwrap());
    let (told,): (i64,) = crm
        .row("SELECT COUNT(*) FROM sms_outbox WHERE kind = 'opted_out'".into())
        .await;
    assert_eq!(told, 1, "one confirmation");
    assert!(outbox.surveyed_since(quiet, long_ago).await.unwrap());
    assert!(!outbox.surveyed_since(asked, long_ago).await.unwrap());

    let session = |id: &str, phone: &str, outcome: &str| Interaction {
        phone: phone.into(),
        outcome: Some(outcome.into()),
        ended: true,
        ..interaction(id)
    };
    let mut open = session("S5", "+221700000005", "latest_bill:found");
    open.ended = false;
    crm.record_interactions(&[
        session("S1", asked, "latest_bill:found"),
        session("S2", asked, "file_complaint:filed"),
        session("S3", quiet, "latest_bill:found"),
        session("S4", "+221700000004", "xzy:done"),
        open,
    ])
    .await
    .unwrap();
    let outcomes = ["latest_bill:", "file_complaint:", "x_y"].map(String::from);
    let month = chrono::Duration::days(30);
    assert_eq!(
        outbox.queue_surveys(now, month, &outcomes).await.unwrap(),
        1
    );
    assert_eq!(
        outbox.queue_surveys(now, month, &outcomes).await.unwrap(),
        0
    );
    let (s2,): (i64,) = crm
        .row("SELECT id FROM interactions WHERE session_id = 'S2'".into())
        .await;
    let (surveys, phone, reference): (i64, String, String) = crm
        .row(
            "SELECT COUNT(*), MAX(phone), MAX(reference) FROM sms_outbox WHERE kind = 'survey'"
                .into(),
        )
        .await;
    assert_eq!((surveys, phone.as_str()), (1, asked));
    assert_eq!(reference, s2.to_string(), "the newest session");
    let invitation = outbox
        .open_invitation(asked, long_ago)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(invitation.interaction_id, Some(s2));
    assert!(outbox.surveyed_since(asked, long_ago).await.unwrap());

    // Within the period, a new session is not surveyed; after it, it is.
    crm.record_interaction(&session("S6", asked, "latest_bill:found"))
        .await
        .unwrap();
    let tomorrow = now + chrono::Duration::days(1);
    assert_eq!(
        outbox
            .queue_surveys(tomorrow, month, &outcomes)
            .await
            .unwrap(),
        0
    );
    crm.record_interaction(&session("S7", asked, "latest_bill:found"))
        .await
        .unwrap();
    let next_month = now + chrono::Duration::days(31);
    assert_eq!(
        outbox
            .queue_surveys(next_month, month, &outcomes)
            .await
            .unwrap(),
        1
    );

    assert!(outbox.queue_survey_help(&invitation, asked).await.unwrap());
    assert!(
        !outbox.queue_survey_help(&invitation, asked).await.unwrap(),
        "once"
    );
    let (helped,): (i64,) = crm
        .row("SELECT COUNT(*) FROM sms_outbox WHERE kind = 'survey_help'".into())
        .await;
    assert_eq!(helped, 1);
}

async fn interaction_batches_insert_and_update_together(crm: &Backend) {
    load(crm).await;
    let existing = interaction("ATUid_old");
    crm.record_interaction(&existing).await.unwrap();
    // One batch: an update of the existing row (with a later start, which must not win), and
    // two new sessions, one with nothing optional set.
    let mut updated = existing.clone();
    updated.path = "root>bill".into();
    updated.hops = 2;
    updated.ended = true;
    updated.started_at = at(2026, 11, 22, 10, 30);
    updated.updated_at = at(2026, 11, 22, 10, 31);
    let mut bare = interaction("ATUid_bare");
    bare.language = None;
    bare.channel = "voice".into();
    let full = Interaction {
        account_no: Some("SNE100002".into()),
        outcome: Some("latest_bill:found".into()),
        ..interaction("ATUid_new")
    };
    crm.record_interactions(&[updated.clone(), bare.clone(), full.clone()])
        .await
        .unwrap();
    assert_eq!(crm.count("interactions").await.unwrap(), 3);
    let get = async |id: &str| {
        crm.interaction("africastalking", id)
            .await
            .unwrap()
            .unwrap()
    };
    assert_eq!(
        get("ATUid_old").await,
        Interaction {
            started_at: existing.started_at,
            ..updated
        }
    );
    assert_eq!(get("ATUid_bare").await, bare);
    assert_eq!(get("ATUid_new").await, full);
    crm.record_interactions(&[]).await.unwrap();
    assert_eq!(crm.count("interactions").await.unwrap(), 3);
}

async fn interactions_upsert_and_session_end(crm: &Backend) {
    load(crm).await;
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
    // A later start never moves the start forward.
    let mut later = i.clone();
    later.started_at = at(2026, 11, 22, 11, 0);
    crm.record_interaction(&later).await.unwrap();
    let row = crm
        .interaction("africastalking", "ATUid_1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.started_at, i.started_at);

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
    let (status, duration, hops, cost, date): (String, i64, i64, String, String) = crm
        .row(
            "SELECT end_status, end_duration_ms, end_hops_count, end_cost, end_date \
             FROM interactions WHERE gateway = 'africastalking' AND session_id = 'ATUid_1'"
                .to_string(),
        )
        .await;
    assert_eq!(
        (
            status.as_str(),
            duration,
            hops,
            cost.as_str(),
            date.as_str()
        ),
        ("Success", 12_345, 2, "KES 0.50", "2026-11-22 10:01:05.000")
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
    assert_eq!(row.started_at.timestamp_subsec_nanos(), 0);
    assert!((Utc::now() - row.started_at).num_seconds() < 60);
    assert_eq!(crm.count("interactions").await.unwrap(), 2);

    // A second notification with a phone fills in the empty one, and replaces the first's.
    let with_phone = SessionEnd {
        phone: Some("+221700000001".into()),
        status: "Incomplete".into(),
        ..orphan.clone()
    };
    crm.record_session_end(&with_phone).await.unwrap();
    let row = crm
        .interaction("africastalking", "ATUid_unknown")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.phone, "+221700000001");

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
    assert!(!row.ended);
    let (end_status,): (String,) = crm
        .row("SELECT end_status FROM interactions WHERE session_id = 'ATUid_unknown'".to_string())
        .await;
    assert_eq!(end_status, "Incomplete");
}

// ---------------------------------------------------------------------------------------------
// Outage filings and storms

const STORM: StormPolicy = StormPolicy {
    threshold: 5,
    window: chrono::Duration::minutes(15),
};

fn filing(
    origin_key: &str,
    area_code: &str,
    service: &str,
    created_at: DateTime<Utc>,
) -> NewOutageFiling {
    NewOutageFiling {
        origin_key: origin_key.to_string(),
        account_no: None,
        phone: Some(format!("+2217000{:05}", origin_key.len() * 7919 % 100_000)),
        channel: "ussd".into(),
        created_at,
        area_code: area_code.to_string(),
        service: service.to_string(),
        sla_due_at: Some(created_at + chrono::Duration::hours(24)),
        note: Some(format!("{service} outage reported in {area_code}")),
    }
}

fn ticket_of(filed: &OutageFiling) -> &Ticket {
    match filed {
        OutageFiling::Ticket(ticket) => ticket,
        other => panic!("expected a ticket, got {other:?}"),
    }
}

fn attached(filed: &OutageFiling) -> (&OutageReport, &Outage) {
    match filed {
        OutageFiling::Attached { report, outage } => (report, outage),
        other => panic!("expected an attached report, got {other:?}"),
    }
}

/// Row counts of every table a filing may write.
async fn filing_counts(crm: &Backend) -> [i64; 4] {
    [
        crm.count("tickets").await.unwrap(),
        crm.count("ticket_events").await.unwrap(),
        crm.count("outage_reports").await.unwrap(),
        crm.count("outages").await.unwrap(),
    ]
}

/// Tickets linked to an outage (the outage id is ours: safe to put in the text).
async fn linked_tickets(crm: &Backend, outage_id: &str) -> i64 {
    let (n,): (i64,) = crm
        .row(format!(
            "SELECT COUNT(*) FROM tickets WHERE outage_id = '{outage_id}'"
        ))
        .await;
    n
}

async fn outage_filings_attach_to_a_known_outage(crm: &Backend) {
    load(crm).await;
    let before = filing_counts(crm).await;
    let now = at(2026, 11, 20, 8, 30);

    // OUT0001 is active in Pikine: the report attaches to it, with a reference of the shared
    // sequence.
    let first = crm
        .file_outage_report(&filing("pkn-1", "SN-DKR-PKN", "electricity", now), &STORM)
        .await
        .unwrap();
    let (report, outage) = attached(&first);
    assert_eq!(outage, &crm.outage("OUT0001").await.unwrap().unwrap());
    assert_eq!(report.outage_id, "OUT0001");
    assert_eq!(report.created_at, now);
    assert_eq!(report.channel, "ussd");
    assert_eq!(report.reference, reference::new_reference(now, 1));
    assert_eq!(
        crm.outage_report(&report.reference).await.unwrap().as_ref(),
        Some(report)
    );
    assert_eq!(crm.outage_report_count("OUT0001").await.unwrap(), 1);
    // A retry files nothing.
    let again = crm
        .file_outage_report(&filing("pkn-1", "SN-DKR-PKN", "electricity", now), &STORM)
        .await
        .unwrap();
    assert_eq!(again, first);
    assert_eq!(crm.outage_report_count("OUT0001").await.unwrap(), 1);
    // Each further caller is counted, never ticketed, however many they are.
    for i in 2..=8 {
        let filed = crm
            .file_outage_report(
                &filing(&format!("pkn-{i}"), "SN-DKR-PKN", "electricity", now),
                &STORM,
            )
            .await
            .unwrap();
        assert_eq!(attached(&filed).1.outage_id, "OUT0001");
    }
    assert_eq!(crm.outage_report_count("OUT0001").await.unwrap(), 8);
    let after = filing_counts(crm).await;
    assert_eq!(after, [before[0], before[1], before[2] + 8, before[3]]);

    // No outage of that service there, nor a scheduled one elsewhere: a ticket, filed as
    // create_ticket files one, with the area and service recorded on it.
    let fine = now + chrono::Duration::microseconds(250_000);
    let water = crm
        .file_outage_report(
            &NewOutageFiling {
                account_no: Some("SNE100002".into()),
                ..filing("pkn-water", "SN-DKR-PKN", "water", fine)
            },
            &STORM,
        )
        .await
        .unwrap();
    let ticket = ticket_of(&water);
    assert_eq!(ticket.category, "outage");
    assert_eq!(ticket.status, "open");
    assert_eq!(ticket.account_no.as_deref(), Some("SNE100002"));
    assert_eq!(ticket.created_at, now);
    assert_eq!(ticket.updated_at, now);
    assert_eq!(ticket.sla_due_at, Some(now + chrono::Duration::hours(24)));
    assert_eq!(
        ticket.note.as_deref(),
        Some("water outage reported in SN-DKR-PKN")
    );
    assert_eq!(
        crm.ticket(&ticket.ticket_ref).await.unwrap().as_ref(),
        Some(ticket)
    );
    let events = crm.ticket_events(&ticket.ticket_ref).await.unwrap();
    assert_eq!(
        events,
        vec![(now, "created".to_string(), Some("ussd".to_string()))]
    );
    let (area, service, linked): (String, String, Option<String>) = crm
        .row(format!(
            "SELECT area_code, service, outage_id FROM tickets WHERE ticket_ref = '{}'",
            ticket.ticket_ref
        ))
        .await;
    assert_eq!(
        (area.as_str(), service.as_str(), linked),
        ("SN-DKR-PKN", "water", None)
    );
    let again = crm
        .file_outage_report(&filing("pkn-water", "SN-DKR-PKN", "water", fine), &STORM)
        .await
        .unwrap();
    assert_eq!(again, water);
    // A scheduled outage does not take reports.
    let kibera = crm
        .file_outage_report(&filing("kib-1", "KE-NBO-KIB", "electricity", now), &STORM)
        .await
        .unwrap();
    ticket_of(&kibera);
    assert_eq!(crm.outage_report_count("OUT0002").await.unwrap(), 0);

    // A key first used by the older calls is recognised too.
    let old = crm
        .create_ticket(&new_ticket("old-style-ticket"))
        .await
        .unwrap();
    let retried = crm
        .file_outage_report(
            &filing("old-style-ticket", "SN-DKR-PKN", "electricity", now),
            &STORM,
        )
        .await
        .unwrap();
    assert_eq!(retried, OutageFiling::Ticket(old));
    assert_eq!(crm.outage_report_count("OUT0001").await.unwrap(), 8);
}

/// Planned works are the current outage of their area from their start to their expected end
/// (read against the clock of the caller, the same second on both databases): a report made
/// then attaches to them, before or after it is a ticket.
async fn a_scheduled_outage_takes_reports_within_its_window_only(crm: &Backend) {
    load(crm).await;
    let now = Utc::now();
    let text = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let hours = chrono::Duration::hours;
    for (id, area, starts, ends) in [
        ("OUT9001", "SN-DKR-PLT", now - hours(1), now + hours(2)),
        ("OUT9002", "SN-DKR-MED", now - hours(3), now - hours(1)),
        ("OUT9003", "SN-ZIG-BOU", now + hours(1), now + hours(3)),
    ] {
        crm.exec(format!(
            "INSERT INTO outages (outage_id, area_code, service, kind, starts_at, \
             expected_end, status, cause) VALUES ('{id}', '{area}', 'water', 'planned', \
             '{}', '{}', 'scheduled', 'works')",
            text(starts),
            text(ends)
        ))
        .await;
    }
    let current = crm.active_outage("SN-DKR-PLT", "water").await.unwrap();
    assert_eq!(current.map(|o| o.outage_id).as_deref(), Some("OUT9001"));
    let during = crm
        .file_outage_report(&filing("works-1", "SN-DKR-PLT", "water", now), &STORM)
        .await
        .unwrap();
    let (report, outage) = attached(&during);
    assert_eq!(
        (report.outage_id.as_str(), outage.outage_id.as_str()),
        ("OUT9001", "OUT9001")
    );
    for (key, area) in [("works-2", "SN-DKR-MED"), ("works-3", "SN-ZIG-BOU")] {
        assert!(crm.active_outage(area, "water").await.unwrap().is_none());
        let filed = crm
            .file_outage_report(&filing(key, area, "water", now), &STORM)
            .await
            .unwrap();
        assert_eq!(ticket_of(&filed).category, "outage", "{area}");
    }
    assert_eq!(crm.outage_report_count("OUT9001").await.unwrap(), 1);
    assert_eq!(crm.outage_report_count("OUT9002").await.unwrap(), 0);
    assert_eq!(crm.outage_report_count("OUT9003").await.unwrap(), 0);
}

async fn outage_storm_opens_one_suspected_outage(crm: &Backend) {
    load(crm).await;
    let area = "SN-DKR-MED";
    let start = at(2026, 11, 22, 10, 0);
    let minute = |i: i64| start + chrono::Duration::minutes(i);
    let before = filing_counts(crm).await;

    // Reports 1-4: tickets.
    let mut first_four = Vec::new();
    for i in 1..=4 {
        let filed = crm
            .file_outage_report(
                &filing(&format!("med-{i}"), area, "electricity", minute(i)),
                &STORM,
            )
            .await
            .unwrap();
        first_four.push(ticket_of(&filed).clone());
    }
    assert!(
        crm.active_outage(area, "electricity")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        filing_counts(crm).await,
        [before[0] + 4, before[1] + 4, before[2], before[3]]
    );

    // Report 5 opens one suspected outage, links the four tickets and attaches to it.
    let fifth = crm
        .file_outage_report(&filing("med-5", area, "electricity", minute(5)), &STORM)
        .await
        .unwrap();
    let (report, suspected) = attached(&fifth);
    let want = Outage {
        outage_id: "SUS-SN-DKR-MED-electricity-20261122100500".into(),
        area_code: area.into(),
        service: "electricity".into(),
        kind: "unplanned".into(),
        starts_at: minute(5),
        expected_end: None,
        status: "suspected".into(),
        cause: Some("suspected: 5 reports by phone".into()),
    };
    assert_eq!(suspected, &want);
    assert_eq!(report.outage_id, want.outage_id);
    assert_eq!(
        reference::parse_typed(&report.reference),
        Typed::Reference(report.reference.clone())
    );
    assert_eq!(
        crm.outage(&want.outage_id).await.unwrap().as_ref(),
        Some(&want)
    );
    assert_eq!(linked_tickets(crm, &want.outage_id).await, 4);
    assert_eq!(crm.outage_report_count(&want.outage_id).await.unwrap(), 1);
    // Linking changes nothing a caller sees of the tickets.
    for t in &first_four {
        assert_eq!(crm.ticket(&t.ticket_ref).await.unwrap().as_ref(), Some(t));
    }

    // Later callers hear about it, and attach to it.
    assert_eq!(
        crm.active_outage(area, "electricity")
            .await
            .unwrap()
            .as_ref(),
        Some(&want)
    );
    assert!(crm.active_outage(area, "water").await.unwrap().is_none());
    let listed = crm.area_outages(area, minute(600)).await.unwrap();
    assert_eq!(listed, vec![want.clone()]);
    for i in 6..=12 {
        let filed = crm
            .file_outage_report(
                &filing(&format!("med-{i}"), area, "electricity", minute(i)),
                &STORM,
            )
            .await
            .unwrap();
        assert_eq!(attached(&filed).1, &want);
    }
    assert_eq!(crm.outage_report_count(&want.outage_id).await.unwrap(), 8);
    let settled = filing_counts(crm).await;
    assert_eq!(
        settled,
        [before[0] + 4, before[1] + 4, before[2] + 8, before[3] + 1]
    );

    // A retry of any filing returns the same result and writes nothing.
    for (i, t) in first_four.iter().enumerate() {
        let again = crm
            .file_outage_report(
                &filing(&format!("med-{}", i + 1), area, "electricity", minute(30)),
                &STORM,
            )
            .await
            .unwrap();
        assert_eq!(again, OutageFiling::Ticket(t.clone()));
    }
    let again = crm
        .file_outage_report(&filing("med-5", area, "electricity", minute(31)), &STORM)
        .await
        .unwrap();
    assert_eq!(again, fifth);
    assert_eq!(filing_counts(crm).await, settled);

    // Another service of the area, and another area, are storms of their own.
    let water = crm
        .file_outage_report(&filing("med-water", area, "water", minute(6)), &STORM)
        .await
        .unwrap();
    ticket_of(&water);
    let plateau = crm
        .file_outage_report(
            &filing("plt-1", "SN-DKR-PLT", "electricity", minute(6)),
            &STORM,
        )
        .await
        .unwrap();
    ticket_of(&plateau);

    // Once the utility resolves it, reports are tickets again; the tickets it absorbed do
    // not count towards the next one.
    crm.exec(format!(
        "UPDATE outages SET status = 'resolved' WHERE outage_id = '{}'",
        want.outage_id
    ))
    .await;
    assert!(
        crm.active_outage(area, "electricity")
            .await
            .unwrap()
            .is_none()
    );
    assert!(crm.area_outages(area, minute(14)).await.unwrap().is_empty());
    let after = crm
        .file_outage_report(&filing("med-13", area, "electricity", minute(13)), &STORM)
        .await
        .unwrap();
    ticket_of(&after);
    // A retry returns the report as filed, with its outage as it is now.
    let again = crm
        .file_outage_report(&filing("med-5", area, "electricity", minute(31)), &STORM)
        .await
        .unwrap();
    assert_eq!(attached(&again).0, attached(&fifth).0);
    assert_eq!(attached(&again).1.status, "resolved");
}

async fn outage_storm_window_and_threshold(crm: &Backend) {
    load(crm).await;
    let area = "KE-NBO-WES";
    let policy = StormPolicy {
        threshold: 3,
        window: chrono::Duration::minutes(15),
    };
    let hm = |h: u32, m: u32| at(2026, 11, 22, h, m);
    // Two old tickets, then two within the window of the last report.
    for (key, when) in [
        ("wes-1", hm(9, 0)),
        ("wes-2", hm(9, 10)),
        ("wes-3", hm(9, 30)),
        ("wes-4", hm(9, 40)),
    ] {
        let filed = crm
            .file_outage_report(&filing(key, area, "electricity", when), &policy)
            .await
            .unwrap();
        ticket_of(&filed);
    }
    // 09:45: its window starts at 09:30 (included), so 09:30, 09:40 and itself make three.
    let third = crm
        .file_outage_report(&filing("wes-5", area, "electricity", hm(9, 45)), &policy)
        .await
        .unwrap();
    let (_, outage) = attached(&third);
    assert_eq!(
        outage.cause.as_deref(),
        Some("suspected: 3 reports by phone")
    );
    assert_eq!(linked_tickets(crm, &outage.outage_id).await, 2);
    let (old,): (i64,) = crm
        .row(format!(
            "SELECT COUNT(*) FROM tickets WHERE area_code = '{area}' AND outage_id IS NULL"
        ))
        .await;
    assert_eq!(old, 2);

    // Imported tickets (no area recorded) and other categories never count.
    let quiet = "KE-NBO-KIB";
    for i in 0..5 {
        crm.create_ticket(&NewTicket {
            category: "outage".into(),
            created_at: hm(10, 0),
            ..new_ticket(&format!("plain-{i}"))
        })
        .await
        .unwrap();
    }
    let filed = crm
        .file_outage_report(&filing("kib-1", quiet, "water", hm(10, 1)), &policy)
        .await
        .unwrap();
    ticket_of(&filed);

    // A threshold of one: the first report is a storm of its own.
    let one = StormPolicy {
        threshold: 1,
        ..policy
    };
    let filed = crm
        .file_outage_report(&filing("ksm-1", "KE-KSM-CEN", "water", hm(11, 0)), &one)
        .await
        .unwrap();
    let (_, outage) = attached(&filed);
    assert_eq!(outage.outage_id, "SUS-KE-KSM-CEN-water-20261122110000");
    assert_eq!(
        outage.cause.as_deref(),
        Some("suspected: 1 reports by phone")
    );

    // Detection off (threshold 0): tickets, however many.
    let off = StormPolicy {
        threshold: 0,
        ..policy
    };
    for i in 0..4 {
        let filed = crm
            .file_outage_report(
                &filing(&format!("nkr-{i}"), "KE-NKR-CEN", "water", hm(11, 0)),
                &off,
            )
            .await
            .unwrap();
        ticket_of(&filed);
    }

    // An area the CRM does not know never gets an outage: its reports stay tickets.
    for i in 0..3 {
        let filed = crm
            .file_outage_report(
                &filing(&format!("xx-{i}"), "XX-NOWHERE", "water", hm(11, 0)),
                &one,
            )
            .await
            .unwrap();
        ticket_of(&filed);
    }

    // A suspected outage resolved in the same second as the next storm: the new one gets a
    // fresh id.
    crm.exec(
        "UPDATE outages SET status = 'resolved' WHERE outage_id = 'SUS-KE-KSM-CEN-water-20261122110000'"
            .to_string(),
    )
    .await;
    let filed = crm
        .file_outage_report(&filing("ksm-2", "KE-KSM-CEN", "water", hm(11, 0)), &one)
        .await
        .unwrap();
    let (_, outage) = attached(&filed);
    assert_eq!(outage.outage_id, "SUS-KE-KSM-CEN-water-20261122110000-2");
}

// ---------------------------------------------------------------------------------------------
// Concurrency

/// Twenty filings, every key twice at once: ten tickets with ten distinct references.
async fn concurrent_filings_get_distinct_references(crm: Arc<Backend>) {
    load(&crm).await;
    let mut handles = Vec::new();
    for i in 0..20 {
        let crm = crm.clone();
        handles.push(tokio::spawn(async move {
            let key = format!("k{}", i % 10);
            crm.create_ticket(&new_ticket(&key)).await.unwrap()
        }));
    }
    let mut by_key: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut refs = BTreeSet::new();
    for (i, h) in handles.into_iter().enumerate() {
        let t = h.await.unwrap();
        by_key
            .entry(format!("k{}", i % 10))
            .or_default()
            .insert(t.ticket_ref.clone());
        refs.insert(t.ticket_ref);
    }
    // Both filings of one key got the same ticket.
    assert!(by_key.values().all(|r| r.len() == 1), "{by_key:?}");
    assert_eq!(refs.len(), 10);
    assert_eq!(crm.count("tickets").await.unwrap(), 70);
    assert_eq!(crm.count("ticket_events").await.unwrap(), 70);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_concurrent_filings_get_distinct_references() {
    let dir = tempfile::tempdir().unwrap();
    concurrent_filings_get_distinct_references(Arc::new(Backend::sqlite_file(&dir).await)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_concurrent_filings_get_distinct_references() {
    concurrent_filings_get_distinct_references(Arc::new(Backend::postgres().await)).await;
}

/// One of two server instances on one database.
enum Instance {
    Main(Arc<Backend>),
    Other(Arc<dyn Crm>),
}

impl Deref for Instance {
    type Target = dyn Crm;
    fn deref(&self) -> &Self::Target {
        match self {
            Instance::Main(crm) => &***crm,
            Instance::Other(crm) => &**crm,
        }
    }
}

/// 200 reports of one area and service, filed by 40 tasks at once through two instances (two
/// pools on one database), some also retried at the same time on the other instance: exactly
/// 9 tickets, 1 suspected outage, and 191 reports attached to it.
async fn outage_storm_under_concurrency(crm: Arc<Backend>, other: Arc<dyn Crm>) {
    load(&crm).await;
    let before = filing_counts(&crm).await;
    let policy = StormPolicy {
        threshold: 10,
        window: chrono::Duration::minutes(15),
    };
    let start = at(2026, 11, 22, 10, 0);
    let mut handles = Vec::new();
    for task in 0..40 {
        // Even tasks file on the first instance, odd ones on the second.
        let (mut first, mut second) = (Instance::Main(crm.clone()), Instance::Other(other.clone()));
        if task % 2 == 1 {
            std::mem::swap(&mut first, &mut second);
        }
        handles.push(tokio::spawn(async move {
            let mut filed = Vec::new();
            for n in 0..5 {
                let i = task * 5 + n;
                let f = NewOutageFiling {
                    phone: Some(format!("+22170{i:07}")),
                    ..filing(
                        &format!("storm-{i}"),
                        "SN-STL-NDR",
                        "electricity",
                        start + chrono::Duration::seconds(i % 7),
                    )
                };
                // Every fourth filing is retried at once on the other instance.
                if i % 4 == 0 {
                    let (a, b) = tokio::join!(
                        first.file_outage_report(&f, &policy),
                        second.file_outage_report(&f, &policy)
                    );
                    let (a, b) = (a.unwrap(), b.unwrap());
                    if let (
                        OutageFiling::Attached { report: ra, .. },
                        OutageFiling::Attached { report: rb, .. },
                    ) = (&a, &b)
                    {
                        assert_eq!(ra, rb, "{i}");
                    } else {
                        assert_eq!(a, b, "{i}");
                    }
                    filed.push((i, a));
                } else {
                    filed.push((i, first.file_outage_report(&f, &policy).await.unwrap()));
                }
            }
            filed
        }));
    }
    let mut tickets = BTreeSet::new();
    let mut reports = BTreeSet::new();
    let mut outages = BTreeSet::new();
    for h in handles {
        for (_, filed) in h.await.unwrap() {
            match filed {
                OutageFiling::Ticket(t) => {
                    tickets.insert(t.ticket_ref);
                }
                OutageFiling::Attached { report, outage } => {
                    assert_eq!(outage.status, "suspected");
                    reports.insert(report.reference);
                    outages.insert(outage.outage_id);
                }
            }
        }
    }
    assert_eq!(tickets.len(), 9);
    assert_eq!(reports.len(), 191);
    assert_eq!(outages.len(), 1);
    let outage_id = outages.into_iter().next().unwrap();
    assert_eq!(
        crm.outage(&outage_id)
            .await
            .unwrap()
            .unwrap()
            .cause
            .as_deref(),
        Some("suspected: 10 reports by phone")
    );
    assert_eq!(crm.outage_report_count(&outage_id).await.unwrap(), 191);
    assert_eq!(linked_tickets(&crm, &outage_id).await, 9);
    assert!(tickets.is_disjoint(&reports));
    assert_eq!(
        filing_counts(&crm).await,
        [before[0] + 9, before[1] + 9, before[2] + 191, before[3] + 1]
    );
    // Both instances tell later callers about it.
    for store in [Instance::Main(crm.clone()), Instance::Other(other.clone())] {
        let current = store
            .active_outage("SN-STL-NDR", "electricity")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(current.outage_id, outage_id);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_outage_storm_under_concurrency() {
    let dir = tempfile::tempdir().unwrap();
    let crm = Arc::new(Backend::sqlite_file(&dir).await);
    // A second pool on the same file: a second server instance.
    let url = format!("sqlite://{}", dir.path().join("crm.db").display());
    let other: Arc<dyn Crm> = Arc::new(SqliteCrm::connect(&url).await.unwrap());
    outage_storm_under_concurrency(crm, other).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_outage_storm_under_concurrency() {
    let crm = Backend::postgres().await;
    let url = match &crm {
        Backend::Postgres { _db, .. } => _db.url.clone(),
        Backend::Sqlite(_) => unreachable!(),
    };
    let other: Arc<dyn Crm> = Arc::new(PgCrm::connect(&url).await.unwrap());
    outage_storm_under_concurrency(Arc::new(crm), other).await;
}

/// Each of thirty keys filed at the same moment on two instances, for two areas: one where an
/// outage is active (a report), one where none is (a ticket). Whichever comes first files the
/// key, once (a report or a ticket, never both), and both calls return that filing.
async fn one_key_filed_at_once_for_two_areas_is_filed_once(crm: Arc<Backend>, other: Arc<dyn Crm>) {
    load(&crm).await;
    let before = filing_counts(&crm).await;
    // No storm detection: each Kibera filing stays a ticket.
    let policy = StormPolicy {
        threshold: 0,
        ..STORM
    };
    let now = at(2026, 11, 20, 8, 30);
    let mut handles = Vec::new();
    for i in 0..30 {
        let (mut first, mut second) = (Instance::Main(crm.clone()), Instance::Other(other.clone()));
        if i % 2 == 1 {
            std::mem::swap(&mut first, &mut second);
        }
        handles.push(tokio::spawn(async move {
            let key = format!("two-areas-{i}");
            // OUT0001 is active in Pikine; Kibera's outage is only scheduled.
            let pikine = filing(&key, "SN-DKR-PKN", "electricity", now);
            let kibera = filing(&key, "KE-NBO-KIB", "electricity", now);
            let (a, b) = tokio::join!(
                first.file_outage_report(&pikine, &policy),
                second.file_outage_report(&kibera, &policy)
            );
            (a.unwrap(), b.unwrap())
        }));
    }
    let (mut reports, mut tickets) = (0, 0);
    for h in handles {
        let (a, b) = h.await.unwrap();
        assert_eq!(a, b);
        match a {
            OutageFiling::Attached { report, .. } => {
                reports += 1;
                assert!(
                    crm.outage_report(&report.reference)
                        .await
                        .unwrap()
                        .is_some()
                );
            }
            OutageFiling::Ticket(ticket) => {
                tickets += 1;
                assert!(crm.ticket(&ticket.ticket_ref).await.unwrap().is_some());
            }
        }
    }
    assert_eq!(reports + tickets, 30);
    assert_eq!(
        filing_counts(&crm).await,
        [
            before[0] + tickets,
            before[1] + tickets,
            before[2] + reports,
            before[3]
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_one_key_filed_at_once_for_two_areas_is_filed_once() {
    let dir = tempfile::tempdir().unwrap();
    let crm = Arc::new(Backend::sqlite_file(&dir).await);
    let url = format!("sqlite://{}", dir.path().join("crm.db").display());
    let other: Arc<dyn Crm> = Arc::new(SqliteCrm::connect(&url).await.unwrap());
    one_key_filed_at_once_for_two_areas_is_filed_once(crm, other).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_one_key_filed_at_once_for_two_areas_is_filed_once() {
    let crm = Backend::postgres().await;
    let url = match &crm {
        Backend::Postgres { _db, .. } => _db.url.clone(),
        Backend::Sqlite(_) => unreachable!(),
    };
    let other: Arc<dyn Crm> = Arc::new(PgCrm::connect(&url).await.unwrap());
    one_key_filed_at_once_for_two_areas_is_filed_once(Arc::new(crm), other).await;
}

/// Two server instances (two pools, started at the same moment on a fresh database) file
/// fifty tickets at once: fifty distinct, valid references; a retry on the other instance
/// returns the same ticket.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_two_instances_never_share_a_reference() {
    let db = TestDatabase::create().await;
    // Both run the migrations at once: they take turns on the migration lock.
    let (a, b) = tokio::join!(PgCrm::connect(&db.url), PgCrm::connect(&db.url));
    let (a, b) = (Arc::new(a.unwrap()), Arc::new(b.unwrap()));
    a.import(&fixture()).await.unwrap();
    let imported = a.count("tickets").await.unwrap();

    let mut handles = Vec::new();
    for i in 0..50 {
        let (first, second) = if i % 2 == 0 {
            (a.clone(), b.clone())
        } else {
            (b.clone(), a.clone())
        };
        handles.push(tokio::spawn(async move {
            let ticket = new_ticket(&format!("instance-key-{i}"));
            let filed = first.create_ticket(&ticket).await.unwrap();
            (i, filed)
        }));
        // Every fifth key is also retried at the same time on the other instance.
        if i % 5 == 0 {
            handles.push(tokio::spawn(async move {
                let ticket = new_ticket(&format!("instance-key-{i}"));
                let filed = second.create_ticket(&ticket).await.unwrap();
                (i, filed)
            }));
        }
    }
    let mut by_key: BTreeMap<i32, BTreeSet<String>> = BTreeMap::new();
    for h in handles {
        let (i, t) = h.await.unwrap();
        assert_eq!(
            reference::parse_typed(&t.ticket_ref),
            Typed::Reference(t.ticket_ref.clone()),
            "{}",
            t.ticket_ref
        );
        assert!(t.ticket_ref.starts_with("RC2611"), "{}", t.ticket_ref);
        by_key.entry(i).or_default().insert(t.ticket_ref);
    }
    assert_eq!(by_key.len(), 50);
    assert!(by_key.values().all(|r| r.len() == 1), "{by_key:?}");
    let refs: BTreeSet<&String> = by_key.values().flatten().collect();
    assert_eq!(refs.len(), 50);
    assert_eq!(a.count("tickets").await.unwrap(), imported + 50);
    assert_eq!(b.count("ticket_events").await.unwrap(), imported + 50);
    // Each instance reads what the other filed.
    for r in refs {
        assert!(a.ticket(r).await.unwrap().is_some());
        assert!(b.ticket(r).await.unwrap().is_some());
    }
    drop((a, b));
    drop(db);
}

// ---------------------------------------------------------------------------------------------
// Choosing the store

#[tokio::test]
async fn sqlite_connect_creates_a_file_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crm.db");
    let url = format!("sqlite://{}", path.display());
    let crm = SqliteCrm::connect(&url).await.unwrap();
    crm.import(&import::read_embedded_demo()).await.unwrap();
    drop(crm);
    assert!(path.exists());
    // Reopening runs the migrations again (a no-op) and sees the data.
    let crm = SqliteCrm::connect(&url).await.unwrap();
    assert_eq!(crm.count("customers").await.unwrap(), 240);
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(crm.pool())
        .await
        .unwrap();
    assert_eq!(mode, "wal");
}

#[tokio::test]
async fn postgres_database_url_selects_the_postgres_store() {
    let db = TestDatabase::create().await;
    for url in [
        db.url.clone(),
        db.url.replacen("postgres://", "postgresql://", 1),
    ] {
        assert!(url.starts_with("postgres"), "{url}");
        let config = dalal::config::Config {
            database_url: url.clone(),
            ..dalal::config::Config::default()
        };
        let crm = dalal::server::connect_crm(&config).await.unwrap();
        crm.ping().await.unwrap();
        // Reconnecting runs the migrations again: a no-op.
        assert!(crm.is_empty().await.unwrap());
    }
}

#[tokio::test]
async fn unknown_database_url_schemes_are_refused() {
    let config = dalal::config::Config {
        database_url: "mysql://localhost/dalal".into(),
        ..dalal::config::Config::default()
    };
    let err = dalal::server::connect_crm(&config).await.err().unwrap();
    assert!(err.to_string().contains("postgres"), "{err}");
}

#[tokio::test]
async fn postgres_down_fails_fast_without_showing_the_password() {
    let started = std::time::Instant::now();
    let config = dalal::config::Config {
        // Nothing listens on port 1.
        database_url: "postgres://dalal:s3cret@127.0.0.1:1/dalal".into(),
        ..dalal::config::Config::default()
    };
    let err = dalal::server::connect_crm(&config).await.err().unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert!(!format!("{err:#}").contains("s3cret"), "{err:#}");
}

#[test]
fn database_urls_are_rewritten_for_the_test_database() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:55432/dalal_test", "x"),
        "postgres://postgres@127.0.0.1:55432/x"
    );
    assert_eq!(
        with_database("postgres://u:p@h/db?sslmode=disable", "x"),
        "postgres://u:p@h/x?sslmode=disable"
    );
    assert_eq!(
        with_database("postgres://h:5432", "x"),
        "postgres://h:5432/x"
    );
}
