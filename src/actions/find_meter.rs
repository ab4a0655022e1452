//! Where the caller's supply is, from a meter number they typed.

use super::locate_caller::{LOCATED_VARS, located};
use super::outcomes::find_meter::Outcome;
use super::{ActionSpec, Actions, Caller, Done, VarKind, VarRead, text_var};
use crate::engine::{ActionRequest, State};
use crate::store::StoreResult;

pub const SPEC: ActionSpec = ActionSpec {
    name: "find_meter",
    reads: &[VarRead::required("typed_meter", VarKind::Code)],
    outcomes: &["ok", "not_found"],
    sets: LOCATED_VARS,
    ..ActionSpec::EMPTY
};

pub(super) async fn perform(
    actions: &Actions<'_>,
    _request: &ActionRequest,
    state: &State,
    _caller: &Caller<'_>,
) -> StoreResult<Done<Outcome>> {
    let typed = text_var(state, "typed_meter").unwrap_or_default();
    match actions.crm.account_by_meter(typed).await? {
        Some(account) => located(actions, &(&account).into(), Outcome::Ok).await,
        None => Ok(Done::new(Outcome::NotFound)),
    }
}
