//! Session resume: a caller whose session dropped mid-way (no last screen was sent, or a call
//! hung up on a menu) and who dials or calls again within `resume_secs` is offered "1 continue
//! where you left off, 2 start over", on USSD and voice alike. Each session's first hop leaves
//! a pointer from the caller's phone to it (one per channel); a new session follows it to the
//! dropped one.

use chrono::{DateTime, Utc};

use super::{App, HopKey, Session};
use crate::channel::Channel;
use crate::engine::State;
use crate::store::{StoreError, StoreResult};
use crate::voice::policy::{CallState, Mode};

/// The USSD screen offering the choice (`locales/<lang>/resume.ftl`); a call says
/// `voice::policy::ids::RESUME_OFFER` (`voice.ftl`).
pub const OFFER: &str = "resume-offer";
/// Why a dropped session taken over by the caller's next one is recorded again.
pub(super) const RECORDED_AS: &str = "resumed";

/// What the caller chose on the offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    Continue,
    StartOver,
}

/// The caller's key on the offer; `None` for anything else.
pub fn choice(input: &str) -> Option<Choice> {
    match input.trim().trim_end_matches('#') {
        "1" => Some(Choice::Continue),
        "2" => Some(Choice::StartOver),
        _ => None,
    }
}

/// Whether a session was left mid-menu: its menu not ended, past its first hop, and (a call)
/// on a menu or the offer of a call-back, not recording, rating or handed to an agent.
pub fn left_mid_menu(session: &Session) -> bool {
    !session.state.ended
        && session.hops >= 2
        && matches!(session.call.mode, Mode::Menu | Mode::Offer)
}

/// Whether `dropped` is worth offering: the same caller, left mid-menu, its last hop within
/// `window` (recorded or not: a gateway's end notice of a session left mid-menu, or a call's
/// hang-up, records it, and it may still be resumed).
pub fn resumable(
    dropped: &Session,
    phone: &str,
    now: DateTime<Utc>,
    window: chrono::Duration,
) -> bool {
    dropped.phone == phone && left_mid_menu(dropped) && now - dropped.last_hop_at <= window
}

/// Whether continuing would differ from starting over: the dropped session stands elsewhere
/// than a new session's first screen (a caller who only heard the main menu again and again
/// has nothing to continue).
pub fn worth_offering(dropped: &State, fresh: &State) -> bool {
    (dropped.screen.as_str(), dropped.page) != (fresh.screen.as_str(), fresh.page)
}

/// Whether `dropped` ran on the menu set `version` (a session saved before sessions kept
/// their version is taken to have).
fn same_menu(dropped: &Session, version: Option<&str>) -> bool {
    match (dropped.menu_version.as_deref(), version) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    }
}

fn pointer_key(channel: Channel, phone: &str) -> String {
    format!("latest:{}:{phone}", channel.as_str())
}

impl App {
    fn resume_window(&self) -> Option<chrono::Duration> {
        let secs = self.config.resume_secs;
        (secs > 0).then(|| chrono::Duration::seconds(secs as i64))
    }

    /// Points the caller's phone at a call that hung up mid-menu again, for `resume_secs`
    /// from now (a long call may outlive the pointer its first turn left), unless a newer
    /// session took the pointer meanwhile.
    pub(super) async fn remember_dropped(&self, key: &HopKey<'_>, phone: &str) -> StoreResult<()> {
        let Some(window) = self.resume_window() else {
            return Ok(());
        };
        let pointer = pointer_key(key.channel, phone);
        let ours = key.store_key();
        match self.sessions.get(&pointer).await? {
            Some(other) if other != ours.as_bytes() => Ok(()),
            _ => {
                let ttl = window.to_std().unwrap_or_default();
                self.sessions.put(&pointer, ours.into_bytes(), ttl).await
            }
        }
    }

    /// Points the caller's phone back at the dropped session a session offered to resume,
    /// when the caller left on the offer itself (it is still offered within its window).
    pub(super) async fn point_back(
        &self,
        channel: Channel,
        phone: &str,
        dropped_key: &str,
    ) -> StoreResult<()> {
        let Some(window) = self.resume_window() else {
            return Ok(());
        };
        let ttl = window.to_std().unwrap_or_default();
        let pointer = pointer_key(channel, phone);
        self.sessions
            .put(&pointer, dropped_key.as_bytes().to_vec(), ttl)
            .await
    }

    /// Points the caller's phone at this session (its first hop), for a later resume.
    pub(super) async fn remember_latest(
        &self,
        key: &HopKey<'_>,
        phone: &str,
        ttl: std::time::Duration,
    ) -> StoreResult<()> {
        if self.resume_window().is_none() {
            return Ok(());
        }
        let pointer = pointer_key(key.channel, phone);
        self.sessions
            .put(&pointer, key.store_key().into_bytes(), ttl)
            .await
    }

    /// The caller's dropped session worth offering to resume, with its store key.
    pub(super) async fn dropped_session(
        &self,
        key: &HopKey<'_>,
        phone: &str,
        now: DateTime<Utc>,
        version: &str,
    ) -> StoreResult<Option<(String, Session)>> {
        let Some(window) = self.resume_window() else {
            return Ok(None);
        };
        let Some(bytes) = self.sessions.get(&pointer_key(key.channel, phone)).await? else {
            return Ok(None);
        };
        let dropped_key =
            String::from_utf8(bytes).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        if dropped_key == key.store_key() {
            return Ok(None);
        }
        let Some(bytes) = self.sessions.get(&dropped_key).await? else {
            return Ok(None);
        };
        let dropped: Session =
            serde_json::from_slice(&bytes).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        // Its place in the menu means something only in the menu it was on: a session
        // dropped before a reload is not offered.
        if !same_menu(&dropped, Some(version)) {
            return Ok(None);
        }
        Ok(resumable(&dropped, phone, now, window).then_some((dropped_key, dropped)))
    }

    /// Takes the dropped session over: its place in the menu (and path) and what it knew; a
    /// USSD session also what it did, its start and its hops (the dropped one was recorded as
    /// left mid-menu, this one is the whole session), while a call stays a call of its own
    /// (its start, turns, outcome and duration; the dropped call was recorded when it hung
    /// up, or is now if no notice came) and is back on the menu. The dropped session is removed
    /// so that it is not recorded as abandoned too. False if it is gone or no longer
    /// resumable.
    pub(super) async fn take_over(
        &self,
        channel: Channel,
        session: &mut Session,
        dropped_key: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let Some(bytes) = self.sessions.get(dropped_key).await? else {
            return Ok(false);
        };
        let dropped: Session =
            serde_json::from_slice(&bytes).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let window = self.resume_window().unwrap_or_default();
        if !resumable(
            &dropped,
            &session.phone,
            now,
            window + chrono::Duration::minutes(5),
        ) || !same_menu(&dropped, session.menu_version.as_deref())
        {
            return Ok(false);
        }
        if channel == Channel::Voice
            && !dropped.recorded
            && let Some(key) = HopKey::parse(dropped_key)
        {
            // No hang-up notice came (yet): the dropped call is recorded now, as the sweeper
            // would have (left mid-menu), since it is removed below.
            self.record(&key, &dropped, false, RECORDED_AS, true)
                .await?;
        }
        session.state = dropped.state;
        session.known = dropped.known;
        match channel {
            Channel::Ussd => {
                session.outcome = dropped.outcome;
                session.started_at = dropped.started_at;
                session.hops += dropped.hops;
                session.call = dropped.call;
            }
            Channel::Voice => session.call = CallState::default(),
        }
        self.sessions.delete(dropped_key).await?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::State;

    #[test]
    fn only_a_recent_dropped_session_past_its_first_screen_is_offered() {
        let now = Utc::now();
        let window = chrono::Duration::seconds(120);
        let mut dropped = Session::new(State::default(), "+221786452821", now, "v1");
        dropped.hops = 3;
        dropped.last_hop_at = now - chrono::Duration::seconds(30);
        assert!(resumable(&dropped, "+221786452821", now, window));
        assert!(
            !resumable(&dropped, "+221700000000", now, window),
            "another phone"
        );
        let mut old = dropped.clone();
        old.last_hop_at = now - chrono::Duration::seconds(200);
        assert!(!resumable(&old, "+221786452821", now, window), "too old");
        let mut fresh = dropped.clone();
        fresh.hops = 1;
        assert!(
            !resumable(&fresh, "+221786452821", now, window),
            "nothing to resume"
        );
        let mut recorded = dropped.clone();
        recorded.recorded = true;
        assert!(
            resumable(&recorded, "+221786452821", now, window),
            "an end notice came"
        );
        let mut ended = dropped.clone();
        ended.state.ended = true;
        assert!(!resumable(&ended, "+221786452821", now, window), "it ended");
        for (mode, offered) in [
            (Mode::Menu, true),
            (Mode::Offer, true),
            (Mode::Recording, false),
            (Mode::Survey, false),
            (Mode::Done, false),
            (Mode::Resume, false),
        ] {
            let mut call = dropped.clone();
            call.call.mode = mode;
            assert_eq!(
                resumable(&call, "+221786452821", now, window),
                offered,
                "a call left in {mode:?}"
            );
        }
        assert_eq!(choice("1"), Some(Choice::Continue));
        assert_eq!(choice(" 2 "), Some(Choice::StartOver));
        assert_eq!(choice("3"), None);
    }

    #[test]
    fn a_session_is_offered_only_where_continuing_differs_from_starting_over() {
        let at = |screen: &str, page: usize| State {
            screen: screen.into(),
            page,
            ..State::default()
        };
        assert!(worth_offering(&at("complaint_category", 0), &at("main", 0)));
        assert!(
            worth_offering(&at("main", 1), &at("main", 0)),
            "main menu, page 2"
        );
        assert!(!worth_offering(&at("main", 0), &at("main", 0)));
    }
}
