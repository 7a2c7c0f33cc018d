//! Every protobuf message the decoder reaches from the kinds it accepts, with each field's JSON
//! name (when not the lowerCamelCase of the Rust name) and how Go's encoder treats it.
//!
//! The modes follow the Go structs' tags in `k8s.io/api` and `k8s.io/apimachinery`: a pointer
//! tagged `omitempty` is `Ptr` (without the tag, `PtrNull`); a value without `omitempty`, or a
//! struct, is `Always`; an embedded struct is `Inline`; anything else (`omitempty` on a value)
//! is the default. `ObjectMeta.creationTimestamp` is `omitzero` upstream, so a zero one is left
//! out (older kube-apiservers wrote `creationTimestamp: null` in pod templates).
//!
//! Every field of every listed message must appear (the macro checks it), and a kind added to
//! `decoder` fails the build until every message it reaches is listed here. Missing from the
//! upstream Go types: `PodSpec.workloadRef` (an alpha field `k8s-pb` still carries), mapped by
//! its proto comments.

use super::{Field, Go, ToJson, put};
use crate::error::ApiResult;
use serde_json::Value;

use k8s_pb::api::{
    apps::v1 as appsv1, autoscaling::v2 as autoscalingv2, batch::v1 as batchv1,
    coordination::v1 as coordinationv1, core::v1 as corev1, events::v1 as eventsv1,
    networking::v1 as networkingv1, policy::v1 as policyv1, rbac::v1 as rbacv1,
};
use k8s_pb::apimachinery::pkg::apis::meta::v1 as metav1;

messages! {
    corev1::Affinity { node_affinity: Ptr, pod_affinity: Ptr, pod_anti_affinity: Ptr }
    corev1::AppArmorProfile { r#type: Always, localhost_profile: Ptr }
    corev1::AttachedVolume { name: Always, device_path: Always }
    corev1::AwsElasticBlockStoreVolumeSource {
        volume_id as "volumeID": Always, fs_type, partition, read_only,
    }
    corev1::AzureDiskVolumeSource {
        disk_name: Always, disk_uri as "diskURI": Always, caching_mode: Ptr, fs_type: Ptr,
        read_only: Ptr, kind: Ptr,
    }
    corev1::AzureFileVolumeSource { secret_name: Always, share_name: Always, read_only }
    corev1::CSIVolumeSource {
        driver: Always, read_only: Ptr, fs_type: Ptr, volume_attributes,
        node_publish_secret_ref: Ptr,
    }
    corev1::Capabilities { add, drop }
    corev1::CephFsVolumeSource {
        monitors: Always, path, user, secret_file, secret_ref: Ptr, read_only,
    }
    corev1::CinderVolumeSource {
        volume_id as "volumeID": Always, fs_type, read_only, secret_ref: Ptr,
    }
    corev1::ClientIpConfig { timeout_seconds: Ptr }
    corev1::ClusterTrustBundleProjection {
        name: Ptr, signer_name: Ptr, label_selector: Ptr, optional: Ptr, path: Always,
    }
    corev1::ConfigMap { metadata: Always, immutable: Ptr, data, binary_data }
    corev1::ConfigMapEnvSource { local_object_reference: Inline, optional: Ptr }
    corev1::ConfigMapKeySelector { local_object_reference: Inline, key: Always, optional: Ptr }
    corev1::ConfigMapNodeConfigSource {
        namespace: Always, name: Always, uid, resource_version, kubelet_config_key: Always,
    }
    corev1::ConfigMapProjection { local_object_reference: Inline, items, optional: Ptr }
    corev1::ConfigMapVolumeSource {
        local_object_reference: Inline, items, default_mode: Ptr, optional: Ptr,
    }
    corev1::Container {
        name: Always, image, command, args, working_dir, ports, env_from, env, resources: Always,
        resize_policy, restart_policy: Ptr, restart_policy_rules, volume_mounts, volume_devices,
        liveness_probe: Ptr, readiness_probe: Ptr, startup_probe: Ptr, lifecycle: Ptr,
        termination_message_path, termination_message_policy, image_pull_policy,
        security_context: Ptr, stdin, stdin_once, tty,
    }
    corev1::ContainerExtendedResourceRequest {
        container_name: Always, resource_name: Always, request_name: Always,
    }
    corev1::ContainerImage { names: Always, size_bytes }
    corev1::ContainerPort { name, host_port, container_port: Always, protocol, host_ip as "hostIP" }
    corev1::ContainerResizePolicy { resource_name: Always, restart_policy: Always }
    corev1::ContainerRestartRule { action, exit_codes: Ptr }
    corev1::ContainerRestartRuleOnExitCodes { operator, values }
    corev1::ContainerState { waiting: Ptr, running: Ptr, terminated: Ptr }
    corev1::ContainerStateRunning { started_at: Always }
    corev1::ContainerStateTerminated {
        exit_code: Always, signal, reason, message, started_at: Always, finished_at: Always,
        container_id as "containerID",
    }
    corev1::ContainerStateWaiting { reason, message }
    corev1::ContainerStatus {
        name: Always, state: Always, last_state: Always, ready: Always, restart_count: Always,
        image: Always, image_id as "imageID": Always, container_id as "containerID", started: Ptr,
        allocated_resources, resources: Ptr, volume_mounts, user: Ptr, allocated_resources_status,
        stop_signal: Ptr,
    }
    corev1::ContainerUser { linux: Ptr }
    corev1::DaemonEndpoint { port as "Port": Always }
    corev1::DownwardAPIProjection { items }
    corev1::DownwardAPIVolumeFile {
        path: Always, field_ref: Ptr, resource_field_ref: Ptr, mode: Ptr,
    }
    corev1::DownwardAPIVolumeSource { items, default_mode: Ptr }
    corev1::EmptyDirVolumeSource { medium, size_limit: Ptr }
    corev1::EnvFromSource { prefix, config_map_ref: Ptr, secret_ref: Ptr }
    corev1::EnvVar { name: Always, value, value_from: Ptr }
    corev1::EnvVarSource {
        field_ref: Ptr, resource_field_ref: Ptr, config_map_key_ref: Ptr, secret_key_ref: Ptr,
        file_key_ref: Ptr,
    }
    corev1::EphemeralContainer { ephemeral_container_common: Inline, target_container_name }
    corev1::EphemeralContainerCommon {
        name: Always, image, command, args, working_dir, ports, env_from, env, resources: Always,
        resize_policy, restart_policy: Ptr, restart_policy_rules, volume_mounts, volume_devices,
        liveness_probe: Ptr, readiness_probe: Ptr, startup_probe: Ptr, lifecycle: Ptr,
        termination_message_path, termination_message_policy, image_pull_policy,
        security_context: Ptr, stdin, stdin_once, tty,
    }
    corev1::EphemeralVolumeSource { volume_claim_template: Ptr }
    corev1::Event {
        metadata: Always, involved_object: Always, reason, message, source: Always,
        first_timestamp: Always, last_timestamp: Always, count, r#type, event_time: Always,
        series: Ptr, action, related: Ptr, reporting_component: Always, reporting_instance: Always,
    }
    corev1::EventSeries { count, last_observed_time: Always }
    corev1::EventSource { component, host }
    corev1::ExecAction { command }
    corev1::FcVolumeSource { target_ww_ns as "targetWWNs", lun: Ptr, fs_type, read_only, wwids }
    corev1::FileKeySelector { volume_name: Always, path: Always, key: Always, optional: Ptr }
    corev1::FlexVolumeSource { driver: Always, fs_type, secret_ref: Ptr, read_only, options }
    corev1::FlockerVolumeSource { dataset_name, dataset_uuid as "datasetUUID" }
    corev1::GcePersistentDiskVolumeSource { pd_name: Always, fs_type, partition, read_only }
    corev1::GitRepoVolumeSource { repository: Always, revision, directory }
    corev1::GlusterfsVolumeSource { endpoints: Always, path: Always, read_only }
    corev1::GrpcAction { port: Always, service: PtrNull }
    corev1::HostAlias { ip: Always, hostnames }
    corev1::HostIp { ip: Always }
    corev1::HostPathVolumeSource { path: Always, r#type: Ptr }
    corev1::HttpGetAction { path, port: Always, host, scheme, http_headers }
    corev1::HttpHeader { name: Always, value: Always }
    corev1::ImageVolumeSource { reference, pull_policy }
    corev1::IscsiVolumeSource {
        target_portal: Always, iqn: Always, lun: Always, iscsi_interface, fs_type, read_only,
        portals, chap_auth_discovery, chap_auth_session, secret_ref: Ptr, initiator_name: Ptr,
    }
    corev1::KeyToPath { key: Always, path: Always, mode: Ptr }
    corev1::Lifecycle { post_start: Ptr, pre_stop: Ptr, stop_signal: Ptr }
    corev1::LifecycleHandler { exec: Ptr, http_get: Ptr, tcp_socket: Ptr, sleep: Ptr }
    corev1::LimitRange { metadata: Always, spec: Always }
    corev1::LimitRangeItem {
        r#type: Always, max, min, default, default_request, max_limit_request_ratio,
    }
    corev1::LimitRangeSpec { limits: Always }
    corev1::LinuxContainerUser { uid: Always, gid: Always, supplemental_groups }
    corev1::LoadBalancerIngress { ip, hostname, ip_mode: Ptr, ports }
    corev1::LoadBalancerStatus { ingress }
    corev1::LocalObjectReference { name }
    corev1::ModifyVolumeStatus { target_volume_attributes_class_name, status: Always }
    corev1::Namespace { metadata: Always, spec: Always, status: Always }
    corev1::NamespaceCondition {
        r#type: Always, status: Always, last_transition_time: Always, reason, message,
    }
    corev1::NamespaceSpec { finalizers }
    corev1::NamespaceStatus { phase, conditions }
    corev1::NfsVolumeSource { server: Always, path: Always, read_only }
    corev1::Node { metadata: Always, spec: Always, status: Always }
    corev1::NodeAddress { r#type: Always, address: Always }
    corev1::NodeAffinity {
        required_during_scheduling_ignored_during_execution: Ptr,
        preferred_during_scheduling_ignored_during_execution,
    }
    corev1::NodeCondition {
        r#type: Always, status: Always, last_heartbeat_time: Always, last_transition_time: Always,
        reason, message,
    }
    corev1::NodeConfigSource { config_map: Ptr }
    corev1::NodeConfigStatus { assigned: Ptr, active: Ptr, last_known_good: Ptr, error }
    corev1::NodeDaemonEndpoints { kubelet_endpoint: Always }
    corev1::NodeFeatures { supplemental_groups_policy: Ptr }
    corev1::NodeRuntimeHandler { name: Always, features: Ptr }
    corev1::NodeRuntimeHandlerFeatures { recursive_read_only_mounts: Ptr, user_namespaces: Ptr }
    corev1::NodeSelector { node_selector_terms: Always }
    corev1::NodeSelectorRequirement { key: Always, operator: Always, values }
    corev1::NodeSelectorTerm { match_expressions, match_fields }
    corev1::NodeSpec {
        pod_cidr as "podCIDR", pod_cid_rs as "podCIDRs", provider_id as "providerID", unschedulable,
        taints, config_source: Ptr, external_id as "externalID",
    }
    corev1::NodeStatus {
        capacity, allocatable, phase, conditions, addresses, daemon_endpoints: Always,
        node_info: Always, images, volumes_in_use, volumes_attached, config: Ptr, runtime_handlers,
        features: Ptr, declared_features,
    }
    corev1::NodeSwapStatus { capacity: Ptr }
    corev1::NodeSystemInfo {
        machine_id as "machineID": Always, system_uuid as "systemUUID": Always,
        boot_id as "bootID": Always, kernel_version: Always, os_image: Always,
        container_runtime_version: Always, kubelet_version: Always, kube_proxy_version: Always,
        operating_system: Always, architecture: Always, swap: Ptr,
    }
    corev1::ObjectFieldSelector { api_version, field_path: Always }
    corev1::ObjectReference {
        kind, namespace, name, uid, api_version, resource_version, field_path,
    }
    corev1::PersistentVolumeClaim { metadata: Always, spec: Always, status: Always }
    corev1::PersistentVolumeClaimCondition {
        r#type: Always, status: Always, last_probe_time: Always, last_transition_time: Always,
        reason, message,
    }
    corev1::PersistentVolumeClaimSpec {
        access_modes, selector: Ptr, resources: Always, volume_name, storage_class_name: Ptr,
        volume_mode: Ptr, data_source: Ptr, data_source_ref: Ptr, volume_attributes_class_name: Ptr,
    }
    corev1::PersistentVolumeClaimStatus {
        phase, access_modes, capacity, conditions, allocated_resources, allocated_resource_statuses,
        current_volume_attributes_class_name: Ptr, modify_volume_status: Ptr,
    }
    corev1::PersistentVolumeClaimTemplate { metadata: Always, spec: Always }
    corev1::PersistentVolumeClaimVolumeSource { claim_name: Always, read_only }
    corev1::PhotonPersistentDiskVolumeSource { pd_id as "pdID": Always, fs_type }
    corev1::Pod { metadata: Always, spec: Always, status: Always }
    corev1::PodAffinity {
        required_during_scheduling_ignored_during_execution,
        preferred_during_scheduling_ignored_during_execution,
    }
    corev1::PodAffinityTerm {
        label_selector: Ptr, namespaces, topology_key: Always, namespace_selector: Ptr,
        match_label_keys, mismatch_label_keys,
    }
    corev1::PodAntiAffinity {
        required_during_scheduling_ignored_during_execution,
        preferred_during_scheduling_ignored_during_execution,
    }
    corev1::PodCertificateProjection {
        signer_name, key_type, max_expiration_seconds: Ptr, credential_bundle_path, key_path,
        certificate_chain_path, user_annotations,
    }
    corev1::PodCondition {
        r#type: Always, observed_generation, status: Always, last_probe_time: Always,
        last_transition_time: Always, reason, message,
    }
    corev1::PodDnsConfig { nameservers, searches, options }
    corev1::PodDnsConfigOption { name, value: Ptr }
    corev1::PodExtendedResourceClaimStatus { request_mappings: Always, resource_claim_name: Always }
    corev1::PodIp { ip: Always }
    corev1::PodOs { name: Always }
    corev1::PodReadinessGate { condition_type: Always }
    corev1::PodResourceClaim {
        name: Always, resource_claim_name: Ptr, resource_claim_template_name: Ptr,
    }
    corev1::PodResourceClaimStatus { name: Always, resource_claim_name: Ptr }
    corev1::PodSchedulingGate { name: Always }
    corev1::PodSecurityContext {
        se_linux_options: Ptr, windows_options: Ptr, run_as_user: Ptr, run_as_group: Ptr,
        run_as_non_root: Ptr, supplemental_groups, supplemental_groups_policy: Ptr, fs_group: Ptr,
        sysctls, fs_group_change_policy: Ptr, seccomp_profile: Ptr, app_armor_profile: Ptr,
        se_linux_change_policy: Ptr,
    }
    corev1::PodSpec {
        volumes, init_containers, containers: Always, ephemeral_containers, restart_policy,
        termination_grace_period_seconds: Ptr, active_deadline_seconds: Ptr, dns_policy,
        node_selector, service_account_name, service_account, automount_service_account_token: Ptr,
        node_name, host_network, host_pid as "hostPID", host_ipc as "hostIPC",
        share_process_namespace: Ptr, security_context: Ptr, image_pull_secrets, hostname,
        subdomain, affinity: Ptr, scheduler_name, tolerations, host_aliases, priority_class_name,
        priority: Ptr, dns_config: Ptr, readiness_gates, runtime_class_name: Ptr,
        enable_service_links: Ptr, preemption_policy: Ptr, overhead, topology_spread_constraints,
        set_hostname_as_fqdn as "setHostnameAsFQDN": Ptr, os: Ptr, host_users: Ptr,
        scheduling_gates, resource_claims, resources: Ptr, hostname_override: Ptr,
        workload_ref: Ptr,
    }
    corev1::PodStatus {
        observed_generation, phase, conditions, message, reason, nominated_node_name,
        host_ip as "hostIP", host_ips as "hostIPs", pod_ip as "podIP", pod_ips as "podIPs",
        start_time: Ptr, init_container_statuses, container_statuses, qos_class,
        ephemeral_container_statuses, resize, resource_claim_statuses,
        extended_resource_claim_status: Ptr, allocated_resources, resources: Ptr,
    }
    corev1::PodTemplateSpec { metadata: Always, spec: Always }
    corev1::PortStatus { port: Always, protocol: Always, error: Ptr }
    corev1::PortworxVolumeSource { volume_id as "volumeID": Always, fs_type, read_only }
    corev1::PreferredSchedulingTerm { weight: Always, preference: Always }
    corev1::Probe {
        handler: Inline, initial_delay_seconds, timeout_seconds, period_seconds, success_threshold,
        failure_threshold, termination_grace_period_seconds: Ptr,
    }
    corev1::ProbeHandler { exec: Ptr, http_get: Ptr, tcp_socket: Ptr, grpc: Ptr }
    corev1::ProjectedVolumeSource { sources: Always, default_mode: Ptr }
    corev1::QuobyteVolumeSource { registry: Always, volume: Always, read_only, user, group, tenant }
    corev1::RbdVolumeSource {
        monitors: Always, image: Always, fs_type, pool, user, keyring, secret_ref: Ptr, read_only,
    }
    corev1::ResourceClaim { name: Always, request }
    corev1::ResourceFieldSelector { container_name, resource: Always, divisor: Always }
    corev1::ResourceHealth { resource_id as "resourceID": Always, health }
    corev1::ResourceQuota { metadata: Always, spec: Always, status: Always }
    corev1::ResourceQuotaSpec { hard, scopes, scope_selector: Ptr }
    corev1::ResourceQuotaStatus { hard, used }
    corev1::ResourceRequirements { limits, requests, claims }
    corev1::ResourceStatus { name: Always, resources }
    corev1::ScaleIoVolumeSource {
        gateway: Always, system: Always, secret_ref: PtrNull, ssl_enabled, protection_domain,
        storage_pool, storage_mode, volume_name, fs_type, read_only,
    }
    corev1::ScopeSelector { match_expressions }
    corev1::ScopedResourceSelectorRequirement { scope_name: Always, operator: Always, values }
    corev1::SeLinuxOptions { user, role, r#type, level }
    corev1::SeccompProfile { r#type: Always, localhost_profile: Ptr }
    corev1::Secret { metadata: Always, immutable: Ptr, data, string_data, r#type }
    corev1::SecretEnvSource { local_object_reference: Inline, optional: Ptr }
    corev1::SecretKeySelector { local_object_reference: Inline, key: Always, optional: Ptr }
    corev1::SecretProjection { local_object_reference: Inline, items, optional: Ptr }
    corev1::SecretVolumeSource { secret_name, items, default_mode: Ptr, optional: Ptr }
    corev1::SecurityContext {
        capabilities: Ptr, privileged: Ptr, se_linux_options: Ptr, windows_options: Ptr,
        run_as_user: Ptr, run_as_group: Ptr, run_as_non_root: Ptr, read_only_root_filesystem: Ptr,
        allow_privilege_escalation: Ptr, proc_mount: Ptr, seccomp_profile: Ptr,
        app_armor_profile: Ptr,
    }
    corev1::Service { metadata: Always, spec: Always, status: Always }
    corev1::ServiceAccount {
        metadata: Always, secrets, image_pull_secrets, automount_service_account_token: Ptr,
    }
    corev1::ServiceAccountTokenProjection { audience, expiration_seconds: Ptr, path: Always }
    corev1::ServicePort {
        name, protocol, app_protocol: Ptr, port: Always, target_port: Always, node_port,
    }
    corev1::ServiceSpec {
        ports, selector, cluster_ip as "clusterIP", cluster_ips as "clusterIPs", r#type,
        external_ips as "externalIPs", session_affinity, load_balancer_ip as "loadBalancerIP",
        load_balancer_source_ranges, external_name, external_traffic_policy, health_check_node_port,
        publish_not_ready_addresses, session_affinity_config: Ptr, ip_families,
        ip_family_policy: Ptr, allocate_load_balancer_node_ports: Ptr, load_balancer_class: Ptr,
        internal_traffic_policy: Ptr, traffic_distribution: Ptr,
    }
    corev1::ServiceStatus { load_balancer: Always, conditions }
    corev1::SessionAffinityConfig { client_ip as "clientIP": Ptr }
    corev1::SleepAction { seconds: Always }
    corev1::StorageOsVolumeSource {
        volume_name, volume_namespace, fs_type, read_only, secret_ref: Ptr,
    }
    corev1::Sysctl { name: Always, value: Always }
    corev1::Taint { key: Always, value, effect: Always, time_added: Ptr }
    corev1::TcpSocketAction { port: Always, host }
    corev1::Toleration { key, operator, value, effect, toleration_seconds: Ptr }
    corev1::TopologySpreadConstraint {
        max_skew: Always, topology_key: Always, when_unsatisfiable: Always, label_selector: Ptr,
        min_domains: Ptr, node_affinity_policy: Ptr, node_taints_policy: Ptr, match_label_keys,
    }
    corev1::TypedLocalObjectReference { api_group: PtrNull, kind: Always, name: Always }
    corev1::TypedObjectReference { api_group: PtrNull, kind: Always, name: Always, namespace: Ptr }
    corev1::Volume { name: Always, volume_source: Inline }
    corev1::VolumeDevice { name: Always, device_path: Always }
    corev1::VolumeMount {
        name: Always, read_only, recursive_read_only: Ptr, mount_path: Always, sub_path,
        mount_propagation: Ptr, sub_path_expr,
    }
    corev1::VolumeMountStatus {
        name: Always, mount_path: Always, read_only, recursive_read_only: Ptr,
    }
    corev1::VolumeProjection {
        secret: Ptr, downward_api as "downwardAPI": Ptr, config_map: Ptr,
        service_account_token: Ptr, cluster_trust_bundle: Ptr, pod_certificate: Ptr,
    }
    corev1::VolumeResourceRequirements { limits, requests }
    corev1::VolumeSource {
        host_path: Ptr, empty_dir: Ptr, gce_persistent_disk: Ptr, aws_elastic_block_store: Ptr,
        git_repo: Ptr, secret: Ptr, nfs: Ptr, iscsi: Ptr, glusterfs: Ptr,
        persistent_volume_claim: Ptr, rbd: Ptr, flex_volume: Ptr, cinder: Ptr, cephfs: Ptr,
        flocker: Ptr, downward_api as "downwardAPI": Ptr, fc: Ptr, azure_file: Ptr, config_map: Ptr,
        vsphere_volume: Ptr, quobyte: Ptr, azure_disk: Ptr, photon_persistent_disk: Ptr,
        projected: Ptr, portworx_volume: Ptr, scale_io as "scaleIO": Ptr, storageos: Ptr, csi: Ptr,
        ephemeral: Ptr, image: Ptr,
    }
    corev1::VsphereVirtualDiskVolumeSource {
        volume_path: Always, fs_type, storage_policy_name, storage_policy_id as "storagePolicyID",
    }
    corev1::WeightedPodAffinityTerm { weight: Always, pod_affinity_term: Always }
    corev1::WindowsSecurityContextOptions {
        gmsa_credential_spec_name: Ptr, gmsa_credential_spec: Ptr, run_as_user_name: Ptr,
        host_process: Ptr,
    }
    corev1::WorkloadReference { name: Always, pod_group: Always, pod_group_replica_key }
    appsv1::DaemonSet { metadata: Always, spec: Always, status: Always }
    appsv1::DaemonSetCondition {
        r#type: Always, status: Always, last_transition_time: Always, reason, message,
    }
    appsv1::DaemonSetSpec {
        selector: PtrNull, template: Always, update_strategy: Always, min_ready_seconds,
        revision_history_limit: Ptr,
    }
    appsv1::DaemonSetStatus {
        current_number_scheduled: Always, number_misscheduled: Always,
        desired_number_scheduled: Always, number_ready: Always, observed_generation,
        updated_number_scheduled, number_available, number_unavailable, collision_count: Ptr,
        conditions,
    }
    appsv1::DaemonSetUpdateStrategy { r#type, rolling_update: Ptr }
    appsv1::Deployment { metadata: Always, spec: Always, status: Always }
    appsv1::DeploymentCondition {
        r#type: Always, status: Always, last_update_time: Always, last_transition_time: Always,
        reason, message,
    }
    appsv1::DeploymentSpec {
        replicas: Ptr, selector: PtrNull, template: Always, strategy: Always, min_ready_seconds,
        revision_history_limit: Ptr, paused, progress_deadline_seconds: Ptr,
    }
    appsv1::DeploymentStatus {
        observed_generation, replicas, updated_replicas, ready_replicas, available_replicas,
        unavailable_replicas, terminating_replicas: Ptr, conditions, collision_count: Ptr,
    }
    appsv1::DeploymentStrategy { r#type, rolling_update: Ptr }
    appsv1::ReplicaSet { metadata: Always, spec: Always, status: Always }
    appsv1::ReplicaSetCondition {
        r#type: Always, status: Always, last_transition_time: Always, reason, message,
    }
    appsv1::ReplicaSetSpec { replicas: Ptr, min_ready_seconds, selector: PtrNull, template: Always }
    appsv1::ReplicaSetStatus {
        replicas: Always, fully_labeled_replicas, ready_replicas, available_replicas,
        terminating_replicas: Ptr, observed_generation, conditions,
    }
    appsv1::RollingUpdateDaemonSet { max_unavailable: Ptr, max_surge: Ptr }
    appsv1::RollingUpdateDeployment { max_unavailable: Ptr, max_surge: Ptr }
    appsv1::RollingUpdateStatefulSetStrategy { partition: Ptr, max_unavailable: Ptr }
    appsv1::StatefulSet { metadata: Always, spec: Always, status: Always }
    appsv1::StatefulSetCondition {
        r#type: Always, status: Always, last_transition_time: Always, reason, message,
    }
    appsv1::StatefulSetOrdinals { start: Always }
    appsv1::StatefulSetPersistentVolumeClaimRetentionPolicy { when_deleted, when_scaled }
    appsv1::StatefulSetSpec {
        replicas: Ptr, selector: PtrNull, template: Always, volume_claim_templates,
        service_name: Always, pod_management_policy, update_strategy: Always,
        revision_history_limit: Ptr, min_ready_seconds,
        persistent_volume_claim_retention_policy: Ptr, ordinals: Ptr,
    }
    appsv1::StatefulSetStatus {
        observed_generation, replicas: Always, ready_replicas, current_replicas, updated_replicas,
        current_revision, update_revision, collision_count: Ptr, conditions,
        available_replicas: Always,
    }
    appsv1::StatefulSetUpdateStrategy { r#type, rolling_update: Ptr }
    batchv1::CronJob { metadata: Always, spec: Always, status: Always }
    batchv1::CronJobSpec {
        schedule: Always, time_zone: Ptr, starting_deadline_seconds: Ptr, concurrency_policy,
        suspend: Ptr, job_template: Always, successful_jobs_history_limit: Ptr,
        failed_jobs_history_limit: Ptr,
    }
    batchv1::CronJobStatus { active, last_schedule_time: Ptr, last_successful_time: Ptr }
    batchv1::Job { metadata: Always, spec: Always, status: Always }
    batchv1::JobCondition {
        r#type: Always, status: Always, last_probe_time: Always, last_transition_time: Always,
        reason, message,
    }
    batchv1::JobSpec {
        parallelism: Ptr, completions: Ptr, active_deadline_seconds: Ptr, pod_failure_policy: Ptr,
        success_policy: Ptr, backoff_limit: Ptr, backoff_limit_per_index: Ptr,
        max_failed_indexes: Ptr, selector: Ptr, manual_selector: Ptr, template: Always,
        ttl_seconds_after_finished: Ptr, completion_mode: Ptr, suspend: Ptr,
        pod_replacement_policy: Ptr, managed_by: Ptr,
    }
    batchv1::JobStatus {
        conditions, start_time: Ptr, completion_time: Ptr, active, succeeded, failed,
        terminating: Ptr, completed_indexes, failed_indexes: Ptr, uncounted_terminated_pods: Ptr,
        ready: Ptr,
    }
    batchv1::JobTemplateSpec { metadata: Always, spec: Always }
    batchv1::PodFailurePolicy { rules: Always }
    batchv1::PodFailurePolicyOnExitCodesRequirement {
        container_name: Ptr, operator: Always, values: Always,
    }
    batchv1::PodFailurePolicyOnPodConditionsPattern { r#type: Always, status: Always }
    batchv1::PodFailurePolicyRule { action: Always, on_exit_codes: Ptr, on_pod_conditions }
    batchv1::SuccessPolicy { rules: Always }
    batchv1::SuccessPolicyRule { succeeded_indexes: Ptr, succeeded_count: Ptr }
    batchv1::UncountedTerminatedPods { succeeded, failed }
    networkingv1::HttpIngressPath { path, path_type: PtrNull, backend: Always }
    networkingv1::HttpIngressRuleValue { paths: Always }
    networkingv1::Ingress { metadata: Always, spec: Always, status: Always }
    networkingv1::IngressBackend { service: Ptr, resource: Ptr }
    networkingv1::IngressLoadBalancerIngress { ip, hostname, ports }
    networkingv1::IngressLoadBalancerStatus { ingress }
    networkingv1::IngressPortStatus { port: Always, protocol: Always, error: Ptr }
    networkingv1::IngressRule { host, ingress_rule_value: Inline }
    networkingv1::IngressRuleValue { http: Ptr }
    networkingv1::IngressServiceBackend { name: Always, port: Always }
    networkingv1::IngressSpec { ingress_class_name: Ptr, default_backend: Ptr, tls, rules }
    networkingv1::IngressStatus { load_balancer: Always }
    networkingv1::IngressTls { hosts, secret_name }
    networkingv1::IpBlock { cidr: Always, except }
    networkingv1::NetworkPolicy { metadata: Always, spec: Always }
    networkingv1::NetworkPolicyEgressRule { ports, to }
    networkingv1::NetworkPolicyIngressRule { ports, from }
    networkingv1::NetworkPolicyPeer { pod_selector: Ptr, namespace_selector: Ptr, ip_block: Ptr }
    networkingv1::NetworkPolicyPort { protocol: Ptr, port: Ptr, end_port: Ptr }
    networkingv1::NetworkPolicySpec { pod_selector: Always, ingress, egress, policy_types }
    networkingv1::ServiceBackendPort { name, number }
    policyv1::PodDisruptionBudget { metadata: Always, spec: Always, status: Always }
    policyv1::PodDisruptionBudgetSpec {
        min_available: Ptr, selector: Ptr, max_unavailable: Ptr, unhealthy_pod_eviction_policy: Ptr,
    }
    policyv1::PodDisruptionBudgetStatus {
        observed_generation, disrupted_pods, disruptions_allowed: Always, current_healthy: Always,
        desired_healthy: Always, expected_pods: Always, conditions,
    }
    rbacv1::AggregationRule { cluster_role_selectors }
    rbacv1::ClusterRole { metadata: Always, rules: Always, aggregation_rule: Ptr }
    rbacv1::ClusterRoleBinding { metadata: Always, subjects, role_ref: Always }
    rbacv1::PolicyRule {
        verbs: Always, api_groups, resources, resource_names,
        non_resource_ur_ls as "nonResourceURLs",
    }
    rbacv1::Role { metadata: Always, rules: Always }
    rbacv1::RoleBinding { metadata: Always, subjects, role_ref: Always }
    rbacv1::RoleRef { api_group: Always, kind: Always, name: Always }
    rbacv1::Subject { kind: Always, api_group, name: Always, namespace }
    autoscalingv2::ContainerResourceMetricSource { name: Always, target: Always, container: Always }
    autoscalingv2::ContainerResourceMetricStatus {
        name: Always, current: Always, container: Always,
    }
    autoscalingv2::CrossVersionObjectReference { kind: Always, name: Always, api_version }
    autoscalingv2::ExternalMetricSource { metric: Always, target: Always }
    autoscalingv2::ExternalMetricStatus { metric: Always, current: Always }
    autoscalingv2::HorizontalPodAutoscaler { metadata: Always, spec: Always, status: Always }
    autoscalingv2::HorizontalPodAutoscalerBehavior { scale_up: Ptr, scale_down: Ptr }
    autoscalingv2::HorizontalPodAutoscalerCondition {
        r#type: Always, status: Always, last_transition_time: Always, reason, message,
    }
    autoscalingv2::HorizontalPodAutoscalerSpec {
        scale_target_ref: Always, min_replicas: Ptr, max_replicas: Always, metrics, behavior: Ptr,
    }
    autoscalingv2::HorizontalPodAutoscalerStatus {
        observed_generation: Ptr, last_scale_time: Ptr, current_replicas, desired_replicas: Always,
        current_metrics: Always, conditions,
    }
    autoscalingv2::HpaScalingPolicy { r#type: Always, value: Always, period_seconds: Always }
    autoscalingv2::HpaScalingRules {
        stabilization_window_seconds: Ptr, select_policy: Ptr, policies, tolerance: Ptr,
    }
    autoscalingv2::MetricIdentifier { name: Always, selector: Ptr }
    autoscalingv2::MetricSpec {
        r#type: Always, object: Ptr, pods: Ptr, resource: Ptr, container_resource: Ptr,
        external: Ptr,
    }
    autoscalingv2::MetricStatus {
        r#type: Always, object: Ptr, pods: Ptr, resource: Ptr, container_resource: Ptr,
        external: Ptr,
    }
    autoscalingv2::MetricTarget {
        r#type: Always, value: Ptr, average_value: Ptr, average_utilization: Ptr,
    }
    autoscalingv2::MetricValueStatus { value: Ptr, average_value: Ptr, average_utilization: Ptr }
    autoscalingv2::ObjectMetricSource { described_object: Always, target: Always, metric: Always }
    autoscalingv2::ObjectMetricStatus { metric: Always, current: Always, described_object: Always }
    autoscalingv2::PodsMetricSource { metric: Always, target: Always }
    autoscalingv2::PodsMetricStatus { metric: Always, current: Always }
    autoscalingv2::ResourceMetricSource { name: Always, target: Always }
    autoscalingv2::ResourceMetricStatus { name: Always, current: Always }
    coordinationv1::Lease { metadata: Always, spec: Always }
    coordinationv1::LeaseSpec {
        holder_identity: Ptr, lease_duration_seconds: Ptr, acquire_time: Ptr, renew_time: Ptr,
        lease_transitions: Ptr, strategy: Ptr, preferred_holder: Ptr,
    }
    eventsv1::Event {
        metadata: Always, event_time: Always, series: Ptr, reporting_controller, reporting_instance,
        action, reason, regarding: Always, related: Ptr, note, r#type, deprecated_source: Always,
        deprecated_first_timestamp: Always, deprecated_last_timestamp: Always, deprecated_count,
    }
    eventsv1::EventSeries { count: Always, last_observed_time: Always }
    metav1::Condition {
        r#type: Always, status: Always, observed_generation, last_transition_time: Always,
        reason: Always, message: Always,
    }
    metav1::LabelSelector { match_labels, match_expressions }
    metav1::LabelSelectorRequirement { key: Always, operator: Always, values }
    metav1::ManagedFieldsEntry {
        manager, operation, api_version, time: Ptr, fields_type, fields_v1: Ptr, subresource,
    }
    metav1::ObjectMeta {
        name, generate_name, namespace, self_link, uid, resource_version, generation,
        creation_timestamp, deletion_timestamp: Ptr, deletion_grace_period_seconds: Ptr, labels,
        annotations, owner_references, finalizers, managed_fields,
    }
    metav1::OwnerReference {
        api_version: Always, kind: Always, name: Always, uid: Always, controller: Ptr,
        block_owner_deletion: Ptr,
    }
}
