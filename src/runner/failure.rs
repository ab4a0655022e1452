//! Why a hop could not be answered ([`HopError`], both channels), and the one place that
//! becomes what the caller gets: counted, logged (the phone masked), and a polite goodbye
//! ("the service is unavailable") in the language [`apology_language`] picks. Each channel
//! only renders that goodbye (a USSD `END` screen, a spoken turn that hangs up).

use std::path::PathBuf;
use std::time::Duration;

use super::{App, HopKey};
use crate::channel::Channel;
use crate::metrics::HopOutcome;
use crate::store::StoreError;
use crate::text::privacy::mask_msisdn;

#[derive(Debug, thiserror::Error)]
pub(super) enum HopError {
    /// A store failed; `lang` is the session's language when the hop had it in hand.
    #[error("{source}")]
    Store {
        source: StoreError,
        lang: Option<String>,
    },
    #[error("recording not stored in {}: {source}", dir.display())]
    Recording {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error("no answer within {0:?}")]
    Timeout(Duration),
}

impl From<StoreError> for HopError {
    fn from(source: StoreError) -> HopError {
        HopError::Store { source, lang: None }
    }
}

impl HopError {
    /// A store failure once the session's language is known: the goodbye is said in it.
    /// (Built only on failure: a hop that succeeds copies no language.)
    pub(super) fn in_language(source: StoreError, lang: &str) -> HopError {
        HopError::Store {
            source,
            lang: Some(lang.to_string()),
        }
    }

    fn outcome(&self) -> HopOutcome {
        match self {
            HopError::Timeout(_) => HopOutcome::Timeout,
            HopError::Store { .. } | HopError::Recording { .. } => HopOutcome::Error,
        }
    }

    fn store_error(&self) -> Option<&StoreError> {
        match self {
            HopError::Store { source, .. } => Some(source),
            HopError::Recording { .. } | HopError::Timeout(_) => None,
        }
    }
}

/// The language a failed hop's goodbye is said in.
#[derive(Debug, PartialEq, Eq)]
enum ApologyLanguage {
    /// The session's, which the hop had read.
    Known(String),
    /// The caller's saved one, if the CRM answers quickly (`App::caller_language`).
    CallersSaved,
    /// The current menu's default.
    MenuDefault,
}

fn apology_language(channel: Channel, error: HopError) -> ApologyLanguage {
    match (channel, error) {
        // A call has already spent its whole deadline: the platform is not kept waiting for
        // one more lookup.
        (Channel::Voice, _) => ApologyLanguage::MenuDefault,
        (
            Channel::Ussd,
            HopError::Store {
                lang: Some(lang), ..
            },
        ) => ApologyLanguage::Known(lang),
        (Channel::Ussd, _) => ApologyLanguage::CallersSaved,
    }
}

impl App {
    /// A hop that failed: counted (store errors, and the hop by outcome), logged, and the
    /// language its goodbye is said in returned.
    pub(super) async fn hop_failed(
        &self,
        key: &HopKey<'_>,
        phone: &str,
        error: HopError,
    ) -> String {
        if let Some(store) = error.store_error() {
            self.count_store_error(store);
        }
        let channel = key.channel.as_str();
        tracing::error!(
            channel,
            session = %key.session_id,
            phone = %mask_msisdn(phone),
            %error,
            "hop failed; caller told the service is unavailable"
        );
        let outcome = error.outcome();
        let lang = match apology_language(key.channel, error) {
            ApologyLanguage::Known(lang) => lang,
            ApologyLanguage::CallersSaved => self.caller_language(phone).await,
            ApologyLanguage::MenuDefault => self.menus.current().catalog.default_lang().to_string(),
        };
        self.metrics.hop(key.gateway, channel, &lang, outcome);
        lang
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store_failure() -> StoreError {
        StoreError::Corrupt("unreadable session".into())
    }

    fn recording_failure() -> HopError {
        HopError::Recording {
            dir: PathBuf::from("/recordings"),
            source: std::io::Error::other("disk full"),
        }
    }

    #[test]
    fn a_ussd_goodbye_is_in_the_sessions_language_when_the_hop_knew_it() {
        let cases = [
            (
                "store failure with the session read",
                HopError::in_language(store_failure(), "wo"),
                ApologyLanguage::Known("wo".into()),
            ),
            (
                "store failure before the session was read",
                HopError::from(store_failure()),
                ApologyLanguage::CallersSaved,
            ),
            (
                "out of time",
                HopError::Timeout(Duration::from_millis(1400)),
                ApologyLanguage::CallersSaved,
            ),
            (
                "recording not stored",
                recording_failure(),
                ApologyLanguage::CallersSaved,
            ),
        ];
        for (label, error, expected) in cases {
            assert_eq!(apology_language(Channel::Ussd, error), expected, "{label}");
        }
    }

    #[test]
    fn a_calls_goodbye_is_in_the_menus_default_language() {
        let errors = [
            HopError::in_language(store_failure(), "fr"),
            HopError::from(store_failure()),
            HopError::Timeout(Duration::from_millis(3500)),
            recording_failure(),
        ];
        for error in errors {
            let label = error.to_string();
            assert_eq!(
                apology_language(Channel::Voice, error),
                ApologyLanguage::MenuDefault,
                "{label}"
            );
        }
    }

    #[test]
    fn a_failed_hop_is_counted_by_its_cause() {
        let timeout = HopError::Timeout(Duration::from_millis(1400));
        assert_eq!(timeout.outcome(), HopOutcome::Timeout);
        assert!(timeout.store_error().is_none());
        let store = HopError::in_language(store_failure(), "en");
        assert_eq!(store.outcome(), HopOutcome::Error);
        assert!(matches!(store.store_error(), Some(StoreError::Corrupt(_))));
        let recording = recording_failure();
        assert_eq!(recording.outcome(), HopOutcome::Error);
        assert!(recording.store_error().is_none());
    }

    #[test]
    fn the_log_says_what_failed() {
        let timeout = HopError::Timeout(Duration::from_millis(1400));
        assert_eq!(timeout.to_string(), "no answer within 1.4s");
        let store = HopError::in_language(store_failure(), "en");
        assert_eq!(store.to_string(), store_failure().to_string());
        assert_eq!(
            recording_failure().to_string(),
            "recording not stored in /recordings: disk full"
        );
    }
}
