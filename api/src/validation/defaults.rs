//! Defaulting: the defaults Karmada's CRD schemas declare plus what its mutating webhooks set,
//! so that a stored object looks as it would in Karmada. Every function is idempotent.

use crate::policy::v1alpha1::{
    ClusterOverridePolicy, ClusterPropagationPolicy, ConflictResolution,
    DEFAULT_GRACE_PERIOD_SECONDS, DEFAULT_SCHEDULER_NAME, DEFAULT_TOLERATION_SECONDS,
    FailoverBehavior, OverridePolicy, OverrideSpec, Placement, PreemptionBehavior,
    PropagationPolicy, PropagationSpec, PurgeMode, ReplicaDivisionPreference,
    ReplicaSchedulingType, ResourceSelector, SpreadFieldValue, selects_service_import,
};
use crate::work::v1alpha2::ResourceBindingSpec;

/// Defaults a PropagationPolicy's spec, with its own namespace as the selectors' default
/// namespace.
pub fn default_propagation_policy(policy: &mut PropagationPolicy) {
    let namespace = policy.metadata.namespace.clone();
    default_propagation_spec(&mut policy.spec, namespace.as_deref());
}

/// Defaults a ClusterPropagationPolicy's spec.
pub fn default_cluster_propagation_policy(policy: &mut ClusterPropagationPolicy) {
    default_propagation_spec(&mut policy.spec, None);
}

/// Defaults a PropagationSpec as Karmada's CRD schema and mutating webhook do.
/// `policy_namespace` is a PropagationPolicy's namespace (`None` for a
/// ClusterPropagationPolicy).
///
/// * Schema defaults: `priority` 0, `preemption` Never, `schedulerName` default-scheduler,
///   `conflictResolution` Abort, `replicaScheduling.replicaSchedulingType` Divided (when
///   replicaScheduling is present), application failover `tolerationSeconds` 300 and
///   `purgeMode` Gracefully, cluster failover `purgeMode` Gracefully.
/// * Webhook defaults: selectors without a namespace get the policy's namespace; a spread
///   constraint with neither spreadByField nor spreadByLabel spreads by `cluster`, and
///   `minGroups` 0 becomes 1; selecting a multi-cluster `ServiceImport` forces `propagateDeps`;
///   Divided without a division preference becomes Weighted; a Gracefully application failover
///   gets `gracePeriodSeconds` 600.
///
/// A nil `replicaScheduling` is left alone: it means Duplicated
/// (see [`Placement::replica_scheduling_type`]).
pub fn default_propagation_spec(spec: &mut PropagationSpec, policy_namespace: Option<&str>) {
    spec.priority.get_or_insert(0);
    spec.preemption.get_or_insert(PreemptionBehavior::Never);
    if spec.scheduler_name.as_deref().is_none_or(str::is_empty) {
        spec.scheduler_name = Some(DEFAULT_SCHEDULER_NAME.to_owned());
    }
    spec.conflict_resolution
        .get_or_insert(ConflictResolution::Abort);

    if let Some(namespace) = policy_namespace.filter(|ns| !ns.is_empty()) {
        default_selector_namespaces(&mut spec.resource_selectors, namespace);
    }
    if spec.resource_selectors.iter().any(selects_service_import) {
        spec.propagate_deps = Some(true);
    }
    if let Some(placement) = &mut spec.placement {
        default_placement(placement);
    }
    if let Some(failover) = &mut spec.failover {
        default_failover(failover);
    }
}

/// Defaults a ResourceBindingSpec as Karmada's CRD schema does (the binding's copies of the
/// policy fields carry the same defaults).
pub fn default_binding_spec(spec: &mut ResourceBindingSpec) {
    spec.conflict_resolution
        .get_or_insert(ConflictResolution::Abort);
    if let Some(placement) = &mut spec.placement
        && let Some(strategy) = &mut placement.replica_scheduling
    {
        strategy
            .replica_scheduling_type
            .get_or_insert(ReplicaSchedulingType::Divided);
    }
    if let Some(failover) = &mut spec.failover {
        default_failover_schema(failover);
    }
    if let Some(priority) = &mut spec.schedule_priority {
        priority.priority.get_or_insert(0);
    }
}

/// Defaults an OverridePolicy: selectors without a namespace get the policy's namespace.
pub fn default_override_policy(policy: &mut OverridePolicy) {
    let namespace = policy.metadata.namespace.clone();
    default_override_spec(&mut policy.spec, namespace.as_deref());
}

/// Defaults a ClusterOverridePolicy (nothing to default today; kept so that every kind has a
/// defaulting entry point).
pub fn default_cluster_override_policy(policy: &mut ClusterOverridePolicy) {
    default_override_spec(&mut policy.spec, None);
}

/// Defaults an OverrideSpec: with a policy namespace, selectors without a namespace get it.
pub fn default_override_spec(spec: &mut OverrideSpec, policy_namespace: Option<&str>) {
    if let Some(namespace) = policy_namespace.filter(|ns| !ns.is_empty()) {
        default_selector_namespaces(&mut spec.resource_selectors, namespace);
    }
}

fn default_selector_namespaces(selectors: &mut [ResourceSelector], namespace: &str) {
    for selector in selectors {
        if selector.namespace().is_none() {
            selector.namespace = Some(namespace.to_owned());
        }
    }
}

fn default_placement(placement: &mut Placement) {
    for constraint in &mut placement.spread_constraints {
        if constraint.spread_by_field.is_none() && constraint.spread_by_label().is_none() {
            constraint.spread_by_field = Some(SpreadFieldValue::Cluster);
        }
        if constraint.min_groups.unwrap_or(0) == 0 {
            constraint.min_groups = Some(1);
        }
    }
    if let Some(strategy) = &mut placement.replica_scheduling {
        let kind = *strategy
            .replica_scheduling_type
            .get_or_insert(ReplicaSchedulingType::Divided);
        if kind == ReplicaSchedulingType::Divided {
            strategy
                .replica_division_preference
                .get_or_insert(ReplicaDivisionPreference::Weighted);
        }
    }
}

/// The failover defaults of the CRD schema.
fn default_failover_schema(failover: &mut FailoverBehavior) {
    if let Some(application) = &mut failover.application {
        application
            .decision_conditions
            .toleration_seconds
            .get_or_insert(DEFAULT_TOLERATION_SECONDS);
        application.purge_mode.get_or_insert(PurgeMode::Gracefully);
    }
    if let Some(cluster) = &mut failover.cluster {
        cluster.purge_mode.get_or_insert(PurgeMode::Gracefully);
    }
}

/// The failover defaults of the CRD schema and of the mutating webhook.
fn default_failover(failover: &mut FailoverBehavior) {
    default_failover_schema(failover);
    if let Some(application) = &mut failover.application
        && application.purge_mode() == PurgeMode::Gracefully
    {
        application
            .grace_period_seconds
            .get_or_insert(DEFAULT_GRACE_PERIOD_SECONDS);
    }
}
