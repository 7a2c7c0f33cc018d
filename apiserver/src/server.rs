//! Wiring: the shared state, the router that takes the Kubernetes URL space apart, start-up
//! (built-in namespaces, CRDs already stored), and the server's own background work.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use flotilla_storage::Storage;
use http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tracing::{info, warn};

use crate::cache::WatchCache;
use crate::error::{ApiError, ApiResult};
use crate::handlers::{AppState, Request, ServerOptions, json_response};
use crate::registry::{Registry, ResourceInfo};
use crate::request::{ApiPath, Query, parse_api_path, split_segments, wants_aggregated_discovery};
use crate::{crd, discovery, handlers, lifecycle, openapi};

const CRD_PREFIX: &str = "/registry/apiextensions.k8s.io/customresourcedefinitions/";

/// Namespaces every cluster has.
pub const SYSTEM_NAMESPACES: &[&str] =
    &["default", "kube-system", "kube-public", "kube-node-lease"];

/// How the server runs.
#[derive(Debug, Clone)]
pub struct Config {
    pub options: ServerOptions,
    /// Events kept in the watch cache's history, for watches that resume from a revision.
    pub watch_history: usize,
    /// How often old store revisions are compacted (the history between two runs is kept).
    pub compaction_interval: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            options: ServerOptions::default(),
            watch_history: 100_000,
            compaction_interval: Duration::from_secs(300),
        }
    }
}

/// A running API server's state, independent of any listener.
pub struct ApiServer {
    pub state: Arc<AppState>,
}

impl ApiServer {
    /// Open the API over `store`: fill the watch cache, register stored CRDs, create the system
    /// namespaces, start background work.
    pub async fn new(
        store: Arc<dyn Storage>,
        config: Config,
    ) -> Result<ApiServer, flotilla_storage::StorageError> {
        let cache = WatchCache::start(Arc::clone(&store), config.watch_history).await?;
        let registry = Arc::new(Registry::with_karmada(config.options.karmada_api));
        let state = Arc::new(AppState {
            registry,
            store,
            cache,
            options: config.options.clone(),
        });
        // CRDs created or changed through any API server become served resources before any
        // watcher hears of them.
        let observed = Arc::downgrade(&state);
        state.cache.set_observer(Arc::new(move |event| {
            if !event.key.starts_with(CRD_PREFIX) {
                return;
            }
            let Some(state) = observed.upgrade() else {
                return;
            };
            match event.event_type {
                flotilla_storage::EventType::Deleted => {
                    let name = crate::object::name(&event.object).to_string();
                    state.registry.set_crd_resources(&name, Vec::new(), None);
                }
                _ => register_crd(&state, &event.object),
            }
        }));
        let (crds, _) = state.cache.list(
            "/registry/apiextensions.k8s.io/customresourcedefinitions/",
            None,
        );
        for c in crds.iter() {
            register_crd(&state, &c.object);
        }
        for ns in SYSTEM_NAMESPACES {
            ensure_namespace(&state, ns).await?;
        }
        lifecycle::spawn(Arc::clone(&state));
        spawn_compactor(Arc::clone(&state), config.compaction_interval);
        Ok(ApiServer { state })
    }

    pub fn router(&self) -> Router {
        Router::new()
            .fallback(dispatch)
            .with_state(Arc::clone(&self.state))
    }

    /// Serve HTTP/1.1 and HTTP/2 (prior knowledge) on `listener` until `shutdown` resolves.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let addr: SocketAddr = listener.local_addr()?;
        info!(%addr, "flotilla apiserver listening");
        axum::serve(listener, self.router())
            .with_graceful_shutdown(shutdown)
            .await
    }
}

async fn ensure_namespace(
    state: &Arc<AppState>,
    name: &str,
) -> Result<(), flotilla_storage::StorageError> {
    let key = format!("/registry/core/namespaces/{name}");
    if state.store.get(&key).await?.is_some() {
        return Ok(());
    }
    let obj = json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "uid": crate::object::new_uid(), "creationTimestamp": crate::object::now(),
                     "labels": {"kubernetes.io/metadata.name": name}},
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    });
    match state.store.create(&key, handlers::encode(&obj)).await {
        Ok(_) | Err(flotilla_storage::StorageError::AlreadyExists { .. }) => Ok(()),
        Err(e) => Err(e),
    }
}

fn spawn_compactor(state: Arc<AppState>, interval: Duration) {
    tokio::spawn(async move {
        let mut previous: Option<i64> = None;
        let mut ticker = tokio::time::interval(interval);
        ticker.tick().await;
        loop {
            ticker.tick().await;
            let current = match state.store.current_revision().await {
                Ok(r) => r,
                Err(err) => {
                    warn!(%err, "compactor cannot read the revision");
                    continue;
                }
            };
            if let Some(rev) = previous
                && rev > 0
            {
                match state.store.compact(rev).await {
                    Ok(()) => state.cache.trim_history(rev),
                    Err(err) => warn!(%err, revision = rev, "compaction failed"),
                }
            }
            previous = Some(current);
        }
    });
}

pub fn register_crd(state: &Arc<AppState>, crd_obj: &Value) {
    let name = crate::object::name(crd_obj).to_string();
    let (infos, preferred) = crd::resources(crd_obj);
    state
        .registry
        .set_crd_resources(&name, infos, preferred.as_deref());
}

/// Side effects of a successful write that must be visible before the client hears back: a
/// CRD's resources are served as soon as its create returns.
pub async fn after_write(
    state: &Arc<AppState>,
    info: &ResourceInfo,
    _old: Option<&Value>,
    new: Option<&Value>,
) {
    if info.group == "apiextensions.k8s.io" && info.resource == "customresourcedefinitions" {
        match new {
            Some(obj) => register_crd(state, obj),
            None => {
                if let Some(old) = _old {
                    let name = crate::object::name(old).to_string();
                    state.registry.set_crd_resources(&name, Vec::new(), None);
                    lifecycle::delete_crd_instances(state, old).await;
                }
            }
        }
    }
}

fn text(code: StatusCode, body: &'static str) -> Response {
    let mut resp = (code, body).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}

async fn dispatch(
    State(state): State<Arc<AppState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let path = uri.path().to_string();
    let started = std::time::Instant::now();
    let result = route(&state, method.clone(), &uri, headers, body).await;
    let response = match result {
        Ok(r) => r,
        Err(e) => e.into_response(),
    };
    tracing::debug!(%method, path, status = response.status().as_u16(), elapsed_ms = started.elapsed().as_millis() as u64, "request");
    response
}

async fn route(
    state: &Arc<AppState>,
    method: Method,
    uri: &Uri,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let path = uri.path();
    match path {
        "/version" | "/version/" => {
            return Ok(json_response(StatusCode::OK, &discovery::version(), &[]));
        }
        "/healthz" | "/livez" | "/readyz" => return Ok(text(StatusCode::OK, "ok")),
        "/openapi/v3" | "/openapi/v3/" => {
            return Ok(json_response(
                StatusCode::OK,
                &openapi::root(&state.registry),
                &[],
            ));
        }
        _ => {}
    }
    if path.starts_with("/healthz/") || path.starts_with("/livez/") || path.starts_with("/readyz/")
    {
        return Ok(text(StatusCode::OK, "ok"));
    }
    if let Some(rest) = path.strip_prefix("/openapi/v3/") {
        let parts: Vec<&str> = rest.split('/').collect();
        let doc = match parts.as_slice() {
            ["api", version] => openapi::document(&state.registry, "", version),
            ["apis", group, version] => openapi::document(&state.registry, group, version),
            _ => None,
        };
        return match doc {
            Some(d) => Ok(json_response(StatusCode::OK, &d, &[])),
            None => Err(ApiError::not_found_path()),
        };
    }
    let Some(api_path) = parse_api_path(path) else {
        return Err(ApiError::not_found_path());
    };
    match api_path {
        ApiPath::Root { legacy } => {
            if let Some(version) = wants_aggregated_discovery(&headers) {
                let body = discovery::aggregated(&state.registry, legacy, version);
                let mut resp = json_response(StatusCode::OK, &body, &[]);
                let ct = format!(
                    "application/json;g=apidiscovery.k8s.io;v={version};as=APIGroupDiscoveryList"
                );
                if let Ok(v) = HeaderValue::from_str(&ct) {
                    resp.headers_mut().insert(header::CONTENT_TYPE, v);
                }
                return Ok(resp);
            }
            let body = if legacy {
                discovery::api_versions()
            } else {
                discovery::api_group_list(&state.registry)
            };
            Ok(json_response(StatusCode::OK, &body, &[]))
        }
        ApiPath::Group(group) => discovery::api_group(&state.registry, &group)
            .map(|b| json_response(StatusCode::OK, &b, &[]))
            .ok_or_else(ApiError::not_found_path),
        ApiPath::GroupVersion { group, version } => {
            discovery::resource_list(&state.registry, &group, &version)
                .map(|b| json_response(StatusCode::OK, &b, &[]))
                .ok_or_else(ApiError::not_found_path)
        }
        ApiPath::Resource {
            group,
            version,
            segments,
        } => {
            if !state.registry.has_group_version(&group, &version) {
                return Err(ApiError::not_found_path());
            }
            let registry = &state.registry;
            let rp = split_segments(&group, &version, &segments, |r| {
                registry
                    .get(&group, &version, r)
                    .is_some_and(|i| i.namespaced)
            })
            .ok_or_else(ApiError::not_found_path)?;
            let info = state
                .registry
                .get(&group, &version, &rp.resource)
                .ok_or_else(ApiError::not_found_path)?;
            let req = Request {
                state,
                info,
                path: rp,
                query: Query::parse(uri.query()),
                headers,
            };
            handlers::handle(req, method, body).await
        }
    }
}
