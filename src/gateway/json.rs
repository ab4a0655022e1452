//! JSON bodies, read strictly: one object, each field checked for its type and size, every
//! error naming the field (answered `400` with that one line).

use serde_json::{Map, Value};

use super::GatewayError;

/// Longest text field accepted (a USSD page is 182 characters; ids and states are short).
pub const MAX_TEXT_CHARS: usize = 1024;

/// The top-level object of a JSON body.
#[derive(Debug)]
pub struct JsonBody {
    fields: Map<String, Value>,
}

impl JsonBody {
    pub fn parse(body: &[u8]) -> Result<JsonBody, GatewayError> {
        if std::str::from_utf8(body).is_err() {
            return Err(GatewayError::NotUtf8("<body>".into()));
        }
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(fields)) => Ok(JsonBody { fields }),
            Ok(_) => Err(GatewayError::NotJson("expected a JSON object".into())),
            Err(e) => Err(GatewayError::NotJson(e.to_string())),
        }
    }

    /// A field's value; JSON `null` counts as absent.
    fn value(&self, name: &str) -> Option<&Value> {
        self.fields.get(name).filter(|v| !v.is_null())
    }

    /// A text field. Numbers are accepted as their digits (aggregators send ids and phone
    /// numbers either way).
    pub fn text(&self, name: &'static str) -> Result<Option<String>, GatewayError> {
        let text = match self.value(name) {
            None => return Ok(None),
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            Some(_) => return Err(malformed(name, "expected a string")),
        };
        if text.chars().count() > MAX_TEXT_CHARS {
            return Err(malformed(
                name,
                &format!("longer than {MAX_TEXT_CHARS} characters"),
            ));
        }
        Ok(Some(text))
    }

    pub fn require_text(&self, name: &'static str) -> Result<String, GatewayError> {
        self.text(name)?.ok_or(GatewayError::Missing(name))
    }

    /// A required text field that must also hold something besides spaces.
    pub fn require_non_empty(&self, name: &'static str) -> Result<String, GatewayError> {
        let text = self.require_text(name)?;
        if text.trim().is_empty() {
            return Err(malformed(name, "empty"));
        }
        Ok(text)
    }

    /// A boolean: `true`/`false`, or the same as a string (some gateways quote them).
    pub fn flag(&self, name: &'static str) -> Result<Option<bool>, GatewayError> {
        match self.value(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(_) => Err(malformed(name, "expected true or false")),
        }
    }

    pub fn require_flag(&self, name: &'static str) -> Result<bool, GatewayError> {
        self.flag(name)?.ok_or(GatewayError::Missing(name))
    }

    /// An integer: a JSON number, or digits in a string.
    pub fn integer(&self, name: &'static str) -> Result<Option<i64>, GatewayError> {
        match self.value(name) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| malformed(name, "not an integer")),
            Some(Value::String(s)) => s
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| malformed(name, "not an integer")),
            Some(_) => Err(malformed(name, "expected an integer")),
        }
    }

    pub fn require_integer(&self, name: &'static str) -> Result<i64, GatewayError> {
        self.integer(name)?.ok_or(GatewayError::Missing(name))
    }
}

fn malformed(field: &'static str, reason: &str) -> GatewayError {
    GatewayError::Malformed {
        field,
        reason: reason.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_read_by_type_and_errors_name_them() {
        let body =
            JsonBody::parse(br#"{"a":"x","n":12,"b":true,"q":"false","s":"7","z":null,"o":{}}"#)
                .unwrap();
        assert_eq!(body.text("a"), Ok(Some("x".into())));
        assert_eq!(body.text("n"), Ok(Some("12".into())));
        assert_eq!(body.text("z"), Ok(None));
        assert_eq!(body.require_text("z"), Err(GatewayError::Missing("z")));
        assert_eq!(body.flag("b"), Ok(Some(true)));
        assert_eq!(body.flag("q"), Ok(Some(false)));
        assert_eq!(body.integer("s"), Ok(Some(7)));
        assert_eq!(body.integer("n"), Ok(Some(12)));
        assert!(matches!(
            body.text("o"),
            Err(GatewayError::Malformed { field: "o", .. })
        ));
        assert!(matches!(
            body.flag("a"),
            Err(GatewayError::Malformed { field: "a", .. })
        ));
        assert!(matches!(
            body.integer("a"),
            Err(GatewayError::Malformed { field: "a", .. })
        ));
    }

    #[test]
    fn bodies_that_are_not_one_json_object_are_refused() {
        assert!(matches!(
            JsonBody::parse(b"[1]"),
            Err(GatewayError::NotJson(_))
        ));
        assert!(matches!(
            JsonBody::parse(b"{"),
            Err(GatewayError::NotJson(_))
        ));
        assert!(matches!(
            JsonBody::parse(b""),
            Err(GatewayError::NotJson(_))
        ));
        assert!(matches!(
            JsonBody::parse(b"{\"a\":\"\xC3\x28\"}"),
            Err(GatewayError::NotUtf8(_))
        ));
        let huge = format!("{{\"a\":\"{}\"}}", "x".repeat(MAX_TEXT_CHARS + 1));
        assert!(matches!(
            JsonBody::parse(huge.as_bytes()).unwrap().text("a"),
            Err(GatewayError::Malformed { field: "a", .. })
        ));
    }
}
