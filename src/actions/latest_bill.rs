//! The latest bill of the account this session may see.

use super::{ActionSpec, Actions, Caller, VarKind, VarRead, bill_account};
use crate::engine::{ActionRequest, ActionResult, State, Value};
use crate::store::StoreResult;
use crate::text::format;

pub const SPEC: ActionSpec = ActionSpec {
    name: "latest_bill",
    reads: &[
        VarRead::optional("account", VarKind::Account),
        VarRead::optional("verified_account", VarKind::Account),
    ],
    outcomes: &["found", "none"],
    sets: &["period", "amount", "paid", "balance", "due", "bill_status"],
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

pub(super) async fn perform(
    actions: &Actions<'_>,
    _request: &ActionRequest,
    state: &State,
    _caller: &Caller<'_>,
) -> StoreResult<ActionResult> {
    let Some(account_no) = bill_account(state) else {
        return Ok(ActionResult::outcome("none"));
    };
    let Some(bill) = actions.crm.latest_bill(account_no).await? else {
        return Ok(ActionResult::outcome("none"));
    };
    let money = |minor| Value::Money {
        minor,
        currency: bill.currency.clone(),
    };
    Ok(ActionResult::outcome("found")
        .var("period", period(&bill.period))
        .var("amount", money(bill.amount_minor))
        .var("paid", money(bill.paid_minor))
        .var("balance", money(bill.balance_minor()))
        .var("due", Value::Date(bill.due_on))
        .var("bill_status", Value::text(&bill.status)))
}
