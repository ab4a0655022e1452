//! The serving path's SQLite connections (rusqlite, used in place: no thread hand-off), the
//! settings every one of them gets, and the few helpers the statements share.
//!
//! Reads run synchronously on the calling thread, on one of a few connections: a read never
//! waits on anything but SQLite (WAL readers do not wait on the writer), so it takes a few
//! microseconds of the tokio worker instead of a message to a connection thread and back.
//! Writes go to the writer thread (`writer.rs`).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError, TryLockError};
use std::time::Duration;

use rusqlite::{Connection, Params};

use crate::store::StoreResult;

/// How long a statement waits for another process's (or instance's) write lock.
pub(super) const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// 16 MiB of page cache per connection (the default is 2 MiB): the customers and bills indexes
/// of a large utility stay in memory. In KiB, as a negative `cache_size`.
pub(super) const CACHE_KIB: i64 = 16_384;

/// Prepared statements kept per connection: every statement of the serving path (the open
/// tickets query has one text per number of accounts), with room to spare.
const STATEMENT_CACHE: usize = 64;

/// Opens one serving connection with the store's settings. WAL + `synchronous = NORMAL`: a
/// commit is durable once written to the WAL, which survives a crash of dalal (kill -9,
/// tests/it/faults.rs); only an OS crash or power cut can lose the last commits. FULL's fsync per
/// commit capped the embedded server at a few thousand hops/s. Production runs PostgreSQL.
pub(super) fn open(path: &Path) -> StoreResult<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.execute_batch(&format!(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
         PRAGMA cache_size = -{CACHE_KIB}; PRAGMA foreign_keys = ON;"
    ))?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}

/// The read connections. Each is used by one caller at a time, on the caller's thread.
pub(super) struct Readers {
    conns: Vec<Mutex<Connection>>,
    /// Which connection a caller waits for when all are busy (rare: there is one more
    /// connection than there are cores).
    next: AtomicUsize,
}

impl Readers {
    pub(super) fn open(path: &Path, count: usize) -> StoreResult<Readers> {
        let conns = (0..count.max(1))
            .map(|_| open(path).map(Mutex::new))
            .collect::<StoreResult<_>>()?;
        Ok(Readers {
            conns,
            next: AtomicUsize::new(0),
        })
    }

    /// As many readers as the machine runs threads at once, plus one.
    pub(super) fn default_count() -> usize {
        std::thread::available_parallelism().map_or(2, usize::from) + 1
    }

    /// Runs `read` on a free connection. The first free one is taken (the first connections
    /// serve most reads, so their page caches stay warm); when none is free, waits for one
    /// (blocking this thread for the few microseconds of another read).
    pub(super) fn read<T>(
        &self,
        read: impl FnOnce(&Connection) -> StoreResult<T>,
    ) -> StoreResult<T> {
        let conn = self
            .conns
            .iter()
            .find_map(|c| match c.try_lock() {
                Ok(conn) => Some(conn),
                Err(TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
                Err(TryLockError::WouldBlock) => None,
            })
            .unwrap_or_else(|| {
                let i = self.next.fetch_add(1, Ordering::Relaxed) % self.conns.len();
                lock(&self.conns[i])
            });
        read(&conn)
    }
}

/// A connection whose previous user panicked is still a valid connection: statements are
/// reset when dropped, and a read opens no transaction.
fn lock(conn: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    conn.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs a statement that returns no rows (cached: transaction control runs on every write).
pub(super) fn exec(conn: &Connection, sql: &str, params: impl Params) -> StoreResult<usize> {
    Ok(conn.prepare_cached(sql)?.execute(params)?)
}

/// Every row of a query.
#[cfg(test)]
pub(super) fn all<T>(
    conn: &Connection,
    sql: &str,
    params: impl Params,
    map: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> StoreResult<Vec<T>> {
    let mut statement = conn.prepare_cached(sql)?;
    let rows = statement.query_map(params, map)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A database file in the temporary directory, deleted (with its WAL) on drop: what
/// [`super::SqliteCrm::in_memory`] runs on, since several connections must see one database
/// (a shared-cache memory database would answer concurrent writers with SQLITE_LOCKED instead
/// of waiting).
pub(super) struct TempDatabase {
    path: PathBuf,
}

impl TempDatabase {
    pub(super) fn new() -> TempDatabase {
        static SEQUENCE: AtomicUsize = AtomicUsize::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let name = format!(
            "dalal-{}-{}-{nanos}.db",
            std::process::id(),
            SEQUENCE.fetch_add(1, Ordering::Relaxed)
        );
        TempDatabase {
            path: std::env::temp_dir().join(name),
        }
    }

    pub(super) fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDatabase {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut path = self.path.clone().into_os_string();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
    }
}
