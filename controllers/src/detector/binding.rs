//! The objects the detector writes, as pure functions: the ResourceBinding or
//! ClusterResourceBinding of a claimed template (Karmada's `BuildResourceBinding` /
//! `BuildClusterResourceBinding`), the merge patches that claim and release a template, and the
//! comparisons that keep the detector from writing what is already there.

use std::collections::BTreeMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use flotilla_api::names;
use flotilla_api::validation::default_binding_spec;
use flotilla_api::work::v1alpha2::{
    API_VERSION, BindingSuspension, ObjectReference, ResourceBindingSpec,
};
use flotilla_api::{ClusterResourceBinding, ResourceBinding};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use serde_json::{Map, Value, json};

use super::matching::{Claim, PolicyEntry};
use super::replicas::{InterpretError, interpret_replicas};

/// A resource template as the binding is built from it.
#[derive(Debug, Clone, Copy)]
pub struct TemplateObject<'a> {
    /// apiVersion, e.g. `apps/v1`.
    pub api_version: &'a str,
    /// Kind, e.g. `Deployment`.
    pub kind: &'a str,
    /// Namespace; empty for cluster-scoped templates.
    pub namespace: &'a str,
    /// Name.
    pub name: &'a str,
    /// metadata.uid.
    pub uid: &'a str,
    /// metadata.resourceVersion.
    pub resource_version: &'a str,
    /// Everything but `metadata` (`spec`, `data`, …).
    pub data: &'a Value,
}

/// The binding the detector wants for a template: a ResourceBinding in the template's namespace,
/// or a ClusterResourceBinding for a cluster-scoped template.
#[derive(Debug, Clone, PartialEq)]
pub struct DesiredBinding {
    /// `lower(<name>-<kind>)`.
    pub name: String,
    /// The template's namespace; `None` for a ClusterResourceBinding.
    pub namespace: Option<String>,
    /// The claim of the policy, copied onto the binding.
    pub claim: Claim,
    /// The template as the binding's controlling owner.
    pub owner: OwnerReference,
    /// The fields the detector owns; never `clusters`, which belongs to the scheduler.
    pub spec: ResourceBindingSpec,
}

/// Builds the binding of `template` claimed by `policy`: `spec.resource` points at the template,
/// replicas and replica requirements come from the replica interpreter, and placement,
/// schedulerName, failover, conflictResolution, propagateDeps, preserveResourcesOnDeletion and
/// suspension come from the policy. The spec is defaulted as the apiserver will default it, so
/// it compares equal to what is stored.
///
/// Not set: `schedulePriority` (it needs the PriorityClass resolved), `components` and
/// `workloadAffinityGroups` (alpha features in Karmada).
pub fn build_binding(
    template: &TemplateObject<'_>,
    policy: &PolicyEntry,
) -> Result<DesiredBinding, InterpretError> {
    let namespace = (!template.namespace.is_empty()).then(|| template.namespace.to_owned());
    let interpreted = interpret_replicas(
        template.api_version,
        template.kind,
        namespace.as_deref(),
        template.data,
    )?;
    let (replicas, replica_requirements) = match interpreted {
        Some(r) => (Some(r.replicas), r.requirements),
        None => (None, None),
    };
    let policy_spec = &policy.spec;
    let mut spec = ResourceBindingSpec {
        resource: ObjectReference {
            api_version: template.api_version.to_owned(),
            kind: template.kind.to_owned(),
            namespace: namespace.clone(),
            name: template.name.to_owned(),
            uid: Some(template.uid.to_owned()),
            resource_version: Some(template.resource_version.to_owned()),
        },
        propagate_deps: policy_spec.propagate_deps().then_some(true),
        replica_requirements,
        replicas,
        placement: Some(policy_spec.placement.clone().unwrap_or_default()),
        scheduler_name: Some(policy_spec.scheduler_name().to_owned()),
        failover: policy_spec.failover.clone(),
        conflict_resolution: policy_spec.conflict_resolution,
        preserve_resources_on_deletion: policy_spec.preserve_resources_on_deletion,
        suspension: policy_spec
            .suspension
            .clone()
            .map(|dispatch| BindingSuspension {
                dispatch,
                scheduling: None,
            }),
        ..Default::default()
    };
    default_binding_spec(&mut spec);
    Ok(DesiredBinding {
        name: names::binding_name(template.name, template.kind),
        namespace,
        claim: policy.claim(),
        owner: OwnerReference {
            api_version: template.api_version.to_owned(),
            kind: template.kind.to_owned(),
            name: template.name.to_owned(),
            uid: template.uid.to_owned(),
            controller: Some(true),
            block_owner_deletion: Some(true),
        },
        spec,
    })
}

impl DesiredBinding {
    fn metadata(&self) -> ObjectMeta {
        let present = |m: BTreeMap<&'static str, Option<String>>| -> BTreeMap<String, String> {
            m.into_iter()
                .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v)))
                .collect()
        };
        ObjectMeta {
            name: Some(self.name.clone()),
            namespace: self.namespace.clone(),
            labels: Some(present(self.claim.labels())),
            annotations: Some(present(self.claim.annotations())),
            owner_references: Some(vec![self.owner.clone()]),
            ..Default::default()
        }
    }

    /// The ResourceBinding to server-side apply (for a namespaced template).
    pub fn to_resource_binding(&self) -> ResourceBinding {
        ResourceBinding {
            api_version: API_VERSION.to_owned(),
            kind: "ResourceBinding".to_owned(),
            metadata: self.metadata(),
            spec: self.spec.clone(),
            status: None,
        }
    }

    /// The ClusterResourceBinding to server-side apply (for a cluster-scoped template).
    pub fn to_cluster_resource_binding(&self) -> ClusterResourceBinding {
        ClusterResourceBinding {
            api_version: API_VERSION.to_owned(),
            kind: "ClusterResourceBinding".to_owned(),
            metadata: self.metadata(),
            spec: self.spec.clone(),
            status: None,
        }
    }

    /// Whether the stored binding already has everything the detector owns, except perhaps
    /// `spec.resource.resourceVersion` (see [`Self::resource_version_current`]).
    pub fn in_sync(&self, meta: &ObjectMeta, spec: &ResourceBindingSpec) -> bool {
        let claim_in_sync =
            |have: &Option<BTreeMap<String, String>>,
             want: BTreeMap<&'static str, Option<String>>| {
                want.iter().all(|(k, v)| {
                    have.as_ref().and_then(|m| m.get(*k)).map(String::as_str) == v.as_deref()
                })
            };
        let want = &self.spec;
        let resource_in_sync = {
            let (a, b) = (&spec.resource, &want.resource);
            a.api_version == b.api_version
                && a.kind == b.kind
                && a.namespace == b.namespace
                && a.name == b.name
                && a.uid == b.uid
        };
        let dispatch = |s: &Option<BindingSuspension>| {
            s.as_ref().map(|s| s.dispatch.clone()).unwrap_or_default()
        };
        claim_in_sync(&meta.labels, self.claim.labels())
            && claim_in_sync(&meta.annotations, self.claim.annotations())
            && meta
                .owner_references
                .as_ref()
                .is_some_and(|refs| refs.contains(&self.owner))
            && resource_in_sync
            && spec.replicas == want.replicas
            && spec.replica_requirements == want.replica_requirements
            && spec.placement == want.placement
            && spec.scheduler_name == want.scheduler_name
            && spec.failover == want.failover
            && spec.conflict_resolution == want.conflict_resolution
            && spec.propagate_deps == want.propagate_deps
            && spec.preserve_resources_on_deletion == want.preserve_resources_on_deletion
            && dispatch(&spec.suspension) == dispatch(&want.suspension)
    }

    /// Whether the stored binding points at the template's current resourceVersion.
    pub fn resource_version_current(&self, spec: &ResourceBindingSpec) -> bool {
        spec.resource.resource_version == self.spec.resource.resource_version
    }

    /// The other object that controls the stored binding, if any: normally a deleted template
    /// of the same name (see [`Self::is_previous_incarnation`]).
    pub fn foreign_controller<'m>(&self, meta: &'m ObjectMeta) -> Option<&'m OwnerReference> {
        meta.owner_references
            .iter()
            .flatten()
            .find(|r| r.controller == Some(true) && r.uid != self.owner.uid)
    }

    /// Whether `owner` is an earlier object with this template's identity (group, kind and
    /// name, in the same namespace as the binding), deleted since: only one object of an
    /// identity exists at a time, so a binding it controls is stale.
    pub fn is_previous_incarnation(&self, owner: &OwnerReference) -> bool {
        same_identity(
            owner,
            &self.owner.api_version,
            &self.owner.kind,
            &self.owner.name,
        ) && owner.uid != self.owner.uid
    }
}

fn group(api_version: &str) -> &str {
    api_version
        .rsplit_once('/')
        .map(|(g, _)| g)
        .unwrap_or_default()
}

fn same_identity(owner: &OwnerReference, api_version: &str, kind: &str, name: &str) -> bool {
    group(&owner.api_version) == group(api_version) && owner.kind == kind && owner.name == name
}

/// Whether a stored binding is controlled by an object with the template's group, kind and
/// name. A binding whose owner reference the garbage collector removed (the template was
/// deleted with `propagationPolicy: Orphan`) is not: it is left alone.
pub fn controlled_by_template(
    meta: &ObjectMeta,
    api_version: &str,
    kind: &str,
    name: &str,
) -> bool {
    meta.owner_references
        .iter()
        .flatten()
        .any(|r| r.controller == Some(true) && same_identity(r, api_version, kind, name))
}

/// Whether a stored binding was made for this template (same group, kind, namespace and name),
/// so that deleting it on the template's behalf is right.
pub fn binding_refers_to(
    spec: &ResourceBindingSpec,
    api_version: &str,
    kind: &str,
    namespace: &str,
    name: &str,
) -> bool {
    let r = &spec.resource;
    group(&r.api_version) == group(api_version)
        && r.kind == kind
        && r.namespace.as_deref().unwrap_or_default() == namespace
        && r.name == name
}

/// The JSON merge patch that makes an object carry exactly `claim` among the claim labels and
/// annotations (other labels and annotations untouched), or `None` if it already does.
/// [`Claim::None`] releases the object.
pub fn claim_patch(
    labels: &BTreeMap<String, String>,
    annotations: &BTreeMap<String, String>,
    claim: &Claim,
) -> Option<Value> {
    let diff = |have: &BTreeMap<String, String>, want: BTreeMap<&'static str, Option<String>>| {
        let mut out = Map::new();
        for (key, want) in want {
            match (have.get(key), want) {
                (Some(h), Some(w)) if *h == w => {}
                (None, None) => {}
                (_, Some(w)) => {
                    out.insert(key.to_owned(), Value::String(w));
                }
                (Some(_), None) => {
                    out.insert(key.to_owned(), Value::Null);
                }
            }
        }
        out
    };
    let labels = diff(labels, claim.labels());
    let annotations = diff(annotations, claim.annotations());
    if labels.is_empty() && annotations.is_empty() {
        return None;
    }
    let mut metadata = Map::new();
    if !labels.is_empty() {
        metadata.insert("labels".to_owned(), Value::Object(labels));
    }
    if !annotations.is_empty() {
        metadata.insert("annotations".to_owned(), Value::Object(annotations));
    }
    Some(json!({ "metadata": metadata }))
}

/// A hash of everything in a template that its member copies are made from: the whole object
/// except `status`, `metadata.resourceVersion` and `metadata.managedFields` (Karmada's
/// `SpecificationChanged`). A template whose resourceVersion moved but whose fingerprint did not
/// (a status update) does not need its binding rewritten.
pub fn template_fingerprint(meta: &ObjectMeta, data: &Value) -> u64 {
    let mut hasher = DefaultHasher::new();
    let mut meta = meta.clone();
    meta.resource_version = None;
    meta.managed_fields = None;
    serde_json::to_vec(&meta)
        .unwrap_or_default()
        .hash(&mut hasher);
    match data {
        Value::Object(map) => {
            for (key, value) in map.iter().filter(|(k, _)| k.as_str() != "status") {
                key.hash(&mut hasher);
                serde_json::to_vec(value)
                    .unwrap_or_default()
                    .hash(&mut hasher);
            }
        }
        other => serde_json::to_vec(other)
            .unwrap_or_default()
            .hash(&mut hasher),
    }
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use flotilla_api::labels;
    use flotilla_api::policy::v1alpha1::ConflictResolution;
    use flotilla_api::{ClusterPropagationPolicy, PropagationPolicy};
    use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

    use super::*;

    /// The sample policy of the issue.
    fn nginx_policy() -> Arc<PolicyEntry> {
        let policy: PropagationPolicy = serde_json::from_value(json!({
            "apiVersion": "policy.karmada.io/v1alpha1",
            "kind": "PropagationPolicy",
            "metadata": {"name": "nginx-propagation", "namespace": "default",
                "labels": {labels::PROPAGATION_POLICY_PERMANENT_ID: "pp-id"}},
            "spec": {
                "resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "nginx"}],
                "placement": {
                    "clusterAffinity": {"clusterNames": ["us-east-1", "eu-west-1"]},
                    "replicaScheduling": {
                        "replicaSchedulingType": "Divided",
                        "replicaDivisionPreference": "Weighted",
                        "weightPreference": {"staticWeightList": [
                            {"targetCluster": {"clusterNames": ["us-east-1"]}, "weight": 2},
                            {"targetCluster": {"clusterNames": ["eu-west-1"]}, "weight": 1},
                        ]},
                    },
                },
            },
        }))
        .unwrap();
        Arc::new(PolicyEntry::from_propagation_policy(&policy))
    }

    fn nginx_data(replicas: i64) -> Value {
        json!({"spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "nginx"}},
            "template": {"metadata": {"labels": {"app": "nginx"}}, "spec": {"containers": [
                {"name": "nginx", "image": "nginx",
                 "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}]}}},
            "status": {"replicas": 0}})
    }

    fn nginx(data: &Value) -> TemplateObject<'_> {
        TemplateObject {
            api_version: "apps/v1",
            kind: "Deployment",
            namespace: "default",
            name: "nginx",
            uid: "uid-1",
            resource_version: "42",
            data,
        }
    }

    /// What the apiserver hands back after storing the binding.
    fn stored(binding: &DesiredBinding) -> ResourceBinding {
        let mut rb: ResourceBinding =
            serde_json::from_value(serde_json::to_value(binding.to_resource_binding()).unwrap())
                .unwrap();
        rb.metadata.resource_version = Some("7".into());
        rb.metadata
            .labels
            .get_or_insert_default()
            .insert(labels::RESOURCE_BINDING_PERMANENT_ID.into(), "rb-id".into());
        rb
    }

    #[test]
    fn builds_the_binding_of_the_sample_deployment() {
        let data = nginx_data(9);
        let policy = nginx_policy();
        let b = build_binding(&nginx(&data), &policy).unwrap();
        assert_eq!(b.name, "nginx-deployment");
        assert_eq!(b.namespace.as_deref(), Some("default"));
        let rb = b.to_resource_binding();
        let value = serde_json::to_value(&rb).unwrap();
        assert_eq!(
            value["metadata"],
            json!({
                "name": "nginx-deployment",
                "namespace": "default",
                "labels": {labels::PROPAGATION_POLICY_PERMANENT_ID: "pp-id"},
                "annotations": {
                    labels::PROPAGATION_POLICY_NAME: "nginx-propagation",
                    labels::PROPAGATION_POLICY_NAMESPACE: "default",
                },
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "nginx",
                    "uid": "uid-1", "controller": true, "blockOwnerDeletion": true}],
            })
        );
        assert_eq!(
            value["spec"]["resource"],
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "default",
                "name": "nginx", "uid": "uid-1", "resourceVersion": "42"})
        );
        assert_eq!(value["spec"]["replicas"], json!(9));
        assert_eq!(
            value["spec"]["replicaRequirements"],
            json!({"resourceRequest": {"cpu": "100m", "memory": "128Mi"}, "namespace": "default"})
        );
        assert_eq!(
            rb.spec.placement, policy.spec.placement,
            "placement is copied from the policy"
        );
        assert_eq!(value["spec"]["schedulerName"], json!("default-scheduler"));
        assert_eq!(value["spec"]["conflictResolution"], json!("Abort"));
        assert!(
            value["spec"].get("clusters").is_none(),
            "never writes spec.clusters"
        );
        assert!(value.get("status").is_none());
        assert_eq!(
            rb.spec
                .replica_requirements
                .unwrap()
                .resource_request
                .get("memory"),
            Some(&Quantity("128Mi".into()))
        );
    }

    #[test]
    fn copies_the_policy_fields() {
        let policy: ClusterPropagationPolicy = serde_json::from_value(json!({
            "apiVersion": "policy.karmada.io/v1alpha1",
            "kind": "ClusterPropagationPolicy",
            "metadata": {"name": "roles",
                "labels": {labels::CLUSTER_PROPAGATION_POLICY_PERMANENT_ID: "cpp-id"}},
            "spec": {
                "resourceSelectors": [{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole"}],
                "schedulerName": "custom",
                "propagateDeps": true,
                "conflictResolution": "Overwrite",
                "preserveResourcesOnDeletion": true,
                "suspension": {"dispatching": true},
                "failover": {"cluster": {"purgeMode": "Directly"}},
            },
        }))
        .unwrap();
        let policy = PolicyEntry::from_cluster_propagation_policy(&policy);
        let data = json!({"rules": []});
        let template = TemplateObject {
            api_version: "rbac.authorization.k8s.io/v1",
            kind: "ClusterRole",
            namespace: "",
            name: "system:view",
            uid: "u",
            resource_version: "1",
            data: &data,
        };
        let b = build_binding(&template, &policy).unwrap();
        assert_eq!(b.name, "system.view-clusterrole");
        assert_eq!(
            b.namespace, None,
            "a cluster-scoped template gets a ClusterResourceBinding"
        );
        let crb = serde_json::to_value(b.to_cluster_resource_binding()).unwrap();
        assert_eq!(crb["kind"], json!("ClusterResourceBinding"));
        assert_eq!(
            crb["metadata"]["labels"],
            json!({labels::CLUSTER_PROPAGATION_POLICY_PERMANENT_ID: "cpp-id"})
        );
        assert_eq!(
            crb["metadata"]["annotations"],
            json!({labels::CLUSTER_PROPAGATION_POLICY_NAME: "roles"})
        );
        let spec = &crb["spec"];
        assert!(
            spec.get("replicas").is_none(),
            "a ClusterRole has no replicas"
        );
        assert!(spec.get("replicaRequirements").is_none());
        assert!(spec["resource"].get("namespace").is_none());
        assert_eq!(
            spec["placement"],
            json!({}),
            "a policy without placement still gives one"
        );
        assert_eq!(spec["schedulerName"], json!("custom"));
        assert_eq!(spec["propagateDeps"], json!(true));
        assert_eq!(spec["conflictResolution"], json!("Overwrite"));
        assert_eq!(spec["preserveResourcesOnDeletion"], json!(true));
        assert_eq!(spec["suspension"], json!({"dispatching": true}));
        assert_eq!(spec["failover"]["cluster"]["purgeMode"], json!("Directly"));
        assert_eq!(
            b.spec.conflict_resolution,
            Some(ConflictResolution::Overwrite)
        );
    }

    #[test]
    fn in_sync_compares_only_what_the_detector_owns() {
        let data = nginx_data(9);
        let policy = nginx_policy();
        let desired = build_binding(&nginx(&data), &policy).unwrap();
        let base = stored(&desired);
        struct Case {
            name: &'static str,
            edit: fn(&mut ResourceBinding),
            in_sync: bool,
        }
        let cases = [
            Case {
                name: "as stored",
                edit: |_| {},
                in_sync: true,
            },
            Case {
                name: "the scheduler's result is not ours",
                edit: |rb| {
                    rb.spec.clusters = vec![flotilla_api::work::v1alpha2::TargetCluster::new(
                        "us-east-1",
                        6,
                    )]
                },
                in_sync: true,
            },
            Case {
                name: "status is not ours",
                edit: |rb| rb.status = Some(Default::default()),
                in_sync: true,
            },
            Case {
                name: "a new resourceVersion alone is judged separately",
                edit: |rb| rb.spec.resource.resource_version = Some("43".into()),
                in_sync: true,
            },
            Case {
                name: "scheduling suspension belongs to others",
                edit: |rb| {
                    rb.spec.suspension = Some(BindingSuspension {
                        scheduling: Some(true),
                        ..Default::default()
                    })
                },
                in_sync: true,
            },
            Case {
                name: "replicas changed",
                edit: |rb| rb.spec.replicas = Some(3),
                in_sync: false,
            },
            Case {
                name: "placement changed",
                edit: |rb| rb.spec.placement = None,
                in_sync: false,
            },
            Case {
                name: "requirements changed",
                edit: |rb| rb.spec.replica_requirements = None,
                in_sync: false,
            },
            Case {
                name: "uid changed",
                edit: |rb| rb.spec.resource.uid = Some("other".into()),
                in_sync: false,
            },
            Case {
                name: "owner missing",
                edit: |rb| rb.metadata.owner_references = None,
                in_sync: false,
            },
            Case {
                name: "claim label missing",
                edit: |rb| {
                    rb.metadata
                        .labels
                        .as_mut()
                        .unwrap()
                        .remove(labels::PROPAGATION_POLICY_PERMANENT_ID);
                },
                in_sync: false,
            },
            Case {
                name: "a stale cluster policy claim is left",
                edit: |rb| {
                    rb.metadata.labels.as_mut().unwrap().insert(
                        labels::CLUSTER_PROPAGATION_POLICY_PERMANENT_ID.into(),
                        "x".into(),
                    );
                },
                in_sync: false,
            },
            Case {
                name: "dispatching suspended by hand",
                edit: |rb| {
                    rb.spec.suspension = Some(BindingSuspension {
                        dispatch: flotilla_api::policy::v1alpha1::Suspension {
                            dispatching: Some(true),
                            ..Default::default()
                        },
                        scheduling: None,
                    })
                },
                in_sync: false,
            },
        ];
        for case in cases {
            let mut rb = base.clone();
            (case.edit)(&mut rb);
            assert_eq!(
                desired.in_sync(&rb.metadata, &rb.spec),
                case.in_sync,
                "{}",
                case.name
            );
        }
        assert!(desired.resource_version_current(&base.spec));
        let newer = build_binding(
            &TemplateObject {
                resource_version: "43",
                ..nginx(&data)
            },
            &policy,
        )
        .unwrap();
        assert!(newer.in_sync(&base.metadata, &base.spec));
        assert!(!newer.resource_version_current(&base.spec));
    }

    #[test]
    fn a_binding_of_a_previous_template_is_foreign() {
        let data = nginx_data(1);
        let policy = nginx_policy();
        let old = build_binding(&nginx(&data), &policy).unwrap();
        let stored = stored(&old);
        let recreated = build_binding(
            &TemplateObject {
                uid: "uid-2",
                ..nginx(&data)
            },
            &policy,
        )
        .unwrap();
        assert_eq!(old.foreign_controller(&stored.metadata), None);
        let foreign = recreated
            .foreign_controller(&stored.metadata)
            .expect("the old template controls the binding");
        assert_eq!(foreign.uid, "uid-1");
        assert!(recreated.is_previous_incarnation(foreign));
        let other_group = OwnerReference {
            api_version: "example.com/v1".into(),
            ..foreign.clone()
        };
        assert!(
            !recreated.is_previous_incarnation(&other_group),
            "a Deployment of another group is another object"
        );
        assert!(controlled_by_template(
            &stored.metadata,
            "apps/v1",
            "Deployment",
            "nginx"
        ));
        assert!(!controlled_by_template(
            &stored.metadata,
            "apps/v1",
            "Deployment",
            "web"
        ));
        let orphaned = ObjectMeta {
            owner_references: None,
            ..stored.metadata.clone()
        };
        assert!(!controlled_by_template(
            &orphaned,
            "apps/v1",
            "Deployment",
            "nginx"
        ));
        assert!(binding_refers_to(
            &stored.spec,
            "apps/v1",
            "Deployment",
            "default",
            "nginx"
        ));
        assert!(!binding_refers_to(
            &stored.spec,
            "example.com/v1",
            "Deployment",
            "default",
            "nginx"
        ));
        assert!(!binding_refers_to(
            &stored.spec,
            "apps/v1",
            "Deployment",
            "prod",
            "nginx"
        ));
    }

    #[test]
    fn claim_patches() {
        struct Case {
            name: &'static str,
            labels: &'static [(&'static str, &'static str)],
            annotations: &'static [(&'static str, &'static str)],
            claim: Claim,
            want: Option<Value>,
        }
        let pp = Claim::Propagation {
            namespace: "default".into(),
            name: "p".into(),
            permanent_id: "id".into(),
        };
        let cpp = Claim::ClusterPropagation {
            name: "c".into(),
            permanent_id: "cid".into(),
        };
        let cases = [
            Case {
                name: "claim an unclaimed template",
                labels: &[("app", "nginx")],
                annotations: &[],
                claim: pp.clone(),
                want: Some(json!({"metadata": {
                    "labels": {labels::PROPAGATION_POLICY_PERMANENT_ID: "id"},
                    "annotations": {labels::PROPAGATION_POLICY_NAME: "p", labels::PROPAGATION_POLICY_NAMESPACE: "default"},
                }})),
            },
            Case {
                name: "already claimed: nothing to write",
                labels: &[
                    ("app", "nginx"),
                    (labels::PROPAGATION_POLICY_PERMANENT_ID, "id"),
                ],
                annotations: &[
                    (labels::PROPAGATION_POLICY_NAMESPACE, "default"),
                    (labels::PROPAGATION_POLICY_NAME, "p"),
                ],
                claim: pp.clone(),
                want: None,
            },
            Case {
                name: "a re-created policy has a new id",
                labels: &[(labels::PROPAGATION_POLICY_PERMANENT_ID, "old")],
                annotations: &[
                    (labels::PROPAGATION_POLICY_NAMESPACE, "default"),
                    (labels::PROPAGATION_POLICY_NAME, "p"),
                ],
                claim: pp.clone(),
                want: Some(
                    json!({"metadata": {"labels": {labels::PROPAGATION_POLICY_PERMANENT_ID: "id"}}}),
                ),
            },
            Case {
                name: "a PropagationPolicy claim removes a ClusterPropagationPolicy claim",
                labels: &[(labels::CLUSTER_PROPAGATION_POLICY_PERMANENT_ID, "cid")],
                annotations: &[(labels::CLUSTER_PROPAGATION_POLICY_NAME, "c")],
                claim: pp.clone(),
                want: Some(json!({"metadata": {
                    "labels": {labels::CLUSTER_PROPAGATION_POLICY_PERMANENT_ID: null, labels::PROPAGATION_POLICY_PERMANENT_ID: "id"},
                    "annotations": {labels::CLUSTER_PROPAGATION_POLICY_NAME: null,
                        labels::PROPAGATION_POLICY_NAME: "p", labels::PROPAGATION_POLICY_NAMESPACE: "default"},
                }})),
            },
            Case {
                name: "claim by a ClusterPropagationPolicy",
                labels: &[],
                annotations: &[],
                claim: cpp.clone(),
                want: Some(json!({"metadata": {
                    "labels": {labels::CLUSTER_PROPAGATION_POLICY_PERMANENT_ID: "cid"},
                    "annotations": {labels::CLUSTER_PROPAGATION_POLICY_NAME: "c"},
                }})),
            },
            Case {
                name: "release removes only the claim keys",
                labels: &[
                    ("app", "nginx"),
                    (labels::PROPAGATION_POLICY_PERMANENT_ID, "id"),
                ],
                annotations: &[
                    ("note", "x"),
                    (labels::PROPAGATION_POLICY_NAMESPACE, "default"),
                    (labels::PROPAGATION_POLICY_NAME, "p"),
                ],
                claim: Claim::None,
                want: Some(json!({"metadata": {
                    "labels": {labels::PROPAGATION_POLICY_PERMANENT_ID: null},
                    "annotations": {labels::PROPAGATION_POLICY_NAME: null, labels::PROPAGATION_POLICY_NAMESPACE: null},
                }})),
            },
            Case {
                name: "releasing an unclaimed template writes nothing",
                labels: &[("app", "nginx")],
                annotations: &[],
                claim: Claim::None,
                want: None,
            },
        ];
        let map = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        for case in cases {
            let got = claim_patch(&map(case.labels), &map(case.annotations), &case.claim);
            assert_eq!(got, case.want, "{}", case.name);
        }
    }

    #[test]
    fn fingerprint_ignores_status_and_resource_version() {
        let meta = ObjectMeta {
            name: Some("nginx".into()),
            resource_version: Some("1".into()),
            labels: Some(BTreeMap::from([("app".into(), "nginx".into())])),
            ..Default::default()
        };
        let data = nginx_data(9);
        let base = template_fingerprint(&meta, &data);

        let mut status_only = data.clone();
        status_only["status"] = json!({"replicas": 9, "readyReplicas": 9});
        let newer = ObjectMeta {
            resource_version: Some("2".into()),
            ..meta.clone()
        };
        assert_eq!(
            template_fingerprint(&newer, &status_only),
            base,
            "status and resourceVersion"
        );

        assert_ne!(template_fingerprint(&meta, &nginx_data(3)), base, "spec");
        let relabelled = ObjectMeta {
            labels: Some(BTreeMap::from([("app".into(), "web".into())])),
            ..meta.clone()
        };
        assert_ne!(template_fingerprint(&relabelled, &data), base, "labels");
    }
}
