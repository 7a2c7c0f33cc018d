//! The binding controller: ResourceBinding / ClusterResourceBinding → one Work per target cluster.
//! (Karmada's `binding` controller, `pkg/controllers/binding`.)
//!
//! # What it does
//!
//! For every binding with `spec.clusters` it writes, in each target cluster's execution namespace
//! `karmada-es-<cluster>`, the Work [`names::work_name`] holding the template rendered for that
//! cluster (module `render`): replicas revised to the cluster's share (Job completions divided in
//! proportion), ClusterOverridePolicies and OverridePolicies applied in Karmada's order, the
//! labels and annotations Karmada injects, server-set fields pruned. Works of clusters that left
//! the placement (and are not being gracefully evicted from) are deleted. A binding being deleted
//! has all its Works deleted — the execution controller removes the member objects and then the
//! Works' finalizer — and loses the binding controller's finalizer, which this controller adds to
//! every binding it handles. It never writes a binding's status.
//!
//! # How it runs
//!
//! * **Caches.** Reflectors hold the bindings of both kinds, this controller's Works (found by
//!   the bindings' permanent-id labels), the Clusters and the override policies. Templates are
//!   read from one reflector per template kind, started the first time a binding refers to the
//!   kind (module `templates`; discovery runs once per kind). Nothing is read with a GET while
//!   reconciling.
//! * **Triggers.** A binding event enqueues the binding unless only its status changed. The
//!   detector bumps `spec.resource.resourceVersion` whenever the template changes other than in
//!   its status, so template changes arrive as binding events; a binding whose template the cache
//!   has not caught up with yet waits for the template's event. A Work changed or deleted by
//!   someone else enqueues its binding (the Work is put back). An override policy change
//!   enqueues the bindings it selected or selects; a cluster appearing, or changing labels or
//!   topology that override rules target, enqueues the bindings placed on it. Every binding is
//!   enqueued again each `resync_period`.
//! * **Work queue.** `workers` tasks reconcile bindings; a binding is never reconciled twice at
//!   once; failures back off exponentially.
//! * **Writes.** Works are server-side applied with field manager [`FIELD_MANAGER`], forced, and
//!   only when the cached Work differs from the rendered one; a binding's Works are written
//!   concurrently. Finalizers are merge-patched, guarded by the binding's resourceVersion.

mod caches;
mod render;
mod templates;
mod work;

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use flotilla_api::work::v1alpha2::ResourceBindingSpec;
use flotilla_api::{
    ClusterOverridePolicy, ClusterResourceBinding, OverridePolicy, ResourceBinding, Work, labels,
    names,
};
use flotilla_runtime::{Action, QueueOptions, WorkQueue, resync, spawn_workers};
use futures::StreamExt;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, Patch, PatchParams};
use kube::runtime::reflector::{self, ObjectRef, Store, store::Writer};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, Resource};
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tracing::{Instrument, debug, info, info_span, warn};

pub(crate) use self::caches::{
    ClusterCache, ClusterChange, PolicyCache, PolicyChange, watch_clusters, watch_policies,
};
use self::render::{BindingRef, RenderInput, render};
pub use self::render::{
    RenderError, directly_purged_clusters, is_workload, job_completions, kept_clusters,
    suspend_dispatching, target_clusters,
};
use self::templates::{TemplateCaches, TemplateKey, TemplateSignal};
pub use self::work::WriteError;
pub(crate) use self::work::{
    DesiredWork, Ensured, Finish, WorkKey, WorkWriter, finish_manifest, str_at, work_fingerprint,
};
use crate::context::Context;

/// The controller's name, as used in logs and by the controller-manager.
pub const NAME: &str = "binding";

/// The field manager of the Works this controller writes.
pub const FIELD_MANAGER: &str = "flotilla-binding";

/// How long a binding with Works in clusters being purged directly waits before looking again.
const DIRECT_PURGE_RECHECK: Duration = Duration::from_secs(5);
/// How long a binding whose template the cache has not caught up with waits at most.
const TEMPLATE_RECHECK: Duration = Duration::from_secs(5);

/// How the binding controller runs.
#[derive(Debug, Clone)]
pub struct BindingOptions {
    /// Bindings reconciled concurrently, and the backoff of failed reconciles.
    pub queue: QueueOptions,
    /// How often every binding is reconciled again although nothing was seen to change.
    pub resync_period: Duration,
}

impl Default for BindingOptions {
    fn default() -> Self {
        BindingOptions {
            queue: QueueOptions {
                workers: 16,
                retry_base: Duration::from_millis(100),
                retry_max: Duration::from_secs(300),
            },
            resync_period: Duration::from_secs(600),
        }
    }
}

impl BindingOptions {
    /// Checks the options.
    pub fn validate(&self) -> Result<(), Error> {
        let invalid = |reason: &str| Error::InvalidOptions(reason.to_owned());
        self.queue.validate().map_err(invalid)?;
        if self.resync_period.is_zero() {
            return Err(invalid("resync period must be positive"));
        }
        Ok(())
    }
}

/// The binding controller's errors.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The options do not make sense.
    #[error("invalid binding controller options: {0}")]
    InvalidOptions(String),
    /// A request to the federation failed.
    #[error("failed to {action} {object}: {source}")]
    Api {
        /// What was being done.
        action: &'static str,
        /// The object.
        object: String,
        /// The API error.
        #[source]
        source: kube::Error,
    },
    /// The template's kind is not served by the federation.
    #[error(
        "failed to find the resource of {api_version} {kind}: {source}; is the kind (or its CRD) served by the federation?"
    )]
    Discovery {
        /// The template's apiVersion.
        api_version: String,
        /// The template's kind.
        kind: String,
        /// The discovery error.
        #[source]
        source: kube::Error,
    },
    /// A target cluster has no Cluster object (yet).
    #[error(
        "cluster {0} is not a known member cluster; its Work is written once the Cluster exists"
    )]
    UnknownCluster(String),
    /// A Work could not be rendered.
    #[error("failed to render the Work for cluster {cluster}: {source}")]
    Render {
        /// The target cluster.
        cluster: String,
        /// Why.
        #[source]
        source: Box<RenderError>,
    },
    /// A Work could not be written.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// Several clusters failed; the first error is shown.
    #[error("{failed} of {total} Works failed, the first: {first}")]
    Several {
        /// How many failed.
        failed: usize,
        /// How many were attempted.
        total: usize,
        /// The first failure.
        first: Box<Error>,
    },
}

impl Error {
    fn is_conflict(&self) -> bool {
        matches!(self, Error::Api { source: kube::Error::Api(s), .. } if s.code == 409)
    }
}

/// Identifies a binding: namespace (`None` for a ClusterResourceBinding) and name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct BindingKey {
    namespace: Option<String>,
    name: String,
}

impl fmt::Display for BindingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "ResourceBinding {ns}/{}", self.name),
            None => write!(f, "ClusterResourceBinding {}", self.name),
        }
    }
}

/// A binding as read from a cache.
#[derive(Clone)]
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
}

/// A binding kind's Works: the reflector store, and the Works of each binding by permanent ID.
struct WorkCache {
    /// The binding permanent-id label that marks these Works.
    label: &'static str,
    store: Store<Work>,
    state: Mutex<WorkIndex>,
}

#[derive(Default)]
struct WorkIndex {
    by_binding: HashMap<String, BTreeSet<WorkKey>>,
    binding_of: HashMap<WorkKey, String>,
    fingerprints: HashMap<WorkKey, u64>,
}

impl WorkIndex {
    fn insert(&mut self, key: WorkKey, binding_id: String, fingerprint: u64) -> Option<u64> {
        if let Some(old) = self.binding_of.insert(key.clone(), binding_id.clone())
            && old != binding_id
            && let Some(set) = self.by_binding.get_mut(&old)
        {
            set.remove(&key);
            if set.is_empty() {
                self.by_binding.remove(&old);
            }
        }
        self.by_binding
            .entry(binding_id)
            .or_default()
            .insert(key.clone());
        self.fingerprints.insert(key, fingerprint)
    }

    fn remove(&mut self, key: &WorkKey) {
        if let Some(id) = self.binding_of.remove(key)
            && let Some(set) = self.by_binding.get_mut(&id)
        {
            set.remove(key);
            if set.is_empty() {
                self.by_binding.remove(&id);
            }
        }
        self.fingerprints.remove(key);
    }
}

fn work_key(work: &Work) -> WorkKey {
    (
        work.metadata.namespace.clone().unwrap_or_default(),
        work.metadata.name.clone().unwrap_or_default(),
    )
}

fn label_of<'a>(meta: &'a ObjectMeta, key: &str) -> Option<&'a str> {
    meta.labels.as_ref()?.get(key).map(String::as_str)
}

fn annotation_of<'a>(meta: &'a ObjectMeta, key: &str) -> Option<&'a str> {
    meta.annotations.as_ref()?.get(key).map(String::as_str)
}

impl WorkCache {
    fn index(&self) -> MutexGuard<'_, WorkIndex> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The Works of the binding with this permanent ID.
    fn of_binding(&self, binding_id: &str) -> Vec<Arc<Work>> {
        let keys: Vec<WorkKey> = self
            .index()
            .by_binding
            .get(binding_id)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default();
        keys.iter().filter_map(|k| self.get(k)).collect()
    }

    fn get(&self, key: &WorkKey) -> Option<Arc<Work>> {
        self.store.get(&ObjectRef::new(&key.1).within(&key.0))
    }
}

/// Everything the controller's tasks share.
struct Ctx {
    client: Client,
    opts: BindingOptions,
    bindings: Store<ResourceBinding>,
    cluster_bindings: Store<ClusterResourceBinding>,
    /// Works of ResourceBindings, then of ClusterResourceBindings.
    works: [WorkCache; 2],
    clusters: Arc<ClusterCache>,
    policies: Arc<PolicyCache>,
    templates: TemplateCaches,
    /// Bindings waiting for their template to show up (or catch up) in its cache.
    waiting: Mutex<HashMap<TemplateKey, HashSet<BindingKey>>>,
    /// Bindings found ahead of their cached template: the cached resourceVersion then.
    behind: Mutex<HashMap<BindingKey, u64>>,
    /// A hash of what matters in each binding, to skip status-only updates.
    seen: Mutex<HashMap<BindingKey, u64>>,
    writer: WorkWriter,
    queue: Arc<WorkQueue<BindingKey>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn revision(meta: &ObjectMeta) -> Option<u64> {
    meta.resource_version.as_deref()?.parse().ok()
}

/// A hash of what a reconcile reads from a binding: everything but its status.
fn binding_fingerprint(meta: &ObjectMeta, spec: &ResourceBindingSpec) -> u64 {
    let mut hasher = DefaultHasher::new();
    serde_json::to_vec(&(
        &meta.labels,
        &meta.finalizers,
        meta.deletion_timestamp.is_some(),
        &meta.uid,
        spec,
    ))
    .unwrap_or_default()
    .hash(&mut hasher);
    hasher.finish()
}

impl Ctx {
    fn binding(&self, key: &BindingKey) -> Option<Stored> {
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

    fn work_cache(&self, key: &BindingKey) -> &WorkCache {
        &self.works[usize::from(key.namespace.is_none())]
    }

    fn all_bindings(&self) -> Vec<(BindingKey, Stored)> {
        let namespaced = self.bindings.state().into_iter().map(|b| {
            (
                BindingKey {
                    namespace: b.metadata.namespace.clone(),
                    name: b.metadata.name.clone().unwrap_or_default(),
                },
                Stored::Namespaced(b),
            )
        });
        let cluster = self.cluster_bindings.state().into_iter().map(|b| {
            (
                BindingKey {
                    namespace: None,
                    name: b.metadata.name.clone().unwrap_or_default(),
                },
                Stored::Cluster(b),
            )
        });
        namespaced.chain(cluster).collect()
    }

    // ----- events ------------------------------------------------------------------------------

    fn on_binding(&self, key: BindingKey, binding: Option<Stored>) {
        let mut seen = lock(&self.seen);
        match binding {
            Some(b) => {
                let fingerprint = binding_fingerprint(b.meta(), b.spec());
                if seen.insert(key.clone(), fingerprint) == Some(fingerprint) {
                    return;
                }
            }
            None => {
                seen.remove(&key);
                lock(&self.behind).remove(&key);
            }
        }
        drop(seen);
        self.queue.add(key);
    }

    fn on_bindings_listed(&self) {
        for (key, binding) in self.all_bindings() {
            lock(&self.seen).insert(
                key.clone(),
                binding_fingerprint(binding.meta(), binding.spec()),
            );
            self.queue.add(key);
        }
    }

    /// The binding a Work belongs to, from the annotations that name it.
    fn owner_of(work: &Work) -> Option<BindingKey> {
        let meta = &work.metadata;
        if let Some(name) = annotation_of(meta, labels::RESOURCE_BINDING_NAME) {
            return Some(BindingKey {
                namespace: Some(
                    annotation_of(meta, labels::RESOURCE_BINDING_NAMESPACE)
                        .unwrap_or_default()
                        .to_owned(),
                ),
                name: name.to_owned(),
            });
        }
        annotation_of(meta, labels::CLUSTER_RESOURCE_BINDING_NAME).map(|name| BindingKey {
            namespace: None,
            name: name.to_owned(),
        })
    }

    fn on_work(&self, cache: &WorkCache, event: &watcher::Event<Work>) {
        match event {
            watcher::Event::Apply(work) => {
                let key = work_key(work);
                let id = label_of(&work.metadata, cache.label)
                    .unwrap_or_default()
                    .to_owned();
                let fingerprint = work_fingerprint(work);
                let previous = cache.index().insert(key.clone(), id, fingerprint);
                if previous != Some(fingerprint)
                    && !self.writer.is_own_write(&key, work)
                    && let Some(owner) = Self::owner_of(work)
                {
                    self.queue.add(owner);
                }
            }
            watcher::Event::Delete(work) => {
                let key = work_key(work);
                cache.index().remove(&key);
                self.writer.forget(&key);
                if let Some(owner) = Self::owner_of(work) {
                    self.queue.add(owner);
                }
            }
            watcher::Event::InitDone => {
                let listed = cache.store.state();
                let mut index = cache.index();
                let mut previous = std::mem::take(&mut index.fingerprints);
                *index = WorkIndex::default();
                let mut owners = HashSet::new();
                for work in &listed {
                    let key = work_key(work);
                    let fingerprint = work_fingerprint(work);
                    if previous.remove(&key) != Some(fingerprint)
                        && let Some(owner) = Self::owner_of(work)
                    {
                        owners.insert(owner);
                    }
                    let id = label_of(&work.metadata, cache.label)
                        .unwrap_or_default()
                        .to_owned();
                    index.insert(key, id, fingerprint);
                }
                drop(index);
                // Works that vanished while the watch was down.
                for key in previous.into_keys() {
                    self.writer.forget(&key);
                }
                for owner in owners {
                    self.queue.add(owner);
                }
            }
            watcher::Event::Init | watcher::Event::InitApply(_) => {}
        }
    }

    fn on_template(&self, signal: TemplateSignal) {
        let keys: Vec<BindingKey> = {
            let mut waiting = lock(&self.waiting);
            match signal {
                TemplateSignal::Changed(key) => {
                    waiting.remove(&key).into_iter().flatten().collect()
                }
                TemplateSignal::KindReady(api_version, kind) => {
                    let ready: Vec<TemplateKey> = waiting
                        .keys()
                        .filter(|k| k.0 == api_version && k.1 == kind)
                        .cloned()
                        .collect();
                    ready
                        .iter()
                        .flat_map(|k| waiting.remove(k).into_iter().flatten())
                        .collect()
                }
            }
        };
        for key in keys {
            self.queue.add(key);
        }
    }

    fn wait_for_template(&self, template: TemplateKey, binding: &BindingKey) {
        lock(&self.waiting)
            .entry(template)
            .or_default()
            .insert(binding.clone());
    }

    fn on_cluster(&self, change: ClusterChange) {
        let name = match change {
            ClusterChange::Added(name) => name,
            ClusterChange::Changed(name) if self.policies.depends_on_cluster_fields() => name,
            ClusterChange::Changed(_) | ClusterChange::Removed(_) => return,
        };
        for (key, binding) in self.all_bindings() {
            if target_clusters(binding.spec())
                .iter()
                .any(|c| c.name == name)
            {
                self.queue.add(key);
            }
        }
    }

    fn on_policy(&self, change: PolicyChange) {
        let policies: Vec<_> = change
            .old
            .iter()
            .chain(change.new.iter())
            .cloned()
            .collect();
        let Some(first) = policies.first() else {
            return;
        };
        debug!(policy = %first.display_name(), "override policy changed");
        for (key, binding) in self.all_bindings() {
            let r = &binding.spec().resource;
            let namespace = r.namespace.as_deref().unwrap_or_default();
            let template_labels = self
                .templates
                .cached(&r.api_version, &r.kind)
                .and_then(|kind| kind.get(namespace, &r.name))
                .map(|obj| obj.metadata.labels.clone().unwrap_or_default());
            if policies.iter().any(|p| {
                p.may_select(
                    &r.api_version,
                    &r.kind,
                    namespace,
                    &r.name,
                    template_labels.as_ref(),
                )
            }) {
                self.queue.add(key);
            }
        }
    }

    // ----- writes ------------------------------------------------------------------------------

    async fn patch_finalizers(
        &self,
        key: &BindingKey,
        meta: &ObjectMeta,
        finalizers: Vec<String>,
    ) -> Result<(), Error> {
        let patch = json!({"metadata": {"finalizers": finalizers, "resourceVersion": meta.resource_version}});
        let params = PatchParams {
            field_manager: Some(FIELD_MANAGER.to_owned()),
            ..Default::default()
        };
        let result = match &key.namespace {
            Some(ns) => Api::<ResourceBinding>::namespaced(self.client.clone(), ns)
                .patch(&key.name, &params, &Patch::Merge(&patch))
                .await
                .map(|b| binding_fingerprint(&b.metadata, &b.spec)),
            None => Api::<ClusterResourceBinding>::all(self.client.clone())
                .patch(&key.name, &params, &Patch::Merge(&patch))
                .await
                .map(|b| binding_fingerprint(&b.metadata, &b.spec)),
        };
        match result {
            Ok(fingerprint) => {
                // The patch's own watch event needs no second reconcile: this one goes on.
                lock(&self.seen).insert(key.clone(), fingerprint);
                Ok(())
            }
            Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
            Err(source) => Err(Error::Api {
                action: "patch the finalizers of",
                object: key.to_string(),
                source,
            }),
        }
    }

    async fn delete_works(&self, works: &[Arc<Work>]) -> Result<(), Error> {
        let deletions = works
            .iter()
            .filter(|w| w.metadata.deletion_timestamp.is_none())
            .map(|w| async move {
                let (ns, name) = work_key(w);
                self.writer
                    .delete(&ns, &name, w.metadata.uid.clone())
                    .await
                    .map_err(|source| Error::Api {
                        action: "delete Work",
                        object: format!("{ns}/{name}"),
                        source,
                    })?;
                info!(work = %format!("{ns}/{name}"), "deleted Work");
                Ok::<(), Error>(())
            });
        futures::future::join_all(deletions)
            .await
            .into_iter()
            .collect::<Result<Vec<()>, Error>>()
            .map(|_| ())
    }
}

fn finalizer_for(key: &BindingKey) -> &'static str {
    if key.namespace.is_some() {
        labels::BINDING_CONTROLLER_FINALIZER
    } else {
        labels::CLUSTER_RESOURCE_BINDING_CONTROLLER_FINALIZER
    }
}

fn combine(errors: Vec<Error>, total: usize) -> Result<(), Error> {
    let failed = errors.len();
    let mut errors = errors.into_iter();
    match (errors.next(), failed) {
        (None, _) => Ok(()),
        (Some(only), 1) => Err(only),
        (Some(first), _) => Err(Error::Several {
            failed,
            total,
            first: Box::new(first),
        }),
    }
}

/// Reconciles one binding: its Works made what the binding, its template, the override policies
/// and the clusters say. Safe to run any number of times.
async fn reconcile(ctx: &Ctx, key: &BindingKey) -> Result<Action, Error> {
    let Some(binding) = ctx.binding(key) else {
        return Ok(Action::AwaitChange);
    };
    let meta = binding.meta();
    let spec = binding.spec();
    let cache = ctx.work_cache(key);
    let permanent_id = label_of(meta, cache.label).unwrap_or_default();
    let works = cache.of_binding(permanent_id);
    let finalizer = finalizer_for(key);
    let finalizers: Vec<String> = meta.finalizers.clone().unwrap_or_default();

    if meta.deletion_timestamp.is_some() {
        ctx.delete_works(&works).await?;
        if finalizers.iter().any(|f| f == finalizer) {
            let rest = finalizers.into_iter().filter(|f| f != finalizer).collect();
            ctx.patch_finalizers(key, meta, rest).await?;
            info!("deleted the binding's Works and released it");
        }
        return Ok(Action::AwaitChange);
    }
    if !finalizers.iter().any(|f| f == finalizer) {
        let mut with = finalizers;
        with.push(finalizer.to_owned());
        ctx.patch_finalizers(key, meta, with).await?;
    }

    let kept = kept_clusters(spec);
    let cluster_of = |w: &Work| {
        w.metadata
            .namespace
            .as_deref()
            .and_then(names::cluster_of_execution_namespace)
            .map(str::to_owned)
    };
    let orphans: Vec<Arc<Work>> = works
        .iter()
        .filter(|w| cluster_of(w).is_none_or(|c| !kept.contains(&c)))
        .cloned()
        .collect();
    ctx.delete_works(&orphans).await?;
    let purged = directly_purged_clusters(spec);
    if works
        .iter()
        .any(|w| cluster_of(w).is_some_and(|c| purged.contains(&c)))
    {
        debug!("waiting for the Works of directly purged clusters to go");
        return Ok(Action::Requeue(DIRECT_PURGE_RECHECK));
    }

    let targets = target_clusters(spec);
    if targets.is_empty() {
        return Ok(Action::AwaitChange);
    }

    let resource = &spec.resource;
    let template_key: TemplateKey = (
        resource.api_version.clone(),
        resource.kind.clone(),
        resource.namespace.clone().unwrap_or_default(),
        resource.name.clone(),
    );
    let kind = ctx
        .templates
        .kind(&resource.api_version, &resource.kind)
        .await
        .map_err(|source| Error::Discovery {
            api_version: resource.api_version.clone(),
            kind: resource.kind.clone(),
            source,
        })?;
    if !kind.ready() {
        ctx.wait_for_template(template_key, key);
        // The kind's first list may have finished between the check and the registration.
        return Ok(if kind.ready() {
            Action::Requeue(Duration::ZERO)
        } else {
            Action::AwaitChange
        });
    }
    let Some(template) = kind.get(&template_key.2, &template_key.3) else {
        // Deleted (the binding follows soon), or created a moment ago and not seen yet.
        ctx.wait_for_template(template_key, key);
        debug!("template not in the cache");
        return Ok(Action::AwaitChange);
    };
    let wanted = resource
        .resource_version
        .as_deref()
        .and_then(|rv| rv.parse::<u64>().ok());
    let cached = revision(&template.metadata);
    if wanted.is_some() && cached < wanted {
        // Normally the template's event is a moment away. A cache that has not moved since
        // the last look is as fresh as it gets (the binding names a version the template never
        // had, e.g. copied from elsewhere): go on with it rather than wait forever.
        let previous = lock(&ctx.behind).insert(key.clone(), cached.unwrap_or_default());
        if previous != Some(cached.unwrap_or_default()) {
            ctx.wait_for_template(template_key, key);
            debug!(?cached, ?wanted, "template cache is behind the binding");
            return Ok(Action::Requeue(TEMPLATE_RECHECK));
        }
        warn!(
            ?cached,
            ?wanted,
            "the binding names a template version the cache never reached; using the cached template"
        );
    }
    lock(&ctx.behind).remove(key);

    let mut template = serde_json::to_value(&*template).unwrap_or(Value::Null);
    if let Some(object) = template.as_object_mut() {
        // List items may come without their type; the cache's resource knows it.
        object.insert(
            "apiVersion".into(),
            Value::from(kind.resource.api_version.clone()),
        );
        object.insert("kind".into(), Value::from(kind.resource.kind.clone()));
    }
    let completions =
        job_completions(&template, spec, &targets).map_err(|source| Error::Render {
            cluster: targets
                .iter()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>()
                .join(","),
            source: Box::new(source),
        })?;
    let cluster_policies = ctx.policies.cluster_policies();
    let namespaced_policies = match &key.namespace {
        Some(_) => ctx.policies.namespaced_policies(&template_key.2),
        None => Vec::new(),
    };
    let input = RenderInput {
        binding: BindingRef {
            namespace: key.namespace.as_deref(),
            name: &key.name,
            permanent_id,
            spec,
        },
        template: &template,
        completions: completions.as_ref(),
        cluster_policies: &cluster_policies,
        namespaced_policies: &namespaced_policies,
    };

    let mut errors = Vec::new();
    let mut writes = Vec::new();
    for target in &targets {
        let Some(cluster) = ctx.clusters.get(&target.name) else {
            errors.push(Error::UnknownCluster(target.name.clone()));
            continue;
        };
        let mut stored = None;
        let desired = render(&input, target, &cluster, |work| {
            stored = cache.get(work);
            ctx.writer.permanent_id(work, stored.as_deref())
        });
        match desired {
            Ok(desired) => writes.push((desired, stored)),
            Err(source) => errors.push(Error::Render {
                cluster: target.name.clone(),
                source: Box::new(source),
            }),
        }
    }
    let results = futures::future::join_all(
        writes
            .iter()
            .map(|(desired, stored)| ctx.writer.ensure(desired, stored.as_deref())),
    )
    .await;
    for ((desired, _), result) in writes.iter().zip(results) {
        match result {
            Ok(Ensured::Applied) => {
                debug!(work = %format!("{}/{}", desired.namespace, desired.name), "applied Work")
            }
            // Written a moment ago and not in the cache yet. Should it be deleted before the
            // cache shows it, the deletion's event brings the binding back.
            Ok(Ensured::Unobserved | Ensured::Unchanged) => {}
            Err(e) => errors.push(e.into()),
        }
    }
    combine(errors, targets.len())?;
    Ok(Action::AwaitChange)
}

// ----- tasks ---------------------------------------------------------------------------------------

/// Reconciles a binding taken from the queue, in its own span.
async fn reconcile_key(ctx: Arc<Ctx>, key: BindingKey) -> Result<Action, Error> {
    let span = info_span!("reconcile", binding = %key);
    reconcile(&ctx, &key).instrument(span).await
}

/// Logs a failed reconcile: conflicts (a stale cache) are routine.
fn log_failure(key: &BindingKey, err: &Error, retry_in: Option<Duration>) {
    if err.is_conflict() {
        debug!(binding = %key, error = %err, ?retry_in, "stale cache; retrying");
    } else {
        warn!(binding = %key, error = %err, ?retry_in, "reconcile failed");
    }
}

async fn watch_bindings<K>(ctx: Arc<Ctx>, writer: Writer<K>, stored: fn(Arc<K>) -> Stored)
where
    K: Resource<DynamicType = ()>
        + Clone
        + serde::de::DeserializeOwned
        + fmt::Debug
        + Send
        + Sync
        + 'static,
{
    let api: Api<K> = Api::all(ctx.client.clone());
    let mut events = watcher(api, watcher::Config::default())
        .default_backoff()
        .reflect(writer)
        .boxed();
    while let Some(event) = events.next().await {
        let (obj, deleted) = match event {
            Ok(watcher::Event::Apply(obj)) => (obj, false),
            Ok(watcher::Event::Delete(obj)) => (obj, true),
            Ok(watcher::Event::InitDone) => {
                ctx.on_bindings_listed();
                continue;
            }
            Ok(_) => continue,
            Err(err) => {
                warn!(kind = %K::kind(&()), error = %err, "binding watch failed");
                continue;
            }
        };
        let key = BindingKey {
            namespace: obj.meta().namespace.clone(),
            name: obj.meta().name.clone().unwrap_or_default(),
        };
        ctx.on_binding(key, (!deleted).then(|| stored(Arc::new(obj))));
    }
}

async fn watch_works(ctx: Arc<Ctx>, which: usize, writer: Writer<Work>) {
    let cache = &ctx.works[which];
    let api: Api<Work> = Api::all(ctx.client.clone());
    let config = watcher::Config::default().labels(cache.label);
    let mut events = watcher(api, config)
        .default_backoff()
        .reflect(writer)
        .boxed();
    while let Some(event) = events.next().await {
        match event {
            Ok(event) => ctx.on_work(&ctx.works[which], &event),
            Err(err) => warn!(label = cache.label, error = %err, "Work watch failed"),
        }
    }
}

/// Runs the binding controller until `ctx.shutdown` is cancelled. Watches and retries never end
/// it; the only error is invalid options.
pub async fn run(ctx: Context, opts: BindingOptions) -> Result<(), Error> {
    opts.validate()?;
    let client = ctx.client.clone();
    let (bindings, binding_writer) = reflector::store::<ResourceBinding>();
    let (cluster_bindings, cluster_binding_writer) = reflector::store::<ClusterResourceBinding>();
    let (rb_works, rb_work_writer) = reflector::store::<Work>();
    let (crb_works, crb_work_writer) = reflector::store::<Work>();
    let (signals, mut signal_rx) = mpsc::unbounded_channel();
    let workers = opts.queue.workers;
    let shared = Arc::new(Ctx {
        client: client.clone(),
        queue: opts.queue.queue(),
        opts,
        bindings: bindings.clone(),
        cluster_bindings: cluster_bindings.clone(),
        works: [
            WorkCache {
                label: labels::RESOURCE_BINDING_PERMANENT_ID,
                store: rb_works.clone(),
                state: Mutex::new(WorkIndex::default()),
            },
            WorkCache {
                label: labels::CLUSTER_RESOURCE_BINDING_PERMANENT_ID,
                store: crb_works.clone(),
                state: Mutex::new(WorkIndex::default()),
            },
        ],
        clusters: Arc::new(ClusterCache::default()),
        policies: Arc::new(PolicyCache::default()),
        templates: TemplateCaches::new(client.clone(), signals),
        waiting: Mutex::new(HashMap::new()),
        behind: Mutex::new(HashMap::new()),
        seen: Mutex::new(HashMap::new()),
        writer: WorkWriter::new(client.clone(), FIELD_MANAGER),
    });
    info!(workers, "starting the binding controller");

    let mut background = JoinSet::new();
    let (clusters_ready, mut clusters_ready_rx) = watch::channel(false);
    let (cop_ready, mut cop_ready_rx) = watch::channel(false);
    let (op_ready, mut op_ready_rx) = watch::channel(false);
    {
        let c = Arc::clone(&shared);
        background.spawn(watch_clusters(
            client.clone(),
            Arc::clone(&shared.clusters),
            move |change| c.on_cluster(change),
            clusters_ready,
        ));
        let c = Arc::clone(&shared);
        background.spawn(watch_policies::<ClusterOverridePolicy>(
            client.clone(),
            Arc::clone(&shared.policies),
            move |change| c.on_policy(change),
            cop_ready,
        ));
        let c = Arc::clone(&shared);
        background.spawn(watch_policies::<OverridePolicy>(
            client.clone(),
            Arc::clone(&shared.policies),
            move |change| c.on_policy(change),
            op_ready,
        ));
    }
    background.spawn(watch_works(Arc::clone(&shared), 0, rb_work_writer));
    background.spawn(watch_works(Arc::clone(&shared), 1, crb_work_writer));
    background.spawn(watch_bindings(
        Arc::clone(&shared),
        binding_writer,
        Stored::Namespaced,
    ));
    background.spawn(watch_bindings(
        Arc::clone(&shared),
        cluster_binding_writer,
        Stored::Cluster,
    ));
    {
        let c = Arc::clone(&shared);
        background.spawn(async move {
            while let Some(signal) = signal_rx.recv().await {
                c.on_template(signal);
            }
        });
    }
    {
        let c = Arc::clone(&shared);
        background.spawn(resync(shared.opts.resync_period, move || {
            for (key, _) in c.all_bindings() {
                c.queue.add(key);
            }
        }));
    }

    let caches_filled = async {
        let _ = clusters_ready_rx.wait_for(|r| *r).await;
        let _ = cop_ready_rx.wait_for(|r| *r).await;
        let _ = op_ready_rx.wait_for(|r| *r).await;
        let _ = rb_works.wait_until_ready().await;
        let _ = crb_works.wait_until_ready().await;
        let _ = bindings.wait_until_ready().await;
        let _ = cluster_bindings.wait_until_ready().await;
    };
    let mut pool = JoinSet::new();
    tokio::select! {
        _ = ctx.shutdown.cancelled() => {}
        _ = caches_filled => {
            info!("caches filled; reconciling bindings");
            spawn_workers(&mut pool, workers, &shared.queue, &shared, reconcile_key, log_failure);
            ctx.shutdown.cancelled().await;
        }
    }

    info!("stopping the binding controller");
    shared.queue.shut_down();
    background.abort_all();
    shared.templates.shut_down();
    while pool.join_next().await.is_some() {}
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_validated() {
        assert!(BindingOptions::default().validate().is_ok());
        for bad in [
            BindingOptions {
                queue: QueueOptions {
                    workers: 0,
                    ..BindingOptions::default().queue
                },
                ..Default::default()
            },
            BindingOptions {
                resync_period: Duration::ZERO,
                ..Default::default()
            },
            BindingOptions {
                queue: QueueOptions {
                    retry_max: Duration::from_millis(1),
                    ..BindingOptions::default().queue
                },
                ..Default::default()
            },
        ] {
            assert!(
                matches!(bad.validate(), Err(Error::InvalidOptions(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn work_index_follows_label_changes() {
        let mut index = WorkIndex::default();
        let key = ("karmada-es-m1".to_owned(), "w".to_owned());
        assert_eq!(index.insert(key.clone(), "a".into(), 1), None);
        assert_eq!(index.insert(key.clone(), "b".into(), 2), Some(1));
        assert!(index.by_binding.get("a").is_none_or(BTreeSet::is_empty));
        assert!(index.by_binding["b"].contains(&key));
        index.remove(&key);
        assert!(index.by_binding.is_empty());
        assert!(index.fingerprints.is_empty());
    }

    #[test]
    fn errors_of_several_clusters_are_summed_up() {
        assert!(combine(vec![], 2).is_ok());
        let one = combine(vec![Error::UnknownCluster("m1".into())], 2).unwrap_err();
        assert!(matches!(one, Error::UnknownCluster(_)));
        let two = combine(
            vec![
                Error::UnknownCluster("m1".into()),
                Error::UnknownCluster("m2".into()),
            ],
            3,
        )
        .unwrap_err();
        assert_eq!(
            two.to_string(),
            "2 of 3 Works failed, the first: cluster m1 is not a known member cluster; its Work is written once the Cluster exists"
        );
    }
}
