//! Proves a caller may see an account's bill: its number and the last four digits of its
//! meter. Wrong answers are counted per phone across sessions, so redialling cannot
//! brute-force them.

use super::outcomes::verify_account::Outcome;
use super::{ActionSpec, Actions, Caller, Done, VarKind, VarRead, text_var};
use crate::domain::Account;
use crate::engine::{ActionRequest, State, Value};
use crate::store::StoreResult;

/// How long wrong verification answers count against a phone.
const VERIFY_FAILURE_WINDOW: std::time::Duration = std::time::Duration::from_secs(3600);

pub const SPEC: ActionSpec = ActionSpec {
    name: "verify_account",
    reads: &[
        VarRead::required("typed_account", VarKind::Code),
        VarRead::required("typed_meter_digits", VarKind::Digits),
        VarRead::optional("verify_attempts", VarKind::Number),
    ],
    outcomes: &["ok", "failed", "locked"],
    sets: &["verified_account", "verify_attempts", "attempts_left"],
    notable: true,
    ..ActionSpec::EMPTY
};

fn failures_key(phone: &str) -> String {
    format!("verify-failures:{phone}")
}

pub(super) async fn perform(
    actions: &Actions<'_>,
    _request: &ActionRequest,
    state: &State,
    caller: &Caller<'_>,
) -> StoreResult<Done<Outcome>> {
    let attempts = match state.vars.get("verify_attempts") {
        Some(Value::Number(n)) => *n,
        _ => 0,
    } + 1;
    let max = actions.config.max_verify_attempts;
    if attempts > max {
        return Ok(Done::new(Outcome::Locked));
    }
    let typed_account = text_var(state, "typed_account").unwrap_or_default();
    let typed_digits = text_var(state, "typed_meter_digits").unwrap_or_default();
    let account = actions.crm.account_by_number(typed_account).await?;
    let matches = account.as_ref().is_some_and(|a: &Account| {
        let digits: String = a.meter_no.chars().filter(char::is_ascii_digit).collect();
        digits.len() >= 4 && digits.ends_with(typed_digits) && typed_digits.len() == 4
    });
    // Wrong answers are counted per phone across sessions and instances. One call to the
    // session store either way: a right answer reads the count (a phone locked out stays
    // locked out), a wrong one adds to it and reads the result.
    let per_hour = actions.config.max_verify_failures_per_hour;
    let key = failures_key(caller.phone);
    let locked_out = if matches {
        actions.sessions.count(&key).await? >= per_hour
    } else {
        let failures = actions
            .sessions
            .increment(&key, VERIFY_FAILURE_WINDOW)
            .await?;
        failures > per_hour
    };
    if locked_out {
        return Ok(Done::new(Outcome::Locked));
    }
    match (matches, account) {
        (true, Some(account)) => Ok(Done::new(Outcome::Ok)
            .var("verified_account", Value::text(account.account_no))
            .var("verify_attempts", Value::Number(0))),
        // The same answer whether the account exists or not: no account enumeration.
        _ if attempts >= max => {
            Ok(Done::new(Outcome::Locked).var("verify_attempts", Value::Number(attempts)))
        }
        _ => Ok(Done::new(Outcome::Failed)
            .var("verify_attempts", Value::Number(attempts))
            .var("attempts_left", Value::Number(max - attempts))),
    }
}
