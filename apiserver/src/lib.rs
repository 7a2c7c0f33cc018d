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
