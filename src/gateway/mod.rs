//! Gateway protocols at the edge: one module per wire format, each a set of pure parse/render
//! functions. Handlers in `http` call them; nothing here touches a store.

pub mod africastalking;
pub mod at_voice;
pub mod form;
pub mod twiml;
pub mod vxml;

/// A voice platform's callback as Africa's Talking and Twilio send it: a turn of the call, or
/// the end of it. (VoiceXML has its own, with a bootstrap document.)
// One per request, parsed and consumed at once: boxing the larger variant buys nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallCallback {
    Turn {
        session_id: String,
        phone: String,
        event: crate::voice::call::VoiceEvent,
    },
    /// The call is over (Africa's Talking `isActive=0`, a final Twilio `CallStatus`).
    Ended(crate::domain::SessionEnd),
}

/// Why a gateway request was refused (answered `400` with this one line).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GatewayError {
    #[error("missing field `{0}`")]
    Missing(&'static str),
    #[error("field `{field}` is malformed: {reason}")]
    Malformed { field: &'static str, reason: String },
    #[error("field `{0}` is not valid UTF-8")]
    NotUtf8(String),
    #[error("body is not application/x-www-form-urlencoded")]
    NotForm,
}

/// A phone number in E.164 (`+` and 8 to 15 digits, no leading zero). Gateways that drop the
/// `+` (`254711000000`) are accepted; national formats (`0711...`) are not.
pub fn normalize_msisdn(raw: &str) -> Option<String> {
    // A literal `+` in a form body decodes to a space: accept it as the plus it was.
    let raw = raw.trim();
    let digits = raw.strip_prefix('+').unwrap_or(raw);
    let valid = (8..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    valid.then(|| format!("+{digits}"))
}

/// A phone number safe to log: country code and last two digits only.
pub fn mask_msisdn(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 6 {
        return "***".to_string();
    }
    let head: String = digits[..3].iter().collect();
    let tail: String = digits[digits.len() - 2..].iter().collect();
    format!("+{head}******{tail}")
}

/// A gateway's record of what the caller typed, without what proves or names an account:
/// menu choices are kept (they say which service was used), every input of four characters
/// or more (account numbers, meter digits, references) becomes as many `x`.
pub fn redact_keypad_input(input: &str) -> String {
    input
        .split('*')
        .map(|part| match part.chars().count() {
            n if n >= 4 => "x".repeat(n),
            _ => part.to_string(),
        })
        .collect::<Vec<_>>()
        .join("*")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keypad_input_keeps_choices_and_hides_digits_that_prove_an_account() {
        assert_eq!(redact_keypad_input("4*1*100000*1595"), "4*1*xxxxxx*xxxx");
        assert_eq!(redact_keypad_input("1*2"), "1*2");
        assert_eq!(redact_keypad_input(""), "");
    }

    #[test]
    fn msisdn_normalisation() {
        assert_eq!(
            normalize_msisdn("+254711000000").as_deref(),
            Some("+254711000000")
        );
        assert_eq!(
            normalize_msisdn("254711000000").as_deref(),
            Some("+254711000000")
        );
        assert_eq!(
            normalize_msisdn(" 254711000000").as_deref(),
            Some("+254711000000")
        );
        for bad in [
            "",
            "+",
            "0711000000",
            "+2547110000001234",
            "+25471100000a",
            "12345",
            "+221 77 000 00 00",
        ] {
            assert_eq!(normalize_msisdn(bad), None, "{bad}");
        }
    }

    #[test]
    fn masking_hides_the_subscriber_number() {
        let masked = mask_msisdn("+221786452821");
        assert_eq!(masked, "+221******21");
        assert!(!masked.contains("786452"));
    }
}
