//! `dalal check`: everything that can be wrong in menus and translations, found before it goes
//! live, each problem as a `file:line: message` line.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use chrono::{NaiveDate, TimeZone, Utc};

use crate::actions::{self, ActionSpec, VarKind};
use crate::engine::page::{Nav, Screen};
use crate::engine::{self, Engine, Item, Profile, State, Value};
use crate::i18n::Catalog;
use crate::menu::model::{InputKind, InputSpec, Menu, Next, Node};

/// One problem, located.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    pub location: String,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

struct Checker<'a> {
    menu: &'a Menu,
    catalog: &'a Catalog,
    /// Every variable something in the menu sets, wherever it is (the check does not follow
    /// paths: a variable set on one branch counts for all).
    set_vars: BTreeSet<&'a str>,
    /// Every list an action of the menu fills.
    filled_lists: BTreeSet<&'static str>,
    problems: Vec<Problem>,
}

/// The actions a menu names that the server knows.
fn known_actions(menu: &Menu) -> impl Iterator<Item = &'static ActionSpec> + '_ {
    menu.nodes
        .values()
        .filter_map(|n| n.action.as_deref())
        .filter_map(actions::spec)
}

fn variables_set(menu: &Menu) -> BTreeSet<&str> {
    let mut vars: BTreeSet<&str> = actions::SESSION_VARS.iter().copied().collect();
    for node in menu.nodes.values() {
        vars.extend(node.input.iter().map(|i| i.var.as_str()));
        vars.extend(
            node.options
                .iter()
                .flat_map(|o| o.set.keys().map(String::as_str)),
        );
        vars.extend(
            node.list
                .iter()
                .filter_map(|l| l.select.as_ref())
                .map(|s| s.var.as_str()),
        );
    }
    vars.extend(known_actions(menu).flat_map(|s| s.sets.iter().copied()));
    vars
}

impl Checker<'_> {
    fn report(&mut self, node: &str, message: String) {
        self.problems.push(Problem {
            location: self.menu.where_is(node),
            message,
        });
    }

    fn message_ids(&mut self, node: &str, ids: &[&str]) {
        for id in ids {
            let missing: Vec<&str> = self
                .catalog
                .languages
                .iter()
                .filter(|l| !self.catalog.locale(l).is_some_and(|loc| loc.has(id)))
                .map(String::as_str)
                .collect();
            if missing.len() == self.catalog.languages.len() {
                self.report(node, format!("unknown message id '{id}'"));
            } else {
                for lang in missing {
                    self.report(
                        node,
                        format!("message '{id}' is missing in locale '{lang}' (locales/{lang}/)"),
                    );
                }
            }
        }
    }

    fn target(&mut self, node: &str, target: &str) {
        if self.menu.node(target).is_none() {
            self.report(node, format!("goes to unknown node '{target}'"));
        }
    }

    fn structure(&mut self) {
        let menu = self.menu;
        for special in [&menu.start, &menu.home] {
            if menu.node(special).is_none() {
                self.problems.push(Problem {
                    location: "menus".into(),
                    message: format!("start/home node '{special}' does not exist"),
                });
            }
        }
        for (id, node) in &menu.nodes {
            if let Some(action) = &node.action {
                self.action_node(id, node, action);
                continue;
            }
            let mut ids: Vec<&str> = Vec::new();
            match &node.text {
                Some(t) => ids.push(t),
                None => self.report(id, "screen has no `text`".into()),
            }
            // Keys count up from 1. A number may be skipped (a key kept for an option placed
            // elsewhere, or another's to come: a choice taken out, the others keep their keys), never reused nor out of
            // order: callers learn the keys by heart.
            let mut previous = 0;
            let counting_up = node.options.iter().all(|option| {
                let key = option.key.parse::<u32>().ok();
                let ok = key.is_some_and(|k| k > previous && option.key == k.to_string());
                previous = key.unwrap_or(u32::MAX);
                ok
            });
            if !counting_up {
                let keys: Vec<&str> = node.options.iter().map(|o| o.key.as_str()).collect();
                self.report(
                    id,
                    format!(
                        "option numbering: keys {} must go up (1, 2, 3...: a number may be skipped, none repeated)",
                        keys.join(", ")
                    ),
                );
            }
            for option in &node.options {
                ids.push(&option.label);
                self.target(id, &option.goto);
                if let Some(lang) = &option.label_lang
                    && !self.catalog.has_language(lang)
                {
                    self.report(
                        id,
                        format!(
                            "option {} is labelled in unshipped language '{lang}'",
                            option.key
                        ),
                    );
                }
            }
            if let Some(input) = &node.input {
                self.target(id, &input.goto);
                if input.min == 0 || input.min > input.max {
                    self.report(
                        id,
                        format!("input length {}..{} is empty", input.min, input.max),
                    );
                }
                self.input_kind(id, input);
            }
            let mut selectable = false;
            if let Some(list) = &node.list {
                ids.push(&list.item);
                if !self.filled_lists.contains(list.from.as_str()) {
                    self.report(
                        id,
                        format!("list '{}' is filled by no action of the menu", list.from),
                    );
                }
                if let Some(select) = &list.select {
                    selectable = true;
                    self.target(id, &select.goto);
                    if !node.options.is_empty() {
                        self.report(id, "a selectable list cannot share a screen with options (their numbers clash)".into());
                    }
                }
            }
            let way_forward = !node.options.is_empty() || node.input.is_some() || selectable;
            if !node.end && !way_forward {
                self.report(
                    id,
                    "dead end: screen has no options, no input and does not end the session".into(),
                );
            }
            if node.end && way_forward {
                self.report(id, "screen ends the session but offers choices".into());
            }
            self.message_ids(id, &ids);
        }
    }

    fn action_node(&mut self, id: &str, node: &Node, action: &str) {
        if node.text.is_some() || !node.options.is_empty() || node.input.is_some() {
            self.report(id, "an action node cannot also be a screen".into());
        }
        let Some(next) = &node.next else {
            self.report(id, format!("action '{action}' has no `next`: dead end"));
            return;
        };
        for t in next.targets() {
            self.target(id, t);
        }
        let Some(spec) = actions::spec(action) else {
            self.report(id, format!("unknown action '{action}'"));
            return;
        };
        if let Next::ByOutcome(map) = next {
            self.outcomes(id, spec, map);
        }
        for key in node.args.keys() {
            if !spec.args.contains(&key.as_str()) {
                self.report(id, format!("action '{action}' takes no argument '{key}'"));
            }
        }
        self.required_reads(id, spec);
    }

    fn required_reads(&mut self, id: &str, spec: &ActionSpec) {
        let unset = spec
            .reads
            .iter()
            .filter(|read| read.required && !self.set_vars.contains(read.var));
        let messages: Vec<String> = unset
            .map(|read| {
                format!(
                    "action '{}' reads variable '{}', which nothing in the menu sets",
                    spec.name, read.var
                )
            })
            .collect();
        for message in messages {
            self.report(id, message);
        }
    }

    /// An input must not let through what an action reading its variable cannot take (a
    /// meter number with symbols, letters where four digits are compared).
    fn input_kind(&mut self, id: &str, input: &InputSpec) {
        let readers = known_actions(self.menu).flat_map(|spec| {
            spec.reads
                .iter()
                .filter(|read| read.var == input.var)
                .map(move |read| (spec.name, read.kind))
        });
        let mismatches: BTreeSet<(&str, VarKind)> = readers
            .filter(|(_, kind)| !input_fits(input.kind, *kind))
            .collect();
        for (action, kind) in mismatches {
            self.report(
                id,
                format!(
                    "input '{}' takes {}, but action '{action}' reads it as {}",
                    input.var,
                    name_of(input.kind),
                    name_of(kind)
                ),
            );
        }
    }

    fn outcomes(&mut self, id: &str, spec: &ActionSpec, next: &BTreeMap<String, String>) {
        let action = spec.name;
        for o in spec.outcomes {
            if !next.contains_key(*o) {
                self.report(
                    id,
                    format!("outcome '{o}' of action '{action}' leads nowhere: dead end"),
                );
            }
        }
        for o in next.keys().filter(|o| !spec.gives(o)) {
            self.report(id, format!("action '{action}' has no outcome '{o}'"));
        }
    }

    fn reachability(&mut self) {
        let menu = self.menu;
        let mut seen = BTreeSet::new();
        let mut queue: VecDeque<&str> = VecDeque::from([menu.start.as_str(), menu.home.as_str()]);
        while let Some(id) = queue.pop_front() {
            if !seen.insert(id) {
                continue;
            }
            let Some(node) = menu.node(id) else { continue };
            let mut next: Vec<&str> = node.options.iter().map(|o| o.goto.as_str()).collect();
            next.extend(node.input.iter().map(|i| i.goto.as_str()));
            next.extend(
                node.list
                    .iter()
                    .filter_map(|l| l.select.as_ref())
                    .map(|s| s.goto.as_str()),
            );
            next.extend(node.next.iter().flat_map(|n| n.targets()));
            queue.extend(next);
        }
        for id in menu.nodes.keys() {
            if !seen.contains(id.as_str()) {
                self.report(
                    id,
                    format!("node '{id}' is unreachable from '{}'", menu.start),
                );
            }
        }
    }

    fn engine_messages(&mut self) {
        for id in engine::messages::ALL {
            for lang in &self.catalog.languages {
                if !self.catalog.locale(lang).is_some_and(|l| l.has(id)) {
                    self.problems.push(Problem {
                        location: format!("locales/{lang}"),
                        message: format!("message '{id}' (used by the engine) is missing"),
                    });
                }
            }
        }
    }

    fn budgets(&mut self, profile: Profile) {
        let engine = Engine::new(self.menu, self.catalog, profile);
        for (id, node) in &self.menu.nodes {
            if node.is_action() {
                continue;
            }
            for lang in self.catalog.languages.clone() {
                for state in worst_case_states(&lang, node.list.as_ref().map(|l| l.from.as_str())) {
                    let nav = Nav {
                        more: engine.catalog.text(
                            &lang,
                            engine::messages::NAV_MORE,
                            &BTreeMap::new(),
                        ),
                        back: engine.catalog.text(
                            &lang,
                            engine::messages::NAV_BACK,
                            &BTreeMap::new(),
                        ),
                    };
                    let footer = [nav.more.as_str(), nav.back.as_str()];
                    let error = (!node.end).then_some(engine::messages::INVALID);
                    let Screen { header, items } = engine.screen(&state, node, error);
                    for item in &items {
                        let page = [item.as_str()]
                            .iter()
                            .chain(footer.iter())
                            .copied()
                            .collect::<Vec<_>>()
                            .join("\n");
                        if !profile.budget.fits(&page) {
                            self.report(
                                id,
                                format!(
                                    "[{lang}] option/item cannot fit one page ({} units): {item:?}",
                                    units(&page)
                                ),
                            );
                        }
                    }
                    // A prompt must be readable on one page, with its error line and navigation.
                    if !node.end {
                        let mut lines: Vec<&str> = header.iter().map(String::as_str).collect();
                        lines.extend(items.first().map(String::as_str));
                        lines.extend(footer);
                        let page = lines.join("\n");
                        if !profile.budget.fits(&page) {
                            self.report(
                                id,
                                format!(
                                    "[{lang}] screen exceeds the page budget ({} units; {:?})",
                                    units(&page),
                                    crate::text::gsm7::encoding(&page)
                                ),
                            );
                        }
                    }
                }
            }
        }
    }
}

/// Whether everything an input accepts is a value of `kind`.
fn input_fits(input: InputKind, kind: VarKind) -> bool {
    match kind {
        VarKind::Digits => input == InputKind::Digits,
        VarKind::Code => matches!(input, InputKind::Digits | InputKind::Code),
        _ => true,
    }
}

/// `Digits` -> `digits`, as menus spell kinds.
fn name_of(kind: impl std::fmt::Debug) -> String {
    format!("{kind:?}").to_lowercase()
}

fn units(page: &str) -> usize {
    crate::text::gsm7::cost(page).1
}

/// States whose variables take their widest plausible values, once per value of each
/// enumerated variable (statuses, categories...), so every select variant is measured.
fn worst_case_states(lang: &str, list: Option<&str>) -> Vec<State> {
    let at = Utc.with_ymd_and_hms(2026, 12, 30, 23, 59, 0).unwrap();
    let date = NaiveDate::from_ymd_opt(2026, 12, 30).unwrap();
    let money = Value::Money {
        minor: 99_999_999_999,
        currency: "KES".into(),
    };
    let time = Value::Time {
        at,
        zone: "Africa/Nairobi".into(),
    };
    let text = |s: &str| Value::text(s);
    let base: BTreeMap<String, Value> = [
        (
            "period",
            Value::Period {
                year: 2026,
                month: 12,
            },
        ),
        ("amount", money.clone()),
        ("balance", money.clone()),
        ("paid", money.clone()),
        ("total_due", money.clone()),
        ("due", Value::Date(date)),
        ("sla", Value::Date(date)),
        ("updated", Value::Date(date)),
        ("start", time.clone()),
        ("end", time.clone()),
        ("restore", time.clone()),
        ("ref", Value::Reference("RC26120000001".into())),
        ("typed_ref", text("RC2612000000")),
        ("area", text("Kisumu Central West")),
        ("account_area", text("Kisumu Central West")),
        ("region", text("Nairobi Metropolitan")),
        ("account", text("SNE1000001")),
        ("phone", text("+254700000000")),
        ("count", Value::Number(99)),
        ("attempts_left", Value::Number(1)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    // A ticket's statuses, then an outage's (`resolved` is both).
    let mut statuses: Vec<&str> = crate::contracts::TicketStatus::NAMES.to_vec();
    for status in crate::contracts::OutageStatus::NAMES {
        if !statuses.contains(status) {
            statuses.push(status);
        }
    }
    let enums: &[(&str, &[&str])] = &[
        ("bill_status", &["paid", "unpaid", "partially_paid"]),
        ("overdue", &["no", "yes"]),
        (
            "restoration",
            &["expected", "delayed", "unknown", "restored"],
        ),
        ("status", &statuses),
        ("category", &crate::domain::TICKET_CATEGORIES),
        ("service", crate::contracts::Service::NAMES),
        ("kind", crate::contracts::OutageKind::NAMES),
    ];
    let mut states = Vec::new();
    for (name, values) in enums {
        for value in *values {
            let mut vars = base.clone();
            for (other, other_values) in enums {
                vars.insert(other.to_string(), text(other_values[0]));
            }
            vars.insert(name.to_string(), text(value));
            let item: Item = vars.clone();
            let mut lists = BTreeMap::new();
            if let Some(list) = list {
                lists.insert(list.to_string(), vec![item; 12]);
            }
            states.push(State {
                lang: lang.to_string(),
                vars,
                lists,
                back: vec!["main".into()],
                ..Default::default()
            });
        }
    }
    states
}

/// Every problem in a menu with its translations, sorted by location.
pub fn check(menu: &Menu, catalog: &Catalog, profile: Profile) -> Vec<Problem> {
    let mut checker = Checker {
        menu,
        catalog,
        set_vars: variables_set(menu),
        filled_lists: known_actions(menu)
            .flat_map(|s| s.lists.iter().copied())
            .collect(),
        problems: Vec::new(),
    };
    checker.structure();
    checker.reachability();
    checker.engine_messages();
    checker.budgets(profile);
    checker.problems.sort();
    checker.problems.dedup();
    checker.problems
}

/// Voice checks on the menu itself. Spoken pages hold at most five choices (the engine
/// splits longer screens, `9` = more options), and every option must be reachable with one
/// key that voice does not reserve: `0` (agent), `9` (more), `*` (repeat), `#` (back). So a
/// screen may have options keyed 1-8, and a 9 only as its last option on a screen without a
/// list: the page saying it is the last (at most nine options, five a page), where `9` has
/// no more to show and chooses it. Any other key fails.
pub fn check_voice(menu: &Menu) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (id, node) in &menu.nodes {
        for (n, option) in node.options.iter().enumerate() {
            let last = n + 1 == node.options.len() && node.list.is_none();
            let reachable = option.key.len() == 1
                && (matches!(option.key.as_bytes()[0], b'1'..=b'8') || (option.key == "9" && last));
            if !reachable {
                problems.push(Problem {
                    location: menu.where_is(id),
                    message: format!(
                        "voice: option '{}' needs a key voice reserves or lacks (options 1-8, and 9 last: 9 more, 0 agent, * repeat, # back); split the screen",
                        option.key
                    ),
                });
            }
        }
    }
    problems
}

/// One concept of a language's glossary (`locales/<lang>/glossary.toml`): the one term its
/// messages use, and the variants that must not appear in any of its `.ftl` files.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Term {
    #[serde(rename = "use")]
    term: String,
    #[serde(default)]
    avoid: Vec<String>,
}

/// One term per concept: every message line (comments aside) of a language using a variant
/// its `glossary.toml` forbids, as `file:line` (whole words, case-insensitive). A language
/// without a glossary is not checked.
pub fn glossary(locales_dir: &std::path::Path) -> Vec<Problem> {
    let mut problems = Vec::new();
    let Ok(langs) = std::fs::read_dir(locales_dir) else {
        return problems;
    };
    let mut langs: Vec<_> = langs.flatten().map(|e| e.path()).collect();
    langs.sort();
    for dir in langs.iter().filter(|d| d.is_dir()) {
        let path = dir.join("glossary.toml");
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let terms: BTreeMap<String, Term> = match toml::from_str(&text) {
            Ok(t) => t,
            Err(e) => {
                problems.push(Problem {
                    location: path.display().to_string(),
                    message: format!("glossary: {}", e.message()),
                });
                continue;
            }
        };
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "ftl"))
            .collect();
        files.sort();
        for file in files {
            let Ok(text) = std::fs::read_to_string(&file) else {
                continue;
            };
            for (n, line) in text.lines().enumerate() {
                if line.trim_start().starts_with('#') {
                    continue;
                }
                for (concept, term) in &terms {
                    for variant in term.avoid.iter().filter(|v| has_word(line, v)) {
                        problems.push(Problem {
                            location: format!("{}:{}", file.display(), n + 1),
                            message: format!(
                                "glossary: '{variant}' for {concept}: say '{}' ({})",
                                term.term,
                                path.display()
                            ),
                        });
                    }
                }
            }
        }
    }
    problems
}

/// Whether `word` occurs in `line` as a whole word (or words), case-insensitively.
fn has_word(line: &str, word: &str) -> bool {
    let (line, word) = (line.to_lowercase(), word.to_lowercase());
    if word.is_empty() {
        return false;
    }
    line.match_indices(&word).any(|(at, _)| {
        let before = line[..at].chars().next_back();
        let after = line[at + word.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

#[cfg(test)]
mod voice_tests {
    use super::check_voice;
    use crate::menu::model::Menu;

    fn menu(options: &str, list: bool) -> Menu {
        let list = if list {
            "\n    list: { from: tickets, item: ticket-item }"
        } else {
            ""
        };
        let yaml = format!(
            "start: main\nhome: main\nnodes:\n  main:\n    text: main-title{list}\n    options:\n{options}\n  done:\n    text: no-bill\n    end: true\n"
        );
        Menu::from_sources(&[("menus/main.yaml".into(), yaml)]).expect("a menu")
    }

    fn option(key: &str) -> String {
        format!("      - {{ key: \"{key}\", label: main-bill, goto: done }}\n")
    }

    #[test]
    fn nine_is_a_choice_only_as_the_last_option_of_a_screen_without_a_list() {
        let keys = |keys: &[&str], list: bool| {
            let options: String = keys.iter().map(|k| option(k)).collect();
            check_voice(&menu(&options, list))
        };
        assert!(keys(&["1", "2", "3", "4", "5", "6", "7", "9"], false).is_empty());
        assert!(keys(&["1", "2", "3", "4", "5", "6", "7", "8", "9"], false).is_empty());
        assert_eq!(
            keys(&["1", "9"], true).len(),
            1,
            "after a list of any length"
        );
        assert_eq!(keys(&["9", "10"], false).len(), 2, "9 not last, and 10");
        assert_eq!(keys(&["1", "*"], false).len(), 1);
    }
}

#[cfg(test)]
mod glossary_tests {
    use super::has_word;

    #[test]
    fn variants_match_whole_words_only() {
        assert!(has_word("Waxal sa jàmbat ginnaaw", "jàmbat"));
        assert!(has_word("Jàmbat bi", "jàmbat"));
        assert!(has_word("Limu: { $ref }", "Limu"));
        assert!(!has_word("Limuwaay", "Limu"));
        assert!(!has_word("Ref { $ref }", "Limu"));
        assert!(!has_word("anything", ""));
    }
}
