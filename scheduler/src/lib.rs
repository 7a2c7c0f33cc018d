//! `flotilla-scheduler` owns placement: which member clusters a binding goes to and how many
//! replicas each gets — Karmada's scheduling semantics, exactly, with every decision explained.
//!
//! The pipeline for one binding ([`schedule`]; [`schedule_request`] over borrowed parts so one
//! cluster snapshot serves many bindings; [`Scheduler`] for a custom plugin registry, extra
//! estimators or strict-Karmada spreading):
//!
//! 1. **Filter** ([`filter`], [`plugins`]): every cluster not being deleted runs every filter
//!    plugin; rejections are kept per cluster with the plugin's name and a readable reason.
//!    Nothing fits → [`ScheduleResult::NoClusterFit`] and `spec.clusters` is cleared.
//! 2. **Score**: score plugins are summed per feasible cluster.
//! 3. **Estimate** ([`estimate`]): how many replicas each cluster can still take, plus what the
//!    binding already runs there.
//! 4. **Select** ([`select`]): clusters are ordered and chosen under the spread constraints —
//!    by cluster and region as in Karmada, and by zone or provider, which Karmada ignores.
//! 5. **Assign** ([`division`]): replicas are divided (Duplicated, StaticWeight, DynamicWeight,
//!    Aggregated; tier by tier with overflow affinities); 0-replica entries are dropped.
//!
//! With `clusterAffinities` the terms are tried in order from the observed one (or the first,
//! on a manual reschedule) until one schedules. The [`ScheduleOutcome`] carries the result, the
//! new `spec.clusters` in name order, and a [`ClusterDecision`] for every cluster with its
//! capacity, score and the reasons it was left out.
//!
//! The inputs are the crate's own small structs ([`types`]), so the core is testable without
//! API objects; `from_api` (feature `api`, on by default) converts real `Cluster`s,
//! `Placement`s and bindings. `service` (feature `service`) runs the scheduler against an API
//! server: it watches clusters and bindings and writes placements back.

pub mod affinity;
pub mod division;
pub mod estimate;
pub mod filter;
#[cfg(feature = "api")]
pub mod from_api;
mod gosort;
pub mod plugins;
pub mod select;
#[cfg(feature = "service")]
pub mod service;
pub mod types;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// Kubernetes quantities: the workspace's one implementation, in `flotilla-machinery`.
pub use flotilla_machinery::quantity;

pub use crate::filter::{FilterOutcome, Registry};
pub use crate::quantity::Quantity;
pub use crate::types::*;

use crate::affinity::{AffinityInForce, AffinityMatcher};
use crate::division::{DivisionError, DynamicCandidate, DynamicMode, format_pairs};
use crate::estimate::{GeneralEstimator, ReplicaEstimator};
use crate::filter::{FilterContext, PluginError, ScoreContext};
use crate::select::{Candidate, SelectOptions};

/// A configured scheduler: plugins, estimators and selection switches.
pub struct Scheduler {
    registry: Registry,
    estimators: Vec<Box<dyn ReplicaEstimator>>,
    select_options: SelectOptions,
}

impl std::fmt::Debug for Scheduler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scheduler")
            .field("registry", &self.registry)
            .field(
                "estimators",
                &self.estimators.iter().map(|e| e.name()).collect::<Vec<_>>(),
            )
            .field("select_options", &self.select_options)
            .finish()
    }
}

impl Default for Scheduler {
    fn default() -> Self {
        Scheduler::new()
    }
}

static DEFAULT_SCHEDULER: LazyLock<Scheduler> = LazyLock::new(Scheduler::new);

/// Schedules one binding with the in-tree plugins and the general estimator.
pub fn schedule(input: &ScheduleInput) -> ScheduleOutcome {
    DEFAULT_SCHEDULER.schedule(input)
}

/// [`schedule`] over borrowed parts, so a caller can share one cluster snapshot between many
/// bindings.
pub fn schedule_request(request: ScheduleRequest<'_>) -> ScheduleOutcome {
    DEFAULT_SCHEDULER.schedule_request(request)
}

/// A borrowed view of a [`ScheduleInput`].
#[derive(Clone, Copy, Debug)]
pub struct ScheduleRequest<'a> {
    /// The binding being placed.
    pub binding: &'a BindingInput,
    /// Its placement.
    pub placement: &'a Placement,
    /// The cluster snapshot.
    pub clusters: &'a [ClusterInput],
    /// Scheduler-wide switches.
    pub options: &'a ScheduleOptions,
}

impl ScheduleInput {
    /// Borrows the input as a request.
    pub fn as_request(&self) -> ScheduleRequest<'_> {
        ScheduleRequest {
            binding: &self.binding,
            placement: &self.placement,
            clusters: &self.clusters,
            options: &self.options,
        }
    }
}

/// The replica strategy a placement asks for (Karmada's `strategyType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplicaStrategy {
    /// Every selected cluster runs all replicas.
    Duplicated,
    /// Divided by static weights.
    StaticWeight,
    /// Divided by available replicas.
    DynamicWeight,
    /// As few clusters as possible, by available replicas.
    Aggregated,
}

impl ReplicaStrategy {
    /// The strategy of `placement`, with the API defaults applied: no `replicaScheduling` is
    /// Duplicated, an unset type is Divided (CRD default), an unset division preference is
    /// Weighted (webhook default).
    pub fn of(placement: &Placement) -> ReplicaStrategy {
        let Some(rs) = &placement.replica_scheduling else {
            return ReplicaStrategy::Duplicated;
        };
        match rs
            .replica_scheduling_type
            .unwrap_or(ReplicaSchedulingType::Divided)
        {
            ReplicaSchedulingType::Duplicated => ReplicaStrategy::Duplicated,
            ReplicaSchedulingType::Divided => match rs
                .replica_division_preference
                .unwrap_or(DivisionPreference::Weighted)
            {
                DivisionPreference::Aggregated => ReplicaStrategy::Aggregated,
                DivisionPreference::Weighted => {
                    if rs
                        .weight_preference
                        .as_ref()
                        .is_some_and(|w| w.dynamic_weight.is_some())
                    {
                        ReplicaStrategy::DynamicWeight
                    } else {
                        ReplicaStrategy::StaticWeight
                    }
                }
            },
        }
    }
}

/// How one attempt (one affinity term) ended.
struct Attempt {
    result: ScheduleResult,
    targets: Vec<TargetCluster>,
    decisions: Vec<ClusterDecision>,
    message: String,
}

/// Assignment fails only for lack of capacity (Karmada's `UnschedulableError`); the message
/// says how much was missing.
struct Shortfall(String);

impl From<DivisionError> for Shortfall {
    fn from(e: DivisionError) -> Self {
        Shortfall(e.to_string())
    }
}

/// Stage names used as the "plugin" of reasons that do not come from a filter plugin.
const STAGE_SCHEDULER: &str = "Scheduler";
const STAGE_SELECT: &str = "SpreadConstraint";
const STAGE_ASSIGN: &str = "AssignReplicas";

impl Scheduler {
    /// In-tree plugins, the general estimator, zone/provider spreading on.
    pub fn new() -> Scheduler {
        Scheduler {
            registry: Registry::in_tree(),
            estimators: vec![Box::new(GeneralEstimator)],
            select_options: SelectOptions::default(),
        }
    }

    /// Uses `registry` instead of the in-tree plugins.
    #[must_use]
    pub fn with_registry(mut self, registry: Registry) -> Scheduler {
        self.registry = registry;
        self
    }

    /// Uses `estimators` (the minimum of their answers) instead of the general estimator alone.
    #[must_use]
    pub fn with_estimators(mut self, estimators: Vec<Box<dyn ReplicaEstimator>>) -> Scheduler {
        self.estimators = estimators;
        self
    }

    /// Strict Karmada mode: zone and provider spread constraints are ignored, as Karmada does.
    #[must_use]
    pub fn strict_karmada(mut self, strict: bool) -> Scheduler {
        self.select_options.strict_karmada = strict;
        self
    }

    /// Schedules one binding.
    pub fn schedule(&self, input: &ScheduleInput) -> ScheduleOutcome {
        self.schedule_request(input.as_request())
    }

    /// Schedules one binding given as borrowed parts.
    pub fn schedule_request(&self, input: ScheduleRequest<'_>) -> ScheduleOutcome {
        let terms = &input.placement.cluster_affinities;
        if terms.is_empty() {
            let affinity = input
                .placement
                .cluster_affinity
                .as_ref()
                .map(AffinityInForce::single);
            let attempt = self.attempt(input, affinity.as_ref());
            return finish(input, attempt, None, Vec::new());
        }

        let start = if input.binding.reschedule_requested {
            0
        } else {
            input
                .binding
                .observed_affinity_name
                .as_deref()
                .and_then(|name| terms.iter().position(|t| t.affinity_name == name))
                .unwrap_or(0)
        };
        let mut attempts = Vec::new();
        let mut first_failure: Option<Attempt> = None;
        for term in &terms[start..] {
            // Both set is invalid (the webhook rejects it); Karmada's filter then reads
            // `clusterAffinity` while the scheduler still walks the terms, and so do we.
            let affinity = match &input.placement.cluster_affinity {
                Some(single) => AffinityInForce::single(single),
                None => AffinityInForce::term(term),
            };
            let attempt = self.attempt(input, Some(&affinity));
            attempts.push(AffinityAttempt {
                affinity_name: term.affinity_name.clone(),
                result: attempt.result,
                message: attempt.message.clone(),
            });
            if attempt.result == ScheduleResult::Scheduled {
                return finish(input, attempt, Some(term.affinity_name.clone()), attempts);
            }
            first_failure.get_or_insert(attempt);
        }
        // Every term failed: the first failure decides, and the observed term stays as it was.
        let Some(mut first) = first_failure else {
            return finish(
                input,
                error_attempt(input, "no clusterAffinities term to try".into()),
                input.binding.observed_affinity_name.clone(),
                attempts,
            );
        };
        first.message = format!(
            "no clusterAffinities term could be scheduled; the first tried ({}) failed: {}",
            attempts.first().map_or("", |a| a.affinity_name.as_str()),
            first.message
        );
        finish(
            input,
            first,
            input.binding.observed_affinity_name.clone(),
            attempts,
        )
    }

    /// One pass of filter → score → select → assign under one affinity.
    fn attempt(&self, input: ScheduleRequest<'_>, affinity: Option<&AffinityInForce>) -> Attempt {
        match self.try_attempt(input, affinity) {
            Ok(a) => a,
            Err(e) => error_attempt(input, e.to_string()),
        }
    }

    fn try_attempt(
        &self,
        input: ScheduleRequest<'_>,
        affinity: Option<&AffinityInForce>,
    ) -> Result<Attempt, PluginError> {
        let binding = input.binding;
        let placement = input.placement;
        let estimated = !(binding.replicas == 0 && binding.component_count == 0);

        let mut decisions: Vec<ClusterDecision> = Vec::with_capacity(input.clusters.len());
        let mut feasible: Vec<usize> = Vec::new();
        let mut allocatable: Vec<i32> = Vec::with_capacity(input.clusters.len());
        for (i, cluster) in input.clusters.iter().enumerate() {
            let mut decision = ClusterDecision {
                name: cluster.name.clone(),
                selected: false,
                replicas: 0,
                available_replicas: None,
                score: None,
                reasons: Vec::new(),
            };
            if cluster.deleting {
                decision
                    .reasons
                    .push(Reason::new(STAGE_SCHEDULER, "cluster is being deleted"));
                decisions.push(decision);
                allocatable.push(0);
                continue;
            }
            let ctx = FilterContext {
                binding,
                placement,
                affinity,
                cluster,
            };
            for plugin in &self.registry.filters {
                if let FilterOutcome::Unschedulable(why) = plugin.filter(&ctx)? {
                    decision.reasons.push(Reason::new(plugin.name(), why));
                }
            }
            let alloc = estimate::allocatable_replicas(&self.estimators, cluster, binding);
            allocatable.push(alloc);
            if estimated {
                decision.available_replicas =
                    Some(i64::from(alloc) + i64::from(binding.assigned_replicas(&cluster.name)));
            }
            if decision.reasons.is_empty() {
                feasible.push(i);
            }
            decisions.push(decision);
        }

        if feasible.is_empty() {
            return Ok(Attempt {
                result: ScheduleResult::NoClusterFit,
                targets: Vec::new(),
                message: no_fit_message(input.clusters.len(), &decisions),
                decisions,
            });
        }

        let mut candidates: Vec<Candidate<'_>> = Vec::with_capacity(feasible.len());
        for &i in &feasible {
            let cluster = &input.clusters[i];
            let ctx = ScoreContext {
                binding,
                placement,
                cluster,
            };
            let mut score = 0i64;
            for plugin in &self.registry.scores {
                score = score.saturating_add(plugin.score(&ctx)?);
            }
            decisions[i].score = Some(score);
            candidates.push(Candidate {
                index: i,
                cluster,
                score,
                overflow_order: affinity.map_or(0, |a| a.overflow_order(cluster)),
                allocatable: allocatable[i],
                available: i64::from(allocatable[i])
                    + i64::from(binding.assigned_replicas(&cluster.name)),
            });
        }
        select::sort_candidates(&mut candidates);

        let mut selection =
            match select::select(placement, binding, &candidates, self.select_options) {
                Ok(s) => s,
                Err(e) => {
                    return Ok(Attempt {
                        result: ScheduleResult::Error,
                        targets: binding.clusters.clone(),
                        message: format!("failed to select clusters: {e}"),
                        decisions,
                    });
                }
            };
        for (pos, why) in std::mem::take(&mut selection.not_chosen) {
            decisions[candidates[pos].index]
                .reasons
                .push(Reason::new(STAGE_SELECT, why));
        }
        let chosen: Vec<&Candidate<'_>> =
            selection.chosen.iter().map(|&p| &candidates[p]).collect();
        if chosen.is_empty() {
            return Ok(Attempt {
                result: ScheduleResult::Error,
                targets: binding.clusters.clone(),
                message: "no clusters available to schedule".into(),
                decisions,
            });
        }

        let assigned = match assign(binding, placement, affinity, &chosen) {
            Ok(a) => a,
            Err(Shortfall(message)) => {
                return Ok(Attempt {
                    result: ScheduleResult::Unschedulable,
                    targets: binding.clusters.clone(),
                    message,
                    decisions,
                });
            }
        };

        for &(index, replicas) in &assigned.placed {
            decisions[index].selected = true;
            decisions[index].replicas = replicas;
        }
        let mut targets = assigned.targets;
        if input.options.enable_empty_workload_propagation {
            for c in &chosen {
                if !decisions[c.index].selected {
                    decisions[c.index].selected = true;
                    targets.push(TargetCluster::new(c.name(), 0));
                }
            }
        }
        targets.sort();
        for (index, why) in assigned.zero_reasons {
            if !decisions[index].selected {
                decisions[index]
                    .reasons
                    .push(Reason::new(STAGE_ASSIGN, why));
            }
        }

        let total: i64 = targets.iter().map(|t| i64::from(t.replicas)).sum();
        let placed: Vec<(&str, i32)> = targets
            .iter()
            .map(|t| (t.name.as_str(), t.replicas))
            .collect();
        let mut message = if !assigned.workload {
            format!(
                "propagated to {} of {} clusters; {}",
                targets.len(),
                input.clusters.len(),
                assigned.detail
            )
        } else if ReplicaStrategy::of(placement) == ReplicaStrategy::Duplicated {
            format!(
                "scheduled to {} of {} clusters ({}); {}",
                targets.len(),
                input.clusters.len(),
                format_pairs(&placed),
                assigned.detail
            )
        } else {
            format!(
                "scheduled {total} replicas to {} of {} clusters ({}); {}",
                targets.len(),
                input.clusters.len(),
                format_pairs(&placed),
                assigned.detail
            )
        };
        if let Some(note) = selection.note {
            message.push_str("; ");
            message.push_str(&note);
        }
        Ok(Attempt {
            result: ScheduleResult::Scheduled,
            targets,
            decisions,
            message,
        })
    }
}

fn error_attempt(input: ScheduleRequest<'_>, message: String) -> Attempt {
    Attempt {
        result: ScheduleResult::Error,
        targets: input.binding.clusters.clone(),
        decisions: input
            .clusters
            .iter()
            .map(|c| ClusterDecision {
                name: c.name.clone(),
                selected: false,
                replicas: 0,
                available_replicas: None,
                score: None,
                reasons: Vec::new(),
            })
            .collect(),
        message,
    }
}

/// Karmada's `FitError` text, with Flotilla's reasons: `0/N clusters are available: …`.
fn no_fit_message(total: usize, decisions: &[ClusterDecision]) -> String {
    if total == 0 {
        return "0/0 clusters are available: no cluster exists".into();
    }
    let mut histogram: BTreeMap<String, usize> = BTreeMap::new();
    for d in decisions {
        for r in &d.reasons {
            *histogram.entry(r.to_string()).or_default() += 1;
        }
    }
    let parts: Vec<String> = histogram
        .into_iter()
        .map(|(reason, n)| format!("{n}× {reason}"))
        .collect();
    format!("0/{total} clusters are available: {}", parts.join("; "))
}

/// Turns an attempt into the outcome, sorting decisions by name.
fn finish(
    input: ScheduleRequest<'_>,
    attempt: Attempt,
    affinity_name: Option<String>,
    attempts: Vec<AffinityAttempt>,
) -> ScheduleOutcome {
    let mut decisions = attempt.decisions;
    decisions.sort_by(|a, b| a.name.cmp(&b.name));
    let targets = match attempt.result {
        ScheduleResult::Scheduled => attempt.targets,
        ScheduleResult::NoClusterFit => Vec::new(),
        ScheduleResult::Unschedulable | ScheduleResult::Error => input.binding.clusters.clone(),
    };
    ScheduleOutcome {
        result: attempt.result,
        targets,
        affinity_name,
        decisions,
        message: attempt.message,
        attempts,
    }
}

/// What assignment produced, with explanations for selected clusters left with 0 replicas.
struct Assigned {
    targets: Vec<TargetCluster>,
    /// `(snapshot index, replicas)` for every target.
    placed: Vec<(usize, i32)>,
    detail: String,
    /// `(snapshot index, why)` for candidates that got no replicas.
    zero_reasons: Vec<(usize, Cow<'static, str>)>,
    workload: bool,
}

/// Karmada's `AssignReplicas`: non-workloads go everywhere with 0 replicas; workloads are
/// divided, tier by tier when the affinity term declares overflow tiers.
fn assign(
    binding: &BindingInput,
    placement: &Placement,
    affinity: Option<&AffinityInForce>,
    chosen: &[&Candidate<'_>],
) -> Result<Assigned, Shortfall> {
    let workload = (binding.replicas > 0 || binding.replica_requirements.is_some())
        && binding.component_count <= 1;
    if !workload {
        return Ok(Assigned {
            targets: chosen
                .iter()
                .map(|c| TargetCluster::new(c.name(), 0))
                .collect(),
            placed: chosen.iter().map(|c| (c.index, 0)).collect(),
            detail: "not a workload, so every selected cluster gets the resource".into(),
            zero_reasons: Vec::new(),
            workload: false,
        });
    }

    // Karmada's `enableOverflow`: a named term in force that declares overflow tiers.
    let overflow = affinity.is_some_and(|a| {
        a.overflow_declared && a.term_name.as_deref().is_some_and(|n| !n.is_empty())
    });
    if !overflow {
        let tier = assign_tier(binding, placement, chosen, binding.replicas)?;
        return Ok(Assigned {
            targets: tier.targets,
            placed: tier.placed,
            detail: tier.detail,
            zero_reasons: tier.zero,
            workload: true,
        });
    }

    let mut tiers: BTreeMap<u32, Vec<&Candidate<'_>>> = BTreeMap::new();
    for c in chosen {
        tiers.entry(c.overflow_order).or_default().push(c);
    }
    let mut remaining = binding.replicas;
    let mut targets = Vec::new();
    let mut placed = Vec::new();
    let mut details = Vec::new();
    let mut zero_reasons = Vec::new();
    let mut tiers_iter = tiers.into_iter();
    for (order, tier) in tiers_iter.by_ref() {
        let room: i64 = tier.iter().map(|c| c.available).sum();
        let quota = i32::try_from(i64::from(remaining).min(room)).unwrap_or(remaining);
        let result = assign_tier(binding, placement, &tier, quota)?;
        details.push(format!("tier {order}: {quota} replicas; {}", result.detail));
        targets.extend(result.targets);
        placed.extend(result.placed);
        zero_reasons.extend(result.zero);
        remaining -= quota;
        if remaining <= 0 {
            break;
        }
    }
    for (order, tier) in tiers_iter {
        for c in tier {
            zero_reasons.push((
                c.index,
                format!("overflow tier {order} was not needed: earlier tiers hold all replicas")
                    .into(),
            ));
        }
    }
    if remaining > 0 {
        return Err(Shortfall(format!(
            "the affinity tiers can take only {} of {} replicas",
            binding.replicas - remaining,
            binding.replicas
        )));
    }
    Ok(Assigned {
        targets,
        placed,
        detail: details.join("; "),
        zero_reasons,
        workload: true,
    })
}

/// One strategy run: the clusters that got replicas and why the others did not.
struct TierResult {
    targets: Vec<TargetCluster>,
    placed: Vec<(usize, i32)>,
    detail: String,
    zero: Vec<(usize, Cow<'static, str>)>,
}

/// Runs the placement's strategy over one group of candidates (Karmada's
/// `assignReplicasToClusters` with `spec.replicas = replicas`, 0-replica entries dropped), and
/// explains every candidate that got nothing.
fn assign_tier(
    binding: &BindingInput,
    placement: &Placement,
    cands: &[&Candidate<'_>],
    replicas: i32,
) -> Result<TierResult, Shortfall> {
    let strategy = ReplicaStrategy::of(placement);
    let names: Vec<&str> = cands.iter().map(|c| c.name()).collect();
    let assignment = match strategy {
        ReplicaStrategy::Duplicated => division::assign_duplicated(replicas, cands.len()),
        ReplicaStrategy::StaticWeight => {
            let rules: Option<Vec<(AffinityMatcher, i64)>> = placement
                .replica_scheduling
                .as_ref()
                .and_then(|rs| rs.weight_preference.as_ref())
                .map(|wp| {
                    wp.static_weight_list
                        .iter()
                        .map(|r| (AffinityMatcher::compile(&r.target_cluster), r.weight))
                        .collect()
                });
            let weights: Vec<(&str, i64)> = cands
                .iter()
                .map(|c| {
                    let w = match &rules {
                        // No weight preference: every cluster weighs 1.
                        None => 1,
                        Some(rules) => rules
                            .iter()
                            .filter(|(m, _)| m.matches(c.cluster))
                            .fold(0i64, |acc, (_, w)| acc.max(*w)),
                    };
                    (c.name(), w)
                })
                .collect();
            division::assign_static(replicas, &weights, &binding.uid)
        }
        ReplicaStrategy::DynamicWeight | ReplicaStrategy::Aggregated => {
            let dyn_cands: Vec<DynamicCandidate<'_>> = cands
                .iter()
                .map(|c| DynamicCandidate {
                    name: c.name(),
                    allocatable: c.allocatable,
                })
                .collect();
            division::assign_dynamic(
                strategy == ReplicaStrategy::Aggregated,
                replicas,
                &dyn_cands,
                &binding.clusters,
                &binding.uid,
                binding.reschedule_requested,
            )?
        }
    };

    let mut weight_of: Vec<Option<i64>> = vec![None; cands.len()];
    for &(i, w) in &assignment.weights {
        weight_of[i] = Some(w);
    }
    let mut zero = Vec::new();
    let mut placed = Vec::new();
    for (i, c) in cands.iter().enumerate() {
        if assignment.replicas[i] > 0 {
            placed.push((c.index, assignment.replicas[i]));
            continue;
        }
        let why: Cow<'static, str> = match (strategy, weight_of[i], assignment.mode) {
            (ReplicaStrategy::Duplicated, _, _) => "the workload asks for 0 replicas".into(),
            (_, Some(w), _) => format!(
                "received 0 replicas in the Webster division (weight {w}); larger weights took them all"
            )
            .into(),
            (ReplicaStrategy::StaticWeight, None, _) => {
                "no staticWeightList rule gives it a positive weight".into()
            }
            (_, None, Some(DynamicMode::Unchanged)) => {
                "the replica count is unchanged and it runs none of them".into()
            }
            (_, None, Some(DynamicMode::ScaleDown)) => {
                "scale-down only re-divides among clusters already running replicas".into()
            }
            (_, None, _) => {
                "not needed: clusters ahead of it in the aggregated order can hold the replicas"
                    .into()
            }
        };
        zero.push((c.index, why));
    }
    Ok(TierResult {
        targets: assignment.targets(&names),
        placed,
        detail: assignment.detail,
        zero,
    })
}

#[cfg(test)]
mod tests;
