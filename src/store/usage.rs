//! Prepaid token purchases and meter readings: each statement once, for both databases. What
//! is filed once per request (a token resent, a self-reading) is decided in `rules.rs`.

use super::StoreResult;
use super::common::select;
use super::sql::{Db, FromRow, Row, args, statements};
use crate::domain::{MeterReading, NewMeterReading, Vend};

macro_rules! vend_cols {
    () => {
        "v.vend_id, v.account_no, v.meter_no, v.vended_at, v.amount_minor, v.currency, v.units, v.token"
    };
}

macro_rules! reading_cols {
    () => {
        "reading_id, account_no, meter_no, read_on, reading, source"
    };
}

impl FromRow for Vend {
    /// A row of `vend_cols!`, in its order.
    fn from_row(r: &impl Row) -> StoreResult<Self> {
        Ok(Vend {
            vend_id: r.text(0)?,
            account_no: r.text(1)?,
            meter_no: r.text(2)?,
            vended_at: r.time(3)?,
            amount_minor: r.int(4)?,
            currency: r.text(5)?,
            units: r.text(6)?,
            token: r.text(7)?,
        })
    }
}

impl FromRow for MeterReading {
    /// A row of `reading_cols!`, in its order.
    fn from_row(r: &impl Row) -> StoreResult<Self> {
        Ok(MeterReading {
            reading_id: r.text(0)?,
            account_no: r.text(1)?,
            meter_no: r.text(2)?,
            read_on: r.date(3)?,
            reading: r.int(4)?,
            source: r.text(5)?,
        })
    }
}

statements! {
    /// See [`crate::store::CrmStore::recent_vends`].
    pub(crate) fn recent_vends(account_no: &str, limit: u32) -> Vec<Vend> = all
        select!(
            vend_cols,
            "FROM vends v WHERE v.account_no = $1 \
             ORDER BY v.vended_at DESC, v.vend_id DESC LIMIT $2"
        );

    /// Queues one SMS under `dedupe_key` repeating the account's latest token; nothing when the
    /// key already queued one, or the account bought none.
    pub(crate) fn queue_latest_token(dedupe_key: &str, phone: &str, account_no: &str) = execute
        "INSERT INTO sms_outbox (dedupe_key, kind, phone, account_no, reference, detail) \
         SELECT $1, 'token_resend', $2, v.account_no, v.vend_id, v.token FROM vends v \
         WHERE v.account_no = $3 ORDER BY v.vended_at DESC, v.vend_id DESC LIMIT 1 \
         ON CONFLICT (dedupe_key) DO NOTHING";

    /// The purchase whose token the SMS queued under `dedupe_key` repeats.
    pub(crate) fn vend_queued_under(dedupe_key: &str) -> Option<Vend> = optional
        select!(
            vend_cols,
            "FROM sms_outbox o JOIN vends v ON v.vend_id = o.reference \
             WHERE o.dedupe_key = $1"
        );

    /// See [`crate::store::CrmStore::meter_readings`].
    pub(crate) fn meter_readings(account_no: &str, limit: u32) -> Vec<MeterReading> = all
        select!(
            reading_cols,
            "FROM meter_readings WHERE account_no = $1 \
             ORDER BY read_on DESC, reading DESC LIMIT $2"
        );

    /// The self-reading filed under `origin_key`.
    pub(crate) fn reading_by_origin(origin_key: &str) -> Option<MeterReading> = optional
        select!(reading_cols, "FROM meter_readings WHERE origin_key = $1");

    /// Writes `reading` as `new`'s self-reading; false (and nothing written) when another
    /// reading holds `new.origin_key`.
    pub(crate) fn insert_reading(reading: &MeterReading, new: &NewMeterReading) -> bool = execute
        "INSERT INTO meter_readings (reading_id, account_no, meter_no, read_on, reading, \
         source, phone, channel, created_at, origin_key) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (origin_key) DO NOTHING",
        args![
            &reading.reading_id,
            &reading.account_no,
            &reading.meter_no,
            reading.read_on,
            reading.reading,
            &reading.source,
            &new.phone,
            &new.channel,
            new.at,
            &new.origin_key,
        ];
}

/// The next number of the sequence tickets, outage reports and self-readings share: SQLite
/// counts in a row of `counters` (one writer at a time), PostgreSQL draws from a sequence
/// (never waits on another transaction).
pub(crate) async fn next_reference_number<D: Db>(db: &mut D) -> StoreResult<i64> {
    db.fetch_one(
        D::DIALECT.pick(
            "INSERT INTO counters (name, value) VALUES ('reference', 1) \
             ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value",
            "SELECT nextval('reference_seq')",
        ),
        args![],
    )
    .await
}
