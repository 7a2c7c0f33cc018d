//! Propagation latency and Work throughput over a whole fleet, measured on this machine
//! (`cargo bench --bench propagation`): the real `flotilla up` binary (release build) with 10
//! simulated members — API server, scheduler, controller-manager and members all in that one
//! process on this one machine — driven over HTTP with kube-rs like any client.
//!
//! A PropagationPolicy sends every Deployment labelled `bench=propagation` to all members
//! (Duplicated), so each Deployment becomes one Work per member.
//!
//! 1. **Latency**: `BENCH_DEPLOYMENTS` (default 1,000) Deployments are created at a steady
//!    `BENCH_RATE` per second (default 100). For every (Deployment, member) pair the time from
//!    the create request to the Deployment's appearance in the member (seen by a watch on the
//!    member) is recorded; p50, p99 and max are printed.
//! 2. **Throughput**: as many more Deployments are created as fast as 32 clients can; measured is
//!    the wall time from the first create until every member has every Deployment, as Works
//!    applied per second.
//!
//! `BENCH_MEMBERS` (default 10) and `BENCH_REPLICAS` (default 1: each member object also runs a
//! simulated ReplicaSet and pod) change the shape; `BENCH_WORKLOADS=0` starts the members with
//! `--no-workloads` (API and nodes only), which measures the control plane without the members'
//! own pod churn competing for the same two cores. Targets (issue #4): p99 ≤ 250 ms and ≥ 2,000
//! Works/s.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{Api, DynamicObject, PostParams};
use kube::runtime::{WatchStreamExt, watcher};
use serde_json::json;

const LABEL: &str = "bench=propagation";
const CLIENTS: usize = 32;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `flotilla up`, killed on drop.
struct Up {
    child: Child,
}

impl Drop for Up {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
    }
}

fn start_fleet(dir: &Path, members: usize, workloads: bool) -> Up {
    let mut args = vec![
        "up".to_owned(),
        "--port".to_owned(),
        "0".to_owned(),
        "--members".to_owned(),
        members.to_string(),
    ];
    if !workloads {
        args.push("--no-workloads".to_owned());
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_flotilla"))
        .args(&args)
        .current_dir(dir)
        .env("FLOTILLA_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start flotilla up");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    loop {
        match lines.next() {
            Some(Ok(line)) if line.starts_with("Flotilla is up") => break,
            Some(Ok(_)) => {}
            _ => panic!("flotilla up exited before it was ready"),
        }
    }
    std::thread::spawn(move || for _ in lines {});
    Up { child }
}

async fn client(kubeconfig: &Path) -> kube::Client {
    let raw = kube::config::Kubeconfig::read_from(kubeconfig).expect("kubeconfig");
    let config = kube::Config::from_custom_kubeconfig(raw, &Default::default())
        .await
        .expect("config");
    kube::Client::try_from(config).expect("client")
}

fn deployment(name: &str, replicas: usize) -> Deployment {
    serde_json::from_value(json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": {"bench": "propagation"}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "app", "image": "nginx:1.27",
                    "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}}}]}
            }
        }
    }))
    .expect("a Deployment")
}

/// When each Deployment was first seen in each member: (member index, name) → instant.
type Seen = Arc<Mutex<HashMap<(usize, String), Instant>>>;

fn watch_member(index: usize, client: kube::Client, seen: Seen) {
    tokio::spawn(async move {
        let api: Api<Deployment> = Api::namespaced(client, "default");
        let mut stream = watcher(api, watcher::Config::default().labels(LABEL))
            .applied_objects()
            .boxed();
        while let Some(event) = stream.next().await {
            if let Ok(d) = event {
                let name = d.metadata.name.unwrap_or_default();
                seen.lock()
                    .unwrap()
                    .entry((index, name))
                    .or_insert_with(Instant::now);
            }
        }
    });
}

async fn wait_all(seen: &Seen, names: &[String], members: usize, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    loop {
        let missing = {
            let seen = seen.lock().unwrap();
            names
                .iter()
                .flat_map(|n| (0..members).map(move |m| (m, n.clone())))
                .filter(|k| !seen.contains_key(k))
                .count()
        };
        if missing == 0 {
            return;
        }
        if Instant::now() >= deadline {
            panic!("{missing} member objects still missing after {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn main() {
    let members = env_usize("BENCH_MEMBERS", 10);
    let count = env_usize("BENCH_DEPLOYMENTS", 1000);
    let rate = env_usize("BENCH_RATE", 100).max(1);
    let replicas = env_usize("BENCH_REPLICAS", 1);
    // BENCH_WORKLOADS=0: members store and serve what Flotilla applies but run no pods, so the
    // numbers are the control plane's own.
    let workloads = env_usize("BENCH_WORKLOADS", 1) != 0;
    let dir = tempfile::tempdir().expect("tempdir");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    eprintln!("starting flotilla up with {members} members ...");
    let _fleet = start_fleet(dir.path(), members, workloads);
    runtime.block_on(async {
        let data = dir.path().join(".flotilla");
        let fed = client(&data.join("kubeconfig")).await;
        let seen: Seen = Arc::default();
        for m in 0..members {
            let path: PathBuf = data
                .join("members")
                .join(format!("member{}.kubeconfig", m + 1));
            watch_member(m, client(&path).await, Arc::clone(&seen));
        }
        let policy: DynamicObject = serde_json::from_value(json!({
            "apiVersion": "policy.karmada.io/v1alpha1",
            "kind": "PropagationPolicy",
            "metadata": {"name": "bench", "namespace": "default"},
            "spec": {
                "resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment",
                    "labelSelector": {"matchLabels": {"bench": "propagation"}}}],
                "placement": {"replicaScheduling": {"replicaSchedulingType": "Duplicated"}}
            }
        }))
        .expect("policy");
        let ar = kube::api::ApiResource {
            group: "policy.karmada.io".into(),
            version: "v1alpha1".into(),
            api_version: "policy.karmada.io/v1alpha1".into(),
            kind: "PropagationPolicy".into(),
            plural: "propagationpolicies".into(),
        };
        Api::<DynamicObject>::namespaced_with(fed.clone(), "default", &ar)
            .create(&PostParams::default(), &policy)
            .await
            .expect("create the policy");
        let deployments: Api<Deployment> = Api::namespaced(fed.clone(), "default");

        // 1. Latency at a steady rate.
        eprintln!("latency: {count} Deployments at {rate}/s to {members} members ...");
        let created: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
        let names: Vec<String> = (0..count).map(|i| format!("lat-{i}")).collect();
        let interval = Duration::from_secs_f64(1.0 / rate as f64);
        let mut ticker = tokio::time::interval(interval);
        let mut tasks = Vec::new();
        for name in &names {
            ticker.tick().await;
            let api = deployments.clone();
            let created = Arc::clone(&created);
            let d = deployment(name, replicas);
            let name = name.clone();
            tasks.push(tokio::spawn(async move {
                let start = Instant::now();
                api.create(&PostParams::default(), &d).await.expect("create");
                created.lock().unwrap().insert(name, start);
            }));
        }
        for t in tasks {
            t.await.expect("create task");
        }
        wait_all(&seen, &names, members, Duration::from_secs(300)).await;
        let mut latencies: Vec<Duration> = {
            let seen = seen.lock().unwrap();
            let created = created.lock().unwrap();
            names
                .iter()
                .flat_map(|n| {
                    (0..members).map(move |m| (m, n))
                })
                .map(|(m, n)| seen[&(m, n.clone())].saturating_duration_since(created[n]))
                .collect()
        };
        latencies.sort();
        println!(
            "propagation latency ({count} Deployments x {members} members at {rate}/s, replicas {replicas}, simulated workloads {workloads}): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} samples)",
            percentile(&latencies, 0.50).as_secs_f64() * 1000.0,
            percentile(&latencies, 0.99).as_secs_f64() * 1000.0,
            latencies.last().copied().unwrap_or_default().as_secs_f64() * 1000.0,
            latencies.len()
        );

        // 2. Throughput: a burst.
        eprintln!("throughput: {count} more Deployments as fast as possible ...");
        let names: Vec<String> = (0..count).map(|i| format!("tput-{i}")).collect();
        let start = Instant::now();
        let chunks: Vec<Vec<String>> = names
            .chunks(count.div_ceil(CLIENTS))
            .map(|c| c.to_vec())
            .collect();
        let mut tasks = Vec::new();
        for chunk in chunks {
            let api = deployments.clone();
            tasks.push(tokio::spawn(async move {
                for name in chunk {
                    api.create(&PostParams::default(), &deployment(&name, replicas))
                        .await
                        .expect("create");
                }
            }));
        }
        for t in tasks {
            t.await.expect("create task");
        }
        let created_in = start.elapsed();
        wait_all(&seen, &names, members, Duration::from_secs(600)).await;
        let took = start.elapsed();
        let works = count * members;
        println!(
            "work throughput: {works} Works applied in {:.2} s = {:.0} Works/s (creates took {:.2} s)",
            took.as_secs_f64(),
            works as f64 / took.as_secs_f64(),
            created_in.as_secs_f64()
        );
    });
}
