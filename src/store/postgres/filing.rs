//! What PostgreSQL does its own way under the filing rules (`store/rules.rs`): the
//! transaction-scoped advisory locks every instance sharing the database takes, the reference
//! sequence, and the primitives folded into one statement each (a round trip saved per
//! filing). Every other statement is the one written for both databases.
//!
//! A key another instance is filing meanwhile is met with `ON CONFLICT (origin_key) DO
//! NOTHING`, which waits for that instance's transaction and reports the key taken once it
//! commits.

use sqlx::postgres::PgConnection;

use super::convert::storable;
use crate::domain::{NewOutageFiling, Outage};
use crate::store::StoreResult;
use crate::store::common::{
    complaint_lock_key, connection_lock_key, origin_lock_key, report_cols, storm_lock_key,
    ticket_cols,
};
use crate::store::outages::{NewReportRow, current_outage_sql, outage_at};
use crate::store::rules::{Insert, OutageRows, TicketRows};
use crate::store::sql::{Arg, Db, FromRow, Row, args};
use crate::store::tickets::NewTicketRow;

/// Holds the advisory lock `key` until the transaction ends.
async fn advisory_lock(conn: &mut PgConnection, key: i64) -> StoreResult<()> {
    conn.execute("SELECT pg_advisory_xact_lock($1)", args![key])
        .await?;
    Ok(())
}

/// Holds the advisory lock of a pair of values until the transaction ends, keyed by `key` on
/// the values as stored (a NUL replaced): values stored alike lock alike.
async fn lock_pair(
    conn: &mut PgConnection,
    key: fn(&str, &str) -> i64,
    a: &str,
    b: &str,
) -> StoreResult<()> {
    advisory_lock(conn, key(&storable(a), &storable(b))).await
}

/// A one-statement insert keyed on `origin_key` with a new reference: the `free` check of the
/// reference, then `written` (the insert, `FROM free WHERE free.ok`) and what follows it.
macro_rules! if_reference_free {
    ($($written:expr),+) => {
        concat!(
            "WITH free AS (SELECT NOT EXISTS (SELECT 1 FROM tickets WHERE ticket_ref = $1) \
               AND NOT EXISTS (SELECT 1 FROM outage_reports WHERE reference = $1) AS ok), ",
            $($written,)+
            " SELECT (SELECT ok FROM free), EXISTS (SELECT 1 FROM written)"
        )
    };
}

/// Runs an [`if_reference_free!`] statement: whether the reference was free, whether the row
/// was written (see [`Insert`]).
async fn insert_if_free(
    conn: &mut PgConnection,
    sql: &str,
    args: &[Arg<'_>],
) -> StoreResult<Insert> {
    let Inserted(outcome) = conn.fetch_one(sql, args).await?;
    Ok(outcome)
}

struct Inserted(Insert);

impl FromRow for Inserted {
    fn from_row(r: &impl Row) -> StoreResult<Self> {
        Ok(Inserted(match (r.boolean(0)?, r.boolean(1)?) {
            (false, _) => Insert::ReferenceTaken,
            (true, true) => Insert::Written,
            (true, false) => Insert::KeyTaken,
        }))
    }
}

/// Whether a filing holds the key, and the current outage (its columns after the flag).
struct FilingContext(bool, Option<Outage>);

impl FromRow for FilingContext {
    fn from_row(r: &impl Row) -> StoreResult<Self> {
        let current = match r.opt_text(1)? {
            Some(_) => Some(outage_at(r, 1)?),
            None => None,
        };
        Ok(FilingContext(r.boolean(0)?, current))
    }
}

impl TicketRows for PgConnection {
    /// On a stable hash of the account and category.
    async fn lock_complaints(&mut self, account_no: &str, category: &str) -> StoreResult<()> {
        lock_pair(self, complaint_lock_key, account_no, category).await
    }

    /// On a stable hash of the area and service.
    async fn lock_connection_requests(
        &mut self,
        area_code: &str,
        service: &str,
    ) -> StoreResult<()> {
        lock_pair(self, connection_lock_key, area_code, service).await
    }

    /// One statement checks the reference is free, writes the ticket and its `created` event.
    async fn insert_new_ticket(&mut self, row: &NewTicketRow<'_>) -> StoreResult<Insert> {
        let sql = if_reference_free!(
            "written AS (INSERT INTO tickets (",
            ticket_cols!(),
            ", origin_key, area_code, service) \
               SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13 \
               FROM free WHERE free.ok \
               ON CONFLICT (origin_key) DO NOTHING RETURNING ticket_ref), \
             created AS (INSERT INTO ticket_events (ticket_ref, at, event, detail) \
               SELECT ticket_ref, $7, 'created', $6 FROM written)"
        );
        insert_if_free(self, sql, &row.args()).await
    }
}

impl OutageRows for PgConnection {
    /// On a stable hash of the key.
    async fn lock_origin_key(&mut self, origin_key: &str) -> StoreResult<()> {
        advisory_lock(self, origin_lock_key(origin_key)).await
    }

    /// On a stable hash of the area and service. It is a statement of its own: each later
    /// statement sees what the previous holder committed.
    async fn lock_filings(&mut self, area_code: &str, service: &str) -> StoreResult<()> {
        lock_pair(self, storm_lock_key, area_code, service).await
    }

    /// One statement: the key's holder, if any, beside the current outage.
    async fn filing_context(
        &mut self,
        filing: &NewOutageFiling,
    ) -> StoreResult<(bool, Option<Outage>)> {
        let FilingContext(taken, current) = self
            .fetch_one(
                concat!(
                    "SELECT t.taken, o.* FROM (",
                    current_outage_sql!(),
                    ") AS o RIGHT JOIN (SELECT \
                       (EXISTS (SELECT 1 FROM outage_reports WHERE origin_key = $4) \
                        OR EXISTS (SELECT 1 FROM tickets WHERE origin_key = $4)) AS taken) \
                     AS t ON true"
                ),
                args![
                    &filing.area_code,
                    &filing.service,
                    chrono::Utc::now(),
                    &filing.origin_key
                ],
            )
            .await?;
        Ok((taken, current))
    }

    /// One statement checks the reference is free and writes the report.
    async fn insert_new_report(&mut self, row: &NewReportRow<'_>) -> StoreResult<Insert> {
        let sql = if_reference_free!(
            "written AS (INSERT INTO outage_reports (",
            report_cols!(),
            ", origin_key) SELECT $1, $2, $3, $4, $5, $6, $7 FROM free WHERE free.ok \
               ON CONFLICT (origin_key) DO NOTHING RETURNING reference)"
        );
        insert_if_free(self, sql, &row.args()).await
    }
}
