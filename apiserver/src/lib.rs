//! Flotilla's Kubernetes-compatible API server: storage-backed REST for every served resource,
//! discovery, OpenAPI, watch (served from an in-memory watch cache), patch engines, Table
//! printing and the server's own lifecycle work (namespace deletion, garbage collection).
//!
//! `kubectl` and kube-rs talk to it exactly as they talk to kube-apiserver.

pub mod cache;
pub mod crd;
pub mod discovery;
pub mod error;
pub mod events;
pub mod handlers;
pub mod karmada;
pub mod lifecycle;
pub mod object;
pub mod openapi;
pub mod protobuf;
pub mod registry;
pub mod request;
pub mod scale;
pub mod server;
pub mod services;
pub mod table;
pub mod watch;

pub use server::{ApiServer, Config};

/// A kubeconfig that points plain `kubectl` (and kube-rs) at the server at `server` (a URL such
/// as `http://127.0.0.1:6443`), with one cluster, user and context all called `name`.
pub fn kubeconfig_yaml(server: &str, name: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: {name}\n  cluster:\n    server: {server}\nusers:\n- name: {name}\n  user: {{}}\ncontexts:\n- name: {name}\n  context:\n    cluster: {name}\n    user: {name}\n    namespace: default\ncurrent-context: {name}\n"
    )
}
