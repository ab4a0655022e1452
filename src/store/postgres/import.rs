//! Imports into PostgreSQL: one UNNEST insert per batch, one transaction per chunk.

use std::collections::HashSet;

use sqlx::postgres::{PgConnection, PgPool};
use sqlx::{Postgres, Transaction};

use super::convert::{opt_ts, ts};
use crate::domain::{Dataset, Ticket};
use crate::store::common::{account_cols, area_cols, bill_cols, digits, outage_cols, ticket_cols};
use crate::store::{IMPORT_CHUNK_ROWS, ImportProgress, ImportSummary, ProgressFn, StoreResult};

/// See [`crate::store::CrmStore::import_with_progress`].
pub(super) async fn import(
    pool: &PgPool,
    data: &Dataset,
    progress: ProgressFn<'_>,
) -> StoreResult<ImportSummary> {
    // One statement per batch: each column is bound as one array and UNNEST turns the
    // arrays back into rows.
    let mut w = ChunkedImport {
        pool,
        tx: None,
        in_tx: 0,
        done: 0,
        total: data.rows(),
        progress,
    };
    fn col<'a, T, U>(batch: &'a [T], f: impl Fn(&'a T) -> U) -> Vec<U> {
        batch.iter().map(f).collect()
    }

    for batch in data.areas.chunks(BATCH_ROWS) {
        sqlx::query(concat!(
            "INSERT INTO areas (",
            area_cols!(),
            ") SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], \
             $5::text[], $6::text[], $7::text[]) \
             ON CONFLICT (area_code) DO UPDATE SET name = excluded.name, \
             region = excluded.region, country = excluded.country, \
             currency = excluded.currency, languages = excluded.languages, \
             timezone = excluded.timezone"
        ))
        .bind(col(batch, |a| a.area_code.as_str()))
        .bind(col(batch, |a| a.name.as_str()))
        .bind(col(batch, |a| a.region.as_str()))
        .bind(col(batch, |a| a.country.as_str()))
        .bind(col(batch, |a| a.currency.as_str()))
        .bind(col(batch, |a| a.languages.join(" ")))
        .bind(col(batch, |a| a.timezone.as_deref()))
        .execute(w.conn().await?)
        .await?;
        w.wrote(batch.len()).await?;
    }

    for batch in data.customers.chunks(BATCH_ROWS) {
        // An empty language in the CRM keeps a choice the caller made on the phone.
        sqlx::query(concat!(
            "INSERT INTO customers (",
            account_cols!(),
            ", account_digits, meter_digits) \
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], \
             $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], \
             $11::text[], $12::text[]) \
             ON CONFLICT (account_no) DO UPDATE SET full_name = excluded.full_name, \
             phone = excluded.phone, alt_phone = excluded.alt_phone, \
             language = COALESCE(excluded.language, customers.language), \
             service = excluded.service, meter_no = excluded.meter_no, \
             area_code = excluded.area_code, tariff = excluded.tariff, \
             status = excluded.status, account_digits = excluded.account_digits, \
             meter_digits = excluded.meter_digits"
        ))
        .bind(col(batch, |c| c.account_no.as_str()))
        .bind(col(batch, |c| c.full_name.as_str()))
        .bind(col(batch, |c| c.phone.as_deref()))
        .bind(col(batch, |c| c.alt_phone.as_deref()))
        .bind(col(batch, |c| c.language.as_deref()))
        .bind(col(batch, |c| c.service.as_str()))
        .bind(col(batch, |c| c.meter_no.as_str()))
        .bind(col(batch, |c| c.area_code.as_str()))
        .bind(col(batch, |c| c.tariff.as_str()))
        .bind(col(batch, |c| c.status.as_str()))
        .bind(col(batch, |c| digits(&c.account_no)))
        .bind(col(batch, |c| digits(&c.meter_no)))
        .execute(w.conn().await?)
        .await?;
        w.wrote(batch.len()).await?;
    }

    for batch in data.bills.chunks(BATCH_ROWS) {
        sqlx::query(concat!(
            "INSERT INTO bills (",
            bill_cols!(),
            ") SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::date[], \
             $5::date[], $6::int8[], $7::text[], $8::text[], $9::int8[]) \
             ON CONFLICT (bill_id) DO UPDATE SET account_no = excluded.account_no, \
             period = excluded.period, issued_on = excluded.issued_on, \
             due_on = excluded.due_on, amount_minor = excluded.amount_minor, \
             currency = excluded.currency, status = excluded.status, \
             paid_minor = excluded.paid_minor"
        ))
        .bind(col(batch, |b| b.bill_id.as_str()))
        .bind(col(batch, |b| b.account_no.as_str()))
        .bind(col(batch, |b| b.period.as_str()))
        .bind(col(batch, |b| b.issued_on))
        .bind(col(batch, |b| b.due_on))
        .bind(col(batch, |b| b.amount_minor))
        .bind(col(batch, |b| b.currency.as_str()))
        .bind(col(batch, |b| b.status.as_str()))
        .bind(col(batch, |b| b.paid_minor))
        .execute(w.conn().await?)
        .await?;
        w.wrote(batch.len()).await?;
    }

    for batch in data.outages.chunks(BATCH_ROWS) {
        sqlx::query(concat!(
            "INSERT INTO outages (",
            outage_cols!(),
            ") SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], \
             $5::timestamptz[], $6::timestamptz[], $7::text[], $8::text[]) \
             ON CONFLICT (outage_id) DO UPDATE SET area_code = excluded.area_code, \
             service = excluded.service, kind = excluded.kind, \
             starts_at = excluded.starts_at, expected_end = excluded.expected_end, \
             status = excluded.status, cause = excluded.cause"
        ))
        .bind(col(batch, |o| o.outage_id.as_str()))
        .bind(col(batch, |o| o.area_code.as_str()))
        .bind(col(batch, |o| o.service.as_str()))
        .bind(col(batch, |o| o.kind.as_str()))
        .bind(col(batch, |o| ts(&o.starts_at)))
        .bind(col(batch, |o| opt_ts(&o.expected_end)))
        .bind(col(batch, |o| o.status.as_str()))
        .bind(col(batch, |o| o.cause.as_deref()))
        .execute(w.conn().await?)
        .await?;
        w.wrote(batch.len()).await?;
    }

    for batch in data.tickets.chunks(BATCH_ROWS) {
        // Tickets new to the CRM get their `created` event; re-imported ones do not.
        let existing: HashSet<String> =
            sqlx::query_scalar("SELECT ticket_ref FROM tickets WHERE ticket_ref = ANY($1)")
                .bind(col(batch, |t| t.ticket_ref.as_str()))
                .fetch_all(w.conn().await?)
                .await?
                .into_iter()
                .collect();
        sqlx::query(concat!(
            "INSERT INTO tickets (",
            ticket_cols!(),
            ") SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], \
             $5::text[], $6::text[], $7::timestamptz[], $8::timestamptz[], \
             $9::timestamptz[], $10::text[]) \
             ON CONFLICT (ticket_ref) DO UPDATE SET account_no = excluded.account_no, \
             phone = excluded.phone, category = excluded.category, \
             status = excluded.status, channel = excluded.channel, \
             created_at = excluded.created_at, sla_due_at = excluded.sla_due_at, \
             updated_at = excluded.updated_at, note = excluded.note"
        ))
        .bind(col(batch, |t| t.ticket_ref.as_str()))
        .bind(col(batch, |t| t.account_no.as_deref()))
        .bind(col(batch, |t| t.phone.as_deref()))
        .bind(col(batch, |t| t.category.as_str()))
        .bind(col(batch, |t| t.status.as_str()))
        .bind(col(batch, |t| t.channel.as_str()))
        .bind(col(batch, |t| ts(&t.created_at)))
        .bind(col(batch, |t| opt_ts(&t.sla_due_at)))
        .bind(col(batch, |t| ts(&t.updated_at)))
        .bind(col(batch, |t| t.note.as_deref()))
        .execute(w.conn().await?)
        .await?;

        let new: Vec<&Ticket> = batch
            .iter()
            .filter(|t| !existing.contains(&t.ticket_ref))
            .collect();
        if !new.is_empty() {
            // WITH ORDINALITY keeps the events (and their ids) in the dataset's order.
            sqlx::query(
                "INSERT INTO ticket_events (ticket_ref, at, event, detail) \
                 SELECT r, a, 'created', d \
                 FROM UNNEST($1::text[], $2::timestamptz[], $3::text[]) \
                 WITH ORDINALITY AS u(r, a, d, n) ORDER BY n",
            )
            .bind(col(&new, |t| t.ticket_ref.as_str()))
            .bind(col(&new, |t| ts(&t.created_at)))
            .bind(col(&new, |t| t.channel.as_str()))
            .execute(w.conn().await?)
            .await?;
        }
        w.wrote(batch.len()).await?;
    }

    for batch in data.vends.chunks(BATCH_ROWS) {
        sqlx::query(
            "INSERT INTO vends (vend_id, account_no, meter_no, vended_at, amount_minor, \
             currency, units, token) \
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::timestamptz[], \
             $5::int8[], $6::text[], $7::text[], $8::text[]) \
             ON CONFLICT (vend_id) DO UPDATE SET account_no = excluded.account_no, \
             meter_no = excluded.meter_no, vended_at = excluded.vended_at, \
             amount_minor = excluded.amount_minor, currency = excluded.currency, \
             units = excluded.units, token = excluded.token",
        )
        .bind(col(batch, |v| v.vend_id.as_str()))
        .bind(col(batch, |v| v.account_no.as_str()))
        .bind(col(batch, |v| v.meter_no.as_str()))
        .bind(col(batch, |v| ts(&v.vended_at)))
        .bind(col(batch, |v| v.amount_minor))
        .bind(col(batch, |v| v.currency.as_str()))
        .bind(col(batch, |v| v.units.as_str()))
        .bind(col(batch, |v| v.token.as_str()))
        .execute(w.conn().await?)
        .await?;
        w.wrote(batch.len()).await?;
    }

    for batch in data.meter_readings.chunks(BATCH_ROWS) {
        sqlx::query(
            "INSERT INTO meter_readings (reading_id, account_no, meter_no, read_on, reading, \
             source) \
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::date[], \
             $5::int8[], $6::text[]) \
             ON CONFLICT (reading_id) DO UPDATE SET account_no = excluded.account_no, \
             meter_no = excluded.meter_no, read_on = excluded.read_on, \
             reading = excluded.reading, source = excluded.source",
        )
        .bind(col(batch, |r| r.reading_id.as_str()))
        .bind(col(batch, |r| r.account_no.as_str()))
        .bind(col(batch, |r| r.meter_no.as_str()))
        .bind(col(batch, |r| r.read_on))
        .bind(col(batch, |r| r.reading))
        .bind(col(batch, |r| r.source.as_str()))
        .execute(w.conn().await?)
        .await?;
        w.wrote(batch.len()).await?;
    }

    w.finish().await?;
    Ok(ImportSummary::of(data))
}

/// Rows per INSERT statement (each column is one array parameter, so any size fits).
const BATCH_ROWS: usize = 2_500;

/// The transaction an import is writing, committed every [`IMPORT_CHUNK_ROWS`] rows.
struct ChunkedImport<'a> {
    pool: &'a PgPool,
    tx: Option<Transaction<'static, Postgres>>,
    /// Rows written in the open transaction.
    in_tx: usize,
    /// Rows committed.
    done: usize,
    total: usize,
    progress: ProgressFn<'a>,
}

impl ChunkedImport<'_> {
    /// The open transaction's connection (a transaction is begun when none is open).
    async fn conn(&mut self) -> StoreResult<&mut PgConnection> {
        if self.tx.is_none() {
            self.tx = Some(self.pool.begin().await?);
        }
        Ok(&mut **self.tx.as_mut().expect("begun above"))
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
        if let Some(tx) = self.tx.take() {
            tx.commit().await?;
            self.done += std::mem::take(&mut self.in_tx);
            (self.progress)(ImportProgress {
                done: self.done,
                total: self.total,
            });
        }
        Ok(())
    }

    async fn finish(mut self) -> StoreResult<()> {
        self.commit().await
    }
}
