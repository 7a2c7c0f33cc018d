//! The caches the binding and namespace controllers both keep: member clusters as override
//! matching sees them, and the compiled override policies. Each is filled by a watch task that
//! reports what changed, so the controller can re-render exactly the Works a change affects.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, RwLock};

use flotilla_api::{Cluster, ClusterOverridePolicy, OverridePolicy};
use flotilla_scheduler::ClusterInput;
use futures::StreamExt;
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client, Resource};
use serde::de::DeserializeOwned;
use tokio::sync::watch;
use tracing::warn;

use crate::overrides::{CompiledOverridePolicy, cluster_input};

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|e| e.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|e| e.into_inner())
}

/// What happened to a cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ClusterChange {
    /// A cluster appeared.
    Added(String),
    /// A cluster's labels, provider, region or zones changed (what targetCluster matches).
    Changed(String),
    /// A cluster started being deleted or is gone.
    Removed(String),
}

#[derive(Debug)]
struct ClusterEntry {
    input: Arc<ClusterInput>,
    fingerprint: u64,
    deleting: bool,
}

/// Member clusters by name.
#[derive(Debug, Default)]
pub(crate) struct ClusterCache {
    clusters: RwLock<HashMap<String, ClusterEntry>>,
}

fn cluster_fingerprint(input: &ClusterInput) -> u64 {
    let mut hasher = DefaultHasher::new();
    (
        &input.labels,
        &input.provider,
        &input.region,
        &input.zone,
        &input.zones,
    )
        .hash(&mut hasher);
    hasher.finish()
}

impl ClusterCache {
    /// The cluster, unless it is unknown or being deleted.
    pub fn get(&self, name: &str) -> Option<Arc<ClusterInput>> {
        read(&self.clusters)
            .get(name)
            .filter(|e| !e.deleting)
            .map(|e| Arc::clone(&e.input))
    }

    /// The names of the clusters that are not being deleted.
    pub fn names(&self) -> Vec<String> {
        read(&self.clusters)
            .iter()
            .filter(|(_, e)| !e.deleting)
            .map(|(n, _)| n.clone())
            .collect()
    }

    fn upsert(&self, cluster: &Cluster) -> Option<ClusterChange> {
        let input = cluster_input(cluster);
        let name = input.name.clone();
        let deleting = cluster.metadata.deletion_timestamp.is_some();
        let fingerprint = cluster_fingerprint(&input);
        let previous = write(&self.clusters).insert(
            name.clone(),
            ClusterEntry {
                input: Arc::new(input),
                fingerprint,
                deleting,
            },
        );
        match previous {
            _ if deleting => {
                (!previous.is_some_and(|p| p.deleting)).then_some(ClusterChange::Removed(name))
            }
            None => Some(ClusterChange::Added(name)),
            Some(p) if p.deleting => Some(ClusterChange::Added(name)),
            Some(p) if p.fingerprint != fingerprint => Some(ClusterChange::Changed(name)),
            Some(_) => None,
        }
    }

    fn remove(&self, name: &str) -> Option<ClusterChange> {
        write(&self.clusters)
            .remove(name)
            .map(|_| ClusterChange::Removed(name.to_owned()))
    }

    /// Replaces everything with a fresh list; reports the differences.
    fn replace(&self, listed: &[Cluster]) -> Vec<ClusterChange> {
        let mut gone: Vec<String> = read(&self.clusters).keys().cloned().collect();
        let mut changes = Vec::new();
        for cluster in listed {
            let name = cluster.metadata.name.clone().unwrap_or_default();
            gone.retain(|g| *g != name);
            changes.extend(self.upsert(cluster));
        }
        for name in gone {
            changes.extend(self.remove(&name));
        }
        changes
    }
}

/// Keeps `cache` in line with the federation's Clusters, calling `on_change` for every change
/// that matters; `ready` turns true after the first list.
pub(crate) async fn watch_clusters(
    client: Client,
    cache: Arc<ClusterCache>,
    on_change: impl Fn(ClusterChange) + Send + 'static,
    ready: watch::Sender<bool>,
) {
    let api: Api<Cluster> = Api::all(client);
    let mut events = watcher(api, watcher::Config::default())
        .default_backoff()
        .boxed();
    let mut listed = Vec::new();
    while let Some(event) = events.next().await {
        match event {
            Ok(watcher::Event::Apply(c)) => {
                if let Some(change) = cache.upsert(&c) {
                    on_change(change);
                }
            }
            Ok(watcher::Event::Delete(c)) => {
                if let Some(change) = cache.remove(c.metadata.name.as_deref().unwrap_or_default()) {
                    on_change(change);
                }
            }
            Ok(watcher::Event::Init) => listed.clear(),
            Ok(watcher::Event::InitApply(c)) => listed.push(c),
            Ok(watcher::Event::InitDone) => {
                for change in cache.replace(&std::mem::take(&mut listed)) {
                    on_change(change);
                }
                ready.send_replace(true);
            }
            Err(err) => warn!(error = %err, "cluster watch failed"),
        }
    }
}

/// A change of an override policy: what it was and what it is (`None` when absent).
#[derive(Debug, Clone)]
pub(crate) struct PolicyChange {
    pub old: Option<Arc<CompiledOverridePolicy>>,
    pub new: Option<Arc<CompiledOverridePolicy>>,
}

/// The compiled override policies.
#[derive(Debug, Default)]
pub(crate) struct PolicyCache {
    /// ClusterOverridePolicies by name.
    cluster: RwLock<BTreeMap<String, Arc<CompiledOverridePolicy>>>,
    /// OverridePolicies by namespace, then name.
    namespaced: RwLock<HashMap<String, BTreeMap<String, Arc<CompiledOverridePolicy>>>>,
}

impl PolicyCache {
    /// Every ClusterOverridePolicy.
    pub fn cluster_policies(&self) -> Vec<Arc<CompiledOverridePolicy>> {
        read(&self.cluster).values().cloned().collect()
    }

    /// The OverridePolicies of a namespace.
    pub fn namespaced_policies(&self, namespace: &str) -> Vec<Arc<CompiledOverridePolicy>> {
        read(&self.namespaced)
            .get(namespace)
            .map(|p| p.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Whether some policy targets clusters by labels or fields.
    pub fn depends_on_cluster_fields(&self) -> bool {
        read(&self.cluster)
            .values()
            .any(|p| p.depends_on_cluster_fields())
            || read(&self.namespaced)
                .values()
                .flat_map(|p| p.values())
                .any(|p| p.depends_on_cluster_fields())
    }

    fn upsert(&self, policy: CompiledOverridePolicy) -> Option<PolicyChange> {
        let policy = Arc::new(policy);
        let old = match &policy.namespace {
            None => write(&self.cluster).insert(policy.name.clone(), Arc::clone(&policy)),
            Some(ns) => write(&self.namespaced)
                .entry(ns.clone())
                .or_default()
                .insert(policy.name.clone(), Arc::clone(&policy)),
        };
        if old.as_ref().is_some_and(|o| o.spec == policy.spec) {
            return None;
        }
        Some(PolicyChange {
            old,
            new: Some(policy),
        })
    }

    fn remove(&self, namespace: Option<&str>, name: &str) -> Option<PolicyChange> {
        let old = match namespace {
            None => write(&self.cluster).remove(name),
            Some(ns) => {
                let mut namespaced = write(&self.namespaced);
                let old = namespaced.get_mut(ns).and_then(|p| p.remove(name));
                if namespaced.get(ns).is_some_and(BTreeMap::is_empty) {
                    namespaced.remove(ns);
                }
                old
            }
        };
        old.map(|old| PolicyChange {
            old: Some(old),
            new: None,
        })
    }

    fn keys(&self, namespaced: bool) -> Vec<(Option<String>, String)> {
        if namespaced {
            read(&self.namespaced)
                .iter()
                .flat_map(|(ns, p)| p.keys().map(|n| (Some(ns.clone()), n.clone())))
                .collect()
        } else {
            read(&self.cluster)
                .keys()
                .map(|n| (None, n.clone()))
                .collect()
        }
    }
}

/// How a watched policy kind is compiled.
pub(crate) trait OverridePolicyKind:
    Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + 'static
{
    const NAMESPACED: bool;
    fn compile(&self) -> CompiledOverridePolicy;
}

impl OverridePolicyKind for ClusterOverridePolicy {
    const NAMESPACED: bool = false;
    fn compile(&self) -> CompiledOverridePolicy {
        CompiledOverridePolicy::cluster(self)
    }
}

impl OverridePolicyKind for OverridePolicy {
    const NAMESPACED: bool = true;
    fn compile(&self) -> CompiledOverridePolicy {
        CompiledOverridePolicy::namespaced(self)
    }
}

/// Keeps `cache` in line with the federation's policies of kind `K`, calling `on_change` for
/// every policy whose spec changed, appeared or went; `ready` turns true after the first list.
pub(crate) async fn watch_policies<K: OverridePolicyKind>(
    client: Client,
    cache: Arc<PolicyCache>,
    on_change: impl Fn(PolicyChange) + Send + 'static,
    ready: watch::Sender<bool>,
) {
    let api: Api<K> = Api::all(client);
    let mut events = watcher(api, watcher::Config::default())
        .default_backoff()
        .boxed();
    let mut listed: Vec<CompiledOverridePolicy> = Vec::new();
    while let Some(event) = events.next().await {
        match event {
            Ok(watcher::Event::Apply(p)) => {
                if let Some(change) = cache.upsert(p.compile()) {
                    on_change(change);
                }
            }
            Ok(watcher::Event::Delete(p)) => {
                let meta = p.meta();
                let namespace = K::NAMESPACED.then(|| meta.namespace.clone().unwrap_or_default());
                if let Some(change) = cache.remove(
                    namespace.as_deref(),
                    meta.name.as_deref().unwrap_or_default(),
                ) {
                    on_change(change);
                }
            }
            Ok(watcher::Event::Init) => listed.clear(),
            Ok(watcher::Event::InitApply(p)) => listed.push(p.compile()),
            Ok(watcher::Event::InitDone) => {
                let mut gone = cache.keys(K::NAMESPACED);
                for policy in std::mem::take(&mut listed) {
                    gone.retain(|(ns, n)| !(*ns == policy.namespace && *n == policy.name));
                    if let Some(change) = cache.upsert(policy) {
                        on_change(change);
                    }
                }
                for (ns, name) in gone {
                    if let Some(change) = cache.remove(ns.as_deref(), &name) {
                        on_change(change);
                    }
                }
                ready.send_replace(true);
            }
            Err(err) => warn!(kind = %K::kind(&()), error = %err, "override policy watch failed"),
        }
    }
}
