//! The StatefulSet controller: pods `<name>-<ordinal>` (from `spec.ordinals.start`), created in
//! order and each only once the ones before it are Running and Ready (`OrderedReady`), or all
//! at once (`Parallel`); scaled down from the highest ordinal; rolled to a new template from the
//! highest ordinal down to the partition, one pod at a time. `.status` as kube keeps it:
//! replicas, readyReplicas, currentReplicas, updatedReplicas, availableReplicas,
//! observedGeneration, currentRevision, updateRevision.
//!
//! Revisions are named `<name>-<template hash>` but are not stored as ControllerRevisions, so a
//! pod below the partition that must be recreated gets the new template.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{PersistentVolumeClaimVolumeSource, Pod, Volume};
use kube::ResourceExt;
use kube::api::Api;
use serde_json::{Map, Value, json};
use tracing::info;

use super::pods::{self, Naming};
use super::status::{self, nonzero, put};
use super::{Sim, get};
use crate::Key;

pub const NAME: &str = "statefulsets";

pub const REVISION_LABEL: &str = "controller-revision-hash";
const POD_NAME_LABEL: &str = "statefulset.kubernetes.io/pod-name";
const POD_INDEX_LABEL: &str = "apps.kubernetes.io/pod-index";

fn ordinal(set: &str, pod: &str) -> Option<i32> {
    pod.strip_prefix(set)?.strip_prefix('-')?.parse().ok()
}

fn revision_of(pod: &Pod) -> Option<&str> {
    pod.metadata
        .labels
        .as_ref()?
        .get(REVISION_LABEL)
        .map(String::as_str)
}

pub async fn reconcile(sim: &Arc<Sim>, key: &Key) -> Result<Option<Duration>, kube::Error> {
    let Some(ss) = get(&sim.statefulsets, key) else {
        return Ok(None);
    };
    if pods::is_deleting(&ss.metadata) {
        return Ok(None);
    }
    let uid = ss.uid().unwrap_or_default();
    let spec = ss.spec.clone().unwrap_or_default();
    let replicas = spec.replicas.unwrap_or(1).max(0);
    let start = spec.ordinals.as_ref().and_then(|o| o.start).unwrap_or(0);
    let range = start..start + replicas;
    let update_revision = format!(
        "{}-{}",
        key.name,
        pods::template_hash(
            &spec.template,
            ss.status.as_ref().and_then(|s| s.collision_count)
        )
    );
    let parallel = spec.pod_management_policy.as_deref() == Some("Parallel");
    let rolling = spec
        .update_strategy
        .as_ref()
        .and_then(|s| s.type_.as_deref())
        .unwrap_or("RollingUpdate")
        == "RollingUpdate";
    let partition = spec
        .update_strategy
        .as_ref()
        .and_then(|s| s.rolling_update.as_ref())
        .and_then(|r| r.partition)
        .unwrap_or(0);

    let (owned, pending) = sim.owned_pods(&uid);
    let mut by_ordinal: BTreeMap<i32, Arc<Pod>> = BTreeMap::new();
    for p in &owned {
        if let Some(o) = ordinal(&key.name, &p.name_any()) {
            by_ordinal.insert(o, Arc::clone(p));
        }
    }
    let pending: HashSet<i32> = pending
        .iter()
        .filter_map(|(n, _)| ordinal(&key.name, n))
        .collect();

    // Finished pods are replaced, as kube does.
    for p in by_ordinal.values().filter(|p| pods::is_terminal(p)) {
        pods::delete(sim, p, Some(&uid)).await?;
    }
    let present =
        |o: i32| pending.contains(&o) || by_ordinal.get(&o).is_some_and(|p| !pods::is_terminal(p));
    let healthy = |o: i32| {
        by_ordinal
            .get(&o)
            .is_some_and(|p| pods::is_running_and_ready(p))
    };

    // Missing ordinals, in order.
    let mut waiting = false;
    for o in range.clone() {
        if present(o) {
            if !healthy(o) && !parallel {
                waiting = true;
                break;
            }
            continue;
        }
        create(sim, &ss, o, &update_revision).await?;
        if !parallel {
            waiting = true;
            break;
        }
    }

    // Ordinals beyond the replicas, highest first.
    let condemned: Vec<&Arc<Pod>> = by_ordinal
        .iter()
        .rev()
        .filter(|(o, p)| !range.contains(o) && pods::is_active(p))
        .map(|(_, p)| p)
        .collect();
    if !waiting {
        for p in &condemned {
            info!(statefulset = %key, pod = %p.name_any(), "scaling down");
            pods::delete(sim, p, Some(&uid)).await?;
            if !parallel {
                break;
            }
        }
    }

    // A new template rolls from the highest ordinal down to the partition, one pod at a time,
    // each once all are Running and Ready.
    let all_healthy = range.clone().all(healthy);
    if rolling && !waiting && condemned.is_empty() && all_healthy {
        let stale = range
            .clone()
            .rev()
            .filter(|o| *o >= start + partition)
            .find_map(|o| {
                by_ordinal
                    .get(&o)
                    .filter(|p| revision_of(p) != Some(update_revision.as_str()))
            });
        if let Some(p) = stale {
            info!(statefulset = %key, pod = %p.name_any(), revision = %update_revision, "updating pod");
            pods::delete(sim, p, Some(&uid)).await?;
        }
    }

    write_status(sim, &ss, &owned, &update_revision).await
}

async fn create(
    sim: &Sim,
    ss: &StatefulSet,
    ordinal: i32,
    revision: &str,
) -> Result<(), kube::Error> {
    let spec = ss.spec.clone().unwrap_or_default();
    let set = ss.name_any();
    let name = format!("{set}-{ordinal}");
    let namespace = ss.namespace().unwrap_or_default();
    let labels: BTreeMap<String, String> = [
        (REVISION_LABEL, revision.to_owned()),
        (POD_NAME_LABEL, name.clone()),
        (POD_INDEX_LABEL, ordinal.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let mut pod = pods::from_template(
        &spec.template,
        &namespace,
        pods::owner_ref(ss),
        Naming::Fixed(name.clone()),
        labels,
        BTreeMap::new(),
    );
    if let Some(pod_spec) = pod.spec.as_mut() {
        pod_spec.hostname = Some(name.clone());
        if !spec.service_name.as_deref().unwrap_or("").is_empty() {
            pod_spec.subdomain = spec.service_name.clone();
        }
        // Each claim template becomes the pod's volume of that name.
        for claim in spec.volume_claim_templates.iter().flatten() {
            let claim_name = claim.metadata.name.clone().unwrap_or_default();
            let volumes = pod_spec.volumes.get_or_insert_with(Vec::new);
            volumes.retain(|v| v.name != claim_name);
            volumes.push(Volume {
                name: claim_name.clone(),
                persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                    claim_name: format!("{claim_name}-{name}"),
                    read_only: None,
                }),
                ..Default::default()
            });
        }
    }
    let uid = ss.uid().unwrap_or_default();
    pods::create(sim, pod, &uid, "").await?;
    Ok(())
}

async fn write_status(
    sim: &Sim,
    ss: &StatefulSet,
    owned: &[Arc<Pod>],
    update_revision: &str,
) -> Result<Option<Duration>, kube::Error> {
    let spec = ss.spec.clone().unwrap_or_default();
    let replicas = i64::from(spec.replicas.unwrap_or(1).max(0));
    let min_ready = spec.min_ready_seconds.unwrap_or(0);
    let old = status::status_of(&ss.status);
    let mut current_revision = old
        .get("currentRevision")
        .and_then(Value::as_str)
        .unwrap_or(update_revision)
        .to_owned();
    let now = Timestamp::now();
    let (mut count, mut ready, mut available, mut current, mut updated) = (0i64, 0, 0, 0, 0);
    let mut wait: Option<Duration> = None;
    for p in owned.iter().filter(|p| pods::is_active(p)) {
        count += 1;
        if pods::is_ready(p) {
            ready += 1;
        }
        let (avail, left) = pods::availability(p, min_ready, now);
        if avail {
            available += 1;
        }
        if let Some(left) = left {
            wait = Some(wait.map_or(left, |w| w.min(left)));
        }
        let rev = revision_of(p);
        if rev == Some(current_revision.as_str()) {
            current += 1;
        }
        if rev == Some(update_revision) {
            updated += 1;
        }
    }
    // Every pod at the new revision: it becomes the current one.
    if updated == replicas && count == replicas {
        current_revision = update_revision.to_owned();
        current = updated;
    }
    let mut new = Map::new();
    put(&mut new, "observedGeneration", ss.metadata.generation);
    new.insert("replicas".into(), json!(count));
    put(&mut new, "readyReplicas", nonzero(ready));
    put(&mut new, "currentReplicas", nonzero(current));
    put(&mut new, "updatedReplicas", nonzero(updated));
    new.insert("availableReplicas".into(), json!(available));
    new.insert("currentRevision".into(), json!(current_revision));
    new.insert("updateRevision".into(), json!(update_revision));
    new.insert(
        "collisionCount".into(),
        old.get("collisionCount").cloned().unwrap_or(json!(0)),
    );
    let api: Api<StatefulSet> =
        Api::namespaced(sim.client.clone(), ss.namespace().as_deref().unwrap_or(""));
    status::write_status(&api, &ss.name_any(), &old, &Value::Object(new)).await?;
    Ok(wait)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinals_come_from_pod_names() {
        assert_eq!(ordinal("web", "web-0"), Some(0));
        assert_eq!(ordinal("web", "web-12"), Some(12));
        assert_eq!(ordinal("web", "web-x"), None);
        assert_eq!(ordinal("web", "webapp-1"), None);
        assert_eq!(ordinal("web", "web-api-1"), None);
    }
}
