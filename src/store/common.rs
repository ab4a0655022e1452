//! What the SQL CRM stores share: column lists, keypad-lookup rules and the keys of the
//! advisory locks.

/// A typed number must have at least this many digits to be matched by its digits alone.
pub(crate) const MIN_LOOKUP_DIGITS: usize = 4;

/// Tables every SQL store may count (each store may add its own).
pub(crate) const COUNTABLE: [&str; 14] = [
    "vends",
    "meter_readings",
    "areas",
    "customers",
    "phone_languages",
    "bills",
    "outages",
    "tickets",
    "ticket_events",
    "outage_reports",
    "callback_tasks",
    "connection_requests",
    "interactions",
    "_sqlx_migrations",
];

/// The digits of an account or meter number, as stored for keypad lookup.
pub(crate) fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

macro_rules! area_cols {
    () => {
        "area_code, name, region, country, currency, languages, timezone"
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
/// `select!(ticket_cols, "FROM tickets WHERE ...")`: a statement reading the columns of a
/// `*_cols!` list (in its order, as its row's `FromRow` reads them), then the rest of its text.
macro_rules! select {
    ($cols:ident, $($rest:expr),+ $(,)?) => {
        concat!("SELECT ", $cols!(), " ", $($rest),+)
    };
}
pub(crate) use {
    account_cols, area_cols, bill_cols, interaction_cols, outage_cols, report_cols, select,
    ticket_cols,
};

/// 64-bit FNV-1a: stable across processes, versions and machines (unlike `DefaultHasher`).
pub(crate) fn fnv1a_64(bytes: &[u8]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes
        .iter()
        .fold(OFFSET, |h, &b| (h ^ u64::from(b)).wrapping_mul(PRIME))
}

/// The key of an advisory lock: the FNV-1a hash of `prefix` then `parts` separated by 0xFF,
/// which never occurs in UTF-8 (so no two lists of parts share their bytes). The same bytes
/// on every instance and version: instances sharing a database must agree on each key.
fn lock_key(prefix: &str, parts: &[&str]) -> i64 {
    let mut bytes = prefix.as_bytes().to_vec();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            bytes.push(0xFF);
        }
        bytes.extend_from_slice(part.as_bytes());
    }
    fnv1a_64(&bytes) as i64
}

/// The key of the lock that serialises outage filings of one area and service across every
/// instance sharing a database.
pub(crate) fn storm_lock_key(area_code: &str, service: &str) -> i64 {
    lock_key("dalal:outage-storm:", &[area_code, service])
}

/// The key of the lock that serialises outage filings under one `origin_key` across every
/// instance sharing a database (whatever area and service each names). Its prefix keeps it
/// apart from the [`storm_lock_key`]s.
pub(crate) fn origin_lock_key(origin_key: &str) -> i64 {
    lock_key("dalal:outage-filing:", &[origin_key])
}

/// The key of the lock that serialises complaints of one account and category across every
/// instance sharing a database (one pending ticket per account and category).
pub(crate) fn complaint_lock_key(account_no: &str, category: &str) -> i64 {
    lock_key("dalal:complaint:", &[account_no, category])
}

/// The key of the lock that serialises connection requests of one area and service across
/// every instance sharing a database (one pending request per phone or account, service and
/// area).
pub(crate) fn connection_lock_key(area_code: &str, service: &str) -> i64 {
    lock_key("dalal:connection:", &[area_code, service])
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

    #[test]
    fn fnv1a_is_the_published_function() {
        // Test vectors of the FNV reference implementation.
        assert_eq!(fnv1a_64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a_64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a_64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn lock_keys_hash_the_prefix_then_the_parts_between_separators() {
        let bytes = |parts: &[&[u8]]| fnv1a_64(&parts.concat()) as i64;
        assert_eq!(
            storm_lock_key("SN-DKR-PKN", "water"),
            bytes(&[b"dalal:outage-storm:SN-DKR-PKN", &[0xFF], b"water"])
        );
        assert_eq!(
            origin_lock_key("at:1:report"),
            bytes(&[b"dalal:outage-filing:at:1:report"])
        );
        assert_eq!(
            complaint_lock_key("SNE100001", "billing"),
            bytes(&[b"dalal:complaint:SNE100001", &[0xFF], b"billing"])
        );
        assert_eq!(
            connection_lock_key("SN-DKR-MED", "water"),
            bytes(&[b"dalal:connection:SN-DKR-MED", &[0xFF], b"water"])
        );
    }

    /// A key of two parts is stable, changes with its second part, and the separator keeps
    /// pairs apart.
    fn assert_pair_key(key: fn(&str, &str) -> i64, first: &str, second: &str, other: &str) {
        assert_eq!(key(first, second), key(first, second));
        assert_ne!(key(first, second), key(first, other));
        assert_ne!(
            key("a", "bc"),
            key("ab", "c"),
            "the separator keeps pairs apart"
        );
    }

    #[test]
    fn storm_lock_keys_are_stable_and_distinct() {
        assert_pair_key(storm_lock_key, "SN-DKR-PKN", "electricity", "water");
        assert_ne!(
            storm_lock_key("SN-DKR-PKN", "electricity"),
            storm_lock_key("SN-DKR-PK", "Nelectricity")
        );
    }

    #[test]
    fn origin_lock_keys_are_stable_and_apart_from_storm_keys() {
        let key = origin_lock_key("africastalking:ATUid_1:report");
        assert_eq!(key, origin_lock_key("africastalking:ATUid_1:report"));
        assert_ne!(key, origin_lock_key("africastalking:ATUid_2:report"));
        assert_ne!(origin_lock_key("a"), storm_lock_key("a", ""));
    }

    #[test]
    fn connection_lock_keys_are_stable_and_apart_from_the_others() {
        assert_pair_key(connection_lock_key, "SN-DKR-MED", "water", "electricity");
        assert_ne!(
            connection_lock_key("SN-DKR-MED", "water"),
            storm_lock_key("SN-DKR-MED", "water")
        );
    }
}
