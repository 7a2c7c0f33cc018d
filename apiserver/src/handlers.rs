//! The REST verbs over every served resource: get, list, watch, create, update, patch, delete,
//! deletecollection, and the status subresource — with the semantics of kube-apiserver's generic
//! registry (preconditions, generation, finalizers, dry runs, field validation and managers).

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use flotilla_machinery as machinery;
use flotilla_storage::{KeyValue, ListOptions, Revision, Storage, StorageError};
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use serde_json::{Map, Value, json};

use crate::cache::{self, WatchCache};
use crate::error::{ApiError, ApiResult};
use crate::object;
use crate::registry::{Registry, ResourceInfo, SchemaSource};
use crate::request::{Query, Rendering, ResourcePath, content_type, rendering, user_agent_manager};
use crate::{crd, events, openapi, table, watch};

/// Options that shape request handling.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Bodies larger than this are refused with 413 (kube-apiserver's limit is 3 MiB).
    pub max_body_bytes: usize,
    /// How often an idle watch with `allowWatchBookmarks` gets a BOOKMARK.
    pub bookmark_interval: Duration,
    /// The longest a watch stays open when the client sets no `timeoutSeconds`.
    pub max_watch_timeout: Duration,
    /// Serve Karmada's kinds (a federation); off, the server is a plain Kubernetes API (a
    /// member cluster).
    pub karmada_api: bool,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            max_body_bytes: 3 * 1024 * 1024,
            bookmark_interval: Duration::from_secs(60),
            max_watch_timeout: Duration::from_secs(1800),
            karmada_api: true,
        }
    }
}

/// Everything a request handler needs.
pub struct AppState {
    pub registry: Arc<Registry>,
    pub store: Arc<dyn Storage>,
    pub cache: Arc<WatchCache>,
    pub options: ServerOptions,
}

/// A request below a group/version, already matched to a served resource.
pub struct Request<'a> {
    pub state: &'a Arc<AppState>,
    pub info: Arc<ResourceInfo>,
    pub path: ResourcePath,
    pub query: Query,
    pub headers: HeaderMap,
}

pub fn json_response(code: StatusCode, body: &Value, warnings: &[String]) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mut resp = (code, bytes).into_response();
    let content_type = match body.get("kind").and_then(|k| k.as_str()) {
        Some("Table") => "application/json;as=Table;v=v1;g=meta.k8s.io",
        Some("PartialObjectMetadata") => {
            "application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io"
        }
        Some("PartialObjectMetadataList") => {
            "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io"
        }
        _ => "application/json",
    };
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    add_warnings(&mut resp, warnings);
    resp
}

fn add_warnings(resp: &mut Response, warnings: &[String]) {
    for w in warnings {
        let escaped = w.replace('\\', "\\\\").replace('"', "\\\"");
        if let Ok(v) = HeaderValue::from_str(&format!("299 - \"{escaped}\"")) {
            resp.headers_mut().append(header::WARNING, v);
        }
    }
}

/// Route one resource request to its verb.
pub async fn handle(req: Request<'_>, method: Method, body: Body) -> ApiResult<Response> {
    if req.info.namespaced
        && req.path.namespace.is_none()
        && !(method == Method::GET && req.path.name.is_none())
    {
        return Err(ApiError::not_found_path());
    }
    if !req.info.namespaced && req.path.namespace.is_some() {
        return Err(ApiError::not_found_path());
    }
    let sub = req.path.subresource.clone();
    match sub.as_deref() {
        None => {}
        Some("status") if req.info.status_subresource => {}
        Some("scale") if req.info.scale.is_some() => {
            return crate::scale::handle(req, method, body).await;
        }
        Some("finalize") if req.info.resource == "namespaces" && req.info.group.is_empty() => {}
        Some(_) => return Err(ApiError::not_found_path()),
    }
    let watching = req.query.flag("watch");
    match (method.clone(), req.path.name.clone()) {
        (Method::GET, Some(name)) if watching => {
            let mut query = req.query.clone();
            let selector = match query.get("fieldSelector") {
                Some(existing) => format!("{existing},metadata.name={name}"),
                None => format!("metadata.name={name}"),
            };
            query.0.insert("fieldSelector".into(), selector);
            watch::serve(Request { query, ..req }).await
        }
        (Method::GET, Some(name)) => get(&req, &name).await,
        (Method::GET, None) if watching => watch::serve(req).await,
        (Method::GET, None) => list(&req).await,
        (Method::POST, None) => {
            let body = read_body(&req, body).await?;
            create(&req, body).await
        }
        (Method::PUT, Some(name)) => {
            let body = read_body(&req, body).await?;
            update(&req, &name, body).await
        }
        (Method::PATCH, Some(name)) => {
            let body = read_body(&req, body).await?;
            patch(&req, &name, body).await
        }
        (Method::DELETE, Some(name)) => {
            let body = read_body(&req, body).await?;
            delete(&req, &name, body).await
        }
        (Method::DELETE, None) => {
            let body = read_body(&req, body).await?;
            delete_collection(&req, body).await
        }
        (m, _) => Err(ApiError::method_not_allowed(m.as_str(), &req.info)),
    }
}

async fn read_body(req: &Request<'_>, body: Body) -> ApiResult<Bytes> {
    let limit = req.state.options.max_body_bytes;
    axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| ApiError::too_large(limit))
}

// ---------------------------------------------------------------------------------------------
// Reading

/// Turn a stored object into what this resource's clients see.
pub fn present(info: &ResourceInfo, obj: &Value) -> Value {
    if info.is_event_v1() {
        return events::from_core(obj);
    }
    let mut out = obj.clone();
    if let Some(map) = out.as_object_mut() {
        map.insert("apiVersion".into(), Value::String(info.api_version()));
        map.insert("kind".into(), Value::String(info.kind.clone()));
    }
    out
}

/// Render one object or list for the client's Accept header.
pub fn render(req: &Request<'_>, objects: Vec<Value>, list_meta: Option<Value>) -> Value {
    match rendering(&req.headers) {
        Rendering::Table => {
            let include_object = req.query.get("includeObject").unwrap_or("Metadata");
            let mut t = table::table(&req.info, &objects, include_object);
            if let Some(meta) = list_meta {
                t["metadata"] = meta;
            }
            t
        }
        Rendering::PartialMetadata => {
            let items: Vec<Value> = objects.iter().map(partial_metadata).collect();
            match list_meta {
                Some(meta) => json!({
                    "kind": "PartialObjectMetadataList",
                    "apiVersion": "meta.k8s.io/v1",
                    "metadata": meta,
                    "items": items,
                }),
                None => items.into_iter().next().unwrap_or(Value::Null),
            }
        }
        Rendering::Object => match list_meta {
            Some(meta) => json!({
                "kind": req.info.list_kind,
                "apiVersion": req.info.api_version(),
                "metadata": meta,
                "items": objects,
            }),
            None => objects.into_iter().next().unwrap_or(Value::Null),
        },
    }
}

pub fn partial_metadata(obj: &Value) -> Value {
    json!({
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj.get("metadata").cloned().unwrap_or(json!({})),
    })
}

pub fn key_for(req: &Request<'_>, name: &str) -> String {
    req.info.storage_key(req.path.namespace.as_deref(), name)
}

pub(crate) async fn read(req: &Request<'_>, name: &str) -> ApiResult<(Value, KeyValue)> {
    let key = key_for(req, name);
    match req.state.store.get(&key).await? {
        Some(kv) => Ok((cache::decode(&kv, kv.mod_revision), kv)),
        None => Err(ApiError::not_found(&req.info, name)),
    }
}

async fn get(req: &Request<'_>, name: &str) -> ApiResult<Response> {
    let (obj, _) = read(req, name).await?;
    let out = present(&req.info, &obj);
    Ok(json_response(
        StatusCode::OK,
        &render(req, vec![out], None),
        &[],
    ))
}

/// Label and field selectors of a list or watch.
pub struct Filter {
    labels: Option<machinery::selector::LabelSelector>,
    fields: Option<machinery::selector::FieldSelector>,
}

impl Filter {
    pub fn from_query(query: &Query) -> ApiResult<Filter> {
        let labels = query
            .get("labelSelector")
            .map(machinery::selector::LabelSelector::parse)
            .transpose()
            .map_err(|e| ApiError::bad_request(format!("unable to parse labelSelector: {e}")))?;
        let fields = query
            .get("fieldSelector")
            .map(machinery::selector::FieldSelector::parse)
            .transpose()
            .map_err(|e| ApiError::bad_request(format!("unable to parse fieldSelector: {e}")))?;
        Ok(Filter { labels, fields })
    }

    /// Whether a (stored, core-form) object passes the selectors.
    pub fn matches(&self, obj: &Value) -> bool {
        if let Some(sel) = &self.labels
            && !sel.matches(&object::labels(obj))
        {
            return false;
        }
        if let Some(sel) = &self.fields {
            return sel.matches(|field| object::field_string(obj, field));
        }
        true
    }
}

/// Where a list or watch looks.
pub fn list_prefix(req: &Request<'_>) -> String {
    match (&req.path.namespace, req.info.namespaced) {
        (Some(ns), true) => format!("{}{ns}/", req.info.storage_prefix()),
        _ => req.info.storage_prefix(),
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Continue {
    rv: Revision,
    start: String,
}

fn encode_continue(rv: Revision, start: &str) -> String {
    use base64::Engine;
    let raw = serde_json::to_vec(&Continue {
        rv,
        start: start.to_string(),
    })
    .unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

fn decode_continue(token: &str) -> ApiResult<Continue> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|raw| serde_json::from_slice(&raw).ok())
        .ok_or_else(|| ApiError::bad_request("continue key is not valid: invalid continue token"))
}

async fn list(req: &Request<'_>) -> ApiResult<Response> {
    let filter = Filter::from_query(&req.query)?;
    let limit = req
        .query
        .int("limit")?
        .filter(|l| *l > 0)
        .map(|l| l as usize);
    let prefix = list_prefix(req);
    let mut items = Vec::new();
    let mut next: Option<String> = None;
    let revision;

    // `resourceVersionMatch=Exact` asks for the list as it was at that revision: the store
    // still has it (until compaction); the cache only has the present.
    let exact = match (
        req.query.get("resourceVersionMatch"),
        req.query.get("resourceVersion"),
    ) {
        (Some("Exact"), Some(rv)) if req.query.get("continue").is_none() => Some(Continue {
            rv: rv
                .parse()
                .map_err(|_| ApiError::bad_request(format!("invalid resource version {rv:?}")))?,
            start: String::new(),
        }),
        (Some("Exact"), None) => {
            return Err(ApiError::bad_request(
                "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided",
            ));
        }
        (Some(m), _) if !matches!(m, "Exact" | "NotOlderThan") => {
            return Err(ApiError::bad_request(format!(
                "resourceVersionMatch: Unsupported value: {m:?}: supported values: \"Exact\", \"NotOlderThan\""
            )));
        }
        _ => None,
    };
    let from_store = match (req.query.get("continue"), exact) {
        (Some(token), _) => Some(decode_continue(token)?),
        (None, exact) => exact,
    };
    if let Some(cont) = from_store {
        // Later pages come from the store at the first page's revision, so the whole list is
        // one consistent snapshot.
        let mut start = (!cont.start.is_empty()).then_some(cont.start);
        revision = cont.rv;
        loop {
            let page = req
                .state
                .store
                .list(&ListOptions {
                    prefix: prefix.clone(),
                    revision: Some(cont.rv),
                    limit: limit.map(|l| l.max(50)),
                    start_after: start.clone(),
                })
                .await
                .map_err(|e| match e {
                    StorageError::Expired { .. } => ApiError::gone(
                        "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.",
                    ),
                    other => other.into(),
                })?;
            let more = page.more;
            for kv in &page.items {
                start = Some(kv.key.clone());
                let obj = cache::decode(kv, kv.mod_revision);
                if filter.matches(&obj) {
                    items.push(obj);
                    if limit.is_some_and(|l| items.len() >= l) {
                        break;
                    }
                }
            }
            if limit.is_some_and(|l| items.len() >= l) {
                if more || page.items.last().map(|kv| &kv.key) != start.as_ref() {
                    next = start.clone().map(|s| encode_continue(cont.rv, &s));
                }
                break;
            }
            if !more {
                break;
            }
        }
    } else {
        let rv = req.query.get("resourceVersion");
        match rv {
            // "0": any cached state will do.
            Some("0") => {}
            Some(v) => {
                let wanted: Revision = v.parse().map_err(|_| {
                    ApiError::bad_request(format!("invalid resource version {v:?}"))
                })?;
                if !req
                    .state
                    .cache
                    .wait_for(wanted, Duration::from_secs(3))
                    .await
                {
                    return Err(ApiError::timeout(format!(
                        "Too large resource version: {wanted}, current: {}",
                        req.state.cache.revision()
                    )));
                }
            }
            // Unset: a consistent read, as fresh as the store.
            None => {
                req.state.cache.sync().await;
            }
        }
        let (objects, rev) = req.state.cache.list(&prefix, None);
        revision = rev;
        let mut last_key = None;
        let mut selected = Vec::new();
        for cached in objects.iter() {
            if filter.matches(&cached.object) {
                if limit.is_some_and(|l| selected.len() >= l) {
                    next = last_key.map(|k: &str| encode_continue(rev, k));
                    break;
                }
                selected.push(Arc::clone(cached));
            }
            last_key = Some(cached.key.as_str());
        }
        let mut meta = json!({"resourceVersion": revision.to_string()});
        if let Some(token) = &next {
            meta["continue"] = json!(token);
        }
        if rendering(&req.headers) == Rendering::Object {
            return Ok(list_from_cache(req, &selected, &meta));
        }
        items = selected.iter().map(|c| (*c.object).clone()).collect();
    }
    let items: Vec<Value> = items.iter().map(|o| present(&req.info, o)).collect();
    let mut meta = json!({"resourceVersion": revision.to_string()});
    if let Some(token) = next {
        meta["continue"] = json!(token);
    }
    Ok(json_response(
        StatusCode::OK,
        &render(req, items, Some(meta)),
        &[],
    ))
}

/// A LIST answered from cached bytes: objects stored in the served version are copied as
/// serialized once by the cache, not re-encoded per request (kube's cacher does the same).
fn list_from_cache(
    req: &Request<'_>,
    objects: &[Arc<cache::CachedObject>],
    meta: &Value,
) -> Response {
    let api_version = req.info.api_version();
    let mut body =
        Vec::with_capacity(objects.iter().map(|c| c.encoded().len() + 1).sum::<usize>() + 256);
    body.extend_from_slice(b"{\"kind\":");
    let _ = serde_json::to_writer(&mut body, &req.info.list_kind);
    body.extend_from_slice(b",\"apiVersion\":");
    let _ = serde_json::to_writer(&mut body, &api_version);
    body.extend_from_slice(b",\"metadata\":");
    let _ = serde_json::to_writer(&mut body, meta);
    body.extend_from_slice(b",\"items\":[");
    for (i, cached) in objects.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        let stored_as_served = !req.info.is_event_v1()
            && cached.object.get("apiVersion").and_then(|v| v.as_str())
                == Some(api_version.as_str());
        if stored_as_served {
            body.extend_from_slice(cached.encoded());
        } else {
            let _ = serde_json::to_writer(&mut body, &present(&req.info, &cached.object));
        }
    }
    body.extend_from_slice(b"]}");
    let mut resp = (StatusCode::OK, body).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

// ---------------------------------------------------------------------------------------------
// Decoding and validating request bodies

pub fn parse_body(headers: &HeaderMap, body: &[u8]) -> ApiResult<Value> {
    let ct = content_type(headers);
    let value: Value = match ct.as_str() {
        "" | "application/json" | "*/*" => serde_json::from_slice(body).map_err(|e| {
            ApiError::bad_request(format!(
                "the body of the request could not be decoded: json parse error: {e}"
            ))
        })?,
        "application/yaml" | "application/x-yaml" | "text/yaml" => parse_yaml(body)?,
        "application/vnd.kubernetes.protobuf" => crate::protobuf::decode(body)?,
        other => {
            return Err(ApiError::unsupported_media_type(format!(
                "the body of the request was in an unknown format ({other}) - accepted media types include: application/json, application/yaml"
            )));
        }
    };
    if !value.is_object() {
        return Err(ApiError::bad_request(
            "the body of the request must be a JSON object",
        ));
    }
    Ok(value)
}

pub fn parse_yaml(body: &[u8]) -> ApiResult<Value> {
    let text = std::str::from_utf8(body)
        .map_err(|_| ApiError::bad_request("the body of the request is not valid UTF-8"))?;
    serde_saphyr::from_str::<Value>(text).map_err(|e| {
        ApiError::bad_request(format!(
            "the body of the request could not be decoded: yaml parse error: {e}"
        ))
    })
}

/// `fieldValidation`: what to do with unknown fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FieldValidation {
    Ignore,
    Warn,
    Strict,
}

fn field_validation(query: &Query) -> ApiResult<FieldValidation> {
    match query.get("fieldValidation") {
        None | Some("Warn") => Ok(FieldValidation::Warn),
        Some("Ignore") => Ok(FieldValidation::Ignore),
        Some("Strict") => Ok(FieldValidation::Strict),
        Some(other) => Err(ApiError::bad_request(format!(
            "fieldValidation parameter unsupported: {other}; supported values are Ignore, Warn, Strict"
        ))),
    }
}

/// Unknown fields per the resource's schema: an error under Strict, warnings under Warn.
fn check_unknown_fields(req: &Request<'_>, obj: &mut Value) -> ApiResult<Vec<String>> {
    // Accepted aliases become canonical first, so they are neither unknown nor stored.
    crate::karmada::canonicalize(&req.info, obj);
    let mode = field_validation(&req.query)?;
    let unknown = match &req.info.schema {
        // A CRD's schema is structural: an object node without properties holds no fields.
        SchemaSource::Crd(schema) => machinery::schema::unknown_fields_structural(obj, schema),
        _ => match openapi::validation_schema(&req.info) {
            Some((schema, defs)) => machinery::schema::unknown_fields(obj, &schema, &defs),
            None => Vec::new(),
        },
    };
    if unknown.is_empty() {
        return Ok(Vec::new());
    }
    let list: Vec<String> = unknown
        .iter()
        .map(|f| format!("unknown field \"{}\"", f.trim_start_matches('.')))
        .collect();
    if mode == FieldValidation::Strict {
        return Err(ApiError::bad_request(format!(
            "{} in version \"{}\" cannot be handled as a {}: strict decoding error: {}",
            req.info.kind,
            req.info.version,
            req.info.kind,
            list.join(", ")
        )));
    }
    // Under Warn and Ignore the fields are dropped, as decoding into kube's typed objects does.
    for path in &unknown {
        remove_field_path(obj, path.trim_start_matches('.'));
    }
    Ok(if mode == FieldValidation::Warn {
        list
    } else {
        Vec::new()
    })
}

/// Remove the field at a path like `spec.template.spec.containers[0].bogus`.
fn remove_field_path(obj: &mut Value, path: &str) {
    let mut steps: Vec<Result<&str, usize>> = Vec::new();
    for part in path.split('.') {
        let (name, rest) = part.split_once('[').map_or((part, ""), |(n, r)| (n, r));
        if !name.is_empty() {
            steps.push(Ok(name));
        }
        for idx in rest.split('[') {
            if let Ok(i) = idx.trim_end_matches(']').parse::<usize>() {
                steps.push(Err(i));
            }
        }
    }
    let Some((last, parents)) = steps.split_last() else {
        return;
    };
    let mut cur = obj;
    for step in parents {
        let next = match step {
            Ok(name) => cur.get_mut(*name),
            Err(i) => cur.get_mut(*i),
        };
        match next {
            Some(n) => cur = n,
            None => return,
        }
    }
    if let (Ok(name), Some(map)) = (last, cur.as_object_mut()) {
        map.remove(*name);
    }
}

/// RFC 6902 with kube-apiserver's leniency: a `test` for `null` passes when the path is absent
/// (kube-runtime's finalizer helper relies on it for objects without finalizers).
fn apply_json_patch(
    doc: &mut Value,
    ops: &json_patch::Patch,
) -> Result<(), json_patch::PatchError> {
    let mut work = doc.clone();
    for op in &ops.0 {
        if let json_patch::PatchOperation::Test(test) = op
            && test.value.is_null()
            && work.pointer(test.path.as_str()).is_none()
        {
            continue;
        }
        json_patch::patch(&mut work, std::slice::from_ref(op))?;
    }
    *doc = work;
    Ok(())
}

/// Object validation: metadata, required fields and (for custom resources) the structural
/// schema. Returns a 422 naming every bad field.
fn validate(req: &Request<'_>, old: Option<&Value>, obj: &Value) -> ApiResult<()> {
    use machinery::validation::{FieldError, NameRule};
    let info = &req.info;
    let rule = match (info.group.as_str(), info.resource.as_str()) {
        ("", "namespaces") | ("", "services") | ("apps", "statefulsets") => NameRule::Label,
        ("rbac.authorization.k8s.io", _) => NameRule::PathSegment,
        _ => NameRule::Subdomain,
    };
    let meta = obj.get("metadata").cloned().unwrap_or(json!({}));
    let mut errors: Vec<FieldError> =
        machinery::validation::validate_object_meta(&meta, info.namespaced, rule);
    match &info.schema {
        SchemaSource::Crd(schema) => {
            errors.extend(machinery::schema::validate_structural(obj, schema));
        }
        SchemaSource::Builtin(_) => {
            // kube's per-kind validation for the main resource (status writes are the
            // controllers' business), then any schema-required field it did not already name.
            if req.path.subresource.as_deref() != Some("status") {
                errors.extend(machinery::kind_validation::validate(
                    &info.group,
                    &info.kind,
                    obj,
                    old,
                ));
            }
            if let Some((schema, defs)) = openapi::validation_schema(info) {
                for path in missing_required(obj, &schema, &defs) {
                    if !errors.iter().any(|e| e.field == path) {
                        errors.push(FieldError::required(&path, ""));
                    }
                }
            }
        }
        SchemaSource::None => {}
    }
    if info.crd.is_none() && info.group == "apiextensions.k8s.io" {
        errors.extend(crd::validate(obj));
    }
    if errors.is_empty() {
        return Ok(());
    }
    let status = machinery::validation::status_for_invalid(
        &info.kind,
        object::name(obj),
        &info.group,
        &errors,
    );
    let message = status["message"].as_str().unwrap_or("invalid").to_string();
    Err(ApiError::new(422, "Invalid", message).with_details(status["details"].clone()))
}

/// Required fields (per the OpenAPI schema) missing from `obj`, as `spec.selector` paths.
fn missing_required(obj: &Value, schema: &Value, defs: &Map<String, Value>) -> Vec<String> {
    fn resolve<'a>(mut schema: &'a Value, defs: &'a Map<String, Value>) -> &'a Value {
        for _ in 0..16 {
            if let Some(r) = schema.get("$ref").and_then(|r| r.as_str()) {
                match r.rsplit('/').next().and_then(|n| defs.get(n)) {
                    Some(next) => schema = next,
                    None => return schema,
                }
            } else if let Some(first) = schema.get("allOf").and_then(|a| a.get(0)) {
                schema = first;
            } else {
                break;
            }
        }
        schema
    }
    fn walk(
        v: &Value,
        schema: &Value,
        defs: &Map<String, Value>,
        path: &str,
        out: &mut Vec<String>,
        depth: usize,
    ) {
        if depth > 64 {
            return;
        }
        let schema = resolve(schema, defs);
        match v {
            Value::Object(map) => {
                if let Some(req) = schema.get("required").and_then(|r| r.as_array()) {
                    for field in req.iter().filter_map(|f| f.as_str()) {
                        if map.get(field).is_none_or(|v| v.is_null()) {
                            out.push(join(path, field));
                        }
                    }
                }
                if let Some(props) = schema.get("properties").and_then(|p| p.as_object()) {
                    for (k, child) in map {
                        if k == "status" && path.is_empty() {
                            continue;
                        }
                        if let Some(s) = props.get(k) {
                            walk(child, s, defs, &join(path, k), out, depth + 1);
                        }
                    }
                } else if let Some(add) =
                    schema.get("additionalProperties").filter(|a| a.is_object())
                {
                    for (k, child) in map {
                        walk(child, add, defs, &join(path, k), out, depth + 1);
                    }
                }
            }
            Value::Array(items) => {
                if let Some(item_schema) = schema.get("items") {
                    for (i, item) in items.iter().enumerate() {
                        walk(
                            item,
                            item_schema,
                            defs,
                            &format!("{path}[{i}]"),
                            out,
                            depth + 1,
                        );
                    }
                }
            }
            _ => {}
        }
    }
    fn join(path: &str, field: &str) -> String {
        if path.is_empty() {
            field.to_string()
        } else {
            format!("{path}.{field}")
        }
    }
    let mut out = Vec::new();
    walk(obj, schema, defs, "", &mut out, 0);
    out
}

/// kube-apiserver's defaulting of built-in kinds (what decoding into typed objects fills in).
fn apply_builtin_defaults(
    req: &Request<'_>,
    old: Option<&Value>,
    obj: &mut Value,
) -> ApiResult<()> {
    let info = &req.info;
    if info.crd.is_some() || req.path.subresource.as_deref() == Some("status") {
        return Ok(());
    }
    if crate::karmada::is_karmada(info) {
        return crate::karmada::admit(info, old, obj);
    }
    if info.group.is_empty()
        && info.kind == "Service"
        && let Some(old) = old
    {
        crate::services::keep_allocated(old, obj);
    }
    if info.group.is_empty()
        && info.kind == "Service"
        && let (Some(old), Some(spec)) = (old, obj.get_mut("spec").and_then(|s| s.as_object_mut()))
    {
        // IP families are decided once, at creation; an update that omits them keeps them.
        for field in ["ipFamilyPolicy", "ipFamilies"] {
            if !spec.contains_key(field)
                && let Some(v) = old.pointer(&format!("/spec/{field}"))
            {
                spec.insert(field.into(), v.clone());
            }
        }
    }
    machinery::defaults::apply_defaults(&info.group, &info.kind, obj);
    if info.group == "batch" && info.kind == "Job" && old.is_none() {
        machinery::defaults::job_selector_defaults(obj);
    }
    Ok(())
}

/// What apiextensions-apiserver does to a custom resource before validating it, in its order.
fn crd_structural_defaults(obj: &mut Value, schema: &Value) {
    machinery::schema::apply_defaults(obj, schema);
    machinery::schema::prune(obj, schema);
    machinery::schema::prune_non_nullable_nulls(obj, schema);
}

/// Check the body's apiVersion/kind/namespace against the URL and fill them in.
fn check_identity(req: &Request<'_>, obj: &mut Value) -> ApiResult<()> {
    let info = &req.info;
    let kind = obj.get("kind").and_then(|k| k.as_str()).unwrap_or("");
    if !kind.is_empty() && kind != info.kind {
        return Err(ApiError::bad_request(format!(
            "the kind of the provided object ({kind}) does not match the resource ({}, kind {})",
            info.qualified_resource(),
            info.kind
        )));
    }
    let api_version = obj.get("apiVersion").and_then(|k| k.as_str()).unwrap_or("");
    if !api_version.is_empty() && api_version != info.api_version() {
        return Err(ApiError::bad_request(format!(
            "the API version in the data ({api_version}) does not match the expected API version ({})",
            info.api_version()
        )));
    }
    let meta = object::meta_mut(obj);
    if info.namespaced {
        let url_ns = req.path.namespace.clone().unwrap_or_default();
        match meta.get("namespace").and_then(|n| n.as_str()) {
            Some(ns) if !ns.is_empty() && ns != url_ns => {
                return Err(ApiError::bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request",
                ));
            }
            _ => {
                meta.insert("namespace".into(), Value::String(url_ns));
            }
        }
    } else {
        meta.remove("namespace");
    }
    Ok(())
}

/// Convert a client's object into the stored form (events.k8s.io → core).
fn ingest(info: &ResourceInfo, obj: Value) -> Value {
    if info.is_event_v1() {
        events::to_core(&obj)
    } else {
        let mut obj = obj;
        if let Some(map) = obj.as_object_mut() {
            let gv = if info.storage_group.is_empty() {
                info.storage_version.clone()
            } else {
                format!("{}/{}", info.storage_group, info.storage_version)
            };
            map.insert("apiVersion".into(), Value::String(gv));
            map.insert("kind".into(), Value::String(info.kind.clone()));
        }
        obj
    }
}

/// The bytes written to the store: never the resourceVersion, which is the store's revision.
pub fn encode(obj: &Value) -> Bytes {
    let mut obj = obj.clone();
    if let Some(meta) = obj.get_mut("metadata").and_then(|m| m.as_object_mut()) {
        meta.remove("resourceVersion");
        meta.remove("selfLink");
    }
    Bytes::from(serde_json::to_vec(&obj).unwrap_or_default())
}

fn field_manager(req: &Request<'_>) -> ApiResult<String> {
    let manager = match req.query.get("fieldManager") {
        Some(m) => m.to_string(),
        None => user_agent_manager(&req.headers),
    };
    if manager.len() > 128 {
        return Err(ApiError::bad_request(
            "fieldManager: Too long: must have at most 128 bytes",
        ));
    }
    Ok(manager)
}

fn type_info(info: &ResourceInfo) -> Option<machinery::typeinfo::TypeInfo> {
    match &info.schema {
        SchemaSource::Crd(schema) => Some(machinery::typeinfo::from_openapi_schema(schema)),
        _ => machinery::typeinfo::for_kind(&info.group, &info.kind).cloned(),
    }
}

async fn ensure_namespace(req: &Request<'_>, obj: &Value) -> ApiResult<()> {
    if !req.info.namespaced {
        return Ok(());
    }
    let ns = object::namespace(obj).unwrap_or("");
    let key = format!("/registry/core/namespaces/{ns}");
    let found = match req.state.cache.get(&key) {
        Some(c) => Some((*c.object).clone()),
        None => req
            .state
            .store
            .get(&key)
            .await?
            .map(|kv| cache::decode(&kv, kv.mod_revision)),
    };
    match found {
        None => Err(ApiError::namespace_not_found(ns)),
        Some(ns_obj) if object::is_deleting(&ns_obj) => Err(ApiError::new(
            403,
            "Forbidden",
            format!(
                "{} \"{}\" is forbidden: unable to create new content in namespace {ns} because it is being terminated",
                req.info.qualified_resource(),
                object::name(obj)
            ),
        )
        .with_details(json!({"name": object::name(obj), "group": req.info.group, "kind": req.info.resource,
            "causes": [{"reason": "NamespaceTerminating", "message": format!("namespace {ns} is being terminated"), "field": "metadata.namespace"}]}))),
        Some(_) => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------------
// Writing

/// Fill in what the server owns on create.
fn prepare_for_create(req: &Request<'_>, obj: &mut Value) -> ApiResult<()> {
    let info = &req.info;
    let meta = object::meta_mut(obj);
    let name = meta
        .get("name")
        .and_then(|n| n.as_str())
        .unwrap_or("")
        .to_string();
    if name.is_empty()
        && let Some(prefix) = meta.get("generateName").and_then(|g| g.as_str())
        && !prefix.is_empty()
    {
        let generated = format!("{prefix}{}", object::random_suffix());
        meta.insert("name".into(), Value::String(generated));
    }
    for field in [
        "resourceVersion",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "selfLink",
    ] {
        meta.remove(field);
    }
    meta.insert("uid".into(), Value::String(object::new_uid()));
    meta.insert("creationTimestamp".into(), Value::String(object::now()));
    if info.has_generation || info.crd.is_some() {
        meta.insert("generation".into(), json!(1));
    } else {
        meta.remove("generation");
    }
    if info.status_subresource
        && let Some(map) = obj.as_object_mut()
    {
        map.remove("status");
    }
    match (info.group.as_str(), info.resource.as_str()) {
        ("", "namespaces") => {
            obj["spec"] = json!({"finalizers": ["kubernetes"]});
            obj["status"] = json!({"phase": "Active"});
        }
        ("apiextensions.k8s.io", "customresourcedefinitions") => {
            obj["status"] = crd::initial_status(obj);
        }
        ("", "pods") if obj.get("status").is_none() => {
            obj["status"] = json!({"phase": "Pending"});
        }
        _ => {}
    }
    Ok(())
}

/// Carry over what a client cannot change on update; bump the generation on spec changes.
fn prepare_for_update(req: &Request<'_>, old: &Value, new: &mut Value) {
    let info = &req.info;
    let status_write = req.path.subresource.as_deref() == Some("status");
    if status_write {
        // The status subresource changes status only (and nothing in metadata but what the
        // server keeps anyway).
        let status = new.get("status").cloned();
        let mut merged = old.clone();
        match status {
            Some(s) => merged["status"] = s,
            None => {
                if let Some(m) = merged.as_object_mut() {
                    m.remove("status");
                }
            }
        }
        // Keep the managedFields the request produced.
        if let Some(mf) = object::meta(new)
            .and_then(|m| m.get("managedFields"))
            .cloned()
        {
            object::meta_mut(&mut merged).insert("managedFields".into(), mf);
        }
        *new = merged;
        return;
    }
    let old_meta = object::meta(old).cloned().unwrap_or_default();
    let meta = object::meta_mut(new);
    for field in [
        "uid",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "generation",
        "name",
        "namespace",
    ] {
        match old_meta.get(field) {
            Some(v) => {
                meta.insert(field.into(), v.clone());
            }
            None => {
                meta.remove(field);
            }
        }
    }
    if info.status_subresource {
        match old.get("status") {
            Some(s) => new["status"] = s.clone(),
            None => {
                if let Some(m) = new.as_object_mut() {
                    m.remove("status");
                }
            }
        }
    }
    if info.group.is_empty() && info.resource == "namespaces" {
        // spec.finalizers changes only through /finalize.
        if req.path.subresource.as_deref() != Some("finalize")
            && let Some(spec) = old.get("spec")
        {
            new["spec"] = spec.clone();
        }
    }
    if (info.has_generation || info.crd.is_some())
        && object::spec_part(old) != object::spec_part(new)
    {
        let generation = old_meta
            .get("generation")
            .and_then(|g| g.as_i64())
            .unwrap_or(0)
            + 1;
        object::meta_mut(new).insert("generation".into(), json!(generation));
    }
    if info.group == "apiextensions.k8s.io" && info.resource == "customresourcedefinitions" {
        new["status"] = crd::initial_status(new);
    }
}

pub(crate) fn managed_fields_update(
    req: &Request<'_>,
    old: Option<&Value>,
    new: &mut Value,
    manager: &str,
) {
    let ti = type_info(&req.info);
    machinery::apply::update_managed_fields(
        old,
        new,
        manager,
        machinery::apply::Operation::Update,
        req.path.subresource.as_deref(),
        ti.as_ref(),
        &object::now(),
    );
}

fn created(req: &Request<'_>, obj: &Value, warnings: &[String]) -> Response {
    let out = present(&req.info, obj);
    json_response(StatusCode::CREATED, &out, warnings)
}

async fn create(req: &Request<'_>, body: Bytes) -> ApiResult<Response> {
    let obj = parse_body(&req.headers, &body)?;
    create_object(req, obj, None).await
}

/// Create `obj` (already decoded). `manager_fields` short-circuits managedFields for
/// server-side apply, which computed them itself.
async fn create_object(
    req: &Request<'_>,
    mut obj: Value,
    applied: Option<()>,
) -> ApiResult<Response> {
    let warnings = check_unknown_fields(req, &mut obj)?;
    check_identity(req, &mut obj)?;
    if req.info.crd.is_some()
        && let SchemaSource::Crd(schema) = &req.info.schema
    {
        crd_structural_defaults(&mut obj, schema);
    }
    prepare_for_create(req, &mut obj)?;
    apply_builtin_defaults(req, None, &mut obj)?;
    if req.info.group.is_empty() && req.info.kind == "Service" {
        crate::services::allocate(&req.state.cache, &mut obj)?;
    }
    if applied.is_none() {
        let manager = field_manager(req)?;
        managed_fields_update(req, None, &mut obj, &manager);
    }
    validate(req, None, &obj)?;
    if object::name(&obj).is_empty() {
        return Err(ApiError::invalid(
            &req.info,
            "",
            "metadata.name: Required value: name or generateName is required",
        ));
    }
    ensure_namespace(req, &obj).await?;
    let stored = ingest(&req.info, obj);
    if req.query.dry_run()? {
        // A dry run answers what the real request would: an existing object is a conflict.
        let name = object::name(&stored).to_string();
        if req.state.store.get(&key_for(req, &name)).await?.is_some() {
            return Err(ApiError::already_exists(&req.info, &name));
        }
        return Ok(created(req, &stored, &warnings));
    }
    let name = object::name(&stored).to_string();
    let key = key_for(req, &name);
    let kv = match req.state.store.create(&key, encode(&stored)).await {
        Ok(kv) => kv,
        Err(StorageError::AlreadyExists { .. }) => {
            return Err(ApiError::already_exists(&req.info, &name));
        }
        Err(e) => return Err(e.into()),
    };
    let mut out = stored;
    cache::set_resource_version(&mut out, kv.mod_revision);
    crate::server::after_write(req.state, &req.info, None, Some(&out)).await;
    Ok(created(req, &out, &warnings))
}

async fn update(req: &Request<'_>, name: &str, body: Bytes) -> ApiResult<Response> {
    let mut new = parse_body(&req.headers, &body)?;
    let warnings = check_unknown_fields(req, &mut new)?;
    check_identity(req, &mut new)?;
    let body_name = object::name(&new);
    if body_name != name {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({body_name}) does not match the name on the URL ({name})"
        )));
    }
    let precondition: Option<Revision> = object::meta_str(&new, "resourceVersion")
        .map(|rv| {
            rv.parse()
                .map_err(|_| ApiError::bad_request(format!("invalid resourceVersion {rv:?}")))
        })
        .transpose()?;
    let new = if req.info.is_event_v1() {
        events::to_core(&new)
    } else {
        new
    };
    let manager = field_manager(req)?;
    write_update(req, name, precondition, warnings, false, |old| {
        let mut next = new.clone();
        managed_fields_update(req, Some(old), &mut next, &manager);
        Ok(next)
    })
    .await
}

/// The shared read-modify-write loop of update and patch: read the current object, compute the
/// new one with `mutate`, and write it guarded by the read revision. Conflicts retry unless the
/// client pinned a resourceVersion.
pub(crate) async fn write_update(
    req: &Request<'_>,
    name: &str,
    precondition: Option<Revision>,
    mut warnings: Vec<String>,
    check_result: bool,
    mutate: impl Fn(&Value) -> ApiResult<Value>,
) -> ApiResult<Response> {
    let dry_run = req.query.dry_run()?;
    for _attempt in 0..16 {
        let (old, kv) = read(req, name).await?;
        if let Some(rv) = precondition
            && rv != kv.mod_revision
        {
            return Err(ApiError::modified(&req.info, name));
        }
        let mut new = mutate(&old)?;
        if check_result {
            // Patches are judged by what they produce, as kube-apiserver decodes the patched
            // object strictly (patch directives never reach this point).
            let mut presented = present(&req.info, &new);
            warnings = check_unknown_fields(req, &mut presented)?;
            new = presented;
        }
        if req.info.crd.is_some()
            && req.path.subresource.is_none()
            && let SchemaSource::Crd(schema) = &req.info.schema
        {
            crd_structural_defaults(&mut new, schema);
        }
        apply_builtin_defaults(req, Some(&old), &mut new)?;
        prepare_for_update(req, &old, &mut new);
        // Make the comparison below independent of the resourceVersion the client sent.
        cache::set_resource_version(&mut new, kv.mod_revision);
        validate(req, Some(&old), &new)?;
        let stored = ingest(&req.info, new);
        if stored == old {
            // Nothing changed: no write, no new revision, no watch event (as kube-apiserver).
            return Ok(json_response(
                StatusCode::OK,
                &present(&req.info, &stored),
                &warnings,
            ));
        }
        if dry_run {
            return Ok(json_response(
                StatusCode::OK,
                &present(&req.info, &stored),
                &warnings,
            ));
        }
        let key = key_for(req, name);
        // An object being deleted whose last finalizer is gone is removed now.
        if object::is_deleting(&stored) && object::finalizers(&stored).is_empty() {
            match req.state.store.delete(&key, Some(kv.mod_revision)).await {
                Ok(deleted) => {
                    let mut out = stored;
                    cache::set_resource_version(&mut out, deleted.mod_revision);
                    crate::server::after_write(req.state, &req.info, Some(&old), None).await;
                    return Ok(json_response(
                        StatusCode::OK,
                        &present(&req.info, &out),
                        &warnings,
                    ));
                }
                Err(StorageError::Conflict { .. }) if precondition.is_none() => continue,
                Err(StorageError::Conflict { .. }) => {
                    return Err(ApiError::modified(&req.info, name));
                }
                Err(StorageError::NotFound { .. }) => {
                    return Err(ApiError::not_found(&req.info, name));
                }
                Err(e) => return Err(e.into()),
            }
        }
        match req
            .state
            .store
            .update(&key, encode(&stored), kv.mod_revision)
            .await
        {
            Ok(written) => {
                let mut out = stored;
                cache::set_resource_version(&mut out, written.mod_revision);
                crate::server::after_write(req.state, &req.info, Some(&old), Some(&out)).await;
                return Ok(json_response(
                    StatusCode::OK,
                    &present(&req.info, &out),
                    &warnings,
                ));
            }
            Err(StorageError::Conflict { .. }) if precondition.is_none() => continue,
            Err(StorageError::Conflict { .. }) => return Err(ApiError::modified(&req.info, name)),
            Err(StorageError::NotFound { .. }) => return Err(ApiError::not_found(&req.info, name)),
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::conflict(
        &req.info,
        name,
        "too many concurrent updates; try again",
    ))
}

async fn patch(req: &Request<'_>, name: &str, body: Bytes) -> ApiResult<Response> {
    let ct = content_type(&req.headers);
    let manager = field_manager(req);
    match ct.as_str() {
        "application/apply-patch+yaml" | "application/apply-patch+cbor" => {
            let manager = req.query.get("fieldManager").ok_or_else(|| {
                ApiError::bad_request("PATCH requests with apply content type require fieldManager")
            })?;
            return apply(req, name, &body, manager.to_string()).await;
        }
        "application/json-patch+json" | "application/merge-patch+json" => {}
        "application/strategic-merge-patch+json" => {
            if type_info(&req.info).is_none() || req.info.crd.is_some() {
                return Err(ApiError::unsupported_media_type(format!(
                    "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml (strategic merge patch is not supported for {})",
                    req.info.qualified_resource()
                )));
            }
        }
        other => {
            return Err(ApiError::unsupported_media_type(format!(
                "the body of the request was in an unknown format ({other}) - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json"
            )));
        }
    }
    let manager = manager?;
    let patch: Value = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad_request(format!(
            "the body of the request could not be decoded: json parse error: {e}"
        ))
    })?;
    let precondition: Option<Revision> = patch
        .get("metadata")
        .and_then(|m| m.get("resourceVersion"))
        .and_then(|rv| rv.as_str())
        .and_then(|rv| rv.parse().ok());
    let info = Arc::clone(&req.info);
    let ti = type_info(&info);
    write_update(req, name, precondition, Vec::new(), true, |old| {
        let current = present(&info, old);
        let mut patched = match ct.as_str() {
            "application/json-patch+json" => {
                let ops: json_patch::Patch =
                    serde_json::from_value(patch.clone()).map_err(|e| {
                        ApiError::bad_request(format!(
                            "the body of the request could not be decoded as a JSON patch: {e}"
                        ))
                    })?;
                let mut doc = current.clone();
                apply_json_patch(&mut doc, &ops).map_err(|e| match e.kind {
                    json_patch::PatchErrorKind::TestFailed => ApiError::invalid(
                        &info,
                        name,
                        format!(
                            "the server rejected our request due to an error in our request: {e}"
                        ),
                    ),
                    _ => ApiError::new(
                        422,
                        "Invalid",
                        format!(
                            "the server rejected our request due to an error in our request: {e}"
                        ),
                    ),
                })?;
                doc
            }
            "application/merge-patch+json" => {
                let mut doc = current.clone();
                json_patch::merge(&mut doc, &patch);
                doc
            }
            _ => {
                let ti = ti.as_ref().expect("checked above");
                machinery::strategic::strategic_merge_patch(&current, &patch, ti)
                    .map_err(|e| ApiError::bad_request(e.to_string()))?
            }
        };
        if let Some(map) = patched.as_object_mut() {
            map.insert("apiVersion".into(), Value::String(info.api_version()));
            map.insert("kind".into(), Value::String(info.kind.clone()));
        }
        let mut stored_form = if info.is_event_v1() {
            events::to_core(&patched)
        } else {
            patched
        };
        managed_fields_update(req, Some(old), &mut stored_form, &manager);
        Ok(stored_form)
    })
    .await
}

/// Server-side apply: create if absent, otherwise merge with field ownership.
async fn apply(req: &Request<'_>, name: &str, body: &[u8], manager: String) -> ApiResult<Response> {
    let applied = parse_yaml(body)?;
    if !applied.is_object() {
        return Err(ApiError::bad_request(
            "the body of the apply patch must be an object",
        ));
    }
    let mut applied = applied;
    let warnings = check_unknown_fields(req, &mut applied)?;
    check_identity(req, &mut applied)?;
    let body_name = object::name(&applied).to_string();
    if body_name.is_empty() {
        object::meta_mut(&mut applied).insert("name".into(), Value::String(name.to_string()));
    } else if body_name != name {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({body_name}) does not match the name on the URL ({name})"
        )));
    }
    let force = req.query.flag("force");
    let ti = type_info(&req.info);
    let now = object::now();
    let info = Arc::clone(&req.info);
    let conflicts = |e: machinery::apply::ApplyError| -> ApiError {
        let message = e.to_string();
        match e {
            machinery::apply::ApplyError::Conflicts(conflicts) => {
                let causes: Vec<Value> = conflicts
                    .iter()
                    .map(|c| json!({"reason": "FieldManagerConflict", "message": c.cause_message(), "field": c.field}))
                    .collect();
                ApiError::new(409, "Conflict", message).with_details(
                    json!({"name": name, "group": info.group, "kind": info.resource, "causes": causes}),
                )
            }
            _ => ApiError::invalid(&info, name, message),
        }
    };
    let key = key_for(req, name);
    if req.state.store.get(&key).await?.is_none() {
        let created =
            machinery::apply::server_side_apply(None, &applied, &manager, force, ti.as_ref(), &now)
                .map_err(conflicts)?;
        match create_object(req, created, Some(())).await {
            Err(e) if e.code == 409 && e.reason == "AlreadyExists" => {}
            other => return other,
        }
    }
    write_update(req, name, None, warnings, false, |old| {
        let live = present(&info, old);
        let mut merged = machinery::apply::server_side_apply(
            Some(&live),
            &applied,
            &manager,
            force,
            ti.as_ref(),
            &now,
        )
        .map_err(conflicts)?;
        if info.is_event_v1() {
            merged = events::to_core(&merged);
        }
        Ok(merged)
    })
    .await
}

/// DeleteOptions from the body or the query.
struct DeleteOptions {
    propagation: Option<String>,
    uid: Option<String>,
    resource_version: Option<String>,
    dry_run: bool,
}

fn delete_options(req: &Request<'_>, body: &[u8]) -> ApiResult<DeleteOptions> {
    let mut opts = DeleteOptions {
        propagation: req.query.get("propagationPolicy").map(String::from),
        uid: None,
        resource_version: None,
        dry_run: req.query.dry_run()?,
    };
    if !body.iter().all(|b| b.is_ascii_whitespace()) {
        let v: Value = serde_json::from_slice(body).map_err(|e| {
            ApiError::bad_request(format!(
                "the body of the request could not be decoded as DeleteOptions: {e}"
            ))
        })?;
        if let Some(p) = v.get("propagationPolicy").and_then(|p| p.as_str()) {
            opts.propagation = Some(p.to_string());
        }
        if v.get("orphanDependents").and_then(|o| o.as_bool()) == Some(true) {
            opts.propagation = Some("Orphan".into());
        }
        if let Some(pre) = v.get("preconditions") {
            opts.uid = pre.get("uid").and_then(|u| u.as_str()).map(String::from);
            opts.resource_version = pre
                .get("resourceVersion")
                .and_then(|u| u.as_str())
                .map(String::from);
        }
        if let Some(dr) = v.get("dryRun").and_then(|d| d.as_array())
            && dr.iter().any(|d| d == "All")
        {
            opts.dry_run = true;
        }
    }
    if let Some(p) = &opts.propagation
        && !matches!(p.as_str(), "Orphan" | "Background" | "Foreground")
    {
        return Err(ApiError::invalid(
            &req.info,
            "",
            format!(
                "propagationPolicy: Unsupported value: {p:?}: supported values: \"Foreground\", \"Background\", \"Orphan\""
            ),
        ));
    }
    Ok(opts)
}

async fn delete(req: &Request<'_>, name: &str, body: Bytes) -> ApiResult<Response> {
    let opts = delete_options(req, &body)?;
    delete_one(req, name, &opts).await
}

async fn delete_one(req: &Request<'_>, name: &str, opts: &DeleteOptions) -> ApiResult<Response> {
    for _attempt in 0..16 {
        let (old, kv) = read(req, name).await?;
        if let Some(uid) = &opts.uid {
            let actual = object::meta_str(&old, "uid").unwrap_or("");
            if uid != actual {
                return Err(ApiError::conflict(
                    &req.info,
                    name,
                    &format!(
                        "Precondition failed: UID in precondition: {uid}, UID in object meta: {actual}"
                    ),
                ));
            }
        }
        if let Some(rv) = &opts.resource_version
            && *rv != kv.mod_revision.to_string()
        {
            return Err(ApiError::conflict(
                &req.info,
                name,
                &format!(
                    "Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {}",
                    kv.mod_revision
                ),
            ));
        }
        let key = key_for(req, name);
        let mut finalizers = object::finalizers(&old);
        match opts.propagation.as_deref() {
            Some("Orphan") if !finalizers.iter().any(|f| f == "orphan") => {
                finalizers.push("orphan".into())
            }
            Some("Foreground") if !finalizers.iter().any(|f| f == "foregroundDeletion") => {
                finalizers.push("foregroundDeletion".into())
            }
            _ => {}
        }
        let is_namespace = req.info.group.is_empty() && req.info.resource == "namespaces";
        // A namespace, or an object with finalizers, is only marked: whoever owns the
        // finalizers (for namespaces, the lifecycle controller) finishes the deletion.
        let marked = if is_namespace && !object::is_deleting(&old) {
            let mut next = old.clone();
            object::meta_mut(&mut next).insert("deletionTimestamp".into(), json!(object::now()));
            next["status"] = json!({"phase": "Terminating"});
            Some(next)
        } else if !finalizers.is_empty() || is_namespace {
            let mut next = old.clone();
            let meta = object::meta_mut(&mut next);
            if !meta.contains_key("deletionTimestamp") {
                meta.insert("deletionTimestamp".into(), json!(object::now()));
                meta.insert("deletionGracePeriodSeconds".into(), json!(0));
            }
            if !finalizers.is_empty() {
                meta.insert("finalizers".into(), json!(finalizers));
            }
            Some(next)
        } else {
            None
        };
        if let Some(mut next) = marked {
            if opts.dry_run || next == old {
                return Ok(json_response(
                    StatusCode::OK,
                    &present(&req.info, &next),
                    &[],
                ));
            }
            match req
                .state
                .store
                .update(&key, encode(&next), kv.mod_revision)
                .await
            {
                Ok(w) => {
                    cache::set_resource_version(&mut next, w.mod_revision);
                    return Ok(json_response(
                        StatusCode::OK,
                        &present(&req.info, &next),
                        &[],
                    ));
                }
                Err(StorageError::Conflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        if opts.dry_run {
            return Ok(json_response(
                StatusCode::OK,
                &present(&req.info, &old),
                &[],
            ));
        }
        match req.state.store.delete(&key, Some(kv.mod_revision)).await {
            Ok(deleted) => {
                let mut out = old.clone();
                cache::set_resource_version(&mut out, deleted.mod_revision);
                crate::server::after_write(req.state, &req.info, Some(&old), None).await;
                return Ok(json_response(
                    StatusCode::OK,
                    &present(&req.info, &out),
                    &[],
                ));
            }
            Err(StorageError::Conflict { .. }) => continue,
            Err(StorageError::NotFound { .. }) => return Err(ApiError::not_found(&req.info, name)),
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::conflict(
        &req.info,
        name,
        "too many concurrent updates; try again",
    ))
}

async fn delete_collection(req: &Request<'_>, body: Bytes) -> ApiResult<Response> {
    let opts = delete_options(req, &body)?;
    let filter = Filter::from_query(&req.query)?;
    req.state.cache.sync().await;
    let (objects, rev) = req.state.cache.list(&list_prefix(req), None);
    let mut deleted = Vec::new();
    for cached in objects.iter().filter(|c| filter.matches(&c.object)) {
        let name = object::name(&cached.object).to_string();
        let sub = Request {
            state: req.state,
            info: Arc::clone(&req.info),
            path: ResourcePath {
                namespace: object::namespace(&cached.object).map(String::from),
                ..req.path.clone()
            },
            query: req.query.clone(),
            headers: req.headers.clone(),
        };
        match delete_one(&sub, &name, &opts).await {
            Ok(_) => deleted.push(present(&req.info, &cached.object)),
            Err(e) if e.code == 404 => {}
            Err(e) => return Err(e),
        }
    }
    let meta = json!({"resourceVersion": rev.to_string()});
    Ok(json_response(
        StatusCode::OK,
        &render(req, deleted, Some(meta)),
        &[],
    ))
}
