//! `ClusterAffinity`: the cluster must match the affinity in force — `clusterAffinity`, or the
//! observed `clusterAffinities` term, whose overflow tiers also count for workloads (non-workloads
//! use only the primary group, since overflow exists to find compute capacity). It scores every
//! cluster 0, as in Karmada.

use crate::filter::{
    FilterContext, FilterOutcome, FilterPlugin, PluginError, ScoreContext, ScorePlugin,
};

/// The `ClusterAffinity` filter and score plugin.
#[derive(Clone, Copy, Debug, Default)]
pub struct ClusterAffinity;

impl ClusterAffinity {
    /// Registry name.
    pub const NAME: &'static str = "ClusterAffinity";
}

impl FilterPlugin for ClusterAffinity {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn filter(&self, ctx: &FilterContext<'_>) -> Result<FilterOutcome, PluginError> {
        let Some(affinity) = ctx.affinity else {
            return Ok(FilterOutcome::Fit);
        };
        let tiers = if ctx.binding.is_workload() {
            &affinity.tiers[..]
        } else {
            &affinity.tiers[..affinity.tiers.len().min(1)]
        };
        let mut why = None;
        for tier in tiers {
            match tier.check(ctx.cluster) {
                Ok(()) => return Ok(FilterOutcome::Fit),
                Err(reason) => {
                    why.get_or_insert(reason);
                }
            }
        }
        let why = why.unwrap_or_else(|| "no affinity tier applies".to_string());
        Ok(FilterOutcome::Unschedulable(
            match (&affinity.term_name, tiers.len()) {
                (None, _) => format!("does not match clusterAffinity: {why}"),
                (Some(name), 1) => format!("does not match clusterAffinities term {name:?}: {why}"),
                (Some(name), n) => format!(
                    "does not match clusterAffinities term {name:?} ({why}) nor its {} overflow tier(s)",
                    n - 1
                ),
            },
        ))
    }
}

impl ScorePlugin for ClusterAffinity {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn score(&self, _ctx: &ScoreContext<'_>) -> Result<i64, PluginError> {
        Ok(crate::filter::MIN_CLUSTER_SCORE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::affinity::AffinityInForce;
    use crate::types::{
        BindingInput, ClusterAffinity as Affinity, ClusterAffinityTerm, ClusterInput,
        OverflowClusterAffinity, Placement,
    };

    fn names(list: &[&str]) -> Affinity {
        Affinity {
            cluster_names: list.iter().map(|s| (*s).to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn overflow_tiers_only_for_workloads() {
        let term = ClusterAffinityTerm {
            affinity_name: "primary".into(),
            affinity: names(&["m1"]),
            overflow_affinities: Some(vec![OverflowClusterAffinity {
                affinity_name: "burst".into(),
                affinity: names(&["m2"]),
            }]),
        };
        let in_force = AffinityInForce::term(&term);
        let placement = Placement::default();
        let m2 = ClusterInput {
            name: "m2".into(),
            ..Default::default()
        };
        let run = |binding: &BindingInput| {
            ClusterAffinity
                .filter(&FilterContext {
                    binding,
                    placement: &placement,
                    affinity: Some(&in_force),
                    cluster: &m2,
                })
                .unwrap()
        };
        let workload = BindingInput {
            replicas: 3,
            ..Default::default()
        };
        assert_eq!(run(&workload), FilterOutcome::Fit);
        let config_map = BindingInput::default();
        assert_eq!(
            run(&config_map),
            FilterOutcome::Unschedulable(
                "does not match clusterAffinities term \"primary\": cluster is not in clusterNames"
                    .into()
            )
        );
        assert_eq!(in_force.overflow_order(&m2), 1);
    }
}
