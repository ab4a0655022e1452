//! Imports into SQLite: multi-row inserts, one transaction per chunk.

use std::collections::HashSet;

use sqlx::pool::PoolConnection;
use sqlx::sqlite::{SqliteConnection, SqlitePool};
use sqlx::{AssertSqlSafe, Sqlite};

use super::convert::{date, opt_ts, ts};
use crate::domain::{Dataset, Ticket};
use crate::store::common::{account_cols, area_cols, bill_cols, digits, outage_cols, ticket_cols};
use crate::store::{IMPORT_CHUNK_ROWS, ImportProgress, ImportSummary, ProgressFn, StoreResult};

/// See [`crate::store::CrmStore::import_with_progress`].
pub(super) async fn import(
    pool: &SqlitePool,
    data: &Dataset,
    progress: ProgressFn<'_>,
) -> StoreResult<ImportSummary> {
    let mut w = ChunkedImport::start(pool, data.rows(), progress).await?;
    let written = write_dataset(&mut w, data).await;
    w.close().await;
    written?;
    Ok(ImportSummary::of(data))
}

/// Rows per INSERT statement (12 columns at most: 6 000 parameters, far below SQLite's 32 766).
const BATCH_ROWS: usize = 500;

/// `<head> VALUES (?, ...), ... <tail>`: `rows` rows of `columns` parameters.
fn values_sql(head: &str, columns: usize, rows: usize, tail: &str) -> String {
    let row = format!("({})", vec!["?"; columns].join(", "));
    let mut sql = String::with_capacity(head.len() + tail.len() + 16 + rows * (row.len() + 2));
    sql.push_str(head);
    sql.push_str(" VALUES ");
    for i in 0..rows {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&row);
    }
    sql.push(' ');
    sql.push_str(tail);
    sql
}

/// Page cache of the connection an import writes through (KiB, as a negative `cache_size`):
/// the customers' phone and meter indexes take random inserts, which crawl once the indexes
/// outgrow SQLite's default 2 MiB cache. Set back to [`DEFAULT_CACHE_KIB`] before the
/// connection returns to the pool, so the server's connections stay small.
const IMPORT_CACHE_KIB: i64 = 256 * 1024;
const DEFAULT_CACHE_KIB: i64 = 2_000;

/// One connection of the pool, writing an import in transactions of [`IMPORT_CHUNK_ROWS`] rows.
/// Transactions are begun and committed by statement (`BEGIN IMMEDIATE`, `COMMIT`) because
/// several follow each other on this one connection; [`ChunkedImport::close`] rolls back one
/// left open by an error before the connection goes back to the pool.
struct ChunkedImport<'a> {
    conn: PoolConnection<Sqlite>,
    open: bool,
    /// Rows written in the open transaction.
    in_tx: usize,
    /// Rows committed.
    done: usize,
    total: usize,
    progress: ProgressFn<'a>,
}

impl<'a> ChunkedImport<'a> {
    async fn start(
        pool: &SqlitePool,
        total: usize,
        progress: ProgressFn<'a>,
    ) -> StoreResult<ChunkedImport<'a>> {
        let mut conn = pool.acquire().await?;
        sqlx::query(AssertSqlSafe(format!(
            "PRAGMA cache_size = -{IMPORT_CACHE_KIB}"
        )))
        .execute(&mut *conn)
        .await?;
        Ok(ChunkedImport {
            conn,
            open: false,
            in_tx: 0,
            done: 0,
            total,
            progress,
        })
    }

    /// The connection, in a transaction (one is begun when none is open).
    async fn conn(&mut self) -> StoreResult<&mut SqliteConnection> {
        if !self.open {
            sqlx::query("BEGIN IMMEDIATE")
                .execute(&mut *self.conn)
                .await?;
            self.open = true;
        }
        Ok(&mut *self.conn)
    }

    /// Counts rows written; commits once the chunk is full.
    async fn wrote(&mut self, rows: usize) -> StoreResult<()> {
        self.in_tx += rows;
        if self.in_tx >= IMPORT_CHUNK_ROWS {
            self.commit().await?;
        }
        Ok(())
    }

    async fn commit(&mut self) -> StoreResult<()> {
        if self.open {
            sqlx::query("COMMIT").execute(&mut *self.conn).await?;
            self.open = false;
            self.done += std::mem::take(&mut self.in_tx);
            (self.progress)(ImportProgress {
                done: self.done,
                total: self.total,
            });
        }
        Ok(())
    }

    /// Rolls back a transaction an error left open and gives the connection its default cache
    /// back; a connection that cannot be put back in order is closed instead of pooled.
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

/// Writes every table of the dataset, in dependency order, batch by batch.
async fn write_dataset(w: &mut ChunkedImport<'_>, data: &Dataset) -> StoreResult<()> {
    for batch in data.areas.chunks(BATCH_ROWS) {
        let sql = values_sql(
            concat!("INSERT INTO areas (", area_cols!(), ")"),
            7,
            batch.len(),
            "ON CONFLICT (area_code) DO UPDATE SET name = excluded.name, \
             region = excluded.region, country = excluded.country, \
             currency = excluded.currency, languages = excluded.languages, \
             timezone = excluded.timezone",
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for a in batch {
            q = q
                .bind(&a.area_code)
                .bind(&a.name)
                .bind(&a.region)
                .bind(&a.country)
                .bind(&a.currency)
                .bind(a.languages.join(" "))
                .bind(&a.timezone);
        }
        q.execute(w.conn().await?).await?;
        w.wrote(batch.len()).await?;
    }

    for batch in data.customers.chunks(BATCH_ROWS) {
        // An empty language in the CRM keeps a choice the caller made on the phone.
        let sql = values_sql(
            concat!(
                "INSERT INTO customers (",
                account_cols!(),
                ", account_digits, meter_digits)"
            ),
            12,
            batch.len(),
            "ON CONFLICT (account_no) DO UPDATE SET full_name = excluded.full_name, \
             phone = excluded.phone, alt_phone = excluded.alt_phone, \
             language = COALESCE(excluded.language, customers.language), \
             service = excluded.service, meter_no = excluded.meter_no, \
             area_code = excluded.area_code, tariff = excluded.tariff, \
             status = excluded.status, account_digits = excluded.account_digits, \
             meter_digits = excluded.meter_digits",
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for c in batch {
            q = q
                .bind(&c.account_no)
                .bind(&c.full_name)
                .bind(&c.phone)
                .bind(&c.alt_phone)
                .bind(&c.language)
                .bind(&c.service)
                .bind(&c.meter_no)
                .bind(&c.area_code)
                .bind(&c.tariff)
                .bind(&c.status)
                .bind(digits(&c.account_no))
                .bind(digits(&c.meter_no));
        }
        q.execute(w.conn().await?).await?;
        w.wrote(batch.len()).await?;
    }

    for batch in data.bills.chunks(BATCH_ROWS) {
        let sql = values_sql(
            concat!("INSERT INTO bills (", bill_cols!(), ")"),
            9,
            batch.len(),
            "ON CONFLICT (bill_id) DO UPDATE SET account_no = excluded.account_no, \
             period = excluded.period, issued_on = excluded.issued_on, \
             due_on = excluded.due_on, amount_minor = excluded.amount_minor, \
             currency = excluded.currency, status = excluded.status, \
             paid_minor = excluded.paid_minor",
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for b in batch {
            q = q
                .bind(&b.bill_id)
                .bind(&b.account_no)
                .bind(&b.period)
                .bind(date(&b.issued_on))
                .bind(date(&b.due_on))
                .bind(b.amount_minor)
                .bind(&b.currency)
                .bind(&b.status)
                .bind(b.paid_minor);
        }
        q.execute(w.conn().await?).await?;
        w.wrote(batch.len()).await?;
    }

    for batch in data.outages.chunks(BATCH_ROWS) {
        let sql = values_sql(
            concat!("INSERT INTO outages (", outage_cols!(), ")"),
            8,
            batch.len(),
            "ON CONFLICT (outage_id) DO UPDATE SET area_code = excluded.area_code, \
             service = excluded.service, kind = excluded.kind, \
             starts_at = excluded.starts_at, expected_end = excluded.expected_end, \
             status = excluded.status, cause = excluded.cause",
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for o in batch {
            q = q
                .bind(&o.outage_id)
                .bind(&o.area_code)
                .bind(&o.service)
                .bind(&o.kind)
                .bind(ts(&o.starts_at))
                .bind(opt_ts(&o.expected_end))
                .bind(&o.status)
                .bind(&o.cause);
        }
        q.execute(w.conn().await?).await?;
        w.wrote(batch.len()).await?;
    }

    for batch in data.tickets.chunks(BATCH_ROWS) {
        // Tickets new to the CRM get their `created` event; re-imported ones do not.
        let sql = format!(
            "SELECT ticket_ref FROM tickets WHERE ticket_ref IN ({})",
            vec!["?"; batch.len()].join(", ")
        );
        let mut q = sqlx::query_scalar::<_, String>(AssertSqlSafe(sql));
        for t in batch {
            q = q.bind(&t.ticket_ref);
        }
        let existing: HashSet<String> = q.fetch_all(w.conn().await?).await?.into_iter().collect();

        let sql = values_sql(
            concat!("INSERT INTO tickets (", ticket_cols!(), ")"),
            10,
            batch.len(),
            "ON CONFLICT (ticket_ref) DO UPDATE SET account_no = excluded.account_no, \
             phone = excluded.phone, category = excluded.category, \
             status = excluded.status, channel = excluded.channel, \
             created_at = excluded.created_at, sla_due_at = excluded.sla_due_at, \
             updated_at = excluded.updated_at, note = excluded.note",
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for t in batch {
            q = q
                .bind(&t.ticket_ref)
                .bind(&t.account_no)
                .bind(&t.phone)
                .bind(&t.category)
                .bind(&t.status)
                .bind(&t.channel)
                .bind(ts(&t.created_at))
                .bind(opt_ts(&t.sla_due_at))
                .bind(ts(&t.updated_at))
                .bind(&t.note);
        }
        q.execute(w.conn().await?).await?;

        let new: Vec<&Ticket> = batch
            .iter()
            .filter(|t| !existing.contains(&t.ticket_ref))
            .collect();
        if !new.is_empty() {
            let sql = format!(
                "INSERT INTO ticket_events (ticket_ref, at, event, detail) VALUES {}",
                vec!["(?, ?, 'created', ?)"; new.len()].join(", ")
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for t in new {
                q = q
                    .bind(&t.ticket_ref)
                    .bind(ts(&t.created_at))
                    .bind(&t.channel);
            }
            q.execute(w.conn().await?).await?;
        }
        w.wrote(batch.len()).await?;
    }

    for batch in data.vends.chunks(BATCH_ROWS) {
        let sql = values_sql(
            "INSERT INTO vends (vend_id, account_no, meter_no, vended_at, amount_minor, \
             currency, units, token)",
            8,
            batch.len(),
            "ON CONFLICT (vend_id) DO UPDATE SET account_no = excluded.account_no, \
             meter_no = excluded.meter_no, vended_at = excluded.vended_at, \
             amount_minor = excluded.amount_minor, currency = excluded.currency, \
             units = excluded.units, token = excluded.token",
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for v in batch {
            q = q
                .bind(&v.vend_id)
                .bind(&v.account_no)
                .bind(&v.meter_no)
                .bind(ts(&v.vended_at))
                .bind(v.amount_minor)
                .bind(&v.currency)
                .bind(&v.units)
                .bind(&v.token);
        }
        q.execute(w.conn().await?).await?;
        w.wrote(batch.len()).await?;
    }

    for batch in data.meter_readings.chunks(BATCH_ROWS) {
        let sql = values_sql(
            "INSERT INTO meter_readings (reading_id, account_no, meter_no, read_on, reading, \
             source)",
            6,
            batch.len(),
            "ON CONFLICT (reading_id) DO UPDATE SET account_no = excluded.account_no, \
             meter_no = excluded.meter_no, read_on = excluded.read_on, \
             reading = excluded.reading, source = excluded.source",
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for r in batch {
            q = q
                .bind(&r.reading_id)
                .bind(&r.account_no)
                .bind(&r.meter_no)
                .bind(date(&r.read_on))
                .bind(r.reading)
                .bind(&r.source);
        }
        q.execute(w.conn().await?).await?;
        w.wrote(batch.len()).await?;
    }

    w.commit().await
}
