//! End-to-end: the binding status controller against a real federation apiserver started
//! in-process. The tests play the scheduler and the execution controller themselves — they write
//! the binding's placement and the Works' statuses as those would — and check what users see:
//! the binding's `aggregatedStatus` and `FullyApplied` condition, and the Deployment template's
//! `.status`. Every wait is bounded polling.

mod support;

use anyhow::{Context as _, Result, anyhow, ensure};
use flotilla_api::work::v1alpha2::{
    CONDITION_FULLY_APPLIED, REASON_FULLY_APPLIED_FAILED, REASON_FULLY_APPLIED_SUCCESS,
    ResourceHealth,
};
use flotilla_api::{ClusterResourceBinding, ResourceBinding, Work, labels, names};
use flotilla_controllers::Context;
use flotilla_controllers::interpreter::{health, reflect_status};
use flotilla_controllers::status::{self, StatusOptions};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::{Client, ResourceExt};
use serde_json::{Value, json};
use support::{Server, eventually};
use tokio_util::sync::CancellationToken;

const SCHEDULED_TIME: &str = "2024-05-01T10:00:00Z";

/// The federation with the status controller running; stops when dropped.
struct Fixture {
    server: Server,
    stop: CancellationToken,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

impl Fixture {
    async fn start() -> Result<Fixture> {
        let server = Server::federation().await?;
        for cluster in ["m1", "m2"] {
            create_namespace(&server.client, &names::execution_namespace(cluster)).await?;
        }
        let stop = CancellationToken::new();
        let ctx = Context::new(server.client.clone(), stop.clone());
        let mut opts = StatusOptions::default();
        opts.queue.workers = 4;
        tokio::spawn(async move {
            if let Err(err) = status::run(ctx, opts).await {
                panic!("status controller failed: {err}");
            }
        });
        Ok(Fixture { server, stop })
    }

    fn client(&self) -> Client {
        self.server.client.clone()
    }
}

async fn create_namespace(client: &Client, name: &str) -> Result<()> {
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": name}}))?;
    Api::<Namespace>::all(client.clone())
        .create(&PostParams::default(), &ns)
        .await
        .with_context(|| format!("creating namespace {name}"))?;
    Ok(())
}

fn params() -> PatchParams {
    PatchParams {
        field_manager: Some("test".to_owned()),
        ..Default::default()
    }
}

async fn create_deployment(client: &Client, replicas: i32) -> Result<Deployment> {
    let deployment: Deployment = serde_json::from_value(json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.25"}]},
            },
        },
    }))?;
    Ok(Api::<Deployment>::namespaced(client.clone(), "default")
        .create(&PostParams::default(), &deployment)
        .await?)
}

/// A ResourceBinding for the Deployment as the detector and the scheduler leave it: the
/// permanent id, the resource reference, the placement, and the scheduler's status.
async fn create_binding(client: &Client, template: &Deployment, id: &str) -> Result<()> {
    let api = Api::<ResourceBinding>::namespaced(client.clone(), "default");
    let binding: ResourceBinding = serde_json::from_value(json!({
        "apiVersion": "work.karmada.io/v1alpha2",
        "kind": "ResourceBinding",
        "metadata": {
            "name": "web-deployment",
            "namespace": "default",
            "labels": {labels::RESOURCE_BINDING_PERMANENT_ID: id},
        },
        "spec": {
            "resource": {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "namespace": "default",
                "name": "web",
                "uid": template.uid(),
                "resourceVersion": template.resource_version(),
            },
            "replicas": 9,
            "clusters": [{"name": "m1", "replicas": 6}, {"name": "m2", "replicas": 3}],
        },
    }))?;
    api.create(&PostParams::default(), &binding).await?;
    api.patch_status(
        "web-deployment",
        &params(),
        &Patch::Merge(json!({"status": {
            "schedulerObservedGeneration": 1,
            "lastScheduledTime": SCHEDULED_TIME,
            "conditions": [{
                "type": "Scheduled", "status": "True", "reason": "Success",
                "message": "Binding has been scheduled successfully.",
                "lastTransitionTime": SCHEDULED_TIME,
            }],
        }})),
    )
    .await?;
    Ok(())
}

/// The Deployment as the binding controller puts it in a cluster's Work.
fn manifest(replicas: i64, template_generation: i64) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web",
            "namespace": "default",
            "annotations": {
                labels::RESOURCE_TEMPLATE_GENERATION: template_generation.to_string(),
            },
        },
        "spec": {"replicas": replicas},
    })
}

async fn create_work(client: &Client, cluster: &str, id: &str, replicas: i64) -> Result<()> {
    let namespace = names::execution_namespace(cluster);
    let work: Work = serde_json::from_value(json!({
        "apiVersion": "work.karmada.io/v1alpha1",
        "kind": "Work",
        "metadata": {
            "name": names::work_name("default", "web", "Deployment"),
            "namespace": namespace,
            "labels": {labels::RESOURCE_BINDING_PERMANENT_ID: id},
            "annotations": {
                labels::RESOURCE_BINDING_NAMESPACE: "default",
                labels::RESOURCE_BINDING_NAME: "web-deployment",
            },
        },
        "spec": {"workload": {"manifests": [manifest(replicas, 1)]}},
    }))?;
    Api::<Work>::namespaced(client.clone(), &namespace)
        .create(&PostParams::default(), &work)
        .await?;
    Ok(())
}

/// The member's Deployment after its controller acted on it: `ready` of `replicas` ready, built
/// from template generation `template_generation`.
fn member_deployment(replicas: i64, ready: i64, template_generation: i64) -> Value {
    let mut object = manifest(replicas, template_generation);
    // The member's own generation differs from the template's: it is counted in the member.
    object["metadata"]["generation"] = json!(template_generation + 4);
    object["status"] = json!({
        "observedGeneration": template_generation + 4,
        "replicas": replicas,
        "updatedReplicas": replicas,
        "readyReplicas": ready,
        "availableReplicas": ready,
        "unavailableReplicas": replicas - ready,
    });
    object
}

/// Writes a Work's status as the execution controller does: the Applied condition, a Drifted
/// condition of another helper (ignored), and the member object's reflected status and health.
async fn report(
    client: &Client,
    cluster: &str,
    member: Option<&Value>,
    error: Option<&str>,
) -> Result<()> {
    let namespace = names::execution_namespace(cluster);
    let applied = match error {
        None => json!({"type": "Applied", "status": "True", "reason": "AppliedSuccessful",
                       "message": "Manifest has been successfully applied",
                       "lastTransitionTime": SCHEDULED_TIME}),
        Some(message) => json!({"type": "Applied", "status": "False", "reason": "AppliedFailed",
                                "message": message, "lastTransitionTime": SCHEDULED_TIME}),
    };
    let drifted = json!({"type": "Drifted", "status": "False", "reason": "NoDrift",
                         "message": "", "lastTransitionTime": SCHEDULED_TIME});
    let manifest_statuses: Vec<Value> = member
        .map(|member| {
            json!({
                "identifier": {"ordinal": 0, "group": "apps", "version": "v1", "kind": "Deployment",
                               "resource": "deployments", "namespace": "default", "name": "web"},
                "status": reflect_status(member),
                "health": health(member),
            })
        })
        .into_iter()
        .collect();
    Api::<Work>::namespaced(client.clone(), &namespace)
        .patch_status(
            &names::work_name("default", "web", "Deployment"),
            &params(),
            &Patch::Merge(json!({"status": {
                "conditions": [applied, drifted],
                "manifestStatuses": manifest_statuses,
            }})),
        )
        .await?;
    Ok(())
}

async fn binding(client: &Client) -> Result<ResourceBinding> {
    Ok(
        Api::<ResourceBinding>::namespaced(client.clone(), "default")
            .get("web-deployment")
            .await?,
    )
}

async fn deployment_status(client: &Client) -> Result<Value> {
    let deployment = Api::<Deployment>::namespaced(client.clone(), "default")
        .get("web")
        .await?;
    Ok(serde_json::to_value(deployment.status)?)
}

fn fully_applied(binding: &ResourceBinding) -> Option<(String, String, String)> {
    let condition = binding
        .status
        .as_ref()?
        .conditions
        .iter()
        .find(|c| c.type_ == CONDITION_FULLY_APPLIED)?;
    Some((
        condition.status.clone(),
        condition.reason.clone(),
        condition.message.clone(),
    ))
}

fn expect_counts(status: &Value, want: &[(&str, i64)]) -> Result<()> {
    for (field, value) in want {
        let got = status.get(*field).and_then(Value::as_i64).unwrap_or(0);
        ensure!(
            got == *value,
            "{field} is {got}, want {value}; status {status}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn member_statuses_flow_into_the_binding_and_the_template() -> Result<()> {
    let fx = Fixture::start().await?;
    let client = fx.client();
    let template = create_deployment(&client, 9).await?;
    create_binding(&client, &template, "id-web").await?;
    create_work(&client, "m1", "id-web", 6).await?;
    create_work(&client, "m2", "id-web", 3).await?;
    report(&client, "m1", Some(&member_deployment(6, 6, 1)), None).await?;
    report(&client, "m2", Some(&member_deployment(3, 2, 1)), None).await?;

    // The binding: one item per cluster with the reflected status, and FullyApplied.
    let rb = eventually("the binding is fully applied", || async {
        let rb = binding(&client).await?;
        let (status, reason, message) =
            fully_applied(&rb).ok_or_else(|| anyhow!("no FullyApplied"))?;
        ensure!(status == "True", "FullyApplied is {status}: {message}");
        ensure!(reason == REASON_FULLY_APPLIED_SUCCESS);
        ensure!(message == "All works have been successfully applied");
        let items = &rb.status.as_ref().unwrap().aggregated_status;
        ensure!(
            items.iter().all(|i| i.status.is_some()),
            "statuses not aggregated yet: {items:?}"
        );
        Ok(rb)
    })
    .await?;
    let status = rb.status.as_ref().unwrap();
    let items = &status.aggregated_status;
    let clusters: Vec<&str> = items.iter().map(|i| i.cluster_name.as_str()).collect();
    assert_eq!(clusters, ["m1", "m2"]);
    assert!(items.iter().all(|i| i.applied == Some(true)));
    assert_eq!(
        items[0].status,
        reflect_status(&member_deployment(6, 6, 1)),
        "m1's reflected status, as the Work has it"
    );
    let healths: Vec<Option<ResourceHealth>> = items.iter().map(|i| i.health).collect();
    assert_eq!(
        healths,
        [
            Some(ResourceHealth::Healthy),
            Some(ResourceHealth::Unhealthy)
        ],
        "m2 has an unavailable replica"
    );
    // The scheduler's fields are untouched.
    assert_eq!(status.scheduler_observed_generation, Some(1));
    assert!(status.last_scheduled_time.is_some());
    assert!(
        status
            .conditions
            .iter()
            .any(|c| c.type_ == "Scheduled" && c.status == "True"),
        "Scheduled condition kept: {:?}",
        status.conditions
    );

    // The template: sums, and the generation every member has caught up with.
    eventually(
        "the Deployment's status is the sum of the members'",
        || async {
            let status = deployment_status(&client).await?;
            expect_counts(
                &status,
                &[
                    ("replicas", 9),
                    ("updatedReplicas", 9),
                    ("readyReplicas", 8),
                    ("availableReplicas", 8),
                    ("unavailableReplicas", 1),
                    ("observedGeneration", 1),
                ],
            )
        },
    )
    .await?;

    // A later report flows through too.
    report(&client, "m2", Some(&member_deployment(3, 3, 1)), None).await?;
    eventually("m2's new readiness reaches the template", || async {
        expect_counts(
            &deployment_status(&client).await?,
            &[("readyReplicas", 9), ("unavailableReplicas", 0)],
        )
    })
    .await?;
    Ok(())
}

#[tokio::test]
async fn a_failed_work_makes_the_binding_not_fully_applied() -> Result<()> {
    let fx = Fixture::start().await?;
    let client = fx.client();
    let template = create_deployment(&client, 9).await?;
    create_binding(&client, &template, "id-web").await?;
    create_work(&client, "m1", "id-web", 6).await?;
    create_work(&client, "m2", "id-web", 3).await?;
    report(&client, "m1", Some(&member_deployment(6, 6, 1)), None).await?;
    report(&client, "m2", Some(&member_deployment(3, 3, 1)), None).await?;
    eventually("the binding is fully applied", || async {
        let rb = binding(&client).await?;
        ensure!(fully_applied(&rb).is_some_and(|(s, _, _)| s == "True"));
        Ok(())
    })
    .await?;

    let denied = "admission webhook \"quota\" denied the request: exceeded quota";
    report(&client, "m2", None, Some(denied)).await?;
    let rb = eventually("the binding is no longer fully applied", || async {
        let rb = binding(&client).await?;
        let (status, reason, message) =
            fully_applied(&rb).ok_or_else(|| anyhow!("no FullyApplied"))?;
        ensure!(status == "False", "FullyApplied is {status}: {message}");
        ensure!(reason == REASON_FULLY_APPLIED_FAILED);
        Ok(rb)
    })
    .await?;
    let (_, _, message) = fully_applied(&rb).unwrap();
    assert!(
        message.contains("m2"),
        "names the failed cluster: {message}"
    );
    assert!(
        !message.contains("m1"),
        "names only the failed cluster: {message}"
    );
    let items = &rb.status.as_ref().unwrap().aggregated_status;
    let m2 = items.iter().find(|i| i.cluster_name == "m2").unwrap();
    assert_eq!(m2.applied, Some(false));
    assert_eq!(m2.applied_message.as_deref(), Some(denied));
    assert!(m2.status.is_none());

    // Only m1's replicas are reported now.
    eventually("the Deployment counts only m1", || async {
        expect_counts(
            &deployment_status(&client).await?,
            &[
                ("replicas", 6),
                ("readyReplicas", 6),
                ("observedGeneration", 1),
            ],
        )
    })
    .await?;

    // A target cluster without any Work is not applied either.
    Api::<ResourceBinding>::namespaced(client.clone(), "default")
        .patch(
            "web-deployment",
            &params(),
            &Patch::Merge(json!({"spec": {"clusters": [
                {"name": "m1", "replicas": 3}, {"name": "m2", "replicas": 3}, {"name": "m3", "replicas": 3},
            ]}})),
        )
        .await?;
    report(&client, "m2", Some(&member_deployment(3, 3, 1)), None).await?;
    eventually("m3 is named as not applied", || async {
        let rb = binding(&client).await?;
        let (status, _, message) = fully_applied(&rb).ok_or_else(|| anyhow!("no FullyApplied"))?;
        ensure!(
            status == "False" && message.contains("m3") && !message.contains("m2"),
            "{message}"
        );
        let items = &rb.status.as_ref().unwrap().aggregated_status;
        ensure!(items.len() == 3, "{items:?}");
        Ok(())
    })
    .await?;
    Ok(())
}

#[tokio::test]
async fn observed_generation_waits_for_every_member() -> Result<()> {
    let fx = Fixture::start().await?;
    let client = fx.client();
    let template = create_deployment(&client, 9).await?;
    create_binding(&client, &template, "id-web").await?;
    create_work(&client, "m1", "id-web", 6).await?;
    create_work(&client, "m2", "id-web", 3).await?;
    report(&client, "m1", Some(&member_deployment(6, 6, 1)), None).await?;
    report(&client, "m2", Some(&member_deployment(3, 3, 1)), None).await?;
    eventually("observedGeneration 1", || async {
        expect_counts(
            &deployment_status(&client).await?,
            &[("replicas", 9), ("observedGeneration", 1)],
        )
    })
    .await?;

    // The user changes the template: generation 2. The detector records the new version in the
    // binding.
    let deployments = Api::<Deployment>::namespaced(client.clone(), "default");
    let updated = deployments
        .patch(
            "web",
            &params(),
            &Patch::Merge(json!({"spec": {"template": {"spec": {"containers": [
                {"name": "web", "image": "nginx:1.26"},
            ]}}}})),
        )
        .await?;
    assert_eq!(updated.metadata.generation, Some(2));
    Api::<ResourceBinding>::namespaced(client.clone(), "default")
        .patch(
            "web-deployment",
            &params(),
            &Patch::Merge(
                json!({"spec": {"resource": {"resourceVersion": updated.resource_version()}}}),
            ),
        )
        .await?;

    // m1 rolls out generation 2 (and scales to 7 to make its report visible); m2 is still on 1.
    report(&client, "m1", Some(&member_deployment(7, 7, 2)), None).await?;
    eventually("m1's new status reaches the template", || async {
        expect_counts(&deployment_status(&client).await?, &[("replicas", 10)])
    })
    .await?;
    let status = deployment_status(&client).await?;
    expect_counts(&status, &[("observedGeneration", 1)])
        .context("observedGeneration must not advance while m2 is on the old template")?;

    // m2 catches up.
    report(&client, "m2", Some(&member_deployment(3, 3, 2)), None).await?;
    eventually(
        "observedGeneration 2 once every member caught up",
        || async {
            expect_counts(
                &deployment_status(&client).await?,
                &[("replicas", 10), ("observedGeneration", 2)],
            )
        },
    )
    .await?;
    Ok(())
}

#[tokio::test]
async fn cluster_resource_bindings_are_aggregated_too() -> Result<()> {
    let fx = Fixture::start().await?;
    let client = fx.client();
    let role = json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "reader"},
        "rules": [],
    });
    let roles = Api::<k8s_openapi::api::rbac::v1::ClusterRole>::all(client.clone());
    let role = roles
        .create(&PostParams::default(), &serde_json::from_value(role)?)
        .await?;
    let crb: ClusterResourceBinding = serde_json::from_value(json!({
        "apiVersion": "work.karmada.io/v1alpha2",
        "kind": "ClusterResourceBinding",
        "metadata": {
            "name": "reader-clusterrole",
            "labels": {labels::CLUSTER_RESOURCE_BINDING_PERMANENT_ID: "id-reader"},
        },
        "spec": {
            "resource": {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                         "name": "reader", "uid": role.uid()},
            "clusters": [{"name": "m1"}],
        },
    }))?;
    let crbs = Api::<ClusterResourceBinding>::all(client.clone());
    crbs.create(&PostParams::default(), &crb).await?;
    // The Work carries only the permanent-id label.
    let namespace = names::execution_namespace("m1");
    let work: Work = serde_json::from_value(json!({
        "apiVersion": "work.karmada.io/v1alpha1",
        "kind": "Work",
        "metadata": {
            "name": "reader-clusterrole",
            "namespace": namespace,
            "labels": {labels::CLUSTER_RESOURCE_BINDING_PERMANENT_ID: "id-reader"},
        },
        "spec": {"workload": {"manifests": [{"apiVersion": "rbac.authorization.k8s.io/v1",
                                             "kind": "ClusterRole", "metadata": {"name": "reader"}}]}},
    }))?;
    let works = Api::<Work>::namespaced(client.clone(), &namespace);
    works.create(&PostParams::default(), &work).await?;

    eventually("the ClusterResourceBinding waits for its Work", || async {
        let crb = crbs.get("reader-clusterrole").await?;
        let condition = crb
            .status
            .iter()
            .flat_map(|s| s.conditions.iter())
            .find(|c| c.type_ == CONDITION_FULLY_APPLIED)
            .ok_or_else(|| anyhow!("no FullyApplied"))?;
        ensure!(condition.status == "False" && condition.message.contains("m1"));
        Ok(())
    })
    .await?;

    works
        .patch_status(
            "reader-clusterrole",
            &params(),
            &Patch::Merge(json!({"status": {"conditions": [{
                "type": "Applied", "status": "True", "reason": "AppliedSuccessful", "message": "",
                "lastTransitionTime": SCHEDULED_TIME,
            }]}})),
        )
        .await?;
    eventually("the ClusterResourceBinding is fully applied", || async {
        let crb = crbs.get("reader-clusterrole").await?;
        let status = crb.status.ok_or_else(|| anyhow!("no status"))?;
        let condition = status
            .conditions
            .iter()
            .find(|c| c.type_ == CONDITION_FULLY_APPLIED)
            .ok_or_else(|| anyhow!("no FullyApplied"))?;
        ensure!(condition.status == "True", "{condition:?}");
        ensure!(status.aggregated_status.len() == 1);
        ensure!(status.aggregated_status[0].applied == Some(true));
        Ok(())
    })
    .await?;
    Ok(())
}
