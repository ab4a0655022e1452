//! The SMS outbox on PostgreSQL. Several instances may send from one database: a row is
//! claimed with `FOR UPDATE SKIP LOCKED`, so two senders never take the same row, and a
//! claim has an end, so a sender that died gives its rows back.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use sqlx::Row;

use super::PgCrm;
use crate::sms::{Delivery, MessageRef};
use crate::store::StoreResult;
use crate::store::outbox::{
    Audience, Invitation, OutboxRow, OutboxStore, Rendered, ResolutionQuestion,
};

const CLAIM: &str = "UPDATE sms_outbox SET state = 'sending', claimed_by = $1, claimed_until = $3 \
     WHERE id IN (SELECT id FROM sms_outbox \
                  WHERE (state = 'queued' AND next_attempt_at <= $2) \
                     OR (state = 'sending' AND claimed_until < $2) \
                  ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED) \
     RETURNING id, kind, phone, account_no, ticket_ref, outage_id, reference, detail, attempts";

fn row_of(r: &sqlx::postgres::PgRow) -> OutboxRow {
    OutboxRow {
        id: r.get(0),
        kind: r.get(1),
        phone: r.get(2),
        account_no: r.get(3),
        ticket_ref: r.get(4),
        outage_id: r.get(5),
        reference: r.get(6),
        detail: r.get(7),
        attempts: i64::from(r.get::<i32, _>(8)),
    }
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
        let rows = sqlx::query(CLAIM)
            .bind(worker)
            .bind(now)
            .bind(until)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        let mut claimed: Vec<OutboxRow> = rows.iter().map(row_of).collect();
        claimed.sort_by_key(|r| r.id);
        Ok(claimed)
    }

    async fn mark_sent(
        &self,
        id: i64,
        gateway: &str,
        gateway_message_id: Option<&str>,
        text: &Rendered,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE sms_outbox SET state = CASE WHEN state = 'delivered' THEN state ELSE 'sent' END, \
             gateway = $2, gateway_message_id = $3, language = $4, body = $5, encoding = $6, \
             segments = $7, attempts = attempts + 1, sent_at = $8, claimed_until = NULL, \
             last_error = NULL WHERE id = $1",
        )
        .bind(id)
        .bind(gateway)
        .bind(gateway_message_id)
        .bind(&text.language)
        .bind(&text.body)
        .bind(text.encoding)
        .bind(text.segments as i32)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn mark_retry(
        &self,
        id: i64,
        text: &Rendered,
        error: &str,
        retry_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE sms_outbox SET state = 'queued', attempts = attempts + 1, last_error = $2, \
             next_attempt_at = $3, claimed_until = NULL, language = $4, body = $5, \
             encoding = $6, segments = $7 WHERE id = $1",
        )
        .bind(id)
        .bind(error)
        .bind(retry_at)
        .bind(&text.language)
        .bind(&text.body)
        .bind(text.encoding)
        .bind(text.segments as i32)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn mark_failed(&self, id: i64, text: Option<&Rendered>, error: &str) -> StoreResult<()> {
        sqlx::query(
            "UPDATE sms_outbox SET state = 'failed', attempts = attempts + 1, last_error = $2, \
             claimed_until = NULL, language = coalesce($3, language), \
             body = coalesce($4, body), encoding = coalesce($5, encoding), \
             segments = coalesce($6, segments) WHERE id = $1",
        )
        .bind(id)
        .bind(error)
        .bind(text.map(|t| t.language.clone()))
        .bind(text.map(|t| t.body.clone()))
        .bind(text.map(|t| t.encoding))
        .bind(text.map(|t| t.segments as i32))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn mark_suppressed(&self, id: i64, why: &str) -> StoreResult<()> {
        sqlx::query(
            "UPDATE sms_outbox SET state = 'suppressed', last_error = $2, claimed_until = NULL \
             WHERE id = $1",
        )
        .bind(id)
        .bind(why)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn defer(&self, id: i64, until: DateTime<Utc>) -> StoreResult<()> {
        sqlx::query(
            "UPDATE sms_outbox SET state = 'queued', next_attempt_at = $2, claimed_until = NULL \
             WHERE id = $1",
        )
        .bind(id)
        .bind(until)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn record_delivery(
        &self,
        message: &MessageRef,
        delivery: Delivery,
        detail: Option<&str>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        // A report proves the gateway took the message, whatever the sender recorded. It names
        // the message by our id or by the gateway's: one of $1, $5 is NULL.
        let (outbox_id, gateway_id) = match message {
            MessageRef::Outbox(id) => (Some(*id), None),
            MessageRef::Gateway(id) => (None, Some(id.as_str())),
        };
        let done = sqlx::query(
            "UPDATE sms_outbox SET \
               state = CASE $2 WHEN 'delivered' THEN 'delivered' WHEN 'failed' THEN 'failed' \
                       ELSE CASE WHEN state IN ('queued', 'sending') THEN 'sent' ELSE state END END, \
               delivered_at = CASE $2 WHEN 'delivered' THEN $4 ELSE delivered_at END, \
               sent_at = coalesce(sent_at, $4), claimed_until = NULL, \
               last_error = CASE $2 WHEN 'failed' THEN $3 ELSE last_error END \
             WHERE id = $1 OR gateway_message_id = $5",
        )
        .bind(outbox_id)
        .bind(delivery.as_str())
        .bind(detail)
        .bind(now)
        .bind(gateway_id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn is_opted_out(&self, phone: &str) -> StoreResult<bool> {
        let found: Option<i32> = sqlx::query_scalar("SELECT 1 FROM sms_opt_outs WHERE phone = $1")
            .bind(phone)
            .fetch_optional(&self.pool)
            .await?;
        Ok(found.is_some())
    }

    async fn opt_out(&self, phone: &str, word: &str, now: DateTime<Utc>) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        let added = sqlx::query(
            "INSERT INTO sms_opt_outs (phone, word, at) VALUES ($1, $2, $3) \
             ON CONFLICT (phone) DO NOTHING",
        )
        .bind(phone)
        .bind(word)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            > 0;
        if added {
            sqlx::query(
                "INSERT INTO sms_outbox (dedupe_key, kind, phone) \
                 VALUES ('opted-out:' || $1 || ':' || $2, 'opted_out', $1) \
                 ON CONFLICT (dedupe_key) DO NOTHING",
            )
            .bind(phone)
            .bind(now.timestamp().to_string())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(added)
    }

    async fn queue_planned_notices(
        &self,
        now: DateTime<Utc>,
        horizon: DateTime<Utc>,
    ) -> StoreResult<u64> {
        let done = sqlx::query(
            "INSERT INTO sms_outbox (dedupe_key, kind, phone, account_no, outage_id) \
             SELECT 'planned:' || o.outage_id || ':' || c.phone, 'planned_outage', c.phone, \
                    min(c.account_no), o.outage_id \
             FROM outages o JOIN customers c \
               ON c.area_code = o.area_code AND c.service = o.service \
             WHERE o.status = 'scheduled' AND o.starts_at > $1 AND o.starts_at <= $2 \
               AND c.phone IS NOT NULL \
             GROUP BY o.outage_id, c.phone \
             ON CONFLICT (dedupe_key) DO NOTHING",
        )
        .bind(now)
        .bind(horizon)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    async fn planned_notice_audience(
        &self,
        now: DateTime<Utc>,
        horizon: DateTime<Utc>,
    ) -> StoreResult<Vec<Audience>> {
        let rows = sqlx::query(
            "SELECT o.outage_id, c.language, count(DISTINCT c.phone) \
             FROM outages o JOIN customers c \
               ON c.area_code = o.area_code AND c.service = o.service \
             WHERE o.status = 'scheduled' AND o.starts_at > $1 AND o.starts_at <= $2 \
               AND c.phone IS NOT NULL \
               AND NOT EXISTS (SELECT 1 FROM sms_outbox s \
                               WHERE s.dedupe_key = 'planned:' || o.outage_id || ':' || c.phone) \
             GROUP BY o.outage_id, c.language ORDER BY o.outage_id, c.language",
        )
        .bind(now)
        .bind(horizon)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| Audience {
                outage_id: r.get(0),
                language: r.get(1),
                customers: r.get(2),
            })
            .collect())
    }

    async fn escalate_late_tickets(
        &self,
        now: DateTime<Utc>,
        level_two_after: Duration,
    ) -> StoreResult<(u64, u64)> {
        let mut tx = self.pool.begin().await?;
        // One escalator at a time, whichever instance: the checks below then hold.
        sqlx::query("SELECT pg_advisory_xact_lock(7400313)")
            .execute(&mut *tx)
            .await?;
        let first = sqlx::query(
            "INSERT INTO ticket_events (ticket_ref, at, event, detail) \
             SELECT t.ticket_ref, $1, 'escalated', '1' FROM tickets t \
             WHERE t.status IN ('open', 'in_progress') AND t.sla_due_at IS NOT NULL \
               AND t.sla_due_at < $1 \
               AND NOT EXISTS (SELECT 1 FROM ticket_events e WHERE e.ticket_ref = t.ticket_ref \
                               AND e.event = 'escalated')",
        )
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let second = sqlx::query(
            "INSERT INTO ticket_events (ticket_ref, at, event, detail) \
             SELECT t.ticket_ref, $1, 'escalated', '2' FROM tickets t \
             WHERE t.status IN ('open', 'in_progress') \
               AND EXISTS (SELECT 1 FROM ticket_events e WHERE e.ticket_ref = t.ticket_ref \
                           AND e.event = 'escalated' AND e.detail = '1' AND e.at <= $2) \
               AND NOT EXISTS (SELECT 1 FROM ticket_events e WHERE e.ticket_ref = t.ticket_ref \
                               AND e.event = 'escalated' AND e.detail = '2')",
        )
        .bind(now)
        .bind(now - level_two_after)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok((first, second))
    }

    async fn queue_surveys(
        &self,
        now: DateTime<Utc>,
        every: Duration,
        outcomes: &[&str],
    ) -> StoreResult<u64> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock(7400314)")
            .execute(&mut *tx)
            .await?;
        let from: i64 = sqlx::query_scalar(
            "SELECT coalesce((SELECT position FROM notify_cursors WHERE name = 'surveys'), 0)",
        )
        .fetch_one(&mut *tx)
        .await?;
        let to: i64 = sqlx::query_scalar("SELECT coalesce(max(id), 0) FROM interactions")
            .fetch_one(&mut *tx)
            .await?;
        let patterns: Vec<String> = outcomes.iter().map(|o| format!("{o}%")).collect();
        let invited = sqlx::query(
            "INSERT INTO survey_invitations \
               (phone, account_no, interaction_id, channel, language, created_at) \
             SELECT i.phone, i.account_no, i.id, i.channel, i.language, $3 FROM interactions i \
             WHERE i.id IN (SELECT max(id) FROM interactions \
                            WHERE id > $1 AND id <= $2 AND ended AND channel = 'ussd' \
                              AND outcome LIKE ANY($5) GROUP BY phone) \
               AND NOT EXISTS (SELECT 1 FROM survey_invitations v \
                               WHERE v.phone = i.phone AND v.created_at > $4) \
               AND NOT EXISTS (SELECT 1 FROM sms_opt_outs x WHERE x.phone = i.phone) \
             ON CONFLICT (interaction_id) DO NOTHING",
        )
        .bind(from)
        .bind(to)
        .bind(now)
        .bind(now - every)
        .bind(&patterns)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        sqlx::query(
            "INSERT INTO sms_outbox (dedupe_key, kind, phone, account_no, reference) \
             SELECT 'survey:' || v.interaction_id, 'survey', v.phone, v.account_no, \
                    v.interaction_id::TEXT \
             FROM survey_invitations v WHERE v.interaction_id > $1 AND v.interaction_id <= $2 \
             ON CONFLICT (dedupe_key) DO NOTHING",
        )
        .bind(from)
        .bind(to)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO notify_cursors (name, position) VALUES ('surveys', $1) \
             ON CONFLICT (name) DO UPDATE SET position = excluded.position",
        )
        .bind(to)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(invited)
    }

    async fn open_invitation(
        &self,
        phone: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<Option<Invitation>> {
        let row = sqlx::query(
            "SELECT id, account_no, interaction_id, channel, language, help_sent, created_at \
             FROM survey_invitations \
             WHERE phone = $1 AND answered_at IS NULL AND created_at > $2 \
             ORDER BY created_at DESC, id DESC LIMIT 1",
        )
        .bind(phone)
        .bind(since)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| Invitation {
            id: r.get(0),
            account_no: r.get(1),
            interaction_id: r.get(2),
            channel: r.get(3),
            language: r.get(4),
            help_sent: r.get(5),
            asked_at: r.get(6),
        }))
    }

    async fn answer_survey(
        &self,
        invitation: &Invitation,
        phone: &str,
        score: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO survey_responses \
               (phone, account_no, interaction_id, channel, language, score, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(phone)
        .bind(&invitation.account_no)
        .bind(invitation.interaction_id)
        .bind(&invitation.channel)
        .bind(&invitation.language)
        .bind(score as i32)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE survey_invitations SET answered_at = $2 WHERE id = $1")
            .bind(invitation.id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn invite_in_call(
        &self,
        phone: &str,
        account_no: Option<&str>,
        language: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Invitation> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO survey_invitations (phone, account_no, channel, language, created_at) \
             VALUES ($1, $2, 'voice', $3, $4) RETURNING id",
        )
        .bind(phone)
        .bind(account_no)
        .bind(language)
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        Ok(Invitation {
            id,
            account_no: account_no.map(str::to_string),
            interaction_id: None,
            channel: "voice".into(),
            language: Some(language.to_string()),
            help_sent: false,
            asked_at: now,
        })
    }

    async fn surveyed_since(&self, phone: &str, since: DateTime<Utc>) -> StoreResult<bool> {
        let found: Option<i32> = sqlx::query_scalar(
            "SELECT 1 WHERE EXISTS (SELECT 1 FROM survey_invitations \
                                    WHERE phone = $1 AND created_at > $2) \
                        OR EXISTS (SELECT 1 FROM sms_opt_outs WHERE phone = $1)",
        )
        .bind(phone)
        .bind(since)
        .fetch_optional(&self.pool)
        .await?;
        Ok(found.is_some())
    }

    async fn resolution_question(
        &self,
        phone: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<Option<ResolutionQuestion>> {
        let row = sqlx::query(
            "SELECT o.ticket_ref, o.sent_at FROM sms_outbox o \
             WHERE o.phone = $1 AND o.kind = 'ticket_status' AND o.detail = 'resolved' \
               AND o.state IN ('sent', 'delivered') AND o.sent_at > $2 \
               AND NOT EXISTS (SELECT 1 FROM ticket_events e WHERE e.ticket_ref = o.ticket_ref \
                               AND e.event = 'customer_reply' AND e.at >= o.sent_at) \
             ORDER BY o.sent_at DESC, o.id DESC LIMIT 1",
        )
        .bind(phone)
        .bind(since)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| ResolutionQuestion {
            ticket_ref: r.get(0),
            asked_at: r.get(1),
        }))
    }

    async fn answer_resolution(
        &self,
        question: &ResolutionQuestion,
        solved: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO ticket_events (ticket_ref, at, event, detail) \
             VALUES ($1, $2, 'customer_reply', $3)",
        )
        .bind(&question.ticket_ref)
        .bind(now)
        .bind(if solved { "solved" } else { "not solved" })
        .execute(&mut *tx)
        .await?;
        if !solved {
            sqlx::query(
                "UPDATE tickets SET status = 'open', updated_at = $2 \
                 WHERE ticket_ref = $1 AND status = 'resolved'",
            )
            .bind(&question.ticket_ref)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn queue_survey_help(&self, invitation: &Invitation, phone: &str) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        let first = sqlx::query(
            "UPDATE survey_invitations SET help_sent = TRUE WHERE id = $1 AND NOT help_sent",
        )
        .bind(invitation.id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            > 0;
        if first {
            sqlx::query(
                "INSERT INTO sms_outbox (dedupe_key, kind, phone, account_no) \
                 VALUES ('survey-help:' || $1, 'survey_help', $2, $3) \
                 ON CONFLICT (dedupe_key) DO NOTHING",
            )
            .bind(invitation.id.to_string())
            .bind(phone)
            .bind(&invitation.account_no)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(first)
    }

    async fn depth(&self) -> StoreResult<Vec<(String, i64)>> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT state, COUNT(*) FROM sms_outbox GROUP BY state")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows)
    }
}
