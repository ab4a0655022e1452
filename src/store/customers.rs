//! Areas, customers, bills and languages: each statement once, for both databases.

use super::StoreResult;
use super::common::{MIN_LOOKUP_DIGITS, account_cols, area_cols, bill_cols, digits, select};
use super::sql::{Db, FromRow, Row, args, statements};
use crate::domain::{Account, Area, Bill, BillStatement};

impl FromRow for Area {
    /// A row of `area_cols!`, in its order.
    fn from_row(r: &impl Row) -> StoreResult<Self> {
        Ok(Area {
            area_code: r.text(0)?,
            name: r.text(1)?,
            region: r.text(2)?,
            country: r.text(3)?,
            currency: r.text(4)?,
            languages: r.text(5)?.split_whitespace().map(str::to_string).collect(),
            timezone: r.opt_text(6)?,
        })
    }
}

impl FromRow for Account {
    /// A row of `account_cols!`, in its order.
    fn from_row(r: &impl Row) -> StoreResult<Self> {
        Ok(Account {
            account_no: r.text(0)?,
            full_name: r.text(1)?,
            phone: r.opt_text(2)?,
            alt_phone: r.opt_text(3)?,
            language: r.opt_text(4)?,
            service: r.text(5)?,
            meter_no: r.text(6)?,
            area_code: r.text(7)?,
            tariff: r.text(8)?,
            status: r.text(9)?,
        })
    }
}

impl FromRow for Bill {
    /// A row of `bill_cols!`, in its order.
    fn from_row(r: &impl Row) -> StoreResult<Self> {
        Ok(Bill {
            bill_id: r.text(0)?,
            account_no: r.text(1)?,
            period: r.text(2)?,
            issued_on: r.date(3)?,
            due_on: r.date(4)?,
            amount_minor: r.int(5)?,
            currency: r.text(6)?,
            status: r.text(7)?,
            paid_minor: r.int(8)?,
        })
    }
}

impl FromRow for BillStatement {
    /// A row of `bill_cols!` followed by the total due and the number of open bills.
    fn from_row(r: &impl Row) -> StoreResult<Self> {
        Ok(BillStatement {
            latest: Bill::from_row(r)?,
            total_due_minor: r.int(9)?,
            open_bills: r.int(10)?,
        })
    }
}

/// The only account, or `None` when there is none or more than one (an ambiguous lookup).
fn single(mut rows: Vec<Account>) -> Option<Account> {
    if rows.len() == 1 { rows.pop() } else { None }
}

/// Reachability check for `/readyz`: one round trip.
pub(crate) async fn ping(db: &mut impl Db) -> StoreResult<()> {
    let _: i64 = db.fetch_one("SELECT 1", args![]).await?;
    Ok(())
}

pub(crate) async fn is_empty(db: &mut impl Db) -> StoreResult<bool> {
    let any: bool = db
        .fetch_one("SELECT EXISTS (SELECT 1 FROM customers)", args![])
        .await?;
    Ok(!any)
}

statements! {
    /// The accounts this phone acts for (as their phone or their second phone).
    pub(crate) fn accounts_for_phone(phone: &str) -> Vec<Account> = all
        select!(
            account_cols,
            "FROM customers WHERE phone = $1 OR alt_phone = $1 ORDER BY account_no"
        );

    pub(crate) fn account(account_no: &str) -> Option<Account> = optional
        select!(account_cols, "FROM customers WHERE account_no = $1");
}

/// The statements finding an account by a typed number: `exact` whatever its case (one text per
/// database), else by its digits alone.
struct Lookup {
    exact: (&'static str, &'static str),
    digits: &'static str,
}

/// The [`Lookup`] of the number in `$column`, whose digits are kept in `$digits`. Matching
/// whatever the case: SQLite's NOCASE index; on PostgreSQL, `lower()` of a "C" column folds
/// ASCII letters only, as NOCASE does (the typed text is collated "C" too: in the database's
/// default collation, `lower()` would fold `É`).
macro_rules! lookup {
    ($column:literal, $digits:literal) => {
        Lookup {
            exact: (
                select!(
                    account_cols,
                    "FROM customers WHERE ",
                    $column,
                    " = $1 COLLATE NOCASE ORDER BY account_no LIMIT 2"
                ),
                select!(
                    account_cols,
                    "FROM customers WHERE lower(",
                    $column,
                    ") = lower($1 COLLATE \"C\") ORDER BY account_no LIMIT 2"
                ),
            ),
            digits: select!(
                account_cols,
                "FROM customers WHERE ",
                $digits,
                " = $1 ORDER BY account_no LIMIT 2"
            ),
        }
    };
}

/// The number a caller types to find an account.
#[derive(Clone, Copy)]
enum Column {
    Account,
    Meter,
}

impl Column {
    fn lookup(self) -> &'static Lookup {
        const ACCOUNT: Lookup = lookup!("account_no", "account_digits");
        const METER: Lookup = lookup!("meter_no", "meter_digits");
        match self {
            Column::Account => &ACCOUNT,
            Column::Meter => &METER,
        }
    }
}

/// See [`crate::store::CrmStore::account_by_number`].
pub(crate) async fn account_by_number(
    db: &mut impl Db,
    typed: &str,
) -> StoreResult<Option<Account>> {
    account_by(db, Column::Account, typed).await
}

/// See [`crate::store::CrmStore::account_by_meter`].
pub(crate) async fn account_by_meter(
    db: &mut impl Db,
    typed: &str,
) -> StoreResult<Option<Account>> {
    account_by(db, Column::Meter, typed).await
}

/// The account whose number in `column` matches `typed`, exactly whatever its case, or else by
/// its digits alone.
async fn account_by<D: Db>(
    db: &mut D,
    column: Column,
    typed: &str,
) -> StoreResult<Option<Account>> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Ok(None);
    }
    let lookup = column.lookup();
    let (sqlite, postgres) = lookup.exact;
    let exact: Vec<Account> = db
        .fetch_all(D::DIALECT.pick(sqlite, postgres), args![typed])
        .await?;
    if exact.is_empty() {
        return by_digits(db, lookup.digits, typed).await;
    }
    Ok(match column {
        // Account numbers are unique whatever their case: the first is the one.
        Column::Account => exact.into_iter().next(),
        Column::Meter => single(exact),
    })
}

/// The one account whose stored digits are the typed ones. Two accounts may share their
/// digits (SNE100001, SNW100001): then the digits alone do not say which one the caller
/// meant, and nothing is returned.
async fn by_digits(
    db: &mut impl Db,
    sql: &'static str,
    typed: &str,
) -> StoreResult<Option<Account>> {
    let wanted = digits(typed);
    if wanted.len() < MIN_LOOKUP_DIGITS {
        return Ok(None);
    }
    Ok(single(db.fetch_all(sql, args![&wanted]).await?))
}

statements! {
    pub(crate) fn area(area_code: &str) -> Option<Area> = optional
        select!(area_cols, "FROM areas WHERE area_code = $1");

    pub(crate) fn areas() -> Vec<Area> = all
        select!(area_cols, "FROM areas ORDER BY name, area_code");

    /// The account's newest bill.
    pub(crate) fn latest_bill(account_no: &str) -> Option<Bill> = optional
        select!(
            bill_cols,
            "FROM bills WHERE account_no = $1 \
             ORDER BY period DESC, issued_on DESC, bill_id DESC LIMIT 1"
        );

    /// See [`crate::store::CrmStore::bill_statement`].
    pub(crate) fn bill_statement(account_no: &str) -> Option<BillStatement> = optional
        concat!(
            "SELECT ",
            bill_cols!(),
            ", (SELECT CAST(COALESCE(SUM(CASE WHEN o.amount_minor > o.paid_minor \
             THEN o.amount_minor - o.paid_minor ELSE 0 END), 0) AS BIGINT) FROM bills o \
             WHERE o.account_no = b.account_no AND o.status IN ('unpaid', 'partially_paid')), \
             (SELECT COUNT(*) FROM bills o \
             WHERE o.account_no = b.account_no AND o.status IN ('unpaid', 'partially_paid')) \
             FROM bills b WHERE b.account_no = $1 \
             ORDER BY period DESC, issued_on DESC, bill_id DESC LIMIT 1"
        );

    /// The language this phone chose last.
    pub(crate) fn phone_language(phone: &str) -> Option<String> = optional
        "SELECT language FROM phone_languages WHERE phone = $1";
}

/// Saves the choice on every account this phone acts for, and on the phone itself.
pub(crate) async fn save_language(
    db: &mut impl Db,
    phone: &str,
    language: &str,
) -> StoreResult<()> {
    db.execute(
        "UPDATE customers SET language = $1 WHERE phone = $2 OR alt_phone = $2",
        args![language, phone],
    )
    .await?;
    db.execute(
        "INSERT INTO phone_languages (phone, language) VALUES ($1, $2) \
         ON CONFLICT (phone) DO UPDATE SET language = excluded.language",
        args![phone, language],
    )
    .await?;
    Ok(())
}
