//! The value walks behind server-side apply, typed by [`TypeRef`]: the field set of an object,
//! the comparison of two objects, the apply merge, and removing fields. Mirrors
//! structured-merge-diff's `ToFieldSet`, `Compare`, `Merge` and `RemoveItems`.
//!
//! Keyed (`map`) and `set` lists are granular; everything else, and any list whose items cannot be
//! identified (missing or duplicate keys in a *stored* object), is one atomic value. Configs
//! being applied are checked strictly instead, so the user learns about a bad list.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use crate::apply::ApplyError;
use crate::fieldpath::{FieldSet, PathElement, path_string};
use crate::typeinfo::{ListType, TypeRef};

/// Deeper values are treated as atomic leaves; real objects are shallow, and this keeps hostile
/// input from exhausting the stack.
pub(crate) const MAX_DEPTH: usize = 200;

/// Identities of a list's items, or `None` when the list is atomic.
///
/// `strict` (apply configurations) turns unusable items into errors; otherwise (stored objects)
/// such a list degrades to atomic, as structured-merge-diff tolerates duplicates in live objects.
pub(crate) fn elements(
    items: &[Value],
    ty: TypeRef<'_>,
    path: &[PathElement],
    strict: bool,
) -> Result<Option<Vec<PathElement>>, ApplyError> {
    let fail = |e: ApplyError| if strict { Err(e) } else { Ok(None) };
    let mut out = Vec::with_capacity(items.len());
    let mut seen = HashSet::new();
    match ty.list_type() {
        ListType::Atomic => return Ok(None),
        ListType::Set => {
            for (index, item) in items.iter().enumerate() {
                if item.is_object() || item.is_array() {
                    return fail(ApplyError::InvalidSetItem {
                        path: path_string(path),
                        index,
                    });
                }
                let pe = PathElement::value(item);
                if !seen.insert(pe.clone()) {
                    return fail(ApplyError::DuplicateListItem {
                        path: path_string(path),
                        item: pe.to_string(),
                    });
                }
                out.push(pe);
            }
        }
        ListType::Map(keys) => {
            for (index, item) in items.iter().enumerate() {
                let Value::Object(m) = item else {
                    return fail(ApplyError::InvalidMapItem {
                        path: path_string(path),
                        index,
                    });
                };
                let mut pairs = Vec::with_capacity(keys.len());
                for key in keys {
                    match m.get(&key.name).or(key.default.as_ref()) {
                        Some(v) => pairs.push((key.name.as_str(), v)),
                        None => {
                            return fail(ApplyError::MissingListKey {
                                path: path_string(path),
                                index,
                                key: key.name.clone(),
                            });
                        }
                    }
                }
                let pe = PathElement::key(pairs);
                if !seen.insert(pe.clone()) {
                    return fail(ApplyError::DuplicateListItem {
                        path: path_string(path),
                        item: pe.to_string(),
                    });
                }
                out.push(pe);
            }
        }
    }
    Ok(Some(out))
}

/// structured-merge-diff's `ToFieldSet`: the leaves of `v`, plus each keyed list item and set
/// member. Objects are only members when empty or null (an applier that sets `resources: {}` owns
/// that); a non-empty object is owned through its leaves, so removing it later only removes what
/// this manager set.
pub(crate) fn to_field_set(
    v: &Value,
    ty: TypeRef<'_>,
    path: &mut Vec<PathElement>,
    out: &mut FieldSet,
    strict: bool,
) -> Result<(), ApplyError> {
    if path.len() > MAX_DEPTH {
        out.insert(path);
        return Ok(());
    }
    match v {
        Value::Object(m) if !m.is_empty() && !ty.is_atomic_object() => {
            for (k, child) in m {
                path.push(PathElement::Field(k.clone()));
                let r = to_field_set(child, ty.field(k), path, out, strict);
                path.pop();
                r?;
            }
        }
        Value::Array(items) => match elements(items, ty, path, strict)? {
            None => out.insert(path),
            Some(pes) => {
                for (pe, item) in pes.into_iter().zip(items) {
                    let is_key = matches!(pe, PathElement::Key(_));
                    path.push(pe);
                    out.insert(path);
                    let r = if is_key {
                        to_field_set(item, ty.items(), path, out, strict)
                    } else {
                        Ok(())
                    };
                    path.pop();
                    r?;
                }
            }
        },
        _ => out.insert(path),
    }
    Ok(())
}

/// What changed between two versions of an object.
#[derive(Debug, Default)]
pub(crate) struct Comparison {
    pub added: FieldSet,
    pub modified: FieldSet,
    pub removed: FieldSet,
}

/// structured-merge-diff's `Compare`.
pub(crate) fn compare(old: &Value, new: &Value, ty: TypeRef<'_>) -> Comparison {
    let mut out = Comparison::default();
    let mut path = Vec::new();
    cmp(old, new, ty, &mut path, &mut out);
    out
}

fn cmp(
    old: &Value,
    new: &Value,
    ty: TypeRef<'_>,
    path: &mut Vec<PathElement>,
    out: &mut Comparison,
) {
    if path.len() > MAX_DEPTH {
        if old != new {
            out.modified.insert(path);
        }
        return;
    }
    match (old, new) {
        (Value::Object(o), Value::Object(n)) if !ty.is_atomic_object() => {
            for (k, ov) in o {
                path.push(PathElement::Field(k.clone()));
                match n.get(k) {
                    Some(nv) => cmp(ov, nv, ty.field(k), path, out),
                    None => mark(ov, ty.field(k), path, &mut out.removed, false),
                }
                path.pop();
            }
            for (k, nv) in n {
                if !o.contains_key(k) {
                    path.push(PathElement::Field(k.clone()));
                    mark(nv, ty.field(k), path, &mut out.added, true);
                    path.pop();
                }
            }
        }
        (Value::Array(o), Value::Array(n)) => {
            let granular = (
                elements(o, ty, path, false).ok().flatten(),
                elements(n, ty, path, false).ok().flatten(),
            );
            let (Some(oe), Some(ne)) = granular else {
                if o != n {
                    out.modified.insert(path);
                }
                return;
            };
            let new_items: HashMap<&PathElement, &Value> = ne.iter().zip(n).collect();
            let old_items: HashSet<&PathElement> = oe.iter().collect();
            for (pe, ov) in oe.iter().zip(o) {
                path.push(pe.clone());
                match new_items.get(pe) {
                    Some(nv) => cmp(ov, nv, ty.items(), path, out),
                    None => mark(ov, ty.items(), path, &mut out.removed, false),
                }
                path.pop();
            }
            for (pe, nv) in ne.iter().zip(n) {
                if !old_items.contains(pe) {
                    path.push(pe.clone());
                    mark(nv, ty.items(), path, &mut out.added, true);
                    path.pop();
                }
            }
        }
        _ if old == new => {}
        _ => {
            // A changed scalar, or a value that changed type: the path itself was modified and
            // whatever hung below the old value is gone.
            if same_kind(old, new) {
                out.modified.insert(path);
            } else {
                mark(old, ty, path, &mut out.removed, false);
                mark(new, ty, path, &mut out.added, true);
                out.modified.insert(path);
            }
        }
    }
}

fn same_kind(a: &Value, b: &Value) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}

/// Inserts `path` and everything below `v`. For added values (`skip_structs`), a non-empty
/// declared struct is not itself a member: like a non-pointer Go struct it is never "added" in
/// kube-apiserver, only its fields are (so `f:spec` carries no `"."`, while a new `f:labels` map
/// or `f:finalizers` list does).
fn mark(
    v: &Value,
    ty: TypeRef<'_>,
    path: &mut Vec<PathElement>,
    set: &mut FieldSet,
    skip_structs: bool,
) {
    let non_empty_struct = matches!(v, Value::Object(m) if !m.is_empty()) && ty.is_struct();
    if !(skip_structs && non_empty_struct && !ty.is_atomic_object()) {
        set.insert(path);
    }
    if path.len() > MAX_DEPTH {
        return;
    }
    match v {
        Value::Object(m) if !ty.is_atomic_object() => {
            for (k, child) in m {
                path.push(PathElement::Field(k.clone()));
                mark(child, ty.field(k), path, set, skip_structs);
                path.pop();
            }
        }
        Value::Array(items) => {
            if let Ok(Some(pes)) = elements(items, ty, path, false) {
                for (pe, item) in pes.into_iter().zip(items) {
                    path.push(pe);
                    // An item is always a member, even when its type is a struct.
                    set.insert(path);
                    mark(item, ty.items(), path, set, skip_structs);
                    path.pop();
                }
            }
        }
        _ => {}
    }
}

/// structured-merge-diff's `Merge` for apply: the config's values win, objects merge per field,
/// keyed lists and sets merge per item (config items in config order, live-only items where they
/// were), atomic values are replaced. A `null` in the config removes the field.
pub(crate) fn merge(live: &Value, config: &Value, ty: TypeRef<'_>, depth: usize) -> Value {
    if depth > MAX_DEPTH {
        return fresh(config);
    }
    match (live, config) {
        (Value::Object(l), Value::Object(c)) if !ty.is_atomic_object() => {
            let mut out = l.clone();
            for (k, cv) in c {
                if cv.is_null() {
                    out.shift_remove(k);
                    continue;
                }
                let merged = match l.get(k) {
                    Some(lv) => merge(lv, cv, ty.field(k), depth + 1),
                    None => fresh(cv),
                };
                out.insert(k.clone(), merged);
            }
            Value::Object(out)
        }
        (Value::Array(l), Value::Array(c)) => {
            let path = [];
            match (
                elements(l, ty, &path, false).ok().flatten(),
                elements(c, ty, &path, false).ok().flatten(),
            ) {
                (Some(le), Some(ce)) => Value::Array(merge_items(l, &le, c, &ce, ty, depth)),
                _ => fresh(config),
            }
        }
        _ => fresh(config),
    }
}

fn merge_items(
    live: &[Value],
    live_ids: &[PathElement],
    config: &[Value],
    config_ids: &[PathElement],
    ty: TypeRef<'_>,
    depth: usize,
) -> Vec<Value> {
    let config_pos: HashMap<&PathElement, usize> = config_ids
        .iter()
        .enumerate()
        .map(|(i, pe)| (pe, i))
        .collect();
    let live_pos: HashMap<&PathElement, usize> =
        live_ids.iter().enumerate().map(|(i, pe)| (pe, i)).collect();
    let emit = |ci: usize, out: &mut Vec<Value>| {
        let merged = match live_pos.get(&config_ids[ci]) {
            Some(&li) => merge(&live[li], &config[ci], ty.items(), depth + 1),
            None => fresh(&config[ci]),
        };
        out.push(merged);
    };
    let mut out = Vec::with_capacity(live.len().max(config.len()));
    let mut next = 0;
    for (li, pe) in live_ids.iter().enumerate() {
        match config_pos.get(pe) {
            None => out.push(live[li].clone()),
            // A shared item: everything the config lists up to it comes first, in config order.
            Some(&ci) => {
                while next <= ci {
                    emit(next, &mut out);
                    next += 1;
                }
            }
        }
    }
    while next < config.len() {
        emit(next, &mut out);
        next += 1;
    }
    out
}

/// A config value with no live counterpart; `null` fields mean "absent".
fn fresh(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), fresh(v)))
                .collect::<Map<String, Value>>(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(fresh).collect()),
        other => other.clone(),
    }
}

/// Removes every member path of `remove` from `v`. A parent object or list left empty by the
/// removal goes too, unless `keep` (what someone still owns) has it as a member: an applier that
/// drops its last label should not leave `labels: {}` behind.
pub(crate) fn remove_items(
    v: &mut Value,
    remove: &FieldSet,
    keep: Option<&FieldSet>,
    ty: TypeRef<'_>,
    depth: usize,
) {
    if depth > MAX_DEPTH {
        return;
    }
    match v {
        Value::Object(m) => {
            for (pe, child) in remove.children() {
                let PathElement::Field(name) = pe else {
                    continue;
                };
                if child.is_member() {
                    m.shift_remove(name);
                    continue;
                }
                let Some(cv) = m.get_mut(name) else { continue };
                let kept = keep.and_then(|k| k.child(pe));
                let was_filled = !is_empty_container(cv);
                remove_items(cv, child, kept, ty.field(name), depth + 1);
                if was_filled && is_empty_container(cv) && !kept.is_some_and(FieldSet::is_member) {
                    m.shift_remove(name);
                }
            }
        }
        Value::Array(items) => {
            let Ok(Some(pes)) = elements(items, ty, &[], false) else {
                return;
            };
            let mut drop = vec![false; items.len()];
            for (i, pe) in pes.iter().enumerate() {
                let Some(child) = remove.child(pe) else {
                    continue;
                };
                if child.is_member() {
                    drop[i] = true;
                } else {
                    let kept = keep.and_then(|k| k.child(pe));
                    remove_items(&mut items[i], child, kept, ty.items(), depth + 1);
                }
            }
            let mut i = 0;
            items.retain(|_| {
                let keep_item = !drop[i];
                i += 1;
                keep_item
            });
        }
        _ => {}
    }
}

fn is_empty_container(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}
