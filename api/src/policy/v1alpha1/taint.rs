//! ClusterTaintPolicy: declarative rules that add and remove taints on Cluster objects based on
//! their status conditions.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::ClusterAffinity;

/// ClusterTaintPolicy automates taint management on Cluster objects. The addOnConditions are
/// evaluated before the removeOnConditions. Taints are never removed automatically when the
/// policy is deleted.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-group-version-kind" = [{"group": "policy.karmada.io", "kind": "ClusterTaintPolicy", "version": "v1alpha1"}]))]
#[schemars(transform = crate::raw::kind_schema)]
pub struct ClusterTaintPolicy {
    /// APIVersion defines the versioned schema of this representation of an object.
    #[serde(default = "crate::macros::default_api_version::<ClusterTaintPolicy>")]
    pub api_version: String,
    /// Kind is a string value representing the REST resource this object represents.
    #[serde(default = "crate::macros::default_kind::<ClusterTaintPolicy>")]
    pub kind: String,
    /// Standard object's metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Spec represents the desired behavior of ClusterTaintPolicy.
    pub spec: ClusterTaintPolicySpec,
}

kind_impls!(ClusterTaintPolicy {
    group: "policy.karmada.io",
    version: "v1alpha1",
    kind: "ClusterTaintPolicy",
    plural: "clustertaintpolicies",
    scope: ClusterResourceScope,
    spec: ClusterTaintPolicySpec,
    fields: [spec],
});

/// ClusterTaintPolicySpec represents the desired behavior of ClusterTaintPolicy.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = crate::raw::require_taints)]
pub struct ClusterTaintPolicySpec {
    /// TargetClusters selects the clusters the policy manages; nil means all clusters. Taints
    /// stay as they are on clusters that stop matching.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_clusters: Option<ClusterAffinity>,

    /// AddOnConditions are the conditions (ANDed) under which the taints are added. Empty means
    /// taints are never added.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub add_on_conditions: Vec<MatchCondition>,

    /// RemoveOnConditions are the conditions (ANDed) under which the taints are removed. Empty
    /// means taints are never removed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remove_on_conditions: Vec<MatchCondition>,

    /// Taints are added to or removed from the matching clusters. At least one is required.
    /// Changes take effect the next time a condition triggers.
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub taints: Vec<Taint>,
}

/// MatchCondition matches one status condition of a cluster.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MatchCondition {
    /// ConditionType is the type of the cluster status condition, e.g. "Ready".
    pub condition_type: String,

    /// Operator is "In" or "NotIn".
    pub operator: MatchConditionOperator,

    /// StatusValues are condition statuses ("True", "False", "Unknown").
    pub status_values: Vec<String>,
}

string_enum! {
    /// MatchConditionOperator relates a condition status to a set of values: "In" or "NotIn".
    pub enum MatchConditionOperator {
        In = "In",
        NotIn = "NotIn",
    }
    default = In;
}

/// Taint is a taint a ClusterTaintPolicy applies to clusters.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Taint {
    /// Key is the taint key.
    pub key: String,

    /// Effect is the taint effect: "NoSchedule", "PreferNoSchedule" or "NoExecute".
    pub effect: String,

    /// Value is the taint value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}
