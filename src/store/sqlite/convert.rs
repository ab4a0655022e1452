//! How SQLite keeps time: RFC 3339 text with `Z` and whole seconds, dates as `YYYY-MM-DD`, so
//! ordering and comparing by text is ordering by time.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};

use crate::store::{StoreError, StoreResult};

pub(super) fn ts(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub(super) fn date(d: &NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

pub(super) fn parse_ts(s: &str) -> StoreResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt(format!("timestamp `{s}`: {e}")))
}

pub(super) fn parse_date(s: &str) -> StoreResult<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|e| StoreError::Corrupt(format!("date `{s}`: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_and_dates_round_trip() {
        let t = parse_ts("2026-11-20T06:00:00Z").unwrap();
        assert_eq!(ts(&t), "2026-11-20T06:00:00Z");
        assert_eq!(date(&parse_date("2026-01-05").unwrap()), "2026-01-05");
        assert!(parse_ts("yesterday").is_err());
    }
}
