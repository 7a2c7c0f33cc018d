//! The Deployment controller, after kube's: one ReplicaSet per pod template
//! (`<name>-<pod-template-hash>`, the hash also in its selector and pod labels, a controller
//! reference, the `deployment.kubernetes.io/revision` annotation), rolled out by the
//! `RollingUpdate` strategy (maxSurge / maxUnavailable) or `Recreate`, old ReplicaSets pruned
//! beyond `revisionHistoryLimit`, and `.status` kept as kube keeps it — replicas,
//! updatedReplicas, readyReplicas, availableReplicas, unavailableReplicas, observedGeneration,
//! and the `Available` and `Progressing` conditions (with the progress deadline).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet, ReplicaSetSpec};
use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::ResourceExt;
use kube::api::{Api, DeleteParams, PostParams};
use serde_json::{Map, Value, json};
use tracing::info;

use super::pods;
use super::status::{self, Condition, nonzero, put};
use super::{FIELD_MANAGER, Sim, get};
use crate::Key;

pub const NAME: &str = "deployments";

pub const HASH_LABEL: &str = "pod-template-hash";
pub const REVISION: &str = "deployment.kubernetes.io/revision";
pub const DESIRED_REPLICAS: &str = "deployment.kubernetes.io/desired-replicas";
pub const MAX_REPLICAS: &str = "deployment.kubernetes.io/max-replicas";

fn revision(rs: &ReplicaSet) -> i64 {
    rs.annotations()
        .get(REVISION)
        .and_then(|r| r.parse().ok())
        .unwrap_or(0)
}

fn spec_replicas(rs: &ReplicaSet) -> i32 {
    rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(0)
}

fn status_count(
    rs: &ReplicaSet,
    f: fn(&k8s_openapi::api::apps::v1::ReplicaSetStatus) -> Option<i32>,
) -> i32 {
    rs.status.as_ref().and_then(f).unwrap_or(0)
}

fn available(rs: &ReplicaSet) -> i32 {
    status_count(rs, |s| s.available_replicas)
}

/// The template without the hash label, to compare with the Deployment's.
fn unhashed(template: Option<&PodTemplateSpec>) -> Value {
    let mut t = template.cloned().unwrap_or_default();
    if let Some(labels) = t.metadata.as_mut().and_then(|m| m.labels.as_mut()) {
        labels.remove(HASH_LABEL);
    }
    serde_json::to_value(&t).unwrap_or(Value::Null)
}

/// kube's `ResolveFenceposts`: maxSurge rounds up, maxUnavailable down; both zero means one
/// may be unavailable.
pub fn fenceposts(
    surge: Option<&IntOrString>,
    unavailable: Option<&IntOrString>,
    replicas: i32,
) -> (i32, i32) {
    let resolve = |v: Option<&IntOrString>, round_up: bool| -> i32 {
        match v {
            None => {
                // The default 25%.
                let n = i64::from(replicas) * 25;
                (if round_up { (n + 99) / 100 } else { n / 100 }) as i32
            }
            Some(IntOrString::Int(i)) => *i,
            Some(IntOrString::String(s)) => {
                let pct: i64 = s.trim_end_matches('%').parse().unwrap_or(25);
                let n = i64::from(replicas) * pct;
                (if round_up { (n + 99) / 100 } else { n / 100 }) as i32
            }
        }
    };
    let surge = resolve(surge, true).max(0);
    let mut unavailable = resolve(unavailable, false).max(0);
    if surge == 0 && unavailable == 0 {
        unavailable = 1;
    }
    (surge, unavailable)
}

pub async fn reconcile(sim: &Arc<Sim>, key: &Key) -> Result<Option<Duration>, kube::Error> {
    let Some(d) = get(&sim.deployments, key) else {
        return Ok(None);
    };
    if pods::is_deleting(&d.metadata) {
        return Ok(None);
    }
    let uid = d.uid().unwrap_or_default();
    let spec = d.spec.clone().unwrap_or_default();
    let replicas = spec.replicas.unwrap_or(1).max(0);
    let paused = spec.paused.unwrap_or(false);
    let rs_api: Api<ReplicaSet> = Api::namespaced(sim.client.clone(), &key.namespace);

    let keys: Vec<Key> = sim
        .state()
        .replicasets_by_owner
        .get(&uid)
        .map(|s| s.iter().cloned().collect())
        .unwrap_or_default();
    let mut all: Vec<Arc<ReplicaSet>> = keys
        .iter()
        .filter_map(|k| get(&sim.replicasets, k))
        .filter(|rs| {
            pods::controller_of(&rs.metadata).map(|r| r.uid.as_str()) == Some(uid.as_str())
                && !pods::is_deleting(&rs.metadata)
        })
        .collect();
    all.sort_by_key(|rs| {
        (
            rs.metadata.creation_timestamp.as_ref().map(|t| t.0),
            rs.name_any(),
        )
    });
    let wanted = unhashed(Some(&spec.template));
    let new_rs = all
        .iter()
        .find(|rs| unhashed(rs.spec.as_ref().and_then(|s| s.template.as_ref())) == wanted)
        .cloned();
    let old: Vec<Arc<ReplicaSet>> = all
        .iter()
        .filter(|rs| {
            new_rs
                .as_ref()
                .is_none_or(|n| n.name_any() != rs.name_any())
        })
        .cloned()
        .collect();
    let max_old_revision = old.iter().map(|rs| revision(rs)).max().unwrap_or(0);
    let rolling = spec
        .strategy
        .as_ref()
        .and_then(|s| s.type_.as_deref())
        .unwrap_or("RollingUpdate")
        != "Recreate";
    let ru = spec
        .strategy
        .as_ref()
        .and_then(|s| s.rolling_update.as_ref());
    let (max_surge, max_unavailable) = if rolling {
        fenceposts(
            ru.and_then(|r| r.max_surge.as_ref()),
            ru.and_then(|r| r.max_unavailable.as_ref()),
            replicas,
        )
    } else {
        (0, 0)
    };

    // A template with no ReplicaSet yet gets one (not while paused).
    let Some(new_rs) = new_rs else {
        if paused {
            return write_status(sim, &d, None, &all, max_unavailable, false).await;
        }
        let old_total: i32 = old.iter().map(|rs| spec_replicas(rs)).sum();
        // Recreate scales the new ReplicaSet up only once the old pods are gone.
        let initial = if !rolling {
            0
        } else if old_total == 0 {
            replicas
        } else {
            (replicas + max_surge - old_total).clamp(0, replicas)
        };
        let created = create_replicaset(sim, &d, max_old_revision + 1, initial, max_surge).await?;
        if let Some(rs) = created {
            info!(deployment = %key, replicaset = %rs.name_any(), replicas = initial, "created ReplicaSet");
            return write_status(sim, &d, Some(&rs), &all, max_unavailable, true).await;
        }
        return Ok(Some(Duration::from_millis(100)));
    };

    // Keep the revision annotations right: the new ReplicaSet is always the newest revision.
    let mut new_revision = revision(&new_rs);
    if new_revision <= max_old_revision || new_revision == 0 {
        new_revision = max_old_revision + 1;
        status::patch(
            &rs_api,
            &new_rs.name_any(),
            json!({"metadata": {"annotations": {REVISION: new_revision.to_string()}}}),
        )
        .await?;
    }
    if d.annotations().get(REVISION) != Some(&new_revision.to_string()) {
        let d_api: Api<Deployment> = Api::namespaced(sim.client.clone(), &key.namespace);
        status::patch(
            &d_api,
            &key.name,
            json!({"metadata": {"annotations": {REVISION: new_revision.to_string()}}}),
        )
        .await?;
    }

    if !paused {
        if rolling {
            rolling_update(&rs_api, &new_rs, &old, replicas, max_surge, max_unavailable).await?;
        } else {
            recreate(sim, &rs_api, &new_rs, &old, replicas).await?;
        }
    } else if spec_replicas(&new_rs) != replicas && old.iter().all(|rs| spec_replicas(rs) == 0) {
        // A paused Deployment still scales.
        scale(&rs_api, &new_rs, replicas, replicas, max_surge).await?;
    }
    prune_history(&rs_api, &old, spec.revision_history_limit.unwrap_or(10)).await?;
    write_status(sim, &d, Some(&new_rs), &all, max_unavailable, false).await
}

async fn scale(
    api: &Api<ReplicaSet>,
    rs: &ReplicaSet,
    to: i32,
    desired: i32,
    max_surge: i32,
) -> Result<(), kube::Error> {
    let annotations = rs.annotations();
    let desired_s = desired.to_string();
    let max_s = (desired + max_surge).to_string();
    if spec_replicas(rs) == to
        && annotations.get(DESIRED_REPLICAS) == Some(&desired_s)
        && annotations.get(MAX_REPLICAS) == Some(&max_s)
    {
        return Ok(());
    }
    info!(replicaset = %Key::of(rs), from = spec_replicas(rs), to, "scaling ReplicaSet");
    status::patch(
        api,
        &rs.name_any(),
        json!({
            "metadata": {"annotations": {DESIRED_REPLICAS: desired_s, MAX_REPLICAS: max_s}},
            "spec": {"replicas": to},
        }),
    )
    .await
}

/// kube's rolling update: scale the new ReplicaSet up within maxSurge, then the old ones down as
/// far as maxUnavailable allows (unhealthy pods first).
async fn rolling_update(
    api: &Api<ReplicaSet>,
    new_rs: &ReplicaSet,
    old: &[Arc<ReplicaSet>],
    replicas: i32,
    max_surge: i32,
    max_unavailable: i32,
) -> Result<(), kube::Error> {
    let old_total: i32 = old.iter().map(|rs| spec_replicas(rs)).sum();
    let mut new_target = spec_replicas(new_rs);
    if old_total == 0 {
        return scale(api, new_rs, replicas, replicas, max_surge).await;
    }
    if new_target > replicas {
        new_target = replicas;
    } else if new_target < replicas {
        let total = old_total + new_target;
        let max_total = replicas + max_surge;
        if total < max_total {
            new_target += (max_total - total).min(replicas - new_target);
        }
    }
    scale(api, new_rs, new_target, replicas, max_surge).await?;

    // Old ReplicaSets, oldest first.
    let min_available = replicas - max_unavailable;
    let new_unavailable = (new_target - available(new_rs)).max(0);
    let all_total = old_total + new_target;
    let mut budget = all_total - min_available - new_unavailable;
    if budget <= 0 {
        return Ok(());
    }
    let mut targets: Vec<i32> = old.iter().map(|rs| spec_replicas(rs)).collect();
    // Unhealthy replicas go first: removing them costs no availability.
    for (i, rs) in old.iter().enumerate() {
        if budget <= 0 {
            break;
        }
        let unhealthy = (targets[i] - available(rs)).max(0);
        let cut = unhealthy.min(budget);
        targets[i] -= cut;
        budget -= cut;
    }
    // Then available ones, as far as the minimum availability allows.
    let available_total: i32 = old.iter().map(|rs| available(rs)).sum::<i32>() + available(new_rs);
    let mut more = (available_total - min_available).max(0).min(budget.max(0));
    for t in targets.iter_mut() {
        if more <= 0 {
            break;
        }
        let cut = (*t).min(more);
        *t -= cut;
        more -= cut;
    }
    for (rs, target) in old.iter().zip(targets) {
        if target != spec_replicas(rs) {
            scale(api, rs, target, replicas, max_surge).await?;
        }
    }
    Ok(())
}

/// kube's Recreate: every old pod goes before the new ReplicaSet scales up.
async fn recreate(
    sim: &Sim,
    api: &Api<ReplicaSet>,
    new_rs: &ReplicaSet,
    old: &[Arc<ReplicaSet>],
    replicas: i32,
) -> Result<(), kube::Error> {
    let mut old_pods = false;
    for rs in old {
        if spec_replicas(rs) != 0 {
            scale(api, rs, 0, replicas, 0).await?;
        }
        let (pods, pending) = sim.owned_pods(rs.uid().as_deref().unwrap_or(""));
        if !pending.is_empty() || pods.iter().any(|p| pods::is_active(p)) {
            old_pods = true;
        }
    }
    if old_pods {
        return Ok(());
    }
    scale(api, new_rs, replicas, replicas, 0).await
}

/// Deletes the oldest empty old ReplicaSets beyond `limit`.
async fn prune_history(
    api: &Api<ReplicaSet>,
    old: &[Arc<ReplicaSet>],
    limit: i32,
) -> Result<(), kube::Error> {
    let mut empty: Vec<&Arc<ReplicaSet>> = old
        .iter()
        .filter(|rs| spec_replicas(rs) == 0 && status_count(rs, |s| Some(s.replicas)) == 0)
        .collect();
    let excess = empty.len().saturating_sub(limit.max(0) as usize);
    empty.sort_by_key(|rs| revision(rs));
    for rs in empty.into_iter().take(excess) {
        match api.delete(&rs.name_any(), &DeleteParams::default()).await {
            Ok(_) => info!(replicaset = %Key::of(rs.as_ref()), "deleted old ReplicaSet"),
            Err(err) if pods::is_status(&err, 404) => {}
            Err(err) => return Err(err),
        }
    }
    Ok(())
}

async fn create_replicaset(
    sim: &Sim,
    d: &Deployment,
    revision: i64,
    replicas: i32,
    max_surge: i32,
) -> Result<Option<ReplicaSet>, kube::Error> {
    let spec = d.spec.clone().unwrap_or_default();
    let namespace = d.namespace().unwrap_or_default();
    let collision = d.status.as_ref().and_then(|s| s.collision_count);
    let hash = pods::template_hash(&spec.template, collision);
    let name = format!("{}-{hash}", d.name_any());

    let mut template = spec.template.clone();
    let mut meta = template.metadata.take().unwrap_or_default();
    meta.labels
        .get_or_insert_with(BTreeMap::new)
        .insert(HASH_LABEL.into(), hash.clone());
    let labels = meta.labels.clone().unwrap_or_default();
    template.metadata = Some(meta);
    let mut selector: LabelSelector = spec.selector.clone();
    selector
        .match_labels
        .get_or_insert_with(BTreeMap::new)
        .insert(HASH_LABEL.into(), hash);
    // The Deployment's annotations travel to its ReplicaSets, except kubectl's and the
    // controller's own.
    let mut annotations: BTreeMap<String, String> = d
        .annotations()
        .iter()
        .filter(|(k, _)| {
            k.as_str() != "kubectl.kubernetes.io/last-applied-configuration"
                && !k.starts_with("deployment.kubernetes.io/")
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    annotations.insert(REVISION.into(), revision.to_string());
    annotations.insert(
        DESIRED_REPLICAS.into(),
        spec.replicas.unwrap_or(1).to_string(),
    );
    annotations.insert(
        MAX_REPLICAS.into(),
        (spec.replicas.unwrap_or(1) + max_surge).to_string(),
    );
    let rs = ReplicaSet {
        metadata: ObjectMeta {
            name: Some(name.clone()),
            namespace: Some(namespace.clone()),
            labels: Some(labels),
            annotations: Some(annotations),
            owner_references: Some(vec![pods::owner_ref(d)]),
            ..Default::default()
        },
        spec: Some(ReplicaSetSpec {
            replicas: Some(replicas),
            min_ready_seconds: spec.min_ready_seconds,
            selector,
            template: Some(template),
        }),
        status: None,
    };
    let api: Api<ReplicaSet> = Api::namespaced(sim.client.clone(), &namespace);
    let params = PostParams {
        field_manager: Some(FIELD_MANAGER.to_owned()),
        ..Default::default()
    };
    match api.create(&params, &rs).await {
        Ok(rs) => Ok(Some(rs)),
        Err(err) if pods::is_status(&err, 409) => {
            // A ReplicaSet of that name exists. If it is ours and has our template the watch
            // will show it; otherwise the hash collided: count the collision and hash anew.
            let existing = api.get(&name).await?;
            let ours = pods::controller_of(&existing.metadata).map(|r| r.uid.as_str())
                == d.uid().as_deref();
            let same = unhashed(existing.spec.as_ref().and_then(|s| s.template.as_ref()))
                == unhashed(Some(&spec.template));
            if !(ours && same) {
                let d_api: Api<Deployment> = Api::namespaced(sim.client.clone(), &namespace);
                let next = collision.unwrap_or(0) + 1;
                status::write_status(
                    &d_api,
                    &d.name_any(),
                    &json!({}),
                    &json!({"collisionCount": next}),
                )
                .await?;
            }
            Ok(None)
        }
        Err(err) => Err(err),
    }
}

async fn write_status(
    sim: &Sim,
    d: &Deployment,
    new_rs: Option<&ReplicaSet>,
    all: &[Arc<ReplicaSet>],
    max_unavailable: i32,
    just_created: bool,
) -> Result<Option<Duration>, kube::Error> {
    let spec = d.spec.clone().unwrap_or_default();
    let replicas = spec.replicas.unwrap_or(1).max(0);
    let sum = |f: fn(&ReplicaSet) -> i32| -> i32 { all.iter().map(|rs| f(rs)).sum() };
    let actual = sum(|rs| status_count(rs, |s| Some(s.replicas)));
    let ready = sum(|rs| status_count(rs, |s| s.ready_replicas));
    let avail = sum(available);
    let total_spec = sum(spec_replicas)
        + if just_created {
            new_rs.map(spec_replicas).unwrap_or(0)
        } else {
            0
        };
    let updated = new_rs
        .filter(|_| !just_created)
        .map(|rs| status_count(rs, |s| Some(s.replicas)))
        .unwrap_or(0);
    let old = status::status_of(&d.status);
    let now_ts = Timestamp::now();
    let now = status::format_time(now_ts);

    let mut new = Map::new();
    put(&mut new, "observedGeneration", d.metadata.generation);
    put(&mut new, "replicas", nonzero(i64::from(actual)));
    put(&mut new, "updatedReplicas", nonzero(i64::from(updated)));
    put(&mut new, "readyReplicas", nonzero(i64::from(ready)));
    put(&mut new, "availableReplicas", nonzero(i64::from(avail)));
    put(
        &mut new,
        "unavailableReplicas",
        nonzero(i64::from((total_spec - avail).max(0))),
    );
    if let Some(c) = old.get("collisionCount") {
        new.insert("collisionCount".into(), c.clone());
    }

    let available_ok = avail >= replicas - max_unavailable;
    let available_cond = if available_ok {
        Condition {
            type_: "Available",
            status: "True",
            reason: "MinimumReplicasAvailable",
            message: "Deployment has minimum availability.",
        }
    } else {
        Condition {
            type_: "Available",
            status: "False",
            reason: "MinimumReplicasUnavailable",
            message: "Deployment does not have minimum availability.",
        }
    };
    let rs_name = new_rs.map(|rs| rs.name_any()).unwrap_or_default();
    let complete = new_rs.is_some()
        && !just_created
        && updated == replicas
        && avail == replicas
        && actual == replicas;
    let deadline = spec.progress_deadline_seconds.unwrap_or(600);
    let progressed = [
        "replicas",
        "updatedReplicas",
        "readyReplicas",
        "availableReplicas",
    ]
    .iter()
    .any(|f| old.get(*f) != new.get(*f));
    let (p_status, p_reason, p_message) = if spec.paused.unwrap_or(false) {
        (
            "Unknown",
            "DeploymentPaused",
            "Deployment is paused".to_owned(),
        )
    } else if just_created {
        (
            "True",
            "NewReplicaSetCreated",
            format!("Created new replica set \"{rs_name}\""),
        )
    } else if complete {
        (
            "True",
            "NewReplicaSetAvailable",
            format!("ReplicaSet \"{rs_name}\" has successfully progressed."),
        )
    } else {
        (
            "True",
            "ReplicaSetUpdated",
            format!("ReplicaSet \"{rs_name}\" is progressing."),
        )
    };
    let mut progressing = Condition {
        type_: "Progressing",
        status: p_status,
        reason: p_reason,
        message: &p_message,
    }
    .render(&old, true, progressed, &now);
    let mut wait = None;
    // No progress for progressDeadlineSeconds: the rollout has timed out.
    let timed_out_message = format!("ReplicaSet \"{rs_name}\" has timed out progressing.");
    if p_reason == "ReplicaSetUpdated" && !progressed {
        let last = status::find_condition(&old, "Progressing");
        let already = last.and_then(|c| c.get("reason")).and_then(Value::as_str)
            == Some("ProgressDeadlineExceeded");
        let since = last
            .and_then(|c| c.get("lastUpdateTime"))
            .and_then(Value::as_str)
            .and_then(|t| t.parse::<Timestamp>().ok());
        if already {
            progressing = Condition {
                type_: "Progressing",
                status: "False",
                reason: "ProgressDeadlineExceeded",
                message: &timed_out_message,
            }
            .render(&old, true, false, &now);
        } else if let Some(since) = since {
            let elapsed = since.duration_until(now_ts);
            let limit = jiff::SignedDuration::from_secs(i64::from(deadline));
            if elapsed >= limit {
                progressing = Condition {
                    type_: "Progressing",
                    status: "False",
                    reason: "ProgressDeadlineExceeded",
                    message: &timed_out_message,
                }
                .render(&old, true, false, &now);
            } else {
                wait = (limit - elapsed).try_into().ok();
            }
        }
    }
    new.insert(
        "conditions".into(),
        Value::Array(vec![
            available_cond.render(&old, true, false, &now),
            progressing,
        ]),
    );
    let api: Api<Deployment> =
        Api::namespaced(sim.client.clone(), d.namespace().as_deref().unwrap_or(""));
    status::write_status(&api, &d.name_any(), &old, &Value::Object(new)).await?;
    Ok(wait)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fenceposts_round_like_kube() {
        let pct = |s: &str| Some(IntOrString::String(s.into()));
        let int = |i: i32| Some(IntOrString::Int(i));
        let cases = [
            ("defaults, 4 replicas", None, None, 4, (1, 1)),
            ("defaults, 3 replicas", None, None, 3, (1, 0)),
            ("defaults, 10 replicas", pct("25%"), pct("25%"), 10, (3, 2)),
            ("absolute", int(2), int(1), 10, (2, 1)),
            ("both zero means one unavailable", int(0), int(0), 5, (0, 1)),
        ];
        for (name, surge, unavailable, replicas, want) in cases {
            assert_eq!(
                fenceposts(surge.as_ref(), unavailable.as_ref(), replicas),
                want,
                "{name}"
            );
        }
    }
}
