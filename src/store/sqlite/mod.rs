//! The CRM in SQLite: one file, WAL journal. The statements live by aggregate (`customers`,
//! `tickets`, `outages`, `interactions`, `import`); the filing rules they serve are in
//! `store/rules.rs`.
//!
//! Two drivers, each for what it is good at. The serving path runs on rusqlite, in place:
//! reads on the caller's thread (`connection.rs`), writes as units of work on one writer
//! thread that commits them in groups (`writer.rs`). sqlx's SQLite driver moves every statement
//! and row through a channel to a thread per connection; on the request path those thread
//! switches cost the server a quarter of its CPU, SQLite itself 1.5%. sqlx stays for what runs
//! once: the migrations, imports (`store/import.rs` through `db.rs`'s `SqliteImport`), and
//! [`SqliteCrm::pool`] for tests' ad-hoc SQL. Both drivers link the same SQLite library and open the same file.

mod connection;
mod convert;
mod db;
mod outbox;
mod writer;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use self::connection::{BUSY_TIMEOUT, CACHE_KIB, Readers, TempDatabase};
use self::db::{Lite, SqliteImport};
use self::writer::{Filer, Writer, complete};
use super::common::COUNTABLE;
use super::inspect::CrmInspect;
use super::report::ReportStore;
use super::{CrmStore, ImportSummary, ProgressFn, StoreError, StoreResult};
use super::{customers, import, interactions, outages, report, rules, tickets, usage};
use crate::domain::*;
use crate::report::ReportData;

/// Tables [`SqliteCrm::count`] may count: the shared ones, and the counters table.
fn countable(table: &str) -> bool {
    COUNTABLE.contains(&table) || table == "counters"
}

pub struct SqliteCrm {
    // Declared in the order they close: the writer finishes its queue first, and the
    // temporary file of `in_memory` goes last.
    writer: Writer,
    readers: Readers,
    pool: SqlitePool,
    _temp: Option<TempDatabase>,
}

impl SqliteCrm {
    /// Opens (creating it if missing) the database at `url`, e.g. `sqlite://dalal.db` or
    /// `sqlite:data/dalal.db`, and runs the migrations. `sqlite::memory:` is a private
    /// database, as [`SqliteCrm::in_memory`].
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        if url.contains(":memory:") || url.contains("mode=memory") {
            return Self::in_memory().await;
        }
        let options = SqliteConnectOptions::from_str(url)?;
        Self::open(options, None).await
    }

    /// A fresh private database (for tests): a file in the temporary directory, deleted when
    /// the store is dropped (the serving connections must all see one database).
    pub async fn in_memory() -> Result<Self, StoreError> {
        let temp = TempDatabase::new();
        let options = SqliteConnectOptions::new().filename(temp.path());
        Self::open(options, Some(temp)).await
    }

    async fn open(
        options: SqliteConnectOptions,
        temp: Option<TempDatabase>,
    ) -> Result<Self, StoreError> {
        // The same settings as the serving connections' (`connection::open`).
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(BUSY_TIMEOUT)
            .synchronous(SqliteSynchronous::Normal)
            .pragma("cache_size", format!("-{CACHE_KIB}"))
            .foreign_keys(true);
        let path = options.get_filename().to_path_buf();
        // Two connections are plenty for what sqlx still does (each is a thread); they close
        // when idle, as the server uses them only at startup.
        let pool = SqlitePoolOptions::new()
            .max_connections(2)
            .idle_timeout(Duration::from_secs(60))
            .connect_with(options)
            .await?;
        super::migrations::sqlite().run(&pool).await?;
        Self::serve(&path, pool, temp)
    }

    fn serve(path: &Path, pool: SqlitePool, temp: Option<TempDatabase>) -> StoreResult<Self> {
        Ok(SqliteCrm {
            writer: Writer::start(connection::open(path)?)?,
            readers: Readers::open(path, Readers::default_count())?,
            pool,
            _temp: temp,
        })
    }

    /// Runs statements written for [`super::sql::Db`] on a read connection, in place.
    fn read<T>(&self, read: impl AsyncFnOnce(&mut Lite<'_>) -> StoreResult<T>) -> StoreResult<T> {
        self.readers.read(|c| complete(read(&mut Lite(c))))
    }

    /// The sqlx pool on the same database, for one-off statements (tests, tools).
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Number of rows in one of the store's tables (a fixed allow-list; for tests and stats).
    pub async fn count(&self, table: &str) -> StoreResult<i64> {
        self.read(async |db| import::count(db, table, countable).await)
    }
}

#[async_trait]
impl CrmStore for SqliteCrm {
    async fn ping(&self) -> StoreResult<()> {
        self.read(async |db| customers::ping(db).await)
    }

    async fn is_empty(&self) -> StoreResult<bool> {
        self.read(async |db| customers::is_empty(db).await)
    }

    async fn import_with_progress(
        &self,
        data: &Dataset,
        progress: ProgressFn<'_>,
    ) -> StoreResult<ImportSummary> {
        import::import(SqliteImport::start(&self.pool).await?, data, progress).await
    }

    async fn accounts_for_phone(&self, phone: &str) -> StoreResult<Vec<Account>> {
        self.read(async |db| customers::accounts_for_phone(db, phone).await)
    }

    async fn account(&self, account_no: &str) -> StoreResult<Option<Account>> {
        self.read(async |db| customers::account(db, account_no).await)
    }

    async fn account_by_number(&self, typed: &str) -> StoreResult<Option<Account>> {
        self.read(async |db| customers::account_by_number(db, typed).await)
    }

    async fn account_by_meter(&self, typed: &str) -> StoreResult<Option<Account>> {
        self.read(async |db| customers::account_by_meter(db, typed).await)
    }

    async fn area(&self, area_code: &str) -> StoreResult<Option<Area>> {
        self.read(async |db| customers::area(db, area_code).await)
    }

    async fn areas(&self) -> StoreResult<Vec<Area>> {
        self.read(async |db| customers::areas(db).await)
    }

    async fn latest_bill(&self, account_no: &str) -> StoreResult<Option<Bill>> {
        self.read(async |db| customers::latest_bill(db, account_no).await)
    }

    async fn bill_statement(&self, account_no: &str) -> StoreResult<Option<BillStatement>> {
        self.read(async |db| customers::bill_statement(db, account_no).await)
    }

    async fn phone_language(&self, phone: &str) -> StoreResult<Option<String>> {
        self.read(async |db| customers::phone_language(db, phone).await)
    }

    async fn save_language(&self, phone: &str, language: &str) -> StoreResult<()> {
        let (phone, language) = (phone.to_string(), language.to_string());
        self.writer
            .write(move |c| complete(customers::save_language(&mut Lite(c), &phone, &language)))
            .await
    }

    async fn area_outages(&self, area_code: &str, now: DateTime<Utc>) -> StoreResult<Vec<Outage>> {
        self.read(async |db| outages::area_outages(db, area_code, now).await)
    }

    async fn file_outage_report(
        &self,
        filing: &NewOutageFiling,
        policy: &StormPolicy,
    ) -> StoreResult<OutageFiling> {
        let (filing, policy) = (filing.clone(), *policy);
        self.writer
            .write(move |c| complete(rules::file_outage_report(&Filer(c), &filing, &policy)))
            .await
    }

    async fn outage_report(&self, reference: &str) -> StoreResult<Option<OutageReport>> {
        self.read(async |db| outages::outage_report(db, reference).await)
    }

    async fn outage(&self, outage_id: &str) -> StoreResult<Option<Outage>> {
        self.read(async |db| outages::outage(db, outage_id).await)
    }

    async fn create_ticket(&self, ticket: &NewTicket) -> StoreResult<Ticket> {
        let ticket = ticket.clone();
        self.writer
            .write(move |c| complete(rules::create_ticket(&Filer(c), &ticket)))
            .await
    }

    async fn file_complaint(&self, ticket: &NewTicket) -> StoreResult<ComplaintFiling> {
        let ticket = ticket.clone();
        self.writer
            .write(move |c| complete(rules::file_complaint(&Filer(c), &ticket)))
            .await
    }

    async fn file_connection_request(
        &self,
        request: &NewConnectionRequest,
    ) -> StoreResult<ComplaintFiling> {
        let request = request.clone();
        self.writer
            .write(move |c| complete(rules::file_connection_request(&Filer(c), &request)))
            .await
    }

    async fn ticket(&self, reference: &str) -> StoreResult<Option<Ticket>> {
        self.read(async |db| tickets::ticket(db, reference).await)
    }

    async fn latest_ticket_event(
        &self,
        reference: &str,
    ) -> StoreResult<Option<(DateTime<Utc>, String, Option<String>)>> {
        self.read(async |db| tickets::latest_ticket_event(db, reference).await)
    }

    async fn open_tickets(&self, phone: &str, account_nos: &[String]) -> StoreResult<Vec<Ticket>> {
        self.read(async |db| tickets::open_tickets(db, phone, account_nos).await)
    }

    async fn create_callback(&self, callback: &NewCallback) -> StoreResult<i64> {
        let callback = callback.clone();
        self.writer
            .write(move |c| complete(rules::create_callback(&Filer(c), &callback)))
            .await
    }

    async fn record_interaction(&self, interaction: &Interaction) -> StoreResult<()> {
        self.record_interactions(std::slice::from_ref(interaction))
            .await
    }

    async fn record_interactions(&self, rows: &[Interaction]) -> StoreResult<()> {
        // One job, so all or nothing; committed with whatever else is queued (see also
        // `store::batch`, which gathers the hops' rows into such a slice).
        let rows = rows.to_vec();
        self.writer
            .write(move |c| complete(interactions::record_interactions(&mut Lite(c), &rows)))
            .await
    }

    async fn record_session_end(&self, end: &SessionEnd) -> StoreResult<()> {
        let end = end.clone();
        let now = Utc::now();
        self.writer
            .write(move |c| complete(interactions::record_session_end(&mut Lite(c), &end, now)))
            .await
    }

    async fn recent_vends(&self, account_no: &str, limit: u32) -> StoreResult<Vec<Vend>> {
        self.read(async |db| usage::recent_vends(db, account_no, limit).await)
    }

    async fn resend_token(&self, request: &TokenResend) -> StoreResult<Option<Vend>> {
        let request = request.clone();
        self.writer
            .write(move |c| complete(rules::resend_token(&mut Lite(c), &request)))
            .await
    }

    async fn meter_readings(&self, account_no: &str, limit: u32) -> StoreResult<Vec<MeterReading>> {
        self.read(async |db| usage::meter_readings(db, account_no, limit).await)
    }

    async fn submit_meter_reading(&self, reading: &NewMeterReading) -> StoreResult<MeterReading> {
        let reading = reading.clone();
        self.writer
            .write(move |c| complete(rules::submit_meter_reading(&mut Lite(c), &reading)))
            .await
    }
}

#[async_trait]
impl CrmInspect for SqliteCrm {
    async fn active_outage(&self, area_code: &str, service: &str) -> StoreResult<Option<Outage>> {
        self.read(async |db| outages::current_outage(db, area_code, service).await)
    }

    async fn report_outage(&self, report: &NewOutageReport) -> StoreResult<OutageReport> {
        let report = report.clone();
        self.writer
            .write(move |c| complete(rules::report_outage(&Filer(c), &report)))
            .await
    }

    async fn outage_report_count(&self, outage_id: &str) -> StoreResult<i64> {
        self.read(async |db| outages::outage_report_count(db, outage_id).await)
    }

    async fn ticket_events(
        &self,
        reference: &str,
    ) -> StoreResult<Vec<(DateTime<Utc>, String, Option<String>)>> {
        self.read(async |db| tickets::ticket_events(db, reference).await)
    }

    async fn interaction(
        &self,
        gateway: &str,
        session_id: &str,
    ) -> StoreResult<Option<Interaction>> {
        self.read(async |db| interactions::interaction(db, gateway, session_id).await)
    }

    async fn connection_request(&self, ticket_ref: &str) -> StoreResult<Option<ConnectionRequest>> {
        self.read(async |db| tickets::connection_request(db, ticket_ref).await)
    }
}

#[async_trait]
impl ReportStore for SqliteCrm {
    async fn report_data(&self, span: report::Span) -> StoreResult<ReportData> {
        let read = || self.read(async |db| report::report_data(db, span).await);
        // A report may read a month of sessions: on a multi-threaded runtime the worker hands
        // its other tasks over meanwhile.
        match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
            Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(read),
            _ => read(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn count_rejects_unknown_tables() {
        let crm = SqliteCrm::in_memory().await.unwrap();
        assert_eq!(crm.count("customers").await.unwrap(), 0);
        assert!(crm.count("customers; DROP TABLE areas").await.is_err());
        assert!(crm.is_empty().await.unwrap());
        crm.ping().await.unwrap();
    }
}
