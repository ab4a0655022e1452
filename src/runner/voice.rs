//! Voice turns: the voice policy (pure, `voice::policy`) decides, the runner performs its
//! effect (the engine and its actions, a call-back, a recorded complaint, taking a dropped
//! call's place over), then the screen or the policy's closing words are spoken. A call's
//! first turn offers to continue the caller's last call if it hung up mid-menu within
//! `resume_secs` (`runner::resume`).

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::failure::HopError;
use super::menus::MenuSet;
use super::{App, HOP_DEADLINE, HopKey, Session, resume};
use crate::actions::{Caller, file_recorded_complaint};
use crate::channel::{Channel, Event, Inbound, Recording};
use crate::engine::{ActionRequest, ActionResult, Engine, Value, messages};
use crate::store::StoreError;
use crate::text::privacy::mask_msisdn;
use crate::voice::policy::{self, Desk, Effect, MenuView, Plan};
use crate::voice::recording;
use crate::voice::speech::{PromptIndex, Segment, Speaker};
use crate::voice::{Collect, Turn, screen};

/// The node the offer's call-back is keyed by (one call-back per call).
const OFFER_NODE: &str = "voice_offer";

/// What a turn's steps work with: the call's menu set, and the caller.
struct OnSet<'a> {
    set: &'a MenuSet,
    engine: Engine<'a>,
    speaker: Speaker<'a>,
    caller: Caller<'a>,
    now: DateTime<Utc>,
}

/// What the turn says so far, in the language it began in.
struct Said {
    lang: String,
    segments: Vec<Segment>,
}

impl Said {
    fn say(&mut self, speaker: &Speaker<'_>, id: &str, args: &BTreeMap<String, Value>) {
        self.segments.extend(speaker.message(&self.lang, id, args));
    }
}

impl App {
    /// Answers one request of a voice platform: `None` once the call is over (recorded), else
    /// the next turn. A store failure on a turn is said, then the call ends.
    pub async fn voice(
        &self,
        gateway: &'static str,
        tts: &'static [&'static str],
        inbound: Inbound,
    ) -> Result<Option<Turn>, StoreError> {
        let key = HopKey {
            channel: Channel::Voice,
            gateway,
            session_id: &inbound.session_id,
        };
        if let Event::End(end) = &inbound.event {
            let ended = self.session_ended(&key, end).await;
            ended.inspect_err(|e| self.count_store_error(e))?;
            return Ok(None);
        }
        let started = std::time::Instant::now();
        let turn =
            tokio::time::timeout(HOP_DEADLINE, self.try_voice_turn(&key, tts, &inbound)).await;
        let channel = Channel::Voice.as_str();
        self.metrics.hop_time(gateway, channel, started.elapsed());
        let turn = match turn.unwrap_or_else(|_| Err(HopError::Timeout(HOP_DEADLINE))) {
            Ok(turn) => turn,
            Err(error) => self.voice_goodbye(&key, tts, &inbound, error).await,
        };
        Ok(Some(turn))
    }

    /// A failed turn's goodbye, then the call hangs up.
    async fn voice_goodbye(
        &self,
        key: &HopKey<'_>,
        tts: &'static [&'static str],
        inbound: &Inbound,
        error: HopError,
    ) -> Turn {
        let lang = self.hop_failed(key, &inbound.phone, error).await;
        let set = self.menus.current();
        let index = self.prompt_index();
        let speaker = self.speaker(&set, &index, tts);
        Turn {
            session_id: inbound.session_id.clone(),
            segments: speaker.message(&lang, messages::UNAVAILABLE, &BTreeMap::new()),
            lang,
            collect: Collect::Hangup,
            timeout_secs: self.config.voice.key_timeout_secs,
        }
    }

    /// The recordings: the same for every menu set (a reload reads them again).
    fn prompt_index(&self) -> std::sync::Arc<PromptIndex> {
        PromptIndex::shared(&self.config.voice.prompts_dir)
    }

    /// Speaks from `set`'s translations (the call's menu set).
    fn speaker<'s>(
        &'s self,
        set: &'s MenuSet,
        index: &'s PromptIndex,
        tts: &'s [&'s str],
    ) -> Speaker<'s> {
        Speaker {
            catalog: &set.catalog,
            shapes: &set.shapes,
            index,
            chains: &self.config.voice.prompt_fallbacks,
            tts,
        }
    }

    fn desk(&self) -> Desk {
        let voice = &self.config.voice;
        Desk {
            agent_number: voice.agent_number.clone(),
            staffed: policy::staffed(voice, Utc::now()),
            open_hour: voice.agent_open_hour,
            close_hour: voice.agent_close_hour,
            days: voice.agent_days.clone(),
            max_retries: voice.max_retries,
        }
    }

    /// One turn: the call's session and menu set, a new call started or the policy's plan for
    /// this event, the plan carried out, the turn closed (the screen, or the policy's closing
    /// words), the session saved.
    async fn try_voice_turn(
        &self,
        key: &HopKey<'_>,
        tts: &'static [&'static str],
        inbound: &Inbound,
    ) -> Result<Turn, HopError> {
        let now = Utc::now();
        let caller = Caller {
            phone: &inbound.phone,
            channel: Channel::Voice.as_str(),
            gateway: key.gateway,
            session_id: key.session_id,
        };
        let (stored, set) = self.load_call(key, inbound).await?;
        let index = self.prompt_index();
        let on = OnSet {
            speaker: self.speaker(&set, &index, tts),
            engine: self.engine(&set, Channel::Voice),
            set: &set,
            caller,
            now,
        };
        let (mut session, mut plan) = match stored {
            None => (self.start_call(key, &on).await?, Plan::nothing()),
            Some(mut session) => {
                let plan = self.plan(&on.engine, &mut session, &inbound.event);
                (session, plan)
            }
        };
        let mut said = self.carry_out(&on, &mut session, &mut plan).await?;
        let collect = self.close_turn(&on, &mut session, &plan, &mut said).await?;
        self.end_turn(key, session, said.segments, collect, now)
            .await
    }

    /// The call's session (none for a new call, or one from another phone) and the menu set
    /// it runs on: the one it started on, whatever reload came meanwhile. A call whose set is
    /// gone (a restart, another instance on another version) starts over on the current one:
    /// the caller hears the main menu again rather than a screen that may not exist any more.
    async fn load_call(
        &self,
        key: &HopKey<'_>,
        inbound: &Inbound,
    ) -> Result<(Option<Session>, Arc<MenuSet>), HopError> {
        let stored = self.load_session(key).await?;
        let Some(session) = stored.filter(|s| s.phone == inbound.phone) else {
            return Ok((None, self.menus.current()));
        };
        if let Some(set) = self.menus.of(session.menu_version.as_deref()) {
            return Ok((Some(session), set));
        }
        tracing::warn!(
            session = %key.session_id,
            phone = %mask_msisdn(&inbound.phone),
            version = session.menu_version.as_deref().unwrap_or("-"),
            "the call's menu version is gone: the call starts over"
        );
        Ok((None, self.menus.current()))
    }

    /// A new call: the menu's first screen, or the offer to continue the caller's last call if
    /// it hung up mid-menu (the menu reached meanwhile is kept for "start over"), said in the
    /// dropped call's language.
    async fn start_call(&self, key: &HopKey<'_>, on: &OnSet<'_>) -> Result<Session, HopError> {
        let phone = on.caller.phone;
        let vars = BTreeMap::from([("phone".to_string(), Value::text(phone))]);
        let (state, step) = on.engine.start(on.set.catalog.default_lang(), vars);
        let mut session = Session::new(state, phone, on.now, &on.set.version);
        self.drive(&on.engine, &on.caller, &mut session, step)
            .await?;
        let offer = self
            .dropped_session(key, phone, on.now, &on.set.version)
            .await?
            .filter(|(_, dropped)| resume::worth_offering(&dropped.state, &session.state));
        if let Some((dropped_key, dropped)) = offer {
            session.resume_from = Some(dropped_key);
            session.state.lang = dropped.state.lang;
            session.call.mode = policy::Mode::Resume;
        }
        Ok(session)
    }

    /// Says what the plan says, performs its effect (and says what comes of it), and keeps
    /// its outcome. The turn's words stay in the language the turn began in.
    async fn carry_out(
        &self,
        on: &OnSet<'_>,
        session: &mut Session,
        plan: &mut Plan,
    ) -> Result<Said, HopError> {
        let mut said = Said {
            lang: session.state.lang.clone(),
            segments: Vec::new(),
        };
        for message in &plan.say {
            said.say(&on.speaker, message.id, &message.args);
        }
        if let Some(effect) = plan.effect.take() {
            let result = self
                .perform(&on.engine, &on.caller, session, effect)
                .await?;
            if let Some(id) = plan.after_effect {
                said.say(&on.speaker, id, &result.vars);
            }
        }
        if let Some(outcome) = plan.outcome.take() {
            session.outcome = Some(outcome);
        }
        Ok(said)
    }

    /// How the turn ends: the policy's closing words, else the screen spoken (and, when the
    /// menu is over, the survey asked if due). Returns what to collect from the caller.
    async fn close_turn(
        &self,
        on: &OnSet<'_>,
        session: &mut Session,
        plan: &Plan,
        said: &mut Said,
    ) -> Result<Collect, HopError> {
        if let Some((message, collect)) = policy::closing(&mut session.call, plan) {
            if let Some(id) = message {
                said.say(&on.speaker, id, &BTreeMap::new());
            }
            return Ok(collect);
        }
        let home = &on.set.menu.home;
        let (screen, collect) =
            screen::speak(&on.engine, &on.speaker, &session.state, plan.error, home);
        said.segments.extend(screen);
        if collect == Collect::Hangup && self.survey_due(session, on.now).await? {
            self.ask_survey(on, session, said).await?;
            return Ok(Collect::Key);
        }
        if collect == Collect::Hangup {
            session.call.mode = policy::Mode::Done;
        }
        Ok(collect)
    }

    /// The menu is over and the call went well enough to ask how it went: the invitation is
    /// queued, and the question replaces the goodbye (which comes after the answer).
    async fn ask_survey(
        &self,
        on: &OnSet<'_>,
        session: &mut Session,
        said: &mut Said,
    ) -> Result<(), HopError> {
        let account = crate::actions::session_account(&session.state);
        let outbox = &self.notifier.outbox;
        let invitation = outbox
            .invite_in_call(&session.phone, account, &said.lang, on.now)
            .await?;
        session.call.survey_invitation = Some(invitation.id);
        session.call.mode = policy::Mode::Survey;
        let goodbye = on
            .speaker
            .message(&said.lang, policy::ids::GOODBYE, &BTreeMap::new());
        if !goodbye.is_empty() && said.segments.ends_with(&goodbye) {
            said.segments.truncate(said.segments.len() - goodbye.len());
        }
        said.say(&on.speaker, policy::ids::SURVEY, &BTreeMap::new());
        Ok(())
    }

    /// Saves the session and returns the turn. A transfer hands the caller to an agent: the
    /// IVR's part of the call is over (and nothing to resume when it ends).
    async fn end_turn(
        &self,
        key: &HopKey<'_>,
        mut session: Session,
        segments: Vec<Segment>,
        collect: Collect,
        now: DateTime<Utc>,
    ) -> Result<Turn, HopError> {
        let ended = matches!(collect, Collect::Hangup | Collect::Transfer(_));
        if ended {
            session.call.mode = policy::Mode::Done;
        }
        self.finish_hop(key, &mut session, now, ended).await?;
        Ok(Turn {
            session_id: key.session_id.to_string(),
            lang: session.state.lang,
            segments,
            collect,
            timeout_secs: self.config.voice.key_timeout_secs,
        })
    }

    /// Whether a call ending now is asked the survey: it achieved something worth rating
    /// (`[sms] survey_outcomes`), and the phone was not surveyed within `survey_every_days`
    /// nor opted out.
    async fn survey_due(
        &self,
        session: &Session,
        now: chrono::DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let sms = &self.config.sms;
        let worth_rating = session.outcome.as_deref().is_some_and(|o| {
            sms.survey_outcomes
                .iter()
                .any(|p| o.starts_with(p.as_str()))
        });
        if !worth_rating {
            return Ok(false);
        }
        let since = now - chrono::Duration::days(sms.survey_every_days);
        let surveyed = self
            .notifier
            .outbox
            .surveyed_since(&session.phone, since)
            .await?;
        Ok(!surveyed)
    }

    /// The voice policy's plan for this event, against the screen the caller hears now.
    fn plan(&self, engine: &Engine<'_>, session: &mut Session, event: &Event) -> Plan {
        let state = &session.state;
        let takes_input = engine
            .spoken(state, None)
            .as_ref()
            .is_some_and(|s| s.takes_input);
        let understands = |input: &str| engine.understands(state, input);
        let menu = MenuView {
            takes_input,
            understands: &understands,
        };
        policy::decide(&mut session.call, event, &menu, &self.desk())
    }

    /// Performs a plan's effect; returns the variables it produced (`ref` of a filing).
    async fn perform(
        &self,
        engine: &Engine<'_>,
        caller: &Caller<'_>,
        session: &mut Session,
        effect: Effect,
    ) -> Result<ActionResult, HopError> {
        match effect {
            Effect::Menu(input) => {
                let (state, step) = engine.input(std::mem::take(&mut session.state), &input);
                session.state = state;
                self.drive(engine, caller, session, step).await?;
                Ok(ActionResult::default())
            }
            Effect::ContinueDropped => {
                // Gone meanwhile (expired, or taken by another call): the call starts over.
                if let Some(dropped_key) = session.resume_from.take() {
                    self.take_over(Channel::Voice, session, &dropped_key, Utc::now())
                        .await?;
                }
                Ok(ActionResult::default())
            }
            Effect::StartOver => {
                session.resume_from = None;
                Ok(ActionResult::default())
            }
            Effect::RequestCallback => {
                let request = ActionRequest {
                    node: OFFER_NODE.into(),
                    name: "request_callback".into(),
                    args: BTreeMap::new(),
                };
                Ok(self.act(engine.catalog, caller, session, &request).await?)
            }
            Effect::SurveyAnswer(score) => {
                let Some(id) = session.call.survey_invitation.take() else {
                    return Ok(ActionResult::default());
                };
                let invitation = crate::store::outbox::Invitation {
                    id,
                    account_no: crate::actions::session_account(&session.state).map(str::to_string),
                    interaction_id: None,
                    channel: Channel::Voice.as_str().into(),
                    language: Some(session.state.lang.clone()),
                    help_sent: false,
                    asked_at: Utc::now(),
                };
                let outbox = &self.notifier.outbox;
                outbox
                    .answer_survey(&invitation, caller.phone, score, Utc::now())
                    .await?;
                Ok(ActionResult::default())
            }
            Effect::FileRecording(recording) => {
                let url = match recording {
                    Recording::Hosted(url) => url,
                    Recording::Uploaded(upload) => {
                        self.store_recording(caller, &upload.audio).await?
                    }
                    Recording::Empty => String::new(),
                };
                session
                    .state
                    .vars
                    .insert(file_recorded_complaint::URL_VAR.into(), Value::text(url));
                // Said only once the ticket row is committed (the action returns after it).
                let request = file_recorded_complaint::request();
                let result = self.act(engine.catalog, caller, session, &request).await?;
                let reference = result.vars.get("ref").map(|r| r.display("en"));
                // The interactions log has always said it this way; CRM queries rely on it.
                session.outcome = Some(format!(
                    "file_complaint:recorded:{}",
                    reference.as_deref().unwrap_or_default()
                ));
                session.call.recorded_ref = reference;
                Ok(result)
            }
        }
    }

    /// Stores an uploaded recording under `voice.recordings_dir`; returns the URL it is served
    /// at (`<public_url>/recordings/<file>`, or the path alone without a public URL).
    async fn store_recording(
        &self,
        caller: &Caller<'_>,
        audio: &bytes::Bytes,
    ) -> Result<String, HopError> {
        let voice = &self.config.voice;
        let name = recording::file_name(caller.gateway, caller.session_id, audio);
        let path = recording::store(&voice.recordings_dir, &name, audio.clone())
            .await
            .map_err(|source| HopError::Recording {
                dir: voice.recordings_dir.clone(),
                source,
            })?;
        tracing::info!(
            session = %caller.session_id,
            file = %path.display(),
            bytes = audio.len(),
            "voice recording stored"
        );
        let base = voice
            .public_url
            .as_deref()
            .unwrap_or("")
            .trim_end_matches('/');
        Ok(format!("{base}{}{name}", recording::URL_PREFIX))
    }
}
