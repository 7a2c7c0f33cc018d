//! Tests for `defaults`: one table of exact before/after objects per API group, objects whose
//! every defaulted field is already set (and must come back unchanged), image pull policies,
//! Job selector generation, and a property test over arbitrary JSON.

use super::*;
use proptest::prelude::*;
use serde_json::json;

struct Case {
    name: &'static str,
    group: &'static str,
    kind: &'static str,
    input: Value,
    want: Value,
}

fn run(cases: Vec<Case>) {
    for c in cases {
        let mut got = c.input.clone();
        apply_defaults(c.group, c.kind, &mut got);
        assert_eq!(
            got,
            c.want,
            "case {:?}: got\n{}",
            c.name,
            serde_json::to_string_pretty(&got).unwrap()
        );
        // Defaulting a defaulted object changes nothing.
        apply_defaults(c.group, c.kind, &mut got);
        assert_eq!(got, c.want, "case {:?} is not idempotent", c.name);
    }
}

/// `{name, image}` as kube stores it in any PodSpec.
fn defaulted_container(name: &str, image: &str, pull: &str) -> Value {
    json!({
        "name": name,
        "image": image,
        "imagePullPolicy": pull,
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "resources": {}
    })
}

/// A template's PodSpec with one `nginx` container, as kube stores it.
fn defaulted_template_spec(restart_policy: &str) -> Value {
    json!({
        "containers": [defaulted_container("c", "nginx", "Always")],
        "restartPolicy": restart_policy,
        "dnsPolicy": "ClusterFirst",
        "securityContext": {},
        "terminationGracePeriodSeconds": 30,
        "schedulerName": "default-scheduler"
    })
}

fn template(labels: Value) -> Value {
    json!({
        "metadata": {"labels": labels},
        "spec": {"containers": [{"name": "c", "image": "nginx"}]}
    })
}

fn defaulted_template(labels: Value, restart_policy: &str) -> Value {
    json!({"metadata": {"labels": labels}, "spec": defaulted_template_spec(restart_policy)})
}

#[test]
fn pods() {
    run(vec![
        Case {
            name: "minimal pod",
            group: "",
            kind: "Pod",
            input: json!({
                "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                "spec": {"containers": [{"name": "c", "image": "nginx"}]}
            }),
            want: json!({
                "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                "spec": {
                    "containers": [defaulted_container("c", "nginx", "Always")],
                    "restartPolicy": "Always",
                    "terminationGracePeriodSeconds": 30,
                    "dnsPolicy": "ClusterFirst",
                    "securityContext": {},
                    "schedulerName": "default-scheduler",
                    "enableServiceLinks": true
                }
            }),
        },
        Case {
            name: "\"core\" is the core group too",
            group: "core",
            kind: "Pod",
            input: json!({"spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}}),
            want: json!({"spec": {
                "containers": [defaulted_container("c", "nginx:1.27", "IfNotPresent")],
                "restartPolicy": "Always",
                "terminationGracePeriodSeconds": 30,
                "dnsPolicy": "ClusterFirst",
                "securityContext": {},
                "schedulerName": "default-scheduler",
                "enableServiceLinks": true
            }}),
        },
        Case {
            name: "containers, probes, env, lifecycle, requests from limits",
            group: "",
            kind: "Pod",
            input: json!({"spec": {
                "restartPolicy": "Never",
                "initContainers": [{
                    "name": "init", "image": "busybox:1.36",
                    "resources": {"limits": {"cpu": "1"}}
                }],
                "containers": [{
                    "name": "app",
                    "image": "registry.example.com:5000/team/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                    "ports": [{"containerPort": 80}, {"containerPort": 53, "protocol": "UDP"}],
                    "env": [
                        {"name": "A", "value": "x"},
                        {"name": "B", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                        {"name": "C", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}
                    ],
                    "resources": {
                        "limits": {"cpu": "500m", "memory": "128Mi"},
                        "requests": {"cpu": "100m"}
                    },
                    "livenessProbe": {"httpGet": {"port": 8080}},
                    "readinessProbe": {"grpc": {"port": 9000}, "periodSeconds": 5},
                    "startupProbe": {"exec": {"command": ["true"]}, "failureThreshold": 30},
                    "lifecycle": {
                        "preStop": {"httpGet": {"port": "http", "path": "/quit"}},
                        "postStart": {"exec": {"command": ["true"]}}
                    }
                }],
                "ephemeralContainers": [{
                    "name": "debug", "image": "busybox",
                    "resources": {"limits": {"cpu": "1"}}
                }]
            }}),
            want: json!({"spec": {
                "restartPolicy": "Never",
                "initContainers": [{
                    "name": "init", "image": "busybox:1.36",
                    "imagePullPolicy": "IfNotPresent",
                    "terminationMessagePath": "/dev/termination-log",
                    "terminationMessagePolicy": "File",
                    "resources": {"limits": {"cpu": "1"}, "requests": {"cpu": "1"}}
                }],
                "containers": [{
                    "name": "app",
                    "image": "registry.example.com:5000/team/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                    "imagePullPolicy": "IfNotPresent",
                    "terminationMessagePath": "/dev/termination-log",
                    "terminationMessagePolicy": "File",
                    "ports": [
                        {"containerPort": 80, "protocol": "TCP"},
                        {"containerPort": 53, "protocol": "UDP"}
                    ],
                    "env": [
                        {"name": "A", "value": "x"},
                        {"name": "B", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name", "apiVersion": "v1"}}},
                        {"name": "C", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}
                    ],
                    "resources": {
                        "limits": {"cpu": "500m", "memory": "128Mi"},
                        "requests": {"cpu": "100m", "memory": "128Mi"}
                    },
                    "livenessProbe": {
                        "httpGet": {"port": 8080, "path": "/", "scheme": "HTTP"},
                        "timeoutSeconds": 1, "periodSeconds": 10,
                        "successThreshold": 1, "failureThreshold": 3
                    },
                    "readinessProbe": {
                        "grpc": {"port": 9000, "service": ""},
                        "timeoutSeconds": 1, "periodSeconds": 5,
                        "successThreshold": 1, "failureThreshold": 3
                    },
                    "startupProbe": {
                        "exec": {"command": ["true"]},
                        "timeoutSeconds": 1, "periodSeconds": 10,
                        "successThreshold": 1, "failureThreshold": 30
                    },
                    "lifecycle": {
                        "preStop": {"httpGet": {"port": "http", "path": "/quit", "scheme": "HTTP"}},
                        "postStart": {"exec": {"command": ["true"]}}
                    }
                }],
                "ephemeralContainers": [{
                    "name": "debug", "image": "busybox",
                    "imagePullPolicy": "Always",
                    "terminationMessagePath": "/dev/termination-log",
                    "terminationMessagePolicy": "File",
                    // Ephemeral containers get container defaults but not requests from limits.
                    "resources": {"limits": {"cpu": "1"}}
                }],
                "terminationGracePeriodSeconds": 30,
                "dnsPolicy": "ClusterFirst",
                "securityContext": {},
                "schedulerName": "default-scheduler",
                "enableServiceLinks": true
            }}),
        },
        Case {
            name: "volumes",
            group: "",
            kind: "Pod",
            input: json!({"spec": {
                "containers": [],
                "volumes": [
                    {"name": "scratch"},
                    {"name": "nullsource", "configMap": null},
                    {"name": "cm", "configMap": {"name": "cm"}},
                    {"name": "sec", "secret": {"secretName": "s", "defaultMode": 256}},
                    {"name": "host", "hostPath": {"path": "/var/log"}},
                    {"name": "dapi", "downwardAPI": {"items": [
                        {"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}},
                        {"path": "cpu", "resourceFieldRef": {"resource": "limits.cpu"}}
                    ]}},
                    {"name": "proj", "projected": {"sources": [
                        {"serviceAccountToken": {"path": "token"}},
                        {"downwardAPI": {"items": [{"path": "ns", "fieldRef": {"fieldPath": "metadata.namespace"}}]}},
                        {"configMap": {"name": "kube-root-ca.crt"}}
                    ]}},
                    {"name": "eph", "ephemeral": {"volumeClaimTemplate": {"spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "resources": {"requests": {"storage": "1Gi"}}
                    }}}},
                    {"name": "iscsi", "iscsi": {"targetPortal": "10.0.0.1:3260", "iqn": "iqn.x", "lun": 0}},
                    {"name": "rbd", "rbd": {"monitors": ["m"], "image": "i"}},
                    {"name": "azure", "azureDisk": {"diskName": "d", "diskURI": "u"}},
                    {"name": "scaleio", "scaleIO": {"gateway": "g", "system": "s", "secretRef": {"name": "x"}}},
                    {"name": "img", "image": {"reference": "quay.io/org/artifact:v1"}},
                    {"name": "pvc", "persistentVolumeClaim": {"claimName": "data"}}
                ]
            }}),
            want: json!({"spec": {
                "containers": [],
                "volumes": [
                    {"name": "scratch", "emptyDir": {}},
                    {"name": "nullsource", "configMap": null, "emptyDir": {}},
                    {"name": "cm", "configMap": {"name": "cm", "defaultMode": 420}},
                    {"name": "sec", "secret": {"secretName": "s", "defaultMode": 256}},
                    {"name": "host", "hostPath": {"path": "/var/log", "type": ""}},
                    {"name": "dapi", "downwardAPI": {"defaultMode": 420, "items": [
                        {"path": "labels", "fieldRef": {"fieldPath": "metadata.labels", "apiVersion": "v1"}},
                        {"path": "cpu", "resourceFieldRef": {"resource": "limits.cpu"}}
                    ]}},
                    {"name": "proj", "projected": {"defaultMode": 420, "sources": [
                        {"serviceAccountToken": {"path": "token", "expirationSeconds": 3600}},
                        {"downwardAPI": {"items": [{"path": "ns", "fieldRef": {"fieldPath": "metadata.namespace", "apiVersion": "v1"}}]}},
                        {"configMap": {"name": "kube-root-ca.crt"}}
                    ]}},
                    {"name": "eph", "ephemeral": {"volumeClaimTemplate": {"spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "resources": {"requests": {"storage": "1Gi"}},
                        "volumeMode": "Filesystem"
                    }}}},
                    {"name": "iscsi", "iscsi": {"targetPortal": "10.0.0.1:3260", "iqn": "iqn.x", "lun": 0, "iscsiInterface": "default"}},
                    {"name": "rbd", "rbd": {"monitors": ["m"], "image": "i", "pool": "rbd", "user": "admin", "keyring": "/etc/ceph/keyring"}},
                    {"name": "azure", "azureDisk": {"diskName": "d", "diskURI": "u", "cachingMode": "ReadWrite", "kind": "Shared", "fsType": "ext4", "readOnly": false}},
                    {"name": "scaleio", "scaleIO": {"gateway": "g", "system": "s", "secretRef": {"name": "x"}, "storageMode": "ThinProvisioned", "fsType": "xfs"}},
                    {"name": "img", "image": {"reference": "quay.io/org/artifact:v1", "pullPolicy": "IfNotPresent"}},
                    {"name": "pvc", "persistentVolumeClaim": {"claimName": "data"}}
                ],
                "restartPolicy": "Always",
                "terminationGracePeriodSeconds": 30,
                "dnsPolicy": "ClusterFirst",
                "securityContext": {},
                "schedulerName": "default-scheduler",
                "enableServiceLinks": true
            }}),
        },
        Case {
            name: "host network copies container ports to host ports",
            group: "",
            kind: "Pod",
            input: json!({"spec": {
                "hostNetwork": true,
                "containers": [{"name": "c", "image": "nginx:1", "ports": [
                    {"containerPort": 80},
                    {"containerPort": 443, "hostPort": 8443},
                    {"containerPort": 8080, "hostPort": 0}
                ]}]
            }}),
            want: json!({"spec": {
                "hostNetwork": true,
                "containers": [{
                    "name": "c", "image": "nginx:1",
                    "ports": [
                        {"containerPort": 80, "hostPort": 80, "protocol": "TCP"},
                        {"containerPort": 443, "hostPort": 8443, "protocol": "TCP"},
                        {"containerPort": 8080, "hostPort": 8080, "protocol": "TCP"}
                    ],
                    "imagePullPolicy": "IfNotPresent",
                    "terminationMessagePath": "/dev/termination-log",
                    "terminationMessagePolicy": "File",
                    "resources": {}
                }],
                "restartPolicy": "Always",
                "terminationGracePeriodSeconds": 30,
                "dnsPolicy": "ClusterFirst",
                "securityContext": {},
                "schedulerName": "default-scheduler",
                "enableServiceLinks": true
            }}),
        },
        Case {
            name: "Go zero values of non-pointer fields count as unset",
            group: "",
            kind: "Pod",
            input: json!({"spec": {
                "restartPolicy": "", "dnsPolicy": null, "terminationGracePeriodSeconds": 0,
                "enableServiceLinks": false,
                "containers": [{
                    "name": "c", "image": "nginx", "imagePullPolicy": "",
                    "readinessProbe": {"tcpSocket": {"port": 80}, "timeoutSeconds": 0, "periodSeconds": null}
                }]
            }}),
            want: json!({"spec": {
                "restartPolicy": "Always", "dnsPolicy": "ClusterFirst",
                // Pointers keep their zero values.
                "terminationGracePeriodSeconds": 0,
                "enableServiceLinks": false,
                "containers": [{
                    "name": "c", "image": "nginx", "imagePullPolicy": "Always",
                    "readinessProbe": {
                        "tcpSocket": {"port": 80}, "timeoutSeconds": 1, "periodSeconds": 10,
                        "successThreshold": 1, "failureThreshold": 3
                    },
                    "terminationMessagePath": "/dev/termination-log",
                    "terminationMessagePolicy": "File",
                    "resources": {}
                }],
                "securityContext": {},
                "schedulerName": "default-scheduler"
            }}),
        },
        Case {
            name: "pod template: PodSpec defaults only",
            group: "",
            kind: "PodTemplate",
            input: json!({"metadata": {"name": "t"}, "template": template(json!({"a": "b"}))}),
            want: json!({
                "metadata": {"name": "t"},
                "template": defaulted_template(json!({"a": "b"}), "Always")
            }),
        },
        Case {
            name: "replication controller takes selector and labels from its template",
            group: "",
            kind: "ReplicationController",
            input: json!({"metadata": {"name": "rc"}, "spec": {"template": template(json!({"app": "x"}))}}),
            want: json!({
                "metadata": {"name": "rc", "labels": {"app": "x"}},
                "spec": {
                    "selector": {"app": "x"},
                    "replicas": 1,
                    "template": defaulted_template(json!({"app": "x"}), "Always")
                }
            }),
        },
        Case {
            name: "replication controller keeps its own selector and labels",
            group: "",
            kind: "ReplicationController",
            input: json!({
                "metadata": {"labels": {"tier": "web"}},
                "spec": {"replicas": 0, "selector": {"app": "x"}, "template": template(json!({"app": "x", "v": "1"}))}
            }),
            want: json!({
                "metadata": {"labels": {"tier": "web"}},
                "spec": {
                    "replicas": 0,
                    "selector": {"app": "x"},
                    "template": defaulted_template(json!({"app": "x", "v": "1"}), "Always")
                }
            }),
        },
    ]);
}

#[test]
fn image_pull_policies() {
    let cases = [
        ("nginx", "Always"),
        ("nginx:latest", "Always"),
        ("nginx:1.27", "IfNotPresent"),
        ("library/nginx", "Always"),
        ("docker.io/nginx:stable", "IfNotPresent"),
        ("index.docker.io/library/nginx", "Always"),
        ("localhost/app", "Always"),
        ("localhost:5000/app:latest", "Always"),
        ("localhost:5000/app:v2", "IfNotPresent"),
        ("registry.k8s.io/pause:3.10", "IfNotPresent"),
        ("[::1]:5000/app", "Always"),
        ("quay.io/org/repo/sub:1.0-alpha_2", "IfNotPresent"),
        (
            "gcr.io/a/b@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "IfNotPresent",
        ),
        (
            "gcr.io/a/b:latest@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "Always",
        ),
        (
            "gcr.io/a/b:v1@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "IfNotPresent",
        ),
        // Digests kube cannot validate make the reference invalid.
        ("nginx@sha256:0123", "IfNotPresent"),
        ("nginx@md5:0123456789abcdef0123456789abcdef", "IfNotPresent"),
        (
            "nginx@sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
            "IfNotPresent",
        ),
        // Invalid references: kube ignores the parse error and says IfNotPresent.
        ("", "IfNotPresent"),
        ("Nginx", "IfNotPresent"),
        ("nginx:", "IfNotPresent"),
        ("nginx:Latest", "IfNotPresent"),
        ("-nginx", "IfNotPresent"),
        (
            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "IfNotPresent",
        ),
        ("nginx:latest ", "IfNotPresent"),
        // An upper-case first component is a registry host, not a repository.
        ("Registry.Example/app", "Always"),
        ("ubuntu__x/app", "Always"),
    ];
    for (image, want) in cases {
        assert_eq!(pull_policy(image), want, "image {image:?}");
    }
    // The repository path, `library/` included, may have 255 characters; the registry
    // host does not count.
    let longest = format!("{}:latest", "a".repeat(247));
    assert_eq!(pull_policy(&longest), "Always", "library/ + 247 = 255");
    let too_long = "a".repeat(248);
    assert_eq!(
        pull_policy(&too_long),
        "IfNotPresent",
        "library/ + 248 > 255"
    );
    let hosted = format!("registry.example.com/{}", "a".repeat(255));
    assert_eq!(
        pull_policy(&hosted),
        "Always",
        "255-character path on a registry"
    );
}

#[test]
fn apps() {
    run(vec![
        Case {
            name: "deployment",
            group: "apps",
            kind: "Deployment",
            input: json!({
                "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
                "spec": {"selector": {"matchLabels": {"app": "x"}}, "template": template(json!({"app": "x"}))}
            }),
            want: json!({
                "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
                "spec": {
                    "replicas": 1,
                    "selector": {"matchLabels": {"app": "x"}},
                    "template": defaulted_template(json!({"app": "x"}), "Always"),
                    "strategy": {
                        "type": "RollingUpdate",
                        "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}
                    },
                    "revisionHistoryLimit": 10,
                    "progressDeadlineSeconds": 600
                }
            }),
        },
        Case {
            name: "deployment: Recreate has no rollingUpdate, partial rollingUpdate is filled",
            group: "apps",
            kind: "Deployment",
            input: json!({"spec": {"replicas": 0, "strategy": {"type": "Recreate"}, "template": template(json!({}))}}),
            want: json!({"spec": {
                "replicas": 0,
                "strategy": {"type": "Recreate"},
                "template": defaulted_template(json!({}), "Always"),
                "revisionHistoryLimit": 10,
                "progressDeadlineSeconds": 600
            }}),
        },
        Case {
            name: "deployment: rollingUpdate with one field set",
            group: "apps",
            kind: "Deployment",
            input: json!({"spec": {"strategy": {"rollingUpdate": {"maxSurge": 0}}, "template": template(json!({}))}}),
            want: json!({"spec": {
                "replicas": 1,
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": "25%"}},
                "template": defaulted_template(json!({}), "Always"),
                "revisionHistoryLimit": 10,
                "progressDeadlineSeconds": 600
            }}),
        },
        Case {
            name: "replicaset",
            group: "apps",
            kind: "ReplicaSet",
            input: json!({"spec": {"template": template(json!({"app": "x"}))}}),
            want: json!({"spec": {"replicas": 1, "template": defaulted_template(json!({"app": "x"}), "Always")}}),
        },
        Case {
            name: "statefulset",
            group: "apps",
            kind: "StatefulSet",
            input: json!({"spec": {
                "serviceName": "s",
                "template": template(json!({"app": "x"})),
                "volumeClaimTemplates": [{
                    "metadata": {"name": "data"},
                    "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
                }]
            }}),
            want: json!({"spec": {
                "serviceName": "s",
                "template": defaulted_template(json!({"app": "x"}), "Always"),
                "volumeClaimTemplates": [{
                    "metadata": {"name": "data"},
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "resources": {"requests": {"storage": "1Gi"}},
                        "volumeMode": "Filesystem"
                    },
                    "status": {"phase": "Pending"}
                }],
                "podManagementPolicy": "OrderedReady",
                "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
                "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
                "replicas": 1,
                "revisionHistoryLimit": 10
            }}),
        },
        Case {
            name: "statefulset: an explicit RollingUpdate gets no rollingUpdate, OnDelete none",
            group: "apps",
            kind: "StatefulSet",
            input: json!({"spec": {
                "updateStrategy": {"type": "RollingUpdate"},
                "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Delete"},
                "template": template(json!({}))
            }}),
            want: json!({"spec": {
                "updateStrategy": {"type": "RollingUpdate"},
                "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Delete", "whenScaled": "Retain"},
                "template": defaulted_template(json!({}), "Always"),
                "podManagementPolicy": "OrderedReady",
                "replicas": 1,
                "revisionHistoryLimit": 10
            }}),
        },
        Case {
            name: "statefulset: explicit rollingUpdate gets a partition",
            group: "apps",
            kind: "StatefulSet",
            input: json!({"spec": {
                "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 2}},
                "template": template(json!({}))
            }}),
            want: json!({"spec": {
                "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 2, "partition": 0}},
                "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
                "template": defaulted_template(json!({}), "Always"),
                "podManagementPolicy": "OrderedReady",
                "replicas": 1,
                "revisionHistoryLimit": 10
            }}),
        },
        Case {
            name: "daemonset",
            group: "apps",
            kind: "DaemonSet",
            input: json!({"spec": {"selector": {"matchLabels": {"app": "x"}}, "template": template(json!({"app": "x"}))}}),
            want: json!({"spec": {
                "selector": {"matchLabels": {"app": "x"}},
                "template": defaulted_template(json!({"app": "x"}), "Always"),
                "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}},
                "revisionHistoryLimit": 10
            }}),
        },
        Case {
            name: "daemonset: OnDelete",
            group: "apps",
            kind: "DaemonSet",
            input: json!({"spec": {"updateStrategy": {"type": "OnDelete"}, "revisionHistoryLimit": 0, "template": template(json!({}))}}),
            want: json!({"spec": {
                "updateStrategy": {"type": "OnDelete"},
                "revisionHistoryLimit": 0,
                "template": defaulted_template(json!({}), "Always")
            }}),
        },
    ]);
}

#[test]
fn batch() {
    let job_template = || {
        json!({
            "metadata": {"labels": {"app": "x"}},
            "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "nginx"}]}
        })
    };
    run(vec![
        Case {
            name: "job",
            group: "batch",
            kind: "Job",
            input: json!({"metadata": {"name": "j"}, "spec": {"template": job_template()}}),
            want: json!({
                "metadata": {"name": "j", "labels": {"app": "x"}},
                "spec": {
                    "template": defaulted_template(json!({"app": "x"}), "Never"),
                    "completions": 1,
                    "parallelism": 1,
                    "backoffLimit": 6,
                    "completionMode": "NonIndexed",
                    "suspend": false,
                    "podReplacementPolicy": "TerminatingOrFailed",
                    "manualSelector": false
                }
            }),
        },
        Case {
            name: "job without restartPolicy gets Always, which validation rejects",
            group: "batch",
            kind: "Job",
            input: json!({"metadata": {"labels": {"own": "y"}}, "spec": {
                "parallelism": 3,
                "template": {"spec": {"containers": [{"name": "c", "image": "nginx"}]}}
            }}),
            want: json!({
                "metadata": {"labels": {"own": "y"}},
                "spec": {
                    "parallelism": 3,
                    "template": {"spec": defaulted_template_spec("Always")},
                    "backoffLimit": 6,
                    "completionMode": "NonIndexed",
                    "suspend": false,
                    "podReplacementPolicy": "TerminatingOrFailed",
                    "manualSelector": false
                }
            }),
        },
        Case {
            name: "job with backoffLimitPerIndex and a pod failure policy",
            group: "batch",
            kind: "Job",
            input: json!({"spec": {
                "completions": 4,
                "completionMode": "Indexed",
                "backoffLimitPerIndex": 1,
                "podFailurePolicy": {"rules": [
                    {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}, {"type": "X", "status": "False"}]},
                    {"action": "FailJob", "onExitCodes": {"operator": "In", "values": [42]}}
                ]},
                "template": job_template()
            }}),
            want: json!({
                "metadata": {"labels": {"app": "x"}},
                "spec": {
                    "completions": 4,
                    "completionMode": "Indexed",
                    "backoffLimitPerIndex": 1,
                    "podFailurePolicy": {"rules": [
                        {"action": "Ignore", "onPodConditions": [
                            {"type": "DisruptionTarget", "status": "True"},
                            {"type": "X", "status": "False"}
                        ]},
                        {"action": "FailJob", "onExitCodes": {"operator": "In", "values": [42]}}
                    ]},
                    "template": defaulted_template(json!({"app": "x"}), "Never"),
                    "parallelism": 1,
                    "backoffLimit": 2147483647,
                    "suspend": false,
                    "podReplacementPolicy": "Failed",
                    "manualSelector": false
                }
            }),
        },
        Case {
            name: "cronjob: job template gets PodSpec defaults only",
            group: "batch",
            kind: "CronJob",
            input: json!({"spec": {
                "schedule": "*/5 * * * *",
                "jobTemplate": {"spec": {
                    "podFailurePolicy": {"rules": [{"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]}]},
                    "template": job_template()
                }}
            }}),
            want: json!({"spec": {
                "schedule": "*/5 * * * *",
                "jobTemplate": {"spec": {
                    "podFailurePolicy": {"rules": [{"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]}]},
                    "template": defaulted_template(json!({"app": "x"}), "Never")
                }},
                "concurrencyPolicy": "Allow",
                "suspend": false,
                "successfulJobsHistoryLimit": 3,
                "failedJobsHistoryLimit": 1
            }}),
        },
    ]);
}

#[test]
fn job_selector_generation() {
    let mut job = json!({
        "metadata": {"name": "pi", "uid": "1234"},
        "spec": {
            "manualSelector": false,
            "template": {"metadata": {"labels": {"app": "pi", "job-name": "mine"}}, "spec": {}}
        }
    });
    job_selector_defaults(&mut job);
    assert_eq!(
        job,
        json!({
            "metadata": {"name": "pi", "uid": "1234"},
            "spec": {
                "manualSelector": false,
                "template": {"metadata": {"labels": {
                    "app": "pi",
                    "job-name": "mine",
                    "batch.kubernetes.io/job-name": "pi",
                    "controller-uid": "1234",
                    "batch.kubernetes.io/controller-uid": "1234"
                }}, "spec": {}},
                "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "1234"}}
            }
        })
    );

    let mut bare = json!({"metadata": {"name": "j", "uid": "u"}, "spec": {"selector": {"matchExpressions": []}}});
    job_selector_defaults(&mut bare);
    assert_eq!(
        bare,
        json!({"metadata": {"name": "j", "uid": "u"}, "spec": {
            "selector": {"matchExpressions": [], "matchLabels": {"batch.kubernetes.io/controller-uid": "u"}},
            "template": {"metadata": {"labels": {
                "job-name": "j", "batch.kubernetes.io/job-name": "j",
                "controller-uid": "u", "batch.kubernetes.io/controller-uid": "u"
            }}}
        }})
    );

    for unchanged in [
        json!({"metadata": {"name": "j", "uid": "u"}, "spec": {"manualSelector": true, "selector": {"matchLabels": {"a": "b"}}}}),
        json!({"metadata": {"name": "j"}, "spec": {}}),
        json!({"metadata": {"name": "j", "uid": ""}, "spec": {}}),
        json!({"metadata": {"name": "j", "uid": "u"}, "spec": 7}),
        json!("job"),
    ] {
        let mut got = unchanged.clone();
        job_selector_defaults(&mut got);
        assert_eq!(got, unchanged);
    }
}

#[test]
fn services() {
    run(vec![
        Case {
            name: "cluster IP service",
            group: "",
            kind: "Service",
            input: json!({"metadata": {"name": "s"}, "spec": {
                "selector": {"app": "x"},
                "ports": [{"port": 80}, {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": "dns"}]
            }}),
            want: json!({"metadata": {"name": "s"}, "spec": {
                "selector": {"app": "x"},
                "ports": [
                    {"port": 80, "protocol": "TCP", "targetPort": 80},
                    {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": "dns"}
                ],
                "sessionAffinity": "None",
                "type": "ClusterIP",
                "internalTrafficPolicy": "Cluster",
                "ipFamilyPolicy": "SingleStack",
                "ipFamilies": ["IPv4"]
            }}),
        },
        Case {
            name: "zero target ports take the port",
            group: "",
            kind: "Service",
            input: json!({"spec": {"ports": [{"port": 80, "targetPort": 0}, {"port": 81, "targetPort": ""}]}}),
            want: json!({"spec": {
                "ports": [
                    {"port": 80, "targetPort": 80, "protocol": "TCP"},
                    {"port": 81, "targetPort": 81, "protocol": "TCP"}
                ],
                "sessionAffinity": "None",
                "type": "ClusterIP",
                "internalTrafficPolicy": "Cluster",
                "ipFamilyPolicy": "SingleStack",
                "ipFamilies": ["IPv4"]
            }}),
        },
        Case {
            name: "node port",
            group: "",
            kind: "Service",
            input: json!({"spec": {"type": "NodePort", "ports": [{"port": 80, "nodePort": 30080}]}}),
            want: json!({"spec": {
                "type": "NodePort",
                "ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP", "targetPort": 80}],
                "sessionAffinity": "None",
                "externalTrafficPolicy": "Cluster",
                "internalTrafficPolicy": "Cluster",
                "ipFamilyPolicy": "SingleStack",
                "ipFamilies": ["IPv4"]
            }}),
        },
        Case {
            name: "load balancer with status and client IP affinity",
            group: "",
            kind: "Service",
            input: json!({
                "spec": {"type": "LoadBalancer", "sessionAffinity": "ClientIP", "ports": [{"port": 443}]},
                "status": {"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}, {"hostname": "lb.example"}, {"ip": "5.6.7.8", "ipMode": "Proxy"}]}}
            }),
            want: json!({
                "spec": {
                    "type": "LoadBalancer",
                    "sessionAffinity": "ClientIP",
                    "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 10800}},
                    "ports": [{"port": 443, "protocol": "TCP", "targetPort": 443}],
                    "externalTrafficPolicy": "Cluster",
                    "internalTrafficPolicy": "Cluster",
                    "allocateLoadBalancerNodePorts": true,
                    "ipFamilyPolicy": "SingleStack",
                    "ipFamilies": ["IPv4"]
                },
                "status": {"loadBalancer": {"ingress": [
                    {"ip": "1.2.3.4", "ipMode": "VIP"},
                    {"hostname": "lb.example"},
                    {"ip": "5.6.7.8", "ipMode": "Proxy"}
                ]}}
            }),
        },
        Case {
            name: "affinity None drops its config; external IPs make ClusterIP external",
            group: "",
            kind: "Service",
            input: json!({"spec": {
                "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 60}},
                "externalIPs": ["192.0.2.10"],
                "ports": [{"port": 80}]
            }}),
            want: json!({"spec": {
                "externalIPs": ["192.0.2.10"],
                "ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}],
                "sessionAffinity": "None",
                "type": "ClusterIP",
                "externalTrafficPolicy": "Cluster",
                "internalTrafficPolicy": "Cluster",
                "ipFamilyPolicy": "SingleStack",
                "ipFamilies": ["IPv4"]
            }}),
        },
        Case {
            name: "headless without selector is dual-stack",
            group: "",
            kind: "Service",
            input: json!({"spec": {"clusterIP": "None", "ports": [{"port": 5432}]}}),
            want: json!({"spec": {
                "clusterIP": "None",
                "ports": [{"port": 5432, "protocol": "TCP", "targetPort": 5432}],
                "sessionAffinity": "None",
                "type": "ClusterIP",
                "internalTrafficPolicy": "Cluster",
                "ipFamilyPolicy": "RequireDualStack",
                "ipFamilies": ["IPv4", "IPv6"]
            }}),
        },
        Case {
            name: "headless with selector",
            group: "",
            kind: "Service",
            input: json!({"spec": {"clusterIP": "None", "clusterIPs": ["None"], "selector": {"app": "db"}}}),
            want: json!({"spec": {
                "clusterIP": "None",
                "clusterIPs": ["None"],
                "selector": {"app": "db"},
                "sessionAffinity": "None",
                "type": "ClusterIP",
                "internalTrafficPolicy": "Cluster",
                "ipFamilyPolicy": "SingleStack",
                "ipFamilies": ["IPv4"]
            }}),
        },
        Case {
            name: "families follow requested cluster IPs",
            group: "",
            kind: "Service",
            input: json!({"spec": {"clusterIPs": ["fd00::10"], "ipFamilyPolicy": "PreferDualStack"}}),
            want: json!({"spec": {
                "clusterIPs": ["fd00::10"],
                "ipFamilyPolicy": "PreferDualStack",
                "ipFamilies": ["IPv6"],
                "sessionAffinity": "None",
                "type": "ClusterIP",
                "internalTrafficPolicy": "Cluster"
            }}),
        },
        Case {
            name: "external name",
            group: "",
            kind: "Service",
            input: json!({"spec": {"type": "ExternalName", "externalName": "db.example.com"}}),
            want: json!({"spec": {
                "type": "ExternalName",
                "externalName": "db.example.com",
                "sessionAffinity": "None"
            }}),
        },
    ]);
}

#[test]
fn core_others() {
    run(vec![
        Case {
            name: "secret",
            group: "",
            kind: "Secret",
            input: json!({"metadata": {"name": "s"}, "data": {"k": "dg=="}}),
            want: json!({"metadata": {"name": "s"}, "data": {"k": "dg=="}, "type": "Opaque"}),
        },
        Case {
            name: "secret keeps its type",
            group: "",
            kind: "Secret",
            input: json!({"type": "kubernetes.io/tls"}),
            want: json!({"type": "kubernetes.io/tls"}),
        },
        Case {
            name: "config map: nothing visible",
            group: "",
            kind: "ConfigMap",
            input: json!({"metadata": {"name": "c"}}),
            want: json!({"metadata": {"name": "c"}}),
        },
        Case {
            name: "namespace",
            group: "",
            kind: "Namespace",
            input: json!({"metadata": {"name": "team-a", "labels": {"kubernetes.io/metadata.name": "wrong", "x": "y"}}}),
            want: json!({
                "metadata": {"name": "team-a", "labels": {"kubernetes.io/metadata.name": "team-a", "x": "y"}},
                "status": {"phase": "Active"}
            }),
        },
        Case {
            name: "namespace without a name yet",
            group: "",
            kind: "Namespace",
            input: json!({"metadata": {"generateName": "ns-"}, "status": {"phase": "Terminating"}}),
            want: json!({"metadata": {"generateName": "ns-"}, "status": {"phase": "Terminating"}}),
        },
        Case {
            name: "persistent volume claim",
            group: "",
            kind: "PersistentVolumeClaim",
            input: json!({"spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}),
            want: json!({
                "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}, "volumeMode": "Filesystem"},
                "status": {"phase": "Pending"}
            }),
        },
        Case {
            name: "persistent volume",
            group: "",
            kind: "PersistentVolume",
            input: json!({"spec": {"capacity": {"storage": "5Gi"}, "hostPath": {"path": "/data"}, "rbd": {"image": "i", "pool": "p"}}}),
            want: json!({
                "spec": {
                    "capacity": {"storage": "5Gi"},
                    "hostPath": {"path": "/data", "type": ""},
                    "rbd": {"image": "i", "pool": "p", "user": "admin", "keyring": "/etc/ceph/keyring"},
                    "persistentVolumeReclaimPolicy": "Retain",
                    "volumeMode": "Filesystem"
                },
                "status": {"phase": "Pending"}
            }),
        },
        Case {
            name: "endpoints",
            group: "",
            kind: "Endpoints",
            input: json!({"subsets": [{"addresses": [{"ip": "10.0.0.1"}], "ports": [{"port": 80}, {"port": 53, "protocol": "UDP"}]}]}),
            want: json!({"subsets": [{"addresses": [{"ip": "10.0.0.1"}], "ports": [{"port": 80, "protocol": "TCP"}, {"port": 53, "protocol": "UDP"}]}]}),
        },
        Case {
            name: "node: allocatable defaults to capacity",
            group: "",
            kind: "Node",
            input: json!({"metadata": {"name": "n"}, "status": {"capacity": {"cpu": "4", "pods": "110"}}}),
            want: json!({"metadata": {"name": "n"}, "status": {
                "capacity": {"cpu": "4", "pods": "110"},
                "allocatable": {"cpu": "4", "pods": "110"}
            }}),
        },
        Case {
            name: "node without status",
            group: "",
            kind: "Node",
            input: json!({"metadata": {"name": "n"}, "spec": {}}),
            want: json!({"metadata": {"name": "n"}, "spec": {}}),
        },
        Case {
            name: "limit range",
            group: "",
            kind: "LimitRange",
            input: json!({"spec": {"limits": [
                {"type": "Container", "max": {"cpu": "2", "memory": "1Gi"}, "min": {"cpu": "100m", "ephemeral-storage": "1Gi"}, "default": {"cpu": "1"}},
                {"type": "Container"},
                {"type": "Pod", "max": {"cpu": "4"}}
            ]}}),
            want: json!({"spec": {"limits": [
                {
                    "type": "Container",
                    "max": {"cpu": "2", "memory": "1Gi"},
                    "min": {"cpu": "100m", "ephemeral-storage": "1Gi"},
                    "default": {"cpu": "1", "memory": "1Gi"},
                    "defaultRequest": {"cpu": "1", "memory": "1Gi", "ephemeral-storage": "1Gi"}
                },
                {"type": "Container"},
                {"type": "Pod", "max": {"cpu": "4"}}
            ]}}),
        },
        Case {
            name: "service account: nothing",
            group: "",
            kind: "ServiceAccount",
            input: json!({"metadata": {"name": "default"}}),
            want: json!({"metadata": {"name": "default"}}),
        },
        Case {
            name: "list kinds default their items",
            group: "",
            kind: "SecretList",
            input: json!({"items": [{"metadata": {"name": "a"}}, {"type": "Opaque2"}, 3]}),
            want: json!({"items": [{"metadata": {"name": "a"}, "type": "Opaque"}, {"type": "Opaque2"}, 3]}),
        },
    ]);
}

#[test]
fn other_groups() {
    run(vec![
        Case {
            name: "hpa v2",
            group: "autoscaling",
            kind: "HorizontalPodAutoscaler",
            input: json!({"apiVersion": "autoscaling/v2", "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "d"},
                "maxReplicas": 5
            }}),
            want: json!({"apiVersion": "autoscaling/v2", "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "d"},
                "maxReplicas": 5,
                "minReplicas": 1,
                "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]
            }}),
        },
        Case {
            name: "hpa v2 behavior",
            group: "autoscaling",
            kind: "HorizontalPodAutoscaler",
            input: json!({"spec": {
                "minReplicas": 2,
                "metrics": [{"type": "Pods", "pods": {"metric": {"name": "qps"}, "target": {"type": "AverageValue", "averageValue": "10"}}}],
                "behavior": {"scaleDown": {"stabilizationWindowSeconds": 60, "policies": []}}
            }}),
            want: json!({"spec": {
                "minReplicas": 2,
                "metrics": [{"type": "Pods", "pods": {"metric": {"name": "qps"}, "target": {"type": "AverageValue", "averageValue": "10"}}}],
                "behavior": {
                    "scaleDown": {"stabilizationWindowSeconds": 60, "policies": [], "selectPolicy": "Max"},
                    "scaleUp": {
                        "stabilizationWindowSeconds": 0,
                        "selectPolicy": "Max",
                        "policies": [
                            {"type": "Pods", "value": 4, "periodSeconds": 15},
                            {"type": "Percent", "value": 100, "periodSeconds": 15}
                        ]
                    }
                }
            }}),
        },
        Case {
            name: "hpa v2 empty behavior",
            group: "autoscaling",
            kind: "HorizontalPodAutoscaler",
            input: json!({"spec": {"minReplicas": 1, "metrics": [{"type": "Resource"}], "behavior": {}}}),
            want: json!({"spec": {
                "minReplicas": 1,
                "metrics": [{"type": "Resource"}],
                "behavior": {
                    "scaleUp": {
                        "stabilizationWindowSeconds": 0,
                        "selectPolicy": "Max",
                        "policies": [
                            {"type": "Pods", "value": 4, "periodSeconds": 15},
                            {"type": "Percent", "value": 100, "periodSeconds": 15}
                        ]
                    },
                    "scaleDown": {
                        "selectPolicy": "Max",
                        "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]
                    }
                }
            }}),
        },
        Case {
            name: "hpa v1",
            group: "autoscaling",
            kind: "HorizontalPodAutoscaler",
            input: json!({"apiVersion": "autoscaling/v1", "spec": {"maxReplicas": 3}}),
            want: json!({"apiVersion": "autoscaling/v1", "spec": {"maxReplicas": 3, "minReplicas": 1}}),
        },
        Case {
            name: "network policy with egress",
            group: "networking.k8s.io",
            kind: "NetworkPolicy",
            input: json!({"spec": {
                "ingress": [{"ports": [{"port": 80}, {"port": 53, "protocol": "UDP"}]}],
                "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}], "ports": [{"port": 443}]}]
            }}),
            want: json!({"spec": {
                "podSelector": {},
                "ingress": [{"ports": [{"port": 80, "protocol": "TCP"}, {"port": 53, "protocol": "UDP"}]}],
                "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}], "ports": [{"port": 443, "protocol": "TCP"}]}],
                "policyTypes": ["Ingress", "Egress"]
            }}),
        },
        Case {
            name: "network policy, ingress only",
            group: "networking.k8s.io",
            kind: "NetworkPolicy",
            input: json!({"spec": {"podSelector": {"matchLabels": {"app": "x"}}, "policyTypes": [], "egress": []}}),
            want: json!({"spec": {"podSelector": {"matchLabels": {"app": "x"}}, "policyTypes": ["Ingress"], "egress": []}}),
        },
        Case {
            name: "ingress class",
            group: "networking.k8s.io",
            kind: "IngressClass",
            input: json!({"spec": {"controller": "x/y", "parameters": {"kind": "Params", "name": "p"}}}),
            want: json!({"spec": {"controller": "x/y", "parameters": {"kind": "Params", "name": "p", "scope": "Cluster"}}}),
        },
        Case {
            name: "ingress: nothing",
            group: "networking.k8s.io",
            kind: "Ingress",
            input: json!({"spec": {"rules": [{"http": {"paths": [{"path": "/"}]}}]}}),
            want: json!({"spec": {"rules": [{"http": {"paths": [{"path": "/"}]}}]}}),
        },
        Case {
            name: "role binding",
            group: "rbac.authorization.k8s.io",
            kind: "RoleBinding",
            input: json!({
                "roleRef": {"kind": "Role", "name": "r"},
                "subjects": [
                    {"kind": "User", "name": "alice"},
                    {"kind": "Group", "name": "devs", "apiGroup": "rbac.authorization.k8s.io"},
                    {"kind": "ServiceAccount", "name": "default", "namespace": "ns"}
                ]
            }),
            want: json!({
                "roleRef": {"kind": "Role", "name": "r", "apiGroup": "rbac.authorization.k8s.io"},
                "subjects": [
                    {"kind": "User", "name": "alice", "apiGroup": "rbac.authorization.k8s.io"},
                    {"kind": "Group", "name": "devs", "apiGroup": "rbac.authorization.k8s.io"},
                    {"kind": "ServiceAccount", "name": "default", "namespace": "ns"}
                ]
            }),
        },
        Case {
            name: "cluster role binding",
            group: "rbac.authorization.k8s.io",
            kind: "ClusterRoleBinding",
            input: json!({"roleRef": {"kind": "ClusterRole", "name": "view", "apiGroup": ""}}),
            want: json!({"roleRef": {"kind": "ClusterRole", "name": "view", "apiGroup": "rbac.authorization.k8s.io"}}),
        },
        Case {
            name: "endpoint slice",
            group: "discovery.k8s.io",
            kind: "EndpointSlice",
            input: json!({"addressType": "IPv4", "ports": [{"port": 80}, {"name": "dns", "port": 53, "protocol": "UDP"}]}),
            want: json!({"addressType": "IPv4", "ports": [
                {"port": 80, "name": "", "protocol": "TCP"},
                {"name": "dns", "port": 53, "protocol": "UDP"}
            ]}),
        },
        Case {
            name: "storage class",
            group: "storage.k8s.io",
            kind: "StorageClass",
            input: json!({"provisioner": "x"}),
            want: json!({"provisioner": "x", "reclaimPolicy": "Delete", "volumeBindingMode": "Immediate"}),
        },
        Case {
            name: "csi driver",
            group: "storage.k8s.io",
            kind: "CSIDriver",
            input: json!({"metadata": {"name": "d"}, "spec": {"attachRequired": false}}),
            want: json!({"metadata": {"name": "d"}, "spec": {
                "attachRequired": false,
                "podInfoOnMount": false,
                "storageCapacity": false,
                "fsGroupPolicy": "ReadWriteOnceWithFSType",
                "volumeLifecycleModes": ["Persistent"],
                "requiresRepublish": false,
                "seLinuxMount": false
            }}),
        },
        Case {
            name: "priority class",
            group: "scheduling.k8s.io",
            kind: "PriorityClass",
            input: json!({"value": 1000}),
            want: json!({"value": 1000, "preemptionPolicy": "PreemptLowerPriority"}),
        },
        Case {
            name: "mutating webhook configuration",
            group: "admissionregistration.k8s.io",
            kind: "MutatingWebhookConfiguration",
            input: json!({"webhooks": [{
                "name": "w.example.com",
                "clientConfig": {"service": {"namespace": "ns", "name": "svc"}},
                "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}],
                "sideEffects": "None",
                "admissionReviewVersions": ["v1"]
            }]}),
            want: json!({"webhooks": [{
                "name": "w.example.com",
                "clientConfig": {"service": {"namespace": "ns", "name": "svc", "port": 443}},
                "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"], "scope": "*"}],
                "sideEffects": "None",
                "admissionReviewVersions": ["v1"],
                "failurePolicy": "Fail",
                "matchPolicy": "Equivalent",
                "namespaceSelector": {},
                "objectSelector": {},
                "timeoutSeconds": 10,
                "reinvocationPolicy": "Never"
            }]}),
        },
        Case {
            name: "validating webhook configuration",
            group: "admissionregistration.k8s.io",
            kind: "ValidatingWebhookConfiguration",
            input: json!({"webhooks": [{"name": "w", "clientConfig": {"url": "https://x"}, "failurePolicy": "Ignore", "timeoutSeconds": 5}]}),
            want: json!({"webhooks": [{
                "name": "w",
                "clientConfig": {"url": "https://x"},
                "failurePolicy": "Ignore",
                "timeoutSeconds": 5,
                "matchPolicy": "Equivalent",
                "namespaceSelector": {},
                "objectSelector": {}
            }]}),
        },
        Case {
            name: "validating admission policy and binding",
            group: "admissionregistration.k8s.io",
            kind: "ValidatingAdmissionPolicy",
            input: json!({"spec": {"matchConstraints": {"resourceRules": [{"operations": ["*"], "resources": ["deployments"]}]}}}),
            want: json!({"spec": {
                "failurePolicy": "Fail",
                "matchConstraints": {
                    "resourceRules": [{"operations": ["*"], "resources": ["deployments"], "scope": "*"}],
                    "matchPolicy": "Equivalent",
                    "namespaceSelector": {},
                    "objectSelector": {}
                }
            }}),
        },
        Case {
            name: "validating admission policy binding",
            group: "admissionregistration.k8s.io",
            kind: "ValidatingAdmissionPolicyBinding",
            input: json!({"spec": {"policyName": "p", "matchResources": {"namespaceSelector": {"matchLabels": {"a": "b"}}}}}),
            want: json!({"spec": {"policyName": "p", "matchResources": {
                "namespaceSelector": {"matchLabels": {"a": "b"}},
                "matchPolicy": "Equivalent",
                "objectSelector": {}
            }}}),
        },
        Case {
            name: "lease, pdb and unknown kinds: nothing",
            group: "policy",
            kind: "PodDisruptionBudget",
            input: json!({"spec": {"minAvailable": 1}}),
            want: json!({"spec": {"minAvailable": 1}}),
        },
    ]);
}

/// Objects whose every defaulted field is already set, to non-default values where the type
/// allows.
fn fully_specified() -> Vec<(&'static str, &'static str, Value)> {
    let container = json!({
        "name": "c", "image": "nginx",
        "imagePullPolicy": "Never",
        "terminationMessagePath": "/tmp/msg",
        "terminationMessagePolicy": "FallbackToLogsOnError",
        "ports": [{"containerPort": 80, "protocol": "SCTP", "hostPort": 9090}],
        "env": [{"name": "B", "valueFrom": {"fieldRef": {"fieldPath": "x", "apiVersion": "v2"}}}],
        "resources": {"limits": {"cpu": "2"}, "requests": {"cpu": "1"}},
        "livenessProbe": {
            "httpGet": {"port": 1, "path": "/healthz", "scheme": "HTTPS"},
            "timeoutSeconds": 9, "periodSeconds": 9, "successThreshold": 1, "failureThreshold": 9
        },
        "readinessProbe": {
            "grpc": {"port": 1, "service": "svc"},
            "timeoutSeconds": 9, "periodSeconds": 9, "successThreshold": 9, "failureThreshold": 9
        },
        "lifecycle": {"preStop": {"httpGet": {"port": 1, "path": "/q", "scheme": "HTTPS"}}}
    });
    let pod_spec = json!({
        "hostNetwork": true,
        "containers": [container.clone()],
        "initContainers": [container],
        "restartPolicy": "OnFailure",
        "terminationGracePeriodSeconds": 5,
        "dnsPolicy": "Default",
        "securityContext": {"runAsUser": 1000},
        "schedulerName": "custom",
        "enableServiceLinks": false,
        "volumes": [
            {"name": "a", "emptyDir": {"medium": "Memory"}},
            {"name": "b", "secret": {"secretName": "s", "defaultMode": 256}},
            {"name": "c", "configMap": {"name": "c", "defaultMode": 0}},
            {"name": "d", "hostPath": {"path": "/", "type": "Directory"}},
            {"name": "e", "projected": {"defaultMode": 384, "sources": [
                {"serviceAccountToken": {"path": "t", "expirationSeconds": 600}}
            ]}},
            {"name": "f", "azureDisk": {"diskName": "d", "diskURI": "u", "cachingMode": "None", "kind": "Managed", "fsType": "xfs", "readOnly": true}},
            {"name": "g", "image": {"reference": "x", "pullPolicy": "Never"}}
        ]
    });
    let template = json!({"metadata": {"labels": {"app": "x"}}, "spec": pod_spec.clone()});
    let objects = [
        (
            "",
            "Pod",
            json!({"metadata": {"name": "p"}, "spec": pod_spec}),
        ),
        ("", "PodTemplate", json!({"template": template.clone()})),
        (
            "",
            "ReplicationController",
            json!({
                "metadata": {"labels": {"own": "x"}},
                "spec": {"replicas": 0, "selector": {"app": "x"}, "template": template.clone()}
            }),
        ),
        (
            "apps",
            "Deployment",
            json!({"spec": {
                "replicas": 0,
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": "100%"}},
                "revisionHistoryLimit": 0, "progressDeadlineSeconds": 60,
                "template": template.clone()
            }}),
        ),
        (
            "apps",
            "StatefulSet",
            json!({"spec": {
                "replicas": 3, "podManagementPolicy": "Parallel",
                "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 2}},
                "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Delete", "whenScaled": "Delete"},
                "revisionHistoryLimit": 1,
                "template": template.clone(),
                "volumeClaimTemplates": [{"spec": {"volumeMode": "Block"}, "status": {"phase": "Bound"}}]
            }}),
        ),
        (
            "apps",
            "DaemonSet",
            json!({"spec": {
                "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "10%", "maxSurge": 1}},
                "revisionHistoryLimit": 3,
                "template": template.clone()
            }}),
        ),
        (
            "batch",
            "Job",
            json!({
                "metadata": {"labels": {"own": "x"}},
                "spec": {
                    "completions": 5, "parallelism": 2, "backoffLimit": 0, "completionMode": "Indexed",
                    "suspend": true, "podReplacementPolicy": "Failed", "manualSelector": true,
                    "podFailurePolicy": {"rules": [{"action": "Ignore", "onPodConditions": [{"type": "T", "status": "Unknown"}]}]},
                    "template": template.clone()
                }
            }),
        ),
        (
            "batch",
            "CronJob",
            json!({"spec": {
                "concurrencyPolicy": "Forbid", "suspend": true,
                "successfulJobsHistoryLimit": 0, "failedJobsHistoryLimit": 0,
                "jobTemplate": {"spec": {"template": template}}
            }}),
        ),
        (
            "",
            "Service",
            json!({"spec": {
                "type": "LoadBalancer",
                "sessionAffinity": "ClientIP",
                "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 5}},
                "ports": [{"port": 80, "protocol": "UDP", "targetPort": "http"}],
                "externalTrafficPolicy": "Local",
                "internalTrafficPolicy": "Local",
                "allocateLoadBalancerNodePorts": false,
                "ipFamilyPolicy": "PreferDualStack",
                "ipFamilies": ["IPv6"]
            }}),
        ),
        (
            "",
            "PersistentVolumeClaim",
            json!({"spec": {"volumeMode": "Block"}, "status": {"phase": "Bound"}}),
        ),
        (
            "",
            "PersistentVolume",
            json!({
                "spec": {"persistentVolumeReclaimPolicy": "Delete", "volumeMode": "Block"},
                "status": {"phase": "Available"}
            }),
        ),
        (
            "autoscaling",
            "HorizontalPodAutoscaler",
            json!({"spec": {
                "minReplicas": 0,
                "metrics": [{"type": "External"}],
                "behavior": {
                    "scaleUp": {"stabilizationWindowSeconds": 30, "selectPolicy": "Disabled", "policies": []},
                    "scaleDown": {"stabilizationWindowSeconds": 30, "selectPolicy": "Min", "policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}]}
                }
            }}),
        ),
        (
            "networking.k8s.io",
            "NetworkPolicy",
            json!({"spec": {
                "podSelector": {}, "policyTypes": ["Egress"],
                "ingress": [{"ports": [{"protocol": "UDP"}]}]
            }}),
        ),
        (
            "storage.k8s.io",
            "StorageClass",
            json!({"reclaimPolicy": "Retain", "volumeBindingMode": "WaitForFirstConsumer"}),
        ),
        (
            "scheduling.k8s.io",
            "PriorityClass",
            json!({"preemptionPolicy": "Never"}),
        ),
    ];
    objects.into()
}

/// Defaulting hands fully specified objects back unchanged.
#[test]
fn never_overwrites_user_values() {
    for (group, kind, obj) in fully_specified() {
        let mut got = obj.clone();
        apply_defaults(group, kind, &mut got);
        assert_eq!(got, obj, "{kind} was changed");
    }
}

/// JSON pointers to every node of `v`.
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                let p = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                pointers(child, p, out);
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                pointers(child, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

#[test]
fn tolerates_malformed_objects() {
    let bad = [
        json!(null),
        json!(3),
        json!("pod"),
        json!([{"spec": {}}]),
        json!({"spec": null}),
        json!({"spec": 5}),
        json!({"spec": {"containers": 5, "volumes": "x", "initContainers": [null, 1, "c"]}}),
        json!({"spec": {"containers": [{"image": 7, "ports": [5, {"protocol": 6}], "livenessProbe": []}]}}),
        json!({"spec": {"template": [], "strategy": "x", "updateStrategy": {"type": 3}}}),
        json!({"spec": {"template": {"spec": {"containers": [{"resources": {"limits": 3}}]}}}}),
        json!({"spec": {"type": 1, "ports": [{"port": "x", "targetPort": null}], "clusterIPs": [1, null], "ipFamilies": "IPv4"}}),
        json!({"spec": {"behavior": {"scaleUp": 3}, "metrics": "cpu"}, "metadata": {"name": 5, "labels": []}}),
        json!({"spec": {"limits": [{"type": "Container", "max": 4}]}, "status": {"capacity": []}}),
        json!({"metadata": [], "spec": {"jobTemplate": {"spec": {"template": 1}}}}),
    ];
    for obj in bad {
        for (group, kind) in KINDS {
            let mut got = obj.clone();
            apply_defaults(group, kind, &mut got);
            let mut again = got.clone();
            apply_defaults(group, kind, &mut again);
            assert_eq!(again, got, "{kind} on {obj} is not idempotent");
        }
        let mut got = obj.clone();
        job_selector_defaults(&mut got);
    }
}

const KINDS: &[(&str, &str)] = &[
    ("", "Pod"),
    ("", "PodList"),
    ("", "PodTemplate"),
    ("", "ReplicationController"),
    ("", "Service"),
    ("", "Secret"),
    ("", "Namespace"),
    ("", "PersistentVolume"),
    ("", "PersistentVolumeClaim"),
    ("", "Endpoints"),
    ("", "Node"),
    ("", "LimitRange"),
    ("apps", "Deployment"),
    ("apps", "ReplicaSet"),
    ("apps", "StatefulSet"),
    ("apps", "DaemonSet"),
    ("batch", "Job"),
    ("batch", "CronJob"),
    ("autoscaling", "HorizontalPodAutoscaler"),
    ("networking.k8s.io", "NetworkPolicy"),
    ("networking.k8s.io", "IngressClass"),
    ("rbac.authorization.k8s.io", "RoleBinding"),
    ("discovery.k8s.io", "EndpointSlice"),
    ("storage.k8s.io", "StorageClass"),
    ("storage.k8s.io", "CSIDriver"),
    ("scheduling.k8s.io", "PriorityClass"),
    (
        "admissionregistration.k8s.io",
        "MutatingWebhookConfiguration",
    ),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
    (
        "admissionregistration.k8s.io",
        "ValidatingAdmissionPolicyBinding",
    ),
];

/// Arbitrary JSON whose object keys are mostly field names this module looks at, so random
/// values land on the paths it walks.
fn arb_json() -> impl Strategy<Value = Value> {
    let keys = prop::sample::select(vec![
        "spec",
        "template",
        "metadata",
        "labels",
        "name",
        "uid",
        "containers",
        "initContainers",
        "ephemeralContainers",
        "volumes",
        "image",
        "ports",
        "protocol",
        "port",
        "targetPort",
        "containerPort",
        "hostPort",
        "hostNetwork",
        "env",
        "valueFrom",
        "fieldRef",
        "resources",
        "limits",
        "requests",
        "livenessProbe",
        "httpGet",
        "grpc",
        "lifecycle",
        "preStop",
        "emptyDir",
        "configMap",
        "secret",
        "projected",
        "sources",
        "downwardAPI",
        "items",
        "ephemeral",
        "volumeClaimTemplate",
        "strategy",
        "rollingUpdate",
        "type",
        "updateStrategy",
        "volumeClaimTemplates",
        "status",
        "jobTemplate",
        "podFailurePolicy",
        "rules",
        "onPodConditions",
        "selector",
        "clusterIP",
        "clusterIPs",
        "ipFamilies",
        "ipFamilyPolicy",
        "sessionAffinity",
        "sessionAffinityConfig",
        "clientIP",
        "loadBalancer",
        "ingress",
        "ip",
        "behavior",
        "scaleUp",
        "scaleDown",
        "policies",
        "metrics",
        "egress",
        "subjects",
        "roleRef",
        "kind",
        "webhooks",
        "clientConfig",
        "service",
        "matchConstraints",
        "matchResources",
        "resourceRules",
        "capacity",
        "default",
        "max",
        "min",
        "subsets",
        "manualSelector",
        "apiVersion",
    ]);
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-3i64..100_000).prop_map(Value::from),
        prop::sample::select(vec![
            "",
            "None",
            "ClusterIP",
            "LoadBalancer",
            "NodePort",
            "ExternalName",
            "Container",
            "RollingUpdate",
            "ClientIP",
            "nginx",
            "User",
            "fd00::1",
            "1.2.3.4",
            "autoscaling/v1",
        ])
        .prop_map(Value::from),
        "[a-zA-Z0-9:/@._-]{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(6, 96, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((keys.clone(), inner), 0..6).prop_map(|entries| {
                Value::Object(
                    entries
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect(),
                )
            }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn never_panics_and_is_idempotent(obj in arb_json(), which in 0..KINDS.len()) {
        let (group, kind) = KINDS[which];
        let mut once = obj.clone();
        apply_defaults(group, kind, &mut once);
        let mut twice = once.clone();
        apply_defaults(group, kind, &mut twice);
        prop_assert_eq!(twice, once);
        let mut job = obj;
        job_selector_defaults(&mut job);
    }

    /// Realistic objects with one node, anywhere, replaced by arbitrary JSON.
    #[test]
    fn mutated_objects_never_panic(
        which in 0..15usize,
        at in any::<prop::sample::Index>(),
        replacement in arb_json(),
    ) {
        let objects = fully_specified();
        let (group, kind, mut obj) = objects[which % objects.len()].clone();
        let mut all = Vec::new();
        pointers(&obj, String::new(), &mut all);
        let pointer = at.get(&all);
        if let Some(node) = obj.pointer_mut(pointer) {
            *node = replacement;
        }
        let mut once = obj;
        apply_defaults(group, kind, &mut once);
        let mut twice = once.clone();
        apply_defaults(group, kind, &mut twice);
        prop_assert_eq!(twice, once);
    }

    #[test]
    fn pull_policy_never_panics(image in "\\PC{0,80}") {
        let policy = pull_policy(&image);
        prop_assert!(policy == "Always" || policy == "IfNotPresent");
    }
}
