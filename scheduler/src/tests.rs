//! End-to-end tests of [`schedule`]: filter → score → select → assign, with explanations.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;

// ---------------------------------------------------------------------------------------------
// Builders
// ---------------------------------------------------------------------------------------------

struct ClusterBuilder(ClusterInput);

fn cluster(name: &str) -> ClusterBuilder {
    ClusterBuilder(ClusterInput {
        name: name.into(),
        api_enablements: vec![ApiEnablement {
            group_version: "apps/v1".into(),
            kinds: vec!["Deployment".into()],
        }],
        api_enablements_complete: true,
        ..Default::default()
    })
}

impl ClusterBuilder {
    fn label(mut self, k: &str, v: &str) -> Self {
        self.0.labels.insert(k.into(), v.into());
        self
    }
    fn region(mut self, r: &str) -> Self {
        self.0.region = r.into();
        self
    }
    fn taint(mut self, key: &str, effect: &str) -> Self {
        self.0.taints.push(Taint {
            key: key.into(),
            value: String::new(),
            effect: effect.into(),
        });
        self
    }
    /// Free pod slots only: with no replica requirements that is the estimate.
    fn pods(mut self, free: i64) -> Self {
        self.0.resource_summary = Some(ResourceSummary {
            allocatable: BTreeMap::from([("pods".to_string(), Quantity::from_units(free))]),
            ..Default::default()
        });
        self
    }
    fn deleting(mut self) -> Self {
        self.0.deleting = true;
        self
    }
    fn build(self) -> ClusterInput {
        self.0
    }
}

fn deployment(replicas: i32) -> BindingInput {
    BindingInput {
        uid: String::new(),
        resource: ResourceRef {
            api_version: "apps/v1".into(),
            kind: "Deployment".into(),
            namespace: "default".into(),
            name: "web".into(),
        },
        replicas,
        ..Default::default()
    }
}

fn config_map() -> BindingInput {
    BindingInput {
        resource: ResourceRef {
            api_version: "v1".into(),
            kind: "ConfigMap".into(),
            namespace: "default".into(),
            name: "cfg".into(),
        },
        ..Default::default()
    }
}

fn names(list: &[&str]) -> ClusterAffinity {
    ClusterAffinity {
        cluster_names: list.iter().map(|s| (*s).to_string()).collect(),
        ..Default::default()
    }
}

fn static_weights(rules: &[(&str, i64)]) -> Option<ReplicaScheduling> {
    Some(ReplicaScheduling {
        replica_scheduling_type: Some(ReplicaSchedulingType::Divided),
        replica_division_preference: Some(DivisionPreference::Weighted),
        weight_preference: Some(WeightPreference {
            static_weight_list: rules
                .iter()
                .map(|(name, w)| StaticClusterWeight {
                    target_cluster: names(&[name]),
                    weight: *w,
                })
                .collect(),
            dynamic_weight: None,
        }),
    })
}

fn dynamic(pref: DivisionPreference) -> Option<ReplicaScheduling> {
    Some(ReplicaScheduling {
        replica_scheduling_type: Some(ReplicaSchedulingType::Divided),
        replica_division_preference: Some(pref),
        weight_preference: (pref == DivisionPreference::Weighted).then(|| WeightPreference {
            static_weight_list: vec![],
            dynamic_weight: Some(DynamicWeightFactor::AvailableReplicas),
        }),
    })
}

fn duplicated() -> Option<ReplicaScheduling> {
    Some(ReplicaScheduling {
        replica_scheduling_type: Some(ReplicaSchedulingType::Duplicated),
        ..Default::default()
    })
}

fn targets(list: &[(&str, i32)]) -> Vec<TargetCluster> {
    list.iter()
        .map(|(n, r)| TargetCluster::new(*n, *r))
        .collect()
}

fn decision<'a>(outcome: &'a ScheduleOutcome, name: &str) -> &'a ClusterDecision {
    outcome
        .decisions
        .iter()
        .find(|d| d.name == name)
        .unwrap_or_else(|| panic!("no decision for {name}"))
}

// ---------------------------------------------------------------------------------------------
// Table
// ---------------------------------------------------------------------------------------------

struct Case {
    name: &'static str,
    input: ScheduleInput,
    result: ScheduleResult,
    targets: Vec<TargetCluster>,
}

fn three(pods: [i64; 3]) -> Vec<ClusterInput> {
    vec![
        cluster("m1").pods(pods[0]).build(),
        cluster("m2").pods(pods[1]).build(),
        cluster("m3").pods(pods[2]).build(),
    ]
}

#[test]
fn schedule_table() {
    let cases = vec![
        Case {
            name: "static 13 at 3:2:1",
            input: ScheduleInput {
                binding: deployment(13),
                placement: Placement {
                    replica_scheduling: static_weights(&[("m1", 3), ("m2", 2), ("m3", 1)]),
                    ..Default::default()
                },
                clusters: three([100, 100, 100]),
                ..Default::default()
            },
            result: ScheduleResult::Scheduled,
            targets: targets(&[("m1", 7), ("m2", 4), ("m3", 2)]),
        },
        Case {
            name: "static 14 at 3:2:1",
            input: ScheduleInput {
                binding: deployment(14),
                placement: Placement {
                    replica_scheduling: static_weights(&[("m1", 3), ("m2", 2), ("m3", 1)]),
                    ..Default::default()
                },
                clusters: three([100, 100, 100]),
                ..Default::default()
            },
            result: ScheduleResult::Scheduled,
            targets: targets(&[("m1", 7), ("m2", 5), ("m3", 2)]),
        },
        Case {
            name: "static 2 at 2:1 keeps both clusters",
            input: ScheduleInput {
                binding: deployment(2),
                placement: Placement {
                    replica_scheduling: static_weights(&[("m1", 2), ("m2", 1)]),
                    ..Default::default()
                },
                clusters: three([100, 100, 100]),
                ..Default::default()
            },
            result: ScheduleResult::Scheduled,
            targets: targets(&[("m1", 1), ("m2", 1)]),
        },
        Case {
            name: "static weights ignore capacity",
            input: ScheduleInput {
                binding: deployment(6),
                placement: Placement {
                    replica_scheduling: static_weights(&[("m1", 1), ("m2", 1), ("m3", 1)]),
                    ..Default::default()
                },
                clusters: three([0, 0, 0]),
                ..Default::default()
            },
            result: ScheduleResult::Scheduled,
            targets: targets(&[("m1", 2), ("m2", 2), ("m3", 2)]),
        },
        Case {
            name: "no replicaScheduling is duplicated",
            input: ScheduleInput {
                binding: deployment(3),
                clusters: three([1, 1, 1]),
                ..Default::default()
            },
            result: ScheduleResult::Scheduled,
            targets: targets(&[("m1", 3), ("m2", 3), ("m3", 3)]),
        },
        Case {
            name: "duplicated with a cluster affinity",
            input: ScheduleInput {
                binding: deployment(2),
                placement: Placement {
                    cluster_affinity: Some(names(&["m2", "m3"])),
                    replica_scheduling: duplicated(),
                    ..Default::default()
                },
                clusters: three([1, 1, 1]),
                ..Default::default()
            },
            result: ScheduleResult::Scheduled,
            targets: targets(&[("m2", 2), ("m3", 2)]),
        },
        Case {
            name: "dynamic weight by free pods",
            input: ScheduleInput {
                binding: deployment(12),
                placement: Placement {
                    replica_scheduling: dynamic(DivisionPreference::Weighted),
                    ..Default::default()
                },
                clusters: three([6, 8, 10]),
                ..Default::default()
            },
            result: ScheduleResult::Scheduled,
            targets: targets(&[("m1", 3), ("m2", 4), ("m3", 5)]),
        },
        Case {
            name: "aggregated 12 -> 24 with available 4/6/8 and previous m1:4, m2:8",
            input: ScheduleInput {
                binding: BindingInput {
                    clusters: targets(&[("m1", 4), ("m2", 8)]),
                    ..deployment(24)
                },
                placement: Placement {
                    replica_scheduling: dynamic(DivisionPreference::Aggregated),
                    ..Default::default()
                },
                clusters: three([4, 6, 8]),
                ..Default::default()
            },
            result: ScheduleResult::Scheduled,
            targets: targets(&[("m1", 7), ("m2", 12), ("m3", 5)]),
        },
        Case {
            name: "dynamic scale-down follows the current placement",
            input: ScheduleInput {
                binding: BindingInput {
                    clusters: targets(&[("m1", 2), ("m2", 4), ("m3", 6)]),
                    ..deployment(6)
                },
                placement: Placement {
                    replica_scheduling: dynamic(DivisionPreference::Weighted),
                    ..Default::default()
                },
                clusters: three([1, 1, 1]),
                ..Default::default()
            },
            result: ScheduleResult::Scheduled,
            targets: targets(&[("m1", 1), ("m2", 2), ("m3", 3)]),
        },
        Case {
            name: "not enough capacity keeps the current placement",
            input: ScheduleInput {
                binding: BindingInput {
                    clusters: targets(&[("m1", 1)]),
                    ..deployment(30)
                },
                placement: Placement {
                    replica_scheduling: dynamic(DivisionPreference::Weighted),
                    ..Default::default()
                },
                clusters: three([3, 3, 3]),
                ..Default::default()
            },
            result: ScheduleResult::Unschedulable,
            targets: targets(&[("m1", 1)]),
        },
        Case {
            name: "nothing fits clears the placement",
            input: ScheduleInput {
                binding: BindingInput {
                    clusters: targets(&[("gone", 3)]),
                    ..deployment(3)
                },
                placement: Placement {
                    cluster_affinity: Some(names(&["nowhere"])),
                    ..Default::default()
                },
                clusters: three([5, 5, 5]),
                ..Default::default()
            },
            result: ScheduleResult::NoClusterFit,
            targets: vec![],
        },
        Case {
            name: "unsatisfiable spread constraint is a scheduler error",
            input: ScheduleInput {
                binding: BindingInput {
                    clusters: targets(&[("m1", 2)]),
                    ..deployment(2)
                },
                placement: Placement {
                    spread_constraints: vec![
                        SpreadConstraint {
                            spread_by_field: Some(SpreadField::Region),
                            min_groups: 3,
                            max_groups: 3,
                            ..Default::default()
                        },
                        SpreadConstraint {
                            spread_by_field: Some(SpreadField::Cluster),
                            min_groups: 3,
                            max_groups: 3,
                            ..Default::default()
                        },
                    ],
                    replica_scheduling: duplicated(),
                    ..Default::default()
                },
                clusters: vec![
                    cluster("m1").region("eu").pods(5).build(),
                    cluster("m2").region("us").pods(5).build(),
                    cluster("m3").region("us").pods(5).build(),
                ],
                ..Default::default()
            },
            result: ScheduleResult::Error,
            targets: targets(&[("m1", 2)]),
        },
    ];
    for case in cases {
        let outcome = schedule(&case.input);
        assert_eq!(
            (outcome.result, &outcome.targets),
            (case.result, &case.targets),
            "case {:?}: {}",
            case.name,
            outcome.message
        );
        assert_eq!(
            outcome.decisions.len(),
            case.input.clusters.len(),
            "case {:?}: one decision per cluster",
            case.name
        );
    }
}

#[test]
fn rejections_name_the_plugin_and_the_reason() {
    let input = ScheduleInput {
        binding: deployment(2),
        placement: Placement {
            cluster_affinity: Some(ClusterAffinity {
                label_selector: Some(LabelSelector {
                    match_labels: BTreeMap::from([("env".into(), "prod".into())]),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        },
        clusters: vec![
            cluster("m1").label("env", "prod").pods(10).build(),
            cluster("m2")
                .label("env", "prod")
                .taint("cluster.karmada.io/not-ready", "NoSchedule")
                .pods(10)
                .build(),
            cluster("m3").label("env", "dev").pods(10).build(),
            cluster("m4").label("env", "prod").deleting().build(),
        ],
        ..Default::default()
    };
    let outcome = schedule(&input);
    assert_eq!(
        outcome.result,
        ScheduleResult::Scheduled,
        "{}",
        outcome.message
    );
    assert_eq!(outcome.targets, targets(&[("m1", 2)]));

    let m1 = decision(&outcome, "m1");
    assert!(m1.selected && m1.replicas == 2 && m1.reasons.is_empty());
    assert_eq!(m1.available_replicas, Some(10));

    let m2 = decision(&outcome, "m2");
    assert!(!m2.selected);
    assert_eq!(
        m2.reasons
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["TaintToleration: cluster has untolerated taint cluster.karmada.io/not-ready:NoSchedule"]
    );
    assert_eq!(
        m2.available_replicas,
        Some(10),
        "capacity is shown even when rejected"
    );

    let m3 = decision(&outcome, "m3");
    assert_eq!(
        m3.reasons[0].to_string(),
        "ClusterAffinity: does not match clusterAffinity: cluster labels do not match labelSelector env=prod"
    );
    let m4 = decision(&outcome, "m4");
    assert_eq!(
        m4.reasons[0].to_string(),
        "Scheduler: cluster is being deleted"
    );
}

#[test]
fn no_fit_message_is_a_histogram() {
    let input = ScheduleInput {
        binding: deployment(1),
        clusters: vec![
            cluster("m1").taint("a", "NoSchedule").build(),
            cluster("m2").taint("a", "NoSchedule").build(),
            cluster("m3").taint("b", "NoExecute").build(),
        ],
        ..Default::default()
    };
    let outcome = schedule(&input);
    assert_eq!(outcome.result, ScheduleResult::NoClusterFit);
    assert_eq!(
        outcome.message,
        "0/3 clusters are available: 2× TaintToleration: cluster has untolerated taint a:NoSchedule; \
         1× TaintToleration: cluster has untolerated taint b:NoExecute"
    );
    let empty = schedule(&ScheduleInput {
        binding: deployment(1),
        ..Default::default()
    });
    assert_eq!(empty.result, ScheduleResult::NoClusterFit);
    assert_eq!(
        empty.message,
        "0/0 clusters are available: no cluster exists"
    );
}

#[test]
fn tainted_cluster_already_in_use_keeps_its_replicas() {
    let input = ScheduleInput {
        binding: BindingInput {
            clusters: targets(&[("m1", 2)]),
            ..deployment(4)
        },
        placement: Placement {
            replica_scheduling: dynamic(DivisionPreference::Weighted),
            ..Default::default()
        },
        clusters: vec![
            cluster("m1")
                .taint("cluster.karmada.io/not-ready", "NoSchedule")
                .pods(0)
                .build(),
            cluster("m2").pods(10).build(),
        ],
        ..Default::default()
    };
    let outcome = schedule(&input);
    assert_eq!(
        outcome.targets,
        targets(&[("m1", 2), ("m2", 2)]),
        "{}",
        outcome.message
    );
}

#[test]
fn non_workload_is_propagated_with_zero_replicas() {
    let mut m2 = cluster("m2").build();
    m2.api_enablements.push(ApiEnablement {
        group_version: "v1".into(),
        kinds: vec!["ConfigMap".into()],
    });
    let mut m1 = cluster("m1").build();
    m1.api_enablements = m2.api_enablements.clone();
    let outcome = schedule(&ScheduleInput {
        binding: config_map(),
        clusters: vec![m1, m2, cluster("m3").build()],
        ..Default::default()
    });
    assert_eq!(outcome.result, ScheduleResult::Scheduled);
    assert_eq!(outcome.targets, targets(&[("m1", 0), ("m2", 0)]));
    assert_eq!(decision(&outcome, "m1").available_replicas, None);
    assert!(decision(&outcome, "m3").reasons[0].plugin == "APIEnablement");
}

#[test]
fn cluster_affinities_fall_back_in_order() {
    let terms = vec![
        ClusterAffinityTerm {
            affinity_name: "primary".into(),
            affinity: names(&["m9"]),
            overflow_affinities: None,
        },
        ClusterAffinityTerm {
            affinity_name: "backup".into(),
            affinity: names(&["m2"]),
            overflow_affinities: None,
        },
    ];
    let input = ScheduleInput {
        binding: deployment(3),
        placement: Placement {
            cluster_affinities: terms.clone(),
            ..Default::default()
        },
        clusters: three([5, 5, 5]),
        ..Default::default()
    };
    let outcome = schedule(&input);
    assert_eq!(outcome.result, ScheduleResult::Scheduled);
    assert_eq!(outcome.affinity_name.as_deref(), Some("backup"));
    assert_eq!(outcome.targets, targets(&[("m2", 3)]));
    assert_eq!(outcome.attempts.len(), 2);
    assert_eq!(outcome.attempts[0].result, ScheduleResult::NoClusterFit);

    // Observing "backup" starts there; a manual reschedule restarts at the first term.
    let observed = ScheduleInput {
        binding: BindingInput {
            observed_affinity_name: Some("backup".into()),
            ..deployment(3)
        },
        ..input.clone()
    };
    assert_eq!(schedule(&observed).attempts.len(), 1);
    let fresh = ScheduleInput {
        binding: BindingInput {
            observed_affinity_name: Some("backup".into()),
            reschedule_requested: true,
            ..deployment(3)
        },
        ..input.clone()
    };
    assert_eq!(schedule(&fresh).attempts.len(), 2);

    // All terms failing with no fit clears the placement and keeps the observed name.
    let none = ScheduleInput {
        binding: BindingInput {
            observed_affinity_name: Some("primary".into()),
            clusters: targets(&[("m1", 3)]),
            ..deployment(3)
        },
        placement: Placement {
            cluster_affinities: vec![terms[0].clone()],
            ..Default::default()
        },
        ..input
    };
    let outcome = schedule(&none);
    assert_eq!(outcome.result, ScheduleResult::NoClusterFit);
    assert!(outcome.targets.is_empty());
    assert_eq!(outcome.affinity_name.as_deref(), Some("primary"));
}

#[test]
fn overflow_tiers_fill_in_order() {
    let term = ClusterAffinityTerm {
        affinity_name: "local".into(),
        affinity: names(&["m1"]),
        overflow_affinities: Some(vec![OverflowClusterAffinity {
            affinity_name: "burst".into(),
            affinity: names(&["m2", "m3"]),
        }]),
    };
    let input = ScheduleInput {
        binding: BindingInput {
            observed_affinity_name: Some("local".into()),
            ..deployment(8)
        },
        placement: Placement {
            cluster_affinities: vec![term],
            replica_scheduling: dynamic(DivisionPreference::Weighted),
            ..Default::default()
        },
        clusters: three([3, 10, 10]),
        ..Default::default()
    };
    let outcome = schedule(&input);
    assert_eq!(
        outcome.result,
        ScheduleResult::Scheduled,
        "{}",
        outcome.message
    );
    assert_eq!(outcome.targets, targets(&[("m1", 3), ("m2", 3), ("m3", 2)]));

    let mut small = input.clone();
    small.binding.replicas = 2;
    let outcome = schedule(&small);
    assert_eq!(outcome.targets, targets(&[("m1", 2)]));
    assert!(
        decision(&outcome, "m2").reasons[0]
            .message
            .contains("overflow tier 1 was not needed")
    );

    let mut big = input;
    big.binding.replicas = 40;
    assert_eq!(schedule(&big).result, ScheduleResult::Unschedulable);
}

#[test]
fn zero_replica_clusters_are_explained_and_optionally_kept() {
    let input = ScheduleInput {
        binding: deployment(1),
        placement: Placement {
            replica_scheduling: static_weights(&[("m1", 2), ("m2", 1)]),
            ..Default::default()
        },
        clusters: three([5, 5, 5]),
        ..Default::default()
    };
    let outcome = schedule(&input);
    assert_eq!(outcome.targets, targets(&[("m1", 1)]));
    assert!(
        decision(&outcome, "m2").reasons[0]
            .message
            .contains("Webster")
    );
    assert_eq!(
        decision(&outcome, "m3").reasons[0].message,
        "no staticWeightList rule gives it a positive weight"
    );

    let kept = schedule(&ScheduleInput {
        options: ScheduleOptions {
            enable_empty_workload_propagation: true,
        },
        ..input
    });
    assert_eq!(kept.targets, targets(&[("m1", 1), ("m2", 0), ("m3", 0)]));
}

#[test]
fn uid_parity_breaks_ties_both_ways() {
    let input = |uid: &str| ScheduleInput {
        binding: BindingInput {
            uid: uid.into(),
            ..deployment(5)
        },
        placement: Placement {
            replica_scheduling: static_weights(&[("A", 1), ("B", 1)]),
            ..Default::default()
        },
        clusters: vec![cluster("A").build(), cluster("B").build()],
        ..Default::default()
    };
    let even = schedule(&input("4858ca61-3ff8-4095-8267-f3d059d8074c"));
    assert_eq!(even.targets, targets(&[("A", 3), ("B", 2)]));
    let odd = schedule(&input("d43fdeeb-d750-4e2b-bee3-64eb94534f4c"));
    assert_eq!(odd.targets, targets(&[("A", 2), ("B", 3)]));
}

#[test]
fn outcome_serializes_for_simulate() {
    let outcome = schedule(&ScheduleInput {
        binding: deployment(1),
        clusters: vec![cluster("m1").pods(1).build()],
        ..Default::default()
    });
    let json = serde_json::to_value(&outcome).unwrap();
    assert_eq!(json["result"], "Scheduled");
    assert_eq!(json["decisions"][0]["availableReplicas"], 1);
    assert_eq!(json["targets"][0]["name"], "m1");
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

fn arb_cluster(i: usize) -> impl Strategy<Value = ClusterInput> {
    (
        0i64..40,
        prop::sample::select(vec!["", "eu", "us", "ap"]),
        any::<bool>(),
        any::<bool>(),
        prop::sample::select(vec!["prod", "dev"]),
    )
        .prop_map(move |(pods, region, tainted, deleting, env)| {
            let mut c = cluster(&format!("c{i:02}"))
                .pods(pods)
                .region(region)
                .label("env", env);
            if tainted {
                c = c.taint("cluster.karmada.io/not-ready", "NoSchedule");
            }
            if deleting && pods % 7 == 0 {
                c = c.deleting();
            }
            c.build()
        })
}

fn arb_clusters() -> impl Strategy<Value = Vec<ClusterInput>> {
    (1usize..10).prop_flat_map(|n| (0..n).map(arb_cluster).collect::<Vec<_>>())
}

fn arb_replica_scheduling() -> impl Strategy<Value = Option<ReplicaScheduling>> {
    prop_oneof![
        Just(None),
        Just(duplicated()),
        Just(dynamic(DivisionPreference::Weighted)),
        Just(dynamic(DivisionPreference::Aggregated)),
        Just(static_weights(&[("c00", 3), ("c01", 2), ("c02", 1)])),
        Just(Some(ReplicaScheduling::default())),
    ]
}

fn arb_spread() -> impl Strategy<Value = Vec<SpreadConstraint>> {
    prop_oneof![
        Just(vec![]),
        (1i32..4, 0i32..6).prop_map(|(min, max)| vec![SpreadConstraint {
            spread_by_field: Some(SpreadField::Cluster),
            min_groups: min,
            max_groups: max,
            ..Default::default()
        }]),
        (1i32..3, 1i32..4, 1i32..4).prop_map(|(rmin, cmin, cmax)| vec![
            SpreadConstraint {
                spread_by_field: Some(SpreadField::Region),
                min_groups: rmin,
                max_groups: rmin + 1,
                ..Default::default()
            },
            SpreadConstraint {
                spread_by_field: Some(SpreadField::Cluster),
                min_groups: cmin,
                max_groups: cmax + cmin,
                ..Default::default()
            },
        ]),
    ]
}

fn arb_input() -> impl Strategy<Value = ScheduleInput> {
    (
        arb_clusters(),
        prop_oneof![8 => -3i32..60, 1 => Just(1_000_000), 1 => Just(i32::MAX)],
        arb_replica_scheduling(),
        arb_spread(),
        proptest::collection::vec((0usize..10, 0i32..10), 0..4),
        "[0-9a-f]{0,6}",
        any::<bool>(),
    )
        .prop_map(|(clusters, replicas, rs, spread, prev, uid, fresh)| {
            let previous: BTreeMap<String, i32> = prev
                .into_iter()
                .map(|(i, r)| (format!("c{i:02}"), r))
                .collect();
            ScheduleInput {
                binding: BindingInput {
                    uid,
                    clusters: previous
                        .into_iter()
                        .map(|(name, replicas)| TargetCluster { name, replicas })
                        .collect(),
                    reschedule_requested: fresh,
                    ..deployment(replicas)
                },
                placement: Placement {
                    spread_constraints: spread,
                    replica_scheduling: rs,
                    ..Default::default()
                },
                clusters,
                ..Default::default()
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn same_input_same_output(input in arb_input()) {
        let a = schedule(&input);
        let b = schedule(&input);
        prop_assert_eq!(a, b);
    }

    #[test]
    fn divided_placements_sum_to_the_replicas(input in arb_input()) {
        let outcome = schedule(&input);
        let strategy = ReplicaStrategy::of(&input.placement);
        if outcome.result == ScheduleResult::Scheduled
            && strategy != ReplicaStrategy::Duplicated
            && input.binding.replicas >= 0
        {
            let total: i32 = outcome.targets.iter().map(|t| t.replicas).sum();
            prop_assert_eq!(total, input.binding.replicas, "{}", outcome.message);
        }
        // Targets are in name order, unique, and every selected decision matches a target.
        if outcome.result == ScheduleResult::Scheduled {
            prop_assert!(outcome.targets.windows(2).all(|w| w[0].name < w[1].name));
            for d in &outcome.decisions {
                let t = outcome.targets.iter().find(|t| t.name == d.name);
                prop_assert_eq!(d.selected, t.is_some());
                prop_assert!(d.selected || !d.reasons.is_empty() || outcome.result != ScheduleResult::Scheduled,
                    "{} neither selected nor explained: {}", d.name, outcome.message);
            }
        }
        prop_assert_eq!(outcome.decisions.len(), input.clusters.len());
    }

    #[test]
    fn static_scale_up_never_takes_a_replica_from_a_cluster(
        clusters in arb_clusters(),
        replicas in 0i32..60,
        extra in 1i32..20,
        uid in "[0-9a-f]{0,6}",
    ) {
        let input = |n| ScheduleInput {
            binding: BindingInput { uid: uid.clone(), ..deployment(n) },
            placement: Placement {
                replica_scheduling: static_weights(&[("c00", 3), ("c01", 2), ("c02", 1), ("c03", 1)]),
                cluster_tolerations: vec![Toleration { operator: "Exists".into(), ..Default::default() }],
                ..Default::default()
            },
            clusters: clusters.clone(),
            ..Default::default()
        };
        let before = schedule(&input(replicas));
        let after = schedule(&input(replicas + extra));
        for t in &before.targets {
            let now = after.targets.iter().find(|a| a.name == t.name).map_or(0, |a| a.replicas);
            prop_assert!(now >= t.replicas, "{} went from {} to {}", t.name, t.replicas, now);
        }
    }
}
