//! The scheduler's own small input and output structs: one binding, its placement and the fleet in,
//! one explained decision out.
//!
//! They mirror the Karmada API fields the algorithm reads (same names in JSON, camelCase) and
//! nothing else, so the placement core is testable without the API crate and a caller can build
//! them from real objects (`from_api`) or by hand (`flotilla simulate`, benchmarks). Strings that
//! Go leaves empty when unset (`region`, `provider`, taint effects) stay `String` with `""` meaning
//! unset, so the Go semantics carry over one to one.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::quantity::Quantity;

// ---------------------------------------------------------------------------------------------
// Input
// ---------------------------------------------------------------------------------------------

/// Everything one scheduling decision depends on.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ScheduleInput {
    /// The binding being placed (`ResourceBinding.spec` plus the status fields the scheduler reads).
    pub binding: BindingInput,
    /// The binding's placement (`spec.placement`).
    pub placement: Placement,
    /// Every member cluster in the scheduler's snapshot.
    pub clusters: Vec<ClusterInput>,
    /// Scheduler-wide switches.
    pub options: ScheduleOptions,
}

/// Scheduler-wide switches (Karmada's scheduler flags).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ScheduleOptions {
    /// `--enable-empty-workload-propagation`: selected clusters that received 0 replicas are kept
    /// in the result with 0 replicas.
    pub enable_empty_workload_propagation: bool,
}

/// The parts of a `ResourceBinding` the scheduler reads.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BindingInput {
    /// The resource template's UID (`spec.resource.uid`); its FNV-1a parity picks the Webster
    /// tie-break direction.
    pub uid: String,
    /// The resource template (`spec.resource`).
    pub resource: ResourceRef,
    /// `spec.replicas`.
    pub replicas: i32,
    /// `spec.replicaRequirements`.
    pub replica_requirements: Option<ReplicaRequirements>,
    /// `len(spec.components)`: multi-template workloads (more than one) are placed whole, like
    /// non-workloads.
    pub component_count: u32,
    /// The current placement, `spec.clusters`.
    pub clusters: Vec<TargetCluster>,
    /// Clusters in `spec.gracefulEvictionTasks[].fromCluster`.
    pub graceful_eviction_clusters: Vec<String>,
    /// `status.schedulerObservingAffinityName`: the `clusterAffinities` term in use.
    pub observed_affinity_name: Option<String>,
    /// `spec.rescheduleTriggeredAt` is later than `status.lastScheduledTime`: a manual
    /// reschedule, which divides replicas from scratch (Fresh mode) and restarts
    /// `clusterAffinities` at the first term.
    pub reschedule_requested: bool,
}

impl BindingInput {
    /// Karmada's `IsWorkload`: has replicas, replica requirements or components.
    pub fn is_workload(&self) -> bool {
        self.replicas > 0 || self.replica_requirements.is_some() || self.component_count >= 1
    }

    /// Replicas the binding currently has on `cluster` (`AssignedReplicasForCluster`).
    pub fn assigned_replicas(&self, cluster: &str) -> i32 {
        self.clusters
            .iter()
            .find(|t| t.name == cluster)
            .map_or(0, |t| t.replicas)
    }

    /// Whether `cluster` is in `spec.clusters` (`TargetContains`).
    pub fn targets(&self, cluster: &str) -> bool {
        self.clusters.iter().any(|t| t.name == cluster)
    }
}

/// `spec.resource`: which template the binding is for.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ResourceRef {
    /// e.g. `apps/v1`.
    pub api_version: String,
    /// e.g. `Deployment`.
    pub kind: String,
    /// Namespace of the template (empty for cluster-scoped).
    pub namespace: String,
    /// Name of the template.
    pub name: String,
}

/// `spec.replicaRequirements`: what one replica asks for.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ReplicaRequirements {
    /// Per-replica resource requests (`cpu`, `memory`, extended resources).
    pub resource_request: BTreeMap<String, Quantity>,
}

/// One entry of `spec.clusters`: a cluster and its replicas.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TargetCluster {
    /// Cluster name.
    pub name: String,
    /// Replicas placed there (0 for non-workloads).
    pub replicas: i32,
}

impl TargetCluster {
    /// Shorthand constructor.
    pub fn new(name: impl Into<String>, replicas: i32) -> TargetCluster {
        TargetCluster {
            name: name.into(),
            replicas,
        }
    }
}

/// `spec.placement` (`policy.karmada.io/v1alpha1` `Placement`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Placement {
    /// `clusterAffinity`.
    pub cluster_affinity: Option<ClusterAffinity>,
    /// `clusterAffinities`: ordered fallback terms. Empty means unset.
    pub cluster_affinities: Vec<ClusterAffinityTerm>,
    /// `clusterTolerations`.
    pub cluster_tolerations: Vec<Toleration>,
    /// `spreadConstraints`.
    pub spread_constraints: Vec<SpreadConstraint>,
    /// `replicaScheduling`; `None` schedules as Duplicated, as Karmada does.
    pub replica_scheduling: Option<ReplicaScheduling>,
}

/// `ClusterAffinity`: which clusters a term (or a static weight rule) matches.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ClusterAffinity {
    /// `labelSelector` over the cluster's labels.
    pub label_selector: Option<LabelSelector>,
    /// `fieldSelector` over `provider`, `region` and `zone`.
    pub field_selector: Option<FieldSelector>,
    /// `clusterNames`; empty matches every name.
    pub cluster_names: Vec<String>,
    /// `exclude`: names that never match.
    pub exclude: Vec<String>,
}

/// `metav1.LabelSelector`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LabelSelector {
    /// `matchLabels`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub match_labels: BTreeMap<String, String>,
    /// `matchExpressions`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub match_expressions: Vec<SelectorRequirement>,
}

/// A `matchExpressions` entry (label selector or node-selector style).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SelectorRequirement {
    /// The label or field key.
    pub key: String,
    /// `In`, `NotIn`, `Exists`, `DoesNotExist` (and `Gt`/`Lt` for field selectors).
    pub operator: String,
    /// The values.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
}

/// Karmada's `FieldSelector`: node-selector requirements on `provider`, `region`, `zone`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FieldSelector {
    /// `matchExpressions`.
    pub match_expressions: Vec<SelectorRequirement>,
}

/// One `clusterAffinities` term.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ClusterAffinityTerm {
    /// `affinityName`.
    pub affinity_name: String,
    /// The inline `ClusterAffinity`.
    #[serde(flatten)]
    pub affinity: ClusterAffinity,
    /// `overflowAffinities`: extra tiers filled when the primary group runs out of capacity.
    /// `Some(vec![])` (an explicit empty list) still switches the tiered assignment on, as in Go.
    pub overflow_affinities: Option<Vec<OverflowClusterAffinity>>,
}

/// One `overflowAffinities` tier.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OverflowClusterAffinity {
    /// `affinityName`.
    pub affinity_name: String,
    /// The inline `ClusterAffinity`.
    #[serde(flatten)]
    pub affinity: ClusterAffinity,
}

/// `corev1.Toleration`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Toleration {
    /// Empty matches every key (with `Exists`).
    pub key: String,
    /// `Exists` or `Equal` (empty means `Equal`).
    pub operator: String,
    /// Compared with `Equal`.
    pub value: String,
    /// Empty matches every effect.
    pub effect: String,
    /// Only the taint manager reads it; kept so callers can pass tolerations through unchanged.
    pub toleration_seconds: Option<i64>,
}

/// `corev1.Taint` on a cluster.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Taint {
    /// Taint key.
    pub key: String,
    /// Taint value (may be empty).
    pub value: String,
    /// `NoSchedule`, `PreferNoSchedule` or `NoExecute`.
    pub effect: String,
}

impl fmt::Display for Taint {
    /// `key=value:effect`, or `key:effect` without a value (Go's `Taint.ToString`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.value.is_empty() {
            write!(f, "{}:{}", self.key, self.effect)
        } else {
            write!(f, "{}={}:{}", self.key, self.value, self.effect)
        }
    }
}

/// The topology field a spread constraint groups clusters by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SpreadField {
    /// Each cluster is its own group.
    Cluster,
    /// `spec.region`.
    Region,
    /// `spec.zones`.
    Zone,
    /// `spec.provider`.
    Provider,
}

impl SpreadField {
    /// The field name as written in policies.
    pub fn as_str(self) -> &'static str {
        match self {
            SpreadField::Cluster => "cluster",
            SpreadField::Region => "region",
            SpreadField::Zone => "zone",
            SpreadField::Provider => "provider",
        }
    }

    /// Plural noun for messages ("regions").
    pub fn plural(self) -> &'static str {
        match self {
            SpreadField::Cluster => "clusters",
            SpreadField::Region => "regions",
            SpreadField::Zone => "zones",
            SpreadField::Provider => "providers",
        }
    }
}

impl fmt::Display for SpreadField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `SpreadConstraint`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SpreadConstraint {
    /// `spreadByField`.
    pub spread_by_field: Option<SpreadField>,
    /// `spreadByLabel` (accepted by the API, not used for selection; see `select`).
    pub spread_by_label: Option<String>,
    /// `maxGroups`; 0 (unset) selects nothing, exactly as in Karmada.
    pub max_groups: i32,
    /// `minGroups`; 0 is read as 1, the webhook default.
    pub min_groups: i32,
}

/// `replicaSchedulingType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReplicaSchedulingType {
    /// Every selected cluster gets all replicas.
    Duplicated,
    /// Replicas are divided among the selected clusters.
    Divided,
}

/// `replicaDivisionPreference`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DivisionPreference {
    /// As few clusters as possible, by available capacity.
    Aggregated,
    /// By static weights or by available capacity (`dynamicWeight`).
    Weighted,
}

/// `replicaScheduling`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ReplicaScheduling {
    /// `replicaSchedulingType`; `None` is the CRD default, Divided.
    pub replica_scheduling_type: Option<ReplicaSchedulingType>,
    /// `replicaDivisionPreference`; `None` with Divided is read as Weighted, the webhook default.
    pub replica_division_preference: Option<DivisionPreference>,
    /// `weightPreference`.
    pub weight_preference: Option<WeightPreference>,
}

/// `weightPreference` (`ClusterPreferences`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct WeightPreference {
    /// `staticWeightList`.
    pub static_weight_list: Vec<StaticClusterWeight>,
    /// `dynamicWeight`: `AvailableReplicas` or unset.
    pub dynamic_weight: Option<DynamicWeightFactor>,
}

/// `dynamicWeight` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DynamicWeightFactor {
    /// Weight each cluster by the replicas it can still take.
    AvailableReplicas,
}

/// One `staticWeightList` rule.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct StaticClusterWeight {
    /// Which clusters the rule applies to.
    pub target_cluster: ClusterAffinity,
    /// The weight; a cluster takes the largest weight of the rules matching it.
    pub weight: i64,
}

/// The parts of a `Cluster` the scheduler reads.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ClusterInput {
    /// `metadata.name`.
    pub name: String,
    /// `metadata.labels`.
    pub labels: BTreeMap<String, String>,
    /// `spec.provider` (`""` = unset).
    pub provider: String,
    /// `spec.region` (`""` = unset).
    pub region: String,
    /// `spec.zone`, deprecated single zone (`""` = unset).
    pub zone: String,
    /// `spec.zones`.
    pub zones: Vec<String>,
    /// `spec.taints`.
    pub taints: Vec<Taint>,
    /// `status.apiEnablements`.
    pub api_enablements: Vec<ApiEnablement>,
    /// The `CompleteAPIEnablements` condition is True: a kind missing from the list is known to be
    /// disabled rather than unknown. (Both keep the cluster out; the reason differs.)
    pub api_enablements_complete: bool,
    /// `status.resourceSummary`.
    pub resource_summary: Option<ResourceSummary>,
    /// `metadata.deletionTimestamp` is set.
    pub deleting: bool,
}

/// One `status.apiEnablements` entry.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ApiEnablement {
    /// e.g. `apps/v1`.
    pub group_version: String,
    /// Kinds served in that group version.
    pub kinds: Vec<String>,
}

/// `status.resourceSummary`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ResourceSummary {
    /// What the cluster's nodes can hold.
    pub allocatable: BTreeMap<String, Quantity>,
    /// Requested by pods already running.
    pub allocated: BTreeMap<String, Quantity>,
    /// Requested by pods not yet scheduled.
    pub allocating: BTreeMap<String, Quantity>,
}

// ---------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------

/// How a scheduling attempt ended; each maps to Karmada's `Scheduled` condition reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ScheduleResult {
    /// Placed: write `targets` to `spec.clusters` (condition reason `Success`).
    Scheduled,
    /// Not enough capacity right now: keep the current placement and retry (reason
    /// `Unschedulable`).
    Unschedulable,
    /// No cluster passes the filters: `spec.clusters` is cleared and the workload removed
    /// everywhere (reason `NoClusterFit`).
    NoClusterFit,
    /// Any other failure, e.g. spread constraints that cannot be met: keep the current placement
    /// and retry with backoff (reason `SchedulerError`).
    Error,
}

impl ScheduleResult {
    /// The `reason` Karmada writes on the binding's `Scheduled` condition.
    pub fn condition_reason(self) -> &'static str {
        match self {
            ScheduleResult::Scheduled => "Success",
            ScheduleResult::Unschedulable => "Unschedulable",
            ScheduleResult::NoClusterFit => "NoClusterFit",
            ScheduleResult::Error => "SchedulerError",
        }
    }
}

/// One scheduling decision, explained.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleOutcome {
    /// How it ended.
    pub result: ScheduleResult,
    /// What `spec.clusters` should be now, in name order. For `Unschedulable` and `Error` this is
    /// the binding's current `spec.clusters`, unchanged; for `NoClusterFit` it is empty.
    pub targets: Vec<TargetCluster>,
    /// The `clusterAffinities` term that produced the result (to record as
    /// `status.schedulerObservingAffinityName`), when the placement uses terms.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub affinity_name: Option<String>,
    /// One entry per cluster in the snapshot, in name order: what happened to it and why.
    pub decisions: Vec<ClusterDecision>,
    /// A one-paragraph summary, suitable for the condition message.
    pub message: String,
    /// With `clusterAffinities`: every term tried, in order, and how it ended.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub attempts: Vec<AffinityAttempt>,
}

/// How one `clusterAffinities` term fared.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AffinityAttempt {
    /// The term's `affinityName`.
    pub affinity_name: String,
    /// Its result.
    pub result: ScheduleResult,
    /// Its message.
    pub message: String,
}

/// What happened to one cluster.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterDecision {
    /// Cluster name.
    pub name: String,
    /// In the resulting placement.
    pub selected: bool,
    /// Replicas placed there.
    pub replicas: i32,
    /// Replicas the cluster can hold for this binding (estimate plus what it already runs); `None`
    /// when not estimated (non-workloads, deleting clusters).
    pub available_replicas: Option<i64>,
    /// Sum of the score plugins; `None` when filtered out.
    pub score: Option<i64>,
    /// Why it was not selected (or got no replicas); empty for selected clusters.
    pub reasons: Vec<Reason>,
}

/// One reason, attributed to the plugin or stage that produced it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    /// Plugin or stage name, e.g. `TaintToleration`, `SpreadConstraint`, `AssignReplicas`.
    pub plugin: Cow<'static, str>,
    /// Human-readable text.
    pub message: Cow<'static, str>,
}

impl Reason {
    /// Builds a reason.
    pub fn new(
        plugin: impl Into<Cow<'static, str>>,
        message: impl Into<Cow<'static, str>>,
    ) -> Reason {
        Reason {
            plugin: plugin.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Reason {
    /// `Plugin: message`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.plugin, self.message)
    }
}
