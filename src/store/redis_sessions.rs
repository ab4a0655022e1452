//! Live sessions in Redis: shared by every server instance, expired by Redis itself.
//!
//! One [`ConnectionManager`] multiplexes every call over a single connection and reconnects in
//! the background when the connection drops. It is tuned to fail fast: with Redis down a call
//! returns an error within about a second and a half instead of hanging, so a USSD hop can
//! still answer the gateway before its deadline.
//!
//! A hop costs one round trip to read (`GET`) and one to write (`SET .. PX` and the expiry
//! index's `ZADD`, pipelined). Each value starts with the instant its session expires, so a
//! read knows at once whether the session is still live; Redis keeps the key a grace period
//! longer, until a sweeper takes it (one Lua script: due keys from the index, removed as they
//! are read, so each goes to one instance) and records what the abandoned session did.
//!
//! Every operation (`SET`, `GET`, `DEL`, `PING`) is idempotent, so after a connection
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
use redis::{Client, Cmd, FromRedisValue, Pipeline, RedisError};

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
/// How long Redis keeps an expired session for the sweeper before dropping it by itself
/// (when no instance runs a sweeper, the record of that session is lost, nothing else).
const SWEEP_GRACE: Duration = Duration::from_secs(15 * 60);
/// Marks a value that starts with its expiry (8 bytes, milliseconds since the epoch, big
/// endian); a value without it (written by an older version) is returned as it is.
const STAMPED: u8 = 0xD5;
/// Name (after the prefix) of the sorted set of session keys by expiry.
const EXPIRY_INDEX: &str = "expiry-index";
/// Takes up to ARGV[2] keys of KEYS[1] due by ARGV[1] (ms): removed from the index and
/// deleted as they are read, atomically, so two instances never take the same session.
const TAKE_EXPIRED: &str = r#"
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for _, key in ipairs(due) do
  redis.call('ZREM', KEYS[1], key)
  local value = redis.call('GET', key)
  if value then
    redis.call('DEL', key)
    table.insert(out, key)
    table.insert(out, value)
  end
end
return out
"#;

/// Whether a request may be sent again after a connection error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Retry {
    Once,
    Never,
}

/// One request to Redis: a command or a pipeline (one round trip either way).
enum Request<'a> {
    Cmd(&'a Cmd),
    Pipe(&'a Pipeline),
}

impl Request<'_> {
    async fn send<T: FromRedisValue>(&self, con: &mut ConnectionManager) -> redis::RedisResult<T> {
        match self {
            Request::Cmd(cmd) => cmd.query_async(con).await,
            Request::Pipe(pipe) => pipe.query_async(con).await,
        }
    }
}

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
        self.send(what, Request::Cmd(cmd), Retry::Once).await
    }

    /// Sends one request, bounded in time; an idempotent one (`Retry::Once`) is sent again
    /// after a connection error.
    async fn send<T: FromRedisValue>(
        &self,
        what: &str,
        request: Request<'_>,
        retry: Retry,
    ) -> StoreResult<T> {
        let attempts = async {
            let (generation, mut con) = self.current();
            match request.send::<T>(&mut con).await {
                Err(e) if retry == Retry::Once && is_connection_error(&e) => {
                    tracing::debug!(
                        command = what,
                        error = %scrub(&e.to_string(), &self.secrets),
                        "Redis connection error, retrying once"
                    );
                    if e.is_timeout() {
                        self.replace_manager(generation);
                    }
                    let (_, mut con) = self.current();
                    request.send::<T>(&mut con).await
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
        let stored: Option<Vec<u8>> = self.run("GET", &cmd).await?;
        Ok(stored.and_then(|value| unstamp(value, now_ms())))
    }

    async fn put(&self, key: &str, value: Vec<u8>, ttl: Duration) -> StoreResult<()> {
        let key = self.key(key);
        let expires = now_ms().saturating_add(ttl_secs(ttl) * 1000);
        let mut pipe = redis::pipe();
        pipe.cmd("SET")
            .arg(&key)
            .arg(stamp(expires, &value))
            .arg("EX")
            .arg(ttl_secs(ttl).saturating_add(SWEEP_GRACE.as_secs()))
            .ignore()
            .cmd("ZADD")
            .arg(self.key(EXPIRY_INDEX))
            .arg(expires)
            .arg(&key)
            .ignore();
        self.send("SET", Request::Pipe(&pipe), Retry::Once).await
    }

    async fn delete(&self, key: &str) -> StoreResult<()> {
        let key = self.key(key);
        let mut pipe = redis::pipe();
        pipe.cmd("DEL")
            .arg(&key)
            .ignore()
            .cmd("ZREM")
            .arg(self.key(EXPIRY_INDEX))
            .arg(&key)
            .ignore();
        self.send("DEL", Request::Pipe(&pipe), Retry::Once).await
    }

    async fn take_expired(&self, limit: usize) -> StoreResult<Vec<(String, Vec<u8>)>> {
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(TAKE_EXPIRED)
            .arg(1)
            .arg(self.key(EXPIRY_INDEX))
            .arg(now_ms())
            .arg(limit);
        // Not idempotent (it deletes what it returns): never sent twice.
        let flat: Vec<Vec<u8>> = self.send("EVAL", Request::Cmd(&cmd), Retry::Never).await?;
        let mut taken = Vec::with_capacity(flat.len() / 2);
        let mut items = flat.into_iter();
        while let (Some(key), Some(value)) = (items.next(), items.next()) {
            let key = String::from_utf8_lossy(&key);
            let Some(key) = key.strip_prefix(&self.prefix) else {
                continue;
            };
            let value = match value.split_first() {
                Some((&STAMPED, rest)) if rest.len() >= 8 => rest[8..].to_vec(),
                _ => value,
            };
            taken.push((key.to_string(), value));
        }
        Ok(taken)
    }

    async fn count(&self, key: &str) -> StoreResult<i64> {
        let mut cmd = redis::cmd("GET");
        cmd.arg(self.key(key));
        let value: Option<i64> = self.run("GET", &cmd).await?;
        Ok(value.unwrap_or(0))
    }

    async fn increment(&self, key: &str, ttl: Duration) -> StoreResult<i64> {
        // INCR then EXPIRE NX: the window starts at the first count. Not idempotent, so sent
        // once; a lost answer loses one count at worst.
        let key = self.key(key);
        let mut pipe = redis::pipe();
        pipe.cmd("INCR")
            .arg(&key)
            .cmd("EXPIRE")
            .arg(&key)
            .arg(ttl_secs(ttl))
            .arg("NX")
            .ignore();
        let (count,): (i64,) = self
            .send("INCR", Request::Pipe(&pipe), Retry::Never)
            .await?;
        Ok(count)
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

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// The value as stored: marker, expiry, then the session.
fn stamp(expires_ms: u64, value: &[u8]) -> Vec<u8> {
    let mut stamped = Vec::with_capacity(9 + value.len());
    stamped.push(STAMPED);
    stamped.extend_from_slice(&expires_ms.to_be_bytes());
    stamped.extend_from_slice(value);
    stamped
}

/// The session in a stored value, unless it expired by `now_ms`.
fn unstamp(stored: Vec<u8>, now_ms: u64) -> Option<Vec<u8>> {
    match stored.split_first() {
        Some((&STAMPED, rest)) if rest.len() >= 8 => {
            let expires = u64::from_be_bytes(rest[..8].try_into().expect("8 bytes"));
            (expires > now_ms).then(|| rest[8..].to_vec())
        }
        _ => Some(stored),
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
    fn stamped_values_expire_and_old_values_pass_through() {
        let stored = stamp(1_000, b"{}");
        assert_eq!(unstamp(stored.clone(), 999), Some(b"{}".to_vec()));
        assert_eq!(unstamp(stored, 1_000), None);
        assert_eq!(
            unstamp(b"{\"a\":1}".to_vec(), 5),
            Some(b"{\"a\":1}".to_vec())
        );
    }

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
