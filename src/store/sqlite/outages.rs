//! Outages, outage reports and the storm primitives in SQLite.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, Row, params};

use super::connection::{all, exec, one, optional};
use super::convert::{parse_opt_ts, parse_ts, ts};
use super::writer::Rows;
use crate::domain::{Outage, OutageReport};
use crate::store::common::{outage_cols, report_cols};
use crate::store::rules::{Insert, OutageRows};
use crate::store::{StoreError, StoreResult};

/// The current outage of one area and service, the latest to start first: active, suspected,
/// or scheduled and within its window (reports made during planned works attach to them).
const CURRENT_OUTAGE: &str = concat!(
    "SELECT ",
    outage_cols!(),
    " FROM outages WHERE area_code = ?1 AND service = ?2 \
       AND (status IN ('active', 'suspected') \
            OR (status = 'scheduled' \
                AND starts_at <= strftime('%Y-%m-%dT%H:%M:%SZ', 'now') \
                AND (expected_end IS NULL \
                     OR expected_end > strftime('%Y-%m-%dT%H:%M:%SZ', 'now')))) \
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

/// A row of `outage_cols!`, in its order (times still as text).
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

impl OutageRow {
    fn read(r: &Row<'_>) -> rusqlite::Result<OutageRow> {
        Ok(OutageRow {
            outage_id: r.get(0)?,
            area_code: r.get(1)?,
            service: r.get(2)?,
            kind: r.get(3)?,
            starts_at: r.get(4)?,
            expected_end: r.get(5)?,
            status: r.get(6)?,
            cause: r.get(7)?,
        })
    }
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

/// A row of `report_cols!`, in its order (time still as text).
struct ReportRow {
    reference: String,
    outage_id: String,
    account_no: Option<String>,
    phone: Option<String>,
    channel: String,
    created_at: String,
}

impl ReportRow {
    fn read(r: &Row<'_>) -> rusqlite::Result<ReportRow> {
        Ok(ReportRow {
            reference: r.get(0)?,
            outage_id: r.get(1)?,
            account_no: r.get(2)?,
            phone: r.get(3)?,
            channel: r.get(4)?,
            created_at: r.get(5)?,
        })
    }
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

/// The active or suspected outage of one area and service (readers and the rules).
pub(super) fn active_outage(
    conn: &Connection,
    area_code: &str,
    service: &str,
) -> StoreResult<Option<Outage>> {
    let row = optional(conn, CURRENT_OUTAGE, [area_code, service], OutageRow::read)?;
    row.map(Outage::try_from).transpose()
}

pub(super) fn area_outages(
    conn: &Connection,
    area_code: &str,
    now: DateTime<Utc>,
) -> StoreResult<Vec<Outage>> {
    // An active or suspected outage is listed even past its expected end: it is not
    // restored yet.
    let rows = all(
        conn,
        concat!(
            "SELECT ",
            outage_cols!(),
            " FROM outages WHERE area_code = ? AND (status IN ('active', 'suspected') \
               OR (status = 'scheduled' AND (expected_end IS NULL OR expected_end > ?))) \
             ORDER BY starts_at, outage_id"
        ),
        params![area_code, ts(&now)],
        OutageRow::read,
    )?;
    rows.into_iter().map(Outage::try_from).collect()
}

pub(super) fn outage_report_count(conn: &Connection, outage_id: &str) -> StoreResult<i64> {
    one(
        conn,
        "SELECT COUNT(*) FROM outage_reports WHERE outage_id = ?",
        [outage_id],
        |r| r.get(0),
    )
}

pub(super) fn outage_report(
    conn: &Connection,
    reference: &str,
) -> StoreResult<Option<OutageReport>> {
    let row = optional(
        conn,
        concat!(
            "SELECT ",
            report_cols!(),
            " FROM outage_reports WHERE reference = ?"
        ),
        [reference],
        ReportRow::read,
    )?;
    row.map(OutageReport::try_from).transpose()
}

/// One outage by id (readers and the rules).
pub(super) fn outage(conn: &Connection, outage_id: &str) -> StoreResult<Option<Outage>> {
    let row = optional(
        conn,
        concat!(
            "SELECT ",
            outage_cols!(),
            " FROM outages WHERE outage_id = ?"
        ),
        [outage_id],
        OutageRow::read,
    )?;
    row.map(Outage::try_from).transpose()
}

/// Run by the filing rules on the writer thread, inside its transaction.
impl OutageRows for Rows<'_> {
    async fn lock_origin_key(&mut self, _origin_key: &str) -> StoreResult<()> {
        // Nothing to lock: the store's one writer thread runs one filing at a time, in a
        // `BEGIN IMMEDIATE` transaction that holds the database's only write lock (another
        // instance on the same file waits for it).
        Ok(())
    }

    async fn lock_filings(&mut self, _area_code: &str, _service: &str) -> StoreResult<()> {
        // Nothing to lock, for the same reason as `lock_origin_key`.
        Ok(())
    }

    async fn report_by_origin(&mut self, origin_key: &str) -> StoreResult<Option<OutageReport>> {
        let row = optional(
            self.0,
            concat!(
                "SELECT ",
                report_cols!(),
                " FROM outage_reports WHERE origin_key = ?"
            ),
            [origin_key],
            ReportRow::read,
        )?;
        row.map(OutageReport::try_from).transpose()
    }

    async fn outage(&mut self, outage_id: &str) -> StoreResult<Option<Outage>> {
        outage(self.0, outage_id)
    }

    async fn current_outage(
        &mut self,
        area_code: &str,
        service: &str,
    ) -> StoreResult<Option<Outage>> {
        active_outage(self.0, area_code, service)
    }

    async fn count_unlinked_outage_tickets(
        &mut self,
        area_code: &str,
        service: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<i64> {
        one(
            self.0,
            concat!("SELECT COUNT(*) FROM tickets WHERE ", window_tickets!()),
            params![area_code, service, ts(&since)],
            |r| r.get(0),
        )
    }

    async fn area_exists(&mut self, area_code: &str) -> StoreResult<bool> {
        one(
            self.0,
            "SELECT EXISTS (SELECT 1 FROM areas WHERE area_code = ?)",
            [area_code],
            |r| r.get(0),
        )
    }

    async fn insert_outage(&mut self, o: &Outage) -> StoreResult<bool> {
        let inserted: Option<String> = optional(
            self.0,
            concat!(
                "INSERT INTO outages (",
                outage_cols!(),
                ") VALUES (?, ?, ?, ?, ?, ?, ?, ?) \
                 ON CONFLICT (outage_id) DO NOTHING RETURNING outage_id"
            ),
            params![
                o.outage_id,
                o.area_code,
                o.service,
                o.kind,
                ts(&o.starts_at),
                o.expected_end.as_ref().map(ts),
                o.status,
                o.cause,
            ],
            |r| r.get(0),
        )?;
        Ok(inserted.is_some())
    }

    async fn link_outage_tickets(
        &mut self,
        area_code: &str,
        service: &str,
        since: DateTime<Utc>,
        outage_id: &str,
    ) -> StoreResult<()> {
        exec(
            self.0,
            concat!(
                "UPDATE tickets SET outage_id = ?4 WHERE ",
                window_tickets!()
            ),
            params![area_code, service, ts(&since), outage_id],
        )?;
        Ok(())
    }

    async fn insert_new_report(
        &mut self,
        r: &OutageReport,
        origin_key: &str,
    ) -> StoreResult<Insert> {
        if super::tickets::reference_taken(self.0, &r.reference)? {
            return Ok(Insert::ReferenceTaken);
        }
        let inserted: Option<String> = optional(
            self.0,
            concat!(
                "INSERT INTO outage_reports (",
                report_cols!(),
                ", origin_key) VALUES (?, ?, ?, ?, ?, ?, ?) \
                 ON CONFLICT (origin_key) DO NOTHING RETURNING reference"
            ),
            params![
                r.reference,
                r.outage_id,
                r.account_no,
                r.phone,
                r.channel,
                ts(&r.created_at),
                origin_key,
            ],
            |r| r.get(0),
        )?;
        Ok(match inserted {
            Some(_) => Insert::Written,
            None => Insert::KeyTaken,
        })
    }
}
