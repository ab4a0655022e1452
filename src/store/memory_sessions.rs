//! Live sessions in process memory: for one server instance, tests and demos.
//!
//! Entries expire after their time to live: an expired entry is never returned, and a sweeper
//! task removes expired entries periodically so abandoned sessions do not pile up.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::{SessionStore, StoreResult};

/// Shards keep the lock short-lived under concurrent hops and while sweeping.
const SHARDS: usize = 16;

type Shard = HashMap<String, (Instant, Vec<u8>)>;

pub struct MemorySessions {
    shards: Vec<Mutex<Shard>>,
    hasher: RandomState,
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

    /// Removes every expired entry; returns how many were removed.
    pub fn sweep(&self) -> usize {
        let now = Instant::now();
        self.shards
            .iter()
            .map(|s| {
                let mut shard = lock(s);
                let before = shard.len();
                shard.retain(|_, (expires, _)| *expires > now);
                before - shard.len()
            })
            .sum()
    }

    /// Sweeps expired entries every `every` on the current tokio runtime. The task stops by
    /// itself once the store is dropped.
    pub fn spawn_sweeper(self: &Arc<Self>, every: Duration) -> tokio::task::JoinHandle<()> {
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(every);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            ticker.tick().await; // the first tick completes at once
            loop {
                ticker.tick().await;
                let Some(store) = weak.upgrade() else { break };
                let removed = store.sweep();
                if removed > 0 {
                    tracing::debug!(removed, "swept expired sessions");
                }
            }
        })
    }
}

/// A poisoned lock only means another thread panicked mid-operation; the map itself is still
/// consistent (every operation is a single insert, remove or retain).
fn lock(m: &Mutex<Shard>) -> MutexGuard<'_, Shard> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[async_trait]
impl SessionStore for MemorySessions {
    async fn get(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        let mut shard = self.shard(key);
        match shard.get(key) {
            Some((expires, value)) if *expires > Instant::now() => Ok(Some(value.clone())),
            Some(_) => {
                shard.remove(key);
                Ok(None)
            }
            None => Ok(None),
        }
    }

    async fn put(&self, key: &str, value: Vec<u8>, ttl: Duration) -> StoreResult<()> {
        let now = Instant::now();
        // A TTL too large for the clock is as good as forever.
        let expires = now
            .checked_add(ttl)
            .unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 24 * 3600));
        self.shard(key).insert(key.to_string(), (expires, value));
        Ok(())
    }

    async fn delete(&self, key: &str) -> StoreResult<()> {
        self.shard(key).remove(key);
        Ok(())
    }

    async fn ping(&self) -> StoreResult<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn put_get_delete() {
        let s = MemorySessions::new();
        assert!(s.is_empty());
        s.put("a", b"one".to_vec(), Duration::from_secs(60))
            .await
            .unwrap();
        s.put("b", b"two".to_vec(), Duration::from_secs(60))
            .await
            .unwrap();
        assert_eq!(s.get("a").await.unwrap(), Some(b"one".to_vec()));
        s.put("a", b"uno".to_vec(), Duration::from_secs(60))
            .await
            .unwrap();
        assert_eq!(s.get("a").await.unwrap(), Some(b"uno".to_vec()));
        assert_eq!(s.len(), 2);
        s.delete("a").await.unwrap();
        s.delete("missing").await.unwrap();
        assert_eq!(s.get("a").await.unwrap(), None);
        assert_eq!(s.len(), 1);
        s.ping().await.unwrap();
    }

    #[tokio::test]
    async fn entries_expire_on_get() {
        let s = MemorySessions::new();
        s.put("short", vec![1], Duration::from_millis(30))
            .await
            .unwrap();
        s.put("long", vec![2], Duration::from_secs(60))
            .await
            .unwrap();
        assert_eq!(s.get("short").await.unwrap(), Some(vec![1]));
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert_eq!(s.get("short").await.unwrap(), None);
        assert_eq!(s.get("long").await.unwrap(), Some(vec![2]));
        // The expired entry was dropped by the get.
        assert_eq!(s.len(), 1);
    }

    #[tokio::test]
    async fn put_refreshes_the_ttl() {
        let s = MemorySessions::new();
        s.put("k", vec![1], Duration::from_millis(40))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(25)).await;
        s.put("k", vec![2], Duration::from_millis(200))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(40)).await;
        assert_eq!(s.get("k").await.unwrap(), Some(vec![2]));
    }

    #[tokio::test]
    async fn huge_ttl_does_not_panic() {
        let s = MemorySessions::new();
        s.put("k", vec![1], Duration::MAX).await.unwrap();
        assert_eq!(s.get("k").await.unwrap(), Some(vec![1]));
    }

    #[tokio::test]
    async fn sweeper_removes_expired_entries_and_stops_with_the_store() {
        let s = Arc::new(MemorySessions::new());
        for i in 0..50 {
            s.put(&format!("gone{i}"), vec![0], Duration::from_millis(20))
                .await
                .unwrap();
        }
        s.put("kept", vec![1], Duration::from_secs(60))
            .await
            .unwrap();
        assert_eq!(s.len(), 51);
        let handle = s.spawn_sweeper(Duration::from_millis(30));
        let deadline = Instant::now() + Duration::from_secs(5);
        while s.len() > 1 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(s.len(), 1);
        assert_eq!(s.get("kept").await.unwrap(), Some(vec![1]));

        drop(s);
        tokio::time::timeout(Duration::from_secs(5), handle)
            .await
            .expect("sweeper stops once the store is dropped")
            .unwrap();
    }
}
