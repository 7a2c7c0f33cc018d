//! ReflectStatus, InterpretHealth and AggregateStatus: member status carried back and added up.

use flotilla_api::work::v1alpha1::ResourceHealth;
use serde_json::Value;

/// One member cluster's reflected status of a template's object (from
/// `Work.status.manifestStatuses[].status`).
#[derive(Debug, Clone)]
pub struct ClusterStatus<'a> {
    pub cluster: &'a str,
    /// The reflected status, as [`reflect_status`] produced it.
    pub status: &'a Value,
}

/// The status carried back from a member object (Karmada's ReflectStatus).
pub fn reflect_status(object: &Value) -> Option<Value> {
    let _ = object;
    unimplemented!("filled in by the status work")
}

/// How healthy a member object is (Karmada's InterpretHealth).
pub fn health(object: &Value) -> ResourceHealth {
    let _ = object;
    unimplemented!("filled in by the status work")
}

/// The template's status made from its per-cluster reflected statuses (Karmada's
/// AggregateStatus), or `None` when the kind's status is not aggregated.
pub fn aggregate_status(template: &Value, statuses: &[ClusterStatus<'_>]) -> Option<Value> {
    let _ = (template, statuses);
    unimplemented!("filled in by the status work")
}
