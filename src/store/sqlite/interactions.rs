//! The interactions log (one row per session) and the gateways' end-of-session notices in
//! SQLite.

use chrono::Utc;
use sqlx::sqlite::{SqliteConnection, SqlitePool};

use super::convert::{parse_ts, ts};
use crate::domain::{Interaction, SessionEnd};
use crate::store::common::interaction_cols;
use crate::store::{StoreError, StoreResult};

/// The upsert of one interaction row. started_at keeps the earliest value: the row may have
/// been created first by the gateway's end notification.
macro_rules! upsert_interaction {
    ($i:expr) => {{
        let i: &Interaction = $i;
        sqlx::query(concat!(
            "INSERT INTO interactions (",
            interaction_cols!(),
            ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (gateway, session_id) DO UPDATE SET channel = excluded.channel, \
             phone = excluded.phone, account_no = excluded.account_no, \
             language = excluded.language, path = excluded.path, outcome = excluded.outcome, \
             hops = excluded.hops, started_at = min(interactions.started_at, excluded.started_at), \
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
    started_at: String,
    updated_at: String,
    ended: bool,
}

impl TryFrom<InteractionRow> for Interaction {
    type Error = StoreError;
    fn try_from(r: InteractionRow) -> StoreResult<Self> {
        Ok(Interaction {
            channel: r.channel,
            gateway: r.gateway,
            session_id: r.session_id,
            phone: r.phone,
            account_no: r.account_no,
            language: r.language,
            path: r.path,
            outcome: r.outcome,
            hops: r.hops,
            started_at: parse_ts(&r.started_at)?,
            updated_at: parse_ts(&r.updated_at)?,
            ended: r.ended,
        })
    }
}

/// Writes every row (one per session) in the caller's transaction.
pub(super) async fn record_interactions(
    conn: &mut SqliteConnection,
    rows: &[Interaction],
) -> StoreResult<()> {
    for i in rows {
        upsert_interaction!(i).execute(&mut *conn).await?;
    }
    Ok(())
}

pub(super) async fn interaction(
    pool: &SqlitePool,
    gateway: &str,
    session_id: &str,
) -> StoreResult<Option<Interaction>> {
    let row: Option<InteractionRow> = sqlx::query_as(concat!(
        "SELECT ",
        interaction_cols!(),
        " FROM interactions WHERE gateway = ? AND session_id = ?"
    ))
    .bind(gateway)
    .bind(session_id)
    .fetch_optional(pool)
    .await?;
    row.map(Interaction::try_from).transpose()
}

pub(super) async fn record_session_end(
    conn: &mut SqliteConnection,
    end: &SessionEnd,
) -> StoreResult<()> {
    // One statement: the notification may arrive for a session we never logged (it then
    // gets a row of its own), and never races with the engine's own upsert.
    let now = ts(&Utc::now());
    sqlx::query(
        "INSERT INTO interactions (gateway, session_id, channel, phone, account_no, language, \
           path, outcome, hops, started_at, updated_at, ended, end_status, end_duration_ms, \
           end_hops_count, end_input, end_last_app_response, end_error_message, end_cost, \
           end_date, end_network_code, end_service_code) \
         VALUES (?1, ?2, 'ussd', ?3, NULL, NULL, '', NULL, ?4, ?5, ?5, 1, ?6, ?7, ?8, ?9, ?10, \
           ?11, ?12, ?13, ?14, ?15) \
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
    .bind(&end.gateway)
    .bind(&end.session_id)
    .bind(end.phone.as_deref().unwrap_or(""))
    .bind(end.hops_count.unwrap_or(0))
    .bind(&now)
    .bind(&end.status)
    .bind(end.duration_ms)
    .bind(end.hops_count)
    .bind(&end.input)
    .bind(&end.last_app_response)
    .bind(&end.error_message)
    .bind(&end.cost)
    .bind(&end.date)
    .bind(&end.network_code)
    .bind(&end.service_code)
    .execute(conn)
    .await?;
    Ok(())
}
