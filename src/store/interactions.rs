//! The interactions log (one row per session) and the gateways' end-of-session notices: each
//! statement once, for both databases.

use chrono::{DateTime, Utc};

use super::StoreResult;
use super::common::{interaction_cols, select};
use super::sql::{Db, FromRow, Row, args, statements};
use crate::domain::{Interaction, SessionEnd};

impl FromRow for Interaction {
    /// A row of `interaction_cols!`, in its order.
    fn from_row(r: &impl Row) -> StoreResult<Self> {
        Ok(Interaction {
            channel: r.text(0)?,
            gateway: r.text(1)?,
            session_id: r.text(2)?,
            phone: r.text(3)?,
            account_no: r.opt_text(4)?,
            language: r.opt_text(5)?,
            path: r.text(6)?,
            outcome: r.opt_text(7)?,
            hops: r.int(8)?,
            started_at: r.time(9)?,
            updated_at: r.time(10)?,
            ended: r.boolean(11)?,
        })
    }
}

/// What writing a session's row over an existing one changes. started_at keeps the earliest
/// value: the row may have been created first by the gateway's end notification.
macro_rules! update_interaction {
    () => {
        " ON CONFLICT (gateway, session_id) DO UPDATE SET channel = excluded.channel, \
         phone = excluded.phone, account_no = excluded.account_no, \
         language = excluded.language, path = excluded.path, outcome = excluded.outcome, \
         hops = excluded.hops, started_at = CASE WHEN excluded.started_at < \
         interactions.started_at THEN excluded.started_at ELSE interactions.started_at END, \
         updated_at = excluded.updated_at, ended = excluded.ended"
    };
}

/// A whole batch of rows in one PostgreSQL statement, one array per column (bound by
/// `postgres/interactions.rs`): one round trip and one commit for the batch, under one
/// statement text whatever its size. The batch holds one row per session, as `ON CONFLICT`
/// requires.
pub(crate) const UPSERT_INTERACTIONS_UNNEST: &str = concat!(
    "INSERT INTO interactions (",
    interaction_cols!(),
    ") SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], \
     $5::text[], $6::text[], $7::text[], $8::text[], $9::bigint[], $10::timestamptz[], \
     $11::timestamptz[], $12::boolean[])",
    update_interaction!()
);

statements! {
    /// Inserts or updates the row of one session.
    pub(crate) fn record_interaction(i: &Interaction) = execute
        concat!(
            "INSERT INTO interactions (",
            interaction_cols!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            update_interaction!()
        ),
        args![
            &i.channel,
            &i.gateway,
            &i.session_id,
            &i.phone,
            &i.account_no,
            &i.language,
            &i.path,
            &i.outcome,
            i.hops,
            i.started_at,
            i.updated_at,
            i.ended,
        ];
}

/// Every row (one per session), in the caller's transaction.
pub(crate) async fn record_interactions(db: &mut impl Db, rows: &[Interaction]) -> StoreResult<()> {
    for row in rows {
        record_interaction(db, row).await?;
    }
    Ok(())
}

statements! {
    /// The row of one session.
    pub(crate) fn interaction(gateway: &str, session_id: &str) -> Option<Interaction> = optional
        select!(
            interaction_cols,
            "FROM interactions WHERE gateway = $1 AND session_id = $2"
        );

    /// Records the gateway's end notification on the session's row, as of `now`. One
    /// statement: the notification may arrive for a session we never logged (it then gets a
    /// row of its own), and never races with the engine's own upsert.
    pub(crate) fn record_session_end(end: &SessionEnd, now: DateTime<Utc>) = execute
        "INSERT INTO interactions (gateway, session_id, channel, phone, account_no, language, \
           path, outcome, hops, started_at, updated_at, ended, end_status, end_duration_ms, \
           end_hops_count, end_input, end_last_app_response, end_error_message, end_cost, \
           end_date, end_network_code, end_service_code) \
         VALUES ($1, $2, 'ussd', $3, NULL, NULL, '', NULL, $4, $5, $5, TRUE, $6, $7, $8, $9, \
           $10, $11, $12, $13, $14, $15) \
         ON CONFLICT (gateway, session_id) DO UPDATE SET \
           phone = CASE WHEN interactions.phone = '' THEN excluded.phone \
                   ELSE interactions.phone END, \
           end_status = excluded.end_status, end_duration_ms = excluded.end_duration_ms, \
           end_hops_count = excluded.end_hops_count, end_input = excluded.end_input, \
           end_last_app_response = excluded.end_last_app_response, \
           end_error_message = excluded.end_error_message, end_cost = excluded.end_cost, \
           end_date = excluded.end_date, end_network_code = excluded.end_network_code, \
           end_service_code = excluded.end_service_code",
        args![
            &end.gateway,
            &end.session_id,
            end.phone.as_deref().unwrap_or(""),
            end.hops_count.unwrap_or(0),
            now,
            &end.status,
            end.duration_ms,
            end.hops_count,
            &end.input,
            &end.last_app_response,
            &end.error_message,
            &end.cost,
            &end.date,
            &end.network_code,
            &end.service_code,
        ];
}
