//! An outage storm over real HTTP: 20,000 outage reports from 5,000 phones across 10 areas,
//! sent concurrently. Nothing may be lost or doubled: every reference a caller heard exists,
//! each area gets exactly `threshold - 1` tickets and one suspected incident, and every other
//! report is attached to that incident.

use crate::support;

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::NaiveDate;
use dalal::domain::{Account, Area, Bill};
use dalal::import::Dataset;

const AREAS: usize = 10;
const PHONES_PER_AREA: usize = 500;
const REPORTS_PER_PHONE: usize = 4;
const THRESHOLD: i64 = 10;
const CONCURRENCY: usize = 48;

fn storm_dataset() -> Dataset {
    let mut data = Dataset::default();
    for a in 0..AREAS {
        let area_code = format!("SN-STM-A{a:02}");
        data.areas.push(Area {
            area_code: area_code.clone(),
            name: format!("Storm {a}"),
            region: "Dakar".into(),
            country: "SN".into(),
            timezone: None,
            currency: "XOF".into(),
            languages: vec!["fr".into(), "wo".into()],
        });
        for p in 0..PHONES_PER_AREA {
            let n = a * PHONES_PER_AREA + p;
            let account_no = format!("SNE9{n:05}");
            data.customers.push(Account {
                account_no: account_no.clone(),
                full_name: format!("Client {n}"),
                phone: Some(format!("+22178{n:07}")),
                alt_phone: None,
                language: Some("fr".into()),
                service: "electricity".into(),
                meter_no: format!("M9{n:08}"),
                area_code: area_code.clone(),
                tariff: "domestic".into(),
                status: "active".into(),
            });
            data.bills.push(Bill {
                bill_id: format!("BS{n:07}"),
                account_no,
                period: "2026-10".into(),
                issued_on: NaiveDate::from_ymd_opt(2026, 10, 28).unwrap(),
                due_on: NaiveDate::from_ymd_opt(2026, 11, 12).unwrap(),
                amount_minor: 10_000,
                currency: "XOF".into(),
                status: "unpaid".into(),
                paid_minor: 0,
            });
        }
    }
    data
}

async fn report(server: &support::TestServer, session: &str, phone: &str) -> String {
    let mut last = String::new();
    for text in ["", "2", "2*1"] {
        let (status, body) = server.ussd(session, phone, text).await;
        assert_eq!(status, 200, "{session} {text:?}: {body}");
        last = body;
    }
    assert!(last.starts_with("END "), "{session}: {last}");
    last
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_thousand_reports_nothing_lost_or_doubled() {
    let server = Arc::new(
        support::start_with(|c| {
            c.storm_threshold = THRESHOLD;
            c.storm_window_secs = 3600;
            // A phone's reports run at once here, which no real phone does: each would be
            // offered to resume another still under way (the offer has its own tests).
            c.resume_secs = 0;
        })
        .await,
    );
    server.crm.import(&storm_dataset()).await.unwrap();

    let jobs: Vec<(String, String)> = (0..AREAS * PHONES_PER_AREA)
        .flat_map(|n| {
            (0..REPORTS_PER_PHONE).map(move |r| (format!("storm-{n}-{r}"), format!("+22178{n:07}")))
        })
        .collect();
    let jobs = Arc::new(tokio::sync::Mutex::new(jobs));
    let mut workers = Vec::new();
    for _ in 0..CONCURRENCY {
        let (server, jobs) = (server.clone(), jobs.clone());
        workers.push(tokio::spawn(async move {
            let mut heard = Vec::new();
            loop {
                let Some((session, phone)) = jobs.lock().await.pop() else {
                    return heard;
                };
                let reply = report(&server, &session, &phone).await;
                let reference = reply
                    .split(": ")
                    .last()
                    .map(|r| r.trim().to_string())
                    .filter(|r| r.starts_with("RC"))
                    .unwrap_or_else(|| panic!("no reference in {reply}"));
                heard.push(reference);
            }
        }));
    }
    let mut references = Vec::new();
    for worker in workers {
        references.extend(worker.await.unwrap());
    }
    let total = AREAS * PHONES_PER_AREA * REPORTS_PER_PHONE;
    assert_eq!(references.len(), total);
    let distinct: BTreeSet<&String> = references.iter().collect();
    assert_eq!(distinct.len(), total, "every report has its own reference");

    let storm_areas = "(SELECT area_code FROM areas WHERE area_code LIKE 'SN-STM-%')";
    let tickets = server
        .count(&format!(
            "SELECT COUNT(*) FROM tickets WHERE category = 'outage' AND area_code IN {storm_areas}"
        ))
        .await;
    let incidents = server
        .count(&format!(
            "SELECT COUNT(*) FROM outages WHERE status = 'suspected' AND area_code IN {storm_areas}"
        ))
        .await;
    let attached = server
        .count(&format!(
            "SELECT COUNT(*) FROM outage_reports r JOIN outages o ON o.outage_id = r.outage_id \
             WHERE o.area_code IN {storm_areas}"
        ))
        .await;
    let expected_tickets = AREAS as i64 * (THRESHOLD - 1);
    assert_eq!(tickets, expected_tickets);
    assert_eq!(incidents, AREAS as i64);
    assert_eq!(attached, total as i64 - expected_tickets);
    // Every reference a caller heard is committed.
    let committed = server
        .count(
            "SELECT (SELECT COUNT(*) FROM tickets WHERE origin_key IS NOT NULL) \
             + (SELECT COUNT(*) FROM outage_reports)",
        )
        .await;
    assert_eq!(committed, total as i64);
    for reference in references.iter().step_by(97) {
        let in_tickets = server.crm.ticket(reference).await.unwrap().is_some();
        let in_reports = server.crm.outage_report(reference).await.unwrap().is_some();
        assert!(
            in_tickets ^ in_reports,
            "{reference} committed exactly once"
        );
    }
}
