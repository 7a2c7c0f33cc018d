//! `flotilla up`: a whole local fleet in one command — the API server on the embedded store, the
//! scheduler, the controller-manager and N simulated members, joined — in this one process.
//! State lives in the data directory, so running it again resumes the same fleet.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use clap::Args;
use flotilla_api::Cluster;
use kube::Api;
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// How long `flotilla up` waits for every member to be Ready before it says what is wrong.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// The banner's first words; scripts and tests wait for them.
pub const READY_LINE: &str = "Flotilla is up";
/// How long the pieces get to stop after Ctrl-C.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Args, Debug)]
pub struct UpOptions {
    /// Simulated members: a count (named member1, member2, ...) or comma-separated names.
    /// Default: the members of the fleet in --data-dir, or 3 for a new fleet.
    #[arg(long)]
    members: Option<String>,
    /// Where the fleet keeps its state, kubeconfigs and log.
    #[arg(long, default_value = ".flotilla")]
    data_dir: PathBuf,
    /// The federation API server's port; member N listens on PORT+N. 0 picks free ports.
    #[arg(long, default_value_t = 6443)]
    port: u16,
    /// Simulated nodes per member.
    #[arg(long, default_value_t = 3)]
    nodes: u32,
    /// How long a simulated pod takes to become Running and Ready.
    #[arg(long, default_value = "500ms", value_parser = crate::parse_duration)]
    pod_ready_delay: Duration,
    /// Members serve the API and nodes only: no simulated pods or workload controllers (for
    /// measuring the control plane alone).
    #[arg(long)]
    no_workloads: bool,
    /// Serve the controller-manager's Prometheus metrics on this address.
    #[arg(long)]
    metrics_listen: Option<SocketAddr>,
}

/// One member as the fleet file records it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct MemberSpec {
    name: String,
    provider: String,
    region: String,
    zones: Vec<String>,
}

/// `DATA_DIR/fleet.json`: what `flotilla up` resumes.
#[derive(Debug, Default, Serialize, Deserialize)]
struct FleetFile {
    members: Vec<MemberSpec>,
}

/// Distinct, recognisable locations for simulated members, used in turn.
const LOCATIONS: [(&str, &str, [&str; 2]); 6] = [
    ("aws", "us-east-1", ["us-east-1a", "us-east-1b"]),
    ("gcp", "europe-west1", ["europe-west1-b", "europe-west1-c"]),
    ("azure", "japaneast", ["japaneast-1", "japaneast-2"]),
    ("aws", "eu-central-1", ["eu-central-1a", "eu-central-1b"]),
    ("gcp", "us-west1", ["us-west1-a", "us-west1-b"]),
    (
        "azure",
        "australiaeast",
        ["australiaeast-1", "australiaeast-2"],
    ),
];

impl UpOptions {
    /// The log file of a fleet (also where `main` sends tracing output for `up`).
    pub fn log_path(&self) -> PathBuf {
        self.data_dir.join("flotilla.log")
    }

    fn member_specs(&self, saved: &FleetFile) -> Result<Vec<MemberSpec>> {
        let names: Vec<String> = match self.members.as_deref().map(str::trim) {
            None if !saved.members.is_empty() => return Ok(saved.members.clone()),
            None => (1..=3).map(|i| format!("member{i}")).collect(),
            Some(s) if s.chars().all(|c| c.is_ascii_digit()) => {
                let n: usize = s.parse().context("--members: not a number")?;
                if n == 0 || n > 50 {
                    bail!("--members {n}: choose between 1 and 50 members");
                }
                (1..=n).map(|i| format!("member{i}")).collect()
            }
            Some(s) => s
                .split(',')
                .map(|n| n.trim().to_owned())
                .filter(|n| !n.is_empty())
                .collect(),
        };
        let mut seen = std::collections::BTreeSet::new();
        for name in &names {
            let valid = !name.is_empty()
                && name.len() <= 48
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !name.starts_with('-')
                && !name.ends_with('-');
            if !valid {
                bail!(
                    "--members: {name:?} is not a valid cluster name (lowercase letters, digits and '-', at most 48 characters)"
                );
            }
            if !seen.insert(name) {
                bail!("--members: {name:?} is listed twice");
            }
        }
        Ok(names
            .into_iter()
            .enumerate()
            .map(|(i, name)| {
                // A member the fleet already had keeps its location.
                if let Some(known) = saved.members.iter().find(|m| m.name == name) {
                    return known.clone();
                }
                let (provider, region, zones) = LOCATIONS[i % LOCATIONS.len()];
                MemberSpec {
                    name,
                    provider: provider.to_owned(),
                    region: region.to_owned(),
                    zones: zones.iter().map(|z| (*z).to_owned()).collect(),
                }
            })
            .collect())
    }

    fn port(&self, offset: usize) -> Result<u16> {
        if self.port == 0 {
            return Ok(0);
        }
        u16::try_from(usize::from(self.port) + offset)
            .context("--port is too high for this many members")
    }
}

async fn bind(port: u16, what: &str) -> Result<TcpListener> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, port))
        .await
        .with_context(|| {
            format!(
                "cannot listen on 127.0.0.1:{port} for {what}: is another `flotilla up` running? Stop it, or choose other ports with --port"
            )
        })
}

pub async fn run(opts: UpOptions) -> Result<()> {
    let dir = &opts.data_dir;
    std::fs::create_dir_all(dir.join("members"))
        .with_context(|| format!("cannot create {}", dir.display()))?;
    let fleet_path = dir.join("fleet.json");
    let saved: FleetFile = match std::fs::read(&fleet_path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .with_context(|| format!("{} is not a fleet file", fleet_path.display()))?,
        Err(_) => FleetFile::default(),
    };
    let resuming = !saved.members.is_empty();
    let members = opts.member_specs(&saved)?;
    let dropped: Vec<&str> = saved
        .members
        .iter()
        .filter(|m| !members.iter().any(|n| n.name == m.name))
        .map(|m| m.name.as_str())
        .collect();
    let shutdown = CancellationToken::new();
    let mut tasks: JoinSet<Result<()>> = JoinSet::new();
    let started = Instant::now();

    // 1. The federation API server.
    eprintln!(
        "{} the Flotilla control plane in {} ...",
        if resuming { "Resuming" } else { "Starting" },
        dir.display()
    );
    let store_path = dir.join("state.db");
    let store = flotilla_storage::sqlite::SqliteStore::open(&store_path)
        .await
        .with_context(|| format!("cannot open the embedded store at {}", store_path.display()))?;
    let server = flotilla_apiserver::ApiServer::new(Arc::new(store), Default::default())
        .await
        .context("cannot start the API server")?;
    let listener = bind(opts.port, "the API server").await?;
    let api_addr = listener.local_addr()?;
    let api_url = format!("http://{api_addr}");
    let kubeconfig = dir.join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        flotilla_apiserver::kubeconfig_yaml(&api_url, "flotilla"),
    )
    .with_context(|| format!("cannot write {}", kubeconfig.display()))?;
    let stop = shutdown.clone();
    // Servers stop after the controllers, so nothing they watch disappears under them.
    let server_stop = CancellationToken::new();
    let server_token = server_stop.clone();
    let server_task = tokio::spawn(async move {
        server
            .serve(listener, server_token.cancelled_owned())
            .await
            .context("the API server failed")
    });
    let client = crate::client_from(&kubeconfig).await?;

    // 2. The members.
    let mut running = Vec::new();
    for (i, m) in members.iter().enumerate() {
        eprintln!("Starting member {} ...", m.name);
        let member_dir = dir.join("members").join(&m.name);
        let listen = SocketAddr::from((Ipv4Addr::LOCALHOST, opts.port(i + 1)?));
        let member_kubeconfig = dir.join("members").join(format!("{}.kubeconfig", m.name));
        let mut member_opts = flotilla_sim::MemberOptions::new(&m.name, listen);
        member_opts.data_dir = Some(member_dir);
        member_opts.nodes = opts.nodes;
        member_opts.pod_ready_delay = opts.pod_ready_delay;
        member_opts.kubeconfig_out = Some(member_kubeconfig.clone());
        member_opts.workloads = !opts.no_workloads;
        let member = flotilla_sim::start(member_opts, server_stop.clone())
            .await
            .with_context(|| format!("cannot start member {}", m.name))?;
        running.push((m.clone(), member.addr(), member_kubeconfig, member));
    }

    // 3. The scheduler and the controller-manager.
    let ctx = flotilla_controllers::Context::new(client.clone(), shutdown.clone());
    let metrics = Arc::clone(&ctx.metrics);
    let manager_opts = flotilla_controllers::manager::ManagerOptions::default();
    tasks.spawn(async move {
        flotilla_controllers::manager::run(ctx, manager_opts)
            .await
            .context("the controller-manager failed")
    });
    let sched_client = client.clone();
    let sched_stop = stop.clone();
    tasks.spawn(async move {
        flotilla_scheduler::service::run_scheduler(
            sched_client,
            Default::default(),
            sched_stop.cancelled_owned(),
        )
        .await
        .context("the scheduler failed")
    });
    let metrics_addr = match opts.metrics_listen {
        Some(addr) => {
            let listener = TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot serve metrics on {addr}"))?;
            let addr = listener.local_addr()?;
            let stop = shutdown.clone();
            tasks.spawn(async move {
                flotilla_controllers::manager::serve_metrics(
                    listener,
                    metrics,
                    stop.cancelled_owned(),
                )
                .await
                .context("the metrics server failed")
            });
            Some(addr)
        }
        None => None,
    };

    // 4. Join the members (again, when resuming: endpoints may have changed).
    for (m, _, member_kubeconfig, _) in &running {
        let raw = kube::config::Kubeconfig::read_from(member_kubeconfig)
            .with_context(|| format!("cannot read {}", member_kubeconfig.display()))?;
        flotilla_controllers::cluster::join(
            &client,
            &m.name,
            &raw,
            None,
            &flotilla_controllers::cluster::JoinSpec {
                provider: Some(m.provider.clone()),
                region: Some(m.region.clone()),
                zones: m.zones.clone(),
                ..Default::default()
            },
        )
        .await
        .with_context(|| format!("cannot join member {}", m.name))?;
    }
    std::fs::write(
        &fleet_path,
        serde_json::to_vec_pretty(&FleetFile {
            members: members.clone(),
        })?,
    )
    .with_context(|| format!("cannot write {}", fleet_path.display()))?;

    // 5. Wait until every member is Ready, saying which one we wait for.
    wait_ready(&client, &members, &opts.log_path()).await?;

    print_banner(
        &opts,
        &api_url,
        &kubeconfig,
        &running
            .iter()
            .map(|(m, addr, k, _)| (m, *addr, k.as_path()))
            .collect::<Vec<_>>(),
        metrics_addr,
        &dropped,
        started.elapsed(),
    );

    // 6. Run until Ctrl-C or until a piece fails.
    let outcome = tokio::select! {
        _ = tokio::signal::ctrl_c() => Ok(()),
        Some(done) = tasks.join_next() => match done {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(e),
            Err(e) => Err(anyhow::anyhow!("a component panicked: {e}")),
        },
    };
    eprintln!("\nStopping the fleet ...");
    shutdown.cancel();
    let drain = async {
        while tasks.join_next().await.is_some() {}
        server_stop.cancel();
        for (_, _, _, member) in running {
            let _ = member.wait().await;
        }
        let _ = server_task.await;
    };
    if tokio::time::timeout(STOP_TIMEOUT, drain).await.is_err() {
        eprintln!("Some pieces did not stop within {STOP_TIMEOUT:?}; exiting anyway.");
    }
    eprintln!("Stopped. Run `flotilla up` again to resume this fleet.");
    outcome
}

async fn wait_ready(client: &kube::Client, members: &[MemberSpec], log: &Path) -> Result<()> {
    let api: Api<Cluster> = Api::all(client.clone());
    let deadline = Instant::now() + READY_TIMEOUT;
    let mut announced = std::collections::BTreeSet::new();
    loop {
        let mut waiting = Vec::new();
        for m in members {
            let ready = api
                .get_opt(&m.name)
                .await?
                .and_then(|c| c.status)
                .is_some_and(|s| {
                    s.conditions
                        .iter()
                        .any(|c| c.type_ == "Ready" && c.status == "True")
                });
            if !ready {
                waiting.push(m.name.as_str());
            }
        }
        if waiting.is_empty() {
            return Ok(());
        }
        for name in &waiting {
            if announced.insert(name.to_string()) {
                eprintln!("Waiting for member {name} to be Ready ...");
            }
        }
        if Instant::now() >= deadline {
            bail!(
                "members {} did not become Ready within {READY_TIMEOUT:?}; see `kubectl describe cluster {}` and the log {}",
                waiting.join(", "),
                waiting[0],
                log.display()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn print_banner(
    opts: &UpOptions,
    api_url: &str,
    kubeconfig: &Path,
    members: &[(&MemberSpec, SocketAddr, &Path)],
    metrics: Option<SocketAddr>,
    dropped: &[&str],
    took: Duration,
) {
    let width = members
        .iter()
        .map(|(m, _, _)| m.name.len())
        .max()
        .unwrap_or(0)
        .max("control plane".len());
    let mut out = String::new();
    out.push_str(&format!(
        "{} (in {:.1}s): a control plane and {} member cluster{}.\n\n",
        READY_LINE,
        took.as_secs_f64(),
        members.len(),
        if members.len() == 1 { "" } else { "s" }
    ));
    out.push_str(&format!(
        "  {:width$}  {api_url:<22}  kubeconfig {}\n",
        "control plane",
        kubeconfig.display()
    ));
    for (m, addr, k) in members {
        out.push_str(&format!(
            "  {:width$}  {:<22}  kubeconfig {}  ({} {}, zones {})\n",
            m.name,
            format!("http://{addr}"),
            k.display(),
            m.provider,
            m.region,
            m.zones.join(",")
        ));
    }
    if let Some(addr) = metrics {
        out.push_str(&format!("  {:width$}  http://{addr}/metrics\n", "metrics"));
    }
    let first = members
        .first()
        .map(|(m, _, _)| m.name.as_str())
        .unwrap_or("member1");
    out.push_str(&format!(
        "\nTry it (in another terminal):\n\
         \x20 export KUBECONFIG={kc}\n\
         \x20 kubectl get clusters\n\
         \x20 kubectl apply -f docs/examples/nginx.yaml      # a Deployment + a weighted PropagationPolicy\n\
         \x20 kubectl get deployment nginx                    # fleet-wide READY count\n\
         \x20 kubectl get resourcebindings,works -A           # where it went, and why (kubectl describe rb)\n\
         \x20 kubectl --kubeconfig {dir}/members/{first}.kubeconfig get pods -A\n\
         \nWalkthrough: docs/getting-started.md. Log: {log}.\n\
         Ctrl-C stops the fleet; `flotilla up{dd}` again resumes it.\n",
        kc = absolute(kubeconfig).display(),
        dir = opts.data_dir.display(),
        log = opts.log_path().display(),
        dd = if opts.data_dir == Path::new(".flotilla") {
            String::new()
        } else {
            format!(" --data-dir {}", opts.data_dir.display())
        },
    ));
    if !dropped.is_empty() {
        out.push_str(&format!(
            "\nNote: {} of the previous fleet {} not started; remove {} with `flotilla unjoin NAME`.\n",
            dropped.join(", "),
            if dropped.len() == 1 { "was" } else { "were" },
            if dropped.len() == 1 { "it" } else { "them" },
        ));
    }
    print!("{out}");
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}
