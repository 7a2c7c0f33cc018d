//! Nodes: the member's configured nodes are created when missing; every Node object — those and
//! any created with kubectl — gets what a kubelet would report (labels, capacity, allocatable,
//! conditions, addresses, node info) wherever it is missing, and nothing a user set is
//! overwritten (so a node can be made NotReady or smaller by writing its status). A deleted
//! node's pods are deleted, as kube's pod garbage collector does, and their controllers replace
//! them elsewhere.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Node, NodeSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::ResourceExt;
use kube::api::{Api, PostParams};
use serde_json::{Map, Value, json};
use tracing::info;

use super::status::{self, Condition};
use super::{Error, FIELD_MANAGER, Sim, format_ipv4, get, parse_ipv4, pods};
use crate::Key;

pub const NAME: &str = "nodes";

/// The kubelet version nodes report: the API server's.
const KUBELET_VERSION: &str = flotilla_apiserver::discovery::GIT_VERSION;

/// Node addresses: `<member>-node-<i>` gets 172.18.0.0 + i + 2; other nodes the lowest free
/// address from 172.18.128.1.
const NODE_IP_BASE: u32 = u32::from_be_bytes([172, 18, 0, 2]);
const OTHER_NODE_IP_BASE: u32 = u32::from_be_bytes([172, 18, 128, 1]);

fn default_labels(name: &str) -> BTreeMap<String, String> {
    [
        ("kubernetes.io/hostname", name),
        ("kubernetes.io/os", "linux"),
        ("kubernetes.io/arch", "amd64"),
        ("beta.kubernetes.io/os", "linux"),
        ("beta.kubernetes.io/arch", "amd64"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// Creates the configured nodes that do not exist (a restart finds them and creates none).
pub async fn create_missing(sim: &Sim) -> Result<(), Error> {
    let api: Api<Node> = Api::all(sim.client.clone());
    let params = PostParams {
        field_manager: Some(FIELD_MANAGER.to_owned()),
        ..Default::default()
    };
    for i in 0..sim.opts.nodes {
        let name = sim.opts.node_name(i);
        if get(&sim.nodes, &Key::cluster(&name)).is_some() {
            continue;
        }
        let node = Node {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                labels: Some(default_labels(&name)),
                ..Default::default()
            },
            spec: Some(NodeSpec::default()),
            status: None,
        };
        match api.create(&params, &node).await {
            Ok(_) => info!(node = %name, "created node"),
            Err(err) if pods::is_status(&err, 409) => {}
            Err(source) => return Err(Error::CreateNode { node: name, source }),
        }
    }
    Ok(())
}

pub async fn reconcile(sim: &Arc<Sim>, key: &Key) -> Result<Option<Duration>, kube::Error> {
    match get(&sim.nodes, key) {
        Some(node) => complete(sim, &node).await,
        None => collect_orphans(sim, &key.name).await,
    }
}

/// Deletes the pods bound to a node that does not exist.
async fn collect_orphans(sim: &Sim, node: &str) -> Result<Option<Duration>, kube::Error> {
    let keys = sim.state().pods.on_node(node);
    if !keys.is_empty() {
        info!(node, pods = keys.len(), "node is gone: deleting its pods");
    }
    for key in keys {
        let Some(pod) = get(&sim.pods, &key) else {
            continue;
        };
        if pod.spec.as_ref().and_then(|s| s.node_name.as_deref()) == Some(node) {
            pods::delete(sim, &pod, None).await?;
        }
    }
    Ok(None)
}

/// The address a node gets when it reports none.
fn node_ip(sim: &Sim, node: &Node) -> String {
    let name = node.name_any();
    let prefix = format!("{}-node-", sim.opts.member);
    if let Some(i) = name
        .strip_prefix(&prefix)
        .and_then(|s| s.parse::<u32>().ok())
        .filter(|i| *i < 30_000)
    {
        return format_ipv4(NODE_IP_BASE + i);
    }
    let used: HashSet<u32> = sim
        .nodes
        .state()
        .iter()
        .flat_map(|n| {
            n.status
                .as_ref()
                .and_then(|s| s.addresses.clone())
                .unwrap_or_default()
        })
        .filter_map(|a| parse_ipv4(&a.address))
        .collect();
    let ip = (OTHER_NODE_IP_BASE..)
        .find(|ip| !matches!(ip & 0xff, 0 | 255) && !used.contains(ip))
        .unwrap_or(OTHER_NODE_IP_BASE);
    format_ipv4(ip)
}

fn missing(obj: &Map<String, Value>, field: &str) -> bool {
    match obj.get(field) {
        None | Some(Value::Null) => true,
        Some(Value::Object(m)) => m.is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        Some(_) => false,
    }
}

/// Fills in what a kubelet would have reported and the node does not have.
async fn complete(sim: &Sim, node: &Node) -> Result<Option<Duration>, kube::Error> {
    let name = node.name_any();
    let api: Api<Node> = Api::all(sim.client.clone());
    let labels = node.labels();
    let absent: BTreeMap<String, String> = default_labels(&name)
        .into_iter()
        .filter(|(k, _)| !labels.contains_key(k))
        .collect();
    if !absent.is_empty() {
        status::patch(&api, &name, json!({"metadata": {"labels": absent}})).await?;
    }

    let old = status::status_of(&node.status);
    let mut new = old.as_object().cloned().unwrap_or_default();
    let now = status::now();
    if missing(&new, "capacity") {
        new.insert(
            "capacity".into(),
            json!({
                "cpu": sim.opts.node_cpu,
                "memory": sim.opts.node_memory,
                "pods": sim.opts.node_pods.to_string(),
                "ephemeral-storage": "100Gi",
            }),
        );
    }
    if missing(&new, "allocatable") {
        let capacity = new.get("capacity").cloned().unwrap_or(json!({}));
        new.insert("allocatable".into(), capacity);
    }
    let mut conditions: Vec<Value> = new
        .get("conditions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let standard = [
        (
            "MemoryPressure",
            "False",
            "KubeletHasSufficientMemory",
            "kubelet has sufficient memory available",
        ),
        (
            "DiskPressure",
            "False",
            "KubeletHasNoDiskPressure",
            "kubelet has no disk pressure",
        ),
        (
            "PIDPressure",
            "False",
            "KubeletHasSufficientPID",
            "kubelet has sufficient PID available",
        ),
        (
            "Ready",
            "True",
            "KubeletReady",
            "kubelet is posting ready status",
        ),
    ];
    for (type_, status_, reason, message) in standard {
        if status::find_condition(&Value::Object(new.clone()), type_).is_none() {
            let mut c = Condition {
                type_,
                status: status_,
                reason,
                message,
            }
            .render(&Value::Null, false, false, &now);
            c["lastHeartbeatTime"] = json!(now);
            conditions.push(c);
        }
    }
    new.insert("conditions".into(), Value::Array(conditions));
    if missing(&new, "addresses") {
        new.insert(
            "addresses".into(),
            json!([
                {"type": "InternalIP", "address": node_ip(sim, node)},
                {"type": "Hostname", "address": name},
            ]),
        );
    }
    if missing(&new, "nodeInfo") {
        new.insert(
            "nodeInfo".into(),
            json!({
                "architecture": "amd64",
                "bootID": "",
                "containerRuntimeVersion": "flotilla-sim://1.0.0",
                "kernelVersion": "6.1.0",
                "kubeProxyVersion": "",
                "kubeletVersion": KUBELET_VERSION,
                "machineID": "",
                "operatingSystem": "linux",
                "osImage": "Flotilla simulated node",
                "systemUUID": "",
            }),
        );
    }
    if missing(&new, "daemonEndpoints") {
        new.insert(
            "daemonEndpoints".into(),
            json!({"kubeletEndpoint": {"Port": 10250}}),
        );
    }
    if status::write_status(&api, &name, &old, &Value::Object(new)).await? {
        info!(node = %name, "node reported ready");
    }
    Ok(None)
}
