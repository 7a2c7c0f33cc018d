//! The Work status the execution controller writes: the `Applied` and `Dispatching` conditions
//! (Karmada's reasons and messages), Flotilla's `Drifted` condition, and `manifestStatuses`.

use flotilla_api::work::v1alpha1::{
    ManifestStatus, REASON_APPLIED_FAILED, REASON_APPLIED_SUCCESSFUL, REASON_SUSPEND_DISPATCHING,
    WORK_APPLIED, WORK_DISPATCHING, WorkStatus,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use serde_json::{Value, json};

use super::manifest::ObjKey;

/// Work condition type (Flotilla's): a managed member object was found changed or deleted in the
/// member and was put back.
pub const WORK_DRIFTED: &str = "Drifted";
/// Reason of the `Drifted` condition and of the drift events.
pub const REASON_DRIFT_CORRECTED: &str = "DriftCorrected";
/// Message of the `Applied` condition when every manifest was applied.
pub const MESSAGE_APPLIED: &str = "Manifest has been successfully applied";
/// Reason of the `Dispatching` condition (status True) when dispatching goes on.
pub const REASON_DISPATCHING: &str = "Dispatching";
/// Message of the `Dispatching` condition when dispatching goes on.
pub const MESSAGE_DISPATCHING: &str = "Work is being dispatched to member clusters.";
/// Message of the `Dispatching` condition when dispatching is suspended.
pub const MESSAGE_SUSPENDED: &str = "Work dispatching is in a suspended state.";

/// One corrected drift.
#[derive(Debug, Clone, PartialEq)]
pub struct Drift {
    pub object: ObjKey,
    /// The fields that no longer had the manifest's values; empty when the object was deleted.
    pub paths: Vec<String>,
    /// Whether the object had been deleted (and was recreated).
    pub deleted: bool,
}

impl Drift {
    /// Says what happened, naming object, cluster and fields, and how many corrections this
    /// Work has needed so far (`count`, this one included).
    pub fn message(&self, cluster: &str, count: u64) -> String {
        let what = if self.deleted {
            format!(
                "{} was deleted in cluster {cluster} and has been recreated",
                self.object
            )
        } else {
            format!(
                "{} in cluster {cluster} drifted from its manifest ({}) and has been restored",
                self.object,
                self.paths.join(", ")
            )
        };
        let plural = if count == 1 { "" } else { "s" };
        format!("{what}; {count} correction{plural} so far")
    }
}

/// Sets condition `type_` in `conditions`, keeping its lastTransitionTime when the status did not
/// change (as `meta.SetStatusCondition` does).
pub fn set_condition(
    conditions: &mut Vec<Condition>,
    type_: &str,
    status: bool,
    reason: &str,
    message: String,
    observed_generation: Option<i64>,
) {
    let status = if status { "True" } else { "False" }.to_owned();
    match conditions.iter_mut().find(|c| c.type_ == type_) {
        Some(existing) => {
            if existing.status != status {
                existing.last_transition_time = now();
                existing.status = status;
            }
            existing.reason = reason.to_owned();
            existing.message = message;
            existing.observed_generation = observed_generation;
        }
        None => conditions.push(Condition {
            type_: type_.to_owned(),
            status,
            reason: reason.to_owned(),
            message,
            observed_generation,
            last_transition_time: now(),
        }),
    }
}

fn now() -> Time {
    Time(k8s_openapi::jiff::Timestamp::now())
}

/// Sets `Applied` from the outcome of applying `total` manifests with `failures` (one message
/// each): True/AppliedSuccessful, or False/AppliedFailed with Karmada's
/// "Failed to apply all manifests (ok/total): ..." message.
pub fn set_applied(
    conditions: &mut Vec<Condition>,
    total: usize,
    failures: &[String],
    generation: Option<i64>,
) {
    if failures.is_empty() {
        set_condition(
            conditions,
            WORK_APPLIED,
            true,
            REASON_APPLIED_SUCCESSFUL,
            MESSAGE_APPLIED.to_owned(),
            generation,
        );
    } else {
        let message = format!(
            "Failed to apply all manifests ({}/{total}): {}",
            total.saturating_sub(failures.len()),
            failures.join("; ")
        );
        set_condition(
            conditions,
            WORK_APPLIED,
            false,
            REASON_APPLIED_FAILED,
            message,
            generation,
        );
    }
}

/// Sets `Dispatching`: False/SuspendDispatching when suspended, True/Dispatching otherwise.
pub fn set_dispatching(conditions: &mut Vec<Condition>, suspended: bool) {
    if suspended {
        set_condition(
            conditions,
            WORK_DISPATCHING,
            false,
            REASON_SUSPEND_DISPATCHING,
            MESSAGE_SUSPENDED.to_owned(),
            None,
        );
    } else {
        set_condition(
            conditions,
            WORK_DISPATCHING,
            true,
            REASON_DISPATCHING,
            MESSAGE_DISPATCHING.to_owned(),
            None,
        );
    }
}

/// Sets `Drifted` True/DriftCorrected with the message of the latest corrections.
pub fn set_drifted(conditions: &mut Vec<Condition>, message: String, generation: Option<i64>) {
    set_condition(
        conditions,
        WORK_DRIFTED,
        true,
        REASON_DRIFT_CORRECTED,
        message,
        generation,
    );
}

/// The generation the `Applied` condition says was applied successfully, if it does.
pub fn applied_generation(status: Option<&WorkStatus>) -> Option<i64> {
    let applied = status?
        .conditions
        .iter()
        .find(|c| c.type_ == WORK_APPLIED && c.status == "True")?;
    applied.observed_generation
}

/// The JSON merge patch writing `status` whole: both lists are always present, so an emptied
/// list is emptied on the server too (a merge patch leaves absent keys alone).
pub fn status_patch(status: &WorkStatus) -> Value {
    json!({
        "status": {
            "conditions": status.conditions,
            "manifestStatuses": status.manifest_statuses,
        }
    })
}

/// The manifest status list in ordinal order.
pub fn sorted(mut statuses: Vec<ManifestStatus>) -> Vec<ManifestStatus> {
    statuses.sort_by_key(|s| s.identifier.ordinal);
    statuses
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> ObjKey {
        ObjKey {
            api_version: "apps/v1".into(),
            kind: "Deployment".into(),
            namespace: "default".into(),
            name: "nginx".into(),
        }
    }

    #[test]
    fn drift_messages_name_object_cluster_fields_and_count() {
        let changed = Drift {
            object: key(),
            paths: vec!["spec.template.spec.containers[0].image".into()],
            deleted: false,
        };
        assert_eq!(
            changed.message("member1", 1),
            "Deployment default/nginx in cluster member1 drifted from its manifest \
             (spec.template.spec.containers[0].image) and has been restored; 1 correction so far"
        );
        let deleted = Drift {
            object: key(),
            paths: vec![],
            deleted: true,
        };
        assert_eq!(
            deleted.message("member1", 3),
            "Deployment default/nginx was deleted in cluster member1 and has been recreated; \
             3 corrections so far"
        );
    }

    #[test]
    fn conditions_keep_their_transition_time_while_status_holds() {
        let mut conditions = Vec::new();
        set_applied(&mut conditions, 1, &[], Some(1));
        let first = conditions[0].clone();
        assert_eq!(
            (first.status.as_str(), first.reason.as_str()),
            ("True", REASON_APPLIED_SUCCESSFUL)
        );
        assert_eq!(first.message, MESSAGE_APPLIED);
        assert_eq!(
            applied_generation(Some(&WorkStatus {
                conditions: conditions.clone(),
                manifest_statuses: vec![],
            })),
            Some(1)
        );

        // Same status, new generation: the time stays.
        let mut older = first.clone();
        older.last_transition_time = Time("2020-01-01T00:00:00Z".parse().unwrap());
        let mut conditions = vec![older.clone()];
        set_applied(&mut conditions, 1, &[], Some(2));
        assert_eq!(
            conditions[0].last_transition_time,
            older.last_transition_time
        );
        assert_eq!(conditions[0].observed_generation, Some(2));

        // A failure flips it, with Karmada's message.
        set_applied(
            &mut conditions,
            2,
            &["Deployment default/a: boom".into()],
            Some(2),
        );
        let c = &conditions[0];
        assert_eq!(
            (c.status.as_str(), c.reason.as_str()),
            ("False", REASON_APPLIED_FAILED)
        );
        assert_eq!(
            c.message,
            "Failed to apply all manifests (1/2): Deployment default/a: boom"
        );
        assert_ne!(c.last_transition_time, older.last_transition_time);
        assert_eq!(
            applied_generation(Some(&WorkStatus {
                conditions: conditions.clone(),
                manifest_statuses: vec![],
            })),
            None
        );
    }

    #[test]
    fn dispatching_follows_suspension() {
        let mut conditions = Vec::new();
        set_dispatching(&mut conditions, true);
        assert_eq!(conditions[0].status, "False");
        assert_eq!(conditions[0].reason, REASON_SUSPEND_DISPATCHING);
        set_dispatching(&mut conditions, false);
        assert_eq!(conditions.len(), 1);
        assert_eq!(conditions[0].status, "True");
        assert_eq!(conditions[0].reason, REASON_DISPATCHING);
    }

    #[test]
    fn status_patches_carry_empty_lists() {
        let patch = status_patch(&WorkStatus::default());
        assert_eq!(
            patch,
            json!({"status": {"conditions": [], "manifestStatuses": []}})
        );
    }
}
