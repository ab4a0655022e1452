//! The session runner: one hop of any channel, end to end.
//!
//! load the session -> pure step (the engine; for voice, the voice policy beside it) ->
//! perform the effects the step asks for (actions, a recording to store) -> save the session
//! -> hand back the neutral reply the gateway renders. `ussd` and `voice` hold what differs
//! between the channels; everything else is here.
//!
//! A menu hop touches no database: what the CRM said about the caller is kept in the session
//! (`Known`), and the session's interaction record is written once, when it ends (its last
//! screen, the gateway's end notification, or `expiry` for a session the caller abandoned).
//! What a caller is promised (a ticket, a report, a call-back) is committed by its action
//! before the reply, as always.

pub mod expiry;
mod failure;
pub mod menus;
mod resume;

mod ussd;
mod voice;

pub use resume::OFFER as RESUME_OFFER;
pub use ussd::UssdAnswer;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::actions::{Actions, AreaOutageCache, Caller, Known};
use crate::channel::Channel;
use crate::config::Config;
use crate::domain::{Interaction, SessionEnd};
use crate::engine::{ActionRequest, ActionResult, Engine, Reply, State, Step, messages};
use crate::i18n::Catalog;
use crate::security::{Guard, PhoneLimiter};
use crate::store::batch::InteractionWriter;
use crate::store::{CrmStore, SessionStore, StoreError, StoreResult};
use crate::text::privacy::{mask_msisdn, redact_keypad_input};
use crate::voice::policy::CallState;

/// Longest a voice turn may take before the caller is told the service is unavailable: well
/// inside the platforms' own timeouts. (A USSD hop's budget comes from its gateway's
/// deadline: see [`hop_budget`].)
pub const HOP_DEADLINE: Duration = Duration::from_millis(3500);

/// How long a USSD hop may take, given how long its aggregator waits: the rest is left for
/// the network, and for an asynchronous gateway, for delivering the screen.
pub fn hop_budget(aggregator_deadline: Duration) -> Duration {
    aggregator_deadline * 7 / 10
}
/// Actions one hop may chain before the menu is judged to loop.
const MAX_ACTIONS_PER_HOP: usize = 16;
/// How long an ended USSD session is kept, to answer a gateway's resend of its last hop the
/// same way. Resends come within seconds; kept for the whole TTL, ended sessions would fill
/// the in-process store at thousands of sessions per second.
const ENDED_USSD_KEPT: Duration = Duration::from_secs(15);
/// How long to spend finding the caller's language for an apology when a store failed.
const APOLOGY_LOOKUP: Duration = Duration::from_millis(300);

/// Everything a hop needs, shared by all requests.
#[derive(Clone)]
pub struct App {
    pub crm: Arc<dyn CrmStore>,
    pub sessions: Arc<dyn SessionStore>,
    /// The menu and its translations, versioned: reloaded while serving (`menus.rs`).
    pub menus: Arc<menus::Menus>,
    pub config: Arc<Config>,
    pub limiter: Arc<PhoneLimiter>,
    pub area_cache: Arc<AreaOutageCache>,
    /// The interactions log, written with group commit.
    pub interactions: InteractionWriter,
    /// Authentication rules per gateway name; a gateway without rules is open.
    pub guards: Arc<HashMap<String, Guard>>,
    /// SMS to customers: the outbox sender, the schedules, what customers send back.
    pub notifier: Arc<crate::notify::Notifier>,
    /// What `GET /metrics` shows: counted here (hops, sessions, store errors) and at the HTTP
    /// edge (refused requests), never in the pure layers.
    pub metrics: crate::metrics::Metrics,
    /// The KPI report's reads (`GET /admin/kpis`), on the same database.
    pub reports: Arc<dyn crate::store::report::ReportStore>,
}

/// What a session keeps between hops, whichever channel and session store.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Session {
    state: State,
    phone: String,
    hops: i64,
    started_at: DateTime<Utc>,
    /// What the session achieved so far, for the interactions log.
    outcome: Option<String>,
    /// USSD: the last hop answered, to answer a gateway's resend the same way.
    #[serde(default)]
    last: Option<LastHop>,
    /// Voice: where the call stands besides the menu.
    #[serde(default)]
    call: CallState,
    /// When the last hop was answered (the interaction record's `updated_at`).
    #[serde(default = "Utc::now")]
    last_hop_at: DateTime<Utc>,
    /// The interaction record is written (the session ended); nothing more to record.
    #[serde(default)]
    recorded: bool,
    /// What the CRM said about the caller, read once per session.
    #[serde(default)]
    known: Known,
    /// The dropped session this one offered to resume (awaiting "1 continue, 2 start over").
    #[serde(default)]
    resume_from: Option<String>,
    /// The menu set the session started on: every hop runs on it, whatever reload came
    /// meanwhile (`menus.rs`). None for a session saved before sessions kept it.
    #[serde(default)]
    menu_version: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct LastHop {
    /// The gateway's token of that hop (Africa's Talking: the cumulative text).
    token: String,
    reply: String,
    end: bool,
}

impl Session {
    /// A session starting now on the menu set `version`.
    fn new(state: State, phone: &str, now: DateTime<Utc>, version: &str) -> Session {
        Session {
            state,
            phone: phone.to_string(),
            hops: 0,
            started_at: now,
            outcome: None,
            last: None,
            call: CallState::default(),
            last_hop_at: now,
            recorded: false,
            known: Known::default(),
            resume_from: None,
            menu_version: Some(version.to_string()),
        }
    }

    /// An ended session keeps its phone, its last answer (for resends) and its times.
    fn forget_all_but_the_last_answer(&mut self) {
        self.state = State {
            lang: std::mem::take(&mut self.state.lang),
            screen: std::mem::take(&mut self.state.screen),
            ended: self.state.ended,
            ..State::default()
        };
        self.known = Known::default();
    }

    /// The interaction record of this session, as it stands.
    fn interaction(&self, key: &HopKey<'_>, ended: bool) -> Interaction {
        let account = crate::actions::session_account(&self.state).map(str::to_string);
        Interaction {
            channel: key.channel.as_str().into(),
            gateway: key.gateway.into(),
            session_id: key.session_id.to_string(),
            phone: self.phone.clone(),
            account_no: account,
            language: Some(self.state.lang.clone()),
            path: self.state.path.join(">"),
            outcome: self.outcome.clone(),
            hops: self.hops,
            started_at: self.started_at,
            updated_at: self.last_hop_at,
            ended,
        }
    }
}

/// Which session a hop belongs to.
struct HopKey<'a> {
    channel: Channel,
    gateway: &'a str,
    session_id: &'a str,
}

impl HopKey<'_> {
    fn store_key(&self) -> String {
        format!(
            "{}:{}:{}",
            self.channel.as_str(),
            self.gateway,
            self.session_id
        )
    }

    /// The key [`Self::store_key`] wrote, read back (gateway names hold no `:`).
    fn parse(stored: &str) -> Option<HopKey<'_>> {
        let mut parts = stored.splitn(3, ':');
        let channel = match parts.next()?.parse().ok()? {
            crate::contracts::Channel::Ussd => Channel::Ussd,
            crate::contracts::Channel::Voice => Channel::Voice,
            _ => return None,
        };
        Some(HopKey {
            channel,
            gateway: parts.next()?,
            session_id: parts.next()?,
        })
    }
}

impl App {
    /// The translations new sessions get (the current menu set's).
    pub fn catalog(&self) -> Arc<Catalog> {
        self.menus.current().catalog.clone()
    }

    /// The CRM actions, as the engine asks for them, for a session that already knows `known`
    /// and speaks from `catalog` (its menu set's).
    pub fn actions<'a>(&'a self, catalog: &'a Catalog, known: &'a Mutex<Known>) -> Actions<'a> {
        Actions {
            crm: self.crm.as_ref(),
            sessions: self.sessions.as_ref(),
            area_cache: &self.area_cache,
            catalog,
            config: &self.config,
            known,
        }
    }

    fn engine<'a>(&self, set: &'a menus::MenuSet, channel: Channel) -> Engine<'a> {
        let profile = match channel {
            Channel::Ussd => crate::engine::Profile {
                transliterate: self.config.transliterate,
                ..crate::engine::Profile::USSD
            },
            Channel::Voice => crate::engine::Profile::VOICE,
        };
        Engine::new(&set.menu, &set.catalog, profile)
    }

    fn session_ttl(&self, channel: Channel) -> Duration {
        let ttl = Duration::from_secs(self.config.session_ttl_secs);
        match channel {
            Channel::Ussd => ttl,
            // A recording alone may take two minutes.
            Channel::Voice => ttl.max(Duration::from_secs(600)),
        }
    }

    async fn load_session(&self, key: &HopKey<'_>) -> StoreResult<Option<Session>> {
        match self.sessions.get(&key.store_key()).await? {
            None => Ok(None),
            Some(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| StoreError::Corrupt(e.to_string())),
        }
    }

    /// Saves the session after a hop; the hop that ends it writes its interaction record
    /// first. An ended session is kept for its TTL too, so a resend of the last hop gets the
    /// same answer instead of "session expired".
    async fn finish_hop(
        &self,
        key: &HopKey<'_>,
        session: &mut Session,
        now: DateTime<Utc>,
        ended: bool,
    ) -> StoreResult<()> {
        if session.hops == 0 && !ended {
            let ttl = self.session_ttl(key.channel);
            self.remember_latest(key, &session.phone, ttl).await?;
        }
        let first_hop = session.hops == 0;
        session.hops += 1;
        session.last_hop_at = now;
        if ended && !session.recorded {
            // The record is no promise to the caller: a USSD session's last screen does not
            // wait for its commit (a crash loses the records still queued, README says so). A
            // call's turns take seconds of speech each: waiting costs the caller nothing.
            let wait = key.channel == Channel::Voice;
            self.record(key, session, true, "ended", wait).await?;
            session.recorded = true;
        }
        let mut ttl = self.session_ttl(key.channel);
        if ended && key.channel == Channel::Ussd {
            // Only a resend can come now: it needs the phone and the last answer, no more.
            session.forget_all_but_the_last_answer();
            ttl = ttl.min(ENDED_USSD_KEPT);
        }
        let bytes = serde_json::to_vec(session).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.sessions.put(&key.store_key(), bytes, ttl).await?;
        if first_hop {
            self.metrics.session_started();
        }
        let outcome = if ended {
            crate::metrics::HopOutcome::End
        } else {
            crate::metrics::HopOutcome::Continue
        };
        let channel = key.channel.as_str();
        let lang = &session.state.lang;
        self.metrics.hop(key.gateway, channel, lang, outcome);
        tracing::debug!(
            channel = key.channel.as_str(),
            session = %key.session_id,
            phone = %mask_msisdn(&session.phone),
            screen = %session.state.screen,
            end = ended,
            "hop"
        );
        Ok(())
    }

    /// Writes the session's interaction record with group commit: returns once it is
    /// committed if `wait`, else once it is queued.
    async fn record(
        &self,
        key: &HopKey<'_>,
        session: &Session,
        ended: bool,
        why: &str,
        wait: bool,
    ) -> StoreResult<()> {
        let row = session.interaction(key, ended);
        // A dropped session taken over by the caller's next one is recorded again, as
        // resumed: it was counted when it dropped.
        if why != resume::RECORDED_AS {
            self.count_closed(&row);
        }
        log_recorded(&row, why);
        if wait {
            self.interactions.record(row).await
        } else {
            self.interactions.submit(row).await
        }
    }

    /// Runs the engine from `step` until it shows a page, performing every action it asks
    /// for on behalf of `caller`: the same CRM writes for every channel.
    async fn drive(
        &self,
        engine: &Engine<'_>,
        caller: &Caller<'_>,
        session: &mut Session,
        step: Step,
    ) -> StoreResult<Reply> {
        let mut step = step;
        let mut performed = 0;
        loop {
            let request = match step {
                Step::Show(reply) => return Ok(reply),
                Step::Act(request) => request,
            };
            performed += 1;
            if performed > MAX_ACTIONS_PER_HOP {
                tracing::error!(node = %request.node, "menu loops through actions");
                return Ok(Reply {
                    text: self.say(&session.state.lang, messages::MENU_ERROR),
                    end: true,
                });
            }
            let result = self.act(engine.catalog, caller, session, &request).await?;
            let (next_state, next) = engine.resume(std::mem::take(&mut session.state), result);
            session.state = next_state;
            step = next;
        }
    }

    /// Performs one action with what the session already knows of the caller (and keeps what
    /// the action learnt); a notable result becomes the session's outcome.
    async fn act(
        &self,
        catalog: &Catalog,
        caller: &Caller<'_>,
        session: &mut Session,
        request: &ActionRequest,
    ) -> StoreResult<ActionResult> {
        let known = Mutex::new(std::mem::take(&mut session.known));
        let result = self
            .actions(catalog, &known)
            .perform(request, &session.state, caller)
            .await;
        session.known = known.into_inner().unwrap_or_else(|p| p.into_inner());
        let result = result?;
        if let Some(outcome) = notable_outcome(&request.name, &result) {
            session.outcome = Some(outcome);
        }
        Ok(result)
    }

    pub(crate) fn say(&self, lang: &str, id: &str) -> String {
        let text = self.catalog().text(lang, id, &BTreeMap::new());
        if self.config.transliterate {
            crate::text::gsm7::transliterate(&text)
        } else {
            text
        }
    }

    /// The caller's saved language, if the CRM answers quickly; else the default.
    async fn caller_language(&self, phone: &str) -> String {
        let lookup = async {
            let accounts = self.crm.accounts_for_phone(phone).await.ok()?;
            match accounts.into_iter().find_map(|a| a.language) {
                Some(lang) => Some(lang),
                None => self.crm.phone_language(phone).await.ok().flatten(),
            }
        };
        let catalog = self.catalog();
        match tokio::time::timeout(APOLOGY_LOOKUP, lookup).await {
            Ok(Some(lang)) if catalog.has_language(&lang) => lang,
            _ => catalog.default_lang().to_string(),
        }
    }

    /// The gateway's end-of-session notification: the interaction is closed (whatever screen
    /// the caller left on), the notification recorded, and the session forgotten.
    async fn session_ended(&self, key: &HopKey<'_>, end: &SessionEnd) -> StoreResult<()> {
        let mut end = SessionEnd {
            input: end.input.as_deref().map(redact_keypad_input),
            ..end.clone()
        };
        let session = match self.load_session(key).await {
            // A session we cannot read any more still gets its end recorded.
            Err(StoreError::Corrupt(_)) => None,
            other => other?,
        };
        let mut keep_for_resume = None;
        if let Some(mut session) = session {
            // VoiceXML platforms do not say how long the call lasted: from its first turn.
            if key.channel == Channel::Voice && end.duration_ms.is_none() {
                end.duration_ms = Some((Utc::now() - session.started_at).num_milliseconds());
            }
            // Left on the offer to resume itself: the next dial is offered the same again.
            if let Some(dropped_key) = &session.resume_from {
                self.point_back(key.channel, &session.phone, dropped_key)
                    .await?;
            }
            if !session.recorded {
                // A call is closed whatever screen the caller hung up on; a USSD session
                // ended only if its last screen said so (else the caller left mid-menu).
                let ended = match key.channel {
                    Channel::Voice => true,
                    Channel::Ussd => session.last.as_ref().is_some_and(|l| l.end),
                };
                if key.channel == Channel::Voice {
                    session.last_hop_at = Utc::now();
                }
                self.record(key, &session, ended, "end notification", true)
                    .await?;
                // A session dropped mid-menu may still be resumed by the caller: a USSD one
                // whose last screen was not its end, a call that hung up on a menu.
                let dropped = match key.channel {
                    Channel::Ussd => !ended,
                    Channel::Voice => resume::left_mid_menu(&session),
                };
                if dropped {
                    session.recorded = true;
                    keep_for_resume = Some(session);
                }
            }
        }
        self.crm.record_session_end(&end).await?;
        match (keep_for_resume, self.config.resume_secs) {
            (Some(session), secs) if secs > 0 => {
                let bytes =
                    serde_json::to_vec(&session).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                let ttl = Duration::from_secs(secs);
                self.sessions.put(&key.store_key(), bytes, ttl).await?;
                if key.channel == Channel::Voice {
                    self.remember_dropped(key, &session.phone).await?;
                }
                Ok(())
            }
            _ => self.sessions.delete(&key.store_key()).await,
        }
    }
}

impl App {
    /// A session closed (its interaction record written): counted by gateway, channel,
    /// language and outcome, and no longer live.
    fn count_closed(&self, row: &Interaction) {
        let (lang, outcome) = (row.language.as_deref(), row.outcome.as_deref());
        self.metrics
            .session_closed(&row.gateway, &row.channel, lang, outcome, row.ended);
    }

    /// A store failed on the request path (or the expiry sweep).
    fn count_store_error(&self, error: &StoreError) {
        let store = match error {
            StoreError::SessionBackend(_) => "sessions",
            _ => "crm",
        };
        self.metrics.store_error(store);
    }
}

/// One line per session at the default level (hops log at `debug`): what it did.
fn log_recorded(row: &Interaction, why: &str) {
    tracing::info!(
        channel = %row.channel,
        gateway = %row.gateway,
        session = %row.session_id,
        phone = %mask_msisdn(&row.phone),
        hops = row.hops,
        path = %row.path,
        outcome = row.outcome.as_deref().unwrap_or("-"),
        why,
        "session recorded"
    );
}

/// What a notable action achieved, as the interactions log records it
/// (`file_complaint:filed:RC...`).
fn notable_outcome(action: &str, result: &crate::engine::ActionResult) -> Option<String> {
    if !crate::actions::spec(action).is_some_and(|spec| spec.notable) {
        return None;
    }
    let reference = result.vars.get("ref").map(|v| v.display("en"));
    Some(match reference {
        Some(r) => format!("{action}:{}:{r}", result.outcome),
        None => format!("{action}:{}", result.outcome),
    })
}
