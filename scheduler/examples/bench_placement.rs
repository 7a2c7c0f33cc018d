//! Micro-benchmark of the placement algorithm: 10,000 bindings over a fleet of 100 and of 1,000
//! clusters, with a mix of strategies, affinities, spread constraints and previous placements,
//! full explanations included. Prints bindings per second.
//!
//! ```text
//! cargo run --release -p flotilla-scheduler --example bench_placement
//! ```
//!
//! It measures only the algorithm (filter, score, estimate, select, divide, explain) on one
//! thread; no API round trips. Inputs are generated from a fixed seed so runs are comparable.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Instant;

use flotilla_scheduler::{
    ApiEnablement, BindingInput, ClusterAffinity, ClusterInput, DivisionPreference,
    DynamicWeightFactor, FieldSelector, LabelSelector, Placement, Quantity, ReplicaRequirements,
    ReplicaScheduling, ReplicaSchedulingType, ResourceRef, ResourceSummary, ScheduleOptions,
    ScheduleRequest, ScheduleResult, SelectorRequirement, SpreadConstraint, SpreadField,
    StaticClusterWeight, Taint, TargetCluster, WeightPreference, schedule_request,
};

const BINDINGS: usize = 10_000;
const REGIONS: [&str; 6] = [
    "us-east",
    "us-west",
    "eu-west",
    "eu-central",
    "ap-south",
    "ap-east",
];
const PROVIDERS: [&str; 3] = ["aws", "gcp", "azure"];

/// xorshift64: deterministic and dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

fn q(s: &str) -> Quantity {
    Quantity::parse(s).expect("valid quantity")
}

fn fleet(n: usize, rng: &mut Rng) -> Vec<ClusterInput> {
    (0..n)
        .map(|i| {
            let region = rng.pick(&REGIONS);
            let cpu = 64 + rng.below(192);
            let mem = 256 + rng.below(768);
            let used = rng.below(80);
            let mut taints = Vec::new();
            if rng.below(20) == 0 {
                taints.push(Taint {
                    key: "cluster.karmada.io/not-ready".into(),
                    value: String::new(),
                    effect: "NoSchedule".into(),
                });
            }
            ClusterInput {
                name: format!("member-{i:04}"),
                labels: BTreeMap::from([
                    (
                        "env".to_string(),
                        if rng.below(3) == 0 { "staging" } else { "prod" }.to_string(),
                    ),
                    ("tier".to_string(), format!("t{}", rng.below(3))),
                ]),
                provider: rng.pick(&PROVIDERS).into(),
                region: region.into(),
                zone: String::new(),
                zones: vec![format!(
                    "{region}-{}",
                    ["a", "b", "c"][rng.below(3) as usize]
                )],
                taints,
                api_enablements: vec![
                    ApiEnablement {
                        group_version: "apps/v1".into(),
                        kinds: vec!["Deployment".into(), "StatefulSet".into()],
                    },
                    ApiEnablement {
                        group_version: "v1".into(),
                        kinds: vec!["ConfigMap".into(), "Service".into()],
                    },
                ],
                api_enablements_complete: true,
                resource_summary: Some(ResourceSummary {
                    allocatable: BTreeMap::from([
                        ("cpu".into(), q(&cpu.to_string())),
                        ("memory".into(), q(&format!("{mem}Gi"))),
                        ("pods".into(), q("1100")),
                    ]),
                    allocated: BTreeMap::from([
                        ("cpu".into(), q(&format!("{}m", cpu * 10 * used))),
                        ("memory".into(), q(&format!("{}Mi", mem * 10 * used))),
                        ("pods".into(), q(&(used * 8).to_string())),
                    ]),
                    allocating: BTreeMap::new(),
                }),
                deleting: false,
            }
        })
        .collect()
}

fn prod_affinity() -> Option<ClusterAffinity> {
    Some(ClusterAffinity {
        label_selector: Some(LabelSelector {
            match_labels: BTreeMap::from([("env".into(), "prod".into())]),
            match_expressions: vec![],
        }),
        ..Default::default()
    })
}

fn divided(pref: DivisionPreference, wp: Option<WeightPreference>) -> Option<ReplicaScheduling> {
    Some(ReplicaScheduling {
        replica_scheduling_type: Some(ReplicaSchedulingType::Divided),
        replica_division_preference: Some(pref),
        weight_preference: wp,
    })
}

fn spread(field: SpreadField, min: i32, max: i32) -> SpreadConstraint {
    SpreadConstraint {
        spread_by_field: Some(field),
        spread_by_label: None,
        min_groups: min,
        max_groups: max,
    }
}

/// One binding and its placement; the mix is 30% static weights, 30% dynamic weights, 20%
/// aggregated with a cluster spread, 10% duplicated across regions, 10% non-workloads; a third
/// of the workloads already have a placement (re-scheduling after a scale).
fn workload(i: usize, fleet: &[ClusterInput], rng: &mut Rng) -> (BindingInput, Placement) {
    let kind = rng.below(10);
    let replicas = 5 + rng.below(95) as i32;
    let mut binding = BindingInput {
        uid: format!("{:08x}-0000-4000-8000-{:012x}", rng.next() as u32, i),
        resource: ResourceRef {
            api_version: "apps/v1".into(),
            kind: "Deployment".into(),
            namespace: "default".into(),
            name: format!("app-{i}"),
        },
        replicas,
        replica_requirements: Some(ReplicaRequirements {
            resource_request: BTreeMap::from([
                ("cpu".into(), q("250m")),
                ("memory".into(), q("512Mi")),
            ]),
        }),
        ..Default::default()
    };
    if rng.below(3) == 0 {
        let a = rng.below(fleet.len() as u64) as usize;
        let b = rng.below(fleet.len() as u64) as usize;
        binding.clusters = vec![
            TargetCluster::new(fleet[a].name.clone(), replicas / 3),
            TargetCluster::new(fleet[b].name.clone(), replicas / 4),
        ];
        binding.clusters.sort();
        binding.clusters.dedup_by(|x, y| x.name == y.name);
    }
    let mut placement = Placement::default();
    match kind {
        0..=2 => {
            placement.cluster_affinity = prod_affinity();
            placement.replica_scheduling = divided(
                DivisionPreference::Weighted,
                Some(WeightPreference {
                    static_weight_list: vec![
                        StaticClusterWeight {
                            target_cluster: ClusterAffinity {
                                field_selector: Some(FieldSelector {
                                    match_expressions: vec![SelectorRequirement {
                                        key: "region".into(),
                                        operator: "In".into(),
                                        values: vec!["us-east".into(), "eu-west".into()],
                                    }],
                                }),
                                ..Default::default()
                            },
                            weight: 2,
                        },
                        StaticClusterWeight {
                            target_cluster: ClusterAffinity::default(),
                            weight: 1,
                        },
                    ],
                    dynamic_weight: None,
                }),
            );
        }
        3..=5 => {
            placement.cluster_affinity = prod_affinity();
            placement.replica_scheduling = divided(
                DivisionPreference::Weighted,
                Some(WeightPreference {
                    static_weight_list: vec![],
                    dynamic_weight: Some(DynamicWeightFactor::AvailableReplicas),
                }),
            );
        }
        6 | 7 => {
            placement.spread_constraints = vec![spread(SpreadField::Cluster, 2, 5)];
            placement.replica_scheduling = divided(DivisionPreference::Aggregated, None);
        }
        8 => {
            placement.spread_constraints = vec![
                spread(SpreadField::Region, 2, 3),
                spread(SpreadField::Cluster, 2, 6),
            ];
            placement.replica_scheduling = Some(ReplicaScheduling {
                replica_scheduling_type: Some(ReplicaSchedulingType::Duplicated),
                ..Default::default()
            });
        }
        _ => {
            binding.resource = ResourceRef {
                api_version: "v1".into(),
                kind: "ConfigMap".into(),
                namespace: "default".into(),
                name: format!("cfg-{i}"),
            };
            binding.replicas = 0;
            binding.replica_requirements = None;
            binding.clusters.iter_mut().for_each(|t| t.replicas = 0);
        }
    }
    (binding, placement)
}

fn request<'a>(
    work: &'a (BindingInput, Placement),
    fleet: &'a [ClusterInput],
    options: &'a ScheduleOptions,
) -> ScheduleRequest<'a> {
    ScheduleRequest {
        binding: &work.0,
        placement: &work.1,
        clusters: fleet,
        options,
    }
}

fn run(clusters: usize) {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ clusters as u64);
    let fleet = fleet(clusters, &mut rng);
    let work: Vec<(BindingInput, Placement)> = (0..BINDINGS)
        .map(|i| workload(i, &fleet, &mut rng))
        .collect();
    let options = ScheduleOptions::default();

    // Warm caches and the allocator on a slice of the work first.
    for w in work.iter().take(200) {
        black_box(schedule_request(request(w, &fleet, &options)));
    }

    let mut results: BTreeMap<&str, usize> = BTreeMap::new();
    let mut decisions = 0usize;
    let start = Instant::now();
    for w in &work {
        let outcome = schedule_request(request(w, &fleet, &options));
        decisions += outcome.decisions.len();
        *results
            .entry(match outcome.result {
                ScheduleResult::Scheduled => "Scheduled",
                ScheduleResult::Unschedulable => "Unschedulable",
                ScheduleResult::NoClusterFit => "NoClusterFit",
                ScheduleResult::Error => "Error",
            })
            .or_default() += 1;
        black_box(&outcome);
    }
    let elapsed = start.elapsed();
    let per_sec = BINDINGS as f64 / elapsed.as_secs_f64();
    println!(
        "{clusters:>5} clusters: {BINDINGS} bindings in {:>8.3} s = {per_sec:>10.0} bindings/s ({:>7.1} µs/binding, {decisions} cluster decisions) {results:?}",
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e6 / BINDINGS as f64,
    );
}

fn main() {
    if cfg!(debug_assertions) {
        eprintln!("note: debug build; use --release for meaningful numbers");
    }
    for clusters in [100, 1_000] {
        run(clusters);
    }
}
