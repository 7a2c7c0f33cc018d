//! List and map semantics of API types, shared by strategic merge patch and server-side apply.
//!
//! Kubernetes decides how a list is patched from two annotations on each Go field: the
//! `patchStrategy`/`patchMergeKey` struct tags (strategic merge patch) and the `+listType`,
//! `+listMapKey`, `+mapType`, `+structType` markers (server-side apply). They mostly agree but not
//! always (`Service.spec.ports` merges by `port` in SMP but is keyed by `port`+`protocol` in SSA;
//! `Pod.status.podIPs` merges by `ip` in SMP but is atomic in SSA), so a [`TypeInfo`] records both.
//!
//! Built-in kinds are described by a compact table of Go type names and only the fields that
//! matter (nested objects on the way to a special list, keyed/set lists, atomic structs and maps,
//! `retainKeys`). Anything not in the table is *untyped*: objects merge key by key and lists are
//! atomic, which is exactly what SMP and SSA do for fields without annotations. CRDs get a
//! [`TypeInfo`] from their OpenAPI v3 schema through [`from_openapi_schema`].

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use serde_json::Value;

/// How server-side apply treats a list (`x-kubernetes-list-type`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListType {
    /// The list is one value: replaced as a whole and owned as a whole.
    Atomic,
    /// A list of scalars whose items are owned individually (`v:` entries in `FieldsV1`).
    Set,
    /// A list of objects identified by the values of the key fields (`k:` entries).
    Map(Vec<MapKey>),
}

/// One key field of a [`ListType::Map`] list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapKey {
    /// Field name inside each item, e.g. `containerPort`.
    pub name: String,
    /// Value used when an item omits the field; Kubernetes defaults `protocol` to `TCP`, so
    /// `{"containerPort": 80}` and `{"containerPort": 80, "protocol": "TCP"}` are the same item.
    pub default: Option<Value>,
}

/// How strategic merge patch treats a list (`patchStrategy` / `patchMergeKey`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatchStrategy {
    /// No strategy: the patch's list replaces the original list.
    Replace,
    /// `patchStrategy:"merge"` on a list of scalars: the union of both lists.
    MergePrimitives,
    /// `patchStrategy:"merge" patchMergeKey:"<key>"`: objects are matched by this key and merged.
    MergeByKey(String),
}

/// Index of a node inside one [`TypeInfo`].
type NodeId = usize;

#[derive(Debug, Clone)]
enum Shape {
    /// Known to exist but nothing declared about its contents.
    Any,
    /// An object with named fields; undeclared fields are untyped.
    Struct(BTreeMap<String, NodeId>),
    /// An object with free-form keys (`map[string]T`); `None` means untyped values.
    Map(Option<NodeId>),
    List {
        items: Option<NodeId>,
        ssa: ListType,
        smp: PatchStrategy,
    },
}

#[derive(Debug, Clone)]
struct Node {
    shape: Shape,
    /// `+structType=atomic` / `+mapType=atomic` (SSA owns and replaces it as a whole).
    atomic: bool,
    /// `patchStrategy:"retainKeys"`; on a list it applies to the items (`merge,retainKeys`).
    retain_keys: bool,
}

/// Merge semantics for every path of one kind (or one CRD schema).
#[derive(Debug, Clone)]
pub struct TypeInfo {
    name: String,
    nodes: Vec<Node>,
    root: Option<NodeId>,
}

/// A position inside a [`TypeInfo`]; cheap to copy. Untyped positions answer with the defaults
/// (objects merge per key, lists are atomic/replaced).
#[derive(Debug, Clone, Copy)]
pub struct TypeRef<'a> {
    info: Option<&'a TypeInfo>,
    node: Option<NodeId>,
}

static ATOMIC: ListType = ListType::Atomic;
static REPLACE: PatchStrategy = PatchStrategy::Replace;

impl TypeInfo {
    /// A type that declares nothing: JSON-merge-like maps, atomic lists everywhere.
    pub fn untyped() -> TypeInfo {
        TypeInfo {
            name: "untyped".to_string(),
            nodes: Vec::new(),
            root: None,
        }
    }

    /// The Go type name (built-ins) or `"openapi"` the information was built from.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The top of the object.
    pub fn root(&self) -> TypeRef<'_> {
        TypeRef {
            info: Some(self),
            node: self.root,
        }
    }

    /// Follows object field names from the root, e.g. `["spec", "template", "spec", "containers"]`.
    /// List items are reached with [`TypeRef::items`].
    pub fn lookup(&self, path: &[&str]) -> TypeRef<'_> {
        path.iter().fold(self.root(), |t, name| t.field(name))
    }
}

impl<'a> TypeRef<'a> {
    /// A position with no type information.
    pub const UNTYPED: TypeRef<'static> = TypeRef {
        info: None,
        node: None,
    };

    fn node(&self) -> Option<&'a Node> {
        let info = self.info?;
        info.nodes.get(self.node?)
    }

    fn at(&self, node: Option<NodeId>) -> TypeRef<'a> {
        TypeRef {
            info: self.info,
            node,
        }
    }

    /// Whether anything is declared at this position.
    pub fn is_typed(&self) -> bool {
        self.node().is_some()
    }

    /// The type of field `name` of an object (a struct field or a map value).
    pub fn field(&self, name: &str) -> TypeRef<'a> {
        match self.node().map(|n| &n.shape) {
            Some(Shape::Struct(fields)) => self.at(fields.get(name).copied()),
            Some(Shape::Map(elem)) => self.at(*elem),
            _ => self.at(None),
        }
    }

    /// The type of the items of a list.
    pub fn items(&self) -> TypeRef<'a> {
        match self.node().map(|n| &n.shape) {
            Some(Shape::List { items, .. }) => self.at(*items),
            _ => self.at(None),
        }
    }

    /// Server-side apply list semantics; [`ListType::Atomic`] when nothing is declared.
    pub fn list_type(&self) -> &'a ListType {
        match self.node().map(|n| &n.shape) {
            Some(Shape::List { ssa, .. }) => ssa,
            _ => &ATOMIC,
        }
    }

    /// Strategic-merge-patch list semantics; [`PatchStrategy::Replace`] when nothing is declared.
    pub fn patch_strategy(&self) -> &'a PatchStrategy {
        match self.node().map(|n| &n.shape) {
            Some(Shape::List { smp, .. }) => smp,
            _ => &REPLACE,
        }
    }

    /// `retainKeys` patch strategy: for an object, on the object itself; for a list, on its items.
    pub fn retain_keys(&self) -> bool {
        self.node().is_some_and(|n| n.retain_keys)
    }

    /// An object or map that server-side apply owns and replaces as a single value.
    pub fn is_atomic_object(&self) -> bool {
        self.node()
            .is_some_and(|n| n.atomic && !matches!(n.shape, Shape::List { .. }))
    }

    /// A declared struct (named fields), as opposed to a free-form map or an untyped object.
    pub fn is_struct(&self) -> bool {
        matches!(self.node().map(|n| &n.shape), Some(Shape::Struct(_)))
    }
}

// ---------------------------------------------------------------------------------------------
// Built-in kinds.
// ---------------------------------------------------------------------------------------------

/// A field declaration in the built-in table.
#[derive(Clone, Copy)]
enum Decl {
    /// A nested object of the named table type (`""` = nothing declared inside).
    Struct {
        ty: &'static str,
        atomic: bool,
        retain_keys: bool,
    },
    /// A free-form map (`map[string]T`).
    Map { atomic: bool },
    List {
        /// Table type of the items (`""` = nothing declared inside).
        items: &'static str,
        smp: SmpDecl,
        ssa: SsaDecl,
        retain_keys: bool,
    },
}

#[derive(Clone, Copy)]
enum SmpDecl {
    Replace,
    MergePrimitives,
    MergeKey(&'static str),
}

#[derive(Clone, Copy)]
enum SsaDecl {
    Atomic,
    Set,
    /// `+listType=map` keyed by the SMP merge key alone (the common case).
    MapBySmpKey,
    Map(&'static [&'static str]),
}

const fn st(ty: &'static str) -> Decl {
    Decl::Struct {
        ty,
        atomic: false,
        retain_keys: false,
    }
}
/// `+structType=atomic` (label selectors, object references).
const ATOMIC_STRUCT: Decl = Decl::Struct {
    ty: "",
    atomic: true,
    retain_keys: false,
};
/// `patchStrategy:"retainKeys"` on a struct (a union such as `DeploymentStrategy`).
const RETAIN_STRUCT: Decl = Decl::Struct {
    ty: "",
    atomic: false,
    retain_keys: true,
};
const MAP: Decl = Decl::Map { atomic: false };
const ATOMIC_MAP: Decl = Decl::Map { atomic: true };
/// `+listType=atomic`, no patch strategy. Undeclared lists behave the same; declaring the
/// well-known ones documents the choice.
const ATOMIC_LIST: Decl = Decl::List {
    items: "",
    smp: SmpDecl::Replace,
    ssa: SsaDecl::Atomic,
    retain_keys: false,
};
/// `patchStrategy:"merge"` + `+listType=set` (finalizers, podCIDRs).
const MERGE_SET: Decl = Decl::List {
    items: "",
    smp: SmpDecl::MergePrimitives,
    ssa: SsaDecl::Set,
    retain_keys: false,
};
/// The usual `conditions` list: merge key `type`, SSA map keyed by `type`.
const CONDITIONS: Decl = keyed("", "type");

/// `patchStrategy:"merge" patchMergeKey:"<key>"` + `+listType=map +listMapKey=<key>`.
const fn keyed(items: &'static str, key: &'static str) -> Decl {
    Decl::List {
        items,
        smp: SmpDecl::MergeKey(key),
        ssa: SsaDecl::MapBySmpKey,
        retain_keys: false,
    }
}
/// Keyed list whose SSA keys differ from the SMP merge key.
const fn keyed_ssa(
    items: &'static str,
    smp_key: &'static str,
    ssa: &'static [&'static str],
) -> Decl {
    Decl::List {
        items,
        smp: SmpDecl::MergeKey(smp_key),
        ssa: SsaDecl::Map(ssa),
        retain_keys: false,
    }
}
/// `patchStrategy:"merge,retainKeys"`: keyed, and each item is a union that drops unlisted keys.
const fn keyed_retain(items: &'static str, key: &'static str) -> Decl {
    Decl::List {
        items,
        smp: SmpDecl::MergeKey(key),
        ssa: SsaDecl::MapBySmpKey,
        retain_keys: true,
    }
}
/// SMP merges by key but SSA treats the list as atomic (`+listType=atomic`).
const fn smp_keyed_atomic(key: &'static str) -> Decl {
    Decl::List {
        items: "",
        smp: SmpDecl::MergeKey(key),
        ssa: SsaDecl::Atomic,
        retain_keys: false,
    }
}
/// `+listType=map` without a patch strategy (SMP replaces it).
const fn ssa_keyed(keys: &'static [&'static str]) -> Decl {
    Decl::List {
        items: "",
        smp: SmpDecl::Replace,
        ssa: SsaDecl::Map(keys),
        retain_keys: false,
    }
}

/// Default values of list-map key fields (from the upstream OpenAPI `default`s).
const KEY_DEFAULTS: &[(&str, &str)] = &[("protocol", "TCP")];

type Fields = &'static [(&'static str, Decl)];

/// Go type name → declared fields. Every kind's root type also gets `metadata: ObjectMeta`.
/// Source: the `patchStrategy`/`patchMergeKey` tags and `+listType`/`+listMapKey`/`+structType`/
/// `+mapType` markers of k8s.io/api v0.33.
#[rustfmt::skip]
const TYPES: &[(&str, Fields)] = &[
    ("ObjectMeta", &[
        ("labels", MAP),
        ("annotations", MAP),
        ("ownerReferences", keyed("", "uid")),
        ("finalizers", MERGE_SET),
        ("managedFields", ATOMIC_LIST),
    ]),
    ("Conditions", &[("conditions", CONDITIONS)]),
    // --- pods -----------------------------------------------------------------------------
    ("PodTemplateSpec", &[("metadata", st("ObjectMeta")), ("spec", st("PodSpec"))]),
    ("PodSpec", &[
        ("volumes", keyed_retain("", "name")),
        ("initContainers", keyed("Container", "name")),
        ("containers", keyed("Container", "name")),
        ("ephemeralContainers", keyed("Container", "name")),
        ("imagePullSecrets", keyed("", "name")),
        ("hostAliases", keyed("", "ip")),
        ("tolerations", ATOMIC_LIST),
        ("readinessGates", ATOMIC_LIST),
        ("topologySpreadConstraints", keyed_ssa("", "topologyKey", &["topologyKey", "whenUnsatisfiable"])),
        ("schedulingGates", keyed("", "name")),
        ("resourceClaims", keyed_retain("", "name")),
        ("nodeSelector", ATOMIC_MAP),
        ("overhead", MAP),
        ("affinity", st("Affinity")),
        ("securityContext", st("PodSecurityContext")),
        ("dnsConfig", st("PodDNSConfig")),
    ]),
    ("Container", &[
        ("ports", keyed_ssa("", "containerPort", &["containerPort", "protocol"])),
        ("env", keyed("", "name")),
        ("envFrom", ATOMIC_LIST),
        ("volumeMounts", keyed("", "mountPath")),
        ("volumeDevices", keyed("", "devicePath")),
        ("command", ATOMIC_LIST),
        ("args", ATOMIC_LIST),
        ("resizePolicy", ATOMIC_LIST),
        ("resources", st("ResourceRequirements")),
    ]),
    ("ResourceRequirements", &[
        ("limits", MAP),
        ("requests", MAP),
        ("claims", ssa_keyed(&["name"])),
    ]),
    ("Affinity", &[
        ("nodeAffinity", st("NodeAffinity")),
        ("podAffinity", st("PodAffinity")),
        ("podAntiAffinity", st("PodAffinity")),
    ]),
    ("NodeAffinity", &[
        ("requiredDuringSchedulingIgnoredDuringExecution", ATOMIC_STRUCT),
        ("preferredDuringSchedulingIgnoredDuringExecution", ATOMIC_LIST),
    ]),
    ("PodAffinity", &[
        ("requiredDuringSchedulingIgnoredDuringExecution", ATOMIC_LIST),
        ("preferredDuringSchedulingIgnoredDuringExecution", ATOMIC_LIST),
    ]),
    ("PodSecurityContext", &[("supplementalGroups", ATOMIC_LIST), ("sysctls", ATOMIC_LIST)]),
    ("PodDNSConfig", &[
        ("nameservers", ATOMIC_LIST),
        ("searches", ATOMIC_LIST),
        ("options", ATOMIC_LIST),
    ]),
    ("PodStatus", &[
        ("conditions", CONDITIONS),
        ("podIPs", smp_keyed_atomic("ip")),
        ("hostIPs", smp_keyed_atomic("ip")),
        ("containerStatuses", ATOMIC_LIST),
        ("initContainerStatuses", ATOMIC_LIST),
        ("ephemeralContainerStatuses", ATOMIC_LIST),
        ("resourceClaimStatuses", keyed_retain("", "name")),
    ]),
    ("Pod", &[("spec", st("PodSpec")), ("status", st("PodStatus"))]),
    ("PodTemplate", &[("template", st("PodTemplateSpec"))]),
    // --- workloads ------------------------------------------------------------------------
    ("DeploymentSpec", &[
        ("selector", ATOMIC_STRUCT),
        ("template", st("PodTemplateSpec")),
        ("strategy", RETAIN_STRUCT),
    ]),
    ("Deployment", &[("spec", st("DeploymentSpec")), ("status", st("Conditions"))]),
    ("ReplicaSetSpec", &[("selector", ATOMIC_STRUCT), ("template", st("PodTemplateSpec"))]),
    ("ReplicaSet", &[("spec", st("ReplicaSetSpec")), ("status", st("Conditions"))]),
    ("DaemonSet", &[("spec", st("ReplicaSetSpec")), ("status", st("Conditions"))]),
    ("StatefulSetSpec", &[
        ("selector", ATOMIC_STRUCT),
        ("template", st("PodTemplateSpec")),
        ("volumeClaimTemplates", ATOMIC_LIST),
    ]),
    ("StatefulSet", &[("spec", st("StatefulSetSpec")), ("status", st("Conditions"))]),
    ("ReplicationControllerSpec", &[("selector", ATOMIC_MAP), ("template", st("PodTemplateSpec"))]),
    ("ReplicationController", &[
        ("spec", st("ReplicationControllerSpec")),
        ("status", st("Conditions")),
    ]),
    ("JobSpec", &[
        ("selector", ATOMIC_STRUCT),
        ("template", st("PodTemplateSpec")),
        ("podFailurePolicy", st("PodFailurePolicy")),
    ]),
    ("PodFailurePolicy", &[("rules", ATOMIC_LIST)]),
    // Job conditions merge by type in SMP but are `+listType=atomic`.
    ("JobStatus", &[("conditions", smp_keyed_atomic("type"))]),
    ("Job", &[("spec", st("JobSpec")), ("status", st("JobStatus"))]),
    ("JobTemplateSpec", &[("metadata", st("ObjectMeta")), ("spec", st("JobSpec"))]),
    ("CronJobSpec", &[("jobTemplate", st("JobTemplateSpec"))]),
    ("CronJobStatus", &[("active", ATOMIC_LIST)]),
    ("CronJob", &[("spec", st("CronJobSpec")), ("status", st("CronJobStatus"))]),
    // --- services and networking ------------------------------------------------------------
    ("ServiceSpec", &[
        ("ports", keyed_ssa("", "port", &["port", "protocol"])),
        ("selector", ATOMIC_MAP),
        ("clusterIPs", ATOMIC_LIST),
        ("externalIPs", ATOMIC_LIST),
        ("ipFamilies", ATOMIC_LIST),
        ("loadBalancerSourceRanges", ATOMIC_LIST),
    ]),
    ("LoadBalancerStatus", &[("ingress", ATOMIC_LIST)]),
    ("ServiceStatus", &[("conditions", CONDITIONS), ("loadBalancer", st("LoadBalancerStatus"))]),
    ("Service", &[("spec", st("ServiceSpec")), ("status", st("ServiceStatus"))]),
    ("Endpoints", &[("subsets", ATOMIC_LIST)]),
    ("EndpointSlice", &[("endpoints", ATOMIC_LIST), ("ports", ATOMIC_LIST)]),
    ("IngressSpec", &[("rules", ATOMIC_LIST), ("tls", ATOMIC_LIST)]),
    ("IngressStatus", &[("loadBalancer", st("LoadBalancerStatus"))]),
    ("Ingress", &[("spec", st("IngressSpec")), ("status", st("IngressStatus"))]),
    ("NetworkPolicySpec", &[
        ("podSelector", ATOMIC_STRUCT),
        ("ingress", ATOMIC_LIST),
        ("egress", ATOMIC_LIST),
        ("policyTypes", ATOMIC_LIST),
    ]),
    ("NetworkPolicy", &[("spec", st("NetworkPolicySpec"))]),
    // --- config and storage -----------------------------------------------------------------
    ("ConfigMap", &[("data", MAP), ("binaryData", MAP)]),
    ("Secret", &[("data", MAP), ("stringData", MAP)]),
    ("ServiceAccount", &[("secrets", keyed("", "name")), ("imagePullSecrets", ATOMIC_LIST)]),
    ("PersistentVolumeClaimSpec", &[("accessModes", ATOMIC_LIST), ("selector", ATOMIC_STRUCT)]),
    ("PersistentVolumeClaimStatus", &[
        ("conditions", CONDITIONS),
        ("accessModes", ATOMIC_LIST),
        ("capacity", MAP),
    ]),
    ("PersistentVolumeClaim", &[
        ("spec", st("PersistentVolumeClaimSpec")),
        ("status", st("PersistentVolumeClaimStatus")),
    ]),
    ("PersistentVolumeSpec", &[
        ("accessModes", ATOMIC_LIST),
        ("mountOptions", ATOMIC_LIST),
        ("claimRef", ATOMIC_STRUCT),
        ("capacity", MAP),
    ]),
    ("PersistentVolume", &[("spec", st("PersistentVolumeSpec"))]),
    ("StorageClass", &[
        ("parameters", MAP),
        ("mountOptions", ATOMIC_LIST),
        ("allowedTopologies", ATOMIC_LIST),
    ]),
    ("ResourceQuotaSpec", &[("hard", MAP), ("scopes", ATOMIC_LIST)]),
    ("ResourceQuotaStatus", &[("hard", MAP), ("used", MAP)]),
    ("ResourceQuota", &[("spec", st("ResourceQuotaSpec")), ("status", st("ResourceQuotaStatus"))]),
    ("LimitRangeSpec", &[("limits", ATOMIC_LIST)]),
    ("LimitRange", &[("spec", st("LimitRangeSpec"))]),
    // --- cluster --------------------------------------------------------------------------
    ("NodeSpec", &[("taints", ATOMIC_LIST), ("podCIDRs", MERGE_SET)]),
    ("NodeStatus", &[
        ("conditions", CONDITIONS),
        ("addresses", keyed("", "type")),
        ("capacity", MAP),
        ("allocatable", MAP),
        ("images", ATOMIC_LIST),
        ("volumesInUse", ATOMIC_LIST),
        ("volumesAttached", ATOMIC_LIST),
    ]),
    ("Node", &[("spec", st("NodeSpec")), ("status", st("NodeStatus"))]),
    ("NamespaceSpec", &[("finalizers", ATOMIC_LIST)]),
    ("Namespace", &[("spec", st("NamespaceSpec")), ("status", st("Conditions"))]),
    // --- RBAC -----------------------------------------------------------------------------
    ("Role", &[("rules", ATOMIC_LIST)]),
    ("AggregationRule", &[("clusterRoleSelectors", ATOMIC_LIST)]),
    ("ClusterRole", &[("rules", ATOMIC_LIST), ("aggregationRule", st("AggregationRule"))]),
    ("RoleBinding", &[("subjects", ATOMIC_LIST), ("roleRef", ATOMIC_STRUCT)]),
    // --- policy, autoscaling, extensions ----------------------------------------------------
    ("PodDisruptionBudgetSpec", &[("selector", ATOMIC_STRUCT)]),
    ("PodDisruptionBudget", &[
        ("spec", st("PodDisruptionBudgetSpec")),
        ("status", st("Conditions")),
    ]),
    ("HorizontalPodAutoscalerSpec", &[("metrics", ATOMIC_LIST), ("scaleTargetRef", ATOMIC_STRUCT)]),
    ("HorizontalPodAutoscalerStatus", &[
        ("conditions", CONDITIONS),
        ("currentMetrics", ATOMIC_LIST),
    ]),
    ("HorizontalPodAutoscaler", &[
        ("spec", st("HorizontalPodAutoscalerSpec")),
        ("status", st("HorizontalPodAutoscalerStatus")),
    ]),
    ("CustomResourceDefinition", &[("status", st("Conditions"))]),
    // Kinds with nothing special beyond ObjectMeta.
    ("Plain", &[]),
];

/// (API group, kind, root type in [`TYPES`]).
const KINDS: &[(&str, &str, &str)] = &[
    ("", "Pod", "Pod"),
    ("", "PodTemplate", "PodTemplate"),
    ("", "ReplicationController", "ReplicationController"),
    ("", "Service", "Service"),
    ("", "Endpoints", "Endpoints"),
    ("", "ConfigMap", "ConfigMap"),
    ("", "Secret", "Secret"),
    ("", "ServiceAccount", "ServiceAccount"),
    ("", "PersistentVolumeClaim", "PersistentVolumeClaim"),
    ("", "PersistentVolume", "PersistentVolume"),
    ("", "ResourceQuota", "ResourceQuota"),
    ("", "LimitRange", "LimitRange"),
    ("", "Node", "Node"),
    ("", "Namespace", "Namespace"),
    ("", "Event", "Plain"),
    ("apps", "Deployment", "Deployment"),
    ("apps", "ReplicaSet", "ReplicaSet"),
    ("apps", "StatefulSet", "StatefulSet"),
    ("apps", "DaemonSet", "DaemonSet"),
    ("apps", "ControllerRevision", "Plain"),
    ("batch", "Job", "Job"),
    ("batch", "CronJob", "CronJob"),
    ("networking.k8s.io", "Ingress", "Ingress"),
    ("networking.k8s.io", "IngressClass", "Plain"),
    ("networking.k8s.io", "NetworkPolicy", "NetworkPolicy"),
    ("discovery.k8s.io", "EndpointSlice", "EndpointSlice"),
    ("rbac.authorization.k8s.io", "Role", "Role"),
    ("rbac.authorization.k8s.io", "ClusterRole", "ClusterRole"),
    ("rbac.authorization.k8s.io", "RoleBinding", "RoleBinding"),
    (
        "rbac.authorization.k8s.io",
        "ClusterRoleBinding",
        "RoleBinding",
    ),
    ("storage.k8s.io", "StorageClass", "StorageClass"),
    ("policy", "PodDisruptionBudget", "PodDisruptionBudget"),
    (
        "autoscaling",
        "HorizontalPodAutoscaler",
        "HorizontalPodAutoscaler",
    ),
    ("coordination.k8s.io", "Lease", "Plain"),
    ("events.k8s.io", "Event", "Plain"),
    ("scheduling.k8s.io", "PriorityClass", "Plain"),
    (
        "apiextensions.k8s.io",
        "CustomResourceDefinition",
        "CustomResourceDefinition",
    ),
];

/// Type information for a built-in kind; `None` for kinds this table does not know (CRDs), whose
/// callers use JSON merge patch and atomic lists (or [`from_openapi_schema`]).
pub fn for_kind(group: &str, kind: &str) -> Option<&'static TypeInfo> {
    static BUILT: OnceLock<Vec<(&'static str, &'static str, TypeInfo)>> = OnceLock::new();
    let built = BUILT.get_or_init(|| {
        KINDS
            .iter()
            .map(|&(g, k, root)| (g, k, TableBuilder::build(root)))
            .collect()
    });
    built
        .iter()
        .find(|(g, k, _)| *g == group && *k == kind)
        .map(|(_, _, info)| info)
}

/// The (group, kind) pairs [`for_kind`] knows.
pub fn known_kinds() -> impl Iterator<Item = (&'static str, &'static str)> {
    KINDS.iter().map(|&(g, k, _)| (g, k))
}

/// Instantiates table types into the nodes of one [`TypeInfo`]. Types are memoized so a type used
/// twice (Container) is one node, and a cycle would terminate.
struct TableBuilder {
    nodes: Vec<Node>,
    structs: HashMap<&'static str, NodeId>,
}

impl TableBuilder {
    fn build(root: &'static str) -> TypeInfo {
        let mut b = TableBuilder {
            nodes: Vec::new(),
            structs: HashMap::new(),
        };
        let root_id = b.struct_type(root, false, false);
        // ObjectMeta is part of every kind, so the table does not repeat it.
        let meta = b.struct_type("ObjectMeta", false, false);
        if let Shape::Struct(fields) = &mut b.nodes[root_id].shape {
            fields.entry("metadata".to_string()).or_insert(meta);
        }
        TypeInfo {
            name: root.to_string(),
            nodes: b.nodes,
            root: Some(root_id),
        }
    }

    fn push(&mut self, node: Node) -> NodeId {
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    fn fields_of(ty: &str) -> Fields {
        TYPES
            .iter()
            .find(|(name, _)| *name == ty)
            .map(|(_, f)| *f)
            .unwrap_or(&[])
    }

    fn struct_type(&mut self, ty: &'static str, atomic: bool, retain_keys: bool) -> NodeId {
        let plain = !atomic && !retain_keys && !ty.is_empty();
        if plain && let Some(&id) = self.structs.get(ty) {
            return id;
        }
        let id = self.push(Node {
            shape: Shape::Struct(BTreeMap::new()),
            atomic,
            retain_keys,
        });
        if plain {
            self.structs.insert(ty, id);
        }
        let mut fields = BTreeMap::new();
        for &(name, decl) in Self::fields_of(ty) {
            fields.insert(name.to_string(), self.decl(decl));
        }
        self.nodes[id].shape = Shape::Struct(fields);
        id
    }

    fn decl(&mut self, decl: Decl) -> NodeId {
        match decl {
            Decl::Struct {
                ty,
                atomic,
                retain_keys,
            } => self.struct_type(ty, atomic, retain_keys),
            Decl::Map { atomic } => self.push(Node {
                shape: Shape::Map(None),
                atomic,
                retain_keys: false,
            }),
            Decl::List {
                items,
                smp,
                ssa,
                retain_keys,
            } => {
                let items = (!items.is_empty()).then(|| self.struct_type(items, false, false));
                let map_keys = |keys: &[&str]| {
                    ListType::Map(
                        keys.iter()
                            .map(|k| MapKey {
                                name: k.to_string(),
                                default: KEY_DEFAULTS
                                    .iter()
                                    .find(|(n, _)| n == k)
                                    .map(|(_, d)| Value::String(d.to_string())),
                            })
                            .collect(),
                    )
                };
                let ssa = match (ssa, smp) {
                    (SsaDecl::Atomic, _) => ListType::Atomic,
                    (SsaDecl::Set, _) => ListType::Set,
                    (SsaDecl::MapBySmpKey, SmpDecl::MergeKey(key)) => map_keys(&[key]),
                    (SsaDecl::MapBySmpKey, _) => ListType::Atomic,
                    (SsaDecl::Map(keys), _) => map_keys(keys),
                };
                let smp = match smp {
                    SmpDecl::Replace => PatchStrategy::Replace,
                    SmpDecl::MergePrimitives => PatchStrategy::MergePrimitives,
                    SmpDecl::MergeKey(k) => PatchStrategy::MergeByKey(k.to_string()),
                };
                self.push(Node {
                    shape: Shape::List { items, ssa, smp },
                    atomic: false,
                    retain_keys,
                })
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// OpenAPI v3 schemas (CRDs).
// ---------------------------------------------------------------------------------------------

/// Deeper schemas are treated as untyped below this depth; real CRD schemas are far shallower,
/// and the limit keeps hostile input from exhausting the stack.
const MAX_SCHEMA_DEPTH: usize = 64;

/// Builds type information from an OpenAPI v3 schema, such as a CRD version's
/// `schema.openAPIV3Schema` or an upstream `components.schemas` entry with `$ref`s inlined.
///
/// Read: `properties`, `additionalProperties`, `items`, `x-kubernetes-list-type`,
/// `x-kubernetes-list-map-keys` (with the key properties' `default`s),
/// `x-kubernetes-map-type: atomic`, `x-kubernetes-patch-strategy` and
/// `x-kubernetes-patch-merge-key`. Unresolved `$ref`s and anything malformed are untyped. Lists
/// are atomic unless the schema says otherwise, as in kube-apiserver. `metadata` always gets
/// ObjectMeta semantics (CRD schemas do not describe it).
pub fn from_openapi_schema(schema: &Value) -> TypeInfo {
    let mut nodes = Vec::new();
    let root = schema_node(schema, &mut nodes, 0);
    // A CRD schema leaves metadata undescribed; owner references and finalizers must still
    // merge the way they do for every object.
    let meta_info = TableBuilder::build("Plain");
    let mut root = root.unwrap_or_else(|| {
        nodes.push(Node {
            shape: Shape::Struct(BTreeMap::new()),
            atomic: false,
            retain_keys: false,
        });
        nodes.len() - 1
    });
    if !matches!(nodes[root].shape, Shape::Struct(_)) {
        // A root that is not an object cannot describe a Kubernetes object; keep only metadata.
        nodes.push(Node {
            shape: Shape::Struct(BTreeMap::new()),
            atomic: false,
            retain_keys: false,
        });
        root = nodes.len() - 1;
    }
    let offset = nodes.len();
    let meta_root = meta_info
        .root
        .and_then(|r| match &meta_info.nodes[r].shape {
            Shape::Struct(f) => f.get("metadata").copied(),
            _ => None,
        });
    for node in meta_info.nodes {
        nodes.push(shift(node, offset));
    }
    if let (Some(meta), Shape::Struct(fields)) = (meta_root, &mut nodes[root].shape) {
        fields.insert("metadata".to_string(), meta + offset);
    }
    TypeInfo {
        name: "openapi".to_string(),
        nodes,
        root: Some(root),
    }
}

fn shift(mut node: Node, offset: usize) -> Node {
    node.shape = match node.shape {
        Shape::Any => Shape::Any,
        Shape::Struct(fields) => {
            Shape::Struct(fields.into_iter().map(|(k, v)| (k, v + offset)).collect())
        }
        Shape::Map(elem) => Shape::Map(elem.map(|e| e + offset)),
        Shape::List { items, ssa, smp } => Shape::List {
            items: items.map(|i| i + offset),
            ssa,
            smp,
        },
    };
    node
}

fn schema_node(schema: &Value, nodes: &mut Vec<Node>, depth: usize) -> Option<NodeId> {
    let obj = schema.as_object()?;
    if depth > MAX_SCHEMA_DEPTH {
        return None;
    }
    let ty = obj.get("type").and_then(Value::as_str);
    let ext = |name: &str| obj.get(name).and_then(Value::as_str);
    let patch_strategy = ext("x-kubernetes-patch-strategy").unwrap_or("");
    let retain_keys = patch_strategy.split(',').any(|s| s.trim() == "retainKeys");
    let atomic = ext("x-kubernetes-map-type") == Some("atomic");

    if ty == Some("array") || obj.contains_key("items") {
        let items_schema = obj.get("items");
        let items = items_schema.and_then(|s| schema_node(s, nodes, depth + 1));
        let ssa = match ext("x-kubernetes-list-type") {
            Some("set") => ListType::Set,
            Some("map") => {
                let keys: Vec<MapKey> = obj
                    .get("x-kubernetes-list-map-keys")
                    .and_then(Value::as_array)
                    .map(|keys| {
                        keys.iter()
                            .filter_map(Value::as_str)
                            .map(|k| MapKey {
                                name: k.to_string(),
                                default: items_schema
                                    .and_then(|s| s.get("properties"))
                                    .and_then(|p| p.get(k))
                                    .and_then(|p| p.get("default"))
                                    .cloned(),
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                // A map list without keys cannot identify items; treat it as atomic.
                if keys.is_empty() {
                    ListType::Atomic
                } else {
                    ListType::Map(keys)
                }
            }
            _ => ListType::Atomic,
        };
        let merges = patch_strategy.split(',').any(|s| s.trim() == "merge");
        let smp = match (merges, ext("x-kubernetes-patch-merge-key")) {
            (true, Some(key)) => PatchStrategy::MergeByKey(key.to_string()),
            (true, None) => PatchStrategy::MergePrimitives,
            (false, _) => PatchStrategy::Replace,
        };
        nodes.push(Node {
            shape: Shape::List { items, ssa, smp },
            atomic: false,
            retain_keys,
        });
        return Some(nodes.len() - 1);
    }

    let shape = if let Some(props) = obj.get("properties").and_then(Value::as_object) {
        let mut fields = BTreeMap::new();
        for (name, prop) in props {
            if let Some(id) = schema_node(prop, nodes, depth + 1) {
                fields.insert(name.clone(), id);
            }
        }
        Shape::Struct(fields)
    } else if let Some(add) = obj.get("additionalProperties") {
        // `additionalProperties: true` is a map of untyped values.
        Shape::Map(schema_node(add, nodes, depth + 1))
    } else {
        Shape::Any
    };
    nodes.push(Node {
        shape,
        atomic,
        retain_keys,
    });
    Some(nodes.len() - 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn keys(t: TypeRef<'_>) -> Vec<String> {
        match t.list_type() {
            ListType::Map(keys) => keys.iter().map(|k| k.name.clone()).collect(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn built_in_paths() {
        struct Case {
            name: &'static str,
            group: &'static str,
            kind: &'static str,
            path: &'static [&'static str],
            smp: PatchStrategy,
            ssa_keys: &'static [&'static str],
        }
        let merge = |k: &str| PatchStrategy::MergeByKey(k.to_string());
        let cases = [
            Case {
                name: "deployment containers",
                group: "apps",
                kind: "Deployment",
                path: &["spec", "template", "spec", "containers"],
                smp: merge("name"),
                ssa_keys: &["name"],
            },
            Case {
                name: "cronjob containers",
                group: "batch",
                kind: "CronJob",
                path: &[
                    "spec",
                    "jobTemplate",
                    "spec",
                    "template",
                    "spec",
                    "initContainers",
                ],
                smp: merge("name"),
                ssa_keys: &["name"],
            },
            Case {
                name: "service ports",
                group: "",
                kind: "Service",
                path: &["spec", "ports"],
                smp: merge("port"),
                ssa_keys: &["port", "protocol"],
            },
            Case {
                name: "owner references everywhere",
                group: "",
                kind: "ConfigMap",
                path: &["metadata", "ownerReferences"],
                smp: merge("uid"),
                ssa_keys: &["uid"],
            },
            Case {
                name: "finalizers",
                group: "",
                kind: "Secret",
                path: &["metadata", "finalizers"],
                smp: PatchStrategy::MergePrimitives,
                ssa_keys: &[],
            },
            Case {
                name: "tolerations atomic",
                group: "",
                kind: "Pod",
                path: &["spec", "tolerations"],
                smp: PatchStrategy::Replace,
                ssa_keys: &[],
            },
            Case {
                name: "ingress rules atomic",
                group: "networking.k8s.io",
                kind: "Ingress",
                path: &["spec", "rules"],
                smp: PatchStrategy::Replace,
                ssa_keys: &[],
            },
            Case {
                name: "node conditions",
                group: "",
                kind: "Node",
                path: &["status", "conditions"],
                smp: merge("type"),
                ssa_keys: &["type"],
            },
            Case {
                name: "topology spread",
                group: "apps",
                kind: "StatefulSet",
                path: &["spec", "template", "spec", "topologySpreadConstraints"],
                smp: merge("topologyKey"),
                ssa_keys: &["topologyKey", "whenUnsatisfiable"],
            },
        ];
        for c in cases {
            let info = for_kind(c.group, c.kind).unwrap_or_else(|| panic!("{}: no kind", c.name));
            let t = info.lookup(c.path);
            assert_eq!(t.patch_strategy(), &c.smp, "{}", c.name);
            assert_eq!(keys(t), c.ssa_keys, "{}", c.name);
        }
    }

    #[test]
    fn container_ports_default_protocol_and_retain_keys() {
        let info = for_kind("apps", "Deployment").expect("deployment");
        let ports = info
            .lookup(&["spec", "template", "spec", "containers"])
            .items()
            .field("ports");
        let ListType::Map(keys) = ports.list_type() else {
            panic!("ports must be a map list");
        };
        assert_eq!(keys[1].default, Some(json!("TCP")));
        assert!(info.lookup(&["spec", "strategy"]).retain_keys());
        assert!(
            info.lookup(&["spec", "template", "spec", "volumes"])
                .retain_keys()
        );
        assert!(info.lookup(&["spec", "selector"]).is_atomic_object());
        assert_eq!(
            info.lookup(&["metadata", "finalizers"]).list_type(),
            &ListType::Set
        );
        assert!(for_kind("example.com", "Widget").is_none());
    }

    #[test]
    fn openapi_schema() {
        let schema = json!({
            "type": "object",
            "properties": {
                "spec": {"type": "object", "properties": {
                    "ports": {"type": "array", "x-kubernetes-list-type": "map",
                        "x-kubernetes-list-map-keys": ["port", "protocol"],
                        "items": {"type": "object", "properties": {
                            "port": {"type": "integer"},
                            "protocol": {"type": "string", "default": "TCP"}}}},
                    "tags": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}},
                    "args": {"type": "array", "items": {"type": "string"}},
                    "selector": {"type": "object", "x-kubernetes-map-type": "atomic",
                        "additionalProperties": {"type": "string"}}
                }}
            }
        });
        let info = from_openapi_schema(&schema);
        let spec = info.lookup(&["spec"]);
        let ListType::Map(keys) = spec.field("ports").list_type() else {
            panic!("ports must be a map list");
        };
        assert_eq!(keys[1].default, Some(json!("TCP")));
        assert_eq!(spec.field("tags").list_type(), &ListType::Set);
        assert_eq!(spec.field("args").list_type(), &ListType::Atomic);
        assert!(spec.field("selector").is_atomic_object());
        assert_eq!(
            info.lookup(&["metadata", "ownerReferences"])
                .patch_strategy(),
            &PatchStrategy::MergeByKey("uid".to_string())
        );
        // Garbage never panics and yields an untyped-but-usable TypeInfo.
        for junk in [json!(null), json!([1, 2]), json!({"type": 7, "items": "x"})] {
            let info = from_openapi_schema(&junk);
            assert!(!info.lookup(&["spec", "x"]).is_typed());
        }
    }
}
