//! One simulated member cluster, start to stop: its options, the embedded store in its data
//! directory, the API server (plain Kubernetes: no Karmada kinds), its kubeconfig, and the
//! simulator running as a client of that API.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use flotilla_storage::{SqliteStore, StorageError};
use tempfile::TempDir;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::simulator::{self, SimulatorOptions};

/// Events a member's watch cache keeps for watches that resume. Far fewer than a control
/// plane's: several members share one process in `flotilla up`, the history is most of a
/// member's memory, and a watcher that falls further behind simply lists again.
const WATCH_HISTORY: usize = 10_000;

/// How long the API server gets to finish open requests at shutdown (a client's watch would
/// otherwise hold it open until the client goes).
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// What a simulated member cluster is.
#[derive(Debug, Clone)]
pub struct MemberOptions {
    /// The member's name: a DNS label, used for its nodes (`<name>-node-<i>`) and kubeconfig.
    pub name: String,
    /// Where its API listens (port 0: any free port).
    pub listen: SocketAddr,
    /// Where its state lives (`state.db`); `None`: a temporary directory removed when the
    /// member is dropped.
    pub data_dir: Option<PathBuf>,
    /// Nodes created at start when missing.
    pub nodes: u32,
    /// Each node's CPU capacity (a Kubernetes quantity).
    pub node_cpu: String,
    /// Each node's memory capacity (a Kubernetes quantity).
    pub node_memory: String,
    /// Pods each node can run.
    pub node_pods: u32,
    /// How long a bound pod takes to become Running and Ready.
    pub pod_ready_delay: Duration,
    /// Where to write the member's kubeconfig; `None`: `<data_dir>/kubeconfig`.
    pub kubeconfig_out: Option<PathBuf>,
    /// Simulate workloads (pods, controllers, kubelet); `false` keeps only the nodes and API.
    pub workloads: bool,
}

impl MemberOptions {
    /// The defaults: 3 nodes of 8 CPUs, 32Gi and 110 pods each; pods ready after 500ms; state in
    /// a temporary directory.
    pub fn new(name: &str, listen: SocketAddr) -> MemberOptions {
        MemberOptions {
            name: name.to_owned(),
            listen,
            data_dir: None,
            nodes: 3,
            node_cpu: "8".into(),
            node_memory: "32Gi".into(),
            node_pods: 110,
            pod_ready_delay: Duration::from_millis(500),
            kubeconfig_out: None,
            workloads: true,
        }
    }

    /// Checks every option, saying what to change.
    pub fn validate(&self) -> Result<(), Error> {
        let invalid =
            |option: &'static str, reason: String| Err(Error::InvalidOption { option, reason });
        if !is_dns_label(&self.name) {
            return invalid(
                "name",
                format!(
                    "{:?} must be a DNS label: at most 63 lowercase letters, digits and '-', \
                     starting and ending with a letter or digit (e.g. member1)",
                    self.name
                ),
            );
        }
        if self.nodes > 5000 {
            return invalid(
                "nodes",
                format!("{} is too many (at most 5000)", self.nodes),
            );
        }
        for (option, q) in [
            ("node_cpu", &self.node_cpu),
            ("node_memory", &self.node_memory),
        ] {
            match crate::resources::parse(q) {
                None => {
                    return invalid(
                        option,
                        format!("{q:?} is not a Kubernetes quantity (e.g. 8, 500m, 32Gi)"),
                    );
                }
                Some(v) if v.nanos() <= 0 => {
                    return invalid(option, format!("{q:?} must be positive"));
                }
                Some(_) => {}
            }
        }
        if self.node_pods == 0 {
            return invalid("node_pods", "must be at least 1".into());
        }
        if self.pod_ready_delay > Duration::from_secs(3600) {
            return invalid("pod_ready_delay", "must be at most 1h".into());
        }
        Ok(())
    }

    fn simulator(&self) -> SimulatorOptions {
        SimulatorOptions {
            member: self.name.clone(),
            nodes: self.nodes,
            node_cpu: self.node_cpu.clone(),
            node_memory: self.node_memory.clone(),
            node_pods: self.node_pods,
            pod_ready_delay: self.pod_ready_delay,
            workloads: self.workloads,
            ..SimulatorOptions::new(&self.name)
        }
    }
}

fn is_dns_label(s: &str) -> bool {
    let bytes = s.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && bytes[0] != b'-'
        && bytes[bytes.len() - 1] != b'-'
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid member option {option}: {reason}")]
    InvalidOption {
        /// The [`MemberOptions`] field.
        option: &'static str,
        reason: String,
    },
    #[error("failed to create the data directory {}: {source}", path.display())]
    DataDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "failed to open the embedded store at {}: {source} (is another member using this data directory?)",
        path.display()
    )]
    Store {
        path: PathBuf,
        #[source]
        source: StorageError,
    },
    #[error("failed to start the API server: {0}")]
    ApiServer(#[source] StorageError),
    #[error(
        "failed to listen on {addr}: {source} (is another process using it? choose another address)"
    )]
    Listen {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to write the kubeconfig {}: {source}", path.display())]
    Kubeconfig {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to build a client of the member's own API: {0}")]
    Client(#[source] kube::Error),
    #[error("failed to serve the member's API: {0}")]
    Serve(#[source] std::io::Error),
    #[error("failed to run the simulator: {0}")]
    Simulator(#[source] simulator::Error),
}

/// A member that is running: where it is, and a way to wait until it has stopped.
pub struct RunningMember {
    name: String,
    addr: SocketAddr,
    url: String,
    kubeconfig: PathBuf,
    data_dir: PathBuf,
    client: kube::Client,
    task: JoinHandle<Result<(), Error>>,
    // Dropped (removing the directory) only once the member has stopped.
    temp_dir: Option<TempDir>,
}

impl RunningMember {
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The address the API listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The API's URL (`http://127.0.0.1:PORT`), as written in the kubeconfig.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The kubeconfig written for the member.
    pub fn kubeconfig(&self) -> &Path {
        &self.kubeconfig
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// A kube-rs client of the member's API.
    pub fn client(&self) -> kube::Client {
        self.client.clone()
    }

    /// Waits until the member has stopped (its shutdown token was cancelled, or it failed).
    pub async fn wait(self) -> Result<(), Error> {
        let result = match self.task.await {
            Ok(r) => r,
            Err(err) => Err(Error::Serve(std::io::Error::other(err))),
        };
        drop(self.temp_dir);
        result
    }
}

/// Starts a member listening on `opts.listen`; it runs until `shutdown` is cancelled.
pub async fn start(
    opts: MemberOptions,
    shutdown: CancellationToken,
) -> Result<RunningMember, Error> {
    opts.validate()?;
    let listener = TcpListener::bind(opts.listen)
        .await
        .map_err(|source| Error::Listen {
            addr: opts.listen,
            source,
        })?;
    start_on(opts, listener, shutdown).await
}

/// Starts a member on a listener already bound (`opts.listen` is ignored).
pub async fn start_on(
    opts: MemberOptions,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> Result<RunningMember, Error> {
    opts.validate()?;
    let (data_dir, temp_dir) = match &opts.data_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|source| Error::DataDir {
                path: dir.clone(),
                source,
            })?;
            (dir.clone(), None)
        }
        None => {
            let temp = tempfile::Builder::new()
                .prefix(&format!("flotilla-member-{}-", opts.name))
                .tempdir()
                .map_err(|source| Error::DataDir {
                    path: std::env::temp_dir(),
                    source,
                })?;
            (temp.path().to_owned(), Some(temp))
        }
    };
    let db = data_dir.join("state.db");
    let store = SqliteStore::open(&db)
        .await
        .map_err(|source| Error::Store { path: db, source })?;
    let mut config = flotilla_apiserver::Config::default();
    config.options.karmada_api = false;
    config.watch_history = WATCH_HISTORY;
    let server = flotilla_apiserver::ApiServer::new(Arc::new(store), config)
        .await
        .map_err(Error::ApiServer)?;

    let local = listener.local_addr().map_err(|source| Error::Listen {
        addr: opts.listen,
        source,
    })?;
    // A wildcard address is reached over loopback.
    let addr = match local.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(Ipv4Addr::LOCALHOST.into(), local.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(std::net::Ipv6Addr::LOCALHOST.into(), local.port())
        }
        _ => local,
    };
    let url = format!("http://{addr}");
    let kubeconfig = opts
        .kubeconfig_out
        .clone()
        .unwrap_or_else(|| data_dir.join("kubeconfig"));
    if let Some(parent) = kubeconfig.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|source| Error::Kubeconfig {
            path: kubeconfig.clone(),
            source,
        })?;
    }
    std::fs::write(
        &kubeconfig,
        flotilla_apiserver::kubeconfig_yaml(&url, &opts.name),
    )
    .map_err(|source| Error::Kubeconfig {
        path: kubeconfig.clone(),
        source,
    })?;
    let uri = url.parse().map_err(|e| Error::InvalidOption {
        option: "listen",
        reason: format!("{addr} does not make a URL: {e}"),
    })?;
    let client_config = kube::Config::new(uri);
    let client = kube::Client::try_from(client_config).map_err(Error::Client)?;

    let stop_server = CancellationToken::new();
    let mut serving = tokio::spawn(server.serve(listener, stop_server.clone().cancelled_owned()));
    let mut simulating = tokio::spawn(simulator::run(
        client.clone(),
        opts.simulator(),
        shutdown.child_token(),
    ));
    info!(member = %opts.name, %url, data_dir = %data_dir.display(), "simulated member running");
    let name = opts.name.clone();
    let task = tokio::spawn(async move {
        let outcome = tokio::select! {
            biased;
            _ = shutdown.cancelled() => Ok(()),
            served = &mut serving => {
                warn!(member = %name, "the API server stopped by itself");
                Err(match served {
                    Ok(Ok(())) => Error::Serve(std::io::Error::other("the API server stopped")),
                    Ok(Err(e)) => Error::Serve(e),
                    Err(e) => Error::Serve(std::io::Error::other(e)),
                })
            }
            simulated = &mut simulating => match simulated {
                // It saw the shutdown first.
                Ok(Ok(())) if shutdown.is_cancelled() => Ok(()),
                Ok(Ok(())) => Err(Error::Serve(std::io::Error::other("the simulator stopped"))),
                Ok(Err(e)) => {
                    warn!(member = %name, err = %e, "the simulator failed");
                    Err(Error::Simulator(e))
                }
                Err(e) => Err(Error::Serve(std::io::Error::other(e))),
            },
        };
        // The simulator first (its watches end), then the server.
        shutdown.cancel();
        if !simulating.is_finished() {
            let _ = simulating.await;
        }
        stop_server.cancel();
        if !serving.is_finished()
            && tokio::time::timeout(SHUTDOWN_GRACE, &mut serving)
                .await
                .is_err()
        {
            serving.abort();
        }
        info!(member = %name, "simulated member stopped");
        outcome
    });
    Ok(RunningMember {
        name: opts.name,
        addr,
        url,
        kubeconfig,
        data_dir,
        client,
        task,
        temp_dir,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_checked_with_helpful_messages() {
        let base = MemberOptions::new("member1", "127.0.0.1:0".parse().unwrap());
        assert!(base.validate().is_ok());
        struct Case {
            name: &'static str,
            change: fn(&mut MemberOptions),
            says: &'static str,
        }
        let cases = [
            Case {
                name: "uppercase name",
                change: |o| o.name = "Member1".into(),
                says: "option name: \"Member1\" must be a DNS label",
            },
            Case {
                name: "empty name",
                change: |o| o.name = String::new(),
                says: "must be a DNS label",
            },
            Case {
                name: "bad cpu",
                change: |o| o.node_cpu = "eight".into(),
                says: "option node_cpu: \"eight\" is not a Kubernetes quantity",
            },
            Case {
                name: "zero memory",
                change: |o| o.node_memory = "0".into(),
                says: "must be positive",
            },
            Case {
                name: "no pods",
                change: |o| o.node_pods = 0,
                says: "at least 1",
            },
            Case {
                name: "too many nodes",
                change: |o| o.nodes = 100_000,
                says: "too many",
            },
        ];
        for case in cases {
            let mut o = base.clone();
            (case.change)(&mut o);
            let err = o.validate().expect_err(case.name).to_string();
            assert!(err.contains(case.says), "{}: {err}", case.name);
        }
    }
}
