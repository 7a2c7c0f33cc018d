//! The namespace controller against a real federation apiserver in this process: namespaces
//! created in the federation get a Work in every member cluster's execution namespace (reserved
//! and opted-out ones excepted), new clusters catch up, deleted namespaces lose their Works. No
//! member clusters run: the Works are what is checked. Every wait is bounded polling.

mod support;

use anyhow::{Context as _, Result, anyhow, ensure};
use flotilla_api::{Cluster, Work, labels, names};
use flotilla_controllers::Context;
use flotilla_controllers::namespace::{self, NamespaceOptions};
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kube::{Client, ResourceExt};
use serde_json::{Value, json};
use support::{Server, eventually};
use tokio_util::sync::CancellationToken;

async fn add_cluster(client: &Client, name: &str) -> Result<()> {
    create_namespace(client, &names::execution_namespace(name), json!({})).await?;
    let clusters: Api<Cluster> = Api::all(client.clone());
    clusters
        .create(
            &PostParams::default(),
            &serde_json::from_value(json!({
                "apiVersion": "cluster.karmada.io/v1alpha1",
                "kind": "Cluster",
                "metadata": {"name": name},
                "spec": {"syncMode": "Push", "apiEndpoint": "https://127.0.0.1:6443"}
            }))?,
        )
        .await?;
    Ok(())
}

async fn create_namespace(client: &Client, name: &str, labels: Value) -> Result<Namespace> {
    let api: Api<Namespace> = Api::all(client.clone());
    Ok(api
        .create(
            &PostParams::default(),
            &serde_json::from_value(json!({"metadata": {"name": name, "labels": labels}}))?,
        )
        .await?)
}

fn work_name(namespace: &str) -> String {
    names::work_name("", namespace, "Namespace")
}

async fn get_work(client: &Client, cluster: &str, namespace: &str) -> Result<Option<Work>> {
    let api: Api<Work> = Api::namespaced(client.clone(), &names::execution_namespace(cluster));
    Ok(api.get_opt(&work_name(namespace)).await?)
}

async fn work_in(client: &Client, cluster: &str, namespace: &str) -> Result<Work> {
    eventually(&format!("{namespace} has a Work in {cluster}"), || async {
        get_work(client, cluster, namespace)
            .await?
            .ok_or_else(|| anyhow!("no Work for {namespace} in {cluster}"))
    })
    .await
}

#[tokio::test]
async fn namespaces_reach_every_cluster() -> Result<()> {
    let server = Server::federation().await?;
    let client = server.client.clone();
    add_cluster(&client, "m1").await?;
    add_cluster(&client, "m2").await?;
    let stop = CancellationToken::new();
    let controller = tokio::spawn(namespace::run(
        Context::new(client.clone(), stop.clone()),
        NamespaceOptions::default(),
    ));

    create_namespace(
        &client,
        "opted-out",
        json!({labels::NAMESPACE_SKIP_AUTO_PROPAGATION: "true"}),
    )
    .await?;
    create_namespace(&client, "kube-extra", json!({})).await?;
    let team = create_namespace(&client, "team-a", json!({"team": "a"})).await?;

    for cluster in ["m1", "m2"] {
        let work = work_in(&client, cluster, "team-a").await?;
        ensure!(
            work.finalizers()
                .iter()
                .any(|f| f == labels::EXECUTION_CONTROLLER_FINALIZER),
            "no execution finalizer"
        );
        ensure!(work.labels().contains_key(labels::WORK_PERMANENT_ID));
        let owner = work
            .owner_references()
            .first()
            .context("the Work has no owner")?;
        ensure!(owner.kind == "Namespace" && owner.name == "team-a");
        ensure!(Some(&owner.uid) == team.metadata.uid.as_ref());
        let manifest = &work.spec.workload.manifests[0];
        ensure!(manifest["apiVersion"] == "v1" && manifest["kind"] == "Namespace");
        ensure!(manifest["metadata"]["name"] == "team-a");
        ensure!(manifest["metadata"]["labels"]["team"] == "a");
        ensure!(manifest["metadata"]["labels"][labels::MANAGED_BY_KARMADA] == "true");
        ensure!(manifest.get("spec").is_none() && manifest.get("status").is_none());
        let annotations = &manifest["metadata"]["annotations"];
        ensure!(
            annotations[labels::WORK_NAMESPACE] == names::execution_namespace(cluster).as_str()
        );
        ensure!(
            annotations[labels::RESOURCE_TEMPLATE_UID] == team.uid().unwrap_or_default().as_str()
        );
    }
    // Reserved, skipped and opted-out namespaces have none (their reconciles ran before
    // team-a's, which was created last).
    for ns in [
        "default",
        "kube-system",
        "kube-extra",
        "opted-out",
        "karmada-es-m1",
    ] {
        ensure!(
            get_work(&client, "m1", ns).await?.is_none(),
            "{ns} was propagated"
        );
    }

    // Labels follow.
    let namespaces: Api<Namespace> = Api::all(client.clone());
    namespaces
        .patch(
            "team-a",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"labels": {"team": "alpha"}}})),
        )
        .await?;
    eventually("the new label reaches the Work", || async {
        let work = get_work(&client, "m2", "team-a")
            .await?
            .context("no Work")?;
        ensure!(work.spec.workload.manifests[0]["metadata"]["labels"]["team"] == "alpha");
        Ok(())
    })
    .await?;

    // A cluster that joins gets the existing namespaces.
    add_cluster(&client, "m3").await?;
    work_in(&client, "m3", "team-a").await?;

    // A deleted namespace takes its Works with it (their finalizer is the execution
    // controller's, which does not run here: strip it once the deletion has started).
    namespaces
        .delete("team-a", &DeleteParams::default())
        .await?;
    for cluster in ["m1", "m2", "m3"] {
        let api: Api<Work> = Api::namespaced(client.clone(), &names::execution_namespace(cluster));
        let name = work_name("team-a");
        eventually("the Work is being deleted", || async {
            let work = api.get_opt(&name).await?;
            ensure!(
                work.is_none_or(|w| w.metadata.deletion_timestamp.is_some()),
                "the Work in {cluster} is not being deleted"
            );
            Ok(())
        })
        .await?;
        match api
            .patch(
                &name,
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
                api.get_opt(&name).await?.is_none(),
                "still there in {cluster}"
            );
            Ok(())
        })
        .await?;
    }

    stop.cancel();
    tokio::time::timeout(support::TIMEOUT, controller)
        .await
        .context("the namespace controller did not stop")???;
    Ok(())
}

#[tokio::test]
async fn cluster_override_policies_apply_to_namespaces() -> Result<()> {
    let server = Server::federation().await?;
    let client = server.client.clone();
    add_cluster(&client, "m1").await?;
    add_cluster(&client, "m2").await?;
    let cops: Api<flotilla_api::ClusterOverridePolicy> = Api::all(client.clone());
    cops.create(
        &PostParams::default(),
        &serde_json::from_value(json!({
            "apiVersion": "policy.karmada.io/v1alpha1",
            "kind": "ClusterOverridePolicy",
            "metadata": {"name": "ns-labels"},
            "spec": {
                "resourceSelectors": [{"apiVersion": "v1", "kind": "Namespace", "name": "team-b"}],
                "overrideRules": [{
                    "targetCluster": {"clusterNames": ["m1"]},
                    "overriders": {"labelsOverrider": [{"operator": "add", "value": {"member": "one"}}]}
                }]
            }
        }))?,
    )
    .await?;
    let stop = CancellationToken::new();
    let controller = tokio::spawn(namespace::run(
        Context::new(client.clone(), stop.clone()),
        NamespaceOptions::default(),
    ));
    create_namespace(&client, "team-b", json!({})).await?;

    let m1 = work_in(&client, "m1", "team-b").await?;
    ensure!(m1.spec.workload.manifests[0]["metadata"]["labels"]["member"] == "one");
    ensure!(
        m1.annotations()
            .contains_key(labels::APPLIED_CLUSTER_OVERRIDES)
    );
    let m2 = work_in(&client, "m2", "team-b").await?;
    ensure!(
        m2.spec.workload.manifests[0]["metadata"]["labels"]
            .get("member")
            .is_none()
    );

    stop.cancel();
    tokio::time::timeout(support::TIMEOUT, controller)
        .await
        .context("the namespace controller did not stop")???;
    Ok(())
}
