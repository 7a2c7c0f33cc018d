//! Server-side apply and `metadata.managedFields` bookkeeping, following sigs.k8s.io/
//! structured-merge-diff (`merge.Updater`) and kube-apiserver's fieldmanager.
//!
//! Every write records who owns which fields. [`server_side_apply`] makes the applied
//! configuration's fields the manager's `Apply` set, merges them into the live object, removes
//! fields the manager applied before but no longer does (unless someone else owns them), and
//! reports a conflict when it would change a field another manager owns. [`update_managed_fields`]
//! is the bookkeeping for every other write (create, update, patch): changed fields move to the
//! writer's `Update` entry.
//!
//! Simplified on purpose: no version conversion (sets are kept as recorded; callers serve one
//! version per kind); lists without keys are atomic (never `i:` ownership); the
//! 10-Update-entries cap and `ancient-changes` folding are not implemented; for the main resource
//! `status` is never owned and for the `status` subresource only `status` is.

use std::fmt;

use serde_json::{Map, Value};

use crate::apply_walk::{compare, merge, remove_items, to_field_set};
use crate::fieldpath::{FieldSet, FieldSetError, PathElement, path_string};
use crate::typeinfo::{TypeInfo, TypeRef};

/// The manager kube-apiserver invents for an object's fields when it is first applied to and has
/// no `managedFields` (created before field tracking, or stripped).
pub const BEFORE_FIRST_APPLY: &str = "before-first-apply";

/// `metadata.managedFields[].operation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Operation {
    /// A server-side apply (`PATCH` with `application/apply-patch+yaml`).
    Apply,
    /// Any other write: create, update, JSON/merge/strategic patch.
    Update,
}

impl Operation {
    /// The wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Apply => "Apply",
            Operation::Update => "Update",
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One `metadata.managedFields` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedFieldsEntry {
    pub manager: String,
    pub operation: Operation,
    pub api_version: String,
    /// RFC 3339 time of the manager's last change.
    pub time: Option<String>,
    pub subresource: Option<String>,
    pub fields: FieldSet,
}

/// Why `metadata.managedFields` could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManagedFieldsError {
    #[error("metadata.managedFields must be a list of entries")]
    NotAList,
    #[error("metadata.managedFields[{index}]: {reason}")]
    BadEntry { index: usize, reason: String },
    #[error("metadata.managedFields[{index}].fieldsV1: {source}")]
    BadFields {
        index: usize,
        #[source]
        source: FieldSetError,
    },
}

impl ManagedFieldsEntry {
    /// Reads one entry; `index` is only used in error messages.
    pub fn from_json(v: &Value, index: usize) -> Result<Self, ManagedFieldsError> {
        let bad = |reason: &str| ManagedFieldsError::BadEntry {
            index,
            reason: reason.to_string(),
        };
        let Value::Object(m) = v else {
            return Err(bad("entry must be an object"));
        };
        let text = |k: &str| m.get(k).and_then(Value::as_str).map(str::to_string);
        let operation = match m.get("operation").and_then(Value::as_str) {
            Some("Apply") => Operation::Apply,
            Some("Update") => Operation::Update,
            _ => return Err(bad("operation must be \"Apply\" or \"Update\"")),
        };
        if let Some(t) = text("fieldsType")
            && t != "FieldsV1"
        {
            return Err(bad("fieldsType must be \"FieldsV1\""));
        }
        let fields = match m.get("fieldsV1") {
            None | Some(Value::Null) => FieldSet::new(),
            Some(f) => FieldSet::from_fields_v1(f)
                .map_err(|source| ManagedFieldsError::BadFields { index, source })?,
        };
        Ok(ManagedFieldsEntry {
            manager: text("manager").unwrap_or_default(),
            operation,
            api_version: text("apiVersion").unwrap_or_default(),
            time: text("time"),
            subresource: text("subresource").filter(|s| !s.is_empty()),
            fields,
        })
    }

    /// The wire form, fields in the order kube-apiserver writes them.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("manager".into(), Value::String(self.manager.clone()));
        m.insert(
            "operation".into(),
            Value::String(self.operation.as_str().into()),
        );
        m.insert("apiVersion".into(), Value::String(self.api_version.clone()));
        if let Some(t) = &self.time {
            m.insert("time".into(), Value::String(t.clone()));
        }
        m.insert("fieldsType".into(), Value::String("FieldsV1".into()));
        m.insert("fieldsV1".into(), self.fields.to_fields_v1());
        if let Some(s) = &self.subresource {
            m.insert("subresource".into(), Value::String(s.clone()));
        }
        Value::Object(m)
    }

    /// kube-apiserver identifies an Apply manager by name, operation and subresource; an Update
    /// manager also by API version (so two versions' updates are two entries).
    fn is(&self, manager: &str, op: Operation, api_version: &str, sub: Option<&str>) -> bool {
        self.manager == manager
            && self.operation == op
            && self.subresource.as_deref() == sub
            && (op == Operation::Apply || self.api_version == api_version)
    }
}

fn describe_manager(manager: &str, op: Operation, api_version: &str, sub: Option<&str>) -> String {
    let mut s = format!("{manager:?}");
    if let Some(sub) = sub {
        s.push_str(&format!(" with subresource {sub:?}"));
    }
    if op == Operation::Update {
        s.push_str(&format!(" using {api_version}"));
    }
    s
}

/// Reads `metadata.managedFields` of an object (an absent list is empty).
pub fn managed_fields(obj: &Value) -> Result<Vec<ManagedFieldsEntry>, ManagedFieldsError> {
    match obj.pointer("/metadata/managedFields") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| ManagedFieldsEntry::from_json(v, i))
            .collect(),
        Some(_) => Err(ManagedFieldsError::NotAList),
    }
}

/// One field another manager owns that an apply would change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The other manager's name, e.g. `kubectl-client-side-apply`.
    pub manager: String,
    pub operation: Operation,
    pub api_version: String,
    pub subresource: Option<String>,
    /// The field, as kube prints it: `.spec.replicas`, `.spec.containers[name="nginx"].image`.
    pub field: String,
}

impl Conflict {
    /// The manager as kube names it in messages: `"kubectl-client-side-apply" using apps/v1`.
    pub fn manager_description(&self) -> String {
        describe_manager(
            &self.manager,
            self.operation,
            &self.api_version,
            self.subresource.as_deref(),
        )
    }

    /// The message of this conflict's `FieldManagerConflict` `StatusCause` (its `field` is
    /// [`Conflict::field`]).
    pub fn cause_message(&self) -> String {
        format!("conflict with {}", self.manager_description())
    }
}

/// Why an apply was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    /// Fields owned by other managers would change: 409 Conflict with one `FieldManagerConflict`
    /// cause per entry. Retry with `force` to take them over, or drop them from the config.
    #[error("{}", conflicts_message(.0))]
    Conflicts(Vec<Conflict>),
    /// The applied configuration (or the stored object) is not an object.
    #[error("{what} must be a JSON object, got {found}")]
    NotAnObject {
        what: &'static str,
        found: &'static str,
    },
    /// A keyed list item lacks a key field.
    #[error(
        "{path}: element {index}: associative list with keys has an element that omits key field {key:?} (and doesn't have default value)"
    )]
    MissingListKey {
        path: String,
        index: usize,
        key: String,
    },
    /// Two items of a keyed list or set are the same.
    #[error("{path}: duplicate entries for key {item}; each item must be unique")]
    DuplicateListItem { path: String, item: String },
    /// A keyed list item that is not an object.
    #[error("{path}: element {index}: associative list items must be objects")]
    InvalidMapItem { path: String, index: usize },
    /// A set item that is not a scalar.
    #[error("{path}: element {index}: set items must be strings, numbers or booleans")]
    InvalidSetItem { path: String, index: usize },
}

impl ApplyError {
    /// The conflicts, when this is a conflict.
    pub fn conflicts(&self) -> &[Conflict] {
        match self {
            ApplyError::Conflicts(c) => c,
            _ => &[],
        }
    }
}

/// kube-apiserver's `getConflictMessage`.
fn conflicts_message(conflicts: &[Conflict]) -> String {
    if let [c] = conflicts {
        return format!(
            "Apply failed with 1 conflict: conflict with {}: {}",
            c.manager_description(),
            c.field
        );
    }
    // Grouped by manager, managers sorted (the conflicts already are).
    let mut lines = Vec::new();
    let mut last: Option<String> = None;
    for c in conflicts {
        let who = c.manager_description();
        if last.as_ref() != Some(&who) {
            lines.push(format!("conflicts with {who}:"));
            last = Some(who);
        }
        lines.push(format!("- {}", c.field));
    }
    format!(
        "Apply failed with {} conflicts: {}",
        conflicts.len(),
        lines.join("\n")
    )
}

/// Server-side apply of `applied` by `manager` onto `live` (`None`: the object does not exist
/// and is created). Returns the new object including its updated `metadata.managedFields`.
///
/// `now` is the RFC 3339 time recorded on entries that change; `info` gives list semantics
/// (`None`: lists are atomic, as for a CRD without list annotations).
pub fn server_side_apply(
    live: Option<&Value>,
    applied: &Value,
    manager: &str,
    force: bool,
    info: Option<&TypeInfo>,
    now: &str,
) -> Result<Value, ApplyError> {
    server_side_apply_subresource(live, applied, manager, force, None, info, now)
}

/// [`server_side_apply`] through a subresource (`Some("status")` owns only `.status`).
pub fn server_side_apply_subresource(
    live: Option<&Value>,
    applied: &Value,
    manager: &str,
    force: bool,
    subresource: Option<&str>,
    info: Option<&TypeInfo>,
    now: &str,
) -> Result<Value, ApplyError> {
    if !applied.is_object() {
        return Err(ApplyError::NotAnObject {
            what: "apply configuration",
            found: kind_of(applied),
        });
    }
    if let Some(l) = live
        && !l.is_object()
    {
        return Err(ApplyError::NotAnObject {
            what: "the live object",
            found: kind_of(l),
        });
    }
    let ty = info.map_or(TypeRef::UNTYPED, TypeInfo::root);
    // managedFields are the server's to write; an applier cannot smuggle ownership in.
    let config = without_managed_fields(applied);
    let live_obj = live.map_or_else(|| Value::Object(Map::new()), without_managed_fields);
    let api_version = applied
        .get("apiVersion")
        .or_else(|| live.and_then(|l| l.get("apiVersion")))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();

    let mut entries = live.map(read_entries).unwrap_or_default();
    if let Some(l) = live
        && entries.is_empty()
    {
        // Fields that existed before anyone applied belong to someone; without this the first
        // applier could silently overwrite them.
        let mut fields = lenient_field_set(&live_obj, ty);
        strip(&mut fields, subresource);
        if !fields.is_empty() {
            entries.push(ManagedFieldsEntry {
                manager: BEFORE_FIRST_APPLY.to_string(),
                operation: Operation::Update,
                api_version: l
                    .get("apiVersion")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                time: None,
                subresource: subresource.map(str::to_string),
                fields,
            });
        }
    }

    let mut new_set = FieldSet::new();
    to_field_set(&config, ty, &mut Vec::new(), &mut new_set, true)?;
    strip(&mut new_set, subresource);

    let mine = entries
        .iter()
        .position(|e| e.is(manager, Operation::Apply, &api_version, subresource));
    let last_set = mine.map(|i| entries[i].fields.clone()).unwrap_or_default();

    let mut merged = merge(&live_obj, &config, ty, 0);

    // Prune what this manager applied last time, dropped now, and nobody else owns.
    let mut keep = new_set.clone();
    for (i, e) in entries.iter().enumerate() {
        if Some(i) != mine {
            keep.union_with(&e.fields);
        }
    }
    // A field whose contents someone still owns is not dropped as a whole, even when the last
    // set owned the field itself (`"f:containers": {".": {}, ...}`) and `keep` owns only what is
    // inside: removing it would take the owned contents with it.
    let to_remove = last_set.difference(&keep.with_fields_as_members());
    if !to_remove.is_empty() {
        remove_items(&mut merged, &to_remove, Some(&keep), ty, 0);
    }

    let diff = compare(&live_obj, &merged, ty);
    let mut changed = diff.added.clone();
    changed.union_with(&diff.modified);
    strip(&mut changed, subresource);
    let mut removed = diff.removed;
    strip(&mut removed, subresource);

    let mut conflicts = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        if Some(i) == mine {
            continue;
        }
        for path in e.fields.intersection(&changed).paths() {
            conflicts.push(Conflict {
                manager: e.manager.clone(),
                operation: e.operation,
                api_version: e.api_version.clone(),
                subresource: e.subresource.clone(),
                field: path_string(&path),
            });
        }
    }
    if !conflicts.is_empty() && !force {
        conflicts.sort_by(|a, b| {
            (a.manager_description(), &a.field).cmp(&(b.manager_description(), &b.field))
        });
        return Err(ApplyError::Conflicts(conflicts));
    }

    for (i, e) in entries.iter_mut().enumerate() {
        if Some(i) != mine {
            // With force the applier takes conflicting fields over; removed fields belong to
            // no one.
            e.fields = e.fields.difference(&changed).difference(&removed);
        }
    }
    let object_changed = !diff.added.is_empty() || !diff.modified.is_empty() || live_obj != merged;
    match mine {
        Some(i) => {
            let e = &mut entries[i];
            if object_changed || e.fields != new_set || e.api_version != api_version {
                e.time = Some(now.to_string());
            }
            e.fields = new_set;
            e.api_version = api_version;
        }
        None => entries.push(ManagedFieldsEntry {
            manager: manager.to_string(),
            operation: Operation::Apply,
            api_version,
            time: Some(now.to_string()),
            subresource: subresource.map(str::to_string),
            fields: new_set,
        }),
    }
    write_entries(&mut merged, entries);
    Ok(merged)
}

/// Records a non-apply write (create, update, patch) of `new` over `old` (`None` for a create) in
/// `new`'s `metadata.managedFields`: fields the write added or changed move to `manager`'s entry
/// for this operation, API version and subresource; fields it removed are dropped from every
/// entry; empty entries disappear.
///
/// `new`'s own `managedFields` are honoured like kube-apiserver does: absent or `[]` keeps the
/// stored ones, a different valid list replaces them, and `[{}]` clears them (and skips tracking
/// for this write).
pub fn update_managed_fields(
    old: Option<&Value>,
    new: &mut Value,
    manager: &str,
    operation: Operation,
    subresource: Option<&str>,
    info: Option<&TypeInfo>,
    now: &str,
) {
    if !new.is_object() {
        return;
    }
    let ty = info.map_or(TypeRef::UNTYPED, TypeInfo::root);
    let old_raw = old.and_then(|o| o.pointer("/metadata/managedFields"));
    let old_entries = old.map(read_entries).unwrap_or_default();
    let mut entries = match new.pointer("/metadata/managedFields") {
        None | Some(Value::Null) => old_entries,
        Some(Value::Array(list)) if list.is_empty() => old_entries,
        Some(raw) if Some(raw) == old_raw => old_entries,
        Some(Value::Array(list))
            if list
                .iter()
                .all(|e| e.as_object().is_some_and(Map::is_empty)) =>
        {
            set_managed_fields(new, None);
            return;
        }
        Some(raw) => match managed_fields(&json_object_with_managed(raw)) {
            Ok(entries) => entries,
            Err(_) => old_entries,
        },
    };

    let old_obj = old.map_or_else(|| Value::Object(Map::new()), without_managed_fields);
    let new_obj = without_managed_fields(new);
    let api_version = new_obj
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();

    let diff = compare(&old_obj, &new_obj, ty);
    let mut changed = diff.added;
    changed.union_with(&diff.modified);
    strip(&mut changed, subresource);
    let mut removed = diff.removed;
    strip(&mut removed, subresource);

    let mine = entries
        .iter()
        .position(|e| e.is(manager, operation, &api_version, subresource));
    for (i, e) in entries.iter_mut().enumerate() {
        e.fields = e.fields.difference(&removed);
        if Some(i) != mine {
            e.fields = e.fields.difference(&changed);
        }
    }
    if !changed.is_empty() {
        match mine {
            Some(i) => {
                let e = &mut entries[i];
                e.fields.union_with(&changed);
                e.time = Some(now.to_string());
            }
            None => entries.push(ManagedFieldsEntry {
                manager: manager.to_string(),
                operation,
                api_version,
                time: Some(now.to_string()),
                subresource: subresource.map(str::to_string),
                fields: changed,
            }),
        }
    }
    write_entries(new, entries);
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "object",
    }
}

fn json_object_with_managed(raw: &Value) -> Value {
    let mut meta = Map::new();
    meta.insert("managedFields".into(), raw.clone());
    let mut obj = Map::new();
    obj.insert("metadata".into(), Value::Object(meta));
    Value::Object(obj)
}

/// Entries of a stored object; unreadable entries are dropped rather than failing every write
/// (kube-apiserver likewise resets managedFields it cannot decode).
fn read_entries(obj: &Value) -> Vec<ManagedFieldsEntry> {
    let Some(Value::Array(items)) = obj.pointer("/metadata/managedFields") else {
        return Vec::new();
    };
    items
        .iter()
        .enumerate()
        .filter_map(|(i, v)| ManagedFieldsEntry::from_json(v, i).ok())
        .collect()
}

fn lenient_field_set(obj: &Value, ty: TypeRef<'_>) -> FieldSet {
    let mut set = FieldSet::new();
    // Lenient mode never fails: unusable lists become atomic leaves.
    let _ = to_field_set(obj, ty, &mut Vec::new(), &mut set, false);
    set
}

fn without_managed_fields(obj: &Value) -> Value {
    let mut obj = obj.clone();
    if let Some(Value::Object(meta)) = obj.get_mut("metadata") {
        meta.shift_remove("managedFields");
    }
    obj
}

/// Fields nobody owns: identity and server-maintained metadata, and whatever the subresource
/// does not cover (kube's stripMeta manager plus the strategy's reset fields).
fn strip(set: &mut FieldSet, subresource: Option<&str>) {
    let f = |s: &str| PathElement::Field(s.to_string());
    set.remove_tree(&[f("apiVersion")]);
    set.remove_tree(&[f("kind")]);
    set.remove_member(&[f("metadata")]);
    for name in [
        "name",
        "namespace",
        "uid",
        "resourceVersion",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "generation",
        "selfLink",
        "managedFields",
    ] {
        set.remove_tree(&[f("metadata"), f(name)]);
    }
    match subresource {
        Some("status") => set.retain_only(&f("status")),
        _ => set.remove_tree(&[f("status")]),
    }
}

/// kube-apiserver's order: Apply before Update, then by time, manager, API version, subresource.
fn write_entries(obj: &mut Value, mut entries: Vec<ManagedFieldsEntry>) {
    entries.retain(|e| !e.fields.is_empty());
    entries.sort_by(|a, b| {
        (
            a.operation,
            &a.time,
            &a.manager,
            &a.api_version,
            &a.subresource,
        )
            .cmp(&(
                b.operation,
                &b.time,
                &b.manager,
                &b.api_version,
                &b.subresource,
            ))
    });
    let list = (!entries.is_empty())
        .then(|| Value::Array(entries.iter().map(ManagedFieldsEntry::to_json).collect()));
    set_managed_fields(obj, list);
}

fn set_managed_fields(obj: &mut Value, list: Option<Value>) {
    let Value::Object(root) = obj else { return };
    match list {
        Some(list) => {
            let meta = root
                .entry("metadata")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(meta) = meta {
                meta.insert("managedFields".into(), list);
            }
        }
        None => {
            if let Some(Value::Object(meta)) = root.get_mut("metadata") {
                meta.shift_remove("managedFields");
            }
        }
    }
}

#[cfg(test)]
#[path = "apply_tests.rs"]
mod tests;
