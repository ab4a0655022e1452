//! `RedisSessions` against a real Redis.
//!
//! `tests/run-all.sh` starts one with `tests/services.sh start` and exports
//! `DALAL_TEST_REDIS_URL` (and `DALAL_TEST_REDIS_SERVER`, the `redis-server` binary the
//! kill/restart test runs on a port of its own). Without them these tests fail: they never
//! skip, so a CI without Redis cannot pass silently.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use dalal::store::SessionStore;
use dalal::store::StoreError;
use dalal::store::redis_sessions::RedisSessions;

const HOUR: Duration = Duration::from_secs(3600);

fn env(name: &str) -> String {
    match std::env::var(name) {
        Ok(value) if !value.is_empty() => value,
        _ => panic!(
            "{name} is not set: run tests/run-all.sh, which starts Redis \
             (or `bash tests/services.sh start && source target/test-services/env`)"
        ),
    }
}

fn redis_url() -> String {
    env("DALAL_TEST_REDIS_URL")
}

/// A prefix no other test (nor another run of this one) uses.
fn unique_prefix(test: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("dalal-test:{test}:{}:{nanos}:", std::process::id())
}

async fn store(prefix: &str) -> RedisSessions {
    let url = redis_url();
    RedisSessions::connect(&url, prefix)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to the test Redis at {url}: {e}"))
}

#[tokio::test]
async fn put_get_delete_roundtrip() {
    let s = store(&unique_prefix("roundtrip")).await;
    s.ping().await.unwrap();

    assert_eq!(s.get("a").await.unwrap(), None);
    // Values are opaque bytes: not UTF-8, with zero bytes and CR/LF.
    let binary = vec![0u8, 255, 10, 13, 0, 128, b'*', b'$'];
    s.put("a", binary.clone(), HOUR).await.unwrap();
    s.put("b", b"two".to_vec(), HOUR).await.unwrap();
    assert_eq!(s.get("a").await.unwrap(), Some(binary));
    assert_eq!(s.get("b").await.unwrap(), Some(b"two".to_vec()));

    s.put("a", b"uno".to_vec(), HOUR).await.unwrap();
    assert_eq!(s.get("a").await.unwrap(), Some(b"uno".to_vec()));

    s.delete("a").await.unwrap();
    s.delete("a").await.unwrap(); // deleting twice is fine
    s.delete("never-stored").await.unwrap();
    assert_eq!(s.get("a").await.unwrap(), None);
    assert_eq!(s.get("b").await.unwrap(), Some(b"two".to_vec()));

    // An empty value is a value, not a missing key.
    s.put("empty", Vec::new(), HOUR).await.unwrap();
    assert_eq!(s.get("empty").await.unwrap(), Some(Vec::new()));

    s.delete("b").await.unwrap();
    s.delete("empty").await.unwrap();
}

#[tokio::test]
async fn entries_expire_after_their_ttl() {
    let s = store(&unique_prefix("ttl")).await;
    s.put("short", vec![1], Duration::from_secs(1))
        .await
        .unwrap();
    // Sub-second TTLs round up to one second rather than expiring at once.
    s.put("tiny", vec![2], Duration::from_millis(300))
        .await
        .unwrap();
    s.put("long", vec![3], HOUR).await.unwrap();
    // A huge TTL is clamped, not refused.
    s.put("forever", vec![4], Duration::MAX).await.unwrap();

    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(s.get("short").await.unwrap(), Some(vec![1]));
    assert_eq!(s.get("tiny").await.unwrap(), Some(vec![2]));

    tokio::time::sleep(Duration::from_millis(1600)).await;
    assert_eq!(s.get("short").await.unwrap(), None);
    assert_eq!(s.get("tiny").await.unwrap(), None);
    assert_eq!(s.get("long").await.unwrap(), Some(vec![3]));
    assert_eq!(s.get("forever").await.unwrap(), Some(vec![4]));

    s.delete("long").await.unwrap();
    s.delete("forever").await.unwrap();
}

#[tokio::test]
async fn expired_sessions_are_taken_once_across_instances() {
    let prefix = unique_prefix("take");
    let one = store(&prefix).await;
    let two = store(&prefix).await;
    for i in 0..5 {
        one.put(&format!("gone-{i}"), vec![i], Duration::from_secs(1))
            .await
            .unwrap();
    }
    one.put("live", vec![9], HOUR).await.unwrap();
    // Refreshed before it expires: not taken.
    one.put("refreshed", vec![7], Duration::from_secs(1))
        .await
        .unwrap();
    assert!(one.take_expired(100).await.unwrap().is_empty());
    one.put("refreshed", vec![8], HOUR).await.unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(
        one.get("gone-0").await.unwrap(),
        None,
        "expired for readers"
    );

    let (a, b) = tokio::join!(one.take_expired(3), two.take_expired(100));
    let mut taken: Vec<(String, Vec<u8>)> = a.unwrap().into_iter().chain(b.unwrap()).collect();
    taken.sort();
    let expected: Vec<(String, Vec<u8>)> = (0..5).map(|i| (format!("gone-{i}"), vec![i])).collect();
    assert_eq!(
        taken, expected,
        "each expired session to exactly one taker, unprefixed"
    );
    assert!(one.take_expired(100).await.unwrap().is_empty());
    assert_eq!(one.get("live").await.unwrap(), Some(vec![9]));
    assert_eq!(two.get("refreshed").await.unwrap(), Some(vec![8]));
    one.delete("live").await.unwrap();
    one.delete("refreshed").await.unwrap();
}

#[tokio::test]
async fn counters_count_across_instances_and_lapse() {
    let prefix = unique_prefix("count");
    let one = store(&prefix).await;
    let two = store(&prefix).await;
    assert_eq!(one.count("failures").await.unwrap(), 0);
    assert_eq!(
        one.increment("failures", Duration::from_secs(1))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        two.increment("failures", Duration::from_secs(1))
            .await
            .unwrap(),
        2
    );
    assert_eq!(one.count("failures").await.unwrap(), 2);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(two.count("failures").await.unwrap(), 0, "the window lapsed");
}

#[tokio::test]
async fn two_instances_share_sessions() {
    // Two server processes, each with its own store, behind one load balancer.
    let prefix = unique_prefix("shared");
    let one = store(&prefix).await;
    let two = store(&prefix).await;

    one.put("session-1", b"menu:bills".to_vec(), HOUR)
        .await
        .unwrap();
    assert_eq!(
        two.get("session-1").await.unwrap(),
        Some(b"menu:bills".to_vec())
    );

    two.put("session-1", b"menu:outage".to_vec(), HOUR)
        .await
        .unwrap();
    assert_eq!(
        one.get("session-1").await.unwrap(),
        Some(b"menu:outage".to_vec())
    );

    one.delete("session-1").await.unwrap();
    assert_eq!(two.get("session-1").await.unwrap(), None);
}

#[tokio::test]
async fn key_prefixes_isolate_stores() {
    let base = unique_prefix("prefix");
    let first = store(&format!("{base}first:")).await;
    let second = store(&format!("{base}second:")).await;
    assert_eq!(first.key_prefix(), format!("{base}first:"));

    first.put("k", b"from first".to_vec(), HOUR).await.unwrap();
    assert_eq!(second.get("k").await.unwrap(), None);
    second
        .put("k", b"from second".to_vec(), HOUR)
        .await
        .unwrap();
    assert_eq!(first.get("k").await.unwrap(), Some(b"from first".to_vec()));
    assert_eq!(
        second.get("k").await.unwrap(),
        Some(b"from second".to_vec())
    );

    // Keys are stored as `{prefix}{key}`.
    let raw = store(&base).await;
    assert_eq!(
        raw.get("first:k").await.unwrap(),
        Some(b"from first".to_vec())
    );

    second.delete("k").await.unwrap();
    assert_eq!(first.get("k").await.unwrap(), Some(b"from first".to_vec()));
    first.delete("k").await.unwrap();
    assert_eq!(raw.get("first:k").await.unwrap(), None);
}

/// A `redis-server` of the test's own, killed when dropped.
struct OwnRedis {
    child: Child,
}

impl OwnRedis {
    fn start(port: u16) -> OwnRedis {
        let server = env("DALAL_TEST_REDIS_SERVER");
        let child = Command::new(&server)
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .arg("--dir")
            .arg(std::env::temp_dir())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {server}: {e}"));
        OwnRedis { child }
    }

    /// Like a crash: SIGKILL, no shutdown.
    fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Connects once the freshly started server accepts connections.
async fn connect_when_up(url: &str, prefix: &str) -> RedisSessions {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        match RedisSessions::connect(url, prefix).await {
            Ok(store) => return store,
            Err(e) if Instant::now() > deadline => panic!("redis-server never came up: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

#[tokio::test]
async fn survives_a_redis_crash_and_restart() {
    let port = free_port();
    let url = format!("redis://127.0.0.1:{port}/");
    let mut redis = OwnRedis::start(port);
    let s = connect_when_up(&url, "crash:").await;
    s.put("session", b"before".to_vec(), HOUR).await.unwrap();
    assert_eq!(s.get("session").await.unwrap(), Some(b"before".to_vec()));

    redis.kill();

    // Redis is gone: calls fail fast, they do not hang.
    for _ in 0..3 {
        let started = Instant::now();
        let result = s.get("session").await;
        let took = started.elapsed();
        match result {
            Err(StoreError::SessionBackend(message)) => {
                assert!(took < Duration::from_secs(3), "took {took:?}: {message}");
                assert!(message.contains(&port.to_string()), "{message}");
            }
            other => panic!("expected a session backend error, got {other:?}"),
        }
    }
    let started = Instant::now();
    assert!(s.ping().await.is_err());
    assert!(s.put("x", vec![1], HOUR).await.is_err());
    assert!(started.elapsed() < Duration::from_secs(6));

    // Redis comes back on the same port: the same store works again by itself.
    let _redis = OwnRedis::start(port);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match s.put("session", b"after".to_vec(), HOUR).await {
            Ok(()) => break,
            Err(e) if Instant::now() > deadline => panic!("the store never reconnected: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    assert_eq!(s.get("session").await.unwrap(), Some(b"after".to_vec()));
    s.ping().await.unwrap();
    s.delete("session").await.unwrap();
    assert_eq!(s.get("session").await.unwrap(), None);
}

fn signal(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "kill {signal} failed");
}

#[tokio::test]
async fn a_frozen_redis_times_out_and_the_store_recovers() {
    // A server that accepts connections but never answers (stopped, or a half-open link).
    let port = free_port();
    let url = format!("redis://127.0.0.1:{port}/");
    let redis = OwnRedis::start(port);
    let s = connect_when_up(&url, "frozen:").await;
    s.put("session", b"kept".to_vec(), HOUR).await.unwrap();

    signal(&redis.child, "-STOP");
    for _ in 0..2 {
        let started = Instant::now();
        let result = s.get("session").await;
        let took = started.elapsed();
        assert!(result.is_err(), "a frozen Redis answered: {result:?}");
        assert!(took < Duration::from_secs(3), "took {took:?}");
    }

    signal(&redis.child, "-CONT");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match s.get("session").await {
            Ok(value) => {
                assert_eq!(value, Some(b"kept".to_vec()));
                break;
            }
            Err(e) if Instant::now() > deadline => panic!("the store never recovered: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    s.delete("session").await.unwrap();
}

#[tokio::test]
async fn connecting_while_redis_is_down_fails_fast() {
    let port = free_port();
    let started = Instant::now();
    let err = RedisSessions::connect(&format!("redis://127.0.0.1:{port}/"), "")
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(matches!(err, StoreError::SessionBackend(_)), "{err}");
}
