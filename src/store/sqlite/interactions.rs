//! The interactions log (one row per session) and the gateways' end-of-session notices in
//! SQLite.

use chrono::Utc;
use rusqlite::{Connection, Row, params};

use super::connection::{exec, optional};
use super::convert::{parse_ts, ts};
use crate::domain::{Interaction, SessionEnd};
use crate::store::common::interaction_cols;
use crate::store::{StoreError, StoreResult};

/// The upsert of one interaction row. started_at keeps the earliest value: the row may have
/// been created first by the gateway's end notification.
const UPSERT_INTERACTION: &str = concat!(
    "INSERT INTO interactions (",
    interaction_cols!(),
    ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
     ON CONFLICT (gateway, session_id) DO UPDATE SET channel = excluded.channel, \
     phone = excluded.phone, account_no = excluded.account_no, \
     language = excluded.language, path = excluded.path, outcome = excluded.outcome, \
     hops = excluded.hops, started_at = min(interactions.started_at, excluded.started_at), \
     updated_at = excluded.updated_at, ended = excluded.ended"
);

/// A row of `interaction_cols!`, in its order (times still as text).
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

impl InteractionRow {
    fn read(r: &Row<'_>) -> rusqlite::Result<InteractionRow> {
        Ok(InteractionRow {
            channel: r.get(0)?,
            gateway: r.get(1)?,
            session_id: r.get(2)?,
            phone: r.get(3)?,
            account_no: r.get(4)?,
            language: r.get(5)?,
            path: r.get(6)?,
            outcome: r.get(7)?,
            hops: r.get(8)?,
            started_at: r.get(9)?,
            updated_at: r.get(10)?,
            ended: r.get(11)?,
        })
    }
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
pub(super) fn record_interactions(conn: &Connection, rows: &[Interaction]) -> StoreResult<()> {
    for i in rows {
        exec(
            conn,
            UPSERT_INTERACTION,
            params![
                i.channel,
                i.gateway,
                i.session_id,
                i.phone,
                i.account_no,
                i.language,
                i.path,
                i.outcome,
                i.hops,
                ts(&i.started_at),
                ts(&i.updated_at),
                i.ended,
            ],
        )?;
    }
    Ok(())
}

pub(super) fn interaction(
    conn: &Connection,
    gateway: &str,
    session_id: &str,
) -> StoreResult<Option<Interaction>> {
    let row = optional(
        conn,
        concat!(
            "SELECT ",
            interaction_cols!(),
            " FROM interactions WHERE gateway = ? AND session_id = ?"
        ),
        [gateway, session_id],
        InteractionRow::read,
    )?;
    row.map(Interaction::try_from).transpose()
}

pub(super) fn record_session_end(conn: &Connection, end: &SessionEnd) -> StoreResult<()> {
    // One statement: the notification may arrive for a session we never logged (it then
    // gets a row of its own), and never races with the engine's own upsert.
    let now = ts(&Utc::now());
    exec(
        conn,
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
        params![
            end.gateway,
            end.session_id,
            end.phone.as_deref().unwrap_or(""),
            end.hops_count.unwrap_or(0),
            now,
            end.status,
            end.duration_ms,
            end.hops_count,
            end.input,
            end.last_app_response,
            end.error_message,
            end.cost,
            end.date,
            end.network_code,
            end.service_code,
        ],
    )?;
    Ok(())
}
