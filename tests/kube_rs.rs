//! kube-rs against the real `flotilla apiserver`: the typed client, watcher, reflector,
//! controller + finalizer and event recorder must behave exactly as they do against
//! kube-apiserver (see the kubectl/kube-rs contract, section 5).
//!
//! Every test starts its own server (embedded store, compaction and bookmarks every second) and
//! is bounded by a timeout, so a hang fails the test instead of blocking CI.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, anyhow, bail, ensure};
use futures::{StreamExt, TryStreamExt};
use harness::{AbortOnDrop, Server, eventually, expect_status};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Event as CoreEvent};
use k8s_openapi::api::events::v1::Event as EventsEvent;
use kube::api::{
    Api, DeleteParams, ListParams, Patch, PatchParams, PostParams, WatchEvent, WatchParams,
};
use kube::runtime::controller::{Action, Controller, Error as ControllerError};
use kube::runtime::events::{Event as RecordedEvent, EventType, Recorder, Reporter};
use kube::runtime::finalizer::{self, finalizer};
use kube::runtime::reflector;
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, Resource, ResourceExt};
use serde_json::json;

/// A ConfigMap in the kubeconfig's namespace with these labels and data.
fn configmap(name: &str, labels: &[(&str, &str)], data: &[(&str, &str)]) -> ConfigMap {
    serde_json::from_value(json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": name,
            "labels": map(labels),
        },
        "data": map(data),
    }))
    .expect("a valid ConfigMap")
}

/// `data` as a map that compares and prints well.
fn data_of(cm: &ConfigMap) -> BTreeMap<String, String> {
    cm.data.clone().unwrap_or_default()
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn pairs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

fn names<K: Resource>(items: &[K]) -> Vec<String> {
    let mut names: Vec<String> = items
        .iter()
        .map(|o| o.meta().name.clone().unwrap_or_default())
        .collect();
    names.sort();
    names
}

fn json_patch(ops: serde_json::Value) -> Patch<()> {
    Patch::Json(serde_json::from_value(ops).expect("a valid JSON patch"))
}

// ---------------------------------------------------------------------------------------------
// 1. Api CRUD
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn api_crud_on_configmaps() {
    let server = Server::start().await;
    let client = server.client().await;
    server
        .check(async {
            let cms: Api<ConfigMap> = Api::default_namespaced(client.clone());
            let pp = PostParams::default();

            let created = cms
                .create(
                    &pp,
                    &configmap("kcm", &[("app", "web")], &[("a", "1"), ("b", "2")]),
                )
                .await?;
            ensure!(
                created.metadata.uid.is_some(),
                "create returned no uid: {created:?}"
            );
            ensure!(
                created.resource_version().is_some_and(|rv| !rv.is_empty()),
                "create returned no resourceVersion"
            );
            ensure!(
                created.metadata.creation_timestamp.is_some(),
                "create returned no creationTimestamp"
            );
            ensure!(
                created.namespace().as_deref() == Some("default"),
                "created in {:?}",
                created.namespace()
            );
            expect_status(
                cms.create(&pp, &configmap("kcm", &[], &[])).await,
                409,
                "AlreadyExists",
                "POST of an existing name",
            )?;
            cms.create(&pp, &configmap("other", &[("app", "db")], &[("x", "y")]))
                .await?;

            let got = cms.get("kcm").await?;
            ensure!(
                data_of(&got) == map(&[("a", "1"), ("b", "2")]),
                "get returned {:?}",
                got.data
            );
            ensure!(
                got.resource_version() == created.resource_version(),
                "get changed the resourceVersion"
            );

            // Label selectors, equality- and set-based.
            for (selector, want) in [
                ("app=web", vec!["kcm"]),
                ("app!=web", vec!["other"]),
                ("app in (web,db)", vec!["kcm", "other"]),
                ("app", vec!["kcm", "other"]),
                ("!app", vec![]),
            ] {
                let list = cms.list(&ListParams::default().labels(selector)).await?;
                ensure!(
                    names(&list.items) == want,
                    "list labelSelector={selector:?}: got {:?}",
                    names(&list.items)
                );
                ensure!(
                    list.metadata
                        .resource_version
                        .as_deref()
                        .is_some_and(|rv| !rv.is_empty()),
                    "list labelSelector={selector:?} has no metadata.resourceVersion"
                );
            }

            // Merge patch: null removes a key.
            let merged = cms
                .patch(
                    "kcm",
                    &PatchParams::default(),
                    &Patch::Merge(json!({"data": {"a": "10", "b": null}})),
                )
                .await?;
            ensure!(
                data_of(&merged) == map(&[("a", "10")]),
                "merge patch gave {:?}",
                merged.data
            );
            ensure!(
                merged.resource_version() != got.resource_version(),
                "merge patch kept the resourceVersion"
            );

            // Replace with the stale resourceVersion from before the patch: optimistic concurrency.
            let mut stale = got.clone();
            stale.data = Some(map(&[("stale", "write")]));
            expect_status(
                cms.replace("kcm", &pp, &stale).await,
                409,
                "Conflict",
                "PUT with a stale resourceVersion",
            )?;
            let mut fresh = merged.clone();
            fresh
                .data
                .get_or_insert_default()
                .insert("c".into(), "3".into());
            let replaced = cms.replace("kcm", &pp, &fresh).await?;
            ensure!(
                data_of(&replaced) == map(&[("a", "10"), ("c", "3")]),
                "replace gave {:?}",
                replaced.data
            );

            // JSON patch: a failing `test` op rejects the whole patch with 422 and changes nothing.
            expect_status(
                cms.patch(
                    "kcm",
                    &PatchParams::default(),
                    &json_patch(json!([
                        {"op": "test", "path": "/data/a", "value": "not-10"},
                        {"op": "replace", "path": "/data/a", "value": "boom"},
                    ])),
                )
                .await,
                422,
                "Invalid",
                "JSON patch whose test op fails",
            )?;
            ensure!(
                data_of(&cms.get("kcm").await?) == data_of(&replaced),
                "a failed JSON patch changed the object"
            );
            let jp = cms
                .patch(
                    "kcm",
                    &PatchParams::default(),
                    &json_patch(json!([
                        {"op": "test", "path": "/data/a", "value": "10"},
                        {"op": "replace", "path": "/data/a", "value": "11"},
                        {"op": "add", "path": "/metadata/labels/tier", "value": "fe"},
                    ])),
                )
                .await?;
            ensure!(
                data_of(&jp) == map(&[("a", "11"), ("c", "3")]),
                "JSON patch gave {:?}",
                jp.data
            );
            ensure!(
                jp.labels().get("tier").map(String::as_str) == Some("fe"),
                "JSON patch lost the label add"
            );

            // Strategic merge patch on a map field merges keys.
            let smp = cms
                .patch(
                    "kcm",
                    &PatchParams::default(),
                    &Patch::Strategic(json!({"data": {"s": "1"}})),
                )
                .await?;
            ensure!(
                data_of(&smp) == map(&[("a", "11"), ("c", "3"), ("s", "1")]),
                "strategic patch gave {:?}",
                smp.data
            );

            // Server-side apply: the manager's fields are merged in, other managers' fields stay,
            // and a field the manager stops applying is removed.
            let ssa = PatchParams::apply("example").force();
            let applied = cms
                .patch(
                    "kcm",
                    &ssa,
                    &Patch::Apply(json!({
                        "apiVersion": "v1", "kind": "ConfigMap",
                        "metadata": {"name": "kcm"},
                        "data": {"owned": "yes", "a": "applied"},
                    })),
                )
                .await?;
            ensure!(
                data_of(&applied)
                    == map(&[("a", "applied"), ("c", "3"), ("owned", "yes"), ("s", "1")]),
                "apply gave {:?}",
                applied.data
            );
            ensure!(
                applied
                    .metadata
                    .managed_fields
                    .iter()
                    .flatten()
                    .any(|m| m.manager.as_deref() == Some("example")
                        && m.operation.as_deref() == Some("Apply")),
                "no managedFields entry for manager example/Apply: {:?}",
                applied.metadata.managed_fields
            );
            let reapplied = cms
                .patch(
                    "kcm",
                    &ssa,
                    &Patch::Apply(json!({
                        "apiVersion": "v1", "kind": "ConfigMap",
                        "metadata": {"name": "kcm"},
                        "data": {"a": "applied"},
                    })),
                )
                .await?;
            ensure!(
                data_of(&reapplied) == map(&[("a", "applied"), ("c", "3"), ("s", "1")]),
                "re-apply without `owned` gave {:?}; a field the manager stops applying goes",
                reapplied.data
            );
            // Apply to an absent object creates it.
            let born = cms
                .patch(
                    "applied",
                    &ssa,
                    &Patch::Apply(json!({
                        "apiVersion": "v1", "kind": "ConfigMap",
                        "metadata": {"name": "applied", "labels": {"app": "web"}},
                        "data": {"k": "v"},
                    })),
                )
                .await?;
            ensure!(
                data_of(&born) == map(&[("k", "v")]),
                "apply-create gave {:?}",
                born.data
            );

            // Metadata-only reads (Accept: ...;as=PartialObjectMetadata[List];g=meta.k8s.io;v=v1).
            let meta = cms.get_metadata("other").await?;
            ensure!(
                meta.metadata.name.as_deref() == Some("other"),
                "get_metadata name {:?}",
                meta.metadata.name
            );
            ensure!(
                meta.metadata.labels == Some(map(&[("app", "db")])),
                "get_metadata labels {:?}",
                meta.metadata.labels
            );
            ensure!(
                meta.types.as_ref().is_some_and(
                    |t| t.kind == "PartialObjectMetadata" && t.api_version == "meta.k8s.io/v1"
                ),
                "get_metadata types {:?}",
                meta.types
            );
            let metas = cms
                .list_metadata(&ListParams::default().labels("app=web"))
                .await?;
            let mut seen: Vec<(String, String)> = metas
                .items
                .iter()
                .map(|m| {
                    let app = m
                        .metadata
                        .labels
                        .as_ref()
                        .and_then(|l| l.get("app").cloned());
                    (
                        m.metadata.name.clone().unwrap_or_default(),
                        app.unwrap_or_default(),
                    )
                })
                .collect();
            seen.sort();
            ensure!(
                seen == pairs(&[("applied", "web"), ("kcm", "web")]),
                "list_metadata gave {seen:?}"
            );
            ensure!(
                metas.types.kind == "PartialObjectMetadataList",
                "list_metadata kind {:?}",
                metas.types.kind
            );

            // Delete, then the object is gone.
            cms.delete("kcm", &DeleteParams::default()).await?;
            expect_status(cms.get("kcm").await, 404, "NotFound", "GET after DELETE")?;
            expect_status(
                cms.delete("kcm", &DeleteParams::default()).await,
                404,
                "NotFound",
                "DELETE of a missing object",
            )?;
            expect_status(
                cms.get("never-was").await,
                404,
                "NotFound",
                "GET of a missing object",
            )?;
            ensure!(
                cms.get_opt("never-was").await?.is_none(),
                "get_opt of a missing object"
            );
            Ok(())
        })
        .await;
}

fn deployment(name: &str, app: &str, replicas: i32) -> Deployment {
    serde_json::from_value(json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": {"app": app}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": app}},
            "template": {
                "metadata": {"labels": {"app": app}},
                "spec": {"containers": [
                    {"name": "app", "image": "nginx:1.25"},
                    {"name": "sidecar", "image": "busybox:1.36"},
                ]},
            },
        },
    }))
    .expect("a valid Deployment")
}

fn images(d: &Deployment) -> Vec<(String, String)> {
    d.spec
        .as_ref()
        .and_then(|s| s.template.spec.as_ref())
        .map(|p| {
            p.containers
                .iter()
                .map(|c| (c.name.clone(), c.image.clone().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default()
}

fn replicas(d: &Deployment) -> Option<i32> {
    d.spec.as_ref().and_then(|s| s.replicas)
}

#[tokio::test]
async fn api_crud_on_deployments() {
    let server = Server::start().await;
    let client = server.client().await;
    server
        .check(async {
            let deploys: Api<Deployment> = Api::default_namespaced(client.clone());
            let pp = PostParams::default();
            let web = deploys.create(&pp, &deployment("web", "web", 2)).await?;
            deploys.create(&pp, &deployment("db", "db", 1)).await?;
            let gen1 = web.metadata.generation;
            ensure!(
                gen1 == Some(1),
                "a new Deployment has metadata.generation {gen1:?}, want 1"
            );

            let listed = deploys
                .list(&ListParams::default().labels("app=web"))
                .await?;
            ensure!(
                names(&listed.items) == ["web"],
                "list app=web gave {:?}",
                names(&listed.items)
            );
            let got = deploys.get("web").await?;
            ensure!(
                replicas(&got) == Some(2),
                "get replicas {:?}",
                replicas(&got)
            );

            // Strategic merge patch merges the containers list by name: the sidecar survives.
            let smp = deploys
                .patch(
                    "web",
                    &PatchParams::default(),
                    &Patch::Strategic(json!({"spec": {"template": {"spec": {"containers": [
                        {"name": "app", "image": "nginx:1.27"},
                    ]}}}})),
                )
                .await?;
            ensure!(
                images(&smp) == pairs(&[("app", "nginx:1.27"), ("sidecar", "busybox:1.36")]),
                "strategic patch of one container gave {:?}",
                images(&smp)
            );
            let gen2 = smp.metadata.generation;
            ensure!(
                gen2 > gen1,
                "a spec change left metadata.generation at {gen2:?} (was {gen1:?})"
            );

            // A metadata-only change leaves the generation alone (kube-runtime's generation
            // predicate relies on it).
            let labelled = deploys
                .patch(
                    "web",
                    &PatchParams::default(),
                    &Patch::Merge(json!({"metadata": {"labels": {"tier": "fe"}}})),
                )
                .await?;
            ensure!(
                labelled.metadata.generation == gen2,
                "a label change moved metadata.generation to {:?}",
                labelled.metadata.generation
            );

            let scaled = deploys
                .patch(
                    "web",
                    &PatchParams::default(),
                    &Patch::Merge(json!({"spec": {"replicas": 3}})),
                )
                .await?;
            ensure!(
                replicas(&scaled) == Some(3),
                "merge patch replicas gave {:?}",
                replicas(&scaled)
            );
            ensure!(
                images(&scaled).len() == 2,
                "merge patch of replicas changed containers: {:?}",
                images(&scaled)
            );
            let scale = deploys.get_scale("web").await?;
            ensure!(
                scale.spec.as_ref().and_then(|s| s.replicas) == Some(3),
                "GET .../scale gave {scale:?}"
            );

            expect_status(
                deploys.replace("web", &pp, &got).await,
                409,
                "Conflict",
                "PUT of a Deployment with a stale resourceVersion",
            )?;
            expect_status(
                deploys
                    .patch(
                        "web",
                        &PatchParams::default(),
                        &json_patch(json!([
                            {"op": "test", "path": "/spec/replicas", "value": 99},
                            {"op": "replace", "path": "/spec/replicas", "value": 0},
                        ])),
                    )
                    .await,
                422,
                "Invalid",
                "JSON patch of a Deployment whose test op fails",
            )?;

            let mut manifest = deployment("web", "web", 4);
            manifest.metadata.labels = None;
            let applied = deploys
                .patch(
                    "web",
                    &PatchParams::apply("example").force(),
                    &Patch::Apply(&manifest),
                )
                .await?;
            ensure!(
                replicas(&applied) == Some(4),
                "apply with force gave replicas {:?}",
                replicas(&applied)
            );

            deploys.delete("web", &DeleteParams::default()).await?;
            // Deletion may be asynchronous if the server adds finalizers; wait for it to finish.
            eventually(
                "deployment web to be gone",
                Duration::from_secs(10),
                || async {
                    match deploys.get("web").await {
                        Err(kube::Error::Api(s)) if s.code == 404 && s.reason == "NotFound" => {
                            Ok(())
                        }
                        other => Err(anyhow!("GET web after DELETE: {other:?}")),
                    }
                },
            )
            .await?;
            let left = deploys.list(&ListParams::default()).await?;
            ensure!(
                names(&left.items) == ["db"],
                "after deleting web the list has {:?}",
                names(&left.items)
            );
            Ok(())
        })
        .await;
}

// ---------------------------------------------------------------------------------------------
// 2. watcher
// ---------------------------------------------------------------------------------------------

type EventStream =
    futures::stream::BoxStream<'static, Result<watcher::Event<ConfigMap>, watcher::Error>>;

fn describe(ev: &watcher::Event<ConfigMap>) -> String {
    let obj = |verb: &str, cm: &ConfigMap| {
        format!(
            "{verb} {} rv={} data={:?}",
            cm.name_any(),
            cm.resource_version().unwrap_or_default(),
            cm.data
        )
    };
    match ev {
        watcher::Event::Init => "Init".into(),
        watcher::Event::InitApply(cm) => obj("InitApply", cm),
        watcher::Event::InitDone => "InitDone".into(),
        watcher::Event::Apply(cm) => obj("Apply", cm),
        watcher::Event::Delete(cm) => obj("Delete", cm),
    }
}

/// The next event of a watcher that must not fail.
async fn next_event(
    stream: &mut EventStream,
    waiting_for: &str,
) -> anyhow::Result<watcher::Event<ConfigMap>> {
    match tokio::time::timeout(Duration::from_secs(15), stream.next()).await {
        Ok(Some(Ok(ev))) => Ok(ev),
        Ok(Some(Err(e))) => bail!("watcher error while waiting for {waiting_for}: {e} ({e:?})"),
        Ok(None) => bail!("watcher ended while waiting for {waiting_for}"),
        Err(_) => bail!("no watcher event within 15s while waiting for {waiting_for}"),
    }
}

/// Reads `Init`, `InitApply`* and `InitDone`; returns the names listed.
async fn initial_sync(stream: &mut EventStream) -> anyhow::Result<Vec<String>> {
    let first = next_event(stream, "Init").await?;
    ensure!(
        matches!(first, watcher::Event::Init),
        "first watcher event is {}, want Init",
        describe(&first)
    );
    let mut listed = Vec::new();
    loop {
        match next_event(stream, "InitApply or InitDone").await? {
            watcher::Event::InitApply(cm) => listed.push(cm.name_any()),
            watcher::Event::InitDone => break,
            other => bail!("during the initial sync got {}", describe(&other)),
        }
    }
    listed.sort();
    Ok(listed)
}

async fn expect_apply(
    stream: &mut EventStream,
    name: &str,
    data: &[(&str, &str)],
) -> anyhow::Result<ConfigMap> {
    let what = format!("Apply {name} data={data:?}");
    match next_event(stream, &what).await? {
        watcher::Event::Apply(cm) if cm.name_any() == name && data_of(&cm) == map(data) => Ok(cm),
        other => bail!("want {what}, got {}", describe(&other)),
    }
}

async fn expect_delete(stream: &mut EventStream, name: &str) -> anyhow::Result<ConfigMap> {
    match next_event(stream, &format!("Delete {name}")).await? {
        watcher::Event::Delete(cm) if cm.name_any() == name => Ok(cm),
        other => bail!("want Delete {name}, got {}", describe(&other)),
    }
}

#[tokio::test]
async fn watcher_sees_changes_made_after_it_starts() {
    let server = Server::start().await;
    let client = server.client().await;
    server
        .check(async {
            let cms: Api<ConfigMap> = Api::default_namespaced(client.clone());
            let pp = PostParams::default();
            cms.create(&pp, &configmap("before", &[], &[("k", "v")]))
                .await?;

            let mut w: EventStream = watcher(cms.clone(), watcher::Config::default()).boxed();
            let listed = initial_sync(&mut w).await?;
            ensure!(
                listed.contains(&"before".to_string()),
                "initial list {listed:?} misses `before`"
            );

            let created = cms
                .create(&pp, &configmap("w1", &[], &[("a", "1")]))
                .await?;
            let seen = expect_apply(&mut w, "w1", &[("a", "1")]).await?;
            ensure!(
                seen.resource_version() == created.resource_version(),
                "ADDED carries rv {:?}, create returned {:?}",
                seen.resource_version(),
                created.resource_version()
            );
            let patched = cms
                .patch(
                    "w1",
                    &PatchParams::default(),
                    &Patch::Merge(json!({"data": {"a": "2"}})),
                )
                .await?;
            let seen = expect_apply(&mut w, "w1", &[("a", "2")]).await?;
            ensure!(
                seen.resource_version() == patched.resource_version(),
                "MODIFIED carries rv {:?}, patch returned {:?}",
                seen.resource_version(),
                patched.resource_version()
            );
            cms.delete("w1", &DeleteParams::default()).await?;
            let gone = expect_delete(&mut w, "w1").await?;
            ensure!(
                data_of(&gone) == map(&[("a", "2")]),
                "DELETED must carry the last state, got {:?}",
                gone.data
            );
            ensure!(
                gone.resource_version().is_some_and(
                    |rv| !rv.is_empty() && Some(&rv) != patched.resource_version().as_ref()
                ),
                "DELETED must carry a new resourceVersion, got {:?}",
                gone.resource_version()
            );

            // A label-selected watcher only sees matching objects; an object that stops matching
            // is reported as deleted, and one that starts matching as added.
            let mut fe: EventStream =
                watcher(cms.clone(), watcher::Config::default().labels("tier=fe")).boxed();
            let listed = initial_sync(&mut fe).await?;
            ensure!(
                listed.is_empty(),
                "tier=fe initial list {listed:?}, want none"
            );
            cms.create(&pp, &configmap("unlabelled", &[], &[("n", "1")]))
                .await?;
            cms.create(&pp, &configmap("fe1", &[("tier", "fe")], &[("n", "1")]))
                .await?;
            expect_apply(&mut fe, "fe1", &[("n", "1")]).await?;
            cms.patch(
                "fe1",
                &PatchParams::default(),
                &Patch::Merge(json!({"metadata": {"labels": {"tier": "be"}}})),
            )
            .await?;
            expect_delete(&mut fe, "fe1")
                .await
                .context("an object relabelled out of the selector")?;
            cms.patch(
                "fe1",
                &PatchParams::default(),
                &Patch::Merge(json!({"metadata": {"labels": {"tier": "fe"}}})),
            )
            .await?;
            expect_apply(&mut fe, "fe1", &[("n", "1")])
                .await
                .context("an object relabelled into the selector")?;

            // The full watcher saw all of that too, in order.
            expect_apply(&mut w, "unlabelled", &[("n", "1")]).await?;
            for _ in 0..3 {
                expect_apply(&mut w, "fe1", &[("n", "1")]).await?;
            }
            Ok(())
        })
        .await;
}

#[tokio::test]
async fn streaming_list_watcher_reaches_init_done() {
    let server = Server::start().await;
    let client = server.client().await;
    server
        .check(async {
            let cms: Api<ConfigMap> = Api::default_namespaced(client.clone());
            let pp = PostParams::default();
            for name in ["s-a", "s-b", "s-c"] {
                cms.create(&pp, &configmap(name, &[("set", "s")], &[("k", name)]))
                    .await?;
            }
            cms.create(&pp, &configmap("s-other", &[], &[])).await?;

            // sendInitialEvents=true: ADDED for each object, then the initial-events-end bookmark.
            let mut w: EventStream =
                watcher(cms.clone(), watcher::Config::default().streaming_lists()).boxed();
            let listed = initial_sync(&mut w)
                .await
                .context("streaming list (sendInitialEvents=true)")?;
            for name in ["s-a", "s-b", "s-c", "s-other"] {
                ensure!(
                    listed.contains(&name.to_string()),
                    "streaming initial events {listed:?} miss {name}"
                );
            }
            cms.create(&pp, &configmap("s-d", &[("set", "s")], &[("k", "s-d")]))
                .await?;
            expect_apply(&mut w, "s-d", &[("k", "s-d")]).await?;

            let mut selected: EventStream = watcher(
                cms.clone(),
                watcher::Config::default().streaming_lists().labels("set=s"),
            )
            .boxed();
            let listed = initial_sync(&mut selected)
                .await
                .context("streaming list with a label selector")?;
            ensure!(
                listed == ["s-a", "s-b", "s-c", "s-d"],
                "streaming list set=s gave {listed:?}"
            );
            cms.delete("s-a", &DeleteParams::default()).await?;
            expect_delete(&mut selected, "s-a").await?;

            // A reflector over a streaming watcher becomes ready.
            let (reader, writer) = reflector::store::<ConfigMap>();
            let stream = reflector::reflector(
                writer,
                watcher(cms.clone(), watcher::Config::default().streaming_lists()),
            );
            let _driver = AbortOnDrop(tokio::spawn(stream.for_each(|_| async {})));
            tokio::time::timeout(Duration::from_secs(15), reader.wait_until_ready())
                .await
                .context("a streaming-list reflector never became ready")??;
            ensure!(
                reader.len() == 4,
                "ready reflector holds {:?}",
                names(
                    &reader
                        .state()
                        .iter()
                        .map(|o| (**o).clone())
                        .collect::<Vec<_>>()
                )
            );
            Ok(())
        })
        .await;
}

// ---------------------------------------------------------------------------------------------
// 3. reflector across compaction, and the raw 410
// ---------------------------------------------------------------------------------------------

/// The server-side watch timeout the reflector asks for (`timeoutSeconds`).
const WATCH_TIMEOUT_SECS: u32 = 2;

/// What the reflector's stream reported, for assertions and for failure messages.
#[derive(Default, Debug)]
struct Observed {
    inits: usize,
    gone: usize,
    errors: Vec<String>,
}

/// Whether a raw watch from `rv` starts with the in-stream ERROR 410 `Expired`. `Ok(false)` means
/// the revision is still in the server's history; an HTTP-level error is a failure, because
/// kube-runtime's watcher never relists after one (it retries the same revision forever).
async fn watch_from_is_gone(api: &Api<ConfigMap>, rv: &str) -> anyhow::Result<bool> {
    let stream = match api.watch(&WatchParams::default().timeout(1), rv).await {
        Ok(stream) => stream,
        Err(e) => bail!(
            "GET ...?watch=true&resourceVersion={rv} failed at the HTTP level ({e}); \
             kube-apiserver answers 200 and sends one ERROR event with a 410 Expired Status"
        ),
    };
    let mut stream = stream.boxed();
    match tokio::time::timeout(Duration::from_secs(5), stream.try_next()).await {
        Ok(Ok(Some(WatchEvent::Error(status)))) => {
            ensure!(
                status.code == 410 && status.reason == "Expired",
                "watch from rv={rv}: ERROR event {status:?}, want code 410 reason Expired"
            );
            Ok(true)
        }
        Ok(Ok(Some(_) | None)) | Err(_) => Ok(false),
        Ok(Err(e)) => bail!("watch from rv={rv}: stream error {e}"),
    }
}

/// `(name, resourceVersion, data)` of each object, sorted: what "in sync" compares.
fn snapshot<'a>(
    items: impl IntoIterator<Item = &'a ConfigMap>,
) -> Vec<(String, String, BTreeMap<String, String>)> {
    let mut v: Vec<_> = items
        .into_iter()
        .map(|cm| {
            (
                cm.name_any(),
                cm.resource_version().unwrap_or_default(),
                data_of(cm),
            )
        })
        .collect();
    v.sort();
    v
}

/// Ok when the store holds exactly what a list with `selector` returns.
async fn store_matches_list(
    reader: &reflector::Store<ConfigMap>,
    cms: &Api<ConfigMap>,
    selector: &str,
    observed: &Mutex<Observed>,
) -> anyhow::Result<()> {
    let list = cms.list(&ListParams::default().labels(selector)).await?;
    let want = snapshot(&list.items);
    let have = snapshot(reader.state().iter().map(|o| &**o));
    ensure!(
        want == have,
        "store differs from list\n  list:  {want:?}\n  store: {have:?}\n  reflector: {:?}",
        observed.lock().unwrap()
    );
    Ok(())
}

/// One write among creates, updates and deletes of `set=r` ConfigMaps, plus unrelated noise.
async fn churn(cms: &Api<ConfigMap>, step: usize) -> anyhow::Result<()> {
    let pp = PostParams::default();
    let name = format!("r-{}", step % 17);
    match step % 4 {
        0 | 1 => {
            let patch = json!({
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": name, "labels": {"set": "r"}},
                "data": {"step": step.to_string()},
            });
            cms.patch(
                &name,
                &PatchParams::apply("churn").force(),
                &Patch::Apply(patch),
            )
            .await?;
        }
        2 => match cms.delete(&name, &DeleteParams::default()).await {
            Ok(_) => {}
            Err(kube::Error::Api(s)) if s.code == 404 => {}
            Err(e) => return Err(e.into()),
        },
        _ => {
            cms.create(
                &pp,
                &configmap(
                    &format!("noise-{step}"),
                    &[("set", "noise")],
                    &[("step", &step.to_string())],
                ),
            )
            .await?;
        }
    }
    Ok(())
}

#[tokio::test]
async fn reflector_stays_in_sync_across_compaction() {
    let server = Server::start().await;
    let client = server.client().await;
    server
        .check(async {
            let cms: Api<ConfigMap> = Api::default_namespaced(client.clone());
            let selector = "set=r";
            for step in 0..40 {
                churn(&cms, step).await?;
            }

            let (reader, writer) = reflector::store::<ConfigMap>();
            let stream = reflector::reflector(
                writer,
                watcher(
                    cms.clone(),
                    watcher::Config::default()
                        .labels(selector)
                        .timeout(WATCH_TIMEOUT_SECS),
                )
                .default_backoff(),
            );
            let observed = Arc::new(Mutex::new(Observed::default()));
            // The driver stops polling while the gate is closed, so the reflector falls behind
            // the server's retained history the way a stalled informer would.
            let (gate, gate_rx) = tokio::sync::watch::channel(true);
            let _driver = AbortOnDrop(tokio::spawn({
                let observed = observed.clone();
                let mut open = gate_rx.clone();
                let mut closed = gate_rx;
                async move {
                    let mut stream = std::pin::pin!(stream);
                    loop {
                        if open.wait_for(|o| *o).await.is_err() {
                            return;
                        }
                        let item = tokio::select! {
                            item = stream.next() => item,
                            _ = closed.wait_for(|o| !*o) => continue,
                        };
                        let mut seen = observed.lock().unwrap();
                        match item {
                            Some(Ok(watcher::Event::Init)) => seen.inits += 1,
                            Some(Ok(_)) => {}
                            Some(Err(watcher::Error::WatchError(status))) if status.code == 410 => {
                                seen.gone += 1
                            }
                            Some(Err(e)) => seen.errors.push(format!("{e} ({e:?})")),
                            None => return,
                        }
                    }
                }
            }));
            tokio::time::timeout(Duration::from_secs(15), reader.wait_until_ready())
                .await
                .context("the reflector never became ready")??;

            let in_sync = |what: &'static str| {
                eventually(what, Duration::from_secs(20), || {
                    store_matches_list(&reader, &cms, selector, &observed)
                })
            };

            // Writes while the reflector keeps up; its 2s watches end and resume meanwhile.
            for step in 40..120 {
                churn(&cms, step).await?;
            }
            in_sync("reflector in sync while it keeps up").await?;

            // Stall the reflector and keep writing until the server has compacted away every
            // revision it could resume from.
            gate.send_replace(false);
            // The server closes each watch WATCH_TIMEOUT_SECS after it started; nothing outside
            // the paused stream tells us when, so wait that long (plus slack) before taking the
            // marker: every revision the stalled reflector holds is then older than it.
            let mut step = 120;
            let stalled_until = tokio::time::Instant::now()
                + Duration::from_secs(u64::from(WATCH_TIMEOUT_SECS) + 2);
            while tokio::time::Instant::now() < stalled_until {
                churn(&cms, step).await?;
                step += 1;
                // Pace the writes: enough for compaction to have work, not a flood on slow CI.
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            let marker = cms
                .list(&ListParams::default().limit(1))
                .await?
                .metadata
                .resource_version
                .unwrap_or_default();
            eventually(
                "the marker revision to be compacted",
                Duration::from_secs(20),
                || {
                    step += 1;
                    let (cms, marker) = (&cms, &marker);
                    let this_step = step;
                    async move {
                        churn(cms, this_step).await?;
                        if watch_from_is_gone(cms, marker).await? {
                            Ok(())
                        } else {
                            Err(anyhow!("a watch from rv={marker} still succeeds"))
                        }
                    }
                },
            )
            .await?;

            // Resume it while writes continue: it must get the in-stream 410, relist and converge.
            let inits_before = observed.lock().unwrap().inits;
            gate.send_replace(true);
            for s in step + 1..step + 60 {
                churn(&cms, s).await?;
            }
            in_sync("reflector in sync after relisting").await?;
            let seen = observed.lock().unwrap();
            ensure!(
                seen.gone >= 1 && seen.inits > inits_before,
                "the stalled reflector resumed without an in-stream 410 and relist: {seen:?}"
            );
            Ok(())
        })
        .await;
}

#[tokio::test]
async fn watch_from_a_compacted_revision_gets_an_in_stream_410() {
    let server = Server::start().await;
    let client = server.client().await;
    server
        .check(async {
            let cms: Api<ConfigMap> = Api::default_namespaced(client.clone());
            let mut step = 0;
            eventually(
                "revision 1 to be compacted",
                Duration::from_secs(20),
                || {
                    step += 1;
                    let (cms, this_step) = (&cms, step);
                    async move {
                        churn(cms, this_step).await?;
                        if watch_from_is_gone(cms, "1").await? {
                            Ok(())
                        } else {
                            Err(anyhow!("a watch from rv=1 still succeeds"))
                        }
                    }
                },
            )
            .await?;
            // Not just once: the answer is stable and the stream ends after the ERROR event.
            let mut stream = cms
                .watch(&WatchParams::default().timeout(5), "1")
                .await?
                .boxed();
            let first = stream.try_next().await?;
            ensure!(
                matches!(&first, Some(WatchEvent::Error(s)) if s.code == 410),
                "first event {first:?}"
            );
            let rest = tokio::time::timeout(Duration::from_secs(10), stream.try_next())
                .await
                .context("the stream stayed open after the 410 ERROR event")??;
            ensure!(
                rest.is_none(),
                "after the 410 ERROR event the stream sent {rest:?}"
            );
            Ok(())
        })
        .await;
}

// ---------------------------------------------------------------------------------------------
// 4. Controller with a finalizer
// ---------------------------------------------------------------------------------------------

const FINALIZER: &str = "example.com/cleanup";
const DEPENDENT_ANNOTATION: &str = "example.com/dependent";
const CONTROLLER_NAME: &str = "flotilla-test-controller";

struct Ctx {
    client: Client,
    cleaned: Mutex<Vec<String>>,
    errors: Mutex<Vec<String>>,
}

fn dependent_name(cm: &ConfigMap) -> String {
    format!("{}-dep", cm.name_any())
}

async fn reconcile(
    cm: Arc<ConfigMap>,
    ctx: Arc<Ctx>,
) -> Result<Action, finalizer::Error<kube::Error>> {
    let api: Api<ConfigMap> =
        Api::namespaced(ctx.client.clone(), &cm.namespace().unwrap_or_default());
    finalizer(&api, FINALIZER, cm, |event| async {
        match event {
            finalizer::Event::Apply(cm) => ensure_dependent(&api, &cm).await,
            finalizer::Event::Cleanup(cm) => {
                match api
                    .delete(&dependent_name(&cm), &DeleteParams::default())
                    .await
                {
                    Ok(_) => {}
                    Err(kube::Error::Api(s)) if s.is_not_found() => {}
                    Err(e) => return Err(e),
                }
                ctx.cleaned.lock().unwrap().push(cm.name_any());
                Ok(Action::await_change())
            }
        }
    })
    .await
}

/// Apply: a dependent ConfigMap owned by `cm` with a copy of its data, and an annotation on `cm`
/// naming it (written only when missing, so the reconciler converges).
async fn ensure_dependent(api: &Api<ConfigMap>, cm: &ConfigMap) -> Result<Action, kube::Error> {
    let name = dependent_name(cm);
    let dependent = json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "ownerReferences": [cm.controller_owner_ref(&())]},
        "data": cm.data,
    });
    api.patch(
        &name,
        &PatchParams::apply(CONTROLLER_NAME).force(),
        &Patch::Apply(dependent),
    )
    .await?;
    if cm.annotations().get(DEPENDENT_ANNOTATION) != Some(&name) {
        let annotate = json!({"metadata": {"annotations": {DEPENDENT_ANNOTATION: name}}});
        api.patch(
            &cm.name_any(),
            &PatchParams::default(),
            &Patch::Merge(annotate),
        )
        .await?;
    }
    Ok(Action::requeue(Duration::from_secs(300)))
}

fn error_policy(_cm: Arc<ConfigMap>, err: &finalizer::Error<kube::Error>, ctx: Arc<Ctx>) -> Action {
    ctx.errors.lock().unwrap().push(err.to_string());
    Action::requeue(Duration::from_millis(500))
}

#[tokio::test]
async fn controller_with_finalizer_cleans_up_before_deletion() {
    let server = Server::start().await;
    let client = server.client().await;
    server
        .check(async {
            let cms: Api<ConfigMap> = Api::default_namespaced(client.clone());
            let ctx = Arc::new(Ctx {
                client: client.clone(),
                cleaned: Mutex::default(),
                errors: Mutex::default(),
            });
            let controller =
                Controller::new(cms.clone(), watcher::Config::default().labels("app=ctrl"))
                    .run(reconcile, error_policy, ctx.clone())
                    .for_each({
                        let ctx = ctx.clone();
                        move |res| {
                            // Reconciler failures reach error_policy; a vanished object is routine.
                            if let Err(
                                e @ (ControllerError::QueueError(_)
                                | ControllerError::RunnerError(_)),
                            ) = res
                            {
                                ctx.errors.lock().unwrap().push(format!("controller: {e}"));
                            }
                            async {}
                        }
                    });
            let _controller = AbortOnDrop(tokio::spawn(controller));
            // Distinct reconciler errors so far, for failure messages.
            let errors = || {
                let mut seen = ctx.errors.lock().unwrap().clone();
                seen.sort();
                seen.dedup();
                seen
            };

            let pp = PostParams::default();
            let guarded = cms
                .create(
                    &pp,
                    &configmap("guarded", &[("app", "ctrl")], &[("k", "v")]),
                )
                .await?;
            cms.create(&pp, &configmap("bystander", &[], &[("k", "v")]))
                .await?;

            eventually(
                "the finalizer, the annotation and the dependent",
                Duration::from_secs(20),
                || async {
                    let cm = cms.get("guarded").await?;
                    ensure!(
                        cm.finalizers() == [FINALIZER],
                        "finalizers {:?}; errors {:?}",
                        cm.finalizers(),
                        errors()
                    );
                    ensure!(
                        cm.annotations()
                            .get(DEPENDENT_ANNOTATION)
                            .map(String::as_str)
                            == Some("guarded-dep"),
                        "annotations {:?}; errors {:?}",
                        cm.annotations(),
                        errors()
                    );
                    let dep = cms.get("guarded-dep").await?;
                    ensure!(
                        data_of(&dep) == map(&[("k", "v")]),
                        "dependent data {:?}",
                        dep.data
                    );
                    let owner = dep.owner_references().first().cloned();
                    ensure!(
                        owner
                            .as_ref()
                            .is_some_and(|o| o.uid == guarded.uid().unwrap_or_default()
                                && o.kind == "ConfigMap"
                                && o.name == "guarded"
                                && o.controller == Some(true)),
                        "dependent ownerReferences {:?}",
                        dep.owner_references()
                    );
                    Ok(())
                },
            )
            .await?;

            cms.patch(
                "guarded",
                &PatchParams::default(),
                &Patch::Merge(json!({"data": {"k": "v2"}})),
            )
            .await?;
            eventually(
                "the dependent to follow an update",
                Duration::from_secs(20),
                || async {
                    let dep = cms.get("guarded-dep").await?;
                    ensure!(
                        data_of(&dep) == map(&[("k", "v2")]),
                        "dependent data {:?}; errors {:?}",
                        dep.data,
                        errors()
                    );
                    Ok(())
                },
            )
            .await?;

            // DELETE of an object with a finalizer marks it and answers 200 with the object.
            let deleted = cms.delete("guarded", &DeleteParams::default()).await?;
            if let Some(status) = deleted.as_ref().right() {
                bail!("DELETE with a pending finalizer returned {status:?}, want the object");
            }
            let marked = deleted.left().expect("not a Status, so the object");
            ensure!(
                marked.metadata.deletion_timestamp.is_some(),
                "DELETE returned no deletionTimestamp: {:?}",
                marked.metadata
            );
            ensure!(
                marked.finalizers().contains(&FINALIZER.to_string()),
                "DELETE dropped the finalizer: {:?}",
                marked.finalizers()
            );
            eventually(
                "cleanup to run and the object to disappear",
                Duration::from_secs(20),
                || async {
                    ensure!(
                        ctx.cleaned.lock().unwrap().contains(&"guarded".to_string()),
                        "Cleanup has not run; errors {:?}",
                        errors()
                    );
                    match cms.get("guarded").await {
                        Err(kube::Error::Api(s)) if s.code == 404 && s.reason == "NotFound" => {}
                        other => bail!("GET guarded: {other:?}; errors {:?}", errors()),
                    }
                    match cms.get("guarded-dep").await {
                        Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
                        other => bail!("GET guarded-dep: {other:?}"),
                    }
                },
            )
            .await?;
            let bystander = cms.get("bystander").await?;
            ensure!(
                bystander.finalizers().is_empty(),
                "an unselected object got finalizers {:?}",
                bystander.finalizers()
            );
            Ok(())
        })
        .await;
}

// ---------------------------------------------------------------------------------------------
// 5. Events
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn recorded_events_are_listed_as_core_events() {
    let server = Server::start().await;
    let client = server.client().await;
    server
        .check(async {
            let cms: Api<ConfigMap> = Api::default_namespaced(client.clone());
            let cm = cms
                .create(&PostParams::default(), &configmap("evcm", &[], &[]))
                .await?;
            cms.create(&PostParams::default(), &configmap("quiet", &[], &[]))
                .await?;
            let recorder = Recorder::new(
                client.clone(),
                Reporter {
                    controller: CONTROLLER_NAME.into(),
                    instance: None,
                },
            );
            let event = RecordedEvent {
                type_: EventType::Normal,
                reason: "Reconciled".into(),
                note: Some("configmap evcm reconciled".into()),
                action: "Reconcile".into(),
                secondary: None,
            };
            let reference = cm.object_ref(&());
            recorder
                .publish(&event, &reference)
                .await
                .context("publishing an events.k8s.io/v1 Event")?;
            // The same event again becomes a series: a merge patch of the stored Event.
            recorder
                .publish(&event, &reference)
                .await
                .context("publishing the event again (series patch)")?;

            let core: Api<CoreEvent> = Api::default_namespaced(client.clone());
            let found = core
                .list(&ListParams::default().fields("involvedObject.name=evcm"))
                .await?;
            ensure!(
                found.items.len() == 1,
                "core/v1 events for evcm: {:?}",
                found.items
            );
            let ev = &found.items[0];
            ensure!(
                ev.reason.as_deref() == Some("Reconciled"),
                "reason {:?}",
                ev.reason
            );
            ensure!(
                ev.message.as_deref() == Some("configmap evcm reconciled"),
                "message {:?}",
                ev.message
            );
            ensure!(ev.type_.as_deref() == Some("Normal"), "type {:?}", ev.type_);
            ensure!(
                ev.involved_object.kind.as_deref() == Some("ConfigMap"),
                "involvedObject {:?}",
                ev.involved_object
            );
            ensure!(
                ev.involved_object.uid == cm.metadata.uid,
                "involvedObject.uid {:?}",
                ev.involved_object.uid
            );
            ensure!(
                ev.reporting_component.as_deref() == Some(CONTROLLER_NAME),
                "reportingComponent {:?}",
                ev.reporting_component
            );
            let none = core
                .list(&ListParams::default().fields("involvedObject.name=quiet"))
                .await?;
            ensure!(
                none.items.is_empty(),
                "events for an object nobody reported on: {:?}",
                none.items
            );

            let events: Api<EventsEvent> = Api::default_namespaced(client.clone());
            let stored = events.get(&ev.name_any()).await?;
            ensure!(
                stored.series.as_ref().map(|s| s.count) == Some(2),
                "events.k8s.io series {:?}",
                stored.series
            );
            ensure!(
                stored.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some("evcm"),
                "regarding {:?}",
                stored.regarding
            );
            Ok(())
        })
        .await;
}

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------

mod harness {
    //! Starts `flotilla apiserver` as a child process and gives out kube clients for it.

    use std::fmt::Debug;
    use std::future::Future;
    use std::net::SocketAddr;
    use std::path::PathBuf;
    use std::process::{Child, Command, Stdio};
    use std::time::Duration;

    use anyhow::{Context, anyhow, bail};
    use kube::Client;
    use kube::config::{KubeConfigOptions, Kubeconfig};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// How long one test may run before it fails as hung.
    const TEST_TIMEOUT: Duration = Duration::from_secs(120);
    const START_TIMEOUT: Duration = Duration::from_secs(30);

    /// A running `flotilla apiserver` with its own data directory; killed on drop. When a test
    /// panics, the tail of the server's log is printed.
    pub struct Server {
        child: Child,
        addr: SocketAddr,
        dir: tempfile::TempDir,
    }

    impl Server {
        pub async fn start() -> Self {
            Self::try_start()
                .await
                .expect("failed to start flotilla apiserver")
        }

        async fn try_start() -> anyhow::Result<Self> {
            let dir = tempfile::tempdir()?;
            // Ask the OS for a free port; the server binds it right after.
            let addr = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
            let log = std::fs::File::create(dir.path().join("apiserver.log"))?;
            let child = Command::new(env!("CARGO_BIN_EXE_flotilla"))
                .arg("apiserver")
                .args(["--listen", &addr.to_string()])
                .arg("--data-dir")
                .arg(dir.path())
                .args(["--compaction-interval", "1s", "--bookmark-interval", "1s"])
                .stdin(Stdio::null())
                .stdout(log.try_clone()?)
                .stderr(log)
                .spawn()
                .context("cannot run the flotilla binary")?;
            let mut server = Server { child, addr, dir };
            server.wait_ready().await?;
            Ok(server)
        }

        async fn wait_ready(&mut self) -> anyhow::Result<()> {
            let deadline = tokio::time::Instant::now() + START_TIMEOUT;
            loop {
                if let Some(status) = self.child.try_wait()? {
                    bail!(
                        "flotilla apiserver exited with {status} before it was ready:\n{}",
                        self.log_tail(50)
                    );
                }
                let last = match tokio::time::timeout(
                    Duration::from_secs(2),
                    http_get(self.addr, "/readyz"),
                )
                .await
                {
                    Ok(Ok((200, _))) if self.kubeconfig().exists() => return Ok(()),
                    Ok(Ok((code, body))) => format!("GET /readyz: {code} {body}"),
                    Ok(Err(e)) => format!("GET /readyz: {e}"),
                    Err(_) => "GET /readyz timed out".into(),
                };
                if tokio::time::Instant::now() > deadline {
                    bail!(
                        "flotilla apiserver not ready within {START_TIMEOUT:?} ({last}):\n{}",
                        self.log_tail(50)
                    );
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }

        fn kubeconfig(&self) -> PathBuf {
            self.dir.path().join("kubeconfig")
        }

        /// A client built from the kubeconfig the server wrote, as a user of kube-rs would.
        pub async fn client(&self) -> Client {
            async {
                let kubeconfig = Kubeconfig::read_from(self.kubeconfig())?;
                let config =
                    kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
                        .await?;
                anyhow::ensure!(
                    config.cluster_url.to_string().trim_end_matches('/')
                        == format!("http://{}", self.addr),
                    "kubeconfig points at {}",
                    config.cluster_url
                );
                Ok(Client::try_from(config)?)
            }
            .await
            .unwrap_or_else(|e: anyhow::Error| {
                panic!(
                    "cannot build a client from {}: {e:?}",
                    self.kubeconfig().display()
                )
            })
        }

        /// Runs a test body with a deadline; any error or timeout fails the test while the
        /// server is still up, so its log is shown.
        pub async fn check(&self, body: impl Future<Output = anyhow::Result<()>>) {
            match tokio::time::timeout(TEST_TIMEOUT, body).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => panic!("{e:#}"),
                Err(_) => panic!("test did not finish within {TEST_TIMEOUT:?}"),
            }
        }

        fn log_tail(&self, lines: usize) -> String {
            let log =
                std::fs::read_to_string(self.dir.path().join("apiserver.log")).unwrap_or_default();
            let all: Vec<&str> = log.lines().collect();
            all[all.len().saturating_sub(lines)..].join("\n")
        }
    }

    impl Drop for Server {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
            if std::thread::panicking() {
                eprintln!(
                    "--- flotilla apiserver log (tail) ---\n{}\n---",
                    self.log_tail(80)
                );
            }
        }
    }

    /// A minimal HTTP/1.1 GET, enough for `/readyz` before any client is built.
    async fn http_get(addr: SocketAddr, path: &str) -> anyhow::Result<(u16, String)> {
        let mut conn = tokio::net::TcpStream::connect(addr).await?;
        conn.write_all(
            format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await?;
        let mut response = String::new();
        conn.read_to_string(&mut response).await?;
        let code = response
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| anyhow!("not an HTTP response: {response:?}"))?;
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.trim().to_string())
            .unwrap_or_default();
        Ok((code, body))
    }

    /// Polls `probe` until it succeeds or `limit` passes; on timeout the last reason is reported.
    pub async fn eventually<T, F, Fut>(
        what: &str,
        limit: Duration,
        mut probe: F,
    ) -> anyhow::Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = anyhow::Result<T>>,
    {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let last = match probe().await {
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
            if tokio::time::Instant::now() > deadline {
                return Err(last.context(format!("timed out after {limit:?} waiting for {what}")));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The request failed with a Kubernetes `Status` of this code and reason.
    pub fn expect_status<T: Debug>(
        res: kube::Result<T>,
        code: u16,
        reason: &str,
        request: &str,
    ) -> anyhow::Result<()> {
        match res {
            Err(kube::Error::Api(status)) if status.code == code && status.reason == reason => {
                Ok(())
            }
            Err(kube::Error::Api(status)) => {
                bail!("{request}: got Status {status:?}, want code {code} reason {reason}")
            }
            Err(e) => {
                bail!("{request}: got {e} ({e:?}), want a Status with code {code} reason {reason}")
            }
            Ok(v) => bail!("{request}: succeeded with {v:?}, want code {code} reason {reason}"),
        }
    }

    /// Aborts a spawned task when the test ends, however it ends.
    pub struct AbortOnDrop<T>(pub tokio::task::JoinHandle<T>);

    impl<T> Drop for AbortOnDrop<T> {
        fn drop(&mut self) {
            self.0.abort();
        }
    }
}
