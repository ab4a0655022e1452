//! A ticket or an outage report, from the reference the caller typed; a near miss (one
//! wrong check digit) is told apart from a malformed reference.

use super::outcomes::find_ticket::Outcome;
use super::{
    ActionSpec, Actions, Caller, Done, VarKind, VarRead, event_vars, restoration, text_var,
    ticket_vars,
};
use crate::engine::{ActionRequest, State, Value};
use crate::reference::{self, Typed};
use crate::store::StoreResult;
use chrono::Utc;

pub const SPEC: ActionSpec = ActionSpec {
    name: "find_ticket",
    reads: &[VarRead::required("typed_ref", VarKind::Text)],
    outcomes: &["found", "outage_report", "typo", "not_found", "malformed"],
    sets: &[
        "ref",
        "status",
        "category",
        "sla",
        "updated",
        "late",
        "event",
        "event_detail",
        "event_at",
        "area",
        "restore",
        "restoration",
    ],
    notable: true,
    ..ActionSpec::EMPTY
};

pub(super) async fn perform(
    actions: &Actions<'_>,
    _request: &ActionRequest,
    state: &State,
    _caller: &Caller<'_>,
) -> StoreResult<Done<Outcome>> {
    let typed = text_var(state, "typed_ref").unwrap_or_default();
    let reference = match reference::parse_typed(typed) {
        Typed::Reference(r) => r,
        Typed::Typo => return Ok(Done::new(Outcome::Typo)),
        Typed::Malformed => return Ok(Done::new(Outcome::Malformed)),
    };
    if let Some(ticket) = actions.crm.ticket(&reference).await? {
        let event = actions.crm.latest_ticket_event(&ticket.ticket_ref).await?;
        let found = ticket_vars(Done::new(Outcome::Found), &ticket, Utc::now());
        return Ok(event_vars(found, event.as_ref()));
    }
    let Some(report) = actions.crm.outage_report(&reference).await? else {
        return Ok(Done::new(Outcome::NotFound));
    };
    let Some(outage) = actions.crm.outage(&report.outage_id).await? else {
        return Ok(Done::new(Outcome::NotFound));
    };
    let restoration = restoration(&outage, chrono::Utc::now());
    let area = actions.area(&outage.area_code).await?;
    let zone = area
        .as_ref()
        .map(|a| a.zone().name().to_string())
        .unwrap_or_default();
    let restore = outage
        .expected_end
        .map(|at| Value::Time { at, zone })
        .unwrap_or_else(|| Value::text("?"));
    Ok(Done::new(Outcome::OutageReport)
        .var("ref", Value::Reference(report.reference))
        .var(
            "area",
            Value::text(area.map(|a| a.name).unwrap_or(outage.area_code)),
        )
        .var("restoration", Value::text(restoration))
        .var("status", Value::text(outage.status))
        .var("restore", restore))
}
