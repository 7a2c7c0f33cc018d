//! Replica interpretation of the native workload kinds (Karmada's `InterpretReplica` defaults in
//! `pkg/resourceinterpreter/default/native/replica.go`): how many replicas a template asks for
//! and what each replica needs — the resources it requests and the nodes it can run on.

use std::collections::BTreeMap;

use flotilla_api::work::v1alpha2::{NodeClaim, ReplicaRequirements};
use flotilla_machinery::quantity::{Format, Quantity, QuantityError};
use k8s_openapi::api::core::v1::{NodeSelector, Toleration};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as K8sQuantity;
use serde_json::Value;

/// Why a template's replicas could not be interpreted.
#[derive(Debug, thiserror::Error)]
pub enum InterpretError {
    /// A field has the wrong type.
    #[error("failed to read {field}: {reason}")]
    Field {
        /// The JSON path of the field.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A resource quantity does not parse.
    #[error("failed to read {field}: {source}")]
    Quantity {
        /// The JSON path of the field.
        field: String,
        /// The parse error.
        #[source]
        source: QuantityError,
    },
}

/// The replicas of a workload and the requirements of each replica.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Replicas {
    /// The desired replica count.
    pub replicas: i32,
    /// What each replica needs; `None` when it requests nothing and has no node constraints.
    pub requirements: Option<ReplicaRequirements>,
}

/// Interprets the replicas of a template of the given apiVersion and kind, whose body (everything
/// but `metadata`) is `data`. Returns `None` for kinds that have no replicas: their bindings carry
/// neither `replicas` nor `replicaRequirements`.
///
/// | kind | replicas | pod template |
/// |---|---|---|
/// | `apps/v1` Deployment, ReplicaSet, StatefulSet | `spec.replicas` (0 when unset) | `spec.template` |
/// | `batch/v1` Job | `min(spec.parallelism, spec.completions)` (completions defaults to parallelism) | `spec.template` |
/// | `v1` Pod | 1 | the pod itself |
///
/// Like Karmada with its `ResourceQuotaEstimate` behaviour, requirements that exist carry the
/// template's namespace and the pod's `priorityClassName`.
pub fn interpret_replicas(
    api_version: &str,
    kind: &str,
    namespace: Option<&str>,
    data: &Value,
) -> Result<Option<Replicas>, InterpretError> {
    let (replicas, pod_spec, pod_spec_path) = match (api_version, kind) {
        ("apps/v1", "Deployment" | "ReplicaSet" | "StatefulSet") => (
            int_field(data, "/spec/replicas")?.unwrap_or(0),
            data.pointer("/spec/template/spec"),
            "spec.template.spec",
        ),
        ("batch/v1", "Job") => {
            let parallelism = int_field(data, "/spec/parallelism")?.unwrap_or(0);
            let completions = int_field(data, "/spec/completions")?.unwrap_or(parallelism);
            (
                parallelism.min(completions),
                data.pointer("/spec/template/spec"),
                "spec.template.spec",
            )
        }
        ("v1", "Pod") => (1, data.get("spec"), "spec"),
        _ => return Ok(None),
    };
    let requirements = match pod_spec {
        Some(spec) => replica_requirements(spec, pod_spec_path, namespace)?,
        None => None,
    };
    Ok(Some(Replicas {
        replicas,
        requirements,
    }))
}

/// The requirements of one replica of a pod spec (Karmada's `GenerateReplicaRequirements`):
/// `None` when it neither requests resources nor constrains nodes.
fn replica_requirements(
    spec: &Value,
    path: &str,
    namespace: Option<&str>,
) -> Result<Option<ReplicaRequirements>, InterpretError> {
    let node_claim = node_claim(spec, path)?;
    let resource_request = pod_request(spec, path)?;
    if node_claim.is_none() && resource_request.is_empty() {
        return Ok(None);
    }
    let priority_class_name = spec
        .get("priorityClassName")
        .and_then(Value::as_str)
        .filter(|name| !name.is_empty())
        .map(str::to_owned);
    Ok(Some(ReplicaRequirements {
        node_claim,
        resource_request,
        namespace: namespace.filter(|ns| !ns.is_empty()).map(str::to_owned),
        priority_class_name,
    }))
}

/// nodeSelector, tolerations and the required node affinity; `None` when all are empty.
fn node_claim(spec: &Value, path: &str) -> Result<Option<NodeClaim>, InterpretError> {
    let node_selector: BTreeMap<String, String> = typed_field(spec, "/nodeSelector", path)?;
    let tolerations: Vec<Toleration> = typed_field(spec, "/tolerations", path)?;
    let hard_node_affinity: Option<NodeSelector> = typed_field(
        spec,
        "/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution",
        path,
    )?;
    if node_selector.is_empty() && tolerations.is_empty() && hard_node_affinity.is_none() {
        return Ok(None);
    }
    Ok(Some(NodeClaim {
        hard_node_affinity,
        node_selector,
        tolerations,
    }))
}

/// A resource total, kept as integers the way Karmada's `util.Resource` does.
#[derive(Default)]
struct Resource {
    milli_cpu: i64,
    memory: i64,
    ephemeral_storage: i64,
    pods: i64,
    scalars: BTreeMap<String, i64>,
}

/// How a resource name is accounted.
enum ResourceKind {
    MilliCpu,
    Memory,
    EphemeralStorage,
    Pods,
    Scalar,
    /// Not schedulable (e.g. `storage`); ignored like Karmada does.
    Ignored,
}

fn resource_kind(name: &str) -> ResourceKind {
    match name {
        "cpu" => ResourceKind::MilliCpu,
        "memory" => ResourceKind::Memory,
        "ephemeral-storage" => ResourceKind::EphemeralStorage,
        "pods" => ResourceKind::Pods,
        _ if is_scalar_resource_name(name) => ResourceKind::Scalar,
        _ => ResourceKind::Ignored,
    }
}

/// Kubernetes' `IsScalarResourceName`: extended resources (`example.com/foo`), huge pages,
/// kubernetes.io-prefixed native resources and attachable volumes.
fn is_scalar_resource_name(name: &str) -> bool {
    let native = !name.contains('/') || name.contains("kubernetes.io/");
    let extended = !native && !name.starts_with("requests.");
    extended
        || is_huge_page(name)
        || name.contains("kubernetes.io/")
        || name.starts_with("attachable-volumes-")
}

fn is_huge_page(name: &str) -> bool {
    name.starts_with("hugepages-")
}

impl Resource {
    fn read(
        name: &str,
        quantity: &Quantity,
        field: &str,
    ) -> Result<(ResourceKind, i64), InterpretError> {
        let kind = resource_kind(name);
        let value = match kind {
            ResourceKind::MilliCpu => quantity.checked_milli_value(),
            ResourceKind::Ignored => Some(0),
            _ => quantity.checked_value(),
        };
        let value = value.ok_or_else(|| InterpretError::Field {
            field: field.to_owned(),
            reason: "quantity out of range".to_owned(),
        })?;
        Ok((kind, value))
    }

    fn slot(&mut self, kind: &ResourceKind, name: &str) -> Option<&mut i64> {
        match kind {
            ResourceKind::MilliCpu => Some(&mut self.milli_cpu),
            ResourceKind::Memory => Some(&mut self.memory),
            ResourceKind::EphemeralStorage => Some(&mut self.ephemeral_storage),
            ResourceKind::Pods => Some(&mut self.pods),
            ResourceKind::Scalar => Some(self.scalars.entry(name.to_owned()).or_default()),
            ResourceKind::Ignored => None,
        }
    }

    fn add(
        &mut self,
        list: &BTreeMap<String, Quantity>,
        field: &str,
    ) -> Result<(), InterpretError> {
        for (name, quantity) in list {
            let (kind, value) = Self::read(name, quantity, field)?;
            if let Some(slot) = self.slot(&kind, name) {
                *slot = slot.saturating_add(value);
            }
        }
        Ok(())
    }

    fn max(
        &mut self,
        list: &BTreeMap<String, Quantity>,
        field: &str,
    ) -> Result<(), InterpretError> {
        for (name, quantity) in list {
            let (kind, value) = Self::read(name, quantity, field)?;
            if let Some(slot) = self.slot(&kind, name) {
                *slot = (*slot).max(value);
            }
        }
        Ok(())
    }

    /// The positive totals, printed as Karmada prints them (`Resource.ResourceList()`:
    /// `NewMilliQuantity(cpu, DecimalSI)`, `NewQuantity(memory, BinarySI)`, ...).
    fn into_list(self) -> BTreeMap<String, K8sQuantity> {
        let mut out = BTreeMap::new();
        let mut put = |name: &str, q: Quantity| {
            if q.signum() > 0 {
                out.insert(name.to_owned(), K8sQuantity(q.to_string()));
            }
        };
        put(
            "cpu",
            Quantity::new_milli(self.milli_cpu, Format::DecimalSi),
        );
        put("memory", Quantity::new(self.memory, Format::BinarySi));
        put(
            "ephemeral-storage",
            Quantity::new(self.ephemeral_storage, Format::BinarySi),
        );
        put("pods", Quantity::new(self.pods, Format::DecimalSi));
        for (name, value) in self.scalars {
            let format = if is_huge_page(&name) {
                Format::BinarySi
            } else {
                Format::DecimalSi
            };
            put(&name, Quantity::new(value, format));
        }
        out
    }
}

/// The effective request of one pod (Karmada's `AddPodTemplateRequest`): the sum over the app
/// containers, raised to the largest init container request, plus the pod overhead. A container
/// limit without a request counts as the request, as kube-apiserver defaults it.
fn pod_request(spec: &Value, path: &str) -> Result<BTreeMap<String, K8sQuantity>, InterpretError> {
    let mut total = Resource::default();
    for (list, combine) in [("containers", false), ("initContainers", true)] {
        let Some(containers) = spec.get(list) else {
            continue;
        };
        let containers = containers.as_array().ok_or_else(|| InterpretError::Field {
            field: format!("{path}.{list}"),
            reason: "not a list".to_owned(),
        })?;
        for (i, container) in containers.iter().enumerate() {
            let field = format!("{path}.{list}[{i}].resources");
            let mut requests = quantity_map(container.pointer("/resources/requests"), &field)?;
            for (name, limit) in quantity_map(container.pointer("/resources/limits"), &field)? {
                requests.entry(name).or_insert(limit);
            }
            if combine {
                total.max(&requests, &field)?;
            } else {
                total.add(&requests, &field)?;
            }
        }
    }
    let overhead_field = format!("{path}.overhead");
    total.add(
        &quantity_map(spec.get("overhead"), &overhead_field)?,
        &overhead_field,
    )?;
    Ok(total.into_list())
}

/// A `ResourceList` (`{name: quantity}`); quantities may be strings or bare numbers.
fn quantity_map(
    value: Option<&Value>,
    field: &str,
) -> Result<BTreeMap<String, Quantity>, InterpretError> {
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return Ok(BTreeMap::new());
    };
    let map = value.as_object().ok_or_else(|| InterpretError::Field {
        field: field.to_owned(),
        reason: "not a resource list".to_owned(),
    })?;
    let mut out = BTreeMap::new();
    for (name, q) in map {
        if !matches!(q, Value::String(_) | Value::Number(_)) {
            return Err(InterpretError::Field {
                field: format!("{field}.{name}"),
                reason: "not a quantity".to_owned(),
            });
        }
        let parsed = Quantity::from_json(q).map_err(|source| InterpretError::Quantity {
            field: format!("{field}.{name}"),
            source,
        })?;
        out.insert(name.clone(), parsed);
    }
    Ok(out)
}

/// An optional integer field; absent or `null` is `None`.
fn int_field(data: &Value, pointer: &str) -> Result<Option<i32>, InterpretError> {
    match data.pointer(pointer) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_i64()
            .and_then(|n| i32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| InterpretError::Field {
                field: pointer.trim_start_matches('/').replace('/', "."),
                reason: format!("{v} is not a 32-bit integer"),
            }),
    }
}

/// An optional field decoded into its Kubernetes type; absent or `null` is the default.
fn typed_field<T: serde::de::DeserializeOwned + Default>(
    spec: &Value,
    pointer: &str,
    path: &str,
) -> Result<T, InterpretError> {
    match spec.pointer(pointer) {
        None | Some(Value::Null) => Ok(T::default()),
        Some(v) => T::deserialize(v).map_err(|e| InterpretError::Field {
            field: format!("{path}{}", pointer.replace('/', ".")),
            reason: e.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn q(s: &str) -> K8sQuantity {
        K8sQuantity(s.to_owned())
    }

    fn requests(pairs: &[(&str, &str)]) -> BTreeMap<String, K8sQuantity> {
        pairs.iter().map(|(k, v)| (k.to_string(), q(v))).collect()
    }

    fn deployment(replicas: Option<i64>, pod_spec: Value) -> Value {
        let mut spec = json!({"template": {"spec": pod_spec}});
        if let Some(r) = replicas {
            spec["replicas"] = json!(r);
        }
        json!({"spec": spec})
    }

    #[test]
    fn interprets_native_workloads() {
        struct Case {
            name: &'static str,
            api_version: &'static str,
            kind: &'static str,
            data: Value,
            want: Option<Replicas>,
        }
        let nginx = json!({"containers": [{"name": "nginx", "image": "nginx",
            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}]});
        let nginx_requirements = Some(ReplicaRequirements {
            resource_request: requests(&[("cpu", "100m"), ("memory", "128Mi")]),
            namespace: Some("default".into()),
            ..Default::default()
        });
        let cases = vec![
            Case {
                name: "deployment",
                api_version: "apps/v1",
                kind: "Deployment",
                data: deployment(Some(9), nginx.clone()),
                want: Some(Replicas {
                    replicas: 9,
                    requirements: nginx_requirements.clone(),
                }),
            },
            Case {
                name: "deployment without replicas counts zero (as Karmada does)",
                api_version: "apps/v1",
                kind: "Deployment",
                data: deployment(None, nginx.clone()),
                want: Some(Replicas {
                    replicas: 0,
                    requirements: nginx_requirements.clone(),
                }),
            },
            Case {
                name: "statefulset",
                api_version: "apps/v1",
                kind: "StatefulSet",
                data: deployment(Some(3), nginx.clone()),
                want: Some(Replicas {
                    replicas: 3,
                    requirements: nginx_requirements.clone(),
                }),
            },
            Case {
                name: "replicaset",
                api_version: "apps/v1",
                kind: "ReplicaSet",
                data: deployment(Some(2), nginx.clone()),
                want: Some(Replicas {
                    replicas: 2,
                    requirements: nginx_requirements.clone(),
                }),
            },
            Case {
                name: "job replicas are its parallelism",
                api_version: "batch/v1",
                kind: "Job",
                data: json!({"spec": {"parallelism": 4, "template": {"spec": nginx.clone()}}}),
                want: Some(Replicas {
                    replicas: 4,
                    requirements: nginx_requirements.clone(),
                }),
            },
            Case {
                name: "job parallelism is capped by completions",
                api_version: "batch/v1",
                kind: "Job",
                data: json!({"spec": {"parallelism": 4, "completions": 2, "template": {"spec": nginx.clone()}}}),
                want: Some(Replicas {
                    replicas: 2,
                    requirements: nginx_requirements.clone(),
                }),
            },
            Case {
                name: "pod is one replica",
                api_version: "v1",
                kind: "Pod",
                data: json!({"spec": nginx.clone()}),
                want: Some(Replicas {
                    replicas: 1,
                    requirements: nginx_requirements.clone(),
                }),
            },
            Case {
                name: "no requests and no node constraints means no requirements",
                api_version: "apps/v1",
                kind: "Deployment",
                data: deployment(
                    Some(1),
                    json!({"containers": [{"name": "c", "image": "i"}]}),
                ),
                want: Some(Replicas {
                    replicas: 1,
                    requirements: None,
                }),
            },
            Case {
                name: "other kinds have no replicas",
                api_version: "v1",
                kind: "ConfigMap",
                data: json!({"data": {"a": "b"}}),
                want: None,
            },
            Case {
                name: "other versions are not interpreted",
                api_version: "apps/v1beta1",
                kind: "Deployment",
                data: deployment(Some(9), nginx.clone()),
                want: None,
            },
        ];
        for case in cases {
            let got = interpret_replicas(case.api_version, case.kind, Some("default"), &case.data)
                .unwrap_or_else(|e| panic!("{}: {e}", case.name));
            assert_eq!(got, case.want, "{}", case.name);
        }
    }

    #[test]
    fn sums_containers_and_maxes_init_containers() {
        struct Case {
            name: &'static str,
            pod_spec: Value,
            want: BTreeMap<String, K8sQuantity>,
        }
        let cases = vec![
            Case {
                name: "containers are summed",
                pod_spec: json!({"containers": [
                    {"name": "a", "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}},
                    {"name": "b", "resources": {"requests": {"cpu": "0.4", "memory": "128Mi"}}},
                ]}),
                want: requests(&[("cpu", "500m"), ("memory", "256Mi")]),
            },
            Case {
                name: "the largest init container raises the total",
                pod_spec: json!({
                    "initContainers": [
                        {"name": "i1", "resources": {"requests": {"cpu": "2"}}},
                        {"name": "i2", "resources": {"requests": {"cpu": "1", "memory": "1Gi"}}},
                    ],
                    "containers": [
                        {"name": "a", "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}},
                    ],
                }),
                want: requests(&[("cpu", "2"), ("memory", "1Gi")]),
            },
            Case {
                name: "init containers below the sum change nothing",
                pod_spec: json!({
                    "initContainers": [{"name": "i", "resources": {"requests": {"cpu": "50m"}}}],
                    "containers": [
                        {"name": "a", "resources": {"requests": {"cpu": "100m"}}},
                        {"name": "b", "resources": {"requests": {"cpu": "100m"}}},
                    ],
                }),
                want: requests(&[("cpu", "200m")]),
            },
            Case {
                name: "limits stand in for missing requests",
                pod_spec: json!({"containers": [
                    {"name": "a", "resources": {"limits": {"cpu": "1", "memory": "1G"}, "requests": {"cpu": "250m"}}},
                ]}),
                want: requests(&[("cpu", "250m"), ("memory", "1000000000")]),
            },
            Case {
                name: "overhead is added",
                pod_spec: json!({
                    "overhead": {"cpu": "10m"},
                    "containers": [{"name": "a", "resources": {"requests": {"cpu": "100m"}}}],
                }),
                want: requests(&[("cpu", "110m")]),
            },
            Case {
                name: "extended resources and huge pages are kept, unknown native names dropped",
                pod_spec: json!({"containers": [
                    {"name": "a", "resources": {"requests": {
                        "nvidia.com/gpu": 1, "hugepages-2Mi": "4Mi", "storage": "1Gi",
                        "ephemeral-storage": "2Gi"}}},
                    {"name": "b", "resources": {"requests": {"nvidia.com/gpu": "2"}}},
                ]}),
                want: requests(&[
                    ("ephemeral-storage", "2Gi"),
                    ("hugepages-2Mi", "4Mi"),
                    ("nvidia.com/gpu", "3"),
                ]),
            },
        ];
        for case in cases {
            let got = interpret_replicas("v1", "Pod", None, &json!({"spec": case.pod_spec}))
                .unwrap_or_else(|e| panic!("{}: {e}", case.name))
                .and_then(|r| r.requirements)
                .map(|r| r.resource_request)
                .unwrap_or_default();
            assert_eq!(got, case.want, "{}", case.name);
        }
    }

    #[test]
    fn node_claim_and_priority_class() {
        let data = deployment(
            Some(2),
            json!({
                "priorityClassName": "high",
                "nodeSelector": {"disk": "ssd"},
                "tolerations": [{"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}],
                "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [{"matchExpressions": [
                        {"key": "zone", "operator": "In", "values": ["a"]}]}]}}},
                "containers": [{"name": "a"}],
            }),
        );
        let got = interpret_replicas("apps/v1", "Deployment", Some("prod"), &data)
            .unwrap()
            .unwrap();
        let req = got
            .requirements
            .expect("node constraints make requirements");
        let claim = req.node_claim.expect("a node claim");
        assert_eq!(
            claim.node_selector.get("disk").map(String::as_str),
            Some("ssd")
        );
        assert_eq!(claim.tolerations.len(), 1);
        assert_eq!(claim.tolerations[0].key.as_deref(), Some("gpu"));
        let affinity = claim.hard_node_affinity.expect("hard node affinity");
        assert_eq!(affinity.node_selector_terms.len(), 1);
        assert!(req.resource_request.is_empty());
        assert_eq!(req.namespace.as_deref(), Some("prod"));
        assert_eq!(req.priority_class_name.as_deref(), Some("high"));
    }

    #[test]
    fn malformed_templates_are_errors() {
        struct Case {
            name: &'static str,
            data: Value,
            field: &'static str,
        }
        let cases = vec![
            Case {
                name: "replicas is a string",
                data: json!({"spec": {"replicas": "nine"}}),
                field: "spec.replicas",
            },
            Case {
                name: "bad quantity",
                data: deployment(
                    Some(1),
                    json!({"containers": [{"resources": {"requests": {"cpu": "lots"}}}]}),
                ),
                field: "spec.template.spec.containers[0].resources.cpu",
            },
            Case {
                name: "containers is not a list",
                data: deployment(Some(1), json!({"containers": {}})),
                field: "spec.template.spec.containers",
            },
        ];
        for case in cases {
            let err =
                interpret_replicas("apps/v1", "Deployment", None, &case.data).expect_err(case.name);
            assert!(
                err.to_string().contains(case.field),
                "{}: {err} should name {}",
                case.name,
                case.field
            );
        }
    }
}
