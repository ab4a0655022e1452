//! `dalal dial --gateway` and `dalal load --gateway` against a real `dalal serve`, as an
//! operator tries a deployment the way each aggregator will call it.

use crate::support;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use support::process::{Instance, free_port};

const FR_WATER: &str = "+221786452821"; // bill 66 860 FCFA

/// A server on a fresh SQLite file whose MTN screens go to `inbox_port`.
async fn server(dir: &Path, inbox_port: u16) -> Instance {
    let config = dir.join("dalal.toml");
    std::fs::write(
        &config,
        format!(
            "database_url = \"sqlite:{}\"\nrate_limit_per_minute = 0\n[gateways.mtn]\noutbound_url = \"http://127.0.0.1:{inbox_port}/\"\napi_key = \"k-1\"\n",
            dir.join("crm.db").display()
        ),
    )
    .unwrap();
    let instance = Instance::spawn(&[("DALAL_CONFIG", config.to_str().unwrap())]);
    instance.ready(&reqwest::Client::new()).await;
    instance
}

/// Runs `dalal` with `input` on its standard input.
fn dalal_typing(args: &[String], input: &str) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dalal"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("dalal runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn dial_speaks_each_gateway_and_shows_the_bill() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = free_port();
    let server = server(dir.path(), inbox).await;
    for gateway in dalal::gateway::ussd_gateway_names() {
        let args: Vec<String> = [
            "dial",
            FR_WATER,
            "--url",
            &server.base,
            "--gateway",
            gateway,
            "--inbox",
            &format!("127.0.0.1:{inbox}"),
        ]
        .map(String::from)
        .to_vec();
        let (ok, out, err) = tokio::task::spawn_blocking(move || dalal_typing(&args, "1\n"))
            .await
            .unwrap();
        assert!(ok, "{gateway}: {err}\n{out}");
        assert!(out.contains("Bienvenue. Choisissez:"), "{gateway}: {out}");
        assert!(out.contains("66 860 FCFA"), "{gateway}: {out}");
        assert!(out.contains("(session ended)"), "{gateway}: {out}");
    }
}

#[tokio::test]
async fn dial_names_the_gateways_when_given_an_unknown_one() {
    let args = ["dial", FR_WATER, "--gateway", "nope"]
        .map(String::from)
        .to_vec();
    let (ok, _, err) = dalal_typing(&args, "");
    assert!(!ok);
    assert!(err.contains("no USSD gateway named 'nope'"), "{err}");
    assert!(err.contains("africastalking"), "{err}");
}

#[tokio::test]
async fn load_runs_whole_sessions_over_hubtel_and_mtn() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = free_port();
    let server = server(dir.path(), inbox).await;
    for gateway in ["hubtel", "mtn"] {
        let json = dir.path().join(format!("{gateway}.json"));
        let args: Vec<String> = [
            "load",
            "--url",
            &server.base,
            "--gateway",
            gateway,
            "--inbox",
            &format!("127.0.0.1:{inbox}"),
            "--duration",
            "2",
            "--concurrency",
            "4",
            "--json",
            json.to_str().unwrap(),
        ]
        .map(String::from)
        .to_vec();
        let (ok, out, err) = tokio::task::spawn_blocking(move || dalal_typing(&args, ""))
            .await
            .unwrap();
        assert!(ok, "{gateway}: {err}\n{out}");
        let report: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
        assert_eq!(report["gateway"], gateway);
        assert!(
            report["sessions"].as_u64().unwrap() > 10,
            "{gateway}: {report}"
        );
        assert_eq!(report["errors"], 0, "{gateway}: {report}");
    }
}

#[tokio::test]
async fn load_starts_over_when_a_subscriber_is_offered_to_resume() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path(), free_port()).await;
    // FR_WATER left a session on the complaint categories (resume is on by default)...
    let client = reqwest::Client::new();
    for text in ["", "4"] {
        let (status, reply) =
            support::process::hop(&client, &server.base, "dropped-1", FR_WATER, text)
                .await
                .unwrap();
        assert_eq!(status, 200, "{reply}");
    }
    // ...and is the only subscriber of the load, one session at a time: its first session is
    // offered to continue, answers 2 (start over), and runs its scenario from the main menu.
    let dataset = dir.path().join("one-phone");
    std::fs::create_dir(&dataset).unwrap();
    std::fs::write(
        dataset.join("customers.csv"),
        format!("account_no,phone,area_code\nSNW100000,{FR_WATER},SN-DKR-PLT\n"),
    )
    .unwrap();
    let json = dir.path().join("load.json");
    let args: Vec<String> = [
        "load",
        "--url",
        &server.base,
        "--duration",
        "1",
        "--concurrency",
        "1",
        "--dataset",
        dataset.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]
    .map(String::from)
    .to_vec();
    let (ok, out, err) = tokio::task::spawn_blocking(move || dalal_typing(&args, ""))
        .await
        .unwrap();
    assert!(ok, "{err}\n{out}");
    assert!(
        out.contains("resume offers 1 (answered: start over)"),
        "{out}"
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["resume_offers"], 1, "{report}");
    assert_eq!(report["errors"], 0, "{report}");
    assert!(report["sessions"].as_u64().unwrap() > 1, "{report}");
}

#[test]
fn the_shipped_config_loads_with_every_gateway_setting_valid() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = dalal::config::Config::load(Some(&root.join("deploy/dalal.toml"))).unwrap();
    assert_eq!(
        dalal::gateway::check_settings(&config, dalal::sms::CALLBACK_NAMES),
        Vec::<String>::new()
    );
    // Every commented section names a gateway dalal has.
    let text = std::fs::read_to_string(root.join("deploy/dalal.toml")).unwrap();
    for line in text.lines().filter(|l| l.starts_with("# [gateways.")) {
        let name = &line["# [gateways.".len()..line.find(']').unwrap()];
        assert!(
            dalal::gateway::GATEWAY_NAMES.contains(&name)
                || dalal::sms::CALLBACK_NAMES.contains(&name),
            "deploy/dalal.toml documents an unknown gateway: {name}"
        );
    }
}

#[tokio::test]
async fn notify_outages_dry_run_counts_customers_and_segments_and_sends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("crm.db").display());
    let fixture = support::FIXTURE;
    let run = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_dalal"))
            .args(args)
            .env("DATABASE_URL", &url)
            .output()
            .expect("dalal runs");
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        (
            output.status.success(),
            text(&output.stdout),
            text(&output.stderr),
        )
    };
    let (ok, _, err) = run(&["import", fixture, "--database-url", &url]);
    assert!(ok, "{err}");
    let (ok, out, err) = run(&["notify", "outages", "--dry-run"]);
    assert!(ok, "{err}");
    assert!(out.contains("no planned-outage notice due"), "{out}");
    let starts = (chrono::Utc::now() + chrono::Duration::hours(2))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO outages VALUES ('OUT7002', 'SN-DKR-PLT', 'electricity', 'planned', '{starts}', NULL, 'scheduled', 'works')"
    )))
    .execute(&pool)
    .await
    .unwrap();
    let customers: i64 = sqlx::query_scalar(
        "SELECT COUNT(DISTINCT phone) FROM customers WHERE area_code = 'SN-DKR-PLT' AND service = 'electricity' AND phone IS NOT NULL",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let (ok, out, err) = run(&["notify", "outages", "--dry-run"]);
    assert!(ok, "{err}");
    // Every notice is one SMS (a test checks every text fits one), so segments = customers.
    assert_eq!(
        out.trim(),
        format!("OUT7002: {customers} customers, {customers} SMS segments"),
        "{out}"
    );
    let queued: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sms_outbox")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(queued, 0, "a dry run queues nothing");
}
