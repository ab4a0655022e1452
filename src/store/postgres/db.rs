//! [`Db`] on sqlx's PostgreSQL driver: how the statements of `store/` run on PostgreSQL, on a
//! pooled connection ([`PgPool`]) or inside a transaction ([`PgConnection`]).

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::postgres::{PgArguments, PgConnection, PgPool, PgRow};
use sqlx::query::Query;
use sqlx::{AssertSqlSafe, Executor, Postgres, Row as _, Transaction, TypeInfo, ValueRef};

use super::convert::{storable, ts};
use crate::store::import::ImportTx;
use crate::store::sql::{Arg, Db, Dialect, FromRow, Row};
use crate::store::{StoreError, StoreResult};

fn bind<'q>(sql: &str, args: &[Arg<'_>]) -> Query<'q, Postgres, PgArguments> {
    // The text is one of the store's statements (see `store::sql`); sqlx copies it.
    let mut query = sqlx::query(AssertSqlSafe(sql));
    for arg in args {
        query = match *arg {
            // PostgreSQL text cannot hold NUL: stored (and looked up) as U+FFFD.
            Arg::Text(s) => query.bind(s.map(storable)),
            Arg::Int(n) => query.bind(n),
            Arg::Real(x) => query.bind(x),
            Arg::Bool(b) => query.bind(b),
            Arg::Time(t) => query.bind(t.as_ref().map(ts)),
            Arg::Date(d) => query.bind(d),
        };
    }
    query
}

async fn execute<'e>(
    e: impl Executor<'e, Database = Postgres>,
    sql: &str,
    args: &[Arg<'_>],
) -> StoreResult<u64> {
    Ok(bind(sql, args).execute(e).await?.rows_affected())
}

async fn fetch_all<'e, T: FromRow>(
    e: impl Executor<'e, Database = Postgres>,
    sql: &str,
    args: &[Arg<'_>],
) -> StoreResult<Vec<T>> {
    let rows = bind(sql, args).fetch_all(e).await?;
    rows.iter().map(|row| T::from_row(&Pg(row))).collect()
}

async fn fetch_optional<'e, T: FromRow>(
    e: impl Executor<'e, Database = Postgres>,
    sql: &str,
    args: &[Arg<'_>],
) -> StoreResult<Option<T>> {
    let row = bind(sql, args).fetch_optional(e).await?;
    row.as_ref().map(|row| T::from_row(&Pg(row))).transpose()
}

/// Statements in a transaction (or on one connection).
impl Db for PgConnection {
    const DIALECT: Dialect = Dialect::Postgres;

    async fn execute(&mut self, sql: &str, args: &[Arg<'_>]) -> StoreResult<u64> {
        execute(self, sql, args).await
    }
    async fn fetch_all<T: FromRow>(&mut self, sql: &str, args: &[Arg<'_>]) -> StoreResult<Vec<T>> {
        fetch_all(self, sql, args).await
    }
    async fn fetch_optional<T: FromRow>(
        &mut self,
        sql: &str,
        args: &[Arg<'_>],
    ) -> StoreResult<Option<T>> {
        fetch_optional(self, sql, args).await
    }
}

/// Statements each on a pooled connection, outside any transaction.
impl Db for &PgPool {
    const DIALECT: Dialect = Dialect::Postgres;

    async fn execute(&mut self, sql: &str, args: &[Arg<'_>]) -> StoreResult<u64> {
        execute(*self, sql, args).await
    }
    async fn fetch_all<T: FromRow>(&mut self, sql: &str, args: &[Arg<'_>]) -> StoreResult<Vec<T>> {
        fetch_all(*self, sql, args).await
    }
    async fn fetch_optional<T: FromRow>(
        &mut self,
        sql: &str,
        args: &[Arg<'_>],
    ) -> StoreResult<Option<T>> {
        fetch_optional(*self, sql, args).await
    }
}

struct Pg<'r>(&'r PgRow);

impl Pg<'_> {
    fn get<'r, T: sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres>>(
        &'r self,
        i: usize,
    ) -> StoreResult<T> {
        Ok(self.0.try_get(i)?)
    }

    /// Integers of any width (INTEGER columns, BIGINT ones, COUNT's BIGINT) as `i64`.
    fn opt_integer(&self, i: usize) -> StoreResult<Option<i64>> {
        let raw = self.0.try_get_raw(i)?;
        if raw.is_null() {
            return Ok(None);
        }
        let info = raw.type_info();
        Ok(Some(match info.name() {
            "INT2" => i64::from(self.get::<i16>(i)?),
            "INT4" => i64::from(self.get::<i32>(i)?),
            _ => self.get::<i64>(i)?,
        }))
    }
}

impl Row for Pg<'_> {
    fn text(&self, i: usize) -> StoreResult<String> {
        self.get(i)
    }
    fn opt_text(&self, i: usize) -> StoreResult<Option<String>> {
        self.get(i)
    }
    fn int(&self, i: usize) -> StoreResult<i64> {
        self.opt_integer(i)?
            .ok_or_else(|| StoreError::Corrupt(format!("column {i}: NULL integer")))
    }
    fn opt_int(&self, i: usize) -> StoreResult<Option<i64>> {
        self.opt_integer(i)
    }
    fn boolean(&self, i: usize) -> StoreResult<bool> {
        self.get(i)
    }
    fn time(&self, i: usize) -> StoreResult<DateTime<Utc>> {
        self.get(i)
    }
    fn opt_time(&self, i: usize) -> StoreResult<Option<DateTime<Utc>>> {
        self.get(i)
    }
    fn date(&self, i: usize) -> StoreResult<NaiveDate> {
        self.get(i)
    }
    fn opt_date(&self, i: usize) -> StoreResult<Option<NaiveDate>> {
        self.get(i)
    }
}

/// The transaction an import is writing, on a pooled connection.
pub(super) struct PgImport<'p> {
    pub(super) pool: &'p PgPool,
    pub(super) tx: Option<Transaction<'static, Postgres>>,
}

impl ImportTx for PgImport<'_> {
    type Db = PgConnection;

    async fn conn(&mut self) -> StoreResult<&mut PgConnection> {
        if self.tx.is_none() {
            self.tx = Some(self.pool.begin().await?);
        }
        Ok(&mut **self.tx.as_mut().expect("begun above"))
    }

    async fn commit(&mut self) -> StoreResult<()> {
        if let Some(tx) = self.tx.take() {
            tx.commit().await?;
        }
        Ok(())
    }

    /// A transaction still open rolls back as it drops.
    async fn close(self) {}
}
