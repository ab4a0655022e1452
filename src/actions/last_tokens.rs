//! A prepaid customer's last token purchases: when, how much, what it bought, and the token
//! itself in groups of four digits (as it is keyed into the meter).

use super::outcomes::last_tokens::Outcome;
use super::{ActionSpec, Actions, Caller, Done, VarKind, VarRead, bill_account};
use crate::contracts::Service;
use crate::domain::Vend;
use crate::engine::{ActionRequest, Item, State, Value};
use crate::store::StoreResult;

/// Purchases listed.
const SHOWN: u32 = 3;

pub const SPEC: ActionSpec = ActionSpec {
    name: "last_tokens",
    reads: &[
        VarRead::optional("account", VarKind::Account),
        VarRead::optional("verified_account", VarKind::Account),
    ],
    outcomes: &["some", "none"],
    lists: &["tokens"],
    notable: true,
    ..ActionSpec::EMPTY
};

/// One purchase as a list item, its date on the area's clock.
pub(super) fn token_item(vend: &Vend, service: &str, zone: chrono_tz::Tz) -> Item {
    let mut item = Item::new();
    item.insert("id".into(), Value::text(&vend.vend_id));
    item.insert(
        "date".into(),
        Value::Date(vend.vended_at.with_timezone(&zone).date_naive()),
    );
    item.insert(
        "amount".into(),
        Value::Money {
            minor: vend.amount_minor,
            currency: vend.currency.clone(),
        },
    );
    item.insert("units".into(), Value::text(&vend.units));
    item.insert("service".into(), Value::text(service));
    // A reference value: read out digit by digit, never as a number.
    item.insert("token".into(), Value::Reference(vend.grouped_token()));
    item
}

pub(super) async fn perform(
    actions: &Actions<'_>,
    _request: &ActionRequest,
    state: &State,
    _caller: &Caller<'_>,
) -> StoreResult<Done<Outcome>> {
    let Some(account_no) = bill_account(state) else {
        return Ok(Done::new(Outcome::None));
    };
    let vends = actions.crm.recent_vends(account_no, SHOWN).await?;
    if vends.is_empty() {
        return Ok(Done::new(Outcome::None));
    }
    let account = actions.account(account_no).await?;
    let zone = actions.account_zone(account.as_ref()).await?;
    let service = account.map_or_else(|| Service::Electricity.to_string(), |a| a.service);
    let items = vends
        .iter()
        .map(|v| token_item(v, &service, zone))
        .collect();
    Ok(Done::new(Outcome::Some).list("tokens", items))
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    #[test]
    fn a_token_reads_in_groups_of_four_on_the_area_date() {
        let vend = Vend {
            vend_id: "V1".into(),
            account_no: "KEE1".into(),
            meter_no: "M1".into(),
            // 22:30 UTC is already the next day in Nairobi.
            vended_at: Utc.with_ymd_and_hms(2026, 11, 24, 22, 30, 0).unwrap(),
            amount_minor: 50_000,
            currency: "KES".into(),
            units: "20.0".into(),
            token: "12345678901234567890".into(),
        };
        let item = token_item(&vend, "electricity", chrono_tz::Africa::Nairobi);
        assert_eq!(
            item["token"],
            Value::Reference("1234 5678 9012 3456 7890".into())
        );
        assert_eq!(
            item["date"],
            Value::Date(chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap())
        );
    }
}
