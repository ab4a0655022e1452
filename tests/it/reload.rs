//! Menu hot reload on a real server: `POST /admin/reload`, `dalal reload`, `SIGHUP` to a
//! `dalal serve` process. Each server reads its own copy of the repository's `menus/` and
//! `locales/`, which the tests edit; sessions live in Redis on the production backends.

use crate::support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use support::process::{Instance, hop};

const FR_WATER: &str = "+221786452821"; // SNW100000, fr, Plateau, bill 66 860 FCFA unpaid
const ADMIN_KEY: &str = "reload-test-admin-key";

/// A copy of the repository's menus and translations (and an empty prompts folder: no
/// language is voiced, so a label edit needs no new recording).
struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn new() -> Files {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(Path::new("menus"), &dir.path().join("menus"));
        copy_dir(Path::new("locales"), &dir.path().join("locales"));
        std::fs::create_dir(dir.path().join("prompts")).unwrap();
        Files { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Replaces `from` (which must be there) with `to` in the file.
    fn edit(&self, file: &str, from: &str, to: &str) {
        let path = self.path(file);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{file} holds {from:?}");
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

async fn server(files: &Files) -> support::TestServer {
    let (menus, locales, prompts) = (
        files.path("menus"),
        files.path("locales"),
        files.path("prompts"),
    );
    support::start_with(move |c| {
        c.menus_dir = menus;
        c.locales_dir = locales;
        c.voice.prompts_dir = prompts;
        c.admin_key = Some(ADMIN_KEY.into());
    })
    .await
}

/// `POST /admin/reload` with `key`: status and the JSON answer.
async fn reload(server: &support::TestServer, key: Option<&str>) -> (u16, serde_json::Value) {
    let mut request = server.client.post(format!("{}/admin/reload", server.base));
    if let Some(key) = key {
        request = request.header("X-Dalal-Admin-Key", key);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
    (status, body)
}

fn session(label: &str) -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("ATUid_reload_{label}_{n}_{}", std::process::id())
}

/// The first screen a new session of the French water customer gets.
async fn first_screen(server: &support::TestServer) -> String {
    let (status, reply) = server.ussd(&session("first"), FR_WATER, "").await;
    assert_eq!(status, 200, "{reply}");
    reply
}

#[tokio::test]
async fn an_edited_label_is_served_to_new_sessions_after_a_reload() {
    let files = Files::new();
    let server = server(&files).await;
    let before = first_screen(&server).await;
    assert!(
        before.starts_with("CON ") && before.contains("Ma facture"),
        "{before}"
    );

    files.edit(
        "locales/fr/main.ftl",
        "main-bill = Ma facture",
        "main-bill = Voir ma facture",
    );
    let (status, body) = reload(&server, Some(ADMIN_KEY)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["unchanged"], false, "{body}");
    assert_ne!(body["version"], body["previous"], "{body}");

    let after = first_screen(&server).await;
    assert!(after.contains("Voir ma facture"), "{after}");

    // The same files again: nothing changes.
    let (status, again) = reload(&server, Some(ADMIN_KEY)).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["unchanged"], true, "{again}");
    assert_eq!(again["version"], body["version"], "{again}");
}

#[tokio::test]
async fn a_broken_menu_is_refused_with_its_problems_and_the_old_one_kept() {
    let files = Files::new();
    let server = server(&files).await;
    let before = first_screen(&server).await;

    // A label edit and a goto to a node that does not exist: the whole set is refused.
    files.edit(
        "locales/fr/main.ftl",
        "main-bill = Ma facture",
        "main-bill = Voir ma facture",
    );
    files.edit(
        "menus/main.yaml",
        "{ key: \"1\", label: main-bill, goto: bill }",
        "{ key: \"1\", label: main-bill, goto: no_such_node }",
    );
    let (status, body) = reload(&server, Some(ADMIN_KEY)).await;
    assert_eq!(status, 422, "{body}");
    let problems: Vec<String> = serde_json::from_value(body["problems"].clone()).unwrap();
    assert!(
        problems
            .iter()
            .any(|p| p.contains("main.yaml:") && p.contains("unknown node 'no_such_node'")),
        "the problem, with file:line: {problems:?}"
    );

    let after = first_screen(&server).await;
    assert_eq!(after, before, "new sessions still get the old menu");
    let (_, bill) = server.ussd(&session("old-menu"), FR_WATER, "").await;
    assert!(bill.starts_with("CON "), "{bill}");

    // Repaired, it goes live.
    files.edit("menus/main.yaml", "goto: no_such_node }", "goto: bill }");
    let (status, body) = reload(&server, Some(ADMIN_KEY)).await;
    assert_eq!(status, 200, "{body}");
    assert!(first_screen(&server).await.contains("Voir ma facture"));
}

/// The main menu renamed (`main` -> `accueil`): a session left on `main` before the reload
/// has no screen in the new menu.
fn rename_the_main_menu(files: &Files) {
    let path = files.path("menus/main.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let text = text
        .replace("home: main\n", "home: accueil\n")
        .replace("      ready: main\n", "      ready: accueil\n")
        .replace("\n  main:\n", "\n  accueil:\n")
        .replace("goto: main }", "goto: accueil }");
    assert!(!text.contains("\n  main:\n") && text.contains("\n  accueil:\n"));
    std::fs::write(&path, text).unwrap();
    files.edit(
        "locales/fr/main.ftl",
        "main-bill = Ma facture",
        "main-bill = Facture du mois",
    );
}

#[tokio::test]
async fn a_session_in_flight_ends_on_the_menu_it_started_with() {
    let files = Files::new();
    let server = server(&files).await;
    let old = session("in-flight");
    let (_, main) = server.ussd(&old, FR_WATER, "").await;
    assert!(main.contains("1. Ma facture"), "{main}");

    rename_the_main_menu(&files);
    let (status, body) = reload(&server, Some(ADMIN_KEY)).await;
    assert_eq!(status, 200, "{body}");

    // A new session gets the new menu...
    let (_, new_main) = server.ussd(&session("new"), FR_WATER, "").await;
    assert!(new_main.contains("1. Facture du mois"), "{new_main}");
    // ...while the old one, on `main` (gone from the new menu), goes on on its own: its
    // bill, and the end.
    let (status, bill) = server.ussd(&old, FR_WATER, "1").await;
    assert_eq!(status, 200, "{bill}");
    assert!(
        bill.starts_with("END ") && bill.contains("66 860"),
        "{bill}"
    );
    let row = server.crm.written_interaction("africastalking", &old).await;
    assert!(row.ended, "recorded as ended: {row:?}");
    assert!(row.path.contains("bill_details"), "{}", row.path);
}

#[tokio::test]
async fn a_session_whose_menu_version_is_gone_ends_politely() {
    let files = Files::new();
    let server = server(&files).await;
    let old = session("gone");
    let (_, main) = server.ussd(&old, FR_WATER, "").await;
    assert!(main.contains("1. Ma facture"), "{main}");
    // More reloads than versions kept: the session's menu is forgotten.
    for n in 0..=dalal::runner::menus::KEPT {
        let from = if n == 0 {
            "main-bill = Ma facture".to_string()
        } else {
            format!("main-bill = Facture {}", n - 1)
        };
        files.edit(
            "locales/fr/main.ftl",
            &from,
            &format!("main-bill = Facture {n}"),
        );
        let (status, body) = reload(&server, Some(ADMIN_KEY)).await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, reply) = server.ussd(&old, FR_WATER, "1").await;
    assert_eq!(status, 200, "{reply}");
    assert!(
        reply.starts_with("END ") && reply.contains("Session expir"),
        "a polite end, not a crash: {reply}"
    );
    let (_, new) = server.ussd(&session("after-gone"), FR_WATER, "").await;
    assert!(
        new.contains(&format!("Facture {}", dalal::runner::menus::KEPT)),
        "{new}"
    );
}

// Several threads: the server answers while the test waits for the `dalal reload` process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_reload_needs_the_admin_key_and_the_cli_speaks_it() {
    let files = Files::new();
    let server = server(&files).await;
    let (status, _) = reload(&server, None).await;
    assert_eq!(status, 403);
    let (status, _) = reload(&server, Some("not-the-key")).await;
    assert_eq!(status, 403);

    files.edit(
        "locales/fr/main.ftl",
        "main-bill = Ma facture",
        "main-bill = Facture (CLI)",
    );
    let cli = |key: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_dalal"))
            .args(["reload", "--url", &server.base])
            .env("DALAL_ADMIN_KEY", key)
            .env_remove("DALAL_CONFIG")
            .output()
            .unwrap()
    };
    let refused = cli("not-the-key");
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("403"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    assert!(!first_screen(&server).await.contains("Facture (CLI)"));

    let done = cli(ADMIN_KEY);
    let stdout = String::from_utf8_lossy(&done.stdout);
    assert!(
        done.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&done.stderr)
    );
    assert!(stdout.contains("\"version\""), "{stdout}");
    assert!(first_screen(&server).await.contains("Facture (CLI)"));

    // A broken menu: the CLI fails and lists the problem.
    files.edit(
        "menus/main.yaml",
        "{ key: \"1\", label: main-bill, goto: bill }",
        "{ key: \"1\", label: main-bill, goto: nowhere }",
    );
    let broken = cli(ADMIN_KEY);
    let stderr = String::from_utf8_lossy(&broken.stderr);
    assert!(!broken.status.success());
    assert!(stderr.contains("unknown node 'nowhere'"), "{stderr}");
}

#[tokio::test]
async fn sighup_reloads_a_running_dalal_serve() {
    let files = Files::new();
    let db = files.path("crm.db");
    let database_url = format!("sqlite:{}", db.display());
    let (menus, locales, prompts) = (
        files.path("menus"),
        files.path("locales"),
        files.path("prompts"),
    );
    let log = files.path("serve.log");
    let instance = Instance::spawn_logging_to(
        &[
            ("DATABASE_URL", &database_url),
            ("DALAL_MENUS_DIR", menus.to_str().unwrap()),
            ("DALAL_LOCALES_DIR", locales.to_str().unwrap()),
            ("DALAL_PROMPTS_DIR", prompts.to_str().unwrap()),
            ("DALAL_ADMIN_KEY", ADMIN_KEY),
        ],
        Some(&log),
    );
    let client = reqwest::Client::new();
    wait_ready(&client, &instance.base, &log).await;
    let dial = |label: &'static str| {
        let client = client.clone();
        let base = instance.base.clone();
        async move {
            let (status, reply) = hop(&client, &base, &session(label), FR_WATER, "")
                .await
                .unwrap();
            assert_eq!(status, 200, "{reply}");
            reply
        }
    };
    assert!(dial("hup-before").await.contains("1. Ma facture"));

    // A broken menu on SIGHUP: logged, and the old one kept.
    files.edit(
        "menus/main.yaml",
        "{ key: \"1\", label: main-bill, goto: bill }",
        "{ key: \"1\", label: main-bill, goto: nowhere }",
    );
    instance.signal("HUP");
    let logged = wait_for(Duration::from_secs(20), || {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        text.contains("menu reload refused").then_some(text)
    })
    .await;
    assert!(logged.contains("unknown node 'nowhere'"), "{logged}");
    assert!(dial("hup-refused").await.contains("1. Ma facture"));

    // Repaired, with a new label: SIGHUP puts it live.
    files.edit("menus/main.yaml", "goto: nowhere }", "goto: bill }");
    files.edit(
        "locales/fr/main.ftl",
        "main-bill = Ma facture",
        "main-bill = Facture (SIGHUP)",
    );
    instance.signal("HUP");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if dial("hup-after").await.contains("1. Facture (SIGHUP)") {
            break;
        }
        assert!(Instant::now() < deadline, "SIGHUP never reloaded the menus");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("menus reloaded"), "{text}");
}

/// Polls `check` until it gives something, at most `limit`.
async fn wait_for<T>(limit: Duration, check: impl Fn() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(found) = check() {
            return found;
        }
        assert!(Instant::now() < deadline, "not seen within {limit:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits for `dalal serve` to answer `/readyz`; fails with its log.
async fn wait_ready(client: &reqwest::Client, base: &str, log: &Path) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let ready = client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        if ready {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "dalal serve never ready: {}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
