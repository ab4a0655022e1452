//! The KPI report's rows on SQLite (times are RFC 3339 text: comparing text compares times).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{AssertSqlSafe, Row};

use super::SqliteCrm;
use super::convert::{parse_opt_ts, parse_ts, ts};
use crate::report::{CallbackRow, OutageReportRow, ReportData, SessionRow, SurveyRow, TicketRow};
use crate::store::StoreResult;
use crate::store::report::{
    CALLBACK_ROWS, OUTAGE_REPORT_ROWS, ReportStore, SESSION_ROWS, SURVEY_ROWS, TICKET_ROWS,
};

/// The shared statements use PostgreSQL's `$n`; SQLite's numbered form is `?n`.
fn sqlite(sql: &'static str) -> AssertSqlSafe<String> {
    AssertSqlSafe(sql.replace('$', "?"))
}

#[async_trait]
impl ReportStore for SqliteCrm {
    async fn report_data(
        &self,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
        sessions_until: DateTime<Utc>,
    ) -> StoreResult<ReportData> {
        let pool = self.pool();
        let (from, until, sessions_until) = (ts(&from), ts(&until), ts(&sessions_until));
        let mut data = ReportData::default();
        for r in sqlx::query(sqlite(SESSION_ROWS))
            .bind(&from)
            .bind(&sessions_until)
            .fetch_all(pool)
            .await?
        {
            data.sessions.push(SessionRow {
                channel: r.try_get(0)?,
                language: r.try_get(1)?,
                path: r.try_get(2)?,
                outcome: r.try_get(3)?,
                ended: r.try_get(4)?,
                started_at: parse_ts(&r.try_get::<String, _>(5)?)?,
                account_no: r.try_get(6)?,
                phone: r.try_get(7)?,
            });
        }
        for r in sqlx::query(sqlite(TICKET_ROWS))
            .bind(&from)
            .bind(&until)
            .fetch_all(pool)
            .await?
        {
            data.tickets.push(TicketRow {
                category: r.try_get(0)?,
                status: r.try_get(1)?,
                created_at: parse_ts(&r.try_get::<String, _>(2)?)?,
                sla_due_at: parse_opt_ts(r.try_get(3)?)?,
                resolved_at: parse_opt_ts(r.try_get(4)?)?,
            });
        }
        for r in sqlx::query(sqlite(CALLBACK_ROWS))
            .bind(&until)
            .fetch_all(pool)
            .await?
        {
            data.callbacks.push(CallbackRow {
                status: r.try_get(0)?,
                created_at: parse_ts(&r.try_get::<String, _>(1)?)?,
            });
        }
        for r in sqlx::query(sqlite(OUTAGE_REPORT_ROWS))
            .bind(&from)
            .bind(&until)
            .fetch_all(pool)
            .await?
        {
            data.outage_reports.push(OutageReportRow {
                outage_id: r.try_get(0)?,
                area_code: r.try_get(1)?,
                service: r.try_get(2)?,
                outage_status: r.try_get(3)?,
                created_at: parse_ts(&r.try_get::<String, _>(4)?)?,
            });
        }
        for r in sqlx::query(sqlite(SURVEY_ROWS))
            .bind(&from)
            .bind(&until)
            .fetch_all(pool)
            .await?
        {
            data.surveys.push(SurveyRow {
                channel: r.try_get(0)?,
                language: r.try_get(1)?,
                score: r.try_get(2)?,
                at: parse_ts(&r.try_get::<String, _>(3)?)?,
            });
        }
        Ok(data)
    }
}
