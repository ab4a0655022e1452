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
mod run;
mod writer;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use self::connection::{BUSY_TIMEOUT, CACHE_KIB, Readers, TempDatabase};
use self::db::Lite;
use self::run::run_sqlite;
use self::writer::{Writer, complete};
use super::common::COUNTABLE;
use super::inspect::impl_crm_inspect;
use super::report::ReportStore;
use super::{StoreError, StoreResult, impl_crm_store};
use super::{import, interactions, report};
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

impl_crm_store!(SqliteCrm, run by run_sqlite,
    async fn record_interaction(&self, interaction: &Interaction) -> StoreResult<()> {
        self.record_interactions(std::slice::from_ref(interaction))
            .await
    }

    async fn record_interactions(&self, rows: &[Interaction]) -> StoreResult<()> {
        // One job, so all or nothing; committed with whatever else is queued (see also
        // `store::batch`, which gathers the hops' rows into such a slice).
        run_sqlite!(self, unit, interactions::record_interactions, rows: &[Interaction])
    }

    async fn record_session_end(&self, end: &SessionEnd) -> StoreResult<()> {
        let now = Utc::now();
        run_sqlite!(self, write, interactions::record_session_end, end: &SessionEnd, now: DateTime<Utc>)
    }
);

impl_crm_inspect!(SqliteCrm, run by run_sqlite);

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
    use crate::store::CrmStore;

    #[tokio::test]
    async fn count_rejects_unknown_tables() {
        let crm = SqliteCrm::in_memory().await.unwrap();
        assert_eq!(crm.count("customers").await.unwrap(), 0);
        assert!(crm.count("customers; DROP TABLE areas").await.is_err());
        assert!(crm.is_empty().await.unwrap());
        crm.ping().await.unwrap();
    }
}
