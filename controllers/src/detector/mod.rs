//! The resource detector (Karmada's `pkg/detector`): it watches every resource template in the
//! federation, finds the PropagationPolicy or ClusterPropagationPolicy that propagates each one,
//! claims the template for it, and keeps the template's ResourceBinding (namespaced template) or
//! ClusterResourceBinding (cluster-scoped template) in line with the template and the policy.
//!
//! # How it runs
//!
//! * **Watches.** Every listable, watchable, patchable resource type that discovery reports (at
//!   each group's preferred version), except the skipped groups and kinds of
//!   [`DetectorOptions`], gets a kube-runtime watcher feeding a reflector store. CustomResource
//!   Definitions are watched too: a change triggers discovery again, so a CRD added later gets
//!   its objects detected, and a removed one stops being watched. Discovery also re-runs
//!   periodically. PropagationPolicies, ClusterPropagationPolicies and both binding kinds have
//!   watchers of their own.
//! * **Indexes.** Policies are bucketed by the (apiVersion, kind, namespace, name) their
//!   selectors can select, and templates are grouped by the policy that claims them, so neither a
//!   template event nor a policy event costs work proportional to the whole federation.
//! * **Work queue.** Events enqueue template keys; `workers` tasks run `reconcile` on them. A
//!   key is never reconciled twice at once, failures back off exponentially, and every template
//!   is enqueued again each `resync_period` as a safety net. Workers start only once the policy
//!   and binding caches are filled, so a template is never released for lack of a policy that
//!   simply has not been read yet.
//! * **Reconcile** is level-triggered and idempotent: read the template from the cache, choose
//!   its policy ([`matching::select_policy`]), then claim it and apply its binding — or release
//!   it — writing only what differs.
//!
//! # Writes
//!
//! * The claim on a template (label `*.karmada.io/permanent-id`, annotations naming the policy) is
//!   a JSON merge patch of just those keys, sent only when they differ.
//! * The binding is server-side applied with field manager [`FIELD_MANAGER`], forced, and never
//!   contains `spec.clusters` (the scheduler's) or `status`, so other writers keep their fields.
//!   It is applied only when a field the detector owns differs, or when the template changed
//!   other than in its status (so `spec.resource.resourceVersion` is not rewritten for every
//!   status update of the template).
//! * A deleted template's binding is deleted (the apiserver's garbage collector would remove it
//!   too, through its controlling ownerReference).
//! * A released template (its policy deleted, or no longer selecting it, with no other policy
//!   taking over) loses its claim; its binding loses the claim too and is kept, as in Karmada, or
//!   is deleted if [`ReleasedBindings::Delete`] is chosen.

pub mod binding;
pub mod index;
pub mod matching;

pub mod replicas;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::{Duration, Instant};

use flotilla_api::{
    ClusterPropagationPolicy, ClusterResourceBinding, PropagationPolicy, ResourceBinding, labels,
    names,
};
use flotilla_runtime::{QueueOptions, WorkQueue, resync, spawn_workers};
use futures::StreamExt;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, ApiResource, DeleteParams, DynamicObject, Patch, PatchParams, Preconditions};
use kube::discovery::{ApiCapabilities, Discovery, Scope, verbs};
use kube::runtime::reflector::{self, ObjectRef, Store, store::Writer};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, Resource};
use regex::Regex;
use tokio::sync::{Notify, watch};
use tokio::task::{AbortHandle, JoinSet};
use tracing::{Instrument, debug, info, info_span, warn};

use self::binding::{
    DesiredBinding, TemplateObject, binding_refers_to, build_binding, claim_patch,
    controlled_by_template, template_fingerprint,
};
use self::index::{ClaimIndex, PolicyIndex};
use self::matching::{
    Claim, Claims, MatchReason, PolicyEntry, PolicyKind, PolicyRef, Template, select_policy,
};
use self::replicas::InterpretError;

/// The detector's name, as used in logs and by the controller-manager.
pub const NAME: &str = "detector";

/// The field manager of everything the detector writes.
pub const FIELD_MANAGER: &str = "flotilla-detector";

/// What happens to the binding of a template that is released: its policy was deleted or no
/// longer selects it, and no other policy takes it over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReleasedBindings {
    /// Remove the policy's claim from the binding and keep it, so the workload keeps running in
    /// the member clusters until the template itself is deleted (Karmada's behaviour: "when the
    /// policy is deleted, the resource templates and their corresponding propagated resources in
    /// member clusters will remain unchanged").
    #[default]
    Keep,
    /// Delete the binding, which removes the workload from the member clusters (unless the
    /// binding says preserveResourcesOnDeletion).
    Delete,
}

/// How the detector runs.
#[derive(Debug, Clone)]
pub struct DetectorOptions {
    /// Templates reconciled concurrently, and the backoff of failed reconciles.
    pub queue: QueueOptions,
    /// How often every template is reconciled again although nothing was seen to change.
    pub resync_period: Duration,
    /// How often discovery runs again (it also runs whenever a CRD changes).
    pub rediscovery_period: Duration,
    /// API groups whose resources are never templates.
    pub skipped_groups: BTreeSet<String>,
    /// (group, kind) pairs that are never templates.
    pub skipped_kinds: BTreeSet<(String, String)>,
    /// Namespaces (regular expressions matching the whole name) whose objects are never
    /// templates, in addition to the reserved `karmada-system`, `karmada-cluster` and
    /// `karmada-es-*`.
    pub skipped_namespaces: Vec<String>,
    /// What happens to the binding of a released template.
    pub released_bindings: ReleasedBindings,
}

impl Default for DetectorOptions {
    fn default() -> Self {
        let groups = [
            // Karmada's own APIs, as Karmada's detector skips them.
            "cluster.karmada.io",
            "policy.karmada.io",
            "work.karmada.io",
            "config.karmada.io",
            "networking.karmada.io",
            "autoscaling.karmada.io",
            "remedy.karmada.io",
            "apps.karmada.io",
            "search.karmada.io",
            // Flotilla's own API.
            "flotilla.io",
            // Per-cluster bookkeeping.
            "events.k8s.io",
            "coordination.k8s.io",
        ];
        DetectorOptions {
            queue: QueueOptions {
                workers: 16,
                retry_base: Duration::from_millis(100),
                retry_max: Duration::from_secs(300),
            },
            resync_period: Duration::from_secs(600),
            rediscovery_period: Duration::from_secs(30),
            skipped_groups: groups.into_iter().map(str::to_owned).collect(),
            // Namespaces are propagated by the namespace controller; events and nodes belong to
            // one cluster.
            skipped_kinds: [("", "Event"), ("", "Namespace"), ("", "Node")]
                .into_iter()
                .map(|(g, k)| (g.to_owned(), k.to_owned()))
                .collect(),
            skipped_namespaces: vec!["kube-.*".to_owned()],
            released_bindings: ReleasedBindings::default(),
        }
    }
}

impl DetectorOptions {
    /// Checks the options.
    pub fn validate(&self) -> Result<(), Error> {
        let invalid = |reason: String| Err(Error::InvalidOptions(reason));
        if let Err(reason) = self.queue.validate() {
            return invalid(reason.to_owned());
        }
        for (name, period) in [
            ("resync period", self.resync_period),
            ("rediscovery period", self.rediscovery_period),
        ] {
            if period.is_zero() {
                return invalid(format!("{name} must be positive"));
            }
        }
        self.namespace_patterns().map(|_| ())
    }

    fn namespace_patterns(&self) -> Result<Vec<Regex>, Error> {
        self.skipped_namespaces
            .iter()
            .map(|p| {
                Regex::new(&format!("^(?:{p})$"))
                    .map_err(|e| Error::InvalidOptions(format!("skipped namespace {p:?}: {e}")))
            })
            .collect()
    }

    /// Whether objects of this resource are templates.
    pub fn watches(&self, resource: &ApiResource, caps: &ApiCapabilities) -> bool {
        [verbs::LIST, verbs::WATCH, verbs::GET, verbs::PATCH]
            .iter()
            .all(|verb| caps.supports_operation(verb))
            && !self.skipped_groups.contains(&resource.group)
            && !self
                .skipped_kinds
                .contains(&(resource.group.clone(), resource.kind.clone()))
    }
}

/// The detector's errors.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The options do not make sense.
    #[error("invalid detector options: {0}")]
    InvalidOptions(String),
    /// Discovery failed.
    #[error("failed to discover API resources: {0}")]
    Discovery(#[source] kube::Error),
    /// Claiming or releasing a template failed.
    #[error("failed to patch the claim of {template}: {source}")]
    Claim {
        /// The template.
        template: String,
        /// The API error.
        #[source]
        source: kube::Error,
    },
    /// The template's replicas could not be interpreted.
    #[error("failed to interpret the replicas of {template}: {source}")]
    Interpret {
        /// The template.
        template: String,
        /// Why.
        #[source]
        source: InterpretError,
    },
    /// Writing a binding failed.
    #[error("failed to {action} binding {binding}: {source}")]
    Binding {
        /// apply, patch, get or delete.
        action: &'static str,
        /// The binding.
        binding: String,
        /// The API error.
        #[source]
        source: kube::Error,
    },
    /// The binding's name is taken by a binding another object controls: normally one left by a
    /// deleted template of the same name, which the garbage collector is about to remove.
    #[error(
        "binding {binding} is controlled by another object (uid {owner_uid}); retrying after it is garbage collected"
    )]
    ForeignBinding {
        /// The binding.
        binding: String,
        /// The UID of its controller.
        owner_uid: String,
    },
}

impl Error {
    /// Whether the error is an optimistic-concurrency conflict: the cache was behind the
    /// apiserver, and a retry a moment later will see the newer object.
    pub fn is_conflict(&self) -> bool {
        match self {
            Error::Claim { source, .. } | Error::Binding { source, .. } => is_status(source, 409),
            _ => false,
        }
    }
}

/// What to do with a template after a successful reconcile.
pub use flotilla_runtime::Action;

/// Identifies a resource template: apiVersion, kind, namespace (empty for cluster-scoped) and
/// name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TemplateKey {
    /// apiVersion, e.g. `apps/v1`.
    pub api_version: String,
    /// Kind, e.g. `Deployment`.
    pub kind: String,
    /// Namespace; empty for cluster-scoped templates.
    pub namespace: String,
    /// Name.
    pub name: String,
}

impl fmt::Display for TemplateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {}",
            self.api_version,
            self.kind,
            names::namespaced_key(&self.namespace, &self.name)
        )
    }
}

/// Identifies a binding: namespace (`None` for a ClusterResourceBinding) and name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct BindingKey {
    namespace: Option<String>,
    name: String,
}

impl BindingKey {
    fn of_template(key: &TemplateKey) -> Self {
        BindingKey {
            namespace: (!key.namespace.is_empty()).then(|| key.namespace.clone()),
            name: names::binding_name(&key.name, &key.kind),
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
enum StoredBinding {
    Namespaced(Arc<ResourceBinding>),
    Cluster(Arc<ClusterResourceBinding>),
}

impl StoredBinding {
    fn meta(&self) -> &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
        match self {
            StoredBinding::Namespaced(b) => &b.metadata,
            StoredBinding::Cluster(b) => &b.metadata,
        }
    }

    fn spec(&self) -> &flotilla_api::work::v1alpha2::ResourceBindingSpec {
        match self {
            StoredBinding::Namespaced(b) => &b.spec,
            StoredBinding::Cluster(b) => &b.spec,
        }
    }

    fn revision(&self) -> Option<u64> {
        revision(self.meta())
    }
}

/// How long a binding the detector wrote may stand in for the cache's copy while the watch
/// catches up.
const UNOBSERVED_TTL: Duration = Duration::from_secs(30);

/// What the detector last wrote into a binding.
#[derive(Debug)]
struct Written {
    /// `spec.resource.resourceVersion` written, and the template's fingerprint at that version.
    template_version: String,
    fingerprint: u64,
    /// The binding as the write returned it, until the cache has caught up with it.
    unobserved: Option<(StoredBinding, Instant)>,
}

/// A watched template type.
struct WatchedType {
    resource: ApiResource,
    namespaced: bool,
    store: Store<DynamicObject>,
    /// Whether the first list is in the store.
    ready: AtomicBool,
}

impl WatchedType {
    fn object_ref(&self, namespace: &str, name: &str) -> ObjectRef<DynamicObject> {
        let r = ObjectRef::new_with(name, self.resource.clone());
        if self.namespaced {
            r.within(namespace)
        } else {
            r
        }
    }

    fn key_of(&self, obj: &DynamicObject) -> TemplateKey {
        TemplateKey {
            api_version: self.resource.api_version.clone(),
            kind: self.resource.kind.clone(),
            namespace: obj.metadata.namespace.clone().unwrap_or_default(),
            name: obj.metadata.name.clone().unwrap_or_default(),
        }
    }

    fn api(&self, client: Client, namespace: &str) -> Api<DynamicObject> {
        if self.namespaced {
            Api::namespaced_with(client, namespace, &self.resource)
        } else {
            Api::all_with(client, &self.resource)
        }
    }
}

struct TypeEntry {
    watched: Arc<WatchedType>,
    task: AbortHandle,
}

/// Everything the detector's tasks share.
struct Ctx {
    client: Client,
    opts: DetectorOptions,
    skipped_namespaces: Vec<Regex>,
    types: RwLock<HashMap<(String, String), TypeEntry>>,
    policies: RwLock<PolicyIndex>,
    claims: Mutex<ClaimIndex<TemplateKey>>,
    bindings: Store<ResourceBinding>,
    cluster_bindings: Store<ClusterResourceBinding>,
    written: Mutex<HashMap<BindingKey, Written>>,
    /// Templates whose claim the detector patched, with the resourceVersion the patch produced,
    /// until the cache shows it: a reconcile that reads an older copy waits for the watch
    /// instead of deciding on stale labels.
    patched: Mutex<HashMap<TemplateKey, (u64, Instant)>>,
    /// CRD name → the (group, kind) it defines.
    crd_kinds: Mutex<HashMap<String, (String, String)>>,
    queue: Arc<WorkQueue<TemplateKey>>,
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|e| e.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|e| e.into_inner())
}

fn lock<T>(lock: &Mutex<T>) -> MutexGuard<'_, T> {
    lock.lock().unwrap_or_else(|e| e.into_inner())
}

/// A resourceVersion as a number, to tell which of two copies is newer. (Kubernetes calls them
/// opaque; Flotilla's and etcd-backed kube-apiservers' are store revisions.)
fn revision(meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> Option<u64> {
    meta.resource_version.as_deref()?.parse().ok()
}

fn is_status(err: &kube::Error, code: u16) -> bool {
    matches!(err, kube::Error::Api(status) if status.code == code)
}

static NO_STRINGS: BTreeMap<String, String> = BTreeMap::new();

impl Ctx {
    fn namespace_skipped(&self, namespace: &str) -> bool {
        is_skipped_namespace(namespace, &self.skipped_namespaces)
    }

    fn watched_type(&self, api_version: &str, kind: &str) -> Option<Arc<WatchedType>> {
        read(&self.types)
            .get(&(api_version.to_owned(), kind.to_owned()))
            .map(|t| Arc::clone(&t.watched))
    }

    // ----- events ------------------------------------------------------------------------------

    fn on_template_event(
        &self,
        ty: &WatchedType,
        writer: &mut Writer<DynamicObject>,
        event: watcher::Event<DynamicObject>,
    ) {
        match &event {
            watcher::Event::Apply(obj) | watcher::Event::Delete(obj) => {
                writer.apply_watcher_event(&event);
                let key = ty.key_of(obj);
                if self.namespace_skipped(&key.namespace) {
                    return;
                }
                if matches!(event, watcher::Event::Apply(_)) {
                    let claim = claims_of(obj).effective().policy();
                    lock(&self.claims).set(&key, claim);
                    let mut patched = lock(&self.patched);
                    if patched
                        .get(&key)
                        .is_some_and(|(rv, _)| revision(&obj.metadata) >= Some(*rv))
                    {
                        patched.remove(&key);
                    }
                } else {
                    lock(&self.claims).remove(&key);
                    lock(&self.patched).remove(&key);
                }
                self.queue.add(key);
            }
            watcher::Event::Init | watcher::Event::InitApply(_) => {
                writer.apply_watcher_event(&event)
            }
            watcher::Event::InitDone => {
                // A (re)list: everything listed is (re)considered, and whatever was there before
                // but is not any more was deleted while the watch was down.
                let mut vanished: HashSet<TemplateKey> =
                    ty.store.state().iter().map(|o| ty.key_of(o)).collect();
                writer.apply_watcher_event(&event);
                ty.ready.store(true, Ordering::SeqCst);
                let listed = ty.store.state();
                let mut claims = lock(&self.claims);
                for obj in &listed {
                    let key = ty.key_of(obj);
                    vanished.remove(&key);
                    if self.namespace_skipped(&key.namespace) {
                        continue;
                    }
                    claims.set(&key, claims_of(obj).effective().policy());
                    self.queue.add(key);
                }
                for key in vanished {
                    claims.remove(&key);
                    self.queue.add(key);
                }
                debug!(resource = %ty.resource.api_version, kind = %ty.resource.kind, objects = listed.len(), "listed templates");
            }
        }
    }

    fn on_policy_upsert(&self, entry: Arc<PolicyEntry>) {
        let previous = write(&self.policies).upsert(Arc::clone(&entry));
        if previous.is_some_and(|p| same_effect(&p, &entry)) {
            return;
        }
        debug!(policy = %entry.policy, "policy changed");
        self.enqueue_policy_targets(&entry);
    }

    fn on_policy_delete(&self, policy: &PolicyRef) {
        write(&self.policies).remove(policy);
        debug!(%policy, "policy deleted");
        self.enqueue_claimed_by(policy);
    }

    fn on_policies_listed(&self, kind: PolicyKind, entries: Vec<Arc<PolicyEntry>>) {
        let (changed, removed) = {
            let mut index = write(&self.policies);
            let mut gone: HashSet<PolicyRef> =
                index.of_kind(kind).map(|p| p.policy.clone()).collect();
            let mut changed = Vec::new();
            for entry in entries {
                gone.remove(&entry.policy);
                let previous = index.upsert(Arc::clone(&entry));
                if !previous.is_some_and(|p| same_effect(&p, &entry)) {
                    changed.push(entry);
                }
            }
            for policy in &gone {
                index.remove(policy);
            }
            (changed, gone)
        };
        for entry in &changed {
            self.enqueue_policy_targets(entry);
        }
        for policy in &removed {
            self.enqueue_claimed_by(policy);
        }
    }

    fn enqueue_claimed_by(&self, policy: &PolicyRef) {
        for key in lock(&self.claims).templates_of(policy) {
            self.queue.add(key);
        }
    }

    /// Enqueues what a new or changed policy may affect: the templates it claims and those its
    /// selectors select.
    fn enqueue_policy_targets(&self, entry: &PolicyEntry) {
        self.enqueue_claimed_by(&entry.policy);
        let types = read(&self.types);
        for selector in &entry.selectors {
            let Some(ty) = types.get(&(selector.api_version.clone(), selector.kind.clone())) else {
                continue;
            };
            let ty = &ty.watched;
            let namespace = match entry.policy.kind {
                PolicyKind::Propagation => Some(entry.policy.namespace.as_str()),
                PolicyKind::ClusterPropagation => selector.namespace.as_deref(),
            };
            if let Some(name) = &selector.name
                && (namespace.is_some() || !ty.namespaced)
            {
                if let Some(obj) = ty
                    .store
                    .get(&ty.object_ref(namespace.unwrap_or_default(), name))
                {
                    self.queue.add(ty.key_of(&obj));
                }
                continue;
            }
            for obj in ty.store.state() {
                let key = ty.key_of(&obj);
                if namespace.is_some_and(|ns| ns != key.namespace)
                    || self.namespace_skipped(&key.namespace)
                {
                    continue;
                }
                let claims = Claims::default();
                let template = Template {
                    api_version: &key.api_version,
                    kind: &key.kind,
                    namespace: &key.namespace,
                    name: &key.name,
                    labels: obj.metadata.labels.as_ref().unwrap_or(&NO_STRINGS),
                    claims: &claims,
                };
                if entry.matches(&template) {
                    self.queue.add(key);
                }
            }
        }
    }

    fn on_binding_event(&self, key: BindingKey, binding: &StoredBinding, deleted: bool) {
        let mut written = lock(&self.written);
        if deleted {
            written.remove(&key);
            drop(written);
            // Someone deleted a binding whose template may still be claimed: reconcile it.
            let r = &binding.spec().resource;
            if !r.name.is_empty() {
                self.queue.add(TemplateKey {
                    api_version: r.api_version.clone(),
                    kind: r.kind.clone(),
                    namespace: r.namespace.clone().unwrap_or_default(),
                    name: r.name.clone(),
                });
            }
        } else if let Some(w) = written.get_mut(&key)
            && let Some((ours, _)) = &w.unobserved
            && binding.revision() >= ours.revision()
        {
            w.unobserved = None;
        }
    }

    /// Whether the cached copy of a template is older than the detector's own last patch of it.
    fn cache_behind(&self, key: &TemplateKey, obj: &DynamicObject) -> bool {
        let mut patched = lock(&self.patched);
        match patched.get(key) {
            Some((_, at)) if at.elapsed() >= UNOBSERVED_TTL => {
                patched.remove(key);
                false
            }
            Some((rv, _)) => revision(&obj.metadata).is_none_or(|cached| cached < *rv),
            None => false,
        }
    }

    fn resync(&self) {
        let types: Vec<Arc<WatchedType>> = read(&self.types)
            .values()
            .map(|t| Arc::clone(&t.watched))
            .collect();
        let mut n = 0;
        for ty in types.iter().filter(|t| t.ready.load(Ordering::SeqCst)) {
            for obj in ty.store.state() {
                let key = ty.key_of(&obj);
                if !self.namespace_skipped(&key.namespace) {
                    self.queue.add(key);
                    n += 1;
                }
            }
        }
        debug!(templates = n, "resync");
    }

    // ----- bindings ----------------------------------------------------------------------------

    /// The freshest binding known: the cache's, or the one the detector just wrote if the cache
    /// has not seen it yet.
    fn current_binding(&self, key: &BindingKey) -> Option<StoredBinding> {
        let cached = match &key.namespace {
            Some(ns) => self
                .bindings
                .get(&ObjectRef::new(&key.name).within(ns))
                .map(StoredBinding::Namespaced),
            None => self
                .cluster_bindings
                .get(&ObjectRef::new(&key.name))
                .map(StoredBinding::Cluster),
        };
        let ours = lock(&self.written)
            .get(key)
            .and_then(|w| w.unobserved.clone())
            .filter(|(_, at)| at.elapsed() < UNOBSERVED_TTL)
            .map(|(b, _)| b);
        match (cached, ours) {
            (Some(cached), Some(ours)) if ours.revision() > cached.revision() => Some(ours),
            (Some(cached), _) => Some(cached),
            (None, ours) => ours,
        }
    }

    /// Whether the template only changed in ways its binding does not reflect (its status),
    /// since the detector wrote the binding's current `spec.resource.resourceVersion`.
    fn only_status_changed(
        &self,
        key: &BindingKey,
        stored_version: Option<&str>,
        fingerprint: u64,
    ) -> bool {
        lock(&self.written).get(key).is_some_and(|w| {
            Some(w.template_version.as_str()) == stored_version && w.fingerprint == fingerprint
        })
    }

    async fn apply_binding(&self, desired: &DesiredBinding) -> Result<StoredBinding, Error> {
        let params = PatchParams::apply(FIELD_MANAGER).force();
        let key = BindingKey {
            namespace: desired.namespace.clone(),
            name: desired.name.clone(),
        };
        let result = match &desired.namespace {
            Some(ns) => Api::<ResourceBinding>::namespaced(self.client.clone(), ns)
                .patch(
                    &desired.name,
                    &params,
                    &Patch::Apply(desired.to_resource_binding()),
                )
                .await
                .map(|b| StoredBinding::Namespaced(Arc::new(b))),
            None => Api::<ClusterResourceBinding>::all(self.client.clone())
                .patch(
                    &desired.name,
                    &params,
                    &Patch::Apply(desired.to_cluster_resource_binding()),
                )
                .await
                .map(|b| StoredBinding::Cluster(Arc::new(b))),
        };
        result.map_err(|source| Error::Binding {
            action: "apply",
            binding: key.to_string(),
            source,
        })
    }

    async fn get_binding(&self, key: &BindingKey) -> Result<Option<StoredBinding>, Error> {
        let result = match &key.namespace {
            Some(ns) => Api::<ResourceBinding>::namespaced(self.client.clone(), ns)
                .get_opt(&key.name)
                .await
                .map(|b| b.map(|b| StoredBinding::Namespaced(Arc::new(b)))),
            None => Api::<ClusterResourceBinding>::all(self.client.clone())
                .get_opt(&key.name)
                .await
                .map(|b| b.map(|b| StoredBinding::Cluster(Arc::new(b)))),
        };
        result.map_err(|source| Error::Binding {
            action: "get",
            binding: key.to_string(),
            source,
        })
    }

    async fn delete_binding(&self, key: &BindingKey, uid: Option<String>) -> Result<(), Error> {
        let params = DeleteParams {
            preconditions: Some(Preconditions {
                uid,
                resource_version: None,
            }),
            ..Default::default()
        };
        let result = match &key.namespace {
            Some(ns) => Api::<ResourceBinding>::namespaced(self.client.clone(), ns)
                .delete(&key.name, &params)
                .await
                .map(|_| ()),
            None => Api::<ClusterResourceBinding>::all(self.client.clone())
                .delete(&key.name, &params)
                .await
                .map(|_| ()),
        };
        lock(&self.written).remove(key);
        match result {
            // Gone already, or replaced by a binding of a newer template.
            Err(e) if is_status(&e, 404) || is_status(&e, 409) => Ok(()),
            other => other.map_err(|source| Error::Binding {
                action: "delete",
                binding: key.to_string(),
                source,
            }),
        }
    }

    async fn unclaim_binding(
        &self,
        key: &BindingKey,
        binding: &StoredBinding,
    ) -> Result<(), Error> {
        let meta = binding.meta();
        let Some(patch) = claim_patch(
            meta.labels.as_ref().unwrap_or(&NO_STRINGS),
            meta.annotations.as_ref().unwrap_or(&NO_STRINGS),
            &Claim::None,
        ) else {
            return Ok(());
        };
        let params = PatchParams {
            field_manager: Some(FIELD_MANAGER.to_owned()),
            ..Default::default()
        };
        let result = match &key.namespace {
            Some(ns) => Api::<ResourceBinding>::namespaced(self.client.clone(), ns)
                .patch(&key.name, &params, &Patch::Merge(&patch))
                .await
                .map(|_| ()),
            None => Api::<ClusterResourceBinding>::all(self.client.clone())
                .patch(&key.name, &params, &Patch::Merge(&patch))
                .await
                .map(|_| ()),
        };
        lock(&self.written).remove(key);
        match result {
            Err(e) if is_status(&e, 404) => Ok(()),
            other => other.map_err(|source| Error::Binding {
                action: "patch",
                binding: key.to_string(),
                source,
            }),
        }
    }

    // ----- reconcile steps ---------------------------------------------------------------------

    /// The template is claimed by `policy`: make the claim and the binding what they should be.
    /// Merge-patches the claim keys of a template, guarded by the resourceVersion it was read at:
    /// a claim decided on a stale cache must not overwrite a newer one (a 409 sends the key back
    /// to the queue, by which time the cache has caught up).
    async fn patch_template_claim(
        &self,
        key: &TemplateKey,
        ty: &WatchedType,
        obj: &DynamicObject,
        mut patch: serde_json::Value,
    ) -> Result<Option<DynamicObject>, Error> {
        if let Some(rv) = &obj.metadata.resource_version {
            patch["metadata"]["resourceVersion"] = serde_json::Value::String(rv.clone());
        }
        let params = PatchParams {
            field_manager: Some(FIELD_MANAGER.to_owned()),
            ..Default::default()
        };
        match ty
            .api(self.client.clone(), &key.namespace)
            .patch(&key.name, &params, &Patch::Merge(&patch))
            .await
        {
            Ok(patched) => {
                if let Some(rv) = revision(&patched.metadata) {
                    lock(&self.patched).insert(key.clone(), (rv, Instant::now()));
                }
                Ok(Some(patched))
            }
            // Deleted meanwhile: its delete event brings the key back.
            Err(e) if is_status(&e, 404) => Ok(None),
            Err(source) => Err(Error::Claim {
                template: key.to_string(),
                source,
            }),
        }
    }

    async fn propagate(
        &self,
        key: &TemplateKey,
        ty: &WatchedType,
        mut obj: Arc<DynamicObject>,
        policy: &PolicyEntry,
    ) -> Result<Action, Error> {
        let claim = policy.claim();
        if let Some(patch) = claim_patch(
            obj.metadata.labels.as_ref().unwrap_or(&NO_STRINGS),
            obj.metadata.annotations.as_ref().unwrap_or(&NO_STRINGS),
            &claim,
        ) {
            match self.patch_template_claim(key, ty, &obj, patch).await? {
                Some(patched) => {
                    info!(policy = %policy.policy, "claimed template");
                    obj = Arc::new(patched);
                }
                None => return Ok(Action::AwaitChange),
            }
        }

        let template = TemplateObject {
            api_version: &key.api_version,
            kind: &key.kind,
            namespace: &key.namespace,
            name: &key.name,
            uid: obj.metadata.uid.as_deref().unwrap_or_default(),
            resource_version: obj.metadata.resource_version.as_deref().unwrap_or_default(),
            data: &obj.data,
        };
        let desired = build_binding(&template, policy).map_err(|source| Error::Interpret {
            template: key.to_string(),
            source,
        })?;
        let binding_key = BindingKey {
            namespace: desired.namespace.clone(),
            name: desired.name.clone(),
        };
        let fingerprint = template_fingerprint(&obj.metadata, &obj.data);
        let current = self.current_binding(&binding_key);
        if let Some(current) = &current {
            if let Some(owner) = desired.foreign_controller(current.meta()) {
                // A binding left by a deleted template of the same identity goes now rather than
                // when the garbage collector gets to it; any other controller is a name clash,
                // retried until it resolves (as Karmada does).
                if desired.is_previous_incarnation(owner) {
                    self.delete_binding(&binding_key, current.meta().uid.clone())
                        .await?;
                    info!(binding = %binding_key, owner_uid = %owner.uid, "deleted binding of a previous template");
                }
                return Err(Error::ForeignBinding {
                    binding: binding_key.to_string(),
                    owner_uid: owner.uid.clone(),
                });
            }
            if desired.in_sync(current.meta(), current.spec())
                && (desired.resource_version_current(current.spec())
                    || self.only_status_changed(
                        &binding_key,
                        current.spec().resource.resource_version.as_deref(),
                        fingerprint,
                    ))
            {
                debug!(binding = %binding_key, "binding up to date");
                return Ok(Action::AwaitChange);
            }
        }

        let stored = self.apply_binding(&desired).await?;
        info!(
            binding = %binding_key,
            policy = %policy.policy,
            replicas = desired.spec.replicas,
            "{} binding",
            if current.is_some() { "updated" } else { "created" },
        );
        lock(&self.written).insert(
            binding_key,
            Written {
                template_version: template.resource_version.to_owned(),
                fingerprint,
                unobserved: Some((stored, Instant::now())),
            },
        );
        Ok(Action::AwaitChange)
    }

    /// No policy selects the template. If it is claimed, release it: first its binding (so that
    /// a failure in between leaves the template claimed and this step is retried), then the
    /// template.
    async fn release(
        &self,
        key: &TemplateKey,
        ty: &WatchedType,
        obj: &DynamicObject,
        claims: &Claims,
    ) -> Result<Action, Error> {
        let Some(policy) = claims.effective().policy() else {
            // Unmatched and unclaimed: not ours to touch.
            return Ok(Action::AwaitChange);
        };
        let claim_labels: Vec<(&str, &str)> = [&claims.propagation, &claims.cluster]
            .into_iter()
            .flatten()
            .filter_map(Claim::label)
            .collect();

        let binding_key = BindingKey::of_template(key);
        if let Some(binding) = self.get_binding(&binding_key).await? {
            let meta = binding.meta();
            let carries_claim = claim_labels.iter().any(|(k, v)| {
                meta.labels
                    .as_ref()
                    .and_then(|l| l.get(*k))
                    .map(String::as_str)
                    == Some(*v)
            });
            if carries_claim
                && binding_refers_to(
                    binding.spec(),
                    &key.api_version,
                    &key.kind,
                    &key.namespace,
                    &key.name,
                )
            {
                match self.opts.released_bindings {
                    ReleasedBindings::Keep => {
                        self.unclaim_binding(&binding_key, &binding).await?;
                        info!(binding = %binding_key, %policy, "released binding");
                    }
                    ReleasedBindings::Delete => {
                        self.delete_binding(&binding_key, meta.uid.clone()).await?;
                        info!(binding = %binding_key, %policy, "deleted binding of released template");
                    }
                }
            }
        }

        let patch = claim_patch(
            obj.metadata.labels.as_ref().unwrap_or(&NO_STRINGS),
            obj.metadata.annotations.as_ref().unwrap_or(&NO_STRINGS),
            &Claim::None,
        );
        if let Some(patch) = patch
            && self
                .patch_template_claim(key, ty, obj, patch)
                .await?
                .is_some()
        {
            info!(%policy, "released template");
        }
        Ok(Action::AwaitChange)
    }

    /// The template is gone: so is the binding it controlled. (One it no longer controls, because
    /// it was deleted with `propagationPolicy: Orphan`, is left alone.)
    async fn template_gone(&self, key: &TemplateKey) -> Result<Action, Error> {
        let binding_key = BindingKey::of_template(key);
        let Some(binding) = self.current_binding(&binding_key) else {
            lock(&self.written).remove(&binding_key);
            return Ok(Action::AwaitChange);
        };
        if binding_refers_to(
            binding.spec(),
            &key.api_version,
            &key.kind,
            &key.namespace,
            &key.name,
        ) && controlled_by_template(binding.meta(), &key.api_version, &key.kind, &key.name)
        {
            self.delete_binding(&binding_key, binding.meta().uid.clone())
                .await?;
            info!(binding = %binding_key, "deleted binding of deleted template");
        }
        Ok(Action::AwaitChange)
    }
}

/// Whether objects in `namespace` are never templates: the reserved namespaces and those
/// matching a skipped pattern. Cluster-scoped objects (empty namespace) never are skipped here.
fn is_skipped_namespace(namespace: &str, patterns: &[Regex]) -> bool {
    !namespace.is_empty()
        && (names::is_reserved_namespace(namespace)
            || patterns.iter().any(|re| re.is_match(namespace)))
}

fn claims_of(obj: &DynamicObject) -> Claims {
    Claims::read(
        obj.metadata.labels.as_ref().unwrap_or(&NO_STRINGS),
        obj.metadata.annotations.as_ref().unwrap_or(&NO_STRINGS),
    )
}

/// Whether a policy update changes nothing the detector acts on.
fn same_effect(a: &PolicyEntry, b: &PolicyEntry) -> bool {
    a.permanent_id == b.permanent_id && a.deleting == b.deleting && a.spec == b.spec
}

/// Reconciles one template: chooses its policy and claims it and applies its binding, or
/// releases it, or — if it is gone — deletes its binding. Safe to run any number of times.
async fn reconcile(key: &TemplateKey, ctx: &Ctx) -> Result<Action, Error> {
    let Some(ty) = ctx.watched_type(&key.api_version, &key.kind) else {
        // No longer served (a removed CRD): its objects are gone and the garbage collector
        // removes their bindings.
        debug!("template type is no longer watched");
        return Ok(Action::AwaitChange);
    };
    if !ty.ready.load(Ordering::SeqCst) {
        return Ok(Action::Requeue(Duration::from_secs(1)));
    }
    if ctx.namespace_skipped(&key.namespace) {
        return Ok(Action::AwaitChange);
    }
    let Some(obj) = ty.store.get(&ty.object_ref(&key.namespace, &key.name)) else {
        return ctx.template_gone(key).await;
    };
    let labels = obj.metadata.labels.as_ref().unwrap_or(&NO_STRINGS);
    if labels.contains_key(labels::RESOURCE_TEMPLATE_CLAIMED_BY) {
        debug!("template is claimed by another component");
        return Ok(Action::AwaitChange);
    }
    if ctx.cache_behind(key, &obj) {
        // The watch event of the detector's own patch is on its way and will bring the key back.
        debug!("cache is behind the detector's last patch; waiting for it");
        return Ok(Action::AwaitChange);
    }
    if obj.metadata.deletion_timestamp.is_some() {
        // Being deleted: its binding goes with it (the garbage collector may be deleting it
        // right now, in the foreground); recreating or re-claiming anything would fight that.
        debug!("template is being deleted");
        return Ok(Action::AwaitChange);
    }
    let claims = claims_of(&obj);
    let chosen = {
        let template = Template {
            api_version: &key.api_version,
            kind: &key.kind,
            namespace: &key.namespace,
            name: &key.name,
            labels,
            claims: &claims,
        };
        let index = read(&ctx.policies);
        let (pps, cpps) = index.candidates(&template);
        select_policy(&template, &pps, &cpps).map(|m| {
            match m.reason {
                MatchReason::Claimed => {
                    debug!(policy = %m.policy.policy, "template stays with its policy")
                }
                MatchReason::Best { explicit, implicit } => {
                    debug!(policy = %m.policy.policy, explicit, ?implicit, "policy matched")
                }
            }
            Arc::clone(m.policy)
        })
    };
    match chosen {
        Some(policy) => ctx.propagate(key, &ty, obj, &policy).await,
        None => ctx.release(key, &ty, &obj, &claims).await,
    }
}

// ----- tasks ---------------------------------------------------------------------------------------

/// Reconciles a template taken from the queue, in its own span.
async fn reconcile_key(ctx: Arc<Ctx>, key: TemplateKey) -> Result<Action, Error> {
    let span = info_span!("reconcile", template = %key);
    reconcile(&key, &ctx).instrument(span).await
}

/// Logs a failed reconcile: conflicts (a stale cache) are routine.
fn log_failure(key: &TemplateKey, err: &Error, retry_in: Option<Duration>) {
    if err.is_conflict() {
        debug!(template = %key, error = %err, ?retry_in, "stale cache; retrying");
    } else {
        warn!(template = %key, error = %err, ?retry_in, "reconcile failed");
    }
}

async fn watch_templates(ctx: Arc<Ctx>, ty: Arc<WatchedType>, mut writer: Writer<DynamicObject>) {
    let api: Api<DynamicObject> = Api::all_with(ctx.client.clone(), &ty.resource);
    let mut events = watcher(api, watcher::Config::default())
        .default_backoff()
        .boxed();
    while let Some(event) = events.next().await {
        match event {
            Ok(event) => ctx.on_template_event(&ty, &mut writer, event),
            Err(err) => {
                warn!(resource = %ty.resource.api_version, kind = %ty.resource.kind, error = %err, "template watch failed")
            }
        }
    }
}

async fn watch_policies<K>(
    ctx: Arc<Ctx>,
    kind: PolicyKind,
    entry: fn(&K) -> PolicyEntry,
    ready: watch::Sender<bool>,
) where
    K: Resource<DynamicType = ()>
        + Clone
        + serde::de::DeserializeOwned
        + fmt::Debug
        + Send
        + 'static,
{
    let api: Api<K> = Api::all(ctx.client.clone());
    let mut events = watcher(api, watcher::Config::default())
        .default_backoff()
        .boxed();
    let mut listed = Vec::new();
    while let Some(event) = events.next().await {
        match event {
            Ok(watcher::Event::Apply(p)) => ctx.on_policy_upsert(Arc::new(entry(&p))),
            Ok(watcher::Event::Delete(p)) => ctx.on_policy_delete(&entry(&p).policy),
            Ok(watcher::Event::Init) => listed.clear(),
            Ok(watcher::Event::InitApply(p)) => listed.push(Arc::new(entry(&p))),
            Ok(watcher::Event::InitDone) => {
                ctx.on_policies_listed(kind, std::mem::take(&mut listed));
                ready.send_replace(true);
            }
            Err(err) => warn!(?kind, error = %err, "policy watch failed"),
        }
    }
}

async fn watch_bindings<K>(ctx: Arc<Ctx>, writer: Writer<K>, stored: fn(Arc<K>) -> StoredBinding)
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
        ctx.on_binding_event(key, &stored(Arc::new(obj)), deleted);
    }
}

/// The (group, kind) a CRD object defines.
fn crd_kind(crd: &DynamicObject) -> Option<(String, String)> {
    let group = crd.data.pointer("/spec/group")?.as_str()?;
    let kind = crd.data.pointer("/spec/names/kind")?.as_str()?;
    Some((group.to_owned(), kind.to_owned()))
}

/// Watches CRDs: keeps the set of kinds they define, and wakes discovery whenever one changes.
async fn watch_crds(ctx: Arc<Ctx>, changed: Arc<Notify>) {
    let resource = ApiResource::erase::<CustomResourceDefinition>(&());
    let api: Api<DynamicObject> = Api::all_with(ctx.client.clone(), &resource);
    let mut events = watcher(api, watcher::Config::default())
        .default_backoff()
        .boxed();
    let mut listed = HashMap::new();
    while let Some(event) = events.next().await {
        match event {
            Ok(watcher::Event::Apply(crd)) => {
                if let Some(kind) = crd_kind(&crd) {
                    lock(&ctx.crd_kinds)
                        .insert(crd.metadata.name.clone().unwrap_or_default(), kind);
                }
                changed.notify_one();
            }
            Ok(watcher::Event::Delete(crd)) => {
                lock(&ctx.crd_kinds).remove(crd.metadata.name.as_deref().unwrap_or_default());
                changed.notify_one();
            }
            Ok(watcher::Event::Init) => listed.clear(),
            Ok(watcher::Event::InitApply(crd)) => {
                if let Some(kind) = crd_kind(&crd) {
                    listed.insert(crd.metadata.name.clone().unwrap_or_default(), kind);
                }
            }
            Ok(watcher::Event::InitDone) => {
                *lock(&ctx.crd_kinds) = std::mem::take(&mut listed);
                changed.notify_one();
            }
            Err(err) => warn!(error = %err, "CRD watch failed"),
        }
    }
}

/// Runs discovery and makes the set of watched template types match it: new types get a
/// watcher, types no longer served lose theirs. Types are only removed after a discovery that
/// succeeded. Returns the CRD kinds that exist but are not served yet (a CRD is served a moment
/// after it is created), for which discovery must run again soon.
async fn discover(ctx: &Arc<Ctx>) -> Result<Vec<(String, String)>, Error> {
    let discovery = Discovery::new(ctx.client.clone())
        .run()
        .await
        .map_err(Error::Discovery)?;
    let mut served: HashSet<(String, String)> = HashSet::new();
    let mut wanted: HashMap<(String, String), (ApiResource, bool)> = HashMap::new();
    for group in discovery.groups() {
        for version in group.versions() {
            for (resource, _) in group.versioned_resources(version) {
                served.insert((resource.group, resource.kind));
            }
        }
        for (resource, caps) in group.recommended_resources() {
            if ctx.opts.watches(&resource, &caps) {
                wanted.insert(
                    (resource.api_version.clone(), resource.kind.clone()),
                    (resource, caps.scope == Scope::Namespaced),
                );
            }
        }
    }
    let not_served: Vec<(String, String)> = lock(&ctx.crd_kinds)
        .values()
        .filter(|kind| !served.contains(*kind))
        .cloned()
        .collect();
    let mut types = write(&ctx.types);
    types.retain(|(api_version, kind), entry| {
        let keep = wanted
            .get(&(api_version.clone(), kind.clone()))
            .is_some_and(|(resource, _)| *resource == entry.watched.resource);
        if !keep {
            entry.task.abort();
            info!(resource = %api_version, %kind, "stopped watching templates");
        }
        keep
    });
    for (gvk, (resource, namespaced)) in wanted {
        if types.contains_key(&gvk) {
            continue;
        }
        let writer = Writer::new(resource.clone());
        let store = writer.as_reader();
        let watched = Arc::new(WatchedType {
            resource,
            namespaced,
            store,
            ready: AtomicBool::new(false),
        });
        let task = tokio::spawn(watch_templates(
            Arc::clone(ctx),
            Arc::clone(&watched),
            writer,
        ))
        .abort_handle();
        info!(resource = %gvk.0, kind = %gvk.1, "watching templates");
        types.insert(gvk, TypeEntry { watched, task });
    }
    Ok(not_served)
}

/// Runs discovery at start, on every CRD change and periodically; after a failure, or while a
/// CRD is not served yet, again soon (100ms, doubling up to the rediscovery period).
async fn discovery_loop(ctx: Arc<Ctx>, crds_changed: Arc<Notify>) {
    let period = ctx.opts.rediscovery_period;
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut retry: Option<Duration> = None;
    loop {
        let soon = async {
            match retry {
                Some(after) => tokio::time::sleep(after).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = tick.tick() => {}
            _ = crds_changed.notified() => {}
            _ = soon => {}
        }
        let again = |retry: Option<Duration>| {
            Some(retry.map_or(Duration::from_millis(100), |d| (d * 2).min(period)))
        };
        retry = match discover(&ctx).await {
            Ok(not_served) if not_served.is_empty() => None,
            Ok(not_served) => {
                debug!(?not_served, "CRDs not served yet; discovering again soon");
                again(retry)
            }
            Err(err) => {
                warn!(error = %err, "discovery failed; keeping the watched types");
                again(retry)
            }
        };
    }
}

/// Runs the resource detector until `shutdown` resolves. Watches and retries never end the
/// detector; the only error is invalid options.
pub async fn run_detector(
    client: Client,
    opts: DetectorOptions,
    shutdown: impl Future<Output = ()>,
) -> Result<(), Error> {
    opts.validate()?;
    let skipped_namespaces = opts.namespace_patterns()?;
    let (bindings, binding_writer) = reflector::store::<ResourceBinding>();
    let (cluster_bindings, cluster_binding_writer) = reflector::store::<ClusterResourceBinding>();
    let queue = opts.queue.queue();
    let workers = opts.queue.workers;
    let ctx = Arc::new(Ctx {
        client: client.clone(),
        opts,
        skipped_namespaces,
        types: RwLock::new(HashMap::new()),
        policies: RwLock::new(PolicyIndex::default()),
        claims: Mutex::new(ClaimIndex::default()),
        bindings: bindings.clone(),
        cluster_bindings: cluster_bindings.clone(),
        written: Mutex::new(HashMap::new()),
        crd_kinds: Mutex::new(HashMap::new()),
        patched: Mutex::new(HashMap::new()),
        queue,
    });
    info!(workers, "starting the resource detector");

    let mut background = JoinSet::new();
    let (pp_ready, mut pp_ready_rx) = watch::channel(false);
    let (cpp_ready, mut cpp_ready_rx) = watch::channel(false);
    background.spawn(watch_policies::<PropagationPolicy>(
        Arc::clone(&ctx),
        PolicyKind::Propagation,
        PolicyEntry::from_propagation_policy,
        pp_ready,
    ));
    background.spawn(watch_policies::<ClusterPropagationPolicy>(
        Arc::clone(&ctx),
        PolicyKind::ClusterPropagation,
        PolicyEntry::from_cluster_propagation_policy,
        cpp_ready,
    ));
    background.spawn(watch_bindings(
        Arc::clone(&ctx),
        binding_writer,
        StoredBinding::Namespaced,
    ));
    background.spawn(watch_bindings(
        Arc::clone(&ctx),
        cluster_binding_writer,
        StoredBinding::Cluster,
    ));
    let crds_changed = Arc::new(Notify::new());
    background.spawn(watch_crds(Arc::clone(&ctx), Arc::clone(&crds_changed)));
    background.spawn(discovery_loop(Arc::clone(&ctx), crds_changed));
    let c = Arc::clone(&ctx);
    background.spawn(resync(ctx.opts.resync_period, move || c.resync()));

    let caches_filled = async {
        let _ = pp_ready_rx.wait_for(|ready| *ready).await;
        let _ = cpp_ready_rx.wait_for(|ready| *ready).await;
        let _ = bindings.wait_until_ready().await;
        let _ = cluster_bindings.wait_until_ready().await;
    };
    tokio::pin!(shutdown);
    let mut pool = JoinSet::new();
    tokio::select! {
        _ = &mut shutdown => {}
        _ = caches_filled => {
            info!(policies = read(&ctx.policies).len(), "caches filled; reconciling");
            spawn_workers(&mut pool, workers, &ctx.queue, &ctx, reconcile_key, log_failure);
            shutdown.await;
        }
    }

    info!("stopping the resource detector");
    ctx.queue.shut_down();
    background.abort_all();
    for entry in write(&ctx.types).drain() {
        entry.1.task.abort();
    }
    // Let in-flight reconciles finish: each is a handful of requests.
    while pool.join_next().await.is_some() {}
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skipped_namespaces() {
        let opts = DetectorOptions::default();
        let patterns = opts.namespace_patterns().unwrap();
        struct Case {
            namespace: &'static str,
            skipped: bool,
        }
        let cases = [
            Case {
                namespace: "",
                skipped: false,
            },
            Case {
                namespace: "default",
                skipped: false,
            },
            Case {
                namespace: "prod",
                skipped: false,
            },
            Case {
                namespace: "karmada-system",
                skipped: true,
            },
            Case {
                namespace: "karmada-cluster",
                skipped: true,
            },
            Case {
                namespace: "karmada-es-member1",
                skipped: true,
            },
            Case {
                namespace: "kube-system",
                skipped: true,
            },
            Case {
                namespace: "kube-public",
                skipped: true,
            },
            Case {
                namespace: "my-kube-stuff",
                skipped: false,
            },
            Case {
                namespace: "kubeflow",
                skipped: false,
            },
        ];
        for case in cases {
            assert_eq!(
                is_skipped_namespace(case.namespace, &patterns),
                case.skipped,
                "{:?}",
                case.namespace
            );
        }
    }

    #[test]
    fn watched_resources() {
        let opts = DetectorOptions::default();
        let all_verbs = ApiCapabilities {
            scope: Scope::Namespaced,
            subresources: vec![],
            operations: [
                "create", "delete", "get", "list", "patch", "update", "watch",
            ]
            .map(str::to_owned)
            .to_vec(),
        };
        let resource = |group: &str, version: &str, kind: &str| ApiResource {
            group: group.to_owned(),
            version: version.to_owned(),
            api_version: if group.is_empty() {
                version.to_owned()
            } else {
                format!("{group}/{version}")
            },
            kind: kind.to_owned(),
            plural: format!("{}s", kind.to_lowercase()),
        };
        struct Case {
            name: &'static str,
            resource: ApiResource,
            caps: ApiCapabilities,
            watched: bool,
        }
        let cases = [
            Case {
                name: "deployments",
                resource: resource("apps", "v1", "Deployment"),
                caps: all_verbs.clone(),
                watched: true,
            },
            Case {
                name: "pods are propagated if selected",
                resource: resource("", "v1", "Pod"),
                caps: all_verbs.clone(),
                watched: true,
            },
            Case {
                name: "custom resources",
                resource: resource("example.com", "v1", "Widget"),
                caps: all_verbs.clone(),
                watched: true,
            },
            Case {
                name: "CRDs themselves",
                resource: resource("apiextensions.k8s.io", "v1", "CustomResourceDefinition"),
                caps: all_verbs.clone(),
                watched: true,
            },
            Case {
                name: "Karmada's policies",
                resource: resource("policy.karmada.io", "v1alpha1", "PropagationPolicy"),
                caps: all_verbs.clone(),
                watched: false,
            },
            Case {
                name: "Karmada's bindings",
                resource: resource("work.karmada.io", "v1alpha2", "ResourceBinding"),
                caps: all_verbs.clone(),
                watched: false,
            },
            Case {
                name: "Karmada's clusters",
                resource: resource("cluster.karmada.io", "v1alpha1", "Cluster"),
                caps: all_verbs.clone(),
                watched: false,
            },
            Case {
                name: "core events",
                resource: resource("", "v1", "Event"),
                caps: all_verbs.clone(),
                watched: false,
            },
            Case {
                name: "events.k8s.io",
                resource: resource("events.k8s.io", "v1", "Event"),
                caps: all_verbs.clone(),
                watched: false,
            },
            Case {
                name: "leases",
                resource: resource("coordination.k8s.io", "v1", "Lease"),
                caps: all_verbs.clone(),
                watched: false,
            },
            Case {
                name: "namespaces (the namespace controller's)",
                resource: resource("", "v1", "Namespace"),
                caps: all_verbs.clone(),
                watched: false,
            },
            Case {
                name: "nodes",
                resource: resource("", "v1", "Node"),
                caps: all_verbs.clone(),
                watched: false,
            },
            Case {
                name: "create-only resources",
                resource: resource("authorization.k8s.io", "v1", "SubjectAccessReview"),
                caps: ApiCapabilities {
                    operations: vec!["create".to_owned()],
                    ..all_verbs.clone()
                },
                watched: false,
            },
            Case {
                name: "unpatchable resources cannot be claimed",
                resource: resource("example.com", "v1", "ReadOnly"),
                caps: ApiCapabilities {
                    operations: ["get", "list", "watch"].map(str::to_owned).to_vec(),
                    ..all_verbs.clone()
                },
                watched: false,
            },
        ];
        for case in cases {
            assert_eq!(
                opts.watches(&case.resource, &case.caps),
                case.watched,
                "{}",
                case.name
            );
        }
    }

    #[test]
    fn options_are_validated() {
        assert!(DetectorOptions::default().validate().is_ok());
        let bad = [
            DetectorOptions {
                queue: QueueOptions {
                    workers: 0,
                    ..DetectorOptions::default().queue
                },
                ..Default::default()
            },
            DetectorOptions {
                resync_period: Duration::ZERO,
                ..Default::default()
            },
            DetectorOptions {
                queue: QueueOptions {
                    retry_max: Duration::from_millis(1),
                    ..DetectorOptions::default().queue
                },
                ..Default::default()
            },
            DetectorOptions {
                skipped_namespaces: vec!["(".to_owned()],
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

    #[test]
    fn keys_read_well_in_logs() {
        let key = TemplateKey {
            api_version: "apps/v1".into(),
            kind: "Deployment".into(),
            namespace: "default".into(),
            name: "nginx".into(),
        };
        assert_eq!(key.to_string(), "apps/v1 Deployment default/nginx");
        assert_eq!(
            BindingKey::of_template(&key).to_string(),
            "ResourceBinding default/nginx-deployment"
        );
        let role = TemplateKey {
            api_version: "rbac.authorization.k8s.io/v1".into(),
            kind: "ClusterRole".into(),
            namespace: String::new(),
            name: "system:view".into(),
        };
        assert_eq!(
            BindingKey::of_template(&role).to_string(),
            "ClusterResourceBinding system.view-clusterrole"
        );
    }
}
