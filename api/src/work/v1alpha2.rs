//! `work.karmada.io/v1alpha2`: ResourceBinding and ClusterResourceBinding, one per claimed
//! resource template, carrying the placement copied from the policy and the scheduler's result
//! in `spec.clusters`.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{NodeSelector, Toleration};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, ObjectMeta, Time};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::policy::v1alpha1::{ConflictResolution, FailoverBehavior, Placement, PurgeMode};

pub use super::v1alpha1::ResourceHealth;

/// The API group of this module's kinds.
pub const GROUP: &str = "work.karmada.io";
/// The API version of this module's kinds.
pub const VERSION: &str = "v1alpha2";
/// `group/version`, as written in `apiVersion`.
pub const API_VERSION: &str = "work.karmada.io/v1alpha2";

/// Binding condition type: the binding has been scheduled.
pub const CONDITION_SCHEDULED: &str = "Scheduled";
/// Binding condition type: the resource has been applied to every scheduled cluster.
pub const CONDITION_FULLY_APPLIED: &str = "FullyApplied";

/// Reason of the Scheduled condition: scheduling succeeded.
pub const REASON_SUCCESS: &str = "Success";
/// Reason of the Scheduled condition: an internal error (e.g. talking to the apiserver).
pub const REASON_SCHEDULER_ERROR: &str = "SchedulerError";
/// Reason of the Scheduled condition: no cluster passed the filters.
pub const REASON_NO_CLUSTER_FIT: &str = "NoClusterFit";
/// Reason of the Scheduled condition: cannot be scheduled right now (e.g. not enough capacity).
pub const REASON_UNSCHEDULABLE: &str = "Unschedulable";
/// Reason of the Scheduled condition: the request exceeds a FederatedResourceQuota.
pub const REASON_QUOTA_EXCEEDED: &str = "QuotaExceeded";
/// Reason of the FullyApplied condition when every cluster has an applied Work.
pub const REASON_FULLY_APPLIED_SUCCESS: &str = "FullyAppliedSuccess";
/// Reason of the FullyApplied condition otherwise.
pub const REASON_FULLY_APPLIED_FAILED: &str = "FullyAppliedFailed";

/// Eviction reason: the cluster has a taint the binding does not tolerate (or no longer
/// tolerates).
pub const EVICTION_REASON_TAINT_UNTOLERATED: &str = "TaintUntolerated";
/// Eviction reason: application failover.
pub const EVICTION_REASON_APPLICATION_FAILURE: &str = "ApplicationFailure";
/// Eviction producer: the taint manager.
pub const EVICTION_PRODUCER_TAINT_MANAGER: &str = "TaintManager";

/// ResourceBinding represents the binding of a namespaced resource template to a
/// PropagationPolicy (or ClusterPropagationPolicy) and the clusters it is scheduled to.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-group-version-kind" = [{"group": "work.karmada.io", "kind": "ResourceBinding", "version": "v1alpha2"}]))]
#[schemars(transform = crate::raw::kind_schema)]
pub struct ResourceBinding {
    /// APIVersion defines the versioned schema of this representation of an object.
    #[serde(default = "crate::macros::default_api_version::<ResourceBinding>")]
    pub api_version: String,
    /// Kind is a string value representing the REST resource this object represents.
    #[serde(default = "crate::macros::default_kind::<ResourceBinding>")]
    pub kind: String,
    /// Standard object's metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Spec represents the desired behavior.
    pub spec: ResourceBindingSpec,
    /// Status represents the most recently observed status of the binding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<ResourceBindingStatus>,
}

kind_impls!(ResourceBinding {
    group: "work.karmada.io",
    version: "v1alpha2",
    kind: "ResourceBinding",
    plural: "resourcebindings",
    scope: NamespaceResourceScope,
    spec: ResourceBindingSpec,
    fields: [spec, status],
});

/// ClusterResourceBinding represents the binding of a cluster-scoped resource template to a
/// ClusterPropagationPolicy and the clusters it is scheduled to.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-group-version-kind" = [{"group": "work.karmada.io", "kind": "ClusterResourceBinding", "version": "v1alpha2"}]))]
#[schemars(transform = crate::raw::kind_schema)]
pub struct ClusterResourceBinding {
    /// APIVersion defines the versioned schema of this representation of an object.
    #[serde(default = "crate::macros::default_api_version::<ClusterResourceBinding>")]
    pub api_version: String,
    /// Kind is a string value representing the REST resource this object represents.
    #[serde(default = "crate::macros::default_kind::<ClusterResourceBinding>")]
    pub kind: String,
    /// Standard object's metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Spec represents the desired behavior.
    pub spec: ResourceBindingSpec,
    /// Status represents the most recently observed status of the binding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<ResourceBindingStatus>,
}

kind_impls!(ClusterResourceBinding {
    group: "work.karmada.io",
    version: "v1alpha2",
    kind: "ClusterResourceBinding",
    plural: "clusterresourcebindings",
    scope: ClusterResourceScope,
    spec: ResourceBindingSpec,
    fields: [spec, status],
});

/// ResourceBindingSpec represents the expectation of a ResourceBinding or
/// ClusterResourceBinding.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResourceBindingSpec {
    /// Resource references the resource template to be propagated.
    pub resource: ObjectReference,

    /// PropagateDeps tells if the resources the template references are propagated along with
    /// it. Inherited from the policy. Defaults to false.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub propagate_deps: Option<bool>,

    /// ReplicaRequirements are the resource and scheduling requirements of each replica.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replica_requirements: Option<ReplicaRequirements>,

    /// Replicas is the replica count of the resource template.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,

    /// Components are the requirements of each pod template of a workload made of several
    /// (e.g. distributed training jobs). Intended to replace replicaRequirements and replicas;
    /// only set when multiple-pod-template scheduling is enabled.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<Component>,

    /// Clusters are the member clusters the resource is scheduled to, with their replicas: the
    /// scheduling result.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clusters: Vec<TargetCluster>,

    /// Placement is the placement rule, copied from the policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub placement: Option<Placement>,

    /// GracefulEvictionTasks are the evictions to be performed gracefully: the evicting
    /// controller removes (or scales down) a cluster in clusters and adds a task; the scheduler
    /// may pick a substitute; the graceful eviction controller removes the old copy once the
    /// substitute is healthy or the grace period (10 minutes by default) has passed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub graceful_eviction_tasks: Vec<GracefulEvictionTask>,

    /// RequiredBy lists the bindings that depend on the referenced resource.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub required_by: Vec<BindingSnapshot>,

    /// SchedulerName is the scheduler that schedules this binding, inherited from the policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheduler_name: Option<String>,

    /// Failover says how the application is migrated on failures, inherited from the policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failover: Option<FailoverBehavior>,

    /// ConflictResolution says what to do when the resource already exists in a member
    /// cluster: "Abort" (the default) or "Overwrite".
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "Abort"))]
    pub conflict_resolution: Option<ConflictResolution>,

    /// RescheduleTriggeredAt requests a fresh rescheduling that ignores the previous result.
    /// It takes effect only when later than status.lastScheduledTime. RFC 3339, UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reschedule_triggered_at: Option<Time>,

    /// Suspension declares which parts of propagation are suspended. Nil means none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suspension: Option<BindingSuspension>,

    /// PreserveResourcesOnDeletion keeps the member-cluster copies when the binding is
    /// deleted; applies to all its Works. Defaults to false.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preserve_resources_on_deletion: Option<bool>,

    /// SchedulePriority is the scheduling priority of the workload.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule_priority: Option<BindingSchedulePriority>,

    /// WorkloadAffinityGroups are the affinity groups resolved from
    /// placement.workloadAffinity. Only set on ResourceBindings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workload_affinity_groups: Option<WorkloadAffinityGroups>,
}

impl ResourceBindingSpec {
    /// The replica count of the template (0 when unset).
    pub fn replicas(&self) -> i32 {
        self.replicas.unwrap_or(0)
    }

    /// The sum of the replicas assigned to the target clusters.
    pub fn assigned_replicas(&self) -> i64 {
        self.clusters.iter().map(|c| i64::from(c.replicas())).sum()
    }

    /// The target cluster of the given name, if the binding is scheduled there.
    pub fn target(&self, cluster: &str) -> Option<&TargetCluster> {
        self.clusters.iter().find(|c| c.name == cluster)
    }

    /// The effective conflict resolution ("Abort" when unset).
    pub fn conflict_resolution(&self) -> ConflictResolution {
        self.conflict_resolution.unwrap_or_default()
    }

    /// Whether scheduling is suspended.
    pub fn scheduling_suspended(&self) -> bool {
        self.suspension
            .as_ref()
            .is_some_and(|s| s.scheduling == Some(true))
    }
}

/// ObjectReference locates the referenced object in the control plane.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ObjectReference {
    /// APIVersion of the referent.
    pub api_version: String,

    /// Kind of the referent.
    pub kind: String,

    /// Namespace of the referent; empty for cluster-scoped resources.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,

    /// Name of the referent.
    pub name: String,

    /// UID of the referent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,

    /// ResourceVersion of the referent at the time the binding was last synced with it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_version: Option<String>,
}

/// ReplicaRequirements are the resource and scheduling requirements of each replica.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReplicaRequirements {
    /// NodeClaim holds the node affinity, node selector and tolerations of each replica.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_claim: Option<NodeClaim>,

    /// ResourceRequest is the resources each replica requests.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub resource_request: BTreeMap<String, Quantity>,

    /// Namespace of the replicas.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,

    /// PriorityClassName of the replicas.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority_class_name: Option<String>,
}

/// Component is one pod template of a workload made of several, with its replicas.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Component {
    /// Name of the component, unique within the workload; at most 32 characters.
    #[schemars(length(max = 32))]
    pub name: String,

    /// Replicas of the component.
    pub replicas: i32,

    /// ReplicaRequirements are the resource and scheduling requirements of each replica.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replica_requirements: Option<ComponentReplicaRequirements>,
}

/// ComponentReplicaRequirements are the requirements of each replica of a component.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ComponentReplicaRequirements {
    /// NodeClaim holds the node affinity, node selector and tolerations of each replica.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_claim: Option<NodeClaim>,

    /// ResourceRequest is the resources each replica requests.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub resource_request: BTreeMap<String, Quantity>,

    /// PriorityClassName of the replicas.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority_class_name: Option<String>,
}

/// NodeClaim holds the node constraints of each replica.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NodeClaim {
    /// HardNodeAffinity is the pod's required node affinity
    /// (requiredDuringSchedulingIgnoredDuringExecution), the only part that limits where a pod
    /// can run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hard_node_affinity: Option<NodeSelector>,

    /// NodeSelector is the pod's node selector.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,

    /// Tolerations are the pod's tolerations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<Toleration>,
}

/// TargetCluster is a member cluster the resource is scheduled to.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TargetCluster {
    /// Name of the cluster.
    pub name: String,

    /// Replicas assigned to the cluster.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,

    /// Components are the per-component replicas assigned to the cluster, for workloads made
    /// of several pod templates.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<TargetComponent>,
}

impl TargetCluster {
    /// A target cluster with the given replicas.
    pub fn new(name: impl Into<String>, replicas: i32) -> Self {
        TargetCluster {
            name: name.into(),
            replicas: Some(replicas),
            components: Vec::new(),
        }
    }

    /// The replicas assigned (0 when unset).
    pub fn replicas(&self) -> i32 {
        self.replicas.unwrap_or(0)
    }
}

/// TargetComponent is the replicas of one component assigned to a cluster.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TargetComponent {
    /// Name of the component, as in spec.components.
    pub name: String,

    /// Replicas of the component assigned to the cluster.
    pub replicas: i32,
}

/// GracefulEvictionTask is the graceful eviction of the resource from one cluster.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GracefulEvictionTask {
    /// FromCluster is the cluster the resource is evicted from.
    pub from_cluster: String,

    /// PurgeMode says how the evicted copy is removed: "Directly", "Gracefully" or "Never".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purge_mode: Option<PurgeMode>,

    /// Replicas is the number of replicas evicted; ignored for resources without replicas.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,

    /// Reason is a CamelCase programmatic identifier of the reason, e.g. "TaintUntolerated" or
    /// "ApplicationFailure"; 1 to 32 characters.
    #[schemars(
        length(min = 1, max = 32),
        regex(pattern = r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$")
    )]
    pub reason: String,

    /// Message is a human-readable explanation; at most 1024 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 1024))]
    pub message: Option<String>,

    /// Producer is the controller that created the eviction.
    pub producer: String,

    /// GracePeriodSeconds is how long the old copy is kept, at most, while waiting for the
    /// substitute to become healthy. Must be positive. Cannot be combined with
    /// suppressDeletion.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grace_period_seconds: Option<i32>,

    /// SuppressDeletion keeps the old copy until a tool or a person sets it to false. Cannot be
    /// combined with gracePeriodSeconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppress_deletion: Option<bool>,

    /// PreservedLabelState is the application state collected from the original cluster,
    /// injected as labels in the new cluster.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub preserved_label_state: BTreeMap<String, String>,

    /// CreationTimestamp is the server time at which the task was created. Set by the system.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creation_timestamp: Option<Time>,

    /// ClustersBeforeFailover are the clusters the application ran in before the failover.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clusters_before_failover: Vec<String>,
}

/// BindingSnapshot is a snapshot of a ResourceBinding or ClusterResourceBinding.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BindingSnapshot {
    /// Namespace of the binding; empty for a ClusterResourceBinding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,

    /// Name of the binding.
    pub name: String,

    /// Clusters is the binding's scheduling result.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clusters: Vec<TargetCluster>,
}

/// BindingSuspension declares which parts of propagation and scheduling are suspended (the
/// `Suspension` of work.karmada.io/v1alpha2).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BindingSuspension {
    /// The dispatching suspension, inherited from the policy.
    #[serde(flatten)]
    pub dispatch: crate::policy::v1alpha1::Suspension,

    /// Scheduling, when true, pauses scheduling of this binding until it is false or nil. Meant
    /// for third-party systems that admit workloads; a binding cannot be paused once scheduled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheduling: Option<bool>,
}

/// BindingSchedulePriority is the scheduling priority of a workload (the `SchedulePriority` of
/// work.karmada.io/v1alpha2).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BindingSchedulePriority {
    /// Priority is the scheduling priority; higher is scheduled first. Defaults to 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = 0))]
    pub priority: Option<i32>,
}

/// WorkloadAffinityGroups are the affinity group names resolved for a workload, each
/// serialized as "<labelKey>=<labelValue>" (e.g. "app.group=frontend").
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadAffinityGroups {
    /// AffinityGroup is the group resolved from the affinity term.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub affinity_group: Option<String>,

    /// AntiAffinityGroup is the group resolved from the anti-affinity term.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub anti_affinity_group: Option<String>,
}

/// ResourceBindingStatus is the observed status of a binding and of its resource in each
/// cluster.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResourceBindingStatus {
    /// SchedulerObservedGeneration is the metadata.generation the scheduler last acted on; a
    /// smaller value than metadata.generation means scheduling has not caught up yet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheduler_observed_generation: Option<i64>,

    /// SchedulerObservingAffinityName is the name of the clusterAffinities term the current
    /// scheduling result is based on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheduler_observing_affinity_name: Option<String>,

    /// LastScheduledTime is when the scheduler last finished scheduling successfully. RFC 3339,
    /// UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_scheduled_time: Option<Time>,

    /// Conditions are Scheduled and FullyApplied.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,

    /// AggregatedStatus is the status of the resource in each member cluster.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aggregated_status: Vec<AggregatedStatusItem>,
}

/// AggregatedStatusItem is the status of the resource in one member cluster.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AggregatedStatusItem {
    /// ClusterName is the member cluster.
    pub cluster_name: String,

    /// Status is the status reflected from the member cluster's object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crate::raw::object")]
    pub status: Option<serde_json::Value>,

    /// Applied tells whether the resource was applied to the cluster.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applied: Option<bool>,

    /// AppliedMessage explains the applied state, usually the error when applying failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applied_message: Option<String>,

    /// Health is the health of the resource: "Healthy", "Unhealthy" or "Unknown".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health: Option<ResourceHealth>,
}
