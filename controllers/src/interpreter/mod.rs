//! Per-kind knowledge shared by the controllers — Karmada's native resource interpreter
//! (`pkg/resourceinterpreter/default/native`): how to revise a workload's replicas for one
//! cluster, what status to reflect from a member object, how healthy it is, how per-cluster
//! statuses add up into the template's status, and which member-owned fields to retain.
//!
//! Everything here works on untyped JSON (`serde_json::Value`) so it applies to any kind; kinds
//! without a rule get Karmada's defaults.

mod replicas;
mod retain;
mod status;

pub use replicas::revise_replicas;
pub use retain::retain;
pub use status::{ClusterStatus, aggregate_status, health, reflect_status};
