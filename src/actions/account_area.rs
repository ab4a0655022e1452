//! The area of the account the session is about (the caller's own, one verified, or one found
//! from a meter number), offered first when the caller asks for a new connection.

use super::outcomes::account_area::Outcome;
use super::{ActionSpec, Actions, Caller, Done, VarKind, VarRead, session_account};
use crate::engine::{ActionRequest, State, Value};
use crate::store::StoreResult;

pub const SPEC: ActionSpec = ActionSpec {
    name: "account_area",
    reads: &[
        VarRead::optional("account", VarKind::Account),
        VarRead::optional("verified_account", VarKind::Account),
        VarRead::optional("located_account", VarKind::Account),
    ],
    outcomes: &["found", "none"],
    // `account_area` names the account's area on screen whatever area is chosen later.
    sets: &["area_code", "area", "account_area"],
    ..ActionSpec::EMPTY
};

pub(super) async fn perform(
    actions: &Actions<'_>,
    _request: &ActionRequest,
    state: &State,
    _caller: &Caller<'_>,
) -> StoreResult<Done<Outcome>> {
    let Some(account_no) = session_account(state) else {
        return Ok(Done::new(Outcome::None));
    };
    let Some(account) = actions.account(account_no).await? else {
        return Ok(Done::new(Outcome::None));
    };
    let Some(place) = actions.area(&account.area_code).await? else {
        return Ok(Done::new(Outcome::None));
    };
    Ok(Done::new(Outcome::Found)
        .var("area_code", Value::text(&account.area_code))
        .var("area", Value::text(&place.name))
        .var("account_area", Value::text(place.name)))
}
