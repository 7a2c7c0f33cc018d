//! WATCH: a chunked stream of JSON events, one per line, served from the watch cache.
//!
//! Semantics follow kube-apiserver: `resourceVersion` unset or `0` starts with synthetic ADDED
//! events for the current state; `N` replays what happened after N; a revision the cache no
//! longer has is answered with HTTP 200 and one ERROR event carrying a 410 `Expired` Status
//! (kube-rs only relists on that form). Objects that stop (start) matching the selectors are
//! sent as DELETED (ADDED). BOOKMARKs keep idle watchers' revisions fresh, `sendInitialEvents`
//! ends its initial burst with the `k8s.io/initial-events-end` bookmark, and the stream closes at
//! `timeoutSeconds`.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use flotilla_storage::{EventType, Revision};
use http::{HeaderValue, StatusCode, header};
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc};

use crate::cache::{CacheEvent, CacheMessage};
use crate::error::{ApiError, ApiResult};
use crate::handlers::{Filter, Request, list_prefix, partial_metadata, present};
use crate::registry::ResourceInfo;
use crate::request::{Rendering, rendering};
use crate::table;

struct Encoder {
    info: Arc<ResourceInfo>,
    rendering: Rendering,
    first_table: bool,
}

impl Encoder {
    fn object(&mut self, obj: &Value) -> Value {
        let obj = present(&self.info, obj);
        match self.rendering {
            Rendering::Object => obj,
            Rendering::PartialMetadata => partial_metadata(&obj),
            Rendering::Table => {
                let mut t = table::table(&self.info, std::slice::from_ref(&obj), "Metadata");
                if !self.first_table {
                    t["columnDefinitions"] = Value::Null;
                }
                self.first_table = false;
                t
            }
        }
    }

    fn line(&mut self, event_type: &str, obj: &Value, encoded: impl FnOnce() -> Bytes) -> Bytes {
        // The common case, an object stored in the served version and sent as is, reuses the
        // bytes the cache serialized once for every watcher.
        let api_version = self.info.api_version();
        if self.rendering == Rendering::Object
            && !self.info.is_event_v1()
            && obj.get("apiVersion").and_then(|v| v.as_str()) == Some(api_version.as_str())
        {
            let object = encoded();
            let mut line = Vec::with_capacity(object.len() + 32);
            line.extend_from_slice(b"{\"type\":\"");
            line.extend_from_slice(event_type.as_bytes());
            line.extend_from_slice(b"\",\"object\":");
            line.extend_from_slice(&object);
            line.extend_from_slice(b"}\n");
            return Bytes::from(line);
        }
        let object = self.object(obj);
        event_line(event_type, &object)
    }

    fn bookmark(&self, revision: Revision, initial_end: bool) -> Bytes {
        let mut meta = json!({"resourceVersion": revision.to_string()});
        if initial_end {
            meta["annotations"] = json!({"k8s.io/initial-events-end": "true"});
        }
        let (api_version, kind) = match self.rendering {
            Rendering::Object => (self.info.api_version(), self.info.kind.clone()),
            Rendering::PartialMetadata => ("meta.k8s.io/v1".into(), "PartialObjectMetadata".into()),
            Rendering::Table => (self.info.api_version(), self.info.kind.clone()),
        };
        event_line(
            "BOOKMARK",
            &json!({"kind": kind, "apiVersion": api_version, "metadata": meta}),
        )
    }
}

fn event_line(event_type: &str, object: &Value) -> Bytes {
    let mut line =
        serde_json::to_vec(&json!({"type": event_type, "object": object})).unwrap_or_default();
    line.push(b'\n');
    Bytes::from(line)
}

fn expired_line(requested: Revision, oldest: Revision) -> Bytes {
    let status =
        ApiError::gone(format!("too old resource version: {requested} ({oldest})")).status();
    event_line("ERROR", &status)
}

pub async fn serve(req: Request<'_>) -> ApiResult<Response> {
    let filter = Filter::from_query(&req.query)?;
    let prefix = list_prefix(&req);
    let bookmarks = req.query.flag("allowWatchBookmarks");
    let send_initial = req.query.flag("sendInitialEvents");
    let timeout = match req.query.int("timeoutSeconds")? {
        Some(t) if t > 0 => Duration::from_secs(t as u64),
        _ => req.state.options.max_watch_timeout,
    };
    let rv = req.query.get("resourceVersion").map(String::from);
    let cache = Arc::clone(&req.state.cache);
    let mode = rendering(&req.headers);
    let mut encoder = Encoder {
        info: Arc::clone(&req.info),
        rendering: mode,
        first_table: true,
    };
    let bookmark_interval = req.state.options.bookmark_interval;

    let (tx, rx) = mpsc::channel::<Bytes>(256);
    let mut initial = Vec::new();
    let mut receiver;
    let mut last_rev: Revision;
    match rv.as_deref() {
        None | Some("0") | Some("") => {
            if rv.is_none() && !send_initial {
                cache.sync().await;
            }
            let (objects, sub) = cache.snapshot_and_subscribe(&prefix);
            for cached in objects.iter().filter(|c| filter.matches(&c.object)) {
                initial.push(encoder.line("ADDED", &cached.object, || cached.encoded().clone()));
            }
            last_rev = sub.revision;
            if send_initial {
                initial.push(encoder.bookmark(last_rev, true));
            }
            receiver = sub.receiver;
        }
        Some(v) => {
            let after: Revision = v
                .parse()
                .map_err(|_| ApiError::bad_request(format!("invalid resource version {v:?}")))?;
            if send_initial {
                // Initial events at a given revision: the cache's current state is at least as
                // new, which NotOlderThan allows.
                let (objects, sub) = cache.snapshot_and_subscribe(&prefix);
                for cached in objects.iter().filter(|c| filter.matches(&c.object)) {
                    initial
                        .push(encoder.line("ADDED", &cached.object, || cached.encoded().clone()));
                }
                last_rev = sub.revision.max(after);
                initial.push(encoder.bookmark(last_rev, true));
                receiver = sub.receiver;
            } else {
                match cache.subscribe(&prefix, after) {
                    Ok(sub) => {
                        last_rev = after;
                        for event in &sub.backlog {
                            if let Some(line) = encode_event(&mut encoder, &filter, event) {
                                initial.push(line);
                            }
                            last_rev = event.revision;
                        }
                        receiver = sub.receiver;
                    }
                    Err(too_old) => {
                        initial.push(expired_line(too_old.requested, too_old.oldest));
                        let body = Body::from_stream(futures::stream::iter(
                            initial.into_iter().map(Ok::<_, std::io::Error>),
                        ));
                        return Ok(stream_response(body, Rendering::Object));
                    }
                }
            }
        }
    }

    tokio::spawn(async move {
        for line in initial {
            if tx.send(line).await.is_err() {
                return;
            }
        }
        let deadline = tokio::time::Instant::now() + timeout;
        let mut ticker = tokio::time::interval_at(
            tokio::time::Instant::now() + bookmark_interval,
            bookmark_interval,
        );
        let mut delivered_rev = last_rev;
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(deadline) => return,
                _ = tx.closed() => return,
                _ = ticker.tick(), if bookmarks => {
                    if delivered_rev > 0 && tx.send(encoder.bookmark(delivered_rev, false)).await.is_err() {
                        return;
                    }
                }
                msg = receiver.recv() => match msg {
                    Ok(CacheMessage::Event(event)) => {
                        if event.revision <= last_rev {
                            continue;
                        }
                        last_rev = event.revision;
                        delivered_rev = event.revision;
                        if !event.key.starts_with(&prefix) {
                            continue;
                        }
                        if let Some(line) = encode_event(&mut encoder, &filter, &event)
                            && tx.send(line).await.is_err()
                        {
                            return;
                        }
                    }
                    // A watcher that fell behind, or a cache rebuild, ends the stream; the
                    // client resumes from the last revision it saw.
                    Ok(CacheMessage::Reset) | Err(broadcast::error::RecvError::Lagged(_)) => return,
                    Err(broadcast::error::RecvError::Closed) => return,
                },
            }
        }
    });
    let stream = tokio_stream::wrappers::ReceiverStream::new(rx);
    let body = Body::from_stream(futures::StreamExt::map(stream, Ok::<_, std::io::Error>));
    Ok(stream_response(body, mode))
}

fn encode_event(encoder: &mut Encoder, filter: &Filter, event: &CacheEvent) -> Option<Bytes> {
    let now = filter.matches(&event.object);
    let before = event.prev.as_ref().is_some_and(|p| filter.matches(p));
    let kind = match event.event_type {
        EventType::Created if now => "ADDED",
        EventType::Modified if now && before => "MODIFIED",
        EventType::Modified if now => "ADDED",
        EventType::Modified if before => "DELETED",
        EventType::Deleted if before || now => "DELETED",
        _ => return None,
    };
    Some(encoder.line(kind, &event.object, || event.encoded().clone()))
}

fn stream_response(body: Body, mode: Rendering) -> Response {
    let mut resp = Response::new(body);
    *resp.status_mut() = StatusCode::OK;
    let content_type = match mode {
        Rendering::Table => "application/json;as=Table;v=v1;g=meta.k8s.io",
        _ => "application/json",
    };
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache, private"),
    );
    resp
}
