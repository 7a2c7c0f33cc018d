//! A simulated member cluster, in this process, driven through its API the way a user (or the
//! federation) would drive a real cluster: workloads become Running and Ready pods on nodes with
//! room, and their `.status` reads as kube's controllers would write it.

use std::future::Future;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use flotilla_sim::{MemberOptions, RunningMember};
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::{Client, ResourceExt};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

const TIMEOUT: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(50);

fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}

/// Polls `check` until it succeeds or [`TIMEOUT`] passes; the last error says what was wrong.
async fn eventually<T, F, Fut>(what: &str, mut check: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let deadline = Instant::now() + TIMEOUT;
    loop {
        match check().await {
            Ok(v) => return Ok(v),
            Err(err) if Instant::now() >= deadline => {
                return Err(err.context(format!("timed out waiting until {what}")));
            }
            Err(_) => tokio::time::sleep(POLL).await,
        }
    }
}

/// A member running in this test (it goes with the test's runtime if the test fails first).
struct Member {
    running: RunningMember,
    stop: CancellationToken,
    client: Client,
}

impl Member {
    async fn start(change: impl FnOnce(&mut MemberOptions)) -> Result<Member> {
        init_tracing();
        let mut opts = MemberOptions::new("m1", "127.0.0.1:0".parse()?);
        opts.pod_ready_delay = Duration::from_millis(100);
        change(&mut opts);
        let stop = CancellationToken::new();
        let running = flotilla_sim::start(opts, stop.clone()).await?;
        let client = running.client();
        Ok(Member {
            running,
            stop,
            client,
        })
    }

    fn api<K>(&self) -> Api<K>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>,
    {
        Api::namespaced(self.client.clone(), "default")
    }

    fn nodes(&self) -> Api<Node> {
        Api::all(self.client.clone())
    }

    async fn stop(self) -> Result<()> {
        self.stop.cancel();
        self.running.wait().await?;
        Ok(())
    }
}

fn deployment(name: &str, replicas: i32, cpu: &str) -> Deployment {
    serde_json::from_value(json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{
                    "name": "app",
                    "image": "nginx:1.27",
                    "resources": {"requests": {"cpu": cpu, "memory": "64Mi"}},
                }]},
            },
        },
    }))
    .expect("a Deployment")
}

async fn create<K>(api: &Api<K>, obj: &K) -> Result<K>
where
    K: kube::Resource + Clone + serde::Serialize + serde::de::DeserializeOwned + std::fmt::Debug,
{
    Ok(api.create(&PostParams::default(), obj).await?)
}

async fn merge<K>(api: &Api<K>, name: &str, patch: Value) -> Result<K>
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    Ok(api
        .patch(name, &PatchParams::default(), &Patch::Merge(patch))
        .await?)
}

async fn pods_with(member: &Member, selector: &str) -> Result<Vec<Pod>> {
    Ok(member
        .api::<Pod>()
        .list(&ListParams::default().labels(selector))
        .await?
        .items)
}

fn is_running_and_ready(pod: &Pod) -> bool {
    let status = pod.status.as_ref();
    status.and_then(|s| s.phase.as_deref()) == Some("Running")
        && status
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

fn node_of(pod: &Pod) -> String {
    pod.spec
        .as_ref()
        .and_then(|s| s.node_name.clone())
        .unwrap_or_default()
}

/// Waits until the Deployment reports `n` replicas, all updated, ready and available, for its
/// current generation; returns it.
async fn deployment_ready(member: &Member, name: &str, n: i32) -> Result<Deployment> {
    eventually(&format!("deployment {name} is {n}/{n} ready"), || async {
        let d = member.api::<Deployment>().get(name).await?;
        let s = d.status.clone().unwrap_or_default();
        ensure!(
            s.observed_generation == d.metadata.generation,
            "observedGeneration {:?}",
            s.observed_generation
        );
        for (what, v) in [
            ("replicas", s.replicas),
            ("updatedReplicas", s.updated_replicas),
            ("readyReplicas", s.ready_replicas),
            ("availableReplicas", s.available_replicas),
        ] {
            ensure!(v.unwrap_or(0) == n, "{what} is {v:?}, want {n}: {s:?}");
        }
        ensure!(s.unavailable_replicas.unwrap_or(0) == 0, "{s:?}");
        let pods = pods_with(member, &format!("app={name}")).await?;
        ensure!(pods.len() == n as usize, "{} pods", pods.len());
        Ok(d)
    })
    .await
}

#[tokio::test]
async fn a_deployment_runs_ready_pods_and_reports_status_like_kube() -> Result<()> {
    let member = Member::start(|_| {}).await?;
    let nodes = eventually("three Ready nodes", || async {
        let nodes = member.nodes().list(&ListParams::default()).await?.items;
        ensure!(nodes.len() == 3, "{} nodes", nodes.len());
        for n in &nodes {
            let s = n.status.clone().unwrap_or_default();
            ensure!(
                s.conditions
                    .iter()
                    .flatten()
                    .any(|c| c.type_ == "Ready" && c.status == "True"),
                "{} not Ready",
                n.name_any()
            );
            let cap = s.capacity.unwrap_or_default();
            ensure!(cap.get("cpu").map(|q| q.0.as_str()) == Some("8"), "{cap:?}");
            ensure!(cap.get("memory").map(|q| q.0.as_str()) == Some("32Gi"));
            ensure!(cap.get("pods").map(|q| q.0.as_str()) == Some("110"));
            ensure!(n.labels().get("kubernetes.io/os").map(String::as_str) == Some("linux"));
            ensure!(
                n.labels().get("kubernetes.io/hostname") == Some(&n.name_any()),
                "hostname label"
            );
        }
        Ok(nodes)
    })
    .await?;
    let node_names: Vec<String> = nodes.iter().map(|n| n.name_any()).collect();
    assert_eq!(node_names, ["m1-node-0", "m1-node-1", "m1-node-2"]);

    create(&member.api(), &deployment("web", 3, "100m")).await?;
    let d = deployment_ready(&member, "web", 3).await?;
    let status = d.status.clone().unwrap_or_default();
    let condition = |t: &str| {
        status
            .conditions
            .iter()
            .flatten()
            .find(|c| c.type_ == t)
            .cloned()
            .unwrap_or_else(|| panic!("no {t} condition: {status:?}"))
    };
    assert_eq!(condition("Available").status, "True");
    assert_eq!(
        condition("Available").reason.as_deref(),
        Some("MinimumReplicasAvailable")
    );
    let progressing = condition("Progressing");
    assert_eq!(progressing.status, "True");
    assert_eq!(
        progressing.reason.as_deref(),
        Some("NewReplicaSetAvailable")
    );
    assert_eq!(
        d.annotations()
            .get("deployment.kubernetes.io/revision")
            .map(String::as_str),
        Some("1")
    );

    let rss = member
        .api::<ReplicaSet>()
        .list(&ListParams::default())
        .await?
        .items;
    assert_eq!(rss.len(), 1);
    let rs = &rss[0];
    let hash = rs
        .labels()
        .get("pod-template-hash")
        .cloned()
        .expect("pod-template-hash label");
    assert_eq!(rs.name_any(), format!("web-{hash}"));
    let owner = &rs.owner_references()[0];
    assert_eq!(
        (owner.kind.as_str(), owner.name.as_str(), owner.controller),
        ("Deployment", "web", Some(true))
    );
    assert_eq!(
        rs.spec
            .as_ref()
            .and_then(|s| s.selector.match_labels.clone()),
        Some(
            [
                ("app".to_owned(), "web".to_owned()),
                ("pod-template-hash".to_owned(), hash.clone())
            ]
            .into()
        )
    );
    let rs_status = eventually("the ReplicaSet reports 3 ready", || async {
        let rs = member.api::<ReplicaSet>().get(&rs.name_any()).await?;
        let s = rs.status.clone().unwrap_or_default();
        ensure!(
            s.ready_replicas == Some(3) && s.available_replicas == Some(3),
            "{s:?}"
        );
        Ok(s)
    })
    .await?;
    assert_eq!(rs_status.replicas, 3);
    assert_eq!(rs_status.fully_labeled_replicas, Some(3));
    assert_eq!(rs_status.observed_generation, Some(1));

    let pods = pods_with(&member, "app=web").await?;
    for pod in &pods {
        assert!(
            pod.name_any().starts_with(&format!("web-{hash}-")),
            "{}",
            pod.name_any()
        );
        assert!(is_running_and_ready(pod), "{pod:?}");
        assert!(node_names.contains(&node_of(pod)), "{pod:?}");
        let s = pod.status.clone().unwrap_or_default();
        assert!(s.pod_ip.is_some() && s.host_ip.is_some() && s.start_time.is_some());
        let cs = s.container_statuses.unwrap_or_default();
        assert!(cs.len() == 1 && cs[0].ready, "{cs:?}");
        assert_eq!(
            pod.owner_references()[0].name,
            rs.name_any(),
            "owned by the ReplicaSet"
        );
    }
    let mut ips: Vec<_> = pods
        .iter()
        .filter_map(|p| p.status.as_ref()?.pod_ip.clone())
        .collect();
    ips.sort();
    ips.dedup();
    assert_eq!(ips.len(), 3, "every pod its own IP");
    // Pods without much in the way of requests spread over the nodes.
    let mut used: Vec<String> = pods.iter().map(node_of).collect();
    used.sort();
    used.dedup();
    assert_eq!(used.len(), 3, "spread: {used:?}");
    member.stop().await
}

#[tokio::test]
async fn scaling_up_and_down_and_deleting_a_deployment() -> Result<()> {
    let member = Member::start(|_| {}).await?;
    let api = member.api::<Deployment>();
    create(&api, &deployment("web", 2, "100m")).await?;
    deployment_ready(&member, "web", 2).await?;

    merge(&api, "web", json!({"spec": {"replicas": 5}})).await?;
    deployment_ready(&member, "web", 5).await?;

    merge(&api, "web", json!({"spec": {"replicas": 1}})).await?;
    deployment_ready(&member, "web", 1).await?;

    api.delete("web", &DeleteParams::default()).await?;
    eventually("the ReplicaSet and pods are gone", || async {
        let rss = member
            .api::<ReplicaSet>()
            .list(&ListParams::default())
            .await?;
        let pods = pods_with(&member, "app=web").await?;
        ensure!(
            rss.items.is_empty() && pods.is_empty(),
            "{} ReplicaSets, {} pods left",
            rss.items.len(),
            pods.len()
        );
        Ok(())
    })
    .await?;
    member.stop().await
}

#[tokio::test]
async fn a_new_template_rolls_out_to_a_new_replicaset() -> Result<()> {
    let member = Member::start(|_| {}).await?;
    let api = member.api::<Deployment>();
    create(&api, &deployment("web", 4, "100m")).await?;
    deployment_ready(&member, "web", 4).await?;

    merge(
        &api,
        "web",
        json!({"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "nginx:1.28"}]}}}}),
    )
    .await?;
    let d = deployment_ready(&member, "web", 4).await?;
    assert_eq!(d.metadata.generation, Some(2));
    assert_eq!(
        d.annotations()
            .get("deployment.kubernetes.io/revision")
            .map(String::as_str),
        Some("2")
    );
    let (new, old) = eventually("the old ReplicaSet is scaled to 0", || async {
        let rss = member
            .api::<ReplicaSet>()
            .list(&ListParams::default())
            .await?
            .items;
        ensure!(rss.len() == 2, "{} ReplicaSets", rss.len());
        let rev = |rs: &ReplicaSet| {
            rs.annotations()
                .get("deployment.kubernetes.io/revision")
                .cloned()
                .unwrap_or_default()
        };
        let new = rss.iter().find(|rs| rev(rs) == "2").context("revision 2")?;
        let old = rss.iter().find(|rs| rev(rs) == "1").context("revision 1")?;
        ensure!(
            old.spec.as_ref().and_then(|s| s.replicas) == Some(0),
            "old {:?}",
            old.spec
        );
        ensure!(
            old.status.as_ref().map(|s| s.replicas) == Some(0),
            "old {:?}",
            old.status
        );
        Ok((new.clone(), old.clone()))
    })
    .await?;
    assert_ne!(new.name_any(), old.name_any());
    for pod in pods_with(&member, "app=web").await? {
        assert_eq!(
            pod.spec.as_ref().unwrap().containers[0].image.as_deref(),
            Some("nginx:1.28")
        );
        assert_eq!(pod.owner_references()[0].name, new.name_any());
    }
    member.stop().await
}

#[tokio::test]
async fn a_pod_that_fits_nowhere_stays_pending_until_a_node_with_room_is_added() -> Result<()> {
    let member = Member::start(|o| {
        o.nodes = 1;
        o.node_cpu = "2".into();
    })
    .await?;
    // 3 × 900m on one 2-CPU node: two fit.
    create(&member.api(), &deployment("big", 3, "900m")).await?;
    let pending = eventually("one pod is unschedulable", || async {
        let pods = pods_with(&member, "app=big").await?;
        let running = pods.iter().filter(|p| is_running_and_ready(p)).count();
        let pending: Vec<&Pod> = pods.iter().filter(|p| node_of(p).is_empty()).collect();
        ensure!(
            running == 2 && pending.len() == 1,
            "{running} running, {} pending",
            pending.len()
        );
        let s = pending[0].status.clone().unwrap_or_default();
        ensure!(s.phase.as_deref() == Some("Pending"));
        let c = s
            .conditions
            .unwrap_or_default()
            .into_iter()
            .find(|c| c.type_ == "PodScheduled")
            .context("no PodScheduled condition yet")?;
        Ok(c)
    })
    .await?;
    assert_eq!(pending.status, "False");
    assert_eq!(pending.reason.as_deref(), Some("Unschedulable"));
    assert_eq!(
        pending.message.as_deref(),
        Some("0/1 nodes are available: 1 Insufficient cpu.")
    );
    eventually("the Deployment counts 2 ready, 1 unavailable", || async {
        let s = member
            .api::<Deployment>()
            .get("big")
            .await?
            .status
            .unwrap_or_default();
        ensure!(
            s.ready_replicas == Some(2) && s.unavailable_replicas == Some(1),
            "{s:?}"
        );
        Ok(())
    })
    .await?;

    // A node created with kubectl is completed by the simulator's kubelet and takes the pod.
    create(
        &member.nodes(),
        &serde_json::from_value::<Node>(json!({"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": "extra"}}))?,
    )
    .await?;
    deployment_ready(&member, "big", 3).await?;
    let pods = pods_with(&member, "app=big").await?;
    assert!(
        pods.iter().any(|p| node_of(p) == "extra"),
        "one pod on the new node"
    );
    let extra = member.nodes().get("extra").await?;
    assert!(
        extra
            .status
            .and_then(|s| s.conditions)
            .unwrap_or_default()
            .iter()
            .any(|c| c.type_ == "Ready" && c.status == "True")
    );
    member.stop().await
}

#[tokio::test]
async fn a_cordoned_node_gets_no_new_pods() -> Result<()> {
    let member = Member::start(|o| o.nodes = 2).await?;
    eventually("both nodes exist", || async {
        let n = member
            .nodes()
            .list(&ListParams::default())
            .await?
            .items
            .len();
        ensure!(n == 2, "{n} nodes");
        Ok(())
    })
    .await?;
    merge(
        &member.nodes(),
        "m1-node-0",
        json!({"spec": {"unschedulable": true}}),
    )
    .await?;
    // A pod that may only go to the cordoned node waits, saying why.
    let probe: Pod = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "probe", "labels": {"app": "probe"}},
        "spec": {
            "nodeSelector": {"kubernetes.io/hostname": "m1-node-0"},
            "containers": [{"name": "c", "image": "busybox"}],
        },
    }))?;
    create(&member.api(), &probe).await?;
    let message = eventually("the probe pod is unschedulable", || async {
        let pod = member.api::<Pod>().get("probe").await?;
        let c = pod
            .status
            .and_then(|s| s.conditions)
            .unwrap_or_default()
            .into_iter()
            .find(|c| c.type_ == "PodScheduled")
            .context("no PodScheduled condition")?;
        ensure!(c.reason.as_deref() == Some("Unschedulable"), "{c:?}");
        Ok(c.message.unwrap_or_default())
    })
    .await?;
    assert_eq!(
        message,
        "0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) were unschedulable."
    );

    create(&member.api(), &deployment("web", 4, "100m")).await?;
    deployment_ready(&member, "web", 4).await?;
    for pod in pods_with(&member, "app=web").await? {
        assert_eq!(node_of(&pod), "m1-node-1", "{}", pod.name_any());
    }

    // Uncordoned, the node takes the waiting pod.
    merge(
        &member.nodes(),
        "m1-node-0",
        json!({"spec": {"unschedulable": null}}),
    )
    .await?;
    eventually("the probe pod runs on m1-node-0", || async {
        let pod = member.api::<Pod>().get("probe").await?;
        ensure!(
            node_of(&pod) == "m1-node-0" && is_running_and_ready(&pod),
            "{:?}",
            pod.status
        );
        Ok(())
    })
    .await?;
    member.stop().await
}

#[tokio::test]
async fn deleting_a_node_moves_its_pods_elsewhere() -> Result<()> {
    let member = Member::start(|o| o.nodes = 2).await?;
    create(&member.api(), &deployment("web", 4, "100m")).await?;
    deployment_ready(&member, "web", 4).await?;
    let before = pods_with(&member, "app=web").await?;
    assert!(before.iter().any(|p| node_of(p) == "m1-node-0"));

    member
        .nodes()
        .delete("m1-node-0", &DeleteParams::default())
        .await?;
    eventually("every pod runs on m1-node-1", || async {
        let pods = pods_with(&member, "app=web").await?;
        ensure!(pods.len() == 4, "{} pods", pods.len());
        for p in &pods {
            ensure!(
                node_of(p) == "m1-node-1",
                "{} on {}",
                p.name_any(),
                node_of(p)
            );
            ensure!(is_running_and_ready(p), "{} not ready", p.name_any());
        }
        Ok(())
    })
    .await?;
    deployment_ready(&member, "web", 4).await?;
    member.stop().await
}

#[tokio::test]
async fn a_statefulset_runs_ordered_pods_and_scales_down_from_the_top() -> Result<()> {
    let member = Member::start(|_| {}).await?;
    let api = member.api::<StatefulSet>();
    let ss: StatefulSet = serde_json::from_value(json!({
        "apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": {"name": "db"},
        "spec": {
            "replicas": 3,
            "serviceName": "db",
            "selector": {"matchLabels": {"app": "db"}},
            "template": {"metadata": {"labels": {"app": "db"}},
                "spec": {"containers": [{"name": "db", "image": "postgres:17"}]}},
        },
    }))?;
    create(&api, &ss).await?;
    let status = eventually("3 ready replicas", || async {
        let ss = api.get("db").await?;
        let s = ss.status.clone().unwrap_or_default();
        ensure!(s.ready_replicas == Some(3), "{s:?}");
        ensure!(s.observed_generation == ss.metadata.generation, "{s:?}");
        Ok(s)
    })
    .await?;
    assert_eq!(status.replicas, 3);
    assert_eq!(status.available_replicas, Some(3));
    assert_eq!(status.current_replicas, Some(3));
    assert_eq!(status.updated_replicas, Some(3));
    let revision = status.update_revision.clone().expect("updateRevision");
    assert!(revision.starts_with("db-"), "{revision}");
    assert_eq!(status.current_revision, Some(revision.clone()));
    let mut names: Vec<String> = pods_with(&member, "app=db")
        .await?
        .iter()
        .map(|p| p.name_any())
        .collect();
    names.sort();
    assert_eq!(names, ["db-0", "db-1", "db-2"]);
    let db0 = member.api::<Pod>().get("db-0").await?;
    assert_eq!(
        db0.labels().get("controller-revision-hash"),
        Some(&revision)
    );
    assert_eq!(db0.spec.as_ref().unwrap().hostname.as_deref(), Some("db-0"));

    merge(&api, "db", json!({"spec": {"replicas": 1}})).await?;
    eventually("only db-0 is left", || async {
        let names: Vec<String> = pods_with(&member, "app=db")
            .await?
            .iter()
            .map(|p| p.name_any())
            .collect();
        ensure!(names == ["db-0"], "{names:?}");
        let s = api.get("db").await?.status.unwrap_or_default();
        ensure!(s.replicas == 1 && s.ready_replicas == Some(1), "{s:?}");
        Ok(())
    })
    .await?;
    member.stop().await
}

#[tokio::test]
async fn a_daemonset_runs_one_pod_per_node() -> Result<()> {
    let member = Member::start(|_| {}).await?;
    let api = member.api::<DaemonSet>();
    let ds: DaemonSet = serde_json::from_value(json!({
        "apiVersion": "apps/v1", "kind": "DaemonSet",
        "metadata": {"name": "agent"},
        "spec": {
            "selector": {"matchLabels": {"app": "agent"}},
            "template": {"metadata": {"labels": {"app": "agent"}},
                "spec": {"containers": [{"name": "agent", "image": "busybox"}]}},
        },
    }))?;
    create(&api, &ds).await?;
    let ready = |n: i32| {
        let api = api.clone();
        let member = &member;
        async move {
            eventually(&format!("{n} agents ready"), || async {
                let ds = api.get("agent").await?;
                let s = ds.status.clone().unwrap_or_default();
                ensure!(
                    s.desired_number_scheduled == n
                        && s.current_number_scheduled == n
                        && s.number_ready == n
                        && s.number_available == Some(n)
                        && s.updated_number_scheduled == Some(n)
                        && s.number_misscheduled == 0
                        && s.observed_generation == ds.metadata.generation,
                    "{s:?}"
                );
                let pods = pods_with(member, "app=agent").await?;
                let mut nodes: Vec<String> = pods.iter().map(node_of).collect();
                nodes.sort();
                nodes.dedup();
                ensure!(
                    pods.len() == n as usize && nodes.len() == n as usize,
                    "{nodes:?}"
                );
                Ok(())
            })
            .await
        }
    };
    ready(3).await?;
    create(
        &member.nodes(),
        &serde_json::from_value::<Node>(json!({"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": "extra"}}))?,
    )
    .await?;
    ready(4).await?;
    // As in kube, DaemonSet pods tolerate `unschedulable`: cordoning keeps them.
    merge(
        &member.nodes(),
        "extra",
        json!({"spec": {"unschedulable": true}}),
    )
    .await?;
    let pods = pods_with(&member, "app=agent").await?;
    assert!(pods.iter().any(|p| node_of(p) == "extra"));
    ready(4).await?;
    member.stop().await
}

#[tokio::test]
async fn a_job_runs_its_pods_to_completion() -> Result<()> {
    let member = Member::start(|_| {}).await?;
    let api = member.api::<Job>();
    let job: Job = serde_json::from_value(json!({
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": "batch"},
        "spec": {
            "completions": 3,
            "parallelism": 2,
            "template": {"spec": {"restartPolicy": "Never",
                "containers": [{"name": "work", "image": "busybox"}]}},
        },
    }))?;
    create(&api, &job).await?;
    let status = eventually("the Job is complete", || async {
        let s = api.get("batch").await?.status.unwrap_or_default();
        ensure!(
            s.conditions
                .iter()
                .flatten()
                .any(|c| c.type_ == "Complete" && c.status == "True"),
            "{s:?}"
        );
        Ok(s)
    })
    .await?;
    assert_eq!(status.succeeded, Some(3));
    assert_eq!(status.active, None);
    assert!(status.start_time.is_some() && status.completion_time.is_some());
    let pods = pods_with(&member, "job-name=batch").await?;
    assert_eq!(pods.len(), 3);
    for p in &pods {
        assert_eq!(
            p.status.as_ref().and_then(|s| s.phase.as_deref()),
            Some("Succeeded")
        );
    }
    member.stop().await
}

#[tokio::test]
async fn a_member_serves_plain_kubernetes() -> Result<()> {
    let member = Member::start(|_| {}).await?;
    let groups = member.client.list_api_groups().await?;
    let names: Vec<&str> = groups.groups.iter().map(|g| g.name.as_str()).collect();
    assert!(names.contains(&"apps"), "{names:?}");
    assert!(
        !names.iter().any(|n| n.ends_with("karmada.io")),
        "{names:?}"
    );
    let kubeconfig = std::fs::read_to_string(member.running.kubeconfig())?;
    assert!(kubeconfig.contains(member.running.url()), "{kubeconfig}");
    member.stop().await
}

/// Runs `scenario` on a runtime of its own that is dropped afterwards, so that everything the
/// member left running (the API server's background work holds the store open) is gone.
fn on_own_runtime<T>(scenario: impl Future<Output = Result<T>>) -> Result<T> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let result = rt.block_on(scenario);
    drop(rt);
    result
}

#[test]
fn a_restarted_member_resumes_where_it_was() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let data_dir = dir.path().join("member");
    let opts = |data_dir: &std::path::Path| {
        let data_dir = data_dir.to_owned();
        move |o: &mut MemberOptions| o.data_dir = Some(data_dir)
    };
    let first = on_own_runtime(async {
        let member = Member::start(opts(&data_dir)).await?;
        create(&member.api(), &deployment("web", 2, "100m")).await?;
        deployment_ready(&member, "web", 2).await?;
        let mut names: Vec<String> = pods_with(&member, "app=web")
            .await?
            .iter()
            .map(|p| p.name_any())
            .collect();
        names.sort();
        member.stop().await?;
        Ok(names)
    })?;
    on_own_runtime(async {
        let member = Member::start(opts(&data_dir)).await?;
        let d = deployment_ready(&member, "web", 2).await?;
        let mut names: Vec<String> = pods_with(&member, "app=web")
            .await?
            .iter()
            .map(|p| p.name_any())
            .collect();
        names.sort();
        if names != first {
            bail!("pods were replaced: {first:?} then {names:?}");
        }
        assert_eq!(d.metadata.generation, Some(1));
        let nodes = member.nodes().list(&ListParams::default()).await?.items;
        assert_eq!(nodes.len(), 3, "no node created twice");
        member.stop().await
    })
}

#[tokio::test]
async fn an_indexed_job_completes_every_index() -> Result<()> {
    let member = Member::start(|_| {}).await?;
    let api = member.api::<Job>();
    let job: Job = serde_json::from_value(json!({
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": "shards"},
        "spec": {
            "completions": 4,
            "parallelism": 2,
            "completionMode": "Indexed",
            "template": {"spec": {"restartPolicy": "Never",
                "containers": [{"name": "work", "image": "busybox"}]}},
        },
    }))?;
    create(&api, &job).await?;
    let status = eventually("the Job is complete", || async {
        let s = api.get("shards").await?.status.unwrap_or_default();
        ensure!(
            s.conditions
                .iter()
                .flatten()
                .any(|c| c.type_ == "Complete" && c.status == "True"),
            "{s:?}"
        );
        Ok(s)
    })
    .await?;
    assert_eq!(status.succeeded, Some(4));
    assert_eq!(status.completed_indexes.as_deref(), Some("0-3"));
    let mut indexes: Vec<String> = pods_with(&member, "job-name=shards")
        .await?
        .iter()
        .filter_map(|p| {
            p.annotations()
                .get("batch.kubernetes.io/job-completion-index")
                .cloned()
        })
        .collect();
    indexes.sort();
    assert_eq!(indexes, ["0", "1", "2", "3"]);
    member.stop().await
}

#[tokio::test]
async fn a_recreate_deployment_replaces_every_pod() -> Result<()> {
    let member = Member::start(|_| {}).await?;
    let api = member.api::<Deployment>();
    let mut d = deployment("web", 3, "100m");
    d.spec.as_mut().unwrap().strategy = Some(serde_json::from_value(json!({"type": "Recreate"}))?);
    create(&api, &d).await?;
    deployment_ready(&member, "web", 3).await?;
    let before: Vec<String> = pods_with(&member, "app=web")
        .await?
        .iter()
        .map(|p| p.name_any())
        .collect();
    merge(
        &api,
        "web",
        json!({"spec": {"template": {"metadata": {"annotations": {"rev": "2"}}}}}),
    )
    .await?;
    deployment_ready(&member, "web", 3).await?;
    let after = pods_with(&member, "app=web").await?;
    for p in &after {
        assert!(!before.contains(&p.name_any()), "{} survived", p.name_any());
        assert_eq!(p.annotations().get("rev").map(String::as_str), Some("2"));
    }
    member.stop().await
}
