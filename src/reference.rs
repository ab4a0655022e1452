//! Ticket references a caller can type on a keypad: an optional `RC` prefix, then digits only.
//!
//! New references are `RC` + `YYMM` + a 6-digit sequence + one Damm check digit, so any single
//! mistyped digit (and any swap of two neighbouring digits) is detected as a typo instead of being
//! reported as "not found". References imported from the CRM (`RC` + 9 digits) carry no check
//! digit and are looked up as they are.

use chrono::{DateTime, Datelike, Utc};

pub const PREFIX: &str = "RC";

/// Damm's quasigroup of order 10 (totally anti-symmetric), as published by H. Michael Damm.
const DAMM: [[u8; 10]; 10] = [
    [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
    [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
    [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
    [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
    [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
    [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
    [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
    [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
    [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
    [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
];

fn damm_interim(digits: &str) -> u8 {
    digits
        .bytes()
        .fold(0u8, |acc, b| DAMM[acc as usize][(b - b'0') as usize])
}

/// The check digit to append to `digits` (which must be ASCII digits).
pub fn check_digit(digits: &str) -> char {
    (b'0' + damm_interim(digits)) as char
}

/// Length of the digit part of a reference with a check digit (the sequence widens past
/// 999 999 rather than wrapping, so references never repeat).
pub const CHECKED_LEN: usize = 11;
const CHECKED_MAX_LEN: usize = 14;
/// Length of the digit part of a legacy (imported) reference.
pub const LEGACY_LEN: usize = 9;

/// Builds a new reference from the filing time and a sequence number unique in the store.
pub fn new_reference(at: DateTime<Utc>, sequence: u64) -> String {
    let body = format!("{:02}{:02}{sequence:06}", at.year() % 100, at.month());
    format!("{PREFIX}{body}{}", check_digit(&body))
}

/// What a caller typed, once understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Typed {
    /// A well-formed reference, normalised to its stored form (`RC` + digits).
    Reference(String),
    /// Right shape, wrong check digit: a mistyped digit.
    Typo,
    /// Not a reference at all (letters, symbols, wrong length).
    Malformed,
}

/// Reads a reference typed by a caller: `RC2611000017`, `rc2611000017` or `2611000017`.
pub fn parse_typed(input: &str) -> Typed {
    let trimmed = input.trim();
    let digits = match trimmed.get(..2) {
        Some(p) if p.eq_ignore_ascii_case(PREFIX) => &trimmed[2..],
        _ => trimmed,
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Typed::Malformed;
    }
    match digits.len() {
        LEGACY_LEN => Typed::Reference(format!("{PREFIX}{digits}")),
        CHECKED_LEN..=CHECKED_MAX_LEN if damm_interim(digits) == 0 => {
            Typed::Reference(format!("{PREFIX}{digits}"))
        }
        CHECKED_LEN..=CHECKED_MAX_LEN => Typed::Typo,
        _ => Typed::Malformed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn new_reference_validates_and_round_trips() {
        let at = Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap();
        let r = new_reference(at, 17);
        assert!(r.starts_with("RC2611000017"), "{r}");
        assert_eq!(r.len(), 2 + CHECKED_LEN);
        assert_eq!(parse_typed(&r), Typed::Reference(r.clone()));
        assert_eq!(parse_typed(&r[2..]), Typed::Reference(r.clone()));
        assert_eq!(parse_typed(&r.to_lowercase()), Typed::Reference(r.clone()));
    }

    #[test]
    fn every_single_digit_typo_is_detected() {
        let at = Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0).unwrap();
        for seq in [1u64, 42, 999_999, 123_456] {
            let r = new_reference(at, seq);
            let digits: Vec<u8> = r[2..].bytes().collect();
            for i in 0..digits.len() {
                for d in b'0'..=b'9' {
                    if d == digits[i] {
                        continue;
                    }
                    let mut typo = digits.clone();
                    typo[i] = d;
                    let typed = String::from_utf8(typo).unwrap();
                    assert_eq!(parse_typed(&typed), Typed::Typo, "{typed}");
                }
            }
        }
    }

    #[test]
    fn neighbour_swaps_are_detected() {
        let at = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        let r = new_reference(at, 305_718);
        let digits: Vec<u8> = r[2..].bytes().collect();
        for i in 0..digits.len() - 1 {
            if digits[i] == digits[i + 1] {
                continue;
            }
            let mut swapped = digits.clone();
            swapped.swap(i, i + 1);
            assert_eq!(
                parse_typed(std::str::from_utf8(&swapped).unwrap()),
                Typed::Typo
            );
        }
    }

    #[test]
    fn the_sequence_widens_instead_of_wrapping() {
        let at = Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap();
        let small = new_reference(at, 1);
        let big = new_reference(at, 1_000_001);
        assert_ne!(small, big);
        assert_eq!(big.len(), 2 + CHECKED_LEN + 1);
        assert_eq!(parse_typed(&big), Typed::Reference(big.clone()));
    }

    #[test]
    fn legacy_and_malformed_inputs() {
        assert_eq!(
            parse_typed("RC261100001"),
            Typed::Reference("RC261100001".into())
        );
        assert_eq!(
            parse_typed("261100001"),
            Typed::Reference("RC261100001".into())
        );
        for bad in [
            "",
            "RC",
            "12",
            "1' OR '1'='1",
            "RC26110000a",
            "2611000011",
            "261100001123456",
        ] {
            assert_eq!(parse_typed(bad), Typed::Malformed, "{bad}");
        }
    }
}
