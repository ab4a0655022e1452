//! The CRM in PostgreSQL, for several server instances sharing one database. Runtime queries
//! only; the behaviour is the SQLite store's, checked by the same test bodies on both.
//!
//! Timestamps are TIMESTAMPTZ written in whole seconds (SQLite keeps whole seconds in its text),
//! so a value reads back exactly as the SQLite store returns it. Text columns use the "C"
//! collation: ordering and case folding are byte by byte and ASCII-only, as in SQLite.
//!
//! Filing (tickets, outage reports, call-backs) is idempotent on `origin_key` across instances:
//! an existing row is returned at once; otherwise the insert is `ON CONFLICT (origin_key) DO
//! NOTHING`, and when another instance won the race its row is read back. References come from
//! the `reference_seq` sequence, so two instances never draw the same number.
//!
//! Filing an outage report decides (attach, open a suspected outage, or file a ticket) in one
//! transaction that first takes a transaction-scoped advisory lock on a stable hash of the
//! area and service: the filings of one area and service, from every instance, are decided one
//! after the other, each seeing what the previous one committed.

use std::borrow::Cow;
use std::collections::HashSet;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::{AssertSqlSafe, Postgres, Transaction};

use super::common::{
    AccountRow, AreaRow, COUNTABLE, MIN_LOOKUP_DIGITS, account_cols, area_cols, bill_cols, digits,
    interaction_cols, outage_cols, outage_ticket, report_cols, single, storm_lock_key,
    storm_reports, suspected_cause, suspected_outage_id, ticket_cols, window_start,
};
use super::{
    CrmStore, IMPORT_CHUNK_ROWS, ImportProgress, ImportSummary, ProgressFn, StoreError, StoreResult,
};
use crate::domain::*;
use crate::reference;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// How long a query waits for a pooled connection: a database that is down fails fast.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);
const MAX_CONNECTIONS: u32 = 16;

/// The active or suspected outage of one area and service, the latest to start first.
const CURRENT_OUTAGE: &str = concat!(
    "SELECT ",
    outage_cols!(),
    " FROM outages WHERE area_code = $1 AND service = $2 AND status IN ('active', 'suspected') \
     ORDER BY starts_at DESC, outage_id DESC LIMIT 1"
);

/// Outage tickets of one area ($1) and service ($2), filed since $3, not linked to an outage.
/// `category = 'outage'` is spelled out so that the planner matches the partial index
/// `tickets_outage_window`, whatever plan it caches.
macro_rules! window_tickets {
    () => {
        "category = 'outage' AND area_code = $1 AND service = $2 AND created_at >= $3 \
         AND outage_id IS NULL"
    };
}

/// The upsert of one interaction row. started_at keeps the earliest value: the row may have
/// been created first by the gateway's end notification.
macro_rules! upsert_interaction {
    ($i:expr) => {{
        let i: &Interaction = $i;
        sqlx::query(concat!(
            "INSERT INTO interactions (",
            interaction_cols!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
             ON CONFLICT (gateway, session_id) DO UPDATE SET channel = excluded.channel, \
             phone = excluded.phone, account_no = excluded.account_no, \
             language = excluded.language, path = excluded.path, outcome = excluded.outcome, \
             hops = excluded.hops, \
             started_at = LEAST(interactions.started_at, excluded.started_at), \
             updated_at = excluded.updated_at, ended = excluded.ended"
        ))
        .bind(&i.channel)
        .bind(&i.gateway)
        .bind(&i.session_id)
        .bind(&i.phone)
        .bind(&i.account_no)
        .bind(&i.language)
        .bind(&i.path)
        .bind(&i.outcome)
        .bind(i.hops)
        .bind(ts(&i.started_at))
        .bind(ts(&i.updated_at))
        .bind(i.ended)
    }};
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
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(PgCrm { pool })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Number of rows in one of the store's tables (a fixed allow-list; for tests and stats).
    pub async fn count(&self, table: &str) -> StoreResult<i64> {
        if !COUNTABLE.contains(&table) {
            return Err(StoreError::Database(sqlx::Error::InvalidArgument(format!(
                "cannot count unknown table `{table}`"
            ))));
        }
        // The name comes from the fixed list, never from the caller's text.
        let sql = format!("SELECT COUNT(*) FROM {table}");
        Ok(sqlx::query_scalar::<_, i64>(AssertSqlSafe(sql))
            .fetch_one(&self.pool)
            .await?)
    }
}

// ---------------------------------------------------------------------------------------------
// Conversions

/// Timestamps are kept to the second, as the SQLite store keeps them.
fn ts(t: &DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(0)
}

fn opt_ts(t: &Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    t.as_ref().map(ts)
}

/// PostgreSQL text cannot hold a NUL character, so no stored value contains one: a lookup of
/// such a text finds nothing (as in SQLite, where only imports and our own writes put text,
/// and none of those is looked up with a NUL) instead of failing on the database's error.
fn lookable(s: &str) -> Option<&str> {
    (!s.contains('\0')).then_some(s)
}

/// Free text from a gateway, stored with any NUL replaced (PostgreSQL rejects it).
fn storable(s: &str) -> Cow<'_, str> {
    if s.contains('\0') {
        Cow::Owned(s.replace('\0', "\u{FFFD}"))
    } else {
        Cow::Borrowed(s)
    }
}

fn opt_storable(s: &Option<String>) -> Option<Cow<'_, str>> {
    s.as_deref().map(storable)
}

#[derive(sqlx::FromRow)]
struct BillRow {
    bill_id: String,
    account_no: String,
    period: String,
    issued_on: NaiveDate,
    due_on: NaiveDate,
    amount_minor: i64,
    currency: String,
    status: String,
    paid_minor: i64,
}

impl From<BillRow> for Bill {
    fn from(r: BillRow) -> Self {
        Bill {
            bill_id: r.bill_id,
            account_no: r.account_no,
            period: r.period,
            issued_on: r.issued_on,
            due_on: r.due_on,
            amount_minor: r.amount_minor,
            currency: r.currency,
            status: r.status,
            paid_minor: r.paid_minor,
        }
    }
}

#[derive(sqlx::FromRow)]
struct OutageRow {
    outage_id: String,
    area_code: String,
    service: String,
    kind: String,
    starts_at: DateTime<Utc>,
    expected_end: Option<DateTime<Utc>>,
    status: String,
    cause: Option<String>,
}

impl From<OutageRow> for Outage {
    fn from(r: OutageRow) -> Self {
        Outage {
            outage_id: r.outage_id,
            area_code: r.area_code,
            service: r.service,
            kind: r.kind,
            starts_at: r.starts_at,
            expected_end: r.expected_end,
            status: r.status,
            cause: r.cause,
        }
    }
}

#[derive(sqlx::FromRow)]
struct TicketRow {
    ticket_ref: String,
    account_no: Option<String>,
    phone: Option<String>,
    category: String,
    status: String,
    channel: String,
    created_at: DateTime<Utc>,
    sla_due_at: Option<DateTime<Utc>>,
    updated_at: DateTime<Utc>,
    note: Option<String>,
}

impl From<TicketRow> for Ticket {
    fn from(r: TicketRow) -> Self {
        Ticket {
            ticket_ref: r.ticket_ref,
            account_no: r.account_no,
            phone: r.phone,
            category: r.category,
            status: r.status,
            channel: r.channel,
            created_at: r.created_at,
            sla_due_at: r.sla_due_at,
            updated_at: r.updated_at,
            note: r.note,
        }
    }
}

#[derive(sqlx::FromRow)]
struct ReportRow {
    reference: String,
    outage_id: String,
    account_no: Option<String>,
    phone: Option<String>,
    channel: String,
    created_at: DateTime<Utc>,
}

impl From<ReportRow> for OutageReport {
    fn from(r: ReportRow) -> Self {
        OutageReport {
            reference: r.reference,
            outage_id: r.outage_id,
            account_no: r.account_no,
            phone: r.phone,
            channel: r.channel,
            created_at: r.created_at,
        }
    }
}

#[derive(sqlx::FromRow)]
struct InteractionRow {
    channel: String,
    gateway: String,
    session_id: String,
    phone: String,
    account_no: Option<String>,
    language: Option<String>,
    path: String,
    outcome: Option<String>,
    hops: i64,
    started_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    ended: bool,
}

impl From<InteractionRow> for Interaction {
    fn from(r: InteractionRow) -> Self {
        Interaction {
            channel: r.channel,
            gateway: r.gateway,
            session_id: r.session_id,
            phone: r.phone,
            account_no: r.account_no,
            language: r.language,
            path: r.path,
            outcome: r.outcome,
            hops: r.hops,
            started_at: r.started_at,
            updated_at: r.updated_at,
            ended: r.ended,
        }
    }
}

/// Draws the next reference number from the sequence and builds a reference that is not taken
/// yet (the number wraps after a million within the reference format, and imported references
/// may already use a candidate).
async fn next_reference(conn: &mut PgConnection, at: DateTime<Utc>) -> StoreResult<String> {
    loop {
        let seq: i64 = sqlx::query_scalar("SELECT nextval('reference_seq')")
            .fetch_one(&mut *conn)
            .await?;
        let candidate = reference::new_reference(at, seq.max(0) as u64);
        let taken: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM tickets WHERE ticket_ref = $1) \
                 OR EXISTS (SELECT 1 FROM outage_reports WHERE reference = $1)",
        )
        .bind(&candidate)
        .fetch_one(&mut *conn)
        .await?;
        if !taken {
            return Ok(candidate);
        }
    }
}

async fn ticket_by_origin(
    conn: &mut PgConnection,
    origin_key: &str,
) -> StoreResult<Option<TicketRow>> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        ticket_cols!(),
        " FROM tickets WHERE origin_key = $1"
    ))
    .bind(origin_key)
    .fetch_optional(conn)
    .await?)
}

async fn report_by_origin(
    conn: &mut PgConnection,
    origin_key: &str,
) -> StoreResult<Option<ReportRow>> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        report_cols!(),
        " FROM outage_reports WHERE origin_key = $1"
    ))
    .bind(origin_key)
    .fetch_optional(conn)
    .await?)
}

async fn callback_by_origin(conn: &mut PgConnection, origin_key: &str) -> StoreResult<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT id FROM callback_tasks WHERE origin_key = $1")
            .bind(origin_key)
            .fetch_optional(conn)
            .await?,
    )
}

/// The row another instance filed under the same key while this one was inserting.
fn raced<T>(row: Option<T>) -> StoreResult<T> {
    row.ok_or_else(|| StoreError::Corrupt("origin_key conflicted but no row holds it".to_string()))
}

/// Files a report on a known outage; `None` when another transaction filed `origin_key` first.
async fn insert_report(
    conn: &mut PgConnection,
    report: &NewOutageReport,
) -> StoreResult<Option<OutageReport>> {
    let reference = next_reference(conn, report.created_at).await?;
    let created_at = ts(&report.created_at);
    let inserted: Option<String> = sqlx::query_scalar(concat!(
        "INSERT INTO outage_reports (",
        report_cols!(),
        ", origin_key) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (origin_key) DO NOTHING RETURNING reference"
    ))
    .bind(&reference)
    .bind(&report.outage_id)
    .bind(&report.account_no)
    .bind(&report.phone)
    .bind(&report.channel)
    .bind(created_at)
    .bind(&report.origin_key)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(inserted.map(|_| OutageReport {
        reference,
        outage_id: report.outage_id.clone(),
        account_no: report.account_no.clone(),
        phone: report.phone.clone(),
        channel: report.channel.clone(),
        created_at,
    }))
}

/// Files a ticket with its `created` event; `None` when another transaction filed
/// `origin_key` first. An outage ticket filed by [`CrmStore::file_outage_report`] records its
/// area and service.
async fn insert_ticket(
    conn: &mut PgConnection,
    ticket: &NewTicket,
    area_service: Option<(&str, &str)>,
) -> StoreResult<Option<Ticket>> {
    let reference = next_reference(conn, ticket.created_at).await?;
    let created_at = ts(&ticket.created_at);
    let sla_due_at = opt_ts(&ticket.sla_due_at);
    let inserted: Option<String> = sqlx::query_scalar(concat!(
        "INSERT INTO tickets (",
        ticket_cols!(),
        ", origin_key, area_code, service) \
         VALUES ($1, $2, $3, $4, 'open', $5, $6, $7, $6, $8, $9, $10, $11) \
         ON CONFLICT (origin_key) DO NOTHING RETURNING ticket_ref"
    ))
    .bind(&reference)
    .bind(&ticket.account_no)
    .bind(&ticket.phone)
    .bind(&ticket.category)
    .bind(&ticket.channel)
    .bind(created_at)
    .bind(sla_due_at)
    .bind(&ticket.note)
    .bind(&ticket.origin_key)
    .bind(area_service.map(|(area, _)| area))
    .bind(area_service.map(|(_, service)| service))
    .fetch_optional(&mut *conn)
    .await?;
    if inserted.is_none() {
        return Ok(None);
    }
    sqlx::query(
        "INSERT INTO ticket_events (ticket_ref, at, event, detail) \
         VALUES ($1, $2, 'created', $3)",
    )
    .bind(&reference)
    .bind(created_at)
    .bind(&ticket.channel)
    .execute(&mut *conn)
    .await?;
    Ok(Some(Ticket {
        ticket_ref: reference,
        account_no: ticket.account_no.clone(),
        phone: ticket.phone.clone(),
        category: ticket.category.clone(),
        status: "open".to_string(),
        channel: ticket.channel.clone(),
        created_at,
        sla_due_at,
        updated_at: created_at,
        note: ticket.note.clone(),
    }))
}

/// What an earlier filing under `origin_key` wrote, if any: a report (with its outage as it
/// is now) or a ticket.
async fn filed_before(
    conn: &mut PgConnection,
    origin_key: &str,
) -> StoreResult<Option<OutageFiling>> {
    if let Some(report) = report_by_origin(conn, origin_key).await? {
        let outage: OutageRow = sqlx::query_as(concat!(
            "SELECT ",
            outage_cols!(),
            " FROM outages WHERE outage_id = $1"
        ))
        .bind(&report.outage_id)
        .fetch_one(&mut *conn)
        .await?;
        return Ok(Some(OutageFiling::Attached {
            report: report.into(),
            outage: outage.into(),
        }));
    }
    Ok(ticket_by_origin(conn, origin_key)
        .await?
        .map(|row| OutageFiling::Ticket(row.into())))
}

/// Opens a suspected outage when this report makes a storm (see
/// [`CrmStore::file_outage_report`]) and links the window's tickets to it. The caller holds
/// the area and service's lock.
async fn open_suspected_outage(
    conn: &mut PgConnection,
    area_code: &str,
    service: &str,
    filing: &NewOutageFiling,
    policy: &StormPolicy,
) -> StoreResult<Option<Outage>> {
    if policy.threshold <= 0 {
        // Detection is off.
        return Ok(None);
    }
    let since = window_start(filing.created_at, policy.window);
    let unlinked: i64 = sqlx::query_scalar(concat!(
        "SELECT COUNT(*) FROM tickets WHERE ",
        window_tickets!()
    ))
    .bind(area_code)
    .bind(service)
    .bind(since)
    .fetch_one(&mut *conn)
    .await?;
    let Some(reports) = storm_reports(unlinked, policy) else {
        return Ok(None);
    };
    // An outage belongs to a known area; reports from anywhere else stay tickets.
    let known: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM areas WHERE area_code = $1)")
            .bind(area_code)
            .fetch_one(&mut *conn)
            .await?;
    if !known {
        return Ok(None);
    }
    let outage = Outage {
        outage_id: String::new(),
        area_code: area_code.to_string(),
        service: service.to_string(),
        kind: "unplanned".to_string(),
        starts_at: ts(&filing.created_at),
        expected_end: None,
        status: "suspected".to_string(),
        cause: Some(suspected_cause(reports)),
    };
    let mut attempt = 1;
    let outage_id = loop {
        let candidate = suspected_outage_id(area_code, service, outage.starts_at, attempt);
        let inserted: Option<String> = sqlx::query_scalar(concat!(
            "INSERT INTO outages (",
            outage_cols!(),
            ") VALUES ($1, $2, $3, $4, $5, NULL, $6, $7) \
             ON CONFLICT (outage_id) DO NOTHING RETURNING outage_id"
        ))
        .bind(&candidate)
        .bind(&outage.area_code)
        .bind(&outage.service)
        .bind(&outage.kind)
        .bind(outage.starts_at)
        .bind(&outage.status)
        .bind(&outage.cause)
        .fetch_optional(&mut *conn)
        .await?;
        if inserted.is_some() {
            break candidate;
        }
        attempt += 1;
    };
    sqlx::query(concat!(
        "UPDATE tickets SET outage_id = $4 WHERE ",
        window_tickets!()
    ))
    .bind(area_code)
    .bind(service)
    .bind(since)
    .bind(&outage_id)
    .execute(&mut *conn)
    .await?;
    Ok(Some(Outage {
        outage_id,
        ..outage
    }))
}

// ---------------------------------------------------------------------------------------------
// Import: one UNNEST insert per batch, one transaction per chunk

/// Rows per INSERT statement (each column is one array parameter, so any size fits).
const BATCH_ROWS: usize = 2_500;

/// The transaction an import is writing, committed every [`IMPORT_CHUNK_ROWS`] rows.
struct ChunkedImport<'a> {
    crm: &'a PgCrm,
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
            self.tx = Some(self.crm.pool.begin().await?);
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

// ---------------------------------------------------------------------------------------------

#[async_trait]
impl CrmStore for PgCrm {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn is_empty(&self) -> StoreResult<bool> {
        let any: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM customers)")
            .fetch_one(&self.pool)
            .await?;
        Ok(!any)
    }

    async fn import_with_progress(
        &self,
        data: &Dataset,
        progress: ProgressFn<'_>,
    ) -> StoreResult<ImportSummary> {
        // One statement per batch: each column is bound as one array and UNNEST turns the
        // arrays back into rows.
        let mut w = ChunkedImport {
            crm: self,
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
                 $5::text[], $6::text[]) \
                 ON CONFLICT (area_code) DO UPDATE SET name = excluded.name, \
                 region = excluded.region, country = excluded.country, \
                 currency = excluded.currency, languages = excluded.languages"
            ))
            .bind(col(batch, |a| a.area_code.as_str()))
            .bind(col(batch, |a| a.name.as_str()))
            .bind(col(batch, |a| a.region.as_str()))
            .bind(col(batch, |a| a.country.as_str()))
            .bind(col(batch, |a| a.currency.as_str()))
            .bind(col(batch, |a| a.languages.join(" ")))
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

        w.finish().await?;
        Ok(ImportSummary {
            areas: data.areas.len(),
            customers: data.customers.len(),
            bills: data.bills.len(),
            tickets: data.tickets.len(),
            outages: data.outages.len(),
        })
    }

    async fn accounts_for_phone(&self, phone: &str) -> StoreResult<Vec<Account>> {
        let Some(phone) = lookable(phone) else {
            return Ok(Vec::new());
        };
        let rows: Vec<AccountRow> = sqlx::query_as(concat!(
            "SELECT ",
            account_cols!(),
            " FROM customers WHERE phone = $1 OR alt_phone = $1 ORDER BY account_no"
        ))
        .bind(phone)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(Account::from).collect())
    }

    async fn account(&self, account_no: &str) -> StoreResult<Option<Account>> {
        let Some(account_no) = lookable(account_no) else {
            return Ok(None);
        };
        let row: Option<AccountRow> = sqlx::query_as(concat!(
            "SELECT ",
            account_cols!(),
            " FROM customers WHERE account_no = $1"
        ))
        .bind(account_no)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(Account::from))
    }

    async fn account_by_number(&self, typed: &str) -> StoreResult<Option<Account>> {
        let typed = typed.trim();
        if typed.is_empty() {
            return Ok(None);
        }
        if let Some(typed) = lookable(typed) {
            // lower() of a "C" column folds ASCII letters only: SQLite's NOCASE.
            let exact: Option<AccountRow> = sqlx::query_as(concat!(
                "SELECT ",
                account_cols!(),
                " FROM customers WHERE lower(account_no) = $1 ORDER BY account_no LIMIT 1"
            ))
            .bind(typed.to_ascii_lowercase())
            .fetch_optional(&self.pool)
            .await?;
            if let Some(row) = exact {
                return Ok(Some(row.into()));
            }
        }
        let wanted = digits(typed);
        if wanted.len() < MIN_LOOKUP_DIGITS {
            return Ok(None);
        }
        // Two accounts may share their digits (SNE100001, SNW100001): then the digits alone
        // do not say which one the caller meant, and nothing is returned.
        let rows: Vec<AccountRow> = sqlx::query_as(concat!(
            "SELECT ",
            account_cols!(),
            " FROM customers WHERE account_digits = $1 ORDER BY account_no LIMIT 2"
        ))
        .bind(&wanted)
        .fetch_all(&self.pool)
        .await?;
        Ok(single(rows))
    }

    async fn account_by_meter(&self, typed: &str) -> StoreResult<Option<Account>> {
        let typed = typed.trim();
        if typed.is_empty() {
            return Ok(None);
        }
        if let Some(typed) = lookable(typed) {
            let exact: Vec<AccountRow> = sqlx::query_as(concat!(
                "SELECT ",
                account_cols!(),
                " FROM customers WHERE lower(meter_no) = $1 ORDER BY account_no LIMIT 2"
            ))
            .bind(typed.to_ascii_lowercase())
            .fetch_all(&self.pool)
            .await?;
            if !exact.is_empty() {
                return Ok(single(exact));
            }
        }
        let wanted = digits(typed);
        if wanted.len() < MIN_LOOKUP_DIGITS {
            return Ok(None);
        }
        let rows: Vec<AccountRow> = sqlx::query_as(concat!(
            "SELECT ",
            account_cols!(),
            " FROM customers WHERE meter_digits = $1 ORDER BY account_no LIMIT 2"
        ))
        .bind(&wanted)
        .fetch_all(&self.pool)
        .await?;
        Ok(single(rows))
    }

    async fn area(&self, area_code: &str) -> StoreResult<Option<Area>> {
        let Some(area_code) = lookable(area_code) else {
            return Ok(None);
        };
        let row: Option<AreaRow> = sqlx::query_as(concat!(
            "SELECT ",
            area_cols!(),
            " FROM areas WHERE area_code = $1"
        ))
        .bind(area_code)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(Area::from))
    }

    async fn latest_bill(&self, account_no: &str) -> StoreResult<Option<Bill>> {
        let Some(account_no) = lookable(account_no) else {
            return Ok(None);
        };
        let row: Option<BillRow> = sqlx::query_as(concat!(
            "SELECT ",
            bill_cols!(),
            " FROM bills WHERE account_no = $1 \
             ORDER BY period DESC, issued_on DESC, bill_id DESC LIMIT 1"
        ))
        .bind(account_no)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(Bill::from))
    }

    async fn phone_language(&self, phone: &str) -> StoreResult<Option<String>> {
        let Some(phone) = lookable(phone) else {
            return Ok(None);
        };
        Ok(
            sqlx::query_scalar("SELECT language FROM phone_languages WHERE phone = $1")
                .bind(phone)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn save_language(&self, phone: &str, language: &str) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE customers SET language = $2 WHERE phone = $1 OR alt_phone = $1")
            .bind(phone)
            .bind(language)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO phone_languages (phone, language) VALUES ($1, $2) \
             ON CONFLICT (phone) DO UPDATE SET language = excluded.language",
        )
        .bind(phone)
        .bind(language)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn active_outage(&self, area_code: &str, service: &str) -> StoreResult<Option<Outage>> {
        let (Some(area_code), Some(service)) = (lookable(area_code), lookable(service)) else {
            return Ok(None);
        };
        let row: Option<OutageRow> = sqlx::query_as(CURRENT_OUTAGE)
            .bind(area_code)
            .bind(service)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(Outage::from))
    }

    async fn area_outages(&self, area_code: &str, now: DateTime<Utc>) -> StoreResult<Vec<Outage>> {
        let Some(area_code) = lookable(area_code) else {
            return Ok(Vec::new());
        };
        // An active or suspected outage is listed even past its expected end: it is not
        // restored yet.
        let rows: Vec<OutageRow> = sqlx::query_as(concat!(
            "SELECT ",
            outage_cols!(),
            " FROM outages WHERE area_code = $1 AND (status IN ('active', 'suspected') \
               OR (status = 'scheduled' AND (expected_end IS NULL OR expected_end > $2))) \
             ORDER BY starts_at, outage_id"
        ))
        .bind(area_code)
        .bind(ts(&now))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(Outage::from).collect())
    }

    async fn report_outage(&self, report: &NewOutageReport) -> StoreResult<OutageReport> {
        let mut tx = self.pool.begin().await?;
        if let Some(row) = report_by_origin(&mut tx, &report.origin_key).await? {
            tx.rollback().await?;
            return Ok(row.into());
        }
        let Some(filed) = insert_report(&mut tx, report).await? else {
            // Another instance filed this key meanwhile: return its report.
            let row = raced(report_by_origin(&mut tx, &report.origin_key).await?)?;
            tx.rollback().await?;
            return Ok(row.into());
        };
        tx.commit().await?;
        Ok(filed)
    }

    async fn file_outage_report(
        &self,
        filing: &NewOutageFiling,
        policy: &StormPolicy,
    ) -> StoreResult<OutageFiling> {
        // PostgreSQL text holds no NUL: such an area matches nothing and is stored replaced.
        let area_code = storable(&filing.area_code);
        let service = storable(&filing.service);
        let mut tx = self.pool.begin().await?;
        // One filing of this area and service at a time, on every instance. The lock is a
        // statement of its own: each later statement sees what the previous holder committed.
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(storm_lock_key(&area_code, &service))
            .execute(&mut *tx)
            .await?;
        if let Some(earlier) = filed_before(&mut tx, &filing.origin_key).await? {
            tx.rollback().await?;
            return Ok(earlier);
        }
        let current: Option<OutageRow> = sqlx::query_as(CURRENT_OUTAGE)
            .bind(&*area_code)
            .bind(&*service)
            .fetch_optional(&mut *tx)
            .await?;
        let outage = match current {
            Some(row) => Some(Outage::from(row)),
            None => open_suspected_outage(&mut tx, &area_code, &service, filing, policy).await?,
        };
        let filed = match outage {
            Some(outage) => {
                let report = NewOutageReport {
                    origin_key: filing.origin_key.clone(),
                    outage_id: outage.outage_id.clone(),
                    account_no: filing.account_no.clone(),
                    phone: filing.phone.clone(),
                    channel: filing.channel.clone(),
                    created_at: filing.created_at,
                };
                insert_report(&mut tx, &report)
                    .await?
                    .map(|report| OutageFiling::Attached { report, outage })
            }
            None => insert_ticket(
                &mut tx,
                &outage_ticket(filing),
                Some((&area_code, &service)),
            )
            .await?
            .map(OutageFiling::Ticket),
        };
        let Some(filed) = filed else {
            // The key was filed meanwhile under another area or service (a retry for the same
            // one waits on the lock, then finds the first filing): undo everything, and return
            // that filing.
            tx.rollback().await?;
            let mut conn = self.pool.acquire().await?;
            return raced(filed_before(&mut conn, &filing.origin_key).await?);
        };
        tx.commit().await?;
        Ok(filed)
    }

    async fn outage_report_count(&self, outage_id: &str) -> StoreResult<i64> {
        let Some(outage_id) = lookable(outage_id) else {
            return Ok(0);
        };
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM outage_reports WHERE outage_id = $1")
                .bind(outage_id)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    async fn outage_report(&self, reference: &str) -> StoreResult<Option<OutageReport>> {
        let Some(reference) = lookable(reference) else {
            return Ok(None);
        };
        let row: Option<ReportRow> = sqlx::query_as(concat!(
            "SELECT ",
            report_cols!(),
            " FROM outage_reports WHERE reference = $1"
        ))
        .bind(reference)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(OutageReport::from))
    }

    async fn outage(&self, outage_id: &str) -> StoreResult<Option<Outage>> {
        let Some(outage_id) = lookable(outage_id) else {
            return Ok(None);
        };
        let row: Option<OutageRow> = sqlx::query_as(concat!(
            "SELECT ",
            outage_cols!(),
            " FROM outages WHERE outage_id = $1"
        ))
        .bind(outage_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(Outage::from))
    }

    async fn create_ticket(&self, ticket: &NewTicket) -> StoreResult<Ticket> {
        let mut tx = self.pool.begin().await?;
        if let Some(row) = ticket_by_origin(&mut tx, &ticket.origin_key).await? {
            tx.rollback().await?;
            return Ok(row.into());
        }
        let Some(filed) = insert_ticket(&mut tx, ticket, None).await? else {
            // Another instance filed this key meanwhile: return its ticket.
            let row = raced(ticket_by_origin(&mut tx, &ticket.origin_key).await?)?;
            tx.rollback().await?;
            return Ok(row.into());
        };
        tx.commit().await?;
        Ok(filed)
    }

    async fn ticket(&self, reference: &str) -> StoreResult<Option<Ticket>> {
        let Some(reference) = lookable(reference) else {
            return Ok(None);
        };
        let row: Option<TicketRow> = sqlx::query_as(concat!(
            "SELECT ",
            ticket_cols!(),
            " FROM tickets WHERE ticket_ref = $1"
        ))
        .bind(reference)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(Ticket::from))
    }

    async fn open_tickets(&self, phone: &str, account_nos: &[String]) -> StoreResult<Vec<Ticket>> {
        // Texts holding a NUL match nothing (no stored value holds one).
        let phone: Option<&str> = lookable(phone);
        let mut accounts: Vec<&str> = account_nos
            .iter()
            .filter_map(|a| lookable(a.as_str()))
            .collect();
        accounts.sort_unstable();
        accounts.dedup();
        // One array parameter, however many accounts.
        let rows: Vec<TicketRow> = sqlx::query_as(concat!(
            "SELECT ",
            ticket_cols!(),
            " FROM tickets WHERE status IN ('open', 'in_progress') \
               AND (phone = $1 OR account_no = ANY($2)) \
             ORDER BY created_at DESC, ticket_ref DESC LIMIT 20"
        ))
        .bind(phone)
        .bind(accounts)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(Ticket::from).collect())
    }

    async fn ticket_events(
        &self,
        reference: &str,
    ) -> StoreResult<Vec<(DateTime<Utc>, String, Option<String>)>> {
        let Some(reference) = lookable(reference) else {
            return Ok(Vec::new());
        };
        Ok(sqlx::query_as(
            "SELECT at, event, detail FROM ticket_events WHERE ticket_ref = $1 ORDER BY at, id",
        )
        .bind(reference)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn create_callback(&self, callback: &NewCallback) -> StoreResult<i64> {
        let mut tx = self.pool.begin().await?;
        if let Some(id) = callback_by_origin(&mut tx, &callback.origin_key).await? {
            tx.rollback().await?;
            return Ok(id);
        }
        let inserted: Option<i64> = sqlx::query_scalar(
            "INSERT INTO callback_tasks \
             (phone, account_no, language, channel, status, created_at, origin_key) \
             VALUES ($1, $2, $3, $4, 'pending', $5, $6) \
             ON CONFLICT (origin_key) DO NOTHING RETURNING id",
        )
        .bind(&callback.phone)
        .bind(&callback.account_no)
        .bind(&callback.language)
        .bind(&callback.channel)
        .bind(ts(&callback.created_at))
        .bind(&callback.origin_key)
        .fetch_optional(&mut *tx)
        .await?;
        let id = match inserted {
            Some(id) => id,
            None => raced(callback_by_origin(&mut tx, &callback.origin_key).await?)?,
        };
        tx.commit().await?;
        Ok(id)
    }

    async fn record_interaction(&self, i: &Interaction) -> StoreResult<()> {
        upsert_interaction!(i).execute(&self.pool).await?;
        Ok(())
    }

    async fn record_interactions(&self, rows: &[Interaction]) -> StoreResult<()> {
        // One statement for the whole batch (see `store::batch`): one round trip and one
        // commit. The batch holds one row per session, as ON CONFLICT requires.
        fn column<T>(rows: &[Interaction], f: impl Fn(&Interaction) -> T) -> Vec<T> {
            rows.iter().map(f).collect()
        }
        sqlx::query(concat!(
            "INSERT INTO interactions (",
            interaction_cols!(),
            ") SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], \
             $5::text[], $6::text[], $7::text[], $8::text[], $9::bigint[], $10::timestamptz[], \
             $11::timestamptz[], $12::boolean[]) \
             ON CONFLICT (gateway, session_id) DO UPDATE SET channel = excluded.channel, \
             phone = excluded.phone, account_no = excluded.account_no, \
             language = excluded.language, path = excluded.path, outcome = excluded.outcome, \
             hops = excluded.hops, \
             started_at = LEAST(interactions.started_at, excluded.started_at), \
             updated_at = excluded.updated_at, ended = excluded.ended"
        ))
        .bind(column(rows, |i| i.channel.clone()))
        .bind(column(rows, |i| i.gateway.clone()))
        .bind(column(rows, |i| i.session_id.clone()))
        .bind(column(rows, |i| i.phone.clone()))
        .bind(column(rows, |i| i.account_no.clone()))
        .bind(column(rows, |i| i.language.clone()))
        .bind(column(rows, |i| i.path.clone()))
        .bind(column(rows, |i| i.outcome.clone()))
        .bind(column(rows, |i| i.hops))
        .bind(column(rows, |i| ts(&i.started_at)))
        .bind(column(rows, |i| ts(&i.updated_at)))
        .bind(column(rows, |i| i.ended))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn interaction(
        &self,
        gateway: &str,
        session_id: &str,
    ) -> StoreResult<Option<Interaction>> {
        let (Some(gateway), Some(session_id)) = (lookable(gateway), lookable(session_id)) else {
            return Ok(None);
        };
        let row: Option<InteractionRow> = sqlx::query_as(concat!(
            "SELECT ",
            interaction_cols!(),
            " FROM interactions WHERE gateway = $1 AND session_id = $2"
        ))
        .bind(gateway)
        .bind(session_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(Interaction::from))
    }

    async fn record_session_end(&self, end: &SessionEnd) -> StoreResult<()> {
        // One statement: the notification may arrive for a session we never logged (it then
        // gets a row of its own), and never races with the engine's own upsert. Its free text
        // comes straight from the gateway: a NUL in it must not make the write fail.
        let now = ts(&Utc::now());
        sqlx::query(
            "INSERT INTO interactions (gateway, session_id, channel, phone, account_no, language, \
               path, outcome, hops, started_at, updated_at, ended, end_status, end_duration_ms, \
               end_hops_count, end_input, end_last_app_response, end_error_message, end_cost, \
               end_date, end_network_code, end_service_code) \
             VALUES ($1, $2, 'ussd', $3, NULL, NULL, '', NULL, $4, $5, $5, TRUE, $6, $7, $8, $9, \
               $10, $11, $12, $13, $14, $15) \
             ON CONFLICT (gateway, session_id) DO UPDATE SET \
               phone = CASE WHEN interactions.phone = '' THEN excluded.phone \
                       ELSE interactions.phone END, \
               end_status = excluded.end_status, end_duration_ms = excluded.end_duration_ms, \
               end_hops_count = excluded.end_hops_count, end_input = excluded.end_input, \
               end_last_app_response = excluded.end_last_app_response, \
               end_error_message = excluded.end_error_message, end_cost = excluded.end_cost, \
               end_date = excluded.end_date, end_network_code = excluded.end_network_code, \
               end_service_code = excluded.end_service_code",
        )
        .bind(storable(&end.gateway))
        .bind(storable(&end.session_id))
        .bind(storable(end.phone.as_deref().unwrap_or("")))
        .bind(end.hops_count.unwrap_or(0))
        .bind(now)
        .bind(storable(&end.status))
        .bind(end.duration_ms)
        .bind(end.hops_count)
        .bind(opt_storable(&end.input))
        .bind(opt_storable(&end.last_app_response))
        .bind(opt_storable(&end.error_message))
        .bind(opt_storable(&end.cost))
        .bind(opt_storable(&end.date))
        .bind(opt_storable(&end.network_code))
        .bind(opt_storable(&end.service_code))
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_keep_whole_seconds() {
        let t = DateTime::parse_from_rfc3339("2026-11-20T06:00:00.987654Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(ts(&t).to_rfc3339(), "2026-11-20T06:00:00+00:00");
        assert_eq!(opt_ts(&None), None);
    }

    #[test]
    fn nul_characters() {
        assert_eq!(lookable("SNE100001"), Some("SNE100001"));
        assert_eq!(lookable("SNE\0"), None);
        assert_eq!(storable("a\0b"), "a\u{FFFD}b");
        assert!(matches!(storable("ab"), Cow::Borrowed("ab")));
    }

    #[tokio::test]
    async fn a_database_that_is_down_fails_fast() {
        // Nothing listens on port 1.
        let started = std::time::Instant::now();
        let result = PgCrm::connect("postgres://dalal@127.0.0.1:1/dalal").await;
        assert!(result.is_err());
        assert!(started.elapsed() < ACQUIRE_TIMEOUT + Duration::from_secs(3));
    }
}
