//! One hop, end to end: load the session, run the engine (performing the actions it asks
//! for), log the interaction, save the session, and hand back the page to render.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::actions::{Actions, AreaOutageCache, Caller};
use crate::config::Config;
use crate::domain::{Interaction, SessionEnd};
use crate::engine::{Engine, Profile, Reply, State, Step, Value, messages};
use crate::gateway::mask_msisdn;
use crate::i18n::Catalog;
use crate::menu::Menu;
use crate::security::{Guard, PhoneLimiter};
use crate::store::batch::InteractionWriter;
use crate::store::{CrmStore, SessionStore, StoreError, StoreResult};

/// Longest single input a phone can send in one USSD hop.
pub const MAX_INPUT_CHARS: usize = 182;
/// Actions one hop may chain before the menu is judged to loop.
const MAX_ACTIONS_PER_HOP: usize = 16;
/// Longest a hop may take before the caller is told the service is unavailable: well inside
/// the shortest aggregator deadline (5 s on some carriers, Hubtel 7 s, Africa's Talking 15 s).
const HOP_DEADLINE: Duration = Duration::from_millis(3500);
/// How long to spend finding the caller's language for an apology when a store failed.
const APOLOGY_LOOKUP: Duration = Duration::from_millis(300);

/// Everything a handler needs, shared by all requests.
#[derive(Clone)]
pub struct App {
    pub crm: Arc<dyn CrmStore>,
    pub sessions: Arc<dyn SessionStore>,
    pub menu: Arc<Menu>,
    pub catalog: Arc<Catalog>,
    pub config: Arc<Config>,
    pub limiter: Arc<PhoneLimiter>,
    pub area_cache: Arc<AreaOutageCache>,
    /// The interactions log, written with group commit.
    pub interactions: InteractionWriter,
    /// Authentication rules per gateway name; a gateway without rules is open.
    pub guards: Arc<HashMap<String, Guard>>,
}

/// One USSD hop, as any gateway delivers it once parsed.
#[derive(Debug, Clone)]
pub struct UssdHop {
    pub gateway: &'static str,
    pub session_id: String,
    pub phone: String,
    pub service_code: String,
    pub input: HopInput,
}

#[derive(Debug, Clone)]
pub enum HopInput {
    /// Every input so far joined by `*` (Africa's Talking); empty on the first hop.
    Cumulative(String),
}

/// One interaction row to write, whatever the channel.
pub(crate) struct InteractionLog<'a> {
    pub channel: &'static str,
    pub gateway: &'a str,
    pub session_id: &'a str,
    pub phone: &'a str,
    pub state: &'a State,
    pub outcome: Option<&'a str>,
    pub hops: i64,
    pub started_at: DateTime<Utc>,
    pub now: DateTime<Utc>,
    pub ended: bool,
}

/// What a session keeps between hops, in whichever session store runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SessionRecord {
    state: State,
    phone: String,
    /// The gateway's `text` of the last hop answered, to recognise retries and new input.
    last_text: String,
    last_reply: String,
    last_end: bool,
    hops: i64,
    started_at: DateTime<Utc>,
    outcome: Option<String>,
}

fn session_key(gateway: &str, session_id: &str) -> String {
    format!("ussd:{gateway}:{session_id}")
}

/// The actions that mark what a session achieved, for the interactions log.
fn notable(action: &str) -> bool {
    crate::actions::spec(action).is_some_and(|spec| spec.notable)
}

impl App {
    /// The CRM actions, as the engine asks for them.
    pub fn actions(&self) -> Actions<'_> {
        Actions {
            crm: self.crm.as_ref(),
            sessions: self.sessions.as_ref(),
            area_cache: &self.area_cache,
            catalog: &self.catalog,
            config: &self.config,
        }
    }

    fn engine(&self) -> Engine<'_> {
        let profile = Profile {
            transliterate: self.config.transliterate,
            ..Profile::USSD
        };
        Engine::new(&self.menu, &self.catalog, profile)
    }

    pub(crate) fn say(&self, lang: &str, id: &str) -> String {
        let text = self.catalog.text(lang, id, &BTreeMap::new());
        if self.config.transliterate {
            crate::text::gsm7::transliterate(&text)
        } else {
            text
        }
    }

    /// Answers one hop. Never fails: a store outage becomes a polite `END` in the caller's
    /// language.
    pub async fn ussd_hop(&self, hop: UssdHop) -> Reply {
        let key = session_key(hop.gateway, &hop.session_id);
        if !self.limiter.allow(&hop.phone) {
            tracing::warn!(phone = %mask_msisdn(&hop.phone), "rate limited");
            let lang = self.caller_language(&hop.phone).await;
            return Reply {
                text: self.say(&lang, messages::RATE_LIMITED),
                end: true,
            };
        }
        let outcome = tokio::time::timeout(HOP_DEADLINE, self.try_ussd_hop(&hop, &key)).await;
        let (lang, error) = match outcome {
            Ok(Ok(reply)) => return reply,
            Ok(Err((lang, error))) => (lang, error.to_string()),
            Err(_) => (None, format!("no answer within {HOP_DEADLINE:?}")),
        };
        tracing::error!(
            session = %hop.session_id,
            phone = %mask_msisdn(&hop.phone),
            %error,
            "hop failed; caller told the service is unavailable"
        );
        let lang = match lang {
            Some(lang) => lang,
            None => self.caller_language(&hop.phone).await,
        };
        // Best effort: the store that failed may be the session store itself.
        let _ = tokio::time::timeout(APOLOGY_LOOKUP, self.sessions.delete(&key)).await;
        Reply {
            text: self.say(&lang, messages::UNAVAILABLE),
            end: true,
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
        match tokio::time::timeout(APOLOGY_LOOKUP, lookup).await {
            Ok(Some(lang)) if self.catalog.has_language(&lang) => lang,
            _ => self.catalog.default_lang().to_string(),
        }
    }

    /// Errors carry the session's language when it is known.
    async fn try_ussd_hop(
        &self,
        hop: &UssdHop,
        key: &str,
    ) -> Result<Reply, (Option<String>, StoreError)> {
        let default_lang = self.catalog.default_lang().to_string();
        let record = self.load_session(key).await.map_err(|e| (None, e))?;
        let HopInput::Cumulative(text) = &hop.input;
        let now = Utc::now();

        let (mut record, step) = match record {
            None if text.is_empty() => {
                let vars = BTreeMap::from([("phone".to_string(), Value::text(&hop.phone))]);
                let (state, step) = self.engine().start(&default_lang, vars);
                let record = SessionRecord {
                    state,
                    phone: hop.phone.clone(),
                    last_text: String::new(),
                    last_reply: String::new(),
                    last_end: false,
                    hops: 0,
                    started_at: now,
                    outcome: None,
                };
                (record, step)
            }
            None => {
                return Ok(Reply {
                    text: self.say(&default_lang, messages::SESSION_EXPIRED),
                    end: true,
                });
            }
            // An aggregator retry (or a duplicate start): same answer, no second effect.
            Some(record) if *text == record.last_text => {
                return Ok(Reply {
                    text: record.last_reply,
                    end: record.last_end,
                });
            }
            Some(record) if record.phone != hop.phone => {
                // A session id reused by another phone must not reach the first caller's data.
                return Ok(Reply {
                    text: self.say(&default_lang, messages::SESSION_EXPIRED),
                    end: true,
                });
            }
            Some(record) => {
                let input = new_input(&record.last_text, text);
                let step_result = if input.chars().count() > MAX_INPUT_CHARS {
                    self.engine()
                        .show(record.state.clone(), Some(messages::INPUT_TOO_LONG))
                } else {
                    self.engine().input(record.state.clone(), input)
                };
                let (state, step) = step_result;
                (SessionRecord { state, ..record }, step)
            }
        };

        let lang_of = |r: &SessionRecord| Some(r.state.lang.clone());
        let caller = Caller {
            phone: &hop.phone,
            channel: "ussd",
            gateway: hop.gateway,
            session_id: &hop.session_id,
        };
        let reply = self
            .drive(
                &self.engine(),
                &caller,
                &mut record.state,
                &mut record.outcome,
                step,
            )
            .await
            .map_err(|e| (lang_of(&record), e))?;

        record.hops += 1;
        record.last_text = text.clone();
        record.last_reply = reply.text.clone();
        record.last_end = reply.end;
        self.log_interaction(hop, &record, now, reply.end)
            .await
            .map_err(|e| (lang_of(&record), e))?;
        self.save_session(key, &record)
            .await
            .map_err(|e| (lang_of(&record), e))?;
        tracing::info!(
            session = %hop.session_id,
            phone = %mask_msisdn(&hop.phone),
            screen = %record.state.screen,
            end = reply.end,
            "hop"
        );
        Ok(reply)
    }

    async fn load_session(&self, key: &str) -> StoreResult<Option<SessionRecord>> {
        match self.sessions.get(key).await? {
            None => Ok(None),
            Some(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| StoreError::Corrupt(e.to_string())),
        }
    }

    async fn save_session(&self, key: &str, record: &SessionRecord) -> StoreResult<()> {
        // An ended session is kept for its TTL too, so a retry of the last hop gets the same
        // answer instead of "session expired".
        let bytes = serde_json::to_vec(record).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.sessions
            .put(
                key,
                bytes,
                Duration::from_secs(self.config.session_ttl_secs),
            )
            .await
    }

    async fn log_interaction(
        &self,
        hop: &UssdHop,
        record: &SessionRecord,
        now: DateTime<Utc>,
        ended: bool,
    ) -> StoreResult<()> {
        self.record_interaction(&InteractionLog {
            channel: "ussd",
            gateway: hop.gateway,
            session_id: &hop.session_id,
            phone: &hop.phone,
            state: &record.state,
            outcome: record.outcome.as_deref(),
            hops: record.hops,
            started_at: record.started_at,
            now,
            ended,
        })
        .await
    }

    /// Writes (or updates) the interaction row of a session, whatever the channel.
    pub(crate) async fn record_interaction(&self, log: &InteractionLog<'_>) -> StoreResult<()> {
        let account = crate::actions::session_account(log.state).map(str::to_string);
        self.interactions
            .record(Interaction {
                channel: log.channel.into(),
                gateway: log.gateway.into(),
                session_id: log.session_id.to_string(),
                phone: log.phone.to_string(),
                account_no: account,
                language: Some(log.state.lang.clone()),
                path: log.state.path.join(">"),
                outcome: log.outcome.map(str::to_string),
                hops: log.hops,
                started_at: log.started_at,
                updated_at: log.now,
                ended: log.ended,
            })
            .await
    }

    /// Runs the engine from `step` until it shows a page, performing every action it asks
    /// for on behalf of `caller`. Shared by every channel: the same CRM writes for USSD and
    /// voice. `outcome` receives what the session achieved, for the interactions log.
    pub(crate) async fn drive(
        &self,
        engine: &Engine<'_>,
        caller: &Caller<'_>,
        state: &mut State,
        outcome: &mut Option<String>,
        step: Step,
    ) -> StoreResult<Reply> {
        let actions = self.actions();
        let mut step = step;
        let mut performed = 0;
        loop {
            match step {
                Step::Show(reply) => return Ok(reply),
                Step::Act(request) => {
                    performed += 1;
                    if performed > MAX_ACTIONS_PER_HOP {
                        tracing::error!(node = %request.node, "menu loops through actions");
                        return Ok(Reply {
                            text: self.say(&state.lang, messages::MENU_ERROR),
                            end: true,
                        });
                    }
                    let result = actions.perform(&request, state, caller).await?;
                    if notable(&request.name) {
                        let reference = result.vars.get("ref").map(|v| v.display("en"));
                        *outcome = Some(match reference {
                            Some(r) => format!("{}:{}:{r}", request.name, result.outcome),
                            None => format!("{}:{}", request.name, result.outcome),
                        });
                    }
                    let (next_state, next) = engine.resume(std::mem::take(state), result);
                    *state = next_state;
                    step = next;
                }
            }
        }
    }

    /// The gateway's end-of-session notification: recorded, and the session forgotten.
    pub async fn session_ended(&self, end: &SessionEnd) -> StoreResult<()> {
        let end = SessionEnd {
            input: end
                .input
                .as_deref()
                .map(crate::gateway::redact_keypad_input),
            ..end.clone()
        };
        self.crm.record_session_end(&end).await?;
        self.sessions
            .delete(&session_key(&end.gateway, &end.session_id))
            .await
    }
}

/// The caller's newest input, given the gateway's text before and now.
fn new_input<'t>(previous: &str, text: &'t str) -> &'t str {
    if previous.is_empty() {
        return text;
    }
    match text
        .strip_prefix(previous)
        .and_then(|rest| rest.strip_prefix('*'))
    {
        Some(rest) => rest,
        // The gateway's history diverged from ours: the newest segment is still the input.
        None => text.rsplit('*').next().unwrap_or(text),
    }
}

#[cfg(test)]
mod tests {
    use super::new_input;

    #[test]
    fn newest_input_from_cumulative_text() {
        assert_eq!(new_input("", "1"), "1");
        assert_eq!(new_input("1", "1*2"), "2");
        assert_eq!(new_input("1*2", "1*2*500"), "500");
        assert_eq!(new_input("1*2", "1*2*"), "");
        assert_eq!(new_input("1*2", "3*4"), "4");
    }
}
