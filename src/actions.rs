//! The effects the engine asks for: CRM reads and writes, performed here and fed back to the
//! engine as outcomes and variables. Every write is keyed on the gateway session and the menu
//! node, so a retried hop never files a second ticket.

use std::collections::BTreeMap;

use chrono::{Duration, Utc};

use crate::config::Config;
use crate::domain::{
    Account, NewCallback, NewOutageFiling, NewTicket, Outage, OutageFiling, StormPolicy,
    TICKET_CATEGORIES, Ticket,
};
use crate::engine::{ActionRequest, ActionResult, Item, State, Value};
use crate::i18n::Catalog;
use crate::reference::{self, Typed};
use crate::store::{CrmStore, SessionStore, StoreResult};

/// How long wrong verification answers count against a phone.
const VERIFY_FAILURE_WINDOW: std::time::Duration = std::time::Duration::from_secs(3600);

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

/// The actions that mark what a session achieved, for the interactions log.
pub fn is_notable(action: &str) -> bool {
    matches!(
        action,
        "latest_bill"
            | "report_outage"
            | "find_ticket"
            | "file_complaint"
            | "area_outages"
            | "request_callback"
            | "verify_account"
    )
}

/// Who is asking, for keys and logs.
#[derive(Debug, Clone)]
pub struct Caller<'a> {
    pub phone: &'a str,
    pub channel: &'a str,
    pub gateway: &'a str,
    pub session_id: &'a str,
}

pub struct Actions<'a> {
    pub crm: &'a dyn CrmStore,
    /// Outages per area, kept a few seconds: in a storm thousands of callers ask the same.
    pub area_cache: &'a AreaOutageCache,
    /// Shared by every instance: holds per-phone counters (wrong verification answers).
    pub sessions: &'a dyn SessionStore,
    pub catalog: &'a Catalog,
    pub config: &'a Config,
}

fn text_var<'s>(state: &'s State, name: &str) -> Option<&'s str> {
    state.vars.get(name).and_then(Value::as_text)
}

fn origin_key(caller: &Caller, request: &ActionRequest, extra: &str) -> String {
    format!(
        "{}:{}:{}:{extra}",
        caller.gateway, caller.session_id, request.node
    )
}

fn ticket_vars(result: ActionResult, ticket: &Ticket) -> ActionResult {
    let sla = ticket
        .sla_due_at
        .map(|t| Value::Date(t.date_naive()))
        .unwrap_or_else(|| Value::text("-"));
    result
        .var("ref", Value::text(&ticket.ticket_ref))
        .var("status", Value::text(&ticket.status))
        .var("category", Value::text(&ticket.category))
        .var("sla", sla)
        .var("updated", Value::Date(ticket.updated_at.date_naive()))
}

impl Actions<'_> {
    pub async fn perform(
        &self,
        request: &ActionRequest,
        state: &State,
        caller: &Caller<'_>,
    ) -> StoreResult<ActionResult> {
        match request.name.as_str() {
            "identify_caller" => self.identify_caller(state, caller).await,
            "save_language" => self.save_language(state, caller).await,
            "use_account" => self.use_account(state, caller).await,
            "bill_access" => Ok(self.bill_access(state)),
            "verify_account" => self.verify_account(state, caller).await,
            "latest_bill" => self.latest_bill(state).await,
            "locate_caller" => self.locate_caller(state).await,
            "find_meter" => self.find_meter(state).await,
            "report_outage" => self.report_outage(request, state, caller).await,
            "open_tickets" => self.open_tickets(caller).await,
            "find_ticket" => self.find_ticket(state).await,
            "file_complaint" => self.file_complaint(request, state, caller).await,
            "area_outages" => self.area_outages(state).await,
            "request_callback" => self.request_callback(request, state, caller).await,
            "file_recorded_complaint" => self.file_recorded_complaint(request, state, caller).await,
            // `dalal check` refuses unknown actions; a menu changed behind its back gets here.
            other => {
                tracing::error!(action = other, "menu names an unknown action");
                Ok(ActionResult::outcome("unknown_action"))
            }
        }
    }

    async fn area_name(&self, area_code: &str) -> StoreResult<String> {
        Ok(self
            .crm
            .area(area_code)
            .await?
            .map(|a| a.name)
            .unwrap_or_else(|| area_code.to_string()))
    }

    async fn identify_caller(
        &self,
        state: &State,
        caller: &Caller<'_>,
    ) -> StoreResult<ActionResult> {
        let accounts = self.crm.accounts_for_phone(caller.phone).await?;
        let mut result = ActionResult::outcome("ready").var(
            "caller_known",
            Value::text(if accounts.is_empty() { "no" } else { "yes" }),
        );
        if !state.vars.contains_key("language_set") {
            let saved = match accounts.iter().find_map(|a| a.language.clone()) {
                Some(lang) => Some(lang),
                None => self.crm.phone_language(caller.phone).await?,
            };
            match saved.filter(|l| self.catalog.has_language(l)) {
                Some(lang) => {
                    result.lang = Some(lang);
                    result = result.var("language_set", Value::text("yes"));
                }
                None => {
                    result.outcome = "choose_language".into();
                    return Ok(result);
                }
            }
        }
        if accounts.len() == 1 && !state.vars.contains_key("account") {
            result = result.var("account", Value::text(&accounts[0].account_no));
        }
        if accounts.len() > 1 && !state.vars.contains_key("account") {
            let mut items = Vec::new();
            for account in &accounts {
                let mut item = Item::new();
                item.insert("id".into(), Value::text(&account.account_no));
                item.insert("account".into(), Value::text(&account.account_no));
                item.insert("service".into(), Value::text(&account.service));
                item.insert(
                    "area".into(),
                    Value::text(self.area_name(&account.area_code).await?),
                );
                items.push(item);
            }
            result.outcome = "choose_account".into();
            result = result.list("accounts", items);
        }
        Ok(result)
    }

    async fn save_language(&self, state: &State, caller: &Caller<'_>) -> StoreResult<ActionResult> {
        let lang = text_var(state, "lang").unwrap_or(self.catalog.default_lang());
        let mut result = ActionResult::outcome("ok");
        if self.catalog.has_language(lang) {
            self.crm.save_language(caller.phone, lang).await?;
            result.lang = Some(lang.to_string());
            result = result.var("language_set", Value::text("yes"));
        }
        Ok(result)
    }

    async fn use_account(&self, state: &State, caller: &Caller<'_>) -> StoreResult<ActionResult> {
        let chosen = text_var(state, "account").unwrap_or_default();
        let accounts = self.crm.accounts_for_phone(caller.phone).await?;
        // The id came back from the caller's keypad via the list: check it is really theirs.
        if accounts.iter().any(|a| a.account_no == chosen) {
            Ok(ActionResult::outcome("ready"))
        } else {
            let mut result = ActionResult::outcome("invalid");
            result.vars.insert("account".into(), Value::text(""));
            Ok(result)
        }
    }

    /// The account whose data this session may show: the caller's own, or one verified.
    fn bill_account<'s>(&self, state: &'s State) -> Option<&'s str> {
        text_var(state, "account")
            .or_else(|| text_var(state, "verified_account"))
            .filter(|a| !a.is_empty())
    }

    fn bill_access(&self, state: &State) -> ActionResult {
        match self.bill_account(state) {
            Some(_) => ActionResult::outcome("ok"),
            None => ActionResult::outcome("verify"),
        }
    }

    /// Wrong answers given from this phone in the last hour, across sessions and instances,
    /// so bill access cannot be brute-forced by redialling.
    async fn phone_failures(&self, phone: &str) -> StoreResult<i64> {
        let key = format!("verify-failures:{phone}");
        Ok(self
            .sessions
            .get(&key)
            .await?
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| s.parse().ok())
            .unwrap_or(0))
    }

    async fn count_failure(&self, phone: &str, before: i64) -> StoreResult<()> {
        let key = format!("verify-failures:{phone}");
        let value = (before + 1).to_string().into_bytes();
        self.sessions.put(&key, value, VERIFY_FAILURE_WINDOW).await
    }

    async fn verify_account(
        &self,
        state: &State,
        caller: &Caller<'_>,
    ) -> StoreResult<ActionResult> {
        let attempts = match state.vars.get("verify_attempts") {
            Some(Value::Number(n)) => *n,
            _ => 0,
        } + 1;
        let max = self.config.max_verify_attempts;
        let phone_failures = self.phone_failures(caller.phone).await?;
        if attempts > max || phone_failures >= self.config.max_verify_failures_per_hour {
            return Ok(ActionResult::outcome("locked"));
        }
        let typed_account = text_var(state, "typed_account").unwrap_or_default();
        let typed_digits = text_var(state, "typed_meter_digits").unwrap_or_default();
        let account = self.crm.account_by_number(typed_account).await?;
        let matches = account.as_ref().is_some_and(|a: &Account| {
            let digits: String = a.meter_no.chars().filter(char::is_ascii_digit).collect();
            digits.len() >= 4 && digits.ends_with(typed_digits) && typed_digits.len() == 4
        });
        if !matches {
            self.count_failure(caller.phone, phone_failures).await?;
        }
        match (matches, account) {
            (true, Some(account)) => Ok(ActionResult::outcome("ok")
                .var("verified_account", Value::text(account.account_no))
                .var("verify_attempts", Value::Number(0))),
            // The same answer whether the account exists or not: no account enumeration.
            _ if attempts >= max => {
                Ok(ActionResult::outcome("locked").var("verify_attempts", Value::Number(attempts)))
            }
            _ => Ok(ActionResult::outcome("failed")
                .var("verify_attempts", Value::Number(attempts))
                .var("attempts_left", Value::Number(max - attempts))),
        }
    }

    async fn latest_bill(&self, state: &State) -> StoreResult<ActionResult> {
        let Some(account_no) = self.bill_account(state) else {
            return Ok(ActionResult::outcome("none"));
        };
        let Some(bill) = self.crm.latest_bill(account_no).await? else {
            return Ok(ActionResult::outcome("none"));
        };
        let money = |minor| Value::Money {
            minor,
            currency: bill.currency.clone(),
        };
        Ok(ActionResult::outcome("found")
            .var(
                "period",
                Value::text(crate::text::format::period(&bill.period)),
            )
            .var("amount", money(bill.amount_minor))
            .var("paid", money(bill.paid_minor))
            .var("balance", money(bill.balance_minor()))
            .var("due", Value::Date(bill.due_on))
            .var("bill_status", Value::text(&bill.status)))
    }

    async fn located(&self, account: &Account) -> StoreResult<ActionResult> {
        let area = self.crm.area(&account.area_code).await?;
        let (name, country) = area
            .map(|a| (a.name, a.country))
            .unwrap_or_else(|| (account.area_code.clone(), String::new()));
        Ok(ActionResult::outcome("ok")
            .var("located_account", Value::text(&account.account_no))
            .var("area_code", Value::text(&account.area_code))
            .var("area", Value::text(name))
            .var("country", Value::text(country))
            .var("service", Value::text(&account.service)))
    }

    async fn locate_caller(&self, state: &State) -> StoreResult<ActionResult> {
        let known = text_var(state, "account")
            .or_else(|| text_var(state, "located_account"))
            .filter(|a| !a.is_empty());
        match known {
            Some(account_no) => match self.crm.account(account_no).await? {
                Some(account) => self.located(&account).await,
                None => Ok(ActionResult::outcome("need_meter")),
            },
            None => Ok(ActionResult::outcome("need_meter")),
        }
    }

    async fn find_meter(&self, state: &State) -> StoreResult<ActionResult> {
        let typed = text_var(state, "typed_meter").unwrap_or_default();
        match self.crm.account_by_meter(typed).await? {
            Some(account) => self.located(&account).await,
            None => Ok(ActionResult::outcome("not_found")),
        }
    }

    async fn report_outage(
        &self,
        request: &ActionRequest,
        state: &State,
        caller: &Caller<'_>,
    ) -> StoreResult<ActionResult> {
        let area_code = text_var(state, "area_code").unwrap_or_default();
        let service = text_var(state, "service").unwrap_or("electricity");
        let country = text_var(state, "country").unwrap_or_default().to_string();
        let now = Utc::now();
        let filing = NewOutageFiling {
            origin_key: origin_key(caller, request, area_code),
            account_no: text_var(state, "located_account").map(str::to_string),
            phone: Some(caller.phone.to_string()),
            channel: caller.channel.to_string(),
            created_at: now,
            area_code: area_code.to_string(),
            service: service.to_string(),
            sla_due_at: Some(now + Duration::hours(self.config.sla_hours("outage"))),
            note: Some(format!("{service} outage reported in {area_code}")),
        };
        let policy = StormPolicy {
            threshold: self.config.storm_threshold,
            window: Duration::seconds(self.config.storm_window_secs),
        };
        // One transaction decides: attach to a known or suspected outage, open a suspected
        // one when this report completes a storm, or file a ticket. The caller hears the
        // reference only once that transaction has committed.
        match self.crm.file_outage_report(&filing, &policy).await? {
            OutageFiling::Attached { report, outage } => {
                if outage.status == "suspected" {
                    self.area_cache.forget(area_code);
                }
                let restore = outage
                    .expected_end
                    .map(|at| Value::Time { at, country })
                    .unwrap_or_else(|| Value::text("?"));
                Ok(ActionResult::outcome("attached")
                    .var("ref", Value::text(report.reference))
                    .var("status", Value::text(outage.status))
                    .var("restore", restore))
            }
            OutageFiling::Ticket(ticket) => {
                Ok(ticket_vars(ActionResult::outcome("ticket"), &ticket))
            }
        }
    }

    async fn open_tickets(&self, caller: &Caller<'_>) -> StoreResult<ActionResult> {
        let accounts: Vec<String> = self
            .crm
            .accounts_for_phone(caller.phone)
            .await?
            .into_iter()
            .map(|a| a.account_no)
            .collect();
        let tickets = self.crm.open_tickets(caller.phone, &accounts).await?;
        if tickets.is_empty() {
            return Ok(ActionResult::outcome("none"));
        }
        let items = tickets
            .iter()
            .map(|t| {
                let mut item: Item = ticket_vars(ActionResult::default(), t).vars;
                item.insert("id".into(), Value::text(&t.ticket_ref));
                item
            })
            .collect();
        Ok(ActionResult::outcome("some").list("tickets", items))
    }

    async fn find_ticket(&self, state: &State) -> StoreResult<ActionResult> {
        let typed = text_var(state, "typed_ref").unwrap_or_default();
        let reference = match reference::parse_typed(typed) {
            Typed::Reference(r) => r,
            Typed::Typo => return Ok(ActionResult::outcome("typo")),
            Typed::Malformed => return Ok(ActionResult::outcome("malformed")),
        };
        if let Some(ticket) = self.crm.ticket(&reference).await? {
            return Ok(ticket_vars(ActionResult::outcome("found"), &ticket));
        }
        let Some(report) = self.crm.outage_report(&reference).await? else {
            return Ok(ActionResult::outcome("not_found"));
        };
        let Some(outage) = self.crm.outage(&report.outage_id).await? else {
            return Ok(ActionResult::outcome("not_found"));
        };
        let area = self.crm.area(&outage.area_code).await?;
        let country = area.as_ref().map(|a| a.country.clone()).unwrap_or_default();
        let restore = outage
            .expected_end
            .map(|at| Value::Time { at, country })
            .unwrap_or_else(|| Value::text("?"));
        Ok(ActionResult::outcome("outage_report")
            .var("ref", Value::text(report.reference))
            .var(
                "area",
                Value::text(area.map(|a| a.name).unwrap_or(outage.area_code)),
            )
            .var("status", Value::text(outage.status))
            .var("restore", restore))
    }

    async fn file_complaint(
        &self,
        request: &ActionRequest,
        state: &State,
        caller: &Caller<'_>,
    ) -> StoreResult<ActionResult> {
        let category = text_var(state, "category")
            .filter(|c| TICKET_CATEGORIES.contains(c))
            .unwrap_or("other");
        let now = Utc::now();
        let ticket = self
            .crm
            .create_ticket(&NewTicket {
                origin_key: origin_key(caller, request, category),
                account_no: text_var(state, "account")
                    .filter(|a| !a.is_empty())
                    .map(str::to_string),
                phone: Some(caller.phone.to_string()),
                category: category.to_string(),
                channel: caller.channel.to_string(),
                created_at: now,
                sla_due_at: Some(now + Duration::hours(self.config.sla_hours(category))),
                note: None,
            })
            .await?;
        Ok(ticket_vars(ActionResult::outcome("filed"), &ticket))
    }

    /// A complaint recorded by voice: a ticket carrying the recording's URL.
    async fn file_recorded_complaint(
        &self,
        request: &ActionRequest,
        state: &State,
        caller: &Caller<'_>,
    ) -> StoreResult<ActionResult> {
        let url = text_var(state, "recording_url").unwrap_or_default();
        let now = Utc::now();
        let account = ["account", "verified_account", "located_account"]
            .iter()
            .find_map(|k| text_var(state, k))
            .filter(|a| !a.is_empty())
            .map(str::to_string);
        let ticket = self
            .crm
            .create_ticket(&NewTicket {
                origin_key: origin_key(caller, request, ""),
                account_no: account,
                phone: Some(caller.phone.to_string()),
                category: "other".into(),
                channel: caller.channel.to_string(),
                created_at: now,
                sla_due_at: Some(now + Duration::hours(self.config.sla_hours("other"))),
                note: Some(format!("voice recording: {url}")),
            })
            .await?;
        Ok(ticket_vars(ActionResult::outcome("filed"), &ticket))
    }

    async fn area_outages(&self, state: &State) -> StoreResult<ActionResult> {
        let area_code = text_var(state, "area_code").unwrap_or_default();
        let country = text_var(state, "country").unwrap_or_default().to_string();
        let outages = match self.area_cache.get(area_code) {
            Some(cached) => cached,
            None => {
                let fresh = self.crm.area_outages(area_code, Utc::now()).await?;
                self.area_cache.put(area_code, fresh.clone());
                fresh
            }
        };
        if outages.is_empty() {
            return Ok(ActionResult::outcome("none"));
        }
        let items = outages
            .into_iter()
            .map(|o| {
                let time = |at| Value::Time {
                    at,
                    country: country.clone(),
                };
                let fields = [
                    ("id", Value::text(&o.outage_id)),
                    ("kind", Value::text(&o.kind)),
                    ("service", Value::text(&o.service)),
                    ("status", Value::text(&o.status)),
                    ("start", time(o.starts_at)),
                    (
                        "end",
                        o.expected_end.map(time).unwrap_or_else(|| Value::text("?")),
                    ),
                ];
                fields
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect::<BTreeMap<_, _>>()
            })
            .collect();
        Ok(ActionResult::outcome("some").list("outages", items))
    }

    async fn request_callback(
        &self,
        request: &ActionRequest,
        state: &State,
        caller: &Caller<'_>,
    ) -> StoreResult<ActionResult> {
        let id = self
            .crm
            .create_callback(&NewCallback {
                origin_key: origin_key(caller, request, ""),
                phone: caller.phone.to_string(),
                account_no: text_var(state, "account")
                    .filter(|a| !a.is_empty())
                    .map(str::to_string),
                language: state.lang.clone(),
                channel: caller.channel.to_string(),
                created_at: Utc::now(),
            })
            .await?;
        Ok(ActionResult::outcome("ok").var("callback_id", Value::Number(id)))
    }
}
