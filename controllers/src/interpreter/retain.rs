//! Retain (Karmada's `InterpreterOperationRetain`): fields that the member cluster owns — values
//! its apiserver allocated or its controllers set — copied from the live member object into the
//! manifest before it is applied, so that applying the federation's copy neither resets them nor
//! shows up as a difference.
//!
//! Per kind, as Karmada's native interpreter and kubefed's dispatcher do:
//!
//! * Deployment: `spec.replicas`, when the manifest is labelled
//!   `resourcetemplate.karmada.io/retain-replicas: "true"` (an HPA in the member scales it);
//! * Service: `spec.clusterIP`, `spec.clusterIPs`, `spec.healthCheckNodePort`, and each port's
//!   `nodePort` (ports matched by name, protocol and port);
//! * ServiceAccount: `secrets`, unless the manifest lists some;
//! * PersistentVolumeClaim: `spec.volumeName`; PersistentVolume: `spec.claimRef`;
//! * Pod: `spec.nodeName`, `spec.serviceAccountName`, `spec.volumes`, and each (init)
//!   container's `volumeMounts`;
//! * Job: `spec.selector.matchLabels` and `spec.template.metadata.labels` (the generated
//!   `controller-uid` selector);
//! * Secret of type `kubernetes.io/service-account-token`: `data` and the
//!   `kubernetes.io/service-account.uid` annotation (filled in by the member's token controller).

use flotilla_api::labels;
use serde_json::{Map, Value};

/// The annotation a service-account token Secret carries with the UID of its ServiceAccount.
const SERVICE_ACCOUNT_UID: &str = "kubernetes.io/service-account.uid";
/// The Secret type whose token the member cluster fills in.
const SERVICE_ACCOUNT_TOKEN_TYPE: &str = "kubernetes.io/service-account-token";

/// Keeps member-owned fields of `live` in `desired` before it is applied (Karmada's Retain),
/// e.g. a Deployment's replicas when the template says `retain-replicas`. Kinds without a rule
/// are left as they are.
pub fn retain(desired: &mut Value, live: &Value) {
    let api_version = desired
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    let kind = desired
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default();
    match (group, kind) {
        ("apps", "Deployment") => retain_replicas(desired, live),
        ("", "Service") => retain_service(desired, live),
        ("", "ServiceAccount") => retain_service_account(desired, live),
        ("", "PersistentVolumeClaim") => copy_nonempty(desired, live, &["spec", "volumeName"]),
        ("", "PersistentVolume") => copy_nonempty(desired, live, &["spec", "claimRef"]),
        ("", "Pod") => retain_pod(desired, live),
        ("batch", "Job") => retain_job(desired, live),
        ("", "Secret") => retain_token_secret(desired, live),
        _ => {}
    }
}

fn get<'a>(value: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(value, |v, key| v.get(*key))
}

/// The object at `path` in `value`, created (replacing non-objects) on the way.
fn object_at<'a>(value: &'a mut Value, path: &[&str]) -> &'a mut Map<String, Value> {
    let mut current = value;
    for key in path {
        if !current.is_object() {
            *current = Value::Object(Map::new());
        }
        current = current
            .as_object_mut()
            .expect("made an object above")
            .entry(*key)
            .or_insert_with(|| Value::Object(Map::new()));
    }
    if !current.is_object() {
        *current = Value::Object(Map::new());
    }
    current.as_object_mut().expect("made an object above")
}

fn set(value: &mut Value, path: &[&str], new: Value) {
    let (last, parents) = path.split_last().expect("a non-empty path");
    object_at(value, parents).insert((*last).to_owned(), new);
}

fn remove(value: &mut Value, path: &[&str]) {
    let (last, parents) = path.split_last().expect("a non-empty path");
    if let Some(parent) = get_mut(value, parents).and_then(Value::as_object_mut) {
        parent.remove(*last);
    }
}

fn get_mut<'a>(value: &'a mut Value, path: &[&str]) -> Option<&'a mut Value> {
    path.iter().try_fold(value, |v, key| v.get_mut(*key))
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::Bool(_) => false,
    }
}

/// Copies the live value at `path` into `desired` when the live one is set (non-empty).
fn copy_nonempty(desired: &mut Value, live: &Value, path: &[&str]) {
    if let Some(v) = get(live, path).filter(|v| !is_empty(v)) {
        set(desired, path, v.clone());
    }
}

/// Makes `desired` carry exactly the live value at `path`: copied when set, removed when not.
fn copy_exact(desired: &mut Value, live: &Value, path: &[&str]) {
    match get(live, path).filter(|v| !v.is_null()) {
        Some(v) => set(desired, path, v.clone()),
        None => remove(desired, path),
    }
}

fn retain_replicas(desired: &mut Value, live: &Value) {
    let retained = get(desired, &["metadata", "labels", labels::RETAIN_REPLICAS])
        .and_then(Value::as_str)
        == Some("true");
    if retained && let Some(replicas) = get(live, &["spec", "replicas"]).filter(|v| v.is_number()) {
        set(desired, &["spec", "replicas"], replicas.clone());
    }
}

fn retain_service(desired: &mut Value, live: &Value) {
    copy_nonempty(desired, live, &["spec", "clusterIP"]);
    copy_nonempty(desired, live, &["spec", "clusterIPs"]);
    if get(live, &["spec", "healthCheckNodePort"])
        .and_then(Value::as_i64)
        .is_some_and(|port| port > 0)
    {
        copy_nonempty(desired, live, &["spec", "healthCheckNodePort"]);
    }
    let Some(live_ports) = get(live, &["spec", "ports"]).and_then(Value::as_array) else {
        return;
    };
    let Some(ports) = get_mut(desired, &["spec", "ports"]).and_then(Value::as_array_mut) else {
        return;
    };
    // The protocol defaults to TCP, so a manifest that leaves it out still matches the port the
    // member reports with `protocol: TCP`.
    let protocol = |p: &Value| {
        p.get("protocol")
            .and_then(Value::as_str)
            .unwrap_or("TCP")
            .to_owned()
    };
    let same_port = |a: &Value, b: &Value| {
        a.get("name") == b.get("name")
            && a.get("port") == b.get("port")
            && protocol(a) == protocol(b)
    };
    for port in ports.iter_mut() {
        let node_port = live_ports
            .iter()
            .find(|lp| same_port(port, lp))
            .and_then(|lp| lp.get("nodePort"))
            .filter(|np| !is_empty(np))
            .cloned();
        if let (Some(node_port), Some(port)) = (node_port, port.as_object_mut()) {
            port.insert("nodePort".to_owned(), node_port);
        }
    }
}

fn retain_service_account(desired: &mut Value, live: &Value) {
    if get(desired, &["secrets"]).is_some_and(|s| !is_empty(s)) {
        return;
    }
    copy_nonempty(desired, live, &["secrets"]);
}

fn retain_pod(desired: &mut Value, live: &Value) {
    copy_exact(desired, live, &["spec", "nodeName"]);
    copy_exact(desired, live, &["spec", "serviceAccountName"]);
    copy_exact(desired, live, &["spec", "volumes"]);
    for list in ["containers", "initContainers"] {
        let Some(live_containers) = get(live, &["spec", list]).and_then(Value::as_array) else {
            continue;
        };
        let Some(containers) = get_mut(desired, &["spec", list]).and_then(Value::as_array_mut)
        else {
            continue;
        };
        for container in containers.iter_mut() {
            let Some(live_container) = live_containers
                .iter()
                .find(|c| c.get("name").is_some() && c.get("name") == container.get("name"))
            else {
                continue;
            };
            copy_exact(container, live_container, &["volumeMounts"]);
        }
    }
}

fn retain_job(desired: &mut Value, live: &Value) {
    for path in [
        &["spec", "selector", "matchLabels"][..],
        &["spec", "template", "metadata", "labels"][..],
    ] {
        if let Some(v) = get(live, path).filter(|v| v.is_object()) {
            set(desired, path, v.clone());
        }
    }
}

fn retain_token_secret(desired: &mut Value, live: &Value) {
    if desired.get("type").and_then(Value::as_str) != Some(SERVICE_ACCOUNT_TOKEN_TYPE) {
        return;
    }
    copy_nonempty(desired, live, &["data"]);
    copy_nonempty(
        desired,
        live,
        &["metadata", "annotations", SERVICE_ACCOUNT_UID],
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct Case {
        name: &'static str,
        desired: Value,
        live: Value,
        want: Value,
    }

    fn check(cases: Vec<Case>) {
        for case in cases {
            let mut got = case.desired.clone();
            retain(&mut got, &case.live);
            assert_eq!(got, case.want, "case {}", case.name);
        }
    }

    #[test]
    fn deployments_keep_member_replicas_only_when_labelled() {
        let deployment = |labels: Value, replicas: Option<i64>| {
            let mut d = json!({
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "nginx", "labels": labels},
                "spec": {"template": {}},
            });
            if let Some(r) = replicas {
                d["spec"]["replicas"] = json!(r);
            }
            d
        };
        let retained = json!({labels::RETAIN_REPLICAS: "true"});
        check(vec![
            Case {
                name: "labelled: the member's replicas win",
                desired: deployment(retained.clone(), Some(2)),
                live: deployment(json!({}), Some(4)),
                want: deployment(retained.clone(), Some(4)),
            },
            Case {
                name: "not labelled: the federation's replicas win",
                desired: deployment(json!({}), Some(2)),
                live: deployment(json!({}), Some(4)),
                want: deployment(json!({}), Some(2)),
            },
            Case {
                name: "label not \"true\"",
                desired: deployment(json!({labels::RETAIN_REPLICAS: "false"}), Some(2)),
                live: deployment(json!({}), Some(4)),
                want: deployment(json!({labels::RETAIN_REPLICAS: "false"}), Some(2)),
            },
            Case {
                name: "labelled, but the member has no replicas",
                desired: deployment(retained.clone(), Some(2)),
                live: deployment(json!({}), None),
                want: deployment(retained, Some(2)),
            },
        ]);
    }

    #[test]
    fn services_keep_allocated_addresses_and_ports() {
        check(vec![
            Case {
                name: "cluster IPs, health check port and node ports",
                desired: json!({
                    "apiVersion": "v1", "kind": "Service",
                    "spec": {"type": "LoadBalancer", "ports": [
                        {"name": "http", "port": 80},
                        {"name": "dns", "port": 53, "protocol": "UDP"},
                        {"name": "new", "port": 8080},
                    ]},
                }),
                live: json!({
                    "apiVersion": "v1", "kind": "Service",
                    "spec": {
                        "type": "LoadBalancer",
                        "clusterIP": "10.0.0.7", "clusterIPs": ["10.0.0.7"],
                        "healthCheckNodePort": 31000,
                        "ports": [
                            {"name": "http", "port": 80, "protocol": "TCP", "nodePort": 30080},
                            {"name": "dns", "port": 53, "protocol": "UDP", "nodePort": 30053},
                        ],
                    },
                }),
                want: json!({
                    "apiVersion": "v1", "kind": "Service",
                    "spec": {
                        "type": "LoadBalancer",
                        "clusterIP": "10.0.0.7", "clusterIPs": ["10.0.0.7"],
                        "healthCheckNodePort": 31000,
                        "ports": [
                            {"name": "http", "port": 80, "nodePort": 30080},
                            {"name": "dns", "port": 53, "protocol": "UDP", "nodePort": 30053},
                            {"name": "new", "port": 8080},
                        ],
                    },
                }),
            },
            Case {
                name: "nothing allocated yet",
                desired: json!({"apiVersion": "v1", "kind": "Service", "spec": {"ports": [{"port": 80}]}}),
                live: json!({"apiVersion": "v1", "kind": "Service", "spec": {"clusterIP": "", "healthCheckNodePort": 0}}),
                want: json!({"apiVersion": "v1", "kind": "Service", "spec": {"ports": [{"port": 80}]}}),
            },
            Case {
                name: "a port with another protocol is another port",
                desired: json!({"apiVersion": "v1", "kind": "Service", "spec": {"ports": [{"port": 53, "protocol": "UDP"}]}}),
                live: json!({"apiVersion": "v1", "kind": "Service", "spec": {"ports": [{"port": 53, "nodePort": 30053}]}}),
                want: json!({"apiVersion": "v1", "kind": "Service", "spec": {"ports": [{"port": 53, "protocol": "UDP"}]}}),
            },
        ]);
    }

    #[test]
    fn service_accounts_volumes_and_claims() {
        check(vec![
            Case {
                name: "service account secrets kept when the manifest has none",
                desired: json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "sa"}}),
                live: json!({"apiVersion": "v1", "kind": "ServiceAccount", "secrets": [{"name": "sa-token-x"}]}),
                want: json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "sa"}, "secrets": [{"name": "sa-token-x"}]}),
            },
            Case {
                name: "service account secrets listed by the manifest win",
                desired: json!({"apiVersion": "v1", "kind": "ServiceAccount", "secrets": [{"name": "mine"}]}),
                live: json!({"apiVersion": "v1", "kind": "ServiceAccount", "secrets": [{"name": "sa-token-x"}]}),
                want: json!({"apiVersion": "v1", "kind": "ServiceAccount", "secrets": [{"name": "mine"}]}),
            },
            Case {
                name: "bound claim keeps its volume",
                desired: json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "spec": {"resources": {}}}),
                live: json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "spec": {"volumeName": "pv-1"}}),
                want: json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "spec": {"resources": {}, "volumeName": "pv-1"}}),
            },
            Case {
                name: "bound volume keeps its claim",
                desired: json!({"apiVersion": "v1", "kind": "PersistentVolume", "spec": {"claimRef": {"name": "a"}}}),
                live: json!({"apiVersion": "v1", "kind": "PersistentVolume", "spec": {"claimRef": {"name": "b"}}}),
                want: json!({"apiVersion": "v1", "kind": "PersistentVolume", "spec": {"claimRef": {"name": "b"}}}),
            },
        ]);
    }

    #[test]
    fn pods_keep_scheduling_and_injected_volumes() {
        check(vec![Case {
            name: "node, service account, volumes and mounts come from the member",
            desired: json!({
                "apiVersion": "v1", "kind": "Pod",
                "spec": {
                    "serviceAccountName": "desired",
                    "containers": [{"name": "app", "image": "nginx:2"}, {"name": "side", "image": "s"}],
                    "initContainers": [{"name": "init", "volumeMounts": [{"name": "x", "mountPath": "/x"}]}],
                },
            }),
            live: json!({
                "apiVersion": "v1", "kind": "Pod",
                "spec": {
                    "nodeName": "node-1",
                    "serviceAccountName": "default",
                    "volumes": [{"name": "token"}],
                    "containers": [{"name": "app", "image": "nginx:1", "volumeMounts": [{"name": "token", "mountPath": "/var/run"}]}],
                    "initContainers": [{"name": "init"}],
                },
            }),
            want: json!({
                "apiVersion": "v1", "kind": "Pod",
                "spec": {
                    "nodeName": "node-1",
                    "serviceAccountName": "default",
                    "volumes": [{"name": "token"}],
                    "containers": [
                        {"name": "app", "image": "nginx:2", "volumeMounts": [{"name": "token", "mountPath": "/var/run"}]},
                        {"name": "side", "image": "s"},
                    ],
                    "initContainers": [{"name": "init"}],
                },
            }),
        }]);
    }

    #[test]
    fn jobs_keep_their_generated_selector() {
        check(vec![
            Case {
                name: "selector and template labels from the member",
                desired: json!({
                    "apiVersion": "batch/v1", "kind": "Job",
                    "spec": {"template": {"metadata": {"labels": {"app": "pi"}}, "spec": {}}},
                }),
                live: json!({
                    "apiVersion": "batch/v1", "kind": "Job",
                    "spec": {
                        "selector": {"matchLabels": {"controller-uid": "u-1"}},
                        "template": {"metadata": {"labels": {"app": "pi", "controller-uid": "u-1", "job-name": "pi"}}},
                    },
                }),
                want: json!({
                    "apiVersion": "batch/v1", "kind": "Job",
                    "spec": {
                        "selector": {"matchLabels": {"controller-uid": "u-1"}},
                        "template": {"metadata": {"labels": {"app": "pi", "controller-uid": "u-1", "job-name": "pi"}}, "spec": {}},
                    },
                }),
            },
            Case {
                name: "nothing generated yet",
                desired: json!({"apiVersion": "batch/v1", "kind": "Job", "spec": {"template": {}}}),
                live: json!({"apiVersion": "batch/v1", "kind": "Job", "spec": {}}),
                want: json!({"apiVersion": "batch/v1", "kind": "Job", "spec": {"template": {}}}),
            },
        ]);
    }

    #[test]
    fn token_secrets_keep_the_member_token() {
        let secret = |ty: &str, token: &str, uid: Option<&str>| {
            let mut s = json!({
                "apiVersion": "v1", "kind": "Secret", "type": ty,
                "metadata": {"name": "t"},
                "data": {"token": token},
            });
            if let Some(uid) = uid {
                s["metadata"]["annotations"] = json!({SERVICE_ACCOUNT_UID: uid});
            }
            s
        };
        check(vec![
            Case {
                name: "service account token",
                desired: secret(SERVICE_ACCOUNT_TOKEN_TYPE, "ZmVk", None),
                live: secret(SERVICE_ACCOUNT_TOKEN_TYPE, "bWVtYmVy", Some("u-9")),
                want: secret(SERVICE_ACCOUNT_TOKEN_TYPE, "bWVtYmVy", Some("u-9")),
            },
            Case {
                name: "other secret types are the federation's",
                desired: secret("kubernetes.io/tls", "ZmVk", None),
                live: secret("kubernetes.io/tls", "bWVtYmVy", Some("u-9")),
                want: secret("kubernetes.io/tls", "ZmVk", None),
            },
        ]);
    }

    #[test]
    fn other_kinds_are_untouched() {
        check(vec![Case {
            name: "configmap",
            desired: json!({"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "1"}}),
            live: json!({"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "2"}}),
            want: json!({"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "1"}}),
        }]);
    }
}
