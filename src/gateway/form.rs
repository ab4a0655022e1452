//! `application/x-www-form-urlencoded`, decoded strictly: a field that is not UTF-8 is an
//! error naming the field, not a silent U+FFFD.

use std::collections::HashMap;

use percent_encoding::percent_decode;

use super::GatewayError;

/// Decoded fields; a repeated field keeps its first value.
#[derive(Debug, Default)]
pub struct Form {
    fields: HashMap<String, String>,
}

impl Form {
    pub fn parse(body: &[u8]) -> Result<Form, GatewayError> {
        let mut fields = HashMap::new();
        for pair in body.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
            let mut parts = pair.splitn(2, |&b| b == b'=');
            let key = decode(parts.next().unwrap_or_default())
                .map_err(|_| GatewayError::NotUtf8("<name>".into()))?;
            let value = decode(parts.next().unwrap_or_default())
                .map_err(|_| GatewayError::NotUtf8(key.clone()))?;
            fields.entry(key).or_insert(value);
        }
        Ok(Form { fields })
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }

    pub fn require(&self, name: &'static str) -> Result<&str, GatewayError> {
        self.get(name).ok_or(GatewayError::Missing(name))
    }

    /// A required field that must also be non-empty.
    pub fn require_non_empty(&self, name: &'static str) -> Result<&str, GatewayError> {
        match self.require(name)? {
            "" => Err(GatewayError::Malformed {
                field: name,
                reason: "empty".into(),
            }),
            v => Ok(v),
        }
    }

    pub fn optional_i64(&self, name: &'static str) -> Result<Option<i64>, GatewayError> {
        match self.get(name) {
            None | Some("") => Ok(None),
            Some(v) => v
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| GatewayError::Malformed {
                    field: name,
                    reason: "not an integer".into(),
                }),
        }
    }
}

fn decode(raw: &[u8]) -> Result<String, std::str::Utf8Error> {
    let spaced: Vec<u8> = raw
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    percent_decode(&spaced)
        .decode_utf8()
        .map(|s| s.into_owned())
}

/// Every field of a form body, decoded, sorted by name then value; a repeated field is kept
/// each time (a signature covers them all).
pub fn pairs(body: &[u8]) -> Result<Vec<(String, String)>, GatewayError> {
    Form::parse(body)?; // strict UTF-8 check, naming the field
    let decode = |raw: &[u8]| {
        let spaced: Vec<u8> = raw
            .iter()
            .map(|&b| if b == b'+' { b' ' } else { b })
            .collect();
        percent_decode(&spaced).decode_utf8_lossy().into_owned()
    };
    let mut pairs: Vec<(String, String)> = body
        .split(|&b| b == b'&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let mut parts = pair.splitn(2, |&b| b == b'=');
            let key = decode(parts.next().unwrap_or_default());
            let value = decode(parts.next().unwrap_or_default());
            (key, value)
        })
        .collect();
    pairs.sort();
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_plus_and_percent() {
        let f = Form::parse(b"phoneNumber=%2B254711000000&text=1*2&a=b+c").unwrap();
        assert_eq!(f.get("phoneNumber"), Some("+254711000000"));
        assert_eq!(f.get("text"), Some("1*2"));
        assert_eq!(f.get("a"), Some("b c"));
    }

    #[test]
    fn invalid_utf8_names_the_field() {
        let err = Form::parse(b"sessionId=abc&text=%FF%FE").unwrap_err();
        assert_eq!(err, GatewayError::NotUtf8("text".into()));
    }
}
