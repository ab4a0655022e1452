//! A complaint in the category the caller chose, filed as a ticket; the same account's
//! complaint of a category still pending is told its existing reference instead.

use chrono::{Duration, Utc};

use super::outcomes::file_complaint::Outcome;
use super::{
    ActionSpec, Actions, Caller, Done, TICKET_VARS, VarKind, VarRead, origin_key, session_account,
    text_var, ticket_vars,
};
use crate::domain::{ComplaintFiling, NewTicket, TICKET_CATEGORIES};
use crate::engine::{ActionRequest, State};
use crate::store::StoreResult;

pub const SPEC: ActionSpec = ActionSpec {
    name: "file_complaint",
    reads: &[
        VarRead::required("category", VarKind::Category),
        VarRead::optional("account", VarKind::Account),
        VarRead::optional("verified_account", VarKind::Account),
        VarRead::optional("located_account", VarKind::Account),
    ],
    outcomes: &["filed", "already"],
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
    let category = text_var(state, "category")
        .filter(|c| TICKET_CATEGORIES.contains(c))
        .unwrap_or("other");
    let now = Utc::now();
    let filing = actions
        .crm
        .file_complaint(&NewTicket {
            origin_key: origin_key(caller, request, category),
            account_no: session_account(state).map(str::to_string),
            phone: Some(caller.phone.to_string()),
            category: category.to_string(),
            channel: caller.channel.to_string(),
            created_at: now,
            sla_due_at: Some(now + Duration::hours(actions.config.sla_hours(category))),
            note: None,
            place: None,
        })
        .await?;
    // A repeat (the account's pending ticket of this category) is told as already registered.
    Ok(match filing {
        ComplaintFiling::New(ticket) => ticket_vars(Done::new(Outcome::Filed), &ticket, now),
        ComplaintFiling::Repeat(ticket) => ticket_vars(Done::new(Outcome::Already), &ticket, now),
    })
}
