//! A danger in the street (a fallen power line, an exposed cable, a water leak) reported by
//! phone: an urgent `hazard` ticket of its own, with its kind (the note) and its area and
//! service (the ticket's `area_code`/`service`), under a short SLA. Every call files its own:
//! two callers about the same wire are two witnesses, not a repeat to merge.

use chrono::{Duration, Utc};

use super::outcomes::report_hazard::Outcome;
use super::{
    ActionSpec, Actions, Caller, Done, TICKET_VARS, VarKind, VarRead, origin_key, session_account,
    text_var, ticket_vars,
};
use crate::domain::{HAZARD, HAZARD_KINDS, NewTicket, TicketPlace};
use crate::engine::{ActionRequest, State};
use crate::store::StoreResult;

pub const SPEC: ActionSpec = ActionSpec {
    name: "report_hazard",
    reads: &[
        VarRead::required("hazard", VarKind::Text),
        VarRead::required("area_code", VarKind::Area),
        VarRead::optional("account", VarKind::Account),
        VarRead::optional("verified_account", VarKind::Account),
        VarRead::optional("located_account", VarKind::Account),
    ],
    // `invalid`: no known kind or area in the session; nothing is filed.
    outcomes: &["filed", "invalid"],
    sets: TICKET_VARS,
    writes: &["tickets", "ticket_events", "counters"],
    notable: true,
    ..ActionSpec::EMPTY
};

pub(super) async fn perform(
    actions: &Actions<'_>,
    request: &ActionRequest,
    state: &State,
    caller: &Caller<'_>,
) -> StoreResult<Done<Outcome>> {
    let kind = text_var(state, "hazard")
        .and_then(|typed| HAZARD_KINDS.iter().find(|(kind, _)| *kind == typed));
    let area_code = match text_var(state, "area_code") {
        Some(code) if actions.area(code).await?.is_some() => Some(code),
        _ => None,
    };
    let (Some((kind, service)), Some(area_code)) = (kind, area_code) else {
        return Ok(Done::new(Outcome::Invalid));
    };
    let now = Utc::now();
    let ticket = actions
        .crm
        .create_ticket(&NewTicket {
            // Another kind or area reported in the same session is another danger.
            origin_key: origin_key(caller, request, &format!("{kind}:{area_code}")),
            account_no: session_account(state).map(str::to_string),
            phone: Some(caller.phone.to_string()),
            category: HAZARD.to_string(),
            channel: caller.channel.to_string(),
            created_at: now,
            sla_due_at: Some(now + Duration::hours(actions.config.sla_hours(HAZARD))),
            note: Some((*kind).to_string()),
            place: Some(TicketPlace {
                area_code: area_code.to_string(),
                service: service.to_string(),
            }),
        })
        .await?;
    Ok(ticket_vars(Done::new(Outcome::Filed), &ticket, now))
}
