//! Prepaid token purchases and meter readings in SQLite.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, Row, params};

use super::connection::{all, one, optional};
use super::convert::{date, parse_date, parse_ts, ts};
use crate::domain::{MeterReading, NewMeterReading, TokenResend, Vend};
use crate::reference;
use crate::store::StoreResult;

/// Counter that numbers ticket and outage-report references (shared with self-readings).
const REFERENCE_COUNTER: &str = "reference";

const VEND_COLS: &str = "v.vend_id, v.account_no, v.meter_no, v.vended_at, v.amount_minor, v.currency, v.units, v.token";
const READING_COLS: &str = "reading_id, account_no, meter_no, read_on, reading, source";

fn vend_row(r: &Row<'_>) -> rusqlite::Result<(Vend, String)> {
    let at: String = r.get(3)?;
    Ok((
        Vend {
            vend_id: r.get(0)?,
            account_no: r.get(1)?,
            meter_no: r.get(2)?,
            vended_at: DateTime::<Utc>::UNIX_EPOCH,
            amount_minor: r.get(4)?,
            currency: r.get(5)?,
            units: r.get(6)?,
            token: r.get(7)?,
        },
        at,
    ))
}

fn vend((mut vend, at): (Vend, String)) -> StoreResult<Vend> {
    vend.vended_at = parse_ts(&at)?;
    Ok(vend)
}

fn reading_row(r: &Row<'_>) -> rusqlite::Result<(MeterReading, String)> {
    let on: String = r.get(3)?;
    Ok((
        MeterReading {
            reading_id: r.get(0)?,
            account_no: r.get(1)?,
            meter_no: r.get(2)?,
            read_on: chrono::NaiveDate::MIN,
            reading: r.get(4)?,
            source: r.get(5)?,
        },
        on,
    ))
}

fn reading((mut reading, on): (MeterReading, String)) -> StoreResult<MeterReading> {
    reading.read_on = parse_date(&on)?;
    Ok(reading)
}

pub(super) fn recent_vends(
    conn: &Connection,
    account_no: &str,
    limit: u32,
) -> StoreResult<Vec<Vend>> {
    all(
        conn,
        &format!(
            "SELECT {VEND_COLS} FROM vends v WHERE v.account_no = ? \
             ORDER BY v.vended_at DESC, v.vend_id DESC LIMIT ?"
        ),
        params![account_no, limit],
        vend_row,
    )?
    .into_iter()
    .map(vend)
    .collect()
}

/// Queues the SMS (nothing when the key already queued one), then reads what it repeats.
pub(super) fn resend_token(conn: &Connection, request: &TokenResend) -> StoreResult<Option<Vend>> {
    let dedupe_key = format!("token:{}", request.origin_key);
    conn.prepare_cached(
        "INSERT INTO sms_outbox (dedupe_key, kind, phone, account_no, reference, detail) \
         SELECT ?1, 'token_resend', ?2, v.account_no, v.vend_id, v.token FROM vends v \
         WHERE v.account_no = ?3 ORDER BY v.vended_at DESC, v.vend_id DESC LIMIT 1 \
         ON CONFLICT (dedupe_key) DO NOTHING",
    )?
    .execute(params![dedupe_key, request.phone, request.account_no])?;
    optional(
        conn,
        &format!(
            "SELECT {VEND_COLS} FROM sms_outbox o JOIN vends v ON v.vend_id = o.reference \
             WHERE o.dedupe_key = ?"
        ),
        [dedupe_key],
        vend_row,
    )?
    .map(vend)
    .transpose()
}

pub(super) fn meter_readings(
    conn: &Connection,
    account_no: &str,
    limit: u32,
) -> StoreResult<Vec<MeterReading>> {
    all(
        conn,
        &format!(
            "SELECT {READING_COLS} FROM meter_readings WHERE account_no = ? \
             ORDER BY read_on DESC, reading DESC LIMIT ?"
        ),
        params![account_no, limit],
        reading_row,
    )?
    .into_iter()
    .map(reading)
    .collect()
}

/// One writer job: the first reading under the key, or a new one with the next reference.
pub(super) fn submit_meter_reading(
    conn: &Connection,
    new: &NewMeterReading,
) -> StoreResult<MeterReading> {
    let by_origin = format!("SELECT {READING_COLS} FROM meter_readings WHERE origin_key = ?");
    if let Some(first) = optional(conn, &by_origin, [&new.origin_key], reading_row)? {
        return reading(first);
    }
    let number: i64 = one(
        conn,
        "INSERT INTO counters (name, value) VALUES (?1, 1) \
         ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value",
        [REFERENCE_COUNTER],
        |r| r.get(0),
    )?;
    let reference = reference::new_reference(new.at, number.max(0) as u64);
    conn.prepare_cached(
        "INSERT INTO meter_readings (reading_id, account_no, meter_no, read_on, reading, source, \
         phone, channel, created_at, origin_key) \
         VALUES (?, ?, ?, ?, ?, 'customer', ?, ?, ?, ?)",
    )?
    .execute(params![
        reference,
        new.account_no,
        new.meter_no,
        date(&new.read_on),
        new.reading,
        new.phone,
        new.channel,
        ts(&new.at),
        new.origin_key,
    ])?;
    Ok(MeterReading {
        reading_id: reference,
        account_no: new.account_no.clone(),
        meter_no: new.meter_no.clone(),
        read_on: new.read_on,
        reading: new.reading,
        source: "customer".to_string(),
    })
}
