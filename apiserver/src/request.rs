//! Parsing of one API request: the Kubernetes URL space, query parameters, and what the client
//! accepts and sends.

use std::collections::HashMap;

use http::HeaderMap;

use crate::error::{ApiError, ApiResult};

/// `/api/v1/namespaces/ns/pods/name/status` and friends, taken apart.
#[derive(Debug, Clone, Default)]
pub struct ResourcePath {
    pub group: String,
    pub version: String,
    pub namespace: Option<String>,
    pub resource: String,
    pub name: Option<String>,
    pub subresource: Option<String>,
}

/// The parts of a URL path under the API roots.
#[derive(Debug)]
pub enum ApiPath {
    /// `/api` or `/apis`.
    Root { legacy: bool },
    /// `/apis/<group>`.
    Group(String),
    /// `/api/v1` or `/apis/<group>/<version>`.
    GroupVersion { group: String, version: String },
    /// Everything below a group/version: its segments.
    Resource {
        group: String,
        version: String,
        segments: Vec<String>,
    },
}

pub fn parse_api_path(path: &str) -> Option<ApiPath> {
    let parts: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
    match parts.as_slice() {
        ["api"] => Some(ApiPath::Root { legacy: true }),
        ["apis"] => Some(ApiPath::Root { legacy: false }),
        ["api", version] => Some(ApiPath::GroupVersion {
            group: String::new(),
            version: version.to_string(),
        }),
        ["api", version, rest @ ..] => Some(ApiPath::Resource {
            group: String::new(),
            version: version.to_string(),
            segments: rest.iter().map(|s| s.to_string()).collect(),
        }),
        ["apis", group] => Some(ApiPath::Group(group.to_string())),
        ["apis", group, version] => Some(ApiPath::GroupVersion {
            group: group.to_string(),
            version: version.to_string(),
        }),
        ["apis", group, version, rest @ ..] => Some(ApiPath::Resource {
            group: group.to_string(),
            version: version.to_string(),
            segments: rest.iter().map(|s| s.to_string()).collect(),
        }),
        _ => None,
    }
}

/// Split the segments below a group/version. `is_namespaced(resource)` tells whether a
/// resource of this group/version is namespaced, to tell `namespaces/<ns>/<resource>` from
/// `namespaces/<name>/<subresource>`.
pub fn split_segments(
    group: &str,
    version: &str,
    segments: &[String],
    is_namespaced: impl Fn(&str) -> bool,
) -> Option<ResourcePath> {
    let seg: Vec<&str> = segments.iter().map(|s| s.as_str()).collect();
    let base = ResourcePath {
        group: group.to_string(),
        version: version.to_string(),
        ..Default::default()
    };
    match seg.as_slice() {
        ["namespaces", ns, resource, rest @ ..] if is_namespaced(resource) && rest.len() <= 2 => {
            Some(ResourcePath {
                namespace: Some(ns.to_string()),
                resource: resource.to_string(),
                name: rest.first().map(|s| s.to_string()),
                subresource: rest.get(1).map(|s| s.to_string()),
                ..base
            })
        }
        [resource, rest @ ..] if rest.len() <= 2 && !resource.is_empty() => Some(ResourcePath {
            resource: resource.to_string(),
            name: rest.first().map(|s| s.to_string()),
            subresource: rest.get(1).map(|s| s.to_string()),
            ..base
        }),
        _ => None,
    }
}

/// Query parameters; empty pairs (kube-rs sends `?&`) are ignored, the last value wins.
#[derive(Debug, Default, Clone)]
pub struct Query(pub HashMap<String, String>);

impl Query {
    pub fn parse(query: Option<&str>) -> Query {
        let mut map = HashMap::new();
        if let Some(q) = query {
            for (k, v) in url::form_urlencoded::parse(q.as_bytes()) {
                if !k.is_empty() {
                    map.insert(k.into_owned(), v.into_owned());
                }
            }
        }
        Query(map)
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .get(key)
            .map(|s| s.as_str())
            .filter(|s| !s.is_empty())
    }

    pub fn flag(&self, key: &str) -> bool {
        matches!(self.get(key), Some("true" | "1" | "True"))
    }

    pub fn int(&self, key: &str) -> ApiResult<Option<i64>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| {
                ApiError::bad_request(format!("invalid value {v:?} for query parameter {key}"))
            }),
        }
    }

    pub fn dry_run(&self) -> ApiResult<bool> {
        match self.get("dryRun") {
            None => Ok(false),
            Some("All") => Ok(true),
            Some(other) => Err(ApiError::bad_request(format!(
                "Invalid dry run value: {other:?}: supported values are [\"All\"]"
            ))),
        }
    }
}

/// How the client wants objects rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rendering {
    Object,
    Table,
    PartialMetadata,
}

/// What the `Accept` header asks for. JSON is always the fallback: kubectl and kube-rs break on
/// a 406, so we never send one.
pub fn rendering(headers: &HeaderMap) -> Rendering {
    let accept = headers
        .get(http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    for part in accept.split(',') {
        let params: Vec<&str> = part.split(';').map(|s| s.trim()).collect();
        if params.first().is_none_or(|m| *m != "application/json") {
            continue;
        }
        let is_meta = params.contains(&"g=meta.k8s.io");
        if params.contains(&"as=Table") && (is_meta || params.len() > 1) {
            return Rendering::Table;
        }
        if params
            .iter()
            .any(|p| p.starts_with("as=PartialObjectMetadata"))
        {
            return Rendering::PartialMetadata;
        }
        if params.len() == 1 {
            return Rendering::Object;
        }
    }
    Rendering::Object
}

pub fn wants_aggregated_discovery(headers: &HeaderMap) -> Option<&'static str> {
    let accept = headers
        .get(http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    for part in accept.split(',') {
        if !part.contains("as=APIGroupDiscoveryList") {
            if part.trim().starts_with("application/json") {
                // A plain JSON entry ranked before any aggregated one.
                return None;
            }
            continue;
        }
        if part.contains("v=v2beta1") {
            return Some("v2beta1");
        }
        if part.contains("v=v2") {
            return Some("v2");
        }
    }
    None
}

pub fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|s| {
            s.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default()
}

pub fn user_agent_manager(headers: &HeaderMap) -> String {
    let ua = headers
        .get(http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("unknown");
    let program = ua.split('/').next().unwrap_or("unknown");
    program.chars().take(128).collect()
}
