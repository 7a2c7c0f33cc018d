//! Runs the controllers of the controller-manager, chosen by name with Karmada's
//! `--controllers` syntax (`*` = every controller, `name` enables one, `-name` disables one),
//! and serves their metrics.
//!
//! The table of controllers is [`CONTROLLERS`]; each entry's name is the controller's `NAME`,
//! the one used in logs and in `--controllers`.

use std::collections::BTreeSet;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use tokio::task::JoinSet;
use tracing::{error, info};

use crate::context::Context;
use crate::metrics::Metrics;
use crate::{binding, cluster, detector, execution, namespace, status};

/// Why the controller-manager stopped or could not start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "unknown controller {0:?} in --controllers; known controllers: {known}",
        known = CONTROLLERS.join(", ")
    )]
    UnknownController(String),
    #[error("no controller is enabled by --controllers={0:?}")]
    NothingEnabled(String),
    #[error("controller {name} failed: {message}")]
    Controller { name: &'static str, message: String },
    #[error("failed to serve metrics on {addr}: {source}")]
    Metrics {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

/// Every controller, in start order.
pub const CONTROLLERS: [&str; 7] = [
    detector::NAME,
    cluster::NAME,
    cluster::status::NAME,
    binding::NAME,
    namespace::NAME,
    execution::NAME,
    status::NAME,
];

/// How the controller-manager runs: which controllers, and each one's options.
#[derive(Debug, Clone)]
pub struct ManagerOptions {
    /// Karmada's `--controllers` value, e.g. `*` or `*,-namespace`.
    pub controllers: String,
    pub detector: detector::DetectorOptions,
    pub cluster: cluster::ClusterOptions,
    pub cluster_status: cluster::ClusterStatusOptions,
    pub binding: binding::BindingOptions,
    pub namespace: namespace::NamespaceOptions,
    pub execution: execution::ExecutionOptions,
    pub status: status::StatusOptions,
}

impl Default for ManagerOptions {
    fn default() -> Self {
        ManagerOptions {
            controllers: "*".to_owned(),
            detector: Default::default(),
            cluster: Default::default(),
            cluster_status: Default::default(),
            binding: Default::default(),
            namespace: Default::default(),
            execution: Default::default(),
            status: Default::default(),
        }
    }
}

impl ManagerOptions {
    /// The controllers `--controllers` enables.
    pub fn enabled(&self) -> Result<BTreeSet<&'static str>, Error> {
        enabled_controllers(&self.controllers)
    }
}

/// Parses Karmada's `--controllers` syntax.
pub fn enabled_controllers(spec: &str) -> Result<BTreeSet<&'static str>, Error> {
    let known = |name: &str| {
        CONTROLLERS
            .iter()
            .copied()
            .find(|c| *c == name)
            .ok_or_else(|| Error::UnknownController(name.to_owned()))
    };
    let mut enabled = BTreeSet::new();
    for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if item == "*" {
            enabled.extend(CONTROLLERS);
        } else if let Some(name) = item.strip_prefix('-') {
            enabled.remove(known(name)?);
        } else {
            enabled.insert(known(item)?);
        }
    }
    if enabled.is_empty() {
        return Err(Error::NothingEnabled(spec.to_owned()));
    }
    Ok(enabled)
}

type Running = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

/// Runs the enabled controllers until `ctx.shutdown` is cancelled; if one fails, the others are
/// stopped and its error returned.
pub async fn run(ctx: Context, opts: ManagerOptions) -> Result<(), Error> {
    let enabled = opts.enabled()?;
    let mut tasks: JoinSet<(&'static str, Result<(), String>)> = JoinSet::new();
    for name in CONTROLLERS.iter().copied().filter(|n| enabled.contains(n)) {
        let future = start(name, ctx.clone(), &opts);
        info!(controller = name, "starting controller");
        tasks.spawn(async move { (name, future.await) });
    }
    let mut failure = None;
    while let Some(joined) = tasks.join_next().await {
        let (name, result) = match joined {
            Ok(done) => done,
            Err(e) => ("unknown", Err(format!("task panicked: {e}"))),
        };
        if let Err(message) = result {
            error!(controller = name, %message, "controller failed; stopping the others");
            ctx.shutdown.cancel();
            failure.get_or_insert(Error::Controller { name, message });
        }
    }
    failure.map_or(Ok(()), Err)
}

fn start(name: &'static str, ctx: Context, opts: &ManagerOptions) -> Running {
    fn boxed<E: std::fmt::Display>(
        f: impl Future<Output = Result<(), E>> + Send + 'static,
    ) -> Running {
        Box::pin(async move { f.await.map_err(|e| e.to_string()) })
    }
    match name {
        detector::NAME => {
            let shutdown = ctx.shutdown.clone();
            boxed(detector::run_detector(
                ctx.client.clone(),
                opts.detector.clone(),
                shutdown.cancelled_owned(),
            ))
        }
        cluster::NAME => boxed(cluster::run(ctx, opts.cluster.clone())),
        cluster::status::NAME => boxed(cluster::status::run(ctx, opts.cluster_status.clone())),
        binding::NAME => boxed(binding::run(ctx, opts.binding.clone())),
        namespace::NAME => boxed(namespace::run(ctx, opts.namespace.clone())),
        execution::NAME => boxed(execution::run(ctx, opts.execution.clone())),
        status::NAME => boxed(status::run(ctx, opts.status.clone())),
        other => unreachable!("controller {other} is in CONTROLLERS but has no start arm"),
    }
}

/// Serves `/metrics` (Prometheus text format) and `/healthz` on `listener` until `shutdown`.
pub async fn serve_metrics(
    listener: tokio::net::TcpListener,
    metrics: Arc<Metrics>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    use axum::routing::get;
    let addr = listener.local_addr().map_err(|source| Error::Metrics {
        addr: SocketAddr::from(([0, 0, 0, 0], 0)),
        source,
    })?;
    let app = axum::Router::new()
        .route(
            "/metrics",
            get(move || {
                let metrics = Arc::clone(&metrics);
                async move {
                    (
                        [(
                            http::header::CONTENT_TYPE,
                            "text/plain; version=0.0.4; charset=utf-8",
                        )],
                        metrics.encode(),
                    )
                }
            }),
        )
        .route("/healthz", get(|| async { "ok" }));
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|source| Error::Metrics { addr, source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controllers_flag() {
        struct Case {
            name: &'static str,
            spec: &'static str,
            want: Result<Vec<&'static str>, &'static str>,
        }
        let all: Vec<&str> = CONTROLLERS.to_vec();
        let cases = [
            Case {
                name: "star enables everything",
                spec: "*",
                want: Ok(all.clone()),
            },
            Case {
                name: "star minus one",
                spec: "*,-namespace",
                want: Ok(all
                    .iter()
                    .copied()
                    .filter(|c| *c != namespace::NAME)
                    .collect()),
            },
            Case {
                name: "explicit list",
                spec: "detector,binding",
                want: Ok(vec![detector::NAME, binding::NAME]),
            },
            Case {
                name: "unknown name",
                spec: "*,-nope",
                want: Err("unknown controller \"nope\""),
            },
            Case {
                name: "nothing left",
                spec: "detector,-detector",
                want: Err("no controller is enabled"),
            },
        ];
        for case in cases {
            let got = enabled_controllers(case.spec);
            match (&case.want, got) {
                (Ok(want), Ok(got)) => {
                    let want: BTreeSet<&str> = want.iter().copied().collect();
                    assert_eq!(got, want, "{}", case.name);
                }
                (Err(want), Err(got)) => {
                    assert!(got.to_string().contains(want), "{}: {got}", case.name)
                }
                (want, got) => panic!("{}: want {want:?}, got {got:?}", case.name),
            }
        }
    }
}
