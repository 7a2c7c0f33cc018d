//! Clients for member clusters. A member is reached the way Karmada reaches a Push-mode cluster:
//! `Cluster.spec.apiEndpoint`, with the bearer token and CA bundle from the Secret that
//! `spec.secretRef` names (keys `token` and `caBundle`), honouring
//! `insecureSkipTLSVerification` and `proxyURL`. Clients are built once per cluster and rebuilt
//! only when the endpoint, the TLS settings or the Secret change.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use flotilla_api::Cluster;
use k8s_openapi::api::core::v1::Secret;
use kube::{Api, Client};

/// The Secret key holding a member's bearer token.
pub const SECRET_TOKEN_KEY: &str = "token";
/// The Secret key holding a member's CA bundle (PEM).
pub const SECRET_CA_BUNDLE_KEY: &str = "caBundle";

/// Why no client could be made for a member.
#[derive(Debug, thiserror::Error)]
pub enum MemberError {
    #[error("cluster {0} has no spec.apiEndpoint")]
    NoEndpoint(String),
    #[error("cluster {cluster}: invalid apiEndpoint {endpoint:?}: {reason}")]
    InvalidEndpoint {
        cluster: String,
        endpoint: String,
        reason: String,
    },
    #[error("cluster {cluster}: cannot read its credentials Secret {secret}: {source}")]
    Secret {
        cluster: String,
        secret: String,
        #[source]
        source: kube::Error,
    },
    #[error("cluster {cluster}: cannot build a client: {source}")]
    Client {
        cluster: String,
        #[source]
        source: kube::Error,
    },
}

/// What a member client was built from; a different fingerprint means a new client.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Fingerprint {
    endpoint: String,
    insecure: bool,
    proxy: Option<String>,
    secret_ref: Option<String>,
    secret_version: Option<String>,
}

/// How long a built client is used without reading its Secret again: credentials rotated in
/// the Secret are picked up within this time, and callers that ask for a client per request
/// (probes, appliers) cost no federation read in between.
pub const SECRET_RECHECK: Duration = Duration::from_secs(30);

/// A built client and what it was built from.
struct Entry {
    fingerprint: Fingerprint,
    client: Client,
    checked: std::time::Instant,
}

/// Member clients by cluster name. Cheap to share behind an [`Arc`].
pub struct MemberClients {
    federation: Client,
    clients: RwLock<HashMap<String, Entry>>,
}

impl MemberClients {
    /// Clients that read member credentials through `federation`.
    pub fn new(federation: Client) -> Arc<Self> {
        Arc::new(MemberClients {
            federation,
            clients: RwLock::new(HashMap::new()),
        })
    }

    /// The client for `cluster`, built (or rebuilt) if its endpoint, TLS settings or Secret
    /// changed since the last call.
    pub async fn client(&self, cluster: &Cluster) -> Result<Client, MemberError> {
        let name = cluster.metadata.name.clone().unwrap_or_default();
        let spec = &cluster.spec;
        let secret_ref = spec
            .secret_ref
            .as_ref()
            .map(|r| format!("{}/{}", r.namespace, r.name));
        let endpoint = spec
            .api_endpoint
            .clone()
            .filter(|e| !e.is_empty())
            .ok_or_else(|| MemberError::NoEndpoint(name.clone()))?;
        let insecure = spec.insecure_skip_tls_verification.unwrap_or(false);
        let proxy = spec.proxy_url.clone().filter(|p| !p.is_empty());
        // Fast path: same endpoint, TLS settings and Secret reference, Secret read recently.
        if let Some(entry) = self.read().get(&name)
            && entry.fingerprint.endpoint == endpoint
            && entry.fingerprint.insecure == insecure
            && entry.fingerprint.proxy == proxy
            && entry.fingerprint.secret_ref == secret_ref
            && entry.checked.elapsed() < SECRET_RECHECK
        {
            return Ok(entry.client.clone());
        }
        let secret = match &spec.secret_ref {
            Some(r) => {
                let api: Api<Secret> = Api::namespaced(self.federation.clone(), &r.namespace);
                Some(
                    api.get(&r.name)
                        .await
                        .map_err(|source| MemberError::Secret {
                            cluster: name.clone(),
                            secret: format!("{}/{}", r.namespace, r.name),
                            source,
                        })?,
                )
            }
            None => None,
        };
        let fingerprint = Fingerprint {
            endpoint: endpoint.clone(),
            insecure,
            proxy,
            secret_ref,
            secret_version: secret
                .as_ref()
                .and_then(|s| s.metadata.resource_version.clone()),
        };
        if let Some(entry) = self
            .clients
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .get_mut(&name)
            && entry.fingerprint == fingerprint
        {
            entry.checked = std::time::Instant::now();
            return Ok(entry.client.clone());
        }
        let data = secret.and_then(|s| s.data).unwrap_or_default();
        let token = data
            .get(SECRET_TOKEN_KEY)
            .map(|b| String::from_utf8_lossy(&b.0).trim().to_owned())
            .filter(|t| !t.is_empty());
        let ca = data
            .get(SECRET_CA_BUNDLE_KEY)
            .map(|b| b.0.clone())
            .filter(|b| !b.is_empty());
        let config = member_config(&name, &fingerprint, token, ca)?;
        let client = Client::try_from(config).map_err(|source| MemberError::Client {
            cluster: name.clone(),
            source,
        })?;
        self.clients
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(
                name,
                Entry {
                    fingerprint,
                    client: client.clone(),
                    checked: std::time::Instant::now(),
                },
            );
        Ok(client)
    }

    /// Drops the client of a cluster that left the federation.
    pub fn forget(&self, cluster: &str) {
        self.clients
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(cluster);
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, Entry>> {
        self.clients.read().unwrap_or_else(|e| e.into_inner())
    }
}

fn member_config(
    cluster: &str,
    fp: &Fingerprint,
    token: Option<String>,
    ca: Option<Vec<u8>>,
) -> Result<kube::Config, MemberError> {
    let invalid = |endpoint: &str, reason: String| MemberError::InvalidEndpoint {
        cluster: cluster.to_owned(),
        endpoint: endpoint.to_owned(),
        reason,
    };
    let uri: http::Uri = fp
        .endpoint
        .parse()
        .map_err(|e: http::uri::InvalidUri| invalid(&fp.endpoint, e.to_string()))?;
    let mut config = kube::Config::new(uri);
    config.connect_timeout = Some(Duration::from_secs(5));
    config.accept_invalid_certs = fp.insecure;
    if let Some(proxy) = &fp.proxy {
        config.proxy_url = Some(
            proxy
                .parse()
                .map_err(|e: http::uri::InvalidUri| invalid(proxy, e.to_string()))?,
        );
    }
    if let Some(ca) = ca {
        config.root_cert = Some(pem_certificates(&ca));
    }
    if let Some(token) = token {
        config.auth_info.token = Some(token.into());
    }
    Ok(config)
}

/// The DER certificates in a PEM bundle (kube::Config wants DER); unreadable blocks are skipped.
fn pem_certificates(pem: &[u8]) -> Vec<Vec<u8>> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject as _;
    CertificateDer::pem_slice_iter(pem)
        .filter_map(Result::ok)
        .map(|der| der.to_vec())
        .collect()
}
