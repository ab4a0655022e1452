//! The KPI report (`dalal report`, `GET /admin/kpis`): the figures an operator needs to see
//! the service work, computed from rows of the CRM tables. Pure: rows in, figures out; the
//! rows come from [`crate::store::report::ReportStore`] (one implementation per database) and
//! the figures go to `render.rs` (text, CSV, HTML with inline SVG charts) or to JSON.

pub mod render;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;

use crate::contracts::Channel;

/// The days a report covers, both included, in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Range {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RangeError {
    #[error("`{0}` is not a date (expected YYYY-MM-DD)")]
    BadDate(String),
    #[error("--from {from} is after --to {to}")]
    Reversed { from: NaiveDate, to: NaiveDate },
}

impl Range {
    /// Parses `YYYY-MM-DD` bounds; `from` must not be after `to`.
    pub fn parse(from: &str, to: &str) -> Result<Range, RangeError> {
        let day = |s: &str| {
            NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                .map_err(|_| RangeError::BadDate(s.to_string()))
        };
        let (from, to) = (day(from)?, day(to)?);
        if from > to {
            return Err(RangeError::Reversed { from, to });
        }
        Ok(Range { from, to })
    }

    /// The first instant of the range.
    pub fn start(&self) -> DateTime<Utc> {
        self.from.and_hms_opt(0, 0, 0).expect("midnight").and_utc()
    }

    /// The first instant after the range (exclusive end).
    pub fn end(&self) -> DateTime<Utc> {
        (self.to + Duration::days(1))
            .and_hms_opt(0, 0, 0)
            .expect("midnight")
            .and_utc()
    }

    fn contains(&self, t: DateTime<Utc>) -> bool {
        t >= self.start() && t < self.end()
    }
}

/// One USSD session or call (a row of `interactions`).
#[derive(Debug, Clone, PartialEq)]
pub struct SessionRow {
    pub channel: String,
    pub language: Option<String>,
    /// Node ids visited, in order, joined by `>`.
    pub path: String,
    /// `action:result[:reference]`, if the session did something.
    pub outcome: Option<String>,
    /// True when the session reached a last screen; false when the caller left (or the
    /// gateway cut it) on the path's last node.
    pub ended: bool,
    pub started_at: DateTime<Utc>,
    pub account_no: Option<String>,
    /// Only to tell callers apart without an account (first-contact resolution); never shown.
    pub phone: String,
}

/// One ticket filed in the range.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketRow {
    pub category: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub sla_due_at: Option<DateTime<Utc>>,
    /// When it was first resolved or closed, if it was.
    pub resolved_at: Option<DateTime<Utc>>,
}

/// One call-back request.
#[derive(Debug, Clone, PartialEq)]
pub struct CallbackRow {
    pub status: String,
    pub created_at: DateTime<Utc>,
}

/// One customer report attached to an outage, with its outage.
#[derive(Debug, Clone, PartialEq)]
pub struct OutageReportRow {
    pub outage_id: String,
    pub area_code: String,
    pub service: String,
    pub outage_status: String,
    pub created_at: DateTime<Utc>,
}

/// One survey answer (1-5).
#[derive(Debug, Clone, PartialEq)]
pub struct SurveyRow {
    pub channel: String,
    pub language: Option<String>,
    pub score: i64,
    pub at: DateTime<Utc>,
}

/// What the store reads for a report. `sessions` run up to `fcr_days` past the range (a repeat
/// contact after the range's last day still counts against first-contact resolution);
/// `callbacks` are all those requested before the range's end (the backlog is older).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportData {
    pub sessions: Vec<SessionRow>,
    pub tickets: Vec<TicketRow>,
    pub callbacks: Vec<CallbackRow>,
    pub outage_reports: Vec<OutageReportRow>,
    pub surveys: Vec<SurveyRow>,
}

/// Default window of first-contact resolution (`[report] fcr_days`).
pub const DEFAULT_FCR_DAYS: i64 = 7;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Kpis {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// True when nothing at all happened in the range.
    pub empty: bool,
    pub totals: Totals,
    pub per_day: Vec<DayCount>,
    pub funnel: Vec<Screen>,
    pub first_contact_resolution: Fcr,
    pub sla: Vec<SlaCategory>,
    pub callbacks: Callbacks,
    pub outages: Vec<OutageFigures>,
    pub satisfaction: Satisfaction,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Totals {
    /// USSD sessions and calls together.
    pub sessions: u64,
    pub ussd_sessions: u64,
    pub calls: u64,
    /// Reached a last screen.
    pub completed: u64,
    /// Left by the caller (or cut) before a last screen.
    pub abandoned: u64,
    /// completed / sessions.
    pub completion_rate: Option<f64>,
}

/// Sessions of one day, channel and language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DayCount {
    pub day: NaiveDate,
    pub channel: String,
    /// `-` when the caller never chose one.
    pub language: String,
    pub sessions: u64,
}

/// One screen of the funnel: how many sessions reached it, and how many ended there.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Screen {
    pub node: String,
    pub reached: u64,
    /// Sessions whose last screen this was and that ended there (a last screen).
    pub completed_here: u64,
    /// Sessions the caller left on this screen.
    pub dropped_here: u64,
    /// dropped_here / reached.
    pub drop_off_rate: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fcr {
    pub window_days: i64,
    /// Sessions in the range that did something (an outcome), by a known account or phone.
    pub contacts: u64,
    /// Of those, the ones with no contact on the same topic by the same account (or phone,
    /// without an account) within `window_days` after.
    pub resolved_first: u64,
    pub rate: Option<f64>,
    pub per_topic: Vec<TopicFcr>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopicFcr {
    /// The outcome's action, e.g. `latest_bill`, `report_outage`, `file_complaint`.
    pub topic: String,
    pub contacts: u64,
    pub resolved_first: u64,
    pub rate: Option<f64>,
}

/// Tickets of one category filed in the range, against their SLA as of the report's time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SlaCategory {
    pub category: String,
    pub tickets: u64,
    /// Resolved before the SLA ran out.
    pub met: u64,
    /// Resolved late, or still open past the SLA.
    pub breached: u64,
    /// Still open, within the SLA.
    pub open_within: u64,
    /// Without an SLA (no hours configured for the category).
    pub no_sla: u64,
    /// met / (met + breached).
    pub compliance: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Callbacks {
    pub requested_in_range: u64,
    /// Still pending at the end of the range (or now, if earlier).
    pub pending: u64,
    pub oldest_age_hours: Option<f64>,
    pub median_age_hours: Option<f64>,
    pub age_buckets: Vec<AgeBucket>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgeBucket {
    pub label: &'static str,
    pub pending: u64,
}

/// Reports attached to one outage in the range.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutageFigures {
    pub outage_id: String,
    pub area_code: String,
    pub service: String,
    pub status: String,
    pub reports: u64,
    pub first_report: DateTime<Utc>,
    pub last_report: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Satisfaction {
    pub responses: u64,
    pub average: Option<f64>,
    /// Answers scoring 1, 2, 3, 4, 5.
    pub distribution: [u64; 5],
    pub per_channel_language: Vec<SatisfactionGroup>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SatisfactionGroup {
    pub channel: String,
    pub language: String,
    pub responses: u64,
    pub average: f64,
}

fn ratio(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

fn hours(d: Duration) -> f64 {
    d.num_seconds() as f64 / 3600.0
}

/// The figures of `range` from `data`, as of `now` (open tickets and pending call-backs are
/// judged at the range's end, or now if that is earlier).
pub fn compute(data: &ReportData, range: Range, fcr_days: i64, now: DateTime<Utc>) -> Kpis {
    let as_of = now.min(range.end());
    let in_range: Vec<&SessionRow> = data
        .sessions
        .iter()
        .filter(|s| range.contains(s.started_at))
        .collect();
    let tickets: Vec<&TicketRow> = data
        .tickets
        .iter()
        .filter(|t| range.contains(t.created_at))
        .collect();
    let reports: Vec<&OutageReportRow> = data
        .outage_reports
        .iter()
        .filter(|r| range.contains(r.created_at))
        .collect();
    let surveys: Vec<&SurveyRow> = data
        .surveys
        .iter()
        .filter(|s| range.contains(s.at))
        .collect();
    let callbacks = callbacks(&data.callbacks, range, as_of);
    let empty = in_range.is_empty()
        && tickets.is_empty()
        && reports.is_empty()
        && surveys.is_empty()
        && callbacks.requested_in_range == 0;
    Kpis {
        from: range.from,
        to: range.to,
        empty,
        totals: totals(&in_range),
        per_day: per_day(&in_range),
        funnel: funnel(&in_range),
        first_contact_resolution: fcr(&in_range, &data.sessions, fcr_days),
        sla: sla(&tickets, as_of),
        callbacks,
        outages: outages(&reports),
        satisfaction: satisfaction(&surveys),
    }
}

fn totals(sessions: &[&SessionRow]) -> Totals {
    let count = |f: &dyn Fn(&SessionRow) -> bool| sessions.iter().filter(|s| f(s)).count() as u64;
    let total = sessions.len() as u64;
    let completed = count(&|s: &SessionRow| s.ended);
    Totals {
        sessions: total,
        ussd_sessions: count(&|s: &SessionRow| s.channel == Channel::Ussd.as_str()),
        calls: count(&|s: &SessionRow| s.channel == Channel::Voice.as_str()),
        completed,
        abandoned: total - completed,
        completion_rate: ratio(completed, total),
    }
}

fn language(l: &Option<String>) -> String {
    l.clone()
        .filter(|l| !l.is_empty())
        .unwrap_or_else(|| "-".to_string())
}

fn per_day(sessions: &[&SessionRow]) -> Vec<DayCount> {
    let mut counts: BTreeMap<(NaiveDate, String, String), u64> = BTreeMap::new();
    for s in sessions {
        let key = (
            s.started_at.date_naive(),
            s.channel.clone(),
            language(&s.language),
        );
        *counts.entry(key).or_default() += 1;
    }
    counts
        .into_iter()
        .map(|((day, channel, language), sessions)| DayCount {
            day,
            channel,
            language,
            sessions,
        })
        .collect()
}

fn nodes(path: &str) -> impl Iterator<Item = &str> {
    path.split('>').map(str::trim).filter(|n| !n.is_empty())
}

/// Every screen reached, most reached first: a session counts once per screen however often
/// it came back to it; its last screen is where it completed or where the caller gave up.
fn funnel(sessions: &[&SessionRow]) -> Vec<Screen> {
    #[derive(Default)]
    struct Counts {
        reached: u64,
        completed: u64,
        dropped: u64,
    }
    let mut screens: HashMap<&str, Counts> = HashMap::new();
    for s in sessions {
        let visited: BTreeSet<&str> = nodes(&s.path).collect();
        for node in visited {
            screens.entry(node).or_default().reached += 1;
        }
        if let Some(last) = nodes(&s.path).last() {
            let counts = screens.entry(last).or_default();
            if s.ended {
                counts.completed += 1;
            } else {
                counts.dropped += 1;
            }
        }
    }
    let mut funnel: Vec<Screen> = screens
        .into_iter()
        .map(|(node, c)| Screen {
            node: node.to_string(),
            reached: c.reached,
            completed_here: c.completed,
            dropped_here: c.dropped,
            drop_off_rate: ratio(c.dropped, c.reached).unwrap_or(0.0),
        })
        .collect();
    funnel.sort_by(|a, b| b.reached.cmp(&a.reached).then(a.node.cmp(&b.node)));
    funnel
}

/// The topic of a contact: the action its outcome names (`report_outage:attached:OR..` ->
/// `report_outage`).
fn topic(s: &SessionRow) -> Option<&str> {
    s.outcome
        .as_deref()
        .and_then(|o| o.split(':').next())
        .filter(|t| !t.is_empty())
}

/// Who made a contact: the account, or the phone when no account was given.
fn who(s: &SessionRow) -> &str {
    s.account_no
        .as_deref()
        .filter(|a| !a.is_empty())
        .unwrap_or(&s.phone)
}

fn fcr(in_range: &[&SessionRow], all: &[SessionRow], window_days: i64) -> Fcr {
    let window = Duration::days(window_days.max(0));
    let mut by_key: HashMap<(&str, &str), Vec<DateTime<Utc>>> = HashMap::new();
    for s in all {
        if let Some(t) = topic(s) {
            by_key.entry((who(s), t)).or_default().push(s.started_at);
        }
    }
    let mut topics: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for s in in_range {
        let Some(t) = topic(s) else { continue };
        let repeated = by_key[&(who(s), t)]
            .iter()
            .any(|&later| later > s.started_at && later <= s.started_at + window);
        let entry = topics.entry(t).or_default();
        entry.0 += 1;
        if !repeated {
            entry.1 += 1;
        }
    }
    let contacts = topics.values().map(|c| c.0).sum();
    let resolved_first = topics.values().map(|c| c.1).sum();
    Fcr {
        window_days,
        contacts,
        resolved_first,
        rate: ratio(resolved_first, contacts),
        per_topic: topics
            .into_iter()
            .map(|(topic, (contacts, resolved_first))| TopicFcr {
                topic: topic.to_string(),
                contacts,
                resolved_first,
                rate: ratio(resolved_first, contacts),
            })
            .collect(),
    }
}

fn sla(tickets: &[&TicketRow], as_of: DateTime<Utc>) -> Vec<SlaCategory> {
    let mut categories: BTreeMap<&str, SlaCategory> = BTreeMap::new();
    for t in tickets {
        let c = categories
            .entry(t.category.as_str())
            .or_insert_with(|| SlaCategory {
                category: t.category.clone(),
                tickets: 0,
                met: 0,
                breached: 0,
                open_within: 0,
                no_sla: 0,
                compliance: None,
            });
        c.tickets += 1;
        match (t.sla_due_at, t.resolved_at) {
            (None, _) => c.no_sla += 1,
            (Some(due), Some(resolved)) if resolved <= due => c.met += 1,
            (Some(_), Some(_)) => c.breached += 1,
            (Some(due), None) if as_of > due => c.breached += 1,
            (Some(_), None) => c.open_within += 1,
        }
    }
    categories
        .into_values()
        .map(|mut c| {
            c.compliance = ratio(c.met, c.met + c.breached);
            c
        })
        .collect()
}

/// Age limits of the backlog's buckets, in hours, and their labels.
const AGE_BUCKETS: [(i64, &str); 4] = [
    (1, "under 1 h"),
    (24, "1-24 h"),
    (72, "1-3 days"),
    (i64::MAX, "over 3 days"),
];

fn callbacks(rows: &[CallbackRow], range: Range, as_of: DateTime<Utc>) -> Callbacks {
    let requested_in_range = rows.iter().filter(|c| range.contains(c.created_at)).count() as u64;
    let mut ages: Vec<Duration> = rows
        .iter()
        .filter(|c| c.status == "pending" && c.created_at < as_of)
        .map(|c| as_of - c.created_at)
        .collect();
    ages.sort();
    let mut buckets: Vec<AgeBucket> = AGE_BUCKETS
        .iter()
        .map(|&(_, label)| AgeBucket { label, pending: 0 })
        .collect();
    for age in &ages {
        let i = AGE_BUCKETS
            .iter()
            .position(|(limit, _)| age.num_hours() < *limit)
            .unwrap_or(AGE_BUCKETS.len() - 1);
        buckets[i].pending += 1;
    }
    let median = match ages.len() {
        0 => None,
        n if n % 2 == 1 => Some(hours(ages[n / 2])),
        n => Some((hours(ages[n / 2 - 1]) + hours(ages[n / 2])) / 2.0),
    };
    Callbacks {
        requested_in_range,
        pending: ages.len() as u64,
        oldest_age_hours: ages.last().map(|a| hours(*a)),
        median_age_hours: median,
        age_buckets: buckets,
    }
}

fn outages(reports: &[&OutageReportRow]) -> Vec<OutageFigures> {
    let mut by_outage: BTreeMap<&str, OutageFigures> = BTreeMap::new();
    for r in reports {
        let o = by_outage
            .entry(r.outage_id.as_str())
            .or_insert_with(|| OutageFigures {
                outage_id: r.outage_id.clone(),
                area_code: r.area_code.clone(),
                service: r.service.clone(),
                status: r.outage_status.clone(),
                reports: 0,
                first_report: r.created_at,
                last_report: r.created_at,
            });
        o.reports += 1;
        o.first_report = o.first_report.min(r.created_at);
        o.last_report = o.last_report.max(r.created_at);
    }
    let mut outages: Vec<OutageFigures> = by_outage.into_values().collect();
    outages.sort_by(|a, b| {
        b.reports
            .cmp(&a.reports)
            .then(a.outage_id.cmp(&b.outage_id))
    });
    outages
}

fn satisfaction(surveys: &[&SurveyRow]) -> Satisfaction {
    let mut distribution = [0u64; 5];
    let mut groups: BTreeMap<(String, String), (u64, i64)> = BTreeMap::new();
    let mut sum = 0i64;
    for s in surveys {
        if let Some(slot) = usize::try_from(s.score - 1).ok().filter(|i| *i < 5) {
            distribution[slot] += 1;
        }
        sum += s.score;
        let g = groups
            .entry((s.channel.clone(), language(&s.language)))
            .or_default();
        g.0 += 1;
        g.1 += s.score;
    }
    let responses = surveys.len() as u64;
    Satisfaction {
        responses,
        average: (responses > 0).then(|| sum as f64 / responses as f64),
        distribution,
        per_channel_language: groups
            .into_iter()
            .map(|((channel, language), (n, sum))| SatisfactionGroup {
                channel,
                language,
                responses: n,
                average: sum as f64 / n as f64,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, d, h, 0, 0).unwrap()
    }

    fn range() -> Range {
        Range::parse("2026-11-10", "2026-11-11").unwrap()
    }

    fn session(
        day: u32,
        channel: &str,
        path: &str,
        outcome: Option<&str>,
        ended: bool,
    ) -> SessionRow {
        SessionRow {
            channel: channel.into(),
            language: Some("fr".into()),
            path: path.into(),
            outcome: outcome.map(Into::into),
            ended,
            started_at: at(day, 9),
            account_no: Some("100001".into()),
            phone: "+221700000001".into(),
        }
    }

    #[test]
    fn ranges_parse_and_refuse_bad_dates() {
        let r = range();
        assert_eq!(r.start(), at(10, 0));
        assert_eq!(r.end(), at(12, 0));
        assert_eq!(
            Range::parse("2026-11-32", "2026-12-01"),
            Err(RangeError::BadDate("2026-11-32".into()))
        );
        assert!(matches!(
            Range::parse("2026-11-02", "2026-11-01"),
            Err(RangeError::Reversed { .. })
        ));
    }

    #[test]
    fn an_empty_range_is_empty() {
        let k = compute(&ReportData::default(), range(), 7, at(20, 0));
        assert!(k.empty);
        assert_eq!(k.totals.sessions, 0);
        assert_eq!(k.totals.completion_rate, None);
        assert!(k.funnel.is_empty());
        assert_eq!(k.first_contact_resolution.rate, None);
    }

    #[test]
    fn sessions_count_per_day_channel_language_and_funnel_drop_offs() {
        let data = ReportData {
            sessions: vec![
                session(
                    10,
                    "ussd",
                    "main>bill>bill_shown",
                    Some("latest_bill:found"),
                    true,
                ),
                session(10, "ussd", "main>bill", None, false),
                session(11, "voice", "main>outage>main>outage", None, false),
                session(9, "ussd", "main", None, false), // before the range
            ],
            ..ReportData::default()
        };
        let k = compute(&data, range(), 7, at(20, 0));
        assert!(!k.empty);
        assert_eq!(k.totals.sessions, 3);
        assert_eq!(k.totals.ussd_sessions, 2);
        assert_eq!(k.totals.calls, 1);
        assert_eq!(k.totals.completed, 1);
        assert_eq!(k.totals.abandoned, 2);
        assert_eq!(k.per_day.len(), 2);
        assert_eq!(k.per_day[0].day, at(10, 0).date_naive());
        assert_eq!(k.per_day[0].sessions, 2);
        assert_eq!(k.per_day[1].channel, "voice");
        let screen = |n: &str| k.funnel.iter().find(|s| s.node == n).unwrap().clone();
        assert_eq!(k.funnel[0].node, "main");
        assert_eq!(screen("main").reached, 3, "counted once per session");
        assert_eq!(screen("bill").reached, 2);
        assert_eq!(screen("bill").dropped_here, 1);
        assert_eq!(screen("bill").drop_off_rate, 0.5);
        assert_eq!(screen("bill_shown").completed_here, 1);
        assert_eq!(screen("outage").dropped_here, 1);
        assert_eq!(screen("main").dropped_here, 0);
    }

    #[test]
    fn a_repeat_on_the_same_topic_within_the_window_is_not_first_contact_resolution() {
        let mut repeat = session(14, "ussd", "main", Some("latest_bill:found"), true);
        repeat.started_at = at(16, 8); // 6 days later, after the range: still counts
        let mut other = session(10, "ussd", "main", Some("report_outage:attached:OR1"), true);
        other.account_no = None;
        other.phone = "+221700000002".into();
        let mut late = session(10, "ussd", "main", Some("report_outage:attached:OR2"), true);
        late.account_no = None;
        late.phone = "+221700000002".into();
        late.started_at = at(17, 10); // 7 days and 1 hour later: outside the window
        let data = ReportData {
            sessions: vec![
                session(10, "ussd", "main", Some("latest_bill:found"), true),
                session(10, "ussd", "main", Some("file_complaint:filed:RC1"), true),
                repeat,
                other,
                late,
                session(10, "ussd", "main", None, false),
            ],
            ..ReportData::default()
        };
        let k = compute(&data, range(), 7, at(20, 0));
        let f = &k.first_contact_resolution;
        assert_eq!(f.contacts, 3);
        assert_eq!(f.resolved_first, 2);
        let topic = |t: &str| f.per_topic.iter().find(|x| x.topic == t).unwrap().clone();
        assert_eq!(topic("latest_bill").resolved_first, 0);
        assert_eq!(topic("report_outage").rate, Some(1.0));
        // With a window of 8 days the late repeat counts too.
        let k = compute(&data, range(), 8, at(20, 0));
        assert_eq!(k.first_contact_resolution.resolved_first, 1);
        assert_eq!(k.first_contact_resolution.window_days, 8);
    }

    #[test]
    fn sla_per_category_counts_met_breached_and_open() {
        let t = |category: &str, due: Option<u32>, resolved: Option<u32>| TicketRow {
            category: category.into(),
            status: if resolved.is_some() {
                "resolved"
            } else {
                "open"
            }
            .into(),
            created_at: at(10, 8),
            sla_due_at: due.map(|d| at(d, 8)),
            resolved_at: resolved.map(|d| at(d, 7)),
        };
        let data = ReportData {
            tickets: vec![
                t("billing", Some(12), Some(11)),
                t("billing", Some(12), Some(13)),
                t("billing", Some(11), None),
                t("billing", Some(25), None),
                t("other", None, None),
            ],
            ..ReportData::default()
        };
        let k = compute(&data, range(), 7, at(20, 0));
        assert_eq!(k.sla.len(), 2);
        let b = &k.sla[0];
        assert_eq!(
            (b.tickets, b.met, b.breached, b.open_within, b.no_sla),
            (4, 1, 2, 1, 0)
        );
        assert_eq!(b.compliance, Some(1.0 / 3.0));
        assert_eq!(k.sla[1].no_sla, 1);
        assert_eq!(k.sla[1].compliance, None);
    }

    #[test]
    fn callback_backlog_ages_at_the_range_end() {
        let c = |d: u32, h: u32, status: &str| CallbackRow {
            status: status.into(),
            created_at: at(d, h),
        };
        let data = ReportData {
            callbacks: vec![
                c(1, 0, "pending"),
                CallbackRow {
                    status: "pending".into(),
                    created_at: at(11, 23) + Duration::minutes(30), // 30 minutes old
                },
                c(11, 10, "pending"),
                c(10, 10, "done"),
                c(12, 10, "pending"), // after the range
            ],
            ..ReportData::default()
        };
        let k = compute(&data, range(), 7, at(20, 0));
        let cb = &k.callbacks;
        assert_eq!(cb.requested_in_range, 3);
        assert_eq!(cb.pending, 3);
        assert_eq!(cb.oldest_age_hours, Some(11.0 * 24.0));
        assert_eq!(cb.median_age_hours, Some(14.0));
        let pending: Vec<u64> = cb.age_buckets.iter().map(|b| b.pending).collect();
        assert_eq!(pending, vec![1, 1, 0, 1]);
        // Judged now when the range is still running.
        let k = compute(&data, range(), 7, at(11, 23));
        assert_eq!(k.callbacks.pending, 2);
    }

    #[test]
    fn outage_reports_group_per_incident_and_surveys_average() {
        let r = |id: &str, h: u32| OutageReportRow {
            outage_id: id.into(),
            area_code: "DKR-01".into(),
            service: "electricity".into(),
            outage_status: "active".into(),
            created_at: at(10, h),
        };
        let s = |score: i64, lang: &str| SurveyRow {
            channel: "ussd".into(),
            language: Some(lang.into()),
            score,
            at: at(11, 9),
        };
        let data = ReportData {
            outage_reports: vec![r("OUT-2", 9), r("OUT-1", 8), r("OUT-1", 10)],
            surveys: vec![s(5, "fr"), s(4, "fr"), s(1, "wo")],
            ..ReportData::default()
        };
        let k = compute(&data, range(), 7, at(20, 0));
        assert_eq!(k.outages[0].outage_id, "OUT-1");
        assert_eq!(k.outages[0].reports, 2);
        assert_eq!(k.outages[0].first_report, at(10, 8));
        assert_eq!(k.outages[0].last_report, at(10, 10));
        assert_eq!(k.satisfaction.responses, 3);
        assert_eq!(k.satisfaction.average, Some(10.0 / 3.0));
        assert_eq!(k.satisfaction.distribution, [1, 0, 0, 1, 1]);
        assert_eq!(k.satisfaction.per_channel_language[0].average, 4.5);
    }
}
