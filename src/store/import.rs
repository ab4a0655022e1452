//! The CRM import, each statement once for both databases: every table upserted in dependency
//! order, many rows per statement, committed every [`IMPORT_CHUNK_ROWS`] rows. How a
//! transaction begins and commits on each database is its [`ImportTx`] (`sqlite/db.rs`,
//! `postgres/db.rs`).

use std::collections::HashSet;
use std::fmt::Write as _;

use super::common::{account_cols, area_cols, bill_cols, digits, outage_cols, ticket_cols};
use super::sql::{Arg, Db, Dialect, placeholders};
use super::{IMPORT_CHUNK_ROWS, ImportProgress, ImportSummary, ProgressFn, StoreResult};
use crate::domain::{Account, Area, Dataset, Ticket};

/// Rows per statement: 12 columns at most, 6 000 parameters, below SQLite's 32 766 and
/// PostgreSQL's 65 535. Only the row count shapes a statement's text, so a full batch's
/// statement is prepared once per table.
const BATCH_ROWS: usize = 500;

/// The connection an import writes through, in transactions it begins and commits itself.
pub(crate) trait ImportTx {
    type Db: Db;
    /// The connection, in a transaction (one is begun when none is open).
    async fn conn(&mut self) -> StoreResult<&mut Self::Db>;
    /// Commits the open transaction, if one is open.
    async fn commit(&mut self) -> StoreResult<()>;
    /// Rolls back a transaction an error left open and hands the connection back.
    async fn close(self);
}

/// See [`crate::store::CrmStore::import_with_progress`].
pub(crate) async fn import(
    tx: impl ImportTx,
    data: &Dataset,
    progress: ProgressFn<'_>,
) -> StoreResult<ImportSummary> {
    let mut w = Chunks {
        tx,
        in_tx: 0,
        done: 0,
        total: data.rows(),
        progress,
    };
    let written = write_dataset(&mut w, data).await;
    w.tx.close().await;
    written?;
    Ok(ImportSummary::of(data))
}

/// An import's transactions, committed every [`IMPORT_CHUNK_ROWS`] rows with its progress.
struct Chunks<'a, T> {
    tx: T,
    /// Rows written in the open transaction.
    in_tx: usize,
    /// Rows committed.
    done: usize,
    total: usize,
    progress: ProgressFn<'a>,
}

impl<T: ImportTx> Chunks<'_, T> {
    /// Counts rows written; commits once the chunk is full.
    async fn wrote(&mut self, rows: usize) -> StoreResult<()> {
        self.in_tx += rows;
        if self.in_tx >= IMPORT_CHUNK_ROWS {
            self.commit().await?;
        }
        Ok(())
    }

    async fn commit(&mut self) -> StoreResult<()> {
        if self.in_tx > 0 {
            self.tx.commit().await?;
            self.done += std::mem::take(&mut self.in_tx);
            (self.progress)(ImportProgress {
                done: self.done,
                total: self.total,
            });
        }
        Ok(())
    }
}

/// One table's multi-row insert: `<insert> VALUES ($1, ..), ($k, ..) <conflict>`.
struct Upsert {
    insert: &'static str,
    conflict: &'static str,
}

impl Upsert {
    /// The statement for `rows` rows of `columns` values, numbered row after row.
    ///
    /// SQLite gets anonymous `?` markers, which mean the same here (the values are numbered in
    /// order): sqlx looks up the name of each `$N` it binds by a linear search in SQLite, which
    /// made a 6 000-value statement bind four times slower than its insert.
    fn sql(&self, dialect: Dialect, columns: usize, rows: usize) -> String {
        let mut sql = String::with_capacity(self.insert.len() + self.conflict.len() + rows * 80);
        sql.push_str(self.insert);
        sql.push_str(" VALUES ");
        for row in 0..rows {
            let first = 1 + row * columns;
            sql.push_str(if row == 0 { "(" } else { ", (" });
            for n in first..first + columns {
                let separator = if n == first { "" } else { ", " };
                // Writing to a String cannot fail.
                let _ = match dialect {
                    Dialect::Sqlite => write!(sql, "{separator}?"),
                    Dialect::Postgres => write!(sql, "{separator}${n}"),
                };
            }
            sql.push(')');
        }
        sql.push(' ');
        sql.push_str(self.conflict);
        sql
    }
}

/// Upserts `rows` batch by batch, each row's values given by `values` in the insert's order.
async fn upsert<T: ImportTx, R, const N: usize>(
    w: &mut Chunks<'_, T>,
    table: &Upsert,
    rows: &[R],
    values: impl for<'r> Fn(&'r R) -> [Arg<'r>; N],
) -> StoreResult<()> {
    let dialect = <T::Db as Db>::DIALECT;
    let full_batch = table.sql(dialect, N, BATCH_ROWS);
    for batch in rows.chunks(BATCH_ROWS) {
        let partial;
        let sql = if batch.len() == BATCH_ROWS {
            &full_batch
        } else {
            partial = table.sql(dialect, N, batch.len());
            &partial
        };
        insert_batch(w.tx.conn().await?, sql, batch, &values).await?;
        w.wrote(batch.len()).await?;
    }
    Ok(())
}

/// One statement of `sql` (made for `batch.len()` rows) with the rows' values.
async fn insert_batch<R, const N: usize>(
    db: &mut impl Db,
    sql: &str,
    batch: &[R],
    values: impl for<'r> Fn(&'r R) -> [Arg<'r>; N],
) -> StoreResult<()> {
    let args: Vec<Arg> = batch.iter().flat_map(values).collect();
    db.execute(sql, &args).await?;
    Ok(())
}

/// `ON CONFLICT ($key) DO UPDATE SET c = excluded.c, ...`: a re-imported row takes every
/// column `c` as the dataset has it.
macro_rules! update_all {
    ($key:ident: $first:ident $(, $column:ident)*) => {
        concat!(
            "ON CONFLICT (", stringify!($key), ") DO UPDATE SET ",
            stringify!($first), " = excluded.", stringify!($first)
            $(, ", ", stringify!($column), " = excluded.", stringify!($column))*
        )
    };
}

const AREAS: Upsert = Upsert {
    insert: concat!("INSERT INTO areas (", area_cols!(), ")"),
    // A re-import without `area_zones.csv` takes the areas' zones away.
    conflict: update_all!(area_code: name, region, country, currency, languages, timezone),
};

const CUSTOMERS: Upsert = Upsert {
    insert: concat!(
        "INSERT INTO customers (",
        account_cols!(),
        ", account_digits, meter_digits)"
    ),
    // An empty language in the CRM keeps a choice the caller made on the phone.
    conflict: "ON CONFLICT (account_no) DO UPDATE SET full_name = excluded.full_name, \
               phone = excluded.phone, alt_phone = excluded.alt_phone, \
               language = COALESCE(excluded.language, customers.language), \
               service = excluded.service, meter_no = excluded.meter_no, \
               area_code = excluded.area_code, tariff = excluded.tariff, \
               status = excluded.status, account_digits = excluded.account_digits, \
               meter_digits = excluded.meter_digits",
};

const BILLS: Upsert = Upsert {
    insert: concat!("INSERT INTO bills (", bill_cols!(), ")"),
    conflict: update_all!(bill_id: account_no, period, issued_on, due_on, amount_minor, currency,
        status, paid_minor),
};

const OUTAGES: Upsert = Upsert {
    insert: concat!("INSERT INTO outages (", outage_cols!(), ")"),
    conflict: update_all!(outage_id: area_code, service, kind, starts_at, expected_end, status,
        cause),
};

const TICKETS: Upsert = Upsert {
    insert: concat!("INSERT INTO tickets (", ticket_cols!(), ")"),
    conflict: update_all!(ticket_ref: account_no, phone, category, status, channel, created_at,
        sla_due_at, updated_at, note),
};

/// The `created` event of tickets new to the CRM (re-imported ones get none).
const CREATED_EVENTS: Upsert = Upsert {
    insert: "INSERT INTO ticket_events (ticket_ref, at, event, detail)",
    conflict: "",
};

const VENDS: Upsert = Upsert {
    insert: "INSERT INTO vends (vend_id, account_no, meter_no, vended_at, amount_minor, \
             currency, units, token)",
    conflict: update_all!(vend_id: account_no, meter_no, vended_at, amount_minor, currency, units,
        token),
};

const METER_READINGS: Upsert = Upsert {
    insert: "INSERT INTO meter_readings (reading_id, account_no, meter_no, read_on, reading, \
             source)",
    conflict: update_all!(reading_id: account_no, meter_no, read_on, reading, source),
};

/// Writes every table of the dataset, in dependency order, then commits the last chunk.
async fn write_dataset(w: &mut Chunks<'_, impl ImportTx>, data: &Dataset) -> StoreResult<()> {
    write_areas(w, &data.areas).await?;
    write_customers(w, &data.customers).await?;
    upsert(w, &BILLS, &data.bills, |b| {
        [
            (&b.bill_id).into(),
            (&b.account_no).into(),
            (&b.period).into(),
            b.issued_on.into(),
            b.due_on.into(),
            b.amount_minor.into(),
            (&b.currency).into(),
            (&b.status).into(),
            b.paid_minor.into(),
        ]
    })
    .await?;
    upsert(w, &OUTAGES, &data.outages, |o| {
        [
            (&o.outage_id).into(),
            (&o.area_code).into(),
            (&o.service).into(),
            (&o.kind).into(),
            o.starts_at.into(),
            o.expected_end.into(),
            (&o.status).into(),
            (&o.cause).into(),
        ]
    })
    .await?;
    for batch in data.tickets.chunks(BATCH_ROWS) {
        write_tickets(w, batch).await?;
    }
    upsert(w, &VENDS, &data.vends, |v| {
        [
            (&v.vend_id).into(),
            (&v.account_no).into(),
            (&v.meter_no).into(),
            v.vended_at.into(),
            v.amount_minor.into(),
            (&v.currency).into(),
            (&v.units).into(),
            (&v.token).into(),
        ]
    })
    .await?;
    upsert(w, &METER_READINGS, &data.meter_readings, |r| {
        [
            (&r.reading_id).into(),
            (&r.account_no).into(),
            (&r.meter_no).into(),
            r.read_on.into(),
            r.reading.into(),
            (&r.source).into(),
        ]
    })
    .await?;
    w.commit().await
}

async fn write_areas(w: &mut Chunks<'_, impl ImportTx>, areas: &[Area]) -> StoreResult<()> {
    let rows: Vec<(&Area, String)> = areas.iter().map(|a| (a, a.languages.join(" "))).collect();
    upsert(w, &AREAS, &rows, |(a, languages)| {
        [
            (&a.area_code).into(),
            (&a.name).into(),
            (&a.region).into(),
            (&a.country).into(),
            (&a.currency).into(),
            languages.into(),
            (&a.timezone).into(),
        ]
    })
    .await
}

/// Customers with the digits of their account and meter numbers, for keypad lookups.
async fn write_customers(
    w: &mut Chunks<'_, impl ImportTx>,
    customers: &[Account],
) -> StoreResult<()> {
    let rows: Vec<(&Account, String, String)> = customers
        .iter()
        .map(|c| (c, digits(&c.account_no), digits(&c.meter_no)))
        .collect();
    upsert(w, &CUSTOMERS, &rows, |(c, account_digits, meter_digits)| {
        [
            (&c.account_no).into(),
            (&c.full_name).into(),
            (&c.phone).into(),
            (&c.alt_phone).into(),
            (&c.language).into(),
            (&c.service).into(),
            (&c.meter_no).into(),
            (&c.area_code).into(),
            (&c.tariff).into(),
            (&c.status).into(),
            account_digits.into(),
            meter_digits.into(),
        ]
    })
    .await
}

/// One batch of tickets, and the `created` event of those new to the CRM.
async fn write_tickets<T: ImportTx>(w: &mut Chunks<'_, T>, batch: &[Ticket]) -> StoreResult<()> {
    let sql = format!(
        "SELECT ticket_ref FROM tickets WHERE ticket_ref IN ({})",
        placeholders(1, batch.len())
    );
    let refs: Vec<Arg> = batch.iter().map(|t| (&t.ticket_ref).into()).collect();
    let existing: Vec<String> = w.tx.conn().await?.fetch_all(&sql, &refs).await?;
    let existing: HashSet<String> = existing.into_iter().collect();

    let new: Vec<&Ticket> = batch
        .iter()
        .filter(|t| !existing.contains(&t.ticket_ref))
        .collect();
    let db = w.tx.conn().await?;
    let sql = TICKETS.sql(<T::Db as Db>::DIALECT, 10, batch.len());
    insert_batch(db, &sql, batch, |t| {
        [
            (&t.ticket_ref).into(),
            (&t.account_no).into(),
            (&t.phone).into(),
            (&t.category).into(),
            (&t.status).into(),
            (&t.channel).into(),
            t.created_at.into(),
            t.sla_due_at.into(),
            t.updated_at.into(),
            (&t.note).into(),
        ]
    })
    .await?;
    if !new.is_empty() {
        let sql = CREATED_EVENTS.sql(<T::Db as Db>::DIALECT, 4, new.len());
        insert_batch(db, &sql, &new, |t| {
            [
                (&t.ticket_ref).into(),
                t.created_at.into(),
                "created".into(),
                (&t.channel).into(),
            ]
        })
        .await?;
    }
    // Committed with their events: a ticket is never imported without its `created` event.
    w.wrote(batch.len()).await
}

/// Rows in one of the tables `countable` allows (for tests and stats): the name is checked
/// against that fixed list, never put in the statement from the caller's text.
pub(crate) async fn count(
    db: &mut impl Db,
    table: &str,
    countable: impl Fn(&str) -> bool,
) -> StoreResult<i64> {
    if !countable(table) {
        return Err(super::StoreError::Database(sqlx::Error::InvalidArgument(
            format!("cannot count unknown table `{table}`"),
        )));
    }
    db.fetch_one(&format!("SELECT COUNT(*) FROM {table}"), &[])
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sql::placeholders_in_order;

    #[test]
    fn a_reimported_row_takes_every_listed_column() {
        assert_eq!(
            AREAS.conflict,
            "ON CONFLICT (area_code) DO UPDATE SET name = excluded.name, \
             region = excluded.region, country = excluded.country, \
             currency = excluded.currency, languages = excluded.languages, \
             timezone = excluded.timezone"
        );
    }

    #[test]
    fn statements_number_their_values_row_after_row() {
        let sql = CREATED_EVENTS.sql(Dialect::Postgres, 4, 2);
        assert_eq!(
            sql.trim_end(),
            "INSERT INTO ticket_events (ticket_ref, at, event, detail) \
             VALUES ($1, $2, $3, $4), ($5, $6, $7, $8)"
        );
        let full = CUSTOMERS.sql(Dialect::Postgres, 12, BATCH_ROWS);
        assert!(placeholders_in_order(&full));
        assert!(full.contains(", ($5989, $5990, "), "{full}");
        assert!(!full.contains("$6001"));
        let sqlite = CUSTOMERS.sql(Dialect::Sqlite, 12, 2);
        assert_eq!(sqlite.matches('?').count(), 24, "{sqlite}");
        assert!(!sqlite.contains('$'));
    }
}
