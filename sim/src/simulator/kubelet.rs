//! The kubelet of every node: a pod bound to an existing node becomes Running and Ready — with
//! its conditions, container statuses, pod IP, host IP and start time — once the pod-ready
//! delay has passed since the kubelet first saw it bound. A Job's pod then runs to completion
//! (`Succeeded`, containers terminated with exit code 0) after as long again; other pods run
//! until they are deleted.

use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{Container, Node, Pod, PodSpec};
use kube::ResourceExt;
use kube::api::Api;
use serde_json::{Value, json};
use tracing::{debug, warn};

use super::status::{self, Condition};
use super::{Sim, format_ipv4, get, pods};
use crate::Key;
use crate::resources::parse;

pub const NAME: &str = "kubelet";

/// What the kubelet did for one pod (what its writes did, before the watch shows them).
#[derive(Debug, Clone, Copy)]
pub struct Record {
    pub bound_at: Instant,
    pub started: bool,
    pub completed: bool,
}

/// Whether the kubelet still has something to do for this bound pod.
pub fn has_work(pod: &Pod) -> bool {
    pods::is_active(pod) && (!is_started(pod) || is_job_pod(pod))
}

fn is_started(pod: &Pod) -> bool {
    pods::is_running_and_ready(pod)
        && pod
            .status
            .as_ref()
            .and_then(|s| s.pod_ip.as_ref())
            .is_some()
}

fn is_job_pod(pod: &Pod) -> bool {
    pods::controller_of(&pod.metadata)
        .is_some_and(|r| r.api_version == "batch/v1" && r.kind == "Job")
}

pub async fn reconcile(sim: &Arc<Sim>, key: &Key) -> Result<Option<Duration>, kube::Error> {
    let Some(pod) = get(&sim.pods, key) else {
        return Ok(None);
    };
    let Some(node_name) = pod.spec.as_ref().and_then(|s| s.node_name.clone()) else {
        return Ok(None);
    };
    if !pods::is_active(&pod) {
        return Ok(None);
    }
    let Some(node) = get(&sim.nodes, &Key::cluster(&node_name)) else {
        return Ok(None);
    };
    let delay = sim.opts.pod_ready_delay;
    let record = *sim
        .state()
        .kubelet
        .entry(key.clone())
        .or_insert_with(|| Record {
            bound_at: Instant::now(),
            started: false,
            completed: false,
        });
    let elapsed = record.bound_at.elapsed();
    if !is_started(&pod) {
        if record.started {
            // Written already; the watch has not caught up.
            return Ok(None);
        }
        if elapsed < delay {
            return Ok(Some(delay - elapsed));
        }
        start(sim, &pod, &node).await?;
        if let Some(r) = sim.state().kubelet.get_mut(key) {
            r.started = true;
        }
        return Ok(is_job_pod(&pod).then_some(delay));
    }
    if is_job_pod(&pod) && !record.completed {
        let done_at = delay * 2;
        if elapsed < done_at {
            return Ok(Some(done_at - elapsed));
        }
        complete(sim, &pod).await?;
        if let Some(r) = sim.state().kubelet.get_mut(key) {
            r.completed = true;
        }
    }
    Ok(None)
}

fn container_id(pod: &Pod, index: usize) -> String {
    let uid = pod.uid().unwrap_or_default().replace('-', "");
    format!("containerd://{uid}{index:032x}")
}

/// kube's QoS class: Guaranteed when every container's CPU and memory limits equal its
/// requests, BestEffort when nothing asks for anything, Burstable otherwise.
pub fn qos_class(spec: &PodSpec) -> &'static str {
    let all: Vec<&Container> = spec
        .containers
        .iter()
        .chain(spec.init_containers.iter().flatten())
        .collect();
    let mut any = false;
    let mut guaranteed = true;
    for c in all {
        let requests = c
            .resources
            .as_ref()
            .and_then(|r| r.requests.clone())
            .unwrap_or_default();
        let limits = c
            .resources
            .as_ref()
            .and_then(|r| r.limits.clone())
            .unwrap_or_default();
        for name in ["cpu", "memory"] {
            let req = requests.get(name).and_then(|q| parse(&q.0));
            let lim = limits.get(name).and_then(|q| parse(&q.0));
            if req.is_some_and(|q| !q.is_zero()) || lim.is_some_and(|q| !q.is_zero()) {
                any = true;
            }
            match (req, lim) {
                (_, None) => guaranteed = false,
                (Some(r), Some(l)) if r != l => guaranteed = false,
                _ => {}
            }
        }
    }
    if !any {
        "BestEffort"
    } else if guaranteed {
        "Guaranteed"
    } else {
        "Burstable"
    }
}

fn host_ip(node: &Node) -> String {
    node.status
        .as_ref()
        .and_then(|s| s.addresses.as_ref())
        .and_then(|a| a.iter().find(|a| a.type_ == "InternalIP"))
        .map(|a| a.address.clone())
        .unwrap_or_default()
}

fn conditions(old: &Value, list: &[(&str, &str, &str)], now: &str) -> Value {
    Value::Array(
        list.iter()
            .map(|(type_, status_, reason)| {
                Condition {
                    type_,
                    status: status_,
                    reason,
                    message: "",
                }
                .render(old, false, false, now)
            })
            .collect(),
    )
}

/// Running and Ready.
async fn start(sim: &Sim, pod: &Pod, node: &Node) -> Result<(), kube::Error> {
    let key = Key::of(pod);
    let spec = pod.spec.clone().unwrap_or_default();
    let old = status::status_of(&pod.status);
    let now = status::now();
    let existing_ip = old.get("podIP").and_then(Value::as_str).map(str::to_owned);
    let (pod_ip, allocated) = match existing_ip {
        Some(ip) => (ip, None),
        None => match sim.state().pod_ips.allocate() {
            Some(ip) => (format_ipv4(ip), Some(ip)),
            None => {
                warn!(pod = %key, "the pod IP range is exhausted");
                (String::new(), None)
            }
        },
    };
    let host_ip = host_ip(node);
    let start_time = old
        .get("startTime")
        .and_then(Value::as_str)
        .unwrap_or(&now)
        .to_owned();
    let containers: Vec<Value> = spec
        .containers
        .iter()
        .enumerate()
        .map(|(i, c)| {
            json!({
                "name": c.name,
                "image": c.image.clone().unwrap_or_default(),
                "imageID": "",
                "containerID": container_id(pod, i),
                "ready": true,
                "started": true,
                "restartCount": 0,
                "state": {"running": {"startedAt": now}},
            })
        })
        .collect();
    let inits: Vec<Value> = spec
        .init_containers
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, c)| {
            let id = container_id(pod, spec.containers.len() + i);
            json!({
                "name": c.name,
                "image": c.image.clone().unwrap_or_default(),
                "imageID": "",
                "containerID": id,
                "ready": true,
                "started": false,
                "restartCount": 0,
                "state": {"terminated": {"exitCode": 0, "reason": "Completed",
                    "startedAt": now, "finishedAt": now, "containerID": id}},
            })
        })
        .collect();
    let mut new = json!({
        "phase": "Running",
        "conditions": conditions(&old, &[
            ("PodReadyToStartContainers", "True", ""),
            ("Initialized", "True", ""),
            ("Ready", "True", ""),
            ("ContainersReady", "True", ""),
            ("PodScheduled", "True", ""),
        ], &now),
        "hostIP": host_ip,
        "hostIPs": [{"ip": host_ip}],
        "startTime": start_time,
        "qosClass": qos_class(&spec),
        "containerStatuses": containers,
    });
    if !pod_ip.is_empty() {
        new["podIP"] = json!(pod_ip);
        new["podIPs"] = json!([{"ip": pod_ip}]);
    }
    if !inits.is_empty() {
        new["initContainerStatuses"] = Value::Array(inits);
    }
    let api: Api<Pod> = Api::namespaced(sim.client.clone(), &key.namespace);
    match status::write_status(&api, &key.name, &old, &new).await {
        Ok(_) => {
            debug!(pod = %key, ip = %pod_ip, "pod running");
            Ok(())
        }
        Err(err) => {
            if let Some(ip) = allocated {
                sim.state().pod_ips.release(ip);
            }
            Err(err)
        }
    }
}

/// Succeeded: every container exited 0.
async fn complete(sim: &Sim, pod: &Pod) -> Result<(), kube::Error> {
    let key = Key::of(pod);
    let spec = pod.spec.clone().unwrap_or_default();
    let old = status::status_of(&pod.status);
    let now = status::now();
    let mut new = old.clone();
    let started = |i: usize| {
        old.pointer(&format!("/containerStatuses/{i}/state/running/startedAt"))
            .and_then(Value::as_str)
            .unwrap_or(&now)
            .to_owned()
    };
    let containers: Vec<Value> = spec
        .containers
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let id = container_id(pod, i);
            json!({
                "name": c.name,
                "image": c.image.clone().unwrap_or_default(),
                "imageID": "",
                "containerID": id,
                "ready": false,
                "started": false,
                "restartCount": 0,
                "state": {"terminated": {"exitCode": 0, "reason": "Completed",
                    "startedAt": started(i), "finishedAt": now, "containerID": id}},
            })
        })
        .collect();
    new["phase"] = json!("Succeeded");
    new["containerStatuses"] = Value::Array(containers);
    new["conditions"] = conditions(
        &old,
        &[
            ("PodReadyToStartContainers", "False", ""),
            ("Initialized", "True", "PodCompleted"),
            ("Ready", "False", "PodCompleted"),
            ("ContainersReady", "False", "PodCompleted"),
            ("PodScheduled", "True", ""),
        ],
        &now,
    );
    let api: Api<Pod> = Api::namespaced(sim.client.clone(), &key.namespace);
    status::write_status(&api, &key.name, &old, &new).await?;
    debug!(pod = %key, "pod succeeded");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::ResourceRequirements;
    use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

    #[test]
    fn qos_classes_follow_kube() {
        let c = |req: &[(&str, &str)], lim: &[(&str, &str)]| {
            let m = |l: &[(&str, &str)]| {
                (!l.is_empty()).then(|| {
                    l.iter()
                        .map(|(k, v)| (k.to_string(), Quantity(v.to_string())))
                        .collect()
                })
            };
            Container {
                name: "c".into(),
                resources: Some(ResourceRequirements {
                    requests: m(req),
                    limits: m(lim),
                    ..Default::default()
                }),
                ..Default::default()
            }
        };
        let cases = [
            ("nothing", c(&[], &[]), "BestEffort"),
            ("requests only", c(&[("cpu", "1")], &[]), "Burstable"),
            (
                "limits equal requests",
                c(
                    &[("cpu", "1"), ("memory", "1Gi")],
                    &[("cpu", "1"), ("memory", "1Gi")],
                ),
                "Guaranteed",
            ),
            (
                "limits only (requests default to them)",
                c(&[], &[("cpu", "1"), ("memory", "1Gi")]),
                "Guaranteed",
            ),
        ];
        for (name, container, want) in cases {
            let spec = PodSpec {
                containers: vec![container],
                ..Default::default()
            };
            assert_eq!(qos_class(&spec), want, "{name}");
        }
    }
}
