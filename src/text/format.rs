//! Amounts, dates and times as a caller expects them in their language. Only plain spaces are
//! used as separators: the narrow no-break space CLDR prefers is not GSM-7.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

/// Digits in the currency's minor unit (ISO 4217 exponent).
pub fn minor_digits(currency: &str) -> u32 {
    match currency {
        "XOF" | "XAF" | "GNF" | "RWF" | "UGX" | "BIF" | "DJF" | "KMF" => 0,
        _ => 2,
    }
}

struct NumberStyle {
    group: &'static str,
    decimal: &'static str,
}

fn number_style(lang: &str) -> NumberStyle {
    match lang {
        "en" | "sw" => NumberStyle {
            group: ",",
            decimal: ".",
        },
        _ => NumberStyle {
            group: " ",
            decimal: ",",
        },
    }
}

fn group_thousands(mut n: u64, sep: &str) -> String {
    let mut groups = Vec::new();
    loop {
        if n < 1000 {
            groups.push(n.to_string());
            break;
        }
        groups.push(format!("{:03}", n % 1000));
        n /= 1000;
    }
    groups.reverse();
    groups.join(sep)
}

/// `12 500 FCFA` (fr, wo), `12,500 FCFA` (en), `KSh 1,250.50` (en, sw), `1 250,50 KSh` (fr).
pub fn money(amount_minor: i64, currency: &str, lang: &str) -> String {
    let style = number_style(lang);
    let exponent = minor_digits(currency);
    let scale = 10u64.pow(exponent);
    let magnitude = amount_minor.unsigned_abs();
    let mut number = group_thousands(magnitude / scale, style.group);
    if exponent > 0 {
        number = format!(
            "{number}{}{:0width$}",
            style.decimal,
            magnitude % scale,
            width = exponent as usize
        );
    }
    if amount_minor < 0 {
        number = format!("-{number}");
    }
    let prefix_style = matches!(lang, "en" | "sw");
    match currency {
        "XOF" | "XAF" => format!("{number} FCFA"),
        "KES" if prefix_style => format!("KSh {number}"),
        "KES" => format!("{number} KSh"),
        other if prefix_style => format!("{other} {number}"),
        other => format!("{number} {other}"),
    }
}

/// Day/month/year, the order every shipped locale reads.
pub fn date(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// A billing period as shown: `MM/YYYY`.
pub fn period(year: i32, month: u32) -> String {
    format!("{month:02}/{year}")
}

/// A billing period as stored, `YYYY-MM`, into (year, month).
pub fn parse_period(stored: &str) -> Option<(i32, u32)> {
    let (year, month) = stored.split_once('-')?;
    let well_formed = year.len() == 4 && month.len() == 2;
    let (year, month) = (year.parse().ok()?, month.parse().ok()?);
    (well_formed && (1..=12).contains(&month)).then_some((year, month))
}

/// The fixed UTC offset of a country, for showing times as the caller's clock reads them.
pub fn country_offset(country: &str) -> FixedOffset {
    let hours = match country {
        "KE" | "TZ" | "UG" | "ET" | "SO" => 3,
        "NG" | "CM" | "CD" | "BJ" | "NE" | "TD" | "GA" | "CG" => 1,
        "ZA" | "RW" | "BI" | "MW" | "ZM" | "ZW" | "MZ" => 2,
        _ => 0,
    };
    FixedOffset::east_opt(hours * 3600).expect("offset within a day")
}

/// `20/11/2026 13:00` in the area's local time.
pub fn datetime(at: DateTime<Utc>, country: &str) -> String {
    at.with_timezone(&country_offset(country))
        .format("%d/%m/%Y %H:%M")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn xof_has_no_minor_unit_and_plain_spaces() {
        assert_eq!(money(12500, "XOF", "fr"), "12 500 FCFA");
        assert_eq!(money(1234567, "XOF", "wo"), "1 234 567 FCFA");
        assert_eq!(money(500, "XOF", "en"), "500 FCFA");
        assert!(!money(1234567, "XOF", "fr").contains('\u{202f}'));
    }

    #[test]
    fn kes_has_cents() {
        assert_eq!(money(125050, "KES", "en"), "KSh 1,250.50");
        assert_eq!(money(125005, "KES", "sw"), "KSh 1,250.05");
        assert_eq!(money(125050, "KES", "fr"), "1 250,50 KSh");
        assert_eq!(money(7, "KES", "en"), "KSh 0.07");
    }

    #[test]
    fn stored_periods_parse_only_when_well_formed() {
        assert_eq!(parse_period("2026-10"), Some((2026, 10)));
        assert_eq!(parse_period("2027-01"), Some((2027, 1)));
        for bad in [
            "2026-13", "2026-00", "2026-1", "26-10", "2026/10", "", "abcd-ef",
        ] {
            assert_eq!(parse_period(bad), None, "{bad}");
        }
    }

    #[test]
    fn times_follow_the_area_clock() {
        let at = Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap();
        assert_eq!(datetime(at, "KE"), "22/11/2026 12:00");
        assert_eq!(datetime(at, "SN"), "22/11/2026 09:00");
        assert_eq!(period(2026, 10), "10/2026");
        assert_eq!(period(2027, 1), "01/2027");
        assert_eq!(
            date(NaiveDate::from_ymd_opt(2026, 11, 2).unwrap()),
            "02/11/2026"
        );
    }
}
