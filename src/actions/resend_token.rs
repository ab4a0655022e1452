//! "Resend my last token": one SMS repeating the latest token, queued in the outbox once per
//! request (a gateway's retry of the same hop queues nothing more). The caller is told it is
//! sent only once the row is committed.

use super::outcomes::resend_token::Outcome;
use super::{ActionSpec, Actions, Caller, Done, VarKind, VarRead, bill_account, origin_key};
use crate::domain::TokenResend;
use crate::engine::{ActionRequest, State, Value};
use crate::store::StoreResult;

pub const SPEC: ActionSpec = ActionSpec {
    name: "resend_token",
    reads: &[
        VarRead::optional("account", VarKind::Account),
        VarRead::optional("verified_account", VarKind::Account),
    ],
    outcomes: &["sent", "none"],
    sets: &["token_date"],
    writes: &["sms_outbox"],
    notable: true,
    ..ActionSpec::EMPTY
};

pub(super) async fn perform(
    actions: &Actions<'_>,
    request: &ActionRequest,
    state: &State,
    caller: &Caller<'_>,
) -> StoreResult<Done<Outcome>> {
    let Some(account_no) = bill_account(state) else {
        return Ok(Done::new(Outcome::None));
    };
    let resend = TokenResend {
        account_no: account_no.to_string(),
        phone: caller.phone.to_string(),
        origin_key: origin_key(caller, request, ""),
    };
    let Some(vend) = actions.crm.resend_token(&resend).await? else {
        return Ok(Done::new(Outcome::None));
    };
    let account = actions.account(account_no).await?;
    let zone = actions.account_zone(account.as_ref()).await?;
    let day = vend.vended_at.with_timezone(&zone).date_naive();
    Ok(Done::new(Outcome::Sent).var("token_date", Value::Date(day)))
}
