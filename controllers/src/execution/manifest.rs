//! A Work's manifests as the execution controller sees them: which member object each one is,
//! what exactly is applied, whose an existing member object is, and what is left of Flotilla's
//! bookkeeping on an object that is kept when its Work goes.

use std::fmt;

use flotilla_api::labels;
use k8s_openapi::api::core::v1::ObjectReference;
use kube::api::DynamicObject;
use serde_json::{Map, Value, json};

/// The member object a manifest stands for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjKey {
    /// `group/version`, or `version` for the core group.
    pub api_version: String,
    pub kind: String,
    /// Empty for cluster-scoped objects.
    pub namespace: String,
    pub name: String,
}

impl ObjKey {
    /// The identity written in a manifest; the namespace is corrected for the kind's scope once
    /// the member's discovery says what it is ([`ObjKey::scoped`]).
    pub fn of_manifest(manifest: &Value) -> Result<ObjKey, String> {
        let field = |path: &str| {
            manifest
                .pointer(path)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let key = ObjKey {
            api_version: field("/apiVersion"),
            kind: field("/kind"),
            namespace: field("/metadata/namespace"),
            name: field("/metadata/name"),
        };
        for (what, value) in [
            ("apiVersion", &key.api_version),
            ("kind", &key.kind),
            ("metadata.name", &key.name),
        ] {
            if value.is_empty() {
                return Err(format!("the manifest has no {what}"));
            }
        }
        Ok(key)
    }

    /// The same identity with the namespace a kind of this scope has: none for cluster-scoped
    /// kinds, `default` for a namespaced manifest that names none (as kubectl does).
    pub fn scoped(mut self, namespaced: bool) -> ObjKey {
        if !namespaced {
            self.namespace.clear();
        } else if self.namespace.is_empty() {
            self.namespace = "default".to_owned();
        }
        self
    }

    /// The object regardless of the API version it is read through: group, kind, namespace
    /// and name.
    pub fn identity(&self) -> (&str, &str, &str, &str) {
        (self.group(), &self.kind, &self.namespace, &self.name)
    }

    pub fn group(&self) -> &str {
        self.api_version.rsplit_once('/').map_or("", |(g, _)| g)
    }

    pub fn version(&self) -> &str {
        self.api_version
            .rsplit_once('/')
            .map_or(self.api_version.as_str(), |(_, v)| v)
    }
}

impl fmt::Display for ObjKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.namespace.is_empty() {
            write!(f, "{} {}", self.kind, self.name)
        } else {
            write!(f, "{} {}/{}", self.kind, self.namespace, self.name)
        }
    }
}

/// Metadata the server owns (or that means nothing in another cluster): never applied.
const SERVER_METADATA: &[&str] = &[
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "managedFields",
    "selfLink",
    // Owners in the federation do not exist in the member; its garbage collector would delete
    // the object at once.
    "ownerReferences",
];

/// The object applied for a manifest: server-owned metadata and `status` dropped, the scope's
/// namespace set, and Flotilla's bookkeeping — label `karmada.io/managed: "true"` and the
/// annotations naming the Work — present whatever the manifest says, since they are how the
/// object is recognised as Flotilla's later.
pub fn prepare(manifest: &Value, key: &ObjKey, work_namespace: &str, work_name: &str) -> Value {
    let mut desired = manifest.clone();
    if !desired.is_object() {
        desired = json!({});
    }
    let obj = desired.as_object_mut().expect("made an object above");
    obj.remove("status");
    obj.insert("apiVersion".to_owned(), json!(key.api_version));
    obj.insert("kind".to_owned(), json!(key.kind));
    let meta = object_entry(obj, "metadata");
    for field in SERVER_METADATA {
        meta.remove(*field);
    }
    meta.insert("name".to_owned(), json!(key.name));
    if key.namespace.is_empty() {
        meta.remove("namespace");
    } else {
        meta.insert("namespace".to_owned(), json!(key.namespace));
    }
    object_entry(meta, "labels").insert(
        labels::MANAGED_BY_KARMADA.to_owned(),
        json!(labels::MANAGED_BY_KARMADA_VALUE),
    );
    let annotations = object_entry(meta, "annotations");
    annotations.insert(labels::WORK_NAMESPACE.to_owned(), json!(work_namespace));
    annotations.insert(labels::WORK_NAME.to_owned(), json!(work_name));
    desired
}

fn object_entry<'a>(map: &'a mut Map<String, Value>, key: &str) -> &'a mut Map<String, Value> {
    let entry = map
        .entry(key.to_owned())
        .or_insert_with(|| Value::Object(Map::new()));
    if !entry.is_object() {
        *entry = Value::Object(Map::new());
    }
    entry.as_object_mut().expect("made an object above")
}

/// Whether the manifest may take over an existing member object Flotilla does not manage
/// (`work.karmada.io/conflict-resolution: overwrite`, from the policy's
/// `conflictResolution: Overwrite` or the template's annotation).
pub fn overwrites(manifest: &Value) -> bool {
    manifest
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(labels::CONFLICT_RESOLUTION))
        .and_then(Value::as_str)
        == Some(labels::CONFLICT_RESOLUTION_OVERWRITE)
}

/// Whether an existing member object is Flotilla's: it carries `karmada.io/managed: "true"`, or
/// its annotations name this Work (someone removed the label — drift, not a stranger).
pub fn is_managed(obj: &DynamicObject, work_namespace: &str, work_name: &str) -> bool {
    let managed = obj
        .metadata
        .labels
        .as_ref()
        .and_then(|l| l.get(labels::MANAGED_BY_KARMADA))
        .is_some_and(|v| v == labels::MANAGED_BY_KARMADA_VALUE);
    managed || belongs_to(obj, work_namespace, work_name)
}

/// Whether a member object's annotations name this Work.
pub fn belongs_to(obj: &DynamicObject, work_namespace: &str, work_name: &str) -> bool {
    let annotations = obj.metadata.annotations.as_ref();
    let get = |k: &str| annotations.and_then(|a| a.get(k)).map(String::as_str);
    get(labels::WORK_NAMESPACE) == Some(work_namespace) && get(labels::WORK_NAME) == Some(work_name)
}

/// The Work a member object came from, if its annotations name one in `work_namespace`.
pub fn work_of(obj: &DynamicObject, work_namespace: &str) -> Option<String> {
    let annotations = obj.metadata.annotations.as_ref()?;
    if annotations.get(labels::WORK_NAMESPACE).map(String::as_str) != Some(work_namespace) {
        return None;
    }
    annotations.get(labels::WORK_NAME).cloned()
}

/// Labels through which the federation tracks a member object.
const BOOKKEEPING_LABELS: &[&str] = &[
    labels::MANAGED_BY_KARMADA,
    labels::WORK_PERMANENT_ID,
    labels::RESOURCE_BINDING_PERMANENT_ID,
    labels::CLUSTER_RESOURCE_BINDING_PERMANENT_ID,
    labels::PROPAGATION_POLICY_PERMANENT_ID,
    labels::CLUSTER_PROPAGATION_POLICY_PERMANENT_ID,
];

/// Annotations through which the federation tracks a member object.
const BOOKKEEPING_ANNOTATIONS: &[&str] = &[
    labels::WORK_NAMESPACE,
    labels::WORK_NAME,
    labels::RESOURCE_BINDING_NAMESPACE,
    labels::RESOURCE_BINDING_NAME,
    labels::CLUSTER_RESOURCE_BINDING_NAME,
    labels::RESOURCE_TEMPLATE_UID,
    labels::RESOURCE_TEMPLATE_GENERATION,
    labels::MANAGED_LABELS,
    labels::MANAGED_ANNOTATIONS,
    labels::CONFLICT_RESOLUTION,
    labels::PROPAGATION_POLICY_NAMESPACE,
    labels::PROPAGATION_POLICY_NAME,
    labels::CLUSTER_PROPAGATION_POLICY_NAME,
];

/// The JSON merge patch that strips Flotilla's bookkeeping from an object left in the member
/// (`preserveResourcesOnDeletion`), so it becomes an ordinary member object; `None` when there is
/// nothing to strip.
pub fn release_patch(obj: &DynamicObject) -> Option<Value> {
    let strip = |present: Option<&std::collections::BTreeMap<String, String>>, keys: &[&str]| {
        let present = present?;
        let gone: Map<String, Value> = keys
            .iter()
            .filter(|k| present.contains_key(**k))
            .map(|k| ((*k).to_owned(), Value::Null))
            .collect();
        (!gone.is_empty()).then_some(Value::Object(gone))
    };
    let mut meta = Map::new();
    if let Some(l) = strip(obj.metadata.labels.as_ref(), BOOKKEEPING_LABELS) {
        meta.insert("labels".to_owned(), l);
    }
    if let Some(a) = strip(obj.metadata.annotations.as_ref(), BOOKKEEPING_ANNOTATIONS) {
        meta.insert("annotations".to_owned(), a);
    }
    (!meta.is_empty()).then(|| json!({ "metadata": meta }))
}

/// The resource template in the federation that a manifest was rendered from, for events:
/// same apiVersion, kind, namespace and name, with the UID the binding controller recorded in
/// `resourcetemplate.karmada.io/uid` (without it the manifest has no template to report on).
pub fn template_reference(manifest: &Value, key: &ObjKey) -> Option<ObjectReference> {
    let uid = manifest
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(labels::RESOURCE_TEMPLATE_UID))
        .and_then(Value::as_str)
        .filter(|u| !u.is_empty())?;
    Some(ObjectReference {
        api_version: Some(key.api_version.clone()),
        kind: Some(key.kind.clone()),
        namespace: (!key.namespace.is_empty()).then(|| key.namespace.clone()),
        name: Some(key.name.clone()),
        uid: Some(uid.to_owned()),
        ..Default::default()
    })
}

/// A live member object as JSON, without its managedFields (large, and never compared).
pub fn object_value(obj: &DynamicObject) -> Value {
    let mut value = serde_json::to_value(obj).unwrap_or(Value::Null);
    if let Some(meta) = value.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("managedFields");
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(namespace: &str) -> ObjKey {
        ObjKey {
            api_version: "apps/v1".into(),
            kind: "Deployment".into(),
            namespace: namespace.into(),
            name: "nginx".into(),
        }
    }

    #[test]
    fn identities() {
        let manifest =
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "nginx"}});
        let k = ObjKey::of_manifest(&manifest).unwrap();
        assert_eq!(k.clone().scoped(true), key("default"));
        assert_eq!(k.group(), "apps");
        assert_eq!(k.version(), "v1");
        assert_eq!(key("default").to_string(), "Deployment default/nginx");

        let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "prod", "namespace": "x"}});
        let k = ObjKey::of_manifest(&ns).unwrap().scoped(false);
        assert_eq!(
            (k.group(), k.version(), k.namespace.as_str()),
            ("", "v1", "")
        );
        assert_eq!(k.to_string(), "Namespace prod");

        for (manifest, missing) in [
            (
                json!({"kind": "A", "metadata": {"name": "a"}}),
                "apiVersion",
            ),
            (
                json!({"apiVersion": "v1", "metadata": {"name": "a"}}),
                "kind",
            ),
            (json!({"apiVersion": "v1", "kind": "A"}), "metadata.name"),
        ] {
            let err = ObjKey::of_manifest(&manifest).unwrap_err();
            assert!(err.contains(missing), "{err}");
        }
    }

    #[test]
    fn prepared_manifests_carry_bookkeeping_and_no_server_fields() {
        let manifest = json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {
                "name": "nginx", "namespace": "default", "uid": "fed-uid", "resourceVersion": "7",
                "generation": 3, "creationTimestamp": "2024-01-01T00:00:00Z",
                "ownerReferences": [{"uid": "x"}], "managedFields": [],
                "labels": {"app": "nginx"},
                "annotations": {labels::RESOURCE_TEMPLATE_UID: "t-1"},
            },
            "spec": {"replicas": 2},
            "status": {"replicas": 9},
        });
        let got = prepare(
            &manifest,
            &key("default"),
            "karmada-es-m1",
            "nginx-687f7fb96f",
        );
        assert_eq!(
            got,
            json!({
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {
                    "name": "nginx", "namespace": "default",
                    "labels": {"app": "nginx", labels::MANAGED_BY_KARMADA: "true"},
                    "annotations": {
                        labels::RESOURCE_TEMPLATE_UID: "t-1",
                        labels::WORK_NAMESPACE: "karmada-es-m1",
                        labels::WORK_NAME: "nginx-687f7fb96f",
                    },
                },
                "spec": {"replicas": 2},
            })
        );
        // Cluster-scoped kinds lose a stray namespace.
        let ns = prepare(
            &json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "prod", "namespace": "x"}}),
            &ObjKey {
                api_version: "v1".into(),
                kind: "Namespace".into(),
                namespace: String::new(),
                name: "prod".into(),
            },
            "karmada-es-m1",
            "prod",
        );
        assert!(ns.pointer("/metadata/namespace").is_none());
    }

    #[test]
    fn conflict_resolution() {
        let with = |v: &str| json!({"metadata": {"annotations": {labels::CONFLICT_RESOLUTION: v}}});
        assert!(overwrites(&with("overwrite")));
        assert!(!overwrites(&with("abort")));
        assert!(!overwrites(&json!({"metadata": {}})));
    }

    fn live(labels: &[(&str, &str)], annotations: &[(&str, &str)]) -> DynamicObject {
        let mut obj = DynamicObject {
            types: None,
            metadata: Default::default(),
            data: json!({}),
        };
        let map = |kv: &[(&str, &str)]| {
            (!kv.is_empty()).then(|| {
                kv.iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect()
            })
        };
        obj.metadata.labels = map(labels);
        obj.metadata.annotations = map(annotations);
        obj
    }

    #[test]
    fn ownership_of_member_objects() {
        let ours = [
            (labels::WORK_NAMESPACE, "karmada-es-m1"),
            (labels::WORK_NAME, "w"),
        ];
        let managed = [(labels::MANAGED_BY_KARMADA, "true")];
        assert!(is_managed(&live(&managed, &ours), "karmada-es-m1", "w"));
        assert!(
            is_managed(&live(&[], &ours), "karmada-es-m1", "w"),
            "label removed: still ours"
        );
        assert!(is_managed(&live(&managed, &[]), "karmada-es-m1", "w"));
        assert!(!is_managed(
            &live(&[("app", "x")], &[]),
            "karmada-es-m1",
            "w"
        ));
        assert!(!belongs_to(
            &live(&managed, &ours),
            "karmada-es-m1",
            "other"
        ));
        assert_eq!(
            work_of(&live(&managed, &ours), "karmada-es-m1").as_deref(),
            Some("w")
        );
        assert_eq!(work_of(&live(&managed, &ours), "karmada-es-m2"), None);
    }

    #[test]
    fn released_objects_lose_only_bookkeeping() {
        let obj = live(
            &[(labels::MANAGED_BY_KARMADA, "true"), ("app", "nginx")],
            &[
                (labels::WORK_NAMESPACE, "karmada-es-m1"),
                (labels::WORK_NAME, "w"),
                ("team", "a"),
            ],
        );
        assert_eq!(
            release_patch(&obj),
            Some(json!({"metadata": {
                "labels": {labels::MANAGED_BY_KARMADA: null},
                "annotations": {labels::WORK_NAMESPACE: null, labels::WORK_NAME: null},
            }}))
        );
        assert_eq!(release_patch(&live(&[("app", "nginx")], &[])), None);
    }

    #[test]
    fn template_references_need_the_template_uid() {
        let k = key("default");
        let manifest = json!({"metadata": {"annotations": {labels::RESOURCE_TEMPLATE_UID: "t-1"}}});
        let r = template_reference(&manifest, &k).unwrap();
        assert_eq!(r.uid.as_deref(), Some("t-1"));
        assert_eq!(r.kind.as_deref(), Some("Deployment"));
        assert_eq!(r.namespace.as_deref(), Some("default"));
        assert!(template_reference(&json!({"metadata": {}}), &k).is_none());
    }
}
