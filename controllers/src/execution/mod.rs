//! Execution: per-member workers that apply Works, restore and report drift, and reflect member
//! status into Work status (Karmada's `execution` and `workStatus` controllers, in one).
//!
//! # How it runs
//!
//! * [`run`] watches Clusters and keeps one worker set per Push-mode member cluster (Pull-mode
//!   members apply their Works themselves, through an agent); a set is started when its Cluster
//!   appears, restarted when the Cluster's connection settings change and stopped when the
//!   Cluster is deleted. A set talks to its member only while the Cluster's `Ready` condition is
//!   True (as Karmada requires); when it turns Ready again every Work is looked at again.
//! * Each set watches the Works of its execution namespace `karmada-es-<cluster>` and, in the
//!   member, the objects of each kind its Works contain: a kube-runtime watcher per kind, started
//!   the first time a Work needs it (the kind resolved through the member's discovery), selecting
//!   `karmada.io/managed=true`, with a reflector cache. Deciding whether to apply costs no
//!   request; only a name missing from the cache is looked up once (a GET), to find an
//!   unmanaged object of that name before creating one.
//! * Work events (new generation, deletion) and member object events (the object's
//!   `work.karmada.io/{namespace,name}` annotations name its Work) feed one
//!   [`WorkQueue`](flotilla_runtime::WorkQueue) per member, keyed by Work: a Work is never
//!   reconciled twice at once, bursts of member events for one Work coalesce, failures back off,
//!   and every Work is looked at again each resync period. `workers` tasks per member drain it;
//!   members share no lock (their metric series are resolved once, at start).
//!
//! # Reconciling a Work
//!
//! * **Apply**: each manifest is server-side applied with field manager [`FIELD_MANAGER`],
//!   forced, after [`crate::interpreter::retain`] copied member-owned fields from the live
//!   object. It is applied when the Work's generation has not been applied to that object yet,
//!   or when the live object no longer matches it — never merely because an event arrived, so an
//!   unchanged Work costs no write. A member object that exists without
//!   `karmada.io/managed=true` is left alone unless the manifest says
//!   `work.karmada.io/conflict-resolution: overwrite`. A missing namespace is created (labelled
//!   managed, so that the namespace controller's Work takes it over).
//! * **Drift, reported**: when an already applied generation no longer matches the live object
//!   — a field the manifest (after retain) sets differs, or the object is gone — it is applied
//!   again and reported: Work condition `Drifted` (reason `DriftCorrected`, naming object,
//!   cluster, changed fields and the number of corrections), a Warning event on the Work and on
//!   the resource template, and `flotilla_drift_corrections_total{cluster}`. Fields the manifest
//!   does not set (defaults, status, other managers' fields) are never drift. The comparison is
//!   made against the manifest, with Flotilla's own writes standing in for the cache until the
//!   watch has seen them, so Flotilla's own applies are never mistaken for drift.
//! * **Delete**: a Work being deleted has its objects deleted from the member (or, with
//!   `preserveResourcesOnDeletion`, stripped of Flotilla's labels and annotations and kept), then
//!   loses its finalizer. While the member is not Ready this waits — unless the Cluster itself
//!   is being deleted, when the finalizer goes at once (the member is unreachable for good). A
//!   manifest removed from a Work has its object deleted.
//! * **Status**: `Applied`, `Dispatching` and `Drifted` conditions and `manifestStatuses`
//!   (reflected status and health of each live object), written through `works/status` only when
//!   they changed.

pub mod compare;
pub mod events;
pub mod manifest;
mod member;
mod reconcile;
pub mod status;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use flotilla_api::Cluster;
use flotilla_api::cluster::v1alpha1::ClusterSyncMode;
use flotilla_runtime::QueueOptions;
use futures::StreamExt;
use kube::api::Api;
use kube::runtime::{WatchStreamExt, watcher};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::context::Context;

/// The controller's name, as used in logs and by the controller-manager.
pub const NAME: &str = "execution";

/// The field manager of everything applied to member clusters.
pub const FIELD_MANAGER: &str = "flotilla";

/// How the execution controller runs.
#[derive(Debug, Clone)]
pub struct ExecutionOptions {
    /// Works reconciled concurrently per member cluster, and the backoff of failed reconciles.
    pub queue: QueueOptions,
    /// How often every Work is reconciled again although nothing was seen to change.
    pub resync_period: Duration,
    /// How long a reconcile waits for a new member-side cache to be filled before it gives up
    /// and retries later.
    pub cache_sync_timeout: Duration,
}

impl Default for ExecutionOptions {
    fn default() -> Self {
        ExecutionOptions {
            queue: QueueOptions {
                workers: 8,
                retry_base: Duration::from_millis(100),
                retry_max: Duration::from_secs(60),
            },
            resync_period: Duration::from_secs(600),
            cache_sync_timeout: Duration::from_secs(30),
        }
    }
}

impl ExecutionOptions {
    /// Checks the options.
    pub fn validate(&self) -> Result<(), Error> {
        let invalid = |reason: &str| Error::InvalidOptions(reason.to_owned());
        self.queue.validate().map_err(invalid)?;
        if self.resync_period.is_zero() || self.cache_sync_timeout.is_zero() {
            return Err(invalid(
                "the resync period and cache sync timeout must be positive",
            ));
        }
        Ok(())
    }
}

/// The execution controller's errors.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The options do not make sense.
    #[error("invalid execution options: {0}")]
    InvalidOptions(String),
}

/// What a member's worker set is reached through; a change restarts the set, so its watchers
/// use the new endpoint and credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Connection {
    endpoint: Option<String>,
    secret: Option<(String, String)>,
    insecure: Option<bool>,
    proxy: Option<String>,
}

impl Connection {
    fn of(cluster: &Cluster) -> Self {
        let spec = &cluster.spec;
        Connection {
            endpoint: spec.api_endpoint.clone(),
            secret: spec
                .secret_ref
                .as_ref()
                .map(|s| (s.namespace.clone(), s.name.clone())),
            insecure: spec.insecure_skip_tls_verification,
            proxy: spec.proxy_url.clone(),
        }
    }
}

/// A running worker set.
struct MemberHandle {
    connection: Connection,
    cluster: watch::Sender<Arc<Cluster>>,
    stop: CancellationToken,
    task: JoinHandle<()>,
}

struct Members {
    ctx: Context,
    opts: ExecutionOptions,
    running: HashMap<String, MemberHandle>,
}

impl Members {
    fn upsert(&mut self, cluster: Cluster) {
        let name = cluster.metadata.name.clone().unwrap_or_default();
        if name.is_empty() {
            return;
        }
        if cluster.spec.sync_mode == Some(ClusterSyncMode::Pull) {
            // An agent in the member applies the Works of a Pull-mode cluster.
            if self.running.contains_key(&name) {
                self.stop(&name);
            }
            return;
        }
        let connection = Connection::of(&cluster);
        let cluster = Arc::new(cluster);
        if let Some(handle) = self.running.get(&name) {
            if handle.connection == connection {
                handle.cluster.send_replace(cluster);
                return;
            }
            info!(cluster = %name, "member connection changed; restarting its workers");
            self.stop(&name);
        }
        let (tx, rx) = watch::channel(cluster);
        let stop = self.ctx.shutdown.child_token();
        let task = tokio::spawn(member::run(
            self.ctx.clone(),
            self.opts.clone(),
            name.clone(),
            rx,
            stop.clone(),
        ));
        info!(cluster = %name, "started member workers");
        self.running.insert(
            name,
            MemberHandle {
                connection,
                cluster: tx,
                stop,
                task,
            },
        );
    }

    fn stop(&mut self, name: &str) {
        if let Some(handle) = self.running.remove(name) {
            handle.stop.cancel();
            info!(cluster = %name, "stopped member workers");
        }
    }

    async fn stop_all(&mut self) {
        let handles: Vec<MemberHandle> = self.running.drain().map(|(_, h)| h).collect();
        for handle in &handles {
            handle.stop.cancel();
        }
        for handle in handles {
            // In-flight reconciles are a handful of requests each.
            if tokio::time::timeout(Duration::from_secs(10), handle.task)
                .await
                .is_err()
            {
                warn!("member workers did not stop in time");
            }
        }
    }
}

/// Runs the execution controller until `ctx.shutdown` is cancelled. Watches and retries never
/// end it; the only error is invalid options.
pub async fn run(ctx: Context, opts: ExecutionOptions) -> Result<(), Error> {
    opts.validate()?;
    info!(
        workers = opts.queue.workers,
        "starting the execution controller"
    );
    let api: Api<Cluster> = Api::all(ctx.client.clone());
    let mut events = watcher(api, watcher::Config::default())
        .default_backoff()
        .boxed();
    let mut members = Members {
        ctx: ctx.clone(),
        opts,
        running: HashMap::new(),
    };
    let mut listed = HashSet::new();
    loop {
        let event = tokio::select! {
            _ = ctx.shutdown.cancelled() => break,
            event = events.next() => event,
        };
        let Some(event) = event else { break };
        match event {
            Ok(watcher::Event::Apply(cluster)) => members.upsert(cluster),
            Ok(watcher::Event::Delete(cluster)) => {
                let name = cluster.metadata.name.unwrap_or_default();
                members.stop(&name);
                ctx.members.forget(&name);
            }
            Ok(watcher::Event::Init) => listed.clear(),
            Ok(watcher::Event::InitApply(cluster)) => {
                listed.insert(cluster.metadata.name.clone().unwrap_or_default());
                members.upsert(cluster);
            }
            Ok(watcher::Event::InitDone) => {
                // Clusters deleted while the watch was down.
                let gone: Vec<String> = members
                    .running
                    .keys()
                    .filter(|name| !listed.contains(*name))
                    .cloned()
                    .collect();
                for name in gone {
                    members.stop(&name);
                    ctx.members.forget(&name);
                }
            }
            Err(err) => warn!(error = %err, "cluster watch failed"),
        }
    }
    info!("stopping the execution controller");
    members.stop_all().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_validated() {
        assert!(ExecutionOptions::default().validate().is_ok());
        let bad = [
            ExecutionOptions {
                queue: QueueOptions {
                    workers: 0,
                    ..ExecutionOptions::default().queue
                },
                ..Default::default()
            },
            ExecutionOptions {
                resync_period: Duration::ZERO,
                ..Default::default()
            },
            ExecutionOptions {
                queue: QueueOptions {
                    retry_max: Duration::from_millis(1),
                    ..ExecutionOptions::default().queue
                },
                ..Default::default()
            },
        ];
        for opts in bad {
            assert!(
                matches!(opts.validate(), Err(Error::InvalidOptions(_))),
                "{opts:?}"
            );
        }
    }
}
