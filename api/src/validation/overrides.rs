//! Validation of OverridePolicy and ClusterOverridePolicy (Karmada's `ValidateOverrideSpec` and
//! the CRD schema enums).

use k8s_openapi::Metadata;

use super::k8s::{is_json_pointer, validate_annotations, validate_labels};
use super::propagation::{validate_cluster_affinity, validate_selector_namespaces};
use super::{FieldPath, FieldViolation};
use crate::policy::v1alpha1::{
    ClusterOverridePolicy, OverridePolicy, OverrideSpec, OverriderOperator, RuleWithCluster,
};

const JSON_POINTER_MESSAGE: &str = "JSON pointer must be empty or start with a \"/\"";

/// Validates an OverridePolicy: its spec, with resource selectors confined to the policy's
/// namespace. Run after [`super::default_override_policy`].
pub fn validate_override_policy(policy: &OverridePolicy) -> Vec<FieldViolation> {
    let namespace = policy.metadata().namespace.as_deref().unwrap_or_default();
    validate_override_spec(&policy.spec, Some(namespace))
}

/// Validates a ClusterOverridePolicy's spec.
pub fn validate_cluster_override_policy(policy: &ClusterOverridePolicy) -> Vec<FieldViolation> {
    validate_override_spec(&policy.spec, None)
}

/// Validates an OverrideSpec. `policy_namespace` is the namespace of an OverridePolicy, whose
/// resource selectors must all be in it, and `None` for a ClusterOverridePolicy.
pub fn validate_override_spec(
    spec: &OverrideSpec,
    policy_namespace: Option<&str>,
) -> Vec<FieldViolation> {
    let spec_path = FieldPath::new("spec");
    let mut violations = Vec::new();
    if let Some(target) = &spec.target_cluster {
        violations.extend(validate_cluster_affinity(
            target,
            &spec_path.child("targetCluster"),
        ));
        if !spec.override_rules.is_empty() {
            violations.push(FieldViolation::forbidden(
                &spec_path.child("targetCluster"),
                "overrideRules and targetCluster can't co-exist",
            ));
        }
    }
    let deprecated_overriders = spec.overriders.as_ref().is_some_and(|o| !o.is_empty());
    if deprecated_overriders && !spec.override_rules.is_empty() {
        violations.push(FieldViolation::forbidden(
            &spec_path.child("overriders"),
            "overrideRules and overriders can't co-exist",
        ));
    }
    let rules_path = spec_path.child("overrideRules");
    for (i, rule) in spec.override_rules.iter().enumerate() {
        violations.extend(validate_rule(rule, &rules_path.index(i)));
    }
    if let Some(namespace) = policy_namespace.filter(|ns| !ns.is_empty()) {
        violations.extend(validate_selector_namespaces(
            &spec.resource_selectors,
            namespace,
            &spec_path.child("resourceSelectors"),
        ));
    }
    violations
}

fn validate_rule(rule: &RuleWithCluster, path: &FieldPath) -> Vec<FieldViolation> {
    let mut violations = Vec::new();
    let overriders = &rule.overriders;
    let overriders_path = path.child("overriders");

    for (i, plaintext) in overriders.plaintext.iter().enumerate() {
        if !is_json_pointer(&plaintext.path) {
            violations.push(FieldViolation::invalid(
                &overriders_path.child("plaintext").index(i).child("path"),
                &plaintext.path,
                JSON_POINTER_MESSAGE,
            ));
        }
    }

    for (i, image) in overriders.image_overrider.iter().enumerate() {
        if let Some(predicate) = &image.predicate
            && !is_json_pointer(&predicate.path)
        {
            violations.push(FieldViolation::invalid(
                &overriders_path
                    .child("imageOverrider")
                    .index(i)
                    .child("predicate")
                    .child("path"),
                &predicate.path,
                JSON_POINTER_MESSAGE,
            ));
        }
    }

    for (name, list) in [
        ("commandOverrider", &overriders.command_overrider),
        ("argsOverrider", &overriders.args_overrider),
    ] {
        for (i, overrider) in list.iter().enumerate() {
            if overrider.operator == OverriderOperator::Replace {
                violations.push(FieldViolation::not_supported(
                    &overriders_path.child(name).index(i).child("operator"),
                    overrider.operator,
                    &[
                        OverriderOperator::Add.as_str(),
                        OverriderOperator::Remove.as_str(),
                    ],
                ));
            }
        }
    }

    for (i, labels) in overriders.labels_overrider.iter().enumerate() {
        violations.extend(validate_labels(
            &labels.value,
            &overriders_path
                .child("labelsOverrider")
                .index(i)
                .child("value"),
        ));
    }
    for (i, annotations) in overriders.annotations_overrider.iter().enumerate() {
        violations.extend(validate_annotations(
            &annotations.value,
            &overriders_path
                .child("annotationsOverrider")
                .index(i)
                .child("value"),
        ));
    }

    for (i, field) in overriders.field_overrider.iter().enumerate() {
        let field_path = overriders_path.child("fieldOverrider").index(i);
        match (field.json.is_empty(), field.yaml.is_empty()) {
            (false, false) => violations.push(FieldViolation::forbidden(
                &field_path,
                "FieldOverrider has both YAML and JSON set. Only one is allowed",
            )),
            (true, true) => violations.push(FieldViolation::required(
                &field_path,
                "FieldOverrider must have either JSON or YAML set",
            )),
            _ => {}
        }
        if !is_json_pointer(&field.field_path) {
            violations.push(FieldViolation::invalid(
                &field_path.child("fieldPath"),
                &field.field_path,
                JSON_POINTER_MESSAGE,
            ));
        }
        violations.extend(validate_patch_operations(
            field
                .json
                .iter()
                .map(|op| (&op.sub_path, op.operator, &op.value)),
            &field_path.child("json"),
        ));
        violations.extend(validate_patch_operations(
            field
                .yaml
                .iter()
                .map(|op| (&op.sub_path, op.operator, &op.value)),
            &field_path.child("yaml"),
        ));
    }

    if let Some(target) = &rule.target_cluster {
        violations.extend(validate_cluster_affinity(
            target,
            &path.child("targetCluster"),
        ));
    }
    violations
}

/// Checks the sub-paths and values of a field overrider's JSON or YAML operations.
fn validate_patch_operations<'a>(
    operations: impl Iterator<Item = (&'a String, OverriderOperator, &'a Option<serde_json::Value>)>,
    path: &FieldPath,
) -> Vec<FieldViolation> {
    let mut violations = Vec::new();
    for (i, (sub_path, operator, value)) in operations.enumerate() {
        let op_path = path.index(i);
        if !is_json_pointer(sub_path) {
            violations.push(FieldViolation::invalid(
                &op_path.child("subPath"),
                sub_path,
                JSON_POINTER_MESSAGE,
            ));
        }
        // A JSON null is no value at all, as in Karmada's apiextensions JSON type.
        let has_value = value.as_ref().is_some_and(|v| !v.is_null());
        match operator {
            OverriderOperator::Add | OverriderOperator::Replace if !has_value => {
                violations.push(FieldViolation::required(
                    &op_path.child("value"),
                    "value is required for add or replace operation",
                ));
            }
            OverriderOperator::Remove if has_value => {
                violations.push(FieldViolation::forbidden(
                    &op_path.child("value"),
                    "value is not allowed for remove operation",
                ));
            }
            _ => {}
        }
    }
    violations
}
