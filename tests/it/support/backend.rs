//! The two CRM stores, SQLite and PostgreSQL, behind one type, so that a scenario is ONE test
//! body run on both (`on_both!`) and the stores can never drift apart.

use std::ops::Deref;

use dalal::store::CrmStore;
use dalal::store::inspect::CrmInspect;
use dalal::store::outbox::OutboxStore;
use dalal::store::postgres::PgCrm;
use dalal::store::report::ReportStore;
use dalal::store::sqlite::SqliteCrm;
use sqlx::AssertSqlSafe;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;

use super::pg::TestDatabase;

/// What the scenarios call: the runtime trait and the one for tests.
pub trait Crm: CrmStore + CrmInspect {}
impl<T: CrmStore + CrmInspect> Crm for T {}

/// One of the two stores, with the few extras the tests need beyond [`Crm`].
pub enum Backend {
    Sqlite(SqliteCrm),
    // The store is declared first so that its pool goes before its database.
    Postgres { crm: PgCrm, _db: TestDatabase },
}

impl Deref for Backend {
    type Target = dyn Crm;
    fn deref(&self) -> &Self::Target {
        match self {
            Backend::Sqlite(crm) => crm,
            Backend::Postgres { crm, .. } => crm,
        }
    }
}

impl Backend {
    /// A private in-memory SQLite database.
    pub async fn sqlite() -> Backend {
        Backend::Sqlite(SqliteCrm::in_memory().await.unwrap())
    }

    /// A SQLite file database, so that several pooled connections really write concurrently.
    pub async fn sqlite_file(dir: &tempfile::TempDir) -> Backend {
        let url = format!("sqlite://{}", dir.path().join("crm.db").display());
        Backend::Sqlite(SqliteCrm::connect(&url).await.unwrap())
    }

    /// A fresh PostgreSQL database.
    pub async fn postgres() -> Backend {
        let db = TestDatabase::create().await;
        let crm = PgCrm::connect(&db.url)
            .await
            .unwrap_or_else(|e| panic!("PgCrm::connect: {e}"));
        Backend::Postgres { crm, _db: db }
    }

    /// The SMS outbox and its schedules, on the same database.
    pub fn outbox(&self) -> &dyn OutboxStore {
        match self {
            Backend::Sqlite(crm) => crm,
            Backend::Postgres { crm, .. } => crm,
        }
    }

    /// The KPI report's queries on this store.
    pub fn report(&self) -> &dyn ReportStore {
        match self {
            Backend::Sqlite(crm) => crm,
            Backend::Postgres { crm, .. } => crm,
        }
    }

    pub async fn count(&self, table: &str) -> dalal::store::StoreResult<i64> {
        match self {
            Backend::Sqlite(crm) => crm.count(table).await,
            Backend::Postgres { crm, .. } => crm.count(table).await,
        }
    }

    /// A raw statement without parameters (the same SQL text on both databases).
    pub async fn exec(&self, sql: String) {
        match self {
            Backend::Sqlite(crm) => {
                sqlx::query(AssertSqlSafe(sql))
                    .execute(crm.pool())
                    .await
                    .unwrap();
            }
            Backend::Postgres { crm, .. } => {
                sqlx::query(AssertSqlSafe(sql))
                    .execute(crm.pool())
                    .await
                    .unwrap();
            }
        }
    }

    /// Raw statements in turn, as [`Self::exec`].
    pub async fn exec_all(&self, statements: &[String]) {
        for sql in statements {
            self.exec(sql.clone()).await;
        }
    }

    /// One row of a raw query without parameters (the same SQL text on both databases).
    pub async fn row<T>(&self, sql: String) -> T
    where
        T: for<'r> sqlx::FromRow<'r, SqliteRow> + for<'r> sqlx::FromRow<'r, PgRow>,
        T: Send + Unpin,
    {
        match self {
            Backend::Sqlite(crm) => sqlx::query_as::<_, T>(AssertSqlSafe(sql))
                .fetch_one(crm.pool())
                .await
                .unwrap(),
            Backend::Postgres { crm, .. } => sqlx::query_as::<_, T>(AssertSqlSafe(sql))
                .fetch_one(crm.pool())
                .await
                .unwrap(),
        }
    }
}

/// Two tests for one scenario (`async fn(&Backend)`): `$sqlite` on SQLite in memory,
/// `$postgres` on a fresh PostgreSQL database.
macro_rules! on_both {
    ($($scenario:ident: $sqlite:ident, $postgres:ident;)+) => {
        $(
            #[tokio::test]
            async fn $sqlite() {
                $scenario(&$crate::support::backend::Backend::sqlite().await).await;
            }

            #[tokio::test]
            async fn $postgres() {
                $scenario(&$crate::support::backend::Backend::postgres().await).await;
            }
        )+
    };
}
