//! The caller's open tickets, by phone and by every account of that phone.

use chrono::Utc;

use super::outcomes::open_tickets::Outcome;
use super::{ActionSpec, Actions, Caller, Done, ticket_vars};
use crate::engine::{ActionRequest, Item, State, Value};
use crate::store::StoreResult;

pub const SPEC: ActionSpec = ActionSpec {
    name: "open_tickets",
    outcomes: &["some", "none"],
    lists: &["tickets"],
    ..ActionSpec::EMPTY
};

pub(super) async fn perform(
    actions: &Actions<'_>,
    _request: &ActionRequest,
    _state: &State,
    caller: &Caller<'_>,
) -> StoreResult<Done<Outcome>> {
    let accounts: Vec<String> = actions
        .caller_accounts(caller.phone)
        .await?
        .into_iter()
        .map(|a| a.account_no)
        .collect();
    let tickets = actions.crm.open_tickets(caller.phone, &accounts).await?;
    if tickets.is_empty() {
        return Ok(Done::new(Outcome::None));
    }
    let now = Utc::now();
    let items = tickets
        .iter()
        .map(|t| {
            let mut item: Item = ticket_vars(Done::new(Outcome::Some), t, now).vars;
            item.insert("id".into(), Value::text(&t.ticket_ref));
            item
        })
        .collect();
    Ok(Done::new(Outcome::Some).list("tickets", items))
}
