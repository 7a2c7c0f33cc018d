//! Rendering a binding into Works (Karmada's `ensureWork`): for each target cluster, the
//! template with its replicas revised to that cluster's share, Job completions divided, the
//! override policies applied, and the labels and annotations that tie the manifest and the Work
//! to the binding. Pure functions.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use flotilla_api::policy::v1alpha1::{ConflictResolution, PurgeMode, ReplicaSchedulingType};
use flotilla_api::work::v1alpha1::WorkSpec;
use flotilla_api::work::v1alpha2::{ResourceBindingSpec, TargetCluster};
use flotilla_api::{labels, names};
use flotilla_scheduler::ClusterInput;
use serde_json::Value;

use super::work::{
    DesiredWork, Finish, WorkKey, finish_manifest, set_annotation, set_label, str_at,
};
use crate::interpreter::revise_replicas;
use crate::overrides::{CompiledOverridePolicy, OverrideError, apply_overrides};

/// The binding being rendered.
#[derive(Debug, Clone, Copy)]
pub struct BindingRef<'a> {
    /// The ResourceBinding's namespace; `None` for a ClusterResourceBinding.
    pub namespace: Option<&'a str>,
    /// The binding's name.
    pub name: &'a str,
    /// The binding's permanent ID label value.
    pub permanent_id: &'a str,
    /// The binding's spec.
    pub spec: &'a ResourceBindingSpec,
}

impl BindingRef<'_> {
    /// The permanent-id label key of this kind of binding.
    pub fn permanent_id_label(&self) -> &'static str {
        if self.namespace.is_some() {
            labels::RESOURCE_BINDING_PERMANENT_ID
        } else {
            labels::CLUSTER_RESOURCE_BINDING_PERMANENT_ID
        }
    }

    /// The annotations naming the binding, on its Works and their manifests.
    fn annotations(&self) -> Vec<(&'static str, &str)> {
        match self.namespace {
            Some(ns) => vec![
                (labels::RESOURCE_BINDING_NAMESPACE, ns),
                (labels::RESOURCE_BINDING_NAME, self.name),
            ],
            None => vec![(labels::CLUSTER_RESOURCE_BINDING_NAME, self.name)],
        }
    }
}

/// Why a binding's Work for one cluster could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// An override policy failed.
    #[error(transparent)]
    Override(#[from] OverrideError),
    /// The template's `spec.completions` is not a whole number.
    #[error("spec.completions of the template is not a whole number: {0}")]
    Completions(String),
    /// Completions were divided, but not for this cluster.
    #[error("no Job completions were divided for cluster {0}")]
    NoCompletions(String),
}

/// The clusters that get a Work: the scheduled clusters, then those of the bindings that
/// depend on this one (`requiredBy`), each once (Karmada's `mergeTargetClusters`).
pub fn target_clusters(spec: &ResourceBindingSpec) -> Vec<TargetCluster> {
    let mut seen: BTreeSet<&str> = spec.clusters.iter().map(|c| c.name.as_str()).collect();
    let mut out = spec.clusters.clone();
    for snapshot in &spec.required_by {
        for cluster in &snapshot.clusters {
            if seen.insert(cluster.name.as_str()) {
                out.push(cluster.clone());
            }
        }
    }
    out
}

/// The clusters whose Works are kept: the targets, and the clusters a graceful eviction is
/// still moving away from — unless it purges them directly (Karmada's
/// `ObtainBindingSpecExistingClusters`). Works elsewhere are orphans.
pub fn kept_clusters(spec: &ResourceBindingSpec) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = target_clusters(spec).into_iter().map(|c| c.name).collect();
    for task in &spec.graceful_eviction_tasks {
        if task.purge_mode != Some(PurgeMode::Directly) {
            out.insert(task.from_cluster.clone());
        }
    }
    out
}

/// The clusters evicted with purge mode Directly: new Works wait until theirs are gone.
pub fn directly_purged_clusters(spec: &ResourceBindingSpec) -> BTreeSet<String> {
    spec.graceful_eviction_tasks
        .iter()
        .filter(|t| t.purge_mode == Some(PurgeMode::Directly))
        .map(|t| t.from_cluster.clone())
        .collect()
}

/// Whether the binding is for a workload with replicas, whose replicas are set per cluster
/// (Karmada's `IsWorkload`).
pub fn is_workload(spec: &ResourceBindingSpec) -> bool {
    spec.replicas() > 0 || spec.replica_requirements.is_some() || !spec.components.is_empty()
}

/// Whether dispatching to `cluster` is suspended.
pub fn suspend_dispatching(spec: &ResourceBindingSpec, cluster: &str) -> bool {
    let Some(suspension) = &spec.suspension else {
        return false;
    };
    suspension.dispatch.dispatching == Some(true)
        || suspension
            .dispatch
            .dispatching_on_clusters
            .as_ref()
            .is_some_and(|c| c.cluster_names.iter().any(|n| n == cluster))
}

/// A Job's `spec.completions` divided across the target clusters in proportion to the replicas
/// (parallelism) each got, with Webster's method and the template UID as tie-breaker. `None`
/// when the template is not a Job with completions of a Divided binding.
pub fn job_completions(
    template: &Value,
    spec: &ResourceBindingSpec,
    targets: &[TargetCluster],
) -> Result<Option<HashMap<String, i32>>, RenderError> {
    let divided = spec
        .placement
        .as_ref()
        .is_some_and(|p| p.replica_scheduling_type() == ReplicaSchedulingType::Divided);
    if str_at(template, "/kind") != "Job" || spec.replicas() <= 0 || !divided {
        return Ok(None);
    }
    let completions = match template.pointer("/spec/completions") {
        None | Some(Value::Null) => return Ok(None),
        Some(v) => v
            .as_i64()
            .and_then(|c| i32::try_from(c).ok())
            .ok_or_else(|| RenderError::Completions(v.to_string()))?,
    };
    let weights: Vec<(&str, i64)> = targets
        .iter()
        .map(|t| (t.name.as_str(), i64::from(t.replicas())))
        .collect();
    let uid = str_at(template, "/metadata/uid");
    let divided = flotilla_scheduler::division::dispense(completions, &[], &weights, uid);
    Ok((!divided.is_empty()).then(|| divided.into_iter().map(|t| (t.name, t.replicas)).collect()))
}

/// Everything rendering one binding needs besides the target cluster.
pub struct RenderInput<'a> {
    /// The binding.
    pub binding: BindingRef<'a>,
    /// The template, complete (apiVersion, kind, metadata, spec…), as the federation stores it.
    pub template: &'a Value,
    /// Divided Job completions, from [`job_completions`].
    pub completions: Option<&'a HashMap<String, i32>>,
    /// All ClusterOverridePolicies.
    pub cluster_policies: &'a [Arc<CompiledOverridePolicy>],
    /// The OverridePolicies of the template's namespace.
    pub namespaced_policies: &'a [Arc<CompiledOverridePolicy>],
}

/// Renders the Work of the binding for one target cluster. `permanent_id` gives the permanent
/// ID of the Work with the given key (the stored Work's, or a new one).
pub fn render(
    input: &RenderInput<'_>,
    target: &TargetCluster,
    cluster: &ClusterInput,
    permanent_id: impl FnOnce(&WorkKey) -> String,
) -> Result<DesiredWork, RenderError> {
    let binding = input.binding;
    let spec = binding.spec;
    let mut manifest = input.template.clone();

    // The scheduler's share, never the template's own count, so that quota checks and
    // suspended scheduling cannot be bypassed.
    if is_workload(spec) {
        revise_replicas(&mut manifest, target.replicas());
    }
    if let Some(completions) = input.completions {
        let share = *completions
            .get(&target.name)
            .ok_or_else(|| RenderError::NoCompletions(target.name.clone()))?;
        // Only a Job that declares completions gets its share; work-queue Jobs leave it out.
        if let Some(spec) = manifest.get_mut("spec").and_then(Value::as_object_mut)
            && spec.get("completions").is_some_and(|c| !c.is_null())
        {
            spec.insert("completions".into(), Value::from(share));
        }
    }

    // Overrides come last: they have the final word on the manifest.
    let applied = apply_overrides(
        &mut manifest,
        cluster,
        input.cluster_policies,
        input.namespaced_policies,
    )?;

    set_label(
        &mut manifest,
        binding.permanent_id_label(),
        binding.permanent_id,
    );
    let mut annotations: BTreeMap<String, String> = BTreeMap::new();
    if let Some(generation) = manifest
        .pointer("/metadata/generation")
        .and_then(Value::as_i64)
        .filter(|g| *g > 0)
    {
        set_annotation(
            &mut manifest,
            labels::RESOURCE_TEMPLATE_GENERATION,
            &generation.to_string(),
        );
    }
    for (key, value) in binding.annotations() {
        set_annotation(&mut manifest, key, value);
        annotations.insert(key.to_owned(), value.to_owned());
    }
    let resolution = conflict_resolution(&manifest, spec);
    annotations.insert(
        labels::CONFLICT_RESOLUTION.to_owned(),
        resolution.to_owned(),
    );
    annotations.extend(applied.annotations());

    let work_namespace = names::execution_namespace(&target.name);
    let work_name = names::work_name(
        str_at(&manifest, "/metadata/namespace"),
        str_at(&manifest, "/metadata/name"),
        str_at(&manifest, "/kind"),
    );
    let key = (work_namespace, work_name);
    let work_id = permanent_id(&key);
    finish_manifest(
        &mut manifest,
        &Finish {
            work_namespace: &key.0,
            work_name: &key.1,
            work_permanent_id: &work_id,
            conflict_resolution: Some(resolution),
        },
    );

    Ok(DesiredWork {
        labels: BTreeMap::from([
            (
                binding.permanent_id_label().to_owned(),
                binding.permanent_id.to_owned(),
            ),
            (labels::WORK_PERMANENT_ID.to_owned(), work_id),
        ]),
        annotations,
        owner_references: Vec::new(),
        spec: WorkSpec {
            workload: flotilla_api::work::v1alpha1::WorkloadTemplate {
                manifests: vec![manifest],
            },
            suspend_dispatching: Some(suspend_dispatching(spec, &target.name)),
            preserve_resources_on_deletion: Some(spec.preserve_resources_on_deletion == Some(true)),
        },
        namespace: key.0,
        name: key.1,
    })
}

/// The Work's conflict resolution: the template's annotation when it says "overwrite" or
/// "abort" (it takes precedence), else the binding's, "abort" by default.
fn conflict_resolution(manifest: &Value, spec: &ResourceBindingSpec) -> &'static str {
    let annotated = manifest
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(labels::CONFLICT_RESOLUTION))
        .and_then(Value::as_str);
    match annotated {
        Some(labels::CONFLICT_RESOLUTION_OVERWRITE) => labels::CONFLICT_RESOLUTION_OVERWRITE,
        Some(labels::CONFLICT_RESOLUTION_ABORT) => labels::CONFLICT_RESOLUTION_ABORT,
        _ if spec.conflict_resolution() == ConflictResolution::Overwrite => {
            labels::CONFLICT_RESOLUTION_OVERWRITE
        }
        _ => labels::CONFLICT_RESOLUTION_ABORT,
    }
}

#[cfg(test)]
mod tests {
    use flotilla_api::policy::v1alpha1::{
        ClusterAffinity, ImageComponent, ImageOverrider, OverrideSpec, OverriderOperator,
        Overriders, RuleWithCluster,
    };
    use flotilla_api::work::v1alpha2::{BindingSnapshot, BindingSuspension, GracefulEvictionTask};
    use flotilla_api::{Cluster, ClusterOverridePolicy};
    use serde_json::json;

    use super::*;
    use crate::overrides::cluster_input;

    fn template() -> Value {
        json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {
                "name": "nginx", "namespace": "default", "uid": "tpl-uid", "generation": 4,
                "resourceVersion": "17",
                "labels": {"app": "nginx", "propagationpolicy.karmada.io/permanent-id": "pp-1"}
            },
            "spec": {"replicas": 9, "template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]}}},
            "status": {"replicas": 9}
        })
    }

    fn spec() -> ResourceBindingSpec {
        serde_json::from_value(json!({
            "resource": {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "default", "name": "nginx"},
            "replicas": 9,
            "placement": {"replicaScheduling": {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted"}},
            "clusters": [{"name": "m1", "replicas": 6}, {"name": "m2", "replicas": 3}]
        }))
        .unwrap()
    }

    fn cluster(name: &str) -> ClusterInput {
        cluster_input(
            &serde_json::from_value::<Cluster>(
                json!({"metadata": {"name": name}, "spec": {"syncMode": "Push"}}),
            )
            .unwrap(),
        )
    }

    fn render_for(
        spec: &ResourceBindingSpec,
        template: &Value,
        cluster_name: &str,
        cops: &[Arc<CompiledOverridePolicy>],
    ) -> DesiredWork {
        let input = RenderInput {
            binding: BindingRef {
                namespace: Some("default"),
                name: "nginx-deployment",
                permanent_id: "rb-1",
                spec,
            },
            template,
            completions: None,
            cluster_policies: cops,
            namespaced_policies: &[],
        };
        let target = spec
            .clusters
            .iter()
            .find(|c| c.name == cluster_name)
            .unwrap();
        render(&input, target, &cluster(cluster_name), |_| {
            "work-1".to_owned()
        })
        .unwrap()
    }

    #[test]
    fn a_divided_deployment_gets_each_clusters_share() {
        let spec = spec();
        let work = render_for(&spec, &template(), "m1", &[]);
        assert_eq!(work.namespace, "karmada-es-m1");
        assert_eq!(
            work.name,
            names::work_name("default", "nginx", "Deployment")
        );
        assert_eq!(
            work.labels,
            BTreeMap::from([
                (
                    labels::RESOURCE_BINDING_PERMANENT_ID.to_owned(),
                    "rb-1".to_owned()
                ),
                (labels::WORK_PERMANENT_ID.to_owned(), "work-1".to_owned()),
            ])
        );
        assert_eq!(
            work.annotations[labels::RESOURCE_BINDING_NAMESPACE],
            "default"
        );
        assert_eq!(
            work.annotations[labels::RESOURCE_BINDING_NAME],
            "nginx-deployment"
        );
        assert_eq!(work.annotations[labels::CONFLICT_RESOLUTION], "abort");
        assert!(
            !work
                .annotations
                .contains_key(labels::APPLIED_CLUSTER_OVERRIDES)
        );
        assert_eq!(work.spec.suspend_dispatching, Some(false));
        assert_eq!(work.spec.preserve_resources_on_deletion, Some(false));

        let manifest = &work.spec.workload.manifests[0];
        assert_eq!(manifest["spec"]["replicas"], 6);
        assert!(manifest.get("status").is_none());
        assert!(manifest["metadata"].get("uid").is_none());
        assert!(manifest["metadata"].get("resourceVersion").is_none());
        let labels_of = &manifest["metadata"]["labels"];
        assert_eq!(labels_of["app"], "nginx");
        assert_eq!(labels_of[labels::MANAGED_BY_KARMADA], "true");
        assert_eq!(labels_of[labels::RESOURCE_BINDING_PERMANENT_ID], "rb-1");
        assert_eq!(labels_of[labels::WORK_PERMANENT_ID], "work-1");
        let annotations = &manifest["metadata"]["annotations"];
        assert_eq!(annotations[labels::RESOURCE_TEMPLATE_UID], "tpl-uid");
        assert_eq!(annotations[labels::RESOURCE_TEMPLATE_GENERATION], "4");
        assert_eq!(annotations[labels::WORK_NAMESPACE], "karmada-es-m1");
        assert_eq!(annotations[labels::WORK_NAME], work.name.as_str());
        assert_eq!(
            annotations[labels::RESOURCE_BINDING_NAME],
            "nginx-deployment"
        );
        assert_eq!(annotations[labels::CONFLICT_RESOLUTION], "abort");
        assert_eq!(
            annotations[labels::MANAGED_LABELS],
            "app,karmada.io/managed,propagationpolicy.karmada.io/permanent-id,resourcebinding.karmada.io/permanent-id,work.karmada.io/permanent-id"
        );

        assert_eq!(
            render_for(&spec, &template(), "m2", &[])
                .spec
                .workload
                .manifests[0]["spec"]["replicas"],
            3
        );
    }

    #[test]
    fn conflict_resolution_prefers_the_template_annotation() {
        struct Case {
            annotation: Option<&'static str>,
            binding: Option<ConflictResolution>,
            want: &'static str,
        }
        let cases = [
            Case {
                annotation: None,
                binding: None,
                want: "abort",
            },
            Case {
                annotation: None,
                binding: Some(ConflictResolution::Overwrite),
                want: "overwrite",
            },
            Case {
                annotation: Some("overwrite"),
                binding: None,
                want: "overwrite",
            },
            Case {
                annotation: Some("abort"),
                binding: Some(ConflictResolution::Overwrite),
                want: "abort",
            },
            Case {
                annotation: Some("bogus"),
                binding: Some(ConflictResolution::Overwrite),
                want: "overwrite",
            },
        ];
        for case in cases {
            let mut t = template();
            if let Some(a) = case.annotation {
                t["metadata"]["annotations"] = json!({labels::CONFLICT_RESOLUTION: a});
            }
            let mut s = spec();
            s.conflict_resolution = case.binding;
            let work = render_for(&s, &t, "m1", &[]);
            assert_eq!(
                work.annotations[labels::CONFLICT_RESOLUTION],
                case.want,
                "{:?} {:?}",
                case.annotation,
                case.binding
            );
            assert_eq!(
                work.spec.workload.manifests[0]["metadata"]["annotations"]
                    [labels::CONFLICT_RESOLUTION],
                case.want
            );
        }
    }

    #[test]
    fn overrides_apply_per_cluster_and_are_recorded() {
        let mut policy = ClusterOverridePolicy::new(
            "registry",
            OverrideSpec {
                override_rules: vec![RuleWithCluster {
                    target_cluster: Some(ClusterAffinity::cluster_names(["m1"])),
                    overriders: Overriders {
                        image_overrider: vec![ImageOverrider {
                            predicate: None,
                            component: ImageComponent::Registry,
                            operator: OverriderOperator::Replace,
                            value: Some("mirror.example".into()),
                        }],
                        ..Default::default()
                    },
                }],
                ..Default::default()
            },
        );
        policy.metadata.name = Some("registry".into());
        let cops = vec![Arc::new(CompiledOverridePolicy::cluster(&policy))];
        let spec = spec();
        let m1 = render_for(&spec, &template(), "m1", &cops);
        let m2 = render_for(&spec, &template(), "m2", &cops);
        assert_eq!(
            m1.spec.workload.manifests[0]["spec"]["template"]["spec"]["containers"][0]["image"],
            "mirror.example/nginx:1.25"
        );
        assert_eq!(
            m2.spec.workload.manifests[0]["spec"]["template"]["spec"]["containers"][0]["image"],
            "nginx:1.25"
        );
        assert!(
            m1.annotations
                .contains_key(labels::APPLIED_CLUSTER_OVERRIDES)
        );
        assert!(
            !m2.annotations
                .contains_key(labels::APPLIED_CLUSTER_OVERRIDES)
        );
    }

    #[test]
    fn job_completions_follow_the_replicas() {
        let job = json!({
            "apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": "pi", "namespace": "default", "uid": "job-uid"},
            "spec": {"parallelism": 3, "completions": 10}
        });
        let mut spec = spec();
        spec.replicas = Some(3);
        spec.clusters = vec![TargetCluster::new("m1", 2), TargetCluster::new("m2", 1)];
        let targets = target_clusters(&spec);
        let completions = job_completions(&job, &spec, &targets).unwrap().unwrap();
        assert_eq!(completions.values().sum::<i32>(), 10);
        assert!(completions["m1"] > completions["m2"], "{completions:?}");

        let input = RenderInput {
            binding: BindingRef {
                namespace: Some("default"),
                name: "pi-job",
                permanent_id: "rb",
                spec: &spec,
            },
            template: &job,
            completions: Some(&completions),
            cluster_policies: &[],
            namespaced_policies: &[],
        };
        let work = render(&input, &targets[0], &cluster("m1"), |_| "w".into()).unwrap();
        let manifest = &work.spec.workload.manifests[0];
        assert_eq!(manifest["spec"]["parallelism"], 2);
        assert_eq!(manifest["spec"]["completions"], completions["m1"]);

        // Duplicated Jobs and work-queue Jobs keep their completions.
        let mut duplicated = spec.clone();
        duplicated.placement = None;
        assert_eq!(job_completions(&job, &duplicated, &targets).unwrap(), None);
        let mut queue = job.clone();
        queue["spec"].as_object_mut().unwrap().remove("completions");
        assert_eq!(job_completions(&queue, &spec, &targets).unwrap(), None);
    }

    #[test]
    fn targets_kept_clusters_and_suspension() {
        let mut spec = spec();
        spec.required_by = vec![BindingSnapshot {
            namespace: Some("default".into()),
            name: "app".into(),
            clusters: vec![TargetCluster::new("m2", 1), TargetCluster::new("m3", 1)],
        }];
        spec.graceful_eviction_tasks = vec![
            GracefulEvictionTask {
                from_cluster: "m4".into(),
                reason: "TaintUntolerated".into(),
                producer: "TaintManager".into(),
                ..Default::default()
            },
            GracefulEvictionTask {
                from_cluster: "m5".into(),
                purge_mode: Some(PurgeMode::Directly),
                reason: "TaintUntolerated".into(),
                producer: "TaintManager".into(),
                ..Default::default()
            },
        ];
        let names: Vec<String> = target_clusters(&spec).into_iter().map(|c| c.name).collect();
        assert_eq!(names, ["m1", "m2", "m3"]);
        assert_eq!(
            kept_clusters(&spec).into_iter().collect::<Vec<_>>(),
            ["m1", "m2", "m3", "m4"]
        );
        assert_eq!(
            directly_purged_clusters(&spec)
                .into_iter()
                .collect::<Vec<_>>(),
            ["m5"]
        );

        assert!(!suspend_dispatching(&spec, "m1"));
        spec.suspension = Some(
            serde_json::from_value::<BindingSuspension>(
                json!({"dispatchingOnClusters": {"clusterNames": ["m2"]}}),
            )
            .unwrap(),
        );
        assert!(!suspend_dispatching(&spec, "m1"));
        assert!(suspend_dispatching(&spec, "m2"));
        spec.suspension = Some(
            serde_json::from_value::<BindingSuspension>(json!({"dispatching": true})).unwrap(),
        );
        assert!(suspend_dispatching(&spec, "m1"));
    }

    #[test]
    fn non_workloads_keep_their_fields() {
        let configmap = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "default"}, "data": {"k": "v"}});
        let spec: ResourceBindingSpec = serde_json::from_value(json!({
            "resource": {"apiVersion": "v1", "kind": "ConfigMap", "namespace": "default", "name": "c"},
            "clusters": [{"name": "m1"}]
        }))
        .unwrap();
        let work = render_for(&spec, &configmap, "m1", &[]);
        assert_eq!(work.spec.workload.manifests[0]["data"], json!({"k": "v"}));
        assert!(
            work.spec.workload.manifests[0]["metadata"]["annotations"]
                .get(labels::RESOURCE_TEMPLATE_GENERATION)
                .is_none()
        );
    }
}
