//! The pure half of the binding status controller: a binding's `aggregatedStatus` and
//! `FullyApplied` condition made from its Works, and the JSON merge patch that turns one status
//! into another.

use std::collections::BTreeSet;

use flotilla_api::k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use flotilla_api::names;
use flotilla_api::policy::v1alpha1::PurgeMode;
use flotilla_api::work::v1alpha1::{ManifestStatus, WORK_APPLIED, Work};
use flotilla_api::work::v1alpha2::{
    AggregatedStatusItem, CONDITION_FULLY_APPLIED, ObjectReference, REASON_FULLY_APPLIED_FAILED,
    REASON_FULLY_APPLIED_SUCCESS, ResourceBindingSpec, ResourceHealth,
};
use serde_json::{Map, Value};

/// Message of a True FullyApplied condition (Karmada's wording, which tools match on).
pub const FULLY_APPLIED_MESSAGE: &str = "All works have been successfully applied";

/// Message of an item whose cluster has no Work yet.
pub const NO_WORK_MESSAGE: &str = "the Work for this cluster has not been created yet";

/// The clusters a binding's resource should be applied to (Karmada's "existing clusters"): its
/// scheduled clusters, the clusters of the bindings that require it, and the clusters being
/// gracefully evicted from (whose Works stay until the eviction ends), except evictions that purge
/// directly.
pub fn target_clusters(spec: &ResourceBindingSpec) -> BTreeSet<String> {
    let mut clusters: BTreeSet<String> = spec.clusters.iter().map(|c| c.name.clone()).collect();
    for required in &spec.required_by {
        clusters.extend(required.clusters.iter().map(|c| c.name.clone()));
    }
    for task in &spec.graceful_eviction_tasks {
        if task.purge_mode != Some(PurgeMode::Directly) {
            clusters.insert(task.from_cluster.clone());
        }
    }
    clusters.remove("");
    clusters
}

/// One `aggregatedStatus` item per target cluster, sorted by cluster: whether the cluster's Work
/// is applied (with the Applied condition's message when not), and, when it is, the status and
/// health reported for the binding's resource. `works` are the binding's Works; those being
/// deleted and those of other clusters are ignored.
pub fn aggregated_items(
    targets: &BTreeSet<String>,
    resource: &ObjectReference,
    works: &[&Work],
) -> Vec<AggregatedStatusItem> {
    targets
        .iter()
        .map(|cluster| {
            let work = works.iter().find(|work| {
                work.metadata.deletion_timestamp.is_none()
                    && work
                        .metadata
                        .namespace
                        .as_deref()
                        .and_then(names::cluster_of_execution_namespace)
                        == Some(cluster.as_str())
            });
            match work {
                Some(work) => item_of(cluster, work, resource),
                None => AggregatedStatusItem {
                    cluster_name: cluster.clone(),
                    status: None,
                    applied: Some(false),
                    applied_message: Some(NO_WORK_MESSAGE.to_owned()),
                    health: Some(ResourceHealth::Unknown),
                },
            }
        })
        .collect()
}

fn item_of(cluster: &str, work: &Work, resource: &ObjectReference) -> AggregatedStatusItem {
    let status = work.status.as_ref();
    let applied = status.and_then(|s| s.conditions.iter().find(|c| c.type_ == WORK_APPLIED));
    match applied {
        Some(condition) if condition.status == "True" => {
            let manifest = status.and_then(|s| manifest_status(&s.manifest_statuses, resource));
            AggregatedStatusItem {
                cluster_name: cluster.to_owned(),
                status: manifest.and_then(|m| m.status.clone()),
                applied: Some(true),
                applied_message: None,
                health: Some(
                    manifest
                        .and_then(|m| m.health)
                        .unwrap_or(ResourceHealth::Unknown),
                ),
            }
        }
        other => AggregatedStatusItem {
            cluster_name: cluster.to_owned(),
            status: None,
            applied: Some(false),
            applied_message: other.map(|c| c.message.clone()).filter(|m| !m.is_empty()),
            health: Some(ResourceHealth::Unknown),
        },
    }
}

/// The manifest status of `resource` among a Work's: the one whose identifier names the same
/// group, kind, namespace and name. (The ordinal and version are not compared: the Work holds one
/// object of that identity, and the execution controller may order manifests or pick the
/// version as it needs.)
pub fn manifest_status<'a>(
    statuses: &'a [ManifestStatus],
    resource: &ObjectReference,
) -> Option<&'a ManifestStatus> {
    let group = resource
        .api_version
        .rsplit_once('/')
        .map_or("", |(group, _)| group);
    let namespace = resource.namespace.as_deref().unwrap_or("");
    statuses.iter().find(|m| {
        let id = &m.identifier;
        id.group.as_deref().unwrap_or("") == group
            && id.kind == resource.kind
            && id.namespace.as_deref().unwrap_or("") == namespace
            && id.name == resource.name
    })
}

/// The FullyApplied condition: True when there are target clusters and every one has an applied
/// Work, otherwise False naming the clusters that are not applied. The transition time of
/// `previous` is kept when the status does not change.
pub fn fully_applied_condition(
    items: &[AggregatedStatusItem],
    previous: Option<&Condition>,
    now: Time,
) -> Condition {
    let not_applied: Vec<&str> = items
        .iter()
        .filter(|item| item.applied != Some(true))
        .map(|item| item.cluster_name.as_str())
        .collect();
    let (status, reason, message) = if items.is_empty() {
        (
            "False",
            REASON_FULLY_APPLIED_FAILED,
            "the binding has no target clusters".to_owned(),
        )
    } else if not_applied.is_empty() {
        (
            "True",
            REASON_FULLY_APPLIED_SUCCESS,
            FULLY_APPLIED_MESSAGE.to_owned(),
        )
    } else {
        (
            "False",
            REASON_FULLY_APPLIED_FAILED,
            format!(
                "not applied in clusters {}; see status.aggregatedStatus for details",
                not_applied.join(", ")
            ),
        )
    };
    let last_transition_time = match previous {
        Some(previous) if previous.status == status => previous.last_transition_time.clone(),
        _ => now,
    };
    Condition {
        type_: CONDITION_FULLY_APPLIED.to_owned(),
        status: status.to_owned(),
        reason: reason.to_owned(),
        message,
        last_transition_time,
        observed_generation: None,
    }
}

/// Whether two conditions say the same (their times aside).
pub fn same_condition(a: &Condition, b: &Condition) -> bool {
    a.type_ == b.type_ && a.status == b.status && a.reason == b.reason && a.message == b.message
}

/// `conditions` with `condition` in place of the one of its type (or added), others untouched.
pub fn set_condition(conditions: &[Condition], condition: Condition) -> Vec<Condition> {
    let mut out: Vec<Condition> = conditions.to_vec();
    match out.iter_mut().find(|c| c.type_ == condition.type_) {
        Some(existing) => *existing = condition,
        None => out.push(condition),
    }
    out
}

/// The JSON merge patch (RFC 7386) that turns `old` into `new`: changed and added fields,
/// removed fields as `null`; arrays and non-objects are replaced whole. `None` when they are
/// equal.
pub fn merge_patch(old: &Value, new: &Value) -> Option<Value> {
    if old == new {
        return None;
    }
    match (old, new) {
        (Value::Object(old), Value::Object(new)) => {
            let mut patch = Map::new();
            for key in old.keys() {
                if !new.contains_key(key) {
                    patch.insert(key.clone(), Value::Null);
                }
            }
            for (key, value) in new {
                match old.get(key) {
                    Some(previous) => {
                        if let Some(change) = merge_patch(previous, value) {
                            patch.insert(key.clone(), change);
                        }
                    }
                    // A null cannot be added by a merge patch; leaving the field out is the
                    // same for every reader.
                    None if value.is_null() => {}
                    None => {
                        patch.insert(key.clone(), value.clone());
                    }
                }
            }
            (!patch.is_empty()).then_some(Value::Object(patch))
        }
        // An object replacing a non-object must not be merged into it: send it whole, with its
        // nulls dropped (they would read as deletions).
        _ => Some(without_nulls(new)),
    }
}

fn without_nulls(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flotilla_api::k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
    use flotilla_api::k8s_openapi::jiff::Timestamp;
    use flotilla_api::work::v1alpha1::{ResourceIdentifier, WorkSpec, WorkStatus};
    use flotilla_api::work::v1alpha2::{BindingSnapshot, GracefulEvictionTask, TargetCluster};
    use serde_json::json;

    fn time(s: &str) -> Time {
        Time(s.parse::<Timestamp>().unwrap())
    }

    fn resource() -> ObjectReference {
        ObjectReference {
            api_version: "apps/v1".to_owned(),
            kind: "Deployment".to_owned(),
            namespace: Some("default".to_owned()),
            name: "web".to_owned(),
            ..Default::default()
        }
    }

    fn condition(type_: &str, status: &str, message: &str) -> Condition {
        Condition {
            type_: type_.to_owned(),
            status: status.to_owned(),
            reason: "R".to_owned(),
            message: message.to_owned(),
            last_transition_time: time("2024-01-01T00:00:00Z"),
            observed_generation: None,
        }
    }

    fn manifest(group: &str, kind: &str, name: &str, status: Value) -> ManifestStatus {
        ManifestStatus {
            identifier: ResourceIdentifier {
                ordinal: 0,
                group: (!group.is_empty()).then(|| group.to_owned()),
                version: "v1".to_owned(),
                kind: kind.to_owned(),
                resource: format!("{}s", kind.to_lowercase()),
                namespace: Some("default".to_owned()),
                name: name.to_owned(),
            },
            status: Some(status),
            health: Some(ResourceHealth::Healthy),
        }
    }

    fn work(cluster: &str, conditions: Vec<Condition>, manifests: Vec<ManifestStatus>) -> Work {
        Work {
            api_version: String::new(),
            kind: String::new(),
            metadata: ObjectMeta {
                namespace: Some(names::execution_namespace(cluster)),
                name: Some("web-x".to_owned()),
                ..Default::default()
            },
            spec: WorkSpec::default(),
            status: Some(WorkStatus {
                conditions,
                manifest_statuses: manifests,
            }),
        }
    }

    #[test]
    fn targets_include_required_by_and_evictions() {
        let spec = ResourceBindingSpec {
            clusters: vec![TargetCluster {
                name: "m2".to_owned(),
                ..Default::default()
            }],
            required_by: vec![BindingSnapshot {
                clusters: vec![TargetCluster {
                    name: "m1".to_owned(),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            graceful_eviction_tasks: vec![
                GracefulEvictionTask {
                    from_cluster: "m3".to_owned(),
                    ..Default::default()
                },
                GracefulEvictionTask {
                    from_cluster: "m4".to_owned(),
                    purge_mode: Some(PurgeMode::Directly),
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        let targets: Vec<String> = target_clusters(&spec).into_iter().collect();
        assert_eq!(targets, ["m1", "m2", "m3"]);
    }

    #[test]
    fn items_per_target_cluster() {
        struct Case {
            name: &'static str,
            work: Option<Work>,
            want: AggregatedStatusItem,
        }
        let applied = || condition(WORK_APPLIED, "True", "");
        let status = json!({"replicas": 2});
        let cases = vec![
            Case {
                name: "applied with a status for the resource",
                work: Some(work(
                    "m1",
                    vec![condition("Drifted", "True", "x"), applied()],
                    vec![
                        manifest("", "ConfigMap", "web", json!({"other": true})),
                        manifest("apps", "Deployment", "web", status.clone()),
                    ],
                )),
                want: AggregatedStatusItem {
                    cluster_name: "m1".to_owned(),
                    status: Some(status.clone()),
                    applied: Some(true),
                    applied_message: None,
                    health: Some(ResourceHealth::Healthy),
                },
            },
            Case {
                name: "applied, status not reflected yet",
                work: Some(work("m1", vec![applied()], vec![])),
                want: AggregatedStatusItem {
                    cluster_name: "m1".to_owned(),
                    status: None,
                    applied: Some(true),
                    applied_message: None,
                    health: Some(ResourceHealth::Unknown),
                },
            },
            Case {
                name: "failed to apply",
                work: Some(work(
                    "m1",
                    vec![condition(WORK_APPLIED, "False", "quota exceeded")],
                    vec![manifest("apps", "Deployment", "web", status.clone())],
                )),
                want: AggregatedStatusItem {
                    cluster_name: "m1".to_owned(),
                    status: None,
                    applied: Some(false),
                    applied_message: Some("quota exceeded".to_owned()),
                    health: Some(ResourceHealth::Unknown),
                },
            },
            Case {
                name: "no Applied condition yet",
                work: Some(work("m1", vec![], vec![])),
                want: AggregatedStatusItem {
                    cluster_name: "m1".to_owned(),
                    status: None,
                    applied: Some(false),
                    applied_message: None,
                    health: Some(ResourceHealth::Unknown),
                },
            },
            Case {
                name: "no Work",
                work: None,
                want: AggregatedStatusItem {
                    cluster_name: "m1".to_owned(),
                    status: None,
                    applied: Some(false),
                    applied_message: Some(NO_WORK_MESSAGE.to_owned()),
                    health: Some(ResourceHealth::Unknown),
                },
            },
            Case {
                name: "a Work of another cluster does not count",
                work: Some(work("m9", vec![applied()], vec![])),
                want: AggregatedStatusItem {
                    cluster_name: "m1".to_owned(),
                    status: None,
                    applied: Some(false),
                    applied_message: Some(NO_WORK_MESSAGE.to_owned()),
                    health: Some(ResourceHealth::Unknown),
                },
            },
        ];
        let targets: BTreeSet<String> = ["m1".to_owned()].into();
        for case in cases {
            let works: Vec<&Work> = case.work.iter().collect();
            let items = aggregated_items(&targets, &resource(), &works);
            assert_eq!(items, vec![case.want], "{}", case.name);
        }
    }

    #[test]
    fn fully_applied() {
        let item = |cluster: &str, applied: bool| AggregatedStatusItem {
            cluster_name: cluster.to_owned(),
            applied: Some(applied),
            ..Default::default()
        };
        let now = time("2024-02-02T00:00:00Z");
        let all = fully_applied_condition(&[item("m1", true), item("m2", true)], None, now.clone());
        assert_eq!(
            (
                all.status.as_str(),
                all.reason.as_str(),
                all.message.as_str()
            ),
            ("True", REASON_FULLY_APPLIED_SUCCESS, FULLY_APPLIED_MESSAGE)
        );
        assert_eq!(all.last_transition_time, now);

        let some = fully_applied_condition(
            &[item("m1", true), item("m2", false), item("m3", false)],
            Some(&all),
            time("2024-03-03T00:00:00Z"),
        );
        assert_eq!(some.status, "False");
        assert_eq!(some.reason, REASON_FULLY_APPLIED_FAILED);
        assert!(some.message.contains("m2, m3"), "{}", some.message);
        assert!(!some.message.contains("m1"), "{}", some.message);
        assert_eq!(some.last_transition_time, time("2024-03-03T00:00:00Z"));

        let still = fully_applied_condition(&[item("m2", false)], Some(&some), now.clone());
        assert_eq!(
            still.last_transition_time, some.last_transition_time,
            "same status keeps its transition time"
        );

        let none = fully_applied_condition(&[], None, now);
        assert_eq!(none.status, "False");
    }

    #[test]
    fn set_condition_keeps_the_others() {
        let scheduled = condition("Scheduled", "True", "");
        let old = condition(CONDITION_FULLY_APPLIED, "False", "a");
        let new = condition(CONDITION_FULLY_APPLIED, "True", "b");
        assert_eq!(
            set_condition(&[scheduled.clone(), old], new.clone()),
            vec![scheduled.clone(), new.clone()]
        );
        assert_eq!(
            set_condition(std::slice::from_ref(&scheduled), new.clone()),
            vec![scheduled, new]
        );
    }

    #[test]
    fn merge_patches() {
        struct Case {
            name: &'static str,
            old: Value,
            new: Value,
            want: Option<Value>,
        }
        let cases = vec![
            Case {
                name: "equal",
                old: json!({"a": 1}),
                new: json!({"a": 1}),
                want: None,
            },
            Case {
                name: "changed, added and removed fields",
                old: json!({"a": 1, "b": 2, "c": {"x": 1, "y": 2}}),
                new: json!({"a": 1, "b": 3, "c": {"x": 1}, "d": [1]}),
                want: Some(json!({"b": 3, "c": {"y": null}, "d": [1]})),
            },
            Case {
                name: "arrays are replaced whole",
                old: json!({"l": [1, 2]}),
                new: json!({"l": [1]}),
                want: Some(json!({"l": [1]})),
            },
            Case {
                name: "object replacing a scalar",
                old: json!({"s": 1}),
                new: json!({"s": {"k": 1, "n": null}}),
                want: Some(json!({"s": {"k": 1}})),
            },
            Case {
                name: "from nothing",
                old: Value::Null,
                new: json!({"replicas": 3}),
                want: Some(json!({"replicas": 3})),
            },
        ];
        for case in cases {
            let patch = merge_patch(&case.old, &case.new);
            assert_eq!(patch, case.want, "{}", case.name);
            // Applying the patch gives the new value (nulls aside).
            if let Some(patch) = patch {
                let mut doc = json!({"v": case.old});
                merge(&mut doc, &json!({"v": patch}));
                assert_eq!(doc["v"], without_nulls(&case.new), "{}", case.name);
            }
        }
    }

    /// RFC 7386 application, to check the patches.
    fn merge(doc: &mut Value, patch: &Value) {
        match patch {
            Value::Object(patch) => {
                if !doc.is_object() {
                    *doc = json!({});
                }
                let map = doc.as_object_mut().unwrap();
                for (k, v) in patch {
                    if v.is_null() {
                        map.remove(k);
                    } else {
                        merge(map.entry(k.clone()).or_insert(Value::Null), v);
                    }
                }
            }
            other => *doc = other.clone(),
        }
    }
}
