//! ReviseReplica: a workload's replicas set for one cluster.

use serde_json::Value;

/// Sets the replicas of `manifest` for one cluster (Karmada's ReviseReplica): `spec.replicas`
/// of Deployments, StatefulSets and ReplicaSets; `spec.parallelism` of Jobs. Returns whether
/// the kind has replicas. Job completions are divided separately by the binding controller.
pub fn revise_replicas(manifest: &mut Value, replicas: i32) -> bool {
    let _ = (manifest, replicas);
    unimplemented!("filled in by the binding work")
}
