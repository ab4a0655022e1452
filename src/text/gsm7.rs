//! GSM 03.38 accounting. A USSD page is 160 octets: 182 septets when every character is in the
//! GSM 7-bit alphabet (extension characters cost two), or 80 UTF-16 units once any character
//! is outside it (the whole page switches to UCS-2).

/// The GSM 03.38 default alphabet (basic table), excluding the escape.
const BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// Characters reached through the escape: two septets each.
const EXTENSION: &str = "^{}\\[~]|€\x0c";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Gsm7,
    Ucs2,
}

/// Page limits for one USSD screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageBudget {
    pub gsm7_septets: usize,
    pub ucs2_units: usize,
}

impl PageBudget {
    pub const USSD: PageBudget = PageBudget {
        gsm7_septets: 182,
        ucs2_units: 80,
    };

    /// Whether `text` fits one page.
    pub fn fits(&self, text: &str) -> bool {
        let (encoding, units) = cost(text);
        units <= self.limit(encoding)
    }

    pub fn limit(&self, encoding: Encoding) -> usize {
        match encoding {
            Encoding::Gsm7 => self.gsm7_septets,
            Encoding::Ucs2 => self.ucs2_units,
        }
    }
}

/// Septets of each ASCII character (0: not in the alphabet): pages are measured at every hop,
/// and almost every character of a screen is ASCII.
const ASCII_SEPTETS: [u8; 128] = ascii_septets();

const fn ascii_septets() -> [u8; 128] {
    let mut table = [0u8; 128];
    // In UTF-8 a byte below 128 is always a whole ASCII character.
    let (basic, extension) = (BASIC.as_bytes(), EXTENSION.as_bytes());
    let mut i = 0;
    while i < basic.len() {
        if basic[i] < 128 {
            table[basic[i] as usize] = 1;
        }
        i += 1;
    }
    let mut i = 0;
    while i < extension.len() {
        if extension[i] < 128 {
            table[extension[i] as usize] = 2;
        }
        i += 1;
    }
    table
}

fn septets_of(c: char) -> Option<usize> {
    if c.is_ascii() {
        match ASCII_SEPTETS[c as usize] {
            0 => None,
            n => Some(usize::from(n)),
        }
    } else if BASIC.contains(c) {
        Some(1)
    } else if EXTENSION.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// Septets needed in GSM-7, or `None` when some character is outside the alphabet.
pub fn septets(text: &str) -> Option<usize> {
    text.chars().map(septets_of).sum()
}

pub fn encoding(text: &str) -> Encoding {
    if septets(text).is_some() {
        Encoding::Gsm7
    } else {
        Encoding::Ucs2
    }
}

/// The encoding a page needs and its length in that encoding's units.
pub fn cost(text: &str) -> (Encoding, usize) {
    match septets(text) {
        Some(n) => (Encoding::Gsm7, n),
        None => (Encoding::Ucs2, text.encode_utf16().count()),
    }
}

/// Replaces characters outside GSM-7 by their closest GSM-7 spelling, so a page keeps the
/// 182-septet budget (a per-deployment choice: `ê` becomes `e`, `ŋ` becomes `ng`).
pub fn transliterate(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if septets_of(c).is_some() {
            out.push(c);
            continue;
        }
        let replacement: &str = match c {
            'à' | 'á' | 'â' | 'ã' => "a",
            'À' | 'Á' | 'Â' | 'Ã' => "A",
            'ç' => "c",
            'ê' | 'ë' | 'ē' => "e",
            'È' | 'Ê' | 'Ë' => "E",
            'í' | 'î' | 'ï' => "i",
            'Ì' | 'Í' | 'Î' | 'Ï' => "I",
            'ó' | 'ô' | 'õ' => "o",
            'Ò' | 'Ó' | 'Ô' | 'Õ' => "O",
            'ú' | 'û' => "u",
            'Ù' | 'Ú' | 'Û' => "U",
            'ý' | 'ÿ' => "y",
            'œ' => "oe",
            'Œ' => "OE",
            'ŋ' => "ng",
            'Ŋ' => "NG",
            '’' | '‘' | 'ʼ' => "'",
            '“' | '”' | '«' | '»' => "\"",
            '–' | '—' => "-",
            '…' => "...",
            '\u{a0}' | '\u{202f}' | '\u{2009}' => " ",
            '\u{2068}' | '\u{2069}' => "",
            _ => "?",
        };
        out.push_str(replacement);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ascii_table_agrees_with_the_alphabet() {
        for byte in 0u8..128 {
            let c = char::from(byte);
            let expected = if BASIC.contains(c) {
                Some(1)
            } else if EXTENSION.contains(c) {
                Some(2)
            } else {
                None
            };
            assert_eq!(septets_of(c), expected, "{c:?}");
        }
    }

    #[test]
    fn french_accents_in_and_out_of_gsm7() {
        for c in "àéèùìòÇÉñÑäöü".chars() {
            assert!(septets(&c.to_string()).is_some(), "{c} is GSM-7");
        }
        for c in "êâôîûçïœëóŋ".chars() {
            assert!(septets(&c.to_string()).is_none(), "{c} is not GSM-7");
        }
    }

    #[test]
    fn extension_characters_cost_two() {
        assert_eq!(septets("a€"), Some(3));
        assert_eq!(septets("[x]"), Some(5));
    }

    #[test]
    fn budgets_switch_with_encoding() {
        let b = PageBudget::USSD;
        assert!(b.fits(&"a".repeat(182)));
        assert!(!b.fits(&"a".repeat(183)));
        assert!(b.fits(&"ê".repeat(80)));
        assert!(!b.fits(&format!("{}ê", "a".repeat(80))));
        assert!(!b.fits(&"€".repeat(92)));
    }

    #[test]
    fn transliteration_lands_in_gsm7() {
        let t = transliterate("Fête, reçu, ŋ, Côte d’Ivoire, fëgg");
        assert_eq!(t, "Fete, recu, ng, Cote d'Ivoire, fegg");
        assert_eq!(encoding(&t), Encoding::Gsm7);
        assert_eq!(transliterate("Thiès"), "Thiès");
    }
}
