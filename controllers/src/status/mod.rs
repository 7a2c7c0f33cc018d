//! Status aggregation: Work status → binding aggregatedStatus and FullyApplied → template `.status`.
//!
//! Karmada's `bindingStatus` controller (`pkg/controllers/status/{rb,crb}_status_controller.go`).
//! For each ResourceBinding and ClusterResourceBinding it:
//!
//! 1. collects the binding's Works — tied to it by the binding's permanent-id label
//!    (`resourcebinding.karmada.io/permanent-id`, or the `clusterresourcebinding` one) or, for
//!    Works without it, by the annotations naming the binding — the cluster of each being the one
//!    of its execution namespace `karmada-es-<cluster>`;
//! 2. writes `status.aggregatedStatus`, one item per target cluster (the scheduled clusters, the
//!    clusters of bindings requiring it, clusters being gracefully evicted from) with whether its
//!    Work is applied, the Applied condition's message when not, and the status and health the
//!    execution controller reflected for the template's object; and the `FullyApplied` condition,
//!    True when every target cluster has an applied Work. The write is a JSON merge patch of the
//!    status subresource holding only `aggregatedStatus` and `conditions` (every other condition,
//!    e.g. the scheduler's `Scheduled`, copied unchanged), guarded by the binding's
//!    resourceVersion so a concurrent scheduler write is never overwritten;
//! 3. writes the template's `.status` with [`aggregate_status`] (the kinds it knows; the status of
//!    any other kind is left alone), through the status subresource when the resource has one.
//!    The template's resource is found by discovery, cached per apiVersion and kind.
//!
//! Nothing is written when nothing changed. Work events (status changes, creations, deletions)
//! and binding events (spec or label changes) enqueue the binding; updates to one binding are
//! coalesced by the [`WorkQueue`], `workers` bindings are reconciled at once, and every binding
//! is reconciled again each `resync_period`. The template is only read when the binding's
//! aggregated statuses or template reference changed since it was last brought in line (or the
//! resync period has passed), so a steady fleet costs no requests.

pub mod aggregation;

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use flotilla_api::k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, ObjectMeta, Time};
use flotilla_api::k8s_openapi::jiff::Timestamp;
use flotilla_api::work::v1alpha1::Work;
use flotilla_api::work::v1alpha2::{
    AggregatedStatusItem, CONDITION_FULLY_APPLIED, ObjectReference, ResourceBindingSpec,
    ResourceBindingStatus,
};
use flotilla_api::{ClusterResourceBinding, ResourceBinding, labels};
use flotilla_runtime::{QueueOptions, WorkQueue, resync, spawn_workers};
use futures::StreamExt;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, Patch, PatchParams};
use kube::discovery::Scope;
use kube::runtime::reflector::{ObjectRef, Store, store::Writer};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, Resource};
use serde_json::{Value, json};
use tokio::task::JoinSet;
use tracing::{Instrument, debug, info, info_span, warn};

use self::aggregation::{
    aggregated_items, fully_applied_condition, merge_patch, same_condition, set_condition,
    target_clusters,
};
use crate::context::Context;
use crate::interpreter::{ClusterStatus, aggregate_status};

/// How long Work status events are gathered before their binding is reconciled.
const WORK_EVENT_WINDOW: std::time::Duration = std::time::Duration::from_millis(200);

/// The controller's name, as used in logs and by the controller-manager.
pub const NAME: &str = "bindingStatus";

/// The field manager of everything this controller writes.
pub const FIELD_MANAGER: &str = "flotilla-binding-status";

/// How the binding status controller runs.
#[derive(Debug, Clone)]
pub struct StatusOptions {
    /// Bindings reconciled concurrently, and the backoff of failed reconciles.
    pub queue: QueueOptions,
    /// How often every binding is reconciled again (and its template re-read) although nothing
    /// was seen to change.
    pub resync_period: Duration,
}

impl Default for StatusOptions {
    fn default() -> Self {
        StatusOptions {
            queue: QueueOptions {
                workers: 16,
                retry_base: Duration::from_millis(100),
                retry_max: Duration::from_secs(60),
            },
            resync_period: Duration::from_secs(300),
        }
    }
}

impl StatusOptions {
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

/// The binding status controller's errors.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The options do not make sense.
    #[error("invalid binding status options: {0}")]
    InvalidOptions(String),
    /// Reading or writing a binding's status failed.
    #[error("failed to {action} the status of {binding}: {source}")]
    Binding {
        /// read or patch.
        action: &'static str,
        /// The binding.
        binding: String,
        /// The API error.
        #[source]
        source: kube::Error,
    },
    /// The template's apiVersion and kind are not served.
    #[error(
        "failed to find the API resource of {api_version} {kind}: {source}; is the kind served by the federation?"
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
    /// Reading or writing the template failed.
    #[error("failed to {action} template {template}: {source}")]
    Template {
        /// read or update the status of.
        action: &'static str,
        /// The template.
        template: String,
        /// The API error.
        #[source]
        source: kube::Error,
    },
}

impl Error {
    /// Whether the error is an optimistic-concurrency conflict (retried at once by the queue's
    /// backoff; not worth a warning).
    pub fn is_conflict(&self) -> bool {
        match self {
            Error::Binding { source, .. } | Error::Template { source, .. } => {
                is_status(source, 409)
            }
            _ => false,
        }
    }
}

fn is_status(err: &kube::Error, code: u16) -> bool {
    matches!(err, kube::Error::Api(status) if status.code == code)
}

/// A resourceVersion as a number, to tell which of two copies is newer (Flotilla's, like an
/// etcd-backed kube-apiserver's, are store revisions).
fn revision(meta: &ObjectMeta) -> Option<u64> {
    meta.resource_version.as_deref()?.parse().ok()
}

fn lock<T>(lock: &Mutex<T>) -> MutexGuard<'_, T> {
    lock.lock().unwrap_or_else(|e| e.into_inner())
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

/// A binding as read from a cache or the API.
#[derive(Debug, Clone)]
enum StoredBinding {
    Namespaced(Arc<ResourceBinding>),
    Cluster(Arc<ClusterResourceBinding>),
}

static NO_STATUS: ResourceBindingStatus = ResourceBindingStatus {
    scheduler_observed_generation: None,
    scheduler_observing_affinity_name: None,
    last_scheduled_time: None,
    conditions: Vec::new(),
    aggregated_status: Vec::new(),
};

impl StoredBinding {
    fn meta(&self) -> &ObjectMeta {
        match self {
            StoredBinding::Namespaced(b) => &b.metadata,
            StoredBinding::Cluster(b) => &b.metadata,
        }
    }

    fn spec(&self) -> &ResourceBindingSpec {
        match self {
            StoredBinding::Namespaced(b) => &b.spec,
            StoredBinding::Cluster(b) => &b.spec,
        }
    }

    fn status(&self) -> &ResourceBindingStatus {
        let status = match self {
            StoredBinding::Namespaced(b) => b.status.as_ref(),
            StoredBinding::Cluster(b) => b.status.as_ref(),
        };
        status.unwrap_or(&NO_STATUS)
    }

    /// The binding's permanent id, which its Works carry as a label.
    fn permanent_id(&self) -> Option<&str> {
        let label = match self {
            StoredBinding::Namespaced(_) => labels::RESOURCE_BINDING_PERMANENT_ID,
            StoredBinding::Cluster(_) => labels::CLUSTER_RESOURCE_BINDING_PERMANENT_ID,
        };
        self.meta().labels.as_ref()?.get(label).map(String::as_str)
    }

    fn key(&self) -> BindingKey {
        BindingKey {
            namespace: self.meta().namespace.clone(),
            name: self.meta().name.clone().unwrap_or_default(),
        }
    }
}

/// A Work's namespace and name.
type WorkRef = (String, String);

/// The binding a Work belongs to, as the Work says: by the annotations naming it and by the
/// permanent-id label.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Owner {
    key: Option<BindingKey>,
    id: Option<String>,
}

impl Owner {
    fn of(work: &Work) -> Owner {
        let annotations = work.metadata.annotations.as_ref();
        let annotation = |k: &str| annotations.and_then(|a| a.get(k)).cloned();
        let key = match (
            annotation(labels::RESOURCE_BINDING_NAMESPACE),
            annotation(labels::RESOURCE_BINDING_NAME),
            annotation(labels::CLUSTER_RESOURCE_BINDING_NAME),
        ) {
            (Some(namespace), Some(name), _) => Some(BindingKey {
                namespace: Some(namespace),
                name,
            }),
            (_, _, Some(name)) => Some(BindingKey {
                namespace: None,
                name,
            }),
            _ => None,
        };
        let labels = work.metadata.labels.as_ref();
        let id = [
            labels::RESOURCE_BINDING_PERMANENT_ID,
            labels::CLUSTER_RESOURCE_BINDING_PERMANENT_ID,
        ]
        .iter()
        .find_map(|k| labels.and_then(|l| l.get(*k)).cloned());
        Owner { key, id }
    }
}

/// Which Works belong to which binding, kept from the watch events so a reconcile never scans
/// every Work.
#[derive(Debug, Default)]
struct WorkIndex {
    owners: HashMap<WorkRef, Owner>,
    by_key: HashMap<BindingKey, HashSet<WorkRef>>,
    by_id: HashMap<String, HashSet<WorkRef>>,
    /// Permanent id → binding, from the binding watches, so a Work that only carries the label
    /// still finds its binding.
    bindings: HashMap<String, BindingKey>,
}

impl WorkIndex {
    fn set(&mut self, work: WorkRef, owner: Owner) {
        self.remove(&work);
        if let Some(key) = &owner.key {
            self.by_key
                .entry(key.clone())
                .or_default()
                .insert(work.clone());
        }
        if let Some(id) = &owner.id {
            self.by_id
                .entry(id.clone())
                .or_default()
                .insert(work.clone());
        }
        self.owners.insert(work, owner);
    }

    fn remove(&mut self, work: &WorkRef) -> Option<Owner> {
        let owner = self.owners.remove(work)?;
        if let Some(key) = &owner.key
            && let Some(set) = self.by_key.get_mut(key)
        {
            set.remove(work);
            if set.is_empty() {
                self.by_key.remove(key);
            }
        }
        if let Some(id) = &owner.id
            && let Some(set) = self.by_id.get_mut(id)
        {
            set.remove(work);
            if set.is_empty() {
                self.by_id.remove(id);
            }
        }
        Some(owner)
    }

    /// The bindings a Work of this owner may belong to.
    fn bindings_of(&self, owner: &Owner) -> Vec<BindingKey> {
        let mut keys: Vec<BindingKey> = owner.key.iter().cloned().collect();
        if let Some(key) = owner.id.as_ref().and_then(|id| self.bindings.get(id))
            && !keys.contains(key)
        {
            keys.push(key.clone());
        }
        keys
    }

    /// The Works of a binding: those carrying its permanent id, and those naming it that carry
    /// no permanent id of another binding.
    fn works_of(&self, key: &BindingKey, id: Option<&str>) -> Vec<WorkRef> {
        let mut works: HashSet<&WorkRef> = HashSet::new();
        if let Some(set) = id.and_then(|id| self.by_id.get(id)) {
            works.extend(set);
        }
        for work in self.by_key.get(key).into_iter().flatten() {
            let work_id = self.owners.get(work).and_then(|o| o.id.as_deref());
            if id.is_none() || work_id.is_none() || work_id == id {
                works.insert(work);
            }
        }
        works.into_iter().cloned().collect()
    }
}

/// A template's resource, as discovery reports it.
#[derive(Debug, Clone)]
struct TemplateResource {
    resource: ApiResource,
    namespaced: bool,
    status_subresource: bool,
}

/// Everything the controller's tasks share.
struct Ctx {
    client: Client,
    opts: StatusOptions,
    works: Store<Work>,
    bindings: Store<ResourceBinding>,
    cluster_bindings: Store<ClusterResourceBinding>,
    index: Mutex<WorkIndex>,
    /// (apiVersion, kind) → its resource.
    resources: Mutex<HashMap<(String, String), TemplateResource>>,
    /// Per binding, what its template's status was last made from.
    templates: Mutex<HashMap<BindingKey, SyncedTemplate>>,
    /// Bindings as this controller's last status write returned them, until the cache has them.
    written: Mutex<HashMap<BindingKey, StoredBinding>>,
    queue: Arc<WorkQueue<BindingKey>>,
}

impl Ctx {
    /// The freshest copy of a binding: the cache's, or the one this controller's last status
    /// write returned if the cache has not caught up with it yet.
    fn binding(&self, key: &BindingKey) -> Option<StoredBinding> {
        let cached = self.cached_binding(key)?;
        match lock(&self.written).get(key) {
            Some(ours) if revision(ours.meta()) > revision(cached.meta()) => Some(ours.clone()),
            _ => Some(cached),
        }
    }

    fn cached_binding(&self, key: &BindingKey) -> Option<StoredBinding> {
        match &key.namespace {
            Some(ns) => self
                .bindings
                .get(&ObjectRef::new(&key.name).within(ns))
                .map(StoredBinding::Namespaced),
            None => self
                .cluster_bindings
                .get(&ObjectRef::new(&key.name))
                .map(StoredBinding::Cluster),
        }
    }

    fn works_of(&self, binding: &StoredBinding) -> Vec<Arc<Work>> {
        let refs = lock(&self.index).works_of(&binding.key(), binding.permanent_id());
        refs.iter()
            .filter_map(|(ns, name)| self.works.get(&ObjectRef::new(name).within(ns)))
            .collect()
    }

    // ----- events ------------------------------------------------------------------------------

    /// A Work was added, changed (`old` is the cached copy before) or deleted (`new` is `None`).
    fn on_work(&self, work: WorkRef, old: Option<&Work>, new: Option<&Work>) {
        let mut index = lock(&self.index);
        let previous = match new {
            Some(new) => {
                let owner = Owner::of(new);
                let previous = index.owners.get(&work).cloned();
                let relevant = match old {
                    None => true,
                    Some(old) => {
                        old.status != new.status
                            || old.metadata.deletion_timestamp != new.metadata.deletion_timestamp
                            || previous.as_ref() != Some(&owner)
                    }
                };
                if !relevant {
                    return;
                }
                // Member statuses move through several values in quick succession (created,
                // scheduled, ready, available) and every Work of a binding reports them: one
                // binding write per burst, not one per Work event.
                for key in index.bindings_of(&owner) {
                    self.queue.add_coalesced(key, WORK_EVENT_WINDOW);
                }
                index.set(work, owner);
                previous
            }
            None => index.remove(&work),
        };
        // The binding a Work no longer belongs to (or did, before it was deleted).
        if let Some(previous) = previous {
            for key in index.bindings_of(&previous) {
                self.queue.add(key);
            }
        }
    }

    /// Rebuilds the index after a (re)list of the Works and enqueues every binding concerned.
    fn on_works_listed(&self) {
        let listed = self.works.state();
        let mut index = lock(&self.index);
        let mut vanished: HashSet<WorkRef> = index.owners.keys().cloned().collect();
        for work in &listed {
            let work_ref = work_ref(work);
            vanished.remove(&work_ref);
            let owner = Owner::of(work);
            for key in index.bindings_of(&owner) {
                self.queue.add(key);
            }
            index.set(work_ref, owner);
        }
        for work in vanished {
            if let Some(owner) = index.remove(&work) {
                for key in index.bindings_of(&owner) {
                    self.queue.add(key);
                }
            }
        }
        debug!(works = listed.len(), "listed works");
    }

    /// A binding was added, changed (`old` is the cached copy before) or deleted.
    fn on_binding(&self, old: Option<&StoredBinding>, new: &StoredBinding, deleted: bool) {
        let key = new.key();
        {
            let mut index = lock(&self.index);
            let stale = [
                old.and_then(StoredBinding::permanent_id),
                deleted.then(|| new.permanent_id()).flatten(),
            ];
            for id in stale.into_iter().flatten() {
                if index.bindings.get(id) == Some(&key) {
                    index.bindings.remove(id);
                }
            }
            if let Some(id) = new.permanent_id()
                && !deleted
            {
                index.bindings.insert(id.to_owned(), key.clone());
            }
        }
        {
            let mut written = lock(&self.written);
            if deleted
                || written
                    .get(&key)
                    .is_some_and(|ours| revision(new.meta()) >= revision(ours.meta()))
            {
                written.remove(&key);
            }
        }
        if deleted {
            lock(&self.templates).remove(&key);
            return;
        }
        // Only what the aggregation reads: the targets and the template reference (its
        // resourceVersion moves with every template change but status), the permanent id, and
        // deletion. The binding's own status changes — mostly this controller's writes — do not
        // count; the resync repairs anyone else's.
        let relevant = old.is_none_or(|old| {
            old.spec() != new.spec()
                || old.meta().labels != new.meta().labels
                || old.meta().deletion_timestamp != new.meta().deletion_timestamp
                || old.status().last_scheduled_time != new.status().last_scheduled_time
        });
        if relevant {
            self.queue.add(key);
        }
    }

    fn resync(&self) {
        let keys: Vec<BindingKey> = self
            .bindings
            .state()
            .into_iter()
            .map(StoredBinding::Namespaced)
            .chain(
                self.cluster_bindings
                    .state()
                    .into_iter()
                    .map(StoredBinding::Cluster),
            )
            .map(|b| b.key())
            .collect();
        debug!(bindings = keys.len(), "resync");
        for key in keys {
            self.queue.add(key);
        }
    }

    // ----- binding status ----------------------------------------------------------------------

    /// Merge-patches the binding's `aggregatedStatus` and FullyApplied condition, guarded by the
    /// resourceVersion the conditions were read at. On a conflict (the cache was behind, or the
    /// scheduler wrote meanwhile) the binding is read again and the patch redone once.
    async fn write_binding_status(
        &self,
        key: &BindingKey,
        binding: &StoredBinding,
        items: &[AggregatedStatusItem],
        condition: &Condition,
    ) -> Result<(), Error> {
        let mut current = binding.clone();
        for attempt in 0..2 {
            let status = current.status();
            let unchanged = status.aggregated_status == items
                && find_condition(&status.conditions, CONDITION_FULLY_APPLIED)
                    .is_some_and(|c| same_condition(c, condition));
            if unchanged {
                return Ok(());
            }
            let conditions = set_condition(&status.conditions, condition.clone());
            let patch = json!({
                "metadata": {"resourceVersion": current.meta().resource_version},
                "status": {"aggregatedStatus": items, "conditions": conditions},
            });
            match self.patch_binding_status(key, &patch).await {
                Ok(written) => {
                    debug!(binding = %key, fully_applied = %condition.status, "updated binding status");
                    // Until the watch delivers it, the cache holds the copy before this write;
                    // the next reconcile must not patch on that one's resourceVersion.
                    lock(&self.written).insert(key.clone(), written);
                    return Ok(());
                }
                Err(e) if is_status(&e, 404) => return Ok(()),
                Err(e) if is_status(&e, 409) && attempt == 0 => {
                    match self.get_binding(key).await? {
                        Some(fresh) => current = fresh,
                        None => return Ok(()),
                    }
                }
                Err(source) => {
                    return Err(Error::Binding {
                        action: "patch",
                        binding: key.to_string(),
                        source,
                    });
                }
            }
        }
        Ok(())
    }

    async fn patch_binding_status(
        &self,
        key: &BindingKey,
        patch: &Value,
    ) -> kube::Result<StoredBinding> {
        let params = PatchParams {
            field_manager: Some(FIELD_MANAGER.to_owned()),
            ..Default::default()
        };
        match &key.namespace {
            Some(ns) => Api::<ResourceBinding>::namespaced(self.client.clone(), ns)
                .patch_status(&key.name, &params, &Patch::Merge(patch))
                .await
                .map(|b| StoredBinding::Namespaced(Arc::new(b))),
            None => Api::<ClusterResourceBinding>::all(self.client.clone())
                .patch_status(&key.name, &params, &Patch::Merge(patch))
                .await
                .map(|b| StoredBinding::Cluster(Arc::new(b))),
        }
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
            action: "read",
            binding: key.to_string(),
            source,
        })
    }

    // ----- template status ---------------------------------------------------------------------

    async fn template_resource(
        &self,
        api_version: &str,
        kind: &str,
    ) -> Result<TemplateResource, Error> {
        let cache_key = (api_version.to_owned(), kind.to_owned());
        if let Some(found) = lock(&self.resources).get(&cache_key) {
            return Ok(found.clone());
        }
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        let gvk = GroupVersionKind::gvk(group, version, kind);
        let (resource, caps) = kube::discovery::pinned_kind(&self.client, &gvk)
            .await
            .map_err(|source| Error::Discovery {
                api_version: api_version.to_owned(),
                kind: kind.to_owned(),
                source,
            })?;
        let found = TemplateResource {
            resource,
            namespaced: caps.scope == Scope::Namespaced,
            status_subresource: caps
                .subresources
                .iter()
                .any(|(sub, _)| sub.plural == "status" || sub.plural.ends_with("/status")),
        };
        lock(&self.resources).insert(cache_key, found.clone());
        Ok(found)
    }

    /// Brings the template's `.status` in line with the binding's aggregated statuses.
    ///
    /// The template is read only when the binding's reference to it changed (the detector moves
    /// `spec.resource.resourceVersion` with every template change but status), or the resync
    /// period passed since the apiserver last showed it; otherwise the copy kept from the last
    /// read or write stands in, since this controller is the only writer of the template's
    /// status.
    async fn sync_template(
        &self,
        key: &BindingKey,
        reference: &ObjectReference,
        items: &[AggregatedStatusItem],
    ) -> Result<(), Error> {
        let reference_key = serde_json::to_string(reference).unwrap_or_default();
        let items_print = fingerprint(items);
        let cached = lock(&self.templates)
            .get(key)
            .filter(|c| {
                c.reference == reference_key && c.read_at.elapsed() < self.opts.resync_period
            })
            .map(|c| (c.items, c.template.clone()));
        let template_name = template_display(reference);
        let template = match cached {
            Some((print, _)) if print == items_print => return Ok(()),
            Some((_, None)) => {
                // Not a kind (or a Service type) whose status is aggregated.
                self.remember_template(key, &reference_key, items_print, None, None);
                return Ok(());
            }
            Some((_, Some(template))) => template,
            None => match self.read_template(reference, &template_name).await? {
                Some(template) => template,
                None => return Ok(()),
            },
        };
        let statuses: Vec<ClusterStatus<'_>> = items
            .iter()
            .map(|item| ClusterStatus {
                cluster: &item.cluster_name,
                status: item.status.as_ref().unwrap_or(&Value::Null),
            })
            .collect();
        let Some(status) = aggregate_status(&template, &statuses) else {
            self.remember_template(key, &reference_key, items_print, None, Some(Instant::now()));
            return Ok(());
        };
        // No status at all and an empty one read the same; do not write one for the other.
        let empty = json!({});
        let old = template
            .get("status")
            .filter(|s| !s.is_null())
            .unwrap_or(&empty);
        let Some(change) = merge_patch(old, &status) else {
            self.remember_template(key, &reference_key, items_print, Some(template), None);
            return Ok(());
        };
        let resource = self
            .template_resource(&reference.api_version, &reference.kind)
            .await?;
        let api = template_api(&self.client, &resource, reference);
        let params = PatchParams {
            field_manager: Some(FIELD_MANAGER.to_owned()),
            ..Default::default()
        };
        let patch = Patch::Merge(json!({ "status": change }));
        let result = if resource.status_subresource {
            api.patch_status(&reference.name, &params, &patch).await
        } else {
            api.patch(&reference.name, &params, &patch).await
        };
        match result {
            Ok(written) => {
                debug!(template = %template_name, "updated template status");
                let written = slim_template(&written, reference);
                self.remember_template(
                    key,
                    &reference_key,
                    items_print,
                    Some(written),
                    Some(Instant::now()),
                );
                Ok(())
            }
            Err(e) if is_status(&e, 404) => {
                lock(&self.templates).remove(key);
                Ok(())
            }
            Err(source) => {
                // What the template holds now is unknown: read it next time.
                lock(&self.templates).remove(key);
                Err(Error::Template {
                    action: "update the status of",
                    template: template_name,
                    source,
                })
            }
        }
    }

    /// Reads the template; `None` when it is gone or is not the object the binding refers to
    /// (recreated under the same name, the binding not updated yet).
    async fn read_template(
        &self,
        reference: &ObjectReference,
        template_name: &str,
    ) -> Result<Option<Value>, Error> {
        let resource = self
            .template_resource(&reference.api_version, &reference.kind)
            .await?;
        let template = template_api(&self.client, &resource, reference)
            .get_opt(&reference.name)
            .await
            .map_err(|source| Error::Template {
                action: "read",
                template: template_name.to_owned(),
                source,
            })?;
        let Some(template) = template else {
            debug!(template = %template_name, "template is gone");
            return Ok(None);
        };
        if reference
            .uid
            .as_deref()
            .is_some_and(|uid| template.metadata.uid.as_deref() != Some(uid))
        {
            debug!(template = %template_name, "template was recreated; waiting for its binding to follow");
            return Ok(None);
        }
        Ok(Some(slim_template(&template, reference)))
    }

    /// Records what the template's status was last made from. `read_at` is when the apiserver
    /// last showed the template (`None`: unchanged).
    fn remember_template(
        &self,
        key: &BindingKey,
        reference: &str,
        items: u64,
        template: Option<Value>,
        read_at: Option<Instant>,
    ) {
        let mut templates = lock(&self.templates);
        let read_at = read_at
            .or_else(|| templates.get(key).map(|c| c.read_at))
            .unwrap_or_else(Instant::now);
        templates.insert(
            key.clone(),
            SyncedTemplate {
                reference: reference.to_owned(),
                items,
                template,
                read_at,
            },
        );
    }
}

/// What the template's status was last made from, per binding.
#[derive(Debug, Clone)]
struct SyncedTemplate {
    /// The binding's `spec.resource` (with the template's uid and resourceVersion), serialized.
    reference: String,
    /// Fingerprint of the aggregated statuses.
    items: u64,
    /// The parts of the template the aggregation reads, as last read or written; `None` when its
    /// status is not aggregated.
    template: Option<Value>,
    /// When the apiserver last showed the template.
    read_at: Instant,
}

fn template_api(
    client: &Client,
    resource: &TemplateResource,
    reference: &ObjectReference,
) -> Api<DynamicObject> {
    if resource.namespaced {
        let namespace = reference.namespace.as_deref().unwrap_or_default();
        Api::namespaced_with(client.clone(), namespace, &resource.resource)
    } else {
        Api::all_with(client.clone(), &resource.resource)
    }
}

/// The parts of a template that [`aggregate_status`] reads: apiVersion, kind, name, generation,
/// a Service's type, and the status.
fn slim_template(template: &DynamicObject, reference: &ObjectReference) -> Value {
    let mut slim = json!({
        "apiVersion": reference.api_version,
        "kind": reference.kind,
        "metadata": {
            "name": template.metadata.name,
            "namespace": template.metadata.namespace,
            "generation": template.metadata.generation,
        },
    });
    if let Some(service_type) = template.data.pointer("/spec/type") {
        slim["spec"] = json!({ "type": service_type });
    }
    if let Some(status) = template.data.get("status") {
        slim["status"] = status.clone();
    }
    slim
}

fn find_condition<'a>(conditions: &'a [Condition], type_: &str) -> Option<&'a Condition> {
    conditions.iter().find(|c| c.type_ == type_)
}

fn work_ref(work: &Work) -> WorkRef {
    (
        work.metadata.namespace.clone().unwrap_or_default(),
        work.metadata.name.clone().unwrap_or_default(),
    )
}

fn template_display(reference: &ObjectReference) -> String {
    match reference.namespace.as_deref() {
        Some(ns) if !ns.is_empty() => format!(
            "{} {} {ns}/{}",
            reference.api_version, reference.kind, reference.name
        ),
        _ => format!(
            "{} {} {}",
            reference.api_version, reference.kind, reference.name
        ),
    }
}

/// A fingerprint of the aggregated statuses.
fn fingerprint(items: &[AggregatedStatusItem]) -> u64 {
    let mut hasher = DefaultHasher::new();
    serde_json::to_string(items)
        .unwrap_or_default()
        .hash(&mut hasher);
    hasher.finish()
}

fn now() -> Time {
    Time(Timestamp::now())
}

/// Reconciles one binding: its aggregated status, FullyApplied condition and template status.
async fn reconcile(ctx: &Ctx, key: &BindingKey) -> Result<(), Error> {
    let Some(binding) = ctx.binding(key) else {
        lock(&ctx.templates).remove(key);
        lock(&ctx.written).remove(key);
        return Ok(());
    };
    if binding.meta().deletion_timestamp.is_some() {
        return Ok(());
    }
    let spec = binding.spec();
    let status = binding.status();
    if spec.clusters.is_empty() && status.last_scheduled_time.is_none() {
        debug!("not scheduled yet");
        return Ok(());
    }
    let works = ctx.works_of(&binding);
    let work_refs: Vec<&Work> = works.iter().map(Arc::as_ref).collect();
    let targets = target_clusters(spec);
    let items = aggregated_items(&targets, &spec.resource, &work_refs);
    let previous = find_condition(&status.conditions, CONDITION_FULLY_APPLIED);
    let condition = fully_applied_condition(&items, previous, now());
    ctx.write_binding_status(key, &binding, &items, &condition)
        .await?;
    ctx.sync_template(key, &spec.resource, &items).await
}

// ----- tasks ---------------------------------------------------------------------------------------

/// Reconciles a binding taken from the queue, in its own span.
async fn reconcile_key(ctx: Arc<Ctx>, key: BindingKey) -> Result<(), Error> {
    let span = info_span!("reconcile", binding = %key);
    reconcile(&ctx, &key).instrument(span).await
}

/// Logs a failed reconcile: conflicts are routine.
fn log_failure(key: &BindingKey, err: &Error, retry_in: Option<Duration>) {
    if err.is_conflict() {
        debug!(binding = %key, error = %err, ?retry_in, "conflict; retrying");
    } else {
        warn!(binding = %key, error = %err, ?retry_in, "binding status reconcile failed");
    }
}

async fn watch_works(ctx: Arc<Ctx>, mut writer: Writer<Work>) {
    let api: Api<Work> = Api::all(ctx.client.clone());
    let mut events = watcher(api, watcher::Config::default())
        .default_backoff()
        .boxed();
    while let Some(event) = events.next().await {
        let event = match event {
            Ok(event) => event,
            Err(err) => {
                warn!(error = %err, "work watch failed");
                continue;
            }
        };
        match &event {
            watcher::Event::Apply(work) => {
                let old = ctx.works.get(&ObjectRef::from_obj(work));
                writer.apply_watcher_event(&event);
                ctx.on_work(work_ref(work), old.as_deref(), Some(work));
            }
            watcher::Event::Delete(work) => {
                writer.apply_watcher_event(&event);
                ctx.on_work(work_ref(work), None, None);
            }
            watcher::Event::InitDone => {
                writer.apply_watcher_event(&event);
                ctx.on_works_listed();
            }
            watcher::Event::Init | watcher::Event::InitApply(_) => {
                writer.apply_watcher_event(&event)
            }
        }
    }
}

async fn watch_bindings<K>(
    ctx: Arc<Ctx>,
    mut writer: Writer<K>,
    store: Store<K>,
    stored: fn(Arc<K>) -> StoredBinding,
) where
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
        .boxed();
    while let Some(event) = events.next().await {
        let event = match event {
            Ok(event) => event,
            Err(err) => {
                warn!(kind = %K::kind(&()), error = %err, "binding watch failed");
                continue;
            }
        };
        match &event {
            watcher::Event::Apply(obj) => {
                let at = ObjectRef::from_obj(obj);
                let old = store.get(&at).map(stored);
                writer.apply_watcher_event(&event);
                // The store now shares the new object; no copy needed.
                if let Some(new) = store.get(&at).map(stored) {
                    ctx.on_binding(old.as_ref(), &new, false);
                }
            }
            watcher::Event::Delete(obj) => {
                let gone = store
                    .get(&ObjectRef::from_obj(obj))
                    .unwrap_or_else(|| Arc::new(obj.clone()));
                writer.apply_watcher_event(&event);
                ctx.on_binding(None, &stored(gone), true);
            }
            watcher::Event::InitDone => {
                // A (re)list: bindings deleted while the watch was down are forgotten.
                let before = store.state();
                writer.apply_watcher_event(&event);
                let listed = store.state();
                let present: HashSet<BindingKey> =
                    listed.iter().map(|b| stored(Arc::clone(b)).key()).collect();
                for obj in before {
                    let gone = stored(obj);
                    if !present.contains(&gone.key()) {
                        ctx.on_binding(None, &gone, true);
                    }
                }
                for obj in listed {
                    ctx.on_binding(None, &stored(obj), false);
                }
            }
            watcher::Event::Init | watcher::Event::InitApply(_) => {
                writer.apply_watcher_event(&event)
            }
        }
    }
}

/// Runs the binding status controller until `ctx.shutdown` is cancelled. Watches and retries
/// never end it; the only error is invalid options.
pub async fn run(ctx: Context, opts: StatusOptions) -> Result<(), Error> {
    opts.validate()?;
    let works_writer = Writer::<Work>::new(());
    let bindings_writer = Writer::<ResourceBinding>::new(());
    let cluster_bindings_writer = Writer::<ClusterResourceBinding>::new(());
    let workers = opts.queue.workers;
    let shared = Arc::new(Ctx {
        client: ctx.client.clone(),
        queue: opts.queue.queue(),
        opts,
        works: works_writer.as_reader(),
        bindings: bindings_writer.as_reader(),
        cluster_bindings: cluster_bindings_writer.as_reader(),
        index: Mutex::new(WorkIndex::default()),
        resources: Mutex::new(HashMap::new()),
        templates: Mutex::new(HashMap::new()),
        written: Mutex::new(HashMap::new()),
    });
    info!(workers, "starting the binding status controller");

    let mut background = JoinSet::new();
    background.spawn(watch_works(Arc::clone(&shared), works_writer));
    background.spawn(watch_bindings(
        Arc::clone(&shared),
        bindings_writer,
        shared.bindings.clone(),
        StoredBinding::Namespaced,
    ));
    background.spawn(watch_bindings(
        Arc::clone(&shared),
        cluster_bindings_writer,
        shared.cluster_bindings.clone(),
        StoredBinding::Cluster,
    ));
    let c = Arc::clone(&shared);
    background.spawn(resync(shared.opts.resync_period, move || c.resync()));

    let caches_filled = async {
        let _ = shared.works.wait_until_ready().await;
        let _ = shared.bindings.wait_until_ready().await;
        let _ = shared.cluster_bindings.wait_until_ready().await;
    };
    let mut pool = JoinSet::new();
    tokio::select! {
        _ = ctx.shutdown.cancelled() => {}
        _ = caches_filled => {
            info!("caches filled; aggregating binding statuses");
            spawn_workers(&mut pool, workers, &shared.queue, &shared, reconcile_key, log_failure);
            ctx.shutdown.cancelled().await;
        }
    }

    info!("stopping the binding status controller");
    shared.queue.shut_down();
    background.abort_all();
    while pool.join_next().await.is_some() {}
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn work(namespace: &str, annotations: &[(&str, &str)], labels: &[(&str, &str)]) -> Work {
        let map = |pairs: &[(&str, &str)]| {
            (!pairs.is_empty()).then(|| {
                pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect::<BTreeMap<_, _>>()
            })
        };
        serde_json::from_value(json!({
            "metadata": {
                "name": "w",
                "namespace": namespace,
                "annotations": map(annotations),
                "labels": map(labels),
            },
            "spec": {},
        }))
        .unwrap()
    }

    fn rb_key(namespace: &str, name: &str) -> BindingKey {
        BindingKey {
            namespace: Some(namespace.to_owned()),
            name: name.to_owned(),
        }
    }

    #[test]
    fn owners_come_from_annotations_and_labels() {
        let owner = Owner::of(&work(
            "karmada-es-m1",
            &[
                (labels::RESOURCE_BINDING_NAMESPACE, "default"),
                (labels::RESOURCE_BINDING_NAME, "web-deployment"),
            ],
            &[(labels::RESOURCE_BINDING_PERMANENT_ID, "id-1")],
        ));
        assert_eq!(owner.key, Some(rb_key("default", "web-deployment")));
        assert_eq!(owner.id.as_deref(), Some("id-1"));

        let owner = Owner::of(&work(
            "karmada-es-m1",
            &[(labels::CLUSTER_RESOURCE_BINDING_NAME, "reader-clusterrole")],
            &[],
        ));
        assert_eq!(
            owner.key,
            Some(BindingKey {
                namespace: None,
                name: "reader-clusterrole".to_owned()
            })
        );
        assert_eq!(owner.id, None);
    }

    #[test]
    fn work_index() {
        let mut index = WorkIndex::default();
        let key = rb_key("default", "web");
        let by_both = Owner {
            key: Some(key.clone()),
            id: Some("id-1".to_owned()),
        };
        let by_id_only = Owner {
            key: None,
            id: Some("id-1".to_owned()),
        };
        // Named after the binding, but the Work of an earlier binding of that name.
        let stale = Owner {
            key: Some(key.clone()),
            id: Some("id-0".to_owned()),
        };
        let w = |cluster: &str| (format!("karmada-es-{cluster}"), "web".to_owned());
        index.set(w("m1"), by_both.clone());
        index.set(w("m2"), by_id_only.clone());
        index.set(w("m3"), stale);
        index.bindings.insert("id-1".to_owned(), key.clone());

        let mut works = index.works_of(&key, Some("id-1"));
        works.sort();
        assert_eq!(works, [w("m1"), w("m2")]);
        let mut works = index.works_of(&key, None);
        works.sort();
        assert_eq!(works, [w("m1"), w("m3")], "without an id: by name");
        assert_eq!(index.bindings_of(&by_id_only), vec![key.clone()]);
        assert_eq!(index.bindings_of(&by_both), vec![key.clone()]);

        // Moving and removing keep the index consistent.
        index.set(w("m1"), by_id_only);
        assert_eq!(
            index.remove(&w("m2")).and_then(|o| o.id).as_deref(),
            Some("id-1")
        );
        index.remove(&w("m3"));
        assert_eq!(index.works_of(&key, Some("id-1")), [w("m1")]);
        assert!(!index.by_key.contains_key(&key), "empty sets are dropped");
    }

    #[test]
    fn options_are_checked() {
        assert!(StatusOptions::default().validate().is_ok());
        let zero_workers = StatusOptions {
            queue: QueueOptions {
                workers: 0,
                ..StatusOptions::default().queue
            },
            ..Default::default()
        };
        assert!(zero_workers.validate().is_err());
        let backwards = StatusOptions {
            queue: QueueOptions {
                workers: 1,
                retry_base: Duration::from_secs(10),
                retry_max: Duration::from_secs(1),
            },
            ..Default::default()
        };
        assert!(backwards.validate().is_err());
    }

    #[test]
    fn slim_templates_keep_what_aggregation_reads() {
        let template: DynamicObject = serde_json::from_value(json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web", "namespace": "default", "generation": 3,
                         "labels": {"a": "b"}},
            "spec": {"type": "LoadBalancer", "ports": [{"port": 80}]},
            "status": {"loadBalancer": {}},
        }))
        .unwrap();
        let reference = ObjectReference {
            api_version: "v1".to_owned(),
            kind: "Service".to_owned(),
            namespace: Some("default".to_owned()),
            name: "web".to_owned(),
            ..Default::default()
        };
        assert_eq!(
            slim_template(&template, &reference),
            json!({
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": "web", "namespace": "default", "generation": 3},
                "spec": {"type": "LoadBalancer"},
                "status": {"loadBalancer": {}},
            })
        );
    }
}
