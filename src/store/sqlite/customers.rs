//! Areas, customers, bills and languages in SQLite.

use rusqlite::{Connection, Row, params};

use super::connection::{all, exec, one, optional};
use super::convert::parse_date;
use crate::domain::{Account, Area, Bill, BillStatement};
use crate::store::common::{
    AccountRow, AreaRow, MIN_LOOKUP_DIGITS, account_cols, area_cols, bill_cols, digits, single,
};
use crate::store::{StoreError, StoreResult};

/// A row of `account_cols!`, in its order.
fn account_row(r: &Row<'_>) -> rusqlite::Result<AccountRow> {
    Ok(AccountRow {
        account_no: r.get(0)?,
        full_name: r.get(1)?,
        phone: r.get(2)?,
        alt_phone: r.get(3)?,
        language: r.get(4)?,
        service: r.get(5)?,
        meter_no: r.get(6)?,
        area_code: r.get(7)?,
        tariff: r.get(8)?,
        status: r.get(9)?,
    })
}

/// A row of `area_cols!`, in its order.
fn area_row(r: &Row<'_>) -> rusqlite::Result<AreaRow> {
    Ok(AreaRow {
        area_code: r.get(0)?,
        name: r.get(1)?,
        region: r.get(2)?,
        country: r.get(3)?,
        currency: r.get(4)?,
        languages: r.get(5)?,
        timezone: r.get(6)?,
    })
}

/// A row of `bill_cols!`, in its order (dates still as text).
struct BillRow {
    bill_id: String,
    account_no: String,
    period: String,
    issued_on: String,
    due_on: String,
    amount_minor: i64,
    currency: String,
    status: String,
    paid_minor: i64,
}

impl BillRow {
    fn read(r: &Row<'_>) -> rusqlite::Result<BillRow> {
        Ok(BillRow {
            bill_id: r.get(0)?,
            account_no: r.get(1)?,
            period: r.get(2)?,
            issued_on: r.get(3)?,
            due_on: r.get(4)?,
            amount_minor: r.get(5)?,
            currency: r.get(6)?,
            status: r.get(7)?,
            paid_minor: r.get(8)?,
        })
    }
}

impl TryFrom<BillRow> for Bill {
    type Error = StoreError;
    fn try_from(r: BillRow) -> StoreResult<Self> {
        Ok(Bill {
            bill_id: r.bill_id,
            account_no: r.account_no,
            period: r.period,
            issued_on: parse_date(&r.issued_on)?,
            due_on: parse_date(&r.due_on)?,
            amount_minor: r.amount_minor,
            currency: r.currency,
            status: r.status,
            paid_minor: r.paid_minor,
        })
    }
}

pub(super) fn is_empty(conn: &Connection) -> StoreResult<bool> {
    let any: bool = one(conn, "SELECT EXISTS (SELECT 1 FROM customers)", [], |r| {
        r.get(0)
    })?;
    Ok(!any)
}

pub(super) fn accounts_for_phone(conn: &Connection, phone: &str) -> StoreResult<Vec<Account>> {
    let rows = all(
        conn,
        concat!(
            "SELECT ",
            account_cols!(),
            " FROM customers WHERE phone = ?1 OR alt_phone = ?1 ORDER BY account_no"
        ),
        [phone],
        account_row,
    )?;
    Ok(rows.into_iter().map(Account::from).collect())
}

pub(super) fn account(conn: &Connection, account_no: &str) -> StoreResult<Option<Account>> {
    let row = optional(
        conn,
        concat!(
            "SELECT ",
            account_cols!(),
            " FROM customers WHERE account_no = ?"
        ),
        [account_no],
        account_row,
    )?;
    Ok(row.map(Account::from))
}

pub(super) fn account_by_number(conn: &Connection, typed: &str) -> StoreResult<Option<Account>> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Ok(None);
    }
    let exact = optional(
        conn,
        concat!(
            "SELECT ",
            account_cols!(),
            " FROM customers WHERE account_no = ? COLLATE NOCASE ORDER BY account_no LIMIT 1"
        ),
        [typed],
        account_row,
    )?;
    if let Some(row) = exact {
        return Ok(Some(row.into()));
    }
    let wanted = digits(typed);
    if wanted.len() < MIN_LOOKUP_DIGITS {
        return Ok(None);
    }
    // Two accounts may share their digits (SNE100001, SNW100001): then the digits alone
    // do not say which one the caller meant, and nothing is returned.
    let rows = all(
        conn,
        concat!(
            "SELECT ",
            account_cols!(),
            " FROM customers WHERE account_digits = ? ORDER BY account_no LIMIT 2"
        ),
        [&wanted],
        account_row,
    )?;
    Ok(single(rows))
}

pub(super) fn account_by_meter(conn: &Connection, typed: &str) -> StoreResult<Option<Account>> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Ok(None);
    }
    let exact = all(
        conn,
        concat!(
            "SELECT ",
            account_cols!(),
            " FROM customers WHERE meter_no = ? COLLATE NOCASE ORDER BY account_no LIMIT 2"
        ),
        [typed],
        account_row,
    )?;
    if !exact.is_empty() {
        return Ok(single(exact));
    }
    let wanted = digits(typed);
    if wanted.len() < MIN_LOOKUP_DIGITS {
        return Ok(None);
    }
    let rows = all(
        conn,
        concat!(
            "SELECT ",
            account_cols!(),
            " FROM customers WHERE meter_digits = ? ORDER BY account_no LIMIT 2"
        ),
        [&wanted],
        account_row,
    )?;
    Ok(single(rows))
}

pub(super) fn area(conn: &Connection, area_code: &str) -> StoreResult<Option<Area>> {
    let row = optional(
        conn,
        concat!("SELECT ", area_cols!(), " FROM areas WHERE area_code = ?"),
        [area_code],
        area_row,
    )?;
    Ok(row.map(Area::from))
}

pub(super) fn areas(conn: &Connection) -> StoreResult<Vec<Area>> {
    let rows = all(
        conn,
        concat!(
            "SELECT ",
            area_cols!(),
            " FROM areas ORDER BY name, area_code"
        ),
        [],
        area_row,
    )?;
    Ok(rows.into_iter().map(Area::from).collect())
}

pub(super) fn latest_bill(conn: &Connection, account_no: &str) -> StoreResult<Option<Bill>> {
    let row = optional(
        conn,
        concat!(
            "SELECT ",
            bill_cols!(),
            " FROM bills WHERE account_no = ? \
             ORDER BY period DESC, issued_on DESC, bill_id DESC LIMIT 1"
        ),
        [account_no],
        BillRow::read,
    )?;
    row.map(Bill::try_from).transpose()
}

pub(super) fn bill_statement(
    conn: &Connection,
    account_no: &str,
) -> StoreResult<Option<BillStatement>> {
    let row = optional(
        conn,
        concat!(
            "SELECT ",
            bill_cols!(),
            ", (SELECT COALESCE(SUM(MAX(o.amount_minor - o.paid_minor, 0)), 0) FROM bills o \
             WHERE o.account_no = b.account_no AND o.status IN ('unpaid', 'partially_paid')), \
             (SELECT COUNT(*) FROM bills o \
             WHERE o.account_no = b.account_no AND o.status IN ('unpaid', 'partially_paid')) \
             FROM bills b WHERE b.account_no = ? \
             ORDER BY period DESC, issued_on DESC, bill_id DESC LIMIT 1"
        ),
        [account_no],
        |r| Ok((BillRow::read(r)?, r.get::<_, i64>(9)?, r.get::<_, i64>(10)?)),
    )?;
    row.map(|(bill, total_due_minor, open_bills)| {
        Ok(BillStatement {
            latest: Bill::try_from(bill)?,
            total_due_minor,
            open_bills,
        })
    })
    .transpose()
}

pub(super) fn phone_language(conn: &Connection, phone: &str) -> StoreResult<Option<String>> {
    optional(
        conn,
        "SELECT language FROM phone_languages WHERE phone = ?",
        [phone],
        |r| r.get(0),
    )
}

/// Saves the choice on every account this phone acts for, and on the phone itself.
pub(super) fn save_language(conn: &Connection, phone: &str, language: &str) -> StoreResult<()> {
    exec(
        conn,
        "UPDATE customers SET language = ?2 WHERE phone = ?1 OR alt_phone = ?1",
        params![phone, language],
    )?;
    exec(
        conn,
        "INSERT INTO phone_languages (phone, language) VALUES (?, ?) \
         ON CONFLICT (phone) DO UPDATE SET language = excluded.language",
        params![phone, language],
    )?;
    Ok(())
}
