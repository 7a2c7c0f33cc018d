//! Checks of an object against an OpenAPI v3 schema: unknown fields for strict field
//! validation, and for custom resources the structural pipeline kube-apiserver runs on every
//! write — defaulting, pruning, value validation.
//!
//! Two schema dialects meet here. Built-in kinds use schemas generated from k8s-openapi's
//! schemars impls: `$ref` into a definitions map, `allOf`/`anyOf` wrappers, `"type": [.., "null"]`
//! unions, and `{"type": "object"}` with no properties for free-form values such as
//! `RawExtension`. CRDs use structural schemas (no `$ref`), where an object node without
//! `properties`/`additionalProperties` holds *no* fields unless it says
//! `x-kubernetes-preserve-unknown-fields`. Hence [`unknown_fields`] for the first and
//! [`unknown_fields_structural`] / [`prune`] for the second.
//!
//! A CRD write is meant to run, like apiextensions-apiserver:
//! [`apply_defaults`] → [`prune`] → [`prune_non_nullable_nulls`] → [`validate_structural`].
//!
//! Field paths are kube's: `spec.template.spec.containers[0].bogus` — keys joined with `.`,
//! indices in brackets, no leading dot (this is what kube's strict decoder and CRD pruning print
//! in `unknown field "…"`).

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use regex::Regex;
use serde_json::{Map, Number, Value};

use crate::validation::{self, FieldError, go_float, go_quote};

/// Deepest nesting walked. serde_json refuses to parse deeper than 128, so real requests never
/// hit it; it only keeps hand-built values from exhausting the stack.
const MAX_DEPTH: usize = 160;
/// Longest chain of `$ref`/`allOf`/`anyOf` followed from one node, against reference cycles.
const MAX_EXPANSION: usize = 32;
/// Most schema facets merged for one node, against exponential `allOf` fan-out.
const MAX_FACETS: usize = 256;

const PRESERVE_UNKNOWN: &str = "x-kubernetes-preserve-unknown-fields";
const EMBEDDED_RESOURCE: &str = "x-kubernetes-embedded-resource";
const INT_OR_STRING: &str = "x-kubernetes-int-or-string";

/// Largest integer a float64 holds exactly; kube treats a whole float beyond it as a number,
/// not an integer (`swag.IsFloat64AJSONInteger`).
const MAX_JSON_INT_F64: f64 = 9_007_199_254_740_992.0;

/// Builds kube's strict-decoding message from [`unknown_fields`] output, e.g.
/// `strict decoding error: unknown field "spec.foo", unknown field "bar"`.
pub fn strict_decoding_error(paths: &[String]) -> String {
    let parts: Vec<String> = paths
        .iter()
        .map(|p| format!("unknown field {}", go_quote(p)))
        .collect();
    format!("strict decoding error: {}", parts.join(", "))
}

/// The schema used for `metadata` of resources (the root, and embedded resources): the fields
/// of `ObjectMeta`. kube decodes metadata into the typed ObjectMeta whatever a CRD's schema says,
/// so unknown metadata fields are unknown there too.
pub fn object_meta_schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| serde_json::from_str(OBJECT_META_SCHEMA).unwrap_or(Value::Bool(true)))
}

const OBJECT_META_SCHEMA: &str = r#"{
  "type": "object",
  "properties": {
    "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
    "creationTimestamp": {"type": "string", "format": "date-time", "nullable": true},
    "deletionGracePeriodSeconds": {"type": "integer", "format": "int64"},
    "deletionTimestamp": {"type": "string", "format": "date-time"},
    "finalizers": {"type": "array", "items": {"type": "string"}},
    "generateName": {"type": "string"},
    "generation": {"type": "integer", "format": "int64"},
    "labels": {"type": "object", "additionalProperties": {"type": "string"}},
    "managedFields": {"type": "array", "items": {"type": "object", "properties": {
      "apiVersion": {"type": "string"},
      "fieldsType": {"type": "string"},
      "fieldsV1": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
      "manager": {"type": "string"},
      "operation": {"type": "string"},
      "subresource": {"type": "string"},
      "time": {"type": "string", "format": "date-time"}
    }}},
    "name": {"type": "string"},
    "namespace": {"type": "string"},
    "ownerReferences": {"type": "array", "items": {"type": "object", "properties": {
      "apiVersion": {"type": "string"},
      "blockOwnerDeletion": {"type": "boolean"},
      "controller": {"type": "boolean"},
      "kind": {"type": "string"},
      "name": {"type": "string"},
      "uid": {"type": "string"}
    }}},
    "resourceVersion": {"type": "string"},
    "selfLink": {"type": "string"},
    "uid": {"type": "string"}
  }
}"#;

/// Resolves `#/components/schemas/NAME`, `#/$defs/NAME` or `#/definitions/NAME` in `defs`
/// (JSON-pointer escapes `~0`/`~1` undone). `None` for anything else.
pub fn resolve_ref<'a>(reference: &str, defs: &'a Map<String, Value>) -> Option<&'a Value> {
    let name = ["#/components/schemas/", "#/$defs/", "#/definitions/"]
        .iter()
        .find_map(|prefix| reference.strip_prefix(prefix))?;
    defs.get(&name.replace("~1", "/").replace("~0", "~"))
}

// ---------------------------------------------------------------------------------------------
// Paths
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Seg {
    Key(String),
    Index(usize),
}

fn format_path(segs: &[Seg]) -> String {
    let mut out = String::new();
    for seg in segs {
        match seg {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Index(i) => {
                out.push('[');
                out.push_str(&i.to_string());
                out.push(']');
            }
        }
    }
    out
}

fn child_path(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

// ---------------------------------------------------------------------------------------------
// Facets: the schema objects that apply to one value after following $ref and combinators
// ---------------------------------------------------------------------------------------------

#[derive(Default)]
struct Facets<'a> {
    list: Vec<&'a Map<String, Value>>,
    /// A `true` schema, an unresolvable `$ref` or an expansion limit was met: we cannot tell
    /// what is allowed, so nothing below is reported as unknown.
    open: bool,
}

impl<'a> Facets<'a> {
    fn of(schema: &'a Value, defs: &'a Map<String, Value>, value: &Value) -> Self {
        let mut f = Facets::default();
        f.collect(schema, defs, value, 0);
        f
    }

    fn collect(
        &mut self,
        schema: &'a Value,
        defs: &'a Map<String, Value>,
        value: &Value,
        hops: usize,
    ) {
        if hops > MAX_EXPANSION || self.list.len() >= MAX_FACETS {
            self.open = true;
            return;
        }
        let m = match schema {
            Value::Object(m) => m,
            Value::Bool(true) => {
                self.open = true;
                return;
            }
            _ => return,
        };
        self.list.push(m);
        if let Some(r) = m.get("$ref").and_then(Value::as_str) {
            match resolve_ref(r, defs) {
                Some(target) => self.collect(target, defs, value, hops + 1),
                None => self.open = true,
            }
        }
        if let Some(Value::Array(all)) = m.get("allOf") {
            for s in all {
                self.collect(s, defs, value, hops + 1);
            }
        }
        // Of the alternatives only those that admit the value's JSON type say anything about
        // it; this is how `anyOf: [{$ref: X}, {type: null}]` (schemars' Option<X>) resolves to X.
        for key in ["anyOf", "oneOf"] {
            if let Some(Value::Array(branches)) = m.get(key) {
                let fitting: Vec<&'a Value> = branches
                    .iter()
                    .filter(|b| admits_type(b, defs, value, hops + 1))
                    .collect();
                let chosen: Vec<&'a Value> = if fitting.is_empty() {
                    branches.iter().collect()
                } else {
                    fitting
                };
                for b in chosen {
                    self.collect(b, defs, value, hops + 1);
                }
            }
        }
    }

    fn flag(&self, key: &str) -> bool {
        self.list.iter().any(|f| flag(f, key))
    }
}

fn flag(m: &Map<String, Value>, key: &str) -> bool {
    m.get(key).and_then(Value::as_bool) == Some(true)
}

/// Whether a schema's declared type admits the value (no type admits everything).
fn admits_type(schema: &Value, defs: &Map<String, Value>, value: &Value, hops: usize) -> bool {
    let m = match schema {
        Value::Object(m) => m,
        Value::Bool(b) => return *b,
        _ => return false,
    };
    if flag(m, INT_OR_STRING) {
        return value.is_string() || is_json_integer(value);
    }
    match m.get("type") {
        Some(Value::String(t)) => type_admits(t, value),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .any(|t| type_admits(t, value)),
        _ => match m.get("$ref").and_then(Value::as_str) {
            Some(r) if hops <= MAX_EXPANSION => {
                resolve_ref(r, defs).is_none_or(|target| admits_type(target, defs, value, hops + 1))
            }
            _ => true,
        },
    }
}

fn type_admits(t: &str, value: &Value) -> bool {
    match t {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "string" => value.is_string(),
        "integer" => is_json_integer(value),
        "number" => value.is_number(),
        "object" => value.is_object(),
        "array" => value.is_array(),
        _ => true,
    }
}

/// Integer in kube's sense: an int64, or a whole float small enough to be exact.
fn is_json_integer(value: &Value) -> bool {
    match value {
        Value::Number(n) if n.is_i64() => true,
        Value::Number(n) if n.is_u64() => false,
        Value::Number(n) => n
            .as_f64()
            .is_some_and(|f| f.is_finite() && f.fract() == 0.0 && f.abs() <= MAX_JSON_INT_F64),
        _ => false,
    }
}

/// The JSON type name kube reports for a value (`integer` only for int64 values).
fn data_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

// ---------------------------------------------------------------------------------------------
// Unknown fields and pruning
// ---------------------------------------------------------------------------------------------

/// Paths of fields in `obj` that `schema` does not declare, in document order, for strict and
/// warn field validation of built-in kinds. `$ref`s resolve through `defs`.
///
/// An object schema with neither `properties` nor `additionalProperties` is free-form here (that
/// is how generated schemas spell `RawExtension`, `JSON`, `FieldsV1`); for CRDs use
/// [`unknown_fields_structural`]. Top-level `apiVersion` and `kind` are always allowed, and
/// `metadata` is checked against ObjectMeta (the schema's own, if it declares its properties).
pub fn unknown_fields(obj: &Value, schema: &Value, defs: &Map<String, Value>) -> Vec<String> {
    let mut w = Walker::new(defs, false);
    w.walk(obj, &Facets::of(schema, defs, obj), 0, true);
    w.unknown.iter().map(|p| format_path(p)).collect()
}

/// Paths of the fields [`prune`] would remove from a custom resource, without changing it: what
/// kube-apiserver reports as unknown fields for CRDs.
pub fn unknown_fields_structural(obj: &Value, schema: &Value) -> Vec<String> {
    let defs = Map::new();
    let mut w = Walker::new(&defs, true);
    w.walk(obj, &Facets::of(schema, &defs, obj), 0, true);
    w.unknown.iter().map(|p| format_path(p)).collect()
}

/// Removes from a custom resource every field its structural schema does not declare, like
/// apiextensions-apiserver's pruning, and returns their paths in document order.
///
/// Kept: fields under `x-kubernetes-preserve-unknown-fields` (declared fields below such a node
/// are still pruned by their own schema), map entries (`additionalProperties`), `apiVersion` and
/// `kind` of the root and of embedded resources. Their `metadata` is pruned to ObjectMeta.
pub fn prune(obj: &mut Value, schema: &Value) -> Vec<String> {
    let defs = Map::new();
    let unknown = {
        let mut w = Walker::new(&defs, true);
        w.walk(obj, &Facets::of(schema, &defs, obj), 0, true);
        w.unknown
    };
    for path in &unknown {
        remove_path(obj, path);
    }
    unknown.iter().map(|p| format_path(p)).collect()
}

/// Removes `null` values of fields whose schema is neither `nullable` nor has a `default`, as
/// kube does after pruning, so that `foo: null` means "unset" instead of failing validation.
pub fn prune_non_nullable_nulls(obj: &mut Value, schema: &Value) {
    prune_nulls(obj, Some(schema), 0);
}

fn prune_nulls(x: &mut Value, s: Option<&Value>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    match x {
        Value::Object(map) => {
            let sub_for = |k: &str| -> Option<&Value> {
                let s = s?;
                s.get("properties")
                    .and_then(|p| p.get(k))
                    .or_else(|| s.get("additionalProperties").filter(|a| a.is_object()))
            };
            map.retain(|k, v| {
                !(v.is_null() && sub_for(k).is_some_and(non_nullable_without_default))
            });
            for (k, v) in map.iter_mut() {
                prune_nulls(v, sub_for(k), depth + 1);
            }
        }
        Value::Array(items) => {
            let items_schema = s.and_then(|s| s.get("items")).filter(|i| i.is_object());
            for v in items {
                prune_nulls(v, items_schema, depth + 1);
            }
        }
        _ => {}
    }
}

fn non_nullable_without_default(s: &Value) -> bool {
    s.get("nullable").and_then(Value::as_bool) != Some(true) && default_of(s).is_none()
}

fn default_of(s: &Value) -> Option<&Value> {
    // A `default: null` is no default (kube's Default.Object == nil).
    s.get("default").filter(|d| !d.is_null())
}

fn remove_path(obj: &mut Value, path: &[Seg]) {
    let Some((Seg::Key(last), parents)) = path.split_last() else {
        return;
    };
    let mut cur = obj;
    for seg in parents {
        let next = match (seg, cur) {
            (Seg::Key(k), Value::Object(m)) => m.get_mut(k),
            (Seg::Index(i), Value::Array(a)) => a.get_mut(*i),
            _ => None,
        };
        match next {
            Some(n) => cur = n,
            None => return,
        }
    }
    if let Value::Object(m) = cur {
        // shift_remove keeps the remaining fields in document order.
        m.shift_remove(last.as_str());
    }
}

struct Walker<'a> {
    defs: &'a Map<String, Value>,
    /// Structural (CRD) semantics: an object node that declares no fields holds none.
    structural: bool,
    path: Vec<Seg>,
    unknown: Vec<Vec<Seg>>,
}

impl<'a> Walker<'a> {
    fn new(defs: &'a Map<String, Value>, structural: bool) -> Self {
        Walker {
            defs,
            structural,
            path: Vec::new(),
            unknown: Vec::new(),
        }
    }

    fn walk(&mut self, value: &Value, facets: &Facets<'a>, depth: usize, root: bool) {
        if depth > MAX_DEPTH {
            return;
        }
        match value {
            Value::Object(map) => self.walk_object(map, facets, depth, root),
            Value::Array(items) => self.walk_array(items, facets, depth),
            _ => {}
        }
    }

    fn walk_object(
        &mut self,
        map: &Map<String, Value>,
        facets: &Facets<'a>,
        depth: usize,
        root: bool,
    ) {
        let preserve = facets.open || facets.flag(PRESERVE_UNKNOWN);
        let embedded = root || facets.flag(EMBEDDED_RESOURCE);
        let props: Vec<&'a Map<String, Value>> = facets
            .list
            .iter()
            .filter_map(|f| f.get("properties").and_then(Value::as_object))
            .collect();
        let mut additional: Vec<&'a Value> = Vec::new();
        let mut declares = !props.is_empty();
        for f in &facets.list {
            match f.get("additionalProperties") {
                Some(Value::Bool(false)) => declares = true,
                Some(a @ (Value::Object(_) | Value::Bool(true))) => {
                    declares = true;
                    additional.push(a);
                }
                _ => {}
            }
        }
        let closed = !preserve && (self.structural || declares);

        for (k, v) in map {
            if embedded && (k == "apiVersion" || k == "kind") {
                continue;
            }
            if embedded && k == "metadata" {
                let meta = self.metadata_facets(&props, v);
                self.path.push(Seg::Key(k.clone()));
                self.walk(v, &meta, depth + 1, false);
                self.path.pop();
                continue;
            }
            let mut child = Facets::default();
            let mut found = false;
            for p in &props {
                if let Some(s) = p.get(k) {
                    found = true;
                    child.collect(s, self.defs, v, 0);
                }
            }
            if !found && !additional.is_empty() {
                found = true;
                for a in &additional {
                    child.collect(a, self.defs, v, 0);
                }
            }
            if found {
                self.path.push(Seg::Key(k.clone()));
                self.walk(v, &child, depth + 1, false);
                self.path.pop();
            } else if closed {
                let mut p = self.path.clone();
                p.push(Seg::Key(k.clone()));
                self.unknown.push(p);
            }
        }
    }

    /// ObjectMeta's facets for a resource's `metadata`: the schema's own declaration when it
    /// spells out properties (built-in schemas), otherwise the built-in ObjectMeta schema.
    fn metadata_facets(&self, props: &[&'a Map<String, Value>], value: &Value) -> Facets<'a> {
        if !self.structural {
            let mut declared = Facets::default();
            for p in props {
                if let Some(s) = p.get("metadata") {
                    declared.collect(s, self.defs, value, 0);
                }
            }
            let has_props = declared
                .list
                .iter()
                .any(|f| f.get("properties").is_some_and(Value::is_object));
            if has_props {
                return declared;
            }
        }
        Facets::of(object_meta_schema(), self.defs, value)
    }

    fn walk_array(&mut self, items: &[Value], facets: &Facets<'a>, depth: usize) {
        let preserve = facets.open || facets.flag(PRESERVE_UNKNOWN);
        for (i, item) in items.iter().enumerate() {
            let mut child = Facets::default();
            let mut declared = false;
            for f in &facets.list {
                match f.get("items") {
                    // Draft-4 tuple form; positions past the tuple are unconstrained.
                    Some(Value::Array(tuple)) => {
                        declared = true;
                        match tuple.get(i) {
                            Some(s) => child.collect(s, self.defs, item, 0),
                            None => child.open = true,
                        }
                    }
                    Some(s) => {
                        declared = true;
                        child.collect(s, self.defs, item, 0);
                    }
                    None => {}
                }
            }
            if !declared && (preserve || !self.structural) {
                child.open = true;
            }
            self.path.push(Seg::Index(i));
            self.walk(item, &child, depth + 1, false);
            self.path.pop();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Defaulting
// ---------------------------------------------------------------------------------------------

/// Fills in `default`s of absent properties, recursively, like apiextensions-apiserver's
/// structural defaulting: a default is applied where the field is missing, or `null` while not
/// `nullable`; defaults are deep-copied and then defaulted themselves; map values and list items
/// that are such nulls get their schema's default too.
pub fn apply_defaults(obj: &mut Value, schema: &Value) {
    default_node(obj, schema, 0);
}

fn default_node(x: &mut Value, s: &Value, depth: usize) {
    let Some(s) = s.as_object() else {
        return;
    };
    if depth > MAX_DEPTH {
        return;
    }
    match x {
        Value::Object(map) => {
            let props = s.get("properties").and_then(Value::as_object);
            if let Some(props) = props {
                for (k, prop) in props {
                    let Some(def) = default_of(prop) else {
                        continue;
                    };
                    let missing = match map.get(k) {
                        None => true,
                        Some(v) => is_non_nullable_null(v, prop),
                    };
                    if missing {
                        map.insert(k.clone(), def.clone());
                    }
                }
            }
            let additional = s.get("additionalProperties").filter(|a| a.is_object());
            for (k, v) in map.iter_mut() {
                if let Some(prop) = props.and_then(|p| p.get(k)) {
                    default_node(v, prop, depth + 1);
                } else if let Some(a) = additional {
                    if is_non_nullable_null(v, a)
                        && let Some(def) = default_of(a)
                    {
                        *v = def.clone();
                    }
                    default_node(v, a, depth + 1);
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = s.get("items").filter(|i| i.is_object()) {
                for v in items {
                    if is_non_nullable_null(v, item_schema)
                        && let Some(def) = default_of(item_schema)
                    {
                        *v = def.clone();
                    }
                    default_node(v, item_schema, depth + 1);
                }
            }
        }
        _ => {}
    }
}

fn is_non_nullable_null(v: &Value, s: &Value) -> bool {
    v.is_null()
        && s.get("nullable").and_then(Value::as_bool) != Some(true)
        && default_of(s).is_some()
}

// ---------------------------------------------------------------------------------------------
// Structural validation
// ---------------------------------------------------------------------------------------------

/// Validates a custom resource against its structural `openAPIV3Schema`, with kube-openapi's
/// messages: `type` (integers must be whole), `nullable`, `required`, `enum`, `pattern`,
/// `minLength`/`maxLength`, `minimum`/`maximum` (+ exclusive), `multipleOf`, `format`
/// int32/int64 ranges, `minItems`/`maxItems`, `minProperties`/`maxProperties`,
/// `x-kubernetes-list-type` set/map uniqueness, `x-kubernetes-int-or-string`, embedded resources
/// (`apiVersion`, `kind`, metadata), and `allOf`/`anyOf`/`oneOf`/`not`. Errors are in document
/// order with paths like `spec.replicas`.
pub fn validate_structural(obj: &Value, schema: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    validate_node(obj, schema, "", 0, &mut errs);
    errs
}

/// The subject of kube-openapi messages (`<path> in body ...`).
fn msg_name(path: &str) -> &str {
    if path.is_empty() { "<root>" } else { path }
}

fn number_of(m: &Map<String, Value>, key: &str) -> Option<f64> {
    m.get(key).and_then(Value::as_f64)
}

fn count_of(m: &Map<String, Value>, key: &str) -> Option<usize> {
    m.get(key)
        .and_then(Value::as_u64)
        .map(|n| usize::try_from(n).unwrap_or(usize::MAX))
}

fn validate_node(
    value: &Value,
    schema: &Value,
    path: &str,
    depth: usize,
    errs: &mut Vec<FieldError>,
) {
    let Some(s) = schema.as_object() else {
        return;
    };
    if depth > MAX_DEPTH {
        errs.push(FieldError::forbidden(
            path,
            &format!("nesting exceeds the maximum depth of {MAX_DEPTH}"),
        ));
        return;
    }
    if value.is_null() && flag(s, "nullable") {
        return;
    }
    if !check_type(value, s, path, errs) {
        return;
    }
    if let Some(Value::Array(options)) = s.get("enum")
        && !options.iter().any(|o| json_eq(o, value))
    {
        let supported: Vec<String> = options
            .iter()
            .map(|o| match o {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect();
        errs.push(FieldError::not_supported(path, value, &supported));
    }
    match value {
        Value::String(st) => validate_string(st, s, path, errs),
        Value::Number(n) => validate_number(n, value, s, path, errs),
        Value::Array(items) => validate_array(items, s, path, depth, errs),
        Value::Object(map) => validate_object(map, s, path, depth, errs),
        _ => {}
    }
    validate_combinators(value, s, path, depth, errs);
}

/// Checks `type` (and int-or-string, and integer `format` ranges); false stops further checks
/// of this node, as kube-openapi does after a type failure.
fn check_type(
    value: &Value,
    s: &Map<String, Value>,
    path: &str,
    errs: &mut Vec<FieldError>,
) -> bool {
    let mut types: Vec<&str> = match s.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if types.is_empty() && flag(s, INT_OR_STRING) {
        types = vec!["integer", "string"];
    }
    if types.is_empty() {
        return true;
    }
    if !types.iter().any(|t| type_admits(t, value)) {
        let dt = data_type(value);
        errs.push(FieldError::type_invalid(
            path,
            dt,
            &format!(
                "{} in body must be of type {}: {}",
                msg_name(path),
                types.join(","),
                go_quote(dt)
            ),
        ));
        return false;
    }
    if let (Some(f), Some(n)) = (s.get("format").and_then(Value::as_str), value.as_f64()) {
        let range = match f {
            "int32" => Some((f64::from(i32::MIN), f64::from(i32::MAX))),
            // i64 bounds as f64 round to ±2^63, the first values outside the range.
            "int64" => Some((-9_223_372_036_854_775_808.0, 9_223_372_036_854_775_807.0)),
            _ => None,
        };
        if let Some((lo, hi)) = range {
            // u64 values past i64::MAX round to exactly 2^63 as f64, so test them directly.
            let too_big = value.as_u64().is_some_and(|u| u > i64::MAX as u64);
            let out_of_range = if too_big || n > hi {
                Some(format!("less than or equal to {hi:.0}"))
            } else if n < lo {
                Some(format!("greater than or equal to {lo:.0}"))
            } else {
                None
            };
            if let Some(bound) = out_of_range {
                errs.push(FieldError::invalid_json(
                    path,
                    value,
                    &format!("{} in body should be {bound} ({f})", msg_name(path)),
                ));
                return false;
            }
        }
    }
    true
}

fn validate_string(st: &str, s: &Map<String, Value>, path: &str, errs: &mut Vec<FieldError>) {
    let len = st.chars().count();
    if let Some(max) = count_of(s, "maxLength")
        && len > max
    {
        errs.push(FieldError::too_long(path, max));
    }
    if let Some(min) = count_of(s, "minLength")
        && len < min
    {
        errs.push(FieldError::invalid(
            path,
            st,
            &format!(
                "{} in body should be at least {min} chars long",
                msg_name(path)
            ),
        ));
    }
    if let Some(pattern) = s.get("pattern").and_then(Value::as_str) {
        match pattern_matches(pattern, st) {
            Ok(true) => {}
            Ok(false) => errs.push(FieldError::invalid(
                path,
                st,
                &format!("{} in body should match '{pattern}'", msg_name(path)),
            )),
            Err(e) => errs.push(FieldError::invalid(
                path,
                st,
                &format!(
                    "{} in body should match '{pattern}', but the pattern is not a valid regular expression: {e}",
                    msg_name(path)
                ),
            )),
        }
    }
}

/// Unanchored regex match, as in Go's `regexp.MatchString`. Compiled patterns are cached since
/// the same CRD schema is applied to every write; the cache is small and simply reset when full.
fn pattern_matches(pattern: &str, s: &str) -> Result<bool, String> {
    static CACHE: OnceLock<Mutex<HashMap<String, Result<Regex, String>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let mut guard = cache
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if guard.len() >= 512 && !guard.contains_key(pattern) {
        guard.clear();
    }
    let compiled = guard
        .entry(pattern.to_string())
        .or_insert_with(|| Regex::new(pattern).map_err(|e| e.to_string()))
        .clone();
    drop(guard);
    compiled.map(|re| re.is_match(s))
}

fn validate_number(
    n: &Number,
    value: &Value,
    s: &Map<String, Value>,
    path: &str,
    errs: &mut Vec<FieldError>,
) {
    let Some(f) = n.as_f64() else {
        return;
    };
    let name = msg_name(path);
    let mut fail = |msg: String| errs.push(FieldError::invalid_json(path, value, &msg));
    // OpenAPI 3.0 has boolean exclusive flags next to minimum/maximum; 3.1 / JSON Schema puts
    // the bound in exclusiveMinimum/exclusiveMaximum itself. Accept both.
    if let Some(max) = number_of(s, "maximum") {
        if flag(s, "exclusiveMaximum") {
            if f >= max {
                fail(format!(
                    "{name} in body should be less than {}",
                    go_float(max)
                ));
            }
        } else if f > max {
            fail(format!(
                "{name} in body should be less than or equal to {}",
                go_float(max)
            ));
        }
    }
    if let Some(max) = number_of(s, "exclusiveMaximum")
        && f >= max
    {
        fail(format!(
            "{name} in body should be less than {}",
            go_float(max)
        ));
    }
    if let Some(min) = number_of(s, "minimum") {
        if flag(s, "exclusiveMinimum") {
            if f <= min {
                fail(format!(
                    "{name} in body should be greater than {}",
                    go_float(min)
                ));
            }
        } else if f < min {
            fail(format!(
                "{name} in body should be greater than or equal to {}",
                go_float(min)
            ));
        }
    }
    if let Some(min) = number_of(s, "exclusiveMinimum")
        && f <= min
    {
        fail(format!(
            "{name} in body should be greater than {}",
            go_float(min)
        ));
    }
    if let Some(m) = number_of(s, "multipleOf").filter(|m| *m > 0.0) {
        let ok = match (n.as_i64(), s.get("multipleOf").and_then(Value::as_i64)) {
            (Some(a), Some(b)) => a.checked_rem(b) == Some(0),
            _ => {
                let q = f / m;
                q.is_finite() && (q - q.round()).abs() < 1e-9
            }
        };
        if !ok {
            fail(format!(
                "{name} in body should be a multiple of {}",
                go_float(m)
            ));
        }
    }
}

fn validate_array(
    items: &[Value],
    s: &Map<String, Value>,
    path: &str,
    depth: usize,
    errs: &mut Vec<FieldError>,
) {
    if let Some(max) = count_of(s, "maxItems")
        && items.len() > max
    {
        errs.push(FieldError::too_many(path, items.len(), max));
    }
    if let Some(min) = count_of(s, "minItems")
        && items.len() < min
    {
        errs.push(FieldError::invalid_json(
            path,
            &Value::from(items.len()),
            &format!(
                "{} in body should have at least {min} items",
                msg_name(path)
            ),
        ));
    }
    match s.get("x-kubernetes-list-type").and_then(Value::as_str) {
        Some("set") => {
            for (i, item) in items.iter().enumerate() {
                if items[..i].iter().any(|prev| json_eq(prev, item)) {
                    errs.push(FieldError::duplicate(&format!("{path}[{i}]"), item));
                }
            }
        }
        Some("map") => {
            let keys: Vec<&str> = s
                .get("x-kubernetes-list-map-keys")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let key_of = |item: &Value| -> Value {
                let mut m = Map::new();
                for k in &keys {
                    if let Some(v) = item.get(*k) {
                        m.insert((*k).to_string(), v.clone());
                    }
                }
                Value::Object(m)
            };
            let seen: Vec<Value> = items.iter().map(key_of).collect();
            for (i, key) in seen.iter().enumerate() {
                if !keys.is_empty() && seen[..i].iter().any(|prev| json_eq(prev, key)) {
                    errs.push(FieldError::duplicate(&format!("{path}[{i}]"), key));
                }
            }
        }
        _ => {}
    }
    match s.get("items") {
        Some(item_schema @ Value::Object(_)) => {
            for (i, item) in items.iter().enumerate() {
                validate_node(item, item_schema, &format!("{path}[{i}]"), depth + 1, errs);
            }
        }
        Some(Value::Array(tuple)) => {
            for (i, (item, item_schema)) in items.iter().zip(tuple).enumerate() {
                validate_node(item, item_schema, &format!("{path}[{i}]"), depth + 1, errs);
            }
        }
        _ => {}
    }
}

fn validate_object(
    map: &Map<String, Value>,
    s: &Map<String, Value>,
    path: &str,
    depth: usize,
    errs: &mut Vec<FieldError>,
) {
    if let Some(Value::Array(required)) = s.get("required") {
        for r in required.iter().filter_map(Value::as_str) {
            if !map.contains_key(r) {
                errs.push(FieldError::required(&child_path(path, r), ""));
            }
        }
    }
    if let Some(max) = count_of(s, "maxProperties")
        && map.len() > max
    {
        errs.push(FieldError::too_many(path, map.len(), max));
    }
    if let Some(min) = count_of(s, "minProperties")
        && map.len() < min
    {
        errs.push(FieldError::invalid_json(
            path,
            &Value::from(map.len()),
            &format!(
                "{} in body should have at least {min} properties",
                msg_name(path)
            ),
        ));
    }
    if flag(s, EMBEDDED_RESOURCE) {
        validate_embedded_resource(map, path, errs);
    }
    let props = s.get("properties").and_then(Value::as_object);
    let additional = s.get("additionalProperties").filter(|a| a.is_object());
    for (k, v) in map {
        let sub = props.and_then(|p| p.get(k)).or(additional);
        if let Some(sub) = sub {
            validate_node(v, sub, &child_path(path, k), depth + 1, errs);
        }
    }
}

/// An embedded resource needs apiVersion and kind, like kube's `validateEmbeddedResource`, and
/// valid metadata.
fn validate_embedded_resource(map: &Map<String, Value>, path: &str, errs: &mut Vec<FieldError>) {
    let api_version_path = child_path(path, "apiVersion");
    let kind_path = child_path(path, "kind");
    match map.get("apiVersion") {
        None => errs.push(FieldError::required(&api_version_path, "must not be empty")),
        Some(Value::String(v)) if v.is_empty() => {
            errs.push(FieldError::invalid(
                &api_version_path,
                v,
                "must not be empty",
            ));
        }
        Some(Value::String(v)) => {
            if v.split('/').count() > 2 {
                errs.push(FieldError::invalid(
                    &api_version_path,
                    v,
                    &format!("unexpected GroupVersion string: {v}"),
                ));
            }
        }
        Some(other) => errs.push(FieldError::invalid_json(
            &api_version_path,
            other,
            "must be a string",
        )),
    }
    match map.get("kind") {
        None => errs.push(FieldError::required(&kind_path, "must not be empty")),
        Some(Value::String(k)) if k.is_empty() => {
            errs.push(FieldError::invalid(&kind_path, k, "must not be empty"));
        }
        Some(Value::String(k)) => {
            let msgs = validation::is_dns1035_label(&k.to_lowercase());
            if !msgs.is_empty() {
                errs.push(FieldError::invalid(
                    &kind_path,
                    k,
                    &format!(
                        "may have mixed case, but should otherwise match: {}",
                        msgs.join(",")
                    ),
                ));
            }
        }
        Some(other) => errs.push(FieldError::invalid_json(
            &kind_path,
            other,
            "must be a string",
        )),
    }
    if let Some(meta) = map.get("metadata") {
        errs.extend(validation::validate_embedded_object_meta(
            meta,
            &child_path(path, "metadata"),
        ));
    }
}

fn validate_combinators(
    value: &Value,
    s: &Map<String, Value>,
    path: &str,
    depth: usize,
    errs: &mut Vec<FieldError>,
) {
    let name = msg_name(path);
    if let Some(Value::Array(all)) = s.get("allOf") {
        for sub in all {
            validate_node(value, sub, path, depth + 1, errs);
        }
    }
    let branch_errors = |branches: &Vec<Value>| -> Vec<Vec<FieldError>> {
        branches
            .iter()
            .map(|b| {
                let mut e = Vec::new();
                validate_node(value, b, path, depth + 1, &mut e);
                e
            })
            .collect()
    };
    // When no alternative fits, the closest one's errors explain the most.
    let closest = |results: Vec<Vec<FieldError>>| -> Vec<FieldError> {
        results.into_iter().min_by_key(Vec::len).unwrap_or_default()
    };
    if let Some(Value::Array(any)) = s
        .get("anyOf")
        .filter(|a| a.as_array().is_some_and(|a| !a.is_empty()))
    {
        let results = branch_errors(any);
        if !results.iter().any(Vec::is_empty) {
            errs.push(FieldError::invalid_json(
                path,
                value,
                &format!("{name} must validate at least one schema (anyOf)"),
            ));
            errs.extend(closest(results));
        }
    }
    if let Some(Value::Array(one)) = s
        .get("oneOf")
        .filter(|a| a.as_array().is_some_and(|a| !a.is_empty()))
    {
        let results = branch_errors(one);
        let passing = results.iter().filter(|e| e.is_empty()).count();
        if passing != 1 {
            errs.push(FieldError::invalid_json(
                path,
                value,
                &format!("{name} must validate one and only one schema (oneOf)"),
            ));
            if passing == 0 {
                errs.extend(closest(results));
            }
        }
    }
    if let Some(not) = s.get("not").filter(|n| n.is_object()) {
        let mut e = Vec::new();
        validate_node(value, not, path, depth + 1, &mut e);
        if e.is_empty() {
            errs.push(FieldError::invalid_json(
                path,
                value,
                &format!("{name} must not validate the schema (not)"),
            ));
        }
    }
}

/// JSON equality with numbers compared by value (`1` equals `1.0`), for `enum` and list-set
/// uniqueness.
fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(i), Some(j)) => i == j,
            _ => match (x.as_u64(), y.as_u64()) {
                (Some(i), Some(j)) => i == j,
                _ => x.as_f64() == y.as_f64(),
            },
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

#[cfg(test)]
#[path = "schema_tests.rs"]
mod tests;
