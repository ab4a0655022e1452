//! What each outbox row says, and when it may be sent: pure functions of the row and what the
//! CRM says about it, tested without a store.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Timelike, Utc};

use crate::contracts::{OutageStatus, OutboxKind, TicketStatus};
use crate::domain::{Account, Area, Outage, Ticket, group_digits};
use crate::store::outbox::OutboxRow;
use crate::text::format::area_zone;
use crate::value::Value;
use chrono_tz::Tz;

/// What the CRM says about a row's subject, read before rendering it.
#[derive(Debug, Clone, Default)]
pub struct Subject {
    pub account: Option<Account>,
    /// The phone's own language choice (`phone_languages`).
    pub phone_language: Option<String>,
    pub ticket: Option<Ticket>,
    pub outage: Option<Outage>,
    /// The area of the outage, else of the account.
    pub area: Option<Area>,
}

impl Subject {
    /// The customer's language: theirs, the phone's, their area's first, else `default`.
    pub fn language(&self, shipped: &dyn Fn(&str) -> bool, default: &str) -> String {
        [
            self.account.as_ref().and_then(|a| a.language.clone()),
            self.phone_language.clone(),
            self.area
                .as_ref()
                .and_then(|a| a.languages.first().cloned()),
        ]
        .into_iter()
        .flatten()
        .find(|lang| shipped(lang))
        .unwrap_or_else(|| default.to_string())
    }

    /// The zone whose clock the customer reads (dates, quiet hours): the area's own, else its
    /// country's; UTC when the area is unknown.
    pub fn zone(&self) -> Tz {
        self.area
            .as_ref()
            .map(|a| area_zone(&a.country, a.timezone.as_deref()))
            .unwrap_or(Tz::UTC)
    }
}

/// Kinds sent even to a phone that opted out: what concerns the customer's own request.
pub fn is_essential(kind: OutboxKind) -> bool {
    !matches!(kind, OutboxKind::PlannedOutage | OutboxKind::Survey)
}

/// Kinds held back during quiet hours: unsolicited notices. Replies to what the customer just
/// did, and restoration notices, go at once.
pub fn waits_for_quiet_hours(kind: OutboxKind) -> bool {
    matches!(
        kind,
        OutboxKind::TicketStatus
            | OutboxKind::TicketLate
            | OutboxKind::PlannedOutage
            | OutboxKind::Survey
    )
}

/// When a held-back notice may go: `None` now, else the end of the quiet hours (local hours
/// `start..end`, wrapping midnight when `start > end`; equal hours = none).
pub fn quiet_until(now: DateTime<Utc>, zone: Tz, start: u32, end: u32) -> Option<DateTime<Utc>> {
    if start == end {
        return None;
    }
    let local = now.with_timezone(&zone);
    let hour = local.hour();
    let quiet = if start < end {
        hour >= start && hour < end
    } else {
        hour >= start || hour < end
    };
    if !quiet {
        return None;
    }
    let today_end = local
        .with_hour(end)?
        .with_minute(0)?
        .with_second(0)?
        .with_nanosecond(0)?;
    let until = if today_end > local {
        today_end
    } else {
        today_end + Duration::days(1)
    };
    Some(until.with_timezone(&Utc))
}

/// The message id (in `locales/<lang>/sms.ftl`) and its arguments; `None` when the row has
/// nothing left to say (its ticket or outage is gone, or its kind is none of [`OutboxKind`]).
pub fn message(
    row: &OutboxRow,
    subject: &Subject,
) -> Option<(&'static str, BTreeMap<String, Value>)> {
    let mut args = BTreeMap::new();
    let zone = subject.zone().name().to_string();
    let reference = |args: &mut BTreeMap<String, Value>| {
        if let Some(r) = &row.reference {
            args.insert("ref".into(), Value::Reference(r.clone()));
        }
    };
    // A moment, or `none` (what the messages select on when it is unknown).
    let time = |at: Option<DateTime<Utc>>| match at {
        Some(at) => Value::Time {
            at,
            zone: zone.clone(),
        },
        None => Value::text("none"),
    };
    let area_name = || {
        subject
            .area
            .as_ref()
            .map(|a| a.name.clone())
            .unwrap_or_default()
    };
    let kind = row.kind.parse::<OutboxKind>().ok()?;
    let id = match kind {
        OutboxKind::TicketFiled => {
            let ticket = subject.ticket.as_ref()?;
            reference(&mut args);
            args.insert("category".into(), Value::text(&ticket.category));
            args.insert("due".into(), time(ticket.sla_due_at));
            "sms-ticket-filed"
        }
        OutboxKind::OutageReported => {
            reference(&mut args);
            let end = subject.outage.as_ref().and_then(|o| o.expected_end);
            args.insert("restore".into(), time(end));
            "sms-outage-reported"
        }
        OutboxKind::CallbackRequested => "sms-callback-requested",
        OutboxKind::TicketStatus => {
            reference(&mut args);
            args.insert("category".into(), Value::text(category(subject)));
            args.insert(
                "status".into(),
                Value::text(row.detail.as_deref().unwrap_or(TicketStatus::Open.as_str())),
            );
            "sms-ticket-status"
        }
        OutboxKind::TicketLate => {
            let ticket = subject.ticket.as_ref()?;
            if !ticket.status.parse().is_ok_and(TicketStatus::is_pending) {
                return None;
            }
            reference(&mut args);
            args.insert("category".into(), Value::text(category(subject)));
            "sms-ticket-late"
        }
        OutboxKind::PlannedOutage => {
            let outage = subject.outage.as_ref()?;
            if outage.status != OutageStatus::Scheduled.as_str() {
                return None;
            }
            args.insert("area".into(), Value::text(area_name()));
            args.insert("service".into(), Value::text(&outage.service));
            args.insert("start".into(), time(Some(outage.starts_at)));
            args.insert("end".into(), time(outage.expected_end));
            "sms-planned-outage"
        }
        OutboxKind::OutageRestored => {
            let outage = subject.outage.as_ref()?;
            args.insert("area".into(), Value::text(area_name()));
            args.insert("service".into(), Value::text(&outage.service));
            "sms-outage-restored"
        }
        OutboxKind::Survey => "sms-survey",
        OutboxKind::SurveyHelp => "sms-survey-help",
        OutboxKind::OptedOut => "sms-opted-out",
        OutboxKind::TokenResend => {
            let token = row.detail.as_deref()?;
            args.insert("token".into(), Value::text(group_digits(token, 4)));
            let meter = subject.account.as_ref().map(|a| a.meter_no.clone());
            args.insert("meter".into(), Value::text(meter.unwrap_or_default()));
            "sms-token-resend"
        }
    };
    Some((id, args))
}

/// The ticket's category, which says whether it is a complaint or a request (a new
/// connection); `other` when the ticket is unknown.
fn category(subject: &Subject) -> &str {
    subject
        .ticket
        .as_ref()
        .map_or("other", |t| t.category.as_str())
}

/// When a failed send is tried again: 30 s, doubling, at most an hour.
pub fn retry_delay(attempts: i64) -> Duration {
    let exponent = attempts.clamp(0, 7) as u32;
    Duration::seconds((30 * 2i64.pow(exponent)).min(3600))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn row(kind: &str) -> OutboxRow {
        OutboxRow {
            id: 1,
            kind: kind.into(),
            phone: "+221786452821".into(),
            account_no: None,
            ticket_ref: None,
            outage_id: None,
            reference: Some("RC2611000123".into()),
            detail: Some("resolved".into()),
            attempts: 0,
        }
    }

    #[test]
    fn quiet_hours_hold_notices_until_morning_local_time() {
        let utc = |h, m| Utc.with_ymd_and_hms(2026, 11, 30, h, m, 0).unwrap();
        // Dakar is UTC, Nairobi UTC+3; quiet 21:00-07:00.
        assert_eq!(
            quiet_until(utc(12, 0), crate::text::format::zone("SN"), 21, 7),
            None
        );
        assert_eq!(
            quiet_until(utc(22, 30), crate::text::format::zone("SN"), 21, 7),
            Some(Utc.with_ymd_and_hms(2026, 12, 1, 7, 0, 0).unwrap())
        );
        assert_eq!(
            quiet_until(utc(2, 0), crate::text::format::zone("SN"), 21, 7),
            Some(utc(7, 0)),
            "after midnight, the same morning"
        );
        // 19:00 UTC is 22:00 in Nairobi: quiet until 07:00 there, 04:00 UTC.
        assert_eq!(
            quiet_until(utc(19, 0), crate::text::format::zone("KE"), 21, 7),
            Some(Utc.with_ymd_and_hms(2026, 12, 1, 4, 0, 0).unwrap())
        );
        assert_eq!(
            quiet_until(utc(22, 0), crate::text::format::zone("SN"), 7, 7),
            None,
            "none configured"
        );
        assert_eq!(
            quiet_until(utc(13, 0), crate::text::format::zone("SN"), 12, 14),
            Some(utc(14, 0))
        );
    }

    #[test]
    fn which_kinds_wait_and_which_are_essential() {
        assert!(waits_for_quiet_hours(OutboxKind::PlannedOutage));
        assert!(!waits_for_quiet_hours(OutboxKind::OutageRestored));
        assert!(!waits_for_quiet_hours(OutboxKind::TicketFiled));
        assert!(!is_essential(OutboxKind::Survey));
        assert!(is_essential(OutboxKind::TicketFiled));
    }

    #[test]
    fn a_message_needs_its_subject() {
        assert_eq!(message(&row("ticket_filed"), &Subject::default()), None);
        let (id, args) = message(&row("ticket_status"), &Subject::default()).unwrap();
        assert_eq!(id, "sms-ticket-status");
        assert_eq!(args["status"], Value::text("resolved"));
        assert_eq!(args["ref"], Value::Reference("RC2611000123".into()));
        assert_eq!(args["category"], Value::text("other"));
        assert_eq!(message(&row("nonsense"), &Subject::default()), None);
    }

    #[test]
    fn a_connection_request_is_called_a_request_not_a_complaint() {
        let t = Utc.with_ymd_and_hms(2026, 11, 30, 8, 0, 0).unwrap();
        let subject = Subject {
            ticket: Some(Ticket {
                ticket_ref: "RC2611000123".into(),
                account_no: None,
                phone: None,
                category: "new_connection".into(),
                status: "in_progress".into(),
                channel: "ussd".into(),
                created_at: t,
                sla_due_at: Some(t),
                updated_at: t,
                note: None,
            }),
            ..Subject::default()
        };
        for kind in ["ticket_status", "ticket_late"] {
            let (_, args) = message(&row(kind), &subject).unwrap();
            assert_eq!(args["category"], Value::text("new_connection"), "{kind}");
        }
    }

    #[test]
    fn a_token_resend_says_the_token_in_groups_of_four_for_the_account_meter() {
        let mut resend = row("token_resend");
        resend.detail = Some("12345678901234567890".into());
        let subject = Subject {
            account: Some(Account {
                account_no: "SNE100044".into(),
                full_name: "A".into(),
                phone: None,
                alt_phone: None,
                language: Some("wo".into()),
                service: "electricity".into(),
                meter_no: "M045157736".into(),
                area_code: "SN-DKR-PKN".into(),
                tariff: "domestic_prepaid".into(),
                status: "active".into(),
            }),
            ..Subject::default()
        };
        let (id, args) = message(&resend, &subject).unwrap();
        assert_eq!(id, "sms-token-resend");
        assert_eq!(args["token"], Value::text("1234 5678 9012 3456 7890"));
        assert_eq!(args["meter"], Value::text("M045157736"));
        assert!(
            is_essential(OutboxKind::TokenResend)
                && !waits_for_quiet_hours(OutboxKind::TokenResend)
        );
        resend.detail = None;
        assert_eq!(message(&resend, &subject), None);
    }

    #[test]
    fn retries_back_off_to_an_hour() {
        assert_eq!(retry_delay(0), Duration::seconds(30));
        assert_eq!(retry_delay(1), Duration::seconds(60));
        assert_eq!(retry_delay(20), Duration::seconds(3600));
    }
}
