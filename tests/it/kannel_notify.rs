//! SMS to customers through a real Kannel (bearerbox + smsbox + fakesmsc, started by
//! tests/services.sh), from a real `dalal serve`: a complaint's confirmation reaches the SMS
//! centre once, in the caller's language, and its delivery report marks it delivered; a
//! status change made in the database sends one message; a planned outage reaches every
//! customer of its area exactly once though the server is killed with `kill -9` mid-batch;
//! a survey answer sent from a handset is stored. On SQLite, and on PostgreSQL with
//! `DALAL_TEST_BACKEND=production`.

use crate::support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use support::kannel::{KannelEnv, LogMark};
use support::process::{Instance, free_port, hop, reference_in};

const EN_POWER: &str = "+254729141428"; // KEE100010, en
const FR_WATER: &str = "+221786452821"; // SNW100000, fr, bill 66 860 FCFA

/// A deployment: its database, its config file, and the Kannel it sends through.
struct Deployment {
    dir: tempfile::TempDir,
    database_url: String,
    kannel: KannelEnv,
    _db: Option<support::pg::TestDatabase>,
}

impl Deployment {
    async fn new() -> Deployment {
        let dir = tempfile::tempdir().unwrap();
        let db = if support::production() {
            Some(support::pg::TestDatabase::create().await)
        } else {
            None
        };
        let database_url = match &db {
            Some(db) => db.url.clone(),
            None => format!("sqlite:{}", dir.path().join("crm.db").display()),
        };
        Deployment {
            dir,
            database_url,
            kannel: KannelEnv::from_env(),
            _db: db,
        }
    }

    /// A config sending through the test Kannel at `per_second`, no quiet hours.
    fn config(&self, per_second: f64) -> PathBuf {
        let k = &self.kannel;
        let path = self.dir.path().join("dalal.toml");
        let text = format!(
            "database_url = \"{db}\"\nrate_limit_per_minute = 0\n\
             [sms]\ngateway = \"kannel\"\nkannel_url = \"{url}\"\nkannel_username = \"{user}\"\n\
             kannel_password = \"{password}\"\nper_second = {per_second}\nclaim_secs = 2\n\
             poll_secs = 0.2\nschedule_secs = 0.2\nquiet_start_hour = 0\nquiet_end_hour = 0\n\
             [gateways.kannel]\nsecret = \"{key}\"\n",
            db = self.database_url,
            url = k.sendsms_url,
            user = k.username,
            password = k.password,
            key = k.callback_key,
        );
        std::fs::write(&path, text).unwrap();
        path
    }

    async fn serve(&self, config: &Path, port: u16) -> Instance {
        let log = self.dir.path().join("dalal.log");
        let instance = Instance::spawn_on(
            port,
            &[("DALAL_CONFIG", config.to_str().unwrap())],
            Some(&log),
        );
        instance.ready(&reqwest::Client::new()).await;
        instance
    }

    /// One number from the CRM database.
    async fn count(&self, sql: &str) -> i64 {
        support::count_in(&self.database_url, sql).await
    }

    async fn eventually(&self, sql: &str, expected: i64, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            let got = self.count(sql).await;
            if got == expected {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{sql}: {got}, expected {expected}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The first text fakesmsc gets for `phone` since `mark` that contains `needle` (other
    /// messages, such as the survey after a session, may come between).
    async fn wait_for_text(&self, phone: &str, needle: &str, mark: LogMark) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(text) = self
                .texts_to(phone, mark)
                .into_iter()
                .find(|t| t.contains(needle))
            {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "no SMS with {needle:?}: {:?}",
                self.texts_to(phone, mark)
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The texts fakesmsc got for `phone` since `mark`.
    fn texts_to(&self, phone: &str, mark: LogMark) -> Vec<String> {
        self.kannel
            .fakesmsc
            .received_since(mark)
            .into_iter()
            .filter(|sms| sms.to == phone)
            .map(|sms| sms.text)
            .collect()
    }
}

/// Walks a USSD session over Africa's Talking's protocol; the last reply.
async fn walk(base: &str, session: &str, phone: &str, inputs: &[&str]) -> String {
    let client = reqwest::Client::new();
    let mut text = String::new();
    let mut last = hop(&client, base, session, phone, "").await.unwrap().1;
    for input in inputs {
        if !text.is_empty() {
            text.push('*');
        }
        text.push_str(input);
        last = hop(&client, base, session, phone, &text).await.unwrap().1;
    }
    last
}

#[tokio::test]
async fn a_complaint_is_confirmed_through_kannel_once_and_marked_delivered() {
    let deployment = Deployment::new().await;
    let config = deployment.config(20.0);
    let server = deployment.serve(&config, free_port()).await;
    let mark = deployment.kannel.fakesmsc.mark();
    let session = format!("kn-{}", std::process::id());
    let filed = walk(&server.base, &session, EN_POWER, &["4", "2", "1"]).await;
    let reference = reference_in(&filed).expect("a reference");
    // The aggregator resends the last hop: no second ticket, no second SMS.
    walk(&server.base, &session, EN_POWER, &["4", "2", "1"]).await;
    let sms = deployment
        .kannel
        .fakesmsc
        .wait_for(EN_POWER, mark, Duration::from_secs(15))
        .await;
    assert!(sms.text.contains(&reference), "{sms:?}");
    assert!(
        sms.text.starts_with("Complaint received"),
        "in English: {sms:?}"
    );
    assert_eq!(sms.kind, "text", "GSM-7");
    deployment
        .eventually(
            &format!("SELECT COUNT(*) FROM sms_outbox WHERE reference = '{reference}' AND state = 'delivered' AND segments = 1 AND encoding = 'gsm7' AND language = 'en'"),
            1,
            Duration::from_secs(15),
        )
        .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let confirmations: Vec<String> = deployment
        .texts_to(EN_POWER, mark)
        .into_iter()
        .filter(|t| t.contains(&reference))
        .collect();
    assert_eq!(confirmations.len(), 1, "{confirmations:?}");

    // CRM staff resolve it in the database: one message says so.
    let mark = deployment.kannel.fakesmsc.mark();
    deployment
        .count(&format!(
            "UPDATE tickets SET status = 'resolved' WHERE ticket_ref = '{reference}' RETURNING CAST(1 AS BIGINT)"
        ))
        .await;
    let sms = deployment.wait_for_text(EN_POWER, "resolved", mark).await;
    assert!(sms.contains(&reference), "{sms}");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let about_it: Vec<String> = deployment
        .texts_to(EN_POWER, mark)
        .into_iter()
        .filter(|t| t.contains(&reference))
        .collect();
    assert_eq!(
        about_it.len(),
        1,
        "one message for the change: {about_it:?}"
    );
}

#[tokio::test]
async fn a_planned_outage_reaches_every_customer_once_though_the_server_is_killed() {
    let deployment = Deployment::new().await;
    // Slow enough that the kill lands in the middle of the batch.
    let config = deployment.config(4.0);
    let port = free_port();
    let mut server = deployment.serve(&config, port).await;
    let area = "SN-DKR-PLT";
    let phones_sql = format!(
        "SELECT COUNT(DISTINCT phone) FROM customers WHERE area_code = '{area}' AND service = 'electricity' AND phone IS NOT NULL"
    );
    let customers = deployment.count(&phones_sql).await;
    assert!(customers >= 10, "{customers}");
    let mark = deployment.kannel.fakesmsc.mark();
    let starts = (chrono::Utc::now() + chrono::Duration::hours(5))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    deployment
        .count(&format!(
            "INSERT INTO outages (outage_id, area_code, service, kind, starts_at, expected_end, status, cause) \
             VALUES ('OUT7001', '{area}', 'electricity', 'planned', '{starts}', NULL, 'scheduled', 'works') \
             RETURNING CAST(1 AS BIGINT)"
        ))
        .await;
    let notices = |deployment: &Deployment| -> Vec<String> {
        deployment
            .kannel
            .fakesmsc
            .received_since(mark)
            .into_iter()
            .filter(|sms| {
                sms.text.contains("programmée")
                    || sms.text.contains("Planned")
                    || sms.text.contains("Dagg")
            })
            .map(|sms| sms.to)
            .collect()
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while notices(&deployment).len() < 3 {
        assert!(Instant::now() < deadline, "the notices never started");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.signal("KILL");
    server.exit_within(Duration::from_secs(5)).await;
    let sent_before = notices(&deployment).len() as i64;
    assert!(
        sent_before < customers,
        "killed mid-batch: {sent_before} of {customers}"
    );
    let _restarted = deployment.serve(&config, port).await;
    let deadline = Instant::now() + Duration::from_secs(40);
    while (notices(&deployment).len() as i64) < customers {
        assert!(
            Instant::now() < deadline,
            "not every customer was told: {:?}",
            notices(&deployment)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut told = notices(&deployment);
    assert_eq!(told.len() as i64, customers, "exactly once each: {told:?}");
    told.sort();
    told.dedup();
    assert_eq!(told.len() as i64, customers, "no customer twice");
    // The dry run now says nothing is left to send.
    let (ok, out, err) = support::process::dalal(&[
        "--config",
        config.to_str().unwrap(),
        "notify",
        "outages",
        "--dry-run",
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("no planned-outage notice due"), "{out}");
}

#[tokio::test]
async fn a_survey_answer_sent_from_a_handset_is_stored() {
    let deployment = Deployment::new().await;
    let config = deployment.config(20.0);
    // smsbox sends incoming messages to this port.
    let _mo_port = deployment.kannel.hold_mo_port().await;
    let server = deployment.serve(&config, deployment.kannel.mo_port).await;
    let mark = deployment.kannel.fakesmsc.mark();
    let session = format!("kn-survey-{}", std::process::id());
    let bill = walk(&server.base, &session, FR_WATER, &["1"]).await;
    assert!(bill.contains("66 860 FCFA"), "{bill}");
    let survey = deployment
        .kannel
        .fakesmsc
        .wait_for(FR_WATER, mark, Duration::from_secs(15))
        .await;
    assert!(survey.text.contains("de 1 (mauvais) à 5"), "{survey:?}");
    deployment
        .kannel
        .fakesmsc
        .inject(FR_WATER, "12345", "5")
        .await;
    deployment
        .eventually(
            "SELECT COUNT(*) FROM survey_responses WHERE phone = '+221786452821' AND score = 5 AND channel = 'ussd'",
            1,
            Duration::from_secs(15),
        )
        .await;
    // STOP opts the phone out; the confirmation still goes.
    let mark = deployment.kannel.fakesmsc.mark();
    deployment
        .kannel
        .fakesmsc
        .inject(FR_WATER, "12345", "STOP")
        .await;
    deployment
        .eventually(
            "SELECT COUNT(*) FROM sms_opt_outs WHERE phone = '+221786452821'",
            1,
            Duration::from_secs(15),
        )
        .await;
    let confirmation = deployment
        .kannel
        .fakesmsc
        .wait_for(FR_WATER, mark, Duration::from_secs(15))
        .await;
    assert!(
        confirmation.text.contains("ne recevrez plus"),
        "{confirmation:?}"
    );
    assert_eq!(confirmation.kind, "text", "GSM-7, one SMS");
}
