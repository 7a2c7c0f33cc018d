//! `flotilla simulate` end to end: the real binary, on manifests written to a temporary
//! directory, one scenario per replica strategy, asserting on `-o json` and the exit code (0
//! when the workload is scheduled, 1 otherwise).

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;
use tempfile::TempDir;

/// Three clusters: us-east-1 (64 CPUs), eu-west-1 (16 CPUs), and ap-south-1 (64 CPUs, tainted).
const CLUSTERS: &str = r#"
apiVersion: cluster.karmada.io/v1alpha1
kind: Cluster
metadata: {name: us-east-1, labels: {environment: production}}
spec: {syncMode: Push, provider: aws, region: us-east}
status:
  apiEnablements: [{groupVersion: apps/v1, resources: [{name: deployments, kind: Deployment}]}]
  resourceSummary: {allocatable: {cpu: "64", memory: 256Gi, pods: "220"}}
---
apiVersion: cluster.karmada.io/v1alpha1
kind: Cluster
metadata: {name: eu-west-1, labels: {environment: production}}
spec: {syncMode: Push, provider: aws, region: eu-west}
status:
  apiEnablements: [{groupVersion: apps/v1, resources: [{name: deployments, kind: Deployment}]}]
  resourceSummary: {allocatable: {cpu: "16", memory: 64Gi, pods: "220"}}
---
apiVersion: cluster.karmada.io/v1alpha1
kind: Cluster
metadata: {name: ap-south-1, labels: {environment: production}}
spec:
  syncMode: Push
  provider: aws
  region: ap-south
  taints: [{key: dedicated, value: gpu, effect: NoSchedule}]
status:
  apiEnablements: [{groupVersion: apps/v1, resources: [{name: deployments, kind: Deployment}]}]
  resourceSummary: {allocatable: {cpu: "64", memory: 256Gi, pods: "220"}}
"#;

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

const DYNAMIC: &str = "{replicaSchedulingType: Divided, replicaDivisionPreference: Weighted, weightPreference: {dynamicWeight: AvailableReplicas}}";
const AGGREGATED: &str = "{replicaSchedulingType: Divided, replicaDivisionPreference: Aggregated}";
const DUPLICATED: &str = "{replicaSchedulingType: Duplicated}";

/// A policy placing nginx on us-east-1 and eu-west-1 with `replica_scheduling`.
fn policy(replica_scheduling: &str) -> String {
    format!(
        r#"
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {{name: nginx-propagation, namespace: default}}
spec:
  resourceSelectors: [{{apiVersion: apps/v1, kind: Deployment, name: nginx}}]
  placement:
    clusterAffinity: {{clusterNames: [us-east-1, eu-west-1]}}
    replicaScheduling: {replica_scheduling}
"#
    )
}

/// The nginx Deployment with `replicas`, each asking for one CPU.
fn nginx(replicas: u32) -> String {
    format!(
        r#"
apiVersion: apps/v1
kind: Deployment
metadata: {{name: nginx, namespace: default, uid: 8f0c6c1e-3a57-4a43-9a53-2f4e5d6c7b8a}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: nginx}}}}
  template:
    metadata: {{labels: {{app: nginx}}}}
    spec: {{containers: [{{name: nginx, image: "nginx:1.27", resources: {{requests: {{cpu: "1", memory: 1Gi}}}}}}]}}
"#
    )
}

/// The binding a previous schedule left: `clusters` is its `spec.clusters`.
fn previous(replicas: u32, clusters: &str) -> String {
    format!(
        r#"
apiVersion: work.karmada.io/v1alpha2
kind: ResourceBinding
metadata: {{name: nginx-deployment, namespace: default}}
spec:
  resource: {{apiVersion: apps/v1, kind: Deployment, namespace: default, name: nginx}}
  replicas: {replicas}
  clusters: {clusters}
"#
    )
}

/// A scratch directory with the clusters file.
struct Sim {
    dir: TempDir,
}

/// One run: its exit code, its JSON report and what it printed on stderr.
struct Run {
    code: i32,
    report: Value,
    stderr: String,
}

impl Run {
    /// `spec.clusters` as (name, replicas), in name order.
    fn clusters(&self) -> Vec<(String, i64)> {
        self.report["clusters"]
            .as_array()
            .unwrap_or_else(|| panic!("no clusters in {:#}", self.report))
            .iter()
            .map(|c| {
                (
                    c["name"].as_str().unwrap_or_default().to_owned(),
                    c["replicas"].as_i64().unwrap_or_default(),
                )
            })
            .collect()
    }

    fn decision(&self, cluster: &str) -> &Value {
        self.report["decisions"]
            .as_array()
            .and_then(|d| d.iter().find(|d| d["name"] == cluster))
            .unwrap_or_else(|| panic!("no decision for {cluster} in {:#}", self.report))
    }

    fn reasons(&self, cluster: &str) -> Vec<String> {
        self.decision(cluster)["reasons"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r.as_str().map(str::to_owned))
            .collect()
    }
}

impl Sim {
    fn new() -> Sim {
        let sim = Sim {
            dir: tempfile::Builder::new()
                .prefix("flotilla-simulate-")
                .tempdir()
                .expect("temp dir"),
        };
        sim.file("clusters.yaml", CLUSTERS);
        sim
    }

    fn file(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, contents).unwrap_or_else(|e| panic!("write {name}: {e}"));
        path
    }

    /// `flotilla simulate --clusters clusters.yaml --policy P --workload W [extra] -o json`.
    fn output(&self, policy: &str, workload: &str, extra: &[&str]) -> Output {
        let policy = self.file("policy.yaml", policy);
        let workload = self.file("workload.yaml", workload);
        Command::new(env!("CARGO_BIN_EXE_flotilla"))
            .arg("simulate")
            .arg("--clusters")
            .arg(self.dir.path().join("clusters.yaml"))
            .arg("--policy")
            .arg(policy)
            .arg("--workload")
            .arg(workload)
            .args(extra)
            .args(["-o", "json"])
            .current_dir(self.dir.path())
            .output()
            .expect("run flotilla simulate")
    }

    fn run(&self, policy: &str, workload: &str, extra: &[&str]) -> Run {
        let out = self.output(policy, workload, extra);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let report = serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{stdout}\nstderr:\n{stderr}"));
        Run {
            code: out.status.code().expect("exit code"),
            report,
            stderr,
        }
    }

    /// Like [`Sim::run`] with `--previous` set to the binding `previous`.
    fn run_after(&self, policy: &str, workload: &str, previous: &str, extra: &[&str]) -> Run {
        let path = self.file("previous.yaml", previous);
        let mut args = vec!["--previous", path.to_str().expect("utf-8 path")];
        args.extend(extra);
        self.run(policy, workload, &args)
    }
}

fn placed(pairs: &[(&str, i64)]) -> Vec<(String, i64)> {
    pairs.iter().map(|(n, r)| (n.to_string(), *r)).collect()
}

#[test]
fn static_weights_divide_the_sample_six_to_three() {
    let sim = Sim::new();
    let run = sim.run(SAMPLE_POLICY, &nginx(9), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.report["result"], "Scheduled");
    assert_eq!(
        run.clusters(),
        placed(&[("eu-west-1", 3), ("us-east-1", 6)])
    );
    assert!(
        run.report["message"]
            .as_str()
            .is_some_and(|m| m.contains("StaticWeight")),
        "{:#}",
        run.report
    );
    assert_eq!(run.decision("us-east-1")["selected"], true);
    assert_eq!(run.decision("us-east-1")["replicas"], 6);
}

#[test]
fn rejected_clusters_say_why() {
    let sim = Sim::new();
    let run = sim.run(SAMPLE_POLICY, &nginx(9), &[]);
    assert_eq!(run.decision("ap-south-1")["selected"], false);
    assert_eq!(
        run.reasons("ap-south-1"),
        [
            "TaintToleration: cluster has untolerated taint dedicated=gpu:NoSchedule",
            "ClusterAffinity: does not match clusterAffinity: cluster is not in clusterNames",
        ]
    );
    assert!(run.reasons("us-east-1").is_empty());
}

#[test]
fn duplicated_gives_every_selected_cluster_all_replicas() {
    let sim = Sim::new();
    let run = sim.run(&policy(DUPLICATED), &nginx(9), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.clusters(),
        placed(&[("eu-west-1", 9), ("us-east-1", 9)])
    );
}

#[test]
fn dynamic_weights_follow_available_replicas() {
    let sim = Sim::new();
    let run = sim.run(&policy(DYNAMIC), &nginx(9), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // One CPU per replica: 64 and 16 available, so 9 replicas split 7.2 : 1.8.
    assert_eq!(
        run.clusters(),
        placed(&[("eu-west-1", 2), ("us-east-1", 7)])
    );
    assert_eq!(run.decision("us-east-1")["availableReplicas"], 64);
    assert_eq!(run.decision("eu-west-1")["availableReplicas"], 16);
}

#[test]
fn aggregated_uses_as_few_clusters_as_capacity_allows() {
    let sim = Sim::new();
    let run = sim.run(&policy(AGGREGATED), &nginx(9), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.clusters(), placed(&[("us-east-1", 9)]));
    assert!(
        run.reasons("eu-west-1")
            .iter()
            .any(|r| r.starts_with("AssignReplicas: not needed")),
        "{:?}",
        run.reasons("eu-west-1")
    );

    // More than the largest cluster holds: the next one takes the rest.
    let run = sim.run(&policy(AGGREGATED), &nginx(70), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let clusters = run.clusters();
    assert_eq!(clusters.len(), 2, "{clusters:?}");
    assert_eq!(clusters.iter().map(|(_, r)| r).sum::<i64>(), 70);
}

#[test]
fn a_previous_binding_is_scaled_up_and_down_in_place() {
    let sim = Sim::new();
    let before = previous(
        9,
        "[{name: eu-west-1, replicas: 2}, {name: us-east-1, replicas: 7}]",
    );

    // Scale up 9 → 14: the 5 new replicas are divided by capacity (64 : 16) and added.
    let up = sim.run_after(&policy(DYNAMIC), &nginx(14), &before, &[]);
    assert_eq!(up.code, 0, "{}", up.stderr);
    assert_eq!(
        up.clusters(),
        placed(&[("eu-west-1", 3), ("us-east-1", 11)])
    );

    // Scale down 9 → 6: divided in proportion to the current placement (7 : 2).
    let down = sim.run_after(&policy(DYNAMIC), &nginx(6), &before, &[]);
    assert_eq!(down.code, 0, "{}", down.stderr);
    assert_eq!(
        down.clusters(),
        placed(&[("eu-west-1", 1), ("us-east-1", 5)])
    );
}

#[test]
fn fresh_divides_from_scratch() {
    let sim = Sim::new();
    let before = previous(9, "[{name: eu-west-1, replicas: 9}]");

    // Same replicas: dynamic weights keep the placement.
    let kept = sim.run_after(&policy(DYNAMIC), &nginx(9), &before, &[]);
    assert_eq!(kept.code, 0, "{}", kept.stderr);
    assert_eq!(kept.clusters(), placed(&[("eu-west-1", 9)]));

    // --fresh divides all 9 by capacity, counting what eu-west-1 already runs (64 : 16 + 9).
    let fresh = sim.run_after(&policy(DYNAMIC), &nginx(9), &before, &["--fresh"]);
    assert_eq!(fresh.code, 0, "{}", fresh.stderr);
    assert_eq!(
        fresh.clusters(),
        placed(&[("eu-west-1", 3), ("us-east-1", 6)])
    );
}

#[test]
fn not_enough_capacity_is_unschedulable() {
    let sim = Sim::new();
    let run = sim.run(&policy(DYNAMIC), &nginx(100), &[]);
    assert_eq!(run.code, 1, "not scheduled: exit code 1");
    assert_eq!(run.report["result"], "Unschedulable");
    assert!(
        run.report["message"]
            .as_str()
            .is_some_and(|m| m.contains("can take 80 more replicas but 100 are needed")),
        "{:#}",
        run.report
    );
}

#[test]
fn no_cluster_fit_lists_every_clusters_reasons() {
    let sim = Sim::new();
    let staging = r#"
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: nginx-propagation, namespace: default}
spec:
  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: nginx}]
  placement:
    clusterAffinity: {labelSelector: {matchLabels: {environment: staging}}}
"#;
    let run = sim.run(staging, &nginx(9), &[]);
    assert_eq!(run.code, 1, "not scheduled: exit code 1");
    assert_eq!(run.report["result"], "NoClusterFit");
    assert!(run.clusters().is_empty());
    let mismatch = "ClusterAffinity: does not match clusterAffinity: cluster labels do not match labelSelector environment=staging";
    for cluster in ["us-east-1", "eu-west-1"] {
        assert_eq!(run.reasons(cluster), [mismatch], "{cluster}");
    }
    assert_eq!(
        run.reasons("ap-south-1"),
        [
            "TaintToleration: cluster has untolerated taint dedicated=gpu:NoSchedule",
            mismatch
        ]
    );
    assert_eq!(
        run.report["message"],
        format!(
            "0/3 clusters are available: 3× {mismatch}; 1× TaintToleration: cluster has untolerated taint dedicated=gpu:NoSchedule"
        )
    );
}

#[test]
fn a_policy_that_does_not_select_the_workload_is_an_error() {
    let sim = Sim::new();
    let other = SAMPLE_POLICY.replace("name: nginx}", "name: web}");
    let out = sim.output(&other, &nginx(9), &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "no report");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("does not select"), "{stderr}");
}
