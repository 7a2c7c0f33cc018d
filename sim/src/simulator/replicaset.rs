//! The ReplicaSet controller: keeps `spec.replicas` active pods (named by `generateName`, with a
//! controller reference), deletes the surplus in kube's order (unscheduled, pending, not ready,
//! newest first), and keeps `.status` — replicas, fullyLabeledReplicas, readyReplicas,
//! availableReplicas (Ready for `minReadySeconds`), observedGeneration.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures::{StreamExt, TryStreamExt, stream};
use jiff::Timestamp;
use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::Pod;
use kube::ResourceExt;
use kube::api::Api;
use serde_json::{Map, Value, json};

use super::pods::{self, Naming};
use super::status::{self, nonzero, put};
use super::{Sim, get};
use crate::Key;

pub const NAME: &str = "replicasets";

/// Pods created or deleted concurrently by one reconcile.
pub const BURST: usize = 16;
/// Pods created by one reconcile at most; the rest come in the next (kube's slow start exists
/// for the same reason: not to flood the API with a mistake).
pub const MAX_PER_SYNC: usize = 500;

pub async fn reconcile(sim: &Arc<Sim>, key: &Key) -> Result<Option<Duration>, kube::Error> {
    let Some(rs) = get(&sim.replicasets, key) else {
        return Ok(None);
    };
    if pods::is_deleting(&rs.metadata) {
        return Ok(None);
    }
    let uid = rs.uid().unwrap_or_default();
    let spec = rs.spec.clone().unwrap_or_default();
    let want = spec.replicas.unwrap_or(1).max(0) as usize;
    let (owned, pending) = sim.owned_pods(&uid);
    let mut active: Vec<Arc<_>> = owned
        .iter()
        .filter(|p| pods::is_active(p))
        .cloned()
        .collect();
    let have = active.len() + pending.len();
    let mut again = None;
    if have < want {
        if let Some(template) = spec.template.as_ref() {
            let count = (want - have).min(MAX_PER_SYNC);
            let owner = pods::owner_ref(rs.as_ref());
            stream::iter(0..count)
                .map(|_| {
                    let pod = pods::from_template(
                        template,
                        &key.namespace,
                        owner.clone(),
                        Naming::Generate(format!("{}-", key.name)),
                        BTreeMap::new(),
                        BTreeMap::new(),
                    );
                    let uid = uid.clone();
                    async move { pods::create(sim, pod, &uid, "").await }
                })
                .buffer_unordered(BURST)
                .try_collect::<Vec<_>>()
                .await?;
            if want - have > count {
                again = Some(Duration::ZERO);
            }
        }
    } else if active.len() > want && have > want {
        let surplus = (have - want).min(active.len());
        pods::sort_for_deletion(&mut active);
        let victims: Vec<Arc<Pod>> = active.into_iter().take(surplus).collect();
        stream::iter(victims)
            .map(|p| {
                let uid = uid.clone();
                async move { pods::delete(sim, &p, Some(&uid)).await }
            })
            .buffer_unordered(BURST)
            .try_collect::<Vec<_>>()
            .await?;
    }
    let wait = write_status(sim, &rs, &owned).await?;
    Ok(again.or(wait))
}

async fn write_status(
    sim: &Sim,
    rs: &ReplicaSet,
    owned: &[Arc<Pod>],
) -> Result<Option<Duration>, kube::Error> {
    let spec = rs.spec.clone().unwrap_or_default();
    let min_ready = spec.min_ready_seconds.unwrap_or(0);
    let template_labels = spec
        .template
        .as_ref()
        .and_then(|t| t.metadata.as_ref())
        .and_then(|m| m.labels.clone())
        .unwrap_or_default();
    let now = Timestamp::now();
    let (mut replicas, mut labelled, mut ready, mut available) = (0i64, 0i64, 0i64, 0i64);
    let mut wait: Option<Duration> = None;
    for p in owned.iter().filter(|p| pods::is_active(p)) {
        replicas += 1;
        let labels = p.labels();
        if template_labels
            .iter()
            .all(|(k, v)| labels.get(k) == Some(v))
        {
            labelled += 1;
        }
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
    }
    let old = status::status_of(&rs.status);
    let mut new = Map::new();
    new.insert("replicas".into(), json!(replicas));
    put(&mut new, "fullyLabeledReplicas", nonzero(labelled));
    put(&mut new, "readyReplicas", nonzero(ready));
    put(&mut new, "availableReplicas", nonzero(available));
    put(&mut new, "observedGeneration", rs.metadata.generation);
    if let Some(c) = old.get("conditions") {
        new.insert("conditions".into(), c.clone());
    }
    let api: Api<ReplicaSet> =
        Api::namespaced(sim.client.clone(), rs.namespace().as_deref().unwrap_or(""));
    status::write_status(&api, &rs.name_any(), &old, &Value::Object(new)).await?;
    Ok(wait)
}
