//! A request to be called back by an agent, in the session's language.

use chrono::Utc;

use super::outcomes::request_callback::Outcome;
use super::{ActionSpec, Actions, Caller, Done, VarKind, VarRead, origin_key, session_account};
use crate::domain::NewCallback;
use crate::engine::{ActionRequest, State, Value};
use crate::store::StoreResult;

pub const SPEC: ActionSpec = ActionSpec {
    name: "request_callback",
    reads: &[
        VarRead::optional("account", VarKind::Account),
        VarRead::optional("verified_account", VarKind::Account),
        VarRead::optional("located_account", VarKind::Account),
    ],
    outcomes: &["ok"],
    sets: &["callback_id"],
    writes: &["callback_tasks"],
    notable: true,
    ..ActionSpec::EMPTY
};

pub(super) async fn perform(
    actions: &Actions<'_>,
    request: &ActionRequest,
    state: &State,
    caller: &Caller<'_>,
) -> StoreResult<Done<Outcome>> {
    let id = actions
        .crm
        .create_callback(&NewCallback {
            origin_key: origin_key(caller, request, ""),
            phone: caller.phone.to_string(),
            account_no: session_account(state).map(str::to_string),
            language: state.lang.clone(),
            channel: caller.channel.to_string(),
            created_at: Utc::now(),
        })
        .await?;
    Ok(Done::new(Outcome::Ok).var("callback_id", Value::Number(id)))
}
