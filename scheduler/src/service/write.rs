//! What the scheduler writes back, as pure functions: the binding's merge patch (`spec.clusters`
//! and the annotations), its status (the `Scheduled` condition and the scheduler's fields), and
//! the explanation annotation. Each returns `None` when nothing would change, so an unchanged
//! result costs no write.

use std::collections::BTreeMap;

use flotilla_api::k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, ObjectMeta, Time};
use flotilla_api::k8s_openapi::jiff::Timestamp;
use flotilla_api::labels;
use flotilla_api::work::v1alpha2::{self as work, ResourceBindingSpec, ResourceBindingStatus};
use serde_json::{Map, Value, json};

use crate::{ClusterDecision, ScheduleOutcome, ScheduleResult};

/// Annotation with the scheduler's explanation: one line per cluster (see [`explain`]).
pub const DECISIONS_ANNOTATION: &str = "scheduler.flotilla.io/decisions";

/// Above this many clusters the explanation folds the least interesting lines into a summary.
pub const MAX_DECISION_LINES: usize = 20;

/// The plugin whose rejections only say "outside the placement's cluster affinity".
const CLUSTER_AFFINITY: &str = "ClusterAffinity";

/// The explanation of `outcome`, one line per cluster in name order:
///
/// ```text
/// ap-south-1: rejected: TaintToleration: cluster has untolerated taint dedicated=gpu:NoSchedule
/// eu-west-1: selected, 3 replicas (110 available)
/// us-east-1: selected, 6 replicas (220 available)
/// ```
///
/// With more than [`MAX_DECISION_LINES`] clusters, the clusters outside the cluster affinity
/// (whatever else rejects them: the placement does not want them anyway) are counted on one
/// last line, and so are the lines beyond the limit — rejections for other reasons are kept
/// first, then selected clusters (they are in `spec.clusters` too).
pub fn explain(outcome: &ScheduleOutcome, workload: bool) -> String {
    #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
    enum Class {
        Rejected,
        Selected,
        OutsideAffinity,
    }
    let class = |d: &ClusterDecision| {
        if d.selected {
            Class::Selected
        } else if d.reasons.iter().any(|r| r.plugin == CLUSTER_AFFINITY) {
            Class::OutsideAffinity
        } else {
            Class::Rejected
        }
    };
    let mut shown: Vec<&ClusterDecision> = outcome.decisions.iter().collect();
    let mut omitted: BTreeMap<Class, usize> = BTreeMap::new();
    if shown.len() > MAX_DECISION_LINES {
        shown.sort_by_key(|d| class(d));
        let kept = shown
            .iter()
            .take(MAX_DECISION_LINES - 1)
            .take_while(|d| class(d) != Class::OutsideAffinity)
            .count();
        for d in shown.drain(kept..) {
            *omitted.entry(class(d)).or_default() += 1;
        }
        shown.sort_by(|a, b| a.name.cmp(&b.name));
    }
    let mut lines: Vec<String> = shown.iter().map(|d| line(d, workload)).collect();
    if !omitted.is_empty() {
        let total: usize = omitted.values().sum();
        let parts: Vec<String> = omitted
            .iter()
            .map(|(c, n)| match c {
                Class::Rejected => format!("{n} rejected"),
                Class::Selected => format!("{n} selected"),
                Class::OutsideAffinity => format!("{n} outside the cluster affinity"),
            })
            .collect();
        lines.push(format!("(+{total} more clusters: {})", parts.join(", ")));
    }
    lines.join("\n")
}

fn line(d: &ClusterDecision, workload: bool) -> String {
    let reasons = || {
        d.reasons
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    };
    let available = d
        .available_replicas
        .map(|a| format!(" ({a} available)"))
        .unwrap_or_default();
    if d.selected {
        if workload {
            let noun = if d.replicas == 1 {
                "replica"
            } else {
                "replicas"
            };
            format!("{}: selected, {} {noun}{available}", d.name, d.replicas)
        } else {
            format!("{}: selected", d.name)
        }
    } else if d.score.is_none() && !d.reasons.is_empty() {
        format!("{}: rejected: {}", d.name, reasons())
    } else if !d.reasons.is_empty() {
        format!("{}: not selected: {}", d.name, reasons())
    } else if d.score.is_some() {
        format!("{}: feasible, not placed{available}", d.name)
    } else {
        format!("{}: not evaluated", d.name)
    }
}

/// Whether the result is written to `spec.clusters` (Karmada patches the result, or clears it,
/// only for a success or a fit error; on other failures the binding keeps its placement).
pub fn writes_result(result: ScheduleResult) -> bool {
    matches!(
        result,
        ScheduleResult::Scheduled | ScheduleResult::NoClusterFit
    )
}

/// The JSON merge patch of the binding (not its status) for `outcome`, or `None` when it already
/// says all of it. `applied_placement` is the placement scheduled with, serialized.
pub fn binding_patch(
    meta: &ObjectMeta,
    spec: &ResourceBindingSpec,
    outcome: &ScheduleOutcome,
    applied_placement: &str,
    explanation: &str,
) -> Option<Value> {
    let mut patch = Map::new();
    let annotations = meta.annotations.as_ref();
    let annotation = |key: &str| annotations.and_then(|a| a.get(key)).map(String::as_str);
    let mut changed_annotations = Map::new();
    if writes_result(outcome.result) {
        let current: Vec<(&str, i32)> = spec
            .clusters
            .iter()
            .map(|c| (c.name.as_str(), c.replicas()))
            .collect();
        let desired: Vec<(&str, i32)> = outcome
            .targets
            .iter()
            .map(|t| (t.name.as_str(), t.replicas))
            .collect();
        if current != desired || spec.clusters.iter().any(|c| !c.components.is_empty()) {
            let clusters = crate::from_api::targets_to_api(&outcome.targets);
            patch.insert("spec".into(), json!({ "clusters": clusters }));
        }
        if annotation(labels::APPLIED_PLACEMENT) != Some(applied_placement) {
            changed_annotations.insert(labels::APPLIED_PLACEMENT.into(), applied_placement.into());
        }
    }
    if annotation(DECISIONS_ANNOTATION) != Some(explanation) {
        changed_annotations.insert(DECISIONS_ANNOTATION.into(), explanation.into());
    }
    if !changed_annotations.is_empty() {
        patch.insert(
            "metadata".into(),
            json!({ "annotations": changed_annotations }),
        );
    }
    (!patch.is_empty()).then_some(Value::Object(patch))
}

/// Karmada's `meta.SetStatusCondition`: replaces the condition of the same type, keeping its
/// `lastTransitionTime` unless the status flips; other conditions stay as they are.
pub fn set_condition(conditions: &mut Vec<Condition>, mut condition: Condition) {
    match conditions.iter_mut().find(|c| c.type_ == condition.type_) {
        Some(existing) => {
            if existing.status == condition.status {
                condition.last_transition_time = existing.last_transition_time.clone();
            }
            *existing = condition;
        }
        None => conditions.push(condition),
    }
}

/// The `Scheduled` condition for a result (Karmada's `getConditionByError`), stamped `now`.
pub fn scheduled_condition(result: ScheduleResult, message: &str, now: &Time) -> Condition {
    Condition {
        type_: work::CONDITION_SCHEDULED.into(),
        status: if result == ScheduleResult::Scheduled {
            "True"
        } else {
            "False"
        }
        .into(),
        reason: result.condition_reason().into(),
        message: message.into(),
        last_transition_time: now.clone(),
        observed_generation: None,
    }
}

/// A failure that is not a scheduling outcome (an unreadable binding, a rejected write), as a
/// `Scheduled` condition with `reason`.
pub fn failed_condition(reason: &str, message: &str, now: &Time) -> Condition {
    Condition {
        type_: work::CONDITION_SCHEDULED.into(),
        status: "False".into(),
        reason: reason.into(),
        message: message.into(),
        last_transition_time: now.clone(),
        observed_generation: None,
    }
}

/// What a scheduling attempt records in the status.
#[derive(Debug, Clone)]
pub struct StatusUpdate<'a> {
    /// The new `Scheduled` condition.
    pub condition: Condition,
    /// On success: the generation the result was written at.
    pub observed_generation: Option<i64>,
    /// On success: the `clusterAffinities` term used.
    pub affinity_name: Option<&'a str>,
    /// On success: `lastScheduledTime`, unless the attempt changed nothing at all (see
    /// [`status_patch`]).
    pub scheduled_at: Option<Time>,
}

/// The status merge patch (the `status` object only) for `update`, or `None` when the status
/// already says it all. A success that changed nothing — same result, same condition, generation
/// already observed — does not move `lastScheduledTime` either (Karmada would, costing a write
/// per binding each time a Duplicated binding is re-run), unless `always_stamp` (a manual
/// reschedule must move it past `rescheduleTriggeredAt`).
pub fn status_patch(
    current: Option<&ResourceBindingStatus>,
    update: StatusUpdate<'_>,
    always_stamp: bool,
) -> Option<Value> {
    let old = current.cloned().unwrap_or_default();
    let mut new = old.clone();
    set_condition(&mut new.conditions, update.condition);
    if let Some(g) = update.observed_generation {
        new.scheduler_observed_generation = Some(g);
    }
    if let Some(name) = update.affinity_name {
        new.scheduler_observing_affinity_name = Some(name.to_owned());
    }
    if let Some(at) = update.scheduled_at
        && (always_stamp || new != old || old.last_scheduled_time.is_none())
    {
        new.last_scheduled_time = Some(at);
    }
    if new == old {
        return None;
    }
    let mut patch = Map::new();
    if new.conditions != old.conditions {
        // A merge patch replaces a list whole: send every condition, ours updated.
        patch.insert("conditions".into(), json!(new.conditions));
    }
    if new.scheduler_observed_generation != old.scheduler_observed_generation {
        patch.insert(
            "schedulerObservedGeneration".into(),
            json!(new.scheduler_observed_generation),
        );
    }
    if new.scheduler_observing_affinity_name != old.scheduler_observing_affinity_name {
        patch.insert(
            "schedulerObservingAffinityName".into(),
            json!(new.scheduler_observing_affinity_name),
        );
    }
    if new.last_scheduled_time != old.last_scheduled_time {
        patch.insert("lastScheduledTime".into(), json!(new.last_scheduled_time));
    }
    Some(Value::Object(patch))
}

/// Now, to the second (what the API stores).
pub fn now() -> Time {
    let now = Timestamp::now();
    Time(Timestamp::from_second(now.as_second()).unwrap_or(now))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ClusterDecision, Reason, ScheduleResult, TargetCluster};

    fn decision(
        name: &str,
        selected: bool,
        replicas: i32,
        reasons: &[(&'static str, &'static str)],
    ) -> ClusterDecision {
        ClusterDecision {
            name: name.into(),
            selected,
            replicas,
            available_replicas: Some(if selected { 100 } else { 0 }),
            score: (selected || reasons.iter().any(|(p, _)| *p == "AssignReplicas")).then_some(0),
            reasons: reasons.iter().map(|(p, m)| Reason::new(*p, *m)).collect(),
        }
    }

    fn outcome(result: ScheduleResult, decisions: Vec<ClusterDecision>) -> ScheduleOutcome {
        ScheduleOutcome {
            result,
            targets: decisions
                .iter()
                .filter(|d| d.selected)
                .map(|d| TargetCluster::new(d.name.clone(), d.replicas))
                .collect(),
            affinity_name: None,
            decisions,
            message: "scheduled".into(),
            attempts: Vec::new(),
        }
    }

    #[test]
    fn explanation_has_a_line_per_cluster() {
        let o = outcome(
            ScheduleResult::Scheduled,
            vec![
                decision(
                    "ap-south-1",
                    false,
                    0,
                    &[
                        (
                            "TaintToleration",
                            "cluster has untolerated taint dedicated=gpu:NoSchedule",
                        ),
                        ("ClusterAffinity", "cluster is not in clusterNames"),
                    ],
                ),
                decision("eu-west-1", true, 3, &[]),
                decision("solo", true, 1, &[]),
                decision(
                    "us-east-1",
                    false,
                    0,
                    &[("AssignReplicas", "received 0 replicas")],
                ),
            ],
        );
        assert_eq!(
            explain(&o, true),
            "ap-south-1: rejected: TaintToleration: cluster has untolerated taint dedicated=gpu:NoSchedule; ClusterAffinity: cluster is not in clusterNames\n\
             eu-west-1: selected, 3 replicas (100 available)\n\
             solo: selected, 1 replica (100 available)\n\
             us-east-1: not selected: AssignReplicas: received 0 replicas"
        );
        assert_eq!(
            explain(&o, false).lines().nth(1),
            Some("eu-west-1: selected"),
            "non-workloads have no replicas to show"
        );
    }

    #[test]
    fn large_fleets_fold_the_clusters_outside_the_affinity() {
        let mut decisions = Vec::new();
        for i in 0..100 {
            let name = format!("c{i:03}");
            let d = match i {
                7 | 42 | 77 => decision(&name, true, 3, &[]),
                50 => decision(&name, false, 0, &[("TaintToleration", "untolerated")]),
                _ => decision(
                    &name,
                    false,
                    0,
                    &[("ClusterAffinity", "cluster is not in clusterNames")],
                ),
            };
            decisions.push(d);
        }
        let text = explain(&outcome(ScheduleResult::Scheduled, decisions), true);
        assert_eq!(
            text,
            "c007: selected, 3 replicas (100 available)\n\
             c042: selected, 3 replicas (100 available)\n\
             c050: rejected: TaintToleration: untolerated\n\
             c077: selected, 3 replicas (100 available)\n\
             (+96 more clusters: 96 outside the cluster affinity)"
        );

        // Beyond the limit even without affinity rejections: the rest are counted.
        let decisions: Vec<ClusterDecision> = (0..30)
            .map(|i| {
                decision(
                    &format!("c{i:03}"),
                    i % 3 != 0,
                    1,
                    &[("TaintToleration", "untolerated")][..(i % 3 == 0) as usize],
                )
            })
            .collect();
        let text = explain(&outcome(ScheduleResult::Scheduled, decisions), true);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), MAX_DECISION_LINES, "{text}");
        assert_eq!(
            text.matches(": rejected: ").count(),
            10,
            "rejections are kept first:\n{text}"
        );
        assert_eq!(lines.last(), Some(&"(+11 more clusters: 11 selected)"));
    }

    fn meta(annotations: &[(&str, &str)]) -> ObjectMeta {
        ObjectMeta {
            annotations: Some(
                annotations
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
            ..Default::default()
        }
    }

    #[test]
    fn the_binding_patch_carries_only_what_differs() {
        let o = outcome(
            ScheduleResult::Scheduled,
            vec![
                decision("eu-west-1", true, 3, &[]),
                decision("us-east-1", true, 6, &[]),
            ],
        );
        let spec = ResourceBindingSpec::default();
        let placement = r#"{"clusterAffinity":{}}"#;
        assert_eq!(
            binding_patch(&meta(&[]), &spec, &o, placement, "why"),
            Some(json!({
                "spec": {"clusters": [{"name": "eu-west-1", "replicas": 3}, {"name": "us-east-1", "replicas": 6}]},
                "metadata": {"annotations": {"policy.karmada.io/applied-placement": placement, "scheduler.flotilla.io/decisions": "why"}},
            }))
        );
        let placed = ResourceBindingSpec {
            clusters: vec![
                work::TargetCluster::new("eu-west-1", 3),
                work::TargetCluster::new("us-east-1", 6),
            ],
            ..Default::default()
        };
        let written = meta(&[
            (labels::APPLIED_PLACEMENT, placement),
            (DECISIONS_ANNOTATION, "why"),
        ]);
        assert_eq!(
            binding_patch(&written, &placed, &o, placement, "why"),
            None,
            "nothing changed"
        );
        assert_eq!(
            binding_patch(&written, &placed, &o, placement, "why not"),
            Some(
                json!({"metadata": {"annotations": {"scheduler.flotilla.io/decisions": "why not"}}})
            )
        );

        // A failure other than a fit error leaves the placement and the applied annotation.
        let unschedulable = ScheduleOutcome {
            result: ScheduleResult::Unschedulable,
            targets: placed
                .clusters
                .iter()
                .map(|c| TargetCluster::new(c.name.clone(), c.replicas()))
                .collect(),
            ..o.clone()
        };
        assert_eq!(
            binding_patch(&meta(&[]), &placed, &unschedulable, placement, "why"),
            Some(json!({"metadata": {"annotations": {"scheduler.flotilla.io/decisions": "why"}}}))
        );
        // A fit error clears the placement.
        let no_fit = ScheduleOutcome {
            result: ScheduleResult::NoClusterFit,
            targets: Vec::new(),
            ..o
        };
        assert_eq!(
            binding_patch(&written, &placed, &no_fit, placement, "why"),
            Some(json!({"spec": {"clusters": []}}))
        );
    }

    fn time(s: &str) -> Time {
        Time(s.parse().expect("timestamp"))
    }

    #[test]
    fn status_keeps_other_conditions_and_transition_times() {
        let t0 = time("2026-01-01T00:00:00Z");
        let t1 = time("2026-01-02T00:00:00Z");
        let fully_applied = Condition {
            type_: "FullyApplied".into(),
            status: "True".into(),
            reason: "FullyAppliedSuccess".into(),
            message: "applied".into(),
            last_transition_time: t0.clone(),
            observed_generation: None,
        };
        let current = ResourceBindingStatus {
            conditions: vec![
                fully_applied.clone(),
                scheduled_condition(ScheduleResult::Scheduled, "old result", &t0),
            ],
            scheduler_observed_generation: Some(1),
            last_scheduled_time: Some(t0.clone()),
            ..Default::default()
        };
        let success = |message: &str| StatusUpdate {
            condition: scheduled_condition(ScheduleResult::Scheduled, message, &t1),
            observed_generation: Some(2),
            affinity_name: None,
            scheduled_at: Some(t1.clone()),
        };
        let patch = status_patch(Some(&current), success("new result"), false).expect("changed");
        assert_eq!(
            patch,
            json!({
                "conditions": [
                    fully_applied,
                    {"type": "Scheduled", "status": "True", "reason": "Success", "message": "new result", "lastTransitionTime": "2026-01-01T00:00:00Z"},
                ],
                "schedulerObservedGeneration": 2,
                "lastScheduledTime": "2026-01-02T00:00:00Z",
            }),
            "the status did not flip: lastTransitionTime stays"
        );

        let failure = StatusUpdate {
            condition: scheduled_condition(
                ScheduleResult::NoClusterFit,
                "0/3 clusters are available",
                &t1,
            ),
            observed_generation: None,
            affinity_name: None,
            scheduled_at: None,
        };
        let patch = status_patch(Some(&current), failure, false).expect("changed");
        assert_eq!(
            patch["conditions"][1]["lastTransitionTime"], "2026-01-02T00:00:00Z",
            "flipped"
        );
        assert_eq!(patch["conditions"][1]["reason"], "NoClusterFit");
        assert!(
            patch.get("schedulerObservedGeneration").is_none(),
            "only a success is observed"
        );
        assert!(patch.get("lastScheduledTime").is_none());
    }

    #[test]
    fn an_unchanged_success_writes_nothing_unless_a_reschedule_was_asked_for() {
        let t0 = time("2026-01-01T00:00:00Z");
        let t1 = time("2026-01-02T00:00:00Z");
        let current = ResourceBindingStatus {
            conditions: vec![scheduled_condition(ScheduleResult::Scheduled, "same", &t0)],
            scheduler_observed_generation: Some(2),
            last_scheduled_time: Some(t0),
            ..Default::default()
        };
        let update = || StatusUpdate {
            condition: scheduled_condition(ScheduleResult::Scheduled, "same", &t1),
            observed_generation: Some(2),
            affinity_name: None,
            scheduled_at: Some(t1.clone()),
        };
        assert_eq!(status_patch(Some(&current), update(), false), None);
        assert_eq!(
            status_patch(Some(&current), update(), true),
            Some(json!({"lastScheduledTime": "2026-01-02T00:00:00Z"}))
        );
        assert!(
            status_patch(None, update(), false)
                .is_some_and(|p| p.get("lastScheduledTime").is_some()),
            "a first success is stamped"
        );
    }
}
