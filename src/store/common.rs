//! What the SQL CRM stores share: column lists, keypad-lookup rules and the rows whose columns
//! have the same types in every database.

use chrono::{DateTime, SubsecRound, Utc};

use crate::domain::{Account, Area, NewOutageFiling, NewTicket, StormPolicy};

/// A typed number must have at least this many digits to be matched by its digits alone.
pub(crate) const MIN_LOOKUP_DIGITS: usize = 4;

/// Tables every SQL store may count (each store may add its own).
pub(crate) const COUNTABLE: [&str; 11] = [
    "areas",
    "customers",
    "phone_languages",
    "bills",
    "outages",
    "tickets",
    "ticket_events",
    "outage_reports",
    "callback_tasks",
    "interactions",
    "_sqlx_migrations",
];

/// The digits of an account or meter number, as stored for keypad lookup.
pub(crate) fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

macro_rules! area_cols {
    () => {
        "area_code, name, region, country, currency, languages"
    };
}
macro_rules! account_cols {
    () => {
        "account_no, full_name, phone, alt_phone, language, service, meter_no, area_code, tariff, status"
    };
}
macro_rules! bill_cols {
    () => {
        "bill_id, account_no, period, issued_on, due_on, amount_minor, currency, status, paid_minor"
    };
}
macro_rules! outage_cols {
    () => {
        "outage_id, area_code, service, kind, starts_at, expected_end, status, cause"
    };
}
macro_rules! ticket_cols {
    () => {
        "ticket_ref, account_no, phone, category, status, channel, created_at, sla_due_at, updated_at, note"
    };
}
macro_rules! report_cols {
    () => {
        "reference, outage_id, account_no, phone, channel, created_at"
    };
}
macro_rules! interaction_cols {
    () => {
        "channel, gateway, session_id, phone, account_no, language, path, outcome, hops, started_at, updated_at, ended"
    };
}
pub(crate) use {
    account_cols, area_cols, bill_cols, interaction_cols, outage_cols, report_cols, ticket_cols,
};

// ---------------------------------------------------------------------------------------------
// Outage storms: what both stores decide the same way.

/// The earliest `created_at` of an outage ticket that still counts towards a storm when a
/// report is filed `at` (whole seconds, as the stores keep time). A window too large for the
/// calendar counts every ticket since 1970.
pub(crate) fn window_start(at: DateTime<Utc>, window: chrono::Duration) -> DateTime<Utc> {
    at.trunc_subsecs(0)
        .checked_sub_signed(window.max(chrono::Duration::zero()))
        .map(|t| t.max(DateTime::UNIX_EPOCH))
        .unwrap_or(DateTime::UNIX_EPOCH)
        .trunc_subsecs(0)
}

/// How many reports a suspected outage opened now would gather (the `unlinked` window tickets
/// plus the report being filed), or `None` when they are too few, or detection is off.
pub(crate) fn storm_reports(unlinked: i64, policy: &StormPolicy) -> Option<i64> {
    let reports = unlinked.saturating_add(1);
    (policy.threshold > 0 && reports >= policy.threshold).then_some(reports)
}

/// `SUS-<area_code>-<service>-<YYYYMMDDHHMMSS>`; a later `attempt` (the id is held by an
/// earlier suspected outage of the same second, since resolved) appends `-<attempt>`.
pub(crate) fn suspected_outage_id(
    area_code: &str,
    service: &str,
    at: DateTime<Utc>,
    attempt: u32,
) -> String {
    let id = format!("SUS-{area_code}-{service}-{}", at.format("%Y%m%d%H%M%S"));
    if attempt > 1 {
        format!("{id}-{attempt}")
    } else {
        id
    }
}

pub(crate) fn suspected_cause(reports: i64) -> String {
    format!("suspected: {reports} reports by phone")
}

/// The `outage` ticket a report becomes when no outage is known or suspected.
pub(crate) fn outage_ticket(filing: &NewOutageFiling) -> NewTicket {
    NewTicket {
        origin_key: filing.origin_key.clone(),
        account_no: filing.account_no.clone(),
        phone: filing.phone.clone(),
        category: "outage".to_string(),
        channel: filing.channel.clone(),
        created_at: filing.created_at,
        sla_due_at: filing.sla_due_at,
        note: filing.note.clone(),
    }
}

/// 64-bit FNV-1a: stable across processes, versions and machines (unlike `DefaultHasher`).
pub(crate) fn fnv1a_64(bytes: &[u8]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes
        .iter()
        .fold(OFFSET, |h, &b| (h ^ u64::from(b)).wrapping_mul(PRIME))
}

/// The key of the lock that serialises outage filings of one area and service across every
/// instance sharing a database. 0xFF never occurs in UTF-8, so no two pairs share their bytes.
pub(crate) fn storm_lock_key(area_code: &str, service: &str) -> i64 {
    let mut bytes = b"dalal:outage-storm:".to_vec();
    bytes.extend_from_slice(area_code.as_bytes());
    bytes.push(0xFF);
    bytes.extend_from_slice(service.as_bytes());
    fnv1a_64(&bytes) as i64
}

#[derive(sqlx::FromRow)]
pub(crate) struct AreaRow {
    area_code: String,
    name: String,
    region: String,
    country: String,
    currency: String,
    languages: String,
}

impl From<AreaRow> for Area {
    fn from(r: AreaRow) -> Self {
        Area {
            area_code: r.area_code,
            name: r.name,
            region: r.region,
            country: r.country,
            currency: r.currency,
            languages: r.languages.split_whitespace().map(str::to_string).collect(),
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AccountRow {
    account_no: String,
    full_name: String,
    phone: Option<String>,
    alt_phone: Option<String>,
    language: Option<String>,
    service: String,
    meter_no: String,
    area_code: String,
    tariff: String,
    status: String,
}

impl From<AccountRow> for Account {
    fn from(r: AccountRow) -> Self {
        Account {
            account_no: r.account_no,
            full_name: r.full_name,
            phone: r.phone,
            alt_phone: r.alt_phone,
            language: r.language,
            service: r.service,
            meter_no: r.meter_no,
            area_code: r.area_code,
            tariff: r.tariff,
            status: r.status,
        }
    }
}

/// The only row, or `None` when there is none or more than one (an ambiguous lookup).
pub(crate) fn single(mut rows: Vec<AccountRow>) -> Option<Account> {
    if rows.len() == 1 {
        rows.pop().map(Account::from)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_keep_ascii_digits_only() {
        assert_eq!(digits("SNE-100001"), "100001");
        assert_eq!(digits("ab"), "");
        assert_eq!(digits("١٢٣٤5"), "5");
    }

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn fnv1a_is_the_published_function() {
        // Test vectors of the FNV reference implementation.
        assert_eq!(fnv1a_64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a_64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a_64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn storm_lock_keys_are_stable_and_distinct() {
        let key = storm_lock_key("SN-DKR-PKN", "electricity");
        assert_eq!(key, storm_lock_key("SN-DKR-PKN", "electricity"));
        assert_ne!(key, storm_lock_key("SN-DKR-PKN", "water"));
        assert_ne!(key, storm_lock_key("SN-DKR-PK", "Nelectricity"));
        assert_ne!(
            storm_lock_key("a", "bc"),
            storm_lock_key("ab", "c"),
            "the separator keeps pairs apart"
        );
    }

    #[test]
    fn storm_thresholds_and_windows() {
        let policy = StormPolicy {
            threshold: 5,
            window: chrono::Duration::minutes(15),
        };
        assert_eq!(storm_reports(3, &policy), None);
        assert_eq!(storm_reports(4, &policy), Some(5));
        assert_eq!(storm_reports(7, &policy), Some(8));
        let one = StormPolicy {
            threshold: 1,
            ..policy
        };
        assert_eq!(storm_reports(0, &one), Some(1));
        for off in [0, -3] {
            let off = StormPolicy {
                threshold: off,
                ..policy
            };
            assert_eq!(storm_reports(1_000, &off), None);
        }
        assert_eq!(
            window_start(t("2026-11-22T10:00:00.900Z"), policy.window),
            t("2026-11-22T09:45:00Z")
        );
        assert_eq!(
            window_start(t("2026-11-22T10:00:00Z"), chrono::Duration::MAX),
            DateTime::UNIX_EPOCH
        );
        assert_eq!(
            window_start(t("2026-11-22T10:00:00Z"), -chrono::Duration::minutes(5)),
            t("2026-11-22T10:00:00Z")
        );
        assert_eq!(
            suspected_outage_id("SN-DKR-PKN", "water", t("2026-11-22T10:04:05Z"), 1),
            "SUS-SN-DKR-PKN-water-20261122100405"
        );
        assert_eq!(
            suspected_outage_id("SN-DKR-PKN", "water", t("2026-11-22T10:04:05Z"), 2),
            "SUS-SN-DKR-PKN-water-20261122100405-2"
        );
        assert_eq!(suspected_cause(5), "suspected: 5 reports by phone");
    }
}
