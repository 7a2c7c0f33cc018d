//! Server-side `Table` printing: the columns and cells kube-apiserver and Karmada return to
//! `kubectl get` for built-in kinds, computed as pure functions over `serde_json::Value` objects.
//!
//! kubectl asks every list and get for `as=Table` and prints whatever columns the server sends,
//! so these printers are what users see. They follow kube-apiserver's
//! `pkg/printers/internalversion/printers.go` (v1.32, the version Flotilla reports), the
//! apiserver's default convertor (`Name`, `Created At`) for kinds without a printer,
//! apiextensions' convertor for Karmada's CRD printer columns, and Karmada's own printer for
//! `Cluster`.
//!
//! Three rules shape the code:
//! - kube-apiserver always prints with `Wide: true`, so a row holds one cell per column,
//!   including the priority-1 ones that only `-o wide` shows.
//! - Cells are JSON strings or integers exactly where kube uses them: counts are integers even
//!   when the column says `string`, as kube does.
//! - Objects here may not have passed through kube's defaulting, so fields that kube always
//!   defaults on create (`spec.replicas` = 1, Service `type` = `ClusterIP`, port `protocol` =
//!   `TCP`, Secret `type` = `Opaque`, pod phase `Pending`, ...) print as their defaults. Any
//!   other missing or malformed field prints as kube prints an empty one (`<none>`, `0`,
//!   `<unknown>`, `""`); nothing here panics on a malformed object.
//!
//! Quantities (`1Gi`, `500m`) print as stored; kube prints the canonical form it re-encodes.

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use serde_json::Value;

/// One column of a `meta.k8s.io/v1` `Table` (`TableColumnDefinition`); serialises as one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Column {
    /// Column title in kube's spelling; kubectl upper-cases it.
    pub name: &'static str,
    /// OpenAPI type: `string`, `integer`, `number`, `boolean` or `date`.
    #[serde(rename = "type")]
    pub type_: &'static str,
    /// `name` for the column holding the object's name, empty otherwise.
    pub format: &'static str,
    /// Human-readable description of the column.
    pub description: &'static str,
    /// 0 for normal columns, 1 for columns only `kubectl get -o wide` shows.
    pub priority: i32,
}

/// Columns of a kind without a printer: the name and the age, as for a CRD with no printer
/// columns. [`row`] fills them for any kind [`columns`] does not know.
pub const DEFAULT_COLUMNS: &[Column] = &[NAME, col("Age", "date", AGE_DESC)];

/// The columns kube-apiserver prints for `kind` in API `group` (`""` or `"core"` for the core
/// group), or `None` when there is no printer and the caller should use [`DEFAULT_COLUMNS`].
pub fn columns(group: &str, kind: &str) -> Option<&'static [Column]> {
    printer(group, kind).map(|p| p.columns)
}

/// The cells of `obj`'s row, one per column of [`columns`] (or of [`DEFAULT_COLUMNS`] when
/// there is no printer), with ages measured at `now`.
pub fn row(group: &str, kind: &str, obj: &Value, now: Timestamp) -> Vec<Value> {
    let o = Obj(obj);
    match printer(group, kind) {
        Some(p) => (p.row)(o, now),
        None => vec![o.name().into(), age_of(o, now).into()],
    }
}

/// The age of an object created at `created` (RFC 3339), as kube's `duration.HumanDuration`
/// prints it: `5s`, `3m2s`, `10m`, `5h3m`, `2d5h`, `8d`, `2y100d`. `<unknown>` when the time is
/// missing, `<invalid>` when it cannot be parsed or lies more than a second in the future.
pub fn age(created: &str, now: Timestamp) -> String {
    if created.is_empty() {
        return "<unknown>".to_owned();
    }
    match created.parse::<Timestamp>() {
        Ok(t) => human_duration(now.duration_since(t)),
        Err(_) => "<invalid>".to_owned(),
    }
}

/// kube's `duration.HumanDuration`: about two significant figures, coarser as time passes.
fn human_duration(d: SignedDuration) -> String {
    // Truncated toward zero like Go's `int(d.Seconds())`; up to a second of clock skew
    // between writer and reader still reads as "now".
    let secs = d.as_secs();
    if secs < -1 {
        return "<invalid>".to_owned();
    }
    if secs < 0 {
        return "0s".to_owned();
    }
    if secs < 60 * 2 {
        return format!("{secs}s");
    }
    let minutes = secs / 60;
    if minutes < 10 {
        return match secs % 60 {
            0 => format!("{minutes}m"),
            s => format!("{minutes}m{s}s"),
        };
    }
    if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = secs / 3600;
    if hours < 8 {
        return match minutes % 60 {
            0 => format!("{hours}h"),
            m => format!("{hours}h{m}m"),
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    let days = hours / 24;
    if hours < 24 * 8 {
        return match hours % 24 {
            0 => format!("{days}d"),
            h => format!("{days}d{h}h"),
        };
    }
    if hours < 24 * 365 * 2 {
        return format!("{days}d");
    }
    let years = days / 365;
    if hours < 24 * 365 * 8 {
        return match days % 365 {
            0 => format!("{years}y"),
            dy => format!("{years}y{dy}d"),
        };
    }
    format!("{years}y")
}

// ---------------------------------------------------------------------------------------------
// Registry
// ---------------------------------------------------------------------------------------------

type RowFn = fn(Obj<'_>, Timestamp) -> Vec<Value>;

/// A kind's printer: its columns and the function filling one row of them.
struct Printer {
    group: &'static str,
    kind: &'static str,
    columns: &'static [Column],
    row: RowFn,
}

const fn printer_for(
    group: &'static str,
    kind: &'static str,
    columns: &'static [Column],
    row: RowFn,
) -> Printer {
    Printer {
        group,
        kind,
        columns,
        row,
    }
}

/// Every kind with a printer, keyed by API group and kind.
static PRINTERS: &[Printer] = &[
    printer_for("", "Pod", POD_COLUMNS, pod_row),
    printer_for("", "Service", SERVICE_COLUMNS, service_row),
    printer_for("", "ConfigMap", CONFIG_MAP_COLUMNS, config_map_row),
    printer_for("", "Secret", SECRET_COLUMNS, secret_row),
    printer_for(
        "",
        "ServiceAccount",
        SERVICE_ACCOUNT_COLUMNS,
        service_account_row,
    ),
    printer_for("", "Namespace", NAMESPACE_COLUMNS, namespace_row),
    printer_for("", "Node", NODE_COLUMNS, node_row),
    printer_for("", "Event", EVENT_COLUMNS, core_event_row),
    // events.k8s.io Events are converted to core/v1 before printing, so they share the
    // columns; the row reads the events.k8s.io field names.
    printer_for("events.k8s.io", "Event", EVENT_COLUMNS, events_v1_event_row),
    printer_for("", "PersistentVolumeClaim", PVC_COLUMNS, pvc_row),
    printer_for(
        "",
        "ResourceQuota",
        RESOURCE_QUOTA_COLUMNS,
        resource_quota_row,
    ),
    // LimitRange, Role, ClusterRole and CRDs have no printer in kube; the apiserver's
    // default convertor prints them.
    printer_for("", "LimitRange", CREATED_AT_COLUMNS, created_at_row),
    printer_for("apps", "Deployment", DEPLOYMENT_COLUMNS, deployment_row),
    printer_for("apps", "ReplicaSet", REPLICA_SET_COLUMNS, replica_set_row),
    printer_for(
        "apps",
        "StatefulSet",
        STATEFUL_SET_COLUMNS,
        stateful_set_row,
    ),
    printer_for("apps", "DaemonSet", DAEMON_SET_COLUMNS, daemon_set_row),
    printer_for("batch", "Job", JOB_COLUMNS, job_row),
    printer_for("batch", "CronJob", CRON_JOB_COLUMNS, cron_job_row),
    printer_for("networking.k8s.io", "Ingress", INGRESS_COLUMNS, ingress_row),
    printer_for(
        "networking.k8s.io",
        "NetworkPolicy",
        NETWORK_POLICY_COLUMNS,
        network_policy_row,
    ),
    printer_for(
        "autoscaling",
        "HorizontalPodAutoscaler",
        HPA_COLUMNS,
        hpa_row,
    ),
    printer_for("coordination.k8s.io", "Lease", LEASE_COLUMNS, lease_row),
    printer_for("policy", "PodDisruptionBudget", PDB_COLUMNS, pdb_row),
    printer_for(
        "rbac.authorization.k8s.io",
        "Role",
        CREATED_AT_COLUMNS,
        created_at_row,
    ),
    printer_for(
        "rbac.authorization.k8s.io",
        "ClusterRole",
        CREATED_AT_COLUMNS,
        created_at_row,
    ),
    printer_for(
        "rbac.authorization.k8s.io",
        "RoleBinding",
        ROLE_BINDING_COLUMNS,
        role_binding_row,
    ),
    printer_for(
        "rbac.authorization.k8s.io",
        "ClusterRoleBinding",
        CLUSTER_ROLE_BINDING_COLUMNS,
        role_binding_row,
    ),
    printer_for(
        "apiextensions.k8s.io",
        "CustomResourceDefinition",
        CREATED_AT_COLUMNS,
        created_at_row,
    ),
    printer_for(
        "cluster.karmada.io",
        "Cluster",
        CLUSTER_COLUMNS,
        cluster_row,
    ),
    printer_for(
        "work.karmada.io",
        "ResourceBinding",
        BINDING_COLUMNS,
        binding_row,
    ),
    printer_for(
        "work.karmada.io",
        "ClusterResourceBinding",
        BINDING_COLUMNS,
        binding_row,
    ),
    printer_for("work.karmada.io", "Work", WORK_COLUMNS, work_row),
    printer_for(
        "policy.karmada.io",
        "PropagationPolicy",
        PROPAGATION_POLICY_COLUMNS,
        propagation_policy_row,
    ),
    printer_for(
        "policy.karmada.io",
        "ClusterPropagationPolicy",
        PROPAGATION_POLICY_COLUMNS,
        propagation_policy_row,
    ),
    printer_for(
        "policy.karmada.io",
        "OverridePolicy",
        CRD_AGE_COLUMNS,
        crd_age_row,
    ),
    printer_for(
        "policy.karmada.io",
        "ClusterOverridePolicy",
        CRD_AGE_COLUMNS,
        crd_age_row,
    ),
];

fn printer(group: &str, kind: &str) -> Option<&'static Printer> {
    // Callers sometimes spell the core group "core", as RBAC rules and docs do.
    let group = if group == "core" { "" } else { group };
    PRINTERS.iter().find(|p| p.group == group && p.kind == kind)
}

// ---------------------------------------------------------------------------------------------
// Columns
// ---------------------------------------------------------------------------------------------

const NAME_DESC: &str = "Name must be unique within a namespace. Is required when creating \
resources, although some resources may allow a client to request the generation of an \
appropriate name automatically. Name is primarily intended for creation idempotence and \
configuration definition. Cannot be updated. More info: \
https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";

const AGE_DESC: &str = "CreationTimestamp is a timestamp representing the server time when \
this object was created. It is not guaranteed to be set in happens-before order across separate \
operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\n\
Populated by the system. Read-only. Null for lists. More info: \
https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

const fn col(name: &'static str, type_: &'static str, description: &'static str) -> Column {
    Column {
        name,
        type_,
        format: "",
        description,
        priority: 0,
    }
}

/// A column only `-o wide` shows.
const fn wide(name: &'static str, type_: &'static str, description: &'static str) -> Column {
    Column {
        priority: 1,
        ..col(name, type_, description)
    }
}

const NAME: Column = Column {
    format: "name",
    ..col("Name", "string", NAME_DESC)
};
const AGE: Column = col("Age", "string", AGE_DESC);
const CONTAINERS: Column = wide(
    "Containers",
    "string",
    "Names of each container in the template.",
);
const IMAGES: Column = wide(
    "Images",
    "string",
    "Images referenced by each container in the template.",
);
const SELECTOR: Column = wide(
    "Selector",
    "string",
    "A label query over pods that should match the replica count.",
);

const POD_COLUMNS: &[Column] = &[
    NAME,
    col(
        "Ready",
        "string",
        "The aggregate readiness state of this pod for accepting traffic.",
    ),
    col(
        "Status",
        "string",
        "The aggregate status of the containers in this pod.",
    ),
    col(
        "Restarts",
        "string",
        "The number of times the containers in this pod have been restarted and when the last \
         container in this pod has restarted.",
    ),
    AGE,
    wide(
        "IP",
        "string",
        "podIP address allocated to the pod. Routable at least within the cluster.",
    ),
    wide(
        "Node",
        "string",
        "NodeName indicates in which node this pod is scheduled.",
    ),
    wide(
        "Nominated Node",
        "string",
        "nominatedNodeName is set only when this pod preempts other pods on the node.",
    ),
    wide(
        "Readiness Gates",
        "string",
        "If specified, all readiness gates will be evaluated for pod readiness.",
    ),
];

const DEPLOYMENT_COLUMNS: &[Column] = &[
    NAME,
    col("Ready", "string", "Number of the pod with ready state"),
    col(
        "Up-to-date",
        "string",
        "Total number of non-terminating pods targeted by this deployment that have the \
         desired template spec.",
    ),
    col(
        "Available",
        "string",
        "Total number of available non-terminating pods targeted by this deployment.",
    ),
    AGE,
    CONTAINERS,
    IMAGES,
    SELECTOR,
];

const REPLICA_SET_COLUMNS: &[Column] = &[
    NAME,
    col(
        "Desired",
        "integer",
        "Replicas is the number of desired pods.",
    ),
    col(
        "Current",
        "integer",
        "Replicas is the most recently observed number of non-terminating pods.",
    ),
    col(
        "Ready",
        "integer",
        "The number of non-terminating pods targeted by this ReplicaSet with a Ready Condition.",
    ),
    AGE,
    CONTAINERS,
    IMAGES,
    SELECTOR,
];

const STATEFUL_SET_COLUMNS: &[Column] = &[
    NAME,
    col("Ready", "string", "Number of the pod with ready state"),
    AGE,
    CONTAINERS,
    IMAGES,
];

const DAEMON_SET_COLUMNS: &[Column] = &[
    NAME,
    col(
        "Desired",
        "integer",
        "The total number of nodes that should be running the daemon pod.",
    ),
    col(
        "Current",
        "integer",
        "The number of nodes that are running at least 1 daemon pod and are supposed to run \
         the daemon pod.",
    ),
    col(
        "Ready",
        "integer",
        "The number of nodes that should be running the daemon pod and have one or more of the \
         daemon pod running with a Ready Condition.",
    ),
    col(
        "Up-to-date",
        "integer",
        "The total number of nodes that are running updated daemon pod.",
    ),
    col(
        "Available",
        "integer",
        "The number of nodes that should be running the daemon pod and have one or more of the \
         daemon pod running and available.",
    ),
    col(
        "Node Selector",
        "string",
        "NodeSelector is a selector which must be true for the pod to fit on a node.",
    ),
    AGE,
    CONTAINERS,
    IMAGES,
    SELECTOR,
];

const JOB_COLUMNS: &[Column] = &[
    NAME,
    col("Status", "string", "Status of the job."),
    col(
        "Completions",
        "string",
        "The number of pods which reached phase Succeeded.",
    ),
    col("Duration", "string", "Time required to complete the job."),
    AGE,
    CONTAINERS,
    IMAGES,
    SELECTOR,
];

const CRON_JOB_COLUMNS: &[Column] = &[
    NAME,
    col("Schedule", "string", "The schedule in Cron format."),
    col(
        "Timezone",
        "string",
        "The time zone name for the given schedule.",
    ),
    col(
        "Suspend",
        "boolean",
        "This flag tells the controller to suspend subsequent executions.",
    ),
    col(
        "Active",
        "integer",
        "A list of pointers to currently running jobs.",
    ),
    col(
        "Last Schedule",
        "string",
        "Information when was the last time the job was successfully scheduled.",
    ),
    AGE,
    CONTAINERS,
    IMAGES,
    SELECTOR,
];

const SERVICE_COLUMNS: &[Column] = &[
    NAME,
    col(
        "Type",
        "string",
        "type determines how the Service is exposed.",
    ),
    col(
        "Cluster-IP",
        "string",
        "clusterIP is the IP address of the service.",
    ),
    col(
        "External-IP",
        "string",
        "externalIPs is a list of IP addresses for which nodes in the cluster will also accept \
         traffic for this service.",
    ),
    col(
        "Port(s)",
        "string",
        "The list of ports that are exposed by this service.",
    ),
    AGE,
    wide(
        "Selector",
        "string",
        "Route service traffic to pods with label keys and values matching this selector.",
    ),
];

const CONFIG_MAP_COLUMNS: &[Column] = &[
    NAME,
    col("Data", "string", "Data contains the configuration data."),
    AGE,
];

const SECRET_COLUMNS: &[Column] = &[
    NAME,
    col(
        "Type",
        "string",
        "Used to facilitate programmatic handling of secret data.",
    ),
    col("Data", "string", "Data contains the secret data."),
    AGE,
];

const SERVICE_ACCOUNT_COLUMNS: &[Column] = &[
    NAME,
    col(
        "Secrets",
        "string",
        "Secrets is a list of the secrets in the same namespace that pods running using this \
         ServiceAccount are allowed to use.",
    ),
    AGE,
];

const NAMESPACE_COLUMNS: &[Column] = &[
    NAME,
    col("Status", "string", "The status of the namespace"),
    AGE,
];

const NODE_COLUMNS: &[Column] = &[
    NAME,
    col("Status", "string", "The status of the node"),
    col("Roles", "string", "The roles of the node"),
    AGE,
    col("Version", "string", "Kubelet Version reported by the node."),
    wide(
        "Internal-IP",
        "string",
        "List of addresses reachable to the node.",
    ),
    wide(
        "External-IP",
        "string",
        "List of addresses reachable to the node.",
    ),
    wide(
        "OS-Image",
        "string",
        "OS Image reported by the node from /etc/os-release.",
    ),
    wide(
        "Kernel-Version",
        "string",
        "Kernel Version reported by the node from 'uname -r'.",
    ),
    wide(
        "Container-Runtime",
        "string",
        "ContainerRuntime Version reported by the node through runtime remote API.",
    ),
];

const EVENT_COLUMNS: &[Column] = &[
    col(
        "Last Seen",
        "string",
        "The time at which the most recent occurrence of this event was recorded.",
    ),
    col("Type", "string", "Type of this event (Normal, Warning)."),
    col(
        "Reason",
        "string",
        "This should be a short, machine understandable string that gives the reason for the \
         transition into the object's current status.",
    ),
    col("Object", "string", "The object that this event is about."),
    wide(
        "Subobject",
        "string",
        "If referring to a piece of an object instead of an entire object, this string should \
         contain a valid JSON/Go field access statement.",
    ),
    wide("Source", "string", "The component reporting this event."),
    col(
        "Message",
        "string",
        "A human-readable description of the status of this operation.",
    ),
    wide(
        "First Seen",
        "string",
        "The time at which the event was first recorded.",
    ),
    wide(
        "Count",
        "string",
        "The number of times this event has occurred.",
    ),
    Column {
        priority: 1,
        ..NAME
    },
];

const INGRESS_COLUMNS: &[Column] = &[
    NAME,
    col(
        "Class",
        "string",
        "The name of the IngressClass resource that should be used for additional configuration",
    ),
    col(
        "Hosts",
        "string",
        "Hosts that incoming requests are matched against before the ingress rule",
    ),
    col(
        "Address",
        "string",
        "Address is a list containing ingress points for the load-balancer",
    ),
    col("Ports", "string", "Ports of TLS configurations that open"),
    AGE,
];

const NETWORK_POLICY_COLUMNS: &[Column] = &[
    NAME,
    col(
        "Pod-Selector",
        "string",
        "Selects the pods to which this NetworkPolicy object applies.",
    ),
    AGE,
];

const PVC_COLUMNS: &[Column] = &[
    NAME,
    col(
        "Status",
        "string",
        "phase represents the current phase of PersistentVolumeClaim.",
    ),
    col(
        "Volume",
        "string",
        "volumeName is the binding reference to the PersistentVolume backing this claim.",
    ),
    col(
        "Capacity",
        "string",
        "capacity represents the actual resources of the underlying volume.",
    ),
    col(
        "Access Modes",
        "string",
        "accessModes contains the actual access modes the volume backing the PVC has.",
    ),
    col("StorageClass", "string", "StorageClass of the pvc"),
    col(
        "VolumeAttributesClass",
        "string",
        "VolumeAttributesClass of the pvc",
    ),
    AGE,
    wide(
        "VolumeMode",
        "string",
        "volumeMode defines what type of volume is required by the claim.",
    ),
];

// kube v1.33 moved Age after Limit (kubernetes#129419); Flotilla reports v1.32.
const RESOURCE_QUOTA_COLUMNS: &[Column] = &[
    NAME,
    AGE,
    col(
        "Request",
        "string",
        "Request represents a minimum amount of cpu/memory that a container may consume.",
    ),
    col(
        "Limit",
        "string",
        "Limits control the maximum amount of cpu/memory that a container may use independent \
         of contention on the node.",
    ),
];

const HPA_COLUMNS: &[Column] = &[
    NAME,
    col(
        "Reference",
        "string",
        "scaleTargetRef points to the target resource to scale.",
    ),
    col(
        "Targets",
        "string",
        "metrics contains the specifications for which to use to calculate the desired \
         replica count.",
    ),
    col(
        "MinPods",
        "string",
        "minReplicas is the lower limit for the number of replicas.",
    ),
    col(
        "MaxPods",
        "string",
        "maxReplicas is the upper limit for the number of replicas.",
    ),
    col(
        "Replicas",
        "string",
        "currentReplicas is current number of replicas of pods managed by this autoscaler.",
    ),
    AGE,
];

const LEASE_COLUMNS: &[Column] = &[
    NAME,
    col(
        "Holder",
        "string",
        "holderIdentity contains the identity of the holder of a current lease.",
    ),
    AGE,
];

const PDB_COLUMNS: &[Column] = &[
    NAME,
    col(
        "Min Available",
        "string",
        "The minimum number of pods that must be available.",
    ),
    col(
        "Max Unavailable",
        "string",
        "The maximum number of pods that may be unavailable.",
    ),
    col(
        "Allowed Disruptions",
        "integer",
        "Calculated number of pods that may be disrupted at this time.",
    ),
    AGE,
];

const ROLE_BINDING_COLUMNS: &[Column] = &[
    NAME,
    col(
        "Role",
        "string",
        "RoleRef can reference a Role in the current namespace or a ClusterRole in the global \
         namespace.",
    ),
    AGE,
    wide("Users", "string", "Users in the roleBinding"),
    wide("Groups", "string", "Groups in the roleBinding"),
    wide(
        "ServiceAccounts",
        "string",
        "ServiceAccounts in the roleBinding",
    ),
];

const CLUSTER_ROLE_BINDING_COLUMNS: &[Column] = &[
    NAME,
    col(
        "Role",
        "string",
        "RoleRef can only reference a ClusterRole in the global namespace.",
    ),
    AGE,
    wide("Users", "string", "Users in the clusterRoleBinding"),
    wide("Groups", "string", "Groups in the clusterRoleBinding"),
    wide(
        "ServiceAccounts",
        "string",
        "ServiceAccounts in the clusterRoleBinding",
    ),
];

/// The apiserver's default table (`rest.NewDefaultTableConvertor`).
const CREATED_AT_COLUMNS: &[Column] = &[NAME, col("Created At", "date", AGE_DESC)];

const CLUSTER_COLUMNS: &[Column] = &[
    NAME,
    col(
        "Version",
        "string",
        "KubernetesVersion represents version of the member cluster.",
    ),
    col(
        "Mode",
        "string",
        "SyncMode describes how a cluster sync resources from karmada control plane.",
    ),
    col(
        "Ready",
        "string",
        "The aggregate readiness state of this cluster for accepting workloads.",
    ),
    AGE,
    wide(
        "Zones",
        "string",
        "Zones represents the failure zones(also called availability zones) of the member \
         cluster. The zones are presented as a slice to support the case that cluster runs \
         across multiple failure zones.",
    ),
    wide(
        "Region",
        "string",
        "Region represents the region of the member cluster locate in.",
    ),
    wide(
        "Provider",
        "string",
        "Provider represents the cloud provider name of the member cluster.",
    ),
    wide(
        "API-Endpoint",
        "string",
        "The API endpoint of the member cluster.",
    ),
    wide(
        "Proxy-URL",
        "string",
        "ProxyURL is the proxy URL for the cluster.",
    ),
];

// Karmada's CRDs declare these as additionalPrinterColumns; apiextensions names them exactly
// as declared and describes them by their JSONPath.
const CRD_AGE: Column = col(
    "AGE",
    "date",
    "Custom resource definition column (in JSONPath format): .metadata.creationTimestamp",
);

const BINDING_COLUMNS: &[Column] = &[
    NAME,
    col(
        "SCHEDULED",
        "string",
        "Custom resource definition column (in JSONPath format): \
         .status.conditions[?(@.type==\"Scheduled\")].status",
    ),
    col(
        "FULLYAPPLIED",
        "string",
        "Custom resource definition column (in JSONPath format): \
         .status.conditions[?(@.type==\"FullyApplied\")].status",
    ),
    CRD_AGE,
];

const WORK_COLUMNS: &[Column] = &[
    NAME,
    col(
        "WORKLOAD-KIND",
        "string",
        "Custom resource definition column (in JSONPath format): \
         .spec.workload.manifests[*].kind",
    ),
    col(
        "APPLIED",
        "string",
        "Custom resource definition column (in JSONPath format): \
         .status.conditions[?(@.type==\"Applied\")].status",
    ),
    CRD_AGE,
];

const PROPAGATION_POLICY_COLUMNS: &[Column] = &[
    NAME,
    col(
        "CONFLICT-RESOLUTION",
        "string",
        "Custom resource definition column (in JSONPath format): .spec.conflictResolution",
    ),
    col(
        "PRIORITY",
        "string",
        "Custom resource definition column (in JSONPath format): .spec.priority",
    ),
    CRD_AGE,
];

/// What apiextensions prints for a CRD that declares no printer columns.
const CRD_AGE_COLUMNS: &[Column] = &[NAME, col("Age", "date", AGE_DESC)];

// ---------------------------------------------------------------------------------------------
// Object access
// ---------------------------------------------------------------------------------------------

static NULL: Value = Value::Null;

/// A read-only view of a JSON object whose accessors never fail: a missing or mistyped field
/// reads as empty, the way a Go struct decoded from the same JSON would.
#[derive(Clone, Copy)]
struct Obj<'a>(&'a Value);

impl<'a> Obj<'a> {
    fn get(self, path: &[&str]) -> Option<&'a Value> {
        path.iter()
            .try_fold(self.0, |v, key| v.get(key))
            .filter(|v| !v.is_null())
    }

    fn at(self, path: &[&str]) -> Obj<'a> {
        Obj(self.get(path).unwrap_or(&NULL))
    }

    fn has(self, path: &[&str]) -> bool {
        self.get(path).is_some()
    }

    fn opt_str(self, path: &[&str]) -> Option<&'a str> {
        self.get(path).and_then(Value::as_str)
    }

    /// The string at `path`, `""` when missing or not a string.
    fn str(self, path: &[&str]) -> &'a str {
        self.opt_str(path).unwrap_or("")
    }

    /// The non-empty string at `path`, or `default`.
    fn str_or(self, path: &[&str], default: &'a str) -> &'a str {
        match self.str(path) {
            "" => default,
            s => s,
        }
    }

    fn opt_int(self, path: &[&str]) -> Option<i64> {
        self.get(path).and_then(int_of)
    }

    /// The integer at `path`, 0 when missing or not a number.
    fn int(self, path: &[&str]) -> i64 {
        self.opt_int(path).unwrap_or(0)
    }

    fn bool(self, path: &[&str]) -> bool {
        self.get(path).and_then(Value::as_bool).unwrap_or(false)
    }

    /// The array at `path`, empty when missing or not an array.
    fn arr(self, path: &[&str]) -> &'a [Value] {
        self.get(path)
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }

    /// The object at `path`, `None` when missing or not an object.
    fn map(self, path: &[&str]) -> Option<&'a serde_json::Map<String, Value>> {
        self.get(path).and_then(Value::as_object)
    }

    fn name(self) -> &'a str {
        self.str(&["metadata", "name"])
    }
}

fn int_of(v: &Value) -> Option<i64> {
    v.as_i64()
        .or_else(|| v.as_u64().map(|u| i64::try_from(u).unwrap_or(i64::MAX)))
        // Go's int decoder would reject 1.0; being lenient costs nothing here.
        .or_else(|| v.as_f64().map(|f| f as i64))
}

fn count(n: usize) -> Value {
    Value::from(i64::try_from(n).unwrap_or(i64::MAX))
}

fn age_of(o: Obj<'_>, now: Timestamp) -> String {
    age(o.str(&["metadata", "creationTimestamp"]), now)
}

fn is_deleting(o: Obj<'_>) -> bool {
    o.has(&["metadata", "deletionTimestamp"])
}

/// The first condition of `type_` in the `conditions` array.
fn condition<'a>(conditions: &'a [Value], type_: &str) -> Option<Obj<'a>> {
    conditions
        .iter()
        .map(Obj)
        .find(|c| c.str(&["type"]) == type_)
}

/// Whether the first condition of `type_` has status `True` (kube's `hasJobCondition`).
fn condition_true(conditions: &[Value], type_: &str) -> bool {
    condition(conditions, type_).is_some_and(|c| c.str(&["status"]) == "True")
}

/// A quantity or int-or-string as kube prints it: strings as stored, numbers in decimal.
fn scalar_string(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The quantity at `path` under `o`, as [`scalar_string`] prints it.
fn quantity(o: Obj<'_>, path: &[&str]) -> Option<String> {
    scalar_string(o.get(path))
}

/// The names and images of a pod template's containers, comma-separated.
fn container_cells(pod_spec: Obj<'_>) -> (String, String) {
    let containers = pod_spec.arr(&["containers"]);
    let names: Vec<&str> = containers.iter().map(|c| Obj(c).str(&["name"])).collect();
    let images: Vec<&str> = containers.iter().map(|c| Obj(c).str(&["image"])).collect();
    (names.join(","), images.join(","))
}

/// kube's `labels.FormatLabels`: `a=b,c=d` sorted by key, `<none>` when empty.
fn format_labels(map: Option<&serde_json::Map<String, Value>>) -> String {
    let mut pairs: Vec<String> = map
        .into_iter()
        .flatten()
        .map(|(k, v)| match v {
            Value::String(s) => format!("{k}={s}"),
            other => format!("{k}={other}"),
        })
        .collect();
    if pairs.is_empty() {
        return "<none>".to_owned();
    }
    pairs.sort();
    pairs.join(",")
}

/// A `metav1.LabelSelector` rendered as `labels.Selector.String()` renders kube's
/// `LabelSelectorAsSelector`: requirements sorted by key, `k=v`, `k in (a,b)`, `k notin (a)`,
/// `k`, `!k`; `""` for a missing or empty selector. `None` where kube's conversion fails (an
/// unknown operator, values that do not fit the operator).
fn selector_string(sel: Obj<'_>) -> Option<String> {
    let sel = match sel.0 {
        Value::Null => return Some(String::new()),
        Value::Object(_) => sel,
        _ => return None,
    };
    let mut reqs: Vec<(&str, String)> = Vec::new();
    match sel.0.get("matchLabels") {
        None | Some(Value::Null) => {}
        Some(Value::Object(labels)) => {
            for (k, v) in labels {
                reqs.push((k.as_str(), format!("{k}={}", v.as_str()?)));
            }
        }
        Some(_) => return None,
    }
    match sel.0.get("matchExpressions") {
        None | Some(Value::Null) => {}
        Some(Value::Array(exprs)) => {
            for expr in exprs.iter().map(Obj) {
                let key = expr.str(&["key"]);
                if key.is_empty() {
                    return None;
                }
                let mut values = expr
                    .arr(&["values"])
                    .iter()
                    .map(|v| v.as_str())
                    .collect::<Option<Vec<&str>>>()?;
                // Values print sorted whatever order they were written in.
                values.sort_unstable();
                let rendered = match (expr.str(&["operator"]), values.is_empty()) {
                    ("In", false) => format!("{key} in ({})", values.join(",")),
                    ("NotIn", false) => format!("{key} notin ({})", values.join(",")),
                    ("Exists", true) => key.to_owned(),
                    ("DoesNotExist", true) => format!("!{key}"),
                    _ => return None,
                };
                reqs.push((key, rendered));
            }
        }
        Some(_) => return None,
    }
    // Stable, so two requirements on one key keep their written order.
    reqs.sort_by(|a, b| a.0.cmp(b.0));
    Some(
        reqs.into_iter()
            .map(|(_, r)| r)
            .collect::<Vec<_>>()
            .join(","),
    )
}

/// kube's `metav1.FormatLabelSelector`: `<none>` when it selects everything or nothing,
/// `<error>` when it is malformed.
fn format_label_selector(sel: Obj<'_>) -> String {
    match selector_string(sel) {
        None => "<error>".to_owned(),
        Some(s) if s.is_empty() => "<none>".to_owned(),
        Some(s) => s,
    }
}

/// Joins non-empty strings with `,`, sorted and deduplicated as kube's string sets print.
fn sorted_set(items: impl IntoIterator<Item = String>) -> String {
    let mut items: Vec<String> = items.into_iter().filter(|s| !s.is_empty()).collect();
    items.sort();
    items.dedup();
    items.join(",")
}

/// The IPs, or hostnames where an entry has no IP, of a load balancer status.
fn load_balancer_ingress(o: Obj<'_>, path: &[&str]) -> String {
    sorted_set(o.arr(path).iter().map(|i| {
        let i = Obj(i);
        i.str_or(&["ip"], i.str(&["hostname"])).to_owned()
    }))
}

// ---------------------------------------------------------------------------------------------
// core/v1
// ---------------------------------------------------------------------------------------------

/// The pod's row. Status follows kube's precedence: a failing init container, then the last
/// container that is waiting or terminated, then the phase (or `status.reason`), with
/// `Terminating` for a pod being deleted.
fn pod_row(o: Obj<'_>, now: Timestamp) -> Vec<Value> {
    let init_specs = o.arr(&["spec", "initContainers"]);
    // Sidecars (init containers with restartPolicy Always) run alongside the main
    // containers, so they count towards READY.
    let is_sidecar = |name: &str| {
        init_specs
            .iter()
            .map(Obj)
            .any(|c| c.str(&["name"]) == name && c.str(&["restartPolicy"]) == "Always")
    };
    let sidecars = init_specs
        .iter()
        .filter(|c| Obj(c).str(&["restartPolicy"]) == "Always")
        .count();
    let total = o.arr(&["spec", "containers"]).len() + sidecars;
    let mut ready = 0usize;
    let mut restarts = 0i64;
    let mut sidecar_restarts = 0i64;
    let mut last_restart: Option<Timestamp> = None;
    let mut last_sidecar_restart: Option<Timestamp> = None;

    let phase = o.str_or(&["status", "phase"], "Pending");
    let mut reason = o.str_or(&["status", "reason"], phase).to_owned();
    let conditions = o.arr(&["status", "conditions"]);
    if conditions
        .iter()
        .map(Obj)
        .any(|c| c.str(&["type"]) == "PodScheduled" && c.str(&["reason"]) == "SchedulingGated")
    {
        reason = "SchedulingGated".to_owned();
    }

    let init_statuses = o.arr(&["status", "initContainerStatuses"]);
    let mut initializing = false;
    for (i, c) in init_statuses.iter().map(Obj).enumerate() {
        let n = c.int(&["restartCount"]);
        let finished = finished_at(c);
        restarts = restarts.saturating_add(n);
        last_restart = last_restart.max(finished);
        let sidecar = is_sidecar(c.str(&["name"]));
        if sidecar {
            sidecar_restarts = sidecar_restarts.saturating_add(n);
            last_sidecar_restart = last_sidecar_restart.max(finished);
        }
        let terminated = c.at(&["state", "terminated"]);
        let waiting_reason = c.str(&["state", "waiting", "reason"]);
        if c.has(&["state", "terminated"]) && terminated.int(&["exitCode"]) == 0 {
            continue;
        }
        if sidecar && c.bool(&["started"]) {
            if c.bool(&["ready"]) {
                ready += 1;
            }
            continue;
        }
        reason = if c.has(&["state", "terminated"]) {
            match terminated.str(&["reason"]) {
                "" => match terminated.int(&["signal"]) {
                    0 => format!("Init:ExitCode:{}", terminated.int(&["exitCode"])),
                    signal => format!("Init:Signal:{signal}"),
                },
                r => format!("Init:{r}"),
            }
        } else if !waiting_reason.is_empty() && waiting_reason != "PodInitializing" {
            format!("Init:{waiting_reason}")
        } else {
            format!("Init:{i}/{}", init_specs.len())
        };
        initializing = true;
        break;
    }

    if !initializing || condition_true(conditions, "Initialized") {
        // Only sidecar restarts matter once initialisation is over.
        restarts = sidecar_restarts;
        last_restart = last_sidecar_restart;
        let mut has_running = false;
        // Walk backwards so the first container's state wins, as kube's does.
        for c in o
            .arr(&["status", "containerStatuses"])
            .iter()
            .rev()
            .map(Obj)
        {
            restarts = restarts.saturating_add(c.int(&["restartCount"]));
            last_restart = last_restart.max(finished_at(c));
            let terminated = c.at(&["state", "terminated"]);
            let waiting_reason = c.str(&["state", "waiting", "reason"]);
            if !waiting_reason.is_empty() {
                reason = waiting_reason.to_owned();
            } else if c.has(&["state", "terminated"]) {
                reason = match terminated.str(&["reason"]) {
                    "" => match terminated.int(&["signal"]) {
                        0 => format!("ExitCode:{}", terminated.int(&["exitCode"])),
                        signal => format!("Signal:{signal}"),
                    },
                    r => r.to_owned(),
                };
            } else if c.bool(&["ready"]) && c.has(&["state", "running"]) {
                has_running = true;
                ready += 1;
            }
        }
        // A completed container next to a running one does not make the pod Completed.
        if reason == "Completed" && has_running {
            reason = if condition_true(conditions, "Ready") {
                "Running".to_owned()
            } else {
                "NotReady".to_owned()
            };
        }
    }

    if is_deleting(o) && o.str(&["status", "reason"]) == "NodeLost" {
        reason = "Unknown".to_owned();
    } else if is_deleting(o) && phase != "Succeeded" && phase != "Failed" {
        reason = "Terminating".to_owned();
    }

    let restarts_cell = match last_restart {
        Some(at) if restarts != 0 => {
            format!(
                "{restarts} ({} ago)",
                human_duration(now.duration_since(at))
            )
        }
        _ => restarts.to_string(),
    };

    let ip = o
        .arr(&["status", "podIPs"])
        .first()
        .map(|ip| Obj(ip).str(&["ip"]))
        .filter(|ip| !ip.is_empty())
        .unwrap_or_else(|| o.str_or(&["status", "podIP"], "<none>"));
    let gates = o.arr(&["spec", "readinessGates"]);
    let readiness_gates = if gates.is_empty() {
        "<none>".to_owned()
    } else {
        let passing = gates
            .iter()
            .filter(|g| {
                condition(conditions, Obj(g).str(&["conditionType"]))
                    .is_some_and(|c| c.str(&["status"]) == "True")
            })
            .count();
        format!("{passing}/{}", gates.len())
    };

    vec![
        o.name().into(),
        format!("{ready}/{total}").into(),
        reason.into(),
        restarts_cell.into(),
        age_of(o, now).into(),
        ip.into(),
        o.str_or(&["spec", "nodeName"], "<none>").into(),
        o.str_or(&["status", "nominatedNodeName"], "<none>").into(),
        readiness_gates.into(),
    ]
}

/// When a container last terminated, if its previous run ended.
fn finished_at(status: Obj<'_>) -> Option<Timestamp> {
    status
        .opt_str(&["lastState", "terminated", "finishedAt"])
        .and_then(|t| t.parse().ok())
}

fn service_row(o: Obj<'_>, now: Timestamp) -> Vec<Value> {
    let spec = o.at(&["spec"]);
    let type_ = spec.str_or(&["type"], "ClusterIP");
    let cluster_ip = spec
        .arr(&["clusterIPs"])
        .first()
        .and_then(Value::as_str)
        .filter(|ip| !ip.is_empty())
        .unwrap_or_else(|| spec.str_or(&["clusterIP"], "<none>"));
    let external_ips: Vec<&str> = spec
        .arr(&["externalIPs"])
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let external_ip = match type_ {
        "ClusterIP" | "NodePort" if external_ips.is_empty() => "<none>".to_owned(),
        "ClusterIP" | "NodePort" => external_ips.join(","),
        "LoadBalancer" => {
            let lb = load_balancer_ingress(o, &["status", "loadBalancer", "ingress"]);
            let mut all: Vec<&str> = lb.split(',').filter(|s| !s.is_empty()).collect();
            all.extend(&external_ips);
            if all.is_empty() {
                "<pending>".to_owned()
            } else {
                all.join(",")
            }
        }
        "ExternalName" => spec.str(&["externalName"]).to_owned(),
        _ => "<unknown>".to_owned(),
    };
    let ports: Vec<String> = spec
        .arr(&["ports"])
        .iter()
        .map(Obj)
        .map(|p| {
            let protocol = p.str_or(&["protocol"], "TCP");
            match p.int(&["nodePort"]) {
                n if n > 0 => format!("{}:{n}/{protocol}", p.int(&["port"])),
                _ => format!("{}/{protocol}", p.int(&["port"])),
            }
        })
        .collect();
    let ports = if ports.is_empty() {
        "<none>".to_owned()
    } else {
        ports.join(",")
    };
    vec![
        o.name().into(),
        type_.into(),
        cluster_ip.into(),
        external_ip.into(),
        ports.into(),
        age_of(o, now).into(),
        format_labels(spec.map(&["selector"])).into(),
    ]
}

fn config_map_row(o: Obj<'_>, now: Timestamp) -> Vec<Value> {
    let keys =
        o.map(&["data"]).map_or(0, |m| m.len()) + o.map(&["binaryData"]).map_or(0, |m| m.len());
    vec![o.name().into(), count(keys), age_of(o, now).into()]
}

fn secret_row(o: Obj<'_>, now: Timestamp) -> Vec<Value> {
    // kube folds write-only stringData into data before storing; count the union in case
    // this object has not been through that.
    let mut keys: Vec<&String> = o
        .map(&["data"])
        .into_iter()
        .chain(o.map(&["stringData"]))
        .flat_map(|m| m.keys())
        .collect();
    keys.sort();
    keys.dedup();
    vec![
        o.name().into(),
        o.str_or(&["type"], "Opaque").into(),
        count(keys.len()),
        age_of(o, now).into(),
    ]
}

fn service_account_row(o: Obj<'_>, now: Timestamp) -> Vec<Value> {
    vec![
        o.name().into(),
        count(o.arr(&["secrets"]).len()),
        age_of(o, now).into(),
    ]
}

fn namespace_row(o: Obj<'_>, now: Timestamp) -> Vec<Value> {
    vec![
        o.name().into(),
        o.str_or(&["status", "phase"], "Active").into(),
        age_of(o, now).into(),
    ]
}

fn node_row(o: Obj<'_>, now: Timestamp) -> Vec<Value> {
    let conditions = o.arr(&["status", "conditions"]);
    // kube keys conditions by type, so a repeated Ready condition's last entry wins.
    let ready = conditions
        .iter()
        .map(Obj)
        .rfind(|c| c.str(&["type"]) == "Ready");
    let mut status = vec![match ready {
        Some(c) if c.str(&["status"]) == "True" => "Ready",
        Some(_) => "NotReady",
        None => "Unknown",
    }];
    if o.bool(&["spec", "unschedulable"]) {
        status.push("SchedulingDisabled");
    }
    let roles = sorted_set(
        o.map(&["metadata", "labels"])
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| {
                if let Some(role) = k.strip_prefix("node-role.kubernetes.io/") {
                    Some(role.to_owned())
                } else if k == "kubernetes.io/role" {
                    v.as_str().map(str::to_owned)
                } else {
                    None
                }
            }),
    );
    let roles = if roles.is_empty() {
        "<none>".to_owned()
    } else {
        roles
    };
    let address = |type_: &str| {
        o.arr(&["status", "addresses"])
            .iter()
            .map(Obj)
            .find(|a| a.str(&["type"]) == type_)
            .map_or("<none>", |a| a.str(&["address"]))
    };
    let info = o.at(&["status", "nodeInfo"]);
    vec![
        o.name().into(),
        status.join(",").into(),
        roles.into(),
        age_of(o, now).into(),
        info.str(&["kubeletVersion"]).into(),
        address("InternalIP").into(),
        address("ExternalIP").into(),
        info.str_or(&["osImage"], "<unknown>").into(),
        info.str_or(&["kernelVersion"], "<unknown>").into(),
        info.str_or(&["containerRuntimeVersion"], "<unknown>")
            .into(),
    ]
}

/// Where an Event's fields live: core/v1 and events.k8s.io/v1 name them differently.
struct EventFields {
    regarding: &'static str,
    message: &'static str,
    first: &'static str,
    last: &'static str,
    count: &'static str,
    source: &'static str,
}

const CORE_EVENT: EventFields = EventFields {
    regarding: "involvedObject",
    message: "message",
    first: "firstTimestamp",
    last: "lastTimestamp",
    count: "count",
    source: "source",
};

// The field mapping of kube's events.k8s.io/v1 ⇄ core conversion.
const EVENTS_V1_EVENT: EventFields = EventFields {
    regarding: "regarding",
    message: "note",
    first: "deprecatedFirstTimestamp",
    last: "deprecatedLastTimestamp",
    count: "deprecatedCount",
    source: "deprecatedSource",
};

fn core_event_row(o: Obj<'_>, now: Timestamp) -> Vec<Value> {
    event_row(o, now, &CORE_EVENT)
}

fn events_v1_event_row(o: Obj<'_>, now: Timestamp) -> Vec<Value> {
    event_row(o, now, &EVENTS_V1_EVENT)
}

/// An Event's row. Events written through events.k8s.io carry `eventTime` and `series`
/// instead of first/last timestamps and a count, so those stand in.
fn event_row(o: Obj<'_>, now: Timestamp, f: &EventFields) -> Vec<Value> {
    let first = match o.str(&[f.first]) {
        "" => age(o.str(&["eventTime"]), now),
        t => age(t, now),
    };
    let mut last = match o.str(&[f.last]) {
        "" => first.clone(),
        t => age(t, now),
    };
    let mut n = o.int(&[f.count]);
    if o.has(&["series"]) {
        last = age(o.str(&["series", "lastObservedTime"]), now);
        n = o.int(&["series", "count"]);
    } else if n == 0 {
        // Singleton events leave the count unset in the new API.
        n = 1;
    }
    let regarding = o.at(&[f.regarding]);
    let kind = regarding.str(&["kind"]).to_lowercase();
    let target = match regarding.str(&["name"]) {
        "" => kind,
        name => format!("{kind}/{name}"),
    };
    let component = o.str_or(&[f.source, "component"], o.str(&["reportingController"]));
    let host = o.str_or(&[f.source, "host"], o.str(&["reportingInstance"]));
    let source = if host.is_empty() {
        component.to_owned()
    } else {
        format!("{component}, {host}")
    };
    vec![
        last.into(),
        o.str(&["type"]).into(),
        o.str(&["reason"]).into(),
        target.into(),
        regarding.str(&["fieldPath"]).into(),
        source.into(),
        o.str(&[f.message]).trim().into(),
        first.into(),
        n.into(),
        o.name().into(),
    ]
}

fn pvc_row(o: Obj<'_>, now: Timestamp) -> Vec<Value> {
    let phase = if is_deleting(o) {
        "Terminating"
    } else {
        o.str_or(&["status", "phase"], "Pending")
    };
    let volume = o.str(&["spec", "volumeName"]);
    // Capacity and access modes describe the bound volume, so an unbound claim shows none.
    let (capacity, modes) = if volume.is_empty() {
        (String::new(), String::new())
    } else {
        (
            scalar_string(o.get(&["status", "capacity", "storage"])).unwrap_or_else(|| "0".into()),
            access_modes(o.arr(&["status", "accessModes"])),
        )
    };
    let class = o
        .opt_str(&[
            "metadata",
            "annotations",
            "volume.beta.kubernetes.io/storage-class",
        ])
        .unwrap_or_else(|| o.str(&["spec", "storageClassName"]));
    vec![
        o.name().into(),
        phase.into(),
        volume.into(),
        capacity.into(),
        modes.into(),
        class.into(),
        o.str_or(&["spec", "volumeAttributesClassName"], "<unset>")
            .into(),
        age_of(o, now).into(),
        o.str_or(&["spec", "volumeMode"], "Filesystem").into(),
    ]
}

/// Access modes abbreviated in kube's fixed order, whatever order they were written in.
fn access_modes(modes: &[Value]) -> String {
    const ABBREVIATIONS: [(&str, &str); 4] = [
        ("ReadWriteOnce", "RWO"),
        ("ReadOnlyMany", "ROX"),
        ("ReadWriteMany", "RWX"),
        ("ReadWriteOncePod", "RWOP"),
    ];
    ABBREVIATIONS
        .iter()
        .filter(|(mode, _)| modes.iter().any(|m| m.as_str() == Some(*mode)))
        .map(|(_, short)| *short)
        .collect::<Vec<_>>()
        .join(",")
}

fn resource_quota_row(o: Obj<'_>, now: Timestamp) -> Vec<Value> {
    let mut resources: Vec<(&String, &Value)> =
        o.map(&["status", "hard"]).into_iter().flatten().collect();
    resources.sort_by(|a, b| a.0.cmp(b.0));
    let mut requests = Vec::new();
    let mut limits = Vec::new();
    for (resource, hard) in resources {
        let used =
            scalar_string(o.get(&["status", "used", resource])).unwrap_or_else(|| "0".into());
        let hard = scalar_string(Some(hard)).unwrap_or_else(|| "0".into());
        let entry = format!("{resource}: {used}/{hard}");
        // "limits.cpu" goes to LIMIT; "cpu", "requests.cpu" and counts go to REQUEST.
        if resource
            .split_once('.')
            .is_some_and(|(prefix, _)| prefix == "limits")
        {
            limits.push(entry);
        } else {
            requests.push(entry);
        }
    }
    vec![
        o.name().into(),
        age_of(o, now).into(),
        requests.join(", ").into(),
        limits.join(", ").into(),
    ]
}

/// The apiserver's default convertor: name and the creation time in RFC 3339, UTC.
fn created_at_row(o: Obj<'_>, _now: Timestamp) -> Vec<Value> {
    let created = o.str(&["metadata", "creationTimestamp"]);
    let created_at = match created.parse::<Timestamp>() {
        Ok(t) => t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        // Go formats the zero time for an unset timestamp.
        Err(_) if created.is_empty() => "0001-01-01T00:00:00Z".to_owned(),
        Err(_) => created.to_owned(),
    };
    vec![o.name().into(), created_at.into()]
}

// ---------------------------------------------------------------------------------------------
// apps/v1, batch/v1
// ---------------------------------------------------------------------------------------------

/// `spec.replicas`, which apps/v1 defaults to 1.
fn desired_replicas(o: Obj<'_>) -> i64 {
    o.opt_int(&["spec", "replicas"]).unwrap_or(1)
}

fn deployment_row(o: Obj<'_>, now: Timestamp) -> Vec<Value> {
    let (names, images) = container_cells(o.at(&["spec", "template", "spec"]));
    // Deployments print the raw selector string: empty rather than <none>.
    let selector =
        selector_string(o.at(&["spec", "selector"])).unwrap_or_else(|| "<invalid>".to_owned());
    vec![
        o.name().into(),
        format!(
            "{}/{}",
            o.int(&["status", "readyReplicas"]),
            desired_replicas(o)
        )
        .into(),
        o.int(&["status", "updatedReplicas"]).into(),
        o.int(&["status", "availableReplicas"]).into(),
        age_of(o, now).into(),
        names.into(),
        images.into(),
        selector.into(),
    ]
}

fn replica_set_row(o: Obj<'_>, now: Timestamp) -> Vec<Value> {
    let (names, images) = container_cells(o.at(&["spec", "template", "spec"]));
    vec![
        o.name().into(),
        desired_replicas(o).into(),
        o.int(&["status", "replicas"]).into(),
        o.int(&["status", "readyReplicas"]).into(),
        age_of(o, now).into(),
        names.into(),
        images.into(),
        format_label_selector(o.at(&["spec", "selector"])).into(),
    ]
}

fn stateful_set_row(o: Obj<'_>, now: Timestamp) -> Vec<Value> {
    let (names, images) = container_cells(o.at(&["spec", "template", "spec"]));
    vec![
        o.name().into(),
        format!(
            "{}/{}",
            o.int(&["status", "readyReplicas"]),
            desired_replicas(o)
        )
        .into(),
        age_of(o, now).into(),
        names.into(),
        images.into(),
    ]
}

fn daemon_set_row(o: Obj<'_>, now: Timestamp) -> Vec<Value> {
    let pod_spec = o.at(&["spec", "template", "spec"]);
    let (names, images) = container_cells(pod_spec);
    let status = o.at(&["status"]);
    vec![
        o.name().into(),
        status.int(&["desiredNumberScheduled"]).into(),
        status.int(&["currentNumberScheduled"]).into(),
        status.int(&["numberReady"]).into(),
        status.int(&["updatedNumberScheduled"]).into(),
        status.int(&["numberAvailable"]).into(),
        format_labels(pod_spec.map(&["nodeSelector"])).into(),
        age_of(o, now).into(),
        names.into(),
        images.into(),
        format_label_selector(o.at(&["spec", "selector"])).into(),
    ]
}

fn job_row(o: Obj<'_>, now: Timestamp) -> Vec<Value> {
    let succeeded = o.int(&["status", "succeeded"]);
    let completions = match (
        o.opt_int(&["spec", "completions"]),
        o.int(&["spec", "parallelism"]),
    ) {
        (Some(c), _) => format!("{succeeded}/{c}"),
        // A work-queue job finishes on its first success, however many pods run at once.
        (None, p) if p > 1 => format!("{succeeded}/1 of {p}"),
        (None, _) => format!("{succeeded}/1"),
    };
    let start = o
        .opt_str(&["status", "startTime"])
        .and_then(|t| t.parse::<Timestamp>().ok());
    let end = o
        .opt_str(&["status", "completionTime"])
        .and_then(|t| t.parse::<Timestamp>().ok());
    let duration = match (start, end) {
        (None, _) => String::new(),
        (Some(start), None) => human_duration(now.duration_since(start)),
        (Some(start), Some(end)) => human_duration(end.duration_since(start)),
    };
    let conditions = o.arr(&["status", "conditions"]);
    let status = if condition_true(conditions, "Complete") {
        "Complete"
    } else if condition_true(conditions, "Failed") {
        "Failed"
    } else if is_deleting(o) {
        "Terminating"
    } else if condition_true(conditions, "Suspended") {
        "Suspended"
    } else if condition_true(conditions, "FailureTarget") {
        "FailureTarget"
    } else {
        "Running"
    };
    let (names, images) = container_cells(o.at(&["spec", "template", "spec"]));
    vec![
        o.name().into(),
        status.into(),
        completions.into(),
        duration.into(),
        age_of(o, now).into(),
        names.into(),
        images.into(),
        format_label_selector(o.at(&["spec", "selector"])).into(),
    ]
}

fn cron_job_row(o: Obj<'_>, now: Timestamp) -> Vec<Value> {
    let job_spec = o.at(&["spec", "jobTemplate", "spec"]);
    let (names, images) = container_cells(job_spec.at(&["template", "spec"]));
    let last_schedule = match o.opt_str(&["status", "lastScheduleTime"]) {
        Some(t) => age(t, now),
        None => "<none>".to_owned(),
    };
    // kube prints the boolean as a word; batch/v1 defaults suspend to false.
    let suspend = if o.bool(&["spec", "suspend"]) {
        "True"
    } else {
        "False"
    };
    vec![
        o.name().into(),
        o.str(&["spec", "schedule"]).into(),
        o.str_or(&["spec", "timeZone"], "<none>").into(),
        suspend.into(),
        count(o.arr(&["status", "active"]).len()),
        last_schedule.into(),
        age_of(o, now).into(),
        names.into(),
        images.into(),
        format_label_selector(job_spec.at(&["selector"])).into(),
    ]
}

// ---------------------------------------------------------------------------------------------
// networking, autoscaling, coordination, policy, rbac
// ---------------------------------------------------------------------------------------------

fn ingress_row(o: Obj<'_>, now: Timestamp) -> Vec<Value> {
    const MAX_HOSTS: usize = 3;
    let rules = o.arr(&["spec", "rules"]);
    // kube's formatHosts: collect up to three hosts, and only call it "more" when a rule
    // follows the third; the count then includes every rule past three, host or not.
    let mut hosts: Vec<&str> = Vec::new();
    let mut more = false;
    for rule in rules.iter().map(Obj) {
        if hosts.len() == MAX_HOSTS {
            more = true;
        }
        let host = rule.str(&["host"]);
        if !more && !host.is_empty() {
            hosts.push(host);
        }
    }
    let hosts = if hosts.is_empty() {
        "*".to_owned()
    } else if more {
        format!(
            "{} + {} more...",
            hosts.join(","),
            rules.len().saturating_sub(MAX_HOSTS)
        )
    } else {
        hosts.join(",")
    };
    let ports = if o.arr(&["spec", "tls"]).is_empty() {
        "80"
    } else {
        "80, 443"
    };
    vec![
        o.name().into(),
        o.str_or(&["spec", "ingressClassName"], "<none>").into(),
        hosts.into(),
        load_balancer_ingress(o, &["status", "loadBalancer", "ingress"]).into(),
        ports.into(),
        age_of(o, now).into(),
    ]
}

fn network_policy_row(o: Obj<'_>, now: Timestamp) -> Vec<Value> {
    vec![
        o.name().into(),
        format_label_selector(o.at(&["spec", "podSelector"])).into(),
        age_of(o, now).into(),
    ]
}

fn hpa_row(o: Obj<'_>, now: Timestamp) -> Vec<Value> {
    let target = o.at(&["spec", "scaleTargetRef"]);
    // autoscaling defaults minReplicas to 1.
    let min = o.opt_int(&["spec", "minReplicas"]).unwrap_or(1);
    vec![
        o.name().into(),
        format!("{}/{}", target.str(&["kind"]), target.str(&["name"])).into(),
        hpa_targets(o).into(),
        min.to_string().into(),
        o.int(&["spec", "maxReplicas"]).into(),
        o.int(&["status", "currentReplicas"]).into(),
        age_of(o, now).into(),
    ]
}

/// The HPA's metrics as `current/target`, at most two then `+ N more...`, as kube's
/// `formatHPAMetrics` prints them. Accepts autoscaling/v2 and v1 objects.
fn hpa_targets(o: Obj<'_>) -> String {
    const MAX: usize = 2;
    let specs = o.arr(&["spec", "metrics"]);
    let statuses = o.arr(&["status", "currentMetrics"]);
    if specs.is_empty() {
        // autoscaling/v1's single CPU target, which kube defaults to 80% when unset.
        let target = o
            .opt_int(&["spec", "targetCPUUtilizationPercentage"])
            .unwrap_or(80);
        let current = o
            .opt_int(&["status", "currentCPUUtilizationPercentage"])
            .map_or_else(|| "<unknown>".to_owned(), |c| format!("{c}%"));
        return format!("cpu: {current}/{target}%");
    }
    let unknown = || "<unknown>".to_owned();
    let list: Vec<String> = specs
        .iter()
        .map(Obj)
        .enumerate()
        .map(|(i, spec)| {
            let status = statuses.get(i).map_or(Obj(&NULL), Obj);
            match spec.str(&["type"]) {
                source @ ("External" | "Object") => {
                    let field = if source == "External" {
                        "external"
                    } else {
                        "object"
                    };
                    let target = spec.at(&[field, "target"]);
                    let current = status.at(&[field, "current"]);
                    match quantity(target, &["averageValue"]) {
                        Some(avg) => format!(
                            "{}/{avg} (avg)",
                            quantity(current, &["averageValue"]).unwrap_or_else(unknown)
                        ),
                        None => format!(
                            "{}/{}",
                            quantity(current, &["value"]).unwrap_or_else(unknown),
                            quantity(target, &["value"]).unwrap_or_else(unknown)
                        ),
                    }
                }
                "Pods" => format!(
                    "{}/{}",
                    quantity(status, &["pods", "current", "averageValue"]).unwrap_or_else(unknown),
                    quantity(spec, &["pods", "target", "averageValue"]).unwrap_or_else(unknown)
                ),
                source @ ("Resource" | "ContainerResource") => {
                    let field = if source == "Resource" {
                        "resource"
                    } else {
                        "containerResource"
                    };
                    let name = spec.str(&[field, "name"]);
                    let target = spec.at(&[field, "target"]);
                    let current = status.at(&[field, "current"]);
                    match quantity(target, &["averageValue"]) {
                        Some(avg) => format!(
                            "{name}: {}/{avg}",
                            quantity(current, &["averageValue"]).unwrap_or_else(unknown)
                        ),
                        None => format!(
                            "{name}: {}/{}",
                            current
                                .opt_int(&["averageUtilization"])
                                .map_or_else(unknown, |u| format!("{u}%")),
                            target
                                .opt_int(&["averageUtilization"])
                                .map_or_else(|| "<auto>".to_owned(), |u| format!("{u}%"))
                        ),
                    }
                }
                _ => "<unknown type>".to_owned(),
            }
        })
        .collect();
    if list.len() > MAX {
        format!("{} + {} more...", list[..MAX].join(", "), list.len() - MAX)
    } else {
        list.join(", ")
    }
}

fn lease_row(o: Obj<'_>, now: Timestamp) -> Vec<Value> {
    vec![
        o.name().into(),
        o.str(&["spec", "holderIdentity"]).into(),
        age_of(o, now).into(),
    ]
}

fn pdb_row(o: Obj<'_>, now: Timestamp) -> Vec<Value> {
    let bound =
        |field: &str| scalar_string(o.get(&["spec", field])).unwrap_or_else(|| "N/A".to_owned());
    vec![
        o.name().into(),
        bound("minAvailable").into(),
        bound("maxUnavailable").into(),
        o.int(&["status", "disruptionsAllowed"]).into(),
        age_of(o, now).into(),
    ]
}

fn role_binding_row(o: Obj<'_>, now: Timestamp) -> Vec<Value> {
    let role_ref = o.at(&["roleRef"]);
    let (mut users, mut groups, mut service_accounts) = (Vec::new(), Vec::new(), Vec::new());
    for s in o.arr(&["subjects"]).iter().map(Obj) {
        match s.str(&["kind"]) {
            "User" => users.push(s.str(&["name"]).to_owned()),
            "Group" => groups.push(s.str(&["name"]).to_owned()),
            "ServiceAccount" => {
                service_accounts.push(format!("{}/{}", s.str(&["namespace"]), s.str(&["name"])))
            }
            // kube drops subjects of other kinds from the table.
            _ => {}
        }
    }
    vec![
        o.name().into(),
        format!("{}/{}", role_ref.str(&["kind"]), role_ref.str(&["name"])).into(),
        age_of(o, now).into(),
        users.join(", ").into(),
        groups.join(", ").into(),
        service_accounts.join(", ").into(),
    ]
}

// ---------------------------------------------------------------------------------------------
// Karmada
// ---------------------------------------------------------------------------------------------

fn cluster_row(o: Obj<'_>, now: Timestamp) -> Vec<Value> {
    let ready = condition(o.arr(&["status", "conditions"]), "Ready")
        .map_or("Unknown", |c| c.str(&["status"]));
    let zones: Vec<&str> = o
        .arr(&["spec", "zones"])
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let zones = if zones.is_empty() {
        "<none>".to_owned()
    } else {
        zones.join(",")
    };
    vec![
        o.name().into(),
        o.str(&["status", "kubernetesVersion"]).into(),
        o.str(&["spec", "syncMode"]).into(),
        ready.into(),
        age_of(o, now).into(),
        zones.into(),
        o.str_or(&["spec", "region"], "<none>").into(),
        o.str_or(&["spec", "provider"], "<none>").into(),
        o.str(&["spec", "apiEndpoint"]).into(),
        o.str_or(&["spec", "proxyURL"], "<none>").into(),
    ]
}

/// A CRD printer column reading a condition's status; kubectl shows a missing value as
/// `<none>`, so that is what we send.
fn condition_status_cell(o: Obj<'_>, type_: &str) -> Value {
    condition(o.arr(&["status", "conditions"]), type_)
        .and_then(|c| c.opt_str(&["status"]))
        .unwrap_or("<none>")
        .into()
}

fn binding_row(o: Obj<'_>, now: Timestamp) -> Vec<Value> {
    vec![
        o.name().into(),
        condition_status_cell(o, "Scheduled"),
        condition_status_cell(o, "FullyApplied"),
        age_of(o, now).into(),
    ]
}

fn work_row(o: Obj<'_>, now: Timestamp) -> Vec<Value> {
    // apiextensions keeps only the first result of a `[*]` JSONPath.
    let kind = o
        .arr(&["spec", "workload", "manifests"])
        .first()
        .and_then(|m| Obj(m).opt_str(&["kind"]))
        .unwrap_or("<none>");
    vec![
        o.name().into(),
        kind.into(),
        condition_status_cell(o, "Applied"),
        age_of(o, now).into(),
    ]
}

fn propagation_policy_row(o: Obj<'_>, now: Timestamp) -> Vec<Value> {
    // Both fields have CRD schema defaults, so a stored policy always carries them.
    let priority = scalar_string(o.get(&["spec", "priority"])).unwrap_or_else(|| "0".to_owned());
    vec![
        o.name().into(),
        o.str_or(&["spec", "conflictResolution"], "Abort").into(),
        priority.into(),
        age_of(o, now).into(),
    ]
}

fn crd_age_row(o: Obj<'_>, now: Timestamp) -> Vec<Value> {
    vec![o.name().into(), age_of(o, now).into()]
}

#[cfg(test)]
#[path = "printers_tests.rs"]
mod tests;
