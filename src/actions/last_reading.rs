//! Before a self-reading: the located account's last index on record, shown so the caller
//! knows what the meter should read above. A prepaid meter takes no reading.

use super::outcomes::last_reading::Outcome;
use super::{ActionSpec, Actions, Caller, Done, VarKind, VarRead, text_var};
use crate::engine::{ActionRequest, State, Value};
use crate::store::StoreResult;

pub const SPEC: ActionSpec = ActionSpec {
    name: "last_reading",
    reads: &[VarRead::required("located_account", VarKind::Account)],
    outcomes: &["ok", "prepaid"],
    sets: &["last_reading", "last_read_on", "has_last_reading"],
    ..ActionSpec::EMPTY
};

pub(super) async fn perform(
    actions: &Actions<'_>,
    _request: &ActionRequest,
    state: &State,
    _caller: &Caller<'_>,
) -> StoreResult<Done<Outcome>> {
    let account_no = text_var(state, "located_account").unwrap_or_default();
    if actions
        .account(account_no)
        .await?
        .is_some_and(|a| a.is_prepaid())
    {
        return Ok(Done::new(Outcome::Prepaid));
    }
    let last = actions.crm.meter_readings(account_no, 1).await?;
    Ok(match last.first() {
        Some(r) => Done::new(Outcome::Ok)
            .var("has_last_reading", Value::text("yes"))
            .var("last_reading", Value::Number(r.reading))
            .var("last_read_on", Value::Date(r.read_on)),
        None => Done::new(Outcome::Ok).var("has_last_reading", Value::text("no")),
    })
}
