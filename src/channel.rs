//! The neutral vocabulary of one hop, between the gateways (which decode their wire format into
//! it) and the runner (which answers it). Nothing here knows a wire format or a store.

use std::fmt;

use bytes::Bytes;

use crate::domain::SessionEnd;

/// The two kinds of session dalal runs. Both walk the same menu; voice adds its own policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Ussd,
    Voice,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        self.contract().as_str()
    }

    /// The same channel in the CRM's vocabulary (where a ticket was filed).
    pub fn contract(self) -> crate::contracts::Channel {
        match self {
            Channel::Ussd => crate::contracts::Channel::Ussd,
            Channel::Voice => crate::contracts::Channel::Voice,
        }
    }
}

/// One request of a gateway, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inbound {
    pub session_id: String,
    /// E.164; empty only on an [`Event::End`] that did not say who called.
    pub phone: String,
    pub event: Event,
}

/// What the caller (or the gateway) did since the last hop.
// One per request, decoded and consumed at once: boxing the larger variant buys nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A session starts (or the platform asks for the current prompt again).
    Start,
    /// Keys typed.
    Input(Input),
    /// No key before the platform's timeout (voice).
    NoInput,
    /// A key the platform's grammar rejected (voice).
    NoMatch,
    /// A recorded message (voice).
    Recording(Recording),
    /// The gateway says the session is over.
    End(SessionEnd),
}

/// Keys typed, as the gateway sends them: how the newest input is found depends on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Every input so far joined by `*` (Africa's Talking); the newest input is what follows
    /// the previous hop's text.
    Cumulative(String),
    /// Only the newest input.
    Latest(String),
    /// Only the newest input, with the gateway's number for the hop (Hubtel's `Sequence`):
    /// a resent hop carries the same number.
    Numbered { text: String, hop: String },
}

impl Input {
    /// What identifies this hop among the gateway's resends: the whole cumulative text, or
    /// the hop's number. Gateways sending the newest input alone give nothing to tell a resend
    /// from a new input.
    pub fn resend_token(&self) -> Option<&str> {
        match self {
            Input::Cumulative(text) => Some(text),
            Input::Numbered { hop, .. } => Some(hop),
            Input::Latest(_) => None,
        }
    }

    /// The caller's newest input, given the previous hop's token (empty on the first input).
    pub fn newest<'t>(&'t self, previous: &str) -> &'t str {
        match self {
            Input::Latest(text) | Input::Numbered { text, .. } => text,
            Input::Cumulative(text) => newest_of_cumulative(previous, text),
        }
    }
}

/// The newest input in a cumulative `text`, given the text of the hop before.
fn newest_of_cumulative<'t>(previous: &str, text: &'t str) -> &'t str {
    if previous.is_empty() {
        return text;
    }
    match text
        .strip_prefix(previous)
        .and_then(|rest| rest.strip_prefix('*'))
    {
        Some(rest) => rest,
        // The gateway's history diverged from ours: the newest segment is still the input.
        None => text.rsplit('*').next().unwrap_or(text),
    }
}

/// A recorded message, as the platform delivers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recording {
    /// The platform hosts it at this URL (Africa's Talking, Twilio).
    Hosted(String),
    /// The platform uploaded it with the request (VoiceXML): dalal stores it.
    Uploaded(Upload),
    /// The platform submitted a recording without audio.
    Empty,
}

/// Audio uploaded with a request.
#[derive(Clone, PartialEq, Eq)]
pub struct Upload {
    pub audio: Bytes,
}

impl fmt::Debug for Upload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Upload({} bytes)", self.audio.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_input_from_cumulative_text() {
        let newest = |previous: &str, text: &str| {
            Input::Cumulative(text.to_string())
                .newest(previous)
                .to_string()
        };
        assert_eq!(newest("", "1"), "1");
        assert_eq!(newest("1", "1*2"), "2");
        assert_eq!(newest("1*2", "1*2*500"), "500");
        assert_eq!(newest("1*2", "1*2*"), "");
        assert_eq!(newest("1*2", "3*4"), "4");
    }

    #[test]
    fn latest_input_is_taken_as_it_is() {
        let input = Input::Latest("1*2".into());
        assert_eq!(input.newest("9"), "1*2");
        assert_eq!(input.resend_token(), None);
        assert_eq!(Input::Cumulative("1*2".into()).resend_token(), Some("1*2"));
        let numbered = Input::Numbered {
            text: "2".into(),
            hop: "3".into(),
        };
        assert_eq!(
            (numbered.newest("1"), numbered.resend_token()),
            ("2", Some("3"))
        );
    }
}
