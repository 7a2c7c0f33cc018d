//! PropagationPolicy / ClusterPropagationPolicy and the placement types they share with the
//! bindings.

use k8s_openapi::api::core::v1::{NodeSelectorRequirement, Toleration};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The name of the scheduler that handles policies which do not name one.
pub const DEFAULT_SCHEDULER_NAME: &str = "default-scheduler";

/// PropagationPolicy represents the policy that propagates a group of resources to one or more
/// clusters. It only selects resources in its own namespace.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-group-version-kind" = [{"group": "policy.karmada.io", "kind": "PropagationPolicy", "version": "v1alpha1"}]))]
#[schemars(transform = crate::raw::kind_schema)]
pub struct PropagationPolicy {
    /// APIVersion defines the versioned schema of this representation of an object.
    #[serde(default = "crate::macros::default_api_version::<PropagationPolicy>")]
    pub api_version: String,
    /// Kind is a string value representing the REST resource this object represents.
    #[serde(default = "crate::macros::default_kind::<PropagationPolicy>")]
    pub kind: String,
    /// Standard object's metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Spec represents the desired behavior of PropagationPolicy.
    pub spec: PropagationSpec,
}

kind_impls!(PropagationPolicy {
    group: "policy.karmada.io",
    version: "v1alpha1",
    kind: "PropagationPolicy",
    plural: "propagationpolicies",
    scope: NamespaceResourceScope,
    spec: PropagationSpec,
    fields: [spec],
});

/// ClusterPropagationPolicy represents the cluster-wide policy that propagates a group of
/// resources to one or more clusters. Unlike PropagationPolicy it can propagate cluster-scoped
/// resources and resources in any namespace except the reserved ones (karmada-system,
/// karmada-cluster, karmada-es-*).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-group-version-kind" = [{"group": "policy.karmada.io", "kind": "ClusterPropagationPolicy", "version": "v1alpha1"}]))]
#[schemars(transform = crate::raw::kind_schema)]
pub struct ClusterPropagationPolicy {
    /// APIVersion defines the versioned schema of this representation of an object.
    #[serde(default = "crate::macros::default_api_version::<ClusterPropagationPolicy>")]
    pub api_version: String,
    /// Kind is a string value representing the REST resource this object represents.
    #[serde(default = "crate::macros::default_kind::<ClusterPropagationPolicy>")]
    pub kind: String,
    /// Standard object's metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Spec represents the desired behavior of ClusterPropagationPolicy.
    pub spec: PropagationSpec,
}

kind_impls!(ClusterPropagationPolicy {
    group: "policy.karmada.io",
    version: "v1alpha1",
    kind: "ClusterPropagationPolicy",
    plural: "clusterpropagationpolicies",
    scope: ClusterResourceScope,
    spec: PropagationSpec,
    fields: [spec],
});

/// PropagationSpec represents the desired behavior of a PropagationPolicy or
/// ClusterPropagationPolicy.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = crate::raw::require_resource_selectors)]
pub struct PropagationSpec {
    /// ResourceSelectors selects the resource templates this policy propagates. At least one
    /// selector is required: an empty list does NOT mean "all resources", so that sensitive
    /// kinds such as Secrets are never propagated by accident.
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub resource_selectors: Vec<ResourceSelector>,

    /// Association tells if relevant resources should be selected automatically (e.g. a
    /// ConfigMap referred to by a Deployment). Defaults to false.
    /// Deprecated: use propagateDeps.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub association: Option<bool>,

    /// PropagateDeps tells if resources referenced by a selected template (ConfigMaps, Secrets,
    /// ServiceAccounts, PersistentVolumeClaims) are propagated automatically along with it, and
    /// migrated with it on failover. Defaults to false.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub propagate_deps: Option<bool>,

    /// Placement represents the rule for selecting the clusters to propagate to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub placement: Option<Placement>,

    /// Priority indicates the importance of the policy. When several policies match a resource
    /// template, the one with the highest priority claims it; on a tie the more precise
    /// resource selector wins (name over labelSelector over kind), then the lexicographically
    /// smaller policy name. A claimed template is not taken over by a later policy unless
    /// preemption is enabled. Defaults to 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = 0))]
    pub priority: Option<i32>,

    /// Preemption declares whether this policy may take over resource templates already claimed
    /// by a lower-priority policy. Valid values are "Always" and "Never". Defaults to "Never".
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "Never"))]
    pub preemption: Option<PreemptionBehavior>,

    /// DependentOverrides lists the OverridePolicies that must exist before this policy takes
    /// effect, for users who create overrides and resources at the same time. Overrides not
    /// listed here still apply if they match.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependent_overrides: Vec<String>,

    /// SchedulerName names the scheduler that schedules the resources this policy claims.
    /// Defaults to "default-scheduler".
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "default-scheduler"))]
    pub scheduler_name: Option<String>,

    /// Failover indicates how applications are migrated in case of failures. Nil disables
    /// failover.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failover: Option<FailoverBehavior>,

    /// ConflictResolution declares what to do when a propagated resource already exists in the
    /// target cluster and is not managed by the federation: "Abort" (the default) stops
    /// propagating to avoid unexpected overwrites, "Overwrite" takes the resource over. The
    /// template annotation work.karmada.io/conflict-resolution takes precedence.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "Abort"))]
    pub conflict_resolution: Option<ConflictResolution>,

    /// ActivationPreference indicates how policy changes reach the templates it claims. Empty
    /// means immediately; "Lazy" defers them until the template itself next changes, so that a
    /// policy change can be rolled out template by template.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activation_preference: Option<ActivationPreference>,

    /// Suspension declares the policy for suspending parts of propagation. Nil means no
    /// suspension.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suspension: Option<Suspension>,

    /// PreserveResourcesOnDeletion controls whether member-cluster copies are kept when the
    /// resource template is deleted. Defaults to false (they are deleted with it). It does not
    /// apply to deleting the policy itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preserve_resources_on_deletion: Option<bool>,

    /// SchedulePriority declares where the scheduling priority of the claimed workloads comes
    /// from; higher-priority workloads are scheduled first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule_priority: Option<SchedulePriority>,
}

impl PropagationSpec {
    /// The explicit priority, `spec.priority`, 0 when unset.
    pub fn explicit_priority(&self) -> i32 {
        self.priority.unwrap_or(0)
    }

    /// Whether dependencies are propagated along with the templates.
    pub fn propagate_deps(&self) -> bool {
        self.propagate_deps.unwrap_or(false)
    }

    /// The effective preemption behaviour ("Never" when unset).
    pub fn preemption(&self) -> PreemptionBehavior {
        self.preemption.unwrap_or_default()
    }

    /// The effective scheduler name ("default-scheduler" when unset or empty).
    pub fn scheduler_name(&self) -> &str {
        match self.scheduler_name.as_deref() {
            None | Some("") => DEFAULT_SCHEDULER_NAME,
            Some(name) => name,
        }
    }

    /// The effective conflict resolution ("Abort" when unset).
    pub fn conflict_resolution(&self) -> ConflictResolution {
        self.conflict_resolution.unwrap_or_default()
    }

    /// Whether member-cluster copies survive deletion of the template.
    pub fn preserve_resources_on_deletion(&self) -> bool {
        self.preserve_resources_on_deletion.unwrap_or(false)
    }
}

/// ResourceSelector selects resource templates by kind and optionally namespace, name or labels.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResourceSelector {
    /// APIVersion represents the API version of the target resources.
    pub api_version: String,

    /// Kind represents the Kind of the target resources.
    pub kind: String,

    /// Namespace of the target resources. Empty means the scope of the parent object: a
    /// PropagationPolicy's selectors default to the policy's own namespace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,

    /// Name of the target resource. Empty selects all resources of the kind.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,

    /// A label query over the resources. Ignored when name is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label_selector: Option<LabelSelector>,
}

impl ResourceSelector {
    /// A selector of every resource of the given apiVersion and kind.
    pub fn new(api_version: impl Into<String>, kind: impl Into<String>) -> Self {
        ResourceSelector {
            api_version: api_version.into(),
            kind: kind.into(),
            ..Default::default()
        }
    }

    /// The namespace, treating `""` as unset.
    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref().filter(|ns| !ns.is_empty())
    }

    /// The name, treating `""` as unset.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref().filter(|name| !name.is_empty())
    }
}

/// FieldSelector is a filter on cluster fields.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FieldSelector {
    /// A list of field selector requirements. The key must be "provider", "region" or "zone",
    /// matched against the cluster's spec.provider, spec.region and spec.zones; the operator
    /// must be "In" or "NotIn".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub match_expressions: Vec<NodeSelectorRequirement>,
}

/// Suspension declares the policy for suspending different aspects of propagation.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Suspension {
    /// Dispatching, when true, stops dispatching (pushing Works) to every cluster; status is
    /// still collected. Cannot be combined with dispatchingOnClusters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dispatching: Option<bool>,

    /// DispatchingOnClusters lists the clusters to which dispatching is suspended. Cannot be
    /// combined with dispatching.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dispatching_on_clusters: Option<SuspendClusters>,
}

/// SuspendClusters names the clusters whose dispatching is suspended.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SuspendClusters {
    /// ClusterNames is the list of clusters to be selected.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cluster_names: Vec<String>,
}

string_enum! {
    /// PurgeMode says what happens to the copy of an application left in the cluster it is
    /// migrated away from: "Directly" deletes it first and then reschedules (for applications
    /// that must never run twice); "Gracefully" keeps it until the new copy is healthy or a
    /// timeout passes; "Never" keeps it until someone confirms its removal.
    pub enum PurgeMode {
        Directly = "Directly",
        Gracefully = "Gracefully",
        Never = "Never",
    }
    default = Gracefully;
}

/// FailoverBehavior indicates failover behaviors in case of an application or cluster failure.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FailoverBehavior {
    /// Application indicates failover behaviors in case of application failure. Nil disables
    /// application failover. When set, propagateDeps must be true so that dependencies move
    /// along with the application.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application: Option<ApplicationFailoverBehavior>,

    /// Cluster indicates failover behaviors in case of cluster failure. When nil, the
    /// controller's no-execute-taint eviction purge mode applies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<ClusterFailoverBehavior>,
}

/// ApplicationFailoverBehavior indicates application failover behaviors.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationFailoverBehavior {
    /// DecisionConditions are the conditions that must all hold before failover starts.
    pub decision_conditions: DecisionConditions,

    /// PurgeMode says how the copy left in the failed cluster is removed. Valid values are
    /// "Directly", "Gracefully" and "Never". Defaults to "Gracefully".
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "Gracefully"))]
    pub purge_mode: Option<PurgeMode>,

    /// GracePeriodSeconds is how long the old copy is kept, at most, while waiting for the new
    /// one to become healthy. Only valid with purgeMode "Gracefully", where it defaults to 600.
    /// Must be positive.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grace_period_seconds: Option<i32>,

    /// StatePreservation defines which state of the failed copy is carried over to the new
    /// cluster. Nil preserves nothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_preservation: Option<StatePreservation>,
}

impl ApplicationFailoverBehavior {
    /// The effective purge mode ("Gracefully" when unset).
    pub fn purge_mode(&self) -> PurgeMode {
        self.purge_mode.unwrap_or_default()
    }
}

/// ClusterFailoverBehavior indicates cluster failover behaviors.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterFailoverBehavior {
    /// PurgeMode says how the copy left in the failed cluster is removed. Valid values are
    /// "Directly" and "Gracefully". Defaults to "Gracefully".
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "Gracefully"))]
    pub purge_mode: Option<PurgeMode>,

    /// StatePreservation defines which state of the failed copy is carried over to the new
    /// cluster. Nil preserves nothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_preservation: Option<StatePreservation>,
}

impl ClusterFailoverBehavior {
    /// The effective purge mode ("Gracefully" when unset).
    pub fn purge_mode(&self) -> PurgeMode {
        self.purge_mode.unwrap_or_default()
    }
}

/// The default of `decisionConditions.tolerationSeconds`.
pub const DEFAULT_TOLERATION_SECONDS: i32 = 300;
/// The default of `gracePeriodSeconds` when the purge mode is "Gracefully".
pub const DEFAULT_GRACE_PERIOD_SECONDS: i32 = 600;

/// DecisionConditions are the conditions under which failover is performed.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DecisionConditions {
    /// TolerationSeconds is how long the application may stay unhealthy before failover starts.
    /// Defaults to 300; 0 fails over immediately.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = 300))]
    pub toleration_seconds: Option<i32>,
}

impl DecisionConditions {
    /// The effective toleration (300 seconds when unset).
    pub fn toleration_seconds(&self) -> i32 {
        self.toleration_seconds
            .unwrap_or(DEFAULT_TOLERATION_SECONDS)
    }
}

/// StatePreservation defines how state is preserved across failover.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatePreservation {
    /// Rules each extract one piece of state from the failed copy's `.status` and hand it to
    /// the new cluster as a label.
    pub rules: Vec<StatePreservationRule>,
}

/// StatePreservationRule extracts one piece of state by JSONPath and names the label that
/// carries it to the new cluster.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatePreservationRule {
    /// AliasLabelName is the label key under which the preserved value is injected into the
    /// application in the new cluster.
    pub alias_label_name: String,

    /// JSONPath (Kubernetes JSONPath syntax) selecting the value, evaluated against the
    /// object's `.status`: write "{.availableReplicas}", not "{.status.availableReplicas}".
    pub json_path: String,
}

/// Placement represents the rule for selecting clusters.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Placement {
    /// ClusterAffinity restricts scheduling to a set of clusters. Cannot be combined with
    /// clusterAffinities; when neither is set every cluster is a candidate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_affinity: Option<ClusterAffinity>,

    /// ClusterAffinities are ordered groups of clusters. The scheduler tries them in order and
    /// uses the first group that can host the workload (e.g. a primary data center, then a
    /// cloud provider as backup). Cannot be combined with clusterAffinity.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cluster_affinities: Vec<ClusterAffinityTerm>,

    /// ClusterTolerations are the tolerations of cluster taints. Only the "Exists" and "Equal"
    /// operators are supported.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cluster_tolerations: Vec<Toleration>,

    /// SpreadConstraints are the constraints on how many cluster groups (by cluster, region,
    /// zone or provider) the resources are spread over.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub spread_constraints: Vec<SpreadConstraint>,

    /// ReplicaScheduling says how the replicas of a workload are scheduled. When nil every
    /// selected cluster gets all replicas ("Duplicated").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replica_scheduling: Option<ReplicaSchedulingStrategy>,

    /// WorkloadAffinity declares inter-workload affinity and anti-affinity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workload_affinity: Option<WorkloadAffinity>,
}

/// How the replicas of a workload are assigned to clusters, resolved from a [`Placement`]; the
/// scheduler has one assignment algorithm per value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReplicaAssignmentStrategy {
    /// Every selected cluster runs all replicas.
    Duplicated,
    /// Replicas are packed into as few clusters as their capacity allows.
    Aggregated,
    /// Replicas are divided by the static weight list (equal weights when there is none).
    StaticWeight,
    /// Replicas are divided in proportion to the clusters' available replicas.
    DynamicWeight,
}

impl Placement {
    /// The effective replica scheduling type: "Duplicated" when replicaScheduling is nil,
    /// otherwise its type ("Divided" when the type is unset).
    pub fn replica_scheduling_type(&self) -> ReplicaSchedulingType {
        match &self.replica_scheduling {
            None => ReplicaSchedulingType::Duplicated,
            Some(strategy) => strategy.replica_scheduling_type.unwrap_or_default(),
        }
    }

    /// The replica assignment strategy the scheduler applies. A Divided placement without a
    /// division preference is treated as Weighted, the webhook default.
    pub fn assignment_strategy(&self) -> ReplicaAssignmentStrategy {
        let Some(strategy) = &self.replica_scheduling else {
            return ReplicaAssignmentStrategy::Duplicated;
        };
        match strategy.replica_scheduling_type.unwrap_or_default() {
            ReplicaSchedulingType::Duplicated => ReplicaAssignmentStrategy::Duplicated,
            ReplicaSchedulingType::Divided => {
                match strategy.replica_division_preference.unwrap_or_default() {
                    ReplicaDivisionPreference::Aggregated => ReplicaAssignmentStrategy::Aggregated,
                    ReplicaDivisionPreference::Weighted => {
                        let dynamic = strategy
                            .weight_preference
                            .as_ref()
                            .is_some_and(|w| w.dynamic_weight.is_some());
                        if dynamic {
                            ReplicaAssignmentStrategy::DynamicWeight
                        } else {
                            ReplicaAssignmentStrategy::StaticWeight
                        }
                    }
                }
            }
        }
    }

    /// Whether overflowAffinities may be used: only with dynamic weights or Aggregated
    /// division, where capacity decides how replicas spill into the next tier.
    pub fn overflow_scheduling_allowed(&self) -> bool {
        let Some(strategy) = &self.replica_scheduling else {
            return false;
        };
        // Unlike assignment_strategy, an unset type or preference does not count here: this is
        // checked by validation after defaulting, exactly as the webhook does.
        if strategy.replica_scheduling_type != Some(ReplicaSchedulingType::Divided) {
            return false;
        }
        match strategy.replica_division_preference {
            Some(ReplicaDivisionPreference::Aggregated) => true,
            Some(ReplicaDivisionPreference::Weighted) => strategy
                .weight_preference
                .as_ref()
                .is_some_and(|w| w.dynamic_weight.is_some()),
            None => false,
        }
    }
}

string_enum! {
    /// SpreadFieldValue is a cluster field by which clusters are grouped for spreading:
    /// "cluster", "region", "zone" or "provider".
    pub enum SpreadFieldValue {
        Cluster = "cluster",
        Region = "region",
        Zone = "zone",
        Provider = "provider",
    }
    default = Cluster;
}

/// SpreadConstraint constrains how many groups of clusters the resources are spread over.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SpreadConstraint {
    /// SpreadByField is the cluster field used to group clusters: "cluster", "region", "zone"
    /// or "provider". Cannot be combined with spreadByLabel. When both are empty it defaults to
    /// "cluster".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spread_by_field: Option<SpreadFieldValue>,

    /// SpreadByLabel is the cluster label key used to group clusters. Cannot be combined with
    /// spreadByField.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spread_by_label: Option<String>,

    /// MaxGroups is the maximum number of groups to select.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_groups: Option<i32>,

    /// MinGroups is the minimum number of groups to select. Defaults to 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_groups: Option<i32>,
}

impl SpreadConstraint {
    /// The spread-by label, treating `""` as unset.
    pub fn spread_by_label(&self) -> Option<&str> {
        self.spread_by_label.as_deref().filter(|l| !l.is_empty())
    }
}

/// ClusterAffinity is a filter selecting clusters. All of its criteria must match; a cluster in
/// `exclude` never matches. An empty affinity matches every cluster.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterAffinity {
    /// LabelSelector selects clusters by their labels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label_selector: Option<LabelSelector>,

    /// FieldSelector selects clusters by provider, region or zone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field_selector: Option<FieldSelector>,

    /// ClusterNames is the list of clusters to be selected. Empty means any cluster.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cluster_names: Vec<String>,

    /// ExcludeClusters is the list of clusters to be ignored.
    #[serde(rename = "exclude", default, skip_serializing_if = "Vec::is_empty")]
    pub exclude_clusters: Vec<String>,
}

impl ClusterAffinity {
    /// An affinity selecting exactly the named clusters.
    pub fn cluster_names<I, S>(names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        ClusterAffinity {
            cluster_names: names.into_iter().map(Into::into).collect(),
            ..Default::default()
        }
    }

    /// Whether the affinity has no criteria at all (and so matches every cluster).
    pub fn is_empty(&self) -> bool {
        self.label_selector.is_none()
            && self.field_selector.is_none()
            && self.cluster_names.is_empty()
            && self.exclude_clusters.is_empty()
    }
}

/// ClusterAffinityTerm is a named group of clusters in `clusterAffinities`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterAffinityTerm {
    /// AffinityName is the name of the cluster group: 1 to 32 characters, unique in the
    /// placement.
    #[schemars(length(min = 1, max = 32))]
    pub affinity_name: String,

    /// The clusters of the (primary) group.
    #[serde(flatten)]
    pub affinity: ClusterAffinity,

    /// OverflowAffinities are further tiers of clusters the scheduler adds, in order, when the
    /// primary group lacks capacity, and removes in reverse order on scale down. Only valid with
    /// dynamic weights or Aggregated division and a non-empty primary group. A cluster listed in
    /// several tiers belongs to the first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overflow_affinities: Vec<OverflowClusterAffinity>,
}

/// OverflowClusterAffinity is one overflow tier of candidate clusters.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OverflowClusterAffinity {
    /// AffinityName is the name of the tier: 1 to 32 characters.
    #[schemars(length(min = 1, max = 32))]
    pub affinity_name: String,

    /// The clusters of the tier.
    #[serde(flatten)]
    pub affinity: ClusterAffinity,
}

/// WorkloadAffinity declares inter-workload affinity and anti-affinity; both are hard
/// requirements. The first workload of a group is never blocked.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadAffinity {
    /// Affinity co-locates the workload with workloads of the same group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub affinity: Option<WorkloadAffinityTerm>,

    /// AntiAffinity keeps the workload away from clusters that run workloads of the same group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub anti_affinity: Option<WorkloadAntiAffinityTerm>,
}

/// WorkloadAffinityTerm groups workloads for co-location.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadAffinityTerm {
    /// GroupByLabelKey is the label key on the resource template whose value names the
    /// workload's affinity group (groups are scoped to the namespace). Must be a valid label key.
    pub group_by_label_key: String,
}

/// WorkloadAntiAffinityTerm groups workloads for separation.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadAntiAffinityTerm {
    /// GroupByLabelKey is the label key on the resource template whose value names the
    /// workload's anti-affinity group (groups are scoped to the namespace). Must be a valid
    /// label key.
    pub group_by_label_key: String,
}

string_enum! {
    /// ReplicaSchedulingType says how replicas are scheduled: "Duplicated" gives every
    /// selected cluster all replicas, "Divided" divides them among the clusters.
    pub enum ReplicaSchedulingType {
        Duplicated = "Duplicated",
        Divided = "Divided",
    }
    default = Divided;
}

string_enum! {
    /// ReplicaDivisionPreference says how Divided replicas are divided: "Aggregated" packs them
    /// into as few clusters as capacity allows, "Weighted" divides them by weightPreference.
    pub enum ReplicaDivisionPreference {
        Aggregated = "Aggregated",
        Weighted = "Weighted",
    }
    default = Weighted;
}

/// ReplicaSchedulingStrategy represents how replicas are assigned to clusters.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReplicaSchedulingStrategy {
    /// ReplicaSchedulingType is "Duplicated" (every cluster gets all replicas) or "Divided"
    /// (replicas are divided as replicaDivisionPreference says). Defaults to "Divided".
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "Divided"))]
    pub replica_scheduling_type: Option<ReplicaSchedulingType>,

    /// ReplicaDivisionPreference is "Aggregated" or "Weighted", used when the type is
    /// "Divided", where it defaults to "Weighted".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replica_division_preference: Option<ReplicaDivisionPreference>,

    /// WeightPreference gives the weights of the clusters for "Weighted" division. When unset,
    /// all clusters weigh the same.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight_preference: Option<ClusterPreferences>,
}

/// ClusterPreferences describes the weight of each cluster or group of clusters.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterPreferences {
    /// StaticWeightList gives fixed weights to the clusters each entry selects. Also accepted
    /// on input under its older name `staticClusterWeight`.
    #[serde(
        alias = "staticClusterWeight",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub static_weight_list: Vec<StaticClusterWeight>,

    /// DynamicWeight generates the weights from a cluster property instead; when set,
    /// staticWeightList is ignored. The only factor is "AvailableReplicas".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dynamic_weight: Option<DynamicWeightFactor>,
}

/// StaticClusterWeight gives a weight to the clusters an affinity selects.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StaticClusterWeight {
    /// TargetCluster selects the clusters this weight applies to.
    pub target_cluster: ClusterAffinity,

    /// Weight of the selected clusters; at least 1.
    #[schemars(range(min = 1))]
    pub weight: i64,
}

string_enum! {
    /// DynamicWeightFactor is the cluster property dynamic weights are generated from. The only
    /// factor is "AvailableReplicas": clusters able to host 6, 12 and 18 more replicas weigh
    /// 1:2:3.
    pub enum DynamicWeightFactor {
        AvailableReplicas = "AvailableReplicas",
    }
    default = AvailableReplicas;
}

string_enum! {
    /// PreemptionBehavior says whether a policy may take over resource templates claimed by a
    /// lower-priority policy. "Always": a PropagationPolicy may preempt any matching template
    /// by priority, and always one claimed by a ClusterPropagationPolicy; a
    /// ClusterPropagationPolicy may only preempt from other ClusterPropagationPolicies.
    /// "Never": never preempt.
    pub enum PreemptionBehavior {
        Always = "Always",
        Never = "Never",
    }
    default = Never;
}

string_enum! {
    /// ConflictResolution says what to do when a propagated resource already exists in a member
    /// cluster: "Overwrite" it with the template, or "Abort" propagating.
    pub enum ConflictResolution {
        Overwrite = "Overwrite",
        Abort = "Abort",
    }
    default = Abort;
}

string_enum! {
    /// ActivationPreference says when policy changes reach the templates a policy claims.
    /// "Lazy" defers them until the template itself next changes.
    pub enum ActivationPreference {
        Lazy = "Lazy",
    }
    default = Lazy;
}

/// SchedulePriority declares where the scheduling priority of workloads comes from.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SchedulePriority {
    /// PriorityClassSource says where the PriorityClass is looked up. Only "KubePriorityClass"
    /// (a scheduling.k8s.io/v1 PriorityClass) is implemented.
    pub priority_class_source: PriorityClassSource,

    /// PriorityClassName is the name of the PriorityClass to use.
    pub priority_class_name: String,
}

string_enum! {
    /// PriorityClassSource says where a PriorityClass is looked up: "KubePriorityClass" is a
    /// Kubernetes PriorityClass; "PodPriorityClass" (the pod template's priorityClassName) and
    /// "FederatedPriorityClass" are declared but not implemented.
    pub enum PriorityClassSource {
        KubePriorityClass = "KubePriorityClass",
        PodPriorityClass = "PodPriorityClass",
        FederatedPriorityClass = "FederatedPriorityClass",
    }
    default = KubePriorityClass;
}

/// Whether a selector picks a multi-cluster-services ServiceImport, which forces propagateDeps.
pub(crate) fn selects_service_import(selector: &ResourceSelector) -> bool {
    selector.kind == "ServiceImport" && selector.api_version == "multicluster.x-k8s.io/v1alpha1"
}
