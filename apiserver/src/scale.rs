//! The scale subresource (`autoscaling/v1` Scale) for deployments, statefulsets, replicasets and
//! custom resources that declare one: what `kubectl scale` and autoscalers use.

use axum::body::Body;
use axum::response::Response;
use http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::handlers::{Request, json_response, parse_body, read, write_update};
use crate::request::content_type;

fn get_path<'a>(obj: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = obj;
    for part in path.trim_start_matches('.').split('.') {
        cur = cur.get(part)?;
    }
    Some(cur)
}

fn set_path(obj: &mut Value, path: &str, value: Value) {
    let parts: Vec<&str> = path.trim_start_matches('.').split('.').collect();
    let mut cur = obj;
    for part in &parts[..parts.len() - 1] {
        if !cur.get(*part).is_some_and(|v| v.is_object()) {
            cur[*part] = json!({});
        }
        cur = &mut cur[*part];
    }
    cur[parts[parts.len() - 1]] = value;
}

fn selector_string(sel: &Value) -> String {
    if let Some(s) = sel.as_str() {
        return s.to_string();
    }
    flotilla_machinery::selector::LabelSelector::from_label_selector_json(sel)
        .map(|s| s.to_string())
        .unwrap_or_default()
}

fn to_scale(req: &Request<'_>, obj: &Value) -> Value {
    let spec = req.info.scale.as_ref().expect("scale subresource");
    let meta = obj.get("metadata").cloned().unwrap_or(json!({}));
    let replicas = get_path(obj, &spec.spec_replicas_path)
        .and_then(|v| v.as_i64())
        .unwrap_or(0);
    let status_replicas = get_path(obj, &spec.status_replicas_path)
        .and_then(|v| v.as_i64())
        .unwrap_or(0);
    let selector = match &spec.label_selector_path {
        Some(p) if p == ".status.selector" && req.info.crd.is_none() => obj
            .pointer("/spec/selector")
            .map(selector_string)
            .unwrap_or_default(),
        Some(p) => get_path(obj, p).map(selector_string).unwrap_or_default(),
        None => String::new(),
    };
    let mut out_meta = json!({});
    for f in [
        "name",
        "namespace",
        "uid",
        "resourceVersion",
        "creationTimestamp",
    ] {
        if let Some(v) = meta.get(f) {
            out_meta[f] = v.clone();
        }
    }
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": out_meta,
        "spec": {"replicas": replicas},
        "status": {"replicas": status_replicas, "selector": selector},
    })
}

pub async fn handle(req: Request<'_>, method: Method, body: Body) -> ApiResult<Response> {
    let name = req.path.name.clone().ok_or_else(ApiError::not_found_path)?;
    let limit = req.state.options.max_body_bytes;
    let body = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| ApiError::too_large(limit))?;
    let spec_path = req
        .info
        .scale
        .as_ref()
        .expect("scale")
        .spec_replicas_path
        .clone();
    match method {
        Method::GET => {
            let (obj, _) = read(&req, &name).await?;
            Ok(json_response(StatusCode::OK, &to_scale(&req, &obj), &[]))
        }
        Method::PUT | Method::PATCH => {
            let is_put = method == Method::PUT;
            let input = if is_put {
                parse_body(&req.headers, &body)?
            } else {
                serde_json::from_slice(&body).map_err(|e| {
                    ApiError::bad_request(format!(
                        "the body of the request could not be decoded: {e}"
                    ))
                })?
            };
            let ct = content_type(&req.headers);
            let precondition = if is_put {
                input
                    .pointer("/metadata/resourceVersion")
                    .and_then(|v| v.as_str())
                    .and_then(|v| v.parse().ok())
            } else {
                None
            };
            let manager = req
                .query
                .get("fieldManager")
                .unwrap_or("kubectl")
                .to_string();
            let response = write_update(&req, &name, precondition, Vec::new(), false, |old| {
                let mut scale = to_scale(&req, old);
                if is_put {
                    scale = input.clone();
                } else if ct == "application/json-patch+json" {
                    let ops: json_patch::Patch = serde_json::from_value(input.clone())
                        .map_err(|e| ApiError::bad_request(e.to_string()))?;
                    json_patch::patch(&mut scale, &ops)
                        .map_err(|e| ApiError::new(422, "Invalid", e.to_string()))?;
                } else {
                    json_patch::merge(&mut scale, &input);
                }
                let replicas = scale
                    .pointer("/spec/replicas")
                    .and_then(|r| r.as_i64())
                    .unwrap_or(0);
                if replicas < 0 {
                    return Err(ApiError::invalid(
                        &req.info,
                        &name,
                        "spec.replicas: Invalid value: must be greater than or equal to 0",
                    ));
                }
                let mut next = old.clone();
                set_path(&mut next, &spec_path, json!(replicas));
                crate::handlers::managed_fields_update(&req, Some(old), &mut next, &manager);
                Ok(next)
            })
            .await?;
            // Answer with the Scale of what was written.
            let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .map_err(|e| ApiError::internal(e.to_string()))?;
            let written: Value =
                serde_json::from_slice(&bytes).map_err(|e| ApiError::internal(e.to_string()))?;
            Ok(json_response(
                StatusCode::OK,
                &to_scale(&req, &written),
                &[],
            ))
        }
        _ => Err(ApiError::method_not_allowed(method.as_str(), &req.info)),
    }
}
