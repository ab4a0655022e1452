//! Group commit for the interactions log. Every hop updates its session's interaction row;
//! written one by one, those upserts are most of what a hop costs (one commit, hence one
//! fsync, per hop). Here hops hand their row to one writer task, which writes whatever has
//! queued up in one transaction and only then answers each hop: a hop still returns after
//! its row is committed, but a hundred concurrent hops share one commit.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use super::{CrmStore, StoreError, StoreResult};
use crate::domain::Interaction;

/// Rows written in one transaction at most.
const MAX_BATCH: usize = 256;

struct Pending {
    row: Interaction,
    /// Who waits for the commit, if anyone.
    committed: Option<oneshot::Sender<Result<(), String>>>,
}

/// The handle hops write through; cheap to clone.
#[derive(Clone)]
pub struct InteractionWriter {
    queue: mpsc::Sender<Pending>,
}

impl InteractionWriter {
    /// Starts the writer task on the current runtime; it ends when every handle is dropped.
    pub fn start(crm: Arc<dyn CrmStore>) -> InteractionWriter {
        let (queue, incoming) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(write_batches(crm, incoming));
        InteractionWriter { queue }
    }

    /// Returns once the row is committed (with the rows queued beside it).
    pub async fn record(&self, row: Interaction) -> StoreResult<()> {
        let (committed, wait) = oneshot::channel();
        let stopped = || StoreError::Unavailable("interactions writer stopped".into());
        self.queue
            .send(Pending {
                row,
                committed: Some(committed),
            })
            .await
            .map_err(|_| stopped())?;
        match wait.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(message)) => Err(StoreError::Unavailable(message)),
            Err(_) => Err(stopped()),
        }
    }
}

impl InteractionWriter {
    /// Queues the row and returns at once (waiting only while the queue is full): for records
    /// nobody waits on. A failed commit is logged; a crash loses what is queued.
    pub async fn submit(&self, row: Interaction) -> StoreResult<()> {
        self.queue
            .send(Pending {
                row,
                committed: None,
            })
            .await
            .map_err(|_| StoreError::Unavailable("interactions writer stopped".into()))
    }
}

async fn write_batches(crm: Arc<dyn CrmStore>, mut incoming: mpsc::Receiver<Pending>) {
    let mut pending = Vec::with_capacity(MAX_BATCH);
    while incoming.recv_many(&mut pending, MAX_BATCH).await > 0 {
        let rows = latest_per_session(pending.iter().map(|p| &p.row));
        let result = crm
            .record_interactions(&rows)
            .await
            .map_err(|e| e.to_string());
        if let Err(error) = &result
            && pending.iter().any(|p| p.committed.is_none())
        {
            tracing::error!(%error, rows = rows.len(), "interaction records not written");
        }
        for p in pending.drain(..) {
            // The hop may have given up (deadline): nobody to tell.
            if let Some(committed) = p.committed {
                let _ = committed.send(result.clone());
            }
        }
    }
}

/// One row per session: the last queued, which carries the newest state, keeping the earliest
/// start. (A session's hops are sequential; two rows of one session in a batch come from a
/// gateway retry.)
fn latest_per_session<'a>(rows: impl Iterator<Item = &'a Interaction>) -> Vec<Interaction> {
    let mut out: Vec<Interaction> = Vec::new();
    for row in rows {
        match out
            .iter_mut()
            .find(|o| o.gateway == row.gateway && o.session_id == row.session_id)
        {
            Some(earlier) => {
                let started_at = earlier.started_at.min(row.started_at);
                *earlier = Interaction {
                    started_at,
                    ..row.clone()
                };
            }
            None => out.push(row.clone()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn row(session: &str, hops: i64, minute: u32) -> Interaction {
        let at = Utc.with_ymd_and_hms(2026, 11, 23, 10, minute, 0).unwrap();
        Interaction {
            channel: "ussd".into(),
            gateway: "africastalking".into(),
            session_id: session.into(),
            phone: "+221786452821".into(),
            account_no: None,
            language: Some("fr".into()),
            path: "main".into(),
            outcome: None,
            hops,
            started_at: at,
            updated_at: at,
            ended: false,
        }
    }

    #[test]
    fn a_session_queued_twice_keeps_its_newest_row_and_first_start() {
        let rows = [row("a", 1, 1), row("b", 1, 2), row("a", 2, 0)];
        let merged = latest_per_session(rows.iter());
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].session_id, "a");
        assert_eq!(merged[0].hops, 2);
        assert_eq!(merged[0].started_at, rows[2].started_at);
        assert_eq!(merged[1].session_id, "b");
    }
}
