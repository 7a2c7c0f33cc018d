//! Test support shared by every crate that needs a real etcd (cargo feature `testing`).
//!
//! [`EtcdProcess`] runs a throwaway single-member etcd on free loopback ports with its data in a
//! temporary directory, and kills it when dropped:
//!
//! ```no_run
//! # async fn example() {
//! use flotilla_storage::testing::EtcdProcess;
//! // Skips the test (or, with CI=true, fails it) when etcd is not installed.
//! let Some(etcd) = EtcdProcess::start_or_skip().await else { return };
//! let store = etcd.store("").await.expect("connect to etcd");
//! # }
//! ```

use std::fs::File;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::EtcdStore;

/// What a test reports when the etcd binary is missing.
pub const ETCD_NOT_FOUND: &str = "etcd not found: run `apt-get install -y etcd-server`";

/// Environment variable naming the etcd binary to use instead of the one on `PATH`.
pub const ETCD_BIN_ENV: &str = "FLOTILLA_ETCD_BIN";

/// How long etcd gets to become healthy.
const HEALTHY_TIMEOUT: Duration = Duration::from_secs(30);

/// Free ports are found by binding port 0 and releasing it; another process can grab one before
/// etcd binds it, so a start that fails on a taken port is retried with new ports.
const START_ATTEMPTS: usize = 5;

#[derive(Debug, thiserror::Error)]
pub enum EtcdProcessError {
    #[error("{ETCD_NOT_FOUND}")]
    NotFound,
    #[error("failed to prepare etcd's data directory: {0}")]
    DataDir(#[source] std::io::Error),
    #[error("failed to find free loopback ports: {0}")]
    Ports(#[source] std::io::Error),
    #[error("failed to run {}: {source}", binary.display())]
    Spawn {
        binary: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("etcd exited before it became healthy ({status}); its log:\n{log}")]
    Exited { status: ExitStatus, log: String },
    #[error("etcd did not become healthy within {timeout:?}; its log:\n{log}")]
    Unhealthy { timeout: Duration, log: String },
}

/// A running etcd for one test (or one test binary). Killed, and its data removed, on drop.
pub struct EtcdProcess {
    /// The client URL, e.g. `http://127.0.0.1:41234`.
    pub endpoint: String,
    child: Child,
    data_dir: TempDir,
}

impl EtcdProcess {
    /// The etcd binary: `$FLOTILLA_ETCD_BIN`, else `etcd` on `PATH`, else `/usr/bin/etcd`.
    pub fn binary() -> Option<PathBuf> {
        if let Some(path) = std::env::var_os(ETCD_BIN_ENV) {
            return Some(PathBuf::from(path)).filter(|p| p.is_file());
        }
        std::env::var_os("PATH")
            .into_iter()
            .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
            .map(|dir| dir.join("etcd"))
            .chain([PathBuf::from("/usr/bin/etcd")])
            .find(|p| p.is_file())
    }

    /// Start etcd and wait until it serves requests.
    pub async fn start() -> Result<EtcdProcess, EtcdProcessError> {
        let binary = Self::binary().ok_or(EtcdProcessError::NotFound)?;
        let mut attempt = 1;
        loop {
            match Self::start_once(&binary).await {
                Err(EtcdProcessError::Exited { log, .. })
                    if attempt < START_ATTEMPTS && log.contains("address already in use") =>
                {
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    /// [`start`](Self::start) for tests: `None` (after printing [`ETCD_NOT_FOUND`]) when etcd is
    /// not installed, so the test can return early.
    ///
    /// # Panics
    ///
    /// When etcd is missing and `CI=true` (a CI run must not silently skip etcd tests), or when
    /// etcd is installed but does not start.
    pub async fn start_or_skip() -> Option<EtcdProcess> {
        match Self::start().await {
            Ok(etcd) => Some(etcd),
            Err(EtcdProcessError::NotFound) => {
                let ci = std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true"));
                if ci {
                    panic!("{ETCD_NOT_FOUND}");
                }
                eprintln!("{ETCD_NOT_FOUND}");
                None
            }
            Err(err) => panic!("failed to start etcd: {err}"),
        }
    }

    /// The endpoints to give [`EtcdStore::connect`] (or any etcd client).
    pub fn endpoints(&self) -> Vec<String> {
        vec![self.endpoint.clone()]
    }

    /// A store on this etcd with keys under `prefix`.
    pub async fn store(&self, prefix: &str) -> crate::Result<EtcdStore> {
        EtcdStore::connect(&self.endpoints(), prefix).await
    }

    /// Where etcd keeps its data and log (`etcd.log`).
    pub fn data_dir(&self) -> &Path {
        self.data_dir.path()
    }

    /// etcd's log so far (for a failing test's message).
    pub fn log(&self) -> String {
        read_log(self.data_dir.path())
    }

    async fn start_once(binary: &Path) -> Result<EtcdProcess, EtcdProcessError> {
        // tmpfs when there is one: etcd fsyncs every write, which is slow on a real disk and
        // tells a test nothing.
        let shm = Path::new("/dev/shm");
        let mut builder = tempfile::Builder::new();
        builder.prefix("flotilla-etcd-");
        let data_dir = if shm.is_dir() {
            builder.tempdir_in(shm).or_else(|_| builder.tempdir())
        } else {
            builder.tempdir()
        }
        .map_err(EtcdProcessError::DataDir)?;
        let log =
            File::create(data_dir.path().join("etcd.log")).map_err(EtcdProcessError::DataDir)?;
        let log_err = log.try_clone().map_err(EtcdProcessError::DataDir)?;

        let (client_port, peer_port) = free_ports()?;
        let client_url = format!("http://127.0.0.1:{client_port}");
        let peer_url = format!("http://127.0.0.1:{peer_port}");
        let name = "flotilla-test";
        let child = Command::new(binary)
            .arg("--name")
            .arg(name)
            .arg("--data-dir")
            .arg(data_dir.path().join("data"))
            .args(["--listen-client-urls", &client_url])
            .args(["--advertise-client-urls", &client_url])
            .args(["--listen-peer-urls", &peer_url])
            .args(["--initial-advertise-peer-urls", &peer_url])
            .args(["--initial-cluster", &format!("{name}={peer_url}")])
            .args(["--initial-cluster-state", "new"])
            .args(["--logger", "zap"])
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .spawn()
            .map_err(|source| EtcdProcessError::Spawn {
                binary: binary.to_owned(),
                source,
            })?;
        let mut etcd = EtcdProcess {
            endpoint: client_url,
            child,
            data_dir,
        };
        etcd.wait_healthy(client_port).await?;
        Ok(etcd)
    }

    /// Bounded polling until etcd answers a linearizable read (it has a leader).
    async fn wait_healthy(&mut self, port: u16) -> Result<(), EtcdProcessError> {
        let deadline = Instant::now() + HEALTHY_TIMEOUT;
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(EtcdProcessError::Exited {
                    status,
                    log: self.log(),
                });
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
                && self.answers().await
            {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(EtcdProcessError::Unhealthy {
                    timeout: HEALTHY_TIMEOUT,
                    log: self.log(),
                });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn answers(&self) -> bool {
        let probe = async {
            let options =
                etcd_client::ConnectOptions::new().with_connect_timeout(Duration::from_secs(1));
            let mut client = etcd_client::Client::connect(self.endpoints(), Some(options))
                .await
                .ok()?;
            client.get("health-probe", None).await.ok()
        };
        matches!(
            tokio::time::timeout(Duration::from_secs(2), probe).await,
            Ok(Some(_))
        )
    }
}

impl Drop for EtcdProcess {
    fn drop(&mut self) {
        // SIGKILL: the data directory is thrown away, there is nothing to shut down cleanly.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_ports() -> Result<(u16, u16), EtcdProcessError> {
    // Both listeners are held until both ports are known, so the two differ.
    let client = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(EtcdProcessError::Ports)?;
    let peer = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(EtcdProcessError::Ports)?;
    let ports = (
        client.local_addr().map_err(EtcdProcessError::Ports)?.port(),
        peer.local_addr().map_err(EtcdProcessError::Ports)?.port(),
    );
    Ok(ports)
}

fn read_log(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("etcd.log"))
        .unwrap_or_else(|err| format!("(cannot read etcd.log: {err})"))
}
