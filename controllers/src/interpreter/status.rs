//! ReflectStatus, InterpretHealth and AggregateStatus: member status carried back and added up.
//!
//! The three halves of Karmada's status flow for built-in kinds:
//!
//! * [`reflect_status`] picks, from an object running in a member cluster, the part of its
//!   status worth carrying back into `Work.status.manifestStatuses[].status`. Workloads with
//!   replicas also carry the member object's `metadata.generation` and the template generation it
//!   was built from (annotation `resourcetemplate.karmada.io/generation`), so the aggregation can
//!   tell whether every member has caught up with the latest template.
//! * [`health`] judges the member object Healthy or Unhealthy (Unknown when it cannot be read).
//! * [`aggregate_status`] adds the per-cluster reflected statuses up into the template's
//!   `.status`.
//!
//! One deliberate difference from Karmada: a StatefulSet's reflected status carries its
//! `observedGeneration` like the other workloads' (Karmada leaves it out, and compares the
//! member's template generation with the member's own generation), so a StatefulSet template's
//! aggregated `observedGeneration` advances by the same rule as a Deployment's.
//!
//! Kinds are matched by API group and kind, not version, so `autoscaling/v1` and `/v2`
//! HorizontalPodAutoscalers (whose replica counts have the same names) share one rule.
//!
//! Fields follow Kubernetes' own serialization: optional counters are left out when zero, the
//! counters Kubernetes always writes (e.g. a DaemonSet's `numberReady`) are always written.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use flotilla_api::k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use flotilla_api::k8s_openapi::jiff::Timestamp;
use flotilla_api::labels;
use flotilla_api::work::v1alpha1::ResourceHealth;
use serde_json::{Map, Value, json};

/// One member cluster's reflected status of a template's object (from
/// `Work.status.manifestStatuses[].status`).
#[derive(Debug, Clone)]
pub struct ClusterStatus<'a> {
    pub cluster: &'a str,
    /// The reflected status, as [`reflect_status`] produced it; `Value::Null` when the cluster
    /// has not reported one yet (the Work is not applied, or the member object has no status).
    /// Such a cluster still counts: it keeps `observedGeneration` from advancing.
    pub status: &'a Value,
}

/// The built-in kinds that have status rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Deployment,
    ReplicaSet,
    StatefulSet,
    DaemonSet,
    Job,
    CronJob,
    Pod,
    Service,
    Ingress,
    PersistentVolume,
    PersistentVolumeClaim,
    PodDisruptionBudget,
    HorizontalPodAutoscaler,
    Other,
}

fn kind_of(object: &Value) -> Kind {
    let api_version = object
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("");
    // "v1" is the core group; "apps/v1" is group "apps".
    let group = api_version.rsplit_once('/').map_or("", |(group, _)| group);
    let kind = object.get("kind").and_then(Value::as_str).unwrap_or("");
    match (group, kind) {
        ("apps", "Deployment") => Kind::Deployment,
        ("apps", "ReplicaSet") => Kind::ReplicaSet,
        ("apps", "StatefulSet") => Kind::StatefulSet,
        ("apps", "DaemonSet") => Kind::DaemonSet,
        ("batch", "Job") => Kind::Job,
        ("batch", "CronJob") => Kind::CronJob,
        ("", "Pod") => Kind::Pod,
        ("", "Service") => Kind::Service,
        ("networking.k8s.io", "Ingress") => Kind::Ingress,
        ("", "PersistentVolume") => Kind::PersistentVolume,
        ("", "PersistentVolumeClaim") => Kind::PersistentVolumeClaim,
        ("policy", "PodDisruptionBudget") => Kind::PodDisruptionBudget,
        ("autoscaling", "HorizontalPodAutoscaler") => Kind::HorizontalPodAutoscaler,
        _ => Kind::Other,
    }
}

/// A replica counter of a workload status: its field name and whether Kubernetes writes it even
/// when zero.
type Counter = (&'static str, bool);

const DEPLOYMENT_COUNTERS: &[Counter] = &[
    ("replicas", false),
    ("updatedReplicas", false),
    ("readyReplicas", false),
    ("availableReplicas", false),
    ("unavailableReplicas", false),
];
const REPLICA_SET_COUNTERS: &[Counter] = &[
    ("replicas", true),
    ("readyReplicas", false),
    ("availableReplicas", false),
];
const STATEFUL_SET_COUNTERS: &[Counter] = &[
    ("replicas", true),
    ("readyReplicas", false),
    ("currentReplicas", false),
    ("updatedReplicas", false),
    ("availableReplicas", false),
];
const DAEMON_SET_COUNTERS: &[Counter] = &[
    ("currentNumberScheduled", true),
    ("numberMisscheduled", true),
    ("desiredNumberScheduled", true),
    ("numberReady", true),
    ("updatedNumberScheduled", false),
    ("numberAvailable", false),
    ("numberUnavailable", false),
];
const PDB_COUNTERS: &[Counter] = &[
    ("disruptionsAllowed", true),
    ("currentHealthy", true),
    ("desiredHealthy", true),
    ("expectedPods", true),
];
const HPA_COUNTERS: &[Counter] = &[("currentReplicas", false), ("desiredReplicas", true)];

/// The counters of a workload kind whose aggregated `observedGeneration` follows the members.
fn workload_counters(kind: Kind) -> Option<&'static [Counter]> {
    match kind {
        Kind::Deployment => Some(DEPLOYMENT_COUNTERS),
        Kind::ReplicaSet => Some(REPLICA_SET_COUNTERS),
        Kind::StatefulSet => Some(STATEFUL_SET_COUNTERS),
        Kind::DaemonSet => Some(DAEMON_SET_COUNTERS),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// ReflectStatus

/// The status carried back from a member object (Karmada's ReflectStatus): replica counters
/// plus generations for Deployments, ReplicaSets, StatefulSets and DaemonSets; counts, conditions
/// and times for Jobs; the load balancer of LoadBalancer Services (other Services: none);
/// disruption counts of PodDisruptionBudgets; replica counts of HorizontalPodAutoscalers; the
/// whole `.status` of every other kind. `None` when the object has no status yet.
pub fn reflect_status(object: &Value) -> Option<Value> {
    let kind = kind_of(object);
    if kind == Kind::Service {
        // Only a LoadBalancer Service has member-side status worth reporting.
        if object.pointer("/spec/type").and_then(Value::as_str) != Some("LoadBalancer") {
            return None;
        }
        let status = object.get("status")?.as_object()?;
        let load_balancer = status
            .get("loadBalancer")
            .cloned()
            .unwrap_or_else(|| json!({}));
        return Some(json!({ "loadBalancer": load_balancer }));
    }
    let status = object.get("status")?.as_object()?;
    match kind {
        Kind::Deployment | Kind::ReplicaSet | Kind::StatefulSet | Kind::DaemonSet => {
            let counters = workload_counters(kind).unwrap_or_default();
            let mut out = Map::new();
            for &(field, always) in counters {
                put_int(&mut out, field, int_or_zero(status.get(field)), always);
            }
            put_int(
                &mut out,
                "observedGeneration",
                int_or_zero(status.get("observedGeneration")),
                false,
            );
            put_int(&mut out, "generation", generation(object), false);
            put_int(
                &mut out,
                "resourceTemplateGeneration",
                resource_template_generation(object),
                false,
            );
            // An empty result means the member's controller has not written a status yet.
            (!out.is_empty()).then_some(Value::Object(out))
        }
        Kind::Job => {
            let mut out = Map::new();
            for field in ["active", "succeeded", "failed"] {
                put_int(&mut out, field, int_or_zero(status.get(field)), false);
            }
            for field in ["conditions", "startTime", "completionTime"] {
                if let Some(value) = status.get(field).filter(|v| !v.is_null()) {
                    out.insert(field.to_owned(), value.clone());
                }
            }
            Some(Value::Object(out))
        }
        Kind::PodDisruptionBudget => {
            let mut out = Map::new();
            for &(field, always) in PDB_COUNTERS {
                put_int(&mut out, field, int_or_zero(status.get(field)), always);
            }
            if let Some(pods) = status.get("disruptedPods").and_then(Value::as_object)
                && !pods.is_empty()
            {
                out.insert("disruptedPods".to_owned(), Value::Object(pods.clone()));
            }
            Some(Value::Object(out))
        }
        Kind::HorizontalPodAutoscaler => {
            let mut out = Map::new();
            for &(field, always) in HPA_COUNTERS {
                put_int(&mut out, field, int_or_zero(status.get(field)), always);
            }
            Some(Value::Object(out))
        }
        _ => Some(Value::Object(status.clone())),
    }
}

// ---------------------------------------------------------------------------------------------
// InterpretHealth

/// A status or spec field that is present but not of the type Kubernetes gives it.
#[derive(Debug)]
struct Malformed;

/// How healthy a member object is (Karmada's InterpretHealth):
///
/// * Deployment, StatefulSet: the member controller has observed the latest generation, every
///   desired replica is updated and every updated replica is available;
/// * ReplicaSet: latest generation observed and every desired replica available;
/// * DaemonSet: latest generation observed, every desired node updated, every updated one
///   available;
/// * Service: any non-LoadBalancer Service; a LoadBalancer once it has an ingress IP or hostname;
/// * Ingress: once it has a load balancer ingress IP or hostname;
/// * PersistentVolumeClaim: `Bound`;
/// * Pod: `Succeeded`, or `Running` with condition `Ready` True;
/// * PodDisruptionBudget: `currentHealthy >= desiredHealthy`;
/// * every other kind: Healthy, since it exists.
///
/// Unknown when a field the rule reads has the wrong type.
pub fn health(object: &Value) -> ResourceHealth {
    match judge_health(object) {
        Ok(true) => ResourceHealth::Healthy,
        Ok(false) => ResourceHealth::Unhealthy,
        Err(Malformed) => ResourceHealth::Unknown,
    }
}

fn judge_health(object: &Value) -> Result<bool, Malformed> {
    let status = |field: &str| int(object.pointer(&format!("/status/{field}")));
    let generation_observed = || -> Result<bool, Malformed> {
        Ok(status("observedGeneration")? == int(object.pointer("/metadata/generation"))?)
    };
    let desired = || opt_int(object.pointer("/spec/replicas"));
    Ok(match kind_of(object) {
        Kind::Deployment | Kind::StatefulSet => {
            let updated = status("updatedReplicas")?;
            generation_observed()?
                && desired()?.is_none_or(|desired| updated >= desired)
                && status("availableReplicas")? >= updated
        }
        Kind::ReplicaSet => {
            let available = status("availableReplicas")?;
            generation_observed()? && desired()?.is_none_or(|desired| available >= desired)
        }
        Kind::DaemonSet => {
            let updated = status("updatedNumberScheduled")?;
            generation_observed()?
                && updated >= status("desiredNumberScheduled")?
                && status("numberAvailable")? >= updated
        }
        Kind::Service => {
            object.pointer("/spec/type").and_then(Value::as_str) != Some("LoadBalancer")
                || has_load_balancer_address(object)
        }
        Kind::Ingress => has_load_balancer_address(object),
        Kind::PersistentVolumeClaim => {
            object.pointer("/status/phase").and_then(Value::as_str) == Some("Bound")
        }
        Kind::Pod => {
            let phase = object.pointer("/status/phase").and_then(Value::as_str);
            let ready = object
                .pointer("/status/conditions")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .find(|c| c.get("type").and_then(Value::as_str) == Some("Ready"))
                .is_some_and(|c| c.get("status").and_then(Value::as_str) == Some("True"));
            phase == Some("Succeeded") || (phase == Some("Running") && ready)
        }
        Kind::PodDisruptionBudget => status("currentHealthy")? >= status("desiredHealthy")?,
        _ => true,
    })
}

fn has_load_balancer_address(object: &Value) -> bool {
    object
        .pointer("/status/loadBalancer/ingress")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|ingress| {
            ["ip", "hostname"].iter().any(|field| {
                ingress
                    .get(*field)
                    .and_then(Value::as_str)
                    .is_some_and(|s| !s.is_empty())
            })
        })
}

// ---------------------------------------------------------------------------------------------
// AggregateStatus

/// The template's status made from its per-cluster reflected statuses (Karmada's
/// AggregateStatus), or `None` when the kind's status is not aggregated (then the template's
/// status is left alone).
///
/// * Deployment, ReplicaSet, StatefulSet, DaemonSet: replica counters summed into the template's
///   existing status (its other fields, e.g. conditions, kept); `observedGeneration` becomes the
///   template's `metadata.generation` only when every cluster reports a status whose member has
///   observed its own generation and was built from this template generation or a later one,
///   otherwise it keeps its previous value;
/// * Job: counts summed; `Complete` when every cluster completed, `Failed` naming the clusters
///   where it failed; earliest start, latest completion (only once all have one); a finished
///   template Job is never changed again;
/// * CronJob: active jobs merged, latest schedule and success times;
/// * Pod: the worst phase (Failed, Pending, Running, Succeeded) and every container's state;
/// * PersistentVolume: the worst phase (Failed, Pending, Available, Bound, Released);
/// * PersistentVolumeClaim: Lost if any is lost, else any phase other than Bound, else Bound;
/// * Service (LoadBalancer only), Ingress: the load balancer ingress lists merged, deduplicated
///   and sorted;
/// * PodDisruptionBudget: counts summed, disrupted pods keyed `cluster/pod`;
/// * HorizontalPodAutoscaler: current and desired replicas summed.
pub fn aggregate_status(template: &Value, statuses: &[ClusterStatus<'_>]) -> Option<Value> {
    let kind = kind_of(template);
    let old = template.get("status").and_then(Value::as_object);
    match kind {
        Kind::Deployment | Kind::ReplicaSet | Kind::StatefulSet | Kind::DaemonSet => Some(
            aggregate_workload(template, old, workload_counters(kind)?, statuses),
        ),
        Kind::Job => Some(aggregate_job(old, statuses)),
        Kind::CronJob => Some(aggregate_cron_job(old, statuses)),
        Kind::Pod => Some(aggregate_pod(template, statuses)),
        Kind::PersistentVolume => Some(aggregate_phase(
            statuses,
            &["Failed", "Pending", "Available", "Bound", "Released"],
        )),
        Kind::PersistentVolumeClaim => Some(aggregate_claim(statuses)),
        Kind::Service => {
            if template.pointer("/spec/type").and_then(Value::as_str) != Some("LoadBalancer") {
                return None;
            }
            Some(json!({ "loadBalancer": merged_load_balancer(statuses, true) }))
        }
        Kind::Ingress => Some(json!({ "loadBalancer": merged_load_balancer(statuses, false) })),
        Kind::PodDisruptionBudget => Some(aggregate_pdb(statuses)),
        Kind::HorizontalPodAutoscaler => Some(Value::Object(sum_counters(HPA_COUNTERS, statuses))),
        Kind::Other => None,
    }
}

fn aggregate_workload(
    template: &Value,
    old: Option<&Map<String, Value>>,
    counters: &[Counter],
    statuses: &[ClusterStatus<'_>],
) -> Value {
    let template_generation = generation(template);
    let mut status = old.cloned().unwrap_or_default();
    let mut sums = vec![0_i64; counters.len()];
    let mut caught_up = 0;
    for member in statuses {
        let Some(reported) = member.status.as_object() else {
            continue;
        };
        let field = |name: &str| int_or_zero(reported.get(name));
        // The member controller has acted on the member object's latest spec, and that spec was
        // built from the latest template.
        if field("observedGeneration") >= field("generation")
            && field("resourceTemplateGeneration") >= template_generation
        {
            caught_up += 1;
        }
        for (sum, (name, _)) in sums.iter_mut().zip(counters) {
            *sum += field(name);
        }
    }
    for (sum, &(name, always)) in sums.into_iter().zip(counters) {
        put_int(&mut status, name, sum, always);
    }
    if caught_up == statuses.len() {
        put_int(
            &mut status,
            "observedGeneration",
            template_generation,
            false,
        );
    }
    Value::Object(status)
}

fn aggregate_job(old: Option<&Map<String, Value>>, statuses: &[ClusterStatus<'_>]) -> Value {
    let old_status = old.cloned().unwrap_or_default();
    // A finished Job is final: later member changes (e.g. a member Job deleted) must not undo it.
    if job_finished(&old_status).is_some() {
        return Value::Object(old_status);
    }
    let (mut active, mut succeeded, mut failed) = (0, 0, 0);
    let (mut completed, mut success_criteria_met) = (0, 0);
    let mut failed_in = Vec::new();
    let mut start_times = Vec::new();
    let mut completion_times = Vec::new();
    for member in statuses {
        let Some(reported) = member.status.as_object() else {
            continue;
        };
        active += int_or_zero(reported.get("active"));
        succeeded += int_or_zero(reported.get("succeeded"));
        failed += int_or_zero(reported.get("failed"));
        match job_finished(reported) {
            Some("Complete") => completed += 1,
            Some(_) => failed_in.push(member.cluster),
            None => {}
        }
        if condition_true(reported, "SuccessCriteriaMet") {
            success_criteria_met += 1;
        }
        if let Some(time) = reported.get("startTime").and_then(Value::as_str) {
            start_times.push(time);
        }
        if let Some(time) = reported.get("completionTime").and_then(Value::as_str) {
            completion_times.push(time);
        }
    }

    let mut status = Map::new();
    put_int(&mut status, "active", active, false);
    put_int(&mut status, "succeeded", succeeded, false);
    put_int(&mut status, "failed", failed, false);

    let mut conditions = Vec::new();
    if !failed_in.is_empty() {
        let message = format!("Job failed in member clusters {}", failed_in.join(", "));
        conditions.push(job_condition("Failed", "JobFailed", &message));
    }
    // No status at all (a binding just created) is not completion.
    if completed > 0 && completed == statuses.len() {
        let message = "Job completed in every member cluster";
        conditions.push(job_condition("Complete", "Completed", message));
        if success_criteria_met == statuses.len() {
            let message = "Every member cluster met the success criteria";
            conditions.push(job_condition(
                "SuccessCriteriaMet",
                "CompletionsReached",
                message,
            ));
        }
    }
    if !conditions.is_empty() {
        status.insert("conditions".to_owned(), Value::Array(conditions));
    }

    // The start time is set once, when every cluster has started.
    let start = match old_status.get("startTime").filter(|v| !v.is_null()) {
        Some(start) => Some(start.clone()),
        None if !start_times.is_empty() && start_times.len() == statuses.len() => {
            earliest(&start_times).map(|t| Value::String(t.to_owned()))
        }
        None => None,
    };
    if let Some(start) = start {
        status.insert("startTime".to_owned(), start);
    }
    if !completion_times.is_empty()
        && completion_times.len() == statuses.len()
        && let Some(latest) = latest(&completion_times)
    {
        status.insert(
            "completionTime".to_owned(),
            Value::String(latest.to_owned()),
        );
    }
    Value::Object(status)
}

/// `Complete` or `Failed` when the Job status has that condition True.
fn job_finished(status: &Map<String, Value>) -> Option<&'static str> {
    ["Complete", "Failed"]
        .into_iter()
        .find(|kind| condition_true(status, kind))
}

fn condition_true(status: &Map<String, Value>, condition_type: &str) -> bool {
    status
        .get("conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|c| {
            c.get("type").and_then(Value::as_str) == Some(condition_type)
                && c.get("status").and_then(Value::as_str) == Some("True")
        })
}

/// A True Job condition set now. It is written once: a template Job with a True `Complete` or
/// `Failed` condition is finished and never recomputed, so the times do not churn.
fn job_condition(kind: &str, reason: &str, message: &str) -> Value {
    json!({
        "type": kind,
        "status": "True",
        "lastProbeTime": now(),
        "lastTransitionTime": now(),
        "reason": reason,
        "message": message,
    })
}

fn now() -> Value {
    serde_json::to_value(Time(Timestamp::now())).unwrap_or(Value::Null)
}

fn aggregate_cron_job(old: Option<&Map<String, Value>>, statuses: &[ClusterStatus<'_>]) -> Value {
    let mut status = old.cloned().unwrap_or_default();
    let mut active = Vec::new();
    let mut scheduled = Vec::new();
    let mut successful = Vec::new();
    for member in statuses {
        let Some(reported) = member.status.as_object() else {
            continue;
        };
        if let Some(jobs) = reported.get("active").and_then(Value::as_array) {
            active.extend(jobs.iter().cloned());
        }
        if let Some(time) = reported.get("lastScheduleTime").and_then(Value::as_str) {
            scheduled.push(time);
        }
        if let Some(time) = reported.get("lastSuccessfulTime").and_then(Value::as_str) {
            successful.push(time);
        }
    }
    let mut set = |field: &str, value: Option<Value>| match value {
        Some(value) => {
            status.insert(field.to_owned(), value);
        }
        None => {
            status.remove(field);
        }
    };
    set(
        "active",
        (!active.is_empty()).then_some(Value::Array(active)),
    );
    set(
        "lastScheduleTime",
        latest(&scheduled).map(|t| Value::String(t.to_owned())),
    );
    set(
        "lastSuccessfulTime",
        latest(&successful).map(|t| Value::String(t.to_owned())),
    );
    Value::Object(status)
}

fn aggregate_pod(template: &Value, statuses: &[ClusterStatus<'_>]) -> Value {
    // Not placed anywhere yet: nothing to say about the Pod.
    if statuses.is_empty() {
        return template.get("status").cloned().unwrap_or_else(|| json!({}));
    }
    let mut phases = Vec::new();
    let mut containers = Vec::new();
    let mut init_containers = Vec::new();
    for member in statuses {
        let Some(reported) = member.status.as_object() else {
            // Not reported yet: count it as Pending so the Pod does not look further along than
            // it is.
            phases.push("Pending");
            continue;
        };
        phases.push(reported.get("phase").and_then(Value::as_str).unwrap_or(""));
        for (field, out) in [
            ("containerStatuses", &mut containers),
            ("initContainerStatuses", &mut init_containers),
        ] {
            for container in reported
                .get(field)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                out.push(container_summary(container));
            }
        }
    }
    let mut status = Map::new();
    if let Some(phase) = worst_phase(&phases, &["Failed", "Pending", "Running", "Succeeded"]) {
        status.insert("phase".to_owned(), Value::String(phase.to_owned()));
    }
    if !containers.is_empty() {
        status.insert("containerStatuses".to_owned(), Value::Array(containers));
    }
    if !init_containers.is_empty() {
        status.insert(
            "initContainerStatuses".to_owned(),
            Value::Array(init_containers),
        );
    }
    Value::Object(status)
}

/// A member container's readiness and state, with the fields Kubernetes requires of a
/// ContainerStatus so typed clients can read the template.
fn container_summary(container: &Value) -> Value {
    let text = |field: &str| container.get(field).cloned().unwrap_or_else(|| json!(""));
    let mut out = Map::new();
    out.insert("name".to_owned(), text("name"));
    out.insert("image".to_owned(), text("image"));
    out.insert("imageID".to_owned(), text("imageID"));
    out.insert(
        "restartCount".to_owned(),
        json!(int_or_zero(container.get("restartCount"))),
    );
    out.insert(
        "ready".to_owned(),
        json!(
            container
                .get("ready")
                .and_then(Value::as_bool)
                .unwrap_or(false)
        ),
    );
    if let Some(state) = container.get("state").filter(|v| !v.is_null()) {
        out.insert("state".to_owned(), state.clone());
    }
    Value::Object(out)
}

/// `{phase}` with the first phase of `order` that any cluster reports; clusters that have not
/// reported count as Pending.
fn aggregate_phase(statuses: &[ClusterStatus<'_>], order: &[&'static str]) -> Value {
    let phases: Vec<&str> = statuses
        .iter()
        .map(|member| match member.status.as_object() {
            Some(reported) => reported.get("phase").and_then(Value::as_str).unwrap_or(""),
            None => "Pending",
        })
        .collect();
    match worst_phase(&phases, order) {
        Some(phase) => json!({ "phase": phase }),
        None => json!({}),
    }
}

fn worst_phase(phases: &[&str], order: &[&'static str]) -> Option<&'static str> {
    order
        .iter()
        .copied()
        .find(|candidate| phases.contains(candidate))
}

fn aggregate_claim(statuses: &[ClusterStatus<'_>]) -> Value {
    let mut phase = "Bound";
    for member in statuses {
        let Some(reported) = member.status.as_object() else {
            continue;
        };
        let reported = reported.get("phase").and_then(Value::as_str).unwrap_or("");
        if reported == "Lost" {
            phase = "Lost";
            break;
        }
        if reported != "Bound" {
            phase = reported;
        }
    }
    json!({ "phase": phase })
}

fn aggregate_pdb(statuses: &[ClusterStatus<'_>]) -> Value {
    let mut status = sum_counters(PDB_COUNTERS, statuses);
    let mut disrupted = Map::new();
    for member in statuses {
        let pods = member
            .status
            .get("disruptedPods")
            .and_then(Value::as_object);
        for (pod, time) in pods.into_iter().flatten() {
            disrupted.insert(format!("{}/{pod}", member.cluster), time.clone());
        }
    }
    if !disrupted.is_empty() {
        status.insert("disruptedPods".to_owned(), Value::Object(disrupted));
    }
    Value::Object(status)
}

fn sum_counters(counters: &[Counter], statuses: &[ClusterStatus<'_>]) -> Map<String, Value> {
    let mut status = Map::new();
    for &(name, always) in counters {
        let sum = statuses
            .iter()
            .map(|member| int_or_zero(member.status.get(name)))
            .sum();
        put_int(&mut status, name, sum, always);
    }
    status
}

/// `{ingress: [...]}`: every cluster's load balancer ingress points, those with the same
/// hostname, IP (and, for Services, IP mode) merged into one with the union of their ports, in
/// a stable order (hostnames first), so the result does not depend on which cluster reported
/// first.
/// A load balancer ingress point's identity: hostname, IP and (Services only) IP mode.
type IngressKey = (String, String, Option<String>);

fn merged_load_balancer(statuses: &[ClusterStatus<'_>], service: bool) -> Value {
    // (hostname, ip, ipMode) → (the first entry seen, its ports).
    let mut merged: BTreeMap<IngressKey, (Map<String, Value>, Vec<Value>)> = BTreeMap::new();
    for member in statuses {
        let ingresses = member
            .status
            .pointer("/loadBalancer/ingress")
            .and_then(Value::as_array);
        for ingress in ingresses.into_iter().flatten() {
            let Some(ingress) = ingress.as_object() else {
                continue;
            };
            let text = |field: &str| {
                ingress
                    .get(field)
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            };
            let ip_mode = if service { text("ipMode") } else { None };
            let key = (
                text("hostname").unwrap_or_default(),
                text("ip").unwrap_or_default(),
                ip_mode,
            );
            let entry = merged.entry(key).or_insert_with(|| {
                let mut first = ingress.clone();
                first.remove("ports");
                (first, Vec::new())
            });
            for port in ingress
                .get("ports")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if !entry.1.contains(port) {
                    entry.1.push(port.clone());
                }
            }
        }
    }
    let mut out: Vec<(IngressKey, Value)> = merged
        .into_iter()
        .map(|(key, (mut ingress, mut ports))| {
            ports.sort_by(compare_ports);
            if !ports.is_empty() {
                ingress.insert("ports".to_owned(), Value::Array(ports));
            }
            (key, Value::Object(ingress))
        })
        .collect();
    out.sort_by(|(a, _), (b, _)| {
        // Hostnames before bare IPs, then by hostname, IP and IP mode (unset last).
        (a.0.is_empty(), &a.0, &a.1, a.2.is_none(), &a.2).cmp(&(
            b.0.is_empty(),
            &b.0,
            &b.1,
            b.2.is_none(),
            &b.2,
        ))
    });
    let ingress: Vec<Value> = out.into_iter().map(|(_, ingress)| ingress).collect();
    if ingress.is_empty() {
        json!({})
    } else {
        json!({ "ingress": ingress })
    }
}

fn compare_ports(a: &Value, b: &Value) -> Ordering {
    let key = |p: &Value| {
        (
            int_or_zero(p.get("port")),
            p.get("protocol")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
            p.get("error").and_then(Value::as_str).map(str::to_owned),
        )
    };
    key(a).cmp(&key(b))
}

// ---------------------------------------------------------------------------------------------
// Field helpers

/// An integer field: missing or null is 0, anything but an integer is malformed.
fn int(value: Option<&Value>) -> Result<i64, Malformed> {
    Ok(opt_int(value)?.unwrap_or(0))
}

fn opt_int(value: Option<&Value>) -> Result<Option<i64>, Malformed> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value.as_i64().map(Some).ok_or(Malformed),
    }
}

/// An integer field for summing: anything that is not an integer counts as 0.
fn int_or_zero(value: Option<&Value>) -> i64 {
    value.and_then(Value::as_i64).unwrap_or(0)
}

/// Writes an integer field, or removes it when zero and Kubernetes leaves it out at zero.
fn put_int(out: &mut Map<String, Value>, field: &str, value: i64, always: bool) {
    if value != 0 || always {
        out.insert(field.to_owned(), json!(value));
    } else {
        out.remove(field);
    }
}

fn generation(object: &Value) -> i64 {
    int_or_zero(object.pointer("/metadata/generation"))
}

/// The template generation a member object was built from (0 when it does not say).
fn resource_template_generation(object: &Value) -> i64 {
    object
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(labels::RESOURCE_TEMPLATE_GENERATION))
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

// RFC 3339 times as Kubernetes writes them (UTC, `Z`) order as strings; parse to be safe with
// other offsets and fall back to the text when a time does not parse.
fn time_key(time: &str) -> (Option<Timestamp>, &str) {
    (time.parse().ok(), time)
}

fn earliest<'a>(times: &[&'a str]) -> Option<&'a str> {
    times
        .iter()
        .copied()
        .min_by(|a, b| time_key(a).cmp(&time_key(b)))
}

fn latest<'a>(times: &[&'a str]) -> Option<&'a str> {
    times
        .iter()
        .copied()
        .max_by(|a, b| time_key(a).cmp(&time_key(b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deployment(
        generation: i64,
        template_generation: Option<&str>,
        spec_replicas: i64,
        status: Value,
    ) -> Value {
        let mut object = json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "default", "generation": generation},
            "spec": {"replicas": spec_replicas},
            "status": status,
        });
        if let Some(template_generation) = template_generation {
            object["metadata"]["annotations"] =
                json!({ labels::RESOURCE_TEMPLATE_GENERATION: template_generation });
        }
        object
    }

    fn object(api_version: &str, kind: &str, spec: Value, status: Value) -> Value {
        json!({
            "apiVersion": api_version,
            "kind": kind,
            "metadata": {"name": "x", "namespace": "default", "generation": 1},
            "spec": spec,
            "status": status,
        })
    }

    #[test]
    fn reflect_status_by_kind() {
        struct Case {
            name: &'static str,
            object: Value,
            want: Option<Value>,
        }
        let cases = vec![
            Case {
                name: "deployment keeps counters and generations",
                object: deployment(
                    3,
                    Some("7"),
                    4,
                    json!({"replicas": 4, "updatedReplicas": 4, "readyReplicas": 3,
                           "availableReplicas": 3, "unavailableReplicas": 1,
                           "observedGeneration": 3,
                           "conditions": [{"type": "Available", "status": "True"}]}),
                ),
                want: Some(
                    json!({"replicas": 4, "updatedReplicas": 4, "readyReplicas": 3,
                                  "availableReplicas": 3, "unavailableReplicas": 1,
                                  "observedGeneration": 3, "generation": 3,
                                  "resourceTemplateGeneration": 7}),
                ),
            },
            Case {
                name: "deployment without the template generation annotation",
                object: deployment(2, None, 1, json!({"replicas": 1, "observedGeneration": 2})),
                want: Some(json!({"replicas": 1, "observedGeneration": 2, "generation": 2})),
            },
            Case {
                name: "deployment without status",
                object: json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}}),
                want: None,
            },
            Case {
                name: "replicaset writes replicas even at zero",
                object: object(
                    "apps/v1",
                    "ReplicaSet",
                    json!({}),
                    json!({"replicas": 0, "fullyLabeledReplicas": 0}),
                ),
                want: Some(json!({"replicas": 0, "generation": 1})),
            },
            Case {
                name: "statefulset",
                object: object(
                    "apps/v1",
                    "StatefulSet",
                    json!({}),
                    json!({"replicas": 2, "readyReplicas": 2, "currentReplicas": 2, "updatedReplicas": 2,
                           "availableReplicas": 2, "observedGeneration": 1, "currentRevision": "r1"}),
                ),
                want: Some(
                    json!({"replicas": 2, "readyReplicas": 2, "currentReplicas": 2,
                                  "updatedReplicas": 2, "availableReplicas": 2,
                                  "observedGeneration": 1, "generation": 1}),
                ),
            },
            Case {
                name: "daemonset",
                object: object(
                    "apps/v1",
                    "DaemonSet",
                    json!({}),
                    json!({"currentNumberScheduled": 3, "desiredNumberScheduled": 3, "numberReady": 2,
                           "numberMisscheduled": 0, "numberAvailable": 2, "numberUnavailable": 1,
                           "updatedNumberScheduled": 3, "observedGeneration": 1}),
                ),
                want: Some(json!({"currentNumberScheduled": 3, "numberMisscheduled": 0,
                                  "desiredNumberScheduled": 3, "numberReady": 2,
                                  "updatedNumberScheduled": 3, "numberAvailable": 2,
                                  "numberUnavailable": 1, "observedGeneration": 1, "generation": 1})),
            },
            Case {
                name: "job",
                object: object(
                    "batch/v1",
                    "Job",
                    json!({}),
                    json!({"active": 1, "succeeded": 2, "ready": 1, "startTime": "2024-01-01T00:00:00Z",
                           "conditions": [{"type": "Complete", "status": "False"}]}),
                ),
                want: Some(
                    json!({"active": 1, "succeeded": 2, "startTime": "2024-01-01T00:00:00Z",
                                  "conditions": [{"type": "Complete", "status": "False"}]}),
                ),
            },
            Case {
                name: "load balancer service",
                object: object(
                    "v1",
                    "Service",
                    json!({"type": "LoadBalancer"}),
                    json!({"loadBalancer": {"ingress": [{"ip": "10.0.0.1"}]}, "conditions": []}),
                ),
                want: Some(json!({"loadBalancer": {"ingress": [{"ip": "10.0.0.1"}]}})),
            },
            Case {
                name: "cluster ip service has nothing to reflect",
                object: object(
                    "v1",
                    "Service",
                    json!({"type": "ClusterIP"}),
                    json!({"loadBalancer": {}}),
                ),
                want: None,
            },
            Case {
                name: "ingress: whole status",
                object: object(
                    "networking.k8s.io/v1",
                    "Ingress",
                    json!({}),
                    json!({"loadBalancer": {"ingress": [{"hostname": "a.example"}]}}),
                ),
                want: Some(json!({"loadBalancer": {"ingress": [{"hostname": "a.example"}]}})),
            },
            Case {
                name: "pdb",
                object: object(
                    "policy/v1",
                    "PodDisruptionBudget",
                    json!({}),
                    json!({"disruptionsAllowed": 1, "currentHealthy": 3, "desiredHealthy": 2,
                           "expectedPods": 3, "observedGeneration": 1}),
                ),
                want: Some(
                    json!({"disruptionsAllowed": 1, "currentHealthy": 3, "desiredHealthy": 2,
                                  "expectedPods": 3}),
                ),
            },
            Case {
                name: "hpa",
                object: object(
                    "autoscaling/v2",
                    "HorizontalPodAutoscaler",
                    json!({}),
                    json!({"currentReplicas": 2, "desiredReplicas": 3, "currentMetrics": []}),
                ),
                want: Some(json!({"currentReplicas": 2, "desiredReplicas": 3})),
            },
            Case {
                name: "other kinds: whole status",
                object: object(
                    "example.io/v1",
                    "Widget",
                    json!({}),
                    json!({"phase": "Ready", "n": 1}),
                ),
                want: Some(json!({"phase": "Ready", "n": 1})),
            },
            Case {
                name: "other kinds without status",
                object: json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {}}),
                want: None,
            },
        ];
        for case in cases {
            assert_eq!(reflect_status(&case.object), case.want, "{}", case.name);
        }
    }

    #[test]
    fn health_by_kind() {
        struct Case {
            name: &'static str,
            object: Value,
            want: ResourceHealth,
        }
        use ResourceHealth::{Healthy, Unhealthy, Unknown};
        let deploy = |generation, replicas, status| deployment(generation, None, replicas, status);
        let pod = |phase: &str, ready: &str| {
            object(
                "v1",
                "Pod",
                json!({}),
                json!({"phase": phase, "conditions": [{"type": "Ready", "status": ready}]}),
            )
        };
        let cases = vec![
            Case {
                name: "deployment rolled out",
                object: deploy(
                    2,
                    3,
                    json!({"observedGeneration": 2, "updatedReplicas": 3, "availableReplicas": 3}),
                ),
                want: Healthy,
            },
            Case {
                name: "deployment generation not observed",
                object: deploy(
                    3,
                    3,
                    json!({"observedGeneration": 2, "updatedReplicas": 3, "availableReplicas": 3}),
                ),
                want: Unhealthy,
            },
            Case {
                name: "deployment not all updated",
                object: deploy(
                    2,
                    3,
                    json!({"observedGeneration": 2, "updatedReplicas": 2, "availableReplicas": 2}),
                ),
                want: Unhealthy,
            },
            Case {
                name: "deployment updated but not available",
                object: deploy(
                    2,
                    3,
                    json!({"observedGeneration": 2, "updatedReplicas": 3, "availableReplicas": 1}),
                ),
                want: Unhealthy,
            },
            Case {
                name: "deployment with a malformed counter",
                object: deploy(2, 3, json!({"observedGeneration": "2"})),
                want: Unknown,
            },
            Case {
                name: "statefulset rolled out",
                object: object(
                    "apps/v1",
                    "StatefulSet",
                    json!({"replicas": 2}),
                    json!({"observedGeneration": 1, "updatedReplicas": 2, "availableReplicas": 2}),
                ),
                want: Healthy,
            },
            Case {
                name: "replicaset short of available",
                object: object(
                    "apps/v1",
                    "ReplicaSet",
                    json!({"replicas": 2}),
                    json!({"observedGeneration": 1, "availableReplicas": 1}),
                ),
                want: Unhealthy,
            },
            Case {
                name: "replicaset available",
                object: object(
                    "apps/v1",
                    "ReplicaSet",
                    json!({"replicas": 2}),
                    json!({"observedGeneration": 1, "availableReplicas": 2}),
                ),
                want: Healthy,
            },
            Case {
                name: "daemonset updating",
                object: object(
                    "apps/v1",
                    "DaemonSet",
                    json!({}),
                    json!({"observedGeneration": 1, "desiredNumberScheduled": 3,
                           "updatedNumberScheduled": 2, "numberAvailable": 2}),
                ),
                want: Unhealthy,
            },
            Case {
                name: "daemonset rolled out",
                object: object(
                    "apps/v1",
                    "DaemonSet",
                    json!({}),
                    json!({"observedGeneration": 1, "desiredNumberScheduled": 3,
                           "updatedNumberScheduled": 3, "numberAvailable": 3}),
                ),
                want: Healthy,
            },
            Case {
                name: "cluster ip service",
                object: object("v1", "Service", json!({"type": "ClusterIP"}), json!({})),
                want: Healthy,
            },
            Case {
                name: "load balancer without address",
                object: object(
                    "v1",
                    "Service",
                    json!({"type": "LoadBalancer"}),
                    json!({"loadBalancer": {"ingress": [{"ip": ""}]}}),
                ),
                want: Unhealthy,
            },
            Case {
                name: "load balancer with hostname",
                object: object(
                    "v1",
                    "Service",
                    json!({"type": "LoadBalancer"}),
                    json!({"loadBalancer": {"ingress": [{"hostname": "lb.example"}]}}),
                ),
                want: Healthy,
            },
            Case {
                name: "ingress without address",
                object: object("networking.k8s.io/v1", "Ingress", json!({}), json!({})),
                want: Unhealthy,
            },
            Case {
                name: "pvc bound",
                object: object(
                    "v1",
                    "PersistentVolumeClaim",
                    json!({}),
                    json!({"phase": "Bound"}),
                ),
                want: Healthy,
            },
            Case {
                name: "pvc pending",
                object: object(
                    "v1",
                    "PersistentVolumeClaim",
                    json!({}),
                    json!({"phase": "Pending"}),
                ),
                want: Unhealthy,
            },
            Case {
                name: "pod running and ready",
                object: pod("Running", "True"),
                want: Healthy,
            },
            Case {
                name: "pod running, not ready",
                object: pod("Running", "False"),
                want: Unhealthy,
            },
            Case {
                name: "pod succeeded",
                object: pod("Succeeded", "False"),
                want: Healthy,
            },
            Case {
                name: "pod pending",
                object: pod("Pending", "False"),
                want: Unhealthy,
            },
            Case {
                name: "pdb short of healthy pods",
                object: object(
                    "policy/v1",
                    "PodDisruptionBudget",
                    json!({}),
                    json!({"currentHealthy": 1, "desiredHealthy": 2}),
                ),
                want: Unhealthy,
            },
            Case {
                name: "pdb healthy",
                object: object(
                    "policy/v1",
                    "PodDisruptionBudget",
                    json!({}),
                    json!({"currentHealthy": 2, "desiredHealthy": 2}),
                ),
                want: Healthy,
            },
            Case {
                name: "kinds without a rule are healthy",
                object: json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}),
                want: Healthy,
            },
        ];
        for case in cases {
            assert_eq!(health(&case.object), case.want, "{}", case.name);
        }
    }

    fn template(
        api_version: &str,
        kind: &str,
        generation: i64,
        spec: Value,
        status: Value,
    ) -> Value {
        json!({
            "apiVersion": api_version,
            "kind": kind,
            "metadata": {"name": "x", "namespace": "default", "generation": generation},
            "spec": spec,
            "status": status,
        })
    }

    #[test]
    fn aggregate_status_by_kind() {
        struct Case {
            name: &'static str,
            template: Value,
            statuses: Vec<(&'static str, Value)>,
            want: Option<Value>,
        }
        let member = |replicas: i64,
                      ready: i64,
                      observed: i64,
                      generation: i64,
                      template_generation: i64| {
            json!({"replicas": replicas, "updatedReplicas": replicas, "readyReplicas": ready,
                   "availableReplicas": ready, "observedGeneration": observed,
                   "generation": generation, "resourceTemplateGeneration": template_generation})
        };
        let conditions = json!([{"type": "Available", "status": "True"}]);
        let cases = vec![
            Case {
                name: "deployment: sums and observedGeneration once every member caught up",
                template: template(
                    "apps/v1",
                    "Deployment",
                    2,
                    json!({"replicas": 9}),
                    json!({"observedGeneration": 1, "conditions": conditions}),
                ),
                statuses: vec![("m1", member(6, 6, 4, 4, 2)), ("m2", member(3, 2, 1, 1, 2))],
                want: Some(json!({"observedGeneration": 2, "conditions": conditions,
                                  "replicas": 9, "updatedReplicas": 9, "readyReplicas": 8,
                                  "availableReplicas": 8})),
            },
            Case {
                name: "deployment: a member built from an older template keeps observedGeneration",
                template: template(
                    "apps/v1",
                    "Deployment",
                    3,
                    json!({}),
                    json!({"observedGeneration": 2}),
                ),
                statuses: vec![("m1", member(6, 6, 4, 4, 3)), ("m2", member(3, 3, 1, 1, 2))],
                want: Some(
                    json!({"observedGeneration": 2, "replicas": 9, "updatedReplicas": 9,
                                  "readyReplicas": 9, "availableReplicas": 9}),
                ),
            },
            Case {
                name: "deployment: a member whose controller lags keeps observedGeneration",
                template: template(
                    "apps/v1",
                    "Deployment",
                    3,
                    json!({}),
                    json!({"observedGeneration": 2}),
                ),
                statuses: vec![("m1", member(6, 6, 4, 5, 3))],
                want: Some(
                    json!({"observedGeneration": 2, "replicas": 6, "updatedReplicas": 6,
                                  "readyReplicas": 6, "availableReplicas": 6}),
                ),
            },
            Case {
                name: "deployment: a cluster without status keeps observedGeneration",
                template: template("apps/v1", "Deployment", 3, json!({}), json!({})),
                statuses: vec![("m1", member(6, 6, 4, 4, 3)), ("m2", Value::Null)],
                want: Some(
                    json!({"replicas": 6, "updatedReplicas": 6, "readyReplicas": 6,
                                  "availableReplicas": 6}),
                ),
            },
            Case {
                name: "deployment: counters that drop to zero are removed",
                template: template(
                    "apps/v1",
                    "Deployment",
                    1,
                    json!({}),
                    json!({"observedGeneration": 1, "replicas": 3, "readyReplicas": 3, "unavailableReplicas": 1}),
                ),
                statuses: vec![("m1", member(0, 0, 1, 1, 1))],
                want: Some(json!({"observedGeneration": 1})),
            },
            Case {
                name: "statefulset",
                template: template("apps/v1", "StatefulSet", 1, json!({}), json!({})),
                statuses: vec![
                    (
                        "m1",
                        json!({"replicas": 2, "readyReplicas": 2, "currentReplicas": 2,
                                  "observedGeneration": 1, "generation": 1, "resourceTemplateGeneration": 1}),
                    ),
                    (
                        "m2",
                        json!({"replicas": 1, "generation": 1, "resourceTemplateGeneration": 1}),
                    ),
                ],
                want: Some(json!({"replicas": 3, "readyReplicas": 2, "currentReplicas": 2})),
            },
            Case {
                name: "daemonset",
                template: template("apps/v1", "DaemonSet", 1, json!({}), json!({})),
                statuses: vec![
                    (
                        "m1",
                        json!({"currentNumberScheduled": 2, "desiredNumberScheduled": 2, "numberReady": 2,
                                  "numberMisscheduled": 0, "observedGeneration": 1, "generation": 1,
                                  "resourceTemplateGeneration": 1}),
                    ),
                    (
                        "m2",
                        json!({"currentNumberScheduled": 1, "desiredNumberScheduled": 1, "numberReady": 0,
                                  "numberMisscheduled": 0, "numberUnavailable": 1, "observedGeneration": 1,
                                  "generation": 1, "resourceTemplateGeneration": 1}),
                    ),
                ],
                want: Some(json!({"currentNumberScheduled": 3, "numberMisscheduled": 0,
                                  "desiredNumberScheduled": 3, "numberReady": 2,
                                  "numberUnavailable": 1, "observedGeneration": 1})),
            },
            Case {
                name: "replicaset with no clusters",
                template: template("apps/v1", "ReplicaSet", 1, json!({}), json!({})),
                statuses: vec![],
                want: Some(json!({"replicas": 0, "observedGeneration": 1})),
            },
            Case {
                name: "job still running",
                template: template("batch/v1", "Job", 1, json!({}), json!({})),
                statuses: vec![
                    (
                        "m1",
                        json!({"active": 1, "succeeded": 1, "startTime": "2024-01-01T00:00:05Z"}),
                    ),
                    (
                        "m2",
                        json!({"active": 2, "failed": 1, "startTime": "2024-01-01T00:00:01Z"}),
                    ),
                ],
                want: Some(json!({"active": 3, "succeeded": 1, "failed": 1,
                                  "startTime": "2024-01-01T00:00:01Z"})),
            },
            Case {
                name: "job not started everywhere has no start time",
                template: template("batch/v1", "Job", 1, json!({}), json!({})),
                statuses: vec![
                    (
                        "m1",
                        json!({"active": 1, "startTime": "2024-01-01T00:00:05Z"}),
                    ),
                    ("m2", Value::Null),
                ],
                want: Some(json!({"active": 1})),
            },
            Case {
                name: "job already finished is left alone",
                template: template(
                    "batch/v1",
                    "Job",
                    1,
                    json!({}),
                    json!({"succeeded": 2, "conditions": [{"type": "Complete", "status": "True"}]}),
                ),
                statuses: vec![("m1", Value::Null)],
                want: Some(
                    json!({"succeeded": 2, "conditions": [{"type": "Complete", "status": "True"}]}),
                ),
            },
            Case {
                name: "cronjob",
                template: template(
                    "batch/v1",
                    "CronJob",
                    1,
                    json!({}),
                    json!({"lastScheduleTime": "2023-01-01T00:00:00Z"}),
                ),
                statuses: vec![
                    (
                        "m1",
                        json!({"active": [{"name": "a"}], "lastScheduleTime": "2024-01-01T00:01:00Z"}),
                    ),
                    (
                        "m2",
                        json!({"active": [{"name": "b"}], "lastScheduleTime": "2024-01-01T00:02:00Z",
                                  "lastSuccessfulTime": "2024-01-01T00:00:30Z"}),
                    ),
                ],
                want: Some(json!({"lastScheduleTime": "2024-01-01T00:02:00Z",
                                  "active": [{"name": "a"}, {"name": "b"}],
                                  "lastSuccessfulTime": "2024-01-01T00:00:30Z"})),
            },
            Case {
                name: "pod: worst phase, containers carried",
                template: template("v1", "Pod", 1, json!({}), json!({})),
                statuses: vec![
                    (
                        "m1",
                        json!({"phase": "Running", "containerStatuses": [
                        {"name": "c", "image": "nginx", "imageID": "id", "restartCount": 1, "ready": true,
                         "state": {"running": {}}, "started": true}]}),
                    ),
                    ("m2", json!({"phase": "Succeeded"})),
                ],
                want: Some(json!({"phase": "Running", "containerStatuses": [
                    {"name": "c", "image": "nginx", "imageID": "id", "restartCount": 1, "ready": true,
                     "state": {"running": {}}}]})),
            },
            Case {
                name: "pod not reported counts as pending",
                template: template("v1", "Pod", 1, json!({}), json!({})),
                statuses: vec![("m1", json!({"phase": "Running"})), ("m2", Value::Null)],
                want: Some(json!({"phase": "Pending"})),
            },
            Case {
                name: "pv",
                template: template("v1", "PersistentVolume", 1, json!({}), json!({})),
                statuses: vec![
                    ("m1", json!({"phase": "Bound"})),
                    ("m2", json!({"phase": "Available"})),
                ],
                want: Some(json!({"phase": "Available"})),
            },
            Case {
                name: "pvc lost wins",
                template: template("v1", "PersistentVolumeClaim", 1, json!({}), json!({})),
                statuses: vec![
                    ("m1", json!({"phase": "Pending"})),
                    ("m2", json!({"phase": "Lost"})),
                ],
                want: Some(json!({"phase": "Lost"})),
            },
            Case {
                name: "pvc all bound",
                template: template("v1", "PersistentVolumeClaim", 1, json!({}), json!({})),
                statuses: vec![
                    ("m1", json!({"phase": "Bound"})),
                    ("m2", json!({"phase": "Bound"})),
                ],
                want: Some(json!({"phase": "Bound"})),
            },
            Case {
                name: "load balancer service: ingress merged, deduplicated, sorted",
                template: template(
                    "v1",
                    "Service",
                    1,
                    json!({"type": "LoadBalancer"}),
                    json!({}),
                ),
                statuses: vec![
                    (
                        "m1",
                        json!({"loadBalancer": {"ingress": [
                        {"ip": "10.0.0.2"},
                        {"ip": "10.0.0.1", "ports": [{"port": 443, "protocol": "TCP"}]}]}}),
                    ),
                    (
                        "m2",
                        json!({"loadBalancer": {"ingress": [
                        {"hostname": "lb.example"},
                        {"ip": "10.0.0.1", "ports": [{"port": 80, "protocol": "TCP"}, {"port": 443, "protocol": "TCP"}]}]}}),
                    ),
                ],
                want: Some(json!({"loadBalancer": {"ingress": [
                    {"hostname": "lb.example"},
                    {"ip": "10.0.0.1", "ports": [{"port": 80, "protocol": "TCP"}, {"port": 443, "protocol": "TCP"}]},
                    {"ip": "10.0.0.2"}]}})),
            },
            Case {
                name: "cluster ip service is not aggregated",
                template: template("v1", "Service", 1, json!({"type": "ClusterIP"}), json!({})),
                statuses: vec![("m1", json!({}))],
                want: None,
            },
            Case {
                name: "ingress",
                template: template("networking.k8s.io/v1", "Ingress", 1, json!({}), json!({})),
                statuses: vec![
                    (
                        "m1",
                        json!({"loadBalancer": {"ingress": [{"ip": "10.0.0.1"}]}}),
                    ),
                    ("m2", json!({"loadBalancer": {}})),
                ],
                want: Some(json!({"loadBalancer": {"ingress": [{"ip": "10.0.0.1"}]}})),
            },
            Case {
                name: "pdb",
                template: template("policy/v1", "PodDisruptionBudget", 1, json!({}), json!({})),
                statuses: vec![
                    (
                        "m1",
                        json!({"disruptionsAllowed": 1, "currentHealthy": 3, "desiredHealthy": 2, "expectedPods": 3,
                                  "disruptedPods": {"p1": "2024-01-01T00:00:00Z"}}),
                    ),
                    (
                        "m2",
                        json!({"disruptionsAllowed": 0, "currentHealthy": 1, "desiredHealthy": 1, "expectedPods": 1}),
                    ),
                ],
                want: Some(
                    json!({"disruptionsAllowed": 1, "currentHealthy": 4, "desiredHealthy": 3,
                                  "expectedPods": 4, "disruptedPods": {"m1/p1": "2024-01-01T00:00:00Z"}}),
                ),
            },
            Case {
                name: "hpa",
                template: template(
                    "autoscaling/v2",
                    "HorizontalPodAutoscaler",
                    1,
                    json!({}),
                    json!({}),
                ),
                statuses: vec![
                    ("m1", json!({"currentReplicas": 2, "desiredReplicas": 3})),
                    ("m2", json!({"desiredReplicas": 1})),
                ],
                want: Some(json!({"currentReplicas": 2, "desiredReplicas": 4})),
            },
            Case {
                name: "kinds without a rule are not aggregated",
                template: template("v1", "ConfigMap", 1, json!({}), json!({"x": 1})),
                statuses: vec![("m1", json!({"x": 2}))],
                want: None,
            },
        ];
        for case in cases {
            let statuses: Vec<ClusterStatus<'_>> = case
                .statuses
                .iter()
                .map(|(cluster, status)| ClusterStatus { cluster, status })
                .collect();
            assert_eq!(
                aggregate_status(&case.template, &statuses),
                case.want,
                "{}",
                case.name
            );
        }
    }

    #[test]
    fn aggregate_job_conditions() {
        let complete = |start: &str, end: &str| {
            json!({"succeeded": 1, "startTime": start, "completionTime": end,
                   "conditions": [{"type": "Complete", "status": "True"},
                                  {"type": "SuccessCriteriaMet", "status": "True"}]})
        };
        let m1 = complete("2024-01-01T00:00:00Z", "2024-01-01T00:01:00Z");
        let m2 = complete("2024-01-01T00:00:10Z", "2024-01-01T00:02:00Z");
        let template = template("batch/v1", "Job", 1, json!({}), json!({}));
        let statuses = [
            ClusterStatus {
                cluster: "m1",
                status: &m1,
            },
            ClusterStatus {
                cluster: "m2",
                status: &m2,
            },
        ];
        let status = aggregate_status(&template, &statuses).expect("jobs are aggregated");
        assert_eq!(status["succeeded"], 2);
        assert_eq!(status["startTime"], "2024-01-01T00:00:00Z");
        assert_eq!(status["completionTime"], "2024-01-01T00:02:00Z");
        let types: Vec<&str> = status["conditions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["type"].as_str().unwrap())
            .collect();
        assert_eq!(types, ["Complete", "SuccessCriteriaMet"]);

        // Once written, the finished Job is final: recomputing gives the written status back.
        let mut written = template.clone();
        written["status"] = status.clone();
        assert_eq!(aggregate_status(&written, &[]), Some(status));

        let failed = json!({"failed": 1, "conditions": [{"type": "Failed", "status": "True"}]});
        let statuses = [
            ClusterStatus {
                cluster: "m1",
                status: &m1,
            },
            ClusterStatus {
                cluster: "m2",
                status: &failed,
            },
        ];
        let status = aggregate_status(&template, &statuses).unwrap();
        let conditions = status["conditions"].as_array().unwrap();
        assert_eq!(conditions.len(), 1);
        assert_eq!(conditions[0]["type"], "Failed");
        assert_eq!(conditions[0]["reason"], "JobFailed");
        assert!(conditions[0]["message"].as_str().unwrap().contains("m2"));
        assert!(status.get("completionTime").is_none(), "m2 never completed");
    }
}
