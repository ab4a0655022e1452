//! Prepaid token purchases and meter readings in PostgreSQL.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgPool;

use super::convert::lookable;
use crate::domain::{MeterReading, NewMeterReading, TokenResend, Vend};
use crate::reference;
use crate::store::StoreResult;

#[derive(sqlx::FromRow)]
struct VendRow {
    vend_id: String,
    account_no: String,
    meter_no: String,
    vended_at: DateTime<Utc>,
    amount_minor: i64,
    currency: String,
    units: String,
    token: String,
}

impl From<VendRow> for Vend {
    fn from(r: VendRow) -> Vend {
        Vend {
            vend_id: r.vend_id,
            account_no: r.account_no,
            meter_no: r.meter_no,
            vended_at: r.vended_at,
            amount_minor: r.amount_minor,
            currency: r.currency,
            units: r.units,
            token: r.token,
        }
    }
}

#[derive(sqlx::FromRow)]
struct ReadingRow {
    reading_id: String,
    account_no: String,
    meter_no: String,
    read_on: NaiveDate,
    reading: i64,
    source: String,
}

impl From<ReadingRow> for MeterReading {
    fn from(r: ReadingRow) -> MeterReading {
        MeterReading {
            reading_id: r.reading_id,
            account_no: r.account_no,
            meter_no: r.meter_no,
            read_on: r.read_on,
            reading: r.reading,
            source: r.source,
        }
    }
}

const VEND_COLS: &str = "v.vend_id, v.account_no, v.meter_no, v.vended_at, v.amount_minor, v.currency, v.units, v.token";

pub(super) async fn recent_vends(
    pool: &PgPool,
    account_no: &str,
    limit: u32,
) -> StoreResult<Vec<Vend>> {
    let Some(account_no) = lookable(account_no) else {
        return Ok(Vec::new());
    };
    let rows: Vec<VendRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {VEND_COLS} FROM vends v WHERE v.account_no = $1 \
         ORDER BY v.vended_at DESC, v.vend_id DESC LIMIT $2"
    )))
    .bind(account_no)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(Vend::from).collect())
}

/// Queues the SMS (nothing when the key already queued one), then reads what it repeats (in a
/// statement of its own: a retry racing its original sees the row the original committed).
pub(super) async fn resend_token(
    pool: &PgPool,
    request: &TokenResend,
) -> StoreResult<Option<Vend>> {
    let Some(account_no) = lookable(&request.account_no) else {
        return Ok(None);
    };
    let dedupe_key = format!("token:{}", request.origin_key.replace('\0', ""));
    sqlx::query(
        "INSERT INTO sms_outbox (dedupe_key, kind, phone, account_no, reference, detail) \
         SELECT $1, 'token_resend', $2, v.account_no, v.vend_id, v.token FROM vends v \
         WHERE v.account_no = $3 ORDER BY v.vended_at DESC, v.vend_id DESC LIMIT 1 \
         ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(&dedupe_key)
    .bind(&request.phone)
    .bind(account_no)
    .execute(pool)
    .await?;
    let row: Option<VendRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {VEND_COLS} FROM sms_outbox o JOIN vends v ON v.vend_id = o.reference \
         WHERE o.dedupe_key = $1"
    )))
    .bind(&dedupe_key)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(Vend::from))
}

pub(super) async fn meter_readings(
    pool: &PgPool,
    account_no: &str,
    limit: u32,
) -> StoreResult<Vec<MeterReading>> {
    let Some(account_no) = lookable(account_no) else {
        return Ok(Vec::new());
    };
    let rows: Vec<ReadingRow> = sqlx::query_as(
        "SELECT reading_id, account_no, meter_no, read_on, reading, source FROM meter_readings \
         WHERE account_no = $1 ORDER BY read_on DESC, reading DESC LIMIT $2",
    )
    .bind(account_no)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(MeterReading::from).collect())
}

/// The reading under the key, else a new one with the next reference. A retry racing its
/// original waits on the key's unique index, writes nothing, and reads the original's row.
pub(super) async fn submit_meter_reading(
    pool: &PgPool,
    new: &NewMeterReading,
) -> StoreResult<MeterReading> {
    let by_origin = || {
        sqlx::query_as::<_, ReadingRow>(
            "SELECT reading_id, account_no, meter_no, read_on, reading, source \
             FROM meter_readings WHERE origin_key = $1",
        )
        .bind(&new.origin_key)
    };
    if let Some(first) = by_origin().fetch_optional(pool).await? {
        return Ok(first.into());
    }
    let number: i64 = sqlx::query_scalar("SELECT nextval('reference_seq')")
        .fetch_one(pool)
        .await?;
    let reference = reference::new_reference(new.at, number.max(0) as u64);
    let written = sqlx::query(
        "INSERT INTO meter_readings (reading_id, account_no, meter_no, read_on, reading, source, \
         phone, channel, created_at, origin_key) \
         VALUES ($1, $2, $3, $4, $5, 'customer', $6, $7, $8, $9) \
         ON CONFLICT (origin_key) DO NOTHING",
    )
    .bind(&reference)
    .bind(&new.account_no)
    .bind(&new.meter_no)
    .bind(new.read_on)
    .bind(new.reading)
    .bind(&new.phone)
    .bind(&new.channel)
    .bind(new.at)
    .bind(&new.origin_key)
    .execute(pool)
    .await?;
    if written.rows_affected() == 0 {
        let first = by_origin().fetch_optional(pool).await?;
        return first.map(MeterReading::from).ok_or_else(|| {
            crate::store::StoreError::Corrupt("origin_key conflicted but no row holds it".into())
        });
    }
    Ok(MeterReading {
        reading_id: reference,
        account_no: new.account_no.clone(),
        meter_no: new.meter_no.clone(),
        read_on: new.read_on,
        reading: new.reading,
        source: "customer".to_string(),
    })
}
