//! The tolerant comparison behind drift detection: is every field of the applied manifest still
//! what the live member object says? The manifest is a subset of the live object — the member
//! adds defaults, status and fields other managers own — so only what the manifest sets is
//! compared: maps key by key, lists element by element (same length), numbers as numbers.

use serde_json::Value;

/// At most this many differing paths are collected: enough to say what changed, and a bound on
/// the messages built from them.
pub const MAX_PATHS: usize = 16;

/// The field paths (`spec.template.spec.containers[0].image`) where `live` no longer has what
/// `desired` sets, in document order, at most [`MAX_PATHS`]. Empty when `live` matches.
///
/// A `null` in `desired` has no opinion, and an empty map or list in `desired` matches a field
/// the member left out (apiservers drop empty values).
pub fn differences(desired: &Value, live: &Value) -> Vec<String> {
    let mut out = Vec::new();
    walk(desired, Some(live), &mut String::new(), &mut out);
    out
}

/// Whether `live` has everything `desired` sets.
pub fn matches(desired: &Value, live: &Value) -> bool {
    let mut out = Vec::new();
    walk(desired, Some(live), &mut String::new(), &mut out);
    out.is_empty()
}

fn walk(desired: &Value, live: Option<&Value>, path: &mut String, out: &mut Vec<String>) {
    if out.len() >= MAX_PATHS {
        return;
    }
    match desired {
        Value::Null => {}
        Value::Object(fields) => {
            let live_fields = match live {
                Some(Value::Object(l)) => Some(l),
                None | Some(Value::Null) if fields.is_empty() => return,
                _ => None,
            };
            let Some(live_fields) = live_fields else {
                out.push(shown(path));
                return;
            };
            for (key, value) in fields {
                let len = path.len();
                push_key(path, key);
                walk(value, live_fields.get(key), path, out);
                path.truncate(len);
            }
        }
        Value::Array(items) => match live {
            Some(Value::Array(live_items)) if live_items.len() == items.len() => {
                for (i, (item, live_item)) in items.iter().zip(live_items).enumerate() {
                    let len = path.len();
                    path.push_str(&format!("[{i}]"));
                    walk(item, Some(live_item), path, out);
                    path.truncate(len);
                }
            }
            None | Some(Value::Null) if items.is_empty() => {}
            _ => out.push(shown(path)),
        },
        Value::Number(n) => {
            let same = match live {
                Some(Value::Number(l)) => same_number(n, l),
                _ => false,
            };
            if !same {
                out.push(shown(path));
            }
        }
        scalar => {
            if live != Some(scalar) {
                out.push(shown(path));
            }
        }
    }
}

fn same_number(a: &serde_json::Number, b: &serde_json::Number) -> bool {
    if let (Some(a), Some(b)) = (a.as_i64(), b.as_i64()) {
        return a == b;
    }
    if let (Some(a), Some(b)) = (a.as_u64(), b.as_u64()) {
        return a == b;
    }
    match (a.as_f64(), b.as_f64()) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// Appends `key` to a path: `.key`, or `["key"]` when the key itself has dots or slashes (label
/// and annotation keys), so the path stays readable and unambiguous.
fn push_key(path: &mut String, key: &str) {
    if key.contains(['.', '/', '[', ']', '"']) || key.is_empty() {
        path.push_str(&format!("[{key:?}]"));
    } else {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key);
    }
}

fn shown(path: &str) -> String {
    if path.is_empty() {
        "<object>".to_owned()
    } else {
        path.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn differences_of_a_manifest_and_its_live_object() {
        struct Case {
            name: &'static str,
            desired: Value,
            live: Value,
            want: Vec<&'static str>,
        }
        let deployment = json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "nginx", "labels": {"app": "nginx", "karmada.io/managed": "true"}},
            "spec": {
                "replicas": 2,
                "template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.25", "resources": {}}]}},
            },
        });
        let mut live = deployment.clone();
        live["metadata"]["uid"] = json!("u-1");
        live["metadata"]["labels"]["extra"] = json!("x");
        live["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] =
            json!("IfNotPresent");
        live["spec"]["template"]["spec"]["containers"][0]
            .as_object_mut()
            .unwrap()
            .remove("resources");
        live["spec"]["strategy"] = json!({"type": "RollingUpdate"});
        live["status"] = json!({"replicas": 2});

        let mut image = live.clone();
        image["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:evil");
        let mut replicas = live.clone();
        replicas["spec"]["replicas"] = json!(5);
        let mut float = live.clone();
        float["spec"]["replicas"] = json!(2.0);
        let mut label = live.clone();
        label["metadata"]["labels"]
            .as_object_mut()
            .unwrap()
            .remove("karmada.io/managed");
        let mut sidecar = live.clone();
        sidecar["spec"]["template"]["spec"]["containers"]
            .as_array_mut()
            .unwrap()
            .push(json!({"name": "sidecar"}));
        let mut no_spec = live.clone();
        no_spec.as_object_mut().unwrap().remove("spec");

        let cases = [
            Case {
                name: "defaults, status and extra fields are not differences",
                desired: deployment.clone(),
                live: live.clone(),
                want: vec![],
            },
            Case {
                name: "a changed image",
                desired: deployment.clone(),
                live: image,
                want: vec!["spec.template.spec.containers[0].image"],
            },
            Case {
                name: "changed replicas",
                desired: deployment.clone(),
                live: replicas,
                want: vec!["spec.replicas"],
            },
            Case {
                name: "numbers compare as numbers",
                desired: deployment.clone(),
                live: float,
                want: vec![],
            },
            Case {
                name: "a removed label is named with its key",
                desired: deployment.clone(),
                live: label,
                want: vec![r#"metadata.labels["karmada.io/managed"]"#],
            },
            Case {
                name: "a list of another length",
                desired: deployment.clone(),
                live: sidecar,
                want: vec!["spec.template.spec.containers"],
            },
            Case {
                name: "a whole section missing",
                desired: deployment.clone(),
                live: no_spec,
                want: vec!["spec"],
            },
            Case {
                name: "null in the manifest has no opinion",
                desired: json!({"spec": {"paused": null}}),
                live: json!({"spec": {}}),
                want: vec![],
            },
            Case {
                name: "type changes are differences",
                desired: json!({"data": {"a": "1"}}),
                live: json!({"data": {"a": 1}}),
                want: vec!["data.a"],
            },
            Case {
                name: "an empty list matches a dropped field but not a filled one",
                desired: json!({"spec": {"a": [], "b": []}}),
                live: json!({"spec": {"b": [1]}}),
                want: vec!["spec.b"],
            },
        ];
        for case in cases {
            assert_eq!(
                differences(&case.desired, &case.live),
                case.want,
                "case {}",
                case.name
            );
            assert_eq!(
                matches(&case.desired, &case.live),
                case.want.is_empty(),
                "case {}",
                case.name
            );
        }
    }

    #[test]
    fn paths_are_bounded() {
        let desired: serde_json::Map<String, Value> =
            (0..100).map(|i| (format!("k{i}"), json!(i))).collect();
        let got = differences(&Value::Object(desired), &json!({}));
        assert_eq!(got.len(), MAX_PATHS);
        assert_eq!(got[0], "k0");
    }
}
