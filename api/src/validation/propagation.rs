//! Validation of PropagationPolicy and ClusterPropagationPolicy (Karmada's
//! `ValidatePropagationSpec`, the policy webhooks and the CRD schema constraints).

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::Metadata;

use super::k8s::{qualified_name_errors, validate_label_name};
use super::{FieldPath, FieldViolation};
use crate::labels;
use crate::policy::v1alpha1::{
    ApplicationFailoverBehavior, ClusterAffinity, ClusterAffinityTerm, ClusterFailoverBehavior,
    ClusterPropagationPolicy, FailoverBehavior, Placement, PreemptionBehavior, PriorityClassSource,
    PropagationPolicy, PropagationSpec, PurgeMode, ResourceSelector, SpreadConstraint,
    SpreadFieldValue, StatePreservation, Suspension, WorkloadAffinity,
};

/// The maximum length of an affinity name (CRD schema).
const AFFINITY_NAME_MAX_LENGTH: usize = 32;

/// Validates a PropagationPolicy: its spec, with resource selectors confined to the policy's
/// namespace. Run after [`super::default_propagation_policy`].
pub fn validate_propagation_policy(policy: &PropagationPolicy) -> Vec<FieldViolation> {
    let namespace = policy.metadata().namespace.as_deref().unwrap_or_default();
    validate_propagation_spec(&policy.spec, Some(namespace))
}

/// Validates a ClusterPropagationPolicy's spec. Run after
/// [`super::default_cluster_propagation_policy`].
pub fn validate_cluster_propagation_policy(
    policy: &ClusterPropagationPolicy,
) -> Vec<FieldViolation> {
    validate_propagation_spec(&policy.spec, None)
}

/// The checks of an update on top of [`validate_propagation_policy`]: the scheduler name and
/// the permanent-ID label are immutable.
pub fn validate_propagation_policy_update(
    new: &PropagationPolicy,
    old: &PropagationPolicy,
) -> Vec<FieldViolation> {
    let mut violations = validate_immutable_on_update(
        &new.spec,
        &old.spec,
        &new.metadata.labels,
        &old.metadata.labels,
        labels::PROPAGATION_POLICY_PERMANENT_ID,
    );
    violations.extend(validate_propagation_policy(new));
    violations
}

/// The checks of an update on top of [`validate_cluster_propagation_policy`]: the scheduler name
/// and the permanent-ID label are immutable.
pub fn validate_cluster_propagation_policy_update(
    new: &ClusterPropagationPolicy,
    old: &ClusterPropagationPolicy,
) -> Vec<FieldViolation> {
    let mut violations = validate_immutable_on_update(
        &new.spec,
        &old.spec,
        &new.metadata.labels,
        &old.metadata.labels,
        labels::CLUSTER_PROPAGATION_POLICY_PERMANENT_ID,
    );
    violations.extend(validate_cluster_propagation_policy(new));
    violations
}

fn validate_immutable_on_update(
    new: &PropagationSpec,
    old: &PropagationSpec,
    new_labels: &Option<BTreeMap<String, String>>,
    old_labels: &Option<BTreeMap<String, String>>,
    permanent_id_label: &str,
) -> Vec<FieldViolation> {
    let mut violations = Vec::new();
    if new.scheduler_name() != old.scheduler_name() {
        violations.push(FieldViolation::invalid(
            &FieldPath::new("spec").child("schedulerName"),
            new.scheduler_name(),
            "the schedulerName should not be updated",
        ));
    }
    let label = |labels: &Option<BTreeMap<String, String>>| {
        labels
            .as_ref()
            .and_then(|l| l.get(permanent_id_label))
            .cloned()
    };
    if label(new_labels) != label(old_labels) {
        violations.push(FieldViolation::forbidden(
            &FieldPath::new("metadata").child("labels").key(permanent_id_label),
            format!(
                "label {permanent_id_label} is immutable, it can only be set by the system during creation"
            ),
        ));
    }
    violations
}

/// Validates a PropagationSpec. `policy_namespace` is the namespace of a PropagationPolicy,
/// whose resource selectors must all be in it, and `None` for a ClusterPropagationPolicy.
///
/// Like Karmada's validating webhook this expects a defaulted spec (see
/// [`super::default_propagation_spec`]): e.g. a "Gracefully" application failover without
/// gracePeriodSeconds is rejected, because defaulting would have set it.
pub fn validate_propagation_spec(
    spec: &PropagationSpec,
    policy_namespace: Option<&str>,
) -> Vec<FieldViolation> {
    let spec_path = FieldPath::new("spec");
    let mut violations = Vec::new();

    let selectors_path = spec_path.child("resourceSelectors");
    if spec.resource_selectors.is_empty() {
        violations.push(FieldViolation::required(
            &selectors_path,
            "at least one resource selector is required; an empty list does not select all resources",
        ));
    }

    if let Some(placement) = &spec.placement {
        violations.extend(validate_placement(placement, &spec_path.child("placement")));
    }

    let application_failover = spec
        .failover
        .as_ref()
        .is_some_and(|f| f.application.is_some());
    if application_failover && !spec.propagate_deps() {
        violations.push(FieldViolation::invalid(
            &spec_path.child("propagateDeps"),
            spec.propagate_deps(),
            "application failover is set, propagateDeps must be true",
        ));
    }
    if let Some(failover) = &spec.failover {
        violations.extend(validate_failover(failover, &spec_path.child("failover")));
    }

    if let Some(namespace) = policy_namespace.filter(|ns| !ns.is_empty()) {
        violations.extend(validate_selector_namespaces(
            &spec.resource_selectors,
            namespace,
            &selectors_path,
        ));
    }
    if spec.preemption() == PreemptionBehavior::Always {
        for (i, selector) in spec.resource_selectors.iter().enumerate() {
            if selector.name().is_none() {
                violations.push(FieldViolation::invalid(
                    &selectors_path.index(i).child("name"),
                    selector.name.as_deref().unwrap_or_default(),
                    "name cannot be empty if preemption is Always, the empty name may cause unexpected resources preemption",
                ));
            }
        }
    }
    if let Some(suspension) = &spec.suspension {
        violations.extend(validate_suspension(
            suspension,
            &spec_path.child("suspension"),
        ));
    }
    if let Some(priority) = &spec.schedule_priority {
        let source = priority.priority_class_source;
        if source != PriorityClassSource::KubePriorityClass {
            violations.push(FieldViolation::not_supported(
                &spec_path
                    .child("schedulePriority")
                    .child("priorityClassSource"),
                source,
                &[PriorityClassSource::KubePriorityClass.as_str()],
            ));
        }
    }
    violations
}

/// Every selector of a namespaced policy must be in the policy's namespace.
pub(crate) fn validate_selector_namespaces(
    selectors: &[ResourceSelector],
    namespace: &str,
    path: &FieldPath,
) -> Vec<FieldViolation> {
    selectors
        .iter()
        .enumerate()
        .filter(|(_, selector)| selector.namespace.as_deref().unwrap_or_default() != namespace)
        .map(|(i, selector)| {
            FieldViolation::invalid(
                &path.index(i).child("namespace"),
                selector.namespace.as_deref().unwrap_or_default(),
                "namespace of resource selector must be the same as the namespace of the policy",
            )
        })
        .collect()
}

fn validate_suspension(suspension: &Suspension, path: &FieldPath) -> Vec<FieldViolation> {
    let all = suspension.dispatching == Some(true);
    let some = suspension
        .dispatching_on_clusters
        .as_ref()
        .is_some_and(|c| !c.cluster_names.is_empty());
    if all && some {
        vec![FieldViolation::invalid(
            path,
            suspension,
            "suspension dispatching cannot co-exist with dispatchingOnClusters.clusterNames",
        )]
    } else {
        Vec::new()
    }
}

/// Validates a placement: affinity vs affinities, affinity terms and overflow tiers, spread
/// constraints, workload affinity, cluster tolerations and static weights.
pub fn validate_placement(placement: &Placement, path: &FieldPath) -> Vec<FieldViolation> {
    let mut violations = Vec::new();
    if placement.cluster_affinity.is_some() && !placement.cluster_affinities.is_empty() {
        violations.push(FieldViolation::forbidden(
            &path.child("clusterAffinities"),
            "clusterAffinities cannot co-exist with clusterAffinity",
        ));
    }

    let overflow_allowed = placement.overflow_scheduling_allowed();
    let affinities_path = path.child("clusterAffinities");
    for (i, term) in placement.cluster_affinities.iter().enumerate() {
        if !term.overflow_affinities.is_empty() && !overflow_allowed {
            violations.push(FieldViolation::forbidden(
                &affinities_path.index(i).child("overflowAffinities"),
                "overflowAffinities can only be used together with dynamic weight or aggregated scheduling",
            ));
        }
    }

    if let Some(affinity) = &placement.cluster_affinity {
        violations.extend(validate_cluster_affinity(
            affinity,
            &path.child("clusterAffinity"),
        ));
    }
    violations.extend(validate_cluster_affinities(
        &placement.cluster_affinities,
        &affinities_path,
    ));
    violations.extend(validate_spread_constraints(
        &placement.spread_constraints,
        &path.child("spreadConstraints"),
    ));
    if let Some(workload_affinity) = &placement.workload_affinity {
        violations.extend(validate_workload_affinity(
            workload_affinity,
            &path.child("workloadAffinity"),
        ));
    }

    let tolerations_path = path.child("clusterTolerations");
    for (i, toleration) in placement.cluster_tolerations.iter().enumerate() {
        // Lt/Gt compare numbers on nodes; they have no agreed meaning for clusters.
        match toleration.operator.as_deref() {
            None | Some("" | "Exists" | "Equal") => {}
            Some(other) => violations.push(FieldViolation::not_supported(
                &tolerations_path.index(i).child("operator"),
                other,
                &["", "Exists", "Equal"],
            )),
        }
    }

    if let Some(weights) = placement
        .replica_scheduling
        .as_ref()
        .and_then(|s| s.weight_preference.as_ref())
    {
        let weights_path = path
            .child("replicaScheduling")
            .child("weightPreference")
            .child("staticWeightList");
        for (i, weight) in weights.static_weight_list.iter().enumerate() {
            if weight.weight < 1 {
                violations.push(FieldViolation::invalid(
                    &weights_path.index(i).child("weight"),
                    weight.weight,
                    "must be greater than or equal to 1",
                ));
            }
        }
    }
    violations
}

/// Validates a cluster affinity: field selector keys must be provider, region or zone and
/// operators In or NotIn.
pub fn validate_cluster_affinity(
    affinity: &ClusterAffinity,
    path: &FieldPath,
) -> Vec<FieldViolation> {
    let mut violations = Vec::new();
    let Some(selector) = &affinity.field_selector else {
        return violations;
    };
    let expressions_path = path.child("fieldSelector").child("matchExpressions");
    for (i, expression) in selector.match_expressions.iter().enumerate() {
        if !matches!(expression.key.as_str(), "provider" | "region" | "zone") {
            violations.push(FieldViolation::not_supported(
                &expressions_path.index(i).child("key"),
                &expression.key,
                &["provider", "region", "zone"],
            ));
        }
        if !matches!(expression.operator.as_str(), "In" | "NotIn") {
            violations.push(FieldViolation::not_supported(
                &expressions_path.index(i).child("operator"),
                &expression.operator,
                &["In", "NotIn"],
            ));
        }
    }
    violations
}

fn validate_affinity_name(name: &str, path: &FieldPath) -> Vec<FieldViolation> {
    let mut violations = Vec::new();
    if name.is_empty() {
        violations.push(FieldViolation::required(path, ""));
        return violations;
    }
    if name.len() > AFFINITY_NAME_MAX_LENGTH {
        violations.push(FieldViolation::invalid(
            path,
            name,
            format!("must be no more than {AFFINITY_NAME_MAX_LENGTH} characters"),
        ));
    }
    for msg in qualified_name_errors(name) {
        violations.push(FieldViolation::invalid(path, name, msg));
    }
    violations
}

fn validate_cluster_affinities(
    terms: &[ClusterAffinityTerm],
    path: &FieldPath,
) -> Vec<FieldViolation> {
    let mut violations = Vec::new();
    let mut names = BTreeSet::new();
    for (i, term) in terms.iter().enumerate() {
        let term_path = path.index(i);
        let name_path = term_path.child("affinityName");
        violations.extend(validate_affinity_name(&term.affinity_name, &name_path));
        if !names.insert(term.affinity_name.as_str()) {
            violations.push(FieldViolation::duplicate(&name_path, &term.affinity_name));
        }
        violations.extend(validate_cluster_affinity(&term.affinity, &term_path));
        violations.extend(validate_overflow_affinities(term, &term_path));
    }
    violations
}

fn validate_overflow_affinities(
    term: &ClusterAffinityTerm,
    path: &FieldPath,
) -> Vec<FieldViolation> {
    let mut violations = Vec::new();
    if term.overflow_affinities.is_empty() {
        return violations;
    }
    let overflow_path = path.child("overflowAffinities");
    if term.affinity.is_empty() {
        violations.push(FieldViolation::forbidden(
            &overflow_path,
            "overflowAffinities can only be used together with the inline ClusterAffinity",
        ));
    }
    let mut names = BTreeSet::from([term.affinity_name.as_str()]);
    for (i, overflow) in term.overflow_affinities.iter().enumerate() {
        let name_path = overflow_path.index(i).child("affinityName");
        violations.extend(validate_affinity_name(&overflow.affinity_name, &name_path));
        if !names.insert(overflow.affinity_name.as_str()) {
            violations.push(FieldViolation::invalid(
                &name_path,
                &overflow.affinity_name,
                "overflow affinity name must be unique and must not duplicate the primary group's affinityName",
            ));
        }
        violations.extend(validate_cluster_affinity(
            &overflow.affinity,
            &overflow_path.index(i),
        ));
    }
    violations
}

fn validate_spread_constraints(
    constraints: &[SpreadConstraint],
    path: &FieldPath,
) -> Vec<FieldViolation> {
    let mut violations = Vec::new();
    // Each field is reported once however often it repeats.
    let mut seen: BTreeMap<SpreadFieldValue, bool> = BTreeMap::new();
    for (i, constraint) in constraints.iter().enumerate() {
        let item = path.index(i);
        if constraint.spread_by_field.is_some() && constraint.spread_by_label().is_some() {
            violations.push(FieldViolation::forbidden(
                &item.child("spreadByLabel"),
                "spreadByLabel should not co-exist with spreadByField",
            ));
        }
        let min = constraint.min_groups.unwrap_or(0);
        let max = constraint.max_groups.unwrap_or(0);
        if min < 0 {
            violations.push(FieldViolation::invalid(
                &item.child("minGroups"),
                min,
                "minGroups lower than 0 is not allowed",
            ));
        }
        if max < 0 {
            violations.push(FieldViolation::invalid(
                &item.child("maxGroups"),
                max,
                "maxGroups lower than 0 is not allowed",
            ));
        }
        if max > 0 && max < min {
            violations.push(FieldViolation::invalid(
                &item.child("maxGroups"),
                max,
                "maxGroups lower than minGroups is not allowed",
            ));
        }
        if let Some(field) = constraint.spread_by_field {
            match seen.get_mut(&field) {
                None => {
                    seen.insert(field, false);
                }
                Some(reported @ false) => {
                    violations.push(FieldViolation::invalid(
                        &item.child("spreadByField"),
                        field,
                        format!("multiple {field} spread constraints are not allowed"),
                    ));
                    *reported = true;
                }
                Some(true) => {}
            }
        }
    }
    if !seen.is_empty() && !seen.contains_key(&SpreadFieldValue::Cluster) {
        violations.push(FieldViolation::invalid(
            path,
            constraints
                .iter()
                .filter_map(|c| c.spread_by_field)
                .collect::<Vec<_>>(),
            "the cluster spread constraint must be enabled in one of the constraints in case of SpreadByField is enabled",
        ));
    }
    violations
}

fn validate_workload_affinity(
    affinity: &WorkloadAffinity,
    path: &FieldPath,
) -> Vec<FieldViolation> {
    let mut violations = Vec::new();
    if let Some(term) = &affinity.affinity {
        violations.extend(validate_label_name(
            &term.group_by_label_key,
            &path.child("affinity").child("groupByLabelKey"),
        ));
    }
    if let Some(term) = &affinity.anti_affinity {
        violations.extend(validate_label_name(
            &term.group_by_label_key,
            &path.child("antiAffinity").child("groupByLabelKey"),
        ));
    }
    if let (Some(a), Some(anti)) = (&affinity.affinity, &affinity.anti_affinity)
        && a.group_by_label_key == anti.group_by_label_key
    {
        violations.push(FieldViolation::invalid(
            &path.child("antiAffinity").child("groupByLabelKey"),
            &anti.group_by_label_key,
            "affinity and antiAffinity must not use the same groupByLabelKey",
        ));
    }
    violations
}

fn validate_failover(failover: &FailoverBehavior, path: &FieldPath) -> Vec<FieldViolation> {
    let mut violations = Vec::new();
    if let Some(application) = &failover.application {
        violations.extend(validate_application_failover(
            application,
            &path.child("application"),
        ));
    }
    if let Some(cluster) = &failover.cluster {
        violations.extend(validate_cluster_failover(cluster, &path.child("cluster")));
    }
    violations
}

fn validate_application_failover(
    behavior: &ApplicationFailoverBehavior,
    path: &FieldPath,
) -> Vec<FieldViolation> {
    let mut violations = Vec::new();
    let toleration = behavior.decision_conditions.toleration_seconds();
    if toleration < 0 {
        violations.push(FieldViolation::invalid(
            &path.child("decisionConditions").child("tolerationSeconds"),
            toleration,
            "must be greater than or equal to 0",
        ));
    }
    let grace_path = path.child("gracePeriodSeconds");
    let gracefully = behavior.purge_mode() == PurgeMode::Gracefully;
    match behavior.grace_period_seconds {
        Some(grace) if !gracefully => violations.push(FieldViolation::invalid(
            &grace_path,
            grace,
            "only takes effect when purgeMode is Gracefully",
        )),
        None if gracefully => violations.push(FieldViolation::required(
            &grace_path,
            "should not be empty when purgeMode is Gracefully",
        )),
        _ => {}
    }
    if let Some(grace) = behavior.grace_period_seconds.filter(|g| *g <= 0) {
        violations.push(FieldViolation::invalid(
            &grace_path,
            grace,
            "must be greater than 0",
        ));
    }
    if let Some(preservation) = &behavior.state_preservation {
        violations.extend(validate_state_preservation(
            preservation,
            &path.child("statePreservation"),
        ));
    }
    violations
}

fn validate_cluster_failover(
    behavior: &ClusterFailoverBehavior,
    path: &FieldPath,
) -> Vec<FieldViolation> {
    let mut violations = Vec::new();
    if let Some(mode @ PurgeMode::Never) = behavior.purge_mode {
        violations.push(FieldViolation::not_supported(
            &path.child("purgeMode"),
            mode,
            &[PurgeMode::Directly.as_str(), PurgeMode::Gracefully.as_str()],
        ));
    }
    if let Some(preservation) = &behavior.state_preservation {
        violations.extend(validate_state_preservation(
            preservation,
            &path.child("statePreservation"),
        ));
    }
    violations
}

fn validate_state_preservation(
    preservation: &StatePreservation,
    path: &FieldPath,
) -> Vec<FieldViolation> {
    preservation
        .rules
        .iter()
        .enumerate()
        .flat_map(|(i, rule)| {
            validate_label_name(
                &rule.alias_label_name,
                &path.child("rules").index(i).child("aliasLabelName"),
            )
        })
        .collect()
}
