//! Numbers, amounts, dates and codes spoken from recorded pieces, per language.
//!
//! A piece is a prompt id (`num-7`, `num-1000`, `cur-XOF`, `month-11`, `letter-s`, `word-and`)
//! recorded once per language; any amount, date or reference is then a sequence of pieces.
//! Digits are the numbers 0-9 (`num-0` ... `num-9`).

/// Languages whose number words are implemented here.
pub const LANGUAGES: [&str; 4] = ["fr", "wo", "sw", "en"];

/// Number atoms, "and", "hours", month names, currency names.
type LanguageWords = (
    &'static [(u64, &'static str)],
    &'static str,
    &'static str,
    [&'static str; 12],
    &'static [(&'static str, &'static str)],
);

/// The words of every piece in `lang`, for the recording script and the synthesiser.
pub fn words(lang: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut add = |id: String, text: &str| out.push((id, text.to_string()));
    let (atoms, and, hours, months, currencies): LanguageWords = match lang {
        "fr" => (
            &[
                (0, "zéro"),
                (1, "un"),
                (2, "deux"),
                (3, "trois"),
                (4, "quatre"),
                (5, "cinq"),
                (6, "six"),
                (7, "sept"),
                (8, "huit"),
                (9, "neuf"),
                (10, "dix"),
                (11, "onze"),
                (12, "douze"),
                (13, "treize"),
                (14, "quatorze"),
                (15, "quinze"),
                (16, "seize"),
                (20, "vingt"),
                (30, "trente"),
                (40, "quarante"),
                (50, "cinquante"),
                (60, "soixante"),
                (80, "quatre-vingt"),
                (100, "cent"),
                (1000, "mille"),
                (1_000_000, "million"),
            ],
            "et",
            "heures",
            [
                "janvier",
                "février",
                "mars",
                "avril",
                "mai",
                "juin",
                "juillet",
                "août",
                "septembre",
                "octobre",
                "novembre",
                "décembre",
            ],
            &[
                ("XOF", "francs CFA"),
                ("KES", "shillings kényans"),
                ("KES-minor", "centimes"),
            ],
        ),
        "wo" => (
            &[
                (0, "tus"),
                (1, "benn"),
                (2, "ñaar"),
                (3, "ñett"),
                (4, "ñeent"),
                (5, "juróom"),
                (10, "fukk"),
                (100, "téeméer"),
                (1000, "junni"),
                (1_000_000, "tamndareet"),
            ],
            "ak",
            "waxtu",
            [
                "Samwiye",
                "Fewriye",
                "Mars",
                "Awril",
                "Me",
                "Suwe",
                "Sulet",
                "Ut",
                "Sattumbar",
                "Oktoobar",
                "Nowàmbar",
                "Desàmbar",
            ],
            &[
                ("XOF", "franc CFA"),
                ("KES", "shilling"),
                ("KES-minor", "santim"),
            ],
        ),
        "sw" => (
            &[
                (0, "sifuri"),
                (1, "moja"),
                (2, "mbili"),
                (3, "tatu"),
                (4, "nne"),
                (5, "tano"),
                (6, "sita"),
                (7, "saba"),
                (8, "nane"),
                (9, "tisa"),
                (10, "kumi"),
                (20, "ishirini"),
                (30, "thelathini"),
                (40, "arobaini"),
                (50, "hamsini"),
                (60, "sitini"),
                (70, "sabini"),
                (80, "themanini"),
                (90, "tisini"),
                (100, "mia"),
                (1000, "elfu"),
                (1_000_000, "milioni"),
            ],
            "na",
            "saa",
            [
                "Januari", "Februari", "Machi", "Aprili", "Mei", "Juni", "Julai", "Agosti",
                "Septemba", "Oktoba", "Novemba", "Desemba",
            ],
            &[
                ("XOF", "faranga za CFA"),
                ("KES", "shilingi"),
                ("KES-minor", "senti"),
            ],
        ),
        _ => (
            &[
                (0, "zero"),
                (1, "one"),
                (2, "two"),
                (3, "three"),
                (4, "four"),
                (5, "five"),
                (6, "six"),
                (7, "seven"),
                (8, "eight"),
                (9, "nine"),
                (10, "ten"),
                (11, "eleven"),
                (12, "twelve"),
                (13, "thirteen"),
                (14, "fourteen"),
                (15, "fifteen"),
                (16, "sixteen"),
                (17, "seventeen"),
                (18, "eighteen"),
                (19, "nineteen"),
                (20, "twenty"),
                (30, "thirty"),
                (40, "forty"),
                (50, "fifty"),
                (60, "sixty"),
                (70, "seventy"),
                (80, "eighty"),
                (90, "ninety"),
                (100, "hundred"),
                (1000, "thousand"),
                (1_000_000, "million"),
            ],
            "and",
            "hours",
            [
                "January",
                "February",
                "March",
                "April",
                "May",
                "June",
                "July",
                "August",
                "September",
                "October",
                "November",
                "December",
            ],
            &[
                ("XOF", "CFA francs"),
                ("KES", "Kenyan shillings"),
                ("KES-minor", "cents"),
            ],
        ),
    };
    for (n, word) in atoms {
        add(format!("num-{n}"), word);
    }
    add("word-and".into(), and);
    add("word-hours".into(), hours);
    for (i, month) in months.iter().enumerate() {
        add(format!("month-{}", i + 1), month);
    }
    for (code, word) in currencies {
        add(format!("cur-{code}"), word);
    }
    for c in 'a'..='z' {
        add(format!("letter-{c}"), &c.to_ascii_uppercase().to_string());
    }
    out
}

fn num(n: u64) -> String {
    format!("num-{n}")
}

const AND: &str = "word-and";

/// The pieces that speak `n` in `lang` (languages without rules here use English order).
pub fn number(lang: &str, n: u64) -> Vec<String> {
    if n == 0 {
        return vec![num(0)];
    }
    let below_1000 = match lang {
        "fr" => fr_below_1000,
        "sw" => sw_below_1000,
        "wo" => wo_below_1000,
        _ => en_below_1000,
    };
    let mut out = Vec::new();
    let millions = n / 1_000_000;
    let thousands = (n / 1000) % 1000;
    let rest = n % 1000;
    let group = |out: &mut Vec<String>, count: u64, word: u64| {
        if count == 0 {
            return;
        }
        match lang {
            // Swahili puts the multiplier word first: elfu mbili, milioni moja.
            "sw" => {
                out.push(num(word));
                out.extend(below_1000(count));
            }
            // "mille", "junni" alone for one thousand.
            "fr" | "wo" if count == 1 && word == 1000 => out.push(num(word)),
            _ => {
                out.extend(below_1000(count));
                out.push(num(word));
            }
        }
    };
    group(&mut out, millions, 1_000_000);
    group(&mut out, thousands, 1000);
    if rest > 0 {
        if lang == "wo" && !out.is_empty() {
            out.push(AND.into());
        }
        out.extend(below_1000(rest));
    }
    out
}

fn en_below_1000(n: u64) -> Vec<String> {
    let mut out = Vec::new();
    let (h, r) = (n / 100, n % 100);
    if h > 0 {
        out.extend([num(h), num(100)]);
    }
    match r {
        0 => {}
        1..=19 => out.push(num(r)),
        _ => {
            out.push(num(r / 10 * 10));
            if r % 10 > 0 {
                out.push(num(r % 10));
            }
        }
    }
    out
}

fn fr_below_100(n: u64) -> Vec<String> {
    match n {
        0 => vec![],
        1..=16 => vec![num(n)],
        17..=19 => vec![num(10), num(n - 10)],
        20..=69 => {
            let mut out = vec![num(n / 10 * 10)];
            match n % 10 {
                0 => {}
                1 => out.extend([AND.to_string(), num(1)]),
                u => out.push(num(u)),
            }
            out
        }
        71 => vec![num(60), AND.into(), num(11)],
        70..=79 => {
            let mut out = vec![num(60)];
            out.extend(fr_below_100(n - 60));
            out
        }
        _ => {
            let mut out = vec![num(80)];
            out.extend(fr_below_100(n - 80));
            out
        }
    }
}

fn fr_below_1000(n: u64) -> Vec<String> {
    let mut out = Vec::new();
    let (h, r) = (n / 100, n % 100);
    if h > 1 {
        out.push(num(h));
    }
    if h > 0 {
        out.push(num(100));
    }
    out.extend(fr_below_100(r));
    out
}

fn sw_below_100(n: u64) -> Vec<String> {
    match n {
        0 => vec![],
        1..=10 => vec![num(n)],
        _ => {
            let mut out = vec![num(n / 10 * 10)];
            if !n.is_multiple_of(10) {
                out.extend([AND.to_string(), num(n % 10)]);
            }
            out
        }
    }
}

fn sw_below_1000(n: u64) -> Vec<String> {
    let mut out = Vec::new();
    let (h, r) = (n / 100, n % 100);
    if h > 0 {
        out.extend([num(100), num(h)]);
    }
    out.extend(sw_below_100(r));
    out
}

fn wo_below_10(n: u64) -> Vec<String> {
    match n {
        0 => vec![],
        1..=5 => vec![num(n)],
        _ => vec![num(5), num(n - 5)],
    }
}

fn wo_below_1000(n: u64) -> Vec<String> {
    let mut out = Vec::new();
    let (h, t, u) = (n / 100, (n / 10) % 10, n % 10);
    if h > 0 {
        if h > 1 {
            out.extend(wo_below_10(h));
        }
        out.push(num(100));
    }
    if t > 0 {
        if !out.is_empty() {
            out.push(AND.into());
        }
        if t > 1 {
            out.extend(wo_below_10(t));
        }
        out.push(num(10));
    }
    if u > 0 {
        if !out.is_empty() {
            out.push(AND.into());
        }
        out.extend(wo_below_10(u));
    }
    out
}

/// A code (reference, account, phone number) spoken character by character. A digit is
/// the number's own words: Wolof says six as "juróom benn" (five one), so it has no single
/// recording for it.
pub fn spell(lang: &str, code: &str) -> Vec<String> {
    code.chars()
        .flat_map(|c| match c {
            '0'..='9' => number(lang, u64::from(c as u8 - b'0')),
            'a'..='z' | 'A'..='Z' => vec![format!("letter-{}", c.to_ascii_lowercase())],
            _ => vec![],
        })
        .collect()
}

/// The words a sequence of pieces says in `lang`, joined (for TTS and the recording script).
pub fn say(lang: &str, pieces: &[String]) -> String {
    let table = words(lang);
    pieces
        .iter()
        .map(|p| {
            table
                .iter()
                .find(|(id, _)| id == p)
                .map(|(_, w)| w.as_str())
                .unwrap_or(p.as_str())
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words_of(lang: &str, n: u64) -> String {
        say(lang, &number(lang, n))
    }

    #[test]
    fn numbers_per_language() {
        let cases = [
            ("en", 0, "zero"),
            ("en", 66_860, "sixty six thousand eight hundred sixty"),
            ("en", 1_000_019, "one million nineteen"),
            ("fr", 21, "vingt et un"),
            ("fr", 71, "soixante et onze"),
            ("fr", 77, "soixante dix sept"),
            ("fr", 91, "quatre-vingt onze"),
            ("fr", 1000, "mille"),
            ("fr", 66_860, "soixante six mille huit cent soixante"),
            ("fr", 200, "deux cent"),
            ("sw", 12_500, "elfu kumi na mbili mia tano"),
            ("sw", 8968, "elfu nane mia tisa sitini na nane"),
            ("wo", 7, "juróom ñaar"),
            ("wo", 25, "ñaar fukk ak juróom"),
            ("wo", 1500, "junni ak juróom téeméer"),
        ];
        for (lang, n, expected) in cases {
            assert_eq!(words_of(lang, n), expected, "{lang} {n}");
        }
    }

    #[test]
    fn every_piece_used_is_recorded_in_the_tables() {
        for lang in LANGUAGES {
            let ids: Vec<String> = words(lang).into_iter().map(|(id, _)| id).collect();
            for n in (0..1200).chain([12_345, 999_999, 2_000_000, 75_005]) {
                for piece in number(lang, n) {
                    assert!(ids.contains(&piece), "{lang} {n}: {piece}");
                }
            }
            for piece in spell(lang, "RC261196781x") {
                assert!(ids.contains(&piece), "{lang}: {piece}");
            }
        }
    }
}
