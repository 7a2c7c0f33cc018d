//! Works as the binding and namespace controllers write them: the finishing touches every
//! manifest gets (Karmada's `ctrlutil.CreateOrUpdateWork` and the work webhook: managed label,
//! Work and template annotations, irrelevant fields pruned, managed key lists), the desired Work
//! compared with the stored one, and the writes — server-side apply with the controller's field
//! manager, only when something differs.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use flotilla_api::Work;
use flotilla_api::labels;
use flotilla_api::work::v1alpha1::WorkSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use kube::Client;
use kube::api::{Api, DeleteParams, Patch, PatchParams, Preconditions};
use serde_json::{Map, Value};

/// Work annotations a writer sets only sometimes: when it leaves one out, a stored Work that
/// still has it is out of date.
const OPTIONAL_ANNOTATIONS: [&str; 2] =
    [labels::APPLIED_OVERRIDES, labels::APPLIED_CLUSTER_OVERRIDES];

/// How long a write the cache has not shown yet stands in for the cached Work.
const UNOBSERVED_TTL: Duration = Duration::from_secs(30);

/// Identifies a Work: execution namespace and name.
pub(crate) type WorkKey = (String, String);

/// The Work a controller wants in one execution namespace.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DesiredWork {
    pub namespace: String,
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub owner_references: Vec<OwnerReference>,
    pub spec: WorkSpec,
}

impl DesiredWork {
    pub fn key(&self) -> WorkKey {
        (self.namespace.clone(), self.name.clone())
    }

    /// The Work object to apply.
    pub fn to_work(&self) -> Work {
        Work {
            metadata: ObjectMeta {
                name: Some(self.name.clone()),
                namespace: Some(self.namespace.clone()),
                labels: Some(self.labels.clone()),
                annotations: Some(self.annotations.clone()),
                finalizers: Some(vec![labels::EXECUTION_CONTROLLER_FINALIZER.to_owned()]),
                owner_references: (!self.owner_references.is_empty())
                    .then(|| self.owner_references.clone()),
                ..Default::default()
            },
            spec: self.spec.clone(),
            ..Default::default()
        }
    }

    /// Whether `stored` already is what this Work asks for (other writers' labels, annotations
    /// and finalizers aside).
    pub fn in_sync(&self, stored: &Work) -> bool {
        let meta = &stored.metadata;
        let contains = |map: &Option<BTreeMap<String, String>>, want: &BTreeMap<String, String>| {
            want.iter()
                .all(|(k, v)| map.as_ref().and_then(|m| m.get(k)) == Some(v))
        };
        meta.deletion_timestamp.is_none()
            && meta
                .finalizers
                .iter()
                .flatten()
                .any(|f| f == labels::EXECUTION_CONTROLLER_FINALIZER)
            && contains(&meta.labels, &self.labels)
            && contains(&meta.annotations, &self.annotations)
            && OPTIONAL_ANNOTATIONS.iter().all(|key| {
                self.annotations.contains_key(*key)
                    || !meta
                        .annotations
                        .as_ref()
                        .is_some_and(|a| a.contains_key(*key))
            })
            && self.owner_references.iter().all(|want| {
                meta.owner_references
                    .iter()
                    .flatten()
                    .any(|have| have.uid == want.uid)
            })
            && stored.spec == self.spec
    }
}

/// What [`WorkWriter::ensure`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ensured {
    /// The stored Work was already as desired.
    Unchanged,
    /// This writer applied exactly this Work a moment ago and the cache has not caught up.
    Unobserved,
    /// The Work was created or updated.
    Applied,
}

/// Why a Work could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The Work is being deleted (its finalizer still holds it).
    #[error("Work {0} is being deleted; it is written again once it is gone")]
    Deleting(String),
    /// The apply failed.
    #[error("failed to apply Work {work}: {source}")]
    Apply {
        /// The Work, `namespace/name`.
        work: String,
        /// The API error.
        #[source]
        source: kube::Error,
    },
}

#[derive(Debug)]
struct Written {
    fingerprint: u64,
    resource_version: Option<u64>,
    permanent_id: String,
    at: Instant,
}

/// Writes Works for one controller and remembers what it wrote, so that a cache that lags
/// behind the controller's own writes causes neither a second write nor a new permanent ID.
pub(crate) struct WorkWriter {
    client: Client,
    field_manager: &'static str,
    written: Mutex<HashMap<WorkKey, Written>>,
}

fn revision(meta: &ObjectMeta) -> Option<u64> {
    meta.resource_version.as_deref()?.parse().ok()
}

fn is_status(err: &kube::Error, code: u16) -> bool {
    matches!(err, kube::Error::Api(status) if status.code == code)
}

impl WorkWriter {
    pub fn new(client: Client, field_manager: &'static str) -> Self {
        WorkWriter {
            client,
            field_manager,
            written: Mutex::new(HashMap::new()),
        }
    }

    fn written(&self) -> std::sync::MutexGuard<'_, HashMap<WorkKey, Written>> {
        self.written.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The permanent ID of a Work: the stored one, else the one this writer gave it, else a new
    /// UUID (what Karmada's webhook would assign on creation; it goes into the manifest too).
    pub fn permanent_id(&self, key: &WorkKey, stored: Option<&Work>) -> String {
        if let Some(id) = stored
            .and_then(|w| w.metadata.labels.as_ref())
            .and_then(|l| l.get(labels::WORK_PERMANENT_ID))
            .filter(|id| !id.is_empty())
        {
            return id.clone();
        }
        if let Some(w) = self.written().get(key) {
            return w.permanent_id.clone();
        }
        uuid::Uuid::new_v4().to_string()
    }

    /// Whether a watch event shows the Work exactly as this writer last wrote it: the echo of
    /// its own write (whether it arrives before or after the write's response), which needs no
    /// reaction.
    pub fn is_own_write(&self, key: &WorkKey, work: &Work) -> bool {
        self.written()
            .get(key)
            .is_some_and(|w| w.fingerprint == work_fingerprint(work))
    }

    /// Forgets a Work that was deleted.
    pub fn forget(&self, key: &WorkKey) {
        self.written().remove(key);
    }

    /// Makes the Work what `desired` says, writing only when the stored Work (from the cache)
    /// differs.
    pub async fn ensure(
        &self,
        desired: &DesiredWork,
        stored: Option<&Work>,
    ) -> Result<Ensured, WriteError> {
        let key = desired.key();
        if let Some(stored) = stored {
            if stored.metadata.deletion_timestamp.is_some() {
                return Err(WriteError::Deleting(format!("{}/{}", key.0, key.1)));
            }
            if desired.in_sync(stored) {
                return Ok(Ensured::Unchanged);
            }
        }
        let work = desired.to_work();
        let fingerprint = work_fingerprint(&work);
        {
            let mut written = self.written();
            if let Some(prev) = written.get(&key)
                && prev.fingerprint == fingerprint
            {
                let behind = match stored {
                    Some(stored) => {
                        prev.resource_version.is_none()
                            || revision(&stored.metadata) < prev.resource_version
                    }
                    None => prev.at.elapsed() < UNOBSERVED_TTL,
                };
                if behind {
                    return Ok(Ensured::Unobserved);
                }
            }
            // Recorded before the write, so that its watch event, which may overtake the
            // response, is recognized as this writer's own.
            written.insert(
                key.clone(),
                Written {
                    fingerprint,
                    resource_version: None,
                    permanent_id: desired
                        .labels
                        .get(labels::WORK_PERMANENT_ID)
                        .cloned()
                        .unwrap_or_default(),
                    at: Instant::now(),
                },
            );
        }
        let api: Api<Work> = Api::namespaced(self.client.clone(), &desired.namespace);
        let result = api
            .patch(
                &desired.name,
                &PatchParams::apply(self.field_manager).force(),
                &Patch::Apply(&work),
            )
            .await;
        let mut written = self.written();
        let ours = written
            .get_mut(&key)
            .filter(|w| w.fingerprint == fingerprint);
        match result {
            Ok(applied) => {
                // Gone from the map when the Work's deletion was seen in between: then the
                // Work is to be written again, not taken as written.
                if let Some(w) = ours {
                    w.resource_version = revision(&applied.metadata);
                    w.at = Instant::now();
                }
                Ok(Ensured::Applied)
            }
            Err(source) => {
                if ours.is_some() {
                    written.remove(&key);
                }
                Err(WriteError::Apply {
                    work: format!("{}/{}", key.0, key.1),
                    source,
                })
            }
        }
    }

    /// Deletes a Work (the one with `uid`, if given); one already gone is fine.
    pub async fn delete(
        &self,
        namespace: &str,
        name: &str,
        uid: Option<String>,
    ) -> Result<(), kube::Error> {
        let api: Api<Work> = Api::namespaced(self.client.clone(), namespace);
        let params = DeleteParams {
            preconditions: uid.map(|uid| Preconditions {
                uid: Some(uid),
                resource_version: None,
            }),
            ..Default::default()
        };
        self.forget(&(namespace.to_owned(), name.to_owned()));
        match api.delete(name, &params).await {
            Ok(_) => Ok(()),
            // Gone already, or replaced by a newer Work of the same name.
            Err(e) if is_status(&e, 404) || is_status(&e, 409) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// A hash of what a Work event can change that matters to the Work's writer: everything but
/// its status and bookkeeping.
pub(crate) fn work_fingerprint(work: &Work) -> u64 {
    let mut hasher = DefaultHasher::new();
    let meta = &work.metadata;
    serde_json::to_vec(&(
        &meta.labels,
        &meta.annotations,
        &meta.finalizers,
        meta.deletion_timestamp.is_some(),
        &work.spec,
    ))
    .unwrap_or_default()
    .hash(&mut hasher);
    hasher.finish()
}

// ----- manifests ---------------------------------------------------------------------------------

/// `metadata.<field>` of a manifest as a map, created (or replaced, if it is not a map).
pub(crate) fn metadata_map<'a>(manifest: &'a mut Value, field: &str) -> &'a mut Map<String, Value> {
    if !manifest.is_object() {
        *manifest = Value::Object(Map::new());
    }
    let metadata = manifest
        .as_object_mut()
        .expect("an object")
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    if !metadata.is_object() {
        *metadata = Value::Object(Map::new());
    }
    let map = metadata
        .as_object_mut()
        .expect("an object")
        .entry(field)
        .or_insert_with(|| Value::Object(Map::new()));
    if !map.is_object() {
        *map = Value::Object(Map::new());
    }
    map.as_object_mut().expect("an object")
}

/// Sets a label on a manifest.
pub(crate) fn set_label(manifest: &mut Value, key: &str, value: &str) {
    metadata_map(manifest, "labels").insert(key.to_owned(), Value::from(value));
}

/// Sets an annotation on a manifest.
pub(crate) fn set_annotation(manifest: &mut Value, key: &str, value: &str) {
    metadata_map(manifest, "annotations").insert(key.to_owned(), Value::from(value));
}

/// A string field of a manifest ("" when absent).
pub(crate) fn str_at<'a>(manifest: &'a Value, pointer: &str) -> &'a str {
    manifest
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// Where a finished manifest goes and how conflicts in the member are resolved.
pub(crate) struct Finish<'a> {
    /// The Work's execution namespace.
    pub work_namespace: &'a str,
    /// The Work's name.
    pub work_name: &'a str,
    /// The Work's permanent ID.
    pub work_permanent_id: &'a str,
    /// The `work.karmada.io/conflict-resolution` annotation of the Work, copied to the manifest.
    pub conflict_resolution: Option<&'a str>,
}

/// What every manifest of a Work gets, in Karmada's order: the `karmada.io/managed` label, the
/// template UID and the Work's name and namespace as annotations, the conflict resolution; then
/// the fields that belong to the federation's copy only are pruned; last the sorted lists of
/// managed annotation and label keys, with the Work's permanent ID among the labels.
pub(crate) fn finish_manifest(manifest: &mut Value, finish: &Finish<'_>) {
    set_label(
        manifest,
        labels::MANAGED_BY_KARMADA,
        labels::MANAGED_BY_KARMADA_VALUE,
    );
    let uid = str_at(manifest, "/metadata/uid").to_owned();
    set_annotation(manifest, labels::RESOURCE_TEMPLATE_UID, &uid);
    set_annotation(manifest, labels::WORK_NAME, finish.work_name);
    set_annotation(manifest, labels::WORK_NAMESPACE, finish.work_namespace);
    if let Some(resolution) = finish.conflict_resolution {
        set_annotation(manifest, labels::CONFLICT_RESOLUTION, resolution);
    }
    prune(manifest);

    let annotations = metadata_map(manifest, "annotations");
    let mut keys: Vec<String> = annotations
        .keys()
        .filter(|k| *k != labels::MANAGED_ANNOTATIONS && *k != labels::MANAGED_LABELS)
        .cloned()
        .chain([
            labels::MANAGED_ANNOTATIONS.to_owned(),
            labels::MANAGED_LABELS.to_owned(),
        ])
        .collect();
    keys.sort();
    annotations.insert(
        labels::MANAGED_ANNOTATIONS.to_owned(),
        Value::from(keys.join(",")),
    );
    if !finish.work_permanent_id.is_empty() {
        set_label(
            manifest,
            labels::WORK_PERMANENT_ID,
            finish.work_permanent_id,
        );
    }
    let mut keys: Vec<String> = metadata_map(manifest, "labels").keys().cloned().collect();
    keys.sort();
    set_annotation(manifest, labels::MANAGED_LABELS, &keys.join(","));
}

/// Removes what the federation's apiserver and controllers set on a template and must not reach
/// a member (Karmada's `prune.RemoveIrrelevantFields` with `RemoveJobTTLSeconds`): server-set
/// metadata, the status, and per kind the fields a member sets for itself.
pub(crate) fn prune(manifest: &mut Value) {
    let kind = str_at(manifest, "/kind").to_owned();
    let Some(object) = manifest.as_object_mut() else {
        return;
    };
    object.remove("status");
    if let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        for field in [
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "generation",
            "managedFields",
            "resourceVersion",
            "selfLink",
            "uid",
            "ownerReferences",
            "finalizers",
        ] {
            metadata.remove(field);
        }
    }
    let remove_annotations = |object: &mut Map<String, Value>, keys: &[&str]| {
        if let Some(annotations) = object
            .get_mut("metadata")
            .and_then(|m| m.get_mut("annotations"))
            .and_then(Value::as_object_mut)
        {
            for key in keys {
                annotations.remove(*key);
            }
        }
    };
    match kind.as_str() {
        "Deployment" => remove_annotations(
            object,
            &[
                "deployment.kubernetes.io/revision",
                "deployment.kubernetes.io/revision-history",
            ],
        ),
        "Job" => {
            let manual = object
                .get("spec")
                .and_then(|s| s.get("manualSelector"))
                .and_then(Value::as_bool)
                == Some(true);
            if let Some(spec) = object.get_mut("spec").and_then(Value::as_object_mut) {
                // Members of a federation run Jobs to completion and keep them: a member's TTL
                // controller deleting one would make the federation recreate it.
                spec.remove("ttlSecondsAfterFinished");
                if !manual {
                    // The selector the federation's apiserver generated names the template's
                    // UID; each member generates its own.
                    if let Some(labels) = spec
                        .get_mut("selector")
                        .and_then(|s| s.get_mut("matchLabels"))
                        .and_then(Value::as_object_mut)
                    {
                        labels.remove("controller-uid");
                        labels.remove("batch.kubernetes.io/controller-uid");
                    }
                    if let Some(labels) = spec
                        .get_mut("template")
                        .and_then(|t| t.get_mut("metadata"))
                        .and_then(|m| m.get_mut("labels"))
                        .and_then(Value::as_object_mut)
                    {
                        for key in [
                            "controller-uid",
                            "job-name",
                            "batch.kubernetes.io/controller-uid",
                            "batch.kubernetes.io/job-name",
                        ] {
                            labels.remove(key);
                        }
                    }
                }
            }
        }
        "Secret"
            if object.get("type").and_then(Value::as_str)
                == Some("kubernetes.io/service-account-token") =>
        {
            remove_annotations(object, &["kubernetes.io/service-account.uid"]);
            object.remove("data");
        }
        "ServiceAccount" => {
            let prefix = format!(
                "{}-token-",
                object
                    .get("metadata")
                    .and_then(|m| m.get("name"))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
            );
            if let Some(secrets) = object.get_mut("secrets").and_then(Value::as_array_mut) {
                secrets.retain(|s| {
                    !s.get("name")
                        .and_then(Value::as_str)
                        .is_some_and(|n| n.starts_with(&prefix))
                });
            }
        }
        "Service" => {
            if let Some(spec) = object.get_mut("spec").and_then(Value::as_object_mut)
                && spec
                    .get("clusterIP")
                    .and_then(Value::as_str)
                    .is_some_and(|ip| ip != "None")
            {
                // Allocated by the federation's apiserver; each member allocates its own.
                spec.remove("clusterIP");
                spec.remove("clusterIPs");
            }
        }
        "PersistentVolumeClaim" => {
            let selected = object
                .get("metadata")
                .and_then(|m| m.get("annotations"))
                .and_then(|a| a.get("volume.kubernetes.io/selected-node"))
                .and_then(Value::as_str)
                .is_some_and(|n| !n.is_empty());
            if selected {
                remove_annotations(object, &["volume.kubernetes.io/selected-node"]);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn finished_manifests_carry_what_karmada_injects() {
        let mut manifest = json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {
                "name": "nginx",
                "namespace": "default",
                "uid": "u-1",
                "resourceVersion": "42",
                "generation": 3,
                "creationTimestamp": "2024-01-01T00:00:00Z",
                "managedFields": [{}],
                "finalizers": ["x"],
                "ownerReferences": [{}],
                "labels": {"app": "nginx"},
                "annotations": {"deployment.kubernetes.io/revision": "2", "note": "kept"}
            },
            "spec": {"replicas": 2},
            "status": {"replicas": 2}
        });
        finish_manifest(
            &mut manifest,
            &Finish {
                work_namespace: "karmada-es-m1",
                work_name: "nginx-687f7fb96f",
                work_permanent_id: "w-1",
                conflict_resolution: Some("abort"),
            },
        );
        assert_eq!(
            manifest,
            json!({
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {
                    "name": "nginx",
                    "namespace": "default",
                    "labels": {
                        "app": "nginx",
                        "karmada.io/managed": "true",
                        "work.karmada.io/permanent-id": "w-1"
                    },
                    "annotations": {
                        "note": "kept",
                        "resourcetemplate.karmada.io/uid": "u-1",
                        "work.karmada.io/name": "nginx-687f7fb96f",
                        "work.karmada.io/namespace": "karmada-es-m1",
                        "work.karmada.io/conflict-resolution": "abort",
                        "resourcetemplate.karmada.io/managed-annotations": "note,resourcetemplate.karmada.io/managed-annotations,resourcetemplate.karmada.io/managed-labels,resourcetemplate.karmada.io/uid,work.karmada.io/conflict-resolution,work.karmada.io/name,work.karmada.io/namespace",
                        "resourcetemplate.karmada.io/managed-labels": "app,karmada.io/managed,work.karmada.io/permanent-id"
                    }
                },
                "spec": {"replicas": 2}
            })
        );
    }

    #[test]
    fn per_kind_pruning() {
        struct Case {
            name: &'static str,
            manifest: Value,
            want: Value,
        }
        let cases = [
            Case {
                name: "service cluster IPs are the member's",
                manifest: json!({"kind": "Service", "spec": {"clusterIP": "10.0.0.7", "clusterIPs": ["10.0.0.7"], "ports": []}}),
                want: json!({"kind": "Service", "spec": {"ports": []}}),
            },
            Case {
                name: "headless services stay headless",
                manifest: json!({"kind": "Service", "spec": {"clusterIP": "None", "clusterIPs": ["None"]}}),
                want: json!({"kind": "Service", "spec": {"clusterIP": "None", "clusterIPs": ["None"]}}),
            },
            Case {
                name: "generated job selectors and ttl",
                manifest: json!({"kind": "Job", "spec": {
                    "ttlSecondsAfterFinished": 10,
                    "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "u", "controller-uid": "u"}},
                    "template": {"metadata": {"labels": {"job-name": "pi", "batch.kubernetes.io/job-name": "pi", "batch.kubernetes.io/controller-uid": "u", "app": "pi"}}}
                }}),
                want: json!({"kind": "Job", "spec": {
                    "selector": {"matchLabels": {}},
                    "template": {"metadata": {"labels": {"app": "pi"}}}
                }}),
            },
            Case {
                name: "manual job selectors are kept",
                manifest: json!({"kind": "Job", "spec": {"manualSelector": true, "selector": {"matchLabels": {"controller-uid": "u"}}}}),
                want: json!({"kind": "Job", "spec": {"manualSelector": true, "selector": {"matchLabels": {"controller-uid": "u"}}}}),
            },
            Case {
                name: "service account token secrets",
                manifest: json!({"kind": "Secret", "type": "kubernetes.io/service-account-token", "metadata": {"annotations": {"kubernetes.io/service-account.uid": "u", "kubernetes.io/service-account.name": "sa"}}, "data": {"token": "x"}}),
                want: json!({"kind": "Secret", "type": "kubernetes.io/service-account-token", "metadata": {"annotations": {"kubernetes.io/service-account.name": "sa"}}}),
            },
            Case {
                name: "service account token references",
                manifest: json!({"kind": "ServiceAccount", "metadata": {"name": "sa"}, "secrets": [{"name": "sa-token-abcde"}, {"name": "mine"}]}),
                want: json!({"kind": "ServiceAccount", "metadata": {"name": "sa"}, "secrets": [{"name": "mine"}]}),
            },
            Case {
                name: "claims forget the node they were bound on",
                manifest: json!({"kind": "PersistentVolumeClaim", "metadata": {"annotations": {"volume.kubernetes.io/selected-node": "n1"}}}),
                want: json!({"kind": "PersistentVolumeClaim", "metadata": {"annotations": {}}}),
            },
        ];
        for mut case in cases {
            prune(&mut case.manifest);
            assert_eq!(case.manifest, case.want, "{}", case.name);
        }
    }

    fn desired() -> DesiredWork {
        DesiredWork {
            namespace: "karmada-es-m1".into(),
            name: "w".into(),
            labels: BTreeMap::from([("a".into(), "1".into())]),
            annotations: BTreeMap::from([("b".into(), "2".into())]),
            owner_references: Vec::new(),
            spec: WorkSpec {
                suspend_dispatching: Some(false),
                ..Default::default()
            },
        }
    }

    #[test]
    fn in_sync_ignores_other_writers_but_not_our_fields() {
        let d = desired();
        let mut stored = d.to_work();
        stored
            .metadata
            .labels
            .as_mut()
            .unwrap()
            .insert("other".into(), "x".into());
        stored
            .metadata
            .finalizers
            .as_mut()
            .unwrap()
            .push("other/finalizer".into());
        stored.status = Some(Default::default());
        assert!(d.in_sync(&stored));

        let mut changed = stored.clone();
        changed.spec.suspend_dispatching = Some(true);
        assert!(!d.in_sync(&changed), "spec differs");

        let mut no_finalizer = stored.clone();
        no_finalizer.metadata.finalizers = None;
        assert!(!d.in_sync(&no_finalizer), "finalizer missing");

        let mut stale = stored.clone();
        stale
            .metadata
            .annotations
            .as_mut()
            .unwrap()
            .insert(labels::APPLIED_OVERRIDES.into(), "[]".into());
        assert!(!d.in_sync(&stale), "an override record no longer applies");
    }
}
