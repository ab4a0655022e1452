//! The rows behind the KPI report ([`crate::report`]), read on either database: the figures
//! are computed from them in Rust, once, so the two dialects only differ in how they bind and
//! read times.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreResult;
use crate::report::{Kpis, Range, ReportData};

/// The figures of `range` (as of `now`), read from `store`: sessions are read `fcr_days` past
/// the range, for the repeats that undo a first-contact resolution.
pub async fn kpis(
    store: &dyn ReportStore,
    range: Range,
    fcr_days: i64,
    now: DateTime<Utc>,
) -> StoreResult<Kpis> {
    let sessions_until = range.end() + chrono::Duration::days(fcr_days.max(0));
    let data = store
        .report_data(range.start(), range.end(), sessions_until)
        .await?;
    Ok(crate::report::compute(&data, range, fcr_days, now))
}

/// Reads for the KPI report, off the request path (`dalal report`, `GET /admin/kpis`).
#[async_trait]
pub trait ReportStore: Send + Sync {
    /// Sessions started in `[from, sessions_until)`; tickets, outage reports and survey
    /// answers of `[from, until)`; every call-back requested before `until`.
    async fn report_data(
        &self,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
        sessions_until: DateTime<Utc>,
    ) -> StoreResult<ReportData>;
}

/// When a ticket was first resolved or closed: a status event, an event named after the
/// status, or (a ticket imported resolved, with no event) its last update. The same SQL on
/// both databases.
pub(crate) const TICKET_ROWS: &str = "SELECT t.category, t.status, t.created_at, t.sla_due_at, \
     COALESCE((SELECT MIN(e.at) FROM ticket_events e WHERE e.ticket_ref = t.ticket_ref \
               AND (e.event IN ('resolved', 'closed') \
                    OR (e.event = 'status' AND e.detail IN ('resolved', 'closed')))), \
              CASE WHEN t.status IN ('resolved', 'closed') THEN t.updated_at END) AS resolved_at \
     FROM tickets t WHERE t.created_at >= $1 AND t.created_at < $2";

pub(crate) const SESSION_ROWS: &str = "SELECT channel, language, path, outcome, ended, started_at, \
     account_no, phone FROM interactions WHERE started_at >= $1 AND started_at < $2";

pub(crate) const CALLBACK_ROWS: &str =
    "SELECT status, created_at FROM callback_tasks WHERE created_at < $1";

pub(crate) const OUTAGE_REPORT_ROWS: &str = "SELECT r.outage_id, o.area_code, o.service, o.status, \
     r.created_at FROM outage_reports r JOIN outages o ON o.outage_id = r.outage_id \
     WHERE r.created_at >= $1 AND r.created_at < $2";

pub(crate) const SURVEY_ROWS: &str = "SELECT channel, language, score, at FROM survey_responses \
     WHERE at >= $1 AND at < $2";
