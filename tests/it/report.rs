//! The KPI report: its rows read on both databases (one scenario body, SQLite and PostgreSQL),
//! then end to end: a real server with the demo fixture, a scripted set of sessions over
//! HTTP, `dalal report --format html` rendered in real headless Chromium (screenshot kept under
//! `target/test-artefacts/`), and the same figures at `GET /admin/kpis`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use dalal::report::{Kpis, Range};
use dalal::store::report::kpis;

use crate::support;
use support::backend::Backend;
use support::browser::run_headless;

const FR_WATER: &str = "+221786452821"; // SNW100000, fr, Plateau (a known water outage)
const WO_POWER: &str = "+221786562901"; // SNE100001, wo
const EN_POWER: &str = "+254729141428"; // KEE100010, en
const ADMIN_KEY: &str = "kpi-test-admin-key";

// ---------------------------------------------------------------------------------------------
// The rows, on both databases

on_both! {
    the_report_reads_every_table_in_its_range:
        sqlite_the_report_reads_every_table_in_its_range,
        postgres_the_report_reads_every_table_in_its_range;
}

fn interaction(id: u32, at: &str, path: &str, outcome: &str, ended: bool, account: &str) -> String {
    let outcome = if outcome.is_empty() {
        "NULL".to_string()
    } else {
        format!("'{outcome}'")
    };
    format!(
        "INSERT INTO interactions (gateway, session_id, channel, phone, account_no, language, \
         path, outcome, hops, started_at, updated_at, ended) VALUES ('africastalking', 's{id}', \
         '{}', '+221700000001', '{account}', 'fr', '{path}', {outcome}, 3, '{at}', '{at}', {})",
        if id.is_multiple_of(2) {
            "voice"
        } else {
            "ussd"
        },
        // SQLite keeps booleans as 0/1; PostgreSQL takes TRUE/FALSE, and both read these.
        if ended { "TRUE" } else { "FALSE" }
    )
}

async fn the_report_reads_every_table_in_its_range(db: &Backend) {
    db.import(&dalal::import::read_dir(Path::new(support::FIXTURE)).unwrap())
        .await
        .unwrap();
    // A range far from the fixture's own dates: only these rows are in it.
    db.exec_all(&[
        interaction(1, "2027-03-10T08:00:00Z", "main>bill", "latest_bill:found", true, "SNW100000"),
        interaction(2, "2027-03-10T09:00:00Z", "main>complaint>complaint_category", "", false, "SNW100000"),
        interaction(3, "2027-03-11T09:00:00Z", "main>bill", "latest_bill:found", true, "SNW100000"),
        interaction(5, "2027-03-12T09:00:00Z", "main", "", false, "SNW100000"),
        interaction(7, "2027-03-09T23:59:59Z", "main", "", false, "SNW100000"),
        "INSERT INTO tickets (ticket_ref, account_no, phone, category, status, channel, created_at, \
         sla_due_at, updated_at) VALUES ('RCKPI1', 'SNW100000', '+221700000001', 'billing', 'open', \
         'ussd', '2027-03-10T08:00:00Z', '2027-03-11T08:00:00Z', '2027-03-10T08:00:00Z')"
            .to_string(),
        "INSERT INTO ticket_events (ticket_ref, at, event, detail) \
         VALUES ('RCKPI1', '2027-03-10T20:00:00Z', 'status', 'resolved')"
            .to_string(),
        "INSERT INTO tickets (ticket_ref, account_no, phone, category, status, channel, created_at, \
         sla_due_at, updated_at) VALUES ('RCKPI2', 'SNW100000', '+221700000001', 'billing', 'open', \
         'ussd', '2027-03-10T08:00:00Z', '2027-03-10T12:00:00Z', '2027-03-10T08:00:00Z')"
            .to_string(),
        "INSERT INTO tickets (ticket_ref, account_no, phone, category, status, channel, created_at, \
         sla_due_at, updated_at) VALUES ('RCKPI3', 'SNW100000', '+221700000001', 'meter_fault', \
         'open', 'ussd', '2027-03-12T08:00:00Z', '2027-03-13T08:00:00Z', '2027-03-12T08:00:00Z')"
            .to_string(),
        "INSERT INTO callback_tasks (phone, account_no, language, channel, status, created_at) \
         VALUES ('+221700000001', 'SNW100000', 'fr', 'voice', 'pending', '2027-03-11T22:00:00Z')"
            .to_string(),
        "INSERT INTO callback_tasks (phone, account_no, language, channel, status, created_at) \
         VALUES ('+221700000001', 'SNW100000', 'fr', 'voice', 'done', '2027-03-10T22:00:00Z')"
            .to_string(),
        "INSERT INTO outage_reports (reference, outage_id, account_no, phone, channel, created_at) \
         SELECT 'ORKPI1', outage_id, 'SNW100000', '+221700000001', 'ussd', '2027-03-10T10:00:00Z' \
         FROM outages ORDER BY outage_id LIMIT 1"
            .to_string(),
        "INSERT INTO survey_responses (phone, channel, language, score, at) \
         VALUES ('+221700000001', 'ussd', 'fr', 4, '2027-03-11T10:00:00Z')"
            .to_string(),
        "INSERT INTO survey_responses (phone, channel, language, score, at) \
         VALUES ('+221700000001', 'ussd', 'fr', 2, '2027-03-12T10:00:00Z')"
            .to_string(),
    ])
    .await;
    let range = Range::parse("2027-03-10", "2027-03-11").unwrap();
    let now = Utc.with_ymd_and_hms(2027, 4, 1, 0, 0, 0).unwrap();
    let k: Kpis = kpis(db.report(), range, 7, now).await.unwrap();
    assert!(!k.empty);
    assert_eq!(k.totals.sessions, 3, "the 9th and the 12th are outside");
    assert_eq!((k.totals.ussd_sessions, k.totals.calls), (2, 1));
    assert_eq!((k.totals.completed, k.totals.abandoned), (2, 1));
    let screen = |n: &str| k.funnel.iter().find(|s| s.node == n).unwrap().clone();
    assert_eq!(screen("main").reached, 3);
    assert_eq!(screen("complaint_category").dropped_here, 1);
    assert_eq!(screen("bill").completed_here, 2);
    // The bill check of the 10th came back on the 11th; the one of the 11th did not.
    let f = &k.first_contact_resolution;
    assert_eq!((f.contacts, f.resolved_first), (2, 1));
    assert_eq!(k.sla.len(), 1, "the meter fault was filed after the range");
    let billing = &k.sla[0];
    assert_eq!(billing.category, "billing");
    assert_eq!((billing.tickets, billing.met, billing.breached), (2, 1, 1));
    assert_eq!(k.callbacks.requested_in_range, 2);
    assert_eq!(k.callbacks.pending, 1);
    assert_eq!(
        k.callbacks.oldest_age_hours,
        Some(2.0),
        "aged at the range's end"
    );
    assert_eq!(k.outages.len(), 1);
    assert_eq!(k.outages[0].reports, 1);
    assert_eq!(k.satisfaction.responses, 1);
    assert_eq!(k.satisfaction.average, Some(4.0));

    // A window of 0 days: every contact counts as resolved at first contact.
    let k = kpis(db.report(), range, 0, now).await.unwrap();
    assert_eq!(k.first_contact_resolution.resolved_first, 2);

    // Nothing in March 2028.
    let empty = Range::parse("2028-03-01", "2028-03-31").unwrap();
    let k = kpis(db.report(), empty, 7, now).await.unwrap();
    assert!(k.empty);
    assert_eq!(k.totals.sessions, 0);
}

// ---------------------------------------------------------------------------------------------
// End to end

fn artefacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-artefacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The `<svg id=...>` element of a chart in the rendered DOM, and how many data bars it holds.
fn bars_in(dom: &str, id: &str) -> usize {
    let start = dom
        .find(&format!("<svg id=\"{id}\""))
        .unwrap_or_else(|| panic!("no chart {id} in the rendered page"));
    let end = start + dom[start..].find("</svg>").expect("chart closed");
    dom[start..end].matches("<rect class=\"bar ").count()
}

fn dalal(args: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_dalal"))
        .args(args)
        .env_remove("DALAL_CONFIG")
        .env_remove("DATABASE_URL")
        .output()
        .expect("dalal runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn the_console_check_catches_a_script_error() {
    // The browser check below passes on silence: make sure silence is not deafness.
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("bad.html");
    std::fs::write(
        &page,
        "<!DOCTYPE html><html><body><script>undefinedFunction();</script></body></html>",
    )
    .unwrap();
    let (_, console) = run_headless(&page, &dir.path().join("profile"), &["--dump-dom"]);
    assert!(
        console.iter().any(|l| l.contains("undefinedFunction")),
        "{console:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn scripted_sessions_show_in_the_html_report_in_chromium_and_at_admin_kpis() {
    let server = support::start_with(|c| {
        c.session_ttl_secs = 1;
        c.expiry_sweep_secs = 1;
        c.admin_key = Some(ADMIN_KEY.to_string());
    })
    .await;
    let today = Utc::now().date_naive().to_string();

    // A bill check, an outage report, a complaint, and a session left on a menu.
    let mut bill = server.call(FR_WATER);
    bill.dial().await;
    let reply = bill.press("1").await;
    assert!(
        reply.starts_with("END ") && reply.contains("66 860 FCFA"),
        "{reply}"
    );
    let mut outage = server.call(FR_WATER);
    outage.dial().await;
    let reply = outage.walk(&["2", "1"]).await;
    assert!(reply.starts_with("END "), "{reply}");
    let mut complaint = server.call(EN_POWER);
    complaint.dial().await;
    let reply = complaint.walk(&["4", "2", "1"]).await;
    assert!(reply.starts_with("END "), "{reply}");
    let mut left = server.call(WO_POWER);
    left.dial().await;
    left.press("3").await;

    // Every session's row, the abandoned one once its TTL ran out.
    let deadline = Instant::now() + Duration::from_secs(15);
    while server.count("SELECT COUNT(*) FROM interactions").await < 4 {
        assert!(
            Instant::now() < deadline,
            "4 interaction rows never written"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // The HTML report, from the binary, on the server's database.
    let out = artefacts().join("kpi-report.html");
    let _ = std::fs::remove_file(&out);
    let (ok, _, stderr) = dalal(&[
        "report",
        "--from",
        &today,
        "--to",
        &today,
        "--format",
        "html",
        "--out",
        out.to_str().unwrap(),
        "--database-url",
        &server.database_url,
    ]);
    assert!(ok, "{stderr}");
    let html = std::fs::read_to_string(&out).unwrap();
    for forbidden in [
        "<script", "src=", "href=", "http://", "https://", FR_WATER, EN_POWER,
    ] {
        assert!(!html.contains(forbidden), "the page holds {forbidden:?}");
    }

    // Rendered in Chromium: the DOM after layout, and a phone-sized screenshot.
    let profile = tempfile::tempdir().unwrap();
    let (dom, console) = run_headless(&out, &profile.path().join("a"), &["--dump-dom"]);
    assert!(console.is_empty(), "console messages: {console:?}");
    assert!(bars_in(&dom, "chart-funnel") >= 4, "funnel chart empty");
    assert!(bars_in(&dom, "chart-sla") >= 1, "SLA chart empty");
    assert!(bars_in(&dom, "chart-days") >= 1, "sessions chart empty");
    let shot = artefacts().join("kpi-report.png");
    let _ = std::fs::remove_file(&shot);
    let (_, console) = run_headless(
        &out,
        &profile.path().join("b"),
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=412,2400",
        ],
    );
    assert!(console.is_empty(), "console messages: {console:?}");
    let png = std::fs::read(&shot).expect("screenshot written");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "screenshot"
    );

    // The same figures as JSON, behind the admin key.
    let url = format!("{}/admin/kpis?from={today}&to={today}", server.base);
    let get = |key: Option<&'static str>, url: String| {
        let mut request = server.client.get(url);
        if let Some(key) = key {
            request = request.header("X-Dalal-Admin-Key", key);
        }
        async move { request.send().await.unwrap() }
    };
    assert_eq!(get(None, url.clone()).await.status(), 403);
    assert_eq!(get(Some("wrong"), url.clone()).await.status(), 403);
    let bad = format!("{}/admin/kpis?from=2026-13-01&to={today}", server.base);
    assert_eq!(get(Some(ADMIN_KEY), bad).await.status(), 400);
    let response = get(Some(ADMIN_KEY), url).await;
    assert_eq!(response.status(), 200);
    let json: serde_json::Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    let n = |v: &serde_json::Value| v.as_u64().unwrap();
    assert_eq!(n(&json["totals"]["sessions"]), 4);
    assert_eq!(n(&json["totals"]["abandoned"]), 1);
    assert_eq!(
        n(&json["totals"]["sessions"]) as i64,
        server.count("SELECT COUNT(*) FROM interactions").await
    );
    let dropped: u64 = json["funnel"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| n(&s["dropped_here"]))
        .sum();
    assert_eq!(dropped, 1);
    let tickets: u64 = json["sla"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| n(&c["tickets"]))
        .sum();
    let filed_today = server
        .count(&format!(
            "SELECT COUNT(*) FROM tickets WHERE origin_key IS NOT NULL AND CAST(created_at AS TEXT) LIKE '{today}%'"
        ))
        .await;
    assert_eq!(tickets as i64, filed_today);
    assert!(tickets >= 1);
    let reports: u64 = json["outages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| n(&o["reports"]))
        .sum();
    assert_eq!(
        reports as i64,
        server.count("SELECT COUNT(*) FROM outage_reports").await
    );
    assert_eq!(json["empty"], false);

    // The text and CSV reports agree, and a range without activity says so (exit 0).
    let (ok, text, stderr) = dalal(&[
        "report",
        "--from",
        &today,
        "--to",
        &today,
        "--database-url",
        &server.database_url,
    ]);
    assert!(ok, "{stderr}");
    assert!(text.contains("Sessions: 4"), "{text}");
    for format in ["text", "csv", "html"] {
        let (ok, written, stderr) = dalal(&[
            "report",
            "--from",
            "2020-01-01",
            "--to",
            "2020-01-31",
            "--format",
            format,
            "--database-url",
            &server.database_url,
        ]);
        assert!(ok, "{format}: {stderr}");
        assert!(
            written.contains("No activity between 2020-01-01 and 2020-01-31"),
            "{format}: {written}"
        );
    }
    let (ok, _, stderr) = dalal(&[
        "report",
        "--from",
        "2020-02-30",
        "--to",
        "2020-03-01",
        "--database-url",
        &server.database_url,
    ]);
    assert!(!ok);
    assert!(stderr.contains("2020-02-30"), "{stderr}");
}
