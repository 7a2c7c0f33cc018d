//! Resource arithmetic: what a pod asks of a node (the scheduler's effective request) and what a
//! node offers, in milli-CPUs, bytes and pod slots.

use std::collections::BTreeMap;

use flotilla_machinery::quantity::Quantity as Exact;
use k8s_openapi::api::core::v1::{Container, Node, PodSpec};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

/// Amounts of the resources the simulated scheduler places by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Amounts {
    pub cpu_milli: i64,
    pub memory: i64,
    pub pods: i64,
}

impl Amounts {
    pub fn add(&mut self, other: Amounts) {
        self.cpu_milli = self.cpu_milli.saturating_add(other.cpu_milli);
        self.memory = self.memory.saturating_add(other.memory);
        self.pods = self.pods.saturating_add(other.pods);
    }

    pub fn sub(&mut self, other: Amounts) {
        self.cpu_milli = self.cpu_milli.saturating_sub(other.cpu_milli);
        self.memory = self.memory.saturating_sub(other.memory);
        self.pods = self.pods.saturating_sub(other.pods);
    }
}

/// Parses a quantity, `None` when it is not one.
pub fn parse(q: &str) -> Option<Exact> {
    Exact::parse(q.trim()).ok()
}

fn requests_of(container: &Container) -> Amounts {
    let Some(resources) = &container.resources else {
        return Amounts::default();
    };
    // kube defaults a request to the limit when only the limit is given.
    let pick = |name: &str| -> i64 {
        let from = |m: &Option<BTreeMap<String, Quantity>>| {
            m.as_ref()
                .and_then(|m| m.get(name))
                .and_then(|q| parse(&q.0))
        };
        let q = from(&resources.requests).or_else(|| from(&resources.limits));
        match (name, q) {
            ("cpu", Some(q)) => q.milli_value(),
            (_, Some(q)) => q.value(),
            (_, None) => 0,
        }
    };
    Amounts {
        cpu_milli: pick("cpu"),
        memory: pick("memory"),
        pods: 0,
    }
}

/// What a pod asks of its node, as kube-scheduler counts it: the larger of the sum of its
/// containers' requests and its largest init container's request, plus its overhead, and one
/// pod slot.
pub fn pod_demand(spec: &PodSpec) -> Amounts {
    let mut sum = Amounts::default();
    for c in &spec.containers {
        sum.add(requests_of(c));
    }
    for c in spec.init_containers.iter().flatten() {
        let init = requests_of(c);
        sum.cpu_milli = sum.cpu_milli.max(init.cpu_milli);
        sum.memory = sum.memory.max(init.memory);
    }
    if let Some(overhead) = &spec.overhead {
        if let Some(q) = overhead.get("cpu").and_then(|q| parse(&q.0)) {
            sum.cpu_milli = sum.cpu_milli.saturating_add(q.milli_value());
        }
        if let Some(q) = overhead.get("memory").and_then(|q| parse(&q.0)) {
            sum.memory = sum.memory.saturating_add(q.value());
        }
    }
    sum.pods = 1;
    sum
}

/// What a node offers: its allocatable resources (its capacity when it reports none).
pub fn node_allocatable(node: &Node) -> Amounts {
    let status = node.status.as_ref();
    let list = status
        .and_then(|s| s.allocatable.as_ref())
        .filter(|m| !m.is_empty())
        .or_else(|| status.and_then(|s| s.capacity.as_ref()));
    let get = |name: &str| list.and_then(|m| m.get(name)).and_then(|q| parse(&q.0));
    Amounts {
        cpu_milli: get("cpu").map(|q| q.milli_value()).unwrap_or(0),
        memory: get("memory").map(|q| q.value()).unwrap_or(0),
        pods: get("pods").map(|q| q.value()).unwrap_or(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::ResourceRequirements;

    fn container(requests: &[(&str, &str)], limits: &[(&str, &str)]) -> Container {
        let map = |list: &[(&str, &str)]| {
            (!list.is_empty()).then(|| {
                list.iter()
                    .map(|(k, v)| (k.to_string(), Quantity(v.to_string())))
                    .collect()
            })
        };
        Container {
            name: "c".into(),
            resources: Some(ResourceRequirements {
                requests: map(requests),
                limits: map(limits),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn pod_demand_follows_the_schedulers_rules() {
        struct Case {
            name: &'static str,
            containers: Vec<Container>,
            init: Vec<Container>,
            want: Amounts,
        }
        let cases = [
            Case {
                name: "no requests",
                containers: vec![Container::default()],
                init: vec![],
                want: Amounts {
                    cpu_milli: 0,
                    memory: 0,
                    pods: 1,
                },
            },
            Case {
                name: "containers add up",
                containers: vec![
                    container(&[("cpu", "250m"), ("memory", "64Mi")], &[]),
                    container(&[("cpu", "1"), ("memory", "1Gi")], &[]),
                ],
                init: vec![],
                want: Amounts {
                    cpu_milli: 1250,
                    memory: (64 << 20) + (1 << 30),
                    pods: 1,
                },
            },
            Case {
                name: "a limit stands in for a missing request",
                containers: vec![container(&[], &[("cpu", "2")])],
                init: vec![],
                want: Amounts {
                    cpu_milli: 2000,
                    memory: 0,
                    pods: 1,
                },
            },
            Case {
                name: "a larger init container wins",
                containers: vec![container(&[("cpu", "100m")], &[])],
                init: vec![container(&[("cpu", "3")], &[])],
                want: Amounts {
                    cpu_milli: 3000,
                    memory: 0,
                    pods: 1,
                },
            },
        ];
        for case in cases {
            let spec = PodSpec {
                containers: case.containers,
                init_containers: Some(case.init),
                ..Default::default()
            };
            assert_eq!(pod_demand(&spec), case.want, "{}", case.name);
        }
    }
}
