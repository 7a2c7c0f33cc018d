//! `policy.karmada.io/v1alpha1`: PropagationPolicy, ClusterPropagationPolicy, OverridePolicy,
//! ClusterOverridePolicy and ClusterTaintPolicy, with the types they share (`Placement`,
//! `ClusterAffinity`, `ResourceSelector`, failover behaviour, …), which the bindings reuse.

mod overrides;
mod propagation;
mod taint;

pub use overrides::*;
pub use propagation::*;
pub use taint::*;

/// The API group of this module's kinds.
pub const GROUP: &str = "policy.karmada.io";
/// The API version of this module's kinds.
pub const VERSION: &str = "v1alpha1";
/// `group/version`, as written in `apiVersion`.
pub const API_VERSION: &str = "policy.karmada.io/v1alpha1";
