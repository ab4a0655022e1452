//! The effects the engine asks for: CRM reads and writes, performed here and fed back to the
//! engine as outcomes and variables. Every write is keyed on the gateway session and the menu
//! node, so a retried hop never files a second ticket.
//!
//! Each action is one file holding its `SPEC` (what it reads, sets and writes, its outcomes)
//! next to its `perform` body; `dalal check` and the runner read the specs, so a menu can
//! only name what an action really gives. Adding an action = its file: the build lists every
//! file here that declares a `SPEC` (`build.rs`).

pub mod spec;

use std::collections::BTreeMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::contracts::{OutageStatus, TicketStatus};
use crate::domain::{Account, Area, Outage, Ticket};
use crate::engine::{ActionRequest, ActionResult, Item, State, Value};
use crate::i18n::Catalog;
use crate::store::{CrmStore, SessionStore, StoreResult};
pub use spec::{ActionSpec, VarKind, VarRead};

/// Declares the action modules, their spec table and the dispatch by name, from one list.
macro_rules! registry {
    ($($action:ident = $source:literal),+ $(,)?) => {
        $(#[path = $source] pub mod $action;)+

        static SPECS: &[ActionSpec] = &[$($action::SPEC),+];

        // A spec naming another action would dispatch one body under another's contract.
        $(const _: () = assert!(
            spec::same_name($action::SPEC.name, stringify!($action)),
            "an action's SPEC.name differs from its file name"
        );)+

        // The generated `Outcome` enums are read from the specs' text: a reading that drifted
        // from the SPEC itself must not build.
        $(const _: () = assert!(
            spec::same_names(&outcomes::$action::Outcome::NAMES, $action::SPEC.outcomes),
            "an action's Outcome enum differs from its SPEC.outcomes"
        );)+

        /// Each action with the names of its `Outcome` variants, for the tests.
        #[cfg(test)]
        static OUTCOME_NAMES: &[(&str, &[&str])] =
            &[$((stringify!($action), &outcomes::$action::Outcome::NAMES)),+];

        async fn dispatch(
            actions: &Actions<'_>,
            request: &ActionRequest,
            state: &State,
            caller: &Caller<'_>,
        ) -> Option<StoreResult<ActionResult>> {
            Some(match request.name.as_str() {
                // `perform` must give its own `Outcome`: any other type does not build.
                $(stringify!($action) => $action::perform(actions, request, state, caller)
                    .await
                    .map(Done::<outcomes::$action::Outcome>::into_result),)+
                _ => return None,
            })
        }
    };
}

// One entry per file of this folder declaring `pub const SPEC: ActionSpec` (see build.rs).
include!(concat!(env!("OUT_DIR"), "/actions.rs"));

/// Each action's `Outcome` enum, generated from its `SPEC.outcomes` (see build.rs).
pub mod outcomes {
    use super::ActionOutcome;
    include!(concat!(env!("OUT_DIR"), "/outcomes.rs"));
}

/// An action's outcome: one of the names its `SPEC` lists (its generated `Outcome` enum).
/// An outcome its SPEC does not list has no variant, and the registry's dispatch takes only
/// the action's own `Outcome`, so neither builds:
///
/// ```
/// use dalal::actions::{Done, outcomes};
/// let _: Done<outcomes::find_meter::Outcome> = Done::new(outcomes::find_meter::Outcome::NotFound);
/// ```
///
/// ```compile_fail
/// // `find_meter` gives `ok` or `not_found`.
/// let _ = dalal::actions::outcomes::find_meter::Outcome::Filed;
/// ```
///
/// ```compile_fail
/// use dalal::actions::{Done, outcomes};
/// let _: Done<outcomes::find_meter::Outcome> = Done::new(outcomes::file_complaint::Outcome::Filed);
/// ```
pub trait ActionOutcome: Copy + std::fmt::Debug {
    fn as_str(self) -> &'static str;
}

/// What an action gives back before the engine sees it: like `ActionResult`, but its outcome
/// is the action's own `Outcome`, so an outcome the SPEC does not list does not build.
#[derive(Debug, Clone, PartialEq)]
pub struct Done<O> {
    pub outcome: O,
    pub vars: BTreeMap<String, Value>,
    pub lists: BTreeMap<String, Vec<Item>>,
    /// A new session language (after the caller chose one).
    pub lang: Option<String>,
}

impl<O: ActionOutcome> Done<O> {
    pub fn new(outcome: O) -> Self {
        Done {
            outcome,
            vars: BTreeMap::new(),
            lists: BTreeMap::new(),
            lang: None,
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

    /// What the engine resumes with.
    pub fn into_result(self) -> ActionResult {
        ActionResult {
            outcome: self.outcome.as_str().to_string(),
            vars: self.vars,
            lists: self.lists,
            lang: self.lang,
        }
    }
}

/// Every action the server knows.
pub fn specs() -> &'static [ActionSpec] {
    SPECS
}

/// The spec of the action called `name`.
pub fn spec(name: &str) -> Option<&'static ActionSpec> {
    SPECS.iter().find(|s| s.name == name)
}

/// Variables every runner puts in a new session, before the menu's start node.
pub const SESSION_VARS: &[&str] = &["phone"];

/// Variables that may name the account a session is about, most trusted first: the
/// caller's own, then one proven by verification, then one found from a meter number.
const ACCOUNT_VARS: [&str; 3] = ["account", "verified_account", "located_account"];

/// The account a session is about (for the interaction log and recorded complaints).
pub fn session_account(state: &State) -> Option<&str> {
    ACCOUNT_VARS
        .iter()
        .filter_map(|name| text_var(state, name))
        .find(|account| !account.is_empty())
}

/// Each area's outage list, cached for a short time so a storm of callers asking "outages in
/// my area" costs one query per area every few seconds, not one per caller.
pub struct AreaOutageCache {
    ttl: std::time::Duration,
    entries: std::sync::Mutex<std::collections::HashMap<String, (std::time::Instant, Vec<Outage>)>>,
}

impl AreaOutageCache {
    pub fn new(ttl: std::time::Duration) -> Self {
        AreaOutageCache {
            ttl,
            entries: Default::default(),
        }
    }

    fn get(&self, area_code: &str) -> Option<Vec<Outage>> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(area_code)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, outages)| outages.clone())
    }

    fn put(&self, area_code: &str, outages: Vec<Outage>) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.retain(|_, (at, _)| at.elapsed() < self.ttl);
        entries.insert(area_code.to_string(), (std::time::Instant::now(), outages));
    }

    /// Drops an area's entry (a new suspected outage must be heard at once).
    pub fn forget(&self, area_code: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.remove(area_code);
    }
}

/// Who is asking, for keys and logs.
#[derive(Debug, Clone)]
pub struct Caller<'a> {
    pub phone: &'a str,
    pub channel: &'a str,
    pub gateway: &'a str,
    pub session_id: &'a str,
}

/// What the CRM said about the caller during this session: read once, kept in the session, so
/// the hops after the first do not ask the database again. (Within one session's few minutes,
/// a caller's accounts and the areas' names do not change in a way a screen should follow.)
/// Only what screens and filings use is kept: every live session carries it.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Known {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    accounts: Option<Vec<CallerAccount>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    areas: BTreeMap<String, Place>,
}

/// An account as a session keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallerAccount {
    pub account_no: String,
    /// `electricity` or `water`.
    pub service: String,
    pub area_code: String,
    pub language: Option<String>,
    /// The meter, and its tariff (a prepaid one buys tokens instead of receiving bills).
    #[serde(default)]
    pub meter_no: String,
    #[serde(default)]
    pub tariff: String,
}

impl CallerAccount {
    pub fn is_prepaid(&self) -> bool {
        crate::domain::is_prepaid_tariff(&self.tariff)
    }
}

impl From<&Account> for CallerAccount {
    fn from(account: &Account) -> Self {
        CallerAccount {
            account_no: account.account_no.clone(),
            service: account.service.clone(),
            area_code: account.area_code.clone(),
            language: account.language.clone(),
            meter_no: account.meter_no.clone(),
            tariff: account.tariff.clone(),
        }
    }
}

/// An area as a session keeps it: its name on screen, its country and zone for local times.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Place {
    pub name: String,
    pub country: String,
    /// The area's own IANA zone, when its data names one.
    #[serde(default)]
    pub timezone: Option<String>,
}

impl Place {
    /// The zone the area's clock reads (its own, else its country's).
    pub fn zone(&self) -> chrono_tz::Tz {
        crate::text::format::area_zone(&self.country, self.timezone.as_deref())
    }
}

impl From<&Area> for Place {
    fn from(area: &Area) -> Self {
        Place {
            name: area.name.clone(),
            country: area.country.clone(),
            timezone: area.timezone.clone(),
        }
    }
}

pub struct Actions<'a> {
    pub crm: &'a dyn CrmStore,
    /// The session's [`Known`] (a lock only because actions share it by reference).
    pub known: &'a Mutex<Known>,
    /// Outages per area, kept a few seconds: in a storm thousands of callers ask the same.
    pub area_cache: &'a AreaOutageCache,
    /// Shared by every instance: holds per-phone counters (wrong verification answers).
    pub sessions: &'a dyn SessionStore,
    pub catalog: &'a Catalog,
    pub config: &'a Config,
}

impl Actions<'_> {
    pub async fn perform(
        &self,
        request: &ActionRequest,
        state: &State,
        caller: &Caller<'_>,
    ) -> StoreResult<ActionResult> {
        match dispatch(self, request, state, caller).await {
            Some(result) => result,
            // `dalal check` refuses unknown actions; a menu changed behind its back gets here.
            None => {
                tracing::error!(action = %request.name, "menu names an unknown action");
                Ok(ActionResult::outcome("unknown_action"))
            }
        }
    }

    fn known(&self) -> std::sync::MutexGuard<'_, Known> {
        self.known.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The accounts the caller's phone may act for (read once per session).
    async fn caller_accounts(&self, phone: &str) -> StoreResult<Vec<CallerAccount>> {
        if let Some(accounts) = &self.known().accounts {
            return Ok(accounts.clone());
        }
        let accounts: Vec<CallerAccount> = self
            .crm
            .accounts_for_phone(phone)
            .await?
            .iter()
            .map(CallerAccount::from)
            .collect();
        self.known().accounts = Some(accounts.clone());
        Ok(accounts)
    }

    /// An account by number: one of the caller's, known already, or read.
    async fn account(&self, account_no: &str) -> StoreResult<Option<CallerAccount>> {
        let known = self.known().accounts.as_ref().and_then(|accounts| {
            accounts
                .iter()
                .find(|a| a.account_no == account_no)
                .cloned()
        });
        match known {
            Some(account) => Ok(Some(account)),
            None => Ok(self
                .crm
                .account(account_no)
                .await?
                .as_ref()
                .map(CallerAccount::from)),
        }
    }

    /// An area's name and country (read once per session).
    async fn area(&self, area_code: &str) -> StoreResult<Option<Place>> {
        if let Some(place) = self.known().areas.get(area_code) {
            return Ok(Some(place.clone()));
        }
        let place = self.crm.area(area_code).await?.as_ref().map(Place::from);
        if let Some(place) = &place {
            self.known()
                .areas
                .insert(area_code.to_string(), place.clone());
        }
        Ok(place)
    }

    /// The zone whose clock an account's customer reads (its area's; UTC when unknown).
    async fn account_zone(&self, account: Option<&CallerAccount>) -> StoreResult<chrono_tz::Tz> {
        let Some(account) = account else {
            return Ok(chrono_tz::Tz::UTC);
        };
        Ok(self
            .area(&account.area_code)
            .await?
            .map_or(chrono_tz::Tz::UTC, |place| place.zone()))
    }

    async fn area_name(&self, area_code: &str) -> StoreResult<String> {
        Ok(self
            .area(area_code)
            .await?
            .map(|a| a.name)
            .unwrap_or_else(|| area_code.to_string()))
    }
}

/// What a caller may be told of an outage's restoration at `now`: `restored` (resolved),
/// `delayed` (not restored and its expected end already past: never announce a past time as
/// to come), `unknown` (no expected end) or `expected` (an expected end still to come).
fn restoration(outage: &Outage, now: chrono::DateTime<chrono::Utc>) -> &'static str {
    if outage.status == OutageStatus::Resolved.as_str() {
        return "restored";
    }
    match outage.expected_end {
        None => "unknown",
        Some(end) if end <= now => "delayed",
        Some(_) => "expected",
    }
}

fn text_var<'s>(state: &'s State, name: &str) -> Option<&'s str> {
    state.vars.get(name).and_then(Value::as_text)
}

/// The account whose data this session may show: the caller's own, or one verified.
fn bill_account(state: &State) -> Option<&str> {
    text_var(state, "account")
        .or_else(|| text_var(state, "verified_account"))
        .filter(|a| !a.is_empty())
}

/// Idempotency key of a write: one per gateway session, menu node and `extra` (e.g. the
/// category), so a retried hop finds the row the first attempt wrote.
fn origin_key(caller: &Caller, request: &ActionRequest, extra: &str) -> String {
    format!(
        "{}:{}:{}:{extra}",
        caller.gateway, caller.session_id, request.node
    )
}

/// Variables every ticket-filing or ticket-finding action sets alike.
const TICKET_VARS: &[&str] = &["ref", "status", "category", "sla", "updated", "late"];

/// A ticket still pending past its SLA at `now`.
pub fn is_late(ticket: &Ticket, now: DateTime<Utc>) -> bool {
    ticket.status.parse().is_ok_and(TicketStatus::is_pending)
        && ticket.sla_due_at.is_some_and(|due| due < now)
}

/// Event kinds a screen phrases; any other reads as a generic update (`other`).
const PHRASED_EVENTS: [&str; 6] = [
    "created",
    "status",
    "escalated",
    "customer_reply",
    "customer_called_again",
    "note",
];

/// A ticket's latest event as screens show it: `event` (a phrased kind, or `other`),
/// `event_detail` (the new status of a `status` event, the level of an escalation; else
/// empty) and `event_at` (its date).
fn event_vars<O: ActionOutcome>(
    result: Done<O>,
    event: Option<&(DateTime<Utc>, String, Option<String>)>,
) -> Done<O> {
    let Some((at, kind, detail)) = event else {
        return result
            .var("event", Value::text("none"))
            .var("event_detail", Value::text(""))
            .var("event_at", Value::text("-"));
    };
    let kind = if PHRASED_EVENTS.contains(&kind.as_str()) {
        kind.as_str()
    } else {
        "other"
    };
    let detail = match kind {
        "status" | "escalated" => detail.as_deref().unwrap_or(""),
        _ => "",
    };
    result
        .var("event", Value::text(kind))
        .var("event_detail", Value::text(detail))
        .var("event_at", Value::Date(at.date_naive()))
}

fn ticket_vars<O: ActionOutcome>(result: Done<O>, ticket: &Ticket, now: DateTime<Utc>) -> Done<O> {
    let sla = ticket
        .sla_due_at
        .map(|t| Value::Date(t.date_naive()))
        .unwrap_or_else(|| Value::text("-"));
    result
        .var("ref", Value::Reference(ticket.ticket_ref.clone()))
        .var("status", Value::text(&ticket.status))
        .var("category", Value::text(&ticket.category))
        .var("sla", sla)
        .var("updated", Value::Date(ticket.updated_at.date_naive()))
        .var(
            "late",
            Value::text(if is_late(ticket, now) { "yes" } else { "no" }),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restoration_never_announces_a_past_time() {
        use chrono::TimeZone;
        let at = |d, h| chrono::Utc.with_ymd_and_hms(2026, 11, d, h, 0, 0).unwrap();
        let outage = |status: &str, end| Outage {
            outage_id: "OUT0001".into(),
            area_code: "SN-DKR-PKN".into(),
            service: "electricity".into(),
            kind: "unplanned".into(),
            starts_at: at(20, 6),
            expected_end: end,
            status: status.into(),
            cause: None,
        };
        let now = at(30, 12);
        assert_eq!(
            restoration(&outage("active", Some(at(20, 13))), now),
            "delayed"
        );
        assert_eq!(
            restoration(&outage("active", Some(at(30, 12))), now),
            "delayed"
        );
        assert_eq!(
            restoration(&outage("active", Some(at(30, 13))), now),
            "expected"
        );
        assert_eq!(restoration(&outage("suspected", None), now), "unknown");
        assert_eq!(
            restoration(&outage("resolved", Some(at(30, 13))), now),
            "restored"
        );
        assert_eq!(
            restoration(&outage("resolved", Some(at(20, 13))), now),
            "restored"
        );
    }

    fn state(vars: &[(&str, &str)]) -> State {
        State {
            vars: vars
                .iter()
                .map(|(k, v)| (k.to_string(), Value::text(*v)))
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn session_account_prefers_the_callers_own_and_skips_cleared_ones() {
        let all = state(&[
            ("account", "A1"),
            ("verified_account", "V1"),
            ("located_account", "L1"),
        ]);
        assert_eq!(session_account(&all), Some("A1"));
        let cleared = state(&[("account", ""), ("located_account", "L1")]);
        assert_eq!(session_account(&cleared), Some("L1"));
        assert_eq!(session_account(&state(&[("account", "")])), None);
        assert_eq!(session_account(&State::default()), None);
    }

    fn ticket(status: &str, sla: Option<&str>) -> Ticket {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        Ticket {
            ticket_ref: "RC261100001".into(),
            account_no: None,
            phone: None,
            category: "outage".into(),
            status: status.into(),
            channel: "ussd".into(),
            created_at: at("2026-11-01T08:00:00Z"),
            sla_due_at: sla.map(at),
            updated_at: at("2026-11-01T08:00:00Z"),
            note: None,
        }
    }

    #[test]
    fn a_pending_ticket_past_its_sla_is_late_and_no_other() {
        let now = DateTime::parse_from_rfc3339("2026-11-30T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let past = Some("2026-11-05T08:00:00Z");
        let future = Some("2026-12-05T08:00:00Z");
        assert!(is_late(&ticket("open", past), now));
        assert!(is_late(&ticket("in_progress", past), now));
        assert!(!is_late(&ticket("resolved", past), now));
        assert!(!is_late(&ticket("closed", past), now));
        assert!(!is_late(&ticket("open", future), now));
        assert!(!is_late(&ticket("open", None), now));
        // Due exactly now: not late yet.
        assert!(!is_late(&ticket("open", Some("2026-11-30T12:00:00Z")), now));
        let vars = ticket_vars(
            Done::new(outcomes::find_ticket::Outcome::Found),
            &ticket("open", past),
            now,
        )
        .vars;
        assert_eq!(vars["late"], Value::text("yes"));
    }

    #[test]
    fn latest_events_read_as_a_phrased_kind_or_a_generic_update() {
        let at = DateTime::parse_from_rfc3339("2026-11-20T09:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let vars = |kind: &str, detail: Option<&str>| {
            let event = (at, kind.to_string(), detail.map(str::to_string));
            event_vars(
                Done::new(outcomes::find_ticket::Outcome::Found),
                Some(&event),
            )
            .vars
        };
        let status = vars("status", Some("in_progress"));
        assert_eq!(status["event"], Value::text("status"));
        assert_eq!(status["event_detail"], Value::text("in_progress"));
        assert_eq!(status["event_at"], Value::Date(at.date_naive()));
        assert_eq!(
            vars("escalated", Some("2"))["event_detail"],
            Value::text("2")
        );
        // A created event's detail is the channel: not shown.
        assert_eq!(
            vars("created", Some("ussd"))["event_detail"],
            Value::text("")
        );
        assert_eq!(
            vars("sms_bounced", Some("x"))["event"],
            Value::text("other")
        );
        assert_eq!(
            vars("sms_bounced", Some("x"))["event_detail"],
            Value::text("")
        );
        let none = event_vars(Done::new(outcomes::find_ticket::Outcome::Found), None).vars;
        assert_eq!(none["event"], Value::text("none"));
    }

    #[test]
    fn every_action_has_a_spec_found_by_name() {
        let names: Vec<&str> = specs().iter().map(|s| s.name).collect();
        assert!(names.contains(&"file_recorded_complaint"), "{names:?}");
        for name in names {
            assert_eq!(spec(name).map(|s| s.name), Some(name));
        }
        assert!(spec("no_such_action").is_none());
    }

    #[test]
    fn each_actions_outcome_enum_is_its_spec_outcomes() {
        assert_eq!(OUTCOME_NAMES.len(), specs().len());
        for (action, names) in OUTCOME_NAMES {
            let spec = spec(action).expect("an action of the registry has a spec");
            assert_eq!(*names, spec.outcomes, "{action}");
        }
        assert_eq!(
            outcomes::find_area::Outcome::ALL.map(ActionOutcome::as_str),
            ["one", "several", "too_many", "none"]
        );
        let done = Done::new(outcomes::file_connection::Outcome::Already)
            .var("ref", Value::text("RC1"))
            .into_result();
        assert_eq!(done.outcome, "already");
        assert_eq!(done.vars["ref"], Value::text("RC1"));
    }

    #[test]
    fn every_spec_has_outcomes_and_unique_names() {
        for s in specs() {
            assert!(!s.outcomes.is_empty(), "{} has no outcome", s.name);
            assert_eq!(specs().iter().filter(|o| o.name == s.name).count(), 1);
        }
    }
}
