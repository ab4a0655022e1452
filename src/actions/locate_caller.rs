//! Where the caller's supply is, from the account the session already knows.

use super::outcomes::locate_caller::Outcome;
use super::{
    ActionOutcome, ActionSpec, Actions, Caller, CallerAccount, Done, VarKind, VarRead, text_var,
};
use crate::engine::{ActionRequest, State, Value};
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

/// The `ok` outcome (each action's own) with the account's area, country and service.
pub(super) async fn located<O: ActionOutcome>(
    actions: &Actions<'_>,
    account: &CallerAccount,
    ok: O,
) -> StoreResult<Done<O>> {
    let area = actions.area(&account.area_code).await?;
    let (name, country, zone) = match area {
        Some(a) => {
            let zone = a.zone().name().to_string();
            (a.name, a.country, zone)
        }
        None => (account.area_code.clone(), String::new(), String::new()),
    };
    Ok(Done::new(ok)
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
) -> StoreResult<Done<Outcome>> {
    let known = text_var(state, "account")
        .or_else(|| text_var(state, "located_account"))
        .filter(|a| !a.is_empty());
    match known {
        Some(account_no) => match actions.account(account_no).await? {
            Some(account) => located(actions, &account, Outcome::Ok).await,
            None => Ok(Done::new(Outcome::NeedMeter)),
        },
        None => Ok(Done::new(Outcome::NeedMeter)),
    }
}
