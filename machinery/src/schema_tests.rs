//! Tests for `schema`: a small Deployment-like schema in the shape schemars generates for
//! k8s-openapi types, and a Widget CRD schema exercising structural features.

use super::*;
use proptest::prelude::*;
use serde_json::json;

/// Definitions the way k8s-openapi's schemars impls come out: `$ref`s with sibling
/// descriptions, both `#/$defs/` and `#/components/schemas/` spellings, `allOf` wrappers,
/// `anyOf` with null, `"type": [.., "null"]` and free-form `{"type": "object"}` nodes.
fn deployment_defs() -> Map<String, Value> {
    let defs = json!({
        "io.k8s.api.apps.v1.Deployment": {
            "type": "object",
            "properties": {
                "apiVersion": {"type": "string"},
                "kind": {"type": "string"},
                "metadata": {"$ref": "#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", "description": "Standard object's metadata."},
                "spec": {"anyOf": [{"$ref": "#/$defs/io.k8s.api.apps.v1.DeploymentSpec"}, {"type": "null"}]},
                "status": {"$ref": "#/$defs/io.k8s.api.apps.v1.DeploymentStatus"}
            },
            "required": ["metadata"]
        },
        "io.k8s.api.apps.v1.DeploymentSpec": {
            "type": "object",
            "properties": {
                "replicas": {"type": ["integer", "null"], "format": "int32"},
                "selector": {"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector"},
                "strategy": {"allOf": [{"$ref": "#/$defs/io.k8s.api.apps.v1.DeploymentStrategy"}], "description": "wrapped"},
                "template": {"$ref": "#/$defs/io.k8s.api.core.v1.PodTemplateSpec"}
            }
        },
        "io.k8s.api.apps.v1.DeploymentStrategy": {
            "type": "object",
            "properties": {
                "type": {"type": "string"},
                "rollingUpdate": {"type": "object", "properties": {
                    "maxSurge": {"$ref": "#/$defs/io.k8s.apimachinery.pkg.util.intstr.IntOrString"},
                    "maxUnavailable": {"$ref": "#/$defs/io.k8s.apimachinery.pkg.util.intstr.IntOrString"}
                }}
            }
        },
        "io.k8s.api.apps.v1.DeploymentStatus": {
            "type": "object",
            "properties": {"replicas": {"type": "integer"}, "observedGeneration": {"type": "integer"}}
        },
        "io.k8s.api.core.v1.PodTemplateSpec": {
            "type": "object",
            "properties": {
                "metadata": {"$ref": "#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"},
                "spec": {"$ref": "#/$defs/io.k8s.api.core.v1.PodSpec"}
            }
        },
        "io.k8s.api.core.v1.PodSpec": {
            "type": "object",
            "properties": {
                "containers": {"type": "array", "items": {"$ref": "#/$defs/io.k8s.api.core.v1.Container"}},
                "nodeSelector": {"type": "object", "additionalProperties": {"type": "string"}},
                "overhead": {"type": "object", "additionalProperties": {"$ref": "#/$defs/io.k8s.apimachinery.pkg.api.resource.Quantity"}}
            },
            "required": ["containers"]
        },
        "io.k8s.api.core.v1.Container": {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "image": {"type": ["string", "null"]},
                "args": {"type": "array", "items": {"type": "string"}},
                "ports": {"type": "array", "items": {"$ref": "#/$defs/io.k8s.api.core.v1.ContainerPort"}}
            },
            "required": ["name"]
        },
        "io.k8s.api.core.v1.ContainerPort": {
            "type": "object",
            "properties": {"containerPort": {"type": "integer"}, "name": {"type": "string"}}
        },
        "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector": {
            "type": "object",
            "properties": {
                "matchLabels": {"type": "object", "additionalProperties": {"type": "string"}},
                "matchExpressions": {"type": "array", "items": {"type": "object", "properties": {
                    "key": {"type": "string"}, "operator": {"type": "string"},
                    "values": {"type": "array", "items": {"type": "string"}}
                }}}
            }
        },
        "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta": {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "namespace": {"type": "string"},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
                "managedFields": {"type": "array", "items": {"$ref": "#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry"}}
            }
        },
        "io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry": {
            "type": "object",
            "properties": {
                "manager": {"type": "string"},
                "fieldsV1": {"$ref": "#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1"}
            }
        },
        "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1": {"type": "object"},
        "io.k8s.apimachinery.pkg.api.resource.Quantity": {"x-kubernetes-int-or-string": true},
        "io.k8s.apimachinery.pkg.util.intstr.IntOrString": {"x-kubernetes-int-or-string": true}
    });
    defs.as_object().cloned().unwrap_or_default()
}

fn deployment() -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app": "web"},
                     "managedFields": [{"manager": "kubectl", "fieldsV1": {"f:spec": {"f:replicas": {}}}}]},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "web"}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "nodeSelector": {"disk": "ssd"},
                    "containers": [
                        {"name": "nginx", "image": "nginx:1.27", "ports": [{"containerPort": 80}]},
                        {"name": "sidecar", "image": null, "args": ["-v"]}
                    ]
                }
            }
        }
    })
}

/// Sets `value` at a dotted path of object keys, creating objects on the way.
fn set(obj: &mut Value, path: &str, value: Value) {
    let mut cur = obj;
    let parts: Vec<&str> = path.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        let (key, index) = match part.split_once('[') {
            Some((k, rest)) => (k, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (*part, None),
        };
        let last = i + 1 == parts.len();
        if !cur.is_object() {
            *cur = json!({});
        }
        let Some(map) = cur.as_object_mut() else {
            return;
        };
        if last && index.is_none() {
            map.insert(key.to_string(), value);
            return;
        }
        cur = map.entry(key.to_string()).or_insert_with(|| json!({}));
        if let Some(idx) = index {
            let Some(item) = cur.get_mut(idx) else {
                return;
            };
            if last {
                *item = value;
                return;
            }
            cur = item;
        }
    }
}

#[test]
fn unknown_fields_builtin() {
    struct Case {
        name: &'static str,
        edits: Vec<(&'static str, Value)>,
        want: Vec<&'static str>,
    }
    let cases = vec![
        Case {
            name: "valid object",
            edits: vec![],
            want: vec![],
        },
        Case {
            name: "top-level field",
            edits: vec![("bogusField", json!(1))],
            want: vec!["bogusField"],
        },
        Case {
            name: "spec field",
            edits: vec![("spec.foo", json!("x"))],
            want: vec!["spec.foo"],
        },
        Case {
            name: "container field",
            edits: vec![("spec.template.spec.containers[0].bogus", json!(true))],
            want: vec!["spec.template.spec.containers[0].bogus"],
        },
        Case {
            name: "nested list item through $ref",
            edits: vec![(
                "spec.template.spec.containers[0].ports[0].hostPortz",
                json!(1),
            )],
            want: vec!["spec.template.spec.containers[0].ports[0].hostPortz"],
        },
        Case {
            name: "field inside allOf-wrapped ref",
            edits: vec![("spec.strategy.rollingUpdate.maxSurgee", json!(1))],
            want: vec!["spec.strategy.rollingUpdate.maxSurgee"],
        },
        Case {
            name: "components/schemas ref",
            edits: vec![("spec.selector.matchLabelz", json!({}))],
            want: vec!["spec.selector.matchLabelz"],
        },
        Case {
            name: "metadata field",
            edits: vec![("metadata.nmae", json!("x"))],
            want: vec!["metadata.nmae"],
        },
        Case {
            name: "template metadata field",
            edits: vec![("spec.template.metadata.lables", json!({}))],
            want: vec!["spec.template.metadata.lables"],
        },
        Case {
            name: "map keys are free",
            edits: vec![("spec.template.spec.nodeSelector.anything", json!("x"))],
            want: vec![],
        },
        Case {
            name: "free-form object (FieldsV1) is free",
            edits: vec![(
                "metadata.managedFields[0].fieldsV1.f:metadata",
                json!({"f:labels": {}}),
            )],
            want: vec![],
        },
        Case {
            name: "int-or-string value that is an object is not an unknown field",
            edits: vec![("spec.strategy.rollingUpdate.maxSurge", json!({"x": 1}))],
            want: vec![],
        },
        Case {
            name: "null spec",
            edits: vec![("spec", Value::Null)],
            want: vec![],
        },
        Case {
            name: "several, in document order",
            edits: vec![
                ("spec.zzz", json!(1)),
                ("spec.template.spec.containers[1].aaa", json!(1)),
                ("metadata.bad", json!(1)),
                ("extra", json!(1)),
            ],
            want: vec![
                "metadata.bad",
                "spec.template.spec.containers[1].aaa",
                "spec.zzz",
                "extra",
            ],
        },
    ];
    let defs = deployment_defs();
    let schema = json!({"$ref": "#/$defs/io.k8s.api.apps.v1.Deployment"});
    for c in cases {
        let mut obj = deployment();
        for (path, v) in c.edits {
            set(&mut obj, path, v);
        }
        assert_eq!(
            unknown_fields(&obj, &schema, &defs),
            c.want,
            "case {}",
            c.name
        );
    }
}

#[test]
fn unknown_fields_edge_cases() {
    let defs = deployment_defs();
    // A ref we cannot resolve tells us nothing, so nothing below it is reported.
    let schema = json!({"type": "object", "properties": {"spec": {"$ref": "#/$defs/Missing"}}});
    let obj = json!({"spec": {"anything": 1}, "other": 1});
    assert_eq!(unknown_fields(&obj, &schema, &defs), vec!["other"]);

    // Reference cycles terminate.
    let mut cyclic = Map::new();
    cyclic.insert("A".into(), json!({"allOf": [{"$ref": "#/$defs/B"}]}));
    cyclic.insert("B".into(), json!({"allOf": [{"$ref": "#/$defs/A"}]}));
    let obj = json!({"x": {"y": 1}});
    assert_eq!(
        unknown_fields(&obj, &json!({"$ref": "#/$defs/A"}), &cyclic),
        Vec::<String>::new()
    );

    // Recursive schemas (like JSONSchemaProps) follow the data, however deep it is.
    let mut recursive = Map::new();
    recursive.insert(
        "Node".into(),
        json!({"type": "object", "properties": {"child": {"$ref": "#/$defs/Node"}}}),
    );
    let mut deep = json!({"bogus": 1});
    for _ in 0..1000 {
        deep = json!({"child": deep});
    }
    let got = unknown_fields(&deep, &json!({"$ref": "#/$defs/Node"}), &recursive);
    assert!(got.is_empty(), "below the depth limit nothing is judged");
    let mut shallow = json!({"bogus": 1});
    for _ in 0..3 {
        shallow = json!({"child": shallow});
    }
    assert_eq!(
        unknown_fields(&shallow, &json!({"$ref": "#/$defs/Node"}), &recursive),
        vec!["child.child.child.bogus"]
    );

    // Schema shapes that are not objects never panic.
    for schema in [
        json!(null),
        json!(true),
        json!(false),
        json!([1]),
        json!("x"),
    ] {
        let _ = unknown_fields(&deployment(), &schema, &defs);
        let _ = unknown_fields_structural(&deployment(), &schema);
        let _ = validate_structural(&deployment(), &schema);
        let mut obj = deployment();
        let _ = prune(&mut obj, &schema);
        apply_defaults(&mut obj, &schema);
    }

    assert_eq!(
        strict_decoding_error(&["spec.foo".into(), "bogusField".into()]),
        "strict decoding error: unknown field \"spec.foo\", unknown field \"bogusField\""
    );
}

/// A Widget CRD's structural schema: nested objects, arrays of objects, maps, a
/// preserve-unknown-fields subtree with declared children, int-or-string, an embedded
/// resource, defaults and value validations.
fn widget_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": {
                "type": "object",
                "required": ["size"],
                "properties": {
                    "size": {"type": "integer", "format": "int32", "minimum": 1, "maximum": 10},
                    "color": {"type": "string", "enum": ["red", "green", "blue"], "default": "red"},
                    "name": {"type": "string", "pattern": "^[a-z][a-z0-9-]*$", "minLength": 2, "maxLength": 12},
                    "ratio": {"type": "number", "minimum": 0, "maximum": 1, "exclusiveMaximum": true},
                    "step": {"type": "integer", "multipleOf": 5},
                    "port": {"x-kubernetes-int-or-string": true},
                    "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 3, "x-kubernetes-list-type": "set"},
                    "ports": {
                        "type": "array",
                        "minItems": 1,
                        "x-kubernetes-list-type": "map",
                        "x-kubernetes-list-map-keys": ["name"],
                        "items": {
                            "type": "object",
                            "required": ["name"],
                            "properties": {
                                "name": {"type": "string"},
                                "port": {"type": "integer", "default": 80},
                                "protocol": {"type": "string", "default": "TCP"}
                            }
                        }
                    },
                    "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                    "limits": {"type": "object", "additionalProperties": {
                        "type": "object", "properties": {"cpu": {"type": "string"}}
                    }},
                    "config": {
                        "type": "object",
                        "x-kubernetes-preserve-unknown-fields": true,
                        "properties": {"known": {"type": "object", "properties": {"a": {"type": "string"}}}}
                    },
                    "template": {
                        "type": "object",
                        "x-kubernetes-embedded-resource": true,
                        "x-kubernetes-preserve-unknown-fields": true
                    },
                    "nested": {
                        "type": "object",
                        "default": {},
                        "properties": {"inner": {
                            "type": "object",
                            "default": {},
                            "properties": {"level": {"type": "string", "default": "deep"}}
                        }}
                    },
                    "note": {"type": "string", "nullable": true},
                    "mode": {"type": "string"},
                    "empty": {"type": "object"},
                    "choice": {"type": "object", "oneOf": [{"required": ["a"]}, {"required": ["b"]}],
                               "properties": {"a": {"type": "string"}, "b": {"type": "string"}}},
                    "either": {"type": "string", "anyOf": [{"pattern": "^x"}, {"pattern": "^y"}]},
                    "notEmpty": {"type": "string", "not": {"enum": [""]}}
                }
            },
            "status": {"type": "object", "properties": {"ready": {"type": "boolean"}}}
        }
    })
}

fn widget() -> Value {
    json!({
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w1", "namespace": "default"},
        "spec": {"size": 3}
    })
}

#[test]
fn prune_structural() {
    struct Case {
        name: &'static str,
        edits: Vec<(&'static str, Value)>,
        want_paths: Vec<&'static str>,
        /// (path, expected value after pruning; Null = removed)
        check: Vec<(&'static str, Value)>,
    }
    let cases = vec![
        Case {
            name: "nothing to prune",
            edits: vec![],
            want_paths: vec![],
            check: vec![],
        },
        Case {
            name: "unknown spec field",
            edits: vec![("spec.bogus", json!(1))],
            want_paths: vec!["spec.bogus"],
            check: vec![("/spec/bogus", Value::Null), ("/spec/size", json!(3))],
        },
        Case {
            name: "unknown top-level and status fields",
            edits: vec![("extra", json!(1)), ("status.phase", json!("x"))],
            want_paths: vec!["extra", "status.phase"],
            check: vec![("/extra", Value::Null), ("/status", json!({}))],
        },
        Case {
            name: "array of objects",
            edits: vec![(
                "spec.ports",
                json!([{"name": "http", "bogus": 1}, {"name": "https", "nope": 2}]),
            )],
            want_paths: vec!["spec.ports[0].bogus", "spec.ports[1].nope"],
            check: vec![("/spec/ports", json!([{"name": "http"}, {"name": "https"}]))],
        },
        Case {
            name: "map values are pruned by their schema, keys are free",
            edits: vec![(
                "spec.limits",
                json!({"a": {"cpu": "1", "gpu": "2"}, "b": {}}),
            )],
            want_paths: vec!["spec.limits.a.gpu"],
            check: vec![("/spec/limits", json!({"a": {"cpu": "1"}, "b": {}}))],
        },
        Case {
            name: "preserve-unknown-fields keeps unknown, prunes declared children",
            edits: vec![(
                "spec.config",
                json!({"free": {"x": 1}, "known": {"a": "1", "b": "2"}}),
            )],
            want_paths: vec!["spec.config.known.b"],
            check: vec![(
                "/spec/config",
                json!({"free": {"x": 1}, "known": {"a": "1"}}),
            )],
        },
        Case {
            name: "object without properties holds nothing",
            edits: vec![("spec.empty", json!({"x": 1}))],
            want_paths: vec!["spec.empty.x"],
            check: vec![("/spec/empty", json!({}))],
        },
        Case {
            name: "embedded resource keeps apiVersion/kind, prunes metadata to ObjectMeta",
            edits: vec![(
                "spec.template",
                json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": "p", "bogus": 1}, "spec": {"containers": []}}),
            )],
            want_paths: vec!["spec.template.metadata.bogus"],
            check: vec![(
                "/spec/template",
                json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": "p"}, "spec": {"containers": []}}),
            )],
        },
        Case {
            name: "root metadata pruned to ObjectMeta whatever the schema says",
            edits: vec![
                ("metadata.bogus", json!(1)),
                ("metadata.labels", json!({"a": "b"})),
            ],
            want_paths: vec!["metadata.bogus"],
            check: vec![
                ("/metadata/labels", json!({"a": "b"})),
                ("/metadata/bogus", Value::Null),
            ],
        },
        Case {
            name: "int-or-string keeps scalars",
            edits: vec![("spec.port", json!("http"))],
            want_paths: vec![],
            check: vec![("/spec/port", json!("http"))],
        },
    ];
    let schema = widget_schema();
    for c in cases {
        let mut obj = widget();
        for (path, v) in c.edits {
            set(&mut obj, path, v);
        }
        let preview = unknown_fields_structural(&obj, &schema);
        let got = prune(&mut obj, &schema);
        assert_eq!(got, c.want_paths, "case {}", c.name);
        assert_eq!(preview, got, "case {}: preview differs", c.name);
        for (pointer, want) in c.check {
            assert_eq!(
                obj.pointer(pointer).cloned().unwrap_or(Value::Null),
                want,
                "case {}: {pointer}",
                c.name
            );
        }
        assert!(
            unknown_fields_structural(&obj, &schema).is_empty(),
            "case {}: prune is complete",
            c.name
        );
    }
}

#[test]
fn prune_keeps_document_order() {
    let mut obj = json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {},
                         "spec": {"size": 1, "junk": 0, "color": "red", "name": "ab"}});
    prune(&mut obj, &widget_schema());
    let keys: Vec<&String> = obj["spec"]
        .as_object()
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    assert_eq!(keys, ["size", "color", "name"]);
}

#[test]
fn builtin_and_structural_differ_on_undeclared_objects() {
    // Generated built-in schemas spell free-form values as a bare object; CRDs mean "empty".
    let mut obj = widget();
    set(&mut obj, "spec.empty", json!({"x": 1}));
    assert!(unknown_fields(&obj, &widget_schema(), &Map::new()).is_empty());
    assert_eq!(
        unknown_fields_structural(&obj, &widget_schema()),
        vec!["spec.empty.x"]
    );
}

#[test]
fn defaults() {
    struct Case {
        name: &'static str,
        spec: Value,
        want: Value,
    }
    let cases = vec![
        Case {
            name: "absent fields get defaults, recursively into defaulted objects",
            spec: json!({"size": 1}),
            want: json!({"size": 1, "color": "red", "nested": {"inner": {"level": "deep"}}}),
        },
        Case {
            name: "present values win",
            spec: json!({"size": 1, "color": "blue", "nested": {"inner": {"level": "shallow"}}}),
            want: json!({"size": 1, "color": "blue", "nested": {"inner": {"level": "shallow"}}}),
        },
        Case {
            name: "non-nullable null is defaulted",
            spec: json!({"size": 1, "color": null, "nested": {"inner": null}}),
            want: json!({"size": 1, "color": "red", "nested": {"inner": {"level": "deep"}}}),
        },
        Case {
            name: "list items defaulted",
            spec: json!({"size": 1, "ports": [{"name": "a"}, {"name": "b", "port": 8080}]}),
            want: json!({"size": 1, "ports": [{"name": "a", "port": 80, "protocol": "TCP"},
                                             {"name": "b", "port": 8080, "protocol": "TCP"}],
                         "color": "red", "nested": {"inner": {"level": "deep"}}}),
        },
    ];
    let schema = widget_schema();
    for c in cases {
        let mut obj = widget();
        obj["spec"] = c.spec;
        apply_defaults(&mut obj, &schema);
        assert_eq!(obj["spec"], c.want, "case {}", c.name);
    }

    // Defaults on map values and list items that are null.
    let schema = json!({"type": "object", "properties": {
        "m": {"type": "object", "additionalProperties": {"type": "string", "default": "d"}},
        "l": {"type": "array", "items": {"type": "integer", "default": 7}}
    }});
    let mut obj = json!({"m": {"a": null, "b": "x"}, "l": [1, null]});
    apply_defaults(&mut obj, &schema);
    assert_eq!(obj, json!({"m": {"a": "d", "b": "x"}, "l": [1, 7]}));
}

#[test]
fn non_nullable_nulls_are_dropped() {
    let mut obj = widget();
    set(&mut obj, "spec.mode", Value::Null);
    set(&mut obj, "spec.note", Value::Null);
    set(&mut obj, "spec.color", Value::Null);
    set(&mut obj, "spec.labels", json!({"a": null}));
    prune_non_nullable_nulls(&mut obj, &widget_schema());
    // mode: not nullable, no default → dropped; note: nullable → kept; color: has a default →
    // left for defaulting; map values follow additionalProperties.
    assert_eq!(
        obj["spec"],
        json!({"size": 3, "note": null, "color": null, "labels": {}})
    );
}

#[test]
fn structural_validation() {
    struct Case {
        name: &'static str,
        edits: Vec<(&'static str, Value)>,
        want: Vec<&'static str>,
    }
    let cases = vec![
        Case {
            name: "valid",
            edits: vec![],
            want: vec![],
        },
        Case {
            name: "everything valid",
            edits: vec![
                ("spec.color", json!("green")),
                ("spec.name", json!("my-widget")),
                ("spec.ratio", json!(0.5)),
                ("spec.step", json!(15)),
                ("spec.port", json!(8080)),
                ("spec.tags", json!(["a", "b"])),
                ("spec.ports", json!([{"name": "http", "port": 80}])),
                ("spec.labels", json!({"a": "b"})),
                ("spec.note", Value::Null),
                (
                    "spec.template",
                    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}),
                ),
                ("spec.choice", json!({"a": "x"})),
                ("spec.either", json!("yes")),
                ("spec.notEmpty", json!("x")),
                ("spec.size", json!(2.0)),
            ],
            want: vec![],
        },
        Case {
            name: "required",
            edits: vec![("spec", json!({}))],
            want: vec!["spec.size: Required value"],
        },
        Case {
            name: "wrong type",
            edits: vec![("spec.size", json!("three"))],
            want: vec![
                "spec.size: Invalid value: \"string\": spec.size in body must be of type integer: \"string\"",
            ],
        },
        Case {
            name: "fractional integer",
            edits: vec![("spec.size", json!(2.5))],
            want: vec![
                "spec.size: Invalid value: \"number\": spec.size in body must be of type integer: \"number\"",
            ],
        },
        Case {
            name: "null not nullable",
            edits: vec![("spec.mode", Value::Null)],
            want: vec![
                "spec.mode: Invalid value: \"null\": spec.mode in body must be of type string: \"null\"",
            ],
        },
        Case {
            name: "minimum and maximum",
            edits: vec![("spec.size", json!(0))],
            want: vec![
                "spec.size: Invalid value: 0: spec.size in body should be greater than or equal to 1",
            ],
        },
        Case {
            name: "maximum",
            edits: vec![("spec.size", json!(11))],
            want: vec![
                "spec.size: Invalid value: 11: spec.size in body should be less than or equal to 10",
            ],
        },
        Case {
            name: "int32 range",
            edits: vec![("spec.size", json!(3_000_000_000i64))],
            want: vec![
                "spec.size: Invalid value: 3000000000: spec.size in body should be less than or equal to 2147483647 (int32)",
            ],
        },
        Case {
            name: "exclusive maximum",
            edits: vec![("spec.ratio", json!(1))],
            want: vec!["spec.ratio: Invalid value: 1: spec.ratio in body should be less than 1"],
        },
        Case {
            name: "multipleOf",
            edits: vec![("spec.step", json!(7))],
            want: vec!["spec.step: Invalid value: 7: spec.step in body should be a multiple of 5"],
        },
        Case {
            name: "enum",
            edits: vec![("spec.color", json!("pink"))],
            want: vec![
                "spec.color: Unsupported value: \"pink\": supported values: \"red\", \"green\", \"blue\"",
            ],
        },
        Case {
            name: "pattern",
            edits: vec![("spec.name", json!("Bad_Name"))],
            want: vec![
                "spec.name: Invalid value: \"Bad_Name\": spec.name in body should match '^[a-z][a-z0-9-]*$'",
            ],
        },
        Case {
            name: "length bounds",
            edits: vec![("spec.name", json!("a"))],
            want: vec![
                "spec.name: Invalid value: \"a\": spec.name in body should be at least 2 chars long",
            ],
        },
        Case {
            name: "max length counts characters",
            edits: vec![("spec.name", json!("abcdefghijklm"))],
            want: vec!["spec.name: Too long: may not be more than 12 bytes"],
        },
        Case {
            name: "int-or-string",
            edits: vec![("spec.port", json!(true))],
            want: vec![
                "spec.port: Invalid value: \"boolean\": spec.port in body must be of type integer,string: \"boolean\"",
            ],
        },
        Case {
            name: "list-type set and maxItems",
            edits: vec![("spec.tags", json!(["a", "b", "a", "c"]))],
            want: vec![
                "spec.tags: Too many: 4: must have at most 3 items",
                "spec.tags[2]: Duplicate value: \"a\"",
            ],
        },
        Case {
            name: "list-type map keys, item required, minItems",
            edits: vec![(
                "spec.ports",
                json!([{"name": "a"}, {"port": 1}, {"name": "a", "port": "x"}]),
            )],
            want: vec![
                "spec.ports[2]: Duplicate value: {\"name\":\"a\"}",
                "spec.ports[1].name: Required value",
                "spec.ports[2].port: Invalid value: \"string\": spec.ports[2].port in body must be of type integer: \"string\"",
            ],
        },
        Case {
            name: "minItems",
            edits: vec![("spec.ports", json!([]))],
            want: vec![
                "spec.ports: Invalid value: 0: spec.ports in body should have at least 1 items",
            ],
        },
        Case {
            name: "map values",
            edits: vec![("spec.labels", json!({"a": 1}))],
            want: vec![
                "spec.labels.a: Invalid value: \"integer\": spec.labels.a in body must be of type string: \"integer\"",
            ],
        },
        Case {
            name: "embedded resource",
            edits: vec![(
                "spec.template",
                json!({"kind": "Bad_Kind", "metadata": {"name": "Bad_Name"}}),
            )],
            want: vec![
                "spec.template.apiVersion: Required value: must not be empty",
                "spec.template.kind: Invalid value: \"Bad_Kind\": may have mixed case, but should otherwise match: a DNS-1035 label",
                "spec.template.metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain",
            ],
        },
        Case {
            name: "oneOf",
            edits: vec![("spec.choice", json!({"a": "x", "b": "y"}))],
            want: vec![
                "spec.choice: Invalid value: {\"a\":\"x\",\"b\":\"y\"}: spec.choice must validate one and only one schema (oneOf)",
            ],
        },
        Case {
            name: "anyOf",
            edits: vec![("spec.either", json!("zebra"))],
            want: vec![
                "spec.either: Invalid value: \"zebra\": spec.either must validate at least one schema (anyOf)",
                "spec.either: Invalid value: \"zebra\": spec.either in body should match '^x'",
            ],
        },
        Case {
            name: "not",
            edits: vec![("spec.notEmpty", json!(""))],
            want: vec![
                "spec.notEmpty: Invalid value: \"\": spec.notEmpty must not validate the schema (not)",
            ],
        },
        Case {
            name: "object where a string belongs",
            edits: vec![("spec.mode", json!({"a": 1}))],
            want: vec![
                "spec.mode: Invalid value: \"object\": spec.mode in body must be of type string: \"object\"",
            ],
        },
        Case {
            name: "status validated too",
            edits: vec![("status.ready", json!("yes"))],
            want: vec![
                "status.ready: Invalid value: \"string\": status.ready in body must be of type boolean: \"string\"",
            ],
        },
    ];
    let schema = widget_schema();
    for c in cases {
        let mut obj = widget();
        for (path, v) in c.edits {
            set(&mut obj, path, v);
        }
        let got: Vec<String> = validate_structural(&obj, &schema)
            .iter()
            .map(|e| e.to_string())
            .collect();
        assert_eq!(got.len(), c.want.len(), "case {}: got {got:#?}", c.name);
        for (g, w) in got.iter().zip(&c.want) {
            assert!(
                g.starts_with(w),
                "case {}: got {g:?}, want prefix {w:?}",
                c.name
            );
        }
    }
}

#[test]
fn structural_validation_patterns_and_limits() {
    // An invalid pattern is reported, not a panic.
    let schema =
        json!({"type": "object", "properties": {"s": {"type": "string", "pattern": "(unclosed"}}});
    let errs = validate_structural(&json!({"s": "x"}), &schema);
    assert_eq!(errs.len(), 1);
    assert!(
        errs[0].detail.contains("not a valid regular expression"),
        "{}",
        errs[0]
    );

    // Unanchored, like Go's MatchString.
    let schema = json!({"type": "object", "properties": {"s": {"type": "string", "pattern": "b"}}});
    assert!(validate_structural(&json!({"s": "abc"}), &schema).is_empty());

    // Deeply nested schema and data stop at the depth limit with an error instead of
    // overflowing the stack.
    let mut schema = json!({"type": "string"});
    let mut value = json!("leaf");
    for _ in 0..400 {
        schema = json!({"type": "object", "properties": {"a": schema}});
        value = json!({"a": value});
    }
    let errs = validate_structural(&value, &schema);
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].kind, validation::FieldErrorKind::Forbidden);
    let mut v2 = value.clone();
    apply_defaults(&mut v2, &schema);
    prune_non_nullable_nulls(&mut v2, &schema);
    let _ = prune(&mut v2, &schema);

    // Big integers beyond int64 and whole floats are told apart like kube does.
    let schema = json!({"type": "object", "properties": {"n": {"type": "integer"}}});
    assert!(validate_structural(&json!({"n": 5.0}), &schema).is_empty());
    assert_eq!(
        validate_structural(&json!({"n": u64::MAX}), &schema).len(),
        1
    );
    assert_eq!(validate_structural(&json!({"n": 1e300}), &schema).len(), 1);
}

#[test]
fn crd_write_pipeline() {
    // defaults → prune → drop nulls → validate, as apiextensions-apiserver orders them.
    let schema = widget_schema();
    let mut obj = json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
                         "spec": {"size": 2, "mode": null, "junk": true, "ports": [{"name": "h"}]}});
    apply_defaults(&mut obj, &schema);
    let unknown = prune(&mut obj, &schema);
    prune_non_nullable_nulls(&mut obj, &schema);
    assert_eq!(unknown, vec!["spec.junk"]);
    assert!(validate_structural(&obj, &schema).is_empty());
    assert_eq!(
        obj["spec"],
        json!({"size": 2, "ports": [{"name": "h", "port": 80, "protocol": "TCP"}],
               "color": "red", "nested": {"inner": {"level": "deep"}}})
    );
}

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "[a-z]{0,3}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        let keys = prop_oneof![
            Just("spec".to_string()),
            Just("metadata".to_string()),
            Just("size".to_string()),
            Just("ports".to_string()),
            Just("template".to_string()),
            Just("name".to_string()),
            "[a-z]{1,3}",
        ];
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec((keys, inner), 0..5)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

proptest! {
    /// Whatever a client sends, none of the schema functions panic, and prune leaves nothing
    /// that would be reported as unknown.
    #[test]
    fn schema_functions_never_panic(obj in arbitrary_json()) {
        let schema = widget_schema();
        let defs = deployment_defs();
        let _ = unknown_fields(&obj, &json!({"$ref": "#/$defs/io.k8s.api.apps.v1.Deployment"}), &defs);
        let _ = validate_structural(&obj, &schema);
        let mut o = obj.clone();
        apply_defaults(&mut o, &schema);
        let _ = prune(&mut o, &schema);
        prune_non_nullable_nulls(&mut o, &schema);
        prop_assert!(unknown_fields_structural(&o, &schema).is_empty());
        let _ = validate_structural(&o, &schema);
    }
}
