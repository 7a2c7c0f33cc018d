//! `/openapi/v3`: the root index and one OpenAPI 3 document per served group/version.
//!
//! kubectl needs these to validate on the server (`fieldValidation=Strict`, declared on each
//! PATCH operation) and for `kubectl explain`. Built-in schemas are generated from k8s-openapi's
//! types, so they are complete and carry the upstream descriptions; custom resources use their
//! CRD's `openAPIV3Schema`. The same schemas drive the server's own unknown-field detection.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, OnceLock};

use serde_json::{Map, Value, json};

use crate::registry::{Registry, ResourceInfo, SchemaSource};

/// The built-in kinds' schemas, generated once: every definition (keyed by the upstream names,
/// `io.k8s.api.apps.v1.Deployment`) and the name of each kind's own definition.
struct BuiltinSchemas {
    definitions: Arc<Map<String, Value>>,
    /// (group, version, kind) → definition name.
    names: HashMap<(String, String, String), String>,
}

fn builtin_schemas() -> &'static BuiltinSchemas {
    static SCHEMAS: OnceLock<BuiltinSchemas> = OnceLock::new();
    SCHEMAS.get_or_init(|| {
        let mut generator = flotilla_api::resources::schema_settings().into_generator();
        let mut names = HashMap::new();
        for info in crate::registry::builtin_resources() {
            if let SchemaSource::Builtin(f) = info.schema
                && let Some(name) = ref_name(f(&mut generator).as_value())
            {
                names.insert((info.group, info.version, info.kind), name);
            }
        }
        let mut defs = generator.take_definitions(true);
        for ((group, version, kind), name) in &names {
            if let Some(Value::Object(def)) = defs.get_mut(name) {
                def.insert(
                    "x-kubernetes-group-version-kind".into(),
                    json!([{"group": group, "version": version, "kind": kind}]),
                );
            }
        }
        BuiltinSchemas {
            definitions: Arc::new(defs),
            names,
        }
    })
}

/// Definitions of every built-in kind and everything they reference.
pub fn builtin_definitions() -> &'static Arc<Map<String, Value>> {
    &builtin_schemas().definitions
}

fn ref_name(v: &Value) -> Option<String> {
    let r = v.get("$ref")?.as_str()?;
    r.rsplit('/').next().map(String::from)
}

/// The schema name of a resource's kind.
pub fn schema_name(info: &ResourceInfo) -> Option<String> {
    match &info.schema {
        // Generated once at start-up: this is on every write's path.
        SchemaSource::Builtin(_) => builtin_schemas()
            .names
            .get(&(info.group.clone(), info.version.clone(), info.kind.clone()))
            .cloned(),
        SchemaSource::Crd(_) => Some(crd_schema_name(info)),
        SchemaSource::None => None,
    }
}

fn crd_schema_name(info: &ResourceInfo) -> String {
    let reversed: Vec<&str> = info.group.split('.').rev().collect();
    format!("{}.{}.{}", reversed.join("."), info.version, info.kind)
}

/// The schema objects are checked against, and the definitions its `$ref`s resolve through.
pub fn validation_schema(info: &ResourceInfo) -> Option<(Value, Arc<Map<String, Value>>)> {
    match &info.schema {
        SchemaSource::Builtin(_) => {
            let name = schema_name(info)?;
            Some((
                json!({"$ref": format!("#/components/schemas/{name}")}),
                Arc::clone(builtin_definitions()),
            ))
        }
        SchemaSource::Crd(schema) => Some((
            crd_kind_schema(info, schema),
            Arc::clone(builtin_definitions()),
        )),
        SchemaSource::None => None,
    }
}

/// A CRD version's schema with the standard top-level fields declared, as the API server sees it.
fn crd_kind_schema(info: &ResourceInfo, schema: &Value) -> Value {
    let mut schema = schema.clone();
    if let Some(obj) = schema.as_object_mut() {
        obj.entry("type").or_insert_with(|| json!("object"));
        obj.entry("properties").or_insert_with(|| json!({}));
        if let Some(Value::Object(props)) = obj.get_mut("properties") {
            props.insert(
                "apiVersion".into(),
                json!({"type": "string", "description": "APIVersion defines the versioned schema of this representation of an object."}),
            );
            props.insert(
                "kind".into(),
                json!({"type": "string", "description": "Kind is a string value representing the REST resource this object represents."}),
            );
            props.insert(
                "metadata".into(),
                json!({"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
                       "description": "Standard object's metadata."}),
            );
        }
        obj.insert(
            "x-kubernetes-group-version-kind".into(),
            json!([{"group": info.group, "version": info.version, "kind": info.kind}]),
        );
    }
    schema
}

/// All definitions reachable from `roots`.
fn closure(roots: &[String], defs: &Map<String, Value>) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    let mut todo: Vec<String> = roots.to_vec();
    while let Some(name) = todo.pop() {
        if out.contains_key(&name) {
            continue;
        }
        if let Some(def) = defs.get(&name) {
            let mut refs = BTreeSet::new();
            collect_refs(def, &mut refs);
            todo.extend(refs);
            out.insert(name, def.clone());
        }
    }
    out
}

fn collect_refs(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                if k == "$ref" {
                    if let Some(name) = v.as_str().and_then(|r| r.rsplit('/').next()) {
                        out.insert(name.to_string());
                    }
                } else {
                    collect_refs(v, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

fn gv_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

fn hash_of(s: &str) -> String {
    // FNV-1a: stable across processes, which is all a cache-busting hash needs.
    let mut h: u64 = 0xcbf29ce484222325;
    for b in s.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("{h:016X}")
}

/// `GET /openapi/v3`.
pub fn root(registry: &Registry) -> Value {
    let generation = registry.generation();
    let mut paths = Map::new();
    for (group, versions) in registry.groups() {
        for version in versions {
            let path = gv_path(&group, &version);
            let hash = hash_of(&format!("{path}/{generation}"));
            paths.insert(
                path.clone(),
                json!({"serverRelativeURL": format!("/openapi/v3/{path}?hash={hash}")}),
            );
        }
    }
    json!({ "paths": paths })
}

/// `GET /openapi/v3/<gv path>`.
pub fn document(registry: &Registry, group: &str, version: &str) -> Option<Value> {
    if !registry.has_group_version(group, version) {
        return None;
    }
    let resources = registry.resources_of(group, version);
    let defs = builtin_definitions();
    let mut roots = Vec::new();
    let mut crd_schemas = Map::new();
    let mut paths = Map::new();
    for info in &resources {
        let Some(name) = schema_name(info) else {
            continue;
        };
        if let SchemaSource::Crd(schema) = &info.schema {
            crd_schemas.insert(name.clone(), crd_kind_schema(info, schema));
            roots.push("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta".to_string());
        } else {
            roots.push(name.clone());
        }
        add_paths(&mut paths, info, &name);
    }
    let mut schemas: Map<String, Value> = closure(&roots, defs).into_iter().collect();
    schemas.extend(crd_schemas);
    Some(json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": crate::discovery::GIT_VERSION},
        "paths": paths,
        "components": {"schemas": schemas},
    }))
}

fn add_paths(paths: &mut Map<String, Value>, info: &ResourceInfo, schema: &str) {
    let prefix = format!("/{}", gv_path(&info.group, &info.version));
    let collection = if info.namespaced {
        format!("{prefix}/namespaces/{{namespace}}/{}", info.resource)
    } else {
        format!("{prefix}/{}", info.resource)
    };
    let gvk = json!({"group": info.group, "version": info.version, "kind": info.kind});
    let reference = json!({"$ref": format!("#/components/schemas/{schema}")});
    let body = json!({"content": {"application/json": {"schema": reference}}});
    let ok = json!({"200": {"description": "OK", "content": {"application/json": {"schema": reference}}}});
    let query = |names: &[&str]| -> Value {
        Value::Array(
            names
                .iter()
                .map(|n| json!({"name": n, "in": "query", "schema": {"type": "string"}, "uniqueItems": true}))
                .collect(),
        )
    };
    let write_params = query(&["dryRun", "fieldManager", "fieldValidation"]);
    paths.insert(
        collection.clone(),
        json!({
            "get": {"operationId": format!("list{}", info.kind), "x-kubernetes-action": "list",
                    "x-kubernetes-group-version-kind": gvk, "responses": ok},
            "post": {"operationId": format!("create{}", info.kind), "x-kubernetes-action": "post",
                     "x-kubernetes-group-version-kind": gvk, "parameters": write_params,
                     "requestBody": body, "responses": ok},
        }),
    );
    let patch_body = json!({"content": {
        "application/json-patch+json": {"schema": {"type": "object"}},
        "application/merge-patch+json": {"schema": {"type": "object"}},
        "application/apply-patch+yaml": {"schema": {"type": "object"}},
    }});
    paths.insert(
        format!("{collection}/{{name}}"),
        json!({
            "get": {"operationId": format!("read{}", info.kind), "x-kubernetes-action": "get",
                    "x-kubernetes-group-version-kind": gvk, "responses": ok},
            "put": {"operationId": format!("replace{}", info.kind), "x-kubernetes-action": "put",
                    "x-kubernetes-group-version-kind": gvk, "parameters": write_params,
                    "requestBody": body, "responses": ok},
            "patch": {"operationId": format!("patch{}", info.kind), "x-kubernetes-action": "patch",
                      "x-kubernetes-group-version-kind": gvk,
                      "parameters": query(&["dryRun", "fieldManager", "fieldValidation", "force"]),
                      "requestBody": patch_body, "responses": ok},
            "delete": {"operationId": format!("delete{}", info.kind), "x-kubernetes-action": "delete",
                       "x-kubernetes-group-version-kind": gvk, "responses": ok},
        }),
    );
}
