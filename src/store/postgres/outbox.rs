//! Where the outbox's statements (`store/outbox.rs`) and rules (`store/rules.rs`) run on
//! PostgreSQL: each statement on a pooled connection, each rule in a transaction. Several
//! instances may send from one database: a claim skips rows another sender is claiming
//! (`FOR UPDATE SKIP LOCKED`), and a claim has an end, so a sender that died gives its rows
//! back.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use sqlx::PgConnection;

use super::PgCrm;
use crate::store::outbox::{
    self, Audience, Invitation, OutboxRow, OutboxStore, Rendered, ResolutionQuestion,
};
use crate::store::outbox::{Delivery, MessageRef};
use crate::store::{StoreResult, rules};

/// `$body`, statements over the connection `$db`, in one transaction.
macro_rules! in_transaction {
    ($crm:expr, |$db:ident| $body:expr) => {{
        let mut tx = $crm.pool.begin().await?;
        let $db: &mut PgConnection = &mut tx;
        let done = $body.await?;
        tx.commit().await?;
        Ok(done)
    }};
}

#[async_trait]
impl OutboxStore for PgCrm {
    async fn claim_due(
        &self,
        worker: &str,
        limit: i64,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<Vec<OutboxRow>> {
        outbox::claim_due(&mut &self.pool, worker, limit, now, until).await
    }

    async fn mark_sent(
        &self,
        id: i64,
        gateway: &str,
        gateway_message_id: Option<&str>,
        text: &Rendered,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let db = &mut &self.pool;
        outbox::mark_sent(db, id, gateway, gateway_message_id, text, now).await
    }

    async fn mark_retry(
        &self,
        id: i64,
        text: &Rendered,
        error: &str,
        retry_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        outbox::mark_retry(&mut &self.pool, id, text, error, retry_at).await
    }

    async fn mark_failed(&self, id: i64, text: Option<&Rendered>, error: &str) -> StoreResult<()> {
        outbox::mark_failed(&mut &self.pool, id, text, error).await
    }

    async fn mark_suppressed(&self, id: i64, why: &str) -> StoreResult<()> {
        outbox::mark_suppressed(&mut &self.pool, id, why).await
    }

    async fn defer(&self, id: i64, until: DateTime<Utc>) -> StoreResult<()> {
        outbox::defer(&mut &self.pool, id, until).await
    }

    async fn record_delivery(
        &self,
        message: &MessageRef,
        delivery: Delivery,
        detail: Option<&str>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        outbox::record_delivery(&mut &self.pool, message, delivery, detail, now).await
    }

    async fn is_opted_out(&self, phone: &str) -> StoreResult<bool> {
        outbox::is_opted_out(&mut &self.pool, phone).await
    }

    async fn opt_out(&self, phone: &str, word: &str, now: DateTime<Utc>) -> StoreResult<bool> {
        in_transaction!(self, |db| rules::opt_out(db, phone, word, now))
    }

    async fn queue_planned_notices(
        &self,
        now: DateTime<Utc>,
        horizon: DateTime<Utc>,
    ) -> StoreResult<u64> {
        rules::queue_planned_notices(&mut &self.pool, now, horizon).await
    }

    async fn planned_notice_audience(
        &self,
        now: DateTime<Utc>,
        horizon: DateTime<Utc>,
    ) -> StoreResult<Vec<Audience>> {
        outbox::planned_notice_audience(&mut &self.pool, now, horizon).await
    }

    async fn escalate_late_tickets(
        &self,
        now: DateTime<Utc>,
        level_two_after: Duration,
    ) -> StoreResult<(u64, u64)> {
        in_transaction!(self, |db| rules::escalate_late_tickets(
            db,
            now,
            level_two_after
        ))
    }

    async fn queue_surveys(
        &self,
        now: DateTime<Utc>,
        every: Duration,
        outcomes: &[&str],
    ) -> StoreResult<u64> {
        in_transaction!(self, |db| rules::queue_surveys(db, now, every, outcomes))
    }

    async fn open_invitation(
        &self,
        phone: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<Option<Invitation>> {
        outbox::open_invitation(&mut &self.pool, phone, since).await
    }

    async fn answer_survey(
        &self,
        invitation: &Invitation,
        phone: &str,
        score: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        in_transaction!(self, |db| outbox::answer_survey(
            db, invitation, phone, score, now
        ))
    }

    async fn invite_in_call(
        &self,
        phone: &str,
        account_no: Option<&str>,
        language: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Invitation> {
        let db = &mut &self.pool;
        outbox::invite_in_call(db, phone, account_no, language, now).await
    }

    async fn surveyed_since(&self, phone: &str, since: DateTime<Utc>) -> StoreResult<bool> {
        outbox::surveyed_since(&mut &self.pool, phone, since).await
    }

    async fn resolution_question(
        &self,
        phone: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<Option<ResolutionQuestion>> {
        outbox::resolution_question(&mut &self.pool, phone, since).await
    }

    async fn answer_resolution(
        &self,
        question: &ResolutionQuestion,
        solved: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        in_transaction!(self, |db| rules::answer_resolution(
            db, question, solved, now
        ))
    }

    async fn queue_survey_help(&self, invitation: &Invitation, phone: &str) -> StoreResult<bool> {
        in_transaction!(self, |db| rules::queue_survey_help(db, invitation, phone))
    }

    async fn depth(&self) -> StoreResult<Vec<(String, i64)>> {
        outbox::depth(&mut &self.pool).await
    }
}
