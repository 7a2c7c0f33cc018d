//! `SpreadConstraint`: a cluster must have the topology field every spread constraint groups by
//! (`provider`, `region`, or a non-empty `zones` list), or it could not be placed in a group.

use crate::filter::{FilterContext, FilterOutcome, FilterPlugin, PluginError};
use crate::types::SpreadField;

/// The `SpreadConstraint` filter.
#[derive(Clone, Copy, Debug, Default)]
pub struct SpreadConstraint;

impl SpreadConstraint {
    /// Registry name.
    pub const NAME: &'static str = "SpreadConstraint";
}

impl FilterPlugin for SpreadConstraint {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn filter(&self, ctx: &FilterContext<'_>) -> Result<FilterOutcome, PluginError> {
        let cluster = ctx.cluster;
        for constraint in &ctx.placement.spread_constraints {
            let missing = match constraint.spread_by_field {
                Some(SpreadField::Provider) if cluster.provider.is_empty() => Some("provider"),
                Some(SpreadField::Region) if cluster.region.is_empty() => Some("region"),
                Some(SpreadField::Zone) if cluster.zones.is_empty() => Some("zones"),
                _ => None,
            };
            if let Some(field) = missing {
                let by = constraint.spread_by_field.map_or("", SpreadField::as_str);
                return Ok(FilterOutcome::Unschedulable(format!(
                    "cluster has no {field}, but a spread constraint spreads by {by}"
                )));
            }
        }
        Ok(FilterOutcome::Fit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugins::testing::with_ctx;
    use crate::types::{BindingInput, ClusterInput, Placement, SpreadConstraint as Constraint};

    #[test]
    fn requires_the_grouping_field() {
        let placement = |field| Placement {
            spread_constraints: vec![Constraint {
                spread_by_field: Some(field),
                ..Default::default()
            }],
            ..Default::default()
        };
        let bare = ClusterInput {
            name: "m1".into(),
            ..Default::default()
        };
        let full = ClusterInput {
            name: "m2".into(),
            provider: "aws".into(),
            region: "eu".into(),
            zones: vec!["eu-1".into()],
            ..Default::default()
        };
        let binding = BindingInput::default();
        for field in [
            SpreadField::Provider,
            SpreadField::Region,
            SpreadField::Zone,
        ] {
            let p = placement(field);
            let got = with_ctx(&binding, &p, &bare, |ctx| {
                SpreadConstraint.filter(ctx).unwrap()
            });
            assert!(matches!(got, FilterOutcome::Unschedulable(_)), "{field}");
            let got = with_ctx(&binding, &p, &full, |ctx| {
                SpreadConstraint.filter(ctx).unwrap()
            });
            assert_eq!(got, FilterOutcome::Fit, "{field}");
        }
        let p = placement(SpreadField::Cluster);
        let got = with_ctx(&binding, &p, &bare, |ctx| {
            SpreadConstraint.filter(ctx).unwrap()
        });
        assert_eq!(got, FilterOutcome::Fit);
    }
}
