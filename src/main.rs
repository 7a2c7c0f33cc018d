//! `flotilla`: the command-line entry point. Parses flags and wires components; the logic lives
//! in the library crates.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use flotilla_storage::Storage;

/// glibc's malloc spent a quarter of the CPU under the many-threaded load of a fleet (perf, see
/// docs/benchmarks.md); mimalloc's per-thread heaps do not contend.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod join;
mod member_sim;
mod simulate;
mod up;

#[derive(Parser)]
#[command(
    name = "flotilla",
    version,
    about = "A federated Kubernetes control plane"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the Kubernetes-compatible API server.
    Apiserver(ApiserverOptions),
    /// Run the controllers (the resource detector) against a Flotilla API server.
    ControllerManager(ControllerManagerOptions),
    /// Run the scheduler: place ResourceBindings on member clusters.
    Scheduler(SchedulerOptions),
    /// Show where a workload would be placed, without a server.
    Simulate(simulate::SimulateOptions),
    /// Run a simulated member cluster: the Kubernetes API plus kwok-style nodes and workloads.
    MemberSim(member_sim::MemberSimOptions),
    /// Join a member cluster to the federation (Push mode).
    Join(join::JoinOptions),
    /// Remove a member cluster: its Works and their objects in the member, then the Cluster.
    Unjoin(join::UnjoinOptions),
    /// Start a whole local fleet: control plane and simulated members, joined.
    Up(up::UpOptions),
}

#[derive(Args, Debug)]
struct ControllerManagerOptions {
    /// Kubeconfig of the Flotilla API server to control.
    #[arg(long, env = "KUBECONFIG")]
    kubeconfig: PathBuf,
    /// Controllers to run, in Karmada's syntax: `*` for all, `name` to enable one, `-name` to
    /// disable one (e.g. `*,-namespace`). Known: detector, cluster, clusterStatus, binding,
    /// namespace, execution, bindingStatus.
    #[arg(long, default_value = "*")]
    controllers: String,
    /// Serve Prometheus metrics (`/metrics`) and `/healthz` on this address.
    #[arg(long, default_value = "127.0.0.1:10358")]
    metrics_bind_address: std::net::SocketAddr,
    /// Templates reconciled concurrently by the detector.
    #[arg(long, default_value_t = 16)]
    concurrent_template_syncs: usize,
    /// Bindings turned into Works concurrently.
    #[arg(long, default_value_t = 16)]
    concurrent_binding_syncs: usize,
    /// Works applied concurrently per member cluster.
    #[arg(long, default_value_t = 8)]
    concurrent_work_syncs: usize,
    /// How often member clusters are probed and their status written.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    cluster_status_update_frequency: Duration,
    /// How long probes must fail before a cluster is marked not Ready.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    cluster_failure_threshold: Duration,
    /// Delete the ResourceBinding of a template whose policy is deleted (Karmada keeps it, and
    /// so does Flotilla by default).
    #[arg(long)]
    delete_released_bindings: bool,
}

impl ControllerManagerOptions {
    fn validate(&self) -> Result<flotilla_controllers::manager::ManagerOptions> {
        if !self.kubeconfig.exists() {
            bail!(
                "kubeconfig {} does not exist; point --kubeconfig at the file `flotilla apiserver` wrote",
                self.kubeconfig.display()
            );
        }
        for (flag, n) in [
            (
                "--concurrent-template-syncs",
                self.concurrent_template_syncs,
            ),
            ("--concurrent-binding-syncs", self.concurrent_binding_syncs),
            ("--concurrent-work-syncs", self.concurrent_work_syncs),
        ] {
            if n == 0 {
                bail!("{flag} must be at least 1");
            }
        }
        let mut opts = flotilla_controllers::manager::ManagerOptions {
            controllers: self.controllers.clone(),
            ..Default::default()
        };
        opts.enabled()?;
        opts.detector.queue.workers = self.concurrent_template_syncs;
        opts.detector.released_bindings = if self.delete_released_bindings {
            flotilla_controllers::ReleasedBindings::Delete
        } else {
            flotilla_controllers::ReleasedBindings::Keep
        };
        opts.binding.queue.workers = self.concurrent_binding_syncs;
        opts.execution.queue.workers = self.concurrent_work_syncs;
        opts.cluster_status.period = self.cluster_status_update_frequency;
        opts.cluster_status.failure_threshold = self.cluster_failure_threshold;
        Ok(opts)
    }
}

/// A kube-rs client for the API server a kubeconfig points at.
/// Logs go to stderr, except for `flotilla up`, whose terminal shows the banner and whose logs
/// go to its data directory. `FLOTILLA_LOG` filters them (default `info`).
fn init_logging(cli: &Cli) -> Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_env("FLOTILLA_LOG")
        .unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if let Command::Up(opts) = &cli.command {
        let path = opts.log_path();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .with_context(|| format!("cannot open the log file {}", path.display()))?;
        builder
            .with_ansi(false)
            .with_writer(std::sync::Mutex::new(file))
            .init();
    } else {
        builder.with_writer(std::io::stderr).init();
    }
    Ok(())
}

pub(crate) async fn client_from(kubeconfig: &std::path::Path) -> Result<kube::Client> {
    let raw = kube::config::Kubeconfig::read_from(kubeconfig)
        .with_context(|| format!("cannot read kubeconfig {}", kubeconfig.display()))?;
    let config = kube::Config::from_custom_kubeconfig(raw, &Default::default())
        .await
        .with_context(|| format!("invalid kubeconfig {}", kubeconfig.display()))?;
    Ok(kube::Client::try_from(config)?)
}

async fn run_controller_manager(opts: ControllerManagerOptions) -> Result<()> {
    let manager = opts.validate()?;
    let client = client_from(&opts.kubeconfig).await?;
    let shutdown = tokio_util::sync::CancellationToken::new();
    let ctx = flotilla_controllers::Context::new(client, shutdown.clone());
    let listener = tokio::net::TcpListener::bind(opts.metrics_bind_address)
        .await
        .with_context(|| {
            format!(
                "cannot serve metrics on {} (in use? choose another with --metrics-bind-address)",
                opts.metrics_bind_address
            )
        })?;
    let metrics_addr = listener.local_addr()?;
    let metrics = tokio::spawn(flotilla_controllers::manager::serve_metrics(
        listener,
        std::sync::Arc::clone(&ctx.metrics),
        shutdown.clone().cancelled_owned(),
    ));
    eprintln!(
        "Flotilla controller-manager is running against {} (controllers: {}; metrics on http://{metrics_addr}/metrics). Ctrl-C to stop.",
        opts.kubeconfig.display(),
        manager
            .enabled()?
            .into_iter()
            .collect::<Vec<_>>()
            .join(", "),
    );
    let stop = shutdown.clone();
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        stop.cancel();
    });
    let result = flotilla_controllers::manager::run(ctx, manager).await;
    shutdown.cancel();
    let _ = metrics.await;
    result?;
    Ok(())
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum SchedulerEvents {
    /// No events.
    Off,
    /// ScheduleBindingFailed only.
    Failures,
    /// ScheduleBindingSucceed too (one more write per scheduled binding).
    All,
}

#[derive(Args, Debug)]
struct SchedulerOptions {
    /// Kubeconfig of the Flotilla API server whose bindings to schedule.
    #[arg(long, env = "KUBECONFIG")]
    kubeconfig: PathBuf,
    /// Schedule the bindings whose spec.schedulerName is this (empty means default-scheduler).
    #[arg(long, default_value = flotilla_scheduler::service::DEFAULT_SCHEDULER_NAME)]
    scheduler_name: String,
    /// Bindings scheduled concurrently.
    #[arg(long, default_value_t = 16)]
    workers: usize,
    /// Scheduler plugins, as Karmada's --plugins: `*` for all, `*,-Name` to disable one.
    #[arg(long, default_value = "*")]
    plugins: String,
    /// Keep selected clusters that received 0 replicas in the result (Karmada's flag).
    #[arg(long)]
    enable_empty_workload_propagation: bool,
    /// Which results are recorded as Kubernetes Events.
    #[arg(long, value_enum, default_value = "failures")]
    events: SchedulerEvents,
}

impl SchedulerOptions {
    fn validate(&self) -> Result<flotilla_scheduler::service::SchedulerOptions> {
        if !self.kubeconfig.exists() {
            bail!(
                "kubeconfig {} does not exist; point --kubeconfig at the file `flotilla apiserver` wrote",
                self.kubeconfig.display()
            );
        }
        let opts = flotilla_scheduler::service::SchedulerOptions {
            scheduler_name: self.scheduler_name.clone(),
            workers: self.workers,
            plugins: self.plugins.clone(),
            enable_empty_workload_propagation: self.enable_empty_workload_propagation,
            events: match self.events {
                SchedulerEvents::Off => flotilla_scheduler::service::EventMode::Off,
                SchedulerEvents::Failures => flotilla_scheduler::service::EventMode::Failures,
                SchedulerEvents::All => flotilla_scheduler::service::EventMode::All,
            },
            ..Default::default()
        };
        opts.validate()?;
        Ok(opts)
    }
}

async fn run_scheduler(opts: SchedulerOptions) -> Result<()> {
    let scheduler = opts.validate()?;
    let client = client_from(&opts.kubeconfig).await?;
    eprintln!(
        "Flotilla scheduler is running against {} (Ctrl-C to stop).",
        opts.kubeconfig.display()
    );
    flotilla_scheduler::service::run_scheduler(client, scheduler, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}

#[derive(Args, Debug)]
struct ApiserverOptions {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:6443")]
    listen: SocketAddr,
    /// Keep state in the embedded store in this directory (the default store).
    #[arg(long, conflicts_with = "etcd_servers")]
    data_dir: Option<PathBuf>,
    /// Keep state in etcd instead (comma-separated client URLs).
    #[arg(long, value_delimiter = ',')]
    etcd_servers: Vec<String>,
    /// Key prefix in etcd, so several control planes can share one etcd.
    #[arg(long, default_value = "/flotilla")]
    etcd_prefix: String,
    /// Write a kubeconfig for this server here (default: DATA_DIR/kubeconfig).
    #[arg(long)]
    kubeconfig_out: Option<PathBuf>,
    /// How often old revisions are compacted (e.g. 5m, 30s).
    #[arg(long, default_value = "5m", value_parser = parse_duration)]
    compaction_interval: Duration,
    /// How many recent events the watch cache keeps for resuming watches.
    #[arg(long, default_value_t = 100_000)]
    watch_history: usize,
    /// How often idle watches get a bookmark.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    bookmark_interval: Duration,
}

impl ApiserverOptions {
    fn validate(&self) -> Result<()> {
        if self.data_dir.is_none() && self.etcd_servers.is_empty() {
            bail!("choose a store: --data-dir DIR (embedded) or --etcd-servers URL[,URL...]");
        }
        if self.compaction_interval < Duration::from_millis(100) {
            bail!("--compaction-interval must be at least 100ms");
        }
        Ok(())
    }
}

pub(crate) fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = s.split_at(
        s.find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(s.len()),
    );
    let n: f64 = num
        .parse()
        .map_err(|_| format!("invalid duration {s:?} (try 30s, 5m, 1h)"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "" | "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => {
            return Err(format!(
                "invalid duration unit in {s:?} (use ms, s, m or h)"
            ));
        }
    };
    Ok(Duration::from_secs_f64(secs))
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    init_logging(&cli)?;
    match cli.command {
        Command::Apiserver(opts) => run_apiserver(opts).await,
        Command::ControllerManager(opts) => run_controller_manager(opts).await,
        Command::Scheduler(opts) => run_scheduler(opts).await,
        Command::MemberSim(opts) => member_sim::run(opts).await,
        Command::Join(opts) => join::run_join(opts).await,
        Command::Unjoin(opts) => join::run_unjoin(opts).await,
        Command::Up(opts) => up::run(opts).await,
        Command::Simulate(opts) => {
            if !simulate::run(opts)? {
                std::process::exit(1);
            }
            Ok(())
        }
    }
}

async fn run_apiserver(opts: ApiserverOptions) -> Result<()> {
    opts.validate()?;
    let (store, where_): (Arc<dyn Storage>, String) = if let Some(dir) = &opts.data_dir {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let path = dir.join("state.db");
        let store = flotilla_storage::sqlite::SqliteStore::open(&path)
            .await
            .with_context(|| format!("cannot open the embedded store at {}", path.display()))?;
        (
            Arc::new(store),
            format!("embedded store at {}", path.display()),
        )
    } else {
        let store =
            flotilla_storage::etcd::EtcdStore::connect(&opts.etcd_servers, &opts.etcd_prefix)
                .await
                .with_context(|| {
                    format!("cannot connect to etcd at {}", opts.etcd_servers.join(","))
                })?;
        (
            Arc::new(store),
            format!("etcd at {}", opts.etcd_servers.join(",")),
        )
    };
    let config = flotilla_apiserver::Config {
        options: flotilla_apiserver::handlers::ServerOptions {
            bookmark_interval: opts.bookmark_interval,
            ..Default::default()
        },
        watch_history: opts.watch_history,
        compaction_interval: opts.compaction_interval,
    };
    let server = flotilla_apiserver::ApiServer::new(store, config)
        .await
        .context("cannot start the API server")?;
    let listener = tokio::net::TcpListener::bind(opts.listen)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {} (is another server using it? pick one with --listen)",
                opts.listen
            )
        })?;
    let addr = listener.local_addr()?;
    let kubeconfig = opts
        .kubeconfig_out
        .clone()
        .or_else(|| opts.data_dir.as_ref().map(|d| d.join("kubeconfig")));
    if let Some(path) = &kubeconfig {
        std::fs::write(
            path,
            flotilla_apiserver::kubeconfig_yaml(&format!("http://{addr}"), "flotilla"),
        )
        .with_context(|| format!("cannot write {}", path.display()))?;
    }
    eprintln!("Flotilla API server is running on http://{addr} ({where_}).");
    if let Some(path) = &kubeconfig {
        eprintln!(
            "\nUse it with kubectl:\n  export KUBECONFIG={}\n  kubectl get namespaces\n  kubectl apply -f your-manifest.yaml\n",
            path.display()
        );
    }
    eprintln!("Press Ctrl-C to stop.");
    server
        .serve(listener, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
