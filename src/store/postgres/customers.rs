//! Areas, customers, bills and languages in PostgreSQL.

use chrono::NaiveDate;
use sqlx::postgres::{PgConnection, PgPool};

use super::convert::lookable;
use crate::domain::{Account, Area, Bill, BillStatement};
use crate::store::StoreResult;
use crate::store::common::{
    AccountRow, AreaRow, MIN_LOOKUP_DIGITS, account_cols, area_cols, bill_cols, digits, single,
};

#[derive(sqlx::FromRow)]
struct BillRow {
    bill_id: String,
    account_no: String,
    period: String,
    issued_on: NaiveDate,
    due_on: NaiveDate,
    amount_minor: i64,
    currency: String,
    status: String,
    paid_minor: i64,
}

impl From<BillRow> for Bill {
    fn from(r: BillRow) -> Self {
        Bill {
            bill_id: r.bill_id,
            account_no: r.account_no,
            period: r.period,
            issued_on: r.issued_on,
            due_on: r.due_on,
            amount_minor: r.amount_minor,
            currency: r.currency,
            status: r.status,
            paid_minor: r.paid_minor,
        }
    }
}

pub(super) async fn is_empty(pool: &PgPool) -> StoreResult<bool> {
    let any: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM customers)")
        .fetch_one(pool)
        .await?;
    Ok(!any)
}

pub(super) async fn accounts_for_phone(pool: &PgPool, phone: &str) -> StoreResult<Vec<Account>> {
    let Some(phone) = lookable(phone) else {
        return Ok(Vec::new());
    };
    let rows: Vec<AccountRow> = sqlx::query_as(concat!(
        "SELECT ",
        account_cols!(),
        " FROM customers WHERE phone = $1 OR alt_phone = $1 ORDER BY account_no"
    ))
    .bind(phone)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(Account::from).collect())
}

pub(super) async fn account(pool: &PgPool, account_no: &str) -> StoreResult<Option<Account>> {
    let Some(account_no) = lookable(account_no) else {
        return Ok(None);
    };
    let row: Option<AccountRow> = sqlx::query_as(concat!(
        "SELECT ",
        account_cols!(),
        " FROM customers WHERE account_no = $1"
    ))
    .bind(account_no)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(Account::from))
}

pub(super) async fn account_by_number(pool: &PgPool, typed: &str) -> StoreResult<Option<Account>> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Ok(None);
    }
    if let Some(typed) = lookable(typed) {
        // lower() of a "C" column folds ASCII letters only: SQLite's NOCASE.
        let exact: Option<AccountRow> = sqlx::query_as(concat!(
            "SELECT ",
            account_cols!(),
            " FROM customers WHERE lower(account_no) = $1 ORDER BY account_no LIMIT 1"
        ))
        .bind(typed.to_ascii_lowercase())
        .fetch_optional(pool)
        .await?;
        if let Some(row) = exact {
            return Ok(Some(row.into()));
        }
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
        " FROM customers WHERE account_digits = $1 ORDER BY account_no LIMIT 2"
    ))
    .bind(&wanted)
    .fetch_all(pool)
    .await?;
    Ok(single(rows))
}

pub(super) async fn account_by_meter(pool: &PgPool, typed: &str) -> StoreResult<Option<Account>> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Ok(None);
    }
    if let Some(typed) = lookable(typed) {
        let exact: Vec<AccountRow> = sqlx::query_as(concat!(
            "SELECT ",
            account_cols!(),
            " FROM customers WHERE lower(meter_no) = $1 ORDER BY account_no LIMIT 2"
        ))
        .bind(typed.to_ascii_lowercase())
        .fetch_all(pool)
        .await?;
        if !exact.is_empty() {
            return Ok(single(exact));
        }
    }
    let wanted = digits(typed);
    if wanted.len() < MIN_LOOKUP_DIGITS {
        return Ok(None);
    }
    let rows: Vec<AccountRow> = sqlx::query_as(concat!(
        "SELECT ",
        account_cols!(),
        " FROM customers WHERE meter_digits = $1 ORDER BY account_no LIMIT 2"
    ))
    .bind(&wanted)
    .fetch_all(pool)
    .await?;
    Ok(single(rows))
}

pub(super) async fn area(pool: &PgPool, area_code: &str) -> StoreResult<Option<Area>> {
    let Some(area_code) = lookable(area_code) else {
        return Ok(None);
    };
    let row: Option<AreaRow> = sqlx::query_as(concat!(
        "SELECT ",
        area_cols!(),
        " FROM areas WHERE area_code = $1"
    ))
    .bind(area_code)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(Area::from))
}

pub(super) async fn areas(pool: &PgPool) -> StoreResult<Vec<Area>> {
    let rows: Vec<AreaRow> = sqlx::query_as(concat!(
        "SELECT ",
        area_cols!(),
        " FROM areas ORDER BY name, area_code"
    ))
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(Area::from).collect())
}

pub(super) async fn latest_bill(pool: &PgPool, account_no: &str) -> StoreResult<Option<Bill>> {
    let Some(account_no) = lookable(account_no) else {
        return Ok(None);
    };
    let row: Option<BillRow> = sqlx::query_as(concat!(
        "SELECT ",
        bill_cols!(),
        " FROM bills WHERE account_no = $1 \
         ORDER BY period DESC, issued_on DESC, bill_id DESC LIMIT 1"
    ))
    .bind(account_no)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(Bill::from))
}

#[derive(sqlx::FromRow)]
struct StatementRow {
    #[sqlx(flatten)]
    bill: BillRow,
    total_due_minor: i64,
    open_bills: i64,
}

pub(super) async fn bill_statement(
    pool: &PgPool,
    account_no: &str,
) -> StoreResult<Option<BillStatement>> {
    let Some(account_no) = lookable(account_no) else {
        return Ok(None);
    };
    let row: Option<StatementRow> = sqlx::query_as(concat!(
        "SELECT ",
        bill_cols!(),
        ", (SELECT COALESCE(SUM(GREATEST(o.amount_minor - o.paid_minor, 0)), 0)::BIGINT \
         FROM bills o WHERE o.account_no = b.account_no \
         AND o.status IN ('unpaid', 'partially_paid')) AS total_due_minor, \
         (SELECT COUNT(*) FROM bills o WHERE o.account_no = b.account_no \
         AND o.status IN ('unpaid', 'partially_paid')) AS open_bills \
         FROM bills b WHERE b.account_no = $1 \
         ORDER BY period DESC, issued_on DESC, bill_id DESC LIMIT 1"
    ))
    .bind(account_no)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| BillStatement {
        latest: Bill::from(r.bill),
        total_due_minor: r.total_due_minor,
        open_bills: r.open_bills,
    }))
}

pub(super) async fn phone_language(pool: &PgPool, phone: &str) -> StoreResult<Option<String>> {
    let Some(phone) = lookable(phone) else {
        return Ok(None);
    };
    Ok(
        sqlx::query_scalar("SELECT language FROM phone_languages WHERE phone = $1")
            .bind(phone)
            .fetch_optional(pool)
            .await?,
    )
}

/// Saves the choice on every account this phone acts for, and on the phone itself.
pub(super) async fn save_language(
    conn: &mut PgConnection,
    phone: &str,
    language: &str,
) -> StoreResult<()> {
    sqlx::query("UPDATE customers SET language = $2 WHERE phone = $1 OR alt_phone = $1")
        .bind(phone)
        .bind(language)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO phone_languages (phone, language) VALUES ($1, $2) \
         ON CONFLICT (phone) DO UPDATE SET language = excluded.language",
    )
    .bind(phone)
    .bind(language)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
