//! Field paths and field sets as server-side apply tracks them, and their `FieldsV1` JSON form
//! (`metadata.managedFields[].fieldsV1`), mirroring sigs.k8s.io/structured-merge-diff/fieldpath.
//!
//! A path is a list of [`PathElement`]s: object fields (`f:`), list items identified by key fields
//! (`k:`), members of a set of scalars (`v:`) and list indexes (`i:`, only read, never produced:
//! unkeyed lists are atomic here). A [`FieldSet`] is a trie of paths; a node is a *member* when the
//! path itself is in the set, which `FieldsV1` writes as `".": {}` when the node also has children.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Map, Value};

/// One step of a field path. The derived order (fields, then keys, then values, then indexes)
/// is the order `FieldsV1` is written in, like structured-merge-diff.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PathElement {
    /// An object field: `f:name`.
    Field(String),
    /// A list item identified by its key fields: `k:{"name":"nginx"}`. Pairs of field name and
    /// the value's JSON text, sorted by name.
    Key(Vec<(String, String)>),
    /// A member of a set of scalars, as JSON text: `v:"example.com/finalizer"`.
    Value(String),
    /// A list index: `i:0`.
    Index(usize),
}

impl PathElement {
    /// A key element from (field, value) pairs; sorts them so the same item always has the same
    /// element regardless of the order the keys were declared in.
    pub fn key<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a Value)>) -> PathElement {
        let mut pairs: Vec<(String, String)> = pairs
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        pairs.sort();
        PathElement::Key(pairs)
    }

    /// A set-member element for a scalar.
    pub fn value(v: &Value) -> PathElement {
        PathElement::Value(v.to_string())
    }

    /// The `FieldsV1` object key for this element.
    pub fn to_fields_v1_key(&self) -> String {
        match self {
            PathElement::Field(name) => format!("f:{name}"),
            PathElement::Key(pairs) => {
                let body: Vec<String> = pairs
                    .iter()
                    .map(|(k, v)| format!("{}:{v}", Value::String(k.clone())))
                    .collect();
                format!("k:{{{}}}", body.join(","))
            }
            PathElement::Value(v) => format!("v:{v}"),
            PathElement::Index(i) => format!("i:{i}"),
        }
    }

    /// Parses a `FieldsV1` object key (anything but `"."`).
    pub fn from_fields_v1_key(key: &str) -> Option<PathElement> {
        let (prefix, rest) = key.split_at_checked(2)?;
        match prefix {
            "f:" => Some(PathElement::Field(rest.to_string())),
            "k:" => match serde_json::from_str::<Value>(rest).ok()? {
                Value::Object(m) => Some(PathElement::key(m.iter().map(|(k, v)| (k.as_str(), v)))),
                _ => None,
            },
            // Re-serialize so equal values compare equal whatever spacing the writer used.
            "v:" => serde_json::from_str::<Value>(rest)
                .ok()
                .map(|v| PathElement::value(&v)),
            "i:" => rest.parse().ok().map(PathElement::Index),
            _ => None,
        }
    }
}

/// Formats like structured-merge-diff's `Path.String()`, the form kube-apiserver puts in
/// conflict messages: `.spec.containers[name="nginx"].image`, `.metadata.finalizers[="x"]`.
impl fmt::Display for PathElement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathElement::Field(name) => write!(f, ".{name}"),
            PathElement::Key(pairs) => {
                let body: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
                write!(f, "[{}]", body.join(","))
            }
            PathElement::Value(v) => write!(f, "[={v}]"),
            PathElement::Index(i) => write!(f, "[{i}]"),
        }
    }
}

/// Renders a whole path, e.g. `.spec.replicas`.
pub fn path_string(path: &[PathElement]) -> String {
    path.iter().map(ToString::to_string).collect()
}

/// Why a `fieldsV1` document could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldSetError {
    /// Every level of `fieldsV1` is a JSON object.
    #[error("invalid fieldsV1 at {path:?}: expected a JSON object")]
    NotAnObject { path: String },
    /// Keys are `.`, `f:<name>`, `k:<json object>`, `v:<json>` or `i:<index>`.
    #[error(
        "invalid fieldsV1 key {key:?} at {path:?}: expected \".\", \"f:<field>\", \"k:<json object>\", \"v:<json>\" or \"i:<index>\""
    )]
    BadKey { key: String, path: String },
    /// Protects the stack against hostile input; real field sets are a few levels deep.
    #[error("invalid fieldsV1: nested more than {max} levels deep")]
    TooDeep { max: usize },
}

const MAX_FIELDS_DEPTH: usize = 256;

/// A set of field paths, stored as a trie. Invariant: every child node is a member or has
/// children, so an empty set has no children and sets compare equal structurally.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSet {
    member: bool,
    children: BTreeMap<PathElement, FieldSet>,
}

impl FieldSet {
    /// The empty set.
    pub fn new() -> FieldSet {
        FieldSet::default()
    }

    /// No paths at all.
    pub fn is_empty(&self) -> bool {
        !self.member && self.children.is_empty()
    }

    /// Whether the path leading to this node is itself in the set.
    pub fn is_member(&self) -> bool {
        self.member
    }

    /// The subtree below one element.
    pub fn child(&self, pe: &PathElement) -> Option<&FieldSet> {
        self.children.get(pe)
    }

    /// Direct children in `FieldsV1` order.
    pub fn children(&self) -> impl Iterator<Item = (&PathElement, &FieldSet)> {
        self.children.iter()
    }

    /// Adds a path; the empty path (the object itself) is never a member.
    pub fn insert(&mut self, path: &[PathElement]) {
        let Some((first, rest)) = path.split_first() else {
            return;
        };
        let child = self.children.entry(first.clone()).or_default();
        if rest.is_empty() {
            child.member = true;
        } else {
            child.insert(rest);
        }
    }

    /// Whether the exact path is a member.
    pub fn contains(&self, path: &[PathElement]) -> bool {
        match path.split_first() {
            None => false,
            Some((first, [])) => self.children.get(first).is_some_and(|c| c.member),
            Some((first, rest)) => self.children.get(first).is_some_and(|c| c.contains(rest)),
        }
    }

    /// Every member path, parents before children, in `FieldsV1` order.
    pub fn paths(&self) -> Vec<Vec<PathElement>> {
        let mut out = Vec::new();
        let mut prefix = Vec::new();
        self.collect(&mut prefix, &mut out);
        out
    }

    fn collect(&self, prefix: &mut Vec<PathElement>, out: &mut Vec<Vec<PathElement>>) {
        for (pe, child) in &self.children {
            prefix.push(pe.clone());
            if child.member {
                out.push(prefix.clone());
            }
            child.collect(prefix, out);
            prefix.pop();
        }
    }

    /// Adds every path of `other`.
    pub fn union_with(&mut self, other: &FieldSet) {
        self.member |= other.member;
        for (pe, theirs) in &other.children {
            self.children
                .entry(pe.clone())
                .or_default()
                .union_with(theirs);
        }
    }

    /// Paths in `self` that are not members of `other` (member-wise, like structured-merge-diff's
    /// `Difference`: removing a parent path does not remove its children).
    pub fn difference(&self, other: &FieldSet) -> FieldSet {
        let mut out = FieldSet {
            member: self.member && !other.member,
            children: BTreeMap::new(),
        };
        for (pe, mine) in &self.children {
            let child = match other.children.get(pe) {
                Some(theirs) => mine.difference(theirs),
                None => mine.clone(),
            };
            if !child.is_empty() {
                out.children.insert(pe.clone(), child);
            }
        }
        out
    }

    /// structured-merge-diff's `EnsureNamedFieldsAreMembers`, without a schema: a copy of the
    /// set in which every object field (`f:`) that has children is a member too. A field with
    /// owned children is owned in effect, so it must never count as unowned when sets of different
    /// origins are compared: apply sets make a non-empty object or list a member only through its
    /// contents, while update sets (and kubectl's client-side-apply migration, which copies one
    /// into an apply entry) record the container itself as well (`"f:labels": {".": {}, ...}`).
    /// List items and set members are left as they are: an item is owned only as an item.
    /// (structured-merge-diff limits this to the declared fields of structs, but its apply sets
    /// of untyped objects list every field as a member anyway; for the rare free-form map entry
    /// with children, keeping one whose contents someone owns is the safer reading.)
    pub fn with_fields_as_members(&self) -> FieldSet {
        self.fields_as_members(false)
    }

    fn fields_as_members(&self, is_field: bool) -> FieldSet {
        FieldSet {
            member: self.member || (is_field && !self.children.is_empty()),
            children: self
                .children
                .iter()
                .map(|(pe, child)| {
                    let field = matches!(pe, PathElement::Field(_));
                    (pe.clone(), child.fields_as_members(field))
                })
                .collect(),
        }
    }

    /// Paths that are members of both sets.
    pub fn intersection(&self, other: &FieldSet) -> FieldSet {
        let mut out = FieldSet {
            member: self.member && other.member,
            children: BTreeMap::new(),
        };
        for (pe, mine) in &self.children {
            if let Some(theirs) = other.children.get(pe) {
                let child = mine.intersection(theirs);
                if !child.is_empty() {
                    out.children.insert(pe.clone(), child);
                }
            }
        }
        out
    }

    /// Removes a path and everything below it.
    pub fn remove_tree(&mut self, path: &[PathElement]) {
        match path.split_first() {
            None => {}
            Some((first, [])) => {
                self.children.remove(first);
            }
            Some((first, rest)) => {
                if let Some(child) = self.children.get_mut(first) {
                    child.remove_tree(rest);
                    if child.is_empty() {
                        self.children.remove(first);
                    }
                }
            }
        }
    }

    /// Removes a path's membership but keeps its children.
    pub fn remove_member(&mut self, path: &[PathElement]) {
        let Some((first, rest)) = path.split_first() else {
            return;
        };
        if let Some(child) = self.children.get_mut(first) {
            if rest.is_empty() {
                child.member = false;
            } else {
                child.remove_member(rest);
            }
            if child.is_empty() {
                self.children.remove(first);
            }
        }
    }

    /// Keeps only the subtree under one top-level element.
    pub fn retain_only(&mut self, pe: &PathElement) {
        self.member = false;
        self.children.retain(|k, _| k == pe);
    }

    /// The `FieldsV1` JSON form.
    pub fn to_fields_v1(&self) -> Value {
        let mut out = Map::new();
        // The object itself is implied for a leaf (`{}`) and explicit (`".": {}`) otherwise.
        if self.member && !self.children.is_empty() {
            out.insert(".".to_string(), Value::Object(Map::new()));
        }
        for (pe, child) in &self.children {
            out.insert(pe.to_fields_v1_key(), child.to_fields_v1());
        }
        Value::Object(out)
    }

    /// Reads the `FieldsV1` JSON form.
    pub fn from_fields_v1(v: &Value) -> Result<FieldSet, FieldSetError> {
        let mut path = String::new();
        Self::read(v, &mut path, 0)
    }

    fn read(v: &Value, path: &mut String, depth: usize) -> Result<FieldSet, FieldSetError> {
        if depth > MAX_FIELDS_DEPTH {
            return Err(FieldSetError::TooDeep {
                max: MAX_FIELDS_DEPTH,
            });
        }
        let Value::Object(m) = v else {
            return Err(FieldSetError::NotAnObject { path: path.clone() });
        };
        let mut set = FieldSet::new();
        for (key, child) in m {
            if key == "." {
                set.member = true;
                continue;
            }
            let Some(pe) = PathElement::from_fields_v1_key(key) else {
                return Err(FieldSetError::BadKey {
                    key: key.clone(),
                    path: path.clone(),
                });
            };
            let len = path.len();
            path.push_str(&pe.to_string());
            let mut node = Self::read(child, path, depth + 1)?;
            path.truncate(len);
            // A node without children is a leaf, i.e. a member.
            if node.children.is_empty() {
                node.member = true;
            }
            set.children.insert(pe, node);
        }
        Ok(set)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn f(name: &str) -> PathElement {
        PathElement::Field(name.to_string())
    }

    #[test]
    fn fields_v1_round_trip() {
        struct Case {
            name: &'static str,
            fields: Value,
            paths: &'static [&'static str],
        }
        let cases = [
            Case {
                name: "labels map with dot",
                fields: json!({"f:metadata": {"f:labels": {".": {}, "f:app": {}}}}),
                paths: &[".metadata.labels", ".metadata.labels.app"],
            },
            Case {
                name: "keyed container",
                fields: json!({"f:spec": {"f:containers": {"k:{\"name\":\"nginx\"}": {".": {}, "f:image": {}}}}}),
                paths: &[
                    ".spec.containers[name=\"nginx\"]",
                    ".spec.containers[name=\"nginx\"].image",
                ],
            },
            Case {
                name: "multi-key and set members",
                fields: json!({"f:metadata": {"f:finalizers": {"v:\"a/b\"": {}}},
                    "f:spec": {"f:ports": {"k:{\"port\":80,\"protocol\":\"TCP\"}": {".": {}, "f:port": {}}}}}),
                paths: &[
                    ".metadata.finalizers[=\"a/b\"]",
                    ".spec.ports[port=80,protocol=\"TCP\"]",
                    ".spec.ports[port=80,protocol=\"TCP\"].port",
                ],
            },
        ];
        for c in cases {
            let set =
                FieldSet::from_fields_v1(&c.fields).unwrap_or_else(|e| panic!("{}: {e}", c.name));
            let paths: Vec<String> = set.paths().iter().map(|p| path_string(p)).collect();
            assert_eq!(paths, c.paths, "{}", c.name);
            assert_eq!(set.to_fields_v1(), c.fields, "{}: round trip", c.name);
        }
    }

    #[test]
    fn set_algebra() {
        let mut a = FieldSet::new();
        a.insert(&[f("spec"), f("replicas")]);
        a.insert(&[f("spec"), f("paused")]);
        let mut b = FieldSet::new();
        b.insert(&[f("spec"), f("replicas")]);
        let d = a.difference(&b);
        assert_eq!(path_string(&d.paths()[0]), ".spec.paused");
        assert_eq!(d.paths().len(), 1);
        let i = a.intersection(&b);
        assert_eq!(i, b);
        assert!(a.difference(&a).is_empty());
        a.remove_tree(&[f("spec")]);
        assert!(a.is_empty());
    }

    #[test]
    fn fields_with_children_become_members() {
        let set = FieldSet::from_fields_v1(&json!({
            "f:metadata": {"f:labels": {"f:app": {}}},
            "f:spec": {"f:containers": {"k:{\"name\":\"a\"}": {"f:image": {}}}}
        }))
        .expect("fields");
        let paths: Vec<String> = set
            .with_fields_as_members()
            .paths()
            .iter()
            .map(|p| path_string(p))
            .collect();
        // Every field with children is a member; the list item is not made one.
        assert_eq!(
            paths,
            [
                ".metadata",
                ".metadata.labels",
                ".metadata.labels.app",
                ".spec",
                ".spec.containers",
                ".spec.containers[name=\"a\"].image",
            ]
        );

        // So a container the last set owned as a whole is not dropped while its contents are
        // still owned, but an item is.
        let last = FieldSet::from_fields_v1(&json!({
            "f:metadata": {"f:labels": {".": {}, "f:app": {}, "f:tier": {}}},
            "f:spec": {"f:containers": {".": {}, "k:{\"name\":\"a\"}": {".": {}, "f:image": {}}}}
        }))
        .expect("fields");
        let removed: Vec<String> = last
            .difference(&set.with_fields_as_members())
            .paths()
            .iter()
            .map(|p| path_string(p))
            .collect();
        assert_eq!(
            removed,
            [".metadata.labels.tier", ".spec.containers[name=\"a\"]"]
        );
    }

    #[test]
    fn bad_fields_v1() {
        for bad in [
            json!([]),
            json!({"x:y": {}}),
            json!({"f:a": 3}),
            json!({"k:[1]": {}}),
        ] {
            assert!(FieldSet::from_fields_v1(&bad).is_err(), "{bad}");
        }
    }
}
