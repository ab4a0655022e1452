//! A ticket or an outage report, from the reference the caller typed; a near miss (one
//! wrong check digit) is told apart from a malformed reference.

use super::{
    ActionSpec, Actions, Caller, VarKind, VarRead, event_vars, restoration, text_var, ticket_vars,
};
use crate::engine::{ActionRequest, ActionResult, State, Value};
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
) -> StoreResult<ActionResult> {
    let typed = text_var(state, "typed_ref").unwrap_or_default();
    let reference = match reference::parse_typed(typed) {
        Typed::Reference(r) => r,
        Typed::Typo => return Ok(ActionResult::outcome("typo")),
        Typed::Malformed => return Ok(ActionResult::outcome("malformed")),
    };
    if let Some(ticket) = actions.crm.ticket(&reference).await? {
        let event = actions.crm.latest_ticket_event(&ticket.ticket_ref).await?;
        let found = ticket_vars(ActionResult::outcome("found"), &ticket, Utc::now());
        return Ok(event_vars(found, event.as_ref()));
    }
    let Some(report) = actions.crm.outage_report(&reference).await? else {
        return Ok(ActionResult::outcome("not_found"));
    };
    let Some(outage) = actions.crm.outage(&report.outage_id).await? else {
        return Ok(ActionResult::outcome("not_found"));
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
    Ok(ActionResult::outcome("outage_report")
        .var("ref", Value::Reference(report.reference))
        .var(
            "area",
            Value::text(area.map(|a| a.name).unwrap_or(outage.area_code)),
        )
        .var("restoration", Value::text(restoration))
        .var("status", Value::text(outage.status))
        .var("restore", restore))
}
