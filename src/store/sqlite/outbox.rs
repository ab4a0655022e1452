//! Where the outbox's statements (`store/outbox.rs`) and rules (`store/rules.rs`) run on
//! SQLite: writes as units of work on the writer thread (one writer at a time is SQLite's own
//! rule, so a claim needs no further locking), reads in place on a read connection.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use super::SqliteCrm;
use super::db::Lite;
use super::writer::complete;
use crate::store::outbox::{
    self, Audience, Invitation, OutboxRow, OutboxStore, Rendered, ResolutionQuestion,
};
use crate::store::outbox::{Delivery, MessageRef};
use crate::store::{StoreResult, rules};

#[async_trait]
impl OutboxStore for SqliteCrm {
    async fn claim_due(
        &self,
        worker: &str,
        limit: i64,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<Vec<OutboxRow>> {
        let worker = worker.to_string();
        self.writer
            .write(move |c| complete(outbox::claim_due(&mut Lite(c), &worker, limit, now, until)))
            .await
    }

    async fn mark_sent(
        &self,
        id: i64,
        gateway: &str,
        gateway_message_id: Option<&str>,
        text: &Rendered,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let (gateway, message_id) = (gateway.to_string(), gateway_message_id.map(str::to_string));
        let text = text.clone();
        self.writer
            .write(move |c| {
                let message_id = message_id.as_deref();
                complete(outbox::mark_sent(
                    &mut Lite(c),
                    id,
                    &gateway,
                    message_id,
                    &text,
                    now,
                ))
            })
            .await
    }

    async fn mark_retry(
        &self,
        id: i64,
        text: &Rendered,
        error: &str,
        retry_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let (text, error) = (text.clone(), error.to_string());
        self.writer
            .write(move |c| {
                complete(outbox::mark_retry(
                    &mut Lite(c),
                    id,
                    &text,
                    &error,
                    retry_at,
                ))
            })
            .await
    }

    async fn mark_failed(&self, id: i64, text: Option<&Rendered>, error: &str) -> StoreResult<()> {
        let (text, error) = (text.cloned(), error.to_string());
        self.writer
            .write(move |c| complete(outbox::mark_failed(&mut Lite(c), id, text.as_ref(), &error)))
            .await
    }

    async fn mark_suppressed(&self, id: i64, why: &str) -> StoreResult<()> {
        let why = why.to_string();
        self.writer
            .write(move |c| complete(outbox::mark_suppressed(&mut Lite(c), id, &why)))
            .await
    }

    async fn defer(&self, id: i64, until: DateTime<Utc>) -> StoreResult<()> {
        self.writer
            .write(move |c| complete(outbox::defer(&mut Lite(c), id, until)))
            .await
    }

    async fn record_delivery(
        &self,
        message: &MessageRef,
        delivery: Delivery,
        detail: Option<&str>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let (message, detail) = (message.clone(), detail.map(str::to_string));
        self.writer
            .write(move |c| {
                let detail = detail.as_deref();
                complete(outbox::record_delivery(
                    &mut Lite(c),
                    &message,
                    delivery,
                    detail,
                    now,
                ))
            })
            .await
    }

    async fn is_opted_out(&self, phone: &str) -> StoreResult<bool> {
        self.read(async |db| outbox::is_opted_out(db, phone).await)
    }

    async fn opt_out(&self, phone: &str, word: &str, now: DateTime<Utc>) -> StoreResult<bool> {
        let (phone, word) = (phone.to_string(), word.to_string());
        self.writer
            .write(move |c| complete(rules::opt_out(&mut Lite(c), &phone, &word, now)))
            .await
    }

    async fn queue_planned_notices(
        &self,
        now: DateTime<Utc>,
        horizon: DateTime<Utc>,
    ) -> StoreResult<u64> {
        self.writer
            .write(move |c| complete(rules::queue_planned_notices(&mut Lite(c), now, horizon)))
            .await
    }

    async fn planned_notice_audience(
        &self,
        now: DateTime<Utc>,
        horizon: DateTime<Utc>,
    ) -> StoreResult<Vec<Audience>> {
        self.read(async |db| outbox::planned_notice_audience(db, now, horizon).await)
    }

    async fn escalate_late_tickets(
        &self,
        now: DateTime<Utc>,
        level_two_after: Duration,
    ) -> StoreResult<(u64, u64)> {
        self.writer
            .write(move |c| {
                complete(rules::escalate_late_tickets(
                    &mut Lite(c),
                    now,
                    level_two_after,
                ))
            })
            .await
    }

    async fn queue_surveys(
        &self,
        now: DateTime<Utc>,
        every: Duration,
        outcomes: &[&str],
    ) -> StoreResult<u64> {
        let outcomes: Vec<String> = outcomes.iter().map(|o| o.to_string()).collect();
        self.writer
            .write(move |c| {
                let outcomes: Vec<&str> = outcomes.iter().map(String::as_str).collect();
                complete(rules::queue_surveys(&mut Lite(c), now, every, &outcomes))
            })
            .await
    }

    async fn open_invitation(
        &self,
        phone: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<Option<Invitation>> {
        self.read(async |db| outbox::open_invitation(db, phone, since).await)
    }

    async fn answer_survey(
        &self,
        invitation: &Invitation,
        phone: &str,
        score: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let (invitation, phone) = (invitation.clone(), phone.to_string());
        self.writer
            .write(move |c| {
                complete(outbox::answer_survey(
                    &mut Lite(c),
                    &invitation,
                    &phone,
                    score,
                    now,
                ))
            })
            .await
    }

    async fn invite_in_call(
        &self,
        phone: &str,
        account_no: Option<&str>,
        language: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Invitation> {
        let (phone, language) = (phone.to_string(), language.to_string());
        let account_no = account_no.map(str::to_string);
        self.writer
            .write(move |c| {
                let account_no = account_no.as_deref();
                complete(outbox::invite_in_call(
                    &mut Lite(c),
                    &phone,
                    account_no,
                    &language,
                    now,
                ))
            })
            .await
    }

    async fn surveyed_since(&self, phone: &str, since: DateTime<Utc>) -> StoreResult<bool> {
        self.read(async |db| outbox::surveyed_since(db, phone, since).await)
    }

    async fn resolution_question(
        &self,
        phone: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<Option<ResolutionQuestion>> {
        self.read(async |db| outbox::resolution_question(db, phone, since).await)
    }

    async fn answer_resolution(
        &self,
        question: &ResolutionQuestion,
        solved: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let question = question.clone();
        self.writer
            .write(move |c| {
                complete(rules::answer_resolution(
                    &mut Lite(c),
                    &question,
                    solved,
                    now,
                ))
            })
            .await
    }

    async fn queue_survey_help(&self, invitation: &Invitation, phone: &str) -> StoreResult<bool> {
        let (invitation, phone) = (invitation.clone(), phone.to_string());
        self.writer
            .write(move |c| complete(rules::queue_survey_help(&mut Lite(c), &invitation, &phone)))
            .await
    }

    async fn depth(&self) -> StoreResult<Vec<(String, i64)>> {
        self.read(async |db| outbox::depth(db).await)
    }
}
