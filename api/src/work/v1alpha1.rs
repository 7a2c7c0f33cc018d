//! `work.karmada.io/v1alpha1`: Work, the manifests for one member cluster, kept in that
//! cluster's execution namespace `karmada-es-<cluster>`.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, ObjectMeta};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The API group of this module's kinds.
pub const GROUP: &str = "work.karmada.io";
/// The API version of this module's kinds.
pub const VERSION: &str = "v1alpha1";
/// `group/version`, as written in `apiVersion`.
pub const API_VERSION: &str = "work.karmada.io/v1alpha1";

/// Work condition type: the manifests were applied to the member cluster.
pub const WORK_APPLIED: &str = "Applied";
/// Work condition type: the manifests are being applied.
pub const WORK_PROGRESSING: &str = "Progressing";
/// Work condition type: all resources of the Work exist in the member cluster.
pub const WORK_AVAILABLE: &str = "Available";
/// Work condition type: the resources have not matched the desired state for a while.
pub const WORK_DEGRADED: &str = "Degraded";
/// Work condition type: whether dispatching is going on or suspended.
pub const WORK_DISPATCHING: &str = "Dispatching";

/// Reason of the Applied condition when applying succeeded.
pub const REASON_APPLIED_SUCCESSFUL: &str = "AppliedSuccessful";
/// Reason of the Applied condition when applying failed.
pub const REASON_APPLIED_FAILED: &str = "AppliedFailed";
/// Reason of the Dispatching condition (status False) when dispatching is suspended.
pub const REASON_SUSPEND_DISPATCHING: &str = "SuspendDispatching";

/// Work defines a list of resources to be deployed on one member cluster.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-group-version-kind" = [{"group": "work.karmada.io", "kind": "Work", "version": "v1alpha1"}]))]
#[schemars(transform = crate::raw::kind_schema)]
pub struct Work {
    /// APIVersion defines the versioned schema of this representation of an object.
    #[serde(default = "crate::macros::default_api_version::<Work>")]
    pub api_version: String,
    /// Kind is a string value representing the REST resource this object represents.
    #[serde(default = "crate::macros::default_kind::<Work>")]
    pub kind: String,
    /// Standard object's metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Spec represents the desired behavior of Work.
    pub spec: WorkSpec,
    /// Status represents the status of the Work's resources in the member cluster.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<WorkStatus>,
}

kind_impls!(Work {
    group: "work.karmada.io",
    version: "v1alpha1",
    kind: "Work",
    plural: "works",
    scope: NamespaceResourceScope,
    spec: WorkSpec,
    fields: [spec, status],
});

/// WorkSpec defines the desired state of Work.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkSpec {
    /// Workload represents the manifests to be deployed on the member cluster.
    #[serde(default)]
    pub workload: WorkloadTemplate,

    /// SuspendDispatching, when true, stops applying the manifests to the member cluster;
    /// status is still collected. Nil means not suspended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suspend_dispatching: Option<bool>,

    /// PreserveResourcesOnDeletion keeps the resources in the member cluster when the Work is
    /// deleted. Defaults to false.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preserve_resources_on_deletion: Option<bool>,
}

/// WorkloadTemplate holds the manifests to be deployed on the member cluster.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadTemplate {
    /// Manifests are the complete Kubernetes objects to apply in the member cluster.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "crate::raw::object_list")]
    pub manifests: Vec<serde_json::Value>,
}

/// WorkStatus defines the observed state of Work.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkStatus {
    /// Conditions of the Work: Applied, Progressing, Available, Degraded and Dispatching.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,

    /// ManifestStatuses are the statuses of the manifests in the member cluster.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub manifest_statuses: Vec<ManifestStatus>,
}

/// ManifestStatus is the status of one manifest in the member cluster.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ManifestStatus {
    /// Identifier identifies the manifest the status belongs to.
    pub identifier: ResourceIdentifier,

    /// Status is the status reflected from the member cluster's object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crate::raw::object")]
    pub status: Option<serde_json::Value>,

    /// Health is the health of the resource: "Healthy", "Unhealthy" or "Unknown".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health: Option<ResourceHealth>,
}

/// ResourceIdentifier identifies a manifest of a Work and the object it became.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResourceIdentifier {
    /// Ordinal is the index of the manifest in spec.workload.manifests, so the status can be
    /// linked to a manifest even when it cannot be parsed.
    pub ordinal: i64,

    /// Group is the API group of the resource; empty for the core group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,

    /// Version is the API version of the resource.
    pub version: String,

    /// Kind is the kind of the resource.
    pub kind: String,

    /// Resource is the plural resource name of the resource.
    pub resource: String,

    /// Namespace is the namespace of the resource; empty for cluster-scoped resources.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,

    /// Name is the name of the resource.
    pub name: String,
}

string_enum! {
    /// ResourceHealth is the health of a resource in a member cluster, as interpreted by the
    /// resource interpreter: "Healthy", "Unhealthy" or "Unknown".
    pub enum ResourceHealth {
        Healthy = "Healthy",
        Unhealthy = "Unhealthy",
        Unknown = "Unknown",
    }
    default = Unknown;
}
