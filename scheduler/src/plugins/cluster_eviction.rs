//! `ClusterEviction`: a cluster the binding is being gracefully evicted from (it appears in
//! `spec.gracefulEvictionTasks`) cannot take it back until the eviction finishes.

use crate::filter::{FilterContext, FilterOutcome, FilterPlugin, PluginError};

/// The `ClusterEviction` filter.
#[derive(Clone, Copy, Debug, Default)]
pub struct ClusterEviction;

impl ClusterEviction {
    /// Registry name.
    pub const NAME: &'static str = "ClusterEviction";
}

impl FilterPlugin for ClusterEviction {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn filter(&self, ctx: &FilterContext<'_>) -> Result<FilterOutcome, PluginError> {
        let evicting = ctx
            .binding
            .graceful_eviction_clusters
            .contains(&ctx.cluster.name);
        Ok(if evicting {
            FilterOutcome::Unschedulable(
                "the binding is being gracefully evicted from this cluster".to_string(),
            )
        } else {
            FilterOutcome::Fit
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugins::testing::with_ctx;
    use crate::types::{BindingInput, ClusterInput, Placement};

    #[test]
    fn rejects_clusters_under_eviction() {
        let binding = BindingInput {
            graceful_eviction_clusters: vec!["m1".into()],
            ..Default::default()
        };
        for (name, fit) in [("m1", false), ("m2", true)] {
            let cluster = ClusterInput {
                name: name.into(),
                ..Default::default()
            };
            let got = with_ctx(&binding, &Placement::default(), &cluster, |ctx| {
                ClusterEviction.filter(ctx).unwrap()
            });
            assert_eq!(got == FilterOutcome::Fit, fit, "{name}");
        }
    }
}
