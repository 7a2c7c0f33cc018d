//! Member clusters: Karmada's `cluster` controller (finalizer, execution namespace, NoSchedule
//! taints, clean-up when a cluster leaves) in [`controller`], its `clusterStatus` controller
//! (health probes, version, API enablements, node and resource summaries) in [`status`], and
//! joining and unjoining (`flotilla join` / `unjoin`) in [`mod@join`].
//!
//! The controllers depend only on the Cluster object and the Secret it references, never on
//! anything only [`join()`] does: a Cluster and Secret written with `kubectl apply` behave the
//! same.

pub mod controller;
pub mod health;
pub mod join;
mod member_cache;
pub mod status;
pub mod summary;

pub use controller::{ClusterOptions, NAME, run};
pub use join::{JoinError, JoinOutcome, JoinSpec, UnjoinOutcome, join, unjoin};
pub use status::ClusterStatusOptions;

use crate::members::MemberError;

/// Why a cluster controller cannot run or a reconcile failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The options do not make sense.
    #[error("invalid options: {0}")]
    InvalidOptions(String),
    /// A request to the federation's API server failed.
    #[error("failed to {action}: {source}")]
    Api {
        /// What was being done, e.g. `delete Work karmada-es-m1/web`.
        action: String,
        /// The API error.
        #[source]
        source: kube::Error,
    },
    /// No client could be built for a member.
    #[error("failed to reach the member: {0}")]
    Member(#[from] MemberError),
}

impl Error {
    fn api(action: impl Into<String>) -> impl FnOnce(kube::Error) -> Error {
        let action = action.into();
        move |source| Error::Api { action, source }
    }

    /// An optimistic-concurrency conflict: the cache was behind, a retry will do.
    pub fn is_conflict(&self) -> bool {
        matches!(self, Error::Api { source: kube::Error::Api(s), .. } if s.code == 409)
    }
}

/// Whether a kube error is a 404.
fn is_not_found(err: &kube::Error) -> bool {
    matches!(err, kube::Error::Api(s) if s.code == 404)
}

/// Whether a kube error is a 409 AlreadyExists or Conflict.
fn is_conflict(err: &kube::Error) -> bool {
    matches!(err, kube::Error::Api(s) if s.code == 409)
}
