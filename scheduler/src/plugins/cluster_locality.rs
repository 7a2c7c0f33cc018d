//! `ClusterLocality`: prefer clusters the binding already runs on (score 100, else 0), so a
//! reschedule moves as little as possible. On a first schedule every cluster scores 0.

use crate::filter::{MAX_CLUSTER_SCORE, MIN_CLUSTER_SCORE, PluginError, ScoreContext, ScorePlugin};

/// The `ClusterLocality` score plugin.
#[derive(Clone, Copy, Debug, Default)]
pub struct ClusterLocality;

impl ClusterLocality {
    /// Registry name.
    pub const NAME: &'static str = "ClusterLocality";
}

impl ScorePlugin for ClusterLocality {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn score(&self, ctx: &ScoreContext<'_>) -> Result<i64, PluginError> {
        Ok(if ctx.binding.targets(&ctx.cluster.name) {
            MAX_CLUSTER_SCORE
        } else {
            MIN_CLUSTER_SCORE
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{BindingInput, ClusterInput, Placement, TargetCluster};

    #[test]
    fn scores_current_targets() {
        let binding = BindingInput {
            clusters: vec![TargetCluster::new("m1", 3)],
            ..Default::default()
        };
        let placement = Placement::default();
        for (name, want) in [("m1", 100), ("m2", 0)] {
            let cluster = ClusterInput {
                name: name.into(),
                ..Default::default()
            };
            let got = ClusterLocality
                .score(&ScoreContext {
                    binding: &binding,
                    placement: &placement,
                    cluster: &cluster,
                })
                .unwrap();
            assert_eq!(got, want, "{name}");
        }
    }
}
