//! Closing the loop with the customer: the sender that delivers the SMS outbox through the
//! configured gateway (at a pace, with retries, each message once), the schedules that queue
//! notices (planned outages, late tickets, surveys), and what customers send back (survey
//! answers, `STOP`). Runs inside `dalal serve` or as `dalal notify`; several may run on one
//! PostgreSQL.

pub mod messages;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::contracts::OutboxKind;
use crate::i18n::Catalog;
use crate::sms::{DeliveryReport, IncomingSms, Outgoing, SendOutcome, SendRequest, SmsGateway};
use crate::store::outbox::{OutboxRow, OutboxStore, Rendered};
use crate::store::{CrmStore, StoreResult};
use crate::text::gsm7::Encoding;
use messages::Subject;

/// Rows a sender takes at a time: few, so that a sender that dies leaves few in doubt.
const CLAIM_BATCH: i64 = 20;

/// What one look at the schedules queued.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Scheduled {
    pub planned_notices: u64,
    pub escalated_level_one: u64,
    pub escalated_level_two: u64,
    pub surveys: u64,
}

/// The sender, the schedules and the inbound handling, sharing the stores.
pub struct Notifier {
    pub crm: Arc<dyn CrmStore>,
    pub outbox: Arc<dyn OutboxStore>,
    /// The translations SMS are written from: swapped by a menu reload.
    pub catalog: arc_swap::ArcSwap<Catalog>,
    pub config: Arc<Config>,
    pub gateway: Option<Arc<dyn SmsGateway>>,
    client: reqwest::Client,
    /// Who claims rows (host, process, sender), for CRM staff reading `claimed_by`.
    worker: String,
    /// Where send results are counted (the server's, when it sends: see `server::build_app`).
    pub metrics: crate::metrics::Metrics,
}

impl Notifier {
    pub fn new(
        crm: Arc<dyn CrmStore>,
        outbox: Arc<dyn OutboxStore>,
        catalog: Arc<Catalog>,
        config: Arc<Config>,
    ) -> Result<Notifier, String> {
        let gateway = crate::sms::from_config(&config)?;
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(15))
            .pool_idle_timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| e.to_string())?;
        static NOTIFIERS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
        let n = NOTIFIERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "dalal".into());
        Ok(Notifier {
            crm,
            outbox,
            catalog: arc_swap::ArcSwap::new(catalog),
            config,
            gateway,
            client,
            worker: format!("{host}:{}:{n}", std::process::id()),
            metrics: crate::metrics::Metrics::new(),
        })
    }

    /// Starts the sender (when a gateway is configured) and the schedules, for ever.
    pub fn spawn(self: Arc<Self>) {
        let every = Duration::from_secs_f64(self.config.sms.poll_secs.max(0.05));
        let schedules = Duration::from_secs_f64(self.config.sms.schedule_secs.max(0.05));
        let scheduler = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(schedules);
            loop {
                tick.tick().await;
                if let Err(error) = scheduler.run_schedules(Utc::now()).await {
                    tracing::error!(%error, "notification schedules failed; retrying");
                }
            }
        });
        if self.gateway.is_none() {
            tracing::info!("no [sms] gateway: messages are queued in sms_outbox, not sent");
            return;
        }
        tokio::spawn(async move {
            loop {
                match self.send_due().await {
                    Ok(0) => tokio::time::sleep(every).await,
                    Ok(_) => {}
                    Err(error) => {
                        tracing::error!(%error, "SMS sender failed; retrying");
                        tokio::time::sleep(every).await;
                    }
                }
            }
        });
    }

    /// Queues what is due: escalations of late tickets, planned-outage notices, surveys.
    pub async fn run_schedules(&self, now: DateTime<Utc>) -> StoreResult<Scheduled> {
        let sms = &self.config.sms;
        let (escalated_level_one, escalated_level_two) = self
            .outbox
            .escalate_late_tickets(now, chrono::Duration::hours(sms.escalation_level_two_hours))
            .await?;
        let planned_notices = self
            .outbox
            .queue_planned_notices(now, now + chrono::Duration::hours(sms.planned_notice_hours))
            .await?;
        let surveys = self
            .outbox
            .queue_surveys(
                now,
                chrono::Duration::days(sms.survey_every_days),
                &sms.survey_outcomes,
            )
            .await?;
        let done = Scheduled {
            planned_notices,
            escalated_level_one,
            escalated_level_two,
            surveys,
        };
        if done != Scheduled::default() {
            tracing::info!(?done, "notifications queued");
        }
        Ok(done)
    }

    /// What the planned-outage notices due now would cost, not yet queued: per outage, the
    /// customers told and the SMS segments, each customer's text in their language.
    pub async fn planned_notice_preview(&self, now: DateTime<Utc>) -> StoreResult<Vec<Preview>> {
        let horizon = now + chrono::Duration::hours(self.config.sms.planned_notice_hours);
        let audience = self.outbox.planned_notice_audience(now, horizon).await?;
        let mut previews: Vec<Preview> = Vec::new();
        for group in audience {
            let outage = self.crm.outage(&group.outage_id).await?;
            let area = match &outage {
                Some(o) => self.crm.area(&o.area_code).await?,
                None => None,
            };
            let subject = Subject {
                account: None,
                phone_language: group.language.clone(),
                ticket: None,
                area,
                outage,
            };
            let sample = OutboxRow {
                id: 0,
                kind: OutboxKind::PlannedOutage.to_string(),
                phone: String::new(),
                account_no: None,
                ticket_ref: None,
                outage_id: Some(group.outage_id.clone()),
                reference: None,
                detail: None,
                attempts: 0,
            };
            let segments = self.render(&sample, &subject).map_or(0, |t| t.segments);
            let preview = match previews.iter_mut().find(|p| p.outage_id == group.outage_id) {
                Some(preview) => preview,
                None => {
                    previews.push(Preview {
                        outage_id: group.outage_id.clone(),
                        customers: 0,
                        segments: 0,
                    });
                    previews.last_mut().expect("just pushed")
                }
            };
            preview.customers += group.customers;
            preview.segments += group.customers * segments;
        }
        Ok(previews)
    }

    /// One pass of the sender: claims due rows and sends them at the configured pace.
    /// Returns how many rows it handled.
    pub async fn send_due(&self) -> StoreResult<usize> {
        let Some(gateway) = self.gateway.clone() else {
            return Ok(0);
        };
        let now = Utc::now();
        let claim = chrono::Duration::seconds(self.config.sms.claim_secs.max(1) as i64);
        let rows = self
            .outbox
            .claim_due(&self.worker, CLAIM_BATCH, now, now + claim)
            .await?;
        let pause = Duration::from_secs_f64(1.0 / self.config.sms.per_second.max(0.01));
        for row in &rows {
            let started = tokio::time::Instant::now();
            self.send_one(gateway.as_ref(), row).await?;
            tokio::time::sleep_until(started + pause).await;
        }
        Ok(rows.len())
    }

    async fn send_one(&self, gateway: &dyn SmsGateway, row: &OutboxRow) -> StoreResult<()> {
        let result = self.try_send_one(gateway, row).await?;
        self.metrics.sms_result(gateway.name(), result);
        Ok(())
    }

    /// Sends one row and records what came of it; returns that result's name for the
    /// metrics (`accepted`, `refused`, `failed`, `retry`, `suppressed`, `deferred`).
    async fn try_send_one(
        &self,
        gateway: &dyn SmsGateway,
        row: &OutboxRow,
    ) -> StoreResult<&'static str> {
        let now = Utc::now();
        let kind = match row.kind.parse::<OutboxKind>() {
            Ok(kind) => kind,
            Err(unknown) => {
                self.outbox
                    .mark_suppressed(row.id, &unknown.to_string())
                    .await?;
                return Ok("suppressed");
            }
        };
        if !messages::is_essential(kind) && self.outbox.is_opted_out(&row.phone).await? {
            self.outbox.mark_suppressed(row.id, "opted out").await?;
            return Ok("suppressed");
        }
        let subject = self.subject(row).await?;
        if messages::waits_for_quiet_hours(kind) {
            let sms = &self.config.sms;
            let zone = subject.zone();
            if let Some(until) =
                messages::quiet_until(now, zone, sms.quiet_start_hour, sms.quiet_end_hour)
            {
                self.outbox.defer(row.id, until).await?;
                return Ok("deferred");
            }
        }
        let Some(text) = self.render(row, &subject) else {
            self.outbox
                .mark_suppressed(row.id, "nothing left to say")
                .await?;
            return Ok("suppressed");
        };
        let outgoing = Outgoing {
            id: row.id,
            to: row.phone.clone(),
            text: text.body.clone(),
            report_url: self.report_url(gateway),
        };
        let outcome = self.post(gateway, &gateway.send_request(&outgoing)).await;
        let phone = crate::text::privacy::mask_msisdn(&row.phone);
        match outcome {
            SendOutcome::Accepted { gateway_id } => {
                tracing::info!(id = row.id, kind = %row.kind, %phone, segments = text.segments, "SMS sent");
                let name = gateway.name();
                self.outbox
                    .mark_sent(row.id, name, gateway_id.as_deref(), &text, Utc::now())
                    .await?;
                Ok("accepted")
            }
            SendOutcome::Refused(error) => {
                tracing::warn!(id = row.id, %phone, %error, "SMS refused by the gateway");
                self.outbox.mark_failed(row.id, Some(&text), &error).await?;
                Ok("refused")
            }
            SendOutcome::Retry(error) if row.attempts + 1 >= self.config.sms.max_attempts => {
                tracing::warn!(id = row.id, %phone, %error, "SMS failed; no attempts left");
                self.outbox.mark_failed(row.id, Some(&text), &error).await?;
                Ok("failed")
            }
            SendOutcome::Retry(error) => {
                let at = Utc::now() + messages::retry_delay(row.attempts);
                tracing::info!(id = row.id, %phone, %error, retry_at = %at, "SMS to retry");
                self.outbox.mark_retry(row.id, &text, &error, at).await?;
                Ok("retry")
            }
        }
    }

    /// What the CRM says about a row's subject.
    async fn subject(&self, row: &OutboxRow) -> StoreResult<Subject> {
        let mut subject = Subject::default();
        if let Some(account_no) = &row.account_no {
            subject.account = self.crm.account(account_no).await?;
        }
        subject.phone_language = self.crm.phone_language(&row.phone).await?;
        if let Some(reference) = &row.ticket_ref {
            subject.ticket = self.crm.ticket(reference).await?;
        }
        if let Some(outage_id) = &row.outage_id {
            subject.outage = self.crm.outage(outage_id).await?;
        }
        let area_code = subject
            .outage
            .as_ref()
            .map(|o| o.area_code.clone())
            .or_else(|| subject.account.as_ref().map(|a| a.area_code.clone()));
        if let Some(code) = area_code {
            subject.area = self.crm.area(&code).await?;
        }
        Ok(subject)
    }

    /// The row's text in the customer's language, with its encoding and segments.
    pub fn render(&self, row: &OutboxRow, subject: &Subject) -> Option<Rendered> {
        let (id, args) = messages::message(row, subject)?;
        let catalog = self.catalog.load();
        let shipped = |lang: &str| catalog.has_language(lang);
        let language = subject.language(&shipped, catalog.default_lang());
        let body = catalog.text(&language, id, &args);
        let counted = crate::sms::segments::count(&body);
        Some(Rendered {
            language,
            body,
            encoding: match counted.encoding {
                Encoding::Gsm7 => "gsm7",
                Encoding::Ucs2 => "ucs2",
            },
            segments: counted.segments as i64,
        })
    }

    /// Where the gateway reports delivery, with its callback key.
    fn report_url(&self, gateway: &dyn SmsGateway) -> String {
        let config = &self.config;
        let base = config
            .sms
            .callback_url
            .clone()
            .or_else(|| config.voice.public_url.clone())
            .unwrap_or_else(|| format!("http://{}", config.listen));
        let base = base.trim_end_matches('/');
        let path = gateway.report_path();
        match config
            .gateways
            .get(gateway.name())
            .and_then(|g| g.secret.as_ref())
        {
            Some(key) => format!("{base}{path}?key={}", urlencode(key)),
            None => format!("{base}{path}"),
        }
    }

    async fn post(&self, gateway: &dyn SmsGateway, request: &SendRequest) -> SendOutcome {
        let mut builder = match request.method {
            "GET" => self.client.get(&request.url),
            _ => self.client.post(&request.url).body(request.body.clone()),
        };
        if let Some(content_type) = request.content_type {
            builder = builder.header(reqwest::header::CONTENT_TYPE, content_type);
        }
        for (name, value) in &request.headers {
            builder = builder.header(*name, value);
        }
        match builder.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                let body = response.text().await.unwrap_or_default();
                gateway.read_send_answer(status, &body)
            }
            Err(e) if e.is_connect() => SendOutcome::Retry("gateway unreachable".into()),
            Err(e) if e.is_timeout() => SendOutcome::Retry("gateway timed out".into()),
            Err(_) => SendOutcome::Retry("connection to the gateway failed".into()),
        }
    }

    /// A delivery report; false when it names no message of ours.
    pub async fn delivery(&self, report: &DeliveryReport) -> StoreResult<bool> {
        self.outbox
            .record_delivery(
                &report.message,
                report.delivery,
                report.detail.as_deref(),
                Utc::now(),
            )
            .await
    }

    /// A message from a customer: `STOP` (in any shipped language), a survey answer, or
    /// something else (ignored).
    pub async fn incoming(&self, sms: &IncomingSms) -> StoreResult<Reply> {
        let now = Utc::now();
        let text = sms.text.trim();
        if self.is_stop_word(text) {
            let first = self.outbox.opt_out(&sms.from, text, now).await?;
            return Ok(if first {
                Reply::OptedOut
            } else {
                Reply::AlreadyOptedOut
            });
        }
        let window = chrono::Duration::days(self.config.sms.survey_every_days.max(1));
        let invitation = self.outbox.open_invitation(&sms.from, now - window).await?;
        let question = self
            .outbox
            .resolution_question(&sms.from, now - window)
            .await?;
        // "Was it solved? 1 yes, 2 no" when it was asked after any survey still open.
        if let Some(question) =
            question.filter(|q| invitation.as_ref().is_none_or(|i| q.asked_at >= i.asked_at))
        {
            let solved = match text.trim_end_matches('.').trim() {
                "1" => true,
                "2" => false,
                _ => return Ok(Reply::Ignored),
            };
            self.outbox
                .answer_resolution(&question, solved, now)
                .await?;
            return Ok(if solved {
                Reply::Solved
            } else {
                Reply::Reopened
            });
        }
        let Some(invitation) = invitation else {
            return Ok(Reply::Ignored);
        };
        match survey_score(text) {
            Some(score) => {
                self.outbox
                    .answer_survey(&invitation, &sms.from, score, now)
                    .await?;
                Ok(Reply::SurveyAnswered(score))
            }
            None => {
                let first = self
                    .outbox
                    .queue_survey_help(&invitation, &sms.from)
                    .await?;
                Ok(if first {
                    Reply::HelpSent
                } else {
                    Reply::Ignored
                })
            }
        }
    }

    /// `STOP` and its word in each shipped language (`sms-stop-words` in `sms.ftl`).
    fn is_stop_word(&self, text: &str) -> bool {
        let text = text.to_uppercase();
        let catalog = self.catalog.load();
        catalog.languages.iter().any(|lang| {
            let words = catalog.text(lang, "sms-stop-words", &Default::default());
            words
                .split_whitespace()
                .any(|word| word.to_uppercase() == text)
        })
    }
}

/// What one planned-outage notice would cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    pub outage_id: String,
    pub customers: i64,
    pub segments: i64,
}

/// What an incoming message did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    OptedOut,
    AlreadyOptedOut,
    SurveyAnswered(i64),
    /// "Was it solved?" answered yes.
    Solved,
    /// Answered no: the ticket is open again.
    Reopened,
    /// Not 1-5: told once how to answer.
    HelpSent,
    Ignored,
}

/// A survey answer: one digit from 1 to 5 (spaces and a trailing full stop forgiven).
pub fn survey_score(text: &str) -> Option<i64> {
    let text = text.trim().trim_end_matches('.').trim();
    match text.parse::<i64>() {
        Ok(score @ 1..=5) if text.len() == 1 => Some(score),
        _ => None,
    }
}

fn urlencode(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every message in every shipped language, with long arguments, fits one GSM-7 SMS.
    #[test]
    fn every_message_is_one_gsm7_sms_in_every_language() {
        use crate::value::Value;
        use std::collections::BTreeMap;
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("locales");
        let catalog = Catalog::load(&dir, "fr", Default::default()).expect("locales load");
        let at = chrono::DateTime::parse_from_rfc3339("2026-12-24T23:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let time = Value::Time {
            at,
            zone: "Africa/Dakar".into(),
        };
        let ids = [
            "sms-ticket-filed",
            "sms-outage-reported",
            "sms-callback-requested",
            "sms-ticket-status",
            "sms-ticket-late",
            "sms-planned-outage",
            "sms-outage-restored",
            "sms-survey",
            "sms-survey-help",
            "sms-opted-out",
            "sms-token-resend",
        ];
        for lang in &catalog.languages {
            for id in ids {
                let cases = ["in_progress", "resolved", "closed", "open"]
                    .into_iter()
                    .flat_map(|s| crate::domain::TICKET_CATEGORIES.map(|c| (s, c)));
                for (status, category) in cases {
                    let args = BTreeMap::from([
                        ("ref".to_string(), Value::Reference("RC26110000013".into())),
                        ("category".to_string(), Value::text(category)),
                        ("due".to_string(), time.clone()),
                        ("restore".to_string(), time.clone()),
                        ("start".to_string(), time.clone()),
                        ("end".to_string(), time.clone()),
                        ("area".to_string(), Value::text("Parcelles Assainies")),
                        ("service".to_string(), Value::text("electricity")),
                        ("status".to_string(), Value::text(status)),
                        ("token".to_string(), Value::text("1234 5678 9012 3456 7890")),
                        ("meter".to_string(), Value::text("M045157736")),
                    ]);
                    let text = catalog.text(lang, id, &args);
                    assert!(
                        catalog.locale(lang).unwrap().has(id),
                        "{lang}: {id} missing"
                    );
                    let counted = crate::sms::segments::count(&text);
                    assert_eq!(counted.encoding, Encoding::Gsm7, "{lang} {id}: {text}");
                    assert_eq!(
                        counted.segments, 1,
                        "{lang} {id} ({} septets): {text}",
                        counted.units
                    );
                }
            }
        }
    }

    #[test]
    fn survey_answers_are_one_digit_from_one_to_five() {
        for (text, score) in [("1", Some(1)), (" 5 ", Some(5)), ("3.", Some(3))] {
            assert_eq!(survey_score(text), score, "{text:?}");
        }
        for text in ["0", "6", "10", "yes", "", "1 2", "+3", "-1"] {
            assert_eq!(survey_score(text), None, "{text:?}");
        }
    }
}
