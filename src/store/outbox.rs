//! The SMS outbox and what feeds it, behind one trait: rows are written by the database's
//! triggers in the transaction of what caused them (a ticket, a report, a status change), or
//! by the schedulers' single statements (planned-outage notices, escalations, surveys);
//! senders claim due rows (each row by one sender at a time, across instances), and record
//! what became of each.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use super::StoreResult;
use crate::sms::{Delivery, MessageRef};

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
        outcomes: &[&str],
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
