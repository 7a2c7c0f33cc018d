//! The scheduler as a service (feature `service`): it watches Clusters, ResourceBindings and
//! ClusterResourceBindings through the API server, decides which bindings need placing, runs
//! the placement core on them, and writes the result back — Karmada's `karmada-scheduler`.
//!
//! # How it runs
//!
//! * **Caches.** kube-runtime watchers fill reflector stores of both binding kinds (all
//!   namespaces) and of Clusters. Clusters are also kept converted to the placement core's
//!   input, and one snapshot (`Vec<ClusterInput>`, name order) is built after a cluster change
//!   and shared by every binding scheduled until the next one.
//! * **Queue.** Binding keys wait in a priority queue (`spec.schedulePriority.priority`, higher
//!   first): a key is queued once however often it is added, and handled by one worker at a
//!   time. Failures come back after a backoff (1 s doubling to 10 s by default); Unschedulable
//!   bindings after a fixed delay (30 s; Karmada keeps them up to 5 minutes); a fit error is not
//!   retried by time, as in Karmada — a cluster event brings the binding back.
//! * **Triggers.** A binding is queued when it appears (or is listed), when its
//!   `metadata.generation` changes (status writes do not count), and when a cluster it may
//!   involve is added, deleted, or changes in anything placement reads (labels, spec fields,
//!   taints, API enablements, deletion) — Karmada ignores added clusters; the decision below
//!   keeps that harmless. Resource-summary updates change the snapshot without requeuing.
//!   Bindings of another scheduler, with suspended scheduling, or owned by no policy (Karmada's
//!   event filter) are ignored.
//! * **Decision** ([`decide::decide`]), Karmada's `doScheduleBinding`: schedule when the
//!   placement differs from the applied-placement annotation, when replicas changed, when a
//!   reschedule was requested, always for Duplicated and non-workloads, and when a target
//!   cluster is being deleted or is gone; otherwise only record the observed generation.
//!
//! # Writes
//!
//! Two JSON merge patches at most, each skipped when it would change nothing, each guarded by
//! the resourceVersion the decision was made on (a conflict re-reads the binding and decides
//! again):
//!
//! 1. the binding: `spec.clusters` (emptied on a fit error), the
//!    `policy.karmada.io/applied-placement` annotation, and the explanation annotation
//!    [`write::DECISIONS_ANNOTATION`] (one line per cluster: selected with its replicas, or why
//!    not). Other failures leave `spec.clusters` and the applied placement alone, as Karmada does,
//!    so the binding is retried.
//! 2. its status: the `Scheduled` condition (the other conditions are sent back unchanged, as a
//!    merge patch replaces the list), and on success `schedulerObservedGeneration` (the
//!    generation the first patch produced, so no third write is needed to catch up),
//!    `schedulerObservingAffinityName` and `lastScheduledTime`.
//!
//! Events (`ScheduleBindingSucceed`/`ScheduleBindingFailed`) double the writes, so by default
//! only failures are recorded ([`EventMode`]).

pub mod decide;
mod queue;
pub mod write;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::Duration;

use flotilla_api::cluster::v1alpha1::Cluster;
use flotilla_api::k8s_openapi::api::core::v1::ObjectReference;
use flotilla_api::k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use flotilla_api::policy::v1alpha1 as policy;
use flotilla_api::work::v1alpha2::{self as work, ResourceBindingSpec, ResourceBindingStatus};
use flotilla_api::{ClusterResourceBinding, ResourceBinding};
use futures::StreamExt;
use kube::api::{Api, Patch, PatchParams};
use kube::runtime::events::{Event as KubeEvent, EventType, Recorder, Reporter};
use kube::runtime::reflector::{self, ObjectRef, Store, store::Writer};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, Resource};
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::{Instrument, debug, info, info_span, warn};

use self::decide::{ClusterState, Decision, Trigger};
use self::queue::{Requeue, SchedulingQueue};
use self::write::StatusUpdate;
use crate::affinity::AffinityMatcher;
use crate::{ClusterInput, Registry, ScheduleOptions, ScheduleRequest, ScheduleResult, Scheduler};

pub use self::decide::DEFAULT_SCHEDULER_NAME;

/// The service's name, as used in logs.
pub const NAME: &str = "scheduler";

/// The field manager of everything the scheduler writes.
pub const FIELD_MANAGER: &str = "flotilla-scheduler";

/// How often a write that lost a race with another writer is retried at once (re-reading the
/// binding each time) before the binding goes to the backoff queue.
const CONFLICT_ATTEMPTS: usize = 3;

/// Which scheduling results are recorded as Kubernetes Events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EventMode {
    /// None.
    Off,
    /// `ScheduleBindingFailed` only (failures are rare, so this costs no throughput).
    #[default]
    Failures,
    /// Also `ScheduleBindingSucceed`, as Karmada does: one more write per scheduled binding.
    All,
}

/// How the scheduler runs.
#[derive(Debug, Clone)]
pub struct SchedulerOptions {
    /// The scheduler's name: it schedules the bindings whose `spec.schedulerName` is this (an
    /// empty name means [`DEFAULT_SCHEDULER_NAME`]).
    pub scheduler_name: String,
    /// Bindings scheduled concurrently.
    pub workers: usize,
    /// Plugins, in Karmada's `--plugins` syntax (`*`, `*,-ClusterLocality`, ...).
    pub plugins: String,
    /// Karmada's `--enable-empty-workload-propagation`.
    pub enable_empty_workload_propagation: bool,
    /// The first retry delay after an error; it doubles with each consecutive error.
    pub backoff_initial: Duration,
    /// The longest retry delay after errors.
    pub backoff_max: Duration,
    /// When an Unschedulable binding (not enough capacity right now) is tried again.
    pub unschedulable_retry: Duration,
    /// Which results become Events.
    pub events: EventMode,
}

impl Default for SchedulerOptions {
    fn default() -> Self {
        SchedulerOptions {
            scheduler_name: DEFAULT_SCHEDULER_NAME.to_owned(),
            workers: 16,
            plugins: "*".to_owned(),
            enable_empty_workload_propagation: false,
            backoff_initial: Duration::from_secs(1),
            backoff_max: Duration::from_secs(10),
            unschedulable_retry: Duration::from_secs(30),
            events: EventMode::default(),
        }
    }
}

impl SchedulerOptions {
    /// Checks the options.
    pub fn validate(&self) -> Result<(), Error> {
        let invalid = |reason: String| Err(Error::InvalidOptions(reason));
        if self.scheduler_name.trim().is_empty() {
            return invalid("the scheduler name must not be empty".to_owned());
        }
        if self.workers == 0 {
            return invalid("workers must be at least 1".to_owned());
        }
        for (name, delay) in [
            ("initial backoff", self.backoff_initial),
            ("unschedulable retry", self.unschedulable_retry),
        ] {
            if delay.is_zero() {
                return invalid(format!("the {name} must be positive"));
            }
        }
        if self.backoff_max < self.backoff_initial {
            return invalid("the maximum backoff must not be below the initial backoff".to_owned());
        }
        self.registry().map(|_| ())
    }

    fn registry(&self) -> Result<Registry, Error> {
        Registry::from_flag(&self.plugins).map_err(|e| Error::InvalidOptions(e.to_string()))
    }
}

/// The scheduler service's errors.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The options do not make sense.
    #[error("invalid scheduler options: {0}")]
    InvalidOptions(String),
}

/// Why one binding could not be handled; the binding is retried with backoff.
#[derive(Debug, thiserror::Error)]
enum ReconcileError {
    #[error("failed to {action} {binding}: {source}")]
    Api {
        action: &'static str,
        binding: BindingKey,
        #[source]
        source: kube::Error,
    },
}

impl ReconcileError {
    fn is_conflict(&self) -> bool {
        match self {
            ReconcileError::Api { source, .. } => is_status(source, 409),
        }
    }
}

fn is_status(err: &kube::Error, code: u16) -> bool {
    matches!(err, kube::Error::Api(status) if status.code == code)
}

/// Identifies a binding: namespace (`None` for a ClusterResourceBinding) and name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct BindingKey {
    namespace: Option<String>,
    name: String,
}

impl BindingKey {
    fn of(meta: &ObjectMeta) -> Self {
        BindingKey {
            namespace: meta.namespace.clone(),
            name: meta.name.clone().unwrap_or_default(),
        }
    }
}

impl fmt::Display for BindingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "ResourceBinding {ns}/{}", self.name),
            None => write!(f, "ClusterResourceBinding {}", self.name),
        }
    }
}

/// A binding as read from a cache or returned by a write.
#[derive(Debug, Clone)]
enum Stored {
    Namespaced(Arc<ResourceBinding>),
    Cluster(Arc<ClusterResourceBinding>),
}

impl Stored {
    fn meta(&self) -> &ObjectMeta {
        match self {
            Stored::Namespaced(b) => &b.metadata,
            Stored::Cluster(b) => &b.metadata,
        }
    }

    fn spec(&self) -> &ResourceBindingSpec {
        match self {
            Stored::Namespaced(b) => &b.spec,
            Stored::Cluster(b) => &b.spec,
        }
    }

    fn status(&self) -> Option<&ResourceBindingStatus> {
        match self {
            Stored::Namespaced(b) => b.status.as_ref(),
            Stored::Cluster(b) => b.status.as_ref(),
        }
    }

    /// The resourceVersion as a number, to tell which of two copies is newer (Flotilla's are
    /// store revisions, as are etcd-backed kube-apiservers').
    fn revision(&self) -> Option<u64> {
        self.meta().resource_version.as_deref()?.parse().ok()
    }

    fn priority(&self) -> i32 {
        self.spec()
            .schedule_priority
            .as_ref()
            .and_then(|p| p.priority)
            .unwrap_or(0)
    }

    fn reference(&self) -> ObjectReference {
        let meta = self.meta();
        ObjectReference {
            api_version: Some(work::API_VERSION.to_owned()),
            kind: Some(
                match self {
                    Stored::Namespaced(_) => "ResourceBinding",
                    Stored::Cluster(_) => "ClusterResourceBinding",
                }
                .to_owned(),
            ),
            name: meta.name.clone(),
            namespace: meta.namespace.clone(),
            uid: meta.uid.clone(),
            resource_version: meta.resource_version.clone(),
            field_path: None,
        }
    }
}

/// The two binding kinds, for the code that watches and writes either.
trait BindingKind:
    Resource<DynamicType = ()>
    + Clone
    + serde::de::DeserializeOwned
    + serde::Serialize
    + fmt::Debug
    + Send
    + Sync
    + 'static
{
    fn wrap(obj: Arc<Self>) -> Stored;
}

impl BindingKind for ResourceBinding {
    fn wrap(obj: Arc<Self>) -> Stored {
        Stored::Namespaced(obj)
    }
}

impl BindingKind for ClusterResourceBinding {
    fn wrap(obj: Arc<Self>) -> Stored {
        Stored::Cluster(obj)
    }
}

/// The clusters placement is computed against, shared by every binding scheduled until the
/// next cluster change.
#[derive(Debug, Default)]
struct Snapshot {
    /// In name order.
    clusters: Vec<ClusterInput>,
    index: HashMap<String, usize>,
}

impl Snapshot {
    fn state(&self, name: &str) -> ClusterState {
        match self.index.get(name) {
            None => ClusterState::Gone,
            Some(&i) if self.clusters[i].deleting => ClusterState::Deleting,
            Some(_) => ClusterState::Present,
        }
    }
}

/// Every cluster, converted once when it changes; the snapshot is rebuilt lazily.
#[derive(Debug, Default)]
struct ClusterCache {
    clusters: BTreeMap<String, ClusterInput>,
    snapshot: Option<Arc<Snapshot>>,
}

/// Whether two versions of a cluster place bindings the same way (capacity aside, which
/// changes all the time and is re-read from the snapshot at every scheduling).
fn same_for_placement(a: &ClusterInput, b: &ClusterInput) -> bool {
    a.name == b.name
        && a.labels == b.labels
        && a.provider == b.provider
        && a.region == b.region
        && a.zone == b.zone
        && a.zones == b.zones
        && a.taints == b.taints
        && a.api_enablements == b.api_enablements
        && a.api_enablements_complete == b.api_enablements_complete
        && a.deleting == b.deleting
}

/// A cluster change: its previous and its new version (`None`: absent).
type ClusterChange = (Option<ClusterInput>, Option<ClusterInput>);

/// Everything the scheduler's tasks share.
struct Ctx {
    client: Client,
    opts: SchedulerOptions,
    scheduler: Scheduler,
    schedule_options: ScheduleOptions,
    bindings: Store<ResourceBinding>,
    cluster_bindings: Store<ClusterResourceBinding>,
    clusters: RwLock<ClusterCache>,
    /// The binding as the scheduler's last write returned it, until the cache has caught up:
    /// decisions are made on the newer of the two, and the watch events of the scheduler's own
    /// writes requeue nothing.
    written: Mutex<HashMap<BindingKey, Stored>>,
    queue: Arc<SchedulingQueue<BindingKey>>,
    recorder: Option<Recorder>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Ctx {
    fn handles(&self, b: &Stored) -> bool {
        decide::handles(&self.opts.scheduler_name, b.meta(), b.spec())
    }

    // ----- clusters ----------------------------------------------------------------------------

    fn snapshot(&self) -> Arc<Snapshot> {
        if let Some(s) = &self
            .clusters
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .snapshot
        {
            return Arc::clone(s);
        }
        let mut cache = self.clusters.write().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = &cache.snapshot {
            return Arc::clone(s);
        }
        let clusters: Vec<ClusterInput> = cache.clusters.values().cloned().collect();
        let index = clusters
            .iter()
            .enumerate()
            .map(|(i, c)| (c.name.clone(), i))
            .collect();
        let snapshot = Arc::new(Snapshot { clusters, index });
        cache.snapshot = Some(Arc::clone(&snapshot));
        snapshot
    }

    fn convert_cluster(c: &Cluster) -> ClusterInput {
        let (input, error) = crate::from_api::cluster_lenient(c);
        if let Some(error) = error {
            warn!(cluster = %input.name, %error, "cluster capacity unreadable; it is considered without capacity");
        }
        input
    }

    fn on_cluster_upsert(&self, c: &Cluster) {
        let input = Self::convert_cluster(c);
        let old = {
            let mut cache = self.clusters.write().unwrap_or_else(|e| e.into_inner());
            cache.snapshot = None;
            cache.clusters.insert(input.name.clone(), input.clone())
        };
        if old
            .as_ref()
            .is_none_or(|old| !same_for_placement(old, &input))
        {
            debug!(cluster = %input.name, "cluster changed");
            self.requeue_affected(&[(old, Some(input))]);
        }
    }

    fn on_cluster_delete(&self, c: &Cluster) {
        let name = c.metadata.name.clone().unwrap_or_default();
        let old = {
            let mut cache = self.clusters.write().unwrap_or_else(|e| e.into_inner());
            cache.snapshot = None;
            cache.clusters.remove(&name)
        };
        if old.is_some() {
            debug!(cluster = %name, "cluster deleted");
            self.requeue_affected(&[(old, None)]);
        }
    }

    /// A (re)list: the listed clusters replace the cache; those that changed meanwhile requeue
    /// their bindings.
    fn on_clusters_listed(&self, listed: Vec<Cluster>) {
        let listed: BTreeMap<String, ClusterInput> = listed
            .iter()
            .map(|c| {
                let input = Self::convert_cluster(c);
                (input.name.clone(), input)
            })
            .collect();
        let previous = {
            let mut cache = self.clusters.write().unwrap_or_else(|e| e.into_inner());
            cache.snapshot = None;
            std::mem::replace(&mut cache.clusters, listed.clone())
        };
        let mut changes: Vec<ClusterChange> = Vec::new();
        for (name, new) in &listed {
            match previous.get(name) {
                Some(old) if same_for_placement(old, new) => {}
                old => changes.push((old.cloned(), Some(new.clone()))),
            }
        }
        for (name, old) in &previous {
            if !listed.contains_key(name) {
                changes.push((Some(old.clone()), None));
            }
        }
        debug!(
            clusters = listed.len(),
            changed = changes.len(),
            "listed clusters"
        );
        if !changes.is_empty() {
            self.requeue_affected(&changes);
        }
    }

    /// Karmada's `enqueueAffectedBindings`: queues the bindings a cluster change may concern —
    /// those whose affinity in force (none, the `clusterAffinity`, or the observed
    /// `clusterAffinities` term) matches the old or the new cluster — and, for Flotilla, those
    /// placed on it. Whether they really need scheduling is for [`decide::decide`] to say.
    fn requeue_affected(&self, changes: &[ClusterChange]) {
        let mut queued = 0usize;
        let bindings = self
            .bindings
            .state()
            .into_iter()
            .map(Stored::Namespaced)
            .chain(
                self.cluster_bindings
                    .state()
                    .into_iter()
                    .map(Stored::Cluster),
            );
        for b in bindings {
            if self.handles(&b) && affected(&b, changes) {
                self.queue.add(BindingKey::of(b.meta()), b.priority());
                queued += 1;
            }
        }
        debug!(bindings = queued, "requeued bindings for cluster changes");
    }

    // ----- bindings ----------------------------------------------------------------------------

    fn on_binding_applied(&self, old: Option<Stored>, new: Stored) {
        let key = BindingKey::of(new.meta());
        {
            let mut written = lock(&self.written);
            if let Some(ours) = written.get(&key) {
                let (theirs, mine) = (new.revision(), ours.revision());
                if theirs >= mine {
                    written.remove(&key);
                }
                if theirs <= mine {
                    // The scheduler's own write, or older: already decided on.
                    return;
                }
            }
        }
        if !self.handles(&new) {
            return;
        }
        // Karmada's update filter: only a spec change (a new generation) matters, or a binding
        // that starts passing the filter.
        let changed = old.is_none_or(|old| {
            !self.handles(&old) || old.meta().generation != new.meta().generation
        });
        if changed {
            self.queue.add(key, new.priority());
        }
    }

    fn on_binding_deleted(&self, b: &Stored) {
        lock(&self.written).remove(&BindingKey::of(b.meta()));
    }

    fn on_bindings_listed(&self, listed: Vec<Stored>) {
        let mut written = lock(&self.written);
        for b in &listed {
            let key = BindingKey::of(b.meta());
            if written
                .get(&key)
                .is_some_and(|ours| b.revision() >= ours.revision())
            {
                written.remove(&key);
            }
        }
        drop(written);
        let mut queued = 0usize;
        for b in listed {
            if self.handles(&b) {
                self.queue.add(BindingKey::of(b.meta()), b.priority());
                queued += 1;
            }
        }
        debug!(bindings = queued, "listed bindings");
    }

    fn cached(&self, key: &BindingKey) -> Option<Stored> {
        match &key.namespace {
            Some(ns) => self
                .bindings
                .get(&ObjectRef::new(&key.name).within(ns))
                .map(Stored::Namespaced),
            None => self
                .cluster_bindings
                .get(&ObjectRef::new(&key.name))
                .map(Stored::Cluster),
        }
    }

    /// The freshest copy known: the cache's, or the one the scheduler last wrote.
    fn current(&self, key: &BindingKey) -> Option<Stored> {
        let cached = self.cached(key);
        let mut written = lock(&self.written);
        let ours = written.get(key).cloned();
        match (cached, ours) {
            (Some(cached), Some(ours)) if ours.revision() > cached.revision() => Some(ours),
            (cached, ours) => {
                if ours.is_some() {
                    // The cache has caught up (its event came before our copy was kept).
                    written.remove(key);
                }
                // No cached copy: deleted, and the delete event drops ours too.
                cached
            }
        }
    }

    /// Keeps a copy the scheduler wrote (or read) until the cache has one at least as new.
    fn remember(&self, key: &BindingKey, b: &Stored) {
        if self
            .cached(key)
            .is_some_and(|cached| cached.revision() >= b.revision())
        {
            return;
        }
        let mut written = lock(&self.written);
        if written
            .get(key)
            .is_none_or(|ours| b.revision() > ours.revision())
        {
            written.insert(key.clone(), b.clone());
        }
    }

    async fn get(&self, key: &BindingKey) -> Result<Option<Stored>, ReconcileError> {
        let result = match &key.namespace {
            Some(ns) => Api::<ResourceBinding>::namespaced(self.client.clone(), ns)
                .get_opt(&key.name)
                .await
                .map(|b| b.map(|b| Stored::Namespaced(Arc::new(b)))),
            None => Api::<ClusterResourceBinding>::all(self.client.clone())
                .get_opt(&key.name)
                .await
                .map(|b| b.map(|b| Stored::Cluster(Arc::new(b)))),
        };
        let fresh = result.map_err(|source| ReconcileError::Api {
            action: "get",
            binding: key.clone(),
            source,
        })?;
        if let Some(b) = &fresh {
            self.remember(key, b);
        }
        Ok(fresh)
    }

    /// A JSON merge patch of the binding (`status`: of its status subresource), guarded by the
    /// resourceVersion of `base`.
    async fn patch(
        &self,
        key: &BindingKey,
        base: &Stored,
        mut patch: Value,
        status: bool,
    ) -> Result<Stored, kube::Error> {
        if let Some(rv) = &base.meta().resource_version {
            patch["metadata"]["resourceVersion"] = Value::String(rv.clone());
        }
        let params = PatchParams {
            field_manager: Some(FIELD_MANAGER.to_owned()),
            ..Default::default()
        };
        let patch = Patch::Merge(&patch);
        let written = match &key.namespace {
            Some(ns) => {
                let api = Api::<ResourceBinding>::namespaced(self.client.clone(), ns);
                if status {
                    api.patch_status(&key.name, &params, &patch).await
                } else {
                    api.patch(&key.name, &params, &patch).await
                }
                .map(|b| Stored::Namespaced(Arc::new(b)))
            }
            None => {
                let api = Api::<ClusterResourceBinding>::all(self.client.clone());
                if status {
                    api.patch_status(&key.name, &params, &patch).await
                } else {
                    api.patch(&key.name, &params, &patch).await
                }
                .map(|b| Stored::Cluster(Arc::new(b)))
            }
        }?;
        self.remember(key, &written);
        Ok(written)
    }

    /// Writes `update` into the status of `binding`. A conflict re-reads the binding and
    /// retries, as long as its spec has not moved on (then the caller decides again).
    async fn write_status(
        &self,
        key: &BindingKey,
        binding: &Stored,
        update: StatusUpdate<'_>,
        always_stamp: bool,
    ) -> Result<bool, ReconcileError> {
        let mut current = binding.clone();
        for attempt in 1..=CONFLICT_ATTEMPTS {
            let Some(status) = write::status_patch(current.status(), update.clone(), always_stamp)
            else {
                return Ok(false);
            };
            match self
                .patch(key, &current, json!({ "status": status }), true)
                .await
            {
                Ok(_) => return Ok(true),
                Err(e) if is_status(&e, 404) => return Ok(false),
                Err(e) if is_status(&e, 409) && attempt < CONFLICT_ATTEMPTS => {
                    let Some(fresh) = self.get(key).await? else {
                        return Ok(false);
                    };
                    if fresh.meta().generation != current.meta().generation {
                        return Err(ReconcileError::Api {
                            action: "patch the status of",
                            binding: key.clone(),
                            source: e,
                        });
                    }
                    current = fresh;
                }
                Err(source) => {
                    return Err(ReconcileError::Api {
                        action: "patch the status of",
                        binding: key.clone(),
                        source,
                    });
                }
            }
        }
        unreachable!("the last attempt returns")
    }

    async fn record(&self, binding: &Stored, failed: bool, note: String) {
        let Some(recorder) = &self.recorder else {
            return;
        };
        if !failed && self.opts.events != EventMode::All {
            return;
        }
        let mut note = note;
        if note.len() > 1024 {
            let mut end = 1021;
            while !note.is_char_boundary(end) {
                end -= 1;
            }
            note.truncate(end);
            note.push_str("...");
        }
        let event = KubeEvent {
            type_: if failed {
                EventType::Warning
            } else {
                EventType::Normal
            },
            reason: if failed {
                "ScheduleBindingFailed"
            } else {
                "ScheduleBindingSucceed"
            }
            .to_owned(),
            note: Some(note),
            action: "Schedule".to_owned(),
            secondary: None,
        };
        if let Err(error) = recorder.publish(&event, &binding.reference()).await {
            debug!(%error, "failed to record an event");
        }
    }

    // ----- reconcile ---------------------------------------------------------------------------

    /// Brings one binding's placement up to date. Level-triggered: safe to run any number of
    /// times; writes only what differs.
    async fn reconcile(&self, key: &BindingKey) -> Result<Requeue, ReconcileError> {
        let mut binding = self.current(key);
        let mut attempt = 1;
        loop {
            let Some(b) = binding else {
                return Ok(Requeue::Never);
            };
            match self.reconcile_binding(key, &b).await {
                Err(e) if e.is_conflict() && attempt < CONFLICT_ATTEMPTS => {
                    debug!(error = %e, "binding changed meanwhile; deciding again");
                    attempt += 1;
                    binding = self.get(key).await?;
                }
                other => return other,
            }
        }
    }

    async fn reconcile_binding(
        &self,
        key: &BindingKey,
        binding: &Stored,
    ) -> Result<Requeue, ReconcileError> {
        if binding.meta().deletion_timestamp.is_some() || !self.handles(binding) {
            return Ok(Requeue::Never);
        }
        let Some(placement) = &binding.spec().placement else {
            // The detector always copies the policy's placement; nothing to schedule by until
            // the binding changes.
            warn!("binding has no spec.placement; not scheduling it");
            return Ok(Requeue::Never);
        };
        let snapshot = self.snapshot();
        let decision = decide::decide(
            binding.meta(),
            binding.spec(),
            binding.status(),
            placement,
            |name| snapshot.state(name),
        );
        match decision {
            Decision::UpToDate => Ok(Requeue::Never),
            Decision::SyncGeneration(generation) => {
                let update = serde_json::json!({"schedulerObservedGeneration": generation});
                match self
                    .patch(key, binding, json!({ "status": update }), true)
                    .await
                {
                    Ok(_) => {
                        debug!(generation, "observed generation");
                        Ok(Requeue::Never)
                    }
                    Err(e) if is_status(&e, 404) => Ok(Requeue::Never),
                    Err(source) => Err(ReconcileError::Api {
                        action: "patch the status of",
                        binding: key.clone(),
                        source,
                    }),
                }
            }
            Decision::Schedule(trigger) => {
                self.schedule(key, binding, placement, &snapshot, trigger)
                    .await
            }
        }
    }

    async fn schedule(
        &self,
        key: &BindingKey,
        binding: &Stored,
        placement: &policy::Placement,
        snapshot: &Snapshot,
        trigger: Trigger,
    ) -> Result<Requeue, ReconcileError> {
        let input = match crate::from_api::binding(binding.spec(), binding.status()) {
            Ok(input) => input,
            Err(error) => {
                // Cannot be placed until the binding changes (its generation brings it back).
                let message = format!("cannot schedule: {error}");
                warn!(%error, "cannot read the binding for scheduling");
                let update = StatusUpdate {
                    condition: write::failed_condition(
                        work::REASON_SCHEDULER_ERROR,
                        &message,
                        &write::now(),
                    ),
                    observed_generation: None,
                    affinity_name: None,
                    scheduled_at: None,
                };
                self.write_status(key, binding, update, false).await?;
                self.record(binding, true, message).await;
                return Ok(Requeue::Never);
            }
        };
        let converted = crate::from_api::placement(placement);
        let outcome = self.scheduler.schedule_request(ScheduleRequest {
            binding: &input,
            placement: &converted,
            clusters: &snapshot.clusters,
            options: &self.schedule_options,
        });
        let workload = input.is_workload() && input.component_count <= 1;
        let explanation = write::explain(&outcome, workload);
        // Serializing a deserialized object cannot fail.
        let applied = serde_json::to_string(placement).unwrap_or_default();

        let mut after = binding.clone();
        let mut wrote = false;
        if let Some(patch) = write::binding_patch(
            binding.meta(),
            binding.spec(),
            &outcome,
            &applied,
            &explanation,
        ) {
            match self.patch(key, binding, patch, false).await {
                Ok(written) => {
                    after = written;
                    wrote = true;
                }
                Err(e) if is_status(&e, 404) => return Ok(Requeue::Never),
                Err(source) if is_status(&source, 409) => {
                    return Err(ReconcileError::Api {
                        action: "patch",
                        binding: key.clone(),
                        source,
                    });
                }
                Err(source) => {
                    // Rejected, e.g. by admission: say so where the user looks, then retry.
                    let quota = matches!(&source, kube::Error::Api(s) if s.code == 403 && s.reason == "QuotaExceeded");
                    let reason = if quota {
                        work::REASON_QUOTA_EXCEEDED
                    } else {
                        work::REASON_SCHEDULER_ERROR
                    };
                    let message = format!("failed to write the scheduling result: {source}");
                    let update = StatusUpdate {
                        condition: write::failed_condition(reason, &message, &write::now()),
                        observed_generation: None,
                        affinity_name: None,
                        scheduled_at: None,
                    };
                    if let Err(error) = self.write_status(key, binding, update, false).await {
                        debug!(%error, "failed to record the write failure");
                    }
                    self.record(binding, true, message).await;
                    return Err(ReconcileError::Api {
                        action: "patch",
                        binding: key.clone(),
                        source,
                    });
                }
            }
        }

        let success = outcome.result == ScheduleResult::Scheduled;
        let now = write::now();
        let update = StatusUpdate {
            condition: write::scheduled_condition(outcome.result, &outcome.message, &now),
            observed_generation: success.then(|| after.meta().generation.unwrap_or(0)),
            affinity_name: if success {
                outcome.affinity_name.as_deref()
            } else {
                None
            },
            scheduled_at: success.then(|| now.clone()),
        };
        wrote |= self
            .write_status(key, &after, update, trigger == Trigger::RescheduleRequested)
            .await?;

        let placed = crate::division::format_pairs(
            &outcome
                .targets
                .iter()
                .map(|t| (t.name.as_str(), t.replicas))
                .collect::<Vec<_>>(),
        );
        if wrote {
            info!(%trigger, result = ?outcome.result, clusters = %placed, "scheduled");
        } else {
            debug!(%trigger, result = ?outcome.result, clusters = %placed, "scheduled; unchanged");
        }
        if success {
            if wrote {
                let note = format!("Binding has been scheduled successfully. Result: {{{placed}}}");
                self.record(&after, false, note).await;
            }
        } else {
            self.record(&after, true, outcome.message.clone()).await;
        }
        Ok(match outcome.result {
            // A fit error is final until a cluster or the binding changes, as in Karmada.
            ScheduleResult::Scheduled | ScheduleResult::NoClusterFit => Requeue::Never,
            ScheduleResult::Unschedulable => Requeue::After(self.opts.unschedulable_retry),
            ScheduleResult::Error => Requeue::Backoff,
        })
    }
}

/// Whether a binding may be concerned by any of `changes` (see [`Ctx::requeue_affected`]).
fn affected(b: &Stored, changes: &[ClusterChange]) -> bool {
    let spec = b.spec();
    let names = changes
        .iter()
        .flat_map(|(old, new)| old.iter().chain(new.iter()))
        .map(|c| c.name.as_str());
    let mut names = names.peekable();
    if names.peek().is_none() {
        return false;
    }
    if names.any(|name| spec.target(name).is_some()) {
        return true;
    }
    let Some(placement) = &spec.placement else {
        return false;
    };
    let affinity = if placement.cluster_affinities.is_empty() {
        placement.cluster_affinity.as_ref()
    } else {
        let status = b.status();
        if status.and_then(|s| s.scheduler_observed_generation) != b.meta().generation {
            // Still being scheduled, or its status is not in the cache yet: don't miss the
            // change.
            return true;
        }
        let observed = status
            .and_then(|s| s.scheduler_observing_affinity_name.as_deref())
            .unwrap_or("");
        let term = placement
            .cluster_affinities
            .iter()
            .find(|t| t.affinity_name == observed)
            .unwrap_or(&placement.cluster_affinities[0]);
        Some(&term.affinity)
    };
    let Some(affinity) = affinity else {
        return true;
    };
    let matcher = AffinityMatcher::compile(&crate::from_api::cluster_affinity(affinity));
    changes
        .iter()
        .flat_map(|(old, new)| old.iter().chain(new.iter()))
        .any(|c| matcher.matches(c))
}

// ----- tasks ---------------------------------------------------------------------------------------

async fn worker(ctx: Arc<Ctx>) {
    while let Some((key, priority)) = ctx.queue.next().await {
        let span = info_span!("schedule", binding = %key);
        let requeue = match ctx.reconcile(&key).instrument(span).await {
            Ok(requeue) => requeue,
            Err(error) => {
                if error.is_conflict() {
                    debug!(binding = %key, %error, "binding keeps changing; retrying");
                } else {
                    warn!(binding = %key, %error, "scheduling failed; retrying");
                }
                Requeue::Backoff
            }
        };
        ctx.queue.done(&key, priority, requeue);
    }
}

async fn watch_bindings<K: BindingKind>(
    ctx: Arc<Ctx>,
    store: Store<K>,
    mut writer: Writer<K>,
    ready: watch::Sender<bool>,
) {
    let api: Api<K> = Api::all(ctx.client.clone());
    let mut events = watcher(api, watcher::Config::default())
        .default_backoff()
        .boxed();
    while let Some(event) = events.next().await {
        let event = match event {
            Ok(event) => event,
            Err(error) => {
                warn!(kind = %K::kind(&()), %error, "binding watch failed");
                continue;
            }
        };
        match &event {
            watcher::Event::Apply(obj) => {
                let r = ObjectRef::from_obj(obj);
                let old = store.get(&r).map(K::wrap);
                writer.apply_watcher_event(&event);
                if let Some(new) = store.get(&r) {
                    ctx.on_binding_applied(old, K::wrap(new));
                }
            }
            watcher::Event::Delete(obj) => {
                writer.apply_watcher_event(&event);
                ctx.on_binding_deleted(&K::wrap(Arc::new(obj.clone())));
            }
            watcher::Event::Init | watcher::Event::InitApply(_) => {
                writer.apply_watcher_event(&event);
            }
            watcher::Event::InitDone => {
                writer.apply_watcher_event(&event);
                ctx.on_bindings_listed(store.state().into_iter().map(K::wrap).collect());
                ready.send_replace(true);
            }
        }
    }
}

async fn watch_clusters(ctx: Arc<Ctx>, ready: watch::Sender<bool>) {
    let api: Api<Cluster> = Api::all(ctx.client.clone());
    let mut events = watcher(api, watcher::Config::default())
        .default_backoff()
        .boxed();
    let mut listed = Vec::new();
    while let Some(event) = events.next().await {
        match event {
            Ok(watcher::Event::Apply(c)) => ctx.on_cluster_upsert(&c),
            Ok(watcher::Event::Delete(c)) => ctx.on_cluster_delete(&c),
            Ok(watcher::Event::Init) => listed.clear(),
            Ok(watcher::Event::InitApply(c)) => listed.push(c),
            Ok(watcher::Event::InitDone) => {
                ctx.on_clusters_listed(std::mem::take(&mut listed));
                ready.send_replace(true);
            }
            Err(error) => warn!(%error, "cluster watch failed"),
        }
    }
}

/// Runs the scheduler until `shutdown` resolves. Watches and retries never end it; the only
/// error is invalid options.
pub async fn run_scheduler(
    client: Client,
    opts: SchedulerOptions,
    shutdown: impl Future<Output = ()>,
) -> Result<(), Error> {
    opts.validate()?;
    let scheduler = Scheduler::new().with_registry(opts.registry()?);
    let (bindings, binding_writer) = reflector::store::<ResourceBinding>();
    let (cluster_bindings, cluster_binding_writer) = reflector::store::<ClusterResourceBinding>();
    let queue = Arc::new(SchedulingQueue::new(opts.backoff_initial, opts.backoff_max));
    let recorder = (opts.events != EventMode::Off).then(|| {
        Recorder::new(
            client.clone(),
            Reporter {
                controller: opts.scheduler_name.clone(),
                instance: None,
            },
        )
    });
    let workers = opts.workers;
    let ctx = Arc::new(Ctx {
        client,
        schedule_options: ScheduleOptions {
            enable_empty_workload_propagation: opts.enable_empty_workload_propagation,
        },
        opts,
        scheduler,
        bindings: bindings.clone(),
        cluster_bindings: cluster_bindings.clone(),
        clusters: RwLock::new(ClusterCache::default()),
        written: Mutex::new(HashMap::new()),
        queue: Arc::clone(&queue),
        recorder,
    });
    info!(name = %ctx.opts.scheduler_name, workers, "starting the scheduler");

    let mut background = JoinSet::new();
    let (clusters_ready, mut clusters_ready_rx) = watch::channel(false);
    let (rb_ready, mut rb_ready_rx) = watch::channel(false);
    let (crb_ready, mut crb_ready_rx) = watch::channel(false);
    background.spawn(watch_clusters(Arc::clone(&ctx), clusters_ready));
    background.spawn(watch_bindings(
        Arc::clone(&ctx),
        bindings,
        binding_writer,
        rb_ready,
    ));
    background.spawn(watch_bindings(
        Arc::clone(&ctx),
        cluster_bindings,
        cluster_binding_writer,
        crb_ready,
    ));
    background.spawn(Arc::clone(&queue).run_timer());

    // Schedule only once every cache is filled: a binding decided against a half-listed fleet
    // would be moved off clusters that simply have not been read yet.
    let caches_filled = async {
        let _ = clusters_ready_rx.wait_for(|ready| *ready).await;
        let _ = rb_ready_rx.wait_for(|ready| *ready).await;
        let _ = crb_ready_rx.wait_for(|ready| *ready).await;
    };
    tokio::pin!(shutdown);
    let mut pool = JoinSet::new();
    tokio::select! {
        _ = &mut shutdown => {}
        _ = caches_filled => {
            info!(clusters = ctx.snapshot().clusters.len(), "caches filled; scheduling");
            for _ in 0..workers {
                pool.spawn(worker(Arc::clone(&ctx)));
            }
            shutdown.await;
        }
    }

    info!("stopping the scheduler");
    queue.shut_down();
    background.abort_all();
    // Let in-flight bindings finish: each is a couple of requests.
    while pool.join_next().await.is_some() {}
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_validated() {
        assert!(SchedulerOptions::default().validate().is_ok());
        let bad = [
            SchedulerOptions {
                workers: 0,
                ..Default::default()
            },
            SchedulerOptions {
                scheduler_name: " ".into(),
                ..Default::default()
            },
            SchedulerOptions {
                plugins: "*,-NoSuchPlugin".into(),
                ..Default::default()
            },
            SchedulerOptions {
                backoff_initial: Duration::ZERO,
                ..Default::default()
            },
            SchedulerOptions {
                backoff_max: Duration::from_millis(1),
                ..Default::default()
            },
            SchedulerOptions {
                unschedulable_retry: Duration::ZERO,
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

    fn cluster(name: &str, labels: &[(&str, &str)]) -> ClusterInput {
        ClusterInput {
            name: name.into(),
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Default::default()
        }
    }

    fn rb(placement: Value, clusters: Value) -> Stored {
        let b: ResourceBinding = serde_json::from_value(json!({
            "metadata": {"name": "web-deployment", "namespace": "default", "generation": 2},
            "spec": {
                "resource": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                "replicas": 3,
                "placement": placement,
                "clusters": clusters,
            },
            "status": {"schedulerObservedGeneration": 2, "schedulerObservingAffinityName": "primary"},
        }))
        .expect("binding");
        Stored::Namespaced(Arc::new(b))
    }

    #[test]
    fn cluster_changes_requeue_the_bindings_they_may_concern() {
        struct Case {
            name: &'static str,
            binding: Stored,
            change: ClusterChange,
            affected: bool,
        }
        let prod = || cluster("m1", &[("env", "prod")]);
        let dev = || cluster("m1", &[("env", "dev")]);
        let by_label =
            json!({"clusterAffinity": {"labelSelector": {"matchLabels": {"env": "prod"}}}});
        let terms = json!({"clusterAffinities": [
            {"affinityName": "primary", "labelSelector": {"matchLabels": {"env": "prod"}}},
            {"affinityName": "backup", "clusterNames": ["m9"]},
        ]});
        let cases = vec![
            Case {
                name: "no affinity: every cluster concerns it",
                binding: rb(json!({}), json!([])),
                change: (None, Some(dev())),
                affected: true,
            },
            Case {
                name: "a new cluster its affinity matches",
                binding: rb(by_label.clone(), json!([])),
                change: (None, Some(prod())),
                affected: true,
            },
            Case {
                name: "a new cluster its affinity does not match",
                binding: rb(by_label.clone(), json!([])),
                change: (None, Some(dev())),
                affected: false,
            },
            Case {
                name: "a cluster that stops matching",
                binding: rb(by_label.clone(), json!([])),
                change: (Some(prod()), Some(dev())),
                affected: true,
            },
            Case {
                name: "a deleted cluster it runs on",
                binding: rb(
                    json!({"clusterAffinity": {"clusterNames": ["m2"]}}),
                    json!([{"name": "m1", "replicas": 3}]),
                ),
                change: (Some(dev()), None),
                affected: true,
            },
            Case {
                name: "clusterAffinities: the observed term matches",
                binding: rb(terms.clone(), json!([])),
                change: (None, Some(prod())),
                affected: true,
            },
            Case {
                name: "clusterAffinities: only another term would match",
                binding: rb(terms.clone(), json!([])),
                change: (None, Some(cluster("m9", &[]))),
                affected: false,
            },
        ];
        for case in cases {
            assert_eq!(
                affected(&case.binding, std::slice::from_ref(&case.change)),
                case.affected,
                "{}",
                case.name
            );
        }
    }

    #[test]
    fn capacity_alone_does_not_change_placement() {
        let a = cluster("m1", &[("env", "prod")]);
        let b = ClusterInput {
            resource_summary: Some(Default::default()),
            ..a.clone()
        };
        assert!(same_for_placement(&a, &b));
        let tainted = ClusterInput {
            taints: vec![crate::Taint {
                key: "k".into(),
                value: String::new(),
                effect: "NoSchedule".into(),
            }],
            ..a.clone()
        };
        assert!(!same_for_placement(&a, &tainted));
    }
}
