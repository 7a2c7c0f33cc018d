//! Karmada's well-known label, annotation, taint and finalizer keys, spelled exactly as Karmada
//! spells them so that objects written by either system are understood by the other.

// ----- Labels ---------------------------------------------------------------------------------

/// Label on a PropagationPolicy with its permanent ID (a UUID set on creation and immutable),
/// and on the resource templates and bindings it claims. Unlike metadata.uid it survives a
/// backup/restore into another control plane.
pub const PROPAGATION_POLICY_PERMANENT_ID: &str = "propagationpolicy.karmada.io/permanent-id";
/// Label on a ClusterPropagationPolicy with its permanent ID, and on what it claims.
pub const CLUSTER_PROPAGATION_POLICY_PERMANENT_ID: &str =
    "clusterpropagationpolicy.karmada.io/permanent-id";
/// Label on a ResourceBinding with its permanent ID, and on its Works and their manifests.
pub const RESOURCE_BINDING_PERMANENT_ID: &str = "resourcebinding.karmada.io/permanent-id";
/// Label on a ClusterResourceBinding with its permanent ID, and on its Works and their
/// manifests.
pub const CLUSTER_RESOURCE_BINDING_PERMANENT_ID: &str =
    "clusterresourcebinding.karmada.io/permanent-id";
/// Label on a Work with its permanent ID.
pub const WORK_PERMANENT_ID: &str = "work.karmada.io/permanent-id";
/// Label on a binding saying what kind of object manages it (for bindings not made by a
/// policy).
pub const BINDING_MANAGED_BY: &str = "binding.karmada.io/managed-by";
/// Prefix of the labels that mark a dependency's binding as depended on by another binding:
/// `<prefix><names::binding_reference_key(namespace, name)>`.
pub const DEPENDED_BY_PREFIX: &str = "resourcebinding.karmada.io/depended-by-";

/// Label on every object the federation applied to a member cluster. An existing member
/// object without it is a conflict (see conflictResolution).
pub const MANAGED_BY_KARMADA: &str = "karmada.io/managed";
/// The value of [`MANAGED_BY_KARMADA`].
pub const MANAGED_BY_KARMADA_VALUE: &str = "true";
/// Label on system-level resources managed by the controllers.
pub const KARMADA_SYSTEM: &str = "karmada.io/system";
/// The value of [`KARMADA_SYSTEM`].
pub const KARMADA_SYSTEM_VALUE: &str = "true";

/// Label on a namespace that the namespace controller must not propagate (value "true").
pub const NAMESPACE_SKIP_AUTO_PROPAGATION: &str = "namespace.karmada.io/skip-auto-propagation";
/// Label on a resource template whose replicas in member clusters are kept (e.g. scaled by a
/// member HPA) instead of overwritten (value "true").
pub const RETAIN_REPLICAS: &str = "resourcetemplate.karmada.io/retain-replicas";
/// Label on a resource template saying which kind of object is in charge of propagating it.
pub const RESOURCE_TEMPLATE_CLAIMED_BY: &str = "resourcetemplate.karmada.io/claimed-by";
/// Label on a resource template that protects it from deletion when its value is "Always".
pub const DELETION_PROTECTED: &str = "resourcetemplate.karmada.io/deletion-protected";
/// The value of [`DELETION_PROTECTED`] that protects.
pub const DELETION_PROTECTED_ALWAYS: &str = "Always";

// ----- Annotations ----------------------------------------------------------------------------

/// Annotation on a claimed resource template (and its binding) naming the claiming
/// PropagationPolicy's namespace.
pub const PROPAGATION_POLICY_NAMESPACE: &str = "propagationpolicy.karmada.io/namespace";
/// Annotation on a claimed resource template (and its binding) naming the claiming
/// PropagationPolicy.
pub const PROPAGATION_POLICY_NAME: &str = "propagationpolicy.karmada.io/name";
/// Annotation on a claimed resource template (and its binding) naming the claiming
/// ClusterPropagationPolicy.
pub const CLUSTER_PROPAGATION_POLICY_NAME: &str = "clusterpropagationpolicy.karmada.io/name";

/// Annotation on a Work and on its manifests naming the ResourceBinding's namespace.
pub const RESOURCE_BINDING_NAMESPACE: &str = "resourcebinding.karmada.io/namespace";
/// Annotation on a Work and on its manifests naming the ResourceBinding.
pub const RESOURCE_BINDING_NAME: &str = "resourcebinding.karmada.io/name";
/// Annotation on a Work and on its manifests naming the ClusterResourceBinding.
pub const CLUSTER_RESOURCE_BINDING_NAME: &str = "clusterresourcebinding.karmada.io/name";
/// Annotation on an independent binding listing its dependencies (JSON).
pub const BINDING_DEPENDENCIES: &str = "resourcebinding.karmada.io/dependencies";

/// Annotation on a member object naming the namespace of the Work it came from.
pub const WORK_NAMESPACE: &str = "work.karmada.io/namespace";
/// Annotation on a member object naming the Work it came from.
pub const WORK_NAME: &str = "work.karmada.io/name";

/// Annotation on a manifest with the UID of the resource template it was rendered from.
pub const RESOURCE_TEMPLATE_UID: &str = "resourcetemplate.karmada.io/uid";
/// Annotation on a manifest with the metadata.generation of the resource template it was
/// rendered from; lets status reflection compute an accurate observedGeneration.
pub const RESOURCE_TEMPLATE_GENERATION: &str = "resourcetemplate.karmada.io/generation";
/// Annotation on a manifest listing the template's label keys, sorted and comma-separated, so
/// that labels removed from the template are removed from the member object too.
pub const MANAGED_LABELS: &str = "resourcetemplate.karmada.io/managed-labels";
/// Annotation on a manifest listing the template's annotation keys, sorted and
/// comma-separated.
pub const MANAGED_ANNOTATIONS: &str = "resourcetemplate.karmada.io/managed-annotations";

/// Annotation on a resource template (copied to its manifests) saying how to resolve a
/// conflict with an existing member object: "overwrite" or "abort" (the default). It takes
/// precedence over the policy's conflictResolution.
pub const CONFLICT_RESOLUTION: &str = "work.karmada.io/conflict-resolution";
/// [`CONFLICT_RESOLUTION`] value: take over the existing member object.
pub const CONFLICT_RESOLUTION_OVERWRITE: &str = "overwrite";
/// [`CONFLICT_RESOLUTION`] value: stop propagating.
pub const CONFLICT_RESOLUTION_ABORT: &str = "abort";

/// Annotation on a binding with the placement (JSON) the scheduler last scheduled it with.
pub const APPLIED_PLACEMENT: &str = "policy.karmada.io/applied-placement";
/// Annotation on a Work recording the OverridePolicy overrides applied (sorted by policy
/// name).
pub const APPLIED_OVERRIDES: &str = "policy.karmada.io/applied-overrides";
/// Annotation on a Work recording the ClusterOverridePolicy overrides applied (sorted by
/// policy name).
pub const APPLIED_CLUSTER_OVERRIDES: &str = "policy.karmada.io/applied-cluster-overrides";

/// Annotation on an object served from the multi-cluster cache naming the cluster it came
/// from.
pub const CACHED_FROM_CLUSTER: &str = "resource.karmada.io/cached-from-cluster";

// ----- Cluster taints -------------------------------------------------------------------------

/// Taint key on a cluster whose Ready condition is False.
pub const TAINT_CLUSTER_NOT_READY: &str = "cluster.karmada.io/not-ready";
/// Taint key on a cluster whose Ready condition is Unknown (unreachable).
pub const TAINT_CLUSTER_UNREACHABLE: &str = "cluster.karmada.io/unreachable";
/// Taint key (effect NoSchedule) on a cordoned cluster.
pub const TAINT_CLUSTER_UNSCHEDULABLE: &str = "cluster.karmada.io/unschedulable";

// ----- Finalizers -----------------------------------------------------------------------------

/// Finalizer on a Cluster: its Works and execution namespace are removed first.
pub const CLUSTER_CONTROLLER_FINALIZER: &str = "karmada.io/cluster-controller";
/// Finalizer on a Work: its manifests are deleted from the member cluster first.
pub const EXECUTION_CONTROLLER_FINALIZER: &str = "karmada.io/execution-controller";
/// Finalizer on a ResourceBinding: its Works are deleted first.
pub const BINDING_CONTROLLER_FINALIZER: &str = "karmada.io/binding-controller";
/// Finalizer on a ClusterResourceBinding: its Works are deleted first.
pub const CLUSTER_RESOURCE_BINDING_CONTROLLER_FINALIZER: &str =
    "karmada.io/cluster-resource-binding-controller";
/// Finalizer on a PropagationPolicy: the resources it claims are released first.
pub const PROPAGATION_POLICY_CONTROLLER_FINALIZER: &str =
    "karmada.io/propagation-policy-controller";
/// Finalizer on a ClusterPropagationPolicy: the resources it claims are released first.
pub const CLUSTER_PROPAGATION_POLICY_CONTROLLER_FINALIZER: &str =
    "karmada.io/cluster-propagation-policy-controller";
/// Finalizer on an independent binding: its attached dependency bindings are cleaned up first.
pub const BINDING_DEPENDENCIES_DISTRIBUTOR_FINALIZER: &str =
    "karmada.io/binding-dependencies-distributor";
