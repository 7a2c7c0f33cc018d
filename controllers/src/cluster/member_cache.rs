//! The status controller's view of one member's Nodes and Pods: two watchers feeding reflector
//! stores (Karmada keeps informers per member for the same purpose), so a status sync reads
//! memory instead of listing every pod of every member every period. Objects are slimmed to
//! the fields the summaries read before they are stored.
//!
//! A cache lives while its member is reachable: it is dropped (its watchers stop) when a probe
//! fails or the cluster leaves, and rebuilt with a fresh client when the member answers again,
//! when its connection settings change, or when a watch reported an error (credentials may have
//! been rotated).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use flotilla_api::Cluster;
use futures::StreamExt;
use k8s_openapi::api::core::v1::{
    Container, Node, NodeStatus, Pod, PodSpec, PodStatus, ResourceRequirements,
};
use kube::api::Api;
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, Resource};
use tokio::task::JoinSet;
use tracing::{debug, warn};

/// The connection settings a cache was built with; a change means a rebuild.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    endpoint: Option<String>,
    insecure: Option<bool>,
    proxy: Option<String>,
    secret: Option<(String, String)>,
}

impl Connection {
    pub fn of(cluster: &Cluster) -> Connection {
        let spec = &cluster.spec;
        Connection {
            endpoint: spec.api_endpoint.clone(),
            insecure: spec.insecure_skip_tls_verification,
            proxy: spec.proxy_url.clone(),
            secret: spec
                .secret_ref
                .as_ref()
                .map(|r| (r.namespace.clone(), r.name.clone())),
        }
    }
}

/// The Nodes and Pods of a member at one moment.
pub struct Snapshot {
    pub nodes: Vec<Arc<Node>>,
    pub pods: Vec<Arc<Pod>>,
}

/// Nodes and Pods of one member, kept by watchers.
pub struct MemberCache {
    connection: Connection,
    nodes: Store<Node>,
    pods: Store<Pod>,
    nodes_synced: Arc<AtomicBool>,
    pods_synced: Arc<AtomicBool>,
    failed: Arc<AtomicBool>,
    tasks: JoinSet<()>,
}

impl MemberCache {
    /// Starts watching the member; `on_synced` runs each time a watcher has (re)listed
    /// everything.
    pub fn start(
        cluster: &str,
        connection: Connection,
        client: Client,
        on_synced: Arc<dyn Fn() + Send + Sync>,
    ) -> MemberCache {
        let (nodes, nodes_writer) = reflector::store::<Node>();
        let (pods, pods_writer) = reflector::store::<Pod>();
        let nodes_synced = Arc::new(AtomicBool::new(false));
        let pods_synced = Arc::new(AtomicBool::new(false));
        let failed = Arc::new(AtomicBool::new(false));
        let mut tasks = JoinSet::new();
        let nodes_stream = watcher(Api::<Node>::all(client.clone()), watcher::Config::default())
            .modify(slim_node)
            .default_backoff()
            .reflect(nodes_writer);
        tasks.spawn(drive(
            cluster.to_owned(),
            nodes_stream,
            Arc::clone(&nodes_synced),
            Arc::clone(&failed),
            Arc::clone(&on_synced),
        ));
        let pods_stream = watcher(Api::<Pod>::all(client), watcher::Config::default())
            .modify(slim_pod)
            .default_backoff()
            .reflect(pods_writer);
        tasks.spawn(drive(
            cluster.to_owned(),
            pods_stream,
            Arc::clone(&pods_synced),
            Arc::clone(&failed),
            on_synced,
        ));
        debug!(cluster, "watching the member's nodes and pods");
        MemberCache {
            connection,
            nodes,
            pods,
            nodes_synced,
            pods_synced,
            failed,
            tasks,
        }
    }

    /// Whether this cache can be used for a cluster with these settings: same connection, and
    /// no watch failure since it was built.
    pub fn usable_for(&self, connection: &Connection) -> bool {
        self.connection == *connection && !self.failed.load(Ordering::Relaxed)
    }

    /// A handle to read the cache without holding on to it.
    pub fn handle(&self) -> CacheHandle {
        CacheHandle {
            nodes: self.nodes.clone(),
            pods: self.pods.clone(),
            nodes_synced: Arc::clone(&self.nodes_synced),
            pods_synced: Arc::clone(&self.pods_synced),
        }
    }
}

/// Reads a [`MemberCache`]'s stores.
#[derive(Clone)]
pub struct CacheHandle {
    nodes: Store<Node>,
    pods: Store<Pod>,
    nodes_synced: Arc<AtomicBool>,
    pods_synced: Arc<AtomicBool>,
}

impl CacheHandle {
    /// Nodes and Pods once both watchers have listed everything, waiting up to `wait` for a
    /// cache that has just been started (so a member's first status already has its
    /// summaries, as Karmada waits for its informers).
    pub async fn snapshot(&self, wait: Duration) -> Option<Snapshot> {
        let filled = async {
            let _ = self.nodes.wait_until_ready().await;
            let _ = self.pods.wait_until_ready().await;
        };
        let _ = tokio::time::timeout(wait, filled).await;
        (self.nodes_synced.load(Ordering::Relaxed) && self.pods_synced.load(Ordering::Relaxed))
            .then(|| Snapshot {
                nodes: self.nodes.state(),
                pods: self.pods.state(),
            })
    }
}

impl Drop for MemberCache {
    fn drop(&mut self) {
        self.tasks.abort_all();
    }
}

async fn drive<K>(
    cluster: String,
    stream: impl futures::Stream<Item = Result<watcher::Event<K>, watcher::Error>> + Send,
    synced: Arc<AtomicBool>,
    failed: Arc<AtomicBool>,
    on_synced: Arc<dyn Fn() + Send + Sync>,
) where
    K: Resource<DynamicType = ()>,
{
    let mut stream = std::pin::pin!(stream);
    while let Some(event) = stream.next().await {
        match event {
            Ok(watcher::Event::InitDone) => {
                let first = !synced.swap(true, Ordering::Relaxed);
                if first {
                    debug!(cluster = %cluster, kind = %K::kind(&()), "member cache filled");
                }
                on_synced();
            }
            Ok(_) => {}
            Err(err) => {
                if !failed.swap(true, Ordering::Relaxed) {
                    warn!(cluster = %cluster, kind = %K::kind(&()), error = %err, "member watch failed");
                }
            }
        }
    }
}

/// Keeps what the node summary and `allocatable` read.
fn slim_node(node: &mut Node) {
    node.metadata.managed_fields = None;
    node.metadata.annotations = None;
    node.metadata.labels = None;
    node.spec = None;
    if let Some(status) = node.status.take() {
        node.status = Some(NodeStatus {
            allocatable: status.allocatable,
            conditions: status
                .conditions
                .map(|c| c.into_iter().filter(|c| c.type_ == "Ready").collect()),
            ..Default::default()
        });
    }
}

/// Keeps what `allocating` and `allocated` read: the node, the requests and the phase.
fn slim_pod(pod: &mut Pod) {
    pod.metadata.managed_fields = None;
    pod.metadata.annotations = None;
    pod.metadata.labels = None;
    pod.metadata.owner_references = None;
    let slim_container = |c: Container| Container {
        name: c.name,
        resources: c.resources.map(|r| ResourceRequirements {
            requests: r.requests,
            ..Default::default()
        }),
        ..Default::default()
    };
    if let Some(spec) = pod.spec.take() {
        pod.spec = Some(PodSpec {
            node_name: spec.node_name,
            containers: spec.containers.into_iter().map(slim_container).collect(),
            init_containers: spec
                .init_containers
                .map(|cs| cs.into_iter().map(slim_container).collect()),
            ..Default::default()
        });
    }
    pod.status = pod.status.take().map(|s| PodStatus {
        phase: s.phase,
        ..Default::default()
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::summary;
    use serde_json::json;

    #[test]
    fn slimming_keeps_what_the_summaries_read() {
        let mut pod: Pod = serde_json::from_value(json!({
            "metadata": {"name": "p", "namespace": "ns", "labels": {"a": "b"},
                         "managedFields": [{"manager": "x"}]},
            "spec": {
                "nodeName": "n1",
                "containers": [{"name": "c", "image": "nginx", "env": [{"name": "A", "value": "1"}],
                                "resources": {"requests": {"cpu": "100m"}, "limits": {"cpu": "1"}}}],
                "initContainers": [{"name": "i", "image": "busybox",
                                    "resources": {"requests": {"cpu": "1"}}}],
                "volumes": [{"name": "v", "emptyDir": {}}]
            },
            "status": {"phase": "Running", "podIP": "10.0.0.1"}
        }))
        .unwrap();
        let before = summary::resource_summary(&[], [&pod]);
        slim_pod(&mut pod);
        assert_eq!(summary::resource_summary(&[], [&pod]), before);
        let spec = pod.spec.as_ref().unwrap();
        assert_eq!(spec.containers[0].image, None);
        assert_eq!(spec.volumes, None);
        assert_eq!(pod.metadata.labels, None);
        assert_eq!(pod.status.as_ref().unwrap().pod_ip, None);

        let mut node: Node = serde_json::from_value(json!({
            "metadata": {"name": "n1", "labels": {"a": "b"}},
            "spec": {"podCIDR": "10.0.0.0/24"},
            "status": {
                "allocatable": {"cpu": "4", "pods": "110"},
                "capacity": {"cpu": "4"},
                "conditions": [{"type": "Ready", "status": "True"},
                               {"type": "MemoryPressure", "status": "False"}]
            }
        }))
        .unwrap();
        let before = (
            summary::node_summary([&node]),
            summary::resource_summary([&node], []),
        );
        slim_node(&mut node);
        assert_eq!(
            (
                summary::node_summary([&node]),
                summary::resource_summary([&node], [])
            ),
            before
        );
        assert_eq!(node.status.as_ref().unwrap().capacity, None);
    }
}
