//! Which bindings the scheduler handles, and whether one needs scheduling now: Karmada's event
//! filter (`resourceBindingEventFilter`) and its `doScheduleBinding` decision, as pure functions
//! of the binding and the cluster snapshot.

use std::fmt;

use flotilla_api::k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use flotilla_api::labels;
use flotilla_api::policy::v1alpha1 as policy;
use flotilla_api::work::v1alpha2::{self as work, ResourceBindingSpec, ResourceBindingStatus};

/// Karmada's default scheduler name, which an empty `spec.schedulerName` means.
pub const DEFAULT_SCHEDULER_NAME: &str = "default-scheduler";

/// Whether this scheduler handles the binding at all: it names this scheduler (empty means
/// the default one), its scheduling is not suspended, and a policy or another component owns it
/// (the PropagationPolicy or ClusterPropagationPolicy permanent-id label, or `managed-by`).
pub fn handles(scheduler_name: &str, meta: &ObjectMeta, spec: &ResourceBindingSpec) -> bool {
    let named = match spec.scheduler_name.as_deref() {
        None | Some("") => DEFAULT_SCHEDULER_NAME,
        Some(name) => name,
    };
    if named != scheduler_name || spec.scheduling_suspended() {
        return false;
    }
    meta.labels.as_ref().is_some_and(|l| {
        [
            labels::PROPAGATION_POLICY_PERMANENT_ID,
            labels::CLUSTER_PROPAGATION_POLICY_PERMANENT_ID,
            labels::BINDING_MANAGED_BY,
        ]
        .iter()
        .any(|k| l.get(*k).is_some_and(|v| !v.is_empty()))
    })
}

/// Why a binding is (re)scheduled; each is a rule of Karmada's `doScheduleBinding`, in its
/// order, except the last two, which are Flotilla's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// `spec.placement` differs from the `policy.karmada.io/applied-placement` annotation (for
    /// `clusterAffinities`, only the observed term counts), or there is no annotation yet.
    PlacementChanged,
    /// Divided: the replicas in `spec.clusters` do not add up to `spec.replicas`; Duplicated:
    /// some cluster's replicas differ from `spec.replicas`.
    ReplicasChanged,
    /// `spec.rescheduleTriggeredAt` is later than `status.lastScheduledTime`.
    RescheduleRequested,
    /// A non-workload or a Duplicated workload, which is always rescheduled so it follows
    /// cluster changes.
    AlwaysRescheduled,
    /// A target cluster is being deleted.
    TargetClusterDeleting(String),
    /// A target cluster no longer exists (Flotilla: a Cluster without finalizers is gone at
    /// once, with no deletion to observe first).
    TargetClusterGone(String),
    /// The binding has a result but no `Scheduled` condition: the status write of the last
    /// scheduling was lost (Flotilla).
    ResultNotRecorded,
}

impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Trigger::PlacementChanged => f.write_str("placement changed"),
            Trigger::ReplicasChanged => f.write_str("replicas changed"),
            Trigger::RescheduleRequested => f.write_str("reschedule requested"),
            Trigger::AlwaysRescheduled => f.write_str("duplicated or not a workload"),
            Trigger::TargetClusterDeleting(c) => write!(f, "target cluster {c} is being deleted"),
            Trigger::TargetClusterGone(c) => write!(f, "target cluster {c} is gone"),
            Trigger::ResultNotRecorded => f.write_str("result not recorded in status"),
        }
    }
}

/// What a binding needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Run the scheduler.
    Schedule(Trigger),
    /// Nothing to schedule; record `metadata.generation` as `status.schedulerObservedGeneration`.
    SyncGeneration(i64),
    /// Nothing to do.
    UpToDate,
}

/// What the snapshot knows of a cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClusterState {
    /// Present and not being deleted.
    Present,
    /// Has a deletionTimestamp.
    Deleting,
    /// Not in the snapshot.
    Gone,
}

/// The decision for a binding with placement `placement` (Karmada's `doScheduleBinding`; the
/// caller has checked [`handles`] and that the binding is not being deleted).
pub fn decide(
    meta: &ObjectMeta,
    spec: &ResourceBindingSpec,
    status: Option<&ResourceBindingStatus>,
    placement: &policy::Placement,
    cluster: impl Fn(&str) -> ClusterState,
) -> Decision {
    let observed_affinity = status
        .and_then(|s| s.scheduler_observing_affinity_name.as_deref())
        .unwrap_or("");
    let applied = meta
        .annotations
        .as_ref()
        .and_then(|a| a.get(labels::APPLIED_PLACEMENT))
        .map(String::as_str);
    if placement_changed(placement, applied, observed_affinity) {
        return Decision::Schedule(Trigger::PlacementChanged);
    }
    if replicas_changed(spec, placement) {
        return Decision::Schedule(Trigger::ReplicasChanged);
    }
    if reschedule_requested(spec, status) {
        return Decision::Schedule(Trigger::RescheduleRequested);
    }
    let workload =
        spec.replicas() > 0 || spec.replica_requirements.is_some() || !spec.components.is_empty();
    if !workload || placement.replica_scheduling_type() == policy::ReplicaSchedulingType::Duplicated
    {
        return Decision::Schedule(Trigger::AlwaysRescheduled);
    }
    for target in &spec.clusters {
        match cluster(&target.name) {
            ClusterState::Present => {}
            ClusterState::Deleting => {
                return Decision::Schedule(Trigger::TargetClusterDeleting(target.name.clone()));
            }
            ClusterState::Gone => {
                return Decision::Schedule(Trigger::TargetClusterGone(target.name.clone()));
            }
        }
    }
    if scheduled_condition(status).is_none() {
        return Decision::Schedule(Trigger::ResultNotRecorded);
    }
    let generation = meta.generation.unwrap_or(0);
    if status.and_then(|s| s.scheduler_observed_generation) != Some(generation) {
        return Decision::SyncGeneration(generation);
    }
    Decision::UpToDate
}

/// The binding's `Scheduled` condition.
pub fn scheduled_condition(
    status: Option<&ResourceBindingStatus>,
) -> Option<&flotilla_api::k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition> {
    status?
        .conditions
        .iter()
        .find(|c| c.type_ == work::CONDITION_SCHEDULED)
}

/// Karmada's `placementChanged`: whether `placement` differs from the applied one recorded in
/// the annotation. With `clusterAffinities`, a change in terms other than the observed one does
/// not count. An annotation that does not parse counts as a change (Karmada logs it and carries
/// on as unchanged, which would keep such a binding from ever following its policy).
pub fn placement_changed(
    placement: &policy::Placement,
    applied: Option<&str>,
    observed_affinity: &str,
) -> bool {
    let Some(applied) = applied.filter(|a| !a.is_empty()) else {
        return true;
    };
    let Ok(applied) = serde_json::from_str::<policy::Placement>(applied) else {
        return true;
    };
    if *placement == applied {
        return false;
    }
    if placement.cluster_affinity != applied.cluster_affinity
        || placement.cluster_tolerations != applied.cluster_tolerations
        || placement.spread_constraints != applied.spread_constraints
        || placement.replica_scheduling != applied.replica_scheduling
    {
        return true;
    }
    if observed_affinity.is_empty() {
        return true;
    }
    let term = |terms: &[policy::ClusterAffinityTerm]| {
        terms
            .iter()
            .find(|t| t.affinity_name == observed_affinity)
            .cloned()
    };
    match (
        term(&placement.cluster_affinities),
        term(&applied.cluster_affinities),
    ) {
        (Some(now), Some(then)) => now != then,
        _ => true,
    }
}

/// Karmada's `IsBindingReplicasChanged`.
pub fn replicas_changed(spec: &ResourceBindingSpec, placement: &policy::Placement) -> bool {
    let Some(strategy) = &placement.replica_scheduling else {
        return false;
    };
    match strategy.replica_scheduling_type.unwrap_or_default() {
        policy::ReplicaSchedulingType::Duplicated => spec
            .clusters
            .iter()
            .any(|c| c.replicas() != spec.replicas()),
        policy::ReplicaSchedulingType::Divided => {
            spec.assigned_replicas() != i64::from(spec.replicas())
        }
    }
}

/// Karmada's `RescheduleRequired`: a trigger later than the last successful schedule.
pub fn reschedule_requested(
    spec: &ResourceBindingSpec,
    status: Option<&ResourceBindingStatus>,
) -> bool {
    match (
        spec.reschedule_triggered_at.as_ref(),
        status.and_then(|s| s.last_scheduled_time.as_ref()),
    ) {
        (Some(triggered), Some(last)) => triggered.0 > last.0,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flotilla_api::ResourceBinding;
    use serde_json::{Value, json};

    fn binding(extra: Value) -> ResourceBinding {
        with(vec![extra])
    }

    /// The base binding with `parts` merged over it in order.
    fn with(parts: Vec<Value>) -> ResourceBinding {
        let mut base = json!({
            "apiVersion": "work.karmada.io/v1alpha2",
            "kind": "ResourceBinding",
            "metadata": {
                "name": "nginx-deployment", "namespace": "default", "generation": 3,
                "labels": {"propagationpolicy.karmada.io/permanent-id": "p-1"},
            },
            "spec": {
                "resource": {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "default", "name": "nginx", "uid": "u-1"},
                "replicas": 9,
                "placement": divided(),
            },
        });
        for part in parts {
            merge(&mut base, part);
        }
        serde_json::from_value(base).expect("valid binding")
    }

    fn divided() -> Value {
        json!({
            "clusterAffinity": {"clusterNames": ["us-east-1", "eu-west-1"]},
            "replicaScheduling": {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted"},
        })
    }

    fn duplicated() -> Value {
        // The null removes the division preference when merged over `divided()`.
        json!({
            "clusterAffinity": {"clusterNames": ["us-east-1", "eu-west-1"]},
            "replicaScheduling": {"replicaSchedulingType": "Duplicated", "replicaDivisionPreference": null},
        })
    }

    fn affinities(first_names: &[&str]) -> Value {
        // The null removes the `clusterAffinity` of `divided()` when merged over it.
        json!({
            "clusterAffinity": null,
            "clusterAffinities": [
                {"affinityName": "primary", "clusterNames": first_names},
                {"affinityName": "backup", "clusterNames": ["ap-south-1"]},
            ],
            "replicaScheduling": {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted"},
        })
    }

    /// JSON merge patch semantics, enough for building test objects.
    fn merge(base: &mut Value, patch: Value) {
        match (base, patch) {
            (Value::Object(b), Value::Object(p)) => {
                for (k, v) in p {
                    if v.is_null() {
                        b.remove(&k);
                    } else {
                        merge(b.entry(k).or_insert(Value::Null), v);
                    }
                }
            }
            (b, p) => *b = p,
        }
    }

    fn applied(placement: Value) -> Value {
        json!({"metadata": {"annotations": {"policy.karmada.io/applied-placement": placement.to_string()}}})
    }

    fn scheduled(observed: i64) -> Value {
        json!({"status": {
            "schedulerObservedGeneration": observed,
            "lastScheduledTime": "2026-01-01T00:00:00Z",
            "conditions": [{"type": "Scheduled", "status": "True", "reason": "Success", "message": "ok", "lastTransitionTime": "2026-01-01T00:00:00Z"}],
        }})
    }

    fn clusters(list: Value) -> Value {
        json!({"spec": {"clusters": list}})
    }

    #[test]
    fn decisions_follow_karmadas_rules_in_order() {
        struct Case {
            name: &'static str,
            binding: ResourceBinding,
            want: Decision,
        }
        let placed = clusters(
            json!([{"name": "eu-west-1", "replicas": 3}, {"name": "us-east-1", "replicas": 6}]),
        );
        let cases = vec![
            Case {
                name: "never scheduled: no applied placement",
                binding: with(vec![]),
                want: Decision::Schedule(Trigger::PlacementChanged),
            },
            Case {
                name: "scheduled and observed: nothing to do",
                binding: with(vec![applied(divided()), placed.clone(), scheduled(3)]),
                want: Decision::UpToDate,
            },
            Case {
                name: "another spec change: only the observed generation moves",
                binding: with(vec![applied(divided()), placed.clone(), scheduled(2)]),
                want: Decision::SyncGeneration(3),
            },
            Case {
                name: "policy placement changed",
                binding: with(vec![applied(duplicated()), placed.clone(), scheduled(3)]),
                want: Decision::Schedule(Trigger::PlacementChanged),
            },
            Case {
                name: "an annotation that does not parse is a change",
                binding: with(vec![
                    json!({"metadata": {"annotations": {"policy.karmada.io/applied-placement": "{not json"}}}),
                    placed.clone(),
                    scheduled(3),
                ]),
                want: Decision::Schedule(Trigger::PlacementChanged),
            },
            Case {
                name: "divided: scaled up",
                binding: with(vec![
                    applied(divided()),
                    placed.clone(),
                    scheduled(3),
                    json!({"spec": {"replicas": 12}}),
                ]),
                want: Decision::Schedule(Trigger::ReplicasChanged),
            },
            Case {
                name: "divided: evicted from a cluster (sum below replicas)",
                binding: with(vec![
                    applied(divided()),
                    clusters(json!([{"name": "us-east-1", "replicas": 6}])),
                    scheduled(3),
                ]),
                want: Decision::Schedule(Trigger::ReplicasChanged),
            },
            Case {
                name: "divided: no cluster fit last time (empty result)",
                binding: with(vec![applied(divided()), scheduled(3)]),
                want: Decision::Schedule(Trigger::ReplicasChanged),
            },
            Case {
                name: "manual reschedule after the last schedule",
                binding: with(vec![
                    applied(divided()),
                    placed.clone(),
                    scheduled(3),
                    json!({"spec": {"rescheduleTriggeredAt": "2026-02-01T00:00:00Z"}}),
                ]),
                want: Decision::Schedule(Trigger::RescheduleRequested),
            },
            Case {
                name: "manual reschedule already done",
                binding: with(vec![
                    applied(divided()),
                    placed.clone(),
                    scheduled(3),
                    json!({"spec": {"rescheduleTriggeredAt": "2025-12-01T00:00:00Z"}}),
                ]),
                want: Decision::UpToDate,
            },
            Case {
                name: "duplicated is always rescheduled",
                binding: with(vec![
                    json!({"spec": {"placement": duplicated()}}),
                    applied(duplicated()),
                    clusters(
                        json!([{"name": "eu-west-1", "replicas": 9}, {"name": "us-east-1", "replicas": 9}]),
                    ),
                    scheduled(3),
                ]),
                want: Decision::Schedule(Trigger::AlwaysRescheduled),
            },
            Case {
                name: "duplicated: replicas changed comes first",
                binding: with(vec![
                    json!({"spec": {"placement": duplicated()}}),
                    applied(duplicated()),
                    clusters(
                        json!([{"name": "eu-west-1", "replicas": 9}, {"name": "us-east-1", "replicas": 8}]),
                    ),
                    scheduled(3),
                ]),
                want: Decision::Schedule(Trigger::ReplicasChanged),
            },
            Case {
                name: "a non-workload is always rescheduled",
                binding: with(vec![
                    json!({"spec": {"replicas": null}}),
                    applied(divided()),
                    clusters(json!([{"name": "eu-west-1"}, {"name": "us-east-1"}])),
                    scheduled(3),
                ]),
                want: Decision::Schedule(Trigger::AlwaysRescheduled),
            },
            Case {
                name: "a target cluster is being deleted",
                binding: with(vec![
                    applied(divided()),
                    clusters(
                        json!([{"name": "deleting-1", "replicas": 3}, {"name": "us-east-1", "replicas": 6}]),
                    ),
                    scheduled(3),
                ]),
                want: Decision::Schedule(Trigger::TargetClusterDeleting("deleting-1".into())),
            },
            Case {
                name: "a target cluster is gone",
                binding: with(vec![
                    applied(divided()),
                    clusters(
                        json!([{"name": "gone-1", "replicas": 3}, {"name": "us-east-1", "replicas": 6}]),
                    ),
                    scheduled(3),
                ]),
                want: Decision::Schedule(Trigger::TargetClusterGone("gone-1".into())),
            },
            Case {
                name: "result written but its status was lost",
                binding: with(vec![applied(divided()), placed.clone()]),
                want: Decision::Schedule(Trigger::ResultNotRecorded),
            },
            Case {
                name: "clusterAffinities: a change in another term does not count",
                binding: with(vec![
                    json!({"spec": {"placement": affinities(&["us-east-1", "eu-west-1"])}}),
                    applied(affinities(&["us-east-1", "eu-west-1"])),
                    placed.clone(),
                    scheduled(3),
                    json!({"status": {"schedulerObservingAffinityName": "primary"}}),
                    json!({"spec": {"placement": {"clusterAffinity": null, "clusterAffinities": [
                        {"affinityName": "primary", "clusterNames": ["us-east-1", "eu-west-1"]},
                        {"affinityName": "backup", "clusterNames": ["ap-south-1", "ap-east-1"]},
                    ]}}}),
                ]),
                want: Decision::UpToDate,
            },
            Case {
                name: "clusterAffinities: the observed term changed",
                binding: with(vec![
                    json!({"spec": {"placement": affinities(&["us-east-1"])}}),
                    applied(affinities(&["us-east-1", "eu-west-1"])),
                    placed.clone(),
                    scheduled(3),
                    json!({"status": {"schedulerObservingAffinityName": "primary"}}),
                ]),
                want: Decision::Schedule(Trigger::PlacementChanged),
            },
            Case {
                name: "clusterAffinities: no observed term yet",
                binding: with(vec![
                    json!({"spec": {"placement": {"clusterAffinity": null, "clusterAffinities": [
                        {"affinityName": "primary", "clusterNames": ["us-east-1"]},
                    ]}}}),
                    applied(affinities(&["us-east-1", "eu-west-1"])),
                    placed.clone(),
                    scheduled(3),
                ]),
                want: Decision::Schedule(Trigger::PlacementChanged),
            },
        ];
        let state = |name: &str| match name {
            "deleting-1" => ClusterState::Deleting,
            "gone-1" => ClusterState::Gone,
            _ => ClusterState::Present,
        };
        for case in cases {
            let b = &case.binding;
            let got = decide(
                &b.metadata,
                &b.spec,
                b.status.as_ref(),
                b.spec.placement.as_ref().expect("placement"),
                state,
            );
            assert_eq!(got, case.want, "{}", case.name);
        }
    }

    #[test]
    fn handles_only_its_own_claimed_unsuspended_bindings() {
        struct Case {
            name: &'static str,
            patch: Value,
            handled: bool,
        }
        let cases = vec![
            Case {
                name: "default scheduler, claimed by a PropagationPolicy",
                patch: json!({}),
                handled: true,
            },
            Case {
                name: "explicit default scheduler",
                patch: json!({"spec": {"schedulerName": "default-scheduler"}}),
                handled: true,
            },
            Case {
                name: "another scheduler",
                patch: json!({"spec": {"schedulerName": "gpu-scheduler"}}),
                handled: false,
            },
            Case {
                name: "scheduling suspended",
                patch: json!({"spec": {"suspension": {"scheduling": true}}}),
                handled: false,
            },
            Case {
                name: "suspension of dispatching only",
                patch: json!({"spec": {"suspension": {"dispatching": true}}}),
                handled: true,
            },
            Case {
                name: "released: no policy label",
                patch: json!({"metadata": {"labels": {"propagationpolicy.karmada.io/permanent-id": null}}}),
                handled: false,
            },
            Case {
                name: "claimed by a ClusterPropagationPolicy",
                patch: json!({"metadata": {"labels": {
                    "propagationpolicy.karmada.io/permanent-id": null,
                    "clusterpropagationpolicy.karmada.io/permanent-id": "c-1",
                }}}),
                handled: true,
            },
            Case {
                name: "managed by another component",
                patch: json!({"metadata": {"labels": {
                    "propagationpolicy.karmada.io/permanent-id": null,
                    "binding.karmada.io/managed-by": "FederatedHPA",
                }}}),
                handled: true,
            },
        ];
        for case in cases {
            let b = binding(case.patch);
            assert_eq!(
                handles(DEFAULT_SCHEDULER_NAME, &b.metadata, &b.spec),
                case.handled,
                "{}",
                case.name
            );
        }
    }
}
