//! Simulated member clusters (`flotilla member-sim`, and the members of `flotilla up`): Flotilla's
//! own API server on the embedded store, serving plain Kubernetes, plus a kwok-style simulator
//! that plays the parts a real cluster's control plane and kubelets play — nodes with capacity,
//! a scheduler, a kubelet that makes pods Running and Ready, and the Deployment, ReplicaSet,
//! StatefulSet, DaemonSet and Job controllers keeping workload `.status` as kube does.
//!
//! The simulator is a client of the member's API over loopback (kube-rs watchers, reflectors
//! and ordinary writes), exactly as a real cluster's controllers are clients of theirs, so
//! whatever talks to a simulated member talks to it through the real API.
//!
//! ```no_run
//! # async fn demo() -> Result<(), flotilla_sim::Error> {
//! let shutdown = tokio_util::sync::CancellationToken::new();
//! let opts = flotilla_sim::MemberOptions::new("member1", "127.0.0.1:0".parse().unwrap());
//! let member = flotilla_sim::start(opts, shutdown.clone()).await?;
//! println!("kubectl --kubeconfig {} get nodes", member.kubeconfig().display());
//! shutdown.cancel();
//! member.wait().await
//! # }
//! ```

mod member;
pub mod placement;
pub mod resources;
pub mod simulator;

use std::fmt;

pub use member::{Error, MemberOptions, RunningMember, start, start_on};
pub use simulator::{FIELD_MANAGER, SimulatorOptions};
/// What stops a member (re-exported so that embedders need not depend on `tokio-util`).
pub use tokio_util::sync::CancellationToken;

/// A namespaced (or, with an empty namespace, cluster-scoped) object's identity.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub namespace: String,
    pub name: String,
}

impl Key {
    pub fn new(namespace: &str, name: &str) -> Key {
        Key {
            namespace: namespace.to_owned(),
            name: name.to_owned(),
        }
    }

    /// A cluster-scoped object's key.
    pub fn cluster(name: &str) -> Key {
        Key::new("", name)
    }

    /// The key of any object.
    pub fn of<K: kube::Resource>(obj: &K) -> Key {
        let meta = obj.meta();
        Key {
            namespace: meta.namespace.clone().unwrap_or_default(),
            name: meta.name.clone().unwrap_or_default(),
        }
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.namespace.is_empty() {
            f.write_str(&self.name)
        } else {
            write!(f, "{}/{}", self.namespace, self.name)
        }
    }
}
