//! The menu engine: pure. `state + input -> new state + reply`, or a request for an action the
//! server performs (a CRM read or write) whose result resumes the engine. No I/O happens here,
//! so the whole menu logic is tested without a database or a network.

pub mod page;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::i18n::Catalog;
use crate::menu::model::{InputKind, InputSpec, Menu, Node};
use crate::text::gsm7::{self, PageBudget};
pub use crate::value::Value;
use page::{Nav, Screen};

/// Fields of one list item (e.g. one ticket); `id` identifies it when the caller picks it.
pub type Item = BTreeMap<String, Value>;

/// Navigation keys, the same on every screen.
pub const KEY_BACK: &str = "0";
pub const KEY_HOME: &str = "00";
pub const KEY_MORE: &str = "98";

/// Everything a session remembers between hops. Serializable so any session store can hold it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub lang: String,
    /// The screen the caller is looking at.
    pub screen: String,
    /// The action node waiting for its result, if any.
    pub pending: Option<String>,
    pub page: usize,
    /// Screens to return to with `0`, most recent last.
    pub back: Vec<String>,
    pub vars: BTreeMap<String, Value>,
    pub lists: BTreeMap<String, Vec<Item>>,
    /// Every node entered, in order (the interaction log's "path taken").
    pub path: Vec<String>,
    pub ended: bool,
}

/// A server action the engine needs performed before it can go on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionRequest {
    /// The action node (part of idempotency keys: one ticket per session and node).
    pub node: String,
    pub name: String,
    pub args: BTreeMap<String, String>,
}

/// What an action found or did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActionResult {
    pub outcome: String,
    pub vars: BTreeMap<String, Value>,
    pub lists: BTreeMap<String, Vec<Item>>,
    /// A new session language (after the caller chose one).
    pub lang: Option<String>,
}

impl ActionResult {
    pub fn outcome(outcome: &str) -> Self {
        ActionResult {
            outcome: outcome.to_string(),
            ..Default::default()
        }
    }

    pub fn var(mut self, name: &str, value: Value) -> Self {
        self.vars.insert(name.to_string(), value);
        self
    }

    pub fn list(mut self, name: &str, items: Vec<Item>) -> Self {
        self.lists.insert(name.to_string(), items);
        self
    }
}

/// One rendered page for the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub text: String,
    /// The session is over after this page.
    pub end: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Show(Reply),
    Act(ActionRequest),
}

/// How a channel measures and spells a page.
#[derive(Debug, Clone, Copy)]
pub struct Profile {
    /// Characters per USSD page.
    pub budget: PageBudget,
    /// Choices per page when set: a spoken menu offers at most this many before "more options"
    /// (voice); the character budget is then not applied.
    pub max_choices: Option<usize>,
    /// Spell pages in GSM-7 only, to keep the 182-character budget.
    pub transliterate: bool,
}

impl Profile {
    pub const USSD: Profile = Profile {
        budget: PageBudget::USSD,
        max_choices: None,
        transliterate: false,
    };
    /// Spoken menus: at most five choices at a time (ISO/IEC 13714 and field studies).
    pub const VOICE: Profile = Profile {
        budget: PageBudget::USSD,
        max_choices: Some(5),
        transliterate: false,
    };
}

/// Message ids the engine itself uses, besides those the menu names.
pub mod messages {
    pub const INVALID: &str = "error-invalid-choice";
    pub const MENU_ERROR: &str = "error-menu";
    pub const NAV_MORE: &str = "nav-more";
    pub const NAV_BACK: &str = "nav-back";
    /// Said by the server, not the menu: a store is down, a session is unknown, input too long.
    pub const UNAVAILABLE: &str = "error-unavailable";
    pub const SESSION_EXPIRED: &str = "error-session-expired";
    pub const INPUT_TOO_LONG: &str = "error-input-too-long";
    pub const RATE_LIMITED: &str = "error-rate-limited";
    pub const ALL: [&str; 8] = [
        RATE_LIMITED,
        INVALID,
        MENU_ERROR,
        NAV_MORE,
        NAV_BACK,
        UNAVAILABLE,
        SESSION_EXPIRED,
        INPUT_TOO_LONG,
    ];
}

pub struct Engine<'a> {
    pub menu: &'a Menu,
    pub catalog: &'a Catalog,
    pub profile: Profile,
}

impl<'a> Engine<'a> {
    pub fn new(menu: &'a Menu, catalog: &'a Catalog, profile: Profile) -> Self {
        Engine {
            menu,
            catalog,
            profile,
        }
    }

    /// A new session in `lang`, entering the menu's start node.
    pub fn start(&self, lang: &str, vars: BTreeMap<String, Value>) -> (State, Step) {
        let state = State {
            lang: lang.to_string(),
            vars,
            ..Default::default()
        };
        let start = self.menu.start.clone();
        self.enter(state, &start)
    }

    /// The caller typed `input` on the current screen.
    pub fn input(&self, mut state: State, input: &str) -> (State, Step) {
        let input = input.trim();
        let Some(node) = self.menu.node(&state.screen) else {
            return self.menu_error(state);
        };
        if state.pending.is_some() || state.ended {
            return self.show(state, None);
        }
        match input {
            KEY_HOME => {
                state.back.clear();
                let home = self.menu.home.clone();
                return self.enter(state, &home);
            }
            KEY_MORE if state.page + 1 < self.pages(&state, node, None).len() => {
                state.page += 1;
                return self.show(state, None);
            }
            KEY_BACK if state.page > 0 => {
                state.page -= 1;
                return self.show(state, None);
            }
            KEY_BACK if !state.back.is_empty() => {
                let previous = state.back.pop().expect("checked non-empty");
                state.screen = previous.clone();
                state.page = 0;
                state.path.push(previous);
                return self.show(state, None);
            }
            _ => {}
        }
        if let Some(option) = node.options.iter().find(|o| o.key == input) {
            for (name, value) in &option.set {
                state.vars.insert(name.clone(), Value::text(value));
            }
            let goto = option.goto.clone();
            return self.enter(state, &goto);
        }
        if let Some(select) = node.list.as_ref().and_then(|l| {
            let choice = input.parse::<usize>().ok()?;
            let select = l.select.as_ref()?;
            let item = state.lists.get(&l.from)?.get(choice.checked_sub(1)?)?;
            Some((select, item.get("id")?.clone()))
        }) {
            let (spec, id) = select;
            state.vars.insert(spec.var.clone(), id);
            let goto = spec.goto.clone();
            return self.enter(state, &goto);
        }
        if let Some(spec) = &node.input
            && accepts(spec, input)
        {
            state.vars.insert(spec.var.clone(), Value::text(input));
            let goto = spec.goto.clone();
            return self.enter(state, &goto);
        }
        self.show(state, Some(messages::INVALID))
    }

    /// The server performed the pending action; go where its outcome leads.
    pub fn resume(&self, mut state: State, result: ActionResult) -> (State, Step) {
        let Some(pending) = state.pending.take() else {
            return self.show(state, None);
        };
        if let Some(lang) = result.lang {
            state.lang = lang;
        }
        state.vars.extend(result.vars);
        state.lists.extend(result.lists);
        let target = self
            .menu
            .node(&pending)
            .and_then(|n| n.next.as_ref())
            .and_then(|next| next.target(&result.outcome))
            .map(str::to_string);
        match target {
            Some(target) => self.enter(state, &target),
            None => self.menu_error(state),
        }
    }

    fn enter(&self, mut state: State, id: &str) -> (State, Step) {
        let Some(node) = self.menu.node(id) else {
            return self.menu_error(state);
        };
        state.path.push(id.to_string());
        if let Some(action) = &node.action {
            state.pending = Some(id.to_string());
            let request = ActionRequest {
                node: id.to_string(),
                name: action.clone(),
                args: node.args.clone(),
            };
            return (state, Step::Act(request));
        }
        if id == self.menu.home {
            state.back.clear();
        } else if let Some(position) = state.back.iter().position(|s| s == id) {
            state.back.truncate(position);
        } else if !state.screen.is_empty() && state.screen != id {
            let current = std::mem::take(&mut state.screen);
            state.back.push(current);
        }
        state.screen = id.to_string();
        state.page = 0;
        state.ended = node.end;
        self.show(state, None)
    }

    fn menu_error(&self, mut state: State) -> (State, Step) {
        state.ended = true;
        state.pending = None;
        let text = self
            .catalog
            .text(&state.lang, messages::MENU_ERROR, &state.vars);
        (
            state,
            Step::Show(Reply {
                text: self.spell(text),
                end: true,
            }),
        )
    }

    fn spell(&self, text: String) -> String {
        if self.profile.transliterate {
            gsm7::transliterate(&text)
        } else {
            text
        }
    }

    /// The screen of `node` as lines, before pagination.
    pub fn screen(&self, state: &State, node: &Node, error: Option<&str>) -> Screen {
        let lang = state.lang.as_str();
        let mut header = Vec::new();
        if let Some(error) = error {
            header.push(self.catalog.text(lang, error, &state.vars));
        }
        if let Some(text) = &node.text {
            let body = self.catalog.text(lang, text, &state.vars);
            header.extend(body.lines().map(str::to_string));
        }
        let mut items = Vec::new();
        if let Some(list) = &node.list {
            let empty = Vec::new();
            let entries = state.lists.get(&list.from).unwrap_or(&empty);
            for (n, item) in entries.iter().enumerate() {
                let mut args = state.vars.clone();
                args.extend(item.iter().map(|(k, v)| (k.clone(), v.clone())));
                let line = self.catalog.text(lang, &list.item, &args);
                items.push(match list.select {
                    Some(_) => format!("{}. {line}", n + 1),
                    None => line,
                });
            }
        }
        for option in &node.options {
            let label_lang = option.label_lang.as_deref().unwrap_or(lang);
            let label = self.catalog.text(label_lang, &option.label, &state.vars);
            items.push(format!("{}. {label}", option.key));
        }
        let spell = |lines: Vec<String>| lines.into_iter().map(|l| self.spell(l)).collect();
        Screen {
            header: spell(header),
            items: spell(items),
        }
    }

    fn nav(&self, lang: &str) -> Nav {
        let none = BTreeMap::new();
        Nav {
            more: self.spell(self.catalog.text(lang, messages::NAV_MORE, &none)),
            back: self.spell(self.catalog.text(lang, messages::NAV_BACK, &none)),
        }
    }

    fn pages(&self, state: &State, node: &Node, error: Option<&str>) -> Vec<String> {
        let screen = self.screen(state, node, error);
        let can_go_back = !node.end && !state.back.is_empty();
        let nav = self.nav(&state.lang);
        match self.profile.max_choices {
            Some(per_page) => page::paginate_choices(&screen, &nav, per_page, can_go_back),
            None => page::paginate(&screen, &nav, &self.profile.budget, can_go_back),
        }
    }

    /// Renders the current page of the current screen (with an error line on top, if any).
    pub fn show(&self, mut state: State, error: Option<&str>) -> (State, Step) {
        let Some(node) = self.menu.node(&state.screen) else {
            return self.menu_error(state);
        };
        let pages = self.pages(&state, node, error);
        state.page = state.page.min(pages.len() - 1);
        let last = state.page + 1 == pages.len();
        let reply = Reply {
            text: pages[state.page].clone(),
            end: node.end && last,
        };
        state.ended = reply.end;
        (state, Step::Show(reply))
    }
}

/// Whether typed text is acceptable for an input field.
fn accepts(spec: &InputSpec, input: &str) -> bool {
    let length = input.chars().count();
    let charset_ok = match spec.kind {
        InputKind::Digits => input.bytes().all(|b| b.is_ascii_digit()),
        InputKind::Code => input.chars().all(|c| c.is_ascii_alphanumeric()),
        InputKind::Text => !input.chars().any(char::is_control),
    };
    charset_ok && length >= spec.min && length <= spec.max
}

/// One thing a spoken screen says: a message in a language with its arguments, and the key
/// that chooses it, if any. Voice channels speak these ("to check your bill, press 1")
/// instead of the USSD text.
#[derive(Debug, Clone, PartialEq)]
pub struct SpokenItem {
    pub key: Option<String>,
    pub message: String,
    pub lang: String,
    pub args: BTreeMap<String, Value>,
}

/// The current page of the current screen, as parts a voice channel renders itself.
#[derive(Debug, Clone, PartialEq)]
pub struct SpokenScreen {
    /// Error message id said first (e.g. invalid choice).
    pub error: Option<String>,
    /// The screen's text (first page only).
    pub text: Option<SpokenItem>,
    /// Options and list lines of this page.
    pub items: Vec<SpokenItem>,
    /// The screen takes typed input (several digits) rather than a single-key choice.
    pub takes_input: bool,
    /// A later page exists (`98`).
    pub more: bool,
    /// `0` goes somewhere (a previous page or screen).
    pub can_go_back: bool,
    /// The session ends after this page.
    pub end: bool,
}

impl Engine<'_> {
    /// The current page as spoken parts, paginated like `show` with `profile.max_choices`
    /// items per page (all items on one page when unset). Pure, like the rest of the engine.
    pub fn spoken(&self, state: &State, error: Option<&str>) -> Option<SpokenScreen> {
        let node = self.menu.node(&state.screen)?;
        let lang = state.lang.as_str();
        let mut items = Vec::new();
        if let Some(list) = &node.list {
            let empty = Vec::new();
            for (n, item) in state
                .lists
                .get(&list.from)
                .unwrap_or(&empty)
                .iter()
                .enumerate()
            {
                let mut args = state.vars.clone();
                args.extend(item.iter().map(|(k, v)| (k.clone(), v.clone())));
                items.push(SpokenItem {
                    key: list.select.as_ref().map(|_| (n + 1).to_string()),
                    message: list.item.clone(),
                    lang: lang.to_string(),
                    args,
                });
            }
        }
        for option in &node.options {
            items.push(SpokenItem {
                key: Some(option.key.clone()),
                message: option.label.clone(),
                lang: option
                    .label_lang
                    .clone()
                    .unwrap_or_else(|| lang.to_string()),
                args: state.vars.clone(),
            });
        }
        let per_page = self.profile.max_choices.unwrap_or(usize::MAX).max(1);
        let pages = items.len().div_ceil(per_page).max(1);
        let page = state.page.min(pages - 1);
        let items: Vec<SpokenItem> = items
            .into_iter()
            .skip(page * per_page)
            .take(per_page)
            .collect();
        let text = (page == 0)
            .then(|| node.text.clone())
            .flatten()
            .map(|message| SpokenItem {
                key: None,
                message,
                lang: lang.to_string(),
                args: state.vars.clone(),
            });
        let selectable = node.list.as_ref().is_some_and(|l| l.select.is_some());
        Some(SpokenScreen {
            error: error.map(str::to_string),
            text,
            items,
            takes_input: node.input.is_some() && node.options.is_empty() && !selectable,
            more: page + 1 < pages,
            can_go_back: !node.end && (!state.back.is_empty() || page > 0),
            end: node.end && page + 1 == pages,
        })
    }

    /// Whether `input` would be understood on the current screen (a key, a navigation key
    /// that leads somewhere, a list choice or acceptable typed input), without acting on it.
    pub fn understands(&self, state: &State, input: &str) -> bool {
        let input = input.trim();
        let Some(node) = self.menu.node(&state.screen) else {
            return false;
        };
        match input {
            KEY_HOME => return true,
            KEY_MORE if state.page + 1 < self.pages(state, node, None).len() => return true,
            KEY_BACK if state.page > 0 || !state.back.is_empty() => return true,
            _ => {}
        }
        if node.options.iter().any(|o| o.key == input) {
            return true;
        }
        if let Some(list) = &node.list
            && list.select.is_some()
            && let Ok(choice) = input.parse::<usize>()
            && choice >= 1
            && state
                .lists
                .get(&list.from)
                .is_some_and(|l| choice <= l.len())
        {
            return true;
        }
        node.input.as_ref().is_some_and(|spec| accepts(spec, input))
    }
}
