//! Shared harness of the controllers' integration tests: real Flotilla API servers started in
//! this process on free loopback ports (embedded store in a temporary directory) — one as the
//! federation, others as plain member clusters — and bounded polling.
#![allow(dead_code)]

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use kube::Client;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub const TIMEOUT: Duration = Duration::from_secs(20);
pub const POLL: Duration = Duration::from_millis(50);

/// Logs to the test's output when `RUST_LOG` is set.
pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}

/// An API server running in this process; stops when dropped.
pub struct Server {
    pub client: Client,
    pub addr: SocketAddr,
    stop: CancellationToken,
    _dir: tempfile::TempDir,
}

impl Server {
    /// A federation API server (Karmada's kinds served).
    pub async fn federation() -> Result<Server> {
        Server::start(flotilla_apiserver::Config::default()).await
    }

    /// A plain Kubernetes API server standing in as a member cluster's API (no simulated
    /// workloads: tests create Nodes and Pods themselves).
    pub async fn member() -> Result<Server> {
        let mut config = flotilla_apiserver::Config::default();
        config.options.karmada_api = false;
        Server::start(config).await
    }

    async fn start(config: flotilla_apiserver::Config) -> Result<Server> {
        init_tracing();
        let dir = tempfile::tempdir()?;
        let store = flotilla_storage::SqliteStore::open(&dir.path().join("db")).await?;
        let server = flotilla_apiserver::ApiServer::new(Arc::new(store), config).await?;
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let stop = CancellationToken::new();
        let stopped = stop.clone();
        tokio::spawn(async move {
            let _ = server.serve(listener, stopped.cancelled_owned()).await;
        });
        let client = Client::try_from(kube::Config::new(format!("http://{addr}").parse()?))?;
        Ok(Server {
            client,
            addr,
            stop,
            _dir: dir,
        })
    }

    /// The URL to put in a Cluster's `spec.apiEndpoint`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops serving (the member "dies"); the data stays until drop.
    pub fn stop(&self) {
        self.stop.cancel();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// Polls `check` every [`POLL`] until it succeeds or [`TIMEOUT`] passes; the last error says
/// what was still wrong.
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> Result<T>
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
