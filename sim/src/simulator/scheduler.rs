//! The scheduler: looks at every pod that has no node. While none fits it is marked
//! `PodScheduled=False` with reason `Unschedulable` and kube-scheduler's message; once one fits
//! it is bound. Binding replaces the pod (the API sets `spec.nodeName` only at creation): a pod
//! of a simulated controller is deleted and room is kept for the pod its controller creates
//! next; any other pod is recreated as it was, bound to the node.

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::ResourceExt;
use kube::api::{Api, PostParams};
use serde_json::{Value, json};
use tracing::{debug, info};

use super::status::{self, Condition};
use super::{FIELD_MANAGER, Sim, get, pods};
use crate::Key;
use crate::placement::Fit;

pub const NAME: &str = "scheduler";

/// Controllers that create a replacement for a deleted pod.
const REPLACING_OWNERS: &[(&str, &str)] = &[
    ("apps/v1", "ReplicaSet"),
    ("apps/v1", "StatefulSet"),
    ("apps/v1", "DaemonSet"),
    ("batch/v1", "Job"),
];

pub async fn reconcile(sim: &Arc<Sim>, key: &Key) -> Result<Option<Duration>, kube::Error> {
    let Some(pod) = get(&sim.pods, key) else {
        return Ok(None);
    };
    let Some(spec) = pod.spec.as_ref() else {
        return Ok(None);
    };
    if spec.node_name.is_some() || !pods::is_active(&pod) {
        return Ok(None);
    }
    let owner = pods::controller_of(&pod.metadata).filter(|r| {
        REPLACING_OWNERS
            .iter()
            .any(|(v, k)| r.api_version == *v && r.kind == *k)
    });
    match owner {
        Some(owner) => {
            // Decide and keep the room in one step, so two pending pods never get the same room.
            let fit = {
                let mut state = sim.state();
                let fit = state.ledger.evaluate(spec);
                if let Fit::Node(node) = &fit {
                    state.ledger.reserve(&owner.uid, node, spec);
                }
                fit
            };
            match fit {
                Fit::Node(node) => {
                    info!(pod = %key, node = %node, "room for a pending pod: replacing it");
                    pods::delete(sim, &pod, Some(&owner.uid)).await?;
                    Ok(None)
                }
                Fit::Unschedulable(message) => mark_unschedulable(sim, &pod, &message).await,
            }
        }
        None => {
            let placed = sim.state().ledger.place(spec, None);
            match placed {
                Some((node, token)) => match recreate_bound(sim, &pod, &node).await {
                    Ok(()) => {
                        sim.state().ledger.confirm(token, key);
                        info!(pod = %key, node = %node, "bound pod");
                        Ok(None)
                    }
                    Err(err) => {
                        sim.state().ledger.forget(token);
                        Err(err)
                    }
                },
                None => {
                    let fit = sim.state().ledger.evaluate(spec);
                    match fit {
                        Fit::Unschedulable(message) => {
                            mark_unschedulable(sim, &pod, &message).await
                        }
                        // Room appeared in between: try again.
                        Fit::Node(_) => Ok(Some(Duration::ZERO)),
                    }
                }
            }
        }
    }
}

/// Deletes the pod and creates it again, the same but bound to `node`.
async fn recreate_bound(sim: &Sim, pod: &Pod, node: &str) -> Result<(), kube::Error> {
    let key = Key::of(pod);
    let mut spec = pod.spec.clone().unwrap_or_default();
    spec.node_name = Some(node.to_owned());
    let bound = Pod {
        metadata: ObjectMeta {
            name: Some(key.name.clone()),
            namespace: Some(key.namespace.clone()),
            labels: pod.metadata.labels.clone(),
            annotations: pod.metadata.annotations.clone(),
            owner_references: pod.metadata.owner_references.clone(),
            finalizers: pod.metadata.finalizers.clone(),
            ..Default::default()
        },
        spec: Some(spec),
        status: None,
    };
    pods::delete(sim, pod, None).await?;
    let api: Api<Pod> = Api::namespaced(sim.client.clone(), &key.namespace);
    let params = PostParams {
        field_manager: Some(FIELD_MANAGER.to_owned()),
        ..Default::default()
    };
    match api.create(&params, &bound).await {
        Ok(_) => Ok(()),
        Err(err) if pods::is_status(&err, 409) => {
            debug!(pod = %key, "someone recreated the pod first");
            Ok(())
        }
        Err(err) => Err(err),
    }
}

/// Sets `PodScheduled=False`, reason `Unschedulable`, unless it already says so.
async fn mark_unschedulable(
    sim: &Sim,
    pod: &Pod,
    message: &str,
) -> Result<Option<Duration>, kube::Error> {
    let key = Key::of(pod);
    let old = status::status_of(&pod.status);
    let mut new = old.as_object().cloned().unwrap_or_default();
    let mut conditions: Vec<Value> = new
        .get("conditions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let condition = Condition {
        type_: "PodScheduled",
        status: "False",
        reason: "Unschedulable",
        message,
    }
    .render(&old, false, false, &status::now());
    conditions.retain(|c| c.get("type").and_then(Value::as_str) != Some("PodScheduled"));
    conditions.push(condition);
    new.insert("conditions".into(), Value::Array(conditions));
    new.entry("phase").or_insert(json!("Pending"));
    let api: Api<Pod> = Api::namespaced(sim.client.clone(), &key.namespace);
    if status::write_status(&api, &pod.name_any(), &old, &Value::Object(new)).await? {
        info!(pod = %key, message, "pod is unschedulable");
    }
    Ok(None)
}
