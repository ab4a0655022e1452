//! Finding a place by what a caller typed: part of its name, in any case, with or without its
//! accents (`medina` finds Médina, `THIES` finds Thiès Centre), or its letters as keypad digits
//! (`633` finds Médina: 6 = MNO, 3 = DEF), as a phone without a letter keyboard, and every voice
//! call, types them. Pure.

use unicode_normalization::UnicodeNormalization;

/// `text` lowercased, without accents, its words separated by one space; anything neither a
/// letter nor a digit separates words.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.nfd().flat_map(char::to_lowercase) {
        let replacement: &str = match c {
            // Combining marks (the accents `nfd` split off).
            '\u{300}'..='\u{36f}' => continue,
            'ŋ' => "ng",
            'œ' => "oe",
            'æ' => "ae",
            'ß' => "ss",
            'ø' => "o",
            'đ' | 'ð' => "d",
            'ł' => "l",
            'ı' => "i",
            c if c.is_alphanumeric() => {
                if space && !out.is_empty() {
                    out.push(' ');
                }
                space = false;
                out.push(c);
                continue;
            }
            _ => {
                space = true;
                continue;
            }
        };
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        out.push_str(replacement);
    }
    out
}

/// The key of a phone keypad that types a folded letter (`2` for a, b, c ... `9` for w, x, y,
/// z); a digit is its own key; anything else has none.
fn key(c: char) -> Option<char> {
    Some(match c {
        'a'..='c' => '2',
        'd'..='f' => '3',
        'g'..='i' => '4',
        'j'..='l' => '5',
        'm'..='o' => '6',
        'p'..='s' => '7',
        't'..='v' => '8',
        'w'..='z' => '9',
        '0'..='9' => c,
        _ => return None,
    })
}

/// A folded name as keypad digits, words run together (`thies centre` -> `84437236873`).
pub fn keypad(folded: &str) -> String {
    folded.chars().filter_map(key).collect()
}

/// What a caller's text is compared with: the folded text with its words run together, or,
/// when the caller typed digits only, keypad digits.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Query {
    Letters(String),
    Keys(String),
}

impl Query {
    fn of(typed: &str) -> Option<Query> {
        let folded: String = fold(typed).split(' ').collect();
        if folded.is_empty() {
            None
        } else if folded.chars().all(|c| c.is_ascii_digit()) {
            Some(Query::Keys(folded))
        } else {
            Some(Query::Letters(folded))
        }
    }

    /// How well `name` matches: `Exact`, `Start` (the name, or one of its words, begins with
    /// the query) or `Inside`; `None` when it does not contain it.
    fn rank(&self, name: &str) -> Option<Rank> {
        let folded = fold(name);
        let (query, words): (&str, Vec<String>) = match self {
            Query::Letters(q) => (q, folded.split(' ').map(str::to_string).collect()),
            Query::Keys(q) => (q, folded.split(' ').map(keypad).collect()),
        };
        let whole: String = words.concat();
        if whole == query {
            Some(Rank::Exact)
        } else if (0..words.len()).any(|i| words[i..].concat().starts_with(query)) {
            Some(Rank::Start)
        } else if whole.contains(query) {
            Some(Rank::Inside)
        } else {
            None
        }
    }
}

/// How a name matches what was typed, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Rank {
    Exact,
    Start,
    Inside,
}

/// The candidates whose name matches `typed`, best first (in their given order within a
/// rank): when some name is exactly what was typed (accents, case and spaces aside), only
/// those; else every name containing it, those with a word starting with it first. Nothing
/// for a text with no letter or digit.
pub fn find<'a, T>(typed: &str, candidates: &'a [T], name: impl Fn(&T) -> &str) -> Vec<&'a T> {
    let Some(query) = Query::of(typed) else {
        return Vec::new();
    };
    let mut ranked: Vec<(Rank, &T)> = candidates
        .iter()
        .filter_map(|c| query.rank(name(c)).map(|rank| (rank, c)))
        .collect();
    // Stable: the candidates' own order within a rank.
    ranked.sort_by_key(|(rank, _)| *rank);
    let exact = ranked.first().is_some_and(|(rank, _)| *rank == Rank::Exact);
    ranked
        .into_iter()
        .filter(|(rank, _)| !exact || *rank == Rank::Exact)
        .map(|(_, c)| c)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const AREAS: [&str; 14] = [
        "Boucotte",
        "Bouaké Centre",
        "Cocody",
        "Kibera",
        "Kisumu Central",
        "Médina",
        "Nakuru Central",
        "Ndar",
        "Old Town",
        "Pikine",
        "Plateau",
        "Thiès Centre",
        "Westlands",
        "Yopougon",
    ];

    fn found(typed: &str) -> Vec<&'static str> {
        find(typed, &AREAS, |a| a).into_iter().copied().collect()
    }

    #[test]
    fn folding_drops_case_accents_and_punctuation() {
        assert_eq!(fold("Médina"), "medina");
        assert_eq!(fold("  THIÈS--Centre "), "thies centre");
        assert_eq!(fold("Bouaké"), "bouake");
        assert_eq!(fold("Ŋaaye Mékhé"), "ngaaye mekhe");
        assert_eq!(fold("Cœur d'Or"), "coeur d or");
        assert_eq!(fold("Parcelles Unité 15"), "parcelles unite 15");
        assert_eq!(fold("-*#"), "");
        // Accents typed as separate combining marks fold the same.
        assert_eq!(fold("Me\u{301}dina"), "medina");
    }

    #[test]
    fn names_are_found_whatever_the_case_and_accents() {
        assert_eq!(found("medina"), ["Médina"]);
        assert_eq!(found("MÉDINA"), ["Médina"]);
        assert_eq!(found("Medi"), ["Médina"]);
        assert_eq!(found("thies"), ["Thiès Centre"]);
        assert_eq!(found("thiès centre"), ["Thiès Centre"]);
        assert_eq!(found("thiescentre"), ["Thiès Centre"]);
        assert_eq!(found("bouake"), ["Bouaké Centre"]);
    }

    #[test]
    fn several_matches_come_word_starts_first_in_their_order() {
        assert_eq!(
            found("centr"),
            [
                "Bouaké Centre",
                "Kisumu Central",
                "Nakuru Central",
                "Thiès Centre"
            ]
        );
        assert_eq!(found("central"), ["Kisumu Central", "Nakuru Central"]);
        // Inside words only: in the candidates' order.
        assert_eq!(found("ou"), ["Boucotte", "Bouaké Centre", "Yopougon"]);
        // A word start ranks before a match inside a word, whatever the order given.
        assert_eq!(found("co"), ["Cocody", "Boucotte"]);
    }

    #[test]
    fn an_exact_name_wins_over_longer_names_containing_it() {
        let areas = ["Plateau Nord", "Plateau", "Grand Plateau"];
        let found: Vec<&str> = find("plateau", &areas, |a| a)
            .into_iter()
            .copied()
            .collect();
        assert_eq!(found, ["Plateau"]);
        let found: Vec<&str> = find("platea", &areas, |a| a).into_iter().copied().collect();
        assert_eq!(found, ["Plateau Nord", "Plateau", "Grand Plateau"]);
    }

    #[test]
    fn keypad_digits_spell_the_letters() {
        assert_eq!(keypad("medina"), "633462");
        assert_eq!(keypad("thies centre"), "84437236873");
        assert_eq!(keypad("unite 15"), "8648315");
        assert_eq!(found("633462"), ["Médina"]);
        assert_eq!(found("633"), ["Médina"]);
        // 2368 is `cent`: every centre and central, and nothing else.
        assert_eq!(
            found("2368"),
            [
                "Bouaké Centre",
                "Kisumu Central",
                "Nakuru Central",
                "Thiès Centre"
            ]
        );
        assert_eq!(found("7528"), ["Plateau"]);
    }

    #[test]
    fn nothing_matches_a_missing_name_or_an_empty_text() {
        assert!(found("dakar").is_empty());
        assert!(found("999").is_empty());
        assert!(found("").is_empty());
        assert!(found(" - ").is_empty());
    }
}
