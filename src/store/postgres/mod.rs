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
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::{AssertSqlSafe, Postgres, Transaction};

use super::common::COUNTABLE;
use super::import;
use super::inspect::impl_crm_inspect;
use super::report::ReportStore;
use super::rules::FilingStore;
use super::{StoreError, StoreResult, impl_crm_store};
use super::{interactions, report};
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
    async fn begin_outage_filing(&self, filing: &NewOutageFiling) -> StoreResult<Self::Tx> {
        let origin = super::common::origin_lock_key(&filing.origin_key);
        let area = super::common::storm_lock_key(
            &convert::storable(&filing.area_code),
            &convert::storable(&filing.service),
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

/// `run_postgres!(crm, mode, function, args...)`: a delegated method's body on [`PgCrm`] (see
/// `store::delegate!` for the modes): on the pool, in a transaction of its own (`unit`), or
/// a filing rule over [`FilingStore`].
macro_rules! run_postgres {
    ($crm:ident, file, $f:path, $($p:ident: $t:ty),*) => {
        $f($crm, $($p),*).await
    };
    ($crm:ident, unit, $f:path, $($p:ident: $t:ty),*) => {{
        let mut tx = $crm.pool.begin().await?;
        let done = $f(&mut *tx, $($p),*).await?;
        tx.commit().await?;
        Ok(done)
    }};
    ($crm:ident, import, $f:path, $($p:ident: $t:ty),*) => {{
        let tx = $crate::store::postgres::db::PgImport {
            pool: &$crm.pool,
            tx: None,
        };
        $f(tx, $($p),*).await
    }};
    ($crm:ident, read, $f:path, $($p:ident: $t:ty),*) => {
        $f(&mut &$crm.pool, $($p),*).await
    };
    ($crm:ident, write, $f:path, $($p:ident: $t:ty),*) => {
        run_postgres!($crm, read, $f, $($p: $t),*)
    };
}
use run_postgres;

impl_crm_store!(PgCrm, run by run_postgres,
    async fn record_interaction(&self, interaction: &Interaction) -> StoreResult<()> {
        interactions::record_interaction(&mut &self.pool, interaction).await
    }

    async fn record_interactions(&self, rows: &[Interaction]) -> StoreResult<()> {
        interaction_batch::record_interactions(&self.pool, rows).await
    }

    async fn record_session_end(&self, end: &SessionEnd) -> StoreResult<()> {
        interactions::record_session_end(&mut &self.pool, end, Utc::now()).await
    }
);

impl_crm_inspect!(PgCrm, run by run_postgres);

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
