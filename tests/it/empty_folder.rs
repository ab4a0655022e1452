//! A `dalal serve` started away from the repository (an empty current folder: no `menus/`, no
//! `locales/`) runs on the menus and translations built into the binary, and says exactly what
//! it says from the repository root: the main menu, a bill, the offer to resume a dropped
//! session and the SMS confirming a complaint, in every shipped language, with no raw message
//! id on any screen or SMS.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::process::{free_port, hop, reference_in};
use axum::body::Bytes;

const REPOSITORY: &str = env!("CARGO_MANIFEST_DIR");

/// A loopback server playing Africa's Talking's SMS API: keeps each message it is given, as
/// (to, text).
#[derive(Clone, Default)]
struct SmsApi {
    sent: Arc<Mutex<Vec<(String, String)>>>,
}

impl SmsApi {
    async fn start() -> (SmsApi, String) {
        let api = SmsApi::default();
        let recorded = api.clone();
        let app = axum::Router::new().route(
            "/version1/messaging",
            axum::routing::post(move |body: Bytes| {
                let recorded = recorded.clone();
                async move {
                    let form: Vec<(String, String)> =
                        url::form_urlencoded::parse(&body).into_owned().collect();
                    let field = |name: &str| {
                        form.iter()
                            .find(|(k, _)| k == name)
                            .map(|(_, v)| v.clone())
                            .unwrap_or_default()
                    };
                    let (to, text) = (field("to"), field("message"));
                    let mut sent = recorded.sent.lock().unwrap();
                    sent.push((to.clone(), text));
                    let id = format!("ATPid_{}", sent.len());
                    (
                        axum::http::StatusCode::CREATED,
                        axum::Json(serde_json::json!({"SMSMessageData": {
                            "Message": "Sent to 1/1 Total Cost: KES 0.8000",
                            "Recipients": [{"statusCode": 101, "number": to, "status": "Success",
                                            "cost": "KES 0.8000", "messageId": id}]}})),
                    )
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "http://{}/version1/messaging",
            listener.local_addr().unwrap()
        );
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (api, url)
    }

    /// The first message to `phone` containing `text`, waited for at most 15 s; else a line
    /// saying none came (compared like a message, so the screens are compared too).
    async fn message_to(&self, phone: &str, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let found = self
                .sent
                .lock()
                .unwrap()
                .iter()
                .find(|(to, message)| to == phone && message.contains(text))
                .map(|(_, message)| message.clone());
            if let Some(message) = found {
                return message;
            }
            if Instant::now() > deadline {
                return format!("(no SMS to {phone} containing {text})");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// `dalal serve` run in `folder`, on a database and a configuration of its own (kept in a
/// temporary folder elsewhere, so that `folder` stays as it is).
struct Serve {
    child: Child,
    base: String,
    log: PathBuf,
    _files: tempfile::TempDir,
}

impl Serve {
    fn start(folder: &Path, sms_api_url: &str) -> Serve {
        let files = tempfile::tempdir().unwrap();
        // Sent at once, at any hour; no survey (only the complaint's confirmation is read).
        let config = format!(
            "[sms]\ngateway = \"africastalking\"\nafricastalking_username = \"sandbox\"\n\
             africastalking_url = \"{sms_api_url}\"\npoll_secs = 0.1\nschedule_secs = 0.1\n\
             quiet_start_hour = 0\nquiet_end_hour = 0\nsurvey_outcomes = []\n"
        );
        let config_path = files.path().join("dalal.toml");
        std::fs::write(&config_path, config).unwrap();
        let database = format!("sqlite:{}", files.path().join("crm.db").display());
        let log = files.path().join("serve.log");
        let output = || Stdio::from(std::fs::File::create(&log).unwrap());
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_dalal"))
            .arg("serve")
            .current_dir(folder)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DALAL_CONFIG", &config_path)
            .env("DATABASE_URL", &database)
            .env("DALAL_LISTEN", format!("127.0.0.1:{port}"))
            .env("DALAL_AFRICASTALKING_API_KEY", "at-key")
            .env("DALAL_RECORDINGS_DIR", files.path().join("recordings"))
            .stdout(output())
            .stderr(output())
            .spawn()
            .unwrap();
        Serve {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
            _files: files,
        }
    }

    async fn ready(&mut self, client: &reqwest::Client) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = client
                .get(format!("{}/readyz", self.base))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ready {
                return;
            }
            let exited = self.child.try_wait().unwrap();
            if exited.is_some() || Instant::now() > deadline {
                panic!(
                    "dalal serve not ready ({exited:?}):\n{}",
                    std::fs::read_to_string(&self.log).unwrap_or_default()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

/// The shipped languages: the folders of `locales/`.
fn shipped_languages() -> Vec<String> {
    let mut languages: Vec<String> = std::fs::read_dir(Path::new(REPOSITORY).join("locales"))
        .unwrap()
        .flatten()
        .filter(|entry| entry.path().is_dir())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| !name.starts_with('.'))
        .collect();
    languages.sort();
    languages
}

/// A demo customer speaking `lang`, alone on their phone (no choice of account to make).
fn demo_phone(lang: &str) -> String {
    let customers =
        std::fs::read_to_string(Path::new(REPOSITORY).join("demo/customers.csv")).unwrap();
    let rows: Vec<Vec<&str>> = customers
        .lines()
        .skip(1)
        .map(|line| line.split(',').collect())
        .collect();
    // account_no,full_name,phone,alt_phone,language,...
    let phones_of = |phone: &str| {
        rows.iter()
            .filter(|r| r[2] == phone || r[3] == phone)
            .count()
    };
    rows.iter()
        .find(|r| r[4] == lang && phones_of(r[2]) == 1)
        .map(|r| r[2].to_string())
        .unwrap_or_else(|| panic!("demo/customers.csv has no customer speaking {lang}"))
}

/// Every message id of `locales/en/` written in kebab case (`resume-offer`): what a screen
/// shows when a translation is missing.
fn message_ids() -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for entry in std::fs::read_dir(Path::new(REPOSITORY).join("locales/en")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|x| x != "ftl") {
            continue;
        }
        for line in std::fs::read_to_string(&path).unwrap().lines() {
            let Some((id, _)) = line.split_once(" =") else {
                continue;
            };
            let kebab = id.contains('-')
                && id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if kebab {
                ids.insert(id.to_string());
            }
        }
    }
    assert!(ids.contains("resume-offer"), "{ids:?}");
    ids
}

/// The message ids `text` shows as words.
fn raw_ids_in(text: &str, ids: &BTreeSet<String>) -> Vec<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .filter(|word| ids.contains(*word))
        .map(str::to_string)
        .collect()
}

/// What one caller sees and gets: every screen and the SMS, labelled.
async fn walk(
    client: &reqwest::Client,
    serve: &Serve,
    api: &SmsApi,
    lang: &str,
) -> Vec<(String, String)> {
    let phone = demo_phone(lang);
    let mut seen = Vec::new();
    let screen = |label: String, session: &str, text: &str| {
        let (client, base, phone) = (client.clone(), serve.base.clone(), phone.clone());
        let session = format!("{lang}-{session}");
        let text = text.to_string();
        async move {
            let (status, reply) = hop(&client, &base, &session, &phone, &text).await.unwrap();
            assert_eq!(status, 200, "{label}: {reply}");
            (label, reply)
        }
    };
    // The main menu, then a bill.
    seen.push(screen(format!("{lang} main menu"), "bill", "").await);
    seen.push(screen(format!("{lang} bill"), "bill", "1").await);
    // Into the complaints, dropped there; dialled again: the offer to resume, taken.
    seen.push(screen(format!("{lang} main menu again"), "dropped", "").await);
    seen.push(screen(format!("{lang} complaints"), "dropped", "4").await);
    seen.push(screen(format!("{lang} resume offer"), "again", "").await);
    seen.push(screen(format!("{lang} resumed"), "again", "1").await);
    let category = screen(format!("{lang} category"), "again", "1*2").await;
    let filed = if category.1.starts_with("END") {
        category.clone()
    } else {
        screen(format!("{lang} filed"), "again", "1*2*1").await
    };
    seen.push(category);
    seen.push(filed.clone());
    // The complaint's confirmation, rendered from the outbox.
    let reference = reference_in(&filed.1).unwrap_or_else(|| panic!("{lang}: {filed:?}"));
    let sms = api.message_to(&phone, &reference).await;
    seen.push((format!("{lang} SMS"), sms));
    seen
}

/// Everything a `dalal serve` run in `folder` says to a caller of each shipped language.
async fn everything_said(folder: &Path) -> Vec<(String, String)> {
    let (api, url) = SmsApi::start().await;
    let mut serve = Serve::start(folder, &url);
    let client = reqwest::Client::new();
    serve.ready(&client).await;
    let mut said = Vec::new();
    for lang in shipped_languages() {
        said.extend(walk(&client, &serve, &api, &lang).await);
    }
    said
}

#[tokio::test]
async fn dalal_serve_from_an_empty_folder_says_what_it_says_from_the_repository() {
    let languages = shipped_languages();
    assert!(languages.len() >= 4, "{languages:?}");
    let empty = tempfile::tempdir().unwrap();
    let from_empty = everything_said(empty.path()).await;
    let from_repository = everything_said(Path::new(REPOSITORY)).await;
    assert_eq!(from_empty.len(), from_repository.len());
    let ids = message_ids();
    for ((label, away), (_, home)) in from_empty.iter().zip(&from_repository) {
        assert_eq!(
            away, home,
            "{label}: from an empty folder, then the repository"
        );
        assert!(
            raw_ids_in(away, &ids).is_empty(),
            "{label}: raw message ids {:?} in {away:?}",
            raw_ids_in(away, &ids)
        );
    }
    for (label, said) in from_empty.iter().chain(&from_repository) {
        assert!(!said.starts_with("(no SMS"), "{label}: {said}");
    }
    // The walk reached the offer to resume, in each language (not the main menu again).
    for lang in &languages {
        let screen = |label: &str| {
            let wanted = format!("{lang} {label}");
            from_empty
                .iter()
                .find(|(l, _)| *l == wanted)
                .map(|(_, text)| text.clone())
                .unwrap()
        };
        assert_ne!(screen("resume offer"), screen("main menu"), "{lang}");
        assert_eq!(screen("resumed"), screen("complaints"), "{lang}");
    }
}
