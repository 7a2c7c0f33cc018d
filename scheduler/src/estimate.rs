//! How many more replicas of a workload a cluster can take, from its `status.resourceSummary`
//! (Karmada's general estimator) and any other registered estimators.
//!
//! Karmada semantics (`pkg/estimator/client/general.go`, `pkg/scheduler/core/util.go`):
//!
//! * free pods = allocatable − allocated − allocating `pods` (each rounded up to an integer);
//!   ≤ 0 means 0. No replica requirements: the free pods are the answer.
//! * Otherwise, for every requested resource with a positive request: if the cluster does not
//!   report it as allocatable the answer is 0; available = allocatable − allocated − allocating;
//!   ≤ 0 means 0; else `floor(available / request)`, with CPU in milli-cores and everything else in
//!   whole units (both rounded up first). The answer is the minimum of those and the free pods.
//! * No resource summary at all: 0.
//! * Across estimators the minimum wins; an estimator may abstain. If none answered (the bound is
//!   still `i32::MAX`) the binding's `spec.replicas` is used. Non-workloads (`replicas == 0` and
//!   no components) are not estimated at all and get `i32::MAX`.
//!
//! Karmada's optional resource-model estimation (`allocatableModelings`) is not implemented; an
//! accurate per-cluster estimator can be plugged in through [`ReplicaEstimator`].

use std::fmt;

use flotilla_machinery::quantity::Quantity;

use crate::types::{BindingInput, ClusterInput, ReplicaRequirements, ResourceSummary};

/// An estimator of the replicas a cluster can still take.
pub trait ReplicaEstimator: Send + Sync {
    /// Name for logs and explanations.
    fn name(&self) -> &'static str;

    /// The most replicas with `requirements` that `cluster` can take, or `None` to abstain
    /// (Karmada's `UnauthenticReplica`).
    fn max_available_replicas(
        &self,
        cluster: &ClusterInput,
        requirements: Option<&ReplicaRequirements>,
    ) -> Option<i32>;
}

/// Karmada's always-on estimator over `status.resourceSummary`.
#[derive(Clone, Copy, Debug, Default)]
pub struct GeneralEstimator;

impl GeneralEstimator {
    /// The name Karmada registers it under.
    pub const NAME: &'static str = "general-estimator";
}

impl ReplicaEstimator for GeneralEstimator {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn max_available_replicas(
        &self,
        cluster: &ClusterInput,
        requirements: Option<&ReplicaRequirements>,
    ) -> Option<i32> {
        Some(general_estimate(cluster.resource_summary.as_ref(), requirements).replicas)
    }
}

/// What bounded a general estimate; used to explain a cluster's capacity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Limit {
    /// The cluster reports no resource summary.
    NoSummary,
    /// Bounded by free pod slots.
    Pods {
        /// Free pod slots.
        free: i64,
    },
    /// The cluster does not report the resource as allocatable.
    MissingResource {
        /// Resource name.
        resource: String,
    },
    /// Nothing of the resource is left.
    Exhausted {
        /// Resource name.
        resource: String,
    },
    /// Bounded by `floor(free / request)` of a resource.
    Resource {
        /// Resource name.
        resource: String,
        /// What is free.
        free: Quantity,
        /// What one replica requests.
        request: Quantity,
    },
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Limit::NoSummary => f.write_str("the cluster reports no resource summary"),
            Limit::Pods { free } => write!(f, "{free} free pod slots"),
            Limit::MissingResource { resource } => {
                write!(f, "the cluster has no allocatable {resource}")
            }
            Limit::Exhausted { resource } => write!(f, "no {resource} left"),
            Limit::Resource {
                resource,
                free,
                request,
            } => write!(f, "{free} {resource} free at {request} per replica"),
        }
    }
}

/// A general estimate and what bounded it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Estimate {
    /// Replicas the cluster can take.
    pub replicas: i32,
    /// The binding limit.
    pub limit: Limit,
}

fn get(list: &std::collections::BTreeMap<String, Quantity>, name: &str) -> Quantity {
    list.get(name).copied().unwrap_or_default()
}

fn saturate_i32(v: i64) -> i32 {
    i32::try_from(v.max(0)).unwrap_or(i32::MAX)
}

/// The general estimator's answer for one cluster, with its limit.
pub fn general_estimate(
    summary: Option<&ResourceSummary>,
    requirements: Option<&ReplicaRequirements>,
) -> Estimate {
    let Some(summary) = summary else {
        return Estimate {
            replicas: 0,
            limit: Limit::NoSummary,
        };
    };
    // Each term is rounded up separately, as `Pods().Value()` is in Go.
    let free_pods = get(&summary.allocatable, "pods")
        .value()
        .saturating_sub(get(&summary.allocated, "pods").value())
        .saturating_sub(get(&summary.allocating, "pods").value());
    if free_pods <= 0 {
        return Estimate {
            replicas: 0,
            limit: Limit::Pods { free: 0 },
        };
    }
    let mut best = free_pods;
    let mut limit = Limit::Pods { free: free_pods };
    let Some(requirements) = requirements else {
        return Estimate {
            replicas: saturate_i32(best),
            limit,
        };
    };
    for (resource, request) in &requirements.resource_request {
        if request.value() <= 0 {
            continue;
        }
        let Some(allocatable) = summary.allocatable.get(resource) else {
            return Estimate {
                replicas: 0,
                limit: Limit::MissingResource {
                    resource: resource.clone(),
                },
            };
        };
        let free =
            *allocatable - get(&summary.allocated, resource) - get(&summary.allocating, resource);
        if free.value() <= 0 {
            return Estimate {
                replicas: 0,
                limit: Limit::Exhausted {
                    resource: resource.clone(),
                },
            };
        }
        let (available, requested) = if resource == "cpu" {
            (free.milli_value(), request.milli_value())
        } else {
            (free.value(), request.value())
        };
        let fits = available / requested;
        if fits < best {
            best = fits;
            limit = Limit::Resource {
                resource: resource.clone(),
                free,
                request: *request,
            };
        }
    }
    Estimate {
        replicas: saturate_i32(best),
        limit,
    }
}

/// Karmada's `calAvailableReplicas` for one cluster: the minimum over `estimators`, `i32::MAX`
/// for non-workloads, and `spec.replicas` when no estimator answered.
pub fn allocatable_replicas(
    estimators: &[Box<dyn ReplicaEstimator>],
    cluster: &ClusterInput,
    binding: &BindingInput,
) -> i32 {
    if binding.replicas == 0 && binding.component_count == 0 {
        return i32::MAX;
    }
    let mut bound = i32::MAX;
    for estimator in estimators {
        if let Some(n) =
            estimator.max_available_replicas(cluster, binding.replica_requirements.as_ref())
        {
            bound = bound.min(n);
        }
    }
    if bound == i32::MAX {
        binding.replicas
    } else {
        bound
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn list(items: &[(&str, &str)]) -> BTreeMap<String, Quantity> {
        items
            .iter()
            .map(|(k, v)| ((*k).to_string(), Quantity::parse(v).unwrap()))
            .collect()
    }

    fn summary(
        allocatable: &[(&str, &str)],
        allocated: &[(&str, &str)],
        allocating: &[(&str, &str)],
    ) -> ResourceSummary {
        ResourceSummary {
            allocatable: list(allocatable),
            allocated: list(allocated),
            allocating: list(allocating),
        }
    }

    fn requests(items: &[(&str, &str)]) -> ReplicaRequirements {
        ReplicaRequirements {
            resource_request: list(items),
        }
    }

    #[test]
    fn general_estimator_table() {
        struct Case {
            name: &'static str,
            summary: Option<ResourceSummary>,
            requests: Option<ReplicaRequirements>,
            want: i32,
        }
        let node = || {
            summary(
                &[("cpu", "8"), ("memory", "16Gi"), ("pods", "110")],
                &[("cpu", "2"), ("memory", "4Gi"), ("pods", "10")],
                &[("cpu", "500m"), ("pods", "5")],
            )
        };
        let cases = [
            Case {
                name: "no summary is zero",
                summary: None,
                requests: None,
                want: 0,
            },
            Case {
                name: "no requirements: free pods",
                summary: Some(node()),
                requests: None,
                want: 95,
            },
            Case {
                name: "cpu in millicores: 5500m / 500m",
                summary: Some(node()),
                requests: Some(requests(&[("cpu", "500m")])),
                want: 11,
            },
            Case {
                name: "memory in bytes: 12Gi / 1Gi, cpu 5500m / 250m = 22",
                summary: Some(node()),
                requests: Some(requests(&[("cpu", "250m"), ("memory", "1Gi")])),
                want: 12,
            },
            Case {
                name: "pods bound when requests are tiny",
                summary: Some(node()),
                requests: Some(requests(&[("cpu", "1m")])),
                want: 95,
            },
            Case {
                name: "requested resource missing from allocatable",
                summary: Some(node()),
                requests: Some(requests(&[("nvidia.com/gpu", "1")])),
                want: 0,
            },
            Case {
                name: "zero request is ignored",
                summary: Some(node()),
                requests: Some(requests(&[("nvidia.com/gpu", "0"), ("cpu", "1")])),
                want: 5,
            },
            Case {
                name: "exhausted resource",
                summary: Some(summary(
                    &[("cpu", "2"), ("pods", "10")],
                    &[("cpu", "2")],
                    &[],
                )),
                requests: Some(requests(&[("cpu", "100m")])),
                want: 0,
            },
            Case {
                name: "over-committed pods",
                summary: Some(summary(&[("pods", "10")], &[("pods", "12")], &[])),
                requests: None,
                want: 0,
            },
            Case {
                name: "no pods allocatable",
                summary: Some(summary(&[("cpu", "8")], &[], &[])),
                requests: Some(requests(&[("cpu", "1")])),
                want: 0,
            },
            Case {
                name: "fractional memory request rounds up to a byte",
                summary: Some(summary(&[("memory", "10"), ("pods", "100")], &[], &[])),
                requests: Some(requests(&[("memory", "0.5")])),
                want: 10,
            },
        ];
        for case in cases {
            let got = general_estimate(case.summary.as_ref(), case.requests.as_ref());
            assert_eq!(
                got.replicas, case.want,
                "case {:?}: {:?}",
                case.name, got.limit
            );
        }
    }

    struct Fixed(Option<i32>);
    impl ReplicaEstimator for Fixed {
        fn name(&self) -> &'static str {
            "fixed"
        }
        fn max_available_replicas(
            &self,
            _: &ClusterInput,
            _: Option<&ReplicaRequirements>,
        ) -> Option<i32> {
            self.0
        }
    }

    #[test]
    fn minimum_over_estimators_and_fallbacks() {
        let cluster = ClusterInput {
            name: "m1".into(),
            resource_summary: Some(summary(&[("pods", "20")], &[], &[])),
            ..Default::default()
        };
        let binding = BindingInput {
            replicas: 7,
            ..Default::default()
        };
        let general: Vec<Box<dyn ReplicaEstimator>> = vec![Box::new(GeneralEstimator)];
        assert_eq!(allocatable_replicas(&general, &cluster, &binding), 20);

        let with_accurate: Vec<Box<dyn ReplicaEstimator>> =
            vec![Box::new(GeneralEstimator), Box::new(Fixed(Some(4)))];
        assert_eq!(allocatable_replicas(&with_accurate, &cluster, &binding), 4);

        let abstaining: Vec<Box<dyn ReplicaEstimator>> = vec![Box::new(Fixed(None))];
        assert_eq!(allocatable_replicas(&abstaining, &cluster, &binding), 7);

        let non_workload = BindingInput::default();
        assert_eq!(
            allocatable_replicas(&general, &cluster, &non_workload),
            i32::MAX
        );
    }
}
