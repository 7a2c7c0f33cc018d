//! The binding controller against a real federation apiserver in this process: bindings (written
//! here the way the detector and the scheduler write them) become Works, rescaled, overridden,
//! moved and removed. No member clusters run: the Works themselves are what is checked. Every
//! wait is bounded polling.

mod support;

use anyhow::{Context as _, Result, anyhow, ensure};
use flotilla_api::{
    ClusterOverridePolicy, ClusterResourceBinding, ResourceBinding, Work, labels, names,
};
use flotilla_controllers::Context;
use flotilla_controllers::binding::{self, BindingOptions};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::api::rbac::v1::ClusterRole;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kube::{Client, ResourceExt};
use serde_json::{Value, json};
use support::{Server, eventually};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// A federation with member clusters registered (no member API servers) and the binding
/// controller running.
struct Fixture {
    server: Server,
    stop: CancellationToken,
    controller: JoinHandle<()>,
}

impl Fixture {
    async fn start(clusters: &[(&str, Value)]) -> Result<Fixture> {
        let server = Server::federation().await?;
        for (name, labels) in clusters {
            add_cluster(&server.client, name, labels.clone()).await?;
        }
        let stop = CancellationToken::new();
        let ctx = Context::new(server.client.clone(), stop.clone());
        let controller = tokio::spawn(async move {
            binding::run(ctx, BindingOptions::default())
                .await
                .expect("the binding controller runs");
        });
        Ok(Fixture {
            server,
            stop,
            controller,
        })
    }

    fn client(&self) -> Client {
        self.server.client.clone()
    }

    async fn stop(self) -> Result<()> {
        self.stop.cancel();
        tokio::time::timeout(support::TIMEOUT, self.controller)
            .await
            .context("the binding controller did not stop")??;
        Ok(())
    }
}

async fn add_cluster(client: &Client, name: &str, labels: Value) -> Result<()> {
    let namespaces: Api<Namespace> = Api::all(client.clone());
    namespaces
        .create(
            &PostParams::default(),
            &serde_json::from_value(
                json!({"metadata": {"name": names::execution_namespace(name)}}),
            )?,
        )
        .await?;
    let clusters: Api<flotilla_api::Cluster> = Api::all(client.clone());
    clusters
        .create(
            &PostParams::default(),
            &serde_json::from_value(json!({
                "apiVersion": "cluster.karmada.io/v1alpha1",
                "kind": "Cluster",
                "metadata": {"name": name, "labels": labels},
                "spec": {"syncMode": "Push", "apiEndpoint": "https://127.0.0.1:6443"}
            }))?,
        )
        .await?;
    Ok(())
}

async fn create_nginx(client: &Client) -> Result<Deployment> {
    let api: Api<Deployment> = Api::namespaced(client.clone(), "default");
    Ok(api
        .create(
            &PostParams::default(),
            &serde_json::from_value(json!({
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "nginx", "namespace": "default", "labels": {"app": "nginx"}},
                "spec": {
                    "replicas": 9,
                    "selector": {"matchLabels": {"app": "nginx"}},
                    "template": {
                        "metadata": {"labels": {"app": "nginx"}},
                        "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]}
                    }
                }
            }))?,
        )
        .await?)
}

/// The binding the detector and scheduler would have written for the sample nginx Deployment.
async fn create_nginx_binding(
    client: &Client,
    template: &Deployment,
    clusters: Value,
) -> Result<ResourceBinding> {
    let api: Api<ResourceBinding> = Api::namespaced(client.clone(), "default");
    Ok(api
        .create(
            &PostParams::default(),
            &serde_json::from_value(json!({
                "apiVersion": "work.karmada.io/v1alpha2",
                "kind": "ResourceBinding",
                "metadata": {"name": "nginx-deployment", "namespace": "default"},
                "spec": {
                    "resource": {
                        "apiVersion": "apps/v1", "kind": "Deployment", "namespace": "default", "name": "nginx",
                        "uid": template.uid(), "resourceVersion": template.resource_version()
                    },
                    "replicas": 9,
                    "placement": {"replicaScheduling": {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted"}},
                    "clusters": clusters
                }
            }))?,
        )
        .await?)
}

async fn set_clusters(client: &Client, clusters: Value) -> Result<()> {
    let api: Api<ResourceBinding> = Api::namespaced(client.clone(), "default");
    api.patch(
        "nginx-deployment",
        &PatchParams::default(),
        &Patch::Merge(json!({"spec": {"clusters": clusters}})),
    )
    .await?;
    Ok(())
}

fn nginx_work_name() -> String {
    names::work_name("default", "nginx", "Deployment")
}

async fn get_work(client: &Client, cluster: &str, name: &str) -> Result<Option<Work>> {
    let api: Api<Work> = Api::namespaced(client.clone(), &names::execution_namespace(cluster));
    Ok(api.get_opt(name).await?)
}

fn manifest(work: &Work) -> &Value {
    &work.spec.workload.manifests[0]
}

fn image(work: &Work) -> &str {
    manifest(work)["spec"]["template"]["spec"]["containers"][0]["image"]
        .as_str()
        .unwrap_or_default()
}

/// Waits until the Work exists and `check` accepts it.
async fn work_where(
    client: &Client,
    cluster: &str,
    name: &str,
    what: &str,
    check: impl Fn(&Work) -> Result<()>,
) -> Result<Work> {
    eventually(what, || async {
        let work = get_work(client, cluster, name)
            .await?
            .ok_or_else(|| anyhow!("no Work {name} in {cluster}"))?;
        check(&work)?;
        Ok(work)
    })
    .await
}

fn replicas_are(want: i64) -> impl Fn(&Work) -> Result<()> {
    move |work| {
        let got = manifest(work)["spec"]["replicas"].as_i64();
        ensure!(got == Some(want), "replicas {got:?}, want {want}");
        Ok(())
    }
}

/// Strips the execution controller's finalizer (no execution controller runs here) so a Work
/// being deleted goes, and waits until it is gone.
async fn release_work(client: &Client, cluster: &str, name: &str) -> Result<()> {
    let api: Api<Work> = Api::namespaced(client.clone(), &names::execution_namespace(cluster));
    eventually("the Work is being deleted", || async {
        let work = api.get_opt(name).await?;
        ensure!(
            work.is_none_or(|w| w.metadata.deletion_timestamp.is_some()),
            "Work {name} in {cluster} is not being deleted"
        );
        Ok(())
    })
    .await?;
    match api
        .patch(
            name,
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"finalizers": null}})),
        )
        .await
    {
        Ok(_) => {}
        Err(kube::Error::Api(s)) if s.code == 404 => {}
        Err(e) => return Err(e.into()),
    }
    eventually("the Work is gone", || async {
        ensure!(
            api.get_opt(name).await?.is_none(),
            "Work {name} in {cluster} still exists"
        );
        Ok(())
    })
    .await
}

#[tokio::test]
async fn a_divided_binding_becomes_one_work_per_cluster_with_its_share() -> Result<()> {
    let fx = Fixture::start(&[("m1", json!({})), ("m2", json!({}))]).await?;
    let client = fx.client();
    let template = create_nginx(&client).await?;
    let rb = create_nginx_binding(
        &client,
        &template,
        json!([{"name": "m1", "replicas": 6}, {"name": "m2", "replicas": 3}]),
    )
    .await?;
    let rb_id = rb.labels()[labels::RESOURCE_BINDING_PERMANENT_ID].clone();
    let name = nginx_work_name();

    let m1 = work_where(
        &client,
        "m1",
        &name,
        "m1's Work has 6 replicas",
        replicas_are(6),
    )
    .await?;
    let m2 = work_where(
        &client,
        "m2",
        &name,
        "m2's Work has 3 replicas",
        replicas_are(3),
    )
    .await?;

    for (work, cluster) in [(&m1, "m1"), (&m2, "m2")] {
        let meta = &work.metadata;
        ensure!(
            meta.finalizers
                .iter()
                .flatten()
                .any(|f| f == labels::EXECUTION_CONTROLLER_FINALIZER),
            "{cluster}: no execution finalizer"
        );
        let work_labels = work.labels();
        ensure!(work_labels.get(labels::RESOURCE_BINDING_PERMANENT_ID) == Some(&rb_id));
        let work_id = work_labels
            .get(labels::WORK_PERMANENT_ID)
            .context("no Work permanent ID")?
            .clone();
        let annotations = work.annotations();
        ensure!(
            annotations
                .get(labels::RESOURCE_BINDING_NAMESPACE)
                .map(String::as_str)
                == Some("default")
        );
        ensure!(
            annotations
                .get(labels::RESOURCE_BINDING_NAME)
                .map(String::as_str)
                == Some("nginx-deployment")
        );
        ensure!(
            annotations
                .get(labels::CONFLICT_RESOLUTION)
                .map(String::as_str)
                == Some("abort")
        );
        ensure!(work.spec.suspend_dispatching == Some(false));
        ensure!(work.spec.preserve_resources_on_deletion == Some(false));

        let m = manifest(work);
        ensure!(m.get("status").is_none(), "{cluster}: status propagated");
        for field in [
            "uid",
            "resourceVersion",
            "generation",
            "creationTimestamp",
            "managedFields",
        ] {
            ensure!(
                m["metadata"].get(field).is_none(),
                "{cluster}: metadata.{field} propagated"
            );
        }
        let ml = &m["metadata"]["labels"];
        ensure!(ml["app"] == "nginx");
        ensure!(ml[labels::MANAGED_BY_KARMADA] == "true");
        ensure!(ml[labels::RESOURCE_BINDING_PERMANENT_ID] == rb_id.as_str());
        ensure!(ml[labels::WORK_PERMANENT_ID] == work_id.as_str());
        let ma = &m["metadata"]["annotations"];
        ensure!(ma[labels::WORK_NAMESPACE] == names::execution_namespace(cluster).as_str());
        ensure!(ma[labels::WORK_NAME] == name.as_str());
        ensure!(ma[labels::RESOURCE_TEMPLATE_UID] == template.uid().unwrap_or_default().as_str());
        ensure!(ma[labels::RESOURCE_TEMPLATE_GENERATION] == "1");
        ensure!(ma[labels::CONFLICT_RESOLUTION] == "abort");
        ensure!(
            ma[labels::MANAGED_LABELS]
                == "app,karmada.io/managed,resourcebinding.karmada.io/permanent-id,work.karmada.io/permanent-id",
            "{}",
            ma[labels::MANAGED_LABELS]
        );
        ensure!(
            ma[labels::MANAGED_ANNOTATIONS]
                .as_str()
                .is_some_and(|a| a.contains(labels::WORK_NAME))
        );
    }

    let rbs: Api<ResourceBinding> = Api::namespaced(client.clone(), "default");
    eventually(
        "the binding carries the binding controller's finalizer",
        || async {
            let rb = rbs.get("nginx-deployment").await?;
            ensure!(
                rb.finalizers()
                    .iter()
                    .any(|f| f == labels::BINDING_CONTROLLER_FINALIZER)
            );
            ensure!(
                rb.status.is_none(),
                "the binding controller never writes status"
            );
            Ok(())
        },
    )
    .await?;
    fx.stop().await
}

#[tokio::test]
async fn a_cluster_override_policy_for_one_cluster_changes_only_its_work() -> Result<()> {
    let fx = Fixture::start(&[
        ("m1", json!({"region": "eu"})),
        ("m2", json!({"region": "us"})),
    ])
    .await?;
    let client = fx.client();
    let template = create_nginx(&client).await?;
    create_nginx_binding(
        &client,
        &template,
        json!([{"name": "m1", "replicas": 6}, {"name": "m2", "replicas": 3}]),
    )
    .await?;
    let name = nginx_work_name();
    work_where(&client, "m1", &name, "m1's Work exists", replicas_are(6)).await?;
    work_where(&client, "m2", &name, "m2's Work exists", replicas_are(3)).await?;

    let cops: Api<ClusterOverridePolicy> = Api::all(client.clone());
    cops.create(
        &PostParams::default(),
        &serde_json::from_value(json!({
            "apiVersion": "policy.karmada.io/v1alpha1",
            "kind": "ClusterOverridePolicy",
            "metadata": {"name": "eu-registry"},
            "spec": {
                "resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment"}],
                "overrideRules": [{
                    "targetCluster": {"labelSelector": {"matchLabels": {"region": "eu"}}},
                    "overriders": {"imageOverrider": [{"component": "Registry", "operator": "replace", "value": "mirror.eu.example"}]}
                }]
            }
        }))?,
    )
    .await?;

    let m1 = work_where(
        &client,
        "m1",
        &name,
        "m1's image comes from the EU mirror",
        |w| {
            ensure!(
                image(w) == "mirror.eu.example/nginx:1.25",
                "image {}",
                image(w)
            );
            Ok(())
        },
    )
    .await?;
    let recorded: Value = serde_json::from_str(
        m1.annotations()
            .get(labels::APPLIED_CLUSTER_OVERRIDES)
            .context("no applied-cluster-overrides annotation")?,
    )?;
    ensure!(recorded[0]["policyName"] == "eu-registry", "{recorded}");
    ensure!(m1.annotations().get(labels::APPLIED_OVERRIDES).is_none());

    let m2 = get_work(&client, "m2", &name).await?.context("m2's Work")?;
    ensure!(image(&m2) == "nginx:1.25", "m2 image {}", image(&m2));
    ensure!(
        m2.annotations()
            .get(labels::APPLIED_CLUSTER_OVERRIDES)
            .is_none()
    );

    // Relabelling the cluster moves the override with it.
    let clusters: Api<flotilla_api::Cluster> = Api::all(client.clone());
    clusters
        .patch(
            "m2",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"labels": {"region": "eu"}}})),
        )
        .await?;
    work_where(
        &client,
        "m2",
        &name,
        "m2's image follows its new label",
        |w| {
            ensure!(
                image(w) == "mirror.eu.example/nginx:1.25",
                "image {}",
                image(w)
            );
            Ok(())
        },
    )
    .await?;

    // Deleting the policy takes the override and its record away.
    cops.delete("eu-registry", &DeleteParams::default()).await?;
    work_where(
        &client,
        "m1",
        &name,
        "m1's image is the template's again",
        |w| {
            ensure!(image(w) == "nginx:1.25", "image {}", image(w));
            ensure!(
                w.annotations()
                    .get(labels::APPLIED_CLUSTER_OVERRIDES)
                    .is_none(),
                "stale override record"
            );
            Ok(())
        },
    )
    .await?;
    fx.stop().await
}

#[tokio::test]
async fn rescheduling_rescales_moves_and_cleans_up_works() -> Result<()> {
    let fx = Fixture::start(&[("m1", json!({})), ("m2", json!({})), ("m3", json!({}))]).await?;
    let client = fx.client();
    let template = create_nginx(&client).await?;
    create_nginx_binding(
        &client,
        &template,
        json!([{"name": "m1", "replicas": 6}, {"name": "m2", "replicas": 3}]),
    )
    .await?;
    let name = nginx_work_name();
    let first = work_where(&client, "m1", &name, "m1 has 6", replicas_are(6)).await?;
    work_where(&client, "m2", &name, "m2 has 3", replicas_are(3)).await?;

    // Rescale.
    set_clusters(
        &client,
        json!([{"name": "m1", "replicas": 4}, {"name": "m2", "replicas": 2}]),
    )
    .await?;
    let rescaled = work_where(&client, "m1", &name, "m1 has 4", replicas_are(4)).await?;
    work_where(&client, "m2", &name, "m2 has 2", replicas_are(2)).await?;
    ensure!(
        rescaled.labels().get(labels::WORK_PERMANENT_ID)
            == first.labels().get(labels::WORK_PERMANENT_ID),
        "a Work keeps its permanent ID"
    );

    // m2 leaves the placement, m3 joins: m2's Work is an orphan.
    set_clusters(
        &client,
        json!([{"name": "m1", "replicas": 4}, {"name": "m3", "replicas": 2}]),
    )
    .await?;
    work_where(&client, "m3", &name, "m3 has 2", replicas_are(2)).await?;
    release_work(&client, "m2", &name).await?;
    ensure!(
        get_work(&client, "m1", &name).await?.is_some(),
        "m1's Work stays"
    );

    // A changed template reaches the Works once the binding says so (the detector bumps
    // spec.resource.resourceVersion on every template change).
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), "default");
    let changed = deployments
        .patch(
            "nginx",
            &PatchParams::default(),
            &Patch::Json::<()>(serde_json::from_value(json!([
                {"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": "nginx:1.27"}
            ]))?),
        )
        .await?;
    let rbs: Api<ResourceBinding> = Api::namespaced(client.clone(), "default");
    rbs.patch(
        "nginx-deployment",
        &PatchParams::default(),
        &Patch::Merge(
            json!({"spec": {"resource": {"resourceVersion": changed.resource_version()}}}),
        ),
    )
    .await?;
    for cluster in ["m1", "m3"] {
        work_where(
            &client,
            cluster,
            &name,
            "the new image reaches the Work",
            |w| {
                ensure!(image(w) == "nginx:1.27", "image {}", image(w));
                Ok(())
            },
        )
        .await?;
    }

    // A Work someone else changed is put back.
    let m1_works: Api<Work> = Api::namespaced(client.clone(), "karmada-es-m1");
    m1_works
        .patch(&name, &PatchParams::default(), &Patch::Merge(json!({"spec": {"workload": {"manifests": [{"apiVersion": "v1", "kind": "ConfigMap"}]}}})))
        .await?;
    work_where(
        &client,
        "m1",
        &name,
        "a tampered Work is restored",
        replicas_are(4),
    )
    .await?;
    fx.stop().await
}

#[tokio::test]
async fn deleting_a_binding_deletes_its_works_and_releases_it() -> Result<()> {
    let fx = Fixture::start(&[("m1", json!({})), ("m2", json!({}))]).await?;
    let client = fx.client();
    let template = create_nginx(&client).await?;
    create_nginx_binding(
        &client,
        &template,
        json!([{"name": "m1", "replicas": 6}, {"name": "m2", "replicas": 3}]),
    )
    .await?;
    let name = nginx_work_name();
    work_where(&client, "m1", &name, "m1's Work exists", replicas_are(6)).await?;
    work_where(&client, "m2", &name, "m2's Work exists", replicas_are(3)).await?;
    let rbs: Api<ResourceBinding> = Api::namespaced(client.clone(), "default");
    eventually("the binding has its finalizer", || async {
        let rb = rbs.get("nginx-deployment").await?;
        ensure!(
            rb.finalizers()
                .iter()
                .any(|f| f == labels::BINDING_CONTROLLER_FINALIZER)
        );
        Ok(())
    })
    .await?;

    rbs.delete("nginx-deployment", &DeleteParams::default())
        .await?;
    eventually("the binding is gone", || async {
        ensure!(
            rbs.get_opt("nginx-deployment").await?.is_none(),
            "binding still there"
        );
        Ok(())
    })
    .await?;
    release_work(&client, "m1", &name).await?;
    release_work(&client, "m2", &name).await?;
    fx.stop().await
}

#[tokio::test]
async fn cluster_scoped_templates_and_suspended_dispatching() -> Result<()> {
    let fx = Fixture::start(&[("m1", json!({}))]).await?;
    let client = fx.client();
    let roles: Api<ClusterRole> = Api::all(client.clone());
    let role = roles
        .create(
            &PostParams::default(),
            &serde_json::from_value(json!({
                "metadata": {"name": "reader", "annotations": {labels::CONFLICT_RESOLUTION: "overwrite"}},
                "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]
            }))?,
        )
        .await?;
    let crbs: Api<ClusterResourceBinding> = Api::all(client.clone());
    crbs.create(
        &PostParams::default(),
        &serde_json::from_value(json!({
            "apiVersion": "work.karmada.io/v1alpha2",
            "kind": "ClusterResourceBinding",
            "metadata": {"name": "reader-clusterrole"},
            "spec": {
                "resource": {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "name": "reader", "uid": role.uid()},
                "clusters": [{"name": "m1"}],
                "suspension": {"dispatching": true},
                "preserveResourcesOnDeletion": true
            }
        }))?,
    )
    .await?;
    let name = names::work_name("", "reader", "ClusterRole");
    let work = work_where(
        &client,
        "m1",
        &name,
        "the ClusterRole's Work exists",
        |_| Ok(()),
    )
    .await?;
    ensure!(work.spec.suspend_dispatching == Some(true));
    ensure!(work.spec.preserve_resources_on_deletion == Some(true));
    ensure!(
        work.annotations()
            .get(labels::CLUSTER_RESOURCE_BINDING_NAME)
            .map(String::as_str)
            == Some("reader-clusterrole")
    );
    ensure!(
        work.annotations()
            .get(labels::CONFLICT_RESOLUTION)
            .map(String::as_str)
            == Some("overwrite")
    );
    ensure!(
        work.labels()
            .contains_key(labels::CLUSTER_RESOURCE_BINDING_PERMANENT_ID)
    );
    let m = manifest(&work);
    ensure!(m["rules"][0]["verbs"][0] == "get");
    ensure!(
        m["metadata"]["labels"]
            .get(labels::CLUSTER_RESOURCE_BINDING_PERMANENT_ID)
            .is_some()
    );

    crbs.patch(
        "reader-clusterrole",
        &PatchParams::default(),
        &Patch::Merge(json!({"spec": {"suspension": null}})),
    )
    .await?;
    work_where(&client, "m1", &name, "dispatching resumes", |w| {
        ensure!(w.spec.suspend_dispatching == Some(false));
        Ok(())
    })
    .await?;
    eventually("the ClusterResourceBinding has its finalizer", || async {
        let crb = crbs.get("reader-clusterrole").await?;
        ensure!(
            crb.finalizers()
                .iter()
                .any(|f| f == labels::CLUSTER_RESOURCE_BINDING_CONTROLLER_FINALIZER)
        );
        Ok(())
    })
    .await?;
    fx.stop().await
}

#[tokio::test]
async fn a_work_waits_for_its_cluster_to_be_registered() -> Result<()> {
    let fx = Fixture::start(&[("m1", json!({}))]).await?;
    let client = fx.client();
    let template = create_nginx(&client).await?;
    create_nginx_binding(
        &client,
        &template,
        json!([{"name": "m1", "replicas": 6}, {"name": "late", "replicas": 3}]),
    )
    .await?;
    let name = nginx_work_name();
    work_where(
        &client,
        "m1",
        &name,
        "the known cluster gets its Work",
        replicas_are(6),
    )
    .await?;
    ensure!(
        get_work(&client, "late", &name).await?.is_none(),
        "a cluster that is not registered has no Work"
    );

    add_cluster(&client, "late", json!({})).await?;
    work_where(
        &client,
        "late",
        &name,
        "the cluster gets its Work once registered",
        replicas_are(3),
    )
    .await?;
    fx.stop().await
}
