//! The `cluster` controller (Karmada's `pkg/controllers/cluster`): for every Cluster it keeps
//! the finalizer [`labels::CLUSTER_CONTROLLER_FINALIZER`], the execution namespace
//! `karmada-es-<cluster>` and the automatic NoSchedule taints that follow the `Ready` condition
//! (see [`desired_taints`]); when a Cluster is deleted it cleans up before letting it go.
//!
//! # Removing a cluster
//!
//! 1. Every Work in the execution namespace is deleted. The execution controller deletes each
//!    Work's objects from the member and then drops the Work's
//!    [`labels::EXECUTION_CONTROLLER_FINALIZER`]; this controller waits for the Works to be gone.
//! 2. If the cluster is not Ready (it cannot be reached, so nothing can be deleted there) and
//!    Works are still there after [`ClusterOptions::unreachable_grace_period`], their execution
//!    finalizer is removed here, with a warning naming each Work: leaving a dead member must not
//!    hang. Its objects stay in the member.
//! 3. The execution namespace is deleted and waited for, the member's client is dropped, and
//!    the finalizer is removed, which lets the Cluster go.
//!
//! # How it runs
//!
//! A watcher keeps a reflector store of Clusters; every change queues the cluster's name in a
//! [`WorkQueue`] served by `workers` tasks ([`ClusterOptions::queue`]; never two at once for one
//! cluster, failures retried with backoff). Every cluster is queued again each
//! [`ClusterOptions::resync_period`], so a namespace deleted by hand comes back. Writes are JSON
//! merge patches carrying the `resourceVersion` they were computed from, so a concurrent change
//! (a user editing taints) is never overwritten: the patch fails with a conflict and is redone on
//! the fresh object.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use flotilla_api::{Cluster, Work, labels, names};
use flotilla_runtime::{Action, QueueOptions, WorkQueue, resync, spawn_workers};
use futures::StreamExt;
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::runtime::reflector::{self, ObjectRef, Store, store::Writer};
use kube::runtime::{WatchStreamExt, watcher};
use serde_json::json;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tracing::{Instrument, debug, info, info_span, warn};

use super::health::{desired_taints, ready_condition};
use super::{Error, is_conflict, is_not_found};
use crate::context::Context;

/// The controller's name, as used in logs and by the controller-manager.
pub const NAME: &str = "cluster";

/// How the cluster controller runs.
#[derive(Debug, Clone)]
pub struct ClusterOptions {
    /// Clusters reconciled concurrently (Karmada's `--concurrent-cluster-syncs`), and the backoff
    /// of failed reconciles.
    pub queue: QueueOptions,
    /// How long the Works of a cluster that is being removed and is not Ready may wait for the
    /// execution controller before their finalizer is removed without cleaning the member.
    pub unreachable_grace_period: Duration,
    /// How often removal progress (Works, namespace) is checked while waiting.
    pub removal_poll_interval: Duration,
    /// How often every cluster is reconciled again although nothing was seen to change.
    pub resync_period: Duration,
}

impl Default for ClusterOptions {
    fn default() -> Self {
        ClusterOptions {
            queue: QueueOptions {
                workers: 5,
                retry_base: Duration::from_millis(100),
                retry_max: Duration::from_secs(60),
            },
            unreachable_grace_period: Duration::from_secs(30),
            removal_poll_interval: Duration::from_secs(1),
            resync_period: Duration::from_secs(300),
        }
    }
}

impl ClusterOptions {
    /// Checks the options.
    pub fn validate(&self) -> Result<(), Error> {
        let invalid = |reason: &str| Err(Error::InvalidOptions(reason.to_owned()));
        if let Err(reason) = self.queue.validate() {
            return invalid(&format!("cluster {reason}"));
        }
        if self.removal_poll_interval.is_zero() {
            return invalid("removal poll interval must be positive");
        }
        if self.resync_period.is_zero() {
            return invalid("resync period must be positive");
        }
        Ok(())
    }
}

struct Ctl {
    ctx: Context,
    opts: ClusterOptions,
    clusters: Store<Cluster>,
    queue: Arc<WorkQueue<String>>,
    /// Since when the Works of a not-Ready cluster being removed have been waiting, by the
    /// Cluster's UID.
    stuck_since: Mutex<HashMap<String, Instant>>,
}

impl Ctl {
    fn stuck(&self) -> MutexGuard<'_, HashMap<String, Instant>> {
        self.stuck_since.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn clusters_api(&self) -> Api<Cluster> {
        Api::all(self.ctx.client.clone())
    }
}

/// Runs the cluster controller until `ctx.shutdown` is cancelled.
pub async fn run(ctx: Context, opts: ClusterOptions) -> Result<(), Error> {
    opts.validate()?;
    let (clusters, writer) = reflector::store::<Cluster>();
    let workers = opts.queue.workers;
    let ctl = Arc::new(Ctl {
        queue: opts.queue.queue(),
        ctx,
        opts,
        clusters,
        stuck_since: Mutex::new(HashMap::new()),
    });
    info!(
        controller = NAME,
        workers, "starting the cluster controller"
    );
    let mut background = JoinSet::new();
    background.spawn(watch_clusters(Arc::clone(&ctl), writer));
    let c = Arc::clone(&ctl);
    background.spawn(resync(ctl.opts.resync_period, move || {
        for cluster in c.clusters.state() {
            c.queue
                .add(cluster.metadata.name.clone().unwrap_or_default());
        }
    }));

    let shutdown = ctl.ctx.shutdown.clone();
    let mut pool = JoinSet::new();
    tokio::select! {
        _ = shutdown.cancelled() => {}
        _ = ctl.clusters.wait_until_ready() => {
            spawn_workers(&mut pool, workers, &ctl.queue, &ctl, reconcile_key, log_failure);
            shutdown.cancelled().await;
        }
    }
    info!(controller = NAME, "stopping the cluster controller");
    ctl.queue.shut_down();
    background.abort_all();
    while pool.join_next().await.is_some() {}
    Ok(())
}

async fn watch_clusters(ctl: Arc<Ctl>, writer: Writer<Cluster>) {
    let mut events = watcher(ctl.clusters_api(), watcher::Config::default())
        .default_backoff()
        .reflect(writer)
        .boxed();
    while let Some(event) = events.next().await {
        match event {
            Ok(watcher::Event::Apply(c) | watcher::Event::InitApply(c)) => {
                ctl.queue.add(c.metadata.name.clone().unwrap_or_default());
            }
            Ok(watcher::Event::Delete(c)) => {
                if let Some(uid) = &c.metadata.uid {
                    ctl.stuck().remove(uid);
                }
            }
            Ok(_) => {}
            Err(err) => warn!(controller = NAME, error = %err, "cluster watch failed"),
        }
    }
}

/// Reconciles a cluster taken from the queue, in its own span.
async fn reconcile_key(ctl: Arc<Ctl>, name: String) -> Result<Action, Error> {
    let span = info_span!("reconcile", controller = NAME, cluster = %name);
    reconcile(&ctl, &name).instrument(span).await
}

/// Logs a failed reconcile: conflicts (a stale cache) are routine.
fn log_failure(name: &String, err: &Error, retry_in: Option<Duration>) {
    if err.is_conflict() {
        debug!(cluster = %name, error = %err, ?retry_in, "stale cluster; retrying");
    } else {
        warn!(cluster = %name, error = %err, ?retry_in, "cluster reconcile failed");
    }
}

async fn reconcile(ctl: &Ctl, name: &str) -> Result<Action, Error> {
    let Some(cluster) = ctl.clusters.get(&ObjectRef::new(name)) else {
        return Ok(Action::AwaitChange);
    };
    if cluster.metadata.deletion_timestamp.is_some() {
        return remove_cluster(ctl, &cluster).await;
    }
    let cluster = ensure_finalizer(ctl, &cluster).await?;
    let action = ensure_execution_namespace(ctl, name).await?;
    ensure_taints(ctl, &cluster).await?;
    Ok(action)
}

fn has_finalizer(finalizers: Option<&Vec<String>>, finalizer: &str) -> bool {
    finalizers.is_some_and(|f| f.iter().any(|x| x == finalizer))
}

/// A merge patch of `metadata.finalizers`, guarded by the resourceVersion it was computed from.
fn finalizers_patch(resource_version: Option<&str>, finalizers: Vec<String>) -> serde_json::Value {
    json!({"metadata": {"resourceVersion": resource_version, "finalizers": finalizers}})
}

/// Adds the finalizer if missing; returns the Cluster as it is now.
async fn ensure_finalizer(ctl: &Ctl, cluster: &Arc<Cluster>) -> Result<Arc<Cluster>, Error> {
    let finalizer = labels::CLUSTER_CONTROLLER_FINALIZER;
    if has_finalizer(cluster.metadata.finalizers.as_ref(), finalizer) {
        return Ok(Arc::clone(cluster));
    }
    let name = cluster.metadata.name.as_deref().unwrap_or_default();
    let mut finalizers = cluster.metadata.finalizers.clone().unwrap_or_default();
    finalizers.push(finalizer.to_owned());
    let patch = finalizers_patch(cluster.metadata.resource_version.as_deref(), finalizers);
    let updated = ctl
        .clusters_api()
        .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map_err(Error::api(format!("add the finalizer to Cluster {name}")))?;
    debug!(cluster = %name, "finalizer added");
    Ok(Arc::new(updated))
}

/// Creates `karmada-es-<cluster>` if it does not exist; waits if an old one is still being
/// deleted.
async fn ensure_execution_namespace(ctl: &Ctl, cluster: &str) -> Result<Action, Error> {
    let namespace = names::execution_namespace(cluster);
    let api: Api<Namespace> = Api::all(ctl.ctx.client.clone());
    match api
        .get_opt(&namespace)
        .await
        .map_err(Error::api(format!("read namespace {namespace}")))?
    {
        Some(ns) if ns.metadata.deletion_timestamp.is_some() => {
            // The namespace of a cluster of the same name that just left: create ours when it
            // is gone.
            debug!(cluster, namespace = %namespace, "waiting for the old execution namespace to go");
            Ok(Action::Requeue(ctl.opts.removal_poll_interval))
        }
        Some(_) => Ok(Action::AwaitChange),
        None => {
            let ns = Namespace {
                metadata: kube::api::ObjectMeta {
                    name: Some(namespace.clone()),
                    ..Default::default()
                },
                ..Default::default()
            };
            match api.create(&PostParams::default(), &ns).await {
                Ok(_) => {
                    info!(cluster, namespace = %namespace, "created the execution namespace");
                    Ok(Action::AwaitChange)
                }
                Err(err) if is_conflict(&err) => Ok(Action::AwaitChange),
                Err(err) => Err(Error::api(format!("create namespace {namespace}"))(err)),
            }
        }
    }
}

/// Keeps the automatic NoSchedule taints in line with the `Ready` condition.
async fn ensure_taints(ctl: &Ctl, cluster: &Cluster) -> Result<(), Error> {
    let name = cluster.metadata.name.as_deref().unwrap_or_default();
    let conditions = cluster
        .status
        .as_ref()
        .map(|s| s.conditions.as_slice())
        .unwrap_or_default();
    let ready = ready_condition(conditions);
    let now = Time(Timestamp::now());
    let Some(taints) = desired_taints(&cluster.spec.taints, ready, &now) else {
        return Ok(());
    };
    let patch = json!({
        "metadata": {"resourceVersion": cluster.metadata.resource_version},
        "spec": {"taints": taints},
    });
    ctl.clusters_api()
        .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map_err(Error::api(format!("update the taints of Cluster {name}")))?;
    let keys: Vec<String> = taints
        .iter()
        .map(|t| format!("{}:{}", t.key, t.effect))
        .collect();
    info!(
        cluster = %name,
        ready = ready.map(|c| c.status.as_str()).unwrap_or("not reported"),
        taints = ?keys,
        "updated cluster taints"
    );
    Ok(())
}

/// The clean-up of a Cluster being deleted; see the module documentation.
async fn remove_cluster(ctl: &Ctl, cluster: &Cluster) -> Result<Action, Error> {
    if !has_finalizer(
        cluster.metadata.finalizers.as_ref(),
        labels::CLUSTER_CONTROLLER_FINALIZER,
    ) {
        return Ok(Action::AwaitChange);
    }
    let name = cluster.metadata.name.as_deref().unwrap_or_default();
    let uid = cluster.metadata.uid.clone().unwrap_or_default();
    let namespace = names::execution_namespace(name);
    let poll = ctl.opts.removal_poll_interval;

    let works: Api<Work> = Api::namespaced(ctl.ctx.client.clone(), &namespace);
    let remaining = works
        .list_metadata(&ListParams::default())
        .await
        .map_err(Error::api(format!("list the Works in {namespace}")))?
        .items;
    if !remaining.is_empty() {
        let mut deleted = 0;
        for work in remaining
            .iter()
            .filter(|w| w.metadata.deletion_timestamp.is_none())
        {
            let work_name = work.metadata.name.as_deref().unwrap_or_default();
            match works.delete(work_name, &DeleteParams::default()).await {
                Ok(_) => deleted += 1,
                Err(err) if is_not_found(&err) => {}
                Err(err) => {
                    return Err(Error::api(format!("delete Work {namespace}/{work_name}"))(
                        err,
                    ));
                }
            }
        }
        if deleted > 0 {
            info!(cluster = %name, works = deleted, "cluster is leaving: deleting its Works");
        }
        if cluster.is_ready() {
            // The execution controller removes the objects from the member, then the Works.
            ctl.stuck().remove(&uid);
            return Ok(Action::Requeue(poll));
        }
        let now = Instant::now();
        let since = *ctl.stuck().entry(uid.clone()).or_insert(now);
        let waited = now.duration_since(since);
        let grace = ctl.opts.unreachable_grace_period;
        if waited < grace {
            debug!(cluster = %name, works = remaining.len(), ?waited, "cluster is not ready; waiting for its Works");
            return Ok(Action::Requeue(poll.min(grace - waited)));
        }
        let finalizer = labels::EXECUTION_CONTROLLER_FINALIZER;
        for work in &remaining {
            if !has_finalizer(work.metadata.finalizers.as_ref(), finalizer) {
                continue;
            }
            let work_name = work.metadata.name.as_deref().unwrap_or_default();
            let kept: Vec<String> = work
                .metadata
                .finalizers
                .iter()
                .flatten()
                .filter(|f| *f != finalizer)
                .cloned()
                .collect();
            let patch = finalizers_patch(work.metadata.resource_version.as_deref(), kept);
            match works
                .patch(work_name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
            {
                Ok(_) => warn!(
                    cluster = %name,
                    work = %work_name,
                    namespace = %namespace,
                    grace = ?grace,
                    "cluster is not ready: removed the Work without deleting its objects from the member"
                ),
                Err(err) if is_not_found(&err) => {}
                Err(err) => {
                    return Err(Error::api(format!(
                        "remove the finalizer of Work {namespace}/{work_name}"
                    ))(err));
                }
            }
        }
        return Ok(Action::Requeue(poll));
    }

    let namespaces: Api<Namespace> = Api::all(ctl.ctx.client.clone());
    if let Some(ns) = namespaces
        .get_opt(&namespace)
        .await
        .map_err(Error::api(format!("read namespace {namespace}")))?
    {
        if ns.metadata.deletion_timestamp.is_none() {
            match namespaces
                .delete(&namespace, &DeleteParams::default())
                .await
            {
                Ok(_) => {
                    info!(cluster = %name, namespace = %namespace, "deleting the execution namespace")
                }
                Err(err) if is_not_found(&err) => {}
                Err(err) => return Err(Error::api(format!("delete namespace {namespace}"))(err)),
            }
        }
        return Ok(Action::Requeue(poll));
    }

    ctl.ctx.members.forget(name);
    ctl.stuck().remove(&uid);
    let kept: Vec<String> = cluster
        .metadata
        .finalizers
        .iter()
        .flatten()
        .filter(|f| *f != labels::CLUSTER_CONTROLLER_FINALIZER)
        .cloned()
        .collect();
    let patch = finalizers_patch(cluster.metadata.resource_version.as_deref(), kept);
    match ctl
        .clusters_api()
        .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
    {
        Ok(_) => {
            info!(cluster = %name, "cluster removed: Works and execution namespace are gone");
            Ok(Action::AwaitChange)
        }
        Err(err) if is_not_found(&err) => Ok(Action::AwaitChange),
        Err(err) => Err(Error::api(format!(
            "remove the finalizer of Cluster {name}"
        ))(err)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_checked() {
        assert!(ClusterOptions::default().validate().is_ok());
        let cases = [
            ClusterOptions {
                queue: QueueOptions {
                    workers: 0,
                    ..ClusterOptions::default().queue
                },
                ..Default::default()
            },
            ClusterOptions {
                removal_poll_interval: Duration::ZERO,
                ..Default::default()
            },
            ClusterOptions {
                queue: QueueOptions {
                    retry_max: Duration::from_millis(1),
                    ..ClusterOptions::default().queue
                },
                ..Default::default()
            },
        ];
        for (i, case) in cases.into_iter().enumerate() {
            assert!(case.validate().is_err(), "case {i}");
        }
    }

    #[test]
    fn finalizer_patches_carry_the_resource_version() {
        let patch = finalizers_patch(Some("42"), vec!["a".into()]);
        assert_eq!(
            patch,
            json!({"metadata": {"resourceVersion": "42", "finalizers": ["a"]}})
        );
    }
}
