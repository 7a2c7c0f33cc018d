//! `policy.karmada.io`: propagation, override and cluster-taint policies.

pub mod v1alpha1;
