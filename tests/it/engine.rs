//! The engine on its own: pure state transitions over the shipped menus, no I/O.

use std::collections::BTreeMap;
use std::path::Path;

use dalal::engine::{ActionResult, Engine, Profile, State, Step, Value};
use dalal::i18n::Catalog;
use dalal::menu::Menu;

fn load() -> (Menu, Catalog) {
    let config = dalal::config::Config::default();
    let menu = Menu::load(Path::new("menus")).unwrap();
    let catalog = Catalog::load(Path::new("locales"), "fr", config.fallbacks).unwrap();
    (menu, catalog)
}

fn shown(step: &Step) -> &str {
    match step {
        Step::Show(reply) => &reply.text,
        Step::Act(a) => panic!("expected a screen, got action {}", a.name),
    }
}

fn action(step: &Step) -> &str {
    match step {
        Step::Act(a) => &a.name,
        Step::Show(r) => panic!("expected an action, got screen {:?}", r.text),
    }
}

/// Starts a session of a known, single-account caller and lands on the main menu.
fn at_main(engine: &Engine, lang: &str) -> State {
    let (state, step) = engine.start("fr", BTreeMap::new());
    assert_eq!(action(&step), "identify_caller");
    let result = ActionResult {
        lang: Some(lang.into()),
        ..ActionResult::outcome("ready")
    }
    .var("language_set", Value::text("yes"));
    let (state, step) = engine.resume(state, result);
    assert_eq!(state.screen, "main");
    assert!(shown(&step).contains("1."));
    state
}

#[test]
fn start_asks_the_language_when_unknown() {
    let (menu, catalog) = load();
    let engine = Engine::new(&menu, &catalog, Profile::USSD);
    let (state, step) = engine.start("fr", BTreeMap::new());
    let (state, step2) = engine.resume(state, ActionResult::outcome("choose_language"));
    assert!(matches!(step, Step::Act(_)));
    assert_eq!(state.screen, "language");
    assert!(shown(&step2).contains("2. Wolof"));
    let (state, step) = engine.input(state, "2");
    assert_eq!(action(&step), "save_language");
    assert_eq!(state.vars["lang"], Value::text("wo"));
}

#[test]
fn invalid_input_reshows_the_screen_with_an_error_and_never_ends() {
    let (menu, catalog) = load();
    let engine = Engine::new(&menu, &catalog, Profile::USSD);
    let state = at_main(&engine, "en");
    for junk in ["10", "", "abc", "*", "#", "1 2", "99999999"] {
        let (next, step) = engine.input(state.clone(), junk);
        let Step::Show(reply) = &step else { panic!() };
        assert!(!reply.end, "{junk:?}");
        assert!(
            reply.text.starts_with("Invalid choice."),
            "{junk:?}: {}",
            reply.text
        );
        assert_eq!(next.screen, "main");
    }
}

#[test]
fn navigation_back_and_home() {
    let (menu, catalog) = load();
    let engine = Engine::new(&menu, &catalog, Profile::USSD);
    let state = at_main(&engine, "en");
    let (state, step) = engine.input(state, "4");
    assert!(shown(&step).contains("0. Back"));
    let (state, _) = engine.input(state, "2");
    assert_eq!(state.screen, "complaint_confirm");
    let (state, _) = engine.input(state, "0");
    assert_eq!(state.screen, "complaint_category");
    let (state, _) = engine.input(state, "0");
    assert_eq!(state.screen, "main");
    let (state, _) = engine.input(state, "4");
    let (state, _) = engine.input(state, "00");
    assert_eq!(state.screen, "main");
    assert!(state.back.is_empty());
}

#[test]
fn confirming_a_complaint_asks_for_one_filing() {
    let (menu, catalog) = load();
    let engine = Engine::new(&menu, &catalog, Profile::USSD);
    let state = at_main(&engine, "fr");
    let (state, _) = engine.input(state, "4");
    let (state, step) = engine.input(state, "5");
    assert!(shown(&step).contains("Rétablissement"));
    let (state, step) = engine.input(state, "1");
    assert_eq!(action(&step), "file_complaint");
    assert_eq!(state.vars["category"], Value::text("reconnection"));
    let result = ActionResult::outcome("filed")
        .var("ref", Value::Reference("RC26110000017".into()))
        .var(
            "sla",
            Value::Date(chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()),
        );
    let (state, step) = engine.resume(state, result);
    let Step::Show(reply) = step else { panic!() };
    assert!(reply.end);
    assert!(reply.text.contains("RC26110000017") && reply.text.contains("23/11/2026"));
    assert!(state.ended);
}

#[test]
fn the_state_survives_serialization() {
    let (menu, catalog) = load();
    let engine = Engine::new(&menu, &catalog, Profile::USSD);
    let state = at_main(&engine, "sw");
    let (state, _) = engine.input(state, "4");
    let json = serde_json::to_string(&state).unwrap();
    let back: State = serde_json::from_str(&json).unwrap();
    assert_eq!(back, state);
}

#[test]
fn transliteration_keeps_pages_in_gsm7() {
    let (menu, catalog) = load();
    let profile = Profile {
        transliterate: true,
        ..Profile::USSD
    };
    let engine = Engine::new(&menu, &catalog, profile);
    let (state, _) = engine.start("fr", BTreeMap::new());
    let (_, step) = engine.resume(state, ActionResult::outcome("choose_language"));
    let text = shown(&step);
    assert!(text.contains("1. Francais"), "{text}");
    assert_eq!(
        dalal::text::gsm7::encoding(text),
        dalal::text::gsm7::Encoding::Gsm7
    );
}

#[test]
fn a_bill_period_shows_as_month_and_year() {
    let (menu, catalog) = load();
    let engine = Engine::new(&menu, &catalog, Profile::USSD);
    let state = at_main(&engine, "en");
    let (state, step) = engine.input(state, "1");
    assert_eq!(action(&step), "bill_access");
    let (state, step) = engine.resume(state, ActionResult::outcome("ok"));
    assert_eq!(action(&step), "latest_bill");
    let money = |minor| Value::Money {
        minor,
        currency: "KES".into(),
    };
    let bill = ActionResult::outcome("found")
        .var(
            "period",
            Value::Period {
                year: 2026,
                month: 3,
            },
        )
        .var("amount", money(896850))
        .var("paid", money(0))
        .var("balance", money(896850))
        .var(
            "due",
            Value::Date(chrono::NaiveDate::from_ymd_opt(2026, 4, 15).unwrap()),
        )
        .var("bill_status", Value::text("unpaid"));
    let (state, step) = engine.resume(state, bill);
    assert_eq!(state.screen, "bill_details");
    let text = shown(&step);
    assert!(text.contains("03/2026"), "{text}");
    let json = serde_json::to_string(&state).unwrap();
    let back: State = serde_json::from_str(&json).unwrap();
    assert_eq!(back, state);
}
