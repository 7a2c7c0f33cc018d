//! `flotilla-controllers` owns Flotilla's controllers. Each is an API client (kube-rs over HTTP),
//! never a caller into the apiserver's internals, so it runs the same against a remote control
//! plane:
//!
//! * [`detector`]: resource templates + propagation policies → ResourceBindings;
//! * [`cluster`]: member clusters — execution namespaces, health and resource summaries, and
//!   the clean-up when a cluster leaves;
//! * [`binding`]: bindings → one Work per target cluster, replicas revised and overrides
//!   ([`overrides`]) applied;
//! * [`execution`]: per-member workers that apply Works, report drift and reflect status;
//! * [`status`]: Work status → binding `aggregatedStatus` → the template's `.status`;
//! * [`namespace`]: namespaces propagated to every member.
//!
//! [`interpreter`] holds the per-kind knowledge (Karmada's resource interpreter) they share, and
//! [`manager`] runs any set of them.

pub mod binding;
pub mod cluster;
pub mod context;
pub mod detector;
pub mod execution;
pub mod interpreter;
pub mod manager;
pub mod members;
pub mod metrics;
pub mod namespace;
pub mod overrides;
pub mod status;

pub use context::Context;
pub use detector::{DetectorOptions, Error, ReleasedBindings, run_detector};
