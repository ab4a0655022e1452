//! The SMS outbox and what feeds it, behind one trait: rows are written by the database's
//! triggers in the transaction of what caused them (a ticket, a report, a status change), or
//! by the schedules (planned-outage notices, escalations, surveys; their rules are in
//! `store/rules.rs`); senders claim due rows (each row by one sender at a time, across
//! instances), and record what became of each.
//!
//! Each statement is written once below, for both databases ([`Db`]); `sqlite/outbox.rs` and
//! `postgres/outbox.rs` only say where each runs (the embedded writer thread or a read
//! connection; a pooled connection or a transaction).

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use super::StoreResult;
use super::sql::{Arg, Db, Dialect, FromRow, Row, args, placeholders, statements};
use crate::contracts::Channel;

/// Which message a delivery report is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageRef {
    /// The outbox id dalal gave the gateway (Kannel's `dlr-url`).
    Outbox(i64),
    /// The gateway's own id, from its answer to the send (Africa's Talking).
    Gateway(String),
}

/// Where a message stands, as a delivery report says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// On the handset.
    Delivered,
    /// It will not arrive.
    Failed,
    /// Taken by the network, not yet delivered (an intermediate report).
    Pending,
}

impl Delivery {
    /// The word the outbox stores and matches on.
    pub fn as_str(self) -> &'static str {
        match self {
            Delivery::Delivered => "delivered",
            Delivery::Failed => "failed",
            Delivery::Pending => "pending",
        }
    }
}

/// One message to send, as claimed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    pub id: i64,
    /// ticket_filed, outage_reported, callback_requested, ticket_status, ticket_late,
    /// planned_outage, outage_restored, survey, survey_help, opted_out.
    pub kind: String,
    pub phone: String,
    pub account_no: Option<String>,
    pub ticket_ref: Option<String>,
    pub outage_id: Option<String>,
    pub reference: Option<String>,
    pub detail: Option<String>,
    /// Sends tried so far.
    pub attempts: i64,
}

/// A message's text as sent, stored with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub language: String,
    pub body: String,
    /// `gsm7` or `ucs2`.
    pub encoding: &'static str,
    pub segments: i64,
}

/// How many customers of one language a planned-outage notice reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audience {
    pub outage_id: String,
    /// The customers' preferred language, `None` when they never chose one.
    pub language: Option<String>,
    pub customers: i64,
}

/// The survey invitation a reply answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub id: i64,
    pub account_no: Option<String>,
    /// The session surveyed by SMS; `None` for a survey asked in a call.
    pub interaction_id: Option<i64>,
    pub channel: String,
    pub language: Option<String>,
    pub help_sent: bool,
    pub asked_at: DateTime<Utc>,
}

/// A "resolved: was it solved? reply 1 yes, 2 no" message awaiting its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolutionQuestion {
    pub ticket_ref: String,
    pub asked_at: DateTime<Utc>,
}

#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Takes up to `limit` due rows (queued and due, or taken by a sender whose claim ran out)
    /// for `worker` until `until`; no other sender gets them meanwhile.
    async fn claim_due(
        &self,
        worker: &str,
        limit: i64,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<Vec<OutboxRow>>;
    /// The gateway took it.
    async fn mark_sent(
        &self,
        id: i64,
        gateway: &str,
        gateway_message_id: Option<&str>,
        text: &Rendered,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Failed for now: queued again for `retry_at`, one more attempt counted.
    async fn mark_retry(
        &self,
        id: i64,
        text: &Rendered,
        error: &str,
        retry_at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Failed for good.
    async fn mark_failed(&self, id: i64, text: Option<&Rendered>, error: &str) -> StoreResult<()>;
    /// Not to be sent (the phone opted out, nothing left to say).
    async fn mark_suppressed(&self, id: i64, why: &str) -> StoreResult<()>;
    /// Back in the queue until `until` without an attempt counted (quiet hours).
    async fn defer(&self, id: i64, until: DateTime<Utc>) -> StoreResult<()>;
    /// A delivery report; false when no message has that id.
    async fn record_delivery(
        &self,
        message: &MessageRef,
        delivery: Delivery,
        detail: Option<&str>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;

    async fn is_opted_out(&self, phone: &str) -> StoreResult<bool>;
    /// Records an opt-out and queues its confirmation; false when the phone had opted out.
    async fn opt_out(&self, phone: &str, word: &str, now: DateTime<Utc>) -> StoreResult<bool>;

    /// Queues one notice per customer (with a phone) of the area and service of every
    /// scheduled outage starting before `horizon`, once per customer per outage. Returns the
    /// rows queued.
    async fn queue_planned_notices(
        &self,
        now: DateTime<Utc>,
        horizon: DateTime<Utc>,
    ) -> StoreResult<u64>;
    /// Who those notices would reach, not yet told, by outage and language.
    async fn planned_notice_audience(
        &self,
        now: DateTime<Utc>,
        horizon: DateTime<Utc>,
    ) -> StoreResult<Vec<Audience>>;
    /// Escalates tickets still open (or in progress) past their SLA: level 1 at once, level 2
    /// once level 1 is `level_two_after` old (each a `ticket_events` row, `escalated`, detail
    /// `1` or `2`). Returns how many of each.
    async fn escalate_late_tickets(
        &self,
        now: DateTime<Utc>,
        level_two_after: Duration,
    ) -> StoreResult<(u64, u64)>;
    /// Queues a survey for interactions recorded since the last scan whose outcome begins with
    /// one of `outcomes` (`latest_bill:found`, `file_complaint:filed`...), at most one per
    /// phone per `every` (and none for opted-out phones).
    async fn queue_surveys(
        &self,
        now: DateTime<Utc>,
        every: Duration,
        outcomes: &[String],
    ) -> StoreResult<u64>;
    /// The newest unanswered survey invitation of `phone` since `since`.
    async fn open_invitation(
        &self,
        phone: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<Option<Invitation>>;
    /// Stores an answer and closes its invitation.
    async fn answer_survey(
        &self,
        invitation: &Invitation,
        phone: &str,
        score: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Records that a caller is asked the survey in the call (it counts as the phone's survey
    /// for `survey_every_days`); the invitation the answer closes.
    async fn invite_in_call(
        &self,
        phone: &str,
        account_no: Option<&str>,
        language: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Invitation>;
    /// Whether the phone was asked a survey (by SMS or in a call) since `since`, or opted out.
    async fn surveyed_since(&self, phone: &str, since: DateTime<Utc>) -> StoreResult<bool>;
    /// The newest unanswered "was it solved?" message sent to `phone` since `since`.
    async fn resolution_question(
        &self,
        phone: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<Option<ResolutionQuestion>>;
    /// The customer's answer to it: a `customer_reply` event on the ticket, and when it was
    /// not solved, the ticket opened again (which tells the customer, as any status change).
    async fn answer_resolution(
        &self,
        question: &ResolutionQuestion,
        solved: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Queues the "how to answer" message once per invitation; false when it was sent already.
    async fn queue_survey_help(&self, invitation: &Invitation, phone: &str) -> StoreResult<bool>;

    /// Rows by state (`queued`, `sending`, `delivered`, ...), for the metrics.
    async fn depth(&self) -> StoreResult<Vec<(String, i64)>>;
}

/// `impl OutboxStore for $store`: every method as the SQL stores run it. `$run!` is the
/// database's (see [`crate::store::delegate!`]).
macro_rules! impl_outbox_store {
    ($store:ty, run by $run:ident) => {
        const _: () = {
            use chrono::{DateTime, Duration, Utc};
            use $crate::store::outbox::{self, *};
            use $crate::store::rules;
            $crate::store::delegate! {
                #[async_trait::async_trait]
                impl OutboxStore for $store, run by $run {
                    claim_due(worker: &str, limit: i64, now: DateTime<Utc>, until: DateTime<Utc>) -> Vec<OutboxRow> = write outbox::claim_due;
                    mark_sent(id: i64, gateway: &str, gateway_message_id: Option<&str>, text: &Rendered, now: DateTime<Utc>) -> () = write outbox::mark_sent;
                    mark_retry(id: i64, text: &Rendered, error: &str, retry_at: DateTime<Utc>) -> () = write outbox::mark_retry;
                    mark_failed(id: i64, text: Option<&Rendered>, error: &str) -> () = write outbox::mark_failed;
                    mark_suppressed(id: i64, why: &str) -> () = write outbox::mark_suppressed;
                    defer(id: i64, until: DateTime<Utc>) -> () = write outbox::defer;
                    record_delivery(message: &MessageRef, delivery: Delivery, detail: Option<&str>, now: DateTime<Utc>) -> bool = write outbox::record_delivery;
                    is_opted_out(phone: &str) -> bool = read outbox::is_opted_out;
                    opt_out(phone: &str, word: &str, now: DateTime<Utc>) -> bool = unit rules::opt_out;
                    queue_planned_notices(now: DateTime<Utc>, horizon: DateTime<Utc>) -> u64 = write rules::queue_planned_notices;
                    planned_notice_audience(now: DateTime<Utc>, horizon: DateTime<Utc>) -> Vec<Audience> = read outbox::planned_notice_audience;
                    escalate_late_tickets(now: DateTime<Utc>, level_two_after: Duration) -> (u64, u64) = unit rules::escalate_late_tickets;
                    queue_surveys(now: DateTime<Utc>, every: Duration, outcomes: &[String]) -> u64 = unit rules::queue_surveys;
                    open_invitation(phone: &str, since: DateTime<Utc>) -> Option<Invitation> = read outbox::open_invitation;
                    answer_survey(invitation: &Invitation, phone: &str, score: i64, now: DateTime<Utc>) -> () = unit outbox::answer_survey;
                    invite_in_call(phone: &str, account_no: Option<&str>, language: &str, now: DateTime<Utc>) -> Invitation = write outbox::invite_in_call;
                    surveyed_since(phone: &str, since: DateTime<Utc>) -> bool = read outbox::surveyed_since;
                    resolution_question(phone: &str, since: DateTime<Utc>) -> Option<ResolutionQuestion> = read outbox::resolution_question;
                    answer_resolution(question: &ResolutionQuestion, solved: bool, now: DateTime<Utc>) -> () = unit rules::answer_resolution;
                    queue_survey_help(invitation: &Invitation, phone: &str) -> bool = unit rules::queue_survey_help;
                    depth() -> Vec<(String, i64)> = read outbox::depth;
                }
            }
        };
    };
}
pub(crate) use impl_outbox_store;

// ---------------------------------------------------------------------------------------------
// Rows

impl FromRow for OutboxRow {
    /// `id, kind, phone, account_no, ticket_ref, outage_id, reference, detail, attempts`.
    fn from_row(r: &impl Row) -> StoreResult<Self> {
        Ok(OutboxRow {
            id: r.int(0)?,
            kind: r.text(1)?,
            phone: r.text(2)?,
            account_no: r.opt_text(3)?,
            ticket_ref: r.opt_text(4)?,
            outage_id: r.opt_text(5)?,
            reference: r.opt_text(6)?,
            detail: r.opt_text(7)?,
            attempts: r.int(8)?,
        })
    }
}

impl FromRow for Audience {
    fn from_row(r: &impl Row) -> StoreResult<Self> {
        Ok(Audience {
            outage_id: r.text(0)?,
            language: r.opt_text(1)?,
            customers: r.int(2)?,
        })
    }
}

impl FromRow for Invitation {
    /// `id, account_no, interaction_id, channel, language, help_sent, created_at`.
    fn from_row(r: &impl Row) -> StoreResult<Self> {
        Ok(Invitation {
            id: r.int(0)?,
            account_no: r.opt_text(1)?,
            interaction_id: r.opt_int(2)?,
            channel: r.text(3)?,
            language: r.opt_text(4)?,
            help_sent: r.boolean(5)?,
            asked_at: r.time(6)?,
        })
    }
}

impl FromRow for ResolutionQuestion {
    fn from_row(r: &impl Row) -> StoreResult<Self> {
        Ok(ResolutionQuestion {
            ticket_ref: r.text(0)?,
            asked_at: r.time(1)?,
        })
    }
}

/// Rows of one state, for [`OutboxStore::depth`].
struct StateCount(String, i64);

impl FromRow for StateCount {
    fn from_row(r: &impl Row) -> StoreResult<Self> {
        Ok(StateCount(r.text(0)?, r.int(1)?))
    }
}

// ---------------------------------------------------------------------------------------------
// Sending

/// See [`OutboxStore::claim_due`]. On PostgreSQL the rows are locked as they are picked, and
/// rows another sender is picking are skipped; SQLite's one writer needs no lock.
pub(crate) async fn claim_due<D: Db>(
    db: &mut D,
    worker: &str,
    limit: i64,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> StoreResult<Vec<OutboxRow>> {
    let sql = format!(
        "UPDATE sms_outbox SET state = 'sending', claimed_by = $1, claimed_until = $2 \
         WHERE id IN (SELECT id FROM sms_outbox \
                      WHERE (state = 'queued' AND next_attempt_at <= $3) \
                         OR (state = 'sending' AND claimed_until < $3) \
                      ORDER BY id LIMIT $4{}) \
         RETURNING id, kind, phone, account_no, ticket_ref, outage_id, reference, detail, attempts",
        D::DIALECT.skip_locked()
    );
    let mut claimed: Vec<OutboxRow> = db.fetch_all(&sql, args![worker, until, now, limit]).await?;
    // `RETURNING` promises no order.
    claimed.sort_by_key(|r| r.id);
    Ok(claimed)
}

statements! {
    /// See [`OutboxStore::mark_sent`]. A delivery report may have come first.
    pub(crate) fn mark_sent(
        id: i64,
        gateway: &str,
        gateway_message_id: Option<&str>,
        text: &Rendered,
        now: DateTime<Utc>,
    ) = execute
        "UPDATE sms_outbox SET state = CASE WHEN state = 'delivered' THEN state ELSE 'sent' END, \
         gateway = $1, gateway_message_id = $2, language = $3, body = $4, encoding = $5, \
         segments = $6, attempts = attempts + 1, sent_at = $7, claimed_until = NULL, \
         last_error = NULL WHERE id = $8",
        args![
            gateway,
            gateway_message_id,
            &text.language,
            &text.body,
            text.encoding,
            text.segments,
            now,
            id
        ];

    /// See [`OutboxStore::mark_retry`].
    pub(crate) fn mark_retry(
        id: i64,
        text: &Rendered,
        error: &str,
        retry_at: DateTime<Utc>,
    ) = execute
        "UPDATE sms_outbox SET state = 'queued', attempts = attempts + 1, last_error = $1, \
         next_attempt_at = $2, claimed_until = NULL, language = $3, body = $4, \
         encoding = $5, segments = $6 WHERE id = $7",
        args![
            error,
            retry_at,
            &text.language,
            &text.body,
            text.encoding,
            text.segments,
            id
        ];

    /// See [`OutboxStore::mark_failed`].
    pub(crate) fn mark_failed(id: i64, text: Option<&Rendered>, error: &str) = execute
        "UPDATE sms_outbox SET state = 'failed', attempts = attempts + 1, last_error = $1, \
         claimed_until = NULL, language = coalesce($2, language), \
         body = coalesce($3, body), encoding = coalesce($4, encoding), \
         segments = coalesce($5, segments) WHERE id = $6",
        args![
            error,
            text.map(|t| t.language.as_str()),
            text.map(|t| t.body.as_str()),
            text.map(|t| t.encoding),
            text.map(|t| t.segments),
            id
        ];

    /// See [`OutboxStore::mark_suppressed`].
    pub(crate) fn mark_suppressed(id: i64, why: &str) = execute
        "UPDATE sms_outbox SET state = 'suppressed', last_error = $1, claimed_until = NULL \
         WHERE id = $2",
        args![why, id];

    /// See [`OutboxStore::defer`].
    pub(crate) fn defer(id: i64, until: DateTime<Utc>) = execute
        "UPDATE sms_outbox SET state = 'queued', next_attempt_at = $1, claimed_until = NULL \
         WHERE id = $2",
        args![until, id];
}

/// A delivery report's update of the message named by `$4`. A report proves the gateway took
/// the message, whatever the sender recorded.
macro_rules! record_delivery_where {
    ($message:literal) => {
        concat!(
            "UPDATE sms_outbox SET \
               state = CASE $1 WHEN 'delivered' THEN 'delivered' WHEN 'failed' THEN 'failed' \
                       ELSE CASE WHEN state IN ('queued', 'sending') THEN 'sent' ELSE state END END, \
               delivered_at = CASE $1 WHEN 'delivered' THEN $2 ELSE delivered_at END, \
               sent_at = coalesce(sent_at, $2), claimed_until = NULL, \
               last_error = CASE $1 WHEN 'failed' THEN $3 ELSE last_error END \
             WHERE ",
            $message
        )
    };
}

/// See [`OutboxStore::record_delivery`].
pub(crate) async fn record_delivery(
    db: &mut impl Db,
    message: &MessageRef,
    delivery: Delivery,
    detail: Option<&str>,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let changed = match message {
        MessageRef::Outbox(id) => {
            let sql = record_delivery_where!("id = $4");
            db.execute(sql, args![delivery.as_str(), now, detail, *id])
                .await?
        }
        MessageRef::Gateway(id) => {
            let sql = record_delivery_where!("gateway_message_id = $4");
            db.execute(sql, args![delivery.as_str(), now, detail, id])
                .await?
        }
    };
    Ok(changed > 0)
}

/// See [`OutboxStore::depth`].
pub(crate) async fn depth(db: &mut impl Db) -> StoreResult<Vec<(String, i64)>> {
    let rows: Vec<StateCount> = db
        .fetch_all(
            "SELECT state, COUNT(*) FROM sms_outbox GROUP BY state",
            args![],
        )
        .await?;
    Ok(rows.into_iter().map(|StateCount(s, n)| (s, n)).collect())
}

statements! {
    /// Queues one message, unless a message with its `dedupe_key` was queued already (then
    /// nothing is written).
    pub(crate) fn queue(
        dedupe_key: &str,
        kind: &str,
        phone: &str,
        account_no: Option<&str>,
    ) = execute
        "INSERT INTO sms_outbox (dedupe_key, kind, phone, account_no) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (dedupe_key) DO NOTHING";
}

// ---------------------------------------------------------------------------------------------
// Schedules: the statements the rules of `store/rules.rs` decide with

/// Until the transaction ends, no other instance runs the schedule `key` (PostgreSQL; the
/// embedded store has one writer and needs nothing).
pub(crate) async fn lock_schedule<D: Db>(db: &mut D, key: i64) -> StoreResult<()> {
    if D::DIALECT == Dialect::Postgres {
        db.execute("SELECT pg_advisory_xact_lock($1)", args![key])
            .await?;
    }
    Ok(())
}

statements! {
    /// Escalates (level 1) each ticket still open or in progress whose SLA ran out before
    /// `due_before` and that was never escalated; how many.
    pub(crate) fn escalate_past_sla(at: DateTime<Utc>, due_before: DateTime<Utc>) -> u64 = execute
        "INSERT INTO ticket_events (ticket_ref, at, event, detail) \
         SELECT t.ticket_ref, $1, 'escalated', '1' FROM tickets t \
         WHERE t.status IN ('open', 'in_progress') AND t.sla_due_at IS NOT NULL \
           AND t.sla_due_at < $2 \
           AND NOT EXISTS (SELECT 1 FROM ticket_events e WHERE e.ticket_ref = t.ticket_ref \
                           AND e.event = 'escalated')";

    /// Escalates to level 2 each ticket still open or in progress escalated to level 1 at or
    /// before `level_one_by`, and not yet to level 2; how many.
    pub(crate) fn escalate_again(at: DateTime<Utc>, level_one_by: DateTime<Utc>) -> u64 = execute
        "INSERT INTO ticket_events (ticket_ref, at, event, detail) \
         SELECT t.ticket_ref, $1, 'escalated', '2' FROM tickets t \
         WHERE t.status IN ('open', 'in_progress') \
           AND EXISTS (SELECT 1 FROM ticket_events e WHERE e.ticket_ref = t.ticket_ref \
                       AND e.event = 'escalated' AND e.detail = '1' AND e.at <= $2) \
           AND NOT EXISTS (SELECT 1 FROM ticket_events e WHERE e.ticket_ref = t.ticket_ref \
                           AND e.event = 'escalated' AND e.detail = '2')";
}

/// The customers (with a phone) of the area and service of each scheduled outage starting in
/// (`$1`, `$2`], as `o` and `c`. A customer's notice of an outage is keyed
/// `planned:<outage>:<phone>`: one per customer per outage, whatever the accounts.
macro_rules! planned_audience {
    () => {
        "FROM outages o JOIN customers c \
           ON c.area_code = o.area_code AND c.service = o.service \
         WHERE o.status = 'scheduled' AND o.starts_at > $1 AND o.starts_at <= $2 \
           AND c.phone IS NOT NULL"
    };
}

statements! {
    /// Queues the planned-outage notices of outages starting in (`after`, `until`] not queued
    /// yet; how many.
    pub(crate) fn queue_planned_notices(
        after: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> u64 = execute
        concat!(
            "INSERT INTO sms_outbox (dedupe_key, kind, phone, account_no, outage_id) \
             SELECT 'planned:' || o.outage_id || ':' || c.phone, 'planned_outage', c.phone, \
                    min(c.account_no), o.outage_id ",
            planned_audience!(),
            " GROUP BY o.outage_id, c.phone ON CONFLICT (dedupe_key) DO NOTHING"
        );

    /// See [`OutboxStore::planned_notice_audience`].
    pub(crate) fn planned_notice_audience(
        after: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Vec<Audience> = all
        concat!(
            "SELECT o.outage_id, c.language, count(DISTINCT c.phone) ",
            planned_audience!(),
            " AND NOT EXISTS (SELECT 1 FROM sms_outbox s \
                              WHERE s.dedupe_key = 'planned:' || o.outage_id || ':' || c.phone) \
             GROUP BY o.outage_id, c.language ORDER BY o.outage_id, c.language"
        );

    /// Where the survey scan stopped: the last interaction id it read.
    pub(crate) fn survey_cursor() -> i64 = one
        "SELECT coalesce((SELECT position FROM notify_cursors WHERE name = 'surveys'), 0)";

    pub(crate) fn set_survey_cursor(position: i64) = execute
        "INSERT INTO notify_cursors (name, position) VALUES ('surveys', $1) \
         ON CONFLICT (name) DO UPDATE SET position = excluded.position";

    /// The newest interaction's id, 0 when there is none.
    pub(crate) fn last_interaction() -> i64 = one
        "SELECT coalesce(max(id), 0) FROM interactions";
}

/// Which interactions a survey scan invites, and when.
pub(crate) struct SurveyScan<'a> {
    /// Interactions with an id in (`after`, `through`].
    pub(crate) after: i64,
    pub(crate) through: i64,
    /// Qualifying outcomes begin with one of these (not empty).
    pub(crate) outcome_prefixes: &'a [String],
    pub(crate) at: DateTime<Utc>,
    /// A phone invited after this is not invited again.
    pub(crate) not_invited_since: DateTime<Utc>,
}

/// Invites the phone of the newest ended USSD session of the scan with a qualifying outcome,
/// per phone, unless the phone was invited since `not_invited_since` or opted out; how many.
pub(crate) async fn invite_to_surveys(db: &mut impl Db, scan: &SurveyScan<'_>) -> StoreResult<u64> {
    let prefixes = scan.outcome_prefixes.len();
    // A prefix is compared as text, not as a `LIKE` pattern: `%` and `_` are just characters.
    let any_outcome = (4..4 + prefixes)
        .map(|n| format!("substr(outcome, 1, length(${n})) = ${n}"))
        .collect::<Vec<_>>()
        .join(" OR ");
    let sql = format!(
        "INSERT INTO survey_invitations \
           (phone, account_no, interaction_id, channel, language, created_at) \
         SELECT i.phone, i.account_no, i.id, i.channel, i.language, $1 FROM interactions i \
         WHERE i.id IN (SELECT max(id) FROM interactions \
                        WHERE id > $2 AND id <= $3 AND ended AND channel = 'ussd' \
                          AND ({any_outcome}) GROUP BY phone) \
           AND NOT EXISTS (SELECT 1 FROM survey_invitations v \
                           WHERE v.phone = i.phone AND v.created_at > {}) \
           AND NOT EXISTS (SELECT 1 FROM sms_opt_outs x WHERE x.phone = i.phone) \
         ON CONFLICT (interaction_id) DO NOTHING",
        placeholders(4 + prefixes, 1)
    );
    let mut bound: Vec<Arg<'_>> = Vec::with_capacity(4 + prefixes);
    bound.extend_from_slice(args![scan.at, scan.after, scan.through]);
    bound.extend(scan.outcome_prefixes.iter().map(Arg::from));
    bound.push(Arg::from(scan.not_invited_since));
    db.execute(&sql, &bound).await
}

statements! {
    /// Queues the survey message of each invitation of the interactions in (`after`,
    /// `through`].
    pub(crate) fn queue_survey_messages(after: i64, through: i64) = execute
        "INSERT INTO sms_outbox (dedupe_key, kind, phone, account_no, reference) \
         SELECT 'survey:' || v.interaction_id, 'survey', v.phone, v.account_no, \
                CAST(v.interaction_id AS TEXT) \
         FROM survey_invitations v WHERE v.interaction_id > $1 AND v.interaction_id <= $2 \
         ON CONFLICT (dedupe_key) DO NOTHING";

    /// Marks the invitation's "how to answer" message sent; false when it was already.
    pub(crate) fn mark_survey_help_sent(invitation_id: i64) -> bool = execute
        "UPDATE survey_invitations SET help_sent = TRUE WHERE id = $1 AND NOT help_sent";
}

// ---------------------------------------------------------------------------------------------
// Opt-outs and what customers answer

statements! {
    /// See [`OutboxStore::is_opted_out`].
    pub(crate) fn is_opted_out(phone: &str) -> bool = one
        "SELECT EXISTS (SELECT 1 FROM sms_opt_outs WHERE phone = $1)";

    /// Records an opt-out; false when the phone had opted out already.
    pub(crate) fn add_opt_out(phone: &str, word: &str, at: DateTime<Utc>) -> bool = execute
        "INSERT INTO sms_opt_outs (phone, word, at) VALUES ($1, $2, $3) \
         ON CONFLICT (phone) DO NOTHING";

    /// See [`OutboxStore::surveyed_since`].
    pub(crate) fn surveyed_since(phone: &str, since: DateTime<Utc>) -> bool = one
        "SELECT EXISTS (SELECT 1 FROM survey_invitations WHERE phone = $1 AND created_at > $2) \
             OR EXISTS (SELECT 1 FROM sms_opt_outs WHERE phone = $1)";

    /// See [`OutboxStore::open_invitation`].
    pub(crate) fn open_invitation(
        phone: &str,
        since: DateTime<Utc>,
    ) -> Option<Invitation> = optional
        "SELECT id, account_no, interaction_id, channel, language, help_sent, created_at \
         FROM survey_invitations \
         WHERE phone = $1 AND answered_at IS NULL AND created_at > $2 \
         ORDER BY created_at DESC, id DESC LIMIT 1";
}

/// See [`OutboxStore::answer_survey`]: two statements, to run in one transaction.
pub(crate) async fn answer_survey(
    db: &mut impl Db,
    invitation: &Invitation,
    phone: &str,
    score: i64,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    db.execute(
        "INSERT INTO survey_responses \
           (phone, account_no, interaction_id, channel, language, score, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        args![
            phone,
            &invitation.account_no,
            invitation.interaction_id,
            &invitation.channel,
            &invitation.language,
            score,
            now
        ],
    )
    .await?;
    db.execute(
        "UPDATE survey_invitations SET answered_at = $1 WHERE id = $2",
        args![now, invitation.id],
    )
    .await?;
    Ok(())
}

/// See [`OutboxStore::invite_in_call`].
pub(crate) async fn invite_in_call(
    db: &mut impl Db,
    phone: &str,
    account_no: Option<&str>,
    language: &str,
    now: DateTime<Utc>,
) -> StoreResult<Invitation> {
    let id: i64 = db
        .fetch_one(
            "INSERT INTO survey_invitations (phone, account_no, channel, language, created_at) \
             VALUES ($1, $2, 'voice', $3, $4) RETURNING id",
            args![phone, account_no, language, now],
        )
        .await?;
    Ok(Invitation {
        id,
        account_no: account_no.map(str::to_string),
        interaction_id: None,
        channel: Channel::Voice.as_str().into(),
        language: Some(language.to_string()),
        help_sent: false,
        asked_at: now,
    })
}

statements! {
    /// See [`OutboxStore::resolution_question`].
    pub(crate) fn resolution_question(
        phone: &str,
        since: DateTime<Utc>,
    ) -> Option<ResolutionQuestion> = optional
        "SELECT o.ticket_ref, o.sent_at FROM sms_outbox o \
         WHERE o.phone = $1 AND o.kind = 'ticket_status' AND o.detail = 'resolved' \
           AND o.state IN ('sent', 'delivered') AND o.sent_at > $2 \
           AND NOT EXISTS (SELECT 1 FROM ticket_events e WHERE e.ticket_ref = o.ticket_ref \
                           AND e.event = 'customer_reply' AND e.at >= o.sent_at) \
         ORDER BY o.sent_at DESC, o.id DESC LIMIT 1";

    /// Records the customer's answer to "was it solved?" as a `customer_reply` event.
    pub(crate) fn add_customer_reply(ticket_ref: &str, at: DateTime<Utc>, reply: &str) = execute
        "INSERT INTO ticket_events (ticket_ref, at, event, detail) \
         VALUES ($1, $2, 'customer_reply', $3)";

    /// Opens a resolved ticket again (its trigger tells the customer, as any status change).
    pub(crate) fn reopen_resolved(ticket_ref: &str, at: DateTime<Utc>) = execute
        "UPDATE tickets SET status = 'open', updated_at = $1 \
         WHERE ticket_ref = $2 AND status = 'resolved'",
        args![at, ticket_ref];
}
