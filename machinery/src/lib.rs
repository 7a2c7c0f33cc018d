//! Kubernetes API machinery that no crate provides, as pure functions over `serde_json::Value`:
//! label and field selectors, resource quantities, name validation, schema-driven field
//! validation, strategic merge patch, and server-side apply with `managedFields`. No I/O; the
//! apiserver calls into it.

pub mod apply;
mod apply_walk;
pub mod defaults;
pub mod fieldpath;
pub mod kind_validation;
pub mod printers;
pub mod quantity;
pub mod schema;
pub mod selector;
pub mod strategic;
pub mod typeinfo;
pub mod validation;
