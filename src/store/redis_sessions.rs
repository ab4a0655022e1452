//! Live sessions in Redis: shared by every server instance, expired by Redis itself.
//!
//! One [`ConnectionManager`] multiplexes every call over a single connection and reconnects in
//! the background when the connection drops. It is tuned to fail fast: with Redis down a call
//! returns an error within about a second and a half instead of hanging, so a USSD hop can
//! still answer the gateway before its deadline.
//!
//! Every operation (`SET .. EX`, `GET`, `DEL`, `PING`) is idempotent, so after a connection
//! error (the first command after a Redis restart typically meets a broken pipe) it is retried
//! once. A call that times out also swaps in a fresh manager, so a connection that went silent
//! (half-open TCP) is not reused forever.
//!
//! Error messages never contain the URL's credentials: they show the URL with its user
//! information masked, and any credential a driver message might echo is scrubbed.

use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use percent_encoding::percent_decode_str;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, Cmd, FromRedisValue, RedisError};

use super::{SessionStore, StoreError, StoreResult};

/// How long one TCP connect (with its handshake) may take.
const CONNECTION_TIMEOUT: Duration = Duration::from_millis(500);
/// How long Redis may take to answer one command on an established connection.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(1);
/// Connection attempts after the first one, each time the manager (re)connects.
const CONNECT_RETRIES: usize = 1;
const RETRY_MIN_DELAY: Duration = Duration::from_millis(100);
const RETRY_MAX_DELAY: Duration = Duration::from_millis(200);
/// Last guard around one whole operation, its retry included.
const OPERATION_TIMEOUT: Duration = Duration::from_millis(1500);
/// Last guard around the initial connection in [`RedisSessions::connect`].
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Time to live used for absurdly long requested TTLs (Redis rejects overflowing expiries).
const MAX_TTL_SECS: u64 = 100 * 365 * 24 * 3600;

pub struct RedisSessions {
    client: Client,
    config: ConnectionManagerConfig,
    /// The manager in use, with a generation number so concurrent callers that all saw the
    /// same manager time out replace it only once.
    manager: Mutex<(u64, ConnectionManager)>,
    prefix: String,
    /// The URL with its credentials masked: safe to show.
    display_url: String,
    /// Credentials found in the URL, scrubbed from every error message.
    secrets: Vec<String>,
}

impl fmt::Debug for RedisSessions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisSessions")
            .field("url", &self.display_url)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisSessions {
    /// Connects to `url` (`redis://[user:password@]host[:port][/db]`, or `redis+unix://`).
    /// Every key is stored as `{key_prefix}{key}`.
    ///
    /// Fails within about two seconds when Redis cannot be reached: the caller decides whether
    /// to retry, wait or run without it. Once connected, the store reconnects by itself.
    pub async fn connect(url: &str, key_prefix: &str) -> StoreResult<Self> {
        let secrets = url_secrets(url);
        let display_url = mask_url(url);
        let fail = |detail: String| backend_error(detail, &secrets);

        let client =
            Client::open(url).map_err(|e| fail(format!("invalid Redis URL {display_url}: {e}")))?;
        let config = manager_config();
        let manager = match tokio::time::timeout(
            CONNECT_TIMEOUT,
            ConnectionManager::new_with_config(client.clone(), config.clone()),
        )
        .await
        {
            Ok(Ok(manager)) => manager,
            Ok(Err(e)) => return Err(fail(format!("cannot connect to {display_url}: {e}"))),
            Err(_) => {
                return Err(fail(format!(
                    "cannot connect to {display_url}: timed out after {CONNECT_TIMEOUT:?}"
                )));
            }
        };
        tracing::debug!(url = %display_url, prefix = key_prefix, "connected to Redis");
        Ok(RedisSessions {
            client,
            config,
            manager: Mutex::new((0, manager)),
            prefix: key_prefix.to_string(),
            display_url,
            secrets,
        })
    }

    /// The prefix put before every key.
    pub fn key_prefix(&self) -> &str {
        &self.prefix
    }

    fn key(&self, key: &str) -> String {
        format!("{}{}", self.prefix, key)
    }

    fn current(&self) -> (u64, ConnectionManager) {
        let guard = self.manager.lock().unwrap_or_else(|p| p.into_inner());
        (guard.0, guard.1.clone())
    }

    /// Replaces the manager of generation `seen` with a fresh one that connects on first use,
    /// unless another caller already did.
    fn replace_manager(&self, seen: u64) {
        let mut guard = self.manager.lock().unwrap_or_else(|p| p.into_inner());
        if guard.0 != seen {
            return;
        }
        match ConnectionManager::new_lazy_with_config(self.client.clone(), self.config.clone()) {
            Ok(fresh) => {
                *guard = (seen + 1, fresh);
                tracing::debug!(url = %self.display_url, "replaced the Redis connection");
            }
            Err(e) => tracing::warn!(
                error = %scrub(&e.to_string(), &self.secrets),
                "cannot replace the Redis connection"
            ),
        }
    }

    /// Runs one idempotent command: retried once after a connection error, bounded in time.
    async fn run<T: FromRedisValue>(&self, what: &str, cmd: &Cmd) -> StoreResult<T> {
        let attempts = async {
            let (generation, mut con) = self.current();
            match cmd.query_async::<T>(&mut con).await {
                Err(e) if is_connection_error(&e) => {
                    tracing::debug!(
                        command = what,
                        error = %scrub(&e.to_string(), &self.secrets),
                        "Redis connection error, retrying once"
                    );
                    if e.is_timeout() {
                        self.replace_manager(generation);
                    }
                    let (_, mut con) = self.current();
                    cmd.query_async::<T>(&mut con).await
                }
                other => other,
            }
        };
        match tokio::time::timeout(OPERATION_TIMEOUT, attempts).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => {
                if e.is_timeout() {
                    let (generation, _) = self.current();
                    self.replace_manager(generation);
                }
                Err(backend_error(
                    format!("Redis {what} on {} failed: {e}", self.display_url),
                    &self.secrets,
                ))
            }
            Err(_) => {
                let (generation, _) = self.current();
                self.replace_manager(generation);
                Err(backend_error(
                    format!(
                        "Redis {what} on {} timed out after {OPERATION_TIMEOUT:?}",
                        self.display_url
                    ),
                    &self.secrets,
                ))
            }
        }
    }
}

#[async_trait]
impl SessionStore for RedisSessions {
    async fn get(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        let mut cmd = redis::cmd("GET");
        cmd.arg(self.key(key));
        self.run("GET", &cmd).await
    }

    async fn put(&self, key: &str, value: Vec<u8>, ttl: Duration) -> StoreResult<()> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.key(key))
            .arg(value.as_slice())
            .arg("EX")
            .arg(ttl_secs(ttl));
        self.run("SET", &cmd).await
    }

    async fn delete(&self, key: &str) -> StoreResult<()> {
        let mut cmd = redis::cmd("DEL");
        cmd.arg(self.key(key));
        self.run::<i64>("DEL", &cmd).await.map(|_| ())
    }

    async fn ping(&self) -> StoreResult<()> {
        let reply: String = self.run("PING", &redis::cmd("PING")).await?;
        if reply == "PONG" {
            Ok(())
        } else {
            Err(StoreError::SessionBackend(format!(
                "Redis PING on {} answered {reply:?}",
                self.display_url
            )))
        }
    }
}

fn manager_config() -> ConnectionManagerConfig {
    ConnectionManagerConfig::new()
        .set_connection_timeout(Some(CONNECTION_TIMEOUT))
        .set_response_timeout(Some(RESPONSE_TIMEOUT))
        .set_number_of_retries(CONNECT_RETRIES)
        .set_min_delay(RETRY_MIN_DELAY)
        .set_max_delay(RETRY_MAX_DELAY)
        .set_exponent_base(2.0)
}

/// Errors after which the same command may succeed on a new connection.
fn is_connection_error(e: &RedisError) -> bool {
    e.is_io_error() || e.is_connection_dropped() || e.is_timeout() || e.is_unrecoverable_error()
}

/// Whole seconds, rounded up, at least one (`EX 0` is an error in Redis).
fn ttl_secs(ttl: Duration) -> u64 {
    let secs = ttl
        .as_secs()
        .saturating_add(u64::from(ttl.subsec_nanos() > 0));
    secs.clamp(1, MAX_TTL_SECS)
}

fn backend_error(message: String, secrets: &[String]) -> StoreError {
    StoreError::SessionBackend(scrub(&message, secrets))
}

/// Replaces every secret in `message` by `***`.
fn scrub(message: &str, secrets: &[String]) -> String {
    secrets.iter().fold(message.to_string(), |m, secret| {
        m.replace(secret.as_str(), "***")
    })
}

/// The user information of a URL: what sits between `scheme://` and the last `@` of the
/// authority.
fn user_info(url: &str) -> Option<&str> {
    let rest = &url[url.find("://")? + 3..];
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    authority.rfind('@').map(|at| &authority[..at])
}

/// The credentials in a URL, as written and percent-decoded, longest first (so that a secret
/// containing another is scrubbed whole).
fn url_secrets(url: &str) -> Vec<String> {
    let mut raw: Vec<&str> = Vec::new();
    if let Some(info) = user_info(url) {
        raw.push(info);
        raw.extend(info.split(':'));
    }
    // `redis+unix:///path?user=..&pass=..` carries credentials in the query.
    if let Some(query) = url.split_once('?').map(|(_, q)| q) {
        let query = query.split('#').next().unwrap_or_default();
        for pair in query.split('&') {
            if let Some((name, value)) = pair.split_once('=')
                && matches!(name, "user" | "username" | "pass" | "password")
            {
                raw.push(value);
            }
        }
    }
    let mut secrets: Vec<String> = raw
        .into_iter()
        .filter(|s| !s.is_empty())
        .flat_map(|s| {
            let decoded = percent_decode_str(s).decode_utf8_lossy().into_owned();
            [s.to_string(), decoded]
        })
        .collect();
    secrets.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    secrets.dedup();
    secrets
}

/// The URL with user information masked and the query (which may hold credentials) dropped.
fn mask_url(url: &str) -> String {
    let without_query = url.split(['?', '#']).next().unwrap_or_default();
    match (without_query.find("://"), user_info(without_query)) {
        (Some(scheme_end), Some(info)) => {
            let start = scheme_end + 3;
            format!(
                "{}***{}",
                &without_query[..start],
                &without_query[start + info.len()..]
            )
        }
        _ => without_query.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_is_rounded_up_to_whole_seconds() {
        assert_eq!(ttl_secs(Duration::ZERO), 1);
        assert_eq!(ttl_secs(Duration::from_millis(1)), 1);
        assert_eq!(ttl_secs(Duration::from_secs(1)), 1);
        assert_eq!(ttl_secs(Duration::from_millis(1001)), 2);
        assert_eq!(ttl_secs(Duration::from_secs(180)), 180);
        assert_eq!(ttl_secs(Duration::MAX), MAX_TTL_SECS);
    }

    #[test]
    fn urls_are_masked() {
        assert_eq!(
            mask_url("redis://127.0.0.1:6379/0"),
            "redis://127.0.0.1:6379/0"
        );
        assert_eq!(
            mask_url("redis://user:s3cret@cache.local:6379/2"),
            "redis://***@cache.local:6379/2"
        );
        assert_eq!(
            mask_url("redis://:p%40ss@cache.local"),
            "redis://***@cache.local"
        );
        assert_eq!(
            mask_url("redis+unix:///run/redis.sock?pass=hunter2"),
            "redis+unix:///run/redis.sock"
        );
    }

    #[test]
    fn secrets_are_found_and_scrubbed() {
        let secrets = url_secrets("redis://app:p%40ss@cache.local:6379/2");
        assert!(secrets.contains(&"app".to_string()));
        assert!(secrets.contains(&"p%40ss".to_string()));
        assert!(secrets.contains(&"p@ss".to_string()));
        let message = scrub("auth failed for app with p@ss (p%40ss)", &secrets);
        assert!(!message.contains("p@ss") && !message.contains("p%40ss"));
        assert!(!message.contains("app"));

        let unix = url_secrets("redis+unix:///run/redis.sock?db=1&user=u1&pass=hunter2");
        assert_eq!(unix, vec!["hunter2".to_string(), "u1".to_string()]);
        assert!(url_secrets("redis://127.0.0.1:6379/").is_empty());
    }

    #[tokio::test]
    async fn connecting_to_nothing_fails_fast_without_leaking_credentials() {
        // A port that nothing listens on: bind one, then free it.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url = format!("redis://admin:topsecret@127.0.0.1:{port}/");
        let started = std::time::Instant::now();
        let err = RedisSessions::connect(&url, "t:").await.unwrap_err();
        assert!(started.elapsed() < Duration::from_millis(2500));
        let message = err.to_string();
        assert!(matches!(err, StoreError::SessionBackend(_)), "{message}");
        assert!(!message.contains("topsecret"), "{message}");
        assert!(!message.contains("admin"), "{message}");
        assert!(message.contains("127.0.0.1"), "{message}");
    }

    #[test]
    fn bad_urls_are_rejected_without_leaking_credentials() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let err = rt
            .block_on(RedisSessions::connect("http://admin:topsecret@x/", ""))
            .unwrap_err();
        assert!(!err.to_string().contains("topsecret"), "{err}");
    }
}
