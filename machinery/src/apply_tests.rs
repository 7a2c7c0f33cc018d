//! Scenario tests for server-side apply and managedFields bookkeeping: each case is a sequence of
//! writes by different managers, then checks on the object and on who owns what.

use super::*;
use crate::typeinfo::{TypeInfo, for_kind};
use serde_json::json;

const CSA: &str = "kubectl-client-side-apply";

enum Step {
    /// A create by an Update manager (e.g. `kubectl apply` client-side, `kubectl create`).
    Create(&'static str, Value),
    /// An object written without field tracking (pre-existing data).
    Untracked(Value),
    Apply {
        manager: &'static str,
        config: Value,
        force: bool,
    },
    /// An update by `manager`: the JSON merge patch applied to the current object.
    Update(&'static str, Value),
}

fn apply(manager: &'static str, config: Value) -> Step {
    Step::Apply {
        manager,
        config,
        force: false,
    }
}

fn force_apply(manager: &'static str, config: Value) -> Step {
    Step::Apply {
        manager,
        config,
        force: true,
    }
}

#[derive(Default)]
struct Want {
    /// (JSON pointer, value).
    values: Vec<(&'static str, Value)>,
    /// JSON pointers that must not exist.
    absent: Vec<&'static str>,
    /// (manager, field path) that must be owned.
    owned: Vec<(&'static str, &'static str)>,
    /// (manager, field path) that must not be owned.
    not_owned: Vec<(&'static str, &'static str)>,
    /// The last step must fail with a message containing this.
    error: Option<&'static str>,
}

struct Case {
    name: &'static str,
    info: Option<&'static TypeInfo>,
    steps: Vec<Step>,
    want: Want,
}

fn deployment() -> Option<&'static TypeInfo> {
    for_kind("apps", "Deployment")
}

/// A CRD schema with a keyed list (`port`+`protocol`, protocol defaulted) and a set.
fn widget_info() -> &'static TypeInfo {
    static INFO: std::sync::OnceLock<TypeInfo> = std::sync::OnceLock::new();
    INFO.get_or_init(|| {
        crate::typeinfo::from_openapi_schema(&json!({
            "type": "object",
            "properties": {"spec": {"type": "object", "properties": {
                "ports": {"type": "array", "x-kubernetes-list-type": "map",
                    "x-kubernetes-list-map-keys": ["port", "protocol"],
                    "items": {"type": "object", "properties": {
                        "port": {"type": "integer"},
                        "protocol": {"type": "string", "default": "TCP"},
                        "name": {"type": "string"}}}},
                "tags": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}}
            }}}
        }))
    })
}

/// A Deployment config like `kubectl apply` sends.
fn deploy(replicas: Option<i64>, containers: Value) -> Value {
    let mut spec = json!({
        "selector": {"matchLabels": {"app": "web"}},
        "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": containers}}
    });
    if let Some(r) = replicas {
        spec["replicas"] = json!(r);
    }
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
        "spec": spec})
}

fn nginx(image: &str) -> Value {
    json!([{"name": "nginx", "image": image}])
}

fn owned_paths(obj: &Value, manager: &str) -> Vec<String> {
    managed_fields(obj)
        .expect("managedFields readable")
        .iter()
        .filter(|e| e.manager == manager)
        .flat_map(|e| e.fields.paths())
        .map(|p| path_string(&p))
        .collect()
}

/// Runs the steps; returns the final object or the last step's error.
fn run(info: Option<&TypeInfo>, steps: Vec<Step>, name: &str) -> Result<Value, ApplyError> {
    let mut obj: Option<Value> = None;
    let last = steps.len() - 1;
    for (i, step) in steps.into_iter().enumerate() {
        let now = format!("2025-01-01T00:00:{i:02}Z");
        let result = match step {
            Step::Create(manager, mut new) => {
                update_managed_fields(None, &mut new, manager, Operation::Update, None, info, &now);
                Ok(new)
            }
            Step::Untracked(v) => Ok(v),
            Step::Apply {
                manager,
                config,
                force,
            } => server_side_apply(obj.as_ref(), &config, manager, force, info, &now),
            Step::Update(manager, patch) => {
                let old = obj.clone().unwrap_or_else(|| json!({}));
                let mut new = old.clone();
                json_patch::merge(&mut new, &patch);
                update_managed_fields(
                    Some(&old),
                    &mut new,
                    manager,
                    Operation::Update,
                    None,
                    info,
                    &now,
                );
                Ok(new)
            }
        };
        match result {
            Ok(v) => obj = Some(v),
            Err(e) if i == last => return Err(e),
            Err(e) => panic!("{name}: step {i} failed: {e}"),
        }
    }
    Ok(obj.unwrap_or_default())
}

#[test]
fn scenarios() {
    let cases = vec![
        Case {
            name: "create via apply",
            info: deployment(),
            steps: vec![apply("kubectl", deploy(Some(3), nginx("nginx:1.25")))],
            want: Want {
                values: vec![
                    ("/spec/replicas", json!(3)),
                    ("/metadata/name", json!("web")),
                    ("/metadata/managedFields/0/operation", json!("Apply")),
                    (
                        "/metadata/managedFields/0/time",
                        json!("2025-01-01T00:00:00Z"),
                    ),
                ],
                owned: vec![
                    ("kubectl", ".spec.replicas"),
                    ("kubectl", ".spec.selector"),
                    ("kubectl", ".spec.template.spec.containers[name=\"nginx\"]"),
                    (
                        "kubectl",
                        ".spec.template.spec.containers[name=\"nginx\"].image",
                    ),
                    ("kubectl", ".metadata.labels.app"),
                ],
                not_owned: vec![
                    ("kubectl", ".metadata.name"),
                    ("kubectl", ".apiVersion"),
                    ("kubectl", ".metadata"),
                ],
                ..Want::default()
            },
        },
        Case {
            name: "re-apply without a field removes it",
            info: deployment(),
            steps: vec![
                apply("kubectl", {
                    let mut d = deploy(Some(3), nginx("nginx"));
                    d["metadata"]["labels"]["tier"] = json!("fe");
                    d
                }),
                apply("kubectl", deploy(None, nginx("nginx"))),
            ],
            want: Want {
                absent: vec!["/spec/replicas", "/metadata/labels/tier"],
                values: vec![("/metadata/labels", json!({"app": "web"}))],
                not_owned: vec![("kubectl", ".spec.replicas")],
                ..Want::default()
            },
        },
        Case {
            name: "removing the last label leaves no empty map",
            info: for_kind("", "ConfigMap"),
            steps: vec![
                apply(
                    "kubectl",
                    json!({"apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": "c", "labels": {"a": "1"}}, "data": {"k": "v"}}),
                ),
                apply(
                    "kubectl",
                    json!({"apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": "c"}, "data": {"k": "v"}}),
                ),
            ],
            want: Want {
                absent: vec!["/metadata/labels"],
                values: vec![("/data/k", json!("v"))],
                ..Want::default()
            },
        },
        Case {
            // Regression: the first apply owns `labels` itself (an empty map is a member); the
            // second owns only `labels.a`, and `labels` must not be pruned as dropped.
            name: "a map applied empty, then with contents, keeps the contents",
            info: for_kind("", "ConfigMap"),
            steps: vec![
                apply(
                    "kubectl",
                    json!({"apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": "c", "labels": {}}}),
                ),
                apply(
                    "kubectl",
                    json!({"apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": "c", "labels": {"a": "1"}}}),
                ),
            ],
            want: Want {
                values: vec![("/metadata/labels", json!({"a": "1"}))],
                owned: vec![("kubectl", ".metadata.labels.a")],
                not_owned: vec![("kubectl", ".metadata.labels")],
                ..Want::default()
            },
        },
        Case {
            // Regression: the last set owns the list itself (`"f:containers": {".": {}}`, as
            // after kubectl's client-side-apply migration); dropping it must not take the item
            // another applier owns with it.
            name: "a list owned as a whole keeps the items others own",
            info: deployment(),
            steps: vec![
                Step::Untracked(json!({"apiVersion": "apps/v1", "kind": "Deployment",
                    "metadata": {"name": "web", "managedFields": [
                        {"manager": "kubectl", "operation": "Apply", "apiVersion": "apps/v1",
                         "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:replicas": {},
                            "f:template": {"f:spec": {"f:containers": {".": {},
                                "k:{\"name\":\"nginx\"}": {".": {}, "f:image": {}, "f:name": {}}}}}}}},
                        {"manager": "bob", "operation": "Apply", "apiVersion": "apps/v1",
                         "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:template": {"f:spec":
                            {"f:containers": {"k:{\"name\":\"sidecar\"}":
                                {".": {}, "f:image": {}, "f:name": {}}}}}}}}]},
                    "spec": {"replicas": 1, "template": {"spec": {"containers": [
                        {"name": "nginx", "image": "nginx"},
                        {"name": "sidecar", "image": "busybox"}]}}}})),
                apply(
                    "kubectl",
                    json!({"apiVersion": "apps/v1", "kind": "Deployment",
                    "metadata": {"name": "web"}, "spec": {"replicas": 2}}),
                ),
            ],
            want: Want {
                values: vec![
                    ("/spec/replicas", json!(2)),
                    (
                        "/spec/template/spec/containers",
                        json!([{"name": "sidecar", "image": "busybox"}]),
                    ),
                ],
                owned: vec![("bob", ".spec.template.spec.containers[name=\"sidecar\"]")],
                not_owned: vec![("kubectl", ".spec.template.spec.containers")],
                ..Want::default()
            },
        },
        Case {
            name: "two appliers share a field; it survives one letting go",
            info: deployment(),
            steps: vec![
                apply("alice", deploy(Some(3), nginx("nginx"))),
                apply(
                    "bob",
                    json!({"apiVersion": "apps/v1", "kind": "Deployment",
                    "metadata": {"name": "web"}, "spec": {"replicas": 3}}),
                ),
                apply("alice", deploy(None, nginx("nginx"))),
            ],
            want: Want {
                values: vec![("/spec/replicas", json!(3))],
                owned: vec![("bob", ".spec.replicas")],
                not_owned: vec![("alice", ".spec.replicas")],
                ..Want::default()
            },
        },
        Case {
            name: "conflict with client-side apply",
            info: deployment(),
            steps: vec![
                Step::Create(CSA, deploy(Some(3), nginx("nginx"))),
                apply("kubectl", deploy(Some(5), nginx("nginx"))),
            ],
            want: Want {
                error: Some(
                    "Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using apps/v1: .spec.replicas",
                ),
                ..Want::default()
            },
        },
        Case {
            name: "force takes ownership",
            info: deployment(),
            steps: vec![
                Step::Create(CSA, deploy(Some(3), nginx("nginx"))),
                force_apply("kubectl", deploy(Some(5), nginx("nginx"))),
            ],
            want: Want {
                values: vec![("/spec/replicas", json!(5))],
                owned: vec![
                    ("kubectl", ".spec.replicas"),
                    // Same value: shared, not taken.
                    (CSA, ".spec.template.spec.containers[name=\"nginx\"].image"),
                    // Regression: list items of struct type are members of Update sets too.
                    (CSA, ".spec.template.spec.containers[name=\"nginx\"]"),
                    (
                        "kubectl",
                        ".spec.template.spec.containers[name=\"nginx\"].image",
                    ),
                ],
                not_owned: vec![(CSA, ".spec.replicas")],
                ..Want::default()
            },
        },
        Case {
            name: "update after apply moves ownership, then apply conflicts",
            info: deployment(),
            steps: vec![
                apply("kubectl", deploy(Some(3), nginx("nginx"))),
                Step::Update("kubectl-edit", json!({"spec": {"replicas": 4}})),
                apply("kubectl", deploy(Some(3), nginx("nginx"))),
            ],
            want: Want {
                error: Some("conflict with \"kubectl-edit\" using apps/v1: .spec.replicas"),
                ..Want::default()
            },
        },
        Case {
            name: "update after apply: ownership moved",
            info: deployment(),
            steps: vec![
                apply("kubectl", deploy(Some(3), nginx("nginx"))),
                Step::Update("kubectl-edit", json!({"spec": {"replicas": 4}})),
            ],
            want: Want {
                owned: vec![("kubectl-edit", ".spec.replicas")],
                not_owned: vec![("kubectl", ".spec.replicas")],
                ..Want::default()
            },
        },
        Case {
            name: "keyed list merges per item across appliers",
            info: deployment(),
            steps: vec![
                apply("alice", deploy(None, nginx("nginx:1"))),
                apply(
                    "bob",
                    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                    "spec": {"template": {"spec": {"containers": [{"name": "sidecar", "image": "busybox"}]}}}}),
                ),
                apply(
                    "alice",
                    deploy(
                        None,
                        json!([{"name": "nginx", "image": "nginx:2",
                    "ports": [{"containerPort": 80}]}]),
                    ),
                ),
            ],
            want: Want {
                values: vec![(
                    "/spec/template/spec/containers",
                    json!([{"name": "nginx", "image": "nginx:2", "ports": [{"containerPort": 80}]},
                           {"name": "sidecar", "image": "busybox"}]),
                )],
                owned: vec![
                    (
                        "bob",
                        ".spec.template.spec.containers[name=\"sidecar\"].image",
                    ),
                    (
                        "alice",
                        ".spec.template.spec.containers[name=\"nginx\"].ports[containerPort=80,protocol=\"TCP\"].containerPort",
                    ),
                ],
                ..Want::default()
            },
        },
        Case {
            name: "dropping a keyed item removes it",
            info: deployment(),
            steps: vec![
                apply(
                    "kubectl",
                    deploy(
                        None,
                        json!([{"name": "nginx", "image": "a"}, {"name": "side", "image": "b"}]),
                    ),
                ),
                apply("kubectl", deploy(None, nginx("a"))),
            ],
            want: Want {
                values: vec![("/spec/template/spec/containers", nginx("a"))],
                ..Want::default()
            },
        },
        Case {
            name: "finalizers are a set",
            info: for_kind("", "ConfigMap"),
            steps: vec![
                apply(
                    "a",
                    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "finalizers": ["x/a"]}}),
                ),
                apply(
                    "b",
                    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "finalizers": ["x/b"]}}),
                ),
            ],
            want: Want {
                values: vec![("/metadata/finalizers", json!(["x/a", "x/b"]))],
                owned: vec![
                    ("a", ".metadata.finalizers[=\"x/a\"]"),
                    ("b", ".metadata.finalizers[=\"x/b\"]"),
                ],
                ..Want::default()
            },
        },
        Case {
            name: "object without managedFields belongs to before-first-apply",
            info: deployment(),
            steps: vec![
                Step::Untracked(deploy(Some(1), nginx("nginx"))),
                apply("kubectl", deploy(Some(2), nginx("nginx"))),
            ],
            want: Want {
                error: Some("conflict with \"before-first-apply\" using apps/v1: .spec.replicas"),
                ..Want::default()
            },
        },
        Case {
            name: "status is not owned through the main resource",
            info: deployment(),
            steps: vec![apply("kubectl", {
                let mut d = deploy(Some(1), nginx("nginx"));
                d["status"] = json!({"replicas": 1});
                d
            })],
            want: Want {
                not_owned: vec![("kubectl", ".status.replicas")],
                ..Want::default()
            },
        },
        Case {
            name: "CRD without type info: lists are atomic",
            info: None,
            steps: vec![
                apply(
                    "a",
                    json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
                    "spec": {"items": [1, 2], "size": 1}}),
                ),
                apply(
                    "a",
                    json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
                    "spec": {"items": [3]}}),
                ),
            ],
            want: Want {
                values: vec![("/spec/items", json!([3]))],
                absent: vec!["/spec/size"],
                owned: vec![("a", ".spec.items")],
                ..Want::default()
            },
        },
        Case {
            name: "CRD schema with a map list merges per key",
            info: Some(widget_info()),
            steps: vec![
                apply(
                    "a",
                    json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
                    "spec": {"ports": [{"port": 80}], "tags": ["x"]}}),
                ),
                apply(
                    "b",
                    json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
                    "spec": {"ports": [{"port": 81, "protocol": "UDP"}], "tags": ["y"]}}),
                ),
                apply(
                    "a",
                    json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
                    "spec": {"ports": [{"port": 80, "name": "http"}]}}),
                ),
            ],
            want: Want {
                values: vec![
                    (
                        "/spec/ports",
                        json!([{"port": 80, "name": "http"}, {"port": 81, "protocol": "UDP"}]),
                    ),
                    ("/spec/tags", json!(["y"])),
                ],
                owned: vec![
                    ("a", ".spec.ports[port=80,protocol=\"TCP\"].name"),
                    ("b", ".spec.ports[port=81,protocol=\"UDP\"].protocol"),
                ],
                ..Want::default()
            },
        },
        Case {
            name: "update that removes a field drops it from every set",
            info: deployment(),
            steps: vec![
                apply(
                    "kubectl",
                    json!({"apiVersion": "apps/v1", "kind": "Deployment",
                    "metadata": {"name": "web", "labels": {"a": "1"}}}),
                ),
                Step::Update(
                    "kubectl-label",
                    json!({"metadata": {"labels": {"a": null}}}),
                ),
            ],
            want: Want {
                absent: vec!["/metadata/labels/a", "/metadata/managedFields"],
                ..Want::default()
            },
        },
        Case {
            name: "duplicate keys in the config are rejected",
            info: deployment(),
            steps: vec![apply(
                "kubectl",
                deploy(None, json!([{"name": "a"}, {"name": "a"}])),
            )],
            want: Want {
                error: Some(
                    ".spec.template.spec.containers: duplicate entries for key [name=\"a\"]",
                ),
                ..Want::default()
            },
        },
        Case {
            name: "missing key in the config is rejected",
            info: deployment(),
            steps: vec![apply("kubectl", deploy(None, json!([{"image": "a"}])))],
            want: Want {
                error: Some(
                    "element 0: associative list with keys has an element that omits key field \"name\"",
                ),
                ..Want::default()
            },
        },
    ];

    for c in cases {
        let result = run(c.info, c.steps, c.name);
        if let Some(want) = c.want.error {
            let err = result.expect_err(c.name).to_string();
            assert!(err.contains(want), "{}: got error {err:?}", c.name);
            continue;
        }
        let obj = result.unwrap_or_else(|e| panic!("{}: {e}", c.name));
        for (p, v) in &c.want.values {
            assert_eq!(obj.pointer(p), Some(v), "{}: {p}\n{obj:#}", c.name);
        }
        for p in &c.want.absent {
            assert!(
                obj.pointer(p).is_none(),
                "{}: {p} should be absent\n{obj:#}",
                c.name
            );
        }
        for (m, path) in &c.want.owned {
            let owned = owned_paths(&obj, m);
            assert!(
                owned.iter().any(|o| o == path),
                "{}: {m} should own {path}; owns {owned:?}",
                c.name
            );
        }
        for (m, path) in &c.want.not_owned {
            let owned = owned_paths(&obj, m);
            assert!(
                !owned.iter().any(|o| o == path),
                "{}: {m} should not own {path}",
                c.name
            );
        }
    }
}

#[test]
fn conflict_details_for_the_status_cause() {
    let err = run(
        deployment(),
        vec![
            Step::Create(CSA, deploy(Some(3), nginx("nginx"))),
            apply("kubectl", deploy(Some(5), nginx("nginx:2"))),
        ],
        "two conflicts",
    )
    .expect_err("conflict");
    let conflicts = err.conflicts();
    assert_eq!(conflicts.len(), 2);
    assert_eq!(conflicts[0].field, ".spec.replicas");
    assert_eq!(
        conflicts[1].field,
        ".spec.template.spec.containers[name=\"nginx\"].image"
    );
    assert_eq!(
        conflicts[0].cause_message(),
        "conflict with \"kubectl-client-side-apply\" using apps/v1"
    );
    assert_eq!(
        err.to_string(),
        "Apply failed with 2 conflicts: conflicts with \"kubectl-client-side-apply\" using apps/v1:\n- .spec.replicas\n- .spec.template.spec.containers[name=\"nginx\"].image"
    );
}

#[test]
fn fields_v1_shapes() {
    let obj = run(
        deployment(),
        vec![apply("kubectl", deploy(Some(3), nginx("nginx")))],
        "apply shape",
    )
    .expect("apply");
    assert_eq!(
        obj["metadata"]["managedFields"],
        json!([{
            "manager": "kubectl", "operation": "Apply", "apiVersion": "apps/v1",
            "time": "2025-01-01T00:00:00Z", "fieldsType": "FieldsV1",
            "fieldsV1": {
                "f:metadata": {"f:labels": {"f:app": {}}},
                "f:spec": {
                    "f:replicas": {},
                    "f:selector": {},
                    "f:template": {
                        "f:metadata": {"f:labels": {"f:app": {}}},
                        "f:spec": {"f:containers": {"k:{\"name\":\"nginx\"}": {".": {}, "f:image": {}, "f:name": {}}}}
                    }
                }
            }
        }])
    );

    // An Update manager that created a map owns the map itself too (`.`), like kube-apiserver.
    let obj = run(
        deployment(),
        vec![Step::Create(CSA, deploy(Some(3), nginx("nginx")))],
        "update shape",
    )
    .expect("create");
    assert_eq!(
        obj.pointer("/metadata/managedFields/0/fieldsV1/f:metadata"),
        Some(&json!({"f:labels": {".": {}, "f:app": {}}}))
    );
}

#[test]
fn managed_fields_sorted_and_stable() {
    let steps = || {
        vec![
            Step::Create(CSA, deploy(Some(3), nginx("nginx"))),
            Step::Update("kubectl-edit", json!({"spec": {"paused": true}})),
            force_apply("kubectl", deploy(Some(5), nginx("nginx"))),
            Step::Update("kubectl-label", json!({"metadata": {"labels": {"x": "y"}}})),
        ]
    };
    let obj = run(deployment(), steps(), "sorted").expect("steps");
    let order: Vec<(String, String)> = managed_fields(&obj)
        .expect("entries")
        .into_iter()
        .map(|e| (e.operation.to_string(), e.manager))
        .collect();
    assert_eq!(
        order,
        [
            ("Apply".to_string(), "kubectl".to_string()),
            ("Update".to_string(), CSA.to_string()),
            ("Update".to_string(), "kubectl-edit".to_string()),
            ("Update".to_string(), "kubectl-label".to_string()),
        ]
    );

    // Re-applying the same config changes nothing, not even the timestamp.
    let again = server_side_apply(
        Some(&obj),
        &deploy(Some(5), nginx("nginx")),
        "kubectl",
        false,
        deployment(),
        "2030-01-01T00:00:00Z",
    )
    .expect("no-op apply");
    assert_eq!(again, obj);

    // A no-op update does not touch managedFields either.
    let mut same = obj.clone();
    update_managed_fields(
        Some(&obj),
        &mut same,
        "kubectl-edit",
        Operation::Update,
        None,
        deployment(),
        "2030-01-01T00:00:00Z",
    );
    assert_eq!(same, obj);
}

#[test]
fn client_managed_fields_in_updates() {
    let obj = run(
        deployment(),
        vec![apply("kubectl", deploy(Some(3), nginx("nginx")))],
        "base",
    )
    .expect("apply");
    // `[{}]` clears managedFields.
    let mut cleared = obj.clone();
    cleared["metadata"]["managedFields"] = json!([{}]);
    update_managed_fields(
        Some(&obj),
        &mut cleared,
        "x",
        Operation::Update,
        None,
        deployment(),
        "t",
    );
    assert!(cleared.pointer("/metadata/managedFields").is_none());
    // `[]` keeps the stored ones.
    let mut kept = obj.clone();
    kept["metadata"]["managedFields"] = json!([]);
    update_managed_fields(
        Some(&obj),
        &mut kept,
        "x",
        Operation::Update,
        None,
        deployment(),
        "t",
    );
    assert_eq!(kept, obj);
}

#[test]
fn status_subresource_updates_own_status_only() {
    let obj = run(
        deployment(),
        vec![apply("kubectl", deploy(Some(3), nginx("nginx")))],
        "base",
    )
    .expect("apply");
    let mut new = obj.clone();
    new["status"] = json!({"replicas": 3, "conditions": [{"type": "Available", "status": "True"}]});
    update_managed_fields(
        Some(&obj),
        &mut new,
        "kube-controller-manager",
        Operation::Update,
        Some("status"),
        deployment(),
        "t",
    );
    let entries = managed_fields(&new).expect("entries");
    let kcm = entries
        .iter()
        .find(|e| e.manager == "kube-controller-manager")
        .expect("controller entry");
    assert_eq!(kcm.subresource.as_deref(), Some("status"));
    let paths: Vec<String> = kcm.fields.paths().iter().map(|p| path_string(p)).collect();
    assert!(
        paths.contains(&".status.conditions[type=\"Available\"].status".to_string()),
        "{paths:?}"
    );
    assert!(paths.iter().all(|p| p.starts_with(".status")), "{paths:?}");
}

/// The live Deployment after `kubectl apply` (client-side) and kubectl's migration of the
/// `kubectl-client-side-apply` entry to server-side apply: `kubectl` owns, as an Apply, the
/// migrated Update set (containers and maps owned as a whole, ports keyed with the defaulted
/// `protocol`), and `kubectl-last-applied` owns the last-applied annotation.
const MIGRATED_LIVE: &str = r#"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"annotations\":{},\"labels\":{\"app\":\"web\",\"tier\":\"fe\"},\"name\":\"web3\",\"namespace\":\"default\"},\"spec\":{\"replicas\":3,\"selector\":{\"matchLabels\":{\"app\":\"web\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":[{\"image\":\"nginx:1.25\",\"name\":\"nginx\",\"ports\":[{\"containerPort\":80}]}]}}}}\n"},"labels":{"app":"web","tier":"fe"},"name":"web3","namespace":"default","uid":"7c2753cf-01fa-4279-9f2a-93ee1c50c57a","creationTimestamp":"2026-11-21T04:53:45Z","generation":2,"managedFields":[{"manager":"kubectl","operation":"Apply","apiVersion":"apps/v1","time":"2026-11-21T04:53:45Z","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:annotations":{".":{},"f:kubectl.kubernetes.io/last-applied-configuration":{}},"f:labels":{".":{},"f:app":{},"f:tier":{}}},"f:spec":{"f:replicas":{},"f:selector":{},"f:template":{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:containers":{".":{},"k:{\"name\":\"nginx\"}":{".":{},"f:image":{},"f:name":{},"f:ports":{".":{},"k:{\"containerPort\":80,\"protocol\":\"TCP\"}":{".":{},"f:containerPort":{}}}}}}}}}},{"manager":"kubectl-last-applied","operation":"Apply","apiVersion":"apps/v1","time":"2026-11-21T04:53:45Z","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:annotations":{"f:kubectl.kubernetes.io/last-applied-configuration":{}}}}}],"resourceVersion":"9"},"spec":{"replicas":5,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"image":"nginx:1.25","name":"nginx","ports":[{"containerPort":80}]}]}}}}"#;

/// The config the following `kubectl apply --server-side --force-conflicts` sends.
const MIGRATED_APPLIED: &str = r#"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"labels":{"app":"web","tier":"fe"},"name":"web3","namespace":"default"},"spec":{"replicas":5,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"image":"nginx:1.25","name":"nginx","ports":[{"containerPort":80}]}]}}}}"#;

fn migrated() -> (Value, Value) {
    let live = serde_json::from_str(MIGRATED_LIVE).expect("live JSON");
    let applied = serde_json::from_str(MIGRATED_APPLIED).expect("applied JSON");
    (live, applied)
}

/// kubectl's fields after the apply: exactly the config's field set.
fn migrated_kubectl_fields() -> Value {
    json!({
        "f:metadata": {"f:labels": {"f:app": {}, "f:tier": {}}},
        "f:spec": {
            "f:replicas": {},
            "f:selector": {},
            "f:template": {
                "f:metadata": {"f:labels": {"f:app": {}}},
                "f:spec": {"f:containers": {"k:{\"name\":\"nginx\"}": {
                    ".": {}, "f:image": {}, "f:name": {},
                    "f:ports": {"k:{\"containerPort\":80,\"protocol\":\"TCP\"}":
                        {".": {}, "f:containerPort": {}}}
                }}}
            }
        }
    })
}

/// Regression: the sets kubectl migrates from client-side apply own maps and lists as a whole
/// (`"."`); the new apply set owns only their contents. Pruning the "dropped" containers used to
/// delete `labels`, `containers` and `ports` wholesale and with them all of `spec.template`.
#[test]
fn server_side_apply_after_kubectl_csa_migration() {
    let (live, applied) = migrated();
    let out = server_side_apply(
        Some(&live),
        &applied,
        "kubectl",
        true,
        deployment(),
        "2026-11-21T05:00:00Z",
    )
    .expect("apply");

    // Nothing is lost: the object is the applied config plus what others own.
    assert_eq!(out["spec"], applied["spec"], "{out:#}");
    assert_eq!(
        out["metadata"]["labels"],
        json!({"app": "web", "tier": "fe"})
    );
    // `kubectl-last-applied` still owns the annotation, so it stays.
    assert_eq!(
        out["metadata"]["annotations"],
        live["metadata"]["annotations"]
    );
    for p in [
        "name",
        "namespace",
        "uid",
        "creationTimestamp",
        "generation",
        "resourceVersion",
    ] {
        assert_eq!(out["metadata"][p], live["metadata"][p], "metadata.{p}");
    }
    assert_eq!(
        out["metadata"]["managedFields"],
        json!([
            {"manager": "kubectl-last-applied", "operation": "Apply", "apiVersion": "apps/v1",
             "time": "2026-11-21T04:53:45Z", "fieldsType": "FieldsV1",
             "fieldsV1": {"f:metadata": {"f:annotations":
                {"f:kubectl.kubernetes.io/last-applied-configuration": {}}}}},
            {"manager": "kubectl", "operation": "Apply", "apiVersion": "apps/v1",
             "time": "2026-11-21T05:00:00Z", "fieldsType": "FieldsV1",
             "fieldsV1": migrated_kubectl_fields()}
        ])
    );

    // Applying the same config again is a no-op.
    let again = server_side_apply(
        Some(&out),
        &applied,
        "kubectl",
        false,
        deployment(),
        "2026-11-21T06:00:00Z",
    )
    .expect("re-apply");
    assert_eq!(again, out);
}

/// Without `kubectl-last-applied`, the annotation was kubectl's alone: it goes, and the emptied
/// `annotations` map with it; everything the config still sets stays.
#[test]
fn server_side_apply_after_kubectl_csa_migration_drops_unowned_annotation() {
    let (mut live, applied) = migrated();
    live["metadata"]["managedFields"]
        .as_array_mut()
        .expect("entries")
        .retain(|e| e["manager"] != "kubectl-last-applied");
    let out = server_side_apply(Some(&live), &applied, "kubectl", true, deployment(), "t")
        .expect("apply");
    assert!(out.pointer("/metadata/annotations").is_none(), "{out:#}");
    assert_eq!(out["spec"], applied["spec"]);
    assert_eq!(
        out["metadata"]["labels"],
        json!({"app": "web", "tier": "fe"})
    );
    assert_eq!(
        out["metadata"]["managedFields"],
        json!([{"manager": "kubectl", "operation": "Apply", "apiVersion": "apps/v1",
            "time": "t", "fieldsType": "FieldsV1", "fieldsV1": migrated_kubectl_fields()}])
    );
}

/// After the migration, what the new config really drops is still removed item by item: a
/// label, and a port matched through its defaulted `protocol` key.
#[test]
fn server_side_apply_after_kubectl_csa_migration_prunes_dropped_fields() {
    let (live, mut applied) = migrated();
    applied["metadata"]["labels"] = json!({"app": "web"});
    applied["spec"]["template"]["spec"]["containers"][0]["ports"] =
        json!([{"containerPort": 8080}]);
    let out = server_side_apply(Some(&live), &applied, "kubectl", true, deployment(), "t")
        .expect("apply");
    assert_eq!(out["spec"], applied["spec"], "{out:#}");
    assert_eq!(out["metadata"]["labels"], json!({"app": "web"}));
    assert_eq!(
        out["metadata"]["annotations"],
        live["metadata"]["annotations"]
    );
    let owned = owned_paths(&out, "kubectl");
    assert!(
        owned.contains(
            &".spec.template.spec.containers[name=\"nginx\"].ports[containerPort=8080,protocol=\"TCP\"]"
                .to_string()
        ),
        "{owned:?}"
    );
    assert!(
        !owned.iter().any(|p| p.contains("containerPort=80,")),
        "{owned:?}"
    );
}

mod proptests {
    use super::*;
    use proptest::prelude::*;

    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("name".to_string()),
            Just("containers".to_string()),
            Just("finalizers".to_string()),
            Just("metadata".to_string()),
            Just("managedFields".to_string()),
            Just("spec".to_string()),
            Just("template".to_string()),
            Just("ports".to_string()),
            Just("containerPort".to_string()),
            Just("status".to_string()),
            "[a-z]{1,3}",
        ]
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            (0..4i64).prop_map(|n| json!(n)),
            "[a-c]{0,2}".prop_map(Value::String),
        ];
        leaf.prop_recursive(6, 64, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::vec((key(), inner), 0..5)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn apply_is_idempotent(config in json_value()) {
            let config = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": config});
            let pod = for_kind("", "Pod");
            if let Ok(once) = server_side_apply(None, &config, "a", false, pod, "t1") {
                let twice = server_side_apply(Some(&once), &config, "a", false, pod, "t2");
                prop_assert_eq!(Ok(once), twice);
            }
        }

        #[test]
        fn random_objects_never_panic(live in json_value(), config in json_value(), force in any::<bool>()) {
            let wrap = |v: &Value| json!({"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "x"}, "spec": {"template": {"spec": v.clone()}}, "other": v.clone()});
            let pod = for_kind("", "Pod");
            for info in [deployment(), pod, None] {
                for (l, c) in [(&live, &config), (&wrap(&live), &wrap(&config))] {
                    let live_obj = server_side_apply(None, l, "a", force, info, "t1").ok();
                    let _ = server_side_apply(live_obj.as_ref(), c, "b", force, info, "t2");
                    let _ = server_side_apply(Some(l), c, "b", force, info, "t2");
                    let mut new = c.clone();
                    update_managed_fields(live_obj.as_ref(), &mut new, "u", Operation::Update, None, info, "t3");
                    prop_assert!(managed_fields(&new).is_ok(), "unreadable managedFields written: {new}");
                    if let Some(old) = &live_obj {
                        let mut new = old.clone();
                        json_patch::merge(&mut new, c);
                        update_managed_fields(Some(old), &mut new, "u", Operation::Update, Some("status"), info, "t3");
                    }
                }
            }
        }
    }
}
