//! Table-driven tests of validation and defaulting. Specs are written as YAML so each case reads
//! like the manifest a user would apply.

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::*;
use crate::cluster::v1alpha1::Cluster;
use crate::policy::v1alpha1::{
    ClusterTaintPolicySpec, OverrideSpec, PropagationPolicy, PropagationSpec,
};
use crate::work::v1alpha2::ResourceBindingSpec;

fn parse<T: DeserializeOwned>(case: &str, yaml: &str) -> T {
    serde_saphyr::from_str(yaml).unwrap_or_else(|e| panic!("case {case}: bad fixture: {e}"))
}

/// The violations as `(field, kind)` pairs, sorted, for comparison with a case's expectation.
fn found(violations: &[FieldViolation]) -> Vec<(String, ViolationKind)> {
    let mut found: Vec<_> = violations
        .iter()
        .map(|v| (v.field.clone(), v.kind))
        .collect();
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found
}

fn expected(want: &[(&str, ViolationKind)]) -> Vec<(String, ViolationKind)> {
    let mut want: Vec<_> = want.iter().map(|(f, k)| ((*f).to_owned(), *k)).collect();
    want.sort_by(|a, b| a.0.cmp(&b.0));
    want
}

use ViolationKind::{Duplicate, Forbidden, Invalid, NotSupported, Required};

#[test]
fn propagation_spec_validation() {
    struct Case {
        name: &'static str,
        namespace: Option<&'static str>,
        /// Run defaulting first, as the apiserver does.
        default: bool,
        spec: &'static str,
        want: &'static [(&'static str, ViolationKind)],
    }
    let cases = [
        Case {
            name: "minimal namespaced policy is valid after defaulting",
            namespace: Some("shop"),
            default: true,
            spec: "resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: web}]",
            want: &[],
        },
        Case {
            name: "resource selectors are required",
            namespace: None,
            default: true,
            spec: "resourceSelectors: []",
            want: &[("spec.resourceSelectors", Required)],
        },
        Case {
            name: "absent resource selectors are required too",
            namespace: None,
            default: true,
            spec: "placement: {}",
            want: &[("spec.resourceSelectors", Required)],
        },
        Case {
            name: "selectors of a namespaced policy must be in its namespace",
            namespace: Some("shop"),
            default: true,
            spec: r#"
resourceSelectors:
  - {apiVersion: v1, kind: ConfigMap}
  - {apiVersion: v1, kind: ConfigMap, namespace: other}
"#,
            want: &[("spec.resourceSelectors[1].namespace", Invalid)],
        },
        Case {
            name: "cluster-wide policy may select any namespace",
            namespace: None,
            default: true,
            spec: "resourceSelectors: [{apiVersion: v1, kind: ConfigMap, namespace: other}]",
            want: &[],
        },
        Case {
            name: "clusterAffinity and clusterAffinities are exclusive",
            namespace: None,
            default: true,
            spec: r#"
resourceSelectors: [{apiVersion: v1, kind: ConfigMap}]
placement:
  clusterAffinity: {clusterNames: [a]}
  clusterAffinities: [{affinityName: primary, clusterNames: [a]}]
"#,
            want: &[("spec.placement.clusterAffinities", Forbidden)],
        },
        Case {
            name: "affinity names: 1-32 chars, label-key format, unique",
            namespace: None,
            default: true,
            spec: r#"
resourceSelectors: [{apiVersion: v1, kind: ConfigMap}]
placement:
  clusterAffinities:
    - {affinityName: primary, clusterNames: [a]}
    - {affinityName: primary, clusterNames: [b]}
    - {affinityName: "", clusterNames: [c]}
    - {affinityName: "a-name-that-is-definitely-longer-than-32", clusterNames: [d]}
    - {affinityName: "not valid!", clusterNames: [e]}
"#,
            want: &[
                (
                    "spec.placement.clusterAffinities[1].affinityName",
                    Duplicate,
                ),
                ("spec.placement.clusterAffinities[2].affinityName", Required),
                ("spec.placement.clusterAffinities[3].affinityName", Invalid),
                ("spec.placement.clusterAffinities[4].affinityName", Invalid),
            ],
        },
        Case {
            name: "field selector keys and operators",
            namespace: None,
            default: true,
            spec: r#"
resourceSelectors: [{apiVersion: v1, kind: ConfigMap}]
placement:
  clusterAffinity:
    fieldSelector:
      matchExpressions:
        - {key: region, operator: In, values: [eu]}
        - {key: name, operator: Exists}
"#,
            want: &[
                (
                    "spec.placement.clusterAffinity.fieldSelector.matchExpressions[1].key",
                    NotSupported,
                ),
                (
                    "spec.placement.clusterAffinity.fieldSelector.matchExpressions[1].operator",
                    NotSupported,
                ),
            ],
        },
        Case {
            name: "overflow tiers need dynamic or aggregated division",
            namespace: None,
            default: true,
            spec: r#"
resourceSelectors: [{apiVersion: apps/v1, kind: Deployment}]
placement:
  clusterAffinities:
    - affinityName: primary
      clusterNames: [a]
      overflowAffinities: [{affinityName: burst, clusterNames: [b]}]
  replicaScheduling: {replicaSchedulingType: Divided}
"#,
            want: &[(
                "spec.placement.clusterAffinities[0].overflowAffinities",
                Forbidden,
            )],
        },
        Case {
            name: "overflow tiers: non-empty primary group, unique names",
            namespace: None,
            default: true,
            spec: r#"
resourceSelectors: [{apiVersion: apps/v1, kind: Deployment}]
placement:
  clusterAffinities:
    - affinityName: primary
      overflowAffinities:
        - {affinityName: primary, clusterNames: [b]}
        - {affinityName: burst, clusterNames: [c]}
        - {affinityName: burst, clusterNames: [d]}
  replicaScheduling: {replicaSchedulingType: Divided, replicaDivisionPreference: Aggregated}
"#,
            want: &[
                (
                    "spec.placement.clusterAffinities[0].overflowAffinities",
                    Forbidden,
                ),
                (
                    "spec.placement.clusterAffinities[0].overflowAffinities[0].affinityName",
                    Invalid,
                ),
                (
                    "spec.placement.clusterAffinities[0].overflowAffinities[2].affinityName",
                    Invalid,
                ),
            ],
        },
        Case {
            name: "static weights must be at least 1",
            namespace: None,
            default: true,
            spec: r#"
resourceSelectors: [{apiVersion: apps/v1, kind: Deployment}]
placement:
  replicaScheduling:
    replicaSchedulingType: Divided
    weightPreference:
      staticWeightList:
        - {targetCluster: {clusterNames: [a]}, weight: 1}
        - {targetCluster: {clusterNames: [b]}, weight: 0}
"#,
            want: &[(
                "spec.placement.replicaScheduling.weightPreference.staticWeightList[1].weight",
                Invalid,
            )],
        },
        Case {
            name: "spread constraints: field xor label, min/max groups",
            namespace: None,
            default: true,
            spec: r#"
resourceSelectors: [{apiVersion: apps/v1, kind: Deployment}]
placement:
  spreadConstraints:
    - {spreadByField: cluster, spreadByLabel: rack}
    - {spreadByLabel: rack, minGroups: 3, maxGroups: 2}
    - {spreadByLabel: zone-label, minGroups: -1, maxGroups: -1}
"#,
            want: &[
                (
                    "spec.placement.spreadConstraints[0].spreadByLabel",
                    Forbidden,
                ),
                ("spec.placement.spreadConstraints[1].maxGroups", Invalid),
                ("spec.placement.spreadConstraints[2].minGroups", Invalid),
                ("spec.placement.spreadConstraints[2].maxGroups", Invalid),
            ],
        },
        Case {
            name: "spread constraints: one per field, reported once",
            namespace: None,
            default: true,
            spec: r#"
resourceSelectors: [{apiVersion: apps/v1, kind: Deployment}]
placement:
  spreadConstraints:
    - {spreadByField: cluster, maxGroups: 2}
    - {spreadByField: cluster, maxGroups: 3}
    - {spreadByField: cluster, maxGroups: 4}
"#,
            want: &[("spec.placement.spreadConstraints[1].spreadByField", Invalid)],
        },
        Case {
            name: "spread by region requires a cluster constraint",
            namespace: None,
            default: true,
            spec: r#"
resourceSelectors: [{apiVersion: apps/v1, kind: Deployment}]
placement:
  spreadConstraints:
    - {spreadByField: region, maxGroups: 2}
"#,
            want: &[("spec.placement.spreadConstraints", Invalid)],
        },
        Case {
            name: "an empty constraint defaults to cluster and is valid",
            namespace: None,
            default: true,
            spec: r#"
resourceSelectors: [{apiVersion: apps/v1, kind: Deployment}]
placement:
  spreadConstraints:
    - {spreadByField: region, maxGroups: 2}
    - {maxGroups: 3}
"#,
            want: &[],
        },
        Case {
            name: "cluster tolerations: only Exists and Equal",
            namespace: None,
            default: true,
            spec: r#"
resourceSelectors: [{apiVersion: apps/v1, kind: Deployment}]
placement:
  clusterTolerations:
    - {key: a, operator: Exists}
    - {key: b, operator: Equal, value: x}
    - {key: c, value: x}
    - {key: d, operator: Lt, value: "5"}
"#,
            want: &[(
                "spec.placement.clusterTolerations[3].operator",
                NotSupported,
            )],
        },
        Case {
            name: "workload affinity keys are label keys and differ",
            namespace: None,
            default: true,
            spec: r#"
resourceSelectors: [{apiVersion: apps/v1, kind: Deployment}]
placement:
  workloadAffinity:
    affinity: {groupByLabelKey: "bad key"}
    antiAffinity: {groupByLabelKey: "bad key"}
"#,
            want: &[
                (
                    "spec.placement.workloadAffinity.affinity.groupByLabelKey",
                    Invalid,
                ),
                (
                    "spec.placement.workloadAffinity.antiAffinity.groupByLabelKey",
                    Invalid,
                ),
                (
                    "spec.placement.workloadAffinity.antiAffinity.groupByLabelKey",
                    Invalid,
                ),
            ],
        },
        Case {
            name: "application failover requires propagateDeps",
            namespace: None,
            default: true,
            spec: r#"
resourceSelectors: [{apiVersion: apps/v1, kind: Deployment}]
failover:
  application:
    decisionConditions: {}
"#,
            want: &[("spec.propagateDeps", Invalid)],
        },
        Case {
            name: "application failover defaults make a valid policy",
            namespace: None,
            default: true,
            spec: r#"
resourceSelectors: [{apiVersion: apps/v1, kind: Deployment}]
propagateDeps: true
failover:
  application:
    decisionConditions: {}
  cluster: {}
"#,
            want: &[],
        },
        Case {
            name: "gracePeriodSeconds only with Gracefully; tolerationSeconds >= 0",
            namespace: None,
            default: true,
            spec: r#"
resourceSelectors: [{apiVersion: apps/v1, kind: Deployment}]
propagateDeps: true
failover:
  application:
    decisionConditions: {tolerationSeconds: -1}
    purgeMode: Directly
    gracePeriodSeconds: 30
"#,
            want: &[
                (
                    "spec.failover.application.decisionConditions.tolerationSeconds",
                    Invalid,
                ),
                ("spec.failover.application.gracePeriodSeconds", Invalid),
            ],
        },
        Case {
            name: "gracePeriodSeconds must be positive",
            namespace: None,
            default: true,
            spec: r#"
resourceSelectors: [{apiVersion: apps/v1, kind: Deployment}]
propagateDeps: true
failover:
  application:
    decisionConditions: {tolerationSeconds: 0}
    purgeMode: Gracefully
    gracePeriodSeconds: 0
"#,
            want: &[("spec.failover.application.gracePeriodSeconds", Invalid)],
        },
        Case {
            name: "Gracefully without gracePeriodSeconds fails when not defaulted",
            namespace: None,
            default: false,
            spec: r#"
resourceSelectors: [{apiVersion: apps/v1, kind: Deployment}]
propagateDeps: true
failover:
  application:
    decisionConditions: {}
    purgeMode: Gracefully
"#,
            want: &[("spec.failover.application.gracePeriodSeconds", Required)],
        },
        Case {
            name: "cluster failover purge mode Never is not supported; state rules need label names",
            namespace: None,
            default: true,
            spec: r#"
resourceSelectors: [{apiVersion: apps/v1, kind: Deployment}]
failover:
  cluster:
    purgeMode: Never
    statePreservation:
      rules: [{aliasLabelName: "not a label", jsonPath: "{.x}"}]
"#,
            want: &[
                ("spec.failover.cluster.purgeMode", NotSupported),
                (
                    "spec.failover.cluster.statePreservation.rules[0].aliasLabelName",
                    Invalid,
                ),
            ],
        },
        Case {
            name: "suspension: dispatching and dispatchingOnClusters are exclusive",
            namespace: None,
            default: true,
            spec: r#"
resourceSelectors: [{apiVersion: apps/v1, kind: Deployment}]
suspension:
  dispatching: true
  dispatchingOnClusters: {clusterNames: [a]}
"#,
            want: &[("spec.suspension", Invalid)],
        },
        Case {
            name: "suspension: dispatching false with clusters is fine",
            namespace: None,
            default: true,
            spec: r#"
resourceSelectors: [{apiVersion: apps/v1, kind: Deployment}]
suspension:
  dispatching: false
  dispatchingOnClusters: {clusterNames: [a]}
"#,
            want: &[],
        },
        Case {
            name: "preemption Always requires a name in every selector",
            namespace: Some("shop"),
            default: true,
            spec: r#"
preemption: Always
resourceSelectors:
  - {apiVersion: apps/v1, kind: Deployment, name: web}
  - {apiVersion: apps/v1, kind: Deployment, labelSelector: {matchLabels: {app: web}}}
"#,
            want: &[("spec.resourceSelectors[1].name", Invalid)],
        },
        Case {
            name: "only Kubernetes priority classes are implemented",
            namespace: None,
            default: true,
            spec: r#"
resourceSelectors: [{apiVersion: apps/v1, kind: Deployment}]
schedulePriority: {priorityClassSource: FederatedPriorityClass, priorityClassName: high}
"#,
            want: &[("spec.schedulePriority.priorityClassSource", NotSupported)],
        },
    ];
    for case in cases {
        let mut spec: PropagationSpec = parse(case.name, case.spec);
        if case.default {
            default_propagation_spec(&mut spec, case.namespace);
        }
        let violations = validate_propagation_spec(&spec, case.namespace);
        assert_eq!(
            found(&violations),
            expected(case.want),
            "case {}: {violations:#?}",
            case.name
        );
    }
}

#[test]
fn propagation_spec_defaulting() {
    struct Case {
        name: &'static str,
        namespace: Option<&'static str>,
        spec: &'static str,
        want: &'static str,
    }
    let cases = [
        Case {
            name: "schema defaults and selector namespace",
            namespace: Some("shop"),
            spec: "resourceSelectors: [{apiVersion: apps/v1, kind: Deployment}]",
            want: r#"
resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, namespace: shop}]
priority: 0
preemption: Never
schedulerName: default-scheduler
conflictResolution: Abort
"#,
        },
        Case {
            name: "explicit values are kept; cluster-wide policies keep selectors as they are",
            namespace: None,
            spec: r#"
resourceSelectors: [{apiVersion: apps/v1, kind: Deployment}]
priority: 5
preemption: Always
schedulerName: my-scheduler
conflictResolution: Overwrite
"#,
            want: r#"
resourceSelectors: [{apiVersion: apps/v1, kind: Deployment}]
priority: 5
preemption: Always
schedulerName: my-scheduler
conflictResolution: Overwrite
"#,
        },
        Case {
            name: "placement: Divided defaults to Weighted, spread constraints to cluster/minGroups 1",
            namespace: None,
            spec: r#"
resourceSelectors: [{apiVersion: apps/v1, kind: Deployment}]
placement:
  spreadConstraints:
    - {maxGroups: 2}
    - {spreadByLabel: rack, minGroups: 0}
    - {spreadByField: region, minGroups: 2}
  replicaScheduling: {}
"#,
            want: r#"
resourceSelectors: [{apiVersion: apps/v1, kind: Deployment}]
placement:
  spreadConstraints:
    - {spreadByField: cluster, maxGroups: 2, minGroups: 1}
    - {spreadByLabel: rack, minGroups: 1}
    - {spreadByField: region, minGroups: 2}
  replicaScheduling: {replicaSchedulingType: Divided, replicaDivisionPreference: Weighted}
priority: 0
preemption: Never
schedulerName: default-scheduler
conflictResolution: Abort
"#,
        },
        Case {
            name: "Duplicated gets no division preference; nil replicaScheduling stays nil",
            namespace: None,
            spec: r#"
resourceSelectors: [{apiVersion: apps/v1, kind: Deployment}]
placement:
  replicaScheduling: {replicaSchedulingType: Duplicated}
"#,
            want: r#"
resourceSelectors: [{apiVersion: apps/v1, kind: Deployment}]
placement:
  replicaScheduling: {replicaSchedulingType: Duplicated}
priority: 0
preemption: Never
schedulerName: default-scheduler
conflictResolution: Abort
"#,
        },
        Case {
            name: "failover defaults and ServiceImport forces propagateDeps",
            namespace: Some("shop"),
            spec: r#"
resourceSelectors: [{apiVersion: multicluster.x-k8s.io/v1alpha1, kind: ServiceImport, namespace: shop}]
failover:
  application:
    decisionConditions: {}
  cluster: {}
"#,
            want: r#"
resourceSelectors: [{apiVersion: multicluster.x-k8s.io/v1alpha1, kind: ServiceImport, namespace: shop}]
propagateDeps: true
failover:
  application:
    decisionConditions: {tolerationSeconds: 300}
    purgeMode: Gracefully
    gracePeriodSeconds: 600
  cluster: {purgeMode: Gracefully}
priority: 0
preemption: Never
schedulerName: default-scheduler
conflictResolution: Abort
"#,
        },
        Case {
            name: "no grace period for Directly",
            namespace: None,
            spec: r#"
resourceSelectors: [{apiVersion: apps/v1, kind: Deployment}]
failover:
  application:
    decisionConditions: {tolerationSeconds: 10}
    purgeMode: Directly
"#,
            want: r#"
resourceSelectors: [{apiVersion: apps/v1, kind: Deployment}]
failover:
  application:
    decisionConditions: {tolerationSeconds: 10}
    purgeMode: Directly
priority: 0
preemption: Never
schedulerName: default-scheduler
conflictResolution: Abort
"#,
        },
    ];
    for case in cases {
        let mut spec: PropagationSpec = parse(case.name, case.spec);
        default_propagation_spec(&mut spec, case.namespace);
        let want: Value = parse(case.name, case.want);
        assert_eq!(
            serde_json::to_value(&spec).unwrap(),
            want,
            "case {}",
            case.name
        );
        // Defaulting is idempotent.
        let mut again = spec.clone();
        default_propagation_spec(&mut again, case.namespace);
        assert_eq!(again, spec, "case {}: defaulting twice", case.name);
    }
}

#[test]
fn propagation_policy_entry_points_use_the_policy_namespace() {
    let mut policy: PropagationPolicy = parse(
        "policy",
        r#"
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: web, namespace: shop}
spec:
  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: web}]
"#,
    );
    default_propagation_policy(&mut policy);
    assert_eq!(
        policy.spec.resource_selectors[0].namespace.as_deref(),
        Some("shop")
    );
    assert!(validate_propagation_policy(&policy).is_empty());

    let mut changed = policy.clone();
    changed.spec.scheduler_name = Some("other".into());
    changed.metadata.labels.get_or_insert_default().insert(
        crate::labels::PROPAGATION_POLICY_PERMANENT_ID.into(),
        "new".into(),
    );
    let violations = validate_propagation_policy_update(&changed, &policy);
    assert_eq!(
        found(&violations),
        expected(&[
            ("spec.schedulerName", Invalid),
            (
                "metadata.labels[propagationpolicy.karmada.io/permanent-id]",
                Forbidden
            ),
        ])
    );
}

#[test]
fn override_spec_validation() {
    struct Case {
        name: &'static str,
        namespace: Option<&'static str>,
        spec: &'static str,
        want: &'static [(&'static str, ViolationKind)],
    }
    let cases = [
        Case {
            name: "a rule with every overrider is valid",
            namespace: Some("shop"),
            spec: r#"
resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, namespace: shop}]
overrideRules:
  - targetCluster: {clusterNames: [a]}
    overriders:
      plaintext: [{path: /spec/replicas, operator: replace, value: 2}]
      imageOverrider: [{component: Registry, operator: replace, value: r.example.com, predicate: {path: /spec/template/spec/containers/0/image}}]
      commandOverrider: [{containerName: c, operator: add, value: [x]}]
      argsOverrider: [{containerName: c, operator: remove, value: [y]}]
      labelsOverrider: [{operator: add, value: {example.com/team: web}}]
      annotationsOverrider: [{operator: add, value: {note: anything goes here}}]
      fieldOverrider:
        - fieldPath: /data/x.json
          json: [{subPath: /a, operator: add, value: 1}, {subPath: /b, operator: remove}]
"#,
            want: &[],
        },
        Case {
            name: "overrideRules cannot be combined with the deprecated fields",
            namespace: None,
            spec: r#"
targetCluster: {clusterNames: [a]}
overriders:
  labelsOverrider: [{operator: add, value: {a: b}}]
overrideRules:
  - overriders:
      labelsOverrider: [{operator: add, value: {a: b}}]
"#,
            want: &[
                ("spec.targetCluster", Forbidden),
                ("spec.overriders", Forbidden),
            ],
        },
        Case {
            name: "deprecated fields alone are fine",
            namespace: None,
            spec: r#"
targetCluster: {clusterNames: [a]}
overriders:
  labelsOverrider: [{operator: add, value: {a: b}}]
"#,
            want: &[],
        },
        Case {
            name: "fieldOverrider needs exactly one of json and yaml",
            namespace: None,
            spec: r#"
overrideRules:
  - overriders:
      fieldOverrider:
        - fieldPath: /data/a
          json: [{subPath: /a, operator: remove}]
          yaml: [{subPath: /a, operator: remove}]
        - fieldPath: /data/b
"#,
            want: &[
                (
                    "spec.overrideRules[0].overriders.fieldOverrider[0]",
                    Forbidden,
                ),
                (
                    "spec.overrideRules[0].overriders.fieldOverrider[1]",
                    Required,
                ),
            ],
        },
        Case {
            name: "JSON pointers and operation values",
            namespace: None,
            spec: r#"
overrideRules:
  - overriders:
      plaintext: [{path: spec/replicas, operator: replace, value: 2}]
      imageOverrider: [{component: Tag, operator: replace, value: v1, predicate: {path: "containers/0"}}]
      fieldOverrider:
        - fieldPath: data/a
          yaml:
            - {subPath: a, operator: add}
            - {subPath: /b, operator: remove, value: 1}
            - {subPath: /c, operator: replace, value: null}
"#,
            want: &[
                (
                    "spec.overrideRules[0].overriders.plaintext[0].path",
                    Invalid,
                ),
                (
                    "spec.overrideRules[0].overriders.imageOverrider[0].predicate.path",
                    Invalid,
                ),
                (
                    "spec.overrideRules[0].overriders.fieldOverrider[0].fieldPath",
                    Invalid,
                ),
                (
                    "spec.overrideRules[0].overriders.fieldOverrider[0].yaml[0].subPath",
                    Invalid,
                ),
                (
                    "spec.overrideRules[0].overriders.fieldOverrider[0].yaml[0].value",
                    Required,
                ),
                (
                    "spec.overrideRules[0].overriders.fieldOverrider[0].yaml[1].value",
                    Forbidden,
                ),
                (
                    "spec.overrideRules[0].overriders.fieldOverrider[0].yaml[2].value",
                    Required,
                ),
            ],
        },
        Case {
            name: "command and args overriders only add or remove",
            namespace: None,
            spec: r#"
overrideRules:
  - overriders:
      commandOverrider: [{containerName: c, operator: replace, value: [x]}]
      argsOverrider: [{containerName: c, operator: replace, value: [x]}]
"#,
            want: &[
                (
                    "spec.overrideRules[0].overriders.commandOverrider[0].operator",
                    NotSupported,
                ),
                (
                    "spec.overrideRules[0].overriders.argsOverrider[0].operator",
                    NotSupported,
                ),
            ],
        },
        Case {
            name: "labels and annotations must be valid",
            namespace: None,
            spec: r#"
overrideRules:
  - overriders:
      labelsOverrider: [{operator: add, value: {"bad key": "bad value!"}}]
      annotationsOverrider: [{operator: add, value: {"a/b/c": x}}]
"#,
            want: &[
                (
                    "spec.overrideRules[0].overriders.labelsOverrider[0].value",
                    Invalid,
                ),
                (
                    "spec.overrideRules[0].overriders.labelsOverrider[0].value",
                    Invalid,
                ),
                (
                    "spec.overrideRules[0].overriders.annotationsOverrider[0].value",
                    Invalid,
                ),
            ],
        },
        Case {
            name: "target cluster field selectors are checked",
            namespace: None,
            spec: r#"
overrideRules:
  - targetCluster:
      fieldSelector:
        matchExpressions: [{key: color, operator: In, values: [blue]}]
    overriders: {}
"#,
            want: &[(
                "spec.overrideRules[0].targetCluster.fieldSelector.matchExpressions[0].key",
                NotSupported,
            )],
        },
        Case {
            name: "selectors of a namespaced override policy stay in its namespace",
            namespace: Some("shop"),
            spec: "resourceSelectors: [{apiVersion: v1, kind: ConfigMap, namespace: other}]",
            want: &[("spec.resourceSelectors[0].namespace", Invalid)],
        },
    ];
    for case in cases {
        let mut spec: OverrideSpec = parse(case.name, case.spec);
        default_override_spec(&mut spec, case.namespace);
        let violations = validate_override_spec(&spec, case.namespace);
        assert_eq!(
            found(&violations),
            expected(case.want),
            "case {}: {violations:#?}",
            case.name
        );
    }
}

#[test]
fn cluster_taint_policy_validation() {
    struct Case {
        name: &'static str,
        allow_no_execute: bool,
        spec: &'static str,
        want: &'static [(&'static str, ViolationKind)],
    }
    let cases = [
        Case {
            name: "NoSchedule taint is valid",
            allow_no_execute: false,
            spec: r#"
addOnConditions: [{conditionType: Ready, operator: NotIn, statusValues: ["True"]}]
taints: [{key: cluster.karmada.io/not-ready, effect: NoSchedule}]
"#,
            want: &[],
        },
        Case {
            name: "taints are required",
            allow_no_execute: false,
            spec: "taints: []",
            want: &[("spec.taints", Required)],
        },
        Case {
            name: "absent taints are required",
            allow_no_execute: true,
            spec: "addOnConditions: []",
            want: &[("spec.taints", Required)],
        },
        Case {
            name: "NoExecute is rejected by default",
            allow_no_execute: false,
            spec: "taints: [{key: cluster.karmada.io/not-ready, effect: NoExecute}]",
            want: &[("spec.taints[0]", Forbidden)],
        },
        Case {
            name: "NoExecute is accepted when the administrator allows it",
            allow_no_execute: true,
            spec: "taints: [{key: cluster.karmada.io/not-ready, effect: NoExecute}]",
            want: &[],
        },
        Case {
            name: "duplicate key and effect; bad key; unknown effect",
            allow_no_execute: false,
            spec: r#"
taints:
  - {key: a, effect: NoSchedule}
  - {key: a, effect: NoSchedule, value: x}
  - {key: a, effect: PreferNoSchedule}
  - {key: "bad key", effect: Sometimes}
"#,
            want: &[
                ("spec.taints[0]", Duplicate),
                ("spec.taints[3].key", Invalid),
                ("spec.taints[3].effect", NotSupported),
            ],
        },
    ];
    for case in cases {
        let spec: ClusterTaintPolicySpec = parse(case.name, case.spec);
        let violations = validate_cluster_taint_policy_spec(&spec, case.allow_no_execute);
        assert_eq!(
            found(&violations),
            expected(case.want),
            "case {}: {violations:#?}",
            case.name
        );
    }
}

#[test]
fn cluster_validation() {
    struct Case {
        name: &'static str,
        cluster: &'static str,
        want: &'static [(&'static str, ViolationKind)],
    }
    let cases = [
        Case {
            name: "push cluster is valid",
            cluster: r#"
metadata: {name: member1}
spec:
  syncMode: Push
  apiEndpoint: https://172.18.0.3:6443
  secretRef: {namespace: karmada-cluster, name: member1}
  proxyURL: http://proxy:3128
  provider: aws
  region: eu-central-1
  zones: [eu-central-1a]
  taints: [{key: cluster.karmada.io/unschedulable, effect: NoSchedule}]
"#,
            want: &[],
        },
        Case {
            name: "pull cluster without endpoint is valid",
            cluster: "{metadata: {name: edge-7}, spec: {syncMode: Pull}}",
            want: &[],
        },
        Case {
            name: "sync mode is required",
            cluster: "{metadata: {name: member1}, spec: {}}",
            want: &[("spec.syncMode", Required)],
        },
        Case {
            name: "cluster name must be a short DNS label",
            cluster: r#"{metadata: {name: "Member_1"}, spec: {syncMode: Push}}"#,
            want: &[("metadata.name", Invalid)],
        },
        Case {
            name: "cluster name at most 48 characters",
            cluster: "{metadata: {name: a-very-long-cluster-name-that-exceeds-forty-eight-chars}, spec: {syncMode: Push}}",
            want: &[("metadata.name", Invalid)],
        },
        Case {
            name: "endpoint needs scheme and host; no user, query or fragment",
            cluster: "{metadata: {name: m}, spec: {syncMode: Push, apiEndpoint: 'https://admin@host:6443/?x=1#frag'}}",
            want: &[
                ("spec.apiEndpoint", Invalid),
                ("spec.apiEndpoint", Invalid),
                ("spec.apiEndpoint", Invalid),
            ],
        },
        Case {
            name: "endpoint without scheme",
            cluster: "{metadata: {name: m}, spec: {syncMode: Push, apiEndpoint: '10.0.0.1:6443'}}",
            want: &[("spec.apiEndpoint", Invalid)],
        },
        Case {
            name: "secret references need namespace and name; proxy scheme",
            cluster: r#"
metadata: {name: m}
spec:
  syncMode: Push
  secretRef: {namespace: "", name: m}
  impersonatorSecretRef: {namespace: karmada-cluster, name: ""}
  proxyURL: ftp://proxy
"#,
            want: &[
                ("spec.secretRef.namespace", Required),
                ("spec.impersonatorSecretRef.name", Required),
                ("spec.proxyURL", Invalid),
            ],
        },
        Case {
            name: "topology values are label values; zone and zones are exclusive",
            cluster: r#"
metadata: {name: m}
spec:
  syncMode: Push
  provider: "not valid!"
  zone: a
  zones: [b]
"#,
            want: &[("spec.provider", Invalid), ("spec.zone", Forbidden)],
        },
        Case {
            name: "taints: key, effect, unique key+effect",
            cluster: r#"
metadata: {name: m}
spec:
  syncMode: Push
  taints:
    - {key: a, effect: NoSchedule}
    - {key: a, effect: NoSchedule}
    - {key: "b c", effect: ""}
    - {key: d, effect: Never, value: "bad value!"}
"#,
            want: &[
                ("spec.taints[1]", Duplicate),
                ("spec.taints[2].key", Invalid),
                ("spec.taints[2].effect", Required),
                ("spec.taints[3].value", Invalid),
                ("spec.taints[3].effect", NotSupported),
            ],
        },
        Case {
            name: "resource models: distinct grades, same resources",
            cluster: r#"
metadata: {name: m}
spec:
  syncMode: Push
  resourceModels:
    - {grade: 0, ranges: [{name: cpu, min: "0", max: "1"}]}
    - {grade: 0, ranges: [{name: cpu, min: "1", max: "2"}]}
"#,
            want: &[("spec.resourceModels[1].grade", Invalid)],
        },
    ];
    for case in cases {
        let cluster: Cluster = parse(case.name, case.cluster);
        let violations = validate_cluster(&cluster);
        assert_eq!(
            found(&violations),
            expected(case.want),
            "case {}: {violations:#?}",
            case.name
        );
    }
}

#[test]
fn binding_spec_defaulting() {
    let mut spec: ResourceBindingSpec = parse(
        "binding",
        r#"
resource: {apiVersion: apps/v1, kind: Deployment, namespace: shop, name: web}
placement:
  replicaScheduling: {}
failover:
  application: {decisionConditions: {}}
schedulePriority: {}
"#,
    );
    default_binding_spec(&mut spec);
    let want: Value = parse(
        "binding",
        r#"
resource: {apiVersion: apps/v1, kind: Deployment, namespace: shop, name: web}
placement:
  replicaScheduling: {replicaSchedulingType: Divided}
failover:
  application: {decisionConditions: {tolerationSeconds: 300}, purgeMode: Gracefully}
conflictResolution: Abort
schedulePriority: {priority: 0}
"#,
    );
    assert_eq!(serde_json::to_value(&spec).unwrap(), want);
}

#[test]
fn violations_render_like_kubernetes_field_errors() {
    struct Case {
        name: &'static str,
        violation: FieldViolation,
        want: &'static str,
        reason: &'static str,
    }
    let path = FieldPath::new("spec").child("placement");
    let cases = [
        Case {
            name: "required without detail",
            violation: FieldViolation::required(&path.child("x"), ""),
            want: "spec.placement.x: Required value",
            reason: "FieldValueRequired",
        },
        Case {
            name: "invalid with value",
            violation: FieldViolation::invalid(&path.index(2), "abc", "must be short"),
            want: r#"spec.placement[2]: Invalid value: "abc": must be short"#,
            reason: "FieldValueInvalid",
        },
        Case {
            name: "not supported",
            violation: FieldViolation::not_supported(&path.key("k"), "Lt", &["Exists", "Equal"]),
            want: r#"spec.placement[k]: Unsupported value: "Lt": supported values: "Exists", "Equal""#,
            reason: "FieldValueNotSupported",
        },
        Case {
            name: "forbidden",
            violation: FieldViolation::forbidden(&path, "no"),
            want: "spec.placement: Forbidden: no",
            reason: "FieldValueForbidden",
        },
    ];
    for case in cases {
        assert_eq!(case.violation.to_string(), case.want, "case {}", case.name);
        assert_eq!(
            case.violation.kind.reason(),
            case.reason,
            "case {}",
            case.name
        );
    }
}
