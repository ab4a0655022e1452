//! The account the caller picked from their list, checked to be really theirs.

use super::outcomes::use_account::Outcome;
use super::{ActionSpec, Actions, Caller, Done, VarKind, VarRead, text_var};
use crate::engine::{ActionRequest, State, Value};
use crate::store::StoreResult;

pub const SPEC: ActionSpec = ActionSpec {
    name: "use_account",
    reads: &[VarRead::required("account", VarKind::Account)],
    outcomes: &["ready", "invalid"],
    sets: &["account"],
    ..ActionSpec::EMPTY
};

pub(super) async fn perform(
    actions: &Actions<'_>,
    _request: &ActionRequest,
    state: &State,
    caller: &Caller<'_>,
) -> StoreResult<Done<Outcome>> {
    let chosen = text_var(state, "account").unwrap_or_default();
    let accounts = actions.caller_accounts(caller.phone).await?;
    // The id came back from the caller's keypad via the list: check it is really theirs.
    if accounts.iter().any(|a| a.account_no == chosen) {
        Ok(Done::new(Outcome::Ready))
    } else {
        let mut result = Done::new(Outcome::Invalid);
        result.vars.insert("account".into(), Value::text(""));
        Ok(result)
    }
}
