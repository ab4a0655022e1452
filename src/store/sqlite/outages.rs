//! Outages, outage reports and the storm primitives in SQLite.

use chrono::{DateTime, Utc};
use sqlx::sqlite::{SqliteConnection, SqlitePool};

use super::convert::{parse_opt_ts, parse_ts, ts};
use crate::domain::{Outage, OutageReport};
use crate::store::common::{outage_cols, report_cols};
use crate::store::rules::OutageRows;
use crate::store::{StoreError, StoreResult};

/// The active or suspected outage of one area and service, the latest to start first.
const CURRENT_OUTAGE: &str = concat!(
    "SELECT ",
    outage_cols!(),
    " FROM outages WHERE area_code = ?1 AND service = ?2 AND status IN ('active', 'suspected') \
     ORDER BY starts_at DESC, outage_id DESC LIMIT 1"
);

/// Outage tickets of one area (?1) and service (?2), filed since ?3, not linked to an outage.
/// `category = 'outage'` is spelled out for the partial index `tickets_outage_window`.
macro_rules! window_tickets {
    () => {
        "category = 'outage' AND area_code = ?1 AND service = ?2 AND created_at >= ?3 \
         AND outage_id IS NULL"
    };
}

#[derive(sqlx::FromRow)]
struct OutageRow {
    outage_id: String,
    area_code: String,
    service: String,
    kind: String,
    starts_at: String,
    expected_end: Option<String>,
    status: String,
    cause: Option<String>,
}

impl TryFrom<OutageRow> for Outage {
    type Error = StoreError;
    fn try_from(r: OutageRow) -> StoreResult<Self> {
        Ok(Outage {
            outage_id: r.outage_id,
            area_code: r.area_code,
            service: r.service,
            kind: r.kind,
            starts_at: parse_ts(&r.starts_at)?,
            expected_end: parse_opt_ts(r.expected_end)?,
            status: r.status,
            cause: r.cause,
        })
    }
}

#[derive(sqlx::FromRow)]
struct ReportRow {
    reference: String,
    outage_id: String,
    account_no: Option<String>,
    phone: Option<String>,
    channel: String,
    created_at: String,
}

impl TryFrom<ReportRow> for OutageReport {
    type Error = StoreError;
    fn try_from(r: ReportRow) -> StoreResult<Self> {
        Ok(OutageReport {
            reference: r.reference,
            outage_id: r.outage_id,
            account_no: r.account_no,
            phone: r.phone,
            channel: r.channel,
            created_at: parse_ts(&r.created_at)?,
        })
    }
}

pub(super) async fn active_outage(
    pool: &SqlitePool,
    area_code: &str,
    service: &str,
) -> StoreResult<Option<Outage>> {
    let row: Option<OutageRow> = sqlx::query_as(CURRENT_OUTAGE)
        .bind(area_code)
        .bind(service)
        .fetch_optional(pool)
        .await?;
    row.map(Outage::try_from).transpose()
}

pub(super) async fn area_outages(
    pool: &SqlitePool,
    area_code: &str,
    now: DateTime<Utc>,
) -> StoreResult<Vec<Outage>> {
    // An active or suspected outage is listed even past its expected end: it is not
    // restored yet.
    let rows: Vec<OutageRow> = sqlx::query_as(concat!(
        "SELECT ",
        outage_cols!(),
        " FROM outages WHERE area_code = ? AND (status IN ('active', 'suspected') \
           OR (status = 'scheduled' AND (expected_end IS NULL OR expected_end > ?))) \
         ORDER BY starts_at, outage_id"
    ))
    .bind(area_code)
    .bind(ts(&now))
    .fetch_all(pool)
    .await?;
    rows.into_iter().map(Outage::try_from).collect()
}

pub(super) async fn outage_report_count(pool: &SqlitePool, outage_id: &str) -> StoreResult<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM outage_reports WHERE outage_id = ?")
            .bind(outage_id)
            .fetch_one(pool)
            .await?,
    )
}

pub(super) async fn outage_report(
    pool: &SqlitePool,
    reference: &str,
) -> StoreResult<Option<OutageReport>> {
    let row: Option<ReportRow> = sqlx::query_as(concat!(
        "SELECT ",
        report_cols!(),
        " FROM outage_reports WHERE reference = ?"
    ))
    .bind(reference)
    .fetch_optional(pool)
    .await?;
    row.map(OutageReport::try_from).transpose()
}

pub(super) async fn outage(pool: &SqlitePool, outage_id: &str) -> StoreResult<Option<Outage>> {
    let row: Option<OutageRow> = sqlx::query_as(concat!(
        "SELECT ",
        outage_cols!(),
        " FROM outages WHERE outage_id = ?"
    ))
    .bind(outage_id)
    .fetch_optional(pool)
    .await?;
    row.map(Outage::try_from).transpose()
}

/// Every statement runs in a `BEGIN IMMEDIATE` transaction of the store's one writer.
impl OutageRows for SqliteConnection {
    async fn lock_origin_key(&mut self, _origin_key: &str) -> StoreResult<()> {
        // The transaction already holds the database's only write lock.
        Ok(())
    }

    async fn lock_filings(&mut self, _area_code: &str, _service: &str) -> StoreResult<()> {
        // The transaction already holds the database's only write lock.
        Ok(())
    }

    async fn report_by_origin(&mut self, origin_key: &str) -> StoreResult<Option<OutageReport>> {
        let row: Option<ReportRow> = sqlx::query_as(concat!(
            "SELECT ",
            report_cols!(),
            " FROM outage_reports WHERE origin_key = ?"
        ))
        .bind(origin_key)
        .fetch_optional(self)
        .await?;
        row.map(OutageReport::try_from).transpose()
    }

    async fn outage(&mut self, outage_id: &str) -> StoreResult<Option<Outage>> {
        let row: Option<OutageRow> = sqlx::query_as(concat!(
            "SELECT ",
            outage_cols!(),
            " FROM outages WHERE outage_id = ?"
        ))
        .bind(outage_id)
        .fetch_optional(self)
        .await?;
        row.map(Outage::try_from).transpose()
    }

    async fn current_outage(
        &mut self,
        area_code: &str,
        service: &str,
    ) -> StoreResult<Option<Outage>> {
        let row: Option<OutageRow> = sqlx::query_as(CURRENT_OUTAGE)
            .bind(area_code)
            .bind(service)
            .fetch_optional(self)
            .await?;
        row.map(Outage::try_from).transpose()
    }

    async fn count_unlinked_outage_tickets(
        &mut self,
        area_code: &str,
        service: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(concat!(
            "SELECT COUNT(*) FROM tickets WHERE ",
            window_tickets!()
        ))
        .bind(area_code)
        .bind(service)
        .bind(ts(&since))
        .fetch_one(self)
        .await?)
    }

    async fn area_exists(&mut self, area_code: &str) -> StoreResult<bool> {
        Ok(
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM areas WHERE area_code = ?)")
                .bind(area_code)
                .fetch_one(self)
                .await?,
        )
    }

    async fn insert_outage(&mut self, o: &Outage) -> StoreResult<bool> {
        let inserted: Option<String> = sqlx::query_scalar(concat!(
            "INSERT INTO outages (",
            outage_cols!(),
            ") VALUES (?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (outage_id) DO NOTHING RETURNING outage_id"
        ))
        .bind(&o.outage_id)
        .bind(&o.area_code)
        .bind(&o.service)
        .bind(&o.kind)
        .bind(ts(&o.starts_at))
        .bind(o.expected_end.as_ref().map(ts))
        .bind(&o.status)
        .bind(&o.cause)
        .fetch_optional(self)
        .await?;
        Ok(inserted.is_some())
    }

    async fn link_outage_tickets(
        &mut self,
        area_code: &str,
        service: &str,
        since: DateTime<Utc>,
        outage_id: &str,
    ) -> StoreResult<()> {
        sqlx::query(concat!(
            "UPDATE tickets SET outage_id = ?4 WHERE ",
            window_tickets!()
        ))
        .bind(area_code)
        .bind(service)
        .bind(ts(&since))
        .bind(outage_id)
        .execute(self)
        .await?;
        Ok(())
    }

    async fn insert_report(&mut self, r: &OutageReport, origin_key: &str) -> StoreResult<bool> {
        let inserted: Option<String> = sqlx::query_scalar(concat!(
            "INSERT INTO outage_reports (",
            report_cols!(),
            ", origin_key) VALUES (?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (origin_key) DO NOTHING RETURNING reference"
        ))
        .bind(&r.reference)
        .bind(&r.outage_id)
        .bind(&r.account_no)
        .bind(&r.phone)
        .bind(&r.channel)
        .bind(ts(&r.created_at))
        .bind(origin_key)
        .fetch_optional(self)
        .await?;
        Ok(inserted.is_some())
    }
}
