//! ReviseReplica: a workload's replicas set for one cluster (Karmada's native
//! `reviseReplica` interpreters for `apps/v1` Deployment, ReplicaSet and StatefulSet and
//! `batch/v1` Job).

use serde_json::{Map, Value};

/// The field of `spec` that carries the replicas of a revisable kind, if the kind is one.
fn replica_field(manifest: &Value) -> Option<&'static str> {
    let api_version = manifest.get("apiVersion").and_then(Value::as_str)?;
    let kind = manifest.get("kind").and_then(Value::as_str)?;
    match (api_version, kind) {
        ("apps/v1", "Deployment" | "ReplicaSet" | "StatefulSet") => Some("replicas"),
        ("batch/v1", "Job") => Some("parallelism"),
        _ => None,
    }
}

/// Sets the replicas of `manifest` for one cluster (Karmada's ReviseReplica): `spec.replicas`
/// of Deployments, StatefulSets and ReplicaSets; `spec.parallelism` of Jobs. Returns whether
/// the kind has replicas. Job completions are divided separately by the binding controller.
///
/// The field is written even when the template leaves it out (Karmada only overwrites a field
/// that is present, relying on API defaulting to put it there): a cluster must run the share
/// the scheduler gave it, not the API default of 1.
pub fn revise_replicas(manifest: &mut Value, replicas: i32) -> bool {
    let Some(field) = replica_field(manifest) else {
        return false;
    };
    let Some(object) = manifest.as_object_mut() else {
        return false;
    };
    let spec = object
        .entry("spec")
        .or_insert_with(|| Value::Object(Map::new()));
    if !spec.is_object() {
        *spec = Value::Object(Map::new());
    }
    if let Some(spec) = spec.as_object_mut() {
        spec.insert(field.to_owned(), Value::from(replicas));
    }
    true
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn revises_the_replica_field_of_each_kind() {
        struct Case {
            name: &'static str,
            manifest: Value,
            revised: bool,
            want: Value,
        }
        let cases = [
            Case {
                name: "deployment",
                manifest: json!({"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"replicas": 9, "paused": false}}),
                revised: true,
                want: json!({"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"replicas": 6, "paused": false}}),
            },
            Case {
                name: "statefulset",
                manifest: json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "spec": {"replicas": 1}}),
                revised: true,
                want: json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "spec": {"replicas": 6}}),
            },
            Case {
                name: "replicaset without replicas gets them",
                manifest: json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "spec": {}}),
                revised: true,
                want: json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "spec": {"replicas": 6}}),
            },
            Case {
                name: "job parallelism, completions untouched",
                manifest: json!({"apiVersion": "batch/v1", "kind": "Job", "spec": {"parallelism": 9, "completions": 18}}),
                revised: true,
                want: json!({"apiVersion": "batch/v1", "kind": "Job", "spec": {"parallelism": 6, "completions": 18}}),
            },
            Case {
                name: "daemonsets have no replicas",
                manifest: json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "spec": {}}),
                revised: false,
                want: json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "spec": {}}),
            },
            Case {
                name: "configmaps have no replicas",
                manifest: json!({"apiVersion": "v1", "kind": "ConfigMap", "data": {"replicas": "9"}}),
                revised: false,
                want: json!({"apiVersion": "v1", "kind": "ConfigMap", "data": {"replicas": "9"}}),
            },
            Case {
                name: "other versions are not native kinds",
                manifest: json!({"apiVersion": "apps/v1beta2", "kind": "Deployment", "spec": {"replicas": 9}}),
                revised: false,
                want: json!({"apiVersion": "apps/v1beta2", "kind": "Deployment", "spec": {"replicas": 9}}),
            },
        ];
        for mut case in cases {
            assert_eq!(
                revise_replicas(&mut case.manifest, 6),
                case.revised,
                "{}",
                case.name
            );
            assert_eq!(case.manifest, case.want, "{}", case.name);
        }
    }
}
