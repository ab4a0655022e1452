//! How many SMS a text costs: GSM-7 fits 160 septets in one message and 153 per part of a
//! longer one (the rest carries the concatenation header); UCS-2, 70 characters and 67.

use crate::text::gsm7::{self, Encoding};

/// A text's encoding and the number of messages it is sent as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    pub encoding: Encoding,
    /// Septets (GSM-7) or UTF-16 code units (UCS-2).
    pub units: usize,
    pub segments: usize,
}

pub fn count(text: &str) -> Count {
    let (encoding, units) = gsm7::cost(text);
    let (single, part) = match encoding {
        Encoding::Gsm7 => (160, 153),
        Encoding::Ucs2 => (70, 67),
    };
    let segments = match units {
        0 => 1,
        n if n <= single => 1,
        n => n.div_ceil(part),
    };
    Count {
        encoding,
        units,
        segments,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_counted_in_segments() {
        let cases: &[(&str, String, Encoding, usize)] = &[
            ("empty", String::new(), Encoding::Gsm7, 1),
            ("one GSM-7 message", "a".repeat(160), Encoding::Gsm7, 1),
            ("two GSM-7 parts", "a".repeat(161), Encoding::Gsm7, 2),
            ("exactly two parts", "a".repeat(306), Encoding::Gsm7, 2),
            ("three parts", "a".repeat(307), Encoding::Gsm7, 3),
            (
                "an extension character costs two",
                "€".repeat(80),
                Encoding::Gsm7,
                1,
            ),
            ("and tips over", "€".repeat(81), Encoding::Gsm7, 2),
            ("one UCS-2 message", "ŋ".repeat(70), Encoding::Ucs2, 1),
            ("two UCS-2 parts", "ŋ".repeat(71), Encoding::Ucs2, 2),
            ("three UCS-2 parts", "ŋ".repeat(135), Encoding::Ucs2, 3),
        ];
        for (label, text, encoding, segments) in cases {
            let counted = count(text);
            assert_eq!(
                (counted.encoding, counted.segments),
                (*encoding, *segments),
                "{label}"
            );
        }
    }
}
