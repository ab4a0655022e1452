//! Outages, outage reports and the storm statements: each statement once, for both databases.
//! The filing rules (`rules.rs`) call them, and reach the filing's context and
//! `insert_new_report` through [`super::rules::OutageRows`], where a database may read or
//! write them its own way.

use chrono::{DateTime, Utc};

use super::StoreResult;
use super::common::{outage_cols, report_cols, select};
use super::rules::Insert;
use super::sql::{Arg, Db, FromRow, Row, args, statements};
use super::tickets::reference_taken;
use crate::domain::{Outage, OutageReport};

/// The current outage of one area ($1) and service ($2) at $3, the latest to start first:
/// active, suspected, or scheduled and within its window (reports made during planned works
/// attach to them).
macro_rules! current_outage_sql {
    () => {
        concat!(
            "SELECT ",
            $crate::store::common::outage_cols!(),
            " FROM outages WHERE area_code = $1 AND service = $2 \
               AND (status IN ('active', 'suspected') \
                    OR (status = 'scheduled' AND starts_at <= $3 \
                        AND (expected_end IS NULL OR expected_end > $3))) \
             ORDER BY starts_at DESC, outage_id DESC LIMIT 1"
        )
    };
}
pub(crate) use current_outage_sql;

/// An outage from the row's columns `at..at + 8`, in the order of `outage_cols!`.
pub(crate) fn outage_at(r: &impl Row, at: usize) -> StoreResult<Outage> {
    Ok(Outage {
        outage_id: r.text(at)?,
        area_code: r.text(at + 1)?,
        service: r.text(at + 2)?,
        kind: r.text(at + 3)?,
        starts_at: r.time(at + 4)?,
        expected_end: r.opt_time(at + 5)?,
        status: r.text(at + 6)?,
        cause: r.opt_text(at + 7)?,
    })
}

impl FromRow for Outage {
    /// A row of `outage_cols!`, in its order.
    fn from_row(r: &impl Row) -> StoreResult<Self> {
        outage_at(r, 0)
    }
}

impl FromRow for OutageReport {
    /// A row of `report_cols!`, in its order.
    fn from_row(r: &impl Row) -> StoreResult<Self> {
        Ok(OutageReport {
            reference: r.text(0)?,
            outage_id: r.text(1)?,
            account_no: r.opt_text(2)?,
            phone: r.opt_text(3)?,
            channel: r.text(4)?,
            created_at: r.time(5)?,
        })
    }
}

statements! {
    /// See [`crate::store::CrmStore::area_outages`]: read on many hops, one statement. An
    /// active or suspected outage is listed even past its expected end: it is not restored yet.
    pub(crate) fn area_outages(area_code: &str, now: DateTime<Utc>) -> Vec<Outage> = all
        select!(
            outage_cols,
            "FROM outages WHERE area_code = $1 AND (status IN ('active', 'suspected') \
               OR (status = 'scheduled' AND (expected_end IS NULL OR expected_end > $2))) \
             ORDER BY starts_at, outage_id"
        );

    /// How many reports the outage has.
    pub(crate) fn outage_report_count(outage_id: &str) -> i64 = one
        "SELECT COUNT(*) FROM outage_reports WHERE outage_id = $1";

    pub(crate) fn outage_report(reference: &str) -> Option<OutageReport> = optional
        select!(report_cols, "FROM outage_reports WHERE reference = $1");

    /// One outage by id (readers and the rules).
    pub(crate) fn outage(outage_id: &str) -> Option<Outage> = optional
        select!(outage_cols, "FROM outages WHERE outage_id = $1");
}

/// The current outage of one area and service now (see `current_outage_sql!`), for readers and
/// the rules. The clock is read here, never in SQL: both databases compare the same second.
pub(crate) async fn current_outage(
    db: &mut impl Db,
    area_code: &str,
    service: &str,
) -> StoreResult<Option<Outage>> {
    db.fetch_optional(current_outage_sql!(), args![area_code, service, Utc::now()])
        .await
}

// ---------------------------------------------------------------------------------------------
// What the filing rules run (`OutageRows`), inside a filing's transaction

statements! {
    /// The report filed under `origin_key`.
    pub(crate) fn report_by_origin(origin_key: &str) -> Option<OutageReport> = optional
        select!(report_cols, "FROM outage_reports WHERE origin_key = $1");

    /// Outage tickets of one area and service filed since a time, linked to no outage.
    /// `category = 'outage'` is spelled out so that both planners match the partial index
    /// `tickets_outage_window`, whatever plan they cache.
    pub(crate) fn count_unlinked_outage_tickets(
        area_code: &str,
        service: &str,
        since: DateTime<Utc>,
    ) -> i64 = one
        "SELECT COUNT(*) FROM tickets WHERE category = 'outage' AND area_code = $1 \
         AND service = $2 AND created_at >= $3 AND outage_id IS NULL";

    /// Links the tickets [`count_unlinked_outage_tickets`] counts to the outage.
    pub(crate) fn link_outage_tickets(
        area_code: &str,
        service: &str,
        since: DateTime<Utc>,
        outage_id: &str,
    ) = execute
        "UPDATE tickets SET outage_id = $1 WHERE category = 'outage' AND area_code = $2 \
         AND service = $3 AND created_at >= $4 AND outage_id IS NULL",
        args![outage_id, area_code, service, since];

    pub(crate) fn area_exists(area_code: &str) -> bool = one
        "SELECT EXISTS (SELECT 1 FROM areas WHERE area_code = $1)";
}

/// Writes the outage as given; false (and nothing written) when its id is taken.
pub(crate) async fn insert_outage(db: &mut impl Db, o: &Outage) -> StoreResult<bool> {
    let inserted: Option<String> = db
        .fetch_optional(
            concat!(
                "INSERT INTO outages (",
                outage_cols!(),
                ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (outage_id) DO NOTHING RETURNING outage_id"
            ),
            args![
                &o.outage_id,
                &o.area_code,
                &o.service,
                &o.kind,
                o.starts_at,
                o.expected_end,
                &o.status,
                &o.cause,
            ],
        )
        .await?;
    Ok(inserted.is_some())
}

/// A new report's row: the report and its `origin_key`.
pub(crate) struct NewReportRow<'a> {
    pub(crate) report: &'a OutageReport,
    pub(crate) origin_key: &'a str,
}

impl NewReportRow<'_> {
    /// The values of the row, `$1` to `$7`: the columns of `report_cols!` in its order, then
    /// `origin_key`.
    pub(crate) fn args(&self) -> [Arg<'_>; 7] {
        let r = self.report;
        [
            Arg::from(&r.reference),
            Arg::from(&r.outage_id),
            Arg::from(&r.account_no),
            Arg::from(&r.phone),
            Arg::from(&r.channel),
            Arg::from(r.created_at),
            Arg::from(self.origin_key),
        ]
    }
}

/// See [`super::rules::OutageRows::insert_new_report`]: two statements (PostgreSQL folds them
/// into one).
pub(crate) async fn insert_new_report(
    db: &mut impl Db,
    row: &NewReportRow<'_>,
) -> StoreResult<Insert> {
    if reference_taken(db, &row.report.reference).await? {
        return Ok(Insert::ReferenceTaken);
    }
    let inserted: Option<String> = db
        .fetch_optional(
            concat!(
                "INSERT INTO outage_reports (",
                report_cols!(),
                ", origin_key) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (origin_key) DO NOTHING RETURNING reference"
            ),
            &row.args(),
        )
        .await?;
    Ok(match inserted {
        Some(_) => Insert::Written,
        None => Insert::KeyTaken,
    })
}
