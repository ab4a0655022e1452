//! The voice policy, pure: what a keypress, a silence or a recording means on a call, beside
//! the menu engine. Keys (`*` repeat, `9` more, `#` back, `0` agent), re-prompts, the offer
//! after repeated failures (1 call-back, 2 record a complaint), staffed hours (given as input),
//! the recording flow, and the offer to a caller whose last call dropped mid-menu (1 continue
//! where you left off, 2 start over). The runner performs the [`Effect`] a [`Plan`] asks for; nothing here
//! does I/O, so every branch is tested without HTTP or a store.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::{Deserialize, Serialize};

use crate::channel::{Event, Input, Recording};
use crate::engine::{KEY_BACK, KEY_MORE, Value, messages};
use crate::voice::{Collect, keys};

/// Voice messages, besides those the menu names (in every locale).
pub mod ids {
    pub const PRESS: &str = "voice-press";
    pub const MORE: &str = "voice-more";
    pub const BACK: &str = "voice-back";
    pub const REPEAT: &str = "voice-repeat";
    pub const AGENT: &str = "voice-agent";
    pub const AGENT_HOURS: &str = "voice-agent-hours";
    pub const AGENT_TRANSFER: &str = "voice-agent-transfer";
    pub const NO_INPUT: &str = "voice-no-input";
    pub const OFFER: &str = "voice-offer";
    pub const RECORD_PROMPT: &str = "voice-record-prompt";
    pub const RECORD_DONE: &str = "voice-record-done";
    pub const FINISH_HASH: &str = "voice-finish-hash";
    pub const GOODBYE: &str = "voice-goodbye";
    pub const CALLBACK_DONE: &str = "callback-done";
    /// After a completed call: "press 1 to 5".
    pub const SURVEY: &str = "voice-survey";
    pub const SURVEY_THANKS: &str = "voice-survey-thanks";
    /// The last call dropped mid-menu: "to continue where you left off, press 1; to start
    /// over, press 2".
    pub const RESUME_OFFER: &str = "voice-resume-offer";
    pub const ALL: [&str; 16] = [
        PRESS,
        MORE,
        BACK,
        REPEAT,
        AGENT,
        AGENT_HOURS,
        AGENT_TRANSFER,
        NO_INPUT,
        OFFER,
        RECORD_PROMPT,
        RECORD_DONE,
        FINISH_HASH,
        GOODBYE,
        SURVEY,
        SURVEY_THANKS,
        RESUME_OFFER,
    ];
}

/// Longest recorded complaint.
pub const MAX_RECORDING_SECS: u32 = 120;

/// Where a call stands, besides its place in the menu.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mode {
    #[default]
    Menu,
    /// After repeated failures: 1 call-back, 2 record a complaint.
    Offer,
    Recording,
    /// The menu is over: "how was it, press 1 to 5".
    Survey,
    Done,
    /// The caller's last call dropped mid-menu: 1 continue where they left off, 2 start over.
    Resume,
}

/// What the voice policy remembers between turns (kept in the session).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallState {
    pub mode: Mode,
    /// Failed attempts in a row (no key, wrong key).
    pub failures: u32,
    /// The reference of the recorded complaint filed, so a resent recording files nothing.
    pub recorded_ref: Option<String>,
    /// The survey invitation asked in this call, its answer awaited.
    #[serde(default)]
    pub survey_invitation: Option<i64>,
}

/// The agents' desk, as the runner sees it at this instant.
#[derive(Debug, Clone)]
pub struct Desk {
    pub agent_number: Option<String>,
    /// Whether agents answer now (see [`staffed`]).
    pub staffed: bool,
    pub open_hour: u32,
    pub close_hour: u32,
    /// Weekdays agents work, 1 = Monday ... 7 = Sunday (`[voice] agent_days`).
    pub days: Vec<u32>,
    /// Failures before the offer.
    pub max_retries: u32,
}

/// What the menu shows now, as far as the policy needs to know.
pub struct MenuView<'a> {
    /// The screen takes typed digits (account, meter, reference) rather than one key.
    pub takes_input: bool,
    /// Whether the engine would accept this input on the current screen.
    pub understands: &'a dyn Fn(&str) -> bool,
}

/// Work the runner does before anything is said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Feed this input to the menu engine (performing the actions it asks for).
    Menu(String),
    /// The `request_callback` action.
    RequestCallback,
    /// Store the recording if uploaded, then the `file_recorded_complaint` action.
    FileRecording(Recording),
    /// Store the caller's survey score (1 to 5).
    SurveyAnswer(i64),
    /// Take the dropped call's place in the menu over (the caller pressed 1 on the offer).
    ContinueDropped,
    /// Leave the dropped call be and go on from the start (2 on the offer, or no answer).
    StartOver,
}

/// A message to say.
#[derive(Debug, Clone, PartialEq)]
pub struct Said {
    pub id: &'static str,
    pub args: BTreeMap<String, Value>,
}

impl Said {
    fn plain(id: &'static str) -> Said {
        Said {
            id,
            args: BTreeMap::new(),
        }
    }
}

/// What one turn does: an effect, then what is said, then what the platform collects.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub effect: Option<Effect>,
    /// Said first (after the effect; `after_effect` gets the effect's variables).
    pub say: Vec<Said>,
    /// A message said once the effect is done, with the variables it produced (`ref`).
    pub after_effect: Option<&'static str>,
    /// The error said before the screen when it is spoken again.
    pub error: Option<&'static str>,
    /// What to collect instead of the mode's default.
    pub collect: Option<Collect>,
    /// What the call achieved, for the interactions log (when no action says it).
    pub outcome: Option<String>,
}

impl Plan {
    /// Nothing to do but speak the screen (a call's first turn).
    pub fn nothing() -> Plan {
        Plan {
            effect: None,
            say: Vec::new(),
            after_effect: None,
            error: None,
            collect: None,
            outcome: None,
        }
    }
}

/// Whether agents answer at `now`, on the clock where they sit (`agent_country`: a country's
/// main zone, or an IANA zone).
pub fn staffed(config: &crate::config::VoiceConfig, now: DateTime<Utc>) -> bool {
    let local = now.with_timezone(&crate::text::format::zone(&config.agent_country));
    let day = local.weekday().number_from_monday();
    config.agent_days.contains(&day)
        && local.hour() >= config.agent_open_hour
        && local.hour() < config.agent_close_hour
}

/// The plan for one event of a call already under way; updates `call`.
pub fn decide(call: &mut CallState, event: &Event, menu: &MenuView, desk: &Desk) -> Plan {
    let mut plan = Plan::nothing();
    let keys = match event {
        Event::Input(Input::Latest(k) | Input::Cumulative(k) | Input::Numbered { text: k, .. }) => {
            Some(k.as_str())
        }
        _ => None,
    };
    match (call.mode, event) {
        (_, Event::Start) => {}
        (Mode::Menu, Event::Input(_)) if keys == Some(keys::REPEAT) => {}
        (Mode::Menu, Event::Input(_)) if keys == Some(keys::AGENT) => agent(&mut plan, desk),
        (Mode::Menu, Event::Input(_)) => {
            let input = menu_input(keys.unwrap_or_default(), menu);
            if !input.is_empty() && (menu.understands)(&input) {
                call.failures = 0;
                plan.effect = Some(Effect::Menu(input));
            } else {
                call.failures += 1;
                plan.error = Some(if input.is_empty() {
                    ids::NO_INPUT
                } else {
                    messages::INVALID
                });
            }
        }
        (Mode::Menu, Event::NoInput | Event::NoMatch) => {
            call.failures += 1;
            plan.error = Some(if *event == Event::NoInput {
                ids::NO_INPUT
            } else {
                messages::INVALID
            });
        }
        (Mode::Offer, Event::Input(_)) if keys == Some("1") => {
            plan.effect = Some(Effect::RequestCallback);
            plan.after_effect = Some(ids::CALLBACK_DONE);
            call.mode = Mode::Done;
        }
        (Mode::Offer, Event::Input(_)) if keys == Some("2") => {
            call.mode = Mode::Recording;
            plan.say.push(Said::plain(ids::RECORD_PROMPT));
            plan.collect = Some(Collect::Record {
                max_secs: MAX_RECORDING_SECS,
            });
        }
        (Mode::Offer, Event::Input(_)) if keys == Some(keys::REPEAT) => {}
        (Mode::Offer, _) => call.mode = Mode::Done,
        (Mode::Survey, Event::Input(_)) if keys.and_then(survey_score).is_some() => {
            let score = keys.and_then(survey_score).unwrap_or_default();
            plan.effect = Some(Effect::SurveyAnswer(score));
            plan.after_effect = Some(ids::SURVEY_THANKS);
            call.mode = Mode::Done;
        }
        (Mode::Survey, Event::Input(_)) if keys == Some(keys::REPEAT) => {
            plan.say.push(Said::plain(ids::SURVEY));
            plan.collect = Some(Collect::Key);
        }
        // No answer, or another key: the call ends, no score kept.
        (Mode::Survey, _) => call.mode = Mode::Done,
        (Mode::Recording, Event::Recording(recording)) => {
            // Said only once the ticket row is committed: the effect runs first.
            plan.effect = Some(Effect::FileRecording(recording.clone()));
            plan.after_effect = Some(ids::RECORD_DONE);
            call.mode = Mode::Done;
        }
        // The platform resends a recording we filed (our answer was lost): the caller hears
        // the same reference, nothing more is filed or stored.
        (Mode::Done, Event::Recording(_)) if call.recorded_ref.is_some() => {
            let reference = call.recorded_ref.clone().unwrap_or_default();
            plan.say.push(Said {
                id: ids::RECORD_DONE,
                args: BTreeMap::from([("ref".to_string(), Value::Reference(reference))]),
            });
        }
        (Mode::Recording | Mode::Done, _) | (Mode::Menu, Event::Recording(_)) => {
            call.mode = Mode::Done;
        }
        (Mode::Resume, Event::Input(_)) if resume_key(keys) == Some("1") => {
            call.mode = Mode::Menu;
            call.failures = 0;
            plan.effect = Some(Effect::ContinueDropped);
        }
        (Mode::Resume, Event::Input(_)) if resume_key(keys) == Some("2") => {
            call.mode = Mode::Menu;
            call.failures = 0;
            plan.effect = Some(Effect::StartOver);
        }
        // Said again as it was (the closing words of the mode say it).
        (Mode::Resume, Event::Input(_)) if keys == Some(keys::REPEAT) => {}
        // Another key, or none: asked once more, then the call goes on from the start.
        (Mode::Resume, Event::Input(_) | Event::NoInput | Event::NoMatch) => {
            if call.failures == 0 {
                call.failures = 1;
                plan.say.push(Said::plain(if *event == Event::NoInput {
                    ids::NO_INPUT
                } else {
                    messages::INVALID
                }));
            } else {
                call.mode = Mode::Menu;
                call.failures = 0;
                plan.effect = Some(Effect::StartOver);
            }
        }
        (Mode::Resume, Event::Recording(_)) => {}
        (_, Event::End(_)) => call.mode = Mode::Done,
    }
    if call.mode == Mode::Menu && call.failures > desk.max_retries {
        call.mode = Mode::Offer;
    }
    plan
}

/// A key on the resume offer, as typed (`1#` is `1`).
fn resume_key(keys: Option<&str>) -> Option<&str> {
    keys.map(|k| k.trim().trim_end_matches('#'))
}

/// A survey answer: one key from 1 to 5.
fn survey_score(keys: &str) -> Option<i64> {
    match keys.trim_end_matches('#') {
        key @ ("1" | "2" | "3" | "4" | "5") => key.parse().ok(),
        _ => None,
    }
}

/// A key as the menu engine reads it: `9` is "more", `#` (or an empty entry, `#` being the
/// end key) is "back", except on screens taking typed digits. On the last page of a screen
/// whose choices go up to 9, `9` has no more to show: it chooses 9.
fn menu_input(keys: &str, menu: &MenuView) -> String {
    let takes_input = menu.takes_input;
    let nine_chooses = || !(menu.understands)(KEY_MORE) && (menu.understands)(keys::MORE);
    match keys {
        keys::MORE if !takes_input && !nine_chooses() => KEY_MORE.to_string(),
        keys::BACK | "" if !takes_input => KEY_BACK.to_string(),
        other => other.trim_end_matches('#').to_string(),
    }
}

fn agent(plan: &mut Plan, desk: &Desk) {
    match (&desk.agent_number, desk.staffed) {
        (Some(number), true) => {
            plan.say.push(Said::plain(ids::AGENT_TRANSFER));
            plan.collect = Some(Collect::Transfer(number.clone()));
            plan.outcome = Some("agent:transfer".into());
        }
        _ => {
            let mut args = BTreeMap::from([
                ("open".to_string(), Value::Number(desk.open_hour.into())),
                ("close".to_string(), Value::Number(desk.close_hour.into())),
            ]);
            args.extend(agent_days(&desk.days));
            plan.say.push(Said {
                id: ids::AGENT_HOURS,
                args,
            })
        }
    }
}

/// The staffed weekdays as the agent-hours message phrases them: `days` is `every` (all
/// seven), `none`, `one` (`first` only), `range` (`first` to `last`, one run of days, which
/// may wrap past Sunday) or `several` (days that are no single run); days 1 = Monday ... 7.
fn agent_days(days: &[u32]) -> [(String, Value); 3] {
    let set: std::collections::BTreeSet<u32> = days
        .iter()
        .copied()
        .filter(|d| (1..=7).contains(d))
        .collect();
    let previous = |d: u32| if d == 1 { 7 } else { d - 1 };
    let starts: Vec<u32> = set
        .iter()
        .copied()
        .filter(|d| !set.contains(&previous(*d)))
        .collect();
    let (kind, first, last) = match (set.len(), starts.as_slice()) {
        (0, _) => ("none", 0, 0),
        (7, _) => ("every", 1, 7),
        (1, [d]) => ("one", *d, *d),
        (n, [d]) => ("range", *d, (*d - 1 + n as u32 - 1) % 7 + 1),
        _ => ("several", 0, 0),
    };
    [
        ("days".to_string(), Value::text(kind)),
        ("first".to_string(), Value::Number(first.into())),
        ("last".to_string(), Value::Number(last.into())),
    ]
}

/// What the platform collects once the plan is said, by mode, and the message that ends a
/// call that has nothing more to ask. `None`: speak the menu screen.
pub fn closing(call: &mut CallState, plan: &Plan) -> Option<(Option<&'static str>, Collect)> {
    match (call.mode, &plan.collect) {
        (_, Some(collect)) => Some((None, collect.clone())),
        (Mode::Offer, None) => Some((Some(ids::OFFER), Collect::Key)),
        (Mode::Resume, None) => Some((Some(ids::RESUME_OFFER), Collect::Key)),
        (Mode::Done | Mode::Recording | Mode::Survey, None) => {
            call.mode = Mode::Done;
            Some((Some(ids::GOODBYE), Collect::Hangup))
        }
        (Mode::Menu, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn desk(staffed: bool) -> Desk {
        Desk {
            agent_number: Some("+221330000000".into()),
            staffed,
            open_hour: 8,
            close_hour: 17,
            days: vec![1, 2, 3, 4, 5],
            max_retries: 2,
        }
    }

    fn key(k: &str) -> Event {
        Event::Input(Input::Latest(k.into()))
    }

    fn run(call: &mut CallState, event: Event, staffed: bool) -> Plan {
        let understands = |input: &str| ["1", "2", "0", "98"].contains(&input);
        let menu = MenuView {
            takes_input: false,
            understands: &understands,
        };
        decide(call, &event, &menu, &desk(staffed))
    }

    #[test]
    fn the_survey_takes_one_key_from_one_to_five_and_ends_the_call() {
        let survey = || CallState {
            mode: Mode::Survey,
            ..CallState::default()
        };
        let mut call = survey();
        let plan = run(&mut call, key("4"), true);
        assert_eq!(plan.effect, Some(Effect::SurveyAnswer(4)));
        assert_eq!(plan.after_effect, Some(ids::SURVEY_THANKS));
        assert_eq!(call.mode, Mode::Done);
        assert_eq!(
            closing(&mut call, &plan),
            Some((Some(ids::GOODBYE), Collect::Hangup))
        );
        for other in [key("7"), key("0"), Event::NoInput, Event::NoMatch] {
            let mut call = survey();
            let plan = run(&mut call, other.clone(), true);
            assert_eq!(plan.effect, None, "{other:?}");
            assert_eq!(call.mode, Mode::Done, "{other:?}");
        }
        let mut call = survey();
        let plan = run(&mut call, key("*"), true);
        assert_eq!(plan.collect, Some(Collect::Key), "* repeats the question");
        assert_eq!(call.mode, Mode::Survey);
    }

    #[test]
    fn a_known_key_goes_to_the_menu_and_clears_failures() {
        let mut call = CallState {
            failures: 1,
            ..Default::default()
        };
        let plan = run(&mut call, key("1"), true);
        assert_eq!(plan.effect, Some(Effect::Menu("1".into())));
        assert_eq!(call.failures, 0);
        // 9 is "more" and # is "back" in the engine's keys.
        assert_eq!(
            run(&mut call, key("9"), true).effect,
            Some(Effect::Menu("98".into()))
        );
        assert_eq!(
            run(&mut call, key("#"), true).effect,
            Some(Effect::Menu("0".into()))
        );
    }

    #[test]
    fn nine_is_more_unless_a_last_page_offers_a_ninth_choice() {
        let decide_on = |understood: &'static [&'static str]| {
            let understands = move |input: &str| understood.contains(&input);
            let menu = MenuView {
                takes_input: false,
                understands: &understands,
            };
            decide(&mut CallState::default(), &key("9"), &menu, &desk(true)).effect
        };
        // A later page: more, even where the screen also has a ninth choice.
        assert_eq!(decide_on(&["98", "9"]), Some(Effect::Menu("98".into())));
        // The last page of a screen whose choices go up to 9: the ninth.
        assert_eq!(decide_on(&["9"]), Some(Effect::Menu("9".into())));
        // Neither: not understood, said so.
        assert_eq!(decide_on(&["1"]), None);
    }

    #[test]
    fn failures_reprompt_twice_then_offer_then_record() {
        let mut call = CallState::default();
        assert_eq!(
            run(&mut call, Event::NoInput, true).error,
            Some(ids::NO_INPUT)
        );
        assert_eq!(
            run(&mut call, key("7"), true).error,
            Some(messages::INVALID)
        );
        assert_eq!(call.mode, Mode::Menu);
        run(&mut call, Event::NoMatch, true);
        assert_eq!(call.mode, Mode::Offer);
        let plan = run(&mut call, key("2"), true);
        assert_eq!(call.mode, Mode::Recording);
        assert!(matches!(plan.collect, Some(Collect::Record { .. })));
        let plan = run(
            &mut call,
            Event::Recording(Recording::Hosted("https://r/1".into())),
            true,
        );
        assert_eq!(
            plan.effect,
            Some(Effect::FileRecording(Recording::Hosted(
                "https://r/1".into()
            )))
        );
        assert_eq!(plan.after_effect, Some(ids::RECORD_DONE));
        assert_eq!(call.mode, Mode::Done);
    }

    #[test]
    fn a_resent_recording_repeats_the_reference_and_files_nothing() {
        let mut call = CallState {
            mode: Mode::Done,
            recorded_ref: Some("RC26110000017".into()),
            ..Default::default()
        };
        let plan = run(&mut call, Event::Recording(Recording::Empty), true);
        assert_eq!(plan.effect, None);
        assert_eq!(plan.say[0].id, ids::RECORD_DONE);
        assert_eq!(
            plan.say[0].args["ref"],
            Value::Reference("RC26110000017".into())
        );
    }

    #[test]
    fn the_agent_key_transfers_only_within_staffed_hours() {
        let mut call = CallState::default();
        let plan = run(&mut call, key("0"), true);
        assert_eq!(
            plan.collect,
            Some(Collect::Transfer("+221330000000".into()))
        );
        let plan = run(&mut call, key("0"), false);
        assert_eq!(plan.collect, None);
        assert_eq!(plan.say[0].id, ids::AGENT_HOURS);
        assert_eq!(plan.say[0].args["open"], Value::Number(8));
        assert_eq!(plan.say[0].args["days"], Value::text("range"));
        assert_eq!(plan.say[0].args["first"], Value::Number(1));
        assert_eq!(plan.say[0].args["last"], Value::Number(5));
    }

    #[test]
    fn the_agent_days_are_phrased_from_the_config() {
        let said = |days: &[u32]| {
            let [(_, kind), (_, first), (_, last)] = agent_days(days);
            (kind, first, last)
        };
        let n = |d: u32| Value::Number(d.into());
        let t = Value::text;
        assert_eq!(said(&[1, 2, 3, 4, 5]), (t("range"), n(1), n(5)));
        assert_eq!(said(&[6, 1, 2, 3, 4, 5]), (t("range"), n(1), n(6)));
        assert_eq!(
            said(&[6, 7, 1]),
            (t("range"), n(6), n(1)),
            "wraps past Sunday"
        );
        assert_eq!(said(&[3]), (t("one"), n(3), n(3)));
        assert_eq!(said(&[1, 2, 3, 4, 5, 6, 7]), (t("every"), n(1), n(7)));
        assert_eq!(said(&[]), (t("none"), n(0), n(0)));
        assert_eq!(said(&[1, 3]), (t("several"), n(0), n(0)));
        assert_eq!(
            said(&[2, 2, 3, 9]),
            (t("range"), n(2), n(3)),
            "duplicates, out of range"
        );
    }

    #[test]
    fn the_offer_files_a_callback_on_1_and_ends_on_anything_else() {
        let mut call = CallState {
            mode: Mode::Offer,
            ..Default::default()
        };
        let plan = run(&mut call, key("1"), true);
        assert_eq!(plan.effect, Some(Effect::RequestCallback));
        assert_eq!(call.mode, Mode::Done);
        let mut call = CallState {
            mode: Mode::Offer,
            ..Default::default()
        };
        run(&mut call, Event::NoInput, true);
        let plan = Plan::nothing();
        assert_eq!(
            closing(&mut call, &plan),
            Some((Some(ids::GOODBYE), Collect::Hangup))
        );
    }

    #[test]
    fn the_resume_offer_continues_on_1_starts_over_on_2_and_asks_once_more_otherwise() {
        let offer = || CallState {
            mode: Mode::Resume,
            ..CallState::default()
        };
        // Offered on the first turn: the closing words say it, and one key is awaited.
        let mut call = offer();
        assert_eq!(
            closing(&mut call, &Plan::nothing()),
            Some((Some(ids::RESUME_OFFER), Collect::Key))
        );
        for (keys, effect) in [
            ("1", Effect::ContinueDropped),
            ("1#", Effect::ContinueDropped),
            ("2", Effect::StartOver),
        ] {
            let mut call = offer();
            let plan = run(&mut call, key(keys), true);
            assert_eq!(plan.effect, Some(effect), "{keys}");
            assert_eq!(call.mode, Mode::Menu, "{keys}");
            assert_eq!(
                closing(&mut call, &plan),
                None,
                "{keys}: the screen is spoken"
            );
        }
        // * says the offer again, and counts as no failure.
        let mut call = offer();
        let plan = run(&mut call, key("*"), true);
        assert_eq!(
            (plan.effect, call.mode, call.failures),
            (None, Mode::Resume, 0)
        );
        // A wrong key, then silence: asked once more, then the call starts over.
        for (first, first_said) in [
            (key("7"), messages::INVALID),
            (Event::NoInput, ids::NO_INPUT),
            (Event::NoMatch, messages::INVALID),
        ] {
            let mut call = offer();
            let plan = run(&mut call, first.clone(), true);
            assert_eq!(plan.effect, None, "{first:?}");
            assert_eq!(plan.say[0].id, first_said, "{first:?}");
            assert_eq!(
                closing(&mut call, &plan),
                Some((Some(ids::RESUME_OFFER), Collect::Key)),
                "{first:?}: the offer again"
            );
            let plan = run(&mut call, Event::NoInput, true);
            assert_eq!(plan.effect, Some(Effect::StartOver), "{first:?}");
            assert_eq!((call.mode, call.failures), (Mode::Menu, 0), "{first:?}");
        }
        // 0 is no agent here: a wrong key on the offer.
        let mut call = offer();
        let plan = run(&mut call, key("0"), true);
        assert_eq!(plan.collect, None);
        assert_eq!(plan.say[0].id, messages::INVALID);
    }
}
