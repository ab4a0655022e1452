//! The embedded store's one writer: an OS thread owning the only serving connection that
//! writes. Callers hand it a job (a closure over the connection) and await the answer; the
//! thread takes every job queued, runs them in ONE `BEGIN IMMEDIATE` transaction, each in a
//! savepoint of its own (a failing job undoes only itself), commits once, and only then
//! answers each job: group commit. A caller is never told something was written before it is
//! committed; when the commit fails, every job of the batch gets the error.
//!
//! One statement costs a few microseconds here; with a connection thread per statement (sqlx)
//! it cost two thread switches. A job is one unit of work (a whole filing, a batch of
//! interaction rows), so a write costs two switches, shared by every job of its batch.
//!
//! SQLite has one writer at a time anyway: a single writer thread also means the filings the
//! rules decide run one after the other, whatever their area (another process or instance on
//! the same file waits on `BEGIN IMMEDIATE`'s busy timeout).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::task::{Context, Poll, Waker};
use std::thread::JoinHandle;

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::connection::exec;
use super::db::Lite;
use crate::store::rules::{FilingStore, OutageRows, TicketRows};

use crate::store::{StoreError, StoreResult};

/// Jobs committed together at most.
const MAX_BATCH: usize = 256;

/// A caller's unit of work, as the writer thread runs it.
trait Job: Send {
    /// Runs the work (inside the job's savepoint); true when it succeeded.
    fn run(&mut self, conn: &Connection) -> bool;
    /// The work could not run.
    fn fail(&mut self, error: StoreError);
    /// Answers the caller once the transaction is over: `lost` says why the work did not
    /// last (commit failed, transaction rolled back), when it did not.
    fn answer(self: Box<Self>, lost: Option<&str>);
}

struct Task<T, F> {
    work: Option<F>,
    result: Option<StoreResult<T>>,
    reply: oneshot::Sender<StoreResult<T>>,
}

impl<T, F> Job for Task<T, F>
where
    T: Send,
    F: FnOnce(&Connection) -> StoreResult<T> + Send,
{
    fn run(&mut self, conn: &Connection) -> bool {
        let Some(work) = self.work.take() else {
            return false;
        };
        // A panicking job fails alone: the thread goes on serving the others.
        let result = catch_unwind(AssertUnwindSafe(|| work(conn))).unwrap_or_else(|panic| {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(StoreError::Unavailable(format!(
                "SQLite write panicked: {message}"
            )))
        });
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn fail(&mut self, error: StoreError) {
        self.work = None;
        self.result = Some(Err(error));
    }

    fn answer(self: Box<Self>, lost: Option<&str>) {
        let result = match (self.result, lost) {
            (Some(Ok(_)), Some(lost)) | (None, Some(lost)) => {
                Err(StoreError::Unavailable(lost.to_string()))
            }
            (Some(result), _) => result,
            (None, None) => Err(StoreError::Unavailable("SQLite write never ran".into())),
        };
        // The caller may have given up (deadline): nobody to tell.
        let _ = self.reply.send(result);
    }
}

/// The handle callers write through.
pub(super) struct Writer {
    queue: Option<mpsc::Sender<Box<dyn Job>>>,
    thread: Option<JoinHandle<()>>,
}

impl Writer {
    /// Starts the writer thread on `conn`; it ends when the writer is dropped.
    pub(super) fn start(conn: Connection) -> StoreResult<Writer> {
        let (queue, jobs) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("dalal-sqlite-writer".into())
            .spawn(move || write_batches(&conn, &jobs))
            .map_err(|e| StoreError::Unavailable(format!("SQLite writer thread: {e}")))?;
        Ok(Writer {
            queue: Some(queue),
            thread: Some(thread),
        })
    }

    /// Runs `work` on the writer's connection, in a transaction shared with the other jobs
    /// queued meanwhile; returns once that transaction is committed (or `work` failed and was
    /// undone). A caller that stops waiting does not stop the job: it may still be committed,
    /// like a request whose reply was lost (every filing is idempotent on its `origin_key`).
    pub(super) async fn write<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let stopped = || StoreError::Unavailable("SQLite writer stopped".into());
        let (reply, answer) = oneshot::channel();
        let job = Box::new(Task {
            work: Some(work),
            result: None,
            reply,
        });
        let queue = self.queue.as_ref().ok_or_else(stopped)?;
        queue.send(job).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

impl Drop for Writer {
    /// Lets the thread finish the jobs queued, then waits for it: its connection is closed
    /// when the store is gone.
    fn drop(&mut self) {
        self.queue = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn write_batches(conn: &Connection, jobs: &mpsc::Receiver<Box<dyn Job>>) {
    let mut batch: Vec<Box<dyn Job>> = Vec::with_capacity(MAX_BATCH);
    while let Ok(first) = jobs.recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH
            && let Ok(job) = jobs.try_recv()
        {
            batch.push(job);
        }
        let mut queued = batch.drain(..);
        while queued.len() > 0 {
            let (ran, lost) = one_transaction(conn, &mut queued);
            for job in ran {
                job.answer(lost.as_deref());
            }
        }
    }
}

/// Runs jobs from `queued` in one transaction and commits it; returns the jobs it took and why
/// their work did not last, when it did not. Stops early (the rest waits for the next
/// transaction) when SQLite ends the transaction under a job (it does on some errors: disk
/// full, I/O error), which undid the jobs before it too.
fn one_transaction(
    conn: &Connection,
    queued: &mut impl Iterator<Item = Box<dyn Job>>,
) -> (Vec<Box<dyn Job>>, Option<String>) {
    let mut ran = Vec::new();
    if let Err(e) = exec(conn, "BEGIN IMMEDIATE", []) {
        ran.extend(queued);
        return (
            ran,
            Some(format!("SQLite write transaction not begun: {e}")),
        );
    }
    for mut job in queued.by_ref() {
        match exec(conn, Savepoint::Job.begin(), []) {
            Ok(_) => {
                let done = job.run(conn);
                if !conn.is_autocommit()
                    && let Err(e) = Savepoint::Job.end(conn, done)
                {
                    job.fail(e);
                }
            }
            Err(e) => job.fail(e),
        }
        ran.push(job);
        if conn.is_autocommit() {
            return (ran, Some("SQLite rolled the write transaction back".into()));
        }
    }
    match exec(conn, "COMMIT", []) {
        Ok(_) => (ran, None),
        Err(e) => {
            if !conn.is_autocommit() {
                let _ = exec(conn, "ROLLBACK", []);
            }
            (ran, Some(format!("SQLite commit failed: {e}")))
        }
    }
}

/// The savepoints of the writer's transaction: one per job, and one per filing inside it.
#[derive(Clone, Copy)]
enum Savepoint {
    Job,
    Filing,
}

impl Savepoint {
    fn begin(self) -> &'static str {
        match self {
            Savepoint::Job => "SAVEPOINT job",
            Savepoint::Filing => "SAVEPOINT filing",
        }
    }

    /// Keeps (`RELEASE`) or undoes (`ROLLBACK TO`, then `RELEASE`) the savepoint and every
    /// savepoint opened after it, e.g. a filing left open by an error. Kept work that cannot
    /// be released is undone, and the error returned.
    fn end(self, conn: &Connection, keep: bool) -> StoreResult<()> {
        let (release, rollback) = match self {
            Savepoint::Job => ("RELEASE job", "ROLLBACK TO job"),
            Savepoint::Filing => ("RELEASE filing", "ROLLBACK TO filing"),
        };
        let kept = if keep {
            exec(conn, release, []).map(|_| ())
        } else {
            Ok(())
        };
        if keep && kept.is_ok() {
            return Ok(());
        }
        exec(conn, rollback, [])?;
        exec(conn, release, [])?;
        kept
    }
}

/// Runs a future that never waits: the filing rules over [`Filer`], whose statements run
/// synchronously on this thread. One poll must finish it.
pub(super) fn complete<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => {
            unreachable!("a SQLite filing waited on something other than its connection")
        }
    }
}

/// The filing rules (`store/rules.rs`) on the writer's connection, inside a job: a filing is a
/// savepoint of the job's transaction.
pub(super) struct Filer<'c>(pub(super) &'c Connection);

/// An open filing: the savepoint `filing`. Dropped without commit or rollback (an error went
/// up through the rules), it is undone with the job's savepoint.
pub(super) struct Filing<'c>(Lite<'c>);

impl<'c> std::ops::Deref for Filing<'c> {
    type Target = Lite<'c>;
    fn deref(&self) -> &Lite<'c> {
        &self.0
    }
}

impl std::ops::DerefMut for Filing<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl<'c> FilingStore for Filer<'c> {
    type Conn = Lite<'c>;
    type Tx = Filing<'c>;

    async fn begin_filing(&self) -> StoreResult<Filing<'c>> {
        exec(self.0, Savepoint::Filing.begin(), [])?;
        Ok(Filing(Lite(self.0)))
    }

    async fn commit(tx: Filing<'c>) -> StoreResult<()> {
        Savepoint::Filing.end(tx.0.0, true)
    }

    async fn rollback(tx: Filing<'c>) -> StoreResult<()> {
        Savepoint::Filing.end(tx.0.0, false)
    }
}

/// No locks to take: the writer thread runs one filing at a time, in a `BEGIN IMMEDIATE`
/// transaction that holds the database's only write lock (another instance on the same file
/// waits for it). Every other statement is the one written for both databases.
impl TicketRows for Lite<'_> {
    async fn lock_complaints(&mut self, _account_no: &str, _category: &str) -> StoreResult<()> {
        Ok(())
    }

    async fn lock_connection_requests(
        &mut self,
        _area_code: &str,
        _service: &str,
    ) -> StoreResult<()> {
        Ok(())
    }
}

impl OutageRows for Lite<'_> {
    async fn lock_origin_key(&mut self, _origin_key: &str) -> StoreResult<()> {
        Ok(())
    }

    async fn lock_filings(&mut self, _area_code: &str, _service: &str) -> StoreResult<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::pin::pin;

    use super::super::connection::{TempDatabase, all, open};
    use super::*;

    fn insert(conn: &Connection, v: i64) -> StoreResult<i64> {
        exec(conn, "INSERT INTO t (v) VALUES (?1)", [v])?;
        Ok(v)
    }

    fn values(conn: &Connection) -> StoreResult<Vec<i64>> {
        all(conn, "SELECT v FROM t ORDER BY v", [], |r| r.get(0))
    }

    /// A database with a table `t`: the file, a connection outside the writer, the writer, and
    /// a runtime to await it on.
    fn table_t() -> (TempDatabase, Connection, Writer, tokio::runtime::Runtime) {
        let db = TempDatabase::new();
        let setup = open(db.path()).unwrap();
        setup
            .execute_batch("CREATE TABLE t (v INTEGER PRIMARY KEY)")
            .unwrap();
        let writer = Writer::start(open(db.path()).unwrap()).unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        (db, setup, writer, runtime)
    }

    /// Jobs queued together run in one transaction, committed once after the last of them,
    /// and a job that fails undoes its own writes only.
    #[test]
    fn a_batch_shares_one_commit_and_a_failing_job_undoes_only_itself() {
        let (db, setup, writer, runtime) = table_t();
        let outside = db.path().to_path_buf();
        let (started, gate_started) = mpsc::channel::<()>();
        let (release, gate_released) = mpsc::channel::<()>();
        let (one, two, three, seen) = runtime.block_on(async {
            // A first job holds the thread until the others are all queued behind it.
            let mut gate = pin!(writer.write(move |_| {
                started.send(()).unwrap();
                gate_released.recv().unwrap();
                Ok(())
            }));
            std::future::poll_fn(|cx| {
                assert!(gate.as_mut().poll(cx).is_pending());
                Poll::Ready(())
            })
            .await;
            gate_started.recv().unwrap();
            let (one, two, three, seen, ()) = tokio::join!(
                writer.write(|c| insert(c, 1)),
                // Fails after writing: its own row 2 goes, not the others' rows.
                writer.write(|c| {
                    insert(c, 2)?;
                    insert(c, 1)
                }),
                writer.write(|c| insert(c, 3)),
                // The last job of the batch sees the rows of the jobs before it, still
                // uncommitted: another connection sees none of them.
                writer.write(move |c| {
                    let others = Connection::open(&outside)?;
                    Ok((values(c)?, values(&others)?))
                }),
                async { release.send(()).unwrap() },
            );
            gate.await.unwrap();
            (one, two, three, seen)
        });
        assert_eq!(one.unwrap(), 1);
        assert!(two.is_err(), "the duplicate key fails its job");
        assert_eq!(three.unwrap(), 3);
        let (inside, outside) = seen.unwrap();
        assert_eq!(inside, [1, 3]);
        assert_eq!(
            outside,
            Vec::<i64>::new(),
            "nothing committed before the batch's end"
        );
        // Every job was answered after the one commit.
        assert_eq!(values(&setup).unwrap(), [1, 3]);
        drop(writer);
    }

    #[test]
    fn a_panicking_job_fails_alone() {
        let (_db, setup, writer, runtime) = table_t();
        runtime.block_on(async {
            let failed = writer
                .write(|c| -> StoreResult<()> {
                    insert(c, 7)?;
                    panic!("boom")
                })
                .await;
            assert!(failed.unwrap_err().to_string().contains("boom"));
            assert_eq!(writer.write(|c| insert(c, 8)).await.unwrap(), 8);
        });
        assert_eq!(values(&setup).unwrap(), [8]);
    }
}
