//! The resource registry: every resource the server serves, as data. Built-in kinds come from one
//! table ([`builtin_resources`]); custom resources are added and removed at run time as their
//! CustomResourceDefinitions come and go, without a restart.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde_json::Value;

/// Where a resource's JSON schema comes from.
#[derive(Clone)]
pub enum SchemaSource {
    /// A built-in kind: the schema is generated from its k8s-openapi type.
    Builtin(fn(&mut SchemaGenerator) -> Schema),
    /// A custom resource: the version's `openAPIV3Schema` from the CRD.
    Crd(Value),
    /// No schema (anything goes).
    None,
}

impl std::fmt::Debug for SchemaSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SchemaSource::Builtin(_) => f.write_str("Builtin"),
            SchemaSource::Crd(_) => f.write_str("Crd"),
            SchemaSource::None => f.write_str("None"),
        }
    }
}

/// One additional printer column of a CRD (`additionalPrinterColumns`).
#[derive(Debug, Clone)]
pub struct PrinterColumn {
    pub name: String,
    pub type_: String,
    pub format: String,
    pub description: String,
    pub priority: i64,
    pub json_path: String,
}

/// The scale subresource's paths (autoscaling/v1 Scale).
#[derive(Debug, Clone)]
pub struct ScaleSpec {
    pub spec_replicas_path: String,
    pub status_replicas_path: String,
    pub label_selector_path: Option<String>,
}

/// One served resource at one group/version.
#[derive(Debug, Clone)]
pub struct ResourceInfo {
    pub group: String,
    pub version: String,
    /// Plural name, as in the URL.
    pub resource: String,
    pub singular: String,
    pub kind: String,
    pub list_kind: String,
    pub namespaced: bool,
    pub verbs: Vec<&'static str>,
    pub short_names: Vec<String>,
    pub categories: Vec<String>,
    pub status_subresource: bool,
    pub scale: Option<ScaleSpec>,
    /// Objects are stored under `/registry/<storage_group>/<resource>/`. Events of
    /// `events.k8s.io` share the core group's storage, as in kube-apiserver.
    pub storage_group: String,
    /// The version objects are stored in.
    pub storage_version: String,
    pub schema: SchemaSource,
    /// Whether `metadata.generation` is maintained (bumped on spec changes).
    pub has_generation: bool,
    pub printer_columns: Vec<PrinterColumn>,
    /// Served by a CRD of this name.
    pub crd: Option<String>,
}

impl ResourceInfo {
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    pub fn group_version(&self) -> String {
        self.api_version()
    }

    /// `deployments.apps`, or `pods` for the core group: how kube names a resource in messages.
    pub fn qualified_resource(&self) -> String {
        if self.group.is_empty() {
            self.resource.clone()
        } else {
            format!("{}.{}", self.resource, self.group)
        }
    }

    /// `Deployment.apps`, or `Pod`: how kube names a kind in validation messages.
    pub fn qualified_kind(&self) -> String {
        if self.group.is_empty() {
            self.kind.clone()
        } else {
            format!("{}.{}", self.kind, self.group)
        }
    }

    /// The storage prefix for all objects of this resource (ends with `/`).
    pub fn storage_prefix(&self) -> String {
        let group = if self.storage_group.is_empty() {
            "core"
        } else {
            &self.storage_group
        };
        format!("/registry/{group}/{}/", self.resource)
    }

    pub fn storage_key(&self, namespace: Option<&str>, name: &str) -> String {
        match namespace.filter(|_| self.namespaced) {
            Some(ns) => format!("{}{ns}/{name}", self.storage_prefix()),
            None => format!("{}{name}", self.storage_prefix()),
        }
    }

    pub fn is_event_v1(&self) -> bool {
        self.group == "events.k8s.io"
    }
}

pub const ALL_VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

fn schema_of<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

struct Builtin {
    group: &'static str,
    version: &'static str,
    resource: &'static str,
    kind: &'static str,
    namespaced: bool,
    short_names: &'static [&'static str],
    categories: &'static [&'static str],
    status: bool,
    scale: bool,
    schema: fn(&mut SchemaGenerator) -> Schema,
}

macro_rules! builtin {
    ($ty:ty, $group:expr, $version:expr, $resource:expr, $kind:expr, ns=$ns:expr,
     short=$short:expr, cat=$cat:expr, status=$status:expr, scale=$scale:expr) => {
        Builtin {
            group: $group,
            version: $version,
            resource: $resource,
            kind: $kind,
            namespaced: $ns,
            short_names: $short,
            categories: $cat,
            status: $status,
            scale: $scale,
            schema: schema_of::<$ty>,
        }
    };
}

/// The built-in resources, in discovery order.
pub fn builtin_resources() -> Vec<ResourceInfo> {
    use k8s_openapi::api::{
        apps::v1 as apps, autoscaling::v2 as autoscaling, batch::v1 as batch,
        coordination::v1 as coordination, core::v1 as core, events::v1 as events,
        networking::v1 as networking, policy::v1 as policy, rbac::v1 as rbac,
    };
    use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1 as apiext;
    const ALL: &[&str] = &["all"];
    const NONE: &[&str] = &[];
    let table = [
        builtin!(
            core::Namespace,
            "",
            "v1",
            "namespaces",
            "Namespace",
            ns = false,
            short = &["ns"],
            cat = NONE,
            status = true,
            scale = false
        ),
        builtin!(
            core::ConfigMap,
            "",
            "v1",
            "configmaps",
            "ConfigMap",
            ns = true,
            short = &["cm"],
            cat = NONE,
            status = false,
            scale = false
        ),
        builtin!(
            core::Secret,
            "",
            "v1",
            "secrets",
            "Secret",
            ns = true,
            short = NONE,
            cat = NONE,
            status = false,
            scale = false
        ),
        builtin!(
            core::Service,
            "",
            "v1",
            "services",
            "Service",
            ns = true,
            short = &["svc"],
            cat = ALL,
            status = true,
            scale = false
        ),
        builtin!(
            core::ServiceAccount,
            "",
            "v1",
            "serviceaccounts",
            "ServiceAccount",
            ns = true,
            short = &["sa"],
            cat = NONE,
            status = false,
            scale = false
        ),
        builtin!(
            core::Pod,
            "",
            "v1",
            "pods",
            "Pod",
            ns = true,
            short = &["po"],
            cat = ALL,
            status = true,
            scale = false
        ),
        builtin!(
            core::Node,
            "",
            "v1",
            "nodes",
            "Node",
            ns = false,
            short = &["no"],
            cat = NONE,
            status = true,
            scale = false
        ),
        builtin!(
            core::Event,
            "",
            "v1",
            "events",
            "Event",
            ns = true,
            short = &["ev"],
            cat = NONE,
            status = false,
            scale = false
        ),
        builtin!(
            core::PersistentVolumeClaim,
            "",
            "v1",
            "persistentvolumeclaims",
            "PersistentVolumeClaim",
            ns = true,
            short = &["pvc"],
            cat = NONE,
            status = true,
            scale = false
        ),
        builtin!(
            core::ResourceQuota,
            "",
            "v1",
            "resourcequotas",
            "ResourceQuota",
            ns = true,
            short = &["quota"],
            cat = NONE,
            status = true,
            scale = false
        ),
        builtin!(
            core::LimitRange,
            "",
            "v1",
            "limitranges",
            "LimitRange",
            ns = true,
            short = &["limits"],
            cat = NONE,
            status = false,
            scale = false
        ),
        builtin!(
            apps::Deployment,
            "apps",
            "v1",
            "deployments",
            "Deployment",
            ns = true,
            short = &["deploy"],
            cat = ALL,
            status = true,
            scale = true
        ),
        builtin!(
            apps::StatefulSet,
            "apps",
            "v1",
            "statefulsets",
            "StatefulSet",
            ns = true,
            short = &["sts"],
            cat = ALL,
            status = true,
            scale = true
        ),
        builtin!(
            apps::DaemonSet,
            "apps",
            "v1",
            "daemonsets",
            "DaemonSet",
            ns = true,
            short = &["ds"],
            cat = ALL,
            status = true,
            scale = false
        ),
        builtin!(
            apps::ReplicaSet,
            "apps",
            "v1",
            "replicasets",
            "ReplicaSet",
            ns = true,
            short = &["rs"],
            cat = ALL,
            status = true,
            scale = true
        ),
        builtin!(
            batch::Job,
            "batch",
            "v1",
            "jobs",
            "Job",
            ns = true,
            short = NONE,
            cat = ALL,
            status = true,
            scale = false
        ),
        builtin!(
            batch::CronJob,
            "batch",
            "v1",
            "cronjobs",
            "CronJob",
            ns = true,
            short = &["cj"],
            cat = ALL,
            status = true,
            scale = false
        ),
        builtin!(
            networking::Ingress,
            "networking.k8s.io",
            "v1",
            "ingresses",
            "Ingress",
            ns = true,
            short = &["ing"],
            cat = NONE,
            status = true,
            scale = false
        ),
        builtin!(
            networking::NetworkPolicy,
            "networking.k8s.io",
            "v1",
            "networkpolicies",
            "NetworkPolicy",
            ns = true,
            short = &["netpol"],
            cat = NONE,
            status = false,
            scale = false
        ),
        builtin!(
            rbac::Role,
            "rbac.authorization.k8s.io",
            "v1",
            "roles",
            "Role",
            ns = true,
            short = NONE,
            cat = NONE,
            status = false,
            scale = false
        ),
        builtin!(
            rbac::RoleBinding,
            "rbac.authorization.k8s.io",
            "v1",
            "rolebindings",
            "RoleBinding",
            ns = true,
            short = NONE,
            cat = NONE,
            status = false,
            scale = false
        ),
        builtin!(
            rbac::ClusterRole,
            "rbac.authorization.k8s.io",
            "v1",
            "clusterroles",
            "ClusterRole",
            ns = false,
            short = NONE,
            cat = NONE,
            status = false,
            scale = false
        ),
        builtin!(
            rbac::ClusterRoleBinding,
            "rbac.authorization.k8s.io",
            "v1",
            "clusterrolebindings",
            "ClusterRoleBinding",
            ns = false,
            short = NONE,
            cat = NONE,
            status = false,
            scale = false
        ),
        builtin!(
            policy::PodDisruptionBudget,
            "policy",
            "v1",
            "poddisruptionbudgets",
            "PodDisruptionBudget",
            ns = true,
            short = &["pdb"],
            cat = NONE,
            status = true,
            scale = false
        ),
        builtin!(
            autoscaling::HorizontalPodAutoscaler,
            "autoscaling",
            "v2",
            "horizontalpodautoscalers",
            "HorizontalPodAutoscaler",
            ns = true,
            short = &["hpa"],
            cat = ALL,
            status = true,
            scale = false
        ),
        builtin!(
            coordination::Lease,
            "coordination.k8s.io",
            "v1",
            "leases",
            "Lease",
            ns = true,
            short = NONE,
            cat = NONE,
            status = false,
            scale = false
        ),
        builtin!(
            events::Event,
            "events.k8s.io",
            "v1",
            "events",
            "Event",
            ns = true,
            short = &["ev"],
            cat = NONE,
            status = false,
            scale = false
        ),
        builtin!(
            apiext::CustomResourceDefinition,
            "apiextensions.k8s.io",
            "v1",
            "customresourcedefinitions",
            "CustomResourceDefinition",
            ns = false,
            short = &["crd", "crds"],
            cat = NONE,
            status = true,
            scale = false
        ),
    ];
    let karmada = flotilla_api::resources::karmada_resources()
        .into_iter()
        .map(|k| Builtin {
            group: k.group,
            version: k.version,
            resource: k.resource,
            kind: k.kind,
            namespaced: k.namespaced,
            short_names: k.short_names,
            categories: k.categories,
            status: k.status,
            scale: false,
            schema: k.schema,
        });
    table
        .into_iter()
        .chain(karmada)
        .map(|b| {
            let storage_group = if b.group == "events.k8s.io" {
                String::new()
            } else {
                b.group.to_string()
            };
            let storage_version = if b.group == "events.k8s.io" {
                "v1".to_string()
            } else {
                b.version.to_string()
            };
            ResourceInfo {
                group: b.group.into(),
                version: b.version.into(),
                resource: b.resource.into(),
                singular: b.kind.to_lowercase(),
                kind: b.kind.into(),
                list_kind: format!("{}List", b.kind),
                namespaced: b.namespaced,
                verbs: ALL_VERBS.to_vec(),
                short_names: b.short_names.iter().map(|s| s.to_string()).collect(),
                categories: b.categories.iter().map(|s| s.to_string()).collect(),
                status_subresource: b.status,
                scale: b.scale.then(|| ScaleSpec {
                    spec_replicas_path: ".spec.replicas".into(),
                    status_replicas_path: ".status.replicas".into(),
                    label_selector_path: Some(".status.selector".into()),
                }),
                storage_group,
                storage_version,
                schema: SchemaSource::Builtin(b.schema),
                // Karmada's kinds are CRDs in Karmada, and CRD objects always carry a generation.
                has_generation: (b.status && b.resource != "namespaces" && b.resource != "nodes")
                    || crate::karmada::GROUPS.contains(&b.group),
                printer_columns: Vec::new(),
                crd: None,
            }
        })
        .collect()
}

/// The set of served resources, shared by every request handler.
#[derive(Default)]
pub struct Registry {
    inner: RwLock<RegistryInner>,
}

#[derive(Default)]
struct RegistryInner {
    /// (group, version, resource) → info, in registration order per group/version.
    resources: BTreeMap<(String, String, String), Arc<ResourceInfo>>,
    /// group → versions in preference order.
    groups: Vec<(String, Vec<String>)>,
    /// Bumped on every change, for discovery/OpenAPI hashes.
    generation: u64,
}

impl Registry {
    pub fn new() -> Self {
        Registry::with_karmada(true)
    }

    /// The built-in resources; Karmada's kinds only when `karmada` is set (a member cluster
    /// serves plain Kubernetes).
    pub fn with_karmada(karmada: bool) -> Self {
        let registry = Registry::default();
        for info in builtin_resources() {
            if karmada || !crate::karmada::GROUPS.contains(&info.group.as_str()) {
                registry.add(info);
            }
        }
        registry
    }

    pub fn add(&self, info: ResourceInfo) {
        let mut inner = self.inner.write().expect("registry lock");
        let key = (
            info.group.clone(),
            info.version.clone(),
            info.resource.clone(),
        );
        match inner.groups.iter_mut().find(|(g, _)| *g == info.group) {
            Some((_, versions)) => {
                if !versions.contains(&info.version) {
                    versions.push(info.version.clone());
                }
            }
            None => inner
                .groups
                .push((info.group.clone(), vec![info.version.clone()])),
        }
        inner.resources.insert(key, Arc::new(info));
        inner.generation += 1;
    }

    /// Replace every resource served by the CRD `crd` with `infos` (empty to remove).
    pub fn set_crd_resources(&self, crd: &str, infos: Vec<ResourceInfo>, preferred: Option<&str>) {
        {
            let mut inner = self.inner.write().expect("registry lock");
            inner
                .resources
                .retain(|_, info| info.crd.as_deref() != Some(crd));
            let live: Vec<(String, String)> = inner
                .resources
                .values()
                .map(|i| (i.group.clone(), i.version.clone()))
                .collect();
            for (group, versions) in inner.groups.iter_mut() {
                versions.retain(|v| live.iter().any(|(g, lv)| g == group && lv == v));
            }
            inner.groups.retain(|(_, versions)| !versions.is_empty());
            inner.generation += 1;
        }
        let group = infos.first().map(|i| i.group.clone());
        for info in infos {
            self.add(info);
        }
        if let (Some(group), Some(preferred)) = (group, preferred) {
            let mut inner = self.inner.write().expect("registry lock");
            if let Some((_, versions)) = inner.groups.iter_mut().find(|(g, _)| *g == group)
                && let Some(pos) = versions.iter().position(|v| v == preferred)
            {
                let v = versions.remove(pos);
                versions.insert(0, v);
            }
        }
    }

    pub fn get(&self, group: &str, version: &str, resource: &str) -> Option<Arc<ResourceInfo>> {
        let inner = self.inner.read().expect("registry lock");
        inner
            .resources
            .get(&(group.to_string(), version.to_string(), resource.to_string()))
            .cloned()
    }

    /// Resources of one group/version, in name order.
    pub fn resources_of(&self, group: &str, version: &str) -> Vec<Arc<ResourceInfo>> {
        let inner = self.inner.read().expect("registry lock");
        inner
            .resources
            .values()
            .filter(|i| i.group == group && i.version == version)
            .cloned()
            .collect()
    }

    pub fn all(&self) -> Vec<Arc<ResourceInfo>> {
        let inner = self.inner.read().expect("registry lock");
        inner.resources.values().cloned().collect()
    }

    /// Groups with their versions in preference order; the core group is `""`.
    pub fn groups(&self) -> Vec<(String, Vec<String>)> {
        self.inner.read().expect("registry lock").groups.clone()
    }

    pub fn generation(&self) -> u64 {
        self.inner.read().expect("registry lock").generation
    }

    pub fn has_group_version(&self, group: &str, version: &str) -> bool {
        self.groups()
            .iter()
            .any(|(g, vs)| g == group && vs.iter().any(|v| v == version))
    }

    /// Any served version of a resource that is stored under `prefix`, e.g. to find the
    /// resource a watch-cache event belongs to.
    pub fn by_storage(&self, storage_group: &str, resource: &str) -> Option<Arc<ResourceInfo>> {
        let inner = self.inner.read().expect("registry lock");
        inner
            .resources
            .values()
            .find(|i| i.storage_group == storage_group && i.resource == resource)
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_member_registry_serves_no_karmada_kinds() {
        let federation = Registry::with_karmada(true);
        let member = Registry::with_karmada(false);
        for group in crate::karmada::GROUPS {
            assert!(
                federation.groups().iter().any(|(g, _)| g == group),
                "federation serves {group}"
            );
            assert!(
                !member.groups().iter().any(|(g, _)| g == group),
                "member serves {group}"
            );
        }
        assert!(member.get("apps", "v1", "deployments").is_some());
        assert!(member.get("", "v1", "nodes").is_some());
    }
}
