//! A new connection request, filed as a `new_connection` ticket with the service and area
//! asked for (followed up like any ticket); the same phone's or account's request of that
//! service and area still pending is told its existing reference instead.

use chrono::{Duration, Utc};

use super::outcomes::file_connection::Outcome;
use super::{
    ActionSpec, Actions, Caller, Done, TICKET_VARS, VarKind, VarRead, origin_key, session_account,
    text_var, ticket_vars,
};
use crate::contracts::Service;
use crate::domain::{ComplaintFiling, NEW_CONNECTION, NewConnectionRequest};
use crate::engine::{ActionRequest, State};
use crate::store::StoreResult;

pub const SPEC: ActionSpec = ActionSpec {
    name: "file_connection",
    reads: &[
        VarRead::required("service", VarKind::Service),
        VarRead::required("area_code", VarKind::Area),
        VarRead::optional("account", VarKind::Account),
        VarRead::optional("verified_account", VarKind::Account),
        VarRead::optional("located_account", VarKind::Account),
    ],
    // `invalid`: no service or no known area in the session; nothing is filed.
    outcomes: &["filed", "already", "invalid"],
    sets: TICKET_VARS,
    writes: &[
        "tickets",
        "ticket_events",
        "connection_requests",
        "counters",
    ],
    notable: true,
    ..ActionSpec::EMPTY
};

pub(super) async fn perform(
    actions: &Actions<'_>,
    request: &ActionRequest,
    state: &State,
    caller: &Caller<'_>,
) -> StoreResult<Done<Outcome>> {
    let service = text_var(state, "service").and_then(|s| s.parse::<Service>().ok());
    let area_code = match text_var(state, "area_code") {
        Some(code) if actions.area(code).await?.is_some() => Some(code),
        _ => None,
    };
    let (Some(service), Some(area_code)) = (service, area_code) else {
        return Ok(Done::new(Outcome::Invalid));
    };
    let now = Utc::now();
    let filing = actions
        .crm
        .file_connection_request(&NewConnectionRequest {
            // Another service or area asked in the same session is another request.
            origin_key: origin_key(caller, request, &format!("{service}:{area_code}")),
            account_no: session_account(state).map(str::to_string),
            phone: Some(caller.phone.to_string()),
            service: service.to_string(),
            area_code: area_code.to_string(),
            channel: caller.channel.to_string(),
            created_at: now,
            sla_due_at: Some(now + Duration::hours(actions.config.sla_hours(NEW_CONNECTION))),
        })
        .await?;
    // A repeat (a pending request of the same service and area) is told as already registered.
    Ok(match filing {
        ComplaintFiling::New(ticket) => ticket_vars(Done::new(Outcome::Filed), &ticket, now),
        ComplaintFiling::Repeat(ticket) => ticket_vars(Done::new(Outcome::Already), &ticket, now),
    })
}
