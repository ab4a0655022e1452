//! What may be logged or stored of what a caller gives: a phone number masked, keypad inputs
//! that could prove an account redacted. Below every layer that logs (gateways, runner, SMS,
//! notifications), so none needs another's module for it.

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
    fn masking_hides_the_subscriber_number() {
        let masked = mask_msisdn("+221786452821");
        assert_eq!(masked, "+221******21");
        assert!(!masked.contains("786452"));
    }

    #[test]
    fn keypad_input_keeps_choices_and_hides_digits_that_prove_an_account() {
        assert_eq!(redact_keypad_input("4*1*100000*1595"), "4*1*xxxxxx*xxxx");
        assert_eq!(redact_keypad_input("1*2"), "1*2");
        assert_eq!(redact_keypad_input(""), "");
    }
}
