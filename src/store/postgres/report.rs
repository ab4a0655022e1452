//! The KPI report's rows on PostgreSQL (`TIMESTAMPTZ` columns, bound and read as UTC times).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;

use super::PgCrm;
use crate::report::{CallbackRow, OutageReportRow, ReportData, SessionRow, SurveyRow, TicketRow};
use crate::store::StoreResult;
use crate::store::report::{
    CALLBACK_ROWS, OUTAGE_REPORT_ROWS, ReportStore, SESSION_ROWS, SURVEY_ROWS, TICKET_ROWS,
};

#[async_trait]
impl ReportStore for PgCrm {
    async fn report_data(
        &self,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
        sessions_until: DateTime<Utc>,
    ) -> StoreResult<ReportData> {
        let pool = &self.pool;
        let mut data = ReportData::default();
        for r in sqlx::query(SESSION_ROWS)
            .bind(from)
            .bind(sessions_until)
            .fetch_all(pool)
            .await?
        {
            data.sessions.push(SessionRow {
                channel: r.try_get(0)?,
                language: r.try_get(1)?,
                path: r.try_get(2)?,
                outcome: r.try_get(3)?,
                ended: r.try_get(4)?,
                started_at: r.try_get(5)?,
                account_no: r.try_get(6)?,
                phone: r.try_get(7)?,
            });
        }
        for r in sqlx::query(TICKET_ROWS)
            .bind(from)
            .bind(until)
            .fetch_all(pool)
            .await?
        {
            data.tickets.push(TicketRow {
                category: r.try_get(0)?,
                status: r.try_get(1)?,
                created_at: r.try_get(2)?,
                sla_due_at: r.try_get(3)?,
                resolved_at: r.try_get(4)?,
            });
        }
        for r in sqlx::query(CALLBACK_ROWS)
            .bind(until)
            .fetch_all(pool)
            .await?
        {
            data.callbacks.push(CallbackRow {
                status: r.try_get(0)?,
                created_at: r.try_get(1)?,
            });
        }
        for r in sqlx::query(OUTAGE_REPORT_ROWS)
            .bind(from)
            .bind(until)
            .fetch_all(pool)
            .await?
        {
            data.outage_reports.push(OutageReportRow {
                outage_id: r.try_get(0)?,
                area_code: r.try_get(1)?,
                service: r.try_get(2)?,
                outage_status: r.try_get(3)?,
                created_at: r.try_get(4)?,
            });
        }
        for r in sqlx::query(SURVEY_ROWS)
            .bind(from)
            .bind(until)
            .fetch_all(pool)
            .await?
        {
            data.surveys.push(SurveyRow {
                channel: r.try_get(0)?,
                language: r.try_get(1)?,
                score: i64::from(r.try_get::<i32, _>(2)?),
                at: r.try_get(3)?,
            });
        }
        Ok(data)
    }
}
