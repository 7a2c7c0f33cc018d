//! API server speed, measured on this machine in one run (`cargo bench --bench apiserver`):
//!
//! 1. raw etcd put throughput, 64 concurrent clients, 1 KiB values (the baseline);
//! 2. Flotilla create throughput of 1 KiB ConfigMaps, 64 concurrent clients, on etcd and on the
//!    embedded store (kube-rs clients over HTTP, as our controllers talk to the server);
//! 3. LIST latency (p50/p99) of 10,000 1 KiB ConfigMaps served from the watch cache;
//! 4. watch fan-out: the latency from a write's acknowledgement to its event reaching each of
//!    1,000 watchers (p50/p99).
//!
//! Sizes can be lowered for a quick look: `BENCH_CREATES=2000 BENCH_WATCHERS=100 cargo bench ...`.
//! The results go into docs/benchmarks.md by hand, with the machine they were taken on.

use std::sync::Arc;
use std::time::{Duration, Instant};

use flotilla_apiserver::{ApiServer, Config};
use flotilla_storage::Storage;
use flotilla_storage::testing::EtcdProcess;
use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, PostParams, WatchEvent, WatchParams};

const CLIENTS: usize = 64;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn value_1k() -> String {
    "x".repeat(1024)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn raw_etcd_puts(endpoint: &str, total: usize) -> f64 {
    let client = etcd_client::Client::connect([endpoint], None)
        .await
        .expect("etcd");
    let value = value_1k();
    let started = Instant::now();
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|t| {
            let mut kv = client.kv_client();
            let value = value.clone();
            tokio::spawn(async move {
                for i in (t..total).step_by(CLIENTS) {
                    kv.put(format!("/bench/raw/{i:08}"), value.as_bytes(), None)
                        .await
                        .expect("put");
                }
            })
        })
        .collect();
    futures::future::join_all(tasks).await;
    total as f64 / started.elapsed().as_secs_f64()
}

/// An API server on `store`, served on a loopback port; returns a kube client for it.
async fn serve(store: Arc<dyn Storage>) -> kube::Client {
    let server = ApiServer::new(store, Config::default())
        .await
        .expect("apiserver");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = server.serve(listener, std::future::pending()).await;
    });
    let config = kube::Config::new(format!("http://{addr}").parse().expect("url"));
    kube::Client::try_from(config).expect("client")
}

async fn creates(client: &kube::Client, ns: &str, total: usize) -> f64 {
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), ns);
    let value = value_1k();
    let started = Instant::now();
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|t| {
            let api = api.clone();
            let value = value.clone();
            tokio::spawn(async move {
                for i in (t..total).step_by(CLIENTS) {
                    let cm: ConfigMap = serde_json::from_value(serde_json::json!({
                        "metadata": {"name": format!("cm-{i:08}")},
                        "data": {"v": value},
                    }))
                    .expect("configmap");
                    api.create(&PostParams::default(), &cm)
                        .await
                        .expect("create");
                }
            })
        })
        .collect();
    futures::future::join_all(tasks).await;
    total as f64 / started.elapsed().as_secs_f64()
}

async fn list_latency(
    client: &kube::Client,
    ns: &str,
    rounds: usize,
) -> (Duration, Duration, usize) {
    let mut samples = Vec::with_capacity(rounds);
    let mut bytes = 0;
    for _ in 0..rounds {
        let req = http::Request::get(format!("/api/v1/namespaces/{ns}/configmaps"))
            .body(Vec::new())
            .expect("request");
        let started = Instant::now();
        let body = client.request_text(req).await.expect("list");
        samples.push(started.elapsed());
        bytes = body.len();
    }
    samples.sort();
    (percentile(&samples, 0.5), percentile(&samples, 0.99), bytes)
}

async fn watch_fanout(
    client: &kube::Client,
    ns: &str,
    watchers: usize,
    writes: usize,
) -> (Duration, Duration, usize) {
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), ns);
    let rv = api
        .list(&Default::default())
        .await
        .expect("list")
        .metadata
        .resource_version
        .expect("rv");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(String, Instant)>();
    let ready = Arc::new(tokio::sync::Semaphore::new(0));
    for _ in 0..watchers {
        let api = api.clone();
        let tx = tx.clone();
        let rv = rv.clone();
        let ready = Arc::clone(&ready);
        tokio::spawn(async move {
            let stream = api
                .watch(&WatchParams::default().timeout(290), &rv)
                .await
                .expect("watch");
            ready.add_permits(1);
            let mut stream = stream.boxed();
            while let Ok(Some(event)) = stream.try_next().await {
                if let WatchEvent::Added(cm) = event {
                    let name = cm.metadata.name.unwrap_or_default();
                    if tx.send((name, Instant::now())).is_err() {
                        return;
                    }
                }
            }
        });
    }
    drop(tx);
    let _ = ready
        .acquire_many(watchers as u32)
        .await
        .expect("watchers ready");
    let mut acked = std::collections::HashMap::new();
    let value = value_1k();
    for i in 0..writes {
        let cm: ConfigMap = serde_json::from_value(serde_json::json!({
            "metadata": {"name": format!("fan-{i:05}")},
            "data": {"v": value},
        }))
        .expect("configmap");
        api.create(&PostParams::default(), &cm)
            .await
            .expect("create");
        acked.insert(format!("fan-{i:05}"), Instant::now());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut samples = Vec::with_capacity(watchers * writes);
    let deadline = Instant::now() + Duration::from_secs(60);
    while samples.len() < watchers * writes && Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_secs(5), rx.recv()).await {
            Ok(Some((name, at))) => {
                if let Some(written) = acked.get(&name) {
                    samples.push(at.saturating_duration_since(*written));
                }
            }
            _ => break,
        }
    }
    let delivered = samples.len();
    samples.sort();
    (
        percentile(&samples, 0.5),
        percentile(&samples, 0.99),
        delivered,
    )
}

fn main() {
    // `cargo bench` passes --bench; test runners that list or run every target must not spend
    // minutes measuring a debug build.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let creates_n = env_usize("BENCH_CREATES", 20_000);
        let list_objects = env_usize("BENCH_LIST_OBJECTS", 10_000);
        let watchers = env_usize("BENCH_WATCHERS", 1_000);
        let etcd = EtcdProcess::start().await.expect("etcd (apt-get install -y etcd-server)");
        let endpoint = etcd.endpoints()[0].clone();

        let raw = raw_etcd_puts(&endpoint, creates_n).await;
        println!("raw etcd put, {CLIENTS} clients, 1 KiB: {raw:.0} puts/s");

        let etcd_store: Arc<dyn Storage> = Arc::new(etcd.store("/flotilla-bench").await.expect("etcd store"));
        let client = serve(etcd_store).await;
        let on_etcd = creates(&client, "default", creates_n).await;
        println!(
            "flotilla create on etcd, {CLIENTS} clients, 1 KiB ConfigMaps: {on_etcd:.0} creates/s ({:.0}% of raw etcd)",
            100.0 * on_etcd / raw
        );

        let dir = tempfile::tempdir().expect("temp dir");
        let sqlite: Arc<dyn Storage> = Arc::new(
            flotilla_storage::SqliteStore::open(&dir.path().join("state.db")).await.expect("sqlite"),
        );
        let client = serve(sqlite).await;
        let embedded = creates(&client, "default", creates_n).await;
        println!(
            "flotilla create on the embedded store, {CLIENTS} clients, 1 KiB ConfigMaps: {embedded:.0} creates/s ({:.0}% of raw etcd)",
            100.0 * embedded / raw
        );

        // LIST: exactly `list_objects` ConfigMaps in their own namespace.
        let ns_api: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(client.clone());
        let ns: k8s_openapi::api::core::v1::Namespace =
            serde_json::from_value(serde_json::json!({"metadata": {"name": "list"}})).expect("ns");
        ns_api.create(&PostParams::default(), &ns).await.expect("namespace");
        creates(&client, "list", list_objects).await;
        let (p50, p99, bytes) = list_latency(&client, "list", 100).await;
        println!(
            "LIST of {list_objects} 1 KiB ConfigMaps ({:.1} MiB): p50 {:.1} ms, p99 {:.1} ms",
            bytes as f64 / (1024.0 * 1024.0),
            ms(p50),
            ms(p99)
        );

        let ns: k8s_openapi::api::core::v1::Namespace =
            serde_json::from_value(serde_json::json!({"metadata": {"name": "fanout"}})).expect("ns");
        ns_api.create(&PostParams::default(), &ns).await.expect("namespace");
        let writes = 50;
        let (p50, p99, delivered) = watch_fanout(&client, "fanout", watchers, writes).await;
        println!(
            "watch fan-out to {watchers} watchers, {writes} events: p50 {:.1} ms, p99 {:.1} ms ({delivered} of {} deliveries)",
            ms(p50),
            ms(p99),
            watchers * writes
        );
    });
}
