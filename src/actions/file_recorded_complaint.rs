//! A complaint the caller recorded by voice, filed as a ticket carrying the recording's
//! link. No menu names it: the voice runner performs it when a recording arrives, with the
//! link in `recording_url` (see [`request`]).

use chrono::{Duration, Utc};

use super::outcomes::file_recorded_complaint::Outcome;
use super::{
    ActionSpec, Actions, Caller, Done, TICKET_VARS, VarKind, VarRead, origin_key, session_account,
    text_var, ticket_vars,
};
use crate::domain::NewTicket;
use crate::engine::{ActionRequest, State};
use crate::store::StoreResult;

/// The variable the runner puts the recording's link in.
pub const URL_VAR: &str = "recording_url";

/// Recorded complaints are not sorted by the caller: an agent listens and re-files them.
const CATEGORY: &str = "other";

pub const SPEC: ActionSpec = ActionSpec {
    name: "file_recorded_complaint",
    reads: &[
        VarRead::required(URL_VAR, VarKind::Url),
        VarRead::optional("account", VarKind::Account),
        VarRead::optional("verified_account", VarKind::Account),
        VarRead::optional("located_account", VarKind::Account),
    ],
    outcomes: &["filed"],
    sets: TICKET_VARS,
    writes: &["tickets", "ticket_events", "counters"],
    notable: true,
    ..ActionSpec::EMPTY
};

/// The request a runner performs for a recording: one ticket per call, however often the
/// platform retries the upload (the node is part of the idempotency key).
pub fn request() -> ActionRequest {
    ActionRequest {
        node: "voice_recording".into(),
        name: SPEC.name.into(),
        args: Default::default(),
    }
}

pub(super) async fn perform(
    actions: &Actions<'_>,
    request: &ActionRequest,
    state: &State,
    caller: &Caller<'_>,
) -> StoreResult<Done<Outcome>> {
    let url = text_var(state, URL_VAR).unwrap_or_default();
    let now = Utc::now();
    let ticket = actions
        .crm
        .create_ticket(&NewTicket {
            origin_key: origin_key(caller, request, ""),
            account_no: session_account(state).map(str::to_string),
            phone: Some(caller.phone.to_string()),
            category: CATEGORY.into(),
            channel: caller.channel.to_string(),
            created_at: now,
            sla_due_at: Some(now + Duration::hours(actions.config.sla_hours(CATEGORY))),
            note: Some(format!("voice recording: {url}")),
            place: None,
        })
        .await?;
    Ok(ticket_vars(Done::new(Outcome::Filed), &ticket, now))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::actions::AreaOutageCache;
    use crate::config::Config;
    use crate::engine::Value;
    use crate::i18n::Catalog;
    use crate::store::CrmStore;
    use crate::store::memory_sessions::MemorySessions;
    use crate::store::sqlite::SqliteCrm;

    fn recorded(url: &str) -> State {
        let mut state = State::default();
        state.vars.insert(URL_VAR.into(), Value::text(url));
        state
    }

    #[tokio::test]
    async fn files_one_ticket_with_the_recording_however_often_it_is_retried() {
        let crm = SqliteCrm::in_memory().await.unwrap();
        let sessions = MemorySessions::new();
        let config = Config::default();
        let catalog = Catalog::load(Path::new("locales"), "fr", config.fallbacks.clone()).unwrap();
        let cache = AreaOutageCache::new(std::time::Duration::from_secs(1));
        let known = std::sync::Mutex::default();
        let actions = Actions {
            crm: &crm,
            known: &known,
            sessions: &sessions,
            area_cache: &cache,
            catalog: &catalog,
            config: &config,
        };
        let caller = Caller {
            phone: "+221770000001",
            channel: "voice",
            gateway: "twilio",
            session_id: "CA123",
        };
        let url = "https://ivr.example.org/recordings/CA123.wav";
        let state = recorded(url);

        let first = actions.perform(&request(), &state, &caller).await.unwrap();
        assert_eq!(first.outcome, "filed");
        let reference = first.vars["ref"].display("en");
        let ticket = crm.ticket(&reference).await.unwrap().expect("ticket filed");
        assert_eq!(
            ticket.note.as_deref(),
            Some(&*format!("voice recording: {url}"))
        );
        assert_eq!(ticket.category, "other");
        assert_eq!(ticket.channel, "voice");
        assert_eq!(ticket.account_no, None);
        assert!(ticket.sla_due_at.is_some());

        let retried = actions.perform(&request(), &state, &caller).await.unwrap();
        assert_eq!(retried.vars["ref"], first.vars["ref"]);

        // Another call files its own ticket.
        let other_call = Caller {
            session_id: "CA124",
            ..caller.clone()
        };
        let other = actions
            .perform(&request(), &state, &other_call)
            .await
            .unwrap();
        assert_ne!(other.vars["ref"], first.vars["ref"]);
    }
}
