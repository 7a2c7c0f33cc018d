//! OverridePolicy / ClusterOverridePolicy: per-cluster changes applied to a resource template
//! before it is sent to a member cluster.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{ClusterAffinity, ResourceSelector};

/// OverridePolicy represents the policy that overrides a group of resources (in its own
/// namespace) for one or more clusters.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-group-version-kind" = [{"group": "policy.karmada.io", "kind": "OverridePolicy", "version": "v1alpha1"}]))]
#[schemars(transform = crate::raw::kind_schema)]
pub struct OverridePolicy {
    /// APIVersion defines the versioned schema of this representation of an object.
    #[serde(default = "crate::macros::default_api_version::<OverridePolicy>")]
    pub api_version: String,
    /// Kind is a string value representing the REST resource this object represents.
    #[serde(default = "crate::macros::default_kind::<OverridePolicy>")]
    pub kind: String,
    /// Standard object's metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Spec represents the desired behavior of OverridePolicy.
    pub spec: OverrideSpec,
}

kind_impls!(OverridePolicy {
    group: "policy.karmada.io",
    version: "v1alpha1",
    kind: "OverridePolicy",
    plural: "overridepolicies",
    scope: NamespaceResourceScope,
    spec: OverrideSpec,
    fields: [spec],
});

/// ClusterOverridePolicy represents the cluster-wide policy that overrides a group of resources
/// for one or more clusters.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-group-version-kind" = [{"group": "policy.karmada.io", "kind": "ClusterOverridePolicy", "version": "v1alpha1"}]))]
#[schemars(transform = crate::raw::kind_schema)]
pub struct ClusterOverridePolicy {
    /// APIVersion defines the versioned schema of this representation of an object.
    #[serde(default = "crate::macros::default_api_version::<ClusterOverridePolicy>")]
    pub api_version: String,
    /// Kind is a string value representing the REST resource this object represents.
    #[serde(default = "crate::macros::default_kind::<ClusterOverridePolicy>")]
    pub kind: String,
    /// Standard object's metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Spec represents the desired behavior of ClusterOverridePolicy.
    pub spec: OverrideSpec,
}

kind_impls!(ClusterOverridePolicy {
    group: "policy.karmada.io",
    version: "v1alpha1",
    kind: "ClusterOverridePolicy",
    plural: "clusteroverridepolicies",
    scope: ClusterResourceScope,
    spec: OverrideSpec,
    fields: [spec],
});

/// OverrideSpec defines the desired behavior of an OverridePolicy or ClusterOverridePolicy.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OverrideSpec {
    /// ResourceSelectors restricts the resources this policy applies to. Empty means all
    /// resources.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resource_selectors: Vec<ResourceSelector>,

    /// OverrideRules are the override rules, each for the clusters it targets, applied in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub override_rules: Vec<RuleWithCluster>,

    /// TargetCluster restricts the deprecated top-level overriders to the matching clusters;
    /// nil means all clusters.
    /// Deprecated: use overrideRules; cannot be combined with them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_cluster: Option<ClusterAffinity>,

    /// Overriders are the overrides applied to the targetCluster clusters.
    /// Deprecated: use overrideRules; cannot be combined with them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overriders: Option<Overriders>,
}

impl OverrideSpec {
    /// The rules in effect: overrideRules, or the deprecated targetCluster + overriders as one
    /// rule when overrideRules is empty.
    pub fn effective_rules(&self) -> Vec<RuleWithCluster> {
        if !self.override_rules.is_empty() {
            return self.override_rules.clone();
        }
        match &self.overriders {
            Some(overriders) if !overriders.is_empty() => vec![RuleWithCluster {
                target_cluster: self.target_cluster.clone(),
                overriders: overriders.clone(),
            }],
            _ => Vec::new(),
        }
    }
}

/// RuleWithCluster is a set of overriders for the clusters it targets.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RuleWithCluster {
    /// TargetCluster selects the clusters this rule applies to; nil means all clusters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_cluster: Option<ClusterAffinity>,

    /// Overriders are the overrides this rule applies.
    pub overriders: Overriders,
}

/// Overriders are the alternative ways to express overrides. Within one rule they apply in this
/// order: imageOverrider, commandOverrider, argsOverrider, labelsOverrider,
/// annotationsOverrider, fieldOverrider, plaintext.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Overriders {
    /// Plaintext overriders are JSON patch operations on the manifest.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub plaintext: Vec<PlaintextOverrider>,

    /// ImageOverrider changes parts of container images.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image_overrider: Vec<ImageOverrider>,

    /// CommandOverrider changes container commands.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub command_overrider: Vec<CommandArgsOverrider>,

    /// ArgsOverrider changes container args.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args_overrider: Vec<CommandArgsOverrider>,

    /// LabelsOverrider changes the labels of the resource.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels_overrider: Vec<LabelAnnotationOverrider>,

    /// AnnotationsOverrider changes the annotations of the resource.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub annotations_overrider: Vec<LabelAnnotationOverrider>,

    /// FieldOverrider changes values inside a string field that holds a JSON or YAML document,
    /// such as a key of a ConfigMap's data.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub field_overrider: Vec<FieldOverrider>,
}

impl Overriders {
    /// Whether no overrider is set.
    pub fn is_empty(&self) -> bool {
        self.plaintext.is_empty()
            && self.image_overrider.is_empty()
            && self.command_overrider.is_empty()
            && self.args_overrider.is_empty()
            && self.labels_overrider.is_empty()
            && self.annotations_overrider.is_empty()
            && self.field_overrider.is_empty()
    }
}

string_enum! {
    /// OverriderOperator is an override operation: "add", "remove" or "replace".
    pub enum OverriderOperator {
        Add = "add",
        Remove = "remove",
        Replace = "replace",
    }
    default = Add;
}

/// LabelAnnotationOverrider changes the labels or annotations of the resource.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = crate::raw::require_value)]
pub struct LabelAnnotationOverrider {
    /// Operator is "add", "remove" or "replace".
    pub operator: OverriderOperator,

    /// Value holds the entries to add, the keys to remove, or the entries whose values are
    /// replaced.
    #[serde(default)]
    pub value: BTreeMap<String, String>,
}

string_enum! {
    /// ImageComponent is a part of an image reference `[registry/]repository[:tag|@digest]`:
    /// "Registry" (e.g. registry.k8s.io, fictional.registry.example:10443), "Repository" (e.g.
    /// kube-apiserver, fictional/nginx) or "Tag" (e.g. latest, v1.19.1, @sha256:…).
    pub enum ImageComponent {
        Registry = "Registry",
        Repository = "Repository",
        Tag = "Tag",
    }
    default = Registry;
}

/// ImageOverrider changes one component of container images.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImageOverrider {
    /// Predicate selects the image field to change. When nil, the images of all containers are
    /// changed for Pods, ReplicaSets, Deployments, StatefulSets, DaemonSets and Jobs
    /// (`/spec/containers/N/image` or `/spec/template/spec/containers/N/image`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predicate: Option<ImagePredicate>,

    /// Component is the part of the image to change: "Registry", "Repository" or "Tag".
    pub component: ImageComponent,

    /// Operator is "add", "remove" or "replace".
    pub operator: OverriderOperator,

    /// Value to apply to the component; must not be empty for "add" and "replace", ignored for
    /// "remove".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// ImagePredicate selects the image field an ImageOverrider changes.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImagePredicate {
    /// Path is the JSON pointer (RFC 6901) of the image field, e.g.
    /// `/spec/template/spec/containers/0/image`.
    pub path: String,
}

/// CommandArgsOverrider changes the command or args of one container.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CommandArgsOverrider {
    /// ContainerName is the name of the container.
    pub container_name: String,

    /// Operator is "add" (append the values) or "remove" (delete matching values).
    pub operator: OverriderOperator,

    /// Value holds the items to append or delete. Empty leaves the command or args unchanged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub value: Vec<String>,
}

/// PlaintextOverrider is one JSON patch operation on the manifest.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlaintextOverrider {
    /// Path is the JSON pointer (RFC 6901) of the target field.
    pub path: String,

    /// Operator is "add", "remove" or "replace".
    pub operator: OverriderOperator,

    /// Value to apply; must be empty for "remove".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crate::raw::any")]
    pub value: Option<serde_json::Value>,
}

/// FieldOverrider changes values inside a string field that holds a JSON or YAML document (for
/// example `/data/db-config.yaml` of a ConfigMap). Exactly one of json and yaml must be set.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FieldOverrider {
    /// FieldPath is the JSON pointer (RFC 6901) of the string field holding the document.
    pub field_path: String,

    /// JSON are the operations on the field's content as a JSON document.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub json: Vec<JsonPatchOperation>,

    /// YAML are the operations on the field's content as a YAML document.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub yaml: Vec<YamlPatchOperation>,
}

/// JsonPatchOperation is one change to the JSON document held in a field.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct JsonPatchOperation {
    /// SubPath is the JSON pointer (RFC 6901) of the target inside the document.
    pub sub_path: String,

    /// Operator is "add", "remove" or "replace".
    pub operator: OverriderOperator,

    /// Value to set for "add" and "replace"; not allowed for "remove".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crate::raw::any")]
    pub value: Option<serde_json::Value>,
}

/// YamlPatchOperation is one change to the YAML document held in a field.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct YamlPatchOperation {
    /// SubPath is the JSON pointer (RFC 6901) of the target inside the document.
    pub sub_path: String,

    /// Operator is "add", "remove" or "replace".
    pub operator: OverriderOperator,

    /// Value to set for "add" and "replace"; not allowed for "remove".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crate::raw::any")]
    pub value: Option<serde_json::Value>,
}
