//! Durability of the embedded store: every write it acknowledged survives `kill -9`.
//!
//! The test runs its own test binary again as a child (`child_writer`), which writes to a
//! `SqliteStore` from several tasks at once and prints each acknowledged write. The parent reads
//! some acknowledgements, SIGKILLs the child in the middle of its writes, reopens the database
//! and checks that every acknowledged write is there, with its revision.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use flotilla_storage::{Revision, SqliteStore, Storage};

/// Set (to the database path) only in the child process.
const CHILD_DB_ENV: &str = "FLOTILLA_CRASH_CHILD_DB";
const WRITERS: usize = 4;
/// Acknowledgements the parent waits for before killing the child.
const KILL_AFTER_ACKS: usize = 1000;
/// The child stops by itself after this many writes per task, should the parent be gone.
const MAX_WRITES_PER_TASK: usize = 100_000;

/// One acknowledged write, as printed by the child: `ACK <create|update> <key> <revision>`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Ack {
    update: bool,
    key: String,
    revision: Revision,
}

impl Ack {
    fn parse(line: &str) -> Option<Ack> {
        // libtest may print "test child_writer ... " on the same line before the first ack.
        let rest = &line[line.find("ACK ")? + 4..];
        let mut fields = rest.split_whitespace();
        let update = match fields.next()? {
            "create" => false,
            "update" => true,
            _ => return None,
        };
        let key = fields.next()?.to_owned();
        let revision = fields.next()?.parse().ok()?;
        Some(Ack {
            update,
            key,
            revision,
        })
    }
}

/// The child: not a test of its own (hence ignored); run only by the parent below.
#[test]
#[ignore = "helper process of acknowledged_writes_survive_sigkill"]
fn child_writer() {
    let Some(path) = std::env::var_os(CHILD_DB_ENV) else {
        return;
    };
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async move {
        let store = Arc::new(
            SqliteStore::open(&PathBuf::from(path))
                .await
                .expect("open store"),
        );
        let tasks: Vec<_> = (0..WRITERS)
            .map(|task| {
                let store = store.clone();
                tokio::spawn(async move {
                    let counter = format!("/crash/counter-{task}");
                    let mut counter_revision = store
                        .create(&counter, Bytes::from("0"))
                        .await
                        .expect("create counter")
                        .mod_revision;
                    ack("create", &counter, counter_revision);
                    for i in 0..MAX_WRITES_PER_TASK {
                        let key = format!("/crash/{task}/{i:06}");
                        let kv = store
                            .create(&key, Bytes::from(key.clone()))
                            .await
                            .expect("create");
                        ack("create", &key, kv.mod_revision);
                        let kv = store
                            .update(&counter, Bytes::from(i.to_string()), counter_revision)
                            .await
                            .expect("update");
                        counter_revision = kv.mod_revision;
                        ack("update", &counter, counter_revision);
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("writer task");
        }
    });
}

/// Print an acknowledgement; it reaches the parent before the next write starts.
fn ack(kind: &str, key: &str, revision: Revision) {
    let mut out = std::io::stdout().lock();
    // If the parent is gone there is nobody to tell: stop.
    writeln!(out, "ACK {kind} {key} {revision}").expect("parent gone");
    out.flush().expect("parent gone");
}

#[test]
fn acknowledged_writes_survive_sigkill() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("state/flotilla.db");
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "child_writer",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DB_ENV, &db)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the child writer");

    let stdout = child.stdout.take().expect("child stdout");
    let (acks_tx, acks_rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(ack) = Ack::parse(&line) {
                let _ = acks_tx.send(ack);
            }
        }
    });

    let mut acks = Vec::new();
    while acks.len() < KILL_AFTER_ACKS {
        match acks_rx.recv_timeout(Duration::from_secs(60)) {
            Ok(ack) => acks.push(ack),
            Err(err) => {
                let _ = child.kill();
                panic!(
                    "child stopped acknowledging after {} writes: {err}",
                    acks.len()
                );
            }
        }
    }
    // `Child::kill` is SIGKILL: no destructor, no flush, no checkpoint runs in the child.
    child.kill().expect("kill the child");
    let status = child.wait().expect("reap the child");
    assert_eq!(
        status.signal(),
        Some(9),
        "the child died of SIGKILL: {status}"
    );
    reader.join().expect("reader thread");
    // Lines the child printed before dying were acknowledged too.
    acks.extend(acks_rx.try_iter());

    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(verify(db, acks));
}

async fn verify(db: PathBuf, acks: Vec<Ack>) {
    let store = SqliteStore::open(&db)
        .await
        .expect("reopen after the crash");
    let current = store.current_revision().await.unwrap();
    let mut revisions: Vec<_> = acks.iter().map(|a| a.revision).collect();
    revisions.sort_unstable();
    revisions.dedup();
    assert_eq!(
        revisions.len(),
        acks.len(),
        "every acknowledged write had its own revision"
    );
    let newest = *revisions.last().expect("some acks");
    assert!(
        current >= newest,
        "current revision {current} lost acknowledged {newest}"
    );

    let mut newest_update: BTreeMap<&str, Revision> = BTreeMap::new();
    for ack in &acks {
        if ack.update {
            let entry = newest_update.entry(&ack.key).or_default();
            *entry = (*entry).max(ack.revision);
            continue;
        }
        let kv = store.get(&ack.key).await.unwrap().unwrap_or_else(|| {
            panic!(
                "acknowledged create of {} (revision {}) lost",
                ack.key, ack.revision
            )
        });
        if !ack.key.starts_with("/crash/counter-") {
            assert_eq!(kv.mod_revision, ack.revision, "{}", ack.key);
            assert_eq!(kv.value, Bytes::from(ack.key.clone()));
        }
        assert_eq!(kv.create_revision, ack.revision, "{}", ack.key);
    }
    for (key, revision) in newest_update {
        let kv = store.get(key).await.unwrap().expect("counter exists");
        // A later update may have committed without its acknowledgement being printed.
        assert!(
            kv.mod_revision >= revision,
            "{key}: acknowledged update at {revision} lost (found {})",
            kv.mod_revision
        );
    }

    // The store still works: new writes continue the revision sequence.
    let kv = store
        .create("/after-crash", Bytes::from("ok"))
        .await
        .unwrap();
    assert_eq!(kv.mod_revision, current + 1);
    eprintln!(
        "{} acknowledged writes survived SIGKILL; {} revisions were committed",
        acks.len(),
        current - 1
    );
}
