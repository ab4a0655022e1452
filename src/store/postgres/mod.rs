//! The CRM in PostgreSQL, for several server instances sharing one database. Runtime queries
//! only; the behaviour is the SQLite store's, checked by the same test bodies on both. The
//! statements live by aggregate (`customers`, `tickets`, `outages`, `interactions`, `import`);
//! the filing rules they serve are in `store/rules.rs`.
//!
//! Timestamps are TIMESTAMPTZ written in whole seconds (SQLite keeps whole seconds in its text),
//! so a value reads back exactly as the SQLite store returns it. Text columns use the "C"
//! collation: ordering and case folding are byte by byte and ASCII-only, as in SQLite.

mod convert;
mod db;
mod filing;
mod interaction_batch;
mod outbox;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::{AssertSqlSafe, Postgres, Transaction};

use self::db::PgImport;
use super::common::COUNTABLE;
use super::import;
use super::inspect::CrmInspect;
use super::report::ReportStore;
use super::rules::{self, FilingStore};
use super::{CrmStore, ImportSummary, ProgressFn, StoreError, StoreResult};
use super::{customers, interactions, outages, report, tickets, usage};
use crate::domain::*;
use crate::report::ReportData;

/// How long a query waits for a pooled connection: a database that is down fails fast.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);

/// Connections for this machine: a few per core. More only adds PostgreSQL backends switching
/// in and out on the same cores (hops queue for a connection for microseconds instead), and
/// the interactions log shares one connection per batch anyway.
fn pool_size() -> u32 {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get() as u32);
    (cores * 3).clamp(4, 32)
}

pub struct PgCrm {
    pool: PgPool,
}

impl PgCrm {
    /// Connects to `url` (`postgres://user:password@host:port/database`) and runs the
    /// migrations.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(PgConnectOptions::from_str(url)?).await
    }

    pub async fn connect_with(options: PgConnectOptions) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(pool_size())
            .acquire_timeout(ACQUIRE_TIMEOUT)
            // No ping before each use: that doubled every query's round trips. A connection
            // that died is found by the query itself, which fails and is not retried (the hop
            // apologises); the pool drops the broken connection.
            .test_before_acquire(false)
            .connect_with(options)
            .await?;
        super::migrations::postgres().run(&pool).await?;
        Ok(PgCrm { pool })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Number of rows in one of the store's tables (a fixed allow-list; for tests and stats).
    pub async fn count(&self, table: &str) -> StoreResult<i64> {
        let countable = |table: &str| COUNTABLE.contains(&table);
        import::count(&mut &self.pool, table, countable).await
    }
}

/// Filings run in READ COMMITTED transactions: after a filing lock and after an `ON CONFLICT`
/// wait, each statement sees what other instances committed.
impl FilingStore for PgCrm {
    type Conn = PgConnection;
    type Tx = Transaction<'static, Postgres>;

    async fn begin_filing(&self) -> StoreResult<Self::Tx> {
        Ok(self.pool.begin().await?)
    }

    /// `BEGIN` and both locks in one round trip (a simple query of three statements; the
    /// keys are integers, so nothing from the caller is spliced into the SQL).
    async fn begin_outage_filing(
        &self,
        origin_key: &str,
        area_code: &str,
        service: &str,
    ) -> StoreResult<Self::Tx> {
        let origin = super::common::origin_lock_key(origin_key);
        let area = super::common::storm_lock_key(
            &convert::storable(area_code),
            &convert::storable(service),
        );
        let sql = format!(
            "BEGIN; SELECT pg_advisory_xact_lock({origin}); SELECT pg_advisory_xact_lock({area})"
        );
        Ok(self.pool.begin_with(AssertSqlSafe(sql)).await?)
    }

    async fn commit(tx: Self::Tx) -> StoreResult<()> {
        Ok(tx.commit().await?)
    }

    async fn rollback(tx: Self::Tx) -> StoreResult<()> {
        Ok(tx.rollback().await?)
    }
}

#[async_trait]
impl CrmStore for PgCrm {
    async fn ping(&self) -> StoreResult<()> {
        customers::ping(&mut &self.pool).await
    }

    async fn is_empty(&self) -> StoreResult<bool> {
        customers::is_empty(&mut &self.pool).await
    }

    async fn import_with_progress(
        &self,
        data: &Dataset,
        progress: ProgressFn<'_>,
    ) -> StoreResult<ImportSummary> {
        let tx = PgImport {
            pool: &self.pool,
            tx: None,
        };
        import::import(tx, data, progress).await
    }

    async fn accounts_for_phone(&self, phone: &str) -> StoreResult<Vec<Account>> {
        customers::accounts_for_phone(&mut &self.pool, phone).await
    }

    async fn account(&self, account_no: &str) -> StoreResult<Option<Account>> {
        customers::account(&mut &self.pool, account_no).await
    }

    async fn account_by_number(&self, typed: &str) -> StoreResult<Option<Account>> {
        customers::account_by_number(&mut &self.pool, typed).await
    }

    async fn account_by_meter(&self, typed: &str) -> StoreResult<Option<Account>> {
        customers::account_by_meter(&mut &self.pool, typed).await
    }

    async fn area(&self, area_code: &str) -> StoreResult<Option<Area>> {
        customers::area(&mut &self.pool, area_code).await
    }

    async fn areas(&self) -> StoreResult<Vec<Area>> {
        customers::areas(&mut &self.pool).await
    }

    async fn latest_bill(&self, account_no: &str) -> StoreResult<Option<Bill>> {
        customers::latest_bill(&mut &self.pool, account_no).await
    }

    async fn bill_statement(&self, account_no: &str) -> StoreResult<Option<BillStatement>> {
        customers::bill_statement(&mut &self.pool, account_no).await
    }

    async fn phone_language(&self, phone: &str) -> StoreResult<Option<String>> {
        customers::phone_language(&mut &self.pool, phone).await
    }

    async fn save_language(&self, phone: &str, language: &str) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        customers::save_language(&mut *tx, phone, language).await?;
        Ok(tx.commit().await?)
    }

    async fn area_outages(&self, area_code: &str, now: DateTime<Utc>) -> StoreResult<Vec<Outage>> {
        outages::area_outages(&mut &self.pool, area_code, now).await
    }

    async fn file_outage_report(
        &self,
        filing: &NewOutageFiling,
        policy: &StormPolicy,
    ) -> StoreResult<OutageFiling> {
        rules::file_outage_report(self, filing, policy).await
    }

    async fn outage_report(&self, reference: &str) -> StoreResult<Option<OutageReport>> {
        outages::outage_report(&mut &self.pool, reference).await
    }

    async fn outage(&self, outage_id: &str) -> StoreResult<Option<Outage>> {
        outages::outage(&mut &self.pool, outage_id).await
    }

    async fn create_ticket(&self, ticket: &NewTicket) -> StoreResult<Ticket> {
        rules::create_ticket(self, ticket).await
    }

    async fn file_complaint(&self, ticket: &NewTicket) -> StoreResult<ComplaintFiling> {
        rules::file_complaint(self, ticket).await
    }

    async fn file_connection_request(
        &self,
        request: &NewConnectionRequest,
    ) -> StoreResult<ComplaintFiling> {
        rules::file_connection_request(self, request).await
    }

    async fn ticket(&self, reference: &str) -> StoreResult<Option<Ticket>> {
        tickets::ticket(&mut &self.pool, reference).await
    }

    async fn latest_ticket_event(
        &self,
        reference: &str,
    ) -> StoreResult<Option<(DateTime<Utc>, String, Option<String>)>> {
        tickets::latest_ticket_event(&mut &self.pool, reference).await
    }

    async fn open_tickets(&self, phone: &str, account_nos: &[String]) -> StoreResult<Vec<Ticket>> {
        tickets::open_tickets(&mut &self.pool, phone, account_nos).await
    }

    async fn create_callback(&self, callback: &NewCallback) -> StoreResult<i64> {
        rules::create_callback(self, callback).await
    }

    async fn record_interaction(&self, interaction: &Interaction) -> StoreResult<()> {
        interactions::record_interaction(&mut &self.pool, interaction).await
    }

    async fn record_interactions(&self, rows: &[Interaction]) -> StoreResult<()> {
        interaction_batch::record_interactions(&self.pool, rows).await
    }

    async fn record_session_end(&self, end: &SessionEnd) -> StoreResult<()> {
        interactions::record_session_end(&mut &self.pool, end, Utc::now()).await
    }

    async fn recent_vends(&self, account_no: &str, limit: u32) -> StoreResult<Vec<Vend>> {
        usage::recent_vends(&mut &self.pool, account_no, limit).await
    }

    async fn resend_token(&self, request: &TokenResend) -> StoreResult<Option<Vend>> {
        rules::resend_token(&mut &self.pool, request).await
    }

    async fn meter_readings(&self, account_no: &str, limit: u32) -> StoreResult<Vec<MeterReading>> {
        usage::meter_readings(&mut &self.pool, account_no, limit).await
    }

    async fn submit_meter_reading(&self, reading: &NewMeterReading) -> StoreResult<MeterReading> {
        rules::submit_meter_reading(&mut &self.pool, reading).await
    }
}

#[async_trait]
impl CrmInspect for PgCrm {
    async fn active_outage(&self, area_code: &str, service: &str) -> StoreResult<Option<Outage>> {
        outages::current_outage(&mut &self.pool, area_code, service).await
    }

    async fn report_outage(&self, report: &NewOutageReport) -> StoreResult<OutageReport> {
        rules::report_outage(self, report).await
    }

    async fn outage_report_count(&self, outage_id: &str) -> StoreResult<i64> {
        outages::outage_report_count(&mut &self.pool, outage_id).await
    }

    async fn ticket_events(
        &self,
        reference: &str,
    ) -> StoreResult<Vec<(DateTime<Utc>, String, Option<String>)>> {
        tickets::ticket_events(&mut &self.pool, reference).await
    }

    async fn interaction(
        &self,
        gateway: &str,
        session_id: &str,
    ) -> StoreResult<Option<Interaction>> {
        interactions::interaction(&mut &self.pool, gateway, session_id).await
    }

    async fn connection_request(&self, ticket_ref: &str) -> StoreResult<Option<ConnectionRequest>> {
        tickets::connection_request(&mut &self.pool, ticket_ref).await
    }
}

#[async_trait]
impl ReportStore for PgCrm {
    async fn report_data(&self, span: report::Span) -> StoreResult<ReportData> {
        report::report_data(&mut &self.pool, span).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_database_that_is_down_fails_fast() {
        // Nothing listens on port 1.
        let started = std::time::Instant::now();
        let result = PgCrm::connect("postgres://dalal@127.0.0.1:1/dalal").await;
        assert!(result.is_err());
        assert!(started.elapsed() < ACQUIRE_TIMEOUT + Duration::from_secs(3));
    }
}
