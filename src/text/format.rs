//! Amounts, dates and times as a caller expects them in their language. Only plain spaces are
//! used as separators: the narrow no-break space CLDR prefers is not GSM-7.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

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

/// The main IANA zone of every African country (ISO 3166-1 alpha-2), for areas whose data
/// names no zone of their own. A country spanning several zones (CD) gets its capital's; an
/// area elsewhere says so in `area_zones.csv`.
pub fn country_zone(country: &str) -> Option<Tz> {
    use chrono_tz::{Africa, Atlantic, Indian};
    Some(match country {
        "DZ" => Africa::Algiers,
        "AO" => Africa::Luanda,
        "BJ" => Africa::PortoNovo,
        "BW" => Africa::Gaborone,
        "BF" => Africa::Ouagadougou,
        "BI" => Africa::Bujumbura,
        "CV" => Atlantic::Cape_Verde,
        "CM" => Africa::Douala,
        "CF" => Africa::Bangui,
        "TD" => Africa::Ndjamena,
        "KM" => Indian::Comoro,
        "CG" => Africa::Brazzaville,
        "CD" => Africa::Kinshasa,
        "CI" => Africa::Abidjan,
        "DJ" => Africa::Djibouti,
        "EG" => Africa::Cairo,
        "GQ" => Africa::Malabo,
        "ER" => Africa::Asmara,
        "SZ" => Africa::Mbabane,
        "ET" => Africa::Addis_Ababa,
        "GA" => Africa::Libreville,
        "GM" => Africa::Banjul,
        "GH" => Africa::Accra,
        "GN" => Africa::Conakry,
        "GW" => Africa::Bissau,
        "KE" => Africa::Nairobi,
        "LS" => Africa::Maseru,
        "LR" => Africa::Monrovia,
        "LY" => Africa::Tripoli,
        "MG" => Indian::Antananarivo,
        "MW" => Africa::Blantyre,
        "ML" => Africa::Bamako,
        "MR" => Africa::Nouakchott,
        "MU" => Indian::Mauritius,
        "MA" => Africa::Casablanca,
        "MZ" => Africa::Maputo,
        "NA" => Africa::Windhoek,
        "NE" => Africa::Niamey,
        "NG" => Africa::Lagos,
        "RW" => Africa::Kigali,
        "ST" => Africa::Sao_Tome,
        "SN" => Africa::Dakar,
        "SC" => Indian::Mahe,
        "SL" => Africa::Freetown,
        "SO" => Africa::Mogadishu,
        "ZA" => Africa::Johannesburg,
        "SS" => Africa::Juba,
        "SD" => Africa::Khartoum,
        "TZ" => Africa::Dar_es_Salaam,
        "TG" => Africa::Lome,
        "TN" => Africa::Tunis,
        "UG" => Africa::Kampala,
        "ZM" => Africa::Lusaka,
        "ZW" => Africa::Harare,
        "EH" => Africa::El_Aaiun,
        "RE" => Indian::Reunion,
        "YT" => Indian::Mayotte,
        "SH" => Atlantic::St_Helena,
        _ => return None,
    })
}

/// An IANA zone name (`Africa/Dakar`), `None` when the database has no such zone.
pub fn parse_zone(name: &str) -> Option<Tz> {
    name.parse().ok()
}

/// The zone an area's clock reads: its own zone when its data names one, else its country's,
/// else UTC.
pub fn area_zone(country: &str, timezone: Option<&str>) -> Tz {
    timezone
        .and_then(parse_zone)
        .or_else(|| country_zone(country))
        .unwrap_or(Tz::UTC)
}

/// A zone given either as an IANA name or as an ISO country code (its main zone); UTC when it
/// is neither. What a [`crate::value::Value::Time`] and `[voice] agent_country` carry.
pub fn zone(name_or_country: &str) -> Tz {
    country_zone(name_or_country)
        .or_else(|| parse_zone(name_or_country))
        .unwrap_or(Tz::UTC)
}

/// `20/11/2026 13:00` on the clock of `zone`.
pub fn datetime(at: DateTime<Utc>, zone: Tz) -> String {
    at.with_timezone(&zone).format("%d/%m/%Y %H:%M").to_string()
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
        assert_eq!(datetime(at, zone("KE")), "22/11/2026 12:00");
        assert_eq!(datetime(at, zone("SN")), "22/11/2026 09:00");
        assert_eq!(period(2026, 10), "10/2026");
        assert_eq!(period(2027, 1), "01/2027");
        assert_eq!(
            date(NaiveDate::from_ymd_opt(2026, 11, 2).unwrap()),
            "02/11/2026"
        );
    }

    #[test]
    fn every_country_has_its_main_zone() {
        let at = Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap();
        for (country, name, local) in [
            ("SN", "Africa/Dakar", "09:00"),
            ("CI", "Africa/Abidjan", "09:00"),
            ("GH", "Africa/Accra", "09:00"),
            ("KE", "Africa/Nairobi", "12:00"),
            ("NG", "Africa/Lagos", "10:00"),
            ("MG", "Indian/Antananarivo", "12:00"),
            ("CF", "Africa/Bangui", "10:00"),
            ("CV", "Atlantic/Cape_Verde", "08:00"),
            ("ZA", "Africa/Johannesburg", "11:00"),
        ] {
            let tz = country_zone(country).unwrap();
            assert_eq!(tz.name(), name, "{country}");
            assert_eq!(datetime(at, tz).split(' ').nth(1), Some(local), "{country}");
        }
        assert_eq!(country_zone("FR"), None);
        assert_eq!(area_zone("FR", None), Tz::UTC);
    }

    #[test]
    fn the_area_zone_overrides_the_country() {
        // Lubumbashi reads UTC+2 while Kinshasa, the country's zone, reads UTC+1.
        assert_eq!(area_zone("CD", None).name(), "Africa/Kinshasa");
        assert_eq!(
            area_zone("CD", Some("Africa/Lubumbashi")).name(),
            "Africa/Lubumbashi"
        );
        let at = Utc.with_ymd_and_hms(2026, 11, 22, 23, 30, 0).unwrap();
        assert_eq!(
            datetime(at, area_zone("CD", Some("Africa/Lubumbashi"))),
            "23/11/2026 01:30"
        );
        // A name the database does not know falls back to the country (the import refuses it).
        assert_eq!(
            area_zone("SN", Some("Africa/Atlantis")).name(),
            "Africa/Dakar"
        );
        assert_eq!(parse_zone("Africa/Atlantis"), None);
        // A zone name or a country code, as a `Value::Time` or `agent_country` carries it.
        assert_eq!(zone("Indian/Antananarivo").name(), "Indian/Antananarivo");
        assert_eq!(zone("CV").name(), "Atlantic/Cape_Verde");
        assert_eq!(zone(""), Tz::UTC);
    }
}
