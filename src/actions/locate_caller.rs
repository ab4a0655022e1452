//! Where the caller's supply is, from the account the session already knows.

use super::{ActionSpec, Actions, Caller, CallerAccount, VarKind, VarRead, text_var};
use crate::engine::{ActionRequest, ActionResult, State, Value};
use crate::store::StoreResult;

/// What knowing an account's place gives (shared with `find_meter`).
pub(super) const LOCATED_VARS: &[&str] = &[
    "located_account",
    "area_code",
    "area",
    "country",
    "zone",
    "service",
];

pub const SPEC: ActionSpec = ActionSpec {
    name: "locate_caller",
    reads: &[
        VarRead::optional("account", VarKind::Account),
        VarRead::optional("located_account", VarKind::Account),
    ],
    outcomes: &["ok", "need_meter"],
    sets: LOCATED_VARS,
    ..ActionSpec::EMPTY
};

/// The `ok` outcome with the account's area, country and service.
pub(super) async fn located(
    actions: &Actions<'_>,
    account: &CallerAccount,
) -> StoreResult<ActionResult> {
    let area = actions.area(&account.area_code).await?;
    let (name, country, zone) = match area {
        Some(a) => {
            let zone = a.zone().name().to_string();
            (a.name, a.country, zone)
        }
        None => (account.area_code.clone(), String::new(), String::new()),
    };
    Ok(ActionResult::outcome("ok")
        .var("located_account", Value::text(&account.account_no))
        .var("area_code", Value::text(&account.area_code))
        .var("area", Value::text(name))
        .var("country", Value::text(country))
        .var("zone", Value::text(zone))
        .var("service", Value::text(&account.service)))
}

pub(super) async fn perform(
    actions: &Actions<'_>,
    _request: &ActionRequest,
    state: &State,
    _caller: &Caller<'_>,
) -> StoreResult<ActionResult> {
    let known = text_var(state, "account")
        .or_else(|| text_var(state, "located_account"))
        .filter(|a| !a.is_empty());
    match known {
        Some(account_no) => match actions.account(account_no).await? {
            Some(account) => located(actions, &account).await,
            None => Ok(ActionResult::outcome("need_meter")),
        },
        None => Ok(ActionResult::outcome("need_meter")),
    }
}
