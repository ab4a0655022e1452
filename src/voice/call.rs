//! One turn of a voice call, end to end: session -> key map and re-prompt policy -> the same
//! engine and actions as USSD -> interaction log (channel `voice`) -> a [`Turn`] to render.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::{Deserialize, Serialize};

use crate::actions::Caller;
use crate::domain::{NewTicket, SessionEnd};
use crate::engine::{ActionRequest, Engine, KEY_BACK, KEY_MORE, Profile, State, Value, messages};
use crate::gateway::mask_msisdn;
use crate::service::{App, InteractionLog};
use crate::store::{StoreError, StoreResult};
use crate::voice::recording::{self, Upload};
use crate::voice::speech::{PromptIndex, Shapes, Speaker};
use crate::voice::{Collect, Segment, Turn, keys};

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
    pub const ALL: [&str; 13] = [
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
    ];
}

/// Outcome of a call whose recorded complaint was filed, followed by the ticket reference.
const RECORDED: &str = "file_complaint:recorded:";

/// Longest recorded complaint.
const MAX_RECORDING_SECS: u32 = 120;
/// A voice session outlives a USSD one: a recording alone may take two minutes.
const MIN_VOICE_TTL: Duration = Duration::from_secs(600);

/// What the caller did since the last turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VoiceEvent {
    /// The call starts (or the platform asks for the current prompt again).
    Start,
    /// Keys pressed (a single key on menus; digits without the `#` on inputs).
    Keys(String),
    /// No key before the timeout.
    NoInput,
    /// A key the platform's grammar rejected.
    NoMatch,
    /// A recording finished, available at this URL (the platform hosts it).
    Recording(String),
    /// A recording finished and was uploaded with the request (VoiceXML): we store it.
    Upload(Upload),
}

/// Why a turn could not be answered (the caller is told the service is unavailable).
#[derive(Debug, thiserror::Error)]
enum TurnError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("recording not stored in {}: {source}", dir.display())]
    Recording {
        dir: std::path::PathBuf,
        source: std::io::Error,
    },
}

/// One voice request, as any gateway delivers it once parsed.
#[derive(Debug, Clone)]
pub struct VoiceTurnRequest {
    pub gateway: &'static str,
    pub session_id: String,
    pub phone: String,
    pub event: VoiceEvent,
    /// Languages the platform's speech synthesis speaks.
    pub tts: &'static [&'static str],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum Mode {
    Menu,
    /// After repeated failures: 1 call-back, 2 record a complaint.
    Offer,
    Recording,
    Done,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct VoiceSession {
    state: State,
    phone: String,
    hops: i64,
    started_at: DateTime<Utc>,
    outcome: Option<String>,
    failures: u32,
    mode: Mode,
}

fn session_key(gateway: &str, session_id: &str) -> String {
    format!("voice:{gateway}:{session_id}")
}

/// Whether agents answer at `now`, on the clock of the configured country.
pub fn staffed(config: &crate::config::VoiceConfig, now: DateTime<Utc>) -> bool {
    let local = now.with_timezone(&crate::text::format::country_offset(&config.agent_country));
    let day = local.weekday().number_from_monday();
    config.agent_days.contains(&day)
        && local.hour() >= config.agent_open_hour
        && local.hour() < config.agent_close_hour
}

impl App {
    fn voice_engine(&self) -> Engine<'_> {
        Engine::new(&self.menu, &self.catalog, Profile::VOICE)
    }

    fn speaker<'s>(
        &'s self,
        shapes: &'s Shapes,
        index: &'s PromptIndex,
        tts: &'s [&'s str],
    ) -> Speaker<'s> {
        Speaker {
            catalog: &self.catalog,
            shapes,
            index,
            chains: &self.config.voice.prompt_fallbacks,
            tts,
        }
    }

    /// Answers one turn of a call. Never fails: a store outage is said, then the call ends.
    pub async fn voice_turn(&self, request: VoiceTurnRequest) -> Turn {
        let key = session_key(request.gateway, &request.session_id);
        let outcome = tokio::time::timeout(
            Duration::from_millis(3500),
            self.try_voice_turn(&request, &key),
        )
        .await;
        let error = match outcome {
            Ok(Ok(turn)) => return turn,
            Ok(Err(e)) => e.to_string(),
            Err(_) => "no answer in time".to_string(),
        };
        tracing::error!(
            session = %request.session_id,
            phone = %mask_msisdn(&request.phone),
            %error,
            "voice turn failed; caller told the service is unavailable"
        );
        let lang = self.catalog.default_lang().to_string();
        let shapes = Shapes::shared(&self.config.locales_dir);
        let index = PromptIndex::shared(&self.config.voice.prompts_dir);
        let speaker = self.speaker(&shapes, &index, request.tts);
        Turn {
            session_id: request.session_id.clone(),
            segments: speaker.message(&lang, messages::UNAVAILABLE, &BTreeMap::new()),
            lang,
            collect: Collect::Hangup,
            timeout_secs: self.config.voice.key_timeout_secs,
        }
    }

    async fn try_voice_turn(
        &self,
        request: &VoiceTurnRequest,
        key: &str,
    ) -> Result<Turn, TurnError> {
        let shapes = Shapes::shared(&self.config.locales_dir);
        let index = PromptIndex::shared(&self.config.voice.prompts_dir);
        let speaker = self.speaker(&shapes, &index, request.tts);
        let engine = self.voice_engine();
        let now = Utc::now();
        let caller = Caller {
            phone: &request.phone,
            channel: "voice",
            gateway: request.gateway,
            session_id: &request.session_id,
        };
        let stored = match self.sessions.get(key).await? {
            None => None,
            Some(bytes) => Some(
                serde_json::from_slice::<VoiceSession>(&bytes)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            ),
        };
        let stored = stored.filter(|s| s.phone == request.phone);
        let mut prefix: Vec<Segment> = Vec::new();
        let mut error: Option<&str> = None;
        let mut collect_override: Option<Collect> = None;
        let mut session = match stored {
            None => {
                let vars = BTreeMap::from([("phone".to_string(), Value::text(&request.phone))]);
                let (mut state, step) = engine.start(self.catalog.default_lang(), vars);
                let mut outcome = None;
                self.drive(&engine, &caller, &mut state, &mut outcome, step)
                    .await?;
                VoiceSession {
                    state,
                    phone: request.phone.clone(),
                    hops: 0,
                    started_at: now,
                    outcome,
                    failures: 0,
                    mode: Mode::Menu,
                }
            }
            Some(mut session) => {
                let lang = session.state.lang.clone();
                let none = BTreeMap::new();
                match (session.mode, &request.event) {
                    (_, VoiceEvent::Start) => {}
                    (Mode::Menu, VoiceEvent::Keys(k)) if k == keys::REPEAT => {}
                    (Mode::Menu, VoiceEvent::Keys(k)) if k == keys::AGENT => {
                        let voice = &self.config.voice;
                        match (&voice.agent_number, staffed(voice, now)) {
                            (Some(number), true) => {
                                prefix.extend(speaker.message(&lang, ids::AGENT_TRANSFER, &none));
                                collect_override = Some(Collect::Transfer(number.clone()));
                                session.outcome = Some("agent:transfer".into());
                            }
                            _ => {
                                let hours = BTreeMap::from([
                                    (
                                        "open".to_string(),
                                        Value::Number(voice.agent_open_hour.into()),
                                    ),
                                    (
                                        "close".to_string(),
                                        Value::Number(voice.agent_close_hour.into()),
                                    ),
                                ]);
                                prefix.extend(speaker.message(&lang, ids::AGENT_HOURS, &hours));
                            }
                        }
                    }
                    (Mode::Menu, VoiceEvent::Keys(k)) => {
                        let screen = engine.spoken(&session.state, None);
                        let takes_input = screen.as_ref().is_some_and(|s| s.takes_input);
                        let input = match k.as_str() {
                            keys::MORE if !takes_input => KEY_MORE.to_string(),
                            // `#` alone (or an empty entry, `#` being the end key) is back.
                            keys::BACK | "" if !takes_input => KEY_BACK.to_string(),
                            other => other.trim_end_matches('#').to_string(),
                        };
                        if !input.is_empty() && engine.understands(&session.state, &input) {
                            session.failures = 0;
                            let (state, step) = engine.input(session.state, &input);
                            session.state = state;
                            self.drive(
                                &engine,
                                &caller,
                                &mut session.state,
                                &mut session.outcome,
                                step,
                            )
                            .await?;
                        } else {
                            session.failures += 1;
                            error = Some(if input.is_empty() {
                                ids::NO_INPUT
                            } else {
                                messages::INVALID
                            });
                        }
                    }
                    (Mode::Menu, VoiceEvent::NoInput | VoiceEvent::NoMatch) => {
                        session.failures += 1;
                        error = Some(if request.event == VoiceEvent::NoInput {
                            ids::NO_INPUT
                        } else {
                            messages::INVALID
                        });
                    }
                    (Mode::Offer, VoiceEvent::Keys(k)) if k == "1" => {
                        let actions = self.actions();
                        let request = ActionRequest {
                            node: "voice_offer".into(),
                            name: "request_callback".into(),
                            args: BTreeMap::new(),
                        };
                        actions.perform(&request, &session.state, &caller).await?;
                        session.outcome = Some("request_callback:ok".into());
                        session.mode = Mode::Done;
                        prefix.extend(speaker.message(&lang, ids::CALLBACK_DONE, &none));
                    }
                    (Mode::Offer, VoiceEvent::Keys(k)) if k == "2" => {
                        session.mode = Mode::Recording;
                        prefix.extend(speaker.message(&lang, ids::RECORD_PROMPT, &none));
                        collect_override = Some(Collect::Record {
                            max_secs: MAX_RECORDING_SECS,
                        });
                    }
                    (Mode::Offer, VoiceEvent::Keys(k)) if k == keys::REPEAT => {}
                    (Mode::Offer, _) => {
                        session.mode = Mode::Done;
                    }
                    (Mode::Recording, VoiceEvent::Recording(_) | VoiceEvent::Upload(_)) => {
                        let url = match &request.event {
                            VoiceEvent::Upload(upload) => {
                                self.store_recording(&caller, upload).await?
                            }
                            VoiceEvent::Recording(url) => url.clone(),
                            _ => String::new(),
                        };
                        // Said only once the ticket row is committed (create_ticket returns
                        // after the commit).
                        let reference = self.file_recording(&session, &caller, &url).await?;
                        session.outcome = Some(format!("{RECORDED}{reference}"));
                        session.mode = Mode::Done;
                        let args = BTreeMap::from([("ref".to_string(), Value::text(reference))]);
                        prefix.extend(speaker.message(&lang, ids::RECORD_DONE, &args));
                    }
                    // The platform resends a recording we filed (our answer was lost): the
                    // caller hears the same reference, nothing more is filed or stored.
                    (Mode::Done, VoiceEvent::Recording(_) | VoiceEvent::Upload(_))
                        if session
                            .outcome
                            .as_deref()
                            .is_some_and(|o| o.starts_with(RECORDED)) =>
                    {
                        let reference = session.outcome.as_deref().unwrap_or_default()
                            [RECORDED.len()..]
                            .to_string();
                        let args = BTreeMap::from([("ref".to_string(), Value::text(reference))]);
                        prefix.extend(speaker.message(&lang, ids::RECORD_DONE, &args));
                    }
                    (Mode::Recording, _)
                    | (Mode::Done, _)
                    | (Mode::Menu, VoiceEvent::Recording(_) | VoiceEvent::Upload(_)) => {
                        session.mode = Mode::Done;
                    }
                }
                if session.mode == Mode::Menu && session.failures > self.config.voice.max_retries {
                    session.mode = Mode::Offer;
                }
                session
            }
        };

        let lang = session.state.lang.clone();
        let none = BTreeMap::new();
        let mut segments = prefix;
        let collect = match (session.mode, collect_override) {
            (_, Some(c)) => c,
            (Mode::Offer, None) => {
                segments.extend(speaker.message(&lang, ids::OFFER, &none));
                Collect::Key
            }
            (Mode::Done, None) | (Mode::Recording, None) => {
                session.mode = Mode::Done;
                segments.extend(speaker.message(&lang, ids::GOODBYE, &none));
                Collect::Hangup
            }
            (Mode::Menu, None) => {
                let (said, collect) = self.speak_screen(&engine, &speaker, &session.state, error);
                segments.extend(said);
                if collect == Collect::Hangup {
                    session.mode = Mode::Done;
                }
                collect
            }
        };
        session.hops += 1;
        let ended = collect == Collect::Hangup;
        self.record_interaction(&InteractionLog {
            channel: "voice",
            gateway: request.gateway,
            session_id: &request.session_id,
            phone: &request.phone,
            state: &session.state,
            outcome: session.outcome.as_deref(),
            hops: session.hops,
            started_at: session.started_at,
            now,
            ended,
        })
        .await?;
        let bytes = serde_json::to_vec(&session).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let ttl = Duration::from_secs(self.config.session_ttl_secs).max(MIN_VOICE_TTL);
        self.sessions.put(key, bytes, ttl).await?;
        tracing::info!(
            session = %request.session_id,
            phone = %mask_msisdn(&request.phone),
            screen = %session.state.screen,
            mode = ?session.mode,
            "voice turn"
        );
        Ok(Turn {
            session_id: request.session_id.clone(),
            lang,
            segments,
            collect,
            timeout_secs: self.config.voice.key_timeout_secs,
        })
    }

    /// The current page, spoken: text first, then "to <function>, press <key>" per choice,
    /// then the navigation keys.
    fn speak_screen(
        &self,
        engine: &Engine<'_>,
        speaker: &Speaker<'_>,
        state: &State,
        error: Option<&str>,
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
        if state.screen == self.menu.home {
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

    /// Stores an uploaded recording under `voice.recordings_dir`; returns the URL it is served
    /// at (`<public_url>/recordings/<file>`, or the path alone without a public URL).
    async fn store_recording(
        &self,
        caller: &Caller<'_>,
        upload: &Upload,
    ) -> Result<String, TurnError> {
        let voice = &self.config.voice;
        let name = recording::file_name(caller.gateway, caller.session_id, &upload.audio);
        let path = recording::store(&voice.recordings_dir, &name, upload.audio.clone())
            .await
            .map_err(|source| TurnError::Recording {
                dir: voice.recordings_dir.clone(),
                source,
            })?;
        tracing::info!(
            session = %caller.session_id,
            file = %path.display(),
            bytes = upload.audio.len(),
            "voice recording stored"
        );
        let base = voice
            .public_url
            .as_deref()
            .unwrap_or("")
            .trim_end_matches('/');
        Ok(format!("{base}{}{name}", recording::URL_PREFIX))
    }

    /// A complaint recorded by voice: a ticket carrying the recording's URL.
    async fn file_recording(
        &self,
        session: &VoiceSession,
        caller: &Caller<'_>,
        url: &str,
    ) -> StoreResult<String> {
        let now = Utc::now();
        let account = crate::actions::session_account(&session.state).map(str::to_string);
        let ticket = self
            .crm
            .create_ticket(&NewTicket {
                origin_key: format!(
                    "{}:{}:{}:voice_recording",
                    caller.channel, caller.gateway, caller.session_id
                ),
                account_no: account,
                phone: Some(caller.phone.to_string()),
                category: "other".into(),
                channel: "voice".into(),
                created_at: now,
                sla_due_at: Some(now + chrono::Duration::hours(self.config.sla_hours("other"))),
                note: Some(format!("voice recording: {url}")),
            })
            .await?;
        Ok(ticket.ticket_ref)
    }

    /// The platform's end-of-call notification: recorded against the interaction (channel
    /// `voice`), and the session forgotten.
    pub async fn voice_ended(&self, end: &SessionEnd) -> StoreResult<()> {
        let key = session_key(&end.gateway, &end.session_id);
        let mut end = end.clone();
        // The interaction is closed (`ended`, channel `voice`) whatever screen the caller hung
        // up on; the end notification alone only adds its duration and cause.
        if let Some(bytes) = self.sessions.get(&key).await?
            && let Ok(session) = serde_json::from_slice::<VoiceSession>(&bytes)
        {
            // VoiceXML platforms do not say how long the call lasted: from its first turn.
            if end.duration_ms.is_none() {
                end.duration_ms = Some((Utc::now() - session.started_at).num_milliseconds());
            }
            self.record_interaction(&InteractionLog {
                channel: "voice",
                gateway: &end.gateway,
                session_id: &end.session_id,
                phone: &session.phone,
                state: &session.state,
                outcome: session.outcome.as_deref(),
                hops: session.hops,
                started_at: session.started_at,
                now: Utc::now(),
                ended: true,
            })
            .await?;
        }
        self.crm.record_session_end(&end).await?;
        self.sessions.delete(&key).await
    }
}
