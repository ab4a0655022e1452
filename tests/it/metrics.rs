//! `GET /metrics` as Prometheus scrapes it: a known set of USSD sessions and a voice call on a
//! real server, the exposition parsed, exact counts; the listener of its own; JSON logs.

use crate::support;

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{TestServer, start, start_with};

const FR_WATER: &str = "+221786452821"; // SNW100000, fr, bill 66 860 FCFA unpaid
const FR_ACCOUNT: &str = "SNW100000";
const EN_POWER: &str = "+254729141428"; // KEE100010, en

/// One sample of the exposition: `name{label="value",...} value`.
#[derive(Debug, Clone)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// The Prometheus text format (version 0.0.4), parsed strictly: a line that is neither a
/// comment nor a well-formed sample fails the test.
struct Exposition {
    samples: Vec<Sample>,
    /// `# TYPE name kind`
    types: BTreeMap<String, String>,
}

fn parse_exposition(text: &str) -> Exposition {
    let mut samples = Vec::new();
    let mut types = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end();
        if line.is_empty() {
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            let words: Vec<&str> = comment.split_whitespace().collect();
            if words.first() == Some(&"TYPE") {
                assert_eq!(words.len(), 3, "line {}: {line}", n + 1);
                let kinds = ["counter", "gauge", "histogram", "summary", "untyped"];
                assert!(kinds.contains(&words[2]), "line {}: {line}", n + 1);
                types.insert(words[1].to_string(), words[2].to_string());
            }
            continue;
        }
        samples.push(parse_sample(line).unwrap_or_else(|e| panic!("line {}: {e}: {line}", n + 1)));
    }
    Exposition { samples, types }
}

fn parse_sample(line: &str) -> Result<Sample, String> {
    let name_end = line.find(['{', ' ']).ok_or("no value")?;
    let name = &line[..name_end];
    let valid_name = |s: &str| {
        !s.is_empty()
            && !s.starts_with(|c: char| c.is_ascii_digit())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    };
    if !valid_name(name) {
        return Err(format!("bad metric name {name:?}"));
    }
    let mut labels = BTreeMap::new();
    let mut rest = &line[name_end..];
    if let Some(inner) = rest.strip_prefix('{') {
        let mut chars = inner.char_indices().peekable();
        let end = loop {
            // label name
            let start = match chars.peek() {
                Some(&(i, '}')) => break i,
                Some(&(i, _)) => i,
                None => return Err("unclosed labels".into()),
            };
            let eq = inner[start..].find('=').ok_or("label without =")? + start;
            let label = &inner[start..eq];
            if !valid_name(label) {
                return Err(format!("bad label name {label:?}"));
            }
            while chars.peek().is_some_and(|&(i, _)| i <= eq) {
                chars.next();
            }
            if chars.next().map(|(_, c)| c) != Some('"') {
                return Err("label value not quoted".into());
            }
            let mut value = String::new();
            loop {
                match chars.next() {
                    Some((_, '\\')) => match chars.next() {
                        Some((_, 'n')) => value.push('\n'),
                        Some((_, c @ ('\\' | '"'))) => value.push(c),
                        _ => return Err("bad escape".into()),
                    },
                    Some((_, '"')) => break,
                    Some((_, c)) => value.push(c),
                    None => return Err("unclosed label value".into()),
                }
            }
            labels.insert(label.to_string(), value);
            match chars.next() {
                Some((_, ',')) => continue,
                Some((i, '}')) => break i,
                _ => return Err("expected , or }".into()),
            }
        };
        rest = &inner[end + 1..];
    }
    let mut fields = rest.split_whitespace();
    let value = fields.next().ok_or("no value")?;
    let value = match value {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        v => v.parse::<f64>().map_err(|e| format!("value {v:?}: {e}"))?,
    };
    if let Some(timestamp) = fields.next() {
        timestamp
            .parse::<i64>()
            .map_err(|e| format!("timestamp: {e}"))?;
    }
    Ok(Sample {
        name: name.to_string(),
        labels,
        value,
    })
}

impl Exposition {
    /// Samples named `name` whose labels include every pair of `want`.
    fn matching(&self, name: &str, want: &[(&str, &str)]) -> Vec<&Sample> {
        self.samples
            .iter()
            .filter(|s| s.name == name)
            .filter(|s| {
                want.iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
            })
            .collect()
    }

    /// The sum of the samples `matching`.
    fn sum(&self, name: &str, want: &[(&str, &str)]) -> f64 {
        self.matching(name, want).iter().map(|s| s.value).sum()
    }

    /// The one sample with exactly these labels.
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        let found: Vec<_> = self
            .matching(name, labels)
            .into_iter()
            .filter(|s| s.labels.len() == labels.len())
            .collect();
        assert_eq!(
            found.len(),
            1,
            "{name}{labels:?}: {} samples of {:?}",
            found.len(),
            self.matching(name, &[])
        );
        found[0].value
    }
}

async fn scrape(client: &reqwest::Client, base: &str) -> (String, Exposition) {
    let response = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("scrape");
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    let body = response.text().await.unwrap();
    let parsed = parse_exposition(&body);
    (body, parsed)
}

/// A voice call over Africa's Talking: the menu, the bill, the survey if asked, the hang-up.
/// Returns the number of turns (hops) it took.
async fn voice_call(server: &TestServer, session: &str, phone: &str) -> usize {
    let post = |pairs: Vec<(&'static str, String)>| {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        async move { server.post("/voice/africastalking", body).await }
    };
    let turn = |digits: Option<&str>| {
        let mut pairs = vec![
            ("isActive", "1".to_string()),
            ("sessionId", session.to_string()),
            ("direction", "Inbound".to_string()),
            ("callerNumber", phone.to_string()),
            ("destinationNumber", "+221338000000".to_string()),
        ];
        if let Some(d) = digits {
            pairs.push(("dtmfDigits", d.to_string()));
        }
        post(pairs)
    };
    let mut turns = 0;
    let (status, menu) = turn(None).await;
    turns += 1;
    assert_eq!(status, 200, "{menu}");
    assert!(menu.contains("<GetDigits"), "{menu}");
    let (status, bill) = turn(Some("1")).await;
    turns += 1;
    assert_eq!(status, 200, "{bill}");
    if bill.contains("<GetDigits") {
        // The survey after a completed call: a score ends it.
        let (status, thanks) = turn(Some("4")).await;
        turns += 1;
        assert_eq!(status, 200, "{thanks}");
        assert!(!thanks.contains("<GetDigits"), "{thanks}");
    }
    let (status, _) = post(vec![
        ("isActive", "0".to_string()),
        ("sessionId", session.to_string()),
        ("direction", "Inbound".to_string()),
        ("callerNumber", phone.to_string()),
        ("destinationNumber", "+221338000000".to_string()),
        ("durationInSeconds", "31".to_string()),
        ("hangupCause", "NORMAL_CLEARING".to_string()),
    ])
    .await;
    assert_eq!(status, 200);
    turns
}

#[tokio::test]
async fn a_scrape_counts_the_hops_and_sessions_of_known_traffic_and_names_no_caller() {
    let server = start().await;
    // Three bill checks: the menu (CON), then the bill (END).
    let mut sessions = Vec::new();
    for _ in 0..3 {
        let mut call = server.call(FR_WATER);
        assert!(call.dial().await.starts_with("CON "));
        assert!(call.press("1").await.starts_with("END "));
        sessions.push(call.session.clone());
    }
    // One session left on its menu, then closed by the gateway's notification: dropped.
    let mut left = server.call(EN_POWER);
    assert!(left.dial().await.starts_with("CON "));
    let end = format!(
        "sessionId={}&serviceCode=%2A123%23&networkCode=63902&phoneNumber=%2B254729141428&status=Incomplete&durationInMillis=4000&hopsCount=1&input=&lastAppResponse=&errorMessage=&cost=&date=2026-11-30",
        left.session
    );
    let (status, _) = server.post("/ussd/africastalking/events", end).await;
    assert_eq!(status, 200);
    sessions.push(left.session.clone());
    // An input for a session that does not exist: expired.
    let (status, body) = server.ussd("no-such-session", FR_WATER, "1*2").await;
    assert_eq!(status, 200);
    assert!(body.starts_with("END "), "{body}");
    // A request missing its fields: refused with 400, never run.
    let (status, _) = server.post("/ussd/africastalking", "sessionId=x").await;
    assert_eq!(status, 400);
    // A voice call.
    let voice_turns = voice_call(&server, "VOICEmetrics1", FR_WATER).await;

    let (body, m) = scrape(&server.client, &server.base).await;
    let hops = "dalal_hops_total";
    let ussd_fr = |outcome| {
        [
            ("gateway", "africastalking"),
            ("channel", "ussd"),
            ("language", "fr"),
            ("outcome", outcome),
        ]
    };
    assert_eq!(m.value(hops, &ussd_fr("continue")), 3.0, "{body}");
    assert_eq!(m.value(hops, &ussd_fr("end")), 3.0, "{body}");
    assert_eq!(m.value(hops, &ussd_fr("expired")), 1.0, "{body}");
    // The session left on its menu: one hop, in its caller's language.
    let en_continue = m.sum(hops, &[("channel", "ussd"), ("language", "en")]);
    assert_eq!(en_continue, 1.0, "{body}");
    assert_eq!(m.sum(hops, &[("channel", "ussd")]), 8.0, "{body}");
    let voice = [("gateway", "africastalking_voice"), ("channel", "voice")];
    assert_eq!(m.sum(hops, &voice), voice_turns as f64, "{body}");
    assert_eq!(
        m.sum(hops, &[("channel", "voice"), ("outcome", "end")]),
        1.0,
        "{body}"
    );

    let closed = "dalal_sessions_total";
    let ussd_completed = [
        ("channel", "ussd"),
        ("end", "completed"),
        ("language", "fr"),
    ];
    assert_eq!(m.sum(closed, &ussd_completed), 3.0, "{body}");
    let ussd_dropped = [("channel", "ussd"), ("end", "dropped"), ("language", "en")];
    assert_eq!(m.sum(closed, &ussd_dropped), 1.0, "{body}");
    let voice_completed = [("channel", "voice"), ("end", "completed")];
    assert_eq!(m.sum(closed, &voice_completed), 1.0, "{body}");
    assert_eq!(m.sum(closed, &[]), 5.0, "{body}");
    assert_eq!(m.value("dalal_sessions_live", &[]), 0.0, "{body}");
    assert_eq!(m.types["dalal_hops_total"], "counter");
    assert_eq!(m.types["dalal_sessions_live"], "gauge");

    // The refused request, by gateway and status.
    let refused = [("gateway", "africastalking"), ("status", "400")];
    assert_eq!(
        m.value("dalal_requests_rejected_total", &refused),
        1.0,
        "{body}"
    );

    // The latency histogram: every USSD hop that ran (not the refused request, nor the end
    // notification), in cumulative buckets up to +Inf.
    assert_eq!(m.types["dalal_hop_duration_seconds"], "histogram");
    let ussd_at = [("gateway", "africastalking"), ("channel", "ussd")];
    let buckets = m.matching("dalal_hop_duration_seconds_bucket", &ussd_at);
    let bounds: Vec<&str> = buckets.iter().map(|s| s.labels["le"].as_str()).collect();
    for le in ["0.005", "0.1", "1", "10", "+Inf"] {
        assert!(bounds.contains(&le), "bucket le={le} missing: {bounds:?}");
    }
    let counts: Vec<f64> = buckets.iter().map(|s| s.value).collect();
    assert!(counts.windows(2).all(|w| w[0] <= w[1]), "{counts:?}");
    let ussd_count = m.value("dalal_hop_duration_seconds_count", &ussd_at);
    assert_eq!(ussd_count, 8.0, "{body}");
    assert_eq!(*counts.last().unwrap(), 8.0, "+Inf holds every hop");
    let ussd_sum = m.value("dalal_hop_duration_seconds_sum", &ussd_at);
    assert!(ussd_sum > 0.0 && ussd_sum < 8.0 * 10.0, "{ussd_sum}");
    let voice_count = m.value("dalal_hop_duration_seconds_count", &voice);
    assert_eq!(voice_count, voice_turns as f64);

    // The SMS outbox by state, every state shown.
    for state in ["queued", "sending", "delivered", "failed", "suppressed"] {
        assert_eq!(
            m.matching("dalal_sms_outbox", &[("state", state)]).len(),
            1,
            "{state}: {body}"
        );
    }

    // No caller in the page: no phone number (in any form), account or session id.
    for needle in [
        FR_WATER,
        &FR_WATER[1..],
        &FR_WATER[4..],
        EN_POWER,
        &EN_POWER[4..],
        FR_ACCOUNT,
        "KEE100010",
        "VOICEmetrics1",
        "no-such-session",
    ] {
        assert!(!body.contains(needle), "{needle} in /metrics:\n{body}");
    }
    for session in &sessions {
        assert!(!body.contains(session.as_str()), "{session} in /metrics");
    }
    // Every label value is an identifier, a language, a number or a bucket bound.
    for sample in &m.samples {
        for (label, value) in &sample.labels {
            let plain = value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_:.-+".contains(c));
            assert!(plain && value.len() <= 40, "{label}={value:?}");
            let digits = value.chars().filter(char::is_ascii_digit).count();
            assert!(
                label == "le" || digits < 6,
                "{label}={value:?} looks like a caller's number"
            );
        }
    }
}

#[tokio::test]
async fn metrics_on_a_listener_of_their_own_and_rate_limited_hops_counted() {
    let port = support::process::free_port();
    let address = format!("127.0.0.1:{port}");
    let server = start_with(|c| {
        c.metrics_listen = Some(address.clone());
        c.rate_limit_per_minute = 2;
    })
    .await;
    // Not on the public listener.
    let public = server
        .client
        .get(format!("{}/metrics", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(public.status(), 404);
    // Two hops allowed, the third refused by the rate limit (answered with a polite END).
    let mut call = server.call(FR_WATER);
    call.dial().await;
    call.press("1").await;
    let (status, body) = server.ussd("rate-limited", FR_WATER, "").await;
    assert_eq!(status, 200);
    assert!(body.starts_with("END "), "{body}");

    let base = format!("http://{address}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while server
        .client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .is_err()
    {
        assert!(
            Instant::now() < deadline,
            "no metrics listener on {address}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (body, m) = scrape(&server.client, &base).await;
    let limited = [("gateway", "africastalking"), ("status", "429")];
    assert_eq!(
        m.value("dalal_requests_rejected_total", &limited),
        1.0,
        "{body}"
    );
    let rate_limited = [("channel", "ussd"), ("outcome", "rate_limited")];
    assert_eq!(m.sum("dalal_hops_total", &rate_limited), 1.0, "{body}");
    assert_eq!(m.sum("dalal_hops_total", &[]), 3.0, "{body}");
    // Only /metrics there.
    let other = server
        .client
        .get(format!("{base}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 404);
}

#[test]
fn log_format_json_writes_one_json_object_a_line_with_phones_masked() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("dalal.log");
    let port = support::process::free_port();
    let database = format!("sqlite:{}", dir.path().join("crm.db").display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_dalal"))
        .args(["--log-format", "json", "serve", "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .args(["--database-url", &database])
        .env_remove("DATABASE_URL")
        .env_remove("REDIS_URL")
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::from(std::fs::File::create(&log).unwrap()))
        .spawn()
        .expect("dalal runs");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let result = runtime.block_on(async {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        while client.get(format!("{base}/healthz")).send().await.is_err() {
            if Instant::now() > deadline {
                return Err("server did not start".to_string());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        for text in ["", "1"] {
            let body = format!(
                "sessionId=JSONLOG1&serviceCode=%2A123%23&phoneNumber=%2B221786452821&networkCode=63902&text={text}"
            );
            let response = client
                .post(format!("{base}/ussd/africastalking"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .map_err(|e| e.to_string())?;
            if response.status() != 200 {
                return Err(format!("hop answered {}", response.status()));
            }
        }
        // The session's line is written when its record is.
        tokio::time::sleep(Duration::from_millis(500)).await;
        Ok(())
    });
    child.kill().ok();
    child.wait().ok();
    let text = std::fs::read_to_string(&log).unwrap();
    result.unwrap_or_else(|e| panic!("{e}\n{text}"));
    let lines: Vec<serde_json::Value> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(lines.len() >= 2, "{text}");
    for line in &lines {
        assert!(line["level"].is_string(), "{line}");
        assert!(line["timestamp"].is_string(), "{line}");
        assert!(line["fields"]["message"].is_string(), "{line}");
    }
    let listening = lines
        .iter()
        .find(|l| {
            l["fields"]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("dalal listening"))
        })
        .unwrap_or_else(|| panic!("no listening line: {text}"));
    assert_eq!(
        listening["fields"]["address"],
        format!("127.0.0.1:{port}"),
        "{listening}"
    );
    let recorded = lines
        .iter()
        .find(|l| l["fields"]["message"] == "session recorded")
        .unwrap_or_else(|| panic!("no session line: {text}"));
    let phone = recorded["fields"]["phone"].as_str().unwrap();
    assert!(!phone.is_empty() && phone != FR_WATER, "{recorded}");
    assert!(
        !text.contains("786452821"),
        "a full phone number in the log:\n{text}"
    );
}
