//! The in-tree scheduler plugins, one file each, and the table that registers them.
//!
//! | plugin | extension point | rejects / scores |
//! |---|---|---|
//! | [`ApiEnablement`] | filter | the cluster does not serve the resource's kind (unless already placed there) |
//! | [`TaintToleration`] | filter | an untolerated `NoSchedule`/`NoExecute` taint (unless already placed there) |
//! | [`ClusterAffinity`] | filter, score | the cluster does not match the affinity in force; score always 0 |
//! | [`SpreadConstraint`] | filter | the cluster lacks the provider/region/zones a spread constraint groups by |
//! | [`ClusterEviction`] | filter | the binding is being gracefully evicted from the cluster |
//! | [`ClusterLocality`] | score | 100 if the binding already runs there |

mod api_enablement;
mod cluster_affinity;
mod cluster_eviction;
mod cluster_locality;
mod spread_constraint;
mod taint_toleration;

pub use api_enablement::ApiEnablement;
pub use cluster_affinity::ClusterAffinity;
pub use cluster_eviction::ClusterEviction;
pub use cluster_locality::ClusterLocality;
pub use spread_constraint::SpreadConstraint;
pub use taint_toleration::TaintToleration;

use crate::filter::{FilterPlugin, ScorePlugin};

/// Every in-tree filter plugin, in the order Karmada registers them.
pub fn in_tree_filters() -> Vec<Box<dyn FilterPlugin>> {
    vec![
        Box::new(ApiEnablement),
        Box::new(TaintToleration),
        Box::new(ClusterAffinity),
        Box::new(SpreadConstraint),
        Box::new(ClusterEviction),
    ]
}

/// Every in-tree score plugin.
pub fn in_tree_scores() -> Vec<Box<dyn ScorePlugin>> {
    vec![Box::new(ClusterAffinity), Box::new(ClusterLocality)]
}

/// The names `--plugins` accepts.
pub fn in_tree_names() -> Vec<&'static str> {
    vec![
        ApiEnablement::NAME,
        TaintToleration::NAME,
        ClusterAffinity::NAME,
        SpreadConstraint::NAME,
        ClusterEviction::NAME,
        ClusterLocality::NAME,
    ]
}

#[cfg(test)]
pub(crate) mod testing {
    //! Builders shared by the plugin tests.

    use crate::filter::FilterContext;
    use crate::types::{BindingInput, ClusterInput, Placement};

    /// Runs `f` with a filter context over the given pieces.
    pub fn with_ctx<R>(
        binding: &BindingInput,
        placement: &Placement,
        cluster: &ClusterInput,
        f: impl FnOnce(&FilterContext<'_>) -> R,
    ) -> R {
        f(&FilterContext {
            binding,
            placement,
            affinity: None,
            cluster,
        })
    }
}
