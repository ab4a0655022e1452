//! The latest bill of the account this session may see, told truthfully: `overdue` when it is
//! still open past its due date (the area's local date), and, when older bills are still open
//! too, the total the account owes first (outcome `arrears`).

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use super::outcomes::latest_bill::Outcome;
use super::{ActionSpec, Actions, Caller, Done, VarKind, VarRead, bill_account};
use crate::domain::BillStatement;
use crate::engine::{ActionRequest, State, Value};
use crate::store::StoreResult;
use crate::text::format;

pub const SPEC: ActionSpec = ActionSpec {
    name: "latest_bill",
    reads: &[
        VarRead::optional("account", VarKind::Account),
        VarRead::optional("verified_account", VarKind::Account),
    ],
    outcomes: &["found", "arrears", "none", "prepaid"],
    sets: &[
        "period",
        "amount",
        "paid",
        "balance",
        "due",
        "bill_status",
        "overdue",
        "total_due",
    ],
    notable: true,
    ..ActionSpec::EMPTY
};

/// The bill's `YYYY-MM` as a period each channel says its own way; kept as text if the CRM
/// holds something else (the importer refuses that, but a CRM may be written by others).
fn period(stored: &str) -> Value {
    match format::parse_period(stored) {
        Some((year, month)) => Value::Period { year, month },
        None => Value::text(stored),
    }
}

/// The date on the area's clock at `now` (a bill due on the 12th is overdue from the 13th
/// there, whatever the server's clock says).
fn local_today(now: DateTime<Utc>, zone: Tz) -> NaiveDate {
    now.with_timezone(&zone).date_naive()
}

/// What the bill screens show of a statement on `today`.
fn statement_result(statement: &BillStatement, today: NaiveDate) -> Done<Outcome> {
    let bill = &statement.latest;
    let money = |minor| Value::Money {
        minor,
        currency: bill.currency.clone(),
    };
    let outcome = if statement.older_open_bills() > 0 {
        Outcome::Arrears
    } else {
        Outcome::Found
    };
    let overdue = if bill.is_overdue(today) { "yes" } else { "no" };
    Done::new(outcome)
        .var("period", period(&bill.period))
        .var("amount", money(bill.amount_minor))
        .var("paid", money(bill.paid_minor))
        .var("balance", money(bill.balance_minor()))
        .var("due", Value::Date(bill.due_on))
        .var("bill_status", Value::text(&bill.status))
        .var("overdue", Value::text(overdue))
        .var("total_due", money(statement.total_due_minor))
}

pub(super) async fn perform(
    actions: &Actions<'_>,
    _request: &ActionRequest,
    state: &State,
    _caller: &Caller<'_>,
) -> StoreResult<Done<Outcome>> {
    let Some(account_no) = bill_account(state) else {
        return Ok(Done::new(Outcome::None));
    };
    let account = actions.account(account_no).await?;
    // A prepaid customer's questions are about tokens, whatever bills the CRM holds.
    if account.as_ref().is_some_and(|a| a.is_prepaid()) {
        return Ok(Done::new(Outcome::Prepaid));
    }
    let Some(statement) = actions.crm.bill_statement(account_no).await? else {
        return Ok(Done::new(Outcome::None));
    };
    let zone = actions.account_zone(account.as_ref()).await?;
    Ok(statement_result(&statement, local_today(Utc::now(), zone)))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::domain::Bill;

    fn bill(status: &str, due: &str, amount: i64, paid: i64) -> Bill {
        Bill {
            bill_id: "B1".into(),
            account_no: "SNE100001".into(),
            period: "2026-10".into(),
            issued_on: NaiveDate::from_ymd_opt(2026, 10, 28).unwrap(),
            due_on: due.parse().unwrap(),
            amount_minor: amount,
            currency: "XOF".into(),
            status: status.into(),
            paid_minor: paid,
        }
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn text<'a>(result: &'a Done<Outcome>, name: &str) -> &'a str {
        result.vars.get(name).and_then(Value::as_text).unwrap()
    }

    #[test]
    fn an_open_bill_is_overdue_only_after_its_due_date() {
        for status in ["unpaid", "partially_paid"] {
            let b = bill(status, "2026-11-12", 100, 40);
            assert!(!b.is_overdue(day("2026-11-11")), "{status}");
            assert!(
                !b.is_overdue(day("2026-11-12")),
                "due today is not late: {status}"
            );
            assert!(b.is_overdue(day("2026-11-13")), "{status}");
            assert!(b.is_overdue(day("2026-11-30")), "{status}");
        }
        assert!(!bill("paid", "2026-11-12", 100, 100).is_overdue(day("2026-11-30")));
    }

    #[test]
    fn today_is_the_area_clock_date() {
        // 23:30 UTC on the 12th is already the 13th in Nairobi, still the 12th in Dakar.
        let now = Utc.with_ymd_and_hms(2026, 11, 12, 23, 30, 0).unwrap();
        assert_eq!(local_today(now, format::zone("KE")), day("2026-11-13"));
        assert_eq!(local_today(now, format::zone("SN")), day("2026-11-12"));
    }

    #[test]
    fn arrears_only_when_older_bills_are_open() {
        let today = day("2026-11-30");
        // The latest unpaid and overdue, one older bill open too.
        let statement = BillStatement {
            latest: bill("unpaid", "2026-11-12", 66_860, 0),
            total_due_minor: 114_420,
            open_bills: 2,
        };
        let r = statement_result(&statement, today);
        assert_eq!(r.outcome, Outcome::Arrears);
        assert_eq!(text(&r, "overdue"), "yes");
        assert_eq!(
            r.vars["total_due"],
            Value::Money {
                minor: 114_420,
                currency: "XOF".into()
            }
        );
        // Only the latest open: no arrears screen.
        let statement = BillStatement {
            total_due_minor: 66_860,
            open_bills: 1,
            ..statement
        };
        assert_eq!(statement_result(&statement, today).outcome, Outcome::Found);
        // The latest paid, an older one open: arrears, nothing overdue on the latest.
        let statement = BillStatement {
            latest: bill("paid", "2026-11-12", 8_780, 8_780),
            total_due_minor: 2_358,
            open_bills: 1,
        };
        let r = statement_result(&statement, today);
        assert_eq!(r.outcome, Outcome::Arrears);
        assert_eq!(text(&r, "overdue"), "no");
        // Not due yet.
        let statement = BillStatement {
            latest: bill("unpaid", "2026-12-12", 100, 0),
            total_due_minor: 100,
            open_bills: 1,
        };
        assert_eq!(text(&statement_result(&statement, today), "overdue"), "no");
    }
}
