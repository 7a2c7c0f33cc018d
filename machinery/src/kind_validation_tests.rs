use super::*;
use crate::defaults::{apply_defaults, job_selector_defaults};
use proptest::prelude::*;
use serde_json::json;

/// One validation scenario. `obj` and `old` are defaulted as the server would before
/// validating; `want` holds prefixes of the expected messages (`"field: Kind"` at least), one per
/// expected error, in any order.
struct Case {
    name: &'static str,
    group: &'static str,
    kind: &'static str,
    obj: Value,
    old: Option<Value>,
    want: Vec<&'static str>,
}

fn case(name: &'static str, group: &'static str, kind: &'static str, obj: Value) -> Case {
    Case {
        name,
        group,
        kind,
        obj,
        old: None,
        want: Vec::new(),
    }
}

impl Case {
    fn old(mut self, old: Value) -> Self {
        self.old = Some(old);
        self
    }

    fn want(mut self, want: &[&'static str]) -> Self {
        self.want = want.to_vec();
        self
    }
}

/// The object as the server validates it: defaulted, and for a Job with the generated selector
/// (on update the client sends back what it read, which has it too).
fn defaulted(group: &str, kind: &str, mut obj: Value) -> Value {
    apply_defaults(group, kind, &mut obj);
    if group == "batch" && kind == "Job" {
        job_selector_defaults(&mut obj);
    }
    obj
}

fn errors_of(c: &Case) -> Vec<String> {
    let obj = defaulted(c.group, c.kind, c.obj.clone());
    let old = c.old.clone().map(|o| defaulted(c.group, c.kind, o));
    validate(c.group, c.kind, &obj, old.as_ref())
        .iter()
        .map(ToString::to_string)
        .collect()
}

fn run(cases: Vec<Case>) {
    let mut failures = Vec::new();
    for c in &cases {
        let got = errors_of(c);
        let mut unmatched: Vec<&String> = got.iter().collect();
        let mut missing = Vec::new();
        for w in &c.want {
            match unmatched.iter().position(|g| g.starts_with(w)) {
                Some(i) => {
                    unmatched.remove(i);
                }
                None => missing.push(*w),
            }
        }
        if !missing.is_empty() || !unmatched.is_empty() {
            failures.push(format!(
                "case {:?}:\n  missing: {missing:#?}\n  unexpected: {unmatched:#?}",
                c.name
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Sets the value at a JSON pointer, creating objects on the way.
fn set(mut v: Value, ptr: &str, val: Value) -> Value {
    let mut cur = &mut v;
    for seg in ptr.split('/').skip(1) {
        cur = match cur {
            Value::Array(a) => {
                let i: usize = seg.parse().expect("index");
                if i == a.len() {
                    a.push(Value::Null);
                }
                &mut a[i]
            }
            other => {
                if !other.is_object() {
                    *other = json!({});
                }
                other
                    .as_object_mut()
                    .expect("object")
                    .entry(seg)
                    .or_insert(Value::Null)
            }
        };
    }
    *cur = val;
    v
}

/// Removes the value at a JSON pointer.
fn del(mut v: Value, ptr: &str) -> Value {
    let (parent, key) = ptr.rsplit_once('/').expect("pointer");
    match v.pointer_mut(parent) {
        Some(Value::Object(m)) => {
            m.remove(key);
        }
        Some(Value::Array(a)) => {
            a.remove(key.parse::<usize>().expect("index"));
        }
        _ => panic!("no parent at {ptr}"),
    }
    v
}

// ---------------------------------------------------------------------------------------------
// Realistic manifests, one per kind.

fn container() -> Value {
    json!({
        "name": "web",
        "image": "nginx:1.27",
        "ports": [{"name": "http", "containerPort": 80}],
        "env": [
            {"name": "MODE", "value": "prod"},
            {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "CFG", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "mode"}}},
            {"name": "MEM", "valueFrom": {"resourceFieldRef": {"resource": "limits.memory"}}}
        ],
        "envFrom": [{"secretRef": {"name": "creds"}, "prefix": "APP_"}],
        "resources": {
            "requests": {"cpu": "250m", "memory": "64Mi"},
            "limits": {"cpu": "1", "memory": "128Mi"}
        },
        "volumeMounts": [
            {"name": "data", "mountPath": "/data"},
            {"name": "config", "mountPath": "/etc/app", "readOnly": true}
        ],
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": "http"}},
        "readinessProbe": {"tcpSocket": {"port": 80}, "periodSeconds": 5},
        "lifecycle": {"preStop": {"exec": {"command": ["sleep", "5"]}}},
        "securityContext": {"runAsUser": 1000, "allowPrivilegeEscalation": false}
    })
}

fn pod_spec_json() -> Value {
    json!({
        "containers": [container()],
        "initContainers": [{"name": "init", "image": "busybox", "command": ["true"]}],
        "volumes": [
            {"name": "data", "emptyDir": {"sizeLimit": "1Gi"}},
            {"name": "config", "configMap": {"name": "app-config", "items": [{"key": "a", "path": "a.conf"}]}},
            {"name": "tls", "secret": {"secretName": "tls", "defaultMode": 0o400}},
            {"name": "cache"}
        ],
        "nodeSelector": {"kubernetes.io/os": "linux"},
        "tolerations": [
            {"key": "dedicated", "operator": "Equal", "value": "web", "effect": "NoSchedule"},
            {"operator": "Exists"}
        ],
        "affinity": {
            "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a", "b"]}]}
            ]}},
            "podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
                {"weight": 50, "podAffinityTerm": {
                    "labelSelector": {"matchLabels": {"app": "web"}},
                    "topologyKey": "kubernetes.io/hostname"}}
            ]}
        },
        "topologySpreadConstraints": [
            {"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "ScheduleAnyway",
             "labelSelector": {"matchLabels": {"app": "web"}}}
        ],
        "serviceAccountName": "web",
        "priorityClassName": "high"
    })
}

fn template() -> Value {
    json!({"metadata": {"labels": {"app": "web", "tier": "frontend"}}, "spec": pod_spec_json()})
}

fn pod() -> Value {
    json!({"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
           "spec": pod_spec_json()})
}

fn deployment() -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
           "metadata": {"name": "web", "namespace": "default"},
           "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}}, "template": template()}})
}

fn replica_set() -> Value {
    set(deployment(), "/kind", json!("ReplicaSet"))
}

fn daemon_set() -> Value {
    json!({"apiVersion": "apps/v1", "kind": "DaemonSet",
           "metadata": {"name": "agent", "namespace": "kube-system"},
           "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": template()}})
}

fn stateful_set() -> Value {
    json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
    "metadata": {"name": "db", "namespace": "default"},
    "spec": {
        "serviceName": "db",
        "replicas": 3,
        "selector": {"matchLabels": {"app": "web"}},
        "template": set(template(), "/spec/containers/0/volumeMounts/2",
                        json!({"name": "pgdata", "mountPath": "/var/lib/postgresql"})),
        "volumeClaimTemplates": [{
            "metadata": {"name": "pgdata"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Gi"}}}
        }]
    }})
}

fn job() -> Value {
    json!({"apiVersion": "batch/v1", "kind": "Job",
    "metadata": {"name": "pi", "namespace": "default", "uid": "8f9c2a3e-1111-2222-3333-444455556666"},
    "spec": {"backoffLimit": 4, "completions": 3, "parallelism": 2,
             "template": {"spec": {"restartPolicy": "Never", "containers": [
                 {"name": "pi", "image": "perl:5.34", "command": ["perl", "-e", "print 1"]}
             ]}}}})
}

fn cron_job() -> Value {
    json!({"apiVersion": "batch/v1", "kind": "CronJob",
           "metadata": {"name": "report", "namespace": "default"},
           "spec": {"schedule": "*/5 * * * *", "timeZone": "Europe/Berlin",
                    "jobTemplate": {"spec": {"template": {"spec": {"restartPolicy": "OnFailure",
                        "containers": [{"name": "report", "image": "busybox", "args": ["date"]}]}}}}}})
}

fn service() -> Value {
    json!({"apiVersion": "v1", "kind": "Service",
           "metadata": {"name": "web", "namespace": "default"},
           "spec": {"selector": {"app": "web"},
                    "ports": [{"name": "http", "port": 80, "targetPort": "http"},
                              {"name": "https", "port": 443, "targetPort": 8443}]}})
}

fn allocated(svc: Value, ip: &str) -> Value {
    let svc = set(svc, "/spec/clusterIP", json!(ip));
    set(svc, "/spec/clusterIPs", json!([ip]))
}

fn config_map() -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "default"},
           "data": {"mode": "prod", "app.conf": "x=1"}, "binaryData": {"blob.bin": "AAEC"}})
}

fn secret() -> Value {
    json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds", "namespace": "default"},
           "data": {"password": "czNjcjN0"}, "stringData": {"username": "admin"}})
}

fn pvc() -> Value {
    json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
           "metadata": {"name": "data", "namespace": "default"},
           "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "standard",
                    "resources": {"requests": {"storage": "5Gi"}}}})
}

fn node() -> Value {
    json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-1"},
           "spec": {"podCIDR": "10.244.1.0/24", "podCIDRs": ["10.244.1.0/24"], "providerID": "kind://node-1",
                    "taints": [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]},
           "status": {"capacity": {"cpu": "4", "memory": "16Gi", "pods": "110"}}})
}

fn core_event() -> Value {
    json!({"apiVersion": "v1", "kind": "Event",
           "metadata": {"name": "web.17a", "namespace": "default"},
           "involvedObject": {"kind": "Pod", "name": "web", "namespace": "default"},
           "reason": "Scheduled", "message": "Successfully assigned default/web to node-1",
           "type": "Normal", "source": {"component": "default-scheduler"},
           "firstTimestamp": "2025-01-01T00:00:00Z", "lastTimestamp": "2025-01-01T00:00:00Z", "count": 1})
}

fn events_event() -> Value {
    json!({"apiVersion": "events.k8s.io/v1", "kind": "Event",
           "metadata": {"name": "web.17b", "namespace": "default"},
           "eventTime": "2025-01-01T00:00:00.000000Z",
           "reportingController": "example.com/operator", "reportingInstance": "operator-7d9",
           "action": "Reconcile", "reason": "Synced", "type": "Normal",
           "regarding": {"kind": "Pod", "name": "web", "namespace": "default"},
           "note": "all good"})
}

/// `events_event()` as the server stores it: core/v1 field names and a derived `source`.
fn events_event_stored() -> Value {
    json!({"apiVersion": "v1", "kind": "Event",
           "metadata": {"name": "web.17b", "namespace": "default"},
           "eventTime": "2025-01-01T00:00:00.000000Z",
           "reportingComponent": "example.com/operator", "reportingInstance": "operator-7d9",
           "action": "Reconcile", "reason": "Synced", "type": "Normal",
           "involvedObject": {"kind": "Pod", "name": "web", "namespace": "default"},
           "message": "all good", "source": {"component": "example.com/operator"}})
}

fn ingress() -> Value {
    json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
    "metadata": {"name": "web", "namespace": "default"},
    "spec": {"ingressClassName": "nginx",
             "tls": [{"hosts": ["example.com", "*.example.com"], "secretName": "tls"}],
             "rules": [{"host": "example.com", "http": {"paths": [
                 {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 80}}}},
                 {"path": "/api", "pathType": "Exact", "backend": {"service": {"name": "api", "port": {"name": "http"}}}}
             ]}}, {"host": "*.example.com", "http": {"paths": [
                 {"pathType": "ImplementationSpecific", "backend": {"resource": {"apiGroup": "example.com", "kind": "Bucket", "name": "static"}}}
             ]}}]}})
}

fn network_policy() -> Value {
    json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
           "metadata": {"name": "web", "namespace": "default"},
           "spec": {"podSelector": {"matchLabels": {"app": "web"}},
                    "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": "a"}}},
                                          {"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}],
                                 "ports": [{"protocol": "TCP", "port": 80}, {"port": "http"},
                                           {"port": 30000, "endPort": 32000}]}],
                    "egress": [{"to": [{"podSelector": {}}]}]}})
}

fn hpa() -> Value {
    json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
           "metadata": {"name": "web", "namespace": "default"},
           "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                    "minReplicas": 2, "maxReplicas": 10,
                    "metrics": [
                        {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}},
                        {"type": "Pods", "pods": {"metric": {"name": "rps"}, "target": {"type": "AverageValue", "averageValue": "100"}}}
                    ],
                    "behavior": {"scaleDown": {"stabilizationWindowSeconds": 300}}}})
}

fn role_binding() -> Value {
    json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
           "metadata": {"name": "read", "namespace": "default"},
           "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"},
           "subjects": [{"kind": "User", "name": "jane"}, {"kind": "Group", "name": "devs"},
                        {"kind": "ServiceAccount", "name": "ci", "namespace": "ci"}]})
}

fn cluster_role_binding() -> Value {
    json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
           "metadata": {"name": "admins"},
           "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
           "subjects": [{"kind": "ServiceAccount", "name": "ci", "namespace": "ci"}]})
}

const APPS: &str = "apps";
const BATCH: &str = "batch";
const NET: &str = "networking.k8s.io";

// ---------------------------------------------------------------------------------------------

#[test]
fn valid_objects_produce_no_errors() {
    let svc_types = [
        ("node port", set(service(), "/spec/type", json!("NodePort"))),
        (
            "load balancer with pinned node port",
            set(
                set(service(), "/spec/type", json!("LoadBalancer")),
                "/spec/ports/0/nodePort",
                json!(30080),
            ),
        ),
        (
            "headless",
            set(
                set(service(), "/spec/clusterIP", json!("None")),
                "/spec/clusterIPs",
                json!(["None"]),
            ),
        ),
        (
            "external name",
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "db", "namespace": "default"},
                   "spec": {"type": "ExternalName", "externalName": "db.example.com."}}),
        ),
        (
            "client IP affinity",
            set(service(), "/spec/sessionAffinity", json!("ClientIP")),
        ),
    ];
    let mut cases = vec![
        case("pod", "", "Pod", pod()),
        case(
            "pod template",
            "",
            "PodTemplate",
            json!({"apiVersion": "v1", "kind": "PodTemplate", "metadata": {"name": "t", "namespace": "default"},
                   "template": template()}),
        ),
        case(
            "replication controller",
            "",
            "ReplicationController",
            json!({"apiVersion": "v1", "kind": "ReplicationController",
                   "metadata": {"name": "rc", "namespace": "default"},
                   "spec": {"replicas": 2, "template": template()}}),
        ),
        case("service", "", "Service", allocated(service(), "10.96.0.10")),
        case("config map", "", "ConfigMap", config_map()),
        case("opaque secret", "", "Secret", secret()),
        case(
            "tls secret",
            "",
            "Secret",
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "tls", "namespace": "default"},
                   "type": "kubernetes.io/tls", "data": {"tls.crt": "Y2VydA==", "tls.key": "a2V5"}}),
        ),
        case(
            "docker config secret",
            "",
            "Secret",
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "reg", "namespace": "default"},
                   "type": "kubernetes.io/dockerconfigjson",
                   "data": {".dockerconfigjson": "eyJhdXRocyI6e319"}}),
        ),
        case(
            "basic auth secret",
            "",
            "Secret",
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "basic", "namespace": "default"},
                   "type": "kubernetes.io/basic-auth", "stringData": {"username": "u"}}),
        ),
        case(
            "namespace",
            "",
            "Namespace",
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"},
                   "spec": {"finalizers": ["kubernetes"]}}),
        ),
        case("node", "", "Node", node()),
        case("pvc", "", "PersistentVolumeClaim", pvc()),
        case(
            "resource quota",
            "",
            "ResourceQuota",
            json!({"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "q", "namespace": "default"},
                   "spec": {"hard": {"requests.cpu": "4", "limits.memory": "8Gi", "pods": "20",
                                     "count/deployments.apps": "5", "requests.nvidia.com/gpu": "2"},
                            "scopes": ["NotTerminating"]}}),
        ),
        case(
            "limit range",
            "",
            "LimitRange",
            json!({"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "lr", "namespace": "default"},
            "spec": {"limits": [
                {"type": "Container", "max": {"cpu": "2", "memory": "1Gi"}, "min": {"cpu": "100m"},
                 "default": {"cpu": "500m"}, "defaultRequest": {"cpu": "200m"},
                 "maxLimitRequestRatio": {"cpu": "10"}},
                {"type": "PersistentVolumeClaim", "max": {"storage": "10Gi"}, "min": {"storage": "1Gi"}}
            ]}}),
        ),
        case("core event", "", "Event", core_event()),
        case(
            "core event of a cluster-scoped object",
            "",
            "Event",
            set(
                del(core_event(), "/involvedObject/namespace"),
                "/involvedObject/kind",
                json!("Node"),
            ),
        ),
        case(
            "events.k8s.io event",
            "events.k8s.io",
            "Event",
            events_event(),
        ),
        case(
            "events.k8s.io event in stored form",
            "events.k8s.io",
            "Event",
            events_event_stored(),
        ),
        case(
            "events.k8s.io event with series",
            "events.k8s.io",
            "Event",
            set(
                events_event(),
                "/series",
                json!({"count": 2, "lastObservedTime": "2025-01-01T00:01:00.000000Z"}),
            ),
        ),
        case("deployment", APPS, "Deployment", deployment()),
        case(
            "recreate deployment",
            APPS,
            "Deployment",
            set(deployment(), "/spec/strategy", json!({"type": "Recreate"})),
        ),
        case("replica set", APPS, "ReplicaSet", replica_set()),
        case("daemon set", APPS, "DaemonSet", daemon_set()),
        case("stateful set", APPS, "StatefulSet", stateful_set()),
        case("job", BATCH, "Job", job()),
        case(
            "indexed job",
            BATCH,
            "Job",
            set(job(), "/spec/completionMode", json!("Indexed")),
        ),
        case("cron job", BATCH, "CronJob", cron_job()),
        case(
            "cron job with a descriptor",
            BATCH,
            "CronJob",
            set(cron_job(), "/spec/schedule", json!("@every 1h30m")),
        ),
        case(
            "cron job with names and steps",
            BATCH,
            "CronJob",
            set(
                cron_job(),
                "/spec/schedule",
                json!("0 9-17/2 1,15 JAN-jun mon-FRI"),
            ),
        ),
        case("ingress", NET, "Ingress", ingress()),
        case(
            "ingress with only a default backend",
            NET,
            "Ingress",
            json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "d", "namespace": "default"},
                   "spec": {"defaultBackend": {"service": {"name": "web", "port": {"number": 80}}}}}),
        ),
        case("network policy", NET, "NetworkPolicy", network_policy()),
        case(
            "role",
            RBAC_GROUP,
            "Role",
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                   "metadata": {"name": "reader", "namespace": "default"},
                   "rules": [{"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get", "list", "watch"]}]}),
        ),
        case(
            "cluster role",
            RBAC_GROUP,
            "ClusterRole",
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                   "metadata": {"name": "metrics"},
                   "rules": [{"nonResourceURLs": ["/metrics", "/healthz/*"], "verbs": ["get"]},
                             {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["*"]}]}),
        ),
        case(
            "aggregated cluster role",
            RBAC_GROUP,
            "ClusterRole",
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                   "metadata": {"name": "monitoring"},
                   "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"rbac.example.com/aggregate": "true"}}]},
                   "rules": []}),
        ),
        case("role binding", RBAC_GROUP, "RoleBinding", role_binding()),
        case(
            "cluster role binding",
            RBAC_GROUP,
            "ClusterRoleBinding",
            cluster_role_binding(),
        ),
        case("hpa v2", "autoscaling", "HorizontalPodAutoscaler", hpa()),
        case(
            "hpa v1",
            "autoscaling",
            "HorizontalPodAutoscaler",
            json!({"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler",
                   "metadata": {"name": "web", "namespace": "default"},
                   "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web"}, "maxReplicas": 5,
                            "targetCPUUtilizationPercentage": 80}}),
        ),
        case(
            "pdb",
            "policy",
            "PodDisruptionBudget",
            json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                   "metadata": {"name": "web", "namespace": "default"},
                   "spec": {"maxUnavailable": "25%", "selector": {"matchLabels": {"app": "web"}}}}),
        ),
        case(
            "lease",
            "coordination.k8s.io",
            "Lease",
            json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                   "metadata": {"name": "leader", "namespace": "kube-system"},
                   "spec": {"holderIdentity": "a", "leaseDurationSeconds": 15, "leaseTransitions": 3}}),
        ),
        case(
            "service account (nothing to check)",
            "",
            "ServiceAccount",
            json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "ci", "namespace": "ci"}}),
        ),
    ];
    for (name, svc) in svc_types {
        cases.push(case(name, "", "Service", svc));
    }
    run(cases);
}

#[test]
fn valid_updates_produce_no_errors() {
    let svc = allocated(service(), "10.96.0.10");
    let running_pod = set(pod(), "/spec/nodeName", json!("node-1"));
    run(vec![
        case(
            "scale a deployment",
            APPS,
            "Deployment",
            set(deployment(), "/spec/replicas", json!(5)),
        )
        .old(deployment()),
        case(
            "change a deployment's image",
            APPS,
            "Deployment",
            set(deployment(), "/spec/template/spec/containers/0/image", json!("nginx:1.28")),
        )
        .old(deployment()),
        case(
            "change a pod's image and add a toleration",
            "",
            "Pod",
            set(
                set(running_pod.clone(), "/spec/containers/0/image", json!("nginx:1.28")),
                "/spec/tolerations/2",
                json!({"key": "x", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 30}),
            ),
        )
        .old(running_pod.clone()),
        case(
            "pod with explicit zero values equals the defaulted one",
            "",
            "Pod",
            set(
                set(running_pod.clone(), "/spec/hostNetwork", json!(false)),
                "/spec/imagePullSecrets",
                json!([]),
            ),
        )
        .old(running_pod),
        case(
            "service update that keeps the cluster IP",
            "",
            "Service",
            set(svc.clone(), "/metadata/labels", json!({"a": "b"})),
        )
        .old(svc.clone()),
        case(
            "service switching NodePort to ClusterIP keeps its node ports",
            "",
            "Service",
            set(
                set(svc.clone(), "/spec/type", json!("ClusterIP")),
                "/spec/ports/0/nodePort",
                json!(31000),
            ),
        )
        .old(set(
            set(svc.clone(), "/spec/type", json!("NodePort")),
            "/spec/ports/0/nodePort",
            json!(31000),
        )),
        case(
            "service becoming ExternalName with carried-over IPs",
            "",
            "Service",
            set(
                set(svc.clone(), "/spec/type", json!("ExternalName")),
                "/spec/externalName",
                json!("db.example.com"),
            ),
        )
        .old(svc),
        case(
            "stateful set scale and template change",
            APPS,
            "StatefulSet",
            set(
                set(stateful_set(), "/spec/replicas", json!(5)),
                "/spec/template/spec/containers/0/image",
                json!("postgres:17"),
            ),
        )
        .old(stateful_set()),
        case(
            "job parallelism change",
            BATCH,
            "Job",
            set(job(), "/spec/parallelism", json!(3)),
        )
        .old(job()),
        case(
            "suspended job may change scheduling directives",
            BATCH,
            "Job",
            set(
                set(job(), "/spec/suspend", json!(true)),
                "/spec/template/spec/nodeSelector",
                json!({"pool": "batch"}),
            ),
        )
        .old(set(job(), "/spec/suspend", json!(true))),
        case(
            "immutable config map unchanged",
            "",
            "ConfigMap",
            set(
                set(config_map(), "/immutable", json!(true)),
                "/metadata/labels",
                json!({"a": "b"}),
            ),
        )
        .old(set(config_map(), "/immutable", json!(true))),
        case(
            "bound pvc grows",
            "",
            "PersistentVolumeClaim",
            set(
                set(pvc(), "/spec/resources/requests/storage", json!("10Gi")),
                "/status/phase",
                json!("Bound"),
            ),
        )
        .old(set(pvc(), "/status/phase", json!("Bound"))),
        case(
            "pvc gets its volume name",
            "",
            "PersistentVolumeClaim",
            set(pvc(), "/spec/volumeName", json!("pv-1")),
        )
        .old(pvc()),
        case(
            "node gets unschedulable",
            "",
            "Node",
            set(node(), "/spec/unschedulable", json!(true)),
        )
        .old(node()),
        case(
            "node gets its pod CIDR",
            "",
            "Node",
            node(),
        )
        .old(del(del(node(), "/spec/podCIDR"), "/spec/podCIDRs")),
        case(
            "role binding subjects change",
            RBAC_GROUP,
            "RoleBinding",
            set(role_binding(), "/subjects", json!([{"kind": "User", "name": "bob"}])),
        )
        .old(role_binding()),
        case(
            "events.k8s.io event series update",
            "events.k8s.io",
            "Event",
            set(
                events_event_stored(),
                "/series",
                json!({"count": 3, "lastObservedTime": "2025-01-01T00:02:00.000000Z"}),
            ),
        )
        .old(events_event_stored()),
        case(
            "cron job schedule change",
            BATCH,
            "CronJob",
            set(cron_job(), "/spec/schedule", json!("0 * * * *")),
        )
        .old(cron_job()),
    ]);
}

#[test]
fn pod_spec_rules() {
    run(vec![
        case(
            "containers required",
            APPS,
            "Deployment",
            set(deployment(), "/spec/template/spec/containers", json!([])),
        )
        .want(&["spec.template.spec.containers: Required value"]),
        case(
            "container name required, image required",
            APPS,
            "Deployment",
            set(deployment(), "/spec/template/spec/containers/0", json!({})),
        )
        .want(&[
            "spec.template.spec.containers[0].name: Required value",
            "spec.template.spec.containers[0].image: Required value",
        ]),
        case(
            "container name format",
            "",
            "Pod",
            set(pod(), "/spec/containers/0/name", json!("Web_1")),
        )
        .want(&["spec.containers[0].name: Invalid value: \"Web_1\": a lowercase RFC 1123 label"]),
        case(
            "container names unique across containers and init containers",
            "",
            "Pod",
            set(pod(), "/spec/initContainers/0/name", json!("web")),
        )
        .want(&["spec.initContainers[0].name: Duplicate value: \"web\""]),
        case(
            "duplicate regular containers",
            "",
            "Pod",
            set(pod(), "/spec/containers/1", set(container(), "/ports", json!([]))),
        )
        .want(&["spec.containers[1].name: Duplicate value: \"web\""]),
        case(
            "container port range and protocol",
            "",
            "Pod",
            set(
                pod(),
                "/spec/containers/0/ports",
                json!([{"containerPort": 70000, "protocol": "HTTP"}, {"containerPort": 0}]),
            ),
        )
        .want(&[
            "spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
            "spec.containers[0].ports[0].protocol: Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
            "spec.containers[0].ports[1].containerPort: Required value",
            // The liveness probe names the port that no longer exists: that is fine for kube.
        ]),
        case(
            "port names: IANA format and unique",
            "",
            "Pod",
            set(
                pod(),
                "/spec/containers/0/ports",
                json!([{"name": "http", "containerPort": 80}, {"name": "http", "containerPort": 81},
                       {"name": "Bad--name-that-is-long", "containerPort": 82}]),
            ),
        )
        .want(&[
            "spec.containers[0].ports[1].name: Duplicate value: \"http\"",
            "spec.containers[0].ports[2].name: Invalid value: \"Bad--name-that-is-long\": must be no more than 15 characters",
            "spec.containers[0].ports[2].name: Invalid value: \"Bad--name-that-is-long\": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
            "spec.containers[0].ports[2].name: Invalid value: \"Bad--name-that-is-long\": must not contain consecutive hyphens",
        ]),
        case(
            "env var names: printable ASCII but '='",
            "",
            "Pod",
            set(
                pod(),
                "/spec/containers/0/env",
                json!([{"name": "a.b-c d"}, {"name": "A=B"}, {"name": ""}, {"name": "é"}]),
            ),
        )
        .want(&[
            "spec.containers[0].env[1].name: Invalid value: \"A=B\": a valid environment variable name must consist only of printable ASCII characters other than '='",
            "spec.containers[0].env[2].name: Required value",
            "spec.containers[0].env[3].name: Invalid value: \"é\"",
        ]),
        case(
            "env valueFrom",
            "",
            "Pod",
            set(
                pod(),
                "/spec/containers/0/env",
                json!([
                    {"name": "A", "valueFrom": {}},
                    {"name": "B", "value": "x", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                    {"name": "C", "valueFrom": {"fieldRef": {"fieldPath": "spec.containers"}}},
                    {"name": "D", "valueFrom": {"fieldRef": {"fieldPath": "status.phase"}}},
                    {"name": "E", "valueFrom": {"secretKeyRef": {"name": "s", "key": "bad key"}}},
                    {"name": "F", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['app']"}}}
                ]),
            ),
        )
        .want(&[
            "spec.containers[0].env[0].valueFrom: Invalid value: \"\": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`",
            "spec.containers[0].env[1].valueFrom: Invalid value: \"\": may not be specified when `value` is not empty",
            "spec.containers[0].env[2].valueFrom.fieldRef.fieldPath: Invalid value: \"spec.containers\": error converting fieldPath: field label not supported: spec.containers",
            "spec.containers[0].env[3].valueFrom.fieldRef.fieldPath: Unsupported value: \"status.phase\"",
            "spec.containers[0].env[4].valueFrom.secretKeyRef.key: Invalid value: \"bad key\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
        ]),
        case(
            "envFrom needs a source",
            "",
            "Pod",
            set(pod(), "/spec/containers/0/envFrom", json!([{"prefix": "X_"}])),
        )
        .want(&["spec.containers[0].envFrom: Invalid value: \"\": must specify one of: `configMapRef` or `secretRef`"]),
        case(
            "volume mounts reference declared volumes",
            "",
            "Pod",
            set(
                pod(),
                "/spec/containers/0/volumeMounts/2",
                json!({"name": "missing", "mountPath": "/data"}),
            ),
        )
        .want(&[
            "spec.containers[0].volumeMounts[2].name: Invalid value: \"missing\": not found",
            "spec.containers[0].volumeMounts[2].mountPath: Invalid value: \"/data\": must be unique",
        ]),
        case(
            "volume names: label, unique; invalid volumes are not mountable",
            "",
            "Pod",
            set(
                set(pod(), "/spec/volumes/3", json!({"name": "data", "emptyDir": {}})),
                "/spec/volumes/4",
                json!({"name": "Bad_Name", "secret": {}}),
            ),
        )
        .want(&[
            "spec.volumes[3].name: Duplicate value: \"data\"",
            "spec.volumes[4].secret.secretName: Required value",
            "spec.volumes[4].name: Invalid value: \"Bad_Name\"",
        ]),
        case(
            "two volume sources",
            "",
            "Pod",
            set(
                pod(),
                "/spec/volumes/3",
                json!({"name": "cache", "emptyDir": {}, "hostPath": {"path": "/tmp"}}),
            ),
        )
        .want(&["spec.volumes[3].hostPath: Forbidden: may not specify more than 1 volume type"]),
        case(
            "requests must not exceed limits",
            APPS,
            "Deployment",
            set(
                deployment(),
                "/spec/template/spec/containers/0/resources",
                json!({"requests": {"cpu": "1500m", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "1024Mi"}}),
            ),
        )
        .want(&["spec.template.spec.containers[0].resources.requests: Invalid value: \"1500m\": must be less than or equal to cpu limit of 1"]),
        case(
            "resource names and quantities",
            "",
            "Pod",
            set(
                pod(),
                "/spec/containers/0/resources",
                json!({"limits": {"cpu": "-1", "storage": "1Gi", "nvidia.com/gpu": "1", "memory": "lots"},
                       "requests": {"example.com/foo": "1"}}),
            ),
        )
        .want(&[
            "spec.containers[0].resources.limits[cpu]: Invalid value: \"-1\": must be greater than or equal to 0",
            "spec.containers[0].resources.limits[storage]: Invalid value: \"storage\": must be a standard resource for containers",
            "spec.containers[0].resources.limits[memory]: Invalid value: \"lots\": quantities must match the regular expression",
            "spec.containers[0].resources.limits: Required value: Limit must be set for non overcommitable resources",
            // Pods copy limits into requests: the GPU request equals its limit.
            "spec.containers[0].resources.requests[cpu]: Invalid value: \"-1\": must be greater than or equal to 0",
            "spec.containers[0].resources.requests[storage]: Invalid value: \"storage\": must be a standard resource for containers",
            "spec.containers[0].resources.requests[memory]: Invalid value: \"lots\": quantities must match",
        ]),
        case(
            "restart, DNS and pull policies",
            "",
            "Pod",
            set(
                set(
                    set(pod(), "/spec/restartPolicy", json!("Sometimes")),
                    "/spec/dnsPolicy",
                    json!("Google"),
                ),
                "/spec/containers/0/imagePullPolicy",
                json!("Maybe"),
            ),
        )
        .want(&[
            "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\"",
            "spec.dnsPolicy: Unsupported value: \"Google\": supported values: \"ClusterFirstWithHostNet\", \"ClusterFirst\", \"Default\", \"None\"",
            "spec.containers[0].imagePullPolicy: Unsupported value: \"Maybe\": supported values: \"Always\", \"IfNotPresent\", \"Never\"",
        ]),
        case(
            "probes",
            "",
            "Pod",
            set(
                set(
                    pod(),
                    "/spec/containers/0/livenessProbe",
                    json!({"successThreshold": 2, "periodSeconds": -1}),
                ),
                "/spec/containers/0/readinessProbe",
                json!({"exec": {"command": ["true"]}, "tcpSocket": {"port": 80}}),
            ),
        )
        .want(&[
            "spec.containers[0].livenessProbe: Required value: must specify a handler type",
            "spec.containers[0].livenessProbe.periodSeconds: Invalid value: -1: must be greater than or equal to 0",
            "spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1",
            "spec.containers[0].readinessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type",
        ]),
        case(
            "init containers without restartPolicy=Always may not have probes",
            "",
            "Pod",
            set(
                pod(),
                "/spec/initContainers/0/readinessProbe",
                json!({"exec": {"command": ["true"]}}),
            ),
        )
        .want(&["spec.initContainers[0].readinessProbe: Forbidden: may not be set for init containers without restartPolicy=Always"]),
        case(
            "tolerations, affinity, topology spread",
            "",
            "Pod",
            set(
                set(
                    set(
                        pod(),
                        "/spec/tolerations",
                        json!([{"operator": "Equal", "value": "x"}, {"key": "k", "operator": "Exists", "value": "v"}]),
                    ),
                    "/spec/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms",
                    json!([]),
                ),
                "/spec/topologySpreadConstraints/0/maxSkew",
                json!(0),
            ),
        )
        .want(&[
            "spec.tolerations[0].operator: Invalid value: \"Equal\": operator must be Exists when `key` is empty",
            "spec.tolerations[1].operator: Invalid value: \"v\": value must be empty when `operator` is 'Exists'",
            "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms: Required value: must have at least one node selector term",
            "spec.topologySpreadConstraints[0].maxSkew: Invalid value: 0: must be greater than zero",
        ]),
        case(
            "negative grace period is only a warning in kube",
            "",
            "Pod",
            set(pod(), "/spec/terminationGracePeriodSeconds", json!(-5)),
        ),
        case(
            "host network pods need hostPort == containerPort",
            "",
            "Pod",
            set(
                set(pod(), "/spec/hostNetwork", json!(true)),
                "/spec/containers/0/ports/0/hostPort",
                json!(8080),
            ),
        )
        .want(&["spec.containers[0].ports[0].hostPort: Invalid value: 8080: must match `containerPort` when `hostNetwork` is true"]),
        case(
            "duplicate host ports",
            "",
            "Pod",
            set(
                set(pod(), "/spec/containers/0/ports/0/hostPort", json!(8080)),
                "/spec/containers/0/ports/1",
                json!({"containerPort": 81, "hostPort": 8080}),
            ),
        )
        .want(&["spec.containers[0].ports[1].hostPort: Duplicate value: \"TCP//8080\""]),
        case(
            "image whitespace is a pod-only rule",
            "",
            "Pod",
            set(pod(), "/spec/containers/0/image", json!(" nginx")),
        )
        .want(&["spec.containers[0].image: Invalid value: \" nginx\": must not have leading or trailing whitespace"]),
        case(
            "ephemeral containers cannot be set on create",
            "",
            "Pod",
            set(
                pod(),
                "/spec/ephemeralContainers",
                json!([{"name": "debug", "image": "busybox"}]),
            ),
        )
        .want(&["spec.ephemeralContainers: Forbidden: cannot be set on create"]),
        case(
            "activeDeadlineSeconds range",
            "",
            "Pod",
            set(pod(), "/spec/activeDeadlineSeconds", json!(0)),
        )
        .want(&["spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive"]),
        case(
            "template labels and ephemeral containers in templates",
            APPS,
            "Deployment",
            set(
                set(
                    deployment(),
                    "/spec/template/metadata/labels/bad key",
                    json!("x"),
                ),
                "/spec/template/spec/ephemeralContainers",
                json!([{"name": "debug", "image": "busybox"}]),
            ),
        )
        .want(&[
            "spec.template.labels: Invalid value: \"bad key\"",
            "spec.template.spec.ephemeralContainers: Forbidden: ephemeral containers not allowed in pod template",
        ]),
    ]);
}

#[test]
fn pod_updates() {
    let running = set(pod(), "/spec/nodeName", json!("node-1"));
    run(vec![
        case(
            "pod spec is mostly immutable",
            "",
            "Pod",
            set(running.clone(), "/spec/containers/0/ports/0/containerPort", json!(8080)),
        )
        .old(running.clone())
        .want(&["spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`"]),
        case(
            "containers cannot be added",
            "",
            "Pod",
            set(
                running.clone(),
                "/spec/containers/1",
                json!({"name": "sidecar", "image": "busybox"}),
            ),
        )
        .old(running.clone())
        .want(&["spec.containers: Forbidden: pod updates may not add or remove containers"]),
        case(
            "tolerations cannot be removed",
            "",
            "Pod",
            del(running.clone(), "/spec/tolerations/0"),
        )
        .old(running.clone())
        .want(&["spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds"]),
        case(
            "activeDeadlineSeconds may only shrink",
            "",
            "Pod",
            set(running.clone(), "/spec/activeDeadlineSeconds", json!(100)),
        )
        .old(set(running, "/spec/activeDeadlineSeconds", json!(50)))
        .want(&["spec.activeDeadlineSeconds: Invalid value: 100: must be less than or equal to previous value"]),
    ]);
}

#[test]
fn workload_rules() {
    run(vec![
        case(
            "replicas must be non-negative (kube's exact message)",
            APPS,
            "Deployment",
            set(deployment(), "/spec/replicas", json!(-1)),
        )
        .want(&["spec.replicas: Invalid value: -1: must be greater than or equal to 0"]),
        case(
            "selector must match template labels",
            APPS,
            "Deployment",
            set(deployment(), "/spec/selector/matchLabels/app", json!("api")),
        )
        .want(&["spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\", \"tier\":\"frontend\"}: `selector` does not match template `labels`"]),
        case(
            "selector required",
            APPS,
            "Deployment",
            del(deployment(), "/spec/selector"),
        )
        .want(&[
            "spec.selector: Required value",
            "spec.template.metadata.labels: Invalid value: map[string]string{",
        ]),
        case(
            "empty selector",
            APPS,
            "ReplicaSet",
            set(replica_set(), "/spec/selector", json!({})),
        )
        .want(&["spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment"]),
        case(
            "bad selector operator",
            APPS,
            "Deployment",
            set(
                deployment(),
                "/spec/selector/matchExpressions",
                json!([{"key": "tier", "operator": "Near", "values": ["x"]}]),
            ),
        )
        .want(&[
            "spec.selector.matchExpressions[0].operator: Invalid value: \"Near\": not a valid selector operator",
            "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"web\"}, MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{Key:\"tier\", Operator:\"Near\", Values:[]string{\"x\"}}}}: invalid label selector",
        ]),
        case(
            "template restartPolicy must be Always",
            APPS,
            "Deployment",
            set(deployment(), "/spec/template/spec/restartPolicy", json!("OnFailure")),
        )
        .want(&["spec.template.spec.restartPolicy: Unsupported value: \"OnFailure\": supported values: \"Always\""]),
        case(
            "deployment strategy type",
            APPS,
            "Deployment",
            set(deployment(), "/spec/strategy", json!({"type": "BlueGreen"})),
        )
        .want(&["spec.strategy: Unsupported value: {\"type\":\"BlueGreen\"}: supported values: \"Recreate\", \"RollingUpdate\""]),
        case(
            "rollingUpdate only with RollingUpdate",
            APPS,
            "Deployment",
            set(
                deployment(),
                "/spec/strategy",
                json!({"type": "Recreate", "rollingUpdate": {"maxSurge": 1}}),
            ),
        )
        .want(&["spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"]),
        case(
            "maxSurge and maxUnavailable not both zero",
            APPS,
            "Deployment",
            set(
                deployment(),
                "/spec/strategy/rollingUpdate",
                json!({"maxSurge": 0, "maxUnavailable": "0%"}),
            ),
        )
        .want(&["spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"0%\"}: may not be 0 when `maxSurge` is 0"]),
        case(
            "maxSurge negative, maxUnavailable over 100% and malformed percent",
            APPS,
            "Deployment",
            set(
                deployment(),
                "/spec/strategy/rollingUpdate",
                json!({"maxSurge": -1, "maxUnavailable": "120%"}),
            ),
        )
        .want(&[
            "spec.strategy.rollingUpdate.maxSurge: Invalid value: -1: must be greater than or equal to 0",
            "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"120%\"}: must not be greater than 100%",
        ]),
        case(
            "malformed percent",
            APPS,
            "Deployment",
            set(deployment(), "/spec/strategy/rollingUpdate/maxSurge", json!("ten")),
        )
        .want(&["spec.strategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"ten\"}: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"]),
        case(
            "revisionHistoryLimit and progressDeadlineSeconds",
            APPS,
            "Deployment",
            set(
                set(
                    set(deployment(), "/spec/revisionHistoryLimit", json!(-2)),
                    "/spec/minReadySeconds",
                    json!(30),
                ),
                "/spec/progressDeadlineSeconds",
                json!(30),
            ),
        )
        .want(&[
            "spec.revisionHistoryLimit: Invalid value: -2: must be greater than or equal to 0",
            "spec.progressDeadlineSeconds: Invalid value: 30: must be greater than minReadySeconds",
        ]),
        case(
            "deployment selector is immutable",
            APPS,
            "Deployment",
            set(
                set(deployment(), "/spec/selector/matchLabels/tier", json!("frontend")),
                "/spec/replicas",
                json!(4),
            ),
        )
        .old(deployment())
        .want(&["spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"web\", \"tier\":\"frontend\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"]),
        case(
            "daemon set without selector selects nothing",
            APPS,
            "DaemonSet",
            del(daemon_set(), "/spec/selector"),
        )
        .want(&["spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\", \"tier\":\"frontend\"}: `selector` does not match template `labels`"]),
        case(
            "daemon set rolling update: surge and unavailable",
            APPS,
            "DaemonSet",
            set(
                daemon_set(),
                "/spec/updateStrategy",
                json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 1}}),
            ),
        )
        .want(&["spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:0, IntVal:1, StrVal:\"\"}: may not be set when maxUnavailable is non-zero"]),
        case(
            "stateful set: template validated, claim templates count as volumes",
            APPS,
            "StatefulSet",
            set(
                set(stateful_set(), "/spec/template/spec/containers/0/image", json!("")),
                "/spec/podManagementPolicy",
                json!("Random"),
            ),
        )
        .want(&[
            "spec.template.spec.containers[0].image: Required value",
            "spec.podManagementPolicy: Invalid value: \"Random\": must be 'OrderedReady' or 'Parallel'",
        ]),
        case(
            "stateful set claim templates need storage",
            APPS,
            "StatefulSet",
            del(stateful_set(), "/spec/volumeClaimTemplates/0/spec/resources"),
        )
        .want(&["spec.volumeClaimTemplates[0].spec.resources[storage]: Required value"]),
        case(
            "stateful set spec is mostly immutable",
            APPS,
            "StatefulSet",
            set(stateful_set(), "/spec/serviceName", json!("other")),
        )
        .old(stateful_set())
        .want(&["spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"]),
        case(
            "replication controller",
            "",
            "ReplicationController",
            json!({"apiVersion": "v1", "kind": "ReplicationController", "metadata": {"name": "rc", "namespace": "default"},
                   "spec": {"replicas": -1, "selector": {"app": "other"}, "template": template()}}),
        )
        .want(&[
            "spec.replicas: Invalid value: -1: must be greater than or equal to 0",
            "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\", \"tier\":\"frontend\"}: `selector` does not match template `labels`",
        ]),
    ]);
}

#[test]
fn batch_rules() {
    run(vec![
        case(
            "counts are non-negative",
            BATCH,
            "Job",
            set(
                set(
                    set(set(job(), "/spec/parallelism", json!(-1)), "/spec/completions", json!(-2)),
                    "/spec/backoffLimit",
                    json!(-3),
                ),
                "/spec/activeDeadlineSeconds",
                json!(-4),
            ),
        )
        .want(&[
            "spec.parallelism: Invalid value: -1: must be greater than or equal to 0",
            "spec.completions: Invalid value: -2: must be greater than or equal to 0",
            "spec.backoffLimit: Invalid value: -3: must be greater than or equal to 0",
            "spec.activeDeadlineSeconds: Invalid value: -4: must be greater than or equal to 0",
        ]),
        case(
            "restartPolicy defaulted to Always",
            BATCH,
            "Job",
            del(job(), "/spec/template/spec/restartPolicy"),
        )
        .want(&["spec.template.spec.restartPolicy: Required value: valid values: \"OnFailure\", \"Never\""]),
        case(
            "manual selector must match template labels",
            BATCH,
            "Job",
            set(
                set(job(), "/spec/manualSelector", json!(true)),
                "/spec/selector",
                json!({"matchLabels": {"app": "pi"}}),
            ),
        )
        .want(&["spec.template.metadata.labels: Invalid value: map[string]string(nil): `selector` does not match template `labels`"]),
        case(
            "generated selector: conflicting template label",
            BATCH,
            "Job",
            set(job(), "/spec/template/metadata/labels/job-name", json!("other")),
        )
        .want(&["spec.template.metadata.labels[job-name]: Invalid value: map[string]string{"]),
        case(
            "generated selector: a user selector is not the generated one",
            BATCH,
            "Job",
            set(
                set(job(), "/spec/selector", json!({"matchLabels": {"app": "pi"}})),
                "/spec/template/metadata/labels/app",
                json!("pi"),
            ),
        )
        .want(&["spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"pi\", \"batch.kubernetes.io/controller-uid\":\"8f9c2a3e-1111-2222-3333-444455556666\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: `selector` not auto-generated"]),
        case(
            "indexed job needs completions",
            BATCH,
            "Job",
            del(set(job(), "/spec/completionMode", json!("Indexed")), "/spec/completions"),
        )
        .want(&["spec.completions: Required value: when completion mode is Indexed"]),
        case(
            "job template is immutable",
            BATCH,
            "Job",
            set(job(), "/spec/template/spec/containers/0/image", json!("perl:5.40")),
        )
        .old(job())
        .want(&["spec.template: Invalid value: {"]),
        case(
            "job completions are immutable",
            BATCH,
            "Job",
            set(job(), "/spec/completions", json!(5)),
        )
        .old(job())
        .want(&["spec.completions: Invalid value: 5: field is immutable"]),
        case(
            "schedule required",
            BATCH,
            "CronJob",
            del(cron_job(), "/spec/schedule"),
        )
        .want(&["spec.schedule: Required value"]),
        case(
            "schedule field count",
            BATCH,
            "CronJob",
            set(cron_job(), "/spec/schedule", json!("* * * *")),
        )
        .want(&["spec.schedule: Invalid value: \"* * * *\": expected exactly 5 fields, found 4: [* * * *]"]),
        case(
            "schedule ranges",
            BATCH,
            "CronJob",
            set(cron_job(), "/spec/schedule", json!("0 25 * * *")),
        )
        .want(&["spec.schedule: Invalid value: \"0 25 * * *\": end of range (25) above maximum (23): 25"]),
        case(
            "schedule ints",
            BATCH,
            "CronJob",
            set(cron_job(), "/spec/schedule", json!("x * * * *")),
        )
        .want(&["spec.schedule: Invalid value: \"x * * * *\": failed to parse int from x: strconv.Atoi: parsing \"x\": invalid syntax"]),
        case(
            "schedule descriptor",
            BATCH,
            "CronJob",
            set(cron_job(), "/spec/schedule", json!("@fortnightly")),
        )
        .want(&["spec.schedule: Invalid value: \"@fortnightly\": unrecognized descriptor: @fortnightly"]),
        case(
            "schedule @every duration",
            BATCH,
            "CronJob",
            set(cron_job(), "/spec/schedule", json!("@every 5d")),
        )
        .want(&["spec.schedule: Invalid value: \"@every 5d\": failed to parse duration @every 5d: time: unknown unit \"d\" in duration \"5d\""]),
        case(
            "TZ in schedule",
            BATCH,
            "CronJob",
            set(cron_job(), "/spec/schedule", json!("CRON_TZ=UTC 0 * * * *")),
        )
        .want(&["spec.schedule: Invalid value: \"CRON_TZ=UTC 0 * * * *\": cannot use TZ or CRON_TZ in schedule, use timeZone field instead"]),
        case(
            "time zone",
            BATCH,
            "CronJob",
            set(cron_job(), "/spec/timeZone", json!("Local")),
        )
        .want(&["spec.timeZone: Invalid value: \"Local\": timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones"]),
        case(
            "malformed time zone",
            BATCH,
            "CronJob",
            set(cron_job(), "/spec/timeZone", json!("Mars/../Base")),
        )
        .want(&["spec.timeZone: Invalid value: \"Mars/../Base\": unknown time zone Mars/../Base"]),
        case(
            "concurrency policy and history limits",
            BATCH,
            "CronJob",
            set(
                set(cron_job(), "/spec/concurrencyPolicy", json!("Sometimes")),
                "/spec/failedJobsHistoryLimit",
                json!(-1),
            ),
        )
        .want(&[
            "spec.concurrencyPolicy: Unsupported value: \"Sometimes\": supported values: \"Allow\", \"Forbid\", \"Replace\"",
            "spec.failedJobsHistoryLimit: Invalid value: -1: must be greater than or equal to 0",
        ]),
        case(
            "job template restart policy and selector",
            BATCH,
            "CronJob",
            set(
                set(
                    cron_job(),
                    "/spec/jobTemplate/spec/template/spec/restartPolicy",
                    json!("Always"),
                ),
                "/spec/jobTemplate/spec/selector",
                json!({"matchLabels": {"a": "b"}}),
            ),
        )
        .want(&[
            "spec.jobTemplate.spec.template.spec.restartPolicy: Required value: valid values: \"OnFailure\", \"Never\"",
            "spec.jobTemplate.spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"a\":\"b\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: `selector` will be auto-generated",
        ]),
    ]);
}

#[test]
fn service_rules() {
    let svc = allocated(service(), "10.96.0.10");
    run(vec![
        case("ports required", "", "Service", del(service(), "/spec/ports"))
            .want(&["spec.ports: Required value"]),
        case(
            "headless services need no ports",
            "",
            "Service",
            set(del(service(), "/spec/ports"), "/spec/clusterIP", json!("None")),
        ),
        case(
            "port numbers, names, protocols",
            "",
            "Service",
            set(
                service(),
                "/spec/ports",
                json!([{"port": 0, "protocol": "ICMP"}, {"name": "Web", "port": 80, "targetPort": 99999},
                       {"name": "b", "port": 81, "targetPort": "no_such"}]),
            ),
        )
        .want(&[
            "spec.ports[0].name: Required value",
            "spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
            "spec.ports[0].protocol: Unsupported value: \"ICMP\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
            // kube defaults targetPort to port, here 0.
            "spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive",
            "spec.ports[1].name: Invalid value: \"Web\"",
            "spec.ports[1].targetPort: Invalid value: 99999: must be between 1 and 65535, inclusive",
            "spec.ports[2].targetPort: Invalid value: \"no_such\": must contain only alpha-numeric characters",
        ]),
        case(
            "duplicate port names and ports",
            "",
            "Service",
            set(service(), "/spec/ports/1", json!({"name": "http", "port": 80})),
        )
        .want(&[
            "spec.ports[1].name: Duplicate value: \"http\"",
            "spec.ports[1]: Duplicate value: core.ServicePort{Name:\"\", Protocol:\"TCP\", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}, NodePort:0}",
        ]),
        case(
            "node ports",
            "",
            "Service",
            set(
                set(set(service(), "/spec/type", json!("NodePort")), "/spec/ports/0/nodePort", json!(80)),
                "/spec/ports/1/nodePort",
                json!(80),
            ),
        )
        .want(&[
            "spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767",
            "spec.ports[1].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767",
            "spec.ports[1].nodePort: Duplicate value: 80",
        ]),
        case(
            "node port on a ClusterIP service",
            "",
            "Service",
            set(service(), "/spec/ports/0/nodePort", json!(30080)),
        )
        .want(&["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"]),
        case(
            "type and session affinity",
            "",
            "Service",
            set(
                set(service(), "/spec/type", json!("Internal")),
                "/spec/sessionAffinity",
                json!("Cookie"),
            ),
        )
        .want(&[
            "spec.type: Unsupported value: \"Internal\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\"",
            "spec.sessionAffinity: Unsupported value: \"Cookie\": supported values: \"ClientIP\", \"None\"",
        ]),
        case(
            "external name required",
            "",
            "Service",
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "db", "namespace": "default"},
                   "spec": {"type": "ExternalName"}}),
        )
        .want(&["spec.externalName: Required value"]),
        case(
            "external name format",
            "",
            "Service",
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "db", "namespace": "default"},
                   "spec": {"type": "ExternalName", "externalName": "Not A Host"}}),
        )
        .want(&["spec.externalName: Invalid value: \"Not A Host\": a lowercase RFC 1123 subdomain"]),
        case(
            "headless load balancer",
            "",
            "Service",
            set(
                set(service(), "/spec/type", json!("LoadBalancer")),
                "/spec/clusterIP",
                json!("None"),
            ),
        )
        .want(&["spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for LoadBalancer services"]),
        case(
            "cluster IP format",
            "",
            "Service",
            allocated(service(), "10.96.0.300"),
        )
        .want(&["spec.clusterIPs[0]: Invalid value: \"10.96.0.300\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"]),
        case(
            "cluster IP is immutable",
            "",
            "Service",
            allocated(service(), "10.96.0.11"),
        )
        .old(svc.clone())
        .want(&["spec.clusterIPs[0]: Invalid value: []string{\"10.96.0.11\"}: may not change once set"]),
        case(
            "externalTrafficPolicy only for externally accessible services",
            "",
            "Service",
            set(service(), "/spec/externalTrafficPolicy", json!("Local")),
        )
        .want(&["spec.externalTrafficPolicy: Invalid value: \"Local\": may only be set for externally-accessible services"]),
    ]);
}

#[test]
fn config_and_secret_rules() {
    let big = "x".repeat(MAX_CONFIG_SIZE);
    run(vec![
        case(
            "config map keys",
            "",
            "ConfigMap",
            set(
                set(config_map(), "/data/bad key", json!("v")),
                "/data/blob.bin",
                json!("dup"),
            ),
        )
        .want(&[
            "data[bad key]: Invalid value: \"bad key\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
            "data[blob.bin]: Invalid value: \"blob.bin\": duplicate of key present in binaryData",
        ]),
        case(
            "config map key '..'",
            "",
            "ConfigMap",
            set(config_map(), "/binaryData/..", json!("AA==")),
        )
        .want(&["binaryData[..]: Invalid value: \"..\": must not be '..'"]),
        case(
            "config map size",
            "",
            "ConfigMap",
            set(config_map(), "/data/big", json!(big)),
        )
        .want(&["Too long: may not be more than 1048576 bytes"]),
        case(
            "immutable config map",
            "",
            "ConfigMap",
            set(config_map(), "/data/mode", json!("dev")),
        )
        .old(set(config_map(), "/immutable", json!(true)))
        .want(&[
            "immutable: Forbidden: field is immutable when `immutable` is set",
            "data: Forbidden: field is immutable when `immutable` is set",
        ]),
        case(
            "tls secret needs both keys",
            "",
            "Secret",
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "tls", "namespace": "default"},
                   "type": "kubernetes.io/tls", "data": {"tls.crt": "Y2VydA=="}}),
        )
        .want(&["data[tls.key]: Required value"]),
        case(
            "docker config json must be present and JSON",
            "",
            "Secret",
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "reg", "namespace": "default"},
                   "type": "kubernetes.io/dockerconfigjson", "stringData": {".dockerconfigjson": "[1]"}}),
        )
        .want(&["data[.dockerconfigjson]: Invalid value: \"<secret contents redacted>\": json: cannot unmarshal array into Go value of type map[string]interface {}"]),
        case(
            "docker config json missing",
            "",
            "Secret",
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "reg", "namespace": "default"},
                   "type": "kubernetes.io/dockerconfigjson"}),
        )
        .want(&["data[.dockerconfigjson]: Required value"]),
        case(
            "basic auth and ssh auth",
            "",
            "Secret",
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "b", "namespace": "default"},
                   "type": "kubernetes.io/basic-auth", "data": {}}),
        )
        .want(&["data[username]: Required value", "data[password]: Required value"]),
        case(
            "ssh auth",
            "",
            "Secret",
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "default"},
                   "type": "kubernetes.io/ssh-auth"}),
        )
        .want(&["data[ssh-privatekey]: Required value"]),
        case(
            "service account token secret",
            "",
            "Secret",
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "t", "namespace": "default"},
                   "type": "kubernetes.io/service-account-token"}),
        )
        .want(&["metadata.annotations[kubernetes.io/service-account.name]: Required value"]),
        case(
            "secret type and immutable data",
            "",
            "Secret",
            set(
                set(secret(), "/type", json!("kubernetes.io/basic-auth")),
                "/stringData/username",
                json!("root"),
            ),
        )
        .old(set(secret(), "/immutable", json!(true)))
        .want(&[
            "type: Invalid value: \"kubernetes.io/basic-auth\": field is immutable",
            "immutable: Forbidden: field is immutable when `immutable` is set",
            "data: Forbidden: field is immutable when `immutable` is set",
        ]),
        case(
            "secret keys",
            "",
            "Secret",
            set(secret(), "/data/a:b", json!("eA==")),
        )
        .want(&["data[a:b]: Invalid value: \"a:b\": a valid config key"]),
    ]);
}

#[test]
fn other_core_rules() {
    run(vec![
        case(
            "pvc access modes and storage",
            "",
            "PersistentVolumeClaim",
            del(set(pvc(), "/spec/accessModes", json!([])), "/spec/resources"),
        )
        .want(&[
            "spec.accessModes: Required value: at least 1 access mode is required",
            "spec.resources[storage]: Required value",
        ]),
        case(
            "pvc access mode values and storage size",
            "",
            "PersistentVolumeClaim",
            set(
                set(pvc(), "/spec/accessModes", json!(["ReadWriteOncePod", "ReadWriteOnce", "WriteOnly"])),
                "/spec/resources/requests/storage",
                json!("0"),
            ),
        )
        .want(&[
            "spec.accessModes: Unsupported value: \"WriteOnly\": supported values: \"ReadOnlyMany\", \"ReadWriteMany\", \"ReadWriteOnce\", \"ReadWriteOncePod\"",
            "spec.accessModes: Forbidden: may not use ReadWriteOncePod with other access modes",
            "spec.resources[storage]: Invalid value: \"0\": must be greater than zero",
        ]),
        case(
            "pvc spec is immutable when unbound",
            "",
            "PersistentVolumeClaim",
            set(pvc(), "/spec/resources/requests/storage", json!("10Gi")),
        )
        .old(pvc())
        .want(&["spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims"]),
        case(
            "node pod CIDR",
            "",
            "Node",
            set(del(node(), "/spec/podCIDRs"), "/spec/podCIDR", json!("10.244.1.0/33")),
        )
        .want(&["spec.podCIDRs[0]: Invalid value: \"10.244.1.0/33\": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"]),
        case(
            "node pod CIDR is immutable",
            "",
            "Node",
            set(node(), "/spec/podCIDRs", json!(["10.244.2.0/24"])),
        )
        .old(node())
        .want(&["spec.podCIDRs: Forbidden: node updates may not change podCIDR except from \"\" to valid"]),
        case(
            "node taints (reported under metadata, as kube does)",
            "",
            "Node",
            set(
                node(),
                "/spec/taints",
                json!([{"key": "a", "effect": "Sometimes"}, {"key": "b", "effect": "NoSchedule"},
                       {"key": "b", "value": "x", "effect": "NoSchedule"}]),
            ),
        )
        .want(&[
            "metadata.taints[0].effect: Unsupported value: \"Sometimes\"",
            "metadata.taints[2]: Duplicate value: core.Taint{Key:\"b\", Value:\"x\", Effect:\"NoSchedule\", TimeAdded:(*v1.Time)(nil)}: taints must be unique by key and effect pair",
        ]),
        case(
            "namespace finalizers",
            "",
            "Namespace",
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"},
                   "spec": {"finalizers": ["custom"]}}),
        )
        .want(&["spec.finalizers: Invalid value: \"custom\": name is neither a standard finalizer name nor is it fully qualified"]),
        case(
            "resource quota names, quantities and scopes",
            "",
            "ResourceQuota",
            json!({"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "q", "namespace": "default"},
                   "spec": {"hard": {"pods": "1.5", "widgets": "1", "cpu": "x"},
                            "scopes": ["BestEffort", "NotBestEffort"]}}),
        )
        .want(&[
            "spec.hard[pods]: Invalid value: \"1500m\": must be an integer",
            "spec.hard[widgets]: Invalid value: \"widgets\": must be a standard resource type or fully qualified",
            "spec.hard[widgets]: Invalid value: \"widgets\": must be a standard resource for quota",
            "spec.hard[cpu]: Invalid value: \"x\": quantities must match the regular expression",
            "spec.scopes: Invalid value: []core.ResourceQuotaScope{\"BestEffort\", \"NotBestEffort\"}: conflicting scopes",
        ]),
        case(
            "resource quota scopes are immutable",
            "",
            "ResourceQuota",
            json!({"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "q", "namespace": "default"},
                   "spec": {"hard": {"pods": "10"}, "scopes": ["Terminating"]}}),
        )
        .old(json!({"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "q", "namespace": "default"},
                    "spec": {"hard": {"pods": "10"}}}))
        .want(&["spec.scopes: Invalid value: []core.ResourceQuotaScope{\"Terminating\"}: field is immutable"]),
        case(
            "limit range consistency",
            "",
            "LimitRange",
            json!({"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "lr", "namespace": "default"},
                   "spec": {"limits": [
                       {"type": "Container", "min": {"cpu": "2"}, "max": {"cpu": "1"}},
                       {"type": "Pod", "default": {"cpu": "1"}},
                       {"type": "PersistentVolumeClaim"},
                       {"type": "Container"}
                   ]}}),
        )
        .want(&[
            "spec.limits[0].min[cpu]: Invalid value: \"2\": min value 2 is greater than max value 1",
            // Defaulting copied max into default and default into defaultRequest.
            "spec.limits[0].defaultRequest[cpu]: Invalid value: \"1\": min value 2 is greater than default request value 1",
            "spec.limits[0].default[cpu]: Invalid value: \"2\": min value 2 is greater than default value 1",
            "spec.limits[1].default: Forbidden: may not be specified when `type` is 'Pod'",
            "spec.limits[2].limits: Required value: either minimum or maximum storage value is required, but neither was provided",
            "spec.limits[3].type: Duplicate value: \"Container\"",
        ]),
    ]);
}

#[test]
fn event_rules() {
    run(vec![
        case(
            "core event namespace must match",
            "",
            "Event",
            set(core_event(), "/involvedObject/namespace", json!("other")),
        )
        .want(&[
            "involvedObject.namespace: Invalid value: \"other\": does not match event.namespace",
        ]),
        case(
            "core event type is free-form in the legacy API",
            "",
            "Event",
            set(core_event(), "/type", json!("Weird")),
        ),
        case(
            "core events with eventTime get the reporting rules",
            "",
            "Event",
            set(
                core_event(),
                "/eventTime",
                json!("2025-01-01T00:00:00.000000Z"),
            ),
        )
        .want(&[
            "reportingController: Required value",
            "reportingController: Invalid value: \"\": name part must be non-empty",
            "reportingController: Invalid value: \"\": name part must consist of",
            "reportingInstance: Required value",
            "action: Required value",
        ]),
        case(
            "events.k8s.io type (kube's message)",
            "events.k8s.io",
            "Event",
            set(events_event(), "/type", json!("Weird")),
        )
        .want(&["type: Invalid value: \"\": has invalid value: Weird"]),
        case(
            "events.k8s.io required fields",
            "events.k8s.io",
            "Event",
            json!({"apiVersion": "events.k8s.io/v1", "kind": "Event",
                   "metadata": {"name": "e", "namespace": "default"},
                   "regarding": {"kind": "Pod", "name": "web", "namespace": "default"},
                   "type": "Normal", "reason": "r", "reportingController": "bad controller name!",
                   "reportingInstance": "i".repeat(129)}),
        )
        .want(&[
            "eventTime: Required value",
            // Without eventTime the legacy rules skip the reporting fields.
        ]),
        case(
            "events.k8s.io reporting fields",
            "events.k8s.io",
            "Event",
            set(
                set(
                    set(
                        events_event(),
                        "/reportingController",
                        json!("bad controller!"),
                    ),
                    "/reportingInstance",
                    json!("i".repeat(129)),
                ),
                "/note",
                json!("n".repeat(1025)),
            ),
        )
        .want(&[
            "reportingController: Invalid value: \"bad controller!\": name part must consist of",
            "reportingInstance: Invalid value: \"\": can have at most 128 characters",
            "message: Invalid value: \"\": can have at most 1024 characters",
        ]),
        case(
            "events.k8s.io deprecated fields must be unset, series consistent",
            "events.k8s.io",
            "Event",
            set(
                set(
                    set(events_event(), "/deprecatedCount", json!(3)),
                    "/deprecatedSource",
                    json!({"component": "kubelet"}),
                ),
                "/series",
                json!({"count": 1}),
            ),
        )
        .want(&[
            "count: Invalid value: \"\": needs to be unset",
            "source: Invalid value: \"\": needs to be unset",
            "series.count: Invalid value: \"\": should be at least 2",
            "series.lastObservedTime: Required value",
        ]),
        case(
            "events.k8s.io fields are immutable",
            "events.k8s.io",
            "Event",
            set(events_event_stored(), "/reason", json!("Changed")),
        )
        .old(events_event_stored())
        .want(&["reason: Invalid value: \"Changed\": field is immutable"]),
        case(
            "core events may change",
            "",
            "Event",
            set(core_event(), "/count", json!(2)),
        )
        .old(core_event()),
    ]);
}

#[test]
fn networking_rbac_and_the_rest() {
    run(vec![
        case(
            "ingress needs rules or a default backend",
            NET,
            "Ingress",
            del(ingress(), "/spec/rules"),
        )
        .want(&["spec: Invalid value: []networking.IngressRule(nil): either `defaultBackend` or `rules` must be specified"]),
        case(
            "ingress hosts, paths, path types, backends",
            NET,
            "Ingress",
            json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "w", "namespace": "default"},
                   "spec": {"rules": [
                       {"host": "Example.COM", "http": {"paths": [{"path": "/a", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}},
                       {"host": "foo.*.com", "http": {"paths": [
                           {"path": "api", "pathType": "Exact", "backend": {"service": {"name": "web", "port": {"number": 80}}}},
                           {"path": "/x", "backend": {"service": {"name": "web", "port": {"number": 80}}}},
                           {"path": "/y", "pathType": "Regex", "backend": {"service": {"name": "web"}}}
                       ]}},
                       {"host": "10.0.0.1", "http": {"paths": []}}
                   ]}}),
        )
        .want(&[
            "spec.rules[0].host: Invalid value: \"Example.COM\": a lowercase RFC 1123 subdomain",
            "spec.rules[1].host: Invalid value: \"foo.*.com\": a wildcard DNS-1123 subdomain must start with '*.'",
            "spec.rules[0].http.paths[0].path: Invalid value: \"api\": must be an absolute path",
            "spec.rules[0].http.paths[1].pathType: Required value: pathType must be specified",
            "spec.rules[0].http.paths[2].pathType: Unsupported value: \"Regex\": supported values: \"Exact\", \"ImplementationSpecific\", \"Prefix\"",
            "spec.rules[0].http.paths[2].backend: Required value: port name or number is required",
            "spec.rules[2].host: Invalid value: \"10.0.0.1\": must be a DNS name, not an IP address",
            "spec.rules[0].http.paths: Required value",
        ]),
        case(
            "network policy ports and policy types",
            NET,
            "NetworkPolicy",
            set(
                set(
                    network_policy(),
                    "/spec/ingress/0/ports",
                    json!([{"protocol": "ICMP", "port": 0}, {"port": 100, "endPort": 50}]),
                ),
                "/spec/policyTypes",
                json!(["Ingress", "Sideways"]),
            ),
        )
        .want(&[
            "spec.ingress[0].ports[0].protocol: Unsupported value: \"ICMP\": supported values: \"TCP\", \"UDP\", \"SCTP\"",
            "spec.ingress[0].ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
            "spec.ingress[0].ports[1].endPort: Invalid value: 100: must be greater than or equal to `port`",
            "spec.policyTypes[1]: Unsupported value: \"Sideways\": supported values: \"Ingress\", \"Egress\"",
        ]),
        case(
            "role rules need verbs and resources",
            RBAC_GROUP,
            "Role",
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "r", "namespace": "default"},
                   "rules": [{"apiGroups": [""], "resources": ["pods"]}, {"verbs": ["get"]},
                             {"verbs": ["get"], "nonResourceURLs": ["/metrics"]}]}),
        )
        .want(&[
            "rules[0].verbs: Required value: verbs must contain at least one value",
            "rules[1].apiGroups: Required value: resource rules must supply at least one api group",
            "rules[1].resources: Required value: resource rules must supply at least one resource",
            "rules[2].nonResourceURLs: Invalid value: []string{\"/metrics\"}: namespaced rules cannot apply to non-resource URLs",
        ]),
        case(
            "role binding roleRef and subjects",
            RBAC_GROUP,
            "RoleBinding",
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "b", "namespace": "default"},
                   "roleRef": {"apiGroup": "example.com", "kind": "Policy"},
                   "subjects": [{"kind": "Robot", "name": "r2"}, {"kind": "ServiceAccount", "apiGroup": "rbac.authorization.k8s.io"}]}),
        )
        .want(&[
            "roleRef.apiGroup: Unsupported value: \"example.com\": supported values: \"rbac.authorization.k8s.io\"",
            "roleRef.kind: Unsupported value: \"Policy\": supported values: \"Role\", \"ClusterRole\"",
            "roleRef.name: Required value",
            "subjects[0].kind: Unsupported value: \"Robot\": supported values: \"ServiceAccount\", \"User\", \"Group\"",
            "subjects[1].name: Required value",
            "subjects[1].apiGroup: Unsupported value: \"rbac.authorization.k8s.io\": supported values: \"\"",
        ]),
        case(
            "cluster role binding: ClusterRole only, service accounts need a namespace",
            RBAC_GROUP,
            "ClusterRoleBinding",
            set(
                del(cluster_role_binding(), "/subjects/0/namespace"),
                "/roleRef/kind",
                json!("Role"),
            ),
        )
        .want(&[
            "roleRef.kind: Unsupported value: \"Role\": supported values: \"ClusterRole\"",
            "subjects[0].namespace: Required value",
        ]),
        case(
            "roleRef is immutable",
            RBAC_GROUP,
            "RoleBinding",
            set(role_binding(), "/roleRef/name", json!("writer")),
        )
        .old(role_binding())
        .want(&["roleRef: Invalid value: rbac.RoleRef{APIGroup:\"rbac.authorization.k8s.io\", Kind:\"Role\", Name:\"writer\"}: cannot change roleRef"]),
        case(
            "hpa replicas, target and metrics",
            "autoscaling",
            "HorizontalPodAutoscaler",
            set(
                set(
                    set(hpa(), "/spec/minReplicas", json!(0)),
                    "/spec/maxReplicas",
                    json!(0),
                ),
                "/spec/scaleTargetRef",
                json!({"kind": "Deployment"}),
            ),
        )
        .want(&[
            "spec.minReplicas: Invalid value: 0: must be greater than or equal to 1",
            "spec.maxReplicas: Invalid value: 0: must be greater than 0",
            "spec.scaleTargetRef.name: Required value",
        ]),
        case(
            "hpa max below min",
            "autoscaling",
            "HorizontalPodAutoscaler",
            set(hpa(), "/spec/maxReplicas", json!(1)),
        )
        .want(&["spec.maxReplicas: Invalid value: 1: must be greater than or equal to `minReplicas`"]),
        case(
            "hpa metrics well-formed",
            "autoscaling",
            "HorizontalPodAutoscaler",
            set(
                hpa(),
                "/spec/metrics",
                json!([{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization"}}},
                       {"type": "Pods"},
                       {"type": "Magic"}]),
            ),
        )
        .want(&[
            "spec.metrics[0].resource.target.averageUtilization: Required value: must set either a target raw value or a target utilization",
            "spec.metrics[1].pods: Required value: must populate information for the given metric source",
            "spec.metrics[2].type: Unsupported value: \"Magic\": supported values: \"ContainerResource\", \"External\", \"Object\", \"Pods\", \"Resource\"",
        ]),
        case(
            "pdb: not both, valid values",
            "policy",
            "PodDisruptionBudget",
            json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "p", "namespace": "default"},
                   "spec": {"minAvailable": "150%", "maxUnavailable": -1}}),
        )
        .want(&[
            "spec: Invalid value: {\"minAvailable\":\"150%\",\"maxUnavailable\":-1}: minAvailable and maxUnavailable cannot be both set",
            "spec.minAvailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"150%\"}: must not be greater than 100%",
            "spec.maxUnavailable: Invalid value: -1: must be greater than or equal to 0",
        ]),
        case(
            "lease duration",
            "coordination.k8s.io",
            "Lease",
            json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": "l", "namespace": "default"},
                   "spec": {"leaseDurationSeconds": 0, "leaseTransitions": -1}}),
        )
        .want(&[
            "spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0",
            "spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0",
        ]),
    ]);
}

#[test]
fn cron_and_duration_parsing() {
    for ok in [
        "* * * * *",
        "*/15 0-6 1,15 * 1-5",
        "0 0 * jan,JUL sun",
        "5/10 * ? * *",
        "@hourly",
        "@every 90s",
        "@every 1.5h",
        "0 0 1 1 *",
    ] {
        assert_eq!(parse_cron(ok), Ok(()), "{ok}");
    }
    let bad = [
        ("", "empty spec string"),
        (
            "* * * * * *",
            "expected exactly 5 fields, found 6: [* * * * * *]",
        ),
        ("60 * * * *", "end of range (60) above maximum (59): 60"),
        ("* * 0 * *", "beginning of range (0) below minimum (1): 0"),
        (
            "5-2 * * * *",
            "beginning of range (5) beyond end of range (2): 5-2",
        ),
        (
            "*/0 * * * *",
            "step of range should be a positive number: */0",
        ),
        ("1-2-3 * * * *", "too many hyphens: 1-2-3"),
        ("1/2/3 * * * *", "too many slashes: 1/2/3"),
        (
            "-1 * * * *",
            "failed to parse int from : strconv.Atoi: parsing \"\": invalid syntax",
        ),
        (
            "@every 5",
            "failed to parse duration @every 5: time: missing unit in duration \"5\"",
        ),
        (
            "@every ",
            "failed to parse duration @every : time: invalid duration \"\"",
        ),
    ];
    for (spec, want) in bad {
        assert_eq!(parse_cron(spec), Err(want.to_owned()), "{spec:?}");
    }
}

#[test]
fn format_validators() {
    assert!(is_valid_port_name("http").is_empty());
    assert!(is_valid_port_name("h2c-1").is_empty());
    assert_eq!(
        is_valid_port_name("123"),
        vec!["must contain at least one letter (a-z)".to_owned()]
    );
    assert!(is_relaxed_env_var_name("my.var-1 x").is_empty());
    assert!(!is_relaxed_env_var_name("a\tb").is_empty());
    assert!(is_config_map_key(".env").is_empty());
    assert_eq!(
        is_config_map_key("..a"),
        vec!["must not start with '..'".to_owned()]
    );
    assert!(is_wildcard_dns1123_subdomain("*.example.com").is_empty());
    assert!(!is_wildcard_dns1123_subdomain("*.*.example.com").is_empty());
    assert!(is_valid_percent("0%").is_empty());
    assert!(!is_valid_percent("%").is_empty());
    assert!(parse_cidr("2001:db8::/64").is_some());
    assert!(parse_cidr("10.0.0.0").is_none());
    assert!(cidr_contains(
        "10.0.0.0".parse().expect("ip"),
        8,
        "10.1.0.0".parse().expect("ip")
    ));
    assert_eq!(base64_decode("czNjcjN0"), Some(b"s3cr3t".to_vec()));
    assert_eq!(base64_decode("!!"), None);
    assert_eq!(go_parse_duration("1h2m3.5s"), Ok(()));
    assert_eq!(check_time_zone("America/Argentina/Buenos_Aires"), Ok(()));
    assert_eq!(check_time_zone("Etc/GMT+5"), Ok(()));
}

#[test]
fn unknown_kinds_and_non_objects_are_accepted() {
    assert!(validate("example.com", "Widget", &json!({"spec": 1}), None).is_empty());
    assert!(validate("apps", "Deployment", &json!([1, 2]), None).is_empty());
    assert!(validate("core", "Pod", &json!("pod"), None).is_empty());
}

// ---------------------------------------------------------------------------------------------
// Arbitrary input never panics.

const KEYS: &[&str] = &[
    "spec",
    "template",
    "metadata",
    "labels",
    "annotations",
    "name",
    "namespace",
    "uid",
    "containers",
    "initContainers",
    "ephemeralContainers",
    "image",
    "ports",
    "containerPort",
    "hostPort",
    "protocol",
    "env",
    "envFrom",
    "value",
    "valueFrom",
    "fieldRef",
    "fieldPath",
    "apiVersion",
    "resourceFieldRef",
    "resource",
    "configMapKeyRef",
    "secretKeyRef",
    "key",
    "volumeMounts",
    "mountPath",
    "subPath",
    "volumes",
    "emptyDir",
    "sizeLimit",
    "secret",
    "secretName",
    "configMap",
    "items",
    "path",
    "mode",
    "projected",
    "sources",
    "hostPath",
    "resources",
    "limits",
    "requests",
    "cpu",
    "memory",
    "storage",
    "selector",
    "matchLabels",
    "matchExpressions",
    "operator",
    "values",
    "replicas",
    "strategy",
    "type",
    "rollingUpdate",
    "maxSurge",
    "maxUnavailable",
    "updateStrategy",
    "partition",
    "restartPolicy",
    "dnsPolicy",
    "livenessProbe",
    "readinessProbe",
    "httpGet",
    "exec",
    "command",
    "tcpSocket",
    "grpc",
    "lifecycle",
    "preStop",
    "sleep",
    "seconds",
    "successThreshold",
    "tolerations",
    "effect",
    "affinity",
    "nodeAffinity",
    "podAntiAffinity",
    "requiredDuringSchedulingIgnoredDuringExecution",
    "nodeSelectorTerms",
    "weight",
    "topologyKey",
    "topologySpreadConstraints",
    "maxSkew",
    "schedule",
    "timeZone",
    "jobTemplate",
    "completions",
    "parallelism",
    "completionMode",
    "podFailurePolicy",
    "rules",
    "onExitCodes",
    "onPodConditions",
    "http",
    "paths",
    "pathType",
    "backend",
    "service",
    "port",
    "number",
    "host",
    "tls",
    "hosts",
    "data",
    "binaryData",
    "stringData",
    "immutable",
    "roleRef",
    "subjects",
    "kind",
    "apiGroup",
    "verbs",
    "nonResourceURLs",
    "metrics",
    "target",
    "averageUtilization",
    "averageValue",
    "minReplicas",
    "maxReplicas",
    "scaleTargetRef",
    "behavior",
    "scaleUp",
    "policies",
    "minAvailable",
    "leaseDurationSeconds",
    "involvedObject",
    "regarding",
    "eventTime",
    "series",
    "count",
    "reportingController",
    "reportingComponent",
    "source",
    "note",
    "message",
    "clusterIP",
    "clusterIPs",
    "nodePort",
    "targetPort",
    "sessionAffinity",
    "sessionAffinityConfig",
    "clientIP",
    "timeoutSeconds",
    "externalName",
    "hard",
    "scopes",
    "scopeSelector",
    "max",
    "min",
    "default",
    "defaultRequest",
    "maxLimitRequestRatio",
    "taints",
    "podCIDR",
    "podCIDRs",
    "accessModes",
    "volumeClaimTemplates",
    "status",
    "capacity",
    "phase",
    "ingress",
    "egress",
    "from",
    "to",
    "ipBlock",
    "cidr",
    "except",
    "endPort",
    "policyTypes",
    "dnsConfig",
    "nameservers",
    "hostNetwork",
    "activeDeadlineSeconds",
    "terminationGracePeriodSeconds",
    "securityContext",
    "runAsUser",
    "seccompProfile",
    "manualSelector",
    "suspend",
];

const STRINGS: &[&str] = &[
    "",
    "Always",
    "Never",
    "OnFailure",
    "RollingUpdate",
    "Recreate",
    "OnDelete",
    "25%",
    "120%",
    "x%",
    "1Gi",
    "500m",
    "-1",
    "1e400",
    "0.0000000001",
    "99999999999999999999999999999999999999E",
    "*/5 * * * *",
    "@every 5m",
    "@every",
    "TZ=",
    "CRON_TZ=x",
    "1-2-3",
    "TCP",
    "UDP",
    "None",
    "ClusterIP",
    "NodePort",
    "LoadBalancer",
    "ExternalName",
    "Indexed",
    "kubernetes.io/tls",
    "kubernetes.io/dockerconfigjson",
    "metadata.labels['a']",
    "v1",
    "v2",
    "In",
    "Exists",
    "Gt",
    "web",
    "Web_1",
    "*.example.com",
    "10.0.0.0/8",
    "::1",
    "Prefix",
    "Exact",
    "Resource",
    "Pods",
    "Utilization",
    "Role",
    "ClusterRole",
    "ServiceAccount",
    "User",
    "é",
    "a=b",
    "..",
    "/a/../b",
    "Localhost",
    "ReadWriteOncePod",
    "Container",
    "Pod",
    "PersistentVolumeClaim",
    "Bound",
];

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-3i64..70000).prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        prop::sample::select(STRINGS).prop_map(|s| Value::String(s.to_owned())),
        "[a-zA-Z0-9./*%=_ :@-]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 96, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..6).prop_map(|kv| {
                Value::Object(kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
            }),
        ]
    })
}

/// Overlays `patch` onto `base` like a JSON merge patch (without deleting).
fn overlay(base: &mut Value, patch: &Value) {
    match (base, patch) {
        (Value::Object(b), Value::Object(p)) => {
            for (k, v) in p {
                overlay(b.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (b, p) => *b = p.clone(),
    }
}

const KINDS: &[(&str, &str)] = &[
    ("", "Pod"),
    ("", "PodTemplate"),
    ("", "ReplicationController"),
    ("", "Service"),
    ("", "ConfigMap"),
    ("", "Secret"),
    ("", "Namespace"),
    ("", "Node"),
    ("", "PersistentVolumeClaim"),
    ("", "ResourceQuota"),
    ("", "LimitRange"),
    ("", "Event"),
    ("events.k8s.io", "Event"),
    ("apps", "Deployment"),
    ("apps", "ReplicaSet"),
    ("apps", "StatefulSet"),
    ("apps", "DaemonSet"),
    ("batch", "Job"),
    ("batch", "CronJob"),
    ("networking.k8s.io", "Ingress"),
    ("networking.k8s.io", "NetworkPolicy"),
    (RBAC_GROUP, "Role"),
    (RBAC_GROUP, "ClusterRole"),
    (RBAC_GROUP, "RoleBinding"),
    (RBAC_GROUP, "ClusterRoleBinding"),
    ("autoscaling", "HorizontalPodAutoscaler"),
    ("policy", "PodDisruptionBudget"),
    ("coordination.k8s.io", "Lease"),
];

fn base_for(kind: &str) -> Value {
    match kind {
        "Pod" => pod(),
        "Deployment" | "ReplicaSet" => deployment(),
        "StatefulSet" => stateful_set(),
        "DaemonSet" => daemon_set(),
        "Job" => job(),
        "CronJob" => cron_job(),
        "Service" => service(),
        "Ingress" => ingress(),
        "NetworkPolicy" => network_policy(),
        "HorizontalPodAutoscaler" => hpa(),
        "RoleBinding" | "ClusterRoleBinding" => role_binding(),
        "Event" => events_event(),
        "Node" => node(),
        "Secret" => secret(),
        "ConfigMap" => config_map(),
        "PersistentVolumeClaim" => pvc(),
        _ => json!({"metadata": {"name": "x", "namespace": "default"}}),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn random_json_never_panics(obj in arb_json(), old in arb_json(), pick in 0usize..KINDS.len()) {
        let (group, kind) = KINDS[pick];
        let _ = validate(group, kind, &obj, None);
        let _ = validate(group, kind, &obj, Some(&old));
        let mut defaulted = obj.clone();
        apply_defaults(group, kind, &mut defaulted);
        let _ = validate(group, kind, &defaulted, Some(&obj));
    }

    #[test]
    fn mangled_manifests_never_panic(patch in arb_json(), old_patch in arb_json(), pick in 0usize..KINDS.len()) {
        let (group, kind) = KINDS[pick];
        let mut obj = base_for(kind);
        overlay(&mut obj, &patch);
        let mut old = base_for(kind);
        overlay(&mut old, &old_patch);
        apply_defaults(group, kind, &mut obj);
        let _ = validate(group, kind, &obj, None);
        let _ = validate(group, kind, &obj, Some(&old));
    }

    #[test]
    fn cron_parsing_never_panics(s in "[-0-9*/?,@a-zA-Z =]{0,30}") {
        let _ = parse_cron(&s);
    }
}
