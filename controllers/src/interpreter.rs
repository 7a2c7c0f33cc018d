//! Per-kind knowledge shared by the controllers — Karmada's native resource interpreter
//! (`pkg/resourceinterpreter/default/native`): how to revise a workload's replicas for one
//! cluster, what status to reflect from a member object, how healthy it is, how per-cluster
//! statuses add up into the template's status, and which member-owned fields to retain.
//!
//! Everything here works on untyped JSON (`serde_json::Value`) so it applies to any kind; kinds
//! without a rule get Karmada's defaults.

use flotilla_api::work::v1alpha1::ResourceHealth;
use serde_json::Value;

/// One member cluster's reflected status of a template's object (from
/// `Work.status.manifestStatuses[].status`).
#[derive(Debug, Clone)]
pub struct ClusterStatus<'a> {
    pub cluster: &'a str,
    /// The reflected status, as [`reflect_status`] produced it.
    pub status: &'a Value,
}

/// Sets the replicas of `manifest` for one cluster (Karmada's ReviseReplica): `spec.replicas`
/// of Deployments, StatefulSets and ReplicaSets; `spec.parallelism` of Jobs. Returns whether
/// the kind has replicas. Job completions are divided separately by the binding controller.
pub fn revise_replicas(manifest: &mut Value, replicas: i32) -> bool {
    let _ = (manifest, replicas);
    unimplemented!("filled in by the interpreter work")
}

/// The status carried back from a member object (Karmada's ReflectStatus).
pub fn reflect_status(object: &Value) -> Option<Value> {
    let _ = object;
    unimplemented!("filled in by the interpreter work")
}

/// How healthy a member object is (Karmada's InterpretHealth).
pub fn health(object: &Value) -> ResourceHealth {
    let _ = object;
    unimplemented!("filled in by the interpreter work")
}

/// The template's status made from its per-cluster reflected statuses (Karmada's
/// AggregateStatus), or `None` when the kind's status is not aggregated.
pub fn aggregate_status(template: &Value, statuses: &[ClusterStatus<'_>]) -> Option<Value> {
    let _ = (template, statuses);
    unimplemented!("filled in by the interpreter work")
}

/// Keeps member-owned fields of `live` in `desired` before it is applied (Karmada's Retain),
/// e.g. a Deployment's replicas when the template says `retain-replicas`.
pub fn retain(desired: &mut Value, live: &Value) {
    let _ = (desired, live);
    unimplemented!("filled in by the interpreter work")
}
