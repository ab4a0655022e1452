//! Areas, customers, bills and languages in SQLite.

use sqlx::sqlite::{SqliteConnection, SqlitePool};

use super::convert::parse_date;
use crate::domain::{Account, Area, Bill};
use crate::store::common::{
    AccountRow, AreaRow, MIN_LOOKUP_DIGITS, account_cols, area_cols, bill_cols, digits, single,
};
use crate::store::{StoreError, StoreResult};

#[derive(sqlx::FromRow)]
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

pub(super) async fn is_empty(pool: &SqlitePool) -> StoreResult<bool> {
    let any: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM customers)")
        .fetch_one(pool)
        .await?;
    Ok(!any)
}

pub(super) async fn accounts_for_phone(
    pool: &SqlitePool,
    phone: &str,
) -> StoreResult<Vec<Account>> {
    let rows: Vec<AccountRow> = sqlx::query_as(concat!(
        "SELECT ",
        account_cols!(),
        " FROM customers WHERE phone = ?1 OR alt_phone = ?1 ORDER BY account_no"
    ))
    .bind(phone)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(Account::from).collect())
}

pub(super) async fn account(pool: &SqlitePool, account_no: &str) -> StoreResult<Option<Account>> {
    let row: Option<AccountRow> = sqlx::query_as(concat!(
        "SELECT ",
        account_cols!(),
        " FROM customers WHERE account_no = ?"
    ))
    .bind(account_no)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(Account::from))
}

pub(super) async fn account_by_number(
    pool: &SqlitePool,
    typed: &str,
) -> StoreResult<Option<Account>> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Ok(None);
    }
    let exact: Option<AccountRow> = sqlx::query_as(concat!(
        "SELECT ",
        account_cols!(),
        " FROM customers WHERE account_no = ? COLLATE NOCASE ORDER BY account_no LIMIT 1"
    ))
    .bind(typed)
    .fetch_optional(pool)
    .await?;
    if let Some(row) = exact {
        return Ok(Some(row.into()));
    }
    let wanted = digits(typed);
    if wanted.len() < MIN_LOOKUP_DIGITS {
        return Ok(None);
    }
    // Two accounts may share their digits (SNE100001, SNW100001): then the digits alone
    // do not say which one the caller meant, and nothing is returned.
    let rows: Vec<AccountRow> = sqlx::query_as(concat!(
        "SELECT ",
        account_cols!(),
        " FROM customers WHERE account_digits = ? ORDER BY account_no LIMIT 2"
    ))
    .bind(&wanted)
    .fetch_all(pool)
    .await?;
    Ok(single(rows))
}

pub(super) async fn account_by_meter(
    pool: &SqlitePool,
    typed: &str,
) -> StoreResult<Option<Account>> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Ok(None);
    }
    let exact: Vec<AccountRow> = sqlx::query_as(concat!(
        "SELECT ",
        account_cols!(),
        " FROM customers WHERE meter_no = ? COLLATE NOCASE ORDER BY account_no LIMIT 2"
    ))
    .bind(typed)
    .fetch_all(pool)
    .await?;
    if !exact.is_empty() {
        return Ok(single(exact));
    }
    let wanted = digits(typed);
    if wanted.len() < MIN_LOOKUP_DIGITS {
        return Ok(None);
    }
    let rows: Vec<AccountRow> = sqlx::query_as(concat!(
        "SELECT ",
        account_cols!(),
        " FROM customers WHERE meter_digits = ? ORDER BY account_no LIMIT 2"
    ))
    .bind(&wanted)
    .fetch_all(pool)
    .await?;
    Ok(single(rows))
}

pub(super) async fn area(pool: &SqlitePool, area_code: &str) -> StoreResult<Option<Area>> {
    let row: Option<AreaRow> = sqlx::query_as(concat!(
        "SELECT ",
        area_cols!(),
        " FROM areas WHERE area_code = ?"
    ))
    .bind(area_code)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(Area::from))
}

pub(super) async fn latest_bill(pool: &SqlitePool, account_no: &str) -> StoreResult<Option<Bill>> {
    let row: Option<BillRow> = sqlx::query_as(concat!(
        "SELECT ",
        bill_cols!(),
        " FROM bills WHERE account_no = ? \
         ORDER BY period DESC, issued_on DESC, bill_id DESC LIMIT 1"
    ))
    .bind(account_no)
    .fetch_optional(pool)
    .await?;
    row.map(Bill::try_from).transpose()
}

pub(super) async fn phone_language(pool: &SqlitePool, phone: &str) -> StoreResult<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT language FROM phone_languages WHERE phone = ?")
            .bind(phone)
            .fetch_optional(pool)
            .await?,
    )
}

/// Saves the choice on every account this phone acts for, and on the phone itself.
pub(super) async fn save_language(
    conn: &mut SqliteConnection,
    phone: &str,
    language: &str,
) -> StoreResult<()> {
    sqlx::query("UPDATE customers SET language = ?2 WHERE phone = ?1 OR alt_phone = ?1")
        .bind(phone)
        .bind(language)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO phone_languages (phone, language) VALUES (?, ?) \
         ON CONFLICT (phone) DO UPDATE SET language = excluded.language",
    )
    .bind(phone)
    .bind(language)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
