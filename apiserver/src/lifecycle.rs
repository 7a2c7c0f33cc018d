//! The server's own controllers, run in-process over the store and the watch cache:
//!
//! - **namespace lifecycle**: a namespace being deleted has its content removed (objects with
//!   finalizers are marked and waited for), then its `kubernetes` finalizer is dropped and it goes;
//! - **garbage collection** by `ownerReferences`: dependents whose owners are all gone are
//!   deleted (Background); an owner with the `foregroundDeletion` finalizer has its dependents
//!   deleted first and goes when the blocking ones are gone; an owner with the `orphan`
//!   finalizer has its dependents' references to it removed before it goes.
//!
//! Both are level-triggered: every pass looks at the whole cache, so a missed event or a restart
//! never strands an object.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use flotilla_storage::{EventType, StorageError};
use serde_json::{Value, json};
use tokio::sync::broadcast::error::RecvError;
use tracing::{debug, warn};

use crate::cache::{CacheMessage, ROOT};
use crate::handlers::{AppState, encode};
use crate::object;

pub fn spawn(state: Arc<AppState>) {
    tokio::spawn(async move {
        let mut rx = state
            .cache
            .snapshot_and_subscribe("/nonexistent/")
            .1
            .receiver;
        loop {
            // Wait for something that may need work, or the periodic safety net.
            let mut dirty = false;
            let tick = tokio::time::sleep(Duration::from_secs(2));
            tokio::pin!(tick);
            loop {
                tokio::select! {
                    _ = &mut tick => { dirty = true; }
                    msg = rx.recv() => match msg {
                        Ok(CacheMessage::Event(e)) => {
                            if e.event_type == EventType::Deleted || object::is_deleting(&e.object) {
                                dirty = true;
                            }
                        }
                        Ok(CacheMessage::Reset) | Err(RecvError::Lagged(_)) => dirty = true,
                        Err(RecvError::Closed) => return,
                    },
                }
                if dirty {
                    break;
                }
            }
            // Let a burst of deletions settle into one pass.
            tokio::time::sleep(Duration::from_millis(20)).await;
            while let Ok(msg) = rx.try_recv() {
                let _ = msg;
            }
            if let Err(err) = pass(&state).await {
                warn!(%err, "lifecycle pass failed");
            }
        }
    });
}

async fn pass(state: &Arc<AppState>) -> Result<(), StorageError> {
    let (all, _) = state.cache.list(ROOT, None);
    let mut uids: HashSet<String> = HashSet::new();
    let mut dependents: HashMap<String, Vec<(String, Arc<Value>)>> = HashMap::new();
    for c in all.iter() {
        if let Some(uid) = object::meta_str(&c.object, "uid") {
            uids.insert(uid.to_string());
        }
        for owner in owner_refs(&c.object) {
            if let Some(uid) = owner.get("uid").and_then(|u| u.as_str()) {
                dependents
                    .entry(uid.to_string())
                    .or_default()
                    .push((c.key.clone(), Arc::clone(&c.object)));
            }
        }
    }
    for c in all.iter() {
        let obj = &c.object;
        let uid = object::meta_str(obj, "uid").unwrap_or("").to_string();
        let deleting = object::is_deleting(obj);
        let finalizers = object::finalizers(obj);

        // Background: every owner gone → the dependent goes.
        let owners = owner_refs(obj);
        if !owners.is_empty()
            && !deleting
            && owners.iter().all(|o| {
                o.get("uid")
                    .and_then(|u| u.as_str())
                    .is_none_or(|u| !uids.contains(u))
            })
        {
            debug!(key = %c.key, "garbage collecting a dependent whose owners are gone");
            delete_or_mark(state, &c.key).await?;
            continue;
        }
        if !deleting {
            continue;
        }
        let deps = dependents.get(&uid).cloned().unwrap_or_default();
        if finalizers.iter().any(|f| f == "orphan") {
            for (key, _) in &deps {
                modify(state, key, |d| {
                    if let Some(refs) = d
                        .pointer_mut("/metadata/ownerReferences")
                        .and_then(|r| r.as_array_mut())
                    {
                        refs.retain(|r| {
                            r.get("uid").and_then(|u| u.as_str()) != Some(uid.as_str())
                        });
                        if refs.is_empty() {
                            object::meta_mut(d).remove("ownerReferences");
                        }
                    }
                })
                .await?;
            }
            remove_finalizer(state, &c.key, "orphan").await?;
            continue;
        }
        if finalizers.iter().any(|f| f == "foregroundDeletion") {
            let mut blocking = false;
            for (key, dep) in &deps {
                if !object::is_deleting(dep) {
                    // Dependents of a foreground deletion go in the foreground too.
                    modify(state, key, |d| {
                        let meta = object::meta_mut(d);
                        meta.insert("deletionTimestamp".into(), json!(object::now()));
                        meta.insert("deletionGracePeriodSeconds".into(), json!(0));
                        let mut fins: Vec<Value> = meta
                            .get("finalizers")
                            .and_then(|f| f.as_array())
                            .cloned()
                            .unwrap_or_default();
                        if !fins.iter().any(|f| f == "foregroundDeletion") {
                            fins.push(json!("foregroundDeletion"));
                        }
                        meta.insert("finalizers".into(), Value::Array(fins));
                    })
                    .await?;
                }
                let blocks = owner_refs(dep).iter().any(|r| {
                    r.get("uid").and_then(|u| u.as_str()) == Some(uid.as_str())
                        && r.get("blockOwnerDeletion").and_then(|b| b.as_bool()) == Some(true)
                });
                blocking |= blocks;
            }
            if !blocking {
                remove_finalizer(state, &c.key, "foregroundDeletion").await?;
            }
            continue;
        }
        if is_namespace_key(&c.key) && finalizers.is_empty() {
            finish_namespace(state, &c.key, obj).await?;
        }
    }
    Ok(())
}

fn owner_refs(obj: &Value) -> Vec<Value> {
    obj.pointer("/metadata/ownerReferences")
        .and_then(|r| r.as_array())
        .cloned()
        .unwrap_or_default()
}

fn is_namespace_key(key: &str) -> bool {
    key.starts_with("/registry/core/namespaces/")
}

/// Empty a terminating namespace, then let it go.
async fn finish_namespace(
    state: &Arc<AppState>,
    key: &str,
    ns_obj: &Value,
) -> Result<(), StorageError> {
    let ns = object::name(ns_obj).to_string();
    let mut remaining = 0;
    for info in state.registry.all() {
        if !info.namespaced || info.is_event_v1() {
            continue;
        }
        let prefix = format!("{}{ns}/", info.storage_prefix());
        let (objects, _) = state.cache.list(&prefix, None);
        for c in objects.iter() {
            remaining += 1;
            delete_or_mark(state, &c.key).await?;
        }
    }
    if remaining > 0 {
        return Ok(());
    }
    // Double-check against the store before dropping the finalizer: the cache may lag.
    for info in state.registry.all() {
        if !info.namespaced {
            continue;
        }
        let prefix = format!("{}{ns}/", info.storage_prefix());
        let page = state
            .store
            .list(&flotilla_storage::ListOptions {
                prefix,
                revision: None,
                limit: Some(1),
                start_after: None,
            })
            .await?;
        if !page.items.is_empty() {
            return Ok(());
        }
    }
    let Some(kv) = state.store.get(key).await? else {
        return Ok(());
    };
    match state.store.delete(key, Some(kv.mod_revision)).await {
        Ok(_) | Err(StorageError::NotFound { .. }) | Err(StorageError::Conflict { .. }) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Delete an object, or mark it for deletion if finalizers hold it.
pub async fn delete_or_mark(state: &Arc<AppState>, key: &str) -> Result<(), StorageError> {
    for _ in 0..8 {
        let Some(kv) = state.store.get(key).await? else {
            return Ok(());
        };
        let obj = crate::cache::decode(&kv, kv.mod_revision);
        if object::finalizers(&obj).is_empty() {
            match state.store.delete(key, Some(kv.mod_revision)).await {
                Ok(_) | Err(StorageError::NotFound { .. }) => return Ok(()),
                Err(StorageError::Conflict { .. }) => continue,
                Err(e) => return Err(e),
            }
        }
        if object::is_deleting(&obj) {
            return Ok(());
        }
        let mut next = obj.clone();
        let meta = object::meta_mut(&mut next);
        meta.insert("deletionTimestamp".into(), json!(object::now()));
        meta.insert("deletionGracePeriodSeconds".into(), json!(0));
        match state
            .store
            .update(key, encode(&next), kv.mod_revision)
            .await
        {
            Ok(_) | Err(StorageError::NotFound { .. }) => return Ok(()),
            Err(StorageError::Conflict { .. }) => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Read-modify-write one stored object; gone objects are fine.
async fn modify(
    state: &Arc<AppState>,
    key: &str,
    f: impl Fn(&mut Value),
) -> Result<(), StorageError> {
    for _ in 0..8 {
        let Some(kv) = state.store.get(key).await? else {
            return Ok(());
        };
        let obj = crate::cache::decode(&kv, kv.mod_revision);
        let mut next = obj.clone();
        f(&mut next);
        if next == obj {
            return Ok(());
        }
        let result = if object::is_deleting(&next) && object::finalizers(&next).is_empty() {
            state.store.delete(key, Some(kv.mod_revision)).await
        } else {
            state
                .store
                .update(key, encode(&next), kv.mod_revision)
                .await
        };
        match result {
            Ok(_) | Err(StorageError::NotFound { .. }) => return Ok(()),
            Err(StorageError::Conflict { .. }) => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

async fn remove_finalizer(
    state: &Arc<AppState>,
    key: &str,
    finalizer: &str,
) -> Result<(), StorageError> {
    modify(state, key, |obj| {
        let meta = object::meta_mut(obj);
        if let Some(f) = meta.get_mut("finalizers").and_then(|f| f.as_array_mut()) {
            f.retain(|x| x.as_str() != Some(finalizer));
            if f.is_empty() {
                meta.remove("finalizers");
            }
        }
    })
    .await
}

/// A CRD went away: so do its custom resources.
pub async fn delete_crd_instances(state: &Arc<AppState>, crd: &Value) {
    let group = crd
        .pointer("/spec/group")
        .and_then(|g| g.as_str())
        .unwrap_or("");
    let plural = crd
        .pointer("/spec/names/plural")
        .and_then(|g| g.as_str())
        .unwrap_or("");
    if group.is_empty() || plural.is_empty() {
        return;
    }
    let prefix = format!("/registry/{group}/{plural}/");
    let (objects, _) = state.cache.list(&prefix, None);
    for c in objects.iter() {
        if let Err(err) = state.store.delete(&c.key, None).await
            && !matches!(err, StorageError::NotFound { .. })
        {
            warn!(%err, key = %c.key, "cannot delete a custom resource of a deleted CRD");
        }
    }
}
