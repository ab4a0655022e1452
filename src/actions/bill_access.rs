//! Whether this session may show a bill already, or must verify an account first.

use super::outcomes::bill_access::Outcome;
use super::{ActionSpec, Actions, Caller, Done, VarKind, VarRead, bill_account};
use crate::engine::{ActionRequest, State};
use crate::store::StoreResult;

pub const SPEC: ActionSpec = ActionSpec {
    name: "bill_access",
    reads: &[
        VarRead::optional("account", VarKind::Account),
        VarRead::optional("verified_account", VarKind::Account),
    ],
    outcomes: &["ok", "verify"],
    ..ActionSpec::EMPTY
};

pub(super) async fn perform(
    _actions: &Actions<'_>,
    _request: &ActionRequest,
    state: &State,
    _caller: &Caller<'_>,
) -> StoreResult<Done<Outcome>> {
    Ok(match bill_account(state) {
        Some(_) => Done::new(Outcome::Ok),
        None => Done::new(Outcome::Verify),
    })
}
