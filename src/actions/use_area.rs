//! The area the caller picked from the list of those matching what they typed.

use super::{ActionSpec, Actions, Caller, VarKind, VarRead, text_var};
use crate::engine::{ActionRequest, ActionResult, State, Value};
use crate::store::StoreResult;

pub const SPEC: ActionSpec = ActionSpec {
    name: "use_area",
    reads: &[VarRead::required("picked_area", VarKind::Area)],
    outcomes: &["ok", "invalid"],
    sets: &["area_code", "area"],
    ..ActionSpec::EMPTY
};

pub(super) async fn perform(
    actions: &Actions<'_>,
    _request: &ActionRequest,
    state: &State,
    _caller: &Caller<'_>,
) -> StoreResult<ActionResult> {
    let picked = text_var(state, "picked_area").unwrap_or_default();
    // The id came back from the list: still, only an area the CRM knows is taken.
    Ok(match actions.area(picked).await? {
        Some(place) => ActionResult::outcome("ok")
            .var("area_code", Value::text(picked))
            .var("area", Value::text(place.name)),
        None => ActionResult::outcome("invalid"),
    })
}
