//! Schemas for fields that hold raw, schemaless JSON (Kubernetes' `RawExtension` and
//! `apiextensions/v1.JSON`), which the apiserver must store without pruning.

use schemars::{Schema, SchemaGenerator, json_schema};

/// An embedded object of any kind, e.g. a Work manifest or a reflected `.status`.
pub(crate) fn object(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "object",
        "x-kubernetes-preserve-unknown-fields": true,
    })
}

/// A list of embedded objects of any kind.
pub(crate) fn object_list(generator: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "array",
        "items": object(generator),
    })
}

/// Any JSON value (string, number, object, list, …), e.g. an overrider's `value`.
pub(crate) fn any(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "x-kubernetes-preserve-unknown-fields": true,
    })
}

/// Marks fields as required even though they decode from absent (`#[serde(default)]`, so that
/// validation can report them as `Required value` with a field path), and drops the empty
/// `default` schemars derives for them.
fn require_fields(schema: &mut Schema, fields: &[&str]) {
    drop_defaults(schema, fields);
    let Some(obj) = schema.as_object_mut() else {
        return;
    };
    let required = obj
        .entry("required")
        .or_insert_with(|| serde_json::Value::Array(Vec::new()));
    if let Some(required) = required.as_array_mut() {
        for field in fields {
            if !required.iter().any(|r| r == field) {
                required.push((*field).into());
            }
        }
    }
}

/// Drops the `default` schemars derives from `#[serde(default)]` on the given fields, where an
/// empty default says nothing useful (e.g. `metadata: {}`).
fn drop_defaults(schema: &mut Schema, fields: &[&str]) {
    let Some(properties) = schema
        .get_mut("properties")
        .and_then(serde_json::Value::as_object_mut)
    else {
        return;
    };
    for field in fields {
        if let Some(property) = properties.get_mut(*field).and_then(|p| p.as_object_mut()) {
            property.remove("default");
        }
    }
}

/// Container transform of every top-level kind.
pub(crate) fn kind_schema(schema: &mut Schema) {
    drop_defaults(schema, &["metadata"]);
}

/// Container transform of PropagationSpec.
pub(crate) fn require_resource_selectors(schema: &mut Schema) {
    require_fields(schema, &["resourceSelectors"]);
}

/// Container transform of ClusterTaintPolicySpec.
pub(crate) fn require_taints(schema: &mut Schema) {
    require_fields(schema, &["taints"]);
}

/// Container transform of LabelAnnotationOverrider.
pub(crate) fn require_value(schema: &mut Schema) {
    require_fields(schema, &["value"]);
}
