//! Server side of strategic merge patch (`application/strategic-merge-patch+json`), as
//! kube-apiserver applies it (k8s.io/apimachinery/pkg/util/strategicpatch with
//! `MergeParallelList` and `IgnoreUnmatchedNulls` on).
//!
//! Maps merge recursively and `null` deletes a key. A list's strategy comes from [`TypeInfo`]:
//! merge-keyed lists merge item by item, primitive lists with the merge strategy are unioned,
//! everything else is replaced. Directives: `$patch: replace|delete|merge`, `$retainKeys`,
//! `$setElementOrder/<list>` and `$deleteFromPrimitiveList/<list>`. Directive keys never reach
//! the result, so the output can be stored as is.
//!
//! Knowing deviations from Go: `$patch: merge` is accepted (Go rejects it in lists and maps) and
//! means the default merge; unknown fields merge as maps / replace as lists instead of failing
//! the lookup (unknown fields are the validator's job).

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use crate::typeinfo::{PatchStrategy, TypeInfo, TypeRef};

const DIRECTIVE: &str = "$patch";
const RETAIN_KEYS: &str = "$retainKeys";
const SET_ELEMENT_ORDER: &str = "$setElementOrder/";
const DELETE_FROM_PRIMITIVE_LIST: &str = "$deleteFromPrimitiveList/";

/// Patches nest at most this deep; parsed JSON is limited to 128 levels anyway, this guards
/// values built in memory against exhausting the stack.
pub const MAX_DEPTH: usize = 200;

/// Why a strategic merge patch cannot be applied. Messages name the offending path so they can be
/// returned to the client unchanged (as a 400 BadRequest or 422 Invalid `Status`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatchError {
    /// The body is valid JSON but not an object.
    #[error("strategic merge patch must be a JSON object, got {found}")]
    PatchNotAnObject { found: &'static str },
    /// The stored object is not an object (cannot happen for stored Kubernetes objects).
    #[error("the object to patch must be a JSON object, got {found}")]
    OriginalNotAnObject { found: &'static str },
    /// `$patch` with an unknown value.
    #[error("invalid $patch directive {value} at {path}: use \"replace\", \"delete\" or \"merge\"")]
    UnknownDirective { path: String, value: String },
    /// `$retainKeys`, `$setElementOrder/...` and `$deleteFromPrimitiveList/...` take lists.
    #[error("{directive} at {path} must be a list, got {found}")]
    DirectiveNotAList {
        directive: String,
        path: String,
        found: &'static str,
    },
    /// `$retainKeys` must name every field the same patch sets.
    #[error(
        "invalid $retainKeys at {path}: the patch sets {field:?} but $retainKeys does not list it; add it to $retainKeys"
    )]
    RetainKeysMissingField { path: String, field: String },
    /// An item of a merge-keyed list without its key.
    #[error(
        "list item {path} has no merge key {key:?}; every item of this list must set {key:?} (or the list must be sent with \"$patch\": \"replace\")"
    )]
    MissingMergeKey { path: String, key: String },
    /// A merge list of objects for which no merge key is known.
    #[error(
        "cannot merge list {path}: its items are objects but it has no merge key; send the whole list with \"$patch\": \"replace\""
    )]
    NoMergeKey { path: String },
    /// Items of different JSON types in a merge list.
    #[error(
        "cannot merge list {path}: it mixes {first} and {second} items; all items must have the same type"
    )]
    MixedList {
        path: String,
        first: &'static str,
        second: &'static str,
    },
    /// `$setElementOrder` disagrees with the patch list.
    #[error(
        "the order of items in patch list {path} doesn't match $setElementOrder/{field}: every patched item must appear in $setElementOrder/{field} in the same relative order"
    )]
    ElementOrderMismatch { path: String, field: String },
    /// Nesting beyond [`MAX_DEPTH`].
    #[error("patch is nested more than {max} levels deep at {path}")]
    TooDeep { path: String, max: usize },
}

/// Applies a strategic merge patch to `original` (a whole object) using `info` for list
/// semantics. Use [`TypeInfo::untyped`] to get SMP directives with JSON-merge-like lists.
pub fn strategic_merge_patch(
    original: &Value,
    patch: &Value,
    info: &TypeInfo,
) -> Result<Value, PatchError> {
    let Value::Object(patch) = patch else {
        return Err(PatchError::PatchNotAnObject {
            found: type_name(patch),
        });
    };
    let original = match original {
        Value::Object(m) => m.clone(),
        Value::Null => Map::new(),
        other => {
            return Err(PatchError::OriginalNotAnObject {
                found: type_name(other),
            });
        }
    };
    merge_map(original, patch, info.root(), &At::ROOT).map(Value::Object)
}

/// Where in the document we are, for error messages; a linked list on the stack so the path is
/// only rendered when an error is returned.
struct At<'p> {
    parent: Option<&'p At<'p>>,
    seg: Seg<'p>,
    depth: usize,
}

enum Seg<'p> {
    Root,
    Field(&'p str),
    Index(usize),
}

impl<'p> At<'p> {
    const ROOT: At<'static> = At {
        parent: None,
        seg: Seg::Root,
        depth: 0,
    };

    fn field<'q>(&'q self, name: &'q str) -> At<'q> {
        At {
            parent: Some(self),
            seg: Seg::Field(name),
            depth: self.depth + 1,
        }
    }

    fn index<'q>(&'q self, i: usize) -> At<'q> {
        At {
            parent: Some(self),
            seg: Seg::Index(i),
            depth: self.depth + 1,
        }
    }

    fn render(&self) -> String {
        let mut segs = Vec::new();
        let mut at = Some(self);
        while let Some(a) = at {
            match a.seg {
                Seg::Root => {}
                Seg::Field(name) => segs.push(format!(".{name}")),
                Seg::Index(i) => segs.push(format!("[{i}]")),
            }
            at = a.parent;
        }
        if segs.is_empty() {
            return ".".to_string();
        }
        segs.reverse();
        segs.concat()
    }

    fn check_depth(&self) -> Result<(), PatchError> {
        if self.depth > MAX_DEPTH {
            return Err(PatchError::TooDeep {
                path: self.render(),
                max: MAX_DEPTH,
            });
        }
        Ok(())
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "object",
    }
}

fn merge_map(
    mut original: Map<String, Value>,
    patch: &Map<String, Value>,
    ty: TypeRef<'_>,
    at: &At<'_>,
) -> Result<Map<String, Value>, PatchError> {
    at.check_depth()?;
    if let Some(directive) = patch.get(DIRECTIVE) {
        match directive.as_str() {
            Some("replace") => {
                // The patch (minus the directive) is the new value; process it against nothing so
                // nested directives and nulls do not leak into the result.
                let mut rest = patch.clone();
                rest.shift_remove(DIRECTIVE);
                return merge_map(Map::new(), &rest, ty, at);
            }
            // Go returns an empty map rather than removing the key; kept for compatibility.
            Some("delete") => return Ok(Map::new()),
            Some("merge") => {}
            _ => {
                return Err(PatchError::UnknownDirective {
                    path: at.render(),
                    value: directive.to_string(),
                });
            }
        }
    }

    if let Some(keep) = patch.get(RETAIN_KEYS) {
        let keep: &[Value] = match keep {
            Value::Array(list) => list,
            Value::Null => &[],
            other => {
                return Err(PatchError::DirectiveNotAList {
                    directive: RETAIN_KEYS.to_string(),
                    path: at.render(),
                    found: type_name(other),
                });
            }
        };
        let kept = |k: &str| keep.iter().any(|x| x.as_str() == Some(k));
        // Like Go: a patch that sets a field its own $retainKeys would drop is contradictory.
        if let Some((field, _)) = patch.iter().find(|(k, v)| {
            !v.is_null()
                && k.as_str() != DIRECTIVE
                && k.as_str() != RETAIN_KEYS
                && !k.starts_with(SET_ELEMENT_ORDER)
                && !k.starts_with(DELETE_FROM_PRIMITIVE_LIST)
                && !kept(k)
        }) {
            return Err(PatchError::RetainKeysMissingField {
                path: at.render(),
                field: field.clone(),
            });
        }
        original.retain(|k, _| kept(k));
    }

    // `$setElementOrder/<list>` first: it merges its list (if patched) and fixes the order, and
    // the main loop then leaves that list alone.
    let mut ordered: HashSet<&str> = HashSet::new();
    for (key, order) in patch {
        let Some(field) = key.strip_prefix(SET_ELEMENT_ORDER) else {
            continue;
        };
        let Value::Array(order) = order else {
            return Err(PatchError::DirectiveNotAList {
                directive: key.clone(),
                path: at.render(),
                found: type_name(order),
            });
        };
        if set_element_order(&mut original, patch, field, order, ty.field(field), at)? {
            ordered.insert(field);
        }
    }

    for (key, value) in patch {
        if key == DIRECTIVE
            || key == RETAIN_KEYS
            || key.starts_with(SET_ELEMENT_ORDER)
            || ordered.contains(key.as_str())
        {
            continue;
        }
        if let Some(field) = key.strip_prefix(DELETE_FROM_PRIMITIVE_LIST) {
            let Value::Array(remove) = value else {
                return Err(PatchError::DirectiveNotAList {
                    directive: key.clone(),
                    path: at.render(),
                    found: type_name(value),
                });
            };
            if let Some(Value::Array(list)) = original.get_mut(field) {
                list.retain(|item| !remove.contains(item));
            }
            continue;
        }
        if value.is_null() {
            original.shift_remove(key);
            continue;
        }
        let fty = ty.field(key);
        let fat = at.field(key);
        let merged = match (original.get_mut(key), value) {
            (Some(Value::Object(o)), Value::Object(p)) => {
                Value::Object(merge_map(std::mem::take(o), p, fty, &fat)?)
            }
            (Some(Value::Array(o)), Value::Array(p)) => {
                Value::Array(merge_list(std::mem::take(o), p, fty, &fat)?)
            }
            // Absent, or a different type: the patch value wins, minus its directives.
            _ => fresh(value, fty, &fat)?,
        };
        // Inserting an existing key keeps its position, so field order stays stable.
        original.insert(key.clone(), merged);
    }
    Ok(original)
}

/// A patch value with nothing to merge into: directives are processed against emptiness.
fn fresh(value: &Value, ty: TypeRef<'_>, at: &At<'_>) -> Result<Value, PatchError> {
    Ok(match value {
        Value::Object(p) => Value::Object(merge_map(Map::new(), p, ty, at)?),
        Value::Array(p) => Value::Array(merge_list(Vec::new(), p, ty, at)?),
        other => other.clone(),
    })
}

/// Handles `$setElementOrder/<field>`; returns whether `field` was merged here.
fn set_element_order(
    original: &mut Map<String, Value>,
    patch: &Map<String, Value>,
    field: &str,
    order: &[Value],
    ty: TypeRef<'_>,
    at: &At<'_>,
) -> Result<bool, PatchError> {
    let merge_key = match ty.patch_strategy() {
        PatchStrategy::MergeByKey(k) => Some(k.as_str()),
        PatchStrategy::MergePrimitives => None,
        // A replaced list is whatever the patch says, in the patch's order.
        PatchStrategy::Replace => return Ok(false),
    };
    let fat = at.field(field);
    let patch_list = match patch.get(field) {
        Some(Value::Array(list)) => Some(list.as_slice()),
        None => None,
        // `null` or a scalar replaces the list; the main loop does that.
        Some(_) => return Ok(false),
    };
    let original_list = match original.get(field) {
        Some(Value::Array(list)) => Some(list.clone()),
        _ => None,
    };
    if let Some(list) = patch_list {
        validate_order(list, order, merge_key, field, &fat)?;
    }
    let merged = match (original_list.clone(), patch_list) {
        (Some(o), None) => o,
        (None, Some(p)) => merge_list(Vec::new(), p, ty, &fat)?,
        (Some(o), Some(p)) => merge_list(o, p, ty, &fat)?,
        (None, None) => return Ok(false),
    };
    let order_ids: Vec<Option<&Value>> = order.iter().map(|v| ident(v, merge_key)).collect();
    let server_ids: Vec<Option<&Value>> = original_list
        .as_deref()
        .unwrap_or_default()
        .iter()
        .map(|v| ident(v, merge_key))
        .collect();
    let normalized = normalize(merged, &order_ids, &server_ids, merge_key);
    original.insert(field.to_string(), Value::Array(normalized));
    Ok(true)
}

/// The identity of a list item: its merge key's value, or the item itself for primitives.
fn ident<'v>(item: &'v Value, merge_key: Option<&str>) -> Option<&'v Value> {
    match merge_key {
        Some(key) => item.get(key),
        None => Some(item),
    }
}

/// Hashable form of an identity (JSON values are not `Hash`).
fn id_string(id: Option<&Value>) -> Option<String> {
    id.map(Value::to_string)
}

/// Go's `validatePatchWithSetOrderList`: patched items (other than deletions) must appear in
/// `$setElementOrder` in the same relative order.
fn validate_order(
    patch: &[Value],
    order: &[Value],
    merge_key: Option<&str>,
    field: &str,
    at: &At<'_>,
) -> Result<(), PatchError> {
    if order.is_empty() || patch.is_empty() {
        return Ok(());
    }
    let items: Vec<&Value> = patch
        .iter()
        .filter(|item| item.get(DIRECTIVE).is_none())
        .collect();
    if let Some(key) = merge_key
        && let Some(i) = patch
            .iter()
            .position(|item| item.get(DIRECTIVE).is_none() && item.get(key).is_none())
    {
        return Err(PatchError::MissingMergeKey {
            path: at.index(i).render(),
            key: key.to_string(),
        });
    }
    let (mut p, mut o) = (0, 0);
    while p < items.len() && o < order.len() {
        if ident(items[p], merge_key) == ident(&order[o], merge_key) {
            p += 1;
        }
        o += 1;
    }
    if p < items.len() {
        return Err(PatchError::ElementOrderMismatch {
            path: at.render(),
            field: field.to_string(),
        });
    }
    Ok(())
}

fn merge_list(
    original: Vec<Value>,
    patch: &[Value],
    ty: TypeRef<'_>,
    at: &At<'_>,
) -> Result<Vec<Value>, PatchError> {
    at.check_depth()?;
    let merge_key = match ty.patch_strategy() {
        PatchStrategy::Replace => return replace_list(patch, ty, at),
        PatchStrategy::MergePrimitives => None,
        PatchStrategy::MergeByKey(k) => Some(k.as_str()),
    };
    if original.is_empty() && patch.is_empty() {
        return Ok(original);
    }
    let objects = element_kind(&original, patch, at)?;
    if !objects {
        return Ok(merge_primitives(original, patch));
    }
    let Some(key) = merge_key else {
        return Err(PatchError::NoMergeKey { path: at.render() });
    };
    merge_keyed(original, patch, key, ty, at)
}

/// Checks all items share one JSON type; returns whether they are objects.
fn element_kind(original: &[Value], patch: &[Value], at: &At<'_>) -> Result<bool, PatchError> {
    let mut first: Option<&'static str> = None;
    for item in original.iter().chain(patch) {
        let kind = type_name(item);
        match first {
            None => first = Some(kind),
            Some(f) if f != kind => {
                return Err(PatchError::MixedList {
                    path: at.render(),
                    first: f,
                    second: kind,
                });
            }
            Some(_) => {}
        }
    }
    Ok(first == Some("object"))
}

/// A list without merge strategy: the patch's items, cleaned of directives. Items that are
/// themselves directives (`{"$patch": "delete", ...}`) have no meaning in a replaced list.
fn replace_list(patch: &[Value], ty: TypeRef<'_>, at: &At<'_>) -> Result<Vec<Value>, PatchError> {
    let mut out = Vec::with_capacity(patch.len());
    for (i, item) in patch.iter().enumerate() {
        let directive = item.get(DIRECTIVE).and_then(Value::as_str);
        if matches!(directive, Some("delete" | "replace")) {
            continue;
        }
        out.push(fresh(item, ty.items(), &at.index(i))?);
    }
    Ok(out)
}

/// Union of two primitive lists (first occurrence wins), then ordered like Go: patch items in
/// patch order, server-only items interleaved by their original positions.
fn merge_primitives(original: Vec<Value>, patch: &[Value]) -> Vec<Value> {
    let server_ids: Vec<Option<&Value>> = original.iter().map(Some).collect();
    let patch_ids: Vec<Option<&Value>> = patch.iter().map(Some).collect();
    let mut seen = HashSet::new();
    let merged: Vec<Value> = original
        .iter()
        .chain(patch)
        .filter(|v| seen.insert(v.to_string()))
        .cloned()
        .collect();
    normalize(merged, &patch_ids, &server_ids, None)
}

fn merge_keyed(
    mut original: Vec<Value>,
    patch: &[Value],
    key: &str,
    ty: TypeRef<'_>,
    at: &At<'_>,
) -> Result<Vec<Value>, PatchError> {
    // Special items first (Go's mergeSliceWithSpecialElements).
    let mut items: Vec<(usize, &Map<String, Value>)> = Vec::new();
    let mut replace = false;
    for (i, item) in patch.iter().enumerate() {
        let Value::Object(m) = item else { continue };
        match m.get(DIRECTIVE) {
            None => items.push((i, m)),
            Some(d) => match d.as_str() {
                Some("delete") => {
                    let Some(kv) = m.get(key) else {
                        return Err(PatchError::MissingMergeKey {
                            path: at.index(i).render(),
                            key: key.to_string(),
                        });
                    };
                    original.retain(|o| o.get(key) != Some(kv));
                }
                Some("replace") => replace = true,
                // `{"$patch": "merge"}` alone restates the default; with fields it is an item.
                Some("merge") => {
                    if m.len() > 1 {
                        items.push((i, m));
                    }
                }
                _ => {
                    return Err(PatchError::UnknownDirective {
                        path: at.index(i).render(),
                        value: d.to_string(),
                    });
                }
            },
        }
    }
    if replace {
        let mut out = Vec::with_capacity(items.len());
        for (i, m) in items {
            out.push(Value::Object(merge_map(
                Map::new(),
                m,
                ty.items(),
                &at.index(i),
            )?));
        }
        return Ok(out);
    }

    // Remember the live order before items are merged and appended.
    let server_keys: Vec<Option<Value>> = original.iter().map(|o| o.get(key).cloned()).collect();
    let mut position: HashMap<String, usize> = HashMap::new();
    for (i, id) in server_keys.iter().enumerate() {
        if let Some(id) = id {
            position.entry(id.to_string()).or_insert(i);
        }
    }
    let mut patch_ids: Vec<Value> = Vec::with_capacity(items.len());
    for (i, m) in items {
        let Some(kv) = m.get(key) else {
            return Err(PatchError::MissingMergeKey {
                path: at.index(i).render(),
                key: key.to_string(),
            });
        };
        patch_ids.push(kv.clone());
        let item_at = at.index(i);
        let id = kv.to_string();
        match position.get(&id) {
            Some(&pos) => {
                let merged = match std::mem::take(&mut original[pos]) {
                    Value::Object(o) => merge_map(o, m, ty.items(), &item_at)?,
                    _ => merge_map(Map::new(), m, ty.items(), &item_at)?,
                };
                original[pos] = Value::Object(merged);
            }
            None => {
                position.insert(id, original.len());
                original.push(Value::Object(merge_map(
                    Map::new(),
                    m,
                    ty.items(),
                    &item_at,
                )?));
            }
        }
    }
    let server_refs: Vec<Option<&Value>> = server_keys.iter().map(Option::as_ref).collect();
    let patch_refs: Vec<Option<&Value>> = patch_ids.iter().map(Some).collect();
    Ok(normalize(original, &patch_refs, &server_refs, Some(key)))
}

/// Go's `normalizeElementOrder`: items named in `patch_order` come in that order; the others
/// keep their relative order from `server_order` and are interleaved where they were.
fn normalize(
    merged: Vec<Value>,
    patch_order: &[Option<&Value>],
    server_order: &[Option<&Value>],
    merge_key: Option<&str>,
) -> Vec<Value> {
    let index = |ids: &[Option<&Value>]| -> HashMap<String, usize> {
        let mut m = HashMap::new();
        for (i, id) in ids.iter().enumerate() {
            if let Some(s) = id_string(*id) {
                m.entry(s).or_insert(i);
            }
        }
        m
    };
    let patch_pos = index(patch_order);
    let server_pos = index(server_order);
    let id_of = |v: &Value| id_string(ident(v, merge_key));

    let (mut patch_items, mut server_only): (Vec<Value>, Vec<Value>) = merged
        .into_iter()
        .partition(|v| id_of(v).is_some_and(|id| patch_pos.contains_key(&id)));
    let pos_in = |m: &HashMap<String, usize>, v: &Value| {
        id_of(v)
            .and_then(|id| m.get(&id).copied())
            .unwrap_or(usize::MAX)
    };
    patch_items.sort_by_key(|v| pos_in(&patch_pos, v));
    server_only.sort_by_key(|v| pos_in(&server_pos, v));

    // Go's mergeSortedSlice: take a server-only item first when it precedes the next patch item
    // in the live list; otherwise the patch item goes first.
    let mut out = Vec::with_capacity(patch_items.len() + server_only.len());
    let mut left = server_only.into_iter().peekable();
    let mut right = patch_items.into_iter().peekable();
    loop {
        let take_left = match (left.peek(), right.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(l), Some(r)) => {
                let (li, ri) = (pos_in(&server_pos, l), pos_in(&server_pos, r));
                li != usize::MAX && ri != usize::MAX && li < ri
            }
        };
        let next = if take_left { left.next() } else { right.next() };
        out.extend(next);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::typeinfo::for_kind;
    use serde_json::json;

    fn deployment() -> Value {
        json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web", "tier": "fe"},
                "finalizers": ["a.example.com/x"]},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app": "web"}},
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {
                        "containers": [{
                            "name": "nginx", "image": "nginx:1.25",
                            "ports": [{"containerPort": 80, "protocol": "TCP"}],
                            "imagePullPolicy": "IfNotPresent",
                            "resources": {}
                        }],
                        "tolerations": [{"key": "a", "operator": "Exists"}],
                        "volumes": [{"name": "data", "emptyDir": {}}]
                    }
                }
            }
        })
    }

    fn is_directive_key(key: &str) -> bool {
        key == DIRECTIVE
            || key == RETAIN_KEYS
            || key.starts_with(SET_ELEMENT_ORDER)
            || key.starts_with(DELETE_FROM_PRIMITIVE_LIST)
    }

    fn assert_no_directives(v: &Value, case: &str) {
        match v {
            Value::Object(m) => {
                for (k, child) in m {
                    assert!(!is_directive_key(k), "{case}: directive {k} left in output");
                    assert_no_directives(child, case);
                }
            }
            Value::Array(items) => items.iter().for_each(|i| assert_no_directives(i, case)),
            _ => {}
        }
    }

    fn pointer<'v>(v: &'v Value, p: &str) -> &'v Value {
        v.pointer(p).unwrap_or(&Value::Null)
    }

    #[test]
    fn patches() {
        struct Case {
            name: &'static str,
            patch: Value,
            /// (JSON pointer, expected value) pairs checked on the result.
            expect: Vec<(&'static str, Value)>,
        }
        let cases = vec![
            Case {
                name: "kubectl client-side apply: reorder, add sidecar, update nginx",
                patch: json!({"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}"}},
                    "spec":{"replicas":3,"template":{"spec":{
                        "$setElementOrder/containers":[{"name":"sidecar"},{"name":"nginx"}],
                        "containers":[{"image":"busybox","name":"sidecar"},
                            {"env":[{"name":"A","value":"1"}],"image":"nginx:1.26","name":"nginx"}]}}}}),
                expect: vec![
                    ("/spec/replicas", json!(3)),
                    (
                        "/spec/template/spec/containers/0",
                        json!({"image":"busybox","name":"sidecar"}),
                    ),
                    ("/spec/template/spec/containers/1/name", json!("nginx")),
                    (
                        "/spec/template/spec/containers/1/image",
                        json!("nginx:1.26"),
                    ),
                    (
                        "/spec/template/spec/containers/1/env",
                        json!([{"name":"A","value":"1"}]),
                    ),
                    (
                        "/spec/template/spec/containers/1/imagePullPolicy",
                        json!("IfNotPresent"),
                    ),
                    (
                        "/spec/template/spec/containers/1/ports",
                        json!([{"containerPort": 80, "protocol": "TCP"}]),
                    ),
                    (
                        "/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration",
                        json!("{}"),
                    ),
                    ("/metadata/labels/app", json!("web")),
                ],
            },
            Case {
                name: "label removed via null",
                patch: json!({"metadata": {"labels": {"tier": null}}}),
                expect: vec![("/metadata/labels", json!({"app": "web"}))],
            },
            Case {
                name: "container removed via $patch: delete",
                patch: json!({"spec": {"template": {"spec": {"containers": [
                    {"name": "nginx", "$patch": "delete"}, {"name": "app", "image": "app:1"}]}}}}),
                expect: vec![(
                    "/spec/template/spec/containers",
                    json!([{"name": "app", "image": "app:1"}]),
                )],
            },
            Case {
                name: "retainKeys on strategy type change",
                patch: json!({"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}}),
                expect: vec![("/spec/strategy", json!({"type": "Recreate"}))],
            },
            Case {
                name: "kubectl's retainKeys form with explicit null",
                patch: json!({"spec": {"strategy": {"$retainKeys": ["type"], "rollingUpdate": null, "type": "Recreate"}}}),
                expect: vec![("/spec/strategy", json!({"type": "Recreate"}))],
            },
            Case {
                name: "retainKeys on a volume item switches the source",
                patch: json!({"spec": {"template": {"spec": {"volumes": [
                    {"$retainKeys": ["configMap", "name"], "name": "data", "configMap": {"name": "cfg"}}]}}}}),
                expect: vec![(
                    "/spec/template/spec/volumes",
                    json!([{"name": "data", "configMap": {"name": "cfg"}}]),
                )],
            },
            Case {
                name: "finalizers union and delete from primitive list",
                patch: json!({"metadata": {"finalizers": ["b.example.com/y"],
                    "$deleteFromPrimitiveList/finalizers": ["a.example.com/x"]}}),
                expect: vec![("/metadata/finalizers", json!(["b.example.com/y"]))],
            },
            Case {
                name: "finalizers union keeps server items",
                patch: json!({"metadata": {"finalizers": ["b.example.com/y", "a.example.com/x"]}}),
                expect: vec![(
                    "/metadata/finalizers",
                    json!(["b.example.com/y", "a.example.com/x"]),
                )],
            },
            Case {
                name: "setElementOrder on a primitive list",
                patch: json!({"metadata": {"$setElementOrder/finalizers": ["c", "a.example.com/x"], "finalizers": ["c"]}}),
                expect: vec![("/metadata/finalizers", json!(["c", "a.example.com/x"]))],
            },
            Case {
                name: "$patch: replace on a list",
                patch: json!({"spec": {"template": {"spec": {"containers": [
                    {"$patch": "replace"}, {"name": "only", "image": "x"}]}}}}),
                expect: vec![(
                    "/spec/template/spec/containers",
                    json!([{"name": "only", "image": "x"}]),
                )],
            },
            Case {
                name: "$patch: replace on a map",
                patch: json!({"metadata": {"labels": {"$patch": "replace", "new": "1"}}}),
                expect: vec![("/metadata/labels", json!({"new": "1"}))],
            },
            Case {
                name: "$patch: merge is the default",
                patch: json!({"metadata": {"labels": {"$patch": "merge", "new": "1"}}}),
                expect: vec![(
                    "/metadata/labels",
                    json!({"app": "web", "tier": "fe", "new": "1"}),
                )],
            },
            Case {
                name: "atomic lists are replaced",
                patch: json!({"spec": {"template": {"spec": {"tolerations": [{"key": "b", "operator": "Exists"}]}}}}),
                expect: vec![(
                    "/spec/template/spec/tolerations",
                    json!([{"key": "b", "operator": "Exists"}]),
                )],
            },
            Case {
                // Go's mergeSortedSlice puts a patch item before a server-only item unless both
                // are in the live list; kustomize documents the same "prepend" behaviour.
                name: "new item without setElementOrder goes first, like kube-apiserver",
                patch: json!({"spec": {"template": {"spec": {"containers": [{"name": "side", "image": "b"}]}}}}),
                expect: vec![
                    ("/spec/template/spec/containers/0/name", json!("side")),
                    ("/spec/template/spec/containers/1/name", json!("nginx")),
                ],
            },
            Case {
                name: "new item with setElementOrder is placed where the order says",
                patch: json!({"spec": {"template": {"spec": {
                    "$setElementOrder/containers": [{"name": "nginx"}, {"name": "side"}],
                    "containers": [{"name": "side", "image": "b"}]}}}}),
                expect: vec![
                    ("/spec/template/spec/containers/0/name", json!("nginx")),
                    ("/spec/template/spec/containers/1/name", json!("side")),
                ],
            },
            Case {
                name: "nested keyed list merges by containerPort",
                patch: json!({"spec": {"template": {"spec": {"containers": [
                    {"name": "nginx", "ports": [{"containerPort": 443}]}]}}}}),
                expect: vec![(
                    "/spec/template/spec/containers/0/ports",
                    json!([{"containerPort": 443}, {"containerPort": 80, "protocol": "TCP"}]),
                )],
            },
            Case {
                name: "nested directives inside a new value are processed",
                patch: json!({"spec": {"template": {"spec": {"containers": [
                    {"name": "new", "env": [{"name": "X", "value": "1"}, {"name": "Y", "$patch": "delete"}],
                     "resources": {"$patch": "replace", "limits": {"cpu": "1"}}, "args": null}]}}}}),
                expect: vec![(
                    "/spec/template/spec/containers/0",
                    json!({"name": "new", "env": [{"name": "X", "value": "1"}], "resources": {"limits": {"cpu": "1"}}}),
                )],
            },
            Case {
                name: "dollar keys that are not directives are data",
                patch: json!({"spec": {"schema": {"$ref": "#/x"}}}),
                expect: vec![("/spec/schema", json!({"$ref": "#/x"}))],
            },
        ];
        let info = for_kind("apps", "Deployment").expect("deployment");
        for c in cases {
            let out = strategic_merge_patch(&deployment(), &c.patch, info)
                .unwrap_or_else(|e| panic!("{}: {e}", c.name));
            for (p, want) in &c.expect {
                assert_eq!(pointer(&out, p), want, "{}: {p}\n{out:#}", c.name);
            }
            assert_no_directives(&out, c.name);
        }
    }

    #[test]
    fn ordering_follows_go() {
        struct Case {
            name: &'static str,
            original: Value,
            patch: Value,
            want: Value,
        }
        let names = |v: &[&str]| -> Value { v.iter().map(|n| json!({"name": n})).collect() };
        let cases = [
            Case {
                name: "patch order wins for patched items",
                original: names(&["a", "b"]),
                patch: names(&["b", "a"]),
                want: names(&["b", "a"]),
            },
            Case {
                name: "server-only item keeps its place before patched items",
                original: names(&["a", "b"]),
                patch: names(&["b", "c"]),
                want: names(&["a", "b", "c"]),
            },
            Case {
                name: "new item goes before later server-only items (Go's interleave)",
                original: names(&["b", "a"]),
                patch: names(&["b", "c"]),
                want: names(&["b", "c", "a"]),
            },
        ];
        let info = for_kind("", "Pod").expect("pod");
        for c in cases {
            let original = json!({"spec": {"containers": c.original}});
            let patch = json!({"spec": {"containers": c.patch}});
            let out = strategic_merge_patch(&original, &patch, info).expect(c.name);
            assert_eq!(out["spec"]["containers"], c.want, "{}", c.name);
        }
    }

    #[test]
    fn errors() {
        struct Case {
            name: &'static str,
            patch: Value,
            want: &'static str,
        }
        let cases = [
            Case {
                name: "missing merge key",
                patch: json!({"spec": {"template": {"spec": {"containers": [{"image": "x"}]}}}}),
                want: "list item .spec.template.spec.containers[0] has no merge key \"name\"",
            },
            Case {
                name: "unknown directive",
                patch: json!({"metadata": {"labels": {"$patch": "explode"}}}),
                want: "invalid $patch directive \"explode\" at .metadata.labels",
            },
            Case {
                name: "mixed list",
                patch: json!({"metadata": {"finalizers": [{"a": 1}]}}),
                want: "mixes string and object items",
            },
            Case {
                name: "setElementOrder disagrees",
                patch: json!({"spec": {"template": {"spec": {
                    "$setElementOrder/containers": [{"name": "a"}],
                    "containers": [{"name": "b", "image": "x"}]}}}}),
                want: "doesn't match $setElementOrder/containers",
            },
            Case {
                name: "retainKeys not a list",
                patch: json!({"spec": {"strategy": {"$retainKeys": "type"}}}),
                want: "$retainKeys at .spec.strategy must be a list, got string",
            },
            Case {
                name: "retainKeys contradicts the patch",
                patch: json!({"spec": {"strategy": {"$retainKeys": ["type"], "type": "RollingUpdate",
                    "rollingUpdate": {"maxSurge": 1}}}}),
                want: "the patch sets \"rollingUpdate\" but $retainKeys does not list it",
            },
            Case {
                name: "patch not an object",
                patch: json!([1]),
                want: "strategic merge patch must be a JSON object, got list",
            },
        ];
        let info = for_kind("apps", "Deployment").expect("deployment");
        for c in cases {
            let err = strategic_merge_patch(&deployment(), &c.patch, info)
                .expect_err(c.name)
                .to_string();
            assert!(err.contains(c.want), "{}: got {err:?}", c.name);
        }
    }

    #[test]
    fn untyped_and_other_kinds() {
        // Without type information lists are replaced, directives still work.
        let out = strategic_merge_patch(
            &json!({"spec": {"items": [1, 2], "m": {"a": 1}}}),
            &json!({"spec": {"items": [3], "m": {"b": 2, "a": null}}}),
            &TypeInfo::untyped(),
        )
        .expect("untyped");
        assert_eq!(out, json!({"spec": {"items": [3], "m": {"b": 2}}}));

        let svc = json!({"spec": {"ports": [{"port": 80, "targetPort": 8080}, {"port": 443}]}});
        let patch = json!({"spec": {"ports": [{"port": 80, "targetPort": 9090}]}});
        let out = strategic_merge_patch(&svc, &patch, for_kind("", "Service").expect("svc"))
            .expect("service");
        assert_eq!(
            out["spec"]["ports"],
            json!([{"port": 80, "targetPort": 9090}, {"port": 443}])
        );

        let cm = json!({"metadata": {"ownerReferences": [{"uid": "1", "name": "a"}]}});
        let patch = json!({"metadata": {"ownerReferences": [{"uid": "2", "name": "b"}]}});
        let out = strategic_merge_patch(&cm, &patch, for_kind("", "ConfigMap").expect("cm"))
            .expect("configmap");
        assert_eq!(
            out["metadata"]["ownerReferences"].as_array().map(Vec::len),
            Some(2)
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
                Just("spec".to_string()),
                Just("template".to_string()),
                Just("$patch".to_string()),
                Just("$retainKeys".to_string()),
                Just("$setElementOrder/containers".to_string()),
                Just("$setElementOrder/finalizers".to_string()),
                Just("$deleteFromPrimitiveList/finalizers".to_string()),
                "[a-z]{1,3}",
            ]
        }

        fn json_value() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::Bool),
                any::<i32>().prop_map(|n| json!(n)),
                prop_oneof![
                    Just("replace".to_string()),
                    Just("delete".to_string()),
                    Just("merge".to_string()),
                    "[a-z]{0,3}"
                ]
                .prop_map(Value::String),
            ];
            leaf.prop_recursive(6, 64, 6, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                    prop::collection::vec((key(), inner), 0..6)
                        .prop_map(|kv| Value::Object(kv.into_iter().collect())),
                ]
            })
        }

        fn strip_directive_keys(v: &Value) -> Value {
            match v {
                Value::Object(m) => Value::Object(
                    m.iter()
                        .filter(|(k, _)| !k.starts_with('$'))
                        .map(|(k, v)| (k.clone(), strip_directive_keys(v)))
                        .collect(),
                ),
                Value::Array(items) => {
                    Value::Array(items.iter().map(strip_directive_keys).collect())
                }
                other => other.clone(),
            }
        }

        proptest! {
            #[test]
            fn random_patches_never_panic(original in json_value(), patch in json_value()) {
                let original = strip_directive_keys(&original);
                let untyped = TypeInfo::untyped();
                for info in [for_kind("apps", "Deployment").expect("deployment"), &untyped] {
                    let wrapped = json!({"spec": {"template": {"spec": patch.clone()}}, "metadata": patch.clone()});
                    for p in [&patch, &wrapped] {
                        if let Ok(out) = strategic_merge_patch(&original, p, info) {
                            assert_no_directives(&out, "proptest");
                        }
                    }
                }
            }
        }
    }
}
