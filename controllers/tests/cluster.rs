//! Member clusters end to end against real API servers: `join` and `unjoin`, the cluster
//! controller (finalizer, execution namespace, taints, clean-up) and the cluster status
//! controller (Ready, version, API enablements, node and resource summaries), with members that
//! die, fail their health check and come back.

mod support;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow, bail, ensure};
use flotilla_api::cluster::v1alpha1::ClusterStatus;
use flotilla_api::{Cluster, Work, labels};
use flotilla_controllers::Context;
use flotilla_controllers::cluster::{
    self, ClusterOptions, ClusterStatusOptions, JoinError, JoinSpec,
};
use k8s_openapi::api::core::v1::{Namespace, Node, Pod, Secret};
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kube::config::Kubeconfig;
use serde_json::json;
use support::{Server, eventually};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// Both cluster controllers running against the federation, with short periods.
struct Controllers {
    stop: CancellationToken,
}

impl Controllers {
    fn start(federation: &Server) -> Controllers {
        Controllers::start_with(
            federation,
            ClusterStatusOptions {
                period: Duration::from_millis(200),
                failure_threshold: Duration::from_secs(1),
                probe_timeout: Duration::from_secs(2),
                ..Default::default()
            },
        )
    }

    fn start_with(federation: &Server, status_opts: ClusterStatusOptions) -> Controllers {
        let stop = CancellationToken::new();
        let ctx = Context::new(federation.client.clone(), stop.clone());
        let cluster_opts = ClusterOptions {
            unreachable_grace_period: Duration::from_secs(1),
            removal_poll_interval: Duration::from_millis(100),
            ..Default::default()
        };
        tokio::spawn(cluster::run(ctx.clone(), cluster_opts));
        tokio::spawn(cluster::status::run(ctx, status_opts));
        Controllers { stop }
    }
}

impl Drop for Controllers {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// A kubeconfig for a member API server (the test servers accept any token).
fn member_kubeconfig(endpoint: &str) -> Kubeconfig {
    Kubeconfig::from_yaml(&format!(
        r#"
apiVersion: v1
kind: Config
current-context: member
clusters:
- name: member
  cluster:
    server: {endpoint}
contexts:
- name: member
  context: {{cluster: member, user: admin}}
users:
- name: admin
  user: {{token: member-token}}
"#
    ))
    .expect("kubeconfig parses")
}

async fn get_cluster(fed: &Server, name: &str) -> Result<Cluster> {
    Ok(Api::<Cluster>::all(fed.client.clone()).get(name).await?)
}

fn status(cluster: &Cluster) -> Result<&ClusterStatus> {
    cluster
        .status
        .as_ref()
        .ok_or_else(|| anyhow!("no status yet"))
}

fn ready(cluster: &Cluster) -> Result<(String, String)> {
    let c = cluster
        .condition("Ready")
        .ok_or_else(|| anyhow!("no Ready condition yet"))?;
    Ok((c.status.clone(), c.reason.clone()))
}

fn taint_keys(cluster: &Cluster) -> Vec<String> {
    let mut keys: Vec<String> = cluster
        .spec
        .taints
        .iter()
        .map(|t| format!("{}:{}", t.key, t.effect))
        .collect();
    keys.sort();
    keys
}

async fn wait_ready(fed: &Server, name: &str) -> Result<Cluster> {
    eventually(
        &format!("cluster {name} is Ready and untainted"),
        || async {
            let c = get_cluster(fed, name).await?;
            ensure!(
                ready(&c)? == ("True".into(), "ClusterReady".into()),
                "{:?}",
                ready(&c)
            );
            ensure!(c.spec.taints.is_empty(), "taints {:?}", taint_keys(&c));
            Ok(c)
        },
    )
    .await
}

async fn create_node(
    member: &Server,
    name: &str,
    ready: bool,
    allocatable: serde_json::Value,
) -> Result<()> {
    let api: Api<Node> = Api::all(member.client.clone());
    let node: Node = serde_json::from_value(json!({"metadata": {"name": name}}))?;
    api.create(&PostParams::default(), &node).await?;
    let status = json!({"status": {
        "allocatable": allocatable,
        "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }}],
    }});
    api.patch_status(name, &PatchParams::default(), &Patch::Merge(&status))
        .await?;
    Ok(())
}

async fn create_pod(
    member: &Server,
    name: &str,
    node: Option<&str>,
    phase: &str,
    cpu: &str,
    memory: &str,
) -> Result<()> {
    let api: Api<Pod> = Api::namespaced(member.client.clone(), "default");
    let mut spec = json!({"containers": [{"name": "c", "image": "nginx",
        "resources": {"requests": {"cpu": cpu, "memory": memory}}}]});
    if let Some(node) = node {
        spec["nodeName"] = json!(node);
    }
    let pod: Pod = serde_json::from_value(json!({"metadata": {"name": name}, "spec": spec}))?;
    api.create(&PostParams::default(), &pod).await?;
    api.patch_status(
        name,
        &PatchParams::default(),
        &Patch::Merge(&json!({"status": {"phase": phase}})),
    )
    .await?;
    Ok(())
}

fn quantities(
    list: &std::collections::BTreeMap<
        String,
        k8s_openapi::apimachinery::pkg::api::resource::Quantity,
    >,
) -> Vec<(String, String)> {
    list.iter().map(|(k, v)| (k.clone(), v.0.clone())).collect()
}

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// A Work in a cluster's execution namespace, held by the execution controller's finalizer.
async fn create_work(fed: &Server, cluster: &str, name: &str) -> Result<()> {
    let namespace = flotilla_api::names::execution_namespace(cluster);
    let work: Work = serde_json::from_value(json!({
        "apiVersion": "work.karmada.io/v1alpha1",
        "kind": "Work",
        "metadata": {"name": name, "namespace": namespace,
                     "finalizers": [labels::EXECUTION_CONTROLLER_FINALIZER]},
        "spec": {"workload": {"manifests": [{"apiVersion": "v1", "kind": "ConfigMap",
                                            "metadata": {"name": "cm", "namespace": "default"}}]}},
    }))?;
    Api::<Work>::namespaced(fed.client.clone(), &namespace)
        .create(&PostParams::default(), &work)
        .await?;
    Ok(())
}

/// What the execution controller does once it has cleaned the member: drop its finalizer.
async fn release_work(fed: &Server, cluster: &str, name: &str) -> Result<()> {
    let namespace = flotilla_api::names::execution_namespace(cluster);
    Api::<Work>::namespaced(fed.client.clone(), &namespace)
        .patch(
            name,
            &PatchParams::default(),
            &Patch::Merge(&json!({"metadata": {"finalizers": null}})),
        )
        .await?;
    Ok(())
}

async fn exists<K>(api: &Api<K>, name: &str) -> Result<bool>
where
    K: Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    Ok(api.get_opt(name).await?.is_some())
}

/// Joins `member` as m1 and waits until it is Ready and its execution namespace exists.
async fn join_m1_ready(fed: &Server, member: &Server) -> Result<Api<Namespace>> {
    cluster::join(
        &fed.client,
        "m1",
        &member_kubeconfig(&member.endpoint()),
        None,
        &JoinSpec::default(),
    )
    .await?;
    wait_ready(fed, "m1").await?;
    let namespaces: Api<Namespace> = Api::all(fed.client.clone());
    eventually("the execution namespace exists", || async {
        ensure!(exists(&namespaces, "karmada-es-m1").await?);
        Ok(())
    })
    .await?;
    Ok(namespaces)
}

#[tokio::test]
async fn join_reports_status_and_a_member_change_shows_up() -> Result<()> {
    let fed = Server::federation().await?;
    let member = Server::member().await?;
    create_node(
        &member,
        "n1",
        true,
        json!({"cpu": "4", "memory": "8Gi", "pods": "110"}),
    )
    .await?;
    create_node(
        &member,
        "n2",
        false,
        json!({"cpu": "2", "memory": "4Gi", "pods": "110"}),
    )
    .await?;
    create_pod(&member, "web-1", Some("n1"), "Running", "500m", "256Mi").await?;
    create_pod(&member, "done", Some("n1"), "Succeeded", "2", "1Gi").await?;
    create_pod(&member, "pending", None, "Pending", "100m", "64Mi").await?;
    let _controllers = Controllers::start(&fed);

    let spec = JoinSpec {
        labels: [("env".to_owned(), "prod".to_owned())].into(),
        provider: Some("aws".into()),
        region: Some("eu-west-1".into()),
        zones: vec!["eu-west-1a".into(), "eu-west-1b".into()],
    };
    let outcome = cluster::join(
        &fed.client,
        "m1",
        &member_kubeconfig(&member.endpoint()),
        None,
        &spec,
    )
    .await?;
    assert!(outcome.created);
    assert_eq!(outcome.api_endpoint, member.endpoint());
    assert_eq!(outcome.secret, "karmada-cluster/m1");
    let kube_system = Api::<Namespace>::all(member.client.clone())
        .get("kube-system")
        .await?;
    assert_eq!(Some(outcome.cluster_id.clone()), kube_system.metadata.uid);

    let c = get_cluster(&fed, "m1").await?;
    assert_eq!(
        c.spec.api_endpoint.as_deref(),
        Some(member.endpoint().as_str())
    );
    assert_eq!(c.spec.id.as_deref(), Some(outcome.cluster_id.as_str()));
    assert_eq!(c.spec.provider.as_deref(), Some("aws"));
    assert_eq!(c.spec.region.as_deref(), Some("eu-west-1"));
    assert_eq!(c.spec.zones, ["eu-west-1a", "eu-west-1b"]);
    assert_eq!(
        c.metadata
            .labels
            .as_ref()
            .and_then(|l| l.get("env"))
            .map(String::as_str),
        Some("prod")
    );
    let secret_ref = c.spec.secret_ref.clone().context("secretRef")?;
    assert_eq!(
        (secret_ref.namespace.as_str(), secret_ref.name.as_str()),
        ("karmada-cluster", "m1")
    );
    let secret = Api::<Secret>::namespaced(fed.client.clone(), "karmada-cluster")
        .get("m1")
        .await?;
    assert_eq!(secret.type_.as_deref(), Some("Opaque"));
    let data = secret.data.context("secret data")?;
    assert_eq!(data["token"].0, b"member-token");
    assert!(data["caBundle"].0.is_empty(), "no CA in the kubeconfig");

    let namespaces: Api<Namespace> = Api::all(fed.client.clone());
    eventually("the execution namespace exists", || async {
        ensure!(exists(&namespaces, "karmada-es-m1").await?);
        Ok(())
    })
    .await?;

    let c = eventually("the status has the member's summaries", || async {
        let c = wait_ready(&fed, "m1").await?;
        let s = status(&c)?;
        ensure!(
            s.node_summary.is_some() && s.resource_summary.is_some(),
            "no summaries yet"
        );
        Ok(c)
    })
    .await?;
    assert!(
        c.metadata
            .finalizers
            .iter()
            .flatten()
            .any(|f| f == labels::CLUSTER_CONTROLLER_FINALIZER)
    );
    let s = status(&c)?;
    let version = member.client.apiserver_version().await?.git_version;
    assert_eq!(s.kubernetes_version.as_deref(), Some(version.as_str()));
    assert!(
        s.api_enabled("apps/v1", "Deployment"),
        "{:?}",
        s.api_enablements
    );
    assert!(s.api_enabled("v1", "Pod"));
    let gvs: Vec<&str> = s
        .api_enablements
        .iter()
        .map(|e| e.group_version.as_str())
        .collect();
    let mut sorted = gvs.clone();
    sorted.sort();
    assert_eq!(gvs, sorted, "enablements are sorted");
    let complete = c
        .condition("CompleteAPIEnablements")
        .context("CompleteAPIEnablements")?;
    assert_eq!(
        (complete.status.as_str(), complete.reason.as_str()),
        ("True", "Complete")
    );
    let nodes = s.node_summary.clone().context("nodeSummary")?;
    assert_eq!((nodes.total_num, nodes.ready_num), (Some(2), Some(1)));
    let resources = s.resource_summary.clone().context("resourceSummary")?;
    assert_eq!(
        quantities(&resources.allocatable),
        pairs(&[("cpu", "6"), ("memory", "12Gi"), ("pods", "220")])
    );
    assert_eq!(
        quantities(&resources.allocated),
        pairs(&[
            ("cpu", "500m"),
            ("ephemeral-storage", "0"),
            ("memory", "256Mi"),
            ("pods", "1")
        ])
    );
    assert_eq!(
        quantities(&resources.allocating),
        pairs(&[
            ("cpu", "100m"),
            ("ephemeral-storage", "0"),
            ("memory", "64Mi"),
            ("pods", "1")
        ])
    );
    let ready_since = c
        .condition("Ready")
        .context("Ready")?
        .last_transition_time
        .clone();

    // A new pod in the member shows up in the next status, and Ready keeps its transition time.
    create_pod(&member, "web-2", Some("n1"), "Running", "1500m", "768Mi").await?;
    let c = eventually("the new pod is counted", || async {
        let c = get_cluster(&fed, "m1").await?;
        let r = status(&c)?
            .resource_summary
            .clone()
            .context("resourceSummary")?;
        ensure!(
            quantities(&r.allocated).contains(&("pods".into(), "2".into())),
            "{:?}",
            r.allocated
        );
        Ok(c)
    })
    .await?;
    let r = status(&c)?
        .resource_summary
        .clone()
        .context("resourceSummary")?;
    assert_eq!(r.allocated["cpu"].0, "2");
    assert_eq!(r.allocated["memory"].0, "1Gi");
    assert_eq!(
        c.condition("Ready").context("Ready")?.last_transition_time,
        ready_since
    );

    // Joining again updates the labels (dropping the old one) and keeps the rest.
    let again = JoinSpec {
        labels: [("tier".to_owned(), "gold".to_owned())].into(),
        ..spec
    };
    let outcome = cluster::join(
        &fed.client,
        "m1",
        &member_kubeconfig(&member.endpoint()),
        None,
        &again,
    )
    .await?;
    assert!(!outcome.created);
    let c = get_cluster(&fed, "m1").await?;
    let labels = c.metadata.labels.clone().unwrap_or_default();
    assert_eq!(labels.get("tier").map(String::as_str), Some("gold"));
    assert!(!labels.contains_key("env"), "{labels:?}");
    assert!(c.is_ready(), "re-joining keeps the status");
    Ok(())
}

/// A TCP front for a member that can pretend the member is down or unhealthy.
struct Front {
    addr: SocketAddr,
    mode: watch::Sender<Mode>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Forward connections to the member.
    Up,
    /// Close every connection at once (and cut the forwarded ones).
    Down,
    /// Answer every request 500.
    Failing,
}

impl Front {
    async fn start(target: SocketAddr) -> Result<Front> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (mode, watcher) = watch::channel(Mode::Up);
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut changes = watcher.clone();
                let now = *changes.borrow_and_update();
                tokio::spawn(async move {
                    match now {
                        Mode::Down => {}
                        Mode::Failing => {
                            let mut buf = vec![0u8; 16 * 1024];
                            let mut seen = Vec::new();
                            while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                                match socket.read(&mut buf).await {
                                    Ok(0) | Err(_) => return,
                                    Ok(n) => seen.extend_from_slice(&buf[..n]),
                                }
                            }
                            let _ = socket
                                .write_all(b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                                .await;
                        }
                        Mode::Up => {
                            let Ok(mut upstream) = TcpStream::connect(target).await else {
                                return;
                            };
                            tokio::select! {
                                _ = tokio::io::copy_bidirectional(&mut socket, &mut upstream) => {}
                                _ = changes.changed() => {}
                            }
                        }
                    }
                });
            }
        });
        Ok(Front { addr, mode })
    }

    fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn set(&self, mode: Mode) {
        self.mode.send_replace(mode);
    }
}

#[tokio::test]
async fn an_unhealthy_or_unreachable_member_is_tainted_and_recovers() -> Result<()> {
    let fed = Server::federation().await?;
    let member = Server::member().await?;
    let front = Front::start(member.addr).await?;
    let _controllers = Controllers::start(&fed);
    cluster::join(
        &fed.client,
        "m1",
        &member_kubeconfig(&front.endpoint()),
        None,
        &JoinSpec::default(),
    )
    .await?;
    let c = wait_ready(&fed, "m1").await?;
    let version = status(&c)?.kubernetes_version.clone();

    front.set(Mode::Down);
    let c = eventually(
        "the member is published unreachable and tainted",
        || async {
            let c = get_cluster(&fed, "m1").await?;
            ensure!(
                ready(&c)? == ("False".into(), "ClusterNotReachable".into()),
                "{:?}",
                ready(&c)
            );
            ensure!(
                taint_keys(&c)
                    == [
                        "cluster.karmada.io/not-ready:NoSchedule",
                        "cluster.karmada.io/unreachable:NoSchedule"
                    ],
                "taints {:?}",
                taint_keys(&c)
            );
            Ok(c)
        },
    )
    .await?;
    assert!(
        c.spec.taints.iter().all(|t| t.time_added.is_some()),
        "taints carry timeAdded"
    );
    assert_eq!(
        status(&c)?.kubernetes_version,
        version,
        "what was known is kept"
    );

    front.set(Mode::Failing);
    eventually("the member is reachable but not ready", || async {
        let c = get_cluster(&fed, "m1").await?;
        ensure!(
            ready(&c)? == ("False".into(), "ClusterNotReady".into()),
            "{:?}",
            ready(&c)
        );
        ensure!(
            taint_keys(&c) == ["cluster.karmada.io/not-ready:NoSchedule"],
            "taints {:?}",
            taint_keys(&c)
        );
        Ok(())
    })
    .await?;

    front.set(Mode::Up);
    wait_ready(&fed, "m1").await?;
    Ok(())
}

#[tokio::test]
async fn a_stopped_member_becomes_not_reachable() -> Result<()> {
    let fed = Server::federation().await?;
    let member = Server::member().await?;
    let _controllers = Controllers::start(&fed);
    cluster::join(
        &fed.client,
        "m1",
        &member_kubeconfig(&member.endpoint()),
        None,
        &JoinSpec::default(),
    )
    .await?;
    wait_ready(&fed, "m1").await?;
    member.stop();
    eventually("the stopped member is not reachable", || async {
        let c = get_cluster(&fed, "m1").await?;
        ensure!(
            ready(&c)? == ("False".into(), "ClusterNotReachable".into()),
            "{:?}",
            ready(&c)
        );
        ensure!(taint_keys(&c).contains(&"cluster.karmada.io/not-ready:NoSchedule".to_owned()));
        Ok(())
    })
    .await?;
    Ok(())
}

#[tokio::test]
async fn unjoin_waits_for_the_works_then_removes_everything() -> Result<()> {
    let fed = Server::federation().await?;
    let member = Server::member().await?;
    let _controllers = Controllers::start(&fed);
    let namespaces = join_m1_ready(&fed, &member).await?;
    create_work(&fed, "m1", "web").await?;

    // Nobody cleans the member: unjoin gives up after its timeout and says what it waited for.
    let err = cluster::unjoin(&fed.client, "m1", Duration::from_millis(500), |_| {})
        .await
        .expect_err("the Work holds the cluster");
    assert!(matches!(err, JoinError::UnjoinTimeout { .. }), "{err}");
    let message = err.to_string();
    assert!(message.contains("1 Work(s) in karmada-es-m1"), "{message}");
    assert!(message.contains("controller-manager"), "{message}");

    // The cluster is Ready, so its Works wait for the execution controller — played here.
    let works: Api<Work> = Api::namespaced(fed.client.clone(), "karmada-es-m1");
    eventually("the Work is being deleted", || async {
        let w = works.get("web").await?;
        ensure!(w.metadata.deletion_timestamp.is_some());
        Ok(())
    })
    .await?;
    let messages = Arc::new(Mutex::new(Vec::<String>::new()));
    let unjoin = tokio::spawn({
        let client = fed.client.clone();
        let messages = Arc::clone(&messages);
        async move {
            cluster::unjoin(&client, "m1", support::TIMEOUT, move |m| {
                messages.lock().unwrap().push(m.to_owned())
            })
            .await
        }
    });
    eventually("unjoin reports the Work it waits for", || async {
        let seen = messages.lock().unwrap().clone();
        ensure!(seen.iter().any(|m| m.contains("Work(s)")), "{seen:?}");
        Ok(())
    })
    .await?;
    release_work(&fed, "m1", "web").await?;
    let outcome = unjoin.await??;
    assert!(outcome.cluster_found);
    assert_eq!(
        outcome.secret_deleted.as_deref(),
        Some("karmada-cluster/m1")
    );

    assert!(!exists(&Api::<Cluster>::all(fed.client.clone()), "m1").await?);
    assert!(!exists(&works, "web").await?);
    assert!(!exists(&namespaces, "karmada-es-m1").await?);
    let secrets: Api<Secret> = Api::namespaced(fed.client.clone(), "karmada-cluster");
    assert!(!exists(&secrets, "m1").await?);

    // Unjoining what is not joined says so and is not an error.
    let again = cluster::unjoin(&fed.client, "m1", support::TIMEOUT, |_| {}).await?;
    assert!(!again.cluster_found);
    Ok(())
}

#[tokio::test]
async fn works_of_a_dead_cluster_are_released_after_the_grace_period() -> Result<()> {
    let fed = Server::federation().await?;
    let member = Server::member().await?;
    let _controllers = Controllers::start(&fed);
    let namespaces = join_m1_ready(&fed, &member).await?;
    create_work(&fed, "m1", "web").await?;
    member.stop();
    eventually("the member is published not ready", || async {
        let c = get_cluster(&fed, "m1").await?;
        ensure!(!c.is_ready());
        Ok(())
    })
    .await?;
    // Nobody removes the Work's finalizer: the cluster controller does, after the grace period.
    let outcome = cluster::unjoin(&fed.client, "m1", support::TIMEOUT, |_| {}).await?;
    assert!(outcome.cluster_found);
    assert!(!exists(&namespaces, "karmada-es-m1").await?);
    Ok(())
}

#[tokio::test]
async fn a_cluster_written_with_plain_api_calls_works_like_a_joined_one() -> Result<()> {
    let fed = Server::federation().await?;
    let member = Server::member().await?;
    create_node(
        &member,
        "n1",
        true,
        json!({"cpu": "8", "memory": "16Gi", "pods": "110"}),
    )
    .await?;
    let _controllers = Controllers::start(&fed);

    // What `kubectl apply -f` of a Karmada Cluster and its Secret does.
    let namespaces: Api<Namespace> = Api::all(fed.client.clone());
    namespaces
        .create(
            &PostParams::default(),
            &serde_json::from_value(json!({"metadata": {"name": "creds"}}))?,
        )
        .await?;
    let secret: Secret = serde_json::from_value(json!({
        "metadata": {"name": "member-2", "namespace": "creds"},
        "type": "Opaque",
        "stringData": {"token": "abc"},
    }))?;
    Api::<Secret>::namespaced(fed.client.clone(), "creds")
        .create(&PostParams::default(), &secret)
        .await?;
    let manifest: Cluster = serde_json::from_value(json!({
        "apiVersion": "cluster.karmada.io/v1alpha1",
        "kind": "Cluster",
        "metadata": {"name": "m2", "labels": {"region": "west"}},
        "spec": {"syncMode": "Push", "apiEndpoint": member.endpoint(),
                 "secretRef": {"namespace": "creds", "name": "member-2"}},
    }))?;
    let clusters: Api<Cluster> = Api::all(fed.client.clone());
    clusters.create(&PostParams::default(), &manifest).await?;

    let c = eventually("the cluster is Ready with its summary", || async {
        let c = wait_ready(&fed, "m2").await?;
        let nodes = status(&c)?.node_summary.clone().context("nodeSummary")?;
        ensure!(nodes.total_num == Some(1));
        Ok(c)
    })
    .await?;
    assert!(
        c.metadata
            .finalizers
            .iter()
            .flatten()
            .any(|f| f == labels::CLUSTER_CONTROLLER_FINALIZER)
    );
    assert!(exists(&namespaces, "karmada-es-m2").await?);
    let r = status(&c)?
        .resource_summary
        .clone()
        .context("resourceSummary")?;
    assert_eq!(r.allocatable["cpu"].0, "8");

    clusters.delete("m2", &DeleteParams::default()).await?;
    eventually("the cluster and its namespace are gone", || async {
        ensure!(!exists(&clusters, "m2").await?, "cluster still there");
        ensure!(
            !exists(&namespaces, "karmada-es-m2").await?,
            "namespace still there"
        );
        Ok(())
    })
    .await?;
    // The user's own Secret is theirs to delete.
    assert!(
        exists(
            &Api::<Secret>::namespaced(fed.client.clone(), "creds"),
            "member-2"
        )
        .await?
    );
    Ok(())
}

#[tokio::test]
async fn a_cluster_without_reachable_credentials_is_not_ready() -> Result<()> {
    let fed = Server::federation().await?;
    let member = Server::member().await?;
    let _controllers = Controllers::start(&fed);
    let manifest: Cluster = serde_json::from_value(json!({
        "apiVersion": "cluster.karmada.io/v1alpha1",
        "kind": "Cluster",
        "metadata": {"name": "m3"},
        "spec": {"syncMode": "Push", "apiEndpoint": member.endpoint(),
                 "secretRef": {"namespace": "karmada-cluster", "name": "missing"}},
    }))?;
    Api::<Cluster>::all(fed.client.clone())
        .create(&PostParams::default(), &manifest)
        .await?;
    eventually("the missing Secret is reported", || async {
        let c = get_cluster(&fed, "m3").await?;
        let cond = c.condition("Ready").context("no Ready yet")?;
        ensure!(
            cond.status == "False" && cond.reason == "StatusCollectionFailed",
            "{cond:?}"
        );
        ensure!(
            cond.message.contains("karmada-cluster/missing"),
            "{}",
            cond.message
        );
        ensure!(
            taint_keys(&c) == ["cluster.karmada.io/not-ready:NoSchedule"],
            "{:?}",
            taint_keys(&c)
        );
        Ok(())
    })
    .await?;
    Ok(())
}

#[tokio::test]
async fn join_refuses_an_unreachable_member_and_a_member_joined_twice() -> Result<()> {
    let fed = Server::federation().await?;
    let member = Server::member().await?;
    let dead = {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        listener.local_addr()?
    };
    let err = cluster::join(
        &fed.client,
        "gone",
        &member_kubeconfig(&format!("http://{dead}")),
        None,
        &JoinSpec::default(),
    )
    .await
    .expect_err("nothing listens there");
    let message = err.to_string();
    assert!(
        matches!(err, JoinError::MemberUnreachable { .. }),
        "{message}"
    );
    assert!(
        message.contains(&format!("http://{dead}/version")),
        "{message}"
    );
    assert!(message.contains("--cluster-kubeconfig"), "{message}");
    assert!(!exists(&Api::<Cluster>::all(fed.client.clone()), "gone").await?);

    cluster::join(
        &fed.client,
        "m1",
        &member_kubeconfig(&member.endpoint()),
        None,
        &JoinSpec::default(),
    )
    .await?;
    let err = cluster::join(
        &fed.client,
        "m1-again",
        &member_kubeconfig(&member.endpoint()),
        None,
        &JoinSpec::default(),
    )
    .await
    .expect_err("same member, other name");
    match err {
        JoinError::AlreadyJoined { existing, .. } => assert_eq!(existing, "m1"),
        other => bail!("unexpected error: {other}"),
    }
    Ok(())
}

#[tokio::test]
async fn members_that_hang_do_not_hold_up_the_others() -> Result<()> {
    let fed = Server::federation().await?;
    let member = Server::member().await?;
    // Accepts connections and never answers.
    let black_hole = TcpListener::bind("127.0.0.1:0").await?;
    let hole = black_hole.local_addr()?;
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = black_hole.accept().await {
            held.push(socket);
        }
    });
    // Probes that wait far longer than the test: only probing members side by side lets the
    // healthy one be seen.
    let _controllers = Controllers::start_with(
        &fed,
        ClusterStatusOptions {
            period: Duration::from_millis(200),
            probe_timeout: Duration::from_secs(600),
            ..Default::default()
        },
    );
    let clusters: Api<Cluster> = Api::all(fed.client.clone());
    for i in 0..5 {
        let hung: Cluster = serde_json::from_value(json!({
            "apiVersion": "cluster.karmada.io/v1alpha1",
            "kind": "Cluster",
            "metadata": {"name": format!("hung-{i}")},
            "spec": {"syncMode": "Push", "apiEndpoint": format!("http://{hole}")},
        }))?;
        clusters.create(&PostParams::default(), &hung).await?;
    }
    cluster::join(
        &fed.client,
        "healthy",
        &member_kubeconfig(&member.endpoint()),
        None,
        &JoinSpec::default(),
    )
    .await?;
    wait_ready(&fed, "healthy").await?;
    Ok(())
}
