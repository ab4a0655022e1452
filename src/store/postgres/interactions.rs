//! The interactions log (one row per session) and the gateways' end-of-session notices in
//! PostgreSQL.

use chrono::{DateTime, Utc};
use sqlx::postgres::PgPool;

use super::convert::{lookable, opt_storable, storable, ts};
use crate::domain::{Interaction, SessionEnd};
use crate::store::StoreResult;
use crate::store::common::interaction_cols;

/// The upsert of one interaction row. started_at keeps the earliest value: the row may have
/// been created first by the gateway's end notification.
macro_rules! upsert_interaction {
    ($i:expr) => {{
        let i: &Interaction = $i;
        sqlx::query(concat!(
            "INSERT INTO interactions (",
            interaction_cols!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
             ON CONFLICT (gateway, session_id) DO UPDATE SET channel = excluded.channel, \
             phone = excluded.phone, account_no = excluded.account_no, \
             language = excluded.language, path = excluded.path, outcome = excluded.outcome, \
             hops = excluded.hops, \
             started_at = LEAST(interactions.started_at, excluded.started_at), \
             updated_at = excluded.updated_at, ended = excluded.ended"
        ))
        .bind(&i.channel)
        .bind(&i.gateway)
        .bind(&i.session_id)
        .bind(&i.phone)
        .bind(&i.account_no)
        .bind(&i.language)
        .bind(&i.path)
        .bind(&i.outcome)
        .bind(i.hops)
        .bind(ts(&i.started_at))
        .bind(ts(&i.updated_at))
        .bind(i.ended)
    }};
}

#[derive(sqlx::FromRow)]
struct InteractionRow {
    channel: String,
    gateway: String,
    session_id: String,
    phone: String,
    account_no: Option<String>,
    language: Option<String>,
    path: String,
    outcome: Option<String>,
    hops: i64,
    started_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    ended: bool,
}

impl From<InteractionRow> for Interaction {
    fn from(r: InteractionRow) -> Self {
        Interaction {
            channel: r.channel,
            gateway: r.gateway,
            session_id: r.session_id,
            phone: r.phone,
            account_no: r.account_no,
            language: r.language,
            path: r.path,
            outcome: r.outcome,
            hops: r.hops,
            started_at: r.started_at,
            updated_at: r.updated_at,
            ended: r.ended,
        }
    }
}

pub(super) async fn record_interaction(
    pool: &PgPool,
    interaction: &Interaction,
) -> StoreResult<()> {
    upsert_interaction!(interaction).execute(pool).await?;
    Ok(())
}

pub(super) async fn record_interactions(pool: &PgPool, rows: &[Interaction]) -> StoreResult<()> {
    // One statement for the whole batch (see `store::batch`): one round trip and one
    // commit. The batch holds one row per session, as ON CONFLICT requires.
    fn column<T>(rows: &[Interaction], f: impl Fn(&Interaction) -> T) -> Vec<T> {
        rows.iter().map(f).collect()
    }
    sqlx::query(concat!(
        "INSERT INTO interactions (",
        interaction_cols!(),
        ") SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], \
         $5::text[], $6::text[], $7::text[], $8::text[], $9::bigint[], $10::timestamptz[], \
         $11::timestamptz[], $12::boolean[]) \
         ON CONFLICT (gateway, session_id) DO UPDATE SET channel = excluded.channel, \
         phone = excluded.phone, account_no = excluded.account_no, \
         language = excluded.language, path = excluded.path, outcome = excluded.outcome, \
         hops = excluded.hops, \
         started_at = LEAST(interactions.started_at, excluded.started_at), \
         updated_at = excluded.updated_at, ended = excluded.ended"
    ))
    .bind(column(rows, |i| i.channel.clone()))
    .bind(column(rows, |i| i.gateway.clone()))
    .bind(column(rows, |i| i.session_id.clone()))
    .bind(column(rows, |i| i.phone.clone()))
    .bind(column(rows, |i| i.account_no.clone()))
    .bind(column(rows, |i| i.language.clone()))
    .bind(column(rows, |i| i.path.clone()))
    .bind(column(rows, |i| i.outcome.clone()))
    .bind(column(rows, |i| i.hops))
    .bind(column(rows, |i| ts(&i.started_at)))
    .bind(column(rows, |i| ts(&i.updated_at)))
    .bind(column(rows, |i| i.ended))
    .execute(pool)
    .await?;
    Ok(())
}

pub(super) async fn interaction(
    pool: &PgPool,
    gateway: &str,
    session_id: &str,
) -> StoreResult<Option<Interaction>> {
    let (Some(gateway), Some(session_id)) = (lookable(gateway), lookable(session_id)) else {
        return Ok(None);
    };
    let row: Option<InteractionRow> = sqlx::query_as(concat!(
        "SELECT ",
        interaction_cols!(),
        " FROM interactions WHERE gateway = $1 AND session_id = $2"
    ))
    .bind(gateway)
    .bind(session_id)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(Interaction::from))
}

pub(super) async fn record_session_end(pool: &PgPool, end: &SessionEnd) -> StoreResult<()> {
    // One statement: the notification may arrive for a session we never logged (it then
    // gets a row of its own), and never races with the engine's own upsert. Its free text
    // comes straight from the gateway: a NUL in it must not make the write fail.
    let now = ts(&Utc::now());
    sqlx::query(
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
    )
    .bind(storable(&end.gateway))
    .bind(storable(&end.session_id))
    .bind(storable(end.phone.as_deref().unwrap_or("")))
    .bind(end.hops_count.unwrap_or(0))
    .bind(now)
    .bind(storable(&end.status))
    .bind(end.duration_ms)
    .bind(end.hops_count)
    .bind(opt_storable(&end.input))
    .bind(opt_storable(&end.last_app_response))
    .bind(opt_storable(&end.error_message))
    .bind(opt_storable(&end.cost))
    .bind(opt_storable(&end.date))
    .bind(opt_storable(&end.network_code))
    .bind(opt_storable(&end.service_code))
    .execute(pool)
    .await?;
    Ok(())
}
