//! The DaemonSet controller, after kube's: one pod per node that should run it — Ready, matching
//! the template's nodeSelector and node affinity, with every NoSchedule/NoExecute taint
//! tolerated (DaemonSet pods tolerate `unschedulable`, so cordoning does not stop them, as in
//! kube) — each pinned to its node by required node affinity on `metadata.name`. Pods on nodes
//! that should no longer run one are deleted; a new template rolls node by node within
//! maxUnavailable. `.status`: desiredNumberScheduled, currentNumberScheduled, numberReady,
//! numberAvailable, numberUnavailable, updatedNumberScheduled, numberMisscheduled,
//! observedGeneration.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::apps::v1::DaemonSet;
use k8s_openapi::api::core::v1::{
    Affinity, Node, NodeAffinity, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, Pod,
    PodTemplateSpec, Taint, Toleration,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::ResourceExt;
use kube::api::Api;
use serde_json::{Map, Value, json};
use tracing::info;

use super::pods::{self, Naming};
use super::status::{self, nonzero, put};
use super::{Sim, get};
use crate::Key;
use crate::placement::{
    TAINT_NOT_READY, TAINT_UNSCHEDULABLE, node_is_ready, node_matches, tolerated,
};

pub const NAME: &str = "daemonsets";

const REVISION_LABEL: &str = "controller-revision-hash";
const GENERATION_LABEL: &str = "pod-template-generation";

/// The tolerations kube's DaemonSet controller adds to every pod.
fn daemon_tolerations() -> Vec<Toleration> {
    let t = |key: &str, effect: &str| Toleration {
        key: Some(key.to_owned()),
        operator: Some("Exists".into()),
        effect: Some(effect.to_owned()),
        ..Default::default()
    };
    vec![
        t(TAINT_NOT_READY, "NoExecute"),
        t("node.kubernetes.io/unreachable", "NoExecute"),
        t("node.kubernetes.io/disk-pressure", "NoSchedule"),
        t("node.kubernetes.io/memory-pressure", "NoSchedule"),
        t("node.kubernetes.io/pid-pressure", "NoSchedule"),
        t(TAINT_UNSCHEDULABLE, "NoSchedule"),
    ]
}

/// The DaemonSet's pod template for `node`: its tolerations plus kube's, and required node
/// affinity to that node alone.
fn template_for(template: &PodTemplateSpec, node: &str) -> PodTemplateSpec {
    let mut t = template.clone();
    let spec = t.spec.get_or_insert_with(Default::default);
    let tolerations = spec.tolerations.get_or_insert_with(Vec::new);
    for extra in daemon_tolerations() {
        if !tolerations.contains(&extra) {
            tolerations.push(extra);
        }
    }
    let affinity = spec.affinity.get_or_insert_with(Affinity::default);
    let node_affinity = affinity
        .node_affinity
        .get_or_insert_with(NodeAffinity::default);
    node_affinity.required_during_scheduling_ignored_during_execution = Some(NodeSelector {
        node_selector_terms: vec![NodeSelectorTerm {
            match_fields: Some(vec![NodeSelectorRequirement {
                key: "metadata.name".into(),
                operator: "In".into(),
                values: Some(vec![node.to_owned()]),
            }]),
            ..Default::default()
        }],
    });
    t
}

/// The node a DaemonSet pod is for: its node, or the one its affinity pins it to.
fn target_node(pod: &Pod) -> Option<String> {
    let spec = pod.spec.as_ref()?;
    if let Some(n) = &spec.node_name {
        return Some(n.clone());
    }
    spec.affinity
        .as_ref()?
        .node_affinity
        .as_ref()?
        .required_during_scheduling_ignored_during_execution
        .as_ref()?
        .node_selector_terms
        .iter()
        .flat_map(|t| t.match_fields.iter().flatten())
        .find(|r| r.key == "metadata.name" && r.operator == "In")
        .and_then(|r| r.values.as_ref()?.first().cloned())
}

/// (should run a new pod, should keep a running one) on `node`.
fn placement(template: &PodTemplateSpec, node: &Node) -> (bool, bool) {
    let name = node.name_any();
    let t = template_for(template, &name);
    let spec = t.spec.unwrap_or_default();
    // The template's own selector and affinity (not the pinning added above).
    let own = template.spec.clone().unwrap_or_default();
    if !node_matches(&own, &name, node.labels()) {
        return (false, false);
    }
    let tolerations = spec.tolerations.unwrap_or_default();
    let taints: Vec<Taint> = node
        .spec
        .as_ref()
        .and_then(|s| s.taints.clone())
        .unwrap_or_default();
    let keep = taints
        .iter()
        .filter(|t| t.effect == "NoExecute")
        .all(|t| tolerated(&tolerations, t));
    let not_ready = Taint {
        key: TAINT_NOT_READY.into(),
        effect: "NoSchedule".into(),
        ..Default::default()
    };
    let ready = node_is_ready(node);
    let run = keep
        && (ready || tolerated(&tolerations, &not_ready))
        && taints
            .iter()
            .filter(|t| t.effect == "NoSchedule")
            .all(|t| tolerated(&tolerations, t));
    (run, keep)
}

pub async fn reconcile(sim: &Arc<Sim>, key: &Key) -> Result<Option<Duration>, kube::Error> {
    let Some(ds) = get(&sim.daemonsets, key) else {
        return Ok(None);
    };
    if pods::is_deleting(&ds.metadata) {
        return Ok(None);
    }
    let uid = ds.uid().unwrap_or_default();
    let spec = ds.spec.clone().unwrap_or_default();
    let hash = pods::template_hash(
        &spec.template,
        ds.status.as_ref().and_then(|s| s.collision_count),
    );
    let generation = ds.metadata.generation.unwrap_or(1);
    let (owned, pending) = sim.owned_pods(&uid);
    let mut by_node: HashMap<String, Vec<Arc<Pod>>> = HashMap::new();
    for p in owned.iter().filter(|p| pods::is_active(p)) {
        if let Some(n) = target_node(p) {
            by_node.entry(n).or_default().push(Arc::clone(p));
        }
    }
    for list in by_node.values_mut() {
        list.sort_by_key(|p| {
            (
                p.metadata.creation_timestamp.as_ref().map(|t| t.0),
                p.name_any(),
            )
        });
    }
    let pending_nodes: Vec<String> = pending.into_iter().map(|(_, tag)| tag).collect();

    let nodes = sim.nodes.state();
    let mut plan: BTreeMap<String, (bool, bool)> = BTreeMap::new();
    for node in &nodes {
        plan.insert(node.name_any(), placement(&spec.template, node));
    }

    let now = Timestamp::now();
    let min_ready = spec.min_ready_seconds.unwrap_or(0);
    let (mut desired, mut current, mut ready, mut available, mut updated, mut misscheduled) =
        (0i64, 0i64, 0i64, 0i64, 0i64, 0i64);
    let mut wait: Option<Duration> = None;
    let updated_pod = |p: &Pod| p.labels().get(REVISION_LABEL) == Some(&hash);
    for (node, (run, _)) in &plan {
        let here = by_node.get(node);
        let scheduled = here.is_some_and(|l| !l.is_empty());
        if *run {
            desired += 1;
            let Some(pod) = here.and_then(|l| l.first()) else {
                continue;
            };
            current += 1;
            if pods::is_ready(pod) {
                ready += 1;
                let (avail, left) = pods::availability(pod, min_ready, now);
                if avail {
                    available += 1;
                }
                if let Some(left) = left {
                    wait = Some(wait.map_or(left, |w| w.min(left)));
                }
            }
            if updated_pod(pod) {
                updated += 1;
            }
        } else if scheduled {
            misscheduled += 1;
        }
    }

    // Pods where none should be, and duplicates.
    for (node, list) in &by_node {
        let (_, keep) = plan.get(node).copied().unwrap_or((false, false));
        let extra: Vec<&Arc<Pod>> = if keep {
            list.iter().skip(1).collect()
        } else {
            list.iter().collect()
        };
        for p in extra {
            info!(daemonset = %key, pod = %p.name_any(), node = %node, "deleting pod");
            pods::delete(sim, p, Some(&uid)).await?;
        }
    }
    // Nodes that should run a pod and have none.
    let labels: BTreeMap<String, String> = [
        (REVISION_LABEL.to_owned(), hash.clone()),
        (GENERATION_LABEL.to_owned(), generation.to_string()),
    ]
    .into();
    for (node, (run, _)) in &plan {
        if !*run || by_node.contains_key(node) || pending_nodes.contains(node) {
            continue;
        }
        let pod = pods::from_template(
            &template_for(&spec.template, node),
            &key.namespace,
            pods::owner_ref(ds.as_ref()),
            Naming::Generate(format!("{}-", key.name)),
            labels.clone(),
            BTreeMap::new(),
        );
        pods::create(sim, pod, &uid, node).await?;
    }
    // A new template: replace old pods, unavailable ones first, then as many as maxUnavailable
    // allows.
    let rolling = spec
        .update_strategy
        .as_ref()
        .and_then(|s| s.type_.as_deref())
        .unwrap_or("RollingUpdate")
        == "RollingUpdate";
    if rolling {
        let max_unavailable = match spec
            .update_strategy
            .as_ref()
            .and_then(|s| s.rolling_update.as_ref())
            .and_then(|r| r.max_unavailable.as_ref())
        {
            Some(IntOrString::Int(n)) => i64::from(*n),
            Some(IntOrString::String(s)) => {
                let pct: i64 = s.trim_end_matches('%').parse().unwrap_or(0);
                (desired * pct + 99) / 100
            }
            None => 1,
        }
        .max(1);
        let mut unavailable = desired - available;
        for (node, (run, _)) in &plan {
            let Some(pod) = by_node.get(node).and_then(|l| l.first()) else {
                continue;
            };
            if !*run || updated_pod(pod) {
                continue;
            }
            let is_available = pods::availability(pod, min_ready, now).0;
            if !is_available || unavailable < max_unavailable {
                if is_available {
                    unavailable += 1;
                }
                info!(daemonset = %key, pod = %pod.name_any(), node = %node, "updating pod");
                pods::delete(sim, pod, Some(&uid)).await?;
            }
        }
    }

    let old = status::status_of(&ds.status);
    let mut new = Map::new();
    new.insert("currentNumberScheduled".into(), json!(current));
    new.insert("numberMisscheduled".into(), json!(misscheduled));
    new.insert("desiredNumberScheduled".into(), json!(desired));
    new.insert("numberReady".into(), json!(ready));
    put(&mut new, "observedGeneration", ds.metadata.generation);
    put(&mut new, "updatedNumberScheduled", nonzero(updated));
    put(&mut new, "numberAvailable", nonzero(available));
    put(
        &mut new,
        "numberUnavailable",
        nonzero((desired - available).max(0)),
    );
    if let Some(c) = old.get("collisionCount") {
        new.insert("collisionCount".into(), c.clone());
    }
    let api: Api<DaemonSet> = Api::namespaced(sim.client.clone(), &key.namespace);
    status::write_status(&api, &key.name, &old, &Value::Object(new)).await?;
    Ok(wait)
}
