//! A real server on port 0, with the canonical crm-demo fixture imported, driven over HTTP the
//! way Africa's Talking drives it.
//!
//! `DALAL_TEST_BACKEND=production` runs the same tests on PostgreSQL + Redis (a fresh database
//! per server on `DALAL_TEST_POSTGRES_URL`, a unique key prefix on `DALAL_TEST_REDIS_URL`);
//! otherwise on the embedded defaults (SQLite file + in-process sessions).
#![allow(dead_code)]

#[macro_use]
pub mod backend;
pub mod browser;
pub mod kannel;
pub mod pg;
pub mod process;

use std::ops::Deref;
use std::path::Path;
use std::sync::Arc;

use dalal::config::Config;
use dalal::domain::Interaction;
use dalal::store::inspect::CrmInspect;
use dalal::store::postgres::PgCrm;
use dalal::store::sqlite::SqliteCrm;
use dalal::store::{CrmStore, StoreResult};
use dalal::text::gsm7::PageBudget;

pub const FIXTURE: &str = "../shared/fixtures/crm-demo";

/// The server's own CRM store, and a second handle on its database for what only tests read
/// ([`CrmInspect`] is not on the server's path).
pub struct TestCrm {
    server: Arc<dyn CrmStore>,
    inspect: Box<dyn CrmInspect>,
}

impl TestCrm {
    async fn open(server: Arc<dyn CrmStore>, database_url: &str) -> TestCrm {
        let inspect: Box<dyn CrmInspect> = if database_url.starts_with("sqlite:") {
            Box::new(
                SqliteCrm::connect(database_url)
                    .await
                    .expect("SQLite opens"),
            )
        } else {
            Box::new(
                PgCrm::connect(database_url)
                    .await
                    .expect("PostgreSQL connects"),
            )
        };
        TestCrm { server, inspect }
    }

    pub async fn outage_report_count(&self, outage_id: &str) -> StoreResult<i64> {
        self.inspect.outage_report_count(outage_id).await
    }

    pub async fn interaction(
        &self,
        gateway: &str,
        session_id: &str,
    ) -> StoreResult<Option<Interaction>> {
        self.inspect.interaction(gateway, session_id).await
    }

    /// The session's interaction row once written: a USSD session's last screen does not wait
    /// for its record's commit, so it lands a moment after the reply. Fails after 5 s.
    pub async fn written_interaction(&self, gateway: &str, session_id: &str) -> Interaction {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            if let Some(row) = self.interaction(gateway, session_id).await.unwrap() {
                return row;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no interaction row for {gateway}/{session_id} after 5 s"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}

impl Deref for TestCrm {
    type Target = dyn CrmStore;
    fn deref(&self) -> &Self::Target {
        &*self.server
    }
}

pub struct TestServer {
    pub base: String,
    pub crm: TestCrm,
    pub client: reqwest::Client,
    pub database_url: String,
    _db: Option<pg::TestDatabase>,
    _dir: tempfile::TempDir,
}

/// True when the suite runs on the production backends.
pub fn production() -> bool {
    match std::env::var("DALAL_TEST_BACKEND").as_deref() {
        Ok("production") => true,
        Ok("embedded") | Err(_) => false,
        Ok(other) => panic!("DALAL_TEST_BACKEND={other}: expected embedded or production"),
    }
}

pub fn redis_url() -> String {
    std::env::var("DALAL_TEST_REDIS_URL").unwrap_or_else(|_| {
        panic!("DALAL_TEST_REDIS_URL is not set: run tests/run-all.sh, which starts Redis")
    })
}

/// A session key prefix no other test uses.
pub fn unique_prefix() -> String {
    format!("test:{}:", pg::unique_name())
}

pub async fn start() -> TestServer {
    start_with(|_| {}).await
}

pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> TestServer {
    start_on(production(), adjust).await
}

/// A server on PostgreSQL + Redis whatever DALAL_TEST_BACKEND says.
pub async fn start_production_with(adjust: impl FnOnce(&mut Config)) -> TestServer {
    start_on(true, adjust).await
}

async fn start_on(production: bool, adjust: impl FnOnce(&mut Config)) -> TestServer {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = if production {
        Some(pg::TestDatabase::create().await)
    } else {
        None
    };
    let database_url = match &db {
        Some(db) => db.url.clone(),
        None => format!("sqlite:{}", dir.path().join("crm.db").display()),
    };
    let mut config = Config {
        database_url,
        redis_url: production.then(redis_url),
        redis_key_prefix: unique_prefix(),
        // Tests walk many sessions from one phone quickly; the limit has its own test.
        rate_limit_per_minute: 0,
        ..Config::default()
    };
    adjust(&mut config);
    let app = dalal::server::build_app(config).await.expect("app builds");
    app.crm
        .import(&fixture_with_usage())
        .await
        .expect("fixture imports");
    let database_url = app.config.database_url.clone();
    let crm = TestCrm::open(app.crm.clone(), &database_url).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { dalal::server::serve(app, listener).await.unwrap() });
    TestServer {
        base,
        crm,
        client: reqwest::Client::new(),
        database_url,
        _db: db,
        _dir: dir,
    }
}

/// A scalar query on the database at `database_url` (SQLite or PostgreSQL), as CRM staff
/// would run it.
/// The canonical fixture, with the optional files the project adds to it for the same
/// customers (prepaid token purchases and meter readings, `dalal generate --extend demo`).
pub fn fixture_with_usage() -> dalal::import::Dataset {
    let mut data = dalal::import::read_dir(Path::new(FIXTURE)).expect("fixture parses");
    let usage = dalal::import::read_dir(Path::new("demo")).expect("demo parses");
    data.vends = usage.vends;
    data.meter_readings = usage.meter_readings;
    data
}

pub async fn count_in(database_url: &str, sql: &str) -> i64 {
    scalar_in(database_url, sql).await
}

/// A text scalar query (the same SQL on both databases).
pub async fn text_in(database_url: &str, sql: &str) -> String {
    scalar_in(database_url, sql).await
}

async fn scalar_in<T>(database_url: &str, sql: &str) -> T
where
    T: Send + Unpin,
    for<'r> (T,):
        sqlx::FromRow<'r, sqlx::sqlite::SqliteRow> + sqlx::FromRow<'r, sqlx::postgres::PgRow>,
{
    let statement = || sqlx::AssertSqlSafe(sql.to_string());
    if database_url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(database_url).await.unwrap();
        let n = sqlx::query_as::<_, (T,)>(statement())
            .fetch_one(&pool)
            .await;
        pool.close().await;
        n.unwrap_or_else(|e| panic!("{sql}: {e}")).0
    } else {
        let pool = sqlx::PgPool::connect(database_url).await.unwrap();
        let n = sqlx::query_as::<_, (T,)>(statement())
            .fetch_one(&pool)
            .await;
        pool.close().await;
        n.unwrap_or_else(|e| panic!("{sql}: {e}")).0
    }
}

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

impl TestServer {
    /// Reads the CRM database directly, as CRM staff would (a scalar query).
    pub async fn count(&self, sql: &str) -> i64 {
        count_in(&self.database_url, sql).await
    }

    /// A text scalar query on the CRM database.
    pub async fn text(&self, sql: &str) -> String {
        text_in(&self.database_url, sql).await
    }

    /// POSTs a raw form body to a path; returns status and body.
    pub async fn post(&self, path: &str, body: impl Into<reqwest::Body>) -> (u16, String) {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("request sent");
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }

    pub async fn ussd(&self, session: &str, phone: &str, text: &str) -> (u16, String) {
        let body = at_hop_form(session, phone, text, "63902");
        self.post("/ussd/africastalking", body).await
    }

    pub fn call(&self, phone: &str) -> Call<'_> {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Call {
            server: self,
            session: format!("ATUid_test_{n}_{}", std::process::id()),
            phone: phone.to_string(),
            inputs: Vec::new(),
            last: String::new(),
        }
    }
}

/// One USSD session, hop by hop.
pub struct Call<'a> {
    pub server: &'a TestServer,
    pub session: String,
    pub phone: String,
    pub inputs: Vec<String>,
    pub last: String,
}

/// Asserts a reply is a well-formed page: CON/END prefix and within the USSD page budget.
pub fn assert_page(body: &str) {
    let text = body
        .strip_prefix("CON ")
        .or_else(|| body.strip_prefix("END "))
        .unwrap_or_else(|| panic!("reply lacks CON/END prefix: {body:?}"));
    assert!(
        PageBudget::USSD.fits(text),
        "page over budget ({:?}, {} units): {text:?}",
        dalal::text::gsm7::encoding(text),
        dalal::text::gsm7::cost(text).1
    );
    assert!(
        !text.contains('\u{2068}') && !text.contains('\u{202f}'),
        "{text:?}"
    );
}

impl Call<'_> {
    /// The first hop (empty text).
    pub async fn dial(&mut self) -> String {
        self.send().await
    }

    /// Types one input.
    pub async fn press(&mut self, input: &str) -> String {
        assert!(
            !self.last.starts_with("END"),
            "session already ended with {:?}",
            self.last
        );
        self.inputs.push(input.to_string());
        self.send().await
    }

    /// Sends the current text again (an aggregator retry).
    pub async fn retry(&mut self) -> String {
        self.send().await
    }

    async fn send(&mut self) -> String {
        let text = self.inputs.join("*");
        let (status, body) = self.server.ussd(&self.session, &self.phone, &text).await;
        assert_eq!(status, 200, "hop {text:?} answered {status}: {body}");
        assert_page(&body);
        self.last = body.clone();
        body
    }

    /// Presses each input in turn; returns the last reply.
    pub async fn walk(&mut self, inputs: &[&str]) -> String {
        let mut last = String::new();
        for input in inputs {
            last = self.press(input).await;
        }
        last
    }
}

/// The form of one Africa's Talking hop to `*123#`, every value percent-encoded.
pub fn at_hop_form(session: &str, phone: &str, text: &str, network_code: &str) -> String {
    format!(
        "sessionId={}&serviceCode={}&phoneNumber={}&networkCode={}&text={}",
        enc(session),
        enc("*123#"),
        enc(phone),
        enc(network_code),
        enc(text)
    )
}
