//! Sessions the caller abandoned: no last screen, no end notification, only the session
//! store's time to live running out. A sweeper takes them from the store (each once, whatever
//! the number of instances) and writes their interaction records, with the screen they were
//! left on, in one batch.

use std::time::Duration;

use super::{App, HopKey, Session, log_recorded};
use crate::store::StoreResult;

/// Sessions taken from the store per batch.
const BATCH: usize = 256;

impl App {
    /// Records every session that expired since the last sweep; how many were recorded.
    pub async fn record_expired(&self) -> StoreResult<usize> {
        let mut recorded = 0;
        loop {
            let taken = self.sessions.take_expired(BATCH).await?;
            let rows: Vec<_> = taken
                .iter()
                .filter_map(|(stored_key, bytes)| {
                    // Other entries of the store (counters) and sessions of an unreadable
                    // format have nothing to record.
                    let key = HopKey::parse(stored_key)?;
                    let session: Session = serde_json::from_slice(bytes).ok()?;
                    (!session.recorded).then(|| session.interaction(&key, false))
                })
                .collect();
            if !rows.is_empty() {
                self.crm.record_interactions(&rows).await?;
                for row in &rows {
                    self.count_closed(row);
                    log_recorded(row, "expired");
                }
                recorded += rows.len();
            }
            if taken.len() < BATCH {
                return Ok(recorded);
            }
        }
    }

    /// Runs [`Self::record_expired`] every `every` on the current runtime, for as long as the
    /// server runs.
    pub fn spawn_expiry_sweeper(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let app = self.clone();
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(every);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticker.tick().await;
                if let Err(error) = app.record_expired().await {
                    app.count_store_error(&error);
                    tracing::warn!(%error, "recording expired sessions failed; retried next sweep");
                }
            }
        })
    }
}
