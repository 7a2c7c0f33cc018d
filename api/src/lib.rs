//! `flotilla-api` owns the serde types of Flotilla's Karmada-compatible kinds, Karmada's well-known
//! labels, annotations and generated names, the table of kinds the apiserver serves, and the
//! webhook-equivalent validation and defaulting of those kinds. It does no I/O.
//!
//! The kinds keep Karmada's groups, versions, kinds and JSON field names, so Karmada manifests
//! apply unchanged:
//!
//! | group/version | kinds |
//! |---|---|
//! | `policy.karmada.io/v1alpha1` | [`PropagationPolicy`], [`ClusterPropagationPolicy`], [`OverridePolicy`], [`ClusterOverridePolicy`], [`ClusterTaintPolicy`] |
//! | `work.karmada.io/v1alpha2` | [`ResourceBinding`], [`ClusterResourceBinding`] |
//! | `work.karmada.io/v1alpha1` | [`Work`] |
//! | `cluster.karmada.io/v1alpha1` | [`Cluster`] |
//!
//! # How fields are modelled
//!
//! * Optional scalars and structs are `Option<T>` skipped when `None`, so an object read back
//!   serializes exactly as it was written (no `false`/`0`/`""` appears or disappears).
//! * Optional lists and maps are `Vec`/`BTreeMap` skipped when empty: an absent list and `[]`
//!   mean the same thing in every Karmada code path, and this is also how Karmada's Go types
//!   re-serialize them.
//! * Required fields are plain types. A few required fields that the API reports as
//!   `Required value` rather than as a decode error (`resourceSelectors`, `taints`,
//!   `syncMode`) default to empty on decode and are checked by [`validation`].
//! * Closed string sets (`Divided`, `Weighted`, `Gracefully`, …) are Rust enums; an unknown value
//!   is a decode error.
//! * Raw embedded objects (`Work` manifests, reflected status) are [`serde_json::Value`] with the
//!   schema `{"type": "object", "x-kubernetes-preserve-unknown-fields": true}`.
//! * Every kind implements [`k8s_openapi::Resource`], [`k8s_openapi::Metadata`] and
//!   [`k8s_openapi::ListableResource`], so `kube::Api<PropagationPolicy>` works as it does for
//!   built-in kinds.

#[macro_use]
mod macros;
mod raw;

pub mod cluster;
pub mod labels;
pub mod names;
pub mod policy;
pub mod resources;
pub mod validation;
pub mod work;

pub use k8s_openapi;
pub use schemars;

pub use cluster::v1alpha1::Cluster;
pub use policy::v1alpha1::{
    ClusterOverridePolicy, ClusterPropagationPolicy, ClusterTaintPolicy, OverridePolicy,
    PropagationPolicy,
};
pub use work::v1alpha1::Work;
pub use work::v1alpha2::{ClusterResourceBinding, ResourceBinding};

/// The error of parsing a value of one of the API's closed string sets (e.g.
/// [`policy::v1alpha1::PurgeMode`]) from a string that is not one of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownValue {
    /// The string that was given.
    pub value: String,
    /// The values that are accepted.
    pub expected: &'static [&'static str],
}

impl std::fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unsupported value {:?}: supported values: ", self.value)?;
        for (i, value) in self.expected.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{value:?}")?;
        }
        Ok(())
    }
}

impl std::error::Error for UnknownValue {}

#[cfg(test)]
mod tests;
