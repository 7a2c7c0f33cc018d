//! `cluster.karmada.io/v1alpha1`: Cluster, a member cluster with its endpoint, credentials
//! reference, topology (provider/region/zones), taints and observed status.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Taint;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, ObjectMeta};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The API group of this module's kinds.
pub const GROUP: &str = "cluster.karmada.io";
/// The API version of this module's kinds.
pub const VERSION: &str = "v1alpha1";
/// `group/version`, as written in `apiVersion`.
pub const API_VERSION: &str = "cluster.karmada.io/v1alpha1";

/// Cluster condition type: the cluster is healthy and ready to accept workloads.
pub const CLUSTER_CONDITION_READY: &str = "Ready";
/// Cluster condition type: status.apiEnablements is complete.
pub const CLUSTER_CONDITION_COMPLETE_API_ENABLEMENTS: &str = "CompleteAPIEnablements";

/// Key of the token in the Secrets referenced by secretRef and impersonatorSecretRef.
pub const SECRET_TOKEN_KEY: &str = "token";
/// Key of the CA bundle in the Secret referenced by secretRef.
pub const SECRET_CA_DATA_KEY: &str = "caBundle";

/// Cluster represents the desired state and status of a member cluster.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-group-version-kind" = [{"group": "cluster.karmada.io", "kind": "Cluster", "version": "v1alpha1"}]))]
#[schemars(transform = crate::raw::kind_schema)]
pub struct Cluster {
    /// APIVersion defines the versioned schema of this representation of an object.
    #[serde(default = "crate::macros::default_api_version::<Cluster>")]
    pub api_version: String,
    /// Kind is a string value representing the REST resource this object represents.
    #[serde(default = "crate::macros::default_kind::<Cluster>")]
    pub kind: String,
    /// Standard object's metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Spec represents the desired behavior of the member cluster.
    pub spec: ClusterSpec,
    /// Status represents the observed status of the member cluster.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<ClusterStatus>,
}

kind_impls!(Cluster {
    group: "cluster.karmada.io",
    version: "v1alpha1",
    kind: "Cluster",
    plural: "clusters",
    scope: ClusterResourceScope,
    spec: ClusterSpec,
    fields: [spec, status],
});

impl Cluster {
    /// The status condition of the given type.
    pub fn condition(&self, type_: &str) -> Option<&Condition> {
        self.status
            .as_ref()?
            .conditions
            .iter()
            .find(|c| c.type_ == type_)
    }

    /// Whether the Ready condition is True.
    pub fn is_ready(&self) -> bool {
        self.condition(CLUSTER_CONDITION_READY)
            .is_some_and(|c| c.status == "True")
    }
}

/// ClusterSpec defines the desired state of a member cluster.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterSpec {
    /// ID uniquely identifies the cluster, independently of metadata.uid. It is collected at
    /// registration: the cluster's ClusterProperty "cluster.clusterset.k8s.io" if defined,
    /// otherwise the UID of its kube-system namespace. Do not change it: it identifies the
    /// cluster and forms multi-cluster service DNS names.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 128000))]
    pub id: Option<String>,

    /// SyncMode says how the cluster receives resources: "Push" (the control plane applies
    /// them) or "Pull" (an agent in the member cluster fetches and applies them).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(required)]
    pub sync_mode: Option<ClusterSyncMode>,

    /// APIEndpoint is the URL of the member cluster's API server, e.g. https://10.0.0.1:6443.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_endpoint: Option<String>,

    /// SecretRef references the Secret holding the credentials to access the member cluster:
    /// data.token and data.caBundle.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<LocalSecretReference>,

    /// ImpersonatorSecretRef references the Secret holding the impersonator's token
    /// (data.token), used by the cluster proxy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub impersonator_secret_ref: Option<LocalSecretReference>,

    /// InsecureSkipTLSVerification disables verification of the member cluster's serving
    /// certificate, making the connection insecure. Defaults to false.
    #[serde(
        rename = "insecureSkipTLSVerification",
        skip_serializing_if = "Option::is_none"
    )]
    pub insecure_skip_tls_verification: Option<bool>,

    /// ProxyURL is the proxy used to talk to the member cluster (http, https or socks5).
    #[serde(rename = "proxyURL", skip_serializing_if = "Option::is_none")]
    pub proxy_url: Option<String>,

    /// ProxyHeader are the HTTP headers the proxy requires; several values of one header are
    /// separated by commas.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub proxy_header: BTreeMap<String, String>,

    /// Provider is the cloud provider of the member cluster.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,

    /// Region is the region the member cluster is in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,

    /// Zone is the zone the member cluster is in.
    /// Deprecated: never used for scheduling; use zones. Cannot be combined with zones.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,

    /// Zones are the failure (availability) zones the member cluster spans.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub zones: Vec<String>,

    /// Taints of the member cluster; resources that do not tolerate them are affected by their
    /// effect.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub taints: Vec<Taint>,

    /// ResourceModels are the grades of node sizes used to summarize allocatable resources.
    /// Range names are cpu, memory, storage or ephemeral-storage; each range is [min, max), the
    /// first grade's min counts as 0 and the last grade's max as unbounded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resource_models: Vec<ResourceModel>,
}

string_enum! {
    /// ClusterSyncMode says how a member cluster receives resources: "Push" (controllers in the
    /// control plane apply them) or "Pull" (an agent in the member cluster pulls them).
    pub enum ClusterSyncMode {
        Push = "Push",
        Pull = "Pull",
    }
    default = Push;
}

/// LocalSecretReference references a Secret by namespace and name.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LocalSecretReference {
    /// Namespace of the Secret.
    pub namespace: String,

    /// Name of the Secret.
    pub name: String,
}

/// ResourceModel is one grade of node size.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResourceModel {
    /// Grade is the index of the model.
    pub grade: u32,

    /// Ranges are the resource ranges of the grade.
    pub ranges: Vec<ResourceModelRange>,
}

/// ResourceModelRange is the range [min, max) of one resource in a grade.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResourceModelRange {
    /// Name of the resource: cpu, memory, storage or ephemeral-storage.
    pub name: String,

    /// Min is the inclusive lower bound (taken as 0 in the first grade).
    pub min: Quantity,

    /// Max is the exclusive upper bound (taken as unbounded in the last grade).
    pub max: Quantity,
}

/// ClusterStatus is the observed status of a member cluster, updated periodically.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterStatus {
    /// KubernetesVersion is the member cluster's Kubernetes version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kubernetes_version: Option<String>,

    /// APIEnablements are the APIs installed in the member cluster.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub api_enablements: Vec<ApiEnablement>,

    /// Conditions of the cluster: Ready and CompleteAPIEnablements.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,

    /// NodeSummary summarizes the nodes of the member cluster.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_summary: Option<NodeSummary>,

    /// ResourceSummary summarizes the resources of the member cluster.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_summary: Option<ResourceSummary>,

    /// RemedyActions are the remedy actions to perform on the cluster.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remedy_actions: Vec<String>,
}

impl ClusterStatus {
    /// Whether the cluster serves the given kind in the given group/version.
    pub fn api_enabled(&self, group_version: &str, kind: &str) -> bool {
        self.api_enablements
            .iter()
            .filter(|e| e.group_version == group_version)
            .any(|e| e.resources.iter().any(|r| r.kind == kind))
    }
}

/// ApiEnablement lists the resources served in one group/version.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiEnablement {
    /// GroupVersion is the group/version, e.g. "apps/v1" or "v1".
    pub group_version: String,

    /// Resources are the resources served in the group/version.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<ApiResource>,
}

/// ApiResource names a resource and its kind.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiResource {
    /// Name is the plural name of the resource, e.g. "deployments".
    pub name: String,

    /// Kind is the kind of the resource, e.g. "Deployment".
    pub kind: String,
}

/// NodeSummary summarizes the nodes of a member cluster.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NodeSummary {
    /// TotalNum is the number of nodes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_num: Option<i32>,

    /// ReadyNum is the number of ready nodes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ready_num: Option<i32>,
}

/// ResourceSummary summarizes the resources of a member cluster.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResourceSummary {
    /// Allocatable is the sum of the allocatable resources of all nodes.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub allocatable: BTreeMap<String, Quantity>,

    /// Allocating is the sum of the requests of pods waiting to be scheduled to a node.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub allocating: BTreeMap<String, Quantity>,

    /// Allocated is the sum of the requests of pods scheduled to nodes.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub allocated: BTreeMap<String, Quantity>,

    /// AllocatableModelings is the number of nodes in each resource model grade.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allocatable_modelings: Vec<AllocatableModeling>,
}

/// AllocatableModeling is the number of nodes whose allocatable resources fall in one grade.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AllocatableModeling {
    /// Grade is the index of the resource model.
    pub grade: u32,

    /// Count is the number of nodes in the grade.
    pub count: i64,
}
