//! The CRM in SQLite: one file, WAL journal, runtime queries only. The statements live by
//! aggregate (`customers`, `tickets`, `outages`, `interactions`, `import`); the filing rules
//! they serve are in `store/rules.rs`.
//!
//! Every write that must be atomic (an import, filing a ticket) runs in a `BEGIN IMMEDIATE`
//! transaction, which takes the write lock up front: concurrent writers then queue on the busy
//! timeout instead of failing to upgrade a read lock. So the filings the rules decide run one
//! after the other, whatever their area.

mod convert;
mod customers;
mod import;
mod interactions;
mod outages;
mod tickets;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{AssertSqlSafe, Sqlite, Transaction};

use super::common::COUNTABLE;
use super::inspect::CrmInspect;
use super::rules::{self, FilingStore};
use super::{CrmStore, ImportSummary, ProgressFn, StoreError, StoreResult};
use crate::domain::*;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// Tables [`SqliteCrm::count`] may count: the shared ones, and the counters table.
fn countable(table: &str) -> bool {
    COUNTABLE.contains(&table) || table == "counters"
}

pub struct SqliteCrm {
    pool: SqlitePool,
    /// SQLite has one writer at a time. Writers queue here, in order, instead of meeting
    /// SQLITE_BUSY and sleeping in SQLite's busy handler (1, 2, 5, 10... ms naps that
    /// dominated latency under load).
    write_turn: std::sync::Arc<tokio::sync::Mutex<()>>,
}

/// A write transaction holding the writer's turn until it commits or is dropped.
pub(crate) struct WriteTx {
    tx: Transaction<'static, Sqlite>,
    _turn: tokio::sync::OwnedMutexGuard<()>,
}

impl WriteTx {
    async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }

    async fn rollback(self) -> Result<(), sqlx::Error> {
        self.tx.rollback().await
    }
}

impl std::ops::Deref for WriteTx {
    type Target = sqlx::SqliteConnection;
    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}

impl SqliteCrm {
    /// Opens (creating it if missing) the database at `url`, e.g. `sqlite://dalal.db` or
    /// `sqlite:data/dalal.db`, and runs the migrations.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(Duration::from_secs(5))
            // WAL + NORMAL: a commit is durable once written to the WAL, which survives a
            // crash of dalal (kill -9, tests/faults.rs); only an OS crash or power cut can lose
            // the last commits. FULL's fsync per commit capped the embedded server at a few
            // thousand hops/s. Production runs PostgreSQL.
            .synchronous(SqliteSynchronous::Normal)
            // 16 MiB of page cache per connection (the default is 2 MiB): the customers and
            // bills indexes of a large utility stay in memory.
            .pragma("cache_size", "-16384")
            .foreign_keys(true);
        // Few connections: each is a thread, and on a small machine thread switches cost more
        // than the parallel reads gain; writers take turns anyway.
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        Self::with_pool(pool).await
    }

    /// A fresh private in-memory database (for tests). The pool holds exactly one connection
    /// that never expires, so every query sees the same database.
    pub async fn in_memory() -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")?.foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await?;
        Self::with_pool(pool).await
    }

    async fn with_pool(pool: SqlitePool) -> Result<Self, StoreError> {
        MIGRATOR.run(&pool).await?;
        Ok(SqliteCrm {
            pool,
            write_turn: Default::default(),
        })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Number of rows in one of the store's tables (a fixed allow-list; for tests and stats).
    pub async fn count(&self, table: &str) -> StoreResult<i64> {
        if !countable(table) {
            return Err(StoreError::Database(sqlx::Error::InvalidArgument(format!(
                "cannot count unknown table `{table}`"
            ))));
        }
        // The name comes from the fixed list above, never from the caller's text.
        let sql = format!("SELECT COUNT(*) FROM {table}");
        Ok(sqlx::query_scalar::<_, i64>(AssertSqlSafe(sql))
            .fetch_one(&self.pool)
            .await?)
    }

    async fn begin_write(&self) -> StoreResult<WriteTx> {
        let turn = self.write_turn.clone().lock_owned().await;
        Ok(WriteTx {
            tx: self.pool.begin_with("BEGIN IMMEDIATE").await?,
            _turn: turn,
        })
    }
}

impl FilingStore for SqliteCrm {
    type Conn = sqlx::SqliteConnection;
    type Tx = WriteTx;

    async fn begin_filing(&self) -> StoreResult<WriteTx> {
        self.begin_write().await
    }

    async fn commit(tx: WriteTx) -> StoreResult<()> {
        Ok(tx.commit().await?)
    }

    async fn rollback(tx: WriteTx) -> StoreResult<()> {
        Ok(tx.rollback().await?)
    }
}

#[async_trait]
impl CrmStore for SqliteCrm {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn is_empty(&self) -> StoreResult<bool> {
        customers::is_empty(&self.pool).await
    }

    async fn import_with_progress(
        &self,
        data: &Dataset,
        progress: ProgressFn<'_>,
    ) -> StoreResult<ImportSummary> {
        import::import(&self.pool, data, progress).await
    }

    async fn accounts_for_phone(&self, phone: &str) -> StoreResult<Vec<Account>> {
        customers::accounts_for_phone(&self.pool, phone).await
    }

    async fn account(&self, account_no: &str) -> StoreResult<Option<Account>> {
        customers::account(&self.pool, account_no).await
    }

    async fn account_by_number(&self, typed: &str) -> StoreResult<Option<Account>> {
        customers::account_by_number(&self.pool, typed).await
    }

    async fn account_by_meter(&self, typed: &str) -> StoreResult<Option<Account>> {
        customers::account_by_meter(&self.pool, typed).await
    }

    async fn area(&self, area_code: &str) -> StoreResult<Option<Area>> {
        customers::area(&self.pool, area_code).await
    }

    async fn latest_bill(&self, account_no: &str) -> StoreResult<Option<Bill>> {
        customers::latest_bill(&self.pool, account_no).await
    }

    async fn phone_language(&self, phone: &str) -> StoreResult<Option<String>> {
        customers::phone_language(&self.pool, phone).await
    }

    async fn save_language(&self, phone: &str, language: &str) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        customers::save_language(&mut tx, phone, language).await?;
        Ok(tx.commit().await?)
    }

    async fn area_outages(&self, area_code: &str, now: DateTime<Utc>) -> StoreResult<Vec<Outage>> {
        outages::area_outages(&self.pool, area_code, now).await
    }

    async fn file_outage_report(
        &self,
        filing: &NewOutageFiling,
        policy: &StormPolicy,
    ) -> StoreResult<OutageFiling> {
        rules::file_outage_report(self, filing, policy).await
    }

    async fn outage_report(&self, reference: &str) -> StoreResult<Option<OutageReport>> {
        outages::outage_report(&self.pool, reference).await
    }

    async fn outage(&self, outage_id: &str) -> StoreResult<Option<Outage>> {
        outages::outage(&self.pool, outage_id).await
    }

    async fn create_ticket(&self, ticket: &NewTicket) -> StoreResult<Ticket> {
        rules::create_ticket(self, ticket).await
    }

    async fn ticket(&self, reference: &str) -> StoreResult<Option<Ticket>> {
        tickets::ticket(&self.pool, reference).await
    }

    async fn open_tickets(&self, phone: &str, account_nos: &[String]) -> StoreResult<Vec<Ticket>> {
        tickets::open_tickets(&self.pool, phone, account_nos).await
    }

    async fn create_callback(&self, callback: &NewCallback) -> StoreResult<i64> {
        rules::create_callback(self, callback).await
    }

    async fn record_interaction(&self, interaction: &Interaction) -> StoreResult<()> {
        self.record_interactions(std::slice::from_ref(interaction))
            .await
    }

    async fn record_interactions(&self, rows: &[Interaction]) -> StoreResult<()> {
        // One transaction, one commit, for the whole batch (see `store::batch`).
        let mut tx = self.begin_write().await?;
        interactions::record_interactions(&mut tx, rows).await?;
        Ok(tx.commit().await?)
    }

    async fn record_session_end(&self, end: &SessionEnd) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        interactions::record_session_end(&mut tx, end).await?;
        Ok(tx.commit().await?)
    }
}

#[async_trait]
impl CrmInspect for SqliteCrm {
    async fn active_outage(&self, area_code: &str, service: &str) -> StoreResult<Option<Outage>> {
        outages::active_outage(&self.pool, area_code, service).await
    }

    async fn report_outage(&self, report: &NewOutageReport) -> StoreResult<OutageReport> {
        rules::report_outage(self, report).await
    }

    async fn outage_report_count(&self, outage_id: &str) -> StoreResult<i64> {
        outages::outage_report_count(&self.pool, outage_id).await
    }

    async fn ticket_events(
        &self,
        reference: &str,
    ) -> StoreResult<Vec<(DateTime<Utc>, String, Option<String>)>> {
        tickets::ticket_events(&self.pool, reference).await
    }

    async fn interaction(
        &self,
        gateway: &str,
        session_id: &str,
    ) -> StoreResult<Option<Interaction>> {
        interactions::interaction(&self.pool, gateway, session_id).await
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
