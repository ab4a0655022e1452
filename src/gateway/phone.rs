//! Phone numbers as gateways send them, made E.164: `+233244123456`, `233244123456`,
//! `00233244123456` and, given the network's country, the national `0244123456`.

use std::fmt;

/// A country calling code (`233`), from an ISO code (`GH`) or the digits themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallingCode(u16);

/// Calling codes of the countries dalal is deployed in or near (ISO 3166 alpha-2).
const COUNTRIES: &[(&str, u16)] = &[
    ("BF", 226),
    ("BJ", 229),
    ("BI", 257),
    ("CD", 243),
    ("CG", 242),
    ("CI", 225),
    ("CM", 237),
    ("EG", 20),
    ("ET", 251),
    ("GA", 241),
    ("GB", 44),
    ("GH", 233),
    ("GM", 220),
    ("GN", 224),
    ("KE", 254),
    ("LR", 231),
    ("MA", 212),
    ("MG", 261),
    ("ML", 223),
    ("MR", 222),
    ("MW", 265),
    ("MZ", 258),
    ("NE", 227),
    ("NG", 234),
    ("RW", 250),
    ("SL", 232),
    ("SN", 221),
    ("SS", 211),
    ("TD", 235),
    ("TG", 228),
    ("TN", 216),
    ("TZ", 255),
    ("UG", 256),
    ("ZA", 27),
    ("ZM", 260),
    ("ZW", 263),
];

impl CallingCode {
    pub const GHANA: CallingCode = CallingCode(233);
    pub const KENYA: CallingCode = CallingCode(254);

    /// `GH`, `gh`, `233` or `+233`.
    pub fn parse(text: &str) -> Result<CallingCode, String> {
        let text = text.trim();
        let digits = text.strip_prefix('+').unwrap_or(text);
        if !digits.is_empty() && digits.len() <= 3 && digits.bytes().all(|b| b.is_ascii_digit()) {
            return match digits.parse::<u16>() {
                Ok(code) if code > 0 && !digits.starts_with('0') => Ok(CallingCode(code)),
                _ => Err(format!("'{text}' is not a calling code")),
            };
        }
        COUNTRIES
            .iter()
            .find(|(iso, _)| iso.eq_ignore_ascii_case(text))
            .map(|&(_, code)| CallingCode(code))
            .ok_or_else(|| {
                format!("'{text}' is not a known country (an ISO code like GH, or a calling code like 233)")
            })
    }
}

impl fmt::Display for CallingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "+{}", self.0)
    }
}

/// A phone number in E.164 (`+` and 8 to 15 digits, no leading zero), whatever form the
/// gateway sent: with or without `+`, with `00`, with spaces or dashes between digit groups,
/// or national (`0244123456`) when the network's `country` is known. `None` when it is none
/// of those.
pub fn normalize_msisdn(raw: &str, country: Option<CallingCode>) -> Option<String> {
    // A literal `+` in a form body decodes to a space: trimming keeps the number.
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > 32 {
        return None;
    }
    let (plus, rest) = match raw.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, raw),
    };
    let mut digits = String::with_capacity(rest.len());
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' => {}
            _ => return None,
        }
    }
    let international = if plus {
        digits
    } else if let Some(after) = digits.strip_prefix("00") {
        after.to_string()
    } else if let Some(national) = digits.strip_prefix('0') {
        format!("{}{national}", country?.0)
    } else {
        digits
    };
    let valid = (8..=15).contains(&international.len()) && !international.starts_with('0');
    valid.then(|| format!("+{international}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_every_form_become_e164() {
        let gh = Some(CallingCode::GHANA);
        let cases: &[(&str, &str, Option<CallingCode>, Option<&str>)] = &[
            (
                "international with +",
                "+233244123456",
                None,
                Some("+233244123456"),
            ),
            (
                "international without +",
                "233244123456",
                None,
                Some("+233244123456"),
            ),
            (
                "a form's + decoded to a space",
                " 254711000000",
                None,
                Some("+254711000000"),
            ),
            ("00 prefix", "00233244123456", None, Some("+233244123456")),
            (
                "national, country known",
                "0244123456",
                gh,
                Some("+233244123456"),
            ),
            ("national, country unknown", "0244123456", None, None),
            (
                "spaces between groups",
                "+221 77 000 00 00",
                None,
                Some("+221770000000"),
            ),
            (
                "dashes between groups",
                "233-24-412-3456",
                None,
                Some("+233244123456"),
            ),
            (
                "country code given, number international",
                "+254711000000",
                gh,
                Some("+254711000000"),
            ),
            ("empty", "", gh, None),
            ("plus alone", "+", None, None),
            ("too long", "+2547110000001234", None, None),
            ("a letter", "+25471100000a", None, None),
            ("too short", "12345", None, None),
            ("national too short", "01", gh, None),
            ("00 then 0", "000233244123456", None, None),
        ];
        for (label, raw, country, expected) in cases {
            assert_eq!(
                normalize_msisdn(raw, *country).as_deref(),
                *expected,
                "{label}: {raw}"
            );
        }
    }

    #[test]
    fn countries_by_iso_code_or_calling_code() {
        assert_eq!(CallingCode::parse("GH"), Ok(CallingCode::GHANA));
        assert_eq!(CallingCode::parse("gh"), Ok(CallingCode::GHANA));
        assert_eq!(CallingCode::parse("+233"), Ok(CallingCode::GHANA));
        assert_eq!(CallingCode::parse("254"), Ok(CallingCode::KENYA));
        assert_eq!(CallingCode::parse("CI"), Ok(CallingCode(225)));
        assert!(CallingCode::parse("XX").is_err());
        assert!(CallingCode::parse("0").is_err());
        assert!(CallingCode::parse("2333").is_err());
        assert_eq!(CallingCode::GHANA.to_string(), "+233");
    }
}
