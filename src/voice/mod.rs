//! Voice IVR over the same menus as USSD: spoken, in the caller's language, from recorded
//! prompts, driven by keypad (DTMF) input.
//!
//! The engine stays the one for USSD (`Profile::VOICE`: at most five choices per spoken
//! page). This layer adds what only voice has: the key map (`*` repeat, `9` more options,
//! `#` back, `0` agent), re-prompting, staffed hours, and which recording says what
//! (`speech`), all pure (`policy`, `screen`); the runner performs what they ask. Gateways
//! (`gateway::at_voice`, `twiml`, `vxml`) render a [`Turn`] as XML.

pub mod inventory;
pub mod numbers;
pub mod policy;
pub mod recording;
pub mod screen;
pub mod speech;

pub use speech::{Audio, Segment};

/// Voice keys, mapped onto the engine's navigation keys.
pub mod keys {
    /// Say the current prompt again.
    pub const REPEAT: &str = "*";
    /// Next spoken page ("more options"): the engine's `98`.
    pub const MORE: &str = "9";
    /// Back: the engine's `0`.
    pub const BACK: &str = "#";
    /// An agent (within staffed hours).
    pub const AGENT: &str = "0";
}

/// What to do once the prompt is said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Collect {
    /// One key (menus).
    Key,
    /// Several digits ended by `#` (account, meter, reference).
    Digits,
    /// Record the caller's voice (a complaint) until `#` or silence.
    Record { max_secs: u32 },
    /// Transfer to an agent's number.
    Transfer(String),
    /// Nothing more: the call ends.
    Hangup,
}

/// One turn of a call, platform-neutral.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Turn {
    /// The session (the VoiceXML documents carry it in their URLs).
    pub session_id: String,
    pub lang: String,
    pub segments: Vec<Segment>,
    pub collect: Collect,
    /// Seconds to wait for a key.
    pub timeout_secs: u32,
}

/// How a gateway reaches us back: absolute URLs.
#[derive(Debug, Clone)]
pub struct Urls {
    /// This gateway's callback, e.g. `https://ivr.example.org/voice/africastalking`.
    pub callback: String,
    /// Base for audio, e.g. `https://ivr.example.org` (paths start with `/audio/`).
    pub base: String,
}

impl Urls {
    pub fn audio(&self, audio: &Audio, prefer_mp3: bool) -> String {
        format!("{}{}", self.base, audio.path(prefer_mp3))
    }

    /// The callback with a query parameter added.
    pub fn callback_with(&self, query: &str) -> String {
        let sep = if self.callback.contains('?') {
            '&'
        } else {
            '?'
        };
        format!("{}{sep}{query}", self.callback)
    }
}
