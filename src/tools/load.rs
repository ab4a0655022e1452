//! `dalal load`: virtual subscribers running whole USSD sessions against a server over a real
//! aggregator's protocol (Africa's Talking unless `--gateway` names another), checking every
//! screen, and measuring per-hop latency (for an asynchronous gateway, until the screen is
//! pushed). A subscriber offered to resume a session it left (an earlier session broken off by
//! an error, or the same phone still in another worker's session) answers `2`, start over: a
//! real hop, counted and timed like the others, and the scenario runs from the main menu.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use hdrhistogram::Histogram;
use serde::Serialize;
use tokio::sync::Mutex;

use super::aggregator::{Aggregator, HopError};
use crate::config::Config;
use crate::gateway::simulate::{Screen, SimHop};
use crate::text::gsm7::PageBudget;

/// One caller the load tool can impersonate.
#[derive(Debug, Clone)]
pub struct Subscriber {
    pub phone: String,
    pub area_code: String,
}

/// What kind of traffic to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mix {
    /// Bill checks, outage reports, complaint follow-ups and filings, in mixed languages.
    Normal,
    /// Mostly outage reports from a few areas, as when a feeder trips.
    Storm,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum Scenario {
    Bill,
    ReportOutage,
    FollowComplaint,
    FileComplaint,
}

impl Scenario {
    fn pick(mix: Mix, roll: u64) -> Scenario {
        let percent = roll % 100;
        match mix {
            Mix::Normal => match percent {
                0..40 => Scenario::Bill,
                40..60 => Scenario::ReportOutage,
                60..80 => Scenario::FollowComplaint,
                _ => Scenario::FileComplaint,
            },
            Mix::Storm => match percent {
                0..85 => Scenario::ReportOutage,
                85..95 => Scenario::Bill,
                _ => Scenario::FollowComplaint,
            },
        }
    }
}

pub struct Options {
    /// The server's base URL.
    pub url: String,
    /// The aggregator whose protocol the subscribers speak.
    pub gateway: String,
    /// Where an asynchronous gateway's screens are received.
    pub inbox: std::net::SocketAddr,
    pub concurrency: usize,
    pub duration: Duration,
    pub mix: Mix,
    /// Areas the storm mix concentrates on.
    pub storm_areas: usize,
    pub subscribers: Vec<Subscriber>,
    /// The resume offer as callers see it, in every language (`Catalog::texts_of`).
    pub resume_offers: Vec<String>,
}

/// The figures of one run.
#[derive(Debug, Serialize)]
pub struct Report {
    pub url: String,
    pub gateway: String,
    pub mix: Mix,
    pub concurrency: usize,
    pub seconds: f64,
    pub sessions: u64,
    pub hops: u64,
    pub sessions_per_second: f64,
    pub hops_per_second: f64,
    pub errors: u64,
    pub error_kinds: BTreeMap<String, u64>,
    /// Sessions that were offered to resume a dropped one (and started over).
    pub resume_offers: u64,
    pub latency_ms: Latency,
}

#[derive(Debug, Serialize)]
pub struct Latency {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "target        {} ({})", self.url, self.gateway)?;
        writeln!(
            f,
            "mix           {:?}, concurrency {}",
            self.mix, self.concurrency
        )?;
        writeln!(f, "duration      {:.1} s", self.seconds)?;
        writeln!(
            f,
            "sessions      {} ({:.0}/s)",
            self.sessions, self.sessions_per_second
        )?;
        writeln!(
            f,
            "hops          {} ({:.0}/s)",
            self.hops, self.hops_per_second
        )?;
        writeln!(f, "errors        {}", self.errors)?;
        if self.resume_offers > 0 {
            writeln!(
                f,
                "resume offers {} (answered: start over)",
                self.resume_offers
            )?;
        }
        for (kind, n) in &self.error_kinds {
            writeln!(f, "  {kind:<24}{n}")?;
        }
        write!(
            f,
            "hop latency   p50 {:.2} ms  p90 {:.2} ms  p99 {:.2} ms  max {:.2} ms",
            self.latency_ms.p50, self.latency_ms.p90, self.latency_ms.p99, self.latency_ms.max
        )
    }
}

/// Phones of `customers.csv` in a dataset folder (only the columns the load tool needs, so a
/// million-customer file loads quickly).
pub fn subscribers_from(dir: &Path) -> anyhow::Result<Vec<Subscriber>> {
    let path = dir.join("customers.csv");
    let mut reader =
        csv::Reader::from_path(&path).with_context(|| format!("{}", path.display()))?;
    let headers = reader.headers()?.clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .with_context(|| format!("{}: no column {name}", path.display()))
    };
    let (phone, area) = (column("phone")?, column("area_code")?);
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record?;
        out.push(Subscriber {
            phone: record[phone].to_string(),
            area_code: record[area].to_string(),
        });
    }
    Ok(out)
}

/// The embedded demo dataset's phones.
pub fn demo_subscribers() -> Vec<Subscriber> {
    crate::import::read_embedded_demo()
        .customers
        .into_iter()
        .filter_map(|c| {
            Some(Subscriber {
                phone: c.phone?,
                area_code: c.area_code,
            })
        })
        .collect()
}

/// Refuses targets off this machine unless explicitly allowed: a load test must not hit a
/// server by accident.
pub fn check_target(url: &str, allow_remote: bool) -> anyhow::Result<()> {
    let parsed = reqwest::Url::parse(url).with_context(|| format!("{url} is not a URL"))?;
    let loopback = match parsed.host() {
        Some(url::Host::Domain(name)) => name == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if loopback || allow_remote {
        Ok(())
    } else {
        anyhow::bail!("{url} is not a loopback address; pass --allow-remote to load it anyway")
    }
}

struct Shared {
    hops: AtomicU64,
    sessions: AtomicU64,
    resume_offers: AtomicU64,
    errors: Mutex<BTreeMap<String, u64>>,
    latency: Mutex<Histogram<u64>>,
}

impl Shared {
    async fn error(&self, kind: &str) {
        *self
            .errors
            .lock()
            .await
            .entry(kind.to_string())
            .or_default() += 1;
    }
}

/// A tiny deterministic generator per virtual subscriber (no shared RNG, no contention).
struct Dice(u64);

impl Dice {
    fn roll(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

/// Checks a screen is a well-formed page; returns whether it ends the session.
fn judge(screen: &Screen, error_texts: &[String]) -> Result<bool, &'static str> {
    if !PageBudget::USSD.fits(&screen.text) {
        return Err("page_over_budget");
    }
    if error_texts
        .iter()
        .any(|e| screen.text.starts_with(e.as_str()))
    {
        return Err("error_screen");
    }
    Ok(screen.end)
}

/// Whether a screen is the resume offer (as written, or spelt in GSM-7 by a server that
/// transliterates).
fn is_resume_offer(screen: &str, options: &Options) -> bool {
    options
        .resume_offers
        .iter()
        .any(|offer| screen == offer || screen == crate::text::gsm7::transliterate(offer))
}

/// The inputs of a scenario after the main menu, given what the screens say.
fn next_input(scenario: Scenario, step: usize, screen: &str, dice: &mut Dice) -> Option<String> {
    let input = match (scenario, step) {
        (Scenario::Bill, 0) => "1".to_string(),
        // A prepaid meter: its last tokens instead of a bill (a read, like a bill), read to
        // the last page.
        (Scenario::Bill, 1) => "1".to_string(),
        (Scenario::Bill, _) if screen.contains("\n98. ") => "98".to_string(),
        (Scenario::ReportOutage, 0) => "2".to_string(),
        (Scenario::ReportOutage, 1) => "1".to_string(),
        (Scenario::FollowComplaint, 0) => "3".to_string(),
        // A list of open tickets comes first for callers who have some.
        (Scenario::FollowComplaint, 1) if screen.lines().any(|l| l.starts_with("RC")) => "1".into(),
        (Scenario::FollowComplaint, 1 | 2) => format!("2611{:05}", 1 + dice.roll() % 60),
        (Scenario::FileComplaint, 0) => "4".to_string(),
        // Category 3 (a new connection) is a request of its own, with more screens.
        (Scenario::FileComplaint, 1) => {
            ["1", "2", "4", "5", "6"][(dice.roll() % 5) as usize].into()
        }
        (Scenario::FileComplaint, 2) => "1".to_string(),
        _ => return None,
    };
    Some(input)
}

async fn subscriber_loop(
    worker: usize,
    aggregator: Arc<Aggregator>,
    options: Arc<Options>,
    callers: Arc<Vec<Subscriber>>,
    error_texts: Arc<Vec<String>>,
    shared: Arc<Shared>,
    deadline: Instant,
) {
    let mut dice = Dice(0x9E37_79B9_7F4A_7C15 ^ (worker as u64 + 1));
    let mut n = 0u64;
    while Instant::now() < deadline {
        n += 1;
        let session = format!("load-{}-{worker}-{n}", std::process::id());
        let caller = &callers[(dice.roll() as usize) % callers.len()];
        let scenario = Scenario::pick(options.mix, dice.roll());
        let mut inputs: Vec<String> = Vec::new();
        let mut step = 0;
        let mut warmup = 0;
        let mut offered = false;
        loop {
            let hop = SimHop {
                session_id: &session,
                phone: &caller.phone,
                service_code: "*123#",
                inputs: &inputs,
            };
            let answer = match aggregator.hop(&hop).await {
                Ok(answer) => answer,
                Err(error) => {
                    shared.error(&error_kind(&error)).await;
                    break;
                }
            };
            shared.hops.fetch_add(1, Ordering::Relaxed);
            let micros = answer.elapsed.as_micros() as u64;
            shared.latency.lock().await.saturating_record(micros.max(1));
            let ended = match judge(&answer.screen, &error_texts) {
                Ok(ended) => ended,
                Err(kind) => {
                    shared.error(kind).await;
                    break;
                }
            };
            if ended {
                if step == 0 {
                    shared.error("ended_before_main_menu").await;
                } else {
                    shared.sessions.fetch_add(1, Ordering::Relaxed);
                }
                break;
            }
            // The phone's last session was left mid-way: start over (once per session).
            if step == 0 && warmup == 0 && is_resume_offer(&answer.screen.text, &options) {
                if offered {
                    shared.error("resume_offered_twice").await;
                    break;
                }
                offered = true;
                shared.resume_offers.fetch_add(1, Ordering::Relaxed);
                inputs.push("2".to_string());
                continue;
            }
            // Before the main menu: a language to choose, or one of several accounts (the main
            // menu's first page has more choices than either).
            if !answer.screen.text.contains("\n6. ") && step == 0 {
                warmup += 1;
                if warmup > 3 {
                    shared.error("never_reached_main_menu").await;
                    break;
                }
                inputs.push((1 + dice.roll() % 2).to_string());
                continue;
            }
            match next_input(scenario, step, &answer.screen.text, &mut dice) {
                Some(input) => inputs.push(input),
                None => {
                    shared.error("session_did_not_end").await;
                    break;
                }
            }
            step += 1;
        }
    }
}

/// A hop's failure as the report counts it.
fn error_kind(error: &HopError) -> String {
    match error {
        HopError::Unreadable(_) => "unreadable_screen".into(),
        other => other.to_string(),
    }
}

/// Runs the load and returns its figures.
pub async fn run(
    config: &Config,
    options: Options,
    error_texts: Vec<String>,
) -> anyhow::Result<Report> {
    anyhow::ensure!(
        !options.subscribers.is_empty(),
        "no subscribers to dial from"
    );
    let callers = match options.mix {
        Mix::Normal => options.subscribers.clone(),
        Mix::Storm => storm_callers(&options.subscribers, options.storm_areas),
    };
    let aggregator = Aggregator::new(
        &options.gateway,
        config,
        &options.url,
        options.inbox,
        options.concurrency,
    )
    .await?;
    if let Some(url) = aggregator.inbox_url() {
        eprintln!(
            "screens of {} are pushed: the server's [gateways.{}] outbound_url must be {url}",
            options.gateway, options.gateway
        );
    }
    let aggregator = Arc::new(aggregator);
    let shared = Arc::new(Shared {
        hops: AtomicU64::new(0),
        sessions: AtomicU64::new(0),
        resume_offers: AtomicU64::new(0),
        errors: Mutex::new(BTreeMap::new()),
        latency: Mutex::new(Histogram::new_with_bounds(1, 60_000_000, 3)?),
    });
    let options = Arc::new(options);
    let callers = Arc::new(callers);
    let error_texts = Arc::new(error_texts);
    let started = Instant::now();
    let deadline = started + options.duration;
    let workers: Vec<_> = (0..options.concurrency)
        .map(|worker| {
            tokio::spawn(subscriber_loop(
                worker,
                aggregator.clone(),
                options.clone(),
                callers.clone(),
                error_texts.clone(),
                shared.clone(),
                deadline,
            ))
        })
        .collect();
    for worker in workers {
        worker.await?;
    }
    let seconds = started.elapsed().as_secs_f64();
    let histogram = shared.latency.lock().await;
    let ms = |q: f64| histogram.value_at_quantile(q) as f64 / 1000.0;
    let error_kinds = shared.errors.lock().await.clone();
    let hops = shared.hops.load(Ordering::Relaxed);
    let sessions = shared.sessions.load(Ordering::Relaxed);
    Ok(Report {
        url: options.url.clone(),
        gateway: options.gateway.clone(),
        mix: options.mix,
        concurrency: options.concurrency,
        seconds,
        sessions,
        hops,
        sessions_per_second: sessions as f64 / seconds,
        hops_per_second: hops as f64 / seconds,
        errors: error_kinds.values().sum(),
        error_kinds,
        resume_offers: shared.resume_offers.load(Ordering::Relaxed),
        latency_ms: Latency {
            p50: ms(0.50),
            p90: ms(0.90),
            p99: ms(0.99),
            max: histogram.max() as f64 / 1000.0,
        },
    })
}

/// The callers of the `areas` most populated areas.
fn storm_callers(all: &[Subscriber], areas: usize) -> Vec<Subscriber> {
    let mut sizes: BTreeMap<&str, usize> = BTreeMap::new();
    for s in all {
        *sizes.entry(&s.area_code).or_default() += 1;
    }
    let mut ranked: Vec<(&str, usize)> = sizes.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let chosen: Vec<&str> = ranked.iter().take(areas.max(1)).map(|(a, _)| *a).collect();
    all.iter()
        .filter(|s| chosen.contains(&s.area_code.as_str()))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_unless_allowed() {
        assert!(check_target("http://127.0.0.1:8080", false).is_ok());
        assert!(check_target("http://localhost:8080/x", false).is_ok());
        assert!(check_target("http://[::1]:8080", false).is_ok());
        assert!(check_target("http://10.0.0.5:8080", false).is_err());
        assert!(check_target("http://example.org", false).is_err());
        assert!(check_target("http://example.org", true).is_ok());
    }

    #[test]
    fn replies_are_judged() {
        let errors = vec!["Service indisponible".to_string()];
        let screen = |text: &str, end| Screen {
            text: text.into(),
            end,
        };
        assert_eq!(judge(&screen("Menu\n1. x", false), &errors), Ok(false));
        assert_eq!(judge(&screen("Bye", true), &errors), Ok(true));
        assert_eq!(
            judge(&screen(&"a".repeat(200), false), &errors),
            Err("page_over_budget")
        );
        assert_eq!(
            judge(&screen("Service indisponible. Merci", true), &errors),
            Err("error_screen")
        );
    }

    #[test]
    fn storm_callers_come_from_the_biggest_areas() {
        let subs: Vec<Subscriber> = [
            ("1", "A"),
            ("2", "A"),
            ("3", "B"),
            ("4", "A"),
            ("5", "C"),
            ("6", "B"),
        ]
        .iter()
        .map(|(p, a)| Subscriber {
            phone: p.to_string(),
            area_code: a.to_string(),
        })
        .collect();
        let chosen = storm_callers(&subs, 2);
        assert_eq!(chosen.len(), 5);
        assert!(chosen.iter().all(|s| s.area_code != "C"));
    }
}
