//! Fault tests on real `dalal serve` processes: `kill -9` under load, PostgreSQL and Redis
//! restarted under load, and SIGTERM while a hop is in flight. The promise under test: every
//! reference a caller was given exists in the database, nothing is filed twice, and the
//! server recovers by itself. Each runs on the embedded backends and on PostgreSQL + Redis
//! where the fault applies.

use crate::support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use sqlx::Connection;
use support::pg::TestDatabase;
use support::process::{Instance, OwnPostgres, OwnRedis, free_port, hop, reference_in};
use tokio::sync::Mutex;

const PHONE: &str = "+221786452821"; // French, single account (the demo dataset)

/// Where a spawned server keeps its data; the guards live as long as the test.
struct Backend {
    envs: Vec<(String, String)>,
    database_url: String,
    _dir: tempfile::TempDir,
    _db: Option<TestDatabase>,
}

impl Backend {
    fn config_file(dir: &tempfile::TempDir) -> String {
        // One phone files many complaints quickly here, from many sessions at once (which no
        // real phone does: each would be offered to resume another, still under way); the
        // rate limit and the resume offer have their own tests.
        let path = dir.path().join("dalal.toml");
        std::fs::write(&path, "rate_limit_per_minute = 0\nresume_secs = 0\n").unwrap();
        path.display().to_string()
    }

    fn embedded() -> Backend {
        let dir = tempfile::tempdir().unwrap();
        let database_url = format!("sqlite:{}", dir.path().join("crm.db").display());
        Backend {
            envs: vec![
                ("DATABASE_URL".into(), database_url.clone()),
                ("DALAL_CONFIG".into(), Self::config_file(&dir)),
            ],
            database_url,
            _dir: dir,
            _db: None,
        }
    }

    async fn production() -> Backend {
        let db = TestDatabase::create().await;
        Self::on(db.url.clone(), support::redis_url(), Some(db))
    }

    fn on(database_url: String, redis_url: String, db: Option<TestDatabase>) -> Backend {
        let dir = tempfile::tempdir().unwrap();
        Backend {
            envs: vec![
                ("DATABASE_URL".into(), database_url.clone()),
                ("REDIS_URL".into(), redis_url),
                ("DALAL_REDIS_KEY_PREFIX".into(), support::unique_prefix()),
                ("DALAL_CONFIG".into(), Self::config_file(&dir)),
            ],
            database_url,
            _dir: dir,
            _db: db,
        }
    }

    fn spawn(&self) -> Instance {
        let envs: Vec<(&str, &str)> = self
            .envs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        Instance::spawn(&envs)
    }

    /// A scalar query on the CRM database, as CRM staff would run it.
    async fn scalar(&self, sql: &str) -> i64 {
        let statement = sqlx::AssertSqlSafe(sql.to_string());
        if self.database_url.starts_with("sqlite:") {
            let mut db = sqlx::SqliteConnection::connect(&self.database_url)
                .await
                .unwrap();
            sqlx::query_scalar(statement)
                .fetch_one(&mut db)
                .await
                .unwrap()
        } else {
            let mut db = sqlx::PgConnection::connect(&self.database_url)
                .await
                .unwrap();
            sqlx::query_scalar(statement)
                .fetch_one(&mut db)
                .await
                .unwrap()
        }
    }

    /// Asserts every reference exists exactly once, and no ticket was filed twice. The same
    /// reference may have been given to several calls: a repeat complaint (same account,
    /// same category, still open) is answered with the open ticket's reference.
    async fn assert_all_exist(&self, references: &[String]) {
        assert!(!references.is_empty());
        let mut references = references.to_vec();
        references.sort();
        references.dedup();
        // References are ours (letters and digits only), checked before they reach SQL.
        assert!(
            references
                .iter()
                .all(|r| r.chars().all(|c| c.is_ascii_alphanumeric()))
        );
        let list = references
            .iter()
            .map(|r| format!("'{r}'"))
            .collect::<Vec<_>>()
            .join(",");
        let found = self
            .scalar(&format!(
                "SELECT COUNT(*) FROM tickets WHERE ticket_ref IN ({list})"
            ))
            .await;
        assert_eq!(
            found,
            references.len() as i64,
            "every reference a caller was given exists"
        );
        let doubled = self
            .scalar(
                "SELECT COUNT(*) FROM (SELECT origin_key FROM tickets WHERE origin_key IS NOT NULL \
                 GROUP BY origin_key HAVING COUNT(*) > 1) AS d",
            )
            .await;
        assert_eq!(doubled, 0, "no session filed twice");
    }
}

/// What the load saw.
#[derive(Default)]
struct Seen {
    references: Mutex<Vec<String>>,
    /// Polite "service unavailable" endings (the store was down).
    apologies: AtomicUsize,
    /// Replies that are neither a menu, a reference nor the apology: must stay zero.
    wrong: Mutex<Vec<String>>,
    /// Transport errors (the server was gone or restarting).
    unreachable: AtomicUsize,
    /// References given after `mark` was set.
    after_mark: AtomicUsize,
    mark: AtomicBool,
}

/// Callers filing complaints (main menu, 4, a category, confirm) until `stop` is set.
fn load(
    base: String,
    workers: usize,
    stop: Arc<AtomicBool>,
    seen: Arc<Seen>,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..workers)
        .map(|w| {
            let (base, stop, seen) = (base.clone(), stop.clone(), seen.clone());
            tokio::spawn(async move {
                let client = reqwest::Client::builder()
                    .timeout(Duration::from_secs(10))
                    .build()
                    .unwrap();
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let session = format!("ATUid_fault_{w}_{n}_{}", std::process::id());
                    let category = 1 + (n % 6);
                    for text in [
                        "".to_string(),
                        "4".into(),
                        format!("4*{category}"),
                        format!("4*{category}*1"),
                    ] {
                        match hop(&client, &base, &session, PHONE, &text).await {
                            Err(_) => {
                                seen.unreachable.fetch_add(1, Ordering::Relaxed);
                                tokio::time::sleep(Duration::from_millis(50)).await;
                                break;
                            }
                            Ok((200, reply)) if reply.starts_with("CON ") => continue,
                            Ok((200, reply)) if reply.contains("indisponible") => {
                                seen.apologies.fetch_add(1, Ordering::Relaxed);
                                break;
                            }
                            Ok((200, reply))
                                if reply.starts_with("END ") && reference_in(&reply).is_some() =>
                            {
                                seen.references
                                    .lock()
                                    .await
                                    .push(reference_in(&reply).unwrap());
                                if seen.mark.load(Ordering::Relaxed) {
                                    seen.after_mark.fetch_add(1, Ordering::Relaxed);
                                }
                            }
                            Ok((status, reply)) => {
                                seen.wrong
                                    .lock()
                                    .await
                                    .push(format!("{status} {text:?}: {reply}"));
                                break;
                            }
                        }
                    }
                }
            })
        })
        .collect()
}

async fn wait_for_references(seen: &Seen, at_least: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while seen.references.lock().await.len() < at_least {
        assert!(
            Instant::now() < deadline,
            "the load filed too few complaints"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn kill_9_under_load(backend: Backend) {
    let client = reqwest::Client::new();
    let server = backend.spawn();
    server.ready(&client).await;
    let (stop, seen) = (Arc::new(AtomicBool::new(false)), Arc::new(Seen::default()));
    let workers = load(server.base.clone(), 16, stop.clone(), seen.clone());
    wait_for_references(&seen, 40).await;

    server.signal("KILL");
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.await.unwrap();
    }
    assert!(
        seen.wrong.lock().await.is_empty(),
        "{:?}",
        seen.wrong.lock().await
    );
    assert!(
        seen.unreachable.load(Ordering::Relaxed) > 0,
        "the server really died"
    );
    eprintln!(
        "{} references before kill -9",
        seen.references.lock().await.len()
    );
    backend
        .assert_all_exist(&seen.references.lock().await)
        .await;

    // A new process on the same data carries on.
    let again = backend.spawn();
    again.ready(&client).await;
    let session = format!("ATUid_after_kill_{}", std::process::id());
    for text in ["", "4", "4*2"] {
        hop(&client, &again.base, &session, PHONE, text)
            .await
            .unwrap();
    }
    let (_, filed) = hop(&client, &again.base, &session, PHONE, "4*2*1")
        .await
        .unwrap();
    let reference = reference_in(&filed).unwrap_or_else(|| panic!("{filed}"));
    backend.assert_all_exist(&[reference]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_under_load_loses_no_given_reference_embedded() {
    kill_9_under_load(Backend::embedded()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_under_load_loses_no_given_reference_production() {
    kill_9_under_load(Backend::production().await).await;
}

/// Runs the load across a fault (`fault` takes the store away and brings it back) and checks
/// nothing given was lost, no caller saw an error, and the server served again afterwards.
async fn across_a_fault(backend: &Backend, fault: impl AsyncFnOnce()) {
    let client = reqwest::Client::new();
    let server = backend.spawn();
    server.ready(&client).await;
    let (stop, seen) = (Arc::new(AtomicBool::new(false)), Arc::new(Seen::default()));
    let workers = load(server.base.clone(), 12, stop.clone(), seen.clone());
    wait_for_references(&seen, 30).await;

    fault().await;
    seen.mark.store(true, Ordering::Relaxed);
    let deadline = Instant::now() + Duration::from_secs(30);
    while seen.after_mark.load(Ordering::Relaxed) < 20 {
        assert!(
            Instant::now() < deadline,
            "no recovery without a restart of dalal"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.await.unwrap();
    }
    assert!(
        seen.wrong.lock().await.is_empty(),
        "{:?}",
        seen.wrong.lock().await
    );
    assert_eq!(
        seen.unreachable.load(Ordering::Relaxed),
        0,
        "dalal stayed up"
    );
    eprintln!(
        "{} references, {} apologies",
        seen.references.lock().await.len(),
        seen.apologies.load(Ordering::Relaxed)
    );
    backend
        .assert_all_exist(&seen.references.lock().await)
        .await;
    let ready = client
        .get(format!("{}/readyz", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status().as_u16(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_restart_under_load_loses_nothing_and_dalal_recovers() {
    let postgres = OwnPostgres::start();
    let backend = Backend::on(postgres.url(), support::redis_url(), None);
    across_a_fault(&backend, async || {
        let pg = &postgres;
        tokio::task::block_in_place(|| pg.restart());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_restart_under_load_loses_nothing_and_dalal_recovers() {
    let mut redis = OwnRedis::start(free_port());
    let port = redis.port;
    let db = TestDatabase::create().await;
    let backend = Backend::on(db.url.clone(), redis.url(), Some(db));
    across_a_fault(&backend, async || {
        redis.kill();
        tokio::time::sleep(Duration::from_millis(500)).await;
        redis = OwnRedis::start(port);
    })
    .await;
}

/// SIGTERM while a hop waits on the database: the hop still gets its reference, the ticket
/// is committed, and the process then exits cleanly.
async fn sigterm_finishes_the_hop_in_flight(backend: Backend) {
    let client = reqwest::Client::new();
    let mut server = backend.spawn();
    server.ready(&client).await;
    let session = format!("ATUid_sigterm_{}", std::process::id());
    for text in ["", "4", "4*2"] {
        let (_, reply) = hop(&client, &server.base, &session, PHONE, text)
            .await
            .unwrap();
        assert!(reply.starts_with("CON "), "{reply}");
    }

    // Hold the tickets table so the confirming hop is still in flight when SIGTERM comes.
    let release = hold_tickets(&backend.database_url).await;
    let confirm = {
        let (client, base, session) = (client.clone(), server.base.clone(), session.clone());
        tokio::spawn(async move { hop(&client, &base, &session, PHONE, "4*2*1").await })
    };
    tokio::time::sleep(Duration::from_millis(400)).await;
    server.signal("TERM");
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(
        !confirm.is_finished(),
        "the hop was still waiting on the database"
    );
    release.await;

    let (status, filed) = confirm
        .await
        .unwrap()
        .expect("the hop in flight was answered");
    assert_eq!(status, 200);
    let reference = reference_in(&filed).unwrap_or_else(|| panic!("filed: {filed}"));
    let exit = server.exit_within(Duration::from_secs(10)).await;
    assert!(exit.success(), "clean exit after SIGTERM: {exit:?}");
    backend.assert_all_exist(&[reference]).await;
}

/// Locks the tickets table until the returned future runs.
async fn hold_tickets(database_url: &str) -> impl Future<Output = ()> {
    let url = database_url.to_string();
    let (locked_tx, locked_rx) = tokio::sync::oneshot::channel();
    let (release_tx, release_rx) = tokio::sync::oneshot::channel::<()>();
    let holder = tokio::spawn(async move {
        if url.starts_with("sqlite:") {
            let mut db = sqlx::SqliteConnection::connect(&url).await.unwrap();
            sqlx::query("BEGIN IMMEDIATE")
                .execute(&mut db)
                .await
                .unwrap();
            locked_tx.send(()).unwrap();
            release_rx.await.ok();
            sqlx::query("COMMIT").execute(&mut db).await.unwrap();
        } else {
            let mut db = sqlx::PgConnection::connect(&url).await.unwrap();
            let mut tx = db.begin().await.unwrap();
            sqlx::query("LOCK TABLE tickets IN EXCLUSIVE MODE")
                .execute(&mut *tx)
                .await
                .unwrap();
            locked_tx.send(()).unwrap();
            release_rx.await.ok();
            tx.commit().await.unwrap();
        }
    });
    locked_rx.await.unwrap();
    async move {
        release_tx.send(()).unwrap();
        holder.await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_the_hop_in_flight_embedded() {
    sigterm_finishes_the_hop_in_flight(Backend::embedded()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_the_hop_in_flight_production() {
    sigterm_finishes_the_hop_in_flight(Backend::production().await).await;
}
