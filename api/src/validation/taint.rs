//! Validation of ClusterTaintPolicy (Karmada's webhook plus the CRD schema constraints).

use super::k8s::validate_label_name;
use super::propagation::validate_cluster_affinity;
use super::{FieldPath, FieldViolation};
use crate::policy::v1alpha1::{ClusterTaintPolicy, ClusterTaintPolicySpec};

/// The taint effects a cluster taint may have.
pub(crate) const TAINT_EFFECTS: &[&str] = &["NoSchedule", "PreferNoSchedule", "NoExecute"];

/// Validates a ClusterTaintPolicy. `allow_no_execute` is the administrator's opt-in to
/// NoExecute taints (Karmada's `--allow-no-execute-taint-policy`), which evict workloads.
pub fn validate_cluster_taint_policy(
    policy: &ClusterTaintPolicy,
    allow_no_execute: bool,
) -> Vec<FieldViolation> {
    validate_cluster_taint_policy_spec(&policy.spec, allow_no_execute)
}

/// Validates a ClusterTaintPolicySpec: at least one taint; no NoExecute taint unless allowed;
/// no two taints with the same key and effect. Beyond Karmada, taint keys and effects are
/// checked as a Cluster's taints are, since a policy whose taints no Cluster accepts can never
/// act.
pub fn validate_cluster_taint_policy_spec(
    spec: &ClusterTaintPolicySpec,
    allow_no_execute: bool,
) -> Vec<FieldViolation> {
    let spec_path = FieldPath::new("spec");
    let taints_path = spec_path.child("taints");
    let mut violations = Vec::new();
    if let Some(target) = &spec.target_clusters {
        violations.extend(validate_cluster_affinity(
            target,
            &spec_path.child("targetClusters"),
        ));
    }
    if spec.taints.is_empty() {
        violations.push(FieldViolation::required(
            &taints_path,
            "at least one taint is required",
        ));
    }
    for (i, taint) in spec.taints.iter().enumerate() {
        let taint_path = taints_path.index(i);
        violations.extend(validate_label_name(&taint.key, &taint_path.child("key")));
        if !TAINT_EFFECTS.contains(&taint.effect.as_str()) {
            violations.push(FieldViolation::not_supported(
                &taint_path.child("effect"),
                &taint.effect,
                TAINT_EFFECTS,
            ));
        }
        if !allow_no_execute && taint.effect == "NoExecute" {
            violations.push(FieldViolation::forbidden(
                &taint_path,
                "Configuring taint with NoExecute effect is not allowed, this capability must be explicitly enabled by administrators through command-line flags",
            ));
        }
        let duplicated = spec.taints[i + 1..]
            .iter()
            .any(|other| other.key == taint.key && other.effect == taint.effect);
        if duplicated {
            violations.push(FieldViolation::duplicate(
                &taint_path,
                format!(
                    "Duplicate taint with the same key({}) and effect({}) is not allowed",
                    taint.key, taint.effect
                ),
            ));
        }
    }
    violations
}
