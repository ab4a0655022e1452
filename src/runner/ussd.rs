//! USSD hops: the resend and expiry rules (pure), then one named step per kind of hop (a new
//! session, a resend, an expired session, a session in flight, the answer to the offer to
//! resume), each ending in `answer` (the session saved, the screen returned). Failures are
//! `HopError`s, told to the caller in `failure.rs`.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::failure::HopError;
use super::{App, HopKey, LastHop, Session, resume};
use crate::actions::Caller;
use crate::channel::{Channel, Event, Inbound};
use crate::engine::{Engine, Reply, Step, Value, messages};
use crate::metrics::HopOutcome;
use crate::store::StoreError;
use crate::text::gsm7::PageBudget;
use crate::text::privacy::mask_msisdn;

/// Longest single input a phone can send in one USSD hop.
pub const MAX_INPUT_CHARS: usize = 182;

/// What a USSD hop means, given the session as stored. Pure.
#[derive(Debug, PartialEq, Eq)]
enum Hop<'a> {
    /// A new session.
    Start,
    /// The gateway resent a hop already answered (or a duplicate start): the same answer,
    /// no second effect.
    Resend(LastHop),
    /// No session for this input, or a session id reused by another phone (which must not
    /// reach the first caller's data).
    Expired,
    /// The caller's newest input.
    Input(&'a str),
    TooLong,
}

fn classify<'a>(stored: Option<&Session>, inbound: &'a Inbound) -> Hop<'a> {
    let Some(session) = stored else {
        return match inbound.event {
            Event::Start => Hop::Start,
            _ => Hop::Expired,
        };
    };
    if session.phone != inbound.phone {
        return Hop::Expired;
    }
    let last_token = session.last.as_ref().map(|l| l.token.as_str());
    // Anything after the last screen gets that screen again (an ended session keeps nothing
    // else to answer with).
    if let Some(last) = session.last.as_ref().filter(|l| l.end)
        && matches!(inbound.event, Event::Start | Event::Input(_))
    {
        return Hop::Resend(last.clone());
    }
    match &inbound.event {
        Event::Start => session.last.clone().map_or(Hop::Expired, Hop::Resend),
        Event::Input(input) => match (input.resend_token(), &session.last) {
            (Some(token), Some(last)) if token == last.token => Hop::Resend(last.clone()),
            _ => {
                let newest = input.newest(last_token.unwrap_or_default());
                if newest.chars().count() > MAX_INPUT_CHARS {
                    Hop::TooLong
                } else {
                    Hop::Input(newest)
                }
            }
        },
        _ => Hop::Expired,
    }
}

/// A USSD hop's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UssdAnswer {
    pub reply: Reply,
    /// The gateway resent a hop already answered: this is the same answer again (an
    /// asynchronous gateway, having pushed it once, need not push it twice).
    pub repeated: bool,
}

impl UssdAnswer {
    fn new(reply: Reply) -> UssdAnswer {
        UssdAnswer {
            reply,
            repeated: false,
        }
    }
}

impl App {
    /// Answers one USSD request of `gateway`: `None` for an end-of-session notification
    /// (recorded), else the screen. A hop taking longer than `budget`, or failing on a store,
    /// is answered with a polite `END` in the caller's language; on an end notification a
    /// failure is an error (the gateway may resend).
    pub async fn ussd(
        &self,
        gateway: &'static str,
        budget: Duration,
        inbound: Inbound,
    ) -> Result<Option<UssdAnswer>, StoreError> {
        let key = HopKey {
            channel: Channel::Ussd,
            gateway,
            session_id: &inbound.session_id,
        };
        if let Event::End(end) = &inbound.event {
            let ended = self.session_ended(&key, end).await;
            ended.inspect_err(|e| self.count_store_error(e))?;
            return Ok(None);
        }
        let started = std::time::Instant::now();
        let answer = self.ussd_hop(&key, budget, &inbound).await;
        let channel = Channel::Ussd.as_str();
        self.metrics.hop_time(gateway, channel, started.elapsed());
        Ok(Some(answer))
    }

    /// One hop within its budget; a failure becomes the goodbye.
    async fn ussd_hop(&self, key: &HopKey<'_>, budget: Duration, inbound: &Inbound) -> UssdAnswer {
        if !self.limiter.allow(&inbound.phone) {
            return self.rate_limited(key, &inbound.phone).await;
        }
        let hop = tokio::time::timeout(budget, self.try_ussd_hop(key, inbound)).await;
        match hop.unwrap_or_else(|_| Err(HopError::Timeout(budget))) {
            Ok(answer) => answer,
            Err(error) => self.ussd_goodbye(key, &inbound.phone, error).await,
        }
    }

    async fn rate_limited(&self, key: &HopKey<'_>, phone: &str) -> UssdAnswer {
        tracing::warn!(phone = %mask_msisdn(phone), "rate limited");
        let lang = self.caller_language(phone).await;
        self.metrics.rejected(key.gateway, 429);
        let channel = Channel::Ussd.as_str();
        self.metrics
            .hop(key.gateway, channel, &lang, HopOutcome::RateLimited);
        UssdAnswer::new(Reply {
            text: self.say(&lang, messages::RATE_LIMITED),
            end: true,
        })
    }

    /// A failed hop's `END` screen; the session is dropped.
    async fn ussd_goodbye(&self, key: &HopKey<'_>, phone: &str, error: HopError) -> UssdAnswer {
        let lang = self.hop_failed(key, phone, error).await;
        // Best effort: the store that failed may be the session store itself.
        let _ = tokio::time::timeout(
            super::APOLOGY_LOOKUP,
            self.sessions.delete(&key.store_key()),
        )
        .await;
        UssdAnswer::new(Reply {
            text: self.say(&lang, messages::UNAVAILABLE),
            end: true,
        })
    }

    /// Loads the session, classifies the hop against it, and takes the matching step.
    async fn try_ussd_hop(
        &self,
        key: &HopKey<'_>,
        inbound: &Inbound,
    ) -> Result<UssdAnswer, HopError> {
        let stored = self.load_session(key).await?;
        let now = Utc::now();
        match classify(stored.as_ref(), inbound) {
            Hop::Start => self.start_session(key, inbound, now).await,
            Hop::Resend(last) => Ok(self.resend(key, stored.as_ref(), last)),
            Hop::Expired => Ok(self.expired(key)),
            Hop::Input(input) => {
                let session = stored.expect("classified against a session");
                self.continue_session(key, session, Some(input), inbound, now)
                    .await
            }
            Hop::TooLong => {
                let session = stored.expect("classified against a session");
                self.continue_session(key, session, None, inbound, now)
                    .await
            }
        }
    }

    /// A resent hop gets its screen again, with no second effect.
    fn resend(&self, key: &HopKey<'_>, stored: Option<&Session>, last: LastHop) -> UssdAnswer {
        let channel = Channel::Ussd.as_str();
        let outcome = HopOutcome::Resend;
        match stored {
            Some(session) => self
                .metrics
                .hop(key.gateway, channel, &session.state.lang, outcome),
            None => {
                let set = self.menus.current();
                let lang = set.catalog.default_lang();
                self.metrics.hop(key.gateway, channel, lang, outcome);
            }
        }
        let reply = Reply {
            text: last.reply,
            end: last.end,
        };
        UssdAnswer {
            reply,
            repeated: true,
        }
    }

    fn expired(&self, key: &HopKey<'_>) -> UssdAnswer {
        let set = self.menus.current();
        let lang = set.catalog.default_lang();
        let channel = Channel::Ussd.as_str();
        self.metrics
            .hop(key.gateway, channel, lang, HopOutcome::Expired);
        UssdAnswer::new(Reply {
            text: self.say(lang, messages::SESSION_EXPIRED),
            end: true,
        })
    }

    /// A new session on the current menu set: its first screen, or the offer to resume the
    /// caller's last session if it dropped mid-way.
    async fn start_session(
        &self,
        key: &HopKey<'_>,
        inbound: &Inbound,
        now: DateTime<Utc>,
    ) -> Result<UssdAnswer, HopError> {
        let set = self.menus.current();
        let engine = self.engine(&set, Channel::Ussd);
        let vars = BTreeMap::from([("phone".to_string(), Value::text(&inbound.phone))]);
        let (state, step) = engine.start(set.catalog.default_lang(), vars);
        let dropped = self
            .dropped_session(key, &inbound.phone, now, &set.version)
            .await?;
        let mut session = Session::new(state, &inbound.phone, now, &set.version);
        let reply = self
            .step_engine(key, &engine, &mut session, step, inbound)
            .await?;
        let offer =
            dropped.filter(|(_, dropped)| resume::worth_offering(&dropped.state, &session.state));
        let reply = match offer {
            Some((dropped_key, dropped)) => self.offer_resume(&mut session, dropped_key, dropped),
            None => reply,
        };
        self.answer(key, session, inbound, now, reply).await
    }

    /// The caller's last session dropped mid-way: continue it, or start over (the menu
    /// reached meanwhile is kept for that). Asked in the dropped session's language.
    fn offer_resume(&self, session: &mut Session, dropped_key: String, dropped: Session) -> Reply {
        session.resume_from = Some(dropped_key);
        session.state.lang = dropped.state.lang;
        let text = self.say(&session.state.lang, resume::OFFER);
        Reply { text, end: false }
    }

    /// A session in flight takes the caller's `newest` input (`None`: longer than a phone
    /// can send, the same screen again), on the menu set it started on, whatever reload came
    /// meanwhile.
    async fn continue_session(
        &self,
        key: &HopKey<'_>,
        mut session: Session,
        newest: Option<&str>,
        inbound: &Inbound,
        now: DateTime<Utc>,
    ) -> Result<UssdAnswer, HopError> {
        let Some(set) = self.menus.of(session.menu_version.as_deref()) else {
            return self.menu_gone(key, session, inbound, now).await;
        };
        let engine = self.engine(&set, Channel::Ussd);
        let step = match newest {
            Some(input) if session.resume_from.is_some() => {
                self.resume_answered(&engine, &mut session, input, now)
                    .await?
            }
            Some(input) => {
                let (state, step) = engine.input(std::mem::take(&mut session.state), input);
                session.state = state;
                step
            }
            None => {
                let state = std::mem::take(&mut session.state);
                let (state, step) = engine.show(state, Some(messages::INPUT_TOO_LONG));
                session.state = state;
                step
            }
        };
        let reply = self
            .step_engine(key, &engine, &mut session, step, inbound)
            .await?;
        self.answer(key, session, inbound, now, reply).await
    }

    /// The caller's key on the offer to resume: "continue" takes the dropped session's place
    /// over, "start over" keeps this one's screen; anything else is asked again, with the
    /// error on top where the page has room for it (a Wolof offer is a UCS-2 page: 80
    /// characters).
    async fn resume_answered(
        &self,
        engine: &Engine<'_>,
        session: &mut Session,
        input: &str,
        now: DateTime<Utc>,
    ) -> Result<Step, HopError> {
        let dropped_key = session.resume_from.take().unwrap_or_default();
        match resume::choice(input) {
            Some(resume::Choice::Continue) => {
                self.take_over(Channel::Ussd, session, &dropped_key, now)
                    .await?;
            }
            Some(resume::Choice::StartOver) => {}
            None => {
                session.resume_from = Some(dropped_key);
                let lang = &session.state.lang;
                let offer = self.say(lang, resume::OFFER);
                let text = format!("{}\n{offer}", self.say(lang, messages::INVALID));
                let text = if PageBudget::USSD.fits(&text) {
                    text
                } else {
                    offer
                };
                return Ok(Step::Show(Reply { text, end: false }));
            }
        }
        let (state, step) = engine.show(std::mem::take(&mut session.state), None);
        session.state = state;
        Ok(step)
    }

    /// Runs the engine from `step` to the next screen, performing the actions it asks for; a
    /// failure is told in the session's language.
    async fn step_engine(
        &self,
        key: &HopKey<'_>,
        engine: &Engine<'_>,
        session: &mut Session,
        step: Step,
        inbound: &Inbound,
    ) -> Result<Reply, HopError> {
        let caller = Caller {
            phone: &inbound.phone,
            channel: Channel::Ussd.as_str(),
            gateway: key.gateway,
            session_id: key.session_id,
        };
        let reply = self.drive(engine, &caller, session, step).await;
        reply.map_err(|e| HopError::in_language(e, &session.state.lang))
    }

    /// A session whose menu set is no longer kept (a restart, another instance on another
    /// version): its screen may not exist in the menu served now, so it ends politely, asking
    /// the caller to dial again, and is recorded like any ended session.
    async fn menu_gone(
        &self,
        key: &HopKey<'_>,
        session: Session,
        inbound: &Inbound,
        now: DateTime<Utc>,
    ) -> Result<UssdAnswer, HopError> {
        tracing::warn!(
            session = %key.session_id,
            phone = %mask_msisdn(&session.phone),
            version = session.menu_version.as_deref().unwrap_or("-"),
            "the session's menu version is gone: session ended"
        );
        let text = self.say(&session.state.lang, messages::SESSION_EXPIRED);
        let reply = Reply { text, end: true };
        self.answer(key, session, inbound, now, reply).await
    }

    /// Saves the session with `reply` as its last answer (what a resend gets), and answers.
    async fn answer(
        &self,
        key: &HopKey<'_>,
        mut session: Session,
        inbound: &Inbound,
        now: DateTime<Utc>,
        reply: Reply,
    ) -> Result<UssdAnswer, HopError> {
        let token = match &inbound.event {
            Event::Input(input) => input.resend_token().unwrap_or_default().to_string(),
            _ => String::new(),
        };
        session.last = Some(LastHop {
            token,
            reply: reply.text.clone(),
            end: reply.end,
        });
        let saved = self.finish_hop(key, &mut session, now, reply.end).await;
        saved.map_err(|e| HopError::in_language(e, &session.state.lang))?;
        Ok(UssdAnswer::new(reply))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::Input;
    use crate::engine::State;
    use crate::voice::policy::CallState;

    fn session(phone: &str, last_token: Option<&str>) -> Session {
        Session {
            state: State::default(),
            phone: phone.into(),
            hops: 1,
            started_at: Utc::now(),
            outcome: None,
            last: last_token.map(|t| LastHop {
                token: t.into(),
                reply: "CON menu".into(),
                end: false,
            }),
            call: CallState::default(),
            last_hop_at: Utc::now(),
            recorded: false,
            known: Default::default(),
            resume_from: None,
            menu_version: None,
        }
    }

    fn inbound(phone: &str, event: Event) -> Inbound {
        Inbound {
            session_id: "s".into(),
            phone: phone.into(),
            event,
        }
    }

    #[test]
    fn hops_are_classified_against_the_stored_session() {
        let cumulative = |t: &str| Event::Input(Input::Cumulative(t.into()));
        let latest = |t: &str| Event::Input(Input::Latest(t.into()));
        let a = "+221786452821";
        let stored = session(a, Some("1"));
        let mut ended = session(a, Some("1*2"));
        ended.last.as_mut().unwrap().end = true;
        let cases: Vec<(&str, Option<&Session>, Inbound, Hop)> = vec![
            ("first hop", None, inbound(a, Event::Start), Hop::Start),
            (
                "input with no session",
                None,
                inbound(a, cumulative("1")),
                Hop::Expired,
            ),
            (
                "resent hop",
                Some(&stored),
                inbound(a, cumulative("1")),
                Hop::Resend(stored.last.clone().unwrap()),
            ),
            (
                "duplicate start",
                Some(&stored),
                inbound(a, Event::Start),
                Hop::Resend(stored.last.clone().unwrap()),
            ),
            (
                "new cumulative input",
                Some(&stored),
                inbound(a, cumulative("1*2")),
                Hop::Input("2"),
            ),
            (
                "latest input as it is",
                Some(&stored),
                inbound(a, latest("1")),
                Hop::Input("1"),
            ),
            (
                "another phone on the same session id",
                Some(&stored),
                inbound("+221700000000", cumulative("1*2")),
                Hop::Expired,
            ),
            (
                "input after the session ended",
                Some(&ended),
                inbound(a, cumulative("1*2*3")),
                Hop::Resend(ended.last.clone().unwrap()),
            ),
            (
                "input longer than a phone can send",
                Some(&stored),
                inbound(a, latest(&"9".repeat(MAX_INPUT_CHARS + 1))),
                Hop::TooLong,
            ),
        ];
        for (label, stored, inbound, expected) in &cases {
            assert_eq!(&classify(*stored, inbound), expected, "{label}");
        }
    }
}
