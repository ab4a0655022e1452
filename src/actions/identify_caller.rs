//! Who is calling: the caller's accounts and saved language, from the phone number alone.

use super::outcomes::identify_caller::Outcome;
use super::{ActionSpec, Actions, Caller, Done, VarKind, VarRead};
use crate::engine::{ActionRequest, Item, State, Value};
use crate::store::StoreResult;

pub const SPEC: ActionSpec = ActionSpec {
    name: "identify_caller",
    reads: &[
        VarRead::optional("language_set", VarKind::Flag),
        VarRead::optional("account", VarKind::Account),
    ],
    outcomes: &["choose_language", "choose_account", "ready"],
    sets: &["caller_known", "language_set", "account"],
    lists: &["accounts"],
    ..ActionSpec::EMPTY
};

pub(super) async fn perform(
    actions: &Actions<'_>,
    _request: &ActionRequest,
    state: &State,
    caller: &Caller<'_>,
) -> StoreResult<Done<Outcome>> {
    let accounts = actions.caller_accounts(caller.phone).await?;
    let mut result = Done::new(Outcome::Ready).var(
        "caller_known",
        Value::text(if accounts.is_empty() { "no" } else { "yes" }),
    );
    if !state.vars.contains_key("language_set") {
        let saved = match accounts.iter().find_map(|a| a.language.clone()) {
            Some(lang) => Some(lang),
            None => actions.crm.phone_language(caller.phone).await?,
        };
        match saved.filter(|l| actions.catalog.has_language(l)) {
            Some(lang) => {
                result.lang = Some(lang);
                result = result.var("language_set", Value::text("yes"));
            }
            None => {
                result.outcome = Outcome::ChooseLanguage;
                return Ok(result);
            }
        }
    }
    if accounts.len() == 1 && !state.vars.contains_key("account") {
        result = result.var("account", Value::text(&accounts[0].account_no));
    }
    if accounts.len() > 1 && !state.vars.contains_key("account") {
        let mut items = Vec::new();
        for account in &accounts {
            let mut item = Item::new();
            item.insert("id".into(), Value::text(&account.account_no));
            item.insert("account".into(), Value::text(&account.account_no));
            item.insert("service".into(), Value::text(&account.service));
            item.insert(
                "area".into(),
                Value::text(actions.area_name(&account.area_code).await?),
            );
            items.push(item);
        }
        result.outcome = Outcome::ChooseAccount;
        result = result.list("accounts", items);
    }
    Ok(result)
}
