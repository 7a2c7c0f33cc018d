//! kube-apiserver's defaulting for built-in kinds, as a pure function over `serde_json::Value`.
//!
//! kube-apiserver decodes every create and update into Go structs and runs the group's
//! `SetDefaults_*` functions (`pkg/apis/<group>/<version>/defaults.go`) through the generated
//! `zz_generated.defaults.go`, which applies each type's defaulter wherever that type is embedded
//! (every `PodSpec`, `Container`, `Probe`, `Volume`, ...). [`apply_defaults`] reproduces that for
//! v1.33 with its default feature gates, so objects Flotilla stores and serves carry the same
//! fields kube's would.
//!
//! What "unset" means follows Go's decoder, not JSON: a field is unset when it is missing or
//! `null`, and a non-pointer Go field (`restartPolicy`, `imagePullPolicy`, probe `timeoutSeconds`,
//! port `protocol`, ...) is also unset at its zero value (`""`, `0`), exactly as kube sees it. A
//! pointer field set to its zero value (`replicas: 0`, `suspend: false`) is kept. A field holding
//! a value of the wrong JSON type is left alone: kube would reject the request while decoding.
//! Nothing here panics, whatever the input.
//!
//! Kube itself overwrites user input in three places, and so does this module:
//! - a Namespace's `kubernetes.io/metadata.name` label is always set to its name;
//! - a Service with `sessionAffinity: None` loses any `sessionAffinityConfig`;
//! - a Service port whose `targetPort` is `0` or `""` gets its `port`.
//!
//! Beyond `defaults.go`, two things the rest of kube-apiserver does are folded in because every
//! stored object shows them: a Service's `ipFamilyPolicy` / `ipFamilies`, which kube sets while
//! allocating cluster IPs (this module assumes a single-stack IPv4 cluster, see
//! [`SERVICE_IP_FAMILY`]), and the empty structs Go's encoder always writes for non-pointer
//! struct fields: a container's `resources: {}` and a NetworkPolicy's `podSelector: {}`.
//! [`job_selector_defaults`] is the Job strategy's selector generation, separate because it
//! needs the object's uid.
//!
//! Not covered, knowingly: admission plugins (ServiceAccount, Priority, DefaultStorageClass,
//! DefaultTolerationSeconds, LimitRanger, ...), registry strategies (`status` resets, Pod
//! `phase`/`qosClass`, Namespace `spec.finalizers`, `generation`, `clusterIPs` normalisation,
//! cluster IP and node port allocation), quantity canonicalisation and the milli-scale round-up
//! of `SetDefaults_ResourceList`, the encoder's `creationTimestamp: null` in embedded templates
//! and `rules: null` in RBAC roles, feature-gated defaults that are off in v1.33 (pod-level
//! resources), and groups not listed in [`apply_defaults`].

use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Map, Value, json};

type Obj = Map<String, Value>;

/// The IP family of the cluster's (single) service CIDR, which kube gives every Service that
/// does not say otherwise.
pub const SERVICE_IP_FAMILY: &str = "IPv4";

const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

/// Fills in, where unset, every field kube-apiserver v1.33 defaults when it decodes an object of
/// `kind` in API `group` (`""` or `"core"` for the core group). `FooList` kinds default each of
/// their `items` as a `Foo`. Unknown kinds and non-object values are left untouched.
///
/// Covered kinds: core `Pod`, `PodTemplate`, `ReplicationController`, `Service`, `Secret`,
/// `Namespace`, `PersistentVolume`, `PersistentVolumeClaim`, `Endpoints`, `Node`, `LimitRange`;
/// apps `Deployment`, `ReplicaSet`, `StatefulSet`, `DaemonSet`; batch `Job`, `CronJob`;
/// autoscaling `HorizontalPodAutoscaler` (v2, and v1 when `apiVersion` says so); networking
/// `NetworkPolicy`, `IngressClass`; rbac `RoleBinding`, `ClusterRoleBinding`; discovery
/// `EndpointSlice`; storage `StorageClass`, `CSIDriver`; scheduling `PriorityClass`;
/// admissionregistration `ValidatingWebhookConfiguration`, `MutatingWebhookConfiguration`,
/// `ValidatingAdmissionPolicy`, `ValidatingAdmissionPolicyBinding`. Kinds kube has no
/// defaults for (ConfigMap, ServiceAccount, Ingress, PodDisruptionBudget, Lease, Role, ...) are
/// no-ops.
///
/// A Service's `ipFamilyPolicy` and `ipFamilies` get their create-time values. On an update
/// kube keeps the old object's policy when the new one omits it, so the caller should carry
/// those two fields over from the stored object before calling this.
pub fn apply_defaults(group: &str, kind: &str, obj: &mut Value) {
    let Some(o) = obj.as_object_mut() else {
        return;
    };
    let group = if group == "core" { "" } else { group };
    if let Some(item_kind) = kind.strip_suffix("List")
        && !item_kind.is_empty()
        && let Some(items) = o.get_mut("items").and_then(Value::as_array_mut)
    {
        for item in items {
            apply_defaults(group, item_kind, item);
        }
        return;
    }
    match (group, kind) {
        ("", "Pod") => pod(o),
        ("", "PodTemplate") => {
            if let Some(t) = child(o, "template") {
                pod_template(t);
            }
        }
        ("", "ReplicationController") => replication_controller(o),
        ("", "Service") => service(o),
        ("", "Secret") => default_str(o, "type", "Opaque"),
        ("", "Namespace") => namespace(o),
        ("", "PersistentVolume") => persistent_volume(o),
        ("", "PersistentVolumeClaim") => persistent_volume_claim(o),
        ("", "Endpoints") => endpoints(o),
        ("", "Node") => node(o),
        ("", "LimitRange") => limit_range(o),
        ("apps", "Deployment") => deployment(o),
        ("apps", "ReplicaSet") => replica_set(o),
        ("apps", "StatefulSet") => stateful_set(o),
        ("apps", "DaemonSet") => daemon_set(o),
        ("batch", "Job") => job(o),
        ("batch", "CronJob") => cron_job(o),
        ("autoscaling", "HorizontalPodAutoscaler") => hpa(o),
        ("networking.k8s.io", "NetworkPolicy") => network_policy(o),
        ("networking.k8s.io", "IngressClass") => {
            if let Some(p) = child(o, "spec").and_then(|s| existing(s, "parameters")) {
                default_ptr(p, "scope", "Cluster");
            }
        }
        (RBAC_GROUP, "RoleBinding" | "ClusterRoleBinding") => role_binding(o),
        ("discovery.k8s.io", "EndpointSlice") => {
            for p in items(o, "ports") {
                default_ptr(p, "name", "");
                default_ptr(p, "protocol", "TCP");
            }
        }
        ("storage.k8s.io", "StorageClass") => {
            default_ptr(o, "reclaimPolicy", "Delete");
            default_ptr(o, "volumeBindingMode", "Immediate");
        }
        ("storage.k8s.io", "CSIDriver") => csi_driver(o),
        ("scheduling.k8s.io", "PriorityClass") => {
            default_ptr(o, "preemptionPolicy", "PreemptLowerPriority");
        }
        ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration") => {
            for w in items(o, "webhooks") {
                webhook(w, false);
            }
        }
        ("admissionregistration.k8s.io", "MutatingWebhookConfiguration") => {
            for w in items(o, "webhooks") {
                webhook(w, true);
            }
        }
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy") => {
            if let Some(spec) = child(o, "spec") {
                default_ptr(spec, "failurePolicy", "Fail");
                if let Some(m) = existing(spec, "matchConstraints") {
                    match_resources(m);
                }
            }
        }
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding") => {
            if let Some(m) = child(o, "spec").and_then(|s| existing(s, "matchResources")) {
                match_resources(m);
            }
        }
        _ => {}
    }
}

/// The Job registry strategy's selector generation (`generateSelector`), which kube runs on
/// create after defaulting, once the name and uid are known: unless `spec.manualSelector` is
/// true, the pod template gets the labels `batch.kubernetes.io/controller-uid` and
/// `controller-uid` (the uid) and `batch.kubernetes.io/job-name` and `job-name` (the name),
/// each only where the template does not already have it, and `spec.selector.matchLabels` gets
/// `batch.kubernetes.io/controller-uid` unless present. Does nothing when `metadata.uid` is
/// missing or empty: call it after the uid is assigned.
pub fn job_selector_defaults(obj: &mut Value) {
    let Some(o) = obj.as_object_mut() else {
        return;
    };
    let meta = o.get("metadata").and_then(Value::as_object);
    let uid = match meta.and_then(|m| m.get("uid")).and_then(Value::as_str) {
        Some(uid) if !uid.is_empty() => uid.to_owned(),
        _ => return,
    };
    let name = meta
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let Some(spec) = child(o, "spec") else {
        return;
    };
    if spec.get("manualSelector") == Some(&Value::Bool(true)) {
        return;
    }
    let labels = child(spec, "template")
        .and_then(|t| child(t, "metadata"))
        .and_then(|m| child(m, "labels"));
    if let Some(labels) = labels {
        for (key, value) in [
            ("job-name", &name),
            ("batch.kubernetes.io/job-name", &name),
            ("controller-uid", &uid),
            ("batch.kubernetes.io/controller-uid", &uid),
        ] {
            labels
                .entry(key)
                .or_insert_with(|| Value::String(value.clone()));
        }
    }
    if let Some(match_labels) = child(spec, "selector").and_then(|s| child(s, "matchLabels")) {
        match_labels
            .entry("batch.kubernetes.io/controller-uid")
            .or_insert(Value::String(uid));
    }
}

// ---------------------------------------------------------------------------------------------
// JSON helpers. Each mirrors how Go's decoder sees a field.

/// `m[key]` as an object, inserting `{}` where it is missing or `null` (the zero value of a Go
/// struct field, or a pointer kube's defaulter allocates). `None` when it holds something else.
fn child<'a>(m: &'a mut Obj, key: &str) -> Option<&'a mut Obj> {
    let v = m.entry(key).or_insert(Value::Null);
    if v.is_null() {
        *v = Value::Object(Map::new());
    }
    v.as_object_mut()
}

/// `m[key]` when it is an object: a pointer-to-struct field that is set.
fn existing<'a>(m: &'a mut Obj, key: &str) -> Option<&'a mut Obj> {
    m.get_mut(key).and_then(Value::as_object_mut)
}

/// The object elements of the array `m[key]`; non-object elements are skipped.
fn items<'a>(m: &'a mut Obj, key: &str) -> impl Iterator<Item = &'a mut Obj> {
    m.get_mut(key)
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object_mut)
}

fn str_of<'a>(m: &'a Obj, key: &str) -> Option<&'a str> {
    m.get(key).and_then(Value::as_str)
}

/// A pointer field is unset: missing or `null`.
fn is_nil(m: &Obj, key: &str) -> bool {
    matches!(m.get(key), None | Some(Value::Null))
}

/// A Go `string` field is unset: missing, `null` or `""`.
fn is_empty_str(m: &Obj, key: &str) -> bool {
    match m.get(key) {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.is_empty(),
        Some(_) => false,
    }
}

/// A Go integer field is unset: missing, `null` or `0`.
fn is_zero_int(m: &Obj, key: &str) -> bool {
    match m.get(key) {
        None | Some(Value::Null) => true,
        Some(v) => v.as_i64() == Some(0),
    }
}

/// A Go slice or map has length zero: missing, `null`, `[]` or `{}`.
fn is_empty_collection(m: &Obj, key: &str) -> bool {
    match m.get(key) {
        None | Some(Value::Null) => true,
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::Object(o)) => o.is_empty(),
        Some(_) => false,
    }
}

fn default_ptr(m: &mut Obj, key: &str, value: impl Into<Value>) {
    if is_nil(m, key) {
        m.insert(key.to_owned(), value.into());
    }
}

fn default_str(m: &mut Obj, key: &str, value: &str) {
    if is_empty_str(m, key) {
        m.insert(key.to_owned(), value.into());
    }
}

fn default_int(m: &mut Obj, key: &str, value: i64) {
    if is_zero_int(m, key) {
        m.insert(key.to_owned(), value.into());
    }
}

/// `metadata.labels` of `m` when it is a non-empty object.
fn labels_of(m: &Obj) -> Option<&Obj> {
    m.get("metadata")
        .and_then(Value::as_object)
        .and_then(|meta| meta.get("labels"))
        .and_then(Value::as_object)
        .filter(|l| !l.is_empty())
}

// ---------------------------------------------------------------------------------------------
// core/v1: pods and pod templates.

fn pod(o: &mut Obj) {
    let Some(spec) = child(o, "spec") else {
        return;
    };
    // SetDefaults_Pod: only Pods, never templates.
    for key in ["containers", "initContainers"] {
        for c in items(spec, key) {
            requests_from_limits(c);
        }
    }
    default_ptr(spec, "enableServiceLinks", true);
    if spec.get("hostNetwork") == Some(&Value::Bool(true)) {
        for key in ["containers", "initContainers"] {
            for c in items(spec, key) {
                for p in items(c, "ports") {
                    let container_port = p.get("containerPort").and_then(Value::as_i64);
                    if let Some(cp) = container_port.filter(|&cp| cp != 0)
                        && is_zero_int(p, "hostPort")
                    {
                        p.insert("hostPort".to_owned(), cp.into());
                    }
                }
            }
        }
    }
    pod_spec(spec);
}

/// A container with `limits` but no request for a resource requests its limit (Pods only).
fn requests_from_limits(c: &mut Obj) {
    let Some(res) = existing(c, "resources") else {
        return;
    };
    let limits = match res.get("limits") {
        Some(Value::Object(l)) if !l.is_empty() => l.clone(),
        _ => return,
    };
    if let Some(requests) = child(res, "requests") {
        for (name, quantity) in limits {
            requests.entry(name).or_insert(quantity);
        }
    }
}

/// A `PodTemplateSpec`: only its `spec` has defaults.
fn pod_template(t: &mut Obj) {
    if let Some(spec) = child(t, "spec") {
        pod_spec(spec);
    }
}

/// SetDefaults_PodSpec and everything nested in a PodSpec.
fn pod_spec(spec: &mut Obj) {
    default_str(spec, "dnsPolicy", "ClusterFirst");
    default_str(spec, "restartPolicy", "Always");
    default_ptr(spec, "securityContext", json!({}));
    default_ptr(spec, "terminationGracePeriodSeconds", 30);
    default_str(spec, "schedulerName", "default-scheduler");
    for v in items(spec, "volumes") {
        volume(v);
    }
    for key in ["initContainers", "containers", "ephemeralContainers"] {
        for c in items(spec, key) {
            container(c);
        }
    }
}

fn container(c: &mut Obj) {
    if is_empty_str(c, "imagePullPolicy") {
        let policy = pull_policy(str_of(c, "image").unwrap_or(""));
        c.insert("imagePullPolicy".to_owned(), policy.into());
    }
    default_str(c, "terminationMessagePath", "/dev/termination-log");
    default_str(c, "terminationMessagePolicy", "File");
    for p in items(c, "ports") {
        default_str(p, "protocol", "TCP");
    }
    for e in items(c, "env") {
        if let Some(f) = existing(e, "valueFrom").and_then(|v| existing(v, "fieldRef")) {
            field_ref(f);
        }
    }
    for key in ["livenessProbe", "readinessProbe", "startupProbe"] {
        if let Some(p) = existing(c, key) {
            probe(p);
        }
    }
    if let Some(lifecycle) = existing(c, "lifecycle") {
        for key in ["postStart", "preStop"] {
            if let Some(g) = existing(lifecycle, key).and_then(|h| existing(h, "httpGet")) {
                http_get(g);
            }
        }
    }
    // `resources` is a non-pointer struct: Go's encoder always writes it.
    child(c, "resources");
}

fn probe(p: &mut Obj) {
    default_int(p, "timeoutSeconds", 1);
    default_int(p, "periodSeconds", 10);
    default_int(p, "successThreshold", 1);
    default_int(p, "failureThreshold", 3);
    if let Some(g) = existing(p, "httpGet") {
        http_get(g);
    }
    if let Some(g) = existing(p, "grpc") {
        default_ptr(g, "service", "");
    }
}

fn http_get(g: &mut Obj) {
    default_str(g, "path", "/");
    default_str(g, "scheme", "HTTP");
}

fn field_ref(f: &mut Obj) {
    default_str(f, "apiVersion", "v1");
}

/// Every member of `VolumeSource`; a volume naming none of them is an `emptyDir`.
const VOLUME_SOURCES: &[&str] = &[
    "hostPath",
    "emptyDir",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "secret",
    "nfs",
    "iscsi",
    "glusterfs",
    "persistentVolumeClaim",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "flocker",
    "downwardAPI",
    "fc",
    "azureFile",
    "configMap",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "projected",
    "portworxVolume",
    "scaleIO",
    "storageos",
    "csi",
    "ephemeral",
    "image",
];

/// File mode 0644, the default of secret, configMap, downwardAPI and projected volumes.
const DEFAULT_MODE: i64 = 0o644;

fn volume(v: &mut Obj) {
    if VOLUME_SOURCES.iter().all(|k| is_nil(v, k)) {
        v.insert("emptyDir".to_owned(), json!({}));
    }
    if let Some(image) = existing(v, "image")
        && is_empty_str(image, "pullPolicy")
    {
        let policy = pull_policy(str_of(image, "reference").unwrap_or(""));
        image.insert("pullPolicy".to_owned(), policy.into());
    }
    if let Some(h) = existing(v, "hostPath") {
        default_ptr(h, "type", "");
    }
    if let Some(s) = existing(v, "secret") {
        default_ptr(s, "defaultMode", DEFAULT_MODE);
    }
    if let Some(s) = existing(v, "iscsi") {
        iscsi(s);
    }
    if let Some(s) = existing(v, "rbd") {
        rbd(s);
    }
    if let Some(d) = existing(v, "downwardAPI") {
        default_ptr(d, "defaultMode", DEFAULT_MODE);
        downward_api_items(d);
    }
    if let Some(c) = existing(v, "configMap") {
        default_ptr(c, "defaultMode", DEFAULT_MODE);
    }
    if let Some(a) = existing(v, "azureDisk") {
        azure_disk(a);
    }
    if let Some(p) = existing(v, "projected") {
        default_ptr(p, "defaultMode", DEFAULT_MODE);
        for s in items(p, "sources") {
            if let Some(d) = existing(s, "downwardAPI") {
                downward_api_items(d);
            }
            if let Some(t) = existing(s, "serviceAccountToken") {
                default_ptr(t, "expirationSeconds", 3600);
            }
        }
    }
    if let Some(s) = existing(v, "scaleIO") {
        scale_io(s);
    }
    if let Some(t) = existing(v, "ephemeral").and_then(|e| existing(e, "volumeClaimTemplate"))
        && let Some(spec) = child(t, "spec")
    {
        pvc_spec(spec);
    }
}

fn downward_api_items(d: &mut Obj) {
    for item in items(d, "items") {
        if let Some(f) = existing(item, "fieldRef") {
            field_ref(f);
        }
    }
}

fn iscsi(s: &mut Obj) {
    default_str(s, "iscsiInterface", "default");
}

fn rbd(s: &mut Obj) {
    default_str(s, "pool", "rbd");
    default_str(s, "user", "admin");
    default_str(s, "keyring", "/etc/ceph/keyring");
}

fn azure_disk(a: &mut Obj) {
    default_ptr(a, "cachingMode", "ReadWrite");
    default_ptr(a, "kind", "Shared");
    default_ptr(a, "fsType", "ext4");
    default_ptr(a, "readOnly", false);
}

fn scale_io(s: &mut Obj) {
    default_str(s, "storageMode", "ThinProvisioned");
    default_str(s, "fsType", "xfs");
}

// ---------------------------------------------------------------------------------------------
// Image references: the pull policy kube derives from `parsers.ParseImageName`.

/// `Always` when the image names the tag `latest`, or no tag and no digest; `IfNotPresent`
/// otherwise, including for references kube cannot parse (empty, upper-case repository, ...).
fn pull_policy(image: &str) -> &'static str {
    match parse_image(image) {
        Some((tag, has_digest)) if tag == "latest" || (tag.is_empty() && !has_digest) => "Always",
        _ => "IfNotPresent",
    }
}

struct ImageRegexes {
    reference: Regex,
    name: Regex,
    identifier: Regex,
}

/// The grammar of `github.com/distribution/reference` (v0.6), with Go's ASCII `\w`.
static IMAGE: LazyLock<ImageRegexes> = LazyLock::new(|| {
    let alphanumeric = "[a-z0-9]+";
    let separator = "(?:[._]|__|[-]+)";
    let path_component = format!("{alphanumeric}(?:{separator}{alphanumeric})*");
    let remote_name = format!("{path_component}(?:/{path_component})*");
    let domain_component = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
    let domain_name = format!(r"{domain_component}(?:\.{domain_component})*");
    let host = format!(r"(?:{domain_name}|\[[a-fA-F0-9:]+\])");
    let domain_and_port = format!("{host}(?::[0-9]+)?");
    let name = format!("(?:{domain_and_port}/)?{remote_name}");
    let tag = "[0-9A-Za-z_][0-9A-Za-z_.-]{0,127}";
    let digest = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";
    let compile = |re: String| Regex::new(&re).expect("image reference regex compiles");
    ImageRegexes {
        reference: compile(format!("^({name})(?::({tag}))?(?:@({digest}))?$")),
        name: compile(format!("^(?:({domain_and_port})/)?({remote_name})$")),
        identifier: compile("^[a-f0-9]{64}$".to_owned()),
    }
});

/// `reference.ParseNormalizedNamed`: the tag (empty when none) and whether there is a digest,
/// or `None` when the reference is invalid.
fn parse_image(image: &str) -> Option<(String, bool)> {
    let re = &*IMAGE;
    if re.identifier.is_match(image) {
        return None;
    }
    let (domain, remainder) = split_docker_domain(image);
    let remote = remainder.split(':').next().unwrap_or("");
    if remote.to_lowercase() != remote {
        return None;
    }
    let full = format!("{domain}/{remainder}");
    let caps = re.reference.captures(&full)?;
    let name = caps.get(1)?.as_str();
    let path = re
        .name
        .captures(name)
        .and_then(|c| c.get(2))
        .map_or(name, |m| m.as_str());
    if path.len() > 255 {
        return None;
    }
    let digest = caps.get(3).map(|m| m.as_str());
    if digest.is_some_and(|d| !valid_digest(d)) {
        return None;
    }
    let tag = caps.get(2).map_or("", |m| m.as_str());
    Some((tag.to_owned(), digest.is_some()))
}

/// `splitDockerDomain`: Docker Hub is the default registry and `library/` its default namespace.
fn split_docker_domain(name: &str) -> (String, String) {
    let (domain, remote) = match name.split_once('/') {
        None => ("docker.io", name.to_owned()),
        Some(("localhost", rest)) => ("localhost", rest.to_owned()),
        Some(("index.docker.io", rest)) => ("docker.io", rest.to_owned()),
        Some((first, rest)) if first.contains(['.', ':']) || first.to_lowercase() != first => {
            (first, rest.to_owned())
        }
        Some(_) => ("docker.io", name.to_owned()),
    };
    let remote = if domain == "docker.io" && !remote.contains('/') {
        format!("library/{remote}")
    } else {
        remote
    };
    (domain.to_owned(), remote)
}

/// go-digest's validation for the algorithms kube links in.
fn valid_digest(digest: &str) -> bool {
    let Some((algorithm, encoded)) = digest.split_once(':') else {
        return false;
    };
    let len = match algorithm {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => return false,
    };
    encoded.len() == len
        && encoded
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

// ---------------------------------------------------------------------------------------------
// core/v1: everything else.

fn replication_controller(o: &mut Obj) {
    let template_labels = o
        .get("spec")
        .and_then(Value::as_object)
        .and_then(|s| s.get("template"))
        .and_then(Value::as_object)
        .and_then(labels_of)
        .cloned();
    if let Some(labels) = template_labels {
        if let Some(spec) = child(o, "spec")
            && is_empty_collection(spec, "selector")
        {
            spec.insert("selector".to_owned(), Value::Object(labels.clone()));
        }
        if let Some(meta) = child(o, "metadata")
            && is_empty_collection(meta, "labels")
        {
            meta.insert("labels".to_owned(), Value::Object(labels));
        }
    }
    let Some(spec) = child(o, "spec") else {
        return;
    };
    default_ptr(spec, "replicas", 1);
    if let Some(t) = existing(spec, "template") {
        pod_template(t);
    }
}

fn service(o: &mut Obj) {
    let Some(spec) = child(o, "spec") else {
        return;
    };
    default_str(spec, "sessionAffinity", "None");
    match str_of(spec, "sessionAffinity") {
        Some("None") => {
            spec.remove("sessionAffinityConfig");
        }
        Some("ClientIP") => {
            if let Some(client_ip) =
                child(spec, "sessionAffinityConfig").and_then(|c| child(c, "clientIP"))
            {
                default_ptr(client_ip, "timeoutSeconds", 10800);
            }
        }
        _ => {}
    }
    default_str(spec, "type", "ClusterIP");
    for p in items(spec, "ports") {
        default_str(p, "protocol", "TCP");
        let unset = match p.get("targetPort") {
            None | Some(Value::Null) => true,
            Some(Value::String(s)) => s.is_empty(),
            Some(v) => v.as_i64() == Some(0),
        };
        if unset && let Some(port) = p.get("port").and_then(Value::as_i64) {
            p.insert("targetPort".to_owned(), port.into());
        }
    }
    let ty = str_of(spec, "type").unwrap_or("").to_owned();
    let externally_accessible = ty == "LoadBalancer"
        || ty == "NodePort"
        || (ty == "ClusterIP" && !is_empty_collection(spec, "externalIPs"));
    if externally_accessible {
        default_str(spec, "externalTrafficPolicy", "Cluster");
    }
    if matches!(ty.as_str(), "ClusterIP" | "NodePort" | "LoadBalancer") {
        default_ptr(spec, "internalTrafficPolicy", "Cluster");
    }
    if ty == "LoadBalancer" {
        default_ptr(spec, "allocateLoadBalancerNodePorts", true);
    }
    service_ip_families(spec);
    if ty == "LoadBalancer" {
        let status = existing(o, "status").and_then(|s| existing(s, "loadBalancer"));
        if let Some(lb) = status {
            for ingress in items(lb, "ingress") {
                if !is_empty_str(ingress, "ip") {
                    default_ptr(ingress, "ipMode", "VIP");
                }
            }
        }
    }
}

/// `initIPFamilyFields` of kube's Service REST storage on create, for a single-stack cluster of
/// [`SERVICE_IP_FAMILY`].
fn service_ip_families(spec: &mut Obj) {
    if str_of(spec, "type") == Some("ExternalName") {
        return;
    }
    let cluster_ips: Vec<String> = match spec.get("clusterIPs").and_then(Value::as_array) {
        Some(ips) if !ips.is_empty() => ips
            .iter()
            .map(|ip| ip.as_str().unwrap_or("").to_owned())
            .collect(),
        _ => match str_of(spec, "clusterIP") {
            Some(ip) if !ip.is_empty() => vec![ip.to_owned()],
            _ => Vec::new(),
        },
    };
    let headless_selectorless =
        cluster_ips.first().is_some_and(|ip| ip == "None") && is_empty_collection(spec, "selector");
    if is_nil(spec, "ipFamilyPolicy") {
        let policy = if headless_selectorless {
            "RequireDualStack"
        } else {
            "SingleStack"
        };
        spec.insert("ipFamilyPolicy".to_owned(), policy.into());
    }
    let single_stack = str_of(spec, "ipFamilyPolicy") == Some("SingleStack");
    let mut families: Vec<Value> = match spec.get("ipFamilies") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.clone(),
        Some(_) => return,
    };
    let before = families.len();
    for (i, ip) in cluster_ips.iter().enumerate() {
        if ip == "None" {
            break;
        }
        if i >= families.len() {
            let family = if ip.contains(':') { "IPv6" } else { "IPv4" };
            families.push(family.into());
        }
    }
    if families.is_empty() {
        families.push(SERVICE_IP_FAMILY.into());
    }
    if headless_selectorless && families.len() < 2 && !single_stack {
        let other = if families[0] == "IPv4" {
            "IPv6"
        } else {
            "IPv4"
        };
        families.push(other.into());
    }
    if families.len() != before || is_nil(spec, "ipFamilies") {
        spec.insert("ipFamilies".to_owned(), Value::Array(families));
    }
}

fn namespace(o: &mut Obj) {
    let name = o
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .map(str::to_owned);
    if let Some(name) = name
        && let Some(labels) = child(o, "metadata").and_then(|m| child(m, "labels"))
    {
        labels.insert("kubernetes.io/metadata.name".to_owned(), name.into());
    }
    if let Some(status) = child(o, "status") {
        default_str(status, "phase", "Active");
    }
}

fn persistent_volume(o: &mut Obj) {
    if let Some(status) = child(o, "status") {
        default_str(status, "phase", "Pending");
    }
    let Some(spec) = child(o, "spec") else {
        return;
    };
    default_str(spec, "persistentVolumeReclaimPolicy", "Retain");
    default_ptr(spec, "volumeMode", "Filesystem");
    if let Some(h) = existing(spec, "hostPath") {
        default_ptr(h, "type", "");
    }
    if let Some(s) = existing(spec, "rbd") {
        rbd(s);
    }
    if let Some(s) = existing(spec, "iscsi") {
        iscsi(s);
    }
    if let Some(a) = existing(spec, "azureDisk") {
        azure_disk(a);
    }
    if let Some(s) = existing(spec, "scaleIO") {
        scale_io(s);
    }
}

/// A PersistentVolumeClaim, also as a StatefulSet's `volumeClaimTemplates` entry.
fn persistent_volume_claim(o: &mut Obj) {
    if let Some(status) = child(o, "status") {
        default_str(status, "phase", "Pending");
    }
    if let Some(spec) = child(o, "spec") {
        pvc_spec(spec);
    }
}

fn pvc_spec(spec: &mut Obj) {
    default_ptr(spec, "volumeMode", "Filesystem");
}

fn endpoints(o: &mut Obj) {
    for subset in items(o, "subsets") {
        for p in items(subset, "ports") {
            default_str(p, "protocol", "TCP");
        }
    }
}

fn node(o: &mut Obj) {
    let Some(status) = existing(o, "status") else {
        return;
    };
    if is_nil(status, "allocatable")
        && let Some(capacity) = status.get("capacity").filter(|c| c.is_object()).cloned()
    {
        status.insert("allocatable".to_owned(), capacity);
    }
}

fn limit_range(o: &mut Obj) {
    let Some(spec) = existing(o, "spec") else {
        return;
    };
    for item in items(spec, "limits") {
        if str_of(item, "type") != Some("Container") {
            continue;
        }
        let map_of = |item: &Obj, key: &str| -> Option<Obj> {
            match item.get(key) {
                None | Some(Value::Null) => Some(Map::new()),
                Some(Value::Object(m)) => Some(m.clone()),
                Some(_) => None,
            }
        };
        let (Some(max), Some(min), Some(mut default), Some(mut default_request)) = (
            map_of(item, "max"),
            map_of(item, "min"),
            map_of(item, "default"),
            map_of(item, "defaultRequest"),
        ) else {
            continue;
        };
        for (k, v) in max {
            default.entry(k).or_insert(v);
        }
        for (k, v) in &default {
            default_request
                .entry(k.clone())
                .or_insert_with(|| v.clone());
        }
        for (k, v) in min {
            default_request.entry(k).or_insert(v);
        }
        // Empty maps are omitted when kube encodes them.
        if !default.is_empty() {
            item.insert("default".to_owned(), Value::Object(default));
        }
        if !default_request.is_empty() {
            item.insert("defaultRequest".to_owned(), Value::Object(default_request));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// apps/v1.

fn deployment(o: &mut Obj) {
    let Some(spec) = child(o, "spec") else {
        return;
    };
    default_ptr(spec, "replicas", 1);
    if let Some(strategy) = child(spec, "strategy") {
        default_str(strategy, "type", "RollingUpdate");
        if str_of(strategy, "type") == Some("RollingUpdate")
            && let Some(ru) = child(strategy, "rollingUpdate")
        {
            default_ptr(ru, "maxUnavailable", "25%");
            default_ptr(ru, "maxSurge", "25%");
        }
    }
    default_ptr(spec, "revisionHistoryLimit", 10);
    default_ptr(spec, "progressDeadlineSeconds", 600);
    if let Some(t) = child(spec, "template") {
        pod_template(t);
    }
}

fn replica_set(o: &mut Obj) {
    let Some(spec) = child(o, "spec") else {
        return;
    };
    default_ptr(spec, "replicas", 1);
    if let Some(t) = child(spec, "template") {
        pod_template(t);
    }
}

fn daemon_set(o: &mut Obj) {
    let Some(spec) = child(o, "spec") else {
        return;
    };
    if let Some(strategy) = child(spec, "updateStrategy") {
        default_str(strategy, "type", "RollingUpdate");
        if str_of(strategy, "type") == Some("RollingUpdate")
            && let Some(ru) = child(strategy, "rollingUpdate")
        {
            default_ptr(ru, "maxUnavailable", 1);
            default_ptr(ru, "maxSurge", 0);
        }
    }
    default_ptr(spec, "revisionHistoryLimit", 10);
    if let Some(t) = child(spec, "template") {
        pod_template(t);
    }
}

fn stateful_set(o: &mut Obj) {
    let Some(spec) = child(o, "spec") else {
        return;
    };
    default_str(spec, "podManagementPolicy", "OrderedReady");
    if let Some(strategy) = child(spec, "updateStrategy") {
        // Only a defaulted type brings a rollingUpdate; an explicit one keeps what it has.
        if is_empty_str(strategy, "type") {
            strategy.insert("type".to_owned(), "RollingUpdate".into());
            default_ptr(strategy, "rollingUpdate", json!({}));
        }
        if str_of(strategy, "type") == Some("RollingUpdate")
            && let Some(ru) = existing(strategy, "rollingUpdate")
        {
            default_ptr(ru, "partition", 0);
        }
    }
    if let Some(policy) = child(spec, "persistentVolumeClaimRetentionPolicy") {
        default_str(policy, "whenDeleted", "Retain");
        default_str(policy, "whenScaled", "Retain");
    }
    default_ptr(spec, "replicas", 1);
    default_ptr(spec, "revisionHistoryLimit", 10);
    if let Some(t) = child(spec, "template") {
        pod_template(t);
    }
    for claim in items(spec, "volumeClaimTemplates") {
        persistent_volume_claim(claim);
    }
}

// ---------------------------------------------------------------------------------------------
// batch/v1.

fn job(o: &mut Obj) {
    let template_labels = o
        .get("spec")
        .and_then(Value::as_object)
        .and_then(|s| s.get("template"))
        .and_then(Value::as_object)
        .and_then(labels_of)
        .cloned();
    if let Some(labels) = template_labels
        && let Some(meta) = child(o, "metadata")
        && is_empty_collection(meta, "labels")
    {
        meta.insert("labels".to_owned(), Value::Object(labels));
    }
    let Some(spec) = child(o, "spec") else {
        return;
    };
    if is_nil(spec, "completions") && is_nil(spec, "parallelism") {
        spec.insert("completions".to_owned(), 1.into());
        spec.insert("parallelism".to_owned(), 1.into());
    }
    default_ptr(spec, "parallelism", 1);
    let backoff_limit = if is_nil(spec, "backoffLimitPerIndex") {
        6
    } else {
        i64::from(i32::MAX)
    };
    default_ptr(spec, "backoffLimit", backoff_limit);
    default_ptr(spec, "completionMode", "NonIndexed");
    default_ptr(spec, "suspend", false);
    pod_failure_policy(spec);
    let replacement = if is_nil(spec, "podFailurePolicy") {
        "TerminatingOrFailed"
    } else {
        "Failed"
    };
    default_ptr(spec, "podReplacementPolicy", replacement);
    default_ptr(spec, "manualSelector", false);
    if let Some(t) = child(spec, "template") {
        pod_template(t);
    }
}

/// `onPodConditions` patterns without a status match `True`.
fn pod_failure_policy(job_spec: &mut Obj) {
    if let Some(policy) = existing(job_spec, "podFailurePolicy") {
        for rule in items(policy, "rules") {
            for pattern in items(rule, "onPodConditions") {
                default_str(pattern, "status", "True");
            }
        }
    }
}

/// A CronJob's job template gets PodSpec defaults, not the Job's own.
fn cron_job(o: &mut Obj) {
    let Some(spec) = child(o, "spec") else {
        return;
    };
    default_str(spec, "concurrencyPolicy", "Allow");
    default_ptr(spec, "suspend", false);
    default_ptr(spec, "successfulJobsHistoryLimit", 3);
    default_ptr(spec, "failedJobsHistoryLimit", 1);
    if let Some(job_spec) = child(spec, "jobTemplate").and_then(|t| child(t, "spec")) {
        pod_failure_policy(job_spec);
        if let Some(t) = child(job_spec, "template") {
            pod_template(t);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// autoscaling.

fn hpa(o: &mut Obj) {
    let v1 = str_of(o, "apiVersion") == Some("autoscaling/v1");
    let Some(spec) = child(o, "spec") else {
        return;
    };
    default_ptr(spec, "minReplicas", 1);
    if v1 {
        return;
    }
    if is_empty_collection(spec, "metrics") {
        spec.insert(
            "metrics".to_owned(),
            json!([{
                "type": "Resource",
                "resource": {
                    "name": "cpu",
                    "target": {"type": "Utilization", "averageUtilization": 80}
                }
            }]),
        );
    }
    if let Some(behavior) = existing(spec, "behavior") {
        scaling_rules(
            behavior,
            "scaleUp",
            Some(0),
            json!([
                {"type": "Pods", "value": 4, "periodSeconds": 15},
                {"type": "Percent", "value": 100, "periodSeconds": 15}
            ]),
        );
        scaling_rules(
            behavior,
            "scaleDown",
            None,
            json!([{"type": "Percent", "value": 100, "periodSeconds": 15}]),
        );
    }
}

/// Fills one of `behavior.scaleUp` / `scaleDown` (created when unset) from kube's rules.
fn scaling_rules(behavior: &mut Obj, key: &str, stabilization: Option<i64>, policies: Value) {
    let Some(rules) = child(behavior, key) else {
        return;
    };
    if let Some(seconds) = stabilization {
        default_ptr(rules, "stabilizationWindowSeconds", seconds);
    }
    default_ptr(rules, "selectPolicy", "Max");
    default_ptr(rules, "policies", policies);
}

// ---------------------------------------------------------------------------------------------
// networking, rbac, storage, admissionregistration.

fn network_policy(o: &mut Obj) {
    let Some(spec) = child(o, "spec") else {
        return;
    };
    // `podSelector` is a non-pointer struct: Go's encoder always writes it.
    child(spec, "podSelector");
    if is_empty_collection(spec, "policyTypes") {
        let mut types = vec![Value::from("Ingress")];
        if matches!(spec.get("egress"), Some(Value::Array(e)) if !e.is_empty()) {
            types.push("Egress".into());
        }
        spec.insert("policyTypes".to_owned(), Value::Array(types));
    }
    for key in ["ingress", "egress"] {
        for rule in items(spec, key) {
            for p in items(rule, "ports") {
                default_ptr(p, "protocol", "TCP");
            }
        }
    }
}

fn role_binding(o: &mut Obj) {
    if let Some(role_ref) = child(o, "roleRef") {
        default_str(role_ref, "apiGroup", RBAC_GROUP);
    }
    for subject in items(o, "subjects") {
        // ServiceAccount subjects default to "", which kube's encoder omits anyway.
        if matches!(str_of(subject, "kind"), Some("User" | "Group")) {
            default_str(subject, "apiGroup", RBAC_GROUP);
        }
    }
}

fn csi_driver(o: &mut Obj) {
    let Some(spec) = child(o, "spec") else {
        return;
    };
    default_ptr(spec, "attachRequired", true);
    default_ptr(spec, "podInfoOnMount", false);
    default_ptr(spec, "storageCapacity", false);
    default_ptr(spec, "fsGroupPolicy", "ReadWriteOnceWithFSType");
    if is_empty_collection(spec, "volumeLifecycleModes") {
        spec.insert("volumeLifecycleModes".to_owned(), json!(["Persistent"]));
    }
    default_ptr(spec, "requiresRepublish", false);
    default_ptr(spec, "seLinuxMount", false);
}

fn webhook(w: &mut Obj, mutating: bool) {
    default_ptr(w, "failurePolicy", "Fail");
    default_ptr(w, "matchPolicy", "Equivalent");
    default_ptr(w, "namespaceSelector", json!({}));
    default_ptr(w, "objectSelector", json!({}));
    default_ptr(w, "timeoutSeconds", 10);
    if mutating {
        default_ptr(w, "reinvocationPolicy", "Never");
    }
    for rule in items(w, "rules") {
        default_ptr(rule, "scope", "*");
    }
    if let Some(svc) = existing(w, "clientConfig").and_then(|c| existing(c, "service")) {
        default_ptr(svc, "port", 443);
    }
}

fn match_resources(m: &mut Obj) {
    default_ptr(m, "matchPolicy", "Equivalent");
    default_ptr(m, "namespaceSelector", json!({}));
    default_ptr(m, "objectSelector", json!({}));
    for key in ["resourceRules", "excludeResourceRules"] {
        for rule in items(m, key) {
            default_ptr(rule, "scope", "*");
        }
    }
}

#[cfg(test)]
#[path = "defaults_tests.rs"]
mod tests;
