//! `TaintToleration`: a cluster with a `NoSchedule` or `NoExecute` taint that no toleration in
//! the placement tolerates is rejected.
//!
//! A cluster already in `spec.clusters` always passes: moving a workload away from a tainted
//! cluster is the taint manager's job (with its grace periods), not the scheduler's. Toleration
//! matching is Kubernetes' `ToleratesTaint` with the comparison operators (`Lt`/`Gt`) disabled,
//! as in Karmada: an empty effect matches every effect, an empty key with `Exists` matches every
//! taint, `Equal` (or an empty operator) compares values.

use crate::filter::{FilterContext, FilterOutcome, FilterPlugin, PluginError};
use crate::types::{Taint, Toleration};

/// The `TaintToleration` filter.
#[derive(Clone, Copy, Debug, Default)]
pub struct TaintToleration;

impl TaintToleration {
    /// Registry name.
    pub const NAME: &'static str = "TaintToleration";
}

/// Kubernetes' `Toleration.ToleratesTaint`.
pub(crate) fn tolerates(toleration: &Toleration, taint: &Taint) -> bool {
    if !toleration.effect.is_empty() && toleration.effect != taint.effect {
        return false;
    }
    if !toleration.key.is_empty() && toleration.key != taint.key {
        return false;
    }
    match toleration.operator.as_str() {
        "" | "Equal" => toleration.value == taint.value,
        "Exists" => true,
        _ => false,
    }
}

impl FilterPlugin for TaintToleration {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn filter(&self, ctx: &FilterContext<'_>) -> Result<FilterOutcome, PluginError> {
        if ctx.binding.targets(&ctx.cluster.name) {
            return Ok(FilterOutcome::Fit);
        }
        let untolerated = ctx
            .cluster
            .taints
            .iter()
            .filter(|t| t.effect == "NoSchedule" || t.effect == "NoExecute")
            .find(|t| {
                !ctx.placement
                    .cluster_tolerations
                    .iter()
                    .any(|tol| tolerates(tol, t))
            });
        Ok(match untolerated {
            None => FilterOutcome::Fit,
            Some(taint) => {
                FilterOutcome::Unschedulable(format!("cluster has untolerated taint {taint}"))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugins::testing::with_ctx;
    use crate::types::{BindingInput, ClusterInput, Placement, TargetCluster};

    fn taint(key: &str, value: &str, effect: &str) -> Taint {
        Taint {
            key: key.into(),
            value: value.into(),
            effect: effect.into(),
        }
    }

    fn toleration(key: &str, op: &str, value: &str, effect: &str) -> Toleration {
        Toleration {
            key: key.into(),
            operator: op.into(),
            value: value.into(),
            effect: effect.into(),
            toleration_seconds: None,
        }
    }

    #[test]
    fn taint_toleration_table() {
        struct Case {
            name: &'static str,
            taints: Vec<Taint>,
            tolerations: Vec<Toleration>,
            already_there: bool,
            want: FilterOutcome,
        }
        let not_ready = || taint("cluster.karmada.io/not-ready", "", "NoSchedule");
        let cases = [
            Case {
                name: "no taints",
                taints: vec![],
                tolerations: vec![],
                already_there: false,
                want: FilterOutcome::Fit,
            },
            Case {
                name: "untolerated NoSchedule",
                taints: vec![not_ready()],
                tolerations: vec![],
                already_there: false,
                want: FilterOutcome::Unschedulable(
                    "cluster has untolerated taint cluster.karmada.io/not-ready:NoSchedule".into(),
                ),
            },
            Case {
                name: "PreferNoSchedule is ignored",
                taints: vec![taint("k", "v", "PreferNoSchedule")],
                tolerations: vec![],
                already_there: false,
                want: FilterOutcome::Fit,
            },
            Case {
                name: "tolerated by Exists on the key",
                taints: vec![not_ready()],
                tolerations: vec![toleration("cluster.karmada.io/not-ready", "Exists", "", "")],
                already_there: false,
                want: FilterOutcome::Fit,
            },
            Case {
                name: "empty key Exists tolerates everything",
                taints: vec![not_ready(), taint("a", "b", "NoExecute")],
                tolerations: vec![toleration("", "Exists", "", "")],
                already_there: false,
                want: FilterOutcome::Fit,
            },
            Case {
                name: "Equal needs the value",
                taints: vec![taint("dedicated", "gpu", "NoExecute")],
                tolerations: vec![toleration("dedicated", "Equal", "cpu", "NoExecute")],
                already_there: false,
                want: FilterOutcome::Unschedulable(
                    "cluster has untolerated taint dedicated=gpu:NoExecute".into(),
                ),
            },
            Case {
                name: "effect must match when set",
                taints: vec![taint("dedicated", "gpu", "NoExecute")],
                tolerations: vec![toleration("dedicated", "", "gpu", "NoSchedule")],
                already_there: false,
                want: FilterOutcome::Unschedulable(
                    "cluster has untolerated taint dedicated=gpu:NoExecute".into(),
                ),
            },
            Case {
                name: "Gt is disabled",
                taints: vec![taint("n", "5", "NoSchedule")],
                tolerations: vec![toleration("n", "Gt", "1", "")],
                already_there: false,
                want: FilterOutcome::Unschedulable(
                    "cluster has untolerated taint n=5:NoSchedule".into(),
                ),
            },
            Case {
                name: "already scheduled there",
                taints: vec![not_ready()],
                tolerations: vec![],
                already_there: true,
                want: FilterOutcome::Fit,
            },
        ];
        for case in cases {
            let binding = BindingInput {
                clusters: if case.already_there {
                    vec![TargetCluster::new("m1", 2)]
                } else {
                    vec![]
                },
                ..Default::default()
            };
            let placement = Placement {
                cluster_tolerations: case.tolerations,
                ..Default::default()
            };
            let cluster = ClusterInput {
                name: "m1".into(),
                taints: case.taints,
                ..Default::default()
            };
            let got = with_ctx(&binding, &placement, &cluster, |ctx| {
                TaintToleration.filter(ctx).unwrap()
            });
            assert_eq!(got, case.want, "case {:?}", case.name);
        }
    }
}
