//! The rows behind the KPI report ([`crate::report`]): each statement once, for both
//! databases. The figures are computed from the rows in Rust, once.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreResult;
use super::sql::{Db, FromRow, Row, args};
use crate::report::{
    CallbackRow, Kpis, OutageReportRow, Range, ReportData, SessionRow, SurveyRow, TicketRow,
};

/// The figures of `range` (as of `now`), read from `store`: sessions are read `fcr_days` past
/// the range, for the repeats that undo a first-contact resolution.
pub async fn kpis(
    store: &dyn ReportStore,
    range: Range,
    fcr_days: i64,
    now: DateTime<Utc>,
) -> StoreResult<Kpis> {
    let span = Span {
        from: range.start(),
        until: range.end(),
        sessions_until: range.end() + chrono::Duration::days(fcr_days.max(0)),
    };
    let data = store.report_data(span).await?;
    Ok(crate::report::compute(&data, range, fcr_days, now))
}

/// What a report reads: sessions started in `[from, sessions_until)`; tickets, outage reports
/// and survey answers of `[from, until)`; every call-back requested before `until`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub sessions_until: DateTime<Utc>,
}

/// Reads for the KPI report, off the request path (`dalal report`, `GET /admin/kpis`).
#[async_trait]
pub trait ReportStore: Send + Sync {
    /// The rows of `span`, read by `report_data` on one of the store's connections.
    async fn report_data(&self, span: Span) -> StoreResult<ReportData>;
}

/// See [`ReportStore::report_data`].
pub(crate) async fn report_data(db: &mut impl Db, span: Span) -> StoreResult<ReportData> {
    let Span {
        from,
        until,
        sessions_until,
    } = span;
    Ok(ReportData {
        sessions: db
            .fetch_all(
                "SELECT channel, language, path, outcome, ended, started_at, account_no, phone \
                 FROM interactions WHERE started_at >= $1 AND started_at < $2",
                args![from, sessions_until],
            )
            .await?,
        // When a ticket was first resolved or closed: a status event, an event named after
        // the status, or (a ticket imported resolved, with no event) its last update.
        tickets: db
            .fetch_all(
                "SELECT t.category, t.status, t.created_at, t.sla_due_at, \
                 COALESCE((SELECT MIN(e.at) FROM ticket_events e \
                           WHERE e.ticket_ref = t.ticket_ref \
                           AND (e.event IN ('resolved', 'closed') \
                                OR (e.event = 'status' AND e.detail IN ('resolved', 'closed')))), \
                          CASE WHEN t.status IN ('resolved', 'closed') THEN t.updated_at END) \
                 FROM tickets t WHERE t.created_at >= $1 AND t.created_at < $2",
                args![from, until],
            )
            .await?,
        callbacks: db
            .fetch_all(
                "SELECT status, created_at FROM callback_tasks WHERE created_at < $1",
                args![until],
            )
            .await?,
        outage_reports: db
            .fetch_all(
                "SELECT r.outage_id, o.area_code, o.service, o.status, r.created_at \
                 FROM outage_reports r JOIN outages o ON o.outage_id = r.outage_id \
                 WHERE r.created_at >= $1 AND r.created_at < $2",
                args![from, until],
            )
            .await?,
        surveys: db
            .fetch_all(
                "SELECT channel, language, score, at FROM survey_responses \
                 WHERE at >= $1 AND at < $2",
                args![from, until],
            )
            .await?,
    })
}

impl FromRow for SessionRow {
    fn from_row(r: &impl Row) -> StoreResult<Self> {
        Ok(SessionRow {
            channel: r.text(0)?,
            language: r.opt_text(1)?,
            path: r.text(2)?,
            outcome: r.opt_text(3)?,
            ended: r.boolean(4)?,
            started_at: r.time(5)?,
            account_no: r.opt_text(6)?,
            phone: r.text(7)?,
        })
    }
}

impl FromRow for TicketRow {
    fn from_row(r: &impl Row) -> StoreResult<Self> {
        Ok(TicketRow {
            category: r.text(0)?,
            status: r.text(1)?,
            created_at: r.time(2)?,
            sla_due_at: r.opt_time(3)?,
            resolved_at: r.opt_time(4)?,
        })
    }
}

impl FromRow for CallbackRow {
    fn from_row(r: &impl Row) -> StoreResult<Self> {
        Ok(CallbackRow {
            status: r.text(0)?,
            created_at: r.time(1)?,
        })
    }
}

impl FromRow for OutageReportRow {
    fn from_row(r: &impl Row) -> StoreResult<Self> {
        Ok(OutageReportRow {
            outage_id: r.text(0)?,
            area_code: r.text(1)?,
            service: r.text(2)?,
            outage_status: r.text(3)?,
            created_at: r.time(4)?,
        })
    }
}

impl FromRow for SurveyRow {
    fn from_row(r: &impl Row) -> StoreResult<Self> {
        Ok(SurveyRow {
            channel: r.text(0)?,
            language: r.opt_text(1)?,
            score: r.int(2)?,
            at: r.time(3)?,
        })
    }
}
