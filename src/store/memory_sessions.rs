//! Live sessions in process memory: for one server instance, tests and demos.
//!
//! Entries expire after their time to live: an expired entry is never returned by `get`; it
//! stays until [`SessionStore::take_expired`] hands it out (the runner records what the
//! abandoned session did, then forgets it).

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::{SessionStore, StoreResult};

/// Shards keep the lock short-lived under concurrent hops and while sweeping.
const SHARDS: usize = 16;

type Shard = HashMap<String, (Instant, Vec<u8>)>;

pub struct MemorySessions {
    shards: Vec<Mutex<Shard>>,
    hasher: RandomState,
    /// Counters (wrong verification answers), with the instant each one lapses.
    counters: Mutex<HashMap<String, (Instant, i64)>>,
}

impl Default for MemorySessions {
    fn default() -> Self {
        Self::new()
    }
}

impl MemorySessions {
    pub fn new() -> Self {
        MemorySessions {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            hasher: RandomState::new(),
            counters: Mutex::new(HashMap::new()),
        }
    }

    fn shard(&self, key: &str) -> MutexGuard<'_, Shard> {
        let index = (self.hasher.hash_one(key) as usize) % SHARDS;
        lock(&self.shards[index])
    }

    /// Number of stored entries, including expired ones not yet swept.
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| lock(s).len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A poisoned lock only means another thread panicked mid-operation; the map itself is still
/// consistent (every operation is a single insert, remove or retain).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[async_trait]
impl SessionStore for MemorySessions {
    async fn get(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        let shard = self.shard(key);
        Ok(match shard.get(key) {
            Some((expires, value)) if *expires > Instant::now() => Some(value.clone()),
            _ => None,
        })
    }

    async fn put(&self, key: &str, value: Vec<u8>, ttl: Duration) -> StoreResult<()> {
        self.shard(key)
            .insert(key.to_string(), (expiry(Instant::now(), ttl), value));
        Ok(())
    }

    async fn take_expired(&self, limit: usize) -> StoreResult<Vec<(String, Vec<u8>)>> {
        let now = Instant::now();
        let mut taken = Vec::new();
        for shard in &self.shards {
            let mut shard = lock(shard);
            let due: Vec<String> = shard
                .iter()
                .filter(|(_, (expires, _))| *expires <= now)
                .map(|(key, _)| key.clone())
                .take(limit - taken.len())
                .collect();
            for key in due {
                if let Some((_, value)) = shard.remove(&key) {
                    taken.push((key, value));
                }
            }
            if taken.len() >= limit {
                break;
            }
        }
        lock(&self.counters).retain(|_, (lapses, _)| *lapses > now);
        Ok(taken)
    }

    async fn count(&self, key: &str) -> StoreResult<i64> {
        let counters = lock(&self.counters);
        Ok(match counters.get(key) {
            Some((lapses, n)) if *lapses > Instant::now() => *n,
            _ => 0,
        })
    }

    async fn increment(&self, key: &str, ttl: Duration) -> StoreResult<i64> {
        let now = Instant::now();
        let mut counters = lock(&self.counters);
        let entry = counters
            .entry(key.to_string())
            .or_insert((expiry(now, ttl), 0));
        if entry.0 <= now {
            *entry = (expiry(now, ttl), 0);
        }
        entry.1 += 1;
        Ok(entry.1)
    }

    async fn delete(&self, key: &str) -> StoreResult<()> {
        self.shard(key).remove(key);
        Ok(())
    }

    async fn ping(&self) -> StoreResult<()> {
        Ok(())
    }
}

/// A TTL too large for the clock is as good as forever.
fn expiry(now: Instant, ttl: Duration) -> Instant {
    now.checked_add(ttl)
        .unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 24 * 3600))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn put(s: &MemorySessions, key: &str, value: Vec<u8>, ttl: Duration) {
        s.put(key, value, ttl).await.unwrap();
    }

    #[tokio::test]
    async fn put_get_delete() {
        let s = MemorySessions::new();
        assert!(s.is_empty());
        put(&s, "a", b"one".to_vec(), Duration::from_secs(60)).await;
        put(&s, "b", b"two".to_vec(), Duration::from_secs(60)).await;
        assert_eq!(s.get("a").await.unwrap(), Some(b"one".to_vec()));
        put(&s, "a", b"uno".to_vec(), Duration::from_secs(60)).await;
        assert_eq!(s.get("a").await.unwrap(), Some(b"uno".to_vec()));
        assert_eq!(s.len(), 2);
        s.delete("a").await.unwrap();
        s.delete("missing").await.unwrap();
        assert_eq!(s.get("a").await.unwrap(), None);
        assert_eq!(s.len(), 1);
        s.ping().await.unwrap();
    }

    #[tokio::test]
    async fn expired_entries_are_not_returned_but_taken_once() {
        let s = MemorySessions::new();
        put(&s, "short", vec![1], Duration::from_millis(30)).await;
        put(&s, "long", vec![2], Duration::from_secs(60)).await;
        assert_eq!(s.get("short").await.unwrap(), Some(vec![1]));
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert_eq!(s.get("short").await.unwrap(), None);
        assert_eq!(s.get("long").await.unwrap(), Some(vec![2]));
        // Kept for whoever records abandoned sessions, handed out once.
        assert_eq!(s.len(), 2);
        let taken = s.take_expired(10).await.unwrap();
        assert_eq!(taken, vec![("short".to_string(), vec![1])]);
        assert!(s.take_expired(10).await.unwrap().is_empty());
        assert_eq!(s.len(), 1);
    }

    #[tokio::test]
    async fn put_refreshes_the_ttl() {
        let s = MemorySessions::new();
        put(&s, "k", vec![1], Duration::from_millis(40)).await;
        tokio::time::sleep(Duration::from_millis(25)).await;
        put(&s, "k", vec![2], Duration::from_millis(200)).await;
        tokio::time::sleep(Duration::from_millis(40)).await;
        assert_eq!(s.get("k").await.unwrap(), Some(vec![2]));
    }

    #[tokio::test]
    async fn huge_ttl_does_not_panic() {
        let s = MemorySessions::new();
        put(&s, "k", vec![1], Duration::MAX).await;
        assert_eq!(s.get("k").await.unwrap(), Some(vec![1]));
    }

    #[tokio::test]
    async fn take_expired_honours_its_limit() {
        let s = MemorySessions::new();
        for i in 0..50 {
            put(&s, &format!("gone{i}"), vec![0], Duration::from_millis(5)).await;
        }
        put(&s, "kept", vec![1], Duration::from_secs(60)).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(s.take_expired(20).await.unwrap().len(), 20);
        assert_eq!(s.take_expired(100).await.unwrap().len(), 30);
        assert_eq!(s.len(), 1);
        assert_eq!(s.get("kept").await.unwrap(), Some(vec![1]));
    }

    #[tokio::test]
    async fn counters_count_until_they_lapse() {
        let s = MemorySessions::new();
        assert_eq!(s.count("c").await.unwrap(), 0);
        assert_eq!(
            s.increment("c", Duration::from_millis(40)).await.unwrap(),
            1
        );
        assert_eq!(
            s.increment("c", Duration::from_millis(40)).await.unwrap(),
            2
        );
        assert_eq!(s.count("c").await.unwrap(), 2);
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert_eq!(s.count("c").await.unwrap(), 0);
        assert_eq!(
            s.increment("c", Duration::from_millis(40)).await.unwrap(),
            1
        );
    }
}
