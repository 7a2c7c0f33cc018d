//! Tests for [`super`]: expected cells are what kube-apiserver v1.32 (and Karmada) print for the
//! same objects.

use super::*;
use serde_json::json;

/// The clock every case is printed at.
fn now() -> Timestamp {
    "2025-06-01T12:00:00Z".parse().unwrap()
}

/// The RFC 3339 time `secs` seconds before [`now`].
fn ago(secs: i64) -> String {
    (now() - SignedDuration::from_secs(secs)).to_string()
}

const MINUTE: i64 = 60;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

struct Case {
    name: &'static str,
    obj: Value,
    /// The expected row, as a JSON array.
    want: Value,
}

/// Prints every case with `group`/`kind`'s printer and compares the whole row.
fn check(group: &str, kind: &str, cases: Vec<Case>) {
    let cols = columns(group, kind).unwrap_or_else(|| panic!("no printer for {group}/{kind}"));
    for case in cases {
        let got = row(group, kind, &case.obj, now());
        assert_eq!(
            Value::Array(got.clone()),
            case.want,
            "{group}/{kind}: case {:?}",
            case.name
        );
        assert_eq!(
            got.len(),
            cols.len(),
            "{group}/{kind}: case {:?}: one cell per column",
            case.name
        );
    }
}

#[test]
fn age_prints_each_magnitude_like_human_duration() {
    struct AgeCase {
        name: &'static str,
        created: String,
        want: &'static str,
    }
    let cases = [
        AgeCase {
            name: "now",
            created: ago(0),
            want: "0s",
        },
        AgeCase {
            name: "seconds",
            created: ago(5),
            want: "5s",
        },
        AgeCase {
            name: "seconds up to two minutes",
            created: ago(119),
            want: "119s",
        },
        AgeCase {
            name: "two minutes",
            created: ago(2 * MINUTE),
            want: "2m",
        },
        AgeCase {
            name: "minutes and seconds",
            created: ago(3 * MINUTE + 2),
            want: "3m2s",
        },
        AgeCase {
            name: "just under ten minutes",
            created: ago(10 * MINUTE - 1),
            want: "9m59s",
        },
        AgeCase {
            name: "ten minutes",
            created: ago(10 * MINUTE),
            want: "10m",
        },
        AgeCase {
            name: "minutes up to three hours",
            created: ago(3 * HOUR - 1),
            want: "179m",
        },
        AgeCase {
            name: "three hours",
            created: ago(3 * HOUR),
            want: "3h",
        },
        AgeCase {
            name: "hours and minutes",
            created: ago(5 * HOUR + 3 * MINUTE),
            want: "5h3m",
        },
        AgeCase {
            name: "eight hours",
            created: ago(8 * HOUR + 59 * MINUTE),
            want: "8h",
        },
        AgeCase {
            name: "hours up to two days",
            created: ago(47 * HOUR + 59 * MINUTE),
            want: "47h",
        },
        AgeCase {
            name: "two days",
            created: ago(2 * DAY),
            want: "2d",
        },
        AgeCase {
            name: "days and hours",
            created: ago(2 * DAY + 5 * HOUR),
            want: "2d5h",
        },
        AgeCase {
            name: "just under eight days",
            created: ago(8 * DAY - 1),
            want: "7d23h",
        },
        AgeCase {
            name: "eight days",
            created: ago(8 * DAY),
            want: "8d",
        },
        AgeCase {
            name: "days up to two years",
            created: ago(729 * DAY),
            want: "729d",
        },
        AgeCase {
            name: "two years",
            created: ago(730 * DAY),
            want: "2y",
        },
        AgeCase {
            name: "years and days",
            created: ago(830 * DAY),
            want: "2y100d",
        },
        AgeCase {
            name: "eight years",
            created: ago(8 * 365 * DAY + 40 * DAY),
            want: "8y",
        },
        AgeCase {
            name: "decades",
            created: ago(25 * 365 * DAY),
            want: "25y",
        },
        AgeCase {
            name: "a second of clock skew reads as now",
            created: "2025-06-01T12:00:01.500Z".into(),
            want: "0s",
        },
        AgeCase {
            name: "the future",
            created: ago(-2),
            want: "<invalid>",
        },
        AgeCase {
            name: "offsets other than Z",
            created: "2025-06-01T13:55:00+02:00".into(),
            want: "5m",
        },
        AgeCase {
            name: "missing",
            created: String::new(),
            want: "<unknown>",
        },
        AgeCase {
            name: "unparseable",
            created: "yesterday".into(),
            want: "<invalid>",
        },
    ];
    for case in cases {
        assert_eq!(age(&case.created, now()), case.want, "case {:?}", case.name);
    }
}

#[test]
fn columns_match_kube_names_order_and_wide_priority() {
    struct ColumnsCase {
        group: &'static str,
        kind: &'static str,
        names: &'static [&'static str],
        wide: &'static [&'static str],
    }
    let cases = [
        ColumnsCase {
            group: "",
            kind: "Pod",
            names: &[
                "Name",
                "Ready",
                "Status",
                "Restarts",
                "Age",
                "IP",
                "Node",
                "Nominated Node",
                "Readiness Gates",
            ],
            wide: &["IP", "Node", "Nominated Node", "Readiness Gates"],
        },
        ColumnsCase {
            group: "apps",
            kind: "Deployment",
            names: &[
                "Name",
                "Ready",
                "Up-to-date",
                "Available",
                "Age",
                "Containers",
                "Images",
                "Selector",
            ],
            wide: &["Containers", "Images", "Selector"],
        },
        ColumnsCase {
            group: "apps",
            kind: "ReplicaSet",
            names: &[
                "Name",
                "Desired",
                "Current",
                "Ready",
                "Age",
                "Containers",
                "Images",
                "Selector",
            ],
            wide: &["Containers", "Images", "Selector"],
        },
        ColumnsCase {
            group: "apps",
            kind: "StatefulSet",
            names: &["Name", "Ready", "Age", "Containers", "Images"],
            wide: &["Containers", "Images"],
        },
        ColumnsCase {
            group: "apps",
            kind: "DaemonSet",
            names: &[
                "Name",
                "Desired",
                "Current",
                "Ready",
                "Up-to-date",
                "Available",
                "Node Selector",
                "Age",
                "Containers",
                "Images",
                "Selector",
            ],
            wide: &["Containers", "Images", "Selector"],
        },
        ColumnsCase {
            group: "batch",
            kind: "Job",
            names: &[
                "Name",
                "Status",
                "Completions",
                "Duration",
                "Age",
                "Containers",
                "Images",
                "Selector",
            ],
            wide: &["Containers", "Images", "Selector"],
        },
        ColumnsCase {
            group: "batch",
            kind: "CronJob",
            names: &[
                "Name",
                "Schedule",
                "Timezone",
                "Suspend",
                "Active",
                "Last Schedule",
                "Age",
                "Containers",
                "Images",
                "Selector",
            ],
            wide: &["Containers", "Images", "Selector"],
        },
        ColumnsCase {
            group: "",
            kind: "Service",
            names: &[
                "Name",
                "Type",
                "Cluster-IP",
                "External-IP",
                "Port(s)",
                "Age",
                "Selector",
            ],
            wide: &["Selector"],
        },
        ColumnsCase {
            group: "",
            kind: "ConfigMap",
            names: &["Name", "Data", "Age"],
            wide: &[],
        },
        ColumnsCase {
            group: "",
            kind: "Secret",
            names: &["Name", "Type", "Data", "Age"],
            wide: &[],
        },
        ColumnsCase {
            group: "",
            kind: "ServiceAccount",
            names: &["Name", "Secrets", "Age"],
            wide: &[],
        },
        ColumnsCase {
            group: "",
            kind: "Namespace",
            names: &["Name", "Status", "Age"],
            wide: &[],
        },
        ColumnsCase {
            group: "",
            kind: "Node",
            names: &[
                "Name",
                "Status",
                "Roles",
                "Age",
                "Version",
                "Internal-IP",
                "External-IP",
                "OS-Image",
                "Kernel-Version",
                "Container-Runtime",
            ],
            wide: &[
                "Internal-IP",
                "External-IP",
                "OS-Image",
                "Kernel-Version",
                "Container-Runtime",
            ],
        },
        ColumnsCase {
            group: "",
            kind: "Event",
            names: &[
                "Last Seen",
                "Type",
                "Reason",
                "Object",
                "Subobject",
                "Source",
                "Message",
                "First Seen",
                "Count",
                "Name",
            ],
            wide: &["Subobject", "Source", "First Seen", "Count", "Name"],
        },
        ColumnsCase {
            group: "events.k8s.io",
            kind: "Event",
            names: &[
                "Last Seen",
                "Type",
                "Reason",
                "Object",
                "Subobject",
                "Source",
                "Message",
                "First Seen",
                "Count",
                "Name",
            ],
            wide: &["Subobject", "Source", "First Seen", "Count", "Name"],
        },
        ColumnsCase {
            group: "networking.k8s.io",
            kind: "Ingress",
            names: &["Name", "Class", "Hosts", "Address", "Ports", "Age"],
            wide: &[],
        },
        ColumnsCase {
            group: "networking.k8s.io",
            kind: "NetworkPolicy",
            names: &["Name", "Pod-Selector", "Age"],
            wide: &[],
        },
        ColumnsCase {
            group: "",
            kind: "PersistentVolumeClaim",
            names: &[
                "Name",
                "Status",
                "Volume",
                "Capacity",
                "Access Modes",
                "StorageClass",
                "VolumeAttributesClass",
                "Age",
                "VolumeMode",
            ],
            wide: &["VolumeMode"],
        },
        ColumnsCase {
            group: "",
            kind: "ResourceQuota",
            names: &["Name", "Age", "Request", "Limit"],
            wide: &[],
        },
        ColumnsCase {
            group: "",
            kind: "LimitRange",
            names: &["Name", "Created At"],
            wide: &[],
        },
        ColumnsCase {
            group: "autoscaling",
            kind: "HorizontalPodAutoscaler",
            names: &[
                "Name",
                "Reference",
                "Targets",
                "MinPods",
                "MaxPods",
                "Replicas",
                "Age",
            ],
            wide: &[],
        },
        ColumnsCase {
            group: "coordination.k8s.io",
            kind: "Lease",
            names: &["Name", "Holder", "Age"],
            wide: &[],
        },
        ColumnsCase {
            group: "policy",
            kind: "PodDisruptionBudget",
            names: &[
                "Name",
                "Min Available",
                "Max Unavailable",
                "Allowed Disruptions",
                "Age",
            ],
            wide: &[],
        },
        ColumnsCase {
            group: "rbac.authorization.k8s.io",
            kind: "Role",
            names: &["Name", "Created At"],
            wide: &[],
        },
        ColumnsCase {
            group: "rbac.authorization.k8s.io",
            kind: "ClusterRole",
            names: &["Name", "Created At"],
            wide: &[],
        },
        ColumnsCase {
            group: "rbac.authorization.k8s.io",
            kind: "RoleBinding",
            names: &["Name", "Role", "Age", "Users", "Groups", "ServiceAccounts"],
            wide: &["Users", "Groups", "ServiceAccounts"],
        },
        ColumnsCase {
            group: "rbac.authorization.k8s.io",
            kind: "ClusterRoleBinding",
            names: &["Name", "Role", "Age", "Users", "Groups", "ServiceAccounts"],
            wide: &["Users", "Groups", "ServiceAccounts"],
        },
        ColumnsCase {
            group: "apiextensions.k8s.io",
            kind: "CustomResourceDefinition",
            names: &["Name", "Created At"],
            wide: &[],
        },
        ColumnsCase {
            group: "cluster.karmada.io",
            kind: "Cluster",
            names: &[
                "Name",
                "Version",
                "Mode",
                "Ready",
                "Age",
                "Zones",
                "Region",
                "Provider",
                "API-Endpoint",
                "Proxy-URL",
            ],
            wide: &["Zones", "Region", "Provider", "API-Endpoint", "Proxy-URL"],
        },
        ColumnsCase {
            group: "work.karmada.io",
            kind: "ResourceBinding",
            names: &["Name", "SCHEDULED", "FULLYAPPLIED", "AGE"],
            wide: &[],
        },
        ColumnsCase {
            group: "work.karmada.io",
            kind: "ClusterResourceBinding",
            names: &["Name", "SCHEDULED", "FULLYAPPLIED", "AGE"],
            wide: &[],
        },
        ColumnsCase {
            group: "work.karmada.io",
            kind: "Work",
            names: &["Name", "WORKLOAD-KIND", "APPLIED", "AGE"],
            wide: &[],
        },
        ColumnsCase {
            group: "policy.karmada.io",
            kind: "PropagationPolicy",
            names: &["Name", "CONFLICT-RESOLUTION", "PRIORITY", "AGE"],
            wide: &[],
        },
        ColumnsCase {
            group: "policy.karmada.io",
            kind: "ClusterPropagationPolicy",
            names: &["Name", "CONFLICT-RESOLUTION", "PRIORITY", "AGE"],
            wide: &[],
        },
        ColumnsCase {
            group: "policy.karmada.io",
            kind: "OverridePolicy",
            names: &["Name", "Age"],
            wide: &[],
        },
        ColumnsCase {
            group: "policy.karmada.io",
            kind: "ClusterOverridePolicy",
            names: &["Name", "Age"],
            wide: &[],
        },
    ];
    assert_eq!(
        cases.len(),
        PRINTERS.len(),
        "every printer has a columns case"
    );
    for case in cases {
        let id = format!("{}/{}", case.group, case.kind);
        let cols = columns(case.group, case.kind).unwrap_or_else(|| panic!("{id}: no printer"));
        let names: Vec<&str> = cols.iter().map(|c| c.name).collect();
        assert_eq!(names, case.names, "{id}: column names");
        for c in cols {
            let want = i32::from(case.wide.contains(&c.name));
            assert_eq!(c.priority, want, "{id}: priority of {:?}", c.name);
            assert!(
                ["string", "integer", "number", "boolean", "date"].contains(&c.type_),
                "{id}: type of {:?}",
                c.name
            );
            assert_eq!(
                c.format == "name",
                c.name == "Name",
                "{id}: format of {:?}",
                c.name
            );
            assert!(
                !c.description.is_empty(),
                "{id}: description of {:?}",
                c.name
            );
        }
    }
}

#[test]
fn columns_are_keyed_by_group_and_kind() {
    assert_eq!(
        columns("core", "Pod"),
        columns("", "Pod"),
        "core is the core group"
    );
    assert!(
        columns("example.com", "Pod").is_none(),
        "another group's Pod"
    );
    assert!(columns("", "Widget").is_none());
    assert!(columns("policy", "PropagationPolicy").is_none());
    assert_eq!(
        columns("events.k8s.io", "Event"),
        columns("", "Event"),
        "events.k8s.io prints through the core Event printer"
    );
}

#[test]
fn column_serialises_as_table_column_definition() {
    let got = serde_json::to_value(columns("apps", "Deployment").unwrap()[7]).unwrap();
    assert_eq!(
        got,
        json!({
            "name": "Selector",
            "type": "string",
            "format": "",
            "description": "A label query over pods that should match the replica count.",
            "priority": 1,
        })
    );
}

#[test]
fn unknown_kinds_print_name_and_age() {
    let obj = json!({"metadata": {"name": "w1", "creationTimestamp": ago(42)}});
    assert_eq!(
        row("example.com", "Widget", &obj, now()),
        vec![json!("w1"), json!("42s")]
    );
    let names: Vec<&str> = DEFAULT_COLUMNS.iter().map(|c| c.name).collect();
    assert_eq!(names, ["Name", "Age"]);
}

/// Regression guard for "never panic on malformed objects": every printer, fed JSON of the
/// wrong shape at every level, still returns one string or integer cell per column.
#[test]
fn malformed_objects_print_one_cell_per_column_without_panicking() {
    let malformed = [
        json!(null),
        json!([]),
        json!("pod"),
        json!(42),
        json!({}),
        json!({"metadata": 5, "spec": "x", "status": []}),
        json!({
            "metadata": {"name": 7, "creationTimestamp": "not a time", "labels": [], "deletionTimestamp": 1},
            "spec": {
                "replicas": "three", "containers": {}, "initContainers": [1, null, "x"],
                "selector": {"matchLabels": {"a": 1}, "matchExpressions": "x"},
                "ports": [{"port": "http", "nodePort": -1}], "rules": [null, 3],
                "metrics": [{"type": "Resource"}, 5, {"type": "Pods"}, {"type": "External"}],
                "template": {"spec": {"containers": [null, {"name": 1}]}},
                "jobTemplate": [], "podSelector": 3, "subjects": 4, "zones": [1, "a"],
                "workload": {"manifests": [null]}, "priority": 1.5, "readinessGates": [{}]
            },
            "status": {
                "conditions": [null, {"type": 1}], "containerStatuses": [5, {"state": null}],
                "initContainerStatuses": [{"state": {"terminated": 3}}, {"lastState": {"terminated": {"finishedAt": "x"}}}],
                "podIPs": [7], "hard": {"pods": null, "cpu": [1]}, "used": 3,
                "loadBalancer": {"ingress": [1, {}]}, "currentMetrics": "x",
                "addresses": [null], "capacity": {"storage": {}}, "startTime": 9
            },
            "series": {"count": "many"}, "involvedObject": 1, "regarding": [],
            "data": [], "binaryData": {"a": 1}, "stringData": 2, "secrets": {}
        }),
    ];
    for p in PRINTERS {
        for obj in &malformed {
            let cells = row(p.group, p.kind, obj, now());
            assert_eq!(
                cells.len(),
                p.columns.len(),
                "{}/{} for {obj}",
                p.group,
                p.kind
            );
            for cell in cells {
                assert!(
                    cell.is_string() || cell.is_i64(),
                    "{}/{} for {obj}: cell {cell}",
                    p.group,
                    p.kind
                );
            }
        }
    }
}

#[test]
fn label_selectors_format_like_kube() {
    struct SelectorCase {
        name: &'static str,
        selector: Value,
        want: &'static str,
    }
    let cases = [
        SelectorCase {
            name: "missing selects nothing",
            selector: json!(null),
            want: "<none>",
        },
        SelectorCase {
            name: "empty selects everything",
            selector: json!({}),
            want: "<none>",
        },
        SelectorCase {
            name: "labels sort by key",
            selector: json!({"matchLabels": {"tier": "web", "app": "shop"}}),
            want: "app=shop,tier=web",
        },
        SelectorCase {
            name: "expressions render with sorted values",
            selector: json!({"matchExpressions": [
                {"key": "env", "operator": "In", "values": ["prod", "canary"]},
                {"key": "track", "operator": "NotIn", "values": ["dev"]},
                {"key": "app", "operator": "Exists"},
                {"key": "beta", "operator": "DoesNotExist", "values": []},
            ]}),
            want: "app,!beta,env in (canary,prod),track notin (dev)",
        },
        SelectorCase {
            name: "labels and expressions on one key keep their order",
            selector: json!({
                "matchLabels": {"app": "web"},
                "matchExpressions": [{"key": "app", "operator": "In", "values": ["web"]}],
            }),
            want: "app=web,app in (web)",
        },
        SelectorCase {
            name: "In needs values",
            selector: json!({"matchExpressions": [{"key": "a", "operator": "In", "values": []}]}),
            want: "<error>",
        },
        SelectorCase {
            name: "Exists takes no values",
            selector: json!({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]}),
            want: "<error>",
        },
        SelectorCase {
            name: "unknown operator",
            selector: json!({"matchExpressions": [{"key": "a", "operator": "Gt", "values": ["1"]}]}),
            want: "<error>",
        },
        SelectorCase {
            name: "non-string label value",
            selector: json!({"matchLabels": {"replicas": 3}}),
            want: "<error>",
        },
        SelectorCase {
            name: "not an object",
            selector: json!("app=web"),
            want: "<error>",
        },
    ];
    for case in cases {
        assert_eq!(
            format_label_selector(Obj(&case.selector)),
            case.want,
            "case {:?}",
            case.name
        );
    }
}

#[test]
fn pod_rows() {
    check(
        "",
        "Pod",
        vec![
            Case {
                name: "running and ready",
                obj: json!({
                    "metadata": {"name": "web-7d4b9c-x2k4p", "namespace": "default", "creationTimestamp": ago(5 * MINUTE)},
                    "spec": {
                        "nodeName": "node-1",
                        "containers": [{"name": "nginx", "image": "nginx:1.27"}, {"name": "log", "image": "busybox:1.36"}],
                    },
                    "status": {
                        "phase": "Running",
                        "podIP": "10.244.1.5",
                        "podIPs": [{"ip": "10.244.1.5"}, {"ip": "fd00::5"}],
                        "conditions": [{"type": "Initialized", "status": "True"}, {"type": "Ready", "status": "True"}],
                        "containerStatuses": [
                            {"name": "nginx", "ready": true, "restartCount": 0, "started": true, "state": {"running": {"startedAt": ago(290)}}},
                            {"name": "log", "ready": true, "restartCount": 0, "started": true, "state": {"running": {"startedAt": ago(290)}}},
                        ],
                    },
                }),
                want: json!([
                    "web-7d4b9c-x2k4p",
                    "2/2",
                    "Running",
                    "0",
                    "5m",
                    "10.244.1.5",
                    "node-1",
                    "<none>",
                    "<none>"
                ]),
            },
            Case {
                name: "crash looping with the last restart's age",
                obj: json!({
                    "metadata": {"name": "api-0", "creationTimestamp": ago(HOUR)},
                    "spec": {"nodeName": "node-2", "containers": [{"name": "api", "image": "ghcr.io/acme/api:v2"}]},
                    "status": {
                        "phase": "Running",
                        "podIPs": [{"ip": "10.244.2.7"}],
                        "containerStatuses": [{
                            "name": "api", "ready": false, "restartCount": 3,
                            "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s"}},
                            "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": ago(5 * MINUTE)}},
                        }],
                    },
                }),
                want: json!([
                    "api-0",
                    "0/1",
                    "CrashLoopBackOff",
                    "3 (5m ago)",
                    "60m",
                    "10.244.2.7",
                    "node-2",
                    "<none>",
                    "<none>"
                ]),
            },
            Case {
                name: "restarts without a recorded finish time print bare",
                obj: json!({
                    "metadata": {"name": "api-1", "creationTimestamp": ago(HOUR)},
                    "spec": {"containers": [{"name": "api"}]},
                    "status": {"phase": "Running", "containerStatuses": [
                        {"name": "api", "ready": true, "restartCount": 2, "state": {"running": {}}},
                    ]},
                }),
                want: json!([
                    "api-1", "1/1", "Running", "2", "60m", "<none>", "<none>", "<none>", "<none>"
                ]),
            },
            Case {
                name: "completed",
                obj: json!({
                    "metadata": {"name": "pi-x7z2q", "creationTimestamp": ago(2 * DAY + 5 * HOUR)},
                    "spec": {"nodeName": "node-1", "containers": [{"name": "pi", "image": "perl:5.34"}]},
                    "status": {"phase": "Succeeded", "podIP": "10.244.1.9", "containerStatuses": [{
                        "name": "pi", "ready": false, "restartCount": 0,
                        "state": {"terminated": {"exitCode": 0, "reason": "Completed"}},
                    }]},
                }),
                want: json!([
                    "pi-x7z2q",
                    "0/1",
                    "Completed",
                    "0",
                    "2d5h",
                    "10.244.1.9",
                    "node-1",
                    "<none>",
                    "<none>"
                ]),
            },
            Case {
                name: "killed by a signal",
                obj: json!({
                    "metadata": {"name": "oom", "creationTimestamp": ago(30)},
                    "spec": {"containers": [{"name": "a"}]},
                    "status": {"phase": "Running", "containerStatuses": [
                        {"name": "a", "restartCount": 0, "state": {"terminated": {"exitCode": 137, "signal": 9}}},
                    ]},
                }),
                want: json!([
                    "oom", "0/1", "Signal:9", "0", "30s", "<none>", "<none>", "<none>", "<none>"
                ]),
            },
            Case {
                name: "exit code without a reason",
                obj: json!({
                    "metadata": {"name": "exit", "creationTimestamp": ago(30)},
                    "spec": {"containers": [{"name": "a"}]},
                    "status": {"phase": "Failed", "containerStatuses": [
                        {"name": "a", "state": {"terminated": {"exitCode": 2}}},
                    ]},
                }),
                want: json!([
                    "exit",
                    "0/1",
                    "ExitCode:2",
                    "0",
                    "30s",
                    "<none>",
                    "<none>",
                    "<none>",
                    "<none>"
                ]),
            },
            Case {
                name: "a completed container beside a running one, pod not ready",
                obj: json!({
                    "metadata": {"name": "mixed", "creationTimestamp": ago(10 * MINUTE)},
                    "spec": {"containers": [{"name": "setup"}, {"name": "app"}]},
                    "status": {
                        "phase": "Running",
                        "conditions": [{"type": "Ready", "status": "False"}],
                        "containerStatuses": [
                            {"name": "setup", "ready": false, "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}},
                            {"name": "app", "ready": true, "state": {"running": {}}},
                        ],
                    },
                }),
                want: json!([
                    "mixed", "1/2", "NotReady", "0", "10m", "<none>", "<none>", "<none>", "<none>"
                ]),
            },
            Case {
                name: "waiting on the first init container",
                obj: json!({
                    "metadata": {"name": "db-0", "creationTimestamp": ago(5)},
                    "spec": {
                        "nodeName": "node-3",
                        "initContainers": [{"name": "init-perms"}, {"name": "init-schema"}],
                        "containers": [{"name": "postgres"}],
                    },
                    "status": {
                        "phase": "Pending",
                        "conditions": [{"type": "Initialized", "status": "False"}],
                        "initContainerStatuses": [
                            {"name": "init-perms", "restartCount": 0, "state": {"running": {}}},
                            {"name": "init-schema", "restartCount": 0, "state": {"waiting": {"reason": "PodInitializing"}}},
                        ],
                        "containerStatuses": [{"name": "postgres", "state": {"waiting": {"reason": "PodInitializing"}}}],
                    },
                }),
                want: json!([
                    "db-0", "0/1", "Init:0/2", "0", "5s", "<none>", "node-3", "<none>", "<none>"
                ]),
            },
            Case {
                name: "init container crash looping",
                obj: json!({
                    "metadata": {"name": "db-1", "creationTimestamp": ago(10 * MINUTE)},
                    "spec": {"initContainers": [{"name": "migrate"}], "containers": [{"name": "postgres"}]},
                    "status": {
                        "phase": "Pending",
                        "initContainerStatuses": [{
                            "name": "migrate", "restartCount": 2,
                            "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                            "lastState": {"terminated": {"exitCode": 1, "finishedAt": ago(90)}},
                        }],
                        "containerStatuses": [{"name": "postgres", "restartCount": 0, "state": {"waiting": {"reason": "PodInitializing"}}}],
                    },
                }),
                want: json!([
                    "db-1",
                    "0/1",
                    "Init:CrashLoopBackOff",
                    "2 (90s ago)",
                    "10m",
                    "<none>",
                    "<none>",
                    "<none>",
                    "<none>"
                ]),
            },
            Case {
                name: "init container failed without a reason",
                obj: json!({
                    "metadata": {"name": "db-2", "creationTimestamp": ago(10 * MINUTE)},
                    "spec": {"initContainers": [{"name": "ok"}, {"name": "bad"}], "containers": [{"name": "postgres"}]},
                    "status": {"phase": "Pending", "initContainerStatuses": [
                        {"name": "ok", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}},
                        {"name": "bad", "state": {"terminated": {"exitCode": 3}}},
                    ]},
                }),
                want: json!([
                    "db-2",
                    "0/1",
                    "Init:ExitCode:3",
                    "0",
                    "10m",
                    "<none>",
                    "<none>",
                    "<none>",
                    "<none>"
                ]),
            },
            Case {
                name: "sidecar counts as a container, readiness gates",
                obj: json!({
                    "metadata": {"name": "shop-5f6d8-abcde", "creationTimestamp": ago(20 * MINUTE)},
                    "spec": {
                        "nodeName": "node-1",
                        "initContainers": [{"name": "istio-proxy", "image": "istio/proxyv2", "restartPolicy": "Always"}],
                        "containers": [{"name": "shop", "image": "acme/shop:1.4"}],
                        "readinessGates": [{"conditionType": "example.com/lb-ready"}, {"conditionType": "example.com/warm"}],
                    },
                    "status": {
                        "phase": "Running",
                        "nominatedNodeName": "node-9",
                        "podIPs": [{"ip": "10.244.1.12"}],
                        "conditions": [
                            {"type": "Initialized", "status": "True"},
                            {"type": "Ready", "status": "True"},
                            {"type": "example.com/lb-ready", "status": "True"},
                            {"type": "example.com/warm", "status": "False"},
                        ],
                        "initContainerStatuses": [{
                            "name": "istio-proxy", "ready": true, "started": true, "restartCount": 1,
                            "state": {"running": {}},
                            "lastState": {"terminated": {"exitCode": 1, "finishedAt": ago(10 * MINUTE)}},
                        }],
                        "containerStatuses": [{
                            "name": "shop", "ready": true, "started": true, "restartCount": 2,
                            "state": {"running": {}},
                            "lastState": {"terminated": {"exitCode": 137, "finishedAt": ago(2 * MINUTE)}},
                        }],
                    },
                }),
                want: json!([
                    "shop-5f6d8-abcde",
                    "2/2",
                    "Running",
                    "3 (2m ago)",
                    "20m",
                    "10.244.1.12",
                    "node-1",
                    "node-9",
                    "1/2"
                ]),
            },
            Case {
                name: "being deleted",
                obj: json!({
                    "metadata": {"name": "old", "creationTimestamp": ago(DAY), "deletionTimestamp": ago(0)},
                    "spec": {"containers": [{"name": "a"}]},
                    "status": {"phase": "Running", "containerStatuses": [{"name": "a", "ready": true, "state": {"running": {}}}]},
                }),
                want: json!([
                    "old",
                    "1/1",
                    "Terminating",
                    "0",
                    "24h",
                    "<none>",
                    "<none>",
                    "<none>",
                    "<none>"
                ]),
            },
            Case {
                name: "finished pods are not Terminating",
                obj: json!({
                    "metadata": {"name": "done", "creationTimestamp": ago(DAY), "deletionTimestamp": ago(0)},
                    "spec": {"containers": [{"name": "a"}]},
                    "status": {"phase": "Succeeded", "containerStatuses": [
                        {"name": "a", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}},
                    ]},
                }),
                want: json!([
                    "done",
                    "0/1",
                    "Completed",
                    "0",
                    "24h",
                    "<none>",
                    "<none>",
                    "<none>",
                    "<none>"
                ]),
            },
            Case {
                name: "node lost",
                obj: json!({
                    "metadata": {"name": "lost", "creationTimestamp": ago(DAY), "deletionTimestamp": ago(60)},
                    "spec": {"containers": [{"name": "a"}]},
                    "status": {"phase": "Running", "reason": "NodeLost"},
                }),
                want: json!([
                    "lost", "0/1", "Unknown", "0", "24h", "<none>", "<none>", "<none>", "<none>"
                ]),
            },
            Case {
                name: "scheduling gated",
                obj: json!({
                    "metadata": {"name": "gated", "creationTimestamp": ago(45)},
                    "spec": {"containers": [{"name": "a"}], "schedulingGates": [{"name": "example.com/quota"}]},
                    "status": {"phase": "Pending", "conditions": [
                        {"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"},
                    ]},
                }),
                want: json!([
                    "gated",
                    "0/1",
                    "SchedulingGated",
                    "0",
                    "45s",
                    "<none>",
                    "<none>",
                    "<none>",
                    "<none>"
                ]),
            },
            Case {
                name: "evicted pods print the status reason",
                obj: json!({
                    "metadata": {"name": "evicted", "creationTimestamp": ago(3 * DAY)},
                    "spec": {"containers": [{"name": "a"}]},
                    "status": {"phase": "Failed", "reason": "Evicted"},
                }),
                want: json!([
                    "evicted", "0/1", "Evicted", "0", "3d", "<none>", "<none>", "<none>", "<none>"
                ]),
            },
            Case {
                name: "just created, no status",
                obj: json!({"metadata": {"name": "new"}, "spec": {"containers": [{"name": "a"}]}}),
                want: json!([
                    "new",
                    "0/1",
                    "Pending",
                    "0",
                    "<unknown>",
                    "<none>",
                    "<none>",
                    "<none>",
                    "<none>"
                ]),
            },
        ],
    );
}

#[test]
fn deployment_rows() {
    check(
        "apps",
        "Deployment",
        vec![
            Case {
                name: "rolling out",
                obj: json!({
                    "metadata": {"name": "web", "namespace": "default", "creationTimestamp": ago(3 * HOUR + 2 * MINUTE)},
                    "spec": {
                        "replicas": 3,
                        "selector": {"matchLabels": {"tier": "frontend", "app": "web"}},
                        "template": {"spec": {"containers": [
                            {"name": "nginx", "image": "nginx:1.27"},
                            {"name": "log-shipper", "image": "fluent/fluent-bit:3.0"},
                        ]}},
                    },
                    "status": {"replicas": 3, "readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2},
                }),
                want: json!([
                    "web",
                    "2/3",
                    3,
                    2,
                    "3h2m",
                    "nginx,log-shipper",
                    "nginx:1.27,fluent/fluent-bit:3.0",
                    "app=web,tier=frontend"
                ]),
            },
            Case {
                name: "fresh, replicas defaulted, expression selector",
                obj: json!({
                    "metadata": {"name": "api", "creationTimestamp": ago(10)},
                    "spec": {
                        "selector": {"matchExpressions": [
                            {"key": "env", "operator": "In", "values": ["prod", "canary"]},
                            {"key": "app", "operator": "Exists"},
                        ]},
                        "template": {"spec": {"containers": [{"name": "api", "image": "ghcr.io/acme/api:v2"}]}},
                    },
                }),
                want: json!([
                    "api",
                    "0/1",
                    0,
                    0,
                    "10s",
                    "api",
                    "ghcr.io/acme/api:v2",
                    "app,env in (canary,prod)"
                ]),
            },
            Case {
                name: "scaled to zero, no selector prints empty",
                obj: json!({
                    "metadata": {"name": "idle", "creationTimestamp": ago(8 * DAY)},
                    "spec": {"replicas": 0, "template": {"spec": {"containers": []}}},
                }),
                want: json!(["idle", "0/0", 0, 0, "8d", "", "", ""]),
            },
            Case {
                name: "invalid selector",
                obj: json!({
                    "metadata": {"name": "bad", "creationTimestamp": ago(10)},
                    "spec": {"replicas": 1, "selector": {"matchExpressions": [{"key": "a", "operator": "Near"}]}},
                }),
                want: json!(["bad", "0/1", 0, 0, "10s", "", "", "<invalid>"]),
            },
        ],
    );
}

#[test]
fn replica_set_rows() {
    check(
        "apps",
        "ReplicaSet",
        vec![
            Case {
                name: "owned by a deployment",
                obj: json!({
                    "metadata": {"name": "web-7d4b9c", "creationTimestamp": ago(5 * MINUTE)},
                    "spec": {
                        "replicas": 3,
                        "selector": {"matchLabels": {"app": "web", "pod-template-hash": "7d4b9c"}},
                        "template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}]}},
                    },
                    "status": {"replicas": 3, "readyReplicas": 1, "availableReplicas": 1},
                }),
                want: json!([
                    "web-7d4b9c",
                    3,
                    3,
                    1,
                    "5m",
                    "nginx",
                    "nginx:1.27",
                    "app=web,pod-template-hash=7d4b9c"
                ]),
            },
            Case {
                name: "no status or selector",
                obj: json!({"metadata": {"name": "rs", "creationTimestamp": ago(5)}}),
                want: json!(["rs", 1, 0, 0, "5s", "", "", "<none>"]),
            },
        ],
    );
}

#[test]
fn stateful_set_rows() {
    check(
        "apps",
        "StatefulSet",
        vec![
            Case {
                name: "partly ready",
                obj: json!({
                    "metadata": {"name": "db", "creationTimestamp": ago(8 * DAY)},
                    "spec": {"replicas": 3, "serviceName": "db", "template": {"spec": {"containers": [
                        {"name": "postgres", "image": "postgres:16"},
                        {"name": "exporter", "image": "prometheuscommunity/postgres-exporter"},
                    ]}}},
                    "status": {"replicas": 3, "readyReplicas": 1},
                }),
                want: json!([
                    "db",
                    "1/3",
                    "8d",
                    "postgres,exporter",
                    "postgres:16,prometheuscommunity/postgres-exporter"
                ]),
            },
            Case {
                name: "replicas defaulted",
                obj: json!({"metadata": {"name": "cache", "creationTimestamp": ago(5)}}),
                want: json!(["cache", "0/1", "5s", "", ""]),
            },
        ],
    );
}

#[test]
fn daemon_set_rows() {
    check(
        "apps",
        "DaemonSet",
        vec![
            Case {
                name: "on linux nodes",
                obj: json!({
                    "metadata": {"name": "fluentd", "namespace": "kube-system", "creationTimestamp": ago(45 * DAY)},
                    "spec": {
                        "selector": {"matchLabels": {"app": "fluentd"}},
                        "template": {"spec": {
                            "nodeSelector": {"kubernetes.io/os": "linux", "disk": "ssd"},
                            "containers": [{"name": "fluentd", "image": "fluent/fluentd:v1.16"}],
                        }},
                    },
                    "status": {
                        "desiredNumberScheduled": 3, "currentNumberScheduled": 3, "numberReady": 2,
                        "updatedNumberScheduled": 3, "numberAvailable": 2,
                    },
                }),
                want: json!([
                    "fluentd",
                    3,
                    3,
                    2,
                    3,
                    2,
                    "disk=ssd,kubernetes.io/os=linux",
                    "45d",
                    "fluentd",
                    "fluent/fluentd:v1.16",
                    "app=fluentd"
                ]),
            },
            Case {
                name: "no node selector, no status",
                obj: json!({
                    "metadata": {"name": "node-exporter", "creationTimestamp": ago(MINUTE)},
                    "spec": {"selector": {"matchLabels": {"app": "node-exporter"}}},
                }),
                want: json!([
                    "node-exporter",
                    0,
                    0,
                    0,
                    0,
                    0,
                    "<none>",
                    "60s",
                    "",
                    "",
                    "app=node-exporter"
                ]),
            },
        ],
    );
}

#[test]
fn job_rows() {
    let pi_template = json!({"spec": {"containers": [{"name": "pi", "image": "perl:5.34"}], "restartPolicy": "Never"}});
    let selector = json!({"matchLabels": {"batch.kubernetes.io/controller-uid": "8e1e3f6a"}});
    check(
        "batch",
        "Job",
        vec![
            Case {
                name: "complete",
                obj: json!({
                    "metadata": {"name": "pi", "creationTimestamp": ago(10 * MINUTE)},
                    "spec": {"completions": 1, "parallelism": 1, "selector": selector, "template": pi_template},
                    "status": {
                        "succeeded": 1, "startTime": ago(10 * MINUTE), "completionTime": ago(10 * MINUTE - 30),
                        "conditions": [
                            {"type": "SuccessCriteriaMet", "status": "True"},
                            {"type": "Complete", "status": "True"},
                        ],
                    },
                }),
                want: json!([
                    "pi",
                    "Complete",
                    "1/1",
                    "30s",
                    "10m",
                    "pi",
                    "perl:5.34",
                    "batch.kubernetes.io/controller-uid=8e1e3f6a"
                ]),
            },
            Case {
                name: "work queue running in parallel",
                obj: json!({
                    "metadata": {"name": "queue", "creationTimestamp": ago(130)},
                    "spec": {"parallelism": 3, "template": pi_template},
                    "status": {"active": 3, "startTime": ago(125)},
                }),
                want: json!([
                    "queue",
                    "Running",
                    "0/1 of 3",
                    "2m5s",
                    "2m10s",
                    "pi",
                    "perl:5.34",
                    "<none>"
                ]),
            },
            Case {
                name: "failed beats failure target",
                obj: json!({
                    "metadata": {"name": "flaky", "creationTimestamp": ago(HOUR)},
                    "spec": {"completions": 5, "parallelism": 2, "template": pi_template},
                    "status": {
                        "succeeded": 2, "failed": 7, "startTime": ago(HOUR),
                        "conditions": [
                            {"type": "FailureTarget", "status": "True"},
                            {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"},
                        ],
                    },
                }),
                want: json!([
                    "flaky",
                    "Failed",
                    "2/5",
                    "60m",
                    "60m",
                    "pi",
                    "perl:5.34",
                    "<none>"
                ]),
            },
            Case {
                name: "suspended before starting",
                obj: json!({
                    "metadata": {"name": "later", "creationTimestamp": ago(MINUTE)},
                    "spec": {"suspend": true, "completions": 2},
                    "status": {"conditions": [{"type": "Suspended", "status": "True"}]},
                }),
                want: json!(["later", "Suspended", "0/2", "", "60s", "", "", "<none>"]),
            },
            Case {
                name: "being deleted",
                obj: json!({
                    "metadata": {"name": "gone", "creationTimestamp": ago(MINUTE), "deletionTimestamp": ago(1)},
                    "spec": {"completions": 1},
                    "status": {"startTime": ago(MINUTE), "conditions": [{"type": "Suspended", "status": "True"}]},
                }),
                want: json!(["gone", "Terminating", "0/1", "60s", "60s", "", "", "<none>"]),
            },
            Case {
                name: "false conditions leave it running",
                obj: json!({
                    "metadata": {"name": "busy", "creationTimestamp": ago(5)},
                    "status": {"startTime": ago(5), "conditions": [{"type": "Complete", "status": "False"}]},
                }),
                want: json!(["busy", "Running", "0/1", "5s", "5s", "", "", "<none>"]),
            },
        ],
    );
}

#[test]
fn cron_job_rows() {
    check(
        "batch",
        "CronJob",
        vec![
            Case {
                name: "scheduled in a time zone",
                obj: json!({
                    "metadata": {"name": "hello", "creationTimestamp": ago(2 * DAY)},
                    "spec": {
                        "schedule": "*/5 * * * *",
                        "timeZone": "Etc/UTC",
                        "suspend": false,
                        "jobTemplate": {"spec": {
                            "selector": {"matchLabels": {"job": "hello"}},
                            "template": {"spec": {"containers": [{"name": "hello", "image": "busybox:1.36"}]}},
                        }},
                    },
                    "status": {"active": [{"kind": "Job", "name": "hello-29145"}], "lastScheduleTime": ago(3 * MINUTE)},
                }),
                want: json!([
                    "hello",
                    "*/5 * * * *",
                    "Etc/UTC",
                    "False",
                    1,
                    "3m",
                    "2d",
                    "hello",
                    "busybox:1.36",
                    "job=hello"
                ]),
            },
            Case {
                name: "suspended, never run",
                obj: json!({
                    "metadata": {"name": "backup", "creationTimestamp": ago(10)},
                    "spec": {"schedule": "@daily", "suspend": true, "jobTemplate": {"spec": {"template": {"spec": {"containers": [
                        {"name": "backup", "image": "restic/restic"},
                    ]}}}}},
                }),
                want: json!([
                    "backup",
                    "@daily",
                    "<none>",
                    "True",
                    0,
                    "<none>",
                    "10s",
                    "backup",
                    "restic/restic",
                    "<none>"
                ]),
            },
        ],
    );
}

#[test]
fn service_rows() {
    check(
        "",
        "Service",
        vec![
            Case {
                name: "cluster IP with two protocols",
                obj: json!({
                    "metadata": {"name": "kube-dns", "namespace": "kube-system", "creationTimestamp": ago(30 * DAY)},
                    "spec": {
                        "type": "ClusterIP",
                        "clusterIP": "10.96.0.10",
                        "clusterIPs": ["10.96.0.10"],
                        "ports": [
                            {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                            {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
                        ],
                        "selector": {"k8s-app": "kube-dns"},
                    },
                }),
                want: json!([
                    "kube-dns",
                    "ClusterIP",
                    "10.96.0.10",
                    "<none>",
                    "53/UDP,53/TCP",
                    "30d",
                    "k8s-app=kube-dns"
                ]),
            },
            Case {
                name: "node port with external IPs, protocol defaulted",
                obj: json!({
                    "metadata": {"name": "web", "creationTimestamp": ago(5 * MINUTE)},
                    "spec": {
                        "type": "NodePort",
                        "clusterIPs": ["10.96.12.34", "fd00::1234"],
                        "externalIPs": ["203.0.113.10", "203.0.113.11"],
                        "ports": [{"port": 80, "nodePort": 30080}, {"port": 443, "targetPort": 8443, "nodePort": 30443, "protocol": "TCP"}],
                        "selector": {"app": "web", "tier": "frontend"},
                    },
                }),
                want: json!([
                    "web",
                    "NodePort",
                    "10.96.12.34",
                    "203.0.113.10,203.0.113.11",
                    "80:30080/TCP,443:30443/TCP",
                    "5m",
                    "app=web,tier=frontend"
                ]),
            },
            Case {
                name: "load balancer waiting for an address",
                obj: json!({
                    "metadata": {"name": "shop", "creationTimestamp": ago(20)},
                    "spec": {"type": "LoadBalancer", "clusterIP": "10.96.40.2", "ports": [{"port": 443, "nodePort": 31443, "protocol": "TCP"}], "selector": {"app": "shop"}},
                    "status": {"loadBalancer": {}},
                }),
                want: json!([
                    "shop",
                    "LoadBalancer",
                    "10.96.40.2",
                    "<pending>",
                    "443:31443/TCP",
                    "20s",
                    "app=shop"
                ]),
            },
            Case {
                name: "load balancer ingress sorted, then external IPs",
                obj: json!({
                    "metadata": {"name": "edge", "creationTimestamp": ago(DAY)},
                    "spec": {"type": "LoadBalancer", "clusterIPs": ["10.96.40.3"], "externalIPs": ["203.0.113.5"], "ports": [{"port": 80, "protocol": "TCP"}]},
                    "status": {"loadBalancer": {"ingress": [
                        {"hostname": "lb.example.com"},
                        {"ip": "198.51.100.7", "hostname": "ignored.example.com"},
                        {"ip": "198.51.100.7"},
                    ]}},
                }),
                want: json!([
                    "edge",
                    "LoadBalancer",
                    "10.96.40.3",
                    "198.51.100.7,lb.example.com,203.0.113.5",
                    "80/TCP",
                    "24h",
                    "<none>"
                ]),
            },
            Case {
                name: "external name",
                obj: json!({
                    "metadata": {"name": "db", "creationTimestamp": ago(4 * HOUR)},
                    "spec": {"type": "ExternalName", "externalName": "db.prod.example.com"},
                }),
                want: json!([
                    "db",
                    "ExternalName",
                    "<none>",
                    "db.prod.example.com",
                    "<none>",
                    "4h",
                    "<none>"
                ]),
            },
            Case {
                name: "headless, type defaulted",
                obj: json!({
                    "metadata": {"name": "db-headless", "creationTimestamp": ago(4 * HOUR)},
                    "spec": {"clusterIP": "None", "clusterIPs": ["None"], "ports": [{"port": 5432, "protocol": "TCP"}], "selector": {"app": "db"}},
                }),
                want: json!([
                    "db-headless",
                    "ClusterIP",
                    "None",
                    "<none>",
                    "5432/TCP",
                    "4h",
                    "app=db"
                ]),
            },
        ],
    );
}

#[test]
fn config_map_secret_service_account_namespace_rows() {
    check(
        "",
        "ConfigMap",
        vec![
            Case {
                name: "data and binary data",
                obj: json!({
                    "metadata": {"name": "app-config", "creationTimestamp": ago(90)},
                    "data": {"app.properties": "a=b", "LOG_LEVEL": "debug"},
                    "binaryData": {"logo.png": "iVBORw0KGgo="},
                }),
                want: json!(["app-config", 3, "90s"]),
            },
            Case {
                name: "empty",
                obj: json!({"metadata": {"name": "kube-root-ca.crt", "creationTimestamp": ago(12 * DAY)}}),
                want: json!(["kube-root-ca.crt", 0, "12d"]),
            },
        ],
    );
    check(
        "",
        "Secret",
        vec![
            Case {
                name: "tls",
                obj: json!({
                    "metadata": {"name": "web-tls", "creationTimestamp": ago(7 * DAY)},
                    "type": "kubernetes.io/tls",
                    "data": {"tls.crt": "LS0t", "tls.key": "LS0t"},
                }),
                want: json!(["web-tls", "kubernetes.io/tls", 2, "7d"]),
            },
            Case {
                name: "stringData not yet folded into data, type defaulted",
                obj: json!({
                    "metadata": {"name": "db-creds", "creationTimestamp": ago(5)},
                    "data": {"username": "YWRtaW4="},
                    "stringData": {"password": "s3cr3t", "username": "admin"},
                }),
                want: json!(["db-creds", "Opaque", 2, "5s"]),
            },
        ],
    );
    check(
        "",
        "ServiceAccount",
        vec![
            Case {
                name: "with a token secret",
                obj: json!({
                    "metadata": {"name": "deployer", "creationTimestamp": ago(2 * DAY)},
                    "secrets": [{"name": "deployer-token-x8k2d"}],
                }),
                want: json!(["deployer", 1, "2d"]),
            },
            Case {
                name: "default",
                obj: json!({"metadata": {"name": "default", "creationTimestamp": ago(2 * DAY)}}),
                want: json!(["default", 0, "2d"]),
            },
        ],
    );
    check(
        "",
        "Namespace",
        vec![
            Case {
                name: "active",
                obj: json!({"metadata": {"name": "prod", "creationTimestamp": ago(90 * DAY)}, "status": {"phase": "Active"}}),
                want: json!(["prod", "Active", "90d"]),
            },
            Case {
                name: "terminating",
                obj: json!({
                    "metadata": {"name": "old", "creationTimestamp": ago(DAY), "deletionTimestamp": ago(10)},
                    "status": {"phase": "Terminating"},
                }),
                want: json!(["old", "Terminating", "24h"]),
            },
            Case {
                name: "phase not yet set",
                obj: json!({"metadata": {"name": "new", "creationTimestamp": ago(1)}}),
                want: json!(["new", "Active", "1s"]),
            },
        ],
    );
}

#[test]
fn node_rows() {
    check(
        "",
        "Node",
        vec![
            Case {
                name: "ready control plane",
                obj: json!({
                    "metadata": {
                        "name": "cp-1",
                        "creationTimestamp": ago(120 * DAY),
                        "labels": {"kubernetes.io/hostname": "cp-1", "node-role.kubernetes.io/control-plane": ""},
                    },
                    "status": {
                        "conditions": [
                            {"type": "MemoryPressure", "status": "False"},
                            {"type": "Ready", "status": "True", "reason": "KubeletReady"},
                        ],
                        "addresses": [{"type": "InternalIP", "address": "192.168.1.10"}, {"type": "Hostname", "address": "cp-1"}],
                        "nodeInfo": {
                            "kubeletVersion": "v1.32.4",
                            "osImage": "Ubuntu 24.04.1 LTS",
                            "kernelVersion": "6.8.0-45-generic",
                            "containerRuntimeVersion": "containerd://1.7.22",
                        },
                    },
                }),
                want: json!([
                    "cp-1",
                    "Ready",
                    "control-plane",
                    "120d",
                    "v1.32.4",
                    "192.168.1.10",
                    "<none>",
                    "Ubuntu 24.04.1 LTS",
                    "6.8.0-45-generic",
                    "containerd://1.7.22"
                ]),
            },
            Case {
                name: "cordoned, not ready, several roles",
                obj: json!({
                    "metadata": {
                        "name": "gpu-7",
                        "creationTimestamp": ago(3 * DAY),
                        "labels": {
                            "node-role.kubernetes.io/worker": "",
                            "node-role.kubernetes.io/gpu": "true",
                            "node-role.kubernetes.io/": "",
                            "kubernetes.io/role": "infra",
                        },
                    },
                    "spec": {"unschedulable": true},
                    "status": {
                        "conditions": [{"type": "Ready", "status": "Unknown", "reason": "NodeStatusUnknown"}],
                        "addresses": [
                            {"type": "ExternalIP", "address": "34.1.2.3"},
                            {"type": "InternalIP", "address": "10.0.0.7"},
                            {"type": "InternalIP", "address": "10.0.0.8"},
                        ],
                        "nodeInfo": {"kubeletVersion": "v1.31.9"},
                    },
                }),
                want: json!([
                    "gpu-7",
                    "NotReady,SchedulingDisabled",
                    "gpu,infra,worker",
                    "3d",
                    "v1.31.9",
                    "10.0.0.7",
                    "34.1.2.3",
                    "<unknown>",
                    "<unknown>",
                    "<unknown>"
                ]),
            },
            Case {
                name: "registered, never reported",
                obj: json!({"metadata": {"name": "fresh", "creationTimestamp": ago(2)}}),
                want: json!([
                    "fresh",
                    "Unknown",
                    "<none>",
                    "2s",
                    "",
                    "<none>",
                    "<none>",
                    "<unknown>",
                    "<unknown>",
                    "<unknown>"
                ]),
            },
        ],
    );
}

#[test]
fn event_rows() {
    check(
        "",
        "Event",
        vec![
            Case {
                name: "repeated kubelet warning",
                obj: json!({
                    "metadata": {"name": "web-7d4b9c-x2k4p.17f3a2b1c", "namespace": "default"},
                    "involvedObject": {"kind": "Pod", "name": "web-7d4b9c-x2k4p", "fieldPath": "spec.containers{nginx}"},
                    "reason": "BackOff",
                    "message": "Back-off restarting failed container nginx in pod web-7d4b9c-x2k4p\n",
                    "source": {"component": "kubelet", "host": "node-1"},
                    "firstTimestamp": ago(10 * MINUTE),
                    "lastTimestamp": ago(MINUTE),
                    "count": 4,
                    "type": "Warning",
                }),
                want: json!([
                    "60s",
                    "Warning",
                    "BackOff",
                    "pod/web-7d4b9c-x2k4p",
                    "spec.containers{nginx}",
                    "kubelet, node-1",
                    "Back-off restarting failed container nginx in pod web-7d4b9c-x2k4p",
                    "10m",
                    4,
                    "web-7d4b9c-x2k4p.17f3a2b1c",
                ]),
            },
            Case {
                name: "new-style event with a series",
                obj: json!({
                    "metadata": {"name": "p.1"},
                    "involvedObject": {"kind": "Pod", "name": "p"},
                    "reason": "FailedScheduling",
                    "message": "0/3 nodes are available",
                    "eventTime": ago(30),
                    "series": {"count": 7, "lastObservedTime": ago(5)},
                    "reportingComponent": "default-scheduler",
                    "reportingController": "default-scheduler",
                    "reportingInstance": "default-scheduler-cp-1",
                    "type": "Warning",
                }),
                want: json!([
                    "5s",
                    "Warning",
                    "FailedScheduling",
                    "pod/p",
                    "",
                    "default-scheduler, default-scheduler-cp-1",
                    "0/3 nodes are available",
                    "30s",
                    7,
                    "p.1"
                ]),
            },
            Case {
                name: "singleton about an unnamed object",
                obj: json!({
                    "metadata": {"name": "node-1.starting"},
                    "involvedObject": {"kind": "Node"},
                    "reason": "Starting",
                    "firstTimestamp": ago(2 * HOUR + 5 * MINUTE),
                    "source": {"component": "kube-proxy"},
                    "type": "Normal",
                }),
                want: json!([
                    "125m",
                    "Normal",
                    "Starting",
                    "node",
                    "",
                    "kube-proxy",
                    "",
                    "125m",
                    1,
                    "node-1.starting"
                ]),
            },
        ],
    );
    check(
        "events.k8s.io",
        "Event",
        vec![
            Case {
                name: "events.k8s.io field names",
                obj: json!({
                    "apiVersion": "events.k8s.io/v1",
                    "kind": "Event",
                    "metadata": {"name": "web.180a1"},
                    "regarding": {"kind": "Deployment", "name": "web", "namespace": "default"},
                    "note": "Scaled up replica set web-7d4b9c to 3",
                    "reason": "ScalingReplicaSet",
                    "action": "Scale",
                    "eventTime": ago(45),
                    "reportingController": "deployment-controller",
                    "type": "Normal",
                }),
                want: json!([
                    "45s",
                    "Normal",
                    "ScalingReplicaSet",
                    "deployment/web",
                    "",
                    "deployment-controller",
                    "Scaled up replica set web-7d4b9c to 3",
                    "45s",
                    1,
                    "web.180a1"
                ]),
            },
            Case {
                name: "deprecated fields carried over from core",
                obj: json!({
                    "metadata": {"name": "old.1"},
                    "regarding": {"kind": "Pod", "name": "old", "fieldPath": "spec.containers{a}"},
                    "note": "Pulled",
                    "reason": "Pulled",
                    "deprecatedSource": {"component": "kubelet", "host": "node-2"},
                    "deprecatedFirstTimestamp": ago(3 * MINUTE),
                    "deprecatedLastTimestamp": ago(2 * MINUTE),
                    "deprecatedCount": 2,
                    "type": "Normal",
                }),
                want: json!([
                    "2m",
                    "Normal",
                    "Pulled",
                    "pod/old",
                    "spec.containers{a}",
                    "kubelet, node-2",
                    "Pulled",
                    "3m",
                    2,
                    "old.1"
                ]),
            },
        ],
    );
}

#[test]
fn ingress_and_network_policy_rows() {
    check(
        "networking.k8s.io",
        "Ingress",
        vec![
            Case {
                name: "tls with an address",
                obj: json!({
                    "metadata": {"name": "shop", "creationTimestamp": ago(7 * DAY)},
                    "spec": {
                        "ingressClassName": "nginx",
                        "tls": [{"hosts": ["shop.example.com"], "secretName": "shop-tls"}],
                        "rules": [{"host": "shop.example.com"}, {"host": "api.example.com"}],
                    },
                    "status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.20"}, {"hostname": "a.elb.example.com"}]}},
                }),
                want: json!([
                    "shop",
                    "nginx",
                    "shop.example.com,api.example.com",
                    "203.0.113.20,a.elb.example.com",
                    "80, 443",
                    "7d"
                ]),
            },
            Case {
                name: "default backend only",
                obj: json!({
                    "metadata": {"name": "catch-all", "creationTimestamp": ago(10)},
                    "spec": {"defaultBackend": {"service": {"name": "web", "port": {"number": 80}}}},
                }),
                want: json!(["catch-all", "<none>", "*", "", "80", "10s"]),
            },
            Case {
                name: "more than three rules",
                obj: json!({
                    "metadata": {"name": "many", "creationTimestamp": ago(10)},
                    "spec": {"rules": [{"host": "a.test"}, {}, {"host": "b.test"}, {"host": "c.test"}, {"host": "d.test"}]},
                }),
                want: json!([
                    "many",
                    "<none>",
                    "a.test,b.test,c.test + 2 more...",
                    "",
                    "80",
                    "10s"
                ]),
            },
            Case {
                name: "three hosts across four rules is not more",
                obj: json!({
                    "metadata": {"name": "four", "creationTimestamp": ago(10)},
                    "spec": {"rules": [{"host": "a.test"}, {}, {"host": "b.test"}, {"host": "c.test"}]},
                }),
                want: json!(["four", "<none>", "a.test,b.test,c.test", "", "80", "10s"]),
            },
        ],
    );
    check(
        "networking.k8s.io",
        "NetworkPolicy",
        vec![
            Case {
                name: "selects pods",
                obj: json!({
                    "metadata": {"name": "db-ingress", "creationTimestamp": ago(DAY)},
                    "spec": {"podSelector": {"matchLabels": {"app": "db"}}, "policyTypes": ["Ingress"]},
                }),
                want: json!(["db-ingress", "app=db", "24h"]),
            },
            Case {
                name: "all pods",
                obj: json!({"metadata": {"name": "deny-all", "creationTimestamp": ago(DAY)}, "spec": {"podSelector": {}}}),
                want: json!(["deny-all", "<none>", "24h"]),
            },
        ],
    );
}

#[test]
fn persistent_volume_claim_rows() {
    check(
        "",
        "PersistentVolumeClaim",
        vec![
            Case {
                name: "bound",
                obj: json!({
                    "metadata": {"name": "data-db-0", "creationTimestamp": ago(20 * DAY)},
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "resources": {"requests": {"storage": "8Gi"}},
                        "storageClassName": "standard",
                        "volumeMode": "Filesystem",
                        "volumeName": "pvc-3f1c2a7e",
                    },
                    "status": {"phase": "Bound", "accessModes": ["ReadWriteOnce"], "capacity": {"storage": "10Gi"}},
                }),
                want: json!([
                    "data-db-0",
                    "Bound",
                    "pvc-3f1c2a7e",
                    "10Gi",
                    "RWO",
                    "standard",
                    "<unset>",
                    "20d",
                    "Filesystem"
                ]),
            },
            Case {
                name: "pending, class from the beta annotation",
                obj: json!({
                    "metadata": {
                        "name": "scratch",
                        "creationTimestamp": ago(MINUTE),
                        "annotations": {"volume.beta.kubernetes.io/storage-class": "fast-ssd"},
                    },
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "resources": {"requests": {"storage": "1Gi"}},
                        "storageClassName": "standard",
                        "volumeAttributesClassName": "gold",
                        "volumeMode": "Block",
                    },
                    "status": {"phase": "Pending"},
                }),
                want: json!([
                    "scratch", "Pending", "", "", "", "fast-ssd", "gold", "60s", "Block"
                ]),
            },
            Case {
                name: "being deleted, access modes in kube's order",
                obj: json!({
                    "metadata": {"name": "shared", "creationTimestamp": ago(DAY), "deletionTimestamp": ago(5)},
                    "spec": {"volumeName": "pv-nfs-1"},
                    "status": {"phase": "Bound", "accessModes": ["ReadWriteOncePod", "ReadWriteMany", "ReadWriteOnce", "ReadWriteMany"]},
                }),
                want: json!([
                    "shared",
                    "Terminating",
                    "pv-nfs-1",
                    "0",
                    "RWO,RWX,RWOP",
                    "",
                    "<unset>",
                    "24h",
                    "Filesystem"
                ]),
            },
        ],
    );
}

#[test]
fn resource_quota_and_default_table_rows() {
    check(
        "",
        "ResourceQuota",
        vec![
            Case {
                name: "requests and limits split and sorted",
                obj: json!({
                    "metadata": {"name": "compute", "creationTimestamp": ago(5 * MINUTE)},
                    "spec": {"hard": {"pods": "10", "requests.cpu": "1", "requests.memory": "1Gi", "limits.cpu": "2", "limits.memory": "2Gi"}},
                    "status": {
                        "hard": {"pods": "10", "requests.memory": "1Gi", "requests.cpu": "1", "limits.memory": "2Gi", "limits.cpu": "2", "cpu": "4"},
                        "used": {"pods": "3", "requests.cpu": "500m", "requests.memory": "512Mi", "limits.cpu": "1", "limits.memory": "1Gi"},
                    },
                }),
                want: json!([
                    "compute",
                    "5m",
                    "cpu: 0/4, pods: 3/10, requests.cpu: 500m/1, requests.memory: 512Mi/1Gi",
                    "limits.cpu: 1/2, limits.memory: 1Gi/2Gi",
                ]),
            },
            Case {
                name: "not yet counted",
                obj: json!({"metadata": {"name": "objects", "creationTimestamp": ago(1)}, "spec": {"hard": {"pods": "10"}}}),
                want: json!(["objects", "1s", "", ""]),
            },
        ],
    );
    let created_at_cases = || {
        vec![
            Case {
                name: "UTC",
                obj: json!({"metadata": {"name": "view", "creationTimestamp": "2025-05-30T08:15:00Z"}}),
                want: json!(["view", "2025-05-30T08:15:00Z"]),
            },
            Case {
                name: "offsets and fractions normalised",
                obj: json!({"metadata": {"name": "edit", "creationTimestamp": "2025-05-30T10:15:00.123+02:00"}}),
                want: json!(["edit", "2025-05-30T08:15:00Z"]),
            },
            Case {
                name: "unset prints Go's zero time",
                obj: json!({"metadata": {"name": "admin"}}),
                want: json!(["admin", "0001-01-01T00:00:00Z"]),
            },
        ]
    };
    check("", "LimitRange", created_at_cases());
    check("rbac.authorization.k8s.io", "Role", created_at_cases());
    check(
        "rbac.authorization.k8s.io",
        "ClusterRole",
        created_at_cases(),
    );
    check(
        "apiextensions.k8s.io",
        "CustomResourceDefinition",
        created_at_cases(),
    );
}

#[test]
fn horizontal_pod_autoscaler_rows() {
    check(
        "autoscaling",
        "HorizontalPodAutoscaler",
        vec![
            Case {
                name: "v2 with three metrics",
                obj: json!({
                    "apiVersion": "autoscaling/v2",
                    "metadata": {"name": "web", "creationTimestamp": ago(3 * DAY)},
                    "spec": {
                        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                        "minReplicas": 2,
                        "maxReplicas": 10,
                        "metrics": [
                            {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 60}}},
                            {"type": "Resource", "resource": {"name": "memory", "target": {"type": "AverageValue", "averageValue": "500Mi"}}},
                            {"type": "Pods", "pods": {"metric": {"name": "packets-per-second"}, "target": {"type": "AverageValue", "averageValue": "1k"}}},
                        ],
                    },
                    "status": {
                        "currentReplicas": 4,
                        "desiredReplicas": 4,
                        "currentMetrics": [
                            {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 45, "averageValue": "90m"}}},
                            {"type": "Resource", "resource": {"name": "memory", "current": {"averageValue": "300Mi"}}},
                            {"type": "Pods", "pods": {"metric": {"name": "packets-per-second"}, "current": {"averageValue": "800"}}},
                        ],
                    },
                }),
                want: json!([
                    "web",
                    "Deployment/web",
                    "cpu: 45%/60%, memory: 300Mi/500Mi + 1 more...",
                    "2",
                    10,
                    4,
                    "3d"
                ]),
            },
            Case {
                name: "external and object metrics before the first scrape",
                obj: json!({
                    "metadata": {"name": "worker", "creationTimestamp": ago(30)},
                    "spec": {
                        "scaleTargetRef": {"kind": "StatefulSet", "name": "worker"},
                        "maxReplicas": 5,
                        "metrics": [
                            {"type": "External", "external": {"metric": {"name": "queue_depth"}, "target": {"type": "Value", "value": "100"}}},
                            {"type": "Object", "object": {"metric": {"name": "rps"}, "target": {"type": "AverageValue", "averageValue": "10"}}},
                        ],
                    },
                    "status": {"currentMetrics": [{"type": "External", "external": {"current": {"value": "42"}}}]},
                }),
                want: json!([
                    "worker",
                    "StatefulSet/worker",
                    "42/100, <unknown>/10 (avg)",
                    "1",
                    5,
                    0,
                    "30s"
                ]),
            },
            Case {
                name: "container resource without a target, unknown type",
                obj: json!({
                    "metadata": {"name": "odd", "creationTimestamp": ago(30)},
                    "spec": {
                        "scaleTargetRef": {"kind": "Deployment", "name": "odd"},
                        "maxReplicas": 3,
                        "metrics": [
                            {"type": "ContainerResource", "containerResource": {"name": "cpu", "container": "app", "target": {"type": "Utilization"}}},
                            {"type": "Custom"},
                        ],
                    },
                }),
                want: json!([
                    "odd",
                    "Deployment/odd",
                    "cpu: <unknown>/<auto>, <unknown type>",
                    "1",
                    3,
                    0,
                    "30s"
                ]),
            },
            Case {
                name: "autoscaling/v1",
                obj: json!({
                    "apiVersion": "autoscaling/v1",
                    "metadata": {"name": "legacy", "creationTimestamp": ago(HOUR)},
                    "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "legacy"}, "minReplicas": 1, "maxReplicas": 4, "targetCPUUtilizationPercentage": 50},
                    "status": {"currentReplicas": 2, "desiredReplicas": 2, "currentCPUUtilizationPercentage": 20},
                }),
                want: json!([
                    "legacy",
                    "Deployment/legacy",
                    "cpu: 20%/50%",
                    "1",
                    4,
                    2,
                    "60m"
                ]),
            },
            Case {
                name: "no metrics defaults to 80% CPU",
                obj: json!({
                    "metadata": {"name": "bare", "creationTimestamp": ago(HOUR)},
                    "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "bare"}, "maxReplicas": 2},
                }),
                want: json!([
                    "bare",
                    "Deployment/bare",
                    "cpu: <unknown>/80%",
                    "1",
                    2,
                    0,
                    "60m"
                ]),
            },
        ],
    );
}

#[test]
fn lease_and_pod_disruption_budget_rows() {
    check(
        "coordination.k8s.io",
        "Lease",
        vec![
            Case {
                name: "held",
                obj: json!({
                    "metadata": {"name": "kube-scheduler", "namespace": "kube-system", "creationTimestamp": ago(90 * DAY)},
                    "spec": {"holderIdentity": "cp-1_4b7e2c1a", "leaseDurationSeconds": 15},
                }),
                want: json!(["kube-scheduler", "cp-1_4b7e2c1a", "90d"]),
            },
            Case {
                name: "released",
                obj: json!({"metadata": {"name": "free", "creationTimestamp": ago(90 * DAY)}, "spec": {}}),
                want: json!(["free", "", "90d"]),
            },
        ],
    );
    check(
        "policy",
        "PodDisruptionBudget",
        vec![
            Case {
                name: "min available as a count",
                obj: json!({
                    "metadata": {"name": "web-pdb", "creationTimestamp": ago(DAY)},
                    "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "web"}}},
                    "status": {"disruptionsAllowed": 1, "currentHealthy": 3, "desiredHealthy": 2, "expectedPods": 3},
                }),
                want: json!(["web-pdb", "2", "N/A", 1, "24h"]),
            },
            Case {
                name: "max unavailable as a percentage",
                obj: json!({
                    "metadata": {"name": "db-pdb", "creationTimestamp": ago(DAY)},
                    "spec": {"maxUnavailable": "25%"},
                }),
                want: json!(["db-pdb", "N/A", "25%", 0, "24h"]),
            },
        ],
    );
}

#[test]
fn role_binding_rows() {
    check(
        "rbac.authorization.k8s.io",
        "RoleBinding",
        vec![Case {
            name: "every subject kind",
            obj: json!({
                "metadata": {"name": "devs-view", "namespace": "shop", "creationTimestamp": ago(5 * DAY)},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
                "subjects": [
                    {"kind": "User", "name": "alice", "apiGroup": "rbac.authorization.k8s.io"},
                    {"kind": "Group", "name": "devs", "apiGroup": "rbac.authorization.k8s.io"},
                    {"kind": "ServiceAccount", "name": "deployer", "namespace": "ci"},
                    {"kind": "User", "name": "bob"},
                    {"kind": "Robot", "name": "r2"},
                ],
            }),
            want: json!([
                "devs-view",
                "ClusterRole/view",
                "5d",
                "alice, bob",
                "devs",
                "ci/deployer"
            ]),
        }],
    );
    check(
        "rbac.authorization.k8s.io",
        "ClusterRoleBinding",
        vec![Case {
            name: "no subjects",
            obj: json!({
                "metadata": {"name": "system:basic-user", "creationTimestamp": ago(200 * DAY)},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:basic-user"},
            }),
            want: json!([
                "system:basic-user",
                "ClusterRole/system:basic-user",
                "200d",
                "",
                "",
                ""
            ]),
        }],
    );
}

#[test]
fn karmada_rows() {
    check(
        "cluster.karmada.io",
        "Cluster",
        vec![
            Case {
                name: "ready push member",
                obj: json!({
                    "metadata": {"name": "member1", "creationTimestamp": ago(12 * DAY)},
                    "spec": {
                        "syncMode": "Push",
                        "apiEndpoint": "https://10.0.0.5:6443",
                        "zones": ["us-east-1a", "us-east-1b"],
                        "region": "us-east-1",
                        "provider": "aws",
                    },
                    "status": {
                        "kubernetesVersion": "v1.31.2",
                        "conditions": [{"type": "Ready", "status": "True", "reason": "ClusterReady"}],
                    },
                }),
                want: json!([
                    "member1",
                    "v1.31.2",
                    "Push",
                    "True",
                    "12d",
                    "us-east-1a,us-east-1b",
                    "us-east-1",
                    "aws",
                    "https://10.0.0.5:6443",
                    "<none>"
                ]),
            },
            Case {
                name: "pull member before its first heartbeat",
                obj: json!({
                    "metadata": {"name": "member2", "creationTimestamp": ago(5)},
                    "spec": {"syncMode": "Pull", "proxyURL": "http://proxy.internal:3128"},
                }),
                want: json!([
                    "member2",
                    "",
                    "Pull",
                    "Unknown",
                    "5s",
                    "<none>",
                    "<none>",
                    "<none>",
                    "",
                    "http://proxy.internal:3128"
                ]),
            },
        ],
    );
    let binding_cases = || {
        vec![
            Case {
                name: "scheduled, not yet fully applied",
                obj: json!({
                    "metadata": {"name": "web-deployment", "creationTimestamp": ago(2 * MINUTE)},
                    "status": {"conditions": [
                        {"type": "Scheduled", "status": "True", "reason": "Success"},
                        {"type": "FullyApplied", "status": "False", "reason": "FullyAppliedFailed"},
                    ]},
                }),
                want: json!(["web-deployment", "True", "False", "2m"]),
            },
            Case {
                name: "just created",
                obj: json!({"metadata": {"name": "new-binding", "creationTimestamp": ago(1)}}),
                want: json!(["new-binding", "<none>", "<none>", "1s"]),
            },
        ]
    };
    check("work.karmada.io", "ResourceBinding", binding_cases());
    check("work.karmada.io", "ClusterResourceBinding", binding_cases());
    check(
        "work.karmada.io",
        "Work",
        vec![
            Case {
                name: "applied deployment and service",
                obj: json!({
                    "metadata": {"name": "web-687f7fb96f", "namespace": "karmada-es-member1", "creationTimestamp": ago(3 * MINUTE)},
                    "spec": {"workload": {"manifests": [
                        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}},
                        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}},
                    ]}},
                    "status": {"conditions": [{"type": "Applied", "status": "True", "reason": "AppliedSuccessful"}]},
                }),
                want: json!(["web-687f7fb96f", "Deployment", "True", "3m"]),
            },
            Case {
                name: "empty",
                obj: json!({"metadata": {"name": "w", "creationTimestamp": ago(3)}}),
                want: json!(["w", "<none>", "<none>", "3s"]),
            },
        ],
    );
    let policy_cases = || {
        vec![
            Case {
                name: "explicit",
                obj: json!({
                    "metadata": {"name": "nginx-propagation", "creationTimestamp": ago(4 * HOUR)},
                    "spec": {
                        "conflictResolution": "Overwrite",
                        "priority": 5,
                        "resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "nginx"}],
                        "placement": {"clusterAffinity": {"clusterNames": ["member1", "member2"]}},
                    },
                }),
                want: json!(["nginx-propagation", "Overwrite", "5", "4h"]),
            },
            Case {
                name: "schema defaults",
                obj: json!({"metadata": {"name": "defaults", "creationTimestamp": ago(4 * HOUR)}, "spec": {}}),
                want: json!(["defaults", "Abort", "0", "4h"]),
            },
        ]
    };
    check("policy.karmada.io", "PropagationPolicy", policy_cases());
    check(
        "policy.karmada.io",
        "ClusterPropagationPolicy",
        policy_cases(),
    );
    let override_case = || {
        vec![Case {
            name: "name and age",
            obj: json!({
                "metadata": {"name": "nginx-override", "creationTimestamp": ago(30)},
                "spec": {"overrideRules": [{"overriders": {"imageOverrider": [{"component": "Registry", "operator": "replace", "value": "mirror.example.com"}]}}]},
            }),
            want: json!(["nginx-override", "30s"]),
        }]
    };
    check("policy.karmada.io", "OverridePolicy", override_case());
    check(
        "policy.karmada.io",
        "ClusterOverridePolicy",
        override_case(),
    );
}
