//! How PostgreSQL keeps what the SQLite store keeps: time to the second, and text without NUL.

use std::borrow::Cow;

use chrono::{DateTime, SubsecRound, Utc};

/// Timestamps are kept to the second, as the SQLite store keeps them.
pub(super) fn ts(t: &DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(0)
}

/// Free text from a gateway, stored with any NUL replaced (PostgreSQL rejects it).
pub(super) fn storable(s: &str) -> Cow<'_, str> {
    if s.contains('\0') {
        Cow::Owned(s.replace('\0', "\u{FFFD}"))
    } else {
        Cow::Borrowed(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_keep_whole_seconds() {
        let t = DateTime::parse_from_rfc3339("2026-11-20T06:00:00.987654Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(ts(&t).to_rfc3339(), "2026-11-20T06:00:00+00:00");
    }

    #[test]
    fn nul_characters() {
        assert_eq!(storable("a\0b"), "a\u{FFFD}b");
        assert!(matches!(storable("ab"), Cow::Borrowed("ab")));
    }
}
