//! Tickets, call-back tasks and the reference sequence in SQLite.

use chrono::{DateTime, Utc};
use rusqlite::types::ToSql;
use rusqlite::{Connection, Row, params};

use super::connection::{all, exec, one, optional};
use super::convert::{opt_ts, parse_opt_ts, parse_ts, ts};
use super::writer::Rows;
use crate::domain::{ConnectionRequest, NewCallback, NewConnectionRequest, Ticket};
use crate::store::common::ticket_cols;
use crate::store::rules::{Insert, TicketRows};
use crate::store::{StoreError, StoreResult};

/// Counter that numbers ticket and outage-report references (they share one namespace).
const REFERENCE_COUNTER: &str = "reference";

/// A row of `ticket_cols!`, in its order (times still as text).
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

impl TicketRow {
    fn read(r: &Row<'_>) -> rusqlite::Result<TicketRow> {
        Ok(TicketRow {
            ticket_ref: r.get(0)?,
            account_no: r.get(1)?,
            phone: r.get(2)?,
            category: r.get(3)?,
            status: r.get(4)?,
            channel: r.get(5)?,
            created_at: r.get(6)?,
            sla_due_at: r.get(7)?,
            updated_at: r.get(8)?,
            note: r.get(9)?,
        })
    }
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

pub(super) fn ticket(conn: &Connection, reference: &str) -> StoreResult<Option<Ticket>> {
    let row = optional(
        conn,
        concat!(
            "SELECT ",
            ticket_cols!(),
            " FROM tickets WHERE ticket_ref = ?"
        ),
        [reference],
        TicketRow::read,
    )?;
    row.map(Ticket::try_from).transpose()
}

pub(super) fn open_tickets(
    conn: &Connection,
    phone: &str,
    account_nos: &[String],
) -> StoreResult<Vec<Ticket>> {
    let mut accounts: Vec<&str> = account_nos.iter().map(String::as_str).collect();
    accounts.sort_unstable();
    accounts.dedup();
    // Only `?` placeholders are added to the text: every value is bound. (The statement is
    // cached per number of accounts; a phone acts for one or two.)
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
    let values: Vec<&dyn ToSql> = std::iter::once(&phone as &dyn ToSql)
        .chain(accounts.iter().map(|a| a as &dyn ToSql))
        .collect();
    let rows = all(conn, &sql, values.as_slice(), TicketRow::read)?;
    rows.into_iter().map(Ticket::try_from).collect()
}

pub(super) fn connection_request(
    conn: &Connection,
    ticket_ref: &str,
) -> StoreResult<Option<ConnectionRequest>> {
    optional(
        conn,
        "SELECT ticket_ref, service, area_code, account_no FROM connection_requests \
         WHERE ticket_ref = ?",
        [ticket_ref],
        |r| {
            Ok(ConnectionRequest {
                ticket_ref: r.get(0)?,
                service: r.get(1)?,
                area_code: r.get(2)?,
                account_no: r.get(3)?,
            })
        },
    )
}

/// One event of a ticket's history: (at, event, detail).
type TicketEvent = (DateTime<Utc>, String, Option<String>);

pub(super) fn ticket_events(conn: &Connection, reference: &str) -> StoreResult<Vec<TicketEvent>> {
    let rows: Vec<(String, String, Option<String>)> = all(
        conn,
        "SELECT at, event, detail FROM ticket_events WHERE ticket_ref = ? ORDER BY at, id",
        [reference],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    rows.into_iter()
        .map(|(at, event, detail)| Ok((parse_ts(&at)?, event, detail)))
        .collect()
}

pub(super) fn latest_ticket_event(
    conn: &Connection,
    reference: &str,
) -> StoreResult<Option<TicketEvent>> {
    let row: Option<(String, String, Option<String>)> = optional(
        conn,
        "SELECT at, event, detail FROM ticket_events WHERE ticket_ref = ? \
         ORDER BY at DESC, id DESC LIMIT 1",
        [reference],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    row.map(|(at, event, detail)| Ok((parse_ts(&at)?, event, detail)))
        .transpose()
}

/// Run by the filing rules on the writer thread, inside its transaction.
impl TicketRows for Rows<'_> {
    async fn ticket_by_origin(&mut self, origin_key: &str) -> StoreResult<Option<Ticket>> {
        let row = optional(
            self.0,
            concat!(
                "SELECT ",
                ticket_cols!(),
                " FROM tickets WHERE origin_key = ?"
            ),
            [origin_key],
            TicketRow::read,
        )?;
        row.map(Ticket::try_from).transpose()
    }

    async fn ticket_by_event_origin(&mut self, origin_key: &str) -> StoreResult<Option<Ticket>> {
        let row = optional(
            self.0,
            concat!(
                "SELECT ",
                ticket_cols!(),
                " FROM tickets WHERE ticket_ref = \
                 (SELECT ticket_ref FROM ticket_events WHERE origin_key = ?)"
            ),
            [origin_key],
            TicketRow::read,
        )?;
        row.map(Ticket::try_from).transpose()
    }

    /// Nothing to take: the writer thread runs one filing at a time.
    async fn lock_complaints(&mut self, _account_no: &str, _category: &str) -> StoreResult<()> {
        Ok(())
    }

    async fn pending_ticket(
        &mut self,
        account_no: &str,
        category: &str,
    ) -> StoreResult<Option<Ticket>> {
        let row = optional(
            self.0,
            concat!(
                "SELECT ",
                ticket_cols!(),
                " FROM tickets WHERE account_no = ? AND category = ? \
                   AND status IN ('open', 'in_progress') \
                 ORDER BY created_at DESC, ticket_ref DESC LIMIT 1"
            ),
            [account_no, category],
            TicketRow::read,
        )?;
        row.map(Ticket::try_from).transpose()
    }

    async fn insert_called_again(
        &mut self,
        ticket_ref: &str,
        at: DateTime<Utc>,
        origin_key: &str,
    ) -> StoreResult<bool> {
        let id: Option<i64> = optional(
            self.0,
            "INSERT INTO ticket_events (ticket_ref, at, event, origin_key) \
             VALUES (?, ?, 'customer_called_again', ?) \
             ON CONFLICT (origin_key) DO NOTHING RETURNING id",
            params![ticket_ref, ts(&at), origin_key],
            |r| r.get(0),
        )?;
        Ok(id.is_some())
    }

    async fn insert_new_ticket(
        &mut self,
        t: &Ticket,
        origin_key: &str,
        area_service: Option<(&str, &str)>,
    ) -> StoreResult<Insert> {
        // Statements in place cost microseconds here: no need to fold them into one.
        if reference_taken(self.0, &t.ticket_ref)? {
            return Ok(Insert::ReferenceTaken);
        }
        let inserted: Option<String> = optional(
            self.0,
            concat!(
                "INSERT INTO tickets (",
                ticket_cols!(),
                ", origin_key, area_code, service) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
                 ON CONFLICT (origin_key) DO NOTHING RETURNING ticket_ref"
            ),
            params![
                t.ticket_ref,
                t.account_no,
                t.phone,
                t.category,
                t.status,
                t.channel,
                ts(&t.created_at),
                opt_ts(&t.sla_due_at),
                ts(&t.updated_at),
                t.note,
                origin_key,
                area_service.map(|(area, _)| area),
                area_service.map(|(_, service)| service),
            ],
            |r| r.get(0),
        )?;
        if inserted.is_none() {
            return Ok(Insert::KeyTaken);
        }
        exec(
            self.0,
            "INSERT INTO ticket_events (ticket_ref, at, event, detail) \
             VALUES (?, ?, 'created', ?)",
            params![t.ticket_ref, ts(&t.created_at), t.channel],
        )?;
        Ok(Insert::Written)
    }

    /// Nothing to take: the writer thread runs one filing at a time.
    async fn lock_connection_requests(
        &mut self,
        _area_code: &str,
        _service: &str,
    ) -> StoreResult<()> {
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
        let row = optional(
            self.0,
            concat!(
                "SELECT ",
                ticket_cols!(),
                " FROM tickets WHERE status IN ('open', 'in_progress') \
                   AND (phone = ?1 OR account_no = ?2) \
                   AND ticket_ref IN (SELECT ticket_ref FROM connection_requests \
                                      WHERE area_code = ?3 AND service = ?4) \
                 ORDER BY created_at DESC, ticket_ref DESC LIMIT 1"
            ),
            params![phone, account_no, area_code, service],
            TicketRow::read,
        )?;
        row.map(Ticket::try_from).transpose()
    }

    async fn insert_connection_request(
        &mut self,
        ticket_ref: &str,
        request: &NewConnectionRequest,
    ) -> StoreResult<()> {
        exec(
            self.0,
            "INSERT INTO connection_requests (ticket_ref, service, area_code, account_no) \
             VALUES (?, ?, ?, ?)",
            params![
                ticket_ref,
                request.service,
                request.area_code,
                request.account_no
            ],
        )?;
        Ok(())
    }

    async fn callback_by_origin(&mut self, origin_key: &str) -> StoreResult<Option<i64>> {
        optional(
            self.0,
            "SELECT id FROM callback_tasks WHERE origin_key = ?",
            [origin_key],
            |r| r.get(0),
        )
    }

    async fn insert_callback(&mut self, callback: &NewCallback) -> StoreResult<Option<i64>> {
        optional(
            self.0,
            "INSERT INTO callback_tasks \
             (phone, account_no, language, channel, status, created_at, origin_key) \
             VALUES (?, ?, ?, ?, 'pending', ?, ?) \
             ON CONFLICT (origin_key) DO NOTHING RETURNING id",
            params![
                callback.phone,
                callback.account_no,
                callback.language,
                callback.channel,
                ts(&callback.created_at),
                callback.origin_key,
            ],
            |r| r.get(0),
        )
    }

    async fn next_reference_number(&mut self) -> StoreResult<i64> {
        one(
            self.0,
            "INSERT INTO counters (name, value) VALUES (?1, 1) \
             ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value",
            [REFERENCE_COUNTER],
            |r| r.get(0),
        )
    }
}

/// True when a ticket or an outage report already holds this reference.
pub(super) fn reference_taken(conn: &Connection, reference: &str) -> StoreResult<bool> {
    one(
        conn,
        "SELECT EXISTS (SELECT 1 FROM tickets WHERE ticket_ref = ?1) \
             OR EXISTS (SELECT 1 FROM outage_reports WHERE reference = ?1)",
        [reference],
        |r| r.get(0),
    )
}
