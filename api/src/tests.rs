//! Round trips of realistic Karmada manifests through the typed API: every manifest must decode
//! from YAML and from JSON and serialize back to exactly the same JSON.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::cluster::v1alpha1::{Cluster, ClusterSyncMode};
use crate::policy::v1alpha1::{
    ClusterOverridePolicy, ClusterPropagationPolicy, ClusterTaintPolicy, OverridePolicy,
    OverriderOperator, PropagationPolicy, PropagationSpec, ReplicaAssignmentStrategy,
    ReplicaSchedulingType, ResourceSelector, SpreadFieldValue,
};
use crate::work::v1alpha1::{ResourceHealth, Work};
use crate::work::v1alpha2::{ClusterResourceBinding, ResourceBinding};

/// Decodes `yaml` as `T` directly and through a JSON value, checks that both serialize back to
/// the JSON value of the YAML, and returns the typed object.
fn round_trip<T: DeserializeOwned + Serialize>(case: &str, yaml: &str) -> T {
    let original: Value = serde_saphyr::from_str(yaml)
        .unwrap_or_else(|e| panic!("case {case}: YAML does not parse: {e}"));
    let typed: T = serde_saphyr::from_str(yaml)
        .unwrap_or_else(|e| panic!("case {case}: YAML does not decode: {e}"));
    assert_eq!(
        serde_json::to_value(&typed).unwrap(),
        original,
        "case {case}: YAML round trip"
    );
    let text = serde_json::to_string(&original).unwrap();
    let via_json: T = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("case {case}: JSON does not decode: {e}"));
    assert_eq!(
        serde_json::to_value(&via_json).unwrap(),
        original,
        "case {case}: JSON round trip"
    );
    typed
}

const SAMPLE_PROPAGATION_POLICY: &str = r#"
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: nginx-propagation}
spec:
  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: nginx}]
  placement:
    clusterAffinity: {clusterNames: [us-east-1, eu-west-1]}
    replicaScheduling:
      replicaSchedulingType: Divided
      replicaDivisionPreference: Weighted
      weightPreference:
        staticClusterWeight:
          - {targetCluster: {clusterNames: [us-east-1]}, weight: 2}
          - {targetCluster: {clusterNames: [eu-west-1]}, weight: 1}
"#;

#[test]
fn sample_policy_accepts_static_cluster_weight_and_writes_static_weight_list() {
    let policy: PropagationPolicy = serde_saphyr::from_str(SAMPLE_PROPAGATION_POLICY).unwrap();
    assert_eq!(policy.metadata.name.as_deref(), Some("nginx-propagation"));
    let placement = policy.spec.placement.as_ref().unwrap();
    assert_eq!(
        placement.replica_scheduling_type(),
        ReplicaSchedulingType::Divided
    );
    assert_eq!(
        placement.assignment_strategy(),
        ReplicaAssignmentStrategy::StaticWeight
    );
    let weights = &placement
        .replica_scheduling
        .as_ref()
        .unwrap()
        .weight_preference
        .as_ref()
        .unwrap()
        .static_weight_list;
    assert_eq!(weights.len(), 2);
    assert_eq!(weights[0].target_cluster.cluster_names, ["us-east-1"]);
    assert_eq!(weights[0].weight, 2);
    assert_eq!(weights[1].target_cluster.cluster_names, ["eu-west-1"]);
    assert_eq!(weights[1].weight, 1);

    assert_eq!(
        serde_json::to_value(&policy).unwrap(),
        json!({
            "apiVersion": "policy.karmada.io/v1alpha1",
            "kind": "PropagationPolicy",
            "metadata": {"name": "nginx-propagation"},
            "spec": {
                "resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "nginx"}],
                "placement": {
                    "clusterAffinity": {"clusterNames": ["us-east-1", "eu-west-1"]},
                    "replicaScheduling": {
                        "replicaSchedulingType": "Divided",
                        "replicaDivisionPreference": "Weighted",
                        "weightPreference": {
                            "staticWeightList": [
                                {"targetCluster": {"clusterNames": ["us-east-1"]}, "weight": 2},
                                {"targetCluster": {"clusterNames": ["eu-west-1"]}, "weight": 1}
                            ]
                        }
                    }
                }
            }
        })
    );

    // The canonical spelling reads back to the same object.
    let canonical = serde_json::to_string(&policy).unwrap();
    assert!(!canonical.contains("staticClusterWeight"));
    let again: PropagationPolicy = serde_json::from_str(&canonical).unwrap();
    assert_eq!(again, policy);
}

const FULL_PROPAGATION_POLICY: &str = r#"
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata:
  name: web
  namespace: shop
  uid: 0b7c2a0e-5a8e-4f4e-9a47-2e1c4b9d1a10
  resourceVersion: "4711"
  generation: 3
  creationTimestamp: "2025-03-01T08:00:00Z"
  labels:
    propagationpolicy.karmada.io/permanent-id: 5f0c7f2e-2b7a-4c55-8c3e-1b9a6f1e2d3c
  finalizers: [karmada.io/propagation-policy-controller]
spec:
  resourceSelectors:
    - apiVersion: apps/v1
      kind: Deployment
      namespace: shop
      labelSelector:
        matchLabels: {app: web}
        matchExpressions:
          - {key: tier, operator: In, values: [frontend, edge]}
    - apiVersion: v1
      kind: ConfigMap
      namespace: shop
      name: web-config
  association: false
  propagateDeps: true
  placement:
    clusterAffinities:
      - affinityName: primary
        labelSelector:
          matchLabels: {location: on-prem}
        fieldSelector:
          matchExpressions:
            - {key: region, operator: In, values: [eu-central-1]}
        exclude: [legacy-1]
        overflowAffinities:
          - affinityName: burst
            clusterNames: [cloud-1, cloud-2]
      - affinityName: backup
        clusterNames: [dr-1]
    clusterTolerations:
      - {key: cluster.karmada.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 300}
      - {key: dedicated, operator: Equal, value: shop, effect: NoSchedule}
    spreadConstraints:
      - {spreadByField: region, maxGroups: 2, minGroups: 1}
      - {spreadByField: cluster, maxGroups: 4, minGroups: 2}
    replicaScheduling:
      replicaSchedulingType: Divided
      replicaDivisionPreference: Aggregated
    workloadAffinity:
      affinity: {groupByLabelKey: app.group}
      antiAffinity: {groupByLabelKey: app.shard}
  priority: 10
  preemption: Always
  dependentOverrides: [web-registry]
  schedulerName: default-scheduler
  failover:
    application:
      decisionConditions: {tolerationSeconds: 120}
      purgeMode: Gracefully
      gracePeriodSeconds: 600
      statePreservation:
        rules:
          - {aliasLabelName: shop.io/checkpoint, jsonPath: "{.checkpoint}"}
    cluster:
      purgeMode: Directly
  conflictResolution: Overwrite
  activationPreference: Lazy
  suspension:
    dispatchingOnClusters: {clusterNames: [dr-1]}
  preserveResourcesOnDeletion: true
  schedulePriority: {priorityClassSource: KubePriorityClass, priorityClassName: high}
"#;

const CLUSTER_PROPAGATION_POLICY: &str = r#"
apiVersion: policy.karmada.io/v1alpha1
kind: ClusterPropagationPolicy
metadata:
  name: crds
spec:
  resourceSelectors:
    - {apiVersion: apiextensions.k8s.io/v1, kind: CustomResourceDefinition}
    - {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, name: "system:aggregate-to-view"}
  placement:
    clusterAffinity:
      labelSelector:
        matchExpressions:
          - {key: env, operator: NotIn, values: [sandbox]}
    spreadConstraints:
      - {spreadByLabel: topology.example.io/rack, minGroups: 1}
    replicaScheduling:
      replicaSchedulingType: Divided
      replicaDivisionPreference: Weighted
      weightPreference: {dynamicWeight: AvailableReplicas}
  suspension: {dispatching: true}
"#;

const OVERRIDE_POLICY: &str = r#"
apiVersion: policy.karmada.io/v1alpha1
kind: OverridePolicy
metadata: {name: web-registry, namespace: shop}
spec:
  resourceSelectors:
    - {apiVersion: apps/v1, kind: Deployment, namespace: shop, name: web}
  overrideRules:
    - targetCluster: {clusterNames: [cloud-1]}
      overriders:
        imageOverrider:
          - {component: Registry, operator: replace, value: registry.cloud-1.example.com}
          - predicate: {path: /spec/template/spec/initContainers/0/image}
            component: Tag
            operator: replace
            value: v2.1.0
        commandOverrider:
          - {containerName: web, operator: add, value: [--cloud=cloud-1]}
        argsOverrider:
          - {containerName: web, operator: remove, value: [--debug]}
        labelsOverrider:
          - {operator: add, value: {cloud: "true"}}
        annotationsOverrider:
          - {operator: remove, value: {legacy.example.com/owner: ""}}
        fieldOverrider:
          - fieldPath: /data/config.json
            json:
              - {subPath: /db/host, operator: replace, value: db.cloud-1.internal}
              - {subPath: /features, operator: add, value: {cache: true, ttl: 30}}
          - fieldPath: /data/app.yaml
            yaml:
              - {subPath: /logging/level, operator: replace, value: warn}
              - {subPath: /debug, operator: remove}
        plaintext:
          - path: /spec/replicas
            operator: replace
            value: 3
          - path: /metadata/annotations/example.com~1team
            operator: add
            value: {owner: web, oncall: [alice, bob]}
    - overriders:
        labelsOverrider:
          - {operator: replace, value: {env: prod}}
"#;

const CLUSTER_OVERRIDE_POLICY_DEPRECATED_FIELDS: &str = r#"
apiVersion: policy.karmada.io/v1alpha1
kind: ClusterOverridePolicy
metadata: {name: legacy}
spec:
  resourceSelectors:
    - {apiVersion: v1, kind: Namespace}
  targetCluster:
    fieldSelector:
      matchExpressions:
        - {key: provider, operator: In, values: [aws]}
  overriders:
    annotationsOverrider:
      - {operator: add, value: {cloud: aws}}
"#;

const CLUSTER_TAINT_POLICY: &str = r#"
apiVersion: policy.karmada.io/v1alpha1
kind: ClusterTaintPolicy
metadata: {name: not-ready-no-execute}
spec:
  targetClusters: {clusterNames: [member1, member2]}
  addOnConditions:
    - {conditionType: Ready, operator: NotIn, statusValues: ["True"]}
  removeOnConditions:
    - {conditionType: Ready, operator: In, statusValues: ["True"]}
  taints:
    - {key: cluster.karmada.io/not-ready, effect: NoExecute}
    - {key: example.com/degraded, effect: NoSchedule, value: "yes"}
"#;

const RESOURCE_BINDING: &str = r#"
apiVersion: work.karmada.io/v1alpha2
kind: ResourceBinding
metadata:
  name: web-deployment
  namespace: shop
  generation: 4
  labels:
    propagationpolicy.karmada.io/permanent-id: 5f0c7f2e-2b7a-4c55-8c3e-1b9a6f1e2d3c
    resourcebinding.karmada.io/permanent-id: 9c1d6e0b-7e55-4b0a-9b1e-3f2d4c5b6a79
  annotations:
    propagationpolicy.karmada.io/name: web
    propagationpolicy.karmada.io/namespace: shop
    policy.karmada.io/applied-placement: '{"clusterAffinity":{"clusterNames":["member1","member2"]}}'
  ownerReferences:
    - apiVersion: apps/v1
      kind: Deployment
      name: web
      uid: 2a3b4c5d-0000-4000-8000-000000000001
      controller: true
      blockOwnerDeletion: true
  finalizers: [karmada.io/binding-controller]
spec:
  resource:
    apiVersion: apps/v1
    kind: Deployment
    namespace: shop
    name: web
    uid: 2a3b4c5d-0000-4000-8000-000000000001
    resourceVersion: "812"
  propagateDeps: true
  replicaRequirements:
    nodeClaim:
      hardNodeAffinity:
        nodeSelectorTerms:
          - matchExpressions:
              - {key: kubernetes.io/arch, operator: In, values: [amd64]}
      nodeSelector: {disktype: ssd}
      tolerations:
        - {key: dedicated, operator: Equal, value: web, effect: NoSchedule}
    resourceRequest: {cpu: 250m, memory: 512Mi}
    namespace: shop
    priorityClassName: high
  replicas: 5
  components:
    - name: web
      replicas: 5
      replicaRequirements:
        resourceRequest: {cpu: 250m}
  clusters:
    - {name: member1, replicas: 3}
    - name: member2
      replicas: 2
      components: [{name: web, replicas: 2}]
  placement:
    clusterAffinity: {clusterNames: [member1, member2]}
    replicaScheduling: {replicaSchedulingType: Divided, replicaDivisionPreference: Weighted}
  gracefulEvictionTasks:
    - fromCluster: member3
      purgeMode: Gracefully
      replicas: 2
      reason: TaintUntolerated
      message: cluster member3 is not ready
      producer: TaintManager
      gracePeriodSeconds: 600
      preservedLabelState: {shop.io/checkpoint: "42"}
      creationTimestamp: "2025-03-01T09:00:00Z"
      clustersBeforeFailover: [member3]
  requiredBy:
    - namespace: shop
      name: web-frontend-deployment
      clusters: [{name: member1, replicas: 1}]
  schedulerName: default-scheduler
  failover:
    application:
      decisionConditions: {tolerationSeconds: 300}
      purgeMode: Never
  conflictResolution: Abort
  rescheduleTriggeredAt: "2025-03-01T10:00:00Z"
  suspension:
    dispatching: false
    scheduling: true
  preserveResourcesOnDeletion: false
  schedulePriority: {priority: 1000}
  workloadAffinityGroups: {affinityGroup: app.group=frontend, antiAffinityGroup: app.shard=a}
status:
  schedulerObservedGeneration: 4
  schedulerObservingAffinityName: primary
  lastScheduledTime: "2025-03-01T10:00:05Z"
  conditions:
    - type: Scheduled
      status: "True"
      reason: Success
      message: Binding has been scheduled successfully.
      lastTransitionTime: "2025-03-01T10:00:05Z"
    - type: FullyApplied
      status: "False"
      reason: FullyAppliedFailed
      message: Failed to apply all works
      lastTransitionTime: "2025-03-01T10:00:06Z"
      observedGeneration: 4
  aggregatedStatus:
    - clusterName: member1
      status:
        replicas: 3
        readyReplicas: 3
        conditions: [{type: Available, status: "True"}]
      applied: true
      health: Healthy
    - clusterName: member2
      applied: false
      appliedMessage: 'deployments.apps "web" already exists'
      health: Unknown
"#;

const CLUSTER_RESOURCE_BINDING: &str = r#"
apiVersion: work.karmada.io/v1alpha2
kind: ClusterResourceBinding
metadata:
  name: system.aggregate-to-view-clusterrole
spec:
  resource:
    apiVersion: rbac.authorization.k8s.io/v1
    kind: ClusterRole
    name: "system:aggregate-to-view"
  clusters:
    - {name: member1}
    - {name: member2}
  placement:
    clusterAffinity: {clusterNames: [member1, member2]}
status:
  conditions:
    - type: Scheduled
      status: "True"
      reason: Success
      message: Binding has been scheduled successfully.
      lastTransitionTime: "2025-03-01T10:00:05Z"
"#;

const WORK: &str = r#"
apiVersion: work.karmada.io/v1alpha1
kind: Work
metadata:
  name: web-5b8f7c9d4f
  namespace: karmada-es-member1
  labels:
    resourcebinding.karmada.io/permanent-id: 9c1d6e0b-7e55-4b0a-9b1e-3f2d4c5b6a79
    work.karmada.io/permanent-id: 1e2d3c4b-5a69-4788-9a0b-c1d2e3f40516
  annotations:
    resourcebinding.karmada.io/name: web-deployment
    resourcebinding.karmada.io/namespace: shop
  finalizers: [karmada.io/execution-controller]
spec:
  workload:
    manifests:
      - apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
          namespace: shop
          labels:
            app: web
            karmada.io/managed: "true"
          annotations:
            resourcetemplate.karmada.io/generation: "7"
            resourcetemplate.karmada.io/uid: 2a3b4c5d-0000-4000-8000-000000000001
            resourcetemplate.karmada.io/managed-labels: app
            work.karmada.io/conflict-resolution: abort
        spec:
          replicas: 3
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              containers:
                - name: web
                  image: registry.example.com/shop/web:v2
                  ports: [{containerPort: 8080}]
                  resources: {requests: {cpu: 250m, memory: 512Mi}}
      - apiVersion: v1
        kind: ConfigMap
        metadata: {name: web-config, namespace: shop}
        data: {config.json: '{"db":{"host":"db"}}'}
  suspendDispatching: false
  preserveResourcesOnDeletion: false
status:
  conditions:
    - type: Applied
      status: "True"
      reason: AppliedSuccessful
      message: Manifest has been successfully applied
      lastTransitionTime: "2025-03-01T10:00:07Z"
  manifestStatuses:
    - identifier: {ordinal: 0, group: apps, version: v1, kind: Deployment, resource: deployments, namespace: shop, name: web}
      status: {replicas: 3, readyReplicas: 3, availableReplicas: 3, observedGeneration: 2, generation: 2, resourceTemplateGeneration: 7}
      health: Healthy
    - identifier: {ordinal: 1, version: v1, kind: ConfigMap, resource: configmaps, namespace: shop, name: web-config}
      health: Healthy
"#;

const CLUSTER: &str = r#"
apiVersion: cluster.karmada.io/v1alpha1
kind: Cluster
metadata:
  name: member1
  labels: {location: on-prem}
  finalizers: [karmada.io/cluster-controller]
spec:
  id: 7a3e9c2d-1b4f-4e6a-8d5c-0f1e2d3c4b5a
  syncMode: Push
  apiEndpoint: https://172.18.0.3:6443
  secretRef: {namespace: karmada-cluster, name: member1}
  impersonatorSecretRef: {namespace: karmada-cluster, name: member1-impersonator}
  insecureSkipTLSVerification: false
  proxyURL: socks5://proxy.example.com:1080
  proxyHeader: {Proxy-Authorization: Basic dXNlcjpwYXNz}
  provider: aws
  region: eu-central-1
  zones: [eu-central-1a, eu-central-1b]
  taints:
    - key: cluster.karmada.io/not-ready
      effect: NoSchedule
      timeAdded: "2025-03-01T07:59:00Z"
  resourceModels:
    - grade: 0
      ranges:
        - {name: cpu, min: "0", max: "1"}
        - {name: memory, min: "0", max: 4Gi}
    - grade: 1
      ranges:
        - {name: cpu, min: "1", max: "2"}
        - {name: memory, min: 4Gi, max: 16Gi}
status:
  kubernetesVersion: v1.33.1
  apiEnablements:
    - groupVersion: apps/v1
      resources:
        - {name: deployments, kind: Deployment}
        - {name: statefulsets, kind: StatefulSet}
    - groupVersion: v1
      resources: [{name: configmaps, kind: ConfigMap}]
  conditions:
    - type: Ready
      status: "True"
      reason: ClusterReady
      message: cluster is healthy and ready to accept workloads
      lastTransitionTime: "2025-03-01T08:00:00Z"
  nodeSummary: {totalNum: 3, readyNum: 3}
  resourceSummary:
    allocatable: {cpu: "12", memory: 48Gi, pods: "330"}
    allocating: {cpu: 500m, pods: "2"}
    allocated: {cpu: "4", memory: 8Gi, pods: "40"}
    allocatableModelings:
      - {grade: 0, count: 0}
      - {grade: 1, count: 3}
  remedyActions: [TrafficControl]
"#;

#[test]
fn realistic_manifests_round_trip_exactly() {
    struct Case {
        name: &'static str,
        check: fn(&'static str),
    }
    let cases = [
        Case {
            name: "propagation policy with every field",
            check: |name| {
                let pp: PropagationPolicy = round_trip(name, FULL_PROPAGATION_POLICY);
                let spec = &pp.spec;
                assert_eq!(spec.association, Some(false), "explicit false survives");
                assert!(spec.propagate_deps());
                assert_eq!(spec.explicit_priority(), 10);
                let placement = spec.placement.as_ref().unwrap();
                assert_eq!(
                    placement.cluster_affinities[0].affinity.exclude_clusters,
                    ["legacy-1"]
                );
                assert_eq!(
                    placement.cluster_affinities[0].overflow_affinities[0]
                        .affinity
                        .cluster_names,
                    ["cloud-1", "cloud-2"]
                );
                assert_eq!(
                    placement.assignment_strategy(),
                    ReplicaAssignmentStrategy::Aggregated
                );
                assert_eq!(
                    placement.spread_constraints[0].spread_by_field,
                    Some(SpreadFieldValue::Region)
                );
                let application = spec
                    .failover
                    .as_ref()
                    .unwrap()
                    .application
                    .as_ref()
                    .unwrap();
                assert_eq!(application.decision_conditions.toleration_seconds(), 120);
            },
        },
        Case {
            name: "cluster propagation policy with dynamic weights",
            check: |name| {
                let cpp: ClusterPropagationPolicy = round_trip(name, CLUSTER_PROPAGATION_POLICY);
                let placement = cpp.spec.placement.as_ref().unwrap();
                assert_eq!(
                    placement.assignment_strategy(),
                    ReplicaAssignmentStrategy::DynamicWeight
                );
                assert_eq!(
                    cpp.spec.resource_selectors[1].name(),
                    Some("system:aggregate-to-view")
                );
            },
        },
        Case {
            name: "override policy with every overrider",
            check: |name| {
                let op: OverridePolicy = round_trip(name, OVERRIDE_POLICY);
                let rules = op.spec.effective_rules();
                assert_eq!(rules.len(), 2);
                let overriders = &rules[0].overriders;
                assert_eq!(overriders.plaintext[0].value, Some(json!(3)));
                assert_eq!(
                    overriders.field_overrider[1].yaml[1].operator,
                    OverriderOperator::Remove
                );
                assert_eq!(overriders.field_overrider[1].yaml[1].value, None);
            },
        },
        Case {
            name: "cluster override policy with the deprecated fields",
            check: |name| {
                let cop: ClusterOverridePolicy =
                    round_trip(name, CLUSTER_OVERRIDE_POLICY_DEPRECATED_FIELDS);
                let rules = cop.spec.effective_rules();
                assert_eq!(rules.len(), 1, "deprecated overriders become one rule");
                assert!(rules[0].target_cluster.is_some());
            },
        },
        Case {
            name: "cluster taint policy",
            check: |name| {
                let ctp: ClusterTaintPolicy = round_trip(name, CLUSTER_TAINT_POLICY);
                assert_eq!(ctp.spec.taints.len(), 2);
            },
        },
        Case {
            name: "scheduled resource binding with status",
            check: |name| {
                let rb: ResourceBinding = round_trip(name, RESOURCE_BINDING);
                assert_eq!(rb.spec.replicas(), 5);
                assert_eq!(rb.spec.assigned_replicas(), 5);
                assert_eq!(rb.spec.target("member2").map(|t| t.replicas()), Some(2));
                assert!(rb.spec.scheduling_suspended());
                let status = rb.status.as_ref().unwrap();
                assert_eq!(
                    status.aggregated_status[0].health,
                    Some(ResourceHealth::Healthy)
                );
                assert_eq!(
                    status.aggregated_status[0].status.as_ref().unwrap()["readyReplicas"],
                    3
                );
                assert_eq!(status.conditions[1].observed_generation, Some(4));
            },
        },
        Case {
            name: "cluster resource binding",
            check: |name| {
                let crb: ClusterResourceBinding = round_trip(name, CLUSTER_RESOURCE_BINDING);
                assert_eq!(crb.spec.clusters[0].replicas, None);
                assert_eq!(crb.spec.assigned_replicas(), 0);
            },
        },
        Case {
            name: "work with manifests and status",
            check: |name| {
                let work: Work = round_trip(name, WORK);
                assert_eq!(work.spec.workload.manifests.len(), 2);
                assert_eq!(
                    work.spec.workload.manifests[0]["spec"]["template"]["spec"]["containers"][0]["image"],
                    "registry.example.com/shop/web:v2"
                );
                let status = work.status.as_ref().unwrap();
                assert_eq!(status.manifest_statuses[1].identifier.group, None);
            },
        },
        Case {
            name: "cluster with status",
            check: |name| {
                let cluster: Cluster = round_trip(name, CLUSTER);
                assert_eq!(cluster.spec.sync_mode, Some(ClusterSyncMode::Push));
                assert!(cluster.is_ready());
                let status = cluster.status.as_ref().unwrap();
                assert!(status.api_enabled("apps/v1", "Deployment"));
                assert!(!status.api_enabled("apps/v1", "DaemonSet"));
                assert!(cluster.spec.taints[0].time_added.is_some());
            },
        },
    ];
    for case in cases {
        (case.check)(case.name);
    }
}

#[test]
fn kinds_know_their_type_meta() {
    use k8s_openapi::{ListableResource, Resource};

    struct Case {
        name: &'static str,
        value: Value,
        api_version: &'static str,
        kind: &'static str,
    }
    let cases = [
        Case {
            name: "PropagationPolicy",
            value: serde_json::to_value(PropagationPolicy::new(
                "p",
                PropagationSpec {
                    resource_selectors: vec![ResourceSelector::new("apps/v1", "Deployment")],
                    ..Default::default()
                },
            ))
            .unwrap(),
            api_version: PropagationPolicy::API_VERSION,
            kind: PropagationPolicy::KIND,
        },
        Case {
            name: "ClusterPropagationPolicy",
            value: serde_json::to_value(ClusterPropagationPolicy::default()).unwrap(),
            api_version: "policy.karmada.io/v1alpha1",
            kind: "ClusterPropagationPolicy",
        },
        Case {
            name: "OverridePolicy",
            value: serde_json::to_value(OverridePolicy::default()).unwrap(),
            api_version: "policy.karmada.io/v1alpha1",
            kind: "OverridePolicy",
        },
        Case {
            name: "ClusterOverridePolicy",
            value: serde_json::to_value(ClusterOverridePolicy::default()).unwrap(),
            api_version: "policy.karmada.io/v1alpha1",
            kind: "ClusterOverridePolicy",
        },
        Case {
            name: "ClusterTaintPolicy",
            value: serde_json::to_value(ClusterTaintPolicy::default()).unwrap(),
            api_version: "policy.karmada.io/v1alpha1",
            kind: "ClusterTaintPolicy",
        },
        Case {
            name: "ResourceBinding",
            value: serde_json::to_value(ResourceBinding::default()).unwrap(),
            api_version: "work.karmada.io/v1alpha2",
            kind: "ResourceBinding",
        },
        Case {
            name: "ClusterResourceBinding",
            value: serde_json::to_value(ClusterResourceBinding::default()).unwrap(),
            api_version: "work.karmada.io/v1alpha2",
            kind: "ClusterResourceBinding",
        },
        Case {
            name: "Work",
            value: serde_json::to_value(Work::default()).unwrap(),
            api_version: "work.karmada.io/v1alpha1",
            kind: "Work",
        },
        Case {
            name: "Cluster",
            value: serde_json::to_value(Cluster::default()).unwrap(),
            api_version: "cluster.karmada.io/v1alpha1",
            kind: "Cluster",
        },
    ];
    for case in cases {
        assert_eq!(
            case.value["apiVersion"], case.api_version,
            "case {}",
            case.name
        );
        assert_eq!(case.value["kind"], case.kind, "case {}", case.name);
        assert!(
            case.value.get("status").is_none(),
            "case {}: no empty status",
            case.name
        );
    }

    assert_eq!(
        serde_json::to_value(PropagationPolicy::new(
            "nginx",
            PropagationSpec {
                resource_selectors: vec![ResourceSelector::new("apps/v1", "Deployment")],
                ..Default::default()
            },
        ))
        .unwrap(),
        json!({
            "apiVersion": "policy.karmada.io/v1alpha1",
            "kind": "PropagationPolicy",
            "metadata": {"name": "nginx"},
            "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment"}]}
        })
    );
    assert_eq!(PropagationPolicy::URL_PATH_SEGMENT, "propagationpolicies");
    assert_eq!(ResourceBinding::LIST_KIND, "ResourceBindingList");
    assert_eq!(Work::GROUP, "work.karmada.io");
    assert_eq!(Cluster::VERSION, "v1alpha1");
}

#[test]
fn decoding_edge_cases() {
    struct Case {
        name: &'static str,
        json: Value,
        ok: bool,
    }
    let cases = [
        Case {
            name: "type meta may be omitted and is filled in",
            json: json!({"metadata": {"name": "a"}, "spec": {"resourceSelectors": []}}),
            ok: true,
        },
        Case {
            name: "unknown enum value is rejected",
            json: json!({"spec": {"resourceSelectors": [], "placement": {"replicaScheduling": {"replicaSchedulingType": "Tripled"}}}}),
            ok: false,
        },
        Case {
            name: "enum values are case sensitive",
            json: json!({"spec": {"resourceSelectors": [], "conflictResolution": "overwrite"}}),
            ok: false,
        },
        Case {
            name: "missing resourceSelectors decodes (validation reports it)",
            json: json!({"spec": {}}),
            ok: true,
        },
        Case {
            name: "missing spec is rejected",
            json: json!({"metadata": {"name": "a"}}),
            ok: false,
        },
        Case {
            name: "unknown fields are dropped, as structural schemas prune them",
            json: json!({"spec": {"resourceSelectors": [], "futureField": 1}}),
            ok: true,
        },
    ];
    for case in cases {
        let result = serde_json::from_value::<PropagationPolicy>(case.json);
        assert_eq!(result.is_ok(), case.ok, "case {}: {result:?}", case.name);
        if let Ok(policy) = result {
            assert_eq!(
                policy.api_version, "policy.karmada.io/v1alpha1",
                "case {}",
                case.name
            );
            assert_eq!(policy.kind, "PropagationPolicy", "case {}", case.name);
        }
    }
}

#[test]
fn enums_parse_and_print_their_wire_values() {
    use crate::UnknownValue;
    use crate::policy::v1alpha1::PurgeMode;

    for mode in PurgeMode::ALL {
        assert_eq!(mode.as_str().parse::<PurgeMode>(), Ok(*mode));
        assert_eq!(mode.to_string(), mode.as_str());
    }
    let err: UnknownValue = "Later".parse::<PurgeMode>().unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"unsupported value "Later": supported values: "Directly", "Gracefully", "Never""#
    );
    assert_eq!("zone".parse(), Ok(SpreadFieldValue::Zone));
    assert_eq!(OverriderOperator::Replace.as_str(), "replace");
}
