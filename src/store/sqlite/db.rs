//! [`Db`] on rusqlite: how the statements of `store/` run on the embedded database. Every
//! statement is prepared once per connection (cached by its text) and runs in place, on the
//! calling thread: the futures complete without waiting (see `writer::complete`). Imports run
//! the same statements on sqlx's driver (`impl Db for SqliteConnection`), on the pool.

use rusqlite::types::{ToSqlOutput, Value, ValueRef};
use rusqlite::{CachedStatement, Connection, ToSql, params_from_iter};
use sqlx::pool::PoolConnection;
use sqlx::query::Query;
use sqlx::sqlite::{SqliteArguments, SqliteConnection, SqlitePool, SqliteRow};
use sqlx::{AssertSqlSafe, Row as _, Sqlite};

use super::convert::{date, parse_date, parse_ts, ts};
use crate::store::import::ImportTx;
use crate::store::sql::{Arg, Db, Dialect, FromRow, Row, placeholders_in_order};
use crate::store::{StoreError, StoreResult};

/// A serving connection, as the statements of `store/` see it.
pub(crate) struct Lite<'c>(pub(crate) &'c Connection);

fn prepare<'c>(conn: &'c Connection, sql: &str) -> StoreResult<CachedStatement<'c>> {
    debug_assert!(
        placeholders_in_order(sql),
        "placeholders must be first used in increasing order: {sql}"
    );
    Ok(conn.prepare_cached(sql)?)
}

impl ToSql for Arg<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match *self {
            Arg::Text(Some(s)) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Arg::Int(Some(n)) => ToSqlOutput::Owned(Value::Integer(n)),
            Arg::Real(Some(x)) => ToSqlOutput::Owned(Value::Real(x)),
            Arg::Bool(b) => ToSqlOutput::Owned(Value::Integer(i64::from(b))),
            Arg::Time(Some(t)) => ToSqlOutput::Owned(Value::Text(ts(&t))),
            Arg::Date(Some(d)) => ToSqlOutput::Owned(Value::Text(date(&d))),
            Arg::Text(None)
            | Arg::Int(None)
            | Arg::Real(None)
            | Arg::Time(None)
            | Arg::Date(None) => ToSqlOutput::Owned(Value::Null),
        })
    }
}

impl Db for Lite<'_> {
    const DIALECT: Dialect = Dialect::Sqlite;

    async fn execute(&mut self, sql: &str, args: &[Arg<'_>]) -> StoreResult<u64> {
        let changed = prepare(self.0, sql)?.execute(params_from_iter(args))?;
        Ok(changed as u64)
    }

    async fn fetch_all<T: FromRow>(&mut self, sql: &str, args: &[Arg<'_>]) -> StoreResult<Vec<T>> {
        let mut statement = prepare(self.0, sql)?;
        let mut rows = statement.query(params_from_iter(args))?;
        let mut all = Vec::new();
        while let Some(row) = rows.next()? {
            all.push(T::from_row(&LiteRow(row))?);
        }
        Ok(all)
    }

    async fn fetch_optional<T: FromRow>(
        &mut self,
        sql: &str,
        args: &[Arg<'_>],
    ) -> StoreResult<Option<T>> {
        let mut statement = prepare(self.0, sql)?;
        let mut rows = statement.query(params_from_iter(args))?;
        rows.next()?
            .map(|row| T::from_row(&LiteRow(row)))
            .transpose()
    }
}

struct LiteRow<'r, 's>(&'r rusqlite::Row<'s>);

impl LiteRow<'_, '_> {
    /// Text without a copy, for values parsed into something else (times, dates).
    fn str_or_null(&self, i: usize) -> StoreResult<Option<&str>> {
        let value = self.0.get_ref(i)?;
        value
            .as_str_or_null()
            .map_err(|e| StoreError::Corrupt(format!("column {i}: {e}")))
    }
}

impl Row for LiteRow<'_, '_> {
    fn text(&self, i: usize) -> StoreResult<String> {
        Ok(self.0.get(i)?)
    }
    fn opt_text(&self, i: usize) -> StoreResult<Option<String>> {
        Ok(self.0.get(i)?)
    }
    fn int(&self, i: usize) -> StoreResult<i64> {
        Ok(self.0.get(i)?)
    }
    fn opt_int(&self, i: usize) -> StoreResult<Option<i64>> {
        Ok(self.0.get(i)?)
    }
    fn boolean(&self, i: usize) -> StoreResult<bool> {
        Ok(self.0.get(i)?)
    }
    fn time(&self, i: usize) -> StoreResult<chrono::DateTime<chrono::Utc>> {
        self.opt_time(i)?
            .ok_or_else(|| StoreError::Corrupt(format!("column {i}: NULL time")))
    }
    fn opt_time(&self, i: usize) -> StoreResult<Option<chrono::DateTime<chrono::Utc>>> {
        self.str_or_null(i)?
            .filter(|s| !s.is_empty())
            .map(parse_ts)
            .transpose()
    }
    fn date(&self, i: usize) -> StoreResult<chrono::NaiveDate> {
        self.opt_date(i)?
            .ok_or_else(|| StoreError::Corrupt(format!("column {i}: NULL date")))
    }
    fn opt_date(&self, i: usize) -> StoreResult<Option<chrono::NaiveDate>> {
        self.str_or_null(i)?
            .filter(|s| !s.is_empty())
            .map(parse_date)
            .transpose()
    }
}

/// [`Db`] on sqlx's SQLite driver, for what runs once on the pool (imports): the same text
/// and values as [`Lite`].
fn bind<'q>(sql: &str, args: &[Arg<'_>]) -> Query<'q, Sqlite, SqliteArguments> {
    let mut query = sqlx::query(AssertSqlSafe(sql));
    for arg in args {
        query = match *arg {
            Arg::Text(s) => query.bind(s.map(str::to_owned)),
            Arg::Int(n) => query.bind(n),
            Arg::Real(x) => query.bind(x),
            Arg::Bool(b) => query.bind(b),
            Arg::Time(t) => query.bind(t.as_ref().map(ts)),
            Arg::Date(d) => query.bind(d.as_ref().map(date)),
        };
    }
    query
}

impl Db for SqliteConnection {
    const DIALECT: Dialect = Dialect::Sqlite;

    async fn execute(&mut self, sql: &str, args: &[Arg<'_>]) -> StoreResult<u64> {
        debug_assert!(placeholders_in_order(sql), "{sql}");
        Ok(bind(sql, args).execute(self).await?.rows_affected())
    }

    async fn fetch_all<T: FromRow>(&mut self, sql: &str, args: &[Arg<'_>]) -> StoreResult<Vec<T>> {
        debug_assert!(placeholders_in_order(sql), "{sql}");
        let rows = bind(sql, args).fetch_all(self).await?;
        rows.iter().map(|row| T::from_row(&Sqlx(row))).collect()
    }

    async fn fetch_optional<T: FromRow>(
        &mut self,
        sql: &str,
        args: &[Arg<'_>],
    ) -> StoreResult<Option<T>> {
        debug_assert!(placeholders_in_order(sql), "{sql}");
        let row = bind(sql, args).fetch_optional(self).await?;
        row.as_ref().map(|row| T::from_row(&Sqlx(row))).transpose()
    }
}

struct Sqlx<'r>(&'r SqliteRow);

impl Sqlx<'_> {
    fn get<'r, T: sqlx::Decode<'r, Sqlite> + sqlx::Type<Sqlite>>(
        &'r self,
        i: usize,
    ) -> StoreResult<T> {
        Ok(self.0.try_get(i)?)
    }
}

impl Row for Sqlx<'_> {
    fn text(&self, i: usize) -> StoreResult<String> {
        self.get(i)
    }
    fn opt_text(&self, i: usize) -> StoreResult<Option<String>> {
        self.get(i)
    }
    fn int(&self, i: usize) -> StoreResult<i64> {
        self.get(i)
    }
    fn opt_int(&self, i: usize) -> StoreResult<Option<i64>> {
        self.get(i)
    }
    fn boolean(&self, i: usize) -> StoreResult<bool> {
        self.get(i)
    }
    fn time(&self, i: usize) -> StoreResult<chrono::DateTime<chrono::Utc>> {
        parse_ts(self.get(i)?)
    }
    fn opt_time(&self, i: usize) -> StoreResult<Option<chrono::DateTime<chrono::Utc>>> {
        let text: Option<&str> = self.get(i)?;
        text.filter(|s| !s.is_empty()).map(parse_ts).transpose()
    }
    fn date(&self, i: usize) -> StoreResult<chrono::NaiveDate> {
        parse_date(self.get(i)?)
    }
    fn opt_date(&self, i: usize) -> StoreResult<Option<chrono::NaiveDate>> {
        let text: Option<&str> = self.get(i)?;
        text.filter(|s| !s.is_empty()).map(parse_date).transpose()
    }
}

/// Page cache of the connection an import writes through (KiB, as a negative `cache_size`):
/// the customers' phone and meter indexes take random inserts, which crawl once the indexes
/// outgrow SQLite's default 2 MiB cache. Set back to [`DEFAULT_CACHE_KIB`] before the
/// connection returns to the pool, so the server's connections stay small.
const IMPORT_CACHE_KIB: i64 = 256 * 1024;
const DEFAULT_CACHE_KIB: i64 = 2_000;

/// One connection of the pool, writing an import. Transactions are begun and committed by
/// statement (`BEGIN IMMEDIATE`, `COMMIT`) because several follow each other on this one
/// connection.
pub(super) struct SqliteImport {
    conn: PoolConnection<Sqlite>,
    open: bool,
}

impl SqliteImport {
    pub(super) async fn start(pool: &SqlitePool) -> StoreResult<SqliteImport> {
        let mut conn = pool.acquire().await?;
        let cache = format!("PRAGMA cache_size = -{IMPORT_CACHE_KIB}");
        sqlx::query(AssertSqlSafe(cache))
            .execute(&mut *conn)
            .await?;
        Ok(SqliteImport { conn, open: false })
    }
}

impl ImportTx for SqliteImport {
    type Db = SqliteConnection;

    async fn conn(&mut self) -> StoreResult<&mut SqliteConnection> {
        if !self.open {
            sqlx::query("BEGIN IMMEDIATE")
                .execute(&mut *self.conn)
                .await?;
            self.open = true;
        }
        Ok(&mut *self.conn)
    }

    async fn commit(&mut self) -> StoreResult<()> {
        if self.open {
            sqlx::query("COMMIT").execute(&mut *self.conn).await?;
            self.open = false;
        }
        Ok(())
    }

    /// Gives the connection its default cache back; a connection that cannot be put back in
    /// order is closed instead of pooled.
    async fn close(mut self) {
        let mut clean = true;
        if self.open {
            clean = sqlx::query("ROLLBACK")
                .execute(&mut *self.conn)
                .await
                .is_ok();
        }
        let reset = format!("PRAGMA cache_size = -{DEFAULT_CACHE_KIB}");
        clean &= sqlx::query(AssertSqlSafe(reset))
            .execute(&mut *self.conn)
            .await
            .is_ok();
        if !clean {
            self.conn.close_on_drop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sql::{args, statements};

    statements! {
        /// Each kind, and values bound as the parameters or as written.
        fn put(v: i64, label: &str) -> u64 = execute
            "INSERT INTO t (v, label) VALUES ($1, $2)";
        fn relabel(v: i64, label: &str) -> bool = execute
            "UPDATE t SET label = $1 WHERE v = $2", args![label, v];
        fn clear() = execute "DELETE FROM t";
        fn labels() -> Vec<String> = all "SELECT label FROM t ORDER BY v";
        fn label(v: i64) -> Option<String> = optional "SELECT label FROM t WHERE v = $1";
        fn count() -> i64 = one "SELECT COUNT(*) FROM t";
    }

    #[tokio::test]
    async fn a_statement_table_runs_each_kind_with_its_values_in_order() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (v INTEGER PRIMARY KEY, label TEXT)")
            .unwrap();
        let db = &mut Lite(&conn);
        assert_eq!(put(db, 2, "two").await.unwrap(), 1);
        assert_eq!(put(db, 1, "one").await.unwrap(), 1);
        assert_eq!(labels(db).await.unwrap(), ["one", "two"]);
        assert!(relabel(db, 2, "deux").await.unwrap());
        assert!(!relabel(db, 3, "trois").await.unwrap(), "no row changed");
        assert_eq!(label(db, 2).await.unwrap().as_deref(), Some("deux"));
        assert_eq!(label(db, 3).await.unwrap(), None);
        assert_eq!(count(db).await.unwrap(), 2);
        let () = clear(db).await.unwrap();
        assert_eq!(count(db).await.unwrap(), 0);
    }
}
