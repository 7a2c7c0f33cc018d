//! Joining a member cluster to the federation in Push mode, and removing it (`flotilla join` /
//! `flotilla unjoin`, Karmada's `karmadactl join` / `unjoin`).
//!
//! [`join`] writes exactly the two objects a user could write with `kubectl apply`:
//!
//! * Secret `karmada-cluster/<name>` (type Opaque) with `token` and `caBundle` taken from the
//!   member kubeconfig's user and cluster (empty when the kubeconfig has none), and
//! * Cluster `<name>`: `syncMode: Push`, `apiEndpoint` (the kubeconfig's server URL),
//!   `secretRef`, `insecureSkipTLSVerification`, `proxyURL`, `id` (the UID of the member's
//!   `kube-system` namespace, as Karmada does), provider, region, zones and labels,
//!
//! after checking that the member answers `GET /version` with those credentials. Both are
//! server-side applied with field manager [`FIELD_MANAGER`], so joining again updates the
//! endpoint, credentials and labels (and drops labels no longer given) without touching what
//! others own — the taints the cluster controller maintains, the status.
//!
//! Unlike `karmadactl join`, nothing is created in the member (no ServiceAccount or RBAC): the
//! member is reached with the kubeconfig's own token. A kubeconfig that authenticates some
//! other way (client certificates, an exec plugin) joins with a warning, since the controllers
//! will reach the member without credentials.
//!
//! [`unjoin`] deletes the Cluster and waits, reporting progress, while the cluster controller
//! removes the member's Works (and through the execution controller their objects in the
//! member) and the execution namespace; then it deletes the Secret `join` wrote.

use std::collections::BTreeMap;
use std::time::Duration;

use flotilla_api::Cluster;
use flotilla_api::cluster::v1alpha1::{ClusterSpec, ClusterSyncMode, LocalSecretReference};
use flotilla_api::names::{self, NAMESPACE_KARMADA_CLUSTER};
use flotilla_api::validation::{validate_cluster_name, validate_cluster_spec};
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::{Namespace, Secret};
use kube::api::{Api, DeleteParams, ListParams, ObjectMeta, Patch, PatchParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use serde_json::json;
use tokio::time::Instant;

use super::{is_conflict, is_not_found};
use crate::members::{SECRET_CA_BUNDLE_KEY, SECRET_TOKEN_KEY};

/// The field manager of the objects [`join`] applies.
pub const FIELD_MANAGER: &str = "flotilla-join";

/// How long [`join`] waits for each answer from the member.
const MEMBER_TIMEOUT: Duration = Duration::from_secs(15);

/// How often [`unjoin`] looks at the removal's progress.
const UNJOIN_POLL: Duration = Duration::from_millis(250);

/// The topology and labels of a member, as given to `flotilla join`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JoinSpec {
    /// Labels of the Cluster object (placement selects clusters by them).
    pub labels: BTreeMap<String, String>,
    /// `spec.provider`.
    pub provider: Option<String>,
    /// `spec.region`.
    pub region: Option<String>,
    /// `spec.zones`.
    pub zones: Vec<String>,
}

/// What [`join`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinOutcome {
    /// The Cluster did not exist before (otherwise it was updated).
    pub created: bool,
    /// `spec.apiEndpoint`.
    pub api_endpoint: String,
    /// `spec.id`: the UID of the member's kube-system namespace.
    pub cluster_id: String,
    /// The member's gitVersion, as it answered `/version`.
    pub kubernetes_version: String,
    /// `namespace/name` of the credentials Secret.
    pub secret: String,
    /// Things the user should know (credentials that will not work, a changed cluster ID).
    pub warnings: Vec<String>,
}

/// What [`unjoin`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnjoinOutcome {
    /// The Cluster existed (and is gone now).
    pub cluster_found: bool,
    /// `namespace/name` of the credentials Secret that was deleted, if any.
    pub secret_deleted: Option<String>,
}

/// Why joining or unjoining failed. Each message says what to check.
#[derive(Debug, thiserror::Error)]
pub enum JoinError {
    /// The cluster name cannot be used.
    #[error(
        "invalid cluster name {name:?}: {reason} (a cluster name is a DNS-1123 label of at most 48 characters: lower-case letters, digits and '-')"
    )]
    InvalidName {
        /// The name given.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Provider, region or zones are not valid.
    #[error("invalid cluster spec: {0}")]
    InvalidSpec(String),
    /// A label does not parse or is not a valid label.
    #[error("invalid label {label:?}: {reason} (labels are key=value[,key=value...])")]
    InvalidLabel {
        /// The label as given.
        label: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The member kubeconfig cannot be used.
    #[error("failed to use the member kubeconfig: {0}")]
    Kubeconfig(String),
    /// The member did not answer.
    #[error(
        "failed to reach the member cluster: GET {endpoint}/version failed: {reason}; check that its API server is running and reachable from here, and that --cluster-kubeconfig (and --cluster-context) point at it"
    )]
    MemberUnreachable {
        /// The member's API server URL.
        endpoint: String,
        /// What went wrong.
        reason: String,
    },
    /// The member answered but its ID could not be read.
    #[error(
        "failed to read namespace kube-system of the member at {endpoint} (its UID identifies the cluster): {reason}; the member credentials must be allowed to get namespaces"
    )]
    ClusterId {
        /// The member's API server URL.
        endpoint: String,
        /// What went wrong.
        reason: String,
    },
    /// The same member is already joined under another name.
    #[error(
        "failed to join {name}: this member (id {id}) is already joined as cluster {existing}; run `flotilla unjoin {existing}` first, or join it again as {existing}"
    )]
    AlreadyJoined {
        /// The name asked for.
        name: String,
        /// The member's ID.
        id: String,
        /// The name it is joined under.
        existing: String,
    },
    /// A Cluster of that name is being removed.
    #[error(
        "failed to join {0}: a cluster named {0} is still being removed; wait until `kubectl get cluster {0}` finds nothing, then join again"
    )]
    BeingRemoved(String),
    /// A request to the federation failed.
    #[error("failed to {action}: {source}")]
    Federation {
        /// What was being done.
        action: String,
        /// The API error.
        #[source]
        source: kube::Error,
    },
    /// The Cluster was not gone in time.
    #[error(
        "failed to unjoin {name}: it is still being removed after {timeout:?} ({state}); is `flotilla controller-manager` running? Look at `kubectl get cluster {name} -o yaml` and `kubectl get works -n {namespace}`, or wait longer with --timeout"
    )]
    UnjoinTimeout {
        /// The cluster.
        name: String,
        /// Its execution namespace.
        namespace: String,
        /// How long was waited.
        timeout: Duration,
        /// What was still being waited for.
        state: String,
    },
}

fn federation(action: impl Into<String>) -> impl FnOnce(kube::Error) -> JoinError {
    let action = action.into();
    move |source| JoinError::Federation { action, source }
}

/// Checks a cluster name: a DNS-1123 label of at most 48 characters (Karmada's rule).
pub fn validate_name(name: &str) -> Result<(), JoinError> {
    match validate_cluster_name(name).into_iter().next() {
        None => Ok(()),
        Some(reason) => Err(JoinError::InvalidName {
            name: name.to_owned(),
            reason,
        }),
    }
}

impl JoinSpec {
    /// Checks provider, region, zones and labels the way the API server will.
    pub fn validate(&self) -> Result<(), JoinError> {
        let spec = ClusterSpec {
            sync_mode: Some(ClusterSyncMode::Push),
            provider: self.provider.clone(),
            region: self.region.clone(),
            zones: self.zones.clone(),
            ..Default::default()
        };
        let violations: Vec<String> = validate_cluster_spec(&spec)
            .iter()
            .map(ToString::to_string)
            .collect();
        if !violations.is_empty() {
            return Err(JoinError::InvalidSpec(violations.join("; ")));
        }
        for (key, value) in &self.labels {
            check_label(key, value).map_err(|reason| JoinError::InvalidLabel {
                label: format!("{key}={value}"),
                reason,
            })?;
        }
        Ok(())
    }
}

/// Parses `k=v,k2=v2` (an empty string is no labels).
pub fn parse_labels(text: &str) -> Result<BTreeMap<String, String>, JoinError> {
    let mut labels = BTreeMap::new();
    for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let Some((key, value)) = item.split_once('=') else {
            return Err(JoinError::InvalidLabel {
                label: item.to_owned(),
                reason: "expected key=value".to_owned(),
            });
        };
        let (key, value) = (key.trim(), value.trim());
        check_label(key, value).map_err(|reason| JoinError::InvalidLabel {
            label: item.to_owned(),
            reason,
        })?;
        labels.insert(key.to_owned(), value.to_owned());
    }
    Ok(labels)
}

/// A label key is `[prefix/]name` (prefix a DNS subdomain, name ≤ 63 characters of
/// alphanumerics, `-`, `_`, `.`, starting and ending alphanumeric); a value is empty or a name.
fn check_label(key: &str, value: &str) -> Result<(), String> {
    fn name_part(s: &str) -> bool {
        let b = s.as_bytes();
        !b.is_empty()
            && b.len() <= 63
            && b[0].is_ascii_alphanumeric()
            && b[b.len() - 1].is_ascii_alphanumeric()
            && b.iter()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
    }
    fn subdomain(s: &str) -> bool {
        s.len() <= 253
            && s.split('.').all(|part| {
                let b = part.as_bytes();
                !b.is_empty()
                    && b.len() <= 63
                    && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
                    && (b[b.len() - 1].is_ascii_lowercase() || b[b.len() - 1].is_ascii_digit())
                    && b.iter()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
            })
    }
    let name = match key.split_once('/') {
        Some((prefix, name)) => {
            if !subdomain(prefix) {
                return Err(format!(
                    "key prefix {prefix:?} must be a DNS subdomain (e.g. example.com)"
                ));
            }
            name
        }
        None => key,
    };
    if !name_part(name) {
        return Err(format!(
            "key name {name:?} must be 1-63 characters of letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
        ));
    }
    if !value.is_empty() && !name_part(value) {
        return Err(format!(
            "value {value:?} must be at most 63 characters of letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
        ));
    }
    Ok(())
}

/// How the member is reached, read from its kubeconfig.
#[derive(Debug, Clone, PartialEq, Eq)]
struct MemberAccess {
    server: String,
    ca_bundle: Vec<u8>,
    token: String,
    insecure: bool,
    proxy_url: Option<String>,
    warnings: Vec<String>,
}

/// Reads the server, CA, token and TLS settings of the kubeconfig's context (`context`, or the
/// current one).
fn member_access(
    kubeconfig: &Kubeconfig,
    context: Option<&str>,
) -> Result<MemberAccess, JoinError> {
    let bad = |msg: String| JoinError::Kubeconfig(msg);
    let context_name = context
        .map(str::to_owned)
        .or_else(|| kubeconfig.current_context.clone())
        .filter(|c| !c.is_empty())
        .ok_or_else(|| bad("it has no current-context; pass --cluster-context".to_owned()))?;
    let ctx = kubeconfig
        .contexts
        .iter()
        .find(|c| c.name == context_name)
        .and_then(|c| c.context.as_ref())
        .ok_or_else(|| {
            let known: Vec<&str> = kubeconfig
                .contexts
                .iter()
                .map(|c| c.name.as_str())
                .collect();
            bad(format!(
                "it has no context {context_name:?} (it has: {})",
                known.join(", ")
            ))
        })?;
    let cluster = kubeconfig
        .clusters
        .iter()
        .find(|c| c.name == ctx.cluster)
        .and_then(|c| c.cluster.as_ref())
        .ok_or_else(|| {
            bad(format!(
                "context {context_name:?} names cluster {:?}, which it does not define",
                ctx.cluster
            ))
        })?;
    let server = cluster
        .server
        .clone()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| bad(format!("cluster {:?} has no server", ctx.cluster)))?;
    let ca_bundle = match (
        &cluster.certificate_authority_data,
        &cluster.certificate_authority,
    ) {
        (Some(data), _) if !data.trim().is_empty() => {
            // ByteString decodes base64 as the API does.
            serde_json::from_value::<ByteString>(serde_json::Value::String(data.trim().to_owned()))
                .map_err(|e| {
                    bad(format!(
                        "certificate-authority-data is not valid base64: {e}"
                    ))
                })?
                .0
        }
        (_, Some(path)) if !path.is_empty() => std::fs::read(path)
            .map_err(|e| bad(format!("cannot read certificate-authority {path}: {e}")))?,
        _ => Vec::new(),
    };
    let mut warnings = Vec::new();
    let user = ctx.user.as_deref().unwrap_or_default();
    let auth = kubeconfig
        .auth_infos
        .iter()
        .find(|a| a.name == user)
        .and_then(|a| a.auth_info.as_ref());
    let mut token = String::new();
    if let Some(auth) = auth {
        // kube keeps the token in a secrecy wrapper that reveals it only when serialized.
        let raw = serde_json::to_value(auth)
            .map_err(|e| bad(format!("cannot read user {user:?}: {e}")))?;
        if let Some(t) = raw.get("token").and_then(|t| t.as_str()) {
            token = t.trim().to_owned();
        } else if let Some(path) = &auth.token_file {
            token = std::fs::read_to_string(path)
                .map_err(|e| bad(format!("cannot read token-file {path}: {e}")))?
                .trim()
                .to_owned();
        }
        if token.is_empty() {
            let other =
                if auth.client_certificate.is_some() || auth.client_certificate_data.is_some() {
                    Some("client certificates")
                } else if auth.exec.is_some() {
                    Some("an exec plugin")
                } else if auth.auth_provider.is_some() {
                    Some("an auth provider")
                } else if auth.username.is_some() {
                    Some("a username and password")
                } else {
                    None
                };
            if let Some(other) = other {
                warnings.push(format!(
                    "user {user:?} of the member kubeconfig authenticates with {other}; Flotilla reaches members with a bearer token only, so the Secret has no token and the member must accept anonymous requests. Use a kubeconfig with a token (e.g. a ServiceAccount's) or put one in the Secret's `token` key"
                ));
            }
        }
    }
    Ok(MemberAccess {
        server: server.trim_end_matches('/').to_owned(),
        ca_bundle,
        token,
        insecure: cluster.insecure_skip_tls_verify.unwrap_or(false),
        proxy_url: cluster.proxy_url.clone().filter(|p| !p.is_empty()),
        warnings,
    })
}

/// Joins (or re-joins) a member cluster in Push mode; see the module documentation.
pub async fn join(
    federation_client: &Client,
    name: &str,
    kubeconfig: &Kubeconfig,
    context: Option<&str>,
    spec: &JoinSpec,
) -> Result<JoinOutcome, JoinError> {
    validate_name(name)?;
    spec.validate()?;
    let access = member_access(kubeconfig, context)?;
    let options = KubeConfigOptions {
        context: context.map(str::to_owned),
        ..Default::default()
    };
    let mut config = Config::from_custom_kubeconfig(kubeconfig.clone(), &options)
        .await
        .map_err(|e| JoinError::Kubeconfig(e.to_string()))?;
    config.connect_timeout = Some(MEMBER_TIMEOUT);
    config.read_timeout = Some(MEMBER_TIMEOUT);
    let member = Client::try_from(config).map_err(|e| JoinError::Kubeconfig(e.to_string()))?;

    let unreachable = |reason: String| JoinError::MemberUnreachable {
        endpoint: access.server.clone(),
        reason,
    };
    let version = tokio::time::timeout(MEMBER_TIMEOUT, member.apiserver_version())
        .await
        .map_err(|_| unreachable(format!("no answer within {MEMBER_TIMEOUT:?}")))?
        .map_err(|e| unreachable(super::status::error_chain(&e)))?;
    let namespaces: Api<Namespace> = Api::all(member);
    let kube_system = tokio::time::timeout(MEMBER_TIMEOUT, namespaces.get("kube-system"))
        .await
        .map_err(|_| JoinError::ClusterId {
            endpoint: access.server.clone(),
            reason: format!("no answer within {MEMBER_TIMEOUT:?}"),
        })?
        .map_err(|e| JoinError::ClusterId {
            endpoint: access.server.clone(),
            reason: e.to_string(),
        })?;
    let id = kube_system.metadata.uid.unwrap_or_default();

    let clusters: Api<Cluster> = Api::all(federation_client.clone());
    let existing = clusters
        .get_opt(name)
        .await
        .map_err(federation(format!("read Cluster {name}")))?;
    let mut warnings = access.warnings.clone();
    if let Some(existing) = &existing {
        if existing.metadata.deletion_timestamp.is_some() {
            return Err(JoinError::BeingRemoved(name.to_owned()));
        }
        if let Some(old) = existing
            .spec
            .id
            .as_deref()
            .filter(|old| !old.is_empty() && *old != id)
        {
            warnings.push(format!(
                "cluster {name} pointed at another member before (id {old}, now {id})"
            ));
        }
    }
    if !id.is_empty() {
        let all = clusters
            .list(&ListParams::default())
            .await
            .map_err(federation("list Clusters"))?;
        if let Some(other) = all.items.iter().find(|c| {
            c.metadata.name.as_deref() != Some(name) && c.spec.id.as_deref() == Some(id.as_str())
        }) {
            return Err(JoinError::AlreadyJoined {
                name: name.to_owned(),
                id,
                existing: other.metadata.name.clone().unwrap_or_default(),
            });
        }
    }

    let namespaces: Api<Namespace> = Api::all(federation_client.clone());
    let ns = Namespace {
        metadata: ObjectMeta {
            name: Some(NAMESPACE_KARMADA_CLUSTER.to_owned()),
            ..Default::default()
        },
        ..Default::default()
    };
    match namespaces.create(&PostParams::default(), &ns).await {
        Ok(_) => {}
        Err(err) if is_conflict(&err) => {}
        Err(err) => {
            return Err(federation(format!(
                "create namespace {NAMESPACE_KARMADA_CLUSTER}"
            ))(err));
        }
    }

    let apply = PatchParams::apply(FIELD_MANAGER).force();
    let secret = Secret {
        metadata: ObjectMeta {
            name: Some(name.to_owned()),
            namespace: Some(NAMESPACE_KARMADA_CLUSTER.to_owned()),
            ..Default::default()
        },
        type_: Some("Opaque".to_owned()),
        data: Some(BTreeMap::from([
            (
                SECRET_TOKEN_KEY.to_owned(),
                ByteString(access.token.clone().into_bytes()),
            ),
            (
                SECRET_CA_BUNDLE_KEY.to_owned(),
                ByteString(access.ca_bundle.clone()),
            ),
        ])),
        ..Default::default()
    };
    let secrets: Api<Secret> =
        Api::namespaced(federation_client.clone(), NAMESPACE_KARMADA_CLUSTER);
    secrets
        .patch(name, &apply, &Patch::Apply(&secret))
        .await
        .map_err(federation(format!(
            "apply Secret {NAMESPACE_KARMADA_CLUSTER}/{name}"
        )))?;

    let secret_ref = LocalSecretReference {
        namespace: NAMESPACE_KARMADA_CLUSTER.to_owned(),
        name: name.to_owned(),
    };
    let mut cluster_spec = json!({
        "syncMode": "Push",
        "apiEndpoint": access.server,
        "secretRef": secret_ref,
        "insecureSkipTLSVerification": access.insecure,
    });
    let fields = [
        ("id", (!id.is_empty()).then(|| json!(id))),
        ("proxyURL", access.proxy_url.as_ref().map(|p| json!(p))),
        ("provider", spec.provider.as_ref().map(|p| json!(p))),
        ("region", spec.region.as_ref().map(|r| json!(r))),
        ("zones", (!spec.zones.is_empty()).then(|| json!(spec.zones))),
    ];
    for (key, value) in fields {
        if let Some(value) = value {
            cluster_spec[key] = value;
        }
    }
    let mut metadata = json!({"name": name});
    if !spec.labels.is_empty() {
        metadata["labels"] = json!(spec.labels);
    }
    let cluster = json!({
        "apiVersion": flotilla_api::cluster::v1alpha1::API_VERSION,
        "kind": "Cluster",
        "metadata": metadata,
        "spec": cluster_spec,
    });
    clusters
        .patch(name, &apply, &Patch::Apply(&cluster))
        .await
        .map_err(federation(format!("apply Cluster {name}")))?;

    Ok(JoinOutcome {
        created: existing.is_none(),
        api_endpoint: access.server,
        cluster_id: id,
        kubernetes_version: version.git_version,
        secret: format!("{NAMESPACE_KARMADA_CLUSTER}/{name}"),
        warnings,
    })
}

/// Removes a member cluster: deletes the Cluster, waits up to `timeout` until the controllers
/// have cleaned up and let it go (calling `progress` with a line each time what it waits for
/// changes), then deletes the credentials Secret `join` wrote.
pub async fn unjoin(
    federation_client: &Client,
    name: &str,
    timeout: Duration,
    mut progress: impl FnMut(&str),
) -> Result<UnjoinOutcome, JoinError> {
    validate_name(name)?;
    let clusters: Api<Cluster> = Api::all(federation_client.clone());
    let Some(cluster) = clusters
        .get_opt(name)
        .await
        .map_err(federation(format!("read Cluster {name}")))?
    else {
        let secret_deleted = delete_join_secret(federation_client, name).await?;
        return Ok(UnjoinOutcome {
            cluster_found: false,
            secret_deleted,
        });
    };
    if cluster.metadata.deletion_timestamp.is_none() {
        match clusters.delete(name, &DeleteParams::default()).await {
            Ok(_) => {}
            Err(err) if is_not_found(&err) => {}
            Err(err) => return Err(federation(format!("delete Cluster {name}"))(err)),
        }
        progress(&format!(
            "Deleting cluster {name}: its Works and their objects in the member are removed first."
        ));
    }
    let namespace = names::execution_namespace(name);
    let works: Api<flotilla_api::Work> = Api::namespaced(federation_client.clone(), &namespace);
    let namespaces: Api<Namespace> = Api::all(federation_client.clone());
    let deadline = Instant::now() + timeout;
    let mut last = String::new();
    loop {
        if clusters
            .get_opt(name)
            .await
            .map_err(federation(format!("read Cluster {name}")))?
            .is_none()
        {
            break;
        }
        let remaining = works
            .list_metadata(&ListParams::default())
            .await
            .map_err(federation(format!("list the Works in {namespace}")))?
            .items
            .len();
        let state = if remaining > 0 {
            format!("waiting for {remaining} Work(s) in {namespace} to be removed")
        } else if namespaces
            .get_opt(&namespace)
            .await
            .map_err(federation(format!("read namespace {namespace}")))?
            .is_some()
        {
            format!("waiting for namespace {namespace} to be deleted")
        } else {
            format!("waiting for the cluster controller to release cluster {name}")
        };
        if state != last {
            progress(&state);
            last = state;
        }
        if Instant::now() >= deadline {
            return Err(JoinError::UnjoinTimeout {
                name: name.to_owned(),
                namespace,
                timeout,
                state: last,
            });
        }
        tokio::time::sleep(UNJOIN_POLL).await;
    }
    // Only the Secret join writes; a Secret the user referenced by hand is theirs.
    let joined_secret = cluster
        .spec
        .secret_ref
        .as_ref()
        .is_some_and(|r| r.namespace == NAMESPACE_KARMADA_CLUSTER && r.name == name);
    let secret_deleted = if joined_secret {
        delete_join_secret(federation_client, name).await?
    } else {
        None
    };
    Ok(UnjoinOutcome {
        cluster_found: true,
        secret_deleted,
    })
}

async fn delete_join_secret(client: &Client, name: &str) -> Result<Option<String>, JoinError> {
    let secrets: Api<Secret> = Api::namespaced(client.clone(), NAMESPACE_KARMADA_CLUSTER);
    match secrets.delete(name, &DeleteParams::default()).await {
        Ok(_) => Ok(Some(format!("{NAMESPACE_KARMADA_CLUSTER}/{name}"))),
        Err(err) if is_not_found(&err) => Ok(None),
        Err(err) => Err(federation(format!(
            "delete Secret {NAMESPACE_KARMADA_CLUSTER}/{name}"
        ))(err)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kubeconfig(yaml: &str) -> Kubeconfig {
        Kubeconfig::from_yaml(yaml).unwrap()
    }

    const TWO_CONTEXTS: &str = r#"
apiVersion: v1
kind: Config
current-context: a
clusters:
- name: ca
  cluster:
    server: https://10.0.0.1:6443/
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==
- name: cb
  cluster:
    server: http://127.0.0.1:8001
    insecure-skip-tls-verify: true
    proxy-url: http://proxy:3128
contexts:
- name: a
  context: {cluster: ca, user: ua}
- name: b
  context: {cluster: cb, user: ub}
users:
- name: ua
  user: {token: secret-token}
- name: ub
  user: {client-certificate-data: Zm9v, client-key-data: YmFy}
"#;

    #[test]
    fn member_access_reads_the_chosen_context() {
        let config = kubeconfig(TWO_CONTEXTS);
        let a = member_access(&config, None).unwrap();
        assert_eq!(a.server, "https://10.0.0.1:6443");
        assert_eq!(a.ca_bundle, b"-----BEGIN CERTIFICATE-----\n");
        assert_eq!(a.token, "secret-token");
        assert!(!a.insecure);
        assert!(a.warnings.is_empty());

        let b = member_access(&config, Some("b")).unwrap();
        assert_eq!(b.server, "http://127.0.0.1:8001");
        assert!(b.ca_bundle.is_empty());
        assert!(b.token.is_empty());
        assert!(b.insecure);
        assert_eq!(b.proxy_url.as_deref(), Some("http://proxy:3128"));
        assert!(
            b.warnings[0].contains("client certificates"),
            "{:?}",
            b.warnings
        );

        let err = member_access(&config, Some("c")).unwrap_err().to_string();
        assert!(
            err.contains("no context \"c\"") && err.contains("a, b"),
            "{err}"
        );
    }

    #[test]
    fn member_access_needs_a_context_and_a_server() {
        let no_current =
            kubeconfig("apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n");
        let err = member_access(&no_current, None).unwrap_err().to_string();
        assert!(err.contains("--cluster-context"), "{err}");
        let no_server = kubeconfig(
            "apiVersion: v1\nkind: Config\ncurrent-context: x\nclusters:\n- name: c\n  cluster: {}\ncontexts:\n- name: x\n  context: {cluster: c}\nusers: []\n",
        );
        let err = member_access(&no_server, None).unwrap_err().to_string();
        assert!(err.contains("has no server"), "{err}");
    }

    #[test]
    fn labels_parse_and_validate() {
        struct Case {
            input: &'static str,
            want: Result<Vec<(&'static str, &'static str)>, &'static str>,
        }
        let cases = [
            Case {
                input: "",
                want: Ok(vec![]),
            },
            Case {
                input: "env=prod, topology.example.com/rack=r1,empty=",
                want: Ok(vec![
                    ("empty", ""),
                    ("env", "prod"),
                    ("topology.example.com/rack", "r1"),
                ]),
            },
            Case {
                input: "env",
                want: Err("expected key=value"),
            },
            Case {
                input: "bad key=x",
                want: Err("key name"),
            },
            Case {
                input: "Example.com/a=x",
                want: Err("key prefix"),
            },
            Case {
                input: "a=-x",
                want: Err("value"),
            },
        ];
        for case in cases {
            let got = parse_labels(case.input);
            match (got, case.want) {
                (Ok(got), Ok(want)) => {
                    let want: BTreeMap<String, String> = want
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v.to_owned()))
                        .collect();
                    assert_eq!(got, want, "input {:?}", case.input);
                }
                (Err(err), Err(want)) => {
                    assert!(
                        err.to_string().contains(want),
                        "input {:?}: {err}",
                        case.input
                    )
                }
                (got, want) => panic!("input {:?}: got {got:?}, want {want:?}", case.input),
            }
        }
    }

    #[test]
    fn names_and_specs_are_checked() {
        assert!(validate_name("member-1").is_ok());
        for bad in ["", "Member", "a_b", &"x".repeat(49)] {
            assert!(validate_name(bad).is_err(), "{bad:?}");
        }
        let ok = JoinSpec {
            provider: Some("aws".into()),
            region: Some("eu-west-1".into()),
            zones: vec!["eu-west-1a".into()],
            ..Default::default()
        };
        assert!(ok.validate().is_ok());
        let bad = JoinSpec {
            region: Some("not a region!".into()),
            ..Default::default()
        };
        let err = bad.validate().unwrap_err().to_string();
        assert!(err.contains("spec.region"), "{err}");
    }
}
