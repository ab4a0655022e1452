//! Voice turns: the voice policy (pure, `voice::policy`) decides, the runner performs its
//! effect (the engine and its actions, a call-back, a recorded complaint, taking a dropped
//! call's place over), then the screen or the policy's closing words are spoken. A call's
//! first turn offers to continue the caller's last call if it hung up mid-menu within
//! `resume_secs` (`runner::resume`).

use std::collections::BTreeMap;

use chrono::Utc;

use super::menus::MenuSet;
use super::{App, HOP_DEADLINE, HopKey, Session, resume};
use crate::actions::{Caller, file_recorded_complaint};
use crate::channel::{Channel, Event, Inbound, Recording};
use crate::engine::{ActionRequest, ActionResult, Engine, Value, messages};
use crate::gateway::mask_msisdn;
use crate::metrics::HopOutcome;
use crate::store::StoreError;
use crate::voice::policy::{self, Desk, Effect, MenuView, Plan};
use crate::voice::recording;
use crate::voice::speech::{PromptIndex, Speaker};
use crate::voice::{Collect, Turn, screen};

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

/// The node the offer's call-back is keyed by (one call-back per call).
const OFFER_NODE: &str = "voice_offer";

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
        let channel = Channel::Voice.as_str();
        let outcome =
            tokio::time::timeout(HOP_DEADLINE, self.try_voice_turn(&key, tts, &inbound)).await;
        self.metrics.hop_time(gateway, channel, started.elapsed());
        let (error, failed) = match outcome {
            Ok(Ok(turn)) => return Ok(Some(turn)),
            Ok(Err(e)) => {
                if let TurnError::Store(store) = &e {
                    self.count_store_error(store);
                }
                (e.to_string(), HopOutcome::Error)
            }
            Err(_) => ("no answer in time".to_string(), HopOutcome::Timeout),
        };
        tracing::error!(
            session = %inbound.session_id,
            phone = %mask_msisdn(&inbound.phone),
            %error,
            "voice turn failed; caller told the service is unavailable"
        );
        let set = self.menus.current();
        let lang = set.catalog.default_lang().to_string();
        self.metrics.hop(gateway, channel, &lang, failed);
        let index = self.prompt_index();
        let speaker = self.speaker(&set, &index, tts);
        Ok(Some(Turn {
            session_id: inbound.session_id.clone(),
            segments: speaker.message(&lang, messages::UNAVAILABLE, &BTreeMap::new()),
            lang,
            collect: Collect::Hangup,
            timeout_secs: self.config.voice.key_timeout_secs,
        }))
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

    async fn try_voice_turn(
        &self,
        key: &HopKey<'_>,
        tts: &'static [&'static str],
        inbound: &Inbound,
    ) -> Result<Turn, TurnError> {
        let now = Utc::now();
        let caller = Caller {
            phone: &inbound.phone,
            channel: Channel::Voice.as_str(),
            gateway: key.gateway,
            session_id: key.session_id,
        };
        let mut stored = self
            .load_session(key)
            .await?
            .filter(|s| s.phone == inbound.phone);
        // A call runs on the menu set it started on, whatever reload came meanwhile. One whose
        // set is gone (a restart, another instance on another version) starts over on the
        // current one: the caller hears the main menu again rather than a screen that may not
        // exist any more.
        let set = match &stored {
            None => self.menus.current(),
            Some(session) => match self.menus.of(session.menu_version.as_deref()) {
                Some(set) => set,
                None => {
                    tracing::warn!(
                        session = %key.session_id,
                        phone = %mask_msisdn(&inbound.phone),
                        version = session.menu_version.as_deref().unwrap_or("-"),
                        "the call's menu version is gone: the call starts over"
                    );
                    stored = None;
                    self.menus.current()
                }
            },
        };
        let index = self.prompt_index();
        let speaker = self.speaker(&set, &index, tts);
        let engine = self.engine(&set, Channel::Voice);
        let (mut session, plan) = match stored {
            None => {
                let vars = BTreeMap::from([("phone".to_string(), Value::text(&inbound.phone))]);
                let (state, step) = engine.start(set.catalog.default_lang(), vars);
                let mut session = Session::new(state, &inbound.phone, now, &set.version);
                self.drive(&engine, &caller, &mut session, step).await?;
                let offer = self
                    .dropped_session(key, &inbound.phone, now, &set.version)
                    .await?
                    .filter(|(_, dropped)| resume::worth_offering(&dropped.state, &session.state));
                if let Some((dropped_key, dropped)) = offer {
                    // The caller's last call hung up mid-menu: continue it, or start over (the
                    // menu reached meanwhile is kept for that). Said in the dropped call's
                    // language.
                    session.resume_from = Some(dropped_key);
                    session.state.lang = dropped.state.lang;
                    session.call.mode = policy::Mode::Resume;
                }
                (session, None)
            }
            Some(mut session) => {
                let plan = self.plan(&engine, &mut session, &inbound.event);
                (session, Some(plan))
            }
        };
        let mut segments = Vec::new();
        let mut plan = plan.unwrap_or_else(Plan::nothing);
        let lang = session.state.lang.clone();
        for said in &plan.say {
            segments.extend(speaker.message(&lang, said.id, &said.args));
        }
        if let Some(effect) = plan.effect.take() {
            let result = self.perform(&engine, &caller, &mut session, effect).await?;
            if let Some(id) = plan.after_effect {
                segments.extend(speaker.message(&lang, id, &result.vars));
            }
        }
        if let Some(outcome) = plan.outcome.take() {
            session.outcome = Some(outcome);
        }
        let collect = match policy::closing(&mut session.call, &plan) {
            Some((message, collect)) => {
                if let Some(id) = message {
                    segments.extend(speaker.message(&lang, id, &BTreeMap::new()));
                }
                collect
            }
            None => {
                let (said, collect) = screen::speak(
                    &engine,
                    &speaker,
                    &session.state,
                    plan.error,
                    &set.menu.home,
                );
                segments.extend(said);
                if collect == Collect::Hangup && self.survey_due(&session, now).await? {
                    // The menu is over and the call went well enough to ask how it went.
                    let invitation = self
                        .notifier
                        .outbox
                        .invite_in_call(
                            &session.phone,
                            crate::actions::session_account(&session.state),
                            &lang,
                            now,
                        )
                        .await?;
                    session.call.survey_invitation = Some(invitation.id);
                    session.call.mode = policy::Mode::Survey;
                    // Goodbye comes after the answer, not before the question.
                    let goodbye = speaker.message(&lang, policy::ids::GOODBYE, &BTreeMap::new());
                    if !goodbye.is_empty() && segments.ends_with(&goodbye) {
                        segments.truncate(segments.len() - goodbye.len());
                    }
                    segments.extend(speaker.message(&lang, policy::ids::SURVEY, &BTreeMap::new()));
                    Collect::Key
                } else {
                    if collect == Collect::Hangup {
                        session.call.mode = policy::Mode::Done;
                    }
                    collect
                }
            }
        };
        // A transfer hands the caller to an agent: the IVR's part of the call is over (and
        // nothing to resume when it ends).
        let ended = matches!(collect, Collect::Hangup | Collect::Transfer(_));
        if ended {
            session.call.mode = policy::Mode::Done;
        }
        self.finish_hop(key, &mut session, now, ended).await?;
        Ok(Turn {
            session_id: inbound.session_id.clone(),
            lang: session.state.lang.clone(),
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
    ) -> Result<ActionResult, TurnError> {
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
    ) -> Result<String, TurnError> {
        let voice = &self.config.voice;
        let name = recording::file_name(caller.gateway, caller.session_id, audio);
        let path = recording::store(&voice.recordings_dir, &name, audio.clone())
            .await
            .map_err(|source| TurnError::Recording {
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
