//! Property tests: random input never panics a parser, the loader or the engine; the engine
//! never leaves a session in an impossible state, and every page fits its budget.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use proptest::prelude::*;

use dalal::engine::{ActionResult, Engine, Profile, State, Step, Value};
use dalal::gateway::{africastalking, at_voice, twiml, vxml};
use dalal::i18n::Catalog;
use dalal::menu::Menu;
use dalal::text::gsm7::PageBudget;

fn shipped() -> (Menu, Catalog) {
    let fallbacks = dalal::config::Config::default().fallbacks;
    (
        Menu::load(Path::new("menus")).unwrap(),
        Catalog::load(Path::new("locales"), "fr", fallbacks).unwrap(),
    )
}

/// Plausible values for whatever an action returns, so screens render with real-looking data.
fn sample_vars() -> BTreeMap<String, Value> {
    let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
    let at = chrono::DateTime::parse_from_rfc3339("2026-11-22T09:00:00Z")
        .unwrap()
        .to_utc();
    [
        ("ref", Value::Reference("RC26110000017".into())),
        (
            "period",
            Value::Period {
                year: 2026,
                month: 10,
            },
        ),
        (
            "amount",
            Value::Money {
                minor: 896850,
                currency: "KES".into(),
            },
        ),
        (
            "balance",
            Value::Money {
                minor: 448425,
                currency: "KES".into(),
            },
        ),
        (
            "paid",
            Value::Money {
                minor: 448425,
                currency: "KES".into(),
            },
        ),
        ("due", Value::Date(date)),
        ("sla", Value::Date(date)),
        ("updated", Value::Date(date)),
        (
            "restore",
            Value::Time {
                at,
                zone: "Africa/Nairobi".into(),
            },
        ),
        ("area", Value::text("Médina")),
        ("status", Value::text("open")),
        ("bill_status", Value::text("partially_paid")),
        ("category", Value::text("meter_fault")),
        ("service", Value::text("water")),
        ("attempts_left", Value::Number(2)),
        ("phone", Value::text("+221786452821")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

fn ticket_items(n: usize) -> Vec<BTreeMap<String, Value>> {
    (0..n)
        .map(|i| {
            let mut item = sample_vars();
            item.insert("id".into(), Value::text(format!("RC2611{i:07}")));
            item.insert("ref".into(), Value::Reference(format!("RC2611{i:07}")));
            item
        })
        .collect()
}

/// Drives the engine like the server does, answering each action with the outcome `pick`
/// selects among those the action can report.
fn settle(
    engine: &Engine,
    mut state: State,
    mut step: Step,
    pick: &mut impl FnMut(usize) -> usize,
) -> (State, String, bool) {
    for _ in 0..32 {
        match step {
            Step::Show(reply) => return (state, reply.text, reply.end),
            Step::Act(request) => {
                let outcomes = dalal::actions::spec(&request.name)
                    .expect("known action")
                    .outcomes;
                let outcome = outcomes[pick(outcomes.len()) % outcomes.len()];
                let mut result = ActionResult::outcome(outcome);
                result.vars = sample_vars();
                result.lists.insert("tickets".into(), ticket_items(pick(9)));
                result.lists.insert("outages".into(), ticket_items(pick(4)));
                result
                    .lists
                    .insert("accounts".into(), ticket_items(1 + pick(3)));
                (state, step) = engine.resume(state, result);
            }
        }
    }
    panic!("the engine chained more than 32 actions");
}

/// Decodes one request as gateway `name`; the gateway's routes and whether it decoded.
fn decode_as(
    name: &str,
    config: &dalal::config::Config,
    method: &str,
    path_and_query: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> (&'static [dalal::gateway::Route], bool) {
    let method = method.parse().unwrap();
    let request =
        dalal::gateway::WireRequest::simulated(method, path_and_query, content_type, body.to_vec());
    let (routes, decoded) =
        dalal::gateway::decode_ussd(name, config, &request).expect("a USSD gateway");
    (routes, decoded.is_ok())
}

/// Field names the JSON gateways read (their own spellings), mixed with junk.
const FIELD_NAMES: &str = "SessionId|Mobile|ServiceCode|Type|Message|Operator|Sequence|ClientState|USERID|MSISDN|USERDATA|MSGTYPE|NETWORK|SESSIONID|sessionID|userID|newSession|msisdn|userData|network|shortCode|text|sessionId|messageType|serviceCode|ussdString|[a-z]{1,6}";

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,40}".prop_map(Value::String),
        "[0-9+ ]{0,16}".prop_map(Value::String),
        prop::collection::vec(any::<u8>(), 0..3).prop_map(Value::from),
        Just(serde_json::json!({"a": 1})),
    ]
}

fn input_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (0u8..10).prop_map(|d| d.to_string()),
        2 => Just("0".to_string()),
        2 => Just("00".to_string()),
        2 => Just("98".to_string()),
        1 => "[0-9]{4,11}",
        1 => "RC[0-9]{9,11}",
        1 => ".{0,40}",
        1 => "[*#' ;-]{0,10}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    #[test]
    fn random_sessions_stay_consistent_and_within_budget(
        lang in prop::sample::select(vec!["fr", "wo", "sw", "en"]),
        inputs in prop::collection::vec(input_strategy(), 1..30),
        seed in any::<u64>(),
    ) {
        let (menu, catalog) = shipped();
        let engine = Engine::new(&menu, &catalog, Profile::USSD);
        let mut rng = seed;
        let mut pick = move |n: usize| {
            rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            if n == 0 { 0 } else { ((rng >> 33) as usize) % n }
        };
        let (state, step) = engine.start(lang, BTreeMap::new());
        let (mut state, mut page, mut ended) = settle(&engine, state, step, &mut pick);
        for input in inputs {
            prop_assert!(PageBudget::USSD.fits(&page), "over budget: {page:?}");
            prop_assert!(state.pending.is_none(), "a shown screen has no pending action");
            let node = menu.node(&state.screen);
            prop_assert!(node.is_some_and(|n| !n.is_action()), "the caller always looks at a screen");
            if ended {
                break;
            }
            let (next, step) = engine.input(state, &input);
            (state, page, ended) = settle(&engine, next, step, &mut pick);
            prop_assert!(!page.is_empty());
            prop_assert!(state.back.iter().all(|s| menu.node(s).is_some_and(|n| !n.is_action())));
        }
    }

    #[test]
    fn gateway_parsers_never_panic(body in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = africastalking::parse_ussd(&body);
        let _ = africastalking::parse_event(&body);
        let _ = at_voice::parse(&body, None);
        let _ = at_voice::parse(&body, Some("noinput"));
        let _ = twiml::parse(&body, None);
        if let Ok(pairs) = twiml::form_pairs(&body) {
            let _ = twiml::signature("token", "https://ivr.example.org/voice/twilio", &pairs);
            let _ = vxml::parse(&pairs, || "new".to_string());
        }
    }

    #[test]
    fn every_ussd_gateway_refuses_junk_without_panicking(
        body in prop::collection::vec(any::<u8>(), 0..512),
        query in "[A-Za-z_=&%0-9*#+]{0,80}",
    ) {
        let config = dalal::config::Config::default();
        for name in dalal::gateway::ussd_gateway_names() {
            let (routes, _) = decode_as(name, &config, "POST", "/", None, &body);
            for route in routes {
                let path = route.path.replace(['{', '}'], "");
                for content_type in ["application/json", "application/x-www-form-urlencoded"] {
                    decode_as(name, &config, "POST", &path, Some(content_type), &body);
                }
                decode_as(name, &config, "GET", &format!("{path}?{query}"), None, &[]);
            }
        }
    }

    #[test]
    fn every_json_gateway_survives_any_value_in_any_field(
        fields in prop::collection::vec((FIELD_NAMES, json_value()), 0..10),
    ) {
        let config = dalal::config::Config::default();
        let body = serde_json::Value::Object(fields.into_iter().map(|(k, v)| (k.to_string(), v)).collect()).to_string();
        for name in dalal::gateway::ussd_gateway_names() {
            let (routes, _) = decode_as(name, &config, "POST", "/", None, &[]);
            for route in routes {
                let path = route.path.replace(['{', '}'], "");
                decode_as(name, &config, "POST", &path, Some("application/json"), body.as_bytes());
            }
        }
    }

    #[test]
    fn voicexml_parser_never_panics(
        pairs in prop::collection::vec(("[a-zA-Z_]{0,12}", ".{0,40}"), 0..8),
    ) {
        let _ = vxml::parse(&pairs, || "new".to_string());
    }

    #[test]
    fn gateway_parser_accepts_every_well_formed_hop(
        session in "[A-Za-z0-9_-]{1,64}",
        digits in "[1-9][0-9]{7,13}",
        text in "([0-9]{1,6}(\\*[0-9]{1,6}){0,8})?",
    ) {
        let body = format!("sessionId={session}&serviceCode=%2A123%23&phoneNumber=%2B{digits}&networkCode=63902&text={}", text.replace('*', "%2A"));
        let hop = africastalking::parse_ussd(body.as_bytes()).unwrap();
        prop_assert_eq!(hop.text, text);
        prop_assert_eq!(hop.phone, format!("+{digits}"));
    }

    #[test]
    fn menu_loader_never_panics(yaml in ".{0,400}") {
        let _ = Menu::from_sources(&[(PathBuf::from("fuzz.yaml"), yaml)]);
    }

    #[test]
    fn menu_loader_survives_mutated_menus(cut in 0usize..4000, junk in "[ :{}\\[\\]\\-a-z0-9\n]{0,12}") {
        let text = std::fs::read_to_string("menus/main.yaml").unwrap();
        let cut = cut.min(text.len());
        let cut = (0..=cut).rev().find(|i| text.is_char_boundary(*i)).unwrap();
        let mutated = format!("{}{junk}{}", &text[..cut], &text[cut..]);
        let _ = Menu::from_sources(&[(PathBuf::from("mutated.yaml"), mutated)]);
    }
}
