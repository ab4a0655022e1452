//! The CRM in SQLite: one file, WAL journal, runtime queries only.
//!
//! Timestamps are stored as RFC 3339 text with `Z` and whole seconds, dates as `YYYY-MM-DD`, so
//! ordering and comparing by text is ordering by time. Every write that must be atomic (an import,
//! filing a ticket) runs in a `BEGIN IMMEDIATE` transaction, which takes the write lock up front:
//! concurrent writers then queue on the busy timeout instead of failing to upgrade a read lock.
//! Filing an outage report decides (attach, open a suspected outage, or file a ticket) inside
//! one such transaction, so concurrent reports of one area are decided one after the other.

use std::collections::HashSet;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use sqlx::pool::PoolConnection;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::{AssertSqlSafe, Sqlite, Transaction};

use super::common::{
    AccountRow, AreaRow, COUNTABLE, MIN_LOOKUP_DIGITS, account_cols, area_cols, bill_cols, digits,
    interaction_cols, outage_cols, outage_ticket, report_cols, single, storm_reports,
    suspected_cause, suspected_outage_id, ticket_cols, window_start,
};
use super::{
    CrmStore, IMPORT_CHUNK_ROWS, ImportProgress, ImportSummary, ProgressFn, StoreError, StoreResult,
};
use crate::domain::*;
use crate::reference;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// Counter that numbers ticket and outage-report references (they share one namespace).
const REFERENCE_COUNTER: &str = "reference";

/// The active or suspected outage of one area and service, the latest to start first.
const CURRENT_OUTAGE: &str = concat!(
    "SELECT ",
    outage_cols!(),
    " FROM outages WHERE area_code = ?1 AND service = ?2 AND status IN ('active', 'suspected') \
     ORDER BY starts_at DESC, outage_id DESC LIMIT 1"
);

/// Outage tickets of one area (?1) and service (?2), filed since ?3, not linked to an outage.
/// `category = 'outage'` is spelled out for the partial index `tickets_outage_window`.
macro_rules! window_tickets {
    () => {
        "category = 'outage' AND area_code = ?1 AND service = ?2 AND created_at >= ?3 \
         AND outage_id IS NULL"
    };
}

/// Tables [`SqliteCrm::count`] may count: the shared ones, and the counters table.
fn countable(table: &str) -> bool {
    COUNTABLE.contains(&table) || table == "counters"
}

/// The upsert of one interaction row. started_at keeps the earliest value: the row may have
/// been created first by the gateway's end notification.
macro_rules! upsert_interaction {
    ($i:expr) => {{
        let i: &Interaction = $i;
        sqlx::query(concat!(
            "INSERT INTO interactions (",
            interaction_cols!(),
            ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (gateway, session_id) DO UPDATE SET channel = excluded.channel, \
             phone = excluded.phone, account_no = excluded.account_no, \
             language = excluded.language, path = excluded.path, outcome = excluded.outcome, \
             hops = excluded.hops, started_at = min(interactions.started_at, excluded.started_at), \
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

pub struct SqliteCrm {
    pool: SqlitePool,
    /// SQLite has one writer at a time. Writers queue here, in order, instead of meeting
    /// SQLITE_BUSY and sleeping in SQLite's busy handler (1, 2, 5, 10... ms naps that
    /// dominated latency under load).
    write_turn: std::sync::Arc<tokio::sync::Mutex<()>>,
}

/// A write transaction holding the writer's turn until it commits or is dropped.
struct WriteTx {
    tx: Transaction<'static, Sqlite>,
    _turn: tokio::sync::OwnedMutexGuard<()>,
}

impl WriteTx {
    async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }

    async fn rollback(self) -> Result<(), sqlx::Error> {
        self.tx.rollback().await
    }
}

impl std::ops::Deref for WriteTx {
    type Target = sqlx::SqliteConnection;
    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}

impl SqliteCrm {
    /// Opens (creating it if missing) the database at `url`, e.g. `sqlite://dalal.db` or
    /// `sqlite:data/dalal.db`, and runs the migrations.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(Duration::from_secs(5))
            // WAL + NORMAL: a commit is durable once written to the WAL, which survives a
            // crash of dalal (kill -9, tests/faults.rs); only an OS crash or power cut can lose
            // the last commits. FULL's fsync per commit capped the embedded server at a few
            // thousand hops/s. Production runs PostgreSQL.
            .synchronous(SqliteSynchronous::Normal)
            // 16 MiB of page cache per connection (the default is 2 MiB): the customers and
            // bills indexes of a large utility stay in memory.
            .pragma("cache_size", "-16384")
            .foreign_keys(true);
        // Few connections: each is a thread, and on a small machine thread switches cost more
        // than the parallel reads gain; writers take turns anyway.
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        Self::with_pool(pool).await
    }

    /// A fresh private in-memory database (for tests). The pool holds exactly one connection
    /// that never expires, so every query sees the same database.
    pub async fn in_memory() -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")?.foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await?;
        Self::with_pool(pool).await
    }

    async fn with_pool(pool: SqlitePool) -> Result<Self, StoreError> {
        MIGRATOR.run(&pool).await?;
        Ok(SqliteCrm {
            pool,
            write_turn: Default::default(),
        })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Number of rows in one of the store's tables (a fixed allow-list; for tests and stats).
    pub async fn count(&self, table: &str) -> StoreResult<i64> {
        if !countable(table) {
            return Err(StoreError::Database(sqlx::Error::InvalidArgument(format!(
                "cannot count unknown table `{table}`"
            ))));
        }
        // The name comes from the fixed list above, never from the caller's text.
        let sql = format!("SELECT COUNT(*) FROM {table}");
        Ok(sqlx::query_scalar::<_, i64>(AssertSqlSafe(sql))
            .fetch_one(&self.pool)
            .await?)
    }

    async fn begin_write(&self) -> StoreResult<WriteTx> {
        let turn = self.write_turn.clone().lock_owned().await;
        Ok(WriteTx {
            tx: self.pool.begin_with("BEGIN IMMEDIATE").await?,
            _turn: turn,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Conversions

fn ts(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn opt_ts(t: &Option<DateTime<Utc>>) -> Option<String> {
    t.as_ref().map(ts)
}

fn date(d: &NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn parse_ts(s: &str) -> StoreResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt(format!("timestamp `{s}`: {e}")))
}

fn parse_opt_ts(s: Option<String>) -> StoreResult<Option<DateTime<Utc>>> {
    s.filter(|s| !s.is_empty())
        .map(|s| parse_ts(&s))
        .transpose()
}

fn parse_date(s: &str) -> StoreResult<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|e| StoreError::Corrupt(format!("date `{s}`: {e}")))
}

#[derive(sqlx::FromRow)]
struct BillRow {
    bill_id: String,
    account_no: String,
    period: String,
    issued_on: String,
    due_on: String,
    amount_minor: i64,
    currency: String,
    status: String,
    paid_minor: i64,
}

impl TryFrom<BillRow> for Bill {
    type Error = StoreError;
    fn try_from(r: BillRow) -> StoreResult<Self> {
        Ok(Bill {
            bill_id: r.bill_id,
            account_no: r.account_no,
            period: r.period,
            issued_on: parse_date(&r.issued_on)?,
            due_on: parse_date(&r.due_on)?,
            amount_minor: r.amount_minor,
            currency: r.currency,
            status: r.status,
            paid_minor: r.paid_minor,
        })
    }
}

#[derive(sqlx::FromRow)]
struct OutageRow {
    outage_id: String,
    area_code: String,
    service: String,
    kind: String,
    starts_at: String,
    expected_end: Option<String>,
    status: String,
    cause: Option<String>,
}

impl TryFrom<OutageRow> for Outage {
    type Error = StoreError;
    fn try_from(r: OutageRow) -> StoreResult<Self> {
        Ok(Outage {
            outage_id: r.outage_id,
            area_code: r.area_code,
            service: r.service,
            kind: r.kind,
            starts_at: parse_ts(&r.starts_at)?,
            expected_end: parse_opt_ts(r.expected_end)?,
            status: r.status,
            cause: r.cause,
        })
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
    created_at: String,
    sla_due_at: Option<String>,
    updated_at: String,
    note: Option<String>,
}

impl TryFrom<TicketRow> for Ticket {
    type Error = StoreError;
    fn try_from(r: TicketRow) -> StoreResult<Self> {
        Ok(Ticket {
            ticket_ref: r.ticket_ref,
            account_no: r.account_no,
            phone: r.phone,
            category: r.category,
            status: r.status,
            channel: r.channel,
            created_at: parse_ts(&r.created_at)?,
            sla_due_at: parse_opt_ts(r.sla_due_at)?,
            updated_at: parse_ts(&r.updated_at)?,
            note: r.note,
        })
    }
}

#[derive(sqlx::FromRow)]
struct ReportRow {
    reference: String,
    outage_id: String,
    account_no: Option<String>,
    phone: Option<String>,
    channel: String,
    created_at: String,
}

impl TryFrom<ReportRow> for OutageReport {
    type Error = StoreError;
    fn try_from(r: ReportRow) -> StoreResult<Self> {
        Ok(OutageReport {
            reference: r.reference,
            outage_id: r.outage_id,
            account_no: r.account_no,
            phone: r.phone,
            channel: r.channel,
            created_at: parse_ts(&r.created_at)?,
        })
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
    started_at: String,
    updated_at: String,
    ended: bool,
}

impl TryFrom<InteractionRow> for Interaction {
    type Error = StoreError;
    fn try_from(r: InteractionRow) -> StoreResult<Self> {
        Ok(Interaction {
            channel: r.channel,
            gateway: r.gateway,
            session_id: r.session_id,
            phone: r.phone,
            account_no: r.account_no,
            language: r.language,
            path: r.path,
            outcome: r.outcome,
            hops: r.hops,
            started_at: parse_ts(&r.started_at)?,
            updated_at: parse_ts(&r.updated_at)?,
            ended: r.ended,
        })
    }
}

/// Allocates the next reference number and builds a reference that is not taken yet (the
/// sequence wraps after a million within the reference format).
async fn next_reference(
    tx: &mut Transaction<'static, Sqlite>,
    at: DateTime<Utc>,
) -> StoreResult<String> {
    loop {
        let seq: i64 = sqlx::query_scalar(
            "INSERT INTO counters (name, value) VALUES (?1, 1) \
             ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value",
        )
        .bind(REFERENCE_COUNTER)
        .fetch_one(&mut **tx)
        .await?;
        let candidate = reference::new_reference(at, seq.max(0) as u64);
        let taken: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM tickets WHERE ticket_ref = ?1) \
                 OR EXISTS (SELECT 1 FROM outage_reports WHERE reference = ?1)",
        )
        .bind(&candidate)
        .fetch_one(&mut **tx)
        .await?;
        if !taken {
            return Ok(candidate);
        }
    }
}

/// Files a report on a known outage (the caller has checked `origin_key` is new).
async fn insert_report(
    tx: &mut Transaction<'static, Sqlite>,
    report: &NewOutageReport,
) -> StoreResult<OutageReport> {
    let reference = next_reference(tx, report.created_at).await?;
    sqlx::query(concat!(
        "INSERT INTO outage_reports (",
        report_cols!(),
        ", origin_key) VALUES (?, ?, ?, ?, ?, ?, ?)"
    ))
    .bind(&reference)
    .bind(&report.outage_id)
    .bind(&report.account_no)
    .bind(&report.phone)
    .bind(&report.channel)
    .bind(ts(&report.created_at))
    .bind(&report.origin_key)
    .execute(&mut **tx)
    .await?;
    Ok(OutageReport {
        reference,
        outage_id: report.outage_id.clone(),
        account_no: report.account_no.clone(),
        phone: report.phone.clone(),
        channel: report.channel.clone(),
        created_at: parse_ts(&ts(&report.created_at))?,
    })
}

/// Files a ticket with its `created` event (the caller has checked `origin_key` is new); an
/// outage ticket filed by [`CrmStore::file_outage_report`] records its area and service.
async fn insert_ticket(
    tx: &mut Transaction<'static, Sqlite>,
    ticket: &NewTicket,
    area_service: Option<(&str, &str)>,
) -> StoreResult<Ticket> {
    let reference = next_reference(tx, ticket.created_at).await?;
    let created_at = ts(&ticket.created_at);
    sqlx::query(concat!(
        "INSERT INTO tickets (",
        ticket_cols!(),
        ", origin_key, area_code, service) VALUES (?, ?, ?, ?, 'open', ?, ?, ?, ?, ?, ?, ?, ?)"
    ))
    .bind(&reference)
    .bind(&ticket.account_no)
    .bind(&ticket.phone)
    .bind(&ticket.category)
    .bind(&ticket.channel)
    .bind(&created_at)
    .bind(opt_ts(&ticket.sla_due_at))
    .bind(&created_at)
    .bind(&ticket.note)
    .bind(&ticket.origin_key)
    .bind(area_service.map(|(area, _)| area))
    .bind(area_service.map(|(_, service)| service))
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO ticket_events (ticket_ref, at, event, detail) \
         VALUES (?, ?, 'created', ?)",
    )
    .bind(&reference)
    .bind(&created_at)
    .bind(&ticket.channel)
    .execute(&mut **tx)
    .await?;
    // Read back as stored (whole seconds), so a retry returns an identical ticket.
    let created_at = parse_ts(&created_at)?;
    Ok(Ticket {
        ticket_ref: reference,
        account_no: ticket.account_no.clone(),
        phone: ticket.phone.clone(),
        category: ticket.category.clone(),
        status: "open".to_string(),
        channel: ticket.channel.clone(),
        created_at,
        sla_due_at: parse_opt_ts(opt_ts(&ticket.sla_due_at))?,
        updated_at: created_at,
        note: ticket.note.clone(),
    })
}

/// What an earlier filing under `origin_key` wrote, if any: a report (with its outage as it
/// is now) or a ticket.
async fn filed_before(
    tx: &mut Transaction<'static, Sqlite>,
    origin_key: &str,
) -> StoreResult<Option<OutageFiling>> {
    let report: Option<ReportRow> = sqlx::query_as(concat!(
        "SELECT ",
        report_cols!(),
        " FROM outage_reports WHERE origin_key = ?"
    ))
    .bind(origin_key)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(report) = report {
        let outage: OutageRow = sqlx::query_as(concat!(
            "SELECT ",
            outage_cols!(),
            " FROM outages WHERE outage_id = ?"
        ))
        .bind(&report.outage_id)
        .fetch_one(&mut **tx)
        .await?;
        return Ok(Some(OutageFiling::Attached {
            report: report.try_into()?,
            outage: outage.try_into()?,
        }));
    }
    let ticket: Option<TicketRow> = sqlx::query_as(concat!(
        "SELECT ",
        ticket_cols!(),
        " FROM tickets WHERE origin_key = ?"
    ))
    .bind(origin_key)
    .fetch_optional(&mut **tx)
    .await?;
    ticket
        .map(|row| Ticket::try_from(row).map(OutageFiling::Ticket))
        .transpose()
}

/// Opens a suspected outage when this report makes a storm (see
/// [`CrmStore::file_outage_report`]) and links the window's tickets to it.
async fn open_suspected_outage(
    tx: &mut Transaction<'static, Sqlite>,
    filing: &NewOutageFiling,
    policy: &StormPolicy,
) -> StoreResult<Option<Outage>> {
    if policy.threshold <= 0 {
        // Detection is off.
        return Ok(None);
    }
    let since = ts(&window_start(filing.created_at, policy.window));
    let unlinked: i64 = sqlx::query_scalar(concat!(
        "SELECT COUNT(*) FROM tickets WHERE ",
        window_tickets!()
    ))
    .bind(&filing.area_code)
    .bind(&filing.service)
    .bind(&since)
    .fetch_one(&mut **tx)
    .await?;
    let Some(reports) = storm_reports(unlinked, policy) else {
        return Ok(None);
    };
    // An outage belongs to a known area; reports from anywhere else stay tickets.
    let known: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM areas WHERE area_code = ?)")
        .bind(&filing.area_code)
        .fetch_one(&mut **tx)
        .await?;
    if !known {
        return Ok(None);
    }
    let outage = Outage {
        outage_id: String::new(),
        area_code: filing.area_code.clone(),
        service: filing.service.clone(),
        kind: "unplanned".to_string(),
        starts_at: parse_ts(&ts(&filing.created_at))?,
        expected_end: None,
        status: "suspected".to_string(),
        cause: Some(suspected_cause(reports)),
    };
    let mut attempt = 1;
    let outage_id = loop {
        let candidate = suspected_outage_id(
            &filing.area_code,
            &filing.service,
            outage.starts_at,
            attempt,
        );
        let inserted: Option<String> = sqlx::query_scalar(concat!(
            "INSERT INTO outages (",
            outage_cols!(),
            ") VALUES (?, ?, ?, ?, ?, NULL, ?, ?) \
             ON CONFLICT (outage_id) DO NOTHING RETURNING outage_id"
        ))
        .bind(&candidate)
        .bind(&outage.area_code)
        .bind(&outage.service)
        .bind(&outage.kind)
        .bind(ts(&outage.starts_at))
        .bind(&outage.status)
        .bind(&outage.cause)
        .fetch_optional(&mut **tx)
        .await?;
        if inserted.is_some() {
            break candidate;
        }
        attempt += 1;
    };
    sqlx::query(concat!(
        "UPDATE tickets SET outage_id = ?4 WHERE ",
        window_tickets!()
    ))
    .bind(&filing.area_code)
    .bind(&filing.service)
    .bind(&since)
    .bind(&outage_id)
    .execute(&mut **tx)
    .await?;
    Ok(Some(Outage {
        outage_id,
        ..outage
    }))
}

// ---------------------------------------------------------------------------------------------
// Import: multi-row inserts, one transaction per chunk

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
        crm: &SqliteCrm,
        total: usize,
        progress: ProgressFn<'a>,
    ) -> StoreResult<ChunkedImport<'a>> {
        let mut conn = crm.pool.acquire().await?;
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
            6,
            batch.len(),
            "ON CONFLICT (area_code) DO UPDATE SET name = excluded.name, \
             region = excluded.region, country = excluded.country, \
             currency = excluded.currency, languages = excluded.languages",
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for a in batch {
            q = q
                .bind(&a.area_code)
                .bind(&a.name)
                .bind(&a.region)
                .bind(&a.country)
                .bind(&a.currency)
                .bind(a.languages.join(" "));
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

    w.commit().await
}

// ---------------------------------------------------------------------------------------------

#[async_trait]
impl CrmStore for SqliteCrm {
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
        let mut w = ChunkedImport::start(self, data.rows(), progress).await?;
        let written = write_dataset(&mut w, data).await;
        w.close().await;
        written?;
        Ok(ImportSummary {
            areas: data.areas.len(),
            customers: data.customers.len(),
            bills: data.bills.len(),
            tickets: data.tickets.len(),
            outages: data.outages.len(),
        })
    }

    async fn accounts_for_phone(&self, phone: &str) -> StoreResult<Vec<Account>> {
        let rows: Vec<AccountRow> = sqlx::query_as(concat!(
            "SELECT ",
            account_cols!(),
            " FROM customers WHERE phone = ?1 OR alt_phone = ?1 ORDER BY account_no"
        ))
        .bind(phone)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(Account::from).collect())
    }

    async fn account(&self, account_no: &str) -> StoreResult<Option<Account>> {
        let row: Option<AccountRow> = sqlx::query_as(concat!(
            "SELECT ",
            account_cols!(),
            " FROM customers WHERE account_no = ?"
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
        let exact: Option<AccountRow> = sqlx::query_as(concat!(
            "SELECT ",
            account_cols!(),
            " FROM customers WHERE account_no = ? COLLATE NOCASE ORDER BY account_no LIMIT 1"
        ))
        .bind(typed)
        .fetch_optional(&self.pool)
        .await?;
        if let Some(row) = exact {
            return Ok(Some(row.into()));
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
            " FROM customers WHERE account_digits = ? ORDER BY account_no LIMIT 2"
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
        let exact: Vec<AccountRow> = sqlx::query_as(concat!(
            "SELECT ",
            account_cols!(),
            " FROM customers WHERE meter_no = ? COLLATE NOCASE ORDER BY account_no LIMIT 2"
        ))
        .bind(typed)
        .fetch_all(&self.pool)
        .await?;
        if !exact.is_empty() {
            return Ok(single(exact));
        }
        let wanted = digits(typed);
        if wanted.len() < MIN_LOOKUP_DIGITS {
            return Ok(None);
        }
        let rows: Vec<AccountRow> = sqlx::query_as(concat!(
            "SELECT ",
            account_cols!(),
            " FROM customers WHERE meter_digits = ? ORDER BY account_no LIMIT 2"
        ))
        .bind(&wanted)
        .fetch_all(&self.pool)
        .await?;
        Ok(single(rows))
    }

    async fn area(&self, area_code: &str) -> StoreResult<Option<Area>> {
        let row: Option<AreaRow> = sqlx::query_as(concat!(
            "SELECT ",
            area_cols!(),
            " FROM areas WHERE area_code = ?"
        ))
        .bind(area_code)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(Area::from))
    }

    async fn latest_bill(&self, account_no: &str) -> StoreResult<Option<Bill>> {
        let row: Option<BillRow> = sqlx::query_as(concat!(
            "SELECT ",
            bill_cols!(),
            " FROM bills WHERE account_no = ? \
             ORDER BY period DESC, issued_on DESC, bill_id DESC LIMIT 1"
        ))
        .bind(account_no)
        .fetch_optional(&self.pool)
        .await?;
        row.map(Bill::try_from).transpose()
    }

    async fn phone_language(&self, phone: &str) -> StoreResult<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT language FROM phone_languages WHERE phone = ?")
                .bind(phone)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn save_language(&self, phone: &str, language: &str) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE customers SET language = ?2 WHERE phone = ?1 OR alt_phone = ?1")
            .bind(phone)
            .bind(language)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO phone_languages (phone, language) VALUES (?, ?) \
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
        let row: Option<OutageRow> = sqlx::query_as(CURRENT_OUTAGE)
            .bind(area_code)
            .bind(service)
            .fetch_optional(&self.pool)
            .await?;
        row.map(Outage::try_from).transpose()
    }

    async fn area_outages(&self, area_code: &str, now: DateTime<Utc>) -> StoreResult<Vec<Outage>> {
        // An active or suspected outage is listed even past its expected end: it is not
        // restored yet.
        let rows: Vec<OutageRow> = sqlx::query_as(concat!(
            "SELECT ",
            outage_cols!(),
            " FROM outages WHERE area_code = ? AND (status IN ('active', 'suspected') \
               OR (status = 'scheduled' AND (expected_end IS NULL OR expected_end > ?))) \
             ORDER BY starts_at, outage_id"
        ))
        .bind(area_code)
        .bind(ts(&now))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(Outage::try_from).collect()
    }

    async fn report_outage(&self, report: &NewOutageReport) -> StoreResult<OutageReport> {
        let mut tx = self.begin_write().await?;
        let existing: Option<ReportRow> = sqlx::query_as(concat!(
            "SELECT ",
            report_cols!(),
            " FROM outage_reports WHERE origin_key = ?"
        ))
        .bind(&report.origin_key)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = existing {
            tx.rollback().await?;
            return row.try_into();
        }
        let filed = insert_report(&mut tx.tx, report).await?;
        tx.commit().await?;
        Ok(filed)
    }

    async fn file_outage_report(
        &self,
        filing: &NewOutageFiling,
        policy: &StormPolicy,
    ) -> StoreResult<OutageFiling> {
        // The write lock is taken up front: the whole decision runs alone.
        let mut tx = self.begin_write().await?;
        if let Some(earlier) = filed_before(&mut tx.tx, &filing.origin_key).await? {
            tx.rollback().await?;
            return Ok(earlier);
        }
        let current: Option<OutageRow> = sqlx::query_as(CURRENT_OUTAGE)
            .bind(&filing.area_code)
            .bind(&filing.service)
            .fetch_optional(&mut *tx)
            .await?;
        let outage = match current {
            Some(row) => Some(Outage::try_from(row)?),
            None => open_suspected_outage(&mut tx.tx, filing, policy).await?,
        };
        let filed = match outage {
            Some(outage) => {
                let report = insert_report(
                    &mut tx.tx,
                    &NewOutageReport {
                        origin_key: filing.origin_key.clone(),
                        outage_id: outage.outage_id.clone(),
                        account_no: filing.account_no.clone(),
                        phone: filing.phone.clone(),
                        channel: filing.channel.clone(),
                        created_at: filing.created_at,
                    },
                )
                .await?;
                OutageFiling::Attached { report, outage }
            }
            None => OutageFiling::Ticket(
                insert_ticket(
                    &mut tx.tx,
                    &outage_ticket(filing),
                    Some((&filing.area_code, &filing.service)),
                )
                .await?,
            ),
        };
        tx.commit().await?;
        Ok(filed)
    }

    async fn outage_report_count(&self, outage_id: &str) -> StoreResult<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM outage_reports WHERE outage_id = ?")
                .bind(outage_id)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    async fn outage_report(&self, reference: &str) -> StoreResult<Option<OutageReport>> {
        let row: Option<ReportRow> = sqlx::query_as(concat!(
            "SELECT ",
            report_cols!(),
            " FROM outage_reports WHERE reference = ?"
        ))
        .bind(reference)
        .fetch_optional(&self.pool)
        .await?;
        row.map(OutageReport::try_from).transpose()
    }

    async fn outage(&self, outage_id: &str) -> StoreResult<Option<Outage>> {
        let row: Option<OutageRow> = sqlx::query_as(concat!(
            "SELECT ",
            outage_cols!(),
            " FROM outages WHERE outage_id = ?"
        ))
        .bind(outage_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(Outage::try_from).transpose()
    }

    async fn create_ticket(&self, ticket: &NewTicket) -> StoreResult<Ticket> {
        let mut tx = self.begin_write().await?;
        let existing: Option<TicketRow> = sqlx::query_as(concat!(
            "SELECT ",
            ticket_cols!(),
            " FROM tickets WHERE origin_key = ?"
        ))
        .bind(&ticket.origin_key)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = existing {
            tx.rollback().await?;
            return row.try_into();
        }
        let filed = insert_ticket(&mut tx.tx, ticket, None).await?;
        tx.commit().await?;
        Ok(filed)
    }

    async fn ticket(&self, reference: &str) -> StoreResult<Option<Ticket>> {
        let row: Option<TicketRow> = sqlx::query_as(concat!(
            "SELECT ",
            ticket_cols!(),
            " FROM tickets WHERE ticket_ref = ?"
        ))
        .bind(reference)
        .fetch_optional(&self.pool)
        .await?;
        row.map(Ticket::try_from).transpose()
    }

    async fn open_tickets(&self, phone: &str, account_nos: &[String]) -> StoreResult<Vec<Ticket>> {
        let mut accounts: Vec<&str> = account_nos.iter().map(String::as_str).collect();
        accounts.sort_unstable();
        accounts.dedup();
        // Only `?` placeholders are added to the text: every value is bound.
        let placeholders = vec!["?"; accounts.len()].join(", ");
        let matches = if accounts.is_empty() {
            "phone = ?".to_string()
        } else {
            format!("(phone = ? OR account_no IN ({placeholders}))")
        };
        let sql = format!(
            concat!(
                "SELECT ",
                ticket_cols!(),
                " FROM tickets WHERE status IN ('open', 'in_progress') AND {} \
                 ORDER BY created_at DESC, ticket_ref DESC LIMIT 20"
            ),
            matches
        );
        let mut query = sqlx::query_as::<_, TicketRow>(AssertSqlSafe(sql)).bind(phone);
        for account in accounts {
            query = query.bind(account);
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.into_iter().map(Ticket::try_from).collect()
    }

    async fn ticket_events(
        &self,
        reference: &str,
    ) -> StoreResult<Vec<(DateTime<Utc>, String, Option<String>)>> {
        let rows: Vec<(String, String, Option<String>)> = sqlx::query_as(
            "SELECT at, event, detail FROM ticket_events WHERE ticket_ref = ? ORDER BY at, id",
        )
        .bind(reference)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(at, event, detail)| Ok((parse_ts(&at)?, event, detail)))
            .collect()
    }

    async fn create_callback(&self, callback: &NewCallback) -> StoreResult<i64> {
        let mut tx = self.begin_write().await?;
        let existing: Option<i64> =
            sqlx::query_scalar("SELECT id FROM callback_tasks WHERE origin_key = ?")
                .bind(&callback.origin_key)
                .fetch_optional(&mut *tx)
                .await?;
        if let Some(id) = existing {
            tx.rollback().await?;
            return Ok(id);
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO callback_tasks \
             (phone, account_no, language, channel, status, created_at, origin_key) \
             VALUES (?, ?, ?, ?, 'pending', ?, ?) RETURNING id",
        )
        .bind(&callback.phone)
        .bind(&callback.account_no)
        .bind(&callback.language)
        .bind(&callback.channel)
        .bind(ts(&callback.created_at))
        .bind(&callback.origin_key)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn record_interaction(&self, i: &Interaction) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        upsert_interaction!(i).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn record_interactions(&self, rows: &[Interaction]) -> StoreResult<()> {
        // One transaction, one commit, for the whole batch (see `store::batch`).
        let mut tx = self.begin_write().await?;
        for i in rows {
            upsert_interaction!(i).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn interaction(
        &self,
        gateway: &str,
        session_id: &str,
    ) -> StoreResult<Option<Interaction>> {
        let row: Option<InteractionRow> = sqlx::query_as(concat!(
            "SELECT ",
            interaction_cols!(),
            " FROM interactions WHERE gateway = ? AND session_id = ?"
        ))
        .bind(gateway)
        .bind(session_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(Interaction::try_from).transpose()
    }

    async fn record_session_end(&self, end: &SessionEnd) -> StoreResult<()> {
        // One statement: the notification may arrive for a session we never logged (it then
        // gets a row of its own), and never races with the engine's own upsert.
        let now = ts(&Utc::now());
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO interactions (gateway, session_id, channel, phone, account_no, language, \
               path, outcome, hops, started_at, updated_at, ended, end_status, end_duration_ms, \
               end_hops_count, end_input, end_last_app_response, end_error_message, end_cost, \
               end_date, end_network_code, end_service_code) \
             VALUES (?1, ?2, 'ussd', ?3, NULL, NULL, '', NULL, ?4, ?5, ?5, 1, ?6, ?7, ?8, ?9, ?10, \
               ?11, ?12, ?13, ?14, ?15) \
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
        .bind(&end.gateway)
        .bind(&end.session_id)
        .bind(end.phone.as_deref().unwrap_or(""))
        .bind(end.hops_count.unwrap_or(0))
        .bind(&now)
        .bind(&end.status)
        .bind(end.duration_ms)
        .bind(end.hops_count)
        .bind(&end.input)
        .bind(&end.last_app_response)
        .bind(&end.error_message)
        .bind(&end.cost)
        .bind(&end.date)
        .bind(&end.network_code)
        .bind(&end.service_code)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_and_timestamps() {
        assert_eq!(digits("SNE-100001"), "100001");
        assert_eq!(digits("ab"), "");
        let t = parse_ts("2026-11-20T06:00:00Z").unwrap();
        assert_eq!(ts(&t), "2026-11-20T06:00:00Z");
        assert_eq!(date(&parse_date("2026-01-05").unwrap()), "2026-01-05");
    }

    #[tokio::test]
    async fn count_rejects_unknown_tables() {
        let crm = SqliteCrm::in_memory().await.unwrap();
        assert_eq!(crm.count("customers").await.unwrap(), 0);
        assert!(crm.count("customers; DROP TABLE areas").await.is_err());
        assert!(crm.is_empty().await.unwrap());
        crm.ping().await.unwrap();
    }
}
