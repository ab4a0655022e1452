//! The areas whose name holds what the caller typed, case, accents and spaces aside, or typed
//! as keypad digits (`text::names`): one is taken, a few are listed to pick from.

use super::outcomes::find_area::Outcome;
use super::{ActionSpec, Actions, Caller, Done, Place, VarKind, VarRead, text_var};
use crate::engine::{ActionRequest, Item, State, Value};
use crate::store::StoreResult;
use crate::text::names;

/// The most areas a list offers: on voice, keys 1 to 8 choose them (9 is "more"). More
/// matches than that: the caller is asked to type more of the name.
pub const MAX_LISTED: usize = 8;

pub const SPEC: ActionSpec = ActionSpec {
    name: "find_area",
    reads: &[VarRead::required("typed_area", VarKind::Text)],
    outcomes: &["one", "several", "too_many", "none"],
    sets: &["area_code", "area"],
    lists: &["areas"],
    ..ActionSpec::EMPTY
};

pub(super) async fn perform(
    actions: &Actions<'_>,
    _request: &ActionRequest,
    state: &State,
    _caller: &Caller<'_>,
) -> StoreResult<Done<Outcome>> {
    let typed = text_var(state, "typed_area").unwrap_or_default();
    let areas = actions.crm.areas().await?;
    let found = names::find(typed, &areas, |a| a.name.as_str());
    Ok(match found.as_slice() {
        [] => Done::new(Outcome::None),
        [area] => {
            actions
                .known()
                .areas
                .insert(area.area_code.clone(), Place::from(*area));
            Done::new(Outcome::One)
                .var("area_code", Value::text(&area.area_code))
                .var("area", Value::text(&area.name))
        }
        several if several.len() <= MAX_LISTED => {
            let items = several
                .iter()
                .map(|area| {
                    let mut item = Item::new();
                    item.insert("id".into(), Value::text(&area.area_code));
                    item.insert("area".into(), Value::text(&area.name));
                    item.insert("region".into(), Value::text(&area.region));
                    item
                })
                .collect();
            Done::new(Outcome::Several).list("areas", items)
        }
        _ => Done::new(Outcome::TooMany),
    })
}
