//! Tickets, call-back tasks and the reference sequence in PostgreSQL. A key another instance
//! is filing meanwhile is met with `ON CONFLICT (origin_key) DO NOTHING`, which waits for that
//! instance's transaction and reports the key taken once it commits.

use chrono::{DateTime, Utc};
use sqlx::postgres::{PgConnection, PgPool};

use super::convert::{lookable, opt_ts, storable, ts};
use crate::domain::{ConnectionRequest, NewCallback, NewConnectionRequest, Ticket};
use crate::store::StoreResult;
use crate::store::common::{complaint_lock_key, connection_lock_key, ticket_cols};
use crate::store::rules::{Insert, TicketRows};

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

pub(super) async fn ticket(pool: &PgPool, reference: &str) -> StoreResult<Option<Ticket>> {
    let Some(reference) = lookable(reference) else {
        return Ok(None);
    };
    let row: Option<TicketRow> = sqlx::query_as(concat!(
        "SELECT ",
        ticket_cols!(),
        " FROM tickets WHERE ticket_ref = $1"
    ))
    .bind(reference)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(Ticket::from))
}

pub(super) async fn open_tickets(
    pool: &PgPool,
    phone: &str,
    account_nos: &[String],
) -> StoreResult<Vec<Ticket>> {
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
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(Ticket::from).collect())
}

#[derive(sqlx::FromRow)]
struct ConnectionRequestRow {
    ticket_ref: String,
    service: String,
    area_code: String,
    account_no: Option<String>,
}

pub(super) async fn connection_request(
    pool: &PgPool,
    ticket_ref: &str,
) -> StoreResult<Option<ConnectionRequest>> {
    let Some(ticket_ref) = lookable(ticket_ref) else {
        return Ok(None);
    };
    let row: Option<ConnectionRequestRow> = sqlx::query_as(
        "SELECT ticket_ref, service, area_code, account_no FROM connection_requests \
         WHERE ticket_ref = $1",
    )
    .bind(ticket_ref)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| ConnectionRequest {
        ticket_ref: r.ticket_ref,
        service: r.service,
        area_code: r.area_code,
        account_no: r.account_no,
    }))
}

pub(super) async fn ticket_events(
    pool: &PgPool,
    reference: &str,
) -> StoreResult<Vec<(DateTime<Utc>, String, Option<String>)>> {
    let Some(reference) = lookable(reference) else {
        return Ok(Vec::new());
    };
    Ok(sqlx::query_as(
        "SELECT at, event, detail FROM ticket_events WHERE ticket_ref = $1 ORDER BY at, id",
    )
    .bind(reference)
    .fetch_all(pool)
    .await?)
}

pub(super) async fn latest_ticket_event(
    pool: &PgPool,
    reference: &str,
) -> StoreResult<Option<(DateTime<Utc>, String, Option<String>)>> {
    let Some(reference) = lookable(reference) else {
        return Ok(None);
    };
    Ok(sqlx::query_as(
        "SELECT at, event, detail FROM ticket_events WHERE ticket_ref = $1 \
         ORDER BY at DESC, id DESC LIMIT 1",
    )
    .bind(reference)
    .fetch_optional(pool)
    .await?)
}

impl TicketRows for PgConnection {
    async fn ticket_by_origin(&mut self, origin_key: &str) -> StoreResult<Option<Ticket>> {
        let row: Option<TicketRow> = sqlx::query_as(concat!(
            "SELECT ",
            ticket_cols!(),
            " FROM tickets WHERE origin_key = $1"
        ))
        .bind(origin_key)
        .fetch_optional(self)
        .await?;
        Ok(row.map(Ticket::from))
    }

    async fn ticket_by_event_origin(&mut self, origin_key: &str) -> StoreResult<Option<Ticket>> {
        let row: Option<TicketRow> = sqlx::query_as(concat!(
            "SELECT ",
            ticket_cols!(),
            " FROM tickets WHERE ticket_ref = \
             (SELECT ticket_ref FROM ticket_events WHERE origin_key = $1)"
        ))
        .bind(origin_key)
        .fetch_optional(self)
        .await?;
        Ok(row.map(Ticket::from))
    }

    /// A transaction-scoped advisory lock on a stable hash of the account and category.
    async fn lock_complaints(&mut self, account_no: &str, category: &str) -> StoreResult<()> {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(complaint_lock_key(
                &storable(account_no),
                &storable(category),
            ))
            .execute(self)
            .await?;
        Ok(())
    }

    async fn pending_ticket(
        &mut self,
        account_no: &str,
        category: &str,
    ) -> StoreResult<Option<Ticket>> {
        let row: Option<TicketRow> = sqlx::query_as(concat!(
            "SELECT ",
            ticket_cols!(),
            " FROM tickets WHERE account_no = $1 AND category = $2 \
               AND status IN ('open', 'in_progress') \
             ORDER BY created_at DESC, ticket_ref DESC LIMIT 1"
        ))
        .bind(storable(account_no))
        .bind(storable(category))
        .fetch_optional(self)
        .await?;
        Ok(row.map(Ticket::from))
    }

    async fn insert_called_again(
        &mut self,
        ticket_ref: &str,
        at: DateTime<Utc>,
        origin_key: &str,
    ) -> StoreResult<bool> {
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO ticket_events (ticket_ref, at, event, origin_key) \
             VALUES ($1, $2, 'customer_called_again', $3) \
             ON CONFLICT (origin_key) DO NOTHING RETURNING id",
        )
        .bind(ticket_ref)
        .bind(ts(&at))
        .bind(origin_key)
        .fetch_optional(self)
        .await?;
        Ok(id.is_some())
    }

    async fn insert_new_ticket(
        &mut self,
        t: &Ticket,
        origin_key: &str,
        area_service: Option<(&str, &str)>,
    ) -> StoreResult<Insert> {
        // One statement checks the reference is free, writes the ticket and its `created`
        // event (see `Insert`).
        let (free, written): (bool, bool) = sqlx::query_as(concat!(
            "WITH free AS (SELECT NOT EXISTS (SELECT 1 FROM tickets WHERE ticket_ref = $1)                  AND NOT EXISTS (SELECT 1 FROM outage_reports WHERE reference = $1) AS ok),              written AS (INSERT INTO tickets (",
            ticket_cols!(),
            ", origin_key, area_code, service)                SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13 FROM free WHERE free.ok                ON CONFLICT (origin_key) DO NOTHING RETURNING ticket_ref),              created AS (INSERT INTO ticket_events (ticket_ref, at, event, detail)                SELECT ticket_ref, $7, 'created', $6 FROM written)              SELECT (SELECT ok FROM free), EXISTS (SELECT 1 FROM written)"
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
        .fetch_one(self)
        .await?;
        Ok(match (free, written) {
            (false, _) => Insert::ReferenceTaken,
            (true, true) => Insert::Written,
            (true, false) => Insert::KeyTaken,
        })
    }

    /// A transaction-scoped advisory lock on a stable hash of the area and service.
    async fn lock_connection_requests(
        &mut self,
        area_code: &str,
        service: &str,
    ) -> StoreResult<()> {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(connection_lock_key(
                &storable(area_code),
                &storable(service),
            ))
            .execute(self)
            .await?;
        Ok(())
    }

    async fn pending_connection_request(
        &mut self,
        phone: Option<&str>,
        account_no: Option<&str>,
        service: &str,
        area_code: &str,
    ) -> StoreResult<Option<Ticket>> {
        // A NULL phone or account matches nothing.
        let row: Option<TicketRow> = sqlx::query_as(concat!(
            "SELECT ",
            ticket_cols!(),
            " FROM tickets WHERE status IN ('open', 'in_progress') \
               AND (phone = $1 OR account_no = $2) \
               AND ticket_ref IN (SELECT ticket_ref FROM connection_requests \
                                  WHERE area_code = $3 AND service = $4) \
             ORDER BY created_at DESC, ticket_ref DESC LIMIT 1"
        ))
        .bind(phone.map(storable))
        .bind(account_no.map(storable))
        .bind(storable(area_code))
        .bind(storable(service))
        .fetch_optional(self)
        .await?;
        Ok(row.map(Ticket::from))
    }

    async fn insert_connection_request(
        &mut self,
        ticket_ref: &str,
        request: &NewConnectionRequest,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO connection_requests (ticket_ref, service, area_code, account_no) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(ticket_ref)
        .bind(storable(&request.service))
        .bind(storable(&request.area_code))
        .bind(request.account_no.as_deref().map(storable))
        .execute(self)
        .await?;
        Ok(())
    }

    async fn callback_by_origin(&mut self, origin_key: &str) -> StoreResult<Option<i64>> {
        Ok(
            sqlx::query_scalar("SELECT id FROM callback_tasks WHERE origin_key = $1")
                .bind(origin_key)
                .fetch_optional(self)
                .await?,
        )
    }

    async fn insert_callback(&mut self, callback: &NewCallback) -> StoreResult<Option<i64>> {
        Ok(sqlx::query_scalar(
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
        .fetch_optional(self)
        .await?)
    }

    /// From `reference_seq`: two instances never draw the same number.
    async fn next_reference_number(&mut self) -> StoreResult<i64> {
        Ok(sqlx::query_scalar("SELECT nextval('reference_seq')")
            .fetch_one(self)
            .await?)
    }
}
