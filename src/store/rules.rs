//! The CRM's filing rules, written once for every database: idempotency on `origin_key`,
//! reference allocation, the outage-storm decision. They run primitives (plain statements
//! inside one of a store's transactions) written once for both databases in `tickets.rs` and
//! `outages.rs`, behind [`TicketRows`] and [`OutageRows`]; a store supplies its transactions
//! ([`FilingStore`]), its locks and its reference sequence, and may fold primitives into one
//! statement of its own. Every decision is taken here, so the databases cannot drift apart.
//!
//! Two guarantees come from the primitives, and the rules rely on nothing else:
//! - [`OutageRows::lock_origin_key`] and [`OutageRows::lock_filings`] serialise the outage
//!   filings of one key and of one area and service, and every statement after them sees
//!   what earlier holders committed;
//! - an insert keyed on `origin_key` reports a key another transaction holds instead of
//!   failing: the rules then undo their transaction and return that first filing. So a retry
//!   racing its original, on any instance, files once and both get the same answer.

use chrono::{DateTime, SubsecRound, Utc};

use super::outages::{self, NewReportRow};
use super::sql::Db;
use super::tickets::{self, NewTicketRow};
use super::{StoreError, StoreResult, usage};
use crate::contracts::{OutageKind, OutageStatus, TicketStatus};
use crate::domain::*;
use crate::reference;

/// A SQL store's write transactions, as the rules drive them. No `Send` bound: the embedded
/// store drives the rules on its writer thread, over a connection that never leaves it; a store
/// whose futures must be `Send` (PostgreSQL's, behind `async_trait`) gets that from its own types.
pub(crate) trait FilingStore {
    type Conn: TicketRows + OutageRows;
    type Tx: std::ops::DerefMut<Target = Self::Conn>;

    async fn begin_filing(&self) -> StoreResult<Self::Tx>;
    async fn commit(tx: Self::Tx) -> StoreResult<()>;
    async fn rollback(tx: Self::Tx) -> StoreResult<()>;

    /// A filing transaction holding the outage-filing locks of `origin_key`, then of the area
    /// and service (see [`OutageRows::lock_origin_key`]). A store may take them with the
    /// transaction's start, in one round trip.
    async fn begin_outage_filing(&self, filing: &NewOutageFiling) -> StoreResult<Self::Tx> {
        let mut tx = self.begin_filing().await?;
        tx.lock_origin_key(&filing.origin_key).await?;
        tx.lock_filings(&filing.area_code, &filing.service).await?;
        Ok(tx)
    }
}

/// What an insert keyed on `origin_key` with a new reference did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Insert {
    Written,
    /// Nothing written: another ticket or report holds the reference (draw another).
    ReferenceTaken,
    /// Nothing written: another filing holds `origin_key`.
    KeyTaken,
}

/// What the rules do on one database's connection that a database may do its own way: its
/// locks (none on SQLite's one writer), and the primitives it may fold into one statement of
/// its own (PostgreSQL's `insert_new_ticket`). Every other statement the rules run is a
/// function of `store/tickets.rs`, written once.
pub(crate) trait TicketRows: Db + Sized {
    /// Until the transaction ends, no other complaint of this account and category proceeds.
    async fn lock_complaints(&mut self, account_no: &str, category: &str) -> StoreResult<()>;
    /// Until the transaction ends, no other connection request of this area and service
    /// proceeds.
    async fn lock_connection_requests(&mut self, area_code: &str, service: &str)
    -> StoreResult<()>;
    /// Writes the ticket as given and its `created` event, unless another ticket or an outage
    /// report holds its reference, or another filing its `origin_key` (then nothing is
    /// written). An outage ticket records its area and service.
    async fn insert_new_ticket(&mut self, row: &NewTicketRow<'_>) -> StoreResult<Insert> {
        tickets::insert_new_ticket(self, row).await
    }
}

/// The same for outage filings (the other statements are functions of `store/outages.rs`):
/// the locks, the filing's context (`filing_context`) and a report (`insert_new_report`),
/// each of which a database may read or write in one statement of its own.
pub(crate) trait OutageRows: TicketRows {
    /// Until the transaction ends, no other outage filing under this key proceeds, whatever
    /// its area and service.
    async fn lock_origin_key(&mut self, origin_key: &str) -> StoreResult<()>;
    /// Until the transaction ends, no other filing of this area and service proceeds.
    async fn lock_filings(&mut self, area_code: &str, service: &str) -> StoreResult<()>;

    /// What an outage filing decides on, read together: whether a report or ticket already
    /// holds its `origin_key`, and its area and service's current outage. A store may read
    /// both in one statement.
    async fn filing_context(
        &mut self,
        filing: &NewOutageFiling,
    ) -> StoreResult<(bool, Option<Outage>)> {
        let taken = outages::report_by_origin(self, &filing.origin_key)
            .await?
            .is_some()
            || tickets::ticket_by_origin(self, &filing.origin_key)
                .await?
                .is_some();
        let current = outages::current_outage(self, &filing.area_code, &filing.service).await?;
        Ok((taken, current))
    }

    /// Writes the report as given, unless another report or a ticket holds its reference, or
    /// another filing its `origin_key` (then nothing is written).
    async fn insert_new_report(&mut self, row: &NewReportRow<'_>) -> StoreResult<Insert> {
        outages::insert_new_report(self, row).await
    }
}

// ---------------------------------------------------------------------------------------------
// The rules

/// See [`crate::store::CrmStore::file_complaint`].
pub(crate) async fn file_complaint<S: FilingStore>(
    store: &S,
    ticket: &NewTicket,
) -> StoreResult<ComplaintFiling> {
    let Some(account_no) = ticket.account_no.as_deref() else {
        return Ok(ComplaintFiling::New(file_once(store, ticket).await?));
    };
    let mut tx = store.begin_filing().await?;
    // The lock first: what the first holder committed is then seen by every read below.
    tx.lock_complaints(account_no, &ticket.category).await?;
    if let Some(first) = ComplaintFiling::find(&mut *tx, &ticket.origin_key).await? {
        S::rollback(tx).await?;
        return Ok(first);
    }
    let written = match tickets::pending_ticket(&mut *tx, account_no, &ticket.category).await? {
        Some(pending) => called_again(&mut *tx, pending, ticket).await?,
        None => insert_ticket(&mut *tx, ticket, None)
            .await?
            .map(ComplaintFiling::New),
    };
    settle(store, tx, written, &ticket.origin_key).await
}

/// See [`crate::store::CrmStore::file_connection_request`].
pub(crate) async fn file_connection_request<S: FilingStore>(
    store: &S,
    request: &NewConnectionRequest,
) -> StoreResult<ComplaintFiling> {
    let ticket = request.ticket();
    let mut tx = store.begin_filing().await?;
    // The lock first: what the first holder committed is then seen by every read below.
    tx.lock_connection_requests(&request.area_code, &request.service)
        .await?;
    if let Some(first) = ComplaintFiling::find(&mut *tx, &ticket.origin_key).await? {
        S::rollback(tx).await?;
        return Ok(first);
    }
    let pending = tickets::pending_connection_request(
        &mut *tx,
        request.phone.as_deref(),
        request.account_no.as_deref(),
        &request.service,
        &request.area_code,
    )
    .await?;
    let written = match pending {
        Some(pending) => called_again(&mut *tx, pending, &ticket).await?,
        None => match insert_ticket(&mut *tx, &ticket, None).await? {
            Some(filed) => {
                tickets::insert_connection_request(&mut *tx, &filed.ticket_ref, request).await?;
                Some(ComplaintFiling::New(filed))
            }
            None => None,
        },
    };
    settle(store, tx, written, &ticket.origin_key).await
}

/// See [`crate::store::CrmStore::create_callback`].
pub(crate) async fn create_callback<S: FilingStore>(
    store: &S,
    callback: &NewCallback,
) -> StoreResult<i64> {
    let CallbackId(id) = file_once(store, callback).await?;
    Ok(id)
}

/// See [`crate::store::CrmStore::file_outage_report`].
pub(crate) async fn file_outage_report<S: FilingStore>(
    store: &S,
    filing: &NewOutageFiling,
    policy: &StormPolicy,
) -> StoreResult<OutageFiling> {
    // The locks are taken before anything is read, always in this order (so no two filings
    // wait on each other in a circle). A retry waits for its original whatever area it names:
    // otherwise one could file a ticket while the other files a report, two tables no unique
    // key spans. Each filing of an area and service then decides on what the previous one
    // committed.
    let mut tx = store.begin_outage_filing(filing).await?;
    let (taken, current) = tx.filing_context(filing).await?;
    if taken && let Some(first) = OutageFiling::find(&mut *tx, &filing.origin_key).await? {
        S::rollback(tx).await?;
        return Ok(first);
    }
    let outage = match current {
        Some(outage) => Some(outage),
        None => open_suspected_outage(&mut *tx, filing, policy).await?,
    };
    let written = match outage {
        Some(outage) => insert_report(&mut *tx, &report_of(filing, &outage.outage_id))
            .await?
            .map(|report| OutageFiling::Attached { report, outage }),
        None => {
            let area_service = Some((filing.area_code.as_str(), filing.service.as_str()));
            insert_ticket(&mut *tx, &outage_ticket(filing), area_service)
                .await?
                .map(OutageFiling::Ticket)
        }
    };
    // A key taken meanwhile, by another kind of filing (create_ticket), is answered with
    // what that filing wrote.
    settle(store, tx, written, &filing.origin_key).await
}

/// A filing made once per `origin_key`, that needs no lock or context before it is written:
/// a ticket ([`crate::store::CrmStore::create_ticket`]), a call-back, a report on a known
/// outage ([`crate::store::inspect::CrmInspect::report_outage`]).
pub(crate) trait FiledOnce {
    type Filed: Filed;
    fn origin_key(&self) -> &str;
    /// Writes the filing; `None` (and nothing written) when another filing holds the key.
    async fn write(&self, conn: &mut impl OutageRows) -> StoreResult<Option<Self::Filed>>;
}

/// Files `new` in a transaction of its own, unless its `origin_key` is filed already: then
/// that first filing, whatever this one says.
pub(crate) async fn file_once<S: FilingStore, N: FiledOnce>(
    store: &S,
    new: &N,
) -> StoreResult<N::Filed> {
    let mut tx = store.begin_filing().await?;
    if let Some(first) = <N::Filed as Filed>::find(&mut *tx, new.origin_key()).await? {
        S::rollback(tx).await?;
        return Ok(first);
    }
    let written = new.write(&mut *tx).await?;
    settle(store, tx, written, new.origin_key()).await
}

impl FiledOnce for NewTicket {
    type Filed = Ticket;
    fn origin_key(&self) -> &str {
        &self.origin_key
    }
    async fn write(&self, conn: &mut impl OutageRows) -> StoreResult<Option<Ticket>> {
        let place = self.place.as_ref();
        let area_service = place.map(|p| (p.area_code.as_str(), p.service.as_str()));
        insert_ticket(conn, self, area_service).await
    }
}

impl FiledOnce for NewCallback {
    type Filed = CallbackId;
    fn origin_key(&self) -> &str {
        &self.origin_key
    }
    async fn write(&self, conn: &mut impl OutageRows) -> StoreResult<Option<CallbackId>> {
        Ok(tickets::insert_callback(conn, self).await?.map(CallbackId))
    }
}

impl FiledOnce for NewOutageReport {
    type Filed = OutageReport;
    fn origin_key(&self) -> &str {
        &self.origin_key
    }
    async fn write(&self, conn: &mut impl OutageRows) -> StoreResult<Option<OutageReport>> {
        insert_report(conn, self).await
    }
}

/// Commits what was written; when `origin_key` turned out to be taken by a concurrent
/// transaction, undoes everything instead and returns that transaction's filing.
async fn settle<S: FilingStore, F: Filed>(
    store: &S,
    tx: S::Tx,
    written: Option<F>,
    origin_key: &str,
) -> StoreResult<F> {
    if let Some(filed) = written {
        S::commit(tx).await?;
        return Ok(filed);
    }
    S::rollback(tx).await?;
    let mut tx = store.begin_filing().await?;
    let first = F::find(&mut *tx, origin_key).await;
    S::rollback(tx).await?;
    first?
        .ok_or_else(|| StoreError::Corrupt("origin_key conflicted but no row holds it".to_string()))
}

/// What a filing returns, found again by its `origin_key`.
pub(crate) trait Filed: Sized {
    async fn find(conn: &mut impl Db, origin_key: &str) -> StoreResult<Option<Self>>;
}

impl Filed for Ticket {
    async fn find(conn: &mut impl Db, origin_key: &str) -> StoreResult<Option<Self>> {
        tickets::ticket_by_origin(conn, origin_key).await
    }
}

impl Filed for OutageReport {
    async fn find(conn: &mut impl Db, origin_key: &str) -> StoreResult<Option<Self>> {
        outages::report_by_origin(conn, origin_key).await
    }
}

/// A new ticket under this key, or the pending ticket a repeat under it was added to.
impl Filed for ComplaintFiling {
    async fn find(conn: &mut impl Db, origin_key: &str) -> StoreResult<Option<Self>> {
        if let Some(ticket) = tickets::ticket_by_origin(conn, origin_key).await? {
            return Ok(Some(ComplaintFiling::New(ticket)));
        }
        Ok(tickets::ticket_by_event_origin(conn, origin_key)
            .await?
            .map(ComplaintFiling::Repeat))
    }
}

pub(crate) struct CallbackId(i64);

impl Filed for CallbackId {
    async fn find(conn: &mut impl Db, origin_key: &str) -> StoreResult<Option<Self>> {
        Ok(tickets::callback_by_origin(conn, origin_key)
            .await?
            .map(CallbackId))
    }
}

/// A report (with its outage as it is now) or, for a key first used by a ticket, the ticket.
impl Filed for OutageFiling {
    async fn find(conn: &mut impl Db, origin_key: &str) -> StoreResult<Option<Self>> {
        if let Some(report) = outages::report_by_origin(conn, origin_key).await? {
            let outage = outages::outage(conn, &report.outage_id)
                .await?
                .ok_or_else(|| {
                    StoreError::Corrupt(format!("report of unknown outage {}", report.outage_id))
                })?;
            return Ok(Some(OutageFiling::Attached { report, outage }));
        }
        Ok(tickets::ticket_by_origin(conn, origin_key)
            .await?
            .map(OutageFiling::Ticket))
    }
}

/// Opens a suspected outage when this report makes a storm (see
/// [`crate::store::CrmStore::file_outage_report`]) and links the window's tickets to it. The
/// caller holds the area and service's filing lock, so one storm opens one outage.
async fn open_suspected_outage(
    conn: &mut impl Db,
    filing: &NewOutageFiling,
    policy: &StormPolicy,
) -> StoreResult<Option<Outage>> {
    if policy.threshold <= 0 {
        // Detection is off.
        return Ok(None);
    }
    let (area_code, service) = (filing.area_code.as_str(), filing.service.as_str());
    let since = window_start(filing.created_at, policy.window);
    let unlinked = outages::count_unlinked_outage_tickets(conn, area_code, service, since).await?;
    let Some(reports) = storm_reports(unlinked, policy) else {
        return Ok(None);
    };
    // An outage belongs to a known area; reports from anywhere else stay tickets.
    if !outages::area_exists(conn, area_code).await? {
        return Ok(None);
    }
    let mut outage = Outage {
        outage_id: String::new(),
        area_code: area_code.to_string(),
        service: service.to_string(),
        kind: OutageKind::Unplanned.as_str().to_string(),
        starts_at: whole_seconds(filing.created_at),
        expected_end: None,
        status: OutageStatus::Suspected.as_str().to_string(),
        cause: Some(suspected_cause(reports)),
    };
    for attempt in 1.. {
        outage.outage_id = suspected_outage_id(area_code, service, outage.starts_at, attempt);
        if outages::insert_outage(conn, &outage).await? {
            break;
        }
    }
    outages::link_outage_tickets(conn, area_code, service, since, &outage.outage_id).await?;
    Ok(Some(outage))
}

/// A repeat of `ticket` added to the pending ticket as a `customer_called_again` event;
/// `None` when `origin_key` is taken.
async fn called_again(
    conn: &mut impl Db,
    pending: Ticket,
    ticket: &NewTicket,
) -> StoreResult<Option<ComplaintFiling>> {
    let at = whole_seconds(ticket.created_at);
    let added = tickets::insert_called_again(conn, &pending.ticket_ref, at, &ticket.origin_key);
    Ok(added.await?.then_some(ComplaintFiling::Repeat(pending)))
}

/// Files `$filed` under a new reference, as the enclosing function's answer: draws numbers
/// into `$filed.$reference` until one is not taken yet (imported references may use a
/// candidate), each written by `$insert` (an [`Insert`]); `None` when the filing's
/// `origin_key` is taken. A macro rather than a function over an async closure: a closure
/// taking borrowed arguments makes the filing's future not provably `Send` (a limitation of
/// the compiler with higher-ranked closures), and the stores' futures must be.
macro_rules! insert_under_new_reference {
    ($conn:ident, $at:expr, $filed:ident.$reference:ident, $insert:expr) => {
        loop {
            $filed.$reference = new_reference($conn, $at).await?;
            match $insert {
                Insert::Written => return Ok(Some($filed)),
                Insert::KeyTaken => return Ok(None),
                Insert::ReferenceTaken => continue,
            }
        }
    };
}

/// Files a ticket with its `created` event; `None` when `origin_key` is taken.
async fn insert_ticket<C: TicketRows>(
    conn: &mut C,
    ticket: &NewTicket,
    area_service: Option<(&str, &str)>,
) -> StoreResult<Option<Ticket>> {
    let created_at = whole_seconds(ticket.created_at);
    let mut filed = Ticket {
        ticket_ref: String::new(),
        account_no: ticket.account_no.clone(),
        phone: ticket.phone.clone(),
        category: ticket.category.clone(),
        status: TicketStatus::Open.as_str().to_string(),
        channel: ticket.channel.clone(),
        created_at,
        sla_due_at: ticket.sla_due_at.map(whole_seconds),
        updated_at: created_at,
        note: ticket.note.clone(),
    };
    insert_under_new_reference!(conn, created_at, filed.ticket_ref, {
        let row = NewTicketRow {
            ticket: &filed,
            origin_key: &ticket.origin_key,
            area_service,
        };
        conn.insert_new_ticket(&row).await?
    })
}

/// Files a report on a known outage; `None` when `origin_key` is taken.
async fn insert_report<C: OutageRows>(
    conn: &mut C,
    report: &NewOutageReport,
) -> StoreResult<Option<OutageReport>> {
    let created_at = whole_seconds(report.created_at);
    let mut filed = OutageReport {
        reference: String::new(),
        outage_id: report.outage_id.clone(),
        account_no: report.account_no.clone(),
        phone: report.phone.clone(),
        channel: report.channel.clone(),
        created_at,
    };
    insert_under_new_reference!(conn, created_at, filed.reference, {
        let row = NewReportRow {
            report: &filed,
            origin_key: &report.origin_key,
        };
        conn.insert_new_report(&row).await?
    })
}

/// A reference from the next number of the shared sequence (not checked against existing
/// ones: the inserts refuse a taken reference).
async fn new_reference(conn: &mut impl Db, at: DateTime<Utc>) -> StoreResult<String> {
    let number = usage::next_reference_number(conn).await?;
    Ok(reference::new_reference(at, number.max(0) as u64))
}

// ---------------------------------------------------------------------------------------------
// Prepaid tokens and meter readings: filed once per request, over the statements of `usage.rs`

/// See [`crate::store::CrmStore::resend_token`]. Each statement is a transaction of its own on
/// PostgreSQL: a retry racing its original waits on the SMS's unique key, and then reads the
/// row the original committed.
pub(crate) async fn resend_token(
    db: &mut impl Db,
    request: &TokenResend,
) -> StoreResult<Option<Vend>> {
    let key = token_resend_key(&request.origin_key);
    usage::queue_latest_token(db, &key, &request.phone, &request.account_no).await?;
    usage::vend_queued_under(db, &key).await
}

/// The SMS of a token resend is queued under its request's key: one SMS per request,
/// whatever the retries.
pub(crate) fn token_resend_key(origin_key: &str) -> String {
    format!("token:{origin_key}")
}

/// See [`crate::store::CrmStore::submit_meter_reading`]. A retry racing its original waits on
/// the key's unique index, writes nothing, and reads the original's reading.
pub(crate) async fn submit_meter_reading(
    db: &mut impl Db,
    new: &NewMeterReading,
) -> StoreResult<MeterReading> {
    if let Some(first) = usage::reading_by_origin(db, &new.origin_key).await? {
        return Ok(first);
    }
    let number = usage::next_reference_number(db).await?;
    let reading = self_reading(new, reference::new_reference(new.at, number.max(0) as u64));
    if usage::insert_reading(db, &reading, new).await? {
        return Ok(reading);
    }
    usage::reading_by_origin(db, &new.origin_key)
        .await?
        .ok_or_else(|| StoreError::Corrupt("origin_key conflicted but no row holds it".into()))
}

/// The reading a caller's index is stored as, under `reference`.
fn self_reading(new: &NewMeterReading, reference: String) -> MeterReading {
    MeterReading {
        reading_id: reference,
        account_no: new.account_no.clone(),
        meter_no: new.meter_no.clone(),
        read_on: new.read_on,
        reading: new.reading,
        source: "customer".to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// Pure parts

/// The stores keep time to the second; what a filing returns is what a retry reads back.
pub(crate) fn whole_seconds(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(0)
}

/// The earliest `created_at` of an outage ticket that still counts towards a storm when a
/// report is filed `at` (whole seconds, as the stores keep time). A window too large for the
/// calendar counts every ticket since 1970.
pub(crate) fn window_start(at: DateTime<Utc>, window: chrono::Duration) -> DateTime<Utc> {
    at.trunc_subsecs(0)
        .checked_sub_signed(window.max(chrono::Duration::zero()))
        .map(|t| t.max(DateTime::UNIX_EPOCH))
        .unwrap_or(DateTime::UNIX_EPOCH)
        .trunc_subsecs(0)
}

/// How many reports a suspected outage opened now would gather (the `unlinked` window tickets
/// plus the report being filed), or `None` when they are too few, or detection is off.
pub(crate) fn storm_reports(unlinked: i64, policy: &StormPolicy) -> Option<i64> {
    let reports = unlinked.saturating_add(1);
    (policy.threshold > 0 && reports >= policy.threshold).then_some(reports)
}

/// `SUS-<area_code>-<service>-<YYYYMMDDHHMMSS>`; a later `attempt` (the id is held by an
/// earlier suspected outage of the same second, since resolved) appends `-<attempt>`.
pub(crate) fn suspected_outage_id(
    area_code: &str,
    service: &str,
    at: DateTime<Utc>,
    attempt: u32,
) -> String {
    let id = format!("SUS-{area_code}-{service}-{}", at.format("%Y%m%d%H%M%S"));
    if attempt > 1 {
        format!("{id}-{attempt}")
    } else {
        id
    }
}

pub(crate) fn suspected_cause(reports: i64) -> String {
    format!("suspected: {reports} reports by phone")
}

/// The report a filing attaches to a known or suspected outage.
fn report_of(filing: &NewOutageFiling, outage_id: &str) -> NewOutageReport {
    NewOutageReport {
        origin_key: filing.origin_key.clone(),
        outage_id: outage_id.to_string(),
        account_no: filing.account_no.clone(),
        phone: filing.phone.clone(),
        channel: filing.channel.clone(),
        created_at: filing.created_at,
    }
}

/// The `outage` ticket a report becomes when no outage is known or suspected.
fn outage_ticket(filing: &NewOutageFiling) -> NewTicket {
    NewTicket {
        origin_key: filing.origin_key.clone(),
        account_no: filing.account_no.clone(),
        phone: filing.phone.clone(),
        category: "outage".to_string(),
        channel: filing.channel.clone(),
        created_at: filing.created_at,
        sla_due_at: filing.sla_due_at,
        note: filing.note.clone(),
        // The outage filing passes its area and service to `insert_ticket` itself.
        place: None,
    }
}

// ---------------------------------------------------------------------------------------------
// Following up with customers: the rules of the SMS schedules and of what customers send back,
// over the outbox's statements (`store/outbox.rs`). Each runs in one transaction (the embedded
// writer's unit of work, or a PostgreSQL transaction), the schedules under a lock of their own
// on PostgreSQL, so that instances sharing a database take turns.

use super::outbox::{self, Invitation, ResolutionQuestion, SurveyScan};
use crate::contracts::OutboxKind;

const ESCALATION_LOCK: i64 = 7_400_313;
const SURVEY_LOCK: i64 = 7_400_314;

/// Escalation levels: level 1 as soon as a ticket still open (or in progress) is past its
/// SLA; level 2 once its level 1 is `level_two_after` old; each level once per ticket. Returns
/// how many tickets reached each level.
pub(crate) async fn escalate_late_tickets<D: Db>(
    db: &mut D,
    now: DateTime<Utc>,
    level_two_after: chrono::Duration,
) -> StoreResult<(u64, u64)> {
    outbox::lock_schedule(db, ESCALATION_LOCK).await?;
    let first = outbox::escalate_past_sla(db, now, now).await?;
    let second = outbox::escalate_again(db, now, now - level_two_after).await?;
    Ok((first, second))
}

/// Planned-outage notices: every customer with a phone in the area and service of a scheduled
/// outage starting within the next `horizon` is told once per outage (one message per phone,
/// whatever its accounts). Returns the messages queued.
pub(crate) async fn queue_planned_notices(
    db: &mut impl Db,
    now: DateTime<Utc>,
    horizon: DateTime<Utc>,
) -> StoreResult<u64> {
    outbox::queue_planned_notices(db, now, horizon).await
}

/// Survey invitations: each interaction is looked at once (a cursor); a phone whose ended USSD
/// session's outcome begins with one of `outcomes` is invited, for its newest such session,
/// unless it was invited within `every` or opted out; each invitation queues one message.
/// Returns how many were invited.
pub(crate) async fn queue_surveys<D: Db>(
    db: &mut D,
    now: DateTime<Utc>,
    every: chrono::Duration,
    outcomes: &[String],
) -> StoreResult<u64> {
    outbox::lock_schedule(db, SURVEY_LOCK).await?;
    let after = outbox::survey_cursor(db).await?;
    let through = outbox::last_interaction(db).await?;
    if through == after {
        return Ok(0);
    }
    let invited = if outcomes.is_empty() || through < after {
        0
    } else {
        let scan = SurveyScan {
            after,
            through,
            outcome_prefixes: outcomes,
            at: now,
            not_invited_since: now - every,
        };
        outbox::invite_to_surveys(db, &scan).await?
    };
    // Invitations of the range are this scan's only (the cursor moves with them).
    if invited > 0 {
        outbox::queue_survey_messages(db, after, through).await?;
    }
    outbox::set_survey_cursor(db, through).await?;
    Ok(invited)
}

/// Opt-outs: a phone opts out once, and that first time is confirmed by one message (sent
/// despite the opt-out: see `notify::messages::is_essential`); from then on it is invited to
/// no survey, by SMS or in a call. False when the phone had opted out already.
pub(crate) async fn opt_out(
    db: &mut impl Db,
    phone: &str,
    word: &str,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    if !outbox::add_opt_out(db, phone, word, now).await? {
        return Ok(false);
    }
    let key = format!("opted-out:{phone}:{}", now.timestamp());
    outbox::queue(db, &key, OutboxKind::OptedOut.as_str(), phone, None).await?;
    Ok(true)
}

/// A survey reply that is no score is told how to answer, once per invitation. False when it
/// was told already.
pub(crate) async fn queue_survey_help(
    db: &mut impl Db,
    invitation: &Invitation,
    phone: &str,
) -> StoreResult<bool> {
    if !outbox::mark_survey_help_sent(db, invitation.id).await? {
        return Ok(false);
    }
    let key = format!("survey-help:{}", invitation.id);
    let account_no = invitation.account_no.as_deref();
    outbox::queue(db, &key, OutboxKind::SurveyHelp.as_str(), phone, account_no).await?;
    Ok(true)
}

/// "Was it solved?": the answer is a `customer_reply` event, and "not solved" opens the
/// resolved ticket again.
pub(crate) async fn answer_resolution(
    db: &mut impl Db,
    question: &ResolutionQuestion,
    solved: bool,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let reply = if solved { "solved" } else { "not solved" };
    outbox::add_customer_reply(db, &question.ticket_ref, now, reply).await?;
    if !solved {
        outbox::reopen_resolved(db, &question.ticket_ref, now).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn storm_thresholds_and_windows() {
        let policy = StormPolicy {
            threshold: 5,
            window: chrono::Duration::minutes(15),
        };
        assert_eq!(storm_reports(3, &policy), None);
        assert_eq!(storm_reports(4, &policy), Some(5));
        assert_eq!(storm_reports(7, &policy), Some(8));
        let one = StormPolicy {
            threshold: 1,
            ..policy
        };
        assert_eq!(storm_reports(0, &one), Some(1));
        for off in [0, -3] {
            let off = StormPolicy {
                threshold: off,
                ..policy
            };
            assert_eq!(storm_reports(1_000, &off), None);
        }
        assert_eq!(
            window_start(t("2026-11-22T10:00:00.900Z"), policy.window),
            t("2026-11-22T09:45:00Z")
        );
        assert_eq!(
            window_start(t("2026-11-22T10:00:00Z"), chrono::Duration::MAX),
            DateTime::UNIX_EPOCH
        );
        assert_eq!(
            window_start(t("2026-11-22T10:00:00Z"), -chrono::Duration::minutes(5)),
            t("2026-11-22T10:00:00Z")
        );
        assert_eq!(
            suspected_outage_id("SN-DKR-PKN", "water", t("2026-11-22T10:04:05Z"), 1),
            "SUS-SN-DKR-PKN-water-20261122100405"
        );
        assert_eq!(
            suspected_outage_id("SN-DKR-PKN", "water", t("2026-11-22T10:04:05Z"), 2),
            "SUS-SN-DKR-PKN-water-20261122100405-2"
        );
        assert_eq!(suspected_cause(5), "suspected: 5 reports by phone");
    }

    #[test]
    fn filings_keep_whole_seconds() {
        assert_eq!(
            whole_seconds(t("2026-11-22T10:00:00.987654Z")),
            t("2026-11-22T10:00:00Z")
        );
    }
}
