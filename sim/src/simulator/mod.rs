//! The kwok-style simulator: the parts of a cluster that turn API objects into "running"
//! workloads, as clients of the member's own API.
//!
//! # How it runs
//!
//! * **One watcher and reflector per kind** (Nodes, Pods, Deployments, ReplicaSets,
//!   StatefulSets, DaemonSets, Jobs), shared by every controller. Each event updates the
//!   reflector store, then the simulator's indexes (pods by controller and by node, the
//!   scheduler's [`Ledger`], the controllers' expectations), then enqueues the keys it concerns.
//! * **One work queue per controller** ([`WorkQueue`]): `nodes` (node status, pod garbage
//!   collection for deleted nodes), `scheduler`, `kubelet`, `replicasets`, `deployments`,
//!   `statefulsets`, `daemonsets`, `jobs`. Reconcilers are level-triggered and idempotent, read
//!   from the stores, and write only what differs (status through the status subresource, as a
//!   merge patch). Nothing polls: timers exist only where kube has them (the pod-ready delay,
//!   `minReadySeconds`, progress deadlines, `activeDeadlineSeconds`).
//! * **Expectations**, as in kube-controller-manager: a controller remembers the pods it created
//!   or deleted until the watch reports them, so it never creates twice for one shortfall.
//! * **Placement at creation.** The API has no `pods/binding`, and a pod's `spec.nodeName` can
//!   only be set when it is created; so a controller asks the [`Ledger`] for a node and creates
//!   the pod bound to it. A pod that fits nowhere is created Pending and the scheduler marks it
//!   `PodScheduled=False` (`Unschedulable`, with kube-scheduler's message). When room appears
//!   (a node added, uncordoned or grown, a pod gone) pending pods are looked at again: one that
//!   now fits is replaced — a controller's pod is deleted with room reserved for its controller's
//!   next pod, a bare pod is recreated bound to the node.

mod daemonset;
mod deployment;
mod job;
mod kubelet;
mod nodes;
mod pods;
mod replicaset;
mod scheduler;
mod statefulset;
mod status;

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use flotilla_runtime::WorkQueue;
use futures::StreamExt;
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::runtime::reflector::{self, ObjectRef, Store, store::Writer};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client, Resource, ResourceExt};
use serde::de::DeserializeOwned;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use crate::Key;
use crate::placement::{Ledger, NodeView};
use crate::resources::{Amounts, pod_demand};

/// The field manager of everything the simulator writes.
pub const FIELD_MANAGER: &str = "flotilla-member-sim";

/// How long an expectation waits for the watch before it is dropped (kube's is 5 minutes; the
/// simulator's API is local, so a much shorter wait is plenty).
const EXPECTATION_TTL: Duration = Duration::from_secs(30);

/// How long a pod bound to a node that does not exist is left alone before it is deleted (kube's
/// pod garbage collector waits 40 seconds, in case the node is being created).
const ORPHAN_POD_GRACE: Duration = Duration::from_secs(10);

/// What the simulator simulates.
#[derive(Debug, Clone)]
pub struct SimulatorOptions {
    /// The member's name; its nodes are `<member>-node-<i>`.
    pub member: String,
    /// Nodes created at start when missing.
    pub nodes: u32,
    /// CPU, memory and pod capacity of every node the simulator creates or completes.
    pub node_cpu: String,
    pub node_memory: String,
    pub node_pods: u32,
    /// How long after it is bound a pod becomes Running and Ready (a Job's pod then succeeds
    /// after as long again).
    pub pod_ready_delay: Duration,
    /// Keys each controller reconciles concurrently.
    pub workers: usize,
    /// Run the workload controllers, pod scheduler and kubelet. Off, the member is nodes and an
    /// API only: objects are stored and served but nothing runs (what a propagation benchmark
    /// wants when it measures the control plane rather than the members' churn).
    pub workloads: bool,
}

impl SimulatorOptions {
    pub fn new(member: &str) -> SimulatorOptions {
        SimulatorOptions {
            member: member.to_owned(),
            nodes: 3,
            node_cpu: "8".into(),
            node_memory: "32Gi".into(),
            node_pods: 110,
            pod_ready_delay: Duration::from_millis(500),
            workers: 8,
            workloads: true,
        }
    }

    /// The name of the `i`th node.
    pub fn node_name(&self, i: u32) -> String {
        format!("{}-node-{i}", self.member)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("failed to read the member's state from its API: the watch caches never filled")]
    NotSynced,
    #[error("failed to create node {node}: {source}")]
    CreateNode {
        node: String,
        #[source]
        source: kube::Error,
    },
}

/// What a pod event tells the indexes.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct PodFacts {
    /// The controller's kind and uid.
    pub owner: Option<(String, String)>,
    pub node: Option<String>,
    pub ip: Option<u32>,
    pub terminal: bool,
    pub deleting: bool,
    /// What it takes from its node (bound, not finished).
    pub uses: Option<(String, Amounts)>,
}

impl PodFacts {
    fn of(pod: &Pod) -> PodFacts {
        let node = pod.spec.as_ref().and_then(|s| s.node_name.clone());
        let terminal = pods::is_terminal(pod);
        let uses = match (&node, pod.spec.as_ref()) {
            (Some(n), Some(spec)) if !terminal => Some((n.clone(), pod_demand(spec))),
            _ => None,
        };
        PodFacts {
            owner: pods::controller_of(&pod.metadata).map(|r| (r.kind.clone(), r.uid.clone())),
            ip: pod
                .status
                .as_ref()
                .and_then(|s| s.pod_ip.as_deref())
                .and_then(parse_ipv4),
            node,
            terminal,
            deleting: pods::is_deleting(&pod.metadata),
            uses,
        }
    }

    fn unscheduled(&self) -> bool {
        self.node.is_none() && !self.terminal && !self.deleting
    }
}

/// Pods by controller and by node, and the pods waiting for a node.
#[derive(Debug, Default)]
pub(crate) struct PodIndex {
    facts: HashMap<Key, PodFacts>,
    by_owner: HashMap<String, HashSet<Key>>,
    by_node: HashMap<String, HashSet<Key>>,
    unscheduled: HashSet<Key>,
}

impl PodIndex {
    fn set(&mut self, key: &Key, facts: PodFacts) -> Option<PodFacts> {
        let old = self.remove(key);
        if let Some((_, uid)) = &facts.owner {
            self.by_owner
                .entry(uid.clone())
                .or_default()
                .insert(key.clone());
        }
        if let Some(node) = &facts.node {
            self.by_node
                .entry(node.clone())
                .or_default()
                .insert(key.clone());
        }
        if facts.unscheduled() {
            self.unscheduled.insert(key.clone());
        }
        self.facts.insert(key.clone(), facts);
        old
    }

    fn remove(&mut self, key: &Key) -> Option<PodFacts> {
        let old = self.facts.remove(key)?;
        if let Some((_, uid)) = &old.owner
            && let Some(set) = self.by_owner.get_mut(uid)
        {
            set.remove(key);
            if set.is_empty() {
                self.by_owner.remove(uid);
            }
        }
        if let Some(node) = &old.node
            && let Some(set) = self.by_node.get_mut(node)
        {
            set.remove(key);
            if set.is_empty() {
                self.by_node.remove(node);
            }
        }
        self.unscheduled.remove(key);
        Some(old)
    }

    pub fn owned_by(&self, uid: &str) -> Vec<Key> {
        self.by_owner
            .get(uid)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default()
    }

    pub fn on_node(&self, node: &str) -> Vec<Key> {
        self.by_node
            .get(node)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default()
    }

    pub fn nodes_in_use(&self) -> Vec<String> {
        self.by_node.keys().cloned().collect()
    }
}

/// Pods a controller created or deleted that the watch has not reported yet. A created pod
/// carries a tag saying what it was created for (a DaemonSet's node, a Job's index).
#[derive(Debug, Default)]
pub(crate) struct Expectations {
    creates: HashMap<String, HashMap<String, (Instant, String)>>,
    deletes: HashMap<String, HashMap<String, (Instant, String)>>,
}

impl Expectations {
    pub fn expect_create(&mut self, owner: &str, pod: &str, tag: &str) {
        self.creates
            .entry(owner.to_owned())
            .or_default()
            .insert(pod.to_owned(), (Instant::now(), tag.to_owned()));
    }

    pub fn expect_delete(&mut self, owner: &str, pod: &str) {
        self.deletes
            .entry(owner.to_owned())
            .or_default()
            .insert(pod.to_owned(), (Instant::now(), String::new()));
    }

    /// The watch reported the pod present (or gone).
    pub fn observed(&mut self, owner: &str, pod: &str, present: bool) {
        let forget = |map: &mut HashMap<String, HashMap<String, (Instant, String)>>| {
            if let Some(m) = map.get_mut(owner) {
                m.remove(pod);
                if m.is_empty() {
                    map.remove(owner);
                }
            }
        };
        forget(&mut self.creates);
        if !present {
            forget(&mut self.deletes);
        }
    }

    /// Pods created but not yet seen (name and tag), and names deleted but still seen.
    pub fn pending(&mut self, owner: &str) -> (Vec<(String, String)>, HashSet<String>) {
        let now = Instant::now();
        let take = |map: &mut HashMap<String, HashMap<String, (Instant, String)>>| {
            let Some(m) = map.get_mut(owner) else {
                return Vec::new();
            };
            m.retain(|_, (at, _)| now.duration_since(*at) < EXPECTATION_TTL);
            let entries: Vec<(String, String)> = m
                .iter()
                .map(|(n, (_, tag))| (n.clone(), tag.clone()))
                .collect();
            if m.is_empty() {
                map.remove(owner);
            }
            entries
        };
        let creates = take(&mut self.creates);
        let deletes = take(&mut self.deletes)
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        (creates, deletes)
    }

    pub fn forget_owner(&mut self, owner: &str) {
        self.creates.remove(owner);
        self.deletes.remove(owner);
    }
}

/// Pod IPs from 10.244.0.0/14 (never a .0 or .255 address), handed out round-robin so that an
/// address is not reused right after its pod went.
#[derive(Debug, Default)]
pub(crate) struct IpPool {
    used: HashSet<u32>,
    next: u32,
}

const POD_IP_FIRST: u32 = u32::from_be_bytes([10, 244, 0, 1]);
const POD_IP_LAST: u32 = u32::from_be_bytes([10, 247, 255, 254]);

impl IpPool {
    pub fn allocate(&mut self) -> Option<u32> {
        let span = POD_IP_LAST - POD_IP_FIRST + 1;
        let start = self.next.clamp(POD_IP_FIRST, POD_IP_LAST) - POD_IP_FIRST;
        let ip = (0..span)
            .map(|i| POD_IP_FIRST + (start + i) % span)
            .find(|ip| !matches!(ip & 0xff, 0 | 255) && !self.used.contains(ip))?;
        self.used.insert(ip);
        self.next = ip + 1;
        Some(ip)
    }

    pub fn hold(&mut self, ip: u32) {
        self.used.insert(ip);
    }

    pub fn release(&mut self, ip: u32) {
        self.used.remove(&ip);
    }
}

pub fn parse_ipv4(s: &str) -> Option<u32> {
    s.parse::<std::net::Ipv4Addr>().ok().map(u32::from)
}

pub fn format_ipv4(ip: u32) -> String {
    std::net::Ipv4Addr::from(ip).to_string()
}

/// Everything the reconcilers share that is not in a store.
#[derive(Debug, Default)]
pub(crate) struct State {
    pub ledger: Ledger,
    pub pods: PodIndex,
    /// ReplicaSets by the uid of their controlling Deployment.
    pub replicasets_by_owner: HashMap<String, HashSet<Key>>,
    pub expectations: Expectations,
    pub pod_ips: IpPool,
    /// What the kubelet did for each pod it has seen bound.
    pub kubelet: HashMap<Key, kubelet::Record>,
}

pub(crate) struct Queues {
    pub nodes: Arc<WorkQueue<Key>>,
    pub scheduler: Arc<WorkQueue<Key>>,
    pub kubelet: Arc<WorkQueue<Key>>,
    pub replicasets: Arc<WorkQueue<Key>>,
    pub deployments: Arc<WorkQueue<Key>>,
    pub statefulsets: Arc<WorkQueue<Key>>,
    pub daemonsets: Arc<WorkQueue<Key>>,
    pub jobs: Arc<WorkQueue<Key>>,
}

impl Queues {
    fn new() -> Queues {
        let q = || {
            Arc::new(WorkQueue::new(
                Duration::from_millis(50),
                Duration::from_secs(30),
            ))
        };
        Queues {
            nodes: q(),
            scheduler: q(),
            kubelet: q(),
            replicasets: q(),
            deployments: q(),
            statefulsets: q(),
            daemonsets: q(),
            jobs: q(),
        }
    }

    fn all(&self) -> [&Arc<WorkQueue<Key>>; 8] {
        [
            &self.nodes,
            &self.scheduler,
            &self.kubelet,
            &self.replicasets,
            &self.deployments,
            &self.statefulsets,
            &self.daemonsets,
            &self.jobs,
        ]
    }
}

/// The simulator's shared state: the API client, the stores and indexes, the queues.
pub(crate) struct Sim {
    pub client: Client,
    pub opts: SimulatorOptions,
    pub nodes: Store<Node>,
    pub pods: Store<Pod>,
    pub deployments: Store<Deployment>,
    pub replicasets: Store<ReplicaSet>,
    pub statefulsets: Store<StatefulSet>,
    pub daemonsets: Store<DaemonSet>,
    pub jobs: Store<Job>,
    state: Mutex<State>,
    pub queues: Queues,
}

/// Looks a namespaced or cluster-scoped object up in a store.
pub(crate) fn get<K>(store: &Store<K>, key: &Key) -> Option<Arc<K>>
where
    K: Resource<DynamicType = ()> + Clone + 'static,
{
    let mut r = ObjectRef::<K>::new(&key.name);
    if !key.namespace.is_empty() {
        r = r.within(&key.namespace);
    }
    store.get(&r)
}

impl Sim {
    pub fn state(&self) -> MutexGuard<'_, State> {
        // Every update leaves the indexes consistent; a panic elsewhere must not stop the rest.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The pods controlled by `uid` that the watch shows (less those being deleted by the
    /// controller), and the pods it created that the watch does not show yet (name and tag).
    pub fn owned_pods(&self, uid: &str) -> (Vec<Arc<Pod>>, Vec<(String, String)>) {
        let (keys, creates, deletes) = {
            let mut state = self.state();
            let keys = state.pods.owned_by(uid);
            let (creates, deletes) = state.expectations.pending(uid);
            (keys, creates, deletes)
        };
        let mut seen = HashSet::new();
        let mut pods = Vec::new();
        for key in keys {
            if let Some(p) = get(&self.pods, &key) {
                // The index can be a moment ahead of or behind the store: trust the store.
                if pods::controller_of(&p.metadata).map(|r| r.uid.as_str()) != Some(uid) {
                    continue;
                }
                seen.insert(key.name.clone());
                if !deletes.contains(&key.name) {
                    pods.push(p);
                }
            }
        }
        let creates = creates
            .into_iter()
            .filter(|(n, _)| !seen.contains(n))
            .collect();
        (pods, creates)
    }

    /// Looks at every pod waiting for a node again.
    fn retry_unscheduled(&self) {
        let keys: Vec<Key> = self.state().pods.unscheduled.iter().cloned().collect();
        for key in keys {
            self.queues.scheduler.add(key);
        }
    }

    fn enqueue_owner(&self, namespace: &str, meta: &kube::api::ObjectMeta) {
        let Some(owner) = pods::controller_of(meta) else {
            return;
        };
        let key = Key::new(namespace, &owner.name);
        match (owner.api_version.as_str(), owner.kind.as_str()) {
            ("apps/v1", "ReplicaSet") => self.queues.replicasets.add(key),
            ("apps/v1", "StatefulSet") => self.queues.statefulsets.add(key),
            ("apps/v1", "DaemonSet") => self.queues.daemonsets.add(key),
            ("apps/v1", "Deployment") => self.queues.deployments.add(key),
            ("batch/v1", "Job") => self.queues.jobs.add(key),
            _ => {}
        }
    }

    fn enqueue_all_daemonsets(&self) {
        for ds in self.daemonsets.state() {
            self.queues.daemonsets.add(Key::of(ds.as_ref()));
        }
    }

    fn on_node(&self, event: &watcher::Event<Node>) {
        match event {
            watcher::Event::Apply(node) => {
                let name = node.name_any();
                let (room, waiting) = {
                    let mut state = self.state();
                    let new = !state.ledger.has_node(&name);
                    let room = state.ledger.set_node(&name, NodeView::of(node));
                    // Pods bound to a node before it existed wait for it.
                    let waiting = if new {
                        state.pods.on_node(&name)
                    } else {
                        Vec::new()
                    };
                    (room, waiting)
                };
                self.queues.nodes.add(Key::cluster(&name));
                for key in waiting {
                    self.queues.kubelet.add(key);
                }
                if room {
                    self.retry_unscheduled();
                }
                self.enqueue_all_daemonsets();
            }
            watcher::Event::Delete(node) => {
                let name = node.name_any();
                self.state().ledger.remove_node(&name);
                self.queues.nodes.add(Key::cluster(&name));
                self.enqueue_all_daemonsets();
            }
            watcher::Event::InitDone => {
                let nodes = self.nodes.state();
                let names: HashSet<String> = nodes.iter().map(|n| n.name_any()).collect();
                let (gone, in_use) = {
                    let mut state = self.state();
                    let gone: Vec<String> = state
                        .ledger
                        .node_names()
                        .filter(|n| !names.contains(*n))
                        .cloned()
                        .collect();
                    for n in &gone {
                        state.ledger.remove_node(n);
                    }
                    for node in &nodes {
                        state.ledger.set_node(&node.name_any(), NodeView::of(node));
                    }
                    (gone, state.pods.nodes_in_use())
                };
                for name in names.iter().chain(&gone).chain(&in_use) {
                    self.queues.nodes.add(Key::cluster(name));
                }
                for pod in self.pods.state() {
                    if kubelet::has_work(&pod) {
                        self.queues.kubelet.add(Key::of(pod.as_ref()));
                    }
                }
                self.retry_unscheduled();
                self.enqueue_all_daemonsets();
            }
            watcher::Event::Init | watcher::Event::InitApply(_) => {}
        }
    }

    fn on_pod(&self, event: &watcher::Event<Pod>) {
        match event {
            watcher::Event::Apply(pod) => self.pod_seen(pod),
            watcher::Event::Delete(pod) => {
                let key = Key::of(pod);
                let freed = {
                    let mut state = self.state();
                    let old = state.pods.remove(&key);
                    if let Some(ip) = old.as_ref().and_then(|f| f.ip) {
                        state.pod_ips.release(ip);
                    }
                    if let Some((_, uid)) = old.as_ref().and_then(|f| f.owner.as_ref()) {
                        state.expectations.observed(uid, &key.name, false);
                    }
                    state.kubelet.remove(&key);
                    state.ledger.set_pod(&key, None)
                };
                self.enqueue_owner(&key.namespace, &pod.metadata);
                if freed {
                    self.retry_unscheduled();
                }
            }
            watcher::Event::InitDone => {
                let all = self.pods.state();
                {
                    let mut state = self.state();
                    state.pods = PodIndex::default();
                    state.pod_ips = IpPool::default();
                    state.ledger.clear_pods();
                }
                for pod in &all {
                    self.pod_seen(pod);
                }
                self.retry_unscheduled();
            }
            watcher::Event::Init | watcher::Event::InitApply(_) => {}
        }
    }

    fn pod_seen(&self, pod: &Pod) {
        let key = Key::of(pod);
        let facts = PodFacts::of(pod);
        let (freed, node_known) = {
            let mut state = self.state();
            let old = state.pods.set(&key, facts.clone());
            if let Some(ip) = old.as_ref().and_then(|f| f.ip)
                && Some(ip) != facts.ip
            {
                state.pod_ips.release(ip);
            }
            if let Some(ip) = facts.ip
                && !facts.terminal
            {
                state.pod_ips.hold(ip);
            } else if let Some(ip) = facts.ip {
                state.pod_ips.release(ip);
            }
            if let Some((_, uid)) = &facts.owner {
                state.expectations.observed(uid, &key.name, true);
            }
            let freed = state.ledger.set_pod(&key, facts.uses.clone());
            let node_known = facts.node.as_ref().is_none_or(|n| state.ledger.has_node(n));
            (freed, node_known)
        };
        self.enqueue_owner(&key.namespace, &pod.metadata);
        if facts.unscheduled() {
            self.queues.scheduler.add(key.clone());
        }
        if let Some(node) = &facts.node
            && !facts.terminal
            && !facts.deleting
        {
            if kubelet::has_work(pod) {
                self.queues.kubelet.add(key.clone());
            }
            if !node_known {
                // Bound to a node that does not exist (yet): unless it appears, the pod garbage
                // collector's business.
                self.queues
                    .nodes
                    .add_after(Key::cluster(node), ORPHAN_POD_GRACE);
            }
        }
        if freed {
            self.retry_unscheduled();
        }
    }

    fn on_replicaset(&self, event: &watcher::Event<ReplicaSet>) {
        let index = |state: &mut State, rs: &ReplicaSet| {
            let key = Key::of(rs);
            if let Some(owner) = pods::controller_of(&rs.metadata) {
                state
                    .replicasets_by_owner
                    .entry(owner.uid.clone())
                    .or_default()
                    .insert(key);
            }
        };
        match event {
            watcher::Event::Apply(rs) => {
                index(&mut self.state(), rs);
                self.queues.replicasets.add(Key::of(rs));
                self.enqueue_owner(&Key::of(rs).namespace, &rs.metadata);
            }
            watcher::Event::Delete(rs) => {
                let key = Key::of(rs);
                {
                    let mut state = self.state();
                    if let Some(owner) = pods::controller_of(&rs.metadata)
                        && let Some(set) = state.replicasets_by_owner.get_mut(&owner.uid)
                    {
                        set.remove(&key);
                        if set.is_empty() {
                            state.replicasets_by_owner.remove(&owner.uid);
                        }
                    }
                    if let Some(uid) = rs.uid() {
                        state.expectations.forget_owner(&uid);
                    }
                }
                self.enqueue_owner(&key.namespace, &rs.metadata);
            }
            watcher::Event::InitDone => {
                let all = self.replicasets.state();
                {
                    let mut state = self.state();
                    state.replicasets_by_owner.clear();
                    for rs in &all {
                        index(&mut state, rs);
                    }
                }
                for rs in &all {
                    self.queues.replicasets.add(Key::of(rs.as_ref()));
                    self.enqueue_owner(&Key::of(rs.as_ref()).namespace, &rs.metadata);
                }
            }
            watcher::Event::Init | watcher::Event::InitApply(_) => {}
        }
    }

    /// The handler of a kind whose events only enqueue the object itself.
    fn enqueue_on<K>(queue: &Arc<WorkQueue<Key>>, store: &Store<K>, event: &watcher::Event<K>)
    where
        K: Resource<DynamicType = ()> + Clone + 'static,
    {
        match event {
            watcher::Event::Apply(obj) | watcher::Event::Delete(obj) => queue.add(Key::of(obj)),
            watcher::Event::InitDone => {
                for obj in store.state() {
                    queue.add(Key::of(obj.as_ref()));
                }
            }
            watcher::Event::Init | watcher::Event::InitApply(_) => {}
        }
    }
}

/// Runs a watcher of `api` into `writer`, handing each event to `handle` once the store has it.
fn spawn_informer<K>(
    tasks: &mut JoinSet<()>,
    api: Api<K>,
    mut writer: Writer<K>,
    sim: Arc<Sim>,
    handle: fn(&Sim, &watcher::Event<K>),
) where
    K: Resource<DynamicType = ()>
        + Clone
        + DeserializeOwned
        + std::fmt::Debug
        + Send
        + Sync
        + 'static,
{
    tasks.spawn(async move {
        let mut events = watcher(api, watcher::Config::default())
            .default_backoff()
            .boxed();
        while let Some(event) = events.next().await {
            match event {
                Ok(event) => {
                    writer.apply_watcher_event(&event);
                    handle(&sim, &event);
                }
                Err(err) => {
                    warn!(kind = %K::kind(&()), %err, "watch failed; retrying");
                }
            }
        }
    });
}

/// Runs `workers` tasks that take keys from `queue` and reconcile them.
fn spawn_workers<F, Fut>(
    tasks: &mut JoinSet<()>,
    sim: &Arc<Sim>,
    queue: &Arc<WorkQueue<Key>>,
    workers: usize,
    controller: &'static str,
    reconcile: F,
) where
    F: Fn(Arc<Sim>, Key) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<Option<Duration>, kube::Error>> + Send + 'static,
{
    let failed = move |key: &Key, err: &kube::Error, retry: Option<Duration>| {
        // Conflicts, vanished objects and namespaces being deleted are routine: the next event
        // settles them.
        if [403, 404, 409].iter().any(|c| pods::is_status(err, *c)) {
            debug!(controller, key = %key, %err, ?retry, "reconcile failed");
        } else {
            warn!(controller, key = %key, %err, ?retry, "reconcile failed");
        }
    };
    flotilla_runtime::spawn_workers(tasks, workers.max(1), queue, sim, reconcile, failed);
}

/// Runs the simulator against the member API behind `client` until `shutdown` is cancelled.
pub async fn run(
    client: Client,
    opts: SimulatorOptions,
    shutdown: CancellationToken,
) -> Result<(), Error> {
    let (nodes, nodes_w) = reflector::store();
    let (pods_r, pods_w) = reflector::store();
    let (deployments, deployments_w) = reflector::store();
    let (replicasets, replicasets_w) = reflector::store();
    let (statefulsets, statefulsets_w) = reflector::store();
    let (daemonsets, daemonsets_w) = reflector::store();
    let (jobs, jobs_w) = reflector::store();
    let sim = Arc::new(Sim {
        client: client.clone(),
        opts,
        nodes,
        pods: pods_r,
        deployments,
        replicasets,
        statefulsets,
        daemonsets,
        jobs,
        state: Mutex::new(State::default()),
        queues: Queues::new(),
    });
    let mut tasks = JoinSet::new();
    let c = &client;
    spawn_informer(
        &mut tasks,
        Api::all(c.clone()),
        nodes_w,
        Arc::clone(&sim),
        Sim::on_node,
    );
    spawn_informer(
        &mut tasks,
        Api::all(c.clone()),
        pods_w,
        Arc::clone(&sim),
        Sim::on_pod,
    );
    let workloads = sim.opts.workloads;
    if workloads {
        spawn_informer(
            &mut tasks,
            Api::all(c.clone()),
            replicasets_w,
            Arc::clone(&sim),
            Sim::on_replicaset,
        );
        spawn_informer(
            &mut tasks,
            Api::all(c.clone()),
            deployments_w,
            Arc::clone(&sim),
            |sim, e| Sim::enqueue_on(&sim.queues.deployments, &sim.deployments, e),
        );
        spawn_informer(
            &mut tasks,
            Api::all(c.clone()),
            statefulsets_w,
            Arc::clone(&sim),
            |sim, e| Sim::enqueue_on(&sim.queues.statefulsets, &sim.statefulsets, e),
        );
        spawn_informer(
            &mut tasks,
            Api::all(c.clone()),
            daemonsets_w,
            Arc::clone(&sim),
            |sim, e| Sim::enqueue_on(&sim.queues.daemonsets, &sim.daemonsets, e),
        );
        spawn_informer(
            &mut tasks,
            Api::all(c.clone()),
            jobs_w,
            Arc::clone(&sim),
            |sim, e| Sim::enqueue_on(&sim.queues.jobs, &sim.jobs, e),
        );
    }

    let result = async {
        let synced = async {
            sim.nodes.wait_until_ready().await?;
            sim.pods.wait_until_ready().await?;
            if !workloads {
                return Ok(());
            }
            sim.deployments.wait_until_ready().await?;
            sim.replicasets.wait_until_ready().await?;
            sim.statefulsets.wait_until_ready().await?;
            sim.daemonsets.wait_until_ready().await?;
            sim.jobs.wait_until_ready().await
        };
        tokio::select! {
            r = synced => r.map_err(|_| Error::NotSynced)?,
            _ = shutdown.cancelled() => return Ok(()),
        }
        nodes::create_missing(&sim).await?;
        let w = sim.opts.workers;
        spawn_workers(
            &mut tasks,
            &sim,
            &sim.queues.nodes,
            1,
            nodes::NAME,
            |s, k| async move { nodes::reconcile(&s, &k).await },
        );
        if workloads {
            spawn_workers(
                &mut tasks,
                &sim,
                &sim.queues.scheduler,
                w,
                scheduler::NAME,
                |s, k| async move { scheduler::reconcile(&s, &k).await },
            );
            spawn_workers(
                &mut tasks,
                &sim,
                &sim.queues.kubelet,
                w * 2,
                kubelet::NAME,
                |s, k| async move { kubelet::reconcile(&s, &k).await },
            );
            spawn_workers(
                &mut tasks,
                &sim,
                &sim.queues.replicasets,
                w,
                replicaset::NAME,
                |s, k| async move { replicaset::reconcile(&s, &k).await },
            );
            spawn_workers(
                &mut tasks,
                &sim,
                &sim.queues.deployments,
                w,
                deployment::NAME,
                |s, k| async move { deployment::reconcile(&s, &k).await },
            );
            spawn_workers(
                &mut tasks,
                &sim,
                &sim.queues.statefulsets,
                w,
                statefulset::NAME,
                |s, k| async move { statefulset::reconcile(&s, &k).await },
            );
            spawn_workers(
                &mut tasks,
                &sim,
                &sim.queues.daemonsets,
                w,
                daemonset::NAME,
                |s, k| async move { daemonset::reconcile(&s, &k).await },
            );
            spawn_workers(
                &mut tasks,
                &sim,
                &sim.queues.jobs,
                w,
                job::NAME,
                |s, k| async move { job::reconcile(&s, &k).await },
            );
        }
        info!(member = %sim.opts.member, nodes = sim.nodes.state().len(), workloads, "simulator running");
        shutdown.cancelled().await;
        Ok(())
    }
    .await;
    for q in sim.queues.all() {
        q.shut_down();
    }
    tasks.shutdown().await;
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pod_ips_are_unique_and_skip_network_and_broadcast_addresses() {
        let mut pool = IpPool::default();
        let mut seen = HashSet::new();
        for _ in 0..600 {
            let ip = pool.allocate().expect("an address");
            assert!(!matches!(ip & 0xff, 0 | 255), "{}", format_ipv4(ip));
            assert!(seen.insert(ip), "{} twice", format_ipv4(ip));
        }
        assert_eq!(format_ipv4(*seen.iter().min().unwrap()), "10.244.0.1");
        let first = parse_ipv4("10.244.0.1").unwrap();
        pool.release(first);
        assert_ne!(pool.allocate(), Some(first), "not reused at once");
    }

    #[test]
    fn expectations_wait_for_the_watch() {
        let mut e = Expectations::default();
        e.expect_create("rs", "a", "");
        e.expect_create("ds", "b", "node-1");
        e.expect_delete("rs", "c");
        assert_eq!(e.pending("rs").0, vec![("a".to_owned(), String::new())]);
        assert!(e.pending("rs").1.contains("c"));
        assert_eq!(
            e.pending("ds").0,
            vec![("b".to_owned(), "node-1".to_owned())]
        );
        e.observed("rs", "a", true);
        e.observed("rs", "c", true);
        let (creates, deletes) = e.pending("rs");
        assert!(creates.is_empty());
        assert!(
            deletes.contains("c"),
            "still there: the delete is not seen yet"
        );
        e.observed("rs", "c", false);
        assert!(e.pending("rs").1.is_empty());
    }
}
