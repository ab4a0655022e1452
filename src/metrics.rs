//! Prometheus metrics: what the runner, the HTTP edge and the SMS sender count, rendered in the
//! Prometheus text format for `GET /metrics`.
//!
//! Each `App` has its own recorder (not the process-wide one the `metrics` macros use): two
//! servers in one process (the tests) count apart, and nothing else in the process can add
//! series to dalal's page. Every label value is from a bounded set (gateway names, channels,
//! languages, outcomes, states, status codes): never a phone number, an account, a session id
//! or a reference, which would leak personal data and grow a series per caller.

use std::sync::Arc;

use ::metrics::{Key, KeyName, Label, Level, Metadata, Recorder, SharedString, Unit};
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};

pub const HOPS: &str = "dalal_hops_total";
pub const HOP_SECONDS: &str = "dalal_hop_duration_seconds";
pub const SESSIONS: &str = "dalal_sessions_total";
pub const LIVE_SESSIONS: &str = "dalal_sessions_live";
pub const STORE_ERRORS: &str = "dalal_store_errors_total";
pub const REJECTED: &str = "dalal_requests_rejected_total";
pub const SMS_SENT: &str = "dalal_sms_send_results_total";
pub const OUTBOX: &str = "dalal_sms_outbox";

/// Hop latency buckets (seconds): a hop takes milliseconds; the aggregators' deadlines are
/// 7-15 s, and the runner gives a hop 70% of it.
const HOP_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The states an `sms_outbox` row can be in, always shown (0 when none).
pub const OUTBOX_STATES: &[&str] = &[
    "queued",
    "sending",
    "sent",
    "delivered",
    "failed",
    "suppressed",
];

static METADATA: Metadata<'static> = Metadata::new("dalal", Level::INFO, Some(module_path!()));

/// What one hop came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HopOutcome {
    /// A screen that waits for the caller's next input.
    Continue,
    /// The session's last screen.
    End,
    /// A gateway's resend, answered again with the same screen.
    Resend,
    /// An input for no (or another phone's) session.
    Expired,
    /// Over the phone's hop rate: told to try later.
    RateLimited,
    /// A store failed: told the service is unavailable.
    Error,
    /// No answer within the hop's budget: told the service is unavailable.
    Timeout,
}

impl HopOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            HopOutcome::Continue => "continue",
            HopOutcome::End => "end",
            HopOutcome::Resend => "resend",
            HopOutcome::Expired => "expired",
            HopOutcome::RateLimited => "rate_limited",
            HopOutcome::Error => "error",
            HopOutcome::Timeout => "timeout",
        }
    }
}

/// The metrics of one server.
#[derive(Clone)]
pub struct Metrics {
    recorder: Arc<PrometheusRecorder>,
    handle: PrometheusHandle,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(HOP_SECONDS.into()), HOP_BUCKETS)
            .expect("the bucket list is not empty")
            .build_recorder();
        let handle = recorder.handle();
        let metrics = Metrics {
            recorder: Arc::new(recorder),
            handle,
        };
        metrics.describe();
        // Shown from the first scrape, before any session.
        metrics.gauge(LIVE_SESSIONS, Vec::new()).set(0.0);
        metrics
    }

    fn describe(&self) {
        let counters = [
            (HOPS, "USSD hops and voice turns answered"),
            (SESSIONS, "Sessions closed (interaction recorded)"),
            (
                STORE_ERRORS,
                "Failures of the CRM database or the session store",
            ),
            (
                REJECTED,
                "Gateway requests refused (403, 400, 413, 503) or rate limited (429)",
            ),
            (SMS_SENT, "SMS send attempts by result"),
        ];
        for (name, help) in counters {
            self.recorder
                .describe_counter(KeyName::from(name), None, SharedString::from(help));
        }
        self.recorder.describe_histogram(
            KeyName::from(HOP_SECONDS),
            Some(Unit::Seconds),
            SharedString::from("Time to answer a hop or turn"),
        );
        self.recorder.describe_gauge(
            KeyName::from(LIVE_SESSIONS),
            None,
            SharedString::from("Sessions started and not closed yet, on this instance"),
        );
        self.recorder.describe_gauge(
            KeyName::from(OUTBOX),
            None,
            SharedString::from("Rows of the SMS outbox by state"),
        );
    }

    fn key(name: &'static str, labels: Vec<Label>) -> Key {
        Key::from_parts(name, labels)
    }

    fn counter(&self, name: &'static str, labels: Vec<Label>) -> ::metrics::Counter {
        self.recorder
            .register_counter(&Self::key(name, labels), &METADATA)
    }

    fn gauge(&self, name: &'static str, labels: Vec<Label>) -> ::metrics::Gauge {
        self.recorder
            .register_gauge(&Self::key(name, labels), &METADATA)
    }

    /// The Prometheus text exposition of everything counted so far.
    pub fn render(&self) -> String {
        self.handle.render()
    }

    /// Drains histogram samples into their buckets: run now and then so that a server nobody
    /// scrapes does not keep every sample.
    pub fn run_upkeep(&self) {
        self.handle.run_upkeep();
    }

    /// One hop answered.
    pub fn hop(&self, gateway: &str, channel: &str, lang: &str, outcome: HopOutcome) {
        let labels = vec![
            Label::new("gateway", bounded_name(gateway)),
            Label::new("channel", bounded_name(channel)),
            Label::new("language", language_label(lang)),
            Label::new("outcome", outcome.as_str()),
        ];
        self.counter(HOPS, labels).increment(1);
    }

    /// How long one hop took, from its decoded request to its answer.
    pub fn hop_time(&self, gateway: &str, channel: &str, elapsed: std::time::Duration) {
        let labels = vec![
            Label::new("gateway", bounded_name(gateway)),
            Label::new("channel", bounded_name(channel)),
        ];
        self.recorder
            .register_histogram(&Self::key(HOP_SECONDS, labels), &METADATA)
            .record(elapsed.as_secs_f64());
    }

    /// A session's first hop.
    pub fn session_started(&self) {
        self.gauge(LIVE_SESSIONS, Vec::new()).increment(1.0);
    }

    /// A session closed: its interaction record is written. `outcome` is the interactions
    /// log's (`file_complaint:filed:RC...`): only its action and result are kept, never the
    /// reference.
    pub fn session_closed(
        &self,
        gateway: &str,
        channel: &str,
        lang: Option<&str>,
        outcome: Option<&str>,
        completed: bool,
    ) {
        let labels = vec![
            Label::new("gateway", bounded_name(gateway)),
            Label::new("channel", bounded_name(channel)),
            Label::new("language", language_label(lang.unwrap_or_default())),
            Label::new("outcome", outcome_label(outcome)),
            Label::new("end", if completed { "completed" } else { "dropped" }),
        ];
        self.counter(SESSIONS, labels).increment(1);
        self.gauge(LIVE_SESSIONS, Vec::new()).decrement(1.0);
    }

    /// A store failed: `"crm"` (the database) or `"sessions"` (the session store).
    pub fn store_error(&self, store: &'static str) {
        self.counter(STORE_ERRORS, vec![Label::new("store", store)])
            .increment(1);
    }

    /// A gateway's request refused with `status` (429: a hop over the phone's rate limit,
    /// answered with a polite last screen).
    pub fn rejected(&self, gateway: &str, status: u16) {
        let labels = vec![
            Label::new("gateway", bounded_name(gateway)),
            Label::new("status", status.to_string()),
        ];
        self.counter(REJECTED, labels).increment(1);
    }

    /// What the SMS gateway did with one message (`accepted`, `refused`, `retry`, `failed`,
    /// `suppressed`, `deferred`).
    pub fn sms_result(&self, gateway: &str, result: &'static str) {
        let labels = vec![
            Label::new("gateway", bounded_name(gateway)),
            Label::new("result", result),
        ];
        self.counter(SMS_SENT, labels).increment(1);
    }

    /// The outbox's rows by state, as just counted (every known state shown, 0 when none).
    pub fn outbox_depth(&self, depth: &[(String, i64)]) {
        for state in OUTBOX_STATES {
            let n = depth
                .iter()
                .find(|(s, _)| s == state)
                .map_or(0, |(_, n)| *n);
            self.gauge(OUTBOX, vec![Label::new("state", *state)])
                .set(n as f64);
        }
        for (state, n) in depth {
            if !OUTBOX_STATES.contains(&state.as_str()) {
                let labels = vec![Label::new("state", bounded_name(state))];
                self.gauge(OUTBOX, labels).set(*n as f64);
            }
        }
    }
}

/// A language code as a label: a 2-3 letter code, else `other` (never free text).
fn language_label(lang: &str) -> String {
    if (2..=3).contains(&lang.len()) && lang.bytes().all(|b| b.is_ascii_lowercase()) {
        lang.to_string()
    } else if lang.is_empty() {
        "none".into()
    } else {
        "other".into()
    }
}

/// A name from the code (gateway, channel, state) as a label: short identifiers only.
fn bounded_name(name: &str) -> String {
    if !name.is_empty()
        && name.len() <= 32
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
    {
        name.to_string()
    } else {
        "other".into()
    }
}

/// A session's outcome as a label: `action:result` (both identifiers from the action specs),
/// without the reference that follows; `none` when the session did nothing notable.
fn outcome_label(outcome: Option<&str>) -> String {
    let Some(outcome) = outcome else {
        return "none".into();
    };
    let mut parts = outcome.splitn(3, ':');
    let action = parts.next().map(bounded_name);
    let result = parts.next().map(bounded_name);
    match (action, result) {
        (Some(a), Some(r)) => format!("{a}:{r}"),
        (Some(a), None) => a,
        _ => "other".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_keep_no_reference_nor_free_text() {
        assert_eq!(
            outcome_label(Some("file_complaint:filed:RC2611-0042")),
            "file_complaint:filed"
        );
        assert_eq!(outcome_label(None), "none");
        assert_eq!(outcome_label(Some("+221786452821")), "other");
        assert_eq!(language_label("wo"), "wo");
        assert_eq!(language_label("+221786452821"), "other");
        assert_eq!(bounded_name("africastalking"), "africastalking");
        assert_eq!(bounded_name("ACC-00012"), "other");
    }

    #[test]
    fn counts_render_in_the_text_format() {
        let metrics = Metrics::new();
        metrics.hop("africastalking", "ussd", "fr", HopOutcome::Continue);
        metrics.hop("africastalking", "ussd", "fr", HopOutcome::Continue);
        metrics.hop_time(
            "africastalking",
            "ussd",
            std::time::Duration::from_millis(3),
        );
        let text = metrics.render();
        assert!(
            text.contains(
                "dalal_hops_total{gateway=\"africastalking\",channel=\"ussd\",language=\"fr\",outcome=\"continue\"} 2"
            ),
            "{text}"
        );
        assert!(text.contains("dalal_hop_duration_seconds_bucket{gateway=\"africastalking\",channel=\"ussd\",le=\"0.005\"} 1"), "{text}");
        assert!(text.contains("dalal_sessions_live 0"), "{text}");
    }
}
