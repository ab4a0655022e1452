//! Values the engine carries between screens. Typed, so each channel renders them its own way
//! (a USSD page prints `12 500 FCFA`; a voice prompt speaks it from recorded pieces).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::text::format;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", content = "v")]
pub enum Value {
    Text(String),
    Number(i64),
    Money {
        minor: i64,
        currency: String,
    },
    Date(NaiveDate),
    /// A moment, shown on the clock of `zone`: an IANA zone name (the area's), or an ISO
    /// country code for its main zone (as sessions saved before zones carried it).
    Time {
        at: DateTime<Utc>,
        #[serde(alias = "country")]
        zone: String,
    },
    /// A billing month: shown `MM/YYYY`, spoken as the month's name and the year.
    Period {
        year: i32,
        month: u32,
    },
    /// A ticket or report reference: spoken character by character, never as a number.
    Reference(String),
}

impl Value {
    pub fn text(s: impl Into<String>) -> Value {
        Value::Text(s.into())
    }

    /// How the value reads on a screen in `lang`.
    pub fn display(&self, lang: &str) -> String {
        match self {
            Value::Text(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Money { minor, currency } => format::money(*minor, currency, lang),
            Value::Date(d) => format::date(*d),
            Value::Time { at, zone } => format::datetime(*at, format::zone(zone)),
            Value::Period { year, month } => format::period(*year, *month),
            Value::Reference(r) => r.clone(),
        }
    }

    /// The value when it is words the caller typed or an action found (a reference too, as
    /// a list's chosen `id` may be one).
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(s) | Value::Reference(s) => Some(s),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_values_keep_the_tagged_json_shape_sessions_are_stored_in() {
        let period = Value::Period {
            year: 2026,
            month: 10,
        };
        let json = serde_json::to_string(&period).unwrap();
        assert_eq!(json, r#"{"t":"Period","v":{"year":2026,"month":10}}"#);
        assert_eq!(serde_json::from_str::<Value>(&json).unwrap(), period);
        let reference = Value::Reference("RC26110000017".into());
        let json = serde_json::to_string(&reference).unwrap();
        assert_eq!(json, r#"{"t":"Reference","v":"RC26110000017"}"#);
        // A session saved before periods were typed still loads.
        let old: Value = serde_json::from_str(r#"{"t":"Text","v":"10/2026"}"#).unwrap();
        assert_eq!(old, Value::text("10/2026"));
    }

    #[test]
    fn periods_and_references_display_as_before() {
        let period = Value::Period {
            year: 2026,
            month: 3,
        };
        assert_eq!(period.display("fr"), "03/2026");
        let reference = Value::Reference("RC26110000017".into());
        assert_eq!(reference.display("en"), "RC26110000017");
        assert_eq!(reference.as_text(), Some("RC26110000017"));
        assert_eq!(period.as_text(), None);
    }
}
