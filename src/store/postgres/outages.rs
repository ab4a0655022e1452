//! Outages, outage reports and the storm primitives in PostgreSQL.
//!
//! The storm statements take the area and service as stored: PostgreSQL text holds no NUL, so
//! such an area matches nothing and is stored with the NUL replaced.

use chrono::{DateTime, Utc};
use sqlx::postgres::{PgConnection, PgPool};

use super::convert::{lookable, opt_ts, storable, ts};
use crate::domain::{Outage, OutageReport};
use crate::store::StoreResult;
use crate::store::common::{origin_lock_key, outage_cols, report_cols, storm_lock_key};
use crate::store::rules::{Insert, OutageRows};

/// The current outage of one area and service, the latest to start first: active, suspected,
/// or scheduled and within its window (reports made during planned works attach to them).
const CURRENT_OUTAGE: &str = concat!(
    "SELECT ",
    outage_cols!(),
    " FROM outages WHERE area_code = $1 AND service = $2 \
       AND (status IN ('active', 'suspected') \
            OR (status = 'scheduled' AND starts_at <= now() \
                AND (expected_end IS NULL OR expected_end > now()))) \
     ORDER BY starts_at DESC, outage_id DESC LIMIT 1"
);

/// Outage tickets of one area ($1) and service ($2), filed since $3, not linked to an outage.
/// `category = 'outage'` is spelled out so that the planner matches the partial index
/// `tickets_outage_window`, whatever plan it caches.
macro_rules! window_tickets {
    () => {
        "category = 'outage' AND area_code = $1 AND service = $2 AND created_at >= $3 \
         AND outage_id IS NULL"
    };
}

#[derive(sqlx::FromRow)]
struct OutageRow {
    outage_id: String,
    area_code: String,
    service: String,
    kind: String,
    starts_at: DateTime<Utc>,
    expected_end: Option<DateTime<Utc>>,
    status: String,
    cause: Option<String>,
}

impl From<OutageRow> for Outage {
    fn from(r: OutageRow) -> Self {
        Outage {
            outage_id: r.outage_id,
            area_code: r.area_code,
            service: r.service,
            kind: r.kind,
            starts_at: r.starts_at,
            expected_end: r.expected_end,
            status: r.status,
            cause: r.cause,
        }
    }
}

#[derive(sqlx::FromRow)]
struct ReportRow {
    reference: String,
    outage_id: String,
    account_no: Option<String>,
    phone: Option<String>,
    channel: String,
    created_at: DateTime<Utc>,
}

impl From<ReportRow> for OutageReport {
    fn from(r: ReportRow) -> Self {
        OutageReport {
            reference: r.reference,
            outage_id: r.outage_id,
            account_no: r.account_no,
            phone: r.phone,
            channel: r.channel,
            created_at: r.created_at,
        }
    }
}

pub(super) async fn active_outage(
    pool: &PgPool,
    area_code: &str,
    service: &str,
) -> StoreResult<Option<Outage>> {
    let (Some(area_code), Some(service)) = (lookable(area_code), lookable(service)) else {
        return Ok(None);
    };
    let row: Option<OutageRow> = sqlx::query_as(CURRENT_OUTAGE)
        .bind(area_code)
        .bind(service)
        .fetch_optional(pool)
        .await?;
    Ok(row.map(Outage::from))
}

pub(super) async fn area_outages(
    pool: &PgPool,
    area_code: &str,
    now: DateTime<Utc>,
) -> StoreResult<Vec<Outage>> {
    let Some(area_code) = lookable(area_code) else {
        return Ok(Vec::new());
    };
    // An active or suspected outage is listed even past its expected end: it is not
    // restored yet.
    let rows: Vec<OutageRow> = sqlx::query_as(concat!(
        "SELECT ",
        outage_cols!(),
        " FROM outages WHERE area_code = $1 AND (status IN ('active', 'suspected') \
           OR (status = 'scheduled' AND (expected_end IS NULL OR expected_end > $2))) \
         ORDER BY starts_at, outage_id"
    ))
    .bind(area_code)
    .bind(ts(&now))
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(Outage::from).collect())
}

pub(super) async fn outage_report_count(pool: &PgPool, outage_id: &str) -> StoreResult<i64> {
    let Some(outage_id) = lookable(outage_id) else {
        return Ok(0);
    };
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM outage_reports WHERE outage_id = $1")
            .bind(outage_id)
            .fetch_one(pool)
            .await?,
    )
}

pub(super) async fn outage_report(
    pool: &PgPool,
    reference: &str,
) -> StoreResult<Option<OutageReport>> {
    let Some(reference) = lookable(reference) else {
        return Ok(None);
    };
    let row: Option<ReportRow> = sqlx::query_as(concat!(
        "SELECT ",
        report_cols!(),
        " FROM outage_reports WHERE reference = $1"
    ))
    .bind(reference)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(OutageReport::from))
}

pub(super) async fn outage(pool: &PgPool, outage_id: &str) -> StoreResult<Option<Outage>> {
    let Some(outage_id) = lookable(outage_id) else {
        return Ok(None);
    };
    let row: Option<OutageRow> = sqlx::query_as(concat!(
        "SELECT ",
        outage_cols!(),
        " FROM outages WHERE outage_id = $1"
    ))
    .bind(outage_id)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(Outage::from))
}

impl OutageRows for PgConnection {
    /// A transaction-scoped advisory lock on a stable hash of the key.
    async fn lock_origin_key(&mut self, origin_key: &str) -> StoreResult<()> {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(origin_lock_key(origin_key))
            .execute(self)
            .await?;
        Ok(())
    }

    /// A transaction-scoped advisory lock on a stable hash of the area and service, taken by
    /// every instance sharing the database. It is a statement of its own: each later statement
    /// sees what the previous holder committed.
    async fn lock_filings(&mut self, area_code: &str, service: &str) -> StoreResult<()> {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(storm_lock_key(&storable(area_code), &storable(service)))
            .execute(self)
            .await?;
        Ok(())
    }

    async fn report_by_origin(&mut self, origin_key: &str) -> StoreResult<Option<OutageReport>> {
        let row: Option<ReportRow> = sqlx::query_as(concat!(
            "SELECT ",
            report_cols!(),
            " FROM outage_reports WHERE origin_key = $1"
        ))
        .bind(origin_key)
        .fetch_optional(self)
        .await?;
        Ok(row.map(OutageReport::from))
    }

    async fn outage(&mut self, outage_id: &str) -> StoreResult<Option<Outage>> {
        let row: Option<OutageRow> = sqlx::query_as(concat!(
            "SELECT ",
            outage_cols!(),
            " FROM outages WHERE outage_id = $1"
        ))
        .bind(outage_id)
        .fetch_optional(self)
        .await?;
        Ok(row.map(Outage::from))
    }

    async fn current_outage(
        &mut self,
        area_code: &str,
        service: &str,
    ) -> StoreResult<Option<Outage>> {
        let row: Option<OutageRow> = sqlx::query_as(CURRENT_OUTAGE)
            .bind(storable(area_code))
            .bind(storable(service))
            .fetch_optional(self)
            .await?;
        Ok(row.map(Outage::from))
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
        .bind(storable(area_code))
        .bind(storable(service))
        .bind(since)
        .fetch_one(self)
        .await?)
    }

    async fn area_exists(&mut self, area_code: &str) -> StoreResult<bool> {
        Ok(
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM areas WHERE area_code = $1)")
                .bind(storable(area_code))
                .fetch_one(self)
                .await?,
        )
    }

    async fn insert_outage(&mut self, o: &Outage) -> StoreResult<bool> {
        let inserted: Option<String> = sqlx::query_scalar(concat!(
            "INSERT INTO outages (",
            outage_cols!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (outage_id) DO NOTHING RETURNING outage_id"
        ))
        .bind(storable(&o.outage_id))
        .bind(storable(&o.area_code))
        .bind(storable(&o.service))
        .bind(&o.kind)
        .bind(ts(&o.starts_at))
        .bind(opt_ts(&o.expected_end))
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
            "UPDATE tickets SET outage_id = $4 WHERE ",
            window_tickets!()
        ))
        .bind(storable(area_code))
        .bind(storable(service))
        .bind(since)
        .bind(storable(outage_id))
        .execute(self)
        .await?;
        Ok(())
    }

    async fn filing_context(
        &mut self,
        origin_key: &str,
        area_code: &str,
        service: &str,
    ) -> StoreResult<(bool, Option<Outage>)> {
        use sqlx::{FromRow, Row};
        let row = sqlx::query(concat!(
            "SELECT (EXISTS (SELECT 1 FROM outage_reports WHERE origin_key = $1)                   OR EXISTS (SELECT 1 FROM tickets WHERE origin_key = $1)) AS taken, o.*              FROM (SELECT 1) AS one LEFT JOIN LATERAL (SELECT ",
            outage_cols!(),
            " FROM outages WHERE area_code = $2 AND service = $3                AND (status IN ('active', 'suspected')                     OR (status = 'scheduled' AND starts_at <= now()                         AND (expected_end IS NULL OR expected_end > now())))                ORDER BY starts_at DESC, outage_id DESC LIMIT 1) AS o ON true"
        ))
        .bind(origin_key)
        .bind(storable(area_code))
        .bind(storable(service))
        .fetch_one(&mut *self)
        .await?;
        let taken: bool = row.try_get("taken")?;
        let current = match row.try_get::<Option<String>, _>("outage_id")? {
            Some(_) => Some(Outage::from(OutageRow::from_row(&row)?)),
            None => None,
        };
        Ok((taken, current))
    }

    async fn insert_new_report(
        &mut self,
        r: &OutageReport,
        origin_key: &str,
    ) -> StoreResult<Insert> {
        // One statement checks the reference is free and writes (see `Insert`).
        let (free, written): (bool, bool) = sqlx::query_as(concat!(
            "WITH free AS (SELECT NOT EXISTS (SELECT 1 FROM tickets WHERE ticket_ref = $1)                  AND NOT EXISTS (SELECT 1 FROM outage_reports WHERE reference = $1) AS ok),              written AS (INSERT INTO outage_reports (",
            report_cols!(),
            ", origin_key) SELECT $1, $2, $3, $4, $5, $6, $7 FROM free WHERE free.ok                ON CONFLICT (origin_key) DO NOTHING RETURNING reference)              SELECT (SELECT ok FROM free), EXISTS (SELECT 1 FROM written)"
        ))
        .bind(&r.reference)
        .bind(storable(&r.outage_id))
        .bind(&r.account_no)
        .bind(&r.phone)
        .bind(&r.channel)
        .bind(ts(&r.created_at))
        .bind(origin_key)
        .fetch_one(self)
        .await?;
        Ok(match (free, written) {
            (false, _) => Insert::ReferenceTaken,
            (true, true) => Insert::Written,
            (true, false) => Insert::KeyTaken,
        })
    }
}
