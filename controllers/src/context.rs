//! What every controller of the controller-manager shares: the federation client, member
//! clients, metrics, and the token that stops them all.

use std::sync::Arc;

use kube::Client;
use tokio_util::sync::CancellationToken;

use crate::members::MemberClients;
use crate::metrics::Metrics;

/// Shared by all controllers; cheap to clone.
#[derive(Clone)]
pub struct Context {
    /// The federation's API server.
    pub client: Client,
    /// Clients for member clusters, built from Cluster objects and their Secrets.
    pub members: Arc<MemberClients>,
    /// The controller-manager's Prometheus metrics.
    pub metrics: Arc<Metrics>,
    /// Cancelled when the controller-manager stops.
    pub shutdown: CancellationToken,
}

impl Context {
    /// A context over `client` with fresh member clients and metrics.
    pub fn new(client: Client, shutdown: CancellationToken) -> Context {
        Context {
            members: MemberClients::new(client.clone()),
            client,
            metrics: Arc::new(Metrics::default()),
            shutdown,
        }
    }
}
