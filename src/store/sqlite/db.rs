//! [`Db`] on rusqlite: how the statements of `store/` run on the embedded database. Every
//! statement is prepared once per connection (cached by its text) and runs in place, on the
//! calling thread: the futures complete without waiting (see `writer::complete`).

use rusqlite::types::{ToSqlOutput, Value, ValueRef};
use rusqlite::{CachedStatement, Connection, ToSql, params_from_iter};

use super::convert::{date, parse_date, parse_ts, ts};
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
