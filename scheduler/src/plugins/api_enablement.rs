//! `APIEnablement`: the cluster must serve the resource's group, version and kind.
//!
//! A cluster already in `spec.clusters` always passes, so an API that briefly disappears from a
//! member never makes the scheduler delete what runs there. A kind missing from a *complete*
//! list is disabled; missing from an incomplete list it is unknown — both keep a new cluster out,
//! as in Karmada, but the reason says which.

use crate::filter::{FilterContext, FilterOutcome, FilterPlugin, PluginError};

/// The `APIEnablement` filter.
#[derive(Clone, Copy, Debug, Default)]
pub struct ApiEnablement;

impl ApiEnablement {
    /// Registry name.
    pub const NAME: &'static str = "APIEnablement";
}

/// `schema.FromAPIVersionAndKind(...).GroupVersion().String()`: `apps/v1` and `v1` stay as they
/// are; a malformed apiVersion (more than one `/`) becomes the empty group version.
fn group_version(api_version: &str) -> &str {
    if api_version.matches('/').count() > 1 {
        ""
    } else {
        api_version.strip_prefix('/').unwrap_or(api_version)
    }
}

impl FilterPlugin for ApiEnablement {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn filter(&self, ctx: &FilterContext<'_>) -> Result<FilterOutcome, PluginError> {
        if ctx.binding.targets(&ctx.cluster.name) {
            return Ok(FilterOutcome::Fit);
        }
        let resource = &ctx.binding.resource;
        let gv = group_version(&resource.api_version);
        let enabled = ctx
            .cluster
            .api_enablements
            .iter()
            .filter(|e| e.group_version == gv)
            .any(|e| e.kinds.contains(&resource.kind));
        if enabled {
            return Ok(FilterOutcome::Fit);
        }
        Ok(FilterOutcome::Unschedulable(
            if ctx.cluster.api_enablements_complete {
                format!(
                    "cluster does not serve {gv}, Kind={} (not in its API enablements)",
                    resource.kind
                )
            } else {
                format!(
                    "{gv}, Kind={} is not among the cluster's reported APIs and the list is incomplete",
                    resource.kind
                )
            },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugins::testing::with_ctx;
    use crate::types::{
        ApiEnablement as Enablement, BindingInput, ClusterInput, Placement, ResourceRef,
        TargetCluster,
    };

    #[test]
    fn api_enablement_table() {
        struct Case {
            name: &'static str,
            api_version: &'static str,
            enablements: Vec<Enablement>,
            already_there: bool,
            fit: bool,
        }
        let apps = || Enablement {
            group_version: "apps/v1".into(),
            kinds: vec!["Deployment".into(), "StatefulSet".into()],
        };
        let cases = [
            Case {
                name: "enabled",
                api_version: "apps/v1",
                enablements: vec![apps()],
                already_there: false,
                fit: true,
            },
            Case {
                name: "other group",
                api_version: "apps/v2",
                enablements: vec![apps()],
                already_there: false,
                fit: false,
            },
            Case {
                name: "nothing reported",
                api_version: "apps/v1",
                enablements: vec![],
                already_there: false,
                fit: false,
            },
            Case {
                name: "already placed there",
                api_version: "apps/v1",
                enablements: vec![],
                already_there: true,
                fit: true,
            },
        ];
        for case in cases {
            let binding = BindingInput {
                resource: ResourceRef {
                    api_version: case.api_version.into(),
                    kind: "Deployment".into(),
                    ..Default::default()
                },
                clusters: if case.already_there {
                    vec![TargetCluster::new("m1", 1)]
                } else {
                    vec![]
                },
                ..Default::default()
            };
            let cluster = ClusterInput {
                name: "m1".into(),
                api_enablements: case.enablements,
                ..Default::default()
            };
            let got = with_ctx(&binding, &Placement::default(), &cluster, |ctx| {
                ApiEnablement.filter(ctx).unwrap()
            });
            assert_eq!(
                got == FilterOutcome::Fit,
                case.fit,
                "case {:?}: {got:?}",
                case.name
            );
        }
    }

    #[test]
    fn group_versions() {
        assert_eq!(group_version("apps/v1"), "apps/v1");
        assert_eq!(group_version("v1"), "v1");
        assert_eq!(group_version("a/b/c"), "");
    }
}
