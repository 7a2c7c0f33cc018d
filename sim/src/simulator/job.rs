//! The Job controller: runs up to `parallelism` pods until `completions` of them have succeeded
//! (without `completions`, until one has and the rest have finished; `Indexed` jobs run one pod
//! per completion index), then marks the Job `Complete`. `suspend` stops the pods and
//! `activeDeadlineSeconds` fails the Job when it runs too long. `.status`: startTime, active,
//! ready, succeeded, completedIndexes, completionTime and the conditions kube writes. The
//! kubelet makes every Job pod succeed, so `backoffLimit` never comes into play.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::Pod;
use kube::ResourceExt;
use kube::api::Api;
use serde_json::{Map, Value, json};
use tracing::info;

use super::pods::{self, Naming};
use super::status::{self, Condition, nonzero, put};
use super::{Sim, get};
use crate::Key;

pub const NAME: &str = "jobs";

const INDEX_ANNOTATION: &str = "batch.kubernetes.io/job-completion-index";
const INDEX_LABEL: &str = "batch.kubernetes.io/job-completion-index";

fn index_of(pod: &Pod) -> Option<i32> {
    pod.annotations().get(INDEX_ANNOTATION)?.parse().ok()
}

fn is_finished(status: &Value) -> bool {
    ["Complete", "Failed"].iter().any(|t| {
        status::find_condition(status, t)
            .and_then(|c| c.get("status"))
            .and_then(Value::as_str)
            == Some("True")
    })
}

/// kube's `completedIndexes`: sorted indexes as ranges, `1,3-5,7`.
pub fn compress_indexes(indexes: &BTreeSet<i32>) -> String {
    let mut parts = Vec::new();
    let mut iter = indexes.iter().copied().peekable();
    while let Some(first) = iter.next() {
        let mut last = first;
        while iter.peek() == Some(&(last + 1)) {
            last += 1;
            iter.next();
        }
        parts.push(if first == last {
            first.to_string()
        } else {
            format!("{first}-{last}")
        });
    }
    parts.join(",")
}

fn job_condition(type_: &str, reason: &str, message: &str, old: &Value, now: &str) -> Value {
    let mut c = Condition {
        type_,
        status: "True",
        reason,
        message,
    }
    .render(old, false, false, now);
    let probe = c["lastTransitionTime"].clone();
    c["lastProbeTime"] = probe;
    c
}

pub async fn reconcile(sim: &Arc<Sim>, key: &Key) -> Result<Option<Duration>, kube::Error> {
    let Some(job) = get(&sim.jobs, key) else {
        return Ok(None);
    };
    if pods::is_deleting(&job.metadata) {
        return Ok(None);
    }
    let old = status::status_of(&job.status);
    if is_finished(&old) {
        return Ok(None);
    }
    let uid = job.uid().unwrap_or_default();
    let spec = job.spec.clone().unwrap_or_default();
    let parallelism = spec.parallelism.unwrap_or(1).max(0);
    let completions = spec.completions;
    let suspended = spec.suspend.unwrap_or(false);
    let indexed = spec.completion_mode.as_deref() == Some("Indexed");
    let now_ts = Timestamp::now();
    let now = status::format_time(now_ts);

    let (owned, pending) = sim.owned_pods(&uid);
    let mut active: Vec<Arc<Pod>> = owned
        .iter()
        .filter(|p| pods::is_active(p))
        .cloned()
        .collect();
    let succeeded_pods: Vec<&Arc<Pod>> = owned
        .iter()
        .filter(|p| pods::phase(p) == "Succeeded")
        .collect();
    let failed = owned.iter().filter(|p| pods::phase(p) == "Failed").count() as i64;
    let succeeded_indexes: BTreeSet<i32> = succeeded_pods
        .iter()
        .filter_map(|p| index_of(p))
        .filter(|i| completions.is_none_or(|c| *i < c))
        .collect();
    let succeeded = if indexed {
        succeeded_indexes.len() as i64
    } else {
        succeeded_pods.len() as i64
    };
    let in_flight = active.len() as i64 + pending.len() as i64;
    let start_time = old
        .get("startTime")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| (!suspended).then(|| now.clone()));

    let mut conditions: Vec<Value> = Vec::new();
    let mut completion_time = None;
    let mut wait = None;
    let complete = match completions {
        Some(c) => succeeded >= i64::from(c),
        None => succeeded >= 1 && in_flight == 0,
    };
    let deadline_passed = match (spec.active_deadline_seconds, start_time.as_deref()) {
        (Some(limit), Some(start)) if !suspended => match start.parse::<Timestamp>() {
            Ok(start) => {
                let elapsed = start.duration_until(now_ts);
                let limit = jiff::SignedDuration::from_secs(limit);
                if elapsed >= limit {
                    true
                } else {
                    wait = (limit - elapsed).try_into().ok();
                    false
                }
            }
            Err(_) => false,
        },
        _ => false,
    };

    if complete {
        for p in &active {
            pods::delete(sim, p, Some(&uid)).await?;
        }
        active.clear();
        let message = "Reached expected number of succeeded pods";
        conditions.push(job_condition(
            "SuccessCriteriaMet",
            "CompletionsReached",
            message,
            &old,
            &now,
        ));
        conditions.push(job_condition(
            "Complete",
            "CompletionsReached",
            message,
            &old,
            &now,
        ));
        completion_time = Some(now.clone());
        info!(job = %key, succeeded, "job complete");
    } else if deadline_passed {
        for p in &active {
            pods::delete(sim, p, Some(&uid)).await?;
        }
        active.clear();
        let message = "Job was active longer than specified deadline";
        conditions.push(job_condition(
            "FailureTarget",
            "DeadlineExceeded",
            message,
            &old,
            &now,
        ));
        conditions.push(job_condition(
            "Failed",
            "DeadlineExceeded",
            message,
            &old,
            &now,
        ));
        info!(job = %key, "job failed: deadline exceeded");
    } else if suspended {
        for p in &active {
            pods::delete(sim, p, Some(&uid)).await?;
        }
        active.clear();
        conditions.push(job_condition(
            "Suspended",
            "JobSuspended",
            "Job suspended",
            &old,
            &now,
        ));
    } else {
        let want = match completions {
            Some(c) => (i64::from(c) - succeeded).min(i64::from(parallelism)),
            None if succeeded >= 1 => 0,
            None => i64::from(parallelism),
        }
        .max(0);
        if in_flight < want {
            let template = spec.template.clone();
            let owner = pods::owner_ref(job.as_ref());
            let mut indexes: Vec<Option<i32>> = Vec::new();
            if indexed {
                let taken: BTreeSet<i32> = active
                    .iter()
                    .filter_map(|p| index_of(p))
                    .chain(pending.iter().filter_map(|(_, tag)| tag.parse().ok()))
                    .chain(succeeded_indexes.iter().copied())
                    .collect();
                indexes.extend(
                    (0..completions.unwrap_or(0))
                        .filter(|i| !taken.contains(i))
                        .take((want - in_flight) as usize)
                        .map(Some),
                );
            } else {
                indexes.extend((in_flight..want).map(|_| None));
            }
            for index in indexes {
                let (prefix, annotations, labels) = match index {
                    Some(i) => (
                        format!("{}-{i}-", key.name),
                        BTreeMap::from([(INDEX_ANNOTATION.to_owned(), i.to_string())]),
                        BTreeMap::from([(INDEX_LABEL.to_owned(), i.to_string())]),
                    ),
                    None => (format!("{}-", key.name), BTreeMap::new(), BTreeMap::new()),
                };
                let mut pod = pods::from_template(
                    &template,
                    &key.namespace,
                    owner.clone(),
                    Naming::Generate(prefix),
                    labels,
                    annotations,
                );
                if let (Some(i), Some(spec)) = (index, pod.spec.as_mut()) {
                    spec.hostname = Some(format!("{}-{i}", key.name));
                }
                let tag = index.map(|i| i.to_string()).unwrap_or_default();
                pods::create(sim, pod, &uid, &tag).await?;
            }
        } else if active.len() as i64 > want {
            pods::sort_for_deletion(&mut active);
            let surplus = active.len() - want as usize;
            for p in active.iter().take(surplus) {
                pods::delete(sim, p, Some(&uid)).await?;
            }
        }
    }

    let mut new = Map::new();
    put(&mut new, "startTime", start_time);
    put(&mut new, "completionTime", completion_time);
    put(
        &mut new,
        "active",
        nonzero(active.iter().filter(|p| pods::is_active(p)).count() as i64),
    );
    put(&mut new, "succeeded", nonzero(succeeded));
    put(&mut new, "failed", nonzero(failed));
    new.insert(
        "ready".into(),
        json!(active.iter().filter(|p| pods::is_ready(p)).count()),
    );
    new.insert("terminating".into(), json!(0));
    new.insert("uncountedTerminatedPods".into(), json!({}));
    if indexed && !succeeded_indexes.is_empty() {
        new.insert(
            "completedIndexes".into(),
            json!(compress_indexes(&succeeded_indexes)),
        );
    }
    if !conditions.is_empty() {
        new.insert("conditions".into(), Value::Array(conditions));
    }
    let api: Api<Job> = Api::namespaced(sim.client.clone(), &key.namespace);
    status::write_status(&api, &key.name, &old, &Value::Object(new)).await?;
    Ok(wait)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completed_indexes_compress_to_ranges() {
        let cases: [(&[i32], &str); 4] = [
            (&[], ""),
            (&[0], "0"),
            (&[0, 1, 2, 4], "0-2,4"),
            (&[1, 3, 4, 5, 7], "1,3-5,7"),
        ];
        for (indexes, want) in cases {
            let set: BTreeSet<i32> = indexes.iter().copied().collect();
            assert_eq!(compress_indexes(&set), want, "{indexes:?}");
        }
    }
}
