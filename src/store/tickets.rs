//! Tickets, their events, connection requests and call-back tasks: each statement once, for
//! both databases. The filing rules (`rules.rs`) call them, and reach `insert_new_ticket`
//! through [`super::rules::TicketRows`], where a database may write it its own way.

use chrono::{DateTime, Utc};

use super::StoreResult;
use super::common::{select, ticket_cols};
use super::rules::Insert;
use super::sql::{Arg, Db, FromRow, Row, args, placeholders, statements};
use crate::domain::{ConnectionRequest, NewCallback, NewConnectionRequest, Ticket};

/// One event of a ticket's history: (at, event, detail).
pub(crate) type TicketEvent = (DateTime<Utc>, String, Option<String>);

impl FromRow for Ticket {
    /// A row of `ticket_cols!`, in its order.
    fn from_row(r: &impl Row) -> StoreResult<Self> {
        Ok(Ticket {
            ticket_ref: r.text(0)?,
            account_no: r.opt_text(1)?,
            phone: r.opt_text(2)?,
            category: r.text(3)?,
            status: r.text(4)?,
            channel: r.text(5)?,
            created_at: r.time(6)?,
            sla_due_at: r.opt_time(7)?,
            updated_at: r.time(8)?,
            note: r.opt_text(9)?,
        })
    }
}

impl FromRow for ConnectionRequest {
    fn from_row(r: &impl Row) -> StoreResult<Self> {
        Ok(ConnectionRequest {
            ticket_ref: r.text(0)?,
            service: r.text(1)?,
            area_code: r.text(2)?,
            account_no: r.opt_text(3)?,
        })
    }
}

impl FromRow for TicketEvent {
    fn from_row(r: &impl Row) -> StoreResult<Self> {
        Ok((r.time(0)?, r.text(1)?, r.opt_text(2)?))
    }
}

statements! {
    pub(crate) fn ticket(reference: &str) -> Option<Ticket> = optional
        select!(ticket_cols, "FROM tickets WHERE ticket_ref = $1");
}

/// See [`crate::store::CrmStore::open_tickets`].
pub(crate) async fn open_tickets(
    db: &mut impl Db,
    phone: &str,
    account_nos: &[String],
) -> StoreResult<Vec<Ticket>> {
    let mut accounts: Vec<&str> = account_nos.iter().map(String::as_str).collect();
    accounts.sort_unstable();
    accounts.dedup();
    // Only placeholders are added to the text: every value is bound. (The statement is
    // prepared once per number of accounts; a phone acts for one or two.)
    let matches = if accounts.is_empty() {
        "phone = $1".to_string()
    } else {
        format!(
            "(phone = $1 OR account_no IN ({}))",
            placeholders(2, accounts.len())
        )
    };
    let sql = format!(
        select!(
            ticket_cols,
            "FROM tickets WHERE status IN ('open', 'in_progress') AND {} \
             ORDER BY created_at DESC, ticket_ref DESC LIMIT 20"
        ),
        matches
    );
    let values: Vec<Arg<'_>> = std::iter::once(Arg::from(phone))
        .chain(accounts.into_iter().map(Arg::from))
        .collect();
    db.fetch_all(&sql, &values).await
}

statements! {
    pub(crate) fn connection_request(ticket_ref: &str) -> Option<ConnectionRequest> = optional
        "SELECT ticket_ref, service, area_code, account_no FROM connection_requests \
         WHERE ticket_ref = $1";

    /// A ticket's history, oldest first.
    pub(crate) fn ticket_events(reference: &str) -> Vec<TicketEvent> = all
        "SELECT at, event, detail FROM ticket_events WHERE ticket_ref = $1 ORDER BY at, id";

    /// A ticket's newest event.
    pub(crate) fn latest_ticket_event(reference: &str) -> Option<TicketEvent> = optional
        "SELECT at, event, detail FROM ticket_events WHERE ticket_ref = $1 \
         ORDER BY at DESC, id DESC LIMIT 1";
}

// ---------------------------------------------------------------------------------------------
// What the filing rules run (`TicketRows`), inside a filing's transaction

statements! {
    /// The ticket filed under `origin_key`.
    pub(crate) fn ticket_by_origin(origin_key: &str) -> Option<Ticket> = optional
        select!(ticket_cols, "FROM tickets WHERE origin_key = $1");

    /// The ticket of the event filed under `origin_key` (a repeat call).
    pub(crate) fn ticket_by_event_origin(origin_key: &str) -> Option<Ticket> = optional
        select!(
            ticket_cols,
            "FROM tickets WHERE ticket_ref = \
             (SELECT ticket_ref FROM ticket_events WHERE origin_key = $1)"
        );

    /// The newest ticket of the account and category still open or in progress.
    pub(crate) fn pending_ticket(account_no: &str, category: &str) -> Option<Ticket> = optional
        select!(
            ticket_cols,
            "FROM tickets WHERE account_no = $1 AND category = $2 \
               AND status IN ('open', 'in_progress') \
             ORDER BY created_at DESC, ticket_ref DESC LIMIT 1"
        );
}

pub(crate) async fn insert_called_again(
    db: &mut impl Db,
    ticket_ref: &str,
    at: DateTime<Utc>,
    origin_key: &str,
) -> StoreResult<bool> {
    let id: Option<i64> = db
        .fetch_optional(
            "INSERT INTO ticket_events (ticket_ref, at, event, origin_key) \
             VALUES ($1, $2, 'customer_called_again', $3) \
             ON CONFLICT (origin_key) DO NOTHING RETURNING id",
            args![ticket_ref, at, origin_key],
        )
        .await?;
    Ok(id.is_some())
}

statements! {
    /// The newest connection request still open or in progress for this area and service by
    /// this phone or account. A NULL phone or account matches nothing.
    pub(crate) fn pending_connection_request(
        phone: Option<&str>,
        account_no: Option<&str>,
        service: &str,
        area_code: &str,
    ) -> Option<Ticket> = optional
        select!(
            ticket_cols,
            "FROM tickets WHERE status IN ('open', 'in_progress') \
               AND (phone = $1 OR account_no = $2) \
               AND ticket_ref IN (SELECT ticket_ref FROM connection_requests \
                                  WHERE area_code = $3 AND service = $4) \
             ORDER BY created_at DESC, ticket_ref DESC LIMIT 1"
        ),
        args![phone, account_no, area_code, service];

    /// The request's details, beside its ticket.
    pub(crate) fn insert_connection_request(
        ticket_ref: &str,
        request: &NewConnectionRequest,
    ) = execute
        "INSERT INTO connection_requests (ticket_ref, service, area_code, account_no) \
         VALUES ($1, $2, $3, $4)",
        args![ticket_ref, &request.service, &request.area_code, &request.account_no];

    /// The call-back task filed under `origin_key`.
    pub(crate) fn callback_by_origin(origin_key: &str) -> Option<i64> = optional
        "SELECT id FROM callback_tasks WHERE origin_key = $1";

    /// A pending call-back task; its id, `None` (nothing written) when `origin_key` is taken.
    pub(crate) fn insert_callback(callback: &NewCallback) -> Option<i64> = optional
        "INSERT INTO callback_tasks \
         (phone, account_no, language, channel, status, created_at, origin_key) \
         VALUES ($1, $2, $3, $4, 'pending', $5, $6) \
         ON CONFLICT (origin_key) DO NOTHING RETURNING id",
        args![
            &callback.phone,
            &callback.account_no,
            &callback.language,
            &callback.channel,
            callback.created_at,
            &callback.origin_key,
        ];

    /// True when a ticket or an outage report already holds this reference.
    pub(crate) fn reference_taken(reference: &str) -> bool = one
        "SELECT EXISTS (SELECT 1 FROM tickets WHERE ticket_ref = $1) \
             OR EXISTS (SELECT 1 FROM outage_reports WHERE reference = $1)";
}

/// A new ticket's row: the ticket, its `origin_key`, and the area and service of an outage
/// ticket.
pub(crate) struct NewTicketRow<'a> {
    pub(crate) ticket: &'a Ticket,
    pub(crate) origin_key: &'a str,
    pub(crate) area_service: Option<(&'a str, &'a str)>,
}

impl NewTicketRow<'_> {
    /// The values of the row, `$1` to `$13`: the columns of `ticket_cols!` in its order, then
    /// `origin_key`, area and service.
    pub(crate) fn args(&self) -> [Arg<'_>; 13] {
        let t = self.ticket;
        [
            Arg::from(&t.ticket_ref),
            Arg::from(&t.account_no),
            Arg::from(&t.phone),
            Arg::from(&t.category),
            Arg::from(&t.status),
            Arg::from(&t.channel),
            Arg::from(t.created_at),
            Arg::from(t.sla_due_at),
            Arg::from(t.updated_at),
            Arg::from(&t.note),
            Arg::from(self.origin_key),
            Arg::from(self.area_service.map(|(area, _)| area)),
            Arg::from(self.area_service.map(|(_, service)| service)),
        ]
    }
}

/// See [`super::rules::TicketRows::insert_new_ticket`]: three statements (PostgreSQL folds
/// them into one).
pub(crate) async fn insert_new_ticket(
    db: &mut impl Db,
    row: &NewTicketRow<'_>,
) -> StoreResult<Insert> {
    let t = row.ticket;
    if reference_taken(db, &t.ticket_ref).await? {
        return Ok(Insert::ReferenceTaken);
    }
    let inserted: Option<String> = db
        .fetch_optional(
            concat!(
                "INSERT INTO tickets (",
                ticket_cols!(),
                ", origin_key, area_code, service) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
                 ON CONFLICT (origin_key) DO NOTHING RETURNING ticket_ref"
            ),
            &row.args(),
        )
        .await?;
    if inserted.is_none() {
        return Ok(Insert::KeyTaken);
    }
    db.execute(
        "INSERT INTO ticket_events (ticket_ref, at, event, detail) \
         VALUES ($1, $2, 'created', $3)",
        args![&t.ticket_ref, t.created_at, &t.channel],
    )
    .await?;
    Ok(Insert::Written)
}
