//! Remembers the language the caller chose, for this session and their next calls.

use super::outcomes::save_language::Outcome;
use super::{ActionSpec, Actions, Caller, Done, VarKind, VarRead, text_var};
use crate::engine::{ActionRequest, State, Value};
use crate::store::StoreResult;

pub const SPEC: ActionSpec = ActionSpec {
    name: "save_language",
    reads: &[VarRead::required("lang", VarKind::Language)],
    outcomes: &["ok"],
    sets: &["language_set"],
    writes: &["customers", "phone_languages"],
    ..ActionSpec::EMPTY
};

pub(super) async fn perform(
    actions: &Actions<'_>,
    _request: &ActionRequest,
    state: &State,
    caller: &Caller<'_>,
) -> StoreResult<Done<Outcome>> {
    let lang = text_var(state, "lang").unwrap_or(actions.catalog.default_lang());
    let mut result = Done::new(Outcome::Ok);
    if actions.catalog.has_language(lang) {
        actions.crm.save_language(caller.phone, lang).await?;
        result.lang = Some(lang.to_string());
        result = result.var("language_set", Value::text("yes"));
    }
    Ok(result)
}
