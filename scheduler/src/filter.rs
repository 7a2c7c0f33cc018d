//! The filter and score extension points, their context structs and the plugin registry.
//!
//! One trait per extension point, one context struct per call (so adding an input never changes
//! a signature), and outcomes as values: a filter says [`FilterOutcome::Fit`] or
//! [`FilterOutcome::Unschedulable`] with a sentence a user can read; `Err` is reserved for
//! internal failures. Unlike Karmada, which stops at the first failing filter, every filter runs
//! so that a rejected cluster lists all its reasons; the verdict is the same.

use std::fmt;

use crate::affinity::AffinityInForce;
use crate::plugins;
use crate::types::{BindingInput, ClusterInput, Placement};

/// The lowest score a plugin may give.
pub const MIN_CLUSTER_SCORE: i64 = 0;
/// The highest score a plugin may give.
pub const MAX_CLUSTER_SCORE: i64 = 100;

/// What a filter sees.
#[derive(Clone, Copy, Debug)]
pub struct FilterContext<'a> {
    /// The binding being placed.
    pub binding: &'a BindingInput,
    /// Its placement.
    pub placement: &'a Placement,
    /// The affinity in force for this attempt; `None` when the placement has none.
    pub affinity: Option<&'a AffinityInForce>,
    /// The cluster under consideration.
    pub cluster: &'a ClusterInput,
}

/// A filter's verdict on one cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FilterOutcome {
    /// The cluster may run the binding.
    Fit,
    /// It may not, and why.
    Unschedulable(String),
}

/// An internal plugin failure (not a verdict).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("plugin {plugin} failed: {message}")]
pub struct PluginError {
    /// The plugin's name.
    pub plugin: &'static str,
    /// What went wrong.
    pub message: String,
}

/// The filter extension point.
pub trait FilterPlugin: Send + Sync {
    /// The plugin's registry name (its `NAME`).
    fn name(&self) -> &'static str;
    /// Judges one cluster.
    fn filter(&self, ctx: &FilterContext<'_>) -> Result<FilterOutcome, PluginError>;
}

/// What a score plugin sees.
#[derive(Clone, Copy, Debug)]
pub struct ScoreContext<'a> {
    /// The binding being placed.
    pub binding: &'a BindingInput,
    /// Its placement.
    pub placement: &'a Placement,
    /// A cluster that passed every filter.
    pub cluster: &'a ClusterInput,
}

/// The score extension point. Scores of all plugins are summed, without normalisation, as in
/// Karmada's in-tree set.
pub trait ScorePlugin: Send + Sync {
    /// The plugin's registry name (its `NAME`).
    fn name(&self) -> &'static str;
    /// Scores one cluster, in `MIN_CLUSTER_SCORE..=MAX_CLUSTER_SCORE`.
    fn score(&self, ctx: &ScoreContext<'_>) -> Result<i64, PluginError>;
}

/// The plugins a scheduler runs, in order.
pub struct Registry {
    /// Filter plugins.
    pub filters: Vec<Box<dyn FilterPlugin>>,
    /// Score plugins.
    pub scores: Vec<Box<dyn ScorePlugin>>,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field(
                "filters",
                &self.filters.iter().map(|p| p.name()).collect::<Vec<_>>(),
            )
            .field(
                "scores",
                &self.scores.iter().map(|p| p.name()).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// A `--plugins` value that names an unknown plugin.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown scheduler plugin {name:?}; known plugins: {known}")]
pub struct RegistryError {
    /// The unknown name.
    pub name: String,
    /// The names that exist.
    pub known: String,
}

impl Registry {
    /// Every in-tree plugin (Karmada's default `--plugins=*`).
    pub fn in_tree() -> Registry {
        Registry {
            filters: plugins::in_tree_filters(),
            scores: plugins::in_tree_scores(),
        }
    }

    /// Parses Karmada's `--plugins` syntax: a comma-separated list where `*` enables every
    /// in-tree plugin, `Name` enables one and `-Name` disables one (`*,-ClusterLocality`).
    pub fn from_flag(spec: &str) -> Result<Registry, RegistryError> {
        let known = plugins::in_tree_names();
        let mut enable_all = false;
        let mut enabled: Vec<&str> = Vec::new();
        let mut disabled: Vec<&str> = Vec::new();
        for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (list, name) = match item.strip_prefix('-') {
                Some(name) => (&mut disabled, name),
                None => (&mut enabled, item),
            };
            if name == "*" {
                enable_all = true;
                continue;
            }
            if !known.contains(&name) {
                return Err(RegistryError {
                    name: name.to_string(),
                    known: known.join(", "),
                });
            }
            list.push(name);
        }
        let on = |name: &str| (enable_all || enabled.contains(&name)) && !disabled.contains(&name);
        let mut registry = Registry::in_tree();
        registry.filters.retain(|p| on(p.name()));
        registry.scores.retain(|p| on(p.name()));
        Ok(registry)
    }
}

impl Default for Registry {
    fn default() -> Self {
        Registry::in_tree()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plugins_flag() {
        let all = Registry::from_flag("*").unwrap();
        assert_eq!(all.filters.len(), Registry::in_tree().filters.len());
        let without = Registry::from_flag("*,-TaintToleration,-ClusterLocality").unwrap();
        assert!(
            without
                .filters
                .iter()
                .all(|p| p.name() != "TaintToleration")
        );
        assert!(without.scores.iter().all(|p| p.name() != "ClusterLocality"));
        let only = Registry::from_flag("ClusterAffinity").unwrap();
        assert_eq!(
            only.filters.iter().map(|p| p.name()).collect::<Vec<_>>(),
            vec!["ClusterAffinity"]
        );
        assert!(Registry::from_flag("*,-Nope").is_err());
    }
}
