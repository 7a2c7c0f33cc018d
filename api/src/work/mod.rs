//! `work.karmada.io`: the scheduling result of a resource template (ResourceBinding,
//! ClusterResourceBinding in v1alpha2) and the final per-cluster manifests (Work in v1alpha1).

pub mod v1alpha1;
pub mod v1alpha2;
