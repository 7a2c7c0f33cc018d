//! CustomResourceDefinitions: validation of the definition itself, its status, and the
//! resources it adds to the registry (in discovery and OpenAPI at once, no restart).

use flotilla_machinery::validation::FieldError;
use serde_json::{Value, json};

use crate::registry::{ALL_VERBS, PrinterColumn, ResourceInfo, ScaleSpec, SchemaSource};

/// Checks beyond the schema, as apiextensions-apiserver does them.
pub fn validate(crd: &Value) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let spec = crd.get("spec").cloned().unwrap_or(json!({}));
    let group = spec.get("group").and_then(|g| g.as_str()).unwrap_or("");
    let plural = spec
        .pointer("/names/plural")
        .and_then(|g| g.as_str())
        .unwrap_or("");
    let name = crate::object::name(crd);
    if group.is_empty() {
        errors.push(FieldError::required("spec.group", ""));
    }
    if plural.is_empty() {
        errors.push(FieldError::required("spec.names.plural", ""));
    }
    if spec
        .pointer("/names/kind")
        .and_then(|k| k.as_str())
        .unwrap_or("")
        .is_empty()
    {
        errors.push(FieldError::required("spec.names.kind", ""));
    }
    if !group.is_empty() && !plural.is_empty() && name != format!("{plural}.{group}") {
        errors.push(FieldError::invalid(
            "metadata.name",
            name,
            &format!("must be spec.names.plural+\".\"+spec.group ({plural}.{group})"),
        ));
    }
    let versions = spec
        .get("versions")
        .and_then(|v| v.as_array())
        .cloned()
        .unwrap_or_default();
    if versions.is_empty() {
        errors.push(FieldError::required(
            "spec.versions",
            "must have at least one version",
        ));
    }
    let storage = versions
        .iter()
        .filter(|v| v.get("storage").and_then(|s| s.as_bool()) == Some(true))
        .count();
    if !versions.is_empty() && storage != 1 {
        errors.push(FieldError::invalid(
            "spec.versions",
            &storage.to_string(),
            "must have exactly one version marked as storage version",
        ));
    }
    errors
}

pub fn initial_status(crd: &Value) -> Value {
    let names = crd.pointer("/spec/names").cloned().unwrap_or(json!({}));
    let now = crate::object::now();
    let stored: Vec<Value> = crd
        .pointer("/spec/versions")
        .and_then(|v| v.as_array())
        .map(|vs| {
            vs.iter()
                .filter(|v| v.get("storage").and_then(|s| s.as_bool()) == Some(true))
                .filter_map(|v| v.get("name").cloned())
                .collect()
        })
        .unwrap_or_default();
    json!({
        "acceptedNames": names,
        "storedVersions": stored,
        "conditions": [
            {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts",
             "message": "no conflicts found", "lastTransitionTime": now},
            {"type": "Established", "status": "True", "reason": "InitialNamesAccepted",
             "message": "the initial names have been accepted", "lastTransitionTime": now},
        ],
    })
}

/// The served resources of a CRD, and its preferred version.
pub fn resources(crd: &Value) -> (Vec<ResourceInfo>, Option<String>) {
    let name = crate::object::name(crd).to_string();
    let spec = crd.get("spec").cloned().unwrap_or(json!({}));
    let s = |p: &str| {
        spec.pointer(p)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string()
    };
    let strings = |p: &str| -> Vec<String> {
        spec.pointer(p)
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    let group = s("/group");
    let kind = s("/names/kind");
    let plural = s("/names/plural");
    let singular = {
        let v = s("/names/singular");
        if v.is_empty() { kind.to_lowercase() } else { v }
    };
    let list_kind = {
        let v = s("/names/listKind");
        if v.is_empty() {
            format!("{kind}List")
        } else {
            v
        }
    };
    let namespaced = s("/scope") != "Cluster";
    let versions = spec
        .get("versions")
        .and_then(|v| v.as_array())
        .cloned()
        .unwrap_or_default();
    let storage_version = versions
        .iter()
        .find(|v| v.get("storage").and_then(|s| s.as_bool()) == Some(true))
        .and_then(|v| v.get("name").and_then(|n| n.as_str()))
        .unwrap_or("v1")
        .to_string();
    let mut out = Vec::new();
    let mut served_names = Vec::new();
    for v in &versions {
        if v.get("served").and_then(|s| s.as_bool()) == Some(false) {
            continue;
        }
        let version = v
            .get("name")
            .and_then(|n| n.as_str())
            .unwrap_or("")
            .to_string();
        if version.is_empty() {
            continue;
        }
        served_names.push(version.clone());
        let schema = v
            .pointer("/schema/openAPIV3Schema")
            .cloned()
            .map(SchemaSource::Crd)
            .unwrap_or(SchemaSource::Crd(
                json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true}),
            ));
        let printer_columns = v
            .get("additionalPrinterColumns")
            .and_then(|c| c.as_array())
            .map(|cols| {
                cols.iter()
                    .map(|c| PrinterColumn {
                        name: c.get("name").and_then(|x| x.as_str()).unwrap_or("").into(),
                        type_: c
                            .get("type")
                            .and_then(|x| x.as_str())
                            .unwrap_or("string")
                            .into(),
                        format: c
                            .get("format")
                            .and_then(|x| x.as_str())
                            .unwrap_or("")
                            .into(),
                        description: c
                            .get("description")
                            .and_then(|x| x.as_str())
                            .unwrap_or("")
                            .into(),
                        priority: c.get("priority").and_then(|x| x.as_i64()).unwrap_or(0),
                        json_path: c
                            .get("jsonPath")
                            .and_then(|x| x.as_str())
                            .unwrap_or("")
                            .into(),
                    })
                    .collect()
            })
            .unwrap_or_else(|| {
                vec![PrinterColumn {
                    name: "Age".into(),
                    type_: "date".into(),
                    format: String::new(),
                    description: String::new(),
                    priority: 0,
                    json_path: ".metadata.creationTimestamp".into(),
                }]
            });
        let sub = v.get("subresources").cloned().unwrap_or(json!({}));
        let scale = sub.get("scale").map(|sc| ScaleSpec {
            spec_replicas_path: sc
                .get("specReplicasPath")
                .and_then(|x| x.as_str())
                .unwrap_or(".spec.replicas")
                .into(),
            status_replicas_path: sc
                .get("statusReplicasPath")
                .and_then(|x| x.as_str())
                .unwrap_or(".status.replicas")
                .into(),
            label_selector_path: sc
                .get("labelSelectorPath")
                .and_then(|x| x.as_str())
                .map(String::from),
        });
        out.push(ResourceInfo {
            group: group.clone(),
            version,
            resource: plural.clone(),
            singular: singular.clone(),
            kind: kind.clone(),
            list_kind: list_kind.clone(),
            namespaced,
            verbs: ALL_VERBS.to_vec(),
            short_names: strings("/names/shortNames"),
            categories: strings("/names/categories"),
            status_subresource: sub.get("status").is_some(),
            scale,
            storage_group: group.clone(),
            storage_version: storage_version.clone(),
            schema,
            has_generation: true,
            printer_columns,
            crd: Some(name.clone()),
        });
    }
    // Preferred: the highest-priority version by Kubernetes version ordering would be ideal;
    // the storage version is what clients most expect.
    let preferred = served_names
        .iter()
        .find(|v| **v == storage_version)
        .or(served_names.first())
        .cloned();
    (out, preferred)
}
