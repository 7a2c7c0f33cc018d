//! End-to-end: the resource detector against a real Flotilla apiserver started in-process (embedded
//! store, a free port), driven through kube-rs exactly as users and the other controllers do.
//! Every wait is bounded polling; no sleep stands in for a condition.

mod support;

use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail, ensure};
use flotilla_api::work::v1alpha2::ResourceBindingSpec;
use flotilla_api::{
    ClusterPropagationPolicy, ClusterResourceBinding, PropagationPolicy, ResourceBinding, labels,
};
use flotilla_controllers::detector::{DetectorOptions, ReleasedBindings, run_detector};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::api::rbac::v1::ClusterRole;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, ApiResource, DeleteParams, DynamicObject, Patch, PatchParams, PostParams};
use kube::{Client, Resource, ResourceExt};
use serde_json::{Value, json};
use support::{Server, TIMEOUT, eventually};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A federation apiserver and a detector running in this process; both stop when dropped.
struct ControlPlane {
    client: Client,
    _server: Server,
    stop_detector: Option<oneshot::Sender<()>>,
    detector: Option<JoinHandle<()>>,
}

impl ControlPlane {
    async fn start() -> Result<ControlPlane> {
        let server = Server::federation().await?;
        Ok(ControlPlane {
            client: server.client.clone(),
            _server: server,
            stop_detector: None,
            detector: None,
        })
    }

    fn start_detector(&mut self, opts: DetectorOptions) {
        let (stop, stopped) = oneshot::channel::<()>();
        let client = self.client.clone();
        self.detector = Some(tokio::spawn(async move {
            run_detector(client, opts, async {
                let _ = stopped.await;
            })
            .await
            .expect("the detector runs");
        }));
        self.stop_detector = Some(stop);
    }

    /// Stops the detector and waits for it to return.
    async fn stop_detector(&mut self) -> Result<()> {
        if let Some(stop) = self.stop_detector.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.detector.take() {
            tokio::time::timeout(TIMEOUT, task)
                .await
                .context("the detector did not stop")??;
        }
        Ok(())
    }
}

impl Drop for ControlPlane {
    fn drop(&mut self) {
        if let Some(stop) = self.stop_detector.take() {
            let _ = stop.send(());
        }
        if let Some(task) = &self.detector {
            task.abort();
        }
    }
}

fn options(released: ReleasedBindings) -> DetectorOptions {
    DetectorOptions {
        released_bindings: released,
        // CRDs trigger discovery themselves; keep the periodic safety nets out of the way.
        rediscovery_period: Duration::from_secs(3600),
        resync_period: Duration::from_secs(3600),
        ..DetectorOptions::default()
    }
}

fn nginx(replicas: i32) -> Result<Deployment> {
    Ok(serde_json::from_value(json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "nginx", "labels": {"app": "nginx"}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "nginx"}},
            "template": {
                "metadata": {"labels": {"app": "nginx"}},
                "spec": {"containers": [{"name": "nginx", "image": "nginx",
                    "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}]},
            },
        },
    }))?)
}

/// The sample policy, as a user would write it (with the `staticClusterWeight`
/// spelling the apiserver accepts for `staticWeightList`).
fn nginx_propagation() -> Value {
    json!({
        "apiVersion": "policy.karmada.io/v1alpha1",
        "kind": "PropagationPolicy",
        "metadata": {"name": "nginx-propagation"},
        "spec": {
            "resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "nginx"}],
            "placement": {
                "clusterAffinity": {"clusterNames": ["us-east-1", "eu-west-1"]},
                "replicaScheduling": {
                    "replicaSchedulingType": "Divided",
                    "replicaDivisionPreference": "Weighted",
                    "weightPreference": {"staticClusterWeight": [
                        {"targetCluster": {"clusterNames": ["us-east-1"]}, "weight": 2},
                        {"targetCluster": {"clusterNames": ["eu-west-1"]}, "weight": 1},
                    ]},
                },
            },
        },
    })
}

async fn create_raw<K: Resource<DynamicType = ()>>(
    client: &Client,
    namespace: Option<&str>,
    obj: Value,
) -> Result<DynamicObject> {
    let resource = ApiResource::erase::<K>(&());
    let api: Api<DynamicObject> = match namespace {
        Some(ns) => Api::namespaced_with(client.clone(), ns, &resource),
        None => Api::all_with(client.clone(), &resource),
    };
    Ok(api
        .create(&PostParams::default(), &serde_json::from_value(obj)?)
        .await?)
}

fn label<'a>(obj: &'a impl ResourceExt, key: &str) -> Option<&'a str> {
    obj.labels().get(key).map(String::as_str)
}

fn annotation<'a>(obj: &'a impl ResourceExt, key: &str) -> Option<&'a str> {
    obj.annotations().get(key).map(String::as_str)
}

fn is_claimed(obj: &impl ResourceExt) -> bool {
    [
        labels::PROPAGATION_POLICY_PERMANENT_ID,
        labels::CLUSTER_PROPAGATION_POLICY_PERMANENT_ID,
    ]
    .iter()
    .any(|k| obj.labels().contains_key(*k))
        || [
            labels::PROPAGATION_POLICY_NAMESPACE,
            labels::PROPAGATION_POLICY_NAME,
            labels::CLUSTER_PROPAGATION_POLICY_NAME,
        ]
        .iter()
        .any(|k| obj.annotations().contains_key(*k))
}

fn resource_request(spec: &ResourceBindingSpec) -> Value {
    spec.replica_requirements
        .as_ref()
        .map(|r| serde_json::to_value(&r.resource_request).unwrap_or_default())
        .unwrap_or(Value::Null)
}

#[tokio::test]
async fn detector_binds_a_deployment_and_follows_it() -> Result<()> {
    let mut cp = ControlPlane::start().await?;
    cp.start_detector(options(ReleasedBindings::Keep));
    let client = cp.client.clone();
    let deployments: Api<Deployment> = Api::default_namespaced(client.clone());
    let policies: Api<PropagationPolicy> = Api::default_namespaced(client.clone());
    let bindings: Api<ResourceBinding> = Api::default_namespaced(client.clone());

    // A Deployment and the sample policy: the Deployment is claimed and bound.
    let deployment = deployments
        .create(&PostParams::default(), &nginx(9)?)
        .await?;
    create_raw::<PropagationPolicy>(&client, Some("default"), nginx_propagation()).await?;
    let policy = policies.get("nginx-propagation").await?;
    let policy_id = label(&policy, labels::PROPAGATION_POLICY_PERMANENT_ID)
        .context("the apiserver gives policies a permanent id")?
        .to_owned();

    let rb = eventually("the ResourceBinding is created", || async {
        bindings
            .get_opt("nginx-deployment")
            .await?
            .ok_or_else(|| anyhow!("no binding yet"))
    })
    .await?;
    let spec = &rb.spec;
    ensure!(spec.replicas == Some(9), "replicas: {:?}", spec.replicas);
    ensure!(spec.resource.api_version == "apps/v1" && spec.resource.kind == "Deployment");
    ensure!(spec.resource.namespace.as_deref() == Some("default") && spec.resource.name == "nginx");
    ensure!(
        spec.resource.uid == deployment.metadata.uid,
        "resource uid: {:?}",
        spec.resource.uid
    );
    ensure!(spec.resource.resource_version.is_some());
    ensure!(
        resource_request(spec) == json!({"cpu": "100m", "memory": "128Mi"}),
        "resourceRequest: {}",
        resource_request(spec)
    );
    ensure!(
        spec.placement == policy.spec.placement,
        "placement: {:?}",
        spec.placement
    );
    let weights = &spec
        .placement
        .as_ref()
        .and_then(|p| p.replica_scheduling.as_ref())
        .and_then(|r| r.weight_preference.as_ref())
        .context("weights")?
        .static_weight_list;
    ensure!(
        weights.len() == 2 && weights[0].weight == 2,
        "static weights: {weights:?}"
    );
    ensure!(spec.scheduler_name.as_deref() == Some("default-scheduler"));
    ensure!(spec.clusters.is_empty(), "the detector never schedules");
    ensure!(label(&rb, labels::PROPAGATION_POLICY_PERMANENT_ID) == Some(policy_id.as_str()));
    ensure!(annotation(&rb, labels::PROPAGATION_POLICY_NAME) == Some("nginx-propagation"));
    ensure!(annotation(&rb, labels::PROPAGATION_POLICY_NAMESPACE) == Some("default"));
    ensure!(
        label(&rb, labels::RESOURCE_BINDING_PERMANENT_ID).is_some(),
        "the apiserver labels bindings"
    );
    let owner = rb
        .metadata
        .owner_references
        .as_ref()
        .and_then(|r| r.first())
        .context("an owner")?;
    ensure!(
        owner.kind == "Deployment"
            && owner.name == "nginx"
            && Some(&owner.uid) == deployment.metadata.uid.as_ref(),
        "owner: {owner:?}"
    );
    ensure!(owner.controller == Some(true) && owner.block_owner_deletion == Some(true));

    let claimed = deployments.get("nginx").await?;
    ensure!(label(&claimed, labels::PROPAGATION_POLICY_PERMANENT_ID) == Some(policy_id.as_str()));
    ensure!(annotation(&claimed, labels::PROPAGATION_POLICY_NAMESPACE) == Some("default"));
    ensure!(annotation(&claimed, labels::PROPAGATION_POLICY_NAME) == Some("nginx-propagation"));
    ensure!(
        label(&claimed, "app") == Some("nginx"),
        "other labels are kept"
    );

    // The scheduler's result is not the detector's: it survives the detector's updates.
    bindings
        .patch(
            "nginx-deployment",
            &PatchParams::apply("flotilla-scheduler").force(),
            &Patch::Apply(json!({
                "apiVersion": "work.karmada.io/v1alpha2",
                "kind": "ResourceBinding",
                "metadata": {"name": "nginx-deployment", "namespace": "default"},
                "spec": {"resource": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "nginx"},
                    "clusters": [{"name": "us-east-1", "replicas": 6}, {"name": "eu-west-1", "replicas": 3}]},
            })),
        )
        .await?;

    // A status update of the template does not rewrite the binding; a scale does, once.
    let generation = bindings.get("nginx-deployment").await?.metadata.generation;
    deployments
        .patch_status(
            "nginx",
            &PatchParams::default(),
            &Patch::Merge(
                json!({"status": {"replicas": 9, "readyReplicas": 9, "observedGeneration": 1}}),
            ),
        )
        .await?;
    deployments
        .patch(
            "nginx",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": 4}})),
        )
        .await?;
    let scaled = eventually("scaling the Deployment updates the binding", || async {
        let rb = bindings.get("nginx-deployment").await?;
        ensure!(
            rb.spec.replicas == Some(4),
            "replicas {:?}",
            rb.spec.replicas
        );
        Ok(rb)
    })
    .await?;
    ensure!(
        scaled.spec.clusters.len() == 2 && scaled.spec.clusters[0].replicas == Some(6),
        "spec.clusters must be left to the scheduler: {:?}",
        scaled.spec.clusters
    );
    ensure!(
        label(&scaled, labels::RESOURCE_BINDING_PERMANENT_ID)
            == label(&rb, labels::RESOURCE_BINDING_PERMANENT_ID),
        "the binding keeps its permanent id through the detector's updates"
    );
    let current = deployments.get("nginx").await?;
    ensure!(
        scaled.spec.resource.resource_version == current.metadata.resource_version,
        "the binding points at the scaled template"
    );
    let (Some(before), Some(after)) = (generation, scaled.metadata.generation) else {
        bail!(
            "bindings have a generation: {generation:?} -> {:?}",
            scaled.metadata.generation
        );
    };
    ensure!(
        after == before + 1,
        "one binding write for the scale, none for the status: {before} -> {after}"
    );

    // Deleting the policy releases the Deployment; the binding is kept, unclaimed (Karmada).
    policies
        .delete("nginx-propagation", &DeleteParams::default())
        .await?;
    eventually("the Deployment is released", || async {
        let d = deployments.get("nginx").await?;
        ensure!(
            !is_claimed(&d),
            "still claimed: {:?} {:?}",
            d.labels(),
            d.annotations()
        );
        Ok(())
    })
    .await?;
    let kept = bindings.get("nginx-deployment").await?;
    ensure!(
        !is_claimed(&kept),
        "the kept binding is unclaimed: {:?}",
        kept.labels()
    );
    ensure!(kept.spec.replicas == Some(4));

    // A new policy claims it again, with its own permanent id.
    create_raw::<PropagationPolicy>(&client, Some("default"), nginx_propagation()).await?;
    let new_id = label(
        &policies.get("nginx-propagation").await?,
        labels::PROPAGATION_POLICY_PERMANENT_ID,
    )
    .context("permanent id")?
    .to_owned();
    ensure!(
        new_id != policy_id,
        "a re-created policy has a new permanent id"
    );
    eventually(
        "the re-created policy claims the Deployment and its binding",
        || async {
            let d = deployments.get("nginx").await?;
            let rb = bindings.get("nginx-deployment").await?;
            ensure!(label(&d, labels::PROPAGATION_POLICY_PERMANENT_ID) == Some(new_id.as_str()));
            ensure!(label(&rb, labels::PROPAGATION_POLICY_PERMANENT_ID) == Some(new_id.as_str()));
            Ok(())
        },
    )
    .await?;

    // Deleting the Deployment removes its binding.
    deployments
        .delete("nginx", &DeleteParams::default())
        .await?;
    eventually("the binding goes with the Deployment", || async {
        match bindings.get_opt("nginx-deployment").await? {
            None => Ok(()),
            Some(rb) => bail!(
                "binding still there: deleting {:?}",
                rb.metadata.deletion_timestamp
            ),
        }
    })
    .await?;

    // A CRD added after the detector started: its objects are templates too.
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    crds.create(
        &PostParams::default(),
        &serde_json::from_value(json!({
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": "widgets.example.com"},
            "spec": {
                "group": "example.com",
                "scope": "Namespaced",
                "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
                "versions": [{"name": "v1", "served": true, "storage": true,
                    "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}],
            },
        }))?,
    )
    .await?;
    let widget_resource = ApiResource {
        group: "example.com".into(),
        version: "v1".into(),
        api_version: "example.com/v1".into(),
        kind: "Widget".into(),
        plural: "widgets".into(),
    };
    let widgets: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), "default", &widget_resource);
    eventually("the Widget kind is served", || async {
        let widget: DynamicObject = serde_json::from_value(json!({
            "apiVersion": "example.com/v1", "kind": "Widget",
            "metadata": {"name": "w1", "labels": {"tier": "gold"}}, "spec": {"size": 3},
        }))?;
        Ok(widgets.create(&PostParams::default(), &widget).await?)
    })
    .await?;
    create_raw::<PropagationPolicy>(
        &client,
        Some("default"),
        json!({
            "apiVersion": "policy.karmada.io/v1alpha1",
            "kind": "PropagationPolicy",
            "metadata": {"name": "gold-widgets"},
            "spec": {
                "resourceSelectors": [{"apiVersion": "example.com/v1", "kind": "Widget",
                    "labelSelector": {"matchLabels": {"tier": "gold"}}}],
                "placement": {"clusterAffinity": {"clusterNames": ["us-east-1"]}},
            },
        }),
    )
    .await?;
    let widget_binding = eventually("the Widget is bound", || async {
        bindings
            .get_opt("w1-widget")
            .await?
            .ok_or_else(|| anyhow!("no binding yet"))
    })
    .await?;
    ensure!(widget_binding.spec.resource.api_version == "example.com/v1");
    ensure!(
        widget_binding.spec.replicas.is_none(),
        "a Widget has no replicas"
    );
    ensure!(annotation(&widget_binding, labels::PROPAGATION_POLICY_NAME) == Some("gold-widgets"));
    let w1 = widgets.get("w1").await?;
    ensure!(annotation(&w1, labels::PROPAGATION_POLICY_NAME) == Some("gold-widgets"));

    cp.stop_detector().await
}

#[tokio::test]
async fn detector_precedence_cluster_policies_and_released_bindings() -> Result<()> {
    let mut cp = ControlPlane::start().await?;
    let client = cp.client.clone();
    let configmaps: Api<ConfigMap> = Api::default_namespaced(client.clone());
    let bindings: Api<ResourceBinding> = Api::default_namespaced(client.clone());
    let cluster_bindings: Api<ClusterResourceBinding> = Api::all(client.clone());
    let cpps: Api<ClusterPropagationPolicy> = Api::all(client.clone());
    let pps: Api<PropagationPolicy> = Api::default_namespaced(client.clone());
    let cm = |name: &str| -> Result<ConfigMap> {
        Ok(serde_json::from_value(
            json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name}, "data": {"k": "v"}}),
        )?)
    };

    // Objects and a ClusterPropagationPolicy that exist before the detector starts.
    configmaps
        .create(&PostParams::default(), &cm("settings")?)
        .await?;
    create_raw::<ClusterPropagationPolicy>(
        &client,
        None,
        json!({
            "apiVersion": "policy.karmada.io/v1alpha1",
            "kind": "ClusterPropagationPolicy",
            "metadata": {"name": "everything"},
            "spec": {
                "resourceSelectors": [
                    {"apiVersion": "v1", "kind": "ConfigMap"},
                    {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "name": "reader"},
                ],
                "conflictResolution": "Overwrite",
            },
        }),
    )
    .await?;
    let roles: Api<ClusterRole> = Api::all(client.clone());
    roles
        .create(
            &PostParams::default(),
            &serde_json::from_value(
                json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                "metadata": {"name": "reader"}, "rules": []}),
            )?,
        )
        .await?;
    cp.start_detector(options(ReleasedBindings::Delete));

    let cpp_id = label(
        &cpps.get("everything").await?,
        labels::CLUSTER_PROPAGATION_POLICY_PERMANENT_ID,
    )
    .context("permanent id")?
    .to_owned();
    let rb = eventually(
        "the ConfigMap is bound by the ClusterPropagationPolicy",
        || async {
            bindings
                .get_opt("settings-configmap")
                .await?
                .ok_or_else(|| anyhow!("no binding yet"))
        },
    )
    .await?;
    ensure!(label(&rb, labels::CLUSTER_PROPAGATION_POLICY_PERMANENT_ID) == Some(cpp_id.as_str()));
    ensure!(annotation(&rb, labels::CLUSTER_PROPAGATION_POLICY_NAME) == Some("everything"));
    ensure!(rb.spec.replicas.is_none() && rb.spec.replica_requirements.is_none());
    ensure!(
        rb.spec.conflict_resolution
            == Some(flotilla_api::policy::v1alpha1::ConflictResolution::Overwrite),
        "policy fields are copied"
    );
    let crb = eventually("the ClusterRole gets a ClusterResourceBinding", || async {
        cluster_bindings
            .get_opt("reader-clusterrole")
            .await?
            .ok_or_else(|| anyhow!("no binding yet"))
    })
    .await?;
    ensure!(crb.spec.resource.namespace.is_none() && crb.spec.resource.kind == "ClusterRole");
    ensure!(label(&crb, labels::CLUSTER_RESOURCE_BINDING_PERMANENT_ID).is_some());
    let role = roles.get("reader").await?;
    ensure!(annotation(&role, labels::CLUSTER_PROPAGATION_POLICY_NAME) == Some("everything"));

    // A PropagationPolicy that also selects the ConfigMap does not take it from the cluster
    // policy that already claimed it (no preemption) — but it takes new ConfigMaps first.
    create_raw::<PropagationPolicy>(
        &client,
        Some("default"),
        json!({
            "apiVersion": "policy.karmada.io/v1alpha1",
            "kind": "PropagationPolicy",
            "metadata": {"name": "configmaps"},
            "spec": {"resourceSelectors": [{"apiVersion": "v1", "kind": "ConfigMap"}]},
        }),
    )
    .await?;
    configmaps
        .create(&PostParams::default(), &cm("fresh")?)
        .await?;
    eventually(
        "a new ConfigMap is claimed by the namespace's PropagationPolicy",
        || async {
            let rb = bindings
                .get_opt("fresh-configmap")
                .await?
                .ok_or_else(|| anyhow!("no binding yet"))?;
            ensure!(
                annotation(&rb, labels::PROPAGATION_POLICY_NAME) == Some("configmaps"),
                "{:?}",
                rb.annotations()
            );
            Ok(())
        },
    )
    .await?;
    let settings = configmaps.get("settings").await?;
    ensure!(
        annotation(&settings, labels::CLUSTER_PROPAGATION_POLICY_NAME) == Some("everything")
            && annotation(&settings, labels::PROPAGATION_POLICY_NAME).is_none(),
        "a claimed template stays with its policy: {:?}",
        settings.annotations()
    );

    // Deleting the cluster policy hands `settings` to the PropagationPolicy, and the binding
    // changes hands with it; the ClusterRole, selected by nothing else, is released.
    cpps.delete("everything", &DeleteParams::default()).await?;
    eventually("the ConfigMap moves to the PropagationPolicy", || async {
        let settings = configmaps.get("settings").await?;
        let rb = bindings.get("settings-configmap").await?;
        for (what, labels_, annotations_) in [
            ("template", settings.labels(), settings.annotations()),
            ("binding", rb.labels(), rb.annotations()),
        ] {
            ensure!(
                annotations_
                    .get(labels::PROPAGATION_POLICY_NAME)
                    .map(String::as_str)
                    == Some("configmaps"),
                "{what}: {annotations_:?}"
            );
            ensure!(
                !annotations_.contains_key(labels::CLUSTER_PROPAGATION_POLICY_NAME),
                "{what}: {annotations_:?}"
            );
            ensure!(
                !labels_.contains_key(labels::CLUSTER_PROPAGATION_POLICY_PERMANENT_ID),
                "{what}: {labels_:?}"
            );
        }
        ensure!(
            rb.spec.conflict_resolution
                == Some(flotilla_api::policy::v1alpha1::ConflictResolution::Abort),
            "the new policy's fields"
        );
        Ok(())
    })
    .await?;
    eventually(
        "the ClusterRole is released and, in Delete mode, unbound",
        || async {
            let role = roles.get("reader").await?;
            ensure!(!is_claimed(&role), "{:?}", role.annotations());
            ensure!(
                cluster_bindings
                    .get_opt("reader-clusterrole")
                    .await?
                    .is_none(),
                "binding still there"
            );
            Ok(())
        },
    )
    .await?;

    // Narrowing the policy's selectors releases what it no longer selects.
    pps.patch(
        "configmaps",
        &PatchParams::default(),
        &Patch::Merge(json!({"spec": {"resourceSelectors": [{"apiVersion": "v1", "kind": "ConfigMap", "name": "fresh"}]}})),
    )
    .await?;
    eventually(
        "the unselected ConfigMap is released and unbound",
        || async {
            let settings = configmaps.get("settings").await?;
            ensure!(!is_claimed(&settings), "{:?}", settings.annotations());
            ensure!(
                bindings.get_opt("settings-configmap").await?.is_none(),
                "binding still there"
            );
            Ok(())
        },
    )
    .await?;
    let fresh = bindings.get("fresh-configmap").await?;
    ensure!(annotation(&fresh, labels::PROPAGATION_POLICY_NAME) == Some("configmaps"));

    // A higher-priority policy does not preempt either; but once `fresh` is released by its
    // policy's deletion, the best remaining policy takes it.
    for (name, priority) in [("low", 1), ("high", 5)] {
        create_raw::<PropagationPolicy>(
            &client,
            Some("default"),
            json!({
                "apiVersion": "policy.karmada.io/v1alpha1",
                "kind": "PropagationPolicy",
                "metadata": {"name": name},
                "spec": {"priority": priority,
                    "resourceSelectors": [{"apiVersion": "v1", "kind": "ConfigMap", "name": "fresh"}]},
            }),
        )
        .await?;
    }
    pps.delete("configmaps", &DeleteParams::default()).await?;
    eventually(
        "the highest-priority policy claims the ConfigMap",
        || async {
            let rb = bindings
                .get_opt("fresh-configmap")
                .await?
                .ok_or_else(|| anyhow!("no binding"))?;
            ensure!(
                annotation(&rb, labels::PROPAGATION_POLICY_NAME) == Some("high"),
                "{:?}",
                rb.annotations()
            );
            let fresh = configmaps.get("fresh").await?;
            ensure!(
                annotation(&fresh, labels::PROPAGATION_POLICY_NAME) == Some("high"),
                "{:?}",
                fresh.annotations()
            );
            Ok(())
        },
    )
    .await?;

    cp.stop_detector().await
}
