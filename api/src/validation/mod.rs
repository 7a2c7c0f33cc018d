//! Validation and defaulting of the Karmada-compatible kinds, as Karmada's admission webhooks,
//! CRD schemas and aggregated apiserver do them, written as pure functions.
//!
//! The apiserver runs them in Kubernetes' admission order: decode, then `default_*` (the CRD
//! schema defaults and the mutating webhook), then `validate_*` (the CRD schema constraints and
//! the validating webhook). Each validator returns every violation it finds, each with the
//! field path as Kubernetes prints it (`spec.placement.clusterAffinities[0].affinityName`), so
//! the caller can answer 422 Invalid with one cause per violation.

mod cluster;
mod defaults;
mod k8s;
mod overrides;
mod propagation;
mod taint;

use std::fmt;

use serde::Serialize;

pub use cluster::{validate_cluster, validate_cluster_name, validate_cluster_spec};
pub use defaults::{
    default_binding_spec, default_cluster_override_policy, default_cluster_propagation_policy,
    default_override_policy, default_override_spec, default_propagation_policy,
    default_propagation_spec,
};
pub use overrides::{
    validate_cluster_override_policy, validate_override_policy, validate_override_spec,
};
pub use propagation::{
    validate_cluster_affinity, validate_cluster_propagation_policy,
    validate_cluster_propagation_policy_update, validate_placement, validate_propagation_policy,
    validate_propagation_policy_update, validate_propagation_spec,
};
pub use taint::{validate_cluster_taint_policy, validate_cluster_taint_policy_spec};

/// The kind of a violation, which decides the `reason` of its cause in a Kubernetes `Status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ViolationKind {
    /// A required field is missing or empty.
    Required,
    /// A field has an invalid value.
    Invalid,
    /// A field has a value outside its closed set.
    NotSupported,
    /// A field may not be set (in this context).
    Forbidden,
    /// A value appears twice where it must be unique.
    Duplicate,
    /// A value is too long.
    TooLong,
}

impl ViolationKind {
    /// The `reason` of a `StatusCause`, e.g. "FieldValueRequired".
    pub fn reason(self) -> &'static str {
        match self {
            ViolationKind::Required => "FieldValueRequired",
            ViolationKind::Invalid => "FieldValueInvalid",
            ViolationKind::NotSupported => "FieldValueNotSupported",
            ViolationKind::Forbidden => "FieldValueForbidden",
            ViolationKind::Duplicate => "FieldValueDuplicate",
            ViolationKind::TooLong => "FieldValueTooLong",
        }
    }

    /// How Kubernetes names the kind in messages, e.g. "Required value".
    pub fn as_str(self) -> &'static str {
        match self {
            ViolationKind::Required => "Required value",
            ViolationKind::Invalid => "Invalid value",
            ViolationKind::NotSupported => "Unsupported value",
            ViolationKind::Forbidden => "Forbidden",
            ViolationKind::Duplicate => "Duplicate value",
            ViolationKind::TooLong => "Too long",
        }
    }
}

/// One validation failure: the field path, what is wrong, and a message for users.
///
/// `Display` renders it as kube-apiserver does:
/// `spec.resourceSelectors[0].name: Invalid value: "": name cannot be empty …`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldViolation {
    /// Path of the offending field, e.g. `spec.placement.spreadConstraints[1]`.
    pub field: String,
    /// What kind of violation it is.
    pub kind: ViolationKind,
    /// The message after the kind: for Invalid and NotSupported it starts with the offending
    /// value (JSON-encoded), as Kubernetes prints it.
    pub message: String,
}

impl FieldViolation {
    /// A required field is missing or empty.
    pub fn required(field: &FieldPath, detail: impl Into<String>) -> Self {
        FieldViolation {
            field: field.to_string(),
            kind: ViolationKind::Required,
            message: detail.into(),
        }
    }

    /// A field has an invalid value.
    pub fn invalid(field: &FieldPath, value: impl Serialize, detail: impl fmt::Display) -> Self {
        FieldViolation {
            field: field.to_string(),
            kind: ViolationKind::Invalid,
            message: format!("{}: {detail}", render(&value)),
        }
    }

    /// A field has a value outside its closed set of `supported` values.
    pub fn not_supported(field: &FieldPath, value: impl Serialize, supported: &[&str]) -> Self {
        let supported: Vec<String> = supported.iter().map(|s| format!("{s:?}")).collect();
        FieldViolation {
            field: field.to_string(),
            kind: ViolationKind::NotSupported,
            message: format!(
                "{}: supported values: {}",
                render(&value),
                supported.join(", ")
            ),
        }
    }

    /// A field may not be set.
    pub fn forbidden(field: &FieldPath, detail: impl Into<String>) -> Self {
        FieldViolation {
            field: field.to_string(),
            kind: ViolationKind::Forbidden,
            message: detail.into(),
        }
    }

    /// A value appears twice where it must be unique.
    pub fn duplicate(field: &FieldPath, value: impl Serialize) -> Self {
        FieldViolation {
            field: field.to_string(),
            kind: ViolationKind::Duplicate,
            message: render(&value),
        }
    }

    /// A value is too long.
    pub fn too_long(field: &FieldPath, max: usize) -> Self {
        FieldViolation {
            field: field.to_string(),
            kind: ViolationKind::TooLong,
            message: format!("may not be more than {max} bytes"),
        }
    }
}

impl fmt::Display for FieldViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            write!(f, "{}: {}", self.field, self.kind.as_str())
        } else {
            write!(
                f,
                "{}: {}: {}",
                self.field,
                self.kind.as_str(),
                self.message
            )
        }
    }
}

impl std::error::Error for FieldViolation {}

fn render(value: &impl Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "<unrenderable>".to_owned())
}

/// A field path as Kubernetes prints it: `spec.placement.clusterAffinities[0].affinityName`,
/// map keys as `labels[app]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FieldPath(String);

impl FieldPath {
    /// The path of a top-level field, e.g. `spec`.
    pub fn new(root: &str) -> Self {
        FieldPath(root.to_owned())
    }

    /// The path of a child field.
    #[must_use]
    pub fn child(&self, name: &str) -> Self {
        FieldPath(format!("{}.{name}", self.0))
    }

    /// The path of a list item.
    #[must_use]
    pub fn index(&self, index: usize) -> Self {
        FieldPath(format!("{}[{index}]", self.0))
    }

    /// The path of a map entry.
    #[must_use]
    pub fn key(&self, key: &str) -> Self {
        FieldPath(format!("{}[{key}]", self.0))
    }

    /// The path as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests;
