//! The area the caller picked from the list of those matching what they typed.

use super::outcomes::use_area::Outcome;
use super::{ActionSpec, Actions, Caller, Done, VarKind, VarRead, text_var};
use crate::engine::{ActionRequest, State, Value};
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
) -> StoreResult<Done<Outcome>> {
    let picked = text_var(state, "picked_area").unwrap_or_default();
    // The id came back from the list: still, only an area the CRM knows is taken.
    Ok(match actions.area(picked).await? {
        Some(place) => Done::new(Outcome::Ok)
            .var("area_code", Value::text(picked))
            .var("area", Value::text(place.name)),
        None => Done::new(Outcome::Invalid),
    })
}
