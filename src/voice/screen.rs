//! A menu screen, spoken: text first, then "to <function>, press <key>" per choice, then the
//! navigation keys. Pure: the engine's spoken screen in, segments and what to collect out.

use std::collections::BTreeMap;

use crate::engine::{Engine, State, Value, messages};
use crate::voice::policy::ids;
use crate::voice::speech::Speaker;
use crate::voice::{Collect, Segment};

/// The current page of `state`, after `error` if any. `home` is the main menu's screen (the
/// only one offering an agent).
pub fn speak(
    engine: &Engine<'_>,
    speaker: &Speaker<'_>,
    state: &State,
    error: Option<&str>,
    home: &str,
) -> (Vec<Segment>, Collect) {
    let lang = state.lang.as_str();
    let none = BTreeMap::new();
    let Some(screen) = engine.spoken(state, error) else {
        return (
            speaker.message(lang, messages::MENU_ERROR, &none),
            Collect::Hangup,
        );
    };
    let mut out = Vec::new();
    if let Some(error) = &screen.error {
        out.extend(speaker.message(lang, error, &state.vars));
    }
    if let Some(text) = &screen.text {
        out.extend(speaker.message(&text.lang, &text.message, &text.args));
    }
    if screen.takes_input {
        out.extend(speaker.message(lang, ids::FINISH_HASH, &none));
    }
    for item in &screen.items {
        out.extend(speaker.message(&item.lang, &item.message, &item.args));
        if let Some(key) = &item.key
            && let Ok(n) = key.parse::<u64>()
        {
            out.extend(speaker.message(&item.lang, ids::PRESS, &none));
            out.extend(speaker.value(&item.lang, &Value::Number(n as i64)));
        }
    }
    if screen.end {
        out.extend(speaker.message(lang, ids::GOODBYE, &none));
        return (out, Collect::Hangup);
    }
    if screen.more {
        out.extend(speaker.message(lang, ids::MORE, &none));
    }
    if screen.can_go_back {
        out.extend(speaker.message(lang, ids::BACK, &none));
    }
    if state.screen == home {
        out.extend(speaker.message(lang, ids::AGENT, &none));
    }
    out.extend(speaker.message(lang, ids::REPEAT, &none));
    let collect = if screen.takes_input {
        Collect::Digits
    } else {
        Collect::Key
    };
    (out, collect)
}
