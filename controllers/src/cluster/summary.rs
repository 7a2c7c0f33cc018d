//! What the cluster status controller reports about a member, computed from what it read there:
//! the node summary, the resource summary (Karmada's `allocatable`, `allocating`, `allocated`)
//! and the API enablements. Pure functions, so every rule is tested without a cluster.
//!
//! The rules follow Karmada's cluster status controller:
//!
//! * `nodeSummary`: every node counts in `totalNum`; a node whose `Ready` condition is `True`
//!   counts in `readyNum`.
//! * `allocatable`: Σ `node.status.allocatable` over every node (ready or not), every key.
//! * `allocating`: Σ requests of the pods not yet bound to a node (`spec.nodeName` empty), and
//!   their number as `pods`.
//! * `allocated`: Σ requests of the pods bound to a node that are neither `Succeeded` nor
//!   `Failed` (the scheduler stops counting those), and their number as `pods`.
//! * A pod's requests are its effective requests: for each resource the larger of the sum over
//!   its containers and the largest single init container. Only cpu, memory, ephemeral-storage
//!   and scalar resources (extended resources, `hugepages-*`, `attachable-volumes-*`) count,
//!   and `allocating`/`allocated` always carry cpu, memory, ephemeral-storage and pods, zero
//!   when nothing uses them — which is what the scheduler's estimator reads.
//! * `apiEnablements`: one entry per served group/version, sorted by group/version, each with
//!   its resources `{name, kind}` sorted by name; subresources (`deployments/scale`) are left
//!   out.
//!
//! Sums are exact ([`flotilla_machinery::quantity::Quantity`]) and printed in Kubernetes'
//! canonical form: CPU in decimal SI (`1500m`, `12`), memory, storage and huge pages in binary SI
//! (`24Gi`), counts as plain integers.

use std::collections::BTreeMap;

use flotilla_api::cluster::v1alpha1::{ApiEnablement, ApiResource, NodeSummary, ResourceSummary};
use flotilla_machinery::quantity::{Format, Quantity};
use k8s_openapi::api::core::v1::{Node, Pod, PodSpec};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as ApiQuantity;
use kube::core::discovery::v2::APIGroupDiscoveryList;
use tracing::debug;

/// Resource name of CPU.
pub const CPU: &str = "cpu";
/// Resource name of memory.
pub const MEMORY: &str = "memory";
/// Resource name of local ephemeral storage.
pub const EPHEMERAL_STORAGE: &str = "ephemeral-storage";
/// Resource name of the pod count.
pub const PODS: &str = "pods";

/// The node summary of a member: how many nodes, how many of them Ready.
pub fn node_summary<'a>(nodes: impl IntoIterator<Item = &'a Node>) -> NodeSummary {
    let (mut total, mut ready) = (0i32, 0i32);
    for node in nodes {
        total = total.saturating_add(1);
        if node_ready(node) {
            ready = ready.saturating_add(1);
        }
    }
    NodeSummary {
        total_num: Some(total),
        ready_num: Some(ready),
    }
}

/// Whether a node's `Ready` condition is `True`.
pub fn node_ready(node: &Node) -> bool {
    node.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|conditions| {
            conditions
                .iter()
                .any(|c| c.type_ == "Ready" && c.status == "True")
        })
}

/// The resource summary of a member from its nodes and pods.
pub fn resource_summary<'a>(
    nodes: impl IntoIterator<Item = &'a Node>,
    pods: impl IntoIterator<Item = &'a Pod>,
) -> ResourceSummary {
    let mut allocatable = Totals::default();
    for node in nodes {
        if let Some(list) = node.status.as_ref().and_then(|s| s.allocatable.as_ref()) {
            for (name, quantity) in list {
                if let Some(q) = parse(quantity, name) {
                    allocatable.add(name, q);
                }
            }
        }
    }
    let mut allocating = Totals::with_base();
    let mut allocated = Totals::with_base();
    let (mut allocating_pods, mut allocated_pods) = (0i64, 0i64);
    for pod in pods {
        let Some(spec) = pod.spec.as_ref() else {
            continue;
        };
        let bound = spec.node_name.as_deref().is_some_and(|n| !n.is_empty());
        if !bound {
            allocating.add_all(pod_requests(spec));
            allocating_pods += 1;
        } else if !pod_finished(pod) {
            allocated.add_all(pod_requests(spec));
            allocated_pods += 1;
        }
    }
    allocating.add(PODS, Quantity::from_units(allocating_pods));
    allocated.add(PODS, Quantity::from_units(allocated_pods));
    ResourceSummary {
        allocatable: allocatable.into_list(),
        allocating: allocating.into_list(),
        allocated: allocated.into_list(),
        allocatable_modelings: Vec::new(),
    }
}

/// Succeeded and Failed pods hold no resources any more.
fn pod_finished(pod: &Pod) -> bool {
    matches!(
        pod.status.as_ref().and_then(|s| s.phase.as_deref()),
        Some("Succeeded" | "Failed")
    )
}

/// A pod's effective requests: per resource, the larger of the sum over its containers and the
/// largest init container (init containers run one at a time, before the others).
pub fn pod_requests(spec: &PodSpec) -> BTreeMap<String, Quantity> {
    let mut total: BTreeMap<String, Quantity> = BTreeMap::new();
    for container in &spec.containers {
        for (name, q) in container_requests(container.resources.as_ref()) {
            *total.entry(name).or_default() += q;
        }
    }
    for container in spec.init_containers.iter().flatten() {
        for (name, q) in container_requests(container.resources.as_ref()) {
            let entry = total.entry(name).or_default();
            if q > *entry {
                *entry = q;
            }
        }
    }
    total
}

fn container_requests(
    resources: Option<&k8s_openapi::api::core::v1::ResourceRequirements>,
) -> impl Iterator<Item = (String, Quantity)> + '_ {
    resources
        .and_then(|r| r.requests.as_ref())
        .into_iter()
        .flatten()
        .filter(|(name, _)| counted_request(name))
        .filter_map(|(name, q)| parse(q, name).map(|q| (name.clone(), q)))
}

/// Whether a requested resource counts in `allocating`/`allocated`: the native compute resources
/// and the scalar ones (Kubernetes' `IsScalarResourceName`).
fn counted_request(name: &str) -> bool {
    matches!(name, CPU | MEMORY | EPHEMERAL_STORAGE)
        || name.starts_with("hugepages-")
        || name.starts_with("attachable-volumes-")
        || is_extended_resource(name)
}

/// An extended resource: a domain-qualified name outside `kubernetes.io/`, and not a quota
/// `requests.*` name.
fn is_extended_resource(name: &str) -> bool {
    name.contains('/') && !name.contains("kubernetes.io/") && !name.starts_with("requests.")
}

/// The format a summed resource prints in.
fn format_of(name: &str) -> Format {
    match name {
        MEMORY | EPHEMERAL_STORAGE => Format::BinarySi,
        n if n.starts_with("hugepages-") => Format::BinarySi,
        _ => Format::DecimalSi,
    }
}

fn parse(q: &ApiQuantity, name: &str) -> Option<Quantity> {
    match Quantity::parse(&q.0) {
        Ok(q) => Some(q),
        Err(err) => {
            // The member's apiserver validates quantities, so this is a foreign object with a
            // broken field; leaving it out is all that can be done.
            debug!(resource = name, error = %err, "ignoring a quantity that does not parse");
            None
        }
    }
}

/// Per-resource sums.
#[derive(Default)]
struct Totals(BTreeMap<String, Quantity>);

impl Totals {
    /// Sums that always list cpu, memory, ephemeral-storage and pods.
    fn with_base() -> Totals {
        Totals(
            [CPU, MEMORY, EPHEMERAL_STORAGE, PODS]
                .into_iter()
                .map(|n| (n.to_owned(), Quantity::ZERO))
                .collect(),
        )
    }

    fn add(&mut self, name: &str, q: Quantity) {
        match self.0.get_mut(name) {
            Some(sum) => *sum += q,
            None => {
                self.0.insert(name.to_owned(), q);
            }
        }
    }

    fn add_all(&mut self, requests: BTreeMap<String, Quantity>) {
        for (name, q) in requests {
            self.add(&name, q);
        }
    }

    fn into_list(self) -> BTreeMap<String, ApiQuantity> {
        self.0
            .into_iter()
            .map(|(name, q)| {
                let q = q.with_format(format_of(&name));
                (name, ApiQuantity(q.to_string()))
            })
            .collect()
    }
}

/// API enablements from aggregated discovery documents (`/api` and `/apis`).
pub fn api_enablements_from_aggregated<'a>(
    documents: impl IntoIterator<Item = &'a APIGroupDiscoveryList>,
) -> Vec<ApiEnablement> {
    let mut by_gv: BTreeMap<String, Vec<ApiResource>> = BTreeMap::new();
    for document in documents {
        for group in &document.items {
            let group_name = group
                .metadata
                .as_ref()
                .and_then(|m| m.name.as_deref())
                .unwrap_or_default();
            for version in &group.versions {
                let Some(version_name) = version.version.as_deref() else {
                    continue;
                };
                let resources = version.resources.iter().filter_map(|r| {
                    let name = r.resource.clone()?;
                    let kind = r.response_kind.as_ref()?.kind.clone()?;
                    Some(ApiResource { name, kind })
                });
                by_gv
                    .entry(group_version(group_name, version_name))
                    .or_default()
                    .extend(resources);
            }
        }
    }
    enablements(by_gv)
}

/// API enablements from legacy discovery: one resource list per group/version.
pub fn api_enablements_from_lists(
    lists: impl IntoIterator<Item = k8s_openapi::apimachinery::pkg::apis::meta::v1::APIResourceList>,
) -> Vec<ApiEnablement> {
    let mut by_gv: BTreeMap<String, Vec<ApiResource>> = BTreeMap::new();
    for list in lists {
        by_gv
            .entry(list.group_version)
            .or_default()
            .extend(list.resources.into_iter().map(|r| ApiResource {
                name: r.name,
                kind: r.kind,
            }));
    }
    enablements(by_gv)
}

/// `group/version`, or just `version` for the core group.
pub fn group_version(group: &str, version: &str) -> String {
    if group.is_empty() {
        version.to_owned()
    } else {
        format!("{group}/{version}")
    }
}

fn enablements(by_gv: BTreeMap<String, Vec<ApiResource>>) -> Vec<ApiEnablement> {
    by_gv
        .into_iter()
        .map(|(group_version, mut resources)| {
            // Subresources are not resources a workload can be.
            resources.retain(|r| !r.name.contains('/'));
            resources.sort_by(|a, b| a.name.cmp(&b.name));
            resources.dedup_by(|a, b| a.name == b.name);
            ApiEnablement {
                group_version,
                resources,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{
        Container, NodeCondition, NodeSpec, NodeStatus, PodStatus, ResourceRequirements,
    };
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{APIResource, APIResourceList};
    use serde_json::json;

    fn q(s: &str) -> ApiQuantity {
        ApiQuantity(s.to_owned())
    }

    fn list(pairs: &[(&str, &str)]) -> BTreeMap<String, ApiQuantity> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), q(v))).collect()
    }

    fn node(ready: Option<&str>, allocatable: &[(&str, &str)]) -> Node {
        Node {
            spec: Some(NodeSpec::default()),
            status: Some(NodeStatus {
                allocatable: Some(list(allocatable)),
                conditions: ready.map(|status| {
                    vec![NodeCondition {
                        type_: "Ready".into(),
                        status: status.into(),
                        ..Default::default()
                    }]
                }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn container(requests: &[(&str, &str)]) -> Container {
        Container {
            name: "c".into(),
            resources: Some(ResourceRequirements {
                requests: (!requests.is_empty()).then(|| list(requests)),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn pod(node: Option<&str>, phase: &str, containers: Vec<Container>) -> Pod {
        Pod {
            spec: Some(PodSpec {
                node_name: node.map(str::to_owned),
                containers,
                ..Default::default()
            }),
            status: Some(PodStatus {
                phase: Some(phase.into()),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn strings(list: &BTreeMap<String, ApiQuantity>) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| (k.clone(), v.0.clone())).collect()
    }

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn node_summary_counts_ready_nodes() {
        struct Case {
            name: &'static str,
            nodes: Vec<Node>,
            total: i32,
            ready: i32,
        }
        let cases = [
            Case {
                name: "no nodes",
                nodes: vec![],
                total: 0,
                ready: 0,
            },
            Case {
                name: "ready, not ready, unknown, no condition",
                nodes: vec![
                    node(Some("True"), &[]),
                    node(Some("False"), &[]),
                    node(Some("Unknown"), &[]),
                    node(None, &[]),
                ],
                total: 4,
                ready: 1,
            },
        ];
        for case in cases {
            let summary = node_summary(&case.nodes);
            assert_eq!(summary.total_num, Some(case.total), "case {}", case.name);
            assert_eq!(summary.ready_num, Some(case.ready), "case {}", case.name);
        }
    }

    #[test]
    fn resource_summary_follows_karmada() {
        struct Case {
            name: &'static str,
            nodes: Vec<Node>,
            pods: Vec<Pod>,
            allocatable: Vec<(String, String)>,
            allocating: Vec<(String, String)>,
            allocated: Vec<(String, String)>,
        }
        let zero = |pods: &str| {
            pairs(&[
                ("cpu", "0"),
                ("ephemeral-storage", "0"),
                ("memory", "0"),
                ("pods", pods),
            ])
        };
        let cases = [
            Case {
                name: "empty cluster",
                nodes: vec![],
                pods: vec![],
                allocatable: vec![],
                allocating: zero("0"),
                allocated: zero("0"),
            },
            Case {
                name: "allocatable sums every node, ready or not, every key",
                nodes: vec![
                    node(
                        Some("True"),
                        &[
                            ("cpu", "4"),
                            ("memory", "8Gi"),
                            ("pods", "110"),
                            ("nvidia.com/gpu", "1"),
                        ],
                    ),
                    node(
                        Some("False"),
                        &[("cpu", "3500m"), ("memory", "8Gi"), ("pods", "110")],
                    ),
                ],
                pods: vec![],
                allocatable: pairs(&[
                    ("cpu", "7500m"),
                    ("memory", "16Gi"),
                    ("nvidia.com/gpu", "1"),
                    ("pods", "220"),
                ]),
                allocating: zero("0"),
                allocated: zero("0"),
            },
            Case {
                name: "bound pods are allocated, unbound allocating, finished ones ignored",
                nodes: vec![],
                pods: vec![
                    pod(
                        Some("n1"),
                        "Running",
                        vec![
                            container(&[("cpu", "250m"), ("memory", "64Mi")]),
                            container(&[("cpu", "250m"), ("memory", "64Mi")]),
                        ],
                    ),
                    pod(
                        Some("n1"),
                        "Pending",
                        vec![container(&[("cpu", "1"), ("memory", "1Gi")])],
                    ),
                    pod(
                        Some("n2"),
                        "Succeeded",
                        vec![container(&[("cpu", "8"), ("memory", "8Gi")])],
                    ),
                    pod(
                        Some("n2"),
                        "Failed",
                        vec![container(&[("cpu", "8"), ("memory", "8Gi")])],
                    ),
                    pod(None, "Pending", vec![container(&[("cpu", "100m")])]),
                    pod(Some(""), "Pending", vec![container(&[])]),
                ],
                allocatable: vec![],
                allocating: pairs(&[
                    ("cpu", "100m"),
                    ("ephemeral-storage", "0"),
                    ("memory", "0"),
                    ("pods", "2"),
                ]),
                allocated: pairs(&[
                    ("cpu", "1500m"),
                    ("ephemeral-storage", "0"),
                    ("memory", "1152Mi"),
                    ("pods", "2"),
                ]),
            },
            Case {
                name: "only compute and scalar resources count in requests",
                nodes: vec![],
                pods: vec![pod(
                    Some("n1"),
                    "Running",
                    vec![container(&[
                        ("cpu", "1"),
                        ("example.com/foo", "2"),
                        ("hugepages-2Mi", "4Mi"),
                        ("storage", "1Gi"),
                        ("requests.example.com/x", "1"),
                    ])],
                )],
                allocatable: vec![],
                allocating: zero("0"),
                allocated: pairs(&[
                    ("cpu", "1"),
                    ("ephemeral-storage", "0"),
                    ("example.com/foo", "2"),
                    ("hugepages-2Mi", "4Mi"),
                    ("memory", "0"),
                    ("pods", "1"),
                ]),
            },
        ];
        for case in cases {
            let summary = resource_summary(&case.nodes, &case.pods);
            assert_eq!(
                strings(&summary.allocatable),
                case.allocatable,
                "case {}: allocatable",
                case.name
            );
            assert_eq!(
                strings(&summary.allocating),
                case.allocating,
                "case {}: allocating",
                case.name
            );
            assert_eq!(
                strings(&summary.allocated),
                case.allocated,
                "case {}: allocated",
                case.name
            );
        }
    }

    #[test]
    fn init_containers_count_by_their_largest_request() {
        let mut spec = PodSpec {
            containers: vec![
                container(&[("cpu", "200m"), ("memory", "100Mi")]),
                container(&[("cpu", "300m")]),
            ],
            init_containers: Some(vec![
                container(&[("cpu", "1"), ("memory", "10Mi")]),
                container(&[("cpu", "100m"), ("memory", "50Mi")]),
            ]),
            ..Default::default()
        };
        let requests = pod_requests(&spec);
        assert_eq!(requests["cpu"], Quantity::parse("1").unwrap());
        assert_eq!(requests["memory"], Quantity::parse("100Mi").unwrap());
        spec.init_containers = None;
        assert_eq!(pod_requests(&spec)["cpu"], Quantity::parse("500m").unwrap());
    }

    #[test]
    fn unparsable_quantities_are_left_out() {
        let nodes = [node(Some("True"), &[("cpu", "4"), ("memory", "lots")])];
        let summary = resource_summary(&nodes, &[]);
        assert_eq!(strings(&summary.allocatable), pairs(&[("cpu", "4")]));
    }

    #[test]
    fn enablements_from_aggregated_discovery() {
        let core: APIGroupDiscoveryList = serde_json::from_value(json!({
            "items": [{
                "metadata": {"name": ""},
                "versions": [{"version": "v1", "resources": [
                    {"resource": "pods", "responseKind": {"group": "", "version": "v1", "kind": "Pod"}},
                    {"resource": "configmaps", "responseKind": {"group": "", "version": "v1", "kind": "ConfigMap"}},
                ]}]
            }]
        }))
        .unwrap();
        let apis: APIGroupDiscoveryList = serde_json::from_value(json!({
            "items": [{
                "metadata": {"name": "apps"},
                "versions": [{"version": "v1", "resources": [
                    {"resource": "deployments", "responseKind": {"group": "apps", "version": "v1", "kind": "Deployment"},
                     "subresources": [{"subresource": "scale"}]},
                ]}]
            }, {
                "metadata": {"name": "autoscaling"},
                "versions": [
                    {"version": "v2", "resources": [{"resource": "horizontalpodautoscalers", "responseKind": {"group": "autoscaling", "version": "v2", "kind": "HorizontalPodAutoscaler"}}]},
                    {"version": "v1", "resources": [{"resource": "horizontalpodautoscalers", "responseKind": {"group": "autoscaling", "version": "v1", "kind": "HorizontalPodAutoscaler"}}]},
                ]
            }]
        }))
        .unwrap();
        let got = api_enablements_from_aggregated([&apis, &core]);
        let flat: Vec<(String, Vec<(String, String)>)> = got
            .iter()
            .map(|e| {
                (
                    e.group_version.clone(),
                    e.resources
                        .iter()
                        .map(|r| (r.name.clone(), r.kind.clone()))
                        .collect(),
                )
            })
            .collect();
        let gv = |gv: &str, rs: &[(&str, &str)]| (gv.to_owned(), pairs(rs));
        assert_eq!(
            flat,
            vec![
                gv("apps/v1", &[("deployments", "Deployment")]),
                gv(
                    "autoscaling/v1",
                    &[("horizontalpodautoscalers", "HorizontalPodAutoscaler")]
                ),
                gv(
                    "autoscaling/v2",
                    &[("horizontalpodautoscalers", "HorizontalPodAutoscaler")]
                ),
                gv("v1", &[("configmaps", "ConfigMap"), ("pods", "Pod")]),
            ]
        );
    }

    #[test]
    fn enablements_from_resource_lists_skip_subresources() {
        let resource = |name: &str, kind: &str| APIResource {
            name: name.into(),
            kind: kind.into(),
            ..Default::default()
        };
        let lists = vec![
            APIResourceList {
                group_version: "v1".into(),
                resources: vec![
                    resource("pods", "Pod"),
                    resource("pods/status", "Pod"),
                    resource("nodes", "Node"),
                ],
            },
            APIResourceList {
                group_version: "apps/v1".into(),
                resources: vec![resource("deployments", "Deployment")],
            },
        ];
        let got = api_enablements_from_lists(lists);
        assert_eq!(got[0].group_version, "apps/v1");
        assert_eq!(got[1].group_version, "v1");
        let names: Vec<&str> = got[1].resources.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["nodes", "pods"]);
    }
}
