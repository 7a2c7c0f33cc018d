//! Retain: member-owned fields kept when a manifest is applied.

use serde_json::Value;

/// Keeps member-owned fields of `live` in `desired` before it is applied (Karmada's Retain),
/// e.g. a Deployment's replicas when the template says `retain-replicas`.
pub fn retain(desired: &mut Value, live: &Value) {
    let _ = (desired, live);
    unimplemented!("filled in by the execution work")
}
