//! The execution controller against real API servers started in this process: a federation and
//! one member cluster. Each test creates the Cluster (Ready written through `clusters/status`)
//! and the Works itself, then checks the member objects and the Work's status, events and
//! metrics as a user would. Every wait is bounded polling.

mod support;

use anyhow::{Context as _, Result, anyhow, bail, ensure};
use flotilla_api::work::v1alpha1::WorkStatus;
use flotilla_api::{Cluster, Work, labels};
use flotilla_controllers::Context;
use flotilla_controllers::execution::{self, ExecutionOptions};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Event, Namespace};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::{Client, ResourceExt};
use serde_json::{Value, json};
use support::{Server, eventually};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

const CLUSTER: &str = "member1";
const EXEC_NS: &str = "karmada-es-member1";

/// A federation, one member and the execution controller; all stop when dropped.
struct Fleet {
    fed: Server,
    member: Server,
    ctx: Context,
    stop: CancellationToken,
    controller: JoinHandle<()>,
}

/// Starts the execution controller on `fed`.
fn start_controller(fed: &Server) -> (Context, CancellationToken, JoinHandle<()>) {
    let stop = CancellationToken::new();
    let ctx = Context::new(fed.client.clone(), stop.clone());
    let controller = tokio::spawn({
        let ctx = ctx.clone();
        async move {
            execution::run(ctx, ExecutionOptions::default())
                .await
                .expect("the execution controller runs");
        }
    });
    (ctx, stop, controller)
}

impl Drop for Fleet {
    fn drop(&mut self) {
        self.stop.cancel();
        self.controller.abort();
    }
}

impl Fleet {
    /// A fleet whose Work `nginx` (one Deployment, image nginx:1.25) is applied in the member.
    async fn with_applied_nginx() -> Result<Fleet> {
        let fleet = Fleet::start().await?;
        fleet
            .create_work("nginx", vec![deployment("nginx", "nginx:1.25")], json!({}))
            .await?;
        fleet
            .condition("nginx", "Applied", |c| c.status == "True")
            .await?;
        Ok(fleet)
    }

    async fn start() -> Result<Fleet> {
        let fed = Server::federation().await?;
        let member = Server::member().await?;
        ensure_namespace(&fed.client, EXEC_NS).await?;
        ensure_namespace(&fed.client, "default").await?;
        ensure_namespace(&member.client, "default").await?;

        let clusters: Api<Cluster> = Api::all(fed.client.clone());
        let cluster: Cluster = serde_json::from_value(json!({
            "apiVersion": "cluster.karmada.io/v1alpha1",
            "kind": "Cluster",
            "metadata": {"name": CLUSTER},
            "spec": {"syncMode": "Push", "apiEndpoint": member.endpoint()},
        }))?;
        clusters.create(&PostParams::default(), &cluster).await?;

        let (ctx, stop, controller) = start_controller(&fed);
        let fleet = Fleet {
            fed,
            member,
            ctx,
            stop,
            controller,
        };
        fleet.set_ready(true).await?;
        Ok(fleet)
    }

    /// Stops the controller and waits until it has stopped.
    async fn stop_controller(&mut self) -> Result<()> {
        self.stop.cancel();
        (&mut self.controller)
            .await
            .context("the execution controller panicked")?;
        Ok(())
    }

    /// Starts a fresh controller (no memory of the previous one; new metrics).
    fn restart_controller(&mut self) {
        let (ctx, stop, controller) = start_controller(&self.fed);
        self.ctx = ctx;
        self.stop = stop;
        self.controller = controller;
    }

    fn clusters(&self) -> Api<Cluster> {
        Api::all(self.fed.client.clone())
    }

    async fn set_ready(&self, ready: bool) -> Result<()> {
        let status = if ready { "True" } else { "False" };
        self.clusters()
            .patch_status(
                CLUSTER,
                &PatchParams::default(),
                &Patch::Merge(json!({"status": {"conditions": [{
                    "type": "Ready", "status": status, "reason": "Probe",
                    "message": "set by the test",
                    "lastTransitionTime": "2024-01-02T00:00:00Z",
                }]}})),
            )
            .await?;
        Ok(())
    }

    fn works(&self) -> Api<Work> {
        Api::namespaced(self.fed.client.clone(), EXEC_NS)
    }

    fn member_deployments(&self) -> Api<Deployment> {
        Api::namespaced(self.member.client.clone(), "default")
    }

    async fn create_work(&self, name: &str, manifests: Vec<Value>, spec: Value) -> Result<Work> {
        let mut spec = spec;
        spec["workload"] = json!({"manifests": manifests});
        let work: Work = serde_json::from_value(json!({
            "apiVersion": "work.karmada.io/v1alpha1",
            "kind": "Work",
            "metadata": {
                "name": name,
                "namespace": EXEC_NS,
                "finalizers": [labels::EXECUTION_CONTROLLER_FINALIZER],
            },
            "spec": spec,
        }))?;
        Ok(self.works().create(&PostParams::default(), &work).await?)
    }

    /// Replaces a Work's manifests.
    async fn set_manifests(&self, name: &str, manifests: Vec<Value>) -> Result<()> {
        self.works()
            .patch(
                name,
                &PatchParams::default(),
                &Patch::Merge(json!({"spec": {"workload": {"manifests": manifests}}})),
            )
            .await?;
        Ok(())
    }

    async fn work_status(&self, name: &str) -> Result<WorkStatus> {
        self.works()
            .get(name)
            .await?
            .status
            .ok_or_else(|| anyhow!("Work {name} has no status yet"))
    }

    /// Waits for the Work's `type_` condition and returns it once `check` accepts it.
    async fn condition(
        &self,
        work: &str,
        type_: &str,
        check: impl Fn(&Condition) -> bool,
    ) -> Result<Condition> {
        eventually(
            &format!("Work {work} has the expected {type_} condition"),
            || async {
                let status = self.work_status(work).await?;
                let c = condition(&status, type_)
                    .ok_or_else(|| anyhow!("no {type_} condition in {status:?}"))?;
                ensure!(check(&c), "{type_} is {c:?}");
                Ok(c)
            },
        )
        .await
    }

    async fn member_deployment(&self, name: &str) -> Result<Deployment> {
        self.member_deployments()
            .get_opt(name)
            .await?
            .ok_or_else(|| anyhow!("deployment {name} is not in the member"))
    }

    fn drift_count(&self) -> u64 {
        self.ctx.metrics.drift_count(CLUSTER)
    }
}

async fn ensure_namespace(client: &Client, name: &str) -> Result<()> {
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": name}}))?;
    match Api::<Namespace>::all(client.clone())
        .create(&PostParams::default(), &ns)
        .await
    {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 409 => Ok(()),
        Err(e) => Err(e.into()),
    }
}

fn condition(status: &WorkStatus, type_: &str) -> Option<Condition> {
    status.conditions.iter().find(|c| c.type_ == type_).cloned()
}

/// A Deployment manifest as the binding controller writes it into a Work.
fn deployment(name: &str, image: &str) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": name,
            "namespace": "default",
            "labels": {"app": name, labels::MANAGED_BY_KARMADA: "true"},
            "annotations": {
                labels::WORK_NAMESPACE: EXEC_NS,
                labels::WORK_NAME: name,
                labels::CONFLICT_RESOLUTION: "abort",
            },
        },
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                // The member canonicalises "0.5" to "500m": a difference no apply can remove,
                // which must not count as drift.
                "spec": {"containers": [{"name": "nginx", "image": image,
                    "resources": {"requests": {"cpu": "0.5", "memory": "64Mi"}}}]},
            },
        },
    })
}

fn config_map(name: &str, namespace: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace, "labels": {labels::MANAGED_BY_KARMADA: "true"}},
        "data": {"key": name},
    })
}

fn image(d: &Deployment) -> Option<String> {
    d.spec
        .as_ref()?
        .template
        .spec
        .as_ref()?
        .containers
        .first()?
        .image
        .clone()
}

fn managers(obj: &impl ResourceExt) -> Vec<(String, String)> {
    obj.meta()
        .managed_fields
        .iter()
        .flatten()
        .map(|m| {
            (
                m.manager.clone().unwrap_or_default(),
                m.operation.clone().unwrap_or_default(),
            )
        })
        .collect()
}

fn label<'a>(obj: &'a impl ResourceExt, key: &str) -> Option<&'a str> {
    obj.labels().get(key).map(String::as_str)
}

/// Writes a Deployment status in the member, as its deployment controller would.
async fn write_member_status(fleet: &Fleet, name: &str, ready: i64) -> Result<()> {
    let generation = fleet.member_deployment(name).await?.metadata.generation;
    fleet
        .member_deployments()
        .patch_status(
            name,
            &PatchParams::default(),
            &Patch::Merge(json!({"status": {
                "observedGeneration": generation,
                "replicas": 2,
                "updatedReplicas": 2,
                "readyReplicas": ready,
                "availableReplicas": ready,
            }})),
        )
        .await?;
    Ok(())
}

/// Waits until the Work reflects `ready` ready replicas of its first manifest: proof that the
/// controller has processed every member event up to that status write.
async fn wait_reflected(fleet: &Fleet, work: &str, ready: i64) -> Result<()> {
    eventually("the member status is reflected in the Work", || async {
        let status = fleet.work_status(work).await?;
        // Reflection leaves zero counters out.
        let reflected = status
            .manifest_statuses
            .first()
            .and_then(|s| s.status.as_ref())
            .map(|s| s.get("readyReplicas").and_then(Value::as_i64).unwrap_or(0));
        ensure!(reflected == Some(ready), "reflected {reflected:?}");
        Ok(())
    })
    .await
}

async fn events_about(client: &Client, namespace: &str, uid: &str) -> Result<Vec<Event>> {
    let events: Api<Event> = Api::namespaced(client.clone(), namespace);
    Ok(events
        .list(&ListParams::default())
        .await?
        .items
        .into_iter()
        .filter(|e| e.involved_object.uid.as_deref() == Some(uid))
        .collect())
}

#[tokio::test]
async fn a_work_is_applied_and_updated_in_the_member() -> Result<()> {
    let fleet = Fleet::start().await?;
    fleet
        .create_work("nginx", vec![deployment("nginx", "nginx:1.25")], json!({}))
        .await?;

    let applied = eventually("the deployment reaches the member", || async {
        let d = fleet.member_deployment("nginx").await?;
        ensure!(image(&d).as_deref() == Some("nginx:1.25"));
        Ok(d)
    })
    .await?;
    ensure!(
        managers(&applied).contains(&("flotilla".to_owned(), "Apply".to_owned())),
        "applied with Flotilla's field manager: {:?}",
        managers(&applied)
    );
    ensure!(label(&applied, labels::MANAGED_BY_KARMADA) == Some("true"));
    ensure!(
        applied
            .annotations()
            .get(labels::WORK_NAME)
            .map(String::as_str)
            == Some("nginx")
    );
    let c = fleet
        .condition("nginx", "Applied", |c| c.status == "True")
        .await?;
    ensure!(c.reason == "AppliedSuccessful", "{c:?}");
    ensure!(
        c.message == "Manifest has been successfully applied",
        "{c:?}"
    );
    let d = fleet
        .condition("nginx", "Dispatching", |c| c.status == "True")
        .await?;
    ensure!(d.reason == "Dispatching", "{d:?}");

    // The Work changes: so does the member object, and that is no drift.
    fleet
        .set_manifests("nginx", vec![deployment("nginx", "nginx:1.26")])
        .await?;
    eventually("the member follows the Work", || async {
        let d = fleet.member_deployment("nginx").await?;
        ensure!(
            image(&d).as_deref() == Some("nginx:1.26"),
            "{:?}",
            image(&d)
        );
        Ok(())
    })
    .await?;
    let generation = fleet.works().get("nginx").await?.metadata.generation;
    fleet
        .condition("nginx", "Applied", |c| {
            c.status == "True" && c.observed_generation == generation
        })
        .await?;
    write_member_status(&fleet, "nginx", 1).await?;
    wait_reflected(&fleet, "nginx", 1).await?;
    ensure!(fleet.drift_count() == 0, "an update is not drift");
    ensure!(condition(&fleet.work_status("nginx").await?, "Drifted").is_none());
    Ok(())
}

#[tokio::test]
async fn an_unmanaged_member_object_is_a_conflict_unless_overwrite() -> Result<()> {
    let fleet = Fleet::start().await?;
    let existing: Deployment = serde_json::from_value(json!({
        "metadata": {"name": "nginx", "labels": {"owner": "team-a"}},
        "spec": {
            "selector": {"matchLabels": {"app": "nginx"}},
            "template": {"metadata": {"labels": {"app": "nginx"}},
                "spec": {"containers": [{"name": "nginx", "image": "team-a/nginx"}]}},
        },
    }))?;
    fleet
        .member_deployments()
        .create(&PostParams::default(), &existing)
        .await?;

    fleet
        .create_work("nginx", vec![deployment("nginx", "nginx:1.25")], json!({}))
        .await?;
    let c = fleet
        .condition("nginx", "Applied", |c| c.status == "False")
        .await?;
    ensure!(c.reason == "AppliedFailed", "{c:?}");
    for part in [
        "Deployment default/nginx",
        "cluster member1",
        "not managed by Flotilla",
        "conflictResolution: Overwrite",
    ] {
        ensure!(
            c.message.contains(part),
            "{part:?} missing in {:?}",
            c.message
        );
    }
    let untouched = fleet.member_deployment("nginx").await?;
    ensure!(image(&untouched).as_deref() == Some("team-a/nginx"));
    ensure!(label(&untouched, labels::MANAGED_BY_KARMADA).is_none());
    ensure!(
        fleet
            .ctx
            .metrics
            .encode()
            .contains(r#"flotilla_work_applies_total{cluster="member1",result="conflict"}"#),
        "conflicts are counted"
    );

    // The policy says Overwrite: the object is taken over.
    let mut overwrite = deployment("nginx", "nginx:1.25");
    overwrite["metadata"]["annotations"][labels::CONFLICT_RESOLUTION] = json!("overwrite");
    fleet.set_manifests("nginx", vec![overwrite]).await?;
    eventually("the existing object is taken over", || async {
        let d = fleet.member_deployment("nginx").await?;
        ensure!(
            image(&d).as_deref() == Some("nginx:1.25"),
            "{:?}",
            image(&d)
        );
        ensure!(label(&d, labels::MANAGED_BY_KARMADA) == Some("true"));
        Ok(())
    })
    .await?;
    fleet
        .condition("nginx", "Applied", |c| c.status == "True")
        .await?;
    Ok(())
}

#[tokio::test]
async fn drift_in_the_member_is_restored_and_reported() -> Result<()> {
    let fleet = Fleet::start().await?;
    // The resource template in the federation, whose `kubectl describe` shows the drift.
    let template: Deployment = serde_json::from_value(deployment("nginx", "nginx:1.25"))?;
    let template = Api::<Deployment>::namespaced(fleet.fed.client.clone(), "default")
        .create(&PostParams::default(), &template)
        .await?;
    let template_uid = template.uid().context("template uid")?;
    let mut manifest = deployment("nginx", "nginx:1.25");
    manifest["metadata"]["annotations"][labels::RESOURCE_TEMPLATE_UID] = json!(template_uid);
    let work = fleet
        .create_work("nginx", vec![manifest], json!({}))
        .await?;
    let work_uid = work.uid().context("work uid")?;
    fleet
        .condition("nginx", "Applied", |c| c.status == "True")
        .await?;

    // Someone sets another image in the member (as `kubectl set image` does).
    fleet
        .member_deployments()
        .patch(
            "nginx",
            &PatchParams {
                field_manager: Some("kubectl-set".into()),
                ..Default::default()
            },
            &Patch::Strategic(json!({"spec": {"template": {"spec": {"containers": [
                {"name": "nginx", "image": "nginx:evil"},
            ]}}}})),
        )
        .await?;
    eventually("the image is restored", || async {
        let d = fleet.member_deployment("nginx").await?;
        ensure!(
            image(&d).as_deref() == Some("nginx:1.25"),
            "{:?}",
            image(&d)
        );
        Ok(())
    })
    .await?;
    let drifted = fleet
        .condition("nginx", "Drifted", |c| c.status == "True")
        .await?;
    ensure!(drifted.reason == "DriftCorrected", "{drifted:?}");
    for part in [
        "Deployment default/nginx in cluster member1",
        "(spec.template.spec.containers[0].image)",
        "1 correction so far",
    ] {
        ensure!(
            drifted.message.contains(part),
            "{part:?} missing in {:?}",
            drifted.message
        );
    }
    ensure!(fleet.drift_count() == 1, "count {}", fleet.drift_count());
    let on_work = eventually("an event on the Work", || async {
        let events = events_about(&fleet.fed.client, EXEC_NS, &work_uid).await?;
        events
            .into_iter()
            .find(|e| e.reason.as_deref() == Some("DriftCorrected"))
            .ok_or_else(|| anyhow!("no DriftCorrected event on the Work"))
    })
    .await?;
    ensure!(on_work.type_.as_deref() == Some("Warning"));
    let on_template = eventually("an event on the template", || async {
        let events = events_about(&fleet.fed.client, "default", &template_uid).await?;
        events
            .into_iter()
            .find(|e| e.reason.as_deref() == Some("DriftCorrected"))
            .ok_or_else(|| anyhow!("no DriftCorrected event on the template"))
    })
    .await?;
    let message = on_template.message.unwrap_or_default();
    ensure!(
        message.contains("Deployment default/nginx") && message.contains("member1"),
        "{message}"
    );
    ensure!(on_template.involved_object.kind.as_deref() == Some("Deployment"));

    // Someone deletes it: recreated and reported.
    let before = fleet.member_deployment("nginx").await?.uid();
    fleet
        .member_deployments()
        .delete("nginx", &DeleteParams::default())
        .await?;
    eventually("the deleted object is recreated", || async {
        let d = fleet.member_deployment("nginx").await?;
        ensure!(d.uid() != before, "still the old object");
        Ok(())
    })
    .await?;
    fleet
        .condition("nginx", "Drifted", |c| {
            c.message.contains("was deleted") && c.message.contains("2 corrections so far")
        })
        .await?;
    ensure!(fleet.drift_count() == 2, "count {}", fleet.drift_count());
    Ok(())
}

#[tokio::test]
async fn changes_outside_the_manifest_are_not_drift() -> Result<()> {
    let fleet = Fleet::start().await?;
    let mut manifest = deployment("nginx", "nginx:1.25");
    // An HPA in the member owns the replicas.
    manifest["metadata"]["labels"][labels::RETAIN_REPLICAS] = json!("true");
    fleet
        .create_work("nginx", vec![manifest.clone()], json!({}))
        .await?;
    fleet
        .condition("nginx", "Applied", |c| c.status == "True")
        .await?;

    // Another manager sets fields the manifest does not have, and the HPA scales.
    fleet
        .member_deployments()
        .patch(
            "nginx",
            &PatchParams {
                field_manager: Some("someone-else".into()),
                ..Default::default()
            },
            &Patch::Merge(json!({
                "metadata": {"annotations": {"team": "blue"}},
                "spec": {"minReadySeconds": 5, "replicas": 5},
            })),
        )
        .await?;
    write_member_status(&fleet, "nginx", 2).await?;
    wait_reflected(&fleet, "nginx", 2).await?;
    let d = fleet.member_deployment("nginx").await?;
    let spec = d.spec.clone().context("spec")?;
    ensure!(spec.min_ready_seconds == Some(5), "{spec:?}");
    ensure!(
        spec.replicas == Some(5),
        "the member's replicas stay: {spec:?}"
    );
    ensure!(d.annotations().get("team").map(String::as_str) == Some("blue"));
    ensure!(fleet.drift_count() == 0, "count {}", fleet.drift_count());
    ensure!(condition(&fleet.work_status("nginx").await?, "Drifted").is_none());

    // A template change still reaches the member, keeping the member's replicas.
    manifest["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:1.26");
    fleet.set_manifests("nginx", vec![manifest]).await?;
    eventually("the new image reaches the member", || async {
        let d = fleet.member_deployment("nginx").await?;
        ensure!(image(&d).as_deref() == Some("nginx:1.26"));
        let replicas = d.spec.as_ref().and_then(|s| s.replicas);
        ensure!(replicas == Some(5), "replicas {replicas:?}");
        Ok(())
    })
    .await?;
    ensure!(fleet.drift_count() == 0, "count {}", fleet.drift_count());
    Ok(())
}

#[tokio::test]
async fn deleting_a_work_deletes_its_member_objects() -> Result<()> {
    let fleet = Fleet::start().await?;
    fleet
        .create_work("nginx", vec![deployment("nginx", "nginx:1.25")], json!({}))
        .await?;
    eventually("the deployment reaches the member", || async {
        fleet.member_deployment("nginx").await.map(|_| ())
    })
    .await?;
    fleet
        .works()
        .delete("nginx", &DeleteParams::default())
        .await?;
    eventually("the member object and the Work are gone", || async {
        ensure!(fleet.member_deployments().get_opt("nginx").await?.is_none());
        ensure!(
            fleet.works().get_opt("nginx").await?.is_none(),
            "the Work still exists (finalizer not removed)"
        );
        Ok(())
    })
    .await?;
    Ok(())
}

#[tokio::test]
async fn preserved_resources_stay_when_their_work_goes() -> Result<()> {
    let fleet = Fleet::start().await?;
    fleet
        .create_work(
            "nginx",
            vec![deployment("nginx", "nginx:1.25")],
            json!({"preserveResourcesOnDeletion": true}),
        )
        .await?;
    eventually("the deployment reaches the member", || async {
        fleet.member_deployment("nginx").await.map(|_| ())
    })
    .await?;
    fleet
        .works()
        .delete("nginx", &DeleteParams::default())
        .await?;
    eventually("the Work is gone", || async {
        ensure!(fleet.works().get_opt("nginx").await?.is_none());
        Ok(())
    })
    .await?;
    let kept = fleet.member_deployment("nginx").await?;
    ensure!(image(&kept).as_deref() == Some("nginx:1.25"));
    ensure!(
        label(&kept, labels::MANAGED_BY_KARMADA).is_none(),
        "no longer marked as Flotilla's: {:?}",
        kept.labels()
    );
    ensure!(!kept.annotations().contains_key(labels::WORK_NAME));
    ensure!(
        label(&kept, "app") == Some("nginx"),
        "the object's own labels stay"
    );
    Ok(())
}

#[tokio::test]
async fn manifest_statuses_reflect_the_member_status() -> Result<()> {
    let fleet = Fleet::start().await?;
    fleet
        .create_work("nginx", vec![deployment("nginx", "nginx:1.25")], json!({}))
        .await?;
    eventually("the deployment reaches the member", || async {
        fleet.member_deployment("nginx").await.map(|_| ())
    })
    .await?;
    write_member_status(&fleet, "nginx", 2).await?;
    wait_reflected(&fleet, "nginx", 2).await?;
    let status = fleet.work_status("nginx").await?;
    let [manifest] = status.manifest_statuses.as_slice() else {
        bail!(
            "one manifest status expected: {:?}",
            status.manifest_statuses
        );
    };
    let id = &manifest.identifier;
    ensure!(
        (
            id.ordinal,
            id.group.as_deref(),
            id.version.as_str(),
            id.kind.as_str(),
            id.resource.as_str(),
            id.namespace.as_deref(),
            id.name.as_str()
        ) == (
            0,
            Some("apps"),
            "v1",
            "Deployment",
            "deployments",
            Some("default"),
            "nginx"
        ),
        "{id:?}"
    );
    ensure!(
        manifest.health.map(|h| h.as_str()) == Some("Healthy"),
        "{manifest:?}"
    );
    let reflected = manifest.status.as_ref().context("reflected status")?;
    ensure!(reflected["availableReplicas"] == json!(2), "{reflected}");

    // The member scales down its ready pods: the Work says so.
    write_member_status(&fleet, "nginx", 0).await?;
    wait_reflected(&fleet, "nginx", 0).await?;
    let status = fleet.work_status("nginx").await?;
    ensure!(
        status.manifest_statuses[0].health.map(|h| h.as_str()) == Some("Unhealthy"),
        "{status:?}"
    );
    Ok(())
}

#[tokio::test]
async fn suspended_works_are_not_applied_until_resumed() -> Result<()> {
    let fleet = Fleet::start().await?;
    fleet
        .create_work(
            "nginx",
            vec![deployment("nginx", "nginx:1.25")],
            json!({"suspendDispatching": true}),
        )
        .await?;
    let c = fleet
        .condition("nginx", "Dispatching", |c| c.status == "False")
        .await?;
    ensure!(c.reason == "SuspendDispatching", "{c:?}");
    ensure!(fleet.member_deployments().get_opt("nginx").await?.is_none());
    fleet
        .works()
        .patch(
            "nginx",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"suspendDispatching": false}})),
        )
        .await?;
    eventually("the resumed Work reaches the member", || async {
        fleet.member_deployment("nginx").await.map(|_| ())
    })
    .await?;
    fleet
        .condition("nginx", "Dispatching", |c| c.status == "True")
        .await?;
    Ok(())
}

#[tokio::test]
async fn missing_namespaces_are_created_and_removed_manifests_deleted() -> Result<()> {
    let fleet = Fleet::start().await?;
    fleet
        .create_work(
            "config",
            vec![config_map("a", "prod"), config_map("b", "prod")],
            json!({}),
        )
        .await?;
    let config_maps: Api<ConfigMap> = Api::namespaced(fleet.member.client.clone(), "prod");
    eventually("both config maps reach the member", || async {
        for name in ["a", "b"] {
            config_maps
                .get_opt(name)
                .await?
                .ok_or_else(|| anyhow!("{name} missing"))?;
        }
        Ok(())
    })
    .await?;
    let ns = Api::<Namespace>::all(fleet.member.client.clone())
        .get("prod")
        .await?;
    ensure!(
        label(&ns, labels::MANAGED_BY_KARMADA) == Some("true"),
        "a created namespace is Flotilla's, for the namespace controller to take over"
    );

    fleet
        .set_manifests("config", vec![config_map("a", "prod")])
        .await?;
    eventually("the removed manifest's object is deleted", || async {
        ensure!(config_maps.get_opt("b").await?.is_none(), "b still exists");
        ensure!(config_maps.get_opt("a").await?.is_some(), "a is gone");
        Ok(())
    })
    .await?;
    Ok(())
}

#[tokio::test]
async fn a_removed_managed_label_is_drift() -> Result<()> {
    let fleet = Fleet::with_applied_nginx().await?;
    fleet
        .member_deployments()
        .patch(
            "nginx",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"labels": {labels::MANAGED_BY_KARMADA: null}}})),
        )
        .await?;
    let drifted = fleet
        .condition("nginx", "Drifted", |c| c.status == "True")
        .await?;
    ensure!(
        drifted
            .message
            .contains(r#"metadata.labels["karmada.io/managed"]"#),
        "{}",
        drifted.message
    );
    let d = fleet.member_deployment("nginx").await?;
    ensure!(label(&d, labels::MANAGED_BY_KARMADA) == Some("true"));
    Ok(())
}

#[tokio::test]
async fn drift_while_the_controller_was_down_is_found_after_a_restart() -> Result<()> {
    let mut fleet = Fleet::start().await?;
    fleet
        .create_work("nginx", vec![deployment("nginx", "nginx:1.25")], json!({}))
        .await?;
    fleet
        .condition("nginx", "Applied", |c| c.status == "True")
        .await?;
    write_member_status(&fleet, "nginx", 2).await?;
    wait_reflected(&fleet, "nginx", 2).await?;
    fleet.stop_controller().await?;

    fleet
        .member_deployments()
        .patch(
            "nginx",
            &PatchParams::default(),
            &Patch::Strategic(json!({"spec": {"template": {"spec": {"containers": [
                {"name": "nginx", "image": "nginx:evil"},
            ]}}}})),
        )
        .await?;
    fleet.restart_controller();
    eventually("the image is restored", || async {
        let d = fleet.member_deployment("nginx").await?;
        ensure!(
            image(&d).as_deref() == Some("nginx:1.25"),
            "{:?}",
            image(&d)
        );
        Ok(())
    })
    .await?;
    fleet
        .condition("nginx", "Drifted", |c| {
            c.message.contains("spec.template.spec.containers[0].image")
        })
        .await?;
    ensure!(fleet.drift_count() == 1, "count {}", fleet.drift_count());
    Ok(())
}

#[tokio::test]
async fn a_work_deleted_while_the_member_is_not_ready_is_cleaned_up_when_it_is_back() -> Result<()>
{
    let fleet = Fleet::with_applied_nginx().await?;
    fleet.set_ready(false).await?;
    fleet
        .works()
        .delete("nginx", &DeleteParams::default())
        .await?;
    fleet.set_ready(true).await?;
    eventually("the member object and the Work are gone", || async {
        ensure!(fleet.member_deployments().get_opt("nginx").await?.is_none());
        ensure!(fleet.works().get_opt("nginx").await?.is_none());
        Ok(())
    })
    .await?;
    Ok(())
}

#[tokio::test]
async fn works_of_a_cluster_leaving_while_not_ready_let_go_at_once() -> Result<()> {
    let fleet = Fleet::with_applied_nginx().await?;
    // The member becomes unreachable and its Cluster is being deleted (held by a finalizer,
    // as the cluster controller's would): the Work's finalizer must not wait for the member.
    fleet.member.stop();
    fleet
        .clusters()
        .patch(
            CLUSTER,
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"finalizers": ["flotilla.test/hold"]}})),
        )
        .await?;
    fleet.set_ready(false).await?;
    fleet
        .clusters()
        .delete(CLUSTER, &DeleteParams::default())
        .await?;
    fleet
        .works()
        .delete("nginx", &DeleteParams::default())
        .await?;
    eventually("the Work is gone", || async {
        ensure!(fleet.works().get_opt("nginx").await?.is_none());
        Ok(())
    })
    .await?;
    fleet
        .clusters()
        .patch(
            CLUSTER,
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"finalizers": null}})),
        )
        .await?;
    Ok(())
}
