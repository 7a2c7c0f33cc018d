//! The embedded backend: a durable store in one SQLite file (through `rusqlite`), with no
//! external process. This is Flotilla's default.
//!
//! # Layout
//!
//! As in k3s's kine, one table is both the data and the revision log: every write appends a row
//! whose row id *is* the write's revision, holding the key, the new value, the key's create
//! revision, the revision of the row it supersedes (`prev_revision`) and a `deleted` flag
//! (a tombstone keeps the last value, so a delete event can carry it). The current value of a key
//! is its newest row; the value at revision `r` is its newest row with id `<= r`. A second table
//! (`meta`) persists the compacted revision.
//!
//! # Durability
//!
//! The database runs in WAL mode with `synchronous=FULL`: a commit returns only after the WAL is
//! fsynced, so every acknowledged write survives both `kill -9` and power loss (`NORMAL` would
//! survive a process crash but could lose the last commits on power loss). The cost of the fsync
//! is shared by group commit: a single writer thread takes every write queued while the previous
//! commit was syncing and applies them in one transaction, so throughput grows with concurrency
//! instead of being bounded by one fsync per write. A write is acknowledged only after its
//! transaction committed.
//!
//! # Reads
//!
//! Reads run on a small pool of read-only connections in `spawn_blocking`; each read is one
//! SQLite read transaction, so a list page, its revision, and the compaction check all come
//! from the same snapshot. WAL readers never block the writer or each other.
//!
//! # Watch
//!
//! After each commit the writer broadcasts the batch's events in-process. A watcher subscribes
//! to the broadcast *first*, then reads the history after `after` from the table (in pages), and
//! then follows the broadcast, skipping every event at or below the revision it has already
//! covered. Every revision is thus delivered exactly once and in order, even while writes race
//! with the watch start. Batches carry their revision range, so a watcher notices any gap (it
//! lagged behind the bounded broadcast buffer) and refills it from the table — or ends with
//! [`StorageError::Expired`] if that history has been compacted in the meantime.
//!
//! # Compaction
//!
//! `compact(c)` deletes, in bounded chunks run by the writer, every row superseded by a row
//! below `c` and every tombstone below `c`, then records `c`. Rows still needed to answer a read
//! at any revision `>= c` — and the previous value of every event at `>= c` — are kept.
//! [`crate::spawn_compactor`] runs it periodically.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use rusqlite::{
    Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior, params,
};
use tokio::sync::{Semaphore, broadcast, mpsc, oneshot};

use crate::{
    EventType, KeyValue, ListOptions, ListResult, Result, Revision, Storage, StorageError,
    WatchEvent, WatchStream, prefix_end,
};

/// The schema version written to `PRAGMA user_version`.
const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS kv (
    id              INTEGER PRIMARY KEY,  -- the revision of this write
    key             BLOB    NOT NULL,     -- UTF-8; BLOB so that ranges compare bytes
    value           BLOB    NOT NULL,     -- for a tombstone: the last value of the key
    create_revision INTEGER NOT NULL,
    prev_revision   INTEGER NOT NULL,     -- the row this one supersedes, 0 if none
    deleted         INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS kv_key_id ON kv (key, id);
CREATE TABLE IF NOT EXISTS meta (
    name  TEXT    PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
";

/// The revision of an empty store (etcd's too).
const INITIAL_REVISION: Revision = 1;

/// Writes queued while a commit is in flight are applied together, up to this many per
/// transaction (bounds the latency a single batch adds).
const MAX_BATCH: usize = 1024;

/// Committed batches buffered per watcher before it counts as lagging and falls back to the table.
const WATCH_BUFFER: usize = 1024;

/// Events read from the table per query while a watcher catches up.
const CATCH_UP_PAGE: i64 = 1000;

/// Revisions compacted per writer transaction, so compaction never stalls writes for long.
const COMPACT_CHUNK: Revision = 10_000;

/// Reads running at once, each on its own connection (kept open between reads). More would
/// only queue on the CPU and churn connections.
const MAX_READERS: usize = 8;

/// How long a connection waits for a lock held by another connection (e.g. a checkpoint).
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Knobs that tests turn to exercise rare paths (a lagging watcher, chunked compaction).
#[derive(Debug, Clone, Copy)]
struct Tuning {
    watch_buffer: usize,
    catch_up_page: i64,
    compact_chunk: Revision,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            watch_buffer: WATCH_BUFFER,
            catch_up_page: CATCH_UP_PAGE,
            compact_chunk: COMPACT_CHUNK,
        }
    }
}

/// The embedded, durable store. See the [module documentation](self) for how it works.
///
/// One `SqliteStore` owns its database file: a second open of the same file, in this process or
/// another, fails while the first is open (each assigns revisions and broadcasts watch events
/// on its own). Share the store with `Arc`. Dropping it waits for the writer to finish the writes
/// already queued.
pub struct SqliteStore {
    /// `None` only while dropping.
    writer: Option<mpsc::Sender<Command>>,
    writer_thread: Option<JoinHandle<()>>,
    events: broadcast::Sender<Arc<Batch>>,
    shared: Arc<Shared>,
    /// Holds an exclusive lock on `<database>.lock` while the store is open (released by the OS
    /// if the process dies).
    _lock: std::fs::File,
}

/// State shared by the store, its watchers and the writer thread.
struct Shared {
    path: PathBuf,
    /// Idle reader connections; at most [`MAX_READERS`], as `read_slots` bounds their use.
    readers: Mutex<Vec<Connection>>,
    read_slots: Arc<Semaphore>,
    /// The newest committed revision.
    revision: AtomicI64,
    tuning: Tuning,
}

/// The events of one committed transaction: revisions `first..=last`, all of them.
#[derive(Debug)]
struct Batch {
    first: Revision,
    last: Revision,
    events: Vec<WatchEvent>,
}

enum Command {
    Write {
        op: WriteOp,
        reply: oneshot::Sender<Result<KeyValue>>,
    },
    /// Compact towards `revision`, at most one chunk; replies with the compacted revision reached.
    Compact {
        revision: Revision,
        reply: oneshot::Sender<Result<Revision>>,
    },
}

enum WriteOp {
    Create {
        key: String,
        value: Bytes,
    },
    Update {
        key: String,
        value: Bytes,
        expected: Revision,
    },
    Delete {
        key: String,
        expected: Option<Revision>,
    },
}

fn backend(context: &'static str) -> impl Fn(rusqlite::Error) -> StorageError {
    move |err| StorageError::Backend(format!("sqlite: failed to {context}: {err}"))
}

fn writer_gone() -> StorageError {
    StorageError::Backend("sqlite: the writer thread has stopped".into())
}

impl SqliteStore {
    /// Open (or create, with its parent directories) the store at `path`.
    pub async fn open(path: &Path) -> Result<SqliteStore> {
        Self::open_tuned(path, Tuning::default()).await
    }

    async fn open_tuned(path: &Path, tuning: Tuning) -> Result<SqliteStore> {
        let path = path.to_owned();
        tokio::task::spawn_blocking(move || Self::open_blocking(path, tuning))
            .await
            .map_err(|err| StorageError::Backend(format!("sqlite: open task failed: {err}")))?
    }

    fn open_blocking(path: PathBuf, tuning: Tuning) -> Result<SqliteStore> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|err| {
                StorageError::Backend(format!(
                    "sqlite: failed to create directory {}: {err}",
                    dir.display()
                ))
            })?;
        }
        let lock = lock_exclusively(&path)?;
        let conn = Connection::open(&path).map_err(backend("open the database"))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(backend("set the busy timeout"))?;
        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "wal", |row| row.get(0))
            .map_err(backend("enable WAL mode"))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StorageError::Backend(format!(
                "sqlite: {} cannot use WAL mode (journal_mode is {mode})",
                path.display()
            )));
        }
        // FULL: fsync the WAL at every commit, so acknowledged writes survive power loss too.
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(backend("set synchronous=FULL"))?;

        let version: i64 = conn
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(backend("read the schema version"))?;
        if version > SCHEMA_VERSION {
            return Err(StorageError::Backend(format!(
                "sqlite: {} has schema version {version}, newer than this build understands \
                 ({SCHEMA_VERSION})",
                path.display()
            )));
        }
        conn.execute_batch(SCHEMA)
            .map_err(backend("create the schema"))?;
        conn.pragma_update(None, "user_version", SCHEMA_VERSION)
            .map_err(backend("write the schema version"))?;

        let revision = head_revision(&conn).map_err(backend("read the current revision"))?;
        let compacted =
            compacted_revision(&conn).map_err(backend("read the compacted revision"))?;

        let shared = Arc::new(Shared {
            path,
            readers: Mutex::new(Vec::new()),
            read_slots: Arc::new(Semaphore::new(MAX_READERS)),
            revision: AtomicI64::new(revision),
            tuning,
        });
        let (events, _) = broadcast::channel(tuning.watch_buffer);
        let (writer, commands) = mpsc::channel(MAX_BATCH);
        let mut state = Writer {
            conn,
            commands,
            events: events.clone(),
            shared: shared.clone(),
            revision,
            compacted,
        };
        let writer_thread = std::thread::Builder::new()
            .name("flotilla-sqlite-writer".into())
            .spawn(move || state.run())
            .map_err(|err| {
                StorageError::Backend(format!("sqlite: failed to start the writer thread: {err}"))
            })?;
        tracing::debug!(path = %shared.path.display(), revision, compacted, "opened sqlite store");
        Ok(SqliteStore {
            writer: Some(writer),
            writer_thread: Some(writer_thread),
            events,
            shared,
            _lock: lock,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.shared.path
    }

    /// Compact periodically; see [`crate::spawn_compactor`].
    pub fn spawn_compactor(
        self: &Arc<Self>,
        interval: Duration,
        keep_revisions: i64,
    ) -> tokio::task::JoinHandle<()> {
        crate::spawn_compactor(self, interval, keep_revisions)
    }

    async fn write(&self, op: WriteOp) -> Result<KeyValue> {
        let (reply, answer) = oneshot::channel();
        let writer = self.writer.as_ref().ok_or_else(writer_gone)?;
        writer
            .send(Command::Write { op, reply })
            .await
            .map_err(|_| writer_gone())?;
        answer.await.map_err(|_| writer_gone())?
    }
}

/// Take the store's exclusive lock (an advisory `flock` on `<database>.lock`).
fn lock_exclusively(path: &Path) -> Result<std::fs::File> {
    let mut lock_path = path.as_os_str().to_owned();
    lock_path.push(".lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|err| {
            StorageError::Backend(format!(
                "sqlite: failed to open {}: {err}",
                Path::new(&lock_path).display()
            ))
        })?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(StorageError::Backend(format!(
            "sqlite: {} is already open (in this or another process)",
            path.display()
        ))),
        Err(std::fs::TryLockError::Error(err)) => Err(StorageError::Backend(format!(
            "sqlite: failed to lock {}: {err}",
            Path::new(&lock_path).display()
        ))),
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        // Closing the queue lets the writer finish what is queued and exit; joining it means the
        // database is closed when the store is gone, so it can be reopened right away.
        self.writer.take();
        if let Some(thread) = self.writer_thread.take()
            && thread.join().is_err()
        {
            tracing::error!(path = %self.shared.path.display(), "sqlite writer thread panicked");
        }
    }
}

impl Shared {
    /// Run `f` in one read transaction on a pooled connection, off the async runtime.
    async fn read<T, F>(self: &Arc<Self>, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T> + Send + 'static,
    {
        let slot = self
            .read_slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| StorageError::Backend("sqlite: the reader pool is closed".into()))?;
        let shared = self.clone();
        tokio::task::spawn_blocking(move || {
            // Held until the connection is back in the pool, even if the caller gave up.
            let _slot = slot;
            let mut conn = shared.take_reader()?;
            let result = conn
                .transaction_with_behavior(TransactionBehavior::Deferred)
                .map_err(backend("begin a read transaction"))
                .and_then(|tx| f(&tx));
            shared.return_reader(conn);
            result
        })
        .await
        .map_err(|err| StorageError::Backend(format!("sqlite: read task failed: {err}")))?
    }

    fn take_reader(&self) -> Result<Connection> {
        if let Some(conn) = self.lock_readers().pop() {
            return Ok(conn);
        }
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(backend("open a reader connection"))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(backend("set the busy timeout"))?;
        // Readers must never write: only the writer thread assigns revisions.
        conn.pragma_update(None, "query_only", true)
            .map_err(backend("make a reader connection read-only"))?;
        Ok(conn)
    }

    fn return_reader(&self, conn: Connection) {
        self.lock_readers().push(conn);
    }

    fn lock_readers(&self) -> std::sync::MutexGuard<'_, Vec<Connection>> {
        // The pool is a plain Vec: a panic while holding the lock cannot leave it inconsistent.
        self.readers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The newest revision in the table (the newest row is never compacted away).
fn head_revision(conn: &Connection) -> rusqlite::Result<Revision> {
    conn.prepare_cached("SELECT COALESCE(MAX(id), ?1) FROM kv")?
        .query_row([INITIAL_REVISION], |row| row.get(0))
}

fn compacted_revision(conn: &Connection) -> rusqlite::Result<Revision> {
    Ok(conn
        .prepare_cached("SELECT value FROM meta WHERE name = 'compact_revision'")?
        .query_row([], |row| row.get(0))
        .optional()?
        .unwrap_or(0))
}

/// The newest row of a key.
struct Latest {
    id: Revision,
    value: Bytes,
    create_revision: Revision,
    deleted: bool,
}

fn latest_row(conn: &Connection, key: &str) -> rusqlite::Result<Option<Latest>> {
    conn.prepare_cached(
        "SELECT id, value, create_revision, deleted FROM kv WHERE key = ?1 ORDER BY id DESC LIMIT 1",
    )?
    .query_row([key.as_bytes()], |row| {
        Ok(Latest {
            id: row.get(0)?,
            value: Bytes::from(row.get::<_, Vec<u8>>(1)?),
            create_revision: row.get(2)?,
            deleted: row.get(3)?,
        })
    })
    .optional()
}

fn key_from_blob(bytes: Vec<u8>) -> rusqlite::Result<String> {
    String::from_utf8(bytes).map_err(|err| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Blob, Box::new(err))
    })
}

/// The single writer: owns the write connection and assigns revisions.
struct Writer {
    conn: Connection,
    commands: mpsc::Receiver<Command>,
    events: broadcast::Sender<Arc<Batch>>,
    shared: Arc<Shared>,
    /// The newest committed revision.
    revision: Revision,
    compacted: Revision,
}

impl Writer {
    fn run(&mut self) {
        let mut writes = Vec::new();
        while let Some(first) = self.commands.blocking_recv() {
            // Group commit: everything that queued up while the last commit was syncing goes
            // into this transaction.
            let mut next = Some(first);
            while let Some(command) = next {
                match command {
                    Command::Write { op, reply } => writes.push((op, reply)),
                    Command::Compact { revision, reply } => {
                        // Keep the order callers observed: earlier writes commit first.
                        self.commit_writes(std::mem::take(&mut writes));
                        let _ = reply.send(self.compact_chunk(revision));
                    }
                }
                next = if writes.len() < MAX_BATCH {
                    self.commands.try_recv().ok()
                } else {
                    None
                };
            }
            self.commit_writes(std::mem::take(&mut writes));
        }
        tracing::debug!(path = %self.shared.path.display(), "sqlite writer stopped");
    }

    fn commit_writes(&mut self, writes: Vec<(WriteOp, oneshot::Sender<Result<KeyValue>>)>) {
        if writes.is_empty() {
            return;
        }
        let base = self.revision;
        let (ops, replies): (Vec<_>, Vec<_>) = writes.into_iter().unzip();
        match self.apply_batch(base, ops) {
            Ok((outcomes, events)) => {
                let last = base + events.len() as Revision;
                self.revision = last;
                self.shared.revision.store(last, Ordering::Release);
                if !events.is_empty() {
                    // No receivers is fine: nobody is watching.
                    let _ = self.events.send(Arc::new(Batch {
                        first: base + 1,
                        last,
                        events,
                    }));
                }
                for (reply, outcome) in replies.into_iter().zip(outcomes) {
                    let _ = reply.send(outcome);
                }
            }
            Err(err) => {
                // The transaction rolled back: none of these writes happened.
                tracing::error!(error = %err, "sqlite write transaction failed");
                let message = format!("sqlite: write transaction failed: {err}");
                for reply in replies {
                    let _ = reply.send(Err(StorageError::Backend(message.clone())));
                }
            }
        }
    }

    /// Apply `ops` in one transaction starting after `base`. The outer error means the whole
    /// transaction failed; an inner error is one operation's rejection (it wrote nothing).
    #[allow(clippy::type_complexity)]
    fn apply_batch(
        &mut self,
        base: Revision,
        ops: Vec<WriteOp>,
    ) -> rusqlite::Result<(Vec<Result<KeyValue>>, Vec<WatchEvent>)> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut outcomes = Vec::with_capacity(ops.len());
        let mut events = Vec::with_capacity(ops.len());
        let mut revision = base;
        for op in ops {
            match apply_op(&tx, revision + 1, op)? {
                Ok(event) => {
                    revision += 1;
                    let kv = event.kv.clone();
                    outcomes.push(Ok(kv));
                    events.push(event);
                }
                Err(rejected) => outcomes.push(Err(rejected)),
            }
        }
        tx.commit()?;
        Ok((outcomes, events))
    }

    /// One compaction step towards `target`; returns the compacted revision reached.
    fn compact_chunk(&mut self, target: Revision) -> Result<Revision> {
        if target > self.revision {
            return Err(StorageError::Backend(format!(
                "cannot compact at revision {target}: newer than the current revision {}",
                self.revision
            )));
        }
        if target <= self.compacted {
            return Ok(self.compacted);
        }
        let from = self.compacted;
        let to = target.min(from.saturating_add(self.shared.tuning.compact_chunk));
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(backend("begin a compaction"))?;
        // Rows superseded below `to` are needed by no read at `>= to` and by no event at `>= to`
        // (an event's previous value is the row it supersedes). Rows superseded by rows below
        // `from` went in earlier steps. The superseded rows must go before the tombstones below
        // `to`: a tombstone's `prev_revision` names the row it superseded.
        let superseded = tx
            .execute(
                "DELETE FROM kv WHERE id IN \
                 (SELECT prev_revision FROM kv WHERE id >= ?1 AND id < ?2 AND prev_revision > 0)",
                params![from, to],
            )
            .map_err(backend("delete superseded rows"))?;
        let tombstones = tx
            .execute(
                "DELETE FROM kv WHERE id >= ?1 AND id < ?2 AND deleted = 1",
                params![from, to],
            )
            .map_err(backend("delete tombstones"))?;
        tx.execute(
            "INSERT INTO meta (name, value) VALUES ('compact_revision', ?1) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            [to],
        )
        .map_err(backend("record the compacted revision"))?;
        tx.commit().map_err(backend("commit a compaction"))?;
        self.compacted = to;
        tracing::debug!(
            revision = to,
            superseded,
            tombstones,
            "compacted sqlite store"
        );
        Ok(to)
    }
}

/// Apply one write at `revision` inside the batch transaction.
fn apply_op(
    tx: &Transaction<'_>,
    revision: Revision,
    op: WriteOp,
) -> rusqlite::Result<Result<WatchEvent>> {
    let (key, value, expected, kind) = match op {
        WriteOp::Create { key, value } => (key, Some(value), None, EventType::Created),
        WriteOp::Update {
            key,
            value,
            expected,
        } => (key, Some(value), Some(expected), EventType::Modified),
        WriteOp::Delete { key, expected } => (key, None, expected, EventType::Deleted),
    };
    let latest = latest_row(tx, &key)?;
    let live = latest.filter(|l| !l.deleted);
    let prev_revision = live.as_ref().map_or(0, |l| l.id);
    let prev = match (kind, live) {
        (EventType::Created, Some(_)) => return Ok(Err(StorageError::AlreadyExists { key })),
        (EventType::Created, None) => None,
        (_, None) => return Ok(Err(StorageError::NotFound { key })),
        (_, Some(live)) => {
            if let Some(expected) = expected
                && expected != live.id
            {
                return Ok(Err(StorageError::Conflict {
                    key,
                    expected,
                    actual: live.id,
                }));
            }
            Some(KeyValue {
                key: key.clone(),
                value: live.value,
                create_revision: live.create_revision,
                mod_revision: live.id,
            })
        }
    };
    let create_revision = prev.as_ref().map_or(revision, |p| p.create_revision);
    // A tombstone keeps the last value so that a delete event can carry it.
    let value = match (value, &prev) {
        (Some(value), _) => value,
        (None, Some(prev)) => prev.value.clone(),
        (None, None) => Bytes::new(),
    };
    tx.prepare_cached(
        "INSERT INTO kv (id, key, value, create_revision, prev_revision, deleted) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        revision,
        key.as_bytes(),
        value.as_ref(),
        create_revision,
        prev_revision,
        kind == EventType::Deleted,
    ])?;
    Ok(Ok(WatchEvent {
        event_type: kind,
        kv: KeyValue {
            key,
            value,
            create_revision,
            mod_revision: revision,
        },
        prev,
    }))
}

/// `key >= lower` (or `>` when `exclusive`) and, if any, `key < upper`.
struct KeyRange {
    lower: Vec<u8>,
    exclusive: bool,
    upper: Option<Vec<u8>>,
}

impl KeyRange {
    fn prefix(prefix: &str) -> KeyRange {
        KeyRange {
            lower: prefix.as_bytes().to_vec(),
            exclusive: false,
            upper: prefix_end(prefix.as_bytes()),
        }
    }

    /// Narrow the lower bound to keys strictly after `key`.
    fn after(mut self, key: &str) -> KeyRange {
        if key.as_bytes() >= self.lower.as_slice() {
            self.lower = key.as_bytes().to_vec();
            self.exclusive = true;
        }
        self
    }

    /// SQL conditions on column `col`, binding `?lower` and `?upper`.
    fn sql(&self, col: &str) -> String {
        let op = if self.exclusive { ">" } else { ">=" };
        match self.upper {
            Some(_) => format!("{col} {op} ?1 AND {col} < ?2"),
            None => format!("{col} {op} ?1 AND ?2 IS NULL"),
        }
    }
}

fn list_at(tx: &Transaction<'_>, opts: &ListOptions) -> Result<ListResult> {
    let head = head_revision(tx).map_err(backend("read the current revision"))?;
    let compacted = compacted_revision(tx).map_err(backend("read the compacted revision"))?;
    let revision = opts.revision.filter(|r| *r > 0).unwrap_or(head);
    if revision < compacted {
        return Err(StorageError::Expired {
            requested: revision,
            compacted,
        });
    }
    if revision > head {
        return Err(StorageError::Backend(format!(
            "revision {revision} is newer than the current revision {head}"
        )));
    }
    let mut range = KeyRange::prefix(&opts.prefix);
    if let Some(start_after) = &opts.start_after {
        range = range.after(start_after);
    }
    let limit = opts.limit.filter(|l| *l > 0);
    // One more than asked tells whether there are more.
    let fetch = limit.map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX - 1) + 1);

    // The newest row of each key at `revision`, if it is not a tombstone. The index on (key, id)
    // yields keys in order, so the scan stops after `fetch` keys.
    let sql = format!(
        "SELECT k.key, k.id, k.value, k.create_revision FROM kv AS k \
         WHERE {} AND k.id <= ?3 AND k.deleted = 0 \
           AND k.id = (SELECT MAX(l.id) FROM kv AS l WHERE l.key = k.key AND l.id <= ?3) \
         ORDER BY k.key LIMIT ?4",
        range.sql("k.key")
    );
    let mut stmt = tx.prepare_cached(&sql).map_err(backend("prepare a list"))?;
    let rows = stmt
        .query_map(params![range.lower, range.upper, revision, fetch], |row| {
            Ok(KeyValue {
                key: key_from_blob(row.get(0)?)?,
                mod_revision: row.get(1)?,
                value: Bytes::from(row.get::<_, Vec<u8>>(2)?),
                create_revision: row.get(3)?,
            })
        })
        .map_err(backend("list keys"))?;
    let mut items = rows
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(backend("list keys"))?;
    let more = limit.is_some_and(|l| items.len() > l);
    let remaining = if more {
        items.truncate(limit.unwrap_or(items.len()));
        let last = items.last().map(|kv| kv.key.clone()).unwrap_or_default();
        let rest = KeyRange::prefix(&opts.prefix).after(&last);
        let sql = format!(
            "SELECT COUNT(*) FROM kv AS k \
             WHERE {} AND k.id <= ?3 AND k.deleted = 0 \
               AND k.id = (SELECT MAX(l.id) FROM kv AS l WHERE l.key = k.key AND l.id <= ?3)",
            rest.sql("k.key")
        );
        tx.prepare_cached(&sql)
            .and_then(|mut stmt| {
                stmt.query_row(params![rest.lower, rest.upper, revision], |row| row.get(0))
            })
            .map_err(backend("count the remaining keys"))?
    } else {
        0
    };
    Ok(ListResult {
        items,
        revision,
        more,
        remaining: Some(remaining),
    })
}

/// One page of history for a watcher: events under `prefix` after `after`, at most `page`.
struct HistoryPage {
    events: Vec<WatchEvent>,
    /// The newest revision of the snapshot the page was read from.
    head: Revision,
    compacted: Revision,
}

fn history_page(
    tx: &Transaction<'_>,
    prefix: &str,
    after: Revision,
    page: i64,
) -> Result<HistoryPage> {
    let head = head_revision(tx).map_err(backend("read the current revision"))?;
    let compacted = compacted_revision(tx).map_err(backend("read the compacted revision"))?;
    if after < compacted - 1 {
        return Ok(HistoryPage {
            events: Vec::new(),
            head,
            compacted,
        });
    }
    let range = KeyRange::prefix(prefix);
    let sql = format!(
        "SELECT k.id, k.key, k.value, k.create_revision, k.deleted, \
                p.id, p.value, p.create_revision, p.deleted \
         FROM kv AS k LEFT JOIN kv AS p ON p.id = k.prev_revision \
         WHERE k.id > ?3 AND {} ORDER BY k.id LIMIT ?4",
        range.sql("k.key")
    );
    let mut stmt = tx
        .prepare_cached(&sql)
        .map_err(backend("prepare a history read"))?;
    let rows = stmt
        .query_map(params![range.lower, range.upper, after, page], |row| {
            let id: Revision = row.get(0)?;
            let key = key_from_blob(row.get(1)?)?;
            let kv = KeyValue {
                key: key.clone(),
                value: Bytes::from(row.get::<_, Vec<u8>>(2)?),
                create_revision: row.get(3)?,
                mod_revision: id,
            };
            let deleted: bool = row.get(4)?;
            // The superseded row; absent for a creation (or a re-creation after a tombstone).
            let prev = match (
                row.get::<_, Option<Revision>>(5)?,
                row.get::<_, Option<bool>>(8)?,
            ) {
                (Some(prev_id), Some(false)) => Some(KeyValue {
                    key,
                    value: Bytes::from(row.get::<_, Vec<u8>>(6)?),
                    create_revision: row.get(7)?,
                    mod_revision: prev_id,
                }),
                _ => None,
            };
            let event_type = if deleted {
                EventType::Deleted
            } else if kv.create_revision == id {
                EventType::Created
            } else {
                EventType::Modified
            };
            let prev = if event_type == EventType::Created {
                None
            } else {
                prev
            };
            Ok(WatchEvent {
                event_type,
                kv,
                prev,
            })
        })
        .map_err(backend("read history"))?;
    let events = rows
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(backend("read history"))?;
    Ok(HistoryPage {
        events,
        head,
        compacted,
    })
}

/// The state of one watch stream; see the module docs for the protocol.
struct Watcher {
    shared: Arc<Shared>,
    prefix: String,
    rx: broadcast::Receiver<Arc<Batch>>,
    /// Every event at or below this revision has been queued (or did not match the prefix).
    seen: Revision,
    /// History must be read from the table before following the broadcast again.
    catching_up: bool,
    pending: VecDeque<WatchEvent>,
    done: bool,
}

impl Watcher {
    /// Read the next page of history after `seen` from the table.
    async fn catch_up_page(&mut self) -> Result<()> {
        let prefix = self.prefix.clone();
        let after = self.seen;
        let page_size = self.shared.tuning.catch_up_page;
        let page = self
            .shared
            .read(move |tx| history_page(tx, &prefix, after, page_size))
            .await?;
        if after < page.compacted - 1 {
            return Err(StorageError::Expired {
                requested: after,
                compacted: page.compacted,
            });
        }
        match page.events.last() {
            // A full page: there may be more before the snapshot's head.
            Some(last) if page.events.len() as i64 >= page_size => self.seen = last.revision(),
            _ => {
                // `seen` may be above the head when watching from a future revision.
                self.seen = self.seen.max(page.head);
                self.catching_up = false;
            }
        }
        self.pending.extend(page.events);
        Ok(())
    }

    async fn next(&mut self) -> Option<Result<WatchEvent>> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Some(Ok(event));
            }
            if self.done {
                return None;
            }
            if self.catching_up {
                if let Err(err) = self.catch_up_page().await {
                    self.done = true;
                    return Some(Err(err));
                }
                continue;
            }
            let batch = match self.rx.recv().await {
                Ok(batch) => batch,
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::debug!(prefix = %self.prefix, missed, "sqlite watcher lagged; reading history");
                    self.catching_up = true;
                    continue;
                }
                Err(broadcast::error::RecvError::Closed) => {
                    self.done = true;
                    return Some(Err(StorageError::Backend(
                        "sqlite: the store was closed".into(),
                    )));
                }
            };
            if batch.last <= self.seen {
                // Already read from the table.
                continue;
            }
            if batch.first > self.seen + 1 {
                // Something between `seen` and this batch was missed: the table has it (and
                // this batch too, since it is committed).
                self.catching_up = true;
                continue;
            }
            let seen = self.seen;
            self.pending.extend(
                batch
                    .events
                    .iter()
                    .filter(|e| e.revision() > seen && e.kv.key.starts_with(&self.prefix))
                    .cloned(),
            );
            self.seen = batch.last;
        }
    }
}

#[async_trait]
impl Storage for SqliteStore {
    async fn create(&self, key: &str, value: Bytes) -> Result<KeyValue> {
        self.write(WriteOp::Create {
            key: key.to_owned(),
            value,
        })
        .await
    }

    async fn get(&self, key: &str) -> Result<Option<KeyValue>> {
        let key = key.to_owned();
        self.shared
            .read(move |tx| {
                let latest = latest_row(tx, &key).map_err(backend("read a key"))?;
                Ok(latest.filter(|l| !l.deleted).map(|l| KeyValue {
                    key,
                    value: l.value,
                    create_revision: l.create_revision,
                    mod_revision: l.id,
                }))
            })
            .await
    }

    async fn list(&self, opts: &ListOptions) -> Result<ListResult> {
        let opts = opts.clone();
        self.shared.read(move |tx| list_at(tx, &opts)).await
    }

    async fn update(
        &self,
        key: &str,
        value: Bytes,
        expected_revision: Revision,
    ) -> Result<KeyValue> {
        self.write(WriteOp::Update {
            key: key.to_owned(),
            value,
            expected: expected_revision,
        })
        .await
    }

    async fn delete(&self, key: &str, expected_revision: Option<Revision>) -> Result<KeyValue> {
        self.write(WriteOp::Delete {
            key: key.to_owned(),
            expected: expected_revision,
        })
        .await
    }

    async fn watch(&self, prefix: &str, after: Revision) -> Result<WatchStream> {
        // Subscribe before reading history: every commit is then either in what the history
        // read sees or in the broadcast (or both; duplicates are skipped by revision).
        let rx = self.events.subscribe();
        let mut watcher = Watcher {
            shared: self.shared.clone(),
            prefix: prefix.to_owned(),
            rx,
            seen: after.max(0),
            catching_up: true,
            pending: VecDeque::new(),
            done: false,
        };
        // The first page is read now, so that a compacted `after` fails the call itself.
        watcher.catch_up_page().await?;
        Ok(Box::pin(futures::stream::unfold(
            watcher,
            |mut watcher| async move { watcher.next().await.map(|item| (item, watcher)) },
        )))
    }

    async fn current_revision(&self) -> Result<Revision> {
        Ok(self.shared.revision.load(Ordering::Acquire))
    }

    async fn compact(&self, revision: Revision) -> Result<()> {
        // Chunk by chunk, so that writes queued meanwhile interleave with the compaction.
        loop {
            let (reply, answer) = oneshot::channel();
            let writer = self.writer.as_ref().ok_or_else(writer_gone)?;
            writer
                .send(Command::Compact { revision, reply })
                .await
                .map_err(|_| writer_gone())?;
            let reached = answer.await.map_err(|_| writer_gone())??;
            if reached >= revision {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use futures::StreamExt;

    use super::*;

    async fn open(dir: &tempfile::TempDir, tuning: Tuning) -> SqliteStore {
        SqliteStore::open_tuned(&dir.path().join("nested/dir/flotilla.db"), tuning)
            .await
            .expect("open store")
    }

    fn bytes(s: &str) -> Bytes {
        Bytes::from(s.to_owned())
    }

    fn row_count(store: &SqliteStore) -> i64 {
        let conn = Connection::open(store.path()).expect("open db");
        conn.query_row("SELECT COUNT(*) FROM kv", [], |row| row.get(0))
            .expect("count rows")
    }

    #[tokio::test]
    async fn open_creates_directories_and_starts_at_revision_one() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir, Tuning::default()).await;
        assert!(store.path().exists());
        assert_eq!(store.current_revision().await.unwrap(), INITIAL_REVISION);
        let kv = store.create("/a", bytes("1")).await.unwrap();
        assert_eq!(kv.mod_revision, INITIAL_REVISION + 1);
    }

    #[tokio::test]
    async fn a_database_is_open_in_one_store_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let first = open(&dir, Tuning::default()).await;
        let second = SqliteStore::open(first.path()).await;
        assert!(
            matches!(&second, Err(StorageError::Backend(msg)) if msg.contains("already open")),
            "{:?}",
            second.err()
        );
        let path = first.path().to_owned();
        drop(first);
        SqliteStore::open(&path).await.expect("reopen once closed");
    }

    #[tokio::test]
    async fn revision_and_compaction_survive_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let (head, a) = {
            let store = open(&dir, Tuning::default()).await;
            let a = store.create("/a", bytes("1")).await.unwrap();
            let a = store
                .update("/a", bytes("2"), a.mod_revision)
                .await
                .unwrap();
            store.create("/b", bytes("1")).await.unwrap();
            // The newest row is a tombstone, and the compaction reaches it.
            let head = store.delete("/b", None).await.unwrap().mod_revision;
            store.compact(head).await.unwrap();
            (head, a)
        };
        let store = open(&dir, Tuning::default()).await;
        assert_eq!(store.current_revision().await.unwrap(), head);
        let expired = store
            .list(&ListOptions {
                revision: Some(head - 1),
                ..Default::default()
            })
            .await;
        assert!(
            matches!(expired, Err(StorageError::Expired { compacted, .. }) if compacted == head),
            "{expired:?}"
        );
        assert_eq!(store.get("/a").await.unwrap(), Some(a));
        // Revisions are never reused, even though compaction removed rows.
        assert_eq!(
            store.create("/c", bytes("1")).await.unwrap().mod_revision,
            head + 1
        );
    }

    #[tokio::test]
    async fn compaction_removes_superseded_rows_and_tombstones_only() {
        let dir = tempfile::tempdir().unwrap();
        // A tiny chunk makes one compaction take several writer transactions.
        let store = open(
            &dir,
            Tuning {
                compact_chunk: 3,
                ..Tuning::default()
            },
        )
        .await;
        let mut rev = store
            .create("/keep", bytes("0"))
            .await
            .unwrap()
            .mod_revision;
        for i in 1..=10 {
            rev = store
                .update("/keep", bytes(&i.to_string()), rev)
                .await
                .unwrap()
                .mod_revision;
        }
        store.create("/gone", bytes("x")).await.unwrap();
        store.delete("/gone", None).await.unwrap();
        let untouched = store.create("/untouched", bytes("u")).await.unwrap();
        assert_eq!(row_count(&store), 11 + 2 + 1);

        let head = store.current_revision().await.unwrap();
        store.compact(head).await.unwrap();
        // Left: the newest /keep row and /untouched (the tombstone of /gone was below `head`).
        assert_eq!(row_count(&store), 2);
        let list = store.list(&ListOptions::default()).await.unwrap();
        let keys: Vec<_> = list.items.iter().map(|kv| kv.key.as_str()).collect();
        assert_eq!(keys, ["/keep", "/untouched"]);
        assert_eq!(list.items[0].value, bytes("10"));
        assert_eq!(list.items[1], untouched);
    }

    #[tokio::test]
    async fn compaction_keeps_the_previous_value_of_retained_events() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir, Tuning::default()).await;
        let v1 = store.create("/k", bytes("1")).await.unwrap();
        let v2 = store
            .update("/k", bytes("2"), v1.mod_revision)
            .await
            .unwrap();
        store.compact(v2.mod_revision).await.unwrap();
        let mut watch = store.watch("/k", v2.mod_revision - 1).await.unwrap();
        let event = watch.next().await.unwrap().unwrap();
        assert_eq!(event.kv, v2);
        assert_eq!(event.prev, Some(v1));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn lagging_watcher_catches_up_from_the_table() {
        let dir = tempfile::tempdir().unwrap();
        // A 2-batch broadcast buffer and 3-event history pages force both fallback paths.
        let store = open(
            &dir,
            Tuning {
                watch_buffer: 2,
                catch_up_page: 3,
                ..Tuning::default()
            },
        )
        .await;
        let start = store.current_revision().await.unwrap();
        let mut watch = store.watch("/lag/", start).await.unwrap();
        let mut expected = Vec::new();
        for i in 0..25 {
            let kv = store
                .create(&format!("/lag/{i:02}"), bytes("v"))
                .await
                .unwrap();
            store
                .create(&format!("/other/{i:02}"), bytes("v"))
                .await
                .unwrap();
            expected.push(kv.mod_revision);
        }
        let mut got = Vec::new();
        while got.len() < expected.len() {
            let event = tokio::time::timeout(Duration::from_secs(10), watch.next())
                .await
                .expect("watch stalled")
                .expect("watch ended")
                .expect("watch failed");
            got.push(event.revision());
        }
        assert_eq!(got, expected);
    }

    #[tokio::test]
    async fn lagging_watcher_behind_a_compaction_ends_with_expired() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(
            &dir,
            Tuning {
                watch_buffer: 2,
                ..Tuning::default()
            },
        )
        .await;
        let start = store.current_revision().await.unwrap();
        let mut watch = store.watch("/", start).await.unwrap();
        let mut rev = store.create("/k", bytes("0")).await.unwrap().mod_revision;
        for i in 1..10 {
            rev = store
                .update("/k", bytes(&i.to_string()), rev)
                .await
                .unwrap()
                .mod_revision;
        }
        store.compact(rev).await.unwrap();
        match watch.next().await {
            Some(Err(StorageError::Expired {
                requested,
                compacted,
            })) => {
                assert_eq!(requested, start);
                assert_eq!(compacted, rev);
            }
            other => panic!("expected Expired, got {other:?}"),
        }
        assert!(
            watch.next().await.is_none(),
            "the stream ends after Expired"
        );
    }

    #[tokio::test]
    async fn group_commit_assigns_consecutive_revisions_to_concurrent_writes() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(open(&dir, Tuning::default()).await);
        let writes = (0..200).map(|i| {
            let store = store.clone();
            async move { store.create(&format!("/g/{i}"), bytes("v")).await }
        });
        let mut revisions: Vec<_> = futures::future::join_all(writes)
            .await
            .into_iter()
            .map(|r| r.expect("create").mod_revision)
            .collect();
        revisions.sort_unstable();
        let expected: Vec<_> = (INITIAL_REVISION + 1..=INITIAL_REVISION + 200).collect();
        assert_eq!(revisions, expected);
    }

    #[tokio::test]
    async fn rejected_writes_in_a_batch_do_not_consume_revisions() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(open(&dir, Tuning::default()).await);
        store.create("/dup", bytes("v")).await.unwrap();
        let attempts = (0..20).map(|_| {
            let store = store.clone();
            async move { store.create("/dup", bytes("again")).await }
        });
        for result in futures::future::join_all(attempts).await {
            assert!(matches!(result, Err(StorageError::AlreadyExists { .. })));
        }
        let next = store.create("/next", bytes("v")).await.unwrap();
        assert_eq!(next.mod_revision, INITIAL_REVISION + 2);
    }

    #[tokio::test]
    async fn list_query_uses_the_key_index() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir, Tuning::default()).await;
        let conn = Connection::open(store.path()).unwrap();
        let range = KeyRange::prefix("/registry/pods/");
        let plan: Vec<String> = conn
            .prepare(&format!(
                "EXPLAIN QUERY PLAN SELECT k.key FROM kv AS k WHERE {} AND k.id <= ?3 \
                 AND k.deleted = 0 AND k.id = (SELECT MAX(l.id) FROM kv AS l \
                 WHERE l.key = k.key AND l.id <= ?3) ORDER BY k.key LIMIT ?4",
                range.sql("k.key")
            ))
            .unwrap()
            .query_map(params![range.lower, range.upper, 10, 10], |row| row.get(3))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert!(
            plan.iter().all(|step| !step.contains("TEMP B-TREE")),
            "list must not sort: {plan:?}"
        );
        assert!(
            plan.iter().any(|step| step.contains("kv_key_id")),
            "list must use the key index: {plan:?}"
        );
    }

    /// Model-based check: random writes and compactions against the embedded store and against
    /// a plain in-memory history must agree on every outcome, on a list at every revision, and
    /// on a watch replay from every retained revision.
    mod model {
        use std::collections::BTreeMap;

        use proptest::prelude::*;

        use super::*;

        const KEYS: [&str; 4] = ["/a", "/b", "/c/x", "/c/y"];

        #[derive(Debug, Clone)]
        enum Op {
            Create(usize),
            /// With the key's current revision (`true`) or a stale one.
            Update(usize, bool),
            /// Unguarded (`None`), or guarded with the current or a stale revision.
            Delete(usize, Option<bool>),
            /// Compact somewhere in the history, chosen by the byte.
            Compact(u8),
        }

        fn op() -> impl Strategy<Value = Op> {
            prop_oneof![
                3 => (0..KEYS.len()).prop_map(Op::Create),
                3 => (0..KEYS.len(), any::<bool>()).prop_map(|(k, fresh)| Op::Update(k, fresh)),
                2 => (0..KEYS.len(), proptest::option::of(any::<bool>()))
                    .prop_map(|(k, guard)| Op::Delete(k, guard)),
                1 => any::<u8>().prop_map(Op::Compact),
            ]
        }

        #[derive(Default)]
        struct Model {
            revision: Revision,
            compacted: Revision,
            live: BTreeMap<String, KeyValue>,
            /// The live keys after each revision.
            states: BTreeMap<Revision, BTreeMap<String, KeyValue>>,
            events: Vec<WatchEvent>,
        }

        impl Model {
            fn new() -> Model {
                let mut model = Model {
                    revision: INITIAL_REVISION,
                    ..Model::default()
                };
                model.states.insert(INITIAL_REVISION, BTreeMap::new());
                model
            }

            /// Apply a write that the model accepted; returns the new key-value.
            fn commit(&mut self, event_type: EventType, key: &str) -> KeyValue {
                self.revision += 1;
                let prev = self.live.get(key).cloned();
                let kv = match (event_type, &prev) {
                    (EventType::Deleted, Some(prev)) => KeyValue {
                        mod_revision: self.revision,
                        ..prev.clone()
                    },
                    _ => KeyValue {
                        key: key.to_owned(),
                        value: Bytes::from(format!("v{}", self.revision)),
                        create_revision: prev.as_ref().map_or(self.revision, |p| p.create_revision),
                        mod_revision: self.revision,
                    },
                };
                if event_type == EventType::Deleted {
                    self.live.remove(key);
                } else {
                    self.live.insert(key.to_owned(), kv.clone());
                }
                self.states.insert(self.revision, self.live.clone());
                self.events.push(WatchEvent {
                    event_type,
                    kv: kv.clone(),
                    prev,
                });
                kv
            }
        }

        async fn check(ops: Vec<Op>) {
            let dir = tempfile::tempdir().unwrap();
            let store = open(&dir, Tuning::default()).await;
            let mut model = Model::new();
            for op in ops {
                match op {
                    Op::Create(k) => {
                        let key = KEYS[k];
                        let got = store
                            .create(key, Bytes::from(format!("v{}", model.revision + 1)))
                            .await;
                        if model.live.contains_key(key) {
                            assert!(
                                matches!(got, Err(StorageError::AlreadyExists { .. })),
                                "{got:?}"
                            );
                        } else {
                            assert_eq!(got.unwrap(), model.commit(EventType::Created, key));
                        }
                    }
                    Op::Update(k, fresh) => {
                        let key = KEYS[k];
                        let current = model.live.get(key).map(|kv| kv.mod_revision);
                        let expected = match current {
                            Some(rev) if fresh => rev,
                            Some(rev) => rev - 1,
                            None => model.revision,
                        };
                        let value = Bytes::from(format!("v{}", model.revision + 1));
                        let got = store.update(key, value, expected).await;
                        match current {
                            None => assert!(
                                matches!(got, Err(StorageError::NotFound { .. })),
                                "{got:?}"
                            ),
                            Some(_) if !fresh => {
                                assert!(
                                    matches!(got, Err(StorageError::Conflict { .. })),
                                    "{got:?}"
                                )
                            }
                            Some(_) => {
                                assert_eq!(got.unwrap(), model.commit(EventType::Modified, key))
                            }
                        }
                    }
                    Op::Delete(k, guard) => {
                        let key = KEYS[k];
                        let current = model.live.get(key).map(|kv| kv.mod_revision);
                        let expected = guard.map(|fresh| match current {
                            Some(rev) if fresh => rev,
                            Some(rev) => rev - 1,
                            None => model.revision,
                        });
                        let got = store.delete(key, expected).await;
                        match (current, guard) {
                            (None, _) => assert!(
                                matches!(got, Err(StorageError::NotFound { .. })),
                                "{got:?}"
                            ),
                            (Some(_), Some(false)) => {
                                assert!(
                                    matches!(got, Err(StorageError::Conflict { .. })),
                                    "{got:?}"
                                )
                            }
                            _ => assert_eq!(got.unwrap(), model.commit(EventType::Deleted, key)),
                        }
                    }
                    Op::Compact(at) => {
                        let target = 1 + Revision::from(at) % model.revision;
                        store.compact(target).await.unwrap();
                        model.compacted = model.compacted.max(target);
                    }
                }
            }
            assert_eq!(store.current_revision().await.unwrap(), model.revision);

            for (&revision, state) in &model.states {
                let list = |prefix: &str| ListOptions {
                    prefix: prefix.into(),
                    revision: Some(revision),
                    ..ListOptions::default()
                };
                let got = store.list(&list("")).await;
                if revision < model.compacted {
                    assert!(
                        matches!(got, Err(StorageError::Expired { .. })),
                        "list at {revision}: {got:?}"
                    );
                    continue;
                }
                let want: Vec<_> = state.values().cloned().collect();
                assert_eq!(got.unwrap().items, want, "list at {revision}");
                let got = store.list(&list("/c/")).await.unwrap().items;
                let want: Vec<_> = state
                    .values()
                    .filter(|kv| kv.key.starts_with("/c/"))
                    .cloned()
                    .collect();
                assert_eq!(got, want, "list /c/ at {revision}");
            }

            for after in 0..=model.revision {
                let watch = store.watch("", after).await;
                if after < model.compacted - 1 {
                    assert!(
                        matches!(watch, Err(StorageError::Expired { .. })),
                        "watch after {after}"
                    );
                    continue;
                }
                let want: Vec<_> = model
                    .events
                    .iter()
                    .filter(|e| e.revision() > after)
                    .cloned()
                    .collect();
                let got: Vec<_> = watch
                    .unwrap()
                    .take(want.len())
                    .map(|e| e.unwrap())
                    .collect()
                    .await;
                assert_eq!(got, want, "watch after {after}");
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(48))]

            #[test]
            fn store_agrees_with_an_in_memory_history(ops in proptest::collection::vec(op(), 1..40)) {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap()
                    .block_on(check(ops));
            }
        }
    }
}
