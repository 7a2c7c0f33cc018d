//! Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`), decoded into the
//! JSON object the rest of the server handles.
//!
//! Imperative `kubectl create deployment|configmap|secret|…`, `kubectl run` and Go clients send
//! built-in objects as protobuf: the magic `k8s\0`, then a `runtime.Unknown` whose `raw` is the
//! object's message. We decode `raw` with the `k8s-pb` type for its `apiVersion`/`kind` and write
//! the JSON kube-apiserver's encoder would write for the same Go struct.
//!
//! Protobuf cannot tell an unset field from a zero one the way Go's JSON tags do, so every
//! message's fields are listed in `protobuf/messages.rs` with how Go encodes them ([`Go`]). The
//! `messages!` macro destructures each message without `..`, so a field that `k8s-pb` adds fails
//! the build until it is listed there.

use std::collections::BTreeMap;

use base64::Engine;
use prost::Message;
use serde_json::{Map, Value};

use crate::error::{ApiError, ApiResult};

use k8s_pb::apimachinery::pkg::api::resource::Quantity;
use k8s_pb::apimachinery::pkg::apis::meta::v1::{FieldsV1, MicroTime, Time};
use k8s_pb::apimachinery::pkg::runtime::{RawExtension, Unknown};
use k8s_pb::apimachinery::pkg::util::intstr::IntOrString;

/// The four bytes in front of every Kubernetes protobuf body.
const MAGIC: &[u8; 4] = b"k8s\0";

/// Decode a protobuf request body into the object's JSON, with `apiVersion` and `kind` set.
///
/// A body that is not a protobuf envelope is a 400; a kind this server cannot decode from
/// protobuf is a 415 that points the user at the JSON path (`kubectl create -f`).
pub fn decode(body: &[u8]) -> ApiResult<Value> {
    let envelope = body.strip_prefix(MAGIC).ok_or_else(|| {
        undecodable(format!(
            "provided data does not appear to be a protobuf message, expected prefix {:?}",
            MAGIC
        ))
    })?;
    let unknown = Unknown::decode(envelope).map_err(undecodable)?;
    let meta = unknown.type_meta.unwrap_or_default();
    let (api_version, kind) = (
        meta.api_version.unwrap_or_default(),
        meta.kind.unwrap_or_default(),
    );
    if kind.is_empty() || api_version.is_empty() {
        return Err(undecodable(
            "the protobuf envelope does not name the object's apiVersion and kind",
        ));
    }
    if let Some(encoding) = unknown.content_encoding.filter(|e| !e.is_empty()) {
        return Err(ApiError::unsupported_media_type(format!(
            "the body of the request uses the unsupported content encoding {encoding:?}"
        )));
    }
    let raw = unknown.raw.unwrap_or_default();
    let fields = match unknown.content_type.as_deref().unwrap_or("") {
        "" | "application/vnd.kubernetes.protobuf" => {
            let decoder = decoder(&api_version, &kind).ok_or_else(|| {
                ApiError::unsupported_media_type(format!(
                    "this server cannot decode a {kind} ({api_version}) sent as protobuf; send \
                     it as JSON or YAML instead, e.g. with `kubectl create -f` or `kubectl apply -f`"
                ))
            })?;
            decoder(&raw)?
        }
        "application/json" => serde_json::from_slice(&raw).map_err(undecodable)?,
        other => {
            return Err(ApiError::unsupported_media_type(format!(
                "the protobuf envelope holds an object of the unsupported content type {other:?}"
            )));
        }
    };
    let Value::Object(fields) = fields else {
        return Err(ApiError::bad_request(
            "the body of the request must be a JSON object",
        ));
    };
    let mut object = Map::new();
    object.insert("apiVersion".into(), Value::String(api_version));
    object.insert("kind".into(), Value::String(kind));
    for (key, value) in fields {
        if key != "apiVersion" && key != "kind" {
            object.insert(key, value);
        }
    }
    Ok(Value::Object(object))
}

fn undecodable(why: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(format!(
        "the body of the request could not be decoded: protobuf: {why}"
    ))
}

type Decoder = fn(&[u8]) -> ApiResult<Value>;

/// The kinds this server decodes from protobuf: every built-in kind it serves except
/// CustomResourceDefinition (which kubectl only ever sends as JSON).
fn decoder(api_version: &str, kind: &str) -> Option<Decoder> {
    use k8s_pb::Resource;
    use k8s_pb::api::{
        apps::v1 as appsv1, autoscaling::v2 as autoscalingv2, batch::v1 as batchv1,
        coordination::v1 as coordinationv1, core::v1 as corev1, events::v1 as eventsv1,
        networking::v1 as networkingv1, policy::v1 as policyv1, rbac::v1 as rbacv1,
    };
    fn object<T: Message + Default + ToJson>(raw: &[u8]) -> ApiResult<Value> {
        T::decode(raw).map_err(undecodable)?.to_json()
    }
    macro_rules! kinds {
        ($($ty:ty),* $(,)?) => {
            $(if api_version == <$ty>::API_VERSION && kind == <$ty>::KIND {
                return Some(object::<$ty>);
            })*
        };
    }
    kinds!(
        corev1::ConfigMap,
        corev1::Event,
        corev1::LimitRange,
        corev1::Namespace,
        corev1::Node,
        corev1::PersistentVolumeClaim,
        corev1::Pod,
        corev1::ResourceQuota,
        corev1::Secret,
        corev1::Service,
        corev1::ServiceAccount,
        appsv1::DaemonSet,
        appsv1::Deployment,
        appsv1::ReplicaSet,
        appsv1::StatefulSet,
        autoscalingv2::HorizontalPodAutoscaler,
        batchv1::CronJob,
        batchv1::Job,
        coordinationv1::Lease,
        eventsv1::Event,
        networkingv1::Ingress,
        networkingv1::NetworkPolicy,
        policyv1::PodDisruptionBudget,
        rbacv1::ClusterRole,
        rbacv1::ClusterRoleBinding,
        rbacv1::Role,
        rbacv1::RoleBinding,
    );
    None
}

// ---------------------------------------------------------------------------------------------
// Protobuf values as Go's encoding/json writes them

/// How Go's `encoding/json` treats a field, which the protobuf wire cannot tell us: Go's
/// protobuf encoder always writes value fields (zero or not) and writes pointers only when set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Go {
    /// A value tagged `omitempty` (or a struct tagged `omitzero`): left out when zero.
    OmitEmpty,
    /// A pointer tagged `omitempty`: left out only when unset, so `replicas: 0` survives.
    Ptr,
    /// A pointer without `omitempty`: `null` when unset.
    PtrNull,
    /// A value without `omitempty`, or a struct (which `omitempty` never drops): always written,
    /// a nil slice or map as `null`.
    Always,
    /// An embedded struct (`json:",inline"`) whose fields are written into the parent.
    Inline,
}

/// One protobuf value (scalar, bytes or message) as JSON.
trait ToJson {
    fn to_json(&self) -> ApiResult<Value>;

    /// Whether `omitempty` drops it. Go never drops a struct, except a zero `Time` under
    /// `omitzero`.
    fn is_zero(&self) -> bool {
        false
    }
}

/// A message field (optional, repeated or map) as JSON, or `None` when Go leaves it out.
trait Field {
    fn field(&self, go: Go) -> ApiResult<Option<Value>>;
}

impl<T: ToJson + Default> Field for Option<T> {
    fn field(&self, go: Go) -> ApiResult<Option<Value>> {
        match (self, go) {
            // Only a non-Go client leaves out a value field; Go would write the zero value.
            (None, Go::Always | Go::Inline) => T::default().to_json().map(Some),
            (None, Go::PtrNull) => Ok(Some(Value::Null)),
            (None, Go::OmitEmpty | Go::Ptr) => Ok(None),
            (Some(v), Go::OmitEmpty) if v.is_zero() => Ok(None),
            (Some(v), _) => v.to_json().map(Some),
        }
    }
}

impl<T: ToJson> Field for Vec<T> {
    fn field(&self, go: Go) -> ApiResult<Option<Value>> {
        if self.is_empty() {
            // Go decodes an empty repeated field to a nil slice.
            return Ok((go == Go::Always).then_some(Value::Null));
        }
        let items = self.iter().map(T::to_json).collect::<ApiResult<_>>()?;
        Ok(Some(Value::Array(items)))
    }
}

impl<T: ToJson> Field for BTreeMap<String, T> {
    fn field(&self, go: Go) -> ApiResult<Option<Value>> {
        if self.is_empty() {
            return Ok((go == Go::Always).then_some(Value::Null));
        }
        let entries = self
            .iter()
            .map(|(k, v)| Ok((k.clone(), v.to_json()?)))
            .collect::<ApiResult<_>>()?;
        Ok(Some(Value::Object(entries)))
    }
}

/// Write one field into a message's JSON object. `name` is the Rust field name; its JSON name
/// is its lowerCamelCase unless the table spells it out (`cluster_ip as "clusterIP"`).
fn put(out: &mut Map<String, Value>, name: &str, json: Option<&str>, go: Go, value: Option<Value>) {
    match (go, value) {
        (_, None) => {}
        (Go::Inline, Some(Value::Object(fields))) => out.extend(fields),
        (_, Some(value)) => {
            let key = json.map_or_else(|| lower_camel(name), str::to_owned);
            out.insert(key, value);
        }
    }
}

/// `termination_grace_period_seconds` → `terminationGracePeriodSeconds`, `r#type` → `type`.
fn lower_camel(rust: &str) -> String {
    let mut out = String::with_capacity(rust.len());
    let mut upper = false;
    for c in rust.trim_start_matches("r#").chars() {
        match c {
            '_' => upper = true,
            c if upper => {
                out.push(c.to_ascii_uppercase());
                upper = false;
            }
            c => out.push(c),
        }
    }
    out
}

macro_rules! go_mode {
    () => {
        Go::OmitEmpty
    };
    ($go:ident) => {
        Go::$go
    };
}

/// `impl ToJson` for messages from a table of their fields. Each entry is the message's path
/// and every one of its fields, each with an optional JSON name and [`Go`] mode (default
/// `OmitEmpty`): `corev1::ServicePort { name, port: Always, target_port: Always }`.
macro_rules! messages {
    ($($ty:path { $($field:ident $(as $json:literal)? $(: $go:ident)?),* $(,)? })*) => {$(
        impl ToJson for $ty {
            fn to_json(&self) -> ApiResult<Value> {
                // No `..`: a field missing from the table is a compile error.
                let Self { $($field),* } = self;
                let mut out = serde_json::Map::new();
                $({
                    let go = go_mode!($($go)?);
                    let json: Option<&str> = None $(.or(Some($json)))?;
                    put(&mut out, stringify!($field), json, go, Field::field($field, go)?);
                })*
                Ok(Value::Object(out))
            }
        }
    )*};
}

mod messages;

impl ToJson for String {
    fn to_json(&self) -> ApiResult<Value> {
        Ok(Value::String(self.clone()))
    }
    fn is_zero(&self) -> bool {
        self.is_empty()
    }
}

impl ToJson for bool {
    fn to_json(&self) -> ApiResult<Value> {
        Ok(Value::Bool(*self))
    }
    fn is_zero(&self) -> bool {
        !*self
    }
}

impl ToJson for i32 {
    fn to_json(&self) -> ApiResult<Value> {
        Ok(Value::from(*self))
    }
    fn is_zero(&self) -> bool {
        *self == 0
    }
}

impl ToJson for i64 {
    fn to_json(&self) -> ApiResult<Value> {
        Ok(Value::from(*self))
    }
    fn is_zero(&self) -> bool {
        *self == 0
    }
}

impl ToJson for f64 {
    fn to_json(&self) -> ApiResult<Value> {
        serde_json::Number::from_f64(*self)
            .map(Value::Number)
            .ok_or_else(|| undecodable(format!("{self} is not a JSON number")))
    }
    fn is_zero(&self) -> bool {
        *self == 0.0
    }
}

/// `[]byte`, as Go writes it: standard base64 (Secret `data`, ConfigMap `binaryData`).
impl ToJson for Vec<u8> {
    fn to_json(&self) -> ApiResult<Value> {
        Ok(Value::String(
            base64::engine::general_purpose::STANDARD.encode(self),
        ))
    }
    fn is_zero(&self) -> bool {
        self.is_empty()
    }
}

/// `metav1.Time`: RFC 3339 in UTC to the second; the zero time (sent as an empty message) is
/// `null`.
impl ToJson for Time {
    fn to_json(&self) -> ApiResult<Value> {
        timestamp(self.seconds, self.nanos, false)
    }
    fn is_zero(&self) -> bool {
        self.seconds.unwrap_or(0) == 0 && self.nanos.unwrap_or(0) == 0
    }
}

/// `metav1.MicroTime`: like `Time`, with microseconds (`2006-01-02T15:04:05.000000Z`).
impl ToJson for MicroTime {
    fn to_json(&self) -> ApiResult<Value> {
        timestamp(self.seconds, self.nanos, true)
    }
    fn is_zero(&self) -> bool {
        self.seconds.unwrap_or(0) == 0 && self.nanos.unwrap_or(0) == 0
    }
}

fn timestamp(seconds: Option<i64>, nanos: Option<i32>, micro: bool) -> ApiResult<Value> {
    let (seconds, nanos) = (seconds.unwrap_or(0), nanos.unwrap_or(0));
    if seconds == 0 && nanos == 0 {
        return Ok(Value::Null);
    }
    let at = jiff::Timestamp::new(seconds, if micro { nanos } else { 0 })
        .map_err(|e| undecodable(format!("invalid time: {e}")))?;
    let whole = at.strftime("%Y-%m-%dT%H:%M:%S");
    Ok(Value::String(if micro {
        format!("{whole}.{:06}Z", at.subsec_microsecond())
    } else {
        format!("{whole}Z")
    }))
}

/// `intstr.IntOrString`: a number or a string, per its `type` (1 = string).
impl ToJson for IntOrString {
    fn to_json(&self) -> ApiResult<Value> {
        Ok(match self.r#type {
            Some(1) => Value::String(self.str_val.clone().unwrap_or_default()),
            _ => Value::from(self.int_val.unwrap_or(0)),
        })
    }
}

/// `resource.Quantity`: its string. Go clients send the canonical form, which is what
/// kube-apiserver would write back.
impl ToJson for Quantity {
    fn to_json(&self) -> ApiResult<Value> {
        Ok(Value::String(
            self.string.clone().unwrap_or_else(|| "0".into()),
        ))
    }
}

/// `runtime.RawExtension` holds JSON already.
impl ToJson for RawExtension {
    fn to_json(&self) -> ApiResult<Value> {
        raw_json(self.raw.as_deref())
    }
}

/// `metav1.FieldsV1` (managedFields) holds JSON already.
impl ToJson for FieldsV1 {
    fn to_json(&self) -> ApiResult<Value> {
        raw_json(self.raw.as_deref())
    }
}

fn raw_json(raw: Option<&[u8]>) -> ApiResult<Value> {
    match raw {
        None | Some([]) => Ok(Value::Null),
        Some(raw) => serde_json::from_slice(raw)
            .map_err(|e| undecodable(format!("embedded JSON is invalid: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_pb::Resource;
    use k8s_pb::api::{
        apps::v1 as appsv1, core::v1 as corev1, networking::v1 as networkingv1,
        policy::v1 as policyv1, rbac::v1 as rbacv1,
    };
    use k8s_pb::apimachinery::pkg::apis::meta::v1 as metav1;
    use k8s_pb::apimachinery::pkg::runtime::TypeMeta;
    use serde_json::json;

    /// `obj` in the envelope, as client-go writes it.
    fn envelope(api_version: &str, kind: &str, raw: Vec<u8>) -> Vec<u8> {
        let unknown = Unknown {
            type_meta: Some(TypeMeta {
                api_version: Some(api_version.into()),
                kind: Some(kind.into()),
            }),
            raw: Some(raw),
            content_encoding: Some(String::new()),
            content_type: Some(String::new()),
        };
        [MAGIC.as_slice(), &unknown.encode_to_vec()].concat()
    }

    fn body<T: Message + Resource>(obj: &T) -> Vec<u8> {
        envelope(T::API_VERSION, T::KIND, obj.encode_to_vec())
    }

    fn some<T: Into<String>>(s: T) -> Option<String> {
        Some(s.into())
    }

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn meta(name: &str) -> Option<metav1::ObjectMeta> {
        Some(metav1::ObjectMeta {
            name: some(name),
            // What Go sends for value fields it has no value for.
            generate_name: some(""),
            namespace: some(""),
            generation: Some(0),
            creation_timestamp: Some(metav1::Time::default()),
            ..Default::default()
        })
    }

    fn port(p: i32) -> Option<IntOrString> {
        Some(IntOrString {
            r#type: Some(0),
            int_val: Some(p),
            str_val: some(""),
        })
    }

    fn named_port(p: &str) -> Option<IntOrString> {
        Some(IntOrString {
            r#type: Some(1),
            int_val: Some(0),
            str_val: some(p),
        })
    }

    fn quantity(q: &str) -> Quantity {
        Quantity { string: some(q) }
    }

    struct Case {
        name: &'static str,
        body: Vec<u8>,
        want: Value,
    }

    /// Bodies kubectl v1.32 sent, captured on the wire, and the JSON kube-apiserver stores for
    /// them before defaulting (without the `creationTimestamp: null` that Go versions before
    /// `omitzero` wrote in templates).
    fn kubectl_cases() -> Vec<Case> {
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.decode(s).unwrap();
        vec![
            Case {
                name: "create namespace demo",
                body: b64(
                    "azhzAAoPCgJ2MRIJTmFtZXNwYWNlEhwKFAoEZGVtbxIAGgAiACoAMgA4AEIAEgAaAgoAGgAiAA==",
                ),
                want: json!({"apiVersion": "v1", "kind": "Namespace",
                    "metadata": {"name": "demo"}, "spec": {}, "status": {}}),
            },
            Case {
                name: "create deployment web --image=nginx --replicas=2",
                body: b64(concat!(
                    "azhzAAoVCgdhcHBzL3YxEgpEZXBsb3ltZW50Eq8BCiMKA3dlYhIAGgRkZW1vIgAqADIAOABC",
                    "AFoKCgNhcHASA3dlYhJ6CAISDAoKCgNhcHASA3dlYhpgChwKABIAGgAiACoAMgA4AEIAWgoK",
                    "A2FwcBIDd2ViEkASIgoFbmdpbngSBW5naW54KgBCAGoAcgCAAQCIAQCQAQCiAQAaADIAQgBK",
                    "AFIAWABgAGgAggEAigEAmgEAwgEAIgIKACgAOAAaDAgAEAAYACAAKAA4ABoAIgA=",
                )),
                want: json!({"apiVersion": "apps/v1", "kind": "Deployment",
                    "metadata": {"name": "web", "namespace": "demo", "labels": {"app": "web"}},
                    "spec": {
                        "replicas": 2,
                        "selector": {"matchLabels": {"app": "web"}},
                        "template": {
                            "metadata": {"labels": {"app": "web"}},
                            "spec": {"containers": [{"name": "nginx", "image": "nginx", "resources": {}}]},
                        },
                        "strategy": {},
                    },
                    "status": {}}),
            },
            Case {
                name: "create configmap c --from-literal=a=b",
                body: b64(
                    "azhzAAoPCgJ2MRIJQ29uZmlnTWFwEh8KFQoBYxIAGgRkZW1vIgAqADIAOABCABIGCgFhEgFiGgAiAA==",
                ),
                want: json!({"apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": "c", "namespace": "demo"}, "data": {"a": "b"}}),
            },
            Case {
                name: "create secret generic s --from-literal=p=q",
                body: b64(
                    "azhzAAoMCgJ2MRIGU2VjcmV0EiEKFQoBcxIAGgRkZW1vIgAqADIAOABCABIGCgFwEgFxGgAaACIA",
                ),
                want: json!({"apiVersion": "v1", "kind": "Secret",
                    "metadata": {"name": "s", "namespace": "demo"}, "data": {"p": "cQ=="}}),
            },
            Case {
                name: "create job j --image=busybox",
                body: b64(concat!(
                    "azhzAAoPCghiYXRjaC92MRIDSm9iEnwKFQoBahIAGgRkZW1vIgAqADIAOABCABJZMlcKEAoA",
                    "EgAaACIAKgAyADgAQgASQxIgCgFqEgdidXN5Ym94KgBCAGoAcgCAAQCIAQCQAQCiAQAaBU5l",
                    "dmVyMgBCAEoAUgBYAGAAaACCAQCKAQCaAQDCAQAaCCAAKAAwADoAGgAiAA==",
                )),
                want: json!({"apiVersion": "batch/v1", "kind": "Job",
                    "metadata": {"name": "j", "namespace": "demo"},
                    "spec": {"template": {"metadata": {}, "spec": {
                        "containers": [{"name": "j", "image": "busybox", "resources": {}}],
                        "restartPolicy": "Never",
                    }}},
                    "status": {}}),
            },
            Case {
                name: "create service clusterip svc --tcp=80:8080",
                body: b64(concat!(
                    "azhzAAoNCgJ2MRIHU2VydmljZRJtCiMKA3N2YxIAGgRkZW1vIgAqADIAOABCAFoKCgNhcHAS",
                    "A3N2YxJCChsKBzgwLTgwODASA1RDUBhQIgcIABCQPxoAKAASCgoDYXBwEgNzdmMaACIJQ2x1",
                    "c3RlcklQOgBCAFIAWgBgAGgAGgIKABoAIgA=",
                )),
                want: json!({"apiVersion": "v1", "kind": "Service",
                    "metadata": {"name": "svc", "namespace": "demo", "labels": {"app": "svc"}},
                    "spec": {
                        "ports": [{"name": "80-8080", "protocol": "TCP", "port": 80, "targetPort": 8080}],
                        "selector": {"app": "svc"},
                        "type": "ClusterIP",
                    },
                    "status": {"loadBalancer": {}}}),
            },
            Case {
                name: "create cronjob cj --image=busybox --schedule='*/1 * * * *'",
                body: b64(concat!(
                    "azhzAAoTCghiYXRjaC92MRIHQ3JvbkpvYhKiAQoWCgJjahIAGgRkZW1vIgAqADIAOABCABKF",
                    "AQoLKi8xICogKiAqICoaACp0ChIKAmNqEgAaACIAKgAyADgAQgASXjJcChAKABIAGgAiACoA",
                    "MgA4AEIAEkgSIQoCY2oSB2J1c3lib3gqAEIAagByAIABAIgBAJABAKIBABoJT25GYWlsdXJl",
                    "MgBCAEoAUgBYAGAAaACCAQCKAQCaAQDCAQAaABoAIgA=",
                )),
                want: json!({"apiVersion": "batch/v1", "kind": "CronJob",
                    "metadata": {"name": "cj", "namespace": "demo"},
                    "spec": {
                        "schedule": "*/1 * * * *",
                        "jobTemplate": {"metadata": {"name": "cj"}, "spec": {"template": {
                            "metadata": {},
                            "spec": {
                                "containers": [{"name": "cj", "image": "busybox", "resources": {}}],
                                "restartPolicy": "OnFailure",
                            },
                        }}},
                    },
                    "status": {}}),
            },
            Case {
                name: "create clusterrole r --verb=get --resource=pods",
                body: b64(concat!(
                    "azhzAAorChxyYmFjLmF1dGhvcml6YXRpb24uazhzLmlvL3YxEgtDbHVzdGVyUm9sZRIiChEK",
                    "AXISABoAIgAqADIAOABCABINCgNnZXQSABoEcG9kcxoAIgA=",
                )),
                want: json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                    "metadata": {"name": "r"},
                    "rules": [{"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]}]}),
            },
        ]
    }

    /// Objects built with prost, for what kubectl's simple commands never send.
    fn built_cases() -> Vec<Case> {
        let container = corev1::Container {
            name: some("app"),
            image: some("registry.example/app:1"),
            command: vec!["/app".into()],
            args: vec!["--port".into(), "8080".into()],
            working_dir: some(""),
            ports: vec![corev1::ContainerPort {
                name: some("http"),
                host_port: Some(0),
                container_port: Some(8080),
                protocol: some("TCP"),
                host_ip: some(""),
            }],
            env: vec![
                corev1::EnvVar {
                    name: some("MODE"),
                    value: some("prod"),
                    value_from: None,
                },
                corev1::EnvVar {
                    name: some("TOKEN"),
                    value: some(""),
                    value_from: Some(corev1::EnvVarSource {
                        secret_key_ref: Some(corev1::SecretKeySelector {
                            local_object_reference: Some(corev1::LocalObjectReference {
                                name: some("creds"),
                            }),
                            key: some("token"),
                            optional: Some(false),
                        }),
                        ..Default::default()
                    }),
                },
            ],
            resources: Some(corev1::ResourceRequirements {
                limits: [("memory".to_string(), quantity("128Mi"))].into(),
                requests: [("cpu".to_string(), quantity("100m"))].into(),
                claims: vec![],
            }),
            readiness_probe: Some(corev1::Probe {
                handler: Some(corev1::ProbeHandler {
                    http_get: Some(corev1::HttpGetAction {
                        path: some("/healthz"),
                        port: named_port("http"),
                        host: some(""),
                        scheme: some("HTTP"),
                        http_headers: vec![],
                    }),
                    ..Default::default()
                }),
                initial_delay_seconds: Some(0),
                period_seconds: Some(10),
                ..Default::default()
            }),
            volume_mounts: vec![corev1::VolumeMount {
                name: some("config"),
                read_only: Some(true),
                mount_path: some("/etc/app"),
                sub_path: some(""),
                ..Default::default()
            }],
            termination_message_path: some("/dev/termination-log"),
            termination_message_policy: some("File"),
            image_pull_policy: some("IfNotPresent"),
            security_context: Some(corev1::SecurityContext {
                run_as_user: Some(0),
                privileged: Some(false),
                ..Default::default()
            }),
            stdin: Some(false),
            tty: Some(false),
            ..Default::default()
        };
        let pod_spec = corev1::PodSpec {
            volumes: vec![
                corev1::Volume {
                    name: some("config"),
                    volume_source: Some(corev1::VolumeSource {
                        config_map: Some(corev1::ConfigMapVolumeSource {
                            local_object_reference: Some(corev1::LocalObjectReference {
                                name: some("app-config"),
                            }),
                            default_mode: Some(0o644),
                            ..Default::default()
                        }),
                        ..Default::default()
                    }),
                },
                corev1::Volume {
                    name: some("scratch"),
                    volume_source: Some(corev1::VolumeSource {
                        empty_dir: Some(corev1::EmptyDirVolumeSource {
                            medium: some(""),
                            size_limit: Some(quantity("1Gi")),
                        }),
                        ..Default::default()
                    }),
                },
            ],
            containers: vec![container],
            restart_policy: some("Always"),
            termination_grace_period_seconds: Some(30),
            dns_policy: some("ClusterFirst"),
            service_account_name: some(""),
            host_network: Some(false),
            security_context: Some(corev1::PodSecurityContext {
                run_as_non_root: Some(true),
                fs_group: Some(2000),
                ..Default::default()
            }),
            scheduler_name: some("default-scheduler"),
            ..Default::default()
        };
        let container_json = json!({
            "name": "app",
            "image": "registry.example/app:1",
            "command": ["/app"],
            "args": ["--port", "8080"],
            "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
            "env": [
                {"name": "MODE", "value": "prod"},
                {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "token", "optional": false}}},
            ],
            "resources": {"limits": {"memory": "128Mi"}, "requests": {"cpu": "100m"}},
            "volumeMounts": [{"name": "config", "readOnly": true, "mountPath": "/etc/app"}],
            "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http", "scheme": "HTTP"}, "periodSeconds": 10},
            "terminationMessagePath": "/dev/termination-log",
            "terminationMessagePolicy": "File",
            "imagePullPolicy": "IfNotPresent",
            "securityContext": {"runAsUser": 0, "privileged": false},
        });
        let pod_spec_json = json!({
            "volumes": [
                {"name": "config", "configMap": {"name": "app-config", "defaultMode": 420}},
                {"name": "scratch", "emptyDir": {"sizeLimit": "1Gi"}},
            ],
            "containers": [container_json],
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30,
            "dnsPolicy": "ClusterFirst",
            "securityContext": {"runAsNonRoot": true, "fsGroup": 2000},
            "schedulerName": "default-scheduler",
        });
        vec![
            Case {
                name: "pod with a full spec",
                body: body(&corev1::Pod {
                    metadata: Some(metav1::ObjectMeta {
                        name: some(""),
                        generate_name: some("app-"),
                        namespace: some("prod"),
                        uid: some("6b9f6c3e-1111-2222-3333-444455556666"),
                        generation: Some(3),
                        creation_timestamp: Some(metav1::Time {
                            seconds: Some(1_700_000_000),
                            nanos: Some(0),
                        }),
                        deletion_grace_period_seconds: Some(0),
                        labels: map(&[("app", "web"), ("tier", "fe")]),
                        annotations: map(&[("note", "x")]),
                        owner_references: vec![metav1::OwnerReference {
                            api_version: some("apps/v1"),
                            kind: some("ReplicaSet"),
                            name: some("web-1"),
                            uid: some("u1"),
                            controller: Some(true),
                            block_owner_deletion: None,
                        }],
                        finalizers: vec!["example.com/hold".into()],
                        managed_fields: vec![metav1::ManagedFieldsEntry {
                            manager: some("kubectl"),
                            operation: some("Update"),
                            api_version: some("v1"),
                            time: Some(metav1::Time {
                                seconds: Some(1_700_000_000),
                                nanos: None,
                            }),
                            fields_type: some("FieldsV1"),
                            fields_v1: Some(metav1::FieldsV1 {
                                raw: Some(br#"{"f:metadata":{}}"#.to_vec()),
                            }),
                            subresource: some(""),
                        }],
                        ..Default::default()
                    }),
                    spec: Some(pod_spec.clone()),
                    status: Some(Default::default()),
                }),
                want: json!({"apiVersion": "v1", "kind": "Pod",
                    "metadata": {
                        "generateName": "app-",
                        "namespace": "prod",
                        "uid": "6b9f6c3e-1111-2222-3333-444455556666",
                        "generation": 3,
                        "creationTimestamp": "2023-11-14T22:13:20Z",
                        "deletionGracePeriodSeconds": 0,
                        "labels": {"app": "web", "tier": "fe"},
                        "annotations": {"note": "x"},
                        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                            "name": "web-1", "uid": "u1", "controller": true}],
                        "finalizers": ["example.com/hold"],
                        "managedFields": [{"manager": "kubectl", "operation": "Update", "apiVersion": "v1",
                            "time": "2023-11-14T22:13:20Z", "fieldsType": "FieldsV1",
                            "fieldsV1": {"f:metadata": {}}}],
                    },
                    "spec": pod_spec_json.clone(),
                    "status": {}}),
            },
            Case {
                name: "deployment: replicas 0 kept, nil selector is null, rolling update",
                body: body(&appsv1::Deployment {
                    metadata: meta("web"),
                    spec: Some(appsv1::DeploymentSpec {
                        replicas: Some(0),
                        selector: None,
                        template: Some(corev1::PodTemplateSpec {
                            metadata: meta(""),
                            spec: Some(pod_spec),
                        }),
                        strategy: Some(appsv1::DeploymentStrategy {
                            r#type: some("RollingUpdate"),
                            rolling_update: Some(appsv1::RollingUpdateDeployment {
                                max_unavailable: port(0),
                                max_surge: named_port("25%"),
                            }),
                        }),
                        min_ready_seconds: Some(0),
                        revision_history_limit: Some(10),
                        paused: Some(false),
                        progress_deadline_seconds: None,
                    }),
                    status: Some(Default::default()),
                }),
                want: json!({"apiVersion": "apps/v1", "kind": "Deployment",
                    "metadata": {"name": "web"},
                    "spec": {
                        "replicas": 0,
                        "selector": null,
                        "template": {"metadata": {}, "spec": pod_spec_json},
                        "strategy": {"type": "RollingUpdate",
                            "rollingUpdate": {"maxUnavailable": 0, "maxSurge": "25%"}},
                        "revisionHistoryLimit": 10,
                    },
                    "status": {}}),
            },
            Case {
                name: "event: MicroTime with microseconds, zero Time as null",
                body: body(&corev1::Event {
                    metadata: meta("e1"),
                    involved_object: Some(corev1::ObjectReference {
                        kind: some("Pod"),
                        name: some("p"),
                        ..Default::default()
                    }),
                    reason: some("Scheduled"),
                    source: Some(Default::default()),
                    first_timestamp: Some(metav1::Time::default()),
                    last_timestamp: Some(metav1::Time::default()),
                    count: Some(0),
                    event_time: Some(metav1::MicroTime {
                        seconds: Some(1_700_000_000),
                        nanos: Some(123_456_789),
                    }),
                    reporting_component: some("flotilla-scheduler"),
                    reporting_instance: some(""),
                    ..Default::default()
                }),
                want: json!({"apiVersion": "v1", "kind": "Event",
                    "metadata": {"name": "e1"},
                    "involvedObject": {"kind": "Pod", "name": "p"},
                    "reason": "Scheduled",
                    "source": {},
                    "firstTimestamp": null,
                    "lastTimestamp": null,
                    "eventTime": "2023-11-14T22:13:20.123456Z",
                    "reportingComponent": "flotilla-scheduler",
                    "reportingInstance": ""}),
            },
            Case {
                name: "ingress: backend port, pathType",
                body: body(&networkingv1::Ingress {
                    metadata: meta("web"),
                    spec: Some(networkingv1::IngressSpec {
                        ingress_class_name: some("nginx"),
                        rules: vec![networkingv1::IngressRule {
                            host: some("example.com"),
                            ingress_rule_value: Some(networkingv1::IngressRuleValue {
                                http: Some(networkingv1::HttpIngressRuleValue {
                                    paths: vec![networkingv1::HttpIngressPath {
                                        path: some("/"),
                                        path_type: some("Prefix"),
                                        backend: Some(networkingv1::IngressBackend {
                                            service: Some(networkingv1::IngressServiceBackend {
                                                name: some("web"),
                                                port: Some(networkingv1::ServiceBackendPort {
                                                    name: some(""),
                                                    number: Some(80),
                                                }),
                                            }),
                                            resource: None,
                                        }),
                                    }],
                                }),
                            }),
                        }],
                        ..Default::default()
                    }),
                    status: Some(Default::default()),
                }),
                want: json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                    "metadata": {"name": "web"},
                    "spec": {"ingressClassName": "nginx", "rules": [{"host": "example.com", "http": {"paths": [
                        {"path": "/", "pathType": "Prefix",
                         "backend": {"service": {"name": "web", "port": {"number": 80}}}},
                    ]}}]},
                    "status": {"loadBalancer": {}}}),
            },
            Case {
                name: "pdb: minAvailable as a percentage",
                body: body(&policyv1::PodDisruptionBudget {
                    metadata: meta("web"),
                    spec: Some(policyv1::PodDisruptionBudgetSpec {
                        min_available: named_port("50%"),
                        selector: Some(metav1::LabelSelector {
                            match_labels: map(&[("app", "web")]),
                            match_expressions: vec![metav1::LabelSelectorRequirement {
                                key: some("tier"),
                                operator: some("Exists"),
                                values: vec![],
                            }],
                        }),
                        ..Default::default()
                    }),
                    status: None,
                }),
                want: json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                    "metadata": {"name": "web"},
                    "spec": {"minAvailable": "50%", "selector": {
                        "matchLabels": {"app": "web"},
                        "matchExpressions": [{"key": "tier", "operator": "Exists"}],
                    }},
                    // A non-Go client left the status struct out; Go would have written it.
                    "status": {"disruptionsAllowed": 0, "currentHealthy": 0, "desiredHealthy": 0,
                        "expectedPods": 0}}),
            },
            Case {
                name: "rolebinding: roleRef and subjects; rbac's nil rules is null",
                body: [body(&rbacv1::RoleBinding {
                    metadata: meta("read"),
                    subjects: vec![rbacv1::Subject {
                        kind: some("ServiceAccount"),
                        api_group: some(""),
                        name: some("bot"),
                        namespace: some("ci"),
                    }],
                    role_ref: Some(rbacv1::RoleRef {
                        api_group: some("rbac.authorization.k8s.io"),
                        kind: some("Role"),
                        name: some("reader"),
                    }),
                })]
                .concat(),
                want: json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                    "metadata": {"name": "read"},
                    "subjects": [{"kind": "ServiceAccount", "name": "bot", "namespace": "ci"}],
                    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"}}),
            },
            Case {
                name: "aggregated clusterrole without rules",
                body: body(&rbacv1::ClusterRole {
                    metadata: meta("agg"),
                    rules: vec![],
                    aggregation_rule: Some(rbacv1::AggregationRule {
                        cluster_role_selectors: vec![metav1::LabelSelector {
                            match_labels: map(&[("agg", "true")]),
                            match_expressions: vec![],
                        }],
                    }),
                }),
                want: json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                    "metadata": {"name": "agg"},
                    "rules": null,
                    "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"agg": "true"}}]}}),
            },
            Case {
                name: "secret: binary data and type",
                body: body(&corev1::Secret {
                    metadata: meta("tls"),
                    immutable: Some(true),
                    data: [("tls.key".to_string(), vec![0u8, 0xff, 0x10])].into(),
                    string_data: BTreeMap::new(),
                    r#type: some("kubernetes.io/tls"),
                }),
                want: json!({"apiVersion": "v1", "kind": "Secret",
                    "metadata": {"name": "tls"}, "immutable": true,
                    "data": {"tls.key": "AP8Q"}, "type": "kubernetes.io/tls"}),
            },
            Case {
                name: "JSON carried inside the envelope",
                body: [
                    MAGIC.as_slice(),
                    &Unknown {
                        type_meta: Some(TypeMeta {
                            api_version: some("v1"),
                            kind: some("ConfigMap"),
                        }),
                        raw: Some(br#"{"metadata":{"name":"j"},"data":{"k":"v"}}"#.to_vec()),
                        content_encoding: None,
                        content_type: some("application/json"),
                    }
                    .encode_to_vec(),
                ]
                .concat(),
                want: json!({"apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": "j"}, "data": {"k": "v"}}),
            },
        ]
    }

    #[test]
    fn decodes_to_the_json_kube_apiserver_stores() {
        for case in kubectl_cases().into_iter().chain(built_cases()) {
            let got = decode(&case.body)
                .unwrap_or_else(|e| panic!("{}: decode failed: {}", case.name, e.message));
            assert_eq!(
                got,
                case.want,
                "{}:\n got  {}\n want {}",
                case.name,
                serde_json::to_string_pretty(&got).unwrap(),
                serde_json::to_string_pretty(&case.want).unwrap()
            );
        }
    }

    #[test]
    fn rejects_what_it_cannot_decode() {
        struct Bad {
            name: &'static str,
            body: Vec<u8>,
            code: u16,
            message: &'static str,
        }
        let deployment = appsv1::Deployment {
            metadata: meta("web"),
            ..Default::default()
        }
        .encode_to_vec();
        let cases = [
            Bad {
                name: "JSON sent with the protobuf content type",
                body: br#"{"kind":"ConfigMap"}"#.to_vec(),
                code: 400,
                message: "does not appear to be a protobuf message",
            },
            Bad {
                name: "truncated envelope",
                body: body(&appsv1::Deployment::default())[..6].to_vec(),
                code: 400,
                message: "could not be decoded",
            },
            Bad {
                name: "object that is not the named kind's message",
                body: envelope("v1", "ConfigMap", vec![0x0a, 0x05, 0x01]),
                code: 400,
                message: "could not be decoded",
            },
            Bad {
                name: "no kind",
                body: envelope("v1", "", deployment.clone()),
                code: 400,
                message: "apiVersion and kind",
            },
            Bad {
                name: "kind this server does not decode",
                body: envelope(
                    "apiextensions.k8s.io/v1",
                    "CustomResourceDefinition",
                    deployment,
                ),
                code: 415,
                message: "kubectl create -f",
            },
            Bad {
                name: "compressed object",
                body: [
                    MAGIC.as_slice(),
                    &Unknown {
                        type_meta: Some(TypeMeta {
                            api_version: some("v1"),
                            kind: some("ConfigMap"),
                        }),
                        raw: Some(vec![1, 2, 3]),
                        content_encoding: some("gzip"),
                        content_type: None,
                    }
                    .encode_to_vec(),
                ]
                .concat(),
                code: 415,
                message: "content encoding",
            },
        ];
        for case in cases {
            let err = decode(&case.body).expect_err(case.name);
            assert_eq!(err.code, case.code, "{}: {}", case.name, err.message);
            assert!(
                err.message.contains(case.message),
                "{}: message {:?} lacks {:?}",
                case.name,
                err.message,
                case.message
            );
        }
    }

    #[test]
    fn json_names_are_lower_camel_case() {
        for (rust, json) in [
            ("name", "name"),
            ("r#type", "type"),
            (
                "termination_grace_period_seconds",
                "terminationGracePeriodSeconds",
            ),
            ("fields_v1", "fieldsV1"),
        ] {
            assert_eq!(lower_camel(rust), json);
        }
    }
}
