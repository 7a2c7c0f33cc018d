//! End-to-end placement: the real `flotilla apiserver`, `flotilla controller-manager` and
//! `flotilla scheduler` binaries, driven by the real kubectl. A Deployment and a Karmada
//! PropagationPolicy go in; the ResourceBinding comes out placed, explained, and following the
//! Deployment's scale and the fleet's changes.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use support::{Backend, Server, at, table_rows};

/// How long the control plane gets to react to one change.
const SETTLE: Duration = Duration::from_secs(30);

/// One of the control plane's processes other than the API server.
struct Component {
    name: &'static str,
    child: Child,
    log: PathBuf,
}

/// An API server (with kubectl, from [`support`]) plus a controller-manager and a scheduler
/// pointed at it. Everything is killed on drop; if the test panicked, the components' logs are
/// printed (the API server's is printed by [`Server`]).
struct ControlPlane {
    server: Server,
    components: Vec<Component>,
}

impl ControlPlane {
    /// `None` when kubectl is not installed (outside CI; in CI that fails the test).
    fn start() -> Option<ControlPlane> {
        let server = Server::start(Backend::Embedded)?;
        let kubeconfig = server.dir().join("data").join("kubeconfig");
        let components = [
            (
                "controller-manager",
                vec![
                    "controller-manager",
                    "--metrics-bind-address",
                    "127.0.0.1:0",
                ],
            ),
            ("scheduler", vec!["scheduler", "--workers", "4"]),
        ]
        .into_iter()
        .map(|(name, args)| spawn(name, &args, &kubeconfig, server.dir()))
        .collect();
        Some(ControlPlane { server, components })
    }

    /// Polls `f` until it returns `Ok` (bounded by [`SETTLE`]), failing at once if a component
    /// has exited.
    fn eventually<T>(&mut self, what: &str, mut f: impl FnMut(&Server) -> Result<T, String>) -> T {
        let deadline = std::time::Instant::now() + SETTLE;
        loop {
            for c in &mut self.components {
                if let Ok(Some(status)) = c.child.try_wait() {
                    panic!(
                        "flotilla {} exited ({status}) while waiting for {what}; its log:\n{}",
                        c.name,
                        std::fs::read_to_string(&c.log).unwrap_or_default()
                    );
                }
            }
            match f(&self.server) {
                Ok(v) => return v,
                Err(e) if std::time::Instant::now() >= deadline => {
                    panic!("{what}: not within {SETTLE:?}: {e}")
                }
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }
}

impl Drop for ControlPlane {
    fn drop(&mut self) {
        for c in &mut self.components {
            let _ = c.child.kill();
            let _ = c.child.wait();
            if std::thread::panicking() {
                let log = std::fs::read_to_string(&c.log).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(60).collect();
                eprintln!("--- last lines of the flotilla {} log ---", c.name);
                for line in tail.iter().rev() {
                    eprintln!("{line}");
                }
            }
        }
    }
}

fn spawn(name: &'static str, args: &[&str], kubeconfig: &Path, dir: &Path) -> Component {
    let log = dir.join(format!("{name}.log"));
    let file = std::fs::File::create(&log).expect("create the component log");
    let child = Command::new(env!("CARGO_BIN_EXE_flotilla"))
        .args(args)
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .env_remove("KUBECONFIG")
        .env("FLOTILLA_LOG", "info")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(file.try_clone().expect("clone the log file"))
        .stderr(file)
        .spawn()
        .unwrap_or_else(|e| panic!("failed to run flotilla {name}: {e}"));
    Component { name, child, log }
}

const CLUSTERS: &str = r#"
apiVersion: cluster.karmada.io/v1alpha1
kind: Cluster
metadata:
  name: us-east-1
  labels: {environment: production, tier: primary}
spec: {syncMode: Push, apiEndpoint: "https://us-east-1.example.com", provider: aws, region: us-east}
---
apiVersion: cluster.karmada.io/v1alpha1
kind: Cluster
metadata:
  name: eu-west-1
  labels: {environment: production}
spec: {syncMode: Push, apiEndpoint: "https://eu-west-1.example.com", provider: aws, region: eu-west}
---
apiVersion: cluster.karmada.io/v1alpha1
kind: Cluster
metadata:
  name: ap-south-1
  labels: {environment: production}
spec:
  syncMode: Push
  apiEndpoint: "https://ap-south-1.example.com"
  provider: aws
  region: ap-south
  taints: [{key: dedicated, value: gpu, effect: NoSchedule}]
"#;

const CLUSTER_STATUS: &str = r#"{"status":{"apiEnablements":[{"groupVersion":"apps/v1","resources":[{"name":"deployments","kind":"Deployment"}]}],"resourceSummary":{"allocatable":{"cpu":"64","memory":"256Gi","pods":"220"}},"conditions":[{"type":"Ready","status":"True","reason":"ClusterReady","message":"ok","lastTransitionTime":"2026-01-01T00:00:00Z"}]}}"#;

fn deployment(name: &str, replicas: u32) -> String {
    format!(
        r#"
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, labels: {{app: {name}}}}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec: {{containers: [{{name: {name}, image: "nginx:1.27"}}]}}
"#
    )
}

/// The issue's sample policy, unchanged.
const SAMPLE_POLICY: &str = r#"
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: nginx-propagation}
spec:
  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: nginx}]
  placement:
    clusterAffinity: {clusterNames: [us-east-1, eu-west-1]}
    replicaScheduling:
      replicaSchedulingType: Divided
      replicaDivisionPreference: Weighted
      weightPreference:
        staticClusterWeight:
          - {targetCluster: {clusterNames: [us-east-1]}, weight: 2}
          - {targetCluster: {clusterNames: [eu-west-1]}, weight: 1}
"#;

/// A policy whose affinity matches no cluster.
const STAGING_POLICY: &str = r#"
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: web-propagation}
spec:
  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: web}]
  placement:
    clusterAffinity:
      labelSelector: {matchLabels: {environment: staging}}
"#;

/// A binding for another scheduler: this one must leave it alone.
const OTHER_SCHEDULERS_BINDING: &str = r#"
apiVersion: work.karmada.io/v1alpha2
kind: ResourceBinding
metadata:
  name: batch-deployment
  labels: {propagationpolicy.karmada.io/permanent-id: 00000000-0000-0000-0000-000000000001}
spec:
  resource: {apiVersion: apps/v1, kind: Deployment, namespace: default, name: batch}
  replicas: 3
  schedulerName: batch-scheduler
  placement:
    clusterAffinity: {clusterNames: [us-east-1]}
"#;

fn binding(server: &Server, name: &str) -> Result<Value, String> {
    let out = server.kubectl(&["get", "rb", name, "-o", "json"]);
    if !out.success() {
        return Err(out.to_string());
    }
    serde_json::from_str(&out.stdout).map_err(|e| format!("bad JSON: {e}"))
}

fn scheduled_condition(rb: &Value) -> Option<&Value> {
    rb.pointer("/status/conditions")?
        .as_array()?
        .iter()
        .find(|c| c["type"] == "Scheduled")
}

/// Waits for the binding to be placed as `want` (name order) with `Scheduled=True`, and
/// observed at its current generation.
fn placed(cp: &mut ControlPlane, name: &str, want: Value) -> Value {
    cp.eventually(&format!("rb {name} placed as {want}"), |server| {
        let rb = binding(server, name)?;
        let clusters = rb.pointer("/spec/clusters").cloned().unwrap_or(json!([]));
        let condition = scheduled_condition(&rb).cloned();
        let observed = rb.pointer("/status/schedulerObservedGeneration").cloned();
        if clusters == want
            && condition.as_ref().is_some_and(|c| c["status"] == "True")
            && observed.as_ref() == rb.pointer("/metadata/generation")
        {
            Ok(rb)
        } else {
            Err(format!(
                "clusters {clusters}, condition {condition:?}, observed generation {observed:?} of {:?}",
                rb.pointer("/metadata/generation")
            ))
        }
    })
}

#[test]
fn deployments_are_placed_explained_and_follow_scale_and_fleet_changes() {
    let Some(mut cp) = ControlPlane::start() else {
        return;
    };

    // The fleet: three clusters reporting Deployments and capacity; ap-south-1 is tainted.
    cp.server.apply_yaml("clusters.yaml", CLUSTERS);
    for cluster in ["us-east-1", "eu-west-1", "ap-south-1"] {
        cp.server.kubectl_ok(&[
            "patch",
            "cluster",
            cluster,
            "--subresource=status",
            "--type=merge",
            "-p",
            CLUSTER_STATUS,
        ]);
    }

    // A 9-replica Deployment and the sample policy: static weights 2:1.
    cp.server.apply_yaml("nginx.yaml", &deployment("nginx", 9));
    cp.server.apply_yaml("policy.yaml", SAMPLE_POLICY);
    let rb = placed(
        &mut cp,
        "nginx-deployment",
        json!([{"name": "eu-west-1", "replicas": 3}, {"name": "us-east-1", "replicas": 6}]),
    );
    let condition = scheduled_condition(&rb).expect("Scheduled condition");
    assert_eq!(condition["reason"], "Success", "{condition}");
    assert!(rb.pointer("/status/lastScheduledTime").is_some(), "{rb:#}");
    let applied = at(
        &rb,
        "/metadata/annotations/policy.karmada.io~1applied-placement",
    );
    let applied: Value = serde_json::from_str(applied.as_str().expect("string")).expect("JSON");
    assert_eq!(
        &applied,
        at(&rb, "/spec/placement"),
        "the applied-placement annotation records the placement scheduled with"
    );
    let decisions = at(
        &rb,
        "/metadata/annotations/scheduler.flotilla.io~1decisions",
    )
    .as_str()
    .expect("string")
    .to_owned();
    let lines: Vec<&str> = decisions.lines().collect();
    assert_eq!(lines.len(), 3, "one line per cluster:\n{decisions}");
    assert!(
        lines[0].starts_with(
            "ap-south-1: rejected: TaintToleration: cluster has untolerated taint dedicated=gpu:NoSchedule"
        ) && lines[0].contains("ClusterAffinity"),
        "{decisions}"
    );
    assert!(
        lines[1].starts_with("eu-west-1: selected, 3 replicas"),
        "{decisions}"
    );
    assert!(
        lines[2].starts_with("us-east-1: selected, 6 replicas"),
        "{decisions}"
    );

    // `kubectl get rb` shows it scheduled.
    let table = table_rows(&cp.server.kubectl_ok(&["get", "rb"]));
    let scheduled_column = table[0]
        .iter()
        .position(|h| h == "SCHEDULED")
        .unwrap_or_else(|| panic!("no SCHEDULED column: {table:?}"));
    let row = table
        .iter()
        .find(|r| r[0] == "nginx-deployment")
        .unwrap_or_else(|| panic!("no row: {table:?}"));
    assert_eq!(row[scheduled_column], "True", "{table:?}");

    // `kubectl describe rb` says why ap-south-1 was left out.
    let described = cp
        .server
        .kubectl_ok(&["describe", "rb", "nginx-deployment"]);
    assert!(
        described.contains("scheduler.flotilla.io/decisions")
            && described.contains(
                "ap-south-1: rejected: TaintToleration: cluster has untolerated taint dedicated=gpu:NoSchedule"
            ),
        "{described}"
    );

    // Scaling the Deployment rescales the placement, by the same weights.
    cp.server
        .kubectl_ok(&["scale", "deployment", "nginx", "--replicas=12"]);
    placed(
        &mut cp,
        "nginx-deployment",
        json!([{"name": "eu-west-1", "replicas": 4}, {"name": "us-east-1", "replicas": 8}]),
    );

    // A cluster holding replicas is deleted: its replicas move to the remaining candidate.
    cp.server.kubectl_ok(&["delete", "cluster", "eu-west-1"]);
    let rb = placed(
        &mut cp,
        "nginx-deployment",
        json!([{"name": "us-east-1", "replicas": 12}]),
    );
    let decisions = at(
        &rb,
        "/metadata/annotations/scheduler.flotilla.io~1decisions",
    );
    // The cluster controller holds a deleted Cluster until its Works are cleaned up; meanwhile
    // the scheduler says why it is not a candidate.
    let decisions = decisions.as_str().unwrap_or_default();
    assert!(
        !decisions.contains("eu-west-1")
            || decisions.contains("eu-west-1: rejected: Scheduler: cluster is being deleted"),
        "the deleted cluster is no longer a candidate: {decisions}"
    );

    // A binding for another scheduler, then a policy whose affinity matches nothing:
    // NoClusterFit, with every cluster's reason.
    cp.server
        .apply_yaml("batch-binding.yaml", OTHER_SCHEDULERS_BINDING);
    cp.server.apply_yaml("web.yaml", &deployment("web", 2));
    cp.server.apply_yaml("web-policy.yaml", STAGING_POLICY);
    let rb = cp.eventually("rb web-deployment not scheduled", |server| {
        let rb = binding(server, "web-deployment")?;
        match scheduled_condition(&rb) {
            Some(c) if c["status"] == "False" => Ok(rb),
            other => Err(format!("condition {other:?}")),
        }
    });
    let condition = scheduled_condition(&rb).expect("condition");
    assert_eq!(condition["reason"], "NoClusterFit", "{condition}");
    let message = condition["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("0/2 clusters are available")
            && message.contains("ClusterAffinity")
            && message.contains("labelSelector environment=staging")
            && message.contains("TaintToleration"),
        "{message}"
    );
    assert!(
        rb.pointer("/spec/clusters")
            .is_none_or(|c| c.as_array().is_some_and(|a| a.is_empty())),
        "a fit error leaves no placement: {rb:#}"
    );
    assert!(
        rb.pointer("/status/schedulerObservedGeneration").is_none(),
        "only a successful schedule is observed: {rb:#}"
    );
    let decisions = at(
        &rb,
        "/metadata/annotations/scheduler.flotilla.io~1decisions",
    )
    .as_str()
    .expect("string");
    assert!(
        decisions
            .lines()
            .all(|l| l.contains(": rejected: ") && l.contains("ClusterAffinity")),
        "{decisions}"
    );
    let table = table_rows(&cp.server.kubectl_ok(&["get", "rb", "web-deployment"]));
    assert_eq!(table[1][1], "False", "{table:?}");

    // The other scheduler's binding, created before, was never touched.
    let batch = binding(&cp.server, "batch-deployment").expect("batch binding");
    assert!(
        batch.get("status").is_none() && batch.pointer("/spec/clusters").is_none(),
        "{batch:#}"
    );
}
