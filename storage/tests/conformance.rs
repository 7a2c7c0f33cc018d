//! The storage conformance suite: one set of behaviours every backend must have, written once
//! over `Arc<dyn Storage>` and instantiated for each backend by `conformance!` (the idea of
//! kube-apiserver's `pkg/storage/testing/store_tests.go`).
//!
//! The etcd instance runs a real etcd per test (`testing::EtcdProcess`); without an etcd binary
//! those tests print how to install it and pass, unless `CI=true`, where they fail.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use flotilla_storage::testing::EtcdProcess;
use flotilla_storage::{
    EtcdStore, EventType, KeyValue, ListOptions, Revision, SqliteStore, Storage, StorageError,
    WatchEvent, WatchStream,
};
use futures::StreamExt;

/// Generous bound for anything a test waits for; hitting it is a failure, not a pause.
const WAIT: Duration = Duration::from_secs(20);

/// A backend under test plus whatever keeps it alive (a temp dir, an etcd process).
struct Backend {
    store: Arc<dyn Storage>,
    _guard: Box<dyn Send>,
}

async fn sqlite() -> Option<Backend> {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(&dir.path().join("flotilla.db"))
        .await
        .expect("open sqlite store");
    Some(Backend {
        store: Arc::new(store),
        _guard: Box::new(dir),
    })
}

async fn etcd() -> Option<Backend> {
    let etcd = EtcdProcess::start_or_skip().await?;
    // A prefix, as in production: keys outside it must be invisible.
    let store = EtcdStore::connect(&etcd.endpoints(), "/flotilla-test")
        .await
        .expect("connect to etcd");
    Some(Backend {
        store: Arc::new(store),
        _guard: Box::new(etcd),
    })
}

/// Instantiate every conformance test for one backend as `mod $backend { #[tokio::test] .. }`.
macro_rules! conformance {
    ($backend:ident: $($test:ident),* $(,)?) => {
        mod $backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    if let Some(backend) = super::$backend().await {
                        super::$test(backend.store.clone()).await;
                    }
                }
            )*
        }
    };
}

macro_rules! conformance_suite {
    ($($backend:ident),*) => {
        $(
            conformance!($backend:
                create_of_an_existing_key_is_already_exists,
                stale_revision_is_a_conflict,
                missing_key_is_not_found,
                revisions_strictly_increase,
                concurrent_read_modify_write_loses_no_update,
                list_is_in_key_order_and_limited_to_the_prefix,
                list_pages_stay_consistent_at_one_revision,
                list_at_an_old_revision_shows_that_revision,
                watch_delivers_every_change_in_order,
                watch_from_any_retained_revision_replays_history,
                watch_started_during_writes_has_no_gap,
                slow_watcher_loses_nothing,
                compacted_revision_is_expired,
                background_compactor_forgets_old_history,
            );
        )*
    };
}

conformance_suite!(sqlite, etcd);

// ---------------------------------------------------------------------------------------------
// Helpers

fn bytes(s: &str) -> Bytes {
    Bytes::from(s.to_owned())
}

async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(WAIT, future)
        .await
        .unwrap_or_else(|_| panic!("timed out after {WAIT:?} waiting for {what}"))
}

/// The next `n` events of a watch (failing on an error, the end of the stream, or a stall).
async fn next_events(watch: &mut WatchStream, n: usize) -> Vec<WatchEvent> {
    let mut events = Vec::with_capacity(n);
    while events.len() < n {
        let event = within("watch events", watch.next())
            .await
            .unwrap_or_else(|| panic!("watch ended after {} of {n} events", events.len()))
            .unwrap_or_else(|err| {
                panic!("watch failed after {} of {n} events: {err}", events.len())
            });
        events.push(event);
    }
    events
}

/// A watch from a compacted revision fails right away or as its first item.
async fn assert_watch_expired(store: &dyn Storage, prefix: &str, after: Revision) {
    match store.watch(prefix, after).await {
        Err(StorageError::Expired { .. }) => {}
        Err(err) => panic!("watch after {after}: expected Expired, got {err}"),
        Ok(mut watch) => match within("a compacted watch to fail", watch.next()).await {
            Some(Err(StorageError::Expired { .. })) => {}
            other => panic!("watch after {after}: expected Expired, got {other:?}"),
        },
    }
}

async fn list_all(store: &dyn Storage, prefix: &str, revision: Option<Revision>) -> Vec<KeyValue> {
    store
        .list(&ListOptions {
            prefix: prefix.into(),
            revision,
            ..Default::default()
        })
        .await
        .expect("list")
        .items
}

/// What a list should show: key → (value, create_revision, mod_revision).
fn snapshot(items: &[KeyValue]) -> BTreeMap<String, (Bytes, Revision, Revision)> {
    items
        .iter()
        .map(|kv| {
            (
                kv.key.clone(),
                (kv.value.clone(), kv.create_revision, kv.mod_revision),
            )
        })
        .collect()
}

/// A compact description of an event, for readable assertions.
fn describe(
    event: &WatchEvent,
) -> (
    EventType,
    String,
    Bytes,
    Revision,
    Option<(Bytes, Revision)>,
) {
    (
        event.event_type,
        event.kv.key.clone(),
        event.kv.value.clone(),
        event.kv.mod_revision,
        event
            .prev
            .as_ref()
            .map(|p| (p.value.clone(), p.mod_revision)),
    )
}

// ---------------------------------------------------------------------------------------------
// Writes and their preconditions

async fn create_of_an_existing_key_is_already_exists(store: Arc<dyn Storage>) {
    let kv = store.create("/c/a", bytes("one")).await.expect("create");
    assert_eq!(kv.key, "/c/a");
    assert_eq!(kv.value, bytes("one"));
    assert_eq!(kv.create_revision, kv.mod_revision);
    assert_eq!(store.get("/c/a").await.unwrap(), Some(kv.clone()));

    match store.create("/c/a", bytes("two")).await {
        Err(StorageError::AlreadyExists { key }) => assert_eq!(key, "/c/a"),
        other => panic!("expected AlreadyExists, got {other:?}"),
    }
    assert_eq!(
        store.get("/c/a").await.unwrap(),
        Some(kv.clone()),
        "a refused create changes nothing"
    );

    // Once deleted, the key can be created again, as a new object.
    store.delete("/c/a", None).await.expect("delete");
    let again = store
        .create("/c/a", bytes("three"))
        .await
        .expect("re-create");
    assert!(again.create_revision > kv.mod_revision);
    assert_eq!(again.create_revision, again.mod_revision);
}

async fn stale_revision_is_a_conflict(store: Arc<dyn Storage>) {
    let v1 = store.create("/s/k", bytes("1")).await.unwrap();
    let v2 = store
        .update("/s/k", bytes("2"), v1.mod_revision)
        .await
        .unwrap();
    assert_eq!(v2.create_revision, v1.create_revision);
    assert!(v2.mod_revision > v1.mod_revision);

    match store.update("/s/k", bytes("3"), v1.mod_revision).await {
        Err(StorageError::Conflict {
            key,
            expected,
            actual,
        }) => {
            assert_eq!(key, "/s/k");
            assert_eq!(expected, v1.mod_revision);
            assert_eq!(actual, v2.mod_revision);
        }
        other => panic!("update with a stale revision: expected Conflict, got {other:?}"),
    }
    match store.delete("/s/k", Some(v1.mod_revision)).await {
        Err(StorageError::Conflict { actual, .. }) => assert_eq!(actual, v2.mod_revision),
        other => panic!("delete with a stale revision: expected Conflict, got {other:?}"),
    }
    assert_eq!(store.get("/s/k").await.unwrap(), Some(v2.clone()));

    let deleted = store
        .delete("/s/k", Some(v2.mod_revision))
        .await
        .expect("delete at the current revision");
    assert_eq!(deleted.value, bytes("2"), "delete returns the last value");
    assert_eq!(deleted.create_revision, v1.create_revision);
    assert!(
        deleted.mod_revision > v2.mod_revision,
        "with the deletion's revision"
    );
    assert_eq!(
        store.current_revision().await.unwrap(),
        deleted.mod_revision
    );
    assert_eq!(store.get("/s/k").await.unwrap(), None);
}

async fn missing_key_is_not_found(store: Arc<dyn Storage>) {
    assert_eq!(store.get("/m/none").await.unwrap(), None);
    assert!(matches!(
        store.update("/m/none", bytes("x"), 5).await,
        Err(StorageError::NotFound { key }) if key == "/m/none"
    ));
    // Revision 0 must not be read as "the key's revision while absent".
    assert!(matches!(
        store.update("/m/none", bytes("x"), 0).await,
        Err(StorageError::NotFound { .. })
    ));
    assert!(matches!(
        store.delete("/m/none", None).await,
        Err(StorageError::NotFound { .. })
    ));
    assert!(matches!(
        store.delete("/m/none", Some(3)).await,
        Err(StorageError::NotFound { .. })
    ));

    // A deleted key is missing too.
    let kv = store.create("/m/gone", bytes("x")).await.unwrap();
    store.delete("/m/gone", None).await.unwrap();
    assert!(matches!(
        store.update("/m/gone", bytes("y"), kv.mod_revision).await,
        Err(StorageError::NotFound { .. })
    ));
    assert!(matches!(
        store.delete("/m/gone", None).await,
        Err(StorageError::NotFound { .. })
    ));
    assert!(list_all(&*store, "/m/", None).await.is_empty());
}

async fn revisions_strictly_increase(store: Arc<dyn Storage>) {
    let start = store.current_revision().await.unwrap();
    assert!(start >= 1, "revision 0 never names a state of the store");
    let mut last = start;
    let mut check = |kv: KeyValue, what: &str| {
        assert!(
            kv.mod_revision > last,
            "{what}: {} after {last}",
            kv.mod_revision
        );
        last = kv.mod_revision;
        kv
    };
    let a = check(store.create("/r/a", bytes("1")).await.unwrap(), "create");
    let b = check(store.create("/r/b", bytes("1")).await.unwrap(), "create");
    let a = check(
        store
            .update("/r/a", bytes("2"), a.mod_revision)
            .await
            .unwrap(),
        "update",
    );
    check(
        store.delete("/r/b", Some(b.mod_revision)).await.unwrap(),
        "delete",
    );
    check(store.delete("/r/a", None).await.unwrap(), "delete");
    let a2 = check(store.create("/r/a", bytes("3")).await.unwrap(), "re-create");
    assert!(a2.create_revision > a.create_revision);
    assert_eq!(store.current_revision().await.unwrap(), last);

    // Refused writes do not advance the revision.
    let _ = store.create("/r/a", bytes("dup")).await.unwrap_err();
    let _ = store.update("/r/a", bytes("x"), start).await.unwrap_err();
    assert_eq!(store.current_revision().await.unwrap(), last);
}

async fn concurrent_read_modify_write_loses_no_update(store: Arc<dyn Storage>) {
    const TASKS: usize = 32;
    const INCREMENTS: usize = 20;
    store.create("/counter", bytes("0")).await.unwrap();
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut revisions = Vec::new();
                for _ in 0..INCREMENTS {
                    loop {
                        let kv = store
                            .get("/counter")
                            .await
                            .unwrap()
                            .expect("counter exists");
                        let n: usize = std::str::from_utf8(&kv.value).unwrap().parse().unwrap();
                        match store
                            .update("/counter", bytes(&(n + 1).to_string()), kv.mod_revision)
                            .await
                        {
                            Ok(kv) => {
                                revisions.push(kv.mod_revision);
                                break;
                            }
                            Err(StorageError::Conflict { .. }) => continue,
                            Err(err) => panic!("update failed: {err}"),
                        }
                    }
                }
                revisions
            })
        })
        .collect();
    let mut revisions = Vec::new();
    for task in tasks {
        revisions.extend(within("the counter tasks", task).await.expect("task"));
    }
    let kv = store.get("/counter").await.unwrap().unwrap();
    assert_eq!(kv.value, bytes(&(TASKS * INCREMENTS).to_string()));
    revisions.sort_unstable();
    revisions.dedup();
    assert_eq!(
        revisions.len(),
        TASKS * INCREMENTS,
        "every success has its own revision"
    );
}

// ---------------------------------------------------------------------------------------------
// Lists

async fn list_is_in_key_order_and_limited_to_the_prefix(store: Arc<dyn Storage>) {
    for key in ["/l/b", "/l/a", "/l/c/x", "/l", "/lx", "/m/a", "/l/\u{e9}"] {
        store.create(key, bytes(key)).await.unwrap();
    }
    let keys: Vec<_> = list_all(&*store, "/l/", None)
        .await
        .into_iter()
        .map(|kv| kv.key)
        .collect();
    assert_eq!(keys, ["/l/a", "/l/b", "/l/c/x", "/l/\u{e9}"]);

    let all = store.list(&ListOptions::default()).await.unwrap();
    assert_eq!(all.items.len(), 7, "an empty prefix lists everything");
    assert!(!all.more);
    assert_eq!(all.revision, store.current_revision().await.unwrap());
    for kv in &all.items {
        assert_eq!(kv.value, bytes(&kv.key));
    }
}

async fn list_pages_stay_consistent_at_one_revision(store: Arc<dyn Storage>) {
    for i in 0..30 {
        store
            .create(&format!("/p/k{i:02}"), bytes(&i.to_string()))
            .await
            .unwrap();
    }
    let expected = list_all(&*store, "/p/", None).await;
    assert_eq!(expected.len(), 30);

    let mut opts = ListOptions {
        prefix: "/p/".into(),
        limit: Some(7),
        ..Default::default()
    };
    let mut seen = Vec::new();
    let mut page_revision = None;
    for page_number in 0.. {
        let page = store.list(&opts).await.expect("list page");
        assert!(page.items.len() <= 7);
        if let Some(revision) = page_revision {
            assert_eq!(
                page.revision, revision,
                "every page is read at the first page's revision"
            );
        }
        page_revision = Some(page.revision);
        seen.extend(page.items.iter().cloned());
        if let Some(remaining) = page.remaining {
            assert_eq!(
                remaining as usize,
                30 - seen.len(),
                "remaining after page {page_number}"
            );
        }
        if !page.more {
            break;
        }
        // Writes between pages, before and after the cursor: none may show up in this list.
        let cursor = page.items.last().unwrap().key.clone();
        store
            .create(&format!("{cursor}-new"), bytes("new"))
            .await
            .unwrap();
        store
            .create(&format!("/p/k99-{page_number}"), bytes("new"))
            .await
            .unwrap();
        let victim = format!("/p/k{:02}", 29 - page_number);
        if store.get(&victim).await.unwrap().is_some() {
            store.delete(&victim, None).await.unwrap();
        }
        let first = format!("/p/k{page_number:02}");
        let kv = store.get(&first).await.unwrap().unwrap();
        store
            .update(&first, bytes("changed"), kv.mod_revision)
            .await
            .unwrap();

        opts.revision = Some(page.revision);
        opts.start_after = Some(cursor);
    }
    assert_eq!(snapshot(&seen), snapshot(&expected));
    assert_eq!(seen.len(), expected.len(), "no key twice");

    // A new list sees the writes.
    let now = list_all(&*store, "/p/", None).await;
    assert_ne!(snapshot(&now), snapshot(&expected));
}

async fn list_at_an_old_revision_shows_that_revision(store: Arc<dyn Storage>) {
    let a = store.create("/o/a", bytes("a1")).await.unwrap();
    let b = store.create("/o/b", bytes("b1")).await.unwrap();
    let then = store.current_revision().await.unwrap();
    let before = list_all(&*store, "/o/", None).await;
    assert_eq!(before, vec![a.clone(), b.clone()]);

    let a2 = store
        .update("/o/a", bytes("a2"), a.mod_revision)
        .await
        .unwrap();
    store.delete("/o/b", None).await.unwrap();
    let c = store.create("/o/c", bytes("c1")).await.unwrap();
    store.delete("/o/a", None).await.unwrap();
    let a3 = store.create("/o/a", bytes("a3")).await.unwrap();

    let old = store
        .list(&ListOptions {
            prefix: "/o/".into(),
            revision: Some(then),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(old.revision, then);
    assert_eq!(old.items, before);
    assert_eq!(
        list_all(&*store, "/o/", Some(a2.mod_revision)).await,
        vec![a2, b]
    );
    assert_eq!(list_all(&*store, "/o/", None).await, vec![a3, c]);

    // Paging works at an old revision too.
    let page = store
        .list(&ListOptions {
            prefix: "/o/".into(),
            revision: Some(then),
            limit: Some(1),
            start_after: Some("/o/a".into()),
        })
        .await
        .unwrap();
    assert_eq!(page.items, vec![before[1].clone()]);
    assert!(!page.more);
}

// ---------------------------------------------------------------------------------------------
// Watch

/// Writes under `/w/` (and one outside) and the events a watch on `/w/` must deliver.
async fn scripted_changes(store: &dyn Storage) -> Vec<WatchEvent> {
    let a1 = store.create("/w/a", bytes("a1")).await.unwrap();
    let a2 = store
        .update("/w/a", bytes("a2"), a1.mod_revision)
        .await
        .unwrap();
    store.create("/x/outside", bytes("x")).await.unwrap();
    let b1 = store.create("/w/b", bytes("b1")).await.unwrap();
    let a_deleted = store.delete("/w/a", None).await.unwrap();
    let a3 = store.create("/w/a", bytes("a3")).await.unwrap();
    let b_deleted = store.delete("/w/b", Some(b1.mod_revision)).await.unwrap();
    let event = |event_type, kv: &KeyValue, prev: Option<&KeyValue>| WatchEvent {
        event_type,
        kv: kv.clone(),
        prev: prev.cloned(),
    };
    vec![
        event(EventType::Created, &a1, None),
        event(EventType::Modified, &a2, Some(&a1)),
        event(EventType::Created, &b1, None),
        event(EventType::Deleted, &a_deleted, Some(&a2)),
        event(EventType::Created, &a3, None),
        event(EventType::Deleted, &b_deleted, Some(&b1)),
    ]
}

async fn watch_delivers_every_change_in_order(store: Arc<dyn Storage>) {
    let start = store.current_revision().await.unwrap();
    let mut watch = store.watch("/w/", start).await.expect("watch");
    let expected = scripted_changes(&*store).await;
    let events = next_events(&mut watch, expected.len()).await;
    assert_eq!(
        events.iter().map(describe).collect::<Vec<_>>(),
        expected.iter().map(describe).collect::<Vec<_>>()
    );
    assert_eq!(events, expected, "create revisions included");
    // And live: a later change arrives too.
    let a = store.get("/w/a").await.unwrap().unwrap();
    let a4 = store
        .update("/w/a", bytes("a4"), a.mod_revision)
        .await
        .unwrap();
    let event = next_events(&mut watch, 1).await.remove(0);
    assert_eq!(event.event_type, EventType::Modified);
    assert_eq!(event.kv, a4);
    assert_eq!(event.prev, Some(a));
}

async fn watch_from_any_retained_revision_replays_history(store: Arc<dyn Storage>) {
    let start = store.current_revision().await.unwrap();
    let expected = scripted_changes(&*store).await;
    let end = store.current_revision().await.unwrap();
    for after in start..=end {
        let want: Vec<_> = expected
            .iter()
            .filter(|e| e.revision() > after)
            .cloned()
            .collect();
        let mut watch = store.watch("/w/", after).await.expect("watch");
        let got = next_events(&mut watch, want.len()).await;
        assert_eq!(got, want, "watch after revision {after}");
    }
    // A watch from the future starts with the first write above it.
    let mut watch = store
        .watch("/w/", end + 1)
        .await
        .expect("watch from the future");
    store
        .create("/w/skipped", bytes("at end + 1"))
        .await
        .unwrap();
    let delivered = store
        .create("/w/delivered", bytes("at end + 2"))
        .await
        .unwrap();
    let event = next_events(&mut watch, 1).await.remove(0);
    assert_eq!(event.kv, delivered);
}

async fn watch_started_during_writes_has_no_gap(store: Arc<dyn Storage>) {
    const WRITES: usize = 300;
    // Acknowledged writes, in revision order (one writer task, so acknowledgement order is
    // revision order).
    let (acks_tx, mut acks_rx) = tokio::sync::mpsc::unbounded_channel();
    let writer = {
        let store = store.clone();
        tokio::spawn(async move {
            let mut current: BTreeMap<String, Revision> = BTreeMap::new();
            for i in 0..WRITES {
                let key = format!("/race/k{}", i % 5);
                let kv = match current.get(&key) {
                    Some(&rev) => store.update(&key, bytes(&i.to_string()), rev).await,
                    None => store.create(&key, bytes(&i.to_string())).await,
                }
                .expect("write");
                current.insert(key, kv.mod_revision);
                acks_tx.send(kv).expect("acks");
            }
        })
    };
    // Start watches while the writer runs, each from the newest revision it has heard of.
    let mut acks = Vec::new();
    let mut watches = Vec::new();
    while watches.len() < 10 {
        let Some(kv) = within("acknowledgements", acks_rx.recv()).await else {
            break;
        };
        acks.push(kv);
        if acks.len() % 25 == 0 {
            let after = store.current_revision().await.unwrap();
            watches.push((after, store.watch("/race/", after).await.expect("watch")));
        }
    }
    within("the writer", writer).await.expect("writer");
    while let Some(kv) = acks_rx.recv().await {
        acks.push(kv);
    }
    assert_eq!(acks.len(), WRITES);
    for (after, mut watch) in watches {
        let want: Vec<_> = acks.iter().filter(|kv| kv.mod_revision > after).collect();
        let got = next_events(&mut watch, want.len()).await;
        let got: Vec<_> = got.iter().map(|e| &e.kv).collect();
        assert_eq!(got, want, "watch after {after}");
    }
}

async fn slow_watcher_loses_nothing(store: Arc<dyn Storage>) {
    // More committed writes than the embedded store buffers per watcher (1024 batches), while
    // the watcher reads nothing.
    const WRITES: usize = 1100;
    let start = store.current_revision().await.unwrap();
    let mut watch = store.watch("/slow/", start).await.expect("watch");
    let mut revisions = Vec::with_capacity(WRITES);
    for i in 0..WRITES {
        let kv = store
            .create(&format!("/slow/{i:04}"), bytes("v"))
            .await
            .unwrap();
        revisions.push(kv.mod_revision);
    }
    let got: Vec<_> = next_events(&mut watch, WRITES)
        .await
        .iter()
        .map(WatchEvent::revision)
        .collect();
    assert_eq!(got, revisions);
}

// ---------------------------------------------------------------------------------------------
// Compaction

async fn compacted_revision_is_expired(store: Arc<dyn Storage>) {
    let start = store.current_revision().await.unwrap();
    let mut kv = store.create("/k/a", bytes("0")).await.unwrap();
    let mut revisions = vec![kv.mod_revision];
    for i in 1..10 {
        kv = store
            .update("/k/a", bytes(&i.to_string()), kv.mod_revision)
            .await
            .unwrap();
        revisions.push(kv.mod_revision);
    }
    let keep = store.create("/k/keep", bytes("k")).await.unwrap();
    let compact_at = revisions[5];
    store.compact(compact_at).await.expect("compact");

    // Reads below the compacted revision are Expired; at and above it they work.
    let expired = store
        .list(&ListOptions {
            prefix: "/k/".into(),
            revision: Some(compact_at - 1),
            ..Default::default()
        })
        .await;
    assert!(
        matches!(expired, Err(StorageError::Expired { requested, .. }) if requested == compact_at - 1),
        "list below the compacted revision: {expired:?}"
    );
    let at = list_all(&*store, "/k/", Some(compact_at)).await;
    assert_eq!(at.len(), 1);
    assert_eq!(at[0].value, bytes("5"));
    assert_eq!(at[0].mod_revision, compact_at);

    assert_watch_expired(&*store, "/k/", start).await;
    assert_watch_expired(&*store, "/k/", compact_at - 2).await;
    // A watch from the compacted revision itself still works: it replays revisions >= it.
    let mut watch = store
        .watch("/k/", compact_at - 1)
        .await
        .expect("watch at compaction");
    let events = next_events(&mut watch, 4).await;
    let got: Vec<_> = events
        .iter()
        .map(|e| (e.event_type, e.revision()))
        .collect();
    let want: Vec<_> = revisions[5..9]
        .iter()
        .map(|&r| (EventType::Modified, r))
        .collect();
    assert_eq!(got, want);

    // Current values are never compacted; compaction is idempotent; the future is refused.
    assert_eq!(list_all(&*store, "/k/", None).await, vec![kv, keep]);
    store
        .compact(compact_at)
        .await
        .expect("compacting again is a no-op");
    store
        .compact(compact_at - 3)
        .await
        .expect("compacting below is a no-op");
    let future = store.current_revision().await.unwrap() + 100;
    assert!(
        store.compact(future).await.is_err(),
        "cannot compact the future"
    );
}

async fn background_compactor_forgets_old_history(store: Arc<dyn Storage>) {
    let first = store.create("/bg/k", bytes("0")).await.unwrap();
    let mut kv = first.clone();
    for i in 1..20 {
        kv = store
            .update("/bg/k", bytes(&i.to_string()), kv.mod_revision)
            .await
            .unwrap();
    }
    let compactor = flotilla_storage::spawn_compactor(&store, Duration::from_millis(50), 5);
    // Bounded polling: the compactor needs two ticks (it compacts to the previous tick's
    // revision).
    within("the compactor", async {
        loop {
            let old = store
                .list(&ListOptions {
                    prefix: "/bg/".into(),
                    revision: Some(first.mod_revision),
                    ..Default::default()
                })
                .await;
            match old {
                Err(StorageError::Expired { .. }) => break,
                Ok(_) => tokio::time::sleep(Duration::from_millis(20)).await,
                Err(err) => panic!("list failed: {err}"),
            }
        }
    })
    .await;
    compactor.abort();
    // The newest `keep_revisions` revisions are still readable, and the current value.
    let current = store.current_revision().await.unwrap();
    let recent = list_all(&*store, "/bg/", Some(current - 5)).await;
    assert_eq!(recent.len(), 1);
    assert_eq!(store.get("/bg/k").await.unwrap(), Some(kv));
}
