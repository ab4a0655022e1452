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
    /// A moment, shown on the clock of `country`.
    Time {
        at: DateTime<Utc>,
        country: String,
    },
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
            Value::Time { at, country } => format::datetime(*at, country),
        }
    }

    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }
}
