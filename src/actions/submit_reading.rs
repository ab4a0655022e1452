//! A postpaid customer's self-reading: refused when lower than the last index on record, or
//! implausibly high (more than `[readings] max_factor` times the account's usual use since
//! that index); otherwise stored with a reference, once per request.

use chrono::{NaiveDate, Utc};

use super::outcomes::submit_reading::Outcome;
use super::{ActionSpec, Actions, Caller, Done, VarKind, VarRead, origin_key, text_var};
use crate::config::ReadingsConfig;
use crate::domain::{MeterReading, NewMeterReading};
use crate::engine::{ActionRequest, State, Value};
use crate::store::StoreResult;

/// Readings on record the usual use is averaged over.
const HISTORY: u32 = 13;

pub const SPEC: ActionSpec = ActionSpec {
    name: "submit_reading",
    reads: &[
        VarRead::required("located_account", VarKind::Account),
        VarRead::required("typed_reading", VarKind::Digits),
    ],
    outcomes: &["saved", "lower", "too_high"],
    sets: &["ref", "reading", "last_reading", "max_reading"],
    writes: &["meter_readings"],
    notable: true,
    ..ActionSpec::EMPTY
};

/// What a typed index is worth, against the readings on record (newest first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Plausible,
    /// Below the last index: a meter does not run backwards.
    Lower {
        last: i64,
    },
    /// More than the most the meter can have turned since the last index.
    TooHigh {
        max: i64,
    },
}

/// Judges `typed` on `today`: the usual daily use is the average rise of the readings on
/// record (the default when fewer than two, or no days between them).
pub fn judge(
    history: &[MeterReading],
    typed: i64,
    today: NaiveDate,
    rules: &ReadingsConfig,
) -> Verdict {
    let Some(last) = history.first() else {
        return Verdict::Plausible;
    };
    if typed < last.reading {
        return Verdict::Lower { last: last.reading };
    }
    let oldest = history.last().unwrap_or(last);
    let span = (last.read_on - oldest.read_on).num_days();
    let daily = if span > 0 && last.reading > oldest.reading {
        (last.reading - oldest.reading) as f64 / span as f64
    } else {
        rules.default_daily_use
    };
    let days = (today - last.read_on).num_days().max(1) as f64;
    let max = last.reading + (rules.max_factor * daily * days).ceil() as i64;
    if typed > max {
        Verdict::TooHigh { max }
    } else {
        Verdict::Plausible
    }
}

pub(super) async fn perform(
    actions: &Actions<'_>,
    request: &ActionRequest,
    state: &State,
    caller: &Caller<'_>,
) -> StoreResult<Done<Outcome>> {
    let account_no = text_var(state, "located_account").unwrap_or_default();
    // Digits only (the menu's input says so); more than fit in an index is implausible.
    let typed: i64 = text_var(state, "typed_reading")
        .unwrap_or_default()
        .parse()
        .unwrap_or(i64::MAX);
    let account = actions.account(account_no).await?;
    let zone = actions.account_zone(account.as_ref()).await?;
    let now = Utc::now();
    let today = now.with_timezone(&zone).date_naive();
    let new = NewMeterReading {
        account_no: account_no.to_string(),
        meter_no: account.map(|a| a.meter_no).unwrap_or_default(),
        reading: typed,
        read_on: today,
        phone: caller.phone.to_string(),
        channel: caller.channel.to_string(),
        at: now,
        origin_key: origin_key(caller, request, ""),
    };
    // A retry of a hop already stored finds its own reading on top: the same index, as
    // plausible as it was; the store then gives the first reading back.
    let history = actions.crm.meter_readings(account_no, HISTORY).await?;
    match judge(&history, typed, today, &actions.config.readings) {
        Verdict::Lower { last } => {
            Ok(Done::new(Outcome::Lower).var("last_reading", Value::Number(last)))
        }
        Verdict::TooHigh { max } => {
            Ok(Done::new(Outcome::TooHigh).var("max_reading", Value::Number(max)))
        }
        Verdict::Plausible => {
            let stored = actions.crm.submit_meter_reading(&new).await?;
            Ok(Done::new(Outcome::Saved)
                .var("ref", Value::Reference(stored.reading_id))
                .var("reading", Value::Number(stored.reading)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(on: &str, index: i64) -> MeterReading {
        MeterReading {
            reading_id: format!("R{index}"),
            account_no: "SNE1".into(),
            meter_no: "M1".into(),
            read_on: on.parse().unwrap(),
            reading: index,
            source: "utility".into(),
        }
    }

    fn rules() -> ReadingsConfig {
        ReadingsConfig {
            max_factor: 3.0,
            default_daily_use: 20.0,
        }
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_reading_below_the_last_is_refused() {
        let history = [reading("2026-10-28", 5_000), reading("2026-09-28", 4_700)];
        assert_eq!(
            judge(&history, 4_999, day("2026-11-30"), &rules()),
            Verdict::Lower { last: 5_000 }
        );
        assert_eq!(
            judge(&history, 5_000, day("2026-11-30"), &rules()),
            Verdict::Plausible,
            "the same index: nothing used, still true"
        );
    }

    #[test]
    fn a_reading_far_above_the_usual_use_is_refused() {
        // 300 units in 30 days: 10 a day; 33 days since the last reading, factor 3: 990.
        let history = [reading("2026-10-28", 5_000), reading("2026-09-28", 4_700)];
        let today = day("2026-11-30");
        assert_eq!(judge(&history, 5_990, today, &rules()), Verdict::Plausible);
        assert_eq!(
            judge(&history, 5_991, today, &rules()),
            Verdict::TooHigh { max: 5_990 }
        );
        // An extra digit typed.
        assert!(matches!(
            judge(&history, 53_000, today, &rules()),
            Verdict::TooHigh { .. }
        ));
        // A stricter factor.
        let strict = ReadingsConfig {
            max_factor: 1.5,
            ..rules()
        };
        assert!(matches!(
            judge(&history, 5_600, today, &strict),
            Verdict::TooHigh { max: 5_495 }
        ));
    }

    #[test]
    fn without_history_the_default_use_applies() {
        let one = [reading("2026-11-20", 100)];
        // 10 days at the default 20 a day, factor 3: up to 700.
        assert_eq!(
            judge(&one, 700, day("2026-11-30"), &rules()),
            Verdict::Plausible
        );
        assert_eq!(
            judge(&one, 701, day("2026-11-30"), &rules()),
            Verdict::TooHigh { max: 700 }
        );
        assert_eq!(
            judge(&[], 123, day("2026-11-30"), &rules()),
            Verdict::Plausible
        );
    }
}
