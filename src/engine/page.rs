//! Splitting a screen into pages that fit the channel's budget, never splitting an option.

use crate::text::gsm7::PageBudget;

/// A screen before pagination: text lines, then option or list lines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Screen {
    pub header: Vec<String>,
    pub items: Vec<String>,
}

/// The navigation lines a page may carry, already in the caller's language.
#[derive(Debug, Clone)]
pub struct Nav {
    /// e.g. `98. Suite`
    pub more: String,
    /// e.g. `0. Retour`
    pub back: String,
}

fn footer(nav: &Nav, more: bool, back: bool) -> Vec<&str> {
    let mut lines = Vec::new();
    if more {
        lines.push(nav.more.as_str());
    }
    if back {
        lines.push(nav.back.as_str());
    }
    lines
}

fn join(units: &[String], footer: &[&str]) -> String {
    let mut parts: Vec<&str> = units.iter().map(String::as_str).collect();
    parts.extend_from_slice(footer);
    parts.join("\n")
}

/// Splits a line that cannot fit one page on its own into word-wrapped pieces that do.
fn split_long_line(line: &str, budget: &PageBudget, reserve: &[&str]) -> Vec<String> {
    if budget.fits(&join(&[line.to_string()], reserve)) {
        return vec![line.to_string()];
    }
    let mut pieces = Vec::new();
    let mut current = String::new();
    for word in line.split(' ') {
        let candidate = if current.is_empty() {
            word.to_string()
        } else {
            format!("{current} {word}")
        };
        if !current.is_empty() && !budget.fits(&join(std::slice::from_ref(&candidate), reserve)) {
            pieces.push(std::mem::take(&mut current));
            current = word.to_string();
        } else {
            current = candidate;
        }
    }
    if !current.is_empty() {
        pieces.push(current);
    }
    pieces
}

/// Pages of a screen. `can_go_back` adds the back line to the first page; later pages always
/// have it (back to the previous page). Every page but the last carries the "more" line.
pub fn paginate(screen: &Screen, nav: &Nav, budget: &PageBudget, can_go_back: bool) -> Vec<String> {
    let widest_footer = footer(nav, true, true);
    let mut units: Vec<String> = Vec::new();
    for line in &screen.header {
        units.extend(split_long_line(line, budget, &widest_footer));
    }
    units.extend(screen.items.iter().cloned());

    let mut pages = Vec::new();
    let mut i = 0;
    loop {
        let back = can_go_back || !pages.is_empty();
        let last_footer = footer(nav, false, back);
        let rest = join(&units[i..], &last_footer);
        if budget.fits(&rest) {
            pages.push(rest);
            return pages;
        }
        let more_footer = footer(nav, true, back);
        let mut j = i;
        while j < units.len() && budget.fits(&join(&units[i..=j], &more_footer)) {
            j += 1;
        }
        // A unit that cannot fit even alone still gets its own page rather than looping;
        // `dalal check` reports such screens before they go live.
        let j = j.max(i + 1);
        pages.push(join(&units[i..j], &more_footer));
        if j >= units.len() {
            return pages;
        }
        i = j;
    }
}

/// Pages holding at most `per_page` items each (spoken menus), the text on the first page.
pub fn paginate_choices(
    screen: &Screen,
    nav: &Nav,
    per_page: usize,
    can_go_back: bool,
) -> Vec<String> {
    let chunks: Vec<&[String]> = if screen.items.is_empty() {
        vec![&[]]
    } else {
        screen.items.chunks(per_page.max(1)).collect()
    };
    let last = chunks.len() - 1;
    chunks
        .iter()
        .enumerate()
        .map(|(n, items)| {
            let mut lines: Vec<String> = if n == 0 {
                screen.header.clone()
            } else {
                Vec::new()
            };
            lines.extend(items.iter().cloned());
            let footer = footer(nav, n < last, can_go_back || n > 0);
            join(&lines, &footer)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nav() -> Nav {
        Nav {
            more: "98. Suite".into(),
            back: "0. Retour".into(),
        }
    }

    #[test]
    fn spoken_menus_offer_five_choices_at_a_time() {
        let s = Screen {
            header: vec!["Menu".into()],
            items: (1..=7).map(|i| format!("{i}. x")).collect(),
        };
        let pages = paginate_choices(&s, &nav(), 5, false);
        assert_eq!(pages.len(), 2);
        assert_eq!(pages[0].lines().filter(|l| l.ends_with(". x")).count(), 5);
        assert!(pages[0].contains("98. Suite") && pages[1].contains("0. Retour"));
        assert!(pages[1].contains("7. x") && !pages[1].contains("Menu"));
    }

    #[test]
    fn short_screen_is_one_page() {
        let s = Screen {
            header: vec!["Menu".into()],
            items: vec!["1. Facture".into(), "2. Panne".into()],
        };
        let pages = paginate(&s, &nav(), &PageBudget::USSD, false);
        assert_eq!(pages, vec!["Menu\n1. Facture\n2. Panne".to_string()]);
    }

    #[test]
    fn long_screen_splits_between_options_within_budget() {
        let items: Vec<String> = (1..=20)
            .map(|i| format!("{i}. Option numéro {i} assez longue"))
            .collect();
        let s = Screen {
            header: vec!["Choisissez".into()],
            items: items.clone(),
        };
        let pages = paginate(&s, &nav(), &PageBudget::USSD, true);
        assert!(pages.len() > 1);
        for (n, page) in pages.iter().enumerate() {
            assert!(PageBudget::USSD.fits(page), "page {n} too long: {page}");
            assert!(page.contains("0. Retour"));
            assert_eq!(page.contains("98. Suite"), n + 1 < pages.len());
        }
        // Every option appears whole on exactly one page.
        for item in &items {
            assert_eq!(
                pages
                    .iter()
                    .filter(|p| p.lines().any(|l| l == item))
                    .count(),
                1
            );
        }
    }

    #[test]
    fn ucs2_pages_use_the_smaller_budget() {
        let s = Screen {
            header: vec!["Fête".into()],
            items: (1..=6).map(|i| format!("{i}. Réclamation reçue")).collect(),
        };
        let pages = paginate(&s, &nav(), &PageBudget::USSD, false);
        assert!(pages.len() >= 2);
        for page in &pages {
            assert!(page.encode_utf16().count() <= 80, "{page}");
        }
    }

    #[test]
    fn a_long_paragraph_is_word_wrapped() {
        let s = Screen {
            header: vec!["mot ".repeat(100).trim().to_string()],
            items: vec![],
        };
        let pages = paginate(&s, &nav(), &PageBudget::USSD, false);
        assert!(pages.len() >= 3);
        assert!(pages.iter().all(|p| PageBudget::USSD.fits(p)));
    }
}
