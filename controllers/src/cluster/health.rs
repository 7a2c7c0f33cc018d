//! Member cluster health as a small state machine: what a probe observed, which `Ready`
//! condition to publish given the failure threshold, how conditions are set on a status, and
//! which NoSchedule taints follow from the published condition. Pure functions over values and
//! a [`tokio::time::Instant`], so every transition is tested with a paused clock.
//!
//! * A probe ends in one of four [`Probe`] outcomes. Healthy publishes `Ready=True/ClusterReady`;
//!   a non-ok health endpoint `Ready=False/ClusterNotReady`; no answer at all
//!   `Ready=False/ClusterNotReachable`; no client could even be built (no endpoint, missing
//!   Secret) `Ready=False/StatusCollectionFailed`.
//! * Flap damping ([`HealthState::publish`]): a cluster published Ready keeps that condition
//!   until probes have failed continuously for the failure threshold; a success publishes
//!   `Ready=True` at once. A cluster with no Ready condition yet, or one already not Ready,
//!   publishes what was observed straight away. (Karmada also damps recoveries with a success
//!   threshold; Flotilla lets a cluster that answers take work again immediately.)
//! * Taints ([`desired_taints`]) are Karmada's automatic NoSchedule taints: `not-ready` while
//!   Ready is not True (or not yet reported), plus `unreachable` while the cluster cannot be
//!   reached at all (`ClusterNotReachable`, or `Ready=Unknown`); both go when Ready is True.
//!   Only NoSchedule taints with these keys are touched; NoExecute is left to policies.

use std::time::Duration;

use flotilla_api::cluster::v1alpha1::CLUSTER_CONDITION_READY;
use flotilla_api::labels::{TAINT_CLUSTER_NOT_READY, TAINT_CLUSTER_UNREACHABLE};
use k8s_openapi::api::core::v1::Taint;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use tokio::time::Instant;

/// `Ready=True` reason.
pub const REASON_READY: &str = "ClusterReady";
/// `Ready=True` message.
pub const MESSAGE_READY: &str = "cluster is healthy and ready to accept workloads";
/// `Ready=False` reason when the health endpoint answers but not with ok.
pub const REASON_NOT_READY: &str = "ClusterNotReady";
/// `Ready=False` reason when the cluster does not answer.
pub const REASON_NOT_REACHABLE: &str = "ClusterNotReachable";
/// `Ready=False` reason when no client can be built for the cluster.
pub const REASON_STATUS_COLLECTION_FAILED: &str = "StatusCollectionFailed";

/// The effect of the automatic taints.
pub const NO_SCHEDULE: &str = "NoSchedule";

/// What one health probe of a member found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// `/readyz` (or `/healthz`) answered 200.
    Healthy,
    /// The health endpoint answered with another status.
    Unhealthy {
        /// The HTTP status code.
        status: u16,
    },
    /// No answer: connection refused, reset, TLS failure, timeout.
    Unreachable {
        /// Why, for the logs.
        error: String,
    },
    /// No client could be built from the Cluster and its Secret.
    NoClient {
        /// Why; it goes into the condition message, since the user must fix it.
        error: String,
    },
}

/// A condition without its type and timestamp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionState {
    /// `True`, `False` or `Unknown`.
    pub status: String,
    /// Machine-readable reason.
    pub reason: String,
    /// Human-readable message.
    pub message: String,
}

impl ConditionState {
    /// A condition state from its parts.
    pub fn new(status: bool, reason: &str, message: impl Into<String>) -> ConditionState {
        ConditionState {
            status: if status { "True" } else { "False" }.to_owned(),
            reason: reason.to_owned(),
            message: message.into(),
        }
    }

    /// Whether the status is `True`.
    pub fn is_true(&self) -> bool {
        self.status == "True"
    }

    /// The condition this probe outcome means.
    pub fn observed(probe: &Probe) -> ConditionState {
        let (status, reason, message) = match probe {
            Probe::Healthy => ("True", REASON_READY, MESSAGE_READY.to_owned()),
            Probe::Unhealthy { status } => (
                "False",
                REASON_NOT_READY,
                format!("cluster is reachable but its health endpoint answered {status}"),
            ),
            Probe::Unreachable { .. } => (
                "False",
                REASON_NOT_REACHABLE,
                "cluster is not reachable".to_owned(),
            ),
            Probe::NoClient { error } => (
                "False",
                REASON_STATUS_COLLECTION_FAILED,
                format!("failed to build a client for the cluster: {error}"),
            ),
        };
        ConditionState {
            status: status.to_owned(),
            reason: reason.to_owned(),
            message,
        }
    }

    /// The state of a published condition.
    pub fn of(condition: &Condition) -> ConditionState {
        ConditionState {
            status: condition.status.clone(),
            reason: condition.reason.clone(),
            message: condition.message.clone(),
        }
    }
}

/// What the status controller remembers about one cluster between probes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HealthState {
    /// Since when probes of a cluster published as Ready have been failing.
    failing_since: Option<Instant>,
}

impl HealthState {
    /// The `Ready` condition to publish, given the one published now (if any) and what the
    /// latest probe observed at `now`. This is the only place the damping state changes.
    pub fn publish(
        &mut self,
        published: Option<&ConditionState>,
        observed: ConditionState,
        now: Instant,
        failure_threshold: Duration,
    ) -> ConditionState {
        let published = match published {
            // Nothing known yet, or it already says not Ready: report what is seen.
            None => {
                self.failing_since = None;
                return observed;
            }
            Some(p) if !p.is_true() => {
                self.failing_since = None;
                return observed;
            }
            Some(p) => p,
        };
        if observed.is_true() {
            self.failing_since = None;
            return observed;
        }
        // Ready until now, failing now: only after the failures have lasted long enough.
        let since = *self.failing_since.get_or_insert(now);
        if now.duration_since(since) >= failure_threshold {
            self.failing_since = None;
            observed
        } else {
            published.clone()
        }
    }

    /// Whether a failure is being damped (the cluster still published Ready).
    pub fn is_damping(&self) -> bool {
        self.failing_since.is_some()
    }
}

/// Sets a condition the way `meta.SetStatusCondition` does: the transition time moves only when
/// the status changes; reason and message are updated in place. Returns whether anything
/// changed.
pub fn set_condition(
    conditions: &mut Vec<Condition>,
    type_: &str,
    state: &ConditionState,
    now: &Time,
) -> bool {
    match conditions.iter_mut().find(|c| c.type_ == type_) {
        Some(existing) => {
            let mut changed = false;
            if existing.status != state.status {
                existing.status.clone_from(&state.status);
                existing.last_transition_time = now.clone();
                changed = true;
            }
            if existing.reason != state.reason {
                existing.reason.clone_from(&state.reason);
                changed = true;
            }
            if existing.message != state.message {
                existing.message.clone_from(&state.message);
                changed = true;
            }
            changed
        }
        None => {
            conditions.push(Condition {
                type_: type_.to_owned(),
                status: state.status.clone(),
                reason: state.reason.clone(),
                message: state.message.clone(),
                last_transition_time: now.clone(),
                observed_generation: None,
            });
            true
        }
    }
}

/// The cluster's taints after applying the automatic NoSchedule taints for its `Ready`
/// condition, or `None` when they are already right. New taints get `timeAdded = now`;
/// existing ones keep theirs.
pub fn desired_taints(
    current: &[Taint],
    ready: Option<&Condition>,
    now: &Time,
) -> Option<Vec<Taint>> {
    let (not_ready, unreachable) = match ready {
        None => (true, false),
        Some(c) => match c.status.as_str() {
            "True" => (false, false),
            "Unknown" => (false, true),
            _ => (true, c.reason == REASON_NOT_REACHABLE),
        },
    };
    let mut taints = current.to_vec();
    let mut changed = false;
    for (key, wanted) in [
        (TAINT_CLUSTER_NOT_READY, not_ready),
        (TAINT_CLUSTER_UNREACHABLE, unreachable),
    ] {
        let present = taints
            .iter()
            .any(|t| t.key == key && t.effect == NO_SCHEDULE);
        if wanted && !present {
            taints.push(Taint {
                key: key.to_owned(),
                effect: NO_SCHEDULE.to_owned(),
                value: None,
                time_added: Some(now.clone()),
            });
            changed = true;
        } else if !wanted && present {
            taints.retain(|t| !(t.key == key && t.effect == NO_SCHEDULE));
            changed = true;
        }
    }
    changed.then_some(taints)
}

/// The `Ready` condition among `conditions`.
pub fn ready_condition(conditions: &[Condition]) -> Option<&Condition> {
    conditions
        .iter()
        .find(|c| c.type_ == CLUSTER_CONDITION_READY)
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::jiff::Timestamp;

    const THRESHOLD: Duration = Duration::from_secs(30);

    fn state(probe: Probe) -> ConditionState {
        ConditionState::observed(&probe)
    }

    fn unreachable() -> Probe {
        Probe::Unreachable {
            error: "connection refused".into(),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn ready_condition_transitions() {
        // Each step: seconds since the start, what the probe saw, the reason published after.
        struct Step {
            at: u64,
            probe: Probe,
            published: &'static str,
        }
        struct Case {
            name: &'static str,
            initially: Option<ConditionState>,
            steps: Vec<Step>,
        }
        let ready = Some(state(Probe::Healthy));
        let cases = [
            Case {
                name: "a new cluster publishes what it sees at once",
                initially: None,
                steps: vec![Step {
                    at: 0,
                    probe: unreachable(),
                    published: REASON_NOT_REACHABLE,
                }],
            },
            Case {
                name: "a ready cluster stays ready until failures last the threshold",
                initially: ready.clone(),
                steps: vec![
                    Step {
                        at: 0,
                        probe: unreachable(),
                        published: REASON_READY,
                    },
                    Step {
                        at: 10,
                        probe: unreachable(),
                        published: REASON_READY,
                    },
                    Step {
                        at: 29,
                        probe: Probe::Unhealthy { status: 500 },
                        published: REASON_READY,
                    },
                    Step {
                        at: 30,
                        probe: unreachable(),
                        published: REASON_NOT_REACHABLE,
                    },
                    // Already not ready: the reason follows the probe without delay.
                    Step {
                        at: 31,
                        probe: Probe::Unhealthy { status: 503 },
                        published: REASON_NOT_READY,
                    },
                    // Recovery is immediate.
                    Step {
                        at: 32,
                        probe: Probe::Healthy,
                        published: REASON_READY,
                    },
                ],
            },
            Case {
                name: "a success in between restarts the failure clock",
                initially: ready.clone(),
                steps: vec![
                    Step {
                        at: 0,
                        probe: unreachable(),
                        published: REASON_READY,
                    },
                    Step {
                        at: 20,
                        probe: Probe::Healthy,
                        published: REASON_READY,
                    },
                    Step {
                        at: 40,
                        probe: unreachable(),
                        published: REASON_READY,
                    },
                    Step {
                        at: 69,
                        probe: unreachable(),
                        published: REASON_READY,
                    },
                    Step {
                        at: 70,
                        probe: unreachable(),
                        published: REASON_NOT_REACHABLE,
                    },
                ],
            },
            Case {
                name: "a client that cannot be built publishes at once when not ready",
                initially: Some(state(unreachable())),
                steps: vec![Step {
                    at: 0,
                    probe: Probe::NoClient {
                        error: "no Secret".into(),
                    },
                    published: REASON_STATUS_COLLECTION_FAILED,
                }],
            },
        ];
        for case in cases {
            let start = Instant::now();
            let mut health = HealthState::default();
            let mut published = case.initially.clone();
            for step in case.steps {
                let now = start + Duration::from_secs(step.at);
                let next = health.publish(published.as_ref(), state(step.probe), now, THRESHOLD);
                assert_eq!(
                    next.reason, step.published,
                    "case {}: at {}s",
                    case.name, step.at
                );
                published = Some(next);
            }
        }
    }

    fn time(secs: i64) -> Time {
        Time(Timestamp::from_second(secs).unwrap())
    }

    #[test]
    fn set_condition_moves_the_transition_time_only_on_a_status_change() {
        let mut conditions = Vec::new();
        assert!(set_condition(
            &mut conditions,
            "Ready",
            &state(Probe::Healthy),
            &time(1)
        ));
        assert!(!set_condition(
            &mut conditions,
            "Ready",
            &state(Probe::Healthy),
            &time(2)
        ));
        assert_eq!(conditions[0].last_transition_time, time(1));
        assert!(set_condition(
            &mut conditions,
            "Ready",
            &state(unreachable()),
            &time(3)
        ));
        assert_eq!(conditions[0].last_transition_time, time(3));
        // Same status, new reason: updated, transition time kept.
        assert!(set_condition(
            &mut conditions,
            "Ready",
            &state(Probe::Unhealthy { status: 500 }),
            &time(4)
        ));
        assert_eq!(conditions[0].reason, REASON_NOT_READY);
        assert_eq!(conditions[0].last_transition_time, time(3));
        assert_eq!(conditions.len(), 1);
    }

    fn condition(status: &str, reason: &str) -> Condition {
        Condition {
            type_: "Ready".into(),
            status: status.into(),
            reason: reason.into(),
            message: String::new(),
            last_transition_time: time(0),
            observed_generation: None,
        }
    }

    fn taint(key: &str, effect: &str) -> Taint {
        Taint {
            key: key.into(),
            effect: effect.into(),
            value: None,
            time_added: Some(time(5)),
        }
    }

    #[test]
    fn taints_follow_the_ready_condition() {
        struct Case {
            name: &'static str,
            current: Vec<Taint>,
            ready: Option<Condition>,
            /// `key:effect` of the taints after, or `None` for "unchanged".
            want: Option<Vec<&'static str>>,
        }
        let not_ready = "cluster.karmada.io/not-ready:NoSchedule";
        let unreachable = "cluster.karmada.io/unreachable:NoSchedule";
        let cases = [
            Case {
                name: "new cluster: not-ready",
                current: vec![],
                ready: None,
                want: Some(vec![not_ready]),
            },
            Case {
                name: "ready and clean: unchanged",
                current: vec![taint("dedicated", "NoSchedule")],
                ready: Some(condition("True", REASON_READY)),
                want: None,
            },
            Case {
                name: "not ready: not-ready",
                current: vec![],
                ready: Some(condition("False", REASON_NOT_READY)),
                want: Some(vec![not_ready]),
            },
            Case {
                name: "unreachable: not-ready and unreachable",
                current: vec![],
                ready: Some(condition("False", REASON_NOT_REACHABLE)),
                want: Some(vec![not_ready, unreachable]),
            },
            Case {
                name: "reachable again but not ready: unreachable goes",
                current: vec![
                    taint(TAINT_CLUSTER_NOT_READY, NO_SCHEDULE),
                    taint(TAINT_CLUSTER_UNREACHABLE, NO_SCHEDULE),
                ],
                ready: Some(condition("False", REASON_NOT_READY)),
                want: Some(vec![not_ready]),
            },
            Case {
                name: "unknown: unreachable only",
                current: vec![taint(TAINT_CLUSTER_NOT_READY, NO_SCHEDULE)],
                ready: Some(condition("Unknown", "ClusterStatusUnknown")),
                want: Some(vec![unreachable]),
            },
            Case {
                name: "ready again: both go, other taints and NoExecute stay",
                current: vec![
                    taint("dedicated", "NoSchedule"),
                    taint(TAINT_CLUSTER_NOT_READY, NO_SCHEDULE),
                    taint(TAINT_CLUSTER_NOT_READY, "NoExecute"),
                    taint(TAINT_CLUSTER_UNREACHABLE, NO_SCHEDULE),
                ],
                ready: Some(condition("True", REASON_READY)),
                want: Some(vec![
                    "dedicated:NoSchedule",
                    "cluster.karmada.io/not-ready:NoExecute",
                ]),
            },
            Case {
                name: "already tainted: unchanged",
                current: vec![taint(TAINT_CLUSTER_NOT_READY, NO_SCHEDULE)],
                ready: Some(condition("False", REASON_NOT_READY)),
                want: None,
            },
        ];
        for case in cases {
            let got = desired_taints(&case.current, case.ready.as_ref(), &time(9));
            let got = got.map(|taints| {
                taints
                    .iter()
                    .map(|t| format!("{}:{}", t.key, t.effect))
                    .collect::<Vec<_>>()
            });
            let want = case
                .want
                .map(|w| w.into_iter().map(str::to_owned).collect::<Vec<_>>());
            assert_eq!(got, want, "case {}", case.name);
        }
    }

    #[test]
    fn added_taints_carry_the_time_and_existing_ones_keep_theirs() {
        let current = vec![taint(TAINT_CLUSTER_NOT_READY, NO_SCHEDULE)];
        let ready = condition("False", REASON_NOT_REACHABLE);
        let taints = desired_taints(&current, Some(&ready), &time(9)).unwrap();
        assert_eq!(taints[0].time_added, Some(time(5)));
        assert_eq!(taints[1].key, TAINT_CLUSTER_UNREACHABLE);
        assert_eq!(taints[1].time_added, Some(time(9)));
    }
}
