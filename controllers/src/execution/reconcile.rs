//! Reconciling one Work against its member cluster: apply (or take over, or refuse), restore
//! and report drift, delete what goes, and write the Work's status. Level-triggered and
//! idempotent: it reads the Work and the member objects from the caches, and writes only what
//! differs.

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

use flotilla_api::work::v1alpha1::{ManifestStatus, ResourceIdentifier, WorkStatus};
use flotilla_api::{Cluster, Work, labels};
use k8s_openapi::api::core::v1::{Namespace, ObjectReference};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Resource;
use kube::api::{
    Api, DeleteParams, DynamicObject, Patch, PatchParams, PostParams, Preconditions,
    PropagationPolicy,
};
use kube::runtime::reflector::ObjectRef;
use serde_json::{Value, json};
use tracing::{debug, info, warn};

use super::FIELD_MANAGER;
use super::compare;
use super::manifest::{self, ObjKey};
use super::member::{Applied, Member, ReconcileError, Resolved, Watched, is_status, lock};
use super::status::{self, Drift, REASON_DRIFT_CORRECTED};
use crate::interpreter;

/// How far a failed manifest's object was identified: its namespace is only certain once the
/// member said whether the kind is namespaced.
enum Identified {
    Scoped(ObjKey),
    Unscoped(ObjKey),
}

/// What became of one manifest.
struct Outcome {
    key: ObjKey,
    resolved: Resolved,
    /// The member object as it is now, if it exists.
    live: Option<Arc<DynamicObject>>,
    /// The drift corrected, if any.
    drift: Option<Drift>,
}

impl Member {
    /// Reconciles Work `name`.
    pub(super) async fn reconcile(self: &Arc<Self>, name: &str) -> Result<(), ReconcileError> {
        let Some(work) = self
            .works
            .get(&ObjectRef::new(name).within(&self.namespace))
        else {
            // Gone (its finalizer handled, or removed by the cluster controller after the
            // member stayed unreachable): nothing left to do in the member.
            lock(&self.records).remove(name);
            return Ok(());
        };
        let cluster = self.cluster();
        if work.metadata.deletion_timestamp.is_some() {
            return self.finalize(&work, &cluster).await;
        }
        self.ensure_finalizer(&work).await?;
        if !cluster.is_ready() {
            // Karmada applies only to Ready clusters; the set looks at every Work again when the
            // cluster turns Ready.
            debug!("cluster not ready; waiting");
            return Ok(());
        }
        self.sync(&work).await
    }

    /// The record of a Work, reset when the Work was replaced by another of the same name.
    fn with_record<T>(
        &self,
        work: &Work,
        f: impl FnOnce(&mut super::member::WorkRecord) -> T,
    ) -> T {
        let name = work.metadata.name.clone().unwrap_or_default();
        let uid = work.metadata.uid.clone().unwrap_or_default();
        let mut records = lock(&self.records);
        let record = records.entry(name).or_default();
        if record.uid != uid {
            *record = super::member::WorkRecord {
                uid,
                ..Default::default()
            };
        }
        f(record)
    }

    async fn sync(self: &Arc<Self>, work: &Work) -> Result<(), ReconcileError> {
        let work_name = work.metadata.name.clone().unwrap_or_default();
        let generation = work.metadata.generation.unwrap_or(0);
        let suspended = work.spec.suspend_dispatching == Some(true);
        // What the Work's own status says was applied: the memory of a restarted controller.
        let status_generation = status::applied_generation(work.status.as_ref());
        let status_keys: HashSet<ObjKey> = work
            .status
            .iter()
            .flat_map(|s| &s.manifest_statuses)
            .map(|s| key_of_identifier(&s.identifier))
            .collect();

        let manifests = &work.spec.workload.manifests;
        let mut failures = Vec::new();
        let mut outcomes = Vec::new();
        let mut current = HashSet::new();
        // Whether every manifest's object is known; if not, no object counts as removed.
        let mut identified = true;
        for (ordinal, manifest) in manifests.iter().enumerate() {
            let applied_before = |key: &ObjKey| {
                let remembered =
                    self.with_record(work, |r| r.applied.get(key).map(|a| a.generation));
                remembered == Some(generation)
                    || (remembered.is_none()
                        && status_generation == Some(generation)
                        && status_keys.contains(key))
            };
            match self
                .sync_manifest(work, manifest, generation, suspended, applied_before)
                .await
            {
                Ok(outcome) => {
                    current.insert(outcome.key.clone());
                    outcomes.push((ordinal, outcome));
                }
                Err((key, err)) => {
                    match &key {
                        Some(Identified::Scoped(key)) => {
                            current.insert(key.clone());
                        }
                        _ => identified = false,
                    }
                    let what = match key {
                        Some(Identified::Scoped(k) | Identified::Unscoped(k)) => k.to_string(),
                        None => format!("manifest {ordinal}"),
                    };
                    if !suspended {
                        debug!(object = %what, error = %err, "manifest not applied");
                    }
                    failures.push(format!("{what}: {err}"));
                }
            }
        }

        if !suspended && identified {
            // Objects of manifests the Work no longer has.
            let mut previous: BTreeSet<ObjKey> =
                self.with_record(work, |r| r.applied.keys().cloned().collect());
            previous.extend(status_keys.iter().cloned());
            // The same object under another version of its API is not a removed one.
            let kept: HashSet<_> = current.iter().map(ObjKey::identity).collect();
            for key in previous
                .into_iter()
                .filter(|k| !kept.contains(&k.identity()))
            {
                match self.remove_object(&work_name, &key, false).await {
                    Ok(()) => {
                        self.with_record(work, |r| r.applied.remove(&key));
                    }
                    Err(err) => failures.push(format!("{key}: {err}")),
                }
            }
        }

        let drifts: Vec<Drift> = outcomes
            .iter()
            .filter_map(|(_, o)| o.drift.clone())
            .collect();
        let manifest_statuses = outcomes
            .iter()
            .filter_map(|(ordinal, o)| {
                let live = o.live.as_ref()?;
                let value = manifest::object_value(live);
                Some(ManifestStatus {
                    identifier: identifier(*ordinal, &o.key, &o.resolved),
                    status: interpreter::reflect_status(&value),
                    health: Some(interpreter::health(&value)),
                })
            })
            .collect();

        let mut new = self.current_status(work);
        status::set_dispatching(&mut new.conditions, suspended);
        if !suspended {
            status::set_applied(
                &mut new.conditions,
                manifests.len(),
                &failures,
                Some(generation),
            );
        }
        if !drifts.is_empty() {
            let cluster = self.cluster_name.clone();
            let first_count = self.with_record(work, |r| {
                let first = r.corrections + 1;
                r.corrections += drifts.len() as u64;
                first
            });
            let messages: Vec<String> = drifts
                .iter()
                .zip(first_count..)
                .map(|(d, count)| d.message(&cluster, count))
                .collect();
            // The correction happened: it is reported now, whatever becomes of the status
            // write below (which keeps the condition pending until it succeeds).
            for (drift, message) in drifts.iter().zip(&messages) {
                self.report_drift(work, drift, message).await;
            }
            self.with_record(work, |r| r.pending_drifted = Some(messages.join(" | ")));
        }
        if let Some(message) = self.with_record(work, |r| r.pending_drifted.clone()) {
            status::set_drifted(&mut new.conditions, message, Some(generation));
        }
        new.manifest_statuses = status::sorted(manifest_statuses);
        self.write_status(work, new).await?;
        self.with_record(work, |r| r.pending_drifted = None);
        if !failures.is_empty() && !suspended {
            return Err(ReconcileError::Incomplete {
                failed: failures.len(),
                total: manifests.len(),
                details: failures.join("; "),
            });
        }
        Ok(())
    }

    /// Applies one manifest (unless dispatching is suspended) and says what became of it. The
    /// error names the object when the manifest is readable enough to.
    async fn sync_manifest(
        self: &Arc<Self>,
        work: &Work,
        manifest: &Value,
        generation: i64,
        suspended: bool,
        applied_before: impl Fn(&ObjKey) -> bool,
    ) -> Result<Outcome, (Option<Identified>, ReconcileError)> {
        let key = ObjKey::of_manifest(manifest).map_err(|e| (None, ReconcileError::Manifest(e)))?;
        let resolved = self
            .resolve(&key.api_version, &key.kind)
            .await
            .map_err(|e| (Some(Identified::Unscoped(key.clone())), e))?;
        let key = key.scoped(resolved.namespaced);
        let fail = |e: ReconcileError| (Some(Identified::Scoped(key.clone())), e);
        let watched = self.watched(&resolved).await.map_err(fail)?;
        let mut live = self.live(&watched, &key);
        let mut outcome = Outcome {
            key: key.clone(),
            resolved: resolved.clone(),
            live: live.clone(),
            drift: None,
        };
        if suspended {
            return Ok(outcome);
        }
        let work_name = work.metadata.name.as_deref().unwrap_or_default();
        let cluster = self.cluster_name.as_str();
        let client = self.client().await.map_err(fail)?;
        let api = self.api(client, &resolved, &key.namespace);

        if live.is_none() {
            // Not among the managed objects: ask whether something else holds the name.
            let existing = api
                .get_opt(&key.name)
                .await
                .map_err(|e| fail(ReconcileError::member("read", cluster, e)))?;
            if let Some(existing) = existing {
                if !manifest::is_managed(&existing, &self.namespace, work_name)
                    && !manifest::overwrites(manifest)
                {
                    self.metrics.conflicts.inc();
                    return Err(fail(ReconcileError::Conflict {
                        cluster: cluster.to_owned(),
                    }));
                }
                live = Some(Arc::new(existing));
            }
        }
        if let Some(l) = &live
            && l.metadata.deletion_timestamp.is_some()
        {
            // Being deleted in the member: its delete event brings the Work back to recreate it.
            debug!(object = %key, "member object is being deleted; waiting");
            outcome.live = live;
            return Ok(outcome);
        }

        let mut desired = manifest::prepare(manifest, &key, &self.namespace, work_name);
        let already = applied_before(&key);
        let drift = match &live {
            None => already.then(|| Drift {
                object: key.clone(),
                paths: Vec::new(),
                deleted: true,
            }),
            Some(l) => {
                let live_value = manifest::object_value(l);
                interpreter::retain(&mut desired, &live_value);
                if already {
                    let unfixable = self.with_record(work, |r| {
                        r.applied
                            .get(&key)
                            .map(|a| a.unfixable.clone())
                            .unwrap_or_default()
                    });
                    let paths: Vec<String> = compare::differences(&desired, &live_value)
                        .into_iter()
                        .filter(|p| !unfixable.contains(p))
                        .collect();
                    if paths.is_empty() {
                        outcome.live = live;
                        return Ok(outcome);
                    }
                    Some(Drift {
                        object: key.clone(),
                        paths,
                        deleted: false,
                    })
                } else {
                    None
                }
            }
        };

        let applied = self.apply(&api, &key, &desired).await.map_err(|e| {
            self.metrics.errors.inc();
            fail(e)
        })?;
        self.metrics.applied.inc();
        let unfixable: BTreeSet<String> =
            compare::differences(&desired, &manifest::object_value(&applied))
                .into_iter()
                .collect();
        if !unfixable.is_empty() {
            debug!(object = %key, fields = ?unfixable, "the member normalises applied fields");
        }
        // Drift is what the apply put back: a field that differs just the same afterwards is
        // the member's own rendering of the value (e.g. a normalised quantity), not a change.
        let drift = drift.and_then(|mut d| {
            d.paths.retain(|p| !unfixable.contains(p));
            (d.deleted || !d.paths.is_empty()).then_some(d)
        });
        self.with_record(work, |r| {
            r.applied.insert(
                key.clone(),
                Applied {
                    generation,
                    unfixable,
                },
            )
        });
        match &drift {
            Some(d) if d.deleted => info!(object = %key, "recreated deleted member object"),
            Some(d) => info!(object = %key, fields = ?d.paths, "restored drifted member object"),
            None if live.is_none() => debug!(object = %key, "created member object"),
            None => debug!(object = %key, "applied member object"),
        }
        let applied = Arc::new(applied);
        self.wrote(key, Arc::clone(&applied));
        outcome.live = Some(applied);
        outcome.drift = drift;
        Ok(outcome)
    }

    /// Server-side applies `desired`, creating its namespace first if the member lacks it.
    async fn apply(
        &self,
        api: &Api<DynamicObject>,
        key: &ObjKey,
        desired: &Value,
    ) -> Result<DynamicObject, ReconcileError> {
        let params = PatchParams::apply(FIELD_MANAGER).force();
        let cluster = self.cluster_name.as_str();
        match api.patch(&key.name, &params, &Patch::Apply(desired)).await {
            Err(e) if is_status(&e, 404) && !key.namespace.is_empty() => {
                self.create_namespace(&key.namespace).await?;
                api.patch(&key.name, &params, &Patch::Apply(desired))
                    .await
                    .map_err(|e| ReconcileError::member("apply", cluster, e))
            }
            other => other.map_err(|e| ReconcileError::member("apply", cluster, e)),
        }
    }

    /// Creates a namespace the member lacks, labelled managed so that the namespace
    /// controller's Work for it takes it over without a conflict.
    async fn create_namespace(&self, namespace: &str) -> Result<(), ReconcileError> {
        let client = self.client().await?;
        let ns = Namespace {
            metadata: ObjectMeta {
                name: Some(namespace.to_owned()),
                labels: Some(
                    [(
                        labels::MANAGED_BY_KARMADA.to_owned(),
                        labels::MANAGED_BY_KARMADA_VALUE.to_owned(),
                    )]
                    .into(),
                ),
                ..Default::default()
            },
            ..Default::default()
        };
        let params = PostParams {
            field_manager: Some(FIELD_MANAGER.to_owned()),
            ..Default::default()
        };
        match Api::<Namespace>::all(client).create(&params, &ns).await {
            Ok(_) => {
                info!(namespace, "created namespace in the member");
                Ok(())
            }
            Err(e) if is_status(&e, 409) => Ok(()),
            Err(e) => Err(ReconcileError::member(
                "create namespace",
                &self.cluster_name,
                e,
            )),
        }
    }

    /// Deletes (or, with `preserve`, releases) the member object of `key` if it is this Work's.
    async fn remove_object(
        self: &Arc<Self>,
        work_name: &str,
        key: &ObjKey,
        preserve: bool,
    ) -> Result<(), ReconcileError> {
        let resolved = match self.resolve(&key.api_version, &key.kind).await {
            Ok(r) => r,
            // A kind the member does not serve has no objects there.
            Err(ReconcileError::NotServed { .. }) => return Ok(()),
            Err(e) => return Err(e),
        };
        let watched: Arc<Watched> = self.watched(&resolved).await?;
        let Some(live) = self.live(&watched, key) else {
            return Ok(());
        };
        if !manifest::belongs_to(&live, &self.namespace, work_name) {
            // Another Work's (or nobody's) object of the same name: not ours to remove.
            return Ok(());
        }
        let client = self.client().await?;
        let api = self.api(client, &resolved, &key.namespace);
        let cluster = self.cluster_name.as_str();
        if preserve {
            let Some(patch) = manifest::release_patch(&live) else {
                return Ok(());
            };
            let params = PatchParams {
                field_manager: Some(FIELD_MANAGER.to_owned()),
                ..Default::default()
            };
            return match api.patch(&key.name, &params, &Patch::Merge(&patch)).await {
                Ok(released) => {
                    info!(object = %key, "released member object (preserveResourcesOnDeletion)");
                    self.wrote(key.clone(), Arc::new(released));
                    Ok(())
                }
                Err(e) if is_status(&e, 404) => Ok(()),
                Err(e) => Err(ReconcileError::member("release", cluster, e)),
            };
        }
        // Background propagation: a Job's default is to orphan its pods (Karmada #969).
        let params = DeleteParams {
            propagation_policy: Some(PropagationPolicy::Background),
            preconditions: Some(Preconditions {
                uid: live.metadata.uid.clone(),
                resource_version: None,
            }),
            ..Default::default()
        };
        match api.delete(&key.name, &params).await {
            Ok(_) => {
                info!(object = %key, "deleted member object");
                self.deleted(key);
                Ok(())
            }
            // Gone already, or replaced by another object of the same name.
            Err(e) if is_status(&e, 404) || is_status(&e, 409) => {
                self.deleted(key);
                Ok(())
            }
            Err(e) => Err(ReconcileError::member("delete", cluster, e)),
        }
    }

    /// A Work being deleted: its objects go from the member (or are released), then its
    /// finalizer.
    async fn finalize(
        self: &Arc<Self>,
        work: &Work,
        cluster: &Cluster,
    ) -> Result<(), ReconcileError> {
        let work_name = work.metadata.name.clone().unwrap_or_default();
        if !has_finalizer(work) {
            lock(&self.records).remove(&work_name);
            return Ok(());
        }
        if cluster.is_ready() {
            let preserve = work.spec.preserve_resources_on_deletion == Some(true);
            let mut keys: BTreeSet<ObjKey> =
                self.with_record(work, |r| r.applied.keys().cloned().collect());
            for manifest in &work.spec.workload.manifests {
                let Ok(key) = ObjKey::of_manifest(manifest) else {
                    continue;
                };
                match self.resolve(&key.api_version, &key.kind).await {
                    Ok(resolved) => {
                        keys.insert(key.scoped(resolved.namespaced));
                    }
                    Err(ReconcileError::NotServed { .. }) => {}
                    Err(e) => return Err(e),
                }
            }
            keys.extend(
                work.status
                    .iter()
                    .flat_map(|s| &s.manifest_statuses)
                    .map(|s| key_of_identifier(&s.identifier)),
            );
            for key in &keys {
                self.remove_object(&work_name, key, preserve).await?;
            }
        } else if cluster.metadata.deletion_timestamp.is_none() {
            // Retried when the cluster turns Ready or starts being deleted.
            debug!("cluster not ready; the Work's objects are deleted when it is back");
            return Ok(());
        } else {
            info!("cluster is being deleted and not ready; leaving the member as it is");
        }
        self.remove_finalizer(work).await?;
        lock(&self.records).remove(&work_name);
        Ok(())
    }

    fn finalizer_patch(work: &Work, finalizers: Vec<String>) -> Value {
        json!({
            "metadata": {
                "finalizers": finalizers,
                // Guarded: a stale cache must not drop someone else's finalizer.
                "resourceVersion": work.metadata.resource_version,
            }
        })
    }

    async fn patch_work(
        &self,
        work: &Work,
        action: &'static str,
        patch: Value,
    ) -> Result<(), ReconcileError> {
        let name = work.metadata.name.clone().unwrap_or_default();
        let api: Api<Work> = Api::namespaced(self.ctx.client.clone(), &self.namespace);
        let params = PatchParams {
            field_manager: Some(FIELD_MANAGER.to_owned()),
            ..Default::default()
        };
        match api.patch(&name, &params, &Patch::Merge(&patch)).await {
            Ok(_) => Ok(()),
            Err(e) if is_status(&e, 404) => Ok(()),
            Err(source) => Err(ReconcileError::Work {
                action,
                work: format!("{}/{name}", self.namespace),
                source,
            }),
        }
    }

    async fn remove_finalizer(&self, work: &Work) -> Result<(), ReconcileError> {
        let rest: Vec<String> = work
            .metadata
            .finalizers
            .iter()
            .flatten()
            .filter(|f| *f != labels::EXECUTION_CONTROLLER_FINALIZER)
            .cloned()
            .collect();
        self.patch_work(
            work,
            "remove the finalizer of",
            Self::finalizer_patch(work, rest),
        )
        .await?;
        info!("removed finalizer");
        Ok(())
    }

    /// Adds the execution finalizer to a Work that lacks it (the binding controller writes it;
    /// a Work created otherwise would lose its member objects' clean-up).
    async fn ensure_finalizer(&self, work: &Work) -> Result<(), ReconcileError> {
        if has_finalizer(work) {
            return Ok(());
        }
        let mut finalizers = work.metadata.finalizers.clone().unwrap_or_default();
        finalizers.push(labels::EXECUTION_CONTROLLER_FINALIZER.to_owned());
        self.patch_work(
            work,
            "add the finalizer to",
            Self::finalizer_patch(work, finalizers),
        )
        .await
    }

    /// The Work's status as last known: the cache's, or the one Flotilla last wrote if the
    /// cache has not caught up with it.
    fn current_status(&self, work: &Work) -> WorkStatus {
        let cached = work.status.clone().unwrap_or_default();
        let cached_revision = work
            .metadata
            .resource_version
            .as_deref()
            .and_then(|v| v.parse::<u64>().ok());
        self.with_record(work, |r| match &r.written_status {
            Some((written, status)) if *written > cached_revision => status.clone(),
            _ => cached,
        })
    }

    /// Writes the Work's status through `works/status` if it differs from the current one.
    async fn write_status(&self, work: &Work, new: WorkStatus) -> Result<(), ReconcileError> {
        if self.current_status(work) == new {
            return Ok(());
        }
        let name = work.metadata.name.clone().unwrap_or_default();
        let api: Api<Work> = Api::namespaced(self.ctx.client.clone(), &self.namespace);
        let params = PatchParams {
            field_manager: Some(FIELD_MANAGER.to_owned()),
            ..Default::default()
        };
        match api
            .patch_status(&name, &params, &Patch::Merge(&status::status_patch(&new)))
            .await
        {
            Ok(written) => {
                let written_revision = written
                    .metadata
                    .resource_version
                    .as_deref()
                    .and_then(|v| v.parse::<u64>().ok());
                self.with_record(work, |r| r.written_status = Some((written_revision, new)));
                Ok(())
            }
            // Deleted meanwhile: its delete event brings it back.
            Err(e) if is_status(&e, 404) => Ok(()),
            Err(source) => Err(ReconcileError::Work {
                action: "write the status of",
                work: format!("{}/{name}", self.namespace),
                source,
            }),
        }
    }

    /// Reports a corrected drift: events on the Work and on the resource template, and the
    /// per-cluster counter.
    async fn report_drift(&self, work: &Work, drift: &Drift, message: &str) {
        self.metrics.drift_corrections.inc();
        warn!(object = %drift.object, fields = ?drift.paths, deleted = drift.deleted, "{message}");
        let mut regarding = vec![work_reference(work)];
        let template = work
            .spec
            .workload
            .manifests
            .iter()
            .filter(|m| {
                ObjKey::of_manifest(m).is_ok_and(|k| {
                    (k.api_version.as_str(), k.kind.as_str(), k.name.as_str())
                        == (
                            drift.object.api_version.as_str(),
                            drift.object.kind.as_str(),
                            drift.object.name.as_str(),
                        )
                })
            })
            .find_map(|m| manifest::template_reference(m, &drift.object));
        regarding.extend(template);
        for object in regarding {
            if let Err(err) = self
                .recorder
                .warning(&object, REASON_DRIFT_CORRECTED, message)
                .await
            {
                warn!(error = %err, kind = ?object.kind, name = ?object.name, "failed to record the drift event");
            }
        }
    }
}

fn has_finalizer(work: &Work) -> bool {
    work.metadata
        .finalizers
        .iter()
        .flatten()
        .any(|f| f == labels::EXECUTION_CONTROLLER_FINALIZER)
}

fn work_reference(work: &Work) -> ObjectReference {
    ObjectReference {
        api_version: Some(Work::api_version(&()).into_owned()),
        kind: Some(Work::kind(&()).into_owned()),
        namespace: work.metadata.namespace.clone(),
        name: work.metadata.name.clone(),
        uid: work.metadata.uid.clone(),
        resource_version: work.metadata.resource_version.clone(),
        ..Default::default()
    }
}

fn identifier(ordinal: usize, key: &ObjKey, resolved: &Resolved) -> ResourceIdentifier {
    ResourceIdentifier {
        ordinal: ordinal as i64,
        group: Some(key.group().to_owned()),
        version: key.version().to_owned(),
        kind: key.kind.clone(),
        resource: resolved.resource.plural.clone(),
        namespace: Some(key.namespace.clone()),
        name: key.name.clone(),
    }
}

fn key_of_identifier(id: &ResourceIdentifier) -> ObjKey {
    let group = id.group.as_deref().unwrap_or_default();
    ObjKey {
        api_version: if group.is_empty() {
            id.version.clone()
        } else {
            format!("{group}/{}", id.version)
        },
        kind: id.kind.clone(),
        namespace: id.namespace.clone().unwrap_or_default(),
        name: id.name.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::api::ApiResource;

    #[test]
    fn identifiers_round_trip() {
        let key = ObjKey {
            api_version: "apps/v1".into(),
            kind: "Deployment".into(),
            namespace: "default".into(),
            name: "nginx".into(),
        };
        let resolved = Resolved {
            resource: ApiResource {
                group: "apps".into(),
                version: "v1".into(),
                api_version: "apps/v1".into(),
                kind: "Deployment".into(),
                plural: "deployments".into(),
            },
            namespaced: true,
        };
        let id = identifier(2, &key, &resolved);
        assert_eq!(id.ordinal, 2);
        assert_eq!(id.group.as_deref(), Some("apps"));
        assert_eq!(id.resource, "deployments");
        assert_eq!(key_of_identifier(&id), key);

        let core = ObjKey {
            api_version: "v1".into(),
            kind: "Namespace".into(),
            namespace: String::new(),
            name: "prod".into(),
        };
        let id = identifier(0, &core, &resolved);
        assert_eq!(id.group.as_deref(), Some(""));
        assert_eq!(key_of_identifier(&id), core);
    }
}
