//! Conversion from the API objects (`flotilla-api`: `Cluster`, `Placement`, `ResourceBinding`)
//! to the scheduler's input structs, and of the result back to `spec.clusters`.
//!
//! Everything the Go code reads with a zero-value default reads the same way here: an unset
//! `replicas` is 0, an unset region is `""`, an unset `maxGroups` is 0. Quantities are parsed with
//! [`crate::quantity`]; a binding whose replica requirements do not parse is an error (it cannot
//! be placed correctly), while a cluster whose resource summary does not parse can still be
//! considered with no capacity, see [`cluster_lenient`].

use flotilla_api::cluster::v1alpha1 as cluster_api;
use flotilla_api::k8s_openapi::api::core::v1 as core;
use flotilla_api::k8s_openapi::apimachinery::pkg::apis::meta::v1 as meta;
use flotilla_api::policy::v1alpha1 as policy;
use flotilla_api::work::v1alpha2 as work;

use std::collections::BTreeMap;

use crate::quantity::{Quantity, QuantityError};
use crate::types::{
    ApiEnablement, BindingInput, ClusterAffinity, ClusterAffinityTerm, ClusterInput,
    DivisionPreference, DynamicWeightFactor, FieldSelector, LabelSelector, OverflowClusterAffinity,
    Placement, ReplicaRequirements, ReplicaScheduling, ReplicaSchedulingType, ResourceRef,
    ResourceSummary, ScheduleInput, ScheduleOptions, SelectorRequirement, SpreadConstraint,
    SpreadField, StaticClusterWeight, Taint, TargetCluster, Toleration, WeightPreference,
};

/// Why an API object cannot be turned into scheduler input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConversionError {
    /// A quantity does not parse.
    #[error("{object}: invalid quantity at {field}: {source}")]
    Quantity {
        /// The object, e.g. `cluster member1` or `binding default/web-deployment`.
        object: String,
        /// The field path, e.g. `status.resourceSummary.allocatable[cpu]`.
        field: String,
        /// The parse error.
        #[source]
        source: QuantityError,
    },
    /// The binding has no placement to schedule by.
    #[error("{0}: spec.placement is not set")]
    MissingPlacement(String),
}

fn quantities(
    list: &BTreeMap<String, flotilla_api::k8s_openapi::apimachinery::pkg::api::resource::Quantity>,
    object: &str,
    field: &str,
) -> Result<BTreeMap<String, Quantity>, ConversionError> {
    list.iter()
        .map(|(name, q)| {
            Quantity::parse(&q.0)
                .map(|v| (name.clone(), v))
                .map_err(|source| ConversionError::Quantity {
                    object: object.to_string(),
                    field: format!("{field}[{name}]"),
                    source,
                })
        })
        .collect()
}

fn requirement(key: &str, operator: &str, values: Option<&Vec<String>>) -> SelectorRequirement {
    SelectorRequirement {
        key: key.to_string(),
        operator: operator.to_string(),
        values: values.cloned().unwrap_or_default(),
    }
}

fn label_selector(s: &meta::LabelSelector) -> LabelSelector {
    LabelSelector {
        match_labels: s.match_labels.clone().unwrap_or_default(),
        match_expressions: s
            .match_expressions
            .iter()
            .flatten()
            .map(|r| requirement(&r.key, &r.operator, r.values.as_ref()))
            .collect(),
    }
}

/// Converts a `ClusterAffinity` (of a placement, a term, or a static weight rule).
pub fn cluster_affinity(a: &policy::ClusterAffinity) -> ClusterAffinity {
    ClusterAffinity {
        label_selector: a.label_selector.as_ref().map(label_selector),
        field_selector: a.field_selector.as_ref().map(|f| FieldSelector {
            match_expressions: f
                .match_expressions
                .iter()
                .map(|r: &core::NodeSelectorRequirement| {
                    requirement(&r.key, &r.operator, r.values.as_ref())
                })
                .collect(),
        }),
        cluster_names: a.cluster_names.clone(),
        exclude: a.exclude_clusters.clone(),
    }
}

fn toleration(t: &core::Toleration) -> Toleration {
    Toleration {
        key: t.key.clone().unwrap_or_default(),
        operator: t.operator.clone().unwrap_or_default(),
        value: t.value.clone().unwrap_or_default(),
        effect: t.effect.clone().unwrap_or_default(),
        toleration_seconds: t.toleration_seconds,
    }
}

fn spread_field(f: policy::SpreadFieldValue) -> SpreadField {
    match f {
        policy::SpreadFieldValue::Cluster => SpreadField::Cluster,
        policy::SpreadFieldValue::Region => SpreadField::Region,
        policy::SpreadFieldValue::Zone => SpreadField::Zone,
        policy::SpreadFieldValue::Provider => SpreadField::Provider,
    }
}

/// Converts `spec.placement` (of a policy or a binding).
pub fn placement(p: &policy::Placement) -> Placement {
    Placement {
        cluster_affinity: p.cluster_affinity.as_ref().map(cluster_affinity),
        cluster_affinities: p
            .cluster_affinities
            .iter()
            .map(|t| ClusterAffinityTerm {
                affinity_name: t.affinity_name.clone(),
                affinity: cluster_affinity(&t.affinity),
                // The API type cannot tell an explicit `[]` from an absent list; both are unset.
                overflow_affinities: (!t.overflow_affinities.is_empty()).then(|| {
                    t.overflow_affinities
                        .iter()
                        .map(|o| OverflowClusterAffinity {
                            affinity_name: o.affinity_name.clone(),
                            affinity: cluster_affinity(&o.affinity),
                        })
                        .collect()
                }),
            })
            .collect(),
        cluster_tolerations: p.cluster_tolerations.iter().map(toleration).collect(),
        spread_constraints: p
            .spread_constraints
            .iter()
            .map(|c| SpreadConstraint {
                spread_by_field: c.spread_by_field.map(spread_field),
                spread_by_label: c.spread_by_label().map(str::to_string),
                max_groups: c.max_groups.unwrap_or(0),
                min_groups: c.min_groups.unwrap_or(0),
            })
            .collect(),
        replica_scheduling: p.replica_scheduling.as_ref().map(|rs| ReplicaScheduling {
            replica_scheduling_type: rs.replica_scheduling_type.map(|t| match t {
                policy::ReplicaSchedulingType::Duplicated => ReplicaSchedulingType::Duplicated,
                policy::ReplicaSchedulingType::Divided => ReplicaSchedulingType::Divided,
            }),
            replica_division_preference: rs.replica_division_preference.map(|d| match d {
                policy::ReplicaDivisionPreference::Aggregated => DivisionPreference::Aggregated,
                policy::ReplicaDivisionPreference::Weighted => DivisionPreference::Weighted,
            }),
            weight_preference: rs.weight_preference.as_ref().map(|w| WeightPreference {
                static_weight_list: w
                    .static_weight_list
                    .iter()
                    .map(|s| StaticClusterWeight {
                        target_cluster: cluster_affinity(&s.target_cluster),
                        weight: s.weight,
                    })
                    .collect(),
                dynamic_weight: w.dynamic_weight.map(|d| match d {
                    policy::DynamicWeightFactor::AvailableReplicas => {
                        DynamicWeightFactor::AvailableReplicas
                    }
                }),
            }),
        }),
    }
}

fn binding_name(spec: &work::ResourceBindingSpec) -> String {
    match spec.resource.namespace.as_deref() {
        Some(ns) if !ns.is_empty() => format!("binding for {ns}/{}", spec.resource.name),
        _ => format!("binding for {}", spec.resource.name),
    }
}

/// Converts a binding's spec and status (`ResourceBinding` or `ClusterResourceBinding`).
pub fn binding(
    spec: &work::ResourceBindingSpec,
    status: Option<&work::ResourceBindingStatus>,
) -> Result<BindingInput, ConversionError> {
    let object = binding_name(spec);
    let replica_requirements = spec
        .replica_requirements
        .as_ref()
        .map(|r| {
            quantities(
                &r.resource_request,
                &object,
                "spec.replicaRequirements.resourceRequest",
            )
            .map(|resource_request| ReplicaRequirements { resource_request })
        })
        .transpose()?;
    // Karmada's `RescheduleRequired`: a trigger later than the last successful schedule; no
    // schedule yet means the first one is still pending and counts as Steady.
    let reschedule_requested = match (
        spec.reschedule_triggered_at.as_ref(),
        status.and_then(|s| s.last_scheduled_time.as_ref()),
    ) {
        (Some(triggered), Some(last)) => triggered.0 > last.0,
        _ => false,
    };
    Ok(BindingInput {
        uid: spec.resource.uid.clone().unwrap_or_default(),
        resource: ResourceRef {
            api_version: spec.resource.api_version.clone(),
            kind: spec.resource.kind.clone(),
            namespace: spec.resource.namespace.clone().unwrap_or_default(),
            name: spec.resource.name.clone(),
        },
        replicas: spec.replicas(),
        replica_requirements,
        component_count: u32::try_from(spec.components.len()).unwrap_or(u32::MAX),
        clusters: spec
            .clusters
            .iter()
            .map(|t| TargetCluster::new(t.name.clone(), t.replicas()))
            .collect(),
        graceful_eviction_clusters: spec
            .graceful_eviction_tasks
            .iter()
            .map(|t| t.from_cluster.clone())
            .collect(),
        observed_affinity_name: status
            .and_then(|s| s.scheduler_observing_affinity_name.clone())
            .filter(|n| !n.is_empty()),
        reschedule_requested,
    })
}

fn resource_summary(
    s: &cluster_api::ResourceSummary,
    object: &str,
) -> Result<ResourceSummary, ConversionError> {
    Ok(ResourceSummary {
        allocatable: quantities(&s.allocatable, object, "status.resourceSummary.allocatable")?,
        allocated: quantities(&s.allocated, object, "status.resourceSummary.allocated")?,
        allocating: quantities(&s.allocating, object, "status.resourceSummary.allocating")?,
    })
}

fn cluster_without_summary(c: &cluster_api::Cluster) -> ClusterInput {
    let status = c.status.as_ref();
    ClusterInput {
        name: c.metadata.name.clone().unwrap_or_default(),
        labels: c.metadata.labels.clone().unwrap_or_default(),
        provider: c.spec.provider.clone().unwrap_or_default(),
        region: c.spec.region.clone().unwrap_or_default(),
        zone: c.spec.zone.clone().unwrap_or_default(),
        zones: c.spec.zones.clone(),
        taints: c
            .spec
            .taints
            .iter()
            .map(|t| Taint {
                key: t.key.clone(),
                value: t.value.clone().unwrap_or_default(),
                effect: t.effect.clone(),
            })
            .collect(),
        api_enablements: status
            .map(|s| {
                s.api_enablements
                    .iter()
                    .map(|e| ApiEnablement {
                        group_version: e.group_version.clone(),
                        kinds: e.resources.iter().map(|r| r.kind.clone()).collect(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        api_enablements_complete: c
            .condition(cluster_api::CLUSTER_CONDITION_COMPLETE_API_ENABLEMENTS)
            .is_some_and(|cond| cond.status == "True"),
        resource_summary: None,
        deleting: c.metadata.deletion_timestamp.is_some(),
    }
}

/// Converts a `Cluster`; fails if its resource summary holds a quantity that does not parse.
pub fn cluster(c: &cluster_api::Cluster) -> Result<ClusterInput, ConversionError> {
    let mut input = cluster_without_summary(c);
    if let Some(summary) = c.status.as_ref().and_then(|s| s.resource_summary.as_ref()) {
        let object = format!("cluster {}", input.name);
        input.resource_summary = Some(resource_summary(summary, &object)?);
    }
    Ok(input)
}

/// Converts a `Cluster`, dropping a resource summary that does not parse: the cluster is still
/// considered, with no capacity (the estimator's answer for a cluster without a summary), and
/// the error is returned for the caller to log or surface.
pub fn cluster_lenient(c: &cluster_api::Cluster) -> (ClusterInput, Option<ConversionError>) {
    match cluster(c) {
        Ok(input) => (input, None),
        Err(e) => (cluster_without_summary(c), Some(e)),
    }
}

/// Builds the complete input for one binding against a cluster snapshot. Clusters with an
/// unreadable resource summary are kept without capacity; their errors are returned alongside.
pub fn schedule_input(
    spec: &work::ResourceBindingSpec,
    status: Option<&work::ResourceBindingStatus>,
    clusters: &[cluster_api::Cluster],
    options: ScheduleOptions,
) -> Result<(ScheduleInput, Vec<ConversionError>), ConversionError> {
    let placement = spec
        .placement
        .as_ref()
        .ok_or_else(|| ConversionError::MissingPlacement(binding_name(spec)))?;
    let mut warnings = Vec::new();
    let clusters = clusters
        .iter()
        .map(|c| {
            let (input, warning) = cluster_lenient(c);
            warnings.extend(warning);
            input
        })
        .collect();
    Ok((
        ScheduleInput {
            binding: binding(spec, status)?,
            placement: self::placement(placement),
            clusters,
            options,
        },
        warnings,
    ))
}

/// The scheduler's targets as `spec.clusters` entries. Like Karmada's `omitempty`, 0 replicas
/// are written as an absent field.
pub fn targets_to_api(targets: &[TargetCluster]) -> Vec<work::TargetCluster> {
    targets
        .iter()
        .map(|t| work::TargetCluster {
            name: t.name.clone(),
            replicas: (t.replicas != 0).then_some(t.replicas),
            components: Vec::new(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ScheduleResult, schedule};

    fn cluster_json(
        name: &str,
        region: &str,
        pods: &str,
        extra: serde_json::Value,
    ) -> cluster_api::Cluster {
        let mut v = serde_json::json!({
            "apiVersion": "cluster.karmada.io/v1alpha1",
            "kind": "Cluster",
            "metadata": {"name": name, "labels": {"env": "prod"}},
            "spec": {"syncMode": "Push", "region": region, "provider": "aws", "zones": [format!("{region}-a")]},
            "status": {
                "apiEnablements": [{"groupVersion": "apps/v1", "resources": [{"name": "deployments", "kind": "Deployment"}]}],
                "conditions": [{"type": "CompleteAPIEnablements", "status": "True", "reason": "Complete", "message": "", "lastTransitionTime": "2024-01-01T00:00:00Z"}],
                "resourceSummary": {
                    "allocatable": {"cpu": "8", "memory": "16Gi", "pods": pods},
                    "allocated": {"cpu": "1500m", "memory": "2Gi", "pods": "10"}
                }
            }
        });
        if let (Some(obj), Some(extra)) = (v.as_object_mut(), extra.as_object()) {
            for (k, val) in extra {
                obj.insert(k.clone(), val.clone());
            }
        }
        serde_json::from_value(v).expect("valid cluster")
    }

    fn binding_json(spec: serde_json::Value, status: serde_json::Value) -> work::ResourceBinding {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "work.karmada.io/v1alpha2",
            "kind": "ResourceBinding",
            "metadata": {"name": "web-deployment", "namespace": "default"},
            "spec": spec,
            "status": status,
        }))
        .expect("valid binding")
    }

    #[test]
    fn converts_and_schedules_real_objects() {
        let clusters = vec![
            cluster_json("member1", "eu", "110", serde_json::json!({})),
            cluster_json("member2", "us", "110", serde_json::json!({})),
            {
                let mut c = cluster_json("member3", "us", "110", serde_json::json!({}));
                c.spec.taints = vec![core::Taint {
                    key: "cluster.karmada.io/not-ready".into(),
                    effect: "NoSchedule".into(),
                    ..Default::default()
                }];
                c
            },
        ];
        let rb = binding_json(
            serde_json::json!({
                "resource": {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "default", "name": "web", "uid": "4858ca61-3ff8-4095-8267-f3d059d8074c"},
                "replicas": 13,
                "replicaRequirements": {"resourceRequest": {"cpu": "500m", "memory": "512Mi"}},
                "placement": {
                    "clusterAffinity": {"labelSelector": {"matchLabels": {"env": "prod"}}},
                    "replicaScheduling": {
                        "replicaSchedulingType": "Divided",
                        "replicaDivisionPreference": "Weighted",
                        "weightPreference": {"staticWeightList": [
                            {"targetCluster": {"clusterNames": ["member1"]}, "weight": 3},
                            {"targetCluster": {"fieldSelector": {"matchExpressions": [{"key": "region", "operator": "In", "values": ["us"]}]}}, "weight": 2}
                        ]}
                    }
                }
            }),
            serde_json::json!({}),
        );
        let (input, warnings) = schedule_input(
            &rb.spec,
            rb.status.as_ref(),
            &clusters,
            ScheduleOptions::default(),
        )
        .unwrap();
        assert!(warnings.is_empty());
        assert_eq!(input.binding.replicas, 13);
        // 8 cpu − 1.5 allocated = 6.5 → 13 replicas of 500m; memory 14Gi / 512Mi = 28.
        assert_eq!(
            crate::estimate::general_estimate(
                input.clusters[0].resource_summary.as_ref(),
                input.binding.replica_requirements.as_ref()
            )
            .replicas,
            13
        );
        let outcome = schedule(&input);
        assert_eq!(
            outcome.result,
            ScheduleResult::Scheduled,
            "{}",
            outcome.message
        );
        assert_eq!(
            outcome.targets,
            vec![
                TargetCluster::new("member1", 8),
                TargetCluster::new("member2", 5)
            ]
        );
        let api = targets_to_api(&outcome.targets);
        assert_eq!(api[0].replicas, Some(8));
        assert!(
            outcome.decisions[2].reasons[0]
                .to_string()
                .starts_with("TaintToleration: cluster has untolerated taint")
        );
    }

    #[test]
    fn reschedule_and_observed_term() {
        let rb = binding_json(
            serde_json::json!({
                "resource": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                "rescheduleTriggeredAt": "2024-05-01T00:00:00Z",
                "clusters": [{"name": "m1", "replicas": 2}, {"name": "m2"}],
                "gracefulEvictionTasks": [{"fromCluster": "m3", "reason": "TaintUntolerated", "producer": "TaintManager"}],
                "placement": {}
            }),
            serde_json::json!({"lastScheduledTime": "2024-04-01T00:00:00Z", "schedulerObservingAffinityName": "primary"}),
        );
        let b = binding(&rb.spec, rb.status.as_ref()).unwrap();
        assert!(b.reschedule_requested);
        assert_eq!(b.observed_affinity_name.as_deref(), Some("primary"));
        assert_eq!(
            b.clusters,
            vec![TargetCluster::new("m1", 2), TargetCluster::new("m2", 0)]
        );
        assert_eq!(b.graceful_eviction_clusters, vec!["m3".to_string()]);
        assert!(b.replica_requirements.is_none());
        assert!(!b.is_workload());
    }

    #[test]
    fn bad_quantities() {
        let bad = cluster_json("member1", "eu", "lots", serde_json::json!({}));
        let err = cluster(&bad).unwrap_err();
        assert!(
            err.to_string().starts_with(
                "cluster member1: invalid quantity at status.resourceSummary.allocatable[pods]"
            ),
            "{err}"
        );
        let (input, warning) = cluster_lenient(&bad);
        assert!(input.resource_summary.is_none() && warning.is_some());
        assert_eq!(input.region, "eu");

        let rb = binding_json(
            serde_json::json!({
                "resource": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                "replicas": 1,
                "replicaRequirements": {"resourceRequest": {"cpu": "half"}},
            }),
            serde_json::json!({}),
        );
        assert!(binding(&rb.spec, None).is_err());
        assert!(matches!(
            schedule_input(&rb.spec, None, &[], ScheduleOptions::default()),
            Err(ConversionError::MissingPlacement(_))
        ));
    }
}
