//! One member cluster's worker set: the watch of its Works, the member-side watchers and caches
//! (one per kind, started on demand), what Flotilla remembers of its own writes, and the workers
//! that drain the member's queue.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use flotilla_api::work::v1alpha1::WorkStatus;
use flotilla_api::{Cluster, Work, labels, names};
use flotilla_runtime::{WorkQueue, resync, work};
use futures::StreamExt;
use kube::Client;
use kube::api::{Api, ApiResource, DynamicObject};
use kube::core::GroupVersion;
use kube::discovery::Scope;
use kube::runtime::reflector::{self, ObjectRef, Store, store::Writer};
use kube::runtime::{WatchStreamExt, watcher};
use prometheus_client::metrics::counter::Counter;
use tokio::sync::{OnceCell, watch};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{Instrument, debug, info_span, warn};

use super::ExecutionOptions;
use super::events::Recorder;
use super::manifest::{self, ObjKey};
use crate::context::Context;
use crate::members::MemberError;
use crate::metrics::{ClusterLabels, ClusterResultLabels, Metrics};

/// How long member object events are gathered before their Work is synced again.
const MEMBER_EVENT_WINDOW: std::time::Duration = std::time::Duration::from_millis(100);

/// How long one of Flotilla's own writes stands in for the cached object while the watch has
/// not delivered it yet.
const UNOBSERVED_TTL: Duration = Duration::from_secs(30);

/// `(apiVersion, kind)`.
pub(super) type Gvk = (String, String);

/// Why reconciling a Work (or one of its manifests) failed.
#[derive(Debug, thiserror::Error)]
pub(super) enum ReconcileError {
    #[error("failed to get a client for the member cluster: {0}")]
    Client(#[from] MemberError),
    #[error("failed to discover {api_version} in the member cluster: {source}")]
    Discovery {
        api_version: String,
        #[source]
        source: kube::Error,
    },
    #[error(
        "the member cluster does not serve {api_version} {kind}; install the kind there (e.g. its CustomResourceDefinition) or stop propagating it to this cluster"
    )]
    NotServed { api_version: String, kind: String },
    #[error(
        "the member cluster's cache of {api_version} {kind} did not fill within {timeout:?}; check that the member is reachable"
    )]
    CacheTimeout {
        api_version: String,
        kind: String,
        timeout: Duration,
    },
    #[error("invalid manifest: {0}")]
    Manifest(String),
    #[error(
        "an object of this name already exists in cluster {cluster} and is not managed by Flotilla (it has no label karmada.io/managed=true); set `conflictResolution: Overwrite` in the PropagationPolicy to take it over, or delete it from the member"
    )]
    Conflict { cluster: String },
    #[error("failed to {action} it in cluster {cluster}: {message}")]
    Member {
        action: &'static str,
        cluster: String,
        message: String,
        #[source]
        source: kube::Error,
    },
    #[error("failed to {action} Work {work}: {source}")]
    Work {
        action: &'static str,
        work: String,
        #[source]
        source: kube::Error,
    },
    #[error("failed to apply {failed} of {total} manifests: {details}")]
    Incomplete {
        failed: usize,
        total: usize,
        details: String,
    },
}

impl ReconcileError {
    /// A member API error, with the member's message (what a user should read) up front.
    pub(super) fn member(action: &'static str, cluster: &str, source: kube::Error) -> Self {
        let message = match &source {
            kube::Error::Api(status) if !status.message.is_empty() => status.message.clone(),
            other => other.to_string(),
        };
        ReconcileError::Member {
            action,
            cluster: cluster.to_owned(),
            message,
            source,
        }
    }

    /// Whether the error is an optimistic-concurrency conflict (a stale cache, retried soon).
    pub(super) fn is_conflict(&self) -> bool {
        matches!(self, ReconcileError::Work { source, .. } if is_status(source, 409))
    }
}

pub(super) fn is_status(err: &kube::Error, code: u16) -> bool {
    matches!(err, kube::Error::Api(status) if status.code == code)
}

/// A resourceVersion as a number, to tell which of two copies is newer. (Kubernetes calls them
/// opaque; Flotilla's and etcd-backed kube-apiservers' are store revisions.)
pub(super) fn revision(obj: &DynamicObject) -> Option<u64> {
    obj.metadata.resource_version.as_deref()?.parse().ok()
}

pub(super) fn lock<T>(lock: &Mutex<T>) -> MutexGuard<'_, T> {
    lock.lock().unwrap_or_else(|e| e.into_inner())
}

/// A kind as the member serves it.
#[derive(Debug, Clone)]
pub(super) struct Resolved {
    pub resource: ApiResource,
    pub namespaced: bool,
}

/// A member-side watcher and its cache.
pub(super) struct Watched {
    pub resource: ApiResource,
    pub namespaced: bool,
    pub store: Store<DynamicObject>,
    /// Whether the first list is in the cache. (Not `Store::wait_until_ready`: that wakes only
    /// the last of several concurrent waiters, and every worker may be waiting for a new kind.)
    ready: watch::Sender<bool>,
}

impl Watched {
    fn object_ref(&self, key: &ObjKey) -> ObjectRef<DynamicObject> {
        let r = ObjectRef::new_with(&key.name, self.resource.clone());
        if self.namespaced {
            r.within(&key.namespace)
        } else {
            r
        }
    }

    fn key_of(&self, obj: &DynamicObject) -> ObjKey {
        ObjKey {
            api_version: self.resource.api_version.clone(),
            kind: self.resource.kind.clone(),
            namespace: obj.metadata.namespace.clone().unwrap_or_default(),
            name: obj.metadata.name.clone().unwrap_or_default(),
        }
    }
}

/// One of Flotilla's writes to the member, until the watch delivers it.
#[derive(Clone)]
struct Written {
    revision: Option<u64>,
    object: Arc<DynamicObject>,
    at: Instant,
}

/// What Flotilla applied of one manifest.
#[derive(Debug, Clone)]
pub(super) struct Applied {
    /// The Work generation applied.
    pub generation: i64,
    /// Fields where the object the member stored right after the apply already differed from
    /// what was applied (the member normalises them, e.g. quantities): re-applying cannot change
    /// them, so they are not drift.
    pub unfixable: BTreeSet<String>,
}

/// What the worker set remembers of one Work.
#[derive(Debug, Default)]
pub(super) struct WorkRecord {
    pub uid: String,
    pub applied: HashMap<ObjKey, Applied>,
    /// Drift corrections made for this Work since the controller started.
    pub corrections: u64,
    /// The `Drifted` message of corrections whose status write has not succeeded yet.
    pub pending_drifted: Option<String>,
    /// The status last written, with the resourceVersion the write produced: it stands in for
    /// the cached Work's status until the watch has caught up.
    pub written_status: Option<(Option<u64>, WorkStatus)>,
}

/// The member's series of the controller-manager's metrics, resolved once so that counting
/// takes no lock shared with other members.
pub(super) struct MemberMetrics {
    pub applied: Counter,
    pub conflicts: Counter,
    pub errors: Counter,
    pub drift_corrections: Counter,
}

impl MemberMetrics {
    fn new(metrics: &Metrics, cluster: &str) -> Self {
        let applies = |result: &str| {
            metrics
                .work_applies
                .get_or_create(&ClusterResultLabels {
                    cluster: cluster.to_owned(),
                    result: result.to_owned(),
                })
                .clone()
        };
        MemberMetrics {
            applied: applies("success"),
            conflicts: applies("conflict"),
            errors: applies("error"),
            drift_corrections: metrics
                .drift_corrections
                .get_or_create(&ClusterLabels {
                    cluster: cluster.to_owned(),
                })
                .clone(),
        }
    }
}

/// One member cluster's worker set.
pub(super) struct Member {
    pub cluster_name: String,
    /// The execution namespace `karmada-es-<cluster>`.
    pub namespace: String,
    pub ctx: Context,
    pub opts: ExecutionOptions,
    pub cluster: watch::Receiver<Arc<Cluster>>,
    pub works: Store<Work>,
    pub queue: Arc<WorkQueue<String>>,
    pub recorder: Recorder,
    pub metrics: MemberMetrics,
    client: OnceCell<Client>,
    resolved: Mutex<HashMap<Gvk, Resolved>>,
    watched: Mutex<HashMap<Gvk, Arc<Watched>>>,
    written: Mutex<HashMap<ObjKey, Written>>,
    pub records: Mutex<HashMap<String, WorkRecord>>,
    stop: CancellationToken,
}

/// Runs the worker set of member cluster `name` until `stop` is cancelled.
pub(super) async fn run(
    ctx: Context,
    opts: ExecutionOptions,
    name: String,
    cluster: watch::Receiver<Arc<Cluster>>,
    stop: CancellationToken,
) {
    let namespace = names::execution_namespace(&name);
    let (works, writer) = reflector::store::<Work>();
    let member = Arc::new(Member {
        recorder: Recorder::new(ctx.client.clone()),
        metrics: MemberMetrics::new(&ctx.metrics, &name),
        cluster_name: name.clone(),
        namespace,
        queue: opts.queue.queue(),
        opts,
        ctx,
        cluster,
        works: works.clone(),
        client: OnceCell::new(),
        resolved: Mutex::new(HashMap::new()),
        watched: Mutex::new(HashMap::new()),
        written: Mutex::new(HashMap::new()),
        records: Mutex::new(HashMap::new()),
        stop: stop.clone(),
    });
    let span = info_span!("member", cluster = %name);
    let mut tasks = JoinSet::new();
    tasks.spawn(watch_works(Arc::clone(&member), writer).instrument(span.clone()));
    tasks.spawn(follow_cluster(Arc::clone(&member)).instrument(span.clone()));
    let period = member.opts.resync_period;
    let m = Arc::clone(&member);
    tasks.spawn(resync(period, move || m.enqueue_all()).instrument(span.clone()));
    tokio::select! {
        _ = stop.cancelled() => {}
        ready = works.wait_until_ready() => {
            if ready.is_ok() {
                for _ in 0..member.opts.queue.workers {
                    let worker = work(
                        Arc::clone(&member.queue),
                        Arc::clone(&member),
                        reconcile_key,
                        log_failure,
                    );
                    tasks.spawn(worker.instrument(span.clone()));
                }
            }
            stop.cancelled().await;
        }
    }
    member.queue.shut_down();
    tasks.abort_all();
    while tasks.join_next().await.is_some() {}
}

/// Reconciles a Work taken from the queue, in its own span.
async fn reconcile_key(member: Arc<Member>, name: String) -> Result<(), ReconcileError> {
    let span = info_span!("reconcile", work = %name);
    member.reconcile(&name).instrument(span).await
}

/// Logs a failed reconcile: conflicts (a stale cache) are routine.
fn log_failure(name: &String, err: &ReconcileError, retry_in: Option<Duration>) {
    if err.is_conflict() {
        debug!(work = %name, error = %err, ?retry_in, "stale cache; retrying");
    } else {
        warn!(work = %name, error = %err, ?retry_in, "reconcile failed");
    }
}

/// Watches the Works of the execution namespace into the Works cache, queueing those whose spec,
/// deletion or finalizers changed (not those whose status Flotilla itself just wrote).
async fn watch_works(member: Arc<Member>, mut writer: Writer<Work>) {
    let api: Api<Work> = Api::namespaced(member.ctx.client.clone(), &member.namespace);
    let mut events = watcher(api, watcher::Config::default())
        .default_backoff()
        .boxed();
    while let Some(event) = events.next().await {
        match event {
            Ok(event) => member.on_work_event(&mut writer, event),
            Err(err) => warn!(namespace = %member.namespace, error = %err, "Work watch failed"),
        }
    }
}

/// Queues every Work when the member turns Ready (it was skipped while not Ready) or the
/// Cluster starts being deleted (its Works' finalizers may go now).
async fn follow_cluster(member: Arc<Member>) {
    let mut cluster = member.cluster.clone();
    let state = |c: &Cluster| (c.is_ready(), c.metadata.deletion_timestamp.is_some());
    let mut was = state(&cluster.borrow_and_update());
    while cluster.changed().await.is_ok() {
        let now = state(&cluster.borrow_and_update());
        if now != was && (now.0 || now.1) {
            debug!(
                ready = now.0,
                deleting = now.1,
                "cluster changed; looking at every Work"
            );
            member.enqueue_all();
        }
        was = now;
    }
}

/// Watches one kind in the member (managed objects only) into its cache, queueing the Work each
/// changed or deleted object came from.
async fn watch_objects(
    member: Arc<Member>,
    watched: Arc<Watched>,
    mut writer: Writer<DynamicObject>,
    client: Client,
) {
    let api: Api<DynamicObject> = Api::all_with(client, &watched.resource);
    let config = watcher::Config::default().labels(&format!(
        "{}={}",
        labels::MANAGED_BY_KARMADA,
        labels::MANAGED_BY_KARMADA_VALUE
    ));
    let mut events = watcher(api, config).default_backoff().boxed();
    while let Some(event) = events.next().await {
        match event {
            Ok(event) => member.on_object_event(&watched, &mut writer, event),
            Err(err) => warn!(
                cluster = %member.cluster_name,
                resource = %watched.resource.api_version,
                kind = %watched.resource.kind,
                error = %err,
                "member watch failed"
            ),
        }
    }
}

/// Whether a Work event changes anything the controller acts on (a status-only update, such as
/// the controller's own status write, does not).
fn work_changed(old: &Work, new: &Work) -> bool {
    old.metadata.uid != new.metadata.uid
        || old.metadata.generation != new.metadata.generation
        || old.metadata.deletion_timestamp.is_some() != new.metadata.deletion_timestamp.is_some()
        || old.metadata.finalizers != new.metadata.finalizers
}

/// The `(apiVersion, kind)` of each of a Work's manifests.
pub(super) fn kinds_of(work: &Work) -> impl Iterator<Item = Gvk> + '_ {
    work.spec.workload.manifests.iter().filter_map(|m| {
        let api_version = m.get("apiVersion")?.as_str()?;
        let kind = m.get("kind")?.as_str()?;
        Some((api_version.to_owned(), kind.to_owned()))
    })
}

impl Member {
    fn on_work_event(&self, writer: &mut Writer<Work>, event: watcher::Event<Work>) {
        match &event {
            watcher::Event::Apply(work) => {
                let old = self.works.get(&ObjectRef::from_obj(work));
                writer.apply_watcher_event(&event);
                if old.is_none_or(|old| work_changed(&old, work)) {
                    self.queue
                        .add(work.metadata.name.clone().unwrap_or_default());
                }
            }
            watcher::Event::Delete(work) => {
                writer.apply_watcher_event(&event);
                self.queue
                    .add(work.metadata.name.clone().unwrap_or_default());
            }
            watcher::Event::Init | watcher::Event::InitApply(_) => {
                writer.apply_watcher_event(&event)
            }
            watcher::Event::InitDone => {
                // A (re)list: everything is looked at again, including Works deleted while the
                // watch was down (their records are dropped).
                let before: HashSet<String> = self
                    .works
                    .state()
                    .iter()
                    .filter_map(|w| w.metadata.name.clone())
                    .collect();
                writer.apply_watcher_event(&event);
                for name in before {
                    self.queue.add(name);
                }
                self.enqueue_all();
            }
        }
    }

    fn on_object_event(
        &self,
        watched: &Watched,
        writer: &mut Writer<DynamicObject>,
        event: watcher::Event<DynamicObject>,
    ) {
        match &event {
            watcher::Event::Apply(obj) | watcher::Event::Delete(obj) => {
                writer.apply_watcher_event(&event);
                let deleted = matches!(event, watcher::Event::Delete(_));
                let key = watched.key_of(obj);
                {
                    let mut written = lock(&self.written);
                    if let Some(w) = written.get(&key)
                        && (deleted || revision(obj) >= w.revision)
                    {
                        written.remove(&key);
                    }
                }
                // A member object's status changes several times in a row while it rolls out;
                // the Work's status is written once per burst. Drift is put back just as
                // surely, a moment later.
                if let Some(work) = manifest::work_of(obj, &self.namespace) {
                    self.queue.add_coalesced(work, MEMBER_EVENT_WINDOW);
                }
            }
            watcher::Event::Init | watcher::Event::InitApply(_) => {
                writer.apply_watcher_event(&event)
            }
            watcher::Event::InitDone => {
                writer.apply_watcher_event(&event);
                watched.ready.send_replace(true);
                // Whatever changed while the watch was down (or before it started) is found by
                // looking at every Work with objects of this kind.
                let gvk = (
                    watched.resource.api_version.clone(),
                    watched.resource.kind.clone(),
                );
                for work in self.works.state() {
                    if kinds_of(&work).any(|k| k == gvk) {
                        self.queue
                            .add(work.metadata.name.clone().unwrap_or_default());
                    }
                }
            }
        }
    }

    pub(super) fn enqueue_all(&self) {
        for work in self.works.state() {
            self.queue
                .add(work.metadata.name.clone().unwrap_or_default());
        }
    }

    /// The latest Cluster object.
    pub(super) fn cluster(&self) -> Arc<Cluster> {
        Arc::clone(&self.cluster.borrow())
    }

    /// The member's client, built once per worker set (a change of endpoint or credentials
    /// restarts the set).
    pub(super) async fn client(&self) -> Result<Client, ReconcileError> {
        let client = self
            .client
            .get_or_try_init(|| async {
                let cluster = self.cluster();
                self.ctx.members.client(&cluster).await
            })
            .await?;
        Ok(client.clone())
    }

    /// How the member serves `(api_version, kind)`, from its discovery (asked once per group
    /// version, and again for a kind not known yet, e.g. a CRD installed since).
    pub(super) async fn resolve(
        &self,
        api_version: &str,
        kind: &str,
    ) -> Result<Resolved, ReconcileError> {
        let gvk = (api_version.to_owned(), kind.to_owned());
        if let Some(r) = lock(&self.resolved).get(&gvk) {
            return Ok(r.clone());
        }
        let client = self.client().await?;
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        let not_served = || ReconcileError::NotServed {
            api_version: api_version.to_owned(),
            kind: kind.to_owned(),
        };
        let group_info =
            match kube::discovery::pinned_group(&client, &GroupVersion::gv(group, version)).await {
                Ok(g) => g,
                Err(e) if is_status(&e, 404) => return Err(not_served()),
                Err(source) => {
                    return Err(ReconcileError::Discovery {
                        api_version: api_version.to_owned(),
                        source,
                    });
                }
            };
        let mut resolved = lock(&self.resolved);
        for (resource, caps) in group_info.versioned_resources(version) {
            resolved.insert(
                (resource.api_version.clone(), resource.kind.clone()),
                Resolved {
                    namespaced: caps.scope == Scope::Namespaced,
                    resource,
                },
            );
        }
        resolved.get(&gvk).cloned().ok_or_else(not_served)
    }

    /// The member-side cache of a kind, its watcher started if it is not running, once it has
    /// been filled.
    pub(super) async fn watched(
        self: &Arc<Self>,
        resolved: &Resolved,
    ) -> Result<Arc<Watched>, ReconcileError> {
        let gvk = (
            resolved.resource.api_version.clone(),
            resolved.resource.kind.clone(),
        );
        let existing = lock(&self.watched).get(&gvk).cloned();
        let watched = match existing {
            Some(w) => w,
            None => {
                let client = self.client().await?;
                let mut all = lock(&self.watched);
                Arc::clone(all.entry(gvk).or_insert_with(|| {
                    let writer = Writer::new(resolved.resource.clone());
                    let watched = Arc::new(Watched {
                        resource: resolved.resource.clone(),
                        namespaced: resolved.namespaced,
                        store: writer.as_reader(),
                        ready: watch::Sender::new(false),
                    });
                    let stop = self.stop.clone();
                    let task = watch_objects(Arc::clone(self), Arc::clone(&watched), writer, client);
                    let span = info_span!("member", cluster = %self.cluster_name);
                    tokio::spawn(
                        async move {
                            tokio::select! {
                                _ = stop.cancelled() => {}
                                _ = task => {}
                            }
                        }
                        .instrument(span),
                    );
                    debug!(resource = %resolved.resource.api_version, kind = %resolved.resource.kind, "watching member objects");
                    watched
                }))
            }
        };
        let timeout = self.opts.cache_sync_timeout;
        let mut ready = watched.ready.subscribe();
        match tokio::time::timeout(timeout, ready.wait_for(|ready| *ready)).await {
            Ok(Ok(_)) => Ok(watched),
            _ => Err(ReconcileError::CacheTimeout {
                api_version: watched.resource.api_version.clone(),
                kind: watched.resource.kind.clone(),
                timeout,
            }),
        }
    }

    /// The freshest copy of a member object known without asking the member: the cache's, or
    /// the one Flotilla's last write returned while the watch has not delivered it yet.
    pub(super) fn live(&self, watched: &Watched, key: &ObjKey) -> Option<Arc<DynamicObject>> {
        let cached = watched.store.get(&watched.object_ref(key));
        let ours = {
            let mut written = lock(&self.written);
            match written.get(key) {
                Some(w) if w.at.elapsed() >= UNOBSERVED_TTL => {
                    written.remove(key);
                    None
                }
                Some(w) => Some(w.clone()),
                None => None,
            }
        };
        match (cached, ours) {
            (Some(cached), Some(ours)) if revision(&cached) < ours.revision => Some(ours.object),
            (Some(cached), _) => Some(cached),
            (None, Some(ours)) => Some(ours.object),
            (None, None) => None,
        }
    }

    /// Remembers an object Flotilla wrote, until the watch delivers it.
    pub(super) fn wrote(&self, key: ObjKey, object: Arc<DynamicObject>) {
        lock(&self.written).insert(
            key,
            Written {
                revision: revision(&object),
                object,
                at: Instant::now(),
            },
        );
    }

    /// Forgets an object Flotilla deleted.
    pub(super) fn deleted(&self, key: &ObjKey) {
        lock(&self.written).remove(key);
    }

    /// An API for a kind in the member, scoped to `namespace` for namespaced kinds.
    pub(super) fn api(
        &self,
        client: Client,
        resolved: &Resolved,
        namespace: &str,
    ) -> Api<DynamicObject> {
        if resolved.namespaced {
            Api::namespaced_with(client, namespace, &resolved.resource)
        } else {
            Api::all_with(client, &resolved.resource)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flotilla_api::work::v1alpha1::WorkSpec;
    use serde_json::json;

    fn work(generation: i64) -> Work {
        let mut w = Work::new(
            "w",
            WorkSpec {
                workload: flotilla_api::work::v1alpha1::WorkloadTemplate {
                    manifests: vec![
                        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "a"}}),
                        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "b"}}),
                        json!({"kind": "Broken"}),
                    ],
                },
                ..Default::default()
            },
        );
        w.metadata.generation = Some(generation);
        w.metadata.uid = Some("u".into());
        w
    }

    #[test]
    fn status_only_updates_are_not_changes() {
        let old = work(1);
        let mut status_only = old.clone();
        status_only.status = Some(WorkStatus::default());
        status_only.metadata.resource_version = Some("9".into());
        assert!(!work_changed(&old, &status_only));
        assert!(work_changed(&old, &work(2)));
        let mut deleting = old.clone();
        deleting.metadata.deletion_timestamp =
            Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
                k8s_openapi::jiff::Timestamp::now(),
            ));
        assert!(work_changed(&old, &deleting));
        let mut finalized = old.clone();
        finalized.metadata.finalizers = Some(vec![labels::EXECUTION_CONTROLLER_FINALIZER.into()]);
        assert!(work_changed(&old, &finalized));
    }

    #[test]
    fn kinds_of_manifests() {
        let w = work(1);
        let kinds: Vec<Gvk> = kinds_of(&w).collect();
        assert_eq!(
            kinds,
            vec![
                ("apps/v1".to_owned(), "Deployment".to_owned()),
                ("v1".to_owned(), "ConfigMap".to_owned()),
            ]
        );
    }
}
