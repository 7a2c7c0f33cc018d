//! Test support for `tests/crash.rs`: writes to an embedded store at the path given as the only
//! argument, from several tasks at once, printing `ACK <create|update> <key> <revision>` for each
//! acknowledged write — until it is killed (or after a bounded number of writes).

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use flotilla_storage::{Revision, SqliteStore, Storage};

const WRITERS: usize = 4;
/// Stop by itself after this many writes per task, should the parent be gone.
const MAX_WRITES_PER_TASK: usize = 100_000;

fn main() {
    let Some(path) = std::env::args_os().nth(1) else {
        eprintln!("usage: flotilla-crash-writer DB_PATH");
        std::process::exit(2);
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
