//! Known outages in the caller's area, cached a few seconds per area for storms. An outage
//! whose expected end has passed is listed with its restoration delayed, never that past time.

use std::collections::BTreeMap;

use chrono::Utc;

use super::outcomes::area_outages::Outcome;
use super::{ActionSpec, Actions, Caller, Done, VarKind, VarRead, restoration, text_var};
use crate::engine::{ActionRequest, State, Value};
use crate::store::StoreResult;

pub const SPEC: ActionSpec = ActionSpec {
    name: "area_outages",
    reads: &[
        VarRead::required("area_code", VarKind::Area),
        VarRead::optional("country", VarKind::Country),
        VarRead::optional("zone", VarKind::Zone),
    ],
    outcomes: &["some", "none"],
    lists: &["outages"],
    notable: true,
    ..ActionSpec::EMPTY
};

pub(super) async fn perform(
    actions: &Actions<'_>,
    _request: &ActionRequest,
    state: &State,
    _caller: &Caller<'_>,
) -> StoreResult<Done<Outcome>> {
    let area_code = text_var(state, "area_code").unwrap_or_default();
    // The area's zone; a session located before zones were known carries its country only.
    let zone = text_var(state, "zone")
        .filter(|z| !z.is_empty())
        .or_else(|| text_var(state, "country"))
        .unwrap_or_default()
        .to_string();
    let now = Utc::now();
    let outages = match actions.area_cache.get(area_code) {
        Some(cached) => cached,
        None => {
            let fresh = actions.crm.area_outages(area_code, now).await?;
            actions.area_cache.put(area_code, fresh.clone());
            fresh
        }
    };
    if outages.is_empty() {
        return Ok(Done::new(Outcome::None));
    }
    let items = outages
        .into_iter()
        .map(|o| {
            let time = |at| Value::Time {
                at,
                zone: zone.clone(),
            };
            let fields = [
                ("id", Value::text(&o.outage_id)),
                ("kind", Value::text(&o.kind)),
                ("service", Value::text(&o.service)),
                ("status", Value::text(&o.status)),
                // An expected end already past is never shown as the end: said delayed.
                ("restoration", Value::text(restoration(&o, now))),
                ("start", time(o.starts_at)),
                (
                    "end",
                    o.expected_end.map(time).unwrap_or_else(|| Value::text("?")),
                ),
            ];
            fields
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect::<BTreeMap<_, _>>()
        })
        .collect();
    Ok(Done::new(Outcome::Some).list("outages", items))
}
