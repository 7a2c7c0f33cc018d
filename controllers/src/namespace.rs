//! The namespace controller: namespaces created in the federation appear in every member
//! (Karmada's `namespace` sync controller, `pkg/controllers/namespace`).
//!
//! Every namespace of the federation gets a Work in every member cluster's execution namespace,
//! named [`names::work_name`]`("", <namespace>, "Namespace")`, holding the Namespace (name,
//! labels and annotations) with the ClusterOverridePolicies that select it applied and the
//! labels and annotations every manifest gets. The Work is controlled by the Namespace (an
//! ownerReference, so the garbage collector removes it too) and carries the execution
//! controller's finalizer, which holds it until the member's namespace is gone.
//!
//! Not propagated: `default`, `karmada-system`, `karmada-cluster`, `karmada-es-*`, namespaces
//! matching [`NamespaceOptions::skipped_namespaces`] (default `kube-.*`), and namespaces labelled
//! `namespace.karmada.io/skip-auto-propagation=true` (adding the label later leaves existing
//! Works alone, as in Karmada). A new cluster gets Works for all existing namespaces; a deleted
//! namespace has its Works deleted.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use flotilla_api::work::v1alpha1::{WorkSpec, WorkloadTemplate};
use flotilla_api::{ClusterOverridePolicy, Work, labels, names};
use flotilla_runtime::{QueueOptions, WorkQueue, resync, spawn_workers};
use futures::StreamExt;
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::Client;
use kube::api::Api;
use kube::runtime::reflector::{self, ObjectRef, Store, store::Writer};
use kube::runtime::{WatchStreamExt, watcher};
use regex::Regex;
use serde_json::{Map, Value, json};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::{Instrument, debug, info, info_span, warn};

use crate::binding::{
    ClusterCache, ClusterChange, DesiredWork, Ensured, Finish, PolicyCache, PolicyChange, WorkKey,
    WorkWriter, WriteError, finish_manifest, str_at, watch_clusters, watch_policies,
    work_fingerprint,
};
use crate::context::Context;
use crate::overrides::{OverrideError, apply_overrides};

/// The controller's name, as used in logs and by the controller-manager.
pub const NAME: &str = "namespace";

/// The field manager of the Works this controller writes.
pub const FIELD_MANAGER: &str = "flotilla-namespace";

/// How the namespace controller runs.
#[derive(Debug, Clone)]
pub struct NamespaceOptions {
    /// Namespaces reconciled concurrently, and the backoff of failed reconciles.
    pub queue: QueueOptions,
    /// Namespaces (regular expressions matching the whole name) never propagated, in addition to
    /// `default` and the reserved `karmada-system`, `karmada-cluster` and `karmada-es-*`.
    pub skipped_namespaces: Vec<String>,
    /// How often every namespace is reconciled again although nothing was seen to change.
    pub resync_period: Duration,
}

impl Default for NamespaceOptions {
    fn default() -> Self {
        NamespaceOptions {
            queue: QueueOptions {
                workers: 4,
                retry_base: Duration::from_millis(100),
                retry_max: Duration::from_secs(300),
            },
            skipped_namespaces: vec!["kube-.*".to_owned()],
            resync_period: Duration::from_secs(600),
        }
    }
}

impl NamespaceOptions {
    /// Checks the options.
    pub fn validate(&self) -> Result<(), Error> {
        let invalid = |reason: &str| Error::InvalidOptions(reason.to_owned());
        self.queue.validate().map_err(invalid)?;
        if self.resync_period.is_zero() {
            return Err(invalid("resync period must be positive"));
        }
        self.patterns().map(|_| ())
    }

    fn patterns(&self) -> Result<Vec<Regex>, Error> {
        self.skipped_namespaces
            .iter()
            .map(|p| {
                Regex::new(&format!("^(?:{p})$"))
                    .map_err(|e| Error::InvalidOptions(format!("skipped namespace {p:?}: {e}")))
            })
            .collect()
    }
}

/// The namespace controller's errors.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The options do not make sense.
    #[error("invalid namespace controller options: {0}")]
    InvalidOptions(String),
    /// A Work could not be deleted.
    #[error("failed to delete Work {work}: {source}")]
    Delete {
        /// The Work.
        work: String,
        /// The API error.
        #[source]
        source: kube::Error,
    },
    /// A ClusterOverridePolicy could not be applied.
    #[error(transparent)]
    Override(#[from] Box<OverrideError>),
    /// A Work could not be written.
    #[error("failed to sync the namespace to a cluster: {0}")]
    Write(#[from] WriteError),
    /// Several clusters failed; the first error is shown.
    #[error("{failed} of {total} clusters failed, the first: {first}")]
    Several {
        /// How many failed.
        failed: usize,
        /// How many were attempted.
        total: usize,
        /// The first failure.
        first: Box<Error>,
    },
}

/// Whether a namespace is never propagated: `default`, the reserved namespaces, and those the
/// options skip.
fn is_skipped(namespace: &str, patterns: &[Regex]) -> bool {
    namespace == names::NAMESPACE_DEFAULT
        || names::is_reserved_namespace(namespace)
        || patterns.iter().any(|re| re.is_match(namespace))
}

/// Whether a namespace asks not to be propagated.
fn opted_out(ns: &Namespace) -> bool {
    ns.metadata
        .labels
        .as_ref()
        .and_then(|l| l.get(labels::NAMESPACE_SKIP_AUTO_PROPAGATION))
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// The Namespace manifest as it goes to members: name, labels and annotations (and the UID,
/// which becomes the template UID annotation).
fn namespace_manifest(ns: &Namespace) -> Value {
    let mut metadata = Map::new();
    metadata.insert("name".into(), json!(ns.metadata.name));
    if let Some(uid) = &ns.metadata.uid {
        metadata.insert("uid".into(), json!(uid));
    }
    for (field, map) in [
        ("labels", &ns.metadata.labels),
        ("annotations", &ns.metadata.annotations),
    ] {
        if let Some(map) = map.as_ref().filter(|m| !m.is_empty()) {
            metadata.insert(field.into(), json!(map));
        }
    }
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": metadata})
}

/// The name of the manifest's namespace, if the Work is a namespace's.
fn namespace_of_work(work: &Work) -> Option<&str> {
    let manifest = work.spec.workload.manifests.first()?;
    (str_at(manifest, "/kind") == "Namespace" && str_at(manifest, "/apiVersion") == "v1")
        .then(|| str_at(manifest, "/metadata/name"))
        .filter(|n| !n.is_empty())
}

struct Ctx {
    client: Client,
    opts: NamespaceOptions,
    skipped: Vec<Regex>,
    namespaces: Store<Namespace>,
    /// Works not made by a binding (the namespace Works among them).
    works: Store<Work>,
    clusters: Arc<ClusterCache>,
    policies: Arc<PolicyCache>,
    namespace_seen: Mutex<HashMap<String, u64>>,
    work_seen: Mutex<HashMap<WorkKey, u64>>,
    writer: WorkWriter,
    queue: Arc<WorkQueue<String>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn namespace_fingerprint(ns: &Namespace) -> u64 {
    let mut hasher = DefaultHasher::new();
    serde_json::to_vec(&(
        &ns.metadata.labels,
        &ns.metadata.annotations,
        &ns.metadata.uid,
        ns.metadata.deletion_timestamp.is_some(),
    ))
    .unwrap_or_default()
    .hash(&mut hasher);
    hasher.finish()
}

impl Ctx {
    fn enqueue_all(&self) {
        for ns in self.namespaces.state() {
            if let Some(name) = &ns.metadata.name {
                self.queue.add(name.clone());
            }
        }
    }

    fn on_namespace(&self, ns: &Namespace, deleted: bool) {
        let name = ns.metadata.name.clone().unwrap_or_default();
        if is_skipped(&name, &self.skipped) {
            return;
        }
        let mut seen = lock(&self.namespace_seen);
        if deleted {
            seen.remove(&name);
        } else {
            let fingerprint = namespace_fingerprint(ns);
            if seen.insert(name.clone(), fingerprint) == Some(fingerprint) {
                return;
            }
        }
        drop(seen);
        self.queue.add(name);
    }

    fn on_work(&self, event: &watcher::Event<Work>) {
        match event {
            watcher::Event::Apply(work) => {
                let Some(ns) = namespace_of_work(work) else {
                    return;
                };
                let key = (
                    work.metadata.namespace.clone().unwrap_or_default(),
                    work.metadata.name.clone().unwrap_or_default(),
                );
                let fingerprint = work_fingerprint(work);
                let previous = lock(&self.work_seen).insert(key.clone(), fingerprint);
                if previous != Some(fingerprint) && !self.writer.is_own_write(&key, work) {
                    self.queue.add(ns.to_owned());
                }
            }
            watcher::Event::Delete(work) => {
                let key = (
                    work.metadata.namespace.clone().unwrap_or_default(),
                    work.metadata.name.clone().unwrap_or_default(),
                );
                lock(&self.work_seen).remove(&key);
                self.writer.forget(&key);
                if let Some(ns) = namespace_of_work(work) {
                    self.queue.add(ns.to_owned());
                }
            }
            watcher::Event::InitDone => {
                let mut seen = lock(&self.work_seen);
                seen.clear();
                for work in self.works.state() {
                    if namespace_of_work(&work).is_some() {
                        seen.insert(
                            (
                                work.metadata.namespace.clone().unwrap_or_default(),
                                work.metadata.name.clone().unwrap_or_default(),
                            ),
                            work_fingerprint(&work),
                        );
                    }
                }
            }
            watcher::Event::Init | watcher::Event::InitApply(_) => {}
        }
    }

    fn on_cluster(&self, change: ClusterChange) {
        match change {
            ClusterChange::Added(_) => self.enqueue_all(),
            ClusterChange::Changed(_) if self.policies.depends_on_cluster_fields() => {
                self.enqueue_all()
            }
            ClusterChange::Changed(_) | ClusterChange::Removed(_) => {}
        }
    }

    fn on_policy(&self, change: PolicyChange) {
        let policies: Vec<_> = change.old.iter().chain(change.new.iter()).collect();
        for ns in self.namespaces.state() {
            let name = ns.metadata.name.as_deref().unwrap_or_default();
            let ns_labels = ns.metadata.labels.clone().unwrap_or_default();
            if policies
                .iter()
                .any(|p| p.may_select("v1", "Namespace", "", name, Some(&ns_labels)))
            {
                self.queue.add(name.to_owned());
            }
        }
    }

    /// The namespace's Works in every execution namespace.
    fn works_of(&self, namespace: &str) -> Vec<Arc<Work>> {
        let name = names::work_name("", namespace, "Namespace");
        self.works
            .state()
            .into_iter()
            .filter(|w| {
                w.metadata.name.as_deref() == Some(name.as_str())
                    && namespace_of_work(w) == Some(namespace)
            })
            .collect()
    }

    async fn delete_works(&self, namespace: &str) -> Result<(), Error> {
        for work in self.works_of(namespace) {
            if work.metadata.deletion_timestamp.is_some() {
                continue;
            }
            let ns = work.metadata.namespace.clone().unwrap_or_default();
            let name = work.metadata.name.clone().unwrap_or_default();
            self.writer
                .delete(&ns, &name, work.metadata.uid.clone())
                .await
                .map_err(|source| Error::Delete {
                    work: format!("{ns}/{name}"),
                    source,
                })?;
            info!(work = %format!("{ns}/{name}"), "deleted the Work of a deleted namespace");
        }
        Ok(())
    }

    fn desired(&self, ns: &Namespace, cluster: &str) -> Result<Option<DesiredWork>, Error> {
        let Some(input) = self.clusters.get(cluster) else {
            return Ok(None);
        };
        let name = ns.metadata.name.clone().unwrap_or_default();
        let mut manifest = namespace_manifest(ns);
        // Namespaces are cluster-scoped: only ClusterOverridePolicies apply.
        let applied = apply_overrides(
            &mut manifest,
            &input,
            &self.policies.cluster_policies(),
            &[],
        )
        .map_err(Box::new)?;
        let key = (
            names::execution_namespace(cluster),
            names::work_name("", &name, "Namespace"),
        );
        let stored = self.works.get(&ObjectRef::new(&key.1).within(&key.0));
        let permanent_id = self.writer.permanent_id(&key, stored.as_deref());
        finish_manifest(
            &mut manifest,
            &Finish {
                work_namespace: &key.0,
                work_name: &key.1,
                work_permanent_id: &permanent_id,
                conflict_resolution: None,
            },
        );
        Ok(Some(DesiredWork {
            labels: BTreeMap::from([(labels::WORK_PERMANENT_ID.to_owned(), permanent_id)]),
            annotations: applied.annotations(),
            owner_references: vec![OwnerReference {
                api_version: "v1".into(),
                kind: "Namespace".into(),
                name,
                uid: ns.metadata.uid.clone().unwrap_or_default(),
                controller: Some(true),
                block_owner_deletion: Some(true),
            }],
            spec: WorkSpec {
                workload: WorkloadTemplate {
                    manifests: vec![manifest],
                },
                suspend_dispatching: None,
                preserve_resources_on_deletion: None,
            },
            namespace: key.0,
            name: key.1,
        }))
    }
}

/// Reconciles one namespace: a Work in every cluster, or none if it is gone.
async fn reconcile(ctx: &Ctx, namespace: &str) -> Result<(), Error> {
    if is_skipped(namespace, &ctx.skipped) {
        return Ok(());
    }
    let ns = ctx.namespaces.get(&ObjectRef::new(namespace));
    let Some(ns) = ns.filter(|ns| ns.metadata.deletion_timestamp.is_none()) else {
        return ctx.delete_works(namespace).await;
    };
    if opted_out(&ns) {
        debug!("namespace opts out of propagation");
        return Ok(());
    }
    let clusters = ctx.clusters.names();
    let mut errors = Vec::new();
    let mut writes = Vec::new();
    for cluster in &clusters {
        match ctx.desired(&ns, cluster) {
            Ok(Some(desired)) => {
                let stored = ctx
                    .works
                    .get(&ObjectRef::new(&desired.name).within(&desired.namespace));
                writes.push((desired, stored));
            }
            Ok(None) => {}
            Err(e) => errors.push(e),
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
            Ok(Ensured::Unchanged | Ensured::Unobserved) => {}
            Err(e) => errors.push(e.into()),
        }
    }
    let failed = errors.len();
    let mut errors = errors.into_iter();
    match (errors.next(), failed) {
        (None, _) => Ok(()),
        (Some(only), 1) => Err(only),
        (Some(first), _) => Err(Error::Several {
            failed,
            total: clusters.len(),
            first: Box::new(first),
        }),
    }
}

/// Reconciles a namespace taken from the queue, in its own span.
async fn reconcile_key(ctx: Arc<Ctx>, key: String) -> Result<(), Error> {
    let span = info_span!("reconcile", namespace = %key);
    reconcile(&ctx, &key).instrument(span).await
}

fn log_failure(key: &String, err: &Error, retry_in: Option<Duration>) {
    warn!(namespace = %key, error = %err, ?retry_in, "reconcile failed");
}

async fn watch_namespaces(ctx: Arc<Ctx>, writer: Writer<Namespace>) {
    let api: Api<Namespace> = Api::all(ctx.client.clone());
    let mut events = watcher(api, watcher::Config::default())
        .default_backoff()
        .reflect(writer)
        .boxed();
    while let Some(event) = events.next().await {
        match event {
            Ok(watcher::Event::Apply(ns)) => ctx.on_namespace(&ns, false),
            Ok(watcher::Event::Delete(ns)) => ctx.on_namespace(&ns, true),
            Ok(watcher::Event::InitDone) => ctx.enqueue_all(),
            Ok(_) => {}
            Err(err) => warn!(error = %err, "namespace watch failed"),
        }
    }
}

async fn watch_works(ctx: Arc<Ctx>, writer: Writer<Work>) {
    let api: Api<Work> = Api::all(ctx.client.clone());
    // Binding Works are the binding controller's; only the others are of interest here.
    let selector = format!(
        "!{},!{}",
        labels::RESOURCE_BINDING_PERMANENT_ID,
        labels::CLUSTER_RESOURCE_BINDING_PERMANENT_ID
    );
    let mut events = watcher(api, watcher::Config::default().labels(&selector))
        .default_backoff()
        .reflect(writer)
        .boxed();
    while let Some(event) = events.next().await {
        match event {
            Ok(event) => ctx.on_work(&event),
            Err(err) => warn!(error = %err, "Work watch failed"),
        }
    }
}

/// Runs the namespace controller until `ctx.shutdown` is cancelled. Watches and retries never
/// end it; the only error is invalid options.
pub async fn run(ctx: Context, opts: NamespaceOptions) -> Result<(), Error> {
    opts.validate()?;
    let skipped = opts.patterns()?;
    let client = ctx.client.clone();
    let (namespaces, namespace_writer) = reflector::store::<Namespace>();
    let (works, work_writer) = reflector::store::<Work>();
    let workers = opts.queue.workers;
    let shared = Arc::new(Ctx {
        client: client.clone(),
        queue: opts.queue.queue(),
        opts,
        skipped,
        namespaces: namespaces.clone(),
        works: works.clone(),
        clusters: Arc::new(ClusterCache::default()),
        policies: Arc::new(PolicyCache::default()),
        namespace_seen: Mutex::new(HashMap::new()),
        work_seen: Mutex::new(HashMap::new()),
        writer: WorkWriter::new(client.clone(), FIELD_MANAGER),
    });
    info!(workers, "starting the namespace controller");

    let mut background = JoinSet::new();
    let (clusters_ready, mut clusters_ready_rx) = watch::channel(false);
    let (cop_ready, mut cop_ready_rx) = watch::channel(false);
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
    background.spawn(watch_works(Arc::clone(&shared), work_writer));
    background.spawn(watch_namespaces(Arc::clone(&shared), namespace_writer));
    let c = Arc::clone(&shared);
    background.spawn(resync(shared.opts.resync_period, move || c.enqueue_all()));

    let caches_filled = async {
        let _ = clusters_ready_rx.wait_for(|r| *r).await;
        let _ = cop_ready_rx.wait_for(|r| *r).await;
        let _ = works.wait_until_ready().await;
        let _ = namespaces.wait_until_ready().await;
    };
    let mut pool = JoinSet::new();
    tokio::select! {
        _ = ctx.shutdown.cancelled() => {}
        _ = caches_filled => {
            info!("caches filled; propagating namespaces");
            // Namespaces listed before the clusters were known are looked at again.
            shared.enqueue_all();
            spawn_workers(&mut pool, workers, &shared.queue, &shared, reconcile_key, log_failure);
            ctx.shutdown.cancelled().await;
        }
    }

    info!("stopping the namespace controller");
    shared.queue.shut_down();
    background.abort_all();
    while pool.join_next().await.is_some() {}
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_namespaces_are_propagated() {
        let patterns = NamespaceOptions::default().patterns().unwrap();
        for (namespace, skipped) in [
            ("default", true),
            ("karmada-system", true),
            ("karmada-cluster", true),
            ("karmada-es-m1", true),
            ("kube-system", true),
            ("kube-public", true),
            ("team-a", false),
            ("kubeflow", false),
            ("my-kube-things", false),
        ] {
            assert_eq!(is_skipped(namespace, &patterns), skipped, "{namespace}");
        }
    }

    #[test]
    fn opting_out_is_case_insensitive() {
        let ns = |value: &str| Namespace {
            metadata: kube::api::ObjectMeta {
                labels: Some(BTreeMap::from([(
                    labels::NAMESPACE_SKIP_AUTO_PROPAGATION.to_owned(),
                    value.to_owned(),
                )])),
                ..Default::default()
            },
            ..Default::default()
        };
        assert!(opted_out(&ns("true")));
        assert!(opted_out(&ns("True")));
        assert!(!opted_out(&ns("false")));
        assert!(!opted_out(&Namespace::default()));
    }

    #[test]
    fn the_manifest_keeps_only_name_labels_and_annotations() {
        let ns: Namespace = serde_json::from_value(json!({
            "metadata": {
                "name": "team-a", "uid": "ns-uid", "resourceVersion": "5",
                "labels": {"team": "a"}, "creationTimestamp": "2024-01-01T00:00:00Z"
            },
            "spec": {"finalizers": ["kubernetes"]},
            "status": {"phase": "Active"}
        }))
        .unwrap();
        let mut manifest = namespace_manifest(&ns);
        assert_eq!(
            manifest,
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a", "uid": "ns-uid", "labels": {"team": "a"}}})
        );
        finish_manifest(
            &mut manifest,
            &Finish {
                work_namespace: "karmada-es-m1",
                work_name: "team-a-x",
                work_permanent_id: "id",
                conflict_resolution: None,
            },
        );
        assert!(manifest["metadata"].get("uid").is_none());
        assert_eq!(
            manifest["metadata"]["annotations"][labels::RESOURCE_TEMPLATE_UID],
            "ns-uid"
        );
        assert_eq!(
            manifest["metadata"]["labels"][labels::MANAGED_BY_KARMADA],
            "true"
        );
        assert!(
            manifest["metadata"]["annotations"]
                .get(labels::CONFLICT_RESOLUTION)
                .is_none()
        );
    }

    #[test]
    fn options_are_validated() {
        assert!(NamespaceOptions::default().validate().is_ok());
        for bad in [
            NamespaceOptions {
                queue: QueueOptions {
                    workers: 0,
                    ..NamespaceOptions::default().queue
                },
                ..Default::default()
            },
            NamespaceOptions {
                skipped_namespaces: vec!["(".into()],
                ..Default::default()
            },
            NamespaceOptions {
                queue: QueueOptions {
                    retry_max: Duration::ZERO,
                    ..NamespaceOptions::default().queue
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
}
