//! Tickets, call-back tasks and the reference sequence in SQLite.

use chrono::{DateTime, Utc};
use sqlx::AssertSqlSafe;
use sqlx::sqlite::{SqliteConnection, SqlitePool};

use super::convert::{opt_ts, parse_opt_ts, parse_ts, ts};
use crate::domain::{NewCallback, Ticket};
use crate::store::common::ticket_cols;
use crate::store::rules::TicketRows;
use crate::store::{StoreError, StoreResult};

/// Counter that numbers ticket and outage-report references (they share one namespace).
const REFERENCE_COUNTER: &str = "reference";

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

pub(super) async fn ticket(pool: &SqlitePool, reference: &str) -> StoreResult<Option<Ticket>> {
    let row: Option<TicketRow> = sqlx::query_as(concat!(
        "SELECT ",
        ticket_cols!(),
        " FROM tickets WHERE ticket_ref = ?"
    ))
    .bind(reference)
    .fetch_optional(pool)
    .await?;
    row.map(Ticket::try_from).transpose()
}

pub(super) async fn open_tickets(
    pool: &SqlitePool,
    phone: &str,
    account_nos: &[String],
) -> StoreResult<Vec<Ticket>> {
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
    let rows = query.fetch_all(pool).await?;
    rows.into_iter().map(Ticket::try_from).collect()
}

pub(super) async fn ticket_events(
    pool: &SqlitePool,
    reference: &str,
) -> StoreResult<Vec<(DateTime<Utc>, String, Option<String>)>> {
    let rows: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT at, event, detail FROM ticket_events WHERE ticket_ref = ? ORDER BY at, id",
    )
    .bind(reference)
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|(at, event, detail)| Ok((parse_ts(&at)?, event, detail)))
        .collect()
}

impl TicketRows for SqliteConnection {
    async fn ticket_by_origin(&mut self, origin_key: &str) -> StoreResult<Option<Ticket>> {
        let row: Option<TicketRow> = sqlx::query_as(concat!(
            "SELECT ",
            ticket_cols!(),
            " FROM tickets WHERE origin_key = ?"
        ))
        .bind(origin_key)
        .fetch_optional(self)
        .await?;
        row.map(Ticket::try_from).transpose()
    }

    async fn insert_ticket(
        &mut self,
        t: &Ticket,
        origin_key: &str,
        area_service: Option<(&str, &str)>,
    ) -> StoreResult<bool> {
        let inserted: Option<String> = sqlx::query_scalar(concat!(
            "INSERT INTO tickets (",
            ticket_cols!(),
            ", origin_key, area_code, service) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (origin_key) DO NOTHING RETURNING ticket_ref"
        ))
        .bind(&t.ticket_ref)
        .bind(&t.account_no)
        .bind(&t.phone)
        .bind(&t.category)
        .bind(&t.status)
        .bind(&t.channel)
        .bind(ts(&t.created_at))
        .bind(opt_ts(&t.sla_due_at))
        .bind(ts(&t.updated_at))
        .bind(&t.note)
        .bind(origin_key)
        .bind(area_service.map(|(area, _)| area))
        .bind(area_service.map(|(_, service)| service))
        .fetch_optional(self)
        .await?;
        Ok(inserted.is_some())
    }

    async fn insert_ticket_event(
        &mut self,
        reference: &str,
        at: DateTime<Utc>,
        event: &str,
        detail: &str,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO ticket_events (ticket_ref, at, event, detail) VALUES (?, ?, ?, ?)",
        )
        .bind(reference)
        .bind(ts(&at))
        .bind(event)
        .bind(detail)
        .execute(self)
        .await?;
        Ok(())
    }

    async fn callback_by_origin(&mut self, origin_key: &str) -> StoreResult<Option<i64>> {
        Ok(
            sqlx::query_scalar("SELECT id FROM callback_tasks WHERE origin_key = ?")
                .bind(origin_key)
                .fetch_optional(self)
                .await?,
        )
    }

    async fn insert_callback(&mut self, callback: &NewCallback) -> StoreResult<Option<i64>> {
        Ok(sqlx::query_scalar(
            "INSERT INTO callback_tasks \
             (phone, account_no, language, channel, status, created_at, origin_key) \
             VALUES (?, ?, ?, ?, 'pending', ?, ?) \
             ON CONFLICT (origin_key) DO NOTHING RETURNING id",
        )
        .bind(&callback.phone)
        .bind(&callback.account_no)
        .bind(&callback.language)
        .bind(&callback.channel)
        .bind(ts(&callback.created_at))
        .bind(&callback.origin_key)
        .fetch_optional(self)
        .await?)
    }

    async fn next_reference_number(&mut self) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO counters (name, value) VALUES (?1, 1) \
             ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value",
        )
        .bind(REFERENCE_COUNTER)
        .fetch_one(self)
        .await?)
    }

    async fn reference_taken(&mut self, reference: &str) -> StoreResult<bool> {
        Ok(sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM tickets WHERE ticket_ref = ?1) \
                 OR EXISTS (SELECT 1 FROM outage_reports WHERE reference = ?1)",
        )
        .bind(reference)
        .fetch_one(self)
        .await?)
    }
}
