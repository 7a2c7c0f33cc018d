//! Durability of the embedded store: every write it acknowledged survives `kill -9`.
//!
//! The test runs `flotilla-crash-writer` (src/bin/crash_writer.rs) as a child, which writes to a
//! `SqliteStore` from several tasks at once and prints each acknowledged write. The parent reads
//! some acknowledgements, SIGKILLs the child in the middle of its writes, reopens the database
//! and checks that every acknowledged write is there, with its revision.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use bytes::Bytes;
use flotilla_storage::{Revision, SqliteStore, Storage};

/// Acknowledgements the parent waits for before killing the child.
const KILL_AFTER_ACKS: usize = 1000;

/// One acknowledged write, as printed by the child: `ACK <create|update> <key> <revision>`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Ack {
    update: bool,
    key: String,
    revision: Revision,
}

impl Ack {
    fn parse(line: &str) -> Option<Ack> {
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

#[test]
fn acknowledged_writes_survive_sigkill() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("state/flotilla.db");
    let mut child = Command::new(env!("CARGO_BIN_EXE_flotilla-crash-writer"))
        .arg(&db)
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
