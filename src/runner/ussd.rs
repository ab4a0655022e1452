//! USSD hops: the resend and expiry rules (pure), then the engine.

use std::collections::BTreeMap;

use chrono::Utc;

use std::time::Duration;

use super::{App, HopKey, LastHop, Session, resume};
use crate::actions::Caller;
use crate::channel::{Channel, Event, Inbound};
use crate::engine::{Reply, Value, messages};
use crate::gateway::mask_msisdn;
use crate::metrics::HopOutcome;
use crate::store::StoreError;
use crate::text::gsm7::PageBudget;

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

    async fn ussd_hop(&self, key: &HopKey<'_>, budget: Duration, inbound: &Inbound) -> UssdAnswer {
        if !self.limiter.allow(&inbound.phone) {
            tracing::warn!(phone = %mask_msisdn(&inbound.phone), "rate limited");
            let lang = self.caller_language(&inbound.phone).await;
            self.metrics.rejected(key.gateway, 429);
            let channel = Channel::Ussd.as_str();
            self.metrics
                .hop(key.gateway, channel, &lang, HopOutcome::RateLimited);
            return UssdAnswer::new(Reply {
                text: self.say(&lang, messages::RATE_LIMITED),
                end: true,
            });
        }
        let outcome = tokio::time::timeout(budget, self.try_ussd_hop(key, inbound)).await;
        let (lang, error, failed) = match outcome {
            Ok(Ok(answer)) => return answer,
            Ok(Err((lang, error))) => {
                self.count_store_error(&error);
                (lang, error.to_string(), HopOutcome::Error)
            }
            Err(_) => (
                None,
                format!("no answer within {budget:?}"),
                HopOutcome::Timeout,
            ),
        };
        tracing::error!(
            session = %inbound.session_id,
            phone = %mask_msisdn(&inbound.phone),
            %error,
            "hop failed; caller told the service is unavailable"
        );
        let lang = match lang {
            Some(lang) => lang,
            None => self.caller_language(&inbound.phone).await,
        };
        // Best effort: the store that failed may be the session store itself.
        let _ = tokio::time::timeout(
            super::APOLOGY_LOOKUP,
            self.sessions.delete(&key.store_key()),
        )
        .await;
        let channel = Channel::Ussd.as_str();
        self.metrics.hop(key.gateway, channel, &lang, failed);
        UssdAnswer::new(Reply {
            text: self.say(&lang, messages::UNAVAILABLE),
            end: true,
        })
    }

    /// Errors carry the session's language when it is known.
    async fn try_ussd_hop(
        &self,
        key: &HopKey<'_>,
        inbound: &Inbound,
    ) -> Result<UssdAnswer, (Option<String>, StoreError)> {
        let stored = self.load_session(key).await.map_err(|e| (None, e))?;
        let now = Utc::now();
        let hop = classify(stored.as_ref(), inbound);
        // A session in flight runs on the menu set it started on, whatever reload came
        // meanwhile; anything else on the current one.
        let set = match stored
            .as_ref()
            .filter(|_| matches!(hop, Hop::Input(_) | Hop::TooLong))
        {
            None => Some(self.menus.current()),
            Some(session) => self.menus.of(session.menu_version.as_deref()),
        };
        let Some(set) = set else {
            let session = stored.expect("a session on a version");
            return self.menu_gone(key, session, inbound, now).await;
        };
        let default_lang = set.catalog.default_lang().to_string();
        let engine = self.engine(&set, Channel::Ussd);
        let mut offer = None;
        let (mut session, step) = match hop {
            Hop::Start => {
                let vars = BTreeMap::from([("phone".to_string(), Value::text(&inbound.phone))]);
                let (state, step) = engine.start(&default_lang, vars);
                offer = self
                    .dropped_session(key, &inbound.phone, now, &set.version)
                    .await
                    .map_err(|e| (None, e))?;
                (Session::new(state, &inbound.phone, now, &set.version), step)
            }
            Hop::Input(input) if stored.as_ref().is_some_and(|s| s.resume_from.is_some()) => {
                let mut session = stored.expect("classified against a session");
                let dropped_key = session.resume_from.take().unwrap_or_default();
                let state = std::mem::take(&mut session.state);
                let (state, step) = match resume::choice(input) {
                    Some(resume::Choice::Continue) => {
                        session.state = state;
                        self.take_over(Channel::Ussd, &mut session, &dropped_key, now)
                            .await
                            .map_err(|e| (None, e))?;
                        engine.show(std::mem::take(&mut session.state), None)
                    }
                    Some(resume::Choice::StartOver) => engine.show(state, None),
                    None => {
                        // Asked again, with the error on top where the page has room for
                        // it (a Wolof offer is a UCS-2 page: 80 characters).
                        session.resume_from = Some(dropped_key);
                        let lang = state.lang.clone();
                        session.state = state;
                        let offer = self.say(&lang, resume::OFFER);
                        let text = format!("{}\n{offer}", self.say(&lang, messages::INVALID));
                        let text = if PageBudget::USSD.fits(&text) {
                            text
                        } else {
                            offer
                        };
                        let offer = Reply { text, end: false };
                        return self.answer(key, session, inbound, now, offer).await;
                    }
                };
                (Session { state, ..session }, step)
            }
            Hop::Resend(last) => {
                let lang = stored.as_ref().map(|s| s.state.lang.as_str());
                let lang = lang.unwrap_or(&default_lang);
                let channel = Channel::Ussd.as_str();
                self.metrics
                    .hop(key.gateway, channel, lang, HopOutcome::Resend);
                let reply = Reply {
                    text: last.reply,
                    end: last.end,
                };
                return Ok(UssdAnswer {
                    reply,
                    repeated: true,
                });
            }
            Hop::Expired => {
                let channel = Channel::Ussd.as_str();
                self.metrics
                    .hop(key.gateway, channel, &default_lang, HopOutcome::Expired);
                return Ok(UssdAnswer::new(Reply {
                    text: self.say(&default_lang, messages::SESSION_EXPIRED),
                    end: true,
                }));
            }
            Hop::TooLong => {
                let mut session = stored.expect("classified against a session");
                let state = std::mem::take(&mut session.state);
                let (state, step) = engine.show(state, Some(messages::INPUT_TOO_LONG));
                (Session { state, ..session }, step)
            }
            Hop::Input(input) => {
                let mut session = stored.expect("classified against a session");
                let (state, step) = engine.input(std::mem::take(&mut session.state), input);
                (Session { state, ..session }, step)
            }
        };
        let caller = Caller {
            phone: &inbound.phone,
            channel: Channel::Ussd.as_str(),
            gateway: key.gateway,
            session_id: key.session_id,
        };
        let lang_of = |s: &Session| Some(s.state.lang.clone());
        let reply = self
            .drive(&engine, &caller, &mut session, step)
            .await
            .map_err(|e| (lang_of(&session), e))?;
        let offer =
            offer.filter(|(_, dropped)| resume::worth_offering(&dropped.state, &session.state));
        if let Some((dropped_key, dropped)) = offer {
            // The caller's last session dropped mid-way: continue it, or start over (the menu
            // reached meanwhile is kept for that).
            session.resume_from = Some(dropped_key);
            session.state.lang = dropped.state.lang.clone();
            let text = self.say(&dropped.state.lang, resume::OFFER);
            let offer = Reply { text, end: false };
            return self.answer(key, session, inbound, now, offer).await;
        }
        self.answer(key, session, inbound, now, reply).await
    }

    /// A session whose menu set is no longer kept (a restart, another instance on another
    /// version): its screen may not exist in the menu served now, so it ends politely, asking
    /// the caller to dial again, and is recorded like any ended session.
    async fn menu_gone(
        &self,
        key: &HopKey<'_>,
        session: Session,
        inbound: &Inbound,
        now: chrono::DateTime<Utc>,
    ) -> Result<UssdAnswer, (Option<String>, StoreError)> {
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
        now: chrono::DateTime<Utc>,
        reply: Reply,
    ) -> Result<UssdAnswer, (Option<String>, StoreError)> {
        let token = match &inbound.event {
            Event::Input(input) => input.resend_token().unwrap_or_default().to_string(),
            _ => String::new(),
        };
        session.last = Some(LastHop {
            token,
            reply: reply.text.clone(),
            end: reply.end,
        });
        let lang = Some(session.state.lang.clone());
        self.finish_hop(key, &mut session, now, reply.end)
            .await
            .map_err(|e| (lang, e))?;
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
