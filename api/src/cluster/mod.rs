//! `cluster.karmada.io`: member clusters.

pub mod v1alpha1;
