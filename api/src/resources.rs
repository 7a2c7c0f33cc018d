//! The table of Karmada-compatible kinds the apiserver serves as built-ins: names, scope, short
//! names, categories, status subresource, printer columns and OpenAPI schema of each, as
//! Karmada's CRDs (and its aggregated apiserver, for Cluster) declare them.

use std::any::TypeId;

use k8s_openapi::{NamespaceResourceScope, Resource};
use schemars::transform::{AddNullable, Transform, transform_subschemas};
use schemars::{JsonSchema, Schema, SchemaGenerator, generate::SchemaSettings};
use serde_json::Value;

use crate::cluster::v1alpha1::Cluster;
use crate::policy::v1alpha1::{
    ClusterOverridePolicy, ClusterPropagationPolicy, ClusterTaintPolicy, OverridePolicy,
    PropagationPolicy,
};
use crate::work::v1alpha1::Work;
use crate::work::v1alpha2::{ClusterResourceBinding, ResourceBinding};

/// The category all of Karmada's CRDs belong to (`kubectl get karmada-io`).
pub const CATEGORY_KARMADA_IO: &str = "karmada-io";

/// A server-side printer column (`kubectl get` Table column), as a CRD's
/// `additionalPrinterColumns` entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PrinterColumn {
    /// Column header, e.g. "SCHEDULED".
    pub name: &'static str,
    /// OpenAPI type of the cell: "string", "integer", "number", "boolean" or "date".
    pub type_: &'static str,
    /// JSONPath (Kubernetes syntax, without braces) evaluated against the object.
    pub json_path: &'static str,
    /// Human-readable description of the column.
    pub description: &'static str,
    /// 0 shows the column in standard output; higher only with `-o wide`.
    pub priority: i32,
}

/// One kind the apiserver serves.
#[derive(Clone, Copy, Debug)]
pub struct KindInfo {
    /// API group, e.g. "policy.karmada.io".
    pub group: &'static str,
    /// API version, e.g. "v1alpha1".
    pub version: &'static str,
    /// Plural resource name used in URLs, e.g. "propagationpolicies".
    pub resource: &'static str,
    /// Singular resource name, e.g. "propagationpolicy".
    pub singular: &'static str,
    /// Kind, e.g. "PropagationPolicy".
    pub kind: &'static str,
    /// Whether objects live in namespaces.
    pub namespaced: bool,
    /// Short names (`kubectl get pp`).
    pub short_names: &'static [&'static str],
    /// Categories (`kubectl get karmada-io`).
    pub categories: &'static [&'static str],
    /// Whether the kind has a `/status` subresource (status is then ignored on main-resource
    /// writes and spec on status writes).
    pub status: bool,
    /// Printer columns after NAME (and NAMESPACE); AGE is listed explicitly.
    pub printer_columns: &'static [PrinterColumn],
    /// Adds the kind's schema to a generator and returns a reference to it. Generate with
    /// [`schema_settings`] and collect the referenced definitions with
    /// `SchemaGenerator::take_definitions(true)` (or use [`openapi_components`]).
    pub schema: fn(&mut SchemaGenerator) -> Schema,
}

impl KindInfo {
    /// `group/version`, as written in `apiVersion`.
    pub fn api_version(&self) -> String {
        format!("{}/{}", self.group, self.version)
    }

    /// The kind of the list type, e.g. "PropagationPolicyList".
    pub fn list_kind(&self) -> String {
        format!("{}List", self.kind)
    }
}

const AGE: PrinterColumn = PrinterColumn {
    name: "AGE",
    type_: "date",
    json_path: ".metadata.creationTimestamp",
    description: "CreationTimestamp is the time the object was created.",
    priority: 0,
};

const POLICY_COLUMNS: &[PrinterColumn] = &[
    PrinterColumn {
        name: "CONFLICT-RESOLUTION",
        type_: "string",
        json_path: ".spec.conflictResolution",
        description: "What to do when a propagated resource already exists in a member cluster.",
        priority: 0,
    },
    PrinterColumn {
        name: "PRIORITY",
        type_: "string",
        json_path: ".spec.priority",
        description: "The explicit priority of the policy.",
        priority: 0,
    },
    AGE,
];

const BINDING_COLUMNS: &[PrinterColumn] = &[
    PrinterColumn {
        name: "SCHEDULED",
        type_: "string",
        json_path: r#".status.conditions[?(@.type=="Scheduled")].status"#,
        description: "Whether the binding has been scheduled.",
        priority: 0,
    },
    PrinterColumn {
        name: "FULLYAPPLIED",
        type_: "string",
        json_path: r#".status.conditions[?(@.type=="FullyApplied")].status"#,
        description: "Whether the resource has been applied to every scheduled cluster.",
        priority: 0,
    },
    AGE,
];

const WORK_COLUMNS: &[PrinterColumn] = &[
    PrinterColumn {
        name: "WORKLOAD-KIND",
        type_: "string",
        json_path: ".spec.workload.manifests[*].kind",
        description: "The kinds of the manifests.",
        priority: 0,
    },
    PrinterColumn {
        name: "APPLIED",
        type_: "string",
        json_path: r#".status.conditions[?(@.type=="Applied")].status"#,
        description: "Whether the manifests have been applied to the member cluster.",
        priority: 0,
    },
    AGE,
];

const CLUSTER_COLUMNS: &[PrinterColumn] = &[
    PrinterColumn {
        name: "VERSION",
        type_: "string",
        json_path: ".status.kubernetesVersion",
        description: "KubernetesVersion represents version of the member cluster.",
        priority: 0,
    },
    PrinterColumn {
        name: "MODE",
        type_: "string",
        json_path: ".spec.syncMode",
        description: "SyncMode describes how a cluster syncs resources from the control plane.",
        priority: 0,
    },
    PrinterColumn {
        name: "READY",
        type_: "string",
        json_path: r#".status.conditions[?(@.type=="Ready")].status"#,
        description: "The aggregate readiness state of this cluster for accepting workloads.",
        priority: 0,
    },
    AGE,
    PrinterColumn {
        name: "ZONES",
        type_: "string",
        json_path: ".spec.zones",
        description: "The failure zones of the member cluster.",
        priority: 1,
    },
    PrinterColumn {
        name: "REGION",
        type_: "string",
        json_path: ".spec.region",
        description: "The region of the member cluster.",
        priority: 1,
    },
    PrinterColumn {
        name: "PROVIDER",
        type_: "string",
        json_path: ".spec.provider",
        description: "The cloud provider of the member cluster.",
        priority: 1,
    },
    PrinterColumn {
        name: "API-ENDPOINT",
        type_: "string",
        json_path: ".spec.apiEndpoint",
        description: "The API endpoint of the member cluster.",
        priority: 1,
    },
    PrinterColumn {
        name: "PROXY-URL",
        type_: "string",
        json_path: ".spec.proxyURL",
        description: "The proxy URL of the member cluster.",
        priority: 1,
    },
];

const KARMADA_IO: &[&str] = &[CATEGORY_KARMADA_IO];

/// Builds a [`KindInfo`] from a kind's `Resource` impl, so names and scope cannot drift from
/// the types.
fn kind_info<K: Resource + JsonSchema + 'static>(
    singular: &'static str,
    short_names: &'static [&'static str],
    categories: &'static [&'static str],
    status: bool,
    printer_columns: &'static [PrinterColumn],
) -> KindInfo {
    KindInfo {
        group: K::GROUP,
        version: K::VERSION,
        resource: K::URL_PATH_SEGMENT,
        singular,
        kind: K::KIND,
        namespaced: TypeId::of::<K::Scope>() == TypeId::of::<NamespaceResourceScope>(),
        short_names,
        categories,
        status,
        printer_columns,
        schema: subschema::<K>,
    }
}

fn subschema<K: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<K>()
}

/// Every Karmada-compatible kind Flotilla serves, with the names, scope, short names,
/// categories and subresources of Karmada's CRDs (ClusterTaintPolicy has neither short name nor
/// category there; Cluster, served by Karmada's aggregated apiserver, has none either). The
/// policies have no status.
pub fn karmada_resources() -> Vec<KindInfo> {
    vec![
        kind_info::<PropagationPolicy>(
            "propagationpolicy",
            &["pp"],
            KARMADA_IO,
            false,
            POLICY_COLUMNS,
        ),
        kind_info::<ClusterPropagationPolicy>(
            "clusterpropagationpolicy",
            &["cpp"],
            KARMADA_IO,
            false,
            POLICY_COLUMNS,
        ),
        kind_info::<OverridePolicy>("overridepolicy", &["op"], KARMADA_IO, false, &[AGE]),
        kind_info::<ClusterOverridePolicy>(
            "clusteroverridepolicy",
            &["cop"],
            KARMADA_IO,
            false,
            &[AGE],
        ),
        kind_info::<ClusterTaintPolicy>("clustertaintpolicy", &[], &[], false, &[AGE]),
        kind_info::<ResourceBinding>(
            "resourcebinding",
            &["rb"],
            KARMADA_IO,
            true,
            BINDING_COLUMNS,
        ),
        kind_info::<ClusterResourceBinding>(
            "clusterresourcebinding",
            &["crb"],
            KARMADA_IO,
            true,
            BINDING_COLUMNS,
        ),
        kind_info::<Work>("work", &["wk"], KARMADA_IO, true, WORK_COLUMNS),
        kind_info::<Cluster>("cluster", &[], &[], true, CLUSTER_COLUMNS),
    ]
}

/// Schema settings for Kubernetes-style OpenAPI v3: definitions under
/// `#/components/schemas/`, and optional fields described by the schema of their value (no
/// `null` types, no `nullable`), as kube-apiserver publishes them.
pub fn schema_settings() -> SchemaSettings {
    SchemaSettings::openapi3().with(|settings| {
        settings.transforms.retain(|t| !t.is::<AddNullable>());
        settings.transforms.insert(0, Box::new(StripNull));
    })
}

/// The OpenAPI v3 `components.schemas` of every kind in [`karmada_resources`] and of the types
/// they reference (including the Kubernetes ones such as ObjectMeta), generated with
/// [`schema_settings`].
pub fn openapi_components() -> serde_json::Map<String, Value> {
    let mut generator = SchemaGenerator::new(schema_settings());
    for info in karmada_resources() {
        (info.schema)(&mut generator);
    }
    generator.take_definitions(true)
}

/// Removes what `Option<T>` adds to a schema (a `null` type, a `null` enum value, an
/// `anyOf` with the null schema): absent and null mean the same in the Kubernetes API, and
/// structural schemas do not allow null types.
#[derive(Clone, Copy, Debug, Default)]
struct StripNull;

impl Transform for StripNull {
    fn transform(&mut self, schema: &mut Schema) {
        if let Some(obj) = schema.as_object_mut() {
            if let Some(Value::Array(types)) = obj.get_mut("type") {
                types.retain(|t| t != "null");
                if types.len() == 1 {
                    let only = types.remove(0);
                    obj.insert("type".into(), only);
                }
            }
            if let Some(Value::Array(values)) = obj.get_mut("enum") {
                values.retain(|v| !v.is_null());
            }
            if let Some(Value::Array(any_of)) = obj.get_mut("anyOf") {
                any_of.retain(|s| !is_null_schema(s));
                if any_of.len() == 1 {
                    let inner = any_of.remove(0);
                    obj.remove("anyOf");
                    if let Value::Object(inner) = inner {
                        for (key, value) in inner {
                            obj.entry(key).or_insert(value);
                        }
                    }
                }
            }
            obj.remove("nullable");
        }
        transform_subschemas(self, schema);
    }
}

fn is_null_schema(value: &Value) -> bool {
    value.get("type").is_some_and(|t| t == "null")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_scope_and_subresources_match_karmada_crds() {
        struct Case {
            resource: &'static str,
            api_version: &'static str,
            kind: &'static str,
            namespaced: bool,
            short_names: &'static [&'static str],
            categories: &'static [&'static str],
            status: bool,
        }
        let cases = [
            Case {
                resource: "propagationpolicies",
                api_version: "policy.karmada.io/v1alpha1",
                kind: "PropagationPolicy",
                namespaced: true,
                short_names: &["pp"],
                categories: &["karmada-io"],
                status: false,
            },
            Case {
                resource: "clusterpropagationpolicies",
                api_version: "policy.karmada.io/v1alpha1",
                kind: "ClusterPropagationPolicy",
                namespaced: false,
                short_names: &["cpp"],
                categories: &["karmada-io"],
                status: false,
            },
            Case {
                resource: "overridepolicies",
                api_version: "policy.karmada.io/v1alpha1",
                kind: "OverridePolicy",
                namespaced: true,
                short_names: &["op"],
                categories: &["karmada-io"],
                status: false,
            },
            Case {
                resource: "clusteroverridepolicies",
                api_version: "policy.karmada.io/v1alpha1",
                kind: "ClusterOverridePolicy",
                namespaced: false,
                short_names: &["cop"],
                categories: &["karmada-io"],
                status: false,
            },
            Case {
                resource: "clustertaintpolicies",
                api_version: "policy.karmada.io/v1alpha1",
                kind: "ClusterTaintPolicy",
                namespaced: false,
                short_names: &[],
                categories: &[],
                status: false,
            },
            Case {
                resource: "resourcebindings",
                api_version: "work.karmada.io/v1alpha2",
                kind: "ResourceBinding",
                namespaced: true,
                short_names: &["rb"],
                categories: &["karmada-io"],
                status: true,
            },
            Case {
                resource: "clusterresourcebindings",
                api_version: "work.karmada.io/v1alpha2",
                kind: "ClusterResourceBinding",
                namespaced: false,
                short_names: &["crb"],
                categories: &["karmada-io"],
                status: true,
            },
            Case {
                resource: "works",
                api_version: "work.karmada.io/v1alpha1",
                kind: "Work",
                namespaced: true,
                short_names: &["wk"],
                categories: &["karmada-io"],
                status: true,
            },
            Case {
                resource: "clusters",
                api_version: "cluster.karmada.io/v1alpha1",
                kind: "Cluster",
                namespaced: false,
                short_names: &[],
                categories: &[],
                status: true,
            },
        ];
        let table = karmada_resources();
        assert_eq!(table.len(), cases.len());
        for case in cases {
            let info = table
                .iter()
                .find(|i| i.resource == case.resource)
                .unwrap_or_else(|| panic!("case {}: not served", case.resource));
            assert_eq!(
                info.api_version(),
                case.api_version,
                "case {}",
                case.resource
            );
            assert_eq!(info.kind, case.kind, "case {}", case.resource);
            assert_eq!(info.namespaced, case.namespaced, "case {}", case.resource);
            assert_eq!(info.short_names, case.short_names, "case {}", case.resource);
            assert_eq!(info.categories, case.categories, "case {}", case.resource);
            assert_eq!(info.status, case.status, "case {}", case.resource);
            assert_eq!(
                info.singular,
                case.kind.to_lowercase(),
                "case {}",
                case.resource
            );
            assert_eq!(info.list_kind(), format!("{}List", case.kind));
        }
    }

    /// Visits every schema object reachable from `value` through the subschema keywords.
    fn walk_schema(
        value: &Value,
        path: &str,
        visit: &mut dyn FnMut(&str, &serde_json::Map<String, Value>),
    ) {
        let Value::Object(obj) = value else {
            return;
        };
        visit(path, obj);
        if let Some(Value::Object(properties)) = obj.get("properties") {
            for (name, property) in properties {
                walk_schema(property, &format!("{path}.{name}"), visit);
            }
        }
        for key in ["items", "additionalProperties", "not"] {
            if let Some(sub) = obj.get(key) {
                walk_schema(sub, &format!("{path}/{key}"), visit);
            }
        }
        for key in ["allOf", "anyOf", "oneOf"] {
            if let Some(Value::Array(subs)) = obj.get(key) {
                for (i, sub) in subs.iter().enumerate() {
                    walk_schema(sub, &format!("{path}/{key}/{i}"), visit);
                }
            }
        }
    }

    #[test]
    fn openapi_components_are_kubernetes_friendly() {
        let components = openapi_components();
        for info in karmada_resources() {
            let schema = components
                .get(info.kind)
                .unwrap_or_else(|| panic!("{} has no component schema", info.kind));
            assert_eq!(
                schema["x-kubernetes-group-version-kind"],
                serde_json::json!([{"group": info.group, "kind": info.kind, "version": info.version}]),
                "{}",
                info.kind
            );
            let description = schema["description"].as_str().unwrap_or_default();
            assert!(!description.is_empty(), "{} has no description", info.kind);
            assert!(schema["properties"]["spec"].is_object(), "{}", info.kind);
            assert_eq!(
                schema["properties"]["status"].is_object(),
                info.status,
                "{}: status property vs status subresource",
                info.kind
            );
        }
        let mut check = |path: &str, obj: &serde_json::Map<String, Value>| {
            assert!(!obj.contains_key("nullable"), "{path} is nullable");
            if let Some(t) = obj.get("type") {
                assert!(t.is_string(), "{path} has type {t}");
                assert_ne!(t, "null", "{path} is a null type");
            }
            if let Some(Value::Array(values)) = obj.get("enum") {
                assert!(
                    values.iter().all(|v| !v.is_null()),
                    "{path} enum allows null"
                );
            }
            if let Some(Value::Array(any_of)) = obj.get("anyOf") {
                assert!(
                    any_of.iter().all(|s| !is_null_schema(s)),
                    "{path} anyOf null"
                );
            }
            if let Some(Value::String(reference)) = obj.get("$ref") {
                let name = reference
                    .strip_prefix("#/components/schemas/")
                    .unwrap_or_else(|| panic!("{path}: unexpected $ref {reference}"));
                assert!(
                    components.contains_key(name),
                    "{path}: dangling $ref {reference}"
                );
            }
        };
        for (name, schema) in &components {
            walk_schema(schema, name, &mut check);
        }
    }

    #[test]
    fn raw_fields_preserve_unknown_fields() {
        let components = openapi_components();
        let preserved = serde_json::json!({
            "type": "object",
            "x-kubernetes-preserve-unknown-fields": true,
        });
        let manifests = &components["WorkloadTemplate"]["properties"]["manifests"];
        assert_eq!(manifests["type"], "array");
        for (key, value) in preserved.as_object().unwrap() {
            assert_eq!(&manifests["items"][key], value, "manifests.items.{key}");
            assert_eq!(
                &components["AggregatedStatusItem"]["properties"]["status"][key], value,
                "aggregatedStatus.status.{key}"
            );
            assert_eq!(
                &components["ManifestStatus"]["properties"]["status"][key], value,
                "manifestStatuses.status.{key}"
            );
        }
    }

    #[test]
    fn required_and_constrained_fields() {
        let components = openapi_components();
        let spec = &components["PropagationSpec"];
        assert_eq!(spec["required"], serde_json::json!(["resourceSelectors"]));
        assert_eq!(spec["properties"]["resourceSelectors"]["minItems"], 1);
        assert!(
            spec["properties"]["placement"]["description"]
                .as_str()
                .is_some_and(|d| d.contains("Placement represents")),
            "descriptions survive the $ref: {}",
            spec["properties"]["placement"]
        );
        let weights = &components["ClusterPreferences"]["properties"];
        assert!(weights.get("staticWeightList").is_some());
        assert!(weights.get("staticClusterWeight").is_none());
        assert_eq!(
            components["StaticClusterWeight"]["properties"]["weight"]["minimum"],
            1
        );
        assert_eq!(
            components["ClusterSpec"]["required"],
            serde_json::json!(["syncMode"])
        );
        assert_eq!(
            components["ReplicaSchedulingStrategy"]["properties"]["replicaSchedulingType"],
            serde_json::json!({
                "allOf": [{"$ref": "#/components/schemas/ReplicaSchedulingType"}],
                "description": components["ReplicaSchedulingStrategy"]["properties"]["replicaSchedulingType"]["description"],
                "default": "Divided",
            })
        );
        assert_eq!(
            components["ReplicaSchedulingType"]["enum"],
            serde_json::json!(["Duplicated", "Divided"])
        );
        let term = &components["ClusterAffinityTerm"]["properties"];
        for key in [
            "affinityName",
            "clusterNames",
            "exclude",
            "labelSelector",
            "fieldSelector",
            "overflowAffinities",
        ] {
            assert!(
                term.get(key).is_some(),
                "flattened ClusterAffinityTerm lacks {key}"
            );
        }
    }
}
